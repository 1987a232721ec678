//! The SQLite backend: schema, numbered migrations, and the queries behind [`Backend`].

use crate::{
    Backend, BatchRows, CheckpointRow, IndexedRow, NodeView, RecordRow, RecordSummary, StoreError,
};
use otproof_ledger::Hash;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

/// Numbered migrations; `PRAGMA user_version` holds how many have run.
/// Append only: never edit a migration that has shipped.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: records, their requirement index, tree nodes, checkpoints.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE records (
        leaf      INTEGER PRIMARY KEY,         -- leaf index in the ledger, 0-based
        id        TEXT NOT NULL,               -- sha256:<hex> of the canonical JSON
        id_key    INTEGER NOT NULL,            -- its first 8 bytes, order-preserving (see id_key)
        kind      TEXT NOT NULL,               -- evidence/<kind> or decision/<decision>
        title     TEXT NOT NULL,
        subject   TEXT NOT NULL,               -- one line for people
        product   TEXT,
        created   TEXT NOT NULL,
        supersedes TEXT,
        json      BLOB NOT NULL                -- the canonical JSON bytes
    );
    CREATE INDEX records_id_key ON records(id_key);
    CREATE INDEX records_product ON records(product);
    CREATE TABLE record_requirements (
        leaf        INTEGER NOT NULL REFERENCES records(leaf),
        requirement TEXT NOT NULL,
        PRIMARY KEY (requirement, leaf)
    ) WITHOUT ROWID;
    CREATE TABLE nodes (
        level INTEGER NOT NULL,
        idx   INTEGER NOT NULL,
        hash  BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL,
        note TEXT NOT NULL
    );
    "#,
];

/// The indexed key of a record ID: its first 8 bytes as an order-preserving signed integer.
/// A small integer index instead of a unique index on the 71-character text keeps batched
/// appends fast (random IDs dirty far fewer index pages); lookups compare the full ID too.
fn id_key_of_hex(hex16: &str) -> Option<i64> {
    u64::from_str_radix(hex16, 16)
        .ok()
        .map(|v| (v ^ (1u64 << 63)) as i64)
}

fn id_key(id: &str) -> Result<i64, StoreError> {
    id.strip_prefix("sha256:")
        .and_then(|h| h.get(..16))
        .and_then(id_key_of_hex)
        .ok_or_else(|| StoreError::UnknownRecord(id.to_string()))
}

const PAGE_SIZE: u32 = 8192;

/// SQLite in WAL mode with full synchronous commits.
pub struct Sqlite {
    conn: Connection,
    /// Nesting depth of [`Backend::begin_read`].
    reading: Cell<u32>,
    read_only: bool,
}

/// Is this error SQLite saying it cannot write or create a file next to the database
/// (read-only media, a folder owned by someone else)?
fn is_read_only_failure(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly)
            | Some(rusqlite::ErrorCode::CannotOpen)
            | Some(rusqlite::ErrorCode::PermissionDenied)
    )
}

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl Sqlite {
    /// Open (creating if missing) and migrate.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(db_err)?;
        // Only takes effect on a new, empty database (before WAL mode is set); an existing
        // store keeps its page size. Larger pages mean fewer WAL frames (and write calls) per
        // batch; durability does not depend on the page size.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err)?;
        // A larger page cache keeps the ID index in memory for big batches; checkpointing the
        // WAL less often saves fsyncs. Neither changes durability (every commit is synced).
        conn.pragma_update(None, "cache_size", -65536)
            .map_err(db_err)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10000)
            .map_err(db_err)?;
        let mut db = Sqlite {
            conn,
            reading: Cell::new(0),
            read_only: false,
        };
        db.migrate()?;
        Ok(db)
    }

    /// Open an existing database for reading only: no file is created or written, no
    /// migration runs, and the database is never changed. Works beside a writer (WAL
    /// snapshots) and on read-only media or a store owned by someone else: when SQLite cannot
    /// use the write-ahead log's shared memory there, the database is opened as immutable, which
    /// is only done when no write-ahead log holds data (it would be ignored).
    pub fn open_read_only(path: &Path) -> Result<Sqlite, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let plain = Connection::open_with_flags(path, flags).and_then(|c| {
            c.busy_timeout(Duration::from_secs(60))?;
            c.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))?;
            Ok(c)
        });
        let conn = match plain {
            Ok(c) => c,
            Err(e) if is_read_only_failure(&e) => {
                let wal = path.with_file_name(format!(
                    "{}-wal",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ));
                let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                if wal_len > 0 {
                    return Err(StoreError::Database(format!(
                        "{} cannot be read here ({e}), and its write-ahead log {} still holds {wal_len} bytes of changes: open the store once where it can be written (any otproof command that writes folds the log in), then read it from here",
                        path.display(),
                        wal.display()
                    )));
                }
                let uri = format!("file:{}?immutable=1", uri_path(path));
                Connection::open_with_flags(uri, flags).map_err(db_err)?
            }
            Err(e) => return Err(db_err(e)),
        };
        let db = Sqlite {
            conn,
            reading: Cell::new(0),
            read_only: true,
        };
        let v = db.version()?;
        if v as usize > MIGRATIONS.len() {
            return Err(StoreError::Version {
                found: v,
                supported: MIGRATIONS.len() as u32,
            });
        }
        if (v as usize) < MIGRATIONS.len() {
            return Err(StoreError::Database(format!(
                "{} has schema version {v} and this otproof reads version {}: open it once with a command that writes, which migrates it",
                path.display(),
                MIGRATIONS.len()
            )));
        }
        Ok(db)
    }

    /// Run the migrations not yet applied, each in its own transaction.
    pub fn migrate(&mut self) -> Result<u32, StoreError> {
        let current: u32 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err)?;
        if current as usize > MIGRATIONS.len() {
            return Err(StoreError::Version {
                found: current,
                supported: MIGRATIONS.len() as u32,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            // Another process may have migrated while we waited for the lock.
            let now: u32 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(db_err)?;
            if now as usize > i {
                continue;
            }
            tx.execute_batch(sql).map_err(db_err)?;
            tx.pragma_update(None, "user_version", (i + 1) as u32)
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
        }
        Ok(MIGRATIONS.len() as u32)
    }

    /// The schema version.
    pub fn version(&self) -> Result<u32, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err)
    }
}

/// A path as a `file:` URI path: percent-encoding what a URI cannot hold as is.
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Read one tree node from a connection holding the store schema.
pub fn read_node(conn: &Connection, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
    let idx =
        i64::try_from(index).map_err(|_| StoreError::Corrupt("node index overflows".into()))?;
    let blob: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2")
        .and_then(|mut st| st.query_row(params![level, idx], |r| r.get(0)).optional())
        .map_err(db_err)?;
    match blob {
        None => Ok(None),
        Some(b) => <Hash>::try_from(b.as_slice()).map(Some).map_err(|_| {
            StoreError::Corrupt(format!(
                "stored tree node ({level}, {index}) is {} bytes, expected 32",
                b.len()
            ))
        }),
    }
}

fn size_of(conn: &Connection) -> Result<u64, StoreError> {
    // Leaves are 0..size with no gaps (appends only, in order; `verify --store` checks it), so
    // the size is one past the largest leaf: a single rowid seek, where COUNT(*) would scan a
    // whole index on every append.
    let n: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(leaf) + 1, 0) FROM records")
        .and_then(|mut st| st.query_row([], |r| r.get(0)))
        .map_err(db_err)?;
    Ok(n as u64)
}

fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        leaf: r.get::<_, i64>(0)? as u64,
        id: r.get(1)?,
        json: r.get(2)?,
    })
}

impl Backend for Sqlite {
    fn size(&self) -> Result<u64, StoreError> {
        size_of(&self.conn)
    }

    fn node(&self, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
        read_node(&self.conn, level, index)
    }

    fn append_batch(
        &mut self,
        build: &mut dyn FnMut(&NodeView<'_>, u64) -> Result<BatchRows, StoreError>,
    ) -> Result<u64, StoreError> {
        // IMMEDIATE takes the write lock now: a second writer waits (busy_timeout) instead of
        // computing nodes on a stale size.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let size = size_of(&tx)?;
        let lookup = |level: u8, index: u64| read_node(&tx, level, index);
        let rows = build(&NodeView(&lookup), size)?;
        let n = rows.records.len();
        let leaves: Vec<i64> = (0..n).map(|i| (size + i as u64) as i64).collect();
        // Refuse a record already in the store or twice in the batch, before writing anything.
        let mut keys = Vec::with_capacity(n);
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM records WHERE id_key = ?1 AND id = ?2")
                .map_err(db_err)?;
            let mut in_batch = std::collections::HashSet::with_capacity(n);
            for r in &rows.records {
                let key = id_key(&r.id)?;
                if !in_batch.insert(r.id.as_str())
                    || exists.exists(params![key, r.id]).map_err(db_err)?
                {
                    return Err(StoreError::Duplicate(r.id.clone()));
                }
                keys.push(key);
            }
        }
        // One prepared statement per table, executed once per row. (Multi-row INSERTs were
        // measured: slower here than single-row prepared statements.)
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO records (leaf, id, id_key, kind, title, subject, product, created, supersedes, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(db_err)?;
        for (i, r) in rows.records.iter().enumerate() {
            ins.execute(params![
                leaves[i],
                r.id,
                keys[i],
                r.kind,
                r.title,
                r.subject,
                r.product,
                r.created,
                r.supersedes,
                r.json
            ])
            .map_err(db_err)?;
        }
        drop(ins);
        // The requirement index after the batch's records, in the same transaction.
        let mut req = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO record_requirements (leaf, requirement) VALUES (?1, ?2)",
            )
            .map_err(db_err)?;
        for (i, r) in rows.records.iter().enumerate() {
            for q in &r.requirements {
                req.execute(params![leaves[i], q]).map_err(db_err)?;
            }
        }
        drop(req);
        let mut node = tx
            .prepare_cached("INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)")
            .map_err(db_err)?;
        for (level, idx, hash) in &rows.nodes {
            node.execute(params![level, *idx as i64, &hash[..]])
                .map_err(db_err)?;
        }
        drop(node);
        if let Some(cp) = &rows.checkpoint {
            tx.execute(
                "INSERT OR REPLACE INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)",
                params![cp.size as i64, &cp.root[..], cp.note],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(size)
    }

    fn record_by_id(&self, id: &str) -> Result<Option<RecordRow>, StoreError> {
        if id.len() != 71 {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT leaf, id, json FROM records WHERE id_key = ?1 AND id = ?2",
                params![id_key(id)?, id],
                row_to_record,
            )
            .optional()
            .map_err(db_err)
    }

    fn record_by_prefix(&self, prefix: &str) -> Result<Vec<RecordRow>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT leaf, id, json FROM records WHERE id LIKE ?1 ESCAPE '\\' LIMIT 2")
            .map_err(db_err)?;
        let pat = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = st
            .query_map(params![pat], row_to_record)
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        Ok(rows)
    }

    fn record_by_leaf(&self, leaf: u64) -> Result<Option<RecordRow>, StoreError> {
        self.conn
            .query_row(
                "SELECT leaf, id, json FROM records WHERE leaf = ?1",
                params![leaf as i64],
                row_to_record,
            )
            .optional()
            .map_err(db_err)
    }

    fn list(
        &self,
        requirement: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<RecordSummary>, StoreError> {
        let mut sql = String::from(
            "SELECT r.leaf, r.id, r.kind, r.title, r.subject, r.created FROM records r WHERE 1=1",
        );
        if requirement.is_some() {
            sql.push_str(
                " AND r.leaf IN (SELECT leaf FROM record_requirements WHERE requirement = ?1)",
            );
        }
        if product.is_some() {
            sql.push_str(if requirement.is_some() {
                " AND r.product = ?2"
            } else {
                " AND r.product = ?1"
            });
        }
        sql.push_str(" ORDER BY r.leaf");
        let mut st = self.conn.prepare(&sql).map_err(db_err)?;
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<RecordSummary> {
            Ok(RecordSummary {
                leaf: r.get::<_, i64>(0)? as u64,
                id: r.get(1)?,
                kind: r.get(2)?,
                title: r.get(3)?,
                subject: r.get(4)?,
                created: r.get(5)?,
            })
        };
        let rows = match (requirement, product) {
            (Some(q), Some(p)) => st.query_map(params![q, p], map),
            (Some(q), None) => st.query_map(params![q], map),
            (None, Some(p)) => st.query_map(params![p], map),
            (None, None) => st.query_map([], map),
        }
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
        Ok(rows)
    }

    fn all_records(
        &self,
        f: &mut dyn FnMut(IndexedRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT leaf, id, json, kind, title, subject, product, created, supersedes
                 FROM records ORDER BY leaf",
            )
            .map_err(db_err)?;
        let mut rows = st.query([]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            let row = (|| -> rusqlite::Result<IndexedRow> {
                Ok(IndexedRow {
                    record: row_to_record(r)?,
                    kind: r.get(3)?,
                    title: r.get(4)?,
                    subject: r.get(5)?,
                    product: r.get(6)?,
                    created: r.get(7)?,
                    supersedes: r.get(8)?,
                })
            })()
            .map_err(db_err)?;
            f(row)?;
        }
        Ok(())
    }

    fn all_requirements(
        &self,
        f: &mut dyn FnMut(u64, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT leaf, requirement FROM record_requirements ORDER BY leaf, requirement")
            .map_err(db_err)?;
        let mut rows = st.query([]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            let leaf: i64 = r.get(0).map_err(db_err)?;
            let q: String = r.get(1).map_err(db_err)?;
            f(leaf as u64, q)?;
        }
        Ok(())
    }

    fn begin_read(&self) -> Result<(), StoreError> {
        let depth = self.reading.get();
        if depth == 0 {
            // A deferred transaction takes its snapshot at the first read: read now, so every
            // later query sees the same database state whatever a writer commits meanwhile.
            self.conn.execute_batch("BEGIN DEFERRED").map_err(db_err)?;
            let started = self
                .conn
                .query_row("SELECT COUNT(*) FROM meta", [], |r| r.get::<_, i64>(0));
            if let Err(e) = started {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(db_err(e));
            }
        }
        self.reading.set(depth + 1);
        Ok(())
    }

    fn end_read(&self) -> Result<(), StoreError> {
        let depth = self.reading.get();
        if depth == 0 {
            return Ok(());
        }
        self.reading.set(depth - 1);
        if depth == 1 {
            self.conn.execute_batch("COMMIT").map_err(db_err)?;
        }
        Ok(())
    }

    fn read_only(&self) -> bool {
        self.read_only
    }

    fn all_nodes(
        &self,
        f: &mut dyn FnMut(u8, u64, Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT level, idx, hash FROM nodes ORDER BY level, idx")
            .map_err(db_err)?;
        let mut rows = st.query([]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            let level: u8 = r.get(0).map_err(db_err)?;
            let idx: i64 = r.get(1).map_err(db_err)?;
            let hash: Vec<u8> = r.get(2).map_err(db_err)?;
            f(level, idx as u64, hash)?;
        }
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointRow>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT size, root, note FROM checkpoints ORDER BY size")
            .map_err(db_err)?;
        let rows = st
            .query_map([], |r| {
                let root: Vec<u8> = r.get(1)?;
                Ok((r.get::<_, i64>(0)? as u64, root, r.get::<_, String>(2)?))
            })
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(size, root, note)| {
                let root = <Hash>::try_from(root.as_slice()).map_err(|_| {
                    StoreError::Corrupt(format!("checkpoint at size {size}: root is not 32 bytes"))
                })?;
                Ok(CheckpointRow { size, root, note })
            })
            .collect()
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db_err)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(db_err)?;
        Ok(())
    }
}
