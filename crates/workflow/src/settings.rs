//! Settings resolved in one place for every front end: where the store is, where the
//! vulnerability database is. The front end passes what the user gave (a flag, or the
//! `OTPROOF_STORE` / `OTPROOF_VULNDB` environment variables, which clap reads) and the working
//! directory; every use case then gets the same answer.

use otproof_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// The vulnerability database's file name inside a store's `.otproof/` folder.
pub const VULNDB_FILE: &str = "vulndb.sqlite";

/// A setting that cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--store` names something that is not a store.
    #[error("store {} does not exist (expected a folder holding .otproof/, created by `otproof init`)", .0.display())]
    NoStoreAt(PathBuf),
    /// No store given and none found above the working directory.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No vulnerability database given and no store to find one in.
    #[error("no vulnerability database: pass --db FILE (or set OTPROOF_VULNDB), or run inside a store made by `otproof init`")]
    NoVulnDb,
}

/// Where the user's settings point.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--store` / `OTPROOF_STORE`: a folder holding `.otproof/`, a folder inside one, or the
    /// `.otproof` folder itself.
    pub store: Option<PathBuf>,
    /// `--db` / `OTPROOF_VULNDB`: the vulnerability database file.
    pub vulndb: Option<PathBuf>,
    /// The working directory, where discovery starts when no store is given.
    pub cwd: PathBuf,
}

impl Settings {
    /// The `.otproof` folder: the one given, or the nearest one above the working directory.
    pub fn store_dir(&self) -> Result<PathBuf, SettingsError> {
        match &self.store {
            Some(p) => {
                let inner = p.join(otproof_store::STORE_DIR);
                if inner.is_dir() {
                    Ok(inner)
                } else if p.join("otproof.db").is_file() {
                    Ok(p.clone())
                } else if p.is_dir() {
                    let start = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                    Ok(Store::discover(&start)?)
                } else {
                    Err(SettingsError::NoStoreAt(p.clone()))
                }
            }
            None => Ok(Store::discover(&self.cwd)?),
        }
    }

    /// Open the store.
    pub fn open_store(&self) -> Result<Store, SettingsError> {
        let dir = self.store_dir()?;
        Ok(Store::open(&dir)?)
    }

    /// Open the store for reading only (verification, listings, proofs): nothing is written,
    /// so it works beside a writer, on read-only media and on a store owned by someone else.
    pub fn open_store_read_only(&self) -> Result<Store, SettingsError> {
        let dir = self.store_dir()?;
        Ok(Store::open_read_only(&dir)?)
    }

    /// Open the store if one is given or found; `None` when there is none (a given store
    /// that cannot be opened is an error).
    pub fn open_store_if_any(&self) -> Result<Option<Store>, SettingsError> {
        if self.store.is_some() {
            return self.open_store().map(Some);
        }
        match Store::discover(&self.cwd) {
            Ok(dir) => Ok(Some(Store::open(&dir)?)),
            Err(_) => Ok(None),
        }
    }

    /// The vulnerability database: the one given, else `vulndb.sqlite` in the store.
    pub fn vulndb_path(&self) -> Result<PathBuf, SettingsError> {
        if let Some(p) = &self.vulndb {
            return Ok(p.clone());
        }
        self.store_dir()
            .map(|d| d.join(VULNDB_FILE))
            .map_err(|_| SettingsError::NoVulnDb)
    }
}

/// Settings for a store folder and nothing else (tests, the demo).
pub fn for_store(dir: &Path) -> Settings {
    Settings {
        store: Some(dir.to_path_buf()),
        vulndb: None,
        cwd: dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vulndb_defaults_to_the_store_and_honours_the_setting() {
        let t = tempfile::tempdir().expect("tempdir");
        Store::init(t.path(), None).expect("init");
        let s = for_store(t.path());
        let dir = s.store_dir().expect("store");
        assert_eq!(s.vulndb_path().expect("db"), dir.join(VULNDB_FILE));
        let given = Settings {
            vulndb: Some(PathBuf::from("/elsewhere/v.sqlite")),
            ..s.clone()
        };
        assert_eq!(
            given.vulndb_path().expect("db"),
            PathBuf::from("/elsewhere/v.sqlite")
        );
        let none = Settings {
            store: None,
            vulndb: None,
            cwd: tempfile::tempdir().expect("tempdir").path().to_path_buf(),
        };
        assert!(matches!(none.vulndb_path(), Err(SettingsError::NoVulnDb)));
        assert!(matches!(
            Settings {
                store: Some(t.path().join("missing")),
                ..none.clone()
            }
            .store_dir(),
            Err(SettingsError::NoStoreAt(_))
        ));
    }
}
