//! JUnit XML, for CI pipelines (GitLab, Jenkins, GitHub test reporters).
//!
//! ```text
//! <testsuites name="dui-conform" tests failures errors skipped>
//!   <testsuite name=ARTIFACT tests failures errors skipped>          one per artifact
//!     <properties> tool, tool.version, catalogue_version, kind, sha256, verdict </properties>
//!     <testcase classname=ARTIFACT name="ID — title">                 one per artifact × requirement
//!       <failure message type=LEVEL>…</failure>                     a `fail` finding (exit code 1)
//!       <skipped message/>                                          `not_applicable`
//!       <system-out>…</system-out>                                  warnings and infos (never failures)
//! ```
//! Warnings are not failures, so that a CI job's red/green follows the exit code. Every text goes
//! through [`View`] (language, masking of personal data) and [`escape_xml`].

use std::fmt::Write;

use super::{by_requirement, escape_xml, location_text, View};
use crate::model::{ArtifactResult, Finding, ValidationReport, Verdict};

/// Renders the report as JUnit XML.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    let mut suites = String::new();
    for a in &report.artifacts {
        let (t, f, k) = suite(&mut suites, report, a, view);
        tests += t;
        failures += f;
        skipped += k;
    }
    let _ = writeln!(
        s,
        "<testsuites name=\"dui-conform\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    s.push_str(&suites);
    s.push_str("</testsuites>\n");
    s
}

/// One `<testsuite>`; returns (tests, failures, skipped).
fn suite(
    s: &mut String,
    report: &ValidationReport,
    a: &ArtifactResult,
    view: &View,
) -> (usize, usize, usize) {
    let groups = by_requirement(&a.findings);
    let failures = groups.iter().filter(|g| g.1 == Verdict::Fail).count();
    let skipped = groups
        .iter()
        .filter(|g| g.1 == Verdict::NotApplicable)
        .count();
    let path = escape_xml(&a.path);
    let _ = writeln!(
        s,
        "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        groups.len()
    );
    s.push_str("    <properties>\n");
    let mut props = vec![
        ("tool", report.tool.name.as_str()),
        ("tool.version", report.tool.version.as_str()),
        ("catalogue_version", report.catalogue_version.as_str()),
        ("kind", a.kind.as_str()),
        ("sha256", a.sha256.as_str()),
        ("verdict", a.verdict.as_str()),
    ];
    if let Some(p) = &a.parent {
        props.push(("parent", p.as_str()));
    }
    if let Some(k) = &report.official_kit {
        if let Some(c) = &k.commit {
            props.push(("official_kit.commit", c.as_str()));
        }
        props.push(("official_kit.sha256", k.content_sha256.as_str()));
    }
    for (k, v) in props {
        let _ = writeln!(
            s,
            "      <property name=\"{k}\" value=\"{}\"/>",
            escape_xml(v)
        );
    }
    s.push_str("    </properties>\n");
    for (id, worst, fs) in &groups {
        let name = match view.title(id) {
            Some(t) => format!("{id} — {t}"),
            None => id.to_string(),
        };
        let _ = write!(
            s,
            "    <testcase classname=\"{path}\" name=\"{}\"",
            escape_xml(&name)
        );
        let fails: Vec<_> = fs.iter().filter(|f| f.verdict == Verdict::Fail).collect();
        let notes: Vec<_> = fs
            .iter()
            .filter(|f| matches!(f.verdict, Verdict::Warning | Verdict::Info))
            .collect();
        if fails.is_empty() && notes.is_empty() && *worst != Verdict::NotApplicable {
            s.push_str("/>\n");
            continue;
        }
        s.push_str(">\n");
        if let Some(first) = fails.first() {
            let level = first.level.label(view.lang);
            let _ = write!(
                s,
                "      <failure message=\"{}\" type=\"{}\">",
                escape_xml(&view.message(first)),
                escape_xml(level)
            );
            let body: String = fails.iter().map(|f| detail(f, view)).collect();
            let _ = writeln!(s, "{}</failure>", escape_xml(&body));
        } else if *worst == Verdict::NotApplicable {
            let msg = fs.first().map(|f| view.message(f)).unwrap_or_default();
            let _ = writeln!(s, "      <skipped message=\"{}\"/>", escape_xml(&msg));
        }
        if !notes.is_empty() {
            let body: String = notes.iter().map(|f| detail(f, view)).collect();
            let _ = writeln!(s, "      <system-out>{}</system-out>", escape_xml(&body));
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n");
    (groups.len(), failures, skipped)
}

/// One finding as plain text lines: `[verdict] ID location`, message, snippet.
fn detail(f: &Finding, view: &View) -> String {
    let mut out = format!("[{}] {}", f.verdict.label(view.lang), f.requirement);
    let loc = location_text(&f.location);
    if !loc.is_empty() {
        let _ = write!(out, " {loc}");
    }
    let _ = write!(out, "\n{}\n", view.message(f));
    if let Some(sn) = view.snippet(f) {
        let _ = writeln!(out, "{sn}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    fn parse(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
    }

    #[test]
    fn one_suite_per_artifact_and_one_case_per_requirement() {
        let xml = render(&sample_report(), &View::default());
        let doc = parse(&xml);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("failures"), Some("1"));
        assert_eq!(root.attribute("skipped"), Some("1"));
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suites.len(), 2);
        assert_eq!(suites[0].attribute("name"), Some("out/a&b <1>.xml"));
        assert_eq!(suites[0].attribute("tests"), Some("5"));
        let cases: Vec<_> = suites[0]
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 5);
        assert!(cases
            .iter()
            .all(|c| c.attribute("classname") == Some("out/a&b <1>.xml")));
        let ins = cases
            .iter()
            .find(|c| {
                c.attribute("name")
                    .is_some_and(|n| n.starts_with("INS-021 — "))
            })
            .unwrap();
        let failure = ins.children().find(|n| n.has_tag_name("failure")).unwrap();
        assert_eq!(failure.attribute("type"), Some("exigence"));
        let n1 = cases
            .iter()
            .find(|c| {
                c.attribute("name")
                    .is_some_and(|n| n.starts_with("CDA-N1-010"))
            })
            .unwrap();
        assert!(n1.children().any(|n| n.has_tag_name("skipped")));
        let warn = cases
            .iter()
            .find(|c| {
                c.attribute("name")
                    .is_some_and(|n| n.starts_with("CDA-HDR-024"))
            })
            .unwrap();
        assert!(
            !warn.children().any(|n| n.has_tag_name("failure")),
            "warnings are not failures"
        );
        let out = warn
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap();
        assert!(
            out.text().unwrap().contains("<offset>") || out.text().unwrap().contains("<horaire>")
        );
        let props: Vec<_> = suites[0]
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .collect();
        assert!(props
            .iter()
            .any(|p| p.attribute("name") == Some("catalogue_version")));
        assert!(props
            .iter()
            .any(|p| p.attribute("name") == Some("tool.version")));
    }

    #[test]
    fn personal_data_is_masked_unless_asked() {
        let r = sample_report();
        let masked = render(&r, &View::default());
        assert!(!masked.contains("279035121518990"));
        assert!(masked.contains(super::super::MASK));
        let clear = render(
            &r,
            &View {
                redact: false,
                ..View::default()
            },
        );
        assert!(clear.contains("279035121518990"));
        parse(&clear);
    }

    #[test]
    fn english_titles_and_labels() {
        let xml = render(
            &sample_report(),
            &View {
                lang: crate::model::Lang::En,
                ..View::default()
            },
        );
        let doc = parse(&xml);
        let f = doc
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(f.attribute("type"), Some("requirement"));
        assert!(f
            .attribute("message")
            .unwrap()
            .starts_with("Wrong control key"));
    }
}
