//! The Brigade server: one axum application with a module per domain (`auth`,
//! `restaurants`, `people`, `api_keys`, `audit`, …), the job worker, and operations.
//!
//! `build` opens and migrates the database and makes the shared `AppState`; `serve` runs
//! the HTTP API and the worker on a bound listener until a shutdown future resolves, then
//! drains in-flight requests and running jobs and closes the database. Tests call these
//! with a listener on port 0 and their own clock.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod actor;
pub mod admin;
pub mod analytics;
pub mod api_keys;
pub mod assistant;
pub mod audit;
pub mod auth;
pub mod busy;
pub mod checks;
pub mod clock;
pub mod config;
pub mod customers;
pub mod demo;
#[cfg(test)]
mod edge_fuzz;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod idempotency;
pub mod integrations;
pub mod inventory;
pub mod jobs;
pub mod kds;
pub mod labour;
pub mod limits;
pub mod listen;
pub mod mcp;
pub mod menu;
pub mod messages;
pub mod metrics;
pub mod ops;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod people;
pub mod phone;
pub mod promotions;
pub mod realtime;
pub mod reports;
pub mod restaurants;
pub mod schedules;
pub mod schema;
pub mod secrets;
pub mod tables;
pub mod tasks;
pub mod web;
pub mod webhooks;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use brigade_domain::token::SigningKey;
use brigade_store::Db;
use clock::Clock;
use config::{Config, LogFormat, Role};
use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Everything handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub keys: SigningKey,
    /// Signs table QR tokens.
    pub qr_key: Vec<u8>,
    pub clock: Clock,
    pub limits: limits::Limits,
    pub metrics: metrics::Metrics,
    pub jobs: jobs::Registry,
    pub job_wake: Notify,
    /// Seals integration credentials and guests' contact details; keys their lookup hashes.
    pub secrets: secrets::Secrets,
    /// Integrations' HTTP client, rate limiters and tokens.
    pub integrations: integrations::Runtime,
    pub sync_wake: Notify,
    pub menu_cache: Arc<menu::MenuCache>,
    pub hub: Arc<realtime::Hub>,
    pub order_writer: orders::writer::OrderWriter,
    pub openapi_json: String,
    /// Whether PostgreSQL's row-level security binds our role (`None` on SQLite).
    pub rls_enforced: Option<bool>,
    ready: AtomicBool,
    worker: AtomicU8,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

const WORKER_DISABLED: u8 = 0;
const WORKER_RUNNING: u8 = 1;
const WORKER_STOPPED: u8 = 2;

impl AppState {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Wakes idle workers in this process after a commit that enqueued jobs.
    pub fn wake_workers(&self) {
        self.job_wake.notify_waiters();
        self.sync_wake.notify_one();
    }

    /// Wakes the sync worker in this process after a commit that enqueued sync jobs.
    pub fn wake_sync(&self) {
        // One sync worker per process: a permit kept while it is busy is not lost.
        self.sync_wake.notify_one();
    }

    /// Commits `tx`, then does in this process what the change owes once it is committed
    /// (never before: a rolled-back change wakes nobody and drops no cache). Every service
    /// ends its write this way, so no caller has to remember the steps.
    pub async fn commit(&self, tx: brigade_store::Tx, after: After) -> Result<(), error::ApiError> {
        tx.commit().await?;
        if let Some(rid) = after.menu_of {
            self.menu_cache.invalidate(rid);
        }
        if after.jobs {
            self.job_wake.notify_waiters();
        }
        if after.jobs || after.sync {
            self.wake_sync();
        }
        Ok(())
    }

    pub fn worker_status(&self) -> &'static str {
        match self.worker.load(Ordering::Relaxed) {
            WORKER_RUNNING => "running",
            WORKER_STOPPED => "stopped",
            _ => "disabled",
        }
    }

    fn set_worker_running(&self, running: bool) {
        self.worker.store(if running { WORKER_RUNNING } else { WORKER_STOPPED }, Ordering::Relaxed);
    }
}

/// Every job kind Brigade defines, and its periodic work: the one place that lists the
/// domains that have jobs. A new domain adds its `register_jobs` here and touches no queue.
pub fn standard_jobs() -> jobs::Registry {
    let mut r = jobs::Registry::default();
    ops::register_jobs(&mut r);
    menu::register_jobs(&mut r);
    tasks::register_jobs(&mut r);
    integrations::register_jobs(&mut r);
    busy::register_jobs(&mut r);
    customers::register_jobs(&mut r);
    messages::register_jobs(&mut r);
    reports::email::register_jobs(&mut r);
    r
}

/// What a committed change owes in this process: a restaurant's cached public menu
/// dropped, the job worker or the sync worker woken. Combine with `and`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct After {
    menu_of: Option<uuid::Uuid>,
    jobs: bool,
    sync: bool,
}

impl After {
    /// Nothing beyond the commit.
    pub const NOTHING: After = After { menu_of: None, jobs: false, sync: false };

    /// The change enqueued jobs: wake the worker (and the sync worker, whose jobs these may be).
    pub fn jobs() -> After {
        After { jobs: true, ..After::NOTHING }
    }

    /// The change enqueued sync jobs only.
    pub fn sync() -> After {
        After { sync: true, ..After::NOTHING }
    }

    /// The menu of `rid` changed: guests must see it now, and the platforms get it.
    pub fn menu(rid: uuid::Uuid) -> After {
        After { menu_of: Some(rid), sync: true, ..After::NOTHING }
    }

    /// Both; the menu dropped is the first one named (a change spans one restaurant,
    /// save a stock transfer, which drops the other's itself).
    pub fn and(self, other: After) -> After {
        After { menu_of: self.menu_of.or(other.menu_of), jobs: self.jobs || other.jobs, sync: self.sync || other.sync }
    }
}

/// What tests (or embedders) may change beyond the configuration.
#[derive(Clone)]
pub struct Options {
    pub clock: Clock,
    pub jobs: jobs::Registry,
}

impl Default for Options {
    fn default() -> Self {
        Options { clock: Clock::System, jobs: standard_jobs() }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Brigade", description = "The open-source restaurant operating system. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`; lists take `limit` and `cursor`."),
    modifiers(&BearerAuth),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens"),
        (name = "restaurants", description = "Restaurants (locations)"),
        (name = "people", description = "Members of a restaurant and their roles"),
        (name = "api keys", description = "Keys for integrations"),
        (name = "audit", description = "The event log"),
        (name = "menu", description = "Categories, items, modifiers, schedules and the 86 board"),
        (name = "orders", description = "Orders from every channel"),
        (name = "kitchen", description = "Kitchen stations and tickets"),
        (name = "tables", description = "Tables and their QR codes"),
        (name = "inventory", description = "Stock, its ledger, recipes and what they cost"),
        (name = "staff", description = "Positions and rates, the time clock, schedules, labour and payroll"),
        (name = "tasks", description = "Recurring tasks and opening/closing checklists"),
        (name = "realtime", description = "The WebSocket at /v1/ws and who is connected"),
        (name = "integrations", description = "Delivery platforms and POS systems, and the sync that keeps them right"),
        (name = "webhooks", description = "Signed outgoing webhooks: subscriptions, the delivery log, replay"),
        (name = "customers", description = "Guests' profiles, their data, loyalty"),
        (name = "promotions", description = "Codes and automatic offers: money off orders"),
        (name = "analytics", description = "Sales, items and the menu-engineering matrix over any period, from daily rollups"),
        (name = "public", description = "What guests reach without signing in"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An access token from /v1/auth/login, or an API key (bk_…)"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every operation documents the errors any route can answer, in the one error shape: a
/// body or query that cannot be read (400), fields that do not validate (422), a path that
/// names nothing (404), no or a refused token (401, 403) where a token is needed, a body
/// over the limit (413), and the rate limit (429). Error responses an operation names
/// without a body get the shape too. So generated clients and fuzzers expect what the
/// server does.
struct StandardErrors;

impl utoipa::Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, Response};
        let shape = || Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                let params = path.contains('{') || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut wanted =
                    vec![("400", "the body or query cannot be read"), ("429", "rate limited; see Retry-After")];
                if body || params {
                    wanted.push(("422", "a field does not validate; `details.field` names it"));
                }
                if path.contains('{') {
                    wanted.push(("404", "nothing by that id here (also another restaurant's)"));
                }
                if secured {
                    wanted.push(("401", "no token, or one that is expired or revoked"));
                    wanted.push(("403", "not allowed for this role or key"));
                }
                if body {
                    wanted.push(("413", "the body is over the limit"));
                }
                let responses = &mut op.responses.responses;
                for (code, description) in wanted {
                    responses.entry(code.to_owned()).or_insert_with(|| RefOr::T(Response::new(description)));
                }
                for (code, response) in responses.iter_mut() {
                    if let (true, RefOr::T(r)) = (code.as_str() >= "400", response) {
                        if r.content.is_empty() {
                            r.content.insert("application/json".to_owned(), shape());
                        }
                    }
                }
            }
        }
    }
}

/// The API routes with their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(restaurants::router())
        .merge(people::router())
        .merge(people::invitation_router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(menu::router())
        .merge(orders::router())
        .merge(kds::router())
        .merge(tables::router())
        .merge(checks::router())
        .merge(analytics::router())
        .merge(reports::router())
        .merge(inventory::router())
        .merge(labour::router())
        .merge(schedules::router())
        .merge(tasks::router())
        .merge(integrations::router())
        .merge(busy::router())
        .merge(feedback::router())
        .merge(customers::router())
        .merge(promotions::router())
        .merge(messages::router())
        .merge(assistant::router())
        .merge(phone::router())
        .merge(mcp::router())
        .merge(webhooks::router())
        .merge(realtime::router())
        .split_for_parts();
    // After the routes are merged: the document's paths exist only now.
    utoipa::Modify::modify(&StandardErrors, &mut doc);
    extract::document_input_rules(&mut doc);
    (router, doc)
}

/// Opens the database, runs migrations and makes the shared state.
pub async fn build(config: Config, options: Options) -> anyhow::Result<AppState> {
    config.validate().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let db = match &config.database_url {
        Some(url) if url.starts_with("postgres") => Db::open_postgres(url, config.database_pool).await,
        url => Db::open(url.as_deref(), &config.data_dir).await,
    }
    .with_context(|| match &config.database_url {
        Some(url) => format!("opening the database {}", config::redact_url(url)),
        None => format!("opening the database in {}", config.data_dir.display()),
    })?;
    db.migrate().await.context("running database migrations")?;
    let rls_enforced = db.rls_enforced().await.context("checking the database role")?;
    if rls_enforced == Some(false) {
        tracing::warn!(
            "the database role is a superuser or has BYPASSRLS: row-level security does not bind it, so the \
             second wall between restaurants is down. Run Brigade as an ordinary role that owns its tables \
             (README, Security)"
        );
    }
    let secret = match &config.jwt_secret {
        Some(s) => s.clone().into_bytes(),
        None => {
            let stored = brigade_store::settings::get_or_init(&db, "jwt_secret", || {
                base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
            })
            .await?;
            stored.into_bytes()
        }
    };
    let qr_key = brigade_store::settings::get_or_init(&db, "qr_secret", || {
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    })
    .await?
    .into_bytes();
    let (_, openapi) = api();
    let limits = limits::Limits::new(
        config.rate_limit_ip_per_sec,
        config.rate_limit_key_per_sec,
        config.login_attempts_per_account,
        config.login_attempts_per_ip,
    );
    let secrets = secrets::Secrets::load(config.secrets_key.as_deref(), &config.data_dir)
        .context("loading the secrets key for credentials and guests' contacts")?;
    let integrations = integrations::Runtime::new(
        std::time::Duration::from_secs(config.integration_timeout_secs),
        config.webhooks_allow_private,
    )?;
    let menu_cache = Arc::new(menu::MenuCache::default());
    let order_writer = orders::writer::OrderWriter::start(db.clone(), options.clock.clone(), menu_cache.clone());
    Ok(AppState {
        inner: Arc::new(Inner {
            db,
            keys: SigningKey::new(secret),
            qr_key,
            clock: options.clock,
            limits,
            metrics: metrics::Metrics::default(),
            jobs: options.jobs,
            job_wake: Notify::new(),
            secrets,
            integrations,
            sync_wake: Notify::new(),
            menu_cache,
            hub: Arc::new(realtime::Hub::default()),
            order_writer,
            openapi_json: openapi.to_pretty_json().unwrap_or_else(|_| "{}".into()),
            rls_enforced,
            ready: AtomicBool::new(true),
            worker: AtomicU8::new(WORKER_DISABLED),
            config,
        }),
    })
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let ops = Router::new()
        .route("/health", get(ops::health))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics));
    let app = if state.config.role == Role::Worker {
        ops
    } else {
        let (api, _) = api();
        ops.merge(api)
            .route("/v1/openapi.json", get(ops::openapi))
            .route("/docs", get(ops::docs))
            .route("/v1/ws", get(realtime::ws::upgrade))
            .merge(web::router())
    };
    app.fallback(ops::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), ops::observe))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(middleware::from_fn_with_state(state.clone(), ops::rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), ops::client_ip))
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(middleware::from_fn(ops::internal_failures))
        .layer(middleware::from_fn(ops::security_headers))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Gives every request an id (keeping a sane one the client sent) and returns it in
/// `x-request-id`; the request's log lines carry it.
async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert("x-request-id", value.clone());
    let span = tracing::info_span!("http", request_id = %id);
    let mut res = next.run(req).instrument(span).await;
    res.headers_mut().insert("x-request-id", value);
    res
}

async fn timeout(axum::extract::State(state): axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    let limit = std::time::Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ops::timed_out(),
    }
}

/// Serves the API (and runs the worker, per the configured role) until `shutdown`
/// resolves; then stops accepting, finishes in-flight requests and running jobs, and
/// closes the database.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_worker, worker_rx) = watch::channel(false);
    let tailer = (state.config.role != Role::Worker)
        .then(|| tokio::spawn(realtime::run_tailer(state.clone(), worker_rx.clone())));
    let workers = state.config.role != Role::Api && state.config.worker_concurrency > 0;
    let sync = workers.then(|| tokio::spawn(integrations::sync::run_worker(state.clone(), worker_rx.clone())));
    let hooks = workers.then(|| tokio::spawn(webhooks::run(state.clone(), worker_rx.clone())));
    let rollups = workers.then(|| tokio::spawn(analytics::rollup::run(state.clone(), worker_rx.clone())));
    let worker = workers.then(|| tokio::spawn(jobs::run_worker(state.clone(), worker_rx)));
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?state.db.backend(), role = ?state.config.role, "brigade is listening");
    let app = router(state.clone());
    let hub = state.hub.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    listen::serve(&state, listener, app, shutdown).await?;
    tracing::info!("stopped accepting requests");
    let _ = stop_worker.send(true);
    if let Some(w) = worker {
        let _ = w.await;
    }
    if let Some(s) = sync {
        let _ = s.await;
    }
    if let Some(h) = hooks {
        let _ = h.await;
    }
    if let Some(r) = rollups {
        let _ = r.await;
    }
    if let Some(t) = tailer {
        let _ = t.await;
    }
    state.db.close().await;
    tracing::info!("database closed; bye");
    Ok(())
}

/// Builds and serves in one call: what `brigade serve` runs.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = build(config, Options::default()).await?;
    if state.config.demo {
        let info = demo::load(&state).await.context("loading the demo restaurant")?;
        let base = format!("http://{}", listener.local_addr()?);
        // Shown to the person who asked for the demo, not a log line.
        eprintln!("\n{}", info.describe(&base));
    }
    serve(state, listener, shutdown).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}

/// Sets up logging as pretty text or JSON lines, filtered by `config.log` (or RUST_LOG).
pub fn init_logging(format: LogFormat, filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("RUST_LOG").ok().unwrap_or_else(|| filter.to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

#[cfg(test)]
mod tests {
    /// The OpenAPI document is the contract other programs build against; it is kept in
    /// the repository (docs/openapi.json) so that any change to it shows in review. Run
    /// with BRIGADE_UPDATE_OPENAPI=1 to accept a deliberate change.
    #[test]
    fn openapi_document_matches_the_committed_snapshot() {
        let current = super::api().1.to_pretty_json().unwrap() + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        if std::env::var("BRIGADE_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &current).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "the OpenAPI document changed; if that is intended, run BRIGADE_UPDATE_OPENAPI=1 cargo test -p brigade-server openapi and commit docs/openapi.json"
        );
    }
}
