//! The DMP's state: a registry (DocumentEntries with their status and confidentiality, per patient) in
//! memory, and a repository that knows each document by its SHA-256 and size: the bytes themselves are
//! an object of the evidence store (content-addressed, byte-exact), read back on ITI-43, so the memory a
//! long run needs does not grow with the documents' size.
//!
//! The state is never persisted on its own: on restart it is rebuilt by replaying, in manifest order,
//! every recorded request that the simulator acknowledged with `Success` (see `handler::replay`). That
//! is why every id the registry assigns is derived from the request's SHA-256 (deterministic replay:
//! the entryUUIDs a DUI obtained before the restart are still valid after it).

use std::collections::HashMap;

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
    /// SHA-256 (hex) of the document: its object in the evidence store.
    pub document_sha256: String,
    /// Its size in bytes.
    pub document_size: u64,
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

/// One SubmissionSet as registered (FindSubmissionSets).
#[derive(Debug, Clone)]
pub struct SubmissionSet {
    /// entryUUID assigned by the registry.
    pub entry_uuid: String,
    /// uniqueId.
    pub unique_id: String,
    /// sourceId.
    pub source_id: String,
    /// patientId (CX).
    pub patient_id: String,
    /// availabilityStatus (always Approved once registered).
    pub status: String,
    /// Title.
    pub title: Option<String>,
    /// Slots as deposited (submissionTime…).
    pub slots: Vec<(String, Vec<String>)>,
    /// Classifications as deposited (author, contentTypeCode).
    pub classifications: Vec<Coded>,
}

impl SubmissionSet {
    /// The first value of a slot.
    pub fn slot(&self, name: &str) -> Option<&str> {
        self.slots
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

/// One Association as registered (HasMember SubmissionSet → DocumentEntry, RPLC DocumentEntry → the
/// entry it replaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    /// Id assigned by the registry.
    pub id: String,
    /// associationType.
    pub assoc_type: String,
    /// sourceObject (an entryUUID).
    pub source: String,
    /// targetObject (an entryUUID).
    pub target: String,
    /// Slots (SubmissionSetStatus…).
    pub slots: Vec<(String, Vec<String>)>,
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
    /// SubmissionSets by entryUUID, and per patient in deposit order.
    sets: HashMap<String, SubmissionSet>,
    sets_by_patient: HashMap<String, Vec<String>>,
    /// SubmissionSet entryUUIDs by uniqueId (looked up on every deposit: XDSDuplicateUniqueIdInRegistry).
    sets_by_unique_id: HashMap<String, String>,
    /// Associations, in registration order, and their positions by source or target entryUUID.
    associations: Vec<Association>,
    assoc_by_object: HashMap<String, Vec<usize>>,
    /// Deposits applied.
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

    /// The SubmissionSet with this entryUUID.
    pub fn submission_set(&self, entry_uuid: &str) -> Option<&SubmissionSet> {
        self.sets.get(entry_uuid)
    }

    /// The SubmissionSet with this uniqueId.
    pub fn submission_set_by_unique_id(&self, unique_id: &str) -> Option<&SubmissionSet> {
        self.sets_by_unique_id
            .get(unique_id)
            .and_then(|u| self.sets.get(u))
    }

    /// SubmissionSets of a patient, in deposit order.
    pub fn sets_of_patient(&self, patient_id: &str) -> Vec<&SubmissionSet> {
        self.sets_by_patient
            .get(patient_id)
            .map(|v| v.iter().filter_map(|u| self.sets.get(u)).collect())
            .unwrap_or_default()
    }

    /// Associations whose source or target is `uuid`, in registration order.
    pub fn associations_of(&self, uuid: &str) -> Vec<&Association> {
        self.assoc_by_object
            .get(uuid)
            .map(|v| v.iter().filter_map(|&i| self.associations.get(i)).collect())
            .unwrap_or_default()
    }

    /// Registers a SubmissionSet and associations (with [`Registry::deposit`]).
    pub fn register_set(&mut self, set: SubmissionSet, associations: Vec<Association>) {
        for a in associations {
            let i = self.associations.len();
            self.assoc_by_object
                .entry(a.source.clone())
                .or_default()
                .push(i);
            if a.target != a.source {
                self.assoc_by_object
                    .entry(a.target.clone())
                    .or_default()
                    .push(i);
            }
            self.associations.push(a);
        }
        self.sets_by_patient
            .entry(set.patient_id.clone())
            .or_default()
            .push(set.entry_uuid.clone());
        self.sets_by_unique_id
            .entry(set.unique_id.clone())
            .or_insert_with(|| set.entry_uuid.clone());
        self.sets.insert(set.entry_uuid.clone(), set);
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
            document_sha256: crate::evidence::sha256_hex(b"<x/>"),
            document_size: 4,
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
