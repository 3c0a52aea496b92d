//! Operations: health checks, metrics, the OpenAPI document and its docs page, and the
//! middleware every request passes through (client IP, rate limit, metrics, request id
//! in every error, panics turned into 500s).

use crate::error::{error_body, ApiError, InternalFailure};
use crate::metrics::gauge;
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use brigade_store::System;
use futures_util::FutureExt;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

/// The client's IP: the peer address, or the first `X-Forwarded-For` hop when the server
/// is told to trust its proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

pub async fn client_ip(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = state
        .config
        .trust_proxy
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    let ip = forwarded.or(peer).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(crate::extract::BodyLimit(state.config.body_limit_bytes));
    next.run(req).await
}

/// Per-IP rate limit on everything but health checks and metrics.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/health") || path == "/metrics" {
        return next.run(req).await;
    }
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>().copied() {
        if let Err(retry_after_secs) = state.limits.check_ip(ip, state.clock.now()) {
            return ApiError::RateLimited { retry_after_secs }.into_response();
        }
    }
    next.run(req).await
}

/// Records each request's latency by route pattern, and logs it (health checks at DEBUG).
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    let secs = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics.observe_request(&route, &method, status, secs);
    if route.starts_with("/health") || route == "/metrics" {
        tracing::debug!(%route, %method, status, ms = secs * 1000.0, "request");
    } else {
        tracing::info!(%route, %method, status, ms = secs * 1000.0, "request");
    }
    response
}

/// Catches a panic in a handler, and gives every internal failure the same body, naming
/// the request id so an operator can find the log line.
pub async fn internal_failures(req: Request, next: Next) -> Response {
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned();
    let response = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(request_id = %request_id, panic = %what, "handler panicked");
            let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.extensions_mut().insert(InternalFailure);
            r
        }
    };
    if response.extensions().get::<InternalFailure>().is_none() {
        return in_json_shape(response).await;
    }
    let body = error_body(
        crate::error::ErrorCode::Internal,
        &format!("something went wrong on our side; quote request id {request_id} to your operator"),
        json!({ "request_id": request_id }),
    );
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// Every error answers in the API's JSON shape, also those that axum or hyper make
/// before a handler runs (a body over the limit, a method a route does not take, an
/// unreadable body): their plain text becomes the message. Pages' own HTML errors stay.
async fn in_json_shape(response: Response) -> Response {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if status.as_u16() < 400 || content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => crate::error::ErrorCode::PayloadTooLarge,
        StatusCode::METHOD_NOT_ALLOWED => crate::error::ErrorCode::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => crate::error::ErrorCode::UnsupportedMediaType,
        StatusCode::NOT_FOUND => crate::error::ErrorCode::NotFound,
        StatusCode::REQUEST_TIMEOUT => crate::error::ErrorCode::Timeout,
        s if s.is_server_error() => crate::error::ErrorCode::Internal,
        _ => crate::error::ErrorCode::BadRequest,
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { text };
    let mut out = (status, Json(error_body(code, &message, json!({})))).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// A request that ran past the timeout, in the API's error shape.
pub fn timed_out() -> Response {
    let body = error_body(crate::error::ErrorCode::Timeout, "the request took too long and was stopped", json!({}));
    (StatusCode::REQUEST_TIMEOUT, Json(body)).into_response()
}

pub async fn not_found() -> Response {
    ApiError::NotFound { message: "no such route".into() }.into_response()
}

pub async fn health(State(state): State<AppState>) -> Response {
    let db_ok = state.db.ping().await.is_ok();
    let jobs = brigade_store::jobs::counts(&state.db).await.unwrap_or_default();
    let jobs: serde_json::Map<String, serde_json::Value> = jobs.into_iter().map(|(k, v)| (k, json!(v))).collect();
    let worker = state.worker_status();
    let status = if !db_ok {
        "error"
    } else if worker == "stopped" {
        "degraded"
    } else {
        "ok"
    };
    let code = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": status,
        "database": if db_ok { "ok" } else { "error" },
        "backend": match state.db.backend() { brigade_store::Backend::Sqlite => "sqlite", brigade_store::Backend::Postgres => "postgres" },
        "worker": worker,
        "jobs": jobs,
        "row_level_security": match state.rls_enforced {
            None => "not_applicable",
            Some(true) => "enforced",
            Some(false) => "bypassed",
        },
        "warnings": match state.rls_enforced {
            Some(false) => vec!["the database role bypasses row-level security (a superuser or BYPASSRLS); run Brigade as an ordinary role"],
            _ => vec![],
        },
        "version": env!("CARGO_PKG_VERSION"),
    });
    (code, Json(body)).into_response()
}

pub async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready once migrations ran and while the database answers.
pub async fn ready(State(state): State<AppState>) -> Response {
    if !state.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "starting" }))).into_response();
    }
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "database unreachable" }))).into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::with_capacity(4096);
    state.metrics.render_requests(&mut out);
    let pool = state.db.pool_stats();
    gauge(&mut out, "brigade_db_pool_connections", "Open database connections.", &[(String::new(), pool.size as f64)]);
    gauge(&mut out, "brigade_db_pool_idle", "Idle database connections.", &[(String::new(), pool.idle as f64)]);
    let jobs = brigade_store::jobs::counts(&state.db).await.unwrap_or_default();
    let samples: Vec<(String, f64)> = ["queued", "running", "succeeded", "dead"]
        .iter()
        .map(|s| {
            let n = jobs.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
            (format!("state=\"{s}\""), n as f64)
        })
        .collect();
    gauge(&mut out, "brigade_jobs", "Jobs by state.", &samples);
    let ws = state.hub.connections.load(std::sync::atomic::Ordering::Relaxed) as f64;
    gauge(&mut out, "brigade_ws_connections", "Open WebSocket connections.", &[(String::new(), ws)]);
    gauge(
        &mut out,
        "brigade_events_delivered_offset",
        "The last event offset broadcast to subscribers.",
        &[(String::new(), state.hub.delivered() as f64)],
    );
    let mut r = Response::new(Body::from(out));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    let mut r = Response::new(Body::from(state.inner.openapi_json.clone()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

const DOCS: &str = include_str!("docs.html");

/// The API reference page, with a content security policy that allows its own inline
/// script and style (by hash) and nothing else.
pub async fn docs() -> Response {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let csp = CSP.get_or_init(|| {
        let hash = |open: &str, close: &str| {
            use base64::Engine as _;
            let body = DOCS.split_once(open).and_then(|(_, rest)| rest.split_once(close)).map(|(b, _)| b).unwrap_or("");
            base64::engine::general_purpose::STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, body.as_bytes()))
        };
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            hash("<script type=\"module\">", "</script>"),
            hash("<style>", "</style>")
        )
    });
    let mut r = Html(DOCS).into_response();
    if let Ok(v) = HeaderValue::from_str(csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// Headers every response gets: no sniffing of content types, and nothing that carries a
/// token (sign-in, refresh, PIN sign-in, the web's token, invitations) kept in a cache.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let carries_tokens =
        path.starts_with("/v1/auth/") || path.starts_with("/web/") || path.starts_with("/v1/invitations/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if carries_tokens {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_naming_the_request() {
        async fn boom() -> &'static str {
            panic!("kaboom")
        }
        let app = Router::new().route("/boom", get(boom)).layer(axum::middleware::from_fn(internal_failures));
        let req = Request::builder().uri("/boom").header("x-request-id", "req-42").body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(body["error"]["details"]["request_id"], "req-42");
        assert!(!body.to_string().contains("kaboom"));
    }
}

// ---------------------------------------------------------------- housekeeping

/// The operational jobs: hourly housekeeping.
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.hourly(Housekeeping { sessions_after_days: 7, idempotency_after_hours: 24 });
}

/// Forgets what is no longer needed: sessions (with their refresh tokens) that expired
/// or were revoked over `sessions_after_days` ago, stored Idempotency-Key responses
/// older than `idempotency_after_hours`, and assistant conversations idle for a day.
/// Spent refresh tokens stay while their session lives, since they are what detects reuse.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Housekeeping {
    pub sessions_after_days: i64,
    pub idempotency_after_hours: i64,
}

impl crate::jobs::Job for Housekeeping {
    const KIND: &'static str = "housekeeping";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let now = state.clock.now();
        let mut tx = state.db.begin(System::Housekeeping).await?;
        let sessions =
            brigade_store::sessions::purge(&mut tx, now - chrono::Duration::days(self.sessions_after_days)).await?;
        let keys =
            brigade_store::idempotency::purge(&mut tx, now - chrono::Duration::hours(self.idempotency_after_hours))
                .await?;
        let conversations = brigade_store::assistant::forget_idle(&mut tx, now - chrono::Duration::days(1)).await?;
        tx.commit().await?;
        tracing::info!(sessions, idempotency_keys = keys, conversations, "housekeeping done");
        Ok(())
    }
}
