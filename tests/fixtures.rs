//! Every fixture proves its rule (ARCHITECTURE.md: "every requirement has an invalid fixture that makes
//! it fail and valid fixtures that make it pass. A test enforces all three.").
//!
//! - `fixtures/valid/**`: every file (any kind: CDA, XDM zip, MIME message…) validates with no `fail`
//!   and no `warning` on any artifact, nested ones included.
//! - `fixtures/invalid/<area>/<RULE-ID>[_<variant>].<ext>`: the file gets a `fail` (MUST rule) or a
//!   `warning` (SHOULD rule) on RULE-ID, and no other rule fails or warns (infos are fine).
//!   `fixtures/invalid/hostile/` is not part of this contract (tests/hostile.rs).
//! - Every rule the checks implement (`checks::registry()`) that is `[doc]`, MUST or SHOULD, has at
//!   least one invalid fixture, and every rule id of the registry exists in the catalogue.
//! - A defect that cannot be made without breaking a second rule too (e.g. two patients in one XDM
//!   archive also break "one SubmissionSet patient" or "one subset") is declared, with its reason, in
//!   `fixtures/invalid/ALSO.toml`; an entry whose co-finding no longer occurs is stale and fails the
//!   test (rustls/bogo's `DisabledTests` with reasons, and its stale-entry checker).
//! - An empty fixture directory fails (insta's `glob!` lesson: a glob matching nothing proves nothing).
//!
//! Debug with `cargo test --test tests fixtures -- --nocapture`; a failure prints every offending finding.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dui_conform::catalogue;
use dui_conform::checks;
use dui_conform::model::{ArtifactResult, Finding, Level, Verdict};
use dui_conform::validate::{validate_bytes, Options};

use crate::util::{read, root};

/// Areas of `fixtures/invalid/` that are not "one rule per file" (hostile input has its own test).
const NOT_RULE_AREAS: &[&str] = &["hostile"];

/// Files under `dir`, recursively, sorted; dot-files skipped. Panics when there are none.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for e in entries {
            let p = e.expect("directory entry").path();
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "{}: no fixture at all; an empty fixture directory proves nothing",
        dir.display()
    );
    out
}

/// Sub-directories of `dir`, sorted.
fn areas(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Validates one file with the default options (as `dui-conform validate FILE` does).
fn validate(p: &Path) -> Vec<ArtifactResult> {
    validate_with(p, &Options::default())
}

fn validate_with(p: &Path, opts: &Options) -> Vec<ArtifactResult> {
    let name = p
        .strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .to_string();
    validate_bytes(&name, &read(p), opts)
}

/// Rules only the official kit can judge (`validate --kit` in an `xsd` build): their fixtures are validated
/// with the kit, and the kit's own `KIT:` findings do not count as "other rules".
const KIT_RULES: &[&str] = &["CDA-BODY-011"];

/// The options with the official kit, when this build and this machine can run it.
fn kit_options() -> Option<&'static Options> {
    static O: std::sync::OnceLock<Option<Options>> = std::sync::OnceLock::new();
    O.get_or_init(|| {
        let dir = crate::schematron::kit_dir();
        (cfg!(feature = "xsd") && dir.is_dir()).then(|| Options {
            kit: Some(std::sync::Arc::new(
                dui_conform::schematron::Kit::load(&dir).expect("kit"),
            )),
            ..Options::default()
        })
    })
    .as_ref()
}

/// One line per finding: artifact, rule, verdict, location, message.
fn show(artifact: &ArtifactResult, f: &Finding) -> String {
    let loc = &f.location;
    let mut at = String::new();
    if let Some(e) = &loc.entry {
        at.push_str(&format!("{e} "));
    }
    if let (Some(l), Some(c)) = (loc.line, loc.column) {
        at.push_str(&format!("{l}:{c} "));
    }
    if let Some(p) = &loc.path {
        at.push_str(p);
    }
    format!(
        "    {} · {} {} [{}] {}",
        artifact.path,
        f.requirement,
        f.verdict.as_str(),
        at.trim(),
        f.message.fr
    )
}

/// Every non-pass finding of every artifact, for failure messages.
fn show_all(results: &[ArtifactResult]) -> String {
    let mut s = String::new();
    for a in results {
        s.push_str(&format!(
            "  artifact {} ({}) → {}\n",
            a.path,
            a.kind.as_str(),
            a.verdict.as_str()
        ));
        for f in a.findings.iter().filter(|f| f.verdict != Verdict::Pass) {
            s.push_str(&show(a, f));
            s.push('\n');
        }
    }
    s
}

/// `fixtures/invalid/ALSO.toml`: co-findings an invalid fixture may show besides its own rule.
#[derive(serde::Deserialize)]
struct AlsoFile {
    #[serde(default)]
    also: Vec<Also>,
}

#[derive(serde::Deserialize)]
struct Also {
    /// `<area>/<file name>`.
    fixture: String,
    /// Rules that also fail or warn.
    rules: Vec<String>,
    /// Why the defect cannot be isolated.
    reason: String,
}

fn also_table() -> BTreeMap<String, Vec<String>> {
    let p = root().join("fixtures/invalid/ALSO.toml");
    let Ok(text) = std::fs::read_to_string(&p) else {
        return BTreeMap::new();
    };
    let f: AlsoFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    f.also
        .into_iter()
        .map(|a| {
            assert!(
                !a.reason.trim().is_empty(),
                "{}: entry {} needs a reason",
                p.display(),
                a.fixture
            );
            (a.fixture, a.rules)
        })
        .collect()
}

fn is_bad(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Warning)
}

/// The rule id a fixture file name proves: `CDA-HDR-028_no-root.xml` → `CDA-HDR-028`.
fn rule_of(p: &Path) -> String {
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    stem.split_once('_')
        .map_or(stem.clone(), |(r, _)| r.to_string())
}

/// Every invalid fixture that is subject to the one-rule contract, by area.
fn invalid_fixtures() -> Vec<(String, PathBuf)> {
    let dir = root().join("fixtures/invalid");
    let mut out = Vec::new();
    let mut rule_areas = 0;
    for area in areas(&dir) {
        let name = area
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if NOT_RULE_AREAS.contains(&name.as_str()) {
            continue;
        }
        rule_areas += 1;
        for f in files_under(&area) {
            out.push((name.clone(), f));
        }
    }
    assert!(rule_areas > 0, "{}: no fixture area at all", dir.display());
    out
}

#[test]
fn valid_fixtures_pass_every_rule() {
    let mut problems = String::new();
    let files = files_under(&root().join("fixtures/valid"));
    for f in &files {
        let results = validate(f);
        let bad: Vec<String> = results
            .iter()
            .flat_map(|a| {
                a.findings
                    .iter()
                    .filter(|x| is_bad(x.verdict))
                    .map(move |x| show(a, x))
            })
            .collect();
        if !bad.is_empty() {
            problems.push_str(&format!(
                "{}: {} fail/warning finding(s)\n{}\n",
                f.display(),
                bad.len(),
                bad.join("\n")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "valid fixtures must pass every rule (no fail, no warning):\n{problems}"
    );
    eprintln!("{} valid fixture(s) pass", files.len());
}

#[test]
fn invalid_fixtures_fail_exactly_their_rule() {
    let mut problems = String::new();
    let fixtures = invalid_fixtures();
    let also = also_table();
    for (area, f) in &fixtures {
        let rule = rule_of(f);
        let key = format!(
            "{area}/{}",
            f.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        );
        let allowed: &[String] = also.get(&key).map(Vec::as_slice).unwrap_or_default();
        let Some(req) = catalogue::get(&rule) else {
            problems.push_str(&format!(
                "{}: file name does not start with a catalogue rule id (`<RULE-ID>[_<variant>].<ext>`), got `{rule}` in area {area}\n\n",
                f.display()
            ));
            continue;
        };
        let expected = Verdict::for_violation(req.level, req.confidence);
        let with_kit = KIT_RULES.contains(&rule.as_str());
        let results = match (with_kit, kit_options()) {
            (false, _) => validate(f),
            (true, Some(opts)) => validate_with(f, opts),
            (true, None) => {
                eprintln!(
                    "skipped {}: {rule} needs the official kit and an `xsd` build",
                    f.display()
                );
                continue;
            }
        };
        let hit = results
            .iter()
            .flat_map(|a| &a.findings)
            .any(|x| x.requirement == rule && x.verdict == expected);
        let others: Vec<String> = results
            .iter()
            .flat_map(|a| {
                a.findings
                    .iter()
                    .filter(|x| x.requirement != rule && is_bad(x.verdict))
                    .filter(|x| !(with_kit && x.requirement.starts_with("KIT:")))
                    .filter(|x| !allowed.contains(&x.requirement))
                    .map(move |x| show(a, x))
            })
            .collect();
        for a in allowed {
            let occurs = results
                .iter()
                .flat_map(|r| &r.findings)
                .any(|x| &x.requirement == a && is_bad(x.verdict));
            if !occurs {
                problems.push_str(&format!(
                    "{}: ALSO.toml entry is stale: {a} no longer fails or warns\n\n",
                    f.display()
                ));
            }
        }
        if !hit || !others.is_empty() {
            let mut why = Vec::new();
            if !hit {
                why.push(format!(
                    "{rule} ({:?}) did not give `{}`",
                    req.level,
                    expected.as_str()
                ));
            }
            if !others.is_empty() {
                why.push(format!(
                    "{} other rule finding(s) fail or warn",
                    others.len()
                ));
            }
            problems.push_str(&format!(
                "{}: {}\n{}\n",
                f.display(),
                why.join("; "),
                show_all(&results)
            ));
        }
    }
    assert!(problems.is_empty(), "every invalid fixture must fail (MUST) or warn (SHOULD) its rule and no other:\n\n{problems}");
    eprintln!("{} invalid fixture(s) prove their rule", fixtures.len());
}

#[test]
fn every_implemented_rule_has_an_invalid_fixture() {
    let mut by_rule: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (area, f) in invalid_fixtures() {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        by_rule
            .entry(rule_of(&f))
            .or_default()
            .push(format!("{area}/{name}"));
    }
    let registry = checks::registry();
    let mut unknown = Vec::new();
    let mut implemented: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in &registry {
        for r in c.rules {
            implemented.entry(r).or_default().insert(c.name);
        }
    }
    let mut report = String::new();
    let mut missing = Vec::new();
    for (rule, check_names) in &implemented {
        let Some(req) = catalogue::get(rule) else {
            unknown.push(format!(
                "{rule} (listed by {})",
                check_names.iter().copied().collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        let needs_proof = req.is_doc() && matches!(req.level, Level::Must | Level::Should);
        let proofs = by_rule.get(*rule).map(Vec::as_slice).unwrap_or_default();
        let mark = match (needs_proof, proofs.is_empty()) {
            (true, true) => {
                missing.push(*rule);
                "MISSING"
            }
            (true, false) => "ok",
            (false, _) => "n/a (INFO or not [doc])",
        };
        report.push_str(&format!(
            "  {rule:<12} {:<7} {mark:<8} {}\n",
            format!("{:?}", req.level),
            proofs.join(", ")
        ));
    }
    assert!(
        unknown.is_empty(),
        "rule ids listed by checks::registry() but absent from the catalogue: {unknown:?}"
    );
    assert!(
        missing.is_empty(),
        "{} implemented MUST/SHOULD [doc] rule(s) without an invalid fixture: {missing:?}\nper-rule coverage (rule, level, proof, fixtures):\n{report}",
        missing.len()
    );
    eprintln!("per-rule coverage:\n{report}");
}

#[test]
fn fixture_file_names_are_parsed_as_rule_ids() {
    assert_eq!(
        rule_of(Path::new("fixtures/invalid/cda/CDA-HDR-028.xml")),
        "CDA-HDR-028"
    );
    assert_eq!(
        rule_of(Path::new("fixtures/invalid/identity/INS-021_corsica.xml")),
        "INS-021"
    );
    assert_eq!(rule_of(Path::new("x/XDM-010_two_subsets.zip")), "XDM-010");
}

#[test]
#[should_panic(expected = "no fixture at all")]
fn an_empty_fixture_directory_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(".keep"), b"").expect("write");
    files_under(dir.path());
}
