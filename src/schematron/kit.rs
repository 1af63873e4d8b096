//! The kit folder and the ANS procedure (kit README): Structuration minimale, then the volet chosen from
//! the document's `ClinicalDocument/templateId`, then the three generic profiles. XSD validation is the
//! other half of the procedure (`KIT:XSD`, elsewhere).
//!
//! The kit ships no mapping table: it is built at load time from the folder — the file name
//! `CI-SIS_<VOLET>_<VERSION>.sch` gives volet and version, the `templateId[@root = '…']` tests of its
//! rules on `ClinicalDocument` give the roots. A document's volet is the one whose roots are all among
//! the document's templateIds (the most specific when several match); its version is the one named by
//! the templateId's `extension`, else the oldest.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::eval::{location, DocRun};
use super::load::{load_schema, LineIndex};
use super::model::Schema;
use super::xpath::{doc_literals, file_uri, Engine, SchemaCtx};
use super::{cache, KitError, KitOutcome, NotEvaluated};
use crate::limits::Limits;

/// Structuration minimale, relative to the schematron folder.
pub const STRUCT_MIN: &str = "profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch";
/// The three generic profiles the ANS CI runs after the volet.
pub const PROFILES: [&str; 3] = [
    "profils/CI-SIS_Modeles_ANS.sch",
    "profils/CI-SIS_ModelesDeContenusCDA.sch",
    "profils/IHE.sch",
];
/// Roots every French CDA carries (Structuration minimale, HL7 France): they select no volet.
const GENERIC_ROOTS: [&str; 2] = ["1.2.250.1.213.1.1.1.1", "2.16.840.1.113883.2.8.2.1"];

/// One row of the templateId → volet table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoletEntry {
    /// Volet (`BIO-CR-BIO`).
    pub volet: String,
    /// Version (`2024.01`).
    pub version: String,
    /// File, relative to the schematron folder.
    pub file: String,
    /// The `ClinicalDocument/templateId` roots its rules require.
    pub roots: Vec<String>,
    schema: usize,
}

/// A loaded kit: every schematron parsed and expanded, value sets read, the volet table built.
#[derive(Debug)]
pub struct Kit {
    /// The kit folder.
    pub dir: PathBuf,
    /// SHA-256 of the kit's schematron and value-set files (names and contents).
    pub hash: String,
    /// The templateId → volet table, sorted by volet then version.
    pub volets: Vec<VoletEntry>,
    /// Kit defects found at load time (missing includes and value sets), each once.
    pub defects: Vec<String>,
    schemas: Vec<Schema>,
    preload: Arc<Vec<(String, String)>>,
}

fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `CI-SIS_<VOLET>_<VERSION>.sch` → (volet, version).
pub fn parse_volet_name(name: &str) -> Option<(String, String)> {
    let stem = name.strip_prefix("CI-SIS_")?.strip_suffix(".sch")?;
    let (volet, version) = stem.rsplit_once('_')?;
    Some((volet.to_string(), version.to_string()))
}

/// Literal roots in `templateId[@root = 'X']` / `templateId/@root = 'X'` of a test.
fn template_roots(test: &str, out: &mut Vec<String>) {
    // Compiled once (it was compiled per test: 6 % of a cold run).
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"templateId\s*(?:\[\s*@root\s*=\s*|/@root\s*=\s*)['"]([0-9.]+)['"]"#)
            .expect("static regex")
    });
    for c in RE.captures_iter(test) {
        let r = c[1].to_string();
        if !GENERIC_ROOTS.contains(&r.as_str()) && !out.contains(&r) {
            out.push(r);
        }
    }
}

fn is_document_context(ctx: &str) -> bool {
    let last = ctx.rsplit('/').next().unwrap_or("");
    let last = last.split('[').next().unwrap_or("").trim();
    last.ends_with(":ClinicalDocument") || last == "ClinicalDocument"
}

impl Kit {
    /// Loads a kit folder (the folder holding `schematrons/` and `jeuxDeValeurs/`, or `schematrons/`
    /// itself): parses and expands every schematron, reads the value sets they name, builds the volet
    /// table, and compiles the expressions of Structuration minimale on this thread.
    pub fn load(dir: &Path) -> Result<Kit, KitError> {
        let sch_root = if dir.join("schematrons").is_dir() {
            dir.join("schematrons")
        } else {
            dir.to_path_buf()
        };
        if !sch_root.join(STRUCT_MIN).is_file() {
            return Err(KitError::NotAKit(dir.display().to_string()));
        }
        // Content hash: every file under schematrons/ and jeuxDeValeurs/.
        let mut files = Vec::new();
        walk_files(&sch_root, &mut files);
        walk_files(&dir.join("jeuxDeValeurs"), &mut files);
        let mut h = Sha256::new();
        for f in &files {
            h.update(
                f.strip_prefix(dir)
                    .unwrap_or(f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            h.update(std::fs::read(f).map_err(|e| KitError::Io {
                path: f.display().to_string(),
                source: e,
            })?);
        }
        let hash = hex::encode(h.finalize());

        let mut schemas = vec![load_schema(&sch_root, &sch_root.join(STRUCT_MIN))?];
        for p in PROFILES {
            let path = sch_root.join(p);
            if path.is_file() {
                schemas.push(load_schema(&sch_root, &path)?);
            }
        }
        let mut volets = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(&sch_root)
            .map_err(|e| KitError::Io {
                path: sch_root.display().to_string(),
                source: e,
            })?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| parse_volet_name(n).is_some())
            .collect();
        names.sort();
        let mut defects = Vec::new();
        for n in names {
            let Some((volet, version)) = parse_volet_name(&n) else {
                continue;
            };
            let schema = match load_schema(&sch_root, &sch_root.join(&n)) {
                Ok(s) => s,
                Err(e) => {
                    defects.push(format!("{e}: volet not available"));
                    continue;
                }
            };
            let mut roots = Vec::new();
            for r in schema.patterns.iter().flat_map(|p| &p.rules) {
                if is_document_context(&r.context) {
                    for c in &r.checks {
                        template_roots(&c.test, &mut roots);
                    }
                }
            }
            volets.push(VoletEntry {
                volet,
                version,
                file: schema.file.clone(),
                roots,
                schema: schemas.len(),
            });
            schemas.push(schema);
        }
        volets.sort_by(|a, b| (&a.volet, &a.version).cmp(&(&b.volet, &b.version)));

        // Value sets: every literal doc()/document() target, resolved against its schematron file.
        let mut preload = Vec::new();
        let mut seen = HashSet::new();
        for s in &schemas {
            defects.extend(s.defects.iter().cloned());
            let mut exprs: Vec<&str> = s.globals().map(|l| l.value.as_str()).collect();
            for r in s.patterns.iter().flat_map(|p| &p.rules) {
                exprs.extend(r.lets.iter().map(|l| l.value.as_str()));
                exprs.extend(r.checks.iter().map(|c| c.test.as_str()));
            }
            let dir = s.path.parent().unwrap_or(Path::new("."));
            for e in exprs {
                for (recoverable, lit) in doc_literals(e) {
                    let path = dir.join(&lit);
                    let uri = file_uri(&path);
                    if !seen.insert(uri.clone()) {
                        continue;
                    }
                    match std::fs::read_to_string(&path) {
                        Ok(t) => preload.push((uri, t.trim_start_matches('\u{feff}').to_string())),
                        Err(_) => {
                            let hint = case_twin(&path)
                                .map(|t| {
                                    format!(" (a file differing only by letter case exists: {t})")
                                })
                                .unwrap_or_default();
                            if recoverable {
                                defects.push(format!(
                                    "{} reads {lit} with document(), which the kit does not ship{hint}: read as an empty sequence, as Saxon recovers",
                                    s.file
                                ));
                                preload.push((uri, "<dui-conform-missing-document/>".to_string()));
                            } else {
                                defects.push(format!(
                                    "{} reads {lit} with doc(), which the kit does not ship{hint}: the asserts reading it are not evaluated",
                                    s.file
                                ));
                            }
                        }
                    }
                }
            }
        }
        let kit = Kit {
            dir: dir.to_path_buf(),
            hash,
            volets,
            defects,
            schemas,
            preload: Arc::new(preload),
        };
        // Compile Structuration minimale now: load errors show at load time, and the first document
        // does not pay for it.
        if let Ok(engine) = kit.engine() {
            let mut e = engine.borrow_mut();
            let s = &kit.schemas[0];
            let ctx = kit.ctx(0);
            for l in s.globals() {
                let _ = e.compile(&ctx, &l.value);
            }
            for r in s.patterns.iter().flat_map(|p| &p.rules) {
                for l in &r.lets {
                    let _ = e.compile(&ctx, &l.value);
                }
                for c in &r.checks {
                    // A test in the native subset is never compiled by xee (eval.rs, native.rs).
                    if e.native(&ctx, &c.test).is_none() {
                        let _ = e.compile(&ctx, &c.test);
                    }
                }
            }
        }
        Ok(kit)
    }

    fn engine(&self) -> Result<std::rc::Rc<std::cell::RefCell<Engine>>, String> {
        let preload = self.preload.clone();
        cache::engine(&self.hash, move || Engine::new(preload.to_vec()))
    }

    fn ctx(&self, i: usize) -> SchemaCtx<'_> {
        SchemaCtx {
            index: i,
            ns: &self.schemas[i].ns,
            base_uri: file_uri(&self.schemas[i].path),
            dir: self.schemas[i]
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        }
    }

    /// Number of loaded schemas, rules and asserts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut r, mut c) = (0, 0);
        for s in &self.schemas {
            let (a, b) = s.counts();
            r += a;
            c += b;
        }
        (self.schemas.len(), r, c)
    }

    /// Expressions compiled so far on this thread.
    pub fn compiled_on_this_thread(&self) -> usize {
        self.engine().map(|e| e.borrow().compiled()).unwrap_or(0)
    }

    /// The volet for a document's `ClinicalDocument/templateId`s (root, extension).
    pub fn select_volet(&self, template_ids: &[(String, Option<String>)]) -> Option<&VoletEntry> {
        let roots: HashSet<&str> = template_ids.iter().map(|(r, _)| r.as_str()).collect();
        let best = self
            .volets
            .iter()
            .filter(|v| !v.roots.is_empty() && v.roots.iter().all(|r| roots.contains(r.as_str())))
            .map(|v| v.roots.len())
            .max()?;
        // Volets with that many roots, all satisfied: one volet, several versions.
        let cands: Vec<&VoletEntry> = self
            .volets
            .iter()
            .filter(|v| v.roots.len() == best && v.roots.iter().all(|r| roots.contains(r.as_str())))
            .collect();
        let volet = &cands.first()?.volet;
        let versions: Vec<&VoletEntry> = cands
            .iter()
            .copied()
            .filter(|v| &v.volet == volet)
            .collect();
        let ext: Vec<&str> = template_ids
            .iter()
            .filter(|(r, _)| versions[0].roots.contains(r))
            .filter_map(|(_, e)| e.as_deref())
            .collect();
        versions
            .iter()
            .find(|v| ext.contains(&v.version.as_str()))
            .or_else(|| versions.first())
            .copied()
    }

    /// The ANS procedure on one document (schematron part).
    pub fn check(&self, cda_bytes: &[u8]) -> KitOutcome {
        self.check_only(cda_bytes, |_| true)
    }

    /// As [`Kit::check`], applying only the schematrons (files relative to the schematron folder)
    /// `keep` accepts: e.g. Structuration minimale alone.
    pub fn check_only(&self, cda_bytes: &[u8], keep: impl Fn(&str) -> bool) -> KitOutcome {
        let mut out = KitOutcome::default();
        let limits = Limits::default();
        let text = match crate::formats::xml::decode(cda_bytes, &limits) {
            Ok(t) => t,
            Err(e) => {
                out.defects.push(format!("document not decoded: {e}"));
                return out;
            }
        };
        let rox = match crate::formats::xml::parse(&text, &limits) {
            Ok(d) => d,
            Err(e) => {
                out.defects.push(format!("document not well-formed: {e}"));
                return out;
            }
        };
        let root_el = rox.root_element();
        let tids: Vec<(String, Option<String>)> = root_el
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "templateId")
            .filter_map(|c| {
                Some((
                    c.attribute("root")?.to_string(),
                    c.attribute("extension").map(str::to_string),
                ))
            })
            .collect();
        let mut order = vec![0usize];
        match self.select_volet(&tids) {
            Some(v) => order.push(v.schema),
            None => out.defects.push(
                "no volet schematron matches the document's templateIds: Structuration minimale and the generic profiles only"
                    .to_string(),
            ),
        }
        order.extend(1..=PROFILES.len().min(self.schemas.len() - 1));
        order.retain(|&i| keep(&self.schemas[i].file));
        let engine = match self.engine() {
            Ok(e) => e,
            Err(e) => {
                out.defects.push(format!("value sets not loaded: {e}"));
                return out;
            }
        };
        let mut e = engine.borrow_mut();
        let root = match e.add_document(&text.text) {
            Ok(r) => r,
            Err(err) => {
                out.not_evaluated.push(NotEvaluated {
                    schematron: String::new(),
                    at: "document".into(),
                    reason: err,
                });
                return out;
            }
        };
        let mut fired = Vec::new();
        {
            let mut run = DocRun::new(&mut e, root);
            for i in order {
                out.schematrons.push(self.schemas[i].file.clone());
                let ctx = self.ctx(i);
                run.run(&ctx, &self.schemas[i], &mut fired, &mut out.not_evaluated);
            }
        }
        let xot = e.documents.xot();
        let lines = LineIndex::new(rox.input_text());
        for (mut a, node) in fired {
            let (loc, idx) = location(xot, node);
            a.location = loc;
            let mut n = rox.root();
            let mut found = true;
            for i in idx {
                match n.children().filter(|c| c.is_element()).nth(i) {
                    Some(c) => n = c,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if found {
                a.line = Some(lines.line(n.range().start));
            }
            out.asserts.push(a);
        }
        out
    }

    /// The templateId table as text lines (for `kit info`).
    pub fn table(&self) -> BTreeMap<String, Vec<&VoletEntry>> {
        let mut m: BTreeMap<String, Vec<&VoletEntry>> = BTreeMap::new();
        for v in &self.volets {
            m.entry(v.volet.clone()).or_default().push(v);
        }
        m
    }
}

/// A file in the same folder whose name differs from `path`'s by letter case only.
fn case_twin(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    std::fs::read_dir(path.parent()?)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.to_lowercase() == name)
}

/// The kit's outcome on a CDA as findings of `dui-conform validate`: requirement `KIT:<schematron file
/// name>`, the assert's own message, its location; errors fail, warnings/infos warn/inform. Constructs
/// not evaluated give a warning per schematron (never a pass); kit defects an info.
pub fn findings(kit: &Kit, bytes: &[u8]) -> Vec<crate::model::Finding> {
    use crate::model::{Finding, Level, Location, Msg, Verdict};
    let o = kit.check(bytes);
    let short = &kit.hash[..12.min(kit.hash.len())];
    let name = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let mut out = Vec::new();
    for a in &o.asserts {
        let (level, verdict) = if a.is_error {
            (Level::Must, Verdict::Fail)
        } else if a
            .role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("info") || r == "I")
        {
            (Level::Info, Verdict::Info)
        } else {
            (Level::Should, Verdict::Warning)
        };
        let kind = match a.kind {
            super::AssertKind::FailedAssert => "failed-assert",
            super::AssertKind::SuccessfulReport => "successful-report",
        };
        out.push(Finding {
            requirement: format!("KIT:{}", name(&a.schematron)),
            level,
            verdict,
            message: Msg::new(
                format!("[kit officiel ANS {short}, {kind} {}] {}", a.source, a.text),
                format!("[official ANS kit {short}, {kind} {}] {}", a.source, a.text),
            ),
            location: Location {
                line: a.line,
                path: Some(a.location.clone()),
                ..Location::default()
            },
            snippet: None,
            personal: Vec::new(),
        });
    }
    let mut by_file: BTreeMap<&str, Vec<&NotEvaluated>> = BTreeMap::new();
    for n in &o.not_evaluated {
        by_file.entry(n.schematron.as_str()).or_default().push(n);
    }
    for (file, ns) in by_file {
        let first = ns[0];
        out.push(Finding {
            requirement: format!("KIT:{}", name(file)),
            level: Level::Should,
            verdict: Verdict::Warning,
            message: Msg::new(
                format!(
                    "[kit officiel ANS {short}] {} construction(s) non évaluée(s) par le moteur natif (ni réussite ni échec), p. ex. {} : {}",
                    ns.len(), first.at, first.reason
                ),
                format!(
                    "[official ANS kit {short}] {} construct(s) not evaluated by the native engine (neither pass nor fail), e.g. {}: {}",
                    ns.len(), first.at, first.reason
                ),
            ),
            location: Location::default(),
            snippet: None,
            personal: Vec::new(),
        });
    }
    for d in &o.defects {
        out.push(Finding {
            requirement: "KIT:DEFECT".to_string(),
            level: Level::Info,
            verdict: Verdict::Info,
            message: Msg::new(
                format!("[kit officiel ANS {short}] {d}"),
                format!("[official ANS kit {short}] {d}"),
            ),
            location: Location::default(),
            snippet: None,
            personal: Vec::new(),
        });
    }
    out
}
