//! SPDX 2.2 / 2.3 tag-value.
//!
//! Lines are `Tag: value`; a value starting with `<text>` may span lines up to
//! `</text>`. Files that follow a package (before the next package) are taken to be
//! contained in it, as the tag-value format specifies. Unknown tags and tags outside
//! their section are recorded as problems, not errors.

use crate::common::{push_license, Builder};
use crate::spdx_common::{strip_actor, Element, Raw, Relationship};
use crate::spdx_json::external_ref;
use crate::{Component, Document, Format, SbomError};

const IGNORED_TAGS: &[&str] = &[
    "DataLicense",
    "DocumentComment",
    "ExternalDocumentRef",
    "LicenseListVersion",
    "CreatorComment",
    "PackageFileName",
    "PackageOriginator",
    "PackageDownloadLocation",
    "FilesAnalyzed",
    "PackageVerificationCode",
    "PackageHomePage",
    "PackageSourceInfo",
    "PackageLicenseInfoFromFiles",
    "PackageLicenseComments",
    "PackageCopyrightText",
    "PackageSummary",
    "PackageDescription",
    "PackageComment",
    "ExternalRefComment",
    "PackageAttributionText",
    "ReleaseDate",
    "BuiltDate",
    "ValidUntilDate",
    "FileType",
    "LicenseInfoInFile",
    "LicenseComments",
    "FileCopyrightText",
    "FileComment",
    "FileNotice",
    "FileContributor",
    "FileAttributionText",
    "FileDependency",
    "ArtifactOfProjectName",
    "ArtifactOfProjectHomePage",
    "ArtifactOfProjectURI",
    "SnippetFromFileSPDXID",
    "SnippetByteRange",
    "SnippetLineRange",
    "SnippetLicenseConcluded",
    "LicenseInfoInSnippet",
    "SnippetLicenseComments",
    "SnippetCopyrightText",
    "SnippetComment",
    "SnippetName",
    "SnippetAttributionText",
    "ExtractedText",
    "LicenseName",
    "LicenseCrossReference",
    "LicenseComment",
    "RelationshipComment",
    "Annotator",
    "AnnotationDate",
    "AnnotationType",
    "SPDXREF",
    "AnnotationComment",
    "Reviewer",
    "ReviewDate",
    "ReviewComment",
];

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Document,
    Package(usize),
    File(usize),
    Snippet,
    License,
}

fn err(line: usize, message: impl Into<String>) -> SbomError {
    SbomError::Invalid {
        location: format!("line {line}"),
        message: message.into(),
    }
}

fn excerpt(s: &str) -> String {
    otproof_text::quote_max(s, 60)
}

/// Parses SPDX tag-value.
pub fn parse(bytes: &[u8]) -> Result<Document, SbomError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let upto = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        err(line, "the input is not UTF-8")
    })?;

    let mut b = Builder::new(Format::SpdxTagValue, String::new());
    let mut version: Option<String> = None;
    let mut doc_id = "SPDXRef-DOCUMENT".to_string();
    let mut name = None;
    let mut namespace = None;
    let mut created = None;
    let mut creators = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    // Per element: (declared, concluded) licences, and the package a file follows.
    let mut lic: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut parent: Vec<Option<usize>> = Vec::new();
    let mut relationships = Vec::new();
    let mut section = Section::Document;
    let mut last_package: Option<usize> = None;

    let mut lines = text.split('\n').enumerate();
    while let Some((idx, raw_line)) = lines.next() {
        let line_no = idx + 1;
        let line = raw_line.trim_end_matches('\r');
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = t.split_once(':') else {
            return Err(err(
                line_no,
                format!("expected 'Tag: value', found '{}'", excerpt(t)),
            ));
        };
        let tag = tag.trim();
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(err(
                line_no,
                format!("expected 'Tag: value', found '{}'", excerpt(t)),
            ));
        }
        let mut value = value.trim().to_string();
        if let Some(after) = value.strip_prefix("<text>") {
            if let Some((inner, _)) = after.split_once("</text>") {
                value = inner.to_string();
            } else {
                let mut acc = after.to_string();
                let mut closed = false;
                for (_, next) in lines.by_ref() {
                    let next = next.trim_end_matches('\r');
                    acc.push('\n');
                    if let Some((inner, _)) = next.split_once("</text>") {
                        acc.push_str(inner);
                        closed = true;
                        break;
                    }
                    acc.push_str(next);
                }
                if !closed {
                    return Err(err(
                        line_no,
                        format!(
                            "the <text> value of '{tag}' opened here is never closed with </text>"
                        ),
                    ));
                }
                value = acc;
            }
        }
        let loc = || format!("line {line_no}");
        let outside = |b: &mut Builder, what: &str| {
            b.problem(
                format!("line {line_no}"),
                format!("'{tag}' outside a {what} section is ignored"),
            );
        };
        match tag {
            "SPDXVersion" => {
                if version.is_some() {
                    b.problem(loc(), "repeated 'SPDXVersion' is ignored");
                } else {
                    version = Some(value);
                }
            }
            "DocumentName" => name = Some(value),
            "DocumentNamespace" => namespace = Some(value),
            "Created" => created = Some(value),
            "Creator" => creators.push(value),
            "SPDXID" => match section {
                Section::Document => doc_id = value,
                Section::Package(i) | Section::File(i) => {
                    if let Some(e) = elements.get_mut(i) {
                        e.comp.bom_ref = value;
                    }
                }
                Section::Snippet | Section::License => {}
            },
            "PackageName" => {
                let i = elements.len();
                elements.push(Element {
                    comp: Component {
                        kind: "package".into(),
                        name: value,
                        ..Component::default()
                    },
                    loc: loc(),
                });
                lic.push((None, None));
                parent.push(None);
                section = Section::Package(i);
                last_package = Some(i);
            }
            "FileName" => {
                let i = elements.len();
                elements.push(Element {
                    comp: Component {
                        kind: "file".into(),
                        name: value,
                        ..Component::default()
                    },
                    loc: loc(),
                });
                lic.push((None, None));
                parent.push(last_package);
                section = Section::File(i);
            }
            "SnippetSPDXID" => section = Section::Snippet,
            "LicenseID" => section = Section::License,
            "PackageVersion"
            | "PackageSupplier"
            | "PackageChecksum"
            | "ExternalRef"
            | "PackageLicenseDeclared"
            | "PackageLicenseConcluded"
            | "PrimaryPackagePurpose" => {
                let Section::Package(i) = section else {
                    outside(&mut b, "package");
                    continue;
                };
                let (Some(e), Some(l)) = (elements.get_mut(i), lic.get_mut(i)) else {
                    continue;
                };
                let c = &mut e.comp;
                match tag {
                    "PackageVersion" => c.version = Some(value).filter(|v| !v.is_empty()),
                    "PackageSupplier" => c.supplier = strip_actor(&value),
                    "PackageChecksum" => checksum(&mut b, c, &value, line_no),
                    "ExternalRef" => {
                        let mut parts = value.split_whitespace();
                        match (parts.next(), parts.next(), parts.next()) {
                            (Some(_cat), Some(ty), Some(locator)) => {
                                external_ref(&mut b, c, ty, locator, loc)
                            }
                            _ => b.problem(loc(), "expected 'ExternalRef: CATEGORY TYPE LOCATOR'"),
                        }
                    }
                    "PackageLicenseDeclared" => l.0 = Some(value),
                    "PackageLicenseConcluded" => l.1 = Some(value),
                    _ => {
                        let k = value.trim().to_ascii_lowercase();
                        if !k.is_empty() {
                            c.kind = k;
                        }
                    }
                }
            }
            "FileChecksum" | "LicenseConcluded" => {
                let Section::File(i) = section else {
                    outside(&mut b, "file");
                    continue;
                };
                let (Some(e), Some(l)) = (elements.get_mut(i), lic.get_mut(i)) else {
                    continue;
                };
                if tag == "FileChecksum" {
                    checksum(&mut b, &mut e.comp, &value, line_no);
                } else {
                    l.1 = Some(value);
                }
            }
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                match parts.as_slice() {
                    [from, ty, to] => relationships.push(Relationship {
                        from: (*from).to_string(),
                        ty: ty.to_ascii_uppercase(),
                        to: (*to).to_string(),
                        loc: loc(),
                    }),
                    _ => b.problem(
                        loc(),
                        format!(
                            "expected 'Relationship: ELEMENT TYPE ELEMENT', found '{}'",
                            excerpt(&value)
                        ),
                    ),
                }
            }
            t if IGNORED_TAGS.contains(&t) => {}
            other => b.problem(
                loc(),
                format!("unknown tag '{}'", otproof_text::quote(other)),
            ),
        }
    }

    let version =
        version.ok_or_else(|| err(1, "expected 'SPDXVersion: SPDX-2.x', the tag is missing"))?;
    if !version.starts_with("SPDX-2.") {
        return Err(err(
            1,
            format!(
                "expected 'SPDXVersion: SPDX-2.2' or 'SPDX-2.3', found '{}'",
                excerpt(&version)
            ),
        ));
    }
    for (e, (declared, concluded)) in elements.iter_mut().zip(lic) {
        for l in [declared, concluded].into_iter().flatten() {
            push_license(&mut e.comp.licenses, &l);
        }
    }
    let mut contains = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        if let (Some(p), Some(f)) = (p.and_then(|p| elements.get(p)), elements.get(i)) {
            if !p.comp.bom_ref.is_empty() && !f.comp.bom_ref.is_empty() {
                contains.push((
                    p.comp.bom_ref.clone(),
                    f.comp.bom_ref.clone(),
                    f.loc.clone(),
                ));
            }
        }
    }
    let raw = Raw {
        format: Format::SpdxTagValue,
        version,
        doc_id,
        name,
        namespace,
        created,
        creators,
        elements,
        describes: Vec::new(),
        relationships,
        contains,
    };
    let mut doc = raw.finish();
    let mut problems = b.doc.problems;
    problems.append(&mut doc.problems);
    doc.problems = problems;
    Ok(doc)
}

fn checksum(b: &mut Builder, c: &mut Component, value: &str, line_no: usize) {
    match value.split_once(':') {
        Some((alg, v)) => {
            let h = b.hash(alg, v, || format!("line {line_no}"));
            c.hashes.push(h);
        }
        None => b.problem(
            format!("line {line_no}"),
            "expected a checksum 'ALGORITHM: value'",
        ),
    }
}
