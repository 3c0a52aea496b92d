//! Brigade's database.
//!
//! Brigade runs on embedded SQLite by default and on PostgreSQL when it outgrows one
//! file. This crate is the only place that knows there are two: a `Db` holds the pool of
//! one backend, a `Tx` one transaction, and the `on_db!`/`on_tx!` macros expand one query
//! text per backend, so each query is written once in portable SQL (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`) and the stores above never match on the backend. Where the
//! SQL truly differs (`FOR UPDATE SKIP LOCKED`), `on_tx!`'s second form takes one text per
//! backend. The pool and transaction internals are private to this file; LISTEN/NOTIFY is
//! `Db::listen` and `Tx::notify`.
//!
//! Every transaction and read names its `Scope`: one restaurant, or a named `System` path.
//! On PostgreSQL row-level security holds each query to it (see `Scope`).
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

pub mod analytics;
pub mod api_keys;
pub mod assistant;
pub mod busy;
pub mod customers;
pub mod events;
pub mod feedback;
pub mod hours;
pub mod idempotency;
pub mod integrations;
pub mod inventory;
pub mod invitations;
pub mod jobs;
pub mod kds;
pub mod labour;
pub mod loyalty;
pub mod menu;
pub mod messages;
pub mod orders;
pub mod payments;
pub mod phone;
pub mod promotions;
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
    pool: Pool,
    commits: Arc<Notify>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// One transaction on either backend. Dropped without `commit`, it rolls back.
pub struct Tx {
    inner: TxInner,
    commits: Arc<Notify>,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Whose rows a transaction or a read may see. On PostgreSQL row-level security enforces
/// it: every tenant table's policy shows a row only to the scope of its restaurant, or to
/// a named system scope. A connection with neither sees no tenant rows at all, so a read
/// that forgot its restaurant fails closed (empty) instead of open. SQLite has no such
/// wall; the scope is stated there all the same, so the code is the same on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One restaurant's rows, and no other's.
    Restaurant(uuid::Uuid),
    /// Work that truly spans restaurants. Each kind is named, so every such path can be
    /// found by searching for its variant.
    System(System),
}

/// The paths that read or write more than one restaurant's rows, and why each must. Tables
/// that belong to no restaurant (users, sessions, jobs, idempotency keys, settings) have no
/// policy; their reads still name the path that needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// Signing in and checking a credential (a password, a refresh token, an API key, an
    /// invitation): the credential is found before the restaurant it belongs to is known,
    /// and a person's memberships span restaurants.
    Authenticate,
    /// A guest's public page: the restaurant by its slug, a table by its QR token, an
    /// order by its tracking key, before any restaurant is known.
    Public,
    /// The job queue: claiming the next due job, whichever restaurant it is for.
    Jobs,
    /// The realtime feed tailing the one event log that every restaurant writes to.
    Realtime,
    /// The order writer, which commits a batch holding several restaurants' orders.
    OrderWriter,
    /// Inbound webhooks: the integration named in the URL, before its signature is checked.
    Inbound,
    /// The sync engine and the webhook dispatcher, draining every restaurant's queue.
    Outbound,
    /// Periodic upkeep across restaurants: expiring sessions and keys, pruning logs,
    /// generating the day's tasks, checking drift.
    Housekeeping,
    /// Operator commands run from the shell (`brigade admin …`) and server-wide counts.
    Admin,
    /// Making a restaurant or changing its slug: a slug must be free among every
    /// restaurant's, and a new restaurant's first rows are written before it has a scope.
    Restaurants,
    /// Stock moved between two restaurants of one owner, once membership in both is checked.
    Transfer,
    /// Idempotency keys, which belong to a request rather than to a restaurant's rows.
    Idempotency,
    /// A restaurant group's guests: a customer's orders, points and messages span the
    /// group's restaurants, read once the customer is known to be of the caller's group.
    Guests,
    /// The analytics consumer: the event log, and the days it owes every restaurant's
    /// rollups.
    Analytics,
}

impl System {
    fn name(self) -> &'static str {
        match self {
            System::Authenticate => "authenticate",
            System::Public => "public",
            System::Jobs => "jobs",
            System::Realtime => "realtime",
            System::OrderWriter => "order_writer",
            System::Inbound => "inbound",
            System::Outbound => "outbound",
            System::Housekeeping => "housekeeping",
            System::Admin => "admin",
            System::Idempotency => "idempotency",
            System::Guests => "guests",
            System::Analytics => "analytics",
            System::Restaurants => "restaurants",
            System::Transfer => "transfer",
        }
    }
}

impl From<uuid::Uuid> for Scope {
    fn from(rid: uuid::Uuid) -> Scope {
        Scope::Restaurant(rid)
    }
}

impl From<System> for Scope {
    fn from(s: System) -> Scope {
        Scope::System(s)
    }
}

impl Scope {
    /// The statement that opens a PostgreSQL transaction in this scope: one round trip.
    /// Both settings are local to the transaction, so a pooled connection never carries
    /// one into the next.
    fn pg_begin(self) -> String {
        match self {
            // A UUID's text is hex and hyphens only: nothing to quote.
            Scope::Restaurant(rid) => format!("BEGIN; SET LOCAL brigade.restaurant_id = '{rid}'"),
            Scope::System(s) => format!("BEGIN; SET LOCAL brigade.system = '{}'", s.name()),
        }
    }
}

/// Runs `$body` with `$c` bound to a reading executor of whichever backend `$db` is, in
/// `$scope` (a restaurant id or a `System`). On PostgreSQL the read runs in a short
/// transaction that carries the scope (opened with the scope in one round trip); row-level
/// security shows it nothing else.
macro_rules! on_db {
    ($db:expr, $scope:expr, |$c:ident| $body:expr) => {
        match $db.reader(::core::convert::Into::<$crate::Scope>::into($scope)).await? {
            $crate::Reader::Sqlite($c) => $body,
            $crate::Reader::Postgres(mut t) => {
                let out = {
                    let $c = &mut *t;
                    $body
                };
                // Not committed: a read has nothing to keep, and the ROLLBACK that drop
                // queues goes out with the pool's check of the returned connection, off
                // this request's path (one round trip fewer than a COMMIT).
                drop(t);
                out
            }
        }
    };
}
pub(crate) use on_db;

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`. The second
/// form gives each backend its own SQL text where the dialects differ (row locks exist
/// only on PostgreSQL: SQLite's one writer already serialises), bound to `$sql`.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx.inner_mut() {
            $crate::TxConn::Sqlite($c) => $body,
            $crate::TxConn::Postgres($c) => $body,
        }
    };
    ($tx:expr, sqlite: $s:expr, postgres: $p:expr, |$c:ident, $sql:ident| $body:expr) => {
        match $tx.inner_mut() {
            $crate::TxConn::Sqlite($c) => {
                let $sql = $s;
                $body
            }
            $crate::TxConn::Postgres($c) => {
                let $sql = $p;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// What `on_db!` reads through: SQLite's reader pool, or a scoped PostgreSQL transaction.
pub(crate) enum Reader<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// What `on_tx!` runs on: the transaction's connection.
pub(crate) enum TxConn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
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

    /// The tables holding `needle` anywhere in a row, in plain text: how a check proves
    /// that a guest's phone number or email is kept nowhere in the clear (sealed values
    /// and hashes do not contain it). Reads every row of every table: for tests and
    /// audits, never a request path.
    pub async fn tables_holding(&self, needle: &str) -> Result<Vec<String>> {
        let pattern = like_contains(needle);
        let mut found = Vec::new();
        match &self.pool {
            Pool::Sqlite { read, .. } => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(read)
                .await?;
                for t in tables {
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_table_info($1)").bind(&t).fetch_all(read).await?;
                    let any = columns
                        .iter()
                        .map(|c| format!("LOWER(CAST(\"{c}\" AS TEXT)) LIKE $1 ESCAPE '\\'"))
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    let sql = format!("SELECT COUNT(*) FROM \"{t}\" WHERE {any}");
                    let n: i64 = sqlx::query_scalar(&sql).bind(&pattern).fetch_one(read).await?;
                    if n > 0 {
                        found.push(t);
                    }
                }
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin_with(Scope::System(System::Admin).pg_begin()).await?;
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&mut *tx)
                .await?;
                for t in tables {
                    let sql = format!("SELECT COUNT(*) FROM \"{t}\" x WHERE LOWER(x::text) LIKE $1 ESCAPE '\\'");
                    let n: i64 = sqlx::query_scalar(&sql).bind(&pattern).fetch_one(&mut *tx).await?;
                    if n > 0 {
                        found.push(t);
                    }
                }
            }
        }
        Ok(found)
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

    /// A transaction that writes, in `scope`: a restaurant's id, or the `System` path that
    /// needs more than one restaurant's rows.
    pub async fn begin(&self, scope: impl Into<Scope>) -> Result<Tx> {
        let inner = match &self.pool {
            // IMMEDIATE takes the write lock now, waiting out the busy timeout if another
            // process on the same file holds it. A deferred transaction would take it at
            // its first write, and if another process committed since its first read,
            // SQLite refuses the upgrade at once (SQLITE_BUSY, no waiting): the one writer
            // connection only serialises writers within this process.
            Pool::Sqlite { write, .. } => TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin_with(scope.into().pg_begin()).await?),
        };
        Ok(Tx { inner, commits: self.commits.clone() })
    }

    /// A transaction that only reads, in `scope`: on SQLite it runs on the reader pool (a
    /// snapshot that does not wait for, or hold up, the writer). Drop it rather than commit.
    pub async fn begin_read(&self, scope: impl Into<Scope>) -> Result<Tx> {
        let inner = match &self.pool {
            Pool::Sqlite { read, .. } => TxInner::Sqlite(read.begin().await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin_with(scope.into().pg_begin()).await?),
        };
        Ok(Tx { inner, commits: self.commits.clone() })
    }

    /// Where a single read in `scope` runs (see `on_db!`).
    pub(crate) async fn reader(&self, scope: Scope) -> Result<Reader<'_>> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => Reader::Sqlite(read),
            Pool::Postgres(pool) => Reader::Postgres(pool.begin_with(scope.pg_begin()).await?),
        })
    }

    /// Listens for `channel`'s notifications from every node on this database (PostgreSQL
    /// `LISTEN`). `None` on SQLite, where all writers share this process and
    /// `committed` already wakes the waiters.
    pub async fn listen(&self, channel: &str) -> Result<Option<Listener>> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(None),
            Pool::Postgres(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
                l.listen(channel).await?;
                Ok(Some(Listener(l)))
            }
        }
    }

    /// How many sessions on this database wait for a lock now (PostgreSQL; 0 on SQLite,
    /// whose one writer queues in the pool instead). For diagnostics and tests of races.
    pub async fn lock_waiters(&self) -> Result<i64> {
        match &self.pool {
            Pool::Sqlite { .. } => Ok(0),
            Pool::Postgres(pool) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
            )
            .fetch_one(pool)
            .await,
        }
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
        match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.map(drop),
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
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

    pub(crate) fn inner_mut(&mut self) -> TxConn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => TxConn::Sqlite(t),
            TxInner::Postgres(t) => TxConn::Postgres(t),
        }
    }

    /// Notifies `channel`'s listeners on every node when (and only if) this transaction
    /// commits (PostgreSQL `NOTIFY`). Nothing on SQLite: see `Db::listen`.
    pub async fn notify(&mut self, channel: &str) -> Result<()> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query("SELECT pg_notify($1, '')").bind(channel).execute(&mut **t).await?;
        }
        Ok(())
    }
}

/// A subscription to one notification channel (see `Db::listen`).
pub struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// Waits for the next notification. An error means the connection dropped; the
    /// listener reconnects on the next call, and notifications sent meanwhile are lost,
    /// so a caller catches up by reading what it missed.
    pub async fn recv(&mut self) -> Result<()> {
        self.0.recv().await.map(drop)
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

/// A LIKE pattern (with `ESCAPE '\'`) matching text that holds `q`, in lower case.
pub fn like_contains(q: &str) -> String {
    let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub fn placeholders(count: usize, first: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Whether an error is a unique-constraint violation (a duplicate), on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}
