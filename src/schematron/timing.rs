//! Phase timings of a kit load and of a document check, for measuring where a cold run spends its time
//! (docs/kit-speed.md). Off unless `DUI_CONFORM_TIMING` is set (non-empty, not `0`); then `dui-conform`
//! prints the table on stderr when it exits. Counters are process-wide atomics: a phase running on
//! several threads adds up its CPU time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A measured phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Walking the kit folder and reading every schematron and value-set file for the content hash.
    HashRead,
    /// SHA-256 of those bytes.
    Hash,
    /// The stat fingerprint of the kit's files (path, size, mtime) and its lookup in the cache.
    Fingerprint,
    /// Reading the on-disk cache file.
    CacheRead,
    /// Decoding the on-disk cache file.
    CacheDecode,
    /// Encoding and writing the on-disk cache file.
    CacheWrite,
    /// Reading schematron files (includes too, each time they are included).
    SchRead,
    /// Parsing schematron files (roxmltree) and converting them to the owned tree.
    SchParse,
    /// Abstract rules and patterns, phases: the expansion of the parsed tree.
    Expand,
    /// The templateId → volet table.
    VoletTable,
    /// Finding and reading the value-set files the schematrons name.
    ValueSetRead,
    /// Parsing the value sets into xee's document store (one per thread, and per rebuild).
    ValueSetParse,
    /// Compiling XPath expressions with xee.
    Compile,
    /// Decoding and parsing the document checked (roxmltree, then xee).
    DocParse,
    /// Evaluating rule contexts, lets, tests and messages (compilation excluded).
    Evaluate,
    /// XSD validation of the document (libxml2).
    Xsd,
}

const PHASES: [(Phase, &str); 16] = [
    (Phase::HashRead, "kit files read for the content hash"),
    (Phase::Hash, "SHA-256 of the kit files"),
    (Phase::Fingerprint, "stat fingerprint of the kit files"),
    (Phase::CacheRead, "cache file read"),
    (Phase::CacheDecode, "cache file decoded"),
    (Phase::CacheWrite, "cache file encoded and written"),
    (Phase::SchRead, "schematron files read"),
    (Phase::SchParse, "schematron files parsed (roxmltree)"),
    (Phase::Expand, "include/abstract expansion"),
    (Phase::VoletTable, "volet table"),
    (Phase::ValueSetRead, "value-set files found and read"),
    (Phase::ValueSetParse, "value sets parsed into xee's store"),
    (Phase::Compile, "XPath compiled (xee)"),
    (Phase::DocParse, "document decoded and parsed"),
    (Phase::Evaluate, "schematron evaluation"),
    (Phase::Xsd, "XSD validation"),
];

static NANOS: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
static CALLS: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
static BYTES: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
static FORCED: AtomicBool = AtomicBool::new(false);

/// Whether timings are collected (`DUI_CONFORM_TIMING`, or [`enable`]).
pub fn enabled() -> bool {
    static ENV: OnceLock<bool> = OnceLock::new();
    FORCED.load(Ordering::Relaxed)
        || *ENV.get_or_init(|| {
            std::env::var("DUI_CONFORM_TIMING").is_ok_and(|v| !v.is_empty() && v != "0")
        })
}

/// Collects timings from now on (tests, benchmarks).
pub fn enable() {
    FORCED.store(true, Ordering::Relaxed);
}

fn slot(p: Phase) -> usize {
    PHASES.iter().position(|(q, _)| *q == p).unwrap_or(0)
}

/// Adds `d` (and `bytes`, one call) to phase `p`.
pub fn add(p: Phase, d: Duration, bytes: u64) {
    if !enabled() {
        return;
    }
    let i = slot(p);
    NANOS[i].fetch_add(
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    CALLS[i].fetch_add(1, Ordering::Relaxed);
    BYTES[i].fetch_add(bytes, Ordering::Relaxed);
}

/// The time phase `p` took so far (to take a nested phase, such as compilation inside evaluation, out
/// of the enclosing one).
pub fn total(p: Phase) -> Duration {
    Duration::from_nanos(NANOS[slot(p)].load(Ordering::Relaxed))
}

/// Starts timing: `Some(now)` when timings are collected.
pub fn start() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// Ends a timing begun with [`start`]; returns the elapsed time (zero when off).
pub fn end(p: Phase, t: Option<Instant>, bytes: u64) -> Duration {
    match t {
        Some(t) => {
            let d = t.elapsed();
            add(p, d, bytes);
            d
        }
        None => Duration::ZERO,
    }
}

/// Per phase: (name, total time, calls, bytes), phases never entered left out.
pub fn snapshot() -> Vec<(&'static str, Duration, u64, u64)> {
    PHASES
        .iter()
        .enumerate()
        .filter(|(i, _)| CALLS[*i].load(Ordering::Relaxed) > 0)
        .map(|(i, (_, name))| {
            (
                *name,
                Duration::from_nanos(NANOS[i].load(Ordering::Relaxed)),
                CALLS[i].load(Ordering::Relaxed),
                BYTES[i].load(Ordering::Relaxed),
            )
        })
        .collect()
}

/// The table, one phase a line (milliseconds, calls, bytes), then `total` wall time since `since`.
pub fn table(since: Instant) -> String {
    let mut s = String::from("dui-conform timings (DUI_CONFORM_TIMING):\n");
    for (name, d, calls, bytes) in snapshot() {
        s.push_str(&format!(
            "  {name:<42} {:>9.1} ms {calls:>6} calls {:>12}\n",
            d.as_secs_f64() * 1e3,
            if bytes > 0 {
                format!("{bytes} B")
            } else {
                String::new()
            }
        ));
    }
    s.push_str(&format!(
        "  {:<42} {:>9.1} ms\n",
        "process wall time",
        since.elapsed().as_secs_f64() * 1e3
    ));
    s
}
