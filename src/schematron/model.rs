//! The parsed, expanded schema: what [`super::load`] produces and [`super::eval`] runs. Plain data
//! (no XPath engine inside), so a loaded kit can be shared between threads and kept on disk
//! ([`super::disk`]); the compiled expressions
//! live per thread in [`super::xpath::Engine`].

/// Where a construct is in the kit: file (relative to the kit's `schematrons/` folder) and line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SrcLoc {
    /// File, relative to the kit's schematron folder.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl std::fmt::Display for SrcLoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// `sch:let`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Let {
    /// Variable name (no `$`).
    pub name: String,
    /// XPath expression.
    pub value: String,
}

/// A piece of an assert's message.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum MsgPart {
    /// Literal text.
    Text(String),
    /// `sch:value-of select=…`.
    ValueOf(String),
    /// `sch:name` (of the context node, or of `path`).
    Name(Option<String>),
}

/// `sch:assert` or `sch:report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AssertKind {
    /// An assert whose test is false (`svrl:failed-assert`).
    FailedAssert,
    /// A report whose test is true (`svrl:successful-report`).
    SuccessfulReport,
}

/// One assert or report.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// Assert or report.
    pub kind: AssertKind,
    /// The test, as written (after parameter substitution).
    pub test: String,
    /// `role`.
    pub role: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// The message.
    pub message: Vec<MsgPart>,
    /// Where.
    pub src: SrcLoc,
}

/// A concrete rule (abstract rules are spliced in through `sch:extends`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// The XSLT pattern of the context.
    pub context: String,
    /// Rule-level lets, in document order (each sees the previous ones).
    pub lets: Vec<Let>,
    /// Asserts and reports, in document order.
    pub checks: Vec<Check>,
    /// Where.
    pub src: SrcLoc,
}

/// A concrete pattern (abstract ones are instantiated through `is-a`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pattern {
    /// `id`.
    pub id: Option<String>,
    /// Pattern-level lets: globals, as in the ISO skeleton.
    pub lets: Vec<Let>,
    /// Rules, in order: a node is handled by the first whose context matches.
    pub rules: Vec<Rule>,
}

/// One schematron file with its includes resolved and abstract constructs expanded.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Schema {
    /// Path relative to the kit's schematron folder (`profils/IHE.sch`).
    pub file: String,
    /// Absolute path of the file: the static base URI of its expressions.
    pub path: std::path::PathBuf,
    /// `sch:ns` declarations (prefix, uri).
    pub ns: Vec<(String, String)>,
    /// Schema-level lets (globals).
    pub lets: Vec<Let>,
    /// The active patterns (default phase applied).
    pub patterns: Vec<Pattern>,
    /// Problems met while loading (missing include…), reported as kit defects.
    pub defects: Vec<String>,
    /// CI-SIS document-model OIDs (`1.2.250.1.213.1.1.1.*`) written anywhere in the file and the files it
    /// includes, comments and messages too, in order: where the volet table looks for a volet's root when
    /// no templateId test names one (BIO-CR-BIO's test is commented out).
    pub mentioned_roots: Vec<String>,
}

impl Schema {
    /// Every global let: the schema's, then each pattern's, in order.
    pub fn globals(&self) -> impl Iterator<Item = &Let> {
        self.lets
            .iter()
            .chain(self.patterns.iter().flat_map(|p| p.lets.iter()))
    }

    /// Number of rules and of asserts/reports.
    pub fn counts(&self) -> (usize, usize) {
        let rules = self.patterns.iter().map(|p| p.rules.len()).sum();
        let checks = self
            .patterns
            .iter()
            .flat_map(|p| &p.rules)
            .map(|r| r.checks.len())
            .sum();
        (rules, checks)
    }
}
