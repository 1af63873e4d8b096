//! Validation of XDS metadata: a standalone `lcm:SubmitObjectsRequest` (XDM `METADATA.XML`) or an ITI-41
//! capture (SOAP 1.2 envelope, plain or MTOM/XOP), and the entry point [`check_metadata`] other domains
//! (XDM zip, MIME) call with the metadata bytes and the documents the submission carries.

use super::Options;
use crate::checks::Sink;
use crate::model::{ArtifactResult, Location};

/// A document carried by a submission.
#[derive(Debug, Clone)]
pub struct CarriedDocument<'b> {
    /// ITI-41: the xdsb:Document/@id (= the ExtrinsicObject id). XDM: the file name relative to the subset
    /// directory, as the URI slot gives it (`DOC0001.XML`).
    pub key: String,
    /// Where the bytes are, for finding locations: zip entry name (`IHE_XDM/SUBSET01/DOC0001.XML`) or MIME part.
    pub entry: String,
    /// The exact bytes (BOM included).
    pub bytes: &'b [u8],
}

/// What kind of submission the metadata belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// An ITI-41 Provide and Register Document Set-b (a DMP submission).
    Iti41,
    /// An IHE XDM package (`METADATA.XML` in a zip).
    Xdm,
}

/// Facts of parsed metadata.
#[derive(Debug, Clone, Default)]
pub struct MetadataFacts {
    /// One per DocumentEntry (stable `rim:ExtrinsicObject`), in document order.
    pub entries: Vec<EntryFacts>,
    /// One per SubmissionSet (`rim:RegistryPackage` classified as SubmissionSet), in document order.
    pub submission_sets: Vec<SubmissionSetFacts>,
}

/// Facts of one DocumentEntry.
#[derive(Debug, Clone)]
pub struct EntryFacts {
    /// `ExtrinsicObject/@id` (symbolic id or `urn:uuid:`).
    pub id: String,
    /// `URI` slot value (XDM: file name relative to the subset directory).
    pub uri: Option<String>,
    /// `hash` slot value (hex SHA-1, as written).
    pub hash: Option<String>,
    /// `size` slot value (as written).
    pub size: Option<String>,
    /// `patientId` ExternalIdentifier value (CX, as written).
    pub patient_id: Option<String>,
    /// Codes of the `confidentialityCode` classifications, in order.
    pub confidentiality_codes: Vec<String>,
    /// Code of the `typeCode` classification.
    pub type_code: Option<String>,
    /// Where the ExtrinsicObject is (in the metadata entry).
    pub location: Location,
}

/// Facts of one SubmissionSet.
#[derive(Debug, Clone)]
pub struct SubmissionSetFacts {
    /// `RegistryPackage/@id`.
    pub id: String,
    /// `patientId` ExternalIdentifier value (CX, as written).
    pub patient_id: Option<String>,
    /// Where the RegistryPackage is (in the metadata entry).
    pub location: Location,
}

/// Parses SubmitObjectsRequest bytes (METADATA.XML) and runs every XDS-* and ID-030…032 rule on them, including the
/// metadata ↔ document consistency with each carried document (matched by id for ITI-41, by URI for XDM).
/// Findings are located in `meta_entry` (e.g. `IHE_XDM/SUBSET01/METADATA.XML`). Returns the facts other
/// domains need, or None when the metadata could not be parsed (then a finding says why).
pub fn check_metadata(
    meta: &[u8],
    meta_entry: Option<&str>,
    docs: &[CarriedDocument<'_>],
    kind: SubmissionKind,
    opts: &Options,
    sink: &mut Sink,
) -> Option<MetadataFacts> {
    let _ = (meta, meta_entry, docs, kind, opts, sink);
    None
}

/// Validates a standalone SubmitObjectsRequest or an ITI-41 capture, and each document it carries.
pub fn validate(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    _opts: &Options,
) -> Vec<ArtifactResult> {
    vec![super::result(
        path,
        parent,
        bytes,
        crate::model::ArtifactKind::Unknown,
        Vec::new(),
    )]
}
