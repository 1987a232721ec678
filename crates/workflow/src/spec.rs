//! Use cases: write a supplier specification (and its questionnaire) for a component at an
//! SL-T, and record it in the buyer's store.

use crate::records::{record_evidence, RecordsError};
use otproof_assess::spec::{build_specification, SpecParams, Specification};
use otproof_catalog::Catalog;
use otproof_evidence::payload::specification::SpecificationPayload;
use otproof_evidence::{Evidence, EvidenceKind, Payload, PayloadError, RecordId, Subject};
use otproof_store::Store;
use std::path::Path;

/// A specification use case that failed.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The parameters do not make a specification.
    #[error(transparent)]
    Build(#[from] otproof_assess::spec::SpecError),
    /// Recording failed.
    #[error(transparent)]
    Records(#[from] RecordsError),
    /// The payload could not be written.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Build the specification for these parameters from the built-in catalog.
pub fn build(params: &SpecParams) -> Result<Specification, SpecError> {
    Ok(build_specification(Catalog::builtin(), params)?)
}

/// The typed payload of a specification record.
pub fn payload(spec: &Specification) -> SpecificationPayload {
    SpecificationPayload {
        format: spec.format.clone(),
        catalog: spec.catalog.clone(),
        component_type: spec.params.component,
        sl_t: spec.params.sl_t,
        ml: spec.params.ml,
        support_years: spec.params.support_years,
        applicable_requirements: spec
            .technical_ids()
            .into_iter()
            .map(str::to_string)
            .collect(),
    }
}

/// Record a written specification (with the files written from it attached) as the buyer's
/// evidence. The subject's vendor is not chosen yet.
pub fn record(
    store: &mut Store,
    spec: &Specification,
    files: &[&Path],
) -> Result<RecordId, SpecError> {
    let evidence = Evidence {
        kind: EvidenceKind::Specification,
        title: spec.title.clone(),
        requirements: Vec::new(),
        subject: Subject::Product {
            vendor: "(to be selected)".into(),
            product: spec.questionnaire.specification.product.clone(),
            version: None,
            component_type: Some(spec.params.component),
            artifacts: vec![],
        },
        payload: payload(spec).to_value()?,
        attachments: vec![],
        findings: vec![],
    };
    Ok(record_evidence(store, evidence, files, "spec")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use otproof_catalog::{ComponentType, SlVector};
    use otproof_evidence::Body;

    #[test]
    fn a_specification_is_recorded_with_its_typed_payload() {
        let t = tempfile::tempdir().expect("tempdir");
        let mut store = Store::init(t.path(), None).expect("init");
        let sl_t: SlVector = "2,2,2,2,2,2,2".parse().expect("sl-t");
        let spec = build(&SpecParams::new(ComponentType::EmbeddedDevice, sl_t)).expect("spec");
        let file = t.path().join("spec.md");
        std::fs::write(&file, "# spec\n").expect("write");
        let id = record(&mut store, &spec, &[&file]).expect("record");
        let r = store.get(&id.to_string()).expect("get");
        let Body::Evidence(e) = &r.record.body else {
            panic!("evidence expected");
        };
        assert_eq!(e.kind, EvidenceKind::Specification);
        assert_eq!(e.attachments.len(), 1);
        let p = SpecificationPayload::from_value(&e.payload).expect("typed");
        assert_eq!(p.sl_t, sl_t);
        assert_eq!(p.applicable_requirements.len(), spec.technical_count());
        assert!(!p.applicable_requirements.is_empty());
    }
}
