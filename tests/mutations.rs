//! Random byte mutations of every valid fixture (`fixtures/valid/**`) and of a few real samples (a
//! level-1 CDA, a structured CDA with a BOM, an official XDM archive, a METADATA.XML), fed to
//! `validate_bytes`, which reaches every parser (XML/CDA, XDS metadata, XDM zip, MIME): it must never
//! panic. A mutated zip is re-wrapped too, so that mutations reach the entries and not only the
//! container's checksums.
//!
//! The run is deterministic (fixed seed) and bounded (`CASES` cases, a few seconds in debug). To explore
//! further: `PROPTEST_CASES=20000 PROPTEST_RNG_SEED=$RANDOM cargo test --test tests mutations`.
//! A crash found here becomes a committed fixture under `fixtures/hostile/`.
//!
//! Byte mutations mostly stop at the XML parser; tree edits (remove, duplicate, move an element, odd
//! attribute values) keep a CDA well-formed so that it reaches the official kit's XPath engine
//! (`validate --kit`): no panic, and no construct left "not evaluated" (48 cases by default; 500 with
//! another seed were clean when this was written).

use std::io::{Read, Write};
use std::sync::OnceLock;

use dui_conform::validate::{validate_bytes, Options};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use super::util::{read, root, sample};

/// Cases per property (each case applies 1 to 4 mutations).
const CASES: u32 = 768;

/// Real samples mutated besides the valid fixtures (paths under `../shared/samples`), when present.
const SAMPLES: &[&str] = &[
    "hl7V2-exemples/Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/CR_Radio_CDAN1_v1.XML",
    "TestContenuCDA-3-0/ExemplesCDA/eP-MED-DM_2024.01_PosoStruct.xml",
    "TestContenuCDA-3-0/ExemplesCDA/CSE-MDE_2023.01.xml",
    "interop-exemples-xdm/TLM-CR_2022.01/IHE_XDM.ZIP",
];

/// The seed inputs: (name, bytes).
fn corpus() -> &'static [(String, Vec<u8>)] {
    static C: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    C.get_or_init(|| {
        let mut v = Vec::new();
        for e in walkdir::WalkDir::new(root().join("fixtures/valid")).sort_by_file_name() {
            let Ok(e) = e else { continue };
            if e.file_type().is_file() {
                v.push((
                    e.path()
                        .strip_prefix(root())
                        .unwrap_or(e.path())
                        .display()
                        .to_string(),
                    read(e.path()),
                ));
            }
        }
        assert!(!v.is_empty(), "no valid fixture found");
        for s in SAMPLES {
            let p = sample(s);
            if p.exists() {
                v.push((s.to_string(), read(&p)));
            }
        }
        // The METADATA.XML of the XDM sample, alone (XDS metadata parser).
        if let Some((_, zip)) = v.iter().find(|(n, _)| n.ends_with(".ZIP")) {
            if let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())) {
                let mut m = Vec::new();
                if let Ok(mut f) = z.by_name("IHE_XDM/SUBSET01/METADATA.XML") {
                    let _ = f.read_to_end(&mut m);
                }
                if !m.is_empty() {
                    v.push(("METADATA.XML".into(), m));
                }
            }
        }
        // A MIME message carrying the first valid CDA as an IHE_XDM.zip (MIME → zip → CDA).
        v.push(("message.eml".into(), mime_with_xdm(&v[0].1)));
        v
    })
}

fn mime_with_xdm(doc: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let zip = zip_of(&[
        ("IHE_XDM/SUBSET01/DOC0001.XML", doc),
        ("README.TXT", b"Emetteur :\r\n"),
        ("INDEX.HTM", b"<html/>"),
    ]);
    let mut s = String::from(
        "From: a@ssiad.mssante.fr\r\nTo: b@hopital.mssante.fr\r\nSubject: XDM/1.0/DDM+mutation\r\n\
         Message-ID: <m@dui-conform.test>\r\nDate: Sun, 15 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n\
         --B\r\nContent-Type: application/zip; name=\"IHE_XDM.zip\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"IHE_XDM.zip\"\r\n\r\n",
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
    for l in b64.as_bytes().chunks(76) {
        s.push_str(std::str::from_utf8(l).unwrap_or_default());
        s.push_str("\r\n");
    }
    s.push_str("--B--\r\n");
    s.into_bytes()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        if w.start_file(*name, opts).is_ok() {
            let _ = w.write_all(bytes);
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// One byte-level mutation, positions given as fractions of the length so they apply to any input.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Flip one bit.
    Flip { at: f64, bit: u8 },
    /// Overwrite one byte.
    Set { at: f64, byte: u8 },
    /// Insert bytes.
    Insert { at: f64, bytes: Vec<u8> },
    /// Insert a markup-significant token (`<`, `&`, `]]>`, a quote, `--`, a boundary…).
    Token { at: f64, token: &'static str },
    /// Delete a range.
    Delete { at: f64, len: usize },
    /// Keep a prefix only.
    Truncate { at: f64 },
    /// Copy a range of the input over another place (duplicating tags, attributes…).
    Splice { from: f64, len: usize, to: f64 },
}

const TOKENS: &[&str] = &[
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&unknown;",
    "\"",
    "'",
    "]]>",
    "<![CDATA[",
    "<!--",
    "-->",
    "<?",
    "?>",
    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
    "</",
    "/>",
    "xmlns=\"\"",
    "xmlns:hl7=\"urn:x\"",
    "\u{FEFF}",
    "\u{0}",
    "\r",
    "\n--B\r\n",
    "\r\n\r\n",
    "=?utf-8?B?",
    "=\r\n",
    "PK\u{3}\u{4}",
    "PK\u{5}\u{6}",
    "é",
    "\u{10FFFF}",
];

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (at.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (at.clone(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (at.clone(), prop::sample::select(TOKENS))
            .prop_map(|(at, token)| Mutation::Token { at, token }),
        (at.clone(), 1usize..512).prop_map(|(at, len)| Mutation::Delete { at, len }),
        at.clone().prop_map(|at| Mutation::Truncate { at }),
        (at.clone(), 1usize..256, at).prop_map(|(from, len, to)| Mutation::Splice {
            from,
            len,
            to
        }),
    ]
}

fn pos(at: f64, len: usize) -> usize {
    ((at * len as f64) as usize).min(len)
}

pub(crate) fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Flip { at, bit } => {
            if len > 0 {
                let i = pos(*at, len - 1);
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::Set { at, byte } => {
            if len > 0 {
                let i = pos(*at, len - 1);
                bytes[i] = *byte;
            }
        }
        Mutation::Insert { at, bytes: b } => {
            let i = pos(*at, len);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Token { at, token } => {
            let i = pos(*at, len);
            bytes.splice(i..i, token.bytes());
        }
        Mutation::Delete { at, len: n } => {
            let i = pos(*at, len);
            let j = (i + n).min(len);
            bytes.drain(i..j);
        }
        Mutation::Truncate { at } => bytes.truncate(pos(*at, len)),
        Mutation::Splice { from, len: n, to } => {
            let i = pos(*from, len);
            let chunk: Vec<u8> = bytes[i..(i + n).min(len)].to_vec();
            let j = pos(*to, len);
            bytes.splice(j..j, chunk);
        }
    }
}

/// The bounded, deterministic configuration; `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override it.
pub(crate) fn config() -> Config {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("PROPTEST_CASES").map_or(CASES, |c| c as u32),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(0x0D01_C0F0)),
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

/// Runs validation; a panic fails the case (proptest catches it and shrinks).
fn validate(name: &str, bytes: &[u8]) {
    let artifacts = validate_bytes(name, bytes, &Options::default());
    assert!(!artifacts.is_empty(), "{name}: no artifact");
}

proptest! {
    #![proptest_config(config())]

    /// Byte mutations of a seed input never make validation panic.
    #[test]
    fn mutated_inputs_never_panic(
        seed in 0usize..1024,
        muts in prop::collection::vec(mutation(), 1..5),
    ) {
        let c = corpus();
        let (name, original) = &c[seed % c.len()];
        let mut bytes = original.clone();
        for m in &muts {
            apply(&mut bytes, m);
        }
        validate(name, &bytes);
    }

    /// Mutations of a document inside an XDM zip (the zip itself stays valid, so the entry's parsers
    /// see the damage rather than the container's CRC check).
    #[test]
    fn mutated_entries_of_a_zip_never_panic(
        seed in 0usize..1024,
        muts in prop::collection::vec(mutation(), 1..4),
        in_metadata in any::<bool>(),
    ) {
        let c = corpus();
        let xml: Vec<_> = c.iter().filter(|(n, b)| !n.ends_with(".ZIP") && !n.ends_with(".eml") && b.first() != Some(&b'P')).collect();
        let (_, doc) = xml[seed % xml.len()];
        let mut doc = doc.clone();
        for m in &muts {
            apply(&mut doc, m);
        }
        let metadata = c.iter().find(|(n, _)| n == "METADATA.XML").map(|(_, b)| b.clone()).unwrap_or_default();
        let (d, md) = if in_metadata { (xml[0].1.clone(), doc) } else { (doc, metadata) };
        let zip = zip_of(&[
            ("INDEX.HTM", b"<html><body><a href=\"README.TXT\">ReadMe</a></body></html>"),
            ("README.TXT", b"Emetteur :\r\n"),
            ("IHE_XDM/SUBSET01/METADATA.XML", &md),
            ("IHE_XDM/SUBSET01/DOC0001.XML", &d),
        ]);
        validate("mutated.zip", &zip);
        validate("mutated.eml", &mime_with_xdm(&d));
    }
}

#[test]
fn mutations_apply_at_the_edges() {
    let mut b = b"<a/>".to_vec();
    apply(&mut b, &Mutation::Truncate { at: 0.0 });
    assert!(b.is_empty());
    for m in [
        Mutation::Flip { at: 1.0, bit: 7 },
        Mutation::Set { at: 0.5, byte: 0 },
        Mutation::Delete { at: 1.0, len: 10 },
        Mutation::Splice {
            from: 1.0,
            len: 10,
            to: 0.0,
        },
    ] {
        apply(&mut b, &m); // on an empty input: no panic
    }
    let mut b = b"<a/>".to_vec();
    apply(
        &mut b,
        &Mutation::Splice {
            from: 0.0,
            len: 2,
            to: 1.0,
        },
    );
    assert_eq!(b, b"<a/><a");
}

/// One mutation that keeps a document well-formed, so that it reaches the official kit's engine (byte
/// mutations mostly stop at the XML parser): positions are fractions of the element count.
#[derive(Debug, Clone)]
enum TreeMutation {
    /// Remove an element (and its subtree).
    Remove { at: f64 },
    /// Repeat an element right after itself.
    Duplicate { at: f64 },
    /// Replace the value of an element's first attribute.
    Attribute { at: f64, value: &'static str },
    /// Move an element to just before another one.
    Move { from: f64, to: f64 },
}

/// Values that stress the kit's XPath: empty, spaces, non-numbers where numbers are compared, odd
/// OIDs and dates, characters that need escaping, a nullFlavor.
const VALUES: &[&str] = &[
    "",
    " ",
    "NaN",
    "-1",
    "1e309",
    "0.0.0",
    "1.2.250.1.213.1.1.1.22",
    "2.16.840.1.113883.6.1",
    "99999999999999999999",
    "2026-13-45",
    "20260230",
    "&lt;&amp;&quot;",
    "UNK",
    "é\u{301}",
];

fn tree_mutation() -> impl Strategy<Value = TreeMutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        at.clone().prop_map(|at| TreeMutation::Remove { at }),
        at.clone().prop_map(|at| TreeMutation::Duplicate { at }),
        (at.clone(), prop::sample::select(VALUES))
            .prop_map(|(at, value)| TreeMutation::Attribute { at, value }),
        (at.clone(), at).prop_map(|(from, to)| TreeMutation::Move { from, to }),
    ]
}

/// Applies `m` to `text` (a well-formed document; the root element is never touched).
fn apply_tree(text: &str, m: &TreeMutation) -> String {
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return text.to_string();
    };
    let elements: Vec<_> = doc
        .descendants()
        .filter(|n| n.is_element())
        .skip(1)
        .collect();
    if elements.is_empty() {
        return text.to_string();
    }
    let pick = |at: f64| elements[pos(at, elements.len() - 1)];
    let mut s = text.to_string();
    match m {
        TreeMutation::Remove { at } => s.replace_range(pick(*at).range(), ""),
        TreeMutation::Duplicate { at } => {
            let r = pick(*at).range();
            let copy = text[r.clone()].to_string();
            s.insert_str(r.end, &copy);
        }
        TreeMutation::Attribute { at, value } => {
            if let Some(a) = pick(*at).attributes().next() {
                s.replace_range(a.range_value(), value);
            }
        }
        TreeMutation::Move { from, to } => {
            let (a, b) = (pick(*from).range(), pick(*to).range());
            // Only between disjoint elements (moving a node into itself is not a tree edit).
            if a.end <= b.start || b.end <= a.start {
                let chunk = text[a.clone()].to_string();
                if a.start < b.start {
                    s.insert_str(b.start, &chunk);
                    s.replace_range(a, "");
                } else {
                    s.replace_range(a, "");
                    s.insert_str(b.start, &chunk);
                }
            }
        }
    }
    s
}

/// The CDA seeds of the kit property: the valid CDA fixtures and the CDA samples of the corpus.
fn cda_corpus() -> Vec<&'static (String, Vec<u8>)> {
    corpus()
        .iter()
        .filter(|(_, b)| {
            std::str::from_utf8(b).is_ok_and(|t| roxmltree::Document::parse(t).is_ok())
                && b.windows(17).any(|w| w == b"<ClinicalDocument")
        })
        .collect()
}

fn kit_options() -> Option<&'static Options> {
    static O: OnceLock<Option<Options>> = OnceLock::new();
    O.get_or_init(|| {
        let dir = crate::schematron::kit_dir();
        dir.is_dir().then(|| Options {
            kit: Some(std::sync::Arc::new(
                dui_conform::schematron::Kit::load(&dir).expect("kit"),
            )),
            ..Options::default()
        })
    })
    .as_ref()
}

fn kit_config() -> Config {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        // The kit evaluates hundreds of rules per document: fewer cases by default than the byte ones.
        cases: env("PROPTEST_CASES").map_or(48, |c| c as u32),
        ..config()
    }
}

proptest! {
    #![proptest_config(kit_config())]

    /// Tree edits of a CDA (well-formed, so the kit's XPath engine runs on them) never make `validate
    /// --kit` panic, and the engine evaluates every construct (no "not evaluated" warning).
    #[test]
    fn tree_mutated_cdas_through_the_kit_never_panic(
        seed in 0usize..1024,
        muts in prop::collection::vec(tree_mutation(), 1..4),
    ) {
        let Some(opts) = kit_options() else { return Ok(()) };
        let seeds = cda_corpus();
        let (name, original) = seeds[seed % seeds.len()];
        let mut text = String::from_utf8(original.clone()).expect("utf-8 seed");
        for m in &muts {
            text = apply_tree(&text, m);
        }
        let artifacts = validate_bytes(name, text.as_bytes(), opts);
        prop_assert!(!artifacts.is_empty());
        let not_evaluated: Vec<_> = artifacts
            .iter()
            .flat_map(|a| &a.findings)
            .filter(|f| f.requirement.starts_with("KIT:") && f.message.fr.contains("non évaluée"))
            .map(|f| f.message.fr.clone())
            .collect();
        prop_assert!(not_evaluated.is_empty(), "{name}: {not_evaluated:?}");
    }
}

#[test]
fn tree_mutations_keep_documents_well_formed() {
    let doc = "<r><a x=\"1\"><b/></a><c/></r>";
    for m in [
        TreeMutation::Remove { at: 0.0 },
        TreeMutation::Duplicate { at: 0.5 },
        TreeMutation::Attribute {
            at: 0.0,
            value: "&lt;",
        },
        TreeMutation::Move { from: 0.0, to: 1.0 },
        TreeMutation::Move { from: 1.0, to: 0.0 },
        TreeMutation::Move { from: 0.0, to: 0.5 },
    ] {
        let out = apply_tree(doc, &m);
        assert!(roxmltree::Document::parse(&out).is_ok(), "{m:?}: {out}");
    }
    assert_eq!(
        apply_tree(doc, &TreeMutation::Move { from: 1.0, to: 0.0 }),
        "<r><c/><a x=\"1\"><b/></a></r>"
    );
}
