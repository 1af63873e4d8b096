//! XDS metadata checks (`shared/domain/xds-dmp.md`): scheme UUIDs (XDS-UUID-010/011), the SubmissionSet
//! (XDS-SS-010…016), each DocumentEntry (XDS-DE-010…014, 029, 030…041, 050, 051, 060), the consistency
//! between each entry and the CDA document it describes (XDS-DE-012, 020…028, 032, 036, and the CDA parts of XDS-SS-016, XDS-DE-050/051), and the
//! patient identifiers (identity.md ID-030…032, with the INS checks of [`super::identity::check_ins_slot`]).
//!
//! The same rules serve an ITI-41 submission to the DMP and an IHE XDM `METADATA.XML`; the DMP value sets
//! (XDS-DE-034/037/038/039, the J59 part of XDS-SS-015) apply only to DMP submissions ([`Context::dmp`]).
//! Metadata items are recognised by their scheme UUIDs only. Each rule is reported once per problem, so a
//! defect makes exactly one rule fail; where two rules could claim the same defect the split is written
//! next to the check (e.g. the CDA confidentiality equality is XDS-DE-026, not XDS-DE-040).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use roxmltree::Node;
use sha1::{Digest, Sha1};

use super::{At, CheckInfo, Sink};
use crate::catalogue;
use crate::formats::cda::{self, Cda, INS_OIDS, OID_STRUCT_IDNAT};
use crate::formats::hl7v2::{self, CodedValue, Cx, Xcn, Xon};
use crate::formats::xds::{uuid, Classification, RegistryObject, Submission};
use crate::model::{Location, Msg};

/// `msg!` of the crate, with optional named arguments bound before formatting (`k = expr`).
macro_rules! msg {
    ($fr:literal, $en:literal $(, $k:ident = $v:expr)* $(,)?) => {{
        $(let $k = $v;)*
        Msg::new(format!($fr), format!($en))
    }};
}
use crate::validate::xds::SubmissionKind;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "xds::submission_set",
        rules: &[
            "XDS-UUID-010",
            "XDS-SS-010",
            "XDS-SS-011",
            "XDS-SS-012",
            "XDS-SS-013",
            "XDS-SS-014",
            "XDS-SS-015",
            "XDS-SS-016",
        ],
    },
    CheckInfo {
        name: "xds::document_entry",
        rules: &[
            "XDS-UUID-011",
            "XDS-DE-010",
            "XDS-DE-011",
            "XDS-DE-013",
            "XDS-DE-014",
            "XDS-DE-027",
            "XDS-DE-029",
            "XDS-DE-050",
            "XDS-DE-051",
        ],
    },
    CheckInfo {
        name: "xds::value_sets",
        rules: &[
            "XDS-DE-030",
            "XDS-DE-031",
            "XDS-DE-032",
            "XDS-DE-033",
            "XDS-DE-034",
            "XDS-DE-036",
            "XDS-DE-037",
            "XDS-DE-038",
            "XDS-DE-039",
            "XDS-DE-040",
            "XDS-DE-041",
            "XDS-DE-060",
        ],
    },
    CheckInfo {
        name: "xds::cda_consistency",
        rules: &[
            "XDS-DE-012",
            "XDS-DE-020",
            "XDS-DE-021",
            "XDS-DE-022",
            "XDS-DE-023",
            "XDS-DE-024",
            "XDS-DE-025",
            "XDS-DE-026",
            "XDS-DE-028",
        ],
    },
    CheckInfo {
        name: "xds::patient_ids",
        rules: &["ID-030", "ID-031", "ID-032"],
    },
];

/// A document the submission carries, with its CDA view when it parsed as one.
pub struct Doc<'c, 'a, 'i> {
    /// ITI-41 `xdsb:Document/@id`, or XDM file name relative to the subset directory.
    pub key: &'c str,
    /// Where the bytes are (zip entry, MIME part), for messages.
    pub entry: &'c str,
    /// The exact bytes.
    pub bytes: &'c [u8],
    /// The CDA view, when the bytes are a CDA document.
    pub cda: Option<Cda<'a, 'i>>,
}

/// What the checks need to know beyond the metadata.
pub struct Context<'c, 'a, 'i> {
    /// ITI-41 or XDM.
    pub kind: SubmissionKind,
    /// True for a submission to the DMP: the DMP value sets apply.
    pub dmp: bool,
    /// The carried documents (empty for standalone metadata).
    pub docs: &'c [Doc<'c, 'a, 'i>],
    /// ITI-41 only: the `@id` of every `xdsb:Document`, resolved or not (XDS-DE-010).
    pub attached: Option<Vec<String>>,
}

/// The carried documents and attached ids, indexed once (a hostile submission may hold many).
struct Lookup<'c, 'a, 'i> {
    kind: SubmissionKind,
    docs: HashMap<&'c str, &'c Doc<'c, 'a, 'i>>,
    attached: Option<HashMap<&'c str, usize>>,
}

impl<'c, 'a, 'i> Lookup<'c, 'a, 'i> {
    fn new(ctx: &'c Context<'c, 'a, 'i>) -> Lookup<'c, 'a, 'i> {
        let mut docs = HashMap::new();
        for d in ctx.docs {
            docs.entry(d.key).or_insert(d);
        }
        let attached = ctx.attached.as_ref().map(|a| {
            let mut m: HashMap<&'c str, usize> = HashMap::new();
            for id in a {
                *m.entry(id.as_str()).or_insert(0) += 1;
            }
            m
        });
        Lookup {
            kind: ctx.kind,
            docs,
            attached,
        }
    }

    /// The document an entry describes: by id (ITI-41), by URI (XDM).
    fn doc_for(&self, e: &RegistryObject<'_, '_>) -> Option<&'c Doc<'c, 'a, 'i>> {
        let key = match self.kind {
            SubmissionKind::Iti41 => e.id,
            SubmissionKind::Xdm => slot1(e, "URI"),
        }?;
        self.docs.get(key).copied()
    }
}

// ---------------------------------------------------------------------------------------------
// Value sets of the catalogue (J03, J10, J57 were added for these checks: provenance in their `# source`).

/// The compiled-in value set `name`.
fn set(name: &'static str) -> &'static catalogue::ValueSet {
    catalogue::valueset(name)
}

/// JDV_J61_HealthcareFacilityTypeCode_DMP (1.2.250.1.213.1.1.5.3, version 20240927120000), as
/// xds-dmp.md XDS-DE-034 lists it from the ANS FSH source
/// (ansforge/ig-terminlogie-de-sante@a43369b6330c:…/JDV_J61_HealthcareFacilityTypeCode_DMP.fsh): TRE_R02
/// `SA01`–`SA61`, `SA63`–`SA65`, `SA68`, `SA69`, TRE_A00 `EXP_PATIENT`, `SNR`. Not compiled as a file:
/// only the FSH source was read.
fn in_j61(code: &str) -> bool {
    if code == "EXP_PATIENT" || code == "SNR" {
        return true;
    }
    let Some(n) = code
        .strip_prefix("SA")
        .filter(|n| n.len() == 2)
        .and_then(|n| n.parse::<u32>().ok())
    else {
        return false;
    };
    matches!(n, 1..=61 | 63..=65 | 68 | 69)
}
const J61_LABEL: &str = "J61 (1.2.250.1.213.1.1.5.3, 20240927120000)";

// ---------------------------------------------------------------------------------------------
// Small helpers.

/// First value of slot `name` of an object.
fn slot1<'o>(o: &'o RegistryObject<'_, '_>, name: &str) -> Option<&'o str> {
    o.slot(name)
        .and_then(|s| s.first())
        .filter(|v| !v.is_empty())
}

/// The single classification with this scheme (first one).
fn coded<'o, 'a, 'i>(
    o: &'o RegistryObject<'a, 'i>,
    scheme: &str,
) -> Option<&'o Classification<'a, 'i>> {
    o.classified(scheme).into_iter().next()
}

/// Code of a classification (its `nodeRepresentation`), non-empty.
fn code_of<'o>(c: &'o Classification<'_, '_>) -> Option<&'o str> {
    c.code.filter(|s| !s.trim().is_empty())
}

/// Value of the first external identifier with this scheme.
fn ext_value<'o>(o: &'o RegistryObject<'_, '_>, scheme: &str) -> Option<&'o str> {
    o.identified(scheme)
        .first()
        .and_then(|e| e.value)
        .filter(|v| !v.is_empty())
}

/// Values of slot `name` in the author classifications of an object.
fn author_values(o: &RegistryObject<'_, '_>, scheme: &str, slot: &str) -> Vec<String> {
    o.classified(scheme)
        .iter()
        .filter_map(|c| c.slot(slot))
        .flat_map(|s| s.values.iter().filter(|v| !v.is_empty()).cloned())
        .collect()
}

fn oid_like(s: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[0-2](\.(0|[1-9][0-9]*))+$").expect("static regex"))
        .is_match(s)
}

fn ins_cx(s: &str) -> bool {
    // identity.md ID-030.
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^(?:[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8})\^\^\^&1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)&ISO\^NH$").expect("static regex")
    })
    .is_match(s)
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "l. 12" of a CDA node, for messages pointing into the document.
fn cda_line(n: Node<'_, '_>) -> u32 {
    n.document().text_pos_at(n.range().start).row
}

/// Location of a metadata node (for check_ins_slot, which takes a ready location).
fn loc_of(n: Node<'_, '_>, attr: Option<&str>) -> Location {
    super::locate(n, attr, 0).0
}

const HL7_CONF: &str = "2.16.840.1.113883.5.25";
const FLAGS_SYSTEM: &str = "1.2.250.1.213.1.1.4.13";

// ---------------------------------------------------------------------------------------------

/// Runs every XDS and patient-identifier rule on a parsed submission.
pub fn check(sub: &Submission<'_, '_>, ctx: &Context<'_, '_, '_>, sink: &mut Sink) {
    let lk = Lookup::new(ctx);
    submission_sets(sub, ctx, sink);
    for e in &sub.entries {
        let doc = lk.doc_for(e);
        entry_structure(e, &lk, sink);
        entry_value_sets(e, doc.and_then(|d| d.cda.as_ref()), ctx, sink);
        entry_consistency(e, doc, ctx, sink);
    }
    if sub.entries.is_empty() {
        let why = msg!(
            "Aucune fiche (ExtrinsicObject) dans la soumission",
            "No DocumentEntry (ExtrinsicObject) in the submission"
        );
        for r in CHECKS
            .iter()
            .filter(|c| c.name != "xds::submission_set")
            .flat_map(|c| c.rules)
        {
            sink.not_applicable(r, why.clone());
        }
        if let Some(list) = sub.list {
            sink.violation(
                "XDS-DE-010",
                list,
                msg!(
                    "La soumission ne contient aucune fiche document (rim:ExtrinsicObject) : un lot de soumission porte au moins un document",
                    "The submission holds no DocumentEntry (rim:ExtrinsicObject): a submission carries at least one document"
                ),
            );
        }
    }
    patient_ids(sub, ctx, &lk, sink);
    if ctx.docs.is_empty() {
        let why = msg!(
            "Métadonnées seules : aucun document porté, la cohérence métadonnées ↔ CDA n'est pas vérifiable",
            "Metadata alone: no carried document, the metadata ↔ CDA consistency cannot be checked"
        );
        for r in [
            "XDS-DE-012",
            "XDS-DE-020",
            "XDS-DE-021",
            "XDS-DE-022",
            "XDS-DE-023",
            "XDS-DE-024",
            "XDS-DE-025",
            "XDS-DE-026",
            "XDS-DE-028",
            "XDS-SS-016",
            "XDS-DE-036",
            "ID-032",
        ] {
            sink.not_applicable(r, why.clone());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SubmissionSet.

fn submission_sets(sub: &Submission<'_, '_>, ctx: &Context<'_, '_, '_>, sink: &mut Sink) {
    for r in [
        "XDS-UUID-010",
        "XDS-SS-010",
        "XDS-SS-011",
        "XDS-SS-012",
        "XDS-SS-013",
        "XDS-SS-014",
        "XDS-SS-015",
    ] {
        sink.check(r);
    }
    let Some(list) = sub.list else {
        sink.violation(
            "XDS-SS-010",
            sub.request,
            msg!(
                "lcm:SubmitObjectsRequest sans rim:RegistryObjectList : la soumission doit contenir le lot (RegistryPackage), les fiches et leurs associations",
                "lcm:SubmitObjectsRequest without rim:RegistryObjectList: the submission must hold the SubmissionSet (RegistryPackage), the entries and their associations"
            ),
        );
        return;
    };
    // XDS-SS-010: exactly one RegistryPackage classified as SubmissionSet; every package classified.
    let sets = sub.submission_sets();
    for p in &sub.packages {
        let is_folder = p
            .classifications
            .iter()
            .any(|c| c.node_id == Some(uuid::FOLDER_NODE));
        if !p.is_submission_set() && !is_folder {
            sink.violation(
                "XDS-SS-010",
                p.node,
                msg!(
                    "rim:RegistryPackage sans classification SubmissionSet : ajouter rim:Classification classificationNode=\"{n}\" classifiedObject=\"<id du lot>\"",
                    "rim:RegistryPackage without the SubmissionSet classification: add rim:Classification classificationNode=\"{n}\" classifiedObject=\"<package id>\"",
                    n = uuid::SS_NODE
                ),
            );
        }
        for c in p
            .classifications
            .iter()
            .filter(|c| c.node_id == Some(uuid::SS_NODE))
        {
            if let (Some(obj), Some(id)) = (c.classified_object, p.id) {
                if obj != id {
                    sink.violation(
                        "XDS-SS-010",
                        At::Attr(c.node, "classifiedObject"),
                        msg!(
                            "La classification SubmissionSet désigne « {obj} » au lieu du lot « {id} » qui la contient",
                            "The SubmissionSet classification names \"{obj}\" instead of its package \"{id}\""
                        ),
                    );
                }
            }
        }
    }
    for c in sub
        .orphan_classifications
        .iter()
        .filter(|c| c.node_id == Some(uuid::SS_NODE))
    {
        let obj = c.classified_object.unwrap_or("");
        sink.violation(
            "XDS-SS-010",
            c.node,
            msg!(
                "Classification SubmissionSet vers « {obj} », qui n'est aucun RegistryPackage de la soumission",
                "SubmissionSet classification of \"{obj}\", which is no RegistryPackage of the submission"
            ),
        );
    }
    match sets.len() {
        0 => {
            sink.violation(
                "XDS-SS-010",
                list,
                msg!(
                    "Aucun lot de soumission : la soumission doit contenir exactement un rim:RegistryPackage classé SubmissionSet ({n})",
                    "No SubmissionSet: the submission must hold exactly one rim:RegistryPackage classified as SubmissionSet ({n})",
                    n = uuid::SS_NODE
                ),
            );
        }
        1 => {}
        n => {
            if let Some(second) = sets.get(1) {
                sink.violation(
                    "XDS-SS-010",
                    second.node,
                    msg!(
                        "{n} lots de soumission : un seul SubmissionSet par soumission",
                        "{n} SubmissionSets: a submission carries exactly one"
                    ),
                );
            }
        }
    }
    for ss in &sets {
        submission_set_uuids(ss, sink);
        submission_set_required(ss, sink);
    }
    for e in sub.orphan_external_ids.iter() {
        let obj = e.registry_object.unwrap_or("");
        let rule = if matches!(
            e.scheme,
            Some(uuid::SS_PATIENT_ID | uuid::SS_SOURCE_ID | uuid::SS_UNIQUE_ID)
        ) {
            "XDS-UUID-010"
        } else {
            "XDS-UUID-011"
        };
        sink.violation(
            rule,
            e.node,
            msg!(
                "rim:ExternalIdentifier hors de tout objet, pour « {obj} » qui n'est aucun objet de la soumission : l'écrire dans le RegistryPackage ou l'ExtrinsicObject qu'il identifie",
                "rim:ExternalIdentifier outside any object, for \"{obj}\" which is no object of the submission: write it inside the RegistryPackage or ExtrinsicObject it identifies"
            ),
        );
    }
    if let Some(ss) = sets.first() {
        associations(sub, ss, sink);
        // XDS-SS-013: one patient per submission.
        if let Some(sp) = ext_value(ss, uuid::SS_PATIENT_ID) {
            for e in &sub.entries {
                if let Some(ep) = e
                    .identified(uuid::DE_PATIENT_ID)
                    .first()
                    .filter(|x| x.value.is_some_and(|v| !v.is_empty()))
                {
                    let v = ep.value.unwrap_or("");
                    if v.trim() != sp.trim() {
                        sink.violation(
                            "XDS-SS-013",
                            At::Attr(ep.node, "value"),
                            msg!(
                                "patientId de la fiche « {v} » ≠ patientId du lot « {sp} » : une soumission concerne un seul patient (sinon XDSPatientIdDoesNotMatch)",
                                "DocumentEntry patientId \"{v}\" ≠ SubmissionSet patientId \"{sp}\": a submission concerns a single patient (else XDSPatientIdDoesNotMatch)"
                            ),
                        )
                        .personal(v)
                        .personal(sp);
                    }
                }
            }
        }
        // XDS-SS-016 needs the CDA.
        let cdas: Vec<&Cda<'_, '_>> = ctx.docs.iter().filter_map(|d| d.cda.as_ref()).collect();
        if cdas.is_empty() {
            sink.not_applicable(
                "XDS-SS-016",
                msg!("Aucun document CDA porté", "No carried CDA document"),
            );
        } else {
            sink.check("XDS-SS-016");
            let has_fn = cdas.iter().any(|c| {
                c.authors()
                    .iter()
                    .any(|a| cda::child(*a, "functionCode").is_some_and(|f| !cda::is_null(f)))
            });
            let has_code = cdas.iter().any(|c| {
                c.authors().iter().any(|a| {
                    cda::path(*a, &["assignedAuthor", "code"]).is_some_and(|f| !cda::is_null(f))
                })
            });
            let author = coded(ss, uuid::SS_AUTHOR).map_or(ss.node, |c| c.node);
            if has_fn && author_values(ss, uuid::SS_AUTHOR, "authorRole").is_empty() {
                sink.violation(
                    "XDS-SS-016",
                    author,
                    msg!(
                        "Le CDA porte author/functionCode mais l'auteur du lot n'a pas de slot authorRole (JDV_J47) : le renseigner quand il est connu",
                        "The CDA has author/functionCode but the SubmissionSet author has no authorRole slot (JDV_J47): provide it when known"
                    ),
                );
            }
            if has_code && author_values(ss, uuid::SS_AUTHOR, "authorSpecialty").is_empty() {
                sink.violation(
                    "XDS-SS-016",
                    author,
                    msg!(
                        "Le CDA porte assignedAuthor/code mais l'auteur du lot n'a pas de slot authorSpecialty (JDV_J01) : le renseigner quand il est connu",
                        "The CDA has assignedAuthor/code but the SubmissionSet author has no authorSpecialty slot (JDV_J01): provide it when known"
                    ),
                );
            }
        }
        // XDS-SS-015: contentTypeCode from J03 (and J59 for the DMP); membership on the code only.
        if let Some(c) = coded(ss, uuid::SS_CONTENT_TYPE) {
            if let Some(code) = code_of(c) {
                let j03 = set("J03");
                if !j03.contains(code) {
                    let l = &j03.label();
                    sink.violation(
                        "XDS-SS-015",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!(
                            "contentTypeCode « {code} » absent de {l} (JDV_J03_XdsContentTypeCode_CISIS : types d'activité TRE_R209, secteurs TRE_R02, TRE_R276, EXP_PATIENT) ; pour un ESMS p. ex. 11 hébergement complet, 21 accueil de jour, 16 prestations sur le lieu de vie",
                            "contentTypeCode \"{code}\" is not in {l} (JDV_J03_XdsContentTypeCode_CISIS: TRE_R209 activity types, TRE_R02 sectors, TRE_R276, EXP_PATIENT); for an ESMS e.g. 11 full accommodation, 21 day care, 16 services at the place of living"
                        ),
                    );
                }
                if ctx.dmp && !catalogue::valueset("J59").contains(code) {
                    let l = catalogue::valueset("J59").label();
                    sink.violation(
                        "XDS-SS-015",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!(
                            "contentTypeCode « {code} » absent de {l} (JDV_J59_ContentTypeCode_DMP), le jeu du DMP",
                            "contentTypeCode \"{code}\" is not in {l} (JDV_J59_ContentTypeCode_DMP), the DMP set"
                        ),
                    );
                }
            }
        }
    } else {
        for r in ["XDS-SS-013", "XDS-SS-014", "XDS-SS-015", "XDS-SS-016"] {
            sink.not_applicable(r, msg!("Pas de lot de soumission", "No SubmissionSet"));
        }
    }
}

/// XDS-UUID-010 on one SubmissionSet.
fn submission_set_uuids(ss: &RegistryObject<'_, '_>, sink: &mut Sink) {
    for c in &ss.classifications {
        if let Some(n) = c.node_id {
            if n != uuid::SS_NODE && n != uuid::FOLDER_NODE {
                sink.violation(
                    "XDS-UUID-010",
                    At::Attr(c.node, "classificationNode"),
                    msg!("classificationNode « {n} » inconnu : le lot de soumission est classé par {s}", "Unknown classificationNode \"{n}\": the SubmissionSet is classified by {s}", s = uuid::SS_NODE),
                );
            }
            continue;
        }
        let s = c.scheme.unwrap_or("");
        if s == uuid::SS_AUTHOR || s == uuid::SS_CONTENT_TYPE {
            continue;
        }
        let (fr, en) = misplaced_scheme(s, "du lot", "SubmissionSet");
        sink.violation(
            "XDS-UUID-010",
            At::Attr(c.node, "classificationScheme"),
            msg!(
                "classificationScheme « {s} » {fr} : pour le lot, author = {a}, contentTypeCode = {t}",
                "classificationScheme \"{s}\" {en}: for a SubmissionSet, author = {a}, contentTypeCode = {t}",
                a = uuid::SS_AUTHOR,
                t = uuid::SS_CONTENT_TYPE
            ),
        );
    }
    for e in &ss.external_ids {
        let s = e.scheme.unwrap_or("");
        if [uuid::SS_PATIENT_ID, uuid::SS_SOURCE_ID, uuid::SS_UNIQUE_ID].contains(&s) {
            continue;
        }
        let (fr, en) = misplaced_scheme(s, "du lot", "SubmissionSet");
        sink.violation(
            "XDS-UUID-010",
            At::Attr(e.node, "identificationScheme"),
            msg!(
                "identificationScheme « {s} » {fr} : pour le lot, patientId = {p}, sourceId = {so}, uniqueId = {u}",
                "identificationScheme \"{s}\" {en}: for a SubmissionSet, patientId = {p}, sourceId = {so}, uniqueId = {u}",
                p = uuid::SS_PATIENT_ID,
                so = uuid::SS_SOURCE_ID,
                u = uuid::SS_UNIQUE_ID
            ),
        );
    }
}

/// What is wrong with a scheme UUID found on an object: another object's item, or unknown (fr, en).
fn misplaced_scheme(scheme: &str, owner_fr: &str, owner_en: &str) -> (String, String) {
    match uuid::name(scheme) {
        Some(k) => (
            format!("est celui de {k}, pas d'une métadonnée {owner_fr}"),
            format!("is the one of {k}, not a {owner_en} item"),
        ),
        None => ("est inconnu".to_string(), "is unknown".to_string()),
    }
}

/// XDS-SS-011, XDS-SS-012 on one SubmissionSet (and the SubmissionSet part of XDS-DE-029/050/051).
fn submission_set_required(ss: &RegistryObject<'_, '_>, sink: &mut Sink) {
    let missing = |what: &str, fix: &str, sink: &mut Sink| {
        sink.violation(
            "XDS-SS-011",
            ss.node,
            msg!(
                "Lot de soumission sans {what} (obligatoire) : {fix}",
                "SubmissionSet without {what} (required): {fix}"
            ),
        );
    };
    match ss
        .slot("submissionTime")
        .and_then(|s| s.first())
        .filter(|v| !v.is_empty())
    {
        None => missing(
            "submissionTime",
            "slot submissionTime = date/heure UTC AAAAMMJJhhmmss",
            sink,
        ),
        Some(v) => dtm_check(
            v,
            ss.slot("submissionTime").map(|s| s.node),
            "submissionTime",
            sink,
        ),
    }
    if ext_value(ss, uuid::SS_PATIENT_ID).is_none() {
        missing(
            "patientId",
            &format!(
                "ExternalIdentifier identificationScheme=\"{}\" (INS au format CX)",
                uuid::SS_PATIENT_ID
            ),
            sink,
        );
    }
    for (scheme, what) in [
        (uuid::SS_SOURCE_ID, "sourceId"),
        (uuid::SS_UNIQUE_ID, "uniqueId"),
    ] {
        match ss.identified(scheme).first() {
            Some(e) if e.value.is_some_and(|v| oid_like(v.trim())) => {}
            Some(e) => {
                let v = e.value.unwrap_or("");
                sink.violation(
                    "XDS-SS-011",
                    At::Attr(e.node, "value"),
                    msg!("{what} du lot « {v} » n'est pas un OID (chiffres séparés par des points)", "SubmissionSet {what} \"{v}\" is not an OID (dot-separated digits)"),
                );
            }
            None => missing(what, &format!("ExternalIdentifier identificationScheme=\"{scheme}\" dont la valeur est un OID"), sink),
        }
    }
    if coded(ss, uuid::SS_CONTENT_TYPE).and_then(code_of).is_none() {
        missing(
            "contentTypeCode",
            &format!(
                "Classification classificationScheme=\"{}\" (JDV_J03)",
                uuid::SS_CONTENT_TYPE
            ),
            sink,
        );
    }
    let authors = ss.classified(uuid::SS_AUTHOR);
    let persons = author_values(ss, uuid::SS_AUTHOR, "authorPerson");
    if persons.is_empty() {
        missing(
            "auteur (authorPerson)",
            &format!(
                "Classification classificationScheme=\"{}\" avec un slot authorPerson (XCN)",
                uuid::SS_AUTHOR
            ),
            sink,
        );
    }
    if authors.is_empty() {
        sink.not_applicable(
            "XDS-SS-012",
            msg!(
                "Lot sans auteur (XDS-SS-011)",
                "SubmissionSet without author (XDS-SS-011)"
            ),
        );
    } else if author_values(ss, uuid::SS_AUTHOR, "authorInstitution").is_empty() {
        // SS-012: the structure is always known to an ESMS DUI.
        let at = authors.first().map_or(ss.node, |c| c.node);
        sink.violation(
            "XDS-SS-012",
            at,
            msg!(
                "L'auteur du lot n'a pas de slot authorInstitution : un DUI connaît toujours sa structure ; renseigner <nom>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<Struct_IdNat>",
                "The SubmissionSet author has no authorInstitution slot: a DUI always knows its structure; provide <name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<Struct_IdNat>"
            ),
        );
    }
    for c in &authors {
        for s in c.slots.iter().filter(|s| s.name == "authorInstitution") {
            for v in &s.values {
                xon_check(v, s.node, sink);
            }
        }
        for s in c.slots.iter().filter(|s| s.name == "authorPerson") {
            for v in &s.values {
                xcn_check(v, s.node, "authorPerson", sink);
            }
        }
    }
}

/// XDS-SS-014: one HasMember association SubmissionSet → entry, with SubmissionSetStatus = Original.
fn associations(sub: &Submission<'_, '_>, ss: &RegistryObject<'_, '_>, sink: &mut Sink) {
    let Some(ss_id) = ss.id else { return };
    let entry_ids: HashSet<&str> = sub.entries.iter().filter_map(|e| e.id).collect();
    // HasMember associations from the set, by target (indexed once).
    let mut by_target: HashMap<&str, Vec<&crate::formats::xds::Association<'_, '_>>> =
        HashMap::new();
    for a in sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(uuid::HAS_MEMBER) && a.source == Some(ss_id))
    {
        if let Some(t) = a.target {
            by_target.entry(t).or_default().push(a);
        }
    }
    for e in &sub.entries {
        let Some(id) = e.id else { continue };
        let members: &[_] = by_target.get(id).map_or(&[], Vec::as_slice);
        match members.len() {
            0 => {
                sink.violation(
                    "XDS-SS-014",
                    e.node,
                    msg!(
                        "Aucune association HasMember du lot « {ss_id} » vers la fiche « {id} » : ajouter rim:Association associationType=\"{h}\" sourceObject=\"{ss_id}\" targetObject=\"{id}\" avec le slot SubmissionSetStatus = Original",
                        "No HasMember association from SubmissionSet \"{ss_id}\" to entry \"{id}\": add rim:Association associationType=\"{h}\" sourceObject=\"{ss_id}\" targetObject=\"{id}\" with slot SubmissionSetStatus = Original",
                        h = uuid::HAS_MEMBER
                    ),
                );
            }
            1 => {}
            n => {
                sink.violation(
                    "XDS-SS-014",
                    members[1].node,
                    msg!("{n} associations HasMember du lot vers la fiche « {id} » : une seule", "{n} HasMember associations from the SubmissionSet to entry \"{id}\": exactly one"),
                );
            }
        }
    }
    for a in sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(uuid::HAS_MEMBER) && a.source == Some(ss_id))
    {
        let target = a.target.unwrap_or("");
        let status = a
            .slot("SubmissionSetStatus")
            .and_then(|s| s.first())
            .unwrap_or("");
        if entry_ids.contains(target) {
            if status != "Original" {
                sink.violation(
                    "XDS-SS-014",
                    a.slot("SubmissionSetStatus").map_or(a.node, |s| s.node),
                    msg!(
                        "Association HasMember vers la fiche « {target} » avec SubmissionSetStatus « {status} » : attendu Original pour un document soumis dans ce lot",
                        "HasMember association to entry \"{target}\" with SubmissionSetStatus \"{status}\": Original is expected for a document submitted in this set"
                    ),
                );
            }
        } else if status == "Original" {
            sink.violation(
                "XDS-SS-014",
                At::Attr(a.node, "targetObject"),
                msg!(
                    "Association HasMember « Original » vers « {target} », qui n'est aucune fiche de la soumission",
                    "\"Original\" HasMember association to \"{target}\", which is no entry of the submission"
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DocumentEntry: structure, presence, formats.

fn entry_structure(e: &RegistryObject<'_, '_>, lk: &Lookup<'_, '_, '_>, sink: &mut Sink) {
    for r in [
        "XDS-UUID-011",
        "XDS-DE-010",
        "XDS-DE-011",
        "XDS-DE-013",
        "XDS-DE-027",
        "XDS-DE-029",
        "XDS-DE-050",
        "XDS-DE-051",
    ] {
        sink.check(r);
    }
    // XDS-UUID-011.
    const DE_SCHEMES: &[&str] = &[
        uuid::DE_AUTHOR,
        uuid::DE_CLASS,
        uuid::DE_CONFIDENTIALITY,
        uuid::DE_EVENT,
        uuid::DE_FORMAT,
        uuid::DE_FACILITY,
        uuid::DE_PRACTICE,
        uuid::DE_TYPE,
    ];
    for c in &e.classifications {
        let s = c.scheme.or(c.node_id).unwrap_or("");
        if c.scheme.is_some_and(|s| DE_SCHEMES.contains(&s)) {
            continue;
        }
        let (fr, en) = misplaced_scheme(s, "de fiche", "DocumentEntry");
        let attr = if c.scheme.is_some() {
            "classificationScheme"
        } else {
            "classificationNode"
        };
        sink.violation(
            "XDS-UUID-011",
            At::Attr(c.node, attr),
            msg!(
                "Classification « {s} » {fr} : une fiche est classée par author, classCode, confidentialityCode, eventCodeList, formatCode, healthcareFacilityTypeCode, practiceSettingCode, typeCode (UUID IHE ITI TF-3)",
                "Classification \"{s}\" {en}: an entry is classified by author, classCode, confidentialityCode, eventCodeList, formatCode, healthcareFacilityTypeCode, practiceSettingCode, typeCode (IHE ITI TF-3 UUIDs)"
            ),
        );
    }
    for x in &e.external_ids {
        let s = x.scheme.unwrap_or("");
        if s == uuid::DE_PATIENT_ID || s == uuid::DE_UNIQUE_ID {
            continue;
        }
        let (fr, en) = misplaced_scheme(s, "de fiche", "DocumentEntry");
        sink.violation(
            "XDS-UUID-011",
            At::Attr(x.node, "identificationScheme"),
            msg!(
                "identificationScheme « {s} » {fr} : pour une fiche, patientId = {p}, uniqueId = {u}",
                "identificationScheme \"{s}\" {en}: for an entry, patientId = {p}, uniqueId = {u}",
                p = uuid::DE_PATIENT_ID,
                u = uuid::DE_UNIQUE_ID
            ),
        );
    }
    let uniques = e.identified(uuid::DE_UNIQUE_ID);
    if uniques.len() > 1 {
        // The stale ANS generator (XDS-UUID-014) writes the patientId with the uniqueId scheme.
        let trap = uniques
            .iter()
            .any(|u| u.value.is_some_and(|v| v.contains("^^^")));
        let hint = if trap {
            " ; une valeur au format CX est un patientId écrit avec le schéma uniqueId (piège de CDAHeaderToXDM.xsl 2017) : utiliser "
        } else {
            ""
        };
        let hint_en = if trap {
            "; a CX value is a patientId written with the uniqueId scheme (the 2017 CDAHeaderToXDM.xsl trap): use "
        } else {
            ""
        };
        let p = if trap { uuid::DE_PATIENT_ID } else { "" };
        if let Some(second) = uniques.get(1) {
            sink.violation(
                "XDS-UUID-011",
                At::Attr(second.node, "identificationScheme"),
                msg!(
                    "Plusieurs ExternalIdentifier uniqueId ({u}) dans la fiche{hint}{p}",
                    "Several uniqueId ExternalIdentifiers ({u}) in the entry{hint_en}{p}",
                    u = uuid::DE_UNIQUE_ID
                ),
            );
        }
    }
    if e.identified(uuid::DE_PATIENT_ID).len() > 1 {
        if let Some(second) = e.identified(uuid::DE_PATIENT_ID).get(1) {
            sink.violation(
                "XDS-UUID-011",
                At::Attr(second.node, "identificationScheme"),
                msg!(
                    "Plusieurs ExternalIdentifier patientId dans la fiche : un seul",
                    "Several patientId ExternalIdentifiers in the entry: exactly one"
                ),
            );
        }
    }

    // XDS-DE-010.
    match e.object_type {
        Some(uuid::DE_STABLE) => {}
        Some(t) => {
            let what = if t == uuid::DE_ON_DEMAND {
                " (document à la demande, non utilisé)"
            } else {
                ""
            };
            let what_en = if t == uuid::DE_ON_DEMAND {
                " (on-demand document, not used)"
            } else {
                ""
            };
            sink.violation(
                "XDS-DE-010",
                At::Attr(e.node, "objectType"),
                msg!(
                    "objectType « {t} »{what} : une fiche de document stable a objectType=\"{s}\"",
                    "objectType \"{t}\"{what_en}: a stable DocumentEntry has objectType=\"{s}\"",
                    s = uuid::DE_STABLE
                ),
            );
        }
        None => {
            sink.violation(
                "XDS-DE-010",
                e.node,
                msg!(
                    "ExtrinsicObject sans objectType : ajouter objectType=\"{s}\"",
                    "ExtrinsicObject without objectType: add objectType=\"{s}\"",
                    s = uuid::DE_STABLE
                ),
            );
        }
    }
    if e.mime_type.is_none_or(|m| m.trim().is_empty()) {
        sink.violation(
            "XDS-DE-010",
            e.node,
            msg!("ExtrinsicObject sans attribut mimeType : mimeType=\"text/xml\" pour un document CDA", "ExtrinsicObject without a mimeType attribute: mimeType=\"text/xml\" for a CDA document"),
        );
    }
    match e.id.filter(|i| !i.trim().is_empty()) {
        None => {
            sink.violation(
                "XDS-DE-010",
                e.node,
                msg!("ExtrinsicObject sans id", "ExtrinsicObject without id"),
            );
        }
        Some(id) => {
            if let Some(attached) = &lk.attached {
                let n = attached.get(id).copied().unwrap_or(0);
                if n != 1 {
                    sink.violation(
                        "XDS-DE-010",
                        At::Attr(e.node, "id"),
                        msg!(
                            "La fiche « {id} » correspond à {n} xdsb:Document (attendu exactement un xdsb:Document id=\"{id}\")",
                            "Entry \"{id}\" matches {n} xdsb:Document (exactly one xdsb:Document id=\"{id}\" expected)"
                        ),
                    );
                }
            }
        }
    }

    // XDS-DE-011: presence by scheme UUID / slot name.
    let missing = |what: &str, how: String, sink: &mut Sink| {
        sink.violation(
            "XDS-DE-011",
            e.node,
            msg!(
                "Fiche sans {what} (obligatoire) : {how}",
                "DocumentEntry without {what} (required): {how}"
            ),
        );
    };
    if author_values(e, uuid::DE_AUTHOR, "authorPerson").is_empty() {
        missing(
            "auteur (authorPerson)",
            format!(
                "Classification classificationScheme=\"{}\" avec un slot authorPerson",
                uuid::DE_AUTHOR
            ),
            sink,
        );
    }
    for (scheme, what) in [
        (uuid::DE_CLASS, "classCode"),
        (uuid::DE_CONFIDENTIALITY, "confidentialityCode"),
        (uuid::DE_FORMAT, "formatCode"),
        (uuid::DE_FACILITY, "healthcareFacilityTypeCode"),
        (uuid::DE_PRACTICE, "practiceSettingCode"),
        (uuid::DE_TYPE, "typeCode"),
    ] {
        if e.classified(scheme).iter().all(|c| code_of(c).is_none()) {
            missing(
                what,
                format!("Classification classificationScheme=\"{scheme}\" avec nodeRepresentation"),
                sink,
            );
        }
    }
    for s in [
        "creationTime",
        "hash",
        "languageCode",
        "legalAuthenticator",
        "serviceStartTime",
        "size",
        "sourcePatientId",
    ] {
        if slot1(e, s).is_none() {
            missing(s, format!("slot {s}"), sink);
        }
    }
    if ext_value(e, uuid::DE_PATIENT_ID).is_none() {
        missing(
            "patientId",
            format!(
                "ExternalIdentifier identificationScheme=\"{}\"",
                uuid::DE_PATIENT_ID
            ),
            sink,
        );
    }
    if ext_value(e, uuid::DE_UNIQUE_ID).is_none() {
        missing(
            "uniqueId",
            format!(
                "ExternalIdentifier identificationScheme=\"{}\"",
                uuid::DE_UNIQUE_ID
            ),
            sink,
        );
    }
    if e.name
        .as_ref()
        .is_none_or(|v| v.iter().all(|s| s.trim().is_empty()))
    {
        missing(
            "titre",
            "rim:Name/rim:LocalizedString/@value = titre du CDA".to_string(),
            sink,
        );
    }

    // XDS-DE-013 (SHOULD): sourcePatientInfo as PID-n|… values with PID-5, PID-7, PID-8.
    match e.slot("sourcePatientInfo") {
        None => {
            sink.violation(
                "XDS-DE-013",
                e.node,
                msg!(
                    "Fiche sans slot sourcePatientInfo : recommandé avec PID-5|<nom>^<prénoms>…, PID-7|<date de naissance>, PID-8|<sexe>",
                    "DocumentEntry without a sourcePatientInfo slot: recommended with PID-5|<name>^<given>…, PID-7|<birth date>, PID-8|<sex>"
                ),
            );
        }
        Some(s) => {
            let mut seen = HashSet::new();
            for v in &s.values {
                let field = v.split_once('|').map(|(f, _)| f).filter(|f| {
                    f.strip_prefix("PID-")
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                });
                match field {
                    Some(f) => {
                        seen.insert(f.to_string());
                    }
                    None => {
                        sink.violation(
                            "XDS-DE-013",
                            s.node,
                            msg!(
                                "Valeur de sourcePatientInfo « {v} » hors forme PID-n|<valeur>",
                                "sourcePatientInfo value \"{v}\" is not of the form PID-n|<value>"
                            ),
                        )
                        .personal(v.clone());
                    }
                }
            }
            // PID-3 is not required: none of the 18 ANS XDM examples carries it (sourcePatientId does).
            let absent: Vec<&str> = ["PID-5", "PID-7", "PID-8"]
                .into_iter()
                .filter(|p| !seen.contains(*p))
                .collect();
            if !absent.is_empty() {
                let a = absent.join(", ");
                sink.violation(
                    "XDS-DE-013",
                    s.node,
                    msg!(
                        "sourcePatientInfo sans {a} (nom, date de naissance, sexe attendus)",
                        "sourcePatientInfo without {a} (name, birth date and sex expected)"
                    ),
                );
            }
        }
    }

    // XDS-DE-014 (INFO): optional metadata, reported when present.
    let events = e.classified(uuid::DE_EVENT).len();
    let refs = e.slot("urn:ihe:iti:xds:2013:referenceIdList");
    let comments = e
        .description
        .as_ref()
        .and_then(|d| d.iter().find(|s| !s.trim().is_empty()).copied());
    if events == 0 && refs.is_none() && comments.is_none() {
        sink.not_applicable(
            "XDS-DE-014",
            msg!(
                "Ni eventCodeList, ni referenceIdList, ni comments",
                "No eventCodeList, referenceIdList nor comments"
            ),
        );
    } else {
        sink.check("XDS-DE-014");
        if events > 0 {
            let codes: Vec<&str> = e
                .classified(uuid::DE_EVENT)
                .iter()
                .filter_map(|c| c.code)
                .collect();
            let c = codes.join(", ");
            sink.info(
                "XDS-DE-014",
                e.classified(uuid::DE_EVENT)[0].node,
                msg!("eventCodeList présent : {c}", "eventCodeList present: {c}"),
            );
        }
        if let Some(s) = refs {
            for v in &s.values {
                let cx = Cx::parse(v);
                let ok_type = [
                    "urn:ihe:iti:xds:2013:accession",
                    "urn:ihe:iti:xds:2013:order",
                    "urn:ihe:iti:xds:2016:studyInstanceUID",
                ]
                .contains(&cx.id_type.as_str());
                if cx.id.is_empty() || cx.authority.universal_id.is_empty() || !ok_type {
                    sink.info(
                        "XDS-DE-014",
                        s.node,
                        msg!(
                            "referenceIdList « {v} » hors forme <id>^^^&<OID>&ISO^<type>, type ∈ urn:ihe:iti:xds:2013:accession, …:2013:order, …:2016:studyInstanceUID",
                            "referenceIdList \"{v}\" is not <id>^^^&<OID>&ISO^<type> with type ∈ urn:ihe:iti:xds:2013:accession, …:2013:order, …:2016:studyInstanceUID"
                        ),
                    );
                } else {
                    sink.info(
                        "XDS-DE-014",
                        s.node,
                        msg!(
                            "referenceIdList présent : {v}",
                            "referenceIdList present: {v}"
                        ),
                    );
                }
            }
        }
        if let Some(c) = comments {
            let c = crate::formats::xml::truncate(c, 80);
            sink.info(
                "XDS-DE-014",
                e.node,
                msg!("comments présent : « {c} »", "comments present: \"{c}\""),
            );
        }
    }

    // XDS-DE-027 (format; the bytes are compared in entry_consistency).
    if let Some(s) = e.slot("hash") {
        let v = s.first().unwrap_or("");
        if !v.is_empty() && (v.len() != 40 || !v.bytes().all(|b| b.is_ascii_hexdigit())) {
            sink.violation(
                "XDS-DE-027",
                s.node,
                msg!(
                    "hash « {v} » : attendu 40 chiffres hexadécimaux (SHA-1)",
                    "hash \"{v}\": 40 hexadecimal digits (SHA-1) expected"
                ),
            );
        }
    }
    if let Some(s) = e.slot("size") {
        let v = s.first().unwrap_or("");
        if !v.is_empty() && (!v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 19) {
            sink.violation(
                "XDS-DE-027",
                s.node,
                msg!(
                    "size « {v} » : attendu un nombre d'octets (entier décimal)",
                    "size \"{v}\": a byte count (decimal integer) expected"
                ),
            );
        }
    }

    // XDS-DE-029.
    for name in ["creationTime", "serviceStartTime", "serviceStopTime"] {
        if let Some(s) = e.slot(name) {
            for v in s.values.iter().filter(|v| !v.is_empty()) {
                dtm_check(v, Some(s.node), name, sink);
            }
        }
    }

    // XDS-DE-050 / XDS-DE-051 forms (CDA-dependent parts in entry_consistency).
    for c in e.classified(uuid::DE_AUTHOR) {
        for s in c.slots.iter().filter(|s| s.name == "authorInstitution") {
            for v in &s.values {
                xon_check(v, s.node, sink);
            }
        }
        for s in c.slots.iter().filter(|s| s.name == "authorPerson") {
            for v in &s.values {
                xcn_check(v, s.node, "authorPerson", sink);
            }
        }
    }
    if let Some(s) = e.slot("legalAuthenticator") {
        for v in s.values.iter().filter(|v| !v.is_empty()) {
            xcn_check(v, s.node, "legalAuthenticator", sink);
        }
    }
}

/// XDS-DE-029 on one DTM value.
fn dtm_check(v: &str, node: Option<Node<'_, '_>>, name: &str, sink: &mut Sink) {
    sink.check("XDS-DE-029");
    if hl7v2::parse_dtm(v).is_err() {
        let at = node.map_or(At::Nowhere, At::Node);
        sink.violation(
            "XDS-DE-029",
            at,
            msg!(
                "{name} « {v} » n'est pas un DTM XDS : AAAA[MM[JJ[hh[mm[ss]]]]] en UTC, sans fuseau ni séparateur (convertir l'heure locale en UTC)",
                "{name} \"{v}\" is not an XDS DTM: YYYY[MM[DD[hh[mm[ss]]]]] in UTC, no offset nor separators (convert local time to UTC)"
            ),
        );
    }
}

/// XDS-DE-050: an authorInstitution value in XON form.
fn xon_check(v: &str, node: Node<'_, '_>, sink: &mut Sink) {
    let x = Xon::parse(v);
    let mut problems: Vec<(String, String)> = Vec::new();
    if x.name.trim().is_empty() && x.id.is_empty() {
        problems.push((
            "XON.1 (nom) et XON.10 (identifiant) vides".into(),
            "XON.1 (name) and XON.10 (identifier) empty".into(),
        ));
    }
    match x.id_type.as_str() {
        "IDNST" => {
            if x.authority.universal_id != OID_STRUCT_IDNAT
                || x.authority.universal_id_type != "ISO"
            {
                let a = format!(
                    "{}&{}&{}",
                    x.authority.namespace, x.authority.universal_id, x.authority.universal_id_type
                );
                problems.push((
                    format!("XON.6 « {a} » au lieu de &{OID_STRUCT_IDNAT}&ISO"),
                    format!("XON.6 \"{a}\" instead of &{OID_STRUCT_IDNAT}&ISO"),
                ));
            }
            if x.id.is_empty() {
                problems.push((
                    "XON.10 (Struct_IdNat) vide".into(),
                    "XON.10 (Struct_IdNat) empty".into(),
                ));
            }
        }
        "SIREN" => {
            if x.authority.universal_id.is_empty() || x.id.is_empty() {
                problems.push((
                    "XON.6 (OID SIRENE) ou XON.10 (SIREN) vide".into(),
                    "XON.6 (SIRENE OID) or XON.10 (SIREN) empty".into(),
                ));
            }
        }
        "" if x.id.is_empty() && x.raw.comp_is_empty(6) => {} // organisation id nullFlavor: XON.6/7/10 empty
        t => problems.push((
            format!("XON.7 « {t} » au lieu de IDNST"),
            format!("XON.7 \"{t}\" instead of IDNST"),
        )),
    }
    for (fr, en) in problems {
        sink.violation(
            "XDS-DE-050",
            node,
            msg!(
                "authorInstitution « {v} » : {fr} ; forme attendue <nom structure>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<Struct_IdNat>",
                "authorInstitution \"{v}\": {en}; expected <structure name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<Struct_IdNat>"
            ),
        );
    }
}

/// XDS-DE-051: an authorPerson / legalAuthenticator value in XCN form.
fn xcn_check(v: &str, node: Node<'_, '_>, what: &str, sink: &mut Sink) {
    let x = Xcn::parse(v);
    let mut problems: Vec<(&str, &str)> = Vec::new();
    if x.id.trim().is_empty() {
        problems.push(("XCN.1 (identifiant) vide", "XCN.1 (identifier) empty"));
    }
    if x.family.trim().is_empty() {
        problems.push((
            "XCN.2 (nom ou nom du système) vide",
            "XCN.2 (family or system name) empty",
        ));
    }
    if x.authority.universal_id.is_empty() || x.authority.universal_id_type != "ISO" {
        problems.push((
            "XCN.9 n'est pas &<OID de l'identifiant>&ISO",
            "XCN.9 is not &<identifier OID>&ISO",
        ));
    }
    if x.name_type != "D" && x.name_type != "U" {
        problems.push((
            "XCN.10 n'est ni D (personne) ni U (système)",
            "XCN.10 is neither D (person) nor U (system)",
        ));
    }
    for (fr, en) in problems {
        sink.violation(
            "XDS-DE-051",
            node,
            msg!(
                "{what} « {v} » : {fr} ; forme attendue <id>^<nom>^<prénom>^^^^^^&<OID>&ISO^D (personne) ou …^U (système)",
                "{what} \"{v}\": {en}; expected <id>^<family>^<given>^^^^^^&<OID>&ISO^D (person) or …^U (system)"
            ),
        )
        .personal(x.family.clone())
        .personal(x.given.clone());
    }
}

// ---------------------------------------------------------------------------------------------
// DocumentEntry: value sets.

fn entry_value_sets(
    e: &RegistryObject<'_, '_>,
    cda: Option<&Cda<'_, '_>>,
    ctx: &Context<'_, '_, '_>,
    sink: &mut Sink,
) {
    for r in [
        "XDS-DE-030",
        "XDS-DE-032",
        "XDS-DE-033",
        "XDS-DE-040",
        "XDS-DE-041",
        "XDS-DE-031",
        "XDS-DE-060",
    ] {
        sink.check(r);
    }
    let class = coded(e, uuid::DE_CLASS);
    let typ = coded(e, uuid::DE_TYPE);
    let format = coded(e, uuid::DE_FORMAT);
    let facility = coded(e, uuid::DE_FACILITY);
    let practice = coded(e, uuid::DE_PRACTICE);

    // XDS-DE-030: classCode ∈ J57 on (code, codingScheme).
    if let Some(c) = class {
        if let Some(code) = code_of(c) {
            let scheme = c.coding_scheme.as_deref().unwrap_or("");
            let j57 = set("J57");
            if !j57.contains_pair(code, scheme) {
                let l = &j57.label();
                sink.violation(
                    "XDS-DE-030",
                    At::Attr(c.node, "nodeRepresentation"),
                    msg!(
                        "classCode « {code} » (codingScheme « {scheme} ») absent de {l} : classes TRE_A03 (1.2.250.1.213.1.1.4.1) 10, 11, 31, 42, 43, 44, 45, 52, 60, 90, 95",
                        "classCode \"{code}\" (codingScheme \"{scheme}\") is not in {l}: TRE_A03 classes (1.2.250.1.213.1.1.4.1) 10, 11, 31, 42, 43, 44, 45, 52, 60, 90, 95"
                    ),
                );
            }
        }
    }
    // XDS-DE-031 (SHOULD): classCode = the ASS_X04 class of the typeCode.
    match (
        typ.and_then(|t| code_of(t).map(|c| (t, c))),
        class.and_then(code_of),
    ) {
        (Some((t, tcode)), Some(ccode)) => {
            let x04 = set("ASS_X04");
            let l = &x04.label();
            match x04
                .map(tcode, t.coding_scheme.as_deref())
                .or_else(|| x04.map(tcode, None))
            {
                Some((expected, _)) if expected != ccode => {
                    let at = class.map_or(At::Nowhere, |c| At::Attr(c.node, "nodeRepresentation"));
                    sink.violation(
                        "XDS-DE-031",
                        at,
                        msg!(
                            "classCode « {ccode} » alors que {l} donne la classe « {expected} » pour le typeCode « {tcode} » : la classe se déduit du type",
                            "classCode \"{ccode}\" whereas {l} gives class \"{expected}\" for typeCode \"{tcode}\": the class follows from the type"
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    sink.info(
                        "XDS-DE-031",
                        At::Attr(t.node, "nodeRepresentation"),
                        msg!("typeCode « {tcode} » absent de {l} : cohérence classCode non vérifiable", "typeCode \"{tcode}\" is not in {l}: classCode consistency cannot be checked"),
                    );
                }
            }
        }
        _ => sink.not_applicable(
            "XDS-DE-031",
            msg!(
                "typeCode ou classCode absent (XDS-DE-011)",
                "typeCode or classCode absent (XDS-DE-011)"
            ),
        ),
    }
    // XDS-DE-032 (code ∈ J10; N1 pairing) and XDS-DE-060 (scheme, SHOULD).
    if let Some(f) = format {
        if let Some(code) = code_of(f) {
            let j10 = set("J10");
            let l = &j10.label();
            if !j10.contains(code) {
                sink.violation(
                    "XDS-DE-032",
                    At::Attr(f.node, "nodeRepresentation"),
                    msg!(
                        "formatCode « {code} » absent de {l} (JDV_J10_XdsFormatCode_CISIS) : utiliser le code du modèle de document (ASS_A11) ou, pour un CDA de niveau 1, le code XDS-SD de son type de contenu",
                        "formatCode \"{code}\" is not in {l} (JDV_J10_XdsFormatCode_CISIS): use the code of the document model (ASS_A11) or, for a level-1 CDA, the XDS-SD code of its media type"
                    ),
                );
            } else {
                let systems = j10.systems_of(code);
                let scheme = f.coding_scheme.as_deref().unwrap_or("");
                if !systems.contains(&scheme) {
                    let exp = systems.join(" ou ");
                    let exp_en = systems.join(" or ");
                    let at = f.slot("codingScheme").map_or(f.node, |s| s.node);
                    sink.violation(
                        "XDS-DE-060",
                        at,
                        msg!(
                            "formatCode « {code} » sous le codingScheme « {scheme} » : {l} le range sous {exp} (TRE_A11 pour les codes IHE, TRE_A06 pour les codes CI-SIS)",
                            "formatCode \"{code}\" under codingScheme \"{scheme}\": {l} files it under {exp_en} (TRE_A11 for IHE codes, TRE_A06 for CI-SIS codes)"
                        ),
                    );
                }
            }
            if let Some(media) = cda
                .and_then(|c| c.non_xml_body())
                .and_then(|b| cda::child(b, "text"))
                .and_then(|t| t.attribute("mediaType"))
            {
                // CDA-N1-013 pairing of the XDS-SD codes.
                let expected = match media {
                    "application/pdf" => Some("urn:ihe:iti:xds-sd:pdf:2008"),
                    "text/plain" => Some("urn:ihe:iti:xds-sd:text:2008"),
                    "image/jpeg" => Some("urn:ihe:iti-fr:xds-sd:jpeg:2010"),
                    "text/rtf" => Some("urn:ihe:iti-fr:xds-sd:rtf:2010"),
                    "image/tiff" => Some("urn:ihe:iti-fr:xds-sd:tiff:2010"),
                    _ => None,
                };
                if let Some(x) = expected.filter(|x| *x != code) {
                    sink.violation(
                        "XDS-DE-032",
                        At::Attr(f.node, "nodeRepresentation"),
                        msg!(
                            "formatCode « {code} » pour un CDA de niveau 1 dont le corps est {media} : attendu {x}",
                            "formatCode \"{code}\" for a level-1 CDA whose body is {media}: {x} expected"
                        ),
                    );
                }
            }
        }
    }
    // XDS-DE-033: CI-SIS value sets on (code, codingScheme).
    for (c, name, what) in [
        (typ, "J07", "typeCode"),
        (facility, "J02", "healthcareFacilityTypeCode"),
        (practice, "J04", "practiceSettingCode"),
    ] {
        let Some(c) = c else { continue };
        let Some(code) = code_of(c) else { continue };
        let scheme = c.coding_scheme.as_deref().unwrap_or("");
        let vs = catalogue::valueset(name);
        if !vs.contains_pair(code, scheme) {
            let l = vs.label();
            let sys = vs.systems_of(code);
            let hint = if sys.is_empty() {
                String::new()
            } else {
                format!(" (le code y est sous {})", sys.join(", "))
            };
            let hint_en = if sys.is_empty() {
                String::new()
            } else {
                format!(" (the code is there under {})", sys.join(", "))
            };
            sink.violation(
                "XDS-DE-033",
                At::Attr(c.node, "nodeRepresentation"),
                msg!(
                    "{what} « {code} » (codingScheme « {scheme} ») absent de {l}{hint}",
                    "{what} \"{code}\" (codingScheme \"{scheme}\") is not in {l}{hint_en}"
                ),
            );
        }
    }
    for (slot, name) in [("authorSpecialty", "J01"), ("authorRole", "J47")] {
        for a in e.classified(uuid::DE_AUTHOR) {
            let Some(s) = a.slot(slot) else { continue };
            for v in s.values.iter().filter(|v| !v.is_empty()) {
                let cv = CodedValue::parse(v);
                let vs = catalogue::valueset(name);
                // authorRole is an ST in IHE: the ANS examples write the concept's display name
                // ("Médecin traitant" for PCP); a code, code^display^system, or a display name is accepted.
                let by_display = slot == "authorRole"
                    && cv.system.is_empty()
                    && vs.rows.iter().any(|r| {
                        r.get(2)
                            .is_some_and(|d| norm(d).to_lowercase() == norm(v).to_lowercase())
                    });
                let ok = by_display
                    || if cv.system.is_empty() {
                        vs.contains(&cv.code)
                    } else {
                        vs.contains_pair(&cv.code, &cv.system)
                    };
                if !ok {
                    let l = vs.label();
                    sink.violation(
                        "XDS-DE-033",
                        s.node,
                        msg!(
                            "{slot} « {v} » absent de {l} (forme code^libellé^OID du système)",
                            "{slot} \"{v}\" is not in {l} (form code^display^system OID)"
                        ),
                    );
                }
            }
        }
    }
    // XDS-DE-034/037/038/039: DMP value sets, on the code (the scheme is XDS-DE-032/033's).
    if ctx.dmp {
        for r in ["XDS-DE-034", "XDS-DE-038", "XDS-DE-039"] {
            sink.check(r);
        }
        let mut tddui = false;
        if let Some(c) = typ {
            if let Some(code) = code_of(c) {
                let vs = catalogue::valueset("J66");
                if !vs.contains(code) {
                    let l = vs.label();
                    tddui |= code == "EXPORT_DUI";
                    sink.violation(
                        "XDS-DE-034",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!(
                            "typeCode « {code} » absent de {l}, le jeu du DMP : le DMP refuse ce type de document (pour le secteur médico-social p. ex. 28653-4, 34842-5, 74207-2) ; un document hors J66 ne se dépose pas au DMP",
                            "typeCode \"{code}\" is not in {l}, the DMP set: the DMP refuses this document type (for the medico-social sector e.g. 28653-4, 34842-5, 74207-2); a document outside J66 is not sent to the DMP"
                        ),
                    );
                }
            }
        }
        if let Some(c) = format {
            if let Some(code) = code_of(c) {
                let vs = catalogue::valueset("J60");
                if !vs.contains(code) {
                    let l = vs.label();
                    tddui |= code == "urn:asip:ci-sis:export-dui:2023";
                    sink.violation(
                        "XDS-DE-034",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!(
                            "formatCode « {code} » absent de {l}, le jeu du DMP : le DMP n'accepte pas ce modèle de document",
                            "formatCode \"{code}\" is not in {l}, the DMP set: the DMP does not accept this document model"
                        ),
                    );
                }
            }
        }
        if let Some(c) = facility {
            if let Some(code) = code_of(c) {
                if !in_j61(code) {
                    sink.violation(
                        "XDS-DE-034",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!("healthcareFacilityTypeCode « {code} » absent de {J61_LABEL}, le jeu du DMP : secteur d'activité TRE_R02 (SA41 pour un ESMS, SA16/SA17 pour les établissements pour personnes handicapées/âgées)", "healthcareFacilityTypeCode \"{code}\" is not in {J61_LABEL}, the DMP set: a TRE_R02 activity sector (SA41 for an ESMS, SA16/SA17 for disabled/elderly care facilities)"),
                    );
                }
            }
        }
        // J58 has the content of J08: XDS-DE-040 decides the confidentiality codes.
        if tddui {
            sink.info(
                "XDS-DE-037",
                e.node,
                msg!(
                    "Un export TDDUI (EXPORT_DUI, urn:asip:ci-sis:export-dui:2023) n'est pas un document du DMP : il emprunte les flux TDDUI, pas l'ITI-41 vers le DMP",
                    "A TDDUI export (EXPORT_DUI, urn:asip:ci-sis:export-dui:2023) is not a DMP document: it travels through the TDDUI flows, not ITI-41 to the DMP"
                ),
            );
        } else {
            sink.not_applicable(
                "XDS-DE-037",
                msg!(
                    "Pas d'export TDDUI refusé par le DMP",
                    "No TDDUI export refused by the DMP"
                ),
            );
        }
        if let Some(c) = practice {
            if let Some(code) = code_of(c) {
                let vs = catalogue::valueset("J62");
                if !vs.contains(code) {
                    let l = vs.label();
                    sink.violation(
                        "XDS-DE-038",
                        At::Attr(c.node, "nodeRepresentation"),
                        msg!(
                            "practiceSettingCode « {code} » absent de {l}, le jeu du DMP (ESSMS, valide dans J04, n'y figure pas dans cette version)",
                            "practiceSettingCode \"{code}\" is not in {l}, the DMP set (ESSMS, valid in J04, is absent from this version)"
                        ),
                    );
                }
            }
        }
        for a in e.classified(uuid::DE_AUTHOR) {
            let Some(s) = a.slot("authorSpecialty") else {
                continue;
            };
            for v in s.values.iter().filter(|v| !v.is_empty()) {
                let cv = CodedValue::parse(v);
                let vs = catalogue::valueset("J56");
                if !vs.contains(&cv.code) {
                    let l = vs.label();
                    let code = &cv.code;
                    sink.violation(
                        "XDS-DE-039",
                        s.node,
                        msg!(
                            "authorSpecialty « {code} » absent de {l}, le jeu du DMP : profession ou savoir-faire de l'auteur (TRE_A02 G15_…, professions sociales TRE_R94, rôles TRE_R85) ; pour un dépôt automatisé DISPOSITIF ou AUTOMATE",
                            "authorSpecialty \"{code}\" is not in {l}, the DMP set: the author's profession or specialty (TRE_A02 G15_…, social professions TRE_R94, roles TRE_R85); for an automated deposit DISPOSITIF or AUTOMATE"
                        ),
                    );
                }
            }
        }
    } else {
        let why = msg!(
            "Jeux de valeurs du DMP : seulement pour une soumission au DMP (ITI-41), pas pour une archive XDM",
            "DMP value sets: only for a submission to the DMP (ITI-41), not for an XDM archive"
        );
        for r in ["XDS-DE-034", "XDS-DE-037", "XDS-DE-038", "XDS-DE-039"] {
            sink.not_applicable(r, why.clone());
        }
    }
    // XDS-DE-036 (SHOULD): formatCode = ASS_A11 value of the N3 model templateId.
    match cda {
        Some(c) if c.non_xml_body().is_none() => {
            if let Some(code) = format.and_then(code_of) {
                sink.check("XDS-DE-036");
                let a11 = set("ASS_A11");
                let l = &a11.label();
                let mapped: Vec<(String, &str)> = c
                    .template_ids()
                    .iter()
                    .filter_map(|t| t.root)
                    .filter_map(|r| a11.map(r, None).map(|m| (r.to_string(), m.0)))
                    .collect();
                if mapped.is_empty() {
                    sink.info("XDS-DE-036", format.map_or(e.node, |f| f.node), msg!("Aucun templateId du document dans {l} : cohérence formatCode non vérifiable", "No templateId of the document in {l}: formatCode consistency cannot be checked"));
                } else if !mapped.iter().any(|(_, m)| *m == code) {
                    let (t, m) = &mapped[0];
                    sink.violation(
                        "XDS-DE-036",
                        format.map_or(At::Node(e.node), |f| At::Attr(f.node, "nodeRepresentation")),
                        msg!(
                            "formatCode « {code} » alors que {l} donne « {m} » pour le modèle {t}",
                            "formatCode \"{code}\" whereas {l} gives \"{m}\" for model {t}"
                        ),
                    );
                }
            }
        }
        Some(_) => sink.not_applicable(
            "XDS-DE-036",
            msg!(
                "Document de niveau 1 : couplage XDS-SD (XDS-DE-032)",
                "Level-1 document: XDS-SD pairing (XDS-DE-032)"
            ),
        ),
        None => sink.not_applicable(
            "XDS-DE-036",
            msg!(
                "Pas de document CDA porté pour cette fiche",
                "No carried CDA document for this entry"
            ),
        ),
    }
    // XDS-DE-040 / XDS-DE-041: confidentiality codes.
    let confs = e.classified(uuid::DE_CONFIDENTIALITY);
    let j08 = catalogue::valueset("J08");
    let l = j08.label();
    if confs.len() > 4 {
        let n = confs.len();
        sink.violation(
            "XDS-DE-040",
            confs[4].node,
            msg!(
                "{n} confidentialityCode : 1 à 4 (un code N/R/V + au plus 3 indicateurs)",
                "{n} confidentialityCode: 1 to 4 (one N/R/V code + at most 3 flags)"
            ),
        );
    }
    let mut hl7 = 0;
    let mut flags = HashSet::new();
    for c in &confs {
        let Some(code) = code_of(c) else { continue };
        let scheme = c.coding_scheme.as_deref().unwrap_or("");
        if code == "INVISIBLE_REP_LEGAUX" {
            sink.violation(
                "XDS-DE-041",
                At::Attr(c.node, "nodeRepresentation"),
                msg!(
                    "« INVISIBLE_REP_LEGAUX » est le nom HL7v2 (MetaDMPMSS) de l'indicateur : en XDS écrire INVISIBLE_REPRESENTANTS_LEGAUX (JDV_J08, codingScheme {FLAGS_SYSTEM})",
                    "\"INVISIBLE_REP_LEGAUX\" is the HL7v2 (MetaDMPMSS) name of the flag: in XDS write INVISIBLE_REPRESENTANTS_LEGAUX (JDV_J08, codingScheme {FLAGS_SYSTEM})"
                ),
            );
            continue;
        }
        if !j08.contains_pair(code, scheme) {
            sink.violation(
                "XDS-DE-040",
                At::Attr(c.node, "nodeRepresentation"),
                msg!(
                    "confidentialityCode « {code} » (codingScheme « {scheme} ») absent de {l} : N, R ou V ({HL7_CONF}), ou INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS ({FLAGS_SYSTEM})",
                    "confidentialityCode \"{code}\" (codingScheme \"{scheme}\") is not in {l}: N, R or V ({HL7_CONF}), or INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS ({FLAGS_SYSTEM})"
                ),
            );
        } else if scheme == HL7_CONF {
            hl7 += 1;
        } else if !flags.insert(code.to_string()) {
            sink.violation(
                "XDS-DE-040",
                At::Attr(c.node, "nodeRepresentation"),
                msg!("Indicateur « {code} » répété", "Flag \"{code}\" repeated"),
            );
        }
    }
    if !confs.is_empty() && hl7 != 1 {
        sink.violation(
            "XDS-DE-040",
            confs[0].node,
            msg!(
                "{hl7} code de confidentialité HL7 (N/R/V, {HL7_CONF}) : exactement un, égal à celui du CDA",
                "{hl7} HL7 confidentiality codes (N/R/V, {HL7_CONF}): exactly one, equal to the CDA's"
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DocumentEntry ↔ CDA consistency.

fn entry_consistency(
    e: &RegistryObject<'_, '_>,
    doc: Option<&Doc<'_, '_, '_>>,
    ctx: &Context<'_, '_, '_>,
    sink: &mut Sink,
) {
    const RULES: &[&str] = &[
        "XDS-DE-012",
        "XDS-DE-020",
        "XDS-DE-021",
        "XDS-DE-022",
        "XDS-DE-023",
        "XDS-DE-024",
        "XDS-DE-025",
        "XDS-DE-026",
        "XDS-DE-028",
    ];
    let Some(doc) = doc else {
        let why = match ctx.kind {
            SubmissionKind::Iti41 => msg!(
                "Pas de document porté pour cette fiche",
                "No carried document for this entry"
            ),
            SubmissionKind::Xdm => msg!(
                "Pas de fichier désigné par le slot URI de cette fiche",
                "No file named by this entry's URI slot"
            ),
        };
        for r in RULES {
            sink.not_applicable(r, why.clone());
        }
        sink.not_applicable("XDS-DE-027", why);
        return;
    };
    // XDS-DE-027: hash and size of the exact bytes (BOM included).
    if let Some(s) = e.slot("hash") {
        let v = s.first().unwrap_or("");
        let actual = hex::encode(Sha1::digest(doc.bytes));
        if v.len() == 40 && !v.eq_ignore_ascii_case(&actual) {
            let entry = doc.entry;
            sink.violation(
                "XDS-DE-027",
                s.node,
                msg!(
                    "hash « {v} » ≠ SHA-1 des octets du document {entry} ({actual}) : hacher les octets exacts envoyés (BOM compris), sinon XDSNonIdenticalHash",
                    "hash \"{v}\" ≠ SHA-1 of the bytes of document {entry} ({actual}): hash the exact bytes sent (BOM included), else XDSNonIdenticalHash"
                ),
            );
        }
    }
    if let Some(s) = e.slot("size") {
        let v = s.first().unwrap_or("");
        let actual = doc.bytes.len();
        if v.parse::<u64>().is_ok_and(|n| n != actual as u64) {
            let entry = doc.entry;
            sink.violation(
                "XDS-DE-027",
                s.node,
                msg!(
                    "size « {v} » ≠ taille du document {entry} ({actual} octets) : compter les octets exacts envoyés (BOM compris), sinon XDSNonIdenticalSize",
                    "size \"{v}\" ≠ size of document {entry} ({actual} bytes): count the exact bytes sent (BOM included), else XDSNonIdenticalSize"
                ),
            );
        }
    }
    let Some(cda) = doc.cda.as_ref() else {
        let why = msg!(
            "Le document porté n'est pas un CDA",
            "The carried document is not a CDA"
        );
        for r in RULES {
            sink.not_applicable(r, why.clone());
        }
        return;
    };
    for r in RULES {
        sink.check(r);
    }
    let entry = doc.entry;

    // XDS-DE-028: mimeType text/xml for a CDA (C-19: application/xslt+xml → info).
    match e.mime_type {
        Some("text/xml") | None => {}
        Some("application/xslt+xml") => {
            sink.info(
                "XDS-DE-028",
                At::Attr(e.node, "mimeType"),
                msg!(
                    "mimeType application/xslt+xml (CDA « auto-présentable » du volet HL7v2) : text/xml est la valeur attendue pour un CDA",
                    "mimeType application/xslt+xml (\"self-presenting\" CDA of the HL7v2 volet): text/xml is the expected value for a CDA"
                ),
            );
        }
        Some(m) => {
            sink.violation(
                "XDS-DE-028",
                At::Attr(e.node, "mimeType"),
                msg!(
                    "mimeType « {m} » pour un document CDA : attendu text/xml",
                    "mimeType \"{m}\" for a CDA document: text/xml expected"
                ),
            );
        }
    }

    // XDS-DE-020: typeCode = ClinicalDocument/code.
    if let (Some(t), Some(code)) = (coded(e, uuid::DE_TYPE), cda.code()) {
        let (tc, ts) = (
            code_of(t).unwrap_or(""),
            t.coding_scheme.as_deref().unwrap_or(""),
        );
        let (cc, cs) = (code.code.unwrap_or(""), code.system.unwrap_or(""));
        if tc != cc || ts != cs {
            let line = cda_line(code.node);
            sink.violation(
                "XDS-DE-020",
                At::Attr(t.node, "nodeRepresentation"),
                msg!(
                    "typeCode « {tc} » (codingScheme « {ts} ») ≠ code du document CDA « {cc} » (codeSystem « {cs} », {entry} l. {line})",
                    "typeCode \"{tc}\" (codingScheme \"{ts}\") ≠ CDA document code \"{cc}\" (codeSystem \"{cs}\", {entry} l. {line})"
                ),
            );
        }
    }

    // XDS-DE-021: times in UTC at the CDA precision.
    let (low, high) = cda.service_times();
    for (slot, cda_value, cda_what) in [
        ("creationTime", cda.effective_time(), "effectiveTime"),
        ("serviceStartTime", low, "serviceEvent/effectiveTime/low"),
        ("serviceStopTime", high, "serviceEvent/effectiveTime/high"),
    ] {
        let (Some(s), Some(cv)) = (e.slot(slot), cda_value) else {
            continue;
        };
        let Some(xv) = s.first().filter(|v| !v.is_empty()) else {
            continue;
        };
        let (Ok(ct), Ok(_)) = (hl7v2::parse_ts(cv), hl7v2::parse_dtm(xv)) else {
            continue;
        };
        let expected = ct.to_utc_dtm();
        let same = xv == expected
            || (xv.len() > expected.len()
                && xv.starts_with(&expected)
                && xv[expected.len()..].bytes().all(|b| b == b'0'));
        if !same {
            sink.violation(
                "XDS-DE-021",
                s.node,
                msg!(
                    "{slot} « {xv} » ≠ {cda_what} du CDA « {cv} » converti en UTC à sa précision : attendu {expected}",
                    "{slot} \"{xv}\" ≠ CDA {cda_what} \"{cv}\" converted to UTC at its precision: {expected} expected"
                ),
            );
        }
    }

    // XDS-DE-022: title and language.
    if let (Some(names), Some(title)) = (e.name.as_ref(), cda.title()) {
        let t = names
            .iter()
            .map(|s| norm(s))
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        if !t.is_empty() && t != norm(&title) {
            let at = rim_name_node(e.node).unwrap_or(e.node);
            sink.violation(
                "XDS-DE-022",
                at,
                msg!(
                    "Titre de la fiche « {t} » ≠ titre du CDA « {title} »",
                    "Entry title \"{t}\" ≠ CDA title \"{title}\""
                ),
            );
        }
    }
    if let (Some(s), Some(lang)) = (e.slot("languageCode"), cda.language()) {
        let v = s.first().unwrap_or("");
        if !v.is_empty() && v != lang {
            sink.violation(
                "XDS-DE-022",
                s.node,
                msg!(
                    "languageCode « {v} » ≠ languageCode du CDA « {lang} »",
                    "languageCode \"{v}\" ≠ CDA languageCode \"{lang}\""
                ),
            );
        }
    }

    // XDS-DE-023: facility type and practice setting.
    for (scheme, what, cda_coded, cda_what) in [
        (
            uuid::DE_FACILITY,
            "healthcareFacilityTypeCode",
            cda.facility_type(),
            "healthCareFacility/code",
        ),
        (
            uuid::DE_PRACTICE,
            "practiceSettingCode",
            cda.practice_setting(),
            "serviceEvent/performer/…/standardIndustryClassCode",
        ),
    ] {
        let (Some(c), Some(cc)) = (coded(e, scheme), cda_coded) else {
            continue;
        };
        let (xc, xs) = (
            code_of(c).unwrap_or(""),
            c.coding_scheme.as_deref().unwrap_or(""),
        );
        let (dc, ds) = (cc.code.unwrap_or(""), cc.system.unwrap_or(""));
        if xc != dc || xs != ds {
            let line = cda_line(cc.node);
            sink.violation(
                "XDS-DE-023",
                At::Attr(c.node, "nodeRepresentation"),
                msg!(
                    "{what} « {xc} » (codingScheme « {xs} ») ≠ {cda_what} du CDA « {dc} » (codeSystem « {ds} », {entry} l. {line})",
                    "{what} \"{xc}\" (codingScheme \"{xs}\") ≠ CDA {cda_what} \"{dc}\" (codeSystem \"{ds}\", {entry} l. {line})"
                ),
            );
        }
    }

    // XDS-DE-024: uniqueId from ClinicalDocument/id (root, or root^extension: C-08).
    if let (Some(u), Some(id)) = (e.identified(uuid::DE_UNIQUE_ID).first(), cda.id()) {
        let v = u.value.unwrap_or("");
        let root = id.root.unwrap_or("");
        let both = id.extension.map(|x| format!("{root}^{x}"));
        if v.len() > 128 {
            let n = v.len();
            sink.violation(
                "XDS-DE-024",
                At::Attr(u.node, "value"),
                msg!(
                    "uniqueId de {n} caractères : 128 au plus",
                    "uniqueId of {n} characters: at most 128"
                ),
            );
        }
        if both.as_deref() == Some(v) {
            sink.info(
                "XDS-DE-024",
                At::Attr(u.node, "value"),
                msg!("uniqueId sous la forme racine^extension du ClinicalDocument/id (accepté, C-08)", "uniqueId in the root^extension form of ClinicalDocument/id (accepted, C-08)"),
            );
        } else if v != root {
            let alt = both.map(|b| format!(" ou « {b} »")).unwrap_or_default();
            let alt_en = alt.replace(" ou ", " or ");
            sink.violation(
                "XDS-DE-024",
                At::Attr(u.node, "value"),
                msg!(
                    "uniqueId « {v} » ≠ ClinicalDocument/id du CDA : attendu « {root} »{alt}",
                    "uniqueId \"{v}\" ≠ CDA ClinicalDocument/id: \"{root}\"{alt_en} expected"
                ),
            );
        }
    }

    // XDS-DE-025: patientId = the CDA INS; sourcePatientId is one of the patientRole ids.
    let ids = cda.patient_ids();
    if let Some(p) = e.identified(uuid::DE_PATIENT_ID).first() {
        let v = p.value.unwrap_or("");
        let cx = Cx::parse(v);
        let is_ins_cx = INS_OIDS.contains(&cx.authority.universal_id.as_str());
        // In XDM a non-INS patientId is judged by ID-032 (the INS when known).
        let judge = ctx.kind == SubmissionKind::Iti41 || is_ins_cx;
        if judge && !v.is_empty() {
            let ok = match cda.ins() {
                Some(ins) => {
                    ins.extension == Some(cx.id.as_str())
                        && ins.root == Some(cx.authority.universal_id.as_str())
                }
                None => ids.iter().any(|i| {
                    i.extension == Some(cx.id.as_str())
                        && i.root == Some(cx.authority.universal_id.as_str())
                }),
            };
            if !ok {
                let (exp, expv) = match cda.ins() {
                    Some(ins) => {
                        let x = format!(
                            "{}^^^&{}&ISO^NH",
                            ins.extension.unwrap_or(""),
                            ins.root.unwrap_or("")
                        );
                        (format!("l'INS du CDA « {x} »"), x)
                    }
                    None => ("un des patientRole/id du CDA".to_string(), String::new()),
                };
                let exp_en = exp.replace("l'INS du CDA", "the CDA INS").replace(
                    "un des patientRole/id du CDA",
                    "one of the CDA patientRole/id",
                );
                sink.violation(
                    "XDS-DE-025",
                    At::Attr(p.node, "value"),
                    msg!(
                        "patientId « {v} » ≠ {exp} ({entry})",
                        "patientId \"{v}\" ≠ {exp_en} ({entry})"
                    ),
                )
                .personal(cx.id.clone())
                .personal(expv);
            }
        }
    }
    if let Some(s) = e.slot("sourcePatientId") {
        let v = s.first().unwrap_or("");
        let cx = Cx::parse(v);
        if !v.is_empty()
            && !ids.iter().any(|i| {
                i.extension == Some(cx.id.as_str())
                    && i.root == Some(cx.authority.universal_id.as_str())
            })
        {
            sink.violation(
                "XDS-DE-025",
                s.node,
                msg!(
                    "sourcePatientId « {v} » n'est aucun recordTarget/patientRole/id du CDA ({entry}) : CX.1 = @extension et CX.4 = &@root&ISO d'un de ces identifiants",
                    "sourcePatientId \"{v}\" is no recordTarget/patientRole/id of the CDA ({entry}): CX.1 = @extension and CX.4 = &@root&ISO of one of them"
                ),
            )
            .personal(cx.id.clone());
        }
    }

    // XDS-DE-026: author, legal authenticator, confidentiality.
    let authors = cda.authors();
    let author_ids: Vec<(Option<&str>, Option<&str>)> = authors
        .iter()
        .filter_map(|a| cda::child(*a, "assignedAuthor"))
        .flat_map(|aa| {
            cda::children(aa, "id").map(|i| (i.attribute("extension"), i.attribute("root")))
        })
        .collect();
    for a in e.classified(uuid::DE_AUTHOR) {
        let Some(s) = a.slot("authorPerson") else {
            continue;
        };
        for v in s.values.iter().filter(|v| !v.is_empty()) {
            let x = Xcn::parse(v);
            let ok = author_ids.iter().any(|(ext, root)| {
                *ext == Some(x.id.as_str()) && *root == Some(x.authority.universal_id.as_str())
            });
            if !ok {
                let known: Vec<String> = author_ids
                    .iter()
                    .map(|(e, r)| format!("{}/{}", e.unwrap_or(""), r.unwrap_or("")))
                    .collect();
                let k = known.join(", ");
                sink.violation(
                    "XDS-DE-026",
                    s.node,
                    msg!(
                        "authorPerson « {v} » : XCN.1/XCN.9 ne reprennent aucun author/assignedAuthor/id (@extension/@root) du CDA ({k})",
                        "authorPerson \"{v}\": XCN.1/XCN.9 match no CDA author/assignedAuthor/id (@extension/@root) ({k})"
                    ),
                )
                .personal(x.family.clone())
                .personal(x.given.clone());
            }
        }
    }
    if let (Some(s), Some(la)) = (e.slot("legalAuthenticator"), cda.legal_authenticator()) {
        let v = s.first().unwrap_or("");
        let x = Xcn::parse(v);
        let exts: Vec<&str> = cda::child(la, "assignedEntity")
            .map(|ae| {
                cda::children(ae, "id")
                    .filter_map(|i| i.attribute("extension"))
                    .collect()
            })
            .unwrap_or_default();
        if !v.is_empty() && !exts.contains(&x.id.as_str()) {
            let k = exts.join(", ");
            sink.violation(
                "XDS-DE-026",
                s.node,
                msg!(
                    "legalAuthenticator « {v} » : XCN.1 ≠ legalAuthenticator/assignedEntity/id/@extension du CDA ({k})",
                    "legalAuthenticator \"{v}\": XCN.1 ≠ CDA legalAuthenticator/assignedEntity/id/@extension ({k})"
                ),
            )
            .personal(x.family.clone())
            .personal(x.given.clone());
        }
    }
    if let Some(cc) = cda.confidentiality().and_then(|c| c.code) {
        let confs = e.classified(uuid::DE_CONFIDENTIALITY);
        let main = confs
            .iter()
            .find(|c| c.coding_scheme.as_deref() == Some(HL7_CONF))
            .or(confs.first());
        if let Some(m) = main {
            let v = code_of(m).unwrap_or("");
            if v != cc {
                sink.violation(
                    "XDS-DE-026",
                    At::Attr(m.node, "nodeRepresentation"),
                    msg!(
                        "confidentialityCode « {v} » ≠ confidentialityCode du CDA « {cc} »",
                        "confidentialityCode \"{v}\" ≠ CDA confidentialityCode \"{cc}\""
                    ),
                );
            }
        }
    }

    // XDS-DE-012: "required if known" items the CDA carries.
    let entry_authors = e.classified(uuid::DE_AUTHOR);
    let has_slot = |name: &str| {
        entry_authors.iter().any(|c| {
            c.slot(name)
                .is_some_and(|s| s.values.iter().any(|v| !v.is_empty()))
        })
    };
    let at = entry_authors.first().map_or(e.node, |c| c.node);
    let cda_has = |steps: &[&'static str]| {
        authors
            .iter()
            .any(|a| cda::path(*a, steps).is_some_and(|n| !cda::is_null(n)))
    };
    for (steps, slot, cda_what) in [
        (
            &["assignedAuthor", "representedOrganization"][..],
            "authorInstitution",
            "author/assignedAuthor/representedOrganization",
        ),
        (&["functionCode"][..], "authorRole", "author/functionCode"),
        (
            &["assignedAuthor", "code"][..],
            "authorSpecialty",
            "author/assignedAuthor/code",
        ),
    ] {
        if cda_has(steps) && !has_slot(slot) {
            sink.violation(
                "XDS-DE-012",
                at,
                msg!("Le CDA porte {cda_what} mais l'auteur de la fiche n'a pas de slot {slot} (requis si connu)", "The CDA has {cda_what} but the entry author has no {slot} slot (required if known)"),
            );
        }
    }
    if high.is_some() && slot1(e, "serviceStopTime").is_none() {
        sink.violation(
            "XDS-DE-012",
            e.node,
            msg!(
                "Le CDA porte documentationOf/serviceEvent/effectiveTime/high mais la fiche n'a pas de slot serviceStopTime (requis si connu)",
                "The CDA has documentationOf/serviceEvent/effectiveTime/high but the entry has no serviceStopTime slot (required if known)"
            ),
        );
    }

    // XDS-DE-050 with the CDA: XON.10 = an author representedOrganization/id/@extension.
    let org_ids: Vec<&str> = authors
        .iter()
        .filter_map(|a| cda::path(*a, &["assignedAuthor", "representedOrganization", "id"]))
        .filter_map(|i| i.attribute("extension"))
        .collect();
    for a in &entry_authors {
        for s in a.slots.iter().filter(|s| s.name == "authorInstitution") {
            for v in s.values.iter().filter(|v| !v.is_empty()) {
                let x = Xon::parse(v);
                if !x.id.is_empty() && !org_ids.is_empty() && !org_ids.contains(&x.id.as_str()) {
                    let k = org_ids.join(", ");
                    let id = &x.id;
                    sink.violation(
                        "XDS-DE-050",
                        s.node,
                        msg!(
                            "authorInstitution XON.10 « {id} » ≠ author/assignedAuthor/representedOrganization/id/@extension du CDA ({k})",
                            "authorInstitution XON.10 \"{id}\" ≠ CDA author/assignedAuthor/representedOrganization/id/@extension ({k})"
                        ),
                    );
                }
            }
        }
    }
    // XDS-DE-051 with the CDA: XCN.10 = U for a device author, D for a person.
    for a in &entry_authors {
        let Some(s) = a.slot("authorPerson") else {
            continue;
        };
        for v in s.values.iter().filter(|v| !v.is_empty()) {
            let x = Xcn::parse(v);
            let matched = authors.iter().find(|au| {
                cda::child(**au, "assignedAuthor").is_some_and(|aa| {
                    cda::children(aa, "id").any(|i| i.attribute("extension") == Some(x.id.as_str()))
                })
            });
            let Some(au) = matched else { continue };
            let device = cda::path(*au, &["assignedAuthor", "assignedAuthoringDevice"]).is_some();
            let expected = if device { "U" } else { "D" };
            if (x.name_type == "D" || x.name_type == "U") && x.name_type != expected {
                let nt = &x.name_type;
                let (fr, en) = if device {
                    (
                        "un système (assignedAuthoringDevice)",
                        "a system (assignedAuthoringDevice)",
                    )
                } else {
                    ("une personne (assignedPerson)", "a person (assignedPerson)")
                };
                sink.violation(
                    "XDS-DE-051",
                    s.node,
                    msg!("authorPerson XCN.10 « {nt} » alors que l'auteur du CDA est {fr} : attendu {expected}", "authorPerson XCN.10 \"{nt}\" whereas the CDA author is {en}: {expected} expected"),
                );
            }
        }
    }
}

/// The `rim:Name` child of an object, to locate title findings.
fn rim_name_node<'a, 'i>(n: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element()
            && c.tag_name().name() == "Name"
            && c.tag_name().namespace() == Some(crate::formats::xds::NS_RIM)
    })
}

// ---------------------------------------------------------------------------------------------
// Patient identifiers: ID-030 (INS CX), ID-031 (sourcePatientId CX), ID-032 (XDM: the INS when known),
// and the INS rules on each distinct patientId through identity::check_ins_slot.

fn patient_ids(
    sub: &Submission<'_, '_>,
    ctx: &Context<'_, '_, '_>,
    lk: &Lookup<'_, '_, '_>,
    sink: &mut Sink,
) {
    let mut ids: Vec<(Node<'_, '_>, &str)> = Vec::new();
    for ss in sub.submission_sets() {
        ids.extend(
            ss.identified(uuid::SS_PATIENT_ID)
                .iter()
                .filter_map(|e| e.value.map(|v| (e.node, v))),
        );
    }
    for e in &sub.entries {
        ids.extend(
            e.identified(uuid::DE_PATIENT_ID)
                .iter()
                .filter_map(|x| x.value.map(|v| (x.node, v))),
        );
    }
    let mut seen = HashSet::new();
    for (node, v) in &ids {
        let cx = Cx::parse(v);
        let ins_oid = INS_OIDS.contains(&cx.authority.universal_id.as_str());
        if ctx.kind == SubmissionKind::Xdm && !ins_oid {
            // XDM: a local id is allowed when the CDA has no INS (ID-032).
            sink.not_applicable(
                "ID-030",
                msg!(
                    "patientId XDM sans OID INS (voir ID-032)",
                    "XDM patientId without an INS OID (see ID-032)"
                ),
            );
            continue;
        }
        sink.check("ID-030");
        if !ins_cx(v) {
            sink.violation(
                "ID-030",
                At::Attr(*node, "value"),
                msg!(
                    "patientId « {v} » hors forme INS CX : <matricule INS 15 caractères>^^^&1.2.250.1.213.1.4.<8|9|10|11>&ISO^NH (CX.1, CX.4, CX.5 obligatoires)",
                    "patientId \"{v}\" is not the INS CX form: <15-character INS matricule>^^^&1.2.250.1.213.1.4.<8|9|10|11>&ISO^NH (CX.1, CX.4, CX.5 required)"
                ),
            )
            .personal(cx.id.clone());
        }
        if !cx.id.is_empty() && !cx.authority.universal_id.is_empty() && seen.insert(v.to_string())
        {
            super::identity::check_ins_slot(
                &cx.authority.universal_id,
                &cx.id,
                loc_of(*node, Some("value")),
                sink,
            );
        }
    }
    if ids.is_empty() {
        sink.not_applicable("ID-030", msg!("Aucun patientId", "No patientId"));
    }
    // ID-031.
    let mut any_source = false;
    for e in &sub.entries {
        let Some(s) = e.slot("sourcePatientId") else {
            continue;
        };
        for v in s.values.iter().filter(|v| !v.is_empty()) {
            any_source = true;
            sink.check("ID-031");
            let cx = Cx::parse(v);
            if cx.id.is_empty() || cx.authority.universal_id.is_empty() || cx.id_type.is_empty() {
                sink.violation(
                    "ID-031",
                    s.node,
                    msg!(
                        "sourcePatientId « {v} » : CX.1 (identifiant), CX.4 (&<OID>&ISO) et CX.5 (type) sont obligatoires — <IPP>^^^&<OID de l'établissement>&ISO^PI, ou l'INS à défaut",
                        "sourcePatientId \"{v}\": CX.1 (identifier), CX.4 (&<OID>&ISO) and CX.5 (type) are required — <IPP>^^^&<facility OID>&ISO^PI, or the INS otherwise"
                    ),
                )
                .personal(cx.id.clone());
            }
        }
    }
    if !any_source {
        sink.not_applicable(
            "ID-031",
            msg!(
                "Aucun sourcePatientId (XDS-DE-011)",
                "No sourcePatientId (XDS-DE-011)"
            ),
        );
    }
    // ID-032 (XDM, SHOULD): the patientId is the CDA INS when the CDA has one.
    if ctx.kind != SubmissionKind::Xdm {
        sink.not_applicable(
            "ID-032",
            msg!("Règle propre aux archives XDM", "XDM archives only"),
        );
        return;
    }
    let mut judged = false;
    for e in &sub.entries {
        let Some(cda) = lk.doc_for(e).and_then(|d| d.cda.as_ref()) else {
            continue;
        };
        let Some(ins) = cda.ins() else {
            continue;
        };
        judged = true;
        sink.check("ID-032");
        let (ext, root) = (ins.extension.unwrap_or(""), ins.root.unwrap_or(""));
        for x in e.identified(uuid::DE_PATIENT_ID) {
            let v = x.value.unwrap_or("");
            let cx = Cx::parse(v);
            if !INS_OIDS.contains(&cx.authority.universal_id.as_str()) {
                sink.violation(
                    "ID-032",
                    At::Attr(x.node, "value"),
                    msg!(
                        "patientId « {v} » n'est pas l'INS alors que le document en porte un : utiliser {ext}^^^&{root}&ISO^NH",
                        "patientId \"{v}\" is not the INS although the document carries one: use {ext}^^^&{root}&ISO^NH"
                    ),
                )
                .personal(ext.to_string())
                .personal(cx.id.clone());
            }
        }
    }
    if !judged {
        sink.not_applicable(
            "ID-032",
            msg!(
                "Aucun document CDA portant un INS",
                "No CDA document carrying an INS"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_used_is_available() {
        for n in [
            "J01", "J02", "J03", "J04", "J07", "J08", "J10", "J47", "J56", "J57", "J59", "J60",
            "J62", "J66", "ASS_X04", "ASS_A11",
        ] {
            assert!(!set(n).rows.is_empty(), "{n}");
        }
        assert!(set("J10").contains("urn:asip:ci-sis:export-dui:2023"));
        assert_eq!(
            set("J10").systems_of("urn:ihe:iti:xds-sd:pdf:2008"),
            vec!["1.3.6.1.4.1.19376.1.2.3"]
        );
        assert!(set("J57").contains_pair("11", "1.2.250.1.213.1.1.4.1"));
        assert!(
            set("J03").contains("SA17")
                && set("J03").contains("97")
                && set("J03").contains("SA01")
                && !set("J03").contains("SA62")
        );
        assert!(in_j61("SA41") && in_j61("SNR") && !in_j61("SA62") && !in_j61("SA7"));
    }

    #[test]
    fn regexes() {
        assert!(ins_cx("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"));
        assert!(!ins_cx("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^PI"));
        assert!(
            oid_like("1.2.250.1.71.4.2.2.1750803447")
                && !oid_like("1.2.250.01")
                && !oid_like("abc")
        );
    }
}
