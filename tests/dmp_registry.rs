//! The DMP registry beyond FindDocuments, and the state directory across restarts: FindSubmissionSets,
//! GetAssociations and FindDocumentsByReferenceId asked by a python3 `http.client` client over mutual
//! TLS (tests/dmp_post.py); VIHF assertion ids remembered across a restart (DMP-VIHF-010); documents read
//! back from the evidence store; one process per state directory (a second `serve` exits 2).

use std::path::Path;
use std::process::Command;

use dui_conform::sim::dmp::handler::{Handler, Outcome, SetupError};
use dui_conform::sim::dmp::wire::HttpRequest;
use dui_conform::sim::dmp::{self, Config, Peer};

use crate::dmp::{fixture, fresh, have, replace, variant, Sim, MTOM_CT};
use crate::util::root;

/// The fixture's patient (INS NIR).
const PATIENT: &str = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH";
const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
const REFERENCE: &str = "REF-4242^^^&1.2.250.1.999&ISO^urn:ihe:iti:xds:2013:accession";

fn xml_esc(s: &str) -> String {
    s.replace('&', "&amp;")
}

/// An ITI-18 request (SOAP 1.2, the fixture's VIHF, fresh ids) for stored query `id` with `slots`
/// (values as they go in `rim:Value`, SQL-quoted).
fn query(id: &str, slots: &[(&str, &str)]) -> Vec<u8> {
    let fx = String::from_utf8(fixture()).expect("utf-8");
    let a = fx.find("<wsse:Security").expect("vihf");
    let b = fx.find("</wsse:Security>").expect("vihf end") + "</wsse:Security>".len();
    let vihf = &fx[a..b];
    let slots: String = slots
        .iter()
        .map(|(k, v)| {
            format!(
                "<rim:Slot name=\"{k}\"><rim:ValueList><rim:Value>{}</rim:Value></rim:ValueList></rim:Slot>",
                xml_esc(v)
            )
        })
        .collect();
    let x = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="true">urn:ihe:iti:2007:RegistryStoredQuery</wsa:Action><wsa:MessageID>urn:uuid:0b9f6c1e-5d8a-4e1f-9b3c-2a7d4e6f8a01</wsa:MessageID><wsa:To>https://localhost/dmp/registry</wsa:To>{vihf}</soap:Header><soap:Body><query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/><rim:AdhocQuery id="{id}">{slots}</rim:AdhocQuery></query:AdhocQueryRequest></soap:Body></soap:Envelope>"#
    );
    fresh(x.as_bytes())
}

/// Posts files with tests/dmp_post.py; returns each response (status line, then body).
fn post(sim: &Sim, dir: &Path, files: &[(&str, Vec<u8>)]) -> Vec<String> {
    let mut paths = Vec::new();
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::write(&p, body).expect("write");
        paths.push(p);
    }
    let out = Command::new("python3")
        .arg(root().join("tests/dmp_post.py"))
        .arg(sim.addr().port().to_string())
        .arg(&sim.pki.ca_cert)
        .arg(&sim.pki.client_cert)
        .arg(&sim.pki.client_key)
        .arg(dir)
        .args(&paths)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    files
        .iter()
        .map(|(name, _)| {
            std::fs::read_to_string(dir.join(format!("{name}.resp"))).expect("response file")
        })
        .collect()
}

/// Every value of attribute `attr` on elements `tag` (a crude reader, enough for our own answers).
fn attrs(xml: &str, tag: &str, attr: &str) -> Vec<String> {
    xml.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|s| {
            let head = format!(" {}", &s[..s.find('>').unwrap_or(s.len())]);
            let at = head.find(&format!(" {attr}=\""))? + attr.len() + 3;
            let rest = &head[at..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

/// A deposit whose DocumentEntry carries a referenceIdList slot (ITI TF-3 4.2.3.2.28).
fn with_reference(body: &[u8]) -> Vec<u8> {
    let slot = format!(
        "<rim:Slot name=\"urn:ihe:iti:xds:2013:referenceIdList\"><rim:ValueList><rim:Value>{}</rim:Value></rim:ValueList></rim:Slot>",
        xml_esc(REFERENCE)
    );
    let open = "<rim:ExtrinsicObject id=\"Document01\" mimeType=\"text/xml\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\">";
    let s = String::from_utf8(body.to_vec()).expect("utf-8");
    assert!(s.contains(open), "fixture layout changed");
    s.replacen(open, &format!("{open}{slot}"), 1).into_bytes()
}

#[test]
fn find_submission_sets_get_associations_and_find_by_reference_id() {
    if !have("python3", "--version") {
        return;
    }
    let sim = Sim::start(false);
    let dir = tempfile::tempdir().expect("tmp");
    let (d1, uid1) = variant(1, 0);
    let (d2, uid2) = variant(2, 0);
    let patient = format!("'{PATIENT}'");
    let approved = format!("('{APPROVED}')");
    use dui_conform::checks::dmp::query_id as q;
    let r = post(
        &sim,
        dir.path(),
        &[
            ("d1.mtom", with_reference(&d1)),
            ("d2.mtom", d2),
            (
                "sets.xml",
                query(
                    q::FIND_SUBMISSION_SETS,
                    &[
                        ("$XDSSubmissionSetPatientId", &patient),
                        ("$XDSSubmissionSetStatus", &approved),
                    ],
                ),
            ),
            (
                "sets-other-source.xml",
                query(
                    q::FIND_SUBMISSION_SETS,
                    &[
                        ("$XDSSubmissionSetPatientId", &patient),
                        ("$XDSSubmissionSetStatus", &approved),
                        ("$XDSSubmissionSetSourceId", "('9.9.9.9')"),
                    ],
                ),
            ),
            (
                "sets-no-status.xml",
                query(
                    q::FIND_SUBMISSION_SETS,
                    &[("$XDSSubmissionSetPatientId", &patient)],
                ),
            ),
            (
                "by-ref.xml",
                query(
                    q::FIND_BY_REFERENCE_ID,
                    &[
                        ("$XDSDocumentEntryPatientId", &patient),
                        ("$XDSDocumentEntryStatus", &approved),
                        (
                            "$XDSDocumentEntryReferenceIdList",
                            &format!("('{REFERENCE}')"),
                        ),
                    ],
                ),
            ),
            (
                "docs.xml",
                query(
                    q::FIND_DOCUMENTS,
                    &[
                        ("$XDSDocumentEntryPatientId", &patient),
                        ("$XDSDocumentEntryStatus", &approved),
                    ],
                ),
            ),
        ],
    );
    for (i, name) in ["d1", "d2"].iter().enumerate() {
        assert!(
            r[i].contains("ResponseStatusType:Success"),
            "{name}: {}\n{}",
            r[i],
            sim.findings()
        );
    }
    // FindSubmissionSets: both SubmissionSets of the patient; none from another source; a missing
    // required parameter is an error.
    let sets = attrs(&r[2], "rim:RegistryPackage", "id");
    assert_eq!(sets.len(), 2, "{}", r[2]);
    assert!(r[2].contains("ResponseStatusType:Success"), "{}", r[2]);
    assert!(
        r[3].contains("ResponseStatusType:Success") && !r[3].contains("<rim:RegistryPackage"),
        "{}",
        r[3]
    );
    assert!(r[4].contains("XDSStoredQueryMissingParam"), "{}", r[4]);
    // FindDocumentsByReferenceId: only the deposit carrying the reference.
    assert!(r[5].contains(&format!("value=\"{uid1}\"")), "{}", r[5]);
    assert!(!r[5].contains(&format!("value=\"{uid2}\"")), "{}", r[5]);
    // GetAssociations on the first document's entryUUID: its HasMember from one of the SubmissionSets.
    let docs = &r[6];
    let uuids = attrs(docs, "rim:ExtrinsicObject", "id");
    let uuid1 = uuids
        .iter()
        .find(|u| {
            docs.split(&format!("<rim:ExtrinsicObject id=\"{u}\""))
                .nth(1)
                .and_then(|s| s.split("</rim:ExtrinsicObject>").next())
                .is_some_and(|s| s.contains(&format!("value=\"{uid1}\"")))
        })
        .expect("first document in FindDocuments")
        .clone();
    let r = post(
        &sim,
        dir.path(),
        &[(
            "assoc.xml",
            query(q::GET_ASSOCIATIONS, &[("$uuid", &format!("('{uuid1}')"))]),
        )],
    );
    let targets = attrs(&r[0], "rim:Association", "targetObject");
    let sources = attrs(&r[0], "rim:Association", "sourceObject");
    let types = attrs(&r[0], "rim:Association", "associationType");
    assert_eq!(targets, vec![uuid1.clone()], "{}", r[0]);
    assert!(sets.contains(&sources[0]), "{} not in {sets:?}", sources[0]);
    assert_eq!(
        types,
        vec!["urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember".to_string()]
    );
    // GetSubmissionSetAndContents of that SubmissionSet: the set, its members (the first document and
    // its XAdES signature entry, not the other deposit's document) and the HasMember associations; a
    // confidentiality filter nothing matches keeps the set only; both identifiers at once is an error;
    // an unknown set is an empty success.
    let set1 = sources[0].clone();
    let both = [
        ("$XDSSubmissionSetEntryUUID", format!("'{set1}'")),
        ("$XDSSubmissionSetUniqueId", "'1.2.3'".to_string()),
    ];
    let r = post(
        &sim,
        dir.path(),
        &[
            (
                "contents.xml",
                query(
                    q::GET_SUBMISSION_SET_AND_CONTENTS,
                    &[("$XDSSubmissionSetEntryUUID", &format!("'{set1}'"))],
                ),
            ),
            (
                "contents-filtered.xml",
                query(
                    q::GET_SUBMISSION_SET_AND_CONTENTS,
                    &[
                        ("$XDSSubmissionSetEntryUUID", &format!("'{set1}'")),
                        ("$XDSDocumentEntryConfidentialityCode", "('XX^^9.9')"),
                    ],
                ),
            ),
            (
                "contents-both.xml",
                query(
                    q::GET_SUBMISSION_SET_AND_CONTENTS,
                    &[(both[0].0, &both[0].1), (both[1].0, &both[1].1)],
                ),
            ),
            (
                "contents-unknown.xml",
                query(
                    q::GET_SUBMISSION_SET_AND_CONTENTS,
                    &[(
                        "$XDSSubmissionSetEntryUUID",
                        "'urn:uuid:00000000-0000-0000-0000-000000000000'",
                    )],
                ),
            ),
        ],
    );
    assert!(r[0].contains("ResponseStatusType:Success"), "{}", r[0]);
    assert_eq!(
        attrs(&r[0], "rim:RegistryPackage", "id"),
        vec![set1.clone()],
        "{}",
        r[0]
    );
    let members = attrs(&r[0], "rim:ExtrinsicObject", "id");
    assert!(members.contains(&uuid1), "{}", r[0]);
    assert_eq!(members.len(), 2, "document + signature entry: {}", r[0]);
    assert!(!r[0].contains(&format!("value=\"{uid2}\"")), "{}", r[0]);
    let assoc_sources = attrs(&r[0], "rim:Association", "sourceObject");
    assert_eq!(assoc_sources, vec![set1.clone(), set1.clone()], "{}", r[0]);
    let mut assoc_targets = attrs(&r[0], "rim:Association", "targetObject");
    let mut want = members.clone();
    assoc_targets.sort();
    want.sort();
    assert_eq!(assoc_targets, want, "{}", r[0]);
    assert_eq!(
        attrs(&r[1], "rim:RegistryPackage", "id"),
        vec![set1],
        "{}",
        r[1]
    );
    assert!(!r[1].contains("<rim:ExtrinsicObject"), "{}", r[1]);
    assert!(r[2].contains("XDSStoredQueryParamNumber"), "{}", r[2]);
    assert!(
        r[3].contains("ResponseStatusType:Success") && !r[3].contains("<rim:RegistryPackage"),
        "{}",
        r[3]
    );
    sim.stop();
}

/// A configuration whose signatures chain to the fixtures' CA (as `serve` trusts its PKI's `ca.pem`).
fn trusted(state: &std::path::Path) -> Config {
    let mut cfg = Config::new(state);
    cfg.signature_trust = crate::dmp::fixture_trust(Vec::new());
    cfg
}

fn peer() -> Peer {
    crate::dmp::test_peer()
}

fn send(h: &Handler, body: Vec<u8>) -> String {
    let req = HttpRequest {
        method: "POST".into(),
        path: dmp::REPOSITORY_PATH.into(),
        content_type: Some(MTOM_CT.into()),
        body: body.into(),
    };
    match h.process(&req, &peer()) {
        Outcome::Respond(r, _) => String::from_utf8_lossy(&r.body).to_string(),
        Outcome::Drop => String::new(),
    }
}

/// DMP-VIHF-010 holds across the run: an assertion ID seen before a restart is a replay after it. The
/// registry comes back too, with the document read from the evidence store.
#[test]
fn assertion_ids_and_documents_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let body = fresh(&fixture());
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let id = text
        .split("<wsa:MessageID>urn:uuid:")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("message id")
        .to_string();
    {
        let h = Handler::open(trusted(dir.path())).expect("open");
        let r = send(&h, body.clone());
        assert!(r.contains("ResponseStatusType:Success"), "{r}");
        // One process (one handler) per state directory.
        assert!(matches!(
            Handler::open(trusted(dir.path())),
            Err(SetupError::Locked { .. })
        ));
    }
    let h = Handler::open(trusted(dir.path())).expect("reopen");
    // The same assertion under a new wsa:MessageID: a replayed assertion.
    let replay = replace(
        &body,
        &format!("urn:uuid:{id}</wsa:MessageID>"),
        &format!("urn:uuid:{}</wsa:MessageID>", uuid::Uuid::new_v4()),
    );
    let r = send(&h, replay);
    assert!(!r.contains("ResponseStatusType:Success"), "{r}");
    let findings =
        std::fs::read_to_string(dir.path().join("findings.jsonl")).expect("findings.jsonl");
    assert!(
        findings
            .lines()
            .any(|l| l.contains("\"requirement\":\"DMP-VIHF-010\"")
                && l.contains("\"verdict\":\"fail\"")),
        "{findings}"
    );
    // A fresh deposit is still accepted.
    let (fresh_body, _) = variant(7, 0);
    assert!(send(&h, fresh_body).contains("ResponseStatusType:Success"));
    // The document of the first deposit: in the registry by hash, its bytes in the evidence store.
    let reg = h.registry.lock().expect("lock");
    let uid = "1.2.250.1.213.4.99.1.20260315101500.2";
    let e = reg.by_unique_id(uid).expect("deposit replayed");
    let bytes = h.evidence.get(&e.document_sha256).expect("document object");
    assert_eq!(bytes.len() as u64, e.document_size);
    assert!(
        text.as_bytes()
            .windows(bytes.len())
            .any(|w| w == bytes.as_slice()),
        "the stored document is not the deposited part"
    );
}

/// One process per state directory: a second `serve` on it exits 2 with a configuration error.
#[test]
fn a_second_serve_on_the_same_state_dir_exits_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let endpoints = dir.path().join("endpoints.json");
    use crate::util::KillOnDrop as Guard;
    let _first = Guard(
        Command::new(env!("CARGO_BIN_EXE_dui-conform"))
            .args(["serve", "--state-dir"])
            .arg(&state)
            .arg("--endpoints-file")
            .arg(&endpoints)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let t = std::time::Instant::now();
    while !endpoints.exists() {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "first serve did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dui-conform"))
        .args(["serve", "--state-dir"])
        .arg(&state)
        .output()
        .expect("second serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("in use by another dui-conform process"),
        "{err}"
    );
}

/// A replacement (TD2.1: an ITI-41 with an RPLC association to the replaced entryUUID, DMP-TX-011) is
/// found with GetRelatedDocuments from the replaced document: both documents and the RPLC association; the
/// replaced one is Deprecated. Asked for another association type, nothing at all.
#[test]
fn a_replacement_is_found_by_get_related_documents() {
    if !have("python3", "--version") {
        return;
    }
    use dui_conform::checks::dmp::query_id as q;
    const RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";
    let sim = Sim::start(false);
    let dir = tempfile::tempdir().expect("tmp");
    let (d1, uid1) = variant(11, 0);
    let find = query(
        q::FIND_DOCUMENTS,
        &[
            ("$XDSDocumentEntryPatientId", &format!("'{PATIENT}'")),
            ("$XDSDocumentEntryStatus", &format!("('{APPROVED}')")),
        ],
    );
    let r = post(&sim, dir.path(), &[("d1.mtom", d1), ("docs.xml", find)]);
    assert!(r[0].contains("ResponseStatusType:Success"), "{}", r[0]);
    let uuid1 = attrs(&r[1], "rim:ExtrinsicObject", "id")
        .into_iter()
        .find(|u| {
            r[1].split(&format!("<rim:ExtrinsicObject id=\"{u}\""))
                .nth(1)
                .and_then(|s| s.split("</rim:ExtrinsicObject>").next())
                .is_some_and(|s| s.contains(&format!("value=\"{uid1}\"")))
        })
        .expect("d1 in FindDocuments");

    let (d2, _) = crate::dmp::replacement(12, &uid1, &uuid1, 2, |c| c);
    let related = |types: &str| {
        query(
            q::GET_RELATED_DOCUMENTS,
            &[
                ("$XDSDocumentEntryEntryUUID", &format!("'{uuid1}'")),
                ("$AssociationTypes", types),
            ],
        )
    };
    let r = post(
        &sim,
        dir.path(),
        &[
            ("d2.mtom", d2),
            ("related.xml", related(&format!("('{RPLC}')"))),
            (
                "related-apnd.xml",
                related("('urn:ihe:iti:2007:AssociationType:APND')"),
            ),
            (
                "related-no-types.xml",
                query(
                    q::GET_RELATED_DOCUMENTS,
                    &[("$XDSDocumentEntryEntryUUID", &format!("'{uuid1}'"))],
                ),
            ),
        ],
    );
    assert!(
        r[0].contains("ResponseStatusType:Success"),
        "{}\n{}",
        r[0],
        sim.findings()
    );
    let docs = attrs(&r[1], "rim:ExtrinsicObject", "id");
    assert_eq!(docs.len(), 2, "{}", r[1]);
    assert_eq!(docs[0], uuid1, "the originating document first: {}", r[1]);
    assert_eq!(
        attrs(&r[1], "rim:Association", "associationType"),
        vec![RPLC.to_string()]
    );
    assert_eq!(
        attrs(&r[1], "rim:Association", "targetObject"),
        vec![uuid1.clone()]
    );
    assert_eq!(
        attrs(&r[1], "rim:Association", "sourceObject"),
        vec![docs[1].clone()]
    );
    assert!(
        r[1].contains("urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"),
        "the replaced document is Deprecated: {}",
        r[1]
    );
    assert!(
        r[2].contains("ResponseStatusType:Success") && !r[2].contains("<rim:ExtrinsicObject"),
        "{}",
        r[2]
    );
    assert!(r[3].contains("XDSStoredQueryMissingParam"), "{}", r[3]);
    sim.stop();
}

/// The document side of a replacement: DMP-TX-011 (the new CDA names the replaced uniqueId as its RPLC
/// parent: a MUST, refused otherwise) and CDA-HDR-091 (same setId, versionNumber + 1, new id: a SHOULD,
/// recorded as a warning, the deposit goes through), compared with the replaced document as the
/// repository holds it.
#[test]
fn a_replacement_is_checked_against_the_version_it_replaces() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = Handler::open(trusted(dir.path())).expect("handler");
    let (d1, uid1) = variant(21, 0);
    let r = send(&h, d1);
    assert!(r.contains("ResponseStatusType:Success"), "{r}");
    let uuid1 = {
        let reg = h.registry.lock().expect("registry");
        reg.by_unique_id(&uid1)
            .expect("d1 registered")
            .entry_uuid
            .clone()
    };
    let findings = |h: &Handler, rule: &str| -> Vec<String> {
        std::fs::read_to_string(h.config.state_dir.join("findings.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("\"requirement\":\"{rule}\"")))
            .map(str::to_string)
            .collect()
    };

    // No relatedDocument: refused, nothing replaced.
    let (bad, _) = crate::dmp::replacement(22, &uid1, &uuid1, 2, |c| {
        let a = c.find("<relatedDocument").expect("related");
        let b = c.find("</relatedDocument>").expect("end") + "</relatedDocument>".len();
        format!("{}{}", &c[..a], &c[b..])
    });
    let r = send(&h, bad);
    assert!(
        r.contains("ResponseStatusType:Failure") && r.contains("XDSRegistryMetadataError"),
        "{r}"
    );
    let tx011 = findings(&h, "DMP-TX-011")
        .last()
        .cloned()
        .unwrap_or_default();
    assert!(
        tx011.contains("\"verdict\":\"fail\"") && tx011.contains(&uid1),
        "{tx011}"
    );

    // Same version number and another setId: recorded (SHOULD), accepted.
    let (sloppy, _) = crate::dmp::replacement(23, &uid1, &uuid1, 1, |c| {
        c.replacen(
            "<setId root=\"1.2.250.1.213.4.99.1.20260315101501\"/>",
            "<setId root=\"1.2.250.1.213.4.99.1.999\"/>",
            1,
        )
    });
    let r = send(&h, sloppy);
    assert!(r.contains("ResponseStatusType:Success"), "{r}");
    let hdr: Vec<String> = findings(&h, "CDA-HDR-091")
        .into_iter()
        .filter(|l| l.contains("\"verdict\":\"warning\""))
        .collect();
    assert_eq!(hdr.len(), 2, "{hdr:#?}");
    assert!(hdr.iter().any(|l| l.contains("setId")), "{hdr:#?}");
    assert!(
        hdr.iter().any(|l| l.contains("versionNumber 1")),
        "{hdr:#?}"
    );
    assert!(
        h.registry
            .lock()
            .expect("registry")
            .get(&uuid1)
            .expect("d1")
            .status
            == "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
    );

    // A proper next version of another document: every replacement rule passes.
    let (d3, uid3) = variant(24, 0);
    assert!(send(&h, d3).contains("ResponseStatusType:Success"));
    let uuid3 = h
        .registry
        .lock()
        .expect("registry")
        .by_unique_id(&uid3)
        .expect("d3")
        .entry_uuid
        .clone();
    // (findings.jsonl keeps what is not a pass: count the failures and warnings before and after.)
    let bad_lines = |h: &Handler| {
        ["DMP-TX-011", "CDA-HDR-091"]
            .iter()
            .flat_map(|r| findings(h, r))
            .filter(|l| l.contains("\"verdict\":\"fail\"") || l.contains("\"verdict\":\"warning\""))
            .count()
    };
    let before = bad_lines(&h);
    let (good, _) = crate::dmp::replacement(25, &uid3, &uuid3, 2, |c| c);
    let r = send(&h, good);
    assert!(r.contains("ResponseStatusType:Success"), "{r}");
    assert_eq!(
        bad_lines(&h),
        before,
        "{}",
        findings(&h, "CDA-HDR-091").join("\n")
    );
}
