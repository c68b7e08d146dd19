//! Database connections, migrations, write transactions and transient-error handling.
//!
//! The same code runs on SQLite (embedded default) and PostgreSQL (production). The
//! differences that matter for correctness are handled here, once:
//! - SQLite runs in WAL mode with a busy timeout, and write transactions begin `IMMEDIATE`
//!   so that read-then-write transactions take the write lock up front instead of failing
//!   with `database is locked` half-way.
//! - On PostgreSQL, callers take row locks (`SELECT … FOR UPDATE`) in a stable order.
//!
//! Write transactions run inside [`run_to_completion`], so that a caller that goes away
//! cannot leave one half-done (see `completion`).

mod completion;
mod pool;
mod reach;
mod transactional;

pub use completion::run_to_completion;
pub use pool::export_pool_metrics;
pub use transactional::Transactional;

use std::{path::Path, time::Duration};

use backon::ExponentialBuilder;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, RuntimeErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::{self, sqlite::SqliteJournalMode},
};
use shop_migration::{Migrator, MigratorTrait};

use crate::config::redact_url;

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The SQLite file's directory could not be created.
    #[error("cannot create directory {dir} for the SQLite database")]
    CreateDir {
        /// The directory.
        dir: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to database {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The cause, as text (sea-orm's errors repeat their causes in their messages).
        reason: String,
    },
    /// Applying migrations failed.
    #[error("cannot migrate database {url}: {reason}")]
    Migrate {
        /// The URL, password redacted.
        url: String,
        /// The cause, as text.
        reason: String,
    },
}

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Connections per pool when `SHOP_DATABASE_MAX_CONNECTIONS` is not set, on SQLite.
pub const DEFAULT_SQLITE_POOL: u32 = 4;

/// Connections per pool when `SHOP_DATABASE_MAX_CONNECTIONS` is not set, on PostgreSQL. Two
/// replicas of the three components that use the database take 2 × 3 × 10 = 60 of
/// PostgreSQL's default `max_connections` of 100 (deploy/README.md has the arithmetic).
pub const DEFAULT_POSTGRES_POOL: u32 = 10;

/// Opens a connection pool to `url` of at most `max_connections` (default: by database),
/// creating an SQLite file (and its directory) if needed.
pub async fn connect(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, ConnectError> {
    if let Some(dir) = sqlite_parent_dir(url) {
        std::fs::create_dir_all(&dir).map_err(|source| ConnectError::CreateDir {
            dir: dir.display().to_string(),
            source,
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        // Statement spans (exported with traces) say the statement's kind, never its text.
        .record_stmt_in_spans(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    // SQLite: readers proceed in parallel under WAL; writers queue on SQLite's lock.
    // PostgreSQL: on two cores 10 did better than 6 and than 16-32 in development runs of the
    // benchmark (figures not kept): more backends only add lock waits and context switches.
    let default = if url.starts_with("sqlite:") {
        DEFAULT_SQLITE_POOL
    } else {
        DEFAULT_POSTGRES_POOL
    };
    options.max_connections(max_connections.unwrap_or(default));
    // Ping only connections that sat idle, not every one handed out: the ping is a round
    // trip per acquire (several per webhook), and sqlx tests every connection on release
    // anyway. A connection idle that long may have been dropped (server restart, proxy
    // timeout) and is still checked before use.
    options.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    match Database::connect(options).await {
        Ok(db) => Ok(db),
        Err(e) => Err(ConnectError::Connect {
            url: redact_url(url),
            reason: reach::tcp_failure(url)
                .await
                .unwrap_or_else(|| e.to_string()),
        }),
    }
}

/// Opens a pool to `url` (see [`connect`]) and applies every pending migration.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, ConnectError> {
    let db = connect(url, max_connections).await?;
    migrate(&db, url).await?;
    Ok(db)
}

/// Applies every pending migration. On PostgreSQL the migrations run in one transaction
/// under an advisory lock, so replicas starting together migrate once, one after another.
pub async fn migrate(db: &DatabaseConnection, url: &str) -> Result<(), ConnectError> {
    let result = async {
        if db.get_database_backend() == DbBackend::Postgres {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await
        } else {
            Migrator::up(db, None).await
        }
    }
    .await;
    result.map_err(|e| ConnectError::Migrate {
        url: redact_url(url),
        reason: e.to_string(),
    })
}

/// Advisory lock key that serialises migrations across processes ("shopmigr" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x73686f706d696772;

fn sqlite_parent_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return None; // in-memory
    }
    let parent = Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`), so a read-then-write transaction never fails with a busy snapshot. Call it
/// inside [`run_to_completion`] wherever the caller's future may be dropped (any request).
pub async fn begin_write<C: TransactionTrait<Transaction = DatabaseTransaction>>(
    db: &C,
    backend: DbBackend,
) -> Result<DatabaseTransaction, DbErr> {
    let sqlite_transaction_mode =
        (backend == DbBackend::Sqlite).then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode,
        ..Default::default()
    })
    .await
}

/// An error that may say "a retry of the whole operation may succeed" (a lock conflict).
pub trait Conflict {
    /// True for lock conflicts (see [`is_retryable`]).
    fn is_conflict(&self) -> bool;
}

/// Runs `op` again while it fails with a lock conflict (SQLite busy, PostgreSQL
/// serialization failure or deadlock), with jittered exponential backoff.
pub async fn retrying<T, E, F, Fut>(op: F) -> Result<T, E>
where
    E: Conflict,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    backon::Retryable::retry(op, retry_policy())
        .when(E::is_conflict)
        .await
}

/// The gRPC status for a database error: UNAVAILABLE when the database cannot be reached
/// (the caller retries later), otherwise INTERNAL. Details are logged, never sent.
pub fn status_for(error: &DbErr) -> tonic::Status {
    if is_unavailable(error) {
        tracing::warn!(error = %error, "database unavailable");
        tonic::Status::unavailable("database unavailable, try again")
    } else {
        tracing::error!(error = %error, "database error");
        tonic::Status::internal("internal error")
    }
}

/// The retry policy for transient database conflicts: short exponential backoff with jitter.
pub fn retry_policy() -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_jitter()
        .with_min_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(500))
        .with_max_times(12)
}

/// True for errors that guarantee nothing was written and that a retry may cure: SQLite
/// busy/locked, PostgreSQL serialization failures and deadlocks.
pub fn is_retryable(err: &DbErr) -> bool {
    match database_error_code(err).as_deref() {
        // SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
        Some("5" | "6" | "261" | "517" | "262") => true,
        // serialization_failure, deadlock_detected
        Some("40001" | "40P01") => true,
        _ => false,
    }
}

/// True when the database could not be reached or dropped the connection: the request
/// should be answered UNAVAILABLE so the caller retries later.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_)
                | sqlx::Error::Tls(_) => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    // connection_exception class, admin/crash shutdown, cannot connect now
                    code.starts_with("08") || code.starts_with("57P")
                }),
                _ => false,
            }
        }
        _ => is_retryable(err),
    }
}

/// True for a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when a CHECK constraint refused the statement (PostgreSQL `check_violation`): it
/// changed nothing, since a failed statement is rolled back as a whole.
pub fn is_check_violation(err: &DbErr) -> bool {
    database_error_code(err).as_deref() == Some("23514")
}

fn database_error_code(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// The current time at the precision both databases store (microseconds), so a value
/// returned right after a write equals the value read back later.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Runs `SELECT 1`: the readiness probe of a component.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_directory_is_derived_from_the_url() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/shop.db?mode=rwc"),
            Some("data".into())
        );
        assert_eq!(sqlite_parent_dir("sqlite://shop.db"), None);
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
        assert_eq!(sqlite_parent_dir("postgres://db/shop"), None);
    }
}
