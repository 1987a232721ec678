//! VulnDb import + Matcher lookups.

use otproof_vulndb::generate;
use otproof_vulndb::osv::{self, Event};
use otproof_vulndb::{Confidence, Matcher, Query, Severity, VulnDb};
use std::io::Write;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn q(ty: &str, ns: Option<&str>, name: &str, version: &str) -> Query {
    Query {
        purl_type: Some(ty.into()),
        namespace: ns.map(str::to_string),
        name: name.into(),
        version: Some(version.into()),
        cpe: None,
    }
}

fn loaded() -> (VulnDb, otproof_vulndb::ImportReport) {
    let mut db = VulnDb::open_in_memory().expect("db");
    let mut ticks = 0;
    let report = db
        .import(&[testdata().join("osv"), fixtures()], &mut |_| ticks += 1)
        .expect("import");
    assert!(ticks > 0);
    (db, report)
}

#[test]
fn import_reports_rejections_and_counts() {
    let (db, report) = loaded();
    let rejected: Vec<&str> = report.rejected.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(rejected.len(), 4, "{:#?}", report.rejected);
    assert!(rejected.iter().any(|f| f.ends_with("ecosystems.json")));
    assert!(rejected
        .iter()
        .any(|f| f.ends_with("nointroduced-CVE-2023-41045.json")));
    assert!(rejected
        .iter()
        .any(|f| f.ends_with("nondistinct-CVE-2018-5407.json")));
    assert!(rejected
        .iter()
        .any(|f| f.ends_with("nvdcve-2.0-fixture.json[3]")));
    for (f, why) in &report.rejected {
        assert!(!why.is_empty(), "{f}");
    }
    // nondistinct shares its ID with a valid record; it is rejected, the valid one stays.
    // nopackage-* has the same ID and `modified` as GHSA-9v2f-6vcg-3hgv: a tie keeps the
    // copy imported first.
    assert_eq!(report.osv_imported, 14);
    assert_eq!(report.osv_skipped, 1);
    assert_eq!(report.osv_withdrawn, 1);
    assert_eq!(report.kev_imported, 2);
    assert_eq!(report.nvd_imported, 3);
    let status = db.status().expect("status");
    let get = |s: &str| status.iter().find(|x| x.source == s).cloned();
    assert_eq!(get("osv:PyPI").map(|s| s.count), Some(4));
    assert_eq!(get("kev").map(|s| s.count), Some(2));
    assert_eq!(
        get("kev").and_then(|s| s.newest),
        Some("2099-01-15T12:00:00.0000Z".into())
    );
    assert_eq!(
        get("nvd").and_then(|s| s.newest),
        Some("2099-01-07T08:00:00Z".into())
    );
    assert!(get("nvd").and_then(|s| s.imported_at).is_some());
    let rhsa = db
        .advisory("RHSA-2022:0216")
        .expect("query")
        .expect("stored");
    assert!(rhsa.details.is_none() || rhsa.summary.is_some());
}

#[test]
fn reimport_keeps_the_newer_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = |modified: &str, fixed: &str| {
        format!(
            r#"{{"id":"TEST-1","modified":"{modified}","affected":[{{"package":{{"ecosystem":"PyPI","name":"Demo_Pkg"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    };
    let newer = dir.path().join("newer.json");
    let older = dir.path().join("older.json");
    std::fs::write(&newer, rec("2024-02-01T00:00:00Z", "2.0")).expect("write");
    std::fs::write(&older, rec("2024-01-01T00:00:00.5+01:00", "1.0")).expect("write");
    let path = dir.path().join("v.db");
    {
        let mut db = VulnDb::open(&path).expect("open");
        let r = db
            .import(std::slice::from_ref(&newer), &mut |_| {})
            .expect("import");
        assert_eq!(r.osv_imported, 1);
        let r = db.import(&[older], &mut |_| {}).expect("import");
        assert_eq!((r.osv_imported, r.osv_skipped), (0, 1));
    }
    let db = VulnDb::open(&path).expect("reopen");
    assert_eq!(db.schema_version().expect("version"), 1);
    let m = db.matcher().expect("matcher");
    let found = m.lookup(&q("pypi", None, "demo.pkg", "1.5"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].fixed.as_deref(), Some("2.0"));
}

#[test]
fn zip_and_array_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zpath = dir.path().join("all.zip");
    {
        let f = std::fs::File::create(&zpath).expect("create");
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for name in [
            "GO-2020-0001.json",
            "PYSEC-2023-74.json",
            "nointroduced-CVE-2023-41045.json",
        ] {
            z.start_file(name, opts).expect("start");
            z.write_all(&std::fs::read(testdata().join("osv").join(name)).expect("read"))
                .expect("write");
        }
        z.start_file("README.txt", opts).expect("start");
        z.write_all(b"not json").expect("write");
        z.finish().expect("finish");
    }
    let arr = dir.path().join("array.json");
    let a = std::fs::read_to_string(testdata().join("osv/GO-2024-2963.json")).expect("read");
    std::fs::write(&arr, format!("[{a}, {{\"id\": 5}}]")).expect("write");
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, b"\x00\x01 not json").expect("write");
    let mut db = VulnDb::open_in_memory().expect("db");
    let r = db
        .import(
            &[zpath, arr, garbage, dir.path().join("missing.json")],
            &mut |_| {},
        )
        .expect("import");
    assert_eq!(r.osv_imported, 3);
    let names: Vec<&str> = r.rejected.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names.len(), 4, "{:#?}", r.rejected);
    assert!(names[0].ends_with("all.zip:nointroduced-CVE-2023-41045.json"));
    assert!(names[1].ends_with("array.json[1]"));
    assert!(names[2].ends_with("garbage.json"));
    assert!(names[3].ends_with("missing.json"));
    let m = db.matcher().expect("matcher");
    let hits = m.lookup(&q("golang", Some("github.com/gin-gonic"), "gin", "v1.5.0"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].fixed.as_deref(), Some("1.6.0"));
}

#[test]
fn purl_matching_severity_kev_and_withdrawn() {
    let (db, _) = loaded();
    let m = db.matcher().expect("matcher");
    // PyPI name normalisation, explicit versions list, KEV via alias, severity from CVSS.
    let hits = m.lookup(&q("pypi", None, "GRADIO", "4.36.1"));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.id, "GHSA-9v2f-6vcg-3hgv");
    assert_eq!(h.aliases, ["CVE-2024-39236"]);
    assert!(h.kev);
    assert_eq!(h.severity, Some(Severity::Critical));
    assert_eq!(h.score, Some(9.8));
    assert_eq!(h.confidence, Confidence::Purl);
    assert!(h.evaluable);
    assert_eq!(h.source, "osv");
    // Normalised PyPI name in the record itself.
    let hits = m.lookup(&q("pypi", None, "Products.PluggableAuthService", "2.6.0"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].fixed.as_deref(), Some("2.6.1"));
    // Withdrawn records never match.
    assert!(m
        .lookup(&q("gem", None, "activesupport", "4.2.1"))
        .is_empty());
    // Maven group:artifact, Alpine, npm.
    let hits = m.lookup(&q(
        "maven",
        Some("com.typesafe.akka"),
        "akka-actor_2.12",
        "2.5.10",
    ));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].fixed.as_deref(), Some("2.5.16"));
    let hits = m.lookup(&q("apk", Some("alpine"), "openssl", "1.0.2k-r0"));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "CVE-2018-5407");
    assert!(m.lookup(&q("npm", None, "jquery", "3.5.0")).is_empty());
    // No version: reported, but not evaluable.
    let mut nov = q("npm", None, "jquery", "");
    nov.version = None;
    let hits = m.lookup(&nov);
    assert_eq!(hits.len(), 1);
    assert!(!hits[0].evaluable);
    assert!(hits[0].note.is_some());
    // Name only: low confidence.
    let hits = m.lookup(&Query {
        name: "requests".into(),
        version: Some("2.30.0".into()),
        ..Query::default()
    });
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].confidence, Confidence::NameVersion);
    assert!(hits[0]
        .note
        .as_deref()
        .is_some_and(|n| n.contains("name only")));
    // From a purl string.
    let pq = Query::from_purl("pkg:pypi/requests@2.30.0").expect("purl");
    assert_eq!(m.lookup(&pq)[0].id, "PYSEC-2023-74");
}

#[test]
fn cpe_matching_requires_vendor() {
    let (db, _) = loaded();
    let m = db.matcher().expect("matcher");
    let cpe = |c: &str, v: Option<&str>| Query {
        name: "x".into(),
        cpe: Some(c.into()),
        version: v.map(str::to_string),
        ..Query::default()
    };
    let hits = m.lookup(&cpe(
        "cpe:2.3:o:acme:plc_firmware:2.3.9:*:*:*:*:*:*:*",
        None,
    ));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].id, "CVE-2099-0001");
    assert!(hits[0].kev);
    assert_eq!(hits[0].confidence, Confidence::Cpe);
    assert_eq!(hits[0].severity, Some(Severity::Critical));
    assert!(hits[0].note.as_deref().is_some_and(|n| n.contains("AND")));
    assert_eq!(hits[0].source, "nvd");
    // Outside the range, and case-insensitive vendor/product.
    assert!(m
        .lookup(&cpe(
            "cpe:2.3:o:ACME:PLC_Firmware:2.4.1:*:*:*:*:*:*:*",
            None
        ))
        .is_empty());
    // Same product name, other vendor's version: no match for acme.
    assert!(m
        .lookup(&cpe(
            "cpe:2.3:o:acme:plc_firmware:2.1.0:*:*:*:*:*:*:*",
            None
        ))
        .iter()
        .all(|h| h.id != "CVE-2099-0002"));
    // Unknown vendor: no product-only match.
    assert!(m
        .lookup(&cpe("cpe:2.3:o:*:plc_firmware:2.1.0:*:*:*:*:*:*:*", None))
        .is_empty());
    // Escaped colon in the product; version from the query.
    let hits = m.lookup(&cpe(
        "cpe:2.3:a:acme:hmi\\:studio:*:*:*:*:*:*:*:*",
        Some("4.2"),
    ));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Some(Severity::High));
    let hits = m.lookup(&cpe("cpe:2.3:a:acme:hmi\\:studio:*:*:*:*:*:*:*:*", None));
    assert!(!hits[0].evaluable);
}

#[test]
fn aliases_merge_into_one_match() {
    let base = osv::parse(
        br#"{"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
        "database_specific":{"severity":"MODERATE"},
        "affected":[{"package":{"ecosystem":"npm","name":"@acme/ui"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#,
    )
    .expect("parse");
    let mut other = base.clone();
    other.id = "OSV-2099-7".into();
    other.aliases = vec!["GHSA-aaaa-bbbb-cccc".into(), "PYSEC-0000-1".into()];
    other.database_specific = None;
    if let Some(Event::Fixed(f)) = other.affected[0].ranges[0].events.get_mut(1) {
        *f = "1.3.0".into();
    }
    let m = Matcher::from_advisories(vec![base, other], Vec::new(), Vec::new());
    let hits = m.lookup(&q("npm", Some("%40acme"), "ui", "1.1.0"));
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(
        hits[0].aliases,
        ["CVE-2099-0001", "OSV-2099-7", "PYSEC-0000-1"]
    );
    assert_eq!(hits[0].fixed.as_deref(), Some("1.2.0"));
    assert_eq!(hits[0].severity, Some(Severity::Medium));
    assert!(!hits[0].kev);
}

/// 10k generated components against 10k generated records: the expected count is derived
/// from the records' events independently of the matcher.
#[test]
fn generated_10k_by_10k() {
    let n = 10_000;
    let records = generate::osv_records(n, 7);
    let comps = generate::components(n, 7);
    let mut expected = 0;
    for (j, c) in comps.iter().enumerate() {
        let minor: u64 = c
            .version
            .as_deref()
            .and_then(|v| v.trim_start_matches('v').split('.').nth(1))
            .and_then(|m| m.parse().ok())
            .expect("minor");
        let end = &records[j].affected[0].ranges[0].events[1];
        let f: u64 = end
            .value()
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .expect("f");
        let hit = match end {
            Event::Fixed(_) => minor < f,
            Event::LastAffected(_) => minor <= f,
            _ => unreachable!(),
        };
        expected += hit as usize;
    }
    let m = Matcher::from_advisories(records, Vec::new(), Vec::new());
    let mut got = 0;
    for (j, c) in comps.iter().enumerate() {
        let hits = m.lookup(c);
        assert!(hits.len() <= 1);
        if let Some(h) = hits.first() {
            assert_eq!(h.id, format!("GEN-{j}"));
            assert!(h.evaluable);
            got += 1;
        }
    }
    assert!(expected > n / 4 && expected < n, "{expected}");
    assert_eq!(got, expected);
}

#[test]
fn read_only_open_refuses_what_is_not_a_database_and_never_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("write");
    let e = VulnDb::open_read_only(&empty).expect_err("0-byte file");
    assert!(e.to_string().contains("empty file (0 bytes)"), "{e}");
    assert_eq!(std::fs::read(&empty).expect("read"), b"", "left as it was");
    let text = dir.path().join("text.db");
    std::fs::write(&text, b"hello, not a database at all\n").expect("write");
    let e = VulnDb::open_read_only(&text).expect_err("text file");
    assert!(e.to_string().contains("not an SQLite file"), "{e}");
    assert_eq!(
        std::fs::read(&text).expect("read"),
        b"hello, not a database at all\n"
    );
    let e = VulnDb::open_read_only(&dir.path().join("missing.db")).expect_err("missing");
    assert!(
        e.to_string().contains("not a vulnerability database"),
        "{e}"
    );
    assert!(!dir.path().join("missing.db").exists(), "not created");

    // A database created but never imported into opens, but holds no data.
    let never = dir.path().join("never.db");
    drop(VulnDb::open(&never).expect("create"));
    let before = std::fs::read(&never).expect("read");
    let db = VulnDb::open_read_only(&never).expect("open");
    let e = db.require_data().expect_err("no data");
    assert!(e.to_string().contains("nothing was ever imported"), "{e}");
    assert_eq!(db.summary().expect("summary").records, 0);
    drop(db);
    assert_eq!(std::fs::read(&never).expect("read"), before, "unchanged");
}

#[test]
fn the_summary_names_sources_counts_import_time_and_rejected_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.db");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"id\": 3}").expect("write");
    {
        let mut db = VulnDb::open(&path).expect("open");
        let r = db
            .import(&[testdata().join("rio-2000/vulndb"), bad], &mut |_| {})
            .expect("import");
        assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    }
    let db = VulnDb::open_read_only(&path).expect("open");
    db.require_data().expect("has data");
    let s = db.summary().expect("summary");
    assert_eq!(s.records, 5, "{s:?}");
    assert_eq!(s.rejected_at_import, 1);
    assert!(s.last_import.is_some());
    assert!(s.sources.iter().any(|x| x.source == "kev" && x.count == 1));
}
