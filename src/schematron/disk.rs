//! The kit's cross-process cache: what [`super::Kit::load`] computes from a kit folder that is plain
//! data (the parsed and expanded schematrons, the volet table, the kit defects, the value-set texts), kept
//! in one file per kit content hash and folder, so that a second process skips reading and parsing the
//! 62 schematrons (docs/kit-speed.md has the measurements). xee's compiled programs are `Rc`-based and
//! cannot be serialised: compilation stays lazy, per thread ([`super::cache`]).
//!
//! # Where
//! `$DUI_CONFORM_CACHE` if set, else `$XDG_CACHE_HOME/dui-conform`, else `$HOME/.cache/dui-conform`;
//! `DUI_CONFORM_NO_CACHE=1` (or `validate --no-kit-cache`) turns it off; `kit clear-cache` empties it;
//! the 8 newest entries are kept. File `kit-<key>.bin`, the key being a SHA-256 of the format version,
//! the [`BUILD`] (crate version and the identity of the engine's sources and locked dependencies), the
//! kit's content hash and the folder as given: the schemas hold the folder's paths (the static base URIs of their expressions, the value sets'
//! `file:` URIs), so the same kit in another folder has its own entry.
//!
//! # Not rehashing the kit
//! Reading and hashing the kit's 2,149 files is about 20 ms of a run (docs/kit-speed.md); with the
//! cache on, `fp-<key>.bin` records, per kit folder, the stat fingerprint of those files (path, size,
//! modification and change times in ns, inode, device: as git's index) and the content hash it stood
//! for. When the fingerprint is unchanged and every file's times are older than the recorded hashing by
//! [`RACY_MARGIN_NS`], the hash is taken from there. The trade-off: an edit that keeps a file's size,
//! modification *and change* time and inode is not seen. The change time cannot be set by a program
//! (only by changing the system clock), so that takes a deliberate act; `--no-kit-cache` or
//! `DUI_CONFORM_NO_CACHE=1` always hashes.
//!
//! # Format
//! `MAGIC`, format version (u32 LE), [`BUILD`] (u8 length + UTF-8), payload length (u64 LE),
//! CRC-32 of the payload (u32 LE), then the payload: postcard of [`PayloadRef`]/[`Payload`].
//!
//! # Trust
//! The file is ours but lives on a disk anyone with the user's rights can write: it is read with a size
//! limit, its header, length and CRC are checked before decoding, postcard never pre-allocates from a
//! length it reads, and the decoded data must name the expected content hash and folder and be
//! consistent (volet indexes in range, Structuration minimale first). Anything else is a [`CacheError`]:
//! the caller ignores the file, says so once, and rebuilds from the kit folder. Writing is atomic (a
//! temporary file in the same folder, then a rename), so a reader never sees half a file from a writer;
//! it is not fsynced: a file damaged by a crash is refused like any other.
//! A CRC is no defence against a deliberate forgery; someone who can write the user's cache can also
//! replace the binary, so that is not this module's threat.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::kit::VoletEntry;
use super::model::Schema;

/// First bytes of every cache file.
const MAGIC: &[u8; 20] = b"DUICONFORM-KITCACHE\0";
/// Bumped whenever the payload's layout or meaning changes (older files are then ignored).
pub const FORMAT_VERSION: u32 = 1;
/// The code that wrote a cache file: crate version and the identity of the schematron engine's sources
/// and dependency versions (build.rs), so that a kit parsed by other code is never read back.
pub const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("DUI_CONFORM_KIT_CODE"));
/// Cache files kept: past this, the oldest `kit-*.bin` are removed when one is written (each is about
/// 8 MB; an entry per kit content, folder and build).
const MAX_ENTRIES: usize = 8;
/// Numbers the temporary files of this process (threads may write the same entry at once).
static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Largest cache file read (the ANS kit's is about 12 MB).
pub const MAX_CACHE_BYTES: u64 = 256 << 20;

/// Where the cache lives, or that there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KitCache {
    /// No disk cache: every load reads and parses the kit folder.
    Off,
    /// The cache folder.
    At(PathBuf),
}

impl KitCache {
    /// The cache the environment asks for: off with `DUI_CONFORM_NO_CACHE` set (non-empty, not `0`),
    /// else `$DUI_CONFORM_CACHE`, `$XDG_CACHE_HOME/dui-conform`, `$HOME/.cache/dui-conform`; off when
    /// none of them is set.
    pub fn from_env() -> KitCache {
        let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty());
        if var("DUI_CONFORM_NO_CACHE").is_some_and(|v| v != "0") {
            return KitCache::Off;
        }
        if let Some(d) = var("DUI_CONFORM_CACHE") {
            return KitCache::At(PathBuf::from(d));
        }
        if let Some(d) = var("XDG_CACHE_HOME") {
            return KitCache::At(PathBuf::from(d).join("dui-conform"));
        }
        match var("HOME") {
            Some(h) => KitCache::At(PathBuf::from(h).join(".cache").join("dui-conform")),
            None => KitCache::Off,
        }
    }
}

/// What the cache did for one load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheState {
    /// No disk cache.
    Off,
    /// The kit was read from the cache file.
    Hit,
    /// No usable file: the kit was read from its folder and the cache file written.
    Written,
    /// A cache file was there but ignored (why), the kit was read from its folder and the file rewritten.
    Replaced(String),
    /// The kit was read from its folder; writing the cache file failed (why: the cache folder's fault).
    NotWritten(String),
}

/// The cache's part in one kit load: the file and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    /// The cache file for this kit (none when the cache is off).
    pub path: Option<PathBuf>,
    /// What happened.
    pub state: CacheState,
    /// Whether the kit's content hash was taken from the recorded stat fingerprint of its files
    /// ([`fingerprint`]) instead of reading and hashing them.
    pub hash_from_fingerprint: bool,
}

/// Why a cache file was not used: the cache file's fault (damaged, truncated, foreign, stale), or the
/// cache folder's (unreadable). Never the kit's nor a document's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The file cannot be read.
    #[error("cannot read the cache file: {0}")]
    Io(#[from] std::io::Error),
    /// Larger than [`MAX_CACHE_BYTES`].
    #[error("cache file larger than {MAX_CACHE_BYTES} bytes")]
    TooLarge,
    /// Not a dui-conform kit cache file.
    #[error("not a dui-conform kit cache file (bad magic)")]
    NotACacheFile,
    /// Written by another format or crate version.
    #[error("written by another version (format {format}, dui-conform {crate_version})")]
    OtherVersion {
        /// The file's format version.
        format: u32,
        /// The file's crate version.
        crate_version: String,
    },
    /// Truncated or longer than its header says.
    #[error("truncated or damaged: header says {expected} payload bytes, file has {actual}")]
    Length {
        /// Payload bytes the header announces.
        expected: u64,
        /// Payload bytes present.
        actual: u64,
    },
    /// The payload's CRC does not match.
    #[error("damaged: payload CRC-32 {actual:08x}, header says {expected:08x}")]
    Checksum {
        /// CRC in the header.
        expected: u32,
        /// CRC of the payload read.
        actual: u32,
    },
    /// The payload does not decode.
    #[error("payload does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// The payload is for another kit content or folder, or is inconsistent.
    #[error("stale or inconsistent: {0}")]
    Stale(String),
}

/// What is written: the loaded kit's plain data, borrowed.
#[derive(serde::Serialize)]
pub struct PayloadRef<'a> {
    /// The kit folder as given.
    pub dir: &'a str,
    /// The kit's content hash.
    pub hash: &'a str,
    /// The volet table.
    pub volets: &'a [VoletEntry],
    /// Kit defects found at load time.
    pub defects: &'a [String],
    /// The expanded schemas (Structuration minimale, the profiles, the volets).
    pub schemas: &'a [Schema],
    /// Value sets: `file:` URI, XML text.
    pub preload: &'a [(String, String)],
    /// Per schema, the value sets (indexes into `preload`) it reads.
    pub value_sets: &'a [Vec<usize>],
}

/// What is read back: the same fields, owned.
#[derive(serde::Deserialize)]
pub struct Payload {
    /// The kit folder as given.
    pub dir: String,
    /// The kit's content hash.
    pub hash: String,
    /// The volet table.
    pub volets: Vec<VoletEntry>,
    /// Kit defects found at load time.
    pub defects: Vec<String>,
    /// The expanded schemas.
    pub schemas: Vec<Schema>,
    /// Value sets: `file:` URI, XML text.
    pub preload: Vec<(String, String)>,
    /// Per schema, the value sets (indexes into `preload`) it reads.
    pub value_sets: Vec<Vec<usize>>,
}

/// The folder as the cache names it (lossy for a non-UTF-8 path: such a folder only gets its own key).
pub fn dir_key(dir: &Path) -> String {
    dir.to_string_lossy().into_owned()
}

/// The cache file of the kit with content hash `hash` in folder `dir`.
pub fn entry_path(cache_dir: &Path, hash: &str, dir: &Path) -> PathBuf {
    let mut h = Sha256::new();
    h.update(b"dui-conform kit cache\0");
    h.update(FORMAT_VERSION.to_le_bytes());
    h.update(BUILD.as_bytes());
    h.update(b"\0");
    h.update(hash.as_bytes());
    h.update(b"\0");
    h.update(dir_key(dir).as_bytes());
    let key = hex::encode(h.finalize());
    cache_dir.join(format!("kit-{}.bin", &key[..32]))
}

/// Encodes a payload with its header.
pub fn encode(p: &PayloadRef<'_>) -> Result<Vec<u8>, postcard::Error> {
    let payload = postcard::to_stdvec(p)?;
    let v = BUILD.as_bytes();
    let mut out = Vec::with_capacity(payload.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    // A crate version is a few bytes; longer would not be ours.
    out.push(u8::try_from(v.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(&v[..v.len().min(255)]);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Takes `n` bytes off the front of `b`, or says the file is truncated.
fn take<'b>(b: &mut &'b [u8], n: usize) -> Result<&'b [u8], CacheError> {
    if b.len() < n {
        return Err(CacheError::NotACacheFile);
    }
    let (head, rest) = b.split_at(n);
    *b = rest;
    Ok(head)
}

fn array<const N: usize>(b: &mut &[u8]) -> Result<[u8; N], CacheError> {
    let mut a = [0u8; N];
    a.copy_from_slice(take(b, N)?);
    Ok(a)
}

/// Decodes a cache file's bytes (header checked, then CRC, then postcard).
pub fn decode(bytes: &[u8]) -> Result<Payload, CacheError> {
    use super::timing::{self, Phase};
    let mut b = bytes;
    if take(&mut b, MAGIC.len())? != MAGIC {
        return Err(CacheError::NotACacheFile);
    }
    let format = u32::from_le_bytes(array(&mut b)?);
    let vlen = usize::from(array::<1>(&mut b)?[0]);
    let crate_version = String::from_utf8_lossy(take(&mut b, vlen)?).into_owned();
    if format != FORMAT_VERSION || crate_version != BUILD {
        return Err(CacheError::OtherVersion {
            format,
            crate_version,
        });
    }
    let expected = u64::from_le_bytes(array(&mut b)?);
    let crc = u32::from_le_bytes(array(&mut b)?);
    if b.len() as u64 != expected {
        return Err(CacheError::Length {
            expected,
            actual: b.len() as u64,
        });
    }
    let actual = crc32fast::hash(b);
    if actual != crc {
        return Err(CacheError::Checksum {
            expected: crc,
            actual,
        });
    }
    let t = timing::start();
    let p: Payload = postcard::from_bytes(b)?;
    timing::end(Phase::CacheDecode, t, b.len() as u64);
    Ok(p)
}

/// Reads the cache file at `path` for the kit with content hash `hash` in folder `dir`: `Ok(None)` when
/// there is no file, an error when there is one that cannot be used.
pub fn read(path: &Path, hash: &str, dir: &Path) -> Result<Option<Payload>, CacheError> {
    use super::timing::{self, Phase};
    let t = timing::start();
    match std::fs::metadata(path) {
        // Not a regular file (a FIFO would block the open): not ours.
        Ok(m) if !m.is_file() => return Err(CacheError::NotACacheFile),
        Ok(m) if m.len() > MAX_CACHE_BYTES => return Err(CacheError::TooLarge),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_CACHE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CACHE_BYTES {
        return Err(CacheError::TooLarge);
    }
    timing::end(Phase::CacheRead, t, bytes.len() as u64);
    let p = decode(&bytes)?;
    check(&p, hash, dir)?;
    Ok(Some(p))
}

/// A decoded payload is for this kit and folder, and consistent enough that using it cannot panic.
fn check(p: &Payload, hash: &str, dir: &Path) -> Result<(), CacheError> {
    if p.hash != hash {
        return Err(CacheError::Stale(format!(
            "written for kit content {}, the folder's is {hash}",
            p.hash
        )));
    }
    if p.dir != dir_key(dir) {
        return Err(CacheError::Stale(format!(
            "written for folder {}, not {}",
            p.dir,
            dir.display()
        )));
    }
    match p.schemas.first() {
        Some(s) if s.file == super::kit::STRUCT_MIN => {}
        _ => {
            return Err(CacheError::Stale(
                "Structuration minimale is not the first schema".into(),
            ))
        }
    }
    if p.value_sets.len() != p.schemas.len()
        || p.value_sets.iter().flatten().any(|&i| i >= p.preload.len())
    {
        return Err(CacheError::Stale(
            "value-set indexes do not match the schemas".into(),
        ));
    }
    if p.volets.iter().any(|v| v.schema_index() >= p.schemas.len()) {
        return Err(CacheError::Stale("a volet names no schema".into()));
    }
    Ok(())
}

/// Writes the cache file atomically: a temporary file in the same folder (so the rename does not cross
/// file systems), then renamed over `path`. Concurrent writers each write their own temporary
/// file; the last rename wins, and both wrote the same content.
pub fn write(path: &Path, p: &PayloadRef<'_>) -> Result<(), String> {
    use super::timing::{self, Phase};
    let t = timing::start();
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let bytes = encode(p).map_err(|e| format!("encoding: {e}"))?;
    if bytes.len() as u64 > MAX_CACHE_BYTES {
        return Err(format!("{} bytes, over the limit", bytes.len()));
    }
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        // No fsync (it cost a third of the write): after a crash the file may be empty or partial,
        // which the length and CRC checks refuse, and the next load rebuilds it.
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    prune(dir);
    timing::end(Phase::CacheWrite, t, bytes.len() as u64);
    Ok(())
}

/// Keeps the [`MAX_ENTRIES`] newest `kit-*.bin` of the cache folder (best effort).
fn prune(cache_dir: &Path) {
    let Ok(rd) = std::fs::read_dir(cache_dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("kit-") && n.ends_with(".bin")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if entries.len() <= MAX_ENTRIES {
        return;
    }
    entries.sort();
    for (_, p) in &entries[..entries.len() - MAX_ENTRIES] {
        let _ = std::fs::remove_file(p);
    }
}

/// First bytes of a stat-fingerprint file.
const FP_MAGIC: &[u8; 20] = b"DUICONFORM-KITFP\0v1\0";
/// Length of a stat-fingerprint file: magic, fingerprint, time the hashing started, content hash, CRC.
const FP_LEN: usize = 20 + 32 + 16 + 64 + 4;
/// A file changed less than this before the content hash was computed may have changed again within
/// the same timestamp tick (coarse kernel clocks, file systems with 1–2 s times): its stat cannot vouch
/// for its content (git's "racily clean" entries).
pub const RACY_MARGIN_NS: i128 = 2_000_000_000;

/// The stat fingerprint of a kit's files: a SHA-256 of each file's path (relative to the kit),
/// size, modification and change times (ns), inode and device, in walk order; and the newest
/// modification or change time. `None` when a file's metadata cannot be read, or off Unix (no change
/// time): the content is then always hashed.
pub fn fingerprint(dir: &Path, files: &[PathBuf]) -> Option<([u8; 32], i128)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mut h = Sha256::new();
        let mut newest = i128::MIN;
        for f in files {
            let m = std::fs::metadata(f).ok()?;
            let mtime = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
            let ctime = i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec());
            newest = newest.max(mtime).max(ctime);
            let rel = f.strip_prefix(dir).unwrap_or(f).to_string_lossy();
            h.update((rel.len() as u64).to_le_bytes());
            h.update(rel.as_bytes());
            for v in [m.len(), m.ino(), m.dev()] {
                h.update(v.to_le_bytes());
            }
            h.update(mtime.to_le_bytes());
            h.update(ctime.to_le_bytes());
        }
        Some((h.finalize().into(), newest))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, files);
        None
    }
}

/// The stat-fingerprint file of kit folder `dir`.
pub fn fingerprint_path(cache_dir: &Path, dir: &Path) -> PathBuf {
    let mut h = Sha256::new();
    h.update(b"dui-conform kit fingerprint\0");
    h.update(dir_key(dir).as_bytes());
    cache_dir.join(format!("fp-{}.bin", &hex::encode(h.finalize())[..32]))
}

/// The content hash recorded for fingerprint `fp` of folder `dir`, if the file records that very
/// fingerprint and every file's times are older than the start of that hashing by [`RACY_MARGIN_NS`].
pub fn hash_from_fingerprint(
    cache_dir: &Path,
    dir: &Path,
    fp: &[u8; 32],
    newest: i128,
) -> Option<String> {
    let path = fingerprint_path(cache_dir, dir);
    if !std::fs::metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut b = Vec::with_capacity(FP_LEN + 1);
    std::fs::File::open(&path)
        .ok()?
        .take(FP_LEN as u64 + 1)
        .read_to_end(&mut b)
        .ok()?;
    if b.len() != FP_LEN || &b[..20] != FP_MAGIC {
        return None;
    }
    let (body, crc) = b.split_at(FP_LEN - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    let mut started = [0u8; 16];
    started.copy_from_slice(&body[52..68]);
    let started = i128::from_le_bytes(started);
    if &body[20..52] != fp || newest.saturating_add(RACY_MARGIN_NS) >= started {
        return None;
    }
    let hash = std::str::from_utf8(&body[68..132]).ok()?;
    hash.bytes()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| hash.to_string())
}

/// Records that fingerprint `fp` of folder `dir` is content hash `hash`, hashed from time `started`
/// (ns since the epoch) on; nothing is recorded when a file changed within [`RACY_MARGIN_NS`] of it
/// (the next load hashes again). Best effort: a failure only costs the next load a hashing.
pub fn record_fingerprint(
    cache_dir: &Path,
    dir: &Path,
    fp: &[u8; 32],
    newest: i128,
    started: i128,
    hash: &str,
) {
    if newest.saturating_add(RACY_MARGIN_NS) >= started || hash.len() != 64 {
        return;
    }
    let mut b = Vec::with_capacity(FP_LEN);
    b.extend_from_slice(FP_MAGIC);
    b.extend_from_slice(fp);
    b.extend_from_slice(&started.to_le_bytes());
    b.extend_from_slice(hash.as_bytes());
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    let path = fingerprint_path(cache_dir, dir);
    let tmp = path.with_extension(format!(
        "bin.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let ok = std::fs::create_dir_all(cache_dir).is_ok()
        && std::fs::write(&tmp, &b).is_ok()
        && std::fs::rename(&tmp, &path).is_ok();
    if !ok {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Now, in ns since the epoch.
pub fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// Removes every kit cache file (and leftover temporary file) of the cache folder; returns how many.
pub fn clear(cache_dir: &Path) -> std::io::Result<usize> {
    let rd = match std::fs::read_dir(cache_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut n = 0;
    for e in rd {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with("kit-") && name.ends_with(".bin"))
            || (name.starts_with(".kit-") && name.contains(".bin.tmp-"))
            || (name.starts_with("fp-") && (name.ends_with(".bin") || name.contains(".bin.tmp-")));
        if ours && e.file_type()?.is_file() {
            std::fs::remove_file(e.path())?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        encode(&PayloadRef {
            dir: "kit",
            hash: "h",
            volets: &[],
            defects: &["d".to_string()],
            schemas: &[],
            preload: &[("file:///a.xml".into(), "<a/>".into())],
            value_sets: &[],
        })
        .unwrap()
    }

    #[test]
    fn a_cache_file_round_trips() {
        let p = decode(&sample()).unwrap();
        assert_eq!((p.dir.as_str(), p.hash.as_str()), ("kit", "h"));
        assert_eq!(p.defects, vec!["d".to_string()]);
        assert_eq!(p.preload.len(), 1);
        // No Structuration minimale: refused by the consistency check.
        assert!(matches!(
            check(&p, "h", Path::new("kit")),
            Err(CacheError::Stale(_))
        ));
        assert!(matches!(
            check(&p, "other", Path::new("kit")),
            Err(CacheError::Stale(_))
        ));
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let good = sample();
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x55;
            assert!(decode(&bad).is_err(), "byte {i} flipped");
        }
        let mut long = good.clone();
        long.push(0);
        assert!(matches!(decode(&long), Err(CacheError::Length { .. })));
        assert!(matches!(
            decode(b"garbage garbage garbage garbage"),
            Err(CacheError::NotACacheFile)
        ));
    }

    #[test]
    fn only_a_regular_file_is_read() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            read(&d.path().join("absent.bin"), "h", Path::new("kit")),
            Ok(None)
        ));
        // A directory (or a FIFO, whose open would block) where the file should be.
        assert!(matches!(
            read(d.path(), "h", Path::new("kit")),
            Err(CacheError::NotACacheFile)
        ));
        assert!(hash_from_fingerprint(d.path(), Path::new("kit"), &[0; 32], 0).is_none());
    }

    #[test]
    fn the_entry_name_depends_on_the_content_and_the_folder() {
        // Only the pure part: the file name depends on the kit's content and folder.
        let a = entry_path(Path::new("/c"), "h1", Path::new("kit"));
        let b = entry_path(Path::new("/c"), "h2", Path::new("kit"));
        let c = entry_path(Path::new("/c"), "h1", Path::new("other/kit"));
        assert!(a != b && a != c && b != c);
        assert!(a.starts_with("/c"));
    }
}
