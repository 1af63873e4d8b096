//! The IHE Document Digital Signature (DSG) detached signature of an XDS submission, as the DMP requires it
//! (DMP-TX-016): a XAdES `ds:Signature` document carried as an extra DocumentEntry linked to the
//! SubmissionSet by a `signs` association.
//!
//! # Shape (IHE ITI TF-3 §5.5 "Document Digital Signature (DSG) Document Content"; the DRIMbox
//! implementation ansforge/DRIM-M_DRIMbox@791cbc21 `dmp/utils/XadesSign.java` is the DMP-side example)
//! - `SignedInfo` references (same document) the `ds:Manifest` (`Type` …`xmldsig#Manifest`) and the XAdES
//!   `SignedProperties`, and both are checked by core validation;
//! - the `ds:Manifest` (in a `ds:Object`) holds one `ds:Reference` per document of the submission set, with
//!   `URI` = the document's uniqueId as a URN (`urn:oid:<oid>`, or the uniqueId itself when it is already a
//!   URI) and the digest of the document's bytes (optionally after a c14n transform, as DRIMbox does for a
//!   CDA), plus one reference to the SubmissionSet uniqueId;
//! - `xades:SignedProperties/SignedSignatureProperties/SigningTime` is the signing time; the signer
//!   certificate chain must be valid at that time as well as at reception (a signature claiming a time when
//!   its certificate was not yet, or no longer, valid is refused);
//! - `xades:SigningCertificate` (or `SigningCertificateV2`, EN 319 132-1 §5.2.2) names the signer
//!   certificate by its digest, which must be that of the certificate in `ds:KeyInfo`. XAdES-BES (TS 101 903
//!   §4.4.1) allows instead a signed `ds:KeyInfo` (a SignedInfo reference to it); one of the two is required,
//!   so that the certificate cannot be swapped for another one holding the same key.
//!
//! # Where the texts are unclear (reported, not guessed)
//! - The digest of the SubmissionSet reference: DSG names the SubmissionSet in the manifest but the
//!   SubmissionSet has no byte form to digest; DRIMbox writes `AA==`. Its presence and URI are checked, its
//!   DigestValue is not.
//! - The XAdES namespace: DRIMbox uses v1.1.1, ETSI's current one is v1.3.2; both are accepted.
//! - Manifest reference validation is application-defined in XMLDSig (§5.1); DSG makes the manifest the
//!   point of the signature, so every manifest reference is validated here, and every document of the
//!   submission set (other than the signature itself) must be covered.

use roxmltree::{Document, Node};
use rustls_pki_types::UnixTime;

use super::sign::{b64, reference, signed_info, SignError, SigningKey};
use super::{c14n, check_reference, ds_children, verify, DsigError, Resolver, Trust, NS_DS};

/// XAdES 1.3.2 namespace (ETSI TS 101 903 v1.3.2 / v1.4.1).
pub const NS_XADES132: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// XAdES 1.1.1 namespace (DRIMbox).
pub const NS_XADES111: &str = "http://uri.etsi.org/01903/v1.1.1#";
/// `Reference/@Type` of the manifest.
pub const TYPE_MANIFEST: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";
/// `Reference/@Type` of the XAdES SignedProperties (TS 101 903 §6.3.1).
pub const TYPE_SIGNED_PROPERTIES: &str = "http://uri.etsi.org/01903#SignedProperties";
/// ASTM E1762 "Source" purpose of signature (the DMP signature entry's eventCode, DMP-TX-016).
pub const PURPOSE_SOURCE: &str = "1.2.840.10065.1.12.1.14";

/// The URI naming an XDS uniqueId in the manifest.
pub fn urn_of(unique_id: &str) -> String {
    if unique_id.contains(':') {
        unique_id.to_string()
    } else {
        format!("urn:oid:{unique_id}")
    }
}

/// One document of the submission set.
#[derive(Debug, Clone, Copy)]
pub struct SignedDoc<'a> {
    /// The DocumentEntry uniqueId.
    pub unique_id: &'a str,
    /// The document bytes as carried.
    pub bytes: &'a [u8],
}

/// What the signer puts in a DSG detached signature.
#[derive(Debug, Clone)]
pub struct DsgInput<'a> {
    /// `ds:Signature/@Id` (the signature entry's id by convention).
    pub signature_id: &'a str,
    /// The SubmissionSet uniqueId.
    pub submission_set_unique_id: &'a str,
    /// The documents signed.
    pub documents: Vec<SignedDoc<'a>>,
    /// `SigningTime` (xs:dateTime, UTC).
    pub signing_time: &'a str,
}

/// Produces a DSG detached signature document (UTF-8, with XML declaration) signed rsa-sha256.
pub fn sign_detached(input: &DsgInput<'_>, key: &SigningKey) -> Result<Vec<u8>, SignError> {
    let id = input.signature_id;
    let props_id = format!("{id}-SignedProperties");
    let mut manifest = format!("<ds:Manifest xmlns:ds=\"{NS_DS}\" Id=\"{id}-Manifest\">");
    // The SubmissionSet reference: no byte form to digest (see the module doc); DRIMbox's placeholder.
    manifest.push_str(&format!(
        "<ds:Reference URI=\"{}\"><ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference>",
        super::sign::escape(&urn_of(input.submission_set_unique_id)),
        super::alg::SHA256
    ));
    for d in &input.documents {
        let h = super::digest(super::alg::SHA256, d.bytes).map_err(|_| SignError::Rsa)?;
        manifest.push_str(&reference(&urn_of(d.unique_id), None, &[], &h));
    }
    manifest.push_str("</ds:Manifest>");
    let cert_digest =
        super::digest(super::alg::SHA256, key.certificate()).map_err(|_| SignError::Rsa)?;
    let props = format!(
        "<xades:SignedProperties xmlns:xades=\"{NS_XADES132}\" xmlns:ds=\"{NS_DS}\" Id=\"{props_id}\"><xades:SignedSignatureProperties><xades:SigningTime>{}</xades:SigningTime><xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue>{}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties><xades:SignedDataObjectProperties><xades:CommitmentTypeIndication><xades:CommitmentTypeId><xades:Identifier>urn:oid:{PURPOSE_SOURCE}</xades:Identifier></xades:CommitmentTypeId><xades:AllSignedDataObjects/></xades:CommitmentTypeIndication></xades:SignedDataObjectProperties></xades:SignedProperties>",
        input.signing_time,
        super::alg::SHA256,
        b64(&cert_digest)
    );
    // Digests of the two same-document targets, each canonicalized standalone (exc-c14n: independent of
    // the context once its namespaces are declared on it, as done above).
    let digest_of = |xml: &str| -> Result<Vec<u8>, SignError> {
        let d = Document::parse(xml).map_err(|e| SignError::Xml(e.to_string()))?;
        let c = c14n::canonicalize(
            c14n::Subset {
                apex: d.root_element(),
                exclude: None,
                comments: false,
            },
            &c14n::Method::Exclusive {
                comments: false,
                prefixes: Vec::new(),
            },
        );
        super::digest(super::alg::SHA256, &c).map_err(|_| SignError::Rsa)
    };
    let si = signed_info(&[
        reference(
            &format!("#{id}-Manifest"),
            Some(TYPE_MANIFEST),
            &[c14n::uri::EXC_C14N],
            &digest_of(&manifest)?,
        ),
        reference(
            &format!("#{props_id}"),
            Some(TYPE_SIGNED_PROPERTIES),
            &[c14n::uri::EXC_C14N],
            &digest_of(&props)?,
        ),
    ]);
    let value = key.sign_signed_info(&si)?;
    let ns = format!(" xmlns:ds=\"{NS_DS}\"");
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ds:Signature{ns} Id=\"{id}\">{}<ds:SignatureValue>{value}</ds:SignatureValue>{}<ds:Object><xades:QualifyingProperties xmlns:xades=\"{NS_XADES132}\" Target=\"#{id}\">{}</xades:QualifyingProperties></ds:Object><ds:Object>{}</ds:Object></ds:Signature>\n",
        si.replacen(&ns, "", 1),
        key.key_info(),
        props.replacen(&ns, "", 1),
        manifest.replacen(&ns, "", 1),
    );
    Ok(xml.into_bytes())
}

/// Why a DSG signature is not acceptable (on top of [`DsigError`]); French text by [`DsgError::fr`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsgError {
    /// Core validation failed.
    #[error("{0}")]
    Dsig(#[from] DsigError),
    /// The signature document is not a `ds:Signature`.
    #[error("the signature document's root is not ds:Signature")]
    NotSignature,
    /// SignedInfo does not reference a Manifest.
    #[error("SignedInfo references no ds:Manifest (IHE DSG detached signature: the manifest lists the documents)")]
    NoManifest,
    /// No XAdES SignedProperties referenced from SignedInfo.
    #[error("SignedInfo references no XAdES SignedProperties")]
    NoSignedProperties,
    /// SigningTime absent or not an xs:dateTime.
    #[error("XAdES SigningTime missing or not an xs:dateTime (\"{0}\")")]
    SigningTime(String),
    /// SigningTime later than the reception.
    #[error("XAdES SigningTime {0} is in the future")]
    SigningTimeFuture(String),
    /// The signer certificate chain was not valid at SigningTime.
    #[error("the signer certificate was not valid at the XAdES SigningTime {time}: {cause}")]
    SigningTimeOutsideValidity {
        /// SigningTime as written.
        time: String,
        /// The chain check at that time (expired, not yet valid…).
        cause: DsigError,
    },
    /// Neither SigningCertificate(V2) nor a signed KeyInfo binds the signer certificate.
    #[error("no XAdES SigningCertificate and KeyInfo not signed: the signer certificate is not protected by the signature (XAdES-BES, TS 101 903 §4.4.1)")]
    NoSigningCertificate,
    /// SigningCertificate names another certificate than KeyInfo's.
    #[error("XAdES SigningCertificate digest does not match the certificate in KeyInfo ({0})")]
    SigningCertificateMismatch(String),
    /// A document of the submission set is not in the manifest.
    #[error("document {0} of the submission set is not in the signature manifest")]
    Uncovered(String),
    /// The SubmissionSet is not in the manifest.
    #[error("the SubmissionSet uniqueId {0} is not in the signature manifest")]
    NoSubmissionSet(String),
}

impl DsgError {
    /// French text.
    pub fn fr(&self) -> String {
        match self {
            DsgError::Dsig(e) => e.fr(),
            DsgError::NotSignature => "la racine du document de signature n'est pas ds:Signature".into(),
            DsgError::NoManifest => "SignedInfo ne référence aucun ds:Manifest (signature détachée IHE DSG : le manifeste liste les documents)".into(),
            DsgError::NoSignedProperties => "SignedInfo ne référence pas de SignedProperties XAdES".into(),
            DsgError::SigningTime(t) => format!("SigningTime XAdES absent ou non xs:dateTime (« {t} »)"),
            DsgError::SigningTimeFuture(t) => format!("SigningTime XAdES {t} dans le futur"),
            DsgError::SigningTimeOutsideValidity { time, cause } => format!("le certificat du signataire n'était pas valide au SigningTime XAdES {time} : {}", cause.fr()),
            DsgError::NoSigningCertificate => "ni SigningCertificate XAdES ni KeyInfo signé : le certificat du signataire n'est pas protégé par la signature (XAdES-BES, TS 101 903 §4.4.1)".into(),
            DsgError::SigningCertificateMismatch(w) => format!("l'empreinte du SigningCertificate XAdES ne correspond pas au certificat de KeyInfo ({w})"),
            DsgError::Uncovered(u) => format!("le document {u} du lot n'est pas dans le manifeste de la signature"),
            DsgError::NoSubmissionSet(u) => format!("l'uniqueId du SubmissionSet {u} n'est pas dans le manifeste de la signature"),
        }
    }
}

/// A verified DSG signature.
#[derive(Debug, Clone)]
pub struct DsgVerified {
    /// Core validation facts.
    pub core: super::Verified,
    /// SigningTime as written.
    pub signing_time: String,
}

struct Docs<'a>(&'a [SignedDoc<'a>]);

impl Resolver for Docs<'_> {
    fn resolve(&self, uri: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|d| urn_of(d.unique_id) == uri || d.unique_id == uri)
            .map(|d| d.bytes)
    }
}

/// Verifies a DSG detached signature document against the submission it came with: core validation
/// (SignedInfo → Manifest and SignedProperties), the signer certificate against `trust`, every manifest
/// reference against the document bytes, every document covered, the SubmissionSet named, SigningTime
/// present and not after `now` (with 5 minutes of clock skew).
pub fn verify_detached(
    doc: &Document<'_>,
    submission_set_unique_id: &str,
    documents: &[SignedDoc<'_>],
    trust: &Trust,
    now: UnixTime,
) -> Result<DsgVerified, DsgError> {
    let sig = doc.root_element();
    if sig.tag_name().namespace() != Some(NS_DS) || sig.tag_name().name() != "Signature" {
        return Err(DsgError::NotSignature);
    }
    let core = verify(sig, &super::NoExternal, trust, now)?;
    let target = |typ: &str, local: &str| -> Option<Node<'_, '_>> {
        core.targets.iter().find_map(|(_, id)| {
            let n = id.and_then(|i| doc.get_node(i))?;
            (n.tag_name().name() == local && (n.tag_name().namespace() == Some(typ))).then_some(n)
        })
    };
    let manifest = target(NS_DS, "Manifest").ok_or(DsgError::NoManifest)?;
    let props = target(NS_XADES132, "SignedProperties")
        .or_else(|| target(NS_XADES111, "SignedProperties"))
        .ok_or(DsgError::NoSignedProperties)?;
    // Manifest references: each digest against the documents; the SubmissionSet one by URI only.
    let ss_urn = urn_of(submission_set_unique_id);
    let mut covered = Vec::new();
    let is_ss = |uri: &str| uri == ss_urn || uri == submission_set_unique_id;
    if !ds_children(manifest, "Reference").any(|r| is_ss(r.attribute("URI").unwrap_or(""))) {
        return Err(DsgError::NoSubmissionSet(
            submission_set_unique_id.to_string(),
        ));
    }
    let resolver = Docs(documents);
    for r in ds_children(manifest, "Reference") {
        let uri = r.attribute("URI").unwrap_or("");
        if is_ss(uri) {
            continue;
        }
        check_reference(r, sig, &resolver)?;
        covered.push(uri.to_string());
    }
    for d in documents {
        let u = urn_of(d.unique_id);
        if !covered.iter().any(|c| *c == u || c == d.unique_id) {
            return Err(DsgError::Uncovered(d.unique_id.to_string()));
        }
    }
    let st = props
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "SigningTime")
        .and_then(|n| n.text())
        .map(str::trim)
        .unwrap_or("");
    let Some(secs) = parse_datetime(st) else {
        return Err(DsgError::SigningTime(st.to_string()));
    };
    if secs > now.as_secs() as i64 + 300 {
        return Err(DsgError::SigningTimeFuture(st.to_string()));
    }
    signing_certificate(sig, props, &core)?;
    // The chain again, at the claimed signing time (the reception-time check is in `verify`).
    let leaf = rustls_pki_types::CertificateDer::from(core.certificate.as_slice());
    let inter: Vec<_> = core
        .intermediates
        .iter()
        .map(|c| rustls_pki_types::CertificateDer::from(c.as_slice()))
        .collect();
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs.max(0) as u64));
    if let Err(cause) = trust.check(&leaf, &inter, at) {
        return Err(DsgError::SigningTimeOutsideValidity {
            time: st.to_string(),
            cause,
        });
    }
    Ok(DsgVerified {
        core,
        signing_time: st.to_string(),
    })
}

/// XAdES-BES binding of the signer certificate: a `SigningCertificate`/`SigningCertificateV2` one of whose
/// `Cert/CertDigest` is the digest of the KeyInfo certificate, or else a SignedInfo reference to `ds:KeyInfo`.
pub(super) fn signing_certificate(
    sig: Node<'_, '_>,
    props: Node<'_, '_>,
    core: &super::Verified,
) -> Result<(), DsgError> {
    let xades = |n: &Node<'_, '_>, local: &str| {
        n.is_element()
            && n.tag_name().name() == local
            && matches!(n.tag_name().namespace(), Some(NS_XADES132 | NS_XADES111))
    };
    let holders: Vec<Node<'_, '_>> = props
        .descendants()
        .filter(|n| xades(n, "SigningCertificate") || xades(n, "SigningCertificateV2"))
        .collect();
    if holders.is_empty() {
        let key_info_signed = core.targets.iter().any(|(_, id)| {
            id.and_then(|i| sig.document().get_node(i))
                .is_some_and(|n| {
                    n.tag_name().namespace() == Some(super::NS_DS)
                        && n.tag_name().name() == "KeyInfo"
                })
        });
        return if key_info_signed {
            Ok(())
        } else {
            Err(DsgError::NoSigningCertificate)
        };
    }
    let mut seen = Vec::new();
    for cd in holders
        .iter()
        .flat_map(|h| h.descendants())
        .filter(|n| xades(n, "CertDigest"))
    {
        let method = ds_children(cd, "DigestMethod")
            .next()
            .and_then(|m| m.attribute("Algorithm"))
            .unwrap_or("");
        let value = ds_children(cd, "DigestValue")
            .next()
            .and_then(|v| v.text())
            .unwrap_or("");
        let (Ok(want), Ok(got)) = (
            super::unb64(value, "CertDigest/DigestValue"),
            super::digest(method, &core.certificate),
        ) else {
            seen.push(format!("{method}: unreadable or unsupported"));
            continue;
        };
        if want == got {
            return Ok(());
        }
        seen.push(format!("{method}: {}", b64(&want)));
    }
    Err(DsgError::SigningCertificateMismatch(if seen.is_empty() {
        "no Cert/CertDigest".to_string()
    } else {
        seen.join(", ")
    }))
}

/// Seconds since the Unix epoch of an xs:dateTime with a time zone (`Z` or `±hh:mm`); None otherwise
/// (a signing time without zone is ambiguous).
pub fn parse_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &r[n..];
    }
    let off = match rest {
        "Z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let v = rest.get(1..3)?.parse::<i64>().ok()? * 3600
                + rest.get(4..6)?.parse::<i64>().ok()? * 60;
            if rest.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // Days from civil (H. Hinnant's algorithm).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se - off)
}

#[cfg(test)]
mod tests {
    use super::parse_datetime;

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("2026-03-15T09:30:00Z"), Some(1_773_567_000));
        assert_eq!(
            parse_datetime("2026-03-15T10:30:00.123+01:00"),
            Some(1_773_567_000)
        );
        assert_eq!(parse_datetime("2026-03-15T09:30:00"), None);
        assert_eq!(parse_datetime("2026-13-15T09:30:00Z"), None);
        assert_eq!(parse_datetime("x"), None);
    }
}
