//! Medico-social CDA models: the EHPAD emergency documents (DLU, FLUDT, FLUDR: CDA-MS-010…031), the
//! "Export du Dossier Usager Informatisé" (TDDUI CDA: CDA-MS-050…058) and the other document types of the
//! sector (CDA-MS-060, 061).
//!
//! Each model is triggered by its document templateId (the three EHPAD documents share the type code
//! LOINC 74207-2); the TDDUI export also by its code `EXPORT_DUI`, so that an export that forgets its
//! templateId is still judged as one. Sources: the volet schematrons of the ANS kit
//! (`CI-SIS_DLU-EHPAD-*_2022.01.sch` and their `Entete_*.sch`), ported natively, and the TDDUI CDA IG
//! (`contenu_dossier_entete_cda.md`, `contenu_dossier_structure_cda.md`); see `shared/domain/cda.md`.
//! Sections are counted once, by templateId, over `component/structuredBody/component/section` (element
//! nodes only, C-11).

use std::collections::HashMap;

use roxmltree::Node;

use super::{At, CheckInfo, Sink};
use crate::catalogue;
use crate::formats::cda::{
    child, children, is_null, path, path_all, sdtc_children, Cda, InstanceId, OID_PS_IDNAT,
    OID_STRUCT_IDNAT,
};
use crate::formats::xml::node_path;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "cda_ms::dlu",
        rules: &["CDA-MS-010", "CDA-MS-011", "CDA-MS-012", "CDA-MS-013"],
    },
    CheckInfo {
        name: "cda_ms::fludt",
        rules: &["CDA-MS-020", "CDA-MS-021"],
    },
    CheckInfo {
        name: "cda_ms::fludr",
        rules: &["CDA-MS-030", "CDA-MS-031"],
    },
    CheckInfo {
        name: "cda_ms::tddui_export",
        rules: &[
            "CDA-MS-050",
            "CDA-MS-051",
            "CDA-MS-052",
            "CDA-MS-053",
            "CDA-MS-054",
            "CDA-MS-055",
            "CDA-MS-056",
            "CDA-MS-057",
            "CDA-MS-058",
        ],
    },
    CheckInfo {
        name: "cda_ms::document_types",
        rules: &["CDA-MS-060", "CDA-MS-061"],
    },
];

/// Model templateIds.
const TPL_DLU: &str = "1.2.250.1.213.1.1.1.22";
const TPL_FLUDT: &str = "1.2.250.1.213.1.1.1.23";
const TPL_FLUDR: &str = "1.2.250.1.213.1.1.1.24";
const TPL_TDDUI: &str = "1.2.250.1.213.1.1.1.58";

/// LOINC and the shared type code of the EHPAD emergency documents.
const LOINC: &str = "2.16.840.1.113883.6.1";
const CODE_DLU: &str = "74207-2";

/// TDDUI export: type code (TRE_A05), the DUI software role (TRE_G08 via J01), the practice setting.
const EXPORT_DUI: (&str, &str, &str) = (
    "EXPORT_DUI",
    "1.2.250.1.213.1.1.4.12",
    "Export du Dossier Usager Informatisé",
);
const LOGICIEL_DUI: (&str, &str) = ("LOGICIEL_DUI", "1.2.250.1.213.1.1.4.6");
const ESSMS: (&str, &str) = ("ESSMS", "1.2.250.1.213.1.1.4.9");
/// Facility types of an ESMS export (TRE_R02 under 1.2.250.1.71.4.2.4).
const ESMS_FACILITIES: (&[&str], &str) = (&["SA16", "SA18", "SA41"], "1.2.250.1.71.4.2.4");

/// One section requirement of a volet schematron: templateId, French name, mandatory (`[1..1]`) or not (`[0..1]`).
type SectionRule = (&'static str, &'static str, bool);

/// CI-SIS_DLU-EHPAD-DLU_2022.01.sch: mandatory sections (CDA-MS-012).
const DLU_MANDATORY: &[SectionRule] = &[
    (
        "1.3.6.1.4.1.19376.1.5.3.1.1.13.2.10",
        "Dispositions : établissement de santé de préférence",
        true,
    ),
    ("1.3.6.1.4.1.19376.1.5.3.1.3.19", "Traitements", true),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.35",
        "Directives anticipées",
        true,
    ),
    (
        "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
        "État psychique, handicaps, déplacements, autres risques",
        true,
    ),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.28",
        "Bactérie multirésistante (BMR)",
        true,
    ),
    ("1.2.250.1.213.1.1.2.37", "Documents ajoutés", true),
];
/// CI-SIS_DLU-EHPAD-DLU_2022.01.sch: optional sections, at most once (CDA-MS-013).
const DLU_OPTIONAL: &[SectionRule] = &[
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.6",
        "Pathologies actives",
        false,
    ),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.8",
        "Antécédents médicaux",
        false,
    ),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.13",
        "Allergies et intolérances",
        false,
    ),
    ("1.3.6.1.4.1.19376.1.5.3.1.3.23", "Vaccinations", false),
    (
        "1.3.6.1.4.1.19376.1.4.1.2.16",
        "Commentaire non codé",
        false,
    ),
];
/// CI-SIS_DLU-EHPAD-FLUDT_2022.01.sch (CDA-MS-021).
const FLUDT_SECTIONS: &[SectionRule] = &[
    (
        "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
        "Transfert du patient de l'EHPAD vers le SU",
        true,
    ),
    ("1.3.6.1.4.1.19376.1.5.3.1.3.25", "Signes vitaux", true),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.28",
        "Conscience, douleurs récentes",
        true,
    ),
    ("1.3.6.1.4.1.19376.1.5.3.1.3.19", "Traitements", true),
    (
        "1.3.6.1.4.1.19376.1.7.3.1.1.13.5",
        "Date et heure du dernier repas",
        true,
    ),
    (
        "1.2.250.1.213.1.1.2.53",
        "Prothèses et objets personnels",
        true,
    ),
    (
        "1.3.6.1.4.1.19376.1.4.1.2.16",
        "Commentaire non codé",
        false,
    ),
];
/// CI-SIS_DLU-EHPAD-FLUDR_2022.01.sch (CDA-MS-031).
const FLUDR_SECTIONS: &[SectionRule] = &[
    (
        "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
        "Retour du patient à l'EHPAD",
        true,
    ),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.7",
        "Diagnostic de sortie",
        true,
    ),
    (
        "1.3.6.1.4.1.19376.1.5.3.1.3.22",
        "Traitements à la sortie",
        true,
    ),
    (
        "1.2.250.1.213.1.1.2.53",
        "Prothèses et objets personnels",
        true,
    ),
    ("1.2.250.1.213.1.1.2.37", "Documents ajoutés", true),
    (
        "1.3.6.1.4.1.19376.1.4.1.2.16",
        "Commentaire non codé",
        false,
    ),
];
/// Sections seen in the TDDUI export (CDA-MS-058): templateId → name.
const TDDUI_SECTIONS: &[(&str, &str)] = &[
    ("1.2.250.1.213.1.1.2.249", "Séjour (GEN-362)"),
    ("1.2.250.1.213.1.1.2.248", "Évènements (89793-4)"),
    ("2.16.840.1.113883.10.22.3.8", "Évaluations (47420-5)"),
    ("1.2.250.1.213.1.1.2.246", "Évaluations (47420-5)"),
    ("1.2.250.1.213.1.1.2.37", "Documents ajoutés (55107-7)"),
];
/// Type codes of the social and medico-social sector (CDA-MS-061, JDV_J07 2024-09-27).
const ESMS_TYPES: &[(&str, &str)] = &[
    ("28653-4", "document du secteur social/médico-social"),
    ("34842-5", "grille d'évaluation médico-sociale"),
    (
        "83981-1",
        "lettre de liaison à la sortie d'une structure sociale ou médico-sociale",
    ),
    (
        "88348-8",
        "lettre de liaison d'entrée en structure sociale ou médico-sociale",
    ),
    ("80788-3", "projet personnalisé d'accompagnement (PPA)"),
    (
        "74207-2",
        "document de liaison d'urgence (DLU, FLUDT, FLUDR)",
    ),
    ("18776-5", "plan personnalisé de soins"),
    ("83869-8", "plan personnalisé de prévention"),
    ("83901-9", "bilan psychologique"),
    ("47420-5", "compte rendu de bilan fonctionnel"),
    ("11506-3", "suivi de soins par auxiliaire médical"),
    ("80565-5", "compte rendu d'administration de médicaments"),
    ("29274-8", "signes vitaux"),
    ("EXPORT_DUI", "export du dossier usager informatisé"),
    ("BIL_AUTO", "bilan d'autonomie"),
    ("AUTORIS-SOINS", "autorisation de soins"),
    ("ATTEST-RESID", "attestation de résidence"),
    ("ATTEST-HEBGT", "attestation d'hébergement"),
    (
        "ATTEST-DROITS-AM",
        "attestation de droits à l'assurance maladie",
    ),
    ("ATTEST-ASS-COMPL", "attestation d'assurance complémentaire"),
    ("PIECE-IDENTITE", "pièce d'identité"),
    ("FICHE-CONTACTS", "fiche contacts"),
];

/// The medico-social model a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emergency {
    Dlu,
    Fludt,
    Fludr,
}

/// Top-level sections counted by templateId root: (count, first and second section carrying it).
struct Sections<'a, 'i> {
    by_root: HashMap<&'a str, (usize, Node<'a, 'i>, Option<Node<'a, 'i>>)>,
    all: Vec<Node<'a, 'i>>,
}

impl<'a, 'i> Sections<'a, 'i> {
    /// One pass over `component/structuredBody/component/section` and their templateIds.
    fn new(cda: &Cda<'a, 'i>) -> Self {
        let all = cda.sections();
        let mut by_root: HashMap<&'a str, (usize, Node<'a, 'i>, Option<Node<'a, 'i>>)> =
            HashMap::new();
        for s in &all {
            for root in children(*s, "templateId").filter_map(|t| t.attribute("root")) {
                let e = by_root.entry(root).or_insert((0, *s, None));
                e.0 += 1;
                if e.0 == 2 {
                    e.2 = Some(*s);
                }
            }
        }
        Sections { by_root, all }
    }

    fn count(&self, root: &str) -> usize {
        self.by_root.get(root).map_or(0, |e| e.0)
    }
}

/// Medico-social model checks (DLU, FLUDT, FLUDR, TDDUI export, other document types).
pub fn check(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let sections = Sections::new(cda);
    let emergency = if cda.has_template(TPL_DLU) {
        Some(Emergency::Dlu)
    } else if cda.has_template(TPL_FLUDT) {
        Some(Emergency::Fludt)
    } else if cda.has_template(TPL_FLUDR) {
        Some(Emergency::Fludr)
    } else {
        None
    };
    dlu(cda, &sections, emergency == Some(Emergency::Dlu), sink);
    fludt(cda, &sections, emergency == Some(Emergency::Fludt), sink);
    fludr(cda, &sections, emergency == Some(Emergency::Fludr), sink);
    tddui_export(cda, &sections, sink);
    document_types(cda, sink);
}

// ---------------------------------------------------------------------------------------------------------
// CDA-MS-010…031: DLU, FLUDT, FLUDR
// ---------------------------------------------------------------------------------------------------------

/// Marks `rules` not applicable because the model's templateId is absent.
fn not_this_model(sink: &mut Sink, rules: &[&'static str], tpl: &str, model: &str) {
    for r in rules {
        sink.not_applicable(
            r,
            msg!(
                "Pas un document {model} (templateId {tpl} absent)",
                "Not a {model} document (templateId {tpl} absent)"
            ),
        );
    }
}

/// `code[@code='74207-2' and @codeSystem=LOINC]` and `recordTarget/patientRole/patient/birthTime` (Entete_DLU-*).
fn emergency_code_and_birth(cda: &Cda<'_, '_>, rule: &'static str, model: &str, sink: &mut Sink) {
    let coded = children(cda.root, "code")
        .any(|c| c.attribute("code") == Some(CODE_DLU) && c.attribute("codeSystem") == Some(LOINC));
    if !coded {
        let at = cda.header("code").unwrap_or(cda.root);
        let found = cda.header("code").map_or("(absent)".to_string(), |c| {
            format!(
                "{}@{}",
                c.attribute("code").unwrap_or(""),
                c.attribute("codeSystem").unwrap_or("")
            )
        });
        sink.violation(
            rule,
            at,
            msg!(
                "Le {model} a pour type code=\"74207-2\" codeSystem=\"2.16.840.1.113883.6.1\" (LOINC) ; trouvé {found}",
                "The {model} has type code=\"74207-2\" codeSystem=\"2.16.840.1.113883.6.1\" (LOINC); found {found}"
            ),
        );
    }
    let birth = cda.patient().and_then(|p| child(p, "birthTime"));
    if birth.is_none() {
        let at = cda
            .patient()
            .or_else(|| cda.patient_role())
            .unwrap_or(cda.root);
        sink.violation(
            rule,
            at,
            msg!(
                "{model} : la date de naissance du patient (patient/birthTime) est obligatoire",
                "{model}: the patient's birth date (patient/birthTime) is required"
            ),
        )
        .path("/ClinicalDocument/recordTarget/patientRole/patient/birthTime");
    }
}

/// `documentationOf/serviceEvent/code[@code=act]`, `serviceEvent/effectiveTime` present, and no
/// `@nullFlavor` on it nor on its `low` (XPath existence semantics over every documentationOf, as the
/// Entete_DLU-* schematrons test).
fn emergency_act(cda: &Cda<'_, '_>, rule: &'static str, model: &str, act: &str, sink: &mut Sink) {
    let events = path_all(cda.root, &["documentationOf", "serviceEvent"]);
    let has_act = events
        .iter()
        .flat_map(|e| children(*e, "code"))
        .any(|c| c.attribute("code") == Some(act));
    let at = events.first().copied().unwrap_or(cda.root);
    if !has_act {
        sink.violation(
            rule,
            at,
            msg!(
                "{model} : documentationOf/serviceEvent/code doit avoir @code=\"{act}\"",
                "{model}: documentationOf/serviceEvent/code must have @code=\"{act}\""
            ),
        );
    }
    let times: Vec<_> = events
        .iter()
        .flat_map(|e| children(*e, "effectiveTime"))
        .collect();
    if times.is_empty() {
        sink.violation(
            rule,
            at,
            msg!(
                "{model} : la date de début d'exécution de l'acte (documentationOf/serviceEvent/effectiveTime) est obligatoire",
                "{model}: the act's start date (documentationOf/serviceEvent/effectiveTime) is required"
            ),
        );
    }
    for t in times {
        let nulled = if is_null(t) {
            Some(t)
        } else {
            children(t, "low").find(|l| is_null(*l))
        };
        if let Some(n) = nulled {
            sink.violation(
                rule,
                n,
                msg!(
                    "{model} : l'utilisation du nullFlavor pour la date de début d'exécution de l'acte est interdite",
                    "{model}: a nullFlavor on the act's start date is forbidden"
                ),
            );
        }
    }
}

/// Counts sections by templateId against `[1..1]` / `[0..1]` (volet schematron `count(…templateId[@root])`).
fn section_counts(
    sections: &Sections<'_, '_>,
    rule: &'static str,
    model: &str,
    rules: &[SectionRule],
    cda: &Cda<'_, '_>,
    sink: &mut Sink,
) {
    for (tpl, name, mandatory) in rules {
        let n = sections.count(tpl);
        if *mandatory && n == 0 {
            let at = cda.structured_body().unwrap_or(cda.root);
            let path = format!(
                "{}/component/section[templateId/@root='{tpl}']",
                node_path(at)
            );
            sink.violation(
                rule,
                at,
                msg!(
                    "{model} : la section « {name} » (templateId {tpl}) doit être présente une fois (cardinalité [1..1]) ; elle est absente",
                    "{model}: section \"{name}\" (templateId {tpl}) must be present once ([1..1]); it is missing"
                ),
            )
            .path(path);
        } else if n > 1 {
            let at = sections
                .by_root
                .get(tpl)
                .and_then(|e| e.2.or(Some(e.1)))
                .unwrap_or(cda.root);
            let card = if *mandatory { "[1..1]" } else { "[0..1]" };
            sink.violation(
                rule,
                at,
                msg!(
                    "{model} : la section « {name} » (templateId {tpl}) est présente {n} fois ; cardinalité {card}",
                    "{model}: section \"{name}\" (templateId {tpl}) is present {n} times; cardinality {card}"
                ),
            );
        }
    }
}

/// CDA-MS-010…013: the DLU (Entete_DLU-DLU.sch, CI-SIS_DLU-EHPAD-DLU_2022.01.sch).
fn dlu(cda: &Cda<'_, '_>, sections: &Sections<'_, '_>, applies: bool, sink: &mut Sink) {
    const RULES: [&str; 4] = ["CDA-MS-010", "CDA-MS-011", "CDA-MS-012", "CDA-MS-013"];
    if !applies {
        return not_this_model(sink, &RULES, TPL_DLU, "DLU");
    }
    for r in RULES {
        sink.check(r);
    }
    emergency_code_and_birth(cda, "CDA-MS-010", "DLU", sink);

    // Entete_DLU-DLU: participant[@typeCode='INF'] and participant/functionCode[@code='PCP'].
    let participants: Vec<_> = children(cda.root, "participant").collect();
    if !participants
        .iter()
        .any(|p| p.attribute("typeCode") == Some("INF"))
    {
        let at = participants.first().copied().unwrap_or(cda.root);
        sink.violation(
            "CDA-MS-011",
            at,
            msg!(
                "DLU : un participant avec typeCode=\"INF\" (l'informateur, médecin traitant) est obligatoire",
                "DLU: a participant with typeCode=\"INF\" (the informant, the attending physician) is required"
            ),
        )
        .path("/ClinicalDocument/participant[@typeCode='INF']");
    }
    if !participants
        .iter()
        .flat_map(|p| children(*p, "functionCode"))
        .any(|f| f.attribute("code") == Some("PCP"))
    {
        let at = participants.first().copied().unwrap_or(cda.root);
        sink.violation(
            "CDA-MS-011",
            at,
            msg!(
                "DLU : le functionCode de l'informateur est fixé à \"PCP\" (participant/functionCode[@code='PCP'] absent)",
                "DLU: the informant's functionCode is fixed to \"PCP\" (participant/functionCode[@code='PCP'] missing)"
            ),
        )
        .path("/ClinicalDocument/participant/functionCode[@code='PCP']");
    }
    emergency_act(cda, "CDA-MS-011", "DLU", "34117-2", sink);
    section_counts(sections, "CDA-MS-012", "DLU", DLU_MANDATORY, cda, sink);
    section_counts(sections, "CDA-MS-013", "DLU", DLU_OPTIONAL, cda, sink);
}

/// CDA-MS-020, 021: the FLUDT (Entete_DLU-FLUDT.sch, CI-SIS_DLU-EHPAD-FLUDT_2022.01.sch).
fn fludt(cda: &Cda<'_, '_>, sections: &Sections<'_, '_>, applies: bool, sink: &mut Sink) {
    if !applies {
        return not_this_model(sink, &["CDA-MS-020", "CDA-MS-021"], TPL_FLUDT, "FLUDT");
    }
    sink.check("CDA-MS-020");
    sink.check("CDA-MS-021");
    emergency_code_and_birth(cda, "CDA-MS-020", "FLUDT", sink);
    emergency_act(cda, "CDA-MS-020", "FLUDT", "28651-8", sink);
    section_counts(sections, "CDA-MS-021", "FLUDT", FLUDT_SECTIONS, cda, sink);
}

/// CDA-MS-030, 031: the FLUDR (Entete_DLU-FLUDR.sch, CI-SIS_DLU-EHPAD-FLUDR_2022.01.sch).
fn fludr(cda: &Cda<'_, '_>, sections: &Sections<'_, '_>, applies: bool, sink: &mut Sink) {
    if !applies {
        return not_this_model(sink, &["CDA-MS-030", "CDA-MS-031"], TPL_FLUDR, "FLUDR");
    }
    sink.check("CDA-MS-030");
    sink.check("CDA-MS-031");
    emergency_code_and_birth(cda, "CDA-MS-030", "FLUDR", sink);
    emergency_act(cda, "CDA-MS-030", "FLUDR", "28651-8", sink);
    section_counts(sections, "CDA-MS-031", "FLUDR", FLUDR_SECTIONS, cda, sink);
}

// ---------------------------------------------------------------------------------------------------------
// CDA-MS-050…058: TDDUI export
// ---------------------------------------------------------------------------------------------------------

/// The system-identifier form `<prefix><structure id>/<internal id>` (ID-011 forms 1/3/4/5/6, MUST here).
fn is_system_id(v: &str) -> bool {
    v.starts_with(['1', '3', '4', '5', '6'])
        && v.split_once('/')
            .is_some_and(|(s, i)| s.len() > 1 && !i.is_empty())
}

/// Reports `rule` when `found` elements are not exactly one (`at_most` allows zero).
fn exactly_one(
    sink: &mut Sink,
    rule: &'static str,
    parent: Node<'_, '_>,
    what: &str,
    found: &[Node<'_, '_>],
    at_most: bool,
) -> bool {
    let n = found.len();
    if n == 1 || (at_most && n == 0) {
        return true;
    }
    let card = if at_most { "[0..1]" } else { "[1..1]" };
    let p = parent.tag_name().name();
    if n == 0 {
        sink.violation(
            rule,
            parent,
            msg!(
                "Export DUI : {what} absent de <{p}> (cardinalité {card}) : l'ajouter",
                "DUI export: {what} missing from <{p}> (cardinality {card}): add it"
            ),
        )
        .path(format!("{}/{what}", node_path(parent)));
    } else {
        let at = found.get(1).copied().unwrap_or(parent);
        sink.violation(
            rule,
            at,
            msg!(
                "Export DUI : {what} présent {n} fois dans <{p}> (cardinalité {card})",
                "DUI export: {what} present {n} times in <{p}> (cardinality {card})"
            ),
        );
    }
    false
}

/// An id of the DUI software: no nullFlavor, `@root` = 1.2.250.1.71.4.2.1, `@extension` in system-id form.
fn software_id(sink: &mut Sink, rule: &'static str, id: Node<'_, '_>, whose: &str) {
    let ii = InstanceId::of(id);
    if is_null(id) {
        sink.violation(
            rule,
            id,
            msg!(
                "Export DUI : l'identifiant {whose} porte un nullFlavor, interdit",
                "DUI export: the {whose} identifier carries a nullFlavor, which is forbidden"
            ),
        );
        return;
    }
    if ii.root != Some(OID_PS_IDNAT) {
        let r = ii.root.unwrap_or("(absent)");
        sink.violation(
            rule,
            At::Attr(id, "root"),
            msg!(
                "Export DUI : l'identifiant {whose} est sous @root=\"{r}\" ; attendu 1.2.250.1.71.4.2.1 (professionnels et systèmes)",
                "DUI export: the {whose} identifier is under @root=\"{r}\"; expected 1.2.250.1.71.4.2.1 (professionals and systems)"
            ),
        );
    }
    match ii.extension {
        Some(e) if is_system_id(e) => {}
        other => {
            let e = other.unwrap_or("(absent)");
            sink.violation(
                rule,
                At::Attr(id, "extension"),
                msg!(
                    "Export DUI : identifiant {whose} @extension=\"{e}\" ; attendu l'identifiant du système : identifiant de la structure avec son préfixe, « / », identifiant interne (ex. 3480787529/1453)",
                    "DUI export: {whose} identifier @extension=\"{e}\"; expected the system identifier: structure id with its prefix, \"/\", internal id (e.g. 3480787529/1453)"
                ),
            );
        }
    }
}

/// A `code` that must be LOGICIEL_DUI / 1.2.250.1.213.1.1.4.6.
fn software_code(sink: &mut Sink, rule: &'static str, code: Node<'_, '_>, whose: &str) {
    if code.attribute("code") != Some(LOGICIEL_DUI.0)
        || code.attribute("codeSystem") != Some(LOGICIEL_DUI.1)
    {
        let (c, s) = (
            code.attribute("code").unwrap_or(""),
            code.attribute("codeSystem").unwrap_or(""),
        );
        sink.violation(
            rule,
            code,
            msg!(
                "Export DUI : le code {whose} est {c}@{s} ; attendu LOGICIEL_DUI@1.2.250.1.213.1.1.4.6 (le logiciel DUI)",
                "DUI export: the {whose} code is {c}@{s}; expected LOGICIEL_DUI@1.2.250.1.213.1.1.4.6 (the DUI software)"
            ),
        );
    }
}

/// An organisation id that must be under 1.2.250.1.71.4.2.2.
fn structure_id(sink: &mut Sink, rule: &'static str, id: Node<'_, '_>, whose: &str) {
    if id.attribute("root") != Some(OID_STRUCT_IDNAT) {
        let r = id.attribute("root").unwrap_or("(absent)");
        sink.violation(
            rule,
            At::Attr(id, "root"),
            msg!(
                "Export DUI : l'identifiant de la structure {whose} est sous @root=\"{r}\" ; attendu 1.2.250.1.71.4.2.2 (Struct_IdNat)",
                "DUI export: the {whose} structure identifier is under @root=\"{r}\"; expected 1.2.250.1.71.4.2.2 (Struct_IdNat)"
            ),
        );
    }
}

/// CDA-MS-050…058, when the document declares the TDDUI model (templateId …1.1.58 or code EXPORT_DUI).
fn tddui_export(cda: &Cda<'_, '_>, sections: &Sections<'_, '_>, sink: &mut Sink) {
    const RULES: [&str; 9] = [
        "CDA-MS-050",
        "CDA-MS-051",
        "CDA-MS-052",
        "CDA-MS-053",
        "CDA-MS-054",
        "CDA-MS-055",
        "CDA-MS-056",
        "CDA-MS-057",
        "CDA-MS-058",
    ];
    let by_code = cda.code().is_some_and(|c| c.code == Some(EXPORT_DUI.0));
    if !cda.has_template(TPL_TDDUI) && !by_code {
        for r in RULES {
            sink.not_applicable(
                r,
                msg!(
                    "Pas un export DUI (ni templateId 1.2.250.1.213.1.1.1.58 ni code EXPORT_DUI)",
                    "Not a DUI export (neither templateId 1.2.250.1.213.1.1.1.58 nor code EXPORT_DUI)"
                ),
            );
        }
        return;
    }
    for r in RULES {
        sink.check(r);
    }
    export_model(cda, sink);
    export_author(cda, sink);
    export_custodian(cda, sink);
    export_legal_authenticator(cda, sink);
    export_act(cda, sink);
    export_facility(cda, sink);
    export_usager(cda, sink);
    export_sections(sections, cda, sink);
}

/// CDA-MS-050: templateId …1.1.58, code EXPORT_DUI (TRE_A05, exact displayName), languageCode fr-FR.
fn export_model(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-050";
    if !cda.has_template(TPL_TDDUI) {
        sink.violation(
            R,
            cda.header("code").unwrap_or(cda.root),
            msg!(
                "Document de type EXPORT_DUI sans templateId 1.2.250.1.213.1.1.1.58 : déclarer le modèle « Transfert de données DUI »",
                "EXPORT_DUI document without templateId 1.2.250.1.213.1.1.1.58: declare the \"Transfert de données DUI\" model"
            ),
        )
        .path("/ClinicalDocument/templateId[@root='1.2.250.1.213.1.1.1.58']");
    }
    match cda.code() {
        Some(c)
            if c.code == Some(EXPORT_DUI.0)
                && c.system == Some(EXPORT_DUI.1)
                && c.display == Some(EXPORT_DUI.2) => {}
        Some(c) => {
            let (code, cs, dn) = (
                c.code.unwrap_or(""),
                c.system.unwrap_or(""),
                c.display.unwrap_or(""),
            );
            sink.violation(
                R,
                c.node,
                msg!(
                    "Export DUI : code=\"{code}\" codeSystem=\"{cs}\" displayName=\"{dn}\" ; attendu code=\"EXPORT_DUI\" codeSystem=\"1.2.250.1.213.1.1.4.12\" displayName=\"Export du Dossier Usager Informatisé\"",
                    "DUI export: code=\"{code}\" codeSystem=\"{cs}\" displayName=\"{dn}\"; expected code=\"EXPORT_DUI\" codeSystem=\"1.2.250.1.213.1.1.4.12\" displayName=\"Export du Dossier Usager Informatisé\""
                ),
            );
        }
        None => {
            sink.violation(
                R,
                cda.root,
                msg!(
                    "Export DUI : élément code absent",
                    "DUI export: code element missing"
                ),
            )
            .path("/ClinicalDocument/code");
        }
    }
    if cda.language() != Some("fr-FR") {
        let l = cda.language().unwrap_or("(absent)");
        sink.violation(
            R,
            cda.header("languageCode").unwrap_or(cda.root),
            msg!(
                "Export DUI : languageCode/@code=\"{l}\" ; fixé à fr-FR",
                "DUI export: languageCode/@code=\"{l}\"; fixed to fr-FR"
            ),
        );
    }
}

/// CDA-MS-051: every author is the DUI software of the ESSMS.
fn export_author(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-051";
    for aa in cda
        .authors()
        .into_iter()
        .filter_map(|a| child(a, "assignedAuthor"))
    {
        let ids: Vec<_> = children(aa, "id").collect();
        if exactly_one(sink, R, aa, "id", &ids, false) {
            software_id(sink, R, ids[0], "de l'auteur");
        }
        let codes: Vec<_> = children(aa, "code").collect();
        if exactly_one(sink, R, aa, "code", &codes, false) {
            software_code(sink, R, codes[0], "de l'auteur");
        }
        let devices: Vec<_> = children(aa, "assignedAuthoringDevice").collect();
        exactly_one(sink, R, aa, "assignedAuthoringDevice", &devices, false);
        let orgs: Vec<_> = children(aa, "representedOrganization").collect();
        if exactly_one(sink, R, aa, "representedOrganization", &orgs, false) {
            let ids: Vec<_> = children(orgs[0], "id").collect();
            if exactly_one(sink, R, orgs[0], "id", &ids, true) {
                for id in ids {
                    structure_id(sink, R, id, "de l'auteur");
                }
            }
        }
    }
}

/// CDA-MS-052: the custodian is the ESSMS (one id under 1.2.250.1.71.4.2.2 carrying its Struct_IdNat).
fn export_custodian(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-052";
    let Some(org) = path(
        cda.root,
        &[
            "custodian",
            "assignedCustodian",
            "representedCustodianOrganization",
        ],
    ) else {
        sink.violation(
            R,
            cda.header("custodian").unwrap_or(cda.root),
            msg!(
                "Export DUI : custodian/assignedCustodian/representedCustodianOrganization absent (l'ESSMS dépositaire)",
                "DUI export: custodian/assignedCustodian/representedCustodianOrganization missing (the ESSMS custodian)"
            ),
        );
        return;
    };
    let ids: Vec<_> = children(org, "id").collect();
    if exactly_one(sink, R, org, "id", &ids, false) {
        let id = ids[0];
        structure_id(sink, R, id, "dépositaire");
        if id.attribute("extension").is_none_or(str::is_empty) {
            sink.violation(
                R,
                id,
                msg!(
                    "Export DUI : l'identifiant de l'ESSMS dépositaire n'a pas d'@extension (Struct_IdNat attendu)",
                    "DUI export: the ESSMS custodian identifier has no @extension (its Struct_IdNat is expected)"
                ),
            );
        }
    }
    let names: Vec<_> = children(org, "name").collect();
    exactly_one(sink, R, org, "name", &names, true);
}

/// CDA-MS-053: the legal authenticator is the DUI software.
fn export_legal_authenticator(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-053";
    let Some(ae) = cda
        .legal_authenticator()
        .and_then(|l| child(l, "assignedEntity"))
    else {
        sink.violation(
            R,
            cda.legal_authenticator().unwrap_or(cda.root),
            msg!(
                "Export DUI : legalAuthenticator/assignedEntity absent (le logiciel DUI responsable du document)",
                "DUI export: legalAuthenticator/assignedEntity missing (the DUI software responsible for the document)"
            ),
        )
        .path("/ClinicalDocument/legalAuthenticator/assignedEntity");
        return;
    };
    let ids: Vec<_> = children(ae, "id").collect();
    if exactly_one(sink, R, ae, "id", &ids, false) {
        software_id(sink, R, ids[0], "du responsable légal");
    }
    let codes: Vec<_> = children(ae, "code").collect();
    if exactly_one(sink, R, ae, "code", &codes, true) {
        for c in codes {
            software_code(sink, R, c, "du responsable légal");
        }
    }
    for id in path_all(ae, &["representedOrganization", "id"]) {
        if is_null(id) {
            sink.violation(
                R,
                id,
                msg!(
                    "Export DUI : identifiant de la structure responsable avec nullFlavor, interdit",
                    "DUI export: responsible structure identifier with a nullFlavor, which is forbidden"
                ),
            );
        } else {
            structure_id(sink, R, id, "responsable");
        }
    }
}

/// CDA-MS-054: the documented act is the transfer performed by the DUI software in an ESSMS.
fn export_act(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-054";
    let Some(se) = cda.service_event() else {
        sink.violation(
            R,
            cda.root,
            msg!(
                "Export DUI : documentationOf/serviceEvent absent",
                "DUI export: documentationOf/serviceEvent missing"
            ),
        )
        .path("/ClinicalDocument/documentationOf/serviceEvent");
        return;
    };
    let times: Vec<_> = children(se, "effectiveTime").collect();
    if exactly_one(sink, R, se, "effectiveTime", &times, false) && is_null(times[0]) {
        sink.violation(
            R,
            times[0],
            msg!(
                "Export DUI : serviceEvent/effectiveTime avec nullFlavor, interdit",
                "DUI export: serviceEvent/effectiveTime with a nullFlavor, which is forbidden"
            ),
        );
    }
    let performers: Vec<_> = children(se, "performer").collect();
    if !exactly_one(sink, R, se, "performer", &performers, false) {
        return;
    }
    let p = performers[0];
    if is_null(p) {
        sink.violation(
            R,
            p,
            msg!(
                "Export DUI : serviceEvent/performer avec nullFlavor, interdit",
                "DUI export: serviceEvent/performer with a nullFlavor, which is forbidden"
            ),
        );
    }
    let Some(ae) = child(p, "assignedEntity") else {
        sink.violation(
            R,
            p,
            msg!(
                "Export DUI : performer/assignedEntity absent",
                "DUI export: performer/assignedEntity missing"
            ),
        );
        return;
    };
    let ids: Vec<_> = children(ae, "id").collect();
    if exactly_one(sink, R, ae, "id", &ids, false) {
        software_id(sink, R, ids[0], "de l'exécutant");
    }
    let codes: Vec<_> = children(ae, "code").collect();
    if exactly_one(sink, R, ae, "code", &codes, true) {
        for c in codes {
            software_code(sink, R, c, "de l'exécutant");
        }
    }
    let sics = path_all(
        ae,
        &["representedOrganization", "standardIndustryClassCode"],
    );
    if exactly_one(
        sink,
        R,
        ae,
        "representedOrganization/standardIndustryClassCode",
        &sics,
        false,
    ) {
        let s = sics[0];
        if s.attribute("code") != Some(ESSMS.0) || s.attribute("codeSystem") != Some(ESSMS.1) {
            let (c, cs) = (
                s.attribute("code").unwrap_or(""),
                s.attribute("codeSystem").unwrap_or(""),
            );
            sink.violation(
                R,
                s,
                msg!(
                    "Export DUI : cadre d'exercice {c}@{cs} ; attendu ESSMS@1.2.250.1.213.1.1.4.9 (établissement ou service social ou médico-social)",
                    "DUI export: practice setting {c}@{cs}; expected ESSMS@1.2.250.1.213.1.1.4.9 (social or medico-social facility or service)"
                ),
            );
        }
    }
}

/// CDA-MS-055: the facility is medico-social (SA16/SA18/SA41) with its ESMS category (JDV_J254).
fn export_facility(cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-055";
    let Some(hcf) = path(
        cda.root,
        &[
            "componentOf",
            "encompassingEncounter",
            "location",
            "healthCareFacility",
        ],
    ) else {
        sink.violation(
            R,
            cda.header("componentOf").unwrap_or(cda.root),
            msg!(
                "Export DUI : componentOf/encompassingEncounter/location/healthCareFacility absent",
                "DUI export: componentOf/encompassingEncounter/location/healthCareFacility missing"
            ),
        );
        return;
    };
    let codes: Vec<_> = children(hcf, "code").collect();
    if !exactly_one(sink, R, hcf, "code", &codes, false) {
        return;
    }
    let code = codes[0];
    let (c, cs) = (
        code.attribute("code").unwrap_or(""),
        code.attribute("codeSystem").unwrap_or(""),
    );
    if !ESMS_FACILITIES.0.contains(&c) || cs != ESMS_FACILITIES.1 {
        sink.violation(
            R,
            code,
            msg!(
                "Export DUI : type d'établissement {c}@{cs} ; attendu SA16, SA18 ou SA41 sous 1.2.250.1.71.4.2.4 (secteur social et médico-social)",
                "DUI export: facility type {c}@{cs}; expected SA16, SA18 or SA41 under 1.2.250.1.71.4.2.4 (social and medico-social sector)"
            ),
        );
    }
    let translations: Vec<_> = children(code, "translation").collect();
    if exactly_one(sink, R, code, "translation", &translations, false) {
        let t = translations[0];
        let j254 = catalogue::valueset("J254");
        let (tc, ts) = (
            t.attribute("code").unwrap_or(""),
            t.attribute("codeSystem").unwrap_or(""),
        );
        if !j254.contains_pair(tc, ts) {
            let label = j254.label();
            sink.violation(
                R,
                t,
                msg!(
                    "Export DUI : catégorie d'établissement {tc}@{ts} absente du jeu de valeurs {label} (JDV_J254_CategorieEtablissementESSMSPH, ex. 354 SSIAD)",
                    "DUI export: facility category {tc}@{ts} is not in value set {label} (JDV_J254_CategorieEtablissementESSMSPH, e.g. 354 SSIAD)"
                ),
            );
        }
    }
}

/// CDA-MS-056 and 057: the usager's identifiers and traits.
fn export_usager(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let Some(role) = cda.patient_role() else {
        for r in ["CDA-MS-056", "CDA-MS-057"] {
            sink.violation(
                r,
                cda.root,
                msg!(
                    "Export DUI : recordTarget/patientRole absent",
                    "DUI export: recordTarget/patientRole missing"
                ),
            )
            .path("/ClinicalDocument/recordTarget/patientRole");
        }
        return;
    };
    if cda.patient_ids().is_empty() {
        sink.violation(
            "CDA-MS-056",
            role,
            msg!(
                "Export DUI : aucun identifiant de l'usager (patientRole/id [1..*])",
                "DUI export: no usager identifier (patientRole/id [1..*])"
            ),
        );
    }
    let Some(patient) = cda.patient() else {
        for r in ["CDA-MS-056", "CDA-MS-057"] {
            sink.violation(
                r,
                role,
                msg!(
                    "Export DUI : patientRole/patient absent",
                    "DUI export: patientRole/patient missing"
                ),
            );
        }
        return;
    };
    // RecordTarget table: name/family and name/given [1..*], "l'attribut nullFlavor est interdit".
    let names: Vec<_> = children(patient, "name").collect();
    for (part, fr, en) in [
        ("family", "nom", "family name"),
        ("given", "prénom", "given name"),
    ] {
        let all: Vec<_> = names.iter().flat_map(|n| children(*n, part)).collect();
        if all.is_empty() {
            sink.violation(
                "CDA-MS-056",
                names.first().copied().unwrap_or(patient),
                msg!(
                    "Export DUI : au moins un {fr} (name/{part}) doit être transmis",
                    "DUI export: at least one {en} (name/{part}) is required"
                ),
            );
        }
        for n in all.into_iter().filter(|n| is_null(*n)) {
            sink.violation(
                "CDA-MS-056",
                n,
                msg!(
                    "Export DUI : name/{part} avec nullFlavor, interdit",
                    "DUI export: name/{part} with a nullFlavor, which is forbidden"
                ),
            );
        }
    }
    for e in ["administrativeGenderCode", "birthTime"] {
        let found: Vec<_> = children(patient, e).collect();
        exactly_one(sink, "CDA-MS-056", patient, e, &found, false);
    }

    // RecordTarget table: with an INS, the INS traits are present without nullFlavor; without, the birth order.
    if cda.ins().is_some() {
        let family_br = names
            .iter()
            .flat_map(|n| children(*n, "family"))
            .find(|f| f.attribute("qualifier") == Some("BR"));
        let given_br = names
            .iter()
            .flat_map(|n| children(*n, "given"))
            .find(|g| g.attribute("qualifier") == Some("BR"));
        let given_all = names
            .iter()
            .flat_map(|n| children(*n, "given"))
            .find(|g| g.attribute("qualifier").is_none());
        let traits = [
            (
                "name/family[@qualifier='BR']",
                "nom de naissance",
                family_br,
            ),
            (
                "name/given[@qualifier='BR']",
                "premier prénom de naissance",
                given_br,
            ),
            (
                "name/given (sans qualifier)",
                "prénoms de naissance",
                given_all,
            ),
            (
                "administrativeGenderCode",
                "sexe",
                child(patient, "administrativeGenderCode"),
            ),
            (
                "birthTime",
                "date de naissance",
                child(patient, "birthTime"),
            ),
            (
                "birthplace/place/addr/county",
                "lieu de naissance (COG)",
                path(patient, &["birthplace", "place", "addr", "county"]),
            ),
        ];
        for (what, fr, node) in traits {
            match node {
                None => {
                    sink.violation(
                        "CDA-MS-057",
                        patient,
                        msg!(
                            "Export DUI avec INS : trait {what} ({fr}) absent ; il est obligatoire quand le matricule INS est présent",
                            "DUI export with an INS: trait {what} missing; it is required when the INS is present"
                        ),
                    )
                    .path(format!("{}/{what}", node_path(patient)));
                }
                Some(n) if is_null(n) => {
                    sink.violation(
                        "CDA-MS-057",
                        n,
                        msg!(
                            "Export DUI avec INS : trait {what} ({fr}) avec nullFlavor, interdit quand le matricule INS est présent",
                            "DUI export with an INS: trait {what} with a nullFlavor, forbidden when the INS is present"
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    } else if sdtc_children(patient, "multipleBirthOrderNumber")
        .next()
        .is_none()
    {
        sink.violation(
            "CDA-MS-057",
            patient,
            msg!(
                "Export DUI sans INS : l'ordre d'enregistrement de la naissance (sdtc:multipleBirthOrderNumber) est requis",
                "DUI export without an INS: the birth registration order (sdtc:multipleBirthOrderNumber) is required"
            ),
        )
        .path(format!("{}/sdtc:multipleBirthOrderNumber", node_path(patient)));
    }
}

/// CDA-MS-058 (INFO): inventory of the export's body sections (all 0..1).
fn export_sections(sections: &Sections<'_, '_>, cda: &Cda<'_, '_>, sink: &mut Sink) {
    const R: &str = "CDA-MS-058";
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for s in &sections.all {
        let roots: Vec<&str> = children(*s, "templateId")
            .filter_map(|t| t.attribute("root"))
            .collect();
        match roots
            .iter()
            .find_map(|r| TDDUI_SECTIONS.iter().find(|(t, _)| t == r))
        {
            Some((_, name)) => known.push(*name),
            None => unknown.push(roots.first().copied().unwrap_or("(sans templateId)")),
        }
    }
    known.dedup();
    let at = cda.structured_body().unwrap_or(cda.root);
    let (k, u) = (
        known.join(", "),
        if unknown.is_empty() {
            "aucune".to_string()
        } else {
            unknown.join(", ")
        },
    );
    let u_en = if unknown.is_empty() {
        "none".to_string()
    } else {
        unknown.join(", ")
    };
    let n = sections.all.len();
    sink.info(
        R,
        at,
        msg!(
            "Export DUI : {n} section(s) ; connues : {k} ; non répertoriées (templateId) : {u} ; les contrôles détaillés des sections ne sont pas catalogués",
            "DUI export: {n} section(s); known: {k}; not listed (templateId): {u_en}; detailed section checks are not catalogued yet"
        ),
    );
    for (tpl, name) in TDDUI_SECTIONS {
        if sections.count(tpl) > 1 {
            let c = sections.count(tpl);
            let second = sections.by_root.get(tpl).and_then(|e| e.2).unwrap_or(at);
            sink.info(
                R,
                second,
                msg!(
                    "Export DUI : la section « {name} » ({tpl}) est présente {c} fois alors que toutes les sections sont [0..1]",
                    "DUI export: section \"{name}\" ({tpl}) is present {c} times whereas every section is [0..1]"
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// CDA-MS-060, 061: other document types of the sector
// ---------------------------------------------------------------------------------------------------------

/// CDA-MS-060 (PPA without a CDA model) and CDA-MS-061 (sector type codes), informative.
fn document_types(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let code = cda.code();
    let c = code.and_then(|c| c.code).unwrap_or("");
    let at = code.map_or(cda.root, |c| c.node);
    if c == "80788-3" {
        sink.info(
            "CDA-MS-060",
            at,
            msg!(
                "Projet personnalisé d'accompagnement (80788-3) : modèle PPA non catalogué (aucun templateId ni section CDA connus) ; seuls les contrôles d'en-tête génériques s'appliquent",
                "Personalised support plan (80788-3): PPA model not catalogued (no known CDA templateId nor sections); only the generic header checks apply"
            ),
        );
    } else {
        sink.not_applicable(
            "CDA-MS-060",
            msg!("Pas un PPA (code 80788-3)", "Not a PPA (code 80788-3)"),
        );
    }
    match ESMS_TYPES.iter().find(|(k, _)| *k == c) {
        Some((_, label)) => {
            sink.info(
                "CDA-MS-061",
                at,
                msg!(
                    "Type de document du secteur social et médico-social : {c} ({label})",
                    "Document type of the social and medico-social sector: {c} ({label})"
                ),
            );
        }
        None => sink.not_applicable(
            "CDA-MS-061",
            msg!(
                "Type de document hors secteur social et médico-social",
                "Document type outside the social and medico-social sector"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Verdict};
    use crate::validate::{with_cda, Options};

    const TDDUI: &str = include_str!("../../fixtures/valid/cda/tddui-export.xml");
    const DLU: &str = include_str!("../../fixtures/valid/cda/dlu.xml");
    const FLUDT: &str = include_str!("../../fixtures/valid/cda/fludt.xml");
    const FLUDR: &str = include_str!("../../fixtures/valid/cda/fludr.xml");

    fn run(xml: &str) -> Vec<Finding> {
        let mut sink = Sink::new();
        with_cda(xml.as_bytes(), &Options::default(), &mut sink, check);
        sink.finish()
    }

    fn verdicts(findings: &[Finding], prefix: &str) -> Vec<(String, Verdict)> {
        findings
            .iter()
            .filter(|f| f.requirement.starts_with(prefix))
            .map(|f| (f.requirement.clone(), f.verdict))
            .collect()
    }

    #[test]
    fn each_model_is_judged_by_its_own_rules_only() {
        for (xml, model) in [
            (DLU, "CDA-MS-01"),
            (FLUDT, "CDA-MS-02"),
            (FLUDR, "CDA-MS-03"),
            (TDDUI, "CDA-MS-05"),
        ] {
            let f = run(xml);
            for (rule, v) in verdicts(&f, "CDA-MS-0") {
                let expected = if rule.starts_with(model) {
                    if rule == "CDA-MS-058" {
                        Verdict::Info
                    } else {
                        Verdict::Pass
                    }
                } else if rule == "CDA-MS-061" {
                    Verdict::Info
                } else {
                    Verdict::NotApplicable
                };
                assert_eq!(v, expected, "{model}: {rule}");
            }
        }
    }

    #[test]
    fn an_export_without_its_template_id_is_still_an_export() {
        let xml = TDDUI.replacen(
            r#"<templateId root="1.2.250.1.213.1.1.1.58" extension="1.1.0-ballot"/>"#,
            "",
            1,
        );
        let bad: Vec<_> = run(&xml)
            .into_iter()
            .filter(|f| f.verdict == Verdict::Fail)
            .map(|f| f.requirement)
            .collect();
        assert_eq!(bad, vec!["CDA-MS-050"]);
    }

    #[test]
    fn a_section_template_id_in_a_comment_does_not_count() {
        let tpl = r#"<templateId root="1.3.6.1.4.1.19376.1.5.3.1.3.23"/>"#;
        let xml = DLU.replacen(tpl, &format!("{tpl}<!-- {tpl} -->"), 1);
        assert!(run(&xml).iter().all(|f| f.verdict != Verdict::Fail));
    }

    #[test]
    fn system_id_is_prefix_structure_slash_internal() {
        assert!(is_system_id("3480787529/1453"));
        assert!(is_system_id("578435954900010/1.2.250.1.176.1"));
        assert!(!is_system_id("3480787529"));
        assert!(!is_system_id("810101234567"));
        assert!(!is_system_id("3/1453"));
        assert!(!is_system_id("3480787529/"));
        assert!(!is_system_id("2480787529/1453"));
    }
}
