//! A read-only view of a CDA R2 document (header and level-1 body) over a roxmltree tree.
//!
//! The view does not copy the document: accessors walk the tree on demand and return nodes, so a check
//! can always locate what it reports. Namespace-aware: only elements in `urn:hl7-org:v3` (or
//! `urn:hl7-org:sdtc` for the `sdtc:` helpers) are matched; comments never count as elements
//! (C-11: a templateId inside a comment is not a templateId).

use roxmltree::{Document, Node};

use super::xml::{XmlText, NS_HL7, NS_SDTC};

/// INS assigning-authority OIDs (INS-010): INS-NIR, INS-NIA, INS-NIR de test, INS-NIR de démonstration.
pub const INS_OIDS: &[&str] = &["1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"];
/// NSS OIDs (never an INS, INS-011).
pub const NSS_OIDS: &[&str] = &["1.2.250.1.213.1.4.13", "1.2.250.1.213.1.4.14"];
/// Obsolete INS-C OID (INS-012).
pub const INS_C_OID: &str = "1.2.250.1.213.1.4.2";
/// PS_IdNat and system identifiers (ID-010).
pub const OID_PS_IDNAT: &str = "1.2.250.1.71.4.2.1";
/// Struct_IdNat (ID-020).
pub const OID_STRUCT_IDNAT: &str = "1.2.250.1.71.4.2.2";

/// A CDA document: the tree, the decoded text, and the root `ClinicalDocument` element.
#[derive(Clone, Copy)]
pub struct Cda<'a, 'i> {
    /// The parsed tree.
    pub doc: &'a Document<'i>,
    /// Decoding facts (BOM, declared encoding, DOCTYPE).
    pub text: &'a XmlText<'i>,
    /// `hl7:ClinicalDocument`.
    pub root: Node<'a, 'i>,
}

/// A coded value (`code`, `codeSystem`, `displayName`) and its element.
#[derive(Debug, Clone, Copy)]
pub struct Coded<'a, 'i> {
    /// `@code`.
    pub code: Option<&'a str>,
    /// `@codeSystem`.
    pub system: Option<&'a str>,
    /// `@displayName`.
    pub display: Option<&'a str>,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> Coded<'a, 'i> {
    /// Reads the coded attributes of `node`.
    pub fn of(node: Node<'a, 'i>) -> Self {
        Coded { code: node.attribute("code"), system: node.attribute("codeSystem"), display: node.attribute("displayName"), node }
    }
}

/// An instance identifier (`II`: `@root`, `@extension`).
#[derive(Debug, Clone, Copy)]
pub struct InstanceId<'a, 'i> {
    /// `@root`.
    pub root: Option<&'a str>,
    /// `@extension`.
    pub extension: Option<&'a str>,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> InstanceId<'a, 'i> {
    /// Reads `@root`/`@extension` of `node`.
    pub fn of(node: Node<'a, 'i>) -> Self {
        InstanceId { root: node.attribute("root"), extension: node.attribute("extension"), node }
    }

    /// True when the root is an INS OID.
    pub fn is_ins(&self) -> bool {
        self.root.is_some_and(|r| INS_OIDS.contains(&r))
    }
}

/// True for an element in the HL7 v3 namespace with this local name.
pub fn is_hl7(n: Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(NS_HL7)
}

/// HL7 child elements of `n` named `name`.
pub fn children<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| is_hl7(*c, name))
}

/// First HL7 child element named `name`.
pub fn child<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    children(n, name).next()
}

/// Number of HL7 child elements named `name`.
pub fn count(n: Node<'_, '_>, name: &'static str) -> usize {
    children(n, name).count()
}

/// SDTC child elements of `n` named `name` (`sdtc:deceasedInd`…).
pub fn sdtc_children<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(NS_SDTC))
}

/// Follows a path of HL7 child names, first match at each step.
pub fn path<'a, 'i>(n: Node<'a, 'i>, steps: &[&'static str]) -> Option<Node<'a, 'i>> {
    let mut cur = n;
    for s in steps {
        cur = child(cur, s)?;
    }
    Some(cur)
}

/// All nodes reached by a path of HL7 child names (every match at every step).
pub fn path_all<'a, 'i>(n: Node<'a, 'i>, steps: &[&'static str]) -> Vec<Node<'a, 'i>> {
    let mut cur = vec![n];
    for s in steps {
        cur = cur.into_iter().flat_map(|c| children(c, s)).collect();
    }
    cur
}

/// True when the element carries `@nullFlavor` ("non-null" in the schematron means: no nullFlavor).
pub fn is_null(n: Node<'_, '_>) -> bool {
    n.attribute("nullFlavor").is_some()
}

/// Whitespace-normalised text content of an element (all descendant text).
pub fn text_of(n: Node<'_, '_>) -> String {
    let mut s = String::new();
    for d in n.descendants().filter(|d| d.is_text()) {
        s.push_str(d.text().unwrap_or(""));
        s.push(' ');
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl<'a, 'i> Cda<'a, 'i> {
    /// The view, when the root element is `hl7:ClinicalDocument` (else `None`: not a CDA).
    pub fn new(doc: &'a Document<'i>, text: &'a XmlText<'i>) -> Option<Self> {
        let root = doc.root_element();
        is_hl7(root, "ClinicalDocument").then_some(Cda { doc, text, root })
    }

    /// The decoded source text.
    pub fn source(&self) -> &'i str {
        self.doc.input_text()
    }

    /// Header child of `ClinicalDocument`.
    pub fn header(&self, name: &'static str) -> Option<Node<'a, 'i>> {
        child(self.root, name)
    }

    /// `templateId` elements of the document (element nodes only, C-11): (root, extension, node).
    pub fn template_ids(&self) -> Vec<InstanceId<'a, 'i>> {
        children(self.root, "templateId").map(InstanceId::of).collect()
    }

    /// True when a document-level templateId has this root.
    pub fn has_template(&self, root: &str) -> bool {
        self.template_ids().iter().any(|t| t.root == Some(root))
    }

    /// `ClinicalDocument/id`.
    pub fn id(&self) -> Option<InstanceId<'a, 'i>> {
        self.header("id").map(InstanceId::of)
    }

    /// `ClinicalDocument/code`.
    pub fn code(&self) -> Option<Coded<'a, 'i>> {
        self.header("code").map(Coded::of)
    }

    /// `ClinicalDocument/title`, whitespace-normalised.
    pub fn title(&self) -> Option<String> {
        self.header("title").map(text_of)
    }

    /// `effectiveTime/@value`.
    pub fn effective_time(&self) -> Option<&'a str> {
        self.header("effectiveTime").and_then(|n| n.attribute("value"))
    }

    /// `confidentialityCode`.
    pub fn confidentiality(&self) -> Option<Coded<'a, 'i>> {
        self.header("confidentialityCode").map(Coded::of)
    }

    /// `languageCode/@code`.
    pub fn language(&self) -> Option<&'a str> {
        self.header("languageCode").and_then(|n| n.attribute("code"))
    }

    /// `recordTarget/patientRole`.
    pub fn patient_role(&self) -> Option<Node<'a, 'i>> {
        path(self.root, &["recordTarget", "patientRole"])
    }

    /// `recordTarget/patientRole/patient`.
    pub fn patient(&self) -> Option<Node<'a, 'i>> {
        self.patient_role().and_then(|p| child(p, "patient"))
    }

    /// `recordTarget/patientRole/id` elements.
    pub fn patient_ids(&self) -> Vec<InstanceId<'a, 'i>> {
        self.patient_role().map(|p| children(p, "id").map(InstanceId::of).collect()).unwrap_or_default()
    }

    /// The usager's INS: the first `patientRole/id` whose root is an INS OID.
    pub fn ins(&self) -> Option<InstanceId<'a, 'i>> {
        self.patient_ids().into_iter().find(InstanceId::is_ins)
    }

    /// `author` elements.
    pub fn authors(&self) -> Vec<Node<'a, 'i>> {
        children(self.root, "author").collect()
    }

    /// `legalAuthenticator`.
    pub fn legal_authenticator(&self) -> Option<Node<'a, 'i>> {
        self.header("legalAuthenticator")
    }

    /// `documentationOf[1]/serviceEvent`.
    pub fn service_event(&self) -> Option<Node<'a, 'i>> {
        path(self.root, &["documentationOf", "serviceEvent"])
    }

    /// `documentationOf[1]/serviceEvent/effectiveTime/low/@value` and `high/@value`.
    pub fn service_times(&self) -> (Option<&'a str>, Option<&'a str>) {
        let et = self.service_event().and_then(|s| child(s, "effectiveTime"));
        let get = |n: &str| et.and_then(|e| e.children().find(|c| is_hl7(*c, n))).and_then(|c| c.attribute("value"));
        (get("low"), get("high"))
    }

    /// `componentOf/encompassingEncounter/location/healthCareFacility/code`.
    pub fn facility_type(&self) -> Option<Coded<'a, 'i>> {
        path(self.root, &["componentOf", "encompassingEncounter", "location", "healthCareFacility", "code"]).map(Coded::of)
    }

    /// `documentationOf[1]/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode`.
    pub fn practice_setting(&self) -> Option<Coded<'a, 'i>> {
        self.service_event()
            .and_then(|s| path(s, &["performer", "assignedEntity", "representedOrganization", "standardIndustryClassCode"]))
            .map(Coded::of)
    }

    /// `component/nonXMLBody`, present for a level-1 (non-structured) document.
    pub fn non_xml_body(&self) -> Option<Node<'a, 'i>> {
        path(self.root, &["component", "nonXMLBody"])
    }

    /// `component/structuredBody`.
    pub fn structured_body(&self) -> Option<Node<'a, 'i>> {
        path(self.root, &["component", "structuredBody"])
    }

    /// Top-level sections of the structured body: `structuredBody/component/section`.
    pub fn sections(&self) -> Vec<Node<'a, 'i>> {
        self.structured_body().map(|b| path_all(b, &["component", "section"])).unwrap_or_default()
    }
}
