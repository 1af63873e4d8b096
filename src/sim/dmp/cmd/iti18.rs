//! ITI-18 Registry Stored Query: FindDocuments (patient, status, confidentiality, class/type/format codes,
//! creation time), GetDocuments (by entryUUID or uniqueId); FindSubmissionSets, FindDocumentsByReferenceId
//! and GetAssociations answer an empty list (the simulator keeps no submission sets nor reference ids).
//!
//! # Format
//! `query:AdhocQueryRequest` > `query:ResponseOption returnType="LeafClass|ObjectRef"` + `rim:AdhocQuery
//! id="<stored query UUID>"` with `rim:Slot`s whose values are SQL-quoted (`'a'`, `('a','b')`).
//!
//! Hidden documents (J08 `MASQUE_PS`, `INVISIBLE_PATIENT`, `INVISIBLE_REPRESENTANTS_LEGAUX`) are returned
//! only when `$XDSDocumentEntryConfidentialityCode` asks for one of these codes.

use std::fmt::Write as _;

use roxmltree::Node;

use crate::checks::dmp::Transaction;
use crate::checks::dmp::{adhoc_query, query_id, query_slots, slot_values, status};
use crate::formats::xds::uuid;
use crate::sim::dmp::registry::{Entry, Registry};
use crate::sim::dmp::wire::{self, esc, RegistryError, Response};

/// A parsed stored query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// AdhocQuery/@id.
    pub id: String,
    /// ObjectRef instead of LeafClass.
    pub object_ref: bool,
    /// Slots (name, unquoted values).
    pub slots: Vec<(String, Vec<String>)>,
}

impl Query {
    /// Reads the AdhocQueryRequest payload.
    pub fn of(payload: Node<'_, '_>) -> Query {
        let object_ref = payload
            .children()
            .find(|c| c.tag_name().name() == "ResponseOption")
            .and_then(|o| o.attribute("returnType"))
            == Some("ObjectRef");
        let Some(q) = adhoc_query(payload) else {
            return Query {
                object_ref,
                ..Query::default()
            };
        };
        Query {
            id: q.attribute("id").unwrap_or("").to_string(),
            object_ref,
            slots: query_slots(q)
                .into_iter()
                .map(|(k, v)| (k, slot_values(&v)))
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&[String]> {
        self.slots
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The patient id of the query, unquoted.
    pub fn patient_id(&self) -> Option<&str> {
        self.get("$XDSDocumentEntryPatientId")
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

fn code_filter(e: &Entry, scheme: &str, wanted: Option<&[String]>) -> bool {
    let Some(w) = wanted else { return true };
    e.classifications.iter().any(|c| {
        c.scheme == scheme
            && w.iter()
                .any(|v| v.split('^').next().unwrap_or("") == c.code)
    })
}

/// Runs the query; returns the matching entries or the registry errors.
pub fn run<'r>(q: &Query, reg: &'r Registry) -> Result<Vec<&'r Entry>, Vec<RegistryError>> {
    match q.id.as_str() {
        query_id::FIND_DOCUMENTS => {
            let Some(p) = q.patient_id() else {
                return Err(vec![RegistryError::new(
                    "XDSStoredQueryMissingParam",
                    "$XDSDocumentEntryPatientId",
                )]);
            };
            let Some(statuses) = q.get("$XDSDocumentEntryStatus").filter(|s| !s.is_empty()) else {
                return Err(vec![RegistryError::new(
                    "XDSStoredQueryMissingParam",
                    "$XDSDocumentEntryStatus",
                )]);
            };
            let conf = q.get("$XDSDocumentEntryConfidentialityCode");
            let asks_hidden = conf.is_some_and(|c| {
                c.iter().any(|v| {
                    crate::sim::dmp::registry::HIDING_CODES
                        .contains(&v.split('^').next().unwrap_or(""))
                })
            });
            let from = q
                .get("$XDSDocumentEntryCreationTimeFrom")
                .and_then(|v| v.first());
            let to = q
                .get("$XDSDocumentEntryCreationTimeTo")
                .and_then(|v| v.first());
            Ok(reg
                .of_patient(p)
                .into_iter()
                .filter(|e| statuses.contains(&e.status))
                .filter(|e| asks_hidden || !e.is_hidden())
                .filter(|e| code_filter(e, uuid::DE_CONFIDENTIALITY, conf))
                .filter(|e| code_filter(e, uuid::DE_CLASS, q.get("$XDSDocumentEntryClassCode")))
                .filter(|e| code_filter(e, uuid::DE_TYPE, q.get("$XDSDocumentEntryTypeCode")))
                .filter(|e| code_filter(e, uuid::DE_FORMAT, q.get("$XDSDocumentEntryFormatCode")))
                .filter(|e| {
                    let ct = e
                        .slots
                        .iter()
                        .find(|(k, _)| k == "creationTime")
                        .and_then(|(_, v)| v.first())
                        .map(String::as_str)
                        .unwrap_or("");
                    from.is_none_or(|f| ct >= f.as_str()) && to.is_none_or(|t| ct < t.as_str())
                })
                .collect())
        }
        query_id::GET_DOCUMENTS => {
            let uuids = q.get("$XDSDocumentEntryEntryUUID").unwrap_or(&[]);
            let uids = q.get("$XDSDocumentEntryUniqueId").unwrap_or(&[]);
            if uuids.is_empty() == uids.is_empty() {
                return Err(vec![RegistryError::new(
                    "XDSStoredQueryParamNumber",
                    "GetDocuments: exactly one of $XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId",
                )]);
            }
            Ok(uuids
                .iter()
                .filter_map(|u| reg.get(u))
                .chain(uids.iter().filter_map(|u| reg.by_unique_id(u)))
                .collect())
        }
        query_id::FIND_SUBMISSION_SETS
        | query_id::FIND_BY_REFERENCE_ID
        | query_id::GET_ASSOCIATIONS => Ok(Vec::new()),
        other => Err(vec![RegistryError::new(
            "XDSUnknownStoredQuery",
            format!("Requête stockée inconnue / unknown stored query: {other}"),
        )]),
    }
}

/// One ExtrinsicObject as the registry returns it (LeafClass).
pub fn extrinsic_object(e: &Entry, repository_unique_id: &str) -> String {
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "<rim:ExtrinsicObject id=\"{}\" lid=\"{}\" status=\"{}\" mimeType=\"{}\" objectType=\"{}\"><rim:VersionInfo versionName=\"{}\"/>",
        esc(&e.entry_uuid),
        esc(&e.logical_id),
        esc(&e.status),
        esc(&e.mime_type),
        uuid::DE_STABLE,
        e.version
    );
    let slot = |s: &mut String, name: &str, values: &[String]| {
        let _ = write!(s, "<rim:Slot name=\"{}\"><rim:ValueList>", esc(name));
        for v in values {
            let _ = write!(s, "<rim:Value>{}</rim:Value>", esc(v));
        }
        s.push_str("</rim:ValueList></rim:Slot>");
    };
    for (k, v) in &e.slots {
        if k != "repositoryUniqueId" {
            slot(&mut s, k, v);
        }
    }
    slot(
        &mut s,
        "repositoryUniqueId",
        &[repository_unique_id.to_string()],
    );
    if let Some(t) = &e.title {
        let _ = write!(
            s,
            "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
            esc(t)
        );
    }
    for (i, c) in e.classifications.iter().enumerate() {
        let _ = write!(
            s,
            "<rim:Classification id=\"{}-c{i}\" classificationScheme=\"{}\" classifiedObject=\"{}\" nodeRepresentation=\"{}\">",
            esc(&e.entry_uuid),
            esc(&c.scheme),
            esc(&e.entry_uuid),
            esc(&c.code)
        );
        for (k, v) in &c.slots {
            slot(&mut s, k, v);
        }
        if let Some(cs) = &c.coding_scheme {
            slot(&mut s, "codingScheme", std::slice::from_ref(cs));
        }
        if let Some(d) = &c.display {
            let _ = write!(
                s,
                "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
                esc(d)
            );
        }
        s.push_str("</rim:Classification>");
    }
    for (i, (scheme, value)) in [
        (uuid::DE_PATIENT_ID.to_string(), e.patient_id.clone()),
        (uuid::DE_UNIQUE_ID.to_string(), e.unique_id.clone()),
    ]
    .iter()
    .chain(e.external.iter())
    .enumerate()
    {
        let _ = write!(
            s,
            "<rim:ExternalIdentifier id=\"{}-e{i}\" identificationScheme=\"{}\" registryObject=\"{}\" value=\"{}\"/>",
            esc(&e.entry_uuid),
            esc(scheme),
            esc(&e.entry_uuid),
            esc(value)
        );
    }
    s.push_str("</rim:ExtrinsicObject>");
    s
}

/// The AdhocQueryResponse.
pub fn respond(
    q: &Query,
    result: Result<Vec<&Entry>, Vec<RegistryError>>,
    relates_to: Option<&str>,
    repository_unique_id: &str,
) -> Response {
    let (errors, list) = match result {
        Ok(entries) => {
            let mut l = String::from("<rim:RegistryObjectList>");
            for e in entries {
                if q.object_ref {
                    let _ = write!(l, "<rim:ObjectRef id=\"{}\"/>", esc(&e.entry_uuid));
                } else {
                    l.push_str(&extrinsic_object(e, repository_unique_id));
                }
            }
            l.push_str("</rim:RegistryObjectList>");
            (Vec::new(), l)
        }
        Err(errors) => (errors, "<rim:RegistryObjectList/>".to_string()),
    };
    let body = format!(
        "<query:AdhocQueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\" xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"{}\">{}{list}</query:AdhocQueryResponse>",
        wire::status_of(&errors, false),
        wire::error_list(&errors)
    );
    let action = wire::response_action(Transaction::Iti18);
    wire::soap(&action, wire::envelope(&action, relates_to, &body))
}

/// Statuses a FindDocuments may ask for.
pub fn known_status(s: &str) -> bool {
    status::ALL.contains(&s)
}
