//! The kit folder and the ANS procedure (kit README): Structuration minimale, then the volet chosen from
//! the document's `ClinicalDocument/templateId`, then the three generic profiles. XSD validation is the
//! other half of the procedure (`KIT:XSD`, elsewhere).
//!
//! The kit ships no mapping table (README, "How ANS runs it"): it is built at load time from the folder.
//! The file name `CI-SIS_<VOLET>_<VERSION>.sch` gives volet and version; the templateId tests of the
//! schematron (after include and abstract-pattern expansion) give the document model's roots: the
//! literals of the CI-SIS document-model arc `1.2.250.1.213.1.1.1.*` (section and entry templates are
//! under `…1.1.2`/`…1.1.3`; IHE and HL7 roots such as the level-1 `1.3.6.1.4.1.19376.1.2.20` are shared
//! by many volets and identify none), except `1.2.250.1.213.1.1.1.1`, which every French CDA carries.
//! [`Kit::select_volet`] then follows the document's templateIds from the last one (the most specific
//! model, the way the kit's examples declare them): see there. `tools/saxon_reference.py` (the
//! differential test's reference) selects the same way.
//!
//! Value sets: every `'….xml'` string literal of a schematron (a `doc()`/`document()` argument, or a
//! `sch:let` later given to them, as `$path_jdv` of `abstract/dansJeuDeValeurs.sch`) is resolved against
//! the schematron file run — the base URI of the XSLT the ISO skeleton generates from it, includes and
//! abstract patterns expanded — and preloaded. The kit's missing files are handled as its README says.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::disk::{self, CacheState, CacheStatus, KitCache};
use super::eval::{location, DocRun};
use super::load::{load_schema, LineIndex};
use super::model::Schema;
use super::timing::{self, Phase};
use super::xpath::{file_uri, xml_literals, Engine, SchemaCtx};
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
/// The CI-SIS arc of document-model templateIds (sections are under `…1.1.2`, entries `…1.1.3`).
const DOC_ARC: &str = "1.2.250.1.213.1.1.1.";
/// The generic CI-SIS document template every French CDA carries (Structuration minimale): it selects
/// no volet.
const GENERIC_ROOT: &str = "1.2.250.1.213.1.1.1.1";
/// What the engine reads for a value-set file the kit names but does not ship (and has no substitute
/// for): an empty document, so the value set is empty, as the reference reads it.
const MISSING_DOCUMENT: &str = "<dui-conform-missing-value-set/>";

/// One row of the templateId → volet table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoletEntry {
    /// Volet (`BIO-CR-BIO`).
    pub volet: String,
    /// Version (`2024.01`).
    pub version: String,
    /// File, relative to the schematron folder.
    pub file: String,
    /// The document-model roots (arc `1.2.250.1.213.1.1.1.*`, the generic `…1.1.1.1` excepted) its
    /// templateId tests name, in order of appearance; when no test names one, those its files mention
    /// (comments and messages included: see [`VoletEntry::roots_from_tests`]).
    pub roots: Vec<String>,
    /// Whether `roots` come from templateId tests (`false`: from the files' text, a kit quirk such as
    /// BIO-CR-BIO's commented-out test of `1.2.250.1.213.1.1.1.55`).
    pub roots_from_tests: bool,
    schema: usize,
}

/// A loaded kit: every schematron parsed and expanded, value sets read, the volet table built.
#[derive(Debug)]
pub struct Kit {
    /// The kit folder.
    pub dir: PathBuf,
    /// SHA-256 of the kit's schematron and value-set files (names and contents).
    pub hash: String,
    /// The upstream commit the kit's README names (`ansforge/TestContenuCDA-3-0` at commit …), if any.
    pub commit: Option<String>,
    /// The templateId → volet table, sorted by volet then version.
    pub volets: Vec<VoletEntry>,
    /// Kit defects found at load time (missing includes and value sets), each once.
    pub defects: Vec<String>,
    /// Where the parsed kit came from: the disk cache, or the folder (and whether it was cached).
    pub cache: CacheStatus,
    schemas: Vec<Schema>,
    preload: Arc<Vec<(String, String)>>,
    /// Per schema, the value sets (indexes into `preload`) its literals name: loaded into xee's store
    /// only when a document runs that schema.
    value_sets: Vec<Vec<usize>>,
}

/// What [`Kit::parse`] reads from a kit folder.
struct Parsed {
    volets: Vec<VoletEntry>,
    defects: Vec<String>,
    schemas: Vec<Schema>,
    preload: Vec<(String, String)>,
    value_sets: Vec<Vec<usize>>,
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

impl VoletEntry {
    /// Index of the volet's schema in the kit.
    pub(crate) fn schema_index(&self) -> usize {
        self.schema
    }
}

/// SHA-256 of the kit's files: each one's path relative to the kit folder, then its bytes.
fn content_hash(dir: &Path, files: &[PathBuf]) -> Result<String, KitError> {
    let mut h = Sha256::new();
    for f in files {
        h.update(
            f.strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .as_bytes(),
        );
        let t = timing::start();
        let bytes = std::fs::read(f).map_err(|e| KitError::Io {
            path: f.display().to_string(),
            source: e,
        })?;
        timing::end(Phase::HashRead, t, bytes.len() as u64);
        let t = timing::start();
        h.update(&bytes);
        timing::end(Phase::Hash, t, bytes.len() as u64);
    }
    Ok(hex::encode(h.finalize()))
}

/// `CI-SIS_<VOLET>_<VERSION>.sch` → (volet, version).
pub fn parse_volet_name(name: &str) -> Option<(String, String)> {
    let stem = name.strip_prefix("CI-SIS_")?.strip_suffix(".sch")?;
    let (volet, version) = stem.rsplit_once('_')?;
    Some((volet.to_string(), version.to_string()))
}

/// Whether `oid` is a document-model templateId of the CI-SIS arc (`1.2.250.1.213.1.1.1.N[.M…]`).
pub fn is_document_model_root(oid: &str) -> bool {
    oid.strip_prefix(DOC_ARC).is_some_and(|rest| {
        rest.split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The document-model roots an expression tests: its quoted literals of the CI-SIS document arc, when the
/// expression reads a `templateId` (a message naming a root, or a code that happens to be an OID, is not
/// a test of the document's model).
fn template_roots(expr: &str, out: &mut Vec<String>) {
    if !expr.contains("templateId") {
        return;
    }
    for lit in super::xpath::string_literals(expr) {
        if lit != GENERIC_ROOT && is_document_model_root(lit) && !out.iter().any(|r| r == lit) {
            out.push(lit.to_string());
        }
    }
}

/// Every XPath expression of a schema: globals, rule contexts, rule lets, tests, `sch:value-of`s.
fn expressions(s: &Schema) -> Vec<&str> {
    let mut out: Vec<&str> = s.globals().map(|l| l.value.as_str()).collect();
    for r in s.patterns.iter().flat_map(|p| &p.rules) {
        out.push(&r.context);
        out.extend(r.lets.iter().map(|l| l.value.as_str()));
        for c in &r.checks {
            out.push(&c.test);
            for part in &c.message {
                match part {
                    super::model::MsgPart::ValueOf(e) => out.push(e),
                    super::model::MsgPart::Name(Some(e)) => out.push(e),
                    _ => {}
                }
            }
        }
    }
    out
}

/// The commit a kit README names (`… at commit <40 hex digits>`).
fn readme_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("README.md")).ok()?;
    let re = regex::Regex::new(r"commit\s+([0-9a-f]{40})\b").expect("static regex");
    re.captures(&text).map(|c| c[1].to_string())
}

/// What the engine reads for a value-set file `lit` that schematron `file` names and the kit does not
/// ship, and the kit defect to report (kit README, "Known defects"), the way the reference
/// (`tools/saxon_reference.py`, `fix_literal`) handles it:
/// - a file differing by letter case only exists (CSE-CS8): that file;
/// - `voc-<OID>-DYNAMIC.xml` (Structuration minimale's ART-DECOR layout, `/*/valueSet/conceptList/
///   concept/@code`): README: the same value set is the SVS file of `jeuxDeValeurs/` whose `ValueSet/@id`
///   is the OID: its concepts, rewritten in the layout the expression reads;
/// - otherwise an empty document: the value set is empty.
fn missing_value_set(kit_dir: &Path, file: &str, lit: &str, path: &Path) -> (String, String) {
    if let Some((twin, text)) = case_twin(path) {
        return (
            text,
            format!("{file} reads {lit}, absent: a file differing only by letter case exists ({twin}): read instead"),
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(oid) = name
        .strip_prefix("voc-")
        .and_then(|n| n.strip_suffix("-DYNAMIC.xml"))
    {
        if let Some((jdv, text)) = artdecor_substitute(&kit_dir.join("jeuxDeValeurs"), oid) {
            return (
                text,
                format!("{file} reads {lit}, absent: the same value set (OID {oid}) read from jeuxDeValeurs/{jdv}"),
            );
        }
    }
    (
        MISSING_DOCUMENT.to_string(),
        format!("{file} reads {lit}, absent: read as an empty value set"),
    )
}

/// The SVS value set of `jdv_dir` whose `ValueSet/@id` is `oid`, as an ART-DECOR `valueSets` document
/// (`valueSets/valueSet[@id]/conceptList/concept[@code @codeSystem @displayName…]`): (file name, XML).
fn artdecor_substitute(jdv_dir: &Path, oid: &str) -> Option<(String, String)> {
    use crate::report::escape_xml as esc;
    let needle = format!("\"{oid}\"");
    let mut names: Vec<PathBuf> = std::fs::read_dir(jdv_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if !text.contains(&needle) {
            continue;
        }
        let text = text.trim_start_matches('\u{feff}');
        let Ok(doc) = roxmltree::Document::parse(text) else {
            continue;
        };
        const SVS: &str = "urn:ihe:iti:svs:2008";
        let Some(vs) = doc
            .descendants()
            .find(|n| n.has_tag_name((SVS, "ValueSet")) && n.attribute("id") == Some(oid))
        else {
            continue;
        };
        let mut out = format!("<valueSets><valueSet id=\"{}\"><conceptList>", esc(oid));
        for c in vs
            .descendants()
            .filter(|n| n.has_tag_name((SVS, "Concept")))
        {
            out.push_str("<concept");
            for a in c.attributes().filter(|a| a.namespace().is_none()) {
                out.push_str(&format!(" {}=\"{}\"", a.name(), esc(a.value())));
            }
            out.push_str("/>");
        }
        out.push_str("</conceptList></valueSet></valueSets>");
        let name = p.file_name()?.to_string_lossy().into_owned();
        return Some((name, out));
    }
    None
}

impl Kit {
    /// Loads a kit folder (the folder holding `schematrons/` and `jeuxDeValeurs/`, or `schematrons/`
    /// itself), through the disk cache the environment names ([`KitCache::from_env`]).
    pub fn load(dir: &Path) -> Result<Kit, KitError> {
        Kit::load_with(dir, &KitCache::from_env())
    }

    /// Loads a kit folder: its content hash first; then, if `cache` has an entry for that content and
    /// folder, the parsed kit from there ([`super::disk`]); otherwise every schematron parsed and
    /// expanded, the value sets they name read, the volet table built, and the cache entry written.
    /// A cache entry that cannot be used is said once on stderr and replaced: never an error.
    pub fn load_with(dir: &Path, cache: &KitCache) -> Result<Kit, KitError> {
        let sch_root = if dir.join("schematrons").is_dir() {
            dir.join("schematrons")
        } else {
            dir.to_path_buf()
        };
        if !sch_root.join(STRUCT_MIN).is_file() {
            return Err(KitError::NotAKit(dir.display().to_string()));
        }
        // Content hash: every file under schematrons/ and jeuxDeValeurs/; with a cache, taken from the
        // stat fingerprint of those files when it is recorded and not racy (disk.rs).
        let mut files = Vec::new();
        walk_files(&sch_root, &mut files);
        walk_files(&dir.join("jeuxDeValeurs"), &mut files);
        let (hash, hash_from_fingerprint) = match cache {
            KitCache::At(cache_dir) => {
                let started = disk::now_ns();
                let t = timing::start();
                let fp = disk::fingerprint(dir, &files);
                let known = fp.as_ref().and_then(|(fp, newest)| {
                    disk::hash_from_fingerprint(cache_dir, dir, fp, *newest)
                });
                timing::end(Phase::Fingerprint, t, 0);
                match known {
                    Some(h) => (h, true),
                    None => {
                        let h = content_hash(dir, &files)?;
                        if let Some((fp, newest)) = fp {
                            disk::record_fingerprint(cache_dir, dir, &fp, newest, started, &h);
                        }
                        (h, false)
                    }
                }
            }
            KitCache::Off => (content_hash(dir, &files)?, false),
        };
        let kit_dir = sch_root.parent().unwrap_or(Path::new("."));
        // The README is not part of the content hash: its commit is read each time, not cached.
        let commit = readme_commit(dir).or_else(|| readme_commit(kit_dir));

        let mut status = CacheStatus {
            path: None,
            state: CacheState::Off,
            hash_from_fingerprint,
        };
        if let KitCache::At(cache_dir) = cache {
            let path = disk::entry_path(cache_dir, &hash, dir);
            status.state = match disk::read(&path, &hash, dir) {
                Ok(Some(p)) => {
                    return Ok(Kit {
                        dir: dir.to_path_buf(),
                        hash,
                        commit,
                        volets: p.volets,
                        defects: p.defects,
                        schemas: p.schemas,
                        preload: Arc::new(p.preload),
                        value_sets: p.value_sets,
                        cache: CacheStatus {
                            path: Some(path),
                            state: CacheState::Hit,
                            hash_from_fingerprint,
                        },
                    });
                }
                Ok(None) => CacheState::Written,
                Err(e) => {
                    eprintln!(
                        "dui-conform: kit cache {} ignored ({e}); the kit is read from {}",
                        path.display(),
                        dir.display()
                    );
                    CacheState::Replaced(e.to_string())
                }
            };
            status.path = Some(path);
        }
        let Parsed {
            volets,
            defects,
            schemas,
            preload,
            value_sets,
        } = Kit::parse(&sch_root)?;
        if let Some(path) = &status.path {
            let written = disk::write(
                path,
                &disk::PayloadRef {
                    dir: &disk::dir_key(dir),
                    hash: &hash,
                    volets: &volets,
                    defects: &defects,
                    schemas: &schemas,
                    preload: &preload,
                    value_sets: &value_sets,
                },
            );
            if let Err(e) = written {
                status.state = CacheState::NotWritten(e);
            }
        }
        // Nothing is compiled here: xee's programs live per thread, and a command-line run checks its
        // documents on worker threads, so compiling on the loading thread was wasted work (a third of a
        // cold run, docs/kit-speed.md). Compilation is lazy, per thread; `warm_up` compiles ahead.
        Ok(Kit {
            dir: dir.to_path_buf(),
            hash,
            commit,
            volets,
            defects,
            schemas,
            preload: Arc::new(preload),
            value_sets,
            cache: status,
        })
    }

    /// The plain data of a kit read from its folder.
    fn parse(sch_root: &Path) -> Result<Parsed, KitError> {
        let sch_root = sch_root.to_path_buf();
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
            let t = timing::start();
            let mut roots = Vec::new();
            for e in expressions(&schema) {
                template_roots(e, &mut roots);
            }
            let roots_from_tests = !roots.is_empty();
            if !roots_from_tests {
                // No templateId test names the model (BIO-CR-BIO 2021.01 and 2024.01: the assert is
                // commented out in Entete_CR-BIO.sch, yet ANS selects the volet by that root, as
                // expected.json's official verdict on BIO-CR-BIO_2024.01_TSH_1 shows): the roots the
                // files still write.
                roots = schema
                    .mentioned_roots
                    .iter()
                    .filter(|r| *r != GENERIC_ROOT && is_document_model_root(r))
                    .cloned()
                    .collect();
            }
            timing::end(Phase::VoletTable, t, 0);
            volets.push(VoletEntry {
                volet,
                version,
                file: schema.file.clone(),
                roots,
                roots_from_tests,
                schema: schemas.len(),
            });
            schemas.push(schema);
        }
        volets.sort_by(|a, b| (&a.volet, &a.version).cmp(&(&b.volet, &b.version)));

        // Value sets: every `'….xml'` literal, resolved against the schematron file run (the base URI of
        // the XSLT the skeleton generates: includes and abstract patterns are expanded into it).
        let kit_dir = sch_root.parent().unwrap_or(Path::new("."));
        let t = timing::start();
        let mut preload = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut value_sets = Vec::with_capacity(schemas.len());
        for s in &schemas {
            defects.extend(s.defects.iter().cloned());
            let dir = s.path.parent().unwrap_or(Path::new("."));
            let mut mine: Vec<usize> = Vec::new();
            for e in expressions(s) {
                for lit in xml_literals(e) {
                    let path = dir.join(lit);
                    let uri = file_uri(&path);
                    if let Some(&i) = seen.get(&uri) {
                        if !mine.contains(&i) {
                            mine.push(i);
                        }
                        continue;
                    }
                    seen.insert(uri.clone(), preload.len());
                    mine.push(preload.len());
                    match std::fs::read_to_string(&path) {
                        Ok(t) => preload.push((uri, t.trim_start_matches('\u{feff}').to_string())),
                        Err(_) => {
                            let (text, defect) = missing_value_set(kit_dir, &s.file, lit, &path);
                            defects.push(defect);
                            preload.push((uri, text));
                        }
                    }
                }
            }
            value_sets.push(mine);
        }
        timing::end(
            Phase::ValueSetRead,
            t,
            preload.iter().map(|(_, x)| x.len() as u64).sum(),
        );
        Ok(Parsed {
            volets,
            defects,
            schemas,
            preload,
            value_sets,
        })
    }

    /// Compiles Structuration minimale (the schematron every document gets) on this thread, so that
    /// the first document checked on it does not pay for it: for a long-lived thread.
    pub fn warm_up(&self) {
        if let Ok(engine) = self.engine() {
            let mut e = engine.borrow_mut();
            if e.need(&self.value_sets[0]).is_err() {
                return;
            }
            let s = &self.schemas[0];
            let ctx = self.ctx(0);
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

    /// The kit's version as reports name it: the upstream commit its README names, else `sha256:` and
    /// its content hash.
    pub fn version(&self) -> String {
        match &self.commit {
            Some(c) => c.clone(),
            None => format!("sha256:{}", self.hash),
        }
    }

    /// What a report says of the kit that judged it.
    pub fn version_info(&self) -> crate::model::KitVersion {
        crate::model::KitVersion {
            commit: self.commit.clone(),
            content_sha256: self.hash.clone(),
        }
    }

    /// [`Kit::version`] shortened for messages: `commit 7cd489b39368` or `sha256 e8422f29f27b`.
    pub fn short_version(&self) -> String {
        match &self.commit {
            Some(c) => format!("commit {}", &c[..12.min(c.len())]),
            None => format!("sha256 {}", &self.hash[..12.min(self.hash.len())]),
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

    /// The volet for a document's `ClinicalDocument/templateId`s (root, extension), in document order.
    ///
    /// Kit README: root + extension = document model and version; with no or an unknown extension, the
    /// oldest version. The templateIds are read from the last one (the most specific model: the kit's
    /// examples declare the generic templates first); a root outside the CI-SIS document arc, the generic
    /// `…1.1.1.1`, or the parent of another root the document declares (CSE-MDE declares `…1.1.1.5` and
    /// `…1.1.1.5.4`) selects nothing. Among the volets naming the root, those naming the fewest
    /// document-model roots win (a volet may test another model's root too); then the version equal to
    /// the extension, else the oldest (version, then file name).
    pub fn select_volet(&self, template_ids: &[(String, Option<String>)]) -> Option<&VoletEntry> {
        select(&self.volets, template_ids)
    }

    /// The ANS procedure on one document (schematron part).
    pub fn check(&self, cda_bytes: &[u8]) -> KitOutcome {
        self.check_only(cda_bytes, |_| true)
    }

    /// As [`Kit::check`], applying only the schematrons (files relative to the schematron folder)
    /// `keep` accepts: e.g. Structuration minimale alone.
    pub fn check_only(&self, cda_bytes: &[u8], keep: impl Fn(&str) -> bool) -> KitOutcome {
        let mut out = KitOutcome::default();
        let t_parse = timing::start();
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
        timing::end(Phase::DocParse, t_parse, 0);
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
        let needed: Vec<usize> = order
            .iter()
            .flat_map(|&i| self.value_sets.get(i).into_iter().flatten().copied())
            .collect();
        if let Err(err) = e.need(&needed) {
            out.defects.push(format!("value sets not loaded: {err}"));
            return out;
        }
        let t_add = timing::start();
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
        timing::end(Phase::DocParse, t_add, cda_bytes.len() as u64);
        let t_eval = timing::start();
        // Compilation happens lazily inside the evaluation: counted apart from it.
        let compiled_before = timing::total(Phase::Compile);
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
                let (line, col) = lines.line_col(rox.input_text(), n.range().start);
                a.line = Some(line);
                a.column = Some(col);
            }
            out.asserts.push(a);
        }
        if let Some(t) = t_eval {
            let compiling = timing::total(Phase::Compile).saturating_sub(compiled_before);
            timing::add(Phase::Evaluate, t.elapsed().saturating_sub(compiling), 0);
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

/// [`Kit::select_volet`] over a volet table.
fn select<'v>(
    volets: &'v [VoletEntry],
    template_ids: &[(String, Option<String>)],
) -> Option<&'v VoletEntry> {
    for (root, ext) in template_ids.iter().rev() {
        if root == GENERIC_ROOT || !is_document_model_root(root) {
            continue;
        }
        let child = format!("{root}.");
        if template_ids.iter().any(|(r, _)| r.starts_with(&child)) {
            continue;
        }
        let cands: Vec<&VoletEntry> = volets
            .iter()
            .filter(|v| v.roots.iter().any(|r| r == root))
            .collect();
        let Some(fewest) = cands.iter().map(|v| v.roots.len()).min() else {
            continue;
        };
        let by_age =
            |a: &&&VoletEntry, b: &&&VoletEntry| (&a.version, &a.file).cmp(&(&b.version, &b.file));
        let cands: Vec<&VoletEntry> = cands
            .into_iter()
            .filter(|v| v.roots.len() == fewest)
            .collect();
        if let Some(v) = cands
            .iter()
            .filter(|v| ext.as_deref() == Some(v.version.as_str()))
            .min_by(by_age)
        {
            return Some(*v);
        }
        return cands.iter().min_by(by_age).copied();
    }
    None
}

/// A file in the same folder whose name differs from `path`'s by letter case only: (name, content).
fn case_twin(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let twin = std::fs::read_dir(path.parent()?)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.to_lowercase() == name)?;
    let text = std::fs::read_to_string(path.with_file_name(&twin)).ok()?;
    Some((twin, text.trim_start_matches('\u{feff}').to_string()))
}

/// The kit's outcome on a CDA as findings of `dui-conform validate`: requirement `KIT:<schematron file
/// name>`, the assert's own message, its location; errors fail, warnings/infos warn/inform. Constructs
/// not evaluated give a warning per schematron (never a pass); kit defects an info. A schematron applied
/// with no error and everything evaluated gives one pass, so that a report shows which schematrons
/// judged a conformant document.
pub fn findings(kit: &Kit, bytes: &[u8]) -> Vec<crate::model::Finding> {
    use crate::model::{Finding, Level, Location, Msg, Verdict};
    let o = kit.check(bytes);
    let version = kit.version();
    let short = kit.short_version();
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
                column: a.column,
                path: Some(a.location.clone()),
                ..Location::default()
            },
            snippet: None,
            personal: Vec::new(),
            kit: Some(Box::new(crate::model::KitOrigin {
                schematron: a.schematron.clone(),
                kind: kind.to_string(),
                test: a.test.clone(),
                role: a.role.clone(),
                id: a.id.clone(),
                rule_context: a.rule_context.clone(),
                text: a.text.clone(),
                source: a.source.clone(),
                kit_version: version.clone(),
            })),
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
            kit: None,
        });
    }
    for file in &o.schematrons {
        let errors = o
            .asserts
            .iter()
            .filter(|a| a.is_error && a.schematron == *file)
            .count();
        if errors > 0 || o.not_evaluated.iter().any(|n| n.schematron == *file) {
            continue;
        }
        out.push(Finding {
            requirement: format!("KIT:{}", name(file)),
            level: Level::Must,
            verdict: Verdict::Pass,
            message: Msg::new(
                format!(
                    "[kit officiel ANS {short}] schématron appliqué, aucune assertion en erreur"
                ),
                format!("[official ANS kit {short}] schematron applied, no error assert"),
            ),
            location: Location::default(),
            snippet: None,
            personal: Vec::new(),
            kit: None,
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
            kit: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(volet: &str, version: &str, roots: &[&str]) -> VoletEntry {
        VoletEntry {
            volet: volet.into(),
            version: version.into(),
            file: format!("CI-SIS_{volet}_{version}.sch"),
            roots: roots.iter().map(|r| r.to_string()).collect(),
            roots_from_tests: true,
            schema: 0,
        }
    }

    const ARC: &str = "1.2.250.1.213.1.1.1";

    /// The document's templateIds: the generic ones every French CDA declares, then `own`.
    fn tids(own: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        let mut v = vec![
            ("2.16.840.1.113883.2.8.2.1".to_string(), None),
            (GENERIC_ROOT.to_string(), None),
        ];
        v.extend(
            own.iter()
                .map(|(r, e)| (r.replace("ARC", ARC), e.map(str::to_string))),
        );
        v
    }

    fn table() -> Vec<VoletEntry> {
        let r = |s: &str| format!("{ARC}.{s}");
        let (r55, r13, r27, r39, r5, r51) = (r("55"), r("13"), r("27"), r("39"), r("5"), r("5.1"));
        vec![
            entry("BIO-CR-BIO", "2021.01", &[r55.as_str()]),
            entry("BIO-CR-BIO", "2023.01", &[]),
            entry("BIO-CR-BIO", "2024.01", &[r55.as_str()]),
            entry("VSM", "2023.01", &[r13.as_str()]),
            entry("VSM_1.4", "2022.01", &[r13.as_str()]),
            entry("CANCER-D2LM-FIN", "2022.01", &[r27.as_str()]),
            entry("EP-MED-DM", "2024.01", &[r27.as_str(), r39.as_str()]),
            entry("CSE-CS8", "2022.01", &[r51.as_str(), r5.as_str()]),
            entry("CSE-MDE", "2023.01", &[]),
            entry("TLM-CR", "2022.01", &[]),
        ]
    }

    fn pick(own: &[(&str, Option<&str>)]) -> Option<String> {
        let t = table();
        select(&t, &tids(own)).map(|v| format!("{} {}", v.volet, v.version))
    }

    #[test]
    fn a_level_1_document_gets_no_volet() {
        // IHE XDS-SD: shared by every level-1 document, it names no model.
        assert_eq!(pick(&[("1.3.6.1.4.1.19376.1.2.20", None)]), None);
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn the_extension_names_the_version_else_the_oldest() {
        let bio = "ARC.55";
        assert_eq!(
            pick(&[("1.3.6.1.4.1.19376.1.3.3", None), (bio, Some("2024.01"))]).as_deref(),
            Some("BIO-CR-BIO 2024.01")
        );
        assert_eq!(pick(&[(bio, None)]).as_deref(), Some("BIO-CR-BIO 2021.01"));
        assert_eq!(
            pick(&[(bio, Some("2099.01"))]).as_deref(),
            Some("BIO-CR-BIO 2021.01")
        );
        // VSM 1.4 documents carry extension 201310: the oldest volet naming the root.
        assert_eq!(
            pick(&[("ARC.13", Some("201310"))]).as_deref(),
            Some("VSM_1.4 2022.01")
        );
        assert_eq!(
            pick(&[("ARC.13", Some("2023.01"))]).as_deref(),
            Some("VSM 2023.01")
        );
    }

    #[test]
    fn the_volet_naming_the_fewest_models_wins() {
        // EP-MED-DM also names D2LM-FIN's root (a message of the kit says so): D2LM-FIN is D2LM-FIN.
        assert_eq!(
            pick(&[("ARC.27", None)]).as_deref(),
            Some("CANCER-D2LM-FIN 2022.01")
        );
        assert_eq!(
            pick(&[("ARC.39", Some("2024.01"))]).as_deref(),
            Some("EP-MED-DM 2024.01")
        );
    }

    #[test]
    fn a_parent_model_selects_nothing() {
        // CSE-MDE declares …1.1.1.5 (CSE) and …1.1.1.5.4; no schematron names …5.4: no volet, and not
        // the CS8 volet through the parent root.
        assert_eq!(pick(&[("ARC.5", None), ("ARC.5.4", Some("2023.01"))]), None);
        assert_eq!(
            pick(&[("ARC.5", None), ("ARC.5.1", Some("2022.01"))]).as_deref(),
            Some("CSE-CS8 2022.01")
        );
    }

    #[test]
    fn document_model_roots_are_whole_oids_of_the_arc() {
        assert!(is_document_model_root("1.2.250.1.213.1.1.1.55"));
        assert!(is_document_model_root("1.2.250.1.213.1.1.1.2.1.1"));
        assert!(!is_document_model_root("1.2.250.1.213.1.1.1."));
        assert!(!is_document_model_root("1.2.250.1.213.1.1.1.5a"));
        assert!(!is_document_model_root("1.2.250.1.213.1.1.2.37"));
        let mut roots = Vec::new();
        template_roots(
            "cda:templateId[@root='1.2.250.1.213.1.1.1.22'] and cda:templateId[@root = \"1.2.250.1.213.1.1.1.1\"]",
            &mut roots,
        );
        // A code compared without reading a templateId names no model.
        template_roots("@code = '1.2.250.1.213.1.1.1.30'", &mut roots);
        assert_eq!(roots, vec!["1.2.250.1.213.1.1.1.22".to_string()]);
    }

    #[test]
    fn missing_value_sets_are_handled_as_the_kit_readme_says() {
        let dir = tempfile::tempdir().unwrap();
        let (sch, jdv) = (
            dir.path().join("schematrons"),
            dir.path().join("jeuxDeValeurs"),
        );
        std::fs::create_dir_all(sch.join("include")).unwrap();
        std::fs::create_dir_all(&jdv).unwrap();
        std::fs::write(
            jdv.join("JDV_J07_XdsTypeCode_CISIS.xml"),
            r#"<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet id="1.2.250.1.213.1.1.5.471"><ConceptList><Concept code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="CR &amp; co"/></ConceptList></ValueSet></RetrieveValueSetResponse>"#,
        )
        .unwrap();
        std::fs::write(jdv.join("JDV_Twin_CISIS.xml"), "<twin/>").unwrap();
        // voc-<OID>-DYNAMIC.xml → the SVS value set with that OID, in the ART-DECOR layout.
        let (text, defect) = missing_value_set(
            dir.path(),
            "s.sch",
            "include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml",
            &sch.join("include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml"),
        );
        let doc = roxmltree::Document::parse(&text).unwrap();
        let codes: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("concept"))
            .map(|n| (n.attribute("code"), n.attribute("displayName")))
            .collect();
        assert_eq!(codes, vec![(Some("11488-4"), Some("CR & co"))]);
        assert!(defect.contains("JDV_J07_XdsTypeCode_CISIS.xml"), "{defect}");
        // A letter-case twin is read instead.
        let (text, defect) = missing_value_set(
            dir.path(),
            "s.sch",
            "../jeuxDeValeurs/JDV_TWIN_CISIS.xml",
            &jdv.join("JDV_TWIN_CISIS.xml"),
        );
        assert_eq!(text, "<twin/>");
        assert!(defect.contains("letter case"), "{defect}");
        // Otherwise an empty value set.
        let (text, defect) = missing_value_set(
            dir.path(),
            "s.sch",
            "../jeuxDeValeurs/JDV_Absent.xml",
            &jdv.join("JDV_Absent.xml"),
        );
        assert_eq!(text, MISSING_DOCUMENT);
        assert!(defect.contains("empty value set"), "{defect}");
    }
}
