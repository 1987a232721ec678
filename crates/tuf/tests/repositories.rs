//! otproof-tuf against the TUF test repositories in testdata/tuf/ (a subset of the
//! python-tuf reference test data, a root rotation, an expired repository and a root with a bad
//! signature), plus tampered copies made in temporary directories.

use otproof_tuf::{load_repository, verify_target, TufError};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn tuf_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("testdata/tuf");
    assert!(
        dir.join("tuf-reference-impl/metadata/1.root.json")
            .is_file(),
        "TUF test data not found at {}",
        dir.display()
    );
    dir
}

fn reference() -> PathBuf {
    tuf_dir().join("tuf-reference-impl")
}

fn reference_root() -> PathBuf {
    reference().join("metadata/1.root.json")
}

/// 2026-11-26T00:00:00Z: inside the validity of the reference repository (expires 2030).
fn fixed_now() -> Option<SystemTime> {
    Some(UNIX_EPOCH + Duration::from_secs(1_795_651_200))
}

fn check_name(e: &TufError) -> &'static str {
    match e {
        TufError::Check { check, .. } => check,
        TufError::Io { .. } => "io",
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy test repository");
    for entry in std::fs::read_dir(from).expect("copy test repository") {
        let entry = entry.expect("copy test repository");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("copy test repository").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy test repository");
        }
    }
}

const FILE1_SHA256: &str = "65b8c67f51c993d898250f40aa57a317d854900b3a04895464313e48785440da";

#[test]
fn reference_repository_verifies_artifact_bytes() {
    let bytes = std::fs::read(reference().join("targets/file1.txt")).unwrap();
    let v = verify_target(
        &reference(),
        &reference_root(),
        "file1.txt",
        Some(&bytes),
        fixed_now(),
    )
    .unwrap();
    assert_eq!(v.target, "file1.txt");
    assert_eq!(v.length, 31);
    assert_eq!(v.sha256, FILE1_SHA256);
    assert_eq!(v.root_version, 1);
    assert_eq!(v.targets_version, 1);
    assert!(
        v.checks.iter().any(|c| c.contains("sha512 matches")),
        "{:?}",
        v.checks
    );
}

#[test]
fn reference_repository_with_the_system_clock() {
    // The reference metadata expires 2030-01-01; past that date the same call must say so.
    let expires = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    let bytes = std::fs::read(reference().join("targets/file1.txt")).unwrap();
    let r = verify_target(
        &reference(),
        &reference_root(),
        "file1.txt",
        Some(&bytes),
        None,
    );
    if SystemTime::now() <= expires {
        let v = r.unwrap();
        assert!(v.checks.iter().any(|c| c.contains("system clock")));
    } else {
        assert_eq!(check_name(&r.unwrap_err()), "expired");
    }
}

#[test]
fn reference_repository_reads_the_target_file_itself_when_no_bytes_are_given() {
    let v = verify_target(
        &reference(),
        &reference_root(),
        "file2.txt",
        None,
        fixed_now(),
    )
    .unwrap();
    assert_eq!(v.length, 39);
    assert!(
        v.checks
            .iter()
            .any(|c| c.contains("target file in the repository matches")),
        "{:?}",
        v.checks
    );
}

#[test]
fn delegated_target_is_found_through_role1() {
    let bytes = std::fs::read(reference().join("targets/file3.txt")).unwrap();
    let v = verify_target(
        &reference(),
        &reference_root(),
        "file3.txt",
        Some(&bytes),
        fixed_now(),
    )
    .unwrap();
    assert_eq!(v.length, 28);
    assert_eq!(
        v.sha256,
        "141f740f53781d1ca54b8a50af22cbf74e44c21a998fa2a8a05aaac2c002886b"
    );
}

#[test]
fn reference_repository_lists_its_targets() {
    let info = load_repository(&reference(), &reference_root(), fixed_now()).unwrap();
    assert_eq!(info.targets, ["file1.txt", "file2.txt", "file3.txt"]);
    assert_eq!(info.root_version, 1);
}

#[test]
fn rotated_root_is_followed_from_version_1_to_2() {
    let dir = tuf_dir().join("rotated-root");
    // 1.root.json itself expired in 1998: a trusted root that is rotated away may be expired.
    let info = load_repository(&dir, &dir.join("1.root.json"), fixed_now()).unwrap();
    assert_eq!(info.root_version, 2);
    assert_eq!(info.targets_version, 1);
    assert!(info.targets.is_empty());
    // Same repository with the real clock (2.root.json expires 2029-07-27).
    if SystemTime::now() < UNIX_EPOCH + Duration::from_secs(1_879_804_800) {
        assert_eq!(
            load_repository(&dir, &dir.join("1.root.json"), None)
                .unwrap()
                .root_version,
            2
        );
    }
    // Its targets metadata lists no target: a lookup gets past every signature check and
    // then fails on the lookup only.
    let e = verify_target(
        &dir,
        &dir.join("1.root.json"),
        "firmware.bin",
        None,
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "target not found", "{e}");
}

#[test]
fn expired_repository_is_rejected_at_real_now() {
    let dir = tuf_dir().join("expired-repository");
    let root = dir.join("metadata/1.root.json");
    let e = load_repository(&dir, &root, None).unwrap_err();
    assert_eq!(check_name(&e), "expired", "{e}");
    let e = verify_target(&dir, &root, "anything", None, None).unwrap_err();
    assert_eq!(check_name(&e), "expired", "{e}");
}

#[test]
fn expired_repository_is_rejected_at_a_given_time_after_expiry() {
    let dir = tuf_dir().join("expired-repository");
    let root = dir.join("metadata/1.root.json");
    let e = load_repository(&dir, &root, fixed_now()).unwrap_err();
    assert_eq!(check_name(&e), "expired", "{e}");
    assert!(
        e.to_string()
            .contains("timestamp metadata expired at 1999-01-01"),
        "{e}"
    );
}

#[test]
fn expired_repository_was_valid_before_its_timestamp_expired() {
    // 1998-06-01: before timestamp.json expired (1999-01-01). The caller's time is honoured.
    let dir = tuf_dir().join("expired-repository");
    let at = UNIX_EPOCH + Duration::from_secs(896_659_200);
    let info = load_repository(&dir, &dir.join("metadata/1.root.json"), Some(at)).unwrap();
    assert_eq!(info.timestamp_version, 1_589_485_578);
}

#[test]
fn root_with_invalid_signature_is_rejected() {
    let root = tuf_dir().join("invalid-root-json-signature/root.json");
    let e = verify_target(&reference(), &root, "file1.txt", None, fixed_now()).unwrap_err();
    assert_eq!(check_name(&e), "root signature", "{e}");
    let e = load_repository(&reference(), &root, None).unwrap_err();
    assert_eq!(check_name(&e), "root signature", "{e}");
}

#[test]
fn unknown_target_is_rejected() {
    let e = verify_target(
        &reference(),
        &reference_root(),
        "no-such-file.bin",
        Some(b"x"),
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "target not found", "{e}");
}

#[test]
fn artifact_bytes_that_differ_are_rejected() {
    let mut bytes = std::fs::read(reference().join("targets/file1.txt")).unwrap();
    bytes[0] ^= 1;
    let e = verify_target(
        &reference(),
        &reference_root(),
        "file1.txt",
        Some(&bytes),
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "target hash", "{e}");

    bytes.push(b'!');
    let e = verify_target(
        &reference(),
        &reference_root(),
        "file1.txt",
        Some(&bytes),
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "target length", "{e}");
}

#[test]
fn tampered_target_file_in_the_repository_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&reference(), tmp.path());
    let path = tmp.path().join("targets/file1.txt");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let e = verify_target(
        tmp.path(),
        &tmp.path().join("metadata/1.root.json"),
        "file1.txt",
        None,
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "target hash", "{e}");
}

#[test]
fn tampered_targets_metadata_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&reference(), tmp.path());
    let path = tmp.path().join("metadata/targets.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = text.replacen("\"length\": 31", "\"length\": 32", 1);
    assert_ne!(text, tampered, "fixture changed: length 31 not found");
    std::fs::write(&path, tampered).unwrap();
    let e = verify_target(
        tmp.path(),
        &tmp.path().join("metadata/1.root.json"),
        "file1.txt",
        None,
        fixed_now(),
    )
    .unwrap_err();
    assert_eq!(check_name(&e), "targets signature", "{e}");
}

#[test]
fn missing_files_are_io_errors() {
    let e = verify_target(
        &reference(),
        Path::new("/nonexistent/root.json"),
        "file1.txt",
        None,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, TufError::Io { .. }), "{e}");
    let tmp = tempfile::tempdir().unwrap();
    let e = verify_target(
        tmp.path(),
        &reference_root(),
        "file1.txt",
        None,
        fixed_now(),
    )
    .unwrap_err();
    assert!(matches!(e, TufError::Io { .. }), "{e}");
}

#[test]
fn garbage_root_is_a_parse_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root.json");
    std::fs::write(&root, b"{\"signed\": 3").unwrap();
    let e = verify_target(&reference(), &root, "file1.txt", None, fixed_now()).unwrap_err();
    assert_eq!(check_name(&e), "root parse", "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn any_target_name_and_artifact_never_panic(
        name in "\\PC{0,24}|\\.\\./[a-z]{1,8}|/[a-z./]{0,12}",
        artifact in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        let r = verify_target(&reference(), &reference_root(), &name, artifact.as_deref(), fixed_now());
        if let Err(e) = r {
            prop_assert!(!check_name(&e).is_empty());
        }
    }
}
