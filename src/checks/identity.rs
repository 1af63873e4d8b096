//! Identity checks: the usager's INS (INS-010…033) and the national identifiers of professionals,
//! systems and structures (ID-010…033), on CDA documents; [`check_ins_slot`] is the same INS logic
//! for the other domains that meet an INS in a slot requiring it (XDS `patientId` CX.1/CX.4,
//! MSSanté patient mailbox local part).
//!
//! Source: `shared/domain/identity.md` (NIR layout and key from CNAM nir-validation, INS traits from
//! the Structuration minimale schematron, PS_IdNat / Struct_IdNat from the PDSm-for-DMP models).

use roxmltree::Node;

use super::{At, CheckInfo, Sink};
use crate::catalogue;
use crate::formats::cda::{
    child, children, is_hl7, is_null, path, path_all, text_of, Cda, InstanceId,
};
use crate::formats::cda::{INS_C_OID, INS_OIDS, NSS_OIDS, OID_PS_IDNAT, OID_STRUCT_IDNAT};
use crate::formats::ins::{self, InsClass, Nir, NirFormError, PsIdNatForm};
use crate::model::Location;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "identity::ins_slot",
        rules: &[
            "INS-010", "INS-011", "INS-012", "INS-013", "INS-020", "INS-021", "INS-022", "INS-023",
        ],
    },
    CheckInfo {
        name: "identity::cda_ins",
        rules: &[
            "INS-010", "INS-011", "INS-012", "INS-013", "INS-020", "INS-021", "INS-022", "INS-023",
            "INS-024", "INS-030", "INS-031", "INS-032", "INS-033",
        ],
    },
    CheckInfo {
        name: "identity::cda_ids",
        rules: &["ID-010", "ID-011", "ID-012", "ID-020", "ID-021", "ID-033"],
    },
];

/// The arc of the national health identifiers: INS-A (…4.1), INS-C (…4.2), INS (…4.8–11), NSS (…4.13/14).
const INS_ARC: &str = "1.2.250.1.213.1.4.";
/// TDDUI export templateId (CDA-MS-050): scope of ID-020's custodian/author roots and of ID-033.
const TDDUI_TEMPLATE: &str = "1.2.250.1.213.1.1.1.58";

/// INS checks on an INS found in a slot that requires the INS (INS-010…013, INS-020…023): XDS
/// `patientId` (CX.4 universal id as `oid`, CX.1 as `matricule`), VIHF `resource-id`, MSSanté patient
/// mailbox local part. `at` locates the slot; every finding quoting the matricule marks it personal.
pub fn check_ins_slot(oid: &str, matricule: &str, at: Location, sink: &mut Sink) {
    ins_in_slot(oid, matricule, &|| At::Loc(at.clone()), sink);
}

/// The slot logic, locating findings with `at` (a node attribute in CDA, a ready location elsewhere).
fn ins_in_slot<'a, 'i: 'a>(
    oid: &str,
    matricule: &str,
    at: &dyn Fn() -> At<'a, 'i>,
    sink: &mut Sink,
) {
    // INS-011 is the specific diagnosis of an NSS where the INS is required (it subsumes INS-010).
    sink.check("INS-011");
    sink.check("INS-012");
    if NSS_OIDS.contains(&oid) {
        sink.violation(
            "INS-011",
            at(),
            msg!(
                "L'OID {oid} est celui du NSS (numéro de sécurité sociale de l'ouvrant droit), pas du matricule INS : NSS ≠ matricule INS (ayant droit) ; utiliser le matricule INS renvoyé par le téléservice INSi, sous l'OID 1.2.250.1.213.1.4.8 (NIR), …4.9 (NIA), …4.10 (test) ou …4.11 (démonstration)",
                "OID {oid} is the NSS (social security number of the insured person), not the INS matricule: NSS ≠ INS matricule (beneficiary); use the INS matricule returned by the INSi teleservice, under OID 1.2.250.1.213.1.4.8 (NIR), …4.9 (NIA), …4.10 (test) or …4.11 (demonstration)"
            ),
        );
    } else {
        sink.check("INS-010");
        if oid == INS_C_OID {
            sink.violation(
                "INS-012",
                at(),
                msg!(
                    "OID {oid} de l'INS-C (INS calculé), obsolète : seul le matricule INS (NIR/NIA) renvoyé par INSi est utilisé",
                    "OID {oid} is the obsolete INS-C (calculated INS): only the INS matricule (NIR/NIA) returned by INSi is used"
                ),
            );
        }
        if !INS_OIDS.contains(&oid) {
            sink.violation(
                "INS-010",
                at(),
                msg!(
                    "L'OID « {oid} » n'est pas un OID d'autorité d'affectation de l'INS : attendu 1.2.250.1.213.1.4.8 (INS-NIR), …4.9 (INS-NIA), …4.10 (INS-NIR de test) ou …4.11 (INS-NIR de démonstration), sans préfixe urn:oid:",
                    "OID \"{oid}\" is not an INS assigning-authority OID: expected 1.2.250.1.213.1.4.8 (INS-NIR), …4.9 (INS-NIA), …4.10 (test INS-NIR) or …4.11 (demonstration INS-NIR), without a urn:oid: prefix"
                ),
            );
        }
    }
    let class = InsClass::of(oid);
    class_info(oid, class, at, sink);
    matricule_rules(matricule, class, at, sink);
}

/// INS-013: the class of the INS OID (production, test, demonstration), informative only (C-17).
fn class_info<'a, 'i: 'a>(
    oid: &str,
    class: Option<InsClass>,
    at: &dyn Fn() -> At<'a, 'i>,
    sink: &mut Sink,
) {
    match class {
        Some(c) => {
            let (fr, en) = (c.label_fr(), c.label_en());
            let (note_fr, note_en) = match c {
                InsClass::Nir | InsClass::Nia => (
                    " : OID de production ; une campagne configurée avec des patients de test attend …4.10",
                    ": production OID; a campaign configured with test patients expects …4.10",
                ),
                InsClass::Test | InsClass::Demo => ("", ""),
            };
            sink.info(
                "INS-013",
                at(),
                msg!(
                    "INS de classe « {fr} » (OID {oid}){note_fr}",
                    "INS of class \"{en}\" (OID {oid}){note_en}"
                ),
            );
        }
        None => sink.not_applicable("INS-013", msg!("Pas d'OID INS", "No INS OID")),
    }
}

/// INS-020…023 on a matricule whose OID class is `class` (`None`: not an INS OID; only the layout is
/// checked).
fn matricule_rules<'a, 'i: 'a>(
    matricule: &str,
    class: Option<InsClass>,
    at: &dyn Fn() -> At<'a, 'i>,
    sink: &mut Sink,
) {
    sink.check("INS-020");
    let nir = match Nir::parse(matricule) {
        Ok(n) => Some(n),
        Err(e) => {
            let (why_fr, why_en) = match e {
                NirFormError::Length(n) => (
                    format!("{n} caractères au lieu de 15"),
                    format!("{n} characters instead of 15"),
                ),
                NirFormError::Character(p) => (
                    format!("caractère inattendu en position {p}"),
                    format!("unexpected character at position {p}"),
                ),
            };
            sink.violation(
                "INS-020",
                at(),
                msg!(
                    "Matricule INS « {matricule} » hors format ({why_fr}) : attendu 15 caractères S AA MM DD(D) CCC OOO KK, chiffres seulement (2A/2B pour la Corse en positions 6–7), sans espace ni séparateur",
                    "INS matricule \"{matricule}\" is malformed ({why_en}): expected 15 characters S YY MM DD(D) CCC OOO KK, digits only (2A/2B for Corsica at positions 6–7), no spaces or separators"
                ),
            )
            .personal(matricule);
            None
        }
    };
    let nir_class = class.filter(|c| *c != InsClass::Nia);
    match (nir, nir_class) {
        (Some(n), Some(_)) => {
            sink.check("INS-021");
            if !n.key_ok() {
                let (exp, got) = (n.expected_key(), n.written_key());
                sink.violation(
                    "INS-021",
                    at(),
                    msg!(
                        "Clé de contrôle du matricule INS « {matricule} » incorrecte : clé trouvée {got:02}, clé attendue {exp:02} (97 − N mod 97) ; un INS renvoyé par INSi a toujours une clé juste : vérifier la saisie ou l'intégration",
                        "Wrong control key in INS matricule \"{matricule}\": found {got:02}, expected {exp:02} (97 − N mod 97); an INS returned by INSi always has a correct key: check data entry or integration"
                    ),
                )
                .personal(matricule);
            }
            sink.check("INS-022");
            if !matches!(n.sex(), '1' | '2') {
                let s = n.sex();
                sink.violation(
                    "INS-022",
                    at(),
                    msg!(
                        "Le matricule INS-NIR « {matricule} » commence par « {s} » : le premier caractère d'un NIR est le sexe (1 ou 2) ; ne pas corriger un INS renvoyé par INSi, mais vérifier sa provenance",
                        "INS-NIR matricule \"{matricule}\" starts with \"{s}\": the first character of a NIR is the sex (1 or 2); never fix an INS returned by INSi, but check where it came from"
                    ),
                )
                .personal(matricule);
            }
        }
        (None, Some(_)) => {
            let why = msg!(
                "Matricule hors format (INS-020)",
                "Malformed matricule (INS-020)"
            );
            sink.not_applicable("INS-021", why.clone());
            sink.not_applicable("INS-022", why);
        }
        (_, None) => {
            let why = msg!("Pas d'INS-NIR", "No INS-NIR");
            sink.not_applicable("INS-021", why.clone());
            sink.not_applicable("INS-022", why);
        }
    }
    if class == Some(InsClass::Nia) {
        sink.info(
            "INS-023",
            at(),
            msg!(
                "INS-NIA (OID 1.2.250.1.213.1.4.9) : le format et la clé d'un NIA ne sont vérifiés par aucune source lue ; aucune clé n'est contrôlée",
                "INS-NIA (OID 1.2.250.1.213.1.4.9): no source read states the NIA layout and key; no key is checked"
            ),
        );
    } else {
        sink.not_applicable("INS-023", msg!("Pas d'INS-NIA", "No INS-NIA"));
    }
}

/// INS and national identifier checks on a CDA document: the usager's identifiers and traits in
/// `recordTarget` (INS-010…033), every PS_IdNat / Struct_IdNat id of the document (ID-010…021), and
/// the ESSMS local usager id of a TDDUI export (ID-033).
pub fn check_cda(cda: &Cda<'_, '_>, sink: &mut Sink) {
    patient_ids(cda, sink);
    ins_traits(cda, sink);
    national_ids(cda, sink);
    essms_local_id(cda, sink);
}

/// INS-010…013 and INS-020…024 on `recordTarget/patientRole/id`.
fn patient_ids(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let ids = cda.patient_ids();
    if ids.is_empty() {
        let why = msg!(
            "Pas de recordTarget/patientRole/id",
            "No recordTarget/patientRole/id"
        );
        for r in ["INS-010", "INS-011", "INS-012"] {
            sink.not_applicable(r, why.clone());
        }
    } else {
        sink.check("INS-010");
        sink.check("INS-011");
        sink.check("INS-012");
    }
    for id in &ids {
        let Some(root) = id.root else { continue };
        let at_root = || At::Attr(id.node, "root");
        if NSS_OIDS.contains(&root) {
            // An NSS may be an additional patient id (TDDUI); labelling it as the INS presents it as one.
            let label = id.node.attribute("assigningAuthorityName").unwrap_or("");
            if names_ins(label) {
                sink.violation(
                    "INS-011",
                    at_root(),
                    msg!(
                        "Identifiant sous l'OID {root} (NSS) étiqueté « {label} » : NSS ≠ matricule INS (ayant droit) ; le NSS peut figurer en identifiant supplémentaire, mais jamais comme INS : porter le matricule INS renvoyé par INSi sous son OID (1.2.250.1.213.1.4.8 à …4.11)",
                        "Identifier under OID {root} (NSS) labelled \"{label}\": NSS ≠ INS matricule (beneficiary); the NSS may be an additional identifier but never the INS: carry the INS matricule returned by INSi under its OID (1.2.250.1.213.1.4.8 to …4.11)"
                    ),
                )
                .personal(id.extension.unwrap_or(""));
            }
        } else if root == INS_C_OID {
            sink.violation(
                "INS-012",
                at_root(),
                msg!(
                    "Identifiant patient sous l'OID {root} de l'INS-C (INS calculé), obsolète : le retirer ; seul le matricule INS (NIR/NIA) renvoyé par INSi identifie l'usager",
                    "Patient identifier under OID {root}, the obsolete INS-C (calculated INS): remove it; only the INS matricule (NIR/NIA) returned by INSi identifies the usager"
                ),
            )
            .personal(id.extension.unwrap_or(""));
        } else if !INS_OIDS.contains(&root) {
            if let Some(bare) = ins_oid_in_disguise(root) {
                sink.violation(
                    "INS-010",
                    at_root(),
                    msg!(
                        "Racine « {root} » : l'OID de l'INS s'écrit exactement {bare} en CDA (sans préfixe urn:oid: ni espace)",
                        "Root \"{root}\": in CDA the INS OID is written exactly {bare} (no urn:oid: prefix, no spaces)"
                    ),
                )
                .personal(id.extension.unwrap_or(""));
            } else if root.starts_with(INS_ARC) {
                sink.violation(
                    "INS-010",
                    at_root(),
                    msg!(
                        "Identifiant patient sous l'OID {root}, de la famille des identifiants nationaux de santé mais qui n'est pas un OID INS (par exemple …4.1 INS-A, obsolète) : attendu 1.2.250.1.213.1.4.8 (INS-NIR), …4.9 (INS-NIA), …4.10 (INS-NIR de test) ou …4.11 (INS-NIR de démonstration)",
                        "Patient identifier under OID {root}, in the national health identifier arc but not an INS OID (e.g. …4.1, the obsolete INS-A): expected 1.2.250.1.213.1.4.8 (INS-NIR), …4.9 (INS-NIA), …4.10 (test INS-NIR) or …4.11 (demonstration INS-NIR)"
                    ),
                )
                .personal(id.extension.unwrap_or(""));
            }
        }
    }
    let ins_ids: Vec<&InstanceId<'_, '_>> = ids.iter().filter(|i| i.is_ins()).collect();
    if ins_ids.is_empty() {
        let why = msg!(
            "Pas d'INS dans recordTarget/patientRole/id",
            "No INS in recordTarget/patientRole/id"
        );
        for r in [
            "INS-013", "INS-020", "INS-021", "INS-022", "INS-023", "INS-024",
        ] {
            sink.not_applicable(r, why.clone());
        }
        return;
    }
    for id in ins_ids {
        let oid = id.root.unwrap_or("");
        let class = InsClass::of(oid);
        class_info(oid, class, &|| At::Attr(id.node, "root"), sink);
        // A missing @extension is INS-030's finding.
        let Some(matricule) = id.extension else {
            continue;
        };
        matricule_rules(matricule, class, &|| At::Attr(id.node, "extension"), sink);
        if let (Ok(nir), Some(c)) = (Nir::parse(matricule), class) {
            if c != InsClass::Nia {
                traits_consistency(cda, id.node, nir, sink);
            }
        }
    }
}

/// True when an `assigningAuthorityName` presents the identifier as the INS (`INS`, `INS-NIR`…).
fn names_ins(label: &str) -> bool {
    label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("INS"))
}

/// An INS OID written with a `urn:oid:` prefix or surrounding spaces: the bare OID.
fn ins_oid_in_disguise(root: &str) -> Option<&'static str> {
    let t = root.trim();
    let t = t.strip_prefix("urn:oid:").unwrap_or(t).trim();
    INS_OIDS.iter().find(|o| **o == t).copied()
}

/// INS-024: the matricule's sex, year, month and place against the traits (informative, C-23).
fn traits_consistency(cda: &Cda<'_, '_>, id: Node<'_, '_>, nir: Nir<'_>, sink: &mut Sink) {
    let Some(patient) = cda.patient() else { return };
    sink.check("INS-024");
    let mut fr = Vec::new();
    let mut en = Vec::new();
    let mut personal = vec![nir.value.to_string()];
    let gender = child(patient, "administrativeGenderCode").and_then(|g| g.attribute("code"));
    let sex = nir.sex();
    if let Some(g) = gender {
        let expected = match sex {
            '1' => Some("M"),
            '2' => Some("F"),
            _ => None,
        };
        if expected.is_some_and(|e| matches!(g, "M" | "F") && e != g) {
            fr.push(format!("sexe {sex} ≠ administrativeGenderCode {g}"));
            en.push(format!("sex {sex} ≠ administrativeGenderCode {g}"));
        }
    }
    if let Some(birth) = child(patient, "birthTime").and_then(|b| b.attribute("value")) {
        let (yy, mm) = (nir.year(), nir.month());
        if let Some(y) = birth.get(2..4).filter(|_| birth.len() >= 4) {
            if y != yy {
                fr.push(format!("année {yy} ≠ naissance {birth}"));
                en.push(format!("year {yy} ≠ birth {birth}"));
                personal.extend([yy.to_string(), birth.to_string()]);
            }
        }
        let month_known = mm.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
        if let Some(m) = birth.get(4..6).filter(|_| month_known) {
            if m != mm {
                fr.push(format!("mois {mm} ≠ naissance {birth}"));
                en.push(format!("month {mm} ≠ birth {birth}"));
                personal.extend([mm.to_string(), birth.to_string()]);
            }
        }
    }
    let place = nir.place();
    if !place.starts_with("99") {
        if let Some(county) =
            path(patient, &["birthplace", "place", "addr", "county"]).filter(|c| !is_null(*c))
        {
            let cog = text_of(county);
            if !cog.is_empty() && cog != place {
                fr.push(format!("lieu {place} ≠ COG de naissance {cog}"));
                en.push(format!("place {place} ≠ birth COG {cog}"));
                personal.extend([place.to_string(), cog]);
            }
        }
    }
    if fr.is_empty() {
        return;
    }
    let (fr, en) = (fr.join(", "), en.join(", "));
    let m = nir.value;
    let mut f = sink.info(
        "INS-024",
        At::Attr(id, "extension"),
        msg!(
            "Matricule INS « {m} » incohérent avec les traits : {fr} (information seulement : les exemples officiels le sont aussi, C-23 ; vérifier l'identité auprès d'INSi)",
            "INS matricule \"{m}\" inconsistent with the traits: {en} (informative only: official examples are too, C-23; check the identity against INSi)"
        ),
    );
    for p in personal {
        f = f.personal(p);
    }
}

/// INS-030…033: the INS traits of `patientRole/patient`.
fn ins_traits(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let ins_ids: Vec<InstanceId<'_, '_>> = cda
        .patient_ids()
        .into_iter()
        .filter(InstanceId::is_ins)
        .collect();
    let patient = cda.patient();
    if ins_ids.is_empty() {
        let why = msg!(
            "Pas d'INS dans recordTarget/patientRole/id",
            "No INS in recordTarget/patientRole/id"
        );
        sink.not_applicable("INS-030", why.clone());
        sink.not_applicable("INS-031", why);
    } else {
        sink.check("INS-030");
        sink.check("INS-031");
        for id in &ins_ids {
            if id.extension.is_none_or(|e| e.trim().is_empty()) {
                sink.violation(
                    "INS-030",
                    id.node,
                    msg!(
                        "INS sans @extension : l'identifiant sous l'OID INS porte le matricule INS dans @extension",
                        "INS without @extension: the identifier under the INS OID carries the INS matricule in @extension"
                    ),
                );
            }
        }
        match patient {
            Some(p) => traits_present(p, sink),
            None => {
                sink.violation(
                    "INS-030",
                    cda.patient_role().map_or(At::Nowhere, At::Node),
                    msg!(
                        "INS présent mais pas d'élément patient : les traits de l'INS (nom de naissance, premier prénom, prénoms, date, lieu de naissance, sexe) sont obligatoires",
                        "INS present but no patient element: the INS traits (birth name, first given name, given names, birth date and place, sex) are required"
                    ),
                )
                .path("/ClinicalDocument/recordTarget/patientRole/patient");
            }
        }
    }
    birth_place(patient, sink);
    gender(patient, sink);
}

/// The INS traits of `patient`, in the order of the SMIN assertion: (label fr, label en, nodes).
fn traits_of<'a, 'i>(
    patient: Node<'a, 'i>,
) -> [(&'static str, &'static str, Vec<Node<'a, 'i>>); 6] {
    let families = path_all(patient, &["name", "family"]);
    let givens = path_all(patient, &["name", "given"]);
    let with_q = |ns: &[Node<'a, 'i>], q: Option<&str>| {
        ns.iter()
            .copied()
            .filter(|n| n.attribute("qualifier") == q)
            .collect::<Vec<_>>()
    };
    [
        (
            "nom de naissance (family@qualifier=BR)",
            "birth name (family@qualifier=BR)",
            with_q(&families, Some("BR")),
        ),
        (
            "premier prénom de naissance (given@qualifier=BR)",
            "first birth given name (given@qualifier=BR)",
            with_q(&givens, Some("BR")),
        ),
        (
            "liste des prénoms de naissance (given sans qualifier)",
            "birth given names (given without qualifier)",
            with_q(&givens, None),
        ),
        (
            "date de naissance (birthTime)",
            "birth date (birthTime)",
            children(patient, "birthTime").collect(),
        ),
        (
            "lieu de naissance (birthplace/place/addr/county)",
            "birth place (birthplace/place/addr/county)",
            path_all(patient, &["birthplace", "place", "addr", "county"]),
        ),
        (
            "sexe (administrativeGenderCode/@code)",
            "sex (administrativeGenderCode/@code)",
            children(patient, "administrativeGenderCode").collect(),
        ),
    ]
}

/// INS-030 (presence) and INS-031 (no nullFlavor) of the traits.
fn traits_present(patient: Node<'_, '_>, sink: &mut Sink) {
    let traits = traits_of(patient);
    let mut missing_fr = Vec::new();
    let mut missing_en = Vec::new();
    for (i, (fr, en, nodes)) in traits.iter().enumerate() {
        // The sex trait is the code itself (`administrativeGenderCode/@code`).
        let present = if i == 5 {
            nodes
                .iter()
                .any(|n| n.attribute("code").is_some() || is_null(*n))
        } else {
            !nodes.is_empty()
        };
        if !present {
            missing_fr.push(*fr);
            missing_en.push(*en);
        }
        for n in nodes.iter().filter(|n| is_null(**n)) {
            let nf = n.attribute("nullFlavor").unwrap_or("");
            sink.violation(
                "INS-031",
                *n,
                msg!(
                    "Trait INS {fr} avec nullFlavor=\"{nf}\" : en présence de l'INS, les traits sont renseignés tels que renvoyés par INSi, sans nullFlavor",
                    "INS trait {en} with nullFlavor=\"{nf}\": when the INS is present the traits are filled in as INSi returns them, without nullFlavor"
                ),
            );
        }
    }
    if !missing_fr.is_empty() {
        let (fr, en) = (missing_fr.join(", "), missing_en.join(", "));
        sink.violation(
            "INS-030",
            patient,
            msg!(
                "Dans le cadre de l'INS, les traits de l'INS sont obligatoires ; absent(s) : {fr}",
                "With an INS, the INS traits are required; missing: {en}"
            ),
        );
    }
}

/// INS-032: the birth place is a COG code.
fn birth_place(patient: Option<Node<'_, '_>>, sink: &mut Sink) {
    let counties: Vec<Node<'_, '_>> = patient
        .map(|p| path_all(p, &["birthplace", "place", "addr", "county"]))
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !is_null(*c))
        .collect();
    if counties.is_empty() {
        sink.not_applicable(
            "INS-032",
            msg!(
                "Pas de lieu de naissance (county)",
                "No birth place (county)"
            ),
        );
        return;
    }
    sink.check("INS-032");
    for c in counties {
        let v = text_of(c);
        if !ins::is_cog(&v) {
            sink.violation(
                "INS-032",
                c,
                msg!(
                    "Lieu de naissance « {v} » : attendu le code officiel géographique (COG) INSEE de la commune, 5 caractères (département 2 chiffres, 2A ou 2B, puis 3 chiffres ; 99xxx pour une naissance à l'étranger)",
                    "Birth place \"{v}\": expected the INSEE COG code of the commune, 5 characters (2-digit department, 2A or 2B, then 3 digits; 99xxx for a birth abroad)"
                ),
            )
            .personal(v);
        }
    }
}

/// INS-033: the administrative gender is from JDV_J143.
fn gender(patient: Option<Node<'_, '_>>, sink: &mut Sink) {
    let genders: Vec<Node<'_, '_>> = patient
        .map(|p| {
            children(p, "administrativeGenderCode")
                .filter(|g| !is_null(*g) || g.attribute("code").is_some())
                .collect()
        })
        .unwrap_or_default();
    if genders.is_empty() {
        sink.not_applicable(
            "INS-033",
            msg!(
                "Pas de sexe administratif codé",
                "No coded administrative gender"
            ),
        );
        return;
    }
    sink.check("INS-033");
    let vs = catalogue::valueset("J143");
    for g in genders {
        let code = g.attribute("code").unwrap_or("");
        if !vs.contains(code) {
            let label = vs.label();
            sink.violation(
                "INS-033",
                At::Attr(g, "code"),
                msg!(
                    "Sexe administratif « {code} » hors du jeu de valeurs {label} : attendu F, M ou UN (et non U)",
                    "Administrative gender \"{code}\" is not in value set {label}: expected F, M or UN (not U)"
                ),
            );
        }
    }
}

/// Every `id` element of the document, header and body (`hl7:id` only; comments never count).
fn all_ids<'a, 'i>(cda: &Cda<'a, 'i>) -> impl Iterator<Item = InstanceId<'a, 'i>> {
    cda.root
        .descendants()
        .filter(|n| is_hl7(*n, "id") && !is_null(*n))
        .map(InstanceId::of)
}

/// ID-010…012 on PS_IdNat / system ids, ID-020/021 on Struct_IdNat ids, anywhere in the document.
fn national_ids(cda: &Cda<'_, '_>, sink: &mut Sink) {
    let mut ps = false;
    let mut st = false;
    for id in all_ids(cda) {
        match id.root {
            Some(OID_PS_IDNAT) => {
                ps = true;
                ps_idnat(id, sink);
            }
            Some(OID_STRUCT_IDNAT) => {
                st = true;
                struct_idnat(id, sink);
            }
            _ => {}
        }
    }
    if !ps {
        let why = msg!(
            "Aucun identifiant sous 1.2.250.1.71.4.2.1",
            "No identifier under 1.2.250.1.71.4.2.1"
        );
        for r in ["ID-010", "ID-011", "ID-012"] {
            sink.not_applicable(r, why.clone());
        }
    }
    // ID-020: a TDDUI export's custodian and author organisations are identified by their Struct_IdNat.
    if cda.has_template(TDDUI_TEMPLATE) {
        let custodian = path_all(
            cda.root,
            &[
                "custodian",
                "assignedCustodian",
                "representedCustodianOrganization",
                "id",
            ],
        );
        let authors = path_all(
            cda.root,
            &["author", "assignedAuthor", "representedOrganization", "id"],
        );
        for id in custodian
            .into_iter()
            .chain(authors)
            .filter(|n| !is_null(*n))
        {
            st = true;
            sink.check("ID-020");
            let root = id.attribute("root").unwrap_or("");
            if root != OID_STRUCT_IDNAT {
                sink.violation(
                    "ID-020",
                    At::Attr(id, "root"),
                    msg!(
                        "Structure identifiée sous la racine « {root} » : dans l'export TDDUI, la structure (custodian, organisation de l'auteur) est identifiée par son Struct_IdNat sous l'OID 1.2.250.1.71.4.2.2",
                        "Organisation identified under root \"{root}\": in a TDDUI export the organisation (custodian, author's organisation) is identified by its Struct_IdNat under OID 1.2.250.1.71.4.2.2"
                    ),
                );
            }
        }
    }
    if !st {
        let why = msg!(
            "Aucun identifiant de structure sous 1.2.250.1.71.4.2.2",
            "No structure identifier under 1.2.250.1.71.4.2.2"
        );
        sink.not_applicable("ID-020", why.clone());
        sink.not_applicable("ID-021", why);
    }
}

/// ID-010 (prefix), ID-012 (RPPS/ADELI forms) and ID-011 (full form) of one PS_IdNat / system id.
fn ps_idnat(id: InstanceId<'_, '_>, sink: &mut Sink) {
    sink.check("ID-010");
    sink.check("ID-011");
    sink.check("ID-012");
    let v = id.extension.unwrap_or("");
    let at = At::Attr(
        id.node,
        if id.extension.is_some() {
            "extension"
        } else {
            "root"
        },
    );
    let form = PsIdNatForm::for_value(v);
    let Some(form) = form.filter(|_| !v.chars().any(char::is_whitespace)) else {
        sink.violation(
            "ID-010",
            at,
            msg!(
                "Identifiant PS_IdNat / système « {v} » sous 1.2.250.1.71.4.2.1 : la valeur, non vide et sans espace, commence par un préfixe PS_IdNat (0 ADELI, 1 cabinet ADELI, 3 FINESS, 4 SIREN, 5 SIRET, 6 cabinet RPPS, 8 RPPS)",
                "PS_IdNat / system identifier \"{v}\" under 1.2.250.1.71.4.2.1: the value, non-empty and without spaces, starts with a PS_IdNat prefix (0 ADELI, 1 cabinet ADELI, 3 FINESS, 4 SIREN, 5 SIRET, 6 cabinet RPPS, 8 RPPS)"
            ),
        );
        return;
    };
    if form.matches(v) {
        return;
    }
    match form {
        PsIdNatForm::Rpps => {
            sink.violation(
                "ID-012",
                at,
                msg!(
                    "Identifiant « {v} » : un PS_IdNat de préfixe 8 est 8 + RPPS à 11 chiffres (12 chiffres en tout, ex. 801234567897)",
                    "Identifier \"{v}\": a PS_IdNat with prefix 8 is 8 + 11-digit RPPS (12 digits in all, e.g. 801234567897)"
                ),
            );
        }
        PsIdNatForm::Adeli => {
            sink.violation(
                "ID-012",
                at,
                msg!(
                    "Identifiant « {v} » : un PS_IdNat de préfixe 0 est 0 + ADELI à 9 caractères (chiffres ou majuscules)",
                    "Identifier \"{v}\": a PS_IdNat with prefix 0 is 0 + 9-character ADELI (digits or upper-case letters)"
                ),
            );
        }
        PsIdNatForm::Structure => {
            let bare_rpps = v.len() == 11 && v.bytes().all(|c| c.is_ascii_digit());
            let (fr, en) = if bare_rpps {
                (
                    "un RPPS à 11 chiffres sans le préfixe 8 ? écrire 8",
                    "an 11-digit RPPS without the 8 prefix? write 8",
                )
            } else {
                (
                    "il manque « /identifiant interne »",
                    "\"/internal id\" is missing",
                )
            };
            let hint_fr = if bare_rpps {
                format!("{fr}{v}")
            } else {
                fr.to_string()
            };
            let hint_en = if bare_rpps {
                format!("{en}{v}")
            } else {
                en.to_string()
            };
            sink.violation(
                "ID-011",
                at,
                msg!(
                    "Identifiant « {v} » sous 1.2.250.1.71.4.2.1 : les préfixes 1, 3, 4, 5 et 6 forment <préfixe><identifiant de structure>/<identifiant interne> (ex. 3480787529/1453) ; {hint_fr}",
                    "Identifier \"{v}\" under 1.2.250.1.71.4.2.1: prefixes 1, 3, 4, 5 and 6 form <prefix><structure id>/<internal id> (e.g. 3480787529/1453); {hint_en}"
                ),
            );
        }
    }
}

/// ID-020 (non-empty value) and ID-021 (form by prefix) of one Struct_IdNat.
fn struct_idnat(id: InstanceId<'_, '_>, sink: &mut Sink) {
    sink.check("ID-020");
    sink.check("ID-021");
    let v = id.extension.unwrap_or("").trim();
    if v.is_empty() {
        sink.violation(
            "ID-020",
            At::Attr(id.node, if id.extension.is_some() { "extension" } else { "root" }),
            msg!(
                "Identifiant de structure sous 1.2.250.1.71.4.2.2 sans valeur : @extension porte le Struct_IdNat (ex. 1 + FINESS, 3 + SIRET)",
                "Structure identifier under 1.2.250.1.71.4.2.2 without a value: @extension carries the Struct_IdNat (e.g. 1 + FINESS, 3 + SIRET)"
            ),
        );
        return;
    }
    if let Some((registry, false)) = ins::struct_idnat_registry(v) {
        let (form_fr, form_en) = match registry {
            "FINESS" => (
                "1 + FINESS à 9 caractères (10 en tout)",
                "1 + 9-character FINESS (10 in all)",
            ),
            "SIREN" => (
                "2 + SIREN à 9 chiffres (10 en tout)",
                "2 + 9-digit SIREN (10 in all)",
            ),
            _ => (
                "3 + SIRET à 14 chiffres (15 en tout)",
                "3 + 14-digit SIRET (15 in all)",
            ),
        };
        let bare = if ins::is_finess(v) {
            (
                " ; la valeur ressemble à un FINESS sans le préfixe 1".to_string(),
                " ; the value looks like a FINESS without the 1 prefix".to_string(),
            )
        } else {
            (String::new(), String::new())
        };
        let (bare_fr, bare_en) = bare;
        let prefix = v.get(..1).unwrap_or("");
        sink.violation(
            "ID-021",
            At::Attr(id.node, "extension"),
            msg!(
                "Struct_IdNat « {v} » : le préfixe {prefix} annonce un {registry}, de forme {form_fr}{bare_fr} (un numéro technique sans préfixe peut commencer par ce chiffre : vérifier)",
                "Struct_IdNat \"{v}\": prefix {prefix} announces a {registry}, of form {form_en}{bare_en} (a technical number without prefix may start with this digit: check)",
            ),
        );
    }
}

/// ID-033: the ESSMS local usager id of a TDDUI export, `3<FINESS>/<local id>`.
fn essms_local_id(cda: &Cda<'_, '_>, sink: &mut Sink) {
    if !cda.has_template(TDDUI_TEMPLATE) {
        sink.not_applicable("ID-033", msg!("Pas un export TDDUI", "Not a TDDUI export"));
        return;
    }
    // The IG gives the local id no root: a non-national patient id with the `structure/local` shape
    // is taken as the ESSMS local id (the MDPH id and IPP-like ids have no `/`).
    let local: Vec<InstanceId<'_, '_>> = cda
        .patient_ids()
        .into_iter()
        .filter(|i| {
            i.root.is_some_and(|r| !r.starts_with(INS_ARC))
                && i.extension.is_some_and(|e| e.contains('/'))
        })
        .collect();
    if local.is_empty() {
        sink.not_applicable(
            "ID-033",
            msg!(
                "Pas d'identifiant local usager ESSMS",
                "No ESSMS local usager id"
            ),
        );
        return;
    }
    sink.check("ID-033");
    for id in local {
        let v = id.extension.unwrap_or("");
        if !ins::is_essms_local_id(v) {
            sink.violation(
                "ID-033",
                At::Attr(id.node, "extension"),
                msg!(
                    "Identifiant local usager « {v} » : dans l'export TDDUI il se forme 3 + FINESS de l'ESSMS + « / » + identifiant local (ex. 3480787529/194704032)",
                    "Local usager id \"{v}\": in a TDDUI export it is 3 + the ESSMS FINESS + \"/\" + local id (e.g. 3480787529/194704032)"
                ),
            )
            .personal(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Verdict};

    /// The findings of one slot check, as (rule, verdict) pairs without `pass`/`not_applicable`.
    fn slot(oid: &str, matricule: &str) -> Vec<(String, Verdict)> {
        let mut sink = Sink::new();
        check_ins_slot(
            oid,
            matricule,
            Location {
                path: Some("patientId".into()),
                ..Location::default()
            },
            &mut sink,
        );
        let findings: Vec<Finding> = sink.finish();
        findings
            .into_iter()
            .filter(|f| !matches!(f.verdict, Verdict::Pass | Verdict::NotApplicable))
            .map(|f| (f.requirement, f.verdict))
            .collect()
    }

    fn bad(found: &[(String, Verdict)]) -> Vec<&str> {
        found
            .iter()
            .filter(|(_, v)| matches!(v, Verdict::Fail | Verdict::Warning))
            .map(|(r, _)| r.as_str())
            .collect()
    }

    #[test]
    fn a_test_ins_in_a_slot_passes_with_its_class() {
        let f = slot("1.2.250.1.213.1.4.10", "279035121518989");
        assert!(bad(&f).is_empty(), "{f:?}");
        assert!(f.contains(&("INS-013".into(), Verdict::Info)));
        assert!(
            bad(&slot("1.2.250.1.213.1.4.8", "185012A12345666")).is_empty(),
            "Corsica 2A"
        );
    }

    #[test]
    fn an_nss_in_a_slot_fails_ins_011_only() {
        assert_eq!(
            bad(&slot("1.2.250.1.213.1.4.13", "279035121518989")),
            ["INS-011"]
        );
    }

    #[test]
    fn ins_c_and_unknown_oids_fail_ins_010() {
        assert_eq!(
            bad(&slot("1.2.250.1.213.1.4.2", "279035121518989")),
            ["INS-012", "INS-010"]
        );
        assert_eq!(
            bad(&slot("urn:oid:1.2.250.1.213.1.4.10", "279035121518989")),
            ["INS-010"]
        );
    }

    #[test]
    fn matricule_layout_key_and_sex_digit() {
        assert_eq!(
            bad(&slot("1.2.250.1.213.1.4.10", "2790351215189")),
            ["INS-020"]
        );
        assert_eq!(
            bad(&slot("1.2.250.1.213.1.4.10", "279035121518988")),
            ["INS-021"]
        );
        assert_eq!(
            bad(&slot("1.2.250.1.213.1.4.10", "379035121518939")),
            ["INS-022"]
        );
        let mut sink = Sink::new();
        check_ins_slot(
            "1.2.250.1.213.1.4.10",
            "279035121518988",
            Location::default(),
            &mut sink,
        );
        let key = sink
            .findings()
            .iter()
            .find(|x| x.requirement == "INS-021")
            .expect("INS-021 finding");
        assert!(
            key.message.en.contains("found 88, expected 89"),
            "{}",
            key.message.en
        );
        assert_eq!(key.personal, ["279035121518988"]);
    }

    #[test]
    fn an_nia_gets_no_key_check_but_an_information() {
        let f = slot("1.2.250.1.213.1.4.9", "279035121518900");
        assert!(bad(&f).is_empty(), "{f:?}");
        assert!(f.contains(&("INS-023".into(), Verdict::Info)));
    }

    #[test]
    fn ins_labels_and_disguised_oids() {
        assert!(
            names_ins("INS-NIR") && names_ins("ins") && !names_ins("NSS") && !names_ins("INSEE")
        );
        assert_eq!(
            ins_oid_in_disguise("urn:oid:1.2.250.1.213.1.4.8"),
            Some("1.2.250.1.213.1.4.8")
        );
        assert_eq!(
            ins_oid_in_disguise("1.2.250.1.213.1.4.10 "),
            Some("1.2.250.1.213.1.4.10")
        );
        assert_eq!(ins_oid_in_disguise("1.2.250.1.213.1.4.1"), None);
    }
}
