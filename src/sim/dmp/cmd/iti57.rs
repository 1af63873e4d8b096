//! ITI-57 Update Document Set: status changes (archive, delete: DMP-TX-013) and new metadata versions of a
//! DocumentEntry (masking and visibility flags in `confidentialityCode`).
//!
//! # Format
//! `lcm:SubmitObjectsRequest` with either `rim:Association
//! associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"` (slots `OriginalStatus`,
//! `NewStatus`, `targetObject` = entryUUID), or a new `rim:ExtrinsicObject` version carrying the
//! document's uniqueId and its new confidentiality codes.

use crate::checks::dmp::{StatusChange, UpdateFacts};
use crate::formats::xds::{self as fxds, uuid};
use crate::sim::dmp::registry::{derived_uuid, Coded, Registry};
use crate::sim::dmp::wire::RegistryError;

use super::coded;

/// What a valid ITI-57 changes.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// Status changes.
    pub status: Vec<StatusChange>,
    /// New metadata versions: (uniqueId, new entryUUID, confidentiality codes).
    pub versions: Vec<(String, String, Vec<Coded>)>,
}

/// The registry facts DMP-TX-014 needs.
pub fn facts(sub: &fxds::Submission<'_, '_>, reg: &Registry) -> UpdateFacts {
    let mut f = UpdateFacts::default();
    for a in &sub.associations {
        if a.assoc_type != Some("urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus") {
            continue;
        }
        let t = a.target.unwrap_or("");
        let orig = a
            .slot("OriginalStatus")
            .and_then(|s| s.first())
            .unwrap_or("");
        if reg.is_unique_id(t) {
            f.unique_id_targets.push(t.to_string());
        } else if reg.get(t).is_none_or(|e| e.status != orig) {
            f.stale_targets.push(t.to_string());
        }
    }
    f
}

/// The metadata versions of the request (ExtrinsicObjects with a uniqueId).
pub fn versions(sub: &fxds::Submission<'_, '_>, seed: &str) -> Vec<(String, String, Vec<Coded>)> {
    sub.entries
        .iter()
        .filter_map(|e| {
            let uid = e
                .identified(uuid::DE_UNIQUE_ID)
                .first()
                .and_then(|x| x.value)?;
            let conf = coded(e)
                .into_iter()
                .filter(|c| c.scheme == uuid::DE_CONFIDENTIALITY)
                .collect();
            Some((
                uid.to_string(),
                derived_uuid(seed, e.id.unwrap_or(uid)),
                conf,
            ))
        })
        .collect()
}

/// Errors for versions whose uniqueId names no current entry.
pub fn version_errors(v: &[(String, String, Vec<Coded>)], reg: &Registry) -> Vec<RegistryError> {
    v.iter()
        .filter(|(uid, _, _)| reg.by_unique_id(uid).is_none_or(|e| e.status != crate::checks::dmp::status::APPROVED))
        .map(|(uid, _, _)| {
            let mut e = RegistryError::new("XDSMetadataUpdateError", format!("DMP-TX-014: aucune fiche courante pour le uniqueId / no current entry for uniqueId {uid}"));
            e.location = Some(uid.clone());
            e
        })
        .collect()
}

/// Applies a validated update.
pub fn apply(u: &Update, reg: &mut Registry) {
    for c in &u.status {
        reg.set_status(&c.target, &c.original, &c.new);
    }
    for (uid, new_uuid, conf) in &u.versions {
        reg.new_version(uid, new_uuid.clone(), conf.clone());
    }
}
