//! Loading a schematron file: `sch:include` resolved relative to the including file (an `href` is used
//! as written, then percent-decoded, so `E_observationTNM _fr.sch` is found), abstract rules spliced in
//! through `sch:extends`, abstract patterns instantiated through `is-a` with their `sch:param`s, `sch:let`
//! at schema, pattern and rule level, `sch:ns`, and the default phase (only its active patterns run).
//!
//! ISO/IEC 19757-3:2016 §5.4 (elements), §6.2–6.4 (include, abstract patterns and rules, phases).
//! Parsing uses roxmltree with DTDs refused; a missing include is a kit defect, reported and skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::model::{AssertKind, Check, Let, MsgPart, Pattern, Rule, Schema, SrcLoc};
use super::KitError;

/// ISO Schematron namespace.
pub const NS_SCH: &str = "http://purl.oclc.org/dsdl/schematron";

/// Maximum include depth and `extends` depth (a loop in the kit is a defect, not a stack overflow).
const MAX_DEPTH: usize = 16;
/// Largest schematron file read.
const MAX_FILE_BYTES: u64 = 32 << 20;

/// An owned element of the schematron tree, includes already replaced by what they include.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Child>,
    src: SrcLoc,
}

#[derive(Debug, Clone)]
enum Child {
    Elem(Node),
    Text(String),
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn elems(&self) -> impl Iterator<Item = &Node> {
        self.children.iter().filter_map(|c| match c {
            Child::Elem(n) => Some(n),
            Child::Text(_) => None,
        })
    }
}

/// Line numbers from byte offsets without rescanning the text each time (roxmltree's `text_pos_at`
/// counts from the start: quadratic over a 1 MB schematron).
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut v = vec![0];
        v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(v)
    }
    /// 1-based line of byte offset `pos`.
    pub fn line(&self, pos: usize) -> u32 {
        u32::try_from(self.0.partition_point(|&s| s <= pos)).unwrap_or(u32::MAX)
    }
    /// 1-based line and column (in characters) of byte offset `pos` of `text` (the indexed text).
    pub fn line_col(&self, text: &str, pos: usize) -> (u32, u32) {
        let n = self.0.partition_point(|&s| s <= pos);
        let start = self.0[n.saturating_sub(1)];
        let col = text
            .get(start..pos.min(text.len()))
            .map_or(0, |t| t.chars().count());
        (
            u32::try_from(n).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }
}

struct Loader<'k> {
    root: &'k Path,
    defects: Vec<String>,
    mentioned_roots: Vec<String>,
    /// Time spent reading files, and their bytes ([`super::timing`]).
    io: std::time::Duration,
    io_bytes: u64,
}

/// The CI-SIS document-model OIDs written in `text` (arc `1.2.250.1.213.1.1.1`, whole OIDs only).
fn document_model_oids(text: &str, out: &mut Vec<String>) {
    const ARC: &str = "1.2.250.1.213.1.1.1.";
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(p) = text[from..].find(ARC) {
        let start = from + p;
        from = start + ARC.len();
        if start > 0 && (b[start - 1].is_ascii_digit() || b[start - 1] == b'.') {
            continue;
        }
        let mut end = from;
        while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
            end += 1;
        }
        let oid = text[start..end].trim_end_matches('.');
        if oid.len() > ARC.len() && !out.iter().any(|o| o == oid) {
            out.push(oid.to_string());
        }
        from = end;
    }
}

/// `p` relative to the kit's schematron folder, `..` resolved lexically (`profils/../abstract/x.sch` →
/// `abstract/x.sch`): the file a location names.
fn rel(root: &Path, p: &Path) -> String {
    let Ok(p) = p.strip_prefix(root) else {
        return p.to_string_lossy().replace('\\', "/");
    };
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir if parts.last().is_some_and(|l| l != "..") => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// Percent-decodes an href (`%20` → space); invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves an `href` against the directory of `from`: as written first, then percent-decoded.
pub fn resolve_href(from: &Path, href: &str) -> PathBuf {
    let dir = from.parent().unwrap_or(Path::new("."));
    let direct = dir.join(href);
    if direct.exists() {
        return direct;
    }
    dir.join(percent_decode(href))
}

impl Loader<'_> {
    fn read(&mut self, path: &Path, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "include depth over {MAX_DEPTH} at {}",
                rel(self.root, path)
            ));
        }
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", rel(self.root, path)))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{}: larger than {MAX_FILE_BYTES} bytes",
                rel(self.root, path)
            ));
        }
        let t = super::timing::start();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", rel(self.root, path)))?;
        if let Some(t) = t {
            self.io += t.elapsed();
            self.io_bytes += text.len() as u64;
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let doc = roxmltree::Document::parse_with_options(
            text,
            roxmltree::ParsingOptions {
                allow_dtd: false,
                nodes_limit: 4_000_000,
            },
        )
        .map_err(|e| format!("{}: {e}", rel(self.root, path)))?;
        let file = rel(self.root, path);
        document_model_oids(text, &mut self.mentioned_roots);
        let lines = LineIndex::new(text);
        Ok(self.convert(doc.root_element(), &lines, path, &file, depth))
    }

    fn convert(
        &mut self,
        n: roxmltree::Node<'_, '_>,
        lines: &LineIndex,
        path: &Path,
        file: &str,
        depth: usize,
    ) -> Node {
        let line = lines.line(n.range().start);
        let mut node = Node {
            name: n.tag_name().name().to_string(),
            attrs: n
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect(),
            children: Vec::new(),
            src: SrcLoc {
                file: file.to_string(),
                line,
            },
        };
        for c in n.children() {
            if c.is_text() {
                node.children
                    .push(Child::Text(c.text().unwrap_or("").to_string()));
            } else if c.is_element() {
                let sch = c.tag_name().namespace() == Some(NS_SCH);
                if sch && c.tag_name().name() == "include" {
                    let href = c.attribute("href").unwrap_or("");
                    let target = resolve_href(path, href);
                    match self.read(&target, depth + 1) {
                        Ok(inc) => node.children.push(Child::Elem(inc)),
                        Err(e) => self.defects.push(format!(
                            "{file}:{}: sch:include href=\"{href}\" cannot be read ({e}); its rules are not applied",
                            lines.line(c.range().start)
                        )),
                    }
                } else if sch {
                    node.children
                        .push(Child::Elem(self.convert(c, lines, path, file, depth)));
                } else {
                    // Foreign markup in messages (xhtml…): keep its text only.
                    let t: String = c.descendants().filter_map(|d| d.text()).collect();
                    node.children.push(Child::Text(t));
                }
            }
        }
        node
    }
}

/// Collects abstract rules and patterns anywhere in the tree, by id.
fn collect<'n>(
    n: &'n Node,
    rules: &mut HashMap<String, &'n Node>,
    patterns: &mut HashMap<String, &'n Node>,
) {
    for c in n.elems() {
        if c.attr("abstract") == Some("true") {
            if let Some(id) = c.attr("id") {
                match c.name.as_str() {
                    "rule" => {
                        rules.entry(id.to_string()).or_insert(c);
                    }
                    "pattern" => {
                        patterns.entry(id.to_string()).or_insert(c);
                    }
                    _ => {}
                }
            }
        }
        collect(c, rules, patterns);
    }
}

/// `$name` → value, for every parameter (longest names first so `$a_b` is not cut by `$a`).
fn substitute(s: &str, params: &[(String, String)]) -> String {
    if params.is_empty() || !s.contains('$') {
        return s.to_string();
    }
    let mut out = s.to_string();
    for (name, value) in params {
        out = out.replace(&format!("${name}"), value);
    }
    out
}

struct Expander<'n> {
    rules: HashMap<String, &'n Node>,
    patterns: HashMap<String, &'n Node>,
    defects: Vec<String>,
}

impl Expander<'_> {
    fn message(&self, n: &Node, params: &[(String, String)]) -> Vec<MsgPart> {
        let mut parts = Vec::new();
        for c in &n.children {
            match c {
                Child::Text(t) => parts.push(MsgPart::Text(t.clone())),
                Child::Elem(e) => match e.name.as_str() {
                    "value-of" => parts.push(MsgPart::ValueOf(substitute(
                        e.attr("select").unwrap_or("."),
                        params,
                    ))),
                    "name" => {
                        parts.push(MsgPart::Name(e.attr("path").map(|p| substitute(p, params))))
                    }
                    _ => parts.extend(self.message(e, params)),
                },
            }
        }
        parts
    }

    /// The lets and checks of a rule body, `extends` spliced in place.
    fn rule_body(
        &mut self,
        n: &Node,
        params: &[(String, String)],
        lets: &mut Vec<Let>,
        checks: &mut Vec<Check>,
        depth: usize,
    ) {
        for c in n.elems() {
            match c.name.as_str() {
                "let" => lets.push(Let {
                    name: c.attr("name").unwrap_or("").to_string(),
                    value: substitute(c.attr("value").unwrap_or(""), params),
                }),
                "assert" | "report" => checks.push(Check {
                    kind: if c.name == "assert" {
                        AssertKind::FailedAssert
                    } else {
                        AssertKind::SuccessfulReport
                    },
                    test: substitute(c.attr("test").unwrap_or(""), params),
                    role: c.attr("role").map(str::to_string),
                    id: c.attr("id").map(str::to_string),
                    message: self.message(c, params),
                    src: c.src.clone(),
                }),
                "extends" => {
                    let Some(id) = c.attr("rule") else { continue };
                    match self.rules.get(id).copied() {
                        Some(r) if depth < MAX_DEPTH => {
                            self.rule_body(r, params, lets, checks, depth + 1)
                        }
                        Some(_) => self.defects.push(format!(
                            "{}: sch:extends rule=\"{id}\" nests too deep",
                            c.src
                        )),
                        None => self.defects.push(format!(
                            "{}: sch:extends rule=\"{id}\": no abstract rule has this id",
                            c.src
                        )),
                    }
                }
                _ => {}
            }
        }
    }

    fn pattern_body(&mut self, n: &Node, params: &[(String, String)], out: &mut Pattern) {
        for c in n.elems() {
            match c.name.as_str() {
                "let" => out.lets.push(Let {
                    name: c.attr("name").unwrap_or("").to_string(),
                    value: substitute(c.attr("value").unwrap_or(""), params),
                }),
                "rule" if c.attr("abstract") != Some("true") => {
                    let mut rule = Rule {
                        context: substitute(c.attr("context").unwrap_or(""), params),
                        lets: Vec::new(),
                        checks: Vec::new(),
                        src: c.src.clone(),
                    };
                    let (mut lets, mut checks) = (Vec::new(), Vec::new());
                    self.rule_body(c, params, &mut lets, &mut checks, 0);
                    rule.lets = lets;
                    rule.checks = checks;
                    out.rules.push(rule);
                }
                _ => {}
            }
        }
    }

    fn pattern(&mut self, n: &Node) -> Option<Pattern> {
        if n.attr("abstract") == Some("true") {
            return None;
        }
        let mut p = Pattern {
            id: n.attr("id").map(str::to_string),
            lets: Vec::new(),
            rules: Vec::new(),
        };
        if let Some(base) = n.attr("is-a") {
            let mut params: Vec<(String, String)> = n
                .elems()
                .filter(|c| c.name == "param")
                .map(|c| {
                    (
                        c.attr("name").unwrap_or("").to_string(),
                        c.attr("value").unwrap_or("").to_string(),
                    )
                })
                .collect();
            params.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
            match self.patterns.get(base).copied() {
                Some(a) => self.pattern_body(a, &params, &mut p),
                None => {
                    self.defects.push(format!(
                        "{}: pattern is-a=\"{base}\": no abstract pattern has this id",
                        n.src
                    ));
                    return None;
                }
            }
        } else {
            self.pattern_body(n, &[], &mut p);
        }
        Some(p)
    }
}

/// Every concrete pattern element of the tree, in document order (patterns may arrive through includes
/// at any depth of the schema element).
fn pattern_nodes<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    for c in n.elems() {
        if c.name == "pattern" {
            out.push(c);
        } else if c.name != "rule" {
            pattern_nodes(c, out);
        }
    }
}

/// Loads one schematron file of a kit: `root` is the kit's schematron folder (for file names in
/// locations), `path` the file.
pub fn load_schema(root: &Path, path: &Path) -> Result<Schema, KitError> {
    use super::timing::{self, Phase};
    let mut loader = Loader {
        root,
        defects: Vec::new(),
        mentioned_roots: Vec::new(),
        io: std::time::Duration::ZERO,
        io_bytes: 0,
    };
    let t = timing::start();
    let tree = loader
        .read(path, 0)
        .map_err(|reason| KitError::Schematron {
            file: rel(root, path),
            reason,
        })?;
    if let Some(t) = t {
        timing::add(Phase::SchRead, loader.io, loader.io_bytes);
        timing::add(Phase::SchParse, t.elapsed().saturating_sub(loader.io), 0);
    }
    let t = timing::start();
    let (mut rules, mut patterns) = (HashMap::new(), HashMap::new());
    collect(&tree, &mut rules, &mut patterns);
    let mut ex = Expander {
        rules,
        patterns,
        defects: Vec::new(),
    };
    let ns = tree
        .elems()
        .filter(|c| c.name == "ns")
        .map(|c| {
            (
                c.attr("prefix").unwrap_or("").to_string(),
                c.attr("uri").unwrap_or("").to_string(),
            )
        })
        .collect();
    let lets = tree
        .elems()
        .filter(|c| c.name == "let")
        .map(|c| Let {
            name: c.attr("name").unwrap_or("").to_string(),
            value: c.attr("value").unwrap_or("").to_string(),
        })
        .collect();
    // Default phase: only its active patterns run (ISO §6.5); `#ALL` or no phase = every pattern.
    let active: Option<Vec<String>> = tree
        .attr("defaultPhase")
        .filter(|p| *p != "#ALL")
        .and_then(|ph| {
            tree.elems()
                .find(|c| c.name == "phase" && c.attr("id") == Some(ph))
        })
        .map(|ph| {
            ph.elems()
                .filter(|c| c.name == "active")
                .filter_map(|c| c.attr("pattern").map(str::to_string))
                .collect()
        });
    let mut nodes = Vec::new();
    pattern_nodes(&tree, &mut nodes);
    let mut out = Vec::new();
    for n in nodes {
        if let Some(active) = &active {
            match n.attr("id") {
                Some(id) if active.iter().any(|a| a == id) => {}
                _ => continue,
            }
        }
        if let Some(p) = ex.pattern(n) {
            out.push(p);
        }
    }
    let mut defects = loader.defects;
    defects.extend(ex.defects);
    timing::end(Phase::Expand, t, 0);
    Ok(Schema {
        file: rel(root, path),
        path: path.to_path_buf(),
        ns,
        lets,
        patterns: out,
        defects,
        mentioned_roots: loader.mentioned_roots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_model_oids_are_read_whole_from_the_text() {
        let mut out = Vec::new();
        document_model_oids(
            "<!-- <assert test=\"cda:templateId[@root='1.2.250.1.213.1.1.1.55']\"> --> 11.2.250.1.213.1.1.1.3 \
             (1.2.250.1.213.1.1.1.5.4). 1.2.250.1.213.1.1.1.55",
            &mut out,
        );
        assert_eq!(
            out,
            vec!["1.2.250.1.213.1.1.1.55", "1.2.250.1.213.1.1.1.5.4"]
        );
    }

    #[test]
    fn file_names_are_relative_to_the_kit_and_normalised() {
        let root = Path::new("/kit/schematrons");
        assert_eq!(
            rel(
                root,
                Path::new("/kit/schematrons/profils/../abstract/x.sch")
            ),
            "abstract/x.sch"
        );
        assert_eq!(rel(root, Path::new("/elsewhere/y.sch")), "/elsewhere/y.sch");
    }
}
