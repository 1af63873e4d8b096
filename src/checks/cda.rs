//! CDA R2 checks: well-formedness and encoding (CDA-WF), Structuration minimale header (CDA-HDR),
//! body (CDA-BODY) and level 1 (CDA-N1).
//!
//! Source of the header rules: the Structuration minimale schematron of the ANS kit (SMIN,
//! `1.2.250.1.213.1.1.1.1-2017-12-13T103531.sch`); see `shared/domain/cda.md`.

use super::{CheckInfo, Sink};
use crate::formats::xml::{XmlError, XmlText};
use crate::model::Location;
use crate::msg;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[CheckInfo {
    name: "cda::wellformed",
    rules: &["CDA-WF-010", "CDA-WF-011", "CDA-WF-012", "CDA-WF-013", "CDA-WF-014", "CDA-WF-015"],
}];

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
        sink.violation("CDA-WF-012", loc, msg!("Encodage incohérent avec les octets : {e}", "Encoding does not match the bytes: {e}"));
    } else {
        sink.violation("CDA-WF-010", loc, msg!("XML mal formé : {e}", "XML not well-formed: {e}"));
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
        None if text.bom.is_some_and(|b| b != crate::formats::xml::Bom::Utf8) => {
            sink.violation(
                "CDA-WF-013",
                Location { line: Some(1), column: Some(1), ..Location::default() },
                msg!("Le document est encodé en UTF-16 (BOM) ; préférer UTF-8", "The document is UTF-16 (BOM); UTF-8 is expected"),
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

/// Header, body and level-1 checks of a parsed CDA (CDA-HDR, CDA-BODY, CDA-N1).
pub fn document(_cda: &crate::formats::cda::Cda<'_, '_>, _sink: &mut Sink) {}
