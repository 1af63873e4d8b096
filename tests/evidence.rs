//! The evidence store (issue 4, part 2): concurrent writers, a writer killed with SIGKILL, damage detected
//! (an altered object, a missing object, a torn manifest line, a flipped byte or a broken frame in a pack),
//! a pack cut short by a crash, and `dui-conform evidence verify` as a user runs it.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use dui_conform::evidence::{
    self, Direction, EvidenceError, EvidenceStore, FindingRef, ManifestEntry, Staged,
};
use dui_conform::model::Verdict;

fn entry(exchange: &str, sha256: &str, size: u64) -> ManifestEntry {
    ManifestEntry {
        at: evidence::now_rfc3339(),
        exchange: exchange.to_string(),
        endpoint: "dmp/iti41".to_string(),
        direction: Direction::Request,
        peer: Some("CN=DUI de test dui-conform, OU=1480787529, O=SSIAD Les Tilleuls, C=FR".into()),
        sha256: sha256.to_string(),
        size,
        findings: vec![FindingRef {
            requirement: "DMP-SOAP-011".into(),
            verdict: Verdict::Pass,
        }],
    }
}

fn put_and_record(store: &EvidenceStore, bytes: &[u8], exchange: &str) -> String {
    let sha = store.put(bytes).unwrap();
    store
        .record(&entry(exchange, &sha, bytes.len() as u64))
        .unwrap();
    sha
}

fn object_path(state: &Path, sha: &str) -> std::path::PathBuf {
    state.join("evidence/objects").join(&sha[..2]).join(sha)
}

/// Commits `bodies` (one exchange each) the way a simulator does: into a pack.
fn commit_all(store: &EvidenceStore, bodies: &[&[u8]]) -> Vec<String> {
    let staged: Vec<Staged> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| Staged::new(b.to_vec(), Some(entry(&format!("c{i}"), "", 0))))
        .collect();
    let names = staged.iter().map(|s| s.sha256.clone()).collect();
    store.commit(staged).unwrap();
    names
}

/// The pack files of a state directory, in order.
fn packs(state: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(state.join("evidence").join(evidence::PACK_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn committed_objects_are_packed_not_one_file_each_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let names = commit_all(
        &store,
        &[b"request one", b"document two", b"response three"],
    );
    assert_eq!(packs(tmp.path()).len(), 1);
    for (n, b) in names
        .iter()
        .zip([&b"request one"[..], b"document two", b"response three"])
    {
        assert!(!object_path(tmp.path(), n).exists());
        assert!(store.contains(n));
        assert_eq!(store.get(n).unwrap(), b);
    }
    // Storing the same bytes again adds nothing.
    let len = std::fs::metadata(&packs(tmp.path())[0]).unwrap().len();
    commit_all(&store, &[b"request one"]);
    assert_eq!(std::fs::metadata(&packs(tmp.path())[0]).unwrap().len(), len);
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!((report.entries, report.objects, report.packs), (4, 3, 1));
    // A store opened later finds them through the pack index, and a loose object beside them.
    drop(store);
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let loose = put_and_record(&store, b"loose", "l");
    assert!(object_path(tmp.path(), &loose).is_file());
    assert_eq!(store.get(&names[1]).unwrap(), b"document two");
    assert_eq!(store.get(&loose).unwrap(), b"loose");
    assert!(!evidence::verify(tmp.path()).unwrap().is_damaged());
}

#[test]
fn a_flipped_byte_in_a_pack_is_reported_by_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let names = commit_all(&store, &[b"first deposit", b"second deposit"]);
    let pack = packs(tmp.path())[0].clone();
    let mut bytes = std::fs::read(&pack).unwrap();
    let at = bytes
        .windows(14)
        .position(|w| w == b"second deposit")
        .unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&pack, &bytes).unwrap();
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert!(report.missing.is_empty() && report.corrupt_packs.is_empty());
    assert_eq!(report.altered.len(), 1, "{}", report.render());
    assert_eq!(report.altered[0].sha256, names[1]);
    assert_eq!(report.altered[0].line, 2);
    assert!(
        report.altered[0].reason.contains("00000001.pack"),
        "{}",
        report.render()
    );
    assert!(matches!(
        store.get(&names[1]),
        Err(EvidenceError::Altered { .. })
    ));
    assert_eq!(store.get(&names[0]).unwrap(), b"first deposit");
    // Storing the genuine bytes again appends a new frame: readable again, the tampering still reported.
    commit_all(&store, &[b"second deposit"]);
    assert_eq!(store.get(&names[1]).unwrap(), b"second deposit");
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert_eq!(report.altered.len(), 1, "{}", report.render());
}

#[test]
fn a_broken_frame_header_inside_a_pack_is_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let names = commit_all(&store, &[b"one", b"two", b"three"]);
    drop(store);
    let pack = packs(tmp.path())[0].clone();
    let mut bytes = std::fs::read(&pack).unwrap();
    // The second frame's magic.
    let at = bytes
        .windows(8)
        .skip(1)
        .position(|w| w == b"DUIPACK1")
        .unwrap()
        + 1;
    bytes[at] = b'X';
    std::fs::write(&pack, &bytes).unwrap();
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert_eq!(report.corrupt_packs.len(), 1, "{}", report.render());
    // The frames from there on are lost: their objects are missing.
    let missing: Vec<_> = report.missing.iter().map(|p| p.sha256.as_str()).collect();
    assert_eq!(missing, [names[1].as_str(), names[2].as_str()]);
    assert!(report.render().contains("CORRUPT"));
}

/// A crash in the middle of a batch leaves a frame cut short (or zeros) at the end of the pack: never
/// acknowledged, so not damage; the next open writes a new pack and everything stays readable.
#[test]
fn a_pack_tail_cut_short_by_a_crash_is_ignored_and_writing_goes_on() {
    for tail in [
        &b"DUIPACK1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 100\npartial"
            [..],
        b"DUIPA",
        &[0u8; 300][..],
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let store = EvidenceStore::open(tmp.path()).unwrap();
        let before = commit_all(&store, &[b"acknowledged one", b"acknowledged two"]);
        drop(store);
        let pack = packs(tmp.path())[0].clone();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&pack)
            .unwrap();
        f.write_all(tail).unwrap();
        drop(f);
        let report = evidence::verify(tmp.path()).unwrap();
        assert!(!report.is_damaged(), "{}", report.render());
        assert_eq!(report.torn_packs.len(), 1, "{}", report.render());
        assert!(report.render().contains("torn"));

        let store = EvidenceStore::open(tmp.path()).unwrap();
        let after = commit_all(&store, &[b"after the crash"]);
        assert_eq!(packs(tmp.path()).len(), 2);
        for n in before.iter().chain(&after) {
            assert!(store.get(n).is_ok());
        }
        let report = evidence::verify(tmp.path()).unwrap();
        assert!(!report.is_damaged(), "{}", report.render());
        assert_eq!(report.torn_packs.len(), 1);
    }
}

#[test]
fn put_get_record_entries_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let bytes = b"<soap:Envelope/>\r\n\x00\xff binary too";
    let sha = put_and_record(&store, bytes, "x1");
    assert_eq!(sha, evidence::sha256_hex(bytes));
    assert!(object_path(tmp.path(), &sha).is_file());
    assert_eq!(store.get(&sha).unwrap(), bytes);
    // The same bytes twice: one object, two entries.
    assert_eq!(store.put(bytes).unwrap(), sha);
    let resp = store
        .store(
            "x1",
            "dmp/iti41",
            Direction::Response,
            None,
            b"<ok/>",
            vec![],
        )
        .unwrap();
    let entries = store.entries().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0], entry_like(&entries[0], "x1", &sha));
    assert_eq!(entries[1].direction, Direction::Response);
    assert_eq!(entries[1].sha256, resp);
    // The line on disk is the documented shape.
    let line = std::fs::read_to_string(tmp.path().join("evidence/manifest.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    for k in [
        "at",
        "exchange",
        "endpoint",
        "direction",
        "peer",
        "sha256",
        "size",
        "findings",
    ] {
        assert!(first.get(k).is_some(), "{k} in {first}");
    }
    assert_eq!(first["direction"], "request");
    assert_eq!(first["findings"][0]["verdict"], "pass");
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
    // A reopened store sees the same entries.
    drop(store);
    let store = EvidenceStore::open(tmp.path()).unwrap();
    assert_eq!(store.entries().unwrap().len(), 2);
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!((report.entries, report.objects), (2, 2));
}

fn entry_like(e: &ManifestEntry, exchange: &str, sha: &str) -> ManifestEntry {
    assert_eq!(e.exchange, exchange);
    assert_eq!(e.sha256, sha);
    e.clone()
}

/// Two stores opened on the same folder in one process (a restarted simulator whose old instance is still
/// draining, a test reading while the server writes) write one chain.
#[test]
fn two_stores_on_one_folder_in_one_process_share_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Arc::new(EvidenceStore::open(tmp.path()).unwrap());
    let b = Arc::new(EvidenceStore::open(&tmp.path().join(".")).unwrap());
    let handles: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .enumerate()
        .map(|(k, s)| {
            std::thread::spawn(move || {
                for i in 0..30 {
                    put_and_record(
                        &s,
                        format!("same bytes {i}").as_bytes(),
                        &format!("{k}-{i}"),
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(a.head(), b.head());
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!(report.entries, 60);
}

#[test]
fn get_refuses_bad_names_and_reports_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    assert!(matches!(
        store.get("../../etc/passwd"),
        Err(EvidenceError::BadName(_))
    ));
    let absent = "0".repeat(64);
    assert!(matches!(store.get(&absent), Err(EvidenceError::Missing(_))));
}

#[test]
fn concurrent_put_and_record_from_threads_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(EvidenceStore::open(tmp.path()).unwrap());
    let threads = 8;
    let per_thread = 50;
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    // Some bytes shared between threads (same object, stored concurrently), most distinct.
                    let bytes = if i % 10 == 0 {
                        format!("shared {i}").into_bytes()
                    } else {
                        format!("thread {t} exchange {i} {}", "x".repeat(i * 7)).into_bytes()
                    };
                    put_and_record(&store, &bytes, &format!("t{t}-{i}"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = started.elapsed();
    let n = threads * per_thread;
    eprintln!(
        "{n} put+record from {threads} threads in {elapsed:?} ({:.0}/s)",
        n as f64 / elapsed.as_secs_f64()
    );
    let entries = store.entries().unwrap();
    assert_eq!(entries.len(), n);
    let mut exchanges: Vec<_> = entries.iter().map(|e| e.exchange.clone()).collect();
    exchanges.sort();
    exchanges.dedup();
    assert_eq!(exchanges.len(), n, "every line whole, none interleaved");
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert!(report.unreferenced.is_empty() && report.torn_lines.is_empty());
    // No temp file left behind.
    assert_eq!(
        std::fs::read_dir(tmp.path().join("evidence/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn an_altered_and_a_missing_object_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let a = put_and_record(&store, b"request A", "a");
    let b = put_and_record(&store, b"request B", "b");
    let c = put_and_record(&store, b"request C", "c");
    // Same size, other content.
    std::fs::write(object_path(tmp.path(), &a), b"REQUEST A").unwrap();
    std::fs::remove_file(object_path(tmp.path(), &b)).unwrap();
    // Other size, content unchanged is impossible: truncate C.
    std::fs::write(object_path(tmp.path(), &c), b"req").unwrap();
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert_eq!(report.missing.len(), 1);
    assert_eq!(report.missing[0].sha256, b);
    assert_eq!(report.missing[0].line, 2);
    let altered: Vec<_> = report.altered.iter().map(|p| p.sha256.as_str()).collect();
    assert_eq!(altered, [a.as_str(), c.as_str()]);
    assert!(matches!(store.get(&a), Err(EvidenceError::Altered { .. })));
    assert!(matches!(store.get(&b), Err(EvidenceError::Missing(_))));
    let text = report.render();
    assert!(
        text.contains("MISSING") && text.contains("ALTERED") && text.contains("DAMAGED"),
        "{text}"
    );
}

/// Storing bytes whose stored copy was altered (same size or not) quarantines the altered copy and stores
/// the genuine bytes again: the simulator goes on, verify still reports the tampering.
#[test]
fn putting_bytes_over_an_altered_copy_quarantines_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let sha = put_and_record(&store, b"genuine", "1");
    std::fs::write(object_path(tmp.path(), &sha), b"GENUINE").unwrap();
    assert_eq!(store.put(b"genuine").unwrap(), sha);
    assert_eq!(store.get(&sha).unwrap(), b"genuine");
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert!(report.altered.is_empty() && report.missing.is_empty());
    assert_eq!(report.quarantined.len(), 1, "{}", report.render());
    assert_eq!(std::fs::read(&report.quarantined[0]).unwrap(), b"GENUINE");
    assert!(report.render().contains("QUARANTINE"));
}

#[test]
fn a_torn_last_line_is_reported_not_fatal_and_the_next_entry_starts_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let a = put_and_record(&store, b"one", "1");
    drop(store);
    // A crash mid-write: half a line, no newline.
    let manifest = tmp.path().join("evidence/manifest.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&manifest)
        .unwrap();
    f.write_all(br#"{"at":"2026-11-22T11:00:00.000Z","exchange":"2","endp"#)
        .unwrap();
    drop(f);

    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!(report.torn_lines.len(), 1);
    assert_eq!(report.torn_lines[0].line, 2);
    assert!(report.render().contains("torn"));

    // A writer reopening the store ends the torn line, so the next entry is whole.
    let store = EvidenceStore::open(tmp.path()).unwrap();
    assert_eq!(
        store.entries().unwrap().len(),
        1,
        "the torn line is skipped"
    );
    let b = put_and_record(&store, b"three", "3");
    let entries = store.entries().unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| e.sha256.as_str())
            .collect::<Vec<_>>(),
        [a.as_str(), b.as_str()]
    );
    let m = store.manifest().unwrap();
    assert_eq!(m.lines, [1, 3]);
    assert!(m.bad_lines[0].torn);
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!(report.torn_lines.len(), 1);
}

#[test]
fn a_garbage_line_in_the_middle_is_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    put_and_record(&store, b"one", "1");
    let manifest = tmp.path().join("evidence/manifest.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&manifest)
        .unwrap();
    f.write_all(b"this is not json\n").unwrap();
    drop(f);
    put_and_record(&store, b"two", "2");
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(report.is_damaged());
    assert_eq!(report.bad_lines.len(), 1);
    assert_eq!(report.bad_lines[0].line, 2);
    assert_eq!(report.entries, 2);
}

/// The manifest is a hash chain: removing, editing or reordering a line shows at the next line.
#[test]
fn removed_edited_or_reordered_manifest_lines_break_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    for i in 0..4 {
        put_and_record(&store, format!("exchange {i}").as_bytes(), &i.to_string());
    }
    drop(store);
    let manifest = tmp.path().join("evidence/manifest.jsonl");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["prev"], evidence::GENESIS);
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["prev"], evidence::sha256_hex(lines[0].as_bytes()));
    assert!(!evidence::verify(tmp.path()).unwrap().is_damaged());

    let check = |text: String, line: usize| {
        std::fs::write(&manifest, text).unwrap();
        let report = evidence::verify(tmp.path()).unwrap();
        assert!(report.is_damaged(), "{}", report.render());
        assert_eq!(report.chain_breaks[0].line, line, "{}", report.render());
        assert!(report.render().contains("CHAIN"));
    };
    // Line 2 removed: the old line 3 (now 2) no longer follows line 1.
    check(format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]), 2);
    // Line 2 edited (the peer changed), its object untouched.
    let edited = lines[1].replace("SSIAD Les Tilleuls", "Autre structure");
    assert_ne!(edited, lines[1]);
    check(
        format!("{}\n{}\n{}\n{}\n", lines[0], edited, lines[2], lines[3]),
        3,
    );
    // Lines 3 and 4 swapped.
    check(
        format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], lines[3], lines[2]),
        3,
    );
    // A line without a link inserted.
    let bare = r#"{"at":"2026-01-01T00:00:00.000Z","exchange":"x","endpoint":"e","direction":"request","peer":null,"sha256":"SHA","size":1,"findings":[]}"#
        .replace("SHA", first["sha256"].as_str().unwrap());
    check(
        format!(
            "{}\n{}\n{}\n{}\n{}\n",
            lines[0], bare, lines[1], lines[2], lines[3]
        ),
        2,
    );
    // Restored: intact again, and a writer continues the chain.
    std::fs::write(&manifest, &original).unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    put_and_record(&store, b"after reopen", "5");
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!(report.entries, 5);
    assert_eq!(report.head, store.head());
    let last = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(
        store.head(),
        evidence::sha256_hex(last.lines().last().unwrap().as_bytes())
    );
}

#[test]
fn unreferenced_objects_and_stray_files_are_listed_not_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    put_and_record(&store, b"one", "1");
    // Stored, then a crash before record().
    let orphan = store.put(b"orphan").unwrap();
    std::fs::write(tmp.path().join("evidence/objects/notes.txt"), "hi").unwrap();
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    assert_eq!(report.unreferenced, [orphan]);
    assert_eq!(report.foreign.len(), 1);
}

#[test]
fn verify_refuses_a_folder_without_evidence_and_accepts_the_evidence_folder_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let err = evidence::verify(tmp.path()).unwrap_err();
    assert!(matches!(err, EvidenceError::Config { .. }), "{err}");
    let store = EvidenceStore::open(tmp.path()).unwrap();
    put_and_record(&store, b"one", "1");
    let report = evidence::verify(&tmp.path().join("evidence")).unwrap();
    assert_eq!(report.entries, 1);
}

/// The writer the crash test kills: started as a child process (this test binary, this test, with
/// `DUI_CONFORM_CRASH_DIR` set), it stores and records exchanges from 4 threads as fast as it can and prints
/// `ACK <exchange> <sha256>` on stdout after each `record` returns — what a simulator would acknowledge.
/// Without the variable it does nothing (it is `#[ignore]`d so it never runs on its own anyway).
#[test]
#[ignore = "helper process of crash_with_sigkill_loses_no_acknowledged_exchange"]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os("DUI_CONFORM_CRASH_DIR") else {
        return;
    };
    let store = Arc::new(EvidenceStore::open(Path::new(&dir)).unwrap());
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            let out = out.clone();
            std::thread::spawn(move || {
                for i in 0.. {
                    let body = format!(
                        "{{\"thread\":{t},\"i\":{i},\"pad\":\"{}\"}}",
                        "p".repeat(i % 3000)
                    );
                    let exchange = format!("{}-t{t}-{i}", std::process::id());
                    let sha = store
                        .store(
                            &exchange,
                            "dmp/iti41",
                            Direction::Request,
                            None,
                            body.as_bytes(),
                            vec![],
                        )
                        .unwrap();
                    let mut o = out.lock().unwrap();
                    writeln!(o, "ACK {exchange} {sha}").unwrap();
                    o.flush().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}

/// Kills a writer with SIGKILL in the middle of a stream of records, twice on the same store: every
/// acknowledged exchange is in the manifest with its object intact, and `verify` reports no damage.
#[test]
fn crash_with_sigkill_loses_no_acknowledged_exchange() {
    let tmp = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    for round in 0..2 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "evidence::crash_writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DUI_CONFORM_CRASH_DIR", tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut n = 0;
        // Kill after a few hundred acknowledgements (or 10 s, whichever first).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let target = 150 + round * 50;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ACK ") {
                let mut it = rest.split(' ');
                acked.push((
                    it.next().unwrap().to_string(),
                    it.next().unwrap().to_string(),
                ));
                n += 1;
                if n >= target || std::time::Instant::now() > deadline {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
                               // Acknowledgements printed before the kill landed are acknowledged too.
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("ACK ") {
                let mut it = rest.split(' ');
                if let (Some(x), Some(s)) = (it.next(), it.next()) {
                    if s.len() == 64 {
                        acked.push((x.to_string(), s.to_string()));
                    }
                }
            }
        }
        let _ = child.wait();
        assert!(n > 0, "the writer acknowledged nothing (round {round})");
    }
    let report = evidence::verify(tmp.path()).unwrap();
    assert!(!report.is_damaged(), "{}", report.render());
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let entries = store.entries().unwrap();
    let recorded: std::collections::HashMap<_, _> = entries
        .iter()
        .map(|e| (e.exchange.clone(), e.sha256.clone()))
        .collect();
    for (exchange, sha) in &acked {
        assert_eq!(
            recorded.get(exchange),
            Some(sha),
            "acknowledged {exchange} lost"
        );
        assert!(store.get(sha).is_ok());
    }
    eprintln!(
        "{} acknowledged, {} recorded, {} torn lines, {} unreferenced objects",
        acked.len(),
        entries.len(),
        report.torn_lines.len(),
        report.unreferenced.len()
    );
}

/// `dui-conform evidence verify DIR` as a user runs it: 0 intact, 1 damaged, 2 could not run.
#[test]
fn cli_evidence_verify_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_dui-conform");
    let tmp = tempfile::tempdir().unwrap();
    let store = EvidenceStore::open(tmp.path()).unwrap();
    let sha = put_and_record(&store, b"deposit", "1");
    put_and_record(&store, b"answer", "1");

    let out = Command::new(bin)
        .args(["evidence", "verify"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 manifest entries") && stdout.contains("ok:"),
        "{stdout}"
    );

    std::fs::write(object_path(tmp.path(), &sha), b"DEPOSIT").unwrap();
    let out = Command::new(bin)
        .args(["evidence", "verify", "--format", "json"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["damaged"], true);
    assert_eq!(v["altered"][0]["sha256"], sha.as_str());

    let out = Command::new(bin)
        .args(["evidence", "verify"])
        .arg(tmp.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no evidence store"), "{stderr}");
}

/// On demand (`cargo test --release --test tests -- --ignored evidence::throughput --nocapture`): the evidence
/// cost of a DMP deposit — a 50 KB request and a 1 KB response, each put and recorded durably — from
/// `EVIDENCE_THREADS` (default 16) threads; prints deposits per second and the p99 latency.
#[test]
#[ignore = "load test, run on demand"]
fn throughput() {
    let threads: usize = std::env::var("EVIDENCE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let per_thread = 2000 / threads;
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(EvidenceStore::open(tmp.path()).unwrap());
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                for i in 0..per_thread {
                    let t0 = std::time::Instant::now();
                    let mut req = format!("deposit {t} {i} ").into_bytes();
                    req.resize(50 * 1024, b'x');
                    let x = format!("{t}-{i}");
                    store
                        .store(&x, "dmp/iti41", Direction::Request, None, &req, vec![])
                        .unwrap();
                    let resp = format!(
                        "<RegistryResponse status=\"Success\" n=\"{x}\"/>{}",
                        " ".repeat(1000)
                    );
                    store
                        .store(
                            &x,
                            "dmp/iti41",
                            Direction::Response,
                            None,
                            resp.as_bytes(),
                            vec![],
                        )
                        .unwrap();
                    lat.push(t0.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let elapsed = started.elapsed();
    lat.sort();
    let n = lat.len();
    eprintln!(
        "{n} deposits (50 KB request + 1 KB response, durable) from {threads} threads: {:.0}/s, p50 {:?}, p99 {:?}",
        n as f64 / elapsed.as_secs_f64(),
        lat[n / 2],
        lat[n * 99 / 100]
    );
    assert!(!evidence::verify(tmp.path()).unwrap().is_damaged());
}
