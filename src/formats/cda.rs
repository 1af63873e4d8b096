//! A read-only view of a CDA R2 document (header and level-1 body) over a roxmltree tree.
//!
//! The view does not copy the document: accessors walk the tree on demand and return nodes, so a check
//! can always locate what it reports. Namespace-aware: only elements in `urn:hl7-org:v3` (or
//! `urn:hl7-org:sdtc` for the `sdtc:` helpers) are matched; comments never count as elements
//! (C-11: a templateId inside a comment is not a templateId).

use roxmltree::{Document, Node};

use super::xml::{XmlText, NS_HL7, NS_SDTC};

/// INS assigning-authority OIDs (INS-010): INS-NIR, INS-NIA, INS-NIR de test, INS-NIR de démonstration.
pub const INS_OIDS: &[&str] = &[
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];
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
        Coded {
            code: node.attribute("code"),
            system: node.attribute("codeSystem"),
            display: node.attribute("displayName"),
            node,
        }
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
        InstanceId {
            root: node.attribute("root"),
            extension: node.attribute("extension"),
            node,
        }
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
pub fn sdtc_children<'a, 'i>(
    n: Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(NS_SDTC)
    })
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
        children(self.root, "templateId")
            .map(InstanceId::of)
            .collect()
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
        self.header("effectiveTime")
            .and_then(|n| n.attribute("value"))
    }

    /// `confidentialityCode`.
    pub fn confidentiality(&self) -> Option<Coded<'a, 'i>> {
        self.header("confidentialityCode").map(Coded::of)
    }

    /// `languageCode/@code`.
    pub fn language(&self) -> Option<&'a str> {
        self.header("languageCode")
            .and_then(|n| n.attribute("code"))
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
        self.patient_role()
            .map(|p| children(p, "id").map(InstanceId::of).collect())
            .unwrap_or_default()
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
        let get = |n: &str| {
            et.and_then(|e| e.children().find(|c| is_hl7(*c, n)))
                .and_then(|c| c.attribute("value"))
        };
        (get("low"), get("high"))
    }

    /// `componentOf/encompassingEncounter/location/healthCareFacility/code`.
    pub fn facility_type(&self) -> Option<Coded<'a, 'i>> {
        path(
            self.root,
            &[
                "componentOf",
                "encompassingEncounter",
                "location",
                "healthCareFacility",
                "code",
            ],
        )
        .map(Coded::of)
    }

    /// `documentationOf[1]/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode`.
    pub fn practice_setting(&self) -> Option<Coded<'a, 'i>> {
        self.service_event()
            .and_then(|s| {
                path(
                    s,
                    &[
                        "performer",
                        "assignedEntity",
                        "representedOrganization",
                        "standardIndustryClassCode",
                    ],
                )
            })
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
        self.structured_body()
            .map(|b| path_all(b, &["component", "section"]))
            .unwrap_or_default()
    }
}

/// HL7 child elements of `n` named `name` without `@nullFlavor` ("non-null" in the schematrons).
pub fn non_null_children<'a, 'i>(
    n: Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    children(n, name).filter(|c| !is_null(*c))
}

/// True for an OID as the CI-SIS schematrons test it: `^[0-2](\.(0|[1-9]\d*))*$`.
pub fn is_oid(s: &str) -> bool {
    let mut arcs = s.split('.');
    if !matches!(arcs.next(), Some("0" | "1" | "2")) {
        return false;
    }
    arcs.all(|a| {
        a == "0"
            || (a.starts_with(|c: char| matches!(c, '1'..='9'))
                && a.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// True for a UUID in its textual form (`8-4-4-4-12` hexadecimal digits, either case).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// True for an HL7 RUID: `^[A-Za-z][A-Za-z\d\-]*$`.
pub fn is_ruid(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// True for an HL7 `uid` (II/@root): OID, UUID or RUID, as the Structuration minimale schematron tests it.
pub fn is_uid(s: &str) -> bool {
    is_oid(s) || is_uuid(s) || is_ruid(s)
}

/// True for a timestamp as the Structuration minimale schematron tests it: `^[0-9]{4,14}`, anchored at
/// the start only, so that a fraction or a UTC offset may follow (`20260315101500+0100`).
pub fn is_ts(s: &str) -> bool {
    s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
}

/// Why a base64 text could not be decoded ([`decode_base64`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// A character outside the RFC 4648 alphabet, white space and `=`.
    InvalidChar {
        /// The character.
        ch: char,
        /// Its byte offset in the concatenated text.
        offset: usize,
    },
    /// `=` where padding cannot be, or data after the padding.
    BadPadding {
        /// Byte offset of the offending character in the concatenated text.
        offset: usize,
    },
    /// The number of base64 characters is not a multiple of 4 (truncated or unpadded text).
    Truncated {
        /// Number of base64 characters (white space excluded).
        chars: usize,
    },
}

/// Base64 classes of every byte: a sextet value (0…63), or one of the markers below.
const B64_INVALID: u8 = 0xFF;
const B64_SPACE: u8 = 0xFE;
const B64_PAD: u8 = 0xFD;
const B64_TABLE: [u8; 256] = {
    let mut t = [B64_INVALID; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b' ' as usize] = B64_SPACE;
    t[b'\t' as usize] = B64_SPACE;
    t[b'\r' as usize] = B64_SPACE;
    t[b'\n' as usize] = B64_SPACE;
    t[b'=' as usize] = B64_PAD;
    t
};

/// Decodes base64 text (RFC 4648 alphabet, padded, white space and line breaks ignored) given as pieces,
/// handing the bytes to `out` in chunks of at most `chunk` bytes, so that the decoded content is never held
/// whole. `out` returns `false` to stop early (then `Ok` is returned with the bytes decoded so far).
///
/// Whole quanta of four alphabet characters take a fast path (a table lookup each, one branch); white
/// space, padding and errors take the careful one.
///
/// # Returns
/// The number of decoded bytes, or the first error with its byte offset in the concatenated pieces.
pub fn decode_base64<'t>(
    pieces: impl IntoIterator<Item = &'t str>,
    chunk: usize,
    mut out: impl FnMut(&[u8]) -> bool,
) -> Result<usize, Base64Error> {
    let chunk = chunk.max(3);
    let mut buf = vec![0u8; chunk + 3];
    let mut len = 0usize; // bytes in `buf`
    let (mut acc, mut n, mut pads, mut chars, mut total, mut base) =
        (0u32, 0u8, 0u8, 0usize, 0usize, 0usize);
    for piece in pieces {
        let bytes = piece.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if n == 0 && pads == 0 {
                if let Some(q) = bytes.get(i..i + 4) {
                    let (a, b, c, d) = (
                        B64_TABLE[usize::from(q[0])],
                        B64_TABLE[usize::from(q[1])],
                        B64_TABLE[usize::from(q[2])],
                        B64_TABLE[usize::from(q[3])],
                    );
                    if (a | b | c | d) < 64 {
                        let v = (u32::from(a) << 18)
                            | (u32::from(b) << 12)
                            | (u32::from(c) << 6)
                            | u32::from(d);
                        buf[len..len + 3].copy_from_slice(&v.to_be_bytes()[1..]);
                        len += 3;
                        chars += 4;
                        i += 4;
                        if len >= chunk {
                            total += len;
                            if !out(&buf[..len]) {
                                return Ok(total);
                            }
                            len = 0;
                        }
                        continue;
                    }
                }
            }
            let offset = base + i;
            let byte = bytes[i];
            i += 1;
            match B64_TABLE[usize::from(byte)] {
                B64_SPACE => {}
                B64_PAD => {
                    // Padding completes a quantum of 2 or 3 characters; a second `=` only after `xx=`.
                    let ok = (pads == 0 && n >= 2) || (pads == 1 && n == 3);
                    if !ok {
                        return Err(Base64Error::BadPadding { offset });
                    }
                    pads += 1;
                    acc <<= 6;
                    n += 1;
                    chars += 1;
                    if n == 4 {
                        let keep = if pads == 1 { 2 } else { 1 };
                        buf[len..len + keep].copy_from_slice(&acc.to_be_bytes()[1..1 + keep]);
                        len += keep;
                        n = 0;
                        acc = 0;
                        pads = 3; // the text must end here
                    }
                }
                B64_INVALID => {
                    let ch = piece
                        .get(offset - base..)
                        .and_then(|r| r.chars().next())
                        .unwrap_or('\u{fffd}');
                    return Err(Base64Error::InvalidChar { ch, offset });
                }
                v => {
                    if pads > 0 {
                        return Err(Base64Error::BadPadding { offset });
                    }
                    acc = (acc << 6) | u32::from(v);
                    n += 1;
                    chars += 1;
                    if n == 4 {
                        buf[len..len + 3].copy_from_slice(&acc.to_be_bytes()[1..]);
                        len += 3;
                        n = 0;
                        acc = 0;
                        if len >= chunk {
                            total += len;
                            if !out(&buf[..len]) {
                                return Ok(total);
                            }
                            len = 0;
                        }
                    }
                }
            }
        }
        base += piece.len();
    }
    if n != 0 {
        return Err(Base64Error::Truncated { chars });
    }
    if len > 0 {
        total += len;
        out(&buf[..len]);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_follows_the_schematron_pattern() {
        for ok in [
            "1.2.250.1.213.1.1.1.1",
            "2.16.840.1.113883.1.3",
            "0",
            "1.0.3",
            "2",
        ] {
            assert!(is_oid(ok), "{ok}");
        }
        for bad in [
            "", "3.1", "1.02", "1..2", "1.2.", ".1", "12.3", "1.2a", "1.2 ", " 1.2", "１.2",
        ] {
            assert!(!is_oid(bad), "{bad}");
        }
    }

    #[test]
    fn uid_accepts_oid_uuid_and_ruid_only() {
        assert!(is_uid("1.2.250.1.213.4.99.1"));
        assert!(is_uid("f47ac10b-58cc-4372-A567-0e02b2c3d479"));
        assert!(is_uid("RUID-x1"));
        assert!(!is_uid("147ac10b-58cc-4372-a567-0e02b2c3d47")); // short last group, digit first: not a RUID
        assert!(is_uid("f47ac10b-58cc-4372-a567-0e02b2c3d47")); // letter first: a RUID
        assert!(!is_uid("1.2.250.01"));
        assert!(!is_uid("urn:oid:1.2.3"));
        assert!(!is_uid(""));
        assert!(!is_uid("ABC_DEF"));
    }

    #[test]
    fn ts_is_start_anchored_like_the_schematron() {
        for ok in [
            "2026",
            "20260315",
            "20260315101500+0100",
            "20260315101500.123-0500",
            "2026-03-15",
        ] {
            assert!(is_ts(ok), "{ok}");
        }
        for bad in ["", "202", "x2026", " 2026", "20a6"] {
            assert!(!is_ts(bad), "{bad}");
        }
    }

    fn decode_all(pieces: &[&str]) -> Result<Vec<u8>, Base64Error> {
        let mut v = Vec::new();
        decode_base64(pieces.iter().copied(), 4, |c| {
            v.extend_from_slice(c);
            true
        })
        .map(|n| {
            assert_eq!(n, v.len());
            v
        })
    }

    #[test]
    fn base64_decodes_across_pieces_and_white_space() {
        assert_eq!(decode_all(&["JVBE", "Ri0x\n LjQK"]).unwrap(), b"%PDF-1.4\n");
        assert_eq!(decode_all(&["SGVsbG8="]).unwrap(), b"Hello");
        assert_eq!(decode_all(&["SGVsbA=", "=\r\n"]).unwrap(), b"Hell");
        assert_eq!(decode_all(&["", "  \n"]).unwrap(), b"");
    }

    #[test]
    fn base64_errors_carry_their_offset() {
        assert_eq!(
            decode_all(&["SGV*"]),
            Err(Base64Error::InvalidChar { ch: '*', offset: 3 })
        );
        assert_eq!(
            decode_all(&["SGVs", "bé=="]),
            Err(Base64Error::InvalidChar {
                ch: 'é', offset: 5
            })
        );
        assert_eq!(
            decode_all(&["S==="]),
            Err(Base64Error::BadPadding { offset: 1 })
        );
        assert_eq!(
            decode_all(&["SG==SGVs"]),
            Err(Base64Error::BadPadding { offset: 4 })
        );
        assert_eq!(
            decode_all(&["SGVsb"]),
            Err(Base64Error::Truncated { chars: 5 })
        );
        assert_eq!(
            decode_all(&["SGVsbG8"]),
            Err(Base64Error::Truncated { chars: 7 })
        );
    }

    #[test]
    fn base64_stops_when_asked() {
        let mut seen = 0;
        let n = decode_base64(["QUJDREVGR0hJSktM"], 3, |c| {
            seen += c.len();
            false
        })
        .unwrap();
        assert_eq!((n, seen), (3, 3));
    }
}
