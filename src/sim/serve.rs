//! `dui-conform serve`: every simulator on a free port (the DMP for now), the test PKI under
//! `<state>/pki/` (created once), the endpoints file written once everything listens, and a clean stop.
//!
//! The endpoints file (ARCHITECTURE.md contract):
//! `{"dmp":{"iti41","iti18","iti43","iti57","td02"}, "pki":{"ca_cert","client_cert","client_key"}}`; the keys of
//! the simulators that do not exist yet (`smtp`, `imap`, `fhir`, `mailboxes`) are absent.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::checks::dmp::Transaction;
use crate::pki::Pki;
use crate::sim::dmp;

/// Options of `serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (ports are chosen free).
    pub bind: IpAddr,
    /// State directory.
    pub state_dir: PathBuf,
    /// Where to write the endpoints JSON (also printed on stdout).
    pub endpoints_file: Option<PathBuf>,
    /// `--unsigned-ok`.
    pub unsigned_ok: bool,
    /// `--kit DIR`, loaded: the simulators add the official kit's verdict to every CDA they receive.
    pub kit: Option<std::sync::Arc<crate::schematron::Kit>>,
}

/// Why `serve` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The PKI could not be created or loaded.
    #[error("PKI: {0}")]
    Pki(#[from] crate::pki::PkiError),
    /// The DMP could not start.
    #[error("DMP: {0}")]
    Dmp(#[from] dmp::StartError),
    /// The endpoints file could not be written.
    #[error("endpoints file {}: {source}", path.display())]
    Endpoints {
        /// File.
        path: PathBuf,
        /// System error.
        source: std::io::Error,
    },
}

/// The endpoints JSON of a running DMP.
pub fn endpoints_json(dmp: &dmp::Running, pki: &Pki) -> serde_json::Value {
    serde_json::json!({
        "dmp": {
            "iti41": dmp.url(Transaction::Iti41),
            "iti18": dmp.url(Transaction::Iti18),
            "iti43": dmp.url(Transaction::Iti43),
            "iti57": dmp.url(Transaction::Iti57),
            "td02": dmp.url(Transaction::Td02),
        },
        "pki": {
            "ca_cert": pki.ca_cert,
            "client_cert": pki.client_cert,
            "client_key": pki.client_key,
        }
    })
}

/// Runs the simulators until `stop` completes, then stops them cleanly.
pub async fn serve(opts: ServeOptions, stop: impl Future<Output = ()>) -> Result<(), ServeError> {
    std::fs::create_dir_all(&opts.state_dir).map_err(|e| ServeError::Endpoints {
        path: opts.state_dir.clone(),
        source: e,
    })?;
    let pki = Pki::init(&opts.state_dir.join("pki"))?;
    let mut cfg = dmp::Config::new(&opts.state_dir);
    cfg.unsigned_ok = opts.unsigned_ok;
    cfg.kit = opts.kit.clone();
    // XML signatures (VIHF seal, XAdES) chain to the same CA bundle as the TLS client certificates: the
    // test CA, plus whatever CA the vendor appended to ca.pem (e.g. the IGC-Santé test chain).
    cfg.signature_trust =
        std::sync::Arc::new(crate::xmldsig::Trust::new(pki.ca_certs()?).with_crls(pki.crls()?));
    let running = dmp::start(SocketAddr::new(opts.bind, 0), cfg, pki.server_config(true)?).await?;
    let json = endpoints_json(&running, &pki);
    let text = serde_json::to_string_pretty(&json).unwrap_or_default();
    if let Some(p) = &opts.endpoints_file {
        // Written whole then renamed: a reader polling for the file never sees half of it.
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, format!("{text}\n"))
            .and_then(|()| std::fs::rename(&tmp, p))
            .map_err(|e| ServeError::Endpoints {
                path: p.clone(),
                source: e,
            })?;
    }
    println!("{text}");
    stop.await;
    running.stop().await;
    Ok(())
}
