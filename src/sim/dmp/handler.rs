//! One request, from its bytes to its answer: record, check, gate, dispatch to `cmd/`, record the
//! answer. Synchronous (parsing, validation and fsync are CPU and disk work): the server runs it on
//! tokio's blocking pool.
//!
//! Order, so that nothing acknowledged is ever lost: the request is checked, then written durably to the
//! evidence store with its findings (with, for a deposit, each document as its own object: the
//! repository serves ITI-43 from there), then the registry changes, then the response is written
//! durably, and only then is it sent. Both writes go through [`EvidenceStore::commit`]: the requests
//! handled at the same time share one disk flush (group commit), each still waiting for its own. A crash before the response record leaves a request without response in the
//! manifest: the replay ignores it (the DUI never saw a `Success`).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use bytes::Bytes;
use roxmltree::Document;

use super::cmd::{iti18, iti41, iti43, iti57, unknown};
use super::faults::Fault;
use super::registry::{Conflict, Registry};
use super::wire::{self, FaultCode, HttpRequest, RegistryError, Response};
use super::{Config, Peer};
use crate::checks::dmp::{self as cdmp, Envelope, HttpFacts, StateFacts, Transaction, Wire};
use crate::checks::Sink;
use crate::evidence::{self, Direction, EvidenceStore, FindingRef, ManifestEntry, Staged};
use crate::formats::xds as fxds;
use crate::formats::xml;
use crate::model::{ArtifactResult, Finding, Verdict};
use crate::sim::FindingsLog;
use crate::validate::{self, Options, Target};

/// What to do with the connection after a request.
#[derive(Debug)]
pub enum Outcome {
    /// Send this response (after the delay, if any).
    Respond(Response, Option<std::time::Duration>),
    /// Close the connection without answering (fault injection).
    Drop,
}

/// The simulator's shared state.
#[derive(Debug)]
pub struct Handler {
    /// Configuration.
    pub config: Config,
    /// Registry and repository.
    pub registry: Mutex<Registry>,
    /// Pending faults.
    pub faults: super::faults::Faults,
    /// Evidence store.
    pub evidence: EvidenceStore,
    /// `findings.jsonl`.
    pub findings: FindingsLog,
    seen_message_ids: Mutex<HashSet<String>>,
    seen_assertion_ids: Mutex<HashSet<String>>,
    /// Patients (INS number) whose DMP existence was tested by a TD0.2 (DMP-TX-015).
    existence_tested: Mutex<HashSet<String>>,
    /// The state directory's exclusive lock, held as long as the handler lives.
    _lock: std::fs::File,
}

/// Why the handler could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The evidence store could not be opened or read.
    #[error("evidence store: {0}")]
    Evidence(#[from] evidence::EvidenceError),
    /// `findings.jsonl` could not be opened.
    #[error("findings log: {0}")]
    Findings(std::io::Error),
    /// Another process serves this state directory (configuration: one process per state directory,
    /// the evidence manifest is one hash chain with one writer).
    #[error(
        "state directory {} is in use by another dui-conform process (lock {}): one process per state \
         directory; stop the other one or choose another --state-dir",
        dir.display(),
        lock.display()
    )]
    Locked {
        /// The state directory.
        dir: std::path::PathBuf,
        /// Its lock file.
        lock: std::path::PathBuf,
    },
    /// The lock file could not be created or locked.
    #[error("state directory lock {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: std::path::PathBuf,
        /// System error.
        source: std::io::Error,
    },
}

/// The lock file of a state directory (held, exclusively, by the process serving it).
pub const LOCK_FILE: &str = "serve.lock";

/// Takes the exclusive lock of a state directory (created if needed); released when the file is dropped
/// or the process ends, however it ends.
pub fn lock_state_dir(dir: &std::path::Path) -> Result<std::fs::File, SetupError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| SetupError::Lock {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SetupError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

fn endpoint_name(tx: Option<Transaction>) -> &'static str {
    match tx {
        Some(Transaction::Iti41) => "dmp/iti41",
        Some(Transaction::Iti18) => "dmp/iti18",
        Some(Transaction::Iti43) => "dmp/iti43",
        Some(Transaction::Iti57) => "dmp/iti57",
        Some(Transaction::Td02) => "dmp/td02",
        None => "dmp/unknown",
    }
}

fn refs<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Vec<FindingRef> {
    findings
        .into_iter()
        .filter(|f| f.verdict != Verdict::Pass && f.verdict != Verdict::NotApplicable)
        .map(|f| FindingRef {
            requirement: f.requirement.clone(),
            verdict: f.verdict,
        })
        .collect()
}

/// Failed MUST findings of a set, as `RULE: message` lines.
fn failures<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Vec<String> {
    findings
        .into_iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| format!("{}: {}", f.requirement, f.message.fr))
        .collect()
}

/// What the checks decided before dispatch.
enum Gate {
    Pass,
    Refuse(Response),
}

impl Handler {
    /// Locks the state directory (one process per state directory: [`SetupError::Locked`] otherwise),
    /// opens it (evidence store, findings log) and rebuilds the registry from the recorded exchanges.
    pub fn open(config: Config) -> Result<Handler, SetupError> {
        let lock = lock_state_dir(&config.state_dir)?;
        let evidence = EvidenceStore::open(&config.state_dir)?;
        let findings = FindingsLog::open(&config.state_dir).map_err(SetupError::Findings)?;
        let h = Handler {
            config,
            registry: Mutex::new(Registry::new()),
            faults: super::faults::Faults::new(),
            evidence,
            findings,
            seen_message_ids: Mutex::new(HashSet::new()),
            seen_assertion_ids: Mutex::new(HashSet::new()),
            existence_tested: Mutex::new(HashSet::new()),
            _lock: lock,
        };
        h.replay()?;
        Ok(h)
    }

    fn opts(&self) -> Options {
        Options {
            limits: self.config.limits.clone(),
            target: Target::Dmp,
            kit: self.config.kit.clone(),
            xsd_beside: false,
        }
    }

    /// Rebuilds the state from the evidence store, in manifest order: the wsa:MessageIDs and VIHF
    /// assertion IDs of every recorded request (DMP-SOAP-012 and DMP-VIHF-010 hold across the whole run,
    /// restarts included), and the registry: every ITI-41 / ITI-57 request whose recorded response is a
    /// `Success`, replayed (ids are derived from the request hash, so they come out the same).
    fn replay(&self) -> Result<(), SetupError> {
        let entries = self.evidence.entries()?;
        let mut responses: HashMap<&str, &str> = HashMap::new();
        for e in &entries {
            if e.direction == Direction::Response {
                responses.insert(e.exchange.as_str(), e.sha256.as_str());
            }
        }
        let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let mut messages = self
            .seen_message_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut assertions = self
            .seen_assertion_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for e in &entries {
            if e.direction != Direction::Request || !e.endpoint.starts_with("dmp/") {
                continue;
            }
            let Ok(capture) = self.evidence.get(&e.sha256) else {
                continue;
            };
            let capture = Bytes::from(capture);
            let success = (e.endpoint == "dmp/iti41" || e.endpoint == "dmp/iti57")
                && responses
                    .get(e.exchange.as_str())
                    .and_then(|r| self.evidence.get(r).ok())
                    .is_some_and(|r| contains(&r, b"ResponseStatusType:Success"));
            // A TD0.2 that got its answer (not a refusal nor an injected fault) counts for DMP-TX-015.
            let tested = e.endpoint == "dmp/td02"
                && responses
                    .get(e.exchange.as_str())
                    .and_then(|r| self.evidence.get(r).ok())
                    .is_some_and(|r| contains(&r, b"<typeCode code=\"AA\"/>"));
            let _ = self.apply_recorded(
                &capture,
                &e.sha256,
                success.then_some(&mut *reg),
                tested,
                &mut messages,
                &mut assertions,
            );
        }
        Ok(())
    }

    /// Handles one request.
    pub fn process(&self, req: &HttpRequest, peer: &Peer) -> Outcome {
        let capture = Bytes::from(req.capture());
        let sha = evidence::sha256_hex(&capture);
        let exchange = evidence::new_exchange_id();
        let mut sink = Sink::new();
        let http = HttpFacts {
            content_type: req.content_type.clone(),
            root_part_type: None,
            tls_version: peer.tls_version.clone(),
            client_cert: peer.client_cert.is_some(),
            path: req.path.clone(),
            endpoint: match req.path.as_str() {
                p if p == super::REPOSITORY_PATH => Some(Transaction::Iti41),
                p if p == super::REGISTRY_PATH => Some(Transaction::Iti18),
                p if p == super::PATIENTS_PATH => Some(Transaction::Td02),
                _ => None,
            },
        };
        // Split and parse; an unreadable envelope is a SOAP Fault.
        let split = match wire::split(&capture, &self.config.limits) {
            Ok(s) => s,
            Err(e) => return self.unreadable(&exchange, &sha, &capture, peer, &e.to_string()),
        };
        let http = HttpFacts {
            root_part_type: split.root_part_type.clone(),
            ..http
        };
        let text = match xml::decode(split.root, &self.config.limits) {
            Ok(t) => t,
            Err(e) => return self.unreadable(&exchange, &sha, &capture, peer, &e.to_string()),
        };
        let doc = match xml::parse(&text, &self.config.limits) {
            Ok(d) => d,
            Err(e) => return self.unreadable(&exchange, &sha, &capture, peer, &e.to_string()),
        };
        let env = Envelope::of(doc.root_element());
        let tx = env.transaction();
        let endpoint = endpoint_name(tx);
        // The documents an ITI-41 carries, extracted once (slices of the capture, not copies).
        let docs = match (tx, env.payload) {
            (Some(Transaction::Iti41), Some(p)) => iti41::documents(p, &split, &capture),
            _ => HashMap::new(),
        };
        let payload = env.payload;
        let sub = match (tx, payload) {
            (Some(Transaction::Iti41 | Transaction::Iti57), Some(p)) => {
                super::cmd::submit_objects(p).map(fxds::Submission::of)
            }
            _ => None,
        };
        // A deposit's full validation, on the envelope parsed above; each CDA it carries is parsed once,
        // and DMP-VIHF-027 reads the healthCareFacility code from that same tree.
        let mut facility = None;
        // Each document hashed once: its evidence object's name, and its validation result's hash.
        let doc_refs_all = iti41::refs(&docs);
        let documents_sha256: Vec<(&[u8], &str)> = docs
            .iter()
            .filter_map(|(id, b)| Some((&b[..], doc_refs_all.get(id)?.sha256.as_str())))
            .collect();
        let results: Vec<ArtifactResult> = match (tx, &sub) {
            (Some(Transaction::Iti41), Some(_)) => validate::xds::validate_parsed_iti41(
                &format!("evidence/{sha}"),
                validate::xds::ParsedIti41 {
                    bytes: &capture,
                    sha256: &sha,
                    capture: &split.capture,
                    text: &text,
                    doc: &doc,
                    documents_sha256: &documents_sha256,
                },
                &self.opts(),
                &mut |cda| {
                    if facility.is_none() {
                        facility = facility_code_in(cda);
                    }
                },
            ),
            _ => Vec::new(),
        };
        if tx == Some(Transaction::Iti41) && sub.is_none() {
            // Not validated (no SubmitObjectsRequest: refused below), the first CDA carried still
            // gives the code.
            facility = docs
                .values()
                .find_map(|d| facility_code(d, &self.config.limits));
        }
        let state = self.state_facts(&env, tx, sub.as_ref(), facility);
        let w = Wire {
            envelope: doc.root_element(),
            http: &http,
            state: &state,
        };
        cdmp::check_soap(&w, &mut sink);
        cdmp::check_vihf(&w, &mut sink);
        match tx {
            Some(Transaction::Td02) => cdmp::check_td02(&w, &mut sink),
            Some(Transaction::Iti41) => cdmp::check_existence_tested(&w, &mut sink),
            _ => {}
        }

        // Transaction-specific checks that need the registry (read-only here).
        let mut iti57_changes = Vec::new();
        if let (Some(Transaction::Iti41), Some(s)) = (tx, &sub) {
            let replaced: Vec<&str> = s
                .associations
                .iter()
                .filter(|a| a.assoc_type == Some("urn:ihe:iti:2007:AssociationType:RPLC"))
                .filter_map(|a| a.target)
                .collect();
            let (unknown_targets, known): (Vec<String>, Vec<(String, String, String)>) = {
                let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                let unknown = reg
                    .conflicts(&[], &replaced)
                    .into_iter()
                    .filter_map(|c| match c {
                        Conflict::UnknownReplaced(t) => Some(t),
                        Conflict::DuplicateUniqueId(_) => None,
                    })
                    .collect();
                let known = replaced
                    .iter()
                    .filter_map(|t| reg.get(t))
                    .map(|e| {
                        (
                            e.entry_uuid.clone(),
                            e.unique_id.clone(),
                            e.document_sha256.clone(),
                        )
                    })
                    .collect();
                (unknown, known)
            };
            // The replaced documents as the repository holds them (read outside the registry lock; a
            // replacement is rare, so this costs nothing on ordinary deposits).
            let replaced_docs = known
                .into_iter()
                .map(|(entry_uuid, unique_id, sha)| cdmp::ReplacedDoc {
                    entry_uuid,
                    unique_id,
                    previous: self
                        .evidence
                        .get(&sha)
                        .ok()
                        .and_then(|b| cdmp::VersionFacts::of(&b, &self.config.limits)),
                })
                .collect();
            let facts = cdmp::ReplaceFacts {
                unknown_targets,
                replaced: replaced_docs,
            };
            cdmp::check_iti41_metadata(s, &facts, &mut sink);
            cdmp::check_replacement(s, &docs, &facts, &self.config.limits, &mut sink);
            if payload.is_some() {
                cdmp::check_xades(s, &docs, &state, &mut sink);
            }
        }
        if let (Some(Transaction::Iti57), Some(s)) = (tx, &sub) {
            let facts = {
                let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                iti57::facts(s, &reg)
            };
            iti57_changes = cdmp::check_iti57(s, &facts, &mut sink);
        }
        let wire_findings = sink.finish();

        // The gate: what the DMP refuses before looking at the business content.
        let relates = env.message_id_value().map(str::to_string);
        let fault = self.faults.take(tx);
        let mut response = match self.gate(tx, &wire_findings, env.action_value()) {
            Gate::Refuse(r) => r,
            Gate::Pass => match &fault {
                Some(Fault::RegistryError(code)) => {
                    let e = [RegistryError::new(
                        code,
                        "fault injected by the harness (dui-conform)",
                    )];
                    match tx {
                        Some(Transaction::Iti18) => iti18::respond(
                            &iti18::Query::default(),
                            Err(e.to_vec()),
                            relates.as_deref(),
                            &self.config.repository_unique_id,
                        ),
                        Some(t) => wire::registry_response(t, relates.as_deref(), &e),
                        None => unknown::respond(env.action_value()),
                    }
                }
                Some(Fault::SoapFault) => wire::fault(
                    FaultCode::Receiver,
                    None,
                    "Erreur interne du DMP (faute injectée par le harnais)",
                    "DMP internal error (fault injected by the harness)",
                    &[],
                ),
                Some(Fault::Http(code)) => Response {
                    status: *code,
                    content_type: "text/plain".into(),
                    body: Vec::new(),
                },
                _ => Response {
                    status: 0,
                    content_type: String::new(),
                    body: Vec::new(),
                },
            },
        };
        // A dropped connection answers nothing and changes nothing (the request is still recorded).
        let normal = response.status == 0 && fault != Some(Fault::Drop);

        // Record the request durably with its findings (and, for a deposit that may be registered, each
        // document as its own object: the repository serves it from there), then the findings log.
        // The request's findings: the wire checks', then the capture's validation (borrowed, not copied).
        let all: Vec<&Finding> = wire_findings
            .iter()
            .chain(results.first().into_iter().flat_map(|r| &r.findings))
            .collect();
        let entry =
            |direction: Direction, peer: Option<&str>, findings: Vec<FindingRef>| ManifestEntry {
                at: evidence::now_rfc3339(),
                exchange: exchange.clone(),
                endpoint: endpoint.to_string(),
                direction,
                peer: peer.map(str::to_string),
                sha256: String::new(),
                size: 0,
                findings,
            };
        let mut staged = vec![Staged::with_sha(
            sha.clone(),
            capture.clone(),
            Some(entry(
                Direction::Request,
                peer.subject.as_deref(),
                refs(all.iter().copied()),
            )),
        )];
        let mut doc_refs = HashMap::new();
        if normal && tx == Some(Transaction::Iti41) {
            for (id, bytes) in &docs {
                let Some(r) = doc_refs_all.get(id) else {
                    continue;
                };
                staged.push(Staged::with_sha(
                    r.sha256.clone(),
                    bytes.clone(),
                    Some(entry(Direction::Document, None, Vec::new())),
                ));
                doc_refs.insert(id.clone(), r.clone());
            }
        }
        if let Err(e) = self.evidence.commit(staged) {
            return Outcome::Respond(
                wire::fault(
                    FaultCode::Receiver,
                    None,
                    &format!("Le simulateur n'a pas pu enregistrer la requête : {e}"),
                    &format!("The simulator could not record the request: {e}"),
                    &[],
                ),
                None,
            );
        }
        let _ = self.findings.append(endpoint, &sha, all.iter().copied());
        for r in results.iter().skip(1) {
            let _ = self.findings.append(endpoint, &r.sha256, &r.findings);
        }

        // Dispatch (registry changes happen here, under the lock, only on a normal answer).
        if normal {
            response = self.dispatch(
                tx,
                &doc,
                &doc_refs,
                &sha,
                &results,
                &wire_findings,
                iti57_changes,
                relates.as_deref(),
            );
        }
        if fault == Some(Fault::Drop) {
            return Outcome::Drop;
        }
        let body = Bytes::from(std::mem::take(&mut response.body));
        let recorded = self.evidence.commit(vec![Staged::new(
            body.clone(),
            Some(entry(Direction::Response, None, Vec::new())),
        )]);
        response.body = body.into();
        if let Err(e) = recorded {
            return Outcome::Respond(
                wire::fault(
                    FaultCode::Receiver,
                    None,
                    &format!("Le simulateur n'a pas pu enregistrer la réponse : {e}"),
                    &format!("The simulator could not record the response: {e}"),
                    &[],
                ),
                None,
            );
        }
        match fault {
            Some(Fault::Drop) => Outcome::Drop,
            Some(Fault::Delay(d)) => Outcome::Respond(response, Some(d)),
            _ => Outcome::Respond(response, None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        tx: Option<Transaction>,
        doc: &Document<'_>,
        doc_refs: &HashMap<String, iti41::DocRef>,
        sha: &str,
        results: &[ArtifactResult],
        wire_findings: &[Finding],
        changes: Vec<cdmp::StatusChange>,
        relates: Option<&str>,
    ) -> Response {
        let env = Envelope::of(doc.root_element());
        let Some(payload) = env.payload else {
            return unknown::respond(env.action_value());
        };
        match tx {
            Some(Transaction::Iti41) => {
                let Some(sub) = super::cmd::submit_objects(payload).map(fxds::Submission::of)
                else {
                    return wire::registry_response(
                        Transaction::Iti41,
                        relates,
                        &[RegistryError::new(
                            "XDSRegistryMetadataError",
                            "DMP-SOAP-015: no SubmitObjectsRequest",
                        )],
                    );
                };
                let mut errors = iti41::errors(results, wire_findings, self.config.unsigned_ok);
                let dep = iti41::deposit(&sub, doc_refs, sha);
                let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                if errors.is_empty() {
                    let uids: Vec<&str> =
                        dep.entries.iter().map(|e| e.unique_id.as_str()).collect();
                    let replaced: Vec<&str> = dep.replaced.iter().map(String::as_str).collect();
                    for c in reg.conflicts(&uids, &replaced) {
                        if let Conflict::DuplicateUniqueId(u) = c {
                            let mut e = RegistryError::new("XDSDuplicateUniqueIdInRegistry", format!("uniqueId {u} déjà enregistré / already registered (DMP-TX-014)"));
                            e.location = Some(u);
                            errors.push(e);
                        }
                    }
                    // A SubmissionSet uniqueId is as unique as a document's (ITI TF-3 4.2.3.3.12;
                    // ITI-42 error XDSDuplicateUniqueIdInRegistry).
                    if let Some(set) = dep
                        .set
                        .as_ref()
                        .filter(|s| reg.submission_set_by_unique_id(&s.unique_id).is_some())
                    {
                        let u = set.unique_id.clone();
                        let mut e = RegistryError::new(
                            "XDSDuplicateUniqueIdInRegistry",
                            format!(
                                "SubmissionSet uniqueId {u} déjà enregistré / already registered"
                            ),
                        );
                        e.location = Some(u);
                        errors.push(e);
                    }
                }
                if errors.is_empty() {
                    iti41::apply(dep, &mut reg);
                }
                wire::registry_response(Transaction::Iti41, relates, &errors)
            }
            Some(Transaction::Iti18) => {
                let q = iti18::Query::of(payload);
                let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                let r = iti18::run(&q, &reg);
                iti18::respond(&q, r, relates, &self.config.repository_unique_id)
            }
            Some(Transaction::Iti43) => {
                let reqs = iti43::requests(payload);
                let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                iti43::respond(
                    &reqs,
                    &reg,
                    &self.evidence,
                    &self.config.repository_unique_id,
                    relates,
                )
            }
            Some(Transaction::Iti57) => {
                let Some(sub) = super::cmd::submit_objects(payload).map(fxds::Submission::of)
                else {
                    return wire::registry_response(
                        Transaction::Iti57,
                        relates,
                        &[RegistryError::new(
                            "XDSRegistryMetadataError",
                            "ITI-57: no SubmitObjectsRequest",
                        )],
                    );
                };
                let mut errors: Vec<RegistryError> = wire_findings
                    .iter()
                    .filter(|f| {
                        f.verdict == Verdict::Fail && f.requirement.starts_with("DMP-TX-01")
                    })
                    .map(|f| {
                        let code = if f.requirement == "DMP-TX-014" {
                            "XDSMetadataVersionError"
                        } else {
                            "XDSMetadataUpdateError"
                        };
                        RegistryError::new(code, format!("{}: {}", f.requirement, f.message.fr))
                    })
                    .collect();
                let versions = iti57::versions(&sub, sha);
                let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
                errors.extend(iti57::version_errors(&versions, &reg));
                if changes.is_empty() && versions.is_empty() {
                    errors.push(RegistryError::new("XDSMetadataUpdateError", "ITI-57 sans changement de statut ni nouvelle version / without status change nor new version"));
                }
                if errors.is_empty() {
                    iti57::apply(
                        &iti57::Update {
                            status: changes,
                            versions,
                        },
                        &mut reg,
                    );
                }
                wire::registry_response(Transaction::Iti57, relates, &errors)
            }
            Some(Transaction::Td02) => {
                let patient = cdmp::td02_patient(payload);
                if let Some((_, ext)) = patient {
                    self.existence_tested
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(ext.to_string());
                }
                super::cmd::td02::respond(patient, relates)
            }
            None => unknown::respond(env.action_value()),
        }
    }

    /// SOAP, WS-Addressing and VIHF failures refuse the request with a SOAP Fault before dispatch.
    fn gate(&self, tx: Option<Transaction>, f: &[Finding], action: Option<&str>) -> Gate {
        let failed = |rule: &str| {
            f.iter()
                .any(|x| x.requirement == rule && x.verdict == Verdict::Fail)
        };
        let lines = |prefixes: &[&str]| {
            failures(
                f.iter()
                    .filter(|x| prefixes.iter().any(|p| x.requirement.starts_with(p))),
            )
        };
        if failed("DMP-SOAP-010") {
            return Gate::Refuse(wire::fault(
                FaultCode::Sender,
                None,
                "Enveloppe SOAP 1.2 attendue (application/soap+xml ou MTOM)",
                "SOAP 1.2 envelope expected (application/soap+xml or MTOM)",
                &lines(&["DMP-SOAP-010"]),
            ));
        }
        if tx.is_none() {
            return Gate::Refuse(unknown::respond(action));
        }
        if failed("DMP-SOAP-012") || failed("DMP-SOAP-013") {
            return Gate::Refuse(wire::fault(
                FaultCode::Sender,
                Some("wsa:InvalidAddressingHeader"),
                "En-têtes WS-Addressing invalides",
                "Invalid WS-Addressing headers",
                &lines(&["DMP-SOAP-012", "DMP-SOAP-013"]),
            ));
        }
        if failed("DMP-SOAP-014") {
            return Gate::Refuse(wire::fault(FaultCode::Sender, None, "Requête ITI-41 non MTOM/XOP : le DMP attend multipart/related; type=\"application/xop+xml\" avec les documents en parties MIME (xop:Include)", "Non-MTOM/XOP ITI-41 request: the DMP expects multipart/related; type=\"application/xop+xml\" with the documents as MIME parts (xop:Include)", &lines(&["DMP-SOAP-014"])));
        }
        if failed("DMP-SOAP-015") || failed("DMP-SOAP-017") {
            return Gate::Refuse(wire::fault(
                FaultCode::Sender,
                None,
                "Corps SOAP non conforme à la transaction",
                "SOAP body does not match the transaction",
                &lines(&["DMP-SOAP-015", "DMP-SOAP-017"]),
            ));
        }
        if failed("DMP-SOAP-018") {
            return Gate::Refuse(wire::fault(
                FaultCode::Sender,
                Some("wsse:InvalidSecurity"),
                "VIHF absent : wsse:Security doit contenir une assertion SAML 2.0",
                "Missing VIHF: wsse:Security must hold one SAML 2.0 assertion",
                &lines(&["DMP-SOAP-018"]),
            ));
        }
        let vihf: Vec<String> = failures(f.iter().filter(|x| {
            x.requirement.starts_with("DMP-VIHF")
                && !(self.config.unsigned_ok && crate::checks::dmp::is_missing_signature(x))
        }));
        if !vihf.is_empty() {
            return Gate::Refuse(wire::fault(
                FaultCode::Sender,
                Some("wsse:FailedAuthentication"),
                "VIHF refusé",
                "VIHF refused",
                &vihf,
            ));
        }
        if tx == Some(Transaction::Iti18) && (failed("DMP-SOAP-016") || failed("XDS-UUID-013")) {
            let code = if failed("XDS-UUID-013") {
                "XDSUnknownStoredQuery"
            } else {
                "XDSStoredQueryMissingParam"
            };
            let e: Vec<RegistryError> = lines(&["DMP-SOAP-016", "XDS-UUID-013"])
                .into_iter()
                .map(|l| RegistryError::new(code, l))
                .collect();
            return Gate::Refuse(iti18::respond(
                &iti18::Query::default(),
                Err(e),
                None,
                &self.config.repository_unique_id,
            ));
        }
        Gate::Pass
    }

    /// The facts of the simulator's state the wire checks need; `facility` is the healthCareFacility
    /// code of the first CDA document a deposit carries (DMP-VIHF-027).
    fn state_facts(
        &self,
        env: &Envelope<'_, '_>,
        tx: Option<Transaction>,
        sub: Option<&fxds::Submission<'_, '_>>,
        facility: Option<String>,
    ) -> StateFacts {
        let mut s = StateFacts {
            signature_trust: self.config.signature_trust.clone(),
            ..StateFacts::default()
        };
        if let Some(m) = env.message_id_value() {
            let mut seen = self
                .seen_message_ids
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            s.duplicate_message_id = !seen.insert(m.to_string());
        }
        if let Some(a) = env.assertion {
            if let Some(id) = a.attribute("ID") {
                let mut seen = self
                    .seen_assertion_ids
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                s.duplicate_assertion_id = !seen.insert(id.to_string());
            }
            s.vihf_cert_subject = a
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "X509Certificate")
                .and_then(|n| n.text())
                .and_then(|t| fxds::decode_base64(t).ok())
                .and_then(|der| crate::pki::subject_of(&der));
        }
        match (tx, env.payload) {
            (Some(Transaction::Iti41), Some(_)) => {
                if let Some(ss) =
                    sub.and_then(|sub| sub.submission_sets().first().copied().cloned())
                {
                    s.patient_id = ss
                        .identified(fxds::uuid::SS_PATIENT_ID)
                        .first()
                        .and_then(|x| x.value)
                        .map(str::to_string);
                    s.author_institution_id = ss
                        .classified(fxds::uuid::SS_AUTHOR)
                        .first()
                        .and_then(|c| c.slot("authorInstitution"))
                        .and_then(|sl| sl.first())
                        .and_then(|v| v.split('^').nth(9))
                        .filter(|v| !v.is_empty())
                        .map(str::to_string);
                }
                // DMP-VIHF-027: the CDA healthCareFacility code of the first CDA document carried.
                s.facility_code = facility;
            }
            (Some(Transaction::Iti18), Some(p)) => {
                s.patient_id = iti18::Query::of(p).patient_id().map(str::to_string);
            }
            _ => {}
        }
        if tx == Some(Transaction::Iti41) {
            if let Some(p) = &s.patient_id {
                s.existence_tested = self
                    .existence_tested
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(cdmp::cx_number(p));
            }
        }
        s
    }

    fn unreadable(
        &self,
        exchange: &str,
        sha: &str,
        capture: &[u8],
        peer: &Peer,
        why: &str,
    ) -> Outcome {
        let f = failure(
            "DMP-SOAP-010",
            format!("Requête illisible comme message SOAP 1.2 : {why}"),
            format!("Request unreadable as a SOAP 1.2 message: {why}"),
        );
        let all = [f];
        if let Err(e) = self.evidence.store(
            exchange,
            "dmp/unknown",
            Direction::Request,
            peer.subject.as_deref(),
            capture,
            refs(&all),
        ) {
            return Outcome::Respond(
                wire::fault(
                    FaultCode::Receiver,
                    None,
                    &format!("enregistrement impossible : {e}"),
                    &format!("cannot record: {e}"),
                    &[],
                ),
                None,
            );
        }
        let _ = self.findings.append("dmp/unknown", sha, &all);
        let r = wire::fault(
            FaultCode::Sender,
            None,
            &format!("Message SOAP illisible : {why}. Le DMP attend une enveloppe SOAP 1.2 (MTOM/XOP pour ITI-41 et ITI-43)."),
            &format!("Unreadable SOAP message: {why}. The DMP expects a SOAP 1.2 envelope (MTOM/XOP for ITI-41 and ITI-43)."),
            &failures(&all),
        );
        let _ = self.evidence.store(
            exchange,
            "dmp/unknown",
            Direction::Response,
            None,
            &r.body,
            Vec::new(),
        );
        Outcome::Respond(r, None)
    }

    /// A request the HTTP layer turns away before any SOAP processing (not POST, an unknown service path,
    /// a body over the limit or not received in time): recorded with what was received (head, and the
    /// body when it was read) and a failure of `rule`, so that nothing received is lost; the answer is
    /// the HTTP status the caller gives.
    pub fn http_refused(
        &self,
        req: &HttpRequest,
        peer: &Peer,
        rule: &'static str,
        fr: &str,
        en: &str,
    ) {
        let capture = req.capture();
        let sha = evidence::sha256_hex(&capture);
        let exchange = evidence::new_exchange_id();
        let f = failure(rule, fr.to_string(), en.to_string());
        let all = [f];
        let _ = self.evidence.store(
            &exchange,
            "dmp/http",
            Direction::Request,
            peer.subject.as_deref(),
            &capture,
            refs(&all),
        );
        let _ = self.findings.append("dmp/http", &sha, &all);
    }

    /// A TLS handshake was refused (no client certificate, untrusted certificate, old TLS version):
    /// DMP-SOAP-011 fails, logged with an empty artifact hash (no bytes were received).
    pub fn tls_refused(&self, peer: &str, why: &str) {
        let f = failure(
            "DMP-SOAP-011",
            format!("Connexion TLS de {peer} refusée : {why} (TLS mutuel ≥ 1.2 avec un certificat client émis par l'AC de test)"),
            format!("TLS connection from {peer} refused: {why} (mutual TLS ≥ 1.2 with a client certificate issued by the test CA)"),
        );
        let _ = self.findings.append("dmp", "", &[f]);
    }
}

/// A failed MUST of the transport, found before any document view exists (no location).
fn failure(rule: &str, fr: String, en: String) -> Finding {
    Finding {
        requirement: rule.into(),
        level: crate::model::Level::Must,
        verdict: Verdict::Fail,
        message: crate::model::Msg::new(fr, en),
        location: Default::default(),
        snippet: None,
        personal: Vec::new(),
        kit: None,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

impl Handler {
    /// Reads a recorded request back: its ids go to the seen sets; when `reg` is given (an ITI-41 or
    /// ITI-57 acknowledged with `Success`), its effect is re-applied to the registry. A deposit recorded
    /// before documents were stored on their own gets its document objects now. `td02_answered`: a TD0.2
    /// that got its answer, whose patient counts as tested (DMP-TX-015).
    fn apply_recorded(
        &self,
        capture: &Bytes,
        sha: &str,
        reg: Option<&mut Registry>,
        td02_answered: bool,
        messages: &mut HashSet<String>,
        assertions: &mut HashSet<String>,
    ) -> Option<()> {
        let limits = &self.config.limits;
        let split = wire::split(capture, limits).ok()?;
        let text = xml::decode(split.root, limits).ok()?;
        let doc = xml::parse(&text, limits).ok()?;
        let env = Envelope::of(doc.root_element());
        if let Some(m) = env.message_id_value() {
            messages.insert(m.to_string());
        }
        if let Some(id) = env.assertion.and_then(|a| a.attribute("ID")) {
            assertions.insert(id.to_string());
        }
        if td02_answered {
            if let Some((_, ext)) = env.payload.and_then(cdmp::td02_patient) {
                self.existence_tested
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(ext.to_string());
            }
        }
        let reg = reg?;
        let payload = env.payload?;
        let sub = super::cmd::submit_objects(payload).map(fxds::Submission::of)?;
        apply_effect(&self.evidence, &env, &split, capture, &sub, sha, reg)
    }
}

/// Re-applies a recorded ITI-41 or ITI-57 (already judged Success) to the registry.
fn apply_effect(
    store: &EvidenceStore,
    env: &Envelope<'_, '_>,
    split: &wire::Split<'_>,
    capture: &Bytes,
    sub: &fxds::Submission<'_, '_>,
    sha: &str,
    reg: &mut Registry,
) -> Option<()> {
    let payload = env.payload?;
    match env.transaction()? {
        Transaction::Iti41 => {
            let docs = iti41::documents(payload, split, capture);
            let refs = iti41::refs(&docs);
            for (id, r) in &refs {
                let stored = store.contains(&r.sha256);
                if !stored {
                    if let Some(b) = docs.get(id) {
                        let _ = store.put(b);
                    }
                }
            }
            iti41::apply(iti41::deposit(sub, &refs, sha), reg);
        }
        Transaction::Iti57 => {
            let status = sub
                .associations
                .iter()
                .filter(|a| {
                    a.assoc_type
                        == Some("urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus")
                })
                .map(|a| cdmp::StatusChange {
                    target: a.target.unwrap_or("").to_string(),
                    original: a
                        .slot("OriginalStatus")
                        .and_then(|s| s.first())
                        .unwrap_or("")
                        .to_string(),
                    new: a
                        .slot("NewStatus")
                        .and_then(|s| s.first())
                        .unwrap_or("")
                        .to_string(),
                })
                .collect();
            let versions = iti57::versions(sub, sha);
            iti57::apply(&iti57::Update { status, versions }, reg);
        }
        _ => {}
    }
    Some(())
}

/// `componentOf/encompassingEncounter/location/healthCareFacility/code/@code` of a CDA, if it is one.
fn facility_code(bytes: &[u8], limits: &crate::limits::Limits) -> Option<String> {
    if validate::detect_kind(bytes) != crate::model::ArtifactKind::Cda {
        return None;
    }
    let text = xml::decode(bytes, limits).ok()?;
    let doc = xml::parse(&text, limits).ok()?;
    facility_code_in(&doc)
}

/// `healthCareFacility/code/@code` in a parsed CDA.
fn facility_code_in(doc: &Document<'_>) -> Option<String> {
    let code = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "healthCareFacility")?
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "code")?
        .attribute("code")?
        .to_string();
    Some(code)
}
