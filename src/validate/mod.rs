//! The validation engine behind `dui-conform validate`: detect each artifact's kind from its content,
//! parse it, run the checks of its domains, and descend into what it carries (message → XDM zip →
//! metadata → each CDA), so that every finding is located down to the nested entry.
//!
//! Every function here takes bytes and returns results; nothing panics on input, and reading files is
//! the caller's job ([`validate_path`] is the one place that touches the file system).

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::checks::{self, Sink};
use crate::formats::cda::Cda;
use crate::formats::xml;
use crate::limits::Limits;
use crate::model::{ArtifactKind, ArtifactResult, Finding, Location, Msg};

pub mod mime;
pub mod xdm;
pub mod xds;

/// Where the artifacts are going: a few rules apply only to DMP submissions (DMP value sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Offline validation: an ITI-41 capture is judged as a DMP submission, anything else generically.
    #[default]
    Offline,
    /// A submission received by the DMP simulator.
    Dmp,
}

/// Options of a validation run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Parser limits.
    pub limits: Limits,
    /// Destination context.
    pub target: Target,
    /// The official ANS CDA kit, when configured (`--kit DIR`): each CDA also gets its findings.
    pub kit: Option<std::sync::Arc<crate::schematron::Kit>>,
    /// Runs the kit's XSD validation on a thread of its own, beside the schematrons: set by
    /// [`validate_path`] when a core would otherwise idle (fewer files than cores). The XSD schema is
    /// then compiled on that thread for each document (libxml2's validator is per thread), which is
    /// what a single document costs anyway; the documents of an archive stay sequential (xdm.rs).
    pub xsd_beside: bool,
}

/// Why an input could not be validated at all (exit code 2): the configuration's or the file system's
/// fault, never the artifact's (a bad artifact gets findings).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A path could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is larger than [`Limits::max_file_bytes`].
    #[error("{path}: {size} bytes exceeds the {limit}-byte limit for one file")]
    TooLarge {
        /// The path.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A path given on the command line does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(String),
}

/// SHA-256 in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Detects the kind of an artifact from its first bytes (and, for XML, its root element).
///
/// Never a silent pass: an empty input, or text that starts like XML but has no root element to be
/// found, is judged as a CDA document — the tool's main XML artifact — so that it fails
/// well-formedness (CDA-WF-010, or CDA-WF-012 for an encoding fault) instead of passing unnoticed.
pub fn detect_kind(bytes: &[u8]) -> ArtifactKind {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return ArtifactKind::Xdm;
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        // UTF-16 (with its BOM): only XML is expected in UTF-16 here.
        return match root_name(bytes) {
            Some((ns, local)) => xml_kind(&ns, &local),
            None => ArtifactKind::Cda,
        };
    }
    let trimmed = trim_bom_ws(head);
    if trimmed.is_empty() {
        return ArtifactKind::Cda;
    }
    if trimmed.starts_with(b"{") {
        return ArtifactKind::Fhir;
    }
    if trimmed.starts_with(b"<") {
        return match root_name(bytes) {
            Some((ns, local)) => xml_kind(&ns, &local),
            None => ArtifactKind::Cda,
        };
    }
    // An HTTP capture of a SOAP request: request line or HTTP headers, then a SOAP or MTOM body.
    let first_line = trimmed.split(|&c| c == b'\n').next().unwrap_or_default();
    let http_request = (first_line.starts_with(b"POST ") || first_line.starts_with(b"PUT "))
        && contains(first_line, b" HTTP/1.");
    let soapish = contains(head, b"application/soap+xml") || contains(head, b"application/xop+xml");
    if http_request || (soapish && !looks_like_mime_message(head)) {
        return ArtifactKind::Iti41;
    }
    if looks_like_mime(head) {
        return ArtifactKind::Mime;
    }
    // An MTOM capture starts with a MIME boundary line.
    if trimmed.starts_with(b"--") && contains(head, b"application/xop+xml") {
        return ArtifactKind::Iti41;
    }
    ArtifactKind::Unknown
}

fn xml_kind(ns: &str, local: &str) -> ArtifactKind {
    match (ns, local) {
        ("urn:hl7-org:v3", "ClinicalDocument") => ArtifactKind::Cda,
        (_, "ClinicalDocument") => ArtifactKind::Cda, // wrong namespace: CDA-WF-011 says so
        ("urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0", "SubmitObjectsRequest") => {
            ArtifactKind::XdsMetadata
        }
        ("urn:ihe:iti:xds-b:2007", "ProvideAndRegisterDocumentSetRequest") => ArtifactKind::Iti41,
        (_, "Envelope") => ArtifactKind::Iti41,
        ("http://hl7.org/fhir", _) => ArtifactKind::Fhir,
        _ => ArtifactKind::Xml,
    }
}

fn contains(h: &[u8], needle: &[u8]) -> bool {
    h.windows(needle.len()).any(|w| w == needle)
}

fn trim_bom_ws(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// A mail message (rather than an HTTP capture) has originator fields.
fn looks_like_mime_message(head: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    ["\nfrom:", "\nsubject:", "\nmessage-id:", "\ndate:"]
        .iter()
        .any(|h| lower.starts_with(&h[1..]) || lower.contains(h))
}

/// A MIME message starts with header fields (`Name: value`) and has a blank line.
fn looks_like_mime(head: &[u8]) -> bool {
    let first = head.split(|&c| c == b'\n').next().unwrap_or(&[]);
    let Some(colon) = first.iter().position(|&c| c == b':') else {
        return false;
    };
    let name = &first[..colon];
    !name.is_empty()
        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "mime-version",
            "return-path",
            "received",
            "x-",
            "content-type",
            "delivered-to",
            "reply-to",
            "cc",
            "sender",
        ]
        .iter()
        .any(|h| {
            String::from_utf8_lossy(name)
                .to_ascii_lowercase()
                .starts_with(h)
        })
}

/// Namespace and local name of the root element, read with a tolerant scan of the first 64 KiB (no
/// full decode: a document with an encoding error is still recognised, and then reported as such).
fn root_name(bytes: &[u8]) -> Option<(String, String)> {
    let head = &bytes[..bytes.len().min(64 << 10)];
    use std::borrow::Cow;
    let owned: Cow<'_, str> = if let Some(b) = head.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(
            encoding_rs::UTF_16LE
                .decode_without_bom_handling(b)
                .0
                .into_owned(),
        )
    } else if let Some(b) = head.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(
            encoding_rs::UTF_16BE
                .decode_without_bom_handling(b)
                .0
                .into_owned(),
        )
    } else {
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        // Valid UTF-8 (the usual case, perhaps cut mid-character by the 64 KiB bound) is borrowed,
        // not copied: the lossy conversion walks byte by byte.
        match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) if e.error_len().is_none() => {
                Cow::Borrowed(std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default())
            }
            Err(_) => Cow::Owned(String::from_utf8_lossy(body).into_owned()),
        }
    };
    let s = &*owned;
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        let rest = &s[i..];
        if rest.starts_with("<?") {
            i += rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            i += rest.find("-->")? + 3;
        } else if rest.starts_with("<!DOCTYPE") {
            // Skip an internal subset too.
            let end = rest
                .find("]>")
                .map(|e| e + 2)
                .or_else(|| rest.find('>').map(|e| e + 1))?;
            i += end;
        } else if rest.starts_with("<!") {
            i += rest.find('>')? + 1;
        } else if rest.starts_with('<') {
            let end = rest.find('>').unwrap_or(rest.len());
            let tag = &rest[1..end];
            let name = tag.split(|c: char| c.is_whitespace() || c == '/').next()?;
            let (prefix, local) = name.split_once(':').map_or(("", name), |(p, l)| (p, l));
            let attr = if prefix.is_empty() {
                "xmlns=".to_string()
            } else {
                format!("xmlns:{prefix}=")
            };
            let ns = tag.find(&attr).and_then(|p| {
                let v = &tag[p + attr.len()..];
                let q = v.chars().next()?;
                let v = &v[q.len_utf8()..];
                v.find(q).map(|e| v[..e].to_string())
            });
            return Some((ns.unwrap_or_default(), local.to_string()));
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    None
}

/// Validates one artifact given as bytes; returns it and every artifact nested in it.
pub fn validate_bytes(path: &str, bytes: &[u8], opts: &Options) -> Vec<ArtifactResult> {
    validate_nested(path, None, bytes, opts)
}

/// As [`validate_bytes`], for an artifact nested in `parent`.
pub fn validate_nested(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    opts: &Options,
) -> Vec<ArtifactResult> {
    match detect_kind(bytes) {
        ArtifactKind::Cda => vec![validate_cda(path, parent, bytes, opts)],
        ArtifactKind::Xdm => xdm::validate(path, parent, bytes, opts),
        ArtifactKind::XdsMetadata | ArtifactKind::Iti41 => xds::validate(path, parent, bytes, opts),
        ArtifactKind::Mime => mime::validate(path, parent, bytes, opts),
        kind => vec![unsupported(path, parent, bytes, kind)],
    }
}

/// An artifact we do not validate (yet): one informative finding says so.
fn unsupported(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    kind: ArtifactKind,
) -> ArtifactResult {
    let msg = match kind {
        ArtifactKind::Fhir => Msg::new(
            "Ressource FHIR : la validation FHIR n'est pas encore disponible dans cette version",
            "FHIR resource: FHIR validation is not available in this version yet",
        ),
        ArtifactKind::Xml => Msg::new(
            "XML d'un type inconnu (ni CDA, ni métadonnées XDS, ni SOAP ITI-41) : non validé",
            "XML of an unknown kind (not CDA, XDS metadata nor ITI-41 SOAP): not validated",
        ),
        _ => Msg::new(
            "Type d'artefact non reconnu (ni XML, ni zip XDM, ni message MIME) : non validé",
            "Unrecognised artifact (not XML, an XDM zip nor a MIME message): not validated",
        ),
    };
    let mut r = result(
        path,
        parent,
        bytes,
        kind,
        vec![Finding {
            requirement: "UNSUPPORTED".into(),
            level: crate::model::Level::Info,
            verdict: crate::model::Verdict::NotApplicable,
            message: msg,
            location: Location::default(),
            snippet: None,
            personal: Vec::new(),
            kit: None,
        }],
    );
    // Not validated is not conformant: the artifact is counted apart, never as passed.
    r.verdict = crate::model::Verdict::NotApplicable;
    r
}

/// Assembles an [`ArtifactResult`].
pub fn result(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    kind: ArtifactKind,
    findings: Vec<Finding>,
) -> ArtifactResult {
    result_hashed(path, parent, bytes, kind, findings, sha256_hex(bytes))
}

/// [`result`] when the caller has already hashed `bytes` (`sha256`, lowercase hex).
pub fn result_hashed(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    kind: ArtifactKind,
    findings: Vec<Finding>,
    sha256: String,
) -> ArtifactResult {
    ArtifactResult {
        path: path.to_string(),
        kind,
        sha256,
        size: bytes.len() as u64,
        verdict: ArtifactResult::compute_verdict(&findings),
        parent: parent.map(str::to_string),
        findings,
    }
}

/// Runs every CDA check on a parsed CDA (no well-formedness part): header, body, level 1, medico-social
/// models, INS and identifiers. Used for standalone documents and for documents nested in packages.
pub fn check_cda(cda: &Cda<'_, '_>, sink: &mut Sink) {
    checks::cda::encoding(cda.text, sink);
    checks::cda::document(cda, sink);
    checks::cda_ms::check(cda, sink);
    checks::identity::check_cda(cda, sink);
}

/// Validates a CDA document given as bytes.
pub fn validate_cda(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    opts: &Options,
) -> ArtifactResult {
    let text = xml::decode(bytes, &opts.limits);
    let doc = text.as_ref().ok().map(|t| xml::parse(t, &opts.limits));
    let findings = parsed_cda_findings(bytes, &text, doc.as_ref(), opts, &mut |_| {});
    result(path, parent, bytes, ArtifactKind::Cda, findings)
}

/// What a caller of [`xds::validate_parsed_iti41`] may look at in each carried CDA: its parsed tree
/// (whenever it is well-formed, whatever its root).
pub type OnCda<'f> = dyn FnMut(&roxmltree::Document<'_>) + 'f;

/// The findings of [`validate_cda`] on a CDA the caller has already decoded (`text`) and, when that
/// worked, parsed (`doc`): the same findings, without parsing the bytes again. `on_cda` sees the tree,
/// when there is one, before the checks.
pub fn parsed_cda_findings(
    bytes: &[u8],
    text: &Result<xml::XmlText<'_>, xml::XmlError>,
    doc: Option<&Result<roxmltree::Document<'_>, xml::XmlError>>,
    opts: &Options,
    on_cda: &mut OnCda<'_>,
) -> Vec<Finding> {
    if let Some(Ok(d)) = doc {
        on_cda(d);
    }
    let mut sink = Sink::new();
    let (xsd, kit_findings) = match &opts.kit {
        Some(kit) if opts.xsd_beside => std::thread::scope(|scope| {
            let xsd = scope.spawn(|| crate::schematron::xsd_findings(kit, bytes));
            with_parsed_cda(text, doc, &mut sink, check_cda);
            let k = crate::schematron::kit::findings(kit, bytes);
            // A panic there is a bug of ours: surfaced as one.
            let x = xsd.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (Some(x), k)
        }),
        Some(kit) => {
            with_parsed_cda(text, doc, &mut sink, check_cda);
            let x = crate::schematron::xsd_findings(kit, bytes);
            (Some(x), crate::schematron::kit::findings(kit, bytes))
        }
        None => {
            with_parsed_cda(text, doc, &mut sink, check_cda);
            (None, Vec::new())
        }
    };
    #[cfg(feature = "xsd")]
    if let Some(xsd) = &xsd {
        xsd_verdict(&mut sink, xsd);
    }
    let mut findings = sink.finish();
    findings.extend(xsd.unwrap_or_default());
    findings.extend(kit_findings);
    findings
}

/// CDA-BODY-011 (the document is valid against the kit's extended CDA schema) judged by the `KIT:XSD`
/// findings when the schema could run: a pass, or a violation at the first schema error. When the kit's
/// schema could not be set up the rule stays "non vérifié" (the check's own not-applicable finding).
#[cfg(feature = "xsd")]
fn xsd_verdict(sink: &mut Sink, xsd: &[crate::model::Finding]) {
    let errors: Vec<_> = xsd
        .iter()
        .filter(|f| f.verdict == crate::model::Verdict::Fail)
        .collect();
    // A warning: the schema could not run (kit defect), so the rule stays unverified.
    if xsd
        .iter()
        .any(|f| f.verdict == crate::model::Verdict::Warning)
    {
        return;
    }
    match errors.first() {
        None => sink.check("CDA-BODY-011"),
        Some(first) => {
            let n = errors.len();
            let (fr, en) = (&first.message.fr, &first.message.en);
            sink.violation(
                "CDA-BODY-011",
                first.location.clone(),
                crate::msg!(
                    "{n} erreur(s) de validation XSD contre CDA_extended.xsd (détail : findings KIT:XSD), la première : {fr}",
                    "{n} XSD validation error(s) against CDA_extended.xsd (details: KIT:XSD findings), the first: {en}"
                ),
            );
        }
    }
}

/// Decodes and parses `bytes` as a CDA and calls `f` with the view; reports CDA-WF-010/011/012 on the
/// sink when that is impossible (and then `f` is not called). Returns what `f` returned.
pub fn with_cda<R>(
    bytes: &[u8],
    opts: &Options,
    sink: &mut Sink,
    f: impl FnOnce(&Cda<'_, '_>, &mut Sink) -> R,
) -> Option<R> {
    let text = xml::decode(bytes, &opts.limits);
    let doc = text.as_ref().ok().map(|t| xml::parse(t, &opts.limits));
    with_parsed_cda(&text, doc.as_ref(), sink, f)
}

/// [`with_cda`] on the results of `xml::decode` and (when decoding worked) `xml::parse`.
fn with_parsed_cda<R>(
    text: &Result<xml::XmlText<'_>, xml::XmlError>,
    doc: Option<&Result<roxmltree::Document<'_>, xml::XmlError>>,
    sink: &mut Sink,
    f: impl FnOnce(&Cda<'_, '_>, &mut Sink) -> R,
) -> Option<R> {
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            checks::cda::not_wellformed(e, sink);
            return None;
        }
    };
    sink.set_part(None, text.base_offset);
    let doc = match doc {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            checks::cda::not_wellformed(e, sink);
            return None;
        }
        None => return None,
    };
    match Cda::new(doc, text) {
        Some(cda) => {
            sink.check("CDA-WF-011");
            Some(f(&cda, sink))
        }
        None => {
            let root = doc.root_element();
            let ns = root.tag_name().namespace().unwrap_or("");
            let name = root.tag_name().name();
            sink.violation(
                "CDA-WF-011",
                root,
                crate::msg!(
                    "L'élément racine est {{{ns}}}{name} : un document CDA a pour racine ClinicalDocument dans l'espace de noms urn:hl7-org:v3",
                    "The root element is {{{ns}}}{name}: a CDA document's root is ClinicalDocument in namespace urn:hl7-org:v3"
                ),
            );
            None
        }
    }
}

/// Reads and validates files and directories (walked recursively, sorted); `-` reads stdin.
pub fn validate_path(p: &str, opts: &Options) -> Result<Vec<ArtifactResult>, InputError> {
    if p == "-" {
        let mut buf = Vec::new();
        use std::io::Read;
        std::io::stdin()
            .take(opts.limits.max_file_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|source| InputError::Io {
                path: "-".into(),
                source,
            })?;
        if buf.len() as u64 > opts.limits.max_file_bytes {
            return Err(InputError::TooLarge {
                path: "-".into(),
                size: buf.len() as u64,
                limit: opts.limits.max_file_bytes,
            });
        }
        return Ok(validate_bytes("-", &buf, opts));
    }
    let path = Path::new(p);
    if !path.exists() {
        return Err(InputError::NotFound(p.to_string()));
    }
    let mut files = Vec::new();
    if path.is_dir() {
        for e in walkdir::WalkDir::new(path).sort_by_file_name() {
            let e = e.map_err(|e| InputError::Io {
                path: p.to_string(),
                source: e.into(),
            })?;
            if e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.') {
                files.push(e.into_path());
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    // Files are independent: validate them on every core, and report them in walk order.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(files.len()).max(1);
    // Fewer files than cores: a document's XSD validation takes a spare core.
    let beside;
    let opts = if workers < cores && opts.kit.is_some() {
        beside = Options {
            xsd_beside: true,
            ..opts.clone()
        };
        &beside
    } else {
        opts
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<Vec<ArtifactResult>, InputError>>> =
        (0..files.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        done.push((i, validate_file(f, opts)));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            // A panic in a worker is a bug of ours; surface it as one rather than lose the file.
            match h.join() {
                Ok(done) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                }
                Err(p) => std::panic::resume_unwind(p),
            }
        }
    });
    let mut out = Vec::new();
    for r in slots.into_iter().flatten() {
        out.extend(r?);
    }
    Ok(out)
}

/// Reads and validates one file (a zip is streamed from disk).
fn validate_file(f: &Path, opts: &Options) -> Result<Vec<ArtifactResult>, InputError> {
    let name = f.to_string_lossy().to_string();
    let io = |source| InputError::Io {
        path: name.clone(),
        source,
    };
    let meta = std::fs::metadata(f).map_err(io)?;
    if meta.len() > opts.limits.max_file_bytes {
        return Err(InputError::TooLarge {
            path: name,
            size: meta.len(),
            limit: opts.limits.max_file_bytes,
        });
    }
    let mut file = std::fs::File::open(f).map_err(io)?;
    let mut magic = [0u8; 4];
    let n = std::io::Read::read(&mut file, &mut magic).map_err(io)?;
    if magic[..n].starts_with(b"PK") {
        // A zip is read from disk entry by entry: a 100 MB package never sits in memory whole.
        std::io::Seek::rewind(&mut file).map_err(io)?;
        return Ok(xdm::validate_file(&name, file, opts));
    }
    drop(file);
    let bytes = std::fs::read(f).map_err(io)?;
    Ok(validate_bytes(&name, &bytes, opts))
}
