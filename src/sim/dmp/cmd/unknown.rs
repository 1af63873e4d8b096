//! A request whose `wsa:Action` names no DMP transaction (DMP-TX-012): a SOAP 1.2 Sender fault
//! `wsa:ActionNotSupported` (WS-Addressing 1.0 SOAP binding §6.4.4), recorded like any other request.

use crate::sim::dmp::wire::{self, FaultCode, Response};

/// The fault for an unsupported action.
pub fn respond(action: Option<&str>) -> Response {
    let a = action.unwrap_or("");
    wire::fault(
        FaultCode::Sender,
        Some("wsa:ActionNotSupported"),
        &format!("Action « {a} » non prise en charge par le DMP (ITI-41, ITI-18, ITI-43, ITI-57 seulement)"),
        &format!("Action \"{a}\" not supported by the DMP (ITI-41, ITI-18, ITI-43, ITI-57 only)"),
        &["DMP-TX-012".to_string(), "DMP-SOAP-013".to_string()],
    )
}
