//! One file per transaction (mini-redis `cmd/`): each turns the parsed request into registry effects and
//! the IHE response. The transport, the evidence and the SOAP/VIHF gate are the handler's.

pub mod iti18;
pub mod iti41;
pub mod iti43;
pub mod iti57;
pub mod td02;
pub mod unknown;

use roxmltree::Node;

use super::registry::Coded;
use crate::formats::xds as fxds;

/// The classifications of a registry object, owned.
pub(crate) fn coded(o: &fxds::RegistryObject<'_, '_>) -> Vec<Coded> {
    o.classifications
        .iter()
        .filter(|c| c.scheme.is_some())
        .map(|c| Coded {
            scheme: c.scheme.unwrap_or("").to_string(),
            code: c.code.unwrap_or("").to_string(),
            coding_scheme: c.coding_scheme.clone(),
            display: c.display.map(str::to_string),
            slots: c
                .slots
                .iter()
                .filter(|s| s.name != "codingScheme")
                .map(|s| (s.name.to_string(), s.values.clone()))
                .collect(),
        })
        .collect()
}

/// Text of the first element child named `name` (any namespace).
pub(crate) fn child_text<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .and_then(|c| c.text())
        .map(str::trim)
}

/// The `lcm:SubmitObjectsRequest` at or under `n` (ITI-41 payload child, or the ITI-57 payload itself).
pub fn submit_objects<'a, 'i>(n: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    n.descendants().find(|c| {
        c.is_element()
            && c.tag_name().namespace() == Some(fxds::NS_LCM)
            && c.tag_name().name() == "SubmitObjectsRequest"
    })
}
