//! XML-DSig interoperability with xmlsec1 (libxmlsec1, a verifier and signer nobody here wrote), both ways:
//! xmlsec1 verifies the VIHF and XAdES signatures our signer put in the DMP fixture, and our verifier accepts
//! what xmlsec1 signed (several c14n variants) and rejects it after a one-byte change of the signed content.
//! Skips with a message when xmlsec1 is absent (`.ci/run` installs it).

use std::process::Command;

use dui_conform::xmldsig::{self, DsigError, NoExternal, Trust};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::dmp::{fixture, have};
use crate::util::root;

const ASSERTION_ID_ATTR: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";
/// The fixture SubmissionSet uniqueId.
const SS_UID: &str = "1.2.250.1.213.4.99.3.20260315093000";

fn fx(name: &str) -> std::path::PathBuf {
    root().join("fixtures/dmp").join(name)
}

fn trust() -> Trust {
    let pem = std::fs::read(fx("signing-ca.pem")).expect("ca");
    Trust::new(vec![CertificateDer::from_pem_slice(&pem).expect("ca")])
}

/// The SOAP envelope (root part) and the XAdES part of the fixture.
fn fixture_parts() -> (String, String) {
    let s = String::from_utf8(fixture()).expect("utf-8");
    let a = s.find("<?xml").expect("root");
    let b = s.find("</soap:Envelope>").expect("end") + "</soap:Envelope>".len();
    let x = s
        .find("<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=")
        .expect("xades");
    let y = s[x..].find("</ds:Signature>").expect("end") + x + "</ds:Signature>".len();
    (s[a..b].to_string(), s[x..y].to_string())
}

fn xmlsec(args: &[&str]) -> (bool, String) {
    let out = Command::new("xmlsec1")
        .args(args)
        .output()
        .expect("xmlsec1");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn xmlsec1_verifies_the_signatures_of_our_signer() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let (env, xades) = fixture_parts();
    let ca = fx("signing-ca.pem");
    let ca = ca.to_str().expect("path");
    let e = dir.path().join("env.xml");
    std::fs::write(&e, &env).expect("write");
    let (ok, out) = xmlsec(&[
        "--verify",
        "--trusted-pem",
        ca,
        "--id-attr:ID",
        ASSERTION_ID_ATTR,
        e.to_str().expect("p"),
    ]);
    assert!(ok, "xmlsec1 refuses our VIHF signature:\n{out}");
    let x = dir.path().join("xades.xml");
    std::fs::write(&x, &xades).expect("write");
    // The manifest's references name documents by uniqueId (urn:oid:…) that only the receiver of the
    // submission can resolve: xmlsec1 checks SignedInfo (manifest and SignedProperties digests, the
    // signature value, the chain), our tests/dmp.rs checks the manifest digests against the documents.
    let (ok, out) = xmlsec(&[
        "--verify",
        "--ignore-manifests",
        "--trusted-pem",
        ca,
        "--id-attr:Id",
        "http://www.w3.org/2000/09/xmldsig#:Manifest",
        "--id-attr:Id",
        "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        x.to_str().expect("p"),
    ]);
    assert!(ok, "xmlsec1 refuses our XAdES signature:\n{out}");
    // And xmlsec1 does refuse a changed assertion (the test can fail).
    std::fs::write(&e, env.replace(">DURAND Paul<", ">DURAND Paule<")).expect("write");
    let (ok, _) = xmlsec(&[
        "--verify",
        "--trusted-pem",
        ca,
        "--id-attr:ID",
        ASSERTION_ID_ATTR,
        e.to_str().expect("p"),
    ]);
    assert!(!ok, "xmlsec1 accepted a modified assertion");
}

/// The fixture VIHF turned into an xmlsec1 template: values emptied, `X509Data` to fill, and the c14n
/// variant under test.
fn template(c14n: &str, transform: &str) -> String {
    let (env, _) = fixture_parts();
    let re = |s: &str, open: &str, close: &str, with: &str| {
        let a = s.find(open).expect(open);
        let b = s[a..].find(close).expect(close) + a + close.len();
        format!("{}{}{}", &s[..a], with, &s[b..])
    };
    let t = re(
        &env,
        "<ds:DigestValue>",
        "</ds:DigestValue>",
        "<ds:DigestValue></ds:DigestValue>",
    );
    let t = re(
        &t,
        "<ds:SignatureValue>",
        "</ds:SignatureValue>",
        "<ds:SignatureValue></ds:SignatureValue>",
    );
    let t = re(
        &t,
        "<ds:KeyInfo>",
        "</ds:KeyInfo>",
        "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>",
    );
    let t = re(
        &t,
        "<ds:CanonicalizationMethod",
        "/>",
        &format!("<ds:CanonicalizationMethod Algorithm=\"{c14n}\"/>"),
    );
    let a = t
        .find("<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>")
        .expect("transform");
    let len = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>".len();
    format!("{}{}{}", &t[..a], transform, &t[a + len..])
}

fn check(xml: &str) -> Result<(), DsigError> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    let a = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Assertion")
        .expect("assertion");
    let sig = a
        .children()
        .find(|n| n.tag_name().name() == "Signature")
        .expect("signature");
    let v = xmldsig::verify(sig, &NoExternal, &trust(), UnixTime::now())?;
    assert_eq!(v.targets.len(), 1);
    assert_eq!(
        v.targets[0].1,
        Some(a.id()),
        "the reference designates the assertion"
    );
    Ok(())
}

#[test]
fn our_verifier_accepts_what_xmlsec1_signed_and_rejects_a_one_byte_change() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let key = format!(
        "{},{}",
        fx("vihf-seal-key.pem").display(),
        fx("vihf-seal-cert.pem").display()
    );
    let exc = "http://www.w3.org/2001/10/xml-exc-c14n#";
    let variants = [
        (exc.to_string(), format!("<ds:Transform Algorithm=\"{exc}\"/>")),
        // An InclusiveNamespaces PrefixList naming a namespace the assertion does not use visibly.
        (
            exc.to_string(),
            format!("<ds:Transform Algorithm=\"{exc}\"><ec:InclusiveNamespaces xmlns:ec=\"{exc}\" PrefixList=\"wsse xsi\"/></ds:Transform>"),
        ),
        // Canonical XML 1.0 with comments for SignedInfo, inclusive c14n for the reference.
        (
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments".to_string(),
            "<ds:Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>".to_string(),
        ),
    ];
    for (c14n, transform) in variants {
        let t = dir.path().join("t.xml");
        let s = dir.path().join("s.xml");
        std::fs::write(&t, template(&c14n, &transform)).expect("write");
        let (ok, out) = xmlsec(&[
            "--sign",
            "--privkey-pem",
            &key,
            "--id-attr:ID",
            ASSERTION_ID_ATTR,
            "--output",
            s.to_str().expect("p"),
            t.to_str().expect("p"),
        ]);
        assert!(ok, "xmlsec1 --sign ({c14n}, {transform}):\n{out}");
        let signed = std::fs::read_to_string(&s).expect("signed");
        check(&signed).unwrap_or_else(|e| {
            panic!("{c14n} / {transform}: our verifier refuses xmlsec1's signature: {e}")
        });
        // One byte of the signed content changed.
        let i = signed.find(">DURAND Paul<").expect("subject-id") + 1;
        let mut b = signed.clone().into_bytes();
        b[i] = b'F';
        let changed = String::from_utf8(b).expect("utf-8");
        assert!(
            matches!(check(&changed), Err(DsigError::Digest { .. })),
            "{c14n}: a one-byte change went unnoticed"
        );
    }
}

/// Cost of one verification of the fixture's signatures (VIHF envelope parse + verify, XAdES parse +
/// verify with the manifest digest of the 20 KB CDA), for the load goal. Prints µs per request.
/// `cargo test --release --test tests -- --ignored xmldsig::verification_cost --nocapture`
#[test]
#[ignore]
fn verification_cost() {
    let (env, xades) = fixture_parts();
    let cda = crate::dmp::cda_part(&fixture());
    let cda = cda.as_slice();
    let t = trust();
    let n = 200;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let d = roxmltree::Document::parse(&env).expect("xml");
        let sig = d
            .descendants()
            .find(|x| x.tag_name().name() == "Signature")
            .expect("sig");
        xmldsig::verify(sig, &NoExternal, &t, UnixTime::now()).expect("vihf");
    }
    let vihf = start.elapsed() / n;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let d = roxmltree::Document::parse(&xades).expect("xml");
        let docs = [xmldsig::dsg::SignedDoc {
            unique_id: "1.2.250.1.213.4.99.1.20260315101500.2",
            bytes: cda,
        }];
        xmldsig::dsg::verify_detached(&d, SS_UID, &docs, &t, UnixTime::now()).expect("xades");
    }
    let x = start.elapsed() / n;
    eprintln!(
        "VIHF verify: {vihf:?}/request; XAdES verify: {x:?}/request; total {:?}",
        vihf + x
    );
}
