//! XDS metadata (ebRIM 3.0 `lcm:SubmitObjectsRequest`) → a typed read-only view with positions, found
//! alone (an IHE XDM `METADATA.XML`) or inside an ITI-41 SOAP 1.2 envelope
//! (`xdsb:ProvideAndRegisterDocumentSetRequest`), whose `xdsb:Document` children are inline base64 or
//! MTOM/XOP `xop:Include` references to the parts of a `multipart/related` capture ([`parse_capture`]).
//!
//! The view keeps roxmltree nodes, so every check can locate what it reports. Metadata items are
//! recognised only by their scheme UUIDs ([`uuid`], XDS-UUID-010/011), never by their `Name`: the ANS
//! examples carry typos there (`XDSSumissionSet.sourceId`). A `Classification` or `ExternalIdentifier`
//! belongs to the object it is nested in; one written at the top of the `RegistryObjectList` belongs to
//! the object its `classifiedObject` / `registryObject` names (the ANS XDM examples nest them and
//! sometimes write a wrong `classifiedObject`, which therefore never decides membership).
//!
//! Bounded: XML is parsed by [`super::xml`] under [`Limits`]; the multipart parser refuses more parts
//! than [`Limits::max_mime_parts`] and inputs larger than [`Limits::max_mime_bytes`]; nothing panics.

use roxmltree::{Document, Node};

use crate::limits::Limits;

/// `urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0`.
pub const NS_RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
/// `urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0`.
pub const NS_LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
/// `urn:ihe:iti:xds-b:2007`.
pub const NS_XDSB: &str = "urn:ihe:iti:xds-b:2007";
/// `http://www.w3.org/2004/08/xop/include`.
pub const NS_XOP: &str = "http://www.w3.org/2004/08/xop/include";

/// IHE ITI TF-3 metadata UUIDs (XDS-UUID-010, XDS-UUID-011), as NIST iheos-toolkit2 and ANS DRIMbox
/// write them.
pub mod uuid {
    /// SubmissionSet classificationNode.
    pub const SS_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    /// SubmissionSet author.
    pub const SS_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
    /// SubmissionSet contentTypeCode.
    pub const SS_CONTENT_TYPE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
    /// SubmissionSet patientId.
    pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
    /// SubmissionSet sourceId.
    pub const SS_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
    /// SubmissionSet uniqueId.
    pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
    /// Folder classificationNode (not used by the DMP).
    pub const FOLDER_NODE: &str = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2";
    /// DocumentEntry objectType, stable document.
    pub const DE_STABLE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
    /// DocumentEntry objectType, on-demand document (not used by the DMP).
    pub const DE_ON_DEMAND: &str = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248";
    /// DocumentEntry author.
    pub const DE_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
    /// DocumentEntry classCode.
    pub const DE_CLASS: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
    /// DocumentEntry confidentialityCode.
    pub const DE_CONFIDENTIALITY: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
    /// DocumentEntry eventCodeList.
    pub const DE_EVENT: &str = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4";
    /// DocumentEntry formatCode.
    pub const DE_FORMAT: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
    /// DocumentEntry healthCareFacilityTypeCode.
    pub const DE_FACILITY: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
    /// DocumentEntry practiceSettingCode.
    pub const DE_PRACTICE: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
    /// DocumentEntry typeCode.
    pub const DE_TYPE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
    /// DocumentEntry patientId.
    pub const DE_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
    /// DocumentEntry uniqueId.
    pub const DE_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
    /// `HasMember` association type.
    pub const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";

    /// Human name of a scheme UUID, for messages (`None` for an unknown UUID).
    pub fn name(u: &str) -> Option<&'static str> {
        Some(match u {
            SS_NODE => "SubmissionSet (classificationNode)",
            SS_AUTHOR => "SubmissionSet.author",
            SS_CONTENT_TYPE => "SubmissionSet.contentTypeCode",
            SS_PATIENT_ID => "SubmissionSet.patientId",
            SS_SOURCE_ID => "SubmissionSet.sourceId",
            SS_UNIQUE_ID => "SubmissionSet.uniqueId",
            FOLDER_NODE => "Folder (classificationNode)",
            DE_STABLE => "DocumentEntry objectType (stable)",
            DE_ON_DEMAND => "DocumentEntry objectType (on-demand)",
            DE_AUTHOR => "DocumentEntry.author",
            DE_CLASS => "DocumentEntry.classCode",
            DE_CONFIDENTIALITY => "DocumentEntry.confidentialityCode",
            DE_EVENT => "DocumentEntry.eventCodeList",
            DE_FORMAT => "DocumentEntry.formatCode",
            DE_FACILITY => "DocumentEntry.healthcareFacilityTypeCode",
            DE_PRACTICE => "DocumentEntry.practiceSettingCode",
            DE_TYPE => "DocumentEntry.typeCode",
            DE_PATIENT_ID => "DocumentEntry.patientId",
            DE_UNIQUE_ID => "DocumentEntry.uniqueId",
            _ => return None,
        })
    }
}

/// True for an element in namespace `ns` with local name `name`.
fn is(n: Node<'_, '_>, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(ns)
}

/// rim child elements named `name`.
fn rim_children<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| is(*c, NS_RIM, name))
}

/// A `rim:Slot`: name and the text of each `ValueList/Value` (trimmed).
#[derive(Debug, Clone)]
pub struct Slot<'a, 'i> {
    /// `@name`.
    pub name: &'a str,
    /// `ValueList/Value` texts, in order.
    pub values: Vec<String>,
    /// The `Slot` element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> Slot<'a, 'i> {
    fn of(node: Node<'a, 'i>) -> Slot<'a, 'i> {
        let values = rim_children(node, "ValueList")
            .flat_map(|l| rim_children(l, "Value"))
            .map(|v| text(v).trim().to_string())
            .collect();
        Slot {
            name: node.attribute("name").unwrap_or(""),
            values,
            node,
        }
    }

    /// The first value, if any.
    pub fn first(&self) -> Option<&str> {
        self.values.first().map(String::as_str)
    }
}

/// Concatenated text children of an element.
fn text(n: Node<'_, '_>) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// Slots directly under `n`.
fn slots_of<'a, 'i>(n: Node<'a, 'i>) -> Vec<Slot<'a, 'i>> {
    rim_children(n, "Slot").map(Slot::of).collect()
}

/// `@value` of each `LocalizedString` of the `Name` or `Description` child of `n`.
fn localized<'a>(n: Node<'a, '_>, which: &'static str) -> Option<Vec<&'a str>> {
    rim_children(n, which).next().map(|e| {
        rim_children(e, "LocalizedString")
            .map(|l| l.attribute("value").unwrap_or(""))
            .collect()
    })
}

/// A `rim:Classification`.
#[derive(Debug, Clone)]
pub struct Classification<'a, 'i> {
    /// `@classificationScheme` (external classification: author, classCode…).
    pub scheme: Option<&'a str>,
    /// `@classificationNode` (internal classification: SubmissionSet, Folder).
    pub node_id: Option<&'a str>,
    /// `@classifiedObject`.
    pub classified_object: Option<&'a str>,
    /// `@nodeRepresentation`: the code.
    pub code: Option<&'a str>,
    /// First value of the `codingScheme` slot.
    pub coding_scheme: Option<String>,
    /// `Name/LocalizedString/@value`: the display name.
    pub display: Option<&'a str>,
    /// Every slot (author classifications carry `authorPerson`, `authorInstitution`…).
    pub slots: Vec<Slot<'a, 'i>>,
    /// True when written inside the object it classifies.
    pub nested: bool,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> Classification<'a, 'i> {
    fn of(node: Node<'a, 'i>, nested: bool) -> Classification<'a, 'i> {
        let slots = slots_of(node);
        let coding_scheme = slots
            .iter()
            .find(|s| s.name == "codingScheme")
            .and_then(|s| s.values.first().cloned());
        Classification {
            scheme: node.attribute("classificationScheme"),
            node_id: node.attribute("classificationNode"),
            classified_object: node.attribute("classifiedObject"),
            code: node.attribute("nodeRepresentation"),
            coding_scheme,
            display: localized(node, "Name").and_then(|v| v.first().copied()),
            slots,
            nested,
            node,
        }
    }

    /// The slot named `name`.
    pub fn slot(&self, name: &str) -> Option<&Slot<'a, 'i>> {
        self.slots.iter().find(|s| s.name == name)
    }
}

/// A `rim:ExternalIdentifier`.
#[derive(Debug, Clone)]
pub struct ExternalId<'a, 'i> {
    /// `@identificationScheme`.
    pub scheme: Option<&'a str>,
    /// `@value`.
    pub value: Option<&'a str>,
    /// `@registryObject`.
    pub registry_object: Option<&'a str>,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> ExternalId<'a, 'i> {
    fn of(node: Node<'a, 'i>) -> ExternalId<'a, 'i> {
        ExternalId {
            scheme: node.attribute("identificationScheme"),
            value: node.attribute("value"),
            registry_object: node.attribute("registryObject"),
            node,
        }
    }
}

/// A `rim:RegistryPackage` (SubmissionSet, Folder) or `rim:ExtrinsicObject` (DocumentEntry).
#[derive(Debug, Clone)]
pub struct RegistryObject<'a, 'i> {
    /// `@id`.
    pub id: Option<&'a str>,
    /// `@objectType`.
    pub object_type: Option<&'a str>,
    /// `@mimeType` (ExtrinsicObject).
    pub mime_type: Option<&'a str>,
    /// `@status`.
    pub status: Option<&'a str>,
    /// Slots.
    pub slots: Vec<Slot<'a, 'i>>,
    /// Classifications (nested, then top-level ones naming this object).
    pub classifications: Vec<Classification<'a, 'i>>,
    /// External identifiers (nested, then top-level ones naming this object).
    pub external_ids: Vec<ExternalId<'a, 'i>>,
    /// `Name/LocalizedString/@value` (the title), when a `Name` is present.
    pub name: Option<Vec<&'a str>>,
    /// `Description/LocalizedString/@value` (comments), when present.
    pub description: Option<Vec<&'a str>>,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> RegistryObject<'a, 'i> {
    fn of(node: Node<'a, 'i>) -> RegistryObject<'a, 'i> {
        RegistryObject {
            id: node.attribute("id"),
            object_type: node.attribute("objectType"),
            mime_type: node.attribute("mimeType"),
            status: node.attribute("status"),
            slots: slots_of(node),
            classifications: rim_children(node, "Classification")
                .map(|c| Classification::of(c, true))
                .collect(),
            external_ids: rim_children(node, "ExternalIdentifier")
                .map(ExternalId::of)
                .collect(),
            name: localized(node, "Name"),
            description: localized(node, "Description"),
            node,
        }
    }

    /// The slot named `name` (slot names are case-sensitive in ebRIM).
    pub fn slot(&self, name: &str) -> Option<&Slot<'a, 'i>> {
        self.slots.iter().find(|s| s.name == name)
    }

    /// Classifications with this scheme.
    pub fn classified(&self, scheme: &str) -> Vec<&Classification<'a, 'i>> {
        self.classifications
            .iter()
            .filter(|c| c.scheme == Some(scheme))
            .collect()
    }

    /// External identifiers with this scheme.
    pub fn identified(&self, scheme: &str) -> Vec<&ExternalId<'a, 'i>> {
        self.external_ids
            .iter()
            .filter(|e| e.scheme == Some(scheme))
            .collect()
    }

    /// True when a classification of this package has the SubmissionSet node.
    pub fn is_submission_set(&self) -> bool {
        self.classifications
            .iter()
            .any(|c| c.node_id == Some(uuid::SS_NODE))
    }
}

/// A `rim:Association`.
#[derive(Debug, Clone)]
pub struct Association<'a, 'i> {
    /// `@id`.
    pub id: Option<&'a str>,
    /// `@associationType`.
    pub assoc_type: Option<&'a str>,
    /// `@sourceObject`.
    pub source: Option<&'a str>,
    /// `@targetObject`.
    pub target: Option<&'a str>,
    /// Slots (`SubmissionSetStatus`…).
    pub slots: Vec<Slot<'a, 'i>>,
    /// The element.
    pub node: Node<'a, 'i>,
}

impl<'a, 'i> Association<'a, 'i> {
    /// The slot named `name`.
    pub fn slot(&self, name: &str) -> Option<&Slot<'a, 'i>> {
        self.slots.iter().find(|s| s.name == name)
    }
}

/// A parsed `lcm:SubmitObjectsRequest`.
#[derive(Debug, Clone)]
pub struct Submission<'a, 'i> {
    /// The `lcm:SubmitObjectsRequest` element.
    pub request: Node<'a, 'i>,
    /// Its `rim:RegistryObjectList`, when present.
    pub list: Option<Node<'a, 'i>>,
    /// `rim:RegistryPackage` objects, in document order.
    pub packages: Vec<RegistryObject<'a, 'i>>,
    /// `rim:ExtrinsicObject` objects (DocumentEntries), in document order.
    pub entries: Vec<RegistryObject<'a, 'i>>,
    /// `rim:Association` objects.
    pub associations: Vec<Association<'a, 'i>>,
    /// Top-level classifications that name no object of the submission.
    pub orphan_classifications: Vec<Classification<'a, 'i>>,
    /// Top-level external identifiers that name no object of the submission.
    pub orphan_external_ids: Vec<ExternalId<'a, 'i>>,
}

impl<'a, 'i> Submission<'a, 'i> {
    /// Reads the SubmitObjectsRequest `request`.
    pub fn of(request: Node<'a, 'i>) -> Submission<'a, 'i> {
        let list = rim_children(request, "RegistryObjectList").next();
        let mut s = Submission {
            request,
            list,
            packages: Vec::new(),
            entries: Vec::new(),
            associations: Vec::new(),
            orphan_classifications: Vec::new(),
            orphan_external_ids: Vec::new(),
        };
        let Some(list) = list else { return s };
        let mut loose_c = Vec::new();
        let mut loose_e = Vec::new();
        for c in list
            .children()
            .filter(|c| c.is_element() && c.tag_name().namespace() == Some(NS_RIM))
        {
            match c.tag_name().name() {
                "RegistryPackage" => s.packages.push(RegistryObject::of(c)),
                "ExtrinsicObject" => s.entries.push(RegistryObject::of(c)),
                "Association" => s.associations.push(Association {
                    id: c.attribute("id"),
                    assoc_type: c.attribute("associationType"),
                    source: c.attribute("sourceObject"),
                    target: c.attribute("targetObject"),
                    slots: slots_of(c),
                    node: c,
                }),
                "Classification" => loose_c.push(Classification::of(c, false)),
                "ExternalIdentifier" => loose_e.push(ExternalId::of(c)),
                _ => {}
            }
        }
        // Index the objects by id once (a hostile submission may hold many loose items).
        let mut index: std::collections::HashMap<&'a str, (bool, usize)> =
            std::collections::HashMap::new();
        for (i, o) in s.packages.iter().enumerate() {
            if let Some(id) = o.id {
                index.entry(id).or_insert((true, i));
            }
        }
        for (i, o) in s.entries.iter().enumerate() {
            if let Some(id) = o.id {
                index.entry(id).or_insert((false, i));
            }
        }
        let target = |id: Option<&'a str>| id.and_then(|id| index.get(id).copied());
        for c in loose_c {
            match target(c.classified_object) {
                Some((true, i)) => s.packages[i].classifications.push(c),
                Some((false, i)) => s.entries[i].classifications.push(c),
                None => s.orphan_classifications.push(c),
            }
        }
        for e in loose_e {
            match target(e.registry_object) {
                Some((true, i)) => s.packages[i].external_ids.push(e),
                Some((false, i)) => s.entries[i].external_ids.push(e),
                None => s.orphan_external_ids.push(e),
            }
        }
        s
    }

    /// The packages classified as SubmissionSet.
    pub fn submission_sets(&self) -> Vec<&RegistryObject<'a, 'i>> {
        self.packages
            .iter()
            .filter(|p| p.is_submission_set())
            .collect()
    }

    /// `XDSSubmissionSet.uniqueId` of the first SubmissionSet ("" when absent: the metadata checks say so).
    pub fn submission_set_unique_id(&self) -> &'a str {
        self.submission_sets()
            .first()
            .and_then(|s| {
                s.identified(uuid::SS_UNIQUE_ID)
                    .first()
                    .and_then(|x| x.value)
            })
            .unwrap_or("")
    }
}

/// The `lcm:SubmitObjectsRequest` of a document: its root, or the first one inside it (an ITI-41
/// envelope, a ProvideAndRegisterDocumentSetRequest).
pub fn find_request<'a, 'i>(doc: &'a Document<'i>) -> Option<Node<'a, 'i>> {
    let root = doc.root_element();
    if is(root, NS_LCM, "SubmitObjectsRequest") {
        return Some(root);
    }
    root.descendants()
        .find(|n| is(*n, NS_LCM, "SubmitObjectsRequest"))
}

/// What an `xdsb:Document` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocContent {
    /// Inline base64 text (white space not yet removed).
    Inline(String),
    /// An MTOM/XOP reference: the Content-ID named by `xop:Include/@href` (`cid:` removed, URL-decoded).
    Xop(String),
    /// Neither text nor `xop:Include`.
    Empty,
}

/// An `xdsb:Document` of an ITI-41 request.
#[derive(Debug, Clone)]
pub struct XdsbDocument<'a, 'i> {
    /// `@id` (= the ExtrinsicObject id).
    pub id: Option<&'a str>,
    /// Inline bytes or XOP reference.
    pub content: DocContent,
    /// The element.
    pub node: Node<'a, 'i>,
}

/// The `xdsb:ProvideAndRegisterDocumentSetRequest` of a document (root or inside a SOAP envelope).
pub fn find_provide_and_register<'a, 'i>(doc: &'a Document<'i>) -> Option<Node<'a, 'i>> {
    doc.root_element()
        .descendants()
        .find(|n| is(*n, NS_XDSB, "ProvideAndRegisterDocumentSetRequest"))
}

/// The `xdsb:Document` children of a ProvideAndRegisterDocumentSetRequest.
pub fn documents<'a, 'i>(request: Node<'a, 'i>) -> Vec<XdsbDocument<'a, 'i>> {
    request
        .children()
        .filter(|c| is(*c, NS_XDSB, "Document"))
        .map(|d| {
            let include = d.children().find(|c| is(*c, NS_XOP, "Include"));
            let content = match include {
                Some(inc) => {
                    let href = inc.attribute("href").unwrap_or("");
                    let cid = href.strip_prefix("cid:").unwrap_or(href);
                    DocContent::Xop(percent_decode(cid))
                }
                None => {
                    let t = text(d);
                    if t.trim().is_empty() {
                        DocContent::Empty
                    } else {
                        DocContent::Inline(t)
                    }
                }
            };
            XdsbDocument {
                id: d.attribute("id"),
                content,
                node: d,
            }
        })
        .collect()
}

/// Decodes `%XX` escapes (a cid URL, RFC 2392); invalid escapes are kept as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes inline base64 content (white space ignored).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

/// A header field `Name: value` (name as written, value unfolded and trimmed).
pub type Header = (String, String);

/// One part of a `multipart/related` body.
#[derive(Debug, Clone)]
pub struct Part<'b> {
    /// 1-based index in the capture.
    pub index: usize,
    /// Part headers.
    pub headers: Vec<Header>,
    /// The body bytes as transmitted (before any Content-Transfer-Encoding decoding).
    pub body: &'b [u8],
    /// Byte offset of the body in the capture.
    pub offset: usize,
}

impl Part<'_> {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// `Content-ID` without its angle brackets.
    pub fn content_id(&self) -> Option<String> {
        self.header("content-id")
            .map(|v| strip_angle(v).to_string())
    }

    /// Media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The body after Content-Transfer-Encoding decoding (`base64`; others are identity).
    pub fn decoded(&self) -> Result<std::borrow::Cow<'_, [u8]>, base64::DecodeError> {
        match self
            .header("content-transfer-encoding")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            Some(e) if e == "base64" => {
                decode_base64(&String::from_utf8_lossy(self.body)).map(std::borrow::Cow::Owned)
            }
            _ => Ok(std::borrow::Cow::Borrowed(self.body)),
        }
    }

    /// A short name for locations: `part 2 (<cid>)`.
    pub fn label(&self) -> String {
        match self.content_id() {
            Some(c) => format!("part {} <{c}>", self.index),
            None => format!("part {}", self.index),
        }
    }
}

fn strip_angle(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('<')
        .and_then(|x| x.strip_suffix('>'))
        .unwrap_or(v)
}

fn header<'h>(headers: &'h [Header], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parameter of a header value (`boundary`, `start`…), unquoted.
pub fn header_param(value: &str, param: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(param) {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v)
                .to_string(),
        )
    })
}

/// A capture of an ITI-41 request as `validate` receives it.
#[derive(Debug, Clone)]
pub enum Capture<'b> {
    /// A SOAP envelope (plain XML), possibly after HTTP headers.
    Xml {
        /// HTTP headers, when the capture starts with them.
        headers: Vec<Header>,
        /// The XML bytes.
        body: &'b [u8],
        /// Offset of the body in the capture.
        offset: usize,
    },
    /// An MTOM/XOP `multipart/related` message.
    Mtom {
        /// HTTP headers, when the capture starts with them.
        headers: Vec<Header>,
        /// The MIME boundary.
        boundary: String,
        /// The `start` parameter (root part Content-ID), without angle brackets.
        start: Option<String>,
        /// The parts, in order.
        parts: Vec<Part<'b>>,
        /// False when the closing delimiter `--boundary--` is missing.
        terminated: bool,
    },
}

impl<'b> Capture<'b> {
    /// The part holding the SOAP envelope: the `start` part, else the first one (MTOM); the body (XML).
    pub fn root(&self) -> Option<(&'b [u8], usize, Option<&Part<'b>>)> {
        match self {
            Capture::Xml { body, offset, .. } => Some((body, *offset, None)),
            Capture::Mtom { start, parts, .. } => {
                let p = start
                    .as_ref()
                    .and_then(|s| {
                        parts
                            .iter()
                            .find(|p| p.content_id().as_deref() == Some(s.as_str()))
                    })
                    .or(parts.first())?;
                Some((p.body, p.offset, Some(p)))
            }
        }
    }

    /// The MTOM part whose Content-ID is `cid`.
    pub fn part(&self, cid: &str) -> Option<&Part<'b>> {
        match self {
            Capture::Mtom { parts, .. } => parts
                .iter()
                .find(|p| p.content_id().as_deref() == Some(cid)),
            Capture::Xml { .. } => None,
        }
    }
}

/// Why a capture could not be split into parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The capture exceeds [`Limits::max_mime_bytes`].
    #[error("capture too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// More parts than [`Limits::max_mime_parts`].
    #[error("more than {limit} MIME parts")]
    TooManyParts {
        /// Limit.
        limit: usize,
    },
    /// `multipart/related` without a usable `boundary` parameter.
    #[error("multipart/related without a boundary parameter")]
    NoBoundary,
    /// The boundary delimiter never occurs in the body.
    #[error("the MIME boundary \"{0}\" never occurs in the body")]
    BoundaryNotFound(String),
    /// HTTP-like headers not followed by a blank line.
    #[error("header block not terminated by an empty line")]
    UnterminatedHeaders,
}

/// Reads a capture: bytes starting with XML (`<`, after an optional BOM and white space), with a MIME
/// boundary line (`--…`), or with HTTP-like headers (an optional request/status line, then header
/// fields, a blank line and the body).
pub fn parse_capture<'b>(bytes: &'b [u8], limits: &Limits) -> Result<Capture<'b>, CaptureError> {
    if bytes.len() > limits.max_mime_bytes {
        return Err(CaptureError::TooLarge {
            size: bytes.len(),
            limit: limits.max_mime_bytes,
        });
    }
    let lead = bytes
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[lead..];
    if rest.starts_with(b"<")
        || rest.starts_with(b"\xEF\xBB\xBF")
        || bytes.starts_with(b"\xEF\xBB\xBF")
    {
        return Ok(Capture::Xml {
            headers: Vec::new(),
            body: bytes,
            offset: 0,
        });
    }
    if rest.starts_with(b"--") {
        let line_end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        let boundary = String::from_utf8_lossy(&rest[2..line_end])
            .trim_end()
            .to_string();
        if boundary.is_empty() {
            return Err(CaptureError::NoBoundary);
        }
        return multipart(bytes, lead, Vec::new(), boundary, None, limits);
    }
    // HTTP-like headers.
    let (headers, body_at) =
        read_headers(bytes, 0, true).ok_or(CaptureError::UnterminatedHeaders)?;
    let ct = header(&headers, "content-type").unwrap_or("").to_string();
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media.starts_with("multipart/") {
        let boundary = header_param(&ct, "boundary")
            .filter(|b| !b.is_empty())
            .ok_or(CaptureError::NoBoundary)?;
        let start = header_param(&ct, "start").map(|s| strip_angle(&s).to_string());
        return multipart(bytes, body_at, headers, boundary, start, limits);
    }
    Ok(Capture::Xml {
        headers,
        body: &bytes[body_at..],
        offset: body_at,
    })
}

/// Reads header lines from `at` until an empty line; returns them and the offset after the empty line.
/// With `request_line`, a first line without a colon (`POST /x HTTP/1.1`) is skipped.
fn read_headers(bytes: &[u8], at: usize, request_line: bool) -> Option<(Vec<Header>, usize)> {
    let mut headers: Vec<Header> = Vec::new();
    let mut i = at;
    let mut first = true;
    loop {
        let end = bytes[i..].iter().position(|&c| c == b'\n').map(|p| i + p)?;
        let line = &bytes[i..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let next = end + 1;
        if line.is_empty() {
            return Some((headers, next));
        }
        let text = String::from_utf8_lossy(line);
        if (text.starts_with(' ') || text.starts_with('\t')) && !headers.is_empty() {
            if let Some(h) = headers.last_mut() {
                h.1.push(' ');
                h.1.push_str(text.trim());
            }
        } else if let Some((n, v)) = text.split_once(':').filter(|(n, _)| !n.contains(' ')) {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        } else if !(first && request_line) {
            return None;
        }
        first = false;
        i = next;
        if i >= bytes.len() {
            return None;
        }
    }
}

/// Finds `needle` in `hay` from `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    // Scan for the first byte, then compare: a memcmp at every position made this the hot spot of a
    // 50 KB MTOM request.
    let first = needle[0];
    let mut i = from;
    while let Some(p) = hay.get(i..)?.iter().position(|&b| b == first) {
        let at = i + p;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Splits a multipart body (RFC 2046 §5.1.1) starting at `at`.
fn multipart<'b>(
    bytes: &'b [u8],
    at: usize,
    headers: Vec<Header>,
    boundary: String,
    start: Option<String>,
    limits: &Limits,
) -> Result<Capture<'b>, CaptureError> {
    let delim = format!("--{boundary}").into_bytes();
    // The first delimiter: at the start of the body or at the start of a line.
    let mut pos = if bytes[at..].starts_with(&delim) {
        at
    } else {
        let mut nl = delim.clone();
        nl.insert(0, b'\n');
        find(bytes, &nl, at)
            .map(|p| p + 1)
            .ok_or_else(|| CaptureError::BoundaryNotFound(boundary.clone()))?
    };
    let mut nl_delim = delim.clone();
    nl_delim.insert(0, b'\n');
    let mut parts = Vec::new();
    let mut terminated = false;
    loop {
        let after = pos + delim.len();
        if bytes.get(after..after + 2) == Some(b"--") {
            terminated = true;
            break;
        }
        // Skip transport padding up to the end of the delimiter line.
        let Some(line_end) = bytes[after..]
            .iter()
            .position(|&c| c == b'\n')
            .map(|p| after + p + 1)
        else {
            break;
        };
        let next = find(bytes, &nl_delim, line_end);
        let end = next.map_or(bytes.len(), |n| {
            if n > line_end && bytes[n - 1] == b'\r' {
                n - 1
            } else {
                n
            }
        });
        if parts.len() >= limits.max_mime_parts {
            return Err(CaptureError::TooManyParts {
                limit: limits.max_mime_parts,
            });
        }
        let region = &bytes[line_end..end.max(line_end)];
        let (headers, body_rel) = match read_headers(region, 0, false) {
            Some((h, b)) => (h, b),
            None => (Vec::new(), 0),
        };
        parts.push(Part {
            index: parts.len() + 1,
            headers,
            body: &region[body_rel.min(region.len())..],
            offset: line_end + body_rel,
        });
        match next {
            Some(n) => pos = n + 1,
            None => break,
        }
    }
    Ok(Capture::Mtom {
        headers,
        boundary,
        start,
        parts,
        terminated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MTOM: &[u8] = b"--MIMEBoundary_1\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <0.root@example.org>\r\n\r\n<env/>\r\n--MIMEBoundary_1\r\nContent-Type: text/xml\r\nContent-ID: <1.doc@example.org>\r\n\r\n<doc>\r\n--x</doc>\r\n--MIMEBoundary_1--\r\n";

    #[test]
    fn mtom_capture_from_its_boundary_line() {
        let c = parse_capture(MTOM, &Limits::default()).unwrap();
        let Capture::Mtom {
            parts,
            terminated,
            boundary,
            ..
        } = &c
        else {
            panic!("not mtom")
        };
        assert_eq!(boundary, "MIMEBoundary_1");
        assert!(terminated);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"<env/>");
        assert_eq!(parts[1].body, b"<doc>\r\n--x</doc>");
        assert_eq!(&MTOM[parts[1].offset..parts[1].offset + 5], b"<doc>");
        assert_eq!(c.part("1.doc@example.org").map(|p| p.index), Some(2));
        assert_eq!(c.root().map(|r| r.0), Some(&b"<env/>"[..]));
    }

    #[test]
    fn http_headers_then_multipart() {
        let mut cap = b"POST /repository HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; type=\"application/xop+xml\"; boundary=\"MIMEBoundary_1\"; start=\"<1.doc@example.org>\"\r\n\r\n".to_vec();
        cap.extend_from_slice(MTOM);
        let c = parse_capture(&cap, &Limits::default()).unwrap();
        assert_eq!(c.root().and_then(|r| r.2).map(|p| p.index), Some(2));
    }

    #[test]
    fn plain_and_bad_captures() {
        assert!(matches!(
            parse_capture(b"  <x/>", &Limits::default()),
            Ok(Capture::Xml { .. })
        ));
        let h = b"Content-Type: application/soap+xml\r\n\r\n<x/>";
        let Ok(Capture::Xml { body, offset, .. }) = parse_capture(h, &Limits::default()) else {
            panic!()
        };
        assert_eq!((body, offset), (&b"<x/>"[..], 38));
        assert_eq!(
            parse_capture(
                b"Content-Type: multipart/related\r\n\r\n--a\r\n",
                &Limits::default()
            )
            .unwrap_err(),
            CaptureError::NoBoundary
        );
        assert_eq!(
            parse_capture(b"Content-Type: text/xml\r\n", &Limits::default()).unwrap_err(),
            CaptureError::UnterminatedHeaders
        );
        let lim = Limits {
            max_mime_parts: 1,
            ..Limits::default()
        };
        assert_eq!(
            parse_capture(MTOM, &lim).unwrap_err(),
            CaptureError::TooManyParts { limit: 1 }
        );
        // Unterminated: the last part runs to the end.
        let c = parse_capture(b"--b\r\n\r\nabc", &Limits::default()).unwrap();
        let Capture::Mtom {
            parts, terminated, ..
        } = c
        else {
            panic!()
        };
        assert!(!terminated);
        assert_eq!(parts[0].body, b"abc");
        // Never panics on truncated input.
        for i in 0..MTOM.len() {
            let _ = parse_capture(&MTOM[..i], &Limits::default());
        }
    }

    #[test]
    fn submission_view_attaches_loose_items() {
        let xml = r#"<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>
            <rim:RegistryPackage id="SS"><rim:Slot name="submissionTime"><rim:ValueList><rim:Value> 20240101 </rim:Value></rim:ValueList></rim:Slot></rim:RegistryPackage>
            <rim:Classification id="c" classifiedObject="SS" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
            <rim:ExtrinsicObject id="D" mimeType="text/xml"><rim:Name><rim:LocalizedString value="T"/></rim:Name></rim:ExtrinsicObject>
            <rim:ExternalIdentifier registryObject="X" identificationScheme="u" value="v"/>
            <rim:Association associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SS" targetObject="D"/>
            </rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#;
        let doc = Document::parse(xml).unwrap();
        let s = Submission::of(find_request(&doc).unwrap());
        assert_eq!(s.submission_sets().len(), 1);
        assert_eq!(
            s.packages[0].slot("submissionTime").and_then(|x| x.first()),
            Some("20240101")
        );
        assert_eq!(s.entries[0].name, Some(vec!["T"]));
        assert_eq!(s.orphan_external_ids.len(), 1);
        assert_eq!(s.associations[0].target, Some("D"));
    }

    #[test]
    fn xdsb_documents() {
        let xml = r#"<x:ProvideAndRegisterDocumentSetRequest xmlns:x="urn:ihe:iti:xds-b:2007" xmlns:xop="http://www.w3.org/2004/08/xop/include"><x:Document id="a">PGEvPg==
            </x:Document><x:Document id="b"><xop:Include href="cid:1.urn%3Auuid%3Aabc%40x"/></x:Document><x:Document id="c"/></x:ProvideAndRegisterDocumentSetRequest>"#;
        let doc = Document::parse(xml).unwrap();
        let d = documents(find_provide_and_register(&doc).unwrap());
        assert_eq!(d.len(), 3);
        let DocContent::Inline(t) = &d[0].content else {
            panic!()
        };
        assert_eq!(decode_base64(t).unwrap(), b"<a/>");
        assert_eq!(d[1].content, DocContent::Xop("1.urn:uuid:abc@x".into()));
        assert_eq!(d[2].content, DocContent::Empty);
    }
}
