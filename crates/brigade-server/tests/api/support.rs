//! The test harness: starts the real server on a random port against a fresh database
//! (SQLite in a temporary directory, or a new PostgreSQL database when
//! `BRIGADE_TEST_DATABASE_URL` is set) with a manual clock, and gives tests a client.

use brigade_server::clock::Clock;
use brigade_server::config::Config;
use brigade_server::jobs::Registry;
use brigade_server::{AppState, Options};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Where a test's data lives; kept across restarts of the same test app.
#[derive(Clone)]
pub enum Store {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Store {
    pub async fn fresh() -> Store {
        match std::env::var("BRIGADE_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(base) => Store::Postgres(fresh_pg_database(&base).await),
            None => {
                let dir = std::env::temp_dir().join(format!("brigade-test-{}", Uuid::now_v7().simple()));
                Store::Sqlite(dir)
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    fn apply(&self, config: &mut Config) {
        match self {
            Store::Sqlite(dir) => {
                config.data_dir = dir.clone();
                config.database_url = None;
            }
            Store::Postgres(url) => {
                config.database_url = Some(url.clone());
                config.database_pool = 8;
            }
        }
    }
}

/// Makes a new, empty database on the server `base` points at and returns its URL.
pub async fn fresh_pg_database(base: &str) -> String {
    use sqlx::Connection;
    static ANNOUNCED: AtomicBool = AtomicBool::new(false);
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        eprintln!("tests run on PostgreSQL ({base})");
    }
    let name = format!("brigade_t_{}", Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(base).await.expect("connect to BRIGADE_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let _ = conn.close().await;
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap_or(0) + 2 => {
            let (head, tail) = base.split_at(i);
            let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
            format!("{head}/{name}{query}")
        }
        _ => format!("{base}/{name}"),
    }
}

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Clock,
    pub store: Store,
    config: Config,
    jobs: Registry,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// Whether dropping this app removes its SQLite directory (not when it restarts).
    owns_data: bool,
}

pub struct Builder {
    config: Config,
    jobs: Registry,
    clock: Option<Clock>,
    store: Option<Store>,
}

impl Builder {
    pub fn config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    pub fn jobs(mut self, f: impl FnOnce(&mut Registry)) -> Self {
        f(&mut self.jobs);
        self
    }

    /// Starts the manual clock at `at` (for tests about particular dates: DST, weeks).
    pub fn starting_at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.clock = Some(Clock::manual(at));
        self
    }

    /// Runs on this PostgreSQL database (a test that needs its own role, say).
    pub fn postgres_url(mut self, url: String) -> Self {
        self.store = Some(Store::Postgres(url));
        self
    }

    /// Runs on another test app's database: a second node of the same deployment.
    pub fn same_database_as(mut self, other: &TestApp) -> Self {
        self.store = Some(other.store.clone());
        self.clock = Some(other.clock.clone());
        self
    }

    pub async fn spawn(self) -> TestApp {
        let shared = self.store.is_some();
        let store = match self.store {
            Some(s) => s,
            None => Store::fresh().await,
        };
        let clock = self.clock.unwrap_or_else(|| Clock::manual(chrono::Utc::now()));
        let mut app = start(self.config, self.jobs, store, clock).await;
        app.owns_data = !shared;
        app
    }
}

async fn start(mut config: Config, jobs: Registry, store: Store, clock: Clock) -> TestApp {
    store.apply(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let state = brigade_server::build(config.clone(), Options { clock: clock.clone(), jobs: jobs.clone() })
        .await
        .expect("build app");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(brigade_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        state,
        clock,
        store,
        config,
        jobs,
        stop: Some(stop),
        task: Some(task),
        owns_data: true,
    }
}

/// A test config: no request rate limit (the manual clock would never refill buckets),
/// a fast-polling worker.
pub fn test_config() -> Config {
    Config {
        rate_limit_ip_per_sec: 0,
        rate_limit_key_per_sec: 0,
        worker_poll_ms: 20,
        // A fixed key, so no test writes a key file where it runs.
        secrets_key: Some("KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".into()),
        webhooks_allow_private: true,
        ..Config::default()
    }
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder { config: test_config(), jobs: brigade_server::standard_jobs(), clock: None, store: None }
    }

    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    /// Stops the server gracefully (as on SIGTERM) and waits until it has closed its database.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// Stops this server and starts a new one on the same database.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        self.owns_data = false;
        let config = self.config.clone();
        start(config, self.jobs.clone(), self.store.clone(), self.clock.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Response::from(req.send().await.expect("request")).await
    }

    /// POSTs raw bytes with the given headers and no token, as a platform's webhook does.
    pub async fn hook(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> Response {
        let mut req = self.client.post(self.url(path)).header("content-type", "application/json").body(body.to_vec());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        Response::from(req.send().await.expect("request")).await
    }

    /// Moves the clock by `step` and wakes the sync worker until no sync job of `owner`'s
    /// restaurant waits or runs; the jobs, newest first. One read a round, so a job between
    /// attempts is not missed between two reads.
    pub async fn settle_sync(&self, owner: &Owner, step: chrono::Duration) -> Vec<Value> {
        let path = format!("/v1/restaurants/{}/sync/jobs?limit=500", owner.rid);
        for _ in 0..400 {
            self.clock.advance(step);
            self.state.wake_sync();
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            let jobs = self.get(&path, &owner.token).await.body["items"].as_array().cloned().unwrap_or_default();
            if !jobs.iter().any(|j| j["status"] == "pending" || j["status"] == "running") {
                return jobs;
            }
        }
        panic!("sync jobs still waiting: {}", self.get(&path, &owner.token).await.body);
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn anon_post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, None, Some(body)).await
    }

    /// Signs up an owner with a restaurant of their own (open sign-up must be on for all
    /// but the first).
    pub async fn signup(&self, email: &str, restaurant: &str) -> Owner {
        let body = json!({
            "email": email,
            "password": PASSWORD,
            "name": "Owner of ".to_owned() + restaurant,
            "restaurant": { "name": restaurant, "timezone": "America/New_York", "currency": "USD" }
        });
        let r = self.anon_post("/v1/auth/signup", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "signup: {}", r.body);
        Owner {
            user_id: r.id("/user/id"),
            rid: r.id("/restaurant/id"),
            token: r.str("/access_token"),
            refresh: r.str("/refresh_token"),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.anon_post("/v1/auth/login", json!({ "email": email, "password": password })).await
    }

    /// Invites a member by email; they accept by making their account with `PASSWORD`.
    /// Returns their user id and access token.
    pub async fn add_member(&self, owner: &Owner, email: &str, role: &str) -> (Uuid, String) {
        let token = self.invite(owner, email, role).await;
        let r = self.anon_post(&format!("/v1/invitations/{token}/accept"), json!({ "password": PASSWORD })).await;
        assert_eq!(r.status, StatusCode::CREATED, "accept invitation: {}", r.body);
        (r.id("/user_id"), r.str("/tokens/access_token"))
    }

    /// Invites someone by email to the owner's restaurant and returns the link's token.
    pub async fn invite(&self, owner: &Owner, email: &str, role: &str) -> String {
        let path = format!("/v1/restaurants/{}/users", owner.rid);
        let r = self.post(&path, &owner.token, json!({ "email": email, "name": role, "role": role })).await;
        assert_eq!(r.status, StatusCode::CREATED, "invite member: {}", r.body);
        assert_eq!(r.body["status"], "invited");
        let url = r.str("/invite_url");
        url.rsplit('/').next().unwrap().to_owned()
    }

    /// Waits (bounded) until `check` holds, re-checking whenever the worker may have moved.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..500 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for: {what}");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let (Store::Sqlite(dir), true) = (&self.store, self.owns_data) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// For tests that move the clock by hours and days: tokens that outlive them.
pub fn long_tokens(c: &mut Config) {
    c.access_token_ttl_secs = 90 * 24 * 3600;
    c.refresh_token_ttl_secs = 90 * 24 * 3600;
}

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Owner {
    pub user_id: Uuid,
    pub rid: Uuid,
    pub token: String,
    pub refresh: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    async fn from(r: reqwest::Response) -> Response {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response { status, headers, body }
    }

    pub fn str(&self, pointer: &str) -> String {
        self.body
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no {pointer} in {}", self.body))
            .to_owned()
    }

    pub fn id(&self, pointer: &str) -> Uuid {
        self.str(pointer).parse().expect("uuid")
    }

    pub fn code(&self) -> &str {
        self.body.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
    }

    /// Asserts the status and, for errors, the error code.
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        if !code.is_empty() {
            assert_eq!(self.code(), code, "body: {}", self.body);
        }
        self
    }
}

/// A small menu: Mains (to the grill) with a burger that needs a patty choice and fries
/// routed to the fryer; Drinks (to the bar) with a cola that costs more on Uber Eats.
pub struct Menu {
    pub slug: String,
    pub grill: Uuid,
    pub fryer: Uuid,
    pub bar: Uuid,
    pub mains: Uuid,
    pub drinks: Uuid,
    pub burger: Uuid,
    pub single: Uuid,
    pub double: Uuid,
    pub cheese: Uuid,
    pub bacon: Uuid,
    pub fries: Uuid,
    pub cola: Uuid,
}

impl TestApp {
    pub async fn menu(&self, owner: &Owner) -> Menu {
        let r = |path: &str| format!("/v1/restaurants/{}/{path}", owner.rid);
        let station = |name: &'static str| async move {
            let s = self.post(&r("kds/stations"), &owner.token, json!({ "name": name })).await;
            s.expect(201, "");
            s.id("/id")
        };
        let (grill, fryer, bar) = (station("Grill").await, station("Fryer").await, station("Bar").await);
        let cat = |name: &'static str, station: Uuid, sort: i64| async move {
            let c = self
                .post(
                    &r("menu/categories"),
                    &owner.token,
                    json!({ "name": name, "station_id": station, "sort_order": sort }),
                )
                .await;
            c.expect(201, "");
            c.id("/id")
        };
        let (mains, drinks) = (cat("Mains", grill, 1).await, cat("Drinks", bar, 2).await);
        let burger = self
            .post(
                &r("menu/items"),
                &owner.token,
                json!({
                    "category_id": mains, "name": "Burger", "price": 1200, "cost": 400, "prep_minutes": 12,
                    "allergens": ["Gluten", "milk"],
                    "modifier_groups": [
                        { "name": "Patty", "min": 1, "max": 1, "options": [
                            { "name": "Single", "price_delta": 0 }, { "name": "Double", "price_delta": 300 } ] },
                        { "name": "Extras", "min": 0, "max": 2, "options": [
                            { "name": "Cheese", "price_delta": 100 }, { "name": "Bacon", "price_delta": 150 } ] }
                    ]
                }),
            )
            .await;
        burger.expect(201, "");
        let opt = |g: usize, o: usize| {
            burger.body["modifier_groups"][g]["options"][o]["id"].as_str().unwrap().parse::<Uuid>().unwrap()
        };
        let fries = self
            .post(
                &r("menu/items"),
                &owner.token,
                json!({ "category_id": mains, "name": "Fries", "price": 400, "prep_minutes": 5, "station_id": fryer }),
            )
            .await;
        fries.expect(201, "");
        let cola = self
            .post(
                &r("menu/items"),
                &owner.token,
                json!({ "category_id": drinks, "name": "Cola", "price": 250, "channels": { "ubereats": { "price": 350 } } }),
            )
            .await;
        cola.expect(201, "");
        let slug = self.get(&format!("/v1/restaurants/{}", owner.rid), &owner.token).await.str("/slug");
        Menu {
            slug,
            grill,
            fryer,
            bar,
            mains,
            drinks,
            burger: burger.id("/id"),
            single: opt(0, 0),
            double: opt(0, 1),
            cheese: opt(1, 0),
            bacon: opt(1, 1),
            fries: fries.id("/id"),
            cola: cola.id("/id"),
        }
    }

    /// Places an order as `token` and returns the response.
    pub async fn order(&self, owner: &Owner, token: &str, channel: &str, items: Value) -> Response {
        let body = json!({ "channel": channel, "type": "takeout", "items": items });
        self.post(&format!("/v1/restaurants/{}/orders", owner.rid), token, body).await
    }

    /// The public menu's item names on a channel.
    pub async fn public_items(&self, slug: &str, channel: &str) -> Vec<String> {
        let r =
            self.call(Method::GET, &format!("/v1/public/restaurants/{slug}/menu?channel={channel}"), None, None).await;
        r.expect(200, "");
        r.body["categories"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()))
            .collect()
    }
}

/// A WebSocket client speaking Brigade's realtime protocol.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl TestApp {
    pub async fn ws(&self, token: Option<&str>) -> Ws {
        let base = self.addr.replace("http://", "ws://");
        let url = match token {
            Some(t) => format!("{base}/v1/ws?token={t}"),
            None => format!("{base}/v1/ws"),
        };
        let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
        Ws { stream }
    }
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        use futures_util::SinkExt;
        self.stream.send(tokio_tungstenite::tungstenite::Message::text(v.to_string())).await.expect("ws send");
    }

    /// The next JSON message, or None if the server closed. Bounded so a bug fails fast.
    pub async fn next(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(10), self.stream.next())
                .await
                .expect("a message within 10 s");
            match msg {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                    return Some(serde_json::from_str(&t).expect("json"))
                }
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Subscribes and returns the `subscribed` (or `error`) reply.
    pub async fn subscribe(&mut self, channel: &str, since: Option<i64>) -> Value {
        let mut msg = json!({ "op": "subscribe", "channel": channel });
        if let Some(s) = since {
            msg["since"] = json!(s);
        }
        self.send(msg).await;
        self.next().await.expect("a reply")
    }

    /// The next event's type and the whole message.
    pub async fn event(&mut self) -> (String, Value) {
        let m = self.next().await.expect("an event");
        assert_eq!(m["op"], "event", "{m}");
        (m["event"]["type"].as_str().unwrap().to_owned(), m)
    }

    /// Waits (bounded) for an event of `kind`, skipping others.
    pub async fn until(&mut self, kind: &str) -> Value {
        for _ in 0..200 {
            let (k, m) = self.event().await;
            if k == kind {
                return m;
            }
        }
        panic!("no {kind} event");
    }
}
