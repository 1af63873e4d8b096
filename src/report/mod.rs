//! Renderers of a [`ValidationReport`]: `human` (terminal), `json` (the stable contract), `junit`,
//! `markdown`, `html` (self-contained, offline) and `svrl` (ISO Schematron report language).
//!
//! Every renderer goes through [`View`], which applies the language and the redaction of personal data
//! (INS, names, birth dates), so that no format can leak what another masks.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::catalogue;
use crate::model::{Confidence, Finding, Lang, Location, ValidationReport, Verdict};

pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod svrl;

/// Output format of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable terminal summary.
    Human,
    /// The JSON contract of ARCHITECTURE.md.
    Json,
    /// JUnit XML: one testcase per artifact × requirement.
    Junit,
    /// Markdown, for CI job summaries.
    Markdown,
    /// Self-contained HTML.
    Html,
    /// ISO Schematron Validation Report Language.
    Svrl,
}

/// Rendering settings shared by every format.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Language of messages and labels.
    pub lang: Lang,
    /// Mask personal data (default).
    pub redact: bool,
    /// Use ANSI colours (human format on a terminal).
    pub color: bool,
}

impl Default for View {
    fn default() -> View {
        View {
            lang: Lang::Fr,
            redact: true,
            color: false,
        }
    }
}

/// The mask put in place of a personal value.
pub const MASK: &str = "[masqué]";

impl View {
    /// The finding's message in the view's language, personal values masked.
    pub fn message(&self, f: &Finding) -> String {
        self.mask(f, f.message.get(self.lang))
    }

    /// The finding's snippet, personal values masked; a snippet inside the patient's identity
    /// (`recordTarget`) has every attribute value and text masked.
    pub fn snippet(&self, f: &Finding) -> Option<String> {
        let s = f.snippet.as_deref()?;
        if !self.redact {
            return Some(s.to_string());
        }
        let in_patient = f
            .location
            .path
            .as_deref()
            .is_some_and(|p| p.contains("/recordTarget"));
        let s = if in_patient {
            mask_xml_values(s)
        } else {
            s.to_string()
        };
        Some(self.mask(f, &s))
    }

    /// The text in the view's language: `view.pick("exigence", "requirement")`.
    pub fn pick<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        match self.lang {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The catalogue title of a requirement in the view's language (`None` for `KIT:…` and ids the
    /// catalogue does not know).
    pub fn title(&self, requirement: &str) -> Option<&'static str> {
        catalogue::get(requirement).map(|r| r.title(self.lang))
    }

    fn mask(&self, f: &Finding, s: &str) -> String {
        if !self.redact || f.personal.is_empty() {
            return s.to_string();
        }
        let mut out = s.to_string();
        let mut values: Vec<&String> = f.personal.iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for v in values {
            out = out.replace(v.as_str(), MASK);
        }
        out
    }
}

/// Replaces every quoted attribute value and every text between tags by the mask.
fn mask_xml_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut in_tag = false;
    // The attribute name being read, to keep structural attributes (codes, OIDs, qualifiers) readable:
    // they say what is wrong, and are not personal data.
    let mut name = String::new();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                in_tag = true;
                name.clear();
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            '"' | '\'' if in_tag => {
                out.push(c);
                let mut value = String::new();
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    value.push(d);
                }
                let attr = name
                    .trim()
                    .trim_end_matches('=')
                    .trim()
                    .rsplit(':')
                    .next()
                    .unwrap_or("")
                    .to_string();
                if STRUCTURAL_ATTRS.contains(&attr.as_str()) {
                    out.push_str(&value);
                } else {
                    out.push_str(MASK);
                }
                out.push(c);
                name.clear();
            }
            _ if in_tag => {
                if c.is_whitespace() {
                    name.clear();
                } else {
                    name.push(c);
                }
                out.push(c);
            }
            _ if !c.is_whitespace() => {
                while chars.peek().is_some_and(|&d| d != '<') {
                    chars.next();
                }
                out.push_str(MASK);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Attributes of the patient's identity elements that carry no personal data (codes, code systems,
/// OIDs, qualifiers, nullFlavors): kept readable in masked snippets. `value`, `extension` and text are
/// masked.
const STRUCTURAL_ATTRS: &[&str] = &[
    "root",
    "qualifier",
    "code",
    "codeSystem",
    "codeSystemName",
    "displayName",
    "nullFlavor",
    "use",
    "classCode",
    "moodCode",
    "typeCode",
    "type",
    "xmlns",
    "assigningAuthorityName",
];

/// Escapes text for XML and HTML (content and attribute values alike). Characters XML 1.0 forbids
/// (C0 controls but tab and line ends, lone surrogates cannot occur in `str`, U+FFFE/U+FFFF) become
/// U+FFFD, so a report quoting hostile bytes stays well-formed.
pub fn escape_xml(s: &str) -> Cow<'_, str> {
    let clean = |c: char| {
        !matches!(c, '<' | '>' | '&' | '"' | '\'' | '\u{FFFE}' | '\u{FFFF}')
            && (c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
    };
    if s.chars().all(clean) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `line:column` of a location, when known.
pub fn line_col(loc: &Location) -> Option<String> {
    match (loc.line, loc.column) {
        (Some(l), Some(c)) => Some(format!("{l}:{c}")),
        (Some(l), None) => Some(l.to_string()),
        _ => None,
    }
}

/// A location as one line of text: `entry · line:column · path`, the known parts only.
pub fn location_text(loc: &Location) -> String {
    let parts: Vec<String> = [loc.entry.clone(), line_col(loc), loc.path.clone()]
        .into_iter()
        .flatten()
        .collect();
    parts.join(" · ")
}

/// True when the requirement's source is secondary (confidence `V2`): reports say « source secondaire ».
pub fn is_secondary(requirement: &str) -> bool {
    catalogue::get(requirement).is_some_and(|r| r.confidence == Confidence::V2)
}

/// The findings of one artifact grouped by requirement, in requirement-id order, with the worst
/// verdict of each group (a rule may be violated at several places).
pub fn by_requirement(findings: &[Finding]) -> Vec<(&str, Verdict, Vec<&Finding>)> {
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups.entry(f.requirement.as_str()).or_default().push(f);
    }
    groups
        .into_iter()
        .map(|(id, fs)| {
            let worst = fs.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Pass);
            (id, worst, fs)
        })
        .collect()
}

/// Renders `report` in `format`.
pub fn render(report: &ValidationReport, format: Format, view: &View) -> String {
    match format {
        Format::Human => human::render(report, view),
        Format::Json => json::render(report, view),
        Format::Junit => junit::render(report, view),
        Format::Markdown => markdown::render(report, view),
        Format::Html => html::render(report, view),
        Format::Svrl => svrl::render(report, view),
    }
}

/// A hand-made report exercising every renderer: a failing CDA (a MUST of secondary source quoting an
/// INS, a SHOULD, an INFO, a pass, a not-applicable rule), a nested passing entry, and a message with
/// markup and control characters. Stable whatever rules the checks gain.
#[cfg(test)]
pub(crate) fn sample_report() -> ValidationReport {
    use crate::model::{ArtifactKind, ArtifactResult, Level, Msg};
    let f =
        |req: &str, level: Level, verdict: Verdict, fr: &str, en: &str, loc: Location| Finding {
            requirement: req.to_string(),
            level,
            verdict,
            message: Msg::new(fr, en),
            location: loc,
            snippet: None,
            personal: Vec::new(),
            kit: None,
        };
    let at = |line, column, path: &str| Location {
        line: Some(line),
        column: Some(column),
        path: Some(path.to_string()),
        ..Location::default()
    };
    let mut ins = f(
        "INS-021",
        Level::Must,
        Verdict::Fail,
        "Clé de contrôle du matricule INS 279035121518990 incorrecte : attendu 89",
        "Wrong control key of INS matricule 279035121518990: expected 89",
        at(12, 9, "/ClinicalDocument/recordTarget/patientRole/id[2]"),
    );
    ins.snippet = Some(r#"<id root="1.2.250.1.213.1.4.10" extension="279035121518990"/>"#.into());
    ins.personal = vec!["279035121518990".into()];
    let mut hostile = f(
        "CDA-HDR-024",
        Level::Should,
        Verdict::Warning,
        "effectiveTime « 20050411 » sans fuseau <horaire> & \u{1}contrôle | tube",
        "effectiveTime \"20050411\" without <offset> & \u{1}control | pipe",
        at(7, 3, "/ClinicalDocument/effectiveTime"),
    );
    hostile.snippet = Some("<effectiveTime value=\"20050411\"/>\u{0}`]]>".into());
    let cda = vec![
        ins,
        hostile,
        f(
            "INS-013",
            Level::Info,
            Verdict::Info,
            "OID INS de test",
            "Test INS OID",
            at(12, 9, "/ClinicalDocument/recordTarget/patientRole/id[2]"),
        ),
        f(
            "CDA-HDR-028",
            Level::Must,
            Verdict::Pass,
            "Le document porte un setId",
            "The document carries a setId",
            Location::default(),
        ),
        f(
            "CDA-N1-010",
            Level::Must,
            Verdict::NotApplicable,
            "Document structuré : règle N1 non applicable",
            "Structured document: N1 rule not applicable",
            Location::default(),
        ),
    ];
    let nested = vec![f(
        "CDA-HDR-028",
        Level::Must,
        Verdict::Pass,
        "Le document porte un setId",
        "The document carries a setId",
        Location {
            entry: Some("IHE_XDM/SUBSET01/DOC0001.XML".into()),
            ..Location::default()
        },
    )];
    let art = |path: &str, parent: Option<&str>, findings: Vec<Finding>| ArtifactResult {
        path: path.into(),
        kind: ArtifactKind::Cda,
        sha256: "0".repeat(64),
        size: 1234,
        verdict: ArtifactResult::compute_verdict(&findings),
        parent: parent.map(str::to_string),
        findings,
    };
    ValidationReport::new(vec![
        art("out/a&b <1>.xml", None, cda),
        art(
            "pkg.zip!IHE_XDM/SUBSET01/DOC0001.XML",
            Some("pkg.zip"),
            nested,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_xml_escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(escape_xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(
            escape_xml("x\u{0}y\u{1b}z\tw\n"),
            "x\u{FFFD}y\u{FFFD}z\tw\n"
        );
        assert!(matches!(escape_xml("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn patient_snippets_are_masked() {
        assert_eq!(
            mask_xml_values(r#"<given qualifier="BR">JEAN</given>"#),
            r#"<given qualifier="BR">[masqué]</given>"#
        );
        assert_eq!(
            mask_xml_values(r#"<id root="1.2.250.1.213.1.4.10" extension='279035121518989'/>"#),
            r#"<id root="1.2.250.1.213.1.4.10" extension='[masqué]'/>"#
        );
        assert_eq!(
            mask_xml_values(r#"<birthTime value="19790315"/>"#),
            r#"<birthTime value="[masqué]"/>"#
        );
    }
}
