//! (being written) — see checks/mod.rs.

use super::CheckInfo;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[];

/// INS and national identifier checks on a CDA header.
pub fn check_cda(_cda: &crate::formats::cda::Cda<'_, '_>, _sink: &mut super::Sink) {}
