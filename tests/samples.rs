//! Real public samples get the verdict of `shared/samples/expected.json` (never copied into the project:
//! read in place through `util::sample`).
//!
//! For every entry of kind `cda`: the set of rules that fail equals `must_fail` exactly, and the verdict
//! (`pass` = no fail, `fail`) matches. The quirks of `shared/domain/samples.md` that are warnings or infos
//! are pinned in [`EXPECTED_NON_PASS`], one row per (file, rule, verdict); a row is enforced as soon as
//! its rule is implemented (listed by `checks::registry()`), so the table states the whole contract and
//! tightens as checks land. Debug with `cargo test --test tests samples -- --nocapture`.

use std::collections::BTreeSet;

use dui_conform::checks;
use dui_conform::model::{ArtifactResult, Verdict};
use dui_conform::validate::{validate_bytes, Options};

use crate::util::{read, sample, shared};

const TDDUI_101: &str =
    "IG-contenu-cda-medicosocial-transfert-donnees-dui/input/images/CDA_TDDUI_Exemple_v1.0.1.xml";
const TDDUI_110: &str =
    "IG-fhir-transfert-donnees-dui-esms/input/images/CDA_TDDUI_Exemple_v1.1.0.xml";
const CR_RADIO_V1: &str =
    "hl7V2-exemples/Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/CR_Radio_CDAN1_v1.XML";
const CR_RADIO_V2: &str =
    "hl7V2-exemples/Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Remplacement MDM/CR_Radio_CDAN1_v2.XML";
const CR_BIO: &str = "hl7V2-exemples/Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/CR_Bio_CDA_Niv3_v1.XML";
const KIT: &str = "TestContenuCDA-3-0/ExemplesCDA/";

/// Expected warnings and infos of the CDA samples (samples.md, "expected non-pass findings"): (file
/// relative to `shared/samples`, `KIT` prefix expanded for the ANS kit, rule, verdict). The fails are in
/// expected.json (`must_fail`) and checked exactly; they are repeated here only where samples.md names them.
const EXPECTED_NON_PASS: &[(&str, &str, Verdict)] = &[
    // CDA-WF-014: the file starts with a UTF-8 BOM (accepted; counts in the XDS hash and size).
    (
        "eP-MED-DM_2024.01_PosoStruct.xml",
        "CDA-WF-014",
        Verdict::Info,
    ),
    // CSE-MDE: wrong NIR key (C-06) under the production OID (C-17).
    ("CSE-MDE_2023.01.xml", "INS-021", Verdict::Fail),
    ("CSE-MDE_2023.01.xml", "INS-013", Verdict::Info),
    // Bare registry numbers under the Struct_IdNat root (C-28).
    ("DLU-EHPAD-DLU_2022.01.xml", "ID-021", Verdict::Warning),
    ("LDL-EES_2022.01.xml", "ID-021", Verdict::Warning),
    ("LDL-SES_2022.01.xml", "ID-021", Verdict::Warning),
    ("IPS-FR_2024.01.xml", "ID-021", Verdict::Warning),
    // eDISP-MED: family qualifier SP (C-05), production OID (C-17), INS place vs COG (C-23).
    ("eDISP-MED_2024.01.xml", "CDA-HDR-033", Verdict::Fail),
    ("eDISP-MED_2024.01.xml", "INS-013", Verdict::Info),
    ("eDISP-MED_2024.01.xml", "INS-024", Verdict::Info),
    // TDDUI export, both publications: wrong key (C-06), production OID (C-17), traits (C-23), bare RPPS (C-28).
    (TDDUI_101, "INS-021", Verdict::Fail),
    (TDDUI_101, "INS-013", Verdict::Info),
    (TDDUI_101, "INS-024", Verdict::Info),
    (TDDUI_101, "ID-011", Verdict::Warning),
    (TDDUI_110, "INS-021", Verdict::Fail),
    (TDDUI_110, "INS-013", Verdict::Info),
    (TDDUI_110, "INS-024", Verdict::Info),
    (TDDUI_110, "ID-011", Verdict::Warning),
    // MSSanté CR_Radio v1/v2: no setId (C-04), effectiveTime without offset (C-20), traits (C-23).
    (CR_RADIO_V1, "CDA-HDR-028", Verdict::Fail),
    (CR_RADIO_V1, "CDA-HDR-024", Verdict::Warning),
    (CR_RADIO_V1, "INS-024", Verdict::Info),
    (CR_RADIO_V2, "CDA-HDR-028", Verdict::Fail),
    (CR_RADIO_V2, "CDA-HDR-024", Verdict::Warning),
    (CR_RADIO_V2, "INS-024", Verdict::Info),
    // HL7v2 CR_Bio: family qualifier SP (C-05), traits (C-23).
    (CR_BIO, "CDA-HDR-033", Verdict::Fail),
    (CR_BIO, "INS-024", Verdict::Info),
];

/// The path under `shared/samples` of a row of [`EXPECTED_NON_PASS`].
fn row_path(file: &str) -> String {
    if file.contains('/') {
        file.to_string()
    } else {
        format!("{KIT}{file}")
    }
}

/// One entry of expected.json of kind `cda`.
struct Expected {
    path: String,
    verdict: String,
    must_fail: BTreeSet<String>,
}

fn expected_cda() -> Vec<Expected> {
    let p = shared().join("samples/expected.json");
    let v: serde_json::Value =
        serde_json::from_slice(&read(&p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let files = v["files"]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no `files` object", p.display()));
    let out: Vec<Expected> = files
        .iter()
        .filter(|(_, e)| e["kind"] == "cda")
        .map(|(path, e)| Expected {
            path: path.clone(),
            verdict: e["verdict"].as_str().unwrap_or("").to_string(),
            must_fail: e["must_fail"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
        })
        .collect();
    assert!(!out.is_empty(), "{}: no entry of kind cda", p.display());
    out
}

fn validate_sample(rel: &str) -> Vec<ArtifactResult> {
    validate_bytes(rel, &read(&sample(rel)), &Options::default())
}

/// Every non-pass finding, for failure messages (personal values shown: these are public fictitious data).
fn show_non_pass(results: &[ArtifactResult]) -> String {
    let mut s = String::new();
    for a in results {
        for f in a
            .findings
            .iter()
            .filter(|f| !matches!(f.verdict, Verdict::Pass | Verdict::NotApplicable))
        {
            let line = f.location.line.map(|l| format!(":{l}")).unwrap_or_default();
            s.push_str(&format!(
                "    {} {}{} {}\n",
                f.requirement,
                f.verdict.as_str(),
                line,
                f.message.fr
            ));
        }
    }
    s
}

#[test]
fn cda_samples_get_their_expected_verdict() {
    let mut problems = String::new();
    let all = expected_cda();
    for e in &all {
        let results = validate_sample(&e.path);
        let failing: BTreeSet<String> = results
            .iter()
            .flat_map(|a| &a.findings)
            .filter(|f| f.verdict == Verdict::Fail)
            .map(|f| f.requirement.clone())
            .collect();
        let verdict = if failing.is_empty() { "pass" } else { "fail" };
        if failing != e.must_fail || verdict != e.verdict {
            let extra: Vec<_> = failing.difference(&e.must_fail).collect();
            let lacking: Vec<_> = e.must_fail.difference(&failing).collect();
            problems.push_str(&format!(
                "{}: expected {} failing {:?}, got {verdict} failing {:?} (unexpected {extra:?}, missing {lacking:?})\n{}\n",
                e.path,
                e.verdict,
                e.must_fail,
                failing,
                show_non_pass(&results)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "CDA samples must get exactly the verdict of expected.json:\n\n{problems}"
    );
    eprintln!("{} CDA sample(s) get their expected verdict", all.len());
}

#[test]
fn cda_samples_show_their_known_quirks() {
    let implemented: BTreeSet<&str> = checks::registry()
        .iter()
        .flat_map(|c| c.rules.iter().copied())
        .collect();
    let cda: BTreeSet<String> = expected_cda().into_iter().map(|e| e.path).collect();
    let mut problems = String::new();
    let mut pending = Vec::new();
    let mut enforced = 0;
    for (file, rule, verdict) in EXPECTED_NON_PASS {
        let path = row_path(file);
        assert!(
            cda.contains(&path),
            "{path}: row of EXPECTED_NON_PASS is not a cda entry of expected.json"
        );
        if !implemented.contains(rule) {
            pending.push(format!("{file} {rule}"));
            continue;
        }
        enforced += 1;
        let results = validate_sample(&path);
        let hit = results
            .iter()
            .flat_map(|a| &a.findings)
            .any(|f| f.requirement == *rule && f.verdict == *verdict);
        if !hit {
            problems.push_str(&format!(
                "{path}: expected {rule} {}\n{}\n",
                verdict.as_str(),
                show_non_pass(&results)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "known quirks of samples.md not reported:\n\n{problems}"
    );
    eprintln!("{enforced} quirk(s) enforced; pending (rule not implemented yet): {pending:?}");
}
