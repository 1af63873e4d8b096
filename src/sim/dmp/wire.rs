//! The wire format: an HTTP request body (SOAP 1.2, plain or MTOM/XOP multipart) → the SOAP root part and
//! the MIME parts; and the encoding of every response the DMP sends (RegistryResponse, AdhocQueryResponse,
//! RetrieveDocumentSetResponse as MTOM, SOAP 1.2 Fault).
//!
//! Splitting reuses `formats::xds::parse_capture` (the same multipart reader `validate` uses), fed with
//! the HTTP `Content-Type` so that the boundary and the `start` part come from the request headers.

use std::fmt::Write as _;

use crate::checks::dmp::{Transaction, NS_SOAP12, NS_WSA};
use crate::formats::xds as fxds;
use crate::limits::Limits;

/// What the transport hands the handler: the request line facts, its headers and its body.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// The body, complete (its size was checked by the transport).
    pub body: bytes::Bytes,
}

impl HttpRequest {
    /// The capture recorded as evidence and validated: `Content-Type` header, blank line, body (the form
    /// `validate` reads, so a recorded request can be re-validated offline as is).
    pub fn capture(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.body.len() + 200);
        v.extend_from_slice(
            format!(
                "{} {} HTTP/1.1\r\nContent-Type: {}\r\n\r\n",
                self.method,
                self.path,
                self.content_type.as_deref().unwrap_or("")
            )
            .as_bytes(),
        );
        v.extend_from_slice(&self.body);
        v
    }
}

/// Why a request body cannot be read as a SOAP message (answered with a SOAP Fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The multipart body could not be split.
    #[error("MTOM/multipart body unreadable: {0}")]
    Multipart(String),
    /// No SOAP part.
    #[error("no SOAP envelope in the request")]
    NoEnvelope,
    /// The SOAP part is not well-formed XML.
    #[error("SOAP envelope is not well-formed XML: {0}")]
    Xml(String),
}

/// A request body split into its SOAP root and MIME parts.
#[derive(Debug)]
pub struct Split<'b> {
    /// The capture as parsed (headers + parts).
    pub capture: fxds::Capture<'b>,
    /// The SOAP envelope bytes.
    pub root: &'b [u8],
    /// The root part's Content-Type (MTOM).
    pub root_part_type: Option<String>,
}

/// Splits a capture (`HttpRequest::capture` bytes).
pub fn split<'b>(capture: &'b [u8], limits: &Limits) -> Result<Split<'b>, WireError> {
    let c =
        fxds::parse_capture(capture, limits).map_err(|e| WireError::Multipart(e.to_string()))?;
    let (root, _, part) = c.root().ok_or(WireError::NoEnvelope)?;
    let root_part_type = part.and_then(|p| p.header("content-type").map(str::to_string));
    Ok(Split {
        root,
        root_part_type,
        capture: c,
    })
}

/// XML-escapes text and attribute values; characters XML 1.0 forbids (a control byte quoted from a
/// hostile request in a parser message, say) become U+FFFD, so that every answer stays well-formed.
pub fn esc(s: &str) -> String {
    crate::report::escape_xml(s).into_owned()
}

/// An HTTP response ready to send.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

/// A registry error (`rs:RegistryError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// IHE error code (`XDSRegistryMetadataError`…).
    pub code: String,
    /// Human explanation (the rules and messages).
    pub context: String,
    /// Location (an id), optional.
    pub location: Option<String>,
    /// Error (true) or Warning.
    pub error: bool,
}

impl RegistryError {
    /// An error of severity Error.
    pub fn new(code: &str, context: impl Into<String>) -> RegistryError {
        RegistryError {
            code: code.to_string(),
            context: context.into(),
            location: None,
            error: true,
        }
    }
}

/// Status of a registry response.
pub fn status_of(errors: &[RegistryError], partial: bool) -> &'static str {
    if errors.iter().any(|e| e.error) {
        if partial {
            "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
        } else {
            "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
        }
    } else {
        "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
    }
}

/// `rs:RegistryErrorList` (empty string when there is no error).
pub fn error_list(errors: &[RegistryError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut s = String::from("<rs:RegistryErrorList>");
    for e in errors {
        let sev = if e.error { "Error" } else { "Warning" };
        let _ = write!(
            s,
            "<rs:RegistryError errorCode=\"{}\" codeContext=\"{}\" severity=\"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:{sev}\"{}/>",
            esc(&e.code),
            esc(&e.context),
            e.location
                .as_ref()
                .map(|l| format!(" location=\"{}\"", esc(l)))
                .unwrap_or_default()
        );
    }
    s.push_str("</rs:RegistryErrorList>");
    s
}

/// A SOAP 1.2 envelope around `body`, with the response `wsa:Action` and `wsa:RelatesTo`.
pub fn envelope(action: &str, relates_to: Option<&str>, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{NS_SOAP12}\" xmlns:wsa=\"{NS_WSA}\"><soap:Header><wsa:Action soap:mustUnderstand=\"true\">{}</wsa:Action><wsa:MessageID>urn:uuid:{}</wsa:MessageID>{}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>",
        esc(action),
        ::uuid::Uuid::new_v4(),
        relates_to
            .map(|r| format!("<wsa:RelatesTo>{}</wsa:RelatesTo>", esc(r)))
            .unwrap_or_default()
    )
}

/// The MTOM boundary of every response.
pub const BOUNDARY: &str = "MIMEBoundary_dui_conform_dmp";

/// An MTOM/XOP response: the SOAP part then `attachments` (Content-ID without brackets, bytes).
pub fn mtom(action: &str, soap: String, attachments: &[(String, &[u8])]) -> Response {
    let mut body = Vec::with_capacity(
        soap.len() + attachments.iter().map(|a| a.1.len() + 200).sum::<usize>() + 400,
    );
    let _ = action;
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <root.message@dui-conform>\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(soap.as_bytes());
    for (cid, bytes) in attachments {
        body.extend_from_slice(
            format!(
                "\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
    }
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Response {
        status: 200,
        content_type: format!(
            "multipart/related; type=\"application/xop+xml\"; boundary=\"{BOUNDARY}\"; start=\"<root.message@dui-conform>\"; start-info=\"application/soap+xml\"; action=\"{action}\""
        ),
        body,
    }
}

/// A plain SOAP 1.2 response.
pub fn soap(action: &str, soap: String) -> Response {
    Response {
        status: 200,
        content_type: format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
        body: soap.into_bytes(),
    }
}

/// The response action of a transaction.
pub fn response_action(tx: Transaction) -> String {
    format!("{}Response", tx.action())
}

/// `rs:RegistryResponse` of ITI-41 / ITI-57, as MTOM for ITI-41 (the request was MTOM).
pub fn registry_response(
    tx: Transaction,
    relates_to: Option<&str>,
    errors: &[RegistryError],
) -> Response {
    let body = format!(
        "<rs:RegistryResponse xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"{}\">{}</rs:RegistryResponse>",
        status_of(errors, false),
        error_list(errors)
    );
    let action = response_action(tx);
    let env = envelope(&action, relates_to, &body);
    if tx.is_mtom() {
        mtom(&action, env, &[])
    } else {
        soap(&action, env)
    }
}

/// Fault code of a SOAP 1.2 Fault: whose fault it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong (HTTP 400).
    Sender,
    /// The simulator failed or was told to fail (HTTP 500).
    Receiver,
}

/// A SOAP 1.2 Fault (SOAP 1.2 part 2 §7.5.1: Sender → 400, Receiver → 500).
pub fn fault(
    code: FaultCode,
    subcode: Option<&str>,
    fr: &str,
    en: &str,
    rules: &[String],
) -> Response {
    let (value, status) = match code {
        FaultCode::Sender => ("soap:Sender", 400),
        FaultCode::Receiver => ("soap:Receiver", 500),
    };
    let sub = subcode
        .map(|s| {
            format!(
                "<soap:Subcode><soap:Value xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">{}</soap:Value></soap:Subcode>",
                esc(s)
            )
        })
        .unwrap_or_default();
    let detail = if rules.is_empty() {
        String::new()
    } else {
        let mut d =
            String::from("<soap:Detail><dc:Findings xmlns:dc=\"urn:dui-conform:findings\">");
        for r in rules {
            let _ = write!(d, "<dc:Finding>{}</dc:Finding>", esc(r));
        }
        d.push_str("</dc:Findings></soap:Detail>");
        d
    };
    let body = format!(
        "<soap:Fault><soap:Code><soap:Value>{value}</soap:Value>{sub}</soap:Code><soap:Reason><soap:Text xml:lang=\"fr\">{}</soap:Text><soap:Text xml:lang=\"en\">{}</soap:Text></soap:Reason>{detail}</soap:Fault>",
        esc(fr),
        esc(en)
    );
    let env = envelope(
        "http://www.w3.org/2005/08/addressing/soap/fault",
        None,
        &body,
    );
    Response {
        status,
        content_type: "application/soap+xml; charset=UTF-8".into(),
        body: env.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_has_an_error_and_success_none() {
        let e = [RegistryError::new("XDSRegistryMetadataError", "x < y")];
        assert!(status_of(&e, false).ends_with("Failure"));
        assert!(status_of(&[], false).ends_with("Success"));
        assert!(error_list(&e).contains("codeContext=\"x &lt; y\""));
        let r = registry_response(Transaction::Iti57, Some("urn:uuid:1"), &e);
        let t = String::from_utf8(r.body).unwrap();
        assert!(roxmltree::Document::parse(&t).is_ok(), "{t}");
    }

    #[test]
    fn fault_is_well_formed_soap12() {
        let r = fault(
            FaultCode::Sender,
            Some("wsse:InvalidSecurity"),
            "é",
            "e",
            &["DMP-SOAP-018".into()],
        );
        assert_eq!(r.status, 400);
        let t = String::from_utf8(r.body).unwrap();
        let d = roxmltree::Document::parse(&t).unwrap();
        assert_eq!(d.root_element().tag_name().namespace(), Some(NS_SOAP12));
    }
}
