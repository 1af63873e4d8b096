//! IHE XDM zip packages (`IHE_XDM.zip`), opened as hostile input.
//!
//! Input contract:
//! - The archive is read from any `R: Read + Seek` (a file on disk is streamed, never loaded whole).
//! - The central directory is scanned by this module **before** the zip library builds anything: the
//!   declared entry count, each entry's declared uncompressed size, the declared total and each entry's
//!   compression ratio are checked against [`Limits`] first ([`XdmError`] names the limit). The same limits
//!   are enforced again on the bytes actually inflated, read through `take(limit + 1)`.
//! - Entry names are never used as file-system paths. Names that would be unsafe if they were (absolute,
//!   `..`, backslash, drive letter, NUL, symbolic links, duplicates) are listed with their reason
//!   ([`Entry::unsafe_name`], rule XDM-015) and such entries are never read.
//! - Only the two methods of IHE XDM archives are inflated: stored (0) and deflate (8); encrypted entries
//!   are refused.
//!
//! What it offers: [`Xdm::entries`] (the listing), [`Xdm::read`] (one entry's bytes, bounded),
//! [`Xdm::digest`] (one entry through SHA-1 and SHA-256 without keeping it) and [`Xdm::read_with_digest`].

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read, Seek, SeekFrom};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::limits::Limits;

/// Entries smaller than this are exempt from the compression-ratio limit: a few kilobytes of spaces
/// compress a thousandfold and are harmless; a zip bomb needs size to hurt.
pub const RATIO_FLOOR_BYTES: u64 = 1 << 20;

/// Largest buffer reserved up front from an entry's declared size.
const PREALLOC_MAX: u64 = 8 << 20;

/// Why an archive or one of its entries was refused. Every variant is the archive's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XdmError {
    /// Reading the underlying file failed.
    #[error("read error: {0}")]
    Io(String),
    /// The bytes are not a zip archive, or its central directory is damaged.
    #[error("not a readable zip archive: {0}")]
    NotZip(String),
    /// More entries than [`Limits::max_zip_entries`] (declared in the end-of-central-directory record).
    #[error("{count} entries declared, more than the {limit}-entry limit")]
    TooManyEntries {
        /// Declared entry count.
        count: u64,
        /// Configured limit.
        limit: usize,
    },
    /// One entry larger than [`Limits::max_zip_entry_bytes`], declared or actually inflated.
    #[error("entry {name}: {size} bytes uncompressed exceeds the {limit}-byte limit per entry")]
    EntryTooLarge {
        /// Entry name.
        name: String,
        /// Declared size, or bytes inflated when the limit was crossed.
        size: u64,
        /// Configured limit.
        limit: u64,
    },
    /// Sum of uncompressed sizes larger than [`Limits::max_zip_total_bytes`], declared or actual.
    #[error("{total} bytes uncompressed in total exceeds the {limit}-byte limit per archive")]
    TotalTooLarge {
        /// Declared total, or bytes inflated so far when the limit was crossed.
        total: u64,
        /// Configured limit.
        limit: u64,
    },
    /// An entry's compression ratio exceeds [`Limits::max_zip_ratio`] (a zip bomb).
    #[error("entry {name}: compression ratio {ratio}:1 ({size} bytes from {compressed}) exceeds the {limit}:1 limit")]
    RatioTooHigh {
        /// Entry name.
        name: String,
        /// Uncompressed size (declared, or inflated so far).
        size: u64,
        /// Compressed size.
        compressed: u64,
        /// Ratio found.
        ratio: u64,
        /// Configured limit.
        limit: u64,
    },
    /// The entry is encrypted.
    #[error("entry {0} is encrypted")]
    Encrypted(String),
    /// The entry uses a compression method other than stored or deflate.
    #[error(
        "entry {name} uses compression method {method} (only 0 stored and 8 deflate are read)"
    )]
    UnsupportedMethod {
        /// Entry name.
        name: String,
        /// APPNOTE method number.
        method: u16,
    },
    /// The entry has an unsafe name (XDM-015) and is never read.
    #[error("entry {name} is not read: {reason}")]
    UnsafeName {
        /// Entry name (lossy UTF-8).
        name: String,
        /// Why.
        reason: UnsafeName,
    },
    /// No entry has this name.
    #[error("no entry named {0}")]
    NotFound(String),
    /// The entry's data is damaged (inflate error, CRC mismatch).
    #[error("entry {name} is damaged: {reason}")]
    Corrupt {
        /// Entry name.
        name: String,
        /// The library's diagnosis.
        reason: String,
    },
    /// The inflated byte count differs from the size the central directory declares.
    #[error("entry {name}: {actual} bytes inflated, {declared} declared")]
    SizeMismatch {
        /// Entry name.
        name: String,
        /// Declared size.
        declared: u64,
        /// Inflated size.
        actual: u64,
    },
}

/// Why an entry name is unsafe (XDM-015, PKWARE APPNOTE §4.4.17: relative, `/`-separated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeName {
    /// Empty name.
    Empty,
    /// Starts with `/`.
    Absolute,
    /// Has a `..` component.
    ParentDir,
    /// Contains a backslash.
    Backslash,
    /// Starts with a drive letter (`C:`).
    DriveLetter,
    /// Contains a NUL byte.
    Nul,
    /// A symbolic-link entry (Unix mode `S_IFLNK`).
    Symlink,
    /// Another entry has the same name.
    Duplicate,
}

impl UnsafeName {
    /// French explanation.
    pub fn fr(self) -> &'static str {
        match self {
            UnsafeName::Empty => "nom vide",
            UnsafeName::Absolute => "chemin absolu (commence par /)",
            UnsafeName::ParentDir => "composant .. (sortie de l'archive)",
            UnsafeName::Backslash => "séparateur \\ (seul / est admis)",
            UnsafeName::DriveLetter => "lettre de lecteur (C:)",
            UnsafeName::Nul => "octet NUL dans le nom",
            UnsafeName::Symlink => "lien symbolique",
            UnsafeName::Duplicate => "nom en double",
        }
    }

    /// English explanation.
    pub fn en(self) -> &'static str {
        match self {
            UnsafeName::Empty => "empty name",
            UnsafeName::Absolute => "absolute path (starts with /)",
            UnsafeName::ParentDir => ".. component (escapes the archive)",
            UnsafeName::Backslash => "backslash separator (only / is allowed)",
            UnsafeName::DriveLetter => "drive letter (C:)",
            UnsafeName::Nul => "NUL byte in the name",
            UnsafeName::Symlink => "symbolic link",
            UnsafeName::Duplicate => "duplicate name",
        }
    }
}

impl std::fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.en())
    }
}

/// One entry of the central directory, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name (UTF-8; other bytes replaced by U+FFFD). Never a file-system path.
    pub name: String,
    /// Position in the central directory (0-based).
    pub index: usize,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed_size: u64,
    /// APPNOTE compression method (0 stored, 8 deflate).
    pub method: u16,
    /// Encrypted (general-purpose flag bit 0).
    pub encrypted: bool,
    /// A directory entry (name ends with `/`).
    pub is_dir: bool,
    /// Why the name is unsafe, if it is (such an entry is never read).
    pub unsafe_name: Option<UnsafeName>,
    /// Offset of the local header (used to find the entry in the zip library, never trusted beyond that).
    local_offset: u64,
}

/// An opened XDM archive.
pub struct Xdm<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
    entries: Vec<Entry>,
    /// Entry name → position in `entries` (safe, non-duplicated names only).
    by_name: HashMap<String, usize>,
    /// Local-header offset → index in the zip library.
    zip_index: HashMap<u64, usize>,
    limits: Limits,
    /// Bytes inflated so far, across all reads (for the total limit).
    inflated: u64,
}

impl<R: Read + Seek> std::fmt::Debug for Xdm<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xdm")
            .field("entries", &self.entries)
            .field("inflated", &self.inflated)
            .finish()
    }
}

/// Digests of one entry, computed while streaming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDigest {
    /// SHA-1, lower-case hex (the XDS `hash`).
    pub sha1: String,
    /// SHA-256, lower-case hex (the artifact id in reports).
    pub sha256: String,
    /// Bytes inflated.
    pub size: u64,
}

fn io_err(e: std::io::Error) -> XdmError {
    XdmError::Io(e.to_string())
}

fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

const SIG_EOCD: u32 = 0x0605_4b50;
const SIG_EOCD64: u32 = 0x0606_4b50;
const SIG_EOCD64_LOCATOR: u32 = 0x0706_4b50;
const SIG_CENTRAL: u32 = 0x0201_4b50;

/// What the end-of-central-directory records declare.
struct Directory {
    count: u64,
    size: u64,
    offset: u64,
}

/// Finds and reads the end-of-central-directory record (and its zip64 form), without trusting it.
fn read_directory<R: Read + Seek>(r: &mut R, limits: &Limits) -> Result<Directory, XdmError> {
    let len = r.seek(SeekFrom::End(0)).map_err(io_err)?;
    if len < 22 {
        return Err(XdmError::NotZip(format!(
            "{len} bytes, too short for a zip archive"
        )));
    }
    let tail_len = len.min(22 + 65_535 + 20);
    let tail_start = len - tail_len;
    r.seek(SeekFrom::Start(tail_start)).map_err(io_err)?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail).map_err(io_err)?;
    // The last signature whose comment fits in what follows it.
    let pos = (0..=tail.len() - 22)
        .rev()
        .find(|&i| {
            le32(&tail, i) == SIG_EOCD && i + 22 + le16(&tail, i + 20) as usize <= tail.len()
        })
        .ok_or_else(|| XdmError::NotZip("no end-of-central-directory record".into()))?;
    let eocd = &tail[pos..];
    let (disk, cd_disk) = (le16(eocd, 4), le16(eocd, 6));
    let mut dir = Directory {
        count: le16(eocd, 10) as u64,
        size: le32(eocd, 12) as u64,
        offset: le32(eocd, 16) as u64,
    };
    if disk != 0 || cd_disk != 0 {
        return Err(XdmError::NotZip(
            "multi-disk archives are not supported".into(),
        ));
    }
    let zip64 = dir.count == 0xFFFF || dir.size == 0xFFFF_FFFF || dir.offset == 0xFFFF_FFFF;
    if zip64 && pos >= 20 && le32(&tail, pos - 20) == SIG_EOCD64_LOCATOR {
        let rec_at = le64(&tail, pos - 20 + 8);
        if rec_at.checked_add(56).is_none_or(|e| e > len) {
            return Err(XdmError::NotZip("zip64 end record out of the file".into()));
        }
        r.seek(SeekFrom::Start(rec_at)).map_err(io_err)?;
        let mut rec = [0u8; 56];
        r.read_exact(&mut rec).map_err(io_err)?;
        if le32(&rec, 0) != SIG_EOCD64 {
            return Err(XdmError::NotZip(
                "zip64 end record not found where its locator says".into(),
            ));
        }
        dir = Directory {
            count: le64(&rec, 32),
            size: le64(&rec, 40),
            offset: le64(&rec, 48),
        };
    }
    // The declared count first: it is what a hostile archive inflates.
    if dir.count > limits.max_zip_entries as u64 {
        return Err(XdmError::TooManyEntries {
            count: dir.count,
            limit: limits.max_zip_entries,
        });
    }
    if dir.offset.checked_add(dir.size).is_none_or(|e| e > len) {
        return Err(XdmError::NotZip(format!(
            "central directory ({} bytes at offset {}) lies outside the {len}-byte file",
            dir.size, dir.offset
        )));
    }
    Ok(dir)
}

/// Why a name is unsafe, duplicates aside.
fn name_safety(raw: &[u8], symlink: bool) -> Option<UnsafeName> {
    if raw.is_empty() {
        return Some(UnsafeName::Empty);
    }
    if raw.contains(&0) {
        return Some(UnsafeName::Nul);
    }
    if raw.contains(&b'\\') {
        return Some(UnsafeName::Backslash);
    }
    if raw[0] == b'/' {
        return Some(UnsafeName::Absolute);
    }
    if raw.len() >= 2 && raw[0].is_ascii_alphabetic() && raw[1] == b':' {
        return Some(UnsafeName::DriveLetter);
    }
    if raw.split(|&c| c == b'/').any(|c| c == b"..") {
        return Some(UnsafeName::ParentDir);
    }
    if symlink {
        return Some(UnsafeName::Symlink);
    }
    None
}

/// Scans the central directory: entry count first, then each header (bounded by the count and the
/// declared directory size).
fn scan<R: Read + Seek>(r: &mut R, limits: &Limits) -> Result<Vec<Entry>, XdmError> {
    let dir = read_directory(r, limits)?;
    if dir.count > limits.max_zip_entries as u64 {
        return Err(XdmError::TooManyEntries {
            count: dir.count,
            limit: limits.max_zip_entries,
        });
    }
    r.seek(SeekFrom::Start(dir.offset)).map_err(io_err)?;
    let mut br = BufReader::new(r.by_ref().take(dir.size));
    let mut entries = Vec::with_capacity(dir.count as usize);
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for index in 0..dir.count as usize {
        let mut h = [0u8; 46];
        br.read_exact(&mut h).map_err(|_| {
            XdmError::NotZip(format!(
                "central directory truncated at entry {}",
                index + 1
            ))
        })?;
        if le32(&h, 0) != SIG_CENTRAL {
            return Err(XdmError::NotZip(format!(
                "bad central directory header signature at entry {}",
                index + 1
            )));
        }
        let made_by_host = (le16(&h, 4) >> 8) as u8;
        let flags = le16(&h, 8);
        let method = le16(&h, 10);
        let mut compressed_size = le32(&h, 20) as u64;
        let mut size = le32(&h, 24) as u64;
        let (name_len, extra_len, comment_len) = (
            le16(&h, 28) as usize,
            le16(&h, 30) as usize,
            le16(&h, 32) as usize,
        );
        let external = le32(&h, 38);
        let mut local_offset = le32(&h, 42) as u64;
        let mut raw_name = vec![0u8; name_len];
        let mut extra = vec![0u8; extra_len];
        let mut comment = vec![0u8; comment_len];
        for buf in [&mut raw_name, &mut extra, &mut comment] {
            br.read_exact(buf).map_err(|_| {
                XdmError::NotZip(format!(
                    "central directory truncated at entry {}",
                    index + 1
                ))
            })?;
        }
        // Zip64 extended information (APPNOTE §4.5.3): present fields in this order.
        let mut i = 0;
        while i + 4 <= extra.len() {
            let (id, len) = (le16(&extra, i), le16(&extra, i + 2) as usize);
            let data = extra.get(i + 4..i + 4 + len).unwrap_or(&[]);
            if id == 0x0001 {
                let mut at = 0;
                for field in [&mut size, &mut compressed_size, &mut local_offset] {
                    if *field == 0xFFFF_FFFF && at + 8 <= data.len() {
                        *field = le64(data, at);
                        at += 8;
                    }
                }
            }
            i += 4 + len;
        }
        // Unix (3) and OS X (19) hosts keep the mode in the high 16 bits of the external attributes.
        let symlink = matches!(made_by_host, 3 | 19) && (external >> 16) & 0o170_000 == 0o120_000;
        let mut unsafe_name = name_safety(&raw_name, symlink);
        if !seen.insert(raw_name.clone()) && unsafe_name.is_none() {
            unsafe_name = Some(UnsafeName::Duplicate);
        }
        entries.push(Entry {
            name: String::from_utf8_lossy(&raw_name).into_owned(),
            index,
            size,
            compressed_size,
            method,
            encrypted: flags & 1 == 1,
            is_dir: raw_name.last() == Some(&b'/'),
            unsafe_name,
            local_offset,
        });
    }
    // The first holder of a duplicated name is ambiguous too: mark every copy.
    let dup: HashSet<String> = entries
        .iter()
        .filter(|e| e.unsafe_name == Some(UnsafeName::Duplicate))
        .map(|e| e.name.clone())
        .collect();
    for e in entries
        .iter_mut()
        .filter(|e| e.unsafe_name.is_none() && dup.contains(&e.name))
    {
        e.unsafe_name = Some(UnsafeName::Duplicate);
    }
    Ok(entries)
}

/// Declared-size limits (per entry, total, ratio), checked before anything is inflated.
fn check_declared(entries: &[Entry], limits: &Limits) -> Result<(), XdmError> {
    let mut total: u64 = 0;
    for e in entries {
        if e.size > limits.max_zip_entry_bytes {
            return Err(XdmError::EntryTooLarge {
                name: e.name.clone(),
                size: e.size,
                limit: limits.max_zip_entry_bytes,
            });
        }
        check_ratio(&e.name, e.size, e.compressed_size, limits)?;
        total = total.saturating_add(e.size);
        if total > limits.max_zip_total_bytes {
            return Err(XdmError::TotalTooLarge {
                total,
                limit: limits.max_zip_total_bytes,
            });
        }
    }
    Ok(())
}

fn check_ratio(name: &str, size: u64, compressed: u64, limits: &Limits) -> Result<(), XdmError> {
    if size < RATIO_FLOOR_BYTES {
        return Ok(());
    }
    let ratio = size / compressed.max(1);
    if ratio > limits.max_zip_ratio {
        return Err(XdmError::RatioTooHigh {
            name: name.to_string(),
            size,
            compressed,
            ratio,
            limit: limits.max_zip_ratio,
        });
    }
    Ok(())
}

impl<R: Read + Seek> Xdm<R> {
    /// Opens an archive: scans and checks the central directory against `limits`, then hands the
    /// reader to the zip library. Nothing is inflated yet.
    pub fn open(mut reader: R, limits: &Limits) -> Result<Xdm<R>, XdmError> {
        let entries = scan(&mut reader, limits)?;
        check_declared(&entries, limits)?;
        reader.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let mut zip = zip::ZipArchive::new(reader).map_err(|e| XdmError::NotZip(e.to_string()))?;
        let mut zip_index = HashMap::new();
        for i in 0..zip.len() {
            // An entry whose local header is damaged stays listed; reading it reports the damage.
            if let Ok(f) = zip.by_index_raw(i) {
                zip_index.insert(f.header_start(), i);
            }
        }
        let by_name = entries
            .iter()
            .filter(|e| e.unsafe_name.is_none())
            .map(|e| (e.name.clone(), e.index))
            .collect();
        Ok(Xdm {
            zip,
            entries,
            by_name,
            zip_index,
            limits: limits.clone(),
            inflated: 0,
        })
    }

    /// Every entry of the central directory, in directory order (unsafe ones included).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The safe entry with exactly this name.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).and_then(|&i| self.entries.get(i))
    }

    /// Reads one entry's bytes (bounded by the limits).
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>, XdmError> {
        self.read_with_digest(name).map(|(b, _)| b)
    }

    /// Streams one entry through SHA-1 and SHA-256 without keeping its bytes.
    pub fn digest(&mut self, name: &str) -> Result<EntryDigest, XdmError> {
        let (mut s1, mut s256) = (Sha1::new(), Sha256::new());
        let size = self.stream(name, &mut |chunk| {
            s1.update(chunk);
            s256.update(chunk);
        })?;
        Ok(EntryDigest {
            sha1: hex::encode(s1.finalize()),
            sha256: hex::encode(s256.finalize()),
            size,
        })
    }

    /// Reads one entry's bytes and their digests in one inflation.
    pub fn read_with_digest(&mut self, name: &str) -> Result<(Vec<u8>, EntryDigest), XdmError> {
        let declared = self.entry(name).map_or(0, |e| e.size);
        // Declared sizes are claims: reserve at most PREALLOC_MAX, grow with the bytes actually inflated.
        let mut out = Vec::with_capacity(declared.min(PREALLOC_MAX) as usize);
        let (mut s1, mut s256) = (Sha1::new(), Sha256::new());
        let size = self.stream(name, &mut |chunk| {
            s1.update(chunk);
            s256.update(chunk);
            out.extend_from_slice(chunk);
        })?;
        Ok((
            out,
            EntryDigest {
                sha1: hex::encode(s1.finalize()),
                sha256: hex::encode(s256.finalize()),
                size,
            },
        ))
    }

    /// Inflates one entry chunk by chunk into `sink`, enforcing the limits on the actual bytes.
    fn stream(&mut self, name: &str, sink: &mut dyn FnMut(&[u8])) -> Result<u64, XdmError> {
        let entry = match self.entry(name) {
            Some(e) => e.clone(),
            None => {
                return Err(match self.entries.iter().find(|e| e.name == name) {
                    Some(e) => XdmError::UnsafeName {
                        name: e.name.clone(),
                        reason: e.unsafe_name.unwrap_or(UnsafeName::Empty),
                    },
                    None => XdmError::NotFound(name.to_string()),
                });
            }
        };
        if entry.encrypted {
            return Err(XdmError::Encrypted(entry.name));
        }
        if entry.method != 0 && entry.method != 8 {
            return Err(XdmError::UnsupportedMethod {
                name: entry.name,
                method: entry.method,
            });
        }
        let idx = *self
            .zip_index
            .get(&entry.local_offset)
            .ok_or_else(|| XdmError::Corrupt {
                name: entry.name.clone(),
                reason: "local header unreadable by the zip library".into(),
            })?;
        let limit = self.limits.max_zip_entry_bytes;
        let corrupt = |e: &dyn std::fmt::Display| XdmError::Corrupt {
            name: entry.name.clone(),
            reason: e.to_string(),
        };
        let file = self.zip.by_index(idx).map_err(|e| corrupt(&e))?;
        let mut reader = file.take(limit + 1);
        let mut buf = vec![0u8; 64 * 1024];
        let mut n: u64 = 0;
        loop {
            let got = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(corrupt(&e)),
            };
            n += got as u64;
            self.inflated += got as u64;
            if n > limit {
                return Err(XdmError::EntryTooLarge {
                    name: entry.name,
                    size: n,
                    limit,
                });
            }
            if self.inflated > self.limits.max_zip_total_bytes {
                return Err(XdmError::TotalTooLarge {
                    total: self.inflated,
                    limit: self.limits.max_zip_total_bytes,
                });
            }
            check_ratio(&entry.name, n, entry.compressed_size, &self.limits)?;
            if n > entry.size {
                return Err(XdmError::SizeMismatch {
                    name: entry.name,
                    declared: entry.size,
                    actual: n,
                });
            }
            sink(buf.get(..got).unwrap_or(&[]));
        }
        if n != entry.size {
            return Err(XdmError::SizeMismatch {
                name: entry.name,
                declared: entry.size,
                actual: n,
            });
        }
        Ok(n)
    }
}

/// The submission-set directories under `IHE_XDM/` (`SUBSET01`…), from the entry names, sorted.
pub fn subsets(entries: &[Entry]) -> Vec<String> {
    let mut out: Vec<String> = entries
        .iter()
        .filter(|e| e.unsafe_name.is_none())
        .filter_map(|e| {
            let rest = e.name.strip_prefix("IHE_XDM/")?;
            let (dir, _) = rest.split_once('/')?;
            (!dir.is_empty()).then(|| dir.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn build(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = SimpleFileOptions::default().compression_method(method);
        for (n, b) in files {
            w.start_file(*n, o).unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn lists_reads_and_digests() {
        let z = build(
            &[
                ("INDEX.HTM", b"<html/>"),
                ("IHE_XDM/SUBSET01/DOC0001.XML", b"abc"),
            ],
            zip::CompressionMethod::Deflated,
        );
        let mut x = Xdm::open(Cursor::new(z), &Limits::default()).unwrap();
        assert_eq!(x.entries().len(), 2);
        assert_eq!(x.read("INDEX.HTM").unwrap(), b"<html/>");
        let d = x.digest("IHE_XDM/SUBSET01/DOC0001.XML").unwrap();
        assert_eq!(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(d.size, 3);
        assert_eq!(subsets(x.entries()), vec!["SUBSET01".to_string()]);
        assert!(matches!(x.read("nope"), Err(XdmError::NotFound(_))));
    }

    fn crc32(b: &[u8]) -> u32 {
        let mut c = !0u32;
        for &x in b {
            c ^= x as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    /// A stored-only zip written by hand: (raw name, data, Unix mode or 0).
    pub(crate) fn raw_zip(files: &[(&[u8], &[u8], u32)]) -> Vec<u8> {
        let (mut out, mut cd) = (Vec::new(), Vec::new());
        for (name, data, mode) in files {
            let off = out.len() as u32;
            let crc = crc32(data);
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(data);
            cd.extend_from_slice(&SIG_CENTRAL.to_le_bytes());
            let host: u16 = if *mode != 0 { 3 << 8 | 20 } else { 20 };
            cd.extend_from_slice(&host.to_le_bytes());
            cd.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&crc.to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&(mode << 16).to_le_bytes());
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name);
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&SIG_EOCD.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn unsafe_names_are_listed_not_read() {
        let z = raw_zip(&[
            (b"../evil", b"x", 0),
            (b"/abs", b"x", 0),
            (b"a\\b", b"x", 0),
            (b"C:x", b"x", 0),
            (b"nul\0x", b"x", 0),
            (b"link", b"/etc/passwd", 0o120_777),
            (b"ok", b"1", 0),
            (b"ok", b"2", 0),
            (b"fine", b"3", 0o100_644),
        ]);
        let mut x = Xdm::open(Cursor::new(z), &Limits::default()).unwrap();
        let reasons: Vec<_> = x.entries().iter().map(|e| e.unsafe_name).collect();
        assert_eq!(
            reasons,
            vec![
                Some(UnsafeName::ParentDir),
                Some(UnsafeName::Absolute),
                Some(UnsafeName::Backslash),
                Some(UnsafeName::DriveLetter),
                Some(UnsafeName::Nul),
                Some(UnsafeName::Symlink),
                Some(UnsafeName::Duplicate),
                Some(UnsafeName::Duplicate),
                None,
            ]
        );
        assert!(matches!(
            x.read("../evil"),
            Err(XdmError::UnsafeName {
                reason: UnsafeName::ParentDir,
                ..
            })
        ));
        assert!(matches!(
            x.read("ok"),
            Err(XdmError::UnsafeName {
                reason: UnsafeName::Duplicate,
                ..
            })
        ));
        assert_eq!(x.read("fine").unwrap(), b"3");
    }

    #[test]
    fn limits_fire_on_declared_sizes() {
        let z = build(
            &[("a", b"1"), ("b", b"2"), ("c", b"3")],
            zip::CompressionMethod::Stored,
        );
        let l = Limits {
            max_zip_entries: 2,
            ..Limits::default()
        };
        assert!(matches!(
            Xdm::open(Cursor::new(z.clone()), &l),
            Err(XdmError::TooManyEntries { count: 3, limit: 2 })
        ));
        let l = Limits {
            max_zip_total_bytes: 2,
            ..Limits::default()
        };
        assert!(matches!(
            Xdm::open(Cursor::new(z.clone()), &l),
            Err(XdmError::TotalTooLarge { .. })
        ));
        let l = Limits {
            max_zip_entry_bytes: 0,
            ..Limits::default()
        };
        assert!(matches!(
            Xdm::open(Cursor::new(z), &l),
            Err(XdmError::EntryTooLarge { .. })
        ));
        let bomb = build(
            &[("zeros", &vec![0u8; 4 << 20])],
            zip::CompressionMethod::Deflated,
        );
        assert!(matches!(
            Xdm::open(Cursor::new(bomb), &Limits::default()),
            Err(XdmError::RatioTooHigh { .. })
        ));
    }

    #[test]
    fn lying_declared_size_is_caught_on_inflate() {
        // Declare 3 bytes for an entry that inflates to 5: patch both headers' size fields.
        let mut z = build(&[("a", b"hello")], zip::CompressionMethod::Stored);
        for sig in [[0x50u8, 0x4b, 3, 4], [0x50, 0x4b, 1, 2]] {
            let p = z.windows(4).position(|w| w == sig).unwrap();
            let off = if sig[2] == 3 { 22 } else { 24 };
            z[p + off..p + off + 4].copy_from_slice(&3u32.to_le_bytes());
        }
        let mut x = Xdm::open(Cursor::new(z), &Limits::default()).unwrap();
        assert!(x.read("a").is_err());
    }

    #[test]
    fn garbage_is_not_a_zip() {
        assert!(matches!(
            Xdm::open(
                Cursor::new(b"PK\x03\x04garbage".to_vec()),
                &Limits::default()
            ),
            Err(XdmError::NotZip(_))
        ));
        assert!(matches!(
            Xdm::open(Cursor::new(Vec::new()), &Limits::default()),
            Err(XdmError::NotZip(_))
        ));
    }
}
