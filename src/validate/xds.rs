//! (being written)

use super::Options;
use crate::model::ArtifactResult;

/// Validates the artifact and what it carries.
pub fn validate(path: &str, parent: Option<&str>, bytes: &[u8], _opts: &Options) -> Vec<ArtifactResult> {
    vec![super::result(path, parent, bytes, crate::model::ArtifactKind::Unknown, Vec::new())]
}
