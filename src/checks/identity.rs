//! Identity checks: the usager's INS (INS-010…033) and the national identifiers of professionals,
//! systems and structures (ID-010…033), on CDA documents; [`check_ins_slot`] is the same INS logic
//! for the other domains that meet an INS in a slot requiring it (XDS `patientId` CX.1/CX.4,
//! MSSanté patient mailbox local part).
//!
//! Source: `shared/domain/identity.md` (NIR layout and key from CNAM nir-validation, INS traits from
//! the Structuration minimale schematron, PS_IdNat / Struct_IdNat from the PDSm-for-DMP models).

use super::{At, CheckInfo, Sink};
use crate::formats::cda::{INS_C_OID, INS_OIDS, NSS_OIDS};
use crate::formats::ins::{self, InsClass, Nir, NirFormError};
use crate::model::Location;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[CheckInfo {
    name: "identity::ins_slot",
    rules: &[
        "INS-010", "INS-011", "INS-012", "INS-013", "INS-020", "INS-021", "INS-022", "INS-023",
    ],
}];

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
    match class {
        Some(c) => {
            let (fr, en) = (c.label_fr(), c.label_en());
            sink.info(
                "INS-013",
                at(),
                msg!(
                    "INS de classe « {fr} » (OID {oid})",
                    "INS of class \"{en}\" (OID {oid})"
                ),
            );
        }
        None => sink.not_applicable("INS-013", msg!("Pas d'OID INS", "No INS OID")),
    }
    matricule_rules(matricule, class, at, sink);
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

/// INS and national identifier checks on a CDA document.
pub fn check_cda(_cda: &crate::formats::cda::Cda<'_, '_>, _sink: &mut Sink) {
    let _ = ins::Nir::parse;
}
