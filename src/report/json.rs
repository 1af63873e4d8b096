//! The JSON contract of `validate --format json` (ARCHITECTURE.md): one document
//!
//! ```text
//! {"tool":{"name","version"},"catalogue_version","official_kit"?:{"commit"?,"content_sha256"},
//!  "artifacts":[{"path","kind","sha256","size","verdict","parent"?,
//!                "findings":[{"requirement","level","verdict","message","location":{"line","column","path","entry"?,"offset"?},"snippet",
//!                            "kit"?:{"schematron","kind","test","role"?,"id"?,"rule_context","text","source","kit_version"}}]}],
//!  "summary":{"artifacts","passed","failed","warnings"}}
//! ```
//! `verdict` ∈ `pass | fail | warning | info | not_applicable`; `message` is in the `--lang` language
//! with personal data masked unless `--no-redact`; `location` fields absent when unknown. `kit` is present
//! on the findings of the official ANS kit (`KIT:<schematron>`): the assert as the kit writes it, and
//! the kit's version (its upstream commit, or `sha256:` and its content hash).

use serde::Serialize;

use super::View;
use crate::model::{Level, Location, ValidationReport, Verdict};

#[derive(Serialize)]
struct Out<'a> {
    tool: &'a crate::model::Tool,
    catalogue_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    official_kit: Option<&'a crate::model::KitVersion>,
    artifacts: Vec<OutArtifact<'a>>,
    summary: &'a crate::model::Summary,
}

#[derive(Serialize)]
struct OutArtifact<'a> {
    path: &'a str,
    kind: &'a str,
    sha256: &'a str,
    size: u64,
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    findings: Vec<OutFinding<'a>>,
}

#[derive(Serialize)]
struct OutFinding<'a> {
    requirement: &'a str,
    level: Level,
    verdict: Verdict,
    message: String,
    location: &'a Location,
    snippet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kit: Option<crate::model::KitOrigin>,
}

/// Renders the report as pretty JSON.
pub fn render(report: &ValidationReport, view: &View) -> String {
    let out = Out {
        tool: &report.tool,
        catalogue_version: &report.catalogue_version,
        official_kit: report.official_kit.as_ref(),
        artifacts: report
            .artifacts
            .iter()
            .map(|a| OutArtifact {
                path: &a.path,
                kind: a.kind.as_str(),
                sha256: &a.sha256,
                size: a.size,
                verdict: a.verdict,
                parent: a.parent.as_deref(),
                findings: a
                    .findings
                    .iter()
                    .map(|f| OutFinding {
                        requirement: &f.requirement,
                        level: f.level,
                        verdict: f.verdict,
                        message: view.message(f),
                        location: &f.location,
                        snippet: view.snippet(f),
                        kit: f.kit.as_ref().map(|k| crate::model::KitOrigin {
                            text: view.mask(f, &k.text),
                            ..(**k).clone()
                        }),
                    })
                    .collect(),
            })
            .collect(),
        summary: &report.summary,
    };
    let mut s =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
