//! One self-contained HTML file an auditor opens offline: inline CSS, no external resource, no script
//! (folding uses `<details>`), French by default (`<html lang="fr">`).
//!
//! Layout: a header (tool, catalogue version, counts), a table of the artifacts linking to their
//! sections, then per artifact a section with its verdict and its non-passing findings grouped by
//! domain (id prefix). Each finding shows the requirement id and title, its level label
//! (« exigence » / « recommandation » / « information »), « source secondaire » when the rule's source
//! is secondary (V2), the rule's source, the location (entry, line:column, path), the snippet in a
//! `<pre>` and the message. The rules that passed or did not apply are listed in a folded block.
//!
//! No date is written: the same report renders to the same bytes. Every text goes through [`View`]
//! (language, masking of personal data) and [`escape_xml`].

use std::fmt::Write;

use super::human::domain;
use super::{escape_xml as esc, is_secondary, line_col, View};
use crate::catalogue;
use crate::model::{ArtifactResult, Finding, ValidationReport, Verdict};

const CSS: &str = "\
:root{--fail:#b00020;--warn:#a05a00;--info:#0b5cad;--pass:#1b7f3b;--na:#666;--bg:#fafafa;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1.25rem}
header{padding-top:1.25rem;border-bottom:1px solid var(--line)}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}
h2{font-size:1.15rem;margin:0;word-break:break-all}
h3{font-size:1rem;margin:1.2rem 0 .4rem;color:#333;border-bottom:1px solid var(--line)}
.meta{color:#555;font-size:.9rem;margin:.3rem 0 1rem}
.counts span{margin-right:1.2rem}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg)}
td.num{text-align:right}
td a{word-break:break-all}
section.artifact{border:1px solid var(--line);border-radius:6px;margin:1.5rem 0;padding:1rem 1.1rem}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:4px;font-size:.78rem;font-weight:600;color:#fff;vertical-align:middle;white-space:nowrap}
.v-fail{background:var(--fail)}.v-warning{background:var(--warn)}.v-info{background:var(--info)}
.v-pass{background:var(--pass)}.v-not_applicable{background:var(--na)}
.tag{display:inline-block;padding:0 .4rem;border:1px solid #999;border-radius:4px;font-size:.75rem;color:#444;margin-left:.3rem}
.tag.secondary{border-color:var(--warn);color:var(--warn)}
article.finding{border-left:4px solid var(--line);padding:.3rem .8rem;margin:.7rem 0;background:var(--bg)}
article.fail{border-left-color:var(--fail)}article.warning{border-left-color:var(--warn)}article.info{border-left-color:var(--info)}
article p{margin:.3rem 0}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0;font-size:.88rem}
dt{color:#555}dd{margin:0;word-break:break-word}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#fff;border:1px solid var(--line);padding:.4rem .6rem;white-space:pre-wrap;word-break:break-all;margin:.3rem 0}
details{margin-top:1rem}summary{cursor:pointer;color:#333}
details ul{columns:2;font-size:.85rem}
footer{color:#666;font-size:.85rem;padding-bottom:2rem}
@media print{details{display:block}section.artifact{break-inside:avoid-page}}
";

/// Renders the report as one self-contained HTML page.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let mut s = String::new();
    let lang = view.pick("fr", "en");
    let title = view.pick(
        "Rapport de conformité dui-conform",
        "dui-conform conformance report",
    );
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        esc(&report.tool.name),
        esc(&report.tool.version)
    );
    let sm = &report.summary;
    let _ = write!(
        s,
        "<header>\n<h1>{title}</h1>\n<p class=\"meta\">{} {} · {} {}{}</p>\n\
         <p class=\"counts\"><span><b>{}</b> {}</span><span class=\"c-pass\"><b>{}</b> {}</span>\
         <span><b>{}</b> {}</span><span><b>{}</b> {}</span></p>\n</header>\n<main>\n",
        esc(&report.tool.name),
        esc(&report.tool.version),
        view.pick("catalogue des exigences", "requirement catalogue"),
        esc(&report.catalogue_version),
        report
            .official_kit
            .as_ref()
            .map(|k| format!(
                " · {} {}",
                view.pick("kit officiel ANS", "official ANS kit"),
                esc(&k.short())
            ))
            .unwrap_or_default(),
        sm.artifacts,
        view.pick("artefact(s)", "artifact(s)"),
        sm.passed,
        view.pick("conforme(s)", "passed"),
        sm.failed,
        view.pick("non conforme(s)", "failed"),
        sm.warnings,
        view.pick("avec avertissements", "with warnings"),
    );
    summary_table(&mut s, report, view);
    for (i, a) in report.artifacts.iter().enumerate() {
        artifact(&mut s, i, a, view);
    }
    let _ = write!(
        s,
        "</main>\n<footer>\n<p>{} {} · {} {} · {}</p>\n</footer>\n</body>\n</html>\n",
        esc(&report.tool.name),
        esc(&report.tool.version),
        view.pick("catalogue", "catalogue"),
        esc(&report.catalogue_version),
        view.pick(
            "Les données personnelles (INS, noms, dates de naissance) sont masquées sauf avec --no-redact.",
            "Personal data (INS, names, birth dates) is masked unless --no-redact is given."
        ),
    );
    s
}

fn badge(v: Verdict, view: &View) -> String {
    format!(
        "<span class=\"badge v-{}\">{}</span>",
        v.as_str(),
        esc(v.label(view.lang))
    )
}

fn count(a: &ArtifactResult, v: Verdict) -> usize {
    a.findings.iter().filter(|f| f.verdict == v).count()
}

fn summary_table(s: &mut String, report: &ValidationReport, view: &View) {
    let _ = writeln!(
        s,
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
        view.pick("artefact", "artifact"),
        view.pick("type", "kind"),
        view.pick("verdict", "verdict"),
        view.pick("échecs", "failures"),
        view.pick("avertissements", "warnings"),
    );
    for (i, a) in report.artifacts.iter().enumerate() {
        let _ = writeln!(
            s,
            "<tr><td><a href=\"#a{i}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&a.path),
            a.kind.as_str(),
            badge(a.verdict, view),
            count(a, Verdict::Fail),
            count(a, Verdict::Warning),
        );
    }
    s.push_str("</tbody>\n</table>\n");
}

fn artifact(s: &mut String, i: usize, a: &ArtifactResult, view: &View) {
    let _ = writeln!(
        s,
        "<section class=\"artifact\" id=\"a{i}\">\n<h2>{} <code>{}</code></h2>",
        badge(a.verdict, view),
        esc(&a.path)
    );
    let _ = write!(
        s,
        "<p class=\"meta\">{} <code>{}</code> · {} {} · SHA-256 <code>{}</code>",
        view.pick("type", "kind"),
        a.kind.as_str(),
        a.size,
        view.pick("octets", "bytes"),
        esc(&a.sha256)
    );
    if let Some(p) = &a.parent {
        let _ = write!(
            s,
            " · {} <code>{}</code>",
            view.pick("contenu dans", "inside"),
            esc(p)
        );
    }
    s.push_str("</p>\n");
    let mut shown: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warning | Verdict::Info))
        .collect();
    // Grouped by domain, the domains with the worst findings first (failures before warnings before
    // infos, then by name), the worst first inside a domain; stable otherwise (check order).
    let mut worst: std::collections::HashMap<&str, Verdict> = std::collections::HashMap::new();
    for f in &shown {
        let w = worst.entry(domain(&f.requirement)).or_insert(f.verdict);
        *w = (*w).max(f.verdict);
    }
    shown.sort_by(|x, y| {
        let (dx, dy) = (domain(&x.requirement), domain(&y.requirement));
        let rank = |d: &str| std::cmp::Reverse(worst.get(d).copied().unwrap_or(Verdict::Info));
        rank(dx)
            .cmp(&rank(dy))
            .then(dx.cmp(dy))
            .then(y.verdict.cmp(&x.verdict))
    });
    if shown.is_empty() {
        let _ = writeln!(
            s,
            "<p>{}</p>",
            view.pick("Aucune non-conformité relevée.", "No non-conformity found.")
        );
    }
    let mut last = None;
    for f in shown {
        let d = domain(&f.requirement);
        if last != Some(d) {
            let _ = writeln!(s, "<h3>{}</h3>", esc(d));
            last = Some(d);
        }
        finding(s, f, view);
    }
    passed_list(s, a, view);
    s.push_str("</section>\n");
}

fn finding(s: &mut String, f: &Finding, view: &View) {
    let req = catalogue::get(&f.requirement);
    let _ = write!(
        s,
        "<article class=\"finding {}\">\n<p>{} <span class=\"id\">{}</span>",
        f.verdict.as_str(),
        badge(f.verdict, view),
        esc(&f.requirement)
    );
    if let Some(r) = req {
        let _ = write!(s, " — {}", esc(r.title(view.lang)));
    }
    let _ = write!(
        s,
        " <span class=\"tag\">{}</span>",
        esc(f.level.label(view.lang))
    );
    if is_secondary(&f.requirement) {
        let _ = write!(
            s,
            "<span class=\"tag secondary\">{}</span>",
            view.pick("source secondaire", "secondary source")
        );
    }
    let _ = writeln!(s, "</p>\n<p class=\"msg\">{}</p>", esc(&view.message(f)));
    s.push_str("<dl>\n");
    if let Some(r) = req {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd>{}</dd>",
            view.pick("Source", "Source"),
            esc(&r.source)
        );
    }
    let loc = &f.location;
    if let Some(e) = &loc.entry {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            view.pick("Partie", "Entry"),
            esc(e)
        );
    }
    if let Some(lc) = line_col(loc) {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd><code>{lc}</code></dd>",
            view.pick("Ligne:colonne", "Line:column")
        );
    }
    if let Some(p) = &loc.path {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd><code>{}</code></dd>",
            view.pick("Chemin", "Path"),
            esc(p)
        );
    }
    s.push_str("</dl>\n");
    if let Some(sn) = view.snippet(f) {
        let _ = writeln!(s, "<pre>{}</pre>", esc(&sn));
    }
    s.push_str("</article>\n");
}

/// The rules that passed or did not apply, folded.
fn passed_list(s: &mut String, a: &ArtifactResult, view: &View) {
    let passed: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Pass)
        .collect();
    let na: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::NotApplicable)
        .collect();
    if passed.is_empty() && na.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<details>\n<summary>{} {} · {} {}</summary>",
        passed.len(),
        view.pick(
            "exigence(s) vérifiée(s) conforme(s)",
            "rule(s) checked and passed"
        ),
        na.len(),
        view.pick("non applicable(s)", "not applicable"),
    );
    for list in [&passed, &na] {
        if list.is_empty() {
            continue;
        }
        s.push_str("<ul>\n");
        for f in list.iter() {
            let text = match f.verdict {
                Verdict::NotApplicable => view.message(f),
                _ => view
                    .title(&f.requirement)
                    .map_or_else(|| view.message(f), str::to_string),
            };
            let _ = writeln!(
                s,
                "<li>{} <span class=\"id\">{}</span> {}</li>",
                badge(f.verdict, view),
                esc(&f.requirement),
                esc(&text)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lang;
    use crate::report::sample_report;

    #[test]
    fn self_contained_french_page() {
        let html = render(&sample_report(), &View::default());
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
        for external in [
            "<script", "<link", "src=", "http://", "https://", "@import", "url(",
        ] {
            assert!(
                !html.contains(external),
                "external resource or script: {external}"
            );
        }
        assert!(html.contains("exigence"));
        assert!(html.contains("recommandation"));
        assert!(html.contains("information"));
        assert!(html.contains("source secondaire"), "INS-021 is V2");
        assert!(
            html.contains("nir-validation"),
            "the rule's source is shown"
        );
        assert!(html.contains("<code>12:9</code>"));
        assert!(
            html.contains("extension=&quot;[masqué]&quot;") && !html.contains("279035121518990"),
            "patient snippets are masked"
        );
        assert!(!html.contains("<horaire>"));
        assert!(!html.contains('\u{0}') && !html.contains('\u{1}'));
        // Grouped by domain, the failing domain (INS) before the warning one (CDA-HDR).
        let (hdr, ins) = (
            html.find("<h3>CDA-HDR</h3>").unwrap(),
            html.find("<h3>INS</h3>").unwrap(),
        );
        assert!(ins < hdr);
    }

    #[test]
    fn reproducible_and_masked() {
        let r = sample_report();
        let a = render(&r, &View::default());
        assert_eq!(a, render(&r, &View::default()));
        assert!(!a.contains("279035121518990"));
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
    fn english_page() {
        let html = render(
            &sample_report(),
            &View {
                lang: Lang::En,
                ..View::default()
            },
        );
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("secondary source"));
        assert!(html.contains("The INS matricule control key is correct"));
    }

    #[test]
    fn parses_as_xml_once_the_doctype_is_removed() {
        // Our HTML is written as well-formed XHTML-compatible markup: a cheap structural check.
        let html = render(&sample_report(), &View::default());
        let body = html
            .replacen("<!DOCTYPE html>\n", "", 1)
            .replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>");
        let body = body
            .replace("initial-scale=1\">", "initial-scale=1\"/>")
            .replace(
                &format!("{} {}\">", "dui-conform", env!("CARGO_PKG_VERSION")),
                &format!("{} {}\"/>", "dui-conform", env!("CARGO_PKG_VERSION")),
            );
        roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}"));
    }
}
