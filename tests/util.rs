//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, where the real samples and the domain reference live (never copied into the project).
pub fn shared() -> PathBuf {
    std::env::var_os("DUI_CONFORM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

/// A path under `../shared/samples`.
pub fn sample(rel: &str) -> PathBuf {
    shared().join("samples").join(rel)
}

/// The built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dui-conform"))
}

/// Reads a file, panicking with its path on error (tests only).
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One test PKI per test process, made on first use under the target's temp folder and kept between runs
/// (`Pki::init` keeps existing files): the RSA client key takes about a second to generate. For tests that
/// only read it; a test that changes files makes its own with `Pki::init(tempdir)`.
pub fn test_pki() -> &'static dui_conform::pki::Pki {
    static PKI: std::sync::OnceLock<dui_conform::pki::Pki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        // Keyed by the test binary's build time: a rebuilt harness (maybe issuing other certificates) gets
        // a fresh PKI; the PKIs of older builds are removed.
        let built = std::env::current_exe()
            .and_then(|e| e.metadata())
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let name = format!("test-pki-{built}");
        if let Ok(rd) = std::fs::read_dir(&base) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("test-pki") && n != name {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(name);
        dui_conform::pki::Pki::init(&dir).unwrap_or_else(|e| {
            // A run interrupted mid-init leaves half pairs: start over once.
            eprintln!("test PKI in {} unusable ({e}): made anew", dir.display());
            let _ = std::fs::remove_dir_all(&dir);
            dui_conform::pki::Pki::init(&dir).expect("test PKI")
        })
    })
}

/// A child process killed and reaped when dropped, so that a failing test leaves no stray server.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
