//! XML canonicalization over a roxmltree document: Canonical XML 1.0 (W3C REC-xml-c14n-20010315, "inclusive")
//! and Exclusive XML Canonicalization 1.0 (W3C REC-xml-exc-c14n-20020718), with or without comments, of the
//! node subsets XML-DSig uses: a whole document, or an element with its descendants, minus at most one
//! excluded subtree (the enveloped-signature transform, XMLDSig §6.6.4).
//!
//! The input is the XPath data model (XMLDSig §4.3.3.3): roxmltree has already expanded entities and
//! character references, normalized line ends (XML 1.0 §2.11) and attribute values (§3.3.3), and merged
//! CDATA sections into text, which is exactly what c14n reads. Prefixes are not kept by roxmltree's tree, so
//! they are read back from the source text at the positions roxmltree keeps (element start tag and
//! attribute QName ranges).

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId};

/// The namespace of the `xml` prefix (never rendered as a declaration, c14n §2.3 / exc-c14n §3).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A canonicalization algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Canonical XML 1.0 (`http://www.w3.org/TR/2001/REC-xml-c14n-20010315`, `#WithComments`).
    Inclusive {
        /// Keep comments.
        comments: bool,
    },
    /// Exclusive c14n 1.0 (`http://www.w3.org/2001/10/xml-exc-c14n#`, `#WithComments`).
    Exclusive {
        /// Keep comments.
        comments: bool,
        /// `InclusiveNamespaces/@PrefixList` (exc-c14n §3): prefixes treated as in inclusive c14n;
        /// `#default` names the default namespace (stored as the empty string).
        prefixes: Vec<String>,
    },
}

/// Canonicalization algorithm URIs.
pub mod uri {
    /// Canonical XML 1.0.
    pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    /// Canonical XML 1.0 with comments.
    pub const C14N_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
    /// Exclusive c14n 1.0.
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// Exclusive c14n 1.0 with comments.
    pub const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
}

impl Method {
    /// The method an algorithm URI names (with the `InclusiveNamespaces` prefix list for exc-c14n), if
    /// supported.
    pub fn from_uri(alg: &str, prefix_list: Option<&str>) -> Option<Method> {
        let prefixes = || {
            prefix_list
                .unwrap_or("")
                .split_ascii_whitespace()
                .map(|p| {
                    if p == "#default" {
                        String::new()
                    } else {
                        p.to_string()
                    }
                })
                .collect()
        };
        match alg {
            uri::C14N => Some(Method::Inclusive { comments: false }),
            uri::C14N_COMMENTS => Some(Method::Inclusive { comments: true }),
            uri::EXC_C14N => Some(Method::Exclusive {
                comments: false,
                prefixes: prefixes(),
            }),
            uri::EXC_C14N_COMMENTS => Some(Method::Exclusive {
                comments: true,
                prefixes: prefixes(),
            }),
            _ => None,
        }
    }

    fn comments(&self) -> bool {
        match self {
            Method::Inclusive { comments } | Method::Exclusive { comments, .. } => *comments,
        }
    }
}

/// What to canonicalize.
#[derive(Debug, Clone, Copy)]
pub struct Subset<'a, 'i> {
    /// The document root (whole document) or an element (the element and its descendants).
    pub apex: Node<'a, 'i>,
    /// A subtree left out (the `ds:Signature` of the enveloped-signature transform).
    pub exclude: Option<NodeId>,
    /// Comments are part of the node set (false for a same-document `#id` or `""` reference, XMLDSig
    /// §4.3.3.3, whatever the algorithm).
    pub comments: bool,
}

/// Canonical form of a node subset.
pub fn canonicalize(subset: Subset<'_, '_>, method: &Method) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let comments = subset.comments && method.comments();
    let c = C14n {
        method,
        exclude: subset.exclude,
        comments,
        src: subset.apex.document().input_text(),
    };
    if subset.apex.is_root() {
        // c14n §2.1: nodes before the document element are followed by #xA, after it preceded by #xA.
        let mut seen_root = false;
        for n in subset.apex.children() {
            if n.is_element() {
                c.element(n, &BTreeMap::new(), true, &mut out);
                seen_root = true;
            } else if n.is_pi() || (n.is_comment() && comments) {
                if seen_root {
                    out.push(b'\n');
                }
                c.leaf(n, &mut out);
                if !seen_root {
                    out.push(b'\n');
                }
            }
        }
    } else if subset.apex.is_element() {
        c.element(subset.apex, &BTreeMap::new(), true, &mut out);
    }
    out
}

struct C14n<'m, 's> {
    method: &'m Method,
    exclude: Option<NodeId>,
    comments: bool,
    src: &'s str,
}

/// Namespace declarations in effect in the output: prefix ("" = default) → URI.
type Rendered = BTreeMap<String, String>;

impl<'s> C14n<'_, 's> {
    /// The prefix of the element's QName as written in the source (None: unprefixed).
    fn element_prefix(&self, n: Node<'_, '_>) -> Option<&'s str> {
        let start = n.range().start + 1;
        let tail = self.src.get(start..)?;
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(tail.len());
        tail[..end].split_once(':').map(|(p, _)| p)
    }

    fn attr_prefix(&self, a: &roxmltree::Attribute<'_, '_>) -> Option<&'s str> {
        self.src
            .get(a.range_qname())
            .and_then(|q| q.split_once(':'))
            .map(|(p, _)| p)
    }

    fn element(&self, n: Node<'_, '_>, parent: &Rendered, apex: bool, out: &mut Vec<u8>) {
        if Some(n.id()) == self.exclude {
            return;
        }
        // Namespace declarations to render.
        let mut decls: Rendered = BTreeMap::new();
        match self.method {
            Method::Inclusive { .. } => {
                let mut has_default = false;
                for ns in n.namespaces() {
                    let p = ns.name().unwrap_or("");
                    if p == "xml" || ns.uri() == XML_NS {
                        continue;
                    }
                    if p.is_empty() {
                        has_default = true;
                    }
                    if parent.get(p).map(String::as_str) != Some(ns.uri()) {
                        decls.insert(p.to_string(), ns.uri().to_string());
                    }
                }
                if !has_default && parent.get("").is_some_and(|u| !u.is_empty()) {
                    decls.insert(String::new(), String::new());
                }
            }
            Method::Exclusive { prefixes, .. } => {
                let mut used: Vec<&str> = vec![self.element_prefix(n).unwrap_or("")];
                for a in n.attributes() {
                    if let Some(p) = self.attr_prefix(&a) {
                        if p != "xml" {
                            used.push(p);
                        }
                    }
                }
                for p in prefixes {
                    let in_scope = if p.is_empty() {
                        n.default_namespace().is_some()
                    } else {
                        n.lookup_namespace_uri(Some(p)).is_some()
                    };
                    if in_scope {
                        used.push(p);
                    }
                }
                for p in used {
                    let uri = if p.is_empty() {
                        n.default_namespace().unwrap_or("")
                    } else {
                        n.lookup_namespace_uri(Some(p)).unwrap_or("")
                    };
                    let prev = parent.get(p).map(String::as_str).unwrap_or("");
                    let declared_before = parent.contains_key(p);
                    if p.is_empty() {
                        // xmlns="" only undoes a non-empty default rendered by an output ancestor.
                        if uri != prev {
                            decls.insert(String::new(), uri.to_string());
                        }
                    } else if !declared_before || prev != uri {
                        decls.insert(p.to_string(), uri.to_string());
                    }
                }
            }
        }
        out.push(b'<');
        let qname = self.qname(n);
        out.extend_from_slice(qname.as_bytes());
        for (p, u) in &decls {
            if p.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(u, out);
            out.push(b'"');
        }
        // Attributes sorted by (namespace URI, local name), no-namespace first (c14n §2.2).
        let mut attrs: Vec<(&str, &str, String, &str)> = n
            .attributes()
            .map(|a| {
                let q = self
                    .src
                    .get(a.range_qname())
                    .map(str::to_string)
                    .unwrap_or_else(|| a.name().to_string());
                (a.namespace().unwrap_or(""), a.name(), q, a.value())
            })
            .collect();
        if apex && matches!(self.method, Method::Inclusive { .. }) {
            // c14n §2.4: an apex inherits the xml:* attributes of its ancestors (nearest first).
            for anc in n.ancestors().skip(1).filter(|a| a.is_element()) {
                for a in anc.attributes() {
                    if a.namespace() == Some(XML_NS)
                        && !attrs.iter().any(|x| x.0 == XML_NS && x.1 == a.name())
                    {
                        attrs.push((XML_NS, a.name(), format!("xml:{}", a.name()), a.value()));
                    }
                }
            }
        }
        attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, q, v) in &attrs {
            out.push(b' ');
            out.extend_from_slice(q.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(v, out);
            out.push(b'"');
        }
        out.push(b'>');
        let mut scope = parent.clone();
        scope.extend(decls);
        for c in n.children() {
            if c.is_element() {
                self.element(c, &scope, false, out);
            } else if c.is_text() {
                escape_text(c.text().unwrap_or(""), out);
            } else if c.is_pi() || (c.is_comment() && self.comments) {
                self.leaf(c, out);
            }
        }
        out.extend_from_slice(b"</");
        out.extend_from_slice(qname.as_bytes());
        out.push(b'>');
    }

    /// The element QName as written (prefix:local or local).
    fn qname(&self, n: Node<'_, '_>) -> String {
        match self.element_prefix(n) {
            Some(p) => format!("{p}:{}", n.tag_name().name()),
            None => n.tag_name().name().to_string(),
        }
    }

    fn leaf(&self, n: Node<'_, '_>, out: &mut Vec<u8>) {
        if n.is_comment() {
            out.extend_from_slice(b"<!--");
            out.extend_from_slice(n.text().unwrap_or("").as_bytes());
            out.extend_from_slice(b"-->");
        } else if let Some(pi) = n.pi() {
            out.extend_from_slice(b"<?");
            out.extend_from_slice(pi.target.as_bytes());
            if let Some(v) = pi.value.filter(|v| !v.is_empty()) {
                out.push(b' ');
                out.extend_from_slice(v.as_bytes());
            }
            out.extend_from_slice(b"?>");
        }
    }
}

fn escape_text(s: &str, out: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}

fn escape_attr(s: &str, out: &mut Vec<u8>) {
    for b in s.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, id: Option<&str>, m: &Method) -> String {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        let apex = match id {
            Some(id) => doc
                .descendants()
                .find(|n| n.attribute("ID") == Some(id))
                .expect("id"),
            None => doc.root(),
        };
        String::from_utf8(canonicalize(
            Subset {
                apex,
                exclude: None,
                comments: true,
            },
            m,
        ))
        .expect("utf-8")
    }

    const EXC: Method = Method::Exclusive {
        comments: false,
        prefixes: Vec::new(),
    };
    const INC: Method = Method::Inclusive { comments: false };

    /// exc-c14n §2.2 example: the unused `n1` namespace of the ancestor is not rendered; inclusive c14n
    /// renders it.
    #[test]
    fn exclusive_drops_unused_ancestor_namespaces() {
        let x = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en" ID="a"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        assert_eq!(
            c14n(x, Some("a"), &EXC),
            r#"<n1:elem2 xmlns:n1="http://example.net" ID="a" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#
        );
        assert_eq!(
            c14n(x, Some("a"), &INC),
            r#"<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" ID="a" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>"#
        );
    }

    #[test]
    fn inclusive_prefix_list_renders_unused_prefix() {
        let x = r#"<a xmlns:p="urn:p" xmlns:q="urn:q"><b ID="x">v</b></a>"#;
        let m = Method::from_uri(uri::EXC_C14N, Some("q #default")).expect("method");
        assert_eq!(c14n(x, Some("x"), &m), r#"<b xmlns:q="urn:q" ID="x">v</b>"#);
    }

    /// c14n §3.1/§3.2 essentials: empty elements expanded, attributes sorted by namespace URI then name,
    /// text and attribute escaping, line ends, comments only with the WithComments variant, PI and comments
    /// around the document element.
    #[test]
    fn document_escaping_sorting_and_comments() {
        let x = "<?xml version=\"1.0\"?>\r\n<?pi  data?>\n<!-- c -->\n<r xmlns:b=\"urn:b\" xmlns:a=\"urn:a\" z=\"1\" b:x=\"2\" a:y=\"&#9;&#10;&#13;&quot;&lt;\">t&amp;&lt;&gt;&#13;<e/><!--in--><![CDATA[<c>]]></r>\n<!-- after -->";
        assert_eq!(
            c14n(x, None, &INC),
            "<?pi data?>\n<r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" z=\"1\" a:y=\"&#x9;&#xA;&#xD;&quot;&lt;\" b:x=\"2\">t&amp;&lt;&gt;&#xD;<e></e>&lt;c&gt;</r>"
        );
        assert_eq!(
            c14n(x, None, &Method::Inclusive { comments: true }),
            "<?pi data?>\n<!-- c -->\n<r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" z=\"1\" a:y=\"&#x9;&#xA;&#xD;&quot;&lt;\" b:x=\"2\">t&amp;&lt;&gt;&#xD;<e></e><!--in-->&lt;c&gt;</r>\n<!-- after -->"
        );
    }

    #[test]
    fn default_namespace_undeclared_with_empty_xmlns() {
        let x = r#"<a xmlns="urn:a" ID="k"><b xmlns=""><c/></b></a>"#;
        assert_eq!(
            c14n(x, Some("k"), &EXC),
            r#"<a xmlns="urn:a" ID="k"><b xmlns=""><c></c></b></a>"#
        );
        assert_eq!(
            c14n(x, Some("k"), &INC),
            r#"<a xmlns="urn:a" ID="k"><b xmlns=""><c></c></b></a>"#
        );
        // Apex in no namespace: no xmlns="" at all.
        let x = r#"<a xmlns="urn:a"><b xmlns="" ID="k"/></a>"#;
        assert_eq!(c14n(x, Some("k"), &EXC), r#"<b ID="k"></b>"#);
    }

    #[test]
    fn excluded_subtree_is_left_out() {
        let x = r#"<a ID="k"> <s:Sig xmlns:s="urn:s"><s:v/></s:Sig> <b/></a>"#;
        let doc = roxmltree::Document::parse(x).expect("xml");
        let sig = doc
            .descendants()
            .find(|n| n.tag_name().name() == "Sig")
            .expect("sig");
        let out = canonicalize(
            Subset {
                apex: doc.root_element(),
                exclude: Some(sig.id()),
                comments: false,
            },
            &EXC,
        );
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"<a ID="k">  <b></b></a>"#
        );
    }
}
