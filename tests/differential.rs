//! Differential test: our Schematron engine against the reference implementation, Saxon.
//!
//! For every CDA sample of `shared/samples/expected.json` and for mutated copies made here (a removed
//! setId, an `SP` family qualifier, a wrong document code…), the set of failed asserts and successful
//! reports of the official kit (`shared/ans-kit`) computed by Saxon (`tools/saxon_reference.py`: the ISO
//! skeleton from PyPI `lxml`, run by PyPI `saxonche`; installed by `.ci/run`) is compared with
//! [`Kit::check`]'s, document by document, locations normalised (see [`norm_location`]). Every difference
//! is listed; the test fails on one that [`EXPLAINED`] does not explain (a known bug of ours or of the kit,
//! with its reason).
//!
//! Saxon is slow to start (seconds per schematron compile): its answers are kept per document hash in
//! `tests/saxon-reference/` (see [`reference_dir`]), so only new or changed documents cost a Saxon run.
//! `cargo test --test tests differential -- --nocapture` prints the comparison.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dui_conform::schematron::Kit;
use sha2::{Digest, Sha256};

use crate::util::{read, root, sample, shared};
use crate::xsd::cda_samples;

/// One assert outcome, comparable across engines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    /// Schematron file name (no folder).
    pub schematron: String,
    /// Normalised location (`/ClinicalDocument[1]/recordTarget[1]/…`).
    pub location: String,
    /// The assert's test, whitespace collapsed.
    pub test: String,
    /// Error (not a warning/info role).
    pub is_error: bool,
    /// Message, whitespace collapsed.
    pub text: String,
}

impl Row {
    fn key(&self) -> (String, String, String) {
        (
            self.schematron.clone(),
            self.location.clone(),
            self.test.clone(),
        )
    }
}

/// A difference that is understood: (document name contains, schematron, test contains, who reports it
/// ("saxon" or "ours"), reason). Keep each reason precise: whose bug, and why. An entry that explains
/// nothing any more fails the test (stale).
///
/// History: at the first run (h3-schematron 12c15e5, 28 documents) the only differences were three bugs
/// of ours, fixed on branch h3-proc: the volet selection (level-1 documents given TLM-CR, extension
/// 2024.01 ignored, DLU and LDL roots missing) and the absent `include/voc-…471-DYNAMIC.xml` of
/// Structuration minimale not read as JDV_J07 as the kit README says.
const EXPLAINED: &[(&str, &str, &str, &str, &str)] = &[];

/// Documents where the engines ran different schematrons, understood: (document name contains, reason).
/// Empty since both select the volet the same way (`volet_selection_is_the_references_on_every_sample`
/// in tests/schematron.rs checks it on every sample without Saxon).
const EXPLAINED_SCHEMATRONS: &[(&str, &str)] = &[];

/// Constructs our engine reports as not evaluated that are understood: (where in the kit, reason). Empty
/// since `document($path_jdv)` resolves as in Saxon (every `'….xml'` literal preloaded against the base
/// URI of the schematron run) and the kit's missing value sets are read as its README says.
const EXPLAINED_NOT_EVALUATED: &[(&str, &str)] = &[];

fn kit_dir() -> PathBuf {
    shared().join("ans-kit")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a node path to `/name[i]/name[i]/@attr`: the ISO skeleton writes
/// `/*[local-name()='ClinicalDocument' and namespace-uri()='urn:hl7-org:v3']/*[…][2]`, other engines
/// `/hl7:ClinicalDocument/hl7:recordTarget[2]` or `Q{urn:hl7-org:v3}ClinicalDocument[1]`; names lose
/// their prefix or namespace, a missing position is 1.
pub fn norm_location(loc: &str) -> String {
    let mut segments = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    let chars: Vec<(usize, char)> = loc.char_indices().collect();
    for &(i, c) in &chars {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, '/') if depth == 0 => {
                if i > start {
                    segments.push(&loc[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < loc.len() {
        segments.push(&loc[start..]);
    }
    let mut out = String::new();
    for seg in segments {
        let (head, preds) = match seg.find('[') {
            Some(p) => (&seg[..p], &seg[p..]),
            None => (seg, ""),
        };
        let name = if let Some(i) = preds.find("local-name()='") {
            let rest = &preds[i + 14..];
            rest[..rest.find('\'').unwrap_or(rest.len())].to_string()
        } else {
            let h = head.rsplit('}').next().unwrap_or(head);
            let h = h.rsplit(':').next().unwrap_or(h);
            if head.starts_with('@') && !h.starts_with('@') {
                format!("@{h}")
            } else {
                h.to_string()
            }
        };
        // The last numeric predicate is the position.
        let pos = preds
            .rsplit('[')
            .next()
            .and_then(|p| p.strip_suffix(']'))
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1);
        if name.starts_with('@') || name.ends_with("()") {
            out.push_str(&format!("/{name}"));
        } else {
            out.push_str(&format!("/{name}[{pos}]"));
        }
    }
    out
}

/// The mutated copies: (name, anchor, replacement) applied to a sample that passes the kit.
const MUTATIONS: &[(&str, &str, &str)] = &[
    (
        "no-setid",
        "<setId root=\"1.2.250.1.213.1.1.1.37.2023.1\"/>",
        "",
    ),
    (
        "family-sp",
        "<family qualifier=\"BR\">",
        "<family qualifier=\"SP\">",
    ),
    (
        "wrong-doc-code",
        "<code code=\"11369-6\"",
        "<code code=\"99999-9\"",
    ),
    (
        "wrong-confidentiality",
        "<confidentialityCode code=\"N\"",
        "<confidentialityCode code=\"Z\"",
    ),
    ("no-language", "<languageCode code=\"fr-FR\" />", ""),
];
const MUTATED_BASE: &str = "TestContenuCDA-3-0/ExemplesCDA/VAC_2023.01.xml";

/// (name, path) of every document compared: the samples, then the mutations written under target/
/// (once per test binary: the tests of this file run in parallel).
fn documents() -> Vec<(String, PathBuf)> {
    static DOCS: std::sync::OnceLock<Vec<(String, PathBuf)>> = std::sync::OnceLock::new();
    DOCS.get_or_init(make_documents).clone()
}

fn make_documents() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = cda_samples()
        .into_iter()
        .map(|rel| (rel.clone(), sample(&rel)))
        .collect();
    let base = String::from_utf8(read(&sample(MUTATED_BASE))).expect("utf-8 sample");
    let dir = root().join("target/differential");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, anchor, with) in MUTATIONS {
        assert!(
            base.contains(anchor),
            "mutation {name}: anchor not in the base"
        );
        let path = dir.join(format!("{name}.xml"));
        std::fs::write(&path, base.replacen(anchor, with, 1)).unwrap();
        out.push((format!("mutation:{name}"), path));
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn have_saxon() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import lxml, saxonche"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "SKIP: python3 with lxml and saxonche not found (.ci/run installs them with pip)"
        );
    }
    ok
}

/// Where Saxon's answers are kept: one JSON per document, named by the SHA-256 of the document and of
/// the kit README (which names the kit commit). Committed, so that the default test run needs neither
/// Saxon's start-up (~10 s per large schematron compile) nor a warm `target/`; a document or kit that
/// is not there yet (a new sample, a new mutation, a new kit) is computed by Saxon and written here.
/// `DUI_CONFORM_SAXON=refresh` recomputes every document (to check the committed answers).
fn reference_dir() -> PathBuf {
    root().join("tests/saxon-reference")
}

/// Saxon's answer for each document (raw tool JSON), from [`reference_dir`] or from one run of
/// `tools/saxon_reference.py` over the missing ones. `None` when Saxon is needed but not installed.
pub fn saxon_answers(docs: &[(String, PathBuf)]) -> Option<Vec<serde_json::Value>> {
    let tool = root().join("tools/saxon_reference.py");
    let dir = reference_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let salt = sha256_hex(&read(&kit_dir().join("README.md")));
    let keys: Vec<PathBuf> = docs
        .iter()
        .map(|(_, p)| {
            let h = sha256_hex(&[read(p), salt.as_bytes().to_vec()].concat());
            dir.join(format!("{}.json", &h[..32]))
        })
        .collect();
    // One Saxon run at a time (the tests of this file run in parallel and share the reference files).
    static SAXON: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = SAXON.lock().unwrap_or_else(|e| e.into_inner());
    let refresh = std::env::var("DUI_CONFORM_SAXON").is_ok_and(|v| v == "refresh");
    let misses: Vec<usize> = (0..docs.len())
        .filter(|&i| refresh || !keys[i].is_file())
        .collect();
    if !misses.is_empty() {
        if !have_saxon() {
            return None;
        }
        eprintln!(
            "saxon: running the reference on {} document(s)…",
            misses.len()
        );
        let out = Command::new("python3")
            .arg(&tool)
            .arg("--kit")
            .arg(kit_dir())
            .arg("--cache")
            .arg(root().join("target/saxon-reference/xsl"))
            .arg("--no-xsd")
            .args(misses.iter().map(|&i| &docs[i].1))
            .output()
            .expect("run saxon_reference.py");
        assert!(
            out.status.success(),
            "saxon_reference.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("tool JSON");
        eprintln!(
            "saxon: compile ms {} ; kit defects: {}",
            v["compile_ms"], v["kit_defects"]
        );
        for (j, &i) in misses.iter().enumerate() {
            let mut doc = v["documents"][j].clone();
            // Machine-independent: the document's name, not its absolute path; no timings.
            doc["file"] = serde_json::Value::String(docs[i].0.clone());
            doc.as_object_mut().unwrap().remove("ms");
            let mut text = serde_json::to_string_pretty(&doc).unwrap();
            text.push('\n');
            if refresh && keys[i].is_file() && read(&keys[i]) != text.as_bytes() {
                eprintln!("saxon: {} changed: {}", docs[i].0, keys[i].display());
            }
            std::fs::write(&keys[i], text).unwrap();
        }
    }
    Some(
        keys.iter()
            .map(|k| serde_json::from_slice(&read(k)).expect("reference JSON"))
            .collect(),
    )
}

/// Saxon's rows for each document (an error when Saxon could not run a schematron on it).
pub fn saxon_rows(docs: &[(String, PathBuf)]) -> Option<Vec<Result<Vec<Row>, String>>> {
    Some(rows_of(saxon_answers(docs)?))
}

fn rows_of(answers: Vec<serde_json::Value>) -> Vec<Result<Vec<Row>, String>> {
    answers
        .into_iter()
        .map(|v| {
            let errors = v["errors"].as_array().cloned().unwrap_or_default();
            if !errors.is_empty() {
                return Err(format!("Saxon error: {}", serde_json::Value::Array(errors)));
            }
            Ok(v["asserts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| Row {
                    schematron: file_name(a["schematron"].as_str().unwrap_or("")),
                    location: norm_location(a["location"].as_str().unwrap_or("")),
                    test: collapse(a["test"].as_str().unwrap_or("")),
                    is_error: a["is_error"].as_bool().unwrap_or(true),
                    text: collapse(a["text"].as_str().unwrap_or("")),
                })
                .collect())
        })
        .collect()
}

fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What our engine says about one document: rows, schematrons run, constructs not evaluated.
type Ours = (Vec<Row>, Vec<String>, Vec<String>);

/// Our rows for one document, the schematrons our engine ran, and the constructs it could not
/// evaluate (`schematron at: reason`, never a silent pass: each one is listed as a difference).
fn our_rows(kit: &Kit, bytes: &[u8]) -> Result<Ours, String> {
    let out = kit.check(bytes);
    let mut not_evaluated: Vec<String> = out
        .not_evaluated
        .iter()
        .map(|n| format!("{} {}: {}", file_name(&n.schematron), n.at, n.reason))
        .collect();
    not_evaluated.sort();
    not_evaluated.dedup();
    let rows = out
        .asserts
        .iter()
        .map(|a| Row {
            schematron: file_name(&a.schematron),
            location: norm_location(&a.location),
            test: collapse(&a.test),
            is_error: a.is_error,
            text: collapse(&a.text),
        })
        .collect();
    Ok((
        rows,
        out.schematrons.iter().map(|s| file_name(s)).collect(),
        not_evaluated,
    ))
}

fn load_our_kit() -> Result<Kit, String> {
    Kit::load(&kit_dir()).map_err(|e| e.to_string())
}

/// A difference between the engines on one document.
#[derive(Debug)]
struct Difference {
    doc: String,
    side: &'static str,
    row: Row,
    note: String,
}

fn explained(d: &Difference) -> Option<&'static str> {
    EXPLAINED
        .iter()
        .find(|(doc, sch, test, side, _)| {
            d.doc.contains(doc)
                && d.row.schematron == *sch
                && d.row.test.contains(test)
                && d.side == *side
        })
        .map(|e| e.4)
}

fn compare(doc: &str, saxon: &[Row], ours: &[Row]) -> Vec<Difference> {
    let index = |rows: &[Row]| {
        let mut m: BTreeMap<(String, String, String), Vec<Row>> = BTreeMap::new();
        for r in rows {
            m.entry(r.key()).or_default().push(r.clone());
        }
        m
    };
    let (s, o) = (index(saxon), index(ours));
    let mut out = Vec::new();
    for (k, rows) in &s {
        let theirs = o.get(k).map(Vec::len).unwrap_or(0);
        for r in rows.iter().skip(theirs) {
            out.push(Difference {
                doc: doc.into(),
                side: "saxon",
                row: r.clone(),
                note: "reported by Saxon only".into(),
            });
        }
        if let Some(ours) = o.get(k) {
            for (a, b) in rows.iter().zip(ours) {
                if a.is_error != b.is_error || a.text != b.text {
                    out.push(Difference {
                        doc: doc.into(),
                        side: "both",
                        row: a.clone(),
                        note: format!("ours says is_error={} text={:?}", b.is_error, b.text),
                    });
                }
            }
        }
    }
    for (k, rows) in &o {
        let theirs = s.get(k).map(Vec::len).unwrap_or(0);
        for r in rows.iter().skip(theirs) {
            out.push(Difference {
                doc: doc.into(),
                side: "ours",
                row: r.clone(),
                note: "reported by our engine only".into(),
            });
        }
    }
    out
}

#[test]
fn our_engine_finds_exactly_saxons_failed_asserts() {
    let docs = documents();
    let Some(answers) = saxon_answers(&docs) else {
        return;
    };
    let ran: Vec<Vec<String>> = answers
        .iter()
        .map(|a| {
            a["schematrons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| file_name(s.as_str().unwrap_or("")))
                .collect()
        })
        .collect();
    let reference = rows_of(answers);
    let kit = load_our_kit().expect("load the kit natively");
    let mut unexplained = Vec::new();
    let mut explained_n = 0;
    let mut used: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (((name, path), saxon), theirs) in docs.iter().zip(&reference).zip(&ran) {
        let saxon = match saxon {
            Ok(r) => r,
            Err(e) => {
                unexplained.push(format!("{name}: {e}"));
                continue;
            }
        };
        let errors = saxon.iter().filter(|r| r.is_error).count();
        eprintln!("{name}: Saxon {} asserts ({errors} errors)", saxon.len());
        let ours = match our_rows(&kit, &read(path)) {
            Ok((rows, schematrons, not_evaluated)) => {
                for n in not_evaluated {
                    match EXPLAINED_NOT_EVALUATED
                        .iter()
                        .find(|(at, _)| n.contains(at))
                    {
                        Some((_, reason)) => {
                            explained_n += 1;
                            used.insert(*reason);
                            eprintln!("  explained ({reason}): not evaluated: {n}");
                        }
                        None => unexplained.push(format!("{name}: not evaluated: {n}")),
                    }
                }
                if &schematrons != theirs {
                    let what = format!("schematrons run: ours {schematrons:?}, Saxon {theirs:?}");
                    match EXPLAINED_SCHEMATRONS.iter().find(|(d, _)| name.contains(d)) {
                        Some((_, reason)) => {
                            explained_n += 1;
                            used.insert(*reason);
                            eprintln!("  explained ({reason}): {what}");
                        }
                        None => unexplained.push(format!("{name}: {what}")),
                    }
                }
                rows
            }
            Err(e) => {
                unexplained.push(format!("{name}: our engine: {e}"));
                continue;
            }
        };
        for d in compare(name, saxon, &ours) {
            match explained(&d) {
                Some(reason) => {
                    explained_n += 1;
                    used.insert(reason);
                    eprintln!("  explained ({reason}): {} {:?}", d.side, d.row);
                }
                None => unexplained.push(format!(
                    "{}: {} [{}] {} | {} | {}",
                    d.doc, d.note, d.row.schematron, d.row.location, d.row.test, d.row.text
                )),
            }
        }
    }
    // An explanation that explains nothing any more is stale: remove it.
    for reason in EXPLAINED
        .iter()
        .map(|e| e.4)
        .chain(EXPLAINED_SCHEMATRONS.iter().map(|e| e.1))
        .chain(EXPLAINED_NOT_EVALUATED.iter().map(|e| e.1))
    {
        if !used.contains(reason) {
            unexplained.push(format!("stale explanation (nothing to explain): {reason}"));
        }
    }
    eprintln!(
        "differential: {} documents, {explained_n} explained differences, {} unexplained",
        docs.len(),
        unexplained.len()
    );
    assert!(
        unexplained.is_empty(),
        "unexplained differences with Saxon:\n{}",
        unexplained.join("\n")
    );
}

#[test]
fn locations_normalise_across_notations() {
    let skeleton = "/*[local-name()='ClinicalDocument' and namespace-uri()='urn:hl7-org:v3']/*[local-name()='recordTarget' and namespace-uri()='urn:hl7-org:v3'][1]/*[local-name()='patientRole' and namespace-uri()='urn:hl7-org:v3'][2]/@classCode";
    assert_eq!(
        norm_location(skeleton),
        "/ClinicalDocument[1]/recordTarget[1]/patientRole[2]/@classCode"
    );
    assert_eq!(
        norm_location(
            "/hl7:ClinicalDocument/hl7:recordTarget[1]/Q{urn:hl7-org:v3}patientRole[2]/@classCode"
        ),
        "/ClinicalDocument[1]/recordTarget[1]/patientRole[2]/@classCode"
    );
    // Our engine's notation (`*:name[namespace-uri()=…][i]`).
    let ours = "/*:ClinicalDocument[namespace-uri()='urn:hl7-org:v3'][1]/*:recordTarget[namespace-uri()='urn:hl7-org:v3'][1]/*:patientRole[namespace-uri()='urn:hl7-org:v3'][2]/@classCode";
    assert_eq!(
        norm_location(ours),
        "/ClinicalDocument[1]/recordTarget[1]/patientRole[2]/@classCode"
    );
}

/// The reference itself: Saxon's verdict on every CDA sample is expected.json's `official_kit` (all the
/// samples are XSD-valid: `tests/xsd.rs`), and the failures are the ones `official_kit_reason` names.
#[test]
fn saxon_gives_the_official_kit_verdict_on_every_sample() {
    let expected: serde_json::Value =
        serde_json::from_slice(&read(&sample("expected.json"))).expect("expected.json");
    // All documents in one Saxon run (one compile of each schematron), then the samples only.
    let all = documents();
    let Some(all_answers) = saxon_answers(&all) else {
        return;
    };
    let (docs, answers): (Vec<(String, PathBuf)>, Vec<serde_json::Value>) = all
        .into_iter()
        .zip(all_answers)
        .filter(|((n, _), _)| !n.starts_with("mutation:"))
        .unzip();
    let mut wrong = Vec::new();
    for ((name, _), answer) in docs.iter().zip(&answers) {
        let errors: Vec<String> = answer["asserts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["is_error"].as_bool() == Some(true))
            .map(|a| format!("{} {}", a["schematron"], a["text"]))
            .collect();
        let saxon_errors = answer["errors"].as_array().map_or(0, Vec::len);
        let verdict = if errors.is_empty() && saxon_errors == 0 {
            "pass"
        } else {
            "fail"
        };
        let want = expected["files"][name]["official_kit"]
            .as_str()
            .unwrap_or("?");
        if verdict != want {
            wrong.push(format!(
                "{name}: Saxon {verdict}, official kit {want}: {errors:?}"
            ));
        }
    }
    // The reasons of expected.json, as Saxon's messages say them.
    let says = |name: &str, what: &str| {
        let i = docs.iter().position(|(n, _)| n.ends_with(name)).unwrap();
        answers[i]["asserts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["text"].as_str().unwrap_or("").contains(what))
    };
    assert!(says("eDISP-MED_2024.01.xml", "qualifiers \"BR\""));
    assert!(says("CR_Radio_CDAN1_v1.XML", "hl7:setId"));
    assert!(says("CR_Bio_CDA_Niv3_v1.XML", "qualifiers \"BR\""));
    assert!(says("BIO-CR-BIO_2024.01_TSH_1.xml", "[Entete_CR-BIO]"));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The mutations make the kit fail where they should: Saxon's side of the mutated copies.
#[test]
fn saxon_rejects_each_mutation_with_the_expected_schematron() {
    let docs = documents();
    let Some(rows) = saxon_rows(&docs) else {
        return;
    };
    for ((name, _), rows) in docs.iter().zip(rows) {
        if !name.starts_with("mutation:") {
            continue;
        }
        let rows = rows.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            rows.iter()
                .any(|r| r.is_error && r.schematron == "ASIP-STRUCT-MIN-StrucMin.sch"),
            "{name}: Structuration minimale must fail: {rows:?}"
        );
    }
}
