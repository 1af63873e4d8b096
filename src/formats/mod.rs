//! Wire formats → typed read-only views with source positions. Parsers never panic and are bounded by
//! [`crate::limits::Limits`].
//!
//! # Layout
//! - [`xml`]: bytes → decoded text → roxmltree tree (encoding, DOCTYPE, depth/size limits);
//! - [`cda`]: the CDA R2 header and body view over that tree;
//! - [`ins`]: the INS matricule (NIR/NIA) and the French national identifier forms;
//! - [`hl7v2`]: the HL7 v2 composite types used in XDS metadata (CX, XCN, XON) and HL7 TS/DTM times;
//! - [`xds`]: ebRIM `SubmitObjectsRequest` (alone, or in an ITI-41 SOAP envelope) → DocumentEntries,
//!   SubmissionSets, Associations;
//! - [`xdm`]: IHE XDM zip packages, with entry-count, size and ratio limits;
//! - [`mime`]: MIME messages (.eml) and their attachments.

pub mod cda;
pub mod hl7v2;
pub mod ins;
pub mod mime;
pub mod xdm;
pub mod xds;
pub mod xml;
