//! The evidence store: every request and response a simulator receives or sends, byte-exact, content-addressed
//! by SHA-256, with an append-only manifest. A simulator stores and records a request durably **before** it
//! answers, so a crash or a kill never loses an exchange the DUI saw acknowledged; `dui-conform evidence verify
//! DIR` recomputes every hash.
//!
//! # On-disk layout
//! ```text
//! <state_dir>/evidence/
//!   packs/<seq>.pack        objects stored by the simulators (EvidenceStore::commit), appended as frames
//!                           `DUIPACK1 <sha256> <size>\n<bytes>\n` to one file at a time, like git packfiles
//!                           (see the `pack` module); <seq> = 8 digits, a new pack per open and per 256 MiB
//!   objects/<aa>/<sha256>   loose objects (EvidenceStore::put, and every object of stores written before
//!                           packs existed): the bytes, named by the lowercase hex SHA-256 of their content;
//!                           <aa> = its first two hex digits (256 folders keep directories small)
//!   manifest.jsonl          one JSON object a line (a ManifestEntry), appended, never rewritten:
//!                           {"at","exchange","endpoint","direction","peer","sha256","size","findings":[…],
//!                            "prev"}  (see Tamper evidence)
//!   tmp/                    loose objects being written (a leftover after a crash is harmless and ignored)
//!   quarantine/             altered loose objects that a later put of the genuine bytes moved out of its way
//!   wal/<seq>.wal           only in stores of earlier versions, after a crash: replayed into objects/ at open
//! ```
//! Both kinds of object are read everywhere: [`EvidenceStore::get`] looks in the packs (an in-memory
//! index sha256 → pack, offset, size, rebuilt from the frame headers at open), then for a loose file;
//! [`verify`] hashes every loose file and every pack frame.
//!
//! # Durability
//! [`EvidenceStore::commit`] (the simulators' path) appends the objects of a whole batch of concurrent
//! requests to the active pack in one write and fsyncs it, then appends their manifest lines and fsyncs
//! the manifest: an object is durable before a line names it, a line before the caller answers; no file
//! is created per object. [`EvidenceStore::put`] writes a loose object to `tmp/`, fsyncs the file,
//! renames it into `objects/<aa>/` and fsyncs that folder: an object is either absent or complete.
//! [`EvidenceStore::record`] appends one line with a single `write` on a file opened in append mode and
//! fsyncs it before returning; concurrent callers share one fsync (group commit), so many tasks recording
//! at once cost about one disk flush, not one each.
//!
//! A crash can leave: an object that no manifest line names (stored, not yet recorded: reported as
//! *unreferenced*, not damage), a `tmp/` file, a pack ending in a frame cut short (a batch never
//! acknowledged: reported as a *torn* pack, not damage; the next open starts a new pack, so nothing is
//! ever appended after it), or a torn last manifest line (a write cut short: reported as *torn*, never
//! acknowledged, not damage). When a writer opens a manifest whose last line is torn it ends
//! that line with a newline first, so the next entry starts on a line of its own; the torn bytes stay (the
//! store never deletes). Damage is a manifest line naming an object that is missing, an object whose bytes
//! no longer hash to its name (a loose file or a pack frame) or differ in size from the manifest, a pack
//! frame that cannot be read with data after it, a manifest line that is not an entry, a broken chain, or
//! an altered copy that a later store of the genuine bytes replaced (moved to `quarantine/`, or left in its
//! pack beside the new frame).
//!
//! # Tamper evidence
//! Objects are checked by their names. Manifest lines are chained: each carries `prev`, the SHA-256 of the
//! previous entry line as written (without its newline; 64 zeros for the first), so removing, inserting,
//! reordering or editing a line breaks the chain at the next line. The last line can be edited unnoticed:
//! keep its hash ([`EvidenceStore::head`], [`VerifyReport::head`]), e.g. in the run report, to anchor it. One process writes a state directory at a
//! time: two writers would interleave two chains.

mod commit;
mod pack;

pub use commit::{Staged, WAL_DIR};
pub use pack::{PACK_BYTES, PACK_DIR};

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Verdict;

/// The folder under the state directory.
pub const EVIDENCE_DIR: &str = "evidence";
/// The manifest file name.
pub const MANIFEST: &str = "manifest.jsonl";
/// Where `put` moves an altered object it finds in its way.
pub const QUARANTINE: &str = "quarantine";
/// The `prev` of the first manifest line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Bound on one manifest line read back (an entry is a few hundred bytes; findings lists stay small).
const MAX_LINE: usize = 1024 * 1024;

/// What went wrong, and whose fault it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The state directory cannot be used (configuration: a path that is a file, no permission).
    #[error("evidence store {}: {reason}", path.display())]
    Config {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A read or write of the store failed (environment: disk full, I/O error).
    #[error("evidence store I/O on {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// The requested object is not in the store.
    #[error("evidence object {0} is missing")]
    Missing(String),
    /// The object's bytes do not hash to its name: it was altered after being stored.
    #[error("evidence object {sha256} is altered (its content hashes to {actual})")]
    Altered {
        /// The name (expected hash).
        sha256: String,
        /// The hash of what is there.
        actual: String,
    },
    /// Not a SHA-256 hex name (64 lowercase hex digits).
    #[error("not a sha256 object name: {0:?}")]
    BadName(String),
    /// An entry could not be serialised (a harness bug).
    #[error("manifest entry cannot be serialised (harness bug, please report): {0}")]
    Serialize(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether a stored object is what a peer sent us or what we sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received from the system under test.
    Request,
    /// Sent to the system under test.
    Response,
    /// A document carried by a request (an MTOM part), stored on its own so that it can be served back
    /// byte-exact (ITI-43) without keeping it in memory.
    Document,
}

/// A finding attached to an exchange: the requirement id and its verdict (the full finding, with message and
/// location, goes to `findings.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// Requirement id (`DMP-SOAP-011`…).
    pub requirement: String,
    /// Its verdict.
    pub verdict: Verdict,
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// When (RFC 3339 UTC, see [`now_rfc3339`]).
    pub at: String,
    /// The id shared by a request and its response (see [`new_exchange_id`]).
    pub exchange: String,
    /// The endpoint (`dmp/iti41`, `smtp`…).
    pub endpoint: String,
    /// Request or response.
    pub direction: Direction,
    /// Subject DN of the peer's client certificate, when it presented one.
    pub peer: Option<String>,
    /// The object's name.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The findings on it.
    #[serde(default)]
    pub findings: Vec<FindingRef>,
}

/// A manifest line as written: the entry and `prev`, the SHA-256 of the previous entry line (without its
/// newline; [`GENESIS`] for the first), so that a line removed, inserted or edited breaks the chain.
#[derive(Serialize)]
struct ChainedEntry<'a> {
    #[serde(flatten)]
    entry: &'a ManifestEntry,
    prev: &'a str,
}

/// The chain link of a line read back.
#[derive(Deserialize)]
struct ChainLink {
    prev: Option<String>,
}

/// The append side of the manifest, behind a mutex.
struct Appender {
    file: File,
    /// Lines written (not necessarily synced).
    written: u64,
    /// SHA-256 of the last entry line (the next line's `prev`).
    last_hash: String,
}

/// Group-commit state: how many lines are known durable, and whether a sync is running.
struct SyncState {
    synced: u64,
    syncing: bool,
}

/// An append-only, content-addressed store of everything received and sent. `Send + Sync`: share it in an
/// `Arc` between tasks; its methods block on disk I/O (call them from `spawn_blocking` in async code, or
/// accept the short block of an fsync).
pub struct EvidenceStore {
    root: PathBuf,
    objects: PathBuf,
    tmp: PathBuf,
    manifest_path: PathBuf,
    shared: std::sync::Arc<Shared>,
}

/// The writer state of one manifest, shared by every [`EvidenceStore`] of the process opened on it (see
/// [`EvidenceStore::open`]).
struct Shared {
    appender: Mutex<Appender>,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    /// Batches of [`EvidenceStore::commit`].
    group: commit::GroupCommit,
    /// The pack files and their index.
    packs: Mutex<pack::Packs>,
}

/// The manifests open in this process, by canonical path.
fn registry() -> &'static Mutex<std::collections::HashMap<PathBuf, std::sync::Weak<Shared>>> {
    static REGISTRY: std::sync::OnceLock<
        Mutex<std::collections::HashMap<PathBuf, std::sync::Weak<Shared>>>,
    > = std::sync::OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Numbers temp files uniquely within the process (several stores may write the same folder).
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl EvidenceStore {
    /// A temporary file for object `name` (a SHA-256 hex), unique across threads and processes: written
    /// there, then renamed into `objects/`.
    fn tmp_path(&self, name: &str) -> PathBuf {
        self.tmp.join(format!(
            "{}.{}.{}",
            &name[..16],
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Opens (creates) `<state_dir>/evidence/` with `manifest.jsonl`, `packs/` and `objects/`, and reads
    /// the pack frame headers into the index.
    ///
    /// Stores opened on the same folder within one process share their writer state, so their lines form
    /// one chain; two processes must not write the same folder at once.
    pub fn open(state_dir: &Path) -> Result<EvidenceStore, EvidenceError> {
        if state_dir.exists() && !state_dir.is_dir() {
            return Err(EvidenceError::Config {
                path: state_dir.to_path_buf(),
                reason: "the state directory is a file, not a folder".into(),
            });
        }
        let root = state_dir.join(EVIDENCE_DIR);
        let objects = root.join("objects");
        let tmp = root.join("tmp");
        for d in [&objects, &tmp] {
            std::fs::create_dir_all(d).map_err(|e| EvidenceError::Config {
                path: d.clone(),
                reason: format!("cannot create: {e}"),
            })?;
        }
        let manifest_path = root.join(MANIFEST);
        let key = std::fs::canonicalize(&root).map_err(io_err(&root))?;
        let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if let Some(shared) = reg.get(&key).and_then(std::sync::Weak::upgrade) {
            return Ok(EvidenceStore {
                root,
                objects,
                tmp,
                manifest_path,
                shared,
            });
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&manifest_path)
            .map_err(|e| EvidenceError::Config {
                path: manifest_path.clone(),
                reason: format!("cannot open for append: {e}"),
            })?;
        // The manifest's creation must survive a crash too.
        sync_dir(&root)?;
        sync_dir(state_dir)?;
        // The chain continues from the last entry line.
        let last_hash = read_manifest(&manifest_path)?
            .line_hashes
            .last()
            .cloned()
            .unwrap_or_else(|| GENESIS.to_string());
        // A torn last line (crash mid-write): end it, so the next entry starts on its own line.
        let len = file.metadata().map_err(io_err(&manifest_path))?.len();
        let written = 0;
        if len > 0 {
            use std::io::{Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(io_err(&manifest_path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n")
                    .and_then(|_| file.sync_data())
                    .map_err(io_err(&manifest_path))?;
            }
        }
        let shared = std::sync::Arc::new(Shared {
            appender: Mutex::new(Appender {
                file,
                written,
                last_hash,
            }),
            sync: Mutex::new(SyncState {
                synced: written,
                syncing: false,
            }),
            synced_cv: Condvar::new(),
            group: Default::default(),
            packs: Mutex::new(pack::Packs::open(root.join(PACK_DIR))?),
        });
        reg.insert(key, std::sync::Arc::downgrade(&shared));
        drop(reg);
        let store = EvidenceStore {
            root,
            objects,
            tmp,
            manifest_path,
            shared,
        };
        // Objects a crash of an earlier version left only in its write-ahead log (see `commit`).
        store.recover_wal()?;
        Ok(store)
    }

    /// The SHA-256 of the last manifest entry line ([`GENESIS`] when empty): quoting it in a report anchors
    /// the whole chain.
    pub fn head(&self) -> String {
        self.shared
            .appender
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_hash
            .clone()
    }

    /// `<state_dir>/evidence`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of the loose object named `sha256` (whether or not it exists; objects stored by
    /// [`EvidenceStore::commit`] are in packs, see [`EvidenceStore::contains`]).
    pub fn object_path(&self, sha256: &str) -> Result<PathBuf, EvidenceError> {
        check_name(sha256)?;
        Ok(self.objects.join(&sha256[..2]).join(sha256))
    }

    /// Stores bytes durably (write to a temp file, fsync, rename, fsync the directory) and returns the sha256
    /// hex; storing the same bytes twice is free.
    pub fn put(&self, bytes: &[u8]) -> Result<String, EvidenceError> {
        let name = sha256_hex(bytes);
        let dir = self.objects.join(&name[..2]);
        let path = dir.join(&name);
        {
            // Already stored (in a pack or loose): free, once the copy is checked (same size, then same
            // bytes). A loose copy that was altered is moved to quarantine/ (kept as evidence of the
            // tampering, and reported by verify) and the genuine bytes stored again, so the simulator can
            // go on recording.
            let packs = self.shared.packs.lock().unwrap_or_else(|p| p.into_inner());
            if self.stored_intact(&packs, &name, bytes)? {
                return Ok(name);
            }
        }
        if !dir.is_dir() {
            match std::fs::create_dir(&dir) {
                Ok(()) => sync_dir(&self.objects)?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        let tmp = self.tmp_path(&name);
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io_err(&tmp))?;
            f.write_all(bytes).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
            drop(f);
            std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
            sync_dir(&dir)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map(|()| name)
    }

    /// Moves an altered object to `quarantine/<sha256>.<unix nanos>`.
    fn quarantine(&self, path: &Path, name: &str) -> Result<(), EvidenceError> {
        let q = self.root.join(QUARANTINE);
        std::fs::create_dir_all(&q).map_err(io_err(&q))?;
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let target = q.join(format!("{name}.{nanos}"));
        std::fs::rename(path, &target).map_err(io_err(&target))?;
        sync_dir(&q)?;
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
        Ok(())
    }

    /// Appends one manifest line durably (fsync) — a simulator calls this BEFORE it answers.
    pub fn record(&self, entry: &ManifestEntry) -> Result<(), EvidenceError> {
        let my_seq = {
            let mut a = self
                .shared
                .appender
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let mut line = serde_json::to_vec(&ChainedEntry {
                entry,
                prev: &a.last_hash,
            })
            .map_err(|e| EvidenceError::Serialize(e.to_string()))?;
            let hash = sha256_hex(&line);
            line.push(b'\n');
            // One write call: O_APPEND makes it land at the end even with other writers (other processes).
            a.file
                .write_all(&line)
                .map_err(io_err(&self.manifest_path))?;
            a.written += 1;
            a.last_hash = hash;
            a.written
        };
        self.sync_upto(my_seq)
    }

    /// Group commit: returns once line `seq` is durable; one caller fsyncs for everybody waiting.
    fn sync_upto(&self, seq: u64) -> Result<(), EvidenceError> {
        let mut s = self.shared.sync.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if s.synced >= seq {
                return Ok(());
            }
            if !s.syncing {
                break;
            }
            s = self
                .shared
                .synced_cv
                .wait(s)
                .unwrap_or_else(|p| p.into_inner());
        }
        s.syncing = true;
        drop(s);
        // Everything written so far is covered by this fsync.
        let (target, file) = {
            let a = self
                .shared
                .appender
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            (a.written, a.file.try_clone())
        };
        let res = file
            .and_then(|f| f.sync_data())
            .map_err(io_err(&self.manifest_path));
        let mut s = self.shared.sync.lock().unwrap_or_else(|p| p.into_inner());
        s.syncing = false;
        if res.is_ok() {
            s.synced = s.synced.max(target);
        }
        self.shared.synced_cv.notify_all();
        res
    }

    /// All manifest entries, in order; a torn last line (crash mid-write) and any unparseable line are
    /// skipped here and listed by [`EvidenceStore::manifest`] and [`verify`].
    pub fn entries(&self) -> Result<Vec<ManifestEntry>, EvidenceError> {
        Ok(read_manifest(&self.manifest_path)?.entries)
    }

    /// The manifest with its damaged lines, if any.
    pub fn manifest(&self) -> Result<Manifest, EvidenceError> {
        read_manifest(&self.manifest_path)
    }

    /// The bytes of an object, verified against its hash.
    /// Looks in the packs first, then for a loose file.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, EvidenceError> {
        let path = self.object_path(sha256)?;
        let packed = {
            let packs = self.shared.packs.lock().unwrap_or_else(|p| p.into_inner());
            packs
                .locate(sha256)
                .map(|loc| (packs.dir().to_path_buf(), loc))
        };
        let mut altered = None;
        if let Some((dir, loc)) = packed {
            let bytes = pack::read(&dir, loc)?;
            let actual = sha256_hex(&bytes);
            if actual == sha256 {
                return Ok(bytes);
            }
            // Perhaps a loose copy is intact.
            altered = Some(actual);
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(match altered {
                    Some(actual) => EvidenceError::Altered {
                        sha256: sha256.to_string(),
                        actual,
                    },
                    None => EvidenceError::Missing(sha256.to_string()),
                })
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(EvidenceError::Altered {
                sha256: sha256.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// True when the store holds an object of that name (in a pack or loose; not checked).
    pub fn contains(&self, sha256: &str) -> bool {
        check_name(sha256).is_ok()
            && (self
                .shared
                .packs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .locate(sha256)
                .is_some()
                || self.object_path(sha256).is_ok_and(|p| p.is_file()))
    }

    /// Convenience for simulators: stores `bytes` and records them in one call (put, then record).
    pub fn store(
        &self,
        exchange: &str,
        endpoint: &str,
        direction: Direction,
        peer: Option<&str>,
        bytes: &[u8],
        findings: Vec<FindingRef>,
    ) -> Result<String, EvidenceError> {
        let sha256 = self.put(bytes)?;
        self.record(&ManifestEntry {
            at: now_rfc3339(),
            exchange: exchange.to_string(),
            endpoint: endpoint.to_string(),
            direction,
            peer: peer.map(str::to_string),
            sha256: sha256.clone(),
            size: bytes.len() as u64,
            findings,
        })?;
        Ok(sha256)
    }
}

/// A manifest line that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// True when the line is a prefix of an entry cut short (a crash mid-write: never acknowledged).
    pub torn: bool,
    /// The parser's message.
    pub reason: String,
}

/// The manifest as read back.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// The entries, in order.
    pub entries: Vec<ManifestEntry>,
    /// The 1-based manifest line of each entry.
    pub lines: Vec<usize>,
    /// The lines that are not entries.
    pub bad_lines: Vec<BadLine>,
    /// SHA-256 of each entry line (without its newline).
    pub line_hashes: Vec<String>,
    /// Entry lines whose `prev` is not the hash of the entry line before: a line was removed, inserted or
    /// edited before them.
    pub chain_breaks: Vec<BadLine>,
}

fn read_manifest(path: &Path) -> Result<Manifest, EvidenceError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut reader = std::io::BufReader::new(file);
    let mut m = Manifest::default();
    let mut buf = Vec::new();
    let mut lineno = 0;
    let mut chained = false;
    loop {
        buf.clear();
        // Bounded line read: a line longer than MAX_LINE is reported, not loaded whole.
        let n = read_line_bounded(&mut reader, &mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let complete = buf.last() == Some(&b'\n');
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if text.is_empty() {
            continue;
        }
        if n > MAX_LINE {
            m.bad_lines.push(BadLine {
                line: lineno,
                torn: false,
                reason: format!("line longer than {MAX_LINE} bytes"),
            });
            continue;
        }
        match serde_json::from_slice::<ManifestEntry>(text) {
            Ok(e) => {
                let prev = serde_json::from_slice::<ChainLink>(text)
                    .ok()
                    .and_then(|l| l.prev);
                let expected = m.line_hashes.last().map_or(GENESIS, String::as_str);
                match &prev {
                    Some(p) if p != expected => m.chain_breaks.push(BadLine {
                        line: lineno,
                        torn: false,
                        reason: format!(
                            "prev {p} is not the hash of the entry line before ({expected}): a line was \
                             removed, inserted or edited before this one"
                        ),
                    }),
                    None if chained => m.chain_breaks.push(BadLine {
                        line: lineno,
                        torn: false,
                        reason: "no prev link after chained lines: a line was inserted".into(),
                    }),
                    _ => {}
                }
                chained |= prev.is_some();
                m.line_hashes.push(sha256_hex(text));
                m.entries.push(e);
                m.lines.push(lineno);
            }
            Err(e) => m.bad_lines.push(BadLine {
                line: lineno,
                // Cut short: at the end of the file without its newline, or ended by the newline a writer
                // added when it reopened the store (then the JSON ends early: an EOF error).
                torn: !complete || e.is_eof(),
                reason: e.to_string(),
            }),
        }
    }
    Ok(m)
}

/// Reads one line into `buf`, keeping at most MAX_LINE + 1 bytes of it; returns the line's full length.
fn read_line_bounded(r: &mut impl std::io::BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        let take = chunk.len();
        if buf.len() <= MAX_LINE {
            let room = MAX_LINE + 1 - buf.len();
            buf.extend_from_slice(&chunk[..take.min(room)]);
        }
        total += take;
        r.consume(take);
        if done {
            return Ok(total);
        }
    }
}

/// A problem found by [`verify`] on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectProblem {
    /// The object's name.
    pub sha256: String,
    /// The first manifest line naming it (0 if none).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// The evidence folder checked.
    pub root: PathBuf,
    /// Manifest entries read.
    pub entries: usize,
    /// Distinct object names stored (loose files in `objects/` and pack frames).
    pub objects: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Entries whose object is missing (damage).
    pub missing: Vec<ObjectProblem>,
    /// Objects whose content does not hash to their name, or whose size differs from the manifest (damage).
    pub altered: Vec<ObjectProblem>,
    /// Manifest lines that are not entries and not torn (damage).
    pub bad_lines: Vec<BadLine>,
    /// Entry lines whose chain link does not match the line before (damage: a line removed, inserted or
    /// edited).
    pub chain_breaks: Vec<BadLine>,
    /// The SHA-256 of the last entry line ([`GENESIS`] when there is none): compare it with the head quoted
    /// in a report to detect an edited last line.
    pub head: String,
    /// Torn manifest lines: writes cut short by a crash, never acknowledged (not damage).
    pub torn_lines: Vec<BadLine>,
    /// Objects no manifest entry names: stored just before a crash, before their entry (not damage).
    pub unreferenced: Vec<String>,
    /// Files in `objects/` that are not named like objects (not damage, but not ours either).
    pub foreign: Vec<PathBuf>,
    /// Altered objects that a later `put` of the genuine bytes moved to `quarantine/` (damage: evidence was
    /// tampered with, even though the object is intact again).
    pub quarantined: Vec<PathBuf>,
    /// Pack files read.
    pub packs: usize,
    /// Pack frames that cannot be read, with more data after them (damage: the frames after them are
    /// lost too).
    pub corrupt_packs: Vec<PackProblem>,
    /// Packs ending in a frame cut short by a crash: a batch never acknowledged (not damage).
    pub torn_packs: Vec<PackProblem>,
}

/// A problem found by [`verify`] in the structure of a pack file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackProblem {
    /// The pack.
    pub pack: PathBuf,
    /// Where the frame starts.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

impl VerifyReport {
    /// True when something acknowledged was lost or changed.
    pub fn is_damaged(&self) -> bool {
        !(self.missing.is_empty()
            && self.altered.is_empty()
            && self.bad_lines.is_empty()
            && self.chain_breaks.is_empty()
            && self.quarantined.is_empty()
            && self.corrupt_packs.is_empty())
    }

    /// A human summary, one problem a line.
    pub fn render(&self) -> String {
        let mut s = format!(
            "evidence {}: {} manifest entries, {} objects, {} bytes hashed, head {}\n",
            self.root.display(),
            self.entries,
            self.objects,
            self.bytes,
            self.head
        );
        for p in &self.missing {
            s += &format!(
                "MISSING   {} (manifest line {}): {}\n",
                p.sha256, p.line, p.reason
            );
        }
        for p in &self.altered {
            s += &format!(
                "ALTERED   {} (manifest line {}): {}\n",
                p.sha256, p.line, p.reason
            );
        }
        for b in &self.bad_lines {
            s += &format!("BAD LINE  manifest line {}: {}\n", b.line, b.reason);
        }
        for b in &self.chain_breaks {
            s += &format!("CHAIN     manifest line {}: {}\n", b.line, b.reason);
        }
        for b in &self.torn_lines {
            s += &format!(
                "torn      manifest line {}: a write cut short by a crash, never acknowledged ({})\n",
                b.line, b.reason
            );
        }
        for u in &self.unreferenced {
            s += &format!("unreferenced {u}: stored but not recorded (a crash between the two)\n");
        }
        for f in &self.quarantined {
            s += &format!(
                "QUARANTINE {}: an altered copy found and replaced by the genuine bytes\n",
                f.display()
            );
        }
        for p in &self.corrupt_packs {
            s += &format!(
                "CORRUPT   {} at byte {}: {} (the frames after it are unreadable)\n",
                p.pack.display(),
                p.offset,
                p.reason
            );
        }
        for p in &self.torn_packs {
            s += &format!(
                "torn      {} at byte {}: {}; a batch cut short by a crash, never acknowledged\n",
                p.pack.display(),
                p.offset,
                p.reason
            );
        }
        for f in &self.foreign {
            s += &format!("foreign   {}: not an evidence object\n", f.display());
        }
        s += if self.is_damaged() {
            "DAMAGED: acknowledged evidence is missing or altered\n"
        } else {
            "ok: every recorded object is present and intact\n"
        };
        s
    }
}

/// Recomputes every hash, checks every manifest object exists; lists missing, altered, unreferenced objects
/// and torn/unparseable manifest lines. Read-only: it never repairs or creates anything. `state_dir` is the
/// folder holding `evidence/` (the folder `evidence/` itself is accepted too).
pub fn verify(state_dir: &Path) -> Result<VerifyReport, EvidenceError> {
    let root = if state_dir.join(EVIDENCE_DIR).is_dir() {
        state_dir.join(EVIDENCE_DIR)
    } else if state_dir.join(MANIFEST).is_file()
        || state_dir.join("objects").is_dir()
        || state_dir.join(PACK_DIR).is_dir()
    {
        state_dir.to_path_buf()
    } else {
        return Err(EvidenceError::Config {
            path: state_dir.to_path_buf(),
            reason:
                "no evidence store here (expected evidence/manifest.jsonl and evidence/objects/)"
                    .into(),
        });
    };
    let objects_dir = root.join("objects");
    let manifest = read_manifest(&root.join(MANIFEST))?;
    let mut report = VerifyReport {
        root: root.clone(),
        entries: manifest.entries.len(),
        chain_breaks: manifest.chain_breaks.clone(),
        head: manifest
            .line_hashes
            .last()
            .cloned()
            .unwrap_or_else(|| GENESIS.to_string()),
        ..VerifyReport::default()
    };
    for b in manifest.bad_lines {
        if b.torn {
            report.torn_lines.push(b);
        } else {
            report.bad_lines.push(b);
        }
    }

    // Every copy of every object on disk, hashed once: loose files, then pack frames.
    let mut on_disk: std::collections::BTreeMap<String, Vec<Copy>> = Default::default();
    if objects_dir.is_dir() {
        for entry in walkdir::WalkDir::new(&objects_dir)
            .min_depth(1)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| EvidenceError::Io {
                path: objects_dir.clone(),
                source: e.into(),
            })?;
            let path = entry.path();
            if entry.file_type().is_dir() {
                if entry.depth() == 1 && is_fanout(&entry.file_name().to_string_lossy()) {
                    continue;
                }
                report.foreign.push(path.to_path_buf());
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let parent_ok = entry.depth() == 2
                && path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|p| name.get(..2) == Some(&*p.to_string_lossy()));
            if check_name(&name).is_err() || !parent_ok {
                report.foreign.push(path.to_path_buf());
                continue;
            }
            let (size, actual) = hash_file(path)?;
            report.bytes += size;
            on_disk.entry(name).or_default().push(Copy {
                size,
                actual,
                place: None,
            });
        }
    }
    let pack_dir = root.join(PACK_DIR);
    if let Ok(rd) = std::fs::read_dir(&pack_dir) {
        let mut stray: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .filter(|e| pack::pack_seq(&e.file_name().to_string_lossy()).is_none())
            .map(|e| e.path())
            .collect();
        stray.sort();
        report.foreign.extend(stray);
    }
    for (seq, path) in pack::pack_files(&pack_dir)? {
        report.packs += 1;
        let end = pack::scan(&path, seq, true, |fr| {
            let bytes = fr.bytes.unwrap_or_default();
            report.bytes += bytes.len() as u64;
            on_disk.entry(fr.name.to_string()).or_default().push(Copy {
                size: fr.loc.size,
                actual: sha256_hex(bytes),
                place: Some(format!("{} at byte {}", path.display(), fr.loc.offset)),
            });
        })?;
        match end {
            pack::End::Clean => {}
            pack::End::Torn { offset, reason } => report.torn_packs.push(PackProblem {
                pack: path.clone(),
                offset,
                reason,
            }),
            pack::End::Corrupt { offset, reason } => report.corrupt_packs.push(PackProblem {
                pack: path.clone(),
                offset,
                reason,
            }),
        }
    }
    report.objects = on_disk.len();
    if let Ok(rd) = std::fs::read_dir(root.join(QUARANTINE)) {
        let mut q: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        q.sort();
        report.quarantined = q;
    }

    let mut referenced = std::collections::BTreeMap::new();
    let mut seen_problem = std::collections::BTreeSet::new();
    for (i, e) in manifest.entries.iter().enumerate() {
        let line = manifest.lines.get(i).copied().unwrap_or(0);
        referenced.entry(e.sha256.clone()).or_insert(line);
        if check_name(&e.sha256).is_err() {
            report.bad_lines.push(BadLine {
                line,
                torn: false,
                reason: format!("sha256 {:?} is not a SHA-256 hex name", e.sha256),
            });
            continue;
        }
        let copies = on_disk.get(&e.sha256).map_or(&[][..], Vec::as_slice);
        let intact = copies.iter().find(|c| c.actual == e.sha256);
        let reason = match (copies.first(), intact) {
            (None, _) => {
                if seen_problem.insert(e.sha256.clone()) {
                    report.missing.push(ObjectProblem {
                        sha256: e.sha256.clone(),
                        line,
                        reason: format!(
                            "{} {} of exchange {} at {}",
                            e.endpoint,
                            match e.direction {
                                Direction::Request => "request",
                                Direction::Response => "response",
                                Direction::Document => "document",
                            },
                            e.exchange,
                            e.at
                        ),
                    });
                }
                continue;
            }
            (Some(c), None) => Some(c.describe()),
            (_, Some(c)) if c.size != e.size => {
                Some(format!("{} bytes, the manifest says {}", c.size, e.size))
            }
            _ => None,
        };
        if let Some(reason) = reason {
            if seen_problem.insert(e.sha256.clone()) {
                report.altered.push(ObjectProblem {
                    sha256: e.sha256.clone(),
                    line,
                    reason,
                });
            }
        }
    }
    for (name, copies) in &on_disk {
        let line = referenced.get(name).copied();
        let intact = copies.iter().any(|c| &c.actual == name);
        for c in copies.iter().filter(|c| &c.actual != name) {
            // Altered copies not reported above: an object not in the manifest, or an altered pack
            // frame beside an intact copy (stored again after the tampering was found: still damage, as
            // a quarantined loose copy is).
            if line.is_some() && !intact && copies.first().is_some_and(|f| std::ptr::eq(f, c)) {
                continue;
            }
            report.altered.push(ObjectProblem {
                sha256: name.clone(),
                line: line.unwrap_or(0),
                reason: match line {
                    Some(_) => c.describe(),
                    None => format!("{} (object not in the manifest)", c.describe()),
                },
            });
        }
        if line.is_none() && intact {
            report.unreferenced.push(name.clone());
        }
    }
    Ok(report)
}

/// One stored copy of an object, as `verify` found it.
struct Copy {
    size: u64,
    /// What its bytes hash to.
    actual: String,
    /// Where, for a pack frame (None: the loose file `objects/<aa>/<name>`).
    place: Option<String>,
}

impl Copy {
    fn describe(&self) -> String {
        match &self.place {
            None => format!("content hashes to {}", self.actual),
            Some(p) => format!("{p}: content hashes to {}", self.actual),
        }
    }
}

fn is_fanout(s: &str) -> bool {
    s.len() == 2
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hash_file(path: &Path) -> Result<(u64, String), EvidenceError> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, hex::encode(h.finalize())))
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_name(s: &str) -> Result<(), EvidenceError> {
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(EvidenceError::BadName(s.chars().take(80).collect()))
    }
}

/// fsync a directory, so a file created or renamed in it survives a crash (POSIX: the entry lives in the
/// directory). A no-op where directories cannot be opened (Windows).
fn sync_dir(dir: &Path) -> Result<(), EvidenceError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `now` as RFC 3339 UTC with milliseconds (`2026-11-22T11:04:24.123Z`).
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with milliseconds; times before 1970 are clamped to the epoch.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let date = crate::pki::time_ymd::from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.y,
        date.m,
        date.d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// A new exchange id, unique within the process and ordered by time: `<UTC time>-<pid>-<counter>`
/// (`20261122T110424.123Z-4242-17`).
pub fn new_exchange_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = now_rfc3339().replace([':', '-'], "");
    format!(
        "{t}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_709_210_096_007);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.007Z");
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn the_store_is_shared_between_tasks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<EvidenceStore>();
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name(&"a".repeat(64)).is_ok());
        assert!(check_name(&"A".repeat(64)).is_err());
        assert!(check_name("../../etc/passwd").is_err());
    }
}
