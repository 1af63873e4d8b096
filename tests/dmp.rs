//! The DMP simulator against real peers: curl (MTOM ITI-41 with a client certificate), openssl s_client
//! (no client certificate: refused), a python3 `http.client` + `ssl` client (deposit → FindDocuments →
//! retrieve → ITI-57 mask → FindDocuments), one request per DMP-SOAP / DMP-VIHF / DMP-TX rule with the
//! finding and the IHE error it must give, fault injection, SIGKILL and restart on the same state.
//!
//! The server runs in-process on 127.0.0.1:0 with a temp state dir and a `Pki::init` temp PKI. A test
//! that needs a tool skips with a message when it is absent (`.ci/run` installs curl, openssl, python3).
//! Debug with `cargo test --test tests dmp -- --nocapture`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use dui_conform::checks::dmp::Transaction;
use dui_conform::pki::Pki;
use dui_conform::sim::dmp::handler::{Handler, Outcome};
use dui_conform::sim::dmp::wire::HttpRequest;
use dui_conform::sim::dmp::{self, Config, Fault, Matcher, Peer, Running};

use dui_conform::xmldsig::iti41::sign_iti41;
use dui_conform::xmldsig::sign::{sign_enveloped, Placement, SigningKey};
use dui_conform::xmldsig::Trust;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::util::root;

/// The Content-Type of the fixture (its boundary and root part).
pub const MTOM_CT: &str = "multipart/related; type=\"application/xop+xml\"; boundary=\"MIMEBoundary_dui_conform_0001\"; start=\"<0.root@dui-conform.example.org>\"; start-info=\"application/soap+xml\"; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"";
/// The uuid shared by the fixture's wsa:MessageID and VIHF Assertion/@ID.
const FIXTURE_UUID: &str = "0b9f6c1e-5d8a-4e1f-9b3c-2a7d4e6f8a01";
/// The CDA uniqueId of the fixture (= CDA id/@root).
const FIXTURE_UID: &str = "1.2.250.1.213.4.99.1.20260315101500.2";
/// The SubmissionSet uniqueId of the fixture.
const FIXTURE_SET_UID: &str = "1.2.250.1.213.4.99.3.20260315093000";
/// Its patient.
const PATIENT: &str = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH";

pub fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIP: `{tool}` not found (.ci/run installs it)");
    }
    ok
}

/// The valid ITI-41 (VIHF + XAdES entry), fixtures/dmp/iti41-valid.mtom.
pub fn fixture() -> Vec<u8> {
    std::fs::read(root().join("fixtures/dmp/iti41-valid.mtom")).expect("fixture")
}

/// A copy with fresh wsa:MessageID and Assertion/@ID (both unique per request, DMP-SOAP-012, DMP-VIHF-010),
/// re-signed with the fixture key when the VIHF was signed (an MTOM ITI-41: XAdES of the submission set, then
/// the VIHF; a plain SOAP request: the VIHF), so that a request derived from the fixture stays validly
/// signed. A request without VIHF signature stays unsigned (the DMP-VIHF-013 cases).
pub fn fresh(b: &[u8]) -> Vec<u8> {
    let u = uuid::Uuid::new_v4().to_string();
    resign(&replace(b, FIXTURE_UUID, &u))
}

/// The fixture signing key: the VIHF seal key and certificate (issued by fixtures/dmp/signing-ca.pem).
pub fn fixture_key() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let f = |n: &str| std::fs::read(root().join("fixtures/dmp").join(n)).expect("fixture key");
        SigningKey::from_pem(&f("vihf-seal-key.pem"), &f("vihf-seal-cert.pem")).expect("key")
    })
}

/// The CA of the fixture signatures.
pub fn fixture_ca() -> Vec<u8> {
    std::fs::read(root().join("fixtures/dmp/signing-ca.pem")).expect("fixture ca")
}

pub fn fixture_trust(extra: Vec<CertificateDer<'static>>) -> Arc<Trust> {
    let mut anchors = extra;
    anchors.push(CertificateDer::from_pem_slice(&fixture_ca()).expect("ca"));
    Arc::new(Trust::new(anchors))
}

/// Appends the fixture signing CA to a PKI folder's ca.pem (created if missing), so that a `serve` on that
/// folder accepts the fixture's signatures.
pub fn trust_fixture_ca(pki_dir: &Path) {
    Pki::init(pki_dir).expect("pki");
    let p = pki_dir.join("ca.pem");
    let mut ca = std::fs::read(&p).expect("ca.pem");
    ca.extend_from_slice(&fixture_ca());
    std::fs::write(&p, ca).expect("ca.pem");
}

/// Re-signs a request derived from the fixture (see [`fresh`]); unchanged when its VIHF is unsigned.
pub fn resign(b: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(b);
    let vihf_signed = s.find("<saml2:Assertion").is_some_and(|a| {
        s[a..]
            .find("<ds:Signature")
            .is_some_and(|i| s[a..].find("</saml2:Assertion>").is_some_and(|e| i < e))
    });
    if !vihf_signed {
        return b.to_vec();
    }
    if s.contains("--MIMEBoundary_dui_conform_0001") {
        sign_iti41(b, MTOM_CT, fixture_key(), "2026-03-15T09:30:00Z").expect("sign ITI-41")
    } else {
        let id = s
            .split("<saml2:Assertion")
            .nth(1)
            .and_then(|t| t.split("ID=\"").nth(1))
            .and_then(|t| t.split('"').next())
            .expect("assertion id")
            .to_string();
        sign_enveloped(&s, &id, Placement::AfterFirstChildElement, fixture_key())
            .expect("sign VIHF")
            .into_bytes()
    }
}

pub fn replace(b: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(b.to_vec()).expect("utf-8 fixture");
    s.replace(from, to).into_bytes()
}

fn sha1_hex(b: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(b))
}

/// A deposit of another document: uniqueId `FIXTURE_UID.<n>` in the metadata and the CDA, the CDA padded
/// to at least `pad` bytes with an XML comment, hash and size recomputed; fresh ids.
pub fn variant(n: u64, pad: usize) -> (Vec<u8>, String) {
    let uid = format!("{FIXTURE_UID}{n}");
    let base = fixture();
    let s = String::from_utf8(base).expect("utf-8");
    let old_doc = cda_part(s.as_bytes());
    let old_hash = sha1_hex(&old_doc);
    let old_size = old_doc.len();
    let s = s
        .replace(&format!("{FIXTURE_UID}\""), &format!("{uid}\""))
        .replace(&format!("{FIXTURE_UID}.1\""), &format!("{uid}.1\""))
        // Each deposit its own SubmissionSet uniqueId (the registry refuses a duplicate).
        .replace(
            &format!("{FIXTURE_SET_UID}\""),
            &format!("{FIXTURE_SET_UID}{n}\""),
        );
    let doc_uid = String::from_utf8(old_doc.clone())
        .expect("utf-8 cda")
        .replace(&format!("{FIXTURE_UID}\""), &format!("{uid}\""));
    let doc_new = {
        let mut d = doc_uid.clone();
        if d.len() < pad {
            let fill = "x".repeat(pad - d.len());
            d = d.replacen(
                "</ClinicalDocument>",
                &format!("<!-- {fill} --></ClinicalDocument>"),
                1,
            );
        }
        d
    };
    let s = s.replacen(&doc_uid, &doc_new, 1);
    // The CDA as modified in the metadata (the uniqueId replacement above already touched it).
    let s = s
        .replacen(&old_hash, &sha1_hex(doc_new.as_bytes()), 1)
        .replacen(
            &format!("<rim:Value>{old_size}</rim:Value>"),
            &format!("<rim:Value>{}</rim:Value>", doc_new.len()),
            1,
        );
    (fresh(s.as_bytes()), uid)
}

/// A deposit (as [`variant`] `n`) that replaces the entry `target_uuid` whose uniqueId is `old_uid`
/// (TD2.1, DMP-TX-011): an RPLC association to the entryUUID, and a CDA that is the next version —
/// `relatedDocument[@typeCode='RPLC']/parentDocument/id` = the old id, the same setId, `versionNumber`
/// `version`. `edit` changes the new CDA further (to break a rule).
pub fn replacement(
    n: u64,
    old_uid: &str,
    target_uuid: &str,
    version: u32,
    edit: impl Fn(String) -> String,
) -> (Vec<u8>, String) {
    let (d, uid) = variant(n, 0);
    let d = with_cda(&d, |c| {
        edit(
            c.replacen(
                "<versionNumber value=\"1\"/>",
                &format!("<versionNumber value=\"{version}\"/>"),
                1,
            )
            .replacen(
                "<component>",
                &format!(
                    "<relatedDocument typeCode=\"RPLC\"><parentDocument><id root=\"{old_uid}\"/></parentDocument></relatedDocument>\n\t<component>"
                ),
                1,
            ),
        )
    });
    let d = replace(
        &d,
        "<rim:Association id=\"as-sig-signs\"",
        &format!(
            "<rim:Association id=\"as-rplc\" associationType=\"urn:ihe:iti:2007:AssociationType:RPLC\" \
             sourceObject=\"Document01\" targetObject=\"{target_uuid}\"/><rim:Association id=\"as-sig-signs\""
        ),
    );
    (fresh(&d), uid)
}

/// The CDA part's bytes as the server reads them.
pub fn cda_part(b: &[u8]) -> Vec<u8> {
    let limits = dui_conform::limits::Limits::default();
    let mut cap = format!("Content-Type: {MTOM_CT}\r\n\r\n").into_bytes();
    cap.extend_from_slice(b);
    let c = dui_conform::formats::xds::parse_capture(&cap, &limits).expect("capture");
    c.part("1.Document01@dui-conform.example.org")
        .expect("cda part")
        .body
        .to_vec()
}

/// A running simulator with its PKI and state.
pub struct Sim {
    pub rt: tokio::runtime::Runtime,
    pub running: Option<Running>,
    pub pki: Pki,
    pub state: PathBuf,
    pub _dir: tempfile::TempDir,
}

impl Sim {
    pub fn start(unsigned_ok: bool) -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        Sim::start_in(dir, state, unsigned_ok)
    }

    pub fn start_in(dir: tempfile::TempDir, state: PathBuf, unsigned_ok: bool) -> Sim {
        Sim::start_with(dir, state, |c| c.unsigned_ok = unsigned_ok)
    }

    pub fn start_with(
        dir: tempfile::TempDir,
        state: PathBuf,
        tune: impl FnOnce(&mut Config),
    ) -> Sim {
        let pki = Pki::init(&dir.path().join("pki")).expect("pki");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut cfg = Config::new(&state);
        cfg.signature_trust = fixture_trust(pki.ca_certs().expect("ca"));
        tune(&mut cfg);
        let tls = pki.server_config(true).expect("server config");
        let running = rt
            .block_on(dmp::start("127.0.0.1:0".parse().expect("addr"), cfg, tls))
            .expect("start");
        Sim {
            rt,
            running: Some(running),
            pki,
            state,
            _dir: dir,
        }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub fn addr(&self) -> SocketAddr {
        self.running().addr
    }

    pub fn url(&self, tx: Transaction) -> String {
        self.running().url(tx)
    }

    pub fn findings(&self) -> String {
        std::fs::read_to_string(self.state.join("findings.jsonl")).unwrap_or_default()
    }

    /// Stops the server; the returned temp dir keeps the state until dropped.
    pub fn stop(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop());
        }
        self._dir
    }
}

/// A blocking HTTPS/1.1 client with keep-alive (rustls), for the tests and the load generator.
pub struct Client {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

/// A response: status, Content-Type, body.
#[allow(dead_code)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

impl Client {
    pub fn connect(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) -> std::io::Result<Client> {
        let sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let conn = rustls::ClientConnection::new(cfg, name).map_err(std::io::Error::other)?;
        Ok(Client {
            tls: rustls::StreamOwned::new(conn, sock),
        })
    }

    /// Writes raw bytes on the TLS stream (hostile-peer tests).
    pub fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }

    pub fn post(&mut self, path: &str, ct: &str, body: &[u8]) -> std::io::Result<Resp> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        self.tls.write_all(&req)?;
        self.tls.flush()?;
        // Head.
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            let n = self.tls.read(&mut byte)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            buf.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&buf).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap_or(0);
        let mut body = vec![0u8; len];
        self.tls.read_exact(&mut body)?;
        Ok(Resp {
            status,
            content_type: header("content-type"),
            body,
        })
    }
}

/// A FindDocuments request (SOAP 1.2, with the fixture's VIHF).
pub fn find_documents(confidentiality: Option<&str>) -> Vec<u8> {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let sec_start = fx.find("<wsse:Security").expect("vihf");
    let sec_end = fx.find("</wsse:Security>").expect("vihf end") + "</wsse:Security>".len();
    let vihf = &fx[sec_start..sec_end];
    let conf = confidentiality
        .map(|c| format!("<rim:Slot name=\"$XDSDocumentEntryConfidentialityCode\"><rim:ValueList><rim:Value>('{c}^^1.2.250.1.213.1.1.4.13')</rim:Value></rim:ValueList></rim:Slot>"))
        .unwrap_or_default();
    let x = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">urn:ihe:iti:2007:RegistryStoredQuery</wsa:Action><wsa:MessageID>urn:uuid:{FIXTURE_UUID}</wsa:MessageID><wsa:To>https://localhost/dmp/registry</wsa:To>{vihf}</soap:Header><soap:Body><query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/><rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"><rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'{}'</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>{conf}</rim:AdhocQuery></query:AdhocQueryRequest></soap:Body></soap:Envelope>"#,
        PATIENT.replace('&', "&amp;")
    );
    fresh(x.as_bytes())
}

/// A TD0.2 existence test (HL7v3 `PRPA_IN201307UV02`, shaped as DRIMbox's `VerifyAuthorizationRequest`)
/// for the fixture's patient, with the fixture's VIHF and fresh ids, re-signed. `reason` replaces
/// `TEST_EXST` (to break DMP-TX-015).
pub fn td02(reason: &str) -> Vec<u8> {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let sec_start = fx.find("<wsse:Security").expect("vihf");
    let sec_end = fx.find("</wsse:Security>").expect("vihf end") + "</wsse:Security>".len();
    let vihf = &fx[sec_start..sec_end];
    let x = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">urn:hl7-org:v3:PRPA_IN201307UV02</wsa:Action><wsa:MessageID>urn:uuid:{FIXTURE_UUID}</wsa:MessageID><wsa:To>https://localhost/dmp/patients</wsa:To>{vihf}</soap:Header><soap:Body><PRPA_IN201307UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0"><id root="1.2.250.1.213.4.99.9" extension="td02-1"/><creationTime value="20260315093000"/><interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201307UV02"/><processingCode code="D"/><processingModeCode code="T"/><acceptAckCode code="AL"/><receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE"><id root="1.2.250.1.213.4.1.1.1"/><softwareName>DMP</softwareName></device></receiver><sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE"><id root="1.2.250.1.213.4.99"/><softwareName>DUI de test</softwareName></device></sender><controlActProcess classCode="CACT" moodCode="EVN"><reasonCode code="{reason}" codeSystem="1.2.250.1.213.1.1.4.11" displayName="Test d'existence de dossier"/><queryByParameter><queryId root="1.2.250.1.213.4.99.9" extension="q-1"/><statusCode code="new"/><parameterList><patientIdentifier><value root="1.2.250.1.213.1.4.10" extension="279035121518989"/><semanticsText>Patient.id</semanticsText></patientIdentifier></parameterList></queryByParameter></controlActProcess></PRPA_IN201307UV02></soap:Body></soap:Envelope>"#
    );
    fresh(x.as_bytes())
}

/// DMP-ERR-010 failures (English messages) of a registry answer's SOAP part.
pub fn registry_answer_failures(xml: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return vec!["not well-formed XML".into()];
    };
    let mut sink = dui_conform::checks::Sink::new();
    dui_conform::checks::dmp::check_registry_response(doc.root_element(), &mut sink);
    sink.finish()
        .into_iter()
        .filter(|f| f.verdict == dui_conform::model::Verdict::Fail)
        .map(|f| f.message.en)
        .collect()
}

/// The peer the handler-level tests pretend to be (mutual TLS 1.3 with a certificate).
pub fn test_peer() -> Peer {
    Peer {
        addr: "test".into(),
        tls_version: Some("TLSv1.3".into()),
        client_cert: Some(vec![1]),
        subject: Some("CN=test".into()),
    }
}

/// Handler-level harness (no network): the same code path as the server minus TLS and HTTP.
struct Direct {
    h: Handler,
    _dir: tempfile::TempDir,
}

impl Direct {
    fn new(unsigned_ok: bool) -> Direct {
        Direct::with(|c| c.unsigned_ok = unsigned_ok)
    }

    fn with(f: impl FnOnce(&mut Config)) -> Direct {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = Config::new(dir.path());
        cfg.signature_trust = fixture_trust(Vec::new());
        f(&mut cfg);
        Direct {
            h: Handler::open(cfg).expect("handler"),
            _dir: dir,
        }
    }

    fn send(&self, path: &str, ct: &str, body: Vec<u8>) -> (u16, String) {
        let peer = test_peer();
        let req = HttpRequest {
            method: "POST".into(),
            path: path.into(),
            content_type: Some(ct.into()),
            body: body.into(),
        };
        match self.h.process(&req, &peer) {
            Outcome::Respond(r, _) => (r.status, String::from_utf8_lossy(&r.body).to_string()),
            Outcome::Drop => (0, String::new()),
        }
    }

    fn findings(&self) -> String {
        std::fs::read_to_string(self.h.config.state_dir.join("findings.jsonl")).unwrap_or_default()
    }
}

fn fails(findings: &str, rule: &str) -> bool {
    findings.lines().any(|l| {
        l.contains(&format!("\"requirement\":\"{rule}\"")) && l.contains("\"verdict\":\"fail\"")
    })
}

#[test]
fn the_valid_fixture_is_accepted_and_findings_have_no_failure() {
    let d = Direct::new(false);
    // As a DUI should (DMP-TX-015): the existence test first, then the deposit.
    let (status, body) = d.send(
        dmp::PATIENTS_PATH,
        "application/soap+xml; charset=utf-8",
        td02("TEST_EXST"),
    );
    assert!(
        status == 200 && body.contains("PRPA_IN201308UV02"),
        "{body}"
    );
    let (status, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("ResponseStatusType:Success"),
        "{body}\n{}",
        d.findings()
    );
    assert!(
        !d.findings().contains("\"verdict\":\"fail\""),
        "{}",
        d.findings()
    );
    assert!(
        !d.findings().contains("\"verdict\":\"warning\""),
        "{}",
        d.findings()
    );
    // The signatures were verified (a failure above would have said otherwise), not just looked at.
    assert!(
        !d.findings().contains("NOT cryptographically"),
        "{}",
        d.findings()
    );
    // A second deposit of the same uniqueId is a duplicate.
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(body.contains("XDSDuplicateUniqueIdInRegistry"), "{body}");
}

/// One mutation of the valid request per rule: the finding (fail) and the answer the DMP gives.
#[test]
fn each_rule_violation_gives_its_finding_and_the_ihe_error() {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let soap_ct = "application/soap+xml; charset=UTF-8";
    // (rule, description, path, content type, body, expected text in the answer)
    let cases: Vec<(&str, &str, &str, String, String, &str)> = vec![
        ("DMP-SOAP-010", "SOAP 1.1 envelope", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"), "soap:Sender"),
        ("DMP-SOAP-012", "no wsa:MessageID", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace(&format!("<wsa:MessageID>urn:uuid:{FIXTURE_UUID}</wsa:MessageID>"), ""), "wsa:InvalidAddressingHeader"),
        ("DMP-SOAP-012", "wsa:Action without mustUnderstand", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("<wsa:Action soap:mustUnderstand=\"true\">", "<wsa:Action>"), "wsa:InvalidAddressingHeader"),
        ("DMP-SOAP-013", "Content-Type action differs", dmp::REPOSITORY_PATH, MTOM_CT.replace("ProvideAndRegisterDocumentSet-b\"", "RegistryStoredQuery\""), fx.clone(), "wsa:InvalidAddressingHeader"),
        ("DMP-TX-012", "RMD action", dmp::REGISTRY_PATH, MTOM_CT.replace("; action=\"urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b\"", ""), fx.replace(">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b<", ">urn:ihe:iti:2017:RemoveMetadata<"), "wsa:ActionNotSupported"),
        ("DMP-SOAP-014", "ITI-41 as plain SOAP", dmp::REPOSITORY_PATH, soap_ct.into(), soap_root(&fx), "non MTOM"),
        ("DMP-SOAP-015", "no ProvideAndRegisterDocumentSetRequest", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("xdsb:ProvideAndRegisterDocumentSetRequest", "xdsb:ProvideAndRegisterDocumentSetRequestX"), "soap:Sender"),
        ("DMP-SOAP-018", "no VIHF", dmp::REPOSITORY_PATH, MTOM_CT.into(), without_vihf(&fx), "wsse:InvalidSecurity"),
        ("DMP-VIHF-010", "Version 1.1", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("Version=\"2.0\">", "Version=\"1.1\">"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-011", "issuer is not the certificate", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("CN=SSIAD Les Tilleuls cachet,", "CN=Someone else,"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-013", "unsigned VIHF", dmp::REPOSITORY_PATH, MTOM_CT.into(), without_signature(&fx), "wsse:FailedAuthentication"),
        ("DMP-VIHF-015", "AudienceRestriction", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("<saml2:AuthnStatement", "<saml2:Conditions><saml2:AudienceRestriction><saml2:Audience>x</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AuthnStatement"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-016", "no LPS_Nom", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("Name=\"LPS_Nom\"", "Name=\"LPS_Name\""), "wsse:FailedAuthentication"),
        ("DMP-VIHF-017", "VIHF_Version 2.0", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("<saml2:AttributeValue>3.0<", "<saml2:AttributeValue>2.0<"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-018", "mode DIRECT", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace(">INDIRECTE<", ">DIRECT<"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-020", "sector SA99", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace(">SA41^1.2.250.1.71.4.2.4<", ">SA99^1.2.250.1.71.4.2.4<"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-021", "Ressource_URN", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace(">urn:dmp<", ">urn:dmp:x<"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-022", "empty LPS_Version", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("<saml2:Attribute Name=\"LPS_Version\"><saml2:AttributeValue>1.0<", "<saml2:Attribute Name=\"LPS_Version\"><saml2:AttributeValue><"), "wsse:FailedAuthentication"),
        ("DMP-VIHF-023", "purpose of use", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("code=\"normal\"", "code=\"urgence\""), "wsse:FailedAuthentication"),
        ("DMP-VIHF-024", "role without code", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("code=\"10\" codeSystem", "codeSystem"), "wsse:FailedAuthentication"),
        ("DMP-TX-016", "no XAdES entry", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("associationType=\"urn:ihe:iti:2007:AssociationType:signs\"", "associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\""), "XDSRegistryMetadataError"),
        ("DMP-TX-017", "enveloping signature format", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("nodeRepresentation=\"urn:ihe:iti:dsg:detached:2014\"", "nodeRepresentation=\"urn:ihe:iti:dsg:enveloping:2014\""), "XDSRegistryMetadataError"),
        ("DMP-TX-011", "RPLC to an unknown entry", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("<rim:Association id=\"as-sig-signs\"", "<rim:Association id=\"as-rplc\" associationType=\"urn:ihe:iti:2007:AssociationType:RPLC\" sourceObject=\"Document01\" targetObject=\"urn:uuid:00000000-0000-4000-8000-000000000000\"/><rim:Association id=\"as-sig-signs\""), "XDSRegistryMetadataError"),
        ("XDS-SS-013", "patient differs", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("registryObject=\"Document01\" value=\"279035121518989^", "registryObject=\"Document01\" value=\"180012A12345678^"), "XDSPatientIdDoesNotMatch"),
        ("XDS-DE-027", "hash differs", dmp::REPOSITORY_PATH, MTOM_CT.into(), fx.replace("eac505b0611bff4b5310fbaf1e4b19dfd5b66e13", "eac505b0611bff4b5310fbaf1e4b19dfd5b66e14"), "XDSNonIdenticalHash"),
    ];
    let mut problems = Vec::new();
    for (rule, what, path, ct, body, expect) in cases {
        let d = Direct::new(false);
        let (status, answer) = d.send(path, &ct, fresh(body.as_bytes()));
        let f = d.findings();
        if !fails(&f, rule) {
            problems.push(format!(
                "{rule} ({what}): no failing finding; findings:\n{f}"
            ));
        }
        if !answer.contains(expect) || answer.contains("ResponseStatusType:Success") {
            problems.push(format!(
                "{rule} ({what}): HTTP {status}, expected «{expect}» in:\n{answer}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn soap_root(fx: &str) -> String {
    let a = fx.find("<?xml").expect("xml");
    let b = fx.find("</soap:Envelope>").expect("end") + "</soap:Envelope>".len();
    fx[a..b].to_string()
}

fn without_vihf(fx: &str) -> String {
    let a = fx.find("<wsse:Security").expect("vihf");
    let b = fx.find("</wsse:Security>").expect("end") + "</wsse:Security>".len();
    format!("{}{}", &fx[..a], &fx[b..])
}

fn without_signature(fx: &str) -> String {
    let a = fx.find("<ds:Signature").expect("sig");
    let b = fx.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    format!("{}{}", &fx[..a], &fx[b..])
}

#[test]
fn unsigned_ok_relaxes_only_the_vihf_signature_and_the_xades_entry() {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let unsigned = without_signature(&fx).replace(
        "associationType=\"urn:ihe:iti:2007:AssociationType:signs\"",
        "associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\"",
    );
    let d = Direct::new(true);
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(unsigned.as_bytes()));
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
    assert!(fails(&d.findings(), "DMP-VIHF-013") && fails(&d.findings(), "DMP-TX-016"));
    // Anything else is still refused.
    let (_, body) = d.send(
        dmp::REPOSITORY_PATH,
        MTOM_CT,
        fresh(fx.replace(">urn:dmp<", ">x<").as_bytes()),
    );
    assert!(body.contains("wsse:FailedAuthentication"), "{body}");
}

#[test]
fn garbage_and_non_mtom_get_a_clear_soap_fault() {
    let d = Direct::new(false);
    let (status, body) = d.send(
        dmp::REPOSITORY_PATH,
        "application/soap+xml",
        b"<not-closed".to_vec(),
    );
    assert_eq!(status, 400);
    assert!(
        body.contains("<soap:Fault>") && body.contains("SOAP 1.2"),
        "{body}"
    );
    let (status, body) = d.send(
        dmp::REPOSITORY_PATH,
        "multipart/related; boundary=\"x\"",
        b"no boundary here".to_vec(),
    );
    assert_eq!(status, 400);
    assert!(body.contains("<soap:Fault>"), "{body}");
}

#[test]
fn injected_faults_answer_the_next_matching_request() {
    let d = Direct::new(false);
    let f = &d.h.faults;
    f.next(
        Matcher::Transaction(Transaction::Iti41),
        Fault::RegistryError("XDSRegistryBusy".into()),
    );
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(
        body.contains("XDSRegistryBusy") && body.contains("ResponseStatusType:Failure"),
        "{body}"
    );
    f.next(Matcher::Any, Fault::Http(503));
    assert_eq!(
        d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture())).0,
        503
    );
    f.next(Matcher::Any, Fault::SoapFault);
    let (s, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(s == 500 && body.contains("soap:Receiver"), "{body}");
    f.next(Matcher::Any, Fault::Drop);
    assert_eq!(
        d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture())).0,
        0
    );
    // The faulted requests registered nothing: the real deposit still succeeds.
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
}

#[test]
fn curl_posts_an_mtom_iti41_with_its_client_certificate() {
    if !have("curl", "--version") {
        return;
    }
    let sim = Sim::start(false);
    let dir = tempfile::tempdir().expect("tmp");
    // curl POSTs a file with the DUI's client certificate.
    let post = |file: &Path, ct: &str, tx: Transaction| {
        Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(&sim.pki.ca_cert)
            .arg("--cert")
            .arg(&sim.pki.client_cert)
            .arg("--key")
            .arg(&sim.pki.client_key)
            .args(["-H", &format!("Content-Type: {ct}"), "--data-binary"])
            .arg(format!("@{}", file.display()))
            .arg(sim.url(tx).replace("127.0.0.1", "localhost"))
            .output()
            .expect("curl")
    };
    // The existence test first (TD0.2 on the patients service, DMP-TX-015), as a DUI does.
    let td = dir.path().join("td02.xml");
    std::fs::write(&td, td02("TEST_EXST")).expect("write");
    let out = post(
        &td,
        "application/soap+xml; charset=utf-8",
        Transaction::Td02,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("PRPA_IN201308UV02") && text.contains("<typeCode code=\"AA\"/>"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = dir.path().join("iti41.mtom");
    std::fs::write(&body, fresh(&fixture())).expect("write");
    let out = post(&body, MTOM_CT, Transaction::Iti41);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ResponseStatusType:Success"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ProvideAndRegisterDocumentSet-bResponse"));
    assert!(
        !sim.findings().contains("\"verdict\":\"warning\""),
        "{}",
        sim.findings()
    );
    let state = sim.state.clone();
    let _keep = sim.stop();
    let report = dui_conform::evidence::verify(&state).expect("verify");
    assert!(!report.is_damaged(), "{}", report.render());
    assert!(
        report.entries >= 4,
        "two requests and their responses recorded"
    );
}

#[test]
fn openssl_s_client_without_a_client_certificate_is_refused() {
    if !have("openssl", "version") {
        return;
    }
    let sim = Sim::start(false);
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &sim.addr().to_string(),
            "-servername",
            "localhost",
            "-CAfile",
        ])
        .arg(&sim.pki.ca_cert)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(
            b"POST /dmp/repository HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
        );
        // Keep stdin open a moment: TLS 1.3 refuses the missing certificate after the client's Finished,
        // and s_client must still be reading to print the server's alert.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let out = child.wait_with_output().expect("openssl output");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains("HTTP/1.1 "),
        "no HTTP answer without a client certificate:\n{all}"
    );
    eprintln!(
        "openssl s_client without a client certificate:\n{}",
        all.lines()
            .filter(|l| l.contains("alert") || l.contains("error"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The refusal is a DMP-SOAP-011 finding.
    let mut ok = false;
    for _ in 0..50 {
        if fails(&sim.findings(), "DMP-SOAP-011") {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(ok, "findings: {}", sim.findings());
    sim.stop();
}

#[test]
fn python_client_deposits_queries_retrieves_masks_and_queries_again() {
    if !have("python3", "--version") || !have("xmlsec1", "--version") {
        return;
    }
    let sim = Sim::start(false);
    let dir = tempfile::tempdir().expect("tmp");
    let w = |name: &str, b: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, b).expect("write");
        p
    };
    let deposit = w("deposit.mtom", &fresh(&fixture()));
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let vihf = {
        let a = fx.find("<wsse:Security").expect("vihf");
        let b = fx.find("</wsse:Security>").expect("end") + "</wsse:Security>".len();
        fx[a..b].to_string()
    };
    let q1 = w("q1.xml", &find_documents(None));
    let q2 = w("q2.xml", &find_documents(None));
    let q3 = w("q3.xml", &find_documents(Some("MASQUE_PS")));
    let vihf_file = w("vihf.xml", vihf.as_bytes());
    let cda = cda_part(&fixture());
    let cda_file = w("cda.xml", &cda);
    let script = root().join("tests/dmp_client.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(sim.addr().port().to_string())
        .arg(&sim.pki.ca_cert)
        .arg(&sim.pki.client_cert)
        .arg(&sim.pki.client_key)
        .args([&deposit, &q1, &q2, &q3, &vihf_file, &cda_file])
        .arg(FIXTURE_UID)
        .arg(root().join("fixtures/dmp/vihf-seal-key.pem"))
        .arg(root().join("fixtures/dmp/vihf-seal-cert.pem"))
        .output()
        .expect("python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{text}\nfindings:\n{}",
        sim.findings()
    );
    assert!(text.contains("OK hidden after mask"), "{text}");
    sim.stop();
}

/// SIGKILL in the middle of a stream of deposits, restart on the same state dir: every deposit that got a
/// `Success` is still queryable, and `evidence verify` finds no damage.
#[test]
fn sigkill_during_deposits_then_restart_keeps_every_acknowledged_deposit() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let endpoints = dir.path().join("endpoints.json");
    use crate::util::KillOnDrop as Guard;
    let spawn = || {
        let _ = std::fs::remove_file(&endpoints);
        let child = Guard(
            Command::new(env!("CARGO_BIN_EXE_dui-conform"))
                .args(["serve", "--state-dir"])
                .arg(&state)
                .arg("--endpoints-file")
                .arg(&endpoints)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("serve"),
        );
        for _ in 0..200 {
            if let Ok(t) = std::fs::read_to_string(&endpoints) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t) {
                    return (child, v);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("serve did not write its endpoints file");
    };
    trust_fixture_ca(&state.join("pki"));
    let (mut child, ep) = spawn();
    let pki = Pki::load(&state.join("pki")).expect("pki");
    let cfg = pki.client_config().expect("client config");
    let addr_of = |ep: &serde_json::Value| -> SocketAddr {
        let url = ep["dmp"]["iti41"].as_str().expect("url");
        let hostport = url
            .trim_start_matches("https://")
            .split('/')
            .next()
            .expect("host");
        hostport.parse().expect("addr")
    };
    let addr = addr_of(&ep);
    // A writer thread deposits until the connection breaks; the test kills the server meanwhile.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let acked = acked.clone();
        let cfg = cfg.clone();
        std::thread::spawn(move || {
            let Ok(mut c) = Client::connect(addr, cfg) else {
                return;
            };
            for n in 0..10_000u64 {
                let (body, uid) = variant(n, 0);
                match c.post(dmp::REPOSITORY_PATH, MTOM_CT, &body) {
                    Ok(r) if r.text().contains("ResponseStatusType:Success") => {
                        acked.lock().expect("lock").push(uid)
                    }
                    Ok(r) => panic!("deposit {n} refused: {}", r.text()),
                    Err(_) => return,
                }
            }
        })
    };
    while acked.lock().expect("lock").len() < 10 {
        assert!(
            !writer.is_finished(),
            "the writer stopped before 10 deposits"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.0.kill(); // SIGKILL
    let _ = child.0.wait();
    let _ = writer.join();
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 10);
    let report = dui_conform::evidence::verify(&state).expect("verify");
    assert!(
        report.missing.is_empty() && report.altered.is_empty(),
        "{}",
        report.render()
    );
    // Restart and ask for every acknowledged document.
    let (child, ep) = spawn();
    let mut c = Client::connect(addr_of(&ep), cfg).expect("connect");
    let body = find_documents(None);
    let r = c
        .post(
            dmp::REGISTRY_PATH,
            "application/soap+xml; charset=UTF-8",
            &body,
        )
        .expect("query");
    let text = r.text();
    let missing: Vec<_> = acked
        .iter()
        .filter(|u| !text.contains(&format!("value=\"{u}\"")))
        .collect();
    drop(child);
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged deposits lost: {missing:?}",
        missing.len(),
        acked.len()
    );
}

/// Load: ITI-41 deposits of a 50 KB CDA over mutual TLS with keep-alive, full validation. Prints
/// deposits/s and p99. `DMP_LOAD_SECS` (default 10) and `DMP_LOAD_CLIENTS` (default 8).
/// Run: `cargo test --release --test tests dmp::load -- --ignored --nocapture`.
#[test]
#[ignore]
fn load_iti41_50kb_over_mutual_tls() {
    let secs: u64 = std::env::var("DMP_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let clients: u64 = std::env::var("DMP_LOAD_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let sim = Sim::start(false);
    let cfg = sim.pki.client_config().expect("client");
    let addr = sim.addr();
    // Pre-built requests (the generator's cost is not the server's).
    let per = 4000 / clients;
    let bodies: Vec<Vec<Vec<u8>>> = (0..clients)
        .map(|c| {
            (0..per)
                .map(|i| variant(c * 100_000 + i, 50_000).0)
                .collect()
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let t0 = std::time::Instant::now();
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|bs| {
            let cfg = cfg.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(addr, cfg).expect("connect");
                let mut lat = Vec::new();
                for b in bs {
                    if std::time::Instant::now() > deadline {
                        break;
                    }
                    let t = std::time::Instant::now();
                    let r = c.post(dmp::REPOSITORY_PATH, MTOM_CT, &b).expect("post");
                    assert!(
                        r.text().contains("ResponseStatusType:Success"),
                        "{}",
                        r.text()
                    );
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<std::time::Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("join"))
        .collect();
    let elapsed = t0.elapsed();
    lat.sort();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    eprintln!(
        "DMP load: {} deposits of ~50 KB in {:.2?} over {clients} keep-alive mTLS connections: {:.0} deposits/s, p50 {:.1?}, p99 {:.1?}",
        lat.len(),
        elapsed,
        lat.len() as f64 / elapsed.as_secs_f64(),
        p(0.5),
        p(0.99)
    );
    sim.stop();
}

#[allow(dead_code)]
fn p(path: &Path) -> &str {
    path.to_str().unwrap_or("")
}

/// ITI-57 UpdateAvailabilityStatus (DMP-TX-013/014): archive by entryUUID works; a uniqueId target, a
/// stale status or a status outside the DMP list is refused with the finding.
#[test]
fn iti57_status_changes_address_the_entry_uuid() {
    let d = Direct::new(false);
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
    let entry_uuid =
        d.h.registry
            .lock()
            .expect("lock")
            .by_unique_id(FIXTURE_UID)
            .expect("deposited")
            .entry_uuid
            .clone();
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let a = fx.find("<wsse:Security").expect("vihf");
    let b = fx.find("</wsse:Security>").expect("end") + "</wsse:Security>".len();
    let vihf = &fx[a..b];
    let update = |target: &str, original: &str, new: &str| {
        let x = format!(
            r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">urn:ihe:iti:2010:UpdateDocumentSet</wsa:Action><wsa:MessageID>urn:uuid:{FIXTURE_UUID}</wsa:MessageID><wsa:To>https://localhost/dmp/registry</wsa:To>{vihf}</soap:Header><soap:Body><lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList><rim:Association id="u" associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus" sourceObject="SubmissionSet" targetObject="{target}"><rim:Slot name="OriginalStatus"><rim:ValueList><rim:Value>{original}</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="NewStatus"><rim:ValueList><rim:Value>{new}</rim:Value></rim:ValueList></rim:Slot></rim:Association></rim:RegistryObjectList></lcm:SubmitObjectsRequest></soap:Body></soap:Envelope>"#
        );
        d.send(
            dmp::REGISTRY_PATH,
            "application/soap+xml; charset=UTF-8",
            fresh(x.as_bytes()),
        )
        .1
    };
    const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
    const ARCHIVED: &str = "urn:asip:ci-sis:2010:StatusType:Archived";
    let r = update(FIXTURE_UID, APPROVED, ARCHIVED);
    assert!(
        r.contains("XDSMetadataVersionError") && fails(&d.findings(), "DMP-TX-014"),
        "{r}"
    );
    let r = update(&entry_uuid, APPROVED, "urn:x:Hidden");
    assert!(
        r.contains("ResponseStatusType:Failure") && fails(&d.findings(), "DMP-TX-013"),
        "{r}"
    );
    let r = update(&entry_uuid, APPROVED, ARCHIVED);
    assert!(r.contains("ResponseStatusType:Success"), "{r}");
    // Now stale: the entry is Archived, not Approved.
    let r = update(&entry_uuid, APPROVED, ARCHIVED);
    assert!(r.contains("XDSMetadataVersionError"), "{r}");
}

/// DMP-VIHF-027 (SHOULD): a VIHF sector that is not the CDA's facility code warns, and is not refused.
#[test]
fn vihf_sector_differing_from_the_cda_facility_warns() {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let d = Direct::new(false);
    let (_, body) = d.send(
        dmp::REPOSITORY_PATH,
        MTOM_CT,
        fresh(
            fx.replace(">SA41^1.2.250.1.71.4.2.4<", ">SA16^1.2.250.1.71.4.2.4<")
                .as_bytes(),
        ),
    );
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
    assert!(
        d.findings()
            .lines()
            .any(|l| l.contains("DMP-VIHF-027") && l.contains("\"warning\"")),
        "{}",
        d.findings()
    );
}

/// Limits: a body over the limit gets 413 without being read; a client that sends no request head is
/// disconnected after the header timeout (slow loris).
#[test]
fn oversized_bodies_and_silent_clients_are_cut_off() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let sim = Sim::start_with(dir, state, |c| {
        c.net.max_body_bytes = 4096;
        c.net.header_timeout = std::time::Duration::from_millis(300);
    });
    let cfg = sim.pki.client_config().expect("client");
    let mut c = Client::connect(sim.addr(), cfg.clone()).expect("connect");
    let r = c
        .post(dmp::REPOSITORY_PATH, MTOM_CT, &fixture())
        .expect("post");
    assert_eq!(r.status, 413, "{}", r.text());
    // Silent client: the server closes the connection.
    let mut c = Client::connect(sim.addr(), cfg).expect("connect");
    c.tls
        .get_ref()
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let t = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = c.tls.read(&mut buf);
    assert!(
        matches!(n, Ok(0) | Err(_)) && t.elapsed() < std::time::Duration::from_secs(4),
        "{n:?} after {:?}",
        t.elapsed()
    );
    let _ = sim.stop();
}

/// The fixture with its CDA changed by `f` and the CDA entry's hash and size updated (the metadata stays
/// consistent): only the XAdES manifest digest can tell.
pub fn with_cda(b: &[u8], f: impl Fn(&str) -> String) -> Vec<u8> {
    let s = String::from_utf8(b.to_vec()).expect("utf-8");
    let old = String::from_utf8(cda_part(b)).expect("utf-8 cda");
    let new = f(&old);
    s.replacen(&old, &new, 1)
        .replacen(&sha1_hex(old.as_bytes()), &sha1_hex(new.as_bytes()), 1)
        .replacen(
            &format!("<rim:Value>{}</rim:Value>", old.len()),
            &format!("<rim:Value>{}</rim:Value>", new.len()),
            1,
        )
        .into_bytes()
}

/// DMP-VIHF-013 and DMP-TX-016 verify the signatures: a tampered assertion, a tampered document, a
/// certificate of another CA and two signature-wrapping shapes are each refused with a precise finding
/// (snapshot); `--unsigned-ok` does not relax them (it relaxes missing signatures only).
#[test]
fn invalid_signatures_are_refused_with_a_precise_finding() {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let other = {
        let f = |n: &str| std::fs::read(root().join("fixtures/dmp").join(n)).expect("fixture key");
        SigningKey::from_pem(&f("vihf-seal-key.pem"), &f("other-seal-cert.pem")).expect("key")
    };
    let assertion = {
        let a = fx.find("<saml2:Assertion").expect("assertion");
        let b = fx.find("</saml2:Assertion>").expect("end") + "</saml2:Assertion>".len();
        fx[a..b].to_string()
    };
    let forged = assertion.replace(">DURAND Paul<", ">MALLORY Eve<");
    // (name, request, refusal expected in the answer). The fixture's own signatures are used as they are
    // (no re-signing), so every digest in the findings is stable.
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "tampered_assertion",
            fx.replace(">DURAND Paul<", ">MALLORY Eve<").into_bytes(),
            "wsse:FailedAuthentication",
        ),
        (
            "tampered_document",
            with_cda(fx.as_bytes(), |c| {
                c.replacen("</ClinicalDocument>", "<!-- x --></ClinicalDocument>", 1)
            }),
            "XDSRegistryMetadataError",
        ),
        (
            "certificate_of_another_ca",
            sign_iti41(fx.as_bytes(), MTOM_CT, &other, "2026-03-15T09:30:00Z").expect("sign"),
            "wsse:FailedAuthentication",
        ),
        (
            // Both signatures made, by the right key, at a time before the certificate's notBefore
            // (fixtures/dmp certificates: valid from 2026-01-01): the XAdES SigningTime is outside it.
            "signed_before_the_certificate_was_valid",
            sign_iti41(
                fx.as_bytes(),
                MTOM_CT,
                fixture_key(),
                "2025-06-01T08:00:00Z",
            )
            .expect("sign"),
            "XDSRegistryMetadataError",
        ),
        (
            // The forged assertion as the VIHF (read by the checks), carrying the genuine signature; the
            // genuine signed assertion hidden elsewhere in the header: two elements with the signed ID.
            "wrapping_duplicate_id",
            fx.replacen(
                &assertion,
                &format!("{forged}<wsse:Hidden>{assertion}</wsse:Hidden>"),
                1,
            )
            .into_bytes(),
            "wsse:FailedAuthentication",
        ),
        (
            // The forged assertion under another ID, carrying the genuine signature that points to the
            // genuine assertion hidden elsewhere in the header.
            "wrapping_other_id",
            fx.replacen(
                &assertion,
                &format!(
                    "{}<wsse:Hidden>{}</wsse:Hidden>",
                    forged.replacen(&format!("ID=\"_vihf-{FIXTURE_UUID}\""), "ID=\"_forged\"", 1),
                    assertion.replacen(
                        &assertion[assertion.find("<ds:Signature").expect("sig")
                            ..assertion.find("</ds:Signature>").expect("sig")
                                + "</ds:Signature>".len()],
                        "",
                        1
                    )
                ),
                1,
            )
            .into_bytes(),
            "wsse:FailedAuthentication",
        ),
    ];
    let mut snap = Vec::new();
    for (name, body, refusal) in &cases {
        let d = Direct::new(false);
        let (_, answer) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, body.clone());
        assert!(
            answer.contains(refusal),
            "{name}: expected {refusal} in\n{answer}\n{}",
            d.findings()
        );
        let found: Vec<serde_json::Value> = d
            .findings()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|f| {
                f["verdict"] == "fail"
                    && matches!(
                        f["requirement"].as_str(),
                        Some("DMP-VIHF-013" | "DMP-TX-016")
                    )
            })
            .map(|f| serde_json::json!({"requirement": f["requirement"], "message": f["message"]}))
            .collect();
        assert!(!found.is_empty(), "{name}: no failure\n{}", d.findings());
        snap.push(serde_json::json!({"case": name, "findings": found}));
        // --unsigned-ok relaxes a *missing* signature only: a wrong one is still refused.
        let d = Direct::new(true);
        let (_, answer) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, body.clone());
        let sig_failed = fails(&d.findings(), "DMP-VIHF-013") || fails(&d.findings(), "DMP-TX-016");
        assert!(sig_failed, "{name}: {}", d.findings());
        assert!(
            answer.contains(refusal) && !answer.contains("ResponseStatusType:Success"),
            "{name} with --unsigned-ok must still be refused:\n{answer}"
        );
    }
    insta::assert_json_snapshot!("invalid_signatures", snap);
}

/// `serve --kit DIR`: every deposited CDA also gets the official kit's verdict, recorded as `KIT:…`
/// findings (the XSD first); a kit failure is recorded, not refused (`dmp::Config::kit`).
#[test]
fn with_the_kit_configured_deposits_get_the_official_verdict_recorded() {
    if crate::schematron::kit().is_none() {
        return;
    }
    let kit = dui_conform::schematron::Kit::load(&crate::schematron::kit_dir()).expect("kit");
    let d = Direct::with(|c| c.kit = Some(std::sync::Arc::new(kit)));
    // The valid fixture: the kit ran (its XSD too, judging CDA-BODY-011), the deposit is accepted.
    let (_, answer) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fixture());
    assert!(answer.contains("ResponseStatusType:Success"), "{answer}");
    let findings = d.findings();
    assert!(!fails(&findings, "CDA-BODY-011"), "{findings}");
    // A document the kit rejects (a templateId root that is no OID: XSD and Structuration minimale);
    // `fresh` re-signs the request. Our own rules refuse it too (CDA-HDR-012): the kit's findings are
    // recorded beside ours.
    let body = with_cda(&fixture(), |c| {
        c.replacen("<id root=", "<templateId root=\"not an OID\"/><id root=", 1)
    });
    let d = Direct::with(|c| c.kit = d.h.config.kit.clone());
    let (_, answer) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&body));
    assert!(answer.contains("XDSRepositoryMetadataError"), "{answer}");
    let findings = d.findings();
    for rule in ["KIT:XSD", "KIT:ASIP-STRUCT-MIN-StrucMin.sch", "CDA-HDR-012"] {
        assert!(fails(&findings, rule), "{rule} not failed:\n{findings}");
    }
    // CDA-BODY-011 is a SHOULD: judged by the schema, a warning.
    #[cfg(feature = "xsd")]
    assert!(
        findings
            .lines()
            .any(|l| l.contains("\"requirement\":\"CDA-BODY-011\"")
                && l.contains("\"verdict\":\"warning\"")),
        "{findings}"
    );
}

/// A SubmissionSet uniqueId already registered is refused like a document's (XDSDuplicateUniqueIdInRegistry),
/// even when every document of the submission is new.
#[test]
fn a_reused_submission_set_unique_id_is_refused() {
    let d = Direct::new(false);
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&fixture()));
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
    let (again, _) = variant(5, 0);
    let again = fresh(&replace(
        &again,
        &format!("{FIXTURE_SET_UID}5\""),
        &format!("{FIXTURE_SET_UID}\""),
    ));
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, again);
    assert!(
        body.contains("XDSDuplicateUniqueIdInRegistry")
            && body.contains(&format!("SubmissionSet uniqueId {FIXTURE_SET_UID} ")),
        "{body}"
    );
    // With its own SubmissionSet uniqueId the same documents go in.
    let (_, body) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, variant(5, 0).0);
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
}

/// DMP-VIHF-025 (informative) names the authentication variant of the VIHF: Pro Santé Connect
/// (MobileTwoFactorUnregistered), AIR (AuthnContextDecl APP_BROWSER_AUTH), or neither.
#[test]
fn the_vihf_authentication_variant_is_named() {
    let unspecified = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
    let psc = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered";
    let cases = [
        (fixture(), "ni AIR"),
        (replace(&fixture(), unspecified, psc), "Pro Santé Connect"),
        (
            replace(
                &fixture(),
                &format!("<saml2:AuthnContextClassRef>{unspecified}</saml2:AuthnContextClassRef>"),
                &format!(
                    "<saml2:AuthnContextClassRef>{unspecified}</saml2:AuthnContextClassRef>\
                     <saml2:AuthnContextDecl>APP_BROWSER_AUTH</saml2:AuthnContextDecl>"
                ),
            ),
            "AIR",
        ),
    ];
    for (body, want) in cases {
        let d = Direct::new(false);
        let (status, answer) = d.send(dmp::REPOSITORY_PATH, MTOM_CT, fresh(&body));
        assert!(
            answer.contains("ResponseStatusType:Success"),
            "{status} {answer}"
        );
        let line = d
            .findings()
            .lines()
            .find(|l| l.contains("\"requirement\":\"DMP-VIHF-025\""))
            .map(str::to_string)
            .unwrap_or_default();
        assert!(
            line.contains("\"verdict\":\"info\"") && line.contains(want),
            "{want}: {line}"
        );
    }
}

/// Every code of the DMP-ERR-011 vocabulary, injected on ITI-41 and on ITI-18, comes back as a Failure
/// carrying it, in the shape DMP-ERR-010 requires.
#[test]
fn every_ihe_error_code_can_be_injected_in_the_ihe_shape() {
    let d = Direct::new(false);
    for (i, code) in dmp::faults::IHE_ERROR_CODES.iter().enumerate() {
        let (tx, path, ct, body) = if i % 2 == 0 {
            (
                Transaction::Iti41,
                dmp::REPOSITORY_PATH,
                MTOM_CT,
                fresh(&fixture()),
            )
        } else {
            (
                Transaction::Iti18,
                dmp::REGISTRY_PATH,
                "application/soap+xml; charset=utf-8",
                find_documents(None),
            )
        };
        d.h.faults.next(
            Matcher::Transaction(tx),
            Fault::RegistryError(code.to_string()),
        );
        let (status, answer) = d.send(path, ct, body);
        assert_eq!(status, 200, "{code}: {answer}");
        let xml = &answer[answer.find("<?xml").unwrap_or(0)..];
        let xml = xml.split("\r\n--").next().unwrap_or(xml);
        let bad = registry_answer_failures(xml);
        assert!(bad.is_empty(), "{code}: {bad:?}\n{answer}");
        assert!(
            answer.contains(&format!("errorCode=\"{code}\""))
                && answer.contains("ResponseStatusType:Failure"),
            "{code}: {answer}"
        );
    }
}

/// TD0.2 (DMP-TX-015, DMP-TX-018): the existence test on the `patients` service is answered with
/// `PRPA_IN201308UV02` (acknowledgement AA, the patient's INS); a deposit for a patient nobody tested first
/// is accepted with a warning; a TD0.2 with another reason is a warning too; what was tested survives a
/// restart (the evidence store is replayed).
#[test]
fn the_existence_test_td02_comes_before_a_deposit() {
    let dir = tempfile::tempdir().expect("tmp");
    let open = || {
        let mut cfg = Config::new(dir.path());
        cfg.signature_trust = fixture_trust(Vec::new());
        Handler::open(cfg).expect("handler")
    };
    let peer = test_peer();
    let send = |h: &Handler, path: &str, ct: &str, body: Vec<u8>| {
        let req = HttpRequest {
            method: "POST".into(),
            path: path.into(),
            content_type: Some(ct.into()),
            body: body.into(),
        };
        match h.process(&req, &peer) {
            Outcome::Respond(r, _) => (r.status, String::from_utf8_lossy(&r.body).to_string()),
            Outcome::Drop => (0, String::new()),
        }
    };
    let findings =
        || std::fs::read_to_string(dir.path().join("findings.jsonl")).unwrap_or_default();
    let warnings = |rule: &str| {
        findings()
            .lines()
            .filter(|l| {
                l.contains(&format!("\"requirement\":\"{rule}\""))
                    && l.contains("\"verdict\":\"warning\"")
            })
            .count()
    };
    const SOAP: &str = "application/soap+xml; charset=utf-8";
    {
        let h = open();
        // A deposit without a prior TD0.2: accepted, with a warning.
        let (_, body) = send(&h, dmp::REPOSITORY_PATH, MTOM_CT, variant(31, 0).0);
        assert!(body.contains("ResponseStatusType:Success"), "{body}");
        assert_eq!(warnings("DMP-TX-015"), 1, "{}", findings());
        // A TD0.2 with another reason: answered, with a warning.
        let (_, body) = send(&h, dmp::PATIENTS_PATH, SOAP, td02("OTHER"));
        assert!(body.contains("PRPA_IN201308UV02"), "{body}");
        assert_eq!(warnings("DMP-TX-015"), 2, "{}", findings());
        // The right TD0.2: answered AA with the patient; DMP-TX-018 names the service.
        let (status, body) = send(&h, dmp::PATIENTS_PATH, SOAP, td02("TEST_EXST"));
        assert_eq!(status, 200, "{body}");
        for want in [
            "urn:hl7-org:v3:PRPA_IN201308UV02",
            "<typeCode code=\"AA\"/>",
            "extension=\"279035121518989\"",
            "<queryResponseCode code=\"OK\"/>",
        ] {
            assert!(body.contains(want), "{want} not in {body}");
        }
        let xml = &body[body.find("<?xml").expect("xml")..];
        roxmltree::Document::parse(xml).expect("well-formed answer");
        assert!(
            findings().contains("\"requirement\":\"DMP-TX-018\""),
            "{}",
            findings()
        );
        assert_eq!(warnings("DMP-TX-015"), 2, "{}", findings());
    }
    // After a restart the test still counts: no new warning for this patient's next deposit.
    let h = open();
    let (_, body) = send(&h, dmp::REPOSITORY_PATH, MTOM_CT, variant(32, 0).0);
    assert!(body.contains("ResponseStatusType:Success"), "{body}");
    assert_eq!(warnings("DMP-TX-015"), 2, "{}", findings());
}
