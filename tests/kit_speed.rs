//! Speed of the native kit, and the guard that keeps the optimisations exact.
//!
//! - [`kit_outcomes_dump`] (ignored) writes every outcome of the whole ANS procedure (failed asserts
//!   with pattern, rule, location, line, message; constructs not evaluated; kit defects) on every CDA
//!   sample and on mutated copies, to compare before/after an optimisation of the engine:
//!   `DUI_KIT_DUMP=/tmp/after.txt cargo test --release --test tests kit_outcomes_dump -- --ignored`.
//! - [`fast_path_equals_plain_path`] runs the optimised evaluation (element index, shared
//!   evaluations, native checks) and the plain one (every context and test through xee) on samples and
//!   mutations and requires identical outcomes.

use std::path::PathBuf;
use std::sync::OnceLock;

use dui_conform::schematron::{Kit, KitOutcome};

use crate::util;

fn kit() -> Option<&'static Kit> {
    static KIT: OnceLock<Option<Kit>> = OnceLock::new();
    KIT.get_or_init(|| {
        let dir = util::shared().join("ans-kit");
        if !dir.is_dir() {
            eprintln!("skipped: no ANS kit at {}", dir.display());
            return None;
        }
        Some(Kit::load(&dir).expect("the kit loads"))
    })
    .as_ref()
}

/// Every CDA sample of `expected.json` (relative path, bytes).
fn samples() -> Vec<(String, Vec<u8>)> {
    let v: serde_json::Value =
        serde_json::from_slice(&util::read(&util::sample("expected.json"))).expect("expected.json");
    let mut out: Vec<(String, Vec<u8>)> = v["files"]
        .as_object()
        .expect("files")
        .iter()
        .filter(|(_, e)| e["official_kit"].is_string())
        .map(|(k, _)| (k.clone(), util::read(&util::sample(k))))
        .collect();
    out.sort();
    out
}

/// Deterministic mutations that keep the document well-formed: the n-th `code="…"`, `root="…"`,
/// `extension="…"` or `nullFlavor="…"` value changed, the n-th self-closing `<templateId …/>`,
/// `<id …/>` or `<code …/>` removed.
fn mutations(name: &str, text: &str, per_doc: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut seed = name.bytes().fold(0x9e37_79b9_u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let attrs = [
        "code=\"",
        "root=\"",
        "extension=\"",
        "nullFlavor=\"",
        "value=\"",
    ];
    let elems = [
        "<templateId ",
        "<id ",
        "<code ",
        "<effectiveTime ",
        "<statusCode ",
    ];
    for k in 0..per_doc {
        let r = next();
        let mutated = if k % 2 == 0 {
            let a = attrs[(r % attrs.len() as u64) as usize];
            let hits: Vec<usize> = text.match_indices(a).map(|(i, _)| i).collect();
            if hits.is_empty() {
                continue;
            }
            let at = hits[((r >> 8) % hits.len() as u64) as usize] + a.len();
            let Some(end) = text[at..].find('"') else {
                continue;
            };
            format!("{}ZZ-{}{}", &text[..at], k, &text[at + end..])
        } else {
            let e = elems[(r % elems.len() as u64) as usize];
            let hits: Vec<usize> = text.match_indices(e).map(|(i, _)| i).collect();
            if hits.is_empty() {
                continue;
            }
            let at = hits[((r >> 8) % hits.len() as u64) as usize];
            let Some(close) = text[at..].find('>') else {
                continue;
            };
            if !text[..at + close].ends_with('/') {
                continue;
            }
            format!("{}{}", &text[..at], &text[at + close + 1..])
        };
        out.push((format!("{name}#mut{k}"), mutated.into_bytes()));
    }
    out
}

/// Samples, then `per_doc` mutations of each.
fn documents(per_doc: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = samples();
    let base: Vec<_> = out.clone();
    for (name, bytes) in base {
        if let Ok(text) = String::from_utf8(bytes) {
            out.extend(mutations(&name, &text, per_doc));
        }
    }
    out
}

/// The outcome as text lines, in the order produced.
fn dump(o: &KitOutcome) -> String {
    let mut s = format!("schematrons {:?}\n", o.schematrons);
    for a in &o.asserts {
        s.push_str(&format!(
            "A {} | {:?} | {} | {} | {:?} | {:?} | {} | {:?} | {} | {}\n",
            a.schematron,
            a.pattern,
            a.rule_context,
            a.test,
            a.kind,
            a.role,
            a.location,
            a.line,
            a.text,
            a.source
        ));
    }
    for n in &o.not_evaluated {
        s.push_str(&format!("N {} | {} | {}\n", n.schematron, n.at, n.reason));
    }
    for d in &o.defects {
        s.push_str(&format!("D {d}\n"));
    }
    s
}

/// Writes the outcomes of the whole procedure on samples and mutations to `DUI_KIT_DUMP` (default
/// `target/kit-outcomes.txt`), with the time per document; `DUI_KIT_MUTATIONS=n` mutations per
/// sample (default 2); `DUI_KIT_PLAIN=1`: the plain evaluation.
/// `DUI_KIT_DUMP=/tmp/x.txt cargo test --release --test tests kit_outcomes_dump -- --ignored --nocapture`
#[test]
#[ignore]
fn kit_outcomes_dump() {
    let Some(kit) = kit() else { return };
    let path = std::env::var_os("DUI_KIT_DUMP")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::root().join("target/kit-outcomes.txt"));
    let mut text = String::new();
    let t0 = std::time::Instant::now();
    let plain = std::env::var_os("DUI_KIT_PLAIN").is_some();
    let only = std::env::var("DUI_KIT_SAMPLE").unwrap_or_default();
    let per_doc = std::env::var("DUI_KIT_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    for (name, bytes) in documents(per_doc) {
        if !name.contains(&only) {
            continue;
        }
        let t = std::time::Instant::now();
        let o = if plain {
            dui_conform::schematron::eval::with_plain(|| kit.check(&bytes))
        } else {
            kit.check(&bytes)
        };
        eprintln!(
            "{:>10.1?} {name} {:?}",
            t.elapsed(),
            dui_conform::schematron::eval::take_stats()
        );
        text.push_str(&format!("=== {name}\n{}", dump(&o)));
    }
    eprintln!("total {:?}", t0.elapsed());
    dui_conform::schematron::eval::print_profile();
    std::fs::write(&path, text).expect("dump written");
    eprintln!("written to {}", path.display());
}

/// Which schematrons a case applies.
type Keep = dyn Fn(&str) -> bool;

/// The optimised evaluation gives exactly the plain evaluation's outcome (asserts with their locations
/// and messages, constructs not evaluated, defects, in the same order) on samples and mutated copies.
/// The full sweep (every sample and its mutations, whole procedure) is `kit_outcomes_dump` run twice
/// (`DUI_KIT_PLAIN=1` then without) and compared with `cmp`; the plain path is slow (seconds per
/// document), so this test keeps two documents and their mutations: the whole procedure on a small
/// one, Structuration minimale and the generic profiles on a volet sample.
#[test]
fn fast_path_equals_plain_path() {
    let Some(kit) = kit() else { return };
    use dui_conform::schematron::kit::{PROFILES, STRUCT_MIN};
    let whole = |_: &str| true;
    let generic = |f: &str| f == STRUCT_MIN || PROFILES.contains(&f);
    let cases: [(&str, &Keep); 2] = [("CR_Radio_CDAN1_v1", &whole), ("VAC_2023.01", &generic)];
    let mut diffs = Vec::new();
    let mut n = 0;
    for (name, bytes) in documents(2) {
        let Some((_, keep)) = cases.iter().find(|(k, _)| name.contains(k)) else {
            continue;
        };
        n += 1;
        let fast = dump(&kit.check_only(&bytes, keep));
        let plain = dump(&dui_conform::schematron::eval::with_plain(|| {
            kit.check_only(&bytes, keep)
        }));
        if fast != plain {
            diffs.push(format!("{name}:\n--- plain\n{plain}\n--- fast\n{fast}"));
        }
    }
    assert!(n >= 4, "samples missing: {n} documents");
    let stats = dui_conform::schematron::eval::take_stats();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The optimised path is really taken.
    assert!(
        stats.native_tests > 0 && stats.native_steps > 0,
        "{stats:?}"
    );
}

/// Median of durations in ms.
fn median_ms(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The benchmark of issue 3: documents per second through the whole ANS procedure (Structuration
/// minimale + volet + the three generic profiles, no XSD), ours with a warm engine against Saxon-HE
/// (`tools/saxon_reference.py --bench`, same documents, same run), and cold first verdicts (a new
/// `dui-conform validate --kit` process; Saxon's load + compile + first document).
/// `cargo test --release --test tests kit_speed_vs_saxon -- --ignored --nocapture`
/// (`DUI_KIT_BENCH_REPEAT=n`, default 3; Saxon needs python3 with lxml and saxonche, `.ci/run`).
#[test]
#[ignore]
fn kit_speed_vs_saxon() {
    let Some(kit) = kit() else { return };
    let repeat: usize = std::env::var("DUI_KIT_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let pick = [
        "VAC_2023.01",
        "IPS-FR_2024.01",
        "BIO-CR-BIO_2024.01_TSH_1",
        "DLU-EHPAD-DLU_2022.01",
        "eDISP-MED_2024.01",
        "CDA_TDDUI_Exemple_v1.0.1",
    ];
    let all = samples();
    let docs: Vec<&(String, Vec<u8>)> = all
        .iter()
        .filter(|(n, _)| pick.iter().any(|p| n.contains(p)))
        .collect();
    // Ours, warm: one pass to compile what the documents need, then `repeat` passes.
    for (_, b) in &all {
        kit.check(b);
    }
    let mut per_doc: Vec<Vec<f64>> = vec![Vec::new(); all.len()];
    let t = std::time::Instant::now();
    for _ in 0..repeat {
        for (i, (_, b)) in all.iter().enumerate() {
            let t = std::time::Instant::now();
            kit.check(b);
            per_doc[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let ours_all_dps = (all.len() * repeat) as f64 / t.elapsed().as_secs_f64();
    let ours_med: Vec<(String, f64)> = all
        .iter()
        .zip(per_doc.iter_mut())
        .map(|((n, _), v)| (n.rsplit('/').next().unwrap_or(n).to_string(), median_ms(v)))
        .collect();
    // Ours, cold: a new process per document (start, kit load, compile, verdict).
    let mut cold = Vec::new();
    for (n, _) in &docs {
        let t = std::time::Instant::now();
        let out = std::process::Command::new(util::bin())
            .args(["validate", "--kit"])
            .arg(util::shared().join("ans-kit"))
            .arg(util::sample(n))
            .output()
            .expect("dui-conform runs");
        cold.push((
            n.rsplit('/').next().unwrap_or(n).to_string(),
            t.elapsed().as_secs_f64() * 1000.0,
            out.status.code(),
        ));
    }
    // Saxon, same documents.
    let saxon = std::process::Command::new("python3")
        .arg(util::root().join("tools/saxon_reference.py"))
        .arg("--kit")
        .arg(util::shared().join("ans-kit"))
        .arg("--cache")
        .arg(util::root().join("target/saxon-reference"))
        .args(["--bench", &repeat.to_string()])
        .args(docs.iter().map(|(n, _)| util::sample(n)))
        .output();
    let saxon: Option<serde_json::Value> = saxon
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice(&o.stdout).ok());
    let mut report =
        String::from("document | ours warm ms (median) | Saxon warm ms (median) | ratio\n");
    let mut ours_sel = 0.0;
    let mut saxon_sel = 0.0;
    for (n, _) in &docs {
        let short = n.rsplit('/').next().unwrap_or(n);
        let o = ours_med
            .iter()
            .find(|(m, _)| m == short)
            .map_or(f64::NAN, |x| x.1);
        let s = saxon
            .as_ref()
            .and_then(|j| j["per_document_median_ms"][short].as_f64())
            .unwrap_or(f64::NAN);
        ours_sel += o;
        saxon_sel += s;
        report.push_str(&format!("{short} | {o:.1} | {s:.1} | {:.1}x\n", s / o));
    }
    report.push_str(&format!(
        "selection: ours {:.2} docs/s, Saxon {:.2} docs/s ({:.1}x); ours over all {} samples: {:.2} docs/s\n",
        docs.len() as f64 * 1000.0 / ours_sel,
        docs.len() as f64 * 1000.0 / saxon_sel,
        saxon_sel / ours_sel,
        all.len(),
        ours_all_dps
    ));
    report.push_str("cold first verdict (new process, kit load + compile + verdict):\n");
    for (n, ms, code) in &cold {
        report.push_str(&format!("  ours {n}: {ms:.0} ms (exit {code:?})\n"));
    }
    if let Some(j) = &saxon {
        report.push_str(&format!(
            "  Saxon (in-process, XSLT cached on disk): {} ms\n",
            j["cold_first_verdict_ms"]
        ));
    } else {
        report.push_str("  Saxon: not available (python3 with lxml and saxonche)\n");
    }
    report.push_str("ours per sample (warm median ms):\n");
    for (n, ms) in &ours_med {
        report.push_str(&format!("  {ms:>8.1} {n}\n"));
    }
    eprintln!("{report}");
}
