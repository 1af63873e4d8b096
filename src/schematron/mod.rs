//! The official ANS CDA kit (TestContenuCDA) run natively: an ISO Schematron engine over xee-xpath and
//! the ANS procedure (Structuration minimale + the volet chosen from the document's templateIds + the
//! three generic profiles).
//!
//! # Layout
//! - [`model`]: the parsed, expanded schema (plain data, shared between threads);
//! - [`load`]: `sch:include`, abstract rules and patterns, lets, `sch:ns`, default phase;
//! - [`xpath`]: xee integration (rewrites, value sets preloaded, compile-once), the three xee fixes;
//! - [`native`]: the kit's most frequent XPath shapes evaluated directly on the tree (exact subset);
//! - [`eval`]: rule contexts with shared prefixes, first-matching-rule per pattern, asserts and messages;
//! - [`kit`]: the kit folder: volet table, the ANS procedure, kit defects;
//! - [`cache`]: the per-thread compiled engine, keyed by the kit's content hash;
//! - [`disk`]: the cross-process cache of the parsed kit (one file per kit content and folder);
//! - [`timing`]: phase timings (`DUI_CONFORM_TIMING=1`);
//! - [`xsd`]: XSD validation against the kit's `CDA_extended.xsd` (libxml2, as xmllint).
//!
//! ```no_run
//! let kit = dui_conform::schematron::Kit::load(std::path::Path::new("../shared/ans-kit")).unwrap();
//! let outcome = kit.check(&std::fs::read("doc.xml").unwrap());
//! println!("{} errors", outcome.asserts.iter().filter(|a| a.is_error).count());
//! ```

pub mod cache;
pub mod disk;
pub mod eval;
pub mod kit;
pub mod load;
pub mod model;
pub mod native;
pub mod timing;
pub mod xpath;
#[cfg(feature = "xsd")]
pub mod xsd;

pub use disk::{CacheState, CacheStatus, KitCache};
pub use kit::{Kit, VoletEntry};
pub use model::AssertKind;

/// Why a kit could not be loaded: the kit folder's fault (or the file system's), never a document's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KitError {
    /// The folder has no schematron of Structuration minimale: not an ANS CDA kit.
    #[error("{0}: not an ANS CDA kit (no schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch)")]
    NotAKit(String),
    /// A schematron file cannot be read or parsed.
    #[error("schematron {file}: {reason}")]
    Schematron {
        /// File, relative to the schematron folder.
        file: String,
        /// Why.
        reason: String,
    },
    /// The folder cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
}

/// One failed assert or successful report, as SVRL would list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KitAssert {
    /// The schematron file applied (relative to the kit's schematron folder).
    pub schematron: String,
    /// The pattern's id.
    pub pattern: Option<String>,
    /// The rule's context.
    pub rule_context: String,
    /// The test.
    pub test: String,
    /// Failed assert or successful report.
    pub kind: AssertKind,
    /// `role` as written.
    pub role: Option<String>,
    /// Whether ANS counts it as an error (role not warning/info/W/I).
    pub is_error: bool,
    /// XPath of the node, SVRL style.
    pub location: String,
    /// Line of the node in the document (its start tag; an attribute's element for an attribute).
    pub line: Option<u32>,
    /// Column (1-based, in characters) of the node's start tag.
    pub column: Option<u32>,
    /// The assert's `id`, if any.
    pub id: Option<String>,
    /// The assert's message, whitespace-normalised.
    pub text: String,
    /// Where the assert is in the kit (`file:line`).
    pub source: String,
}

/// A construct the engine could not evaluate: never counted as a pass.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotEvaluated {
    /// The schematron file.
    pub schematron: String,
    /// Where in the kit (`file:line`, and which construct).
    pub at: String,
    /// xee's error.
    pub reason: String,
}

/// What the ANS procedure says about one document.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct KitOutcome {
    /// The schematron files applied, in order.
    pub schematrons: Vec<String>,
    /// Failed asserts and successful reports.
    pub asserts: Vec<KitAssert>,
    /// Constructs not evaluated.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Kit defects met on this document (missing value sets or includes, no volet…).
    pub defects: Vec<String>,
}

impl KitOutcome {
    /// The kit's verdict: no error-role assert fired and everything was evaluated.
    pub fn passed(&self) -> bool {
        !self.asserts.iter().any(|a| a.is_error)
    }
}

/// ANS: a `failed-assert` or `successful-report` whose role is not `warning`/`info` (nor `W`/`I`) is an
/// error (kit README).
pub fn is_error_role(role: Option<&str>) -> bool {
    !matches!(
        role.map(|r| r.trim().to_ascii_lowercase()).as_deref(),
        Some("warning" | "info" | "w" | "i")
    )
}

/// `KIT:XSD` findings: the document against the kit's `infrastructure/cda/CDA_extended.xsd`, the first
/// step of the ANS procedure (kit README, "How ANS runs it"). Each schema error is a failure at its line;
/// a schema the kit cannot provide (missing or broken file: the kit's fault) is one warning, never a pass.
#[cfg(feature = "xsd")]
pub fn xsd_findings(kit: &Kit, bytes: &[u8]) -> Vec<crate::model::Finding> {
    let short = kit.short_version();
    let t = timing::start();
    let r = xsd::validate_xsd(bytes, &kit.dir.join(xsd::KIT_XSD));
    timing::end(timing::Phase::Xsd, t, bytes.len() as u64);
    match r {
        Ok(errors) if errors.is_empty() => vec![xsd_finding(
            crate::model::Verdict::Pass,
            crate::model::Msg::new(
                format!("[kit officiel ANS {short}, XSD] document valide contre CDA_extended.xsd"),
                format!("[official ANS kit {short}, XSD] document valid against CDA_extended.xsd"),
            ),
            None,
            None,
        )],
        Ok(errors) => errors
            .into_iter()
            .map(|e| {
                xsd_finding(
                    crate::model::Verdict::Fail,
                    crate::model::Msg::new(
                        format!("[kit officiel ANS {short}, XSD] {}", e.message),
                        format!("[official ANS kit {short}, XSD] {}", e.message),
                    ),
                    (e.line > 0).then_some(e.line),
                    (e.column > 0).then_some(e.column),
                )
            })
            .collect(),
        Err(e) => vec![xsd_finding(
            crate::model::Verdict::Warning,
            crate::model::Msg::new(
                format!(
                    "[kit officiel ANS {short}] validation XSD non faite (défaut du kit) : {e}"
                ),
                format!("[official ANS kit {short}] XSD validation not done (kit defect): {e}"),
            ),
            None,
            None,
        )],
    }
}

/// Without the `xsd` feature the schema step of the ANS procedure cannot run: said once per document as a
/// warning (neither pass nor fail), so that a kit verdict is never mistaken for the complete one.
#[cfg(not(feature = "xsd"))]
pub fn xsd_findings(kit: &Kit, _bytes: &[u8]) -> Vec<crate::model::Finding> {
    let short = kit.short_version();
    vec![xsd_finding(
        crate::model::Verdict::Warning,
        crate::model::Msg::new(
            format!("[kit officiel ANS {short}] validation XSD non faite : dui-conform a été compilé sans la fonctionnalité « xsd » (cargo build --features xsd)"),
            format!("[official ANS kit {short}] XSD validation not done: dui-conform was built without the \"xsd\" feature (cargo build --features xsd)"),
        ),
        None,
        None,
    )]
}

fn xsd_finding(
    verdict: crate::model::Verdict,
    message: crate::model::Msg,
    line: Option<u32>,
    column: Option<u32>,
) -> crate::model::Finding {
    use crate::model::{Finding, Level, Location, Verdict};
    Finding {
        requirement: "KIT:XSD".to_string(),
        level: if verdict == Verdict::Warning {
            Level::Should
        } else {
            Level::Must
        },
        verdict,
        message,
        location: Location {
            line,
            column,
            ..Location::default()
        },
        snippet: None,
        personal: Vec::new(),
        kit: None,
    }
}
