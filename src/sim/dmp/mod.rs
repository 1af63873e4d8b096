//! The DMP simulator: IHE XDS.b (ITI-41, ITI-18, ITI-43, ITI-57) over SOAP 1.2 with WS-Addressing and
//! MTOM/XOP, mutual TLS (rustls, TLS 1.2+, client certificate required and verified against the CA) and a
//! VIHF SAML assertion in `wsse:Security`. Strict like the real DMP: what it would refuse is refused, with
//! the IHE error or SOAP fault it would give, and every finding is recorded (`findings.jsonl`).
//!
//! # Layout (mini-redis)
//! - [`server`]: the accept loop, TLS handshake, HTTP/1.1 (hyper) with size and time limits, shutdown;
//! - [`shutdown`]: the shutdown signal each connection listens to;
//! - [`wire`]: HTTP body → SOAP root and MIME parts; every response encoding (RegistryResponse,
//!   AdhocQueryResponse, MTOM RetrieveDocumentSetResponse, SOAP 1.2 Fault);
//! - [`handler`]: one request: checks (`checks::dmp`, `validate::xds`), the SOAP/VIHF gate, evidence,
//!   dispatch to [`cmd`], findings;
//! - [`cmd`]: one file per transaction (`iti41`, `iti18`, `iti43`, `iti57`, `unknown`);
//! - [`registry`]: the registry and repository in memory, rebuilt from the evidence store on restart;
//! - [`faults`]: fault injection (`Faults::next(matcher, fault)`).
//!
//! # Endpoints
//! `https://HOST:PORT/dmp/repository` (ITI-41, ITI-43) and `https://HOST:PORT/dmp/registry` (ITI-18,
//! ITI-57), as DMP-TX-018 describes the DMP's services.
//!
//! # `--unsigned-ok`
//! Relaxes exactly two refusals, for a vendor whose signing is not ready yet: a VIHF with no
//! `ds:Signature` at all (DMP-VIHF-013) and an ITI-41 with no XAdES signature entry at all (DMP-TX-016);
//! their findings are still recorded as failures. A signature that is present but wrong (digest, value,
//! certificate, wrapping, signature-entry metadata) is refused either way: it is a defect, not a missing
//! feature ([`crate::checks::dmp::is_missing_signature`]).

pub mod cmd;
pub mod faults;
pub mod handler;
pub mod registry;
pub mod server;
pub mod shutdown;
pub mod wire;

use std::path::PathBuf;
use std::time::Duration;

use crate::checks::dmp::Transaction;
use crate::limits::Limits;

pub use faults::{Fault, Faults, Matcher};
pub use server::{start, Running, StartError};

/// Path of the repository service (ITI-41, ITI-43).
pub const REPOSITORY_PATH: &str = "/dmp/repository";
/// Path of the registry service (ITI-18, ITI-57).
pub const REGISTRY_PATH: &str = "/dmp/registry";
/// Path of the patients service (TD0.2, the DMP existence test; DMP-TX-018).
pub const PATIENTS_PATH: &str = "/dmp/patients";

/// The path serving a transaction.
pub fn path_of(tx: Transaction) -> &'static str {
    match tx {
        Transaction::Iti41 | Transaction::Iti43 => REPOSITORY_PATH,
        Transaction::Iti18 | Transaction::Iti57 => REGISTRY_PATH,
        Transaction::Td02 => PATIENTS_PATH,
    }
}

/// Bounds on what a peer can make the server hold or wait for (named errors: HTTP 413, 408, 431).
#[derive(Debug, Clone)]
pub struct NetLimits {
    /// Largest request body (HTTP 413 beyond).
    pub max_body_bytes: usize,
    /// Largest request head (hyper's read buffer; beyond it the connection gets 431).
    pub max_header_bytes: usize,
    /// Time to complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time to receive a request head once a connection is idle (slow loris).
    pub header_timeout: Duration,
    /// Time to receive a whole request body (HTTP 408 beyond).
    pub body_timeout: Duration,
    /// Concurrent connections (more wait in the accept queue).
    pub max_connections: usize,
}

impl Default for NetLimits {
    fn default() -> NetLimits {
        NetLimits {
            max_body_bytes: 64 << 20,
            max_header_bytes: 16 << 10,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// Configuration of the DMP simulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// State directory: `evidence/`, `findings.jsonl`.
    pub state_dir: PathBuf,
    /// `--unsigned-ok`.
    pub unsigned_ok: bool,
    /// repositoryUniqueId of the simulated repository (the real value is [U], DMP-SOAP-017).
    pub repository_unique_id: String,
    /// Parser limits.
    pub limits: Limits,
    /// Network limits.
    pub net: NetLimits,
    /// CA certificates the VIHF and XAdES signer certificates must chain to (DMP-VIHF-013, DMP-TX-016):
    /// the PKI's `ca.pem` bundle for `serve`; empty, every signature fails as a configuration error.
    pub signature_trust: std::sync::Arc<crate::xmldsig::Trust>,
    /// The official ANS CDA kit (`serve --kit DIR`): each deposited CDA also gets the kit's verdict,
    /// recorded as `KIT:…` findings. They do not refuse the deposit: which content errors the real DMP
    /// refuses at run time is not documented ([U]); homologation judges them (kit README), so does the
    /// report.
    pub kit: Option<std::sync::Arc<crate::schematron::Kit>>,
}

impl Config {
    /// Defaults for a state directory.
    pub fn new(state_dir: impl Into<PathBuf>) -> Config {
        Config {
            state_dir: state_dir.into(),
            unsigned_ok: false,
            repository_unique_id: "1.2.250.1.213.4.1.1.1.1".into(),
            limits: Limits::default(),
            net: NetLimits::default(),
            signature_trust: Default::default(),
            kit: None,
        }
    }
}

/// What the TLS layer tells about the peer.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// Remote address.
    pub addr: String,
    /// `TLSv1.2` / `TLSv1.3`.
    pub tls_version: Option<String>,
    /// The client certificate (DER), verified against the CA.
    pub client_cert: Option<Vec<u8>>,
    /// Its subject DN.
    pub subject: Option<String>,
}
