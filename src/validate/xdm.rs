//! Validation of an IHE XDM archive: the container (XDM-010…021 and, through
//! [`super::xds::check_metadata`], the XDS metadata rules of each `METADATA.XML` with the metadata ↔
//! document consistency), then every document file as a nested artifact `<archive>!<entry>`.
//!
//! The archive is read through [`crate::formats::xdm::Xdm`] from any `Read + Seek`: [`validate_file`]
//! streams a file on disk (its SHA-256 too) instead of loading it. Document files are inflated once each;
//! the documents of one submission set are held together while their metadata is checked, then validated
//! and dropped one by one. A document larger than [`crate::limits::Limits::max_xml_bytes`] is only
//! streamed (hash and size for XDM-013) and reported too large to parse, without being kept.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};

use sha2::{Digest, Sha256};

use super::xds::{check_metadata, CarriedDocument, SubmissionKind};
use super::{sha256_hex, Options};
use crate::checks::mssante::{Attached, AttachedDoc};
use crate::checks::xdm::{self as xdm_checks, MetadataState, SubsetFile, SubsetView, METADATA};
use crate::checks::Sink;
use crate::formats::xdm::{subsets, EntryDigest, Xdm, XdmError};
use crate::formats::xml::XmlError;
use crate::model::{ArtifactKind, ArtifactResult, Location};
use crate::msg;

/// Validates an archive given as bytes; returns the container and every nested artifact.
pub fn validate(
    path: &str,
    parent: Option<&str>,
    bytes: &[u8],
    opts: &Options,
) -> Vec<ArtifactResult> {
    run(
        path,
        parent,
        Cursor::new(bytes),
        sha256_hex(bytes),
        bytes.len() as u64,
        opts,
    )
    .0
}

/// Validates an archive on disk without loading it: the file is streamed once for its SHA-256, then read
/// entry by entry.
pub fn validate_file(path: &str, mut file: File, opts: &Options) -> Vec<ArtifactResult> {
    let digest = (|| -> std::io::Result<(String, u64)> {
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        loop {
            let k = file.read(&mut buf)?;
            if k == 0 {
                break;
            }
            h.update(buf.get(..k).unwrap_or(&[]));
            n += k as u64;
        }
        file.seek(SeekFrom::Start(0))?;
        Ok((hex::encode(h.finalize()), n))
    })();
    match digest {
        Ok((sha, size)) => run(path, None, file, sha, size, opts).0,
        Err(e) => {
            let mut sink = Sink::new();
            xdm_checks::archive_refused(&XdmError::Io(e.to_string()), &mut sink);
            vec![container(path, None, String::new(), 0, sink)]
        }
    }
}

fn container(
    path: &str,
    parent: Option<&str>,
    sha256: String,
    size: u64,
    sink: Sink,
) -> ArtifactResult {
    let findings = sink.finish();
    ArtifactResult {
        path: path.to_string(),
        kind: ArtifactKind::Xdm,
        sha256,
        size,
        verdict: ArtifactResult::compute_verdict(&findings),
        parent: parent.map(str::to_string),
        findings,
    }
}

/// Containers (zip, message) are opened at most this many levels below the file given.
const MAX_NESTING: usize = 3;

/// A document file read for one submission set.
struct Loaded {
    rel: String,
    entry: String,
    /// The bytes, unless the file is too large to parse (then only digested).
    bytes: Option<Vec<u8>>,
    digest: EntryDigest,
}

/// Validates the archive read from `reader`; returns the artifacts and what the MSSanté checks need to
/// know about the documents (one pass: each document is parsed once).
pub(crate) fn run<R: Read + Seek>(
    path: &str,
    parent: Option<&str>,
    reader: R,
    sha256: String,
    size: u64,
    opts: &Options,
) -> (Vec<ArtifactResult>, Attached) {
    // An archive holds many documents: each keeps its XSD validation on this thread, where libxml2's
    // compiled schema is reused, rather than compiling it again on a thread of its own per document.
    let sequential;
    let opts = if opts.xsd_beside {
        sequential = Options {
            xsd_beside: false,
            ..opts.clone()
        };
        &sequential
    } else {
        opts
    };
    let mut sink = Sink::new();
    let mut attached = Attached::default();
    let mut xdm = match Xdm::open(reader, &opts.limits) {
        Ok(x) => x,
        Err(e) => {
            xdm_checks::archive_refused(&e, &mut sink);
            return (vec![container(path, parent, sha256, size, sink)], attached);
        }
    };
    attached.opened = true;
    let entries = xdm.entries().to_vec();
    let dirs = subsets(&entries);
    xdm_checks::layout(&entries, &dirs, &mut sink);

    let read_small = |xdm: &mut Xdm<R>, name: &str, sink: &mut Sink| -> Option<Vec<u8>> {
        xdm.entry(name)?;
        match xdm.read(name) {
            Ok(b) => Some(b),
            Err(e) => {
                sink.violation(
                    "XDM-010",
                    Location {
                        entry: Some(name.to_string()),
                        ..Location::default()
                    },
                    msg!(
                        "Entrée {name} illisible : {e}",
                        "Entry {name} unreadable: {e}"
                    ),
                );
                None
            }
        }
    };
    let index = read_small(&mut xdm, "INDEX.HTM", &mut sink);
    let readme = read_small(&mut xdm, "README.TXT", &mut sink);
    xdm_checks::index_readme(index.as_deref(), readme.as_deref(), &opts.limits, &mut sink);
    drop((index, readme));

    let mut nested = Vec::new();
    let mut all_facts = Vec::new();
    let mut views_files = Vec::new();
    for dir in &dirs {
        let prefix = format!("IHE_XDM/{dir}/");
        let meta_entry = format!("{prefix}{METADATA}");
        // Every file of the subset directory other than METADATA.XML, inflated once.
        let mut loaded = Vec::new();
        let mut files = Vec::new();
        for e in entries.iter().filter(|e| {
            e.unsafe_name.is_none()
                && !e.is_dir
                && e.name.starts_with(&prefix)
                && e.name != meta_entry
        }) {
            let rel = e.name.get(prefix.len()..).unwrap_or_default().to_string();
            let result = if e.size > opts.limits.max_xml_bytes as u64 {
                xdm.digest(&e.name).map(|d| (None, d))
            } else {
                xdm.read_with_digest(&e.name).map(|(b, d)| (Some(b), d))
            };
            match result {
                Ok((bytes, digest)) => {
                    files.push(SubsetFile {
                        rel: rel.clone(),
                        entry: e.name.clone(),
                        digest: Ok(digest.clone()),
                    });
                    loaded.push(Loaded {
                        rel,
                        entry: e.name.clone(),
                        bytes,
                        digest,
                    });
                }
                Err(err) => files.push(SubsetFile {
                    rel,
                    entry: e.name.clone(),
                    digest: Err(err),
                }),
            }
        }
        let meta_read = if xdm.entry(&meta_entry).is_some() {
            Some(xdm.read(&meta_entry))
        } else {
            None
        };
        let state = match meta_read {
            None => None,
            Some(Err(e)) => Some(Err(msg!("illisible : {e}", "unreadable: {e}"))),
            Some(Ok(meta)) => {
                let docs: Vec<CarriedDocument<'_>> = loaded
                    .iter()
                    .filter_map(|l| {
                        l.bytes.as_deref().map(|b| CarriedDocument {
                            key: l.rel.clone(),
                            entry: l.entry.clone(),
                            bytes: b,
                        })
                    })
                    .collect();
                let facts = check_metadata(
                    &meta,
                    Some(&meta_entry),
                    &docs,
                    SubmissionKind::Xdm,
                    opts,
                    &mut sink,
                );
                sink.set_part(None, 0);
                Some(facts.ok_or_else(|| {
                    msg!(
                        "son contenu n'a pas pu être lu comme métadonnées XDS (voir les constats XDS-*)",
                        "its content could not be read as XDS metadata (see the XDS-* findings)"
                    )
                }))
            }
        };
        // The documents, validated and dropped one by one.
        for l in loaded {
            let (results, doc) = nested_document(path, l, opts);
            nested.extend(results);
            attached.docs.extend(doc);
        }
        all_facts.push(state);
        views_files.push((dir.clone(), files));
    }
    for f in all_facts.iter().flatten().flatten() {
        attached.confidentiality.extend(
            f.entries
                .iter()
                .flat_map(|e| e.confidentiality_codes.iter().cloned()),
        );
    }
    let views: Vec<SubsetView<'_>> = views_files
        .into_iter()
        .zip(&all_facts)
        .map(|((dir, files), state)| SubsetView {
            dir,
            metadata: match state {
                None => MetadataState::Missing,
                Some(Err(why)) => MetadataState::Unreadable(why.clone()),
                Some(Ok(f)) => MetadataState::Parsed(f),
            },
            files,
        })
        .collect();
    for v in &views {
        xdm_checks::damaged(v, &mut sink);
        xdm_checks::subset(v, &mut sink);
    }
    xdm_checks::one_patient(&views, &mut sink);

    let mut out = vec![container(path, parent, sha256, size, sink)];
    out.extend(nested);
    (out, attached)
}

/// Validates one document file as the nested artifact `<archive>!<entry>`; a CDA is parsed once, for
/// its own checks and for the facts the MSSanté checks need.
fn nested_document(
    archive: &str,
    l: Loaded,
    opts: &Options,
) -> (Vec<ArtifactResult>, Option<AttachedDoc>) {
    let path = format!("{archive}!{}", l.entry);
    let Some(bytes) = l.bytes else {
        // Too large to parse: the same verdict the CDA validator gives, without holding the bytes.
        let mut sink = Sink::new();
        let e = XmlError::TooLarge {
            size: l.digest.size as usize,
            limit: opts.limits.max_xml_bytes,
        };
        crate::checks::cda::not_wellformed(&e, &mut sink);
        let findings = sink.finish();
        let result = ArtifactResult {
            path,
            kind: ArtifactKind::Unknown,
            sha256: l.digest.sha256,
            size: l.digest.size,
            verdict: ArtifactResult::compute_verdict(&findings),
            parent: Some(archive.to_string()),
            findings,
        };
        return (vec![result], None);
    };
    let kind = super::detect_kind(&bytes);
    if matches!(kind, ArtifactKind::Xdm | ArtifactKind::Mime)
        && archive.matches('!').count() >= MAX_NESTING
    {
        // A container inside a container inside…: a zip quine would never end.
        let finding = crate::model::Finding {
            requirement: "UNSUPPORTED".into(),
            level: crate::model::Level::Info,
            verdict: crate::model::Verdict::NotApplicable,
            message: msg!(
                "Conteneur imbriqué à plus de {MAX_NESTING} niveaux : non ouvert",
                "Container nested more than {MAX_NESTING} levels deep: not opened"
            ),
            location: Location::default(),
            snippet: None,
            personal: Vec::new(),
            kit: None,
        };
        return (
            vec![super::result(
                &path,
                Some(archive),
                &bytes,
                kind,
                vec![finding],
            )],
            None,
        );
    }
    if kind != ArtifactKind::Cda {
        return (
            super::validate_nested(&path, Some(archive), &bytes, opts),
            None,
        );
    }
    // As `validate_cda`, keeping the facts of the same parse.
    let mut sink = Sink::new();
    let doc = super::with_cda(&bytes, opts, &mut sink, |cda, sink| {
        super::check_cda(cda, sink);
        crate::checks::mssante::cda_facts(cda, &l.entry)
    });
    let doc = doc.unwrap_or_else(|| AttachedDoc {
        entry: l.entry.clone(),
        ..AttachedDoc::default()
    });
    (
        vec![super::result(
            &path,
            Some(archive),
            &bytes,
            ArtifactKind::Cda,
            sink.finish(),
        )],
        Some(doc),
    )
}
