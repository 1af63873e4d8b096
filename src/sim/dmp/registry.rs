//! The DMP's state: a registry (DocumentEntries with their status and confidentiality, per patient) and a
//! repository (the document bytes), in memory.
//!
//! The state is never persisted on its own: on restart it is rebuilt by replaying, in manifest order,
//! every recorded request that the simulator acknowledged with `Success` (see `handler::replay`). That
//! is why every id the registry assigns is derived from the request's SHA-256 (deterministic replay:
//! the entryUUIDs a DUI obtained before the restart are still valid after it).

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::checks::dmp::status;

/// A coded value of a classification, as deposited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coded {
    /// `classificationScheme` (UUID).
    pub scheme: String,
    /// `nodeRepresentation`.
    pub code: String,
    /// `codingScheme` slot.
    pub coding_scheme: Option<String>,
    /// Display name.
    pub display: Option<String>,
    /// Other slots of the classification (author: authorPerson, authorInstitution…).
    pub slots: Vec<(String, Vec<String>)>,
}

/// One DocumentEntry (one metadata version) and its document.
#[derive(Debug, Clone)]
pub struct Entry {
    /// entryUUID assigned by the registry (`urn:uuid:…`).
    pub entry_uuid: String,
    /// logicalID: constant across metadata versions.
    pub logical_id: String,
    /// Metadata version (1 on deposit, +1 per ITI-57 metadata update).
    pub version: u32,
    /// uniqueId set by the source.
    pub unique_id: String,
    /// patientId (CX).
    pub patient_id: String,
    /// availabilityStatus.
    pub status: String,
    /// mimeType.
    pub mime_type: String,
    /// Title (`rim:Name`).
    pub title: Option<String>,
    /// Slots as deposited (creationTime, hash, size, languageCode…).
    pub slots: Vec<(String, Vec<String>)>,
    /// Classifications as deposited (classCode, typeCode, confidentialityCode…).
    pub classifications: Vec<Coded>,
    /// Other ExternalIdentifiers (scheme, value) than uniqueId and patientId.
    pub external: Vec<(String, String)>,
    /// The document bytes (byte-exact).
    pub document: Arc<[u8]>,
    /// Submission time of the SubmissionSet that deposited it.
    pub submission_time: Option<String>,
}

impl Entry {
    /// Codes of the confidentialityCode classifications.
    pub fn confidentiality(&self) -> Vec<&str> {
        self.classifications
            .iter()
            .filter(|c| c.scheme == crate::formats::xds::uuid::DE_CONFIDENTIALITY)
            .map(|c| c.code.as_str())
            .collect()
    }

    /// Masked to professionals (`MASQUE_PS`) or invisible to the patient: not returned by a query that
    /// does not ask for these confidentiality codes.
    pub fn is_hidden(&self) -> bool {
        self.confidentiality()
            .iter()
            .any(|c| HIDING_CODES.contains(c))
    }
}

/// J08 masking/visibility flags (XDS-DE-040).
pub const HIDING_CODES: &[&str] = &[
    "MASQUE_PS",
    "INVISIBLE_PATIENT",
    "INVISIBLE_REPRESENTANTS_LEGAUX",
];

/// What a deposit would break in the registry (checked before anything is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// uniqueId already registered (XDSDuplicateUniqueIdInRegistry).
    DuplicateUniqueId(String),
    /// RPLC target that is not an approved entryUUID.
    UnknownReplaced(String),
}

/// The registry and repository.
#[derive(Debug, Default)]
pub struct Registry {
    by_uuid: HashMap<String, Entry>,
    by_unique: HashMap<String, String>,
    by_patient: HashMap<String, Vec<String>>,
    /// Documents by uniqueId (repository): the bytes of the current version's document.
    deposits: u64,
}

/// A deterministic `urn:uuid:` from a seed (request hash and position): replay gives the same ids.
pub fn derived_uuid(seed: &str, salt: &str) -> String {
    let h = Sha256::digest(format!("{seed}/{salt}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!("urn:uuid:{}", ::uuid::Uuid::from_bytes(b).hyphenated())
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Number of deposits applied.
    pub fn deposits(&self) -> u64 {
        self.deposits
    }

    /// The entry with this entryUUID.
    pub fn get(&self, entry_uuid: &str) -> Option<&Entry> {
        self.by_uuid.get(entry_uuid)
    }

    /// The current entry with this uniqueId.
    pub fn by_unique_id(&self, unique_id: &str) -> Option<&Entry> {
        self.by_unique
            .get(unique_id)
            .and_then(|u| self.by_uuid.get(u))
    }

    /// True when `id` is the uniqueId of an entry (and not an entryUUID).
    pub fn is_unique_id(&self, id: &str) -> bool {
        self.by_unique.contains_key(id) && !self.by_uuid.contains_key(id)
    }

    /// What would prevent depositing these entries (uniqueIds) replacing these entryUUIDs.
    pub fn conflicts(&self, unique_ids: &[&str], replaced: &[&str]) -> Vec<Conflict> {
        let mut out = Vec::new();
        for u in unique_ids {
            if self.by_unique.contains_key(*u) {
                out.push(Conflict::DuplicateUniqueId(u.to_string()));
            }
        }
        for r in replaced {
            if self
                .by_uuid
                .get(*r)
                .is_none_or(|e| e.status != status::APPROVED)
            {
                out.push(Conflict::UnknownReplaced(r.to_string()));
            }
        }
        out
    }

    /// Stores new entries; `replaced` entries become Deprecated. Call [`Registry::conflicts`] first.
    pub fn deposit(&mut self, entries: Vec<Entry>, replaced: &[&str]) {
        for r in replaced {
            if let Some(e) = self.by_uuid.get_mut(*r) {
                e.status = status::DEPRECATED.to_string();
            }
        }
        for e in entries {
            self.by_unique
                .insert(e.unique_id.clone(), e.entry_uuid.clone());
            self.by_patient
                .entry(e.patient_id.clone())
                .or_default()
                .push(e.entry_uuid.clone());
            self.by_uuid.insert(e.entry_uuid.clone(), e);
        }
        self.deposits += 1;
    }

    /// Entries of a patient, in deposit order.
    pub fn of_patient(&self, patient_id: &str) -> Vec<&Entry> {
        self.by_patient
            .get(patient_id)
            .map(|v| v.iter().filter_map(|u| self.by_uuid.get(u)).collect())
            .unwrap_or_default()
    }

    /// Changes the status of an entry (ITI-57 UpdateAvailabilityStatus) when its current status is
    /// `original`. Returns false (nothing changed) otherwise.
    pub fn set_status(&mut self, entry_uuid: &str, original: &str, new: &str) -> bool {
        match self.by_uuid.get_mut(entry_uuid) {
            Some(e) if e.status == original => {
                e.status = new.to_string();
                true
            }
            _ => false,
        }
    }

    /// A metadata update (ITI-57 new version of a DocumentEntry, e.g. masking): the current version
    /// with the same uniqueId becomes Deprecated and `new` (same logicalID, version + 1, same document)
    /// becomes the approved one. Returns false when no current entry has that uniqueId.
    pub fn new_version(
        &mut self,
        unique_id: &str,
        new_uuid: String,
        confidentiality: Vec<Coded>,
    ) -> bool {
        let Some(old_uuid) = self.by_unique.get(unique_id).cloned() else {
            return false;
        };
        let Some(old) = self.by_uuid.get_mut(&old_uuid) else {
            return false;
        };
        if old.status != status::APPROVED {
            return false;
        }
        old.status = status::DEPRECATED.to_string();
        let mut e = old.clone();
        e.entry_uuid = new_uuid.clone();
        e.version += 1;
        e.status = status::APPROVED.to_string();
        e.classifications
            .retain(|c| c.scheme != crate::formats::xds::uuid::DE_CONFIDENTIALITY);
        e.classifications.extend(confidentiality);
        self.by_unique
            .insert(unique_id.to_string(), new_uuid.clone());
        if let Some(v) = self.by_patient.get_mut(&e.patient_id) {
            v.push(new_uuid.clone());
        }
        self.by_uuid.insert(new_uuid, e);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(u: &str, uid: &str) -> Entry {
        Entry {
            entry_uuid: u.into(),
            logical_id: u.into(),
            version: 1,
            unique_id: uid.into(),
            patient_id: "P".into(),
            status: status::APPROVED.into(),
            mime_type: "text/xml".into(),
            title: None,
            slots: vec![],
            classifications: vec![],
            external: vec![],
            document: Arc::from(&b"<x/>"[..]),
            submission_time: None,
        }
    }

    #[test]
    fn duplicate_unique_id_and_replacement() {
        let mut r = Registry::new();
        r.deposit(vec![entry("urn:uuid:a", "1.2.3")], &[]);
        assert_eq!(
            r.conflicts(&["1.2.3"], &[]),
            vec![Conflict::DuplicateUniqueId("1.2.3".into())]
        );
        assert_eq!(
            r.conflicts(&[], &["urn:uuid:zz"]),
            vec![Conflict::UnknownReplaced("urn:uuid:zz".into())]
        );
        r.deposit(vec![entry("urn:uuid:b", "1.2.4")], &["urn:uuid:a"]);
        assert_eq!(
            r.get("urn:uuid:a").map(|e| e.status.as_str()),
            Some(status::DEPRECATED)
        );
        assert!(r.new_version("1.2.4", "urn:uuid:c".into(), vec![]));
        assert_eq!(r.by_unique_id("1.2.4").map(|e| e.version), Some(2));
        assert_eq!(derived_uuid("s", "1"), derived_uuid("s", "1"));
    }
}
