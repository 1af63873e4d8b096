//! Renderers of a [`ValidationReport`]: `human` (terminal), `json` (the stable contract), `junit`,
//! `markdown`, `html` (self-contained, offline) and `svrl` (ISO Schematron report language).
//!
//! Every renderer goes through [`View`], which applies the language and the redaction of personal data
//! (INS, names, birth dates), so that no format can leak what another masks.

use crate::model::{Finding, Lang, ValidationReport};

pub mod human;
pub mod html;
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
        View { lang: Lang::Fr, redact: true, color: false }
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
        let in_patient = f.location.path.as_deref().is_some_and(|p| p.contains("/recordTarget"));
        let s = if in_patient { mask_xml_values(s) } else { s.to_string() };
        Some(self.mask(f, &s))
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
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                in_tag = true;
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            '"' | '\'' if in_tag => {
                out.push(c);
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                out.push_str(MASK);
                out.push(c);
            }
            _ if !in_tag && !c.is_whitespace() => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_snippets_are_masked() {
        assert_eq!(
            mask_xml_values(r#"<given qualifier="BR">JEAN</given>"#),
            r#"<given qualifier="[masqué]">[masqué]</given>"#
        );
    }
}
