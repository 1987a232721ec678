//! CycloneDX XML (namespaces `http://cyclonedx.org/schema/bom/1.0` to `1.6`).
//!
//! The input is read into a small element tree (local names, attributes, text) with a
//! depth limit, then walked. `DOCTYPE` declarations are refused, and only the five
//! predefined entities and character references are resolved, so entity expansion
//! attacks cannot happen.
//!
//! The tree borrows from the input: names, attribute values and text are slices of it
//! unless escapes or line-ending normalisation forced a copy. Nodes live in one arena
//! (first-child / next-sibling links), so building and dropping it costs a handful of
//! allocations instead of several per element.

use crate::common::{non_empty, push_license, Builder, Loc};
use crate::{Component, Document, Format, SbomError, MAX_COMPONENT_DEPTH, MAX_XML_DEPTH};
use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::borrow::Cow;

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";
const NONE: usize = usize::MAX;

struct Node<'a> {
    /// Local name (after the last `:`).
    name: Cow<'a, str>,
    /// Range into [`Tree::attrs`].
    attrs: (usize, usize),
    /// Concatenated text, CDATA and resolved references, trimmed.
    text: Cow<'a, str>,
    first: usize,
    next: usize,
    offset: u64,
}

struct Tree<'a> {
    nodes: Vec<Node<'a>>,
    attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// An element of the tree being built: where its children and text go.
struct Open<'a> {
    node: usize,
    last_child: usize,
    text: Cow<'a, str>,
    /// Whitespace seen after non-whitespace text; kept only if more text follows
    /// (trailing whitespace is trimmed anyway).
    pending: Cow<'a, str>,
    has_content: bool,
}

impl<'a> Open<'a> {
    fn new(node: usize) -> Self {
        Open {
            node,
            last_child: NONE,
            text: Cow::Borrowed(""),
            pending: Cow::Borrowed(""),
            has_content: false,
        }
    }

    /// Appends a piece of text; the result, once trimmed, equals the trimmed
    /// concatenation of all pieces.
    fn push_text(&mut self, piece: Cow<'a, str>) {
        if piece.is_empty() {
            return;
        }
        // Indentation is ASCII: decide it without the Unicode-aware trim.
        let blank = piece
            .bytes()
            .all(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
            || piece.trim().is_empty();
        if !self.has_content {
            // Leading whitespace is trimmed at the end: drop what came before.
            if !blank {
                self.text = piece;
                self.has_content = true;
            }
        } else if blank {
            if self.pending.is_empty() {
                self.pending = piece;
            } else {
                self.pending.to_mut().push_str(&piece);
            }
        } else {
            let t = self.text.to_mut();
            t.push_str(&self.pending);
            t.push_str(&piece);
            self.pending = Cow::Borrowed("");
        }
    }

    fn finish_text(self) -> Cow<'a, str> {
        match self.text {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => {
                let trimmed = s.trim();
                if trimmed.len() == s.len() {
                    Cow::Owned(s)
                } else {
                    Cow::Owned(trimmed.to_string())
                }
            }
        }
    }
}

/// `s` as a slice of `input` with the input's lifetime, when it is one.
fn reborrow<'a>(input: &'a str, s: &str) -> Option<&'a str> {
    let start = (s.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    let r = input.get(start..start.checked_add(s.len())?)?;
    (r.as_ptr() == s.as_ptr()).then_some(r)
}

fn local(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((_, l)) => l,
        None => name,
    }
}

fn xml_err(offset: u64, message: impl Into<String>) -> SbomError {
    SbomError::XmlSyntax {
        offset,
        message: message.into(),
    }
}

impl<'a> Tree<'a> {
    /// Adds the node for a start or empty tag, its attributes checked and stored.
    fn start(
        &mut self,
        input: &'a str,
        e: &BytesStart<'a>,
        offset: u64,
    ) -> Result<usize, SbomError> {
        let raw: &str = e;
        let qname_len = e.name().as_ref().len();
        let a0 = self.attrs.len();
        let name: Cow<'a, str> = match reborrow(input, raw) {
            Some(buf) => {
                let name = local(buf.get(..qname_len).unwrap_or(buf));
                for a in Attributes::new(buf, qname_len) {
                    let a = a.map_err(|err| bad_attr(offset, name, &err))?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| bad_value(offset, name, &err))?;
                    self.attrs.push((Cow::Borrowed(a.key.0), v));
                }
                Cow::Borrowed(name)
            }
            None => {
                // Not reached with a borrowed reader; copies everything.
                let name = local(e.name().as_ref()).to_string();
                for a in e.attributes() {
                    let a = a.map_err(|err| bad_attr(offset, &name, &err))?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| bad_value(offset, &name, &err))?;
                    self.attrs
                        .push((Cow::Owned(a.key.0.to_string()), Cow::Owned(v.into_owned())));
                }
                Cow::Owned(name)
            }
        };
        let idx = self.nodes.len();
        self.nodes.push(Node {
            name,
            attrs: (a0, self.attrs.len()),
            text: Cow::Borrowed(""),
            first: NONE,
            next: NONE,
            offset,
        });
        Ok(idx)
    }

    /// Links `child` as the last child of `parent`.
    fn link(&mut self, parent: &mut Open<'a>, child: usize) {
        let prev = parent.last_child;
        let slot = if prev == NONE {
            self.nodes.get_mut(parent.node).map(|n| &mut n.first)
        } else {
            self.nodes.get_mut(prev).map(|n| &mut n.next)
        };
        if let Some(slot) = slot {
            *slot = child;
        }
        parent.last_child = child;
    }

    fn el(&self, idx: usize) -> Option<El<'_, 'a>> {
        self.nodes.get(idx).map(|node| El { tree: self, node })
    }
}

fn bad_attr(offset: u64, name: &str, err: &dyn std::fmt::Display) -> SbomError {
    xml_err(offset, format!("bad attribute in <{name}>: {err}"))
}

fn bad_value(offset: u64, name: &str, err: &dyn std::fmt::Display) -> SbomError {
    xml_err(offset, format!("bad attribute value in <{name}>: {err}"))
}

/// An element of a built tree.
#[derive(Clone, Copy)]
struct El<'t, 'a> {
    tree: &'t Tree<'a>,
    node: &'t Node<'a>,
}

impl<'t, 'a> El<'t, 'a> {
    fn name(&self) -> &'t str {
        &self.node.name
    }
    fn text(&self) -> &'t str {
        &self.node.text
    }
    fn offset(&self) -> u64 {
        self.node.offset
    }
    fn attrs(&self) -> &'t [(Cow<'a, str>, Cow<'a, str>)] {
        let (a, b) = self.node.attrs;
        self.tree.attrs.get(a..b).unwrap_or_default()
    }
    fn attr(&self, k: &str) -> Option<&'t str> {
        self.attrs()
            .iter()
            .find(|(ak, _)| ak == k)
            .map(|(_, v)| v.as_ref())
    }
    fn children(&self) -> Children<'t, 'a> {
        Children {
            tree: self.tree,
            next: self.node.first,
        }
    }
    fn child(&self, n: &str) -> Option<El<'t, 'a>> {
        self.children().find(|c| c.name() == n)
    }
    fn children_named<'n>(&self, n: &'n str) -> impl Iterator<Item = El<'t, 'a>> + 'n
    where
        't: 'n,
    {
        self.children().filter(move |c| c.name() == n)
    }
    fn child_text(&self, n: &str) -> Option<String> {
        self.child(n).and_then(|c| non_empty(Some(c.text())))
    }
}

struct Children<'t, 'a> {
    tree: &'t Tree<'a>,
    next: usize,
}

impl<'t, 'a> Iterator for Children<'t, 'a> {
    type Item = El<'t, 'a>;
    fn next(&mut self) -> Option<El<'t, 'a>> {
        let el = self.tree.el(self.next)?;
        self.next = el.node.next;
        Some(el)
    }
}

/// Reads the whole document; returns the tree and the index of the root element.
fn read_tree(text: &str) -> Result<(Tree<'_>, usize), SbomError> {
    let mut reader = Reader::from_str(text);
    let mut tree = Tree {
        nodes: Vec::with_capacity(text.len() / 80 + 8),
        attrs: Vec::with_capacity(text.len() / 128 + 8),
    };
    let mut stack: Vec<Open<'_>> = Vec::with_capacity(32);
    let mut root: Option<usize> = None;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(reader.error_position(), e.to_string()))?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(xml_err(pos, "content after the root element"));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(xml_err(
                        pos,
                        format!("elements nested deeper than {MAX_XML_DEPTH} levels"),
                    ));
                }
                let idx = tree.start(text, &e, pos)?;
                stack.push(Open::new(idx));
            }
            Event::Empty(e) => {
                let idx = tree.start(text, &e, pos)?;
                match stack.last_mut() {
                    Some(parent) => tree.link(parent, idx),
                    None if root.is_none() => root = Some(idx),
                    None => return Err(xml_err(pos, "content after the root element")),
                }
            }
            Event::End(_) => {
                let open = stack
                    .pop()
                    .ok_or_else(|| xml_err(pos, "unexpected closing tag"))?;
                let idx = open.node;
                let text = open.finish_text();
                if let Some(n) = tree.nodes.get_mut(idx) {
                    n.text = text;
                }
                match stack.last_mut() {
                    Some(parent) => tree.link(parent, idx),
                    None => root = Some(idx),
                }
            }
            Event::Text(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.push_text(t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.push_text(t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved: Cow<'_, str> = match r.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => {
                        let name = r.xml10_content();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => Cow::Borrowed(s),
                            None => {
                                return Err(xml_err(
                                    pos,
                                    format!("undefined entity '&{name};' (only the predefined XML entities are allowed)"),
                                ))
                            }
                        }
                    }
                    Err(e) => return Err(xml_err(pos, format!("bad character reference: {e}"))),
                };
                if let Some(cur) = stack.last_mut() {
                    cur.push_text(resolved);
                }
            }
            Event::DocType(_) => {
                return Err(xml_err(
                    pos,
                    "DOCTYPE declarations are not allowed in CycloneDX XML (entities are never expanded)",
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        let name = tree.el(open.node).map(|e| e.name()).unwrap_or_default();
        return Err(xml_err(
            reader.buffer_position(),
            format!("unexpected end of input: <{name}> is not closed"),
        ));
    }
    match root {
        Some(r) => Ok((tree, r)),
        None => Err(xml_err(0, "no root element")),
    }
}

fn loc(path: &str, el: El<'_, '_>) -> String {
    format!("{path} (byte {})", el.offset())
}

/// Where a component sits, rendered only when needed.
#[derive(Clone, Copy)]
enum CPath<'p> {
    Subject,
    /// `bom/components/component[i]`
    Top(usize),
    /// `{parent}/components/component[i]`
    Nested(&'p CPath<'p>, usize),
}

impl CPath<'_> {
    fn render(&self) -> String {
        match self {
            CPath::Subject => "bom/metadata/component".to_string(),
            CPath::Top(i) => format!("bom/components/component[{i}]"),
            CPath::Nested(p, i) => format!("{}/components/component[{i}]", p.render()),
        }
    }

    fn loc(&self, el: El<'_, '_>) -> Loc {
        match self {
            CPath::Top(i) => Loc::IdxAt("bom/components/component", *i, el.offset()),
            _ => Loc::Text(loc(&self.render(), el)),
        }
    }
}

/// Parses CycloneDX XML.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        xml_err(
            e.valid_up_to() as u64,
            "the input is not UTF-8 (only UTF-8 CycloneDX XML is supported)",
        )
    })?;
    let (tree, root_idx) = read_tree(text)?;
    let root = tree
        .el(root_idx)
        .ok_or_else(|| xml_err(0, "no root element"))?;
    if root.name() != "bom" {
        return Err(SbomError::Invalid {
            location: loc(&format!("<{}>", root.name()), root),
            message: "expected the root element <bom>".into(),
        });
    }
    let ns = root
        .attrs()
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .map(|(_, v)| v.as_ref())
        .find(|v| v.starts_with(NS_PREFIX));
    let spec = match ns {
        Some(ns) => ns
            .get(NS_PREFIX.len()..)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
        None => {
            return Err(SbomError::Invalid {
                location: loc("bom", root),
                message: format!("expected the CycloneDX namespace {NS_PREFIX}1.x"),
            })
        }
    };
    let mut b = Builder::new(Format::CycloneDxXml, spec);
    b.doc.serial = non_empty(root.attr("serialNumber"));

    if let Some(meta) = root.child("metadata") {
        b.doc.created = meta.child_text("timestamp");
        if let Some(tools) = meta.child("tools") {
            for t in tools.children_named("tool") {
                push_tool(&mut b, t, "vendor");
            }
            for key in ["components", "services"] {
                if let Some(list) = tools.child(key) {
                    for t in list.children() {
                        push_tool(&mut b, t, "group");
                    }
                }
            }
        }
        if let Some(authors) = meta.child("authors") {
            for a in authors.children_named("author") {
                if let Some(n) = a.child_text("name").or_else(|| a.child_text("email")) {
                    b.doc.authors.push(n);
                }
            }
        }
        for key in ["manufacture", "manufacturer"] {
            if let Some(n) = meta.child(key).and_then(|m| m.child_text("name")) {
                if !b.doc.authors.contains(&n) {
                    b.doc.authors.push(n);
                }
            }
        }
        if let Some(c) = meta.child("component") {
            let mut ancestors = Vec::new();
            component(&mut b, c, CPath::Subject, &mut ancestors, 0, true)?;
        }
    }

    if let Some(comps) = root.child("components") {
        let mut ancestors = Vec::new();
        for (i, c) in comps.children_named("component").enumerate() {
            component(&mut b, c, CPath::Top(i), &mut ancestors, 0, false)?;
        }
    }

    if let Some(deps) = root.child("dependencies") {
        const DEP: &str = "bom/dependencies/dependency";
        for (i, d) in deps.children_named("dependency").enumerate() {
            let from = d.attr("ref").ok_or_else(|| SbomError::Invalid {
                location: loc(&format!("{DEP}[{i}]"), d),
                message: "expected a 'ref' attribute".into(),
            })?;
            for (j, t) in d.children_named("dependency").enumerate() {
                let to = t.attr("ref").ok_or_else(|| SbomError::Invalid {
                    location: loc(&format!("{DEP}[{i}]/dependency[{j}]"), t),
                    message: "expected a 'ref' attribute".into(),
                })?;
                b.add_edge(from, to, Loc::Idx2At(DEP, i, "dependency", j, t.offset()));
            }
        }
    }
    Ok(b.finish())
}

fn push_tool(b: &mut Builder, t: El<'_, '_>, vendor_key: &str) {
    let parts: Vec<String> = [
        t.child_text(vendor_key),
        t.child_text("name"),
        t.child_text("version"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !parts.is_empty() {
        b.doc.tools.push(parts.join(" "));
    }
}

/// The first child of each name a component reads.
#[derive(Default)]
struct CompChildren<'t, 'a> {
    group: Option<El<'t, 'a>>,
    name: Option<El<'t, 'a>>,
    version: Option<El<'t, 'a>>,
    cpe: Option<El<'t, 'a>>,
    purl: Option<El<'t, 'a>>,
    swid: Option<El<'t, 'a>>,
    hashes: Option<El<'t, 'a>>,
    supplier: Option<El<'t, 'a>>,
    manufacturer: Option<El<'t, 'a>>,
    publisher: Option<El<'t, 'a>>,
    licenses: Option<El<'t, 'a>>,
    components: Option<El<'t, 'a>>,
}

impl<'t, 'a> CompChildren<'t, 'a> {
    fn of(el: El<'t, 'a>) -> Self {
        let mut k = CompChildren::default();
        for c in el.children() {
            let slot = match c.name() {
                "group" => &mut k.group,
                "name" => &mut k.name,
                "version" => &mut k.version,
                "cpe" => &mut k.cpe,
                "purl" => &mut k.purl,
                "swid" => &mut k.swid,
                "hashes" => &mut k.hashes,
                "supplier" => &mut k.supplier,
                "manufacturer" => &mut k.manufacturer,
                "publisher" => &mut k.publisher,
                "licenses" => &mut k.licenses,
                "components" => &mut k.components,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(c);
            }
        }
        k
    }
}

fn text_of(el: Option<El<'_, '_>>) -> Option<String> {
    el.and_then(|c| non_empty(Some(c.text())))
}

fn component(
    b: &mut Builder,
    el: El<'_, '_>,
    path: CPath<'_>,
    ancestors: &mut Vec<String>,
    depth: usize,
    is_subject: bool,
) -> Result<(), SbomError> {
    if depth > MAX_COMPONENT_DEPTH {
        return Err(SbomError::Invalid {
            location: loc(&path.render(), el),
            message: format!("components nested deeper than {MAX_COMPONENT_DEPTH} levels"),
        });
    }
    let k = CompChildren::of(el);
    let mut c = Component {
        bom_ref: el.attr("bom-ref").unwrap_or_default().to_string(),
        kind: el.attr("type").unwrap_or_default().to_string(),
        group: text_of(k.group),
        name: k.name.map(|n| n.text().to_string()).unwrap_or_default(),
        version: text_of(k.version),
        cpe: text_of(k.cpe),
        path: ancestors.clone(),
        ..Component::default()
    };
    if let Some(p) = k.purl {
        b.apply_purl(&mut c, p.text(), || {
            loc(&format!("{}/purl", path.render()), p)
        });
    }
    if let Some(tag) = k.swid.and_then(|s| non_empty(s.attr("tagId"))) {
        c.other_ids.push(("swid".into(), tag));
    }
    if let Some(hashes) = k.hashes {
        for (i, h) in hashes.children_named("hash").enumerate() {
            let alg = h.attr("alg").unwrap_or_default();
            let hash = b.hash(alg, h.text(), || {
                loc(&format!("{}/hashes/hash[{i}]", path.render()), h)
            });
            c.hashes.push(hash);
        }
    }
    c.supplier = k
        .supplier
        .and_then(|s| s.child_text("name"))
        .or_else(|| k.manufacturer.and_then(|s| s.child_text("name")))
        .or_else(|| text_of(k.publisher));
    if let Some(lics) = k.licenses {
        for l in lics.children() {
            match l.name() {
                "expression" => push_license(&mut c.licenses, l.text()),
                "license" => {
                    if let Some(id) = l.child_text("id").or_else(|| l.child_text("name")) {
                        push_license(&mut c.licenses, &id);
                    }
                }
                _ => {}
            }
        }
    }
    let r = if is_subject {
        b.set_subject(c, path.loc(el))
    } else {
        b.push_component(c, path.loc(el))
    };
    if let Some(children) = k.components {
        ancestors.push(r);
        for (i, child) in children.children_named("component").enumerate() {
            component(
                b,
                child,
                CPath::Nested(&path, i),
                ancestors,
                depth + 1,
                false,
            )?;
        }
        ancestors.pop();
    }
    Ok(())
}
