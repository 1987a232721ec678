//! Fast path for CycloneDX JSON: deserializes straight into small typed structs that
//! borrow their strings from the input (no `serde_json::Value` tree), then feeds the
//! builder in exactly the order the `Value` walker does.
//!
//! It is strict: any wrong type, missing required member or other surprise makes it
//! give up (`None`), and the caller re-reads the input with the `Value` walker, which
//! produces the precise error. So whenever this returns `Some`, the result is the one
//! the walker would give. Unknown members are skipped with `deserialize_any`, so the
//! input gets the same JSON validation (UTF-8, number range, recursion limit) as a
//! `Value` parse would give it.

use crate::common::{push_license, Builder, JPath};
use crate::{Component, Document, Format, MAX_COMPONENT_DEPTH};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A string borrowed from the input when it has no escapes.
struct BStr<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for BStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(BStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

type S<'de> = Option<BStr<'de>>;

fn s<'a>(v: &'a S<'_>) -> Option<&'a str> {
    v.as_ref().map(|b| &*b.0)
}

fn owned(v: S<'_>) -> Option<String> {
    v.map(|b| b.0.into_owned())
}

/// Non-empty trimmed string or None.
fn non_empty(v: &S<'_>) -> Option<String> {
    s(v).map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Any JSON value, validated like a `Value` parse and thrown away.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
                Skip::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Skip, A::Error> {
                while a.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Skip, A::Error> {
                while m.next_key::<Skip>()?.is_some() {
                    m.next_value::<Skip>()?;
                }
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// An object with the listed members (each `Option`, last occurrence wins, as in a
/// `serde_json::Map`); other members are skipped.
macro_rules! raw_object {
    ($name:ident { $($field:ident : $ty:ty = $key:literal),* $(,)? }) => {
        #[derive(Default)]
        struct $name<'de> {
            $($field: $ty,)*
        }
        impl<'de> Deserialize<'de> for $name<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                        let mut out = $name::default();
                        while let Some(k) = m.next_key::<BStr<'de>>()? {
                            match &*k.0 {
                                $($key => out.$field = m.next_value()?,)*
                                _ => {
                                    m.next_value::<Skip>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

raw_object!(RawMeta {
    timestamp: S<'de> = "timestamp",
    tools: Option<RawTools<'de>> = "tools",
    authors: Option<Vec<RawNamed<'de>>> = "authors",
    manufacture: Option<RawNamed<'de>> = "manufacture",
    manufacturer: Option<RawNamed<'de>> = "manufacturer",
    component: Option<RawComp<'de>> = "component",
});

raw_object!(RawToolObj {
    components: Option<Vec<RawTool<'de>>> = "components",
    services: Option<Vec<RawTool<'de>>> = "services",
});

raw_object!(RawTool {
    vendor: S<'de> = "vendor",
    group: S<'de> = "group",
    name: S<'de> = "name",
    version: S<'de> = "version",
});

raw_object!(RawNamed {
    name: S<'de> = "name",
    email: S<'de> = "email",
});

raw_object!(RawComp {
    bom_ref: S<'de> = "bom-ref",
    kind: S<'de> = "type",
    group: S<'de> = "group",
    name: S<'de> = "name",
    version: S<'de> = "version",
    cpe: S<'de> = "cpe",
    purl: S<'de> = "purl",
    swid: Option<RawSwid<'de>> = "swid",
    hashes: Option<Vec<RawHash<'de>>> = "hashes",
    supplier: Option<RawNamed<'de>> = "supplier",
    manufacturer: Option<RawNamed<'de>> = "manufacturer",
    publisher: S<'de> = "publisher",
    licenses: Option<Vec<RawLicChoice<'de>>> = "licenses",
    components: Option<Vec<RawComp<'de>>> = "components",
});

raw_object!(RawSwid {
    tag_id: S<'de> = "tagId",
});

raw_object!(RawHash {
    alg: S<'de> = "alg",
    content: S<'de> = "content",
});

raw_object!(RawLicChoice {
    expression: S<'de> = "expression",
    license: Option<RawLicense<'de>> = "license",
});

raw_object!(RawLicense {
    id: S<'de> = "id",
    name: S<'de> = "name",
});

raw_object!(RawDep {
    reference: S<'de> = "ref",
    depends_on: Option<Vec<BStr<'de>>> = "dependsOn",
});

/// `metadata.tools`: the legacy array or the 1.5+ object.
enum RawTools<'de> {
    List(Vec<RawTool<'de>>),
    Object(RawToolObj<'de>),
}

impl<'de> Deserialize<'de> for RawTools<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTools<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or an object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(t) = a.next_element()? {
                    v.push(t);
                }
                Ok(RawTools::List(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                let o = RawToolObj::deserialize(serde::de::value::MapAccessDeserializer::new(m))?;
                Ok(RawTools::Object(o))
            }
        }
        d.deserialize_any(V)
    }
}

/// The root object, read in one pass: `metadata` and `components` go into the builder
/// as they are met (components one at a time, so no list of raw components is kept).
struct Root<'de> {
    b: Builder,
    bom_format: S<'de>,
    spec_version: S<'de>,
    serial: S<'de>,
    dependencies: Option<Vec<RawDep<'de>>>,
}

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Root<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut root = Root {
            b: Builder::new(Format::CycloneDxJson, String::new()),
            bom_format: None,
            spec_version: None,
            serial: None,
            dependencies: None,
        };
        let (mut seen_meta, mut seen_comps) = (false, false);
        while let Some(k) = m.next_key::<BStr<'de>>()? {
            match &*k.0 {
                "bomFormat" => root.bom_format = m.next_value()?,
                "specVersion" => root.spec_version = m.next_value()?,
                "serialNumber" => root.serial = m.next_value()?,
                "dependencies" => root.dependencies = m.next_value()?,
                // A repeated `metadata` or `components` (the last one wins in a
                // `Value`) is left to the walker.
                "metadata" if seen_meta => return Err(de::Error::custom("repeated metadata")),
                "components" if seen_comps => return Err(de::Error::custom("repeated components")),
                "metadata" => {
                    seen_meta = true;
                    let meta: Option<RawMeta<'de>> = m.next_value()?;
                    if let Some(meta) = meta {
                        // The walker reads metadata first: keep its problems first.
                        let before = root.b.doc.problems.len();
                        metadata(&mut root.b, meta, &JPath::ROOT.key("metadata"))
                            .ok_or_else(|| de::Error::custom("metadata"))?;
                        let ps = &mut root.b.doc.problems;
                        let added = ps.len().saturating_sub(before);
                        ps.rotate_right(added);
                    }
                }
                "components" => {
                    seen_comps = true;
                    m.next_value_seed(ComponentsSeed { b: &mut root.b })?;
                }
                _ => {
                    m.next_value::<Skip>()?;
                }
            }
        }
        Ok(root)
    }
}

/// The top-level `components` array (or null), each component handed to the builder
/// as soon as it is read.
struct ComponentsSeed<'b> {
    b: &'b mut Builder,
}

impl<'de> DeserializeSeed<'de> for ComponentsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ComponentsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let cp = JPath::ROOT.key("components");
        let mut ancestors = Vec::new();
        let mut i = 0;
        while let Some(c) = a.next_element::<RawComp<'de>>()? {
            component(self.b, c, &cp.index(i), &mut ancestors, 0, false)
                .ok_or_else(|| de::Error::custom("component"))?;
            i += 1;
        }
        Ok(())
    }
}

/// Parses CycloneDX JSON, or gives up (`None`) on anything the `Value` walker would
/// reject or that this path does not mirror exactly.
pub(super) fn parse(bytes: &[u8]) -> Option<Document> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let root = de.deserialize_map(RootVisitor).ok()?;
    de.end().ok()?;
    if s(&root.bom_format)? != "CycloneDX" {
        return None;
    }
    let mut b = root.b;
    b.doc.spec_version = s(&root.spec_version)?.to_string();
    b.doc.serial = non_empty(&root.serial);

    let dp = JPath::ROOT.key("dependencies");
    for (i, d) in root.dependencies.unwrap_or_default().iter().enumerate() {
        let ip = dp.index(i);
        let from = s(&d.reference)?;
        let op = ip.key("dependsOn");
        for (j, t) in d.depends_on.iter().flatten().enumerate() {
            b.add_edge(from, &t.0, op.index(j).loc());
        }
    }
    Some(b.finish())
}

fn metadata(b: &mut Builder, meta: RawMeta<'_>, mp: &JPath<'_>) -> Option<()> {
    b.doc.created = non_empty(&meta.timestamp);
    match &meta.tools {
        None => {}
        Some(RawTools::List(tools)) => {
            for t in tools {
                push_tool(b, &t.vendor, t);
            }
        }
        Some(RawTools::Object(o)) => {
            for list in [&o.components, &o.services] {
                for t in list.iter().flatten() {
                    push_tool(b, &t.group, t);
                }
            }
        }
    }
    for a in meta.authors.iter().flatten() {
        if let Some(n) = non_empty(&a.name).or(non_empty(&a.email)) {
            b.doc.authors.push(n);
        }
    }
    for m in [&meta.manufacture, &meta.manufacturer]
        .into_iter()
        .flatten()
    {
        if let Some(n) = non_empty(&m.name) {
            if !b.doc.authors.contains(&n) {
                b.doc.authors.push(n);
            }
        }
    }
    if let Some(c) = meta.component {
        let cp = mp.key("component");
        let mut ancestors = Vec::new();
        component(b, c, &cp, &mut ancestors, 0, true)?;
    }
    Some(())
}

fn push_tool(b: &mut Builder, vendor: &S<'_>, t: &RawTool<'_>) {
    let parts: Vec<&str> = [s(vendor), s(&t.name), s(&t.version)]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if !parts.is_empty() {
        b.doc.tools.push(parts.join(" "));
    }
}

fn component(
    b: &mut Builder,
    rc: RawComp<'_>,
    p: &JPath<'_>,
    ancestors: &mut Vec<String>,
    depth: usize,
    is_subject: bool,
) -> Option<()> {
    if depth > MAX_COMPONENT_DEPTH {
        return None;
    }
    let mut c = Component {
        bom_ref: owned(rc.bom_ref).unwrap_or_default(),
        kind: owned(rc.kind).unwrap_or_default(),
        group: non_empty(&rc.group),
        name: owned(rc.name).unwrap_or_default(),
        version: non_empty(&rc.version),
        cpe: non_empty(&rc.cpe),
        path: ancestors.clone(),
        ..Component::default()
    };
    if let Some(raw) = s(&rc.purl) {
        b.apply_purl(&mut c, raw, || p.key("purl").render());
    }
    if let Some(swid) = &rc.swid {
        if let Some(tag) = non_empty(&swid.tag_id) {
            c.other_ids.push(("swid".into(), tag));
        }
    }
    if let Some(hashes) = &rc.hashes {
        let hp = p.key("hashes");
        c.hashes.reserve_exact(hashes.len());
        for (i, h) in hashes.iter().enumerate() {
            let alg = s(&h.alg).unwrap_or_default();
            let content = s(&h.content).unwrap_or_default();
            let hash = b.hash(alg, content, || hp.index(i).render());
            c.hashes.push(hash);
        }
    }
    let mut supplier = None;
    for o in [&rc.supplier, &rc.manufacturer] {
        if supplier.is_none() {
            if let Some(o) = o {
                supplier = non_empty(&o.name);
            }
        }
    }
    c.supplier = supplier.or(non_empty(&rc.publisher));
    for l in rc.licenses.iter().flatten() {
        if let Some(e) = s(&l.expression) {
            push_license(&mut c.licenses, e);
        }
        if let Some(lic) = &l.license {
            if let Some(id) = s(&lic.id) {
                push_license(&mut c.licenses, id);
            } else if let Some(name) = s(&lic.name) {
                push_license(&mut c.licenses, name);
            }
        }
    }

    let r = if is_subject {
        b.set_subject(c, p.render())
    } else {
        b.push_component(c, p.loc())
    };

    let children = rc.components.unwrap_or_default();
    if !children.is_empty() {
        let kp = p.key("components");
        ancestors.push(r);
        for (i, child) in children.into_iter().enumerate() {
            component(b, child, &kp.index(i), ancestors, depth + 1, false)?;
        }
        ancestors.pop();
    }
    Some(())
}

#[cfg(test)]
mod tests {
    //! The fast path must never disagree with the `Value` walker: whenever it gives a
    //! document, the walker gives the same one.
    use super::parse as fast;
    use crate::cyclonedx_json::from_value;
    use crate::{Document, SbomError};
    use serde_json::{json, Value};
    use std::path::Path;

    fn walker(bytes: &[u8]) -> Result<Document, SbomError> {
        let v: Value = serde_json::from_slice(bytes).map_err(crate::common::json_syntax)?;
        from_value(&v)
    }

    /// Returns whether the fast path accepted the input.
    fn agree(bytes: &[u8]) -> bool {
        match fast(bytes) {
            Some(d) => {
                let w = walker(bytes);
                assert_eq!(
                    w.as_ref().ok(),
                    Some(&d),
                    "fast path accepted what the walker gives as {w:?}: {}",
                    String::from_utf8_lossy(bytes)
                );
                true
            }
            None => false,
        }
    }

    fn base() -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": " urn:uuid:1 ",
            "version": 1,
            "metadata": {
                "timestamp": "2024-01-01T00:00:00Z",
                "tools": [{"vendor": "V", "name": " t ", "version": "1"}],
                "authors": [{"name": ""}, {"email": "a@example.com"}],
                "manufacture": {"name": "M"},
                "manufacturer": {"name": "M2"},
                "component": {"bom-ref": "root", "name": "dev", "purl": "pkg:bad",
                    "hashes": [{"alg": "CRC", "content": "zz"}]}
            },
            "components": [
                {"bom-ref": "a", "type": "library", "group": " g ", "name": "a",
                 "version": "1", "cpe": "cpe:2.3:a:x:a:1:*:*:*:*:*:*:*",
                 "purl": "pkg:npm/a@1", "swid": {"tagId": "t1"},
                 "hashes": [{"alg": "sha256", "content": "AB"}],
                 "supplier": {"name": ""}, "manufacturer": {"name": "Man"},
                 "publisher": "Pub",
                 "licenses": [{"expression": "MIT  OR\tApache-2.0"},
                              {"license": {"name": "Custom", "url": "u"}},
                              {"license": {"id": "MIT"}}],
                 "components": [{"name": "child", "bom-ref": "a",
                                 "components": [{"type": "file"}]}]},
                {"name": "b", "purl": "pkg:npm/b@2", "publisher": "P",
                 "properties": [{"name": "x", "value": "y"}], "extra": {"deep": [1, 2.5, -3, null, true]}}
            ],
            "dependencies": [
                {"ref": "a", "dependsOn": ["otproof:component/3", "missing", "a"]},
                {"ref": "a", "dependsOn": ["otproof:component/3"]},
                {"ref": "root"}
            ]
        })
    }

    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    pointers(c, format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    pointers(c, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    #[test]
    fn agrees_with_the_walker_on_every_single_change() {
        let base = base();
        let s = serde_json::to_vec(&base).expect("serialise");
        assert!(agree(&s));
        let mut ps = Vec::new();
        pointers(&base, String::new(), &mut ps);
        let replacements = [
            Value::Null,
            json!(1),
            json!(-1.5),
            json!(true),
            json!(""),
            json!("CycloneDX"),
            json!(" x "),
            json!([]),
            json!([{}]),
            json!({}),
            json!({"name": "n"}),
            json!([{"name": "n", "components": [{"name": "m"}]}]),
        ];
        let (mut accepted, mut total) = (0, 0);
        for p in &ps {
            for r in &replacements {
                let mut v = base.clone();
                if let Some(slot) = v.pointer_mut(p) {
                    *slot = r.clone();
                }
                total += 1;
                accepted += usize::from(agree(&serde_json::to_vec(&v).expect("serialise")));
            }
            // Remove the member or element.
            let mut v = base.clone();
            if let Some((parent, last)) = p.rsplit_once('/') {
                match v.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            total += 1;
            accepted += usize::from(agree(&serde_json::to_vec(&v).expect("serialise")));
        }
        // Most changes keep the document valid; the fast path must take those.
        assert!(accepted * 3 > total, "{accepted} of {total}");
    }

    #[test]
    fn agrees_on_text_level_oddities() {
        let cases: &[&str] = &[
            // Member order: metadata after components (problems keep walker order).
            r#"{"components": [{"name": "a", "purl": "pkg:x"}], "specVersion": "1.5",
                "metadata": {"component": {"name": "s", "purl": "pkg:y"}}, "bomFormat": "CycloneDX"}"#,
            // Repeated members: the last one wins in a Value.
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a"}],
                "components": [{"name": "b"}]}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"name": "a"}},
                "metadata": null}"#,
            r#"{"bomFormat": "x", "bomFormat": "CycloneDX", "specVersion": "1.5",
                "components": [{"name": 1, "name": "a", "version": "1", "version": null}]}"#,
            // Escapes in keys and values.
            r#"{"bom\u0046ormat": "Cyclone\u0044X", "specVersion": "1.5",
                "components": [{"na\u006de": "\u00e9\n", "bom-ref": "r\"1"}]}"#,
            // Numbers a Value refuses, even in unknown members.
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "x": 1e999}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "x": [1, 2, -0, 1.0e-400]}"#,
            // Trailing data, empty input, not an object.
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5"} x"#,
            "",
            "[]",
            "null",
            // Tools as an object; null tools, null component, null lists.
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"tools":
                {"components": [{"group": "g", "name": "n"}], "services": [{"name": "s", "version": "2"}]},
                "component": null, "authors": null}, "components": null, "dependencies": null}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"tools": "x"}}"#,
        ];
        for c in cases {
            agree(c.as_bytes());
        }
        assert!(fast(cases[0].as_bytes()).is_some());
        assert!(fast(cases[4].as_bytes()).is_some());
        // Invalid UTF-8 in a skipped string, deep nesting in a skipped member.
        let mut bad = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "x": "#.to_vec();
        bad.extend_from_slice(b"\"\xff\xfe\"}");
        assert!(!agree(&bad));
        let deep = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "x": {}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(!agree(deep.as_bytes()));
        // Every truncation of a small document.
        let s = serde_json::to_string(&base()).expect("serialise");
        for i in 0..s.len() {
            if let Some(t) = s.get(..i) {
                agree(t.as_bytes());
            }
        }
    }

    #[test]
    fn agrees_on_real_and_generated_files() {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut files = Vec::new();
        for dir in ["cyclonedx", "large", "openvex"] {
            let rd = std::fs::read_dir(testdata.join(dir))
                .unwrap_or_else(|e| panic!("{}: {e}", testdata.join(dir).display()));
            files.extend(rd.flatten().map(|e| e.path()));
        }
        let json = files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
            .count();
        assert!(json >= 10, "only {json} JSON test files found");
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let bytes = std::fs::read(f).expect("read");
            // Real documents the walker reads must take the fast path.
            assert_eq!(agree(&bytes), walker(&bytes).is_ok(), "{}", f.display());
        }
        for (n, seed) in [(0, 1), (1, 2), (50, 3)] {
            let g = crate::generate::cyclonedx_json(n, seed);
            assert!(agree(g.as_bytes()));
        }
    }
}
