//! SQLite rpmdb (`rpmdb.sqlite`: RHEL/UBI 9, Fedora ≥ 33, CBL-Mariner 2, Azure Linux 3).
//!
//! The headers are the `blob` column of table `Packages (hnum INTEGER PRIMARY KEY, blob)`.
//! The file content is deserialized into an in-memory SQLite database (nothing is written
//! anywhere, no other file is opened), read-only, in defensive mode. A database left in WAL
//! mode is read from its main file only: the copy's header is switched to the rollback
//! journal format, since an in-memory database cannot use a WAL (the `-wal` file of the image
//! is not consulted; images are normally checkpointed).

use rusqlite::{Connection, OpenFlags, config::DbConfig};

use super::RpmDbError;

pub(crate) const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// All header blobs in `hnum` order, with per-entry errors.
pub(crate) fn blobs(bytes: &[u8]) -> Result<super::HeaderBlobs, RpmDbError> {
    if bytes.len() < 100 || &bytes[..16] != MAGIC {
        return Err(RpmDbError::NotRecognised("no SQLite magic"));
    }
    let sql = |e: rusqlite::Error| RpmDbError::Corrupt(format!("SQLite: {e}"));
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(sql)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
        .map_err(sql)?;
    // bytes 18/19: file format write/read versions; 2 = WAL, which an in-memory DB cannot use
    let wal = [bytes[18], bytes[19]] == [2, 2];
    let patch: &[u8] = if wal { &[1, 1] } else { &bytes[18..20] };
    let reader = std::io::Read::chain(std::io::Read::chain(&bytes[..18], patch), &bytes[20..]);
    conn.deserialize_read_exact("main", reader, bytes.len(), true)
        .map_err(sql)?;
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages')",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if !has_table {
        return Err(RpmDbError::NotRecognised(
            "SQLite database without a Packages table",
        ));
    }
    let mut st = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql)?;
    let rows = st
        .query_map([], |r| {
            let hnum: i64 = r.get(0)?;
            Ok((hnum, r.get::<_, Vec<u8>>(1)))
        })
        .map_err(sql)?;
    let mut out = Vec::new();
    for row in rows {
        match row {
            Ok((_, Ok(blob))) => out.push(Ok(blob)),
            Ok((hnum, Err(e))) => out.push(Err(format!("hnum {hnum}: {e}"))),
            Err(e) => return Err(sql(e)),
        }
    }
    Ok(out)
}
