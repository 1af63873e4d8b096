//! The test PKI (issue 4, part 1), checked by peers nobody here wrote: `openssl x509` reads the names,
//! `openssl verify` the chains, `openssl req`/`openssl s_client` play a vendor's own PKI and a TLS client;
//! rustls handshakes in-process with the configurations the simulators use.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use dui_conform::pki::{self, Pki, PkiError, PkiFiles};

use crate::util::test_pki;

/// `openssl` if present; tests needing it skip with a message otherwise (`.ci/run` installs it).
fn openssl() -> Option<Command> {
    match Command::new("openssl").arg("version").output() {
        Ok(o) if o.status.success() => Some(Command::new("openssl")),
        _ => {
            eprintln!("SKIP: openssl not found (CI installs it: see .ci/run)");
            None
        }
    }
}

/// Runs openssl with `args`, returns stdout; panics with stderr on failure.
fn run_openssl(args: &[&str]) -> Option<String> {
    let mut cmd = openssl()?;
    let out = cmd.args(args).output().expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

#[test]
fn init_makes_certificates_openssl_reads_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let pki = Pki::init(&dir).unwrap();
    for f in [
        &pki.ca_cert,
        &pki.server_cert,
        &pki.server_key,
        &pki.client_cert,
        &pki.client_key,
    ] {
        assert!(f.is_file(), "{} missing", f.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pki.client_key)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private keys are not readable by others");
    }
    let Some(server) = run_openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-ext",
        "subjectAltName,extendedKeyUsage",
        "-in",
        p(&pki.server_cert),
    ]) else {
        return;
    };
    assert!(server.contains("DNS:localhost"), "{server}");
    assert!(server.contains("IP Address:127.0.0.1"), "{server}");
    assert!(server.contains("IP Address:0:0:0:0:0:0:0:1"), "{server}");
    assert!(server.contains("TLS Web Server Authentication"), "{server}");

    let client = run_openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-nameopt",
        "RFC2253",
        "-ext",
        "extendedKeyUsage",
        "-in",
        p(&pki.client_cert),
    ])
    .unwrap();
    assert!(
        client
            .contains("subject=CN=DUI de test dui-conform,OU=1480787529,O=SSIAD Les Tilleuls,C=FR"),
        "{client}"
    );
    assert!(client.contains("TLS Web Client Authentication"), "{client}");
    // An RSA 2048 key, like IGC-Santé keys (signatures rsa-sha256, DMP-VIHF-014).
    let text = run_openssl(&["x509", "-noout", "-text", "-in", p(&pki.client_cert)]).unwrap();
    assert!(
        text.contains("rsaEncryption") && text.contains("(2048 bit)"),
        "{text}"
    );
    let key = run_openssl(&["pkey", "-noout", "-text", "-in", p(&pki.client_key)]).unwrap();
    assert!(key.contains("Private-Key: (2048 bit"), "{key}");
    // Our DER reader agrees with openssl on the subject.
    let der = pki.client_chain().unwrap();
    assert_eq!(
        pki::subject_of(&der[0]).unwrap(),
        "CN=DUI de test dui-conform, OU=1480787529, O=SSIAD Les Tilleuls, C=FR"
    );
    assert_eq!(
        pki::issuer_of(&der[0]).unwrap(),
        "CN=dui-conform test CA (not for production), O=dui-conform, C=FR"
    );

    let verified = run_openssl(&[
        "verify",
        "-CAfile",
        p(&pki.ca_cert),
        p(&pki.server_cert),
        p(&pki.client_cert),
    ])
    .unwrap();
    assert!(verified.contains("server.pem: OK"), "{verified}");
    assert!(verified.contains("client.pem: OK"), "{verified}");
    // The purpose is checked too: the client certificate is a TLS client certificate.
    let purpose = run_openssl(&[
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        p(&pki.ca_cert),
        p(&pki.client_cert),
    ])
    .unwrap();
    assert!(purpose.contains("OK"), "{purpose}");
}

#[test]
fn init_is_idempotent_and_reissues_only_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let first = Pki::init(dir).unwrap();
    let before: Vec<Vec<u8>> = [&first.ca_cert, &first.server_cert, &first.client_cert]
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    let again = Pki::init(dir).unwrap();
    let after: Vec<Vec<u8>> = [&again.ca_cert, &again.server_cert, &again.client_cert]
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    assert_eq!(before, after, "a second init changes nothing");

    // Remove the client pair: it is issued again by the same CA, the rest is kept.
    std::fs::remove_file(&first.client_cert).unwrap();
    std::fs::remove_file(&first.client_key).unwrap();
    let third = Pki::init(dir).unwrap();
    assert_eq!(std::fs::read(&third.ca_cert).unwrap(), before[0]);
    assert_eq!(std::fs::read(&third.server_cert).unwrap(), before[1]);
    assert_ne!(std::fs::read(&third.client_cert).unwrap(), before[2]);
    if let Some(out) = run_openssl(&[
        "verify",
        "-CAfile",
        p(&third.ca_cert),
        p(&third.client_cert),
    ]) {
        assert!(out.contains(": OK"), "{out}");
    }
    // And rustls accepts it in a handshake with the kept server certificate.
    let (server_subject, _) = handshake(&third, &third.client_config().unwrap(), true).unwrap();
    assert!(server_subject.unwrap().contains("OU=1480787529"));
}

#[test]
fn half_pairs_are_configuration_errors_and_nothing_is_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join(pki::CLIENT_KEY), "not a key").unwrap();
    let err = Pki::init(dir).unwrap_err();
    assert!(err.is_config(), "{err}");
    assert!(err.to_string().contains("client.pem"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join(pki::CLIENT_KEY)).unwrap(),
        "not a key"
    );

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(pki::CA_KEY), "x").unwrap();
    let err = Pki::init(tmp.path()).unwrap_err();
    assert!(
        err.is_config() && err.to_string().contains("ca-key.pem"),
        "{err}"
    );
}

#[test]
fn load_names_the_bad_file() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::init(tmp.path()).unwrap();
    std::fs::write(
        &pki.server_cert,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = Pki::load(tmp.path()).unwrap_err();
    assert!(matches!(err, PkiError::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("server.pem"), "{err}");

    std::fs::write(&pki.server_cert, "hello").unwrap();
    let err = Pki::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("BEGIN CERTIFICATE"), "{err}");

    // The client certificate given as the CA: named as such.
    std::fs::copy(&pki.client_cert, &pki.ca_cert).unwrap();
    std::fs::copy(&pki.client_cert, &pki.server_cert).unwrap();
    let err = Pki::load(tmp.path()).unwrap_err();
    assert!(err.to_string().contains("not a CA"), "{err}");

    let err = Pki::load(&tmp.path().join("nope")).unwrap_err();
    assert!(err.to_string().contains("pki init"), "{err}");
}

/// IGC-Santé material often comes as DER `.cer` CA certificates and PKCS#12 bundles: a DER certificate is
/// read, a `.p12` gets the openssl command that converts it.
#[test]
fn der_certificates_are_read_and_pkcs12_files_get_a_conversion_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = test_pki();
    let der_path = tmp.path().join("ca.cer");
    std::fs::write(&der_path, pki.ca_certs().unwrap()[0].as_ref()).unwrap();
    let certs = pki::read_certs(&der_path).unwrap();
    assert_eq!(certs, pki.ca_certs().unwrap());
    let p12 = tmp.path().join("dui.p12");
    let Some(_) = run_openssl(&[
        "pkcs12",
        "-export",
        "-passout",
        "pass:x",
        "-in",
        p(&pki.client_cert),
        "-inkey",
        p(&pki.client_key),
        "-out",
        p(&p12),
    ]) else {
        return;
    };
    for err in [
        pki::read_certs(&p12).unwrap_err(),
        pki::read_key(&p12).unwrap_err(),
    ] {
        assert!(err.is_config(), "{err}");
        assert!(err.to_string().contains("openssl pkcs12 -in"), "{err}");
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_when_building_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Pki::init(&tmp.path().join("a")).unwrap();
    let b = Pki::init(&tmp.path().join("b")).unwrap();
    std::fs::copy(&b.server_key, &a.server_key).unwrap();
    let err = a.server_config(true).unwrap_err();
    assert!(err.is_config(), "{err}");
}

#[test]
fn subject_of_survives_garbage() {
    assert_eq!(pki::subject_of(b""), None);
    assert_eq!(pki::subject_of(b"\x30\x03\x02\x01\x01"), None);

    let pki = test_pki();
    let der = pki.client_chain().unwrap()[0].to_vec();
    // Every truncation and every single-byte flip: no panic.
    for n in 0..der.len() {
        let _ = pki::subject_of(&der[..n]);
    }
    for i in 0..der.len() {
        let mut d = der.clone();
        d[i] ^= 0xFF;
        let _ = pki::subject_of(&d);
    }
}

/// Runs one TLS exchange over loopback with the simulators' server config: the server echoes one line.
/// Returns the client certificate subject the server saw, and the negotiated protocol version.
fn handshake(
    pki: &Pki,
    client: &Arc<rustls::ClientConfig>,
    require: bool,
) -> Result<(Option<String>, String), String> {
    let server_cfg = pki.server_config(require).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || -> Result<Option<String>, String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        let conn = rustls::ServerConnection::new(server_cfg).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).map_err(|e| e.to_string())?;
        let peer = tls
            .conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| pki::subject_of(c));
        tls.write_all(b"pong\n").map_err(|e| e.to_string())?;
        tls.conn.send_close_notify();
        let _ = tls.flush();
        Ok(peer)
    });
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(client.clone(), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let client_result = (|| {
        tls.write_all(b"ping\n").map_err(|e| e.to_string())?;
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).map_err(|e| e.to_string())?;
        Ok::<_, String>(format!("{:?}", tls.conn.protocol_version()))
    })();
    drop(tls);
    let server_result = server.join().unwrap();
    match (server_result, client_result) {
        (Ok(peer), Ok(version)) => Ok((peer, version)),
        (Err(e), _) => Err(format!("server: {e}")),
        (_, Err(e)) => Err(format!("client: {e}")),
    }
}

#[test]
fn rustls_handshake_with_client_certificate_succeeds_and_reports_its_subject() {
    let pki = test_pki();
    let (peer, version) = handshake(pki, &pki.client_config().unwrap(), true).unwrap();
    assert_eq!(
        peer.as_deref(),
        Some("CN=DUI de test dui-conform, OU=1480787529, O=SSIAD Les Tilleuls, C=FR")
    );
    assert!(version.contains("TLSv1_3"), "{version}");
}

#[test]
fn rustls_client_without_certificate_is_refused_when_one_is_required() {
    let pki = test_pki();
    let err = handshake(pki, &pki.client_config_without_cert().unwrap(), true).unwrap_err();
    assert!(
        err.contains("NoCertificatesPresented")
            || err.contains("CertificateRequired")
            || err.contains("certificate"),
        "{err}"
    );
    // Optional client authentication: the same client gets in, anonymously.
    let (peer, _) = handshake(pki, &pki.client_config_without_cert().unwrap(), false).unwrap();
    assert_eq!(peer, None);
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = Pki::init(&tmp.path().join("ours")).unwrap();
    let theirs = Pki::init(&tmp.path().join("theirs")).unwrap();
    // A client trusting our CA (so the server is accepted) but presenting a certificate of another CA.
    let mixed = Pki {
        client_cert: theirs.client_cert.clone(),
        client_key: theirs.client_key.clone(),
        ..ours.clone()
    };
    let err = handshake(&ours, &mixed.client_config().unwrap(), true).unwrap_err();
    assert!(
        err.contains("UnknownIssuer") || err.contains("certificate"),
        "{err}"
    );
}

/// A vendor's own CA made by openssl (RSA, PrintableString names, SHA-1 key identifiers): appended to
/// our CA file it is trusted for client certificates; `init` in its folder issues leaves from it.
#[test]
fn a_vendor_ca_made_by_openssl_is_trusted_and_can_issue() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vendor");
    std::fs::create_dir(&v).unwrap();
    let ca_key = v.join("ca-key.pem");
    let ca = v.join("ca.pem");
    let Some(_) = run_openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/C=FR/O=Editeur Exemple/CN=Editeur Exemple Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        p(&ca_key),
        "-out",
        p(&ca),
    ]) else {
        return;
    };
    // The vendor's DUI client certificate, RSA, issued by openssl.
    let key = v.join("dui-key.pem");
    let csr = v.join("dui.csr");
    let crt = v.join("dui.pem");
    let ext = v.join("ext.cnf");
    std::fs::write(
        &ext,
        "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n",
    )
    .unwrap();
    run_openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/C=FR/O=EHPAD Exemple/OU=1750000001/CN=DUI Exemple",
        "-keyout",
        p(&key),
        "-out",
        p(&csr),
    ]);
    run_openssl(&[
        "x509",
        "-req",
        "-in",
        p(&csr),
        "-CA",
        p(&ca),
        "-CAkey",
        p(&ca_key),
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        p(&ext),
        "-out",
        p(&crt),
    ]);

    // Our PKI, with the vendor's CA appended to the trusted bundle.
    let ours = Pki::init(&tmp.path().join("ours")).unwrap();
    let bundle = tmp.path().join("bundle.pem");
    let mut b = std::fs::read(&ours.ca_cert).unwrap();
    b.extend(std::fs::read(&ca).unwrap());
    std::fs::write(&bundle, b).unwrap();
    let server = Pki::from_files(PkiFiles {
        ca_cert: bundle.clone(),
        server_cert: ours.server_cert.clone(),
        server_key: ours.server_key.clone(),
        client_cert: crt.clone(),
        client_key: key.clone(),
    })
    .unwrap();
    let (peer, _) = handshake(&server, &server.client_config().unwrap(), true).unwrap();
    assert_eq!(
        peer.as_deref(),
        Some("CN=DUI Exemple, OU=1750000001, O=EHPAD Exemple, C=FR")
    );
    // Our own client is still accepted with the bundle.
    let ours_with_bundle = Pki {
        ca_cert: bundle,
        ..ours.clone()
    };
    assert!(handshake(
        &ours_with_bundle,
        &ours_with_bundle.client_config().unwrap(),
        true
    )
    .is_ok());

    // `init` in a folder holding only the vendor's CA and key issues the server and client certificates
    // from it, and openssl verifies them against the vendor's CA file.
    let issued = Pki::init(&v).unwrap();
    let out = run_openssl(&[
        "verify",
        "-CAfile",
        p(&ca),
        p(&issued.server_cert),
        p(&issued.client_cert),
    ])
    .unwrap();
    assert_eq!(out.matches(": OK").count(), 2, "{out}");
}

/// `openssl s_client` as the DUI: with the client certificate the handshake completes and the server sees
/// it; TLS 1.1 is refused (DMP-SOAP-011: TLS 1.2 or higher).
#[test]
fn openssl_s_client_handshakes_with_tls12_and_is_refused_tls11() {
    let pki = test_pki();
    if openssl().is_none() {
        return;
    }
    let s_client = |extra: &[&str]| -> (bool, Option<String>) {
        let server_cfg = pki.server_config(true).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().ok()?;
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .ok()?;
            let conn = rustls::ServerConnection::new(server_cfg).ok()?;
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).ok()?;
            let peer = tls
                .conn
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| pki::subject_of(c));
            let _ = tls.write_all(b"pong\n");
            peer
        });
        let connect = format!("127.0.0.1:{port}");
        let mut args = vec![
            "s_client",
            "-connect",
            &connect,
            "-servername",
            "localhost",
            "-CAfile",
            p(&pki.ca_cert),
            "-cert",
            p(&pki.client_cert),
            "-key",
            p(&pki.client_key),
            "-verify_return_error",
            "-quiet",
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new("openssl")
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(b"ping\n");
        let out = child.wait_with_output().unwrap();
        let got_pong = String::from_utf8_lossy(&out.stdout).contains("pong");
        (got_pong, server.join().unwrap())
    };
    let (ok, peer) = s_client(&["-tls1_2"]);
    assert!(ok, "TLS 1.2 with a client certificate works");
    assert!(peer.unwrap().contains("OU=1480787529"));
    let (ok, peer) = s_client(&["-tls1_1"]);
    assert!(!ok && peer.is_none(), "TLS 1.1 is refused");
}

/// `dui-conform pki init DIR` as a user runs it.
#[test]
fn cli_pki_init() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let out = Command::new(env!("CARGO_BIN_EXE_dui-conform"))
        .args(["pki", "init"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("client.pem") && stdout.contains("OU=1480787529"),
        "{stdout}"
    );
    assert!(stdout.contains("new  CA certificate"), "{stdout}");
    assert!(Pki::load(&dir).is_ok());
    // Again: everything kept.
    let out = Command::new(env!("CARGO_BIN_EXE_dui-conform"))
        .args(["pki", "init"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("kept ").count(), 5, "{stdout}");
    // A folder that cannot be made: exit 2, one line naming it.
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dui-conform"))
        .args(["pki", "init"])
        .arg(file.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sub"), "{stderr}");
}

/// `pki revoke`: the CRL it writes is read by `openssl verify -crl_check` (the client certificate revoked,
/// the server's not); a DMP started on that folder refuses the revoked client certificate at the TLS
/// handshake and records why; revoking twice keeps one entry; a certificate of another CA is refused as a
/// configuration error.
#[test]
fn a_revoked_client_certificate_is_refused_by_the_dmp() {
    let dir = tempfile::tempdir().expect("tmp");
    let pki_dir = dir.path().join("pki");
    let pki = Pki::init(&pki_dir).expect("pki");
    let crl = pki.revoke(&pki.client_cert).expect("revoke");
    pki.revoke(&pki.client_cert).expect("revoke again");
    let listed = std::fs::read_to_string(pki_dir.join(pki::REVOKED)).expect("revoked.txt");
    assert_eq!(listed.lines().count(), 1, "{listed}");
    if openssl().is_some() {
        let verify = |cert: &Path| {
            Command::new("openssl")
                .args(["verify", "-crl_check", "-CAfile"])
                .arg(&pki.ca_cert)
                .arg("-CRLfile")
                .arg(&crl)
                .arg(cert)
                .output()
                .expect("openssl verify")
        };
        let c = verify(&pki.client_cert);
        assert!(
            !c.status.success() && String::from_utf8_lossy(&c.stdout).contains("revoked")
                || String::from_utf8_lossy(&c.stderr).contains("revoked"),
            "{c:?}"
        );
        assert!(verify(&pki.server_cert).status.success());
    }
    let other = tempfile::tempdir().expect("tmp");
    let other_pki = Pki::init(other.path()).expect("other pki");
    assert!(matches!(
        pki.revoke(&other_pki.client_cert),
        Err(e) if e.is_config()
    ));

    let sim = crate::dmp::Sim::start_with(dir, dui_conform_state(&pki_dir), |_| {});
    let cfg = sim.pki.client_config().expect("client config");
    let r = crate::dmp::Client::connect(sim.addr(), cfg).and_then(|mut c| {
        c.post(
            dui_conform::sim::dmp::REPOSITORY_PATH,
            crate::dmp::MTOM_CT,
            &crate::dmp::fixture(),
        )
    });
    assert!(r.is_err(), "a revoked certificate got an answer");
    // The refusal is recorded by the connection's task, which may finish after the client saw the alert.
    let mut findings = sim.findings();
    for _ in 0..50 {
        if findings.contains("DMP-SOAP-011") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(40));
        findings = sim.findings();
    }
    sim.stop();
    assert!(
        findings.contains("DMP-SOAP-011") && findings.to_lowercase().contains("revoked"),
        "{findings}"
    );
}

fn dui_conform_state(pki_dir: &Path) -> std::path::PathBuf {
    pki_dir.parent().expect("parent").join("state")
}

/// A CRL of the fixtures' signing CA listing the VIHF seal certificate: the signature checks (VIHF and
/// XAdES) refuse the fixture's otherwise valid signatures as signed by a revoked certificate.
#[test]
fn a_revoked_signer_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let fx = crate::util::root().join("fixtures/dmp");
    std::fs::copy(fx.join("signing-ca.pem"), dir.path().join(pki::CA_CERT)).expect("ca");
    std::fs::copy(fx.join("signing-ca-key.pem"), dir.path().join(pki::CA_KEY)).expect("ca key");
    let ca = Pki::init(dir.path()).expect("pki on the fixture CA");
    ca.revoke(&fx.join("vihf-seal-cert.pem"))
        .expect("revoke the seal");
    let trust = dui_conform::xmldsig::Trust::new(ca.ca_certs().expect("ca"))
        .with_crls(ca.crls().expect("crl"));
    let state = tempfile::tempdir().expect("tmp");
    let mut cfg = dui_conform::sim::dmp::Config::new(state.path());
    cfg.signature_trust = Arc::new(trust);
    let h = dui_conform::sim::dmp::handler::Handler::open(cfg).expect("handler");
    let req = dui_conform::sim::dmp::wire::HttpRequest {
        method: "POST".into(),
        path: dui_conform::sim::dmp::REPOSITORY_PATH.into(),
        content_type: Some(crate::dmp::MTOM_CT.into()),
        body: crate::dmp::fresh(&crate::dmp::fixture()).into(),
    };
    let peer = crate::dmp::test_peer();
    let dui_conform::sim::dmp::handler::Outcome::Respond(r, _) = h.process(&req, &peer) else {
        panic!("dropped");
    };
    let text = String::from_utf8_lossy(&r.body);
    assert!(text.contains("wsse:FailedAuthentication"), "{text}");
    let findings = std::fs::read_to_string(state.path().join("findings.jsonl")).unwrap_or_default();
    assert!(
        findings.contains("DMP-VIHF-013") && findings.contains("certificat révoqué"),
        "{findings}"
    );
}
