//! The kit's disk cache (`src/schematron/disk.rs`): a kit read back from the cache gives byte-identical
//! outcomes to a kit read from its folder; a damaged, truncated, foreign or stale cache file is ignored
//! and replaced, with the same verdicts; an edited kit file is never answered from the old entry.
//!
//! Each test has its own cache folder (a temporary directory, through [`Kit::load_with`]: no
//! environment variable, tests run in parallel). Kits are checked on a new thread each, so that no
//! compiled expression of xee's per-thread engine ([`dui_conform::schematron::cache`]) is shared between
//! the kit read from the folder and the one read from the cache.

use std::path::{Path, PathBuf};

use dui_conform::schematron::{CacheState, Kit, KitCache};

use crate::schematron::kit_dir;
use crate::util;

/// Samples covering the procedure: a Structuration minimale failure (no setId), a volet failure, a
/// level-1 pass (no volet), a volet pass selected by its extension.
const SAMPLES: &[&str] = &[
    "hl7V2-exemples/Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/CR_Radio_CDAN1_v1.XML",
    "TestContenuCDA-3-0/ExemplesCDA/BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml",
    "TestContenuCDA-3-0/ExemplesCDA/TLM-CR_2022.01.xml",
    "TestContenuCDA-3-0/ExemplesCDA/VAC-NOTE_2023.01.xml",
];

/// The include of Structuration minimale holding the setId assert the first sample fails.
const STRUCT_MIN_INCLUDE: &str =
    "schematrons/profils/structurationMinimale/include/1.2.250.1.213.1.1.1.1-2017-12-13T103531.sch";

fn have_kit() -> bool {
    if !kit_dir().is_dir() {
        eprintln!("skipped: no ANS kit at {}", kit_dir().display());
        return false;
    }
    true
}

fn load(dir: &Path, cache: &Path) -> Kit {
    Kit::load_with(dir, &KitCache::At(cache.to_path_buf())).expect("the kit loads")
}

/// Every outcome and finding of the kit on `samples` (the first `n`), as JSON text, computed on a new
/// thread (its own xee engine).
fn outcomes(kit: &Kit, n: usize) -> String {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut out = String::new();
            for rel in &SAMPLES[..n] {
                let bytes = util::read(&util::sample(rel));
                let o = kit.check(&bytes);
                out.push_str(&serde_json::to_string(&o).expect("JSON"));
                out.push('\n');
                let f = dui_conform::schematron::kit::findings(kit, &bytes);
                out.push_str(&serde_json::to_string(&f).expect("JSON"));
                out.push('\n');
            }
            out
        })
        .join()
        .expect("the check does not panic")
    })
}

/// The one parsed-kit file of a cache folder (`kit-*.bin`; `fp-*.bin` are stat fingerprints).
fn entry(cache: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("cache folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("kit-") && name.ends_with(".bin")
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_kit_from_the_cache_gives_the_same_outcomes_as_from_its_folder() {
    if !have_kit() {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let fresh = Kit::load_with(&kit_dir(), &KitCache::Off).expect("the kit loads");
    assert_eq!(fresh.cache.state, CacheState::Off);
    let first = load(&kit_dir(), cache.path());
    assert_eq!(first.cache.state, CacheState::Written);
    assert_eq!(
        first.cache.path.as_deref(),
        Some(entry(cache.path()).as_path())
    );
    let cached = load(&kit_dir(), cache.path());
    assert_eq!(cached.cache.state, CacheState::Hit);

    assert_eq!(
        (
            &cached.hash,
            &cached.commit,
            &cached.volets,
            &cached.defects
        ),
        (&fresh.hash, &fresh.commit, &fresh.volets, &fresh.defects)
    );
    assert_eq!(cached.counts(), fresh.counts());
    let want = outcomes(&fresh, SAMPLES.len());
    assert!(
        want.contains("setId"),
        "the first sample fails on its setId"
    );
    assert_eq!(outcomes(&cached, SAMPLES.len()), want);
}

#[test]
fn a_damaged_or_foreign_cache_file_is_replaced_with_the_same_verdicts() {
    if !have_kit() {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let reference = outcomes(&load(&kit_dir(), cache.path()), 2);
    let path = entry(cache.path());
    let good = std::fs::read(&path).expect("cache file");
    assert!(good.len() > 1_000_000, "{} bytes", good.len());

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    let mut other_version = good.clone();
    // The build (crate version + code id) follows the 20-byte magic, the u32 format version and its length byte.
    other_version[25] = b'9';
    let other_kit =
        dui_conform::schematron::disk::encode(&dui_conform::schematron::disk::PayloadRef {
            dir: &kit_dir().to_string_lossy(),
            hash: "not this kit",
            volets: &[],
            defects: &[],
            schemas: &[],
            preload: &[],
            value_sets: &[],
        })
        .expect("encode");
    let garbage: Vec<u8> = (0..good.len()).map(|i| (i * 7919 % 251) as u8).collect();
    // Every truncation and every flipped byte of a small file: `disk::tests`; here, the real kit.
    let cases: [(&str, Vec<u8>); 5] = [
        ("truncated", good[..good.len() / 3].to_vec()),
        ("one flipped byte", flipped),
        ("another version", other_version),
        ("another kit's content", other_kit),
        ("garbage", garbage),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).expect("write");
        let kit = load(&kit_dir(), cache.path());
        assert!(
            matches!(kit.cache.state, CacheState::Replaced(_)),
            "{what}: {:?}",
            kit.cache.state
        );
        assert_eq!(outcomes(&kit, 2), reference, "{what}");
        // Rewritten, byte for byte.
        assert_eq!(std::fs::read(&path).expect("rewritten"), good, "{what}");
    }
    let again = load(&kit_dir(), cache.path());
    assert_eq!(again.cache.state, CacheState::Hit);
    assert_eq!(outcomes(&again, 2), reference);
    // A folder the cache cannot be written in: the kit still loads, from its folder.
    let blocked = cache.path().join("not-a-folder");
    std::fs::write(&blocked, b"").expect("write");
    let kit = load(&kit_dir(), &blocked);
    assert!(
        matches!(kit.cache.state, CacheState::NotWritten(_)),
        "{:?}",
        kit.cache.state
    );
}

/// Copies the kit folder (schematrons, value sets, README; not the XSD, unused here).
fn copy_kit(to: &Path) {
    let from = kit_dir();
    for sub in ["schematrons", "jeuxDeValeurs"] {
        for e in walkdir::WalkDir::new(from.join(sub)) {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(&from).expect("inside");
            if e.file_type().is_dir() {
                std::fs::create_dir_all(to.join(rel)).expect("mkdir");
            } else {
                std::fs::copy(e.path(), to.join(rel)).expect("copy");
            }
        }
    }
    std::fs::copy(from.join("README.md"), to.join("README.md")).expect("copy README");
}

#[test]
fn an_edited_kit_file_is_never_answered_from_the_old_entry() {
    if !have_kit() {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let kit_copy = tempfile::tempdir().expect("tempdir");
    copy_kit(kit_copy.path());
    // Files changed less than 2 s before a hashing are not vouched for by their stat (racy): let the
    // copy age so that the second load takes the content hash from the stat fingerprint.
    std::thread::sleep(std::time::Duration::from_nanos(
        dui_conform::schematron::disk::RACY_MARGIN_NS as u64 + 200_000_000,
    ));
    let only_struct_min = |kit: &Kit| {
        std::thread::scope(|s| {
            s.spawn(|| {
                let o = kit.check_only(&util::read(&util::sample(SAMPLES[0])), |f| {
                    f == dui_conform::schematron::kit::STRUCT_MIN
                });
                o.asserts.iter().map(|a| a.text.clone()).collect::<Vec<_>>()
            })
            .join()
            .expect("no panic")
        })
    };
    let before = load(kit_copy.path(), cache.path());
    assert_eq!(before.cache.state, CacheState::Written);
    assert!(
        only_struct_min(&before)
            .iter()
            .any(|t| t.contains("setId[not(@nullFlavor)] is mandatory")),
        "the sample fails on its setId"
    );
    assert!(!before.cache.hash_from_fingerprint);
    let again = load(kit_copy.path(), cache.path());
    assert_eq!(again.cache.state, CacheState::Hit);
    assert!(
        again.cache.hash_from_fingerprint,
        "the stat fingerprint is used"
    );
    assert_eq!(again.hash, before.hash);

    // Same size, same modification time: only the content (and the change time) differs.
    let file = kit_copy.path().join(STRUCT_MIN_INCLUDE);
    let mtime = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .expect("mtime");
    let text = std::fs::read_to_string(&file).expect("read");
    let edited = text.replacen(
        "element hl7:setId[not(@nullFlavor)] is mandatory",
        "element hl7:setId[not(@nullFlavor)] IS MANDATORY",
        1,
    );
    assert_ne!(edited, text);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&file, edited).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(mtime))
        .expect("set mtime");

    let after = load(kit_copy.path(), cache.path());
    assert!(
        !after.cache.hash_from_fingerprint,
        "the change time differs"
    );
    assert_ne!(after.hash, before.hash);
    assert_eq!(after.cache.state, CacheState::Written, "a new entry");
    let texts = only_struct_min(&after);
    assert!(
        texts
            .iter()
            .any(|t| t.contains("setId[not(@nullFlavor)] IS MANDATORY")),
        "the edited message: {texts:?}"
    );
    assert_eq!(
        load(kit_copy.path(), cache.path()).cache.state,
        CacheState::Hit
    );
}

/// The command line: `kit info` says where the kit came from, `validate --no-kit-cache` neither reads
/// nor writes the cache and gives the same report, `kit clear-cache` empties it.
#[test]
fn the_command_line_shows_uses_bypasses_and_clears_the_cache() {
    if !have_kit() {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(util::bin());
        c.args(args)
            .current_dir(util::root())
            .env("DUI_CONFORM_CACHE", cache.path())
            .env_remove("DUI_CONFORM_NO_CACHE");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().expect("run dui-conform");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let kit = kit_dir().to_string_lossy().into_owned();
    let (code, out) = run(&["kit", "info", &kit], &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("disk cache: read from the folder, cached ("),
        "{out}"
    );
    let (_, out) = run(&["kit", "info", &kit], &[]);
    assert!(out.contains("disk cache: read from the cache ("), "{out}");
    let (_, out) = run(&["kit", "info", "--no-kit-cache", &kit], &[]);
    assert!(out.contains("disk cache: off"), "{out}");
    let (_, out) = run(&["kit", "info", &kit], &[("DUI_CONFORM_NO_CACHE", "1")]);
    assert!(out.contains("disk cache: off"), "{out}");

    let doc = util::sample(SAMPLES[0]).to_string_lossy().into_owned();
    let args = ["validate", "--format", "json", "--kit", &kit, &doc];
    let (code, warm) = run(&args, &[]);
    assert_eq!(code, Some(1), "the sample fails (no setId)");
    let mut no_cache = args.to_vec();
    no_cache.insert(1, "--no-kit-cache");
    let (code, cold) = run(&no_cache, &[]);
    assert_eq!(code, Some(1));
    // The JSON report has no time in it: byte for byte.
    assert_eq!(warm, cold);

    let (code, out) = run(&["kit", "clear-cache"], &[]);
    assert_eq!(code, Some(0));
    assert!(out.contains("file(s) removed"), "{out}");
    let left: Vec<_> = std::fs::read_dir(cache.path())
        .expect("cache folder")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
