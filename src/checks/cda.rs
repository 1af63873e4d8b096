//! CDA R2 checks: well-formedness and encoding (CDA-WF), Structuration minimale header (CDA-HDR),
//! body (CDA-BODY) and level 1 (CDA-N1).
//!
//! Source of the header rules: the Structuration minimale schematron of the ANS kit (SMIN,
//! `1.2.250.1.213.1.1.1.1-2017-12-13T103531.sch`); see `shared/domain/cda.md`. "Non-null" means "without
//! `@nullFlavor`", as in the schematron; every count is a count of element nodes (C-11: a comment never
//! counts). The header is read once into a [`Header`] (direct children of `ClinicalDocument` grouped by
//! name); the body is only touched for its top element and, for a level-1 document, its base64 text, which
//! is decoded in chunks and never held whole.

use std::collections::HashMap;

use roxmltree::Node;

use super::{CheckInfo, Sink};
use crate::catalogue;
use crate::formats::cda::{
    children, decode_base64, is_hl7, is_null, is_oid, is_ts, is_uid, non_null_children,
    sdtc_children, Base64Error, Cda,
};
use crate::formats::xml::{node_path, XmlError, XmlText};
use crate::model::Location;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "cda::wellformed",
        rules: &[
            "CDA-WF-010",
            "CDA-WF-011",
            "CDA-WF-012",
            "CDA-WF-013",
            "CDA-WF-014",
            "CDA-WF-015",
        ],
    },
    CheckInfo {
        name: "cda::header::identity",
        rules: &[
            "CDA-HDR-010",
            "CDA-HDR-011",
            "CDA-HDR-012",
            "CDA-HDR-013",
            "CDA-HDR-020",
            "CDA-HDR-021",
            "CDA-HDR-022",
            "CDA-HDR-023",
            "CDA-HDR-024",
            "CDA-HDR-025",
            "CDA-HDR-026",
            "CDA-HDR-027",
            "CDA-HDR-028",
            "CDA-HDR-029",
        ],
    },
    CheckInfo {
        name: "cda::header::record_target",
        rules: &[
            "CDA-HDR-030",
            "CDA-HDR-031",
            "CDA-HDR-032",
            "CDA-HDR-033",
            "CDA-HDR-034",
        ],
    },
    CheckInfo {
        name: "cda::header::author",
        rules: &["CDA-HDR-040", "CDA-HDR-041", "CDA-HDR-042"],
    },
    CheckInfo {
        name: "cda::header::custodian",
        rules: &["CDA-HDR-050"],
    },
    CheckInfo {
        name: "cda::header::legal_authenticator",
        rules: &["CDA-HDR-060"],
    },
    CheckInfo {
        name: "cda::header::documentation_of",
        rules: &["CDA-HDR-070", "CDA-HDR-071"],
    },
    CheckInfo {
        name: "cda::header::component_of",
        rules: &["CDA-HDR-080", "CDA-HDR-081"],
    },
    CheckInfo {
        name: "cda::header::related_document",
        rules: &["CDA-HDR-090"],
    },
    CheckInfo {
        name: "cda::body",
        rules: &["CDA-BODY-010", "CDA-BODY-012"],
    },
    // CDA-BODY-011 is judged by the official kit's XSD (`validate --kit`, src/validate/mod.rs
    // `xsd_verdict`), which only an `xsd` build has; elsewhere it is reported "non vérifié".
    #[cfg(feature = "xsd")]
    CheckInfo {
        name: "validate::xsd_verdict (--kit)",
        rules: &["CDA-BODY-011"],
    },
    CheckInfo {
        name: "cda::n1",
        rules: &[
            "CDA-N1-010",
            "CDA-N1-011",
            "CDA-N1-012",
            "CDA-N1-013",
            "CDA-N1-014",
        ],
    },
];

/// CDA-WF-010/012: the bytes could not be decoded or parsed. Nothing else is checked on the artifact.
pub fn not_wellformed(e: &XmlError, sink: &mut Sink) {
    let loc = Location {
        line: e.position().map(|p| p.0),
        column: e.position().map(|p| p.1),
        offset: e.offset(),
        ..Location::default()
    };
    if e.is_encoding() {
        sink.check("CDA-WF-010");
        sink.violation(
            "CDA-WF-012",
            loc,
            msg!(
                "Encodage incohérent avec les octets : {e}",
                "Encoding does not match the bytes: {e}"
            ),
        );
    } else {
        sink.violation(
            "CDA-WF-010",
            loc,
            msg!("XML mal formé : {e}", "XML not well-formed: {e}"),
        );
    }
}

/// CDA-WF-012…015 on a document that decoded and parsed.
pub fn encoding(text: &XmlText<'_>, sink: &mut Sink) {
    sink.check("CDA-WF-010");
    sink.check("CDA-WF-012");
    sink.check("CDA-WF-013");
    match text.declared_encoding.as_deref() {
        Some(e) if !e.eq_ignore_ascii_case("utf-8") => {
            sink.violation(
                "CDA-WF-013",
                Location { line: Some(1), column: Some(1), ..Location::default() },
                msg!(
                    "Le document est encodé en {e} ; tous les documents CI-SIS sont en UTF-8 : déclarer encoding=\"UTF-8\" et produire de l'UTF-8",
                    "The document is encoded in {e}; every CI-SIS document is UTF-8: declare encoding=\"UTF-8\" and produce UTF-8"
                ),
            );
        }
        None if text
            .bom
            .is_some_and(|b| b != crate::formats::xml::Bom::Utf8) =>
        {
            sink.violation(
                "CDA-WF-013",
                Location {
                    line: Some(1),
                    column: Some(1),
                    ..Location::default()
                },
                msg!(
                    "Le document est encodé en UTF-16 (BOM) ; préférer UTF-8",
                    "The document is UTF-16 (BOM); UTF-8 is expected"
                ),
            );
        }
        _ => {}
    }
    if text.bom == Some(crate::formats::xml::Bom::Utf8) {
        sink.info(
            "CDA-WF-014",
            Location { line: Some(1), column: Some(1), offset: Some(0), ..Location::default() },
            msg!(
                "BOM UTF-8 présent (EF BB BF) : accepté ; il compte dans le hash et la taille XDS",
                "UTF-8 byte-order mark present (EF BB BF): accepted; it counts in the XDS hash and size"
            ),
        );
    }
    sink.check("CDA-WF-015");
    if let Some(r) = &text.doctype {
        let line = text.text[..r.start].matches('\n').count() as u32 + 1;
        sink.violation(
            "CDA-WF-015",
            Location { line: Some(line), column: Some(1), offset: Some(r.start + text.base_offset), ..Location::default() },
            msg!(
                "Déclaration <!DOCTYPE> présente : ignorée et jamais interprétée (pas d'entités) ; la supprimer",
                "<!DOCTYPE> declaration present: ignored, never processed (no entities); remove it"
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Shared vocabulary of the header checks
// ---------------------------------------------------------------------------------------------------------

/// templateId of the HL7 France realm.
const TPL_HL7_FR: &str = "2.16.840.1.113883.2.8.2.1";
/// templateId of the CI-SIS (Structuration minimale).
const TPL_CISIS: &str = "1.2.250.1.213.1.1.1.1";
/// templateId of IHE XDS-SD (level-1 documents).
const TPL_XDS_SD: &str = "1.3.6.1.4.1.19376.1.2.20";
/// CDA R2 typeId.
const TYPE_ID: (&str, &str) = ("2.16.840.1.113883.1.3", "POCD_HD000040");
/// HL7 Confidentiality code system, and the codes of HL7 value set 2.16.840.1.113883.1.11.10228 used here.
const CONFIDENTIALITY: (&str, &[&str]) = ("2.16.840.1.113883.5.25", &["N", "R", "V"]);
/// Roots admitted for the custodian organisation (SMIN CI-SISCustodian).
const CUSTODIAN_ROOTS: &[&str] = &["1.2.250.1.71.4.2.2", "1.2.250.1.213.4.1"];
/// Media types of XDS-SD (CDA-N1-013) with their formatCode.
const N1_MEDIA_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "urn:ihe:iti:xds-sd:pdf:2008"),
    ("text/plain", "urn:ihe:iti:xds-sd:text:2008"),
    ("image/jpeg", "urn:ihe:iti-fr:xds-sd:jpeg:2010"),
    ("image/tiff", "urn:ihe:iti-fr:xds-sd:tiff:2010"),
    ("text/rtf", "urn:ihe:iti-fr:xds-sd:rtf:2010"),
];
/// Decoded bytes handed over at a time by the level-1 decoder.
const N1_CHUNK: usize = 48 * 1024;

/// A cardinality as the schematron states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    /// `[1..1]`.
    One,
    /// `[1..*]`.
    AtLeastOne,
    /// `[0..1]`.
    AtMostOne,
}

impl Card {
    fn holds(self, n: usize) -> bool {
        match self {
            Card::One => n == 1,
            Card::AtLeastOne => n >= 1,
            Card::AtMostOne => n <= 1,
        }
    }

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Card::One => ("exactement 1", "exactly 1"),
            Card::AtLeastOne => ("au moins 1", "at least 1"),
            Card::AtMostOne => ("au plus 1", "at most 1"),
        }
    }
}

/// Local name of an element, for messages.
fn name_of<'a>(n: Node<'a, '_>) -> &'a str {
    n.tag_name().name()
}

/// Checks the number of `found` nodes (children of `parent` described by the XPath-like `what`) against
/// `card`; reports `rule` at `parent` when some are missing, at the first extra one otherwise.
fn cardinality(
    sink: &mut Sink,
    rule: &'static str,
    parent: Node<'_, '_>,
    what: &str,
    found: &[Node<'_, '_>],
    card: Card,
) -> bool {
    let n = found.len();
    if card.holds(n) {
        return true;
    }
    let (fr, en) = card.text();
    let p = name_of(parent);
    if n == 0 {
        let path = format!("{}/{}", node_path(parent), what);
        sink.violation(
            rule,
            parent,
            msg!(
                "{what} absent de <{p}> ({fr} attendu) : l'ajouter",
                "{what} missing from <{p}> ({en} expected): add it"
            ),
        )
        .path(path);
    } else {
        let extra = found
            .get(if card == Card::AtLeastOne { 0 } else { 1 })
            .copied()
            .unwrap_or(parent);
        sink.violation(
            rule,
            extra,
            msg!(
                "{what} présent {n} fois dans <{p}> ({fr} attendu) : supprimer les occurrences en trop",
                "{what} present {n} times in <{p}> ({en} expected): remove the extra ones"
            ),
        );
    }
    false
}

/// The value of a required, non-empty attribute; reports `rule` when it is missing or empty.
fn required<'a>(
    sink: &mut Sink,
    rule: &'static str,
    n: Node<'a, '_>,
    attr: &'static str,
) -> Option<&'a str> {
    match n.attribute(attr) {
        Some(v) if !v.is_empty() => Some(v),
        Some(_) => {
            let e = name_of(n);
            sink.violation(
                rule,
                super::At::Attr(n, attr),
                msg!(
                    "<{e}> : @{attr} est vide ; le renseigner",
                    "<{e}>: @{attr} is empty; fill it in"
                ),
            );
            None
        }
        None => {
            let e = name_of(n);
            sink.violation(
                rule,
                n,
                msg!(
                    "<{e}> : attribut @{attr} absent ; l'ajouter",
                    "<{e}>: attribute @{attr} is missing; add it"
                ),
            )
            .path(format!("{}/@{attr}", node_path(n)));
            None
        }
    }
}

/// An optional attribute, when present, is not empty (HL7 II/@extension, CE/@displayName…).
fn not_empty_if_present(sink: &mut Sink, rule: &'static str, n: Node<'_, '_>, attr: &'static str) {
    if n.attribute(attr) == Some("") {
        let e = name_of(n);
        sink.violation(
            rule,
            super::At::Attr(n, attr),
            msg!(
                "<{e}> : @{attr} est présent mais vide ; le renseigner ou le retirer",
                "<{e}>: @{attr} is present but empty; fill it in or remove it"
            ),
        );
    }
}

/// An instance identifier: `@root` present and a uid; `@extension` non-empty when present, or required.
fn instance_id(
    sink: &mut Sink,
    rule: &'static str,
    id: Node<'_, '_>,
    extension_required: bool,
    personal: bool,
) {
    // The start tag quoted with any finding on a patient id holds its extension (the INS): mark it.
    let ext = if personal {
        id.attribute("extension").unwrap_or("")
    } else {
        ""
    };
    let root = match id.attribute("root") {
        Some(r) if !r.is_empty() => Some(r),
        _ => {
            sink.violation(
                rule,
                id,
                msg!(
                    "<id> sans @root (ou @root vide) : l'OID de l'autorité d'affectation est obligatoire",
                    "<id> without @root (or empty): the assigning authority OID is required"
                ),
            )
            .personal(ext);
            None
        }
    };
    if let Some(root) = root {
        if !is_uid(root) {
            let f = sink.violation(
                rule,
                super::At::Attr(id, "root"),
                msg!(
                    "@root=\"{root}\" n'est pas un identifiant HL7 (OID, UUID ou RUID) : utiliser un OID tel que 1.2.250.…",
                    "@root=\"{root}\" is not an HL7 uid (OID, UUID or RUID): use an OID such as 1.2.250.…"
                ),
            );
            if personal {
                f.personal(id.attribute("extension").unwrap_or(""));
            }
        }
    }
    if extension_required {
        match id.attribute("extension") {
            Some(v) if !v.is_empty() => {}
            _ => {
                let f = sink.violation(
                    rule,
                    id,
                    msg!("<id> sans @extension (ou @extension vide) : l'identifiant doit être renseigné", "<id> without @extension (or empty): the identifier value is required"),
                );
                if personal {
                    f.personal(id.attribute("extension").unwrap_or(""));
                }
            }
        }
    } else {
        not_empty_if_present(sink, rule, id, "extension");
    }
}

/// A timestamp element: no child element, `@value` present and matching SMIN's `^[0-9]{4,14}`.
fn timestamp(sink: &mut Sink, rule: &'static str, n: Node<'_, '_>, personal: bool) {
    let e = name_of(n);
    if let Some(c) = n.children().find(Node::is_element) {
        let c = name_of(c);
        let f = sink.violation(
            rule,
            n,
            msg!(
                "<{e}> contient un élément <{c}> : une date simple (TS) porte seulement @value",
                "<{e}> contains a <{c}> element: a simple timestamp (TS) only carries @value"
            ),
        );
        if personal {
            f.personal(n.attribute("value").unwrap_or(""));
        }
    }
    timestamp_value(sink, rule, n, true, personal);
}

/// `@value` of a TS (or IVL_TS bound) matches `^[0-9]{4,14}`; required or not.
fn timestamp_value(
    sink: &mut Sink,
    rule: &'static str,
    n: Node<'_, '_>,
    value_required: bool,
    personal: bool,
) {
    let e = name_of(n);
    match n.attribute("value") {
        Some(v) if is_ts(v) => {}
        Some(v) => {
            let f = sink.violation(
                rule,
                super::At::Attr(n, "value"),
                msg!(
                    "<{e} value=\"{v}\"> n'est pas une date HL7 (AAAAMMJJ[hhmmss][+ZZZZ], au moins 4 chiffres en tête)",
                    "<{e} value=\"{v}\"> is not an HL7 timestamp (YYYYMMDD[hhmmss][+ZZZZ], at least 4 leading digits)"
                ),
            );
            if personal {
                f.personal(v);
            }
        }
        None if value_required => {
            sink.violation(
                rule,
                n,
                msg!(
                    "<{e}> sans @value : la date est obligatoire",
                    "<{e}> without @value: the date is required"
                ),
            )
            .path(format!("{}/@value", node_path(n)));
        }
        None => {}
    }
}

/// `@code` of a coded element is a member of the compiled-in value set `vs`.
fn code_in(sink: &mut Sink, rule: &'static str, n: Node<'_, '_>, vs: &str) -> bool {
    let Some(code) = required(sink, rule, n, "code") else {
        return false;
    };
    let set = catalogue::valueset(vs);
    if set.contains(code) {
        return true;
    }
    let e = name_of(n);
    let label = set.label();
    sink.violation(
        rule,
        super::At::Attr(n, "code"),
        msg!(
            "<{e} code=\"{code}\"> n'appartient pas au jeu de valeurs {label} : choisir un code de ce jeu",
            "<{e} code=\"{code}\"> is not in value set {label}: use a code of that set"
        ),
    );
    false
}

/// `@codeSystem` present and an OID (SMIN on every CE/CD of the header).
fn code_system_oid(sink: &mut Sink, rule: &'static str, n: Node<'_, '_>) {
    if let Some(cs) = required(sink, rule, n, "codeSystem") {
        if !is_oid(cs) {
            let e = name_of(n);
            sink.violation(
                rule,
                super::At::Attr(n, "codeSystem"),
                msg!(
                    "<{e} codeSystem=\"{cs}\"> n'est pas un OID",
                    "<{e} codeSystem=\"{cs}\"> is not an OID"
                ),
            );
        }
    }
}

/// Direct HL7 children of `ClinicalDocument`, grouped by local name (one pass over the header).
struct Header<'a, 'i> {
    root: Node<'a, 'i>,
    by_name: HashMap<&'a str, Vec<Node<'a, 'i>>>,
}

impl<'a, 'i> Header<'a, 'i> {
    fn new(root: Node<'a, 'i>) -> Self {
        let mut by_name: HashMap<&'a str, Vec<Node<'a, 'i>>> = HashMap::new();
        for c in root.children().filter(|c| {
            c.is_element() && c.tag_name().namespace() == Some(crate::formats::xml::NS_HL7)
        }) {
            by_name.entry(c.tag_name().name()).or_default().push(c);
        }
        Header { root, by_name }
    }

    /// Every child named `name`.
    fn all(&self, name: &str) -> &[Node<'a, 'i>] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Children named `name` without `@nullFlavor`.
    fn non_null(&self, name: &str) -> Vec<Node<'a, 'i>> {
        self.all(name)
            .iter()
            .copied()
            .filter(|n| !is_null(*n))
            .collect()
    }
}

/// HL7 children of `n` named `name`, collected.
fn kids<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> Vec<Node<'a, 'i>> {
    children(n, name).collect()
}

/// HL7 children of `n` named `name` without `@nullFlavor`, collected.
fn kids_non_null<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> Vec<Node<'a, 'i>> {
    non_null_children(n, name).collect()
}

/// True when `n` has an HL7 child named `name`.
fn has(n: Node<'_, '_>, name: &'static str) -> bool {
    children(n, name).next().is_some()
}

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

/// Header, body and level-1 checks of a parsed CDA (CDA-HDR, CDA-BODY, CDA-N1).
pub fn document(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let h = Header::new(cda.root);
    identification(&h, sink);
    record_target(&h, sink);
    authors(&h, sink);
    custodian(&h, sink);
    legal_authenticator(&h, sink);
    documentation_of(&h, sink);
    component_of(&h, sink);
    related_document(&h, sink);
    body(&h, sink);
    level1(cda, &h, sink);
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-010…013, 020…029: document identity and conformance declarations
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-010…013 and 020…029.
fn identification(h: &Header<'_, '_>, sink: &mut Sink) {
    let root = h.root;

    // SMIN: count(hl7:realmCode[@code = 'FR']) = 1
    sink.check("CDA-HDR-010");
    let realm: Vec<_> = h
        .all("realmCode")
        .iter()
        .copied()
        .filter(|n| n.attribute("code") == Some("FR"))
        .collect();
    cardinality(
        sink,
        "CDA-HDR-010",
        root,
        "realmCode[@code='FR']",
        &realm,
        Card::One,
    );

    // SMIN: count(hl7:typeId[@root = '2.16.840.1.113883.1.3'][@extension = 'POCD_HD000040']) = 1
    sink.check("CDA-HDR-011");
    let type_ids: Vec<_> = h
        .all("typeId")
        .iter()
        .copied()
        .filter(|n| {
            n.attribute("root") == Some(TYPE_ID.0) && n.attribute("extension") == Some(TYPE_ID.1)
        })
        .collect();
    cardinality(
        sink,
        "CDA-HDR-011",
        root,
        "typeId[@root='2.16.840.1.113883.1.3'][@extension='POCD_HD000040']",
        &type_ids,
        Card::One,
    );

    // SMIN: templateId HL7 France and CI-SIS exactly once each, ≥1 model templateId with a uid root (C-11).
    sink.check("CDA-HDR-012");
    let tpl = h.all("templateId");
    let with_root = |r: &str| -> Vec<_> {
        tpl.iter()
            .copied()
            .filter(|n| n.attribute("root") == Some(r))
            .collect()
    };
    cardinality(
        sink,
        "CDA-HDR-012",
        root,
        "templateId[@root='2.16.840.1.113883.2.8.2.1']",
        &with_root(TPL_HL7_FR),
        Card::One,
    );
    cardinality(
        sink,
        "CDA-HDR-012",
        root,
        "templateId[@root='1.2.250.1.213.1.1.1.1']",
        &with_root(TPL_CISIS),
        Card::One,
    );
    let models: Vec<_> = tpl
        .iter()
        .copied()
        .filter(|n| !matches!(n.attribute("root"), Some(TPL_HL7_FR | TPL_CISIS)))
        .collect();
    if models.is_empty() {
        sink.violation(
            "CDA-HDR-012",
            root,
            msg!(
                "Aucun templateId de modèle de document (volet, ou 1.3.6.1.4.1.19376.1.2.20 pour un document non structuré) en plus de ceux de HL7 France et du CI-SIS : déclarer le modèle",
                "No document-model templateId (volet, or 1.3.6.1.4.1.19376.1.2.20 for a level-1 document) besides the HL7 France and CI-SIS ones: declare the model"
            ),
        )
        .path(format!("{}/templateId", node_path(root)));
    }
    for m in models {
        instance_id(sink, "CDA-HDR-012", m, false, false);
    }

    // SMIN: @classCode = 'DOCCLIN' or absent; @moodCode = 'EVN' or absent.
    sink.check("CDA-HDR-013");
    for (attr, fixed) in [("classCode", "DOCCLIN"), ("moodCode", "EVN")] {
        if let Some(v) = root.attribute(attr) {
            if v != fixed {
                sink.violation(
                    "CDA-HDR-013",
                    super::At::Attr(root, attr),
                    msg!(
                        "ClinicalDocument/@{attr}=\"{v}\" : la valeur est fixée à \"{fixed}\" (ou attribut absent)",
                        "ClinicalDocument/@{attr}=\"{v}\": the value is fixed to \"{fixed}\" (or leave the attribute out)"
                    ),
                );
            }
        }
    }

    // SMIN: id non-null 1..1, uid root, non-empty extension.
    sink.check("CDA-HDR-020");
    let ids = h.non_null("id");
    cardinality(
        sink,
        "CDA-HDR-020",
        root,
        "id[not(@nullFlavor)]",
        &ids,
        Card::One,
    );
    if let Some(id) = ids.first() {
        instance_id(sink, "CDA-HDR-020", *id, false, false);
    }

    // SMIN: code non-null 1..1, @code ∈ JDV_J07, @codeSystem an OID, @displayName non-empty.
    sink.check("CDA-HDR-021");
    let codes = h.non_null("code");
    cardinality(
        sink,
        "CDA-HDR-021",
        root,
        "code[not(@nullFlavor)]",
        &codes,
        Card::One,
    );
    if let Some(code) = codes.first().copied() {
        if code_in(sink, "CDA-HDR-021", code, "J07") {
            // The concept's code system, not only its code (an EXPORT_DUI under LOINC is not the J07 concept).
            let (c, systems) = (
                code.attribute("code").unwrap_or(""),
                catalogue::valueset("J07").systems_of(code.attribute("code").unwrap_or("")),
            );
            if let Some(cs) = code
                .attribute("codeSystem")
                .filter(|cs| !systems.contains(cs))
            {
                let expected = systems.join(" | ");
                sink.violation(
                    "CDA-HDR-021",
                    super::At::Attr(code, "codeSystem"),
                    msg!(
                        "code=\"{c}\" sous codeSystem=\"{cs}\" : dans JDV_J07 ce code relève du système {expected}",
                        "code=\"{c}\" under codeSystem=\"{cs}\": in JDV_J07 this code belongs to system {expected}"
                    ),
                );
            }
        }
        code_system_oid(sink, "CDA-HDR-021", code);
        required(sink, "CDA-HDR-021", code, "displayName");
        not_empty_if_present(sink, "CDA-HDR-021", code, "codeSystemName");
    }

    // SMIN: title non-null 1..1.
    sink.check("CDA-HDR-022");
    cardinality(
        sink,
        "CDA-HDR-022",
        root,
        "title[not(@nullFlavor)]",
        &h.non_null("title"),
        Card::One,
    );

    // SMIN: effectiveTime non-null 1..1, no child, @value ^[0-9]{4,14}.
    sink.check("CDA-HDR-023");
    sink.check("CDA-HDR-024");
    let times = h.non_null("effectiveTime");
    cardinality(
        sink,
        "CDA-HDR-023",
        root,
        "effectiveTime[not(@nullFlavor)]",
        &times,
        Card::One,
    );
    if let Some(t) = times.first().copied() {
        timestamp(sink, "CDA-HDR-023", t, false);
        // C-20: to the second with a UTC offset, else a warning.
        if let Some(v) = t.attribute("value") {
            if !is_precise_ts(v) {
                sink.violation(
                    "CDA-HDR-024",
                    super::At::Attr(t, "value"),
                    msg!(
                        "Date de création \"{v}\" : elle doit être précisée à la seconde avec le décalage horaire (AAAAMMJJhhmmss+ZZZZ, ex. 20260315101500+0100), sinon sa conversion en UTC pour XDS est ambiguë",
                        "Creation date \"{v}\": it should be given to the second with the UTC offset (YYYYMMDDhhmmss+ZZZZ, e.g. 20260315101500+0100), otherwise its UTC conversion for XDS is ambiguous"
                    ),
                );
            }
        }
    }

    // SMIN: confidentialityCode non-null 1..1, code ∈ 2.16.840.1.113883.1.11.10228 (N, R, V here).
    sink.check("CDA-HDR-025");
    let conf = h.non_null("confidentialityCode");
    cardinality(
        sink,
        "CDA-HDR-025",
        root,
        "confidentialityCode[not(@nullFlavor)]",
        &conf,
        Card::One,
    );
    if let Some(c) = conf.first().copied() {
        if let Some(code) = required(sink, "CDA-HDR-025", c, "code") {
            if !CONFIDENTIALITY.1.contains(&code) {
                sink.violation(
                    "CDA-HDR-025",
                    super::At::Attr(c, "code"),
                    msg!(
                        "confidentialityCode/@code=\"{code}\" : attendu N, R ou V (HL7 Confidentiality) ; les codes de masquage (INVISIBLE_PATIENT…) vont dans les métadonnées XDS, pas dans le CDA",
                        "confidentialityCode/@code=\"{code}\": expected N, R or V (HL7 Confidentiality); masking codes (INVISIBLE_PATIENT…) belong in the XDS metadata, not in the CDA"
                    ),
                );
            }
        }
        if let Some(cs) = required(sink, "CDA-HDR-025", c, "codeSystem") {
            if cs != CONFIDENTIALITY.0 {
                sink.violation(
                    "CDA-HDR-025",
                    super::At::Attr(c, "codeSystem"),
                    msg!(
                        "confidentialityCode/@codeSystem=\"{cs}\" : attendu 2.16.840.1.113883.5.25 (HL7 Confidentiality)",
                        "confidentialityCode/@codeSystem=\"{cs}\": expected 2.16.840.1.113883.5.25 (HL7 Confidentiality)"
                    ),
                );
            }
        }
        required(sink, "CDA-HDR-025", c, "displayName");
    }

    // SMIN: languageCode non-null 1..1, @code without white space, matches [a-z]{2}-[A-Z]{2} (unanchored).
    sink.check("CDA-HDR-026");
    sink.check("CDA-HDR-027");
    let langs = h.non_null("languageCode");
    cardinality(
        sink,
        "CDA-HDR-026",
        root,
        "languageCode[not(@nullFlavor)]",
        &langs,
        Card::One,
    );
    if let Some(l) = langs.first().copied() {
        if let Some(code) = required(sink, "CDA-HDR-026", l, "code") {
            if code.chars().any(char::is_whitespace) || !has_language_tag(code) {
                sink.violation(
                    "CDA-HDR-026",
                    super::At::Attr(l, "code"),
                    msg!(
                        "languageCode/@code=\"{code}\" : attendu la forme langue-PAYS sans espace (ex. fr-FR)",
                        "languageCode/@code=\"{code}\": expected the language-COUNTRY form without spaces (e.g. fr-FR)"
                    ),
                );
            }
            if code != "fr-FR" {
                sink.violation(
                    "CDA-HDR-027",
                    super::At::Attr(l, "code"),
                    msg!(
                        "languageCode/@code=\"{code}\" : les documents du CI-SIS sont en fr-FR (valeur reprise dans le languageCode XDS)",
                        "languageCode/@code=\"{code}\": CI-SIS documents are in fr-FR (the value becomes the XDS languageCode)"
                    ),
                );
            }
        }
    }

    // SMIN: setId non-null 1..1 with a uid root (C-04: the MSSanté N1 examples fail here, as in the kit).
    sink.check("CDA-HDR-028");
    let set_ids = h.non_null("setId");
    if set_ids.is_empty() {
        sink.violation(
            "CDA-HDR-028",
            root,
            msg!(
                "setId absent (exigé par la Structuration minimale) : ajouter <setId root=\"…\"/>, identifiant commun à toutes les versions du document",
                "setId missing (required by Structuration minimale): add <setId root=\"…\"/>, the identifier shared by every version of the document"
            ),
        )
        .path(format!("{}/setId", node_path(root)));
    } else {
        cardinality(
            sink,
            "CDA-HDR-028",
            root,
            "setId[not(@nullFlavor)]",
            &set_ids,
            Card::One,
        );
        instance_id(sink, "CDA-HDR-028", set_ids[0], false, false);
    }

    // SMIN: versionNumber non-null 1..1, @value a positive integer.
    sink.check("CDA-HDR-029");
    let versions = h.non_null("versionNumber");
    cardinality(
        sink,
        "CDA-HDR-029",
        root,
        "versionNumber[not(@nullFlavor)]",
        &versions,
        Card::One,
    );
    if let Some(v) = versions.first().copied() {
        if let Some(value) = required(sink, "CDA-HDR-029", v, "value") {
            if !is_positive_int(value) {
                sink.violation(
                    "CDA-HDR-029",
                    super::At::Attr(v, "value"),
                    msg!(
                        "versionNumber/@value=\"{value}\" : attendu un entier ≥ 1 sans zéro initial (1, 2, …)",
                        "versionNumber/@value=\"{value}\": expected an integer ≥ 1 without a leading zero (1, 2, …)"
                    ),
                );
            }
        }
    }
}

/// `^[0-9]{14}[+-][0-9]{4}$` (CDA-HDR-024).
fn is_precise_ts(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 19
        && b[..14].iter().all(u8::is_ascii_digit)
        && matches!(b[14], b'+' | b'-')
        && b[15..].iter().all(u8::is_ascii_digit)
}

/// Contains a match of `[a-z]{2}-[A-Z]{2}` (SMIN's unanchored test, CDA-HDR-026).
fn has_language_tag(code: &str) -> bool {
    code.as_bytes().windows(5).any(|w| {
        w[0].is_ascii_lowercase()
            && w[1].is_ascii_lowercase()
            && w[2] == b'-'
            && w[3].is_ascii_uppercase()
            && w[4].is_ascii_uppercase()
    })
}

/// `^[1-9][0-9]*$` (CDA-HDR-029).
fn is_positive_int(v: &str) -> bool {
    v.starts_with(|c: char| matches!(c, '1'..='9')) && v.bytes().all(|b| b.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-030…034: recordTarget
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-030…034 (SMIN CI-SISRecordTarget). INS-specific rules are identity.md's (INS-030…033).
fn record_target(h: &Header<'_, '_>, sink: &mut Sink) {
    let rules = [
        "CDA-HDR-030",
        "CDA-HDR-031",
        "CDA-HDR-032",
        "CDA-HDR-033",
        "CDA-HDR-034",
    ];
    sink.check("CDA-HDR-030");
    let rts = h.non_null("recordTarget");
    cardinality(
        sink,
        "CDA-HDR-030",
        h.root,
        "recordTarget[not(@nullFlavor)]",
        &rts,
        Card::One,
    );
    let patient = rts.first().and_then(|rt| {
        let roles: Vec<_> = children(*rt, "patientRole")
            .filter(|r| has(*r, "patient"))
            .collect();
        cardinality(
            sink,
            "CDA-HDR-030",
            *rt,
            "patientRole[patient]",
            &roles,
            Card::One,
        );
        let role = roles.first().copied()?;
        let ids = kids_non_null(role, "id");
        cardinality(
            sink,
            "CDA-HDR-030",
            role,
            "id[not(@nullFlavor)]",
            &ids,
            Card::AtLeastOne,
        );
        for id in ids {
            instance_id(sink, "CDA-HDR-030", id, true, true);
        }
        let patients = kids_non_null(role, "patient");
        cardinality(
            sink,
            "CDA-HDR-030",
            role,
            "patient[not(@nullFlavor)]",
            &patients,
            Card::One,
        );
        patients.first().copied()
    });
    let Some(patient) = patient else {
        for r in &rules[1..] {
            sink.not_applicable(
                r,
                msg!(
                    "Pas de patient à examiner (voir CDA-HDR-030)",
                    "No patient to examine (see CDA-HDR-030)"
                ),
            );
        }
        return;
    };

    // SMIN: name non-null 1..1; ≥1 non-null family and given; prefix, suffix ≤1; given/@qualifier ∈ {BR, CL}.
    sink.check("CDA-HDR-031");
    let names = kids_non_null(patient, "name");
    cardinality(
        sink,
        "CDA-HDR-031",
        patient,
        "name[not(@nullFlavor)]",
        &names,
        Card::One,
    );
    if let Some(name) = names.first().copied() {
        cardinality(
            sink,
            "CDA-HDR-031",
            name,
            "family[not(@nullFlavor)]",
            &kids_non_null(name, "family"),
            Card::AtLeastOne,
        );
        cardinality(
            sink,
            "CDA-HDR-031",
            name,
            "given[not(@nullFlavor)]",
            &kids_non_null(name, "given"),
            Card::AtLeastOne,
        );
        cardinality(
            sink,
            "CDA-HDR-031",
            name,
            "prefix",
            &kids(name, "prefix"),
            Card::AtMostOne,
        );
        cardinality(
            sink,
            "CDA-HDR-031",
            name,
            "suffix",
            &kids(name, "suffix"),
            Card::AtMostOne,
        );
    }
    let all_names = kids(patient, "name");
    for given in all_names.iter().flat_map(|n| children(*n, "given")) {
        if let Some(q) = given.attribute("qualifier") {
            if q != "BR" && q != "CL" {
                sink.violation(
                    "CDA-HDR-031",
                    super::At::Attr(given, "qualifier"),
                    msg!(
                        "Prénom du patient avec qualifier=\"{q}\" : seuls BR (prénom de naissance) et CL (prénom utilisé) sont admis",
                        "Patient given name with qualifier=\"{q}\": only BR (birth given name) and CL (used given name) are allowed"
                    ),
                );
            }
        }
    }

    // SMIN: every non-null family has a qualifier (C-05: BR, SP, CL accepted here; 033 restricts).
    sink.check("CDA-HDR-032");
    sink.check("CDA-HDR-033");
    for family in all_names.iter().flat_map(|n| children(*n, "family")) {
        match family.attribute("qualifier") {
            None if !is_null(family) => {
                sink.violation(
                    "CDA-HDR-032",
                    family,
                    msg!(
                        "Nom de famille du patient sans @qualifier : indiquer BR (nom de naissance) ou CL (nom utilisé)",
                        "Patient family name without @qualifier: state BR (birth name) or CL (used name)"
                    ),
                );
            }
            Some(q) if !matches!(q, "BR" | "SP" | "CL") && !is_null(family) => {
                sink.violation(
                    "CDA-HDR-032",
                    super::At::Attr(family, "qualifier"),
                    msg!(
                        "Nom de famille du patient avec qualifier=\"{q}\" : valeurs reconnues BR, CL (et SP, ancien nom d'usage)",
                        "Patient family name with qualifier=\"{q}\": recognised values are BR, CL (and SP, legacy spouse name)"
                    ),
                );
            }
            _ => {}
        }
        if let Some(q) = family.attribute("qualifier") {
            if q != "BR" && q != "CL" {
                sink.violation(
                    "CDA-HDR-033",
                    super::At::Attr(family, "qualifier"),
                    msg!(
                        "Nom de famille avec qualifier=\"{q}\" : seuls les qualifiers BR pour le nom de famille, ou CL pour le nom utilisé (RNIV) sont autorisés",
                        "Family name with qualifier=\"{q}\": only BR (birth name) or CL (used name) are allowed (RNIV)"
                    ),
                );
            }
        }
    }

    // SMIN: birthTime 1..1 (TS), sdtc:* and birthplace[place] ≤1, administrativeGenderCode 1..1.
    sink.check("CDA-HDR-034");
    let births = kids(patient, "birthTime");
    if let Some(extra) = births.get(1).copied() {
        let n = births.len();
        sink.violation(
            "CDA-HDR-034",
            extra,
            msg!(
                "birthTime présent {n} fois dans <patient> (exactement 1 attendu) : supprimer les occurrences en trop",
                "birthTime present {n} times in <patient> (exactly 1 expected): remove the extra ones"
            ),
        )
        .personal(extra.attribute("value").unwrap_or(""));
    } else {
        cardinality(
            sink,
            "CDA-HDR-034",
            patient,
            "birthTime",
            &births,
            Card::One,
        );
    }
    if let Some(b) = births.first().copied() {
        timestamp(sink, "CDA-HDR-034", b, true);
    }
    for s in [
        "deceasedInd",
        "deceasedTime",
        "multipleBirthInd",
        "multipleBirthOrderNumber",
    ] {
        let found: Vec<_> = sdtc_children(patient, s).collect();
        cardinality(
            sink,
            "CDA-HDR-034",
            patient,
            &format!("sdtc:{s}"),
            &found,
            Card::AtMostOne,
        );
    }
    let places: Vec<_> = children(patient, "birthplace")
        .filter(|b| has(*b, "place"))
        .collect();
    cardinality(
        sink,
        "CDA-HDR-034",
        patient,
        "birthplace[place]",
        &places,
        Card::AtMostOne,
    );
    cardinality(
        sink,
        "CDA-HDR-034",
        patient,
        "administrativeGenderCode",
        &kids(patient, "administrativeGenderCode"),
        Card::One,
    );
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-040…042: author
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-040…042 (SMIN CI-SISAuthor).
fn authors(h: &Header<'_, '_>, sink: &mut Sink) {
    sink.check("CDA-HDR-040");
    sink.check("CDA-HDR-041");
    let authors: Vec<_> = h
        .all("author")
        .iter()
        .copied()
        .filter(|a| has(*a, "assignedAuthor"))
        .collect();
    let non_null: Vec<_> = authors.iter().copied().filter(|a| !is_null(*a)).collect();
    cardinality(
        sink,
        "CDA-HDR-040",
        h.root,
        "author[not(@nullFlavor)][assignedAuthor]",
        &non_null,
        Card::AtLeastOne,
    );
    let mut devices = Vec::new();
    for author in authors {
        let times = kids(author, "time");
        cardinality(sink, "CDA-HDR-040", author, "time", &times, Card::One);
        if let Some(t) = times.first().copied() {
            timestamp(sink, "CDA-HDR-040", t, false);
        }
        let functions = kids(author, "functionCode");
        cardinality(
            sink,
            "CDA-HDR-040",
            author,
            "functionCode",
            &functions,
            Card::AtMostOne,
        );
        for f in functions {
            // SMIN: functionCode/@code ∈ JDV_J47, @codeSystem an OID.
            code_in(sink, "CDA-HDR-041", f, "J47");
            code_system_oid(sink, "CDA-HDR-041", f);
        }
        let assigned = kids_non_null(author, "assignedAuthor");
        cardinality(
            sink,
            "CDA-HDR-040",
            author,
            "assignedAuthor[not(@nullFlavor)]",
            &assigned,
            Card::One,
        );
        let Some(aa) = assigned.first().copied() else {
            continue;
        };
        let ids = kids(aa, "id");
        cardinality(sink, "CDA-HDR-040", aa, "id", &ids, Card::AtLeastOne);
        for id in ids {
            instance_id(sink, "CDA-HDR-040", id, true, false);
        }
        let codes = kids(aa, "code");
        cardinality(sink, "CDA-HDR-040", aa, "code", &codes, Card::AtMostOne);
        for c in codes {
            // SMIN: assignedAuthor/code ∈ JDV_J01 with @codeSystem and @displayName.
            code_in(sink, "CDA-HDR-041", c, "J01");
            code_system_oid(sink, "CDA-HDR-041", c);
            required(sink, "CDA-HDR-041", c, "displayName");
        }
        let who: Vec<_> = aa
            .children()
            .filter(|c| is_hl7(*c, "assignedPerson") || is_hl7(*c, "assignedAuthoringDevice"))
            .collect();
        cardinality(
            sink,
            "CDA-HDR-040",
            aa,
            "assignedPerson|assignedAuthoringDevice",
            &who,
            Card::AtMostOne,
        );
        devices.extend(children(aa, "assignedAuthoringDevice"));
        let orgs = kids(aa, "representedOrganization");
        cardinality(
            sink,
            "CDA-HDR-040",
            aa,
            "representedOrganization",
            &orgs,
            Card::AtMostOne,
        );
        for org in orgs {
            let struct_ids: Vec<_> = children(org, "id")
                .filter(|i| i.attribute("root") == Some("1.2.250.1.71.4.2.2"))
                .collect();
            cardinality(
                sink,
                "CDA-HDR-040",
                org,
                "id[@root='1.2.250.1.71.4.2.2']",
                &struct_ids,
                Card::AtMostOne,
            );
            cardinality(
                sink,
                "CDA-HDR-040",
                org,
                "name",
                &kids(org, "name"),
                Card::AtMostOne,
            );
            let sic = kids(org, "standardIndustryClassCode");
            cardinality(
                sink,
                "CDA-HDR-041",
                org,
                "standardIndustryClassCode",
                &sic,
                Card::AtMostOne,
            );
            for s in sic.into_iter().filter(|s| !is_null(*s)) {
                code_in(sink, "CDA-HDR-041", s, "J04");
            }
        }
    }

    // SMIN: assignedAuthoringDevice has exactly one manufacturerModelName and one softwareName.
    if devices.is_empty() {
        sink.not_applicable(
            "CDA-HDR-042",
            msg!(
                "Aucun auteur n'est un dispositif (assignedAuthoringDevice)",
                "No author is a device (assignedAuthoringDevice)"
            ),
        );
    } else {
        sink.check("CDA-HDR-042");
        for d in devices {
            cardinality(
                sink,
                "CDA-HDR-042",
                d,
                "manufacturerModelName",
                &kids(d, "manufacturerModelName"),
                Card::One,
            );
            cardinality(
                sink,
                "CDA-HDR-042",
                d,
                "softwareName",
                &kids(d, "softwareName"),
                Card::One,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-050: custodian; CDA-HDR-060: legalAuthenticator
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-050 (SMIN CI-SISCustodian).
fn custodian(h: &Header<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-HDR-050";
    sink.check(R);
    let custodians: Vec<_> = h
        .non_null("custodian")
        .into_iter()
        .filter(|c| has(*c, "assignedCustodian"))
        .collect();
    cardinality(
        sink,
        R,
        h.root,
        "custodian[not(@nullFlavor)][assignedCustodian]",
        &custodians,
        Card::One,
    );
    let Some(c) = custodians.first().copied() else {
        return;
    };
    let assigned: Vec<_> = children(c, "assignedCustodian")
        .filter(|a| has(*a, "representedCustodianOrganization"))
        .collect();
    cardinality(
        sink,
        R,
        c,
        "assignedCustodian[representedCustodianOrganization]",
        &assigned,
        Card::One,
    );
    let Some(a) = assigned.first().copied() else {
        return;
    };
    let orgs = kids(a, "representedCustodianOrganization");
    cardinality(
        sink,
        R,
        a,
        "representedCustodianOrganization",
        &orgs,
        Card::One,
    );
    let Some(org) = orgs.first().copied() else {
        return;
    };
    let ids = kids_non_null(org, "id");
    cardinality(sink, R, org, "id[not(@nullFlavor)]", &ids, Card::One);
    for id in ids {
        instance_id(sink, R, id, false, false);
        if let Some(root) = id.attribute("root") {
            if !CUSTODIAN_ROOTS.contains(&root) {
                sink.violation(
                    R,
                    super::At::Attr(id, "root"),
                    msg!(
                        "Identifiant du dépositaire sous @root=\"{root}\" : attendu 1.2.250.1.71.4.2.2 (structures) ou 1.2.250.1.213.4.1 (hébergeur des documents produits par le patient)",
                        "Custodian identifier under @root=\"{root}\": expected 1.2.250.1.71.4.2.2 (structures) or 1.2.250.1.213.4.1 (host of patient-produced documents)"
                    ),
                );
            }
        }
    }
    for e in ["name", "telecom", "addr"] {
        cardinality(sink, R, org, e, &kids(org, e), Card::AtMostOne);
    }
}

/// CDA-HDR-060 (SMIN CI-SISLegalAuthenticator).
fn legal_authenticator(h: &Header<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-HDR-060";
    sink.check(R);
    let signed =
        |n: &Node<'_, '_>| children(*n, "signatureCode").any(|s| s.attribute("code") == Some("S"));
    let las: Vec<_> = h
        .all("legalAuthenticator")
        .iter()
        .copied()
        .filter(signed)
        .collect();
    if las.is_empty() {
        let at = h
            .all("legalAuthenticator")
            .first()
            .copied()
            .unwrap_or(h.root);
        sink.violation(
            R,
            at,
            msg!(
                "Pas de legalAuthenticator avec signatureCode/@code=\"S\" : le responsable du document est obligatoire",
                "No legalAuthenticator with signatureCode/@code=\"S\": the legal authenticator is required"
            ),
        )
        .path(format!("{}/legalAuthenticator", node_path(h.root)));
        return;
    }
    cardinality(
        sink,
        R,
        h.root,
        "legalAuthenticator[signatureCode[@code='S']]",
        &las,
        Card::One,
    );
    let la = las[0];
    let times = kids(la, "time");
    cardinality(sink, R, la, "time", &times, Card::One);
    if let Some(t) = times.first().copied() {
        timestamp(sink, R, t, false);
    }
    let s: Vec<_> = children(la, "signatureCode")
        .filter(|s| s.attribute("code") == Some("S"))
        .collect();
    cardinality(sink, R, la, "signatureCode[@code='S']", &s, Card::One);
    let entities = kids(la, "assignedEntity");
    cardinality(sink, R, la, "assignedEntity", &entities, Card::One);
    let Some(ae) = entities.first().copied() else {
        return;
    };
    let ids = kids_non_null(ae, "id");
    cardinality(sink, R, ae, "id[not(@nullFlavor)]", &ids, Card::One);
    for id in ids {
        instance_id(sink, R, id, true, false);
    }
    let codes = kids(ae, "code");
    cardinality(sink, R, ae, "code", &codes, Card::AtMostOne);
    for c in codes.into_iter().filter(|c| c.attribute("code").is_some()) {
        code_in(sink, R, c, "J01");
    }
    cardinality(
        sink,
        R,
        ae,
        "assignedPerson",
        &kids(ae, "assignedPerson"),
        Card::AtMostOne,
    );
    cardinality(
        sink,
        R,
        ae,
        "representedOrganization",
        &kids(ae, "representedOrganization"),
        Card::AtMostOne,
    );
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-070, 071: documentationOf
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-070 and 071 (SMIN SMDS_CDAClinicalDocument, CI-SISDocumentationOf).
fn documentation_of(h: &Header<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-HDR-070";
    const S: &str = "CDA-HDR-071";
    sink.check(R);
    let docs: Vec<_> = h
        .non_null("documentationOf")
        .into_iter()
        .filter(|d| has(*d, "serviceEvent"))
        .collect();
    cardinality(
        sink,
        R,
        h.root,
        "documentationOf[not(@nullFlavor)][serviceEvent]",
        &docs,
        Card::AtLeastOne,
    );

    // SMIN: count(documentationOf[1]/serviceEvent/performer) = 1 and count(…/effectiveTime) = 1.
    if let Some(se) = h
        .all("documentationOf")
        .first()
        .and_then(|d| children(*d, "serviceEvent").next())
    {
        let performers = kids(se, "performer");
        cardinality(sink, R, se, "performer", &performers, Card::One);
        if let Some(p) = performers.first().copied() {
            if p.attribute("typeCode") != Some("PRF") {
                let t = p.attribute("typeCode").unwrap_or("");
                sink.violation(
                    R,
                    p,
                    msg!(
                        "Exécutant de l'acte principal avec typeCode=\"{t}\" : attendu typeCode=\"PRF\"",
                        "Main-act performer with typeCode=\"{t}\": expected typeCode=\"PRF\""
                    ),
                );
            }
        }
        cardinality(
            sink,
            R,
            se,
            "effectiveTime",
            &kids(se, "effectiveTime"),
            Card::One,
        );
    }

    let mut prf = Vec::new();
    for doc in docs {
        let events = kids_non_null(doc, "serviceEvent");
        cardinality(
            sink,
            R,
            doc,
            "serviceEvent[not(@nullFlavor)]",
            &events,
            Card::One,
        );
        for se in events {
            let codes = kids(se, "code");
            cardinality(sink, R, se, "code", &codes, Card::AtMostOne);
            for c in codes {
                // SMIN: (@code and @codeSystem and not(@nullFlavor)) or (not(@code) and not(@codeSystem) and @nullFlavor)
                let coded = c.attribute("code").is_some() && c.attribute("codeSystem").is_some();
                let null = is_null(c)
                    && c.attribute("code").is_none()
                    && c.attribute("codeSystem").is_none();
                if !(coded && !is_null(c) || null) {
                    sink.violation(
                        R,
                        c,
                        msg!(
                            "serviceEvent/code : porter @code et @codeSystem, ou seulement un @nullFlavor",
                            "serviceEvent/code: carry @code and @codeSystem, or only a @nullFlavor"
                        ),
                    );
                }
            }
            let times = kids(se, "effectiveTime");
            cardinality(sink, R, se, "effectiveTime", &times, Card::AtMostOne);
            for t in times {
                let lows = kids(t, "low");
                cardinality(sink, R, t, "low", &lows, Card::One);
                for l in lows {
                    timestamp_value(sink, R, l, true, false);
                }
                let highs = kids(t, "high");
                cardinality(sink, R, t, "high", &highs, Card::AtMostOne);
                for hi in highs {
                    timestamp_value(sink, R, hi, false, false);
                }
            }
            let performers: Vec<_> = children(se, "performer")
                .filter(|p| p.attribute("typeCode") == Some("PRF") && has(*p, "assignedEntity"))
                .collect();
            cardinality(
                sink,
                R,
                se,
                "performer[@typeCode='PRF'][assignedEntity]",
                &performers,
                Card::AtMostOne,
            );
            prf.extend(performers);
        }
    }

    // SMIN: performer/assignedEntity[representedOrganization] 1..1, id 1..1, standardIndustryClassCode ∈ J04.
    if prf.is_empty() {
        sink.not_applicable(
            S,
            msg!(
                "Aucun exécutant (performer PRF) à examiner (voir CDA-HDR-070)",
                "No performer (PRF) to examine (see CDA-HDR-070)"
            ),
        );
        return;
    }
    sink.check(S);
    for p in prf {
        let entities: Vec<_> = children(p, "assignedEntity")
            .filter(|a| has(*a, "representedOrganization"))
            .collect();
        cardinality(
            sink,
            S,
            p,
            "assignedEntity[representedOrganization]",
            &entities,
            Card::One,
        );
        let Some(ae) = entities.first().copied() else {
            continue;
        };
        cardinality(sink, S, ae, "id", &kids(ae, "id"), Card::One);
        let orgs = kids(ae, "representedOrganization");
        cardinality(sink, S, ae, "representedOrganization", &orgs, Card::One);
        let Some(org) = orgs.first().copied() else {
            continue;
        };
        let sics = kids_non_null(org, "standardIndustryClassCode");
        cardinality(
            sink,
            S,
            org,
            "standardIndustryClassCode[not(@nullFlavor)]",
            &sics,
            Card::One,
        );
        for sic in sics {
            code_in(sink, S, sic, "J04");
            code_system_oid(sink, S, sic);
            required(sink, S, sic, "displayName");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-080, 081: componentOf
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-080 and 081 (SMIN CI-SISComponentOf).
fn component_of(h: &Header<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-HDR-080";
    const F: &str = "CDA-HDR-081";
    sink.check(R);
    let comps: Vec<_> = h
        .non_null("componentOf")
        .into_iter()
        .filter(|c| has(*c, "encompassingEncounter"))
        .collect();
    cardinality(
        sink,
        R,
        h.root,
        "componentOf[not(@nullFlavor)][encompassingEncounter]",
        &comps,
        Card::One,
    );
    let facility = comps.first().and_then(|c| {
        let encounters = kids_non_null(*c, "encompassingEncounter");
        cardinality(
            sink,
            R,
            *c,
            "encompassingEncounter[not(@nullFlavor)]",
            &encounters,
            Card::One,
        );
        let ee = encounters.first().copied()?;
        let codes = kids(ee, "code");
        cardinality(sink, R, ee, "code", &codes, Card::AtMostOne);
        for code in codes {
            code_in(sink, R, code, "J142");
            code_system_oid(sink, R, code);
            required(sink, R, code, "displayName");
        }
        let times = kids(ee, "effectiveTime");
        cardinality(sink, R, ee, "effectiveTime", &times, Card::One);
        for t in times {
            for bound in ["low", "high"] {
                let b = kids(t, bound);
                cardinality(sink, R, t, bound, &b, Card::AtMostOne);
                for n in b {
                    timestamp_value(sink, R, n, false, false);
                }
            }
        }
        let locations: Vec<_> = children(ee, "location")
            .filter(|l| has(*l, "healthCareFacility"))
            .collect();
        cardinality(
            sink,
            R,
            ee,
            "location[healthCareFacility]",
            &locations,
            Card::One,
        );
        let loc = locations.first().copied()?;
        let facilities = kids_non_null(loc, "healthCareFacility");
        cardinality(
            sink,
            R,
            loc,
            "healthCareFacility[not(@nullFlavor)]",
            &facilities,
            Card::One,
        );
        facilities.first().copied()
    });

    // SMIN: healthCareFacility/code non-null 1..1, @code ∈ JDV_J02; translation fully coded.
    let Some(hcf) = facility else {
        sink.not_applicable(
            F,
            msg!(
                "Pas de healthCareFacility à examiner (voir CDA-HDR-080)",
                "No healthCareFacility to examine (see CDA-HDR-080)"
            ),
        );
        return;
    };
    sink.check(F);
    let codes = kids_non_null(hcf, "code");
    cardinality(sink, F, hcf, "code[not(@nullFlavor)]", &codes, Card::One);
    for code in codes {
        code_in(sink, F, code, "J02");
        code_system_oid(sink, F, code);
        required(sink, F, code, "displayName");
        for tr in children(code, "translation") {
            required(sink, F, tr, "code");
            code_system_oid(sink, F, tr);
            required(sink, F, tr, "displayName");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// CDA-HDR-090: relatedDocument, dataEnterer
// ---------------------------------------------------------------------------------------------------------

/// CDA-HDR-090 (SMIN CI-SISRelatedDocument).
fn related_document(h: &Header<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-HDR-090";
    sink.check(R);
    let rplc: Vec<_> = h
        .all("relatedDocument")
        .iter()
        .copied()
        .filter(|r| r.attribute("typeCode") == Some("RPLC") && has(*r, "parentDocument"))
        .collect();
    cardinality(
        sink,
        R,
        h.root,
        "relatedDocument[@typeCode='RPLC'][parentDocument]",
        &rplc,
        Card::AtMostOne,
    );
    for r in rplc {
        let parents = kids_non_null(r, "parentDocument");
        cardinality(
            sink,
            R,
            r,
            "parentDocument[not(@nullFlavor)]",
            &parents,
            Card::One,
        );
        for p in parents {
            let ids = kids_non_null(p, "id");
            cardinality(sink, R, p, "id[not(@nullFlavor)]", &ids, Card::One);
            for id in ids {
                instance_id(sink, R, id, false, false);
            }
        }
    }
    cardinality(
        sink,
        R,
        h.root,
        "dataEnterer",
        h.all("dataEnterer"),
        Card::AtMostOne,
    );
}

// ---------------------------------------------------------------------------------------------------------
// CDA-BODY-010…012
// ---------------------------------------------------------------------------------------------------------

/// Volet schematrons of the ANS kit by model templateId (CDA-BODY-012), and the rules ported natively.
const VOLETS: &[(&str, &str, Option<&str>)] = &[
    (
        "1.2.250.1.213.1.1.1.22",
        "CI-SIS_DLU-EHPAD-DLU_2022.01.sch",
        Some("CDA-MS-010…013"),
    ),
    (
        "1.2.250.1.213.1.1.1.23",
        "CI-SIS_DLU-EHPAD-FLUDT_2022.01.sch",
        Some("CDA-MS-020, CDA-MS-021"),
    ),
    (
        "1.2.250.1.213.1.1.1.24",
        "CI-SIS_DLU-EHPAD-FLUDR_2022.01.sch",
        Some("CDA-MS-030, CDA-MS-031"),
    ),
    (
        "1.2.250.1.213.1.1.1.13",
        "CI-SIS_VSM_1.4_2022.01.sch, CI-SIS_VSM_2023.01.sch",
        None,
    ),
    ("1.2.250.1.213.1.1.1.29", "CI-SIS_LDL-SES_2022.01.sch", None),
    ("1.2.250.1.213.1.1.1.21", "CI-SIS_LDL-EES_2022.01.sch", None),
    (
        "1.2.250.1.213.1.1.1.55",
        "CI-SIS_BIO-CR-BIO_2024.01.sch",
        None,
    ),
    (
        "1.2.250.1.213.1.1.1.39",
        "CI-SIS_EP-MED-DM_2024.01.sch",
        None,
    ),
];

/// CDA-BODY-010…012.
fn body(h: &Header<'_, '_>, sink: &mut Sink) {
    // CDA R2 schema: component 1..1 holding a choice of nonXMLBody | structuredBody.
    sink.check("CDA-BODY-010");
    let comps = h.all("component");
    cardinality(sink, "CDA-BODY-010", h.root, "component", comps, Card::One);
    if let Some(c) = comps.first().copied() {
        let bodies: Vec<_> = c
            .children()
            .filter(|b| is_hl7(*b, "structuredBody") || is_hl7(*b, "nonXMLBody"))
            .collect();
        cardinality(
            sink,
            "CDA-BODY-010",
            c,
            "structuredBody|nonXMLBody",
            &bodies,
            Card::One,
        );
    }

    // No XSD engine: never a pass.
    sink.not_applicable(
        "CDA-BODY-011",
        msg!(
            "non vérifié : validation XSD disponible avec --kit (schéma CDA_extended.xsd du kit ANS)",
            "not checked: XSD validation available with --kit (CDA_extended.xsd of the ANS kit)"
        ),
    );

    // Which volet schematron applies (informative).
    let roots: Vec<&str> = h
        .all("templateId")
        .iter()
        .filter_map(|t| t.attribute("root"))
        .filter(|r| !matches!(*r, TPL_HL7_FR | TPL_CISIS | TPL_XDS_SD))
        .collect();
    let mut known = false;
    for (tpl, sch, native) in VOLETS {
        if let Some(t) = h
            .all("templateId")
            .iter()
            .find(|t| t.attribute("root") == Some(tpl))
        {
            known = true;
            let (fr, en) = match native {
                Some(rules) => (format!("règles portées nativement : {rules}"), format!("rules ported natively: {rules}")),
                None => (
                    "ses règles ne sont pas appliquées ici (validation du volet disponible avec --kit)".to_string(),
                    "its rules are not applied here (volet validation available with --kit)".to_string(),
                ),
            };
            sink.info(
                "CDA-BODY-012",
                *t,
                msg!(
                    "Modèle {tpl} : schématron de volet du kit ANS {sch} ; {fr}",
                    "Model {tpl}: ANS kit volet schematron {sch}; {en}"
                ),
            );
        }
    }
    if known {
        return;
    }
    let at = h.all("templateId").first().copied().unwrap_or(h.root);
    if h.all("templateId")
        .iter()
        .any(|t| t.attribute("root") == Some("1.2.250.1.213.1.1.1.58"))
    {
        sink.info(
            "CDA-BODY-012",
            at,
            msg!(
                "Modèle 1.2.250.1.213.1.1.1.58 (Export du Dossier Usager Informatisé) : pas de schématron de volet dans le kit ANS ; règles portées nativement : CDA-MS-050…058",
                "Model 1.2.250.1.213.1.1.1.58 (DUI export): no volet schematron in the ANS kit; rules ported natively: CDA-MS-050…058"
            ),
        );
    } else if roots.is_empty() {
        sink.info(
            "CDA-BODY-012",
            at,
            msg!(
                "Aucun templateId de volet : seules les règles de la Structuration minimale (et XDS-SD pour un document non structuré) s'appliquent",
                "No volet templateId: only the Structuration minimale rules (and XDS-SD for a level-1 document) apply"
            ),
        );
    } else {
        let list = roots.join(", ");
        sink.info(
            "CDA-BODY-012",
            at,
            msg!(
                "Aucun schématron de volet connu du catalogue pour le(s) templateId {list} : seules les règles de la Structuration minimale sont appliquées",
                "No volet schematron known to the catalogue for templateId(s) {list}: only the Structuration minimale rules are applied"
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// CDA-N1-010…014: level 1 (IHE XDS-SD)
// ---------------------------------------------------------------------------------------------------------

/// What the level-1 decoder learnt about the decoded content.
#[derive(Debug, Default)]
struct Decoded {
    /// The first bytes (magic number, PDF header line).
    head: Vec<u8>,
    /// Total size in bytes.
    size: usize,
    /// `text/plain`: first invalid UTF-8 byte offset.
    utf8_error: Option<usize>,
    /// `application/pdf`: the XMP `pdfaid:part` value when found (`Some(None)`: found without a digit).
    pdfa_part: Option<Option<char>>,
}

/// Number of leading bytes kept for the magic-number test and the PDF header.
const HEAD: usize = 16;
/// The XMP property that declares PDF/A conformance.
const PDFAID: &[u8] = b"pdfaid:part";

/// Decodes the base64 `pieces` in chunks, collecting what CDA-N1-012 and 014 need for `media`.
fn inspect(pieces: &[&str], media: &str) -> Result<Decoded, Base64Error> {
    const WINDOW: usize = PDFAID.len() + 24;
    let mut d = Decoded::default();
    let plain = media == "text/plain";
    let pdf = media == "application/pdf";
    let mut utf8_tail: Vec<u8> = Vec::new(); // an incomplete UTF-8 sequence at the end of the previous chunk
    let mut window: Vec<u8> = Vec::new(); // the end of the previous chunk, for a match across chunks
    let size = decode_base64(pieces.iter().copied(), N1_CHUNK, |chunk| {
        if d.head.len() < HEAD {
            let take = (HEAD - d.head.len()).min(chunk.len());
            d.head.extend_from_slice(&chunk[..take]);
        }
        if plain && d.utf8_error.is_none() {
            let start = d.size - utf8_tail.len();
            utf8_tail.extend_from_slice(chunk);
            match std::str::from_utf8(&utf8_tail) {
                Ok(_) => utf8_tail.clear(),
                Err(e) if e.error_len().is_none() => {
                    utf8_tail.drain(..e.valid_up_to());
                }
                Err(e) => d.utf8_error = Some(start + e.valid_up_to()),
            }
        }
        if pdf && d.pdfa_part.is_none() {
            window.extend_from_slice(chunk);
            if let Some(p) = find(&window, PDFAID) {
                let after = window.get(p + PDFAID.len()..).unwrap_or(&[]);
                d.pdfa_part = Some(
                    after
                        .iter()
                        .take(24)
                        .find(|b| b.is_ascii_digit())
                        .map(|b| char::from(*b)),
                );
            } else {
                window.drain(..window.len().saturating_sub(WINDOW));
            }
        }
        d.size += chunk.len();
        true
    })?;
    if plain && d.utf8_error.is_none() && !utf8_tail.is_empty() {
        d.utf8_error = Some(size - utf8_tail.len());
    }
    d.size = size;
    Ok(d)
}

/// First occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The magic number expected at the start of the decoded content for `media` (CDA-N1-012), with its name.
fn magic_ok(media: &str, head: &[u8]) -> Option<(bool, &'static str)> {
    Some(match media {
        "application/pdf" => (head.starts_with(b"%PDF-"), "%PDF-"),
        "image/jpeg" => (head.starts_with(&[0xFF, 0xD8, 0xFF]), "FF D8 FF"),
        "image/tiff" => (
            head.starts_with(&[0x49, 0x49, 0x2A, 0x00])
                || head.starts_with(&[0x4D, 0x4D, 0x00, 0x2A]),
            "49 49 2A 00 / 4D 4D 00 2A",
        ),
        "text/rtf" => (head.starts_with(b"{\\rtf"), "{\\rtf"),
        _ => return None,
    })
}

/// The first bytes, printable, for messages.
fn show_head(head: &[u8]) -> String {
    head.iter()
        .take(8)
        .map(|b| {
            if b.is_ascii_graphic() {
                char::from(*b).to_string()
            } else {
                format!("\\x{b:02X}")
            }
        })
        .collect()
}

/// CDA-N1-010…014, when the body is a nonXMLBody.
fn level1(cda: &Cda<'_, '_>, h: &Header<'_, '_>, sink: &mut Sink) {
    let rules = [
        "CDA-N1-010",
        "CDA-N1-011",
        "CDA-N1-012",
        "CDA-N1-013",
        "CDA-N1-014",
    ];
    let Some(nxb) = h
        .all("component")
        .first()
        .and_then(|c| children(*c, "nonXMLBody").next())
    else {
        for r in rules {
            sink.not_applicable(
                r,
                msg!(
                    "Corps structuré : règles du niveau 1 (nonXMLBody) sans objet",
                    "Structured body: level-1 (nonXMLBody) rules do not apply"
                ),
            );
        }
        return;
    };

    // SMIN: exactly the three templateIds, the XDS-SD one replacing the volet's (element nodes only, C-11).
    sink.check("CDA-N1-010");
    let tpl = h.all("templateId");
    let roots: Vec<&str> = tpl
        .iter()
        .map(|t| t.attribute("root").unwrap_or(""))
        .collect();
    let expected = [TPL_HL7_FR, TPL_CISIS, TPL_XDS_SD];
    if tpl.len() != 3 || !expected.iter().all(|e| roots.contains(e)) {
        let list = roots.join(", ");
        let n = tpl.len();
        let at = tpl
            .iter()
            .copied()
            .find(|t| !expected.contains(&t.attribute("root").unwrap_or("")))
            .unwrap_or(h.root);
        sink.violation(
            "CDA-N1-010",
            at,
            msg!(
                "Document non structuré avec {n} templateId ({list}) : exactement 2.16.840.1.113883.2.8.2.1, 1.2.250.1.213.1.1.1.1 et 1.3.6.1.4.1.19376.1.2.20 attendus ; dans un document CDA non structuré, le templateId 1.3.6.1.4.1.19376.1.2.20 remplace le templateId du volet",
                "Level-1 document with {n} templateId ({list}): exactly 2.16.840.1.113883.2.8.2.1, 1.2.250.1.213.1.1.1.1 and 1.3.6.1.4.1.19376.1.2.20 expected; in a non-structured CDA the templateId 1.3.6.1.4.1.19376.1.2.20 replaces the volet's"
            ),
        );
    }

    // XDS-SD: text 1..1, @mediaType, @representation='B64', base64 content.
    sink.check("CDA-N1-011");
    let texts = kids(nxb, "text");
    cardinality(sink, "CDA-N1-011", nxb, "text", &texts, Card::One);
    let Some(text) = texts.first().copied() else {
        for r in &rules[2..] {
            sink.not_applicable(
                r,
                msg!(
                    "Pas de contenu nonXMLBody/text (voir CDA-N1-011)",
                    "No nonXMLBody/text content (see CDA-N1-011)"
                ),
            );
        }
        return;
    };
    let media_raw = required(sink, "CDA-N1-011", text, "mediaType");
    match text.attribute("representation") {
        Some("B64") => {}
        other => {
            let v = other.unwrap_or("(absent)");
            sink.violation(
                "CDA-N1-011",
                text,
                msg!(
                    "nonXMLBody/text/@representation={v} : attendu \"B64\", le contenu étant encodé en base64",
                    "nonXMLBody/text/@representation={v}: expected \"B64\", the content being base64-encoded"
                ),
            );
        }
    }
    let media = media_raw.map(|m| {
        m.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });

    // CDA-N1-013: an admitted XDS-SD media type.
    match media.as_deref() {
        None => sink.not_applicable(
            "CDA-N1-013",
            msg!(
                "@mediaType absent (voir CDA-N1-011)",
                "@mediaType missing (see CDA-N1-011)"
            ),
        ),
        Some(m) => {
            sink.check("CDA-N1-013");
            if !N1_MEDIA_TYPES.iter().any(|(t, _)| *t == m) {
                let list = N1_MEDIA_TYPES
                    .iter()
                    .map(|(t, f)| format!("{t} ({f})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let raw = media_raw.unwrap_or("");
                sink.violation(
                    "CDA-N1-013",
                    super::At::Attr(text, "mediaType"),
                    msg!(
                        "@mediaType=\"{raw}\" n'est pas un format XDS-SD admis : {list}",
                        "@mediaType=\"{raw}\" is not an admitted XDS-SD format: {list}"
                    ),
                );
            }
        }
    }

    // Decode once, in chunks: alphabet (011), padding and magic number (012), PDF header (014).
    let pieces: Vec<&str> = text
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    let pieces_nodes: Vec<Node<'_, '_>> = text.children().filter(|c| c.is_text()).collect();
    let locate = |offset: usize| -> Location {
        let mut base = 0;
        let mut abs = text.range().start;
        for (p, n) in pieces.iter().zip(&pieces_nodes) {
            if offset < base + p.len() {
                abs = n.range().start + (offset - base);
                break;
            }
            base += p.len();
        }
        let pos = cda.doc.text_pos_at(abs);
        Location {
            line: Some(pos.row),
            column: Some(pos.col),
            path: Some(node_path(text)),
            entry: None,
            offset: Some(abs + cda.text.base_offset),
        }
    };
    let m = media.as_deref().unwrap_or("");
    match inspect(&pieces, m) {
        Err(Base64Error::InvalidChar { ch, offset }) => {
            sink.violation(
                "CDA-N1-011",
                locate(offset),
                msg!(
                    "Contenu de nonXMLBody/text non base64 : caractère {ch:?} à la position {offset} (alphabet RFC 4648 A-Z a-z 0-9 + / =, espaces et retours à la ligne admis)",
                    "nonXMLBody/text content is not base64: character {ch:?} at position {offset} (RFC 4648 alphabet A-Z a-z 0-9 + / =, white space and line breaks allowed)"
                ),
            );
            for r in ["CDA-N1-012", "CDA-N1-014"] {
                sink.not_applicable(
                    r,
                    msg!(
                        "Contenu non base64 (voir CDA-N1-011)",
                        "Content is not base64 (see CDA-N1-011)"
                    ),
                );
            }
        }
        Err(Base64Error::BadPadding { offset }) => {
            sink.check("CDA-N1-012");
            sink.violation(
                "CDA-N1-012",
                locate(offset),
                msg!(
                    "Le base64 de nonXMLBody/text ne se décode pas : remplissage « = » mal placé à la position {offset}",
                    "The nonXMLBody/text base64 does not decode: misplaced \"=\" padding at position {offset}"
                ),
            );
            sink.not_applicable(
                "CDA-N1-014",
                msg!(
                    "Contenu non décodable (voir CDA-N1-012)",
                    "Content does not decode (see CDA-N1-012)"
                ),
            );
        }
        Err(Base64Error::Truncated { chars }) => {
            sink.check("CDA-N1-012");
            sink.violation(
                "CDA-N1-012",
                text,
                msg!(
                    "Le base64 de nonXMLBody/text ne se décode pas : {chars} caractères, pas un multiple de 4 (contenu tronqué ou sans remplissage « = »)",
                    "The nonXMLBody/text base64 does not decode: {chars} characters, not a multiple of 4 (truncated content or missing \"=\" padding)"
                ),
            );
            sink.not_applicable(
                "CDA-N1-014",
                msg!(
                    "Contenu non décodable (voir CDA-N1-012)",
                    "Content does not decode (see CDA-N1-012)"
                ),
            );
        }
        Ok(d) => {
            sink.check("CDA-N1-012");
            if d.size == 0 {
                sink.violation(
                    "CDA-N1-011",
                    text,
                    msg!(
                        "nonXMLBody/text est vide : le document encodé en base64 est attendu",
                        "nonXMLBody/text is empty: the base64-encoded document is expected"
                    ),
                );
            }
            if let Some((false, magic)) = magic_ok(m, &d.head) {
                let got = show_head(&d.head);
                sink.violation(
                    "CDA-N1-012",
                    text,
                    msg!(
                        "Le contenu décodé ne correspond pas à @mediaType=\"{m}\" : il commence par « {got} », attendu « {magic} »",
                        "The decoded content does not match @mediaType=\"{m}\": it starts with \"{got}\", expected \"{magic}\""
                    ),
                );
            }
            if let Some(at) = d.utf8_error {
                sink.violation(
                    "CDA-N1-012",
                    text,
                    msg!(
                        "Le contenu text/plain décodé n'est pas de l'UTF-8 valide (octet {at})",
                        "The decoded text/plain content is not valid UTF-8 (byte {at})"
                    ),
                );
            }
            if m == "application/pdf" && d.head.starts_with(b"%PDF-") {
                let version: String = d.head[5..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit() || **b == b'.')
                    .map(|b| char::from(*b))
                    .collect();
                let (fr, en) = match d.pdfa_part {
                    Some(Some(p)) => (
                        format!("métadonnées XMP pdfaid:part={p} présentes (PDF/A-{p} déclaré)"),
                        format!("XMP pdfaid:part={p} present (PDF/A-{p} declared)"),
                    ),
                    Some(None) => (
                        "métadonnées XMP pdfaid:part présentes".to_string(),
                        "XMP pdfaid:part present".to_string(),
                    ),
                    None => (
                        "pas de métadonnée XMP pdfaid:part (non déclaré PDF/A)".to_string(),
                        "no XMP pdfaid:part (not declared PDF/A)".to_string(),
                    ),
                };
                let size = d.size;
                sink.info(
                    "CDA-N1-014",
                    text,
                    msg!(
                        "PDF {version} de {size} octets ; {fr} ; la conformité PDF/A n'est pas vérifiée",
                        "PDF {version}, {size} bytes; {en}; PDF/A conformance is not verified"
                    ),
                );
            } else {
                sink.not_applicable(
                    "CDA-N1-014",
                    msg!("Le contenu n'est pas un PDF", "The content is not a PDF"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::model::{Finding, Verdict};
    use crate::validate::{with_cda, Options};

    const N1: &str = include_str!("../../fixtures/valid/cda/n1-pdf.xml");
    const TDDUI: &str = include_str!("../../fixtures/valid/cda/tddui-export.xml");

    fn run(xml: &str) -> Vec<Finding> {
        let mut sink = Sink::new();
        with_cda(xml.as_bytes(), &Options::default(), &mut sink, document);
        sink.finish()
    }

    fn verdict(findings: &[Finding], rule: &str) -> Option<Verdict> {
        findings
            .iter()
            .filter(|f| f.requirement == rule)
            .map(|f| f.verdict)
            .max()
    }

    fn failing(findings: &[Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warning))
            .map(|f| f.requirement.as_str())
            .collect()
    }

    #[test]
    fn valid_fixtures_pass_the_header_body_and_n1_rules() {
        assert_eq!(failing(&run(N1)), Vec::<&str>::new());
        assert_eq!(failing(&run(TDDUI)), Vec::<&str>::new());
        assert_eq!(verdict(&run(N1), "CDA-N1-012"), Some(Verdict::Pass));
        assert_eq!(
            verdict(&run(TDDUI), "CDA-N1-010"),
            Some(Verdict::NotApplicable)
        );
    }

    #[test]
    fn a_template_id_inside_a_comment_does_not_count() {
        // C-11: the official IMG N1 example keeps its volet templateId in a comment.
        let tpl = r#"<templateId root="1.3.6.1.4.1.19376.1.2.20"/>"#;
        let commented = N1.replacen(
            tpl,
            &format!("{tpl}<!-- <templateId root=\"1.2.250.1.213.1.1.1.45\"/> -->"),
            1,
        );
        assert_eq!(failing(&run(&commented)), Vec::<&str>::new());
        let real = N1.replacen(
            tpl,
            &format!("{tpl}<templateId root=\"1.2.250.1.213.1.1.1.45\"/>"),
            1,
        );
        assert_eq!(failing(&run(&real)), vec!["CDA-N1-010"]);
        // Comments between the elements counted for "exactly once" are ignored too.
        let realm = TDDUI.replacen(
            r#"<realmCode code="FR"/>"#,
            r#"<realmCode code="FR"/><!-- <realmCode code="FR"/> -->"#,
            1,
        );
        assert_eq!(failing(&run(&realm)), Vec::<&str>::new());
    }

    #[test]
    fn smin_patterns() {
        assert!(is_precise_ts("20260315101500+0100"));
        assert!(is_precise_ts("20260315101500-0500"));
        assert!(!is_precise_ts("20260315101500"));
        assert!(!is_precise_ts("202603151015+0100"));
        assert!(!is_precise_ts("20260315101500+01"));
        assert!(
            has_language_tag("fr-FR") && has_language_tag("x-fr-FR-y") && has_language_tag("en-GB")
        );
        assert!(
            !has_language_tag("fr_FR") && !has_language_tag("FR-fr") && !has_language_tag("fr")
        );
        assert!(is_positive_int("1") && is_positive_int("12"));
        assert!(
            !is_positive_int("0")
                && !is_positive_int("01")
                && !is_positive_int("-1")
                && !is_positive_int("1.0")
        );
    }

    #[test]
    fn magic_numbers_follow_the_media_type() {
        assert_eq!(
            magic_ok("application/pdf", b"%PDF-1.7\n"),
            Some((true, "%PDF-"))
        );
        assert_eq!(
            magic_ok("application/pdf", b"PDF-1.7").map(|m| m.0),
            Some(false)
        );
        assert_eq!(
            magic_ok("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]).map(|m| m.0),
            Some(true)
        );
        assert_eq!(
            magic_ok("image/jpeg", &[0xFF, 0xD8]).map(|m| m.0),
            Some(false)
        );
        assert_eq!(magic_ok("image/tiff", b"II*\0").map(|m| m.0), Some(true));
        assert_eq!(magic_ok("image/tiff", b"MM\0*").map(|m| m.0), Some(true));
        assert_eq!(magic_ok("image/tiff", b"MM*\0").map(|m| m.0), Some(false));
        assert_eq!(
            magic_ok("text/rtf", b"{\\rtf1\\ansi").map(|m| m.0),
            Some(true)
        );
        assert_eq!(magic_ok("text/plain", b"anything"), None);
        assert_eq!(magic_ok("image/png", b"\x89PNG"), None);
    }

    fn b64(bytes: &[u8]) -> String {
        // Wrapped at 76 columns, as producers do.
        let s = base64::engine::general_purpose::STANDARD.encode(bytes);
        s.as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn pdfa_marker_is_found_across_chunk_boundaries() {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(N1_CHUNK - 5, b'x');
        pdf.extend_from_slice(b"<pdfaid:part>2</pdfaid:part>");
        pdf.resize(3 * N1_CHUNK, b'y');
        let text = b64(&pdf);
        let d = inspect(&[text.as_str()], "application/pdf").unwrap();
        assert_eq!(d.size, pdf.len());
        assert_eq!(d.pdfa_part, Some(Some('2')));
        assert!(d.head.starts_with(b"%PDF-1.4"));
        let plain = b64(b"%PDF-1.4 no marker");
        assert_eq!(
            inspect(&[plain.as_str()], "application/pdf")
                .unwrap()
                .pdfa_part,
            None
        );
    }

    #[test]
    fn text_plain_must_decode_to_utf8_even_across_chunks() {
        let mut ok = vec![b'a'; N1_CHUNK - 1];
        ok.extend_from_slice("é€".as_bytes()); // a multi-byte character straddles the chunk boundary
        let text = b64(&ok);
        assert_eq!(
            inspect(&[text.as_str()], "text/plain").unwrap().utf8_error,
            None
        );
        let mut bad = vec![b'a'; 10];
        bad.push(0xFF);
        let text = b64(&bad);
        assert_eq!(
            inspect(&[text.as_str()], "text/plain").unwrap().utf8_error,
            Some(10)
        );
        let cut = b64(&"aé".as_bytes()[..2]); // ends in the middle of "é"
        assert_eq!(
            inspect(&[cut.as_str()], "text/plain").unwrap().utf8_error,
            Some(1)
        );
    }
}
