//! Running one expanded schema on one document.
//!
//! Rule contexts are XSLT patterns. A node matches a pattern when it is in the pattern's node set taken
//! from the document root (`a/b` = `//a/b`). Each context is split at its last top-level step: the
//! prefix's node set is computed once per document and shared by every rule with the same prefix (765 of
//! the 766 header rules share `//hl7:ClinicalDocument[hl7:typeId…]`), then the last step is evaluated from
//! each prefix node. In each pattern a node is handled by the first rule whose context matches it
//! (ISO/IEC 19757-3 §6.5, the skeleton's template priorities). Lets are evaluated in order; asserts and
//! reports then. Anything xee cannot compile or evaluate becomes a [`NotEvaluated`] with its location in
//! the schematron, never a pass.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use xee_xpath::{Item, Sequence};

use super::model::{AssertKind, Check, MsgPart, Rule, Schema};
use super::native::{Axis, Cond, Eval, Step, Test};
use super::xpath::{Engine, Env, SchemaCtx};
use super::{KitAssert, NotEvaluated};

/// Splits at top-level occurrences of `sep` (outside brackets, parentheses and quotes).
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `(prefix, last step)` of an absolute path: the last step is relative to each prefix node
/// (`.//x` when the separator is `//`). `None` when the path has a single step from the root.
fn split_last(path: &str) -> Option<(String, String)> {
    let parts = split_top(path, '/');
    if parts.len() < 2 {
        return None;
    }
    let last = parts[parts.len() - 1];
    let mut cut = parts.len() - 1;
    let double = cut >= 2 && parts[cut - 1].is_empty();
    if double {
        cut -= 1;
    }
    let prefix = parts[..cut].join("/");
    if prefix.is_empty() || last.is_empty() {
        return None;
    }
    let step = if double {
        format!(".//{last}")
    } else {
        last.to_string()
    };
    Some((prefix, step))
}

thread_local! {
    /// `DUI_KIT_PROFILE=1`: time spent per xee test, printed by [`print_profile`].
    static PROFILE: std::cell::RefCell<Option<HashMap<String, (u32, std::time::Duration)>>> =
        std::cell::RefCell::new(std::env::var_os("DUI_KIT_PROFILE").map(|_| HashMap::new()));
    static PLAIN: Cell<bool> = const { Cell::new(false) };
    static STATS: Cell<Stats> = const { Cell::new(Stats::ZERO) };
}

/// Runs `f` with the plain evaluation on this thread (every context and test through xee, no index,
/// no native check): the reference the optimised path is compared with (`tests/kit_speed.rs`).
pub fn with_plain<T>(f: impl FnOnce() -> T) -> T {
    let before = PLAIN.with(|p| p.replace(true));
    let r = f();
    PLAIN.with(|p| p.set(before));
    r
}

/// Counters of this thread's evaluations (profiling aid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tests decided natively.
    pub native_tests: u64,
    /// Tests evaluated by xee.
    pub xee_tests: u64,
    /// Context steps evaluated natively.
    pub native_steps: u64,
    /// Context steps evaluated by xee.
    pub xee_steps: u64,
}

impl Stats {
    const ZERO: Stats = Stats {
        native_tests: 0,
        xee_tests: 0,
        native_steps: 0,
        xee_steps: 0,
    };
}

/// This thread's counters since the last call (which resets them).
pub fn take_stats() -> Stats {
    STATS.with(|s| s.replace(Stats::ZERO))
}

/// Prints the 25 xee tests that took longest on this thread (with `DUI_KIT_PROFILE` set).
pub fn print_profile() {
    PROFILE.with(|p| {
        if let Some(m) = p.borrow().as_ref() {
            let mut v: Vec<_> = m.iter().collect();
            v.sort_by_key(|(_, (_, d))| std::cmp::Reverse(*d));
            for (e, (n, d)) in v.into_iter().take(25) {
                eprintln!(
                    "{d:>10.1?} {n:>6} {}",
                    e.chars().take(150).collect::<String>()
                );
            }
        }
    });
}

fn profile(expr: &str, t: std::time::Instant) {
    PROFILE.with(|p| {
        if let Some(m) = p.borrow_mut().as_mut() {
            let e = m.entry(expr.to_string()).or_default();
            e.0 += 1;
            e.1 += t.elapsed();
        }
    });
}

fn count(f: impl FnOnce(&mut Stats)) {
    STATS.with(|s| {
        let mut v = s.get();
        f(&mut v);
        s.set(v);
    });
}

/// Per-document indexes for rule contexts: elements in document order, by name, and the parents of
/// `child/@attr = 'value'` (the volets' `*[cda:templateId/@root = '…']`).
#[derive(Default)]
struct DocIndex {
    all: Vec<xot::Node>,
    order: HashMap<xot::Node, usize>,
    by_name: HashMap<xot::NameId, Vec<xot::Node>>,
    /// (child name, attribute name) → attribute value → parents, in document order.
    child_attr: HashMap<(xot::NameId, xot::NameId), HashMap<String, Vec<xot::Node>>>,
}

impl DocIndex {
    fn new(xot: &xot::Xot, root: xot::Node) -> Self {
        let mut ix = DocIndex::default();
        for n in xot.descendants(root).filter(|n| xot.is_element(*n)) {
            ix.order.insert(n, ix.all.len());
            ix.all.push(n);
            if let Some(name) = xot.node_name(n) {
                ix.by_name.entry(name).or_default().push(n);
            }
        }
        ix
    }

    fn parents_with(
        &mut self,
        xot: &xot::Xot,
        child: xot::NameId,
        attr: xot::NameId,
        value: &str,
    ) -> &[xot::Node] {
        let by_name = &self.by_name;
        let order = &self.order;
        let m = self.child_attr.entry((child, attr)).or_insert_with(|| {
            let mut m: HashMap<String, Vec<xot::Node>> = HashMap::new();
            for c in by_name.get(&child).map(Vec::as_slice).unwrap_or(&[]) {
                if let (Some(v), Some(p)) = (xot.get_attribute(*c, attr), xot.parent(*c)) {
                    if xot.is_element(p) {
                        m.entry(v.to_string()).or_default().push(p);
                    }
                }
            }
            for v in m.values_mut() {
                v.sort_by_key(|p| order.get(p).copied().unwrap_or(usize::MAX));
                v.dedup();
            }
            m
        });
        m.get(value).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The document being checked, with per-document caches.
pub struct DocRun<'e> {
    /// The engine.
    pub engine: &'e mut Engine,
    /// Document node.
    pub root: xot::Node,
    /// Node sets of context prefixes already computed (per schema: namespaces may differ).
    sets: HashMap<(usize, String), Result<Vec<xot::Node>, String>>,
    /// Element indexes, built on first use.
    index: Option<DocIndex>,
    /// Plain evaluation (see [`with_plain`]).
    plain: bool,
}

impl<'e> DocRun<'e> {
    /// Starts a run on an already-added document.
    pub fn new(engine: &'e mut Engine, root: xot::Node) -> Self {
        DocRun {
            engine,
            root,
            sets: HashMap::new(),
            index: None,
            plain: PLAIN.with(Cell::get),
        }
    }

    /// Nodes matching a native context step from the root (`//step`), in document order.
    fn native_from_root(&mut self, step: &Step) -> Vec<xot::Node> {
        let xot = self.engine.documents.xot();
        let ix = self
            .index
            .get_or_insert_with(|| DocIndex::new(xot, self.root));
        let names = &self.engine.names;
        // Candidates: from `child/@attr = 'lit'` among the predicates, else by name, else all.
        let mut cands: Option<Vec<xot::Node>> = None;
        for p in &step.preds {
            let conj: &[Cond] = match p {
                Cond::And(v) => v,
                c => std::slice::from_ref(c),
            };
            for c in conj {
                if let Cond::AttrCmp {
                    paths,
                    ne: false,
                    lit,
                } = c
                {
                    if let [super::native::Path {
                        start: super::native::Start::Context,
                        steps,
                        attr: Some(a),
                    }] = paths.as_slice()
                    {
                        if let [Step {
                            axis: Axis::Child,
                            test: Test::Name(cn),
                            preds,
                        }] = steps.as_slice()
                        {
                            if preds.is_empty() {
                                let found = match (names.id(*cn), names.id(*a)) {
                                    (Some(cn), Some(a)) => {
                                        ix.parents_with(xot, cn, a, lit).to_vec()
                                    }
                                    _ => Vec::new(),
                                };
                                cands = Some(found);
                                break;
                            }
                        }
                    }
                }
            }
            if cands.is_some() {
                break;
            }
        }
        let cands = match (cands, &step.test) {
            (Some(c), _) => c,
            (None, Test::Name(n)) => names
                .id(*n)
                .and_then(|id| ix.by_name.get(&id))
                .cloned()
                .unwrap_or_default(),
            (None, Test::AnyElement) => ix.all.clone(),
        };
        let ev = Eval { xot, names };
        cands
            .into_iter()
            .filter(|n| ev.step_matches(step, *n))
            .collect()
    }

    /// A context path natively when its last step is in the native subset: `Ok(None)` otherwise.
    fn native_path_set(
        &mut self,
        s: &SchemaCtx<'_>,
        path: &str,
    ) -> Result<Option<Vec<xot::Node>>, String> {
        if self.plain {
            return Ok(None);
        }
        match split_last(path) {
            Some((prefix, step)) => {
                let (desc, text) = match step.strip_prefix(".//") {
                    Some(t) => (true, t),
                    None => (false, step.as_str()),
                };
                let Some(st) = self.engine.native_step(s, text) else {
                    return Ok(None);
                };
                let base = self.path_set(s, &prefix)?;
                let xot = self.engine.documents.xot();
                let ev = Eval {
                    xot,
                    names: &self.engine.names,
                };
                let mut out = Vec::new();
                if desc {
                    let mut seen = HashSet::new();
                    for b in base {
                        for m in xot.descendants(b).skip(1) {
                            if ev.step_matches(&st, m) && seen.insert(m) {
                                out.push(m);
                            }
                        }
                    }
                } else {
                    // Children of distinct nodes are distinct.
                    for b in base {
                        out.extend(xot.children(b).filter(|m| ev.step_matches(&st, *m)));
                    }
                }
                Ok(Some(out))
            }
            None => {
                if let Some(text) = path.strip_prefix("//") {
                    let Some(st) = self.engine.native_step(s, text) else {
                        return Ok(None);
                    };
                    Ok(Some(self.native_from_root(&st)))
                } else if let Some(text) = path.strip_prefix('/') {
                    let Some(st) = self.engine.native_step(s, text) else {
                        return Ok(None);
                    };
                    let xot = self.engine.documents.xot();
                    let ev = Eval {
                        xot,
                        names: &self.engine.names,
                    };
                    Ok(Some(
                        xot.children(self.root)
                            .filter(|m| ev.step_matches(&st, *m))
                            .collect(),
                    ))
                } else {
                    Ok(None)
                }
            }
        }
    }

    fn nodes_of(seq: &Sequence) -> Vec<xot::Node> {
        seq.iter()
            .filter_map(|i| match i {
                Item::Node(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    /// Node set of an absolute path, prefixes memoised.
    fn path_set(&mut self, s: &SchemaCtx<'_>, path: &str) -> Result<Vec<xot::Node>, String> {
        let key = (s.index, path.to_string());
        if let Some(r) = self.sets.get(&key) {
            return r.clone();
        }
        let native = self.native_path_set(s, path);
        count(|c| match native {
            Ok(Some(_)) => c.native_steps += 1,
            _ => c.xee_steps += 1,
        });
        let r = match native {
            Ok(Some(v)) => Ok(v),
            Err(e) => Err(e),
            Ok(None) => self.xee_path_set(s, path),
        };
        self.sets.insert(key, r.clone());
        r
    }

    /// As [`DocRun::path_set`], the last step evaluated by xee.
    fn xee_path_set(&mut self, s: &SchemaCtx<'_>, path: &str) -> Result<Vec<xot::Node>, String> {
        match split_last(path) {
            Some((prefix, step)) => {
                let base = self.path_set(s, &prefix)?;
                let id = self.engine.compile(s, &step)?;
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for n in base {
                    let seq = self.engine.eval(id, &Item::Node(n), &Env::new())?;
                    for m in Self::nodes_of(&seq) {
                        if seen.insert(m) {
                            out.push(m);
                        }
                    }
                }
                Ok(out)
            }
            None => {
                let id = self.engine.compile(s, path)?;
                let seq = self.engine.eval(id, &Item::Node(self.root), &Env::new())?;
                Ok(Self::nodes_of(&seq))
            }
        }
    }

    /// Nodes matched by a rule context (an XSLT pattern, possibly a union).
    fn context_set(&mut self, s: &SchemaCtx<'_>, context: &str) -> Result<Vec<xot::Node>, String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for alt in split_top(context, '|') {
            let alt = alt.trim();
            let path = if alt.starts_with('/') {
                alt.to_string()
            } else {
                format!("//{alt}")
            };
            for n in self.path_set(s, &path)? {
                if seen.insert(n) {
                    out.push(n);
                }
            }
        }
        Ok(out)
    }

    /// Evaluates the globals (schema and pattern lets) from the document node. A let that reads a
    /// later one is retried after it.
    pub fn globals(
        &mut self,
        s: &SchemaCtx<'_>,
        schema: &Schema,
        ne: &mut Vec<NotEvaluated>,
    ) -> Env {
        let mut env = Env::new();
        let mut pending: Vec<_> = schema.globals().collect();
        for pass in 0..3 {
            let mut still = Vec::new();
            for l in pending {
                let r = self
                    .engine
                    .compile(s, &l.value)
                    .and_then(|id| self.engine.eval(id, &Item::Node(self.root), &env));
                match r {
                    Ok(v) => {
                        env.insert(l.name.clone(), v);
                    }
                    Err(e) if pass == 2 => ne.push(NotEvaluated {
                        schematron: schema.file.clone(),
                        at: format!("{} (let ${})", schema.file, l.name),
                        reason: e,
                    }),
                    Err(_) => still.push(l),
                }
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
        }
        env
    }

    /// Runs every pattern of `schema`.
    pub fn run(
        &mut self,
        s: &SchemaCtx<'_>,
        schema: &Schema,
        out: &mut Vec<(KitAssert, xot::Node)>,
        ne: &mut Vec<NotEvaluated>,
    ) {
        let globals = self.globals(s, schema, ne);
        for p in &schema.patterns {
            let mut claimed: HashSet<xot::Node> = HashSet::new();
            for rule in &p.rules {
                let nodes = match self.context_set(s, &rule.context) {
                    Ok(n) => n,
                    Err(e) => {
                        ne.push(NotEvaluated {
                            schematron: schema.file.clone(),
                            at: format!("{} (rule context)", rule.src),
                            reason: e,
                        });
                        continue;
                    }
                };
                for n in nodes {
                    if !claimed.insert(n) {
                        continue;
                    }
                    self.fire(s, schema, p.id.as_deref(), rule, n, &globals, out, ne);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fire(
        &mut self,
        s: &SchemaCtx<'_>,
        schema: &Schema,
        pattern: Option<&str>,
        rule: &Rule,
        node: xot::Node,
        globals: &Env,
        out: &mut Vec<(KitAssert, xot::Node)>,
        ne: &mut Vec<NotEvaluated>,
    ) {
        let item = Item::Node(node);
        let mut env = Env::new();
        for l in &rule.lets {
            let r = self
                .engine
                .compile(s, &l.value)
                .and_then(|id| self.engine.eval2(id, &item, globals, &env));
            match r {
                Ok(v) => {
                    env.insert(l.name.clone(), v);
                }
                Err(e) => {
                    ne.push(NotEvaluated {
                        schematron: schema.file.clone(),
                        at: format!("{} (let ${})", rule.src, l.name),
                        reason: e,
                    });
                    return;
                }
            }
        }
        for c in &rule.checks {
            let native = if self.plain {
                None
            } else {
                self.engine.native(s, &c.test)
            };
            let r = match native {
                Some(cond) => {
                    count(|c| c.native_tests += 1);
                    Ok(Eval {
                        xot: self.engine.documents.xot(),
                        names: &self.engine.names,
                    }
                    .cond(&cond, node))
                }
                None => {
                    count(|c| c.xee_tests += 1);
                    let t = std::time::Instant::now();
                    let r = self
                        .engine
                        .compile(s, &c.test)
                        .and_then(|id| self.engine.eval2(id, &item, globals, &env))
                        .and_then(|v| v.effective_boolean_value().map_err(|e| e.to_string()));
                    profile(&c.test, t);
                    r
                }
            };
            let fired = match r {
                Ok(b) => match c.kind {
                    AssertKind::FailedAssert => !b,
                    AssertKind::SuccessfulReport => b,
                },
                Err(e) => {
                    ne.push(NotEvaluated {
                        schematron: schema.file.clone(),
                        at: c.src.to_string(),
                        reason: e,
                    });
                    continue;
                }
            };
            if fired {
                let text = self.message(s, c, &item, globals, &env);
                out.push((
                    KitAssert {
                        schematron: schema.file.clone(),
                        pattern: pattern.map(str::to_string),
                        rule_context: rule.context.clone(),
                        test: c.test.clone(),
                        kind: c.kind,
                        role: c.role.clone(),
                        is_error: super::is_error_role(c.role.as_deref()),
                        location: String::new(),
                        line: None,
                        column: None,
                        id: c.id.clone(),
                        text,
                        source: c.src.to_string(),
                    },
                    node,
                ));
            }
        }
    }

    fn message(
        &mut self,
        s: &SchemaCtx<'_>,
        c: &Check,
        item: &Item,
        globals: &Env,
        env: &Env,
    ) -> String {
        let mut t = String::new();
        for part in &c.message {
            match part {
                MsgPart::Text(x) => t.push_str(x),
                MsgPart::ValueOf(e) => {
                    match self
                        .engine
                        .compile(s, e)
                        .and_then(|id| self.engine.eval2(id, item, globals, env))
                    {
                        Ok(v) => t.push_str(&self.engine.string(&v)),
                        Err(_) => t.push_str("[?]"),
                    }
                }
                MsgPart::Name(path) => {
                    let node = match (path, item) {
                        (None, Item::Node(n)) => Some(*n),
                        (Some(p), _) => self
                            .engine
                            .compile(s, p)
                            .and_then(|id| self.engine.eval2(id, item, globals, env))
                            .ok()
                            .and_then(|v| Self::nodes_of(&v).first().copied()),
                        _ => None,
                    };
                    if let Some(n) = node {
                        t.push_str(&node_name(self.engine.documents.xot(), n));
                    }
                }
            }
        }
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The qualified name of a node as written (prefix:local when it has a prefix).
pub fn node_name(xot: &xot::Xot, n: xot::Node) -> String {
    match xot.node_name_ref(n) {
        Ok(Some(r)) => {
            use xot::xmlname::NameStrInfo;
            let p = r.prefix();
            if p.is_empty() {
                r.local_name().to_string()
            } else {
                format!("{p}:{}", r.local_name())
            }
        }
        _ => String::new(),
    }
}

/// SVRL-style location of a node (`/*:ClinicalDocument[namespace-uri()='urn:hl7-org:v3'][1]/…`, as the
/// ISO skeleton writes it) and the path of child-element indices from the root (to find its line).
pub fn location(xot: &xot::Xot, n: xot::Node) -> (String, Vec<usize>) {
    let mut steps = Vec::new();
    let mut idx = Vec::new();
    let mut cur = n;
    while let Some(parent) = xot.parent(cur) {
        if xot.is_element(cur) {
            let name = xot.node_name(cur);
            let (local, ns) = name.map(|id| xot.name_ns_str(id)).unwrap_or(("", ""));
            let siblings: Vec<_> = xot
                .children(parent)
                .filter(|c| xot.is_element(*c))
                .collect();
            let pos_all = siblings.iter().position(|c| *c == cur).unwrap_or(0);
            let same = siblings
                .iter()
                .take(pos_all + 1)
                .filter(|c| xot.node_name(**c) == name)
                .count();
            steps.push(format!("*:{local}[namespace-uri()='{ns}'][{same}]"));
            idx.push(pos_all);
        } else if let Some(id) = xot.node_name(cur) {
            // An attribute.
            steps.push(format!("@{}", xot.local_name_str(id)));
        }
        cur = parent;
    }
    steps.reverse();
    idx.reverse();
    if steps.is_empty() {
        return ("/".to_string(), idx);
    }
    (format!("/{}", steps.join("/")), idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_split_at_the_last_top_level_step() {
        assert_eq!(
            split_last("//a[b/c = '/']/d[e]"),
            Some(("//a[b/c = '/']".to_string(), "d[e]".to_string()))
        );
        assert_eq!(split_last("//a//d"), Some(("//a".into(), ".//d".into())));
        assert_eq!(split_last("//a"), None);
        assert_eq!(split_last("/"), None);
        assert_eq!(split_top("a | b[c|d]", '|'), vec!["a ", " b[c|d]"]);
    }
}
