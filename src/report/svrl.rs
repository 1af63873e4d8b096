//! (being written)

use super::View;
use crate::model::ValidationReport;

/// Renders the report.
pub fn render(report: &ValidationReport, view: &View) -> String {
    super::json::render(report, view)
}
