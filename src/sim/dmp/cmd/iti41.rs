//! ITI-41 Provide and Register Document Set-b: deposit (and replacement with an RPLC association).
//!
//! # Format
//! MTOM/XOP `multipart/related`: the SOAP part holds `xdsb:ProvideAndRegisterDocumentSetRequest` >
//! `lcm:SubmitObjectsRequest` (SubmissionSet, DocumentEntries, Associations) then one `xdsb:Document`
//! per entry, each an `xop:Include` of a MIME part.
//!
//! Strict like the DMP: any failed MUST finding on the metadata, the documents or the XAdES entry refuses
//! the whole submission with the IHE error that says why (nothing is registered).

use std::collections::HashMap;
use std::sync::Arc;

use roxmltree::Node;

use super::coded;
use crate::checks::dmp::status;
use crate::formats::xds::{self as fxds, uuid};
use crate::model::{ArtifactResult, Finding, Verdict};
use crate::sim::dmp::registry::{derived_uuid, Entry};
use crate::sim::dmp::wire::{RegistryError, Split};

/// What a valid ITI-41 changes in the registry.
#[derive(Debug, Clone)]
pub struct Deposit {
    /// New entries (approved).
    pub entries: Vec<Entry>,
    /// entryUUIDs replaced (RPLC targets).
    pub replaced: Vec<String>,
}

/// The bytes of each `xdsb:Document`, by id (MTOM parts by Content-ID, or inline base64).
pub fn documents(payload: Node<'_, '_>, split: &Split<'_>) -> HashMap<String, Arc<[u8]>> {
    let mut out = HashMap::new();
    for d in fxds::documents(payload) {
        let Some(id) = d.id else { continue };
        let bytes: Option<Vec<u8>> = match &d.content {
            fxds::DocContent::Xop(cid) => split
                .capture
                .part(cid)
                .and_then(|p| p.decoded().ok())
                .map(|b| b.into_owned()),
            fxds::DocContent::Inline(t) => fxds::decode_base64(t).ok(),
            fxds::DocContent::Empty => None,
        };
        if let Some(b) = bytes {
            out.insert(id.to_string(), Arc::from(b));
        }
    }
    out
}

/// The registry effect of a submission: entries with registry-assigned ids derived from `seed` (the
/// request's SHA-256), so that a replay assigns the same ones.
pub fn deposit(
    sub: &fxds::Submission<'_, '_>,
    docs: &HashMap<String, Arc<[u8]>>,
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
            document: docs.get(id).cloned().unwrap_or_else(|| Arc::from(&[][..])),
            submission_time: submission_time.clone(),
        });
    }
    let replaced = sub
        .associations
        .iter()
        .filter(|a| a.assoc_type == Some("urn:ihe:iti:2007:AssociationType:RPLC"))
        .filter_map(|a| a.target.map(str::to_string))
        .collect();
    Deposit { entries, replaced }
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
