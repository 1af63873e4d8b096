//! Throughput of the official ANS kit run natively (criterion): `cargo bench --bench kit`.
//!
//! - `kit/procedure-corpus`: the whole ANS procedure (Structuration minimale, volet, the three profiles)
//!   on every CDA sample of `../shared/samples` that the kit judges, warm (the kit loaded and its XPath
//!   compiled by a first pass), in documents/s.
//! - `kit/procedure`: a few representative documents one by one (a level-1 document, the DLU, the largest
//!   structured document).
//! - `kit/validate-with-kit`: `validate --kit` as the library runs it (our checks, the XSD when built with
//!   `--features xsd`, then the kit) on the DLU sample.
//!
//! Saxon-HE, the reference, side by side in the same run: the ignored test `kit_speed_vs_saxon`
//! (`cargo test --release --features xsd --test tests kit_speed_vs_saxon -- --ignored --nocapture`).
//! `DUI_CONFORM_SHARED` overrides the location of `shared/` (default: `../shared` next to the crate).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dui_conform::schematron::Kit;
use dui_conform::validate::{validate_bytes, Options};

fn shared() -> PathBuf {
    std::env::var_os("DUI_CONFORM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// The CDA samples `expected.json` gives an official verdict for: (path, bytes).
fn judged_samples() -> Vec<(String, Vec<u8>)> {
    let dir = shared().join("samples");
    let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out: Vec<_> = json["files"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v["official_kit"].is_string())
        .filter_map(|(rel, _)| std::fs::read(dir.join(rel)).ok().map(|b| (rel.clone(), b)))
        .collect();
    out.sort();
    out
}

fn kit(c: &mut Criterion) {
    let dir = shared().join("ans-kit");
    let Ok(kit) = Kit::load(&dir) else {
        eprintln!("no kit at {}: benchmarks skipped", dir.display());
        return;
    };
    let docs = judged_samples();
    if docs.is_empty() {
        eprintln!("no samples: benchmarks skipped");
        return;
    }
    // Warm-up: every expression the corpus needs compiled once.
    for (_, b) in &docs {
        black_box(kit.check(b));
    }

    let mut g = c.benchmark_group("kit/procedure-corpus");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function(format!("{} documents", docs.len()), |b| {
        b.iter(|| {
            for (_, bytes) in &docs {
                black_box(kit.check(bytes));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("kit/procedure");
    g.sample_size(20);
    for want in [
        "DOC_NON_STRUCTURE_CDA-R2-N1.xml",
        "DLU-EHPAD-DLU_2022.01.xml",
        "IPS-FR_2024.01.xml",
    ] {
        let Some((_, bytes)) = docs.iter().find(|(n, _)| n.ends_with(want)) else {
            continue;
        };
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::from_parameter(want), bytes, |b, bytes| {
            b.iter(|| black_box(kit.check(bytes)))
        });
    }
    g.finish();

    let opts = Options {
        kit: Some(Arc::new(kit)),
        ..Options::default()
    };
    if let Some((name, bytes)) = docs
        .iter()
        .find(|(n, _)| n.ends_with("DLU-EHPAD-DLU_2022.01.xml"))
    {
        let mut g = c.benchmark_group("kit/validate-with-kit");
        g.sample_size(20);
        g.throughput(Throughput::Elements(1));
        g.bench_function("DLU-EHPAD-DLU_2022.01.xml", |b| {
            b.iter(|| black_box(validate_bytes(name, bytes, &opts)))
        });
        g.finish();
    }
}

criterion_group!(benches, kit);
criterion_main!(benches);
