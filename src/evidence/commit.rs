//! Group commit: many concurrent requests stored and recorded with one disk flush per batch, each caller
//! still returning only once ITS objects and manifest lines are durable.
//!
//! # A batch
//! [`EvidenceStore::commit`] appends the new objects of a whole batch to the active pack (see
//! [`super::pack`]) in one write and flushes that single file, then appends the manifest lines and
//! flushes the manifest. The order keeps the store's promise: an object is durable before any manifest
//! line names it, and a line is durable before the caller answers. Nothing else is written: no file is
//! created per object (creating and flushing a file costs a journal commit each, which capped the
//! simulator at a few hundred deposits a second).
//!
//! # Legacy write-ahead log
//! Earlier versions appended a batch to `evidence/wal/<seq>.wal` and then wrote one `objects/` file per
//! object, deleting the segment once those files were durable. A segment left by a crash of such a
//! version is replayed by [`EvidenceStore::open`]: a frame whose object file is missing, short or altered
//! is stored again (durably), a torn last frame (a batch cut short, never acknowledged) is ignored, then
//! the segment is deleted. Segment frames are `DUIWAL1 <sha256 hex> <size>\n<bytes>\n`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use bytes::Bytes;

use super::{
    io_err, sha256_hex, sync_dir, ChainedEntry, EvidenceError, EvidenceStore, ManifestEntry,
};

/// The legacy write-ahead log folder under `evidence/` (replayed at open, no longer written).
pub const WAL_DIR: &str = "wal";
const MAGIC: &str = "DUIWAL1 ";

/// One object to store and, usually, the manifest entry that names it (its `sha256` and `size` are filled
/// in by [`Staged::new`]).
#[derive(Debug, Clone)]
pub struct Staged {
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The bytes (shared, not copied).
    pub bytes: Bytes,
    /// The manifest entry to append once the object is durable.
    pub entry: Option<ManifestEntry>,
}

impl Staged {
    /// Hashes the bytes (on the caller's thread, so that hashing runs in parallel) and fills the entry's
    /// `sha256` and `size`.
    pub fn new(bytes: impl Into<Bytes>, entry: Option<ManifestEntry>) -> Staged {
        let bytes = bytes.into();
        Staged::with_sha(sha256_hex(&bytes), bytes, entry)
    }

    /// Same, with the SHA-256 already computed by the caller (it must be the hash of `bytes`).
    pub fn with_sha(sha256: String, bytes: Bytes, entry: Option<ManifestEntry>) -> Staged {
        let entry = entry.map(|mut e| {
            e.sha256 = sha256.clone();
            e.size = bytes.len() as u64;
            e
        });
        Staged {
            sha256,
            bytes,
            entry,
        }
    }
}

struct Job {
    ticket: u64,
    items: Vec<Staged>,
}

/// The batch queue: tickets in arrival order; `done` = every ticket up to it is processed.
#[derive(Default)]
pub(super) struct Queue {
    jobs: Vec<Job>,
    next: u64,
    done: u64,
    leading: bool,
    errors: HashMap<u64, String>,
}

/// Group-commit state shared by the stores of one folder.
#[derive(Default)]
pub(super) struct GroupCommit {
    pub(super) queue: Mutex<Queue>,
    pub(super) cv: Condvar,
}

/// The segments of a folder, by sequence number.
fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, EvidenceError> {
    super::pack::numbered_files(dir, |name| {
        name.strip_suffix(".wal")
            .and_then(|s| s.parse::<u64>().ok())
    })
}

/// Up to this many objects a checkpoint flushes them one by one; beyond, one `syncfs` (Linux) is cheaper.
const FLUSH_EACH_MAX: u64 = 64;

/// Makes the object files a segment covers durable, then deletes the segment.
fn checkpoint(
    objects: &Path,
    dir: &Path,
    segment: &Path,
    frames: u64,
) -> Result<(), EvidenceError> {
    if frames <= FLUSH_EACH_MAX {
        flush_each(objects, segment)?;
    } else {
        flush_all(objects, segment)?;
    }
    std::fs::remove_file(segment).map_err(io_err(segment))?;
    sync_dir(dir)
}

/// Linux: one `syncfs` flushes every file and folder of the file system holding `objects/`.
#[cfg(target_os = "linux")]
fn flush_all(objects: &Path, _segment: &Path) -> Result<(), EvidenceError> {
    let d = File::open(objects).map_err(io_err(objects))?;
    rustix::fs::syncfs(&d).map_err(|e| io_err(objects)(e.into()))
}

/// Elsewhere: one `fsync` per object.
#[cfg(not(target_os = "linux"))]
fn flush_all(objects: &Path, segment: &Path) -> Result<(), EvidenceError> {
    flush_each(objects, segment)
}

/// One `fsync` per object the segment names, and its folder.
fn flush_each(objects: &Path, segment: &Path) -> Result<(), EvidenceError> {
    for_each_frame(segment, |name, _| {
        let dir = objects.join(&name[..2]);
        let path = dir.join(name);
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(io_err(&path))?;
        sync_dir(&dir)
    })
}

/// Calls `f(name, bytes)` for every valid frame of a segment, stopping at the first torn or altered one
/// (the end of what was flushed before a crash).
fn for_each_frame(
    segment: &Path,
    mut f: impl FnMut(&str, &[u8]) -> Result<(), EvidenceError>,
) -> Result<(), EvidenceError> {
    let file = File::open(segment).map_err(io_err(segment))?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut head = Vec::new();
    loop {
        head.clear();
        let n = r
            .by_ref()
            .take(128)
            .read_until(b'\n', &mut head)
            .map_err(io_err(segment))?;
        if n == 0 {
            return Ok(());
        }
        let Some((name, size)) = std::str::from_utf8(&head)
            .ok()
            .and_then(|h| h.strip_prefix(MAGIC))
            .and_then(|h| h.strip_suffix('\n'))
            .and_then(|h| h.split_once(' '))
            .and_then(|(n, s)| Some((n.to_string(), s.parse::<usize>().ok()?)))
        else {
            return Ok(());
        };
        if super::check_name(&name).is_err() || size > (1 << 34) {
            return Ok(());
        }
        let mut bytes = Vec::new();
        let got = r
            .by_ref()
            .take(size as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err(segment))?;
        if got != size + 1 || bytes.pop() != Some(b'\n') || sha256_hex(&bytes) != name {
            return Ok(());
        }
        f(&name, &bytes)?;
    }
}

impl EvidenceStore {
    /// Stores objects and appends their manifest entries durably, in order, batched with the commits of
    /// other threads (one log flush and one manifest flush per batch). Returns once this call's objects
    /// and lines are durable: a simulator answers only then.
    pub fn commit(&self, items: Vec<Staged>) -> Result<(), EvidenceError> {
        if items.is_empty() {
            return Ok(());
        }
        let gc = &self.shared.group;
        let mut q = gc.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.next += 1;
        let ticket = q.next;
        q.jobs.push(Job { ticket, items });
        loop {
            if q.done >= ticket {
                return match q.errors.remove(&ticket) {
                    None => Ok(()),
                    Some(m) => Err(EvidenceError::Io {
                        path: self.root.clone(),
                        source: std::io::Error::other(m),
                    }),
                };
            }
            if q.leading {
                q = gc.cv.wait(q).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Lead: write batches until this caller's ticket is done, then hand over.
            q.leading = true;
            while q.done < ticket {
                let jobs = std::mem::take(&mut q.jobs);
                let Some(last) = jobs.last().map(|j| j.ticket) else {
                    break;
                };
                drop(q);
                let res = self.write_batch(&jobs);
                q = gc.queue.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(e) = res {
                    for j in &jobs {
                        q.errors.insert(j.ticket, e.to_string());
                    }
                }
                q.done = q.done.max(last);
                gc.cv.notify_all();
            }
            q.leading = false;
            gc.cv.notify_all();
        }
    }

    /// One batch: new objects to the active pack + one flush, then manifest lines + one flush.
    fn write_batch(&self, jobs: &[Job]) -> Result<(), EvidenceError> {
        {
            let mut packs = self.shared.packs.lock().unwrap_or_else(|p| p.into_inner());
            // 1. The objects not stored yet, once each (an intact copy in a pack or a loose file is
            // reused; an altered one is left where it is, reported by verify, and the bytes stored again).
            let mut seen = HashSet::new();
            let mut fresh: Vec<(&str, &[u8])> = Vec::new();
            for item in jobs.iter().flat_map(|j| &j.items) {
                if !seen.insert(item.sha256.as_str()) {
                    continue;
                }
                if self.stored_intact(&packs, &item.sha256, &item.bytes)? {
                    continue;
                }
                fresh.push((&item.sha256, &item.bytes));
            }
            // 2. One append, one flush.
            packs.append(&fresh)?;
        }
        // 3. The manifest lines, in ticket order, then one flush.
        let seq = {
            let mut a = self
                .shared
                .appender
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let mut buf = Vec::new();
            let mut n = 0;
            for entry in jobs
                .iter()
                .flat_map(|j| &j.items)
                .filter_map(|i| i.entry.as_ref())
            {
                let line = serde_json::to_vec(&ChainedEntry {
                    entry,
                    prev: &a.last_hash,
                })
                .map_err(|e| EvidenceError::Serialize(e.to_string()))?;
                a.last_hash = sha256_hex(&line);
                buf.extend_from_slice(&line);
                buf.push(b'\n');
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            a.file
                .write_all(&buf)
                .map_err(io_err(&self.manifest_path))?;
            a.written += n;
            a.written
        };
        self.sync_upto(seq)
    }

    /// True when an intact copy of `bytes` (named `name`) is already durable: in a pack (read back and
    /// compared) or as a loose file. An altered loose copy is moved to `quarantine/`.
    pub(super) fn stored_intact(
        &self,
        packs: &super::pack::Packs,
        name: &str,
        bytes: &[u8],
    ) -> Result<bool, EvidenceError> {
        if let Some(loc) = packs.locate(name) {
            if loc.size == bytes.len() as u64
                && super::pack::read(packs.dir(), loc).is_ok_and(|b| b == bytes)
            {
                return Ok(true);
            }
        }
        let path = self.object_path(name)?;
        if let Ok(m) = std::fs::metadata(&path) {
            if m.len() == bytes.len() as u64 && std::fs::read(&path).is_ok_and(|b| b == bytes) {
                return Ok(true);
            }
            self.quarantine(&path, name)?;
        }
        Ok(false)
    }

    /// Replays the segments a crash left: every logged object is stored again if its file is missing or
    /// altered, then the segment is checkpointed and deleted. Called once per folder by `open`.
    pub(super) fn recover_wal(&self) -> Result<(), EvidenceError> {
        let dir = self.root.join(WAL_DIR);
        for (_, seg) in segments(&dir)? {
            let mut frames = 0;
            for_each_frame(&seg, |name, bytes| {
                frames += 1;
                let path = self.object_path(name)?;
                let intact = std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64)
                    && std::fs::read(&path).is_ok_and(|b| b == bytes);
                if !intact {
                    // Cut short by the crash (written, not yet flushed): not tampering, so replaced
                    // rather than quarantined.
                    let _ = std::fs::remove_file(&path);
                    self.put(bytes)?;
                }
                Ok(())
            })?;
            checkpoint(&self.objects, &dir, &seg, frames)?;
        }
        Ok(())
    }
}
