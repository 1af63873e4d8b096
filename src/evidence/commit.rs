//! Group commit: many concurrent requests stored and recorded with one disk flush per batch, each caller
//! still returning only once ITS objects and manifest lines are durable.
//!
//! # Why a write-ahead log
//! Flushing a newly created file costs a journal commit and a disk cache flush each (about 2–4 ms on the
//! reference machine, even when many files are flushed one after the other), so one `fsync` per object
//! caps a simulator at a few hundred objects a second. [`EvidenceStore::commit`] therefore appends the
//! objects of a whole batch to one write-ahead log segment (`evidence/wal/<seq>.wal`) and flushes that
//! single file, then writes the `objects/<aa>/<sha256>` files without flushing them, then appends the
//! manifest lines and flushes the manifest. The order keeps the store's promise: an object is durable
//! (in the log) before any manifest line names it, and a line is durable before the caller answers.
//!
//! # Checkpoints and recovery
//! When a segment exceeds [`SEGMENT_BYTES`] a new one is started and the old one is checkpointed in the
//! background: the object files it covers are made durable (`syncfs` on Linux: one flush for all of them;
//! elsewhere, or for a segment of a few objects, one `fsync` each), then the segment is deleted. The active segment is checkpointed when the
//! last store of the folder is dropped (clean shutdown). After a crash, [`EvidenceStore::open`] replays
//! every segment left: a frame whose object file is missing, short or altered is stored again (durably),
//! a torn last frame (a batch cut short, never acknowledged) is ignored, then the segment is deleted.
//!
//! # Segment format
//! Frames, each `DUIWAL1 <sha256 hex> <size>\n<bytes>\n`; a frame is valid when its bytes hash to its name.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use bytes::Bytes;

use super::{
    io_err, sha256_hex, sync_dir, ChainedEntry, EvidenceError, EvidenceStore, ManifestEntry,
};

/// The write-ahead log folder under `evidence/`.
pub const WAL_DIR: &str = "wal";
/// Size beyond which a segment is closed and checkpointed.
pub const SEGMENT_BYTES: u64 = 256 << 20;
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

/// The active segment.
pub(super) struct Wal {
    file: File,
    dir: PathBuf,
    objects: PathBuf,
    seq: u64,
    size: u64,
    frames: u64,
}

/// Group-commit state shared by the stores of one folder.
#[derive(Default)]
pub(super) struct GroupCommit {
    pub(super) queue: Mutex<Queue>,
    pub(super) cv: Condvar,
    pub(super) wal: Mutex<Option<Wal>>,
}

impl Drop for GroupCommit {
    /// Clean shutdown: the active segment's objects are made durable and the segment deleted.
    fn drop(&mut self) {
        let wal = self.wal.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = wal {
            let path = segment_path(&w.dir, w.seq);
            drop(w.file);
            let _ = checkpoint(&w.objects, &w.dir, &path, w.frames);
        }
    }
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:08}.wal"))
}

impl Wal {
    fn open(root: &Path, objects: &Path) -> Result<Wal, EvidenceError> {
        let dir = root.join(WAL_DIR);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let seq = segments(&dir)?.last().map_or(1, |(s, _)| s + 1);
        Wal::create(dir, objects.to_path_buf(), seq)
    }

    fn create(dir: PathBuf, objects: PathBuf, seq: u64) -> Result<Wal, EvidenceError> {
        let path = segment_path(&dir, seq);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        // The segment's name must survive a crash too.
        sync_dir(&dir)?;
        Ok(Wal {
            file,
            dir,
            objects,
            seq,
            size: 0,
            frames: 0,
        })
    }
}

/// The segments of a folder, by sequence number.
fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, EvidenceError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(seq) = name
            .strip_suffix(".wal")
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.push((seq, e.path()));
        }
    }
    out.sort();
    Ok(out)
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

    /// One batch: log frames + flush, object files, manifest lines + flush.
    fn write_batch(&self, jobs: &[Job]) -> Result<(), EvidenceError> {
        let mut wal = self
            .shared
            .group
            .wal
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if wal.is_none() {
            *wal = Some(Wal::open(&self.root, &self.objects)?);
        }
        let Some(w) = wal.as_mut() else {
            return Ok(());
        };
        let seg = segment_path(&w.dir, w.seq);
        // 1. New objects to the log, flushed once.
        let mut seen = HashSet::new();
        let mut fresh: Vec<&Staged> = Vec::new();
        for item in jobs.iter().flat_map(|j| &j.items) {
            if !seen.insert(item.sha256.as_str()) {
                continue;
            }
            let path = self.object_path(&item.sha256)?;
            if let Ok(m) = std::fs::metadata(&path) {
                // Already stored (durable through an earlier batch or put): free once checked.
                if m.len() == item.bytes.len() as u64
                    && std::fs::read(&path).is_ok_and(|b| b == item.bytes)
                {
                    continue;
                }
                self.quarantine(&path, &item.sha256)?;
            }
            fresh.push(item);
        }
        if !fresh.is_empty() {
            for item in &fresh {
                let head = format!("{MAGIC}{} {}\n", item.sha256, item.bytes.len());
                w.file
                    .write_all(head.as_bytes())
                    .and_then(|()| w.file.write_all(&item.bytes))
                    .and_then(|()| w.file.write_all(b"\n"))
                    .map_err(io_err(&seg))?;
                w.size += (head.len() + item.bytes.len() + 1) as u64;
                w.frames += 1;
            }
            w.file.sync_data().map_err(io_err(&seg))?;
        }
        // 2. The object files, not flushed (the log holds them until the checkpoint).
        for item in &fresh {
            self.write_object_unsynced(&item.sha256, &item.bytes)?;
        }
        // 3. A full segment is checkpointed in the background.
        if w.size >= SEGMENT_BYTES {
            let next = Wal::create(w.dir.clone(), w.objects.clone(), w.seq + 1)?;
            let old = std::mem::replace(w, next);
            let path = segment_path(&old.dir, old.seq);
            drop(old.file);
            let (objects, dir, frames) = (old.objects, old.dir, old.frames);
            std::thread::spawn(move || {
                // A failure leaves the segment for the next open to replay.
                let _ = checkpoint(&objects, &dir, &path, frames);
            });
        }
        drop(wal);
        // 4. The manifest lines, in ticket order, then one flush.
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

    /// Writes an object file (temp file, rename) without flushing it.
    fn write_object_unsynced(&self, name: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        let dir = self.objects.join(&name[..2]);
        if !dir.is_dir() {
            match std::fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        let tmp = self.tmp_path(name);
        let path = dir.join(name);
        let res = std::fs::write(&tmp, bytes)
            .map_err(io_err(&tmp))
            .and_then(|()| std::fs::rename(&tmp, &path).map_err(io_err(&path)));
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
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
