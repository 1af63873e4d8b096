//! Pack files: many objects appended to one file, like git's packfiles, so that storing an object costs
//! an append to an open file and not a file creation (an inode, a directory entry and a rename: on ext4
//! about 40 % of a DMP deposit's server time when every object had its own file).
//!
//! # Format
//! `evidence/packs/<seq>.pack` (`<seq>` = 8 decimal digits): frames, each
//! `DUIPACK1 <sha256 hex> <size>\n<bytes>\n`. A frame is intact when its bytes hash to its name. A
//! pack is only ever appended to, by one writer, and never reopened for writing: a store opened after a
//! crash starts a new pack, so a torn tail (a batch cut short, never acknowledged) stays at the end of its
//! pack and never hides a later frame.
//!
//! # Index
//! Which pack and offset hold each object: an in-memory map rebuilt at [`super::EvidenceStore::open`] by
//! reading every frame header (not the bytes: [`super::EvidenceStore::get`] hashes what it reads, and
//! [`super::verify`] hashes everything). The packs are the only truth; there is no index file to keep
//! consistent.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{check_name, io_err, sync_dir, EvidenceError};

/// The pack folder under `evidence/`.
pub const PACK_DIR: &str = "packs";
/// Size beyond which the active pack is closed and a new one started (smaller files are easier to copy,
/// archive and verify in parallel).
pub const PACK_BYTES: u64 = 256 << 20;
/// Every frame starts with it.
const MAGIC: &[u8] = b"DUIPACK1 ";
/// Bound on a frame header (`MAGIC`, 64 hex digits, a size, spaces and newline): 9 + 64 + 1 + 20 + 1.
const MAX_HEAD: u64 = 128;
/// Bound on one object (16 GiB), so that a corrupt size cannot make a reader allocate without bound.
const MAX_OBJECT: u64 = 1 << 34;

/// Where an object's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loc {
    /// The pack's sequence number.
    pub pack: u64,
    /// Offset of the bytes (after the frame header).
    pub offset: u64,
    /// Their length.
    pub size: u64,
}

/// The pack being appended to.
struct Active {
    file: File,
    seq: u64,
    size: u64,
}

/// The packs of one store: the index and the active pack. Behind a mutex in the store's shared state;
/// the group-commit leader holds it while it appends and flushes, so an object is in the index only once
/// it is durable.
pub(super) struct Packs {
    dir: PathBuf,
    index: HashMap<String, Loc>,
    active: Option<Active>,
    next_seq: u64,
}

/// The name of pack `seq`.
pub(super) fn pack_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:08}.pack"))
}

/// The pack files of a folder, by sequence number (other files are ignored here; `verify` lists them).
pub(super) fn pack_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, EvidenceError> {
    numbered_files(dir, pack_seq)
}

/// The files of `dir` whose name `seq_of` reads as a sequence number, sorted by it (none when the folder
/// does not exist).
pub(super) fn numbered_files(
    dir: &Path,
    seq_of: impl Fn(&str) -> Option<u64>,
) -> Result<Vec<(u64, PathBuf)>, EvidenceError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for e in rd.flatten() {
        if let Some(seq) = seq_of(&e.file_name().to_string_lossy()) {
            out.push((seq, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// `00000012.pack` → 12.
pub(super) fn pack_seq(file_name: &str) -> Option<u64> {
    let digits = file_name.strip_suffix(".pack")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// How a pack scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum End {
    /// At the end of the file, after a whole frame.
    Clean,
    /// A frame cut short at the end of the file, or zeros to the end (a crash mid-append: never
    /// acknowledged, not damage).
    Torn { offset: u64, reason: String },
    /// A frame that cannot be read with more data after it (damage: the frames after it are lost).
    Corrupt { offset: u64, reason: String },
}

/// One frame met by [`scan`].
pub(super) struct Frame<'a> {
    pub name: &'a str,
    pub loc: Loc,
    /// The bytes, when the scan reads them (`with_bytes`).
    pub bytes: Option<&'a [u8]>,
}

/// Reads a pack's frames in order, calling `f` for each structurally whole one; with `with_bytes` the
/// bytes are read (for hashing), otherwise skipped. Stops at the first frame that is not whole and says
/// why.
pub(super) fn scan(
    path: &Path,
    seq: u64,
    with_bytes: bool,
    mut f: impl FnMut(Frame<'_>),
) -> Result<End, EvidenceError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut pos = 0u64;
    let mut head = Vec::with_capacity(MAX_HEAD as usize);
    let mut bytes = Vec::new();
    while pos < len {
        head.clear();
        let n = r
            .by_ref()
            .take(MAX_HEAD)
            .read_until(b'\n', &mut head)
            .map_err(io_err(path))? as u64;
        let at = pos;
        let broken = |reason: &str, r: &mut BufReader<File>| -> Result<End, EvidenceError> {
            // Torn when what follows the frame's start is the beginning of a header then nothing, or
            // then only zeros (a size extended by the file system, data never written).
            let torn = head_is_prefix(&head) && rest_is_zeros(r, path)?;
            Ok(if torn {
                End::Torn {
                    offset: at,
                    reason: reason.to_string(),
                }
            } else {
                End::Corrupt {
                    offset: at,
                    reason: reason.to_string(),
                }
            })
        };
        let Some((name, size)) = parse_head(&head) else {
            return broken("unreadable frame header", &mut r);
        };
        let start = pos + n;
        if size > MAX_OBJECT || start + size + 1 > len {
            // The declared bytes run past the end of the file.
            return if start + size + 1 > len && size <= MAX_OBJECT {
                Ok(End::Torn {
                    offset: at,
                    reason: format!("frame of {size} bytes cut short by the end of the pack"),
                })
            } else {
                broken("frame size out of bounds", &mut r)
            };
        }
        let name = name.to_string();
        let loc = Loc {
            pack: seq,
            offset: start,
            size,
        };
        if with_bytes {
            bytes.clear();
            // `size` ≤ what the file holds, checked above: the allocation is bounded by the file.
            r.by_ref()
                .take(size)
                .read_to_end(&mut bytes)
                .map_err(io_err(path))?;
        } else {
            r.seek_relative(size as i64).map_err(io_err(path))?;
        }
        let mut nl = [0u8; 1];
        r.read_exact(&mut nl).map_err(io_err(path))?;
        if nl[0] != b'\n' {
            return Ok(End::Corrupt {
                offset: at,
                reason: format!("frame of {size} bytes not followed by a newline"),
            });
        }
        f(Frame {
            name: &name,
            loc,
            bytes: with_bytes.then_some(&bytes[..]),
        });
        pos = start + size + 1;
    }
    Ok(End::Clean)
}

/// `DUIPACK1 <64 hex> <size>\n` → (name, size).
fn parse_head(head: &[u8]) -> Option<(&str, u64)> {
    let h = std::str::from_utf8(head.strip_prefix(MAGIC)?.strip_suffix(b"\n")?).ok()?;
    let (name, size) = h.split_once(' ')?;
    check_name(name).ok()?;
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, size.parse().ok()?))
}

/// True when `head`, trailing zeros aside, could be the start of a frame header cut short (or is empty).
fn head_is_prefix(head: &[u8]) -> bool {
    let end = head.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let h = &head[..end];
    let m = h.len().min(MAGIC.len());
    h[..m] == MAGIC[..m] && !h.contains(&b'\n')
}

/// True when nothing but zero bytes remain.
fn rest_is_zeros(r: &mut impl Read, path: &Path) -> Result<bool, EvidenceError> {
    let mut buf = [0u8; 8192];
    loop {
        let n = r.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            return Ok(true);
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
    }
}

impl Packs {
    /// Reads the frame headers of every pack of `dir` into the index (a later frame of the same object
    /// wins: it was appended because the earlier copy was found altered).
    pub(super) fn open(dir: PathBuf) -> Result<Packs, EvidenceError> {
        let mut index = HashMap::new();
        let files = pack_files(&dir)?;
        for (seq, path) in &files {
            scan(path, *seq, false, |fr| {
                index.insert(fr.name.to_string(), fr.loc);
            })?;
        }
        let next_seq = files.last().map_or(1, |(s, _)| s + 1);
        Ok(Packs {
            dir,
            index,
            active: None,
            next_seq,
        })
    }

    /// Where an object is, if a pack holds it.
    pub(super) fn locate(&self, name: &str) -> Option<Loc> {
        self.index.get(name).copied()
    }

    /// The pack folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends objects to the active pack (started if needed) and flushes it once; they enter the index
    /// only once durable.
    pub(super) fn append(&mut self, objects: &[(&str, &[u8])]) -> Result<(), EvidenceError> {
        if objects.is_empty() {
            return Ok(());
        }
        if self.active.as_ref().is_none_or(|a| a.size >= PACK_BYTES) {
            self.start_pack()?;
        }
        let Some(a) = self.active.as_mut() else {
            return Err(EvidenceError::Config {
                path: self.dir.clone(),
                reason: "no active pack (harness bug, please report)".into(),
            });
        };
        let path = pack_path(&self.dir, a.seq);
        let mut buf = Vec::with_capacity(objects.iter().map(|(_, b)| b.len() + 96).sum());
        let mut placed = Vec::with_capacity(objects.len());
        let mut at = a.size;
        for (name, bytes) in objects {
            let head = format!("DUIPACK1 {name} {}\n", bytes.len());
            buf.extend_from_slice(head.as_bytes());
            buf.extend_from_slice(bytes);
            buf.push(b'\n');
            placed.push((
                name.to_string(),
                Loc {
                    pack: a.seq,
                    offset: at + head.len() as u64,
                    size: bytes.len() as u64,
                },
            ));
            at += (head.len() + bytes.len() + 1) as u64;
        }
        // One write: the frames of a batch land together; a crash cuts at most the tail.
        let written = a
            .file
            .write_all(&buf)
            .and_then(|()| a.file.sync_data())
            .map_err(io_err(&path));
        if let Err(e) = written {
            // Part of the batch may be in the file, unflushed: never append after it (a reader stops
            // at the first broken frame, so later, acknowledged frames would be lost). The next batch
            // starts a new pack; this one keeps its torn tail, which verify reports as such.
            self.active = None;
            return Err(e);
        }
        a.size = at;
        self.index.extend(placed);
        Ok(())
    }

    /// Starts a new pack, its name durable in the folder.
    fn start_pack(&mut self) -> Result<(), EvidenceError> {
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let seq = self.next_seq;
        let path = pack_path(&self.dir, seq);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        sync_dir(&self.dir)?;
        self.next_seq = seq + 1;
        self.active = Some(Active { file, seq, size: 0 });
        Ok(())
    }
}

/// Reads an object's bytes from its pack (not checked: the caller hashes them).
pub(super) fn read(dir: &Path, loc: Loc) -> Result<Vec<u8>, EvidenceError> {
    let path = pack_path(dir, loc.pack);
    let mut f = File::open(&path).map_err(io_err(&path))?;
    let len = f.metadata().map_err(io_err(&path))?.len();
    if loc.offset + loc.size > len {
        // Truncated since the index was built: the bytes are gone.
        return Ok(Vec::new());
    }
    f.seek(SeekFrom::Start(loc.offset)).map_err(io_err(&path))?;
    let mut out = Vec::with_capacity(loc.size as usize);
    f.take(loc.size)
        .read_to_end(&mut out)
        .map_err(io_err(&path))?;
    Ok(out)
}
