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
