//! TD0.2, the DMP existence test (test d'existence du DMP, DMP-TX-015): HL7v3 `PRPA_IN201307UV02`
//! ("Patient Registry Get Demographics Query", reason `TEST_EXST`) on the `patients` service, answered
//! with `PRPA_IN201308UV02`.
//!
//! # What is known, what is not
//! The request's shape is DRIMbox's (`dmp/request/VerifyAuthorizationRequest.java`, [V2]). The DMP's
//! answer carries the DMP status, its closing data and the access authorisation (ansforge
//! IG-FHIR-PDSM4DMP-EEDS `transaction_td02.md`), in extensions of the CNAM "Service DMP intégré aux LPS"
//! specification, which is not public ([U]). The simulator answers the standard HL7v3 frame: an
//! acknowledgement `AA`, `queryAck/queryResponseCode` `OK` and the patient's INS in
//! `registrationEvent/subject1/patient/id`: every patient has an active DMP here; a DUI's handling of other
//! answers is tested with fault injection.

use super::super::wire::{self, esc, Response};

/// The response action (`…PRPA_IN201308UV02`: the HL7v3 response interaction, not `…Response`).
pub const RESPONSE_ACTION: &str = "urn:hl7-org:v3:PRPA_IN201308UV02";

/// The answer to a TD0.2 for the INS (`root`, `extension`) it asked about (None: the request named no
/// patient, answered `AE` with no patient).
pub fn respond(patient: Option<(&str, &str)>, relates: Option<&str>) -> Response {
    let now = crate::evidence::now_rfc3339();
    // HL7v3 TS: yyyyMMddHHmmss from the RFC 3339 clock.
    let ts: String = now.chars().filter(char::is_ascii_digit).take(14).collect();
    let (ack, code, subject) = match patient {
        Some((root, ext)) => (
            "AA",
            "OK",
            format!(
                "<subject typeCode=\"SUBJ\"><registrationEvent classCode=\"REG\" moodCode=\"EVN\"><statusCode code=\"active\"/><subject1 typeCode=\"SBJ\"><patient classCode=\"PAT\"><id root=\"{}\" extension=\"{}\"/><statusCode code=\"active\"/></patient></subject1><custodian typeCode=\"CST\"><assignedEntity classCode=\"ASSIGNED\"><id root=\"1.2.250.1.213.4.1.1.1\"/></assignedEntity></custodian></registrationEvent></subject>",
                esc(root),
                esc(ext)
            ),
        ),
        None => ("AE", "AE", String::new()),
    };
    let body = format!(
        "<PRPA_IN201308UV02 xmlns=\"urn:hl7-org:v3\" ITSVersion=\"XML_1.0\"><id root=\"1.2.250.1.213.4.1.1.1\" extension=\"{}\"/><creationTime value=\"{ts}\"/><interactionId root=\"2.16.840.1.113883.1.6\" extension=\"PRPA_IN201308UV02\"/><processingCode code=\"P\"/><processingModeCode code=\"T\"/><acceptAckCode code=\"NE\"/><receiver typeCode=\"RCV\"><device classCode=\"DEV\" determinerCode=\"INSTANCE\"><id root=\"1.2.250.1.213.4.1.1.1\"/></device></receiver><sender typeCode=\"SND\"><device classCode=\"DEV\" determinerCode=\"INSTANCE\"><id root=\"1.2.250.1.213.4.1.1.1\"/><softwareName>DMP (simulateur dui-conform)</softwareName></device></sender><acknowledgement><typeCode code=\"{ack}\"/></acknowledgement><controlActProcess classCode=\"CACT\" moodCode=\"EVN\"><code code=\"PRPA_TE201308UV02\" codeSystem=\"2.16.840.1.113883.1.6\"/>{subject}<queryAck><queryResponseCode code=\"{code}\"/></queryAck></controlActProcess></PRPA_IN201308UV02>",
        ::uuid::Uuid::new_v4()
    );
    wire::soap(
        RESPONSE_ACTION,
        wire::envelope(RESPONSE_ACTION, relates, &body),
    )
}
