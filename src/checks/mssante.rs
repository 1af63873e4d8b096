//! (being written) — see checks/mod.rs.

use super::CheckInfo;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[];
