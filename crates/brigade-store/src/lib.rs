//! Brigade's database.
//!
//! Brigade runs on embedded SQLite by default and on PostgreSQL when it outgrows one
//! file. This crate is the only place that knows there are two: a `Db` holds the pool of
//! one backend, a `Tx` one transaction, and the `on_db!`/`on_tx!` macros expand one query
//! text per backend, so each query is written once in portable SQL (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`) and the stores above never match on the backend. Where the
//! SQL truly differs (`FOR UPDATE SKIP LOCKED`), a store writes the two bodies side by
//! side with `match`.
//!
//! SQLite gets one writer connection and a pool of readers: in WAL mode readers never
//! block the writer. Write transactions begin IMMEDIATE, so two processes on one file
//! (a second node, an admin command) wait for each other's lock instead of failing with
//! `SQLITE_BUSY` when a deferred transaction cannot upgrade its read snapshot.

#![forbid(unsafe_code)]

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub mod api_keys;
pub mod events;
pub mod idempotency;
pub mod integrations;
pub mod inventory;
pub mod invitations;
pub mod jobs;
pub mod kds;
pub mod labour;
pub mod menu;
pub mod orders;
pub mod payments;
pub mod restaurants;
pub mod sessions;
pub mod settings;
pub mod tables;
pub mod tasks;
pub mod users;
pub mod webhooks;

pub use sqlx::Error as DbError;
pub type Result<T, E = sqlx::Error> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database: a pool of one backend, and a signal raised after every commit (the
/// realtime feed waits on it instead of polling).
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: Pool,
    commits: Arc<Notify>,
}

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// One transaction on either backend. Dropped without `commit`, it rolls back.
pub struct Tx {
    pub inner: TxInner,
    commits: Arc<Notify>,
}

pub enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to a reading executor of whichever backend `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match &$db.pool {
            $crate::Pool::Sqlite { read: $c, .. } => $body,
            $crate::Pool::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::TxInner::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::TxInner::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
}

impl Db {
    fn new(pool: Pool) -> Db {
        Db { pool, commits: Arc::new(Notify::new()) }
    }

    /// Resolves after the next commit through this handle (or a clone of it).
    pub async fn committed(&self) {
        self.commits.notified().await
    }

    /// Opens (creating if needed) `brigade.db` in `data_dir`, with WAL, `synchronous=FULL`,
    /// foreign keys and a busy timeout.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Db> {
        std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
        let opts = SqliteConnectOptions::new()
            .filename(data_dir.join("brigade.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = PoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
        let read = PoolOptions::new().max_connections(8).connect_with(opts.read_only(true)).await?;
        Ok(Db::new(Pool::Sqlite { read, write }))
    }

    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Db> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Db::new(Pool::Postgres(pool)))
    }

    /// Opens the database a URL names: `postgres://…` or `sqlite://path/to/dir`.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Db> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Db::open_postgres(url, 16).await
            }
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(dir) => Db::open_sqlite(Path::new(dir)).await,
                None => Err(sqlx::Error::Configuration(
                    format!("unsupported database URL '{url}': use postgres://… or sqlite://DIR").into(),
                )),
            },
            None => Db::open_sqlite(data_dir).await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run on every start and concurrently from
    /// several nodes (sqlx takes an advisory lock on PostgreSQL).
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// A transaction for work that is not one restaurant's (sign-in, the job queue).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pool {
            // IMMEDIATE takes the write lock now, waiting out the busy timeout if another
            // process on the same file holds it. A deferred transaction would take it at
            // its first write, and if another process committed since its first read,
            // SQLite refuses the upgrade at once (SQLITE_BUSY, no waiting): the one writer
            // connection only serialises writers within this process.
            Pool::Sqlite { write, .. } => TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx { inner, commits: self.commits.clone() })
    }

    /// A transaction that only reads: on SQLite it runs on the reader pool (a snapshot
    /// that does not wait for, or hold up, the writer). Drop it rather than commit.
    pub async fn begin_read(&self) -> Result<Tx> {
        let inner = match &self.pool {
            Pool::Sqlite { read, .. } => TxInner::Sqlite(read.begin().await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx { inner, commits: self.commits.clone() })
    }

    /// A transaction scoped to one restaurant: on PostgreSQL, row-level security then
    /// hides every other restaurant's rows from it.
    pub async fn begin_for(&self, restaurant_id: uuid::Uuid) -> Result<Tx> {
        let mut tx = self.begin().await?;
        if let TxInner::Postgres(t) = &mut tx.inner {
            sqlx::query("SELECT set_config('brigade.restaurant_id', $1, true)")
                .bind(restaurant_id.to_string())
                .execute(&mut **t)
                .await?;
        }
        Ok(tx)
    }

    /// Whether row-level security binds this connection's role. PostgreSQL lets a
    /// superuser, or a role with BYPASSRLS, read every restaurant's rows whatever the
    /// policies say, so the second wall is down; SQLite has no such wall (`None`).
    pub async fn rls_enforced(&self) -> Result<Option<bool>> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(pool) => {
                let bypass: bool =
                    sqlx::query_scalar("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
                        .fetch_one(pool)
                        .await?;
                Ok(Some(!bypass))
            }
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, |c| sqlx::query("SELECT 1").execute(c).await.map(drop))
    }

    pub fn pool_stats(&self) -> PoolStats {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                PoolStats { size: read.size() + write.size(), idle: read.num_idle() + write.num_idle() }
            }
            Pool::Postgres(pool) => PoolStats { size: pool.size(), idle: pool.num_idle() },
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        self.commits.notify_waiters();
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Times are stored to the microsecond (PostgreSQL's precision), so a value read back
/// equals the one written on either backend.
pub fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Most bind parameters one multi-row statement uses (SQLite allows 32,766).
pub const MAX_BINDS: usize = 30_000;

/// `($1, $2, …), (…)` for `rows` rows of `cols` placeholders, numbered from `first`.
pub fn values_list(rows: usize, cols: usize, first: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (0..cols).map(|c| format!("${}", first + r * cols + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub fn placeholders(count: usize, first: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Whether an error is a unique-constraint violation (a duplicate), on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
