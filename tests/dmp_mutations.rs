//! The DMP simulator under byte mutations of a real, signed ITI-41 (fixtures/dmp/iti41-valid.mtom) and
//! of an ITI-18 query, and under mutated Content-Type headers: the handler never panics, always answers
//! per protocol (a RegistryResponse/AdhocQueryResponse in the shape of DMP-ERR-010, or a SOAP fault,
//! well-formed XML), and records
//! every request it received in the evidence store before answering ("nothing received is lost").
//!
//! Deterministic and bounded like `mutations` (`PROPTEST_CASES`, `PROPTEST_RNG_SEED` to explore).

use dui_conform::sim::dmp::handler::{Handler, Outcome};
use dui_conform::sim::dmp::wire::HttpRequest;
use dui_conform::sim::dmp::{self, Config};
use proptest::prelude::*;
use proptest::test_runner::Config as PtConfig;
use sha2::Digest;

use crate::dmp::{find_documents, fixture, fixture_trust, fresh, MTOM_CT};
use crate::mutations::{apply, config, mutation};

fn pt_config() -> PtConfig {
    PtConfig {
        // Each case opens a simulator state directory and runs full validation: fewer cases by default.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(96),
        ..config()
    }
}

const CONTENT_TYPES: &[&str] = &[
    MTOM_CT,
    "application/soap+xml; charset=utf-8",
    "multipart/related; boundary=\"MIMEBoundary_dui_conform_0001\"",
    "multipart/related; type=\"application/xop+xml\"; boundary=\"\"",
    "multipart/related; boundary=",
    "text/plain",
    "",
];

/// Sends `body` and checks the contract; returns the status.
fn exchange(ct: &str, path: &str, body: Vec<u8>) -> Result<u16, TestCaseError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config::new(dir.path());
    cfg.signature_trust = fixture_trust(Vec::new());
    let h = Handler::open(cfg).expect("handler");
    let peer = crate::dmp::test_peer();
    let req = HttpRequest {
        method: "POST".into(),
        path: path.into(),
        content_type: (!ct.is_empty()).then(|| ct.to_string()),
        body: body.into(),
    };
    // What the store keeps of a request: its capture (request line, Content-Type, body).
    let capture = req.capture();
    let sha = hex::encode(sha2::Sha256::digest(&capture));
    let Outcome::Respond(r, _) = h.process(&req, &peer) else {
        return Err(TestCaseError::fail(
            "no fault was injected, yet the connection was dropped",
        ));
    };
    let text = String::from_utf8_lossy(&r.body).to_string();
    // The SOAP part of the answer (an MTOM answer carries it in its first part).
    let xml = text
        .find("<?xml")
        .or_else(|| text.find("<soap:Envelope"))
        .map(|i| &text[i..])
        .unwrap_or(&text);
    let xml = xml.split("\r\n--").next().unwrap_or(xml).trim_end();
    prop_assert!(
        roxmltree::Document::parse(xml).is_ok(),
        "status {}: the answer is not well-formed XML:\n{text}",
        r.status
    );
    // DMP-ERR-010 on every registry answer the simulator gives.
    if r.status == 200 {
        let bad = crate::dmp::registry_answer_failures(xml);
        prop_assert!(bad.is_empty(), "DMP-ERR-010: {bad:?}\n{text}");
    }
    prop_assert!(
        (r.status == 200
            && (xml.contains("RegistryResponse") || xml.contains("AdhocQueryResponse")))
            || xml.contains("Fault>"),
        "status {}: neither a registry answer nor a SOAP fault:\n{text}",
        r.status
    );
    drop(h);
    let store = dui_conform::evidence::EvidenceStore::open(dir.path()).expect("store");
    let recorded = store
        .entries()
        .expect("manifest")
        .iter()
        .any(|e| e.direction == dui_conform::evidence::Direction::Request && e.sha256 == sha);
    prop_assert!(
        recorded,
        "the request (sha256 {sha}) is not in the evidence manifest"
    );
    prop_assert_eq!(store.get(&sha).expect("stored request"), capture);
    Ok(r.status)
}

proptest! {
    #![proptest_config(pt_config())]

    /// Mutated deposits.
    #[test]
    fn mutated_iti41_is_answered_per_protocol_and_recorded(
        muts in prop::collection::vec(mutation(), 1..4),
        ct in prop::sample::select(CONTENT_TYPES),
        keep_ct in any::<bool>(),
    ) {
        let mut body = fresh(&fixture());
        for m in &muts {
            apply(&mut body, m);
        }
        exchange(if keep_ct { MTOM_CT } else { ct }, dmp::REPOSITORY_PATH, body)?;
    }

    /// Mutated stored queries.
    #[test]
    fn mutated_iti18_is_answered_per_protocol_and_recorded(
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut body = find_documents(None);
        for m in &muts {
            apply(&mut body, m);
        }
        exchange("application/soap+xml; charset=utf-8", dmp::REGISTRY_PATH, body)?;
    }
}

/// The unmutated inputs get their normal answers (so the properties above start from working requests).
#[test]
fn unmutated_inputs_are_accepted() {
    let run = |ct: &str, path: &str, body: Vec<u8>| {
        exchange(ct, path, body).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(run(MTOM_CT, dmp::REPOSITORY_PATH, fresh(&fixture())), 200);
    assert_eq!(
        run(
            "application/soap+xml; charset=utf-8",
            dmp::REGISTRY_PATH,
            find_documents(None)
        ),
        200
    );
}

/// Found by the property above: the parser's message quoted a control byte of the request, and the SOAP
/// fault carrying it was not well-formed XML. Pinned here on its own.
#[test]
fn a_control_byte_quoted_in_a_fault_keeps_it_well_formed() {
    let body = b"<?xml version=\"1.0\"?>\n<soap:Envelope PK\x03\x04/>".to_vec();
    let status = exchange("application/soap+xml", dmp::REGISTRY_PATH, body)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 400);
}

/// Peers that do not speak the protocol, over real sockets: plaintext HTTP on the TLS port, a ClientHello
/// cut in the middle, a connection closed at once, a 64 KB header, a body shorter than its
/// Content-Length. Each is turned away (or times out) without stopping the server, each TLS failure is
/// recorded as a finding, and a genuine deposit succeeds afterwards.
#[test]
fn hostile_peers_do_not_stop_the_server() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let sim = crate::dmp::Sim::start_with(dir, state, |c| {
        c.net.header_timeout = Duration::from_millis(500);
    });
    let addr = sim.addr();
    let closed_by_server = |mut s: TcpStream| {
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = [0u8; 4096];
        // Read until the server closes (0) or resets; a TLS alert may come first.
        for _ in 0..16 {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
        false
    };
    // Plaintext HTTP on the TLS port.
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"POST /dmp/repository HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .expect("write");
    assert!(closed_by_server(s), "plaintext HTTP");
    // Half a genuine ClientHello, then silence.
    let cfg = sim.pki.client_config().expect("client config");
    let mut conn = rustls::ClientConnection::new(
        cfg.clone(),
        rustls::pki_types::ServerName::try_from("localhost").expect("name"),
    )
    .expect("client");
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).expect("hello");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(&hello[..hello.len() / 2]).expect("write");
    assert!(closed_by_server(s), "truncated ClientHello");
    // Connected, closed at once.
    drop(TcpStream::connect(addr).expect("connect"));
    // A 64 KB header over mutual TLS: refused (431) or cut.
    let mut c = crate::dmp::Client::connect(addr, cfg.clone()).expect("tls");
    let big = format!("x{}", "a".repeat(64 << 10));
    // Closed (an error here) is also a refusal.
    if let Ok(r) = c.post(dmp::REPOSITORY_PATH, &format!("{MTOM_CT}; {big}"), b"") {
        assert_eq!(r.status, 431, "{}", r.text());
    }
    // A body shorter than announced, then silence: the server gives up (header/body timeout or EOF).
    let mut c = crate::dmp::Client::connect(addr, cfg.clone()).expect("tls");
    let _ = c.raw(b"POST /dmp/repository HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000\r\n\r\n<soap:Envelope");
    drop(c);
    // An unknown service path: 404, and what was sent is recorded with a DMP-TX-010 failure.
    let mut c = crate::dmp::Client::connect(addr, cfg.clone()).expect("tls");
    let r = c
        .post("/dmp/nowhere", MTOM_CT, b"<lost?/>")
        .expect("answer");
    assert_eq!(r.status, 404, "{}", r.text());
    // The server still serves: a TD0.2 on the patients service, then a deposit.
    let mut c = crate::dmp::Client::connect(addr, cfg).expect("tls");
    let r = c
        .post(
            dmp::PATIENTS_PATH,
            "application/soap+xml; charset=utf-8",
            &crate::dmp::td02("TEST_EXST"),
        )
        .expect("td02");
    assert!(
        r.status == 200 && r.text().contains("PRPA_IN201308UV02"),
        "{}",
        r.text()
    );
    let r = c
        .post(dmp::REPOSITORY_PATH, MTOM_CT, &fresh(&fixture()))
        .expect("deposit");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("ResponseStatusType:Success"),
        "{}",
        r.text()
    );
    let findings = sim.findings();
    let state = sim.state.clone();
    let _dir = sim.stop();
    // The refused request's bytes are in the evidence store.
    let store = dui_conform::evidence::EvidenceStore::open(&state).expect("store");
    let kept = store.entries().expect("manifest").iter().any(|e| {
        e.endpoint == "dmp/http"
            && store
                .get(&e.sha256)
                .is_ok_and(|b| b.windows(8).any(|w| w == b"<lost?/>"))
    });
    assert!(kept, "the 404 request was not recorded");
    let refused = findings
        .lines()
        .filter(|l| {
            l.contains("\"requirement\":\"DMP-SOAP-011\"") && l.contains("\"verdict\":\"fail\"")
        })
        .count();
    // Plaintext, truncated ClientHello, closed at once: three refused TLS connections, each recorded.
    assert_eq!(refused, 3, "{findings}");
    assert!(
        findings
            .lines()
            .any(|l| l.contains("\"requirement\":\"DMP-TX-010\"") && l.contains("/dmp/nowhere")),
        "{findings}"
    );
}
