//! Local fakes of the platforms Brigade talks to, speaking their published protocols
//! closely enough that Brigade's real clients run against them unchanged: the same
//! paths, auth, body shapes and error answers, plus knobs a test turns to make them slow,
//! rate limited, failing in bursts or down.

// The handlers answer early with a ready `Response`; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// One call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// An item as Uber Eats holds it after uploads and updates.
#[derive(Debug, Clone, PartialEq)]
pub struct UberItem {
    pub title: String,
    pub price: i64,
    pub suspend_until: i64,
}

#[derive(Default)]
pub struct UberState {
    pub client_id: String,
    pub client_secret: String,
    pub store_id: String,
    tokens: HashSet<String>,
    pub items: HashMap<String, UberItem>,
    pub menu_uploaded: bool,
    pub store_status: String,
    pub calls: Vec<Call>,
    /// Every item update applied, in order: (item id, suspend_until, price).
    pub applied: Vec<(String, i64, i64)>,
    /// Knobs: each API call waits this long first.
    pub latency: Duration,
    /// Statuses to answer the next API calls with instead of doing them (5xx bursts, 429s).
    pub fail_next: VecDeque<u16>,
    /// `Retry-After` sent with a 429.
    pub retry_after_secs: u64,
    /// Answer every API call 503 (an outage).
    pub down: bool,
    /// Accept updates but ignore them (so reading back shows the old state).
    pub ignore_updates: bool,
    pub orders: HashMap<String, Value>,
    pub accepted: Vec<String>,
    pub denied: Vec<String>,
}

#[derive(Clone)]
pub struct FakeUber {
    pub state: Arc<Mutex<UberState>>,
    pub base_url: String,
}

impl FakeUber {
    pub async fn start(store_id: &str) -> FakeUber {
        let state = Arc::new(Mutex::new(UberState {
            client_id: "uber-client-1234".into(),
            client_secret: "uber-secret".into(),
            store_id: store_id.into(),
            store_status: "ONLINE".into(),
            retry_after_secs: 2,
            ..UberState::default()
        }));
        let app = Router::new()
            .route("/oauth/v2/token", post(token))
            .route("/v1/eats/store/{store}/status", get(store_status).post(set_store_status))
            .route("/v2/eats/stores/{store}/menus", get(get_menu).put(put_menu))
            .route("/v2/eats/stores/{store}/menus/items/{item}", post(update_item))
            .route("/v2/eats/order/{id}", get(get_order))
            .route("/v1/eats/orders/{id}/accept_pos_order", post(accept))
            .route("/v1/eats/orders/{id}/deny_pos_order", post(deny))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeUber { state, base_url }
    }

    pub fn auth_url(&self) -> String {
        format!("{}/oauth/v2/token", self.base_url)
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "client_id": s.client_id, "client_secret": s.client_secret })
    }

    pub fn item(&self, id: impl ToString) -> Option<UberItem> {
        self.state.lock().items.get(&id.to_string()).cloned()
    }

    pub fn calls_to(&self, needle: &str) -> usize {
        self.state.lock().calls.iter().filter(|c| c.path.contains(needle)).count()
    }
}

type Shared = State<Arc<Mutex<UberState>>>;
type Fake = Arc<Mutex<UberState>>;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// Auth, the knobs and the call log, shared by every API route. `Err` is the answer.
async fn gate(s: &Fake, headers: &HeaderMap, method: &str, path: String, body: Value) -> Result<(), Response> {
    let latency = s.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut st = s.lock();
    st.calls.push(Call { method: method.into(), path, body });
    if st.down {
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "try again later"));
    }
    if let Some(code) = st.fail_next.pop_front() {
        let status = StatusCode::from_u16(code).unwrap();
        let mut res = error(status, "injected", "failing on purpose");
        if code == 429 {
            res.headers_mut().insert("retry-after", st.retry_after_secs.to_string().parse().unwrap());
        }
        return Err(res);
    }
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !token.is_some_and(|t| st.tokens.contains(t)) {
        return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "invalid or missing OAuth token"));
    }
    Ok(())
}

fn store_ok(s: &Fake, store: &str) -> Result<(), Response> {
    if s.lock().store_id == store {
        Ok(())
    } else {
        Err(error(StatusCode::NOT_FOUND, "not_found", "store not found"))
    }
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn token(State(s): Shared, body: String) -> Response {
    let f = form(&body);
    let mut st = s.lock();
    st.calls.push(Call { method: "POST".into(), path: "/oauth/v2/token".into(), body: json!(f) });
    if st.down {
        return error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "try again later");
    }
    if f.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "use client_credentials");
    }
    if f.get("client_id") != Some(&st.client_id) || f.get("client_secret") != Some(&st.client_secret) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let t = format!("tok-{}", uuid::Uuid::now_v7().simple());
    st.tokens.insert(t.clone());
    Json(json!({ "access_token": t, "token_type": "Bearer", "expires_in": 2_592_000, "scope": f.get("scope") }))
        .into_response()
}

async fn store_status(State(s): Shared, headers: HeaderMap, Path(store): Path<String>) -> Response {
    if let Err(r) = gate(&s, &headers, "GET", format!("/v1/eats/store/{store}/status"), Value::Null).await {
        return r;
    }
    if let Err(r) = store_ok(&s, &store) {
        return r;
    }
    Json(json!({ "status": s.lock().store_status })).into_response()
}

async fn set_store_status(
    State(s): Shared,
    headers: HeaderMap,
    Path(store): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    if let Err(r) = gate(&s, &headers, "POST", format!("/v1/eats/store/{store}/status"), b.clone()).await {
        return r;
    }
    if let Err(r) = store_ok(&s, &store) {
        return r;
    }
    match b["status"].as_str() {
        Some(v @ ("ONLINE" | "PAUSED")) => {
            s.lock().store_status = v.into();
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::BAD_REQUEST, "invalid_argument", "status must be ONLINE or PAUSED"),
    }
}

async fn get_menu(State(s): Shared, headers: HeaderMap, Path(store): Path<String>) -> Response {
    if let Err(r) = gate(&s, &headers, "GET", format!("/v2/eats/stores/{store}/menus"), Value::Null).await {
        return r;
    }
    if let Err(r) = store_ok(&s, &store) {
        return r;
    }
    let st = s.lock();
    let items: Vec<Value> = st
        .items
        .iter()
        .map(|(id, i)| {
            json!({ "id": id, "title": { "translations": { "en_us": i.title } },
                    "price_info": { "price": i.price },
                    "suspension_info": { "suspension": { "suspend_until": i.suspend_until } } })
        })
        .collect();
    Json(json!({ "menus": [], "categories": [], "items": items, "modifier_groups": [] })).into_response()
}

async fn put_menu(State(s): Shared, headers: HeaderMap, Path(store): Path<String>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_argument", "body is not JSON");
    };
    if let Err(r) = gate(&s, &headers, "PUT", format!("/v2/eats/stores/{store}/menus"), b.clone()).await {
        return r;
    }
    if let Err(r) = store_ok(&s, &store) {
        return r;
    }
    let (Some(items), Some(_menus), Some(_cats)) =
        (b["items"].as_array(), b["menus"].as_array(), b["categories"].as_array())
    else {
        return error(StatusCode::BAD_REQUEST, "invalid_argument", "menus, categories and items are required");
    };
    let mut st = s.lock();
    if st.ignore_updates {
        return StatusCode::NO_CONTENT.into_response();
    }
    st.items.clear();
    for i in items {
        let id = i["id"].as_str().unwrap_or_default().to_owned();
        let item = UberItem {
            title: i.pointer("/title/translations/en_us").and_then(Value::as_str).unwrap_or_default().into(),
            price: i.pointer("/price_info/price").and_then(Value::as_i64).unwrap_or(0),
            suspend_until: i.pointer("/suspension_info/suspension/suspend_until").and_then(Value::as_i64).unwrap_or(0),
        };
        st.items.insert(id, item);
    }
    st.menu_uploaded = true;
    StatusCode::NO_CONTENT.into_response()
}

async fn update_item(
    State(s): Shared,
    headers: HeaderMap,
    Path((store, item)): Path<(String, String)>,
    Json(b): Json<Value>,
) -> Response {
    if let Err(r) = gate(&s, &headers, "POST", format!("/v2/eats/stores/{store}/menus/items/{item}"), b.clone()).await {
        return r;
    }
    if let Err(r) = store_ok(&s, &store) {
        return r;
    }
    let mut st = s.lock();
    if !st.menu_uploaded || !st.items.contains_key(&item) {
        return error(StatusCode::NOT_FOUND, "not_found", "item not found; upload a menu first");
    }
    if st.ignore_updates {
        return StatusCode::NO_CONTENT.into_response();
    }
    let until = b.pointer("/suspension_info/suspension/suspend_until").and_then(Value::as_i64);
    let price = b.pointer("/price_info/price").and_then(Value::as_i64);
    let entry = st.items.get_mut(&item).unwrap();
    if let Some(u) = until {
        entry.suspend_until = u;
    }
    if let Some(p) = price {
        entry.price = p;
    }
    let applied = (item.clone(), entry.suspend_until, entry.price);
    st.applied.push(applied);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_order(State(s): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&s, &headers, "GET", format!("/v2/eats/order/{id}"), Value::Null).await {
        return r;
    }
    match s.lock().orders.get(&id) {
        Some(o) => Json(o.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "order not found"),
    }
}

async fn accept(State(s): Shared, headers: HeaderMap, Path(id): Path<String>, Json(b): Json<Value>) -> Response {
    if let Err(r) = gate(&s, &headers, "POST", format!("/v1/eats/orders/{id}/accept_pos_order"), b).await {
        return r;
    }
    s.lock().accepted.push(id);
    StatusCode::NO_CONTENT.into_response()
}

async fn deny(State(s): Shared, headers: HeaderMap, Path(id): Path<String>, Json(b): Json<Value>) -> Response {
    if let Err(r) = gate(&s, &headers, "POST", format!("/v1/eats/orders/{id}/deny_pos_order"), b).await {
        return r;
    }
    s.lock().denied.push(id);
    StatusCode::NO_CONTENT.into_response()
}
