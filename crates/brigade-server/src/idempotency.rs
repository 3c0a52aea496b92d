//! `Idempotency-Key` on creating POSTs (API.md conventions): a client that retries a
//! POST with the same key and the same body gets the first response again, and nothing
//! is created twice. The same key with a different body is refused (422), and a retry
//! that arrives while the first is still running is told to wait (409).
//!
//! Keys are scoped to the caller (their Authorization header, or their IP when there is
//! none) and the path, so two clients can never see each other's responses. Responses
//! are kept 24 hours (the hourly housekeeping job forgets older ones). Server errors
//! (5xx), 401 and 429 are not kept: a retry runs again.
//!
//! The stored response is written after the handler's own transaction committed; if the
//! process dies in between, the key stays claimed and a retry is refused until it
//! expires rather than creating twice. Orders, where a duplicate costs food, will record
//! the key inside their own transaction as well.

use crate::error::ApiError;
use crate::ops::ClientIp;
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use brigade_domain::credentials::secret_digest;
use brigade_store::idempotency as store;

pub const HEADER: &str = "idempotency-key";

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return next.run(req).await;
    }
    match handle(&state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| ApiError::BadRequest {
            code: crate::error::ErrorCode::InvalidIdempotencyKey,
            message: "an Idempotency-Key is 1 to 255 visible characters".into(),
        })?
        .to_owned();
    let who = match req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(auth) => secret_digest(auth),
        None => format!("ip:{}", req.extensions().get::<ClientIp>().map(|c| c.0.to_string()).unwrap_or_default()),
    };
    let scope = format!("{who} {}", req.uri().path());
    let (parts, body) = req.into_parts();
    let limit = state.config.body_limit_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| ApiError::PayloadTooLarge { limit })?;
    let request_hash = secret_digest(&String::from_utf8_lossy(&bytes));
    let now = state.clock.now();

    if !store::claim(&state.db, &scope, &key, &request_hash, now).await? {
        let stored = store::get(&state.db, &scope, &key).await?;
        return match stored {
            Some(s) if s.request_hash != request_hash => Err(ApiError::validation(
                "Idempotency-Key",
                "this key was already used with a different request; use a new key for a new request",
            )),
            Some(s) => match (s.status, s.body) {
                (Some(status), Some(body)) => Ok(replay(status, body)),
                _ => Err(ApiError::Conflict {
                    code: crate::error::ErrorCode::IdempotencyInProgress,
                    message: "a request with this Idempotency-Key is still running; retry shortly".into(),
                    details: serde_json::json!({}),
                }),
            },
            // Released between our claim and our read: a retry will claim it.
            None => Err(ApiError::Conflict {
                code: crate::error::ErrorCode::IdempotencyInProgress,
                message: "a request with this Idempotency-Key just failed; retry".into(),
                details: serde_json::json!({}),
            }),
        };
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    // Answers that depend on the moment, not the request, are not kept.
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::UNAUTHORIZED {
        store::release(&state.db, &scope, &key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body =
        to_bytes(body, 16 * 1024 * 1024).await.map_err(|e| ApiError::internal(format!("reading a response: {e}")))?;
    let text = String::from_utf8_lossy(&body).into_owned();
    store::complete(&state.db, &scope, &key, i32::from(status.as_u16()), &text).await?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(status: i32, body: String) -> Response {
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}
