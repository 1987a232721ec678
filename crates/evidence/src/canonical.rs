//! Canonical JSON (RFC 8785) written straight from the record types.
//!
//! [`Record::canonical_json`](crate::Record::canonical_json) used to serialise into a
//! `serde_json::Value` and canonicalise that; this writes the same bytes without the
//! intermediate tree. Every object's members are written in RFC 8785 order (UTF-16 code units
//! of the names, which for these ASCII names is byte order), members that serde skips are
//! skipped under the same conditions, and every string and number goes through the same
//! functions as the generic path ([`crate::jcs`]). Free-form `Value` fields (payloads,
//! reproducers) use the generic writer. A property test (`tests/canonical.rs`) checks that both
//! paths give identical bytes on generated records covering every field and variant; change
//! the types and this file together.

use crate::digest::{RecordId, Sha256Digest};
use crate::jcs::{write_string, write_u64, write_value, JcsError};
use crate::record::{
    Artifact, Attachment, Body, Criterion, CriterionResult, Decision, Evidence, Exception, Finding,
    FindingStatus, Producer, Record, Severity, Subject,
};
use otproof_catalog::ComponentType;
use serde_json::Value;

/// The members of one JSON object, written in the order the caller gives (which must be the
/// RFC 8785 order).
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    /// Start a member; `name` is a plain ASCII name that needs no escaping.
    fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    fn str(&mut self, name: &str, v: &str) {
        write_string(v, self.key(name));
    }

    fn opt_str(&mut self, name: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.str(name, v);
        }
    }

    fn strs(&mut self, name: &str, v: &[String]) {
        let out = self.key(name);
        out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(s, out);
        }
        out.push(']');
    }

    fn nonempty_strs(&mut self, name: &str, v: &[String]) {
        if !v.is_empty() {
            self.strs(name, v);
        }
    }

    fn value(&mut self, name: &str, v: &Value) -> Result<(), JcsError> {
        write_value(v, self.key(name))
    }

    fn nonnull_value(&mut self, name: &str, v: &Value) -> Result<(), JcsError> {
        if v.is_null() {
            Ok(())
        } else {
            self.value(name, v)
        }
    }

    fn items<T>(
        &mut self,
        name: &str,
        v: &[T],
        f: impl Fn(&T, &mut String) -> Result<(), JcsError>,
    ) -> Result<(), JcsError> {
        if v.is_empty() {
            return Ok(());
        }
        let out = self.key(name);
        out.push('[');
        for (i, item) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            f(item, out)?;
        }
        out.push(']');
        Ok(())
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn write_digest(d: &Sha256Digest, out: &mut String) {
    write_string(&d.hex(), out);
}

fn write_record_id(id: &RecordId, out: &mut String) -> Result<(), JcsError> {
    write_string(&id.to_string(), out);
    Ok(())
}

pub(crate) fn write_record(r: &Record, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    write_body(&r.body, o.key("body"))?;
    o.str("created", &r.created);
    o.str("format", &r.format);
    write_producer(&r.producer, o.key("producer"));
    if let Some(s) = &r.supersedes {
        write_record_id(s, o.key("supersedes"))?;
    }
    o.close();
    Ok(())
}

fn write_producer(p: &Producer, out: &mut String) {
    let mut o = Obj::open(out);
    o.opt_str("operation", &p.operation);
    o.str("tool", &p.tool);
    o.str("version", &p.version);
    o.close();
}

fn write_body(b: &Body, out: &mut String) -> Result<(), JcsError> {
    match b {
        Body::Evidence(e) => write_evidence(e, out),
        Body::Decision(d) => write_decision(d, out),
    }
}

fn write_evidence(e: &Evidence, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.items("attachments", &e.attachments, write_attachment)?;
    o.items("findings", &e.findings, write_finding)?;
    o.str("kind", e.kind.name());
    o.nonnull_value("payload", &e.payload)?;
    o.strs("requirements", &e.requirements);
    write_subject(&e.subject, o.key("subject"));
    o.str("title", &e.title);
    o.str("type", "evidence");
    o.close();
    Ok(())
}

fn write_decision(d: &Decision, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.items("criteria", &d.criteria, write_criterion)?;
    o.str("decided_by", &d.decided_by);
    o.str("decision", d.decision.name());
    o.items("exceptions", &d.exceptions, write_exception)?;
    o.nonnull_value("payload", &d.payload)?;
    o.items("references", &d.references, write_record_id)?;
    o.nonempty_strs("requirements", &d.requirements);
    write_subject(&d.subject, o.key("subject"));
    o.str("title", &d.title);
    o.str("type", "decision");
    o.close();
    Ok(())
}

fn write_subject(s: &Subject, out: &mut String) {
    let mut o = Obj::open(out);
    match s {
        Subject::Vendor { vendor } => {
            o.str("type", "vendor");
            o.str("vendor", vendor);
        }
        Subject::Product {
            vendor,
            product,
            version,
            component_type,
            artifacts,
        } => {
            let _ = o.items("artifacts", artifacts, |a, out| {
                write_artifact(a, out);
                Ok(())
            });
            if let Some(c) = component_type {
                o.str("component_type", component_name(*c));
            }
            o.str("product", product);
            o.str("type", "product");
            o.str("vendor", vendor);
            o.opt_str("version", version);
        }
        Subject::System {
            system,
            zone,
            conduit,
        } => {
            o.opt_str("conduit", conduit);
            o.str("system", system);
            o.str("type", "system");
            o.opt_str("zone", zone);
        }
    }
    o.close();
}

fn write_artifact(a: &Artifact, out: &mut String) {
    let mut o = Obj::open(out);
    o.str("name", &a.name);
    write_digest(&a.sha256, o.key("sha256"));
    o.close();
}

fn write_attachment(a: &Attachment, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.str("media_type", &a.media_type);
    o.str("name", &a.name);
    write_digest(&a.sha256, o.key("sha256"));
    write_u64(a.size, o.key("size"))?;
    o.close();
    Ok(())
}

/// The serde (kebab-case) name, which differs from `ComponentType::name` (spaces).
fn component_name(c: ComponentType) -> &'static str {
    match c {
        ComponentType::SoftwareApplication => "software-application",
        ComponentType::EmbeddedDevice => "embedded-device",
        ComponentType::HostDevice => "host-device",
        ComponentType::NetworkDevice => "network-device",
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn status_name(s: FindingStatus) -> &'static str {
    match s {
        FindingStatus::Open => "open",
        FindingStatus::Fixed => "fixed",
        FindingStatus::AcceptedRisk => "accepted-risk",
    }
}

fn result_name(r: CriterionResult) -> &'static str {
    match r {
        CriterionResult::Pass => "pass",
        CriterionResult::Fail => "fail",
        CriterionResult::Exception => "exception",
        CriterionResult::NotApplicable => "not-applicable",
    }
}

fn write_finding(f: &Finding, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.str("behaviour", &f.behaviour);
    o.opt_str("observed", &f.observed);
    o.opt_str("remediation", &f.remediation);
    if let Some(v) = &f.reproducer {
        // `Some(Value::Null)` is serialised (as `null`): only `None` is skipped.
        o.value("reproducer", v)?;
    }
    o.nonempty_strs("requirements", &f.requirements);
    o.str("severity", severity_name(f.severity));
    o.str("status", status_name(f.status));
    o.str("title", &f.title);
    o.close();
    Ok(())
}

fn write_criterion(c: &Criterion, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.str("description", &c.description);
    o.items("evidence", &c.evidence, write_record_id)?;
    o.str("id", &c.id);
    o.str("result", result_name(c.result));
    o.close();
    Ok(())
}

fn write_exception(e: &Exception, out: &mut String) -> Result<(), JcsError> {
    let mut o = Obj::open(out);
    o.str("criterion", &e.criterion);
    o.str("justification", &e.justification);
    o.str("owner", &e.owner);
    o.opt_str("until", &e.until);
    o.close();
    Ok(())
}
