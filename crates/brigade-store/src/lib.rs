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
//! block the writer, and serialising writers in-process avoids `SQLITE_BUSY` from two
//! deferred transactions racing to upgrade their locks.

#![forbid(unsafe_code)]

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub mod api_keys;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod kds;
pub mod menu;
pub mod orders;
pub mod restaurants;
pub mod sessions;
pub mod settings;
pub mod tables;
pub mod users;

pub use sqlx::Error as DbError;
pub type Result<T, E = sqlx::Error> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// One transaction on either backend. Dropped without `commit`, it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to a reading executor of whichever backend `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite { read: $c, .. } => $body,
            $crate::Db::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
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
        Ok(Db::Sqlite { read, write })
    }

    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Db> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Db::Postgres(pool))
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
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run on every start and concurrently from
    /// several nodes (sqlx takes an advisory lock on PostgreSQL).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// A transaction for work that is not one restaurant's (sign-in, the job queue).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction scoped to one restaurant: on PostgreSQL, row-level security then
    /// hides every other restaurant's rows from it.
    pub async fn begin_for(&self, restaurant_id: uuid::Uuid) -> Result<Tx> {
        let mut tx = self.begin().await?;
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query("SELECT set_config('brigade.restaurant_id', $1, true)")
                .bind(restaurant_id.to_string())
                .execute(&mut **t)
                .await?;
        }
        Ok(tx)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, |c| sqlx::query("SELECT 1").execute(c).await.map(drop))
    }

    pub fn pool_stats(&self) -> PoolStats {
        match self {
            Db::Sqlite { read, write } => {
                PoolStats { size: read.size() + write.size(), idle: read.num_idle() + write.num_idle() }
            }
            Db::Postgres(pool) => PoolStats { size: pool.size(), idle: pool.num_idle() },
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

/// Times are stored to the microsecond (PostgreSQL's precision), so a value read back
/// equals the one written on either backend.
pub fn stored_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// Whether an error is a unique-constraint violation (a duplicate), on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
