//! Content-addressed blobs on disk: `blobs/<first two hex digits>/<64 hex digits>`.
//! Written to a temporary file, fsynced, renamed into place, and the folder fsynced, so a blob
//! that exists is complete.

use crate::StoreError;
use otproof_evidence::Sha256Digest;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The blob folder of a store.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Blobs {
    /// Blobs under `dir`.
    pub fn new(dir: PathBuf) -> Blobs {
        Blobs { dir }
    }

    /// The blob folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a blob lives.
    pub fn path(&self, d: &Sha256Digest) -> PathBuf {
        let hex = d.hex();
        self.dir.join(&hex[..2]).join(hex)
    }

    /// Present?
    pub fn contains(&self, d: &Sha256Digest) -> bool {
        self.path(d).is_file()
    }

    /// Store bytes durably; returns their digest. Storing the same bytes twice is a no-op.
    pub fn put(&self, bytes: &[u8]) -> Result<Sha256Digest, StoreError> {
        let d = Sha256Digest::of(bytes);
        let path = self.path(&d);
        if path.is_file() {
            return Ok(d);
        }
        let parent = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone());
        std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        let tmp = parent.join(format!(".tmp-{}-{}", d.hex(), std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(&parent)?.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(&path, e));
        }
        Ok(d)
    }

    /// Read a blob and check it against its digest.
    pub fn get(&self, d: &Sha256Digest) -> Result<Vec<u8>, StoreError> {
        let path = self.path(d);
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        if Sha256Digest::of(&bytes) != *d {
            return Err(StoreError::Corrupt(format!(
                "blob {} does not match its digest",
                path.display()
            )));
        }
        Ok(bytes)
    }
}
