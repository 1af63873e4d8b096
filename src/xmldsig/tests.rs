//! Sign → verify round trips and each way a signature must fail, with the committed fixture keys
//! (fixtures/dmp: the fixture signing CA, the VIHF seal key and certificate, a seal certificate of another
//! CA). Interoperability with xmlsec1 is in tests/xmldsig.rs.

use super::dsg::{sign_detached, verify_detached, DsgError, DsgInput, SignedDoc};
use super::sign::{sign_enveloped, Placement, SigningKey};
use super::*;

fn fx(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/dmp")
            .join(name),
    )
    .expect("fixture key")
}

fn key() -> SigningKey {
    SigningKey::from_pem(&fx("vihf-seal-key.pem"), &fx("vihf-seal-cert.pem")).expect("key")
}

fn trust() -> Trust {
    Trust::new(vec![
        CertificateDer::from_pem_slice(&fx("signing-ca.pem")).expect("ca")
    ])
}

use rustls_pki_types::pem::PemObject;

const ASSERTION: &str = r#"<env xmlns:s="urn:oasis:names:tc:SAML:2.0:assertion"><s:Assertion ID="_a1" Version="2.0"><s:Issuer>CN=x</s:Issuer><s:Subject><s:NameID>u &amp; v</s:NameID></s:Subject><s:AttributeStatement><s:Attribute Name="LPS_Nom"><s:AttributeValue>DUI</s:AttributeValue></s:Attribute></s:AttributeStatement></s:Assertion></env>"#;

fn check(xml: &str, trust: &Trust) -> Result<Verified, DsigError> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    let sig = doc
        .descendants()
        .find(|n| n.tag_name().namespace() == Some(NS_DS) && n.tag_name().name() == "Signature")
        .ok_or(DsigError::Missing("Signature"))?;
    verify(sig, &NoExternal, trust, UnixTime::now())
}

#[test]
fn enveloped_signature_round_trip_resolves_to_the_assertion() {
    let signed =
        sign_enveloped(ASSERTION, "_a1", Placement::AfterFirstChildElement, &key()).expect("sign");
    assert!(signed.contains("</s:Issuer><ds:Signature"), "{signed}");
    let v = check(&signed, &trust()).expect("verifies");
    assert_eq!(v.signature_method, alg::RSA_SHA256);
    let doc = roxmltree::Document::parse(&signed).expect("xml");
    let assertion = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Assertion")
        .expect("a");
    assert_eq!(v.targets, vec![("#_a1".to_string(), Some(assertion.id()))]);
    // Re-signing replaces the signature instead of nesting a second one.
    let again =
        sign_enveloped(&signed, "_a1", Placement::AfterFirstChildElement, &key()).expect("sign");
    assert_eq!(again.matches("<ds:Signature xmlns").count(), 1);
    check(&again, &trust()).expect("verifies");
}

#[test]
fn a_modified_assertion_fails_its_digest() {
    let signed = sign_enveloped(ASSERTION, "_a1", Placement::LastChild, &key()).expect("sign");
    let tampered = signed.replace(">DUI<", ">DUJ<");
    assert!(matches!(
        check(&tampered, &trust()),
        Err(DsigError::Digest { .. })
    ));
    // An equivalent serialization (attribute quotes, an entity written differently) still verifies.
    let same = signed
        .replace("u &amp; v", "u &#38; v")
        .replace("Version=\"2.0\"", "Version='2.0'");
    check(&same, &trust()).expect("c14n makes these the same");
}

#[test]
fn a_modified_signature_value_or_signed_info_fails() {
    let signed = sign_enveloped(ASSERTION, "_a1", Placement::LastChild, &key()).expect("sign");
    let i = signed.find("<ds:SignatureValue>").expect("sv") + "<ds:SignatureValue>".len();
    let mut b = signed.clone().into_bytes();
    b[i + 5] = if b[i + 5] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(b).expect("utf-8");
    assert!(matches!(
        check(&bad, &trust()),
        Err(DsigError::BadSignature(_))
    ));
    let bad = signed.replace(alg::RSA_SHA256, alg::RSA_SHA1);
    assert!(matches!(
        check(&bad, &trust()),
        Err(DsigError::BadSignature(_))
    ));
}

#[test]
fn a_certificate_of_another_ca_is_untrusted_and_no_ca_is_a_configuration_error() {
    let other =
        SigningKey::from_pem(&fx("vihf-seal-key.pem"), &fx("other-seal-cert.pem")).expect("key");
    let signed = sign_enveloped(ASSERTION, "_a1", Placement::LastChild, &other).expect("sign");
    let e = check(&signed, &trust()).expect_err("untrusted");
    assert!(matches!(e, DsigError::Untrusted(_)), "{e}");
    assert!(e.to_string().contains("unknown issuer"), "{e}");
    let e = check(&signed, &Trust::default()).expect_err("no trust");
    assert!(e.is_config());
}

#[test]
fn a_duplicated_id_is_signature_wrapping() {
    let signed = sign_enveloped(ASSERTION, "_a1", Placement::LastChild, &key()).expect("sign");
    // The attacker's assertion with the same ID placed before the signed one.
    let evil = signed.replacen(
        "<s:Assertion",
        "<s:Assertion ID=\"_a1\"><s:Issuer>CN=evil</s:Issuer></s:Assertion><s:Assertion",
        1,
    );
    assert!(matches!(
        check(&evil, &trust()),
        Err(DsigError::Ambiguous { count: 2, .. })
    ));
}

#[test]
fn unsupported_algorithms_are_named() {
    let signed = sign_enveloped(ASSERTION, "_a1", Placement::LastChild, &key()).expect("sign");
    let bad = signed.replace(alg::SHA256, "http://www.w3.org/2001/04/xmldsig-more#md5");
    assert!(matches!(
        check(&bad, &trust()),
        Err(DsigError::Unsupported {
            what: "DigestMethod",
            ..
        })
    ));
}

fn dsg_input<'a>(docs: Vec<SignedDoc<'a>>) -> DsgInput<'a> {
    DsgInput {
        signature_id: "Signature01",
        submission_set_unique_id: "1.2.3.4",
        documents: docs,
        signing_time: "2026-03-15T09:30:00Z",
    }
}

#[test]
fn dsg_detached_round_trip_and_failures() {
    let cda = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>".to_vec();
    let docs = vec![SignedDoc {
        unique_id: "1.2.3.4.1",
        bytes: &cda,
    }];
    let xml = sign_detached(&dsg_input(docs.clone()), &key()).expect("sign");
    let text = String::from_utf8(xml).expect("utf-8");
    let doc = roxmltree::Document::parse(&text).expect("xml");
    let v = verify_detached(&doc, "1.2.3.4", &docs, &trust(), UnixTime::now()).expect("verifies");
    assert_eq!(v.signing_time, "2026-03-15T09:30:00Z");
    // The document changed after signing.
    let other = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"> </ClinicalDocument>".to_vec();
    let changed = [SignedDoc {
        unique_id: "1.2.3.4.1",
        bytes: &other,
    }];
    assert!(matches!(
        verify_detached(&doc, "1.2.3.4", &changed, &trust(), UnixTime::now()),
        Err(DsgError::Dsig(DsigError::Digest { .. }))
    ));
    // A document the signature does not cover.
    let extra = [
        docs[0],
        SignedDoc {
            unique_id: "1.2.3.4.2",
            bytes: b"x",
        },
    ];
    assert!(matches!(
        verify_detached(&doc, "1.2.3.4", &extra, &trust(), UnixTime::now()),
        Err(DsgError::Uncovered(u)) if u == "1.2.3.4.2"
    ));
    // Another submission set.
    assert!(matches!(
        verify_detached(&doc, "9.9", &docs, &trust(), UnixTime::now()),
        Err(DsgError::NoSubmissionSet(_))
    ));
    // SigningTime tampered: SignedProperties digest.
    let t = text.replace("2026-03-15T09:30:00Z", "2026-03-15T09:31:00Z");
    let d = roxmltree::Document::parse(&t).expect("xml");
    assert!(matches!(
        verify_detached(&d, "1.2.3.4", &docs, &trust(), UnixTime::now()),
        Err(DsgError::Dsig(DsigError::Digest { .. }))
    ));
    // Signed in the future.
    let future = DsgInput {
        signing_time: "2099-01-01T00:00:00Z",
        ..dsg_input(docs.clone())
    };
    let x = String::from_utf8(sign_detached(&future, &key()).expect("sign")).expect("utf-8");
    let d = roxmltree::Document::parse(&x).expect("xml");
    assert!(matches!(
        verify_detached(&d, "1.2.3.4", &docs, &trust(), UnixTime::now()),
        Err(DsgError::SigningTimeFuture(_))
    ));
    // Signed before the certificate existed (fixtures/dmp certificates: valid from 2026-01-01).
    let early = DsgInput {
        signing_time: "2025-06-01T08:00:00Z",
        ..dsg_input(docs.clone())
    };
    let x = String::from_utf8(sign_detached(&early, &key()).expect("sign")).expect("utf-8");
    let d = roxmltree::Document::parse(&x).expect("xml");
    let e = verify_detached(&d, "1.2.3.4", &docs, &trust(), UnixTime::now());
    assert!(
        matches!(&e, Err(DsgError::SigningTimeOutsideValidity { time, .. }) if time == "2025-06-01T08:00:00Z"),
        "{e:?}"
    );
}

/// XAdES-BES: SigningCertificate must name the KeyInfo certificate; without it, KeyInfo must be signed.
#[test]
fn dsg_signing_certificate_binds_the_key_info_certificate() {
    let cda = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>".to_vec();
    let docs = vec![SignedDoc {
        unique_id: "1.2.3.4.1",
        bytes: &cda,
    }];
    let text = String::from_utf8(sign_detached(&dsg_input(docs.clone()), &key()).expect("sign"))
        .expect("utf-8");
    let doc = roxmltree::Document::parse(&text).expect("xml");
    let sig = doc.root_element();
    let core = verify(sig, &NoExternal, &trust(), UnixTime::now()).expect("core");
    let props = doc
        .descendants()
        .find(|n| n.tag_name().name() == "SignedProperties")
        .expect("props");
    assert_eq!(dsg::signing_certificate(sig, props, &core), Ok(()));
    // Another certificate for the same key (issued by another CA) in KeyInfo: the digest names the other.
    let other = CertificateDer::from_pem_slice(&fx("other-seal-cert.pem")).expect("pem");
    let swapped = Verified {
        certificate: other.to_vec(),
        ..core.clone()
    };
    assert!(matches!(
        dsg::signing_certificate(sig, props, &swapped),
        Err(DsgError::SigningCertificateMismatch(_))
    ));
    // No SigningCertificate, KeyInfo not signed.
    let bare = text
        .replace("<xades:SigningCertificate>", "<xades:X>")
        .replace("</xades:SigningCertificate>", "</xades:X>");
    let d = roxmltree::Document::parse(&bare).expect("xml");
    let p = d
        .descendants()
        .find(|n| n.tag_name().name() == "SignedProperties")
        .expect("props");
    assert_eq!(
        dsg::signing_certificate(d.root_element(), p, &core),
        Err(DsgError::NoSigningCertificate)
    );
}

/// A chain accepted once is accepted again from memory within the same second, and only then: a later
/// time (here, after the certificate's expiry) is verified afresh, as is a chain never seen.
#[test]
fn verified_chains_are_remembered_for_one_second_only() {
    let trust = trust();
    let cert = CertificateDer::from_pem_slice(&fx("vihf-seal-cert.pem")).expect("cert");
    let now = UnixTime::now();
    trust.check(&cert, &[], now).expect("trusted");
    trust.check(&cert, &[], now).expect("trusted, remembered");
    let clone = trust.clone();
    clone
        .check(&cert, &[], now)
        .expect("a clone shares the memory");
    let far = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        now.as_secs() + 400 * 365 * 86_400,
    ));
    assert!(matches!(
        trust.check(&cert, &[], far),
        Err(DsigError::Untrusted(_))
    ));
    // A certificate of another CA is refused each time (failures are not remembered).
    let other = CertificateDer::from_pem_slice(&fx("other-seal-cert.pem")).expect("cert");
    for _ in 0..2 {
        assert!(matches!(
            trust.check(&other, &[], now),
            Err(DsigError::Untrusted(_))
        ));
    }
}
