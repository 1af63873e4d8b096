//! The test PKI: a CA, a server certificate for the simulators and a DUI client certificate shaped like an
//! IGC-Santé organisation ("ORG AUTH_CLI") certificate, made with rcgen; and the loading of a vendor's own
//! CA and certificates, for the simulators' TLS (DMP-SOAP-011: mutual TLS 1.2+ with a client certificate).
//!
//! # On-disk layout (`dui-conform pki init DIR`)
//! ```text
//! DIR/ca.pem            the test CA certificate (trust anchor for both sides)
//! DIR/ca-key.pem        its private key (ECDSA P-256, PKCS#8), only needed to issue more certificates
//! DIR/server.pem        the simulators' certificate, SAN: DNS localhost, IP 127.0.0.1, IP ::1
//! DIR/server-key.pem    its private key (ECDSA P-256)
//! DIR/client.pem        the DUI's organisation certificate:
//!                       C=FR, O=<structure name>, OU=<Struct_IdNat>, CN=<software>
//! DIR/client-key.pem    its private key (RSA 2048, like IGC-Santé keys: signatures are rsa-sha256)
//! DIR/crl.pem           certificate revocation lists (optional; `pki revoke` writes the test CA's, and a
//!                       vendor may append its CA's): client and signature certificates are checked
//!                       against them (RFC 5280 §6.3), a certificate of a CA without CRL is not
//! DIR/revoked.txt       the serial numbers `pki revoke` has revoked, one (hex) a line
//! ```
//! Keys are written with mode 0600. `init` never overwrites a file: it creates what is missing (issuing new
//! leaf certificates from the existing CA when its key is there) and keeps the rest, so it is idempotent and
//! a vendor may drop its own certificates into the folder.
//!
//! `ca.pem` may hold several certificates (a bundle): all of them are trusted, so a vendor's CA (e.g. the
//! IGC-Santé test chain) can be appended to ours and both our client certificate and the vendor's are
//! accepted. [`Pki::from_files`] takes explicit paths instead of the folder layout.
//!
//! Errors say whose fault it is: [`PkiError::Config`] and [`PkiError::Tls`] are the user's configuration
//! (a file missing, unreadable, not PEM, a key that does not match its certificate), [`PkiError::Write`] is
//! the environment (permissions, disk), [`PkiError::Generate`] is a harness bug.

pub mod der;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

/// File names of the PKI folder.
pub const CA_CERT: &str = "ca.pem";
/// The CA private key.
pub const CA_KEY: &str = "ca-key.pem";
/// The simulators' certificate.
pub const SERVER_CERT: &str = "server.pem";
/// The simulators' private key.
pub const SERVER_KEY: &str = "server-key.pem";
/// The DUI client certificate.
pub const CLIENT_CERT: &str = "client.pem";
/// The DUI client private key.
pub const CLIENT_KEY: &str = "client-key.pem";
/// Certificate revocation lists (PEM, several allowed).
pub const CRL: &str = "crl.pem";
/// The serials `pki revoke` revoked (the test CA's CRL is re-signed from it).
pub const REVOKED: &str = "revoked.txt";
/// Validity of a CRL `pki revoke` signs (its nextUpdate).
const CRL_DAYS: i64 = 30;

/// The structure of the test client certificate: the one of the project's fixtures (SSIAD Les Tilleuls,
/// FINESS 480787529, Struct_IdNat `1` + FINESS, ID-020/021), so that a VIHF or an `authorInstitution` built
/// from the certificate agrees with the sample documents.
pub const TEST_STRUCTURE_NAME: &str = "SSIAD Les Tilleuls";
/// Struct_IdNat of the test structure (OU of the client certificate).
pub const TEST_STRUCT_IDNAT: &str = "1480787529";
/// CN of the test client certificate: the software acting for the structure.
pub const TEST_CLIENT_CN: &str = "DUI de test dui-conform";

/// Bound on the size of a PEM file read (certificates and keys are a few KB; a bundle a few hundred).
const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// What went wrong, and whose fault it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A configured file is missing, unreadable or not what it should be (configuration).
    #[error("{}: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// Writing the PKI folder failed (environment: permissions, disk full).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// rustls refused the certificates or keys, e.g. a key that does not match its certificate (configuration).
    #[error("TLS configuration refused ({context}): {source}")]
    Tls {
        /// Which configuration (server, client).
        context: &'static str,
        /// rustls' reason.
        source: rustls::Error,
    },
    /// Certificate generation failed (a harness bug: please report it).
    #[error("certificate generation failed (harness bug, please report): {0}")]
    Generate(String),
}

impl PkiError {
    /// True when the user's configuration is at fault (as opposed to the environment or the harness).
    pub fn is_config(&self) -> bool {
        matches!(self, PkiError::Config { .. } | PkiError::Tls { .. })
    }
}

fn config(path: &Path, reason: impl Into<String>) -> PkiError {
    PkiError::Config {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn gen_err(e: rcgen::Error) -> PkiError {
    PkiError::Generate(e.to_string())
}

/// A PKI: paths of the PEM files the simulators and the reference DUI use.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The folder (for [`Pki::from_files`], the folder of the CA certificate).
    pub dir: PathBuf,
    /// The trusted CA certificate(s), PEM (a bundle is allowed).
    pub ca_cert: PathBuf,
    /// The CA private key, when present (needed only to issue certificates).
    pub ca_key: Option<PathBuf>,
    /// The simulators' certificate (PEM; may be followed by its intermediate CAs).
    pub server_cert: PathBuf,
    /// The simulators' private key (PEM, PKCS#8, PKCS#1 or SEC1).
    pub server_key: PathBuf,
    /// The DUI client certificate (PEM; may be followed by its intermediate CAs).
    pub client_cert: PathBuf,
    /// The DUI client private key.
    pub client_key: PathBuf,
}

/// Explicit paths of a vendor's own PKI, for [`Pki::from_files`].
#[derive(Debug, Clone)]
pub struct PkiFiles {
    /// The trusted CA certificate(s).
    pub ca_cert: PathBuf,
    /// The server certificate (chain).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// The client certificate (chain).
    pub client_cert: PathBuf,
    /// The client key.
    pub client_key: PathBuf,
}

impl Pki {
    /// Creates DIR with a test CA, a server certificate for the simulators (SAN: localhost, 127.0.0.1, ::1)
    /// and a DUI client certificate shaped like an IGC-Santé organisation certificate
    /// (`C=FR, O=<structure name>, OU=<Struct_IdNat>, CN=<software>`), as PEM files; keeps files that
    /// already exist (idempotent).
    pub fn init(dir: &Path) -> Result<Pki, PkiError> {
        std::fs::create_dir_all(dir).map_err(|e| PkiError::Write {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let pki = Pki::paths(dir);
        let ca_key_path = dir.join(CA_KEY);
        let ca_exists = pki.ca_cert.exists();
        let ca_key_exists = ca_key_path.exists();

        // The issuer: a freshly made CA, or the existing one rebuilt from its certificate and key.
        let issuer: Option<(rcgen::Certificate, KeyPair)> = match (ca_exists, ca_key_exists) {
            (false, false) => {
                let (cert, key) = new_ca()?;
                write_new(&ca_key_path, key.serialize_pem().as_bytes(), true)?;
                write_new(&pki.ca_cert, cert.pem().as_bytes(), false)?;
                Some((cert, key))
            }
            (false, true) => {
                return Err(config(
                    &ca_key_path,
                    format!("a CA key without its certificate {CA_CERT}: restore {CA_CERT} or remove the key"),
                ))
            }
            (true, true) => Some(rebuild_ca(&pki.ca_cert, &ca_key_path)?),
            (true, false) => None,
        };

        let leaves = [
            (&pki.server_cert, &pki.server_key, Leaf::Server),
            (&pki.client_cert, &pki.client_key, Leaf::Client),
        ];
        for (cert_path, key_path, kind) in leaves {
            match (cert_path.exists(), key_path.exists()) {
                (true, true) => {}
                (false, false) => {
                    let Some((ca, ca_key)) = issuer.as_ref() else {
                        return Err(config(
                            cert_path,
                            format!(
                                "missing, and it cannot be issued without the CA key {CA_KEY}: \
                                 add the certificate and its key, or the CA key"
                            ),
                        ));
                    };
                    let key = kind.key()?;
                    let cert = kind
                        .params()?
                        .signed_by(&key, ca, ca_key)
                        .map_err(gen_err)?;
                    write_new(key_path, key.serialize_pem().as_bytes(), true)?;
                    write_new(cert_path, cert.pem().as_bytes(), false)?;
                }
                (true, false) => {
                    return Err(config(
                        key_path,
                        "missing while its certificate exists: restore it, or remove both to have them issued",
                    ))
                }
                (false, true) => {
                    return Err(config(
                        cert_path,
                        "missing while its key exists: restore it, or remove both to have them issued",
                    ))
                }
            }
        }
        Pki::load(dir)
    }

    /// The standard paths under `dir`, without checking them.
    pub fn paths(dir: &Path) -> Pki {
        let ca_key = dir.join(CA_KEY);
        Pki {
            dir: dir.to_path_buf(),
            ca_cert: dir.join(CA_CERT),
            ca_key: ca_key.exists().then_some(ca_key),
            server_cert: dir.join(SERVER_CERT),
            server_key: dir.join(SERVER_KEY),
            client_cert: dir.join(CLIENT_CERT),
            client_key: dir.join(CLIENT_KEY),
        }
    }

    /// Loads an existing PKI folder (the layout of the module documentation); every file is read and
    /// parsed, so a configuration error shows here rather than at the first handshake.
    pub fn load(dir: &Path) -> Result<Pki, PkiError> {
        if !dir.is_dir() {
            return Err(config(
                dir,
                "not a PKI folder (run `dui-conform pki init DIR` to make one)",
            ));
        }
        let pki = Pki::paths(dir);
        pki.check()?;
        Ok(pki)
    }

    /// A vendor's CA and certificates given by paths.
    pub fn from_files(files: PkiFiles) -> Result<Pki, PkiError> {
        let dir = files
            .ca_cert
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let pki = Pki {
            dir,
            ca_cert: files.ca_cert,
            ca_key: None,
            server_cert: files.server_cert,
            server_key: files.server_key,
            client_cert: files.client_cert,
            client_key: files.client_key,
        };
        pki.check()?;
        Ok(pki)
    }

    /// Reads and parses every file.
    fn check(&self) -> Result<(), PkiError> {
        for c in self.ca_certs()? {
            if der::parse_certificate(&c).and_then(|i| i.is_ca) == Some(false) {
                return Err(config(
                    &self.ca_cert,
                    format!(
                        "holds a certificate that is not a CA ({}): the trusted file must hold CA certificates \
                         (were two files swapped?)",
                        subject_of(&c).unwrap_or_default()
                    ),
                ));
            }
        }
        read_certs(&self.server_cert)?;
        read_key(&self.server_key)?;
        read_certs(&self.client_cert)?;
        read_key(&self.client_key)?;
        Ok(())
    }

    /// The trusted CA certificates (DER).
    pub fn ca_certs(&self) -> Result<Vec<CertificateDer<'static>>, PkiError> {
        read_certs(&self.ca_cert)
    }

    /// The client certificate chain (DER), leaf first.
    pub fn client_chain(&self) -> Result<Vec<CertificateDer<'static>>, PkiError> {
        read_certs(&self.client_cert)
    }

    /// The client private key (DER).
    pub fn client_private_key(&self) -> Result<PrivateKeyDer<'static>, PkiError> {
        read_key(&self.client_key)
    }

    /// Subject DN of the client certificate (`CN=…, OU=…, O=…, C=FR`).
    pub fn client_subject(&self) -> Result<String, PkiError> {
        let chain = self.client_chain()?;
        subject_of(&chain[0]).ok_or_else(|| {
            config(
                &self.client_cert,
                "the certificate's subject cannot be read (not X.509 DER)",
            )
        })
    }

    fn roots(&self) -> Result<Arc<rustls::RootCertStore>, PkiError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in self.ca_certs()? {
            roots
                .add(c)
                .map_err(|e| config(&self.ca_cert, format!("not a usable CA certificate: {e}")))?;
        }
        Ok(Arc::new(roots))
    }

    /// Revokes `cert` (PEM, issued by this folder's CA): its serial number joins `revoked.txt` and
    /// `crl.pem` is signed again by the CA with every serial revoked so far (valid [`CRL_DAYS`] days).
    /// Needs the CA key. Returns the CRL's path.
    pub fn revoke(&self, cert: &Path) -> Result<PathBuf, PkiError> {
        let Some(ca_key) = &self.ca_key else {
            return Err(config(
                &self.dir.join(CA_KEY),
                "missing: a CRL is signed with the CA key",
            ));
        };
        let (issuer, issuer_key) = rebuild_ca(&self.ca_cert, ca_key)?;
        let ders = read_certs(cert)?;
        let info = der::parse_certificate(&ders[0])
            .ok_or_else(|| config(cert, "not an X.509 certificate"))?;
        // Issued by this CA: its signature verifies with the CA's key (a DN match is not enough: two test
        // PKIs have CAs of the same name).
        let ca = read_certs(&self.ca_cert)?;
        let trust = crate::xmldsig::Trust::new(ca[..1].to_vec());
        if let Err(e) = trust.check(&ders[0], &[], rustls::pki_types::UnixTime::now()) {
            return Err(config(
                cert,
                format!(
                    "cannot be revoked by the CA of {CA_CERT} ({e}): revoke it with its own CA"
                ),
            ));
        }
        let serial = hex::encode(info.serial);
        let list = self.dir.join(REVOKED);
        let mut serials: Vec<String> = std::fs::read_to_string(&list)
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        if !serials.contains(&serial) {
            serials.push(serial);
        }
        let now = time::OffsetDateTime::now_utc();
        let revoked_certs = serials
            .iter()
            .filter_map(|s| hex::decode(s).ok())
            .map(|bytes| rcgen::RevokedCertParams {
                serial_number: SerialNumber::from_slice(&bytes),
                revocation_time: now,
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect();
        let crl = rcgen::CertificateRevocationListParams {
            this_update: now - time::Duration::minutes(5),
            next_update: now + time::Duration::days(CRL_DAYS),
            crl_number: SerialNumber::from(serials.len() as u64),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer, &issuer_key)
        .map_err(gen_err)?;
        let pem = crl.pem().map_err(gen_err)?;
        write_replace(&list, format!("{}\n", serials.join("\n")).as_bytes())?;
        let path = self.dir.join(CRL);
        write_replace(&path, pem.as_bytes())?;
        Ok(path)
    }

    /// The CRLs of `crl.pem` (none when the file is absent).
    pub fn crls(&self) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
        let path = self.dir.join(CRL);
        if !path.exists() {
            return Ok(Vec::new());
        }
        let pem = read_pem(&path)?;
        let crls = CertificateRevocationListDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config(&path, format!("not a PEM CRL file: {e}")))?;
        if crls.is_empty() {
            return Err(config(&path, "no X509 CRL in it"));
        }
        Ok(crls)
    }

    /// rustls server config: TLS 1.2+ only, the server certificate, client certificates verified against
    /// the CA(s) and the CRLs of `crl.pem` (a revoked client certificate is refused); `require_client_cert` = true makes a client certificate mandatory (DMP-SOAP-011), false
    /// accepts connections without one (a certificate that is presented is still verified).
    ///
    /// No ALPN protocol is set: the simulators speak HTTP/1.1, SMTP, IMAP; a caller that wants ALPN clones
    /// the config and sets `alpn_protocols`.
    pub fn server_config(
        &self,
        require_client_cert: bool,
    ) -> Result<Arc<rustls::ServerConfig>, PkiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            self.roots()?,
            provider.clone(),
        );
        if !require_client_cert {
            verifier = verifier.allow_unauthenticated();
        }
        let crls = self.crls()?;
        if !crls.is_empty() {
            // Only the CAs that published a CRL can say a certificate is revoked: the status of a
            // certificate of another trusted CA is unknown, which is not a refusal.
            verifier = verifier.with_crls(crls).allow_unknown_revocation_status();
        }
        let verifier = verifier.build().map_err(|e| {
            config(
                &self.ca_cert,
                format!("cannot verify client certificates with these CAs: {e}"),
            )
        })?;
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| PkiError::Tls {
                context: "server",
                source: e,
            })?
            .with_client_cert_verifier(verifier)
            .with_single_cert(read_certs(&self.server_cert)?, read_key(&self.server_key)?)
            .map_err(|e| PkiError::Tls {
                context: "server certificate and key",
                source: e,
            })?;
        Ok(Arc::new(cfg))
    }

    /// rustls client config trusting the CA(s) and presenting the client certificate (tests, the reference
    /// DUI). TLS 1.2+ only.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, PkiError> {
        let cfg = self
            .client_builder()?
            .with_client_auth_cert(self.client_chain()?, self.client_private_key()?)
            .map_err(|e| PkiError::Tls {
                context: "client certificate and key",
                source: e,
            })?;
        Ok(Arc::new(cfg))
    }

    /// rustls client config trusting the CA(s) but presenting no certificate (to test that the simulators
    /// refuse such a client).
    pub fn client_config_without_cert(&self) -> Result<Arc<rustls::ClientConfig>, PkiError> {
        Ok(Arc::new(self.client_builder()?.with_no_client_auth()))
    }

    fn client_builder(
        &self,
    ) -> Result<
        rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
        PkiError,
    > {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| PkiError::Tls {
                context: "client",
                source: e,
            })?
            .with_root_certificates(self.roots()?))
    }
}

/// Subject DN of a DER certificate as a string (`CN=…, OU=…, O=…, C=FR`, RFC 4514 order), for evidence and
/// findings; `None` when the bytes are not a certificate.
pub fn subject_of(der: &[u8]) -> Option<String> {
    der::parse_certificate(der).map(|c| c.subject.to_rfc4514())
}

/// Issuer DN of a DER certificate, as [`subject_of`].
pub fn issuer_of(der: &[u8]) -> Option<String> {
    der::parse_certificate(der).map(|c| c.issuer.to_rfc4514())
}

/// Reads a PEM file with a size bound.
fn read_pem(path: &Path) -> Result<Vec<u8>, PkiError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| config(path, format!("cannot read: {e}")))?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| config(path, format!("cannot read: {e}")))?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(config(
            path,
            format!("larger than {MAX_PEM_BYTES} bytes: not a PEM certificate or key"),
        ));
    }
    Ok(buf)
}

/// The certificates of a PEM file, in order; at least one. A file holding one DER certificate (`.cer`,
/// `.der`, as the IGC-Santé CA certificates are distributed) is accepted too.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let pem = read_pem(path)?;
    if pem.first() == Some(&0x30) {
        if der::parse_certificate(&pem).is_some() {
            return Ok(vec![CertificateDer::from(pem)]);
        }
        return Err(config(path, binary_hint("certificate")));
    }
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(&pem) {
        let c = c.map_err(|e| config(path, format!("not valid PEM: {e}")))?;
        if der::parse_certificate(&c).is_none() {
            return Err(config(
                path,
                "a CERTIFICATE block is not an X.509 certificate",
            ));
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(config(
            path,
            "no `-----BEGIN CERTIFICATE-----` block: expected a PEM certificate",
        ));
    }
    Ok(out)
}

/// What to do with a binary file where PEM was expected: IGC-Santé certificates and keys often come as a
/// PKCS#12 (`.p12`) file.
fn binary_hint(what: &str) -> String {
    format!(
        "binary content, not a PEM {what} (a PKCS#12 .p12 file?): extract PEM files with \
         `openssl pkcs12 -in FILE.p12 -nokeys -out cert.pem` and \
         `openssl pkcs12 -in FILE.p12 -nocerts -nodes -out key.pem`"
    )
}

/// The private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    let pem = read_pem(path)?;
    if pem.first() == Some(&0x30) {
        return Err(config(path, binary_hint("private key")));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        config(
            path,
            format!("no usable private key (expected PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`; an encrypted key must be decrypted first: `openssl pkey -in KEY -out key.pem`): {e}"),
        )
    })
}

/// Writes a new file (never overwrites: `create_new`), fsyncs it; keys get mode 0600.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), PkiError> {
    let werr = |e| PkiError::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts.open(path).map_err(werr)?;
    f.write_all(bytes).map_err(werr)?;
    f.sync_all().map_err(werr)?;
    Ok(())
}

/// Writes `path` atomically (a temporary file renamed over it): a reader sees the old or the new file.
fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    let werr = |e| PkiError::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(werr)?;
    f.write_all(bytes).map_err(werr)?;
    f.sync_all().map_err(werr)?;
    std::fs::rename(&tmp, path).map_err(werr)
}

/// Today's date and the date `years` later (UTC), for validity periods.
fn validity(years: i32) -> (time_ymd::Ymd, time_ymd::Ymd) {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Yesterday, so a clock slightly behind ours still accepts the certificate.
    let from = time_ymd::from_days(days - 1);
    let to = time_ymd::Ymd {
        y: from.y + years,
        ..from
    };
    (from, to)
}

/// A random-enough positive serial number (RFC 5280 §4.1.2.2: unique per CA, at most 20 bytes).
fn serial() -> SerialNumber {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = sha2::Sha256::new();
    h.update(nanos.to_be_bytes());
    h.update(std::process::id().to_be_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    let mut bytes = h.finalize()[..16].to_vec();
    bytes[0] &= 0x7F; // positive
    bytes[0] |= 0x01; // no leading zero byte to strip
    SerialNumber::from_slice(&bytes)
}

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "dui-conform");
    dn.push(
        DnType::CommonName,
        "dui-conform test CA (not for production)",
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let (from, to) = validity(10);
    p.not_before = rcgen::date_time_ymd(from.y, from.m, from.d);
    p.not_after = rcgen::date_time_ymd(to.y, to.m, to.d);
    p.serial_number = Some(serial());
    p
}

fn new_ca() -> Result<(rcgen::Certificate, KeyPair), PkiError> {
    let key = KeyPair::generate().map_err(gen_err)?;
    let cert = ca_params().self_signed(&key).map_err(gen_err)?;
    Ok((cert, key))
}

/// Rebuilds an rcgen issuer from an existing CA certificate and key: same subject (byte for byte, checked),
/// same key identifier, so that certificates issued now chain to the CA file (openssl matches the authority
/// key identifier; webpki the issuer name).
fn rebuild_ca(
    cert_path: &Path,
    key_path: &Path,
) -> Result<(rcgen::Certificate, KeyPair), PkiError> {
    let certs = read_certs(cert_path)?;
    let ca_der = &certs[0];
    let info = der::parse_certificate(ca_der)
        .ok_or_else(|| config(cert_path, "not an X.509 certificate"))?;
    let key_pem = String::from_utf8(read_pem(key_path)?)
        .map_err(|_| config(key_path, "not a PEM file (not text)"))?;
    let key = KeyPair::from_pem(&key_pem).map_err(|e| {
        config(
            key_path,
            format!("not a private key rcgen can sign with (ECDSA P-256/P-384, Ed25519 or RSA PKCS#8): {e}"),
        )
    })?;
    let mut dn = DistinguishedName::new();
    for a in info.subject.rdns.iter().flatten() {
        let value = match a.tag {
            0x0C => DnValue::Utf8String(a.value.clone()),
            0x13 => DnValue::PrintableString(a.value.clone().try_into().map_err(|_| {
                config(cert_path, "the CA subject has an invalid PrintableString")
            })?),
            0x16 => DnValue::Ia5String(a.value.clone().try_into().map_err(|_| {
                config(cert_path, "the CA subject has an invalid IA5String")
            })?),
            _ => {
                return Err(config(
                    cert_path,
                    "the CA subject uses a string type we cannot reproduce: issue the leaf certificates with your own tools",
                ))
            }
        };
        dn.push(DnType::from_oid(&a.arcs), value);
    }
    let mut p = ca_params();
    p.distinguished_name = dn;
    if let Some(ski) = info.subject_key_id.clone() {
        p.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    }
    let rebuilt = p.self_signed(&key).map_err(gen_err)?;
    let same_subject =
        der::parse_certificate(rebuilt.der()).is_some_and(|r| r.subject_der == info.subject_der);
    if !same_subject {
        return Err(config(
            cert_path,
            "the CA subject cannot be reproduced byte for byte (multi-valued or repeated attributes): \
             issue the leaf certificates with your own tools",
        ));
    }
    let key_matches = rebuilt_public_key_matches(ca_der, &key);
    if !key_matches {
        return Err(config(
            key_path,
            format!(
                "this key does not belong to the CA certificate {}",
                cert_path.display()
            ),
        ));
    }
    Ok((rebuilt, key))
}

/// True when the certificate's SubjectPublicKeyInfo is the key pair's.
fn rebuilt_public_key_matches(cert_der: &[u8], key: &KeyPair) -> bool {
    let spki = key.public_key_der();
    // The SPKI DER appears verbatim in the certificate.
    cert_der.windows(spki.len()).any(|w| w == spki.as_slice())
}

/// The two kinds of leaf certificates of the test PKI.
#[derive(Clone, Copy)]
enum Leaf {
    Server,
    Client,
}

impl Leaf {
    /// The server key is ECDSA P-256 (fast handshakes); the client key RSA 2048, like an IGC-Santé key, so
    /// the VIHF and XAdES signatures made with it are `rsa-sha256` (DMP-VIHF-014).
    fn key(self) -> Result<KeyPair, PkiError> {
        match self {
            Leaf::Server => KeyPair::generate().map_err(gen_err),
            Leaf::Client => rsa_key(),
        }
    }

    fn params(self) -> Result<CertificateParams, PkiError> {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        match self {
            Leaf::Server => {
                dn.push(DnType::CountryName, "FR");
                dn.push(DnType::OrganizationName, "dui-conform simulators");
                dn.push(DnType::CommonName, "localhost");
                p.subject_alt_names = vec![
                    SanType::DnsName("localhost".try_into().map_err(gen_err)?),
                    SanType::IpAddress(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
                    SanType::IpAddress(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
                ];
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            }
            Leaf::Client => {
                // IGC-Santé organisation certificates name the structure in O and its national identifier
                // in OU, the service or software in CN.
                dn.push(DnType::CountryName, "FR");
                dn.push(DnType::OrganizationName, TEST_STRUCTURE_NAME);
                dn.push(DnType::OrganizationalUnitName, TEST_STRUCT_IDNAT);
                dn.push(DnType::CommonName, TEST_CLIENT_CN);
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
                // Signing too: the same certificate seals the VIHF and the XAdES entry in tests.
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
            }
        }
        p.distinguished_name = dn;
        // basicConstraints CA:FALSE, as in IGC-Santé end-entity certificates (RFC 5280 §4.2.1.9).
        p.is_ca = IsCa::ExplicitNoCa;
        p.use_authority_key_identifier_extension = true;
        let (from, to) = validity(3);
        p.not_before = rcgen::date_time_ymd(from.y, from.m, from.d);
        p.not_after = rcgen::date_time_ymd(to.y, to.m, to.d);
        p.serial_number = Some(serial());
        Ok(p)
    }
}

/// A new RSA 2048 key for rcgen (signing with SHA-256, PKCS#1 v1.5).
fn rsa_key() -> Result<KeyPair, PkiError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
        .map_err(|e| PkiError::Generate(format!("RSA key generation: {e}")))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| PkiError::Generate(format!("RSA key encoding: {e}")))?;
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(der.as_bytes().to_vec());
    KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256).map_err(gen_err)
}

/// Civil dates from day counts (H. Hinnant's `civil_from_days`), to avoid a date crate.
pub(crate) mod time_ymd {
    /// A calendar date.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Ymd {
        pub y: i32,
        pub m: u8,
        pub d: u8,
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Ymd {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        Ymd {
            y: (if m <= 2 { y + 1 } else { y }) as i32,
            m,
            d,
        }
    }
}
