//! Native evaluation of the kit's most frequent XPath shapes, without xee.
//!
//! The kit's asserts and rule contexts are dominated by a few shapes: child paths with name tests and
//! predicates (`hl7:author[hl7:assignedAuthor]`), attribute comparisons with a string literal
//! (`cda:templateId/@root = '1.2.250…'`), `count(path) op N`, `not(…)`, `and`, `or`, unions of
//! `self::` tests. For these the XPath 2.0 result is decided by the tree alone, so they are evaluated
//! here directly on xot; every other expression (functions, variables, arithmetic, numeric or string
//! predicates, comparisons of element values…) is refused by [`parse`] and stays with xee.
//!
//! Semantics kept exactly (XPath 3.1 / 2.0 as Saxon runs the kit):
//! - paths (§3.3): `child::` (abbreviated), `self::`, `.`, `..`, a final `@name`; only boolean
//!   predicates are accepted (comparisons, `not`, `and`/`or`, paths: effective boolean value), so a
//!   predicate is never positional (§3.3.3) and never depends on the context position;
//! - general comparisons `=`/`!=` of attribute nodes with a string literal (§3.7.2): existential over
//!   the attributes, untypedAtomic compared as xs:string with the codepoint collation — equality of the
//!   attribute's value and the literal, character for character;
//! - `count(path) op N` with an integer literal; only for paths that cannot yield one node twice
//!   (no `..` after a step that can yield several nodes), so counting does not need deduplication;
//! - the effective boolean value of a path (§2.4.3) is whether it is non-empty; `not`, `and`, `or`,
//!   `true()`, `false()`, `exists`, `empty`.
//!
//! None of these can raise a dynamic error, so the native result is the result, never a guess. The
//! differential guard is `tests/kit_speed.rs` (native and plain runs give identical outcomes).

use std::collections::HashMap;

use xot::{NameId, Node, Xot};

/// Expanded names used by native expressions; resolved against the current xot at each document.
#[derive(Debug, Default)]
pub struct Names {
    list: Vec<(String, String)>,
    index: HashMap<(String, String), u32>,
    ids: Vec<Option<NameId>>,
}

impl Names {
    /// The index of (namespace URI, local name), resolved in `xot` if new.
    fn intern(&mut self, xot: &Xot, ns: &str, local: &str) -> u32 {
        let key = (ns.to_string(), local.to_string());
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.ids.push(resolve(xot, ns, local));
        self.list.push(key.clone());
        self.index.insert(key, i);
        i
    }

    /// Re-resolves every name (a document was added: it may bring names the store did not have).
    pub fn resolve_all(&mut self, xot: &Xot) {
        for (i, (ns, local)) in self.list.iter().enumerate() {
            self.ids[i] = resolve(xot, ns, local);
        }
    }

    /// The xot name of index `i` (`None`: no node of the store has that name).
    pub fn id(&self, i: u32) -> Option<NameId> {
        self.ids.get(i as usize).copied().flatten()
    }
}

fn resolve(xot: &Xot, ns: &str, local: &str) -> Option<NameId> {
    let nsid = if ns.is_empty() {
        xot.no_namespace()
    } else {
        xot.namespace(ns)?
    };
    xot.name_ns(local, nsid)
}

/// A node test on an element.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `*`.
    AnyElement,
    /// A name (index into [`Names`]).
    Name(u32),
}

/// An axis step.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    /// `child::` (abbreviated).
    Child,
    /// `self::` with a test.
    SelfTest,
    /// `.`: the context node itself.
    Dot,
    /// `..`: the parent node.
    Parent,
}

/// One step with its predicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Axis.
    pub axis: Axis,
    /// Test (ignored for `.` and `..`).
    pub test: Test,
    /// Boolean predicates.
    pub preds: Vec<Cond>,
}

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// The context node.
    Context,
    /// `/`: the root of the context node's tree.
    Root,
    /// `//`: the root's descendants (`/descendant-or-self::node()/child::` — with the non-positional
    /// predicates of the subset, the same nodes as `descendant::` on the first step).
    RootDescendants,
}

/// A path, maybe ending in an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Where it starts.
    pub start: Start,
    /// Steps from the start.
    pub steps: Vec<Step>,
    /// Final `@name`.
    pub attr: Option<u32>,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Op {
    fn flip(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            o => o,
        }
    }
    fn int(self, a: i64, b: i64) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

/// A boolean expression evaluated natively.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// A constant.
    Const(bool),
    /// Effective boolean value of a union of paths: non-empty.
    Exists(Vec<Path>),
    /// `not(…)`.
    Not(Box<Cond>),
    /// `and`.
    And(Vec<Cond>),
    /// `or`.
    Or(Vec<Cond>),
    /// `paths/@a = 'lit'` (or `!=`): some attribute of the union compares true.
    AttrCmp {
        /// Paths, each ending in an attribute.
        paths: Vec<Path>,
        /// `true` for `!=`.
        ne: bool,
        /// The literal.
        lit: String,
    },
    /// `count(paths) op n`.
    Count {
        /// Paths (node sets without duplicates).
        paths: Vec<Path>,
        /// Operator.
        op: Op,
        /// The integer.
        n: i64,
    },
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Axis(String),
    At,
    Slash,
    DSlash,
    LBr,
    RBr,
    LPar,
    RPar,
    Pipe,
    Dot,
    DotDot,
    Op(Op),
    Str(String),
    Int(i64),
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '\'' | '"' => {
                let mut j = i + 1;
                let mut lit = String::new();
                loop {
                    if j >= cs.len() {
                        return None;
                    }
                    if cs[j] == c {
                        // A doubled quote is an escaped quote (XPath 2.0 §3.1.1).
                        if j + 1 < cs.len() && cs[j + 1] == c {
                            lit.push(c);
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    lit.push(cs[j]);
                    j += 1;
                }
                out.push(Tok::Str(lit));
                i = j + 1;
            }
            '0'..='9' => {
                let mut j = i;
                while j < cs.len() && cs[j].is_ascii_digit() {
                    j += 1;
                }
                // Decimals, doubles: refused (not needed, other types).
                if j < cs.len()
                    && (cs[j] == '.' || cs[j] == 'e' || cs[j] == 'E' || is_name_start(cs[j]))
                {
                    return None;
                }
                let n: String = cs[i..j].iter().collect();
                out.push(Tok::Int(n.parse().ok()?));
                i = j;
            }
            '@' => {
                out.push(Tok::At);
                i += 1;
            }
            '/' => {
                if cs.get(i + 1) == Some(&'/') {
                    out.push(Tok::DSlash);
                    i += 2;
                } else {
                    out.push(Tok::Slash);
                    i += 1;
                }
            }
            '[' => {
                out.push(Tok::LBr);
                i += 1;
            }
            ']' => {
                out.push(Tok::RBr);
                i += 1;
            }
            '(' => {
                if cs.get(i + 1) == Some(&':') {
                    return None; // comment
                }
                out.push(Tok::LPar);
                i += 1;
            }
            ')' => {
                out.push(Tok::RPar);
                i += 1;
            }
            '|' => {
                if cs.get(i + 1) == Some(&'|') {
                    return None; // string concatenation
                }
                out.push(Tok::Pipe);
                i += 1;
            }
            '.' => {
                if cs.get(i + 1) == Some(&'.') {
                    out.push(Tok::DotDot);
                    i += 2;
                } else if cs.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                    return None;
                } else {
                    out.push(Tok::Dot);
                    i += 1;
                }
            }
            '=' => {
                out.push(Tok::Op(Op::Eq));
                i += 1;
            }
            '!' if cs.get(i + 1) == Some(&'=') => {
                out.push(Tok::Op(Op::Ne));
                i += 2;
            }
            '<' | '>' => {
                let eq = cs.get(i + 1) == Some(&'=');
                if !eq && cs.get(i + 1) == Some(&c) {
                    return None; // << >>
                }
                out.push(Tok::Op(match (c, eq) {
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    _ => Op::Ge,
                }));
                i += if eq { 2 } else { 1 };
            }
            '*' => {
                // `*` or `*:local` (refused) as a name test.
                if cs.get(i + 1) == Some(&':') {
                    return None;
                }
                out.push(Tok::Name("*".into()));
                i += 1;
            }
            c if is_name_start(c) => {
                let mut j = i;
                while j < cs.len() && is_name_char(cs[j]) {
                    j += 1;
                }
                // QName: one colon between two NCNames (`p:*` refused).
                if j + 1 < cs.len() && cs[j] == ':' && is_name_start(cs[j + 1]) {
                    j += 1;
                    while j < cs.len() && is_name_char(cs[j]) {
                        j += 1;
                    }
                }
                let name: String = cs[i..j].iter().collect();
                if cs.get(j) == Some(&':') && cs.get(j + 1) == Some(&':') {
                    out.push(Tok::Axis(name));
                    i = j + 2;
                } else if cs.get(j) == Some(&':') {
                    return None;
                } else {
                    out.push(Tok::Name(name));
                    i = j;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// What an operand is, before it meets an operator.
enum Term {
    Bool(Cond),
    Nodes(Vec<Path>),
    Count(Vec<Path>),
    Str(String),
    Int(i64),
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    ns: &'a [(String, String)],
    names: &'a mut Names,
    xot: &'a Xot,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn peek2(&self) -> Option<&Tok> {
        self.toks.get(self.pos + 1)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &Tok) -> Option<()> {
        self.eat(t).then_some(())
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == kw)
    }

    /// An expanded name for a QName; `None` for an undeclared prefix (xee reports the static error).
    fn qname(&mut self, q: &str) -> Option<u32> {
        let (ns, local) = match q.split_once(':') {
            Some((p, l)) => {
                let uri = self.ns.iter().rev().find(|(pp, _)| pp == p)?.1.clone();
                (uri, l)
            }
            None => (String::new(), q),
        };
        Some(self.names.intern(self.xot, &ns, local))
    }

    fn or(&mut self) -> Option<Cond> {
        let mut v = vec![self.and()?];
        while self.is_kw("or") {
            self.pos += 1;
            v.push(self.and()?);
        }
        Some(if v.len() == 1 { v.pop()? } else { Cond::Or(v) })
    }

    fn and(&mut self) -> Option<Cond> {
        let mut v = vec![self.cmp()?];
        while self.is_kw("and") {
            self.pos += 1;
            v.push(self.cmp()?);
        }
        Some(if v.len() == 1 { v.pop()? } else { Cond::And(v) })
    }

    fn cmp(&mut self) -> Option<Cond> {
        let left = self.term()?;
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            return match left {
                Term::Bool(c) => Some(c),
                Term::Nodes(p) => Some(Cond::Exists(p)),
                _ => None,
            };
        };
        self.pos += 1;
        let right = self.term()?;
        match (left, right, op) {
            (Term::Nodes(paths), Term::Str(lit), Op::Eq | Op::Ne)
            | (Term::Str(lit), Term::Nodes(paths), Op::Eq | Op::Ne)
                if paths.iter().all(|p| p.attr.is_some()) =>
            {
                Some(Cond::AttrCmp {
                    paths,
                    ne: op == Op::Ne,
                    lit,
                })
            }
            (Term::Count(paths), Term::Int(n), op) => Some(Cond::Count { paths, op, n }),
            (Term::Int(n), Term::Count(paths), op) => Some(Cond::Count {
                paths,
                op: op.flip(),
                n,
            }),
            _ => None,
        }
    }

    fn term(&mut self) -> Option<Term> {
        match self.peek()?.clone() {
            Tok::LPar => {
                self.pos += 1;
                let c = self.or()?;
                self.expect(&Tok::RPar)?;
                Some(Term::Bool(c))
            }
            Tok::Str(s) => {
                self.pos += 1;
                Some(Term::Str(s))
            }
            Tok::Int(n) => {
                self.pos += 1;
                Some(Term::Int(n))
            }
            Tok::Name(f) if self.peek2() == Some(&Tok::LPar) => {
                self.pos += 2;
                let t = match f.as_str() {
                    "not" => Term::Bool(Cond::Not(Box::new(self.or()?))),
                    "true" => Term::Bool(Cond::Const(true)),
                    "false" => Term::Bool(Cond::Const(false)),
                    "count" => Term::Count(self.counted_union()?),
                    "exists" => Term::Bool(Cond::Exists(self.union()?)),
                    "empty" => Term::Bool(Cond::Not(Box::new(Cond::Exists(self.union()?)))),
                    _ => return None,
                };
                self.expect(&Tok::RPar)?;
                Some(t)
            }
            _ => Some(Term::Nodes(self.union()?)),
        }
    }

    /// A union whose paths never yield a node twice (for `count`). A union of several paths could
    /// overlap: refused.
    fn counted_union(&mut self) -> Option<Vec<Path>> {
        let u = self.union()?;
        if u.len() != 1 {
            return None;
        }
        let mut multi = u[0].start == Start::RootDescendants;
        for s in &u[0].steps {
            match s.axis {
                Axis::Parent if multi => return None,
                Axis::Child => multi = true,
                _ => {}
            }
        }
        Some(u)
    }

    fn union(&mut self) -> Option<Vec<Path>> {
        let mut v = vec![self.path()?];
        while self.eat(&Tok::Pipe) {
            let p = self.path()?;
            // A union of attribute and element paths is fine for EBV, but keep it plain.
            v.push(p);
        }
        if v.iter().any(|p| p.attr.is_some()) && v.iter().any(|p| p.attr.is_none()) {
            return None;
        }
        Some(v)
    }

    fn path(&mut self) -> Option<Path> {
        let mut steps = Vec::new();
        let start = if self.eat(&Tok::DSlash) {
            Start::RootDescendants
        } else if self.eat(&Tok::Slash) {
            Start::Root
        } else {
            Start::Context
        };
        loop {
            if self.eat(&Tok::At) {
                let Some(Tok::Name(n)) = self.peek().cloned() else {
                    return None;
                };
                if n == "*" {
                    return None;
                }
                self.pos += 1;
                let attr = self.qname(&n)?;
                // An attribute is the last step; no predicate on it.
                if matches!(self.peek(), Some(Tok::Slash | Tok::DSlash | Tok::LBr)) {
                    return None;
                }
                if start == Start::RootDescendants && steps.is_empty() {
                    return None;
                }
                return Some(Path {
                    start,
                    steps,
                    attr: Some(attr),
                });
            }
            steps.push(self.step()?);
            if !self.eat(&Tok::Slash) {
                break;
            }
        }
        if start == Start::RootDescendants && steps.first().map(|s| &s.axis) != Some(&Axis::Child) {
            return None;
        }
        Some(Path {
            start,
            steps,
            attr: None,
        })
    }

    fn step(&mut self) -> Option<Step> {
        let (axis, test) = match self.peek()?.clone() {
            Tok::Dot => {
                self.pos += 1;
                (Axis::Dot, Test::AnyElement)
            }
            Tok::DotDot => {
                self.pos += 1;
                (Axis::Parent, Test::AnyElement)
            }
            Tok::Axis(a) => {
                self.pos += 1;
                let axis = match a.as_str() {
                    "self" => Axis::SelfTest,
                    "child" => Axis::Child,
                    _ => return None,
                };
                let Some(Tok::Name(n)) = self.peek().cloned() else {
                    return None;
                };
                self.pos += 1;
                (axis, self.test(&n)?)
            }
            Tok::Name(n) if n != "and" && n != "or" => {
                if self.peek2() == Some(&Tok::LPar) {
                    return None;
                }
                self.pos += 1;
                (Axis::Child, self.test(&n)?)
            }
            _ => return None,
        };
        let mut preds = Vec::new();
        while self.eat(&Tok::LBr) {
            if matches!(axis, Axis::Dot | Axis::Parent) {
                return None; // `.[p]` is not XPath 2.0 syntax; `..[p]` is rare: keep plain.
            }
            let c = self.or()?;
            self.expect(&Tok::RBr)?;
            preds.push(c);
        }
        Some(Step { axis, test, preds })
    }

    fn test(&mut self, n: &str) -> Option<Test> {
        if n == "*" {
            Some(Test::AnyElement)
        } else {
            Some(Test::Name(self.qname(n)?))
        }
    }
}

/// Parses `expr` into a native condition, or `None` when it is not in the native subset.
pub fn parse(expr: &str, ns: &[(String, String)], names: &mut Names, xot: &Xot) -> Option<Cond> {
    let toks = tokenize(expr)?;
    if toks.is_empty() {
        return None;
    }
    let mut p = Parser {
        toks,
        pos: 0,
        ns,
        names,
        xot,
    };
    let c = p.or()?;
    (p.pos == p.toks.len()).then_some(c)
}

/// Parses one step of a rule context (`name[preds]`, `*[preds]`), or `None`.
pub fn parse_step(
    step: &str,
    ns: &[(String, String)],
    names: &mut Names,
    xot: &Xot,
) -> Option<Step> {
    let toks = tokenize(step)?;
    let mut p = Parser {
        toks,
        pos: 0,
        ns,
        names,
        xot,
    };
    let s = p.step()?;
    (p.pos == p.toks.len() && s.axis == Axis::Child).then_some(s)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Evaluation on one document's tree.
pub struct Eval<'x> {
    /// The tree.
    pub xot: &'x Xot,
    /// Names resolved for this tree.
    pub names: &'x Names,
}

impl Eval<'_> {
    fn test(&self, t: &Test, n: Node) -> bool {
        if !self.xot.is_element(n) {
            return false;
        }
        match t {
            Test::AnyElement => true,
            Test::Name(i) => match self.names.id(*i) {
                Some(id) => self.xot.node_name(n) == Some(id),
                None => false,
            },
        }
    }

    /// Whether `n` passes `step`'s test and predicates (for child and self steps).
    pub fn step_matches(&self, step: &Step, n: Node) -> bool {
        self.test(&step.test, n) && step.preds.iter().all(|c| self.cond(c, n))
    }

    /// Calls `f` on each node of `path` from `ctx` (each node of the last step, or each element holding
    /// the final attribute, with that attribute's value) until `f` returns `true`; returns whether it did.
    fn walk(&self, steps: &[Step], ctx: Node, f: &mut dyn FnMut(Node) -> bool) -> bool {
        let Some((s, rest)) = steps.split_first() else {
            return f(ctx);
        };
        match s.axis {
            Axis::Dot => self.walk(rest, ctx, f),
            Axis::Parent => match self.xot.parent(ctx) {
                Some(p) => self.walk(rest, p, f),
                None => false,
            },
            Axis::SelfTest => self.step_matches(s, ctx) && self.walk(rest, ctx, f),
            Axis::Child => {
                for c in self.xot.children(ctx) {
                    if self.step_matches(s, c) && self.walk(rest, c, f) {
                        return true;
                    }
                }
                false
            }
        }
    }

    /// As [`Eval::walk`] for a whole path (its start included).
    fn walk_path(&self, p: &Path, ctx: Node, f: &mut dyn FnMut(Node) -> bool) -> bool {
        match p.start {
            Start::Context => self.walk(&p.steps, ctx, f),
            Start::Root | Start::RootDescendants => {
                let mut root = ctx;
                while let Some(up) = self.xot.parent(root) {
                    root = up;
                }
                if p.start == Start::Root {
                    return self.walk(&p.steps, root, f);
                }
                let Some((first, rest)) = p.steps.split_first() else {
                    return false;
                };
                for d in self.xot.descendants(root).skip(1) {
                    if self.step_matches(first, d) && self.walk(rest, d, f) {
                        return true;
                    }
                }
                false
            }
        }
    }

    fn attr_value(&self, n: Node, attr: u32) -> Option<&str> {
        let id = self.names.id(attr)?;
        self.xot.get_attribute(n, id)
    }

    /// The condition's value with `ctx` as context node.
    pub fn cond(&self, c: &Cond, ctx: Node) -> bool {
        match c {
            Cond::Const(b) => *b,
            Cond::Not(c) => !self.cond(c, ctx),
            Cond::And(v) => v.iter().all(|c| self.cond(c, ctx)),
            Cond::Or(v) => v.iter().any(|c| self.cond(c, ctx)),
            Cond::Exists(paths) => paths.iter().any(|p| {
                self.walk_path(p, ctx, &mut |n| match p.attr {
                    Some(a) => self.attr_value(n, a).is_some(),
                    None => true,
                })
            }),
            Cond::AttrCmp { paths, ne, lit } => paths.iter().any(|p| {
                let a = p.attr.unwrap_or(u32::MAX);
                self.walk_path(p, ctx, &mut |n| {
                    self.attr_value(n, a).is_some_and(|v| (v == lit) != *ne)
                })
            }),
            Cond::Count { paths, op, n } => {
                let mut count: i64 = 0;
                for p in paths {
                    self.walk_path(p, ctx, &mut |m| {
                        let hit = match p.attr {
                            Some(a) => self.attr_value(m, a).is_some(),
                            None => true,
                        };
                        count += i64::from(hit);
                        false
                    });
                }
                op.int(count, *n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str, xml: &str) -> Option<bool> {
        let mut xot = Xot::new();
        let root = xot.parse(xml).ok()?;
        let el = xot.document_element(root).ok()?;
        let ns = vec![("hl7".to_string(), "urn:hl7-org:v3".to_string())];
        let mut names = Names::default();
        let c = parse(expr, &ns, &mut names, &xot)?;
        names.resolve_all(&xot);
        Some(
            Eval {
                xot: &xot,
                names: &names,
            }
            .cond(&c, el),
        )
    }

    const DOC: &str = r#"<r xmlns="urn:hl7-org:v3" a="1"><templateId root="X"/><templateId root="Y"/><b><c code="k"/></b><b/></r>"#;

    #[test]
    fn the_native_subset_evaluates_as_xpath() {
        assert_eq!(eval("hl7:templateId/@root = 'Y'", DOC), Some(true));
        assert_eq!(eval("hl7:templateId/@root != 'Y'", DOC), Some(true));
        assert_eq!(eval("hl7:templateId[@root = 'Z']", DOC), Some(false));
        assert_eq!(
            eval("count(hl7:b) = 2 and count(hl7:b/hl7:c)>=1", DOC),
            Some(true)
        );
        assert_eq!(eval("count(hl7:b[hl7:c]) = 1", DOC), Some(true));
        assert_eq!(eval("not(@a) or @a = \"1\"", DOC), Some(true));
        assert_eq!(eval("not(.)", DOC), Some(false));
        assert_eq!(eval("self::hl7:r[@a='1'] | self::hl7:x", DOC), Some(true));
        assert_eq!(eval("hl7:b/hl7:c/../../@a = '1'", DOC), Some(true));
        assert_eq!(eval("empty(@zz) and exists(hl7:b)", DOC), Some(true));
        assert_eq!(eval("2 <= count(hl7:templateId)", DOC), Some(true));
        assert_eq!(
            eval("count(//hl7:c) = 1 and //hl7:b/hl7:c/@code = 'k'", DOC),
            Some(true)
        );
        assert_eq!(eval("/hl7:r/@a = '1' and not(/hl7:b)", DOC), Some(true));
        // No namespace for unprefixed names.
        assert_eq!(eval("templateId", DOC), Some(false));
    }

    #[test]
    fn everything_else_is_left_to_xee() {
        for e in [
            "hl7:b[1]",
            "count(hl7:b | hl7:b)",
            "count(hl7:b/..) = 1",
            "@a = 1",
            "hl7:b = 'x'",
            "$v",
            "matches(@a, 'x')",
            "x:y",
            "string-length(@a) > 0",
            "@a = ('1', '2')",
            "//@a",
            "hl7:b//hl7:c",
            "count(//hl7:b/..)",
            "@*",
            "hl7:b[last()]",
            "1 + 2",
        ] {
            assert_eq!(eval(e, DOC), None, "{e}");
        }
    }
}
