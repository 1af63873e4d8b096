//! The official ANS kit run natively on the real samples: `official_kit` of `expected.json`, and the
//! failed asserts pinned per sample. Skips with a message when `../shared/ans-kit` is absent.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use dui_conform::schematron::{Kit, KitOutcome};

use crate::util;

fn kit_dir() -> PathBuf {
    util::shared().join("ans-kit")
}

pub fn kit() -> Option<&'static Kit> {
    static KIT: OnceLock<Option<Kit>> = OnceLock::new();
    KIT.get_or_init(|| {
        if !kit_dir().is_dir() {
            eprintln!("skipped: no ANS kit at {}", kit_dir().display());
            return None;
        }
        let t = Instant::now();
        let k = Kit::load(&kit_dir()).expect("the kit loads");
        eprintln!("kit loaded in {:?}", t.elapsed());
        Some(k)
    })
    .as_ref()
}

/// `(path, official_kit, reason)` of every CDA sample.
fn samples() -> Vec<(String, String, String)> {
    let v: serde_json::Value =
        serde_json::from_slice(&util::read(&util::sample("expected.json"))).expect("expected.json");
    let mut out = Vec::new();
    for (k, e) in v["files"].as_object().expect("files") {
        if let Some(o) = e["official_kit"].as_str() {
            out.push((
                k.clone(),
                o.to_string(),
                e["official_kit_reason"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort();
    // DUI_KIT_SAMPLE=substring narrows the run (profiling one document).
    if let Ok(f) = std::env::var("DUI_KIT_SAMPLE") {
        out.retain(|(p, _, _)| p.contains(&f));
    }
    out
}

fn summary(o: &KitOutcome, schematron: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = o
        .asserts
        .iter()
        .filter(|a| a.is_error && schematron.is_none_or(|s| a.schematron == s))
        .map(|a| format!("{} | {} | {}", a.schematron, a.location, a.text))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Structuration minimale alone gives the official verdict where the official reason is a
/// Structuration minimale failure, and passes elsewhere (the samples' other failures are volet ones).
#[test]
fn structuration_minimale_gives_the_official_verdicts() {
    let Some(kit) = kit() else { return };
    let mut report = Vec::new();
    let mut wrong = Vec::new();
    for (path, official, reason) in samples() {
        let bytes = util::read(&util::sample(&path));
        let t = Instant::now();
        let o = kit.check_only(&bytes, |f| f == dui_conform::schematron::kit::STRUCT_MIN);
        let dt = t.elapsed();
        let sm = summary(&o, Some(dui_conform::schematron::kit::STRUCT_MIN));
        let expect_fail = official == "fail" && reason.starts_with("Structuration minimale");
        if expect_fail == sm.is_empty() {
            wrong.push(format!(
                "{path}: official {official} ({reason}); ours: {sm:#?}"
            ));
        }
        report.push(format!(
            "{dt:>10.1?} {path}: official={official} ours={} (schematrons {:?}) not_evaluated={} all_errors={}",
            if o.passed() { "pass" } else { "fail" },
            o.schematrons,
            o.not_evaluated.len(),
            summary(&o, None).len()
        ));
        insta::assert_snapshot!(
            format!("struct_min@{}", path.rsplit('/').next().unwrap_or(&path)),
            sm.join("\n")
        );
    }
    eprintln!("{}", report.join("\n"));
    eprintln!("compiled on this thread: {}", kit.compiled_on_this_thread());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The whole ANS procedure (Structuration minimale + volet + the three generic profiles) on every CDA
/// sample, with timings: slow in a debug build (seconds per document), hence ignored by default.
/// `cargo test --release --test tests schematron_full -- --ignored --nocapture`.
#[test]
#[ignore]
fn schematron_full_procedure_on_the_samples() {
    let Some(kit) = kit() else { return };
    let mut mismatches = Vec::new();
    for (path, official, reason) in samples() {
        let bytes = util::read(&util::sample(&path));
        let t = Instant::now();
        let o = kit.check(&bytes);
        let ours = if o.passed() { "pass" } else { "fail" };
        eprintln!(
            "{:>10.1?} {path}: official={official} ours={ours} schematrons={:?} not_evaluated={} defects={}",
            t.elapsed(),
            o.schematrons,
            o.not_evaluated.len(),
            o.defects.len()
        );
        if ours != official {
            mismatches.push(format!(
                "{path}: official {official} ({reason}), ours {ours}: {:#?}",
                summary(&o, None)
            ));
        }
    }
    eprintln!("compiled on this thread: {}", kit.compiled_on_this_thread());
    eprintln!(
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// `dui-conform validate --kit` adds `KIT:` findings: the eDISP sample fails Structuration minimale.
#[test]
fn validate_with_kit_adds_official_findings() {
    if kit().is_none() {
        return;
    }
    let kit = std::sync::Arc::new(Kit::load(&kit_dir()).expect("kit"));
    let opts = dui_conform::validate::Options {
        kit: Some(kit),
        ..Default::default()
    };
    let p = util::sample("TestContenuCDA-3-0/ExemplesCDA/eDISP-MED_2024.01.xml");
    let r = dui_conform::validate::validate_bytes("x.xml", &util::read(&p), &opts);
    let kit_fails: Vec<_> = r[0]
        .findings
        .iter()
        .filter(|f| {
            f.requirement == "KIT:ASIP-STRUCT-MIN-StrucMin.sch"
                && f.verdict == dui_conform::model::Verdict::Fail
        })
        .collect();
    assert!(!kit_fails.is_empty(), "{:#?}", r[0].findings);
    assert!(kit_fails[0]
        .location
        .path
        .as_deref()
        .unwrap_or("")
        .starts_with("/*:ClinicalDocument"));
}
