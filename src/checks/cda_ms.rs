//! (being written) — see checks/mod.rs.

use super::CheckInfo;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[];

/// Medico-social model checks (DLU, FLUDT, FLUDR, TDDUI export).
pub fn check(_cda: &crate::formats::cda::Cda<'_, '_>, _sink: &mut super::Sink) {}
