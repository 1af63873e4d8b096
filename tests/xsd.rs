//! XSD validation against the kit's `CDA_extended.xsd` gives `xmllint --schema`'s answers.
//!
//! The peer is the real `xmllint` (Debian `libxml2-utils`, installed by `.ci/run`): for every CDA sample
//! of `shared/samples/expected.json` and for mutated copies, the same valid/invalid verdict and the same
//! set of error lines. Tests that need xmllint skip with a message when it is absent locally.
//! Timings: `cargo test --test tests xsd -- --nocapture`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dui_conform::schematron::xsd::{validate_xsd, XsdSetupError, XsdValidator};

use crate::util::{read, sample, shared};

fn kit_xsd() -> PathBuf {
    shared().join("ans-kit/infrastructure/cda/CDA_extended.xsd")
}

/// The CDA samples of expected.json (paths relative to `shared/samples`).
pub fn cda_samples() -> Vec<String> {
    let expected: serde_json::Value =
        serde_json::from_slice(&read(&sample("expected.json"))).expect("expected.json");
    let mut out: Vec<String> = expected["files"]
        .as_object()
        .expect("files")
        .iter()
        .filter(|(_, v)| v["kind"] == "cda")
        .map(|(k, _)| k.clone())
        .collect();
    out.sort();
    out
}

fn have_xmllint() -> bool {
    let ok = Command::new("xmllint").arg("--version").output().is_ok();
    if !ok {
        eprintln!("SKIP: xmllint not found (apt-get install libxml2-utils; .ci/run installs it)");
    }
    ok
}

/// xmllint's verdict on a file: (valid, lines of its schema validity errors).
fn xmllint(file: &Path) -> (bool, BTreeSet<u32>) {
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(kit_xsd())
        .arg(file)
        .output()
        .expect("run xmllint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("{}:", file.display());
    let lines = stderr
        .lines()
        .filter(|l| l.contains("Schemas validity error") || l.contains("parser error"))
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|l| l.split(':').next()?.trim().parse().ok())
        .collect();
    // Exit status 0: valid; 3: validation errors; anything else: xmllint could not run the check.
    match out.status.code() {
        Some(0) => (true, lines),
        Some(3) | Some(1) => (false, lines),
        other => panic!("xmllint failed ({other:?}) on {}: {stderr}", file.display()),
    }
}

fn ours(doc: &[u8]) -> (bool, BTreeSet<u32>) {
    let errors = validate_xsd(doc, &kit_xsd()).expect("kit XSD compiles");
    (errors.is_empty(), errors.iter().map(|e| e.line).collect())
}

#[test]
fn every_cda_sample_gets_xmllints_verdict_and_error_lines() {
    if !have_xmllint() {
        return;
    }
    let t0 = Instant::now();
    let validator = XsdValidator::new(&kit_xsd()).expect("kit XSD compiles");
    let compile = t0.elapsed();
    let mut diffs = Vec::new();
    let mut times = Vec::new();
    let mut invalid = 0;
    for rel in cda_samples() {
        let path = sample(&rel);
        let bytes = read(&path);
        let t = Instant::now();
        let errors = validator.validate(&bytes);
        times.push(t.elapsed());
        let got = (
            errors.is_empty(),
            errors.iter().map(|e| e.line).collect::<BTreeSet<_>>(),
        );
        let want = xmllint(&path);
        if !got.0 {
            invalid += 1;
            for e in &errors {
                eprintln!("  {rel}:{}: {}", e.line, e.message);
            }
        }
        if got != want {
            diffs.push(format!("{rel}: ours {got:?}, xmllint {want:?}"));
        }
    }
    times.sort();
    eprintln!(
        "xsd: {} samples ({invalid} invalid), compile {:?}, per document median {:?}, max {:?}",
        times.len(),
        compile,
        times[times.len() / 2],
        times[times.len() - 1]
    );
    assert!(
        diffs.is_empty(),
        "differences with xmllint:\n{}",
        diffs.join("\n")
    );
}

/// A valid sample with one change at a known line; returns (mutated bytes, the line changed).
fn mutate(replace: &str, with: &str) -> (Vec<u8>, u32) {
    let base = String::from_utf8(read(&sample(
        "TestContenuCDA-3-0/ExemplesCDA/VAC_2023.01.xml",
    )))
    .expect("utf-8 sample");
    let at = base.find(replace).expect("anchor in the sample");
    let line = base[..at].matches('\n').count() as u32 + 1;
    let mut out = base.clone();
    out.replace_range(at..at + replace.len(), with);
    (out.into_bytes(), line)
}

fn check_mutation(name: &str, bytes: &[u8], line: u32) {
    let (valid, lines) = ours(bytes);
    assert!(!valid, "{name}: the mutated document must be invalid");
    assert!(
        lines.contains(&line),
        "{name}: expected an error at line {line}, got {lines:?}"
    );
    if have_xmllint() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(format!("{name}.xml"));
        std::fs::write(&f, bytes).unwrap();
        assert_eq!((valid, lines), xmllint(&f), "{name}: ours vs xmllint");
    }
}

#[test]
fn an_unknown_element_is_invalid() {
    let (bytes, line) = mutate("<id ", "<unknownElement/><id ");
    check_mutation("unknown-element", &bytes, line);
}

#[test]
fn a_wrong_attribute_type_is_invalid() {
    // `effectiveTime/@value` is a TS: digits only (datatypes-base.xsd `ts` pattern).
    let (bytes, line) = mutate(
        "<effectiveTime value=\"",
        "<effectiveTime value=\"yesterday",
    );
    check_mutation("wrong-attribute-type", &bytes, line);
}

#[test]
fn an_unknown_attribute_is_invalid() {
    let (bytes, line) = mutate("<setId ", "<setId color=\"blue\" ");
    check_mutation("unknown-attribute", &bytes, line);
}

#[test]
fn an_external_entity_is_never_loaded() {
    // XXE: our decoding blanks the DOCTYPE, so `&xxe;` is an unknown entity and nothing is read.
    let doc = b"<?xml version=\"1.0\"?>\n<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&xxe;</title></ClinicalDocument>\n";
    let errors = validate_xsd(doc, &kit_xsd()).unwrap();
    assert!(!errors.is_empty());
    assert!(
        errors.iter().all(|e| !e.message.contains("root:")),
        "{errors:?}"
    );
    assert_eq!(errors[0].line, 3, "{errors:?}");
}

#[test]
fn a_not_well_formed_document_is_an_error_with_its_line() {
    let errors = validate_xsd(
        b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n<id>\n</ClinicalDocument>",
        &kit_xsd(),
    )
    .unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 3, "{errors:?}");
}

#[test]
fn a_remote_schema_location_is_refused_before_libxml2_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let xsd = dir.path().join("remote.xsd");
    std::fs::write(
        &xsd,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="http://example.invalid/x.xsd"/></xs:schema>"#,
    )
    .unwrap();
    let err = XsdValidator::new(&xsd).unwrap_err();
    assert!(matches!(err, XsdSetupError::NotLocal { .. }), "{err}");
}

#[test]
fn a_missing_included_schema_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let xsd = dir.path().join("main.xsd");
    std::fs::write(
        &xsd,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="absent.xsd"/></xs:schema>"#,
    )
    .unwrap();
    let err = XsdValidator::new(&xsd).unwrap_err();
    assert!(matches!(err, XsdSetupError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("absent.xsd"), "{err}");
    assert!(matches!(
        XsdValidator::new(&dir.path().join("nope.xsd")).unwrap_err(),
        XsdSetupError::Missing { .. }
    ));
}

#[test]
fn a_validator_is_reused_on_each_thread() {
    // Each thread compiles its own (the type is !Send); verdicts agree.
    let bytes = read(&sample("TestContenuCDA-3-0/ExemplesCDA/VAC_2023.01.xml"));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let b = bytes.clone();
            std::thread::spawn(move || {
                (0..3)
                    .map(|_| validate_xsd(&b, &kit_xsd()).unwrap().len())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), vec![0, 0, 0]);
    }
}

#[test]
fn a_deep_document_is_refused_by_our_limits_before_libxml2() {
    let depth = 100_000;
    let mut doc = String::from("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">");
    doc.push_str(&"<a>".repeat(depth));
    doc.push_str(&"</a>".repeat(depth));
    doc.push_str("</ClinicalDocument>");
    let errors = validate_xsd(doc.as_bytes(), &kit_xsd()).unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("deep"), "{errors:?}");
}

/// `validate --kit` runs the kit's XSD first (kit README, "How ANS runs it"): a schema error is a
/// `KIT:XSD` failure at the line xmllint gives; a schema-valid sample has one `KIT:XSD` pass.
#[test]
fn kit_xsd_findings_name_the_line_of_each_schema_error() {
    let Some(kit) = crate::schematron::kit() else {
        return;
    };
    let good = read(&sample(
        "TestContenuCDA-3-0/ExemplesCDA/VAC-NOTE_2023.01.xml",
    ));
    let ok = dui_conform::schematron::xsd_findings(kit, &good);
    assert!(
        ok.len() == 1 && ok[0].verdict == dui_conform::model::Verdict::Pass,
        "{ok:#?}"
    );

    let text = String::from_utf8(good).unwrap();
    let at = text.find("<title").expect("a title");
    let bad = format!("{}<notInCda/>{}", &text[..at], &text[at..]);
    let line = 1 + bad[..at].matches('\n').count() as u32;
    let f = dui_conform::schematron::xsd_findings(kit, bad.as_bytes());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].requirement, "KIT:XSD");
    assert_eq!(f[0].verdict, dui_conform::model::Verdict::Fail);
    assert_eq!(f[0].location.line, Some(line));
    assert!(f[0].message.en.contains("notInCda"), "{:?}", f[0].message);
}
