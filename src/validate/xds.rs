//! Validation of XDS metadata: a standalone `lcm:SubmitObjectsRequest` (XDM `METADATA.XML`) or an ITI-41
//! capture (SOAP 1.2 envelope, plain or MTOM/XOP), and the entry point [`check_metadata`] other domains
//! (XDM zip, MIME) call with the metadata bytes and the documents the submission carries.

use super::{Options, Target};
use crate::checks::{self, At, Sink};
use crate::formats::cda::Cda;
use crate::formats::xds::{self as fxds, uuid};
use crate::formats::xml;
use crate::model::{ArtifactKind, ArtifactResult, Location, Msg};
use crate::msg;

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
///
/// `meta` may also be a whole ITI-41 SOAP envelope: the first `lcm:SubmitObjectsRequest` inside it is
/// checked. The sink's current part is set to `meta_entry` (callers that report on other parts afterwards
/// set their own part again).
pub fn check_metadata(
    meta: &[u8],
    meta_entry: Option<&str>,
    docs: &[CarriedDocument<'_>],
    kind: SubmissionKind,
    opts: &Options,
    sink: &mut Sink,
) -> Option<MetadataFacts> {
    let attached =
        (kind == SubmissionKind::Iti41).then(|| docs.iter().map(|d| d.key.clone()).collect());
    run(meta, meta_entry, docs, kind, attached, opts, sink)
}

/// [`check_metadata`] with the ITI-41 list of every `xdsb:Document/@id` (resolved or not).
fn run(
    meta: &[u8],
    meta_entry: Option<&str>,
    docs: &[CarriedDocument<'_>],
    kind: SubmissionKind,
    attached: Option<Vec<String>>,
    opts: &Options,
    sink: &mut Sink,
) -> Option<MetadataFacts> {
    let parsed = ParsedDocs::of(docs, opts);
    let trees = parsed.trees(opts);
    let carried = parsed.views(docs, &trees);
    let text = xml::decode(meta, &opts.limits);
    let doc = text.as_ref().ok().map(|t| xml::parse(t, &opts.limits));
    run_on(
        Metadata {
            entry: meta_entry,
            text: text.as_ref(),
            doc: doc.as_ref().map(Result::as_ref),
            submission: None,
        },
        &carried,
        kind,
        attached,
        opts,
        sink,
    )
}

/// The carried documents decoded and parsed once (as CDA when they are one), for the metadata checks
/// and for their own validation as nested artifacts.
struct ParsedDocs<'b> {
    /// `Some` for a CDA: `xml::decode`'s result.
    texts: Vec<Option<Result<xml::XmlText<'b>, xml::XmlError>>>,
}

impl<'b> ParsedDocs<'b> {
    fn of(docs: &[CarriedDocument<'b>], opts: &Options) -> ParsedDocs<'b> {
        let texts = docs
            .iter()
            .map(|d| {
                (super::detect_kind(d.bytes) == ArtifactKind::Cda)
                    .then(|| xml::decode(d.bytes, &opts.limits))
            })
            .collect();
        ParsedDocs { texts }
    }

    /// The trees, borrowing the texts (two stages: a tree cannot live in the struct owning its text).
    fn trees(&self, opts: &Options) -> Vec<Option<Result<roxmltree::Document<'_>, xml::XmlError>>> {
        self.texts
            .iter()
            .map(|t| {
                t.as_ref()
                    .and_then(|t| t.as_ref().ok())
                    .map(|t| xml::parse(t, &opts.limits))
            })
            .collect()
    }

    /// The views the metadata checks take: each document's bytes and, for a well-formed CDA, its view.
    fn views<'p, 'd, 't>(
        &'p self,
        docs: &'d [CarriedDocument<'b>],
        trees: &'t [Option<Result<roxmltree::Document<'p>, xml::XmlError>>],
    ) -> Vec<checks::xds::Doc<'d, 't, 'p>>
    where
        'p: 't,
    {
        docs.iter()
            .zip(self.texts.iter().zip(trees))
            .map(|(d, (t, tree))| checks::xds::Doc {
                key: &d.key,
                entry: &d.entry,
                bytes: d.bytes,
                cda: match (t, tree) {
                    (Some(Ok(t)), Some(Ok(tree))) => Cda::new(tree, t),
                    _ => None,
                },
            })
            .collect()
    }
}

/// A SubmitObjectsRequest as read so far: where it is, its decoding (or why it failed), its parse when
/// decoding worked (or why it failed), and its submission when the caller has already read it.
struct Metadata<'m, 'i> {
    entry: Option<&'m str>,
    text: Result<&'m xml::XmlText<'i>, &'m xml::XmlError>,
    doc: Option<Result<&'m roxmltree::Document<'i>, &'m xml::XmlError>>,
    submission: Option<fxds::Submission<'m, 'i>>,
}

/// The metadata checks on a decoded and (when decoding worked) parsed SubmitObjectsRequest, with the
/// carried documents' views.
fn run_on(
    meta: Metadata<'_, '_>,
    carried: &[checks::xds::Doc<'_, '_, '_>],
    kind: SubmissionKind,
    attached: Option<Vec<String>>,
    opts: &Options,
    sink: &mut Sink,
) -> Option<MetadataFacts> {
    let Metadata {
        entry: meta_entry,
        text,
        doc,
        submission,
    } = meta;
    let entry = meta_entry.map(str::to_string);
    sink.set_part(entry.clone(), 0);
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            unreadable(e, sink);
            return None;
        }
    };
    sink.set_part(entry.clone(), text.base_offset);
    let doc = match doc {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            unreadable(e, sink);
            return None;
        }
        None => return None,
    };
    let request = match submission {
        Some(sub) => Ok(sub),
        None => fxds::find_request(doc).map(fxds::Submission::of).ok_or(()),
    };
    let Ok(sub) = request else {
        let root = doc.root_element();
        let name = root.tag_name().name();
        let ns = root.tag_name().namespace().unwrap_or("");
        sink.violation(
            "XDS-SS-010",
            root,
            msg!(
                "Aucun lcm:SubmitObjectsRequest (urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0) : l'élément racine est {{{ns}}}{name} ; les métadonnées XDS sont un SubmitObjectsRequest ebRIM 3.0",
                "No lcm:SubmitObjectsRequest (urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0): the root element is {{{ns}}}{name}; XDS metadata are an ebRIM 3.0 SubmitObjectsRequest"
            ),
        );
        return None;
    };
    let ctx = checks::xds::Context {
        kind,
        dmp: kind == SubmissionKind::Iti41 || opts.target == Target::Dmp,
        docs: carried,
        attached,
    };
    checks::xds::check(&sub, &ctx, sink);
    Some(facts(&sub, entry.as_deref(), text.base_offset))
}

/// The metadata could not be decoded or parsed.
fn unreadable(e: &xml::XmlError, sink: &mut Sink) {
    let loc = Location {
        line: e.position().map(|p| p.0),
        column: e.position().map(|p| p.1),
        offset: e.offset(),
        ..Location::default()
    };
    sink.violation(
        "XDS-SS-010",
        loc,
        msg!(
            "Métadonnées XDS illisibles (XML mal formé ou mal encodé) : {e}",
            "Unreadable XDS metadata (XML not well-formed or badly encoded): {e}"
        ),
    );
}

/// The facts of a parsed submission.
fn facts(sub: &fxds::Submission<'_, '_>, entry: Option<&str>, base: usize) -> MetadataFacts {
    let loc = |n: roxmltree::Node<'_, '_>| {
        let mut l = checks::locate(n, None, base).0;
        l.entry = entry.map(str::to_string);
        l
    };
    let first_slot = |o: &fxds::RegistryObject<'_, '_>, name: &str| {
        o.slot(name).and_then(|s| s.first()).map(str::to_string)
    };
    let ext = |o: &fxds::RegistryObject<'_, '_>, scheme: &str| {
        o.identified(scheme)
            .first()
            .and_then(|e| e.value)
            .map(str::to_string)
    };
    MetadataFacts {
        entries: sub
            .entries
            .iter()
            .map(|e| EntryFacts {
                id: e.id.unwrap_or("").to_string(),
                uri: first_slot(e, "URI"),
                hash: first_slot(e, "hash"),
                size: first_slot(e, "size"),
                patient_id: ext(e, uuid::DE_PATIENT_ID),
                confidentiality_codes: e
                    .classified(uuid::DE_CONFIDENTIALITY)
                    .iter()
                    .filter_map(|c| c.code)
                    .map(str::to_string)
                    .collect(),
                type_code: e
                    .classified(uuid::DE_TYPE)
                    .first()
                    .and_then(|c| c.code)
                    .map(str::to_string),
                location: loc(e.node),
            })
            .collect(),
        submission_sets: sub
            .submission_sets()
            .iter()
            .map(|p| SubmissionSetFacts {
                id: p.id.unwrap_or("").to_string(),
                patient_id: ext(p, uuid::SS_PATIENT_ID),
                location: loc(p.node),
            })
            .collect(),
    }
}

/// Validates a standalone SubmitObjectsRequest (judged as XDM metadata without documents: the
/// consistency rules are not applicable) or an ITI-41 capture (plain SOAP, or MTOM/XOP multipart, with or
/// without leading HTTP headers): the capture gets the metadata findings, and each carried document is
/// validated as its own nested artifact `path!<xdsb:Document/@id>`.
pub fn validate(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    opts: &Options,
) -> Vec<ArtifactResult> {
    let mut sink = Sink::new();
    let kind = match super::detect_kind(bytes) {
        ArtifactKind::XdsMetadata => ArtifactKind::XdsMetadata,
        _ => ArtifactKind::Iti41,
    };
    let capture = match fxds::parse_capture(bytes, &opts.limits) {
        Ok(c) => c,
        Err(e) => {
            sink.violation(
                "XDS-SS-010",
                Location::default(),
                msg!(
                    "Capture ITI-41 illisible : {e} ; les métadonnées ne peuvent être lues",
                    "Unreadable ITI-41 capture: {e}; the metadata cannot be read"
                ),
            );
            return vec![super::result(path, parent, bytes, kind, sink.finish())];
        }
    };
    let Some((root, _offset, root_part)) = capture.root() else {
        sink.violation(
            "XDS-SS-010",
            Location::default(),
            msg!(
                "Message multipart sans aucune partie : pas d'enveloppe SOAP",
                "Multipart message without any part: no SOAP envelope"
            ),
        );
        return vec![super::result(path, parent, bytes, kind, sink.finish())];
    };
    let root_entry = match (&capture, root_part) {
        (_, Some(p)) => Some(p.label()),
        (fxds::Capture::Xml { headers, .. }, None) if !headers.is_empty() => {
            Some("HTTP body".to_string())
        }
        _ => None,
    };
    // Standalone metadata: no documents.
    if kind == ArtifactKind::XdsMetadata {
        run(
            root,
            root_entry.as_deref(),
            &[],
            SubmissionKind::Xdm,
            None,
            opts,
            &mut sink,
        );
        return vec![super::result(path, parent, bytes, kind, sink.finish())];
    }
    // ITI-41: the envelope decoded and parsed once, for the documents and the metadata.
    let text = xml::decode(root, &opts.limits);
    let doc = text.as_ref().ok().map(|t| xml::parse(t, &opts.limits));
    iti41(
        path,
        parent,
        bytes,
        &capture,
        root_entry,
        &text,
        doc.as_ref(),
        opts,
        sink,
        &mut |_| {},
    )
}

/// Bytes their caller has already hashed, with their SHA-256 (lowercase hex).
pub type KnownHashes<'a> = &'a [(&'a [u8], &'a str)];

/// An ITI-41 capture as its caller (the DMP simulator) has already read it.
#[derive(Debug, Clone, Copy)]
pub struct ParsedIti41<'a> {
    /// The capture's bytes.
    pub bytes: &'a [u8],
    /// Their SHA-256 (lowercase hex).
    pub sha256: &'a str,
    /// The capture split into HTTP headers and MIME parts.
    pub capture: &'a fxds::Capture<'a>,
    /// The SOAP envelope, decoded.
    pub text: &'a xml::XmlText<'a>,
    /// The SOAP envelope, parsed.
    pub doc: &'a roxmltree::Document<'a>,
    /// Documents the caller has already hashed, with their SHA-256: a carried document with the same
    /// bytes is not hashed again.
    pub documents_sha256: KnownHashes<'a>,
}

/// [`validate`] of an ITI-41 capture whose caller has already hashed and split it and decoded and parsed
/// its SOAP envelope: the DMP simulator reads each request once and shares the views between its wire
/// checks and this validation. The same results as [`validate`] on the same bytes. `on_cda` sees the
/// tree of each well-formed carried CDA document, in document order, before its checks run.
pub fn validate_parsed_iti41(
    path: &str,
    parsed: ParsedIti41<'_>,
    opts: &Options,
    on_cda: &mut super::OnCda<'_>,
) -> Vec<ArtifactResult> {
    let ParsedIti41 {
        bytes,
        sha256,
        capture,
        text,
        doc,
        documents_sha256,
    } = parsed;
    if super::detect_kind(bytes) == ArtifactKind::XdsMetadata {
        // Not an ITI-41 message but standalone metadata: judged as such, as `validate` does.
        return validate(path, None, bytes, opts);
    }
    let root_part = capture.root().and_then(|(_, _, p)| p);
    let root_entry = match (capture, root_part) {
        (_, Some(p)) => Some(p.label()),
        (fxds::Capture::Xml { headers, .. }, None) if !headers.is_empty() => {
            Some("HTTP body".to_string())
        }
        _ => None,
    };
    iti41_parsed(
        path,
        None,
        (bytes, Some(sha256), documents_sha256),
        capture,
        root_entry,
        Some((text, doc)),
        opts,
        Sink::new(),
        on_cda,
    )
}

/// The ITI-41 part of [`validate`], from the decoded (`text`) and parsed (`doc`, when decoding worked)
/// envelope.
// The capture and its parts as `validate` read them, threaded through one private step: a struct
// would only rename them.
#[allow(clippy::too_many_arguments)]
fn iti41(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    capture: &fxds::Capture<'_>,
    root_entry: Option<String>,
    text: &Result<xml::XmlText<'_>, xml::XmlError>,
    doc: Option<&Result<roxmltree::Document<'_>, xml::XmlError>>,
    opts: &Options,
    sink: Sink,
    on_cda: &mut super::OnCda<'_>,
) -> Vec<ArtifactResult> {
    match (text, doc) {
        (Ok(t), Some(Ok(d))) => iti41_parsed(
            path,
            parent,
            (bytes, None, &[]),
            capture,
            root_entry,
            Some((t, d)),
            opts,
            sink,
            on_cda,
        ),
        _ => {
            // The envelope is unreadable: no document can be resolved; the metadata checks say why.
            let mut sink = sink;
            run_on(
                Metadata {
                    entry: root_entry.as_deref(),
                    text: text.as_ref(),
                    doc: doc.map(Result::as_ref),
                    submission: None,
                },
                &[],
                SubmissionKind::Iti41,
                Some(Vec::new()),
                opts,
                &mut sink,
            );
            vec![super::result(
                path,
                parent,
                bytes,
                ArtifactKind::Iti41,
                sink.finish(),
            )]
        }
    }
}

/// ITI-41 with a readable envelope: resolve each xdsb:Document to its bytes, parse each CDA once, run the
/// metadata checks, then validate each document as its own nested artifact.
// The capture and its parts as `validate` read them, threaded through one private step: a struct
// would only rename them.
#[allow(clippy::too_many_arguments)]
fn iti41_parsed(
    path: &str,
    parent: Option<&str>,
    (bytes, sha256, known_sha256): (&[u8], Option<&str>, KnownHashes<'_>),
    capture: &fxds::Capture<'_>,
    root_entry: Option<String>,
    envelope: Option<(&xml::XmlText<'_>, &roxmltree::Document<'_>)>,
    opts: &Options,
    mut sink: Sink,
    on_cda: &mut super::OnCda<'_>,
) -> Vec<ArtifactResult> {
    let kind = ArtifactKind::Iti41;
    let mut out = Vec::new();
    // The SubmitObjectsRequest read once, for resolving the documents and for the metadata checks.
    let submission = envelope
        .and_then(|(_, doc)| fxds::find_request(doc))
        .map(fxds::Submission::of);
    // ITI-41: resolve each xdsb:Document to its bytes.
    let mut bodies: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut attached = Vec::new();
    // MTOM parts by Content-ID (indexed once; first one wins).
    let mut parts_by_cid: std::collections::HashMap<String, &fxds::Part<'_>> =
        std::collections::HashMap::new();
    if let fxds::Capture::Mtom { parts, .. } = &capture {
        for p in parts {
            if let Some(c) = p.content_id() {
                parts_by_cid.entry(c).or_insert(p);
            }
        }
    }
    if let Some((text, doc)) = envelope {
        {
            sink.set_part(root_entry.clone(), text.base_offset);
            let ids: std::collections::HashSet<&str> = submission
                .as_ref()
                .map(|sub| sub.entries.iter().filter_map(|e| e.id).collect())
                .unwrap_or_default();
            for d in fxds::find_provide_and_register(doc)
                .map(fxds::documents)
                .unwrap_or_default()
            {
                let Some(id) = d.id.filter(|i| !i.is_empty()) else {
                    sink.violation(
                        "XDS-DE-010",
                        d.node,
                        msg!(
                            "xdsb:Document sans @id : il doit porter l'id de son ExtrinsicObject",
                            "xdsb:Document without @id: it must carry its ExtrinsicObject's id"
                        ),
                    );
                    continue;
                };
                attached.push(id.to_string());
                if !ids.contains(id) {
                    sink.violation(
                        "XDS-DE-010",
                        At::Attr(d.node, "id"),
                        msg!("xdsb:Document id=\"{id}\" ne correspond à aucune fiche (ExtrinsicObject) de la soumission", "xdsb:Document id=\"{id}\" matches no DocumentEntry (ExtrinsicObject) of the submission"),
                    );
                }
                let resolved: Result<(String, Vec<u8>), Msg> = match &d.content {
                    fxds::DocContent::Inline(t) => fxds::decode_base64(t)
                        .map(|b| (format!("xdsb:Document id=\"{id}\""), b))
                        .map_err(|e| msg!("contenu base64 invalide ({e})", "invalid base64 content ({e})")),
                    fxds::DocContent::Xop(cid) => match parts_by_cid.get(cid.as_str()) {
                        Some(p) => p.decoded().map(|b| (p.label(), b.into_owned())).map_err(|e| msg!("partie {cid} : base64 invalide ({e})", "part {cid}: invalid base64 ({e})")),
                        None => Err(msg!(
                            "xop:Include href=\"cid:{cid}\" ne désigne aucune partie MIME (Content-ID) de la capture",
                            "xop:Include href=\"cid:{cid}\" names no MIME part (Content-ID) of the capture"
                        )),
                    },
                    fxds::DocContent::Empty => Err(msg!("ni contenu base64 ni xop:Include", "neither base64 content nor xop:Include")),
                };
                match resolved {
                    Ok((entry, b)) => bodies.push((id.to_string(), entry, b)),
                    Err(why) => {
                        sink.violation(
                            "XDS-DE-010",
                            d.node,
                            Msg::new(
                                format!("Document « {id} » illisible : {}", why.fr),
                                format!("Document \"{id}\" unreadable: {}", why.en),
                            ),
                        );
                    }
                }
            }
        }
    }
    let carried: Vec<CarriedDocument<'_>> = bodies
        .iter()
        .map(|(k, e, b)| CarriedDocument {
            key: k.clone(),
            entry: e.clone(),
            bytes: b,
        })
        .collect();
    // Each carried document decoded and parsed once, for the metadata checks and its own validation.
    let parsed = ParsedDocs::of(&carried, opts);
    let trees = parsed.trees(opts);
    let views = parsed.views(&carried, &trees);
    let Some((text, doc)) = envelope else {
        return out;
    };
    run_on(
        Metadata {
            entry: root_entry.as_deref(),
            text: Ok(text),
            doc: Some(Ok(doc)),
            submission,
        },
        &views,
        SubmissionKind::Iti41,
        Some(attached),
        opts,
        &mut sink,
    );
    let findings = sink.finish();
    out.push(match sha256 {
        Some(h) => super::result_hashed(path, parent, bytes, kind, findings, h.to_string()),
        None => super::result(path, parent, bytes, kind, findings),
    });
    for (i, d) in carried.iter().enumerate() {
        let nested = format!("{path}!{}", d.key);
        match (&parsed.texts[i], &trees[i]) {
            (Some(text), tree) => {
                let findings =
                    super::parsed_cda_findings(d.bytes, text, tree.as_ref(), opts, on_cda);
                // The caller's hash of the same bytes (compared whole, not by address), if it has one.
                let sha256 = known_sha256
                    .iter()
                    .find(|(b, _)| *b == d.bytes)
                    .map_or_else(|| super::sha256_hex(d.bytes), |(_, h)| h.to_string());
                out.push(super::result_hashed(
                    &nested,
                    Some(path),
                    d.bytes,
                    ArtifactKind::Cda,
                    findings,
                    sha256,
                ));
            }
            (None, _) => out.extend(super::validate_nested(&nested, Some(path), d.bytes, opts)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;
    use std::io::Read;

    /// The 18 official ANS XDM archives (shared/samples): every XDS rule passes on the container, but
    /// for the warnings samples.md lists (C-30, C-31) and the INS key of CSE-MDE (C-06, an identity rule).
    #[test]
    fn official_xdm_metadata_pass() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/samples/interop-exemples-xdm");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut seen = 0;
        let mut bad = Vec::new();
        for d in rd.flatten() {
            let name = d.file_name().to_string_lossy().to_string();
            let Ok(f) = std::fs::File::open(d.path().join("IHE_XDM.ZIP")) else {
                continue;
            };
            let mut z = zip::ZipArchive::new(f).expect("zip");
            let mut read = |n: &str| {
                let mut v = Vec::new();
                z.by_name(n).expect(n).read_to_end(&mut v).expect("read");
                v
            };
            let meta = read("IHE_XDM/SUBSET01/METADATA.XML");
            let doc = read("IHE_XDM/SUBSET01/DOC0001.XML");
            let docs = [CarriedDocument {
                key: "DOC0001.XML".into(),
                entry: "IHE_XDM/SUBSET01/DOC0001.XML".into(),
                bytes: &doc,
            }];
            let mut sink = Sink::new();
            let facts = check_metadata(
                &meta,
                Some("IHE_XDM/SUBSET01/METADATA.XML"),
                &docs,
                SubmissionKind::Xdm,
                &Options::default(),
                &mut sink,
            );
            assert!(
                facts.is_some_and(|f| f.entries.len() == 1 && f.submission_sets.len() == 1),
                "{name}"
            );
            seen += 1;
            let c31 = [
                "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1",
                "DOC_NON_STRUCTURE_CDA-R2-N1",
                "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1",
                "TLM-CR_2022.01",
                "VSM_1.4_2022.01",
                "BIO-CR-BIO_2024.01_CR-2nde-intention-PDF",
                "BIO-CR-BIO_2024.01_TSH_1",
                "eP-MED-DM_2024.01_PosoStruct",
            ];
            let findings = sink.finish();
            for r in [
                "XDS-UUID-010",
                "XDS-UUID-011",
                "XDS-SS-010",
                "XDS-SS-011",
                "XDS-SS-012",
                "XDS-SS-013",
                "XDS-SS-014",
                "XDS-SS-015",
                "XDS-DE-010",
                "XDS-DE-011",
                "XDS-DE-012",
                "XDS-DE-013",
                "XDS-DE-020",
                "XDS-DE-021",
                "XDS-DE-022",
                "XDS-DE-023",
                "XDS-DE-024",
                "XDS-DE-025",
                "XDS-DE-026",
                "XDS-DE-027",
                "XDS-DE-028",
                "XDS-DE-029",
                "XDS-DE-030",
                "XDS-DE-032",
                "XDS-DE-033",
                "XDS-DE-040",
                "XDS-DE-050",
                "XDS-DE-051",
                "ID-030",
                "ID-031",
                "ID-032",
            ] {
                if !findings
                    .iter()
                    .any(|f| f.requirement == r && f.verdict == Verdict::Pass)
                {
                    bad.push(format!("{name}: {r} not evaluated"));
                }
            }
            for f in findings {
                let allowed = match (f.requirement.as_str(), f.verdict) {
                    (_, Verdict::Pass | Verdict::NotApplicable | Verdict::Info) => true,
                    ("XDS-DE-031", Verdict::Warning) => {
                        name == "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1"
                    }
                    ("XDS-DE-060", Verdict::Warning) => c31.contains(&name.as_str()),
                    ("INS-021", Verdict::Fail) => name == "CSE-MDE_2023.01",
                    _ => false,
                };
                if !allowed {
                    bad.push(format!(
                        "{name}: {} {} {}",
                        f.requirement,
                        f.verdict.as_str(),
                        f.message.fr
                    ));
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(seen == 0 || seen == 18, "{seen} archives");
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/valid/xds")
                .join(name),
        )
        .expect("fixture")
    }

    /// Truncated and mangled captures give findings, never a panic.
    #[test]
    fn never_panics_on_truncated_or_mangled_captures() {
        let opts = Options::default();
        for name in [
            "iti41-n1-mtom.mtom",
            "iti41-n1-soap.xml",
            "metadata-n1-pdf.xml",
        ] {
            let b = fixture(name);
            for cut in (0..b.len()).step_by(97) {
                let _ = validate("t", None, &b[..cut], &opts);
            }
            let mut seed = 0x2545_f491_4f6c_dd1du64;
            for _ in 0..200 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut m = b.clone();
                let at = (seed as usize) % m.len();
                m[at] =
                    [b'^', b'&', b'<', b'"', b'-', b'\\', 0xC3, b'0'][(seed >> 32) as usize % 8];
                let _ = validate("t", None, &m, &opts);
            }
        }
    }

    /// The valid captures pass; the MTOM document is resolved through its Content-ID.
    #[test]
    fn valid_captures_pass_with_their_nested_document() {
        for name in ["iti41-n1-mtom.mtom", "iti41-n1-soap.xml"] {
            let r = validate(name, None, &fixture(name), &Options::default());
            assert_eq!(r.len(), 2, "{name}");
            assert_eq!(r[0].kind, ArtifactKind::Iti41);
            assert_eq!(r[1].path, format!("{name}!Document01"));
            assert_eq!(r[1].kind, ArtifactKind::Cda);
            for a in &r {
                assert_eq!(
                    a.verdict,
                    Verdict::Pass,
                    "{}: {:?}",
                    a.path,
                    a.findings
                        .iter()
                        .filter(|f| f.verdict >= Verdict::Warning)
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// A capture starting with the HTTP request line and headers (boundary and `start` in Content-Type).
    #[test]
    fn http_prefixed_mtom_capture() {
        let mut b = b"POST /dmp/repository HTTP/1.1\r\nHost: dmp.example.org\r\nContent-Type: multipart/related; type=\"application/xop+xml\"; boundary=\"MIMEBoundary_dui_conform_0001\"; start=\"<0.root@dui-conform.example.org>\"\r\n\r\n".to_vec();
        b.extend(fixture("iti41-n1-mtom.mtom"));
        let r = validate("http", None, &b, &Options::default());
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|a| a.verdict == Verdict::Pass));
    }

    /// Many entries, loose classifications and associations: the view and the checks index them. (The
    /// location of each finding still costs O(file) in `checks::locate` — roxmltree `text_pos_at` and
    /// `node_path` — so this stays a smoke test at 500 entries; `XDS_N=4000` shows the cost.)
    #[test]
    fn many_entries_stay_linear() {
        let n: usize = std::env::var("XDS_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500);
        let mut x = String::from(
            r#"<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList><rim:RegistryPackage id="SS"/><rim:Classification classifiedObject="SS" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>"#,
        );
        for i in 0..n {
            x.push_str(&format!(r#"<rim:ExtrinsicObject id="D{i}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"/>"#));
        }
        for i in 0..n {
            x.push_str(&format!(r#"<rim:Classification classifiedObject="D{i}" classificationScheme="urn:uuid:f0306f51-975f-434e-a61c-c59651d33983" nodeRepresentation="28653-4"/><rim:Association associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SS" targetObject="D{i}"/>"#));
        }
        x.push_str("</rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
        let t = std::time::Instant::now();
        let mut sink = Sink::new();
        let facts = check_metadata(
            x.as_bytes(),
            None,
            &[],
            SubmissionKind::Iti41,
            &Options::default(),
            &mut sink,
        );
        assert_eq!(facts.map(|f| f.entries.len()), Some(n));
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }
}
