//! Checks of a request received by the DMP simulator: SOAP 1.2 / WS-Addressing / MTOM (DMP-SOAP-*), the
//! VIHF SAML assertion (DMP-VIHF-*) and the DMP transaction rules (DMP-TX-*).
//!
//! Pure functions over a [`Wire`] view the simulator builds from the HTTP request (`sim::dmp::wire`):
//! every fact that needs state (the registry, the message ids seen so far, the subject of a certificate)
//! is computed by the simulator and passed in, so the checks do no I/O. The XDS metadata and the CDA
//! carried by an ITI-41 are checked by `validate::xds` (XDS-*, CDA-*), not here.
//!
//! DMP-VIHF-013 is a real XML-DSig verification ([`crate::xmldsig`]) of the assertion as received: the
//! structure (one enveloped `ds:Signature`, `Reference/@URI = #ID`, exc-c14n), the reference digest, the
//! SignatureValue with the key of the embedded certificate, the certificate chain to the configured CA, and
//! that the reference designates the very assertion the other VIHF rules read (signature wrapping).
//! DMP-TX-016 verifies the XAdES (IHE DSG detached) signature of the submission the same way, with the
//! manifest digests checked against the documents carried ([`check_xades`]).

use roxmltree::Node;
use rustls_pki_types::UnixTime;

use super::{At, CheckInfo, Sink};
use crate::catalogue;
use crate::formats::xds::{self as fxds, uuid};
use crate::model::{Finding, Msg};
use crate::msg;
use crate::xmldsig;

/// SOAP 1.2 envelope namespace.
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope namespace (refused by the DMP).
pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Addressing 1.0.
pub const NS_WSA: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Security 1.0 secext.
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// SAML 2.0 assertion.
pub const NS_SAML2: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// XML-DSig.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// ebRIM query.
pub const NS_QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
/// HL7 v3 (VIHF coded attribute values).
pub const NS_HL7: &str = "urn:hl7-org:v3";

/// The four transactions the DMP serves (DMP-TX-012), by `wsa:Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// ITI-41 Provide and Register Document Set-b.
    Iti41,
    /// ITI-18 Registry Stored Query.
    Iti18,
    /// ITI-43 Retrieve Document Set.
    Iti43,
    /// ITI-57 Update Document Set.
    Iti57,
    /// TD0.2, the DMP existence test (test d'existence du DMP): HL7v3 `PRPA_IN201307UV02` on the
    /// `patients` service (DMP-TX-015, DMP-TX-018).
    Td02,
}

impl Transaction {
    /// The request `wsa:Action` (DMP-SOAP-013).
    pub fn action(self) -> &'static str {
        match self {
            Transaction::Iti41 => "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
            Transaction::Iti18 => "urn:ihe:iti:2007:RegistryStoredQuery",
            Transaction::Iti43 => "urn:ihe:iti:2007:RetrieveDocumentSet",
            Transaction::Iti57 => "urn:ihe:iti:2010:UpdateDocumentSet",
            Transaction::Td02 => "urn:hl7-org:v3:PRPA_IN201307UV02",
        }
    }

    /// The transaction of a request action.
    pub fn of_action(a: &str) -> Option<Transaction> {
        [
            Transaction::Iti41,
            Transaction::Iti18,
            Transaction::Iti43,
            Transaction::Iti57,
            Transaction::Td02,
        ]
        .into_iter()
        .find(|t| t.action() == a)
    }

    /// Short name (`ITI-41`).
    pub fn name(self) -> &'static str {
        match self {
            Transaction::Iti41 => "ITI-41",
            Transaction::Iti18 => "ITI-18",
            Transaction::Iti43 => "ITI-43",
            Transaction::Iti57 => "ITI-57",
            Transaction::Td02 => "TD0.2",
        }
    }

    /// ITI-41 and ITI-43 travel as MTOM/XOP (DMP-SOAP-014).
    pub fn is_mtom(self) -> bool {
        matches!(self, Transaction::Iti41 | Transaction::Iti43)
    }
}

/// Stored query ids (XDS-UUID-013).
pub mod query_id {
    /// FindDocuments.
    pub const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
    /// FindDocumentsByReferenceId.
    pub const FIND_BY_REFERENCE_ID: &str = "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492";
    /// FindSubmissionSets.
    pub const FIND_SUBMISSION_SETS: &str = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9";
    /// GetDocuments.
    pub const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
    /// GetAssociations.
    pub const GET_ASSOCIATIONS: &str = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155";
    /// GetSubmissionSetAndContents.
    pub const GET_SUBMISSION_SET_AND_CONTENTS: &str =
        "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83";
    /// GetRelatedDocuments.
    pub const GET_RELATED_DOCUMENTS: &str = "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6";
    /// Every id the simulator knows.
    pub const ALL: &[&str] = &[
        FIND_DOCUMENTS,
        FIND_BY_REFERENCE_ID,
        FIND_SUBMISSION_SETS,
        GET_DOCUMENTS,
        GET_ASSOCIATIONS,
        GET_SUBMISSION_SET_AND_CONTENTS,
        GET_RELATED_DOCUMENTS,
    ];
}

/// The rules of this module.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "dmp::soap",
        rules: &[
            "DMP-SOAP-010",
            "DMP-SOAP-011",
            "DMP-SOAP-012",
            "DMP-SOAP-013",
            "DMP-SOAP-014",
            "DMP-SOAP-015",
            "DMP-SOAP-016",
            "DMP-SOAP-017",
            "DMP-SOAP-018",
        ],
    },
    CheckInfo {
        name: "dmp::vihf",
        rules: &[
            "DMP-VIHF-010",
            "DMP-VIHF-011",
            "DMP-VIHF-012",
            "DMP-VIHF-013",
            "DMP-VIHF-014",
            "DMP-VIHF-015",
            "DMP-VIHF-016",
            "DMP-VIHF-017",
            "DMP-VIHF-018",
            "DMP-VIHF-019",
            "DMP-VIHF-020",
            "DMP-VIHF-021",
            "DMP-VIHF-022",
            "DMP-VIHF-023",
            "DMP-VIHF-024",
            "DMP-VIHF-025",
            "DMP-VIHF-026",
            "DMP-VIHF-027",
        ],
    },
    CheckInfo {
        name: "dmp::transaction",
        rules: &[
            "DMP-TX-010",
            "DMP-TX-011",
            "DMP-TX-012",
            "DMP-TX-013",
            "DMP-TX-014",
            "DMP-TX-016",
            "DMP-TX-017",
            "DMP-TX-015",
            "DMP-TX-018",
            "XDS-UUID-012",
            "XDS-UUID-013",
            "CDA-HDR-091",
        ],
    },
    CheckInfo {
        name: "dmp::registry_response",
        rules: &["DMP-ERR-010"],
    },
];

/// The INS a TD0.2 asks about: `controlActProcess/queryByParameter/parameterList/patientIdentifier/value`
/// (`@root` the INS OID, `@extension` the number), as written.
pub fn td02_patient<'a>(payload: Node<'a, '_>) -> Option<(&'a str, &'a str)> {
    let v = payload.descendants().find(|n| {
        n.is_element()
            && n.tag_name().name() == "value"
            && n.parent_element()
                .is_some_and(|p| p.tag_name().name() == "patientIdentifier")
    })?;
    Some((v.attribute("root")?, v.attribute("extension")?))
}

/// The patient number of an XDS patient id (CX `<id>^^^&<oid>&ISO^NH`): the key under which a TD0.2 and a
/// later ITI-41 for the same patient meet.
pub fn cx_number(cx: &str) -> &str {
    cx.split('^').next().unwrap_or(cx)
}

/// DMP-TX-015 and DMP-TX-018 on a TD0.2 request (existence test, HL7v3 `PRPA_IN201307UV02`, DRIMbox
/// `VerifyAuthorizationRequest`): the reason `TEST_EXST` in codeSystem `1.2.250.1.213.1.1.4.11`, the
/// patient identified by an INS (its OID and number); received on the `patients` service.
pub fn check_td02(w: &Wire<'_, '_>, sink: &mut Sink) {
    let env = Envelope::of(w.envelope);
    let Some(p) = env.payload else { return };
    sink.check("DMP-TX-015");
    if p.tag_name().name() != "PRPA_IN201307UV02" || p.tag_name().namespace() != Some(NS_HL7) {
        let n = p.tag_name().name();
        sink.violation(
            "DMP-TX-015",
            p,
            msg!(
                "Corps « {n} » : PRPA_IN201307UV02 (urn:hl7-org:v3) attendu pour le test d'existence TD0.2",
                "Body \"{n}\": PRPA_IN201307UV02 (urn:hl7-org:v3) expected for the TD0.2 existence test"
            ),
        );
        return;
    }
    let reason = p
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "reasonCode");
    let ok_reason = reason.is_some_and(|r| {
        r.attribute("code") == Some("TEST_EXST")
            && r.attribute("codeSystem") == Some("1.2.250.1.213.1.1.4.11")
    });
    if !ok_reason {
        let got = reason
            .map(|r| {
                format!(
                    "{}@{}",
                    r.attribute("code").unwrap_or(""),
                    r.attribute("codeSystem").unwrap_or("")
                )
            })
            .unwrap_or_else(|| "absent".into());
        sink.violation(
            "DMP-TX-015",
            reason.unwrap_or(p),
            msg!(
                "controlActProcess/reasonCode « {got} » : TEST_EXST du système 1.2.250.1.213.1.1.4.11 attendu",
                "controlActProcess/reasonCode \"{got}\": TEST_EXST of code system 1.2.250.1.213.1.1.4.11 expected"
            ),
        );
    }
    match td02_patient(p) {
        Some((root, ext))
            if crate::formats::ins::InsClass::of(root).is_some() && !ext.trim().is_empty() => {}
        Some((root, _)) => {
            sink.violation(
                "DMP-TX-015",
                p,
                msg!(
                    "patientIdentifier/value : @root « {root} » n'est pas un OID d'INS (1.2.250.1.213.1.4.8 à .11) ou @extension vide",
                    "patientIdentifier/value: @root \"{root}\" is not an INS OID (1.2.250.1.213.1.4.8 to .11) or @extension is empty"
                ),
            );
        }
        None => {
            sink.violation(
                "DMP-TX-015",
                p,
                msg!(
                    "parameterList/patientIdentifier/value (@root, @extension : l'INS) absent",
                    "parameterList/patientIdentifier/value (@root, @extension: the INS) missing"
                ),
            );
        }
    }
    let path = &w.http.path;
    sink.info(
        "DMP-TX-018",
        p,
        msg!(
            "TD0.2 reçu sur le service « patients » ({path}) ; registry (ITI-18, ITI-57), repository (ITI-41, ITI-43)",
            "TD0.2 received on the \"patients\" service ({path}); registry (ITI-18, ITI-57), repository (ITI-41, ITI-43)"
        ),
    );
}

/// DMP-TX-015 on an ITI-41: the DUI tested the DMP's existence (TD0.2) for this patient before feeding it.
pub fn check_existence_tested(w: &Wire<'_, '_>, sink: &mut Sink) {
    if w.state.existence_tested {
        sink.check("DMP-TX-015");
        return;
    }
    let patient = w.state.patient_id.as_deref().unwrap_or("?");
    let env = Envelope::of(w.envelope);
    sink.violation(
        "DMP-TX-015",
        env.payload.unwrap_or(w.envelope),
        msg!(
            "Dépôt (ITI-41) pour le patient {patient} sans test d'existence du DMP (TD0.2) préalable dans cette session",
            "Deposit (ITI-41) for patient {patient} without a prior DMP existence test (TD0.2) in this run"
        ),
    );
}

/// ebRS 3.0 registry namespace (`rs:RegistryResponse`, `rs:RegistryErrorList`).
pub const NS_RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";

/// DMP-ERR-010 on an answer of a registry or repository (the simulator's own output, checked in the tests
/// on every answer it gives; a DUI-side tool can use it on what a real DMP answered): the element carrying
/// the status (`rs:RegistryResponse`, `query:AdhocQueryResponse`, or the `rs:RegistryResponse` inside
/// `xdsb:RetrieveDocumentSetResponse`) has `@status` Success, Failure or PartialSuccess; each
/// `rs:RegistryError` has `@errorCode`, `@codeContext` and `@severity` Error or Warning; Failure carries at
/// least one Error (ITI TF-3 §4.2.4).
pub fn check_registry_response(answer: Node<'_, '_>, sink: &mut Sink) {
    const STATUS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:";
    const SEVERITY: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:";
    let carrier = answer.descendants().find(|n| {
        n.is_element()
            && n.attribute("status").is_some()
            && matches!(
                n.tag_name().name(),
                "RegistryResponse" | "AdhocQueryResponse"
            )
    });
    let Some(r) = carrier else {
        sink.violation(
            "DMP-ERR-010",
            answer,
            msg!(
                "Aucune réponse de registre (RegistryResponse ou AdhocQueryResponse avec @status)",
                "No registry response (RegistryResponse or AdhocQueryResponse with @status)"
            ),
        );
        return;
    };
    sink.check("DMP-ERR-010");
    let status = r.attribute("status").unwrap_or("");
    let kind = status.strip_prefix(STATUS).unwrap_or("");
    if !matches!(kind, "Success" | "Failure" | "PartialSuccess") {
        sink.violation(
            "DMP-ERR-010",
            At::Attr(r, "status"),
            msg!(
                "@status « {status} » : {STATUS}Success, Failure ou PartialSuccess attendu",
                "@status \"{status}\": {STATUS}Success, Failure or PartialSuccess expected"
            ),
        );
    }
    let errors: Vec<Node<'_, '_>> = r
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "RegistryErrorList")
        .flat_map(|l| {
            l.children()
                .filter(|e| e.is_element() && e.tag_name().name() == "RegistryError")
        })
        .collect();
    let mut has_error = false;
    for e in &errors {
        for a in ["errorCode", "codeContext", "severity"] {
            if e.attribute(a).is_none_or(|v| v.trim().is_empty()) {
                sink.violation(
                    "DMP-ERR-010",
                    *e,
                    msg!("RegistryError sans @{a}", "RegistryError without @{a}"),
                );
            }
        }
        match e
            .attribute("severity")
            .map(|s| (s, s.strip_prefix(SEVERITY)))
        {
            Some((_, Some("Error"))) => has_error = true,
            Some((_, Some("Warning"))) | None => {}
            Some((other, _)) => {
                sink.violation(
                    "DMP-ERR-010",
                    At::Attr(*e, "severity"),
                    msg!(
                        "@severity « {other} » : {SEVERITY}Error ou Warning attendu",
                        "@severity \"{other}\": {SEVERITY}Error or Warning expected"
                    ),
                );
            }
        }
    }
    if kind == "Failure" && !has_error {
        sink.violation(
            "DMP-ERR-010",
            r,
            msg!(
                "Réponse Failure sans RegistryError de sévérité Error",
                "Failure response without a RegistryError of severity Error"
            ),
        );
    }
}

/// What the simulator saw of the HTTP exchange and the TLS session.
#[derive(Debug, Clone, Default)]
pub struct HttpFacts {
    /// `Content-Type` header of the request.
    pub content_type: Option<String>,
    /// The MTOM root part's `Content-Type`, when the request is multipart.
    pub root_part_type: Option<String>,
    /// Negotiated TLS version (`TLSv1.2`, `TLSv1.3`).
    pub tls_version: Option<String>,
    /// A client certificate was presented (and verified against the CA by the TLS layer).
    pub client_cert: bool,
    /// Request path (`/dmp/repository`).
    pub path: String,
    /// The endpoint the path names, if any.
    pub endpoint: Option<Transaction>,
}

/// Facts the simulator computed from its state, for the rules that need it.
#[derive(Debug, Clone, Default)]
pub struct StateFacts {
    /// The `wsa:MessageID` was already received in this run.
    pub duplicate_message_id: bool,
    /// The VIHF `Assertion/@ID` was already received in this run.
    pub duplicate_assertion_id: bool,
    /// Subject DN of the certificate in the VIHF `ds:KeyInfo`, as parsed RDNs joined (`CN=…,O=…`).
    pub vihf_cert_subject: Option<String>,
    /// Patient id (CX) of the request: the ITI-41 SubmissionSet patientId or the ITI-18 patient slot.
    pub patient_id: Option<String>,
    /// CDA `healthCareFacility/code/@code` of the (first) document of an ITI-41.
    pub facility_code: Option<String>,
    /// XON.10 of the SubmissionSet `authorInstitution` of an ITI-41.
    pub author_institution_id: Option<String>,
    /// The CA certificates XML signatures (VIHF, XAdES) must chain to (DMP-VIHF-013, DMP-TX-016).
    pub signature_trust: std::sync::Arc<xmldsig::Trust>,
    /// Reception time (certificate validity, SigningTime); `None`: the clock now.
    pub now: Option<UnixTime>,
    /// An ITI-41's patient had a TD0.2 existence test earlier in the run (DMP-TX-015).
    pub existence_tested: bool,
}

impl StateFacts {
    /// Reception time.
    pub fn now(&self) -> UnixTime {
        self.now.unwrap_or_else(UnixTime::now)
    }
}

/// The view of one request: the parsed envelope and what surrounds it.
pub struct Wire<'a, 'i> {
    /// The root element of the SOAP part.
    pub envelope: Node<'a, 'i>,
    /// HTTP and TLS facts.
    pub http: &'a HttpFacts,
    /// State facts.
    pub state: &'a StateFacts,
}

fn child<'a, 'i>(n: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().namespace() == Some(ns) && c.tag_name().name() == name
    })
}

fn children<'a, 'i: 'a>(
    n: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == Some(ns) && c.tag_name().name() == name
    })
}

fn text<'a>(n: Node<'a, '_>) -> &'a str {
    n.text().map(str::trim).unwrap_or("")
}

/// The SOAP header, body and their WS-Addressing values.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a, 'i> {
    /// `soap:Header`.
    pub header: Option<Node<'a, 'i>>,
    /// `soap:Body`.
    pub body: Option<Node<'a, 'i>>,
    /// First element child of the body.
    pub payload: Option<Node<'a, 'i>>,
    /// `wsa:Action` element.
    pub action: Option<Node<'a, 'i>>,
    /// `wsa:MessageID` element.
    pub message_id: Option<Node<'a, 'i>>,
    /// `wsa:To` element.
    pub to: Option<Node<'a, 'i>>,
    /// `wsse:Security` element.
    pub security: Option<Node<'a, 'i>>,
    /// The first `saml2:Assertion` in `wsse:Security`.
    pub assertion: Option<Node<'a, 'i>>,
}

impl<'a, 'i> Envelope<'a, 'i> {
    /// Reads an envelope of any SOAP version (the version itself is DMP-SOAP-010).
    pub fn of(root: Node<'a, 'i>) -> Envelope<'a, 'i> {
        let ns = root.tag_name().namespace().unwrap_or("");
        let header = child(root, ns, "Header");
        let body = child(root, ns, "Body");
        let h = |name| header.and_then(|h| child(h, NS_WSA, name));
        let security = header.and_then(|h| child(h, NS_WSSE, "Security"));
        Envelope {
            header,
            body,
            payload: body.and_then(|b| b.children().find(Node::is_element)),
            action: h("Action"),
            message_id: h("MessageID"),
            to: h("To"),
            security,
            assertion: security.and_then(|s| child(s, NS_SAML2, "Assertion")),
        }
    }

    /// The `wsa:Action` value.
    pub fn action_value(&self) -> Option<&'a str> {
        self.action.map(text)
    }

    /// The `wsa:MessageID` value.
    pub fn message_id_value(&self) -> Option<&'a str> {
        self.message_id.map(text)
    }

    /// The transaction named by `wsa:Action`.
    pub fn transaction(&self) -> Option<Transaction> {
        self.action_value().and_then(Transaction::of_action)
    }
}

/// The finding of a VIHF that carries no signature at all (DMP-VIHF-013), French and English.
pub const UNSIGNED_VIHF: (&str, &str) = (
    "VIHF non signé : une ds:Signature enveloppée par le certificat de cachet est obligatoire",
    "Unsigned VIHF: an enveloped ds:Signature by the seal certificate is mandatory",
);

/// The finding of a submission that carries no XAdES signature entry at all (DMP-TX-016).
pub const NO_XADES_ENTRY: (&str, &str) = (
    "Aucune fiche de signature XAdES liée au lot par une association urn:ihe:iti:2007:AssociationType:signs (source = fiche de signature, cible = SubmissionSet)",
    "No XAdES signature entry linked to the submission set by an urn:ihe:iti:2007:AssociationType:signs association (source = signature entry, target = SubmissionSet)",
);

/// Whether `f` says a signature is *missing* (VIHF without `ds:Signature`, submission without its XAdES
/// entry): the only refusals `serve --unsigned-ok` relaxes (issue 4: "a VIHF without signature and a
/// submission without its XAdES entry are then processed … nothing else is relaxed"). A signature that is
/// present but wrong (digest, value, certificate, wrapping, entry metadata) is refused either way.
pub fn is_missing_signature(f: &Finding) -> bool {
    (f.requirement == "DMP-VIHF-013" && f.message.en == UNSIGNED_VIHF.1)
        || (f.requirement == "DMP-TX-016" && f.message.en == NO_XADES_ENTRY.1)
}

/// Media type (lower case, no parameters) of a Content-Type value.
pub fn media_type(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// DMP-SOAP-010…018 and DMP-TX-010/012: the envelope, its headers and the body shape.
pub fn check_soap(w: &Wire<'_, '_>, sink: &mut Sink) {
    let root = w.envelope;
    let env = Envelope::of(root);
    let ns = root.tag_name().namespace().unwrap_or("");
    let tx = env.transaction();

    // DMP-SOAP-010: SOAP 1.2 namespace; application/soap+xml for non-MTOM requests.
    sink.check("DMP-SOAP-010");
    if root.tag_name().name() != "Envelope" || ns != NS_SOAP12 {
        let what = if ns == NS_SOAP11 {
            "SOAP 1.1"
        } else {
            "non SOAP"
        };
        sink.violation(
            "DMP-SOAP-010",
            root,
            {
                let name = root.tag_name().name();
                msg!(
                    "Enveloppe {what} ({{{ns}}}{name}) : le DMP attend une enveloppe SOAP 1.2 ({NS_SOAP12})",
                    "{what} envelope ({{{ns}}}{name}): the DMP expects a SOAP 1.2 envelope ({NS_SOAP12})"
                )
            },
        );
    }
    let ct = w.http.content_type.as_deref().unwrap_or("");
    let media = media_type(ct);
    if !media.starts_with("multipart/") && media != "application/soap+xml" {
        sink.violation(
            "DMP-SOAP-010",
            At::Nowhere,
            msg!(
                "Content-Type HTTP « {ct} » : une requête SOAP 1.2 non MTOM est envoyée en application/soap+xml",
                "HTTP Content-Type \"{ct}\": a non-MTOM SOAP 1.2 request is sent as application/soap+xml"
            ),
        )
        .path("HTTP Content-Type");
    }

    // DMP-SOAP-011: mutual TLS ≥ 1.2 (the TLS layer refuses a connection without a certificate; a
    // request reaching this point had one).
    sink.check("DMP-SOAP-011");
    match w.http.tls_version.as_deref() {
        Some("TLSv1.2" | "TLSv1.3") | None => {}
        Some(v) => {
            sink.violation(
                "DMP-SOAP-011",
                At::Nowhere,
                msg!(
                    "Version TLS {v} : TLS 1.2 minimum",
                    "TLS version {v}: TLS 1.2 or higher"
                ),
            );
        }
    }
    if !w.http.client_cert {
        sink.violation(
            "DMP-SOAP-011",
            At::Nowhere,
            msg!(
                "Aucun certificat client présenté : le DMP exige le TLS mutuel (certificat ORG AUTH_CLI)",
                "No client certificate presented: the DMP requires mutual TLS (ORG AUTH_CLI certificate)"
            ),
        );
    }

    // DMP-SOAP-012: wsa:Action (mustUnderstand), wsa:MessageID (urn:uuid, unique), wsa:To.
    sink.check("DMP-SOAP-012");
    match env.action {
        None => {
            sink.violation(
                "DMP-SOAP-012",
                env.header.unwrap_or(root),
                msg!(
                    "En-tête wsa:Action absent ({NS_WSA})",
                    "Missing wsa:Action header ({NS_WSA})"
                ),
            );
        }
        Some(a) => {
            let mu = a.attribute((ns, "mustUnderstand")).unwrap_or("");
            if mu != "true" && mu != "1" {
                sink.violation(
                    "DMP-SOAP-012",
                    a,
                    msg!(
                        "wsa:Action sans soap:mustUnderstand=\"true\"",
                        "wsa:Action without soap:mustUnderstand=\"true\""
                    ),
                );
            }
        }
    }
    match env.message_id {
        None => {
            sink.violation(
                "DMP-SOAP-012",
                env.header.unwrap_or(root),
                msg!(
                    "En-tête wsa:MessageID absent",
                    "Missing wsa:MessageID header"
                ),
            );
        }
        Some(m) => {
            let v = text(m);
            if !is_urn_uuid(v) {
                sink.violation(
                    "DMP-SOAP-012",
                    m,
                    msg!(
                        "wsa:MessageID « {v} » : attendu urn:uuid:<uuid>",
                        "wsa:MessageID \"{v}\": expected urn:uuid:<uuid>"
                    ),
                );
            } else if w.state.duplicate_message_id {
                sink.violation(
                    "DMP-SOAP-012",
                    m,
                    msg!(
                        "wsa:MessageID « {v} » déjà reçu : il doit être unique par requête",
                        "wsa:MessageID \"{v}\" already received: it must be unique per request"
                    ),
                );
            }
        }
    }
    if env.to.is_none_or(|t| text(t).is_empty()) {
        sink.violation(
            "DMP-SOAP-012",
            env.to.or(env.header).unwrap_or(root),
            msg!(
                "En-tête wsa:To absent ou vide : l'URL du service est attendue",
                "Missing or empty wsa:To header: the service URL is expected"
            ),
        );
    }

    // DMP-SOAP-013 and DMP-TX-012: a known action; the Content-Type action parameter agrees.
    sink.check("DMP-SOAP-013");
    sink.check("DMP-TX-012");
    if let Some(a) = env.action_value() {
        if tx.is_none() {
            sink.violation(
                "DMP-SOAP-013",
                env.action.unwrap_or(root),
                {
                    let (a41, a18, a43, a57, td02) = (
                        Transaction::Iti41.action(),
                        Transaction::Iti18.action(),
                        Transaction::Iti43.action(),
                        Transaction::Iti57.action(),
                        Transaction::Td02.action(),
                    );
                    msg!(
                        "wsa:Action « {a} » inconnue : ITI-41 {a41}, ITI-18 {a18}, ITI-43 {a43}, ITI-57 {a57}, TD0.2 {td02}",
                        "Unknown wsa:Action \"{a}\": ITI-41 {a41}, ITI-18 {a18}, ITI-43 {a43}, ITI-57 {a57}, TD0.2 {td02}"
                    )
                },
            );
            sink.violation(
                "DMP-TX-012",
                env.action.unwrap_or(root),
                msg!(
                    "Transaction « {a} » non utilisée par le DMP (seules ITI-41, ITI-18, ITI-43, ITI-57 et TD0.2 le sont ; pas de RMD ITI-62/86)",
                    "Transaction \"{a}\" not used by the DMP (only ITI-41, ITI-18, ITI-43, ITI-57 and TD0.2; no RMD ITI-62/86)"
                ),
            );
        }
        let param = fxds::header_param(ct, "action").or_else(|| {
            w.http
                .root_part_type
                .as_deref()
                .and_then(|t| fxds::header_param(t, "action"))
        });
        if let Some(p) = param.filter(|p| p != a) {
            sink.violation(
                "DMP-SOAP-013",
                env.action.unwrap_or(root),
                msg!(
                    "Paramètre action=\"{p}\" du Content-Type différent de wsa:Action « {a} »",
                    "Content-Type action=\"{p}\" differs from wsa:Action \"{a}\""
                ),
            );
        }
    }
    // DMP-TX-010: the transaction reaches the service that serves it.
    if let (Some(t), Some(e)) = (tx, w.http.endpoint) {
        sink.check("DMP-TX-010");
        let served_by = |x: Transaction| match x {
            Transaction::Iti41 | Transaction::Iti43 => "repository",
            Transaction::Iti18 | Transaction::Iti57 => "registry",
            Transaction::Td02 => "patients",
        };
        if served_by(t) != served_by(e) {
            sink.violation("DMP-TX-010", env.action.unwrap_or(root), {
                let (tn, se, p, st) = (t.name(), served_by(e), &w.http.path, served_by(t));
                msg!(
                    "{tn} envoyée au service {se} ({p}) : elle relève du service {st}",
                    "{tn} sent to the {se} service ({p}): it belongs to the {st} service"
                )
            });
        }
    }

    // DMP-SOAP-014: ITI-41 and ITI-43 requests are MTOM/XOP.
    if let Some(t) = tx.filter(|t| *t == Transaction::Iti41) {
        sink.check("DMP-SOAP-014");
        if !media.starts_with("multipart/related") {
            sink.violation(
                "DMP-SOAP-014",
                At::Nowhere,
                {
                    let tn = t.name();
                    msg!(
                        "{tn} en « {media} » : MTOM/XOP attendu (multipart/related; type=\"application/xop+xml\")",
                        "{tn} sent as \"{media}\": MTOM/XOP expected (multipart/related; type=\"application/xop+xml\")"
                    )
                },
            )
            .path("HTTP Content-Type");
        } else {
            let ty = fxds::header_param(ct, "type").unwrap_or_default();
            if !ty.eq_ignore_ascii_case("application/xop+xml") {
                sink.violation(
                    "DMP-SOAP-014",
                    At::Nowhere,
                    msg!(
                        "Content-Type multipart sans type=\"application/xop+xml\" (trouvé « {ty} »)",
                        "multipart Content-Type without type=\"application/xop+xml\" (found \"{ty}\")"
                    ),
                )
                .path("HTTP Content-Type");
            }
            let root_ct = w.http.root_part_type.as_deref().unwrap_or("");
            if media_type(root_ct) != "application/xop+xml" {
                sink.violation(
                    "DMP-SOAP-014",
                    At::Nowhere,
                    msg!(
                        "Partie racine en « {root_ct} » : application/xop+xml; type=\"application/soap+xml\" attendu",
                        "Root part as \"{root_ct}\": application/xop+xml; type=\"application/soap+xml\" expected"
                    ),
                )
                .path("MIME root part Content-Type");
            }
            if let Some(p) = env.payload {
                for d in fxds::documents(p) {
                    if !matches!(d.content, fxds::DocContent::Xop(_)) {
                        sink.violation(
                            "DMP-SOAP-014",
                            d.node,
                            msg!(
                                "xdsb:Document sans xop:Include : le contenu doit être une partie MIME référencée par cid",
                                "xdsb:Document without xop:Include: the content must be a MIME part referenced by cid"
                            ),
                        );
                    }
                }
            }
        }
    }

    // DMP-SOAP-015 / 016 / 017: body shape per transaction.
    match tx {
        Some(Transaction::Iti41) => check_iti41_body(&env, root, sink),
        Some(Transaction::Iti18) => check_iti18_body(&env, root, sink),
        Some(Transaction::Iti43) => check_iti43_body(&env, root, sink),
        _ => {}
    }

    // DMP-SOAP-018: the VIHF travels in wsse:Security.
    sink.check("DMP-SOAP-018");
    match env.security {
        None => {
            sink.violation(
                "DMP-SOAP-018",
                env.header.unwrap_or(root),
                msg!(
                    "Aucun en-tête wsse:Security ({NS_WSSE}) : le VIHF (assertion SAML 2.0) est obligatoire",
                    "No wsse:Security header ({NS_WSSE}): the VIHF (SAML 2.0 assertion) is mandatory"
                ),
            );
        }
        Some(s) => {
            let n = children(s, NS_SAML2, "Assertion").count();
            if n != 1 {
                sink.violation(
                    "DMP-SOAP-018",
                    s,
                    msg!(
                        "wsse:Security contient {n} saml2:Assertion : exactement une (le VIHF) est attendue",
                        "wsse:Security holds {n} saml2:Assertion: exactly one (the VIHF) is expected"
                    ),
                );
            }
        }
    }
}

fn payload_is(env: &Envelope<'_, '_>, ns: &str, name: &str) -> bool {
    env.payload
        .is_some_and(|p| p.tag_name().namespace() == Some(ns) && p.tag_name().name() == name)
}

fn check_iti41_body(env: &Envelope<'_, '_>, root: Node<'_, '_>, sink: &mut Sink) {
    sink.check("DMP-SOAP-015");
    if !payload_is(env, fxds::NS_XDSB, "ProvideAndRegisterDocumentSetRequest") {
        sink.violation(
            "DMP-SOAP-015",
            env.payload.or(env.body).unwrap_or(root),
            msg!(
                "Corps ITI-41 sans xdsb:ProvideAndRegisterDocumentSetRequest",
                "ITI-41 body without xdsb:ProvideAndRegisterDocumentSetRequest"
            ),
        );
        return;
    }
    let Some(p) = env.payload else { return };
    let sor = child(p, fxds::NS_LCM, "SubmitObjectsRequest");
    if sor
        .and_then(|s| child(s, fxds::NS_RIM, "RegistryObjectList"))
        .is_none()
    {
        sink.violation(
            "DMP-SOAP-015",
            p,
            msg!(
                "ProvideAndRegisterDocumentSetRequest sans lcm:SubmitObjectsRequest/rim:RegistryObjectList",
                "ProvideAndRegisterDocumentSetRequest without lcm:SubmitObjectsRequest/rim:RegistryObjectList"
            ),
        );
    }
    // The documents follow the metadata.
    let mut seen_doc = false;
    for c in p.children().filter(Node::is_element) {
        let is_doc =
            c.tag_name().namespace() == Some(fxds::NS_XDSB) && c.tag_name().name() == "Document";
        if is_doc {
            seen_doc = true;
        } else if seen_doc {
            sink.violation(
                "DMP-SOAP-015",
                c,
                msg!(
                    "Élément après les xdsb:Document : les documents suivent le SubmitObjectsRequest",
                    "Element after the xdsb:Document elements: the documents follow the SubmitObjectsRequest"
                ),
            );
        }
    }
}

/// A stored-query slot value list, SQL-quoted values unquoted (`('a','b')` → `[a, b]`).
pub fn slot_values(raw: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for v in raw {
        let v = v.trim();
        let inner = v
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .unwrap_or(v);
        for item in inner.split(',') {
            let item = item.trim();
            let item = item
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .unwrap_or(item);
            if !item.is_empty() {
                out.push(item.replace("''", "'"));
            }
        }
    }
    out
}

/// The `rim:AdhocQuery` of an ITI-18 body.
pub fn adhoc_query<'a, 'i>(payload: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    child(payload, fxds::NS_RIM, "AdhocQuery")
}

/// Slots of an AdhocQuery as (name, values as written).
pub fn query_slots(q: Node<'_, '_>) -> Vec<(String, Vec<String>)> {
    children(q, fxds::NS_RIM, "Slot")
        .map(|s| {
            let name = s.attribute("name").unwrap_or("").to_string();
            let values = s
                .descendants()
                .filter(|v| v.is_element() && v.tag_name().name() == "Value")
                .map(|v| v.text().unwrap_or("").to_string())
                .collect();
            (name, values)
        })
        .collect()
}

fn check_iti18_body(env: &Envelope<'_, '_>, root: Node<'_, '_>, sink: &mut Sink) {
    sink.check("DMP-SOAP-016");
    sink.check("XDS-UUID-013");
    if !payload_is(env, NS_QUERY, "AdhocQueryRequest") {
        sink.violation(
            "DMP-SOAP-016",
            env.payload.or(env.body).unwrap_or(root),
            msg!(
                "Corps ITI-18 sans query:AdhocQueryRequest",
                "ITI-18 body without query:AdhocQueryRequest"
            ),
        );
        return;
    }
    let Some(p) = env.payload else { return };
    match child(p, NS_QUERY, "ResponseOption") {
        Some(o)
            if o.attribute("returnType") == Some("LeafClass")
                || o.attribute("returnType") == Some("ObjectRef") => {}
        o => {
            sink.violation(
                "DMP-SOAP-016",
                o.unwrap_or(p),
                msg!(
                    "query:ResponseOption returnType=\"LeafClass\" attendu",
                    "query:ResponseOption returnType=\"LeafClass\" expected"
                ),
            );
        }
    }
    let Some(q) = adhoc_query(p) else {
        sink.violation(
            "DMP-SOAP-016",
            p,
            msg!("rim:AdhocQuery absent", "Missing rim:AdhocQuery"),
        );
        return;
    };
    let id = q.attribute("id").unwrap_or("");
    if !query_id::ALL.contains(&id) {
        sink.violation(
            "XDS-UUID-013",
            At::Attr(q, "id"),
            msg!(
                "Requête stockée inconnue « {id} » (XDSUnknownStoredQuery)",
                "Unknown stored query \"{id}\" (XDSUnknownStoredQuery)"
            ),
        );
        return;
    }
    let slots = query_slots(q);
    let get = |n: &str| slots.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    if id == query_id::FIND_DOCUMENTS {
        match get("$XDSDocumentEntryPatientId") {
            Some(v)
                if v.len() == 1 && v[0].trim().starts_with('\'') && v[0].trim().ends_with('\'') => {
            }
            _ => {
                sink.violation(
                    "DMP-SOAP-016",
                    q,
                    msg!(
                        "FindDocuments sans $XDSDocumentEntryPatientId = '<INS CX>' (une valeur entre apostrophes)",
                        "FindDocuments without $XDSDocumentEntryPatientId = '<INS CX>' (one single-quoted value)"
                    ),
                );
            }
        }
        if get("$XDSDocumentEntryStatus").is_none_or(|v| slot_values(&v).is_empty()) {
            sink.violation(
                "DMP-SOAP-016",
                q,
                msg!(
                    "FindDocuments sans $XDSDocumentEntryStatus (ex. ('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved'))",
                    "FindDocuments without $XDSDocumentEntryStatus (e.g. ('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved'))"
                ),
            );
        }
    }
}

fn check_iti43_body(env: &Envelope<'_, '_>, root: Node<'_, '_>, sink: &mut Sink) {
    sink.check("DMP-SOAP-017");
    if !payload_is(env, fxds::NS_XDSB, "RetrieveDocumentSetRequest") {
        sink.violation(
            "DMP-SOAP-017",
            env.payload.or(env.body).unwrap_or(root),
            msg!(
                "Corps ITI-43 sans xdsb:RetrieveDocumentSetRequest",
                "ITI-43 body without xdsb:RetrieveDocumentSetRequest"
            ),
        );
        return;
    }
    let Some(p) = env.payload else { return };
    let reqs: Vec<_> = children(p, fxds::NS_XDSB, "DocumentRequest").collect();
    if reqs.is_empty() {
        sink.violation(
            "DMP-SOAP-017",
            p,
            msg!("Aucun xdsb:DocumentRequest", "No xdsb:DocumentRequest"),
        );
    }
    for r in reqs {
        for c in ["RepositoryUniqueId", "DocumentUniqueId"] {
            if child(r, fxds::NS_XDSB, c).is_none_or(|n| text(n).is_empty()) {
                sink.violation(
                    "DMP-SOAP-017",
                    r,
                    msg!("DocumentRequest sans {c}", "DocumentRequest without {c}"),
                );
            }
        }
    }
}

fn is_urn_uuid(v: &str) -> bool {
    v.strip_prefix("urn:uuid:")
        .is_some_and(|u| ::uuid::Uuid::parse_str(u).is_ok())
}

/// A VIHF attribute: name and its `AttributeValue` elements.
struct Attr<'a, 'i> {
    name: &'a str,
    values: Vec<Node<'a, 'i>>,
    node: Node<'a, 'i>,
}

fn vihf_attrs<'a, 'i>(assertion: Node<'a, 'i>) -> Vec<Attr<'a, 'i>> {
    assertion
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(NS_SAML2)
                && n.tag_name().name() == "Attribute"
        })
        .map(|n| Attr {
            name: n.attribute("Name").unwrap_or(""),
            values: children(n, NS_SAML2, "AttributeValue").collect(),
            node: n,
        })
        .collect()
}

/// JDV_J61 (20240927120000) codes of the `SA` family: SA01–SA61, SA63–SA65, SA68, SA69.
fn in_j61(code: &str) -> bool {
    let Some(n) = code
        .strip_prefix("SA")
        .filter(|d| d.len() == 2)
        .and_then(|d| d.parse::<u32>().ok())
    else {
        return false;
    };
    matches!(n, 1..=61 | 63..=65 | 68 | 69)
}

/// DMP-VIHF-010…027: the VIHF assertion of the request (when there is one; its absence is DMP-SOAP-018).
pub fn check_vihf(w: &Wire<'_, '_>, sink: &mut Sink) {
    let env = Envelope::of(w.envelope);
    let Some(a) = env.assertion else {
        for r in ["DMP-VIHF-010", "DMP-VIHF-013", "DMP-VIHF-016"] {
            sink.not_applicable(
                r,
                msg!(
                    "Pas de VIHF (voir DMP-SOAP-018)",
                    "No VIHF (see DMP-SOAP-018)"
                ),
            );
        }
        return;
    };
    // 010
    sink.check("DMP-VIHF-010");
    if a.attribute("Version") != Some("2.0") {
        sink.violation(
            "DMP-VIHF-010",
            a,
            msg!(
                "Assertion sans Version=\"2.0\"",
                "Assertion without Version=\"2.0\""
            ),
        );
    }
    let id = a.attribute("ID").unwrap_or("");
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        sink.violation(
            "DMP-VIHF-010",
            a,
            msg!(
                "Assertion/@ID absent ou non xs:ID (« {id} »)",
                "Assertion/@ID missing or not an xs:ID (\"{id}\")"
            ),
        );
    } else if w.state.duplicate_assertion_id {
        sink.violation(
            "DMP-VIHF-010",
            At::Attr(a, "ID"),
            msg!(
                "Assertion/@ID « {id} » déjà reçu : un VIHF a un ID unique",
                "Assertion/@ID \"{id}\" already received: a VIHF has a unique ID"
            ),
        );
    }
    let ii = a.attribute("IssueInstant").unwrap_or("");
    if !is_utc_datetime(ii) {
        sink.violation(
            "DMP-VIHF-010",
            a,
            msg!(
                "IssueInstant « {ii} » : xs:dateTime UTC attendu (…Z)",
                "IssueInstant \"{ii}\": UTC xs:dateTime expected (…Z)"
            ),
        );
    }
    // 011 / 012
    sink.check("DMP-VIHF-011");
    sink.check("DMP-VIHF-012");
    const FMT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName";
    const FMT_TYPO: &str = "urn:oasis:names:tc:SAML:1.1:nameidformat:X509SubjectName";
    match child(a, NS_SAML2, "Issuer") {
        None => {
            sink.violation(
                "DMP-VIHF-011",
                a,
                msg!("saml2:Issuer absent", "Missing saml2:Issuer"),
            );
        }
        Some(i) => {
            let f = i.attribute("Format").unwrap_or("");
            if f != FMT && f != FMT_TYPO {
                sink.violation(
                    "DMP-VIHF-011",
                    i,
                    msg!(
                        "Issuer/@Format « {f} » : {FMT} attendu",
                        "Issuer/@Format \"{f}\": {FMT} expected"
                    ),
                );
            } else if f == FMT_TYPO {
                sink.violation(
                    "DMP-VIHF-012",
                    i,
                    msg!("Issuer/@Format avec la coquille de la table ANS (nameidformat) : écrire {FMT}", "Issuer/@Format with the ANS table typo (nameidformat): write {FMT}"),
                );
            }
            let issuer = text(i);
            match &w.state.vihf_cert_subject {
                Some(subj) if !dn_equal(issuer, subj) => {
                    sink.violation(
                        "DMP-VIHF-011",
                        i,
                        msg!(
                            "Issuer « {issuer} » différent du sujet du certificat de signature « {subj} »",
                            "Issuer \"{issuer}\" differs from the signing certificate subject \"{subj}\""
                        ),
                    );
                }
                None if issuer.is_empty() => {
                    sink.violation("DMP-VIHF-011", i, msg!("Issuer vide", "Empty Issuer"));
                }
                _ => {}
            }
        }
    }
    // 013 / 014: the enveloped signature of the assertion, verified (module doc).
    sink.check("DMP-VIHF-013");
    sink.check("DMP-VIHF-014");
    match child(a, NS_DS, "Signature") {
        None => {
            sink.violation(
                "DMP-VIHF-013",
                a,
                Msg::new(UNSIGNED_VIHF.0.to_string(), UNSIGNED_VIHF.1.to_string()),
            );
        }
        Some(sig) => {
            let si = child(sig, NS_DS, "SignedInfo");
            let reference = si.and_then(|s| child(s, NS_DS, "Reference"));
            let uri = reference.and_then(|r| r.attribute("URI")).unwrap_or("");
            let c14n = si
                .and_then(|s| child(s, NS_DS, "CanonicalizationMethod"))
                .and_then(|c| c.attribute("Algorithm"))
                .unwrap_or("");
            let mut bad = false;
            if uri != format!("#{id}") {
                bad = true;
                sink.violation(
                    "DMP-VIHF-013",
                    reference.unwrap_or(sig),
                    msg!("Reference/@URI « {uri} » : #{id} attendu (signature enveloppée de l'assertion)", "Reference/@URI \"{uri}\": #{id} expected (enveloped signature of the assertion)"),
                );
            }
            if c14n != "http://www.w3.org/2001/10/xml-exc-c14n#" {
                bad = true;
                sink.violation(
                    "DMP-VIHF-013",
                    sig,
                    msg!(
                        "CanonicalizationMethod « {c14n} » : c14n exclusive attendue",
                        "CanonicalizationMethod \"{c14n}\": exclusive c14n expected"
                    ),
                );
            }
            if child(sig, NS_DS, "KeyInfo").is_none() {
                bad = true;
                sink.violation(
                    "DMP-VIHF-013",
                    sig,
                    msg!(
                        "ds:KeyInfo/X509Data/X509Certificate absent",
                        "Missing ds:KeyInfo/X509Data/X509Certificate"
                    ),
                );
            }
            if !bad {
                // The verification on the received envelope (XMLDSig §3.2 core validation).
                match xmldsig::verify(
                    sig,
                    &xmldsig::NoExternal,
                    &w.state.signature_trust,
                    w.state.now(),
                ) {
                    Err(e) => {
                        let whose = if e.is_config() { "" } else { " (DUI)" };
                        sink.violation(
                            "DMP-VIHF-013",
                            sig,
                            Msg::new(
                                format!("Signature du VIHF invalide{whose} : {}", e.fr()),
                                format!("Invalid VIHF signature{whose}: {e}"),
                            ),
                        );
                    }
                    // Signature wrapping: the one reference must designate this assertion.
                    Ok(v) if v.targets.as_slice() != [(format!("#{id}"), Some(a.id()))] => {
                        let e = xmldsig::DsigError::WrongTarget(uri.to_string());
                        sink.violation(
                            "DMP-VIHF-013",
                            sig,
                            Msg::new(
                                format!("Signature du VIHF invalide (DUI) : {}", e.fr()),
                                format!("Invalid VIHF signature (DUI): {e}"),
                            ),
                        );
                    }
                    Ok(_) => {}
                }
            }
            let alg = |name: &str| {
                sig.descendants()
                    .find(|n| n.is_element() && n.tag_name().name() == name)
                    .and_then(|n| n.attribute("Algorithm"))
                    .unwrap_or("")
            };
            let (sm, dm) = (alg("SignatureMethod"), alg("DigestMethod"));
            if sm != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
                || dm != "http://www.w3.org/2001/04/xmlenc#sha256"
            {
                sink.violation(
                    "DMP-VIHF-014",
                    sig,
                    msg!(
                        "Algorithmes de signature {sm} / {dm} : RSA-SHA256 / SHA-256 recommandés",
                        "Signature algorithms {sm} / {dm}: RSA-SHA256 / SHA-256 recommended"
                    ),
                );
            }
        }
    }
    // 015
    sink.check("DMP-VIHF-015");
    let name_id = child(a, NS_SAML2, "Subject").and_then(|s| child(s, NS_SAML2, "NameID"));
    if name_id.is_none_or(|n| text(n).is_empty()) {
        sink.violation(
            "DMP-VIHF-015",
            a,
            msg!(
                "Subject/NameID absent ou vide",
                "Subject/NameID missing or empty"
            ),
        );
    }
    match child(a, NS_SAML2, "AuthnStatement") {
        None => {
            sink.violation(
                "DMP-VIHF-015",
                a,
                msg!("AuthnStatement absent", "Missing AuthnStatement"),
            );
        }
        Some(s) => {
            if s.attribute("AuthnInstant").is_none() {
                sink.violation(
                    "DMP-VIHF-015",
                    s,
                    msg!(
                        "AuthnStatement sans @AuthnInstant",
                        "AuthnStatement without @AuthnInstant"
                    ),
                );
            }
            let cr = s
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "AuthnContextClassRef")
                .map(text)
                .unwrap_or("");
            if !cr.starts_with("urn:oasis:names:tc:SAML:2.0:ac:classes:") {
                sink.violation(
                    "DMP-VIHF-015",
                    s,
                    msg!("AuthnContextClassRef « {cr} » : urn:oasis:names:tc:SAML:2.0:ac:classes:… attendu", "AuthnContextClassRef \"{cr}\": urn:oasis:names:tc:SAML:2.0:ac:classes:… expected"),
                );
            }
            // DMP-VIHF-025 (informative): which authentication variant the DUI uses.
            let decl = s
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "AuthnContextDecl")
                .map(|n| {
                    n.descendants()
                        .filter(|t| t.is_text())
                        .filter_map(|t| t.text())
                        .collect::<String>()
                })
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            if decl.contains("APP_BROWSER_AUTH") {
                sink.info(
                    "DMP-VIHF-025",
                    s,
                    msg!(
                        "Authentification indirecte renforcée (AIR) : AuthnContextDecl APP_BROWSER_AUTH",
                        "Indirect reinforced authentication (AIR): AuthnContextDecl APP_BROWSER_AUTH"
                    ),
                );
            } else if cr == "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered" {
                sink.info(
                    "DMP-VIHF-025",
                    s,
                    msg!(
                        "Authentification par Pro Santé Connect (passerelle PSC) : AuthnContextClassRef MobileTwoFactorUnregistered",
                        "Authentication through Pro Santé Connect (PSC gateway): AuthnContextClassRef MobileTwoFactorUnregistered"
                    ),
                );
            } else {
                sink.info(
                    "DMP-VIHF-025",
                    s,
                    msg!(
                        "Authentification « {cr} » : ni AIR (APP_BROWSER_AUTH) ni Pro Santé Connect",
                        "Authentication \"{cr}\": neither AIR (APP_BROWSER_AUTH) nor Pro Santé Connect"
                    ),
                );
            }
        }
    }
    if let Some(c) = child(a, NS_SAML2, "Conditions") {
        if child(c, NS_SAML2, "AudienceRestriction").is_some() {
            sink.violation(
                "DMP-VIHF-015",
                c,
                msg!(
                    "Conditions/AudienceRestriction ne doit pas être présent",
                    "Conditions/AudienceRestriction must be absent"
                ),
            );
        }
        if let (Some(nb), Some(na)) = (c.attribute("NotBefore"), c.attribute("NotAfter")) {
            if nb >= na {
                sink.violation(
                    "DMP-VIHF-015",
                    c,
                    msg!(
                        "NotBefore {nb} ≥ NotAfter {na}",
                        "NotBefore {nb} ≥ NotAfter {na}"
                    ),
                );
            }
        }
    }
    // 016…024
    let attrs = vihf_attrs(a);
    let value = |name: &str| {
        attrs
            .iter()
            .find(|x| x.name == name)
            .and_then(|x| x.values.first())
            .map(|v| text(*v))
    };
    sink.check("DMP-VIHF-016");
    const MANDATORY: &[&str] = &[
        "VIHF_Version",
        "Secteur_Activite",
        "urn:oasis:names:tc:xacml:2.0:resource:resource-id",
        "Ressource_URN",
        "urn:oasis:names:tc:xspa:1.0:subject:subject-id",
        "Identifiant_Structure",
        "LPS_Nom",
        "LPS_Version",
        "LPS_ID_HOMOLOGATION_DMP",
        "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse",
        "urn:oasis:names:tc:xacml:2.0:subject:role",
    ];
    for m in MANDATORY {
        let present = attrs.iter().find(|x| x.name == *m).is_some_and(|x| {
            x.values
                .iter()
                .any(|v| !text(*v).is_empty() || v.has_children())
        });
        if !present {
            sink.violation(
                "DMP-VIHF-016",
                a,
                msg!(
                    "Attribut VIHF obligatoire « {m} » absent ou vide",
                    "Mandatory VIHF attribute \"{m}\" missing or empty"
                ),
            );
        }
    }
    let mode = attrs
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case("Authentification_Mode"));
    if mode.is_none() {
        sink.violation(
            "DMP-VIHF-016",
            a,
            msg!(
                "Attribut VIHF obligatoire « Authentification_Mode » absent",
                "Mandatory VIHF attribute \"Authentification_Mode\" missing"
            ),
        );
    }
    // 017
    if let Some(v) = value("VIHF_Version") {
        sink.check("DMP-VIHF-017");
        if v == "3.0" || v == "4.0" {
            sink.info(
                "DMP-VIHF-017",
                At::Nowhere,
                msg!(
                    "VIHF_Version {v} (C-01 : 3.0 et 4.0 acceptées)",
                    "VIHF_Version {v} (C-01: 3.0 and 4.0 accepted)"
                ),
            );
        } else {
            sink.violation(
                "DMP-VIHF-017",
                At::Nowhere,
                msg!(
                    "VIHF_Version « {v} » : 3.0 ou 4.0 attendue",
                    "VIHF_Version \"{v}\": 3.0 or 4.0 expected"
                ),
            );
        }
    }
    // 018 / 019
    if let Some(m) = mode {
        sink.check("DMP-VIHF-018");
        sink.check("DMP-VIHF-019");
        let v = m.values.first().map(|v| text(*v)).unwrap_or("");
        if !["DIRECTE", "INDIRECTE", "INDIRECTE_RENFORCEE"].contains(&v) {
            sink.violation(
                "DMP-VIHF-018",
                m.node,
                msg!(
                    "Authentification_Mode « {v} » : DIRECTE, INDIRECTE ou INDIRECTE_RENFORCEE",
                    "Authentification_Mode \"{v}\": DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE"
                ),
            );
        }
        if m.name != "Authentification_Mode" {
            sink.violation("DMP-VIHF-019", m.node, {
                let n = m.name;
                msg!(
                    "Nom d'attribut « {n} » : écrire Authentification_Mode (casse ANS)",
                    "Attribute name \"{n}\": write Authentification_Mode (ANS casing)"
                )
            });
        }
    }
    // 020
    if let Some(v) = value("Secteur_Activite") {
        sink.check("DMP-VIHF-020");
        let code = v.strip_suffix("^1.2.250.1.71.4.2.4");
        if !code.is_some_and(in_j61) {
            sink.violation("DMP-VIHF-020", At::Nowhere, msg!("Secteur_Activite « {v} » : code JDV_J61 (20240927120000) ^1.2.250.1.71.4.2.4 attendu, ex. SA41^1.2.250.1.71.4.2.4", "Secteur_Activite \"{v}\": JDV_J61 (20240927120000) code ^1.2.250.1.71.4.2.4 expected, e.g. SA41^1.2.250.1.71.4.2.4"));
        }
        // 027 (facility)
        if let (Some(c), Some(f)) = (code, w.state.facility_code.as_deref()) {
            sink.check("DMP-VIHF-027");
            if c != f {
                sink.violation(
                    "DMP-VIHF-027",
                    At::Nowhere,
                    msg!(
                        "Secteur_Activite {c} différent du code healthCareFacility du CDA {f}",
                        "Secteur_Activite {c} differs from the CDA healthCareFacility code {f}"
                    ),
                );
            }
        }
    }
    // 021
    sink.check("DMP-VIHF-021");
    if let Some(v) = value("Ressource_URN") {
        if v != "urn:dmp" {
            sink.violation(
                "DMP-VIHF-021",
                At::Nowhere,
                msg!(
                    "Ressource_URN « {v} » : urn:dmp attendu",
                    "Ressource_URN \"{v}\": urn:dmp expected"
                ),
            );
        }
    }
    if let Some(s) = value("Identifiant_Structure") {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '/') {
            sink.violation(
                "DMP-VIHF-021",
                At::Nowhere,
                msg!(
                    "Identifiant_Structure « {s} » : identifiant national de structure attendu",
                    "Identifiant_Structure \"{s}\": national structure id expected"
                ),
            );
        }
        if let Some(x) = w.state.author_institution_id.as_deref() {
            sink.check("DMP-VIHF-027");
            let bare = s.get(1..).unwrap_or("");
            if s != x && bare != x {
                sink.violation("DMP-VIHF-027", At::Nowhere, msg!("Identifiant_Structure {s} différent de l'authorInstitution de la soumission (XON.10 {x})", "Identifiant_Structure {s} differs from the submission authorInstitution (XON.10 {x})"));
            }
        }
    }
    if let Some(r) = value("urn:oasis:names:tc:xacml:2.0:resource:resource-id") {
        if !r.contains("^^^&") || !r.ends_with("&ISO^NH") {
            sink.violation(
                "DMP-VIHF-021",
                At::Nowhere,
                msg!(
                    "resource-id « {r} » : CX de l'INS attendu (<INS>^^^&<OID>&ISO^NH)",
                    "resource-id \"{r}\": INS CX expected (<INS>^^^&<OID>&ISO^NH)"
                ),
            )
            .personal(r);
        } else if let Some(p) = w.state.patient_id.as_deref() {
            if p != r {
                sink.violation(
                    "DMP-VIHF-021",
                    At::Nowhere,
                    msg!(
                        "resource-id « {r} » différent du patientId de la requête « {p} »",
                        "resource-id \"{r}\" differs from the request patientId \"{p}\""
                    ),
                )
                .personal(r)
                .personal(p);
            }
        }
    }
    // 022
    sink.check("DMP-VIHF-022");
    for n in [
        "urn:oasis:names:tc:xspa:1.0:subject:subject-id",
        "LPS_Nom",
        "LPS_Version",
        "LPS_ID_HOMOLOGATION_DMP",
        "LPS_ID",
    ] {
        if let Some(x) = attrs.iter().find(|x| x.name == n) {
            if x.values.first().is_none_or(|v| text(*v).is_empty()) {
                sink.violation(
                    "DMP-VIHF-022",
                    x.node,
                    msg!("Attribut {n} vide", "Empty attribute {n}"),
                );
            }
        }
    }
    // 023
    if let Some(p) = attrs
        .iter()
        .find(|x| x.name == "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse")
    {
        sink.check("DMP-VIHF-023");
        let pou = p
            .values
            .first()
            .and_then(|v| child(*v, NS_HL7, "PurposeOfUse"));
        let ok = pou.is_some_and(|e| {
            e.attribute("code") == Some("normal")
                && e.attribute("codeSystem") == Some("1.2.250.1.213.1.1.4.248")
        });
        if !ok {
            sink.violation("DMP-VIHF-023", p.node, msg!("purposeofuse : <PurposeOfUse xmlns=\"urn:hl7-org:v3\" code=\"normal\" codeSystem=\"1.2.250.1.213.1.1.4.248\"/> attendu", "purposeofuse: <PurposeOfUse xmlns=\"urn:hl7-org:v3\" code=\"normal\" codeSystem=\"1.2.250.1.213.1.1.4.248\"/> expected"));
        }
    }
    // 024 / 026
    if let Some(r) = attrs
        .iter()
        .find(|x| x.name == "urn:oasis:names:tc:xacml:2.0:subject:role")
    {
        sink.check("DMP-VIHF-024");
        sink.check("DMP-VIHF-026");
        let roles: Vec<_> = r
            .values
            .iter()
            .filter_map(|v| child(*v, NS_HL7, "Role"))
            .collect();
        match roles.first() {
            Some(first)
                if first.attribute("code").is_some() && first.attribute("codeSystem").is_some() => {
            }
            _ => {
                sink.violation("DMP-VIHF-024", r.node, msg!("Rôle : <Role xmlns=\"urn:hl7-org:v3\" xsi:type=\"CE\" code=… codeSystem=…/> attendu (JDV_J65)", "Role: <Role xmlns=\"urn:hl7-org:v3\" xsi:type=\"CE\" code=… codeSystem=…/> expected (JDV_J65)"));
            }
        }
        let j65 = catalogue::valueset("J65");
        for role in &roles {
            let (c, s) = (
                role.attribute("code").unwrap_or(""),
                role.attribute("codeSystem").unwrap_or(""),
            );
            if !c.is_empty() && !j65.contains_pair(c, s) {
                let l = j65.label();
                sink.violation(
                    "DMP-VIHF-026",
                    *role,
                    msg!("Rôle {c} ({s}) absent de {l}", "Role {c} ({s}) not in {l}"),
                );
            }
        }
        if let Some(first) = roles.first() {
            let c = first.attribute("code").unwrap_or("");
            if first.attribute("codeSystem") == Some("1.2.250.1.71.1.2.7")
                && (c == "10" || c == "21")
                && roles.len() < 2
            {
                sink.violation(
                    "DMP-VIHF-026",
                    r.node,
                    msg!(
                        "Rôle {c} (médecin/pharmacien) sans seconde occurrence (savoir-faire)",
                        "Role {c} (physician/pharmacist) without a second occurrence (specialty)"
                    ),
                );
            }
        }
    }
}

fn is_utc_datetime(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 20
        && v.ends_with('Z')
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
}

/// Compares two distinguished names on their RDNs, ignoring order, spacing and attribute-type case.
pub fn dn_equal(a: &str, b: &str) -> bool {
    fn rdns(s: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = s
            .split(',')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.trim().to_ascii_uppercase(), v.trim().to_string()))
            })
            .collect();
        v.sort();
        v
    }
    rdns(a) == rdns(b)
}

/// Registry-dependent facts of an ITI-41 for DMP-TX-011 and CDA-HDR-091.
#[derive(Debug, Clone, Default)]
pub struct ReplaceFacts {
    /// RPLC targets that are not the entryUUID of an approved entry of the registry.
    pub unknown_targets: Vec<String>,
    /// The RPLC targets the registry knows: the replaced entry and what its document said.
    pub replaced: Vec<ReplacedDoc>,
}

/// A document entry being replaced (the target of an RPLC association).
#[derive(Debug, Clone, Default)]
pub struct ReplacedDoc {
    /// Its entryUUID (the association's targetObject).
    pub entry_uuid: String,
    /// Its XDS uniqueId.
    pub unique_id: String,
    /// The version facts of its CDA, when the repository holds it and it parses.
    pub previous: Option<VersionFacts>,
}

/// An HL7 instance identifier (`root`, `extension`).
pub type InstanceIdent = (String, Option<String>);

/// What a replacement compares between two versions of a CDA (HL7 CDA R2 §4.2.1.7–4.2.1.8: a new version
/// has a new `id`, the same `setId`, `versionNumber` + 1, and points at the replaced `id` through
/// `relatedDocument[@typeCode='RPLC']/parentDocument/id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionFacts {
    /// `ClinicalDocument/id`.
    pub id: Option<InstanceIdent>,
    /// `ClinicalDocument/setId`.
    pub set_id: Option<InstanceIdent>,
    /// `ClinicalDocument/versionNumber/@value`.
    pub version_number: Option<String>,
    /// `relatedDocument[@typeCode='RPLC']/parentDocument/id`, each.
    pub replaces: Vec<InstanceIdent>,
}

impl VersionFacts {
    /// Reads them from a CDA's bytes (within `limits`); None when it is not a readable CDA.
    pub fn of(bytes: &[u8], limits: &crate::limits::Limits) -> Option<VersionFacts> {
        let text = crate::formats::xml::decode(bytes, limits).ok()?;
        let doc = crate::formats::xml::parse(&text, limits).ok()?;
        let root = doc.root_element();
        if root.tag_name().name() != "ClinicalDocument"
            || root.tag_name().namespace() != Some(NS_HL7)
        {
            return None;
        }
        fn hl7(n: Node<'_, '_>, name: &str) -> bool {
            n.is_element()
                && n.tag_name().namespace() == Some(NS_HL7)
                && n.tag_name().name() == name
        }
        fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
            n.children().find(|c| hl7(*c, name))
        }
        let ident = |n: Node<'_, '_>| -> Option<InstanceIdent> {
            n.attribute("root")
                .map(|r| (r.to_string(), n.attribute("extension").map(str::to_string)))
        };
        Some(VersionFacts {
            id: child(root, "id").and_then(ident),
            set_id: child(root, "setId").and_then(ident),
            version_number: child(root, "versionNumber")
                .and_then(|v| v.attribute("value"))
                .map(str::to_string),
            replaces: root
                .children()
                .filter(|c| hl7(*c, "relatedDocument") && c.attribute("typeCode") == Some("RPLC"))
                .filter_map(|r| child(r, "parentDocument"))
                .flat_map(|p| p.children().filter(|c| hl7(*c, "id")).filter_map(ident))
                .collect(),
        })
    }
}

/// `root` or `root^extension` (the two uniqueId forms of a CDA id the DMP accepts, C-08).
fn unique_id_forms((root, ext): &InstanceIdent) -> Vec<String> {
    let mut v = vec![root.clone()];
    if let Some(x) = ext {
        v.push(format!("{root}^{x}"));
    }
    v
}

fn show((root, ext): &InstanceIdent) -> String {
    match ext {
        Some(x) => format!("{root}^{x}"),
        None => root.clone(),
    }
}

/// The document side of a replacement (DMP-TX-011: the new CDA names the replaced uniqueId as its RPLC
/// parent; CDA-HDR-091: a new id, the same setId, versionNumber + 1). `docs` are the submission's
/// document bytes by DocumentEntry id.
pub fn check_replacement(
    sub: &fxds::Submission<'_, '_>,
    docs: &std::collections::HashMap<String, bytes::Bytes>,
    replace: &ReplaceFacts,
    limits: &crate::limits::Limits,
    sink: &mut Sink,
) {
    const RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";
    let mut compared = false;
    for a in sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(RPLC))
    {
        let (source, target) = (a.source.unwrap_or(""), a.target.unwrap_or(""));
        let Some(old) = replace.replaced.iter().find(|r| r.entry_uuid == target) else {
            continue; // unknown target: DMP-TX-011's metadata violation already says so
        };
        let Some(new) = docs.get(source).and_then(|b| VersionFacts::of(b, limits)) else {
            continue; // no readable CDA: its own findings say why
        };
        // DMP-TX-011, document side.
        let named = new
            .replaces
            .iter()
            .any(|p| unique_id_forms(p).contains(&old.unique_id));
        if !named {
            let got = if new.replaces.is_empty() {
                "aucun relatedDocument[@typeCode='RPLC']".to_string()
            } else {
                new.replaces.iter().map(show).collect::<Vec<_>>().join(", ")
            };
            let got_en = got.replace("aucun", "no");
            let u = &old.unique_id;
            sink.violation(
                "DMP-TX-011",
                a.node,
                msg!(
                    "Le CDA de remplacement doit porter relatedDocument[@typeCode='RPLC']/parentDocument/id = uniqueId remplacé « {u} » ; trouvé : {got}",
                    "The replacing CDA must carry relatedDocument[@typeCode='RPLC']/parentDocument/id = the replaced uniqueId \"{u}\"; found: {got_en}"
                ),
            );
        }
        // CDA-HDR-091: the two versions.
        let Some(prev) = &old.previous else { continue };
        compared = true;
        sink.check("CDA-HDR-091");
        if new.id.is_some() && new.id == prev.id {
            let id = new.id.as_ref().map(show).unwrap_or_default();
            sink.violation(
                "CDA-HDR-091",
                a.node,
                msg!(
                    "La nouvelle version garde l'id du document remplacé ({id}) : une nouvelle version a un nouvel id",
                    "The new version keeps the replaced document's id ({id}): a new version has a new id"
                ),
            );
        }
        if new.set_id != prev.set_id {
            let (n, o) = (
                new.set_id
                    .as_ref()
                    .map(show)
                    .unwrap_or_else(|| "absent".into()),
                prev.set_id
                    .as_ref()
                    .map(show)
                    .unwrap_or_else(|| "absent".into()),
            );
            sink.violation(
                "CDA-HDR-091",
                a.node,
                msg!(
                    "setId « {n} » ≠ setId de la version remplacée « {o} » : les versions d'un document partagent le setId (CDA R2 §4.2.1.7)",
                    "setId \"{n}\" ≠ the replaced version's setId \"{o}\": the versions of a document share the setId (CDA R2 §4.2.1.7)"
                ),
            );
        }
        let num = |v: &Option<String>| v.as_deref().and_then(|s| s.trim().parse::<u64>().ok());
        match (num(&prev.version_number), num(&new.version_number)) {
            (Some(p), Some(n)) if n == p + 1 => {}
            (p, n) => {
                let show_n = |v: Option<u64>| {
                    v.map_or_else(|| "absent ou non entier".to_string(), |x| x.to_string())
                };
                let show_e = |v: Option<u64>| {
                    v.map_or_else(|| "absent or not an integer".to_string(), |x| x.to_string())
                };
                let (pf, nf, pe, ne) = (show_n(p), show_n(n), show_e(p), show_e(n));
                sink.violation(
                    "CDA-HDR-091",
                    a.node,
                    msg!(
                        "versionNumber {nf} : attendu celui de la version remplacée ({pf}) + 1 (entier incrémenté de 1 à chaque version)",
                        "versionNumber {ne}: the replaced version's ({pe}) + 1 expected (an integer incremented by 1 at each version)"
                    ),
                );
            }
        }
    }
    if !compared {
        sink.not_applicable(
            "CDA-HDR-091",
            msg!(
                "Pas de remplacement d'un document que le DMP détient",
                "No replacement of a document the DMP holds"
            ),
        );
    }
}

/// DMP-TX-011/016/017 and XDS-UUID-012 on the metadata of an ITI-41.
pub fn check_iti41_metadata(
    sub: &fxds::Submission<'_, '_>,
    replace: &ReplaceFacts,
    sink: &mut Sink,
) {
    const SIGNS: &str = "urn:ihe:iti:2007:AssociationType:signs";
    const RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";
    const UPDATE: &str = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
    sink.check("XDS-UUID-012");
    for a in &sub.associations {
        let t = a.assoc_type.unwrap_or("");
        if ![uuid::HAS_MEMBER, RPLC, SIGNS, UPDATE].contains(&t) {
            sink.violation(
                "XDS-UUID-012",
                a.node,
                msg!(
                    "Type d'association « {t} » non utilisé par le DMP",
                    "Association type \"{t}\" not used by the DMP"
                ),
            );
        }
    }
    // DMP-TX-011
    let rplc: Vec<_> = sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(RPLC))
        .collect();
    if rplc.is_empty() {
        sink.not_applicable(
            "DMP-TX-011",
            msg!(
                "Pas de remplacement (association RPLC)",
                "No replacement (RPLC association)"
            ),
        );
    } else {
        sink.check("DMP-TX-011");
        let entry_ids: Vec<&str> = sub.entries.iter().filter_map(|e| e.id).collect();
        for a in rplc {
            let (s, t) = (a.source.unwrap_or(""), a.target.unwrap_or(""));
            if !entry_ids.contains(&s) {
                sink.violation(
                    "DMP-TX-011",
                    a.node,
                    msg!(
                        "RPLC sourceObject « {s} » n'est pas une fiche de la soumission",
                        "RPLC sourceObject \"{s}\" is not an entry of the submission"
                    ),
                );
            }
            if replace.unknown_targets.iter().any(|u| u == t) {
                sink.violation("DMP-TX-011", a.node, msg!("RPLC targetObject « {t} » n'est l'entryUUID d'aucune fiche approuvée du DMP (obtenir l'entryUUID par ITI-18)", "RPLC targetObject \"{t}\" is the entryUUID of no approved DMP entry (get the entryUUID through ITI-18)"));
            }
        }
    }
    // DMP-TX-016 / 017: the XAdES signature entry of the submission set.
    sink.check("DMP-TX-016");
    let ss_id = sub
        .submission_sets()
        .first()
        .and_then(|s| s.id)
        .unwrap_or("");
    let signs: Vec<_> = sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(SIGNS))
        .collect();
    let sig_entry = signs.iter().find_map(|a| {
        (a.target == Some(ss_id))
            .then(|| {
                sub.entries
                    .iter()
                    .find(|e| e.id.is_some() && e.id == a.source)
            })
            .flatten()
    });
    let Some(e) = sig_entry else {
        sink.violation(
            "DMP-TX-016",
            sub.request,
            Msg::new(NO_XADES_ENTRY.0.to_string(), NO_XADES_ENTRY.1.to_string()),
        );
        sink.not_applicable(
            "DMP-TX-017",
            msg!("Pas de fiche de signature", "No signature entry"),
        );
        return;
    };
    let code = |scheme: &str| {
        e.classified(scheme)
            .first()
            .and_then(|c| c.code)
            .unwrap_or("")
            .to_string()
    };
    let expect = [
        (
            uuid::DE_CLASS,
            "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1",
            "classCode",
        ),
        (uuid::DE_TYPE, "E1762", "typeCode"),
        (uuid::DE_EVENT, "1.2.840.10065.1.12.1.14", "eventCodeList"),
    ];
    for (scheme, want, name) in expect {
        let got = code(scheme);
        if got != want {
            sink.violation(
                "DMP-TX-016",
                e.node,
                msg!(
                    "Fiche de signature : {name} « {got} », « {want} » attendu",
                    "Signature entry: {name} \"{got}\", \"{want}\" expected"
                ),
            );
        }
    }
    if e.mime_type != Some("text/xml") {
        let m = e.mime_type.unwrap_or("");
        sink.violation(
            "DMP-TX-016",
            e.node,
            msg!(
                "Fiche de signature : mimeType « {m} », text/xml attendu",
                "Signature entry: mimeType \"{m}\", text/xml expected"
            ),
        );
    }
    let lang = e.slot("languageCode").and_then(|s| s.first()).unwrap_or("");
    if lang != "art" {
        sink.violation(
            "DMP-TX-016",
            e.node,
            msg!(
                "Fiche de signature : languageCode « {lang} », art attendu",
                "Signature entry: languageCode \"{lang}\", art expected"
            ),
        );
    }
    sink.check("DMP-TX-017");
    let f = code(uuid::DE_FORMAT);
    match f.as_str() {
        "urn:ihe:iti:dsg:detached:2014" | "http://www.w3.org/2000/09/xmldsig#" => {
            sink.info(
                "DMP-TX-017",
                At::Nowhere,
                msg!(
                    "formatCode de la fiche de signature : {f} (C-21)",
                    "Signature entry formatCode: {f} (C-21)"
                ),
            );
        }
        _ => {
            sink.violation("DMP-TX-017", e.node, msg!("formatCode de la fiche de signature « {f} » : urn:ihe:iti:dsg:detached:2014 ou http://www.w3.org/2000/09/xmldsig# (JDV_J60)", "Signature entry formatCode \"{f}\": urn:ihe:iti:dsg:detached:2014 or http://www.w3.org/2000/09/xmldsig# (JDV_J60)"));
        }
    }
}

/// DMP-TX-016: the XAdES signature document of the signature entry, verified against the documents of the
/// submission (IHE DSG detached signature, [`xmldsig::dsg`]): SignedInfo, the signer certificate against the
/// configured CA, each manifest digest against the document bytes as received, every document covered, the
/// SubmissionSet named, SigningTime. `docs` are the bytes of each `xdsb:Document` by id. Nothing is
/// reported when there is no signature entry (that is [`check_iti41_metadata`]'s violation).
pub fn check_xades<D: AsRef<[u8]>>(
    sub: &fxds::Submission<'_, '_>,
    docs: &std::collections::HashMap<String, D>,
    state: &StateFacts,
    sink: &mut Sink,
) {
    let Some(sig_id) = signature_entry_id(sub) else {
        return;
    };
    let Some(entry) = sub.entries.iter().find(|e| e.id == Some(sig_id)) else {
        return;
    };
    let mut fail = |fr: String, en: String| {
        sink.violation("DMP-TX-016", entry.node, Msg::new(fr, en));
    };
    let Some(bytes) = docs.get(sig_id).map(AsRef::as_ref) else {
        fail(
            format!("Fiche de signature {sig_id} : pas de document de signature (xdsb:Document) dans la requête"),
            format!("Signature entry {sig_id}: no signature document (xdsb:Document) in the request"),
        );
        return;
    };
    let ss_uid = sub.submission_set_unique_id();
    let mut signed = Vec::new();
    for e in sub.entries.iter().filter(|e| e.id != Some(sig_id)) {
        let uid = e
            .identified(fxds::uuid::DE_UNIQUE_ID)
            .first()
            .and_then(|x| x.value)
            .unwrap_or("");
        // A missing document or uniqueId is XDS-*'s finding; the signature covers what is there.
        if let (false, Some(b)) = (uid.is_empty(), e.id.and_then(|i| docs.get(i))) {
            signed.push(xmldsig::dsg::SignedDoc {
                unique_id: uid,
                bytes: b.as_ref(),
            });
        }
    }
    let limits = crate::limits::Limits::default();
    let text = match crate::formats::xml::decode(bytes, &limits) {
        Ok(t) => t,
        Err(e) => {
            fail(
                format!("Document de signature XAdES illisible (DUI) : {e}"),
                format!("Unreadable XAdES signature document (DUI): {e}"),
            );
            return;
        }
    };
    let doc = match crate::formats::xml::parse(&text, &limits) {
        Ok(d) => d,
        Err(e) => {
            fail(
                format!("Document de signature XAdES illisible (DUI) : {e}"),
                format!("Unreadable XAdES signature document (DUI): {e}"),
            );
            return;
        }
    };
    match xmldsig::dsg::verify_detached(&doc, ss_uid, &signed, &state.signature_trust, state.now())
    {
        Ok(_) => {}
        Err(e) => {
            let whose = if matches!(&e, xmldsig::dsg::DsgError::Dsig(d) if d.is_config()) {
                ""
            } else {
                " (DUI)"
            };
            fail(
                format!("Signature XAdES du lot invalide{whose} : {}", e.fr()),
                format!("Invalid XAdES signature of the submission set{whose}: {e}"),
            );
        }
    }
}

/// The id of the XAdES signature entry of a submission, if any (source of a `signs` association to the
/// SubmissionSet).
pub fn signature_entry_id<'a>(sub: &fxds::Submission<'a, '_>) -> Option<&'a str> {
    let ss_id = sub.submission_sets().first().and_then(|s| s.id)?;
    sub.associations
        .iter()
        .find(|a| {
            a.assoc_type == Some("urn:ihe:iti:2007:AssociationType:signs")
                && a.target == Some(ss_id)
        })
        .and_then(|a| a.source)
}

/// Status values of DMP-TX-013.
pub mod status {
    /// Approved.
    pub const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
    /// Deprecated (replaced).
    pub const DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
    /// Archived (DMP).
    pub const ARCHIVED: &str = "urn:asip:ci-sis:2010:StatusType:Archived";
    /// Deleted (DMP).
    pub const DELETED: &str = "urn:asip:ci-sis:2010:StatusType:Deleted";
    /// Every status.
    pub const ALL: &[&str] = &[APPROVED, DEPRECATED, ARCHIVED, DELETED];
}

/// One status change of an ITI-57 (an `UpdateAvailabilityStatus` association).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// targetObject (an entryUUID).
    pub target: String,
    /// `OriginalStatus` slot.
    pub original: String,
    /// `NewStatus` slot.
    pub new: String,
}

/// Registry facts for an ITI-57 (DMP-TX-014): targets that are not a current entryUUID.
#[derive(Debug, Clone, Default)]
pub struct UpdateFacts {
    /// Targets naming a uniqueId instead of an entryUUID.
    pub unique_id_targets: Vec<String>,
    /// Targets naming no entry, or an entry whose status is not the OriginalStatus.
    pub stale_targets: Vec<String>,
}

/// DMP-TX-013/014 on the metadata of an ITI-57.
pub fn check_iti57(
    sub: &fxds::Submission<'_, '_>,
    facts: &UpdateFacts,
    sink: &mut Sink,
) -> Vec<StatusChange> {
    const UPDATE: &str = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
    let mut out = Vec::new();
    for a in sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some(UPDATE))
    {
        sink.check("DMP-TX-013");
        let o = a
            .slot("OriginalStatus")
            .and_then(|s| s.first())
            .unwrap_or("")
            .to_string();
        let n = a
            .slot("NewStatus")
            .and_then(|s| s.first())
            .unwrap_or("")
            .to_string();
        for (name, v) in [("OriginalStatus", &o), ("NewStatus", &n)] {
            if !status::ALL.contains(&v.as_str()) {
                sink.violation("DMP-TX-013", a.node, {
                    let all = status::ALL.join(", ");
                    msg!(
                        "Slot {name} « {v} » : statut ebRIM ou DMP attendu ({all})",
                        "Slot {name} \"{v}\": ebRIM or DMP status expected ({all})"
                    )
                });
            }
        }
        let t = a.target.unwrap_or("").to_string();
        sink.check("DMP-TX-014");
        if facts.unique_id_targets.contains(&t) {
            sink.violation("DMP-TX-014", a.node, msg!("targetObject « {t} » est un uniqueId : l'entryUUID (obtenu par ITI-18) est attendu", "targetObject \"{t}\" is a uniqueId: the entryUUID (from ITI-18) is expected"));
        } else if facts.stale_targets.contains(&t) {
            sink.violation("DMP-TX-014", a.node, msg!("targetObject « {t} » : aucune fiche courante avec cet entryUUID et ce statut d'origine", "targetObject \"{t}\": no current entry with this entryUUID and original status"));
        }
        out.push(StatusChange {
            target: t,
            original: o,
            new: n,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(xml: &str) -> Vec<(String, crate::model::Verdict)> {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        let mut sink = Sink::new();
        check_registry_response(doc.root_element(), &mut sink);
        sink.finish()
            .into_iter()
            .map(|f| (f.message.en, f.verdict))
            .collect()
    }

    fn fails(xml: &str) -> Vec<String> {
        verdicts(xml)
            .into_iter()
            .filter(|(_, v)| *v == crate::model::Verdict::Fail)
            .map(|(m, _)| m)
            .collect()
    }

    const RS: &str = "xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\"";
    const ST: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:";
    const SEV: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:";

    #[test]
    fn registry_responses_in_the_ihe_shape_pass() {
        assert!(fails(&format!(
            "<rs:RegistryResponse {RS} status=\"{ST}Success\"/>"
        ))
        .is_empty());
        let failure = format!(
            "<rs:RegistryResponse {RS} status=\"{ST}Failure\"><rs:RegistryErrorList>\
             <rs:RegistryError errorCode=\"XDSRegistryMetadataError\" codeContext=\"x\" severity=\"{SEV}Error\"/>\
             </rs:RegistryErrorList></rs:RegistryResponse>"
        );
        assert!(fails(&failure).is_empty());
        let query = format!(
            "<q:AdhocQueryResponse xmlns:q=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" status=\"{ST}PartialSuccess\"/>"
        );
        assert!(fails(&query).is_empty());
    }

    #[test]
    fn registry_responses_out_of_shape_fail() {
        let f = fails(&format!("<rs:RegistryResponse {RS} status=\"Success\"/>"));
        assert!(f.len() == 1 && f[0].contains("@status"), "{f:?}");
        let f = fails(&format!(
            "<rs:RegistryResponse {RS} status=\"{ST}Failure\"><rs:RegistryErrorList>\
             <rs:RegistryError errorCode=\"X\" severity=\"Error\"/></rs:RegistryErrorList></rs:RegistryResponse>"
        ));
        assert!(f.iter().any(|m| m.contains("@codeContext")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("@severity")), "{f:?}");
        assert!(
            f.iter().any(|m| m.contains("Failure response without")),
            "{f:?}"
        );
        let f = fails("<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"/>");
        assert!(
            f.len() == 1 && f[0].contains("No registry response"),
            "{f:?}"
        );
    }
}
