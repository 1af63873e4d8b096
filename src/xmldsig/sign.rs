//! The signer: RSA-SHA256 enveloped signatures with exclusive c14n (the shape DMP-VIHF-013/014 and the ANS
//! VIHF example use), for the tests, the fixture generator and a reference DUI.
//!
//! The signature is built as text and spliced into the source text, so everything outside it keeps its
//! bytes. Exclusive c14n makes the canonical SignedInfo independent of where it is inserted (it renders
//! only the namespaces it uses, exc-c14n §1.1), so it is canonicalized from the template alone.

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use super::c14n::{self, Method, Subset};
use super::{alg, elements_with_id, NS_DS};

/// Why signing failed (the caller's input: key, certificate or XML).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key is not a PKCS#8 RSA key *ring* accepts (2048 to 8192 bits).
    #[error("signing key: {0}")]
    Key(String),
    /// The certificate PEM is unreadable.
    #[error("signing certificate: {0}")]
    Certificate(String),
    /// The XML to sign does not parse.
    #[error("XML to sign: {0}")]
    Xml(String),
    /// The element to sign is not there exactly once.
    #[error("element with ID \"{0}\" not found exactly once")]
    Id(String),
    /// RSA signing failed.
    #[error("RSA signing failed")]
    Rsa,
}

/// An RSA key and its certificate (DER).
#[derive(Debug)]
pub struct SigningKey {
    key: RsaKeyPair,
    cert: Vec<u8>,
    rng: SystemRandom,
}

impl SigningKey {
    /// From a PKCS#8 PEM private key and a PEM certificate (the first one of the file).
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<SigningKey, SignError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(key_pem)
            .map_err(|e| SignError::Key(format!("not a PKCS#8 PEM key: {e}")))?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| SignError::Key(e.to_string()))?;
        let cert = CertificateDer::from_pem_slice(cert_pem)
            .map_err(|e| SignError::Certificate(e.to_string()))?;
        Ok(SigningKey {
            key,
            cert: cert.as_ref().to_vec(),
            rng: SystemRandom::new(),
        })
    }

    /// The certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.cert
    }

    /// RSA PKCS#1 v1.5 SHA-256 signature of `data`.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
            .map_err(|_| SignError::Rsa)?;
        Ok(sig)
    }

    /// The `ds:KeyInfo` element carrying the certificate.
    pub fn key_info(&self) -> String {
        format!(
            "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
            b64(&self.cert)
        )
    }

    /// Signs a SignedInfo given as text (it must declare `xmlns:ds` itself): returns the base64
    /// SignatureValue over its exclusive canonical form.
    pub fn sign_signed_info(&self, signed_info: &str) -> Result<String, SignError> {
        let doc =
            roxmltree::Document::parse(signed_info).map_err(|e| SignError::Xml(e.to_string()))?;
        let c = c14n::canonicalize(
            Subset {
                apex: doc.root_element(),
                exclude: None,
                comments: false,
            },
            &exc(),
        );
        Ok(b64(&self.sign(&c)?))
    }
}

pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn exc() -> Method {
    Method::Exclusive {
        comments: false,
        prefixes: Vec::new(),
    }
}

/// A `ds:Reference` with the given transforms (algorithm URIs), SHA-256.
pub(crate) fn reference(
    uri: &str,
    typ: Option<&str>,
    transforms: &[&str],
    digest: &[u8],
) -> String {
    let mut s = String::from("<ds:Reference");
    if let Some(t) = typ {
        s.push_str(&format!(" Type=\"{t}\""));
    }
    s.push_str(&format!(" URI=\"{}\">", escape(uri)));
    if !transforms.is_empty() {
        s.push_str("<ds:Transforms>");
        for t in transforms {
            s.push_str(&format!("<ds:Transform Algorithm=\"{t}\"/>"));
        }
        s.push_str("</ds:Transforms>");
    }
    s.push_str(&format!(
        "<ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
        alg::SHA256,
        b64(digest)
    ));
    s
}

/// A SignedInfo (exc-c14n, rsa-sha256) over references, declaring `xmlns:ds` so it signs standalone.
pub(crate) fn signed_info(references: &[String]) -> String {
    format!(
        "<ds:SignedInfo xmlns:ds=\"{NS_DS}\"><ds:CanonicalizationMethod Algorithm=\"{}\"/><ds:SignatureMethod Algorithm=\"{}\"/>{}</ds:SignedInfo>",
        c14n::uri::EXC_C14N,
        alg::RSA_SHA256,
        references.concat()
    )
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Where the enveloped `ds:Signature` goes in the signed element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Right after the first child element (SAML 2.0: after `saml2:Issuer`, saml-core §5.4.2).
    AfterFirstChildElement,
    /// As the last child.
    LastChild,
}

/// Signs the element whose `ID`/`Id`/`id` is `id` in `xml` with an enveloped signature (Reference
/// `#id`, transforms enveloped-signature + exc-c14n, SHA-256, rsa-sha256, the certificate in KeyInfo).
/// A `ds:Signature` already inside that element (direct child) is removed first, so re-signing works.
pub fn sign_enveloped(
    xml: &str,
    id: &str,
    placement: Placement,
    key: &SigningKey,
) -> Result<String, SignError> {
    let xml = strip_signature(xml, id)?;
    let doc = roxmltree::Document::parse(&xml).map_err(|e| SignError::Xml(e.to_string()))?;
    let [el] = elements_with_id(&doc, id)[..] else {
        return Err(SignError::Id(id.to_string()));
    };
    let canonical = c14n::canonicalize(
        Subset {
            apex: el,
            exclude: None,
            comments: false,
        },
        &exc(),
    );
    let digest = super::digest(alg::SHA256, &canonical).map_err(|_| SignError::Rsa)?;
    let at = match placement {
        Placement::AfterFirstChildElement => el
            .first_element_child()
            .map(|c| c.range().end)
            .ok_or_else(|| SignError::Xml(format!("element #{id} has no child element")))?,
        Placement::LastChild => {
            // Before the end tag; a self-closing element cannot take a child here.
            let r = el.range();
            let end_tag = xml[r.clone()]
                .rfind("</")
                .ok_or_else(|| SignError::Xml(format!("element #{id} is empty (self-closing)")))?;
            r.start + end_tag
        }
    };
    let si = signed_info(&[reference(
        &format!("#{id}"),
        None,
        &[alg::ENVELOPED, c14n::uri::EXC_C14N],
        &digest,
    )]);
    let value = key.sign_signed_info(&si)?;
    // The SignedInfo declared xmlns:ds for standalone signing; inside the Signature it is redundant and
    // dropped so the output looks like what other signers produce (c14n is the same either way).
    let si_inner = si.replacen(&format!(" xmlns:ds=\"{NS_DS}\""), "", 1);
    let sig = format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\">{si_inner}<ds:SignatureValue>{value}</ds:SignatureValue>{}</ds:Signature>",
        key.key_info()
    );
    Ok(format!("{}{}{}", &xml[..at], sig, &xml[at..]))
}

/// `xml` without the `ds:Signature` child of the element with that ID, if any.
fn strip_signature(xml: &str, id: &str) -> Result<String, SignError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| SignError::Xml(e.to_string()))?;
    let [el] = elements_with_id(&doc, id)[..] else {
        return Err(SignError::Id(id.to_string()));
    };
    let sig = el.children().find(|c| {
        c.is_element()
            && c.tag_name().namespace() == Some(NS_DS)
            && c.tag_name().name() == "Signature"
    });
    Ok(match sig {
        Some(s) => format!("{}{}", &xml[..s.range().start], &xml[s.range().end..]),
        None => xml.to_string(),
    })
}
