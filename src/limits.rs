//! Resource limits applied to every untrusted input, with secure defaults.
//!
//! Each limit has a named error ([`crate::formats::xml::XmlError`], [`crate::formats::xdm::XdmError`],
//! [`crate::formats::mime::MimeError`]) and a fixture under `fixtures/hostile/` that proves it fires.

/// Bounds on what the parsers accept. `Limits::default()` is what `validate` and the simulators use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest XML document (CDA, METADATA.XML, SOAP envelope) parsed, in bytes. A CDA carrying a large
    /// PDF (level 1) stays well below it.
    pub max_xml_bytes: usize,
    /// Deepest element nesting accepted in XML.
    pub max_xml_depth: usize,
    /// Most XML nodes (elements, text, comments…) in one document.
    pub max_xml_nodes: u32,
    /// Longest attribute value, in bytes.
    pub max_xml_attr_len: usize,
    /// Most entries in one zip archive.
    pub max_zip_entries: usize,
    /// Largest uncompressed size of one zip entry, declared or actual.
    pub max_zip_entry_bytes: u64,
    /// Largest total uncompressed size of a zip archive.
    pub max_zip_total_bytes: u64,
    /// Largest compression ratio (uncompressed / compressed) of one entry: zip bombs exceed it.
    pub max_zip_ratio: u64,
    /// Largest MIME message, in bytes.
    pub max_mime_bytes: usize,
    /// Most MIME parts in one message (all levels).
    pub max_mime_parts: usize,
    /// Deepest multipart nesting.
    pub max_mime_depth: usize,
    /// Largest file read from disk by `validate`.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_xml_bytes: 64 << 20,
            max_xml_depth: 256,
            max_xml_nodes: 4_000_000,
            max_xml_attr_len: 1 << 20,
            max_zip_entries: 1_000,
            max_zip_entry_bytes: 128 << 20,
            max_zip_total_bytes: 512 << 20,
            max_zip_ratio: 200,
            max_mime_bytes: 128 << 20,
            max_mime_parts: 1_000,
            max_mime_depth: 16,
            max_file_bytes: 1 << 30,
        }
    }
}
