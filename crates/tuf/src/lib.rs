//! otproof-tuf: verify one artifact through a TUF (The Update Framework) repository, offline.
//!
//! What this crate owns: loading a TUF repository that sits in a local directory, starting from
//! a trusted `root.json` that the caller supplies out of band, with the `tough` client (root
//! rotation, timestamp → snapshot → targets, delegations, signature thresholds, version
//! rollback), then looking up one target and, when the artifact bytes are at hand, checking
//! their length and hashes against the signed target metadata.
//!
//! Invariants:
//! - Offline: the repository is read through `file://` URLs with tough's filesystem transport
//!   only; tough's `http` feature is not enabled, so no network code is compiled in.
//! - Every rejection is a [`TufError::Check`] naming the check that failed (`"root signature"`,
//!   `"expired"`, `"target not found"`, `"target hash"`, ...) or a [`TufError::Io`] for files
//!   that cannot be read. tough's errors are mapped onto those names.
//! - Never panics on input: malformed metadata, unknown target names and odd paths are errors.
//!   tough runs on a private single-thread tokio runtime in its own thread, so calling from
//!   inside another async runtime is fine too.
//! - Expiry and the caller's time: tough can only compare expiry dates with the system clock.
//!   With `now = None` tough enforces expiry itself (`ExpirationEnforcement::Safe`) and this
//!   crate checks again against the system clock. With `now = Some(t)` tough is run with
//!   `ExpirationEnforcement::Unsafe` and this crate compares `t` with the `expires` field of the
//!   root, timestamp, snapshot, targets and every loaded delegated targets role itself, with
//!   tough's rule (valid while `t <= expires`). Expiry is therefore always checked, against the
//!   caller's time when one is given (for example the time an artifact was installed).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256, Sha512};
use tough::error::Error as ToughError;
use tough::schema::{RoleType, Target, Targets};
use tough::{
    ExpirationEnforcement, FilesystemTransport, IntoVec, Repository, RepositoryLoader, TargetName,
};
use url::Url;

/// What was verified about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The target name as listed in the targets metadata.
    pub target: String,
    /// Its length in bytes, from the signed metadata.
    pub length: u64,
    /// Its SHA-256 (lowercase hex), from the signed metadata.
    pub sha256: String,
    /// Version of the root in force after root rotation.
    pub root_version: u64,
    /// Version of the top-level targets metadata.
    pub targets_version: u64,
    /// The checks that passed, in order, in words.
    pub checks: Vec<String>,
}

/// What was verified about a repository as a whole (no target chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryInfo {
    pub root_version: u64,
    pub timestamp_version: u64,
    pub snapshot_version: u64,
    pub targets_version: u64,
    /// All target names, top-level and delegated, sorted.
    pub targets: Vec<String>,
    pub checks: Vec<String>,
}

/// Why a repository or a target was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TufError {
    /// A named TUF check failed.
    #[error("TUF check failed: {check}: {reason}")]
    Check { check: &'static str, reason: String },
    /// A file of the repository (or the trusted root) could not be read.
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
}

fn check(check: &'static str, reason: impl Into<String>) -> TufError {
    TufError::Check {
        check,
        reason: reason.into(),
    }
}

/// Verify `target_name` through the TUF repository in `repo_dir`, trusting `root_json`.
///
/// `repo_dir` holds `metadata/` (and optionally `targets/`); a directory holding the metadata
/// files directly is accepted too. When `artifact` is given, its length, SHA-256 and (if listed)
/// SHA-512 must equal the target's. When it is not given and `repo_dir/targets/` exists, the
/// target file is read from there and checked by tough against the same metadata. `now` is the
/// time expiry is judged at (`None`: the system clock; see the crate documentation).
pub fn verify_target(
    repo_dir: &Path,
    root_json: &Path,
    target_name: &str,
    artifact: Option<&[u8]>,
    now: Option<SystemTime>,
) -> Result<Verified, TufError> {
    let digests = artifact.map(ArtifactDigests::of);
    verify_target_digests(repo_dir, root_json, target_name, digests.as_ref(), now)
}

/// The length, SHA-256 and SHA-512 of an artifact: all a TUF target check needs, computed
/// while streaming so a large artifact is never held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactDigests {
    /// Bytes.
    pub length: u64,
    /// SHA-256.
    pub sha256: [u8; 32],
    /// SHA-512.
    pub sha512: [u8; 64],
}

impl ArtifactDigests {
    /// Digests of bytes in memory.
    pub fn of(bytes: &[u8]) -> ArtifactDigests {
        ArtifactDigests {
            length: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
            sha512: Sha512::digest(bytes).into(),
        }
    }

    /// Digests of everything `r` yields, read in 64 KiB pieces (constant memory).
    pub fn from_reader(mut r: impl std::io::Read) -> std::io::Result<ArtifactDigests> {
        let mut s256 = Sha256::new();
        let mut s512 = Sha512::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut length = 0u64;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            length += n as u64;
            s256.update(&buf[..n]);
            s512.update(&buf[..n]);
        }
        Ok(ArtifactDigests {
            length,
            sha256: s256.finalize().into(),
            sha512: s512.finalize().into(),
        })
    }
}

/// [`verify_target`] given the artifact's [`ArtifactDigests`] instead of its bytes.
pub fn verify_target_digests(
    repo_dir: &Path,
    root_json: &Path,
    target_name: &str,
    artifact: Option<&ArtifactDigests>,
    now: Option<SystemTime>,
) -> Result<Verified, TufError> {
    let artifact = artifact.cloned();
    let name = TargetName::new(target_name)
        .map_err(|e| check("target name", format!("{target_name:?}: {e}")))?;
    let target_name = target_name.to_string();
    let setup = Setup::new(repo_dir, root_json, now)?;
    run(async move {
        let (repo, mut checks) = setup.load().await?;
        let target = repo
                .targets()
                .signed
                .find_target(&name, false)
                .map_err(|_| {
                    check(
                        "target not found",
                        format!(
                            "{target_name:?} is not listed in the targets metadata (nor in a delegation that covers it)"
                        ),
                    )
                })?
                .clone();
        checks.push(format!(
            "target {target_name:?} listed: {} bytes, sha256 {}",
            target.length,
            hex::encode(&target.hashes.sha256)
        ));
        if let Some(d) = &artifact {
            check_artifact(&target, d, &mut checks)?;
        } else if setup.targets_present {
            let stream = repo
                .read_target(&name)
                .await
                .map_err(|e| map_tough(&e))?
                .ok_or_else(|| check("target not found", target_name.clone()))?;
            let bytes = stream.into_vec().await.map_err(|e| map_target_read(&e))?;
            // tough checked length and SHA-256 while reading; check again, plus SHA-512.
            check_artifact(&target, &ArtifactDigests::of(&bytes), &mut checks)?;
            checks.push("target file in the repository matches its metadata".into());
        } else {
            checks.push("artifact bytes not given: only the metadata was verified".into());
        }
        Ok(Verified {
            target: target_name,
            length: target.length,
            sha256: hex::encode(&target.hashes.sha256),
            root_version: repo.root().signed.version.get(),
            targets_version: repo.targets().signed.version.get(),
            checks,
        })
    })
}

/// Load and verify the repository's metadata only (root rotation, signatures, versions, expiry)
/// and list its targets.
pub fn load_repository(
    repo_dir: &Path,
    root_json: &Path,
    now: Option<SystemTime>,
) -> Result<RepositoryInfo, TufError> {
    let setup = Setup::new(repo_dir, root_json, now)?;
    run(async move {
        let (repo, checks) = setup.load().await?;
        let mut targets: Vec<String> = repo
            .all_targets()
            .map(|(n, _)| n.raw().to_string())
            .collect();
        targets.sort();
        targets.dedup();
        Ok(RepositoryInfo {
            root_version: repo.root().signed.version.get(),
            timestamp_version: repo.timestamp().signed.version.get(),
            snapshot_version: repo.snapshot().signed.version.get(),
            targets_version: repo.targets().signed.version.get(),
            targets,
            checks,
        })
    })
}

/// Everything read or resolved before tough runs.
struct Setup {
    root_bytes: Vec<u8>,
    metadata_url: Url,
    targets_url: Url,
    targets_present: bool,
    now: Option<SystemTime>,
}

impl Setup {
    fn new(repo_dir: &Path, root_json: &Path, now: Option<SystemTime>) -> Result<Self, TufError> {
        let root_bytes = read_root(root_json)?;
        let repo_dir = std::fs::canonicalize(repo_dir).map_err(|e| io(repo_dir, &e))?;
        let metadata_dir = if repo_dir.join("metadata").is_dir() {
            repo_dir.join("metadata")
        } else {
            repo_dir.clone()
        };
        let targets_dir = repo_dir.join("targets");
        Ok(Self {
            root_bytes,
            metadata_url: dir_url(&metadata_dir)?,
            targets_url: dir_url(&targets_dir)?,
            targets_present: targets_dir.is_dir(),
            now,
        })
    }

    /// Load the repository with tough, then check expiry against the chosen time.
    async fn load(&self) -> Result<(Repository, Vec<String>), TufError> {
        let enforcement = if self.now.is_some() {
            ExpirationEnforcement::Unsafe
        } else {
            ExpirationEnforcement::Safe
        };
        let repo = RepositoryLoader::new(
            &self.root_bytes,
            self.metadata_url.clone(),
            self.targets_url.clone(),
        )
        .transport(FilesystemTransport)
        .expiration_enforcement(enforcement)
        .load()
        .await
        .map_err(|e| map_tough(&e))?;
        let mut checks = vec![format!(
            "trusted root verified and updated to root version {} (signature threshold met on each rotation)",
            repo.root().signed.version
        )];
        checks.push(format!(
            "timestamp v{}, snapshot v{}, targets v{} signed by their root-listed keys, versions and hashes consistent",
            repo.timestamp().signed.version,
            repo.snapshot().signed.version,
            repo.targets().signed.version
        ));
        let at = self.now.unwrap_or_else(SystemTime::now);
        check_expiry(&repo, at)?;
        checks.push(format!(
            "no metadata expired at {} ({})",
            rfc3339(at),
            if self.now.is_some() {
                "caller's time, checked by otproof"
            } else {
                "system clock, checked by tough and otproof"
            }
        ));
        Ok((repo, checks))
    }
}

/// Run a future on a private current-thread runtime in a scoped thread (safe to call from
/// inside another tokio runtime).
fn run<T: Send>(
    work: impl std::future::Future<Output = Result<T, TufError>> + Send,
) -> Result<T, TufError> {
    std::thread::scope(|s| {
        let handle = s.spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| TufError::Io {
                    path: "<tokio runtime>".into(),
                    reason: e.to_string(),
                })?;
            rt.block_on(work)
        });
        handle
            .join()
            .unwrap_or_else(|_| Err(check("internal", "the TUF client thread panicked")))
    })
}

/// Largest trusted root file read (root metadata is a few KiB).
const MAX_ROOT: u64 = 1 << 20;

/// The trusted root file: a regular file (checked before opening, so a FIFO never blocks) of
/// at most [`MAX_ROOT`] bytes.
fn read_root(path: &Path) -> Result<Vec<u8>, TufError> {
    use std::io::Read as _;
    let refuse = |reason: String| TufError::Io {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(path, &e))?;
    if !meta.is_file() {
        return Err(refuse(
            "not a regular file: otproof reads only regular files".into(),
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| io(path, &e))?;
    let mut bytes = Vec::new();
    f.take(MAX_ROOT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, &e))?;
    if bytes.len() as u64 > MAX_ROOT {
        return Err(refuse(format!(
            "larger than {MAX_ROOT} bytes: not a TUF root (check the file)"
        )));
    }
    Ok(bytes)
}

fn io(path: &Path, e: &std::io::Error) -> TufError {
    TufError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn dir_url(dir: &Path) -> Result<Url, TufError> {
    Url::from_directory_path(dir).map_err(|()| TufError::Io {
        path: dir.display().to_string(),
        reason: "cannot be expressed as a file:// URL".into(),
    })
}

fn nanos_since_epoch(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// RFC 3339 (UTC, whole seconds, rounded down); an instant outside jiff's range (years -9999
/// to 9999) is shown as its number of seconds.
fn rfc3339(t: SystemTime) -> String {
    let secs = nanos_since_epoch(t).div_euclid(1_000_000_000) as i64;
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.to_string(),
        Err(_) => format!("{secs} s after 1970-01-01T00:00:00Z"),
    }
}

/// Valid while `at <= expires` (tough's rule), for every role that was loaded.
fn check_expiry(repo: &Repository, at: SystemTime) -> Result<(), TufError> {
    let at_ns = nanos_since_epoch(at);
    let mut roles: Vec<(String, i128, String)> = vec![
        role_expiry("root", &repo.root().signed.expires),
        role_expiry("timestamp", &repo.timestamp().signed.expires),
        role_expiry("snapshot", &repo.snapshot().signed.expires),
        role_expiry("targets", &repo.targets().signed.expires),
    ];
    collect_delegated(&repo.targets().signed, &mut roles, 0);
    for (role, expires_ns, expires) in roles {
        if at_ns > expires_ns {
            return Err(check(
                "expired",
                format!(
                    "{role} metadata expired at {expires}, before {}",
                    rfc3339(at)
                ),
            ));
        }
    }
    Ok(())
}

fn role_expiry<E: std::fmt::Display + Expiry>(role: &str, e: &E) -> (String, i128, String) {
    (role.to_string(), e.nanos(), e.to_string())
}

/// The `expires` type tough uses (a jiff timestamp), seen through the one method needed.
trait Expiry {
    fn nanos(&self) -> i128;
}

impl<T> Expiry for T
where
    T: Copy + Into<SystemTime>,
{
    fn nanos(&self) -> i128 {
        nanos_since_epoch((*self).into())
    }
}

fn collect_delegated(targets: &Targets, out: &mut Vec<(String, i128, String)>, depth: usize) {
    // Delegation graphs are bounded by what tough loaded; the depth guard only protects the stack.
    if depth > 64 {
        return;
    }
    if let Some(delegations) = &targets.delegations {
        for role in &delegations.roles {
            if let Some(signed) = &role.targets {
                out.push(role_expiry(
                    &format!("delegated targets {:?}", role.name),
                    &signed.signed.expires,
                ));
                collect_delegated(&signed.signed, out, depth + 1);
            }
        }
    }
}

fn check_artifact(
    target: &Target,
    d: &ArtifactDigests,
    checks: &mut Vec<String>,
) -> Result<(), TufError> {
    if d.length != target.length {
        return Err(check(
            "target length",
            format!(
                "artifact is {} bytes, the signed metadata says {}",
                d.length, target.length
            ),
        ));
    }
    let want = hex::encode(&target.hashes.sha256);
    let got = hex::encode(d.sha256);
    if got != want {
        return Err(check(
            "target hash",
            format!("artifact sha256 {got} differs from the signed sha256 {want}"),
        ));
    }
    let mut msg = format!("artifact length {} and sha256 match", d.length);
    if let Some(want512) = target.hashes._extra.get("sha512").and_then(|v| v.as_str()) {
        let got512 = hex::encode(d.sha512);
        if !got512.eq_ignore_ascii_case(want512) {
            return Err(check(
                "target hash",
                format!("artifact sha512 {got512} differs from the signed sha512 {want512}"),
            ));
        }
        msg.push_str(", sha512 matches");
    }
    checks.push(msg);
    Ok(())
}

fn map_target_read(e: &ToughError) -> TufError {
    // tough reports a hash or size mismatch while streaming a target wrapped in a transport
    // error: look through the whole source chain.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        match err.downcast_ref::<ToughError>() {
            Some(ToughError::MaxSizeExceeded { .. }) => {
                return check("target length", full_chain(e))
            }
            Some(ToughError::HashMismatch { .. }) => return check("target hash", full_chain(e)),
            _ => {}
        }
        cur = err.source();
    }
    map_tough(e)
}

/// Map a tough error onto a named check.
fn map_tough(e: &ToughError) -> TufError {
    let reason = full_chain(e);
    let name: &'static str = match e {
        ToughError::VerifyTrustedMetadata { .. } => "root signature",
        ToughError::ParseTrustedMetadata { .. } => "root parse",
        ToughError::VerifyMetadata { role, .. } => match role {
            RoleType::Root => "root signature",
            RoleType::Timestamp => "timestamp signature",
            RoleType::Snapshot => "snapshot signature",
            RoleType::Targets => "targets signature",
            RoleType::DelegatedTargets => "delegated targets signature",
        },
        ToughError::VerifyRoleMetadata { .. } => "delegated targets signature",
        ToughError::ExpiredMetadata { .. } => "expired",
        ToughError::ParseMetadata { .. } => "metadata parse",
        ToughError::HashMismatch { .. } => "metadata hash",
        ToughError::MaxSizeExceeded { .. } => "metadata size",
        ToughError::MaxUpdatesExceeded { .. } => "root rotation",
        ToughError::OlderMetadata { .. }
        | ToughError::OlderSnapshotInTimestamp { .. }
        | ToughError::SnapshotRoleRollback { .. } => "rollback",
        ToughError::VersionMismatch { .. } => "metadata version",
        ToughError::MetaMissing { .. }
        | ToughError::MissingSnapshotMeta { .. }
        | ToughError::SnapshotTargetsMetaMissing { .. }
        | ToughError::SnapshotRoleMissing { .. }
        | ToughError::RoleNotInMeta { .. }
        | ToughError::TimestampMetaLength { .. } => "metadata consistency",
        ToughError::SpecVersion { .. } => "spec version",
        ToughError::SystemTimeSteppedBackward { .. } => "clock",
        ToughError::Transport { url, .. } => {
            return TufError::Io {
                path: url.to_string(),
                reason,
            }
        }
        ToughError::DatastoreInit { .. }
        | ToughError::DatastoreCreate { .. }
        | ToughError::DatastoreOpen { .. }
        | ToughError::DatastoreRemove { .. }
        | ToughError::DatastoreSerialize { .. } => {
            return TufError::Io {
                path: "<tough datastore>".into(),
                reason,
            }
        }
        ToughError::InvalidTargetName { .. }
        | ToughError::UnsafeTargetNameDotDot { .. }
        | ToughError::UnsafeTargetNameEmpty { .. }
        | ToughError::UnsafeTargetNameSlash { .. }
        | ToughError::TargetNameComponentsEmpty { .. }
        | ToughError::TargetNameRootMissing { .. }
        | ToughError::TargetNameResolve { .. } => "target name",
        _ => "repository",
    };
    check(name, reason)
}

fn full_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn streamed_digests_equal_digests_in_memory() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let streamed = ArtifactDigests::from_reader(&bytes[..]).expect("read");
        assert_eq!(streamed, ArtifactDigests::of(&bytes));
        assert_eq!(streamed.length, 200_000);
    }

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_651_200)),
            "2026-11-26T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_millis(1)),
            "1969-12-31T23:59:59Z"
        );
    }

    /// The hand-written civil-from-days formatting used before jiff, kept as the oracle.
    fn old_rfc3339(secs: i64) -> String {
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }

    proptest::proptest! {
        /// 0000-01-01 to 9999-12-31, with sub-second parts: the same text as before.
        #[test]
        fn rfc3339_as_before(
            secs in -62_167_219_200i64..=253_402_300_799,
            nanos in 0u32..1_000_000_000,
        ) {
            let t = if secs >= 0 {
                UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + Duration::from_nanos(u64::from(nanos))
            };
            proptest::prop_assert_eq!(rfc3339(t), old_rfc3339(secs));
        }
    }
}
