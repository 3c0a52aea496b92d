//! `brigade-bench --sync`: how fast an 86 reaches a delivery platform, and what an outage
//! and a killed server do to it. A fake Uber Eats runs in this process (its OAuth, store
//! status, menu upload and read-back, and item updates, each answered after a set
//! latency); Brigade is started against it with one restaurant connected.
//!
//! 1. Latency: items are 86'd and brought back one after another; for each, the time
//!    from the API's answer (the change committed) to the fake having answered the
//!    matching item update (the platform's acknowledgement).
//! 2. Outage: the fake answers 503 for `--outage-secs`; changes made meanwhile must all
//!    arrive afterwards, in order per item, none twice, the last one winning.
//! 3. Kill: the server is SIGKILLed while pushes are in flight (the fake slowed down),
//!    started again, and the changes must still arrive.

use crate::{percentile, post, wait_ready, Args, Server};
use anyhow::{bail, Context};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post as route_post};
use axum::{Json, Router};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Fake {
    /// id → (suspend_until, price)
    items: Mutex<HashMap<String, (i64, i64)>>,
    /// Every item update acknowledged: (when it was answered, id, available).
    applied: Mutex<Vec<(Instant, String, bool)>>,
    down: AtomicBool,
    latency_ms: AtomicU64,
    /// Whole-menu uploads answered.
    uploads: AtomicU64,
    /// The modifier groups of the last upload (their options are items too).
    groups: Mutex<Value>,
}

type Shared = State<Arc<Fake>>;

async fn pause(f: &Fake) -> Result<(), Response> {
    tokio::time::sleep(Duration::from_millis(f.latency_ms.load(Ordering::Relaxed))).await;
    if f.down.load(Ordering::Relaxed) {
        return Err((StatusCode::SERVICE_UNAVAILABLE, "down").into_response());
    }
    Ok(())
}

async fn token() -> Json<Value> {
    Json(json!({ "access_token": "bench", "expires_in": 2_592_000 }))
}

async fn status(State(f): Shared) -> Response {
    if let Err(r) = pause(&f).await {
        return r;
    }
    Json(json!({ "status": "ONLINE" })).into_response()
}

async fn put_menu(State(f): Shared, Json(b): Json<Value>) -> Response {
    if let Err(r) = pause(&f).await {
        return r;
    }
    let mut items = f.items.lock();
    for i in b["items"].as_array().into_iter().flatten() {
        let until = i.pointer("/suspension_info/suspension/suspend_until").and_then(Value::as_i64).unwrap_or(0);
        let price = i.pointer("/price_info/price").and_then(Value::as_i64).unwrap_or(0);
        items.insert(i["id"].as_str().unwrap_or_default().to_owned(), (until, price));
    }
    *f.groups.lock() = b["modifier_groups"].clone();
    f.uploads.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT.into_response()
}

async fn get_menu(State(f): Shared) -> Response {
    if let Err(r) = pause(&f).await {
        return r;
    }
    let items = f.items.lock();
    let list: Vec<Value> = items
        .iter()
        .map(|(id, (until, price))| json!({ "id": id, "price_info": { "price": price }, "suspension_info": { "suspension": { "suspend_until": until } } }))
        .collect();
    Json(json!({ "items": list, "modifier_groups": *f.groups.lock() })).into_response()
}

async fn update_item(State(f): Shared, Path((_store, id)): Path<(String, String)>, Json(b): Json<Value>) -> Response {
    if let Err(r) = pause(&f).await {
        return r;
    }
    let until = b.pointer("/suspension_info/suspension/suspend_until").and_then(Value::as_i64).unwrap_or(0);
    let price = b.pointer("/price_info/price").and_then(Value::as_i64).unwrap_or(0);
    let mut items = f.items.lock();
    if !items.contains_key(&id) {
        return (StatusCode::NOT_FOUND, "no such item").into_response();
    }
    items.insert(id.clone(), (until, price));
    f.applied.lock().push((Instant::now(), id, until == 0));
    StatusCode::NO_CONTENT.into_response()
}

async fn start_fake(fake: Arc<Fake>) -> anyhow::Result<String> {
    let app = Router::new()
        .route("/oauth/v2/token", route_post(token))
        .route("/v1/eats/store/{store}/status", get(status))
        .route("/v2/eats/stores/{store}/menus", get(get_menu).put(put_menu))
        .route("/v2/eats/stores/{store}/menus/items/{item}", route_post(update_item))
        .with_state(fake);
    crate::serve_fake(app).await
}

struct Setup {
    http: reqwest::Client,
    api: String,
    token: String,
    items: Vec<String>,
}

impl Setup {
    async fn toggle(&self, item: &str, available: bool) -> anyhow::Result<Instant> {
        let body =
            if available { json!({ "available": true }) } else { json!({ "available": false, "reason": "bench" }) };
        post(&self.http, format!("{}/menu/items/{item}/availability", self.api), &self.token, body).await?;
        Ok(Instant::now())
    }
}

/// Waits until the fake has acknowledged `available` for `item` after `since`.
async fn acked(fake: &Fake, item: &str, available: bool, since: Instant, limit: Duration) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let seen = fake
            .applied
            .lock()
            .iter()
            .find(|(at, id, a)| *at >= since && id == item && *a == available)
            .map(|(at, ..)| *at);
        if seen.is_some() {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let fake = Arc::new(Fake::default());
    fake.latency_ms.store(args.platform_latency_ms, Ordering::Relaxed);
    let fake_url = start_fake(fake.clone()).await?;
    let mut bench_args = args.clone();
    bench_args.extra = vec![
        "--ubereats-base-url".into(),
        fake_url.clone(),
        "--ubereats-auth-url".into(),
        format!("{fake_url}/oauth/v2/token"),
    ];
    let mut server = Server::start(&bench_args)?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    wait_ready(&http, &server.base).await?;
    let (token, restaurants) = crate::setup(&http, &server.base, 1, args.items.min(60)).await?;
    let r = &restaurants[0];
    let api = format!("{}/v1/restaurants/{}", server.base, r.id);
    let s = Setup { http, api, token, items: r.items.iter().map(|(id, ..)| id.clone()).collect() };
    post(
        &s.http,
        format!("{}/integrations", s.api),
        &s.token,
        json!({ "platform": "ubereats", "store_id": "bench-store",
                "credentials": { "client_id": "bench-client", "client_secret": "bench-secret" } }),
    )
    .await?;
    // The menu upload: every item known to the fake.
    let started = Instant::now();
    while fake.items.lock().len() < s.items.len() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the menu never reached the fake platform");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("menu of {} items uploaded in {:.2} s", s.items.len(), started.elapsed().as_secs_f64());

    // 1. Latency, one change at a time (each on its own item, then back).
    let mut lat = Vec::new();
    for n in 0..args.sync_changes {
        let item = &s.items[n % s.items.len()];
        let available = (n / s.items.len()) % 2 == 1;
        let at = s.toggle(item, available).await?;
        let done = acked(&fake, item, available, at, Duration::from_secs(30)).await.context("an 86 never arrived")?;
        lat.push(done.duration_since(at).as_micros() as u64);
    }
    lat.sort_unstable();
    // Several at once: a burst of 20 different items 86'd in the same moment.
    let mut burst = Vec::new();
    let burst_items: Vec<String> = s.items.iter().take(20).cloned().collect();
    let now_state: Vec<bool> = {
        let items = fake.items.lock();
        burst_items.iter().map(|i| items.get(i).is_none_or(|(u, _)| *u == 0)).collect()
    };
    let mut sent = Vec::new();
    for (i, item) in burst_items.iter().enumerate() {
        sent.push((item.clone(), !now_state[i], s.toggle(item, !now_state[i]).await?));
    }
    for (item, available, at) in &sent {
        let done =
            acked(&fake, item, *available, *at, Duration::from_secs(60)).await.context("a burst 86 never arrived")?;
        burst.push(done.duration_since(*at).as_micros() as u64);
    }
    burst.sort_unstable();

    // 2. An outage: changes meanwhile arrive afterwards, in order, once.
    let outage_items: Vec<String> = s.items.iter().skip(20).take(5).cloned().collect();
    fake.down.store(true, Ordering::Relaxed);
    let outage_start = Instant::now();
    let mut last: HashMap<String, bool> = HashMap::new();
    let mut made = 0;
    let step = Duration::from_secs(args.outage_secs.max(10)) / 10;
    for round in 0..10 {
        for (k, item) in outage_items.iter().enumerate() {
            if (round + k) % 3 == 0 {
                let available = round % 2 == 1;
                s.toggle(item, available).await?;
                last.insert(item.clone(), available);
                made += 1;
            }
        }
        tokio::time::sleep(step).await;
    }
    let lifted = Instant::now();
    fake.down.store(false, Ordering::Relaxed);
    let mut drained = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let items = fake.items.lock().clone();
        if last.iter().all(|(id, a)| items.get(id).is_some_and(|(u, _)| (*u == 0) == *a)) {
            drained = Some(lifted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drained = drained.context("the changes made during the outage never all arrived")?;
    // Per item, what arrived after the outage began: no state twice in a row (nothing
    // duplicated), and the platform ending where Brigade is (nothing lost).
    let applied = fake.applied.lock().clone();
    let finals = fake.items.lock().clone();
    let mut duplicated = 0;
    let mut wrong_last = 0;
    for (item, want) in &last {
        let seq: Vec<bool> =
            applied.iter().filter(|(at, id, _)| *at >= outage_start && id == item).map(|(.., a)| *a).collect();
        duplicated += seq.windows(2).filter(|w| w[0] == w[1]).count();
        if finals.get(item).is_none_or(|(u, _)| (*u == 0) != *want) {
            wrong_last += 1;
        }
    }
    let menu_uploads = fake.uploads.load(Ordering::Relaxed);

    // 3. Killed mid-sync: slow the platform so pushes are in flight, kill, restart.
    fake.latency_ms.store(5000, Ordering::Relaxed);
    let kill_items: Vec<String> = s.items.iter().skip(25).take(3).cloned().collect();
    let mut want = HashMap::new();
    for item in &kill_items {
        // The opposite of what the platform shows now, so each is a real change.
        let available = fake.items.lock().get(item).is_some_and(|(u, _)| *u != 0);
        s.toggle(item, available).await?;
        want.insert(item.clone(), available);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await; // past the coalescing window: in flight
    let arrived_before_kill = {
        let items = fake.items.lock();
        want.iter().filter(|(id, a)| items.get(*id).is_some_and(|(u, _)| (*u == 0) == **a)).count()
    };
    server.kill9()?;
    fake.latency_ms.store(args.platform_latency_ms, Ordering::Relaxed);
    let killed = Instant::now();
    server.spawn()?;
    wait_ready(&s.http, &server.base).await?;
    let mut resumed = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        let items = fake.items.lock().clone();
        if want.iter().all(|(id, a)| items.get(id).is_some_and(|(u, _)| (*u == 0) == *a)) {
            resumed = Some(killed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let p = |v: &[u64], q| percentile(v, q);
    let out = json!({
        "platform_latency_ms": args.platform_latency_ms,
        "eighty_six_to_platform_ms": { "n": lat.len(), "p50": p(&lat, 0.5), "p90": p(&lat, 0.9), "p99": p(&lat, 0.99), "max": p(&lat, 1.0) },
        "burst_of_20_ms": { "p50": p(&burst, 0.5), "p99": p(&burst, 0.99), "max": p(&burst, 1.0) },
        "outage": { "seconds": lifted.duration_since(outage_start).as_secs_f64(), "changes_made": made,
                    "drained_after_s": drained.as_secs_f64(), "duplicated": duplicated, "wrong_final_state": wrong_last,
                    "menu_uploads": menu_uploads },
        "killed_mid_sync": { "in_flight": want.len() - arrived_before_kill, "resumed_after_s": resumed.map(|d| d.as_secs_f64()),
                             "all_arrived": resumed.is_some() },
    });
    if args.json {
        println!("{out}");
    } else {
        println!("86 → platform acknowledgement (platform answers in {} ms):", args.platform_latency_ms);
        println!(
            "  one at a time: n={} p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            lat.len(),
            p(&lat, 0.5),
            p(&lat, 0.9),
            p(&lat, 0.99),
            p(&lat, 1.0)
        );
        println!(
            "  burst of 20 items: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            p(&burst, 0.5),
            p(&burst, 0.99),
            p(&burst, 1.0)
        );
        println!(
            "outage of {:.0} s with {made} changes: all arrived {:.1} s after it ended; {duplicated} duplicated, {wrong_last} wrong final states, {menu_uploads} menu uploads in all",
            lifted.duration_since(outage_start).as_secs_f64(),
            drained.as_secs_f64()
        );
        match resumed {
            Some(d) => println!(
                "killed with {} of {} pushes in flight: every change arrived {:.1} s after the kill",
                want.len() - arrived_before_kill,
                want.len(),
                d.as_secs_f64()
            ),
            None => println!("killed mid-sync: changes did NOT all arrive within 300 s"),
        }
    }
    Ok(())
}
