//! Throughput of `dui-conform validate` (criterion): `cargo bench --bench validate`.
//!
//! - `validate/cda-corpus-bytes` and `validate/cda-corpus-docs`: every real CDA sample of
//!   `../shared/samples` (read in place, listed by `expected.json`) validated in one iteration, reported
//!   in MB/s (`Throughput::Bytes`) and documents/s (`Throughput::Elements`).
//! - `validate/cda`: a few representative documents one by one (level 1 with a PDF, the TDDUI export,
//!   the largest structured documents).
//! - `validate/xdm-corpus`: the official IHE_XDM archives (zip, metadata, nested document).
//! - `end-to-end`: the release binary run as a process on one document (start-up included), and on the
//!   whole CDA corpus in one process. The official ANS kit takes 263 ms per document (median) after a
//!   12 s start-up; the goal here is a few milliseconds per document, start-up included.
//!
//!
//! `DUI_CONFORM_SHARED` overrides the location of `shared/` (default: `../shared` next to the crate).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dui_conform::validate::{validate_bytes, Options};

fn shared() -> PathBuf {
    std::env::var_os("DUI_CONFORM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// The samples of `expected.json` of this kind: (path relative to `samples/`, bytes).
fn samples(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = shared().join("samples");
    let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) else {
        eprintln!(
            "no {}: benchmarks skipped",
            dir.join("expected.json").display()
        );
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(files) = json["files"].as_object() {
        for (rel, v) in files {
            if v["kind"].as_str() == Some(kind) {
                if let Ok(bytes) = std::fs::read(dir.join(rel)) {
                    out.push((rel.clone(), bytes));
                }
            }
        }
    }
    out.sort();
    out
}

/// The official XDM archives (`samples/interop-exemples-xdm/*/IHE_XDM.ZIP`).
fn xdm_archives() -> Vec<(String, Vec<u8>)> {
    let dir = shared().join("samples/interop-exemples-xdm");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path().join("IHE_XDM.ZIP");
            std::fs::read(&p)
                .ok()
                .map(|b| (e.file_name().to_string_lossy().into_owned(), b))
        })
        .collect();
    out.sort();
    out
}

fn corpus(c: &mut Criterion) {
    let docs = samples("cda");
    if docs.is_empty() {
        return;
    }
    let opts = Options::default();
    let total: u64 = docs.iter().map(|(_, b)| b.len() as u64).sum();
    let run_all = |docs: &[(String, Vec<u8>)]| {
        for (name, bytes) in docs {
            black_box(validate_bytes(name, bytes, &opts));
        }
    };

    let mut g = c.benchmark_group("validate/cda-corpus-bytes");
    g.throughput(Throughput::Bytes(total));
    g.bench_function(
        format!("{} documents, {:.1} MB", docs.len(), total as f64 / 1e6),
        |b| b.iter(|| run_all(&docs)),
    );
    g.finish();

    let mut g = c.benchmark_group("validate/cda-corpus-docs");
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function(format!("{} documents", docs.len()), |b| {
        b.iter(|| run_all(&docs))
    });
    g.finish();

    let mut g = c.benchmark_group("validate/cda");
    for want in [
        "DOC_NON_STRUCTURE_CDA-R2-N1.xml",
        "CDA_TDDUI_Exemple_v1.0.1.xml",
        "DLU-EHPAD-DLU_2022.01.xml",
        "IPS-FR_2024.01.xml",
    ] {
        let Some((name, bytes)) = docs.iter().find(|(n, _)| n.ends_with(want)) else {
            continue;
        };
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(want), bytes, |b, bytes| {
            b.iter(|| black_box(validate_bytes(name, bytes, &opts)))
        });
    }
    g.finish();
}

fn xdm(c: &mut Criterion) {
    let zips = xdm_archives();
    if zips.is_empty() {
        return;
    }
    let opts = Options::default();
    let total: u64 = zips.iter().map(|(_, b)| b.len() as u64).sum();
    let mut g = c.benchmark_group("validate/xdm-corpus");
    g.throughput(Throughput::Elements(zips.len() as u64));
    g.bench_function(
        format!("{} archives, {:.1} MB", zips.len(), total as f64 / 1e6),
        |b| {
            b.iter(|| {
                for (name, bytes) in &zips {
                    black_box(validate_bytes(name, bytes, &opts));
                }
            })
        },
    );
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let dir = shared().join("samples");
    let one = dir.join("TestContenuCDA-3-0/ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml");
    let structured = dir.join("IG-contenu-cda-medicosocial-transfert-donnees-dui/input/images/CDA_TDDUI_Exemple_v1.0.1.xml");
    let all = dir.join("TestContenuCDA-3-0/ExemplesCDA");
    if !one.exists() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_dui-conform");
    let run = |args: &[&std::ffi::OsStr]| {
        let status = Command::new(bin)
            .arg("validate")
            .arg("--format")
            .arg("json")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dui-conform");
        // 0 or 1: the verdict; anything else is a harness failure.
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "dui-conform exited {status}"
        );
    };
    let mut g = c.benchmark_group("end-to-end");
    g.sample_size(30);
    g.bench_function("process: 1 N1 document", |b| {
        b.iter(|| run(&[one.as_os_str()]))
    });
    if structured.exists() {
        g.bench_function("process: 1 TDDUI export", |b| {
            b.iter(|| run(&[structured.as_os_str()]))
        });
    }
    let n = std::fs::read_dir(&all).map(|d| d.count()).unwrap_or(0);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(
        format!("process: ExemplesCDA directory ({n} documents)"),
        |b| b.iter(|| run(&[all.as_os_str()])),
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    targets = corpus, xdm, end_to_end
}
criterion_main!(benches);
