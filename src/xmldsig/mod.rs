//! XML Signature (W3C XMLDSig 1.0, "XML-Signature Syntax and Processing", second edition 2008) over a
//! roxmltree document: core validation of a `ds:Signature` (§3.2: Reference validation, then SignedInfo
//! canonicalization and SignatureValue validation), the X.509 chain of the signer against configured
//! trust anchors, and a signer producing the same shapes. Used for the VIHF (DMP-VIHF-013/014: an
//! enveloped signature of the SAML assertion) and the IHE DSG detached XAdES signature of an ITI-41
//! (DMP-TX-016, [`dsg`]).
//!
//! # Layout
//! - [`c14n`]: Canonical XML 1.0 and Exclusive c14n 1.0 of a node subset;
//! - this module: [`verify`], the algorithms, [`Trust`], [`DsigError`];
//! - [`sign`]: [`sign::SigningKey`] and the enveloped signer;
//! - [`dsg`]: the IHE DSG detached signature (XAdES, manifest of the submission's documents).
//! - [`iti41`]: signing a whole MTOM ITI-41 (XAdES part, then VIHF), for fixtures, tests and a reference DUI.
//!
//! # What is supported (and what is refused, naming the signer's algorithm)
//! - SignatureMethod `rsa-sha256` (RFC 6931 §2.3.2) and `rsa-sha1` (XMLDSig §6.4.2), RSA PKCS#1 v1.5,
//!   keys of 2048 to 8192 bits (*ring*);
//! - DigestMethod SHA-256 (XML Encryption §5.7.2) and SHA-1 (XMLDSig §6.2.1);
//! - CanonicalizationMethod and Transforms: c14n 1.0 and exc-c14n 1.0, with or without comments
//!   (`InclusiveNamespaces PrefixList`), enveloped-signature;
//! - Reference URIs: `""` (whole document), `#id` (same document), anything else through a resolver
//!   given by the caller (the DSG manifest names documents by `urn:oid:` uniqueId).
//!
//! # Signature wrapping
//! A `#id` reference resolves to the one element carrying an `ID`/`Id`/`id` attribute (any namespace,
//! e.g. `wsu:Id`) with that value; none or several is an error (an attacker's copy of the signed element
//! with the same ID is caught here). [`Verified::targets`] returns the node each reference resolved to, so
//! the caller checks it is the element it actually uses (the VIHF check compares it with the assertion it
//! reads the attributes from).

pub mod c14n;
pub mod dsg;
pub mod iti41;
pub mod sign;

use base64::Engine;
use roxmltree::{Node, NodeId};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use sha1::Digest;

use c14n::{Method, Subset};

/// XML-DSig namespace.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive c14n namespace (`InclusiveNamespaces`).
pub const NS_EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Algorithm URIs.
pub mod alg {
    /// RSA PKCS#1 v1.5 with SHA-256 (RFC 6931 §2.3.2).
    pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    /// RSA PKCS#1 v1.5 with SHA-1 (XMLDSig §6.4.2).
    pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    /// SHA-256 digest (XML Encryption §5.7.2).
    pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
    /// SHA-1 digest (XMLDSig §6.2.1).
    pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
    /// Enveloped-signature transform (XMLDSig §6.6.4).
    pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
}

/// Why a signature does not verify. Unless stated otherwise the fault is the signer's (the DUI's); the
/// French text is [`DsigError::fr`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsigError {
    /// A mandatory element of the signature is missing.
    #[error("the signature has no {0}")]
    Missing(&'static str),
    /// An algorithm the verifier does not implement (the signer chose it).
    #[error("unsupported {what} algorithm \"{uri}\"")]
    Unsupported {
        /// Which method (`SignatureMethod`, `DigestMethod`, `Transform`, `CanonicalizationMethod`).
        what: &'static str,
        /// Its URI.
        uri: String,
    },
    /// A reference names nothing.
    #[error("Reference URI \"{0}\" resolves to nothing")]
    Unresolved(String),
    /// A `#id` reference names several elements (signature wrapping defence).
    #[error("Reference URI \"{uri}\" is ambiguous: {count} elements carry that ID (signature wrapping?)")]
    Ambiguous {
        /// The URI.
        uri: String,
        /// How many elements carry the ID.
        count: usize,
    },
    /// A reference resolves to another element than the one the receiver uses.
    #[error("Reference URI \"{0}\" does not designate the signed element the receiver uses (signature wrapping?)")]
    WrongTarget(String),
    /// A reference digest differs: the referenced content changed after signing.
    #[error("digest of Reference \"{uri}\" differs: the signed content was modified (computed {computed}, signed {signed})")]
    Digest {
        /// The URI.
        uri: String,
        /// Base64 digest computed over the received content.
        computed: String,
        /// Base64 DigestValue in the signature.
        signed: String,
    },
    /// Base64 content that does not decode.
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    /// The embedded certificate cannot be read.
    #[error("X509Certificate unreadable: {0}")]
    Certificate(String),
    /// The certificate is not issued by a configured CA (or is expired, or not for signing).
    #[error("the signing certificate is not trusted: {0}")]
    Untrusted(String),
    /// No CA is configured to verify signatures (the operator's configuration, not the DUI).
    #[error("no CA configured to verify XML signatures (harness configuration)")]
    NoTrust,
    /// SignatureValue does not verify with the certificate key over the canonical SignedInfo.
    #[error("SignatureValue does not verify with the key of the embedded certificate over the canonical SignedInfo ({0})")]
    BadSignature(&'static str),
    /// A document of the DSG manifest cannot be parsed for its c14n transform.
    #[error("Reference \"{0}\": content is not XML, but a c14n transform applies to it")]
    NotXml(String),
}

impl DsigError {
    /// The French text of the error.
    pub fn fr(&self) -> String {
        match self {
            DsigError::Missing(what) => format!("la signature n'a pas de {what}"),
            DsigError::Unsupported { what, uri } => {
                format!("algorithme {what} « {uri} » non pris en charge")
            }
            DsigError::Unresolved(u) => format!("Reference URI « {u} » ne désigne rien"),
            DsigError::Ambiguous { uri, count } => format!(
                "Reference URI « {uri} » ambiguë : {count} éléments portent cet ID (emballage de signature ?)"
            ),
            DsigError::WrongTarget(u) => format!(
                "Reference URI « {u} » ne désigne pas l'élément signé qu'utilise le récepteur (emballage de signature ?)"
            ),
            DsigError::Digest {
                uri,
                computed,
                signed,
            } => format!(
                "empreinte de la Reference « {uri} » différente : le contenu signé a été modifié (calculée {computed}, signée {signed})"
            ),
            DsigError::Base64(what) => format!("{what} n'est pas du base64 valide"),
            DsigError::Certificate(e) => format!("X509Certificate illisible : {e}"),
            DsigError::Untrusted(e) => {
                let e = match e.as_str() {
                    UNKNOWN_ISSUER => "non émis par une AC configurée (émetteur inconnu)",
                    EXPIRED => "certificat expiré",
                    NOT_YET_VALID => "certificat pas encore valide",
                    REVOKED => "certificat révoqué (listé par la CRL de son AC)",
                    other => other,
                };
                format!("le certificat de signature n'est pas de confiance : {e}")
            }
            DsigError::NoTrust => "aucune AC configurée pour vérifier les signatures XML (configuration du harnais)".into(),
            DsigError::BadSignature(why) => format!(
                "SignatureValue ne se vérifie pas avec la clé du certificat embarqué sur le SignedInfo canonique ({why})"
            ),
            DsigError::NotXml(u) => format!(
                "Reference « {u} » : contenu non XML, alors qu'une transformation c14n s'y applique"
            ),
        }
    }

    /// The fault lies with the harness configuration, not the signer.
    pub fn is_config(&self) -> bool {
        matches!(self, DsigError::NoTrust)
    }
}

const UNKNOWN_ISSUER: &str = "not issued by a configured CA (unknown issuer)";
const EXPIRED: &str = "certificate expired";
const NOT_YET_VALID: &str = "certificate not valid yet";
const REVOKED: &str = "certificate revoked (listed by its CA's CRL)";

/// The trust anchors (CA certificates) signatures are checked against: the test CA in scenarios, the
/// IGC-Santé chain in production (DMP-VIHF-013).
#[derive(Debug, Clone, Default)]
pub struct Trust {
    anchors: Vec<CertificateDer<'static>>,
    /// CRLs (DER); a certificate they list is refused, one of a CA without CRL is not.
    crls: Vec<rustls_pki_types::CertificateRevocationListDer<'static>>,
    /// Chains verified, each at one time in whole seconds (shared by clones: same anchors and CRLs).
    verified: std::sync::Arc<std::sync::Mutex<VerifiedChains>>,
}

/// The chains [`Trust::check`] accepted, each with the time (whole seconds) it was checked at. X.509
/// validity has a one-second resolution and webpki compares whole seconds, so for the same second the same
/// chain gets the same verdict: the DMP simulator, which sees the same signer certificates on every request,
/// verifies each chain (an RSA verification per certificate) once a second instead of twice per deposit.
/// The time is part of the key because a chain is also checked at a signature's SigningTime.
#[derive(Debug, Default)]
struct VerifiedChains {
    /// (second, SHA-256 of the length-prefixed DERs of the certificate and its intermediates).
    chains: std::collections::HashSet<(u64, [u8; 32])>,
}

/// Bound on the chains remembered (a peer presenting many certificates cannot grow it; when full, it is
/// emptied).
const MAX_VERIFIED_CHAINS: usize = 256;

/// The key of a chain: every DER length-prefixed, so that no two chains share a key.
fn chain_key(cert: &[u8], intermediates: &[CertificateDer<'_>]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for der in std::iter::once(cert).chain(intermediates.iter().map(|c| c.as_ref())) {
        h.update((der.len() as u64).to_be_bytes());
        h.update(der);
    }
    h.finalize().into()
}

impl Trust {
    /// Trusts these CA certificates.
    pub fn new(anchors: Vec<CertificateDer<'static>>) -> Trust {
        Trust {
            anchors,
            crls: Vec::new(),
            verified: Default::default(),
        }
    }

    /// Also checks certificates against these CRLs (RFC 5280 §6.3), each chain element whose CA
    /// published one; a CRL past its nextUpdate still counts (a harness must not fail on a stale file).
    pub fn with_crls(
        mut self,
        crls: Vec<rustls_pki_types::CertificateRevocationListDer<'static>>,
    ) -> Trust {
        self.crls = crls;
        self.verified = Default::default();
        self
    }

    /// No CA configured.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Checks that `cert` chains to an anchor (through `intermediates`) and is valid at `now`; any
    /// extended key usage is accepted (seal and signature certificates have various ones).
    pub fn check(
        &self,
        cert: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), DsigError> {
        if self.anchors.is_empty() {
            return Err(DsigError::NoTrust);
        }
        let key = (now.as_secs(), chain_key(cert, intermediates));
        if self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .chains
            .contains(&key)
        {
            return Ok(());
        }
        self.verify_chain(cert, intermediates, now)?;
        let mut v = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if v.chains.len() >= MAX_VERIFIED_CHAINS {
            v.chains.clear();
        }
        v.chains.insert(key);
        Ok(())
    }

    /// The chain verification proper (webpki).
    fn verify_chain(
        &self,
        cert: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), DsigError> {
        let anchors: Vec<_> = self
            .anchors
            .iter()
            .filter_map(|a| webpki::anchor_from_trusted_cert(a).ok())
            .collect();
        let ee = webpki::EndEntityCert::try_from(cert)
            .map_err(|e| DsigError::Certificate(format!("{e:?}")))?;
        let parsed: Vec<webpki::CertRevocationList<'_>> = self
            .crls
            .iter()
            .filter_map(|c| webpki::BorrowedCertRevocationList::from_der(c).ok())
            .map(webpki::CertRevocationList::from)
            .collect();
        let refs: Vec<&webpki::CertRevocationList<'_>> = parsed.iter().collect();
        let revocation = webpki::RevocationOptionsBuilder::new(&refs).ok().map(|b| {
            b.with_status_policy(webpki::UnknownStatusPolicy::Allow)
                .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                .build()
        });
        ee.verify_for_usage(
            CHAIN_ALGS,
            &anchors,
            intermediates,
            now,
            AnyEku,
            revocation,
            None,
        )
        .map(|_| ())
        .map_err(|e| {
            DsigError::Untrusted(match e {
                webpki::Error::UnknownIssuer => UNKNOWN_ISSUER.to_string(),
                webpki::Error::CertExpired { .. } => EXPIRED.to_string(),
                webpki::Error::CertNotValidYet { .. } => NOT_YET_VALID.to_string(),
                webpki::Error::CertRevoked => REVOKED.to_string(),
                other => format!("{other:?}"),
            })
        })
    }
}

/// Algorithms accepted in certificate chains.
static CHAIN_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
];

/// Accepts any (or no) extended key usage.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// RSA PKCS#1 v1.5 SHA-1 over the certificate's key (XMLDSig rsa-sha1; *ring* keeps it for legacy use).
#[derive(Debug)]
struct RsaSha1;

impl SignatureVerificationAlgorithm for RsaSha1 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), rustls_pki_types::InvalidSignature> {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            public_key,
        )
        .verify(message, signature)
        .map_err(|_| rustls_pki_types::InvalidSignature)
    }
    fn public_key_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        rustls_pki_types::alg_id::RSA_ENCRYPTION
    }
    fn signature_alg_id(&self) -> rustls_pki_types::AlgorithmIdentifier {
        rustls_pki_types::alg_id::RSA_PKCS1_SHA256
    }
}

/// What external references resolve to (the DSG manifest's `urn:oid:` documents).
pub trait Resolver {
    /// The octets an URI names, if any.
    fn resolve(&self, uri: &str) -> Option<&[u8]>;
}

/// No external reference resolves.
pub struct NoExternal;

impl Resolver for NoExternal {
    fn resolve(&self, _uri: &str) -> Option<&[u8]> {
        None
    }
}

/// A verified signature.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signer certificate (DER), first `X509Certificate` of `KeyInfo`.
    pub certificate: Vec<u8>,
    /// The other `X509Certificate`s of `KeyInfo` (intermediates offered for the chain), DER.
    pub intermediates: Vec<Vec<u8>>,
    /// `SignatureMethod/@Algorithm`.
    pub signature_method: String,
    /// `DigestMethod/@Algorithm` of each SignedInfo reference.
    pub digest_methods: Vec<String>,
    /// Each SignedInfo reference: its URI and, for a same-document one, the element it resolved to
    /// (None for `""`: the whole document).
    pub targets: Vec<(String, Option<NodeId>)>,
}

fn ds_child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().namespace() == Some(NS_DS) && c.tag_name().name() == name
    })
}

fn ds_children<'a, 'i: 'a>(
    n: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == Some(NS_DS) && c.tag_name().name() == name
    })
}

fn b64_bytes(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub(crate) fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, DsigError> {
    crate::formats::xds::decode_base64(text).map_err(|_| DsigError::Base64(what))
}

/// The elements whose `ID`, `Id` or `id` attribute (any namespace) equals `id`.
pub fn elements_with_id<'a, 'i>(doc: &'a roxmltree::Document<'i>, id: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| {
            n.is_element()
                && n.attributes()
                    .any(|a| matches!(a.name(), "ID" | "Id" | "id") && a.value() == id)
        })
        .collect()
}

/// The method of a `CanonicalizationMethod` or `Transform` element (with its `InclusiveNamespaces`).
fn method_of(n: Node<'_, '_>, what: &'static str) -> Result<Method, DsigError> {
    let alg = n.attribute("Algorithm").unwrap_or("");
    let list = n
        .children()
        .find(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(NS_EXC)
                && c.tag_name().name() == "InclusiveNamespaces"
        })
        .and_then(|c| c.attribute("PrefixList"));
    Method::from_uri(alg, list).ok_or_else(|| DsigError::Unsupported {
        what,
        uri: alg.to_string(),
    })
}

/// Digest of data by a DigestMethod URI.
pub fn digest(alg_uri: &str, data: &[u8]) -> Result<Vec<u8>, DsigError> {
    match alg_uri {
        alg::SHA256 => Ok(sha2::Sha256::digest(data).to_vec()),
        alg::SHA1 => Ok(sha1::Sha1::digest(data).to_vec()),
        other => Err(DsigError::Unsupported {
            what: "DigestMethod",
            uri: other.to_string(),
        }),
    }
}

/// The data a reference designates, during the transforms (XMLDSig §4.3.3.2).
enum Data<'a, 'i> {
    Nodes(Subset<'a, 'i>),
    Octets(Vec<u8>),
}

/// Computes the digest of one `ds:Reference` (§3.2.1): dereference, apply the transforms, digest.
/// Returns the computed digest and the element a same-document reference resolved to.
pub fn reference_digest(
    reference: Node<'_, '_>,
    signature: Node<'_, '_>,
    resolver: &dyn Resolver,
) -> Result<(Vec<u8>, Option<NodeId>), DsigError> {
    let doc = reference.document();
    let uri = reference.attribute("URI").unwrap_or("");
    let (mut data, target) = if reference.attribute("URI").is_none() {
        return Err(DsigError::Missing("Reference/@URI"));
    } else if uri.is_empty() {
        (
            Data::Nodes(Subset {
                apex: doc.root(),
                exclude: None,
                comments: false,
            }),
            None,
        )
    } else if let Some(id) = uri.strip_prefix('#') {
        let found = elements_with_id(doc, id);
        match found.as_slice() {
            [one] => (
                Data::Nodes(Subset {
                    apex: *one,
                    exclude: None,
                    comments: false,
                }),
                Some(one.id()),
            ),
            [] => return Err(DsigError::Unresolved(uri.to_string())),
            many => {
                return Err(DsigError::Ambiguous {
                    uri: uri.to_string(),
                    count: many.len(),
                })
            }
        }
    } else {
        let bytes = resolver
            .resolve(uri)
            .ok_or_else(|| DsigError::Unresolved(uri.to_string()))?;
        (Data::Octets(bytes.to_vec()), None)
    };
    if let Some(ts) = ds_child(reference, "Transforms") {
        for t in ds_children(ts, "Transform") {
            let a = t.attribute("Algorithm").unwrap_or("");
            data = match (a, data) {
                (alg::ENVELOPED, Data::Nodes(mut s)) => {
                    s.exclude = Some(signature.id());
                    Data::Nodes(s)
                }
                (_, Data::Nodes(s)) => {
                    Data::Octets(c14n::canonicalize(s, &method_of(t, "Transform")?))
                }
                (_, Data::Octets(o)) => {
                    let m = method_of(t, "Transform")?;
                    Data::Octets(
                        c14n_octets(&o, &m).ok_or_else(|| DsigError::NotXml(uri.to_string()))?,
                    )
                }
            };
        }
    }
    let octets = match data {
        // §4.3.3.2: a node-set left at the end is converted with Canonical XML 1.0 without comments.
        Data::Nodes(s) => c14n::canonicalize(s, &Method::Inclusive { comments: false }),
        Data::Octets(o) => o,
    };
    let dm = ds_child(reference, "DigestMethod")
        .ok_or(DsigError::Missing("Reference/DigestMethod"))?
        .attribute("Algorithm")
        .unwrap_or("");
    Ok((digest(dm, &octets)?, target))
}

/// Canonical form of an XML octet stream (a whole document), None if it is not XML.
fn c14n_octets(octets: &[u8], m: &Method) -> Option<Vec<u8>> {
    let limits = crate::limits::Limits::default();
    let text = crate::formats::xml::decode(octets, &limits).ok()?;
    let doc = crate::formats::xml::parse(&text, &limits).ok()?;
    Some(c14n::canonicalize(
        Subset {
            apex: doc.root(),
            exclude: None,
            comments: true,
        },
        m,
    ))
}

/// Checks one reference's digest against its DigestValue.
pub fn check_reference(
    reference: Node<'_, '_>,
    signature: Node<'_, '_>,
    resolver: &dyn Resolver,
) -> Result<Option<NodeId>, DsigError> {
    let uri = reference.attribute("URI").unwrap_or("").to_string();
    let (computed, target) = reference_digest(reference, signature, resolver)?;
    let dv =
        ds_child(reference, "DigestValue").ok_or(DsigError::Missing("Reference/DigestValue"))?;
    let signed = unb64(dv.text().unwrap_or(""), "DigestValue")?;
    if signed != computed {
        return Err(DsigError::Digest {
            uri,
            computed: b64_bytes(&computed),
            signed: b64_bytes(&signed),
        });
    }
    Ok(target)
}

/// Core validation (XMLDSig §3.2) of `signature` (a `ds:Signature` element): every SignedInfo
/// reference digest, the signer certificate against `trust` at `now`, then SignatureValue over the
/// canonical SignedInfo with the certificate key.
pub fn verify(
    signature: Node<'_, '_>,
    resolver: &dyn Resolver,
    trust: &Trust,
    now: UnixTime,
) -> Result<Verified, DsigError> {
    let si = ds_child(signature, "SignedInfo").ok_or(DsigError::Missing("SignedInfo"))?;
    let cm = ds_child(si, "CanonicalizationMethod")
        .ok_or(DsigError::Missing("SignedInfo/CanonicalizationMethod"))?;
    let method = method_of(cm, "CanonicalizationMethod")?;
    let sm = ds_child(si, "SignatureMethod")
        .ok_or(DsigError::Missing("SignedInfo/SignatureMethod"))?
        .attribute("Algorithm")
        .unwrap_or("")
        .to_string();
    let sig_alg: &dyn SignatureVerificationAlgorithm = match sm.as_str() {
        alg::RSA_SHA256 => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_SHA1 => &RsaSha1,
        other => {
            return Err(DsigError::Unsupported {
                what: "SignatureMethod",
                uri: other.to_string(),
            })
        }
    };
    // §3.2.1 Reference validation.
    let mut targets = Vec::new();
    let mut digest_methods = Vec::new();
    let refs: Vec<_> = ds_children(si, "Reference").collect();
    if refs.is_empty() {
        return Err(DsigError::Missing("SignedInfo/Reference"));
    }
    for r in refs {
        let t = check_reference(r, signature, resolver)?;
        targets.push((r.attribute("URI").unwrap_or("").to_string(), t));
        digest_methods.push(
            ds_child(r, "DigestMethod")
                .and_then(|d| d.attribute("Algorithm"))
                .unwrap_or("")
                .to_string(),
        );
    }
    // The signer certificate and its chain.
    let certs: Vec<Vec<u8>> = ds_child(signature, "KeyInfo")
        .and_then(|k| ds_child(k, "X509Data"))
        .map(|x| {
            ds_children(x, "X509Certificate")
                .map(|c| unb64(c.text().unwrap_or(""), "X509Certificate"))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let Some(leaf) = certs.first() else {
        return Err(DsigError::Missing("KeyInfo/X509Data/X509Certificate"));
    };
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let inter: Vec<CertificateDer<'_>> = certs[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    trust.check(&leaf_der, &inter, now)?;
    // §3.2.2 Signature validation.
    let sv = ds_child(signature, "SignatureValue").ok_or(DsigError::Missing("SignatureValue"))?;
    let value = unb64(sv.text().unwrap_or(""), "SignatureValue")?;
    let canonical = c14n::canonicalize(
        Subset {
            apex: si,
            exclude: None,
            comments: true,
        },
        &method,
    );
    let ee = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| DsigError::Certificate(format!("{e:?}")))?;
    ee.verify_signature(sig_alg, &canonical, &value)
        .map_err(|e| {
            DsigError::BadSignature(match e {
                webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                    "the certificate key is not an RSA key of 2048 to 8192 bits"
                }
                _ => "wrong value, or SignedInfo modified",
            })
        })?;
    Ok(Verified {
        certificate: leaf.clone(),
        intermediates: certs[1..].to_vec(),
        signature_method: sm,
        digest_methods,
        targets,
    })
}

#[cfg(test)]
mod tests;
