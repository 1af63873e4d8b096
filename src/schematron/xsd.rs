//! XSD validation of a CDA document against the kit's `infrastructure/cda/CDA_extended.xsd`, with
//! libxml2 (the validator `xmllint --schema` uses) through the `libxml` crate's safe API.
//!
//! The kit README ("How ANS runs it") puts XSD validation first: a document the schema rejects is not
//! conformant, whatever the schematrons say. We run the same engine as `xmllint`, so the verdict and the
//! error lines are xmllint's (pinned by `tests/xsd.rs` against the real `xmllint` on every CDA sample).
//!
//! Security contract:
//! - the document never reaches libxml2 raw: it goes through our hardened decoding first
//!   ([`crate::formats::xml::decode`] + [`crate::formats::xml::parse`]: size, depth, node and attribute
//!   limits, encoding rules, any `<!DOCTYPE …>` blanked out with lines preserved). libxml2 then parses the
//!   decoded UTF-8 text with network access off (`XML_PARSE_NONET`) and without DTD loading or entity
//!   substitution (neither `XML_PARSE_DTDLOAD` nor `XML_PARSE_NOENT` is set): no XXE, no fetch;
//! - the schema is the kit's, read from local files: before libxml2 compiles it, every
//!   `xs:include`/`xs:import`/`xs:redefine` `schemaLocation` reachable from the root file is resolved by
//!   us, and a remote location (`http:`, `ftp:`…), an absolute path or a missing file is refused with an
//!   [`XsdSetupError`] that names the file. libxml2 therefore only ever opens files of the kit folder.
//!
//! Thread safety: a compiled [`XsdValidator`] wraps a libxml2 validation context, which libxml2 documents
//! as single-threaded; the type is neither `Send` nor `Sync` (the compiler enforces it). Compile one per
//! thread; [`validate_xsd`] does exactly that, keeping one validator per thread and per schema path.
//! libxml2's global initialisation is done once by the `libxml` crate (`std::sync::Once`).
//!
//! Known limit: libxml2 2.9 stores element line numbers on 16 bits unless `XML_PARSE_BIG_LINES` is set,
//! which the `libxml` crate does not expose: an error beyond line 65,535 is reported at line 65,535,
//! as `xmllint` without `--big-lines` does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use libxml::parser::{Parser, ParserOptions};
use libxml::schemas::{SchemaParserContext, SchemaValidationContext};

use crate::formats::xml;
use crate::limits::Limits;

/// Where the CDA schema is in an ANS kit folder (kit README: "`infrastructure/cda/` — the CDA R2 schema
/// with the French extensions").
pub const KIT_XSD: &str = "infrastructure/cda/CDA_extended.xsd";

/// Most errors kept for one document: a broken generator can produce one error per element, and a
/// report of a million lines helps nobody. The last entry then says how many were dropped.
pub const MAX_ERRORS: usize = 1_000;

/// Most schema files followed from the root schema (the kit's CDA schema has 19).
const MAX_SCHEMA_FILES: usize = 500;

/// One reason the document does not conform to the schema (the document's fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XsdError {
    /// 1-based line in the document; 0 when libxml2 gives none.
    pub line: u32,
    /// 1-based column; 0 when unknown (libxml2's schema validator reports lines only).
    pub column: u32,
    /// libxml2's message, e.g. `Element '{urn:hl7-org:v3}foo': This element is not expected. …`.
    pub message: String,
}

/// The schema could not be set up: the kit's or the operator's fault, never the document's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XsdSetupError {
    /// The schema file, or a file it includes, does not exist.
    #[error("schema file {path} not found{}", from_file(.from))]
    Missing {
        /// The missing file.
        path: PathBuf,
        /// The schema file whose `schemaLocation` names it, if any.
        from: Option<PathBuf>,
    },
    /// A schema file could not be read.
    #[error("cannot read schema file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `schemaLocation` points outside the local files (a URL or an absolute path): refused so that
    /// validation never touches the network.
    #[error("schema file {file} refers to {location}: only relative local files are allowed (offline validation)")]
    NotLocal {
        /// The schema file holding the reference.
        file: PathBuf,
        /// The `schemaLocation` as written.
        location: String,
    },
    /// A schema file is not well-formed XML.
    #[error("schema file {file} is not well-formed: {message}")]
    Unparsable {
        /// The schema file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// Too many schema files reachable from the root one.
    #[error("schema {root} pulls in more than {limit} files")]
    TooManyFiles {
        /// The root schema.
        root: PathBuf,
        /// [`MAX_SCHEMA_FILES`].
        limit: usize,
    },
    /// The path cannot be handed to libxml2 (not UTF-8, or holds a NUL byte).
    #[error("schema path {0} is not valid UTF-8 or contains a NUL byte")]
    BadPath(PathBuf),
    /// libxml2 refused to compile the schema.
    #[error("libxml2 could not compile schema {path}: {}", .messages.join("; "))]
    Compile {
        /// The root schema.
        path: PathBuf,
        /// libxml2's error messages.
        messages: Vec<String>,
    },
}

fn from_file(from: &Option<PathBuf>) -> String {
    match from {
        Some(f) => format!(" (schemaLocation in {})", f.display()),
        None => String::new(),
    }
}

/// A compiled XSD schema, reusable for any number of documents on the thread that compiled it.
pub struct XsdValidator {
    path: PathBuf,
    /// libxml2's validation context (owns the compiled schema); `validate_document` needs `&mut`.
    ctx: RefCell<SchemaValidationContext>,
    limits: Limits,
}

impl std::fmt::Debug for XsdValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XsdValidator")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl XsdValidator {
    /// Compiles the schema at `xsd` (and every file it includes or imports, all local), with the
    /// default [`Limits`] for the documents it will validate.
    pub fn new(xsd: &Path) -> Result<XsdValidator, XsdSetupError> {
        XsdValidator::with_limits(xsd, Limits::default())
    }

    /// The CDA schema of the kit folder `kit_dir` ([`KIT_XSD`]).
    pub fn for_kit(kit_dir: &Path) -> Result<XsdValidator, XsdSetupError> {
        XsdValidator::new(&kit_dir.join(KIT_XSD))
    }

    /// As [`XsdValidator::new`], with explicit limits for the documents.
    pub fn with_limits(xsd: &Path, limits: Limits) -> Result<XsdValidator, XsdSetupError> {
        check_local_closure(xsd)?;
        let path_str = xsd
            .to_str()
            .filter(|s| !s.contains('\0'))
            .ok_or_else(|| XsdSetupError::BadPath(xsd.to_path_buf()))?;
        let mut parser = SchemaParserContext::from_file(path_str);
        let ctx = SchemaValidationContext::from_parser(&mut parser).map_err(|errors| {
            XsdSetupError::Compile {
                path: xsd.to_path_buf(),
                messages: errors
                    .into_iter()
                    .filter_map(|e| e.message.map(|m| m.trim().to_string()))
                    .collect(),
            }
        })?;
        Ok(XsdValidator {
            path: xsd.to_path_buf(),
            ctx: RefCell::new(ctx),
            limits,
        })
    }

    /// The root schema file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Validates one document. `Ok(vec![])` means valid; every problem with the document itself (not
    /// well-formed, refused by our limits, not schema-valid) is an [`XsdError`] with its line.
    pub fn validate(&self, doc: &[u8]) -> Vec<XsdError> {
        // Our hardened decoding first: limits, encoding, DOCTYPE blanked (lines kept).
        let text = match xml::decode(doc, &self.limits) {
            Ok(t) => t,
            Err(e) => return vec![from_xml_error(&e)],
        };
        if let Err(e) = xml::parse(&text, &self.limits) {
            return vec![from_xml_error(&e)];
        }
        let options = ParserOptions {
            no_net: true,
            // The text is UTF-8 now, whatever its declaration says.
            encoding: Some("UTF-8"),
            ..ParserOptions::default()
        };
        let document =
            match Parser::default().parse_string_with_options(text.text.as_bytes(), options) {
                Ok(d) => d,
                Err(e) => {
                    return vec![XsdError {
                        line: 0,
                        column: 0,
                        message: format!("libxml2 could not parse the document: {e:?}"),
                    }]
                }
            };
        let mut ctx = self.ctx.borrow_mut();
        let result = ctx.validate_document(&document);
        // Warnings are not verdicts (xmllint prints them but still says "validates").
        let errors = match result {
            Ok(()) => Vec::new(),
            Err(errors) => errors,
        };
        let mut out: Vec<XsdError> = Vec::new();
        let mut dropped = 0usize;
        for e in errors {
            if matches!(e.level, libxml::error::XmlErrorLevel::Warning) {
                continue;
            }
            if out.len() >= MAX_ERRORS {
                dropped += 1;
                continue;
            }
            out.push(XsdError {
                line: e.line.and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
                column: e.col.and_then(|c| u32::try_from(c).ok()).unwrap_or(0),
                message: e
                    .message
                    .map(|m| m.trim_end().to_string())
                    .unwrap_or_else(|| "schema validation failed (no message from libxml2)".into()),
            });
        }
        if dropped > 0 {
            out.push(XsdError {
                line: 0,
                column: 0,
                message: format!("{dropped} more schema errors not listed (limit {MAX_ERRORS})"),
            });
        }
        out
    }
}

fn from_xml_error(e: &xml::XmlError) -> XsdError {
    let (line, column) = e.position().unwrap_or((0, 0));
    XsdError {
        line,
        column,
        message: format!("not well-formed or refused before schema validation: {e}"),
    }
}

thread_local! {
    /// One compiled validator per schema path, per thread (a validator is not `Send`).
    static VALIDATORS: RefCell<HashMap<PathBuf, Rc<XsdValidator>>> = RefCell::new(HashMap::new());
}

/// Validates `doc` against the schema at `xsd`, compiling it on first use on this thread and reusing it
/// afterwards (see the module's thread-safety note). The cache is keyed by path: a schema edited on disk
/// while the process runs is not recompiled.
pub fn validate_xsd(doc: &[u8], xsd: &Path) -> Result<Vec<XsdError>, XsdSetupError> {
    let cached = VALIDATORS.with(|v| v.borrow().get(xsd).cloned());
    let validator = match cached {
        Some(v) => v,
        None => {
            let v = Rc::new(XsdValidator::new(xsd)?);
            VALIDATORS.with(|m| m.borrow_mut().insert(xsd.to_path_buf(), Rc::clone(&v)));
            v
        }
    };
    Ok(validator.validate(doc))
}

/// Walks the `schemaLocation` graph from `root` and refuses anything that is not a local, relative,
/// existing file, so that libxml2 never resolves a URL (its schema parser opens `schemaLocation`s with the default
/// entity loader, which would fetch one).
fn check_local_closure(root: &Path) -> Result<(), XsdSetupError> {
    if !root.is_file() {
        return Err(XsdSetupError::Missing {
            path: root.to_path_buf(),
            from: None,
        });
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut todo: Vec<PathBuf> =
        vec![
            std::fs::canonicalize(root).map_err(|source| XsdSetupError::Io {
                path: root.to_path_buf(),
                source,
            })?,
        ];
    while let Some(file) = todo.pop() {
        if seen.contains(&file) {
            continue;
        }
        if seen.len() >= MAX_SCHEMA_FILES {
            return Err(XsdSetupError::TooManyFiles {
                root: root.to_path_buf(),
                limit: MAX_SCHEMA_FILES,
            });
        }
        let text = std::fs::read_to_string(&file).map_err(|source| XsdSetupError::Io {
            path: file.clone(),
            source,
        })?;
        check_doctype(&file, &text)?;
        let opts = roxmltree::ParsingOptions {
            // The W3C's XMLSchema.xsd carries an internal DTD subset (entities only); roxmltree never
            // loads an external subset.
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = roxmltree::Document::parse_with_options(&text, opts).map_err(|e| {
            XsdSetupError::Unparsable {
                file: file.clone(),
                message: e.to_string(),
            }
        })?;
        let dir = file.parent().unwrap_or(Path::new("."));
        for node in doc.descendants().filter(|n| {
            n.tag_name().namespace() == Some("http://www.w3.org/2001/XMLSchema")
                && matches!(
                    n.tag_name().name(),
                    "include" | "import" | "redefine" | "override"
                )
        }) {
            let Some(loc) = node.attribute("schemaLocation") else {
                continue;
            };
            if !is_relative_local(loc) {
                return Err(XsdSetupError::NotLocal {
                    file: file.clone(),
                    location: loc.to_string(),
                });
            }
            let target = dir.join(loc);
            // Canonical, so that `a/../b` and `b` are one file (the W3C schemas import each other).
            match std::fs::canonicalize(&target) {
                Ok(t) if t.is_file() => todo.push(t),
                _ => {
                    return Err(XsdSetupError::Missing {
                        path: target,
                        from: Some(file.clone()),
                    })
                }
            }
        }
        seen.push(file);
    }
    Ok(())
}

/// A `schemaLocation` or DTD system id we let libxml2 open: relative, no scheme, no absolute path.
fn is_relative_local(loc: &str) -> bool {
    let has_scheme = loc.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    !has_scheme && !loc.starts_with('/') && !loc.starts_with('\\') && !loc.contains('\0')
}

/// Refuses a schema whose DOCTYPE names a non-local external subset (libxml2 does not load it without
/// `XML_PARSE_DTDLOAD`, but a kit that asks for a URL is not one we trust to be offline).
fn check_doctype(file: &Path, text: &str) -> Result<(), XsdSetupError> {
    let Some(start) = text.find("<!DOCTYPE") else {
        return Ok(());
    };
    let head = &text[start..];
    let head = &head[..head.find(['[', '>']).unwrap_or(head.len())];
    let mut quoted: Vec<&str> = head.split(['"', '\'']).skip(1).step_by(2).collect();
    if head.contains("PUBLIC") && !quoted.is_empty() {
        // The public id (XMLSchema.xsd: "-//W3C//DTD XMLSCHEMA 200102//EN") is a name, not a location.
        quoted.remove(0);
    }
    for quoted in quoted {
        if !is_relative_local(quoted) {
            return Err(XsdSetupError::NotLocal {
                file: file.to_path_buf(),
                location: quoted.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_local_locations_are_followed() {
        assert!(is_relative_local("schema/xml.xsd"));
        assert!(is_relative_local("../general/datatypes.xsd"));
        assert!(!is_relative_local("http://www.w3.org/2001/xml.xsd"));
        assert!(!is_relative_local("file:///etc/passwd"));
        assert!(!is_relative_local("/etc/passwd"));
    }

    #[test]
    fn doctype_with_remote_system_id_is_refused() {
        let f = Path::new("x.xsd");
        assert!(check_doctype(f, "<!DOCTYPE xs:schema PUBLIC \"-//W3C//DTD XMLSCHEMA 200102//EN\" \"XMLSchema.dtd\" [ ]><a/>").is_ok());
        assert!(check_doctype(f, "<!DOCTYPE a SYSTEM \"http://evil/x.dtd\"><a/>").is_err());
    }
}
