//! The terminal summary: artifacts, then their non-passing findings grouped by domain, then totals.

use std::fmt::Write;

use super::View;
use crate::model::{Lang, ValidationReport, Verdict};

fn paint(view: &View, code: &str, s: &str) -> String {
    if view.color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn verdict_tag(view: &View, v: Verdict) -> String {
    let (code, label) = match v {
        Verdict::Fail => ("1;31", v.label(view.lang).to_uppercase()),
        Verdict::Warning => ("33", v.label(view.lang).to_uppercase()),
        Verdict::Info => ("36", v.label(view.lang).to_string()),
        Verdict::NotApplicable => ("2", v.label(view.lang).to_string()),
        Verdict::Pass => ("32", v.label(view.lang).to_uppercase()),
    };
    paint(view, code, &label)
}

/// Renders the human summary.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let mut s = String::new();
    for a in &report.artifacts {
        let _ = writeln!(
            s,
            "{} {}  [{}]",
            verdict_tag(view, a.verdict),
            a.path,
            a.kind.as_str()
        );
        let mut shown: Vec<_> = a
            .findings
            .iter()
            .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Warning | Verdict::Info))
            .collect();
        shown.sort_by_key(|f| {
            (
                domain(&f.requirement).to_string(),
                std::cmp::Reverse(f.verdict),
            )
        });
        let mut last_domain = "";
        for f in shown {
            let d = domain(&f.requirement);
            if d != last_domain {
                let _ = writeln!(s, "  {}", paint(view, "1", d));
                last_domain = d;
            }
            let loc = &f.location;
            let mut place = String::new();
            if let Some(e) = &loc.entry {
                place.push_str(e);
                place.push(':');
            }
            if let Some(lc) = super::line_col(loc) {
                place.push_str(&lc);
            }
            let _ = writeln!(
                s,
                "    {} {} {} {}",
                verdict_tag(view, f.verdict),
                f.requirement,
                paint(view, "2", &place),
                view.message(f)
            );
            if let Some(p) = &loc.path {
                let _ = writeln!(s, "        {}", paint(view, "2", p));
            }
            if let Some(sn) = view.snippet(f) {
                if f.verdict != Verdict::Info {
                    let _ = writeln!(s, "        {}", paint(view, "2", &sn.replace('\n', " ")));
                }
            }
        }
    }
    let sm = &report.summary;
    let skipped = match (sm.not_validated, view.lang) {
        (0, _) => String::new(),
        (n, Lang::Fr) => format!(", {n} non validé(s)"),
        (n, Lang::En) => format!(", {n} not validated"),
    };
    let kit = match (&report.official_kit, view.lang) {
        (None, _) => String::new(),
        (Some(k), Lang::Fr) => format!(", kit officiel ANS {}", k.short()),
        (Some(k), Lang::En) => format!(", official ANS kit {}", k.short()),
    };
    let _ = match view.lang {
        Lang::Fr => writeln!(
            s,
            "\n{} artefact(s) : {} conforme(s), {} non conforme(s), {} avec avertissements{skipped} — dui-conform {}, catalogue {}{kit}",
            sm.artifacts, sm.passed, sm.failed, sm.warnings, report.tool.version, report.catalogue_version
        ),
        Lang::En => writeln!(
            s,
            "\n{} artifact(s): {} passed, {} failed, {} with warnings{skipped} — dui-conform {}, catalogue {}{kit}",
            sm.artifacts, sm.passed, sm.failed, sm.warnings, report.tool.version, report.catalogue_version
        ),
    };
    s
}

/// The domain prefix of a requirement id (`CDA-HDR` of `CDA-HDR-028`; `KIT` of `KIT:…`).
pub fn domain(id: &str) -> &str {
    if let Some((p, _)) = id.split_once(':') {
        return p;
    }
    id.rsplit_once('-').map_or(id, |(p, _)| p)
}
