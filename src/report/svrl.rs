//! ISO Schematron Validation Report Language (ISO/IEC 19757-3 Annex D, `http://purl.oclc.org/dsdl/svrl`),
//! so that tools reading the official ANS kit's SVRL output read ours.
//!
//! ```text
//! <svrl:schematron-output title schemaVersion>
//!   <svrl:active-pattern id="artifact-N" name=PATH documents=PATH/>   one per artifact
//!   <svrl:fired-rule id=REQUIREMENT context="/" role=LEVEL/>           one per evaluated requirement
//!   <svrl:failed-assert id=REQUIREMENT role="error"|"warning" location=PATH test=REQUIREMENT>
//!     <svrl:text>message</svrl:text>                                  one per fail / warning finding
//!   </svrl:failed-assert>
//!   <svrl:successful-report id role="info" location test>…            one per info finding
//! ```
//! `location` is the finding's XPath-like path (`/` when the finding is about the whole artifact,
//! prefixed by the nested entry when there is one). Requirements that did not apply fire no rule.
//! Texts go through [`View`] (language, masking of personal data).
//!
//! A finding of the official ANS kit (`KIT:<schematron>`, with its [`crate::model::KitOrigin`]) is
//! written as the kit's own SVRL would write it: a `fired-rule` with the rule's context (each time the
//! context changes), then the `failed-assert` or `successful-report` with the assert's `test`, its `role`
//! and `id` as the kit writes them (none when it gives none), the node's `location`, and the assert's
//! own message as `svrl:text`.

use std::fmt::Write;

use super::{by_requirement, escape_xml as esc, View};
use crate::model::{Finding, ValidationReport, Verdict};

/// The SVRL namespace.
pub const NS_SVRL: &str = "http://purl.oclc.org/dsdl/svrl";

/// Renders the report as SVRL.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<svrl:schematron-output xmlns:svrl=\"{NS_SVRL}\" title=\"{} {}\" schemaVersion=\"{}\">",
        esc(&report.tool.name),
        esc(&report.tool.version),
        esc(&report.catalogue_version)
    );
    let _ = writeln!(
        s,
        "  <svrl:ns-prefix-in-attribute-values uri=\"urn:hl7-org:v3\" prefix=\"hl7\"/>"
    );
    for (i, a) in report.artifacts.iter().enumerate() {
        let path = esc(&a.path);
        let _ = writeln!(
            s,
            "  <svrl:active-pattern id=\"artifact-{}\" name=\"{path}\" documents=\"{path}\"/>",
            i + 1
        );
        for (id, worst, fs) in by_requirement(&a.findings) {
            if worst == Verdict::NotApplicable {
                continue;
            }
            let role = fs.first().map_or("", |f| f.level.label(view.lang));
            // The context of the last fired-rule written: "/" for ours, the rule's for the kit's.
            let mut context: Option<&str> = None;
            for f in fs {
                let want = f.kit.as_ref().map_or("/", |k| k.rule_context.as_str());
                if context != Some(want) {
                    if f.kit.is_some() {
                        let _ = writeln!(
                            s,
                            "  <svrl:fired-rule id=\"{}\" context=\"{}\"/>",
                            esc(id),
                            esc(want)
                        );
                    } else {
                        let _ = writeln!(
                            s,
                            "  <svrl:fired-rule id=\"{}\" context=\"/\" role=\"{}\"/>",
                            esc(id),
                            esc(role)
                        );
                    }
                    context = Some(want);
                }
                if let Some(k) = &f.kit {
                    kit_assert(&mut s, f, k, view);
                    continue;
                }
                let (elem, role) = match f.verdict {
                    Verdict::Fail => ("failed-assert", "error"),
                    Verdict::Warning => ("failed-assert", "warning"),
                    Verdict::Info => ("successful-report", "info"),
                    Verdict::Pass | Verdict::NotApplicable => continue,
                };
                let _ = writeln!(
                    s,
                    "  <svrl:{elem} id=\"{id}\" role=\"{role}\" location=\"{}\" test=\"{id}\">\n    <svrl:text>{}</svrl:text>\n  </svrl:{elem}>",
                    esc(&location(f)),
                    esc(&view.message(f)),
                    id = esc(id),
                );
            }
        }
    }
    s.push_str("</svrl:schematron-output>\n");
    s
}

/// A failed assert or successful report of the official kit, as the kit writes it.
fn kit_assert(s: &mut String, f: &Finding, k: &crate::model::KitOrigin, view: &View) {
    let elem = if k.kind == "successful-report" {
        "successful-report"
    } else {
        "failed-assert"
    };
    let mut attrs = format!(
        "test=\"{}\" location=\"{}\"",
        esc(&k.test),
        esc(&location(f))
    );
    if let Some(id) = &k.id {
        let _ = write!(attrs, " id=\"{}\"", esc(id));
    }
    if let Some(role) = &k.role {
        let _ = write!(attrs, " role=\"{}\"", esc(role));
    }
    let _ = writeln!(
        s,
        "  <svrl:{elem} {attrs}>\n    <svrl:text>{}</svrl:text>\n  </svrl:{elem}>",
        esc(&view.mask(f, &k.text))
    );
}

/// The XPath-like location of a finding: its path, `/` when it has none; prefixed by the nested
/// entry (`IHE_XDM/SUBSET01/DOC0001.XML!/ClinicalDocument/…`) when there is one.
fn location(f: &Finding) -> String {
    let path = f.location.path.as_deref().unwrap_or("/");
    match &f.location.entry {
        Some(e) => format!("{e}!{path}"),
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    #[test]
    fn well_formed_svrl_with_patterns_rules_and_asserts() {
        let xml = render(&sample_report(), &View::default());
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().namespace(), Some(NS_SVRL));
        assert_eq!(root.tag_name().name(), "schematron-output");
        let svrl = |name: &str| -> Vec<roxmltree::Node<'_, '_>> {
            root.children()
                .filter(|n| {
                    n.tag_name().namespace() == Some(NS_SVRL) && n.tag_name().name() == name
                })
                .collect()
        };
        let patterns = svrl("active-pattern");
        assert_eq!(patterns.len(), 2);
        assert_eq!(patterns[0].attribute("documents"), Some("out/a&b <1>.xml"));
        // INS-021, CDA-HDR-024, INS-013, CDA-HDR-028 fired on the first artifact; CDA-HDR-028 on the second.
        assert_eq!(svrl("fired-rule").len(), 5);
        let asserts = svrl("failed-assert");
        assert_eq!(asserts.len(), 2);
        let ins = asserts
            .iter()
            .find(|a| a.attribute("id") == Some("INS-021"))
            .unwrap();
        assert_eq!(ins.attribute("role"), Some("error"));
        assert_eq!(
            ins.attribute("location"),
            Some("/ClinicalDocument/recordTarget/patientRole/id[2]")
        );
        let text = ins
            .children()
            .find(|n| n.has_tag_name((NS_SVRL, "text")))
            .unwrap()
            .text()
            .unwrap();
        assert!(text.contains(crate::report::MASK) && !text.contains("279035121518990"));
        let warn = asserts
            .iter()
            .find(|a| a.attribute("id") == Some("CDA-HDR-024"))
            .unwrap();
        assert_eq!(warn.attribute("role"), Some("warning"));
        let reports = svrl("successful-report");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].attribute("role"), Some("info"));
        // Every assert and report follows a fired rule of its pattern.
        let kids: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        for (i, k) in kids.iter().enumerate() {
            if k.tag_name().name() == "failed-assert" || k.tag_name().name() == "successful-report"
            {
                let prev = kids[..i].iter().rev().find(|p| {
                    p.tag_name().name() != "failed-assert"
                        && p.tag_name().name() != "successful-report"
                });
                assert_eq!(prev.map(|p| p.tag_name().name()), Some("fired-rule"));
            }
        }
    }

    #[test]
    fn kit_findings_are_written_as_the_kit_writes_them() {
        let mut r = sample_report();
        let mut f = r.artifacts[0].findings[0].clone();
        f.requirement = "KIT:ASIP-STRUCT-MIN-StrucMin.sch".into();
        f.location.path = Some("/*:ClinicalDocument[namespace-uri()='urn:hl7-org:v3'][1]".into());
        let origin = crate::model::KitOrigin {
            schematron: "profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch".into(),
            kind: "failed-assert".into(),
            test: "count(hl7:setId) >= 1 and @a < 2".into(),
            role: Some("error".into()),
            id: None,
            rule_context: "//hl7:ClinicalDocument".into(),
            text: "setId & co".into(),
            source: "x.sch:3".into(),
            kit_version: "7cd489b".into(),
        };
        f.kit = Some(Box::new(origin.clone()));
        let mut g = f.clone();
        g.kit = Some(Box::new(crate::model::KitOrigin {
            kind: "successful-report".into(),
            role: None,
            ..origin
        }));
        r.artifacts[0].findings = vec![f, g];
        let xml = render(&r, &View::default());
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let kids: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        let rules: Vec<_> = kids
            .iter()
            .filter(|n| n.has_tag_name((NS_SVRL, "fired-rule")))
            .filter(|n| n.attribute("id").is_some_and(|i| i.starts_with("KIT:")))
            .collect();
        // One fired-rule for the two asserts of the same rule context.
        assert_eq!(rules.len(), 1, "{xml}");
        assert_eq!(
            rules[0].attribute("context"),
            Some("//hl7:ClinicalDocument")
        );
        let fa = kids
            .iter()
            .find(|n| n.has_tag_name((NS_SVRL, "failed-assert")))
            .expect("failed-assert");
        assert_eq!(
            fa.attribute("test"),
            Some("count(hl7:setId) >= 1 and @a < 2")
        );
        assert_eq!(fa.attribute("role"), Some("error"));
        assert_eq!(
            fa.attribute("location"),
            Some("/*:ClinicalDocument[namespace-uri()='urn:hl7-org:v3'][1]")
        );
        let text = fa
            .children()
            .find(|n| n.has_tag_name((NS_SVRL, "text")))
            .and_then(|n| n.text());
        assert_eq!(text, Some("setId & co"));
        let sr = kids
            .iter()
            .find(|n| n.has_tag_name((NS_SVRL, "successful-report")))
            .expect("successful-report");
        assert_eq!(
            sr.attribute("role"),
            None,
            "no role when the kit gives none"
        );
    }

    #[test]
    fn nested_entries_prefix_the_location() {
        let mut r = sample_report();
        r.artifacts[1].findings[0].verdict = Verdict::Fail;
        r.artifacts[1].findings[0].location.path = Some("/ClinicalDocument".into());
        let xml = render(&r, &View::default());
        assert!(xml.contains("location=\"IHE_XDM/SUBSET01/DOC0001.XML!/ClinicalDocument\""));
    }
}
