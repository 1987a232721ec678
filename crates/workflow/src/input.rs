//! One bounded reader for every file the user hands to otproof (SBOM, VEX, policy, documents,
//! packages, keys, signatures, bundles, artifacts).
//!
//! Invariants:
//! - Only regular files are read. The file type is checked from its metadata *before* the
//!   file is opened, so a FIFO never blocks and `/dev/zero` never streams; after opening, the
//!   open file is checked again (a path swapped in between is refused too).
//! - A file read into memory is never larger than the limit of its kind ([`limit_for`]), even
//!   if it grows while it is read; the error names the limit and what to do.
//! - Files read as streams ([`open`]: bundles, artifacts) are checked the same way; their
//!   readers bound what they keep themselves.
//!
//! The errors are `std::io::Error`s whose text does not repeat the path: the callers' errors
//! name the file (`cannot read x.json: ...`).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Environment variable that replaces every limit (in MiB), for the rare larger input.
pub const LIMIT_ENV: &str = "OTPROOF_MAX_INPUT_MIB";

const MIB: u64 = 1 << 20;

/// The most bytes otproof reads into memory from one file of this kind (`what`, the noun the
/// callers' messages use). Keys are small; policies, signatures and metadata are JSON of a
/// few MiB at most; SBOMs, VEX and documents may be large; packages, firmware and
/// vulnerability data larger still.
pub fn limit_for(what: &str) -> u64 {
    if let Some(mib) = std::env::var(LIMIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|m| *m > 0)
    {
        return mib.saturating_mul(MIB);
    }
    let w = what.to_ascii_lowercase();
    if w.contains("key") {
        MIB
    } else if [
        "policy",
        "criteria",
        "layout",
        "manifest",
        "signature",
        "envelope",
        "sigstore bundle",
        "trusted root",
        "trust anchor",
        "identity",
        "finding",
        "campaign",
        "specification",
        "questionnaire",
        "json",
        "yaml",
    ]
    .iter()
    .any(|k| w.contains(k))
    {
        64 * MIB
    } else if [
        "package",
        "firmware",
        "artifact",
        "attachment",
        "vulnerability",
    ]
    .iter()
    .any(|k| w.contains(k))
    {
        1024 * MIB
    } else {
        // SBOM, VEX, documents, models, robustness evidence.
        256 * MIB
    }
}

fn describe(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(t: std::fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {}: otproof reads only regular files (copy the data to a file first)",
            describe(t)
        ),
    )
}

fn too_large(what: &str, size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{size} bytes is more than the {} MiB otproof reads for {what}; check that this is the right file, or raise the limit with {LIMIT_ENV}=<MiB>",
            limit / MIB
        ),
    )
}

/// Is `path` a regular file (following symbolic links)? Its size, or why not. Nothing is
/// opened.
pub fn check_regular(path: &Path) -> io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(not_regular(meta.file_type()));
    }
    Ok(meta.len())
}

/// Open a regular file for reading (refusing FIFOs, devices, sockets and directories before
/// opening them): the file and its size.
pub fn open(path: &Path) -> io::Result<(File, u64)> {
    check_regular(path)?;
    let f = File::open(path)?;
    let meta = f.metadata()?;
    if !meta.file_type().is_file() {
        return Err(not_regular(meta.file_type()));
    }
    Ok((f, meta.len()))
}

/// Read a whole regular file of kind `what` (see [`limit_for`]) into memory.
pub fn read(path: &Path, what: &str) -> io::Result<Vec<u8>> {
    read_limited(path, what, limit_for(what))
}

/// [`read`] with an explicit limit.
pub fn read_limited(path: &Path, what: &str, limit: u64) -> io::Result<Vec<u8>> {
    let (f, size) = open(path)?;
    if size > limit {
        return Err(too_large(what, size, limit));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    f.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(too_large(what, out.len() as u64, limit));
    }
    Ok(out)
}

/// [`read`] as UTF-8 text.
pub fn read_to_string(path: &Path, what: &str) -> io::Result<String> {
    String::from_utf8(read(path, what)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_before_opening() {
        let e = read(Path::new("/dev/zero"), "SBOM").expect_err("device");
        assert!(e.to_string().contains("a character device"), "{e}");
        let d = tempfile::tempdir().expect("tmp");
        let e = read(d.path(), "SBOM").expect_err("dir");
        assert!(e.to_string().contains("a directory"), "{e}");
        let fifo = d.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if made {
            // Would block forever if it were opened.
            let e = read(&fifo, "VEX document").expect_err("fifo");
            assert!(e.to_string().contains("FIFO"), "{e}");
        }
    }

    #[test]
    fn files_over_their_limit_are_refused_naming_the_limit() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("k.pem");
        std::fs::write(&p, vec![b'a'; 3000]).expect("write");
        let e = read_limited(&p, "public key", 2048).expect_err("too large");
        let m = e.to_string();
        assert!(m.contains("3000 bytes") && m.contains(LIMIT_ENV), "{m}");
        assert_eq!(
            read_limited(&p, "public key", 3000).expect("fits").len(),
            3000
        );
        assert_eq!(limit_for("public key"), MIB);
        assert_eq!(limit_for("SBOM"), 256 * MIB);
        assert_eq!(limit_for("package file"), 1024 * MIB);
    }
}
