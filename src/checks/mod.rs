//! Conformance checks: pure functions from a parsed view to findings, one module per domain.
//!
//! A check never does I/O and never decides a verdict itself: it tells the [`Sink`] which rules it
//! evaluated and which it found violated; the sink applies the catalogue's verdict policy and adds a
//! `pass` finding for every evaluated rule that nothing violated. Each module lists the rules it
//! implements in a `CHECKS` table, gathered by [`registry`] (the `requirements` command prints it, and a
//! test proves each listed rule with fixtures).

use std::collections::BTreeMap;

use roxmltree::Node;

use crate::catalogue;
use crate::formats::xml::{node_path, start_tag};
use crate::model::{Finding, Level, Location, Msg, Verdict};

pub mod cda;
pub mod cda_ms;
pub mod dmp;
pub mod identity;
pub mod mssante;
pub mod xdm;
pub mod xds;

/// A named check and the catalogue rules it implements.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    /// Check name (`cda::header`), shown by `requirements`.
    pub name: &'static str,
    /// Catalogue ids the check can report.
    pub rules: &'static [&'static str],
}

/// Every check of every domain.
pub fn registry() -> Vec<CheckInfo> {
    [
        cda::CHECKS,
        cda_ms::CHECKS,
        identity::CHECKS,
        xds::CHECKS,
        xdm::CHECKS,
        mssante::CHECKS,
        dmp::CHECKS,
    ]
    .concat()
}

/// The checks implementing `rule`.
pub fn checks_for(rule: &str) -> Vec<&'static str> {
    registry()
        .into_iter()
        .filter(|c| c.rules.contains(&rule))
        .map(|c| c.name)
        .collect()
}

/// Where a violation is: a node of a parsed XML document, or a location built by hand.
pub enum At<'a, 'i: 'a> {
    /// An element (location = its start tag; snippet = the start tag).
    Node(Node<'a, 'i>),
    /// An attribute of an element (location = the attribute).
    Attr(Node<'a, 'i>, &'static str),
    /// A ready-made location.
    Loc(Location),
    /// Nowhere in particular (the artifact as a whole).
    Nowhere,
}

impl<'a, 'i> From<Node<'a, 'i>> for At<'a, 'i> {
    fn from(n: Node<'a, 'i>) -> Self {
        At::Node(n)
    }
}

impl From<Location> for At<'_, '_> {
    fn from(l: Location) -> Self {
        At::Loc(l)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Evaluated,
    Violated,
    NotApplicable,
}

/// Collects the findings of the checks run on one artifact.
#[derive(Debug, Default)]
pub struct Sink {
    findings: Vec<Finding>,
    states: BTreeMap<&'static str, State>,
    na_reasons: BTreeMap<&'static str, Msg>,
    entry: Option<String>,
    base_offset: usize,
}

impl Sink {
    /// An empty sink.
    pub fn new() -> Sink {
        Sink::default()
    }

    /// Sets the nested part (zip entry, MIME part) subsequent locations are in, and the offset of
    /// its text within its bytes (a BOM).
    pub fn set_part(&mut self, entry: Option<String>, base_offset: usize) {
        self.entry = entry;
        self.base_offset = base_offset;
    }

    /// Marks `rule` as evaluated: it passes unless a violation is reported.
    pub fn check(&mut self, rule: &'static str) {
        debug_assert!(catalogue::get(rule).is_some(), "unknown rule {rule}");
        self.states.entry(rule).or_insert(State::Evaluated);
        if self.states[rule] == State::NotApplicable {
            self.states.insert(rule, State::Evaluated);
        }
    }

    /// Marks `rule` as not applicable (its trigger is absent), unless it was evaluated elsewhere.
    pub fn not_applicable(&mut self, rule: &'static str, why: Msg) {
        debug_assert!(catalogue::get(rule).is_some(), "unknown rule {rule}");
        if !self.states.contains_key(rule) {
            self.states.insert(rule, State::NotApplicable);
            self.na_reasons.insert(rule, why);
        }
    }

    /// Reports a violation of `rule`; the verdict follows the catalogue's policy.
    pub fn violation<'s, 'a, 'i: 'a>(
        &'s mut self,
        rule: &'static str,
        at: impl Into<At<'a, 'i>>,
        msg: Msg,
    ) -> FindingRef<'s> {
        let (level, verdict) = match catalogue::get(rule) {
            Some(r) => (r.level, Verdict::for_violation(r.level, r.confidence)),
            None => (Level::Info, Verdict::Info),
        };
        self.states.insert(rule, State::Violated);
        self.push(rule, level, verdict, at.into(), msg)
    }

    /// Reports an informative finding on `rule` (never affects the verdict), e.g. "BOM présent".
    pub fn info<'s, 'a, 'i: 'a>(
        &'s mut self,
        rule: &'static str,
        at: impl Into<At<'a, 'i>>,
        msg: Msg,
    ) -> FindingRef<'s> {
        let level = catalogue::get(rule).map_or(Level::Info, |r| r.level);
        self.states.entry(rule).or_insert(State::Evaluated);
        if self.states[rule] == State::NotApplicable {
            self.states.insert(rule, State::Evaluated);
        }
        self.push(rule, level, Verdict::Info, at.into(), msg)
    }

    fn push<'s>(
        &'s mut self,
        rule: &'static str,
        level: Level,
        verdict: Verdict,
        at: At<'_, '_>,
        msg: Msg,
    ) -> FindingRef<'s> {
        let (mut location, snippet) = match at {
            At::Node(n) => locate(n, None, self.base_offset),
            At::Attr(n, a) => locate(n, Some(a), self.base_offset),
            At::Loc(l) => (l, None),
            At::Nowhere => (Location::default(), None),
        };
        if location.entry.is_none() {
            location.entry = self.entry.clone();
        }
        self.findings.push(Finding {
            requirement: rule.to_string(),
            level,
            verdict,
            message: msg,
            location,
            snippet,
            personal: Vec::new(),
            kit: None,
        });
        FindingRef(self.findings.last_mut().expect("just pushed"))
    }

    /// True when `rule` has a violation so far.
    pub fn is_violated(&self, rule: &str) -> bool {
        self.states.get(rule) == Some(&State::Violated)
    }

    /// Findings reported so far (violations and infos).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Ends the run: violations and infos in check order, then one `pass` per evaluated rule without
    /// violation and one `not_applicable` per inapplicable rule, by rule id.
    pub fn finish(mut self) -> Vec<Finding> {
        // The rules that already have a finding (a set: one scan, not one per rule).
        let reported: std::collections::HashSet<String> = self
            .findings
            .iter()
            .map(|f| f.requirement.clone())
            .collect();
        for (rule, state) in &self.states {
            let Some(r) = catalogue::get(rule) else {
                continue;
            };
            let already = reported.contains(*rule);
            let verdict = match state {
                State::Evaluated if !already => Verdict::Pass,
                State::NotApplicable => Verdict::NotApplicable,
                _ => continue,
            };
            let message = match (verdict, self.na_reasons.remove(rule)) {
                (Verdict::NotApplicable, Some(m)) => m,
                _ => Msg::new(r.title_fr.clone(), r.title_en.clone()),
            };
            self.findings.push(Finding {
                requirement: rule.to_string(),
                level: r.level,
                verdict,
                message,
                location: Location {
                    entry: self.entry.clone(),
                    ..Location::default()
                },
                snippet: None,
                personal: Vec::new(),
                kit: None,
            });
        }
        self.findings
    }
}

/// A just-reported finding, to add a snippet or personal values to.
pub struct FindingRef<'s>(&'s mut Finding);

impl FindingRef<'_> {
    /// Sets the offending bytes.
    pub fn snippet(self, s: impl Into<String>) -> Self {
        self.0.snippet = Some(crate::formats::xml::truncate(&s.into(), 240));
        self
    }

    /// Declares a personal value quoted in the message or snippet (masked unless `--no-redact`).
    pub fn personal(self, v: impl Into<String>) -> Self {
        let v = v.into();
        if !v.is_empty() {
            self.0.personal.push(v);
        }
        self
    }

    /// Overrides the XPath-like path (e.g. to name an absent child).
    pub fn path(self, p: impl Into<String>) -> Self {
        self.0.location.path = Some(p.into());
        self
    }
}

/// Location and snippet of a node (and optionally one of its attributes).
pub fn locate(
    n: Node<'_, '_>,
    attr: Option<&str>,
    base_offset: usize,
) -> (Location, Option<String>) {
    let doc = n.document();
    let (start, path) = match attr.and_then(|a| n.attributes().find(|x| x.name() == a)) {
        Some(a) => (a.range().start, format!("{}/@{}", node_path(n), a.name())),
        None => (n.range().start, node_path(n)),
    };
    let (line, column) = text_position(doc.input_text(), start);
    let loc = Location {
        line: Some(line),
        column: Some(column),
        path: Some(path),
        entry: None,
        offset: Some(start + base_offset),
    };
    (loc, Some(start_tag(n, doc.input_text())))
}

/// Line starts and character counts of one text, so that each position costs a binary search and
/// at most one 4 KiB scan (roxmltree's `text_pos_at` rescans from the start: quadratic when a large
/// hostile document yields many findings).
struct PosIndex {
    key: (usize, usize, u64),
    line_starts: Vec<usize>,
    /// Characters before each 4 KiB block.
    block_chars: Vec<usize>,
}

const BLOCK: usize = 4096;

impl PosIndex {
    fn key(text: &str) -> (usize, usize, u64) {
        // Address and length identify the text while it lives; a sample of its bytes guards against
        // another text later allocated at the same address with the same length.
        let b = text.as_bytes();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for i in (0..b.len()).step_by((b.len() / 64).max(1)).take(65) {
            h = (h ^ u64::from(b[i])).wrapping_mul(0x100_0000_01b3);
        }
        (b.as_ptr() as usize, b.len(), h)
    }

    fn new(text: &str) -> PosIndex {
        let b = text.as_bytes();
        let mut line_starts = vec![0];
        // `match_indices` of a char searches with core's word-at-a-time memchr.
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut block_chars = Vec::with_capacity(b.len() / BLOCK + 1);
        let mut chars = 0;
        for chunk in b.chunks(BLOCK) {
            block_chars.push(chars);
            // Characters = bytes that do not continue a UTF-8 sequence; summed as u8 lanes (no
            // per-byte branch: this loop vectorises).
            chars += chunk.len()
                - chunk
                    .iter()
                    .map(|&c| usize::from((c & 0xC0) == 0x80))
                    .sum::<usize>();
        }
        block_chars.push(chars);
        PosIndex {
            key: Self::key(text),
            line_starts,
            block_chars,
        }
    }

    /// Characters in `text[..pos]`.
    fn chars_before(&self, text: &[u8], pos: usize) -> usize {
        let block = pos / BLOCK;
        let from = block * BLOCK;
        self.block_chars[block]
            + text[from..pos]
                .iter()
                .filter(|&&c| (c & 0xC0) != 0x80)
                .count()
    }
}

/// 1-based line and column (in characters) of byte `pos` in `text`.
pub fn text_position(text: &str, pos: usize) -> (u32, u32) {
    thread_local! {
        static INDEX: std::cell::RefCell<Option<PosIndex>> = const { std::cell::RefCell::new(None) };
    }
    let pos = pos.min(text.len());
    INDEX.with(|cell| {
        let mut cache = cell.borrow_mut();
        if cache.as_ref().is_none_or(|i| i.key != PosIndex::key(text)) {
            *cache = Some(PosIndex::new(text));
        }
        let Some(idx) = cache.as_ref() else {
            return (1, 1);
        };
        let line = idx.line_starts.partition_point(|&s| s <= pos);
        let start = idx.line_starts[line - 1];
        let b = text.as_bytes();
        let col = idx.chars_before(b, pos) - idx.chars_before(b, start) + 1;
        (line as u32, col as u32)
    })
}

#[cfg(test)]
mod tests {
    use super::text_position;

    #[test]
    fn positions_match_roxmltree() {
        let mut text = String::from("<a>\n");
        for i in 0..3000 {
            text.push_str(&format!("  <é x=\"{i}\">ü€</é>\n"));
        }
        text.push_str("</a>");
        let doc = roxmltree::Document::parse(&text).unwrap();
        for n in doc.descendants().step_by(97) {
            let p = doc.text_pos_at(n.range().start);
            assert_eq!(text_position(&text, n.range().start), (p.row, p.col));
        }
    }
}
