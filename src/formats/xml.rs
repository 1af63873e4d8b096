//! XML bytes → a decoded text and a read-only tree with positions (roxmltree), hardened.
//!
//! Input contract (what is kept, refused or reported):
//! - The encoding is taken from the byte-order mark, else from the XML declaration, else UTF-8
//!   (W3C XML 1.0 §4.3.3, Appendix F). A BOM that contradicts the declaration, bytes invalid in the
//!   declared encoding, or an unknown encoding label are errors with the byte offset.
//! - A `<!DOCTYPE …>` is never processed: it is blanked out (offsets and lines preserved) and reported;
//!   entity references it would have declared then fail as unknown entities. No external entity, no
//!   entity expansion, hence no XXE and no billion laughs.
//! - Size, depth, node count and attribute length are bounded by [`Limits`], each with its own error.
//!
//! Offsets are byte offsets into the original bytes (the BOM included) when the input is UTF-8, into the
//! decoded text otherwise; line:column is computed only when a finding is written.

use std::borrow::Cow;
use std::ops::Range;

use crate::limits::Limits;

/// Why an XML input was refused. Every variant is the document's fault (the system under test).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The input exceeds [`Limits::max_xml_bytes`].
    #[error("document too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Input size.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The input is empty (or only a BOM and white space).
    #[error("empty document")]
    Empty,
    /// The bytes do not decode in the (declared or detected) encoding.
    #[error("invalid {encoding} byte sequence at byte {offset} ({line}:{column})")]
    Encoding {
        /// Encoding used to decode.
        encoding: String,
        /// Offset of the first invalid byte.
        offset: usize,
        /// 1-based line of that byte.
        line: u32,
        /// 1-based column (in bytes) of that byte.
        column: u32,
    },
    /// The byte-order mark and the declared encoding disagree.
    #[error("byte-order mark says {bom} but the XML declaration says encoding=\"{declared}\"")]
    EncodingContradiction {
        /// Encoding of the BOM.
        bom: String,
        /// Declared encoding.
        declared: String,
    },
    /// The declared encoding is not one we know.
    #[error("unknown encoding \"{0}\"")]
    UnknownEncoding(String),
    /// The document is not well-formed.
    #[error("{message} at {line}:{column}")]
    Syntax {
        /// Parser message.
        message: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// Elements nest deeper than [`Limits::max_xml_depth`].
    #[error("elements nested deeper than {limit} levels at {line}:{column}")]
    TooDeep {
        /// Configured limit.
        limit: usize,
        /// Line of the first too-deep element.
        line: u32,
        /// Column.
        column: u32,
    },
    /// More nodes than [`Limits::max_xml_nodes`].
    #[error("more than {limit} XML nodes")]
    TooManyNodes {
        /// Configured limit.
        limit: u32,
    },
    /// An attribute value longer than [`Limits::max_xml_attr_len`].
    #[error("attribute '{name}' of {len} bytes at {line}:{column} exceeds the {limit}-byte limit")]
    AttributeTooLong {
        /// Attribute name.
        name: String,
        /// Its length.
        len: usize,
        /// Configured limit.
        limit: usize,
        /// Line.
        line: u32,
        /// Column.
        column: u32,
    },
}

impl XmlError {
    /// Position of the error, when it has one: (line, column, byte offset).
    pub fn position(&self) -> Option<(u32, u32)> {
        match self {
            XmlError::Syntax { line, column, .. }
            | XmlError::TooDeep { line, column, .. }
            | XmlError::AttributeTooLong { line, column, .. }
            | XmlError::Encoding { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    /// Byte offset of the error, for encoding errors.
    pub fn offset(&self) -> Option<usize> {
        match self {
            XmlError::Encoding { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// True for encoding problems (CDA-WF-012) rather than syntax ones (CDA-WF-010).
    pub fn is_encoding(&self) -> bool {
        matches!(
            self,
            XmlError::Encoding { .. }
                | XmlError::EncodingContradiction { .. }
                | XmlError::UnknownEncoding(_)
        )
    }
}

/// Byte-order mark found at the start of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bom {
    /// `EF BB BF`.
    Utf8,
    /// `FF FE`.
    Utf16Le,
    /// `FE FF`.
    Utf16Be,
}

/// Decoded XML text plus what was learnt while decoding it.
#[derive(Debug, Clone)]
pub struct XmlText<'a> {
    /// The text handed to the tree parser (borrowed when the input is UTF-8).
    pub text: Cow<'a, str>,
    /// Byte-order mark, if any.
    pub bom: Option<Bom>,
    /// The `encoding=` of the XML declaration, as written.
    pub declared_encoding: Option<String>,
    /// Whether an XML declaration is present.
    pub has_declaration: bool,
    /// Byte range of a blanked-out `<!DOCTYPE …>`, in `text`.
    pub doctype: Option<Range<usize>>,
    /// Offset to add to a position in `text` to get a byte offset in the input (the BOM length for UTF-8).
    pub base_offset: usize,
}

/// Reads the XML declaration's `encoding` pseudo-attribute from the first bytes (ASCII-compatible).
fn declaration(head: &[u8]) -> (bool, Option<String>) {
    let head = &head[..head.len().min(512)];
    let Some(rest) = head.strip_prefix(b"<?xml") else {
        return (false, None);
    };
    let end = rest
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(rest.len());
    let decl = String::from_utf8_lossy(&rest[..end]);
    let enc = decl.find("encoding").and_then(|i| {
        let after = decl[i + 8..].trim_start().strip_prefix('=')?.trim_start();
        let q = after.chars().next()?;
        if q != '"' && q != '\'' {
            return None;
        }
        let v = &after[1..];
        v.find(q).map(|e| v[..e].to_string())
    });
    (true, enc)
}

/// Decodes `bytes` per the XML encoding rules, blanking any DOCTYPE.
pub fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<XmlText<'a>, XmlError> {
    if bytes.len() > limits.max_xml_bytes {
        return Err(XmlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_xml_bytes,
        });
    }
    let (bom, body) = if let Some(b) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (Some(Bom::Utf8), b)
    } else if let Some(b) = bytes.strip_prefix(b"\xFF\xFE") {
        (Some(Bom::Utf16Le), b)
    } else if let Some(b) = bytes.strip_prefix(b"\xFE\xFF") {
        (Some(Bom::Utf16Be), b)
    } else {
        (None, bytes)
    };
    let mut out = match bom {
        Some(Bom::Utf16Le) | Some(Bom::Utf16Be) => {
            let enc = if bom == Some(Bom::Utf16Le) {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            let (text, had_errors) = enc.decode_without_bom_handling(body);
            if had_errors {
                let at = text.find('\u{FFFD}').unwrap_or(0);
                let (line, column) = line_col(text[..at].as_bytes());
                return Err(XmlError::Encoding {
                    encoding: enc.name().into(),
                    offset: at * 2 + 2,
                    line,
                    column,
                });
            }
            let (has, declared) = declaration(text.as_bytes());
            if let Some(d) = &declared {
                if !d.to_ascii_lowercase().starts_with("utf-16") {
                    return Err(XmlError::EncodingContradiction {
                        bom: enc.name().into(),
                        declared: d.clone(),
                    });
                }
            }
            XmlText {
                text: Cow::Owned(text.into_owned()),
                bom,
                declared_encoding: declared,
                has_declaration: has,
                doctype: None,
                base_offset: 0,
            }
        }
        _ => {
            let (has, declared) = declaration(body);
            let label = declared.as_deref().map(str::to_ascii_lowercase);
            let base_offset = bytes.len() - body.len();
            match label.as_deref() {
                None | Some("utf-8") | Some("utf8") => {
                    let text = std::str::from_utf8(body).map_err(|e| {
                        let (line, column) = line_col(&body[..e.valid_up_to()]);
                        XmlError::Encoding {
                            encoding: "UTF-8".into(),
                            offset: base_offset + e.valid_up_to(),
                            line,
                            column,
                        }
                    })?;
                    XmlText {
                        text: Cow::Borrowed(text),
                        bom,
                        declared_encoding: declared,
                        has_declaration: has,
                        doctype: None,
                        base_offset,
                    }
                }
                Some(l) => {
                    let enc = encoding_rs::Encoding::for_label(l.as_bytes()).ok_or_else(|| {
                        XmlError::UnknownEncoding(declared.clone().unwrap_or_default())
                    })?;
                    if bom == Some(Bom::Utf8) {
                        return Err(XmlError::EncodingContradiction {
                            bom: "UTF-8".into(),
                            declared: declared.unwrap_or_default(),
                        });
                    }
                    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                        // UTF-16 declared on bytes that start with the ASCII "<?xml": contradiction.
                        return Err(XmlError::EncodingContradiction {
                            bom: "none (8-bit bytes)".into(),
                            declared: declared.unwrap_or_default(),
                        });
                    }
                    let (text, _, had_errors) = enc.decode(body);
                    if had_errors {
                        let offset = text.find('\u{FFFD}').unwrap_or(0);
                        let (line, column) = line_col(text[..offset].as_bytes());
                        return Err(XmlError::Encoding {
                            encoding: enc.name().into(),
                            offset,
                            line,
                            column,
                        });
                    }
                    XmlText {
                        text: Cow::Owned(text.into_owned()),
                        bom,
                        declared_encoding: declared,
                        has_declaration: has,
                        doctype: None,
                        base_offset: 0,
                    }
                }
            }
        }
    };
    if out.text.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    if let Some(range) = find_doctype(&out.text) {
        let mut owned = out.text.into_owned();
        // Blank the declaration with spaces, keeping line ends so that positions stay true.
        let blank: String = owned[range.clone()]
            .chars()
            .map(|c| if c == '\n' || c == '\r' { c } else { ' ' })
            .collect();
        // `blank` may be shorter in bytes than the original if it held multi-byte characters: pad.
        let pad = range.len() - blank.len();
        owned.replace_range(range.clone(), &(blank + &" ".repeat(pad)));
        out.text = Cow::Owned(owned);
        out.doctype = Some(range);
    }
    Ok(out)
}

/// Finds `<!DOCTYPE … >` (with its internal subset) before the root element.
fn find_doctype(text: &str) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let mut i = 0;
    // Skip the prolog: declaration, comments, PIs, white space.
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"<?") {
            i += text[i..].find("?>")? + 2;
        } else if b[i..].starts_with(b"<!--") {
            i += text[i..].find("-->")? + 3;
        } else {
            break;
        }
    }
    if !b[i..].starts_with(b"<!DOCTYPE") {
        return None;
    }
    let start = i;
    let (mut quote, mut depth) = (0u8, 0usize);
    let mut j = i + 9;
    while j < b.len() {
        let c = b[j];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'[' {
            depth += 1;
        } else if c == b']' {
            depth = depth.saturating_sub(1);
        } else if c == b'>' && depth == 0 {
            return Some(start..j + 1);
        }
        j += 1;
    }
    Some(start..b.len())
}

/// Parses decoded text into a read-only tree and enforces depth, node and attribute limits.
pub fn parse<'t>(
    text: &'t XmlText<'_>,
    limits: &Limits,
) -> Result<roxmltree::Document<'t>, XmlError> {
    // roxmltree's tokenizer recurses once per nesting level: refuse deep documents before it runs.
    if let Some(offset) = too_deep_at(&text.text, limits.max_xml_depth) {
        let (line, column) = line_col_at(&text.text, offset);
        return Err(XmlError::TooDeep {
            limit: limits.max_xml_depth,
            line,
            column,
        });
    }
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_xml_nodes,
    };
    let doc = roxmltree::Document::parse_with_options(&text.text, opts).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes {
            limit: limits.max_xml_nodes,
        },
        // roxmltree places these at 1:1; the useful place is where the input stops.
        roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
            let (line, column) = end_position(&text.text);
            XmlError::Syntax {
                message: syntax_message(&e),
                line,
                column,
            }
        }
        e => {
            let p = e.pos();
            XmlError::Syntax {
                message: syntax_message(&e),
                line: p.row,
                column: p.col,
            }
        }
    })?;
    // Depth and attribute length, in one iterative pass (no recursion on untrusted nesting).
    let mut depth: Vec<u32> =
        vec![0; doc.descendants().count().min(limits.max_xml_nodes as usize) + 1];
    for node in doc.descendants() {
        let d = node.parent().map_or(0, |p| depth[p.id().get_usize()]) + 1;
        depth[node.id().get_usize()] = d;
        if !node.is_element() {
            continue;
        }
        if d as usize > limits.max_xml_depth {
            let p = doc.text_pos_at(node.range().start);
            return Err(XmlError::TooDeep {
                limit: limits.max_xml_depth,
                line: p.row,
                column: p.col,
            });
        }
        for a in node.attributes() {
            if a.value().len() > limits.max_xml_attr_len {
                let p = doc.text_pos_at(a.range().start);
                return Err(XmlError::AttributeTooLong {
                    name: a.name().to_string(),
                    len: a.value().len(),
                    limit: limits.max_xml_attr_len,
                    line: p.row,
                    column: p.col,
                });
            }
        }
    }
    Ok(doc)
}

/// 1-based line and byte column of the position just after `before`.
fn line_col(before: &[u8]) -> (u32, u32) {
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&c| c != b'\n').count() + 1;
    (line as u32, col as u32)
}

/// 1-based line and column just after the last character of `text`.
fn end_position(text: &str) -> (u32, u32) {
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, col as u32)
}

/// Byte offset of the first start tag nested deeper than `max`, found by a linear scan that skips
/// comments, CDATA sections, processing instructions, declarations and quoted attribute values.
/// Malformed markup is left for the parser to report.
fn too_deep_at(text: &str, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    // core's substring search (SIMD for short needles): a 50 KB comment is common. `from` is always
    // just after an ASCII delimiter, so a char boundary; `pat` is ASCII.
    let find = |from: usize, pat: &[u8]| {
        let pat = std::str::from_utf8(pat).ok()?;
        text.get(from..)?.find(pat).map(|p| from + p + pat.len())
    };
    let (mut i, mut depth) = (0usize, 0usize);
    while i < b.len() {
        if b[i] != b'<' {
            // To the next markup (memchr); `i` is past an ASCII byte, a char boundary.
            match text.get(i..).and_then(|t| t.find('<')) {
                Some(p) => i += p,
                None => break,
            }
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = find(i + 4, b"-->")?;
        } else if rest.starts_with(b"<![CDATA[") {
            i = find(i + 9, b"]]>")?;
        } else if rest.starts_with(b"<?") {
            i = find(i + 2, b"?>")?;
        } else if rest.starts_with(b"<!") {
            i = find(i + 2, b">")?;
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = find(i + 2, b">")?;
        } else {
            let start = i;
            let mut j = i + 1;
            let mut quote = 0u8;
            while j < b.len() && (quote != 0 || b[j] != b'>') {
                match b[j] {
                    q @ (b'"' | b'\'') if quote == 0 => quote = q,
                    q if q == quote => quote = 0,
                    _ => {}
                }
                j += 1;
            }
            if j >= b.len() {
                return None;
            }
            if b[j - 1] != b'/' {
                depth += 1;
                if depth > max {
                    return Some(start);
                }
            }
            i = j + 1;
        }
    }
    None
}

/// 1-based line and column (in characters) of a byte offset; for errors only.
fn line_col_at(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.bytes().filter(|&c| c == b'\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, col as u32)
}

/// roxmltree's message without its trailing "at L:C" (we print the position ourselves).
fn syntax_message(e: &roxmltree::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at ") {
        Some(i) if s[i + 4..].contains(':') => s[..i].to_string(),
        _ => s,
    }
}

/// Namespace of CDA R2.
pub const NS_HL7: &str = "urn:hl7-org:v3";
/// Namespace of the HL7 SDTC extensions.
pub const NS_SDTC: &str = "urn:hl7-org:sdtc";

/// An XPath-like path of a node for reports: `/ClinicalDocument/recordTarget/patientRole/id[2]`.
/// Indices are given when an element has same-named siblings (1-based, as XPath).
pub fn node_path(node: roxmltree::Node<'_, '_>) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        if n.is_element() {
            let name = n.tag_name().name();
            let same: Vec<_> = n
                .parent()
                .map(|p| {
                    p.children()
                        .filter(|c| c.is_element() && c.tag_name() == n.tag_name())
                        .collect()
                })
                .unwrap_or_default();
            if same.len() > 1 {
                let idx = same.iter().position(|c| *c == n).unwrap_or(0) + 1;
                parts.push(format!("{name}[{idx}]"));
            } else {
                parts.push(name.to_string());
            }
        }
        cur = n.parent();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// The start tag of an element (`<id root="…" extension="…"/>`), truncated, for snippets.
pub fn start_tag<'t>(node: roxmltree::Node<'_, 't>, source: &'t str) -> String {
    let r = node.range();
    let s = &source[r.start..r.end.min(source.len())];
    let end = if node.is_element() {
        s.find('>').map_or(s.len(), |i| i + 1)
    } else {
        s.len()
    };
    truncate(&s[..end], 240)
}

/// Truncates on a char boundary, appending "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> XmlError {
        let l = Limits::default();
        match decode(bytes, &l) {
            Err(e) => e,
            Ok(t) => parse(&t, &l).expect_err("should fail"),
        }
    }

    #[test]
    fn bom_and_declaration_agree_or_fail() {
        let l = Limits::default();
        let t = decode(
            b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>",
            &l,
        )
        .unwrap();
        assert_eq!(t.bom, Some(Bom::Utf8));
        assert_eq!(t.base_offset, 3);
        assert!(matches!(
            err(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"),
            XmlError::EncodingContradiction { .. }
        ));
    }

    #[test]
    fn invalid_utf8_reports_offset() {
        assert_eq!(
            err(b"<a>\xFF</a>"),
            XmlError::Encoding {
                encoding: "UTF-8".into(),
                offset: 3,
                line: 1,
                column: 4
            }
        );
    }

    #[test]
    fn latin1_is_decoded() {
        let l = Limits::default();
        let t = decode(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9</a>",
            &l,
        )
        .unwrap();
        let d = parse(&t, &l).unwrap();
        assert_eq!(d.root_element().text(), Some("é"));
    }

    #[test]
    fn doctype_is_blanked_and_entities_fail() {
        let bomb = b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<a>&lol2;</a>";
        assert!(matches!(err(bomb), XmlError::Syntax { line: 3, .. }));
        let xxe = b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
        assert!(matches!(err(xxe), XmlError::Syntax { .. }));
        let l = Limits::default();
        let t = decode(b"<!DOCTYPE a><a/>", &l).unwrap();
        assert_eq!(t.doctype, Some(0..12));
        assert!(parse(&t, &l).is_ok());
    }

    #[test]
    fn depth_and_attribute_limits() {
        let l = Limits {
            max_xml_depth: 10,
            max_xml_attr_len: 8,
            ..Limits::default()
        };
        let deep = "<a>".repeat(11) + &"</a>".repeat(11);
        let t = decode(deep.as_bytes(), &l).unwrap();
        assert!(matches!(
            parse(&t, &l),
            Err(XmlError::TooDeep { limit: 10, .. })
        ));
        let t = decode(b"<a b=\"123456789\"/>", &l).unwrap();
        assert!(matches!(
            parse(&t, &l),
            Err(XmlError::AttributeTooLong { len: 9, .. })
        ));
    }

    #[test]
    fn paths_index_same_named_siblings() {
        let l = Limits::default();
        let t = decode(b"<r><id/><id x=\"1\"/></r>", &l).unwrap();
        let d = parse(&t, &l).unwrap();
        let n = d
            .descendants()
            .find(|n| n.attribute("x").is_some())
            .unwrap();
        assert_eq!(node_path(n), "/r/id[2]");
        assert_eq!(start_tag(n, &t.text), "<id x=\"1\"/>");
    }
}
