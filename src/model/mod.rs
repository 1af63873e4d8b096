//! The shared vocabulary: requirement levels, verdicts, findings, locations and artifacts.
//!
//! A [`Finding`] is the unit of every report: it names a requirement of the catalogue, a verdict, a
//! bilingual message, where in the artifact the problem is, and the offending bytes. Verdicts of
//! violations are never chosen by a check: the check says "violated" and the catalogue's verdict policy
//! (level × confidence) decides between fail, warning and info (see [`Verdict::for_violation`]).

use serde::{Deserialize, Serialize};

/// Requirement level (niveau d'exigence), as in `shared/domain/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// « exigence »: mandated by the source and checkable from the bytes.
    Must,
    /// « recommandation »: recommended, or a MUST downgraded because sources contradict each other.
    Should,
    /// « information »: context; never affects the verdict.
    Info,
    /// A withdrawn rule: it keeps its id and never produces a finding.
    Retired,
}

impl Level {
    /// The French report label.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Level::Must, Lang::Fr) => "exigence",
            (Level::Should, Lang::Fr) => "recommandation",
            (Level::Info, Lang::Fr) => "information",
            (Level::Retired, Lang::Fr) => "retirée",
            (Level::Must, Lang::En) => "requirement",
            (Level::Should, Lang::En) => "recommendation",
            (Level::Info, Lang::En) => "information",
            (Level::Retired, Lang::En) => "retired",
        }
    }
}

/// How well the rule's source was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Confidence {
    /// Verified in a primary source.
    V,
    /// Secondary or implementation-derived source (« source secondaire »).
    V2,
    /// Unverified: such a rule can only ever produce a warning or an info.
    U,
}

/// Verdict of a finding or of an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rule was evaluated and holds.
    Pass,
    /// The rule's trigger is absent.
    NotApplicable,
    /// Informative finding (INFO rules, or SHOULD rules of unverified source).
    Info,
    /// A SHOULD rule is violated.
    Warning,
    /// A MUST rule is violated: the artifact is not conformant.
    Fail,
}

impl Verdict {
    /// The verdict policy of `shared/domain/README.md`: what a violation of a rule of this level and
    /// confidence yields. An unverified rule never fails.
    pub fn for_violation(level: Level, confidence: Confidence) -> Verdict {
        match (level, confidence) {
            (Level::Must, Confidence::U) => Verdict::Warning,
            (Level::Must, _) => Verdict::Fail,
            (Level::Should, Confidence::U) => Verdict::Info,
            (Level::Should, _) => Verdict::Warning,
            (Level::Info | Level::Retired, _) => Verdict::Info,
        }
    }

    /// Stable lower-case name, as in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NotApplicable => "not_applicable",
            Verdict::Info => "info",
            Verdict::Warning => "warning",
            Verdict::Fail => "fail",
        }
    }

    /// Localised label for people.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::Pass, Lang::Fr) => "conforme",
            (Verdict::NotApplicable, Lang::Fr) => "non applicable",
            (Verdict::Info, Lang::Fr) => "information",
            (Verdict::Warning, Lang::Fr) => "avertissement",
            (Verdict::Fail, Lang::Fr) => "non conforme",
            (Verdict::Pass, Lang::En) => "pass",
            (Verdict::NotApplicable, Lang::En) => "not applicable",
            (Verdict::Info, Lang::En) => "info",
            (Verdict::Warning, Lang::En) => "warning",
            (Verdict::Fail, Lang::En) => "fail",
        }
    }
}

/// Report language: French first, English on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Français (default).
    #[default]
    Fr,
    /// English.
    En,
}

/// A message in both report languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    /// French text (the specs and the users are French).
    pub fr: String,
    /// English text.
    pub en: String,
}

impl Msg {
    /// A bilingual message.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// Builds a [`Msg`] from two `format!` argument lists: `msg!("… {x}", "… {x}")`.
#[macro_export]
macro_rules! msg {
    ($fr:expr, $en:expr $(,)?) => {
        $crate::model::Msg::new(format!($fr), format!($en))
    };
}

/// Where a finding is, inside its artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// 1-based line in the artifact (or in the nested entry when `entry` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column (in characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// XPath-like path of the node (`/ClinicalDocument/recordTarget/patientRole/id[2]/@extension`), or a
    /// MIME part path, or a header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Nested part this location is in, when it is not the artifact itself: a zip entry
    /// (`IHE_XDM/SUBSET01/METADATA.XML`), a MIME part (`part 2: IHE_XDM.zip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// Byte offset in the artifact (or entry) bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
}

/// One result of a check against one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Catalogue id (`CDA-HDR-028`), or `KIT:…` for the official kit.
    pub requirement: String,
    /// Level of the requirement.
    pub level: Level,
    /// Outcome.
    pub verdict: Verdict,
    /// What was found, and how to fix it.
    pub message: Msg,
    /// Where.
    pub location: Location,
    /// The offending bytes (start tag, header line…), truncated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Personal values (INS, names, birth dates) quoted in the message or snippet: masked in reports
    /// unless `--no-redact`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal: Vec<String>,
    /// For a finding of the official ANS kit (`KIT:…`): the assert or report as the kit writes it, what
    /// SVRL reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kit: Option<Box<KitOrigin>>,
}

/// Where a finding of the official ANS kit comes from: the assert or report of the kit's schematron, as
/// SVRL (ISO/IEC 19757-3 Annex D) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitOrigin {
    /// The schematron run (relative to the kit's `schematrons/` folder).
    pub schematron: String,
    /// `failed-assert` or `successful-report`.
    pub kind: String,
    /// The assert's test, as written in the kit (abstract parameters substituted).
    pub test: String,
    /// The assert's `role`, as written (`error`, `warning`, …; none when the kit gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The assert's `id`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The context of the rule that fired.
    pub rule_context: String,
    /// The assert's own message (whitespace-normalised).
    pub text: String,
    /// Where the assert is in the kit (`file:line`).
    pub source: String,
    /// The kit's version: the upstream commit its README names, else `sha256:` + its content hash.
    pub kit_version: String,
}

/// What an artifact is, detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// A CDA R2 document (`hl7:ClinicalDocument`).
    Cda,
    /// ebRIM `lcm:SubmitObjectsRequest` (XDS metadata, e.g. XDM `METADATA.XML`).
    XdsMetadata,
    /// A SOAP envelope carrying an ITI-41 Provide and Register Document Set-b (plain XML or MTOM).
    Iti41,
    /// An IHE XDM zip package.
    Xdm,
    /// A MIME message (.eml).
    Mime,
    /// A FHIR resource or bundle (JSON or XML).
    Fhir,
    /// Well-formed XML of no known kind.
    Xml,
    /// Bytes of no known kind (or not well-formed XML).
    Unknown,
}

impl ArtifactKind {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Cda => "cda",
            ArtifactKind::XdsMetadata => "xds_metadata",
            ArtifactKind::Iti41 => "iti41",
            ArtifactKind::Xdm => "xdm",
            ArtifactKind::Mime => "mime",
            ArtifactKind::Fhir => "fhir",
            ArtifactKind::Xml => "xml",
            ArtifactKind::Unknown => "unknown",
        }
    }
}

/// The validation result of one artifact (a file, or a part nested in one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArtifactResult {
    /// Path as given, with `!entry` suffixes for nested artifacts (`msg.eml!IHE_XDM.zip!IHE_XDM/SUBSET01/DOC0001.XML`).
    pub path: String,
    /// Detected kind.
    pub kind: ArtifactKind,
    /// SHA-256 of the artifact's bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Worst verdict of its own findings (`pass` when none fails or warns).
    pub verdict: Verdict,
    /// Path of the enclosing artifact, for nested ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Findings, in check order.
    pub findings: Vec<Finding>,
}

impl ArtifactResult {
    /// Worst verdict among findings: fail > warning > pass; info and n/a never change it.
    pub fn compute_verdict(findings: &[Finding]) -> Verdict {
        let mut v = Verdict::Pass;
        for f in findings {
            match f.verdict {
                Verdict::Fail => return Verdict::Fail,
                Verdict::Warning => v = Verdict::Warning,
                _ => {}
            }
        }
        v
    }
}

/// Counts over a validation run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Artifacts validated (nested ones included).
    pub artifacts: usize,
    /// Artifacts without failure nor warning.
    pub passed: usize,
    /// Artifacts with at least one failure.
    pub failed: usize,
    /// Artifacts with warnings but no failure.
    pub warnings: usize,
    /// Artifacts of a kind this version does not validate (FHIR, unknown XML, other bytes).
    #[serde(default)]
    pub not_validated: usize,
}

/// Tool identification printed in every report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// `dui-conform`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// Which official kit judged a report's documents: LESSONS.md, "which validator / schematron / IG version
/// judged this?" — printed in every report format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KitVersion {
    /// The upstream commit the kit's README names, if it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// SHA-256 over the kit's schematron and value-set files (the content it was judged with).
    pub content_sha256: String,
}

impl KitVersion {
    /// `commit 7cd489b39368, sha256 e8422f29f27b` (shortened, for footers).
    pub fn short(&self) -> String {
        let h = &self.content_sha256[..12.min(self.content_sha256.len())];
        match &self.commit {
            Some(c) => format!("commit {}, sha256 {h}", &c[..12.min(c.len())]),
            None => format!("sha256 {h}"),
        }
    }
}

/// The result of `validate`: the JSON contract of ARCHITECTURE.md.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Tool and version.
    pub tool: Tool,
    /// Version of the compiled-in catalogue.
    pub catalogue_version: String,
    /// The official ANS kit that judged the CDA documents (`validate --kit`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official_kit: Option<KitVersion>,
    /// Every artifact, nested ones right after their parent.
    pub artifacts: Vec<ArtifactResult>,
    /// Counts.
    pub summary: Summary,
}

impl ValidationReport {
    /// Builds the report and its summary.
    pub fn new(artifacts: Vec<ArtifactResult>) -> ValidationReport {
        let mut summary = Summary {
            artifacts: artifacts.len(),
            ..Summary::default()
        };
        for a in &artifacts {
            match a.verdict {
                Verdict::Fail => summary.failed += 1,
                Verdict::Warning => summary.warnings += 1,
                Verdict::NotApplicable => summary.not_validated += 1,
                _ => summary.passed += 1,
            }
        }
        ValidationReport {
            tool: Tool {
                name: "dui-conform".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            catalogue_version: crate::catalogue::version().to_string(),
            official_kit: None,
            artifacts,
            summary,
        }
    }

    /// True when at least one finding fails (exit code 1).
    pub fn has_failure(&self) -> bool {
        self.artifacts.iter().any(|a| a.verdict == Verdict::Fail)
    }
}
