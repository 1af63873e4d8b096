//! ITI-18 Registry Stored Query (IHE ITI TF-2a 3.18.4.1.2.3.7): FindDocuments (patient, status,
//! confidentiality, class/type/format codes, creation time), FindDocumentsByReferenceId (the same plus
//! `$XDSDocumentEntryReferenceIdList`, matched against the `urn:ihe:iti:xds:2013:referenceIdList` slot),
//! GetDocuments (by entryUUID or uniqueId), FindSubmissionSets (patient, status, sourceId, submission
//! time, author person, content type), GetAssociations (`$uuid`: the associations whose source or
//! target is one of them) and GetSubmissionSetAndContents (3.18.4.1.2.3.7.8: the SubmissionSet by
//! entryUUID or uniqueId, its member DocumentEntries filtered by format and confidentiality codes, and
//! the HasMember associations between them) and GetRelatedDocuments (3.18.4.1.2.3.7.13: a document,
//! by entryUUID or uniqueId, with the documents linked to it by the `$AssociationTypes` asked, e.g. RPLC
//! after a replacement, and those associations; nothing when it has none).
//!
//! # Format
//! `query:AdhocQueryRequest` > `query:ResponseOption returnType="LeafClass|ObjectRef"` + `rim:AdhocQuery
//! id="<stored query UUID>"` with `rim:Slot`s whose values are SQL-quoted (`'a'`, `('a','b')`).
//!
//! Hidden documents (J08 `MASQUE_PS`, `INVISIBLE_PATIENT`, `INVISIBLE_REPRESENTANTS_LEGAUX`) are returned
//! only when `$XDSDocumentEntryConfidentialityCode` asks for one of these codes.

use std::fmt::Write as _;

use roxmltree::Node;

use crate::checks::dmp::Transaction;
use crate::checks::dmp::{adhoc_query, query_id, query_slots, slot_values, status};
use crate::formats::xds::uuid;
use crate::sim::dmp::registry::{Association, Entry, Registry, SubmissionSet};
use crate::sim::dmp::wire::{self, esc, RegistryError, Response};

/// A parsed stored query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// AdhocQuery/@id.
    pub id: String,
    /// ObjectRef instead of LeafClass.
    pub object_ref: bool,
    /// Slots (name, unquoted values).
    pub slots: Vec<(String, Vec<String>)>,
}

impl Query {
    /// Reads the AdhocQueryRequest payload.
    pub fn of(payload: Node<'_, '_>) -> Query {
        let object_ref = payload
            .children()
            .find(|c| c.tag_name().name() == "ResponseOption")
            .and_then(|o| o.attribute("returnType"))
            == Some("ObjectRef");
        let Some(q) = adhoc_query(payload) else {
            return Query {
                object_ref,
                ..Query::default()
            };
        };
        Query {
            id: q.attribute("id").unwrap_or("").to_string(),
            object_ref,
            slots: query_slots(q)
                .into_iter()
                .map(|(k, v)| (k, slot_values(&v)))
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&[String]> {
        self.slots
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The patient id of the query, unquoted.
    pub fn patient_id(&self) -> Option<&str> {
        self.get("$XDSDocumentEntryPatientId")
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

fn code_filter(e: &Entry, scheme: &str, wanted: Option<&[String]>) -> bool {
    let Some(w) = wanted else { return true };
    e.classifications.iter().any(|c| {
        c.scheme == scheme
            && w.iter()
                .any(|v| v.split('^').next().unwrap_or("") == c.code)
    })
}

/// What a query found.
#[derive(Debug, Default)]
pub struct Found<'r> {
    /// DocumentEntries.
    pub entries: Vec<&'r Entry>,
    /// SubmissionSets.
    pub sets: Vec<&'r SubmissionSet>,
    /// Associations.
    pub associations: Vec<&'r Association>,
}

fn missing(param: &str) -> Vec<RegistryError> {
    vec![RegistryError::new("XDSStoredQueryMissingParam", param)]
}

/// The first code of a coded value (`code^^scheme`).
fn code_of(v: &str) -> &str {
    v.split('^').next().unwrap_or("")
}

/// FindDocuments and FindDocumentsByReferenceId (ITI TF-2a 3.18.4.1.2.3.7.1 and .14): the patient's
/// entries with the requested status, the J08 masking rule and the optional code and time filters.
fn find_documents<'r>(q: &Query, reg: &'r Registry) -> Result<Vec<&'r Entry>, Vec<RegistryError>> {
    let Some(p) = q.patient_id() else {
        return Err(missing("$XDSDocumentEntryPatientId"));
    };
    let Some(statuses) = q.get("$XDSDocumentEntryStatus").filter(|s| !s.is_empty()) else {
        return Err(missing("$XDSDocumentEntryStatus"));
    };
    let conf = q.get("$XDSDocumentEntryConfidentialityCode");
    let asks_hidden = conf.is_some_and(|c| {
        c.iter()
            .any(|v| crate::sim::dmp::registry::HIDING_CODES.contains(&code_of(v)))
    });
    let from = q
        .get("$XDSDocumentEntryCreationTimeFrom")
        .and_then(|v| v.first());
    let to = q
        .get("$XDSDocumentEntryCreationTimeTo")
        .and_then(|v| v.first());
    Ok(reg
        .of_patient(p)
        .into_iter()
        .filter(|e| statuses.contains(&e.status))
        .filter(|e| asks_hidden || !e.is_hidden())
        .filter(|e| code_filter(e, uuid::DE_CONFIDENTIALITY, conf))
        .filter(|e| code_filter(e, uuid::DE_CLASS, q.get("$XDSDocumentEntryClassCode")))
        .filter(|e| code_filter(e, uuid::DE_TYPE, q.get("$XDSDocumentEntryTypeCode")))
        .filter(|e| code_filter(e, uuid::DE_FORMAT, q.get("$XDSDocumentEntryFormatCode")))
        .filter(|e| {
            let ct = e
                .slots
                .iter()
                .find(|(k, _)| k == "creationTime")
                .and_then(|(_, v)| v.first())
                .map(String::as_str)
                .unwrap_or("");
            from.is_none_or(|f| ct >= f.as_str()) && to.is_none_or(|t| ct < t.as_str())
        })
        .collect())
}

/// GetSubmissionSetAndContents (ITI TF-2a 3.18.4.1.2.3.7.8): exactly one of
/// `$XDSSubmissionSetEntryUUID` / `$XDSSubmissionSetUniqueId`; an unknown set is an empty success. The
/// members are the targets of the set's HasMember associations that are DocumentEntries, filtered by
/// `$XDSDocumentEntryFormatCode` and `$XDSDocumentEntryConfidentialityCode`; hidden documents (J08) only
/// when the confidentiality filter asks for them, as in FindDocuments.
fn submission_set_and_contents<'r>(
    q: &Query,
    reg: &'r Registry,
) -> Result<Found<'r>, Vec<RegistryError>> {
    let uuid = q.get("$XDSSubmissionSetEntryUUID").and_then(|v| v.first());
    let uid = q.get("$XDSSubmissionSetUniqueId").and_then(|v| v.first());
    let set = match (uuid, uid) {
        (Some(u), None) => reg.submission_set(u),
        (None, Some(u)) => reg.submission_set_by_unique_id(u),
        _ => {
            return Err(vec![RegistryError::new(
                "XDSStoredQueryParamNumber",
                "GetSubmissionSetAndContents: exactly one of $XDSSubmissionSetEntryUUID, $XDSSubmissionSetUniqueId",
            )])
        }
    };
    let Some(set) = set else {
        return Ok(Found::default());
    };
    let conf = q.get("$XDSDocumentEntryConfidentialityCode");
    let asks_hidden = conf.is_some_and(|c| {
        c.iter()
            .any(|v| crate::sim::dmp::registry::HIDING_CODES.contains(&code_of(v)))
    });
    let mut found = Found {
        sets: vec![set],
        ..Found::default()
    };
    for a in reg.associations_of(&set.entry_uuid) {
        if a.source != set.entry_uuid || a.assoc_type != HAS_MEMBER {
            continue;
        }
        let Some(e) = reg.get(&a.target) else {
            continue;
        };
        if (asks_hidden || !e.is_hidden())
            && code_filter(e, uuid::DE_CONFIDENTIALITY, conf)
            && code_filter(e, uuid::DE_FORMAT, q.get("$XDSDocumentEntryFormatCode"))
        {
            found.entries.push(e);
            found.associations.push(a);
        }
    }
    Ok(found)
}

/// GetRelatedDocuments (ITI TF-2a 3.18.4.1.2.3.7.13): exactly one of `$XDSDocumentEntryEntryUUID` /
/// `$XDSDocumentEntryUniqueId`, and `$AssociationTypes` (required). Returns the originating document, the
/// DocumentEntries at the other end of its associations of those types (either direction) and the
/// associations; when there is no such association, nothing at all, not even the originating document
/// (the transaction's "no related documents" case).
fn related_documents<'r>(q: &Query, reg: &'r Registry) -> Result<Found<'r>, Vec<RegistryError>> {
    let Some(types) = q.get("$AssociationTypes").filter(|v| !v.is_empty()) else {
        return Err(missing("$AssociationTypes"));
    };
    let uuid = q.get("$XDSDocumentEntryEntryUUID").and_then(|v| v.first());
    let uid = q.get("$XDSDocumentEntryUniqueId").and_then(|v| v.first());
    let origin = match (uuid, uid) {
        (Some(u), None) => reg.get(u),
        (None, Some(u)) => reg.by_unique_id(u),
        _ => {
            return Err(vec![RegistryError::new(
                "XDSStoredQueryParamNumber",
                "GetRelatedDocuments: exactly one of $XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId",
            )])
        }
    };
    let Some(origin) = origin else {
        return Ok(Found::default());
    };
    let mut found = Found::default();
    for a in reg.associations_of(&origin.entry_uuid) {
        if !types.contains(&a.assoc_type) {
            continue;
        }
        let other = if a.source == origin.entry_uuid {
            &a.target
        } else {
            &a.source
        };
        let Some(e) = reg.get(other) else { continue };
        if !found.entries.iter().any(|x| x.entry_uuid == e.entry_uuid) {
            found.entries.push(e);
        }
        found.associations.push(a);
    }
    if !found.entries.is_empty() {
        found.entries.insert(0, origin);
    }
    Ok(found)
}

/// ebRIM HasMember (a SubmissionSet's members).
const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";

/// The referenceIdList slot of a DocumentEntry (ITI TF-3 4.2.3.2.28).
const REFERENCE_ID_LIST: &str = "urn:ihe:iti:xds:2013:referenceIdList";

/// Runs the query; returns what matches or the registry errors.
pub fn run<'r>(q: &Query, reg: &'r Registry) -> Result<Found<'r>, Vec<RegistryError>> {
    match q.id.as_str() {
        query_id::FIND_DOCUMENTS => Ok(Found {
            entries: find_documents(q, reg)?,
            ..Found::default()
        }),
        query_id::FIND_BY_REFERENCE_ID => {
            let Some(refs) = q
                .get("$XDSDocumentEntryReferenceIdList")
                .filter(|v| !v.is_empty())
            else {
                return Err(missing("$XDSDocumentEntryReferenceIdList"));
            };
            let entries = find_documents(q, reg)?
                .into_iter()
                .filter(|e| {
                    e.slots
                        .iter()
                        .filter(|(k, _)| k == REFERENCE_ID_LIST)
                        .flat_map(|(_, v)| v)
                        .any(|v| refs.contains(v))
                })
                .collect();
            Ok(Found {
                entries,
                ..Found::default()
            })
        }
        query_id::GET_DOCUMENTS => {
            let uuids = q.get("$XDSDocumentEntryEntryUUID").unwrap_or(&[]);
            let uids = q.get("$XDSDocumentEntryUniqueId").unwrap_or(&[]);
            if uuids.is_empty() == uids.is_empty() {
                return Err(vec![RegistryError::new(
                    "XDSStoredQueryParamNumber",
                    "GetDocuments: exactly one of $XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId",
                )]);
            }
            Ok(Found {
                entries: uuids
                    .iter()
                    .filter_map(|u| reg.get(u))
                    .chain(uids.iter().filter_map(|u| reg.by_unique_id(u)))
                    .collect(),
                ..Found::default()
            })
        }
        query_id::FIND_SUBMISSION_SETS => {
            let Some(p) = q.get("$XDSSubmissionSetPatientId").and_then(|v| v.first()) else {
                return Err(missing("$XDSSubmissionSetPatientId"));
            };
            let Some(statuses) = q.get("$XDSSubmissionSetStatus").filter(|s| !s.is_empty()) else {
                return Err(missing("$XDSSubmissionSetStatus"));
            };
            let sources = q.get("$XDSSubmissionSetSourceId");
            let from = q
                .get("$XDSSubmissionSetSubmissionTimeFrom")
                .and_then(|v| v.first());
            let to = q
                .get("$XDSSubmissionSetSubmissionTimeTo")
                .and_then(|v| v.first());
            let authors = q.get("$XDSSubmissionSetAuthorPerson");
            let content = q.get("$XDSSubmissionSetContentType");
            let sets = reg
                .sets_of_patient(p)
                .into_iter()
                .filter(|s| statuses.contains(&s.status))
                .filter(|s| sources.is_none_or(|v| v.contains(&s.source_id)))
                .filter(|s| {
                    let t = s.slot("submissionTime").unwrap_or("");
                    from.is_none_or(|f| t >= f.as_str()) && to.is_none_or(|x| t < x.as_str())
                })
                .filter(|s| {
                    authors.is_none_or(|want| {
                        s.classifications
                            .iter()
                            .filter(|c| c.scheme == uuid::SS_AUTHOR)
                            .flat_map(|c| c.slots.iter())
                            .filter(|(k, _)| k == "authorPerson")
                            .flat_map(|(_, v)| v)
                            .any(|person| want.iter().any(|w| like(w, person)))
                    })
                })
                .filter(|s| {
                    content.is_none_or(|want| {
                        s.classifications.iter().any(|c| {
                            c.scheme == uuid::SS_CONTENT_TYPE
                                && want.iter().any(|w| code_of(w) == c.code)
                        })
                    })
                })
                .collect();
            Ok(Found {
                sets,
                ..Found::default()
            })
        }
        query_id::GET_ASSOCIATIONS => {
            let Some(uuids) = q.get("$uuid").filter(|v| !v.is_empty()) else {
                return Err(missing("$uuid"));
            };
            let mut seen = std::collections::HashSet::new();
            let associations = uuids
                .iter()
                .flat_map(|u| reg.associations_of(u))
                .filter(|a| seen.insert(a.id.as_str()))
                .collect();
            Ok(Found {
                associations,
                ..Found::default()
            })
        }
        query_id::GET_SUBMISSION_SET_AND_CONTENTS => submission_set_and_contents(q, reg),
        query_id::GET_RELATED_DOCUMENTS => related_documents(q, reg),
        other => Err(vec![RegistryError::new(
            "XDSUnknownStoredQuery",
            format!("Requête stockée inconnue / unknown stored query: {other}"),
        )]),
    }
}

/// SQL LIKE as the stored queries use it (ITI TF-2a 3.18.4.1.2.3.5): `%` any run, `_` one character.
fn like(pattern: &str, value: &str) -> bool {
    fn go(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
            Some(('_', rest)) => !v.is_empty() && go(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().take(256).collect();
    let v: Vec<char> = value.chars().take(1024).collect();
    go(&p, &v)
}

fn slot(s: &mut String, name: &str, values: &[String]) {
    let _ = write!(s, "<rim:Slot name=\"{}\"><rim:ValueList>", esc(name));
    for v in values {
        let _ = write!(s, "<rim:Value>{}</rim:Value>", esc(v));
    }
    s.push_str("</rim:ValueList></rim:Slot>");
}

/// One RegistryPackage (SubmissionSet) as the registry returns it (LeafClass).
pub fn registry_package(p: &SubmissionSet) -> String {
    let mut s = String::with_capacity(1024);
    let _ = write!(
        s,
        "<rim:RegistryPackage id=\"{}\" lid=\"{}\" status=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage\">",
        esc(&p.entry_uuid),
        esc(&p.entry_uuid),
        esc(&p.status)
    );
    for (k, v) in &p.slots {
        slot(&mut s, k, v);
    }
    if let Some(t) = &p.title {
        let _ = write!(
            s,
            "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
            esc(t)
        );
    }
    for (i, c) in p.classifications.iter().enumerate() {
        let _ = write!(
            s,
            "<rim:Classification id=\"{}-c{i}\" classificationScheme=\"{}\" classifiedObject=\"{}\" nodeRepresentation=\"{}\">",
            esc(&p.entry_uuid),
            esc(&c.scheme),
            esc(&p.entry_uuid),
            esc(&c.code)
        );
        for (k, v) in &c.slots {
            slot(&mut s, k, v);
        }
        if let Some(cs) = &c.coding_scheme {
            slot(&mut s, "codingScheme", std::slice::from_ref(cs));
        }
        s.push_str("</rim:Classification>");
    }
    let _ = write!(
        s,
        "<rim:Classification id=\"{}-ss\" classificationNode=\"{}\" classifiedObject=\"{}\"/>",
        esc(&p.entry_uuid),
        uuid::SS_NODE,
        esc(&p.entry_uuid)
    );
    for (i, (scheme, value)) in [
        (uuid::SS_UNIQUE_ID, &p.unique_id),
        (uuid::SS_SOURCE_ID, &p.source_id),
        (uuid::SS_PATIENT_ID, &p.patient_id),
    ]
    .iter()
    .enumerate()
    {
        let _ = write!(
            s,
            "<rim:ExternalIdentifier id=\"{}-e{i}\" identificationScheme=\"{}\" registryObject=\"{}\" value=\"{}\"/>",
            esc(&p.entry_uuid),
            scheme,
            esc(&p.entry_uuid),
            esc(value)
        );
    }
    s.push_str("</rim:RegistryPackage>");
    s
}

/// One Association (LeafClass).
pub fn association(a: &Association) -> String {
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "<rim:Association id=\"{}\" associationType=\"{}\" sourceObject=\"{}\" targetObject=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association\">",
        esc(&a.id),
        esc(&a.assoc_type),
        esc(&a.source),
        esc(&a.target)
    );
    for (k, v) in &a.slots {
        slot(&mut s, k, v);
    }
    s.push_str("</rim:Association>");
    s
}

/// One ExtrinsicObject as the registry returns it (LeafClass).
pub fn extrinsic_object(e: &Entry, repository_unique_id: &str) -> String {
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "<rim:ExtrinsicObject id=\"{}\" lid=\"{}\" status=\"{}\" mimeType=\"{}\" objectType=\"{}\"><rim:VersionInfo versionName=\"{}\"/>",
        esc(&e.entry_uuid),
        esc(&e.logical_id),
        esc(&e.status),
        esc(&e.mime_type),
        uuid::DE_STABLE,
        e.version
    );
    let slot = |s: &mut String, name: &str, values: &[String]| {
        let _ = write!(s, "<rim:Slot name=\"{}\"><rim:ValueList>", esc(name));
        for v in values {
            let _ = write!(s, "<rim:Value>{}</rim:Value>", esc(v));
        }
        s.push_str("</rim:ValueList></rim:Slot>");
    };
    for (k, v) in &e.slots {
        if k != "repositoryUniqueId" {
            slot(&mut s, k, v);
        }
    }
    slot(
        &mut s,
        "repositoryUniqueId",
        &[repository_unique_id.to_string()],
    );
    if let Some(t) = &e.title {
        let _ = write!(
            s,
            "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
            esc(t)
        );
    }
    for (i, c) in e.classifications.iter().enumerate() {
        let _ = write!(
            s,
            "<rim:Classification id=\"{}-c{i}\" classificationScheme=\"{}\" classifiedObject=\"{}\" nodeRepresentation=\"{}\">",
            esc(&e.entry_uuid),
            esc(&c.scheme),
            esc(&e.entry_uuid),
            esc(&c.code)
        );
        for (k, v) in &c.slots {
            slot(&mut s, k, v);
        }
        if let Some(cs) = &c.coding_scheme {
            slot(&mut s, "codingScheme", std::slice::from_ref(cs));
        }
        if let Some(d) = &c.display {
            let _ = write!(
                s,
                "<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>",
                esc(d)
            );
        }
        s.push_str("</rim:Classification>");
    }
    for (i, (scheme, value)) in [
        (uuid::DE_PATIENT_ID.to_string(), e.patient_id.clone()),
        (uuid::DE_UNIQUE_ID.to_string(), e.unique_id.clone()),
    ]
    .iter()
    .chain(e.external.iter())
    .enumerate()
    {
        let _ = write!(
            s,
            "<rim:ExternalIdentifier id=\"{}-e{i}\" identificationScheme=\"{}\" registryObject=\"{}\" value=\"{}\"/>",
            esc(&e.entry_uuid),
            esc(scheme),
            esc(&e.entry_uuid),
            esc(value)
        );
    }
    s.push_str("</rim:ExtrinsicObject>");
    s
}

/// The AdhocQueryResponse.
pub fn respond(
    q: &Query,
    result: Result<Found<'_>, Vec<RegistryError>>,
    relates_to: Option<&str>,
    repository_unique_id: &str,
) -> Response {
    let (errors, list) = match result {
        Ok(found) => {
            let mut l = String::from("<rim:RegistryObjectList>");
            for e in found.entries {
                if q.object_ref {
                    let _ = write!(l, "<rim:ObjectRef id=\"{}\"/>", esc(&e.entry_uuid));
                } else {
                    l.push_str(&extrinsic_object(e, repository_unique_id));
                }
            }
            for p in found.sets {
                if q.object_ref {
                    let _ = write!(l, "<rim:ObjectRef id=\"{}\"/>", esc(&p.entry_uuid));
                } else {
                    l.push_str(&registry_package(p));
                }
            }
            for a in found.associations {
                if q.object_ref {
                    let _ = write!(l, "<rim:ObjectRef id=\"{}\"/>", esc(&a.id));
                } else {
                    l.push_str(&association(a));
                }
            }
            l.push_str("</rim:RegistryObjectList>");
            (Vec::new(), l)
        }
        Err(errors) => (errors, "<rim:RegistryObjectList/>".to_string()),
    };
    let body = format!(
        "<query:AdhocQueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\" xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"{}\">{}{list}</query:AdhocQueryResponse>",
        wire::status_of(&errors, false),
        wire::error_list(&errors)
    );
    let action = wire::response_action(Transaction::Iti18);
    wire::soap(&action, wire::envelope(&action, relates_to, &body))
}

/// Statuses a FindDocuments may ask for.
pub fn known_status(s: &str) -> bool {
    status::ALL.contains(&s)
}
