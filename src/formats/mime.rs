//! MIME messages (.eml, RFC 5322 + MIME) → a read-only view for the MSSanté checks, hardened.
//!
//! Input contract:
//! - The message size is bounded by [`Limits::max_mime_bytes`].
//! - The number of parts is estimated by a linear pre-scan of the boundary delimiter lines **before** the
//!   MIME library builds its tree (a 10,000-part message is refused in one pass), then counted exactly on
//!   the tree, nested `message/rfc822` parts included; the nesting depth is bounded by
//!   [`Limits::max_mime_depth`]. Each limit has its own [`MimeError`].
//! - The top-level header section is kept as raw physical lines (offsets, line numbers, line endings) for
//!   the RFC 5322 checks; header values are unfolded but not decoded, except the Subject (RFC 2047) and the
//!   addresses, which `mail-parser` decodes.
//! - Part bodies are decoded strictly on demand ([`Part::decode`]): invalid base64 or quoted-printable is an
//!   error with its offset, never silently skipped.
//!
//! Parts are listed in the library's order (depth first); each knows its header and body byte ranges in
//! the message.

use std::collections::HashSet;
use std::ops::Range;

use base64::Engine;
use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::limits::Limits;

/// Why a message was refused. Every variant is the message's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MimeError {
    /// Larger than [`Limits::max_mime_bytes`].
    #[error("message too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Message size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// More parts than [`Limits::max_mime_parts`] (estimated before parsing, or counted after).
    #[error("more than {limit} MIME parts (at least {count})")]
    TooManyParts {
        /// Parts found (at least).
        count: usize,
        /// Configured limit.
        limit: usize,
    },
    /// Multiparts nested deeper than [`Limits::max_mime_depth`].
    #[error("MIME parts nested {depth} levels deep (limit {limit})")]
    TooDeep {
        /// Depth found.
        depth: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The bytes do not start with a header section.
    #[error("not a message: {0}")]
    NotMessage(String),
}

/// Why a part body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Invalid base64 (character, length or padding), at a byte offset in the message.
    #[error("invalid base64 at byte {offset}: {reason}")]
    Base64 {
        /// Offset in the message.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Invalid quoted-printable escape, at a byte offset in the message.
    #[error("invalid quoted-printable escape at byte {offset}")]
    QuotedPrintable {
        /// Offset in the message.
        offset: usize,
    },
}

/// One header field of the top-level header section, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field name as written (compare case-insensitively).
    pub name: String,
    /// Unfolded value (CRLF before continuation lines removed), not decoded, lossy UTF-8, trimmed.
    pub value: String,
    /// 1-based line of the field's first line.
    pub line: u32,
    /// Byte offset of the field in the message.
    pub offset: usize,
}

/// A physical header line longer than RFC 5322's 998 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongLine {
    /// 1-based line.
    pub line: u32,
    /// Byte offset.
    pub offset: usize,
    /// Octets, line ending excluded.
    pub len: usize,
}

/// Line endings found in the whole message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineEndings {
    /// LF not preceded by CR.
    pub bare_lf: usize,
    /// CR not followed by LF.
    pub bare_cr: usize,
    /// (line, offset) of the first bare LF or CR.
    pub first: Option<(u32, usize)>,
}

/// One MIME part (multiparts included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Position in the list (0 = the message itself).
    pub index: usize,
    /// Nesting depth (0 = the message).
    pub depth: usize,
    /// `type/subtype`, lower case; `text/plain` when the part declares none (RFC 2045 default).
    pub content_type: String,
    /// Whether a Content-Type header is present.
    pub has_content_type: bool,
    /// `charset` parameter, as written.
    pub charset: Option<String>,
    /// `name` parameter of Content-Type.
    pub name: Option<String>,
    /// Content-Disposition type (`attachment`, `inline`), lower case.
    pub disposition: Option<String>,
    /// `filename` parameter of Content-Disposition.
    pub filename: Option<String>,
    /// Content-Transfer-Encoding, lower case.
    pub transfer_encoding: Option<String>,
    /// Header section bytes in the message.
    pub header: Range<usize>,
    /// Body bytes in the message (still transfer-encoded).
    pub body: Range<usize>,
    /// 1-based line where the part's header starts.
    pub line: u32,
    /// A multipart container.
    pub is_multipart: bool,
}

impl Part {
    /// The file name a receiver would show: Content-Disposition `filename`, else Content-Type `name`.
    pub fn file_name(&self) -> Option<&str> {
        self.filename.as_deref().or(self.name.as_deref())
    }

    /// True for a part with `Content-Disposition: attachment` or a file name.
    pub fn is_attachment(&self) -> bool {
        self.disposition.as_deref() == Some("attachment") || self.file_name().is_some()
    }

    /// The body decoded from its transfer encoding, strictly.
    pub fn decode(&self, raw: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let body = raw.get(self.body.clone()).unwrap_or(&[]);
        match self.transfer_encoding.as_deref() {
            Some("base64") => decode_base64(body, self.body.start),
            Some("quoted-printable") => decode_qp(body, self.body.start),
            _ => Ok(body.to_vec()),
        }
    }

    /// A short label for locations: `part 3 (IHE_XDM.zip)`.
    pub fn label(&self) -> String {
        match self.file_name() {
            Some(n) => format!("part {} ({n})", self.index),
            None => format!("part {} ({})", self.index, self.content_type),
        }
    }
}

/// Strict base64: only the alphabet, `=` padding and white space; canonical length and padding.
pub fn decode_base64(body: &[u8], base: usize) -> Result<Vec<u8>, DecodeError> {
    let mut clean = Vec::with_capacity(body.len());
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => clean.push(c),
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                return Err(DecodeError::Base64 {
                    offset: base + i,
                    reason: format!("byte 0x{c:02X} outside the base64 alphabet"),
                })
            }
        }
    }
    base64::engine::general_purpose::STANDARD
        .decode(&clean)
        .map_err(|e| DecodeError::Base64 {
            offset: base,
            reason: e.to_string(),
        })
}

/// Strict quoted-printable (RFC 2045 §6.7): `=XX` escapes and soft line breaks only.
pub fn decode_qp(body: &[u8], base: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        if c != b'=' {
            out.push(c);
            i += 1;
            continue;
        }
        let rest = body.get(i + 1..).unwrap_or(&[]);
        // Soft line break, possibly after trailing white space.
        let ws = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after = rest.get(ws..).unwrap_or(&[]);
        if after.starts_with(b"\r\n") {
            i += 1 + ws + 2;
        } else if after.starts_with(b"\n") {
            i += 1 + ws + 1;
        } else if after.is_empty() {
            i += 1 + ws;
        } else {
            let hex = rest
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => return Err(DecodeError::QuotedPrintable { offset: base + i }),
            }
        }
    }
    Ok(out)
}

/// An address of a header field (To, Cc, From…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// `local@domain` as written.
    pub address: String,
    /// The header it came from (`To`, `Cc`, `From`).
    pub header: &'static str,
}

impl Mailbox {
    /// The local part (before the last `@`).
    pub fn local(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map_or(self.address.as_str(), |(l, _)| l)
    }

    /// The domain (after the last `@`), lower case.
    pub fn domain(&self) -> String {
        self.address
            .rsplit_once('@')
            .map_or(String::new(), |(_, d)| d.to_ascii_lowercase())
    }
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    /// The message bytes.
    pub raw: &'a [u8],
    /// Top-level header fields, in order.
    pub fields: Vec<Field>,
    /// Offset where the body starts (after the blank line), or the end of the message.
    pub body_start: usize,
    /// Header lines (top level and parts) longer than 998 octets.
    pub long_lines: Vec<LongLine>,
    /// Physical lines of the top-level header section that are neither fields nor continuations.
    pub malformed_lines: Vec<(u32, usize)>,
    /// Line endings of the whole message.
    pub endings: LineEndings,
    /// Parts, depth first; `parts[0]` is the message itself.
    pub parts: Vec<Part>,
    /// Parts counted, nested messages included.
    pub part_count: usize,
    /// Subject, RFC 2047-decoded.
    pub subject: Option<String>,
    /// From, To, Cc addresses.
    pub mailboxes: Vec<Mailbox>,
}

impl Mail<'_> {
    /// Fields with this name (case-insensitive).
    pub fn fields_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Field> + 's {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
    }

    /// The first field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Recipients (To and Cc).
    pub fn recipients(&self) -> impl Iterator<Item = &Mailbox> {
        self.mailboxes.iter().filter(|m| m.header != "From")
    }
}

/// Physical lines of `raw[range]`: (start, end without line ending).
fn lines(raw: &[u8], range: Range<usize>) -> impl Iterator<Item = (usize, usize)> + '_ {
    let end = range.end.min(raw.len());
    let mut at = range.start.min(end);
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let start = at;
        let nl = raw
            .get(start..end)?
            .iter()
            .position(|&c| c == b'\n')
            .map(|p| start + p);
        let (stop, next) = match nl {
            Some(p) => (p, p + 1),
            None => (end, end),
        };
        at = next;
        let stop = if stop > start && raw.get(stop - 1) == Some(&b'\r') {
            stop - 1
        } else {
            stop
        };
        Some((start, stop))
    })
}

/// 1-based line numbers of sorted offsets, in one pass.
fn line_numbers(raw: &[u8], offsets: &[usize]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets.get(i).copied().unwrap_or(0));
    let mut out = vec![1u32; offsets.len()];
    let (mut line, mut pos) = (1u32, 0usize);
    for i in order {
        let target = offsets.get(i).copied().unwrap_or(0).min(raw.len());
        if target > pos {
            line += raw
                .get(pos..target)
                .map_or(0, |s| s.iter().filter(|&&c| c == b'\n').count() as u32);
            pos = target;
        }
        if let Some(o) = out.get_mut(i) {
            *o = line;
        }
    }
    out
}

/// The top-level header section as scanned.
struct HeaderSection {
    fields: Vec<Field>,
    malformed: Vec<(u32, usize)>,
    long: Vec<LongLine>,
    body_start: usize,
}

/// The top-level header section: fields, malformed lines, long lines and where the body starts.
fn header_section(raw: &[u8]) -> HeaderSection {
    let (mut fields, mut malformed, mut long) = (Vec::<Field>::new(), Vec::new(), Vec::new());
    let mut line = 0u32;
    let mut body_start = raw.len();
    for (s, e) in lines(raw, 0..raw.len()) {
        line += 1;
        let content = raw.get(s..e).unwrap_or(&[]);
        if content.is_empty() {
            // Skip the blank line's own ending.
            body_start = raw.get(e..).map_or(raw.len(), |r| {
                e + if r.starts_with(b"\r\n") {
                    2
                } else {
                    usize::from(!r.is_empty())
                }
            });
            break;
        }
        if content.len() > 998 {
            long.push(LongLine {
                line,
                offset: s,
                len: content.len(),
            });
        }
        if content[0] == b' ' || content[0] == b'\t' {
            if let Some(f) = fields.last_mut() {
                f.value.push_str(&String::from_utf8_lossy(content));
                continue;
            }
        }
        match content.iter().position(|&c| c == b':') {
            Some(colon) if colon > 0 && content[..colon].iter().all(|c| c.is_ascii_graphic()) => {
                fields.push(Field {
                    name: String::from_utf8_lossy(&content[..colon]).into_owned(),
                    value: String::from_utf8_lossy(&content[colon + 1..]).into_owned(),
                    line,
                    offset: s,
                });
            }
            _ => malformed.push((line, s)),
        }
    }
    for f in &mut fields {
        f.value = f.value.trim().to_string();
    }
    HeaderSection {
        fields,
        malformed,
        long,
        body_start,
    }
}

fn line_endings(raw: &[u8]) -> LineEndings {
    let mut out = LineEndings::default();
    let mut line = 1u32;
    for (i, &c) in raw.iter().enumerate() {
        let bad = match c {
            b'\n' => {
                let bare = i == 0 || raw.get(i - 1) != Some(&b'\r');
                if bare {
                    out.bare_lf += 1;
                }
                bare
            }
            b'\r' if raw.get(i + 1) != Some(&b'\n') => {
                out.bare_cr += 1;
                true
            }
            _ => false,
        };
        if bad && out.first.is_none() {
            out.first = Some((line, i));
        }
        if c == b'\n' {
            line += 1;
        }
    }
    out
}

/// Counts boundary delimiter lines before any tree is built: an upper bound of the part count.
fn prescan_parts(raw: &[u8], limit: usize) -> Result<(), MimeError> {
    let mut boundaries: HashSet<&[u8]> = HashSet::new();
    let needle = b"boundary=";
    let mut i = 0;
    while let Some(p) = raw.get(i..).and_then(|s| {
        s.windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    }) {
        let start = i + p + needle.len();
        let rest = raw.get(start..).unwrap_or(&[]);
        let value = if rest.first() == Some(&b'"') {
            let v = rest.get(1..).unwrap_or(&[]);
            v.get(..v.iter().position(|&c| c == b'"').unwrap_or(v.len()))
                .unwrap_or(&[])
        } else {
            rest.get(
                ..rest
                    .iter()
                    .position(|&c| c == b';' || c.is_ascii_whitespace())
                    .unwrap_or(rest.len()),
            )
            .unwrap_or(&[])
        };
        if !value.is_empty() {
            boundaries.insert(value);
        }
        if boundaries.len() > limit {
            return Err(MimeError::TooManyParts {
                count: boundaries.len(),
                limit,
            });
        }
        i = start;
    }
    if boundaries.is_empty() {
        return Ok(());
    }
    let mut count = 1usize;
    for (s, e) in lines(raw, 0..raw.len()) {
        let Some(rest) = raw.get(s..e).and_then(|l| l.strip_prefix(b"--")) else {
            continue;
        };
        let rest = rest.strip_suffix(b"--").unwrap_or(rest);
        let end = rest
            .iter()
            .rposition(|c| !c.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        if boundaries.contains(rest.get(..end).unwrap_or(&[])) {
            count += 1;
            if count > limit {
                return Err(MimeError::TooManyParts { count, limit });
            }
        }
    }
    Ok(())
}

/// Parses a message within `limits`.
pub fn parse<'a>(raw: &'a [u8], limits: &Limits) -> Result<Mail<'a>, MimeError> {
    if raw.len() > limits.max_mime_bytes {
        return Err(MimeError::TooLarge {
            size: raw.len(),
            limit: limits.max_mime_bytes,
        });
    }
    let HeaderSection {
        fields,
        malformed,
        long: mut long_lines,
        body_start,
    } = header_section(raw);
    if fields.is_empty() {
        return Err(MimeError::NotMessage(
            "no header field before the first blank line".into(),
        ));
    }
    prescan_parts(raw, limits.max_mime_parts)?;
    let endings = line_endings(raw);
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| MimeError::NotMessage("no header section".into()))?;

    // Count every part (nested messages included) and bound the depth, iteratively.
    let mut part_count = 0usize;
    let mut work: Vec<(&mail_parser::Message<'_>, usize)> = vec![(&msg, 0)];
    while let Some((m, base)) = work.pop() {
        part_count += m.parts.len();
        if part_count > limits.max_mime_parts {
            return Err(MimeError::TooManyParts {
                count: part_count,
                limit: limits.max_mime_parts,
            });
        }
        let mut depth = vec![0usize; m.parts.len()];
        for (i, p) in m.parts.iter().enumerate() {
            let rel = depth.get(i).copied().unwrap_or(0);
            let d = rel + base;
            if d > limits.max_mime_depth {
                return Err(MimeError::TooDeep {
                    depth: d,
                    limit: limits.max_mime_depth,
                });
            }
            match &p.body {
                PartType::Multipart(children) => {
                    for &c in children {
                        if let Some(slot) = depth.get_mut(c as usize) {
                            *slot = rel + 1;
                        }
                    }
                }
                PartType::Message(inner) => work.push((inner, d + 1)),
                _ => {}
            }
        }
    }

    // The parts of the top-level message.
    let mut depth = vec![0usize; msg.parts.len()];
    for (i, p) in msg.parts.iter().enumerate() {
        if let PartType::Multipart(children) = &p.body {
            let d = depth.get(i).copied().unwrap_or(0);
            for &c in children {
                if let Some(slot) = depth.get_mut(c as usize) {
                    *slot = d + 1;
                }
            }
        }
    }
    let offsets: Vec<usize> = msg.parts.iter().map(|p| p.offset_header as usize).collect();
    let line_of = line_numbers(raw, &offsets);
    let mut parts = Vec::with_capacity(msg.parts.len());
    for (i, p) in msg.parts.iter().enumerate() {
        let ct = p.content_type();
        let lower = |s: &str| s.to_ascii_lowercase();
        let content_type = match ct {
            Some(c) => format!("{}/{}", lower(c.ctype()), lower(c.subtype().unwrap_or(""))),
            None => "text/plain".to_string(),
        };
        let disp = p.content_disposition();
        let header =
            p.offset_header as usize..(p.offset_body as usize).max(p.offset_header as usize);
        if i > 0 {
            for (s, e) in lines(raw, header.clone()) {
                if e - s > 998 {
                    let line = line_numbers(raw, &[s]).first().copied().unwrap_or(0);
                    long_lines.push(LongLine {
                        line,
                        offset: s,
                        len: e - s,
                    });
                }
            }
        }
        parts.push(Part {
            index: i,
            depth: depth.get(i).copied().unwrap_or(0),
            content_type,
            has_content_type: ct.is_some(),
            charset: ct.and_then(|c| c.attribute("charset")).map(str::to_string),
            name: ct.and_then(|c| c.attribute("name")).map(str::to_string),
            disposition: disp.map(|d| lower(d.ctype())),
            filename: disp
                .and_then(|d| d.attribute("filename"))
                .map(str::to_string),
            transfer_encoding: p.content_transfer_encoding().map(|t| lower(t.trim())),
            header,
            body: p.offset_body as usize..(p.offset_end as usize).max(p.offset_body as usize),
            line: line_of.get(i).copied().unwrap_or(1),
            is_multipart: matches!(p.body, PartType::Multipart(_)),
        });
    }
    let mut mailboxes = Vec::new();
    let lists: [(&'static str, Vec<&mail_parser::Address<'_>>); 3] = [
        ("From", msg.from().into_iter().collect()),
        ("To", msg.all_to().collect()),
        ("Cc", msg.all_cc().collect()),
    ];
    for (header, addrs) in lists {
        for a in addrs {
            for addr in a.iter() {
                if let Some(x) = addr.address() {
                    mailboxes.push(Mailbox {
                        address: x.to_string(),
                        header,
                    });
                }
            }
        }
    }
    Ok(Mail {
        raw,
        fields,
        body_start,
        long_lines,
        malformed_lines: malformed,
        endings,
        parts,
        part_count,
        subject: msg.subject().map(str::to_string),
        mailboxes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: a@x.mssante.fr\r\nTo: 279035121518989@patient.mssante.fr\r\nSubject: =?UTF-8?Q?XDM/1.0/DDM+R=C3=A9sum=C3=A9?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 =\r\nnoir\r\n--BB\r\nContent-Type: application/zip; name=\"IHE_XDM.zip\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"IHE_XDM.zip\"\r\n\r\nUEsDBA==\r\n--BB--\r\n";

    #[test]
    fn parses_fields_parts_and_subject() {
        let m = parse(MSG, &Limits::default()).unwrap();
        assert_eq!(m.fields.len(), 5);
        assert_eq!(m.subject.as_deref(), Some("XDM/1.0/DDM+Résumé"));
        assert_eq!(m.parts.len(), 3);
        assert_eq!(m.parts[2].file_name(), Some("IHE_XDM.zip"));
        assert_eq!(m.parts[2].depth, 1);
        assert_eq!(m.parts[2].decode(MSG).unwrap(), b"PK\x03\x04");
        assert_eq!(m.parts[1].decode(MSG).unwrap(), "Café noir".as_bytes());
        assert_eq!(m.parts[1].line, 8);
        assert_eq!(m.endings, LineEndings::default());
        assert_eq!(m.recipients().next().unwrap().local(), "279035121518989");
    }

    #[test]
    fn bare_lf_and_long_lines_are_recorded() {
        let mut raw = b"From: a@b\nX-Long: ".to_vec();
        raw.extend(std::iter::repeat_n(b'x', 1000));
        raw.extend_from_slice(b"\r\n\r\nbody");
        let m = parse(&raw, &Limits::default()).unwrap();
        assert_eq!(m.endings.bare_lf, 1);
        assert_eq!(m.endings.first, Some((1, 9)));
        assert_eq!(m.long_lines.len(), 1);
        assert_eq!(m.long_lines[0].line, 2);
    }

    #[test]
    fn strict_base64() {
        assert!(decode_base64(b"UEsD\r\nBA==", 0).is_ok());
        assert!(matches!(
            decode_base64(b"UEsD*BA==", 10),
            Err(DecodeError::Base64 { offset: 14, .. })
        ));
        assert!(decode_base64(b"UEsDB", 0).is_err());
        assert!(decode_qp(b"=ZZ", 0).is_err());
    }

    #[test]
    fn too_many_parts_is_refused_before_parsing() {
        let mut s = String::from("From: a@b\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n");
        for _ in 0..10_000 {
            s.push_str("--b0\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        s.push_str("--b0--\r\n");
        let t = std::time::Instant::now();
        assert!(matches!(
            parse(s.as_bytes(), &Limits::default()),
            Err(MimeError::TooManyParts { .. })
        ));
        assert!(t.elapsed().as_secs() < 2);
        let mut s = String::from("From: a@b\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n");
        for i in 0..40 {
            s.push_str(&format!(
                "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                i + 1
            ));
        }
        assert!(matches!(
            parse(s.as_bytes(), &Limits::default()),
            Err(MimeError::TooDeep { .. })
        ));
    }

    #[test]
    fn not_a_message() {
        assert!(matches!(
            parse(b"\r\nbody only", &Limits::default()),
            Err(MimeError::NotMessage(_))
        ));
    }
}
