//! The SQLite index of imported vulnerability data.

use crate::kev::{self, KevEntry};
use crate::matcher::Matcher;
use crate::nvd::{self, NvdCve};
use crate::osv::{self, Advisory};
use crate::timestamp_key;
use crate::version::osv_base;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Numbered migrations; `PRAGMA user_version` holds how many have run. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: OSV records, KEV entries, NVD CVEs, metadata.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE osv (
        id           TEXT PRIMARY KEY,
        modified     TEXT NOT NULL,
        modified_key INTEGER NOT NULL,   -- milliseconds since the epoch, for "newer wins"
        source       TEXT NOT NULL,      -- osv:<ecosystem of the first package> or osv
        withdrawn    INTEGER NOT NULL,
        compact      TEXT NOT NULL,      -- the parsed record as JSON, without details
        details      TEXT,
        imported_at  TEXT NOT NULL
    );
    CREATE INDEX osv_source ON osv(source);
    CREATE TABLE kev (
        cve         TEXT PRIMARY KEY,
        date_added  TEXT NOT NULL,
        json        TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE nvd (
        id                TEXT PRIMARY KEY,
        last_modified     TEXT NOT NULL,
        last_modified_key INTEGER NOT NULL,
        compact           TEXT NOT NULL,
        imported_at       TEXT NOT NULL
    );
    "#,
];

/// Records per transaction during import.
const BATCH: u64 = 5_000;
/// Largest file or zip entry read (bytes); bigger ones are rejected, not read.
const MAX_FILE: u64 = 1 << 30;
const MAX_ENTRY: u64 = 256 << 20;

/// A database or I/O failure. Bad records are not errors: see [`ImportReport::rejected`].
#[derive(Debug, Clone, thiserror::Error, Serialize)]
pub enum DbError {
    /// SQLite failed.
    #[error("vulnerability database {path}: {message}")]
    Database {
        /// Database path (`:memory:` for in-memory).
        path: String,
        /// SQLite's message.
        message: String,
    },
    /// The schema is newer than this build.
    #[error("vulnerability database {path}: schema version {found} is newer than this build supports ({supported})")]
    Version {
        /// Database path.
        path: String,
        /// Version found.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// The file is not an otproof vulnerability database (empty, not SQLite, or no schema).
    #[error("vulnerability database {path}: not a vulnerability database: {reason} (create one with `otproof vulndb import`)")]
    NotADatabase {
        /// Database path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing was ever imported: it cannot say that a component has no known vulnerability.
    #[error("vulnerability database {path}: holds no vulnerability data (nothing was ever imported): a check against it would prove nothing (run `otproof vulndb import`)")]
    NoData {
        /// Database path.
        path: String,
    },
    /// A stored row no longer parses.
    #[error("vulnerability database {path}: stored {table} row {id}: {message}")]
    Corrupt {
        /// Database path.
        path: String,
        /// Table.
        table: String,
        /// Row key.
        id: String,
        /// What failed.
        message: String,
    },
}

/// Progress during [`VulnDb::import`], reported after each file and every 1000 records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// The file (or `zip:entry`) being imported.
    pub current: String,
    /// Records stored so far (all kinds).
    pub records: u64,
    /// Records rejected so far.
    pub rejected: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files (and zip entries) read.
    pub files: u64,
    /// OSV records stored (new or newer than the stored copy).
    pub osv_imported: u64,
    /// OSV records not stored because the stored copy is as new or newer (same ID).
    pub osv_skipped: u64,
    /// Of the stored OSV records, how many are withdrawn (kept, never matched).
    pub osv_withdrawn: u64,
    /// KEV entries stored.
    pub kev_imported: u64,
    /// NVD CVEs stored.
    pub nvd_imported: u64,
    /// NVD CVEs not stored because the stored copy is as new or newer.
    pub nvd_skipped: u64,
    /// Rejected input: (`file`, `file[index]` or `file:entry`, reason).
    pub rejected: Vec<(String, String)>,
}

/// What the database holds, for naming the data a check used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataSummary {
    /// Per source: records, newest record, last import.
    pub sources: Vec<SourceStatus>,
    /// Records held, all sources.
    pub records: u64,
    /// When the last import ran (RFC 3339), if any.
    pub last_import: Option<String>,
    /// Input records rejected by the last import (0 when it was not counted).
    pub rejected_at_import: u64,
}

/// One source's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// `osv:<Ecosystem>`, `osv` (no package), `kev` or `nvd`.
    pub source: String,
    /// Records held.
    pub count: u64,
    /// Newest `modified` (OSV), `lastModified` (NVD) or catalog `dateReleased` (KEV).
    pub newest: Option<String>,
    /// When the newest import of this source ran (RFC 3339).
    pub imported_at: Option<String>,
}

/// The vulnerability database.
pub struct VulnDb {
    conn: Connection,
    path: String,
}

impl std::fmt::Debug for VulnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VulnDb").field("path", &self.path).finish()
    }
}

struct Ctx<'a> {
    report: ImportReport,
    now: String,
    pending: u64,
    records: u64,
    progress: &'a mut dyn FnMut(ImportProgress),
}

impl Ctx<'_> {
    fn reject(&mut self, what: String, why: String) {
        self.report.rejected.push((what, why));
    }
    fn tick(&mut self, current: &str) {
        (self.progress)(ImportProgress {
            current: current.to_string(),
            records: self.records,
            rejected: self.report.rejected.len() as u64,
        });
    }
}

fn millis_to_rfc3339(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

impl VulnDb {
    /// Open (creating if needed) a database file: WAL mode, migrations applied.
    pub fn open(path: &Path) -> Result<VulnDb, DbError> {
        let p = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| dberr(&p, e))?;
        Self::init(conn, p, true)
    }

    /// Open an existing database for reading only: the file is never created, migrated or
    /// rewritten. A missing, empty (0-byte) or non-SQLite file, or one without otproof's
    /// schema, is refused with [`DbError::NotADatabase`].
    pub fn open_read_only(path: &Path) -> Result<VulnDb, DbError> {
        use rusqlite::OpenFlags;
        let p = path.display().to_string();
        let not_db = |reason: String| DbError::NotADatabase {
            path: p.clone(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| not_db(e.to_string()))?;
        if !meta.is_file() {
            return Err(not_db("not a file".into()));
        }
        if meta.len() == 0 {
            return Err(not_db("empty file (0 bytes)".into()));
        }
        let mut head = [0u8; 16];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .map_err(|e| not_db(format!("cannot read its header: {e}")))?;
        if &head != b"SQLite format 3\0" {
            return Err(not_db("not an SQLite file".into()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let plain = Connection::open_with_flags(path, flags).and_then(|c| {
            c.busy_timeout(Duration::from_secs(60))?;
            let v: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Ok((c, v))
        });
        // On read-only media, or a database owned by someone else, SQLite cannot create the
        // write-ahead log's shared-memory file; the database is then read as immutable, which
        // is only right when no write-ahead log holds changes.
        let (conn, version) = match plain {
            Ok(cv) => cv,
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::ReadOnly)
                        | Some(rusqlite::ErrorCode::CannotOpen)
                        | Some(rusqlite::ErrorCode::PermissionDenied)
                ) =>
            {
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                if wal_len > 0 {
                    return Err(not_db(format!(
                        "cannot be read here ({e}) and its write-ahead log still holds {wal_len} bytes of changes: run one `otproof vulndb import` or `vulndb status` where it can be written, then read it from here"
                    )));
                }
                let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                let mut uri = String::from("file:");
                for b in abs.to_string_lossy().bytes() {
                    if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
                        uri.push(b as char);
                    } else {
                        uri.push_str(&format!("%{b:02X}"));
                    }
                }
                uri.push_str("?immutable=1");
                let c = Connection::open_with_flags(uri, flags).map_err(|e| dberr(&p, e))?;
                let v: u32 = c
                    .pragma_query_value(None, "user_version", |r| r.get(0))
                    .map_err(|e| dberr(&p, e))?;
                (c, v)
            }
            Err(e) => return Err(dberr(&p, e)),
        };
        if version == 0 {
            return Err(not_db("no otproof schema".into()));
        }
        if version as usize > MIGRATIONS.len() {
            return Err(DbError::Version {
                path: p,
                found: version,
                supported: MIGRATIONS.len() as u32,
            });
        }
        if (version as usize) < MIGRATIONS.len() {
            return Err(not_db(format!(
                "schema version {version} is older than this build's ({}); import into it once to migrate it",
                MIGRATIONS.len()
            )));
        }
        Ok(VulnDb { conn, path: p })
    }

    /// Refuse a database that holds no record at all (never imported into).
    pub fn require_data(&self) -> Result<(), DbError> {
        if self.summary()?.records == 0 {
            return Err(DbError::NoData {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Sources, record counts, last import and records rejected at import.
    pub fn summary(&self) -> Result<DataSummary, DbError> {
        let sources = self.status()?;
        let records = sources.iter().map(|s| s.count).sum();
        let last_import = sources.iter().filter_map(|s| s.imported_at.clone()).max();
        let rejected: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'import.rejected'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(DataSummary {
            sources,
            records,
            last_import,
            rejected_at_import: rejected.and_then(|v| v.parse().ok()).unwrap_or(0),
        })
    }

    /// An in-memory database (tests, one-shot scans).
    pub fn open_in_memory() -> Result<VulnDb, DbError> {
        let conn = Connection::open_in_memory().map_err(|e| dberr(":memory:", e))?;
        Self::init(conn, ":memory:".into(), false)
    }

    fn init(conn: Connection, path: String, wal: bool) -> Result<VulnDb, DbError> {
        let e = |x| dberr(&path, x);
        conn.busy_timeout(Duration::from_secs(60)).map_err(e)?;
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        }
        // The database is a cache of files that can be imported again: NORMAL is enough.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(e)?;
        let db = VulnDb { conn, path };
        db.migrate()?;
        Ok(db)
    }

    fn err(&self, e: rusqlite::Error) -> DbError {
        dberr(&self.path, e)
    }

    fn migrate(&self) -> Result<(), DbError> {
        let current: u32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if current as usize > MIGRATIONS.len() {
            return Err(DbError::Version {
                path: self.path.clone(),
                found: current,
                supported: MIGRATIONS.len() as u32,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            self.conn
                .execute_batch(&format!(
                    "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
                    i + 1
                ))
                .map_err(|e| {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    self.err(e)
                })?;
        }
        Ok(())
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<u32, DbError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Import files, directories (recursively: `*.json`, `*.zip`) and zip archives. The kind
    /// of each JSON document (OSV record, JSON array of OSV records, KEV catalog, NVD feed) is
    /// detected from its content. Bad records are listed in [`ImportReport::rejected`]; only a
    /// database failure aborts. A record replaces a stored one with the same ID only when it is
    /// strictly newer (`modified` / `lastModified`); a tie keeps the stored copy.
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, DbError> {
        let mut ctx = Ctx {
            report: ImportReport::default(),
            now: jiff::Timestamp::now().to_string(),
            pending: 0,
            records: 0,
            progress,
        };
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        let result = paths
            .iter()
            .try_for_each(|p| self.import_path(p, &mut ctx))
            .and_then(|()| {
                self.conn
                    .execute(
                        "INSERT INTO meta (key, value) VALUES ('import.rejected', ?1)
                         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        params![ctx.report.rejected.len().to_string()],
                    )
                    .map(|_| ())
                    .map_err(|e| self.err(e))
            });
        match result {
            Ok(()) => {
                self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(ctx.report)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn import_path(&self, path: &Path, ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        let label = path.display().to_string();
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                ctx.reject(label, format!("cannot read: {e}"));
                return Ok(());
            }
        };
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    ctx.reject(label, format!("cannot list directory: {e}"));
                    return Ok(());
                }
            };
            entries.sort();
            for p in entries {
                let is_dir = std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir());
                let ext = p
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                if is_dir || ext == "json" || ext == "zip" {
                    self.import_path(&p, ctx)?;
                }
            }
            return Ok(());
        }
        // Only regular files are opened (a FIFO would block, a device never end); a symbolic
        // link is followed to what it names.
        let meta = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m,
            Ok(m) => {
                ctx.reject(
                    label,
                    format!("{}: only regular files are read", kind_of(&m)),
                );
                return Ok(());
            }
            Err(e) => {
                ctx.reject(label, format!("cannot read: {e}"));
                return Ok(());
            }
        };
        if meta.len() > MAX_FILE {
            ctx.reject(
                label,
                format!("file too large ({} bytes, limit {MAX_FILE})", meta.len()),
            );
            return Ok(());
        }
        let bytes = match std::fs::File::open(path).and_then(|f| {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE + 1), &mut b)?;
            Ok(b)
        }) {
            Ok(b) if b.len() as u64 > MAX_FILE => {
                ctx.reject(label, format!("file too large (limit {MAX_FILE} bytes)"));
                return Ok(());
            }
            Ok(b) => b,
            Err(e) => {
                ctx.reject(label, format!("cannot read: {e}"));
                return Ok(());
            }
        };
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            self.import_zip(&label, bytes, ctx)?;
        } else {
            self.import_json(&label, &bytes, ctx)?;
        }
        ctx.tick(&label);
        Ok(())
    }

    fn import_zip(&self, label: &str, bytes: Vec<u8>, ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => {
                ctx.reject(
                    label.to_string(),
                    format!("not a readable zip archive: {e}"),
                );
                return Ok(());
            }
        };
        for i in 0..archive.len() {
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    ctx.reject(
                        format!("{label}:#{i}"),
                        format!("cannot read zip entry: {e}"),
                    );
                    continue;
                }
            };
            let name = file
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("#{i}"));
            if file.is_dir() || !name.to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            let entry = format!("{label}:{name}");
            if file.size() > MAX_ENTRY {
                ctx.reject(
                    entry,
                    format!("entry too large ({} bytes, limit {MAX_ENTRY})", file.size()),
                );
                continue;
            }
            let mut buf = Vec::with_capacity(file.size().min(MAX_ENTRY) as usize);
            if let Err(e) = (&mut file).take(MAX_ENTRY + 1).read_to_end(&mut buf) {
                ctx.reject(entry, format!("cannot decompress: {e}"));
                continue;
            }
            if buf.len() as u64 > MAX_ENTRY {
                ctx.reject(
                    entry,
                    format!("entry larger than {MAX_ENTRY} bytes once decompressed"),
                );
                continue;
            }
            self.import_json(&entry, &buf, ctx)?;
        }
        Ok(())
    }

    fn import_json(&self, label: &str, bytes: &[u8], ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        ctx.report.files += 1;
        let v: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                ctx.reject(label.to_string(), format!("not valid JSON: {e}"));
                return Ok(());
            }
        };
        match &v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.import_osv(&format!("{label}[{i}]"), item, ctx)?;
                }
            }
            Value::Object(_) if kev::looks_like(&v) => self.import_kev(label, &v, ctx)?,
            Value::Object(_) if nvd::looks_like(&v) => self.import_nvd(label, &v, ctx)?,
            Value::Object(_) => self.import_osv(label, &v, ctx)?,
            _ => ctx.reject(
                label.to_string(),
                "expected an OSV record, an array of OSV records, a KEV catalog or an NVD CVE feed"
                    .into(),
            ),
        }
        Ok(())
    }

    fn stored(&self, ctx: &mut Ctx<'_>, label: &str) -> Result<(), DbError> {
        ctx.records += 1;
        ctx.pending += 1;
        if ctx.pending >= BATCH {
            self.conn
                .execute_batch("COMMIT; BEGIN")
                .map_err(|e| self.err(e))?;
            ctx.pending = 0;
        }
        if ctx.records.is_multiple_of(1000) {
            ctx.tick(label);
        }
        Ok(())
    }

    fn import_osv(&self, label: &str, v: &Value, ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        let mut adv = match osv::from_value(v) {
            Ok(a) => a,
            Err(e) => {
                let id = v.get("id").and_then(Value::as_str).unwrap_or("?");
                ctx.reject(label.to_string(), format!("OSV record {id}: {e}"));
                return Ok(());
            }
        };
        let key = timestamp_key(&adv.modified).unwrap_or(0);
        let source = adv
            .affected
            .iter()
            .find_map(|a| a.package.as_ref())
            .map(|p| format!("osv:{}", osv_base(&p.ecosystem)))
            .unwrap_or_else(|| "osv".into());
        let details = adv.details.take();
        let compact = serde_json::to_string(&adv).map_err(|e| DbError::Corrupt {
            path: self.path.clone(),
            table: "osv".into(),
            id: adv.id.clone(),
            message: e.to_string(),
        })?;
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO osv (id, modified, modified_key, source, withdrawn, compact, details, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET modified = excluded.modified,
                   modified_key = excluded.modified_key, source = excluded.source,
                   withdrawn = excluded.withdrawn, compact = excluded.compact,
                   details = excluded.details, imported_at = excluded.imported_at
                 WHERE excluded.modified_key > osv.modified_key",
            )
            .and_then(|mut st| {
                st.execute(params![
                    adv.id,
                    adv.modified,
                    key,
                    source,
                    adv.is_withdrawn() as i64,
                    compact,
                    details,
                    ctx.now
                ])
            })
            .map_err(|e| self.err(e))?;
        if changed == 0 {
            ctx.report.osv_skipped += 1;
        } else {
            ctx.report.osv_imported += 1;
            if adv.is_withdrawn() {
                ctx.report.osv_withdrawn += 1;
            }
        }
        self.stored(ctx, label)
    }

    fn import_kev(&self, label: &str, v: &Value, ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        let catalog = match kev::parse(v) {
            Ok(c) => c,
            Err(e) => {
                ctx.reject(label.to_string(), e);
                return Ok(());
            }
        };
        if let Some(date) = &catalog.date_released {
            self.conn
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('kev.date_released', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE excluded.value > meta.value",
                    params![date],
                )
                .map_err(|e| self.err(e))?;
        }
        for entry in &catalog.vulnerabilities {
            let json = serde_json::to_string(entry).unwrap_or_default();
            self.conn
                .prepare_cached(
                    "INSERT INTO kev (cve, date_added, json, imported_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(cve) DO UPDATE SET date_added = excluded.date_added,
                       json = excluded.json, imported_at = excluded.imported_at",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        entry.cve_id.trim().to_ascii_uppercase(),
                        entry.date_added,
                        json,
                        ctx.now
                    ])
                })
                .map_err(|e| self.err(e))?;
            ctx.report.kev_imported += 1;
            self.stored(ctx, label)?;
        }
        Ok(())
    }

    fn import_nvd(&self, label: &str, v: &Value, ctx: &mut Ctx<'_>) -> Result<(), DbError> {
        let Some(items) = v.get("vulnerabilities").and_then(Value::as_array) else {
            ctx.reject(
                label.to_string(),
                "NVD feed: \"vulnerabilities\" missing; expected an array".into(),
            );
            return Ok(());
        };
        for (i, item) in items.iter().enumerate() {
            let what = format!("{label}[{i}]");
            let cve = match nvd::parse_item(item) {
                Ok(c) => c,
                Err(e) => {
                    ctx.reject(what, format!("NVD CVE: {e}"));
                    continue;
                }
            };
            let Some(key) = timestamp_key(&cve.last_modified) else {
                ctx.reject(
                    what,
                    format!(
                        "NVD CVE {}: cve.lastModified {:?} is not a timestamp",
                        cve.id, cve.last_modified
                    ),
                );
                continue;
            };
            let compact = serde_json::to_string(&cve).unwrap_or_default();
            let changed = self
                .conn
                .prepare_cached(
                    "INSERT INTO nvd (id, last_modified, last_modified_key, compact, imported_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(id) DO UPDATE SET last_modified = excluded.last_modified,
                       last_modified_key = excluded.last_modified_key, compact = excluded.compact,
                       imported_at = excluded.imported_at
                     WHERE excluded.last_modified_key > nvd.last_modified_key",
                )
                .and_then(|mut st| {
                    st.execute(params![cve.id, cve.last_modified, key, compact, ctx.now])
                })
                .map_err(|e| self.err(e))?;
            if changed == 0 {
                ctx.report.nvd_skipped += 1;
            } else {
                ctx.report.nvd_imported += 1;
            }
            self.stored(ctx, &what)?;
        }
        Ok(())
    }

    /// Per source: record count, newest record timestamp, last import time.
    pub fn status(&self) -> Result<Vec<SourceStatus>, DbError> {
        let e = |x| self.err(x);
        let mut out = Vec::new();
        let mut st = self
            .conn
            .prepare("SELECT source, COUNT(*), MAX(modified_key), MAX(imported_at) FROM osv GROUP BY source ORDER BY source")
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok(SourceStatus {
                    source: r.get(0)?,
                    count: r.get::<_, i64>(1)? as u64,
                    newest: r.get::<_, Option<i64>>(2)?.and_then(millis_to_rfc3339),
                    imported_at: r.get(3)?,
                })
            })
            .map_err(e)?;
        for r in rows {
            out.push(r.map_err(e)?);
        }
        let (count, imported): (i64, Option<String>) = self
            .conn
            .query_row("SELECT COUNT(*), MAX(imported_at) FROM kev", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(e)?;
        let released: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'kev.date_released'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        out.push(SourceStatus {
            source: "kev".into(),
            count: count as u64,
            newest: released,
            imported_at: imported,
        });
        let (count, newest, imported): (i64, Option<i64>, Option<String>) = self
            .conn
            .query_row(
                "SELECT COUNT(*), MAX(last_modified_key), MAX(imported_at) FROM nvd",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(e)?;
        out.push(SourceStatus {
            source: "nvd".into(),
            count: count as u64,
            newest: newest.and_then(millis_to_rfc3339),
            imported_at: imported,
        });
        Ok(out)
    }

    /// Load everything (withdrawn OSV records excluded) into an in-memory [`Matcher`].
    /// The three tables are read in one read transaction, so an import running beside
    /// never shows as one table's new data with another's old.
    pub fn matcher(&self) -> Result<Matcher, DbError> {
        let in_tx = !self.conn.is_autocommit();
        if !in_tx {
            self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        }
        let loaded = (|| {
            let osv: Vec<Advisory> = self.load(
                "osv",
                "SELECT id, compact FROM osv WHERE withdrawn = 0 ORDER BY rowid",
            )?;
            let kev: Vec<KevEntry> = self.load("kev", "SELECT cve, json FROM kev ORDER BY cve")?;
            let nvd: Vec<NvdCve> = self.load("nvd", "SELECT id, compact FROM nvd ORDER BY id")?;
            Ok((osv, kev, nvd))
        })();
        if !in_tx {
            let _ = self.conn.execute_batch("COMMIT");
        }
        let (osv, kev, nvd) = loaded?;
        Ok(Matcher::from_advisories(osv, kev, nvd))
    }

    fn load<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        sql: &str,
    ) -> Result<Vec<T>, DbError> {
        let e = |x| self.err(x);
        let mut st = self.conn.prepare(sql).map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(e)? {
            let id: String = row.get(0).map_err(e)?;
            let json: String = row.get(1).map_err(e)?;
            let item = serde_json::from_str(&json).map_err(|x| DbError::Corrupt {
                path: self.path.clone(),
                table: table.into(),
                id,
                message: x.to_string(),
            })?;
            out.push(item);
        }
        Ok(out)
    }

    /// A stored OSV record with its details, if present.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, DbError> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT compact, details FROM osv WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((json, details)) = row else {
            return Ok(None);
        };
        let mut a: Advisory = serde_json::from_str(&json).map_err(|x| DbError::Corrupt {
            path: self.path.clone(),
            table: "osv".into(),
            id: id.into(),
            message: x.to_string(),
        })?;
        a.details = details;
        Ok(Some(a))
    }
}

fn dberr(path: &str, e: rusqlite::Error) -> DbError {
    DbError::Database {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// What a path that is not a regular file is, for a message.
fn kind_of(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}
