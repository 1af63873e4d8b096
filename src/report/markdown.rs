//! Markdown, for CI job summaries (`$GITHUB_STEP_SUMMARY`, GitLab MR notes): a summary table of the
//! artifacts and their verdicts, then, for each artifact that fails or warns, a table of its
//! non-passing findings (requirement, level, verdict, location, message), then the tool and catalogue
//! versions.
//!
//! Cells are escaped for GitHub-flavoured Markdown tables (`|`, line breaks, inline HTML); locations and
//! snippets go in code spans. Messages go through [`View`] (language, masking of personal data).

use std::fmt::Write;

use super::{line_col, View};
use crate::model::{ArtifactResult, ValidationReport, Verdict};

/// Renders the report as Markdown.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let mut s = String::new();
    let sm = &report.summary;
    let _ = writeln!(
        s,
        "## {}\n",
        view.pick(
            "dui-conform — rapport de validation",
            "dui-conform — validation report"
        )
    );
    let _ = writeln!(
        s,
        "{} {} · {} {} · {} {} · {} {}\n",
        sm.artifacts,
        view.pick("artefact(s)", "artifact(s)"),
        sm.passed,
        view.pick("conforme(s)", "passed"),
        sm.failed,
        view.pick("non conforme(s)", "failed"),
        sm.warnings,
        view.pick("avec avertissements", "with warnings"),
    );
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} |\n|---|---|---|---:|---:|",
        view.pick("artefact", "artifact"),
        view.pick("type", "kind"),
        view.pick("verdict", "verdict"),
        view.pick("échecs", "failures"),
        view.pick("avertissements", "warnings"),
    );
    for a in &report.artifacts {
        let _ = writeln!(
            s,
            "| {} | {} | {} {} | {} | {} |",
            code(&a.path),
            a.kind.as_str(),
            icon(a.verdict),
            a.verdict.label(view.lang),
            count(a, Verdict::Fail),
            count(a, Verdict::Warning),
        );
    }
    for a in report
        .artifacts
        .iter()
        .filter(|a| matches!(a.verdict, Verdict::Fail | Verdict::Warning))
    {
        let _ = writeln!(
            s,
            "\n### {} {} — {}\n",
            icon(a.verdict),
            code(&a.path),
            a.verdict.label(view.lang)
        );
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
            view.pick("exigence", "requirement"),
            view.pick("niveau", "level"),
            view.pick("verdict", "verdict"),
            view.pick("emplacement", "location"),
            view.pick("message", "message"),
        );
        let mut shown: Vec<_> = a
            .findings
            .iter()
            .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warning | Verdict::Info))
            .collect();
        shown.sort_by_key(|f| std::cmp::Reverse(f.verdict));
        for f in shown {
            let req = match view.title(&f.requirement) {
                Some(t) => format!("**{}** {}", cell(&f.requirement), cell(t)),
                None => format!("**{}**", cell(&f.requirement)),
            };
            let loc: Vec<String> = [
                f.location.entry.clone(),
                line_col(&f.location),
                f.location.path.clone(),
            ]
            .into_iter()
            .flatten()
            .map(|p| code(&p))
            .collect();
            let mut msg = cell(&view.message(f));
            if let Some(sn) = view.snippet(f) {
                if f.verdict != Verdict::Info {
                    let _ = write!(msg, "<br>{}", code(&sn));
                }
            }
            let _ = writeln!(
                s,
                "| {req} | {} | {} {} | {} | {msg} |",
                f.level.label(view.lang),
                icon(f.verdict),
                f.verdict.label(view.lang),
                loc.join("<br>"),
            );
        }
    }
    let kit = report
        .official_kit
        .as_ref()
        .map(|k| {
            format!(
                " · {} {}",
                view.pick("kit officiel ANS", "official ANS kit"),
                k.short()
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "\n<sub>{} {} · {} {}{kit}</sub>",
        report.tool.name,
        report.tool.version,
        view.pick("catalogue", "catalogue"),
        report.catalogue_version
    );
    s
}

fn count(a: &ArtifactResult, v: Verdict) -> usize {
    a.findings.iter().filter(|f| f.verdict == v).count()
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Fail => "❌",
        Verdict::Warning => "⚠️",
        Verdict::Info => "ℹ️",
        Verdict::Pass => "✅",
        Verdict::NotApplicable => "➖",
    }
}

/// Text for a table cell: one line, `|` escaped, inline HTML neutralised.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span holding `s` verbatim (on one line, `|` escaped for tables), with a fence
/// longer than any run of backticks inside it.
fn code(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect();
    let one_line = one_line.replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') || longest > 0 {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    #[test]
    fn summary_then_findings_of_failing_artifacts() {
        let md = render(&sample_report(), &View::default());
        assert!(md.starts_with("## dui-conform — rapport de validation"));
        assert!(
            md.contains("| `out/a&b <1>.xml` | cda | ❌ non conforme | 1 | 1 |"),
            "{md}"
        );
        assert!(
            md.contains("| `pkg.zip!IHE_XDM/SUBSET01/DOC0001.XML` | cda | ✅ conforme | 0 | 0 |"),
            "{md}"
        );
        // Only the failing artifact gets a findings table.
        assert_eq!(md.matches("\n### ").count(), 1, "{md}");
        assert!(md.contains("**INS-021** La clé de contrôle"), "{md}");
        assert!(
            md.contains("catalogue 2026")
                || md.contains(&format!("catalogue {}", crate::catalogue::version()))
        );
    }

    #[test]
    fn every_table_row_has_the_header_column_count() {
        let md = render(
            &sample_report(),
            &View {
                redact: false,
                ..View::default()
            },
        );
        let mut expected = None;
        for line in md.lines() {
            if line.starts_with('|') {
                // Count unescaped pipes.
                let cols = line.replace("\\|", "").matches('|').count();
                match expected {
                    None => expected = Some(cols),
                    Some(e) => assert_eq!(cols, e, "row: {line}"),
                }
            } else {
                expected = None;
            }
        }
        assert!(!md.contains("<horaire>"), "inline HTML is neutralised");
        assert!(!md.contains('\u{1}') && !md.contains('\u{0}'));
    }

    #[test]
    fn personal_data_is_masked() {
        let r = sample_report();
        assert!(!render(&r, &View::default()).contains("279035121518990"));
        assert!(render(
            &r,
            &View {
                redact: false,
                ..View::default()
            }
        )
        .contains("279035121518990"));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("x|y"), "`x\\|y`");
    }
}
