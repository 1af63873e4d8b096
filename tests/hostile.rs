//! Hostile input: through the library (`validate_bytes`) and through the binary, every hostile input
//! yields findings or a clean exit 2, never a panic (exit 101), a hang or unbounded memory.
//!
//! Small inputs are committed under `fixtures/hostile/` (one line each in `fixtures/hostile.md`, the
//! table [`FIXTURES`] says what each must give); big ones (a 50 MB attribute, a 1 GB zip bomb, a 100 MB
//! XDM, 100,000 nested elements, 10,000 MIME parts…) are generated at test time under
//! `CARGO_TARGET_TMPDIR`, never committed. The library is run in a thread with a timeout; the binary in a
//! child process with a timeout, its peak RSS read from `/proc/<pid>/status` (VmHWM) while it runs.
//!
//! Debugging: `cargo test --test tests hostile -- --nocapture` prints each input's outcome.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use dui_conform::model::{ArtifactResult, Verdict};
use dui_conform::validate::{validate_bytes, Options};

use super::util::{bin, read, root, sample};

/// Longest a library call may take on one input (debug build) before it counts as a hang.
const LIB_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest the binary may take on one input (debug build) before it counts as a hang.
const BIN_TIMEOUT: Duration = Duration::from_secs(180);
/// Peak resident memory allowed to the binary, in KiB.
const MAX_RSS_KB: u64 = 150 * 1024;

/// What a hostile input must give, beyond "no panic, no hang, bounded memory".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// At least one artifact fails (exit code 1): a malformed input is a failed well-formedness rule.
    Fail,
    /// Not a silent pass: some artifact fails or warns, or the binary exits 2.
    NotPass,
    /// Anything but a crash: the input may be acceptable.
    Any,
}

/// Every committed fixture of `fixtures/hostile/` and what it must give.
pub const FIXTURES: &[(&str, Expect)] = &[
    ("cda_err_001_invalid_base64_nonxmlbody.xml", Expect::Fail),
    ("cda_err_002_empty_nonxmlbody.xml", Expect::Fail),
    ("mime_err_001_invalid_base64_attachment.eml", Expect::Any),
    ("mime_err_002_unclosed_multipart.eml", Expect::Any),
    ("xml_err_001_mismatched_tag.xml", Expect::Fail),
    ("xml_err_002_utf8_bom_latin1_declared.xml", Expect::Fail),
    ("xml_err_003_utf16le_bom_utf8_declared.xml", Expect::Fail),
    ("xml_err_004_xxe_external_entity.xml", Expect::Fail),
    ("xml_err_005_billion_laughs.xml", Expect::Fail),
    ("xml_err_006_quadratic_blowup.xml", Expect::Fail),
    ("xml_err_007_invalid_utf8.xml", Expect::Fail),
    ("xml_err_008_unknown_encoding.xml", Expect::Fail),
    ("xml_err_009_deep_100.xml", Expect::Any),
    ("xml_err_010_empty.xml", Expect::NotPass),
    ("xml_err_011_bom_only.xml", Expect::NotPass),
    ("xml_err_012_nul_bytes.xml", Expect::Fail),
    ("xml_err_013_two_roots.xml", Expect::Fail),
    ("xml_err_014_unclosed_comment.xml", Expect::Fail),
    ("xml_err_015_unclosed_doctype.xml", Expect::Fail),
    ("xml_err_016_cdata_and_pi_in_root.xml", Expect::Fail),
    ("xml_err_017_text_before_root_multibyte.xml", Expect::Fail),
    ("zip_err_001_path_traversal.zip", Expect::Fail),
    ("zip_err_002_declared_size_too_small.zip", Expect::Fail),
    ("zip_err_003_declared_size_huge.zip", Expect::Fail),
    ("zip_err_004_truncated.zip", Expect::Fail),
    ("zip_err_005_eocd_claims_65535_entries.zip", Expect::Fail),
    ("zip_err_006_corrupt_deflate.zip", Expect::Fail),
];

/// Inputs that do not meet their expectation yet, each with the reason. The tests check that each gap
/// is still open, so that a fixed gap is noticed (the test then fails and asks to remove the entry).
pub const KNOWN_GAPS: &[(&str, &str)] = &[];

fn gap(name: &str) -> Option<&'static str> {
    KNOWN_GAPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

// ---------------------------------------------------------------------------------------------
// Running the library and the binary under watch.

/// Runs `validate_bytes` in a thread; panics (failing the test) if it panics or exceeds the timeout.
pub fn lib_validate(name: &str, bytes: Arc<Vec<u8>>) -> Vec<ArtifactResult> {
    let (tx, rx) = mpsc::channel();
    let n = name.to_string();
    let handle = std::thread::Builder::new()
        .name(format!("validate {name}"))
        .spawn(move || {
            let r = validate_bytes(&n, &bytes, &Options::default());
            let _ = tx.send(r);
        })
        .expect("spawn");
    match rx.recv_timeout(LIB_TIMEOUT) {
        Ok(r) => {
            let _ = handle.join();
            r
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: validate_bytes still running after {LIB_TIMEOUT:?} (hang)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{name}: validate_bytes panicked (see above)")
        }
    }
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Peak resident set size (VmHWM) in KiB, when /proc could be read.
    pub peak_rss_kb: Option<u64>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the binary with `args` (and `stdin` bytes, if any) under a timeout, sampling its peak RSS.
pub fn run_bin(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dui-conform");
    let pid = child.id();
    let feeder = stdin.map(|bytes| {
        let mut sin = child.stdin.take().expect("stdin");
        std::thread::spawn(move || {
            let _ = sin.write_all(&bytes);
        })
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut peak = None;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(pid) {
            peak = Some(peak.map_or(kb, |p: u64| p.max(kb)));
        }
        match child.try_wait().expect("wait") {
            Some(s) => break s,
            None if start.elapsed() > BIN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("dui-conform {args:?} still running after {BIN_TIMEOUT:?} (hang)");
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = out_t.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
        peak_rss_kb: peak,
        elapsed: start.elapsed(),
    }
}

/// Asserts the binary neither crashed nor overran memory, and returns its JSON report (if it wrote one).
fn assert_clean_exit(name: &str, run: &Run) -> Option<serde_json::Value> {
    match run.code {
        Some(0..=2) => {}
        Some(101) => panic!("{name}: the binary panicked (exit 101):\n{}", run.stderr),
        other => panic!(
            "{name}: unexpected exit {other:?} (signal?):\n{}",
            run.stderr
        ),
    }
    if run.code == Some(2) {
        let lines: Vec<_> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{name}: exit 2 must come with a one-line reason, got:\n{}",
            run.stderr
        );
    }
    if let Some(kb) = run.peak_rss_kb {
        assert!(
            kb < MAX_RSS_KB,
            "{name}: peak RSS {} MiB exceeds {} MiB",
            kb / 1024,
            MAX_RSS_KB / 1024
        );
    }
    serde_json::from_slice(&run.stdout).ok()
}

fn lib_meets(artifacts: &[ArtifactResult], expect: Expect) -> bool {
    match expect {
        Expect::Any => true,
        Expect::Fail => artifacts.iter().any(|a| a.verdict == Verdict::Fail),
        Expect::NotPass => artifacts
            .iter()
            .any(|a| matches!(a.verdict, Verdict::Fail | Verdict::Warning)),
    }
}

fn bin_meets(run: &Run, json: Option<&serde_json::Value>, expect: Expect) -> bool {
    let verdicts: Vec<&str> = json
        .and_then(|j| j["artifacts"].as_array())
        .map(|a| a.iter().filter_map(|x| x["verdict"].as_str()).collect())
        .unwrap_or_default();
    match expect {
        Expect::Any => true,
        Expect::Fail => run.code == Some(1),
        Expect::NotPass => run.code != Some(0) || verdicts.contains(&"warning"),
    }
}

fn summary(artifacts: &[ArtifactResult]) -> String {
    artifacts
        .iter()
        .map(|a| {
            let bad: Vec<_> = a
                .findings
                .iter()
                .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warning))
                .map(|f| format!("{} {}", f.requirement, f.verdict.as_str()))
                .collect();
            format!(
                "{} [{}] {}: {}",
                a.path,
                a.kind.as_str(),
                a.verdict.as_str(),
                bad.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// Checks one input through the library: no panic, no hang, at least one artifact with at least one
/// finding, and the expectation (or its known gap, still open). Panics on the first problem.
pub fn check_lib(name: &str, bytes: Arc<Vec<u8>>, expect: Expect) -> Vec<ArtifactResult> {
    verify_lib(name, bytes, expect).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`check_lib`], returning the unmet expectation as an error (a panic or a hang still panics).
pub fn verify_lib(
    name: &str,
    bytes: Arc<Vec<u8>>,
    expect: Expect,
) -> Result<Vec<ArtifactResult>, String> {
    let artifacts = lib_validate(name, bytes);
    println!("lib {name}: {}", summary(&artifacts));
    if artifacts.is_empty() {
        return Err(format!("{name}: no artifact reported"));
    }
    if artifacts.iter().any(|a| a.findings.is_empty()) {
        return Err(format!(
            "{name}: an artifact without any finding is a silent pass:\n  {}",
            summary(&artifacts)
        ));
    }
    let met = lib_meets(&artifacts, expect);
    match gap(name) {
        None if !met => Err(format!(
            "{name}: expected {expect:?}, got\n  {}",
            summary(&artifacts)
        )),
        Some(why) if met => Err(format!(
            "{name}: known gap fixed ({why}): remove it from KNOWN_GAPS in tests/hostile.rs"
        )),
        _ => Ok(artifacts),
    }
}

/// Checks one file through the binary (`--format json`); panics on the first problem.
pub fn check_bin_file(name: &str, path: &Path, expect: Expect) -> Run {
    verify_bin_file(name, path, expect).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`check_bin_file`], returning the unmet expectation as an error (a crash, a hang or too much
/// memory still panics).
pub fn verify_bin_file(name: &str, path: &Path, expect: Expect) -> Result<Run, String> {
    let p = path.to_string_lossy().into_owned();
    let run = run_bin(&["validate", "--format", "json", &p], None);
    println!(
        "bin {name}: exit {:?}, peak {} KiB, {:?}",
        run.code,
        run.peak_rss_kb.unwrap_or(0),
        run.elapsed
    );
    let json = assert_clean_exit(name, &run);
    if run.code != Some(2) && json.is_none() {
        return Err(format!("{name}: exit {:?} without a JSON report", run.code));
    }
    let met = bin_meets(&run, json.as_ref(), expect);
    match gap(name) {
        None if !met => Err(format!(
            "{name}: expected {expect:?}, got exit {:?}",
            run.code
        )),
        Some(why) if met => Err(format!(
            "{name}: known gap fixed ({why}): remove it from KNOWN_GAPS in tests/hostile.rs"
        )),
        _ => Ok(run),
    }
}

/// Fails the test with every error gathered.
fn assert_no_errors(errors: &[String]) {
    assert!(
        errors.is_empty(),
        "{} input(s) fell short:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Generated inputs (cached under CARGO_TARGET_TMPDIR, regenerated when absent).

fn gen_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-v2");
    std::fs::create_dir_all(&d).expect("create generated dir");
    d
}

/// Writes `name` once per test process with `make` (through a temporary name, so that a crashed
/// generation is never reused).
fn generated(name: &str, make: impl FnOnce(&mut std::fs::File)) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = gen_dir().join(name);
    if !path.exists() {
        let tmp = path.with_extension("partial");
        let mut f = std::fs::File::create(&tmp).expect("create");
        make(&mut f);
        f.flush().expect("flush");
        drop(f);
        std::fs::rename(&tmp, &path).expect("rename");
    }
    path
}

/// A small xorshift generator: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let b = self.0.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
    }
}

fn zip_opts(method: zip::CompressionMethod) -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false)
}

/// The small entries of the official DOC_NON_STRUCTURE archive (INDEX.HTM, README.TXT, METADATA.XML), or
/// minimal stand-ins when the samples are absent: a bomb inside a complete layout tempts the validator
/// to open it.
fn xdm_layout() -> Vec<(&'static str, Vec<u8>)> {
    let names = ["INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"];
    let src = sample("interop-exemples-xdm/DOC_NON_STRUCTURE_CDA-R2-N1/IHE_XDM.ZIP");
    if let Ok(f) = std::fs::File::open(&src) {
        if let Ok(mut z) = zip::ZipArchive::new(f) {
            let mut out = Vec::new();
            for n in names {
                let mut v = Vec::new();
                if z.by_name(n)
                    .and_then(|mut e| Ok(e.read_to_end(&mut v)?))
                    .is_ok()
                {
                    out.push((n, v));
                }
            }
            if out.len() == names.len() {
                return out;
            }
        }
    }
    vec![
        (
            names[0],
            b"<html><body><a href=\"README.TXT\">ReadMe</a></body></html>".to_vec(),
        ),
        (names[1], b"Emetteur :\r\n".to_vec()),
        (
            names[2],
            b"<SubmitObjectsRequest xmlns=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\"/>"
                .to_vec(),
        ),
    ]
}

/// A complete XDM layout whose DOC0001.XML inflates to 1 GiB: a CDA root holding 1 GiB of spaces
/// (deflated to about 1 MiB).
fn zip_bomb() -> PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        generated("bomb-1g.zip", |f| {
            let mut w = zip::ZipWriter::new(f);
            for (name, bytes) in xdm_layout() {
                w.start_file(name, zip_opts(zip::CompressionMethod::Deflated)).expect("start");
                w.write_all(&bytes).expect("write");
            }
            w.start_file("IHE_XDM/SUBSET01/DOC0001.XML", zip_opts(zip::CompressionMethod::Deflated)).expect("start");
            w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">").expect("write");
            let spaces = vec![b' '; 1 << 20];
            for _ in 0..1024 {
                w.write_all(&spaces).expect("write");
            }
            w.write_all(b"</ClinicalDocument>\n").expect("write");
            w.finish().expect("finish");
        })
    })
    .clone()
}

fn n1_fixture() -> String {
    String::from_utf8(read(&root().join("fixtures/valid/cda/n1-pdf.xml"))).expect("utf-8")
}

// ---------------------------------------------------------------------------------------------
// Committed fixtures.

fn fixture_dir() -> PathBuf {
    root().join("fixtures/hostile")
}

#[test]
fn every_committed_fixture_is_listed_and_documented() {
    let mut files: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/hostile")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fixtures/hostile/ is empty");
    let listed: Vec<String> = FIXTURES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        files, listed,
        "FIXTURES in tests/hostile.rs must list fixtures/hostile/ exactly, in order"
    );
    let md = String::from_utf8(read(&root().join("fixtures/hostile.md"))).expect("utf-8");
    for f in &files {
        assert!(
            md.contains(&format!("`{f}`")),
            "fixtures/hostile.md has no line for {f}"
        );
    }
    for (n, _) in KNOWN_GAPS {
        assert!(
            md.contains(n) || !n.contains('.'),
            "known gap {n} is not documented"
        );
    }
}

#[test]
fn committed_fixtures_through_the_library() {
    let mut errors = Vec::new();
    for (name, expect) in FIXTURES {
        let bytes = read(&fixture_dir().join(name));
        let artifacts = match verify_lib(name, Arc::new(bytes), *expect) {
            Ok(a) => a,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        // Whatever the parser did with the DOCTYPE, nothing of /etc/passwd may show up.
        for a in &artifacts {
            for f in &a.findings {
                assert!(
                    !f.message.fr.contains("root:x:0:0"),
                    "{name}: external entity resolved"
                );
                assert!(
                    !f.snippet.as_deref().unwrap_or("").contains("root:x:0:0"),
                    "{name}: external entity resolved"
                );
            }
        }
    }
    assert_no_errors(&errors);
}

#[test]
fn committed_fixtures_through_the_binary() {
    let mut errors = Vec::new();
    for (name, expect) in FIXTURES {
        match verify_bin_file(name, &fixture_dir().join(name), *expect) {
            Ok(run) => {
                let out = String::from_utf8_lossy(&run.stdout);
                assert!(
                    !out.contains("root:x:0:0"),
                    "{name}: external entity resolved"
                );
            }
            Err(e) => errors.push(e),
        }
    }
    assert_no_errors(&errors);
}

#[test]
fn committed_fixtures_in_every_format() {
    // The renderers quote hostile bytes (snippets, parser messages): every format must survive them,
    // and the XML formats must stay well-formed.
    let dir = fixture_dir().to_string_lossy().into_owned();
    for format in ["human", "json", "junit", "markdown", "html", "svrl"] {
        let run = run_bin(&["validate", "--format", format, &dir], None);
        assert_clean_exit(format, &run);
        assert_ne!(run.code, Some(2), "{format}: {}", run.stderr);
        let text = String::from_utf8(run.stdout)
            .unwrap_or_else(|e| panic!("{format}: output is not UTF-8: {e}"));
        if matches!(format, "junit" | "svrl") {
            roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{format}: not well-formed XML: {e}"));
        }
        if format == "json" {
            serde_json::from_str::<serde_json::Value>(&text).expect("json");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Truncation.

/// Prefix lengths to try: the first 64, the last 64, and a sample in between.
fn prefix_lengths(len: usize, samples: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..len.min(64)).collect();
    v.extend(len.saturating_sub(64)..len);
    let step = (len / samples.max(1)).max(1);
    v.extend((0..len).step_by(step));
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn every_sampled_prefix_of_a_cda_yields_findings() {
    let full = n1_fixture().into_bytes();
    let root_start = full
        .windows(18)
        .position(|w| w == b"<ClinicalDocument ")
        .expect("root");
    let root_tag_end = root_start
        + full[root_start..]
            .iter()
            .position(|&c| c == b'>')
            .expect(">")
        + 1;
    let root_end = full
        .windows(19)
        .rposition(|w| w == b"</ClinicalDocument>")
        .expect("end")
        + 19;
    for n in prefix_lengths(full.len(), 400) {
        let prefix = Arc::new(full[..n].to_vec());
        let name = format!("n1-pdf.xml[..{n}]");
        // Cut after the root start tag and before its end tag: the document is not well-formed.
        let expect = if n >= root_tag_end && n < root_end {
            Expect::Fail
        } else {
            Expect::Any
        };
        let artifacts = lib_validate(&name, prefix);
        assert!(
            !artifacts.is_empty() && artifacts.iter().all(|a| !a.findings.is_empty()),
            "{name}: silent"
        );
        assert!(
            lib_meets(&artifacts, expect),
            "{name}: expected {expect:?}, got\n  {}",
            summary(&artifacts)
        );
    }
}

#[test]
fn every_sampled_prefix_of_an_xdm_sample_is_handled() {
    let p = sample("interop-exemples-xdm/DOC_NON_STRUCTURE_CDA-R2-N1/IHE_XDM.ZIP");
    if !p.exists() {
        eprintln!("skipped: {} not found", p.display());
        return;
    }
    let full = read(&p);
    for n in prefix_lengths(full.len(), 150) {
        let name = format!("IHE_XDM.ZIP[..{n}]");
        let artifacts = lib_validate(&name, Arc::new(full[..n].to_vec()));
        assert!(!artifacts.is_empty(), "{name}: no artifact");
        if n >= 4 && n < full.len() {
            // A truncated zip has no central directory: never a pass.
            assert!(
                lib_meets(&artifacts, Expect::NotPass) || gap("truncated xdm").is_some(),
                "{name}: silent pass\n  {}",
                summary(&artifacts)
            );
        }
    }
}

#[test]
fn truncated_documents_on_stdin() {
    let full = n1_fixture().into_bytes();
    for n in [
        0,
        1,
        5,
        38,
        39,
        100,
        500,
        1000,
        2000,
        3000,
        4000,
        full.len() - 20,
        full.len() - 1,
    ] {
        let run = run_bin(
            &["validate", "--format", "json", "-"],
            Some(full[..n].to_vec()),
        );
        assert_clean_exit(&format!("stdin[..{n}]"), &run);
    }
}

// ---------------------------------------------------------------------------------------------
// Big generated inputs.

fn big_attribute() -> PathBuf {
    generated("attribute-50m.xml", |f| {
        f.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n<title value=\"").expect("w");
        let chunk = vec![b'A'; 1 << 20];
        for _ in 0..50 {
            f.write_all(&chunk).expect("w");
        }
        f.write_all(b"\"/>\n</ClinicalDocument>\n").expect("w");
    })
}

#[test]
fn fifty_megabyte_attribute() {
    let p = big_attribute();
    check_lib("attribute-50m.xml", Arc::new(read(&p)), Expect::Fail);
    check_bin_file("attribute-50m.xml", &p, Expect::Fail);
}

fn deep(levels: usize) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>");
    s.push_str(&"<b>".repeat(levels));
    s.push('x');
    s.push_str(&"</b>".repeat(levels));
    s.push_str("</title></ClinicalDocument>\n");
    s.into_bytes()
}

#[test]
fn hundred_thousand_levels_deep() {
    let bytes = deep(100_000);
    check_lib("deep-100000.xml", Arc::new(bytes.clone()), Expect::Fail);
    let p = generated("deep-100000.xml", |f| f.write_all(&bytes).expect("w"));
    check_bin_file("deep-100000.xml", &p, Expect::Fail);
    // The same, unclosed: the parser gives up at the end of input, not on the stack.
    let unclosed = &bytes[..bytes.len() / 2];
    check_lib(
        "deep-100000-unclosed.xml",
        Arc::new(unclosed.to_vec()),
        Expect::Fail,
    );
}

#[test]
fn thousand_levels_deep_is_refused() {
    // Deeper than `max_xml_depth` (256) yet shallow enough for roxmltree's recursive tokenizer.
    check_lib("deep-1000.xml", Arc::new(deep(1000)), Expect::Fail);
}

#[test]
fn hundred_levels_deep_within_limits() {
    check_lib("deep-100.xml", Arc::new(deep(100)), Expect::Any);
}

#[test]
fn huge_single_line() {
    // 20 MB on one line, with an error at its very end: positions are computed without quadratic cost.
    let mut s = String::from("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">");
    for i in 0..1_000_000 {
        s.push_str(&format!("<a n=\"{i:07}\"/>"));
    }
    s.push_str("</ClinicalDocumen>");
    check_lib("one-line-20m.xml", Arc::new(s.into_bytes()), Expect::Fail);
}

#[test]
fn zip_bomb_of_one_gigabyte() {
    let p = zip_bomb();
    check_lib("bomb-1g.zip", Arc::new(read(&p)), Expect::Fail);
    let run = check_bin_file("bomb-1g.zip", &p, Expect::Fail);
    println!(
        "zip bomb: peak RSS {} KiB in {:?}",
        run.peak_rss_kb.unwrap_or(0),
        run.elapsed
    );
}

/// A zip holding a zip holding a zip… `levels` deep, the innermost holding a CDA.
fn nested_zip(levels: usize) -> Vec<u8> {
    let mut inner = n1_fixture().into_bytes();
    let mut name = "DOC0001.XML".to_string();
    for i in 0..levels {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(&name, zip_opts(zip::CompressionMethod::Stored))
            .expect("start");
        w.write_all(&inner).expect("write");
        inner = w.finish().expect("finish").into_inner();
        name = format!("level{i}.zip");
    }
    inner
}

#[test]
fn zips_nested_fifty_levels() {
    check_lib("nested-50.zip", Arc::new(nested_zip(50)), Expect::Fail);
    let p = generated("nested-50.zip", |f| {
        f.write_all(&nested_zip(50)).expect("w")
    });
    check_bin_file("nested-50.zip", &p, Expect::Fail);
}

#[test]
fn zip_with_five_thousand_entries() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..5000 {
        w.start_file(
            format!("IHE_XDM/SUBSET01/DOC{i:04}.XML"),
            zip_opts(zip::CompressionMethod::Stored),
        )
        .expect("start");
        w.write_all(b"<x/>").expect("write");
    }
    let bytes = w.finish().expect("finish").into_inner();
    check_lib("entries-5000.zip", Arc::new(bytes), Expect::Fail);
}

fn mime_header(subject: &str) -> String {
    format!(
        "From: expediteur@ssiad-tilleuls.mssante.fr\r\nTo: destinataire@hopital.mssante.fr\r\nSubject: {subject}\r\n\
         Message-ID: <hostile@dui-conform.test>\r\nDate: Sun, 15 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
    )
}

#[test]
fn mime_with_ten_thousand_parts() {
    let mut s = mime_header("hostile: 10,000 parts");
    s.push_str("Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    for i in 0..10_000 {
        s.push_str(&format!(
            "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npart {i}\r\n"
        ));
    }
    s.push_str("--B--\r\n");
    let bytes = s.into_bytes();
    check_lib("parts-10000.eml", Arc::new(bytes.clone()), Expect::Any);
    let p = generated("parts-10000.eml", |f| f.write_all(&bytes).expect("w"));
    check_bin_file("parts-10000.eml", &p, Expect::Any);
}

#[test]
fn mime_with_nested_multiparts_a_thousand_deep() {
    let mut s = mime_header("hostile: multipart nested 1,000 levels");
    for i in 0..1000 {
        s.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"B{i}\"\r\n\r\n--B{i}\r\n"
        ));
    }
    s.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    for i in (0..1000).rev() {
        s.push_str(&format!("--B{i}--\r\n"));
    }
    check_lib("nested-1000.eml", Arc::new(s.into_bytes()), Expect::Any);
}

#[test]
fn mime_with_a_huge_header_line() {
    let subject = "X".repeat(20 << 20);
    let mut s = mime_header(&subject);
    s.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n");
    let bytes = s.into_bytes();
    check_lib("header-20m.eml", Arc::new(bytes.clone()), Expect::Any);
    let p = generated("header-20m.eml", |f| f.write_all(&bytes).expect("w"));
    check_bin_file("header-20m.eml", &p, Expect::Any);
}

#[test]
fn mime_carrying_a_zip_bomb() {
    use base64::Engine;
    let bomb = read(&zip_bomb());
    let mut s = mime_header("XDM/1.0/DDM+hostile: the attachment is a zip bomb");
    s.push_str("Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n");
    s.push_str("--B\r\nContent-Type: application/zip; name=\"IHE_XDM.zip\"\r\nContent-Transfer-Encoding: base64\r\n");
    s.push_str("Content-Disposition: attachment; filename=\"IHE_XDM.zip\"\r\n\r\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bomb);
    for line in b64.as_bytes().chunks(76) {
        s.push_str(std::str::from_utf8(line).expect("ascii"));
        s.push_str("\r\n");
    }
    s.push_str("--B--\r\n");
    let bytes = s.into_bytes();
    check_lib("bomb-in-mime.eml", Arc::new(bytes.clone()), Expect::NotPass);
    let p = generated("bomb-in-mime.eml", |f| f.write_all(&bytes).expect("w"));
    check_bin_file("bomb-in-mime.eml", &p, Expect::NotPass);
}

// ---------------------------------------------------------------------------------------------
// A legitimate but large package: memory stays bounded.

/// An XDM of about 100 MB: the entries of the official DOC_NON_STRUCTURE archive, plus 24 more level-1
/// documents of ~4 MB each (a PDF-looking payload of noise), each described in METADATA.XML.
fn xdm_100mb() -> Option<PathBuf> {
    let src = sample("interop-exemples-xdm/DOC_NON_STRUCTURE_CDA-R2-N1/IHE_XDM.ZIP");
    if !src.exists() {
        return None;
    }
    Some(generated("xdm-100m.zip", |f| {
        use base64::Engine;
        use sha1::{Digest, Sha1};
        let mut zin = zip::ZipArchive::new(std::fs::File::open(&src).expect("open")).expect("zip");
        let mut entry = |name: &str| {
            let mut v = Vec::new();
            zin.by_name(name)
                .expect(name)
                .read_to_end(&mut v)
                .expect("read");
            v
        };
        let index = entry("INDEX.HTM");
        let readme = entry("README.TXT");
        let metadata = String::from_utf8(entry("IHE_XDM/SUBSET01/METADATA.XML")).expect("utf-8");
        let doc = String::from_utf8(entry("IHE_XDM/SUBSET01/DOC0001.XML")).expect("utf-8");
        let b64 =
            regex::Regex::new(r#"(?s)(representation="B64"[^>]*>)(.*?)(</text>)"#).expect("re");
        let eo =
            regex::Regex::new(r"(?s)<ns2:ExtrinsicObject .*?</ns2:ExtrinsicObject>").expect("re");
        let assoc = regex::Regex::new(r"(?s)<ns2:Association .*?</ns2:Association>").expect("re");
        let uuid = regex::Regex::new(r"urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-)[0-9a-fA-F]{12}").expect("re");
        let slot = |block: &str, name: &str, value: &str| -> String {
            let re = regex::Regex::new(&format!(
                r#"(?s)(name="{name}">\s*<ns2:ValueList>\s*<ns2:Value>)[^<]*"#
            ))
            .expect("re");
            re.replace(block, format!("${{1}}{value}")).into_owned()
        };
        let eo_block = eo
            .find(&metadata)
            .expect("ExtrinsicObject")
            .as_str()
            .to_string();
        let assoc_block = assoc
            .find(&metadata)
            .expect("Association")
            .as_str()
            .to_string();
        let set_id = regex::Regex::new(r#"sourceObject="([^"]*)""#).expect("re");
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        let mut payload = vec![0u8; 3 << 20];
        let mut w = zip::ZipWriter::new(f);
        let stored = zip_opts(zip::CompressionMethod::Stored);
        for (name, bytes) in [("INDEX.HTM", &index), ("README.TXT", &readme)] {
            w.start_file(name, stored).expect("start");
            w.write_all(bytes).expect("write");
        }
        w.start_file("IHE_XDM/SUBSET01/DOC0001.XML", stored)
            .expect("start");
        w.write_all(doc.as_bytes()).expect("write");
        let (mut extra_eo, mut extra_assoc) = (String::new(), String::new());
        for n in 2..=25u32 {
            noise.fill(&mut payload);
            payload[..9].copy_from_slice(b"%PDF-1.4\n");
            let mut text = String::from("\n");
            for line in base64::engine::general_purpose::STANDARD
                .encode(&payload)
                .as_bytes()
                .chunks(76)
            {
                text.push_str(std::str::from_utf8(line).expect("ascii"));
                text.push('\n');
            }
            let big = b64
                .replace(&doc, |c: &regex::Captures<'_>| {
                    format!("{}{}{}", &c[1], text, &c[3])
                })
                .into_owned();
            let file = format!("DOC{n:04}.XML");
            w.start_file(format!("IHE_XDM/SUBSET01/{file}"), stored)
                .expect("start");
            w.write_all(big.as_bytes()).expect("write");
            let renumber = |s: &str| {
                uuid.replace_all(s, format!("urn:uuid:${{1}}{n:04x}00000000"))
                    .into_owned()
            };
            let mut e = renumber(&eo_block);
            e = slot(&e, "URI", &file);
            e = slot(&e, "size", &big.len().to_string());
            e = slot(&e, "hash", &hex::encode_upper(Sha1::digest(big.as_bytes())));
            extra_eo.push_str(&e);
            // The association keeps the submission set as source and points at the renumbered entry.
            let src_id = set_id
                .captures(&assoc_block)
                .map(|c| c[1].to_string())
                .unwrap_or_default();
            let a = renumber(&assoc_block);
            let a = set_id
                .replace(&a, format!("sourceObject=\"{src_id}\""))
                .into_owned();
            extra_assoc.push_str(&a);
        }
        let meta = metadata
            .replacen(&eo_block, &format!("{eo_block}{extra_eo}"), 1)
            .replacen(&assoc_block, &format!("{assoc_block}{extra_assoc}"), 1);
        w.start_file("IHE_XDM/SUBSET01/METADATA.XML", stored)
            .expect("start");
        w.write_all(meta.as_bytes()).expect("write");
        w.finish().expect("finish");
    }))
}

#[test]
fn xdm_of_100_megabytes_stays_under_150_megabytes() {
    let Some(p) = xdm_100mb() else {
        eprintln!("skipped: the XDM samples are not available");
        return;
    };
    let size = std::fs::metadata(&p).expect("meta").len();
    assert!(size > 100_000_000, "generated package is {size} bytes");
    let run = run_bin(
        &["validate", "--format", "json", &p.to_string_lossy()],
        None,
    );
    println!(
        "xdm-100m.zip ({size} bytes): exit {:?}, peak RSS {} KiB, {:?}",
        run.code,
        run.peak_rss_kb.unwrap_or(0),
        run.elapsed
    );
    let json = assert_clean_exit("xdm-100m.zip", &run);
    assert_ne!(
        run.code,
        Some(2),
        "a large legitimate package is validated, not refused: {}",
        run.stderr
    );
    let json = json.expect("json report");
    let n = json["artifacts"].as_array().map_or(0, Vec::len);
    assert!(
        n >= 2,
        "the package's documents are validated ({n} artifacts)"
    );
}
