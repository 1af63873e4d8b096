//! ITI-41 Provide and Register Document Set-b: deposit (and replacement with an RPLC association).
//!
//! # Format
//! MTOM/XOP `multipart/related`: the SOAP part holds `xdsb:ProvideAndRegisterDocumentSetRequest` >
//! `lcm:SubmitObjectsRequest` (SubmissionSet, DocumentEntries, Associations) then one `xdsb:Document`
//! per entry, each an `xop:Include` of a MIME part.
//!
//! Strict like the DMP: any failed MUST finding on the metadata, the documents or the XAdES entry refuses
//! the whole submission with the IHE error that says why (nothing is registered).

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;

use roxmltree::Node;

use super::coded;
use crate::checks::dmp::status;
use crate::formats::xds::{self as fxds, uuid};
use crate::model::{ArtifactResult, Finding, Verdict};
use crate::sim::dmp::registry::{derived_uuid, Association, Entry, Registry, SubmissionSet};
use crate::sim::dmp::wire::{RegistryError, Split};

/// What a valid ITI-41 changes in the registry.
#[derive(Debug, Clone)]
pub struct Deposit {
    /// New entries (approved).
    pub entries: Vec<Entry>,
    /// entryUUIDs replaced (RPLC targets).
    pub replaced: Vec<String>,
    /// The SubmissionSet.
    pub set: Option<SubmissionSet>,
    /// The associations, with the submission's symbolic ids replaced by the registry's entryUUIDs.
    pub associations: Vec<Association>,
}

/// Registers a deposit whose conflicts were checked ([`Registry::conflicts`]).
pub fn apply(dep: Deposit, reg: &mut Registry) {
    let replaced: Vec<&str> = dep.replaced.iter().map(String::as_str).collect();
    reg.deposit(dep.entries.clone(), &replaced);
    if let Some(set) = dep.set {
        reg.register_set(set, dep.associations);
    }
}

/// The bytes of each `xdsb:Document`, by id (MTOM parts by Content-ID, or inline base64). `capture` is
/// the buffer `split` was made from: a binary MTOM part is a slice of it, not a copy.
pub fn documents(
    payload: Node<'_, '_>,
    split: &Split<'_>,
    capture: &Bytes,
) -> HashMap<String, Bytes> {
    let mut out = HashMap::new();
    for d in fxds::documents(payload) {
        let Some(id) = d.id else { continue };
        let bytes: Option<Bytes> = match &d.content {
            fxds::DocContent::Xop(cid) => split
                .capture
                .part(cid)
                .and_then(|p| p.decoded().ok())
                .map(|b| match b {
                    Cow::Borrowed(s) if in_buffer(capture, s) => capture.slice_ref(s),
                    other => Bytes::from(other.into_owned()),
                }),
            fxds::DocContent::Inline(t) => fxds::decode_base64(t).ok().map(Bytes::from),
            fxds::DocContent::Empty => None,
        };
        if let Some(b) = bytes {
            out.insert(id.to_string(), b);
        }
    }
    out
}

/// True when `s` lies inside `buf` (the precondition of `Bytes::slice_ref`).
fn in_buffer(buf: &Bytes, s: &[u8]) -> bool {
    let (b, l) = (buf.as_ptr() as usize, buf.len());
    let p = s.as_ptr() as usize;
    p >= b && p + s.len() <= b + l
}

/// A document of a deposit: its SHA-256 (its evidence object) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRef {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The SHA-256 and size of each document (hashed once).
pub fn refs(docs: &HashMap<String, Bytes>) -> HashMap<String, DocRef> {
    docs.iter()
        .map(|(id, b)| {
            (
                id.clone(),
                DocRef {
                    sha256: crate::evidence::sha256_hex(b),
                    size: b.len() as u64,
                },
            )
        })
        .collect()
}

/// The registry effect of a submission: entries with registry-assigned ids derived from `seed` (the
/// request's SHA-256), so that a replay assigns the same ones.
pub fn deposit(
    sub: &fxds::Submission<'_, '_>,
    docs: &HashMap<String, DocRef>,
    seed: &str,
) -> Deposit {
    let ss = sub.submission_sets();
    let submission_time = ss
        .first()
        .and_then(|s| s.slot("submissionTime"))
        .and_then(|s| s.first())
        .map(str::to_string);
    let mut entries = Vec::new();
    for e in &sub.entries {
        let id = e.id.unwrap_or("");
        let ext = |scheme: &str| {
            e.identified(scheme)
                .first()
                .and_then(|x| x.value)
                .unwrap_or("")
                .to_string()
        };
        let entry_uuid = derived_uuid(seed, id);
        entries.push(Entry {
            logical_id: entry_uuid.clone(),
            entry_uuid,
            version: 1,
            unique_id: ext(uuid::DE_UNIQUE_ID),
            patient_id: ext(uuid::DE_PATIENT_ID),
            status: status::APPROVED.to_string(),
            mime_type: e.mime_type.unwrap_or("").to_string(),
            title: e
                .name
                .as_ref()
                .and_then(|n| n.first())
                .map(|s| s.to_string()),
            slots: e
                .slots
                .iter()
                .map(|s| (s.name.to_string(), s.values.clone()))
                .collect(),
            classifications: coded(e),
            external: e
                .external_ids
                .iter()
                .filter(|x| {
                    x.scheme != Some(uuid::DE_UNIQUE_ID) && x.scheme != Some(uuid::DE_PATIENT_ID)
                })
                .map(|x| {
                    (
                        x.scheme.unwrap_or("").to_string(),
                        x.value.unwrap_or("").to_string(),
                    )
                })
                .collect(),
            document_sha256: docs
                .get(id)
                .map_or_else(|| crate::evidence::sha256_hex(b""), |d| d.sha256.clone()),
            document_size: docs.get(id).map_or(0, |d| d.size),
            submission_time: submission_time.clone(),
        });
    }
    let replaced = sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some("urn:ihe:iti:2007:AssociationType:RPLC"))
        .filter_map(|a| a.target.map(str::to_string))
        .collect();
    // Symbolic ids of the submission → registry entryUUIDs.
    let mut ids: HashMap<&str, String> = HashMap::new();
    for e in &sub.entries {
        if let Some(id) = e.id {
            ids.insert(id, derived_uuid(seed, id));
        }
    }
    let set = ss.first().map(|s| {
        let id = s.id.unwrap_or("SubmissionSet");
        let uuid = derived_uuid(seed, id);
        ids.insert(id, uuid.clone());
        let ext = |scheme: &str| {
            s.identified(scheme)
                .first()
                .and_then(|x| x.value)
                .unwrap_or("")
                .to_string()
        };
        SubmissionSet {
            entry_uuid: uuid,
            unique_id: ext(uuid::SS_UNIQUE_ID),
            source_id: ext(uuid::SS_SOURCE_ID),
            patient_id: ext(uuid::SS_PATIENT_ID),
            status: status::APPROVED.to_string(),
            title: s
                .name
                .as_ref()
                .and_then(|n| n.first())
                .map(|t| t.to_string()),
            slots: s
                .slots
                .iter()
                .map(|sl| (sl.name.to_string(), sl.values.clone()))
                .collect(),
            classifications: coded(s),
        }
    });
    let map = |v: Option<&str>| {
        let v = v.unwrap_or("");
        ids.get(v).cloned().unwrap_or_else(|| v.to_string())
    };
    let associations = sub
        .associations
        .iter()
        .enumerate()
        .map(|(i, a)| Association {
            id: derived_uuid(seed, a.id.unwrap_or(&format!("association-{i}"))),
            assoc_type: a.assoc_type.unwrap_or("").to_string(),
            source: map(a.source),
            target: map(a.target),
            slots: a
                .slots
                .iter()
                .map(|sl| (sl.name.to_string(), sl.values.clone()))
                .collect(),
        })
        .collect();
    Deposit {
        entries,
        replaced,
        set,
        associations,
    }
}

/// The IHE error a failed rule gives (what the DMP answers).
pub fn error_code(rule: &str, message_en: &str) -> &'static str {
    match rule {
        "XDS-SS-013" | "XDS-DE-025" => "XDSPatientIdDoesNotMatch",
        "XDS-DE-027" if message_en.contains("size") => "XDSNonIdenticalSize",
        "XDS-DE-027" => "XDSNonIdenticalHash",
        "ID-030" | "ID-031" | "ID-032" => "XDSUnknownPatientId",
        r if r.starts_with("XDS-DE-02") => "XDSRepositoryMetadataError",
        r if r.starts_with("CDA-") || r.starts_with("INS-") || r.starts_with("ID-") => {
            "XDSRepositoryMetadataError"
        }
        _ => "XDSRegistryMetadataError",
    }
}

/// The registry errors of a submission: one per failed MUST finding of the metadata and documents
/// (`results`) and of the DMP-TX rules (`wire`). With `unsigned_ok`, a missing XAdES entry (DMP-TX-016)
/// does not refuse the submission (its finding is still recorded); a wrong one still does.
pub fn errors(
    results: &[ArtifactResult],
    wire: &[Finding],
    unsigned_ok: bool,
) -> Vec<RegistryError> {
    let mut out: Vec<RegistryError> = Vec::new();
    let mut push = |f: &Finding, doc: Option<&str>| {
        if f.verdict != Verdict::Fail {
            return;
        }
        if unsigned_ok && crate::checks::dmp::is_missing_signature(f) {
            return;
        }
        // The official kit's verdict is recorded, not enforced (see `Config::kit`).
        if f.requirement.starts_with("KIT:") {
            return;
        }
        let code = error_code(&f.requirement, &f.message.en);
        let context = match doc {
            Some(d) => format!("{} [{d}]: {}", f.requirement, f.message.fr),
            None => format!("{}: {}", f.requirement, f.message.fr),
        };
        let mut e = RegistryError::new(code, context);
        e.location = f.location.path.clone();
        out.push(e);
    };
    for (i, r) in results.iter().enumerate() {
        let doc = (i > 0).then(|| r.path.rsplit('!').next().unwrap_or(""));
        for f in &r.findings {
            push(f, doc);
        }
    }
    for f in wire
        .iter()
        .filter(|f| f.requirement.starts_with("DMP-TX") || f.requirement.starts_with("XDS-UUID"))
    {
        push(f, None);
    }
    // The most specific errors first (the DUI shows the first one).
    out.sort_by_key(|e| match e.code.as_str() {
        "XDSPatientIdDoesNotMatch" | "XDSNonIdenticalHash" | "XDSNonIdenticalSize" => 0,
        "XDSUnknownPatientId" => 1,
        "XDSRepositoryMetadataError" => 2,
        _ => 3,
    });
    out.truncate(50);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_to_ihe_error() {
        assert_eq!(error_code("XDS-SS-013", ""), "XDSPatientIdDoesNotMatch");
        assert_eq!(error_code("XDS-DE-027", "hash"), "XDSNonIdenticalHash");
        assert_eq!(error_code("XDS-DE-027", "size 12"), "XDSNonIdenticalSize");
        assert_eq!(error_code("XDS-DE-020", ""), "XDSRepositoryMetadataError");
        assert_eq!(error_code("DMP-TX-016", ""), "XDSRegistryMetadataError");
    }
}
