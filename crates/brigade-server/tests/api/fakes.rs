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

/// Serves a fake on a free local port; its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

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
    /// The modifier groups of the last menu upload, as sent.
    pub modifier_groups: Vec<Value>,
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
        let base_url = serve(app).await;
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

    /// Puts an order on the platform: lines of (external_data, title, quantity), each
    /// with a "Patty: Double" chosen as words (no external data).
    pub fn place(&self, id: &str, lines: &[(String, &str, i64)]) {
        let items: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(n, (ext, title, qty))| {
                json!({ "id": format!("uber-item-{n}"), "instance_id": format!("inst-{n}"), "title": title,
                        "external_data": ext, "quantity": qty, "price": { "unit_price": { "amount": 1000, "currency_code": "USD" } },
                        "selected_modifier_groups": [{ "title": "Patty", "selected_items": [{ "title": "Double", "quantity": 1 }] }],
                        "special_instructions": if n == 0 { "no onions" } else { "" } })
            })
            .collect();
        self.place_items(id, items);
    }

    /// Puts an order with these cart items (v2 order `cart.items`) on the platform.
    pub fn place_items(&self, id: &str, items: Vec<Value>) {
        let order = json!({
            "id": id, "display_id": &id[..5.min(id.len())].to_uppercase(), "current_state": "CREATED", "type": "DELIVERY_BY_UBER",
            "store": { "id": self.state.lock().store_id },
            "eater": { "first_name": "Ada", "last_name": "L.", "phone": "+1 555 0100" },
            "cart": { "items": items, "special_instructions": "ring twice" },
            "payment": { "charges": { "total": { "amount": 2450, "currency_code": "USD" } } },
        });
        self.state.lock().orders.insert(id.to_owned(), order);
    }

    /// A webhook as Uber sends it, and its `X-Uber-Signature`.
    pub fn webhook(&self, event_id: &str, event_type: &str, order_id: &str) -> (Vec<u8>, String) {
        let body = json!({
            "event_id": event_id, "event_type": event_type, "event_time": 1_700_000_000,
            "meta": { "resource_id": order_id, "status": "pos", "user_id": self.state.lock().store_id },
            "resource_href": format!("{}/v2/eats/order/{order_id}", self.base_url),
        });
        let bytes = serde_json::to_vec(&body).unwrap();
        let sig = brigade_domain::integration::uber_signature(&self.state.lock().client_secret, &bytes);
        (bytes, sig)
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
    Json(json!({ "menus": [], "categories": [], "items": items, "modifier_groups": st.modifier_groups }))
        .into_response()
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
    // Like Uber, refuse a menu whose items name modifier groups it does not have, or
    // whose groups list options that are not items.
    let groups = b["modifier_groups"].as_array().cloned().unwrap_or_default();
    let ids = |v: &[Value]| v.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect::<HashSet<_>>();
    let (group_ids, item_ids) = (ids(&groups), ids(items));
    let dangling_group = items
        .iter()
        .flat_map(|i| i.pointer("/modifier_group_ids/ids").and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
        .any(|g| !group_ids.contains(g));
    let dangling_option = groups
        .iter()
        .flat_map(|g| g["modifier_options"].as_array().into_iter().flatten())
        .filter_map(|o| o["id"].as_str())
        .any(|o| !item_ids.contains(o));
    if dangling_group || dangling_option {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "a modifier group or option is referenced but not defined",
        );
    }
    let mut st = s.lock();
    if st.ignore_updates {
        return StatusCode::NO_CONTENT.into_response();
    }
    st.modifier_groups = groups;
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

// ---------------------------------------------------------------- Stripe

#[derive(Default)]
pub struct StripeState {
    pub secret_key: String,
    pub webhook_secret: String,
    /// Sessions by id, and the answer given for each Idempotency-Key.
    pub sessions: HashMap<String, Value>,
    answered: HashMap<String, Value>,
    pub refunds: Vec<Value>,
    /// The status a new refund is answered with (`succeeded`, `pending`).
    pub refund_status: String,
    /// When set, a refund is refused with this message (Stripe's 400, say a charge
    /// already disputed).
    pub refuse_refunds: Option<String>,
    pub calls: Vec<Call>,
    pub down: bool,
    /// Terminal readers (`tmr_…`), with their `status` and current `action`.
    pub readers: Vec<Value>,
    /// PaymentIntents by id.
    pub intents: HashMap<String, Value>,
}

/// Stripe's API as Brigade uses it: Checkout Sessions, refunds, the balance (for the
/// connection test), with bearer secret keys, form bodies, Idempotency-Key replays and
/// Stripe's error shape; and its webhooks, signed `t=…,v1=…`.
#[derive(Clone)]
pub struct FakeStripe {
    pub state: Arc<Mutex<StripeState>>,
    pub base_url: String,
}

type StripeShared = State<Arc<Mutex<StripeState>>>;

fn stripe_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "type": kind, "message": message } }))).into_response()
}

fn stripe_gate(st: &mut StripeState, headers: &HeaderMap, path: &str, body: Value) -> Result<(), Response> {
    st.calls.push(Call { method: "POST".into(), path: path.into(), body });
    if st.down {
        return Err(stripe_error(StatusCode::SERVICE_UNAVAILABLE, "api_error", "Stripe is unavailable"));
    }
    let key = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if key != Some(st.secret_key.as_str()) {
        return Err(stripe_error(StatusCode::UNAUTHORIZED, "invalid_request_error", "Invalid API Key provided"));
    }
    Ok(())
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let state = Arc::new(Mutex::new(StripeState {
            secret_key: "sk_test_brigade".into(),
            webhook_secret: "whsec_brigade".into(),
            refund_status: "succeeded".into(),
            ..StripeState::default()
        }));
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/refunds", post(create_refund))
            .route("/v1/balance", get(balance))
            .route("/v1/terminal/readers", get(list_readers))
            .route("/v1/payment_intents", post(create_intent))
            .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
            .route("/v1/terminal/readers/{id}/process_payment_intent", post(process_intent))
            .route("/v1/terminal/readers/{id}/cancel_action", post(cancel_action))
            .with_state(state.clone());
        let base_url = serve(app).await;
        FakeStripe { state, base_url }
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "secret_key": s.secret_key, "webhook_secret": s.webhook_secret })
    }

    /// An event as Stripe sends it, signed at `timestamp` with `secret`.
    pub fn event_signed(&self, id: &str, kind: &str, object: Value, timestamp: i64, secret: &str) -> (Vec<u8>, String) {
        let body =
            json!({ "id": id, "object": "event", "type": kind, "created": timestamp, "data": { "object": object } });
        let bytes = serde_json::to_vec(&body).unwrap();
        (bytes.clone(), brigade_domain::integration::timestamped_signature(secret, timestamp, &bytes))
    }

    pub fn event(&self, id: &str, kind: &str, object: Value) -> (Vec<u8>, String) {
        let secret = self.state.lock().webhook_secret.clone();
        self.event_signed(id, kind, object, chrono::Utc::now().timestamp(), &secret)
    }

    /// Registers a Terminal reader (`online` or `offline`).
    pub fn add_reader(&self, id: &str, label: &str, status: &str) {
        self.state.lock().readers.push(json!({
            "id": id, "object": "terminal.reader", "label": label, "status": status,
            "device_type": "bbpos_wisepos_e", "action": null,
        }));
    }

    /// A card presented on a reader, as Stripe's test helper
    /// (`POST /v1/test_helpers/terminal/readers/{id}/present_payment_method`) does it:
    /// `4000000000000002` is declined, any other number is paid. Answers the webhook
    /// event Stripe then sends, signed.
    pub fn present(&self, reader: &str, number: &str) -> (Vec<u8>, String) {
        let (kind, object) = {
            let mut st = self.state.lock();
            let r = st.readers.iter_mut().find(|r| r["id"] == reader).expect("no such reader");
            let pi = r["action"]["process_payment_intent"]["payment_intent"]
                .as_str()
                .expect("the reader is idle")
                .to_owned();
            if number == "4000000000000002" {
                r["action"]["status"] = json!("failed");
                r["action"]["failure_code"] = json!("card_declined");
                r["action"]["failure_message"] = json!("Your card was declined.");
                let reader = r.clone();
                let intent = st.intents.get_mut(&pi).unwrap();
                intent["last_payment_error"] = json!({ "code": "card_declined", "message": "Your card was declined." });
                ("terminal.reader.action_failed", reader)
            } else {
                r["action"]["status"] = json!("succeeded");
                let intent = st.intents.get_mut(&pi).unwrap();
                intent["status"] = json!("succeeded");
                intent["amount_received"] = intent["amount"].clone();
                ("payment_intent.succeeded", intent.clone())
            }
        };
        let id = format!("evt_{}_{}", kind.replace('.', "_"), uuid::Uuid::now_v7().simple());
        self.event(&id, kind, object)
    }
}

async fn list_readers(State(s): StripeShared, headers: HeaderMap) -> Response {
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, "/v1/terminal/readers", Value::Null) {
        return r;
    }
    Json(json!({ "object": "list", "data": st.readers, "has_more": false })).into_response()
}

async fn create_intent(State(s): StripeShared, headers: HeaderMap, body: String) -> Response {
    let f = form(&body);
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, "/v1/payment_intents", json!(f)) {
        return r;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(done) = key.as_ref().and_then(|k| st.answered.get(k)) {
        return Json(done.clone()).into_response();
    }
    let Some(amount) = f.get("amount").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a >= 50) else {
        return stripe_error(StatusCode::BAD_REQUEST, "invalid_request_error", "Amount must be at least $0.50 usd");
    };
    if f.get("payment_method_types[]").map(String::as_str) != Some("card_present") {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "A Terminal payment needs card_present.",
        );
    }
    let id = format!("pi_test_{}", st.intents.len() + 1);
    let intent = json!({
        "id": id, "object": "payment_intent", "amount": amount, "currency": f.get("currency"),
        "status": "requires_payment_method", "payment_method_types": ["card_present"],
        "metadata": { "order_id": f.get("metadata[order_id]"), "payment_id": f.get("metadata[payment_id]") },
    });
    st.intents.insert(id, intent.clone());
    if let Some(k) = key {
        st.answered.insert(k, intent.clone());
    }
    Json(intent).into_response()
}

async fn cancel_intent(State(s): StripeShared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, &format!("/v1/payment_intents/{id}/cancel"), Value::Null) {
        return r;
    }
    let Some(intent) = st.intents.get_mut(&id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such payment_intent: '{id}'"),
        );
    };
    if intent["status"] == "succeeded" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "You cannot cancel this PaymentIntent because it has a status of succeeded.",
        );
    }
    intent["status"] = json!("canceled");
    Json(intent.clone()).into_response()
}

fn reader_error(code: &str, message: &str) -> Response {
    let body = json!({ "error": { "type": "invalid_request_error", "code": code, "message": message } });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

async fn process_intent(State(s): StripeShared, headers: HeaderMap, Path(id): Path<String>, body: String) -> Response {
    let f = form(&body);
    let mut st = s.lock();
    let path = format!("/v1/terminal/readers/{id}/process_payment_intent");
    if let Err(r) = stripe_gate(&mut st, &headers, &path, json!(f)) {
        return r;
    }
    let pi = f.get("payment_intent").cloned().unwrap_or_default();
    if !st.intents.contains_key(&pi) {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("No such payment_intent: '{pi}'"),
        );
    }
    let Some(reader) = st.readers.iter_mut().find(|r| r["id"] == id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such terminal.reader: '{id}'"),
        );
    };
    if reader["status"] == "offline" {
        return reader_error(
            "terminal_reader_offline",
            "Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.",
        );
    }
    if reader["action"]["status"] == "in_progress"
        && reader["action"]["process_payment_intent"]["payment_intent"] != pi.as_str()
    {
        return reader_error(
            "terminal_reader_busy",
            "Reader is currently busy processing another request, please retry after the current request has completed.",
        );
    }
    reader["action"] = json!({
        "type": "process_payment_intent", "status": "in_progress", "failure_code": null, "failure_message": null,
        "process_payment_intent": { "payment_intent": pi },
    });
    Json(reader.clone()).into_response()
}

async fn cancel_action(State(s): StripeShared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, &format!("/v1/terminal/readers/{id}/cancel_action"), Value::Null) {
        return r;
    }
    let Some(reader) = st.readers.iter_mut().find(|r| r["id"] == id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("No such terminal.reader: '{id}'"),
        );
    };
    if reader["action"]["status"] != "in_progress" {
        return reader_error("terminal_reader_action_not_found", "This reader has no action in progress to cancel.");
    }
    reader["action"] = Value::Null;
    Json(reader.clone()).into_response()
}

async fn create_session(State(s): StripeShared, headers: HeaderMap, body: String) -> Response {
    let f = form(&body);
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, "/v1/checkout/sessions", json!(f)) {
        return r;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(done) = key.as_ref().and_then(|k| st.answered.get(k)) {
        // Stripe refuses a key reused with other parameters.
        if done["success_url"] != json!(f.get("success_url")) {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            );
        }
        return Json(done.clone()).into_response();
    }
    for needed in ["mode", "success_url", "cancel_url", "line_items[0][price_data][unit_amount]"] {
        if !f.contains_key(needed) {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("Missing required param: {needed}."),
            );
        }
    }
    let id = format!("cs_test_{}", st.sessions.len() + 1);
    let session = json!({
        "id": id, "object": "checkout.session", "url": format!("https://checkout.stripe.test/c/pay/{id}"),
        "mode": f["mode"], "status": "open", "payment_status": "unpaid", "payment_intent": null,
        "amount_total": f["line_items[0][price_data][unit_amount]"].parse::<i64>().unwrap_or(0),
        "currency": f.get("line_items[0][price_data][currency]"), "client_reference_id": f.get("client_reference_id"),
        "metadata": { "order_id": f.get("metadata[order_id]") }, "success_url": f.get("success_url"),
    });
    st.sessions.insert(id, session.clone());
    if let Some(k) = key {
        st.answered.insert(k, session.clone());
    }
    Json(session).into_response()
}

async fn create_refund(State(s): StripeShared, headers: HeaderMap, body: String) -> Response {
    let f = form(&body);
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, "/v1/refunds", json!(f)) {
        return r;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(done) = key.as_ref().and_then(|k| st.answered.get(k)) {
        return Json(done.clone()).into_response();
    }
    let Some(pi) = f.get("payment_intent").filter(|p| p.starts_with("pi_")) else {
        return stripe_error(StatusCode::BAD_REQUEST, "invalid_request_error", "No such payment_intent");
    };
    if let Some(why) = &st.refuse_refunds {
        return stripe_error(StatusCode::BAD_REQUEST, "invalid_request_error", why);
    }
    let refund = json!({ "id": format!("re_{}", st.refunds.len() + 1), "object": "refund", "payment_intent": pi, "status": st.refund_status });
    st.refunds.push(refund.clone());
    if let Some(k) = key {
        st.answered.insert(k, refund.clone());
    }
    Json(refund).into_response()
}

async fn balance(State(s): StripeShared, headers: HeaderMap) -> Response {
    let mut st = s.lock();
    if let Err(r) = stripe_gate(&mut st, &headers, "/v1/balance", Value::Null) {
        return r;
    }
    Json(json!({ "object": "balance", "livemode": false, "available": [{ "amount": 0, "currency": "usd" }] }))
        .into_response()
}

// ---------------------------------------------------------------- a webhook receiver

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub struct ReceiverState {
    pub received: Vec<Received>,
    /// Statuses to answer the next requests with (200 once empty).
    pub answers: VecDeque<u16>,
}

/// Somebody's endpoint for Brigade's outgoing webhooks.
#[derive(Clone)]
pub struct Receiver {
    pub state: Arc<Mutex<ReceiverState>>,
    pub url: String,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = Router::new().route("/hooks", post(receive)).with_state(state.clone());
        let url = format!("{}/hooks", serve(app).await);
        Receiver { state, url }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().received.clone()
    }
}

async fn receive(State(s): State<Arc<Mutex<ReceiverState>>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut st = s.lock();
    let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    st.received.push(Received { headers, body: body.to_vec() });
    let code = st.answers.pop_front().unwrap_or(200);
    (StatusCode::from_u16(code).unwrap(), format!("answered {code}")).into_response()
}

// ---------------------------------------------------------------- DoorDash

#[derive(Default)]
pub struct DoorDashState {
    pub developer_id: String,
    pub key_id: String,
    pub signing_secret: String,
    pub webhook_token: String,
    pub store_id: String,
    /// The store's menu once uploaded, and its id.
    pub menu: Option<(String, Value)>,
    /// Item suspensions applied, in order: (merchant_supplied_id, is_active).
    pub statuses: Vec<(String, bool)>,
    pub store_active: bool,
    /// Order confirmations: (order id, body).
    pub confirmations: Vec<(String, Value)>,
    pub calls: Vec<Call>,
    pub down: bool,
    pub fail_next: VecDeque<u16>,
}

/// DoorDash's Marketplace API as Brigade uses it: DD-JWT-V1 tokens checked on every call,
/// menus created then patched, item suspensions, store status, order confirmations.
#[derive(Clone)]
pub struct FakeDoorDash {
    pub state: Arc<Mutex<DoorDashState>>,
    pub base_url: String,
}

type DdShared = State<Arc<Mutex<DoorDashState>>>;

fn dd_gate(
    st: &mut DoorDashState,
    headers: &HeaderMap,
    method: &str,
    path: String,
    body: Value,
) -> Result<(), Response> {
    st.calls.push(Call { method: method.into(), path, body });
    if st.down {
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "service_fault", "try again later"));
    }
    if let Some(code) = st.fail_next.pop_front() {
        let mut res = error(StatusCode::from_u16(code).unwrap(), "request_rate_limited", "failing on purpose");
        if code == 429 {
            res.headers_mut().insert("retry-after", "1".parse().unwrap());
        }
        return Err(res);
    }
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let ok = token.is_some_and(|t| {
        brigade_domain::integration::verify_doordash_jwt(
            t,
            &st.developer_id,
            &st.key_id,
            &st.signing_secret,
            chrono::Utc::now().timestamp(),
        )
    });
    if !ok {
        return Err(error(StatusCode::UNAUTHORIZED, "authentication_error", "The JWT is invalid or expired"));
    }
    Ok(())
}

impl FakeDoorDash {
    pub async fn start(store_id: &str) -> FakeDoorDash {
        let state = Arc::new(Mutex::new(DoorDashState {
            developer_id: "dev-brigade".into(),
            key_id: "key-1".into(),
            signing_secret: "ZG9vcmRhc2gtc2lnbmluZy1zZWNyZXQ".into(),
            webhook_token: "dd-webhook-token".into(),
            store_id: store_id.into(),
            store_active: true,
            ..DoorDashState::default()
        }));
        let app = Router::new()
            .route("/api/v1/stores/{store}/store_details", get(dd_store_details))
            .route("/api/v1/stores/{store}/menu_details", get(dd_menu_details))
            .route("/api/v1/stores/{store}/items/status", axum::routing::patch(dd_item_status))
            .route("/api/v1/stores/{store}/status", axum::routing::put(dd_store_status))
            .route("/api/v1/menus", post(dd_create_menu))
            .route("/api/v1/menus/{id}", axum::routing::patch(dd_update_menu))
            .route("/api/v1/orders/{id}", axum::routing::patch(dd_confirm))
            .with_state(state.clone());
        let base_url = serve(app).await;
        FakeDoorDash { state, base_url }
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "developer_id": s.developer_id, "key_id": s.key_id, "signing_secret": s.signing_secret, "webhook_token": s.webhook_token })
    }

    /// An `OrderCreate` webhook body: lines of (merchant_supplied_id, name, quantity).
    pub fn order_webhook(&self, id: &str, lines: &[(String, &str, i64)]) -> Vec<u8> {
        let items: Vec<Value> = lines
            .iter()
            .map(|(ext, name, qty)| json!({ "merchant_supplied_id": ext, "name": name, "quantity": qty, "price": 900, "extras": [] }))
            .collect();
        let body = json!({
            "event": { "type": "OrderCreate", "status": "NEW" },
            "order": { "id": id, "store_order_cart_id": "4242", "is_pickup": false, "subtotal": 1800, "tax": 144,
                       "consumer": { "first_name": "Grace", "last_name": "H.", "phone": "+1 555 0101" },
                       "store": { "merchant_supplied_id": self.state.lock().store_id },
                       "categories": [{ "merchant_supplied_id": "cat", "name": "Mains", "items": items }] }
        });
        serde_json::to_vec(&body).unwrap()
    }

    /// The uploaded menu's items: (merchant_supplied_id, price).
    pub fn menu_items(&self) -> Vec<(String, i64)> {
        let st = self.state.lock();
        let Some((_, menu)) = &st.menu else { return Vec::new() };
        menu["menu"]["categories"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["items"].as_array().cloned().unwrap_or_default())
            .map(|i| (i["merchant_supplied_id"].as_str().unwrap().to_owned(), i["price"].as_i64().unwrap()))
            .collect()
    }
}

fn dd_store_ok(st: &DoorDashState, store: &str) -> Result<(), Response> {
    if st.store_id == store {
        Ok(())
    } else {
        Err(error(StatusCode::NOT_FOUND, "unknown_store", "store not found"))
    }
}

async fn dd_store_details(State(s): DdShared, headers: HeaderMap, Path(store): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "GET", format!("/stores/{store}/store_details"), Value::Null)
        .and_then(|_| dd_store_ok(&st, &store))
    {
        return r;
    }
    Json(json!({ "store": { "merchant_supplied_id": store, "is_active": st.store_active } })).into_response()
}

async fn dd_menu_details(State(s): DdShared, headers: HeaderMap, Path(store): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "GET", format!("/stores/{store}/menu_details"), Value::Null)
        .and_then(|_| dd_store_ok(&st, &store))
    {
        return r;
    }
    let menus: Vec<Value> = st.menu.iter().map(|(id, _)| json!({ "menu_id": id, "is_active": true })).collect();
    Json(json!({ "menus": menus })).into_response()
}

async fn dd_item_status(
    State(s): DdShared,
    headers: HeaderMap,
    Path(store): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "PATCH", format!("/stores/{store}/items/status"), b.clone())
        .and_then(|_| dd_store_ok(&st, &store))
    {
        return r;
    }
    let Some(list) = b.as_array() else {
        return error(StatusCode::BAD_REQUEST, "validation_error", "an array of items");
    };
    for i in list {
        let (Some(id), Some(active)) = (i["merchant_supplied_id"].as_str(), i["is_active"].as_bool()) else {
            return error(StatusCode::BAD_REQUEST, "validation_error", "merchant_supplied_id and is_active");
        };
        st.statuses.push((id.to_owned(), active));
    }
    Json(json!(list
        .iter()
        .map(|i| json!({ "merchant_supplied_id": i["merchant_supplied_id"], "response": "Success" }))
        .collect::<Vec<_>>()))
    .into_response()
}

async fn dd_store_status(
    State(s): DdShared,
    headers: HeaderMap,
    Path(store): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "PUT", format!("/stores/{store}/status"), b.clone())
        .and_then(|_| dd_store_ok(&st, &store))
    {
        return r;
    }
    match (b["is_active"].as_bool(), b["reason"].as_str()) {
        (Some(true), _) => st.store_active = true,
        (Some(false), Some(_)) => st.store_active = false,
        _ => return error(StatusCode::BAD_REQUEST, "validation_error", "is_active, and a reason to deactivate"),
    }
    StatusCode::OK.into_response()
}

async fn dd_create_menu(State(s): DdShared, headers: HeaderMap, Json(b): Json<Value>) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "POST", "/menus".into(), b.clone()) {
        return r;
    }
    if b["store"]["merchant_supplied_id"].as_str() != Some(st.store_id.as_str()) {
        return error(StatusCode::BAD_REQUEST, "validation_error", "unknown store");
    }
    let id = "dd-menu-1".to_owned();
    st.menu = Some((id.clone(), b));
    Json(json!({ "id": id, "status": "QUEUED" })).into_response()
}

async fn dd_update_menu(
    State(s): DdShared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "PATCH", format!("/menus/{id}"), b.clone()) {
        return r;
    }
    match &st.menu {
        Some((known, _)) if *known == id => {
            st.menu = Some((id, b));
            Json(json!({ "status": "QUEUED" })).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "unknown_menu", "menu not found"),
    }
}

async fn dd_confirm(State(s): DdShared, headers: HeaderMap, Path(id): Path<String>, Json(b): Json<Value>) -> Response {
    let mut st = s.lock();
    if let Err(r) = dd_gate(&mut st, &headers, "PATCH", format!("/orders/{id}"), b.clone()) {
        return r;
    }
    if !matches!(b["order_status"].as_str(), Some("success" | "fail")) {
        return error(StatusCode::BAD_REQUEST, "validation_error", "order_status is success or fail");
    }
    st.confirmations.push((id, b));
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------- Square

#[derive(Default)]
pub struct SquareState {
    pub access_token: String,
    pub signature_key: String,
    pub location_id: String,
    /// Catalog objects, served two to a page.
    pub catalog: Vec<Value>,
    pub orders: HashMap<String, Value>,
    pub calls: Vec<Call>,
    pub down: bool,
}

/// Square's API as Brigade uses it: bearer access tokens with `Square-Version`, the
/// catalog in cursor pages, locations, orders; its webhooks signed over URL + body.
#[derive(Clone)]
pub struct FakeSquare {
    pub state: Arc<Mutex<SquareState>>,
    pub base_url: String,
}

type SqShared = State<Arc<Mutex<SquareState>>>;

fn sq_gate(st: &mut SquareState, headers: &HeaderMap, path: String) -> Result<(), Response> {
    st.calls.push(Call { method: "GET".into(), path, body: Value::Null });
    if st.down {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "errors": [{ "category": "API_ERROR", "code": "SERVICE_UNAVAILABLE" }] })),
        )
            .into_response());
    }
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if token != Some(st.access_token.as_str()) || headers.get("square-version").is_none() {
        return Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": [{ "category": "AUTHENTICATION_ERROR", "code": "UNAUTHORIZED" }] })),
        )
            .into_response());
    }
    Ok(())
}

impl FakeSquare {
    pub async fn start(location_id: &str) -> FakeSquare {
        let state = Arc::new(Mutex::new(SquareState {
            access_token: "EAAA-square-token".into(),
            signature_key: "square-signature-key".into(),
            location_id: location_id.into(),
            ..SquareState::default()
        }));
        let app = Router::new()
            .route("/v2/catalog/list", get(sq_catalog))
            .route("/v2/locations/{id}", get(sq_location))
            .route("/v2/orders/{id}", get(sq_order))
            .with_state(state.clone());
        let base_url = serve(app).await;
        FakeSquare { state, base_url }
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "access_token": s.access_token, "signature_key": s.signature_key })
    }

    /// A webhook as Square sends it to `url`, and its signature.
    pub fn webhook(&self, url: &str, event_id: &str, kind: &str, data: Value) -> (Vec<u8>, String) {
        let body = json!({ "merchant_id": "M1", "type": kind, "event_id": event_id, "created_at": "2026-11-23T12:00:00Z", "data": data });
        let bytes = serde_json::to_vec(&body).unwrap();
        let sig = brigade_domain::integration::square_signature(&self.state.lock().signature_key, url, &bytes);
        (bytes, sig)
    }
}

async fn sq_catalog(
    State(s): SqShared,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = sq_gate(&mut st, &headers, "/v2/catalog/list".into()) {
        return r;
    }
    let from: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = st.catalog.iter().skip(from).take(2).cloned().collect();
    let mut out = json!({ "objects": page });
    if from + 2 < st.catalog.len() {
        out["cursor"] = json!((from + 2).to_string());
    }
    Json(out).into_response()
}

async fn sq_location(State(s): SqShared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = sq_gate(&mut st, &headers, format!("/v2/locations/{id}")) {
        return r;
    }
    if id != st.location_id {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "errors": [{ "category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND" }] })),
        )
            .into_response();
    }
    Json(json!({ "location": { "id": id, "name": "Main Street", "status": "ACTIVE" } })).into_response()
}

async fn sq_order(State(s): SqShared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let mut st = s.lock();
    if let Err(r) = sq_gate(&mut st, &headers, format!("/v2/orders/{id}")) {
        return r;
    }
    match st.orders.get(&id) {
        Some(o) => Json(json!({ "order": o })).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "errors": [{ "code": "NOT_FOUND" }] }))).into_response(),
    }
}

// ---------------------------------------------------------------- Grubhub

#[derive(Default)]
pub struct GrubhubState {
    pub client_id: String,
    pub secret_key: String,
    pub partner_key: String,
    pub webhook_token: String,
    pub merchant_id: String,
    /// Items hidden now, by external id.
    pub hidden: HashSet<String>,
    /// Every override operation applied: (external id, op).
    pub ops: Vec<(String, String)>,
    pub orders: HashMap<String, Value>,
    /// Status updates: (order uuid, status).
    pub statuses: Vec<(String, String)>,
    pub calls: Vec<Call>,
    /// Statuses to answer the next calls with (5xx bursts, 429s with Retry-After: 1).
    pub fail_next: VecDeque<u16>,
}

/// Grubhub's POS partner API as Brigade uses it: every call's MAC checked over method,
/// URI, host, port and body hash, with the partner key; schedule overrides by external
/// id; orders read and their status set.
#[derive(Clone)]
pub struct FakeGrubhub {
    pub state: Arc<Mutex<GrubhubState>>,
    pub base_url: String,
}

type GhShared = State<Arc<Mutex<GrubhubState>>>;

fn gh_gate(
    st: &mut GrubhubState,
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Response> {
    let path = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    st.calls.push(Call {
        method: method.into(),
        path: path.clone(),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    });
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (h, port) = host.split_once(':').map(|(h, p)| (h, p.parse().unwrap_or(80))).unwrap_or((host, 80));
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let ok =
        brigade_domain::integration::verify_grubhub_authorization(auth, &st.secret_key, method, &path, h, port, body)
            .is_some_and(|id| id == format!("sv:v1:{}", st.client_id))
            && headers.get("x-gh-partner-key").and_then(|v| v.to_str().ok()) == Some(st.partner_key.as_str());
    if !ok {
        return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "MAC authentication failed"));
    }
    if let Some(code) = st.fail_next.pop_front() {
        let mut res = error(StatusCode::from_u16(code).unwrap(), "unavailable", "failing on purpose");
        if code == 429 {
            res.headers_mut().insert("retry-after", "1".parse().unwrap());
        }
        return Err(res);
    }
    Ok(())
}

impl FakeGrubhub {
    pub async fn start(merchant_id: &str) -> FakeGrubhub {
        let state = Arc::new(Mutex::new(GrubhubState {
            client_id: "76529290-50af-11e5-bb6b-a737f7aae142".into(),
            secret_key: "UFBGOVpDbGE5ODcvNXRBYjExS1JsUQ==".into(),
            partner_key: "GbxHMKaYEeySYC8iz20QaA".into(),
            webhook_token: "gh-webhook-token".into(),
            merchant_id: merchant_id.into(),
            ..GrubhubState::default()
        }));
        let app = Router::new()
            .route("/pos/v1/merchant/{m}/menu/schedules/overrides/external", axum::routing::patch(gh_overrides))
            .route("/pos/v1/merchant/{m}/menu/schedules/overrides", get(gh_list_overrides))
            .route("/pos/v1/merchant/{m}/orders/{id}", get(gh_order))
            .route("/pos/v1/merchant/{m}/orders/{id}/status", axum::routing::put(gh_status))
            .with_state(state.clone());
        let base_url = serve(app).await;
        FakeGrubhub { state, base_url }
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "client_id": s.client_id, "secret_key": s.secret_key, "partner_key": s.partner_key, "webhook_token": s.webhook_token })
    }
}

async fn gh_overrides(
    State(s): GhShared,
    Path(m): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = gh_gate(&mut st, "PATCH", &uri, &headers, &body) {
        return r;
    }
    if m != st.merchant_id {
        return error(StatusCode::NOT_FOUND, "not_found", "merchant not found");
    }
    let Ok(Value::Array(ops)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "bad_request", "a list of PosScheduleOverrideBulkRequest");
    };
    for op in ops {
        let kind = op["schedule_override"]["op"].as_str().unwrap_or_default().to_owned();
        for id in op["entity_ids"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            match (kind.as_str(), op["schedule_override"]["show_or_hide"].as_str()) {
                ("ADD", Some("HIDE")) => {
                    st.hidden.insert(id.to_owned());
                }
                ("DELETE", _) => {
                    st.hidden.remove(id);
                }
                _ => return error(StatusCode::BAD_REQUEST, "bad_request", "unknown override operation"),
            }
            st.ops.push((id.to_owned(), kind.clone()));
        }
    }
    Json(json!({ "status": "QUEUED", "message": "Menu entity schedule override operation is queued." })).into_response()
}

async fn gh_list_overrides(State(s): GhShared, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let mut st = s.lock();
    if let Err(r) = gh_gate(&mut st, "GET", &uri, &headers, b"") {
        return r;
    }
    let items: Vec<Value> =
        st.hidden.iter().map(|id| json!({ "external_id": id, "intervals": [{ "show_or_hide": "HIDE" }] })).collect();
    Json(json!({ "merchant_id": st.merchant_id, "item_overrides": items })).into_response()
}

async fn gh_order(
    State(s): GhShared,
    Path((_m, id)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = gh_gate(&mut st, "GET", &uri, &headers, b"") {
        return r;
    }
    match st.orders.get(&id) {
        Some(o) => Json(o.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "order not found"),
    }
}

async fn gh_status(
    State(s): GhShared,
    Path((_m, id)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = s.lock();
    if let Err(r) = gh_gate(&mut st, "PUT", &uri, &headers, &body) {
        return r;
    }
    let status = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b["status"].as_str().map(str::to_owned))
        .unwrap_or_default();
    st.statuses.push((id, status));
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------- an OpenAI-compatible model

/// What the fake model says next.
#[derive(Debug, Clone)]
pub enum LlmAnswer {
    /// Calls these tools (name, arguments as an object; sent as a JSON string, as OpenAI does).
    Calls(Vec<(String, Value)>),
    Words(String),
    /// An error status with OpenAI's error body (`Retry-After` on 429).
    Error(u16),
    /// Answers only after this long.
    Slow(Duration),
}

#[derive(Default)]
pub struct LlmState {
    pub api_key: String,
    pub answers: VecDeque<LlmAnswer>,
    /// Each request's body, as received.
    pub requests: Vec<Value>,
}

/// `POST /v1/chat/completions` as OpenAI's API speaks it: bearer auth, tool calls with
/// JSON-string arguments, `{"error": {...}}` bodies, 429 with `Retry-After`.
#[derive(Clone)]
pub struct FakeLlm {
    pub state: Arc<Mutex<LlmState>>,
    pub base_url: String,
}

impl FakeLlm {
    pub async fn start() -> FakeLlm {
        let state = Arc::new(Mutex::new(LlmState { api_key: "sk-test-llm".into(), ..LlmState::default() }));
        let app = Router::new().route("/v1/chat/completions", post(chat)).with_state(state.clone());
        let base_url = format!("{}/v1", serve(app).await);
        FakeLlm { state, base_url }
    }

    pub fn answer(&self, a: LlmAnswer) {
        self.state.lock().answers.push_back(a);
    }
}

async fn chat(State(s): State<Arc<Mutex<LlmState>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let (key, answer) = {
        let mut st = s.lock();
        st.requests.push(body.clone());
        (st.api_key.clone(), st.answers.pop_front())
    };
    let err = |code: StatusCode, kind: &str, message: &str| {
        (code, Json(json!({ "error": { "message": message, "type": kind, "param": null, "code": kind } })))
            .into_response()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {key}")) {
        return err(StatusCode::UNAUTHORIZED, "invalid_api_key", "Incorrect API key provided");
    }
    if body.get("model").and_then(Value::as_str).is_none() || body.get("messages").and_then(Value::as_array).is_none() {
        return err(StatusCode::BAD_REQUEST, "invalid_request_error", "model and messages are required");
    }
    let message = match answer {
        Some(LlmAnswer::Slow(d)) => {
            tokio::time::sleep(d).await;
            json!({ "role": "assistant", "content": "too late" })
        }
        Some(LlmAnswer::Error(429)) => {
            let mut r = err(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Rate limit reached");
            r.headers_mut().insert("retry-after", "20".parse().unwrap());
            return r;
        }
        Some(LlmAnswer::Error(code)) => {
            return err(StatusCode::from_u16(code).unwrap(), "server_error", "The server had an error");
        }
        Some(LlmAnswer::Words(w)) => json!({ "role": "assistant", "content": w }),
        Some(LlmAnswer::Calls(calls)) => {
            let tool_calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({ "id": format!("call_{i}"), "type": "function",
                            "function": { "name": name, "arguments": args.to_string() } })
                })
                .collect();
            json!({ "role": "assistant", "content": null, "tool_calls": tool_calls })
        }
        None => json!({ "role": "assistant", "content": "I have nothing scripted." }),
    };
    let finish = if message.get("tool_calls").is_some() { "tool_calls" } else { "stop" };
    Json(json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": body["model"],
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
        "usage": { "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 },
    }))
    .into_response()
}

// ---------------------------------------------------------------- Twilio

/// A text as the fake took it.
#[derive(Debug, Clone)]
pub struct Text {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
}

#[derive(Default)]
pub struct TwilioState {
    /// Where the public base URL Brigade signs webhooks for is reached from here (the
    /// test server's own address): (public, actual).
    pub route: Option<(String, String)>,
    /// How long each voice webhook took to answer, in milliseconds.
    pub voice_ms: Vec<f64>,
    pub account_sid: String,
    pub auth_token: String,
    pub sent: Vec<Text>,
    pub calls: Vec<Call>,
    /// Statuses to answer the next sends with (429 with Twilio's code 20429, 5xx).
    pub fail_next: VecDeque<u16>,
    /// Numbers that replied STOP to the account: a send to one is error 21610.
    pub unsubscribed: HashSet<String>,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub state: Arc<Mutex<TwilioState>>,
    pub base_url: String,
}

type TwilioShared = State<Arc<Mutex<TwilioState>>>;

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
fn twilio_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({ "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status.as_u16() });
    (status, Json(body)).into_response()
}

/// HTTP Basic with the account SID and auth token, or 401 (Twilio's 20003).
fn twilio_auth(st: &TwilioState, headers: &HeaderMap, sid: &str) -> Result<(), Response> {
    use base64::Engine;
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
    let want = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", st.account_sid, st.auth_token));
    if given != Some(want.as_str()) || sid != st.account_sid {
        return Err(twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    }
    Ok(())
}

async fn twilio_send(
    State(st): TwilioShared,
    Path(file): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sid = file.0;
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let mut st = st.lock();
    st.calls.push(Call { method: "POST".into(), path: format!("/Accounts/{sid}/{}", file.1), body: json!(form) });
    if let Err(r) = twilio_auth(&st, &headers, &sid) {
        return r;
    }
    if let Some(status) = st.fail_next.pop_front() {
        let code = if status == 429 { 20429 } else { 20500 };
        let mut r = twilio_error(StatusCode::from_u16(status).unwrap(), code, "Too Many Requests");
        if status == 429 {
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
        }
        return r;
    }
    let (Some(to), Some(from), Some(text)) = (form.get("To"), form.get("From"), form.get("Body")) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number, a 'From' and a 'Body' are required.",
        );
    };
    if !to.starts_with('+') {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if st.unsubscribed.contains(to) {
        return twilio_error(StatusCode::BAD_REQUEST, 21610, "Attempt to send to unsubscribed recipient");
    }
    let sid = format!("SM{:032x}", uuid::Uuid::new_v4().as_u128());
    st.sent.push(Text { sid: sid.clone(), to: to.clone(), from: from.clone(), body: text.clone() });
    let body = json!({ "sid": sid, "status": "queued", "to": to, "from": from, "body": text, "num_segments": "1", "direction": "outbound-api" });
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn twilio_account(State(st): TwilioShared, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let sid = file.trim_end_matches(".json").to_owned();
    let st = st.lock();
    if let Err(r) = twilio_auth(&st, &headers, &sid) {
        return r;
    }
    Json(json!({ "sid": sid, "friendly_name": "Brigade test account", "status": "active", "type": "Full" }))
        .into_response()
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        let state = Arc::new(Mutex::new(TwilioState {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: "twilio-auth-token".into(),
            ..TwilioState::default()
        }));
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/{file}", post(twilio_send))
            .route("/2010-04-01/Accounts/{file}", get(twilio_account))
            .with_state(state.clone());
        let base_url = serve(app).await;
        FakeTwilio { state, base_url }
    }

    pub fn credentials(&self) -> Value {
        let s = self.state.lock();
        json!({ "account_sid": s.account_sid, "auth_token": s.auth_token })
    }

    pub fn sent(&self) -> Vec<Text> {
        self.state.lock().sent.clone()
    }

    /// A guest's text to the restaurant's number as Twilio posts it to the webhook `url`:
    /// the form body and its `X-Twilio-Signature`.
    pub fn inbound(&self, url: &str, from: &str, to: &str, text: &str) -> (Vec<u8>, String) {
        let params: Vec<(String, String)> = [
            ("MessageSid", format!("SM{:032x}", uuid::Uuid::new_v4().as_u128())),
            ("AccountSid", self.state.lock().account_sid.clone()),
            ("From", from.to_owned()),
            ("To", to.to_owned()),
            ("Body", text.to_owned()),
            ("NumMedia", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        let token = self.state.lock().auth_token.clone();
        (body.into_bytes(), brigade_domain::integration::twilio_signature(&token, url, &params))
    }
}

// ---------------------------------------------------------------- Twilio voice

/// One verb of a TwiML answer, as Twilio reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Verb {
    Say(String),
    /// Listen, then post what was heard to `action`; the `Say`s inside are said first.
    Gather {
        action: String,
        says: Vec<String>,
    },
    Dial(String),
    Hangup,
}

/// Reads a TwiML document into its verbs.
pub fn twiml(xml: &str) -> Vec<Verb> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut verbs = Vec::new();
    let mut gather: Option<(String, Vec<String>)> = None;
    let mut text = String::new();
    loop {
        match reader.read_event().expect("TwiML is XML") {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "Gather" {
                    let action = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"action")
                        .map(|a| a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned())
                        .expect("a Gather has an action");
                    gather = Some((action, Vec::new()));
                } else {
                    text.clear();
                }
            }
            Event::Empty(e) if e.name().as_ref() == b"Hangup" => verbs.push(Verb::Hangup),
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                text.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" | "#39" => "'",
                    other => panic!("an entity TwiML would not have: {other}"),
                });
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match name.as_str() {
                    "Gather" => {
                        let (action, says) = gather.take().unwrap();
                        verbs.push(Verb::Gather { action, says });
                    }
                    "Say" => match &mut gather {
                        Some((_, says)) => says.push(text.clone()),
                        None => verbs.push(Verb::Say(text.clone())),
                    },
                    "Dial" => verbs.push(Verb::Dial(text.clone())),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    verbs
}

/// How a call the fake made went.
#[derive(Debug, Default)]
pub struct CallRecord {
    pub sid: String,
    /// Everything the agent said, in order.
    pub heard: Vec<String>,
    pub dialed: Option<String>,
    pub hung_up: bool,
    /// The caller's lines it did not get to say.
    pub unsaid: usize,
}

impl CallRecord {
    pub fn said(&self, words: &str) -> bool {
        self.heard.iter().any(|h| h.contains(words))
    }
}

impl FakeTwilio {
    /// Signs a webhook as Twilio does: the URL, then each parameter's name and value.
    pub fn signed(&self, url: &str, params: &[(String, String)]) -> (Vec<u8>, String) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let token = self.state.lock().auth_token.clone();
        (body.into_bytes(), brigade_domain::integration::twilio_signature(&token, url, params))
    }

    fn call_params(&self, sid: &str, from: &str, to: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = vec![
            ("AccountSid".into(), self.state.lock().account_sid.clone()),
            ("ApiVersion".into(), "2010-04-01".into()),
            ("CallSid".into(), sid.to_owned()),
            ("CallStatus".into(), "in-progress".into()),
            ("Direction".into(), "inbound".into()),
            ("From".into(), from.to_owned()),
            ("To".into(), to.to_owned()),
        ];
        p.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        p
    }

    /// Posts one signed voice webhook and returns the TwiML answer.
    pub async fn post_voice(&self, url: &str, params: &[(String, String)]) -> (u16, String) {
        let (body, sig) = self.signed(url, params);
        let route = self.state.lock().route.clone();
        let to = match route {
            Some((public, actual)) => url.replacen(&public, &actual, 1),
            None => url.to_owned(),
        };
        let started = std::time::Instant::now();
        let r = reqwest::Client::new()
            .post(to)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        self.state.lock().voice_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        (status, text)
    }

    /// Calls `to` from `from` through the webhook `hook` and follows the TwiML the way
    /// Twilio does: says what it is told, answers each `Gather` with the caller's next
    /// line (an empty line is silence), stops at `Dial` or `Hangup`, or when the
    /// caller has nothing more to say (they hang up: the status callback says so).
    pub async fn phone(&self, hook: &str, from: &str, to: &str, caller: &[&str]) -> CallRecord {
        let sid = format!("CA{:032x}", uuid::Uuid::new_v4().as_u128());
        let mut record = CallRecord { sid: sid.clone(), ..Default::default() };
        let (status, mut xml) =
            self.post_voice(hook, &self.call_params(&sid, from, to, &[("CallStatus", "ringing")])).await;
        assert_eq!(status, 200, "{xml}");
        let mut lines = caller.iter();
        'call: loop {
            let mut next = None;
            for verb in twiml(&xml) {
                match verb {
                    Verb::Say(s) => record.heard.push(s),
                    Verb::Gather { action, says } => {
                        record.heard.extend(says);
                        next = Some(action);
                        break;
                    }
                    Verb::Dial(n) => {
                        record.dialed = Some(n);
                        break 'call;
                    }
                    Verb::Hangup => {
                        record.hung_up = true;
                        break 'call;
                    }
                }
            }
            let Some(action) = next else { break };
            let Some(line) = lines.next() else { break };
            let speech: &[(&str, &str)] =
                if line.is_empty() { &[] } else { &[("SpeechResult", line), ("Confidence", "0.92")] };
            let (status, answer) = self.post_voice(&action, &self.call_params(&sid, from, to, speech)).await;
            assert_eq!(status, 200, "{answer}");
            xml = answer;
        }
        record.unsaid = lines.count();
        record
    }
}

// ---------------------------------------------------------------- SMTP

/// An email as the fake relay took it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-unstuffed).
    pub data: String,
}

#[derive(Default)]
pub struct SmtpState {
    pub mails: Vec<Mail>,
    /// Replies to give the next RCPT commands instead of 250 (451 for later, 550 final).
    pub reject_next: VecDeque<u16>,
}

/// A local SMTP relay (RFC 5321's commands, no TLS, no auth) a test starts.
#[derive(Clone)]
pub struct FakeSmtp {
    pub state: Arc<Mutex<SmtpState>>,
    pub url: String,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(SmtpState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 fake.smtp ESMTP ready\r\n").await;
                    let (mut from, mut to) = (String::new(), Vec::new());
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_uppercase();
                        let reply: String = if upper.starts_with("EHLO") {
                            "250-fake.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8".into()
                        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") || upper.starts_with("RSET") {
                            "250 OK".into()
                        } else if upper.starts_with("MAIL FROM:") {
                            from = line[10..].trim().trim_matches(['<', '>']).to_owned();
                            to.clear();
                            "250 OK".into()
                        } else if upper.starts_with("RCPT TO:") {
                            match state.lock().reject_next.pop_front() {
                                Some(451) => "451 4.3.0 try again later".into(),
                                Some(code) => format!("{code} 5.1.1 no such mailbox"),
                                None => {
                                    to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                                    "250 OK".into()
                                }
                            }
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                data.push('\n');
                            }
                            state.lock().mails.push(Mail { from: from.clone(), to: to.clone(), data });
                            "250 OK queued".into()
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            "502 command not implemented".into()
                        };
                        if write.write_all(format!("{reply}\r\n").as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        FakeSmtp { state, url }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().mails.clone()
    }
}
