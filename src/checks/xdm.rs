//! IHE XDM archive checks (XDM-010…021): root layout, safe names, ISO 9660 names, one METADATA.XML per
//! submission set, URI/hash/size of each DocumentEntry against the zip entries, one patient per archive,
//! INDEX.HTM and README.TXT.
//!
//! Source: `shared/domain/mssante.md` (XDM-*): IHE ITI TF XDM as implemented by the NIST toolkit
//! (`XdmDecoder.java`, `ValidateISO9660.java`), the CI-SIS « Échange de documents de santé » restrictions as
//! restated by the ANS portability IG, and the 108 official ANS archives. The metadata rules themselves
//! (XDS-*) are run by `validate::xds::check_metadata`; these checks use the facts it returns.

use std::collections::{BTreeSet, HashMap};

use super::{CheckInfo, Sink};
use crate::formats::xdm::{Entry, EntryDigest, XdmError};
use crate::formats::xml;
use crate::limits::Limits;
use crate::model::Location;
use crate::msg;
use crate::validate::xds::MetadataFacts;

/// Checks of this module and the rules they implement.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "xdm::layout",
        rules: &["XDM-010", "XDM-014", "XDM-015", "XDM-017", "XDM-021"],
    },
    CheckInfo {
        name: "xdm::subset",
        rules: &["XDM-011", "XDM-012", "XDM-013", "XDM-014", "XDM-016"],
    },
    CheckInfo {
        name: "xdm::one_patient",
        rules: &["XDM-018"],
    },
    CheckInfo {
        name: "xdm::index_readme",
        rules: &["XDM-019", "XDM-020"],
    },
];

/// Name of the metadata file of a submission set (upper case, as the NIST validator looks it up).
pub const METADATA: &str = "METADATA.XML";

/// At most this many findings of one rule per archive; the last one says how many were left out.
const MAX_PER_RULE: usize = 20;

/// What became of a subset's `METADATA.XML`.
#[derive(Debug)]
pub enum MetadataState<'a> {
    /// No `IHE_XDM/<subset>/METADATA.XML` entry.
    Missing,
    /// The entry could not be read, or is not usable ebRIM (the reason; metadata findings say more).
    Unreadable(crate::model::Msg),
    /// Parsed: the facts `check_metadata` returned.
    Parsed(&'a MetadataFacts),
}

/// A file of a submission-set directory other than `METADATA.XML`.
#[derive(Debug)]
pub struct SubsetFile {
    /// Name relative to the subset directory (`DOC0001.XML`), as a `URI` slot names it.
    pub rel: String,
    /// Full entry name (`IHE_XDM/SUBSET01/DOC0001.XML`).
    pub entry: String,
    /// Digest and size of the inflated bytes, or why they could not be read.
    pub digest: Result<EntryDigest, XdmError>,
}

/// One submission-set directory, ready for the checks.
#[derive(Debug)]
pub struct SubsetView<'a> {
    /// Directory name under `IHE_XDM/` (`SUBSET01`).
    pub dir: String,
    /// Its metadata.
    pub metadata: MetadataState<'a>,
    /// Its other files.
    pub files: Vec<SubsetFile>,
}

fn at_entry(entry: &str) -> Location {
    Location {
        entry: Some(entry.to_string()),
        ..Location::default()
    }
}

/// XDM-010 when the archive cannot be opened at all (not a zip, a limit exceeded): nothing else is checked.
pub fn archive_refused(e: &XdmError, sink: &mut Sink) {
    sink.violation(
        "XDM-010",
        Location::default(),
        msg!(
            "Archive IHE_XDM illisible ou refusée, aucun autre contrôle n'est possible : {e}. Produire une archive zip standard (méthodes stockée ou deflate) respectant les limites de taille",
            "IHE_XDM archive unreadable or refused, nothing else can be checked: {e}. Produce a standard zip archive (stored or deflate) within the size limits"
        ),
    );
}

/// XDM-010 (root layout), XDM-014 (ISO 9660 names), XDM-015 (safe names), XDM-017 (single SUBSET01) and the
/// XDM-021 comparison with the official corpus, on the entry listing.
pub fn layout(entries: &[Entry], subsets: &[String], sink: &mut Sink) {
    // XDM-015: never a file-system path; every unsafe name is listed (PKWARE APPNOTE §4.4.17).
    sink.check("XDM-015");
    let unsafe_entries: Vec<&Entry> = entries.iter().filter(|e| e.unsafe_name.is_some()).collect();
    for e in unsafe_entries.iter().take(MAX_PER_RULE) {
        let Some(why) = e.unsafe_name else { continue };
        let (fr, en) = (why.fr(), why.en());
        let name = e.name.escape_debug().to_string();
        sink.violation(
            "XDM-015",
            at_entry(&e.name),
            msg!(
                "Entrée « {name} » refusée et non lue : {fr}. Les noms d'entrée sont relatifs, séparés par /, sans .., sans lettre de lecteur ni NUL, sans lien symbolique ni doublon",
                "Entry \"{name}\" refused and not read: {en}. Entry names are relative, /-separated, without .., drive letter or NUL, with no symbolic link nor duplicate"
            ),
        );
    }
    if unsafe_entries.len() > MAX_PER_RULE {
        let more = unsafe_entries.len() - MAX_PER_RULE;
        sink.violation(
            "XDM-015",
            Location::default(),
            msg!(
                "… et {more} autres entrées aux noms dangereux",
                "… and {more} more entries with unsafe names"
            ),
        );
    }

    // XDM-010: INDEX.HTM, README.TXT at the root, IHE_XDM/<subset>/ with files (exact names, upper case).
    sink.check("XDM-010");
    let safe: Vec<&Entry> = entries.iter().filter(|e| e.unsafe_name.is_none()).collect();
    for required in ["INDEX.HTM", "README.TXT"] {
        if safe.iter().any(|e| e.name == required) {
            continue;
        }
        let near = safe
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(required))
            .map(|e| e.name.clone());
        let hint_fr = near.as_ref().map_or(String::new(), |n| {
            format!(" (trouvé « {n} » : la casse compte, écrire {required})")
        });
        let hint_en = near.as_ref().map_or(String::new(), |n| {
            format!(" (found \"{n}\": case matters, write {required})")
        });
        sink.violation(
            "XDM-010",
            Location { path: Some(required.into()), ..Location::default() },
            msg!(
                "Fichier {required} absent à la racine de l'archive{hint_fr} ; une archive XDM contient INDEX.HTM, README.TXT et IHE_XDM/SUBSET01/",
                "No {required} at the root of the archive{hint_en}; an XDM archive holds INDEX.HTM, README.TXT and IHE_XDM/SUBSET01/"
            ),
        );
    }
    if subsets.is_empty() {
        sink.violation(
            "XDM-010",
            Location { path: Some("IHE_XDM/".into()), ..Location::default() },
            msg!(
                "Aucun répertoire de lot IHE_XDM/<SUBSETnn>/ contenant des fichiers : les documents et METADATA.XML se placent dans IHE_XDM/SUBSET01/",
                "No submission-set directory IHE_XDM/<SUBSETnn>/ holding files: the documents and METADATA.XML go in IHE_XDM/SUBSET01/"
            ),
        );
    }

    // XDM-017: a single SUBSET01 (SHOULD).
    if subsets.is_empty() {
        sink.not_applicable(
            "XDM-017",
            msg!("Aucun répertoire de lot", "No submission-set directory"),
        );
    } else {
        sink.check("XDM-017");
        if subsets != ["SUBSET01"] {
            let list = subsets.join(", ");
            sink.violation(
                "XDM-017",
                Location { path: Some("IHE_XDM/".into()), ..Location::default() },
                msg!(
                    "Répertoires de lot sous IHE_XDM/ : {list} ; le volet Échange de documents de santé limite l'archive à un seul lot IHE_XDM/SUBSET01/",
                    "Submission-set directories under IHE_XDM/: {list}; the CI-SIS document-exchange volet restricts the archive to a single IHE_XDM/SUBSET01/"
                ),
            );
        }
    }

    // XDM-014: ISO 9660 names for every entry.
    sink.check("XDM-014");
    let mut bad = 0usize;
    for e in &safe {
        if let Some((fr, en)) = iso9660_problem(&e.name) {
            bad += 1;
            if bad <= MAX_PER_RULE {
                let name = &e.name;
                sink.violation(
                    "XDM-014",
                    at_entry(name),
                    msg!(
                        "Nom « {name} » non compatible ISO 9660 : {fr} (attendu : A-Z, 0-9, _, noms 8.3 comme DOC0001.XML, répertoires de 8 caractères au plus, profondeur 8 au plus)",
                        "Name \"{name}\" not ISO 9660 compatible: {en} (expected: A-Z, 0-9, _, 8.3 names such as DOC0001.XML, directories of at most 8 characters, depth at most 8)"
                    ),
                );
            }
        }
    }

    // XDM-021: the archive compared with the shape of the 108 official ANS examples.
    let docs = safe
        .iter()
        .filter(|e| {
            !e.is_dir
                && e.name.starts_with("IHE_XDM/SUBSET01/")
                && e.name != "IHE_XDM/SUBSET01/METADATA.XML"
        })
        .count();
    let official_shape = subsets == ["SUBSET01"]
        && safe.iter().all(|e| {
            e.is_dir
                || ["INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"]
                    .contains(&e.name.as_str())
                || e.name
                    .strip_prefix("IHE_XDM/SUBSET01/")
                    .is_some_and(|n| !n.contains('/'))
        });
    let files = safe.iter().filter(|e| !e.is_dir).count();
    if official_shape {
        sink.info(
            "XDM-021",
            Location::default(),
            msg!(
                "Archive de même forme que les exemples officiels ANS (interop-exemples-xdm) : INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML et {docs} document(s)",
                "Archive shaped like the official ANS examples (interop-exemples-xdm): INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/METADATA.XML and {docs} document(s)"
            ),
        );
    } else {
        sink.info(
            "XDM-021",
            Location::default(),
            msg!(
                "Archive de forme différente des exemples officiels ANS (un seul SUBSET01 avec METADATA.XML et les documents, INDEX.HTM et README.TXT à la racine) : {files} fichier(s)",
                "Archive shaped unlike the official ANS examples (a single SUBSET01 with METADATA.XML and the documents, INDEX.HTM and README.TXT at the root): {files} file(s)"
            ),
        );
    }
}

/// Why a path is not ISO 9660 level 1 (NIST `ValidateISO9660`), if it is not.
pub fn iso9660_problem(path: &str) -> Option<(String, String)> {
    let is_dir = path.ends_with('/');
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let (dirs, file): (&[&str], Option<&str>) = if is_dir {
        (&parts[..], None)
    } else {
        let (d, f) = parts.split_at(parts.len().saturating_sub(1));
        (d, f.first().copied())
    };
    let good = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    };
    if dirs.len() > 8 {
        let n = dirs.len();
        return Some((
            format!("{n} niveaux de répertoires (8 au plus)"),
            format!("{n} directory levels (at most 8)"),
        ));
    }
    for d in dirs {
        if d.is_empty() || !good(d) || d.len() > 8 {
            return Some((
                format!("répertoire « {d} » (A-Z, 0-9, _ ; 1 à 8 caractères)"),
                format!("directory \"{d}\" (A-Z, 0-9, _; 1 to 8 characters)"),
            ));
        }
    }
    let file = file?;
    let pieces: Vec<&str> = file.split('.').collect();
    let ok = match pieces.as_slice() {
        [name] => !name.is_empty() && good(name) && name.len() <= 8,
        [name, ext] => {
            good(name)
                && good(ext)
                && name.len() <= 8
                && ext.len() <= 3
                && !(name.is_empty() && ext.is_empty())
        }
        _ => {
            return Some((
                format!("fichier « {file} » avec plus d'un point"),
                format!("file \"{file}\" with more than one dot"),
            ))
        }
    };
    (!ok).then(|| {
        (
            format!("fichier « {file} » (A-Z, 0-9, _ ; nom 8.3)"),
            format!("file \"{file}\" (A-Z, 0-9, _; 8.3 name)"),
        )
    })
}

/// XDM-011 (METADATA.XML of the subset), XDM-012 (URI, hash, size), XDM-013 (the named file matches),
/// XDM-014 (URI values) and XDM-016 (every document file is described) for one submission set.
pub fn subset(view: &SubsetView<'_>, sink: &mut Sink) {
    let dir = &view.dir;
    let meta_entry = format!("IHE_XDM/{dir}/{METADATA}");
    sink.check("XDM-011");
    let facts = match &view.metadata {
        MetadataState::Missing => {
            sink.violation(
                "XDM-011",
                Location { path: Some(meta_entry.clone()), ..Location::default() },
                msg!(
                    "Le lot IHE_XDM/{dir}/ n'a pas de METADATA.XML (nom exact, en majuscules) : chaque répertoire de lot contient un lcm:SubmitObjectsRequest décrivant ses documents",
                    "Submission set IHE_XDM/{dir}/ has no METADATA.XML (exact upper-case name): each submission-set directory holds an lcm:SubmitObjectsRequest describing its documents"
                ),
            );
            for r in ["XDM-012", "XDM-013", "XDM-016"] {
                sink.not_applicable(
                    r,
                    msg!(
                        "Pas de métadonnées pour IHE_XDM/{dir}/",
                        "No metadata for IHE_XDM/{dir}/"
                    ),
                );
            }
            return;
        }
        MetadataState::Unreadable(why) => {
            let (why_fr, why_en) = (&why.fr, &why.en);
            sink.violation(
                "XDM-011",
                at_entry(&meta_entry),
                msg!(
                    "{meta_entry} n'est pas un lcm:SubmitObjectsRequest ebRIM exploitable : {why_fr}",
                    "{meta_entry} is not a usable ebRIM lcm:SubmitObjectsRequest: {why_en}"
                ),
            );
            for r in ["XDM-012", "XDM-013", "XDM-016"] {
                sink.not_applicable(
                    r,
                    msg!(
                        "Métadonnées illisibles pour IHE_XDM/{dir}/",
                        "Unreadable metadata for IHE_XDM/{dir}/"
                    ),
                );
            }
            return;
        }
        MetadataState::Parsed(f) => *f,
    };
    let sets = facts.submission_sets.len();
    if sets != 1 || facts.entries.is_empty() {
        let entries = facts.entries.len();
        sink.violation(
            "XDM-011",
            at_entry(&meta_entry),
            msg!(
                "{meta_entry} décrit {sets} lot(s) de soumission et {entries} fiche(s) : attendu exactement 1 lot (rim:RegistryPackage) et au moins 1 fiche (rim:ExtrinsicObject)",
                "{meta_entry} describes {sets} submission set(s) and {entries} document entr(ies): exactly 1 submission set (rim:RegistryPackage) and at least 1 document entry (rim:ExtrinsicObject) expected"
            ),
        );
    }

    let files: HashMap<&str, &SubsetFile> =
        view.files.iter().map(|f| (f.rel.as_str(), f)).collect();
    sink.check("XDM-012");
    sink.check("XDM-013");
    for e in &facts.entries {
        let id = &e.id;
        let loc = || e.location.clone();
        let missing: Vec<&str> = [("URI", &e.uri), ("hash", &e.hash), ("size", &e.size)]
            .iter()
            .filter(|(_, v)| v.as_deref().is_none_or(|v| v.trim().is_empty()))
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            let list = missing.join(", ");
            sink.violation(
                "XDM-012",
                loc(),
                msg!(
                    "La fiche {id} n'a pas de slot {list} : dans une archive XDM chaque fiche porte URI (nom du fichier dans IHE_XDM/{dir}/), hash (SHA-1) et size",
                    "Document entry {id} has no {list} slot: in an XDM archive every entry carries URI (file name in IHE_XDM/{dir}/), hash (SHA-1) and size"
                ),
            );
        }
        let Some(uri) = e.uri.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            continue;
        };
        if let Some((fr, en)) = iso9660_problem(uri) {
            sink.violation(
                "XDM-014",
                loc(),
                msg!(
                    "URI « {uri} » de la fiche {id} non compatible ISO 9660 : {fr}",
                    "URI \"{uri}\" of entry {id} not ISO 9660 compatible: {en}"
                ),
            );
        }
        let entry_name = format!("IHE_XDM/{dir}/{uri}");
        let Some(file) = files.get(uri) else {
            sink.violation(
                "XDM-013",
                loc(),
                msg!(
                    "La fiche {id} désigne {uri}, mais l'archive ne contient pas {entry_name} : placer le document dans le répertoire du lot sous ce nom exact",
                    "Entry {id} names {uri}, but the archive has no {entry_name}: put the document in the submission-set directory under that exact name"
                ),
            );
            continue;
        };
        let d = match &file.digest {
            Ok(d) => d,
            Err(err) => {
                sink.violation(
                    "XDM-013",
                    at_entry(&file.entry),
                    msg!(
                        "Le fichier {entry_name} de la fiche {id} n'a pas pu être lu : {err} ; hash et taille invérifiables",
                        "File {entry_name} of entry {id} could not be read: {err}; hash and size cannot be verified"
                    ),
                );
                continue;
            }
        };
        if let Some(size) = e.size.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let actual = d.size;
            if size.parse::<u64>().ok() != Some(actual) {
                sink.violation(
                    "XDM-013",
                    loc(),
                    msg!(
                        "size = {size} pour {entry_name}, qui fait {actual} octets décompressé : size est la longueur exacte du fichier (BOM compris)",
                        "size = {size} for {entry_name}, which is {actual} bytes uncompressed: size is the exact file length (BOM included)"
                    ),
                )
                .snippet(format!("size={size}"));
            }
        }
        if let Some(hash) = e.hash.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let actual = &d.sha1;
            if !hash.eq_ignore_ascii_case(actual) {
                sink.violation(
                    "XDM-013",
                    loc(),
                    msg!(
                        "hash = {hash} pour {entry_name}, dont le SHA-1 est {actual} : hash est le SHA-1 hexadécimal des octets exacts du fichier",
                        "hash = {hash} for {entry_name}, whose SHA-1 is {actual}: hash is the hex SHA-1 of the file's exact bytes"
                    ),
                )
                .snippet(format!("hash={hash}"));
            }
        }
    }

    // XDM-016: every document file of the subset is described by an entry, so that its header can be
    // compared with the metadata (the comparison itself is XDS-DE-020…028, run by check_metadata).
    sink.check("XDM-016");
    if facts
        .entries
        .iter()
        .all(|e| e.uri.as_deref().is_some_and(|u| !u.trim().is_empty()))
    {
        let described: BTreeSet<&str> = facts
            .entries
            .iter()
            .filter_map(|e| e.uri.as_deref().map(str::trim))
            .collect();
        for f in view
            .files
            .iter()
            .filter(|f| !described.contains(f.rel.as_str()))
        {
            let name = &f.entry;
            sink.violation(
                "XDM-016",
                at_entry(name),
                msg!(
                    "Le fichier {name} n'est décrit par aucune fiche de {meta_entry} (aucun slot URI ne le nomme) : ses métadonnées ne peuvent pas refléter son en-tête ; ajouter sa fiche ou le retirer de l'archive",
                    "File {name} is described by no entry of {meta_entry} (no URI slot names it): its metadata cannot mirror its header; add its entry or remove it from the archive"
                ),
            );
        }
    }
}

/// XDM-010 for the files of a submission set that could not be inflated (damaged, encrypted, over a
/// limit): the archive is not intact, whether or not the metadata names them.
pub fn damaged(view: &SubsetView<'_>, sink: &mut Sink) {
    for f in &view.files {
        if let Err(e) = &f.digest {
            let name = &f.entry;
            sink.violation(
                "XDM-010",
                at_entry(name),
                msg!(
                    "Entrée {name} illisible : {e} ; l'archive n'est pas intègre",
                    "Entry {name} unreadable: {e}; the archive is not intact"
                ),
            );
        }
    }
}

/// XDM-018: every DocumentEntry and SubmissionSet of the archive carries the same patientId.
pub fn one_patient(views: &[SubsetView<'_>], sink: &mut Sink) {
    let mut ids: Vec<(&str, Location)> = Vec::new();
    for v in views {
        let MetadataState::Parsed(f) = v.metadata else {
            continue;
        };
        ids.extend(f.submission_sets.iter().filter_map(|s| {
            s.patient_id
                .as_deref()
                .map(|p| (p.trim(), s.location.clone()))
        }));
        ids.extend(f.entries.iter().filter_map(|e| {
            e.patient_id
                .as_deref()
                .map(|p| (p.trim(), e.location.clone()))
        }));
    }
    let Some((first, _)) = ids.first().cloned() else {
        sink.not_applicable(
            "XDM-018",
            msg!(
                "Aucun patientId lu dans les métadonnées",
                "No patientId read in the metadata"
            ),
        );
        return;
    };
    sink.check("XDM-018");
    let distinct: BTreeSet<&str> = ids.iter().map(|(p, _)| *p).collect();
    if distinct.len() > 1 {
        let Some((other, loc)) = ids.iter().find(|(p, _)| *p != first).cloned() else {
            return;
        };
        let n = distinct.len();
        sink.violation(
            "XDM-018",
            loc,
            msg!(
                "{n} patientId différents dans l'archive (« {first} », « {other} »…) : une archive IHE_XDM concerne un seul usager ; un message par usager",
                "{n} different patientIds in the archive (\"{first}\", \"{other}\"…): an IHE_XDM archive concerns a single usager; one message per usager"
            ),
        )
        .personal(first.to_string())
        .personal(other.to_string());
    }
}

/// XDM-019 (INDEX.HTM is XHTML and links README.TXT) and XDM-020 (README.TXT sections, informative).
pub fn index_readme(index: Option<&[u8]>, readme: Option<&[u8]>, limits: &Limits, sink: &mut Sink) {
    match index {
        None => sink.not_applicable(
            "XDM-019",
            msg!(
                "Pas de INDEX.HTM (voir XDM-010)",
                "No INDEX.HTM (see XDM-010)"
            ),
        ),
        Some(bytes) => {
            sink.check("XDM-019");
            let loc = at_entry("INDEX.HTM");
            let parsed = xml::decode(bytes, limits).and_then(|t| {
                let doc = xml::parse(&t, limits)?;
                Ok(doc.descendants().any(|n| {
                    n.tag_name().name().eq_ignore_ascii_case("a")
                        && n.attribute("href")
                            .is_some_and(|h| h.trim() == "README.TXT")
                }))
            });
            match parsed {
                Err(e) => {
                    sink.violation(
                        "XDM-019",
                        loc,
                        msg!(
                            "INDEX.HTM n'est pas du XHTML bien formé : {e} ; il identifie la structure émettrice et contient <a href=\"README.TXT\">",
                            "INDEX.HTM is not well-formed XHTML: {e}; it identifies the sending structure and contains <a href=\"README.TXT\">"
                        ),
                    );
                }
                Ok(false) => {
                    sink.violation(
                        "XDM-019",
                        loc,
                        msg!(
                            "INDEX.HTM ne contient pas de lien <a href=\"README.TXT\"> : ajouter « Voir le fichier <a href=\"README.TXT\">ReadMe</a> » comme les exemples ANS",
                            "INDEX.HTM has no <a href=\"README.TXT\"> link: add \"Voir le fichier <a href=\"README.TXT\">ReadMe</a>\" as the ANS examples do"
                        ),
                    );
                }
                Ok(true) => {}
            }
        }
    }
    match readme {
        None => sink.not_applicable(
            "XDM-020",
            msg!(
                "Pas de README.TXT (voir XDM-010)",
                "No README.TXT (see XDM-010)"
            ),
        ),
        Some(bytes) => {
            sink.check("XDM-020");
            let text = String::from_utf8_lossy(bytes);
            let norm = |s: &str| -> String {
                s.chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| match c {
                        'é' | 'É' | 'è' | 'È' => 'e',
                        '’' => '\'',
                        c => c.to_ascii_lowercase(),
                    })
                    .collect()
            };
            let lines: Vec<String> = text.lines().map(norm).collect();
            let sections = [
                "Emetteur :",
                "Application de l'emetteur :",
                "Instructions :",
                "Arborescence :",
            ];
            let missing: Vec<&str> = sections
                .iter()
                .filter(|s| !lines.iter().any(|l| l.starts_with(&norm(s))))
                .copied()
                .collect();
            if !missing.is_empty() {
                let list = missing.join(", ");
                sink.info(
                    "XDM-020",
                    at_entry("README.TXT"),
                    msg!(
                        "README.TXT sans les sections des exemples ANS : {list}",
                        "README.TXT lacks the sections of the ANS examples: {list}"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::xds::{EntryFacts, SubmissionSetFacts};

    fn facts(patient: &str) -> MetadataFacts {
        MetadataFacts {
            entries: vec![EntryFacts {
                id: "e1".into(),
                uri: Some("DOC0001.XML".into()),
                hash: None,
                size: None,
                patient_id: Some(patient.into()),
                confidentiality_codes: vec!["N".into()],
                type_code: None,
                location: Location::default(),
            }],
            submission_sets: vec![SubmissionSetFacts {
                id: "ss".into(),
                patient_id: Some(patient.into()),
                location: Location::default(),
            }],
        }
    }

    /// XDM-018 has no invalid fixture (fixtures/xdm.md): two submission sets of two patients.
    #[test]
    fn two_patients_fail_xdm_018() {
        let (a, b) = (
            facts("279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"),
            facts("180017512345660^^^&1.2.250.1.213.1.4.10&ISO^NH"),
        );
        let views = [
            SubsetView {
                dir: "SUBSET01".into(),
                metadata: MetadataState::Parsed(&a),
                files: Vec::new(),
            },
            SubsetView {
                dir: "SUBSET02".into(),
                metadata: MetadataState::Parsed(&b),
                files: Vec::new(),
            },
        ];
        let mut sink = Sink::new();
        one_patient(&views, &mut sink);
        let f = sink.finish();
        let v: Vec<_> = f
            .iter()
            .filter(|f| f.requirement == "XDM-018")
            .map(|f| f.verdict)
            .collect();
        assert_eq!(v, vec![crate::model::Verdict::Fail]);
        let mut sink = Sink::new();
        one_patient(&views[..1], &mut sink);
        assert!(sink
            .finish()
            .iter()
            .all(|f| f.verdict == crate::model::Verdict::Pass));
    }

    #[test]
    fn iso9660_names() {
        assert!(iso9660_problem("IHE_XDM/SUBSET01/DOC0001.XML").is_none());
        assert!(iso9660_problem("INDEX.HTM").is_none());
        assert!(iso9660_problem("IHE_XDM/SUBSET01/").is_none());
        assert!(iso9660_problem("IHE_XDM/SUBSET01/doc0001.xml").is_some());
        assert!(iso9660_problem("IHE_XDM/SUBSET01/DOCUMENT01.XML").is_some());
        assert!(iso9660_problem("IHE_XDM/SUBSET01/DOC.TAR.GZ").is_some());
        assert!(iso9660_problem("IHE_XDM/SUBSET001/DOC.XML").is_some());
        assert!(iso9660_problem("A/B/C/D/E/F/G/H/I/X.XML").is_some());
    }
}
