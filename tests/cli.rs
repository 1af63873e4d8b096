//! The command line as a user runs it: exit codes, every `--format`, `--lang`, `--out`, stdin, directory
//! walking, masking of personal data, and insta snapshots of the JSON and human outputs.
//!
//! Snapshots are taken on stable inputs only (the hostile fixtures this suite owns and one real sample),
//! and keep only the `fail`/`warning` findings, so that a new rule passing elsewhere does not change
//! them. Machine-dependent values are masked at assertion time: `sha256`, tool and catalogue versions,
//! and the absolute path of `../shared`. To accept a changed snapshot: `INSTA_UPDATE=always cargo test
//! --test tests cli::`, then review the `.snap` diff before committing it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::hostile::{run_bin, Run};
use super::util::{read, root, sample, shared};

/// The valid TDDUI export and its test INS.
const TDDUI: &str = "fixtures/valid/cda/tddui-export.xml";
const INS: &str = "279035121518989";
/// A CDA that is not well-formed: fails CDA-WF-010 and nothing else is checked.
const NOT_WELL_FORMED: &str = "fixtures/hostile/xml_err_001_mismatched_tag.xml";
/// A level-1 CDA whose body is not base64.
const BAD_BASE64: &str = "fixtures/hostile/cda_err_001_invalid_base64_nonxmlbody.xml";
/// A real sample failing INS-021 only (C-06), with an INFO on its production OID.
const CSE_MDE: &str = "TestContenuCDA-3-0/ExemplesCDA/CSE-MDE_2023.01.xml";

const FORMATS: &[&str] = &["human", "json", "junit", "markdown", "html", "svrl"];

fn dui(args: &[&str]) -> Run {
    run_bin(args, None)
}

fn stdout(run: &Run) -> String {
    String::from_utf8(run.stdout.clone()).expect("stdout is UTF-8")
}

fn json(run: &Run) -> Value {
    serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(run)))
}

fn assert_code(run: &Run, code: i32) {
    assert_eq!(
        run.code,
        Some(code),
        "exit code; stderr:\n{}\nstdout:\n{}",
        run.stderr,
        stdout(run)
    );
}

/// Asserts the one-line reason of an exit 2, and returns it.
fn reason(run: &Run) -> String {
    assert_code(run, 2);
    assert!(run.stdout.is_empty(), "nothing on stdout on exit 2");
    let first = run.stderr.lines().next().unwrap_or_default().to_string();
    assert!(
        !first.trim().is_empty(),
        "exit 2 without a reason on stderr"
    );
    first
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The TDDUI export with `from` replaced by `to` everywhere, written in `dir`.
fn tddui_variant(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = String::from_utf8(read(&root().join(TDDUI))).expect("utf-8");
    assert!(text.contains(from), "{from} not in the fixture");
    let p = dir.join(name);
    std::fs::write(&p, text.replace(from, to)).expect("write");
    p
}

// ---------------------------------------------------------------------------------------------
// Exit codes.

#[test]
fn exit_0_on_a_valid_fixture() {
    let run = dui(&["validate", TDDUI]);
    assert_code(&run, 0);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
}

#[test]
fn exit_1_on_an_invalid_fixture() {
    assert_code(&dui(&["validate", NOT_WELL_FORMED]), 1);
    assert_code(&dui(&["validate", BAD_BASE64]), 1);
    // One failing artifact among passing ones fails the run.
    assert_code(&dui(&["validate", TDDUI, NOT_WELL_FORMED]), 1);
}

#[test]
fn exit_2_on_a_missing_path_with_a_one_line_reason() {
    let run = dui(&["validate", "no/such/file.xml"]);
    let why = reason(&run);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(
        why.contains("no/such/file.xml"),
        "the reason names the path: {why}"
    );
    // Even next to a valid file: the run could not do its job.
    assert_code(&dui(&["validate", TDDUI, "no/such/file.xml"]), 2);
}

#[test]
fn exit_2_on_bad_arguments_with_the_reason_first() {
    for (args, needle) in [
        (&["validate", "--format", "pdf", TDDUI][..], "pdf"),
        (&["validate", "--lang", "de", TDDUI][..], "de"),
        (&["validate"][..], "required"),
        (&["validate", "--no-such-flag", TDDUI][..], "--no-such-flag"),
        (&["frobnicate"][..], "frobnicate"),
        (&[][..], "Usage"),
    ] {
        let run = dui(args);
        assert_code(&run, 2);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(needle) || run.stderr.contains(needle),
            "{args:?}: the reason should mention {needle:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn exit_2_when_the_output_file_cannot_be_written() {
    let run = dui(&["validate", "--out", "/nonexistent-dir/report.json", TDDUI]);
    let why = reason(&run);
    assert!(why.contains("/nonexistent-dir/report.json"), "{why}");
}

#[test]
fn help_and_version_exit_0() {
    assert_code(&dui(&["--help"]), 0);
    assert_code(&dui(&["validate", "--help"]), 0);
    let v = dui(&["--version"]);
    assert_code(&v, 0);
    assert!(stdout(&v).contains(env!("CARGO_PKG_VERSION")));
}

// ---------------------------------------------------------------------------------------------
// Formats, language, output file, stdin, directories.

#[test]
fn every_format_renders_a_valid_and_an_invalid_artifact() {
    for format in FORMATS {
        let run = dui(&["validate", "--format", format, TDDUI, NOT_WELL_FORMED]);
        assert_code(&run, 1);
        let text = stdout(&run);
        assert!(
            text.contains("tddui-export.xml") && text.contains("xml_err_001_mismatched_tag.xml"),
            "{format}"
        );
        match *format {
            "json" => {
                let j = json(&run);
                assert_eq!(j["summary"]["artifacts"], 2);
                assert_eq!(j["summary"]["failed"], 1);
            }
            "junit" | "svrl" => {
                let doc =
                    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
                let failing = doc
                    .descendants()
                    .filter(|n| n.has_tag_name("failure") || n.tag_name().name() == "failed-assert")
                    .count();
                assert!(failing >= 1, "{format}: the failure is reported");
            }
            "html" => {
                assert!(text.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
                assert!(text.contains("CDA-WF-010"));
                for external in [
                    "<script",
                    "<link",
                    " src=",
                    "href=\"http",
                    "url(",
                    "@import",
                ] {
                    assert!(
                        !text.contains(external),
                        "html: external resource or script {external}"
                    );
                }
            }
            "markdown" => {
                assert!(text.starts_with("## "));
                assert!(text.contains("**CDA-WF-010**"));
            }
            _ => assert!(text.contains("CDA-WF-010")),
        }
    }
}

#[test]
fn lang_en_translates_messages_and_labels() {
    let fr = json(&dui(&["validate", "--format", "json", NOT_WELL_FORMED]));
    let en = json(&dui(&[
        "validate",
        "--format",
        "json",
        "--lang",
        "en",
        NOT_WELL_FORMED,
    ]));
    let msg = |j: &Value| {
        j["artifacts"][0]["findings"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(msg(&fr).starts_with("XML mal formé"), "{}", msg(&fr));
    assert!(msg(&en).starts_with("XML not well-formed"), "{}", msg(&en));
    let human = stdout(&dui(&["validate", "--lang", "en", NOT_WELL_FORMED]));
    assert!(
        human.contains("artifact(s)") && human.contains("FAIL"),
        "{human}"
    );
    let html = stdout(&dui(&[
        "validate",
        "--format",
        "html",
        "--lang",
        "en",
        NOT_WELL_FORMED,
    ]));
    assert!(html.contains("<html lang=\"en\">"));
}

#[test]
fn out_writes_the_report_to_a_file_and_nothing_to_stdout() {
    let dir = tmp();
    for format in FORMATS {
        let out = dir.path().join(format!("report.{format}"));
        let run = dui(&[
            "validate",
            "--format",
            format,
            "--out",
            &out.to_string_lossy(),
            TDDUI,
        ]);
        assert_code(&run, 0);
        assert!(run.stdout.is_empty(), "{format}: stdout not empty");
        let written = std::fs::read_to_string(&out).expect("report written");
        let direct = stdout(&dui(&["validate", "--format", format, TDDUI]));
        assert_eq!(
            written, direct,
            "{format}: --out writes what stdout would show"
        );
    }
}

#[test]
fn stdin_dash_reads_the_artifact() {
    let bytes = read(&root().join(TDDUI));
    let run = run_bin(&["validate", "--format", "json", "-"], Some(bytes.clone()));
    assert_code(&run, 0);
    let j = json(&run);
    assert_eq!(j["artifacts"][0]["path"], "-");
    assert_eq!(j["artifacts"][0]["kind"], "cda");
    assert_eq!(j["artifacts"][0]["size"], bytes.len());
    let bad = run_bin(
        &["validate", "-"],
        Some(read(&root().join(NOT_WELL_FORMED))),
    );
    assert_code(&bad, 1);
}

#[test]
fn directories_are_walked_in_order() {
    let dir = root().join("fixtures/valid");
    let mut expected: Vec<String> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            e.path()
                .strip_prefix(root())
                .expect("under root")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    expected.sort();
    let run = dui(&["validate", "--format", "json", "fixtures/valid"]);
    let j = json(&run);
    // Top-level artifacts (nested ones carry a parent) are the files, in walking order.
    let got: Vec<String> = j["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|a| a.get("parent").is_none())
        .map(|a| a["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(got, expected);
    assert_code(&run, 0);
}

// ---------------------------------------------------------------------------------------------
// Personal data.

/// Every format, default and `--no-redact`, on `path`.
fn outputs(path: &str, redact: bool) -> Vec<(String, String)> {
    FORMATS
        .iter()
        .map(|f| {
            let mut args = vec!["validate", "--format", f];
            if !redact {
                args.push("--no-redact");
            }
            args.push(path);
            let run = dui(&args);
            assert!(
                matches!(run.code, Some(0 | 1)),
                "{f}: {:?} {}",
                run.code,
                run.stderr
            );
            (f.to_string(), stdout(&run))
        })
        .collect()
}

#[test]
fn the_valid_tddui_export_never_shows_its_ins() {
    for (format, text) in outputs(TDDUI, true) {
        assert!(!text.contains(INS), "{format} shows the INS");
    }
}

#[test]
fn personal_values_quoted_by_findings_are_masked_unless_no_redact() {
    let dir = tmp();
    // Wrong NIR key (INS-021 quotes the matricule), family-name qualifier SP (the snippet shows the
    // name), an impossible birth date: each makes a finding quote a personal value.
    let cases = [
        ("wrong-key.xml", INS, "279035121518990", "279035121518990"),
        ("short-ins.xml", INS, "27903512151898", "27903512151898"),
        (
            "family-sp.xml",
            "<family qualifier=\"BR\">MARTIN</family>",
            "<family qualifier=\"SP\">MARTIN</family>",
            "MARTIN",
        ),
        (
            "birth-date.xml",
            "<birthTime value=\"19790315\"/>",
            "<birthTime value=\"19791315\"/>",
            "19791315",
        ),
    ];
    for (name, from, to, secret) in cases {
        let p = tddui_variant(dir.path(), name, from, to);
        let p = p.to_string_lossy();
        let clear = outputs(&p, false);
        let quoted = clear.iter().any(|(_, t)| t.contains(secret));
        for (format, text) in outputs(&p, true) {
            assert!(
                !text.contains(secret),
                "{name}: {format} shows {secret} without --no-redact:\n{text}"
            );
            assert!(!text.contains(INS), "{name}: {format} shows the INS");
        }
        if quoted {
            let j: Value = serde_json::from_str(&clear[1].1).expect("json");
            assert!(
                j.to_string().contains(secret),
                "{name}: --no-redact shows {secret} in JSON"
            );
        } else {
            println!("{name}: no finding quotes {secret} (yet): the masking check is vacuous");
        }
    }
}

/// The INS matricules written in the real samples (CDA `id` under the INS OIDs), to prove that no
/// default report shows them.
fn sample_ins() -> Vec<String> {
    let re = regex::Regex::new(
        r#"root="1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)"[^>]*extension="([^"]+)"|extension="([^"]+)"[^>]*root="1\.2\.250\.1\.213\.1\.4\.(?:8|9|10|11)""#,
    )
    .expect("re");
    let mut found = std::collections::BTreeSet::new();
    for e in walkdir::WalkDir::new(shared().join("samples"))
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let name = e.file_name().to_string_lossy().to_ascii_lowercase();
        if !e.file_type().is_file() || !name.ends_with(".xml") {
            continue;
        }
        let text = String::from_utf8_lossy(&read(e.path())).into_owned();
        for c in re.captures_iter(&text) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                found.insert(m.as_str().to_string());
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn real_samples_in_every_format_are_well_formed_and_masked() {
    let dir = shared().join("samples");
    if !dir.exists() {
        eprintln!("skipped: {} not found", dir.display());
        return;
    }
    let ins = sample_ins();
    assert!(!ins.is_empty(), "no INS found in the samples");
    let d = dir.to_string_lossy().into_owned();
    for format in FORMATS {
        let run = dui(&["validate", "--format", format, &d]);
        assert!(
            matches!(run.code, Some(0 | 1)),
            "{format}: exit {:?}: {}",
            run.code,
            run.stderr
        );
        let text = stdout(&run);
        match *format {
            "json" => {
                json(&run);
            }
            "junit" | "svrl" => {
                roxmltree::Document::parse(&text)
                    .unwrap_or_else(|e| panic!("{format}: not well-formed: {e}"));
            }
            _ => {}
        }
        for v in &ins {
            assert!(
                !text.contains(v.as_str()),
                "{format} shows the INS {v} of a sample without --no-redact"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots.

/// Snapshot settings: versions and hashes redacted, the `../shared` prefix and the crate root masked;
/// `description` names the requirement(s) the snapshot is about.
fn settings(description: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_description(description);
    s.set_prepend_module_to_snapshot(true);
    let dir = shared();
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    s.add_filter(&regex::escape(&canonical.to_string_lossy()), "[shared]");
    s.add_filter(&regex::escape(&dir.to_string_lossy()), "[shared]");
    s.add_filter(&regex::escape(&root().to_string_lossy()), "[root]");
    s.add_filter(
        &format!(r"dui-conform {}", regex::escape(env!("CARGO_PKG_VERSION"))),
        "dui-conform [version]",
    );
    s.add_filter(
        &format!(
            r"catalogue {}",
            regex::escape(dui_conform::catalogue::version())
        ),
        "catalogue [catalogue]",
    );
    s.add_redaction(".tool.version", "[version]");
    s.add_redaction(".catalogue_version", "[catalogue]");
    s.add_redaction(".artifacts[].sha256", "[sha256]");
    s
}

/// The JSON report with only its failing and warning findings.
fn failing_json(args: &[&str]) -> Value {
    let run = dui(args);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{:?}: {}",
        run.code,
        run.stderr
    );
    let mut j = json(&run);
    if let Some(arts) = j["artifacts"].as_array_mut() {
        for a in arts {
            if let Some(fs) = a["findings"].as_array_mut() {
                fs.retain(|f| matches!(f["verdict"].as_str(), Some("fail" | "warning")));
            }
        }
    }
    j
}

/// The human report without its informative findings (lines of `information`/`info` findings and
/// their continuation lines, and domain headers left empty).
fn human_without_infos(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("    ") {
            if !rest.starts_with(' ') {
                skipping = rest.starts_with("information ") || rest.starts_with("info ");
                if skipping {
                    continue;
                }
            } else if skipping {
                continue;
            }
        } else {
            skipping = false;
        }
        out.push(line);
    }
    // Drop domain headers (two-space lines) with no finding under them.
    let mut kept = Vec::new();
    for (i, line) in out.iter().enumerate() {
        let is_header = line.starts_with("  ") && !line.starts_with("   ");
        if is_header && !out.get(i + 1).is_some_and(|n| n.starts_with("    ")) {
            continue;
        }
        kept.push(*line);
    }
    kept.join("\n") + "\n"
}

#[test]
fn snapshot_json_not_well_formed() {
    let j = failing_json(&["validate", "--format", "json", NOT_WELL_FORMED]);
    settings("CDA-WF-010 fails: closing tag </titel> does not match <title>")
        .bind(|| insta::assert_json_snapshot!("json_not_well_formed", j));
}

#[test]
fn snapshot_json_not_well_formed_en() {
    let j = failing_json(&[
        "validate",
        "--format",
        "json",
        "--lang",
        "en",
        NOT_WELL_FORMED,
    ]);
    settings("CDA-WF-010 fails (--lang en)")
        .bind(|| insta::assert_json_snapshot!("json_not_well_formed_en", j));
}

#[test]
fn snapshot_json_invalid_base64_body() {
    let j = failing_json(&["validate", "--format", "json", BAD_BASE64]);
    settings("CDA-N1-011 fails: the nonXMLBody text is not base64")
        .bind(|| insta::assert_json_snapshot!("json_invalid_base64_body", j));
}

#[test]
fn snapshot_json_real_sample_cse_mde() {
    let p = sample(CSE_MDE);
    if !p.exists() {
        eprintln!("skipped: {} not found", p.display());
        return;
    }
    let j = failing_json(&["validate", "--format", "json", &p.to_string_lossy()]);
    settings("INS-021 fails on the official CSE-MDE example (wrong NIR key, C-06); fail/warning findings only").bind(|| insta::assert_json_snapshot!("json_sample_cse_mde", j));
}

#[test]
fn snapshot_human_not_well_formed_and_valid() {
    let run = dui(&["validate", TDDUI, NOT_WELL_FORMED]);
    let text = human_without_infos(&stdout(&run));
    settings("a passing TDDUI export and a CDA failing CDA-WF-010; infos left out")
        .bind(|| insta::assert_snapshot!("human_not_well_formed_and_valid", text));
}

#[test]
fn snapshot_human_not_well_formed_en() {
    let run = dui(&["validate", "--lang", "en", NOT_WELL_FORMED]);
    let text = human_without_infos(&stdout(&run));
    settings("CDA-WF-010 fails (--lang en)")
        .bind(|| insta::assert_snapshot!("human_not_well_formed_en", text));
}

#[test]
fn snapshot_human_real_sample_cse_mde() {
    let p = sample(CSE_MDE);
    if !p.exists() {
        eprintln!("skipped: {} not found", p.display());
        return;
    }
    let run = dui(&["validate", &p.to_string_lossy()]);
    let text = human_without_infos(&stdout(&run));
    settings("INS-021 fails on the official CSE-MDE example (C-06); infos left out")
        .bind(|| insta::assert_snapshot!("human_sample_cse_mde", text));
}

#[test]
fn snapshot_markdown_not_well_formed() {
    let run = dui(&["validate", "--format", "markdown", NOT_WELL_FORMED]);
    let text = stdout(&run);
    settings("CDA-WF-010 fails: the Markdown CI summary")
        .bind(|| insta::assert_snapshot!("markdown_not_well_formed", text));
}

#[test]
fn human_filter_drops_infos_only() {
    let text = "NON CONFORME a.xml  [cda]\n  INS\n    NON CONFORME INS-021 1:2 msg\n        /path\n    information INS-013 1:3 info\n        /path2\n  CDA-HDR\n    information CDA-HDR-001 1:1 x\n\nsummary\n";
    assert_eq!(
        human_without_infos(text),
        "NON CONFORME a.xml  [cda]\n  INS\n    NON CONFORME INS-021 1:2 msg\n        /path\n\nsummary\n"
    );
}

/// `validate --kit`: every report says which official kit judged it (commit and content hash), and a
/// conformant document lists the kit steps that passed (XSD in an `xsd` build, then each schematron).
#[test]
fn reports_name_the_official_kit_that_judged_them() {
    let kit = crate::schematron::kit_dir();
    if !kit.is_dir() {
        return;
    }
    let kit = kit.to_string_lossy().into_owned();
    let run = dui(&[
        "validate",
        "--kit",
        &kit,
        "--format",
        "json",
        "fixtures/valid/cda/dlu.xml",
    ]);
    assert_code(&run, 0);
    let v = json(&run);
    let sha = v["official_kit"]["content_sha256"]
        .as_str()
        .expect("kit hash");
    assert_eq!(sha.len(), 64, "{v}");
    let commit = v["official_kit"]["commit"].as_str().expect("kit commit");
    let passes: Vec<&str> = v["artifacts"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["verdict"] == "pass")
        .filter_map(|f| f["requirement"].as_str())
        .filter(|r| r.starts_with("KIT:"))
        .collect();
    for want in [
        "KIT:ASIP-STRUCT-MIN-StrucMin.sch",
        "KIT:CI-SIS_DLU-EHPAD-DLU_2022.01.sch",
        "KIT:IHE.sch",
    ] {
        assert!(passes.contains(&want), "{want} not in {passes:?}");
    }
    #[cfg(feature = "xsd")]
    assert!(passes.contains(&"KIT:XSD"), "{passes:?}");
    let short = &commit[..12];
    for (format, needle) in [
        (
            "human",
            format!("kit officiel ANS commit {short}, sha256 {}", &sha[..12]),
        ),
        ("markdown", format!("kit officiel ANS commit {short}")),
        ("html", format!("kit officiel ANS commit {short}")),
        (
            "junit",
            format!("name=\"official_kit.sha256\" value=\"{sha}\""),
        ),
    ] {
        let out = stdout(&dui(&[
            "validate",
            "--kit",
            &kit,
            "--format",
            format,
            "fixtures/valid/cda/dlu.xml",
        ]));
        assert!(out.contains(&needle), "{format}: no «{needle}» in\n{out}");
    }
    // Without --kit, no kit is named.
    let v = json(&dui(&[
        "validate",
        "--format",
        "json",
        "fixtures/valid/cda/dlu.xml",
    ]));
    assert!(v.get("official_kit").is_none(), "{v}");
}

/// `pki revoke DIR CERT`: exit 0 and the CRL path; a certificate of another CA is exit 2 with the reason.
#[test]
fn pki_revoke_writes_the_crl_or_says_why_not() {
    let a = tmp();
    let b = tmp();
    let (da, db) = (a.path().join("pki"), b.path().join("pki"));
    for d in [&da, &db] {
        assert_code(&dui(&["pki", "init", &d.to_string_lossy()]), 0);
    }
    let run = dui(&[
        "pki",
        "revoke",
        &da.to_string_lossy(),
        &da.join("client.pem").to_string_lossy(),
    ]);
    assert_code(&run, 0);
    assert!(stdout(&run).contains("crl.pem"), "{}", stdout(&run));
    assert!(da.join("crl.pem").is_file());
    let run = dui(&[
        "pki",
        "revoke",
        &da.to_string_lossy(),
        &db.join("client.pem").to_string_lossy(),
    ]);
    assert!(reason(&run).contains("its own CA"), "{}", run.stderr);
}
