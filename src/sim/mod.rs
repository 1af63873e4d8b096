//! The national services a DUI talks to, each a tokio server recording everything it receives to the
//! evidence store before it answers, and every finding to `<state>/findings.jsonl`.
//!
//! # Layout
//! - [`dmp`]: the DMP (IHE XDS.b over SOAP 1.2/MTOM, mutual TLS, VIHF);
//! - [`FindingsLog`]: the `findings.jsonl` writer shared by the simulators;
//! - [`serve`]: `dui-conform serve` (every simulator on free ports, the endpoints file, clean stop).

pub mod dmp;
pub mod serve;

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::model::{Finding, Verdict};

/// `<state>/findings.jsonl`: one JSON object a line,
/// `{"at","endpoint","artifact_sha256","requirement","verdict","message"}` (ARCHITECTURE.md contract).
///
/// Every finding that is not a `pass` is written (fail, warning, info, not_applicable); passes are
/// implied by the evidence manifest, which lists every rule evaluated on each exchange.
#[derive(Debug)]
pub struct FindingsLog {
    file: Mutex<std::fs::File>,
}

/// One line of `findings.jsonl`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FindingLine {
    /// RFC 3339 UTC.
    pub at: String,
    /// Endpoint (`dmp/iti41`).
    pub endpoint: String,
    /// SHA-256 of the artifact (the recorded request, or the nested document), empty for a refused TLS
    /// handshake (no bytes).
    pub artifact_sha256: String,
    /// Requirement id.
    pub requirement: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Message (French).
    pub message: String,
}

impl FindingsLog {
    /// Opens `<state_dir>/findings.jsonl` for append.
    pub fn open(state_dir: &Path) -> std::io::Result<FindingsLog> {
        std::fs::create_dir_all(state_dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(state_dir.join("findings.jsonl"))?;
        Ok(FindingsLog {
            file: Mutex::new(file),
        })
    }

    /// Appends the non-pass findings of one artifact (one write call).
    pub fn append<'f>(
        &self,
        endpoint: &str,
        sha256: &str,
        findings: impl IntoIterator<Item = &'f Finding>,
    ) -> std::io::Result<()> {
        let at = crate::evidence::now_rfc3339();
        let mut buf = Vec::new();
        for f in findings.into_iter().filter(|f| f.verdict != Verdict::Pass) {
            // A FindingLine, borrowed (no copy of each field per line).
            #[derive(serde::Serialize)]
            struct Line<'a> {
                at: &'a str,
                endpoint: &'a str,
                artifact_sha256: &'a str,
                requirement: &'a str,
                verdict: Verdict,
                message: &'a str,
            }
            let line = Line {
                at: &at,
                endpoint,
                artifact_sha256: sha256,
                requirement: &f.requirement,
                verdict: f.verdict,
                message: &f.message.fr,
            };
            serde_json::to_writer(&mut buf, &line).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        if buf.is_empty() {
            return Ok(());
        }
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(&buf)
    }
}
