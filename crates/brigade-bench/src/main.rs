//! `brigade-bench`: plays a dinner rush against a Brigade server and prints the figures.
//!
//! By default it starts `brigade serve` itself (the release binary next to this one) on a
//! fresh data directory, so the server's memory can be read from /proc; `--target` points
//! it at a server that is already running instead. The rush: several restaurants with
//! 120-item menus, concurrent order clients choosing modifiers, WebSocket subscribers on
//! restaurant and kitchen channels measuring commit-to-client delivery, an 86 toggled
//! every second, and guests reading the public menu. A second phase measures public
//! menu reads alone. With `--kill-check` it then kills the server with SIGKILL, starts it
//! again on the same data, and checks that every order that was answered 201 is there.

#![forbid(unsafe_code)]

mod analytics;
mod phone;
mod sync;

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Parser, Clone)]
#[command(about = "Play a dinner rush against Brigade and print the figures")]
struct Args {
    /// A running server to target (else one is started).
    #[arg(long)]
    target: Option<String>,
    /// The brigade binary to start (default: next to this one).
    #[arg(long)]
    brigade: Option<PathBuf>,
    /// Run the started server on PostgreSQL.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 4)]
    restaurants: usize,
    #[arg(long, default_value_t = 120)]
    items: usize,
    /// Concurrent order clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// WebSocket subscribers.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Guests reading the public menu during the rush.
    #[arg(long, default_value_t = 4)]
    menu_readers: usize,
    /// Seconds of rush.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of the menu-only phase.
    #[arg(long, default_value_t = 10)]
    menu_seconds: u64,
    /// Concurrent readers in the menu-only phase.
    #[arg(long, default_value_t = 32)]
    menu_concurrency: usize,
    /// After the run, SIGKILL the server, restart it and check that no acknowledged order is lost.
    #[arg(long)]
    kill_check: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Instead of the rush: measure delivery-platform sync against a fake Uber Eats (see
    /// sync.rs): 86 → platform latency, an outage, a server killed mid-sync.
    #[arg(long)]
    sync: bool,
    /// How long the fake platform takes to answer each call.
    #[arg(long, default_value_t = 150)]
    platform_latency_ms: u64,
    /// 86s and restores measured one at a time.
    #[arg(long, default_value_t = 100)]
    sync_changes: usize,
    /// How long the platform is down in the outage scenario.
    #[arg(long, default_value_t = 600)]
    outage_secs: u64,
    /// Each order names a guest by phone, from a pool this large, taken in turn (so the
    /// first N orders make N customers); 0: orders name no guest.
    #[arg(long, default_value_t = 0)]
    guests: u64,
    /// Each restaurant has an automatic promotion (10 % off one category, stacking) and
    /// half the orders give a code (1.00 off from 10.00).
    #[arg(long)]
    promotions: bool,
    /// After the rush: this many customer searches (a part of a name, a whole number),
    /// one at a time, timed.
    #[arg(long, default_value_t = 0)]
    searches: usize,
    /// Instead of the rush: measure the phone agent's webhook answers against a fake
    /// Twilio (see phone.rs): whole calls, each ordering by voice.
    #[arg(long)]
    phone: bool,
    /// Calls made in the phone benchmark.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Calls at the same time in the phone benchmark.
    #[arg(long, default_value_t = 8)]
    call_concurrency: usize,
    /// Instead of the rush: load `--history-days` of demo history (see analytics.rs), time
    /// every analytics endpoint and the reports, then measure the rollup's lag under orders.
    #[arg(long)]
    analytics: bool,
    /// Days of history for the analytics benchmark.
    #[arg(long, default_value_t = 365)]
    history_days: u32,
    /// Demo restaurants (each with its own history) for the analytics benchmark.
    #[arg(long, default_value_t = 1)]
    copies: u32,
    /// Orders a day, in percent of the demo bistro's (about 125 a day at 100).
    #[arg(long, default_value_t = 350)]
    scale: u32,
    /// Timed requests per analytics endpoint and period.
    #[arg(long, default_value_t = 40)]
    requests: usize,
    /// More arguments for the started server.
    #[arg(skip)]
    extra: Vec<String>,
}

/// Guest `k`'s phone number: distinct, valid North American numbers (New York area codes,
/// no N11 exchanges) for millions of guests.
fn guest_phone(k: u64) -> String {
    const AREAS: [u32; 8] = [212, 646, 718, 917, 347, 929, 332, 516];
    let area = AREAS[(k % 8) as usize];
    let exchanges: Vec<u32> = (200..1000).filter(|e| e % 100 != 11).collect();
    let exchange = exchanges[((k / 8) % exchanges.len() as u64) as usize];
    let line = (k / (8 * exchanges.len() as u64)) % 10_000;
    format!("+1 {area} {exchange} {line:04}")
}

struct Restaurant {
    id: String,
    slug: String,
    stations: Vec<String>,
    /// (item id, option ids to choose: one per required group, maybe an extra)
    items: Vec<(String, Vec<String>, Vec<String>)>,
}

struct Server {
    child: Option<Child>,
    base: String,
    data_dir: Option<PathBuf>,
    args: Vec<String>,
    binary: Option<PathBuf>,
}

impl Server {
    fn start(args: &Args) -> anyhow::Result<Server> {
        let mut s = Server::prepare(args)?;
        if s.binary.is_some() {
            s.spawn()?;
        }
        Ok(s)
    }

    /// The server to start, not yet started (so its data directory can be filled first).
    fn prepare(args: &Args) -> anyhow::Result<Server> {
        if let Some(t) = &args.target {
            return Ok(Server {
                child: None,
                base: t.trim_end_matches('/').to_owned(),
                data_dir: None,
                args: vec![],
                binary: None,
            });
        }
        let binary = match &args.brigade {
            Some(b) => b.clone(),
            None => std::env::current_exe()?.with_file_name("brigade"),
        };
        if !binary.exists() {
            bail!("{} not found; build it with cargo build --release, or pass --brigade", binary.display());
        }
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("brigade-bench-{}", uuid::Uuid::now_v7().simple()));
        let mut serve_args = vec![
            "serve".to_owned(),
            "--addr".into(),
            format!("127.0.0.1:{port}"),
            "--data-dir".into(),
            dir.display().to_string(),
            "--open-signup".into(),
            "--rate-limit-ip-per-sec".into(),
            "0".into(),
            "--rate-limit-key-per-sec".into(),
            "0".into(),
            "--log".into(),
            "warn".into(),
        ];
        if let Some(url) = &args.database_url {
            serve_args.push("--database-url".into());
            serve_args.push(url.clone());
        }
        serve_args.extend(args.extra.iter().cloned());
        Ok(Server {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            data_dir: Some(dir),
            args: serve_args,
            binary: Some(binary),
        })
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let binary = self.binary.as_ref().context("no binary")?;
        let child = Command::new(binary).args(&self.args).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn()?;
        self.child = Some(child);
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?; // SIGKILL
            c.wait()?;
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill9();
        if let Some(d) = &self.data_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Serves a fake partner on a free local port; its base URL.
async fn serve_fake(app: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/health/ready")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready at {base}")
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> anyhow::Result<Value> {
    let r = http.post(&url).bearer_auth(token).json(&body).send().await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {url}: {status}: {v}");
    }
    Ok(v)
}

/// Signs up an owner and builds `n` restaurants with an `items`-item menu each.
async fn setup(
    http: &reqwest::Client,
    base: &str,
    n: usize,
    items: usize,
) -> anyhow::Result<(String, Vec<Restaurant>)> {
    let email = format!("bench-{}@example.com", uuid::Uuid::now_v7().simple());
    let signup = http
        .post(format!("{base}/v1/auth/signup"))
        .json(&json!({ "email": email, "password": "bench password 123", "name": "Bench",
                       "restaurant": { "name": "Bench 0", "timezone": "America/New_York", "currency": "USD", "tax_rate_bps": 875 } }))
        .send()
        .await?;
    if !signup.status().is_success() {
        bail!("sign-up failed ({}); start the target with --open-signup", signup.status());
    }
    let signup: Value = signup.json().await?;
    let token = signup["access_token"].as_str().context("token")?.to_owned();
    let mut ids = vec![signup["restaurant"]["id"].as_str().context("rid")?.to_owned()];
    for i in 1..n {
        let r = post(
            http,
            format!("{base}/v1/restaurants"),
            &token,
            json!({ "name": format!("Bench {i}"), "timezone": "Europe/London", "currency": "GBP" }),
        )
        .await?;
        ids.push(r["id"].as_str().context("rid")?.to_owned());
    }
    // Restaurants added after sign-up appear in a fresh token's memberships; the server
    // checks membership per request, so the first token works for all.
    let mut out = Vec::new();
    for rid in ids {
        let api = format!("{base}/v1/restaurants/{rid}");
        let mut stations = Vec::new();
        for name in ["Grill", "Cold", "Bar"] {
            stations.push(
                post(http, format!("{api}/kds/stations"), &token, json!({ "name": name })).await?["id"]
                    .as_str()
                    .context("id")?
                    .to_owned(),
            );
        }
        let mut cats = Vec::new();
        for (i, name) in ["Starters", "Burgers", "Mains", "Salads", "Desserts", "Drinks"].iter().enumerate() {
            let c = post(
                http,
                format!("{api}/menu/categories"),
                &token,
                json!({ "name": name, "station_id": stations[i % 3], "sort_order": i }),
            )
            .await?;
            cats.push(c["id"].as_str().context("id")?.to_owned());
        }
        let mut menu = Vec::new();
        for i in 0..items {
            let body = json!({
                "category_id": cats[i % cats.len()], "name": format!("Item {i}"), "price": 500 + (i as i64 % 20) * 75, "prep_minutes": 5 + i % 15,
                "channels": { "ubereats": { "price": 900 } },
                "modifier_groups": [
                    { "name": "Size", "min": 1, "max": 1, "options": [{ "name": "Regular", "price_delta": 0 }, { "name": "Large", "price_delta": 200 }] },
                    { "name": "Extras", "min": 0, "max": 3, "options": [{ "name": "Cheese", "price_delta": 100 }, { "name": "Bacon", "price_delta": 150 }, { "name": "Egg", "price_delta": 120 }] }
                ]
            });
            let item = post(http, format!("{api}/menu/items"), &token, body).await?;
            let opts = |g: usize| -> Vec<String> {
                item["modifier_groups"][g]["options"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default()
            };
            menu.push((item["id"].as_str().context("id")?.to_owned(), opts(0), opts(1)));
        }
        let slug = http.get(&api).bearer_auth(&token).send().await?.json::<Value>().await?["slug"]
            .as_str()
            .context("slug")?
            .to_owned();
        out.push(Restaurant { id: rid, slug, stations, items: menu });
    }
    Ok((token, out))
}

/// A query-string value, percent-encoded.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    ok: u64,
    refused: u64,
    failed: u64,
    acknowledged: Vec<(usize, String)>,
}

fn order_body(rng: &mut StdRng, r: &Restaurant, guest: Option<u64>, promo: bool) -> Value {
    let lines: Vec<Value> = (0..rng.gen_range(1..=4))
        .map(|_| {
            let (id, size, extras) = &r.items[rng.gen_range(0..r.items.len())];
            let mut mods = vec![size[rng.gen_range(0..size.len())].clone()];
            for _ in 0..rng.gen_range(0..=2) {
                mods.push(extras[rng.gen_range(0..extras.len())].clone());
            }
            json!({ "item_id": id, "quantity": rng.gen_range(1..=3), "modifiers": mods })
        })
        .collect();
    let channel = ["walk_in", "qr", "web", "phone", "ubereats", "doordash", "pos"][rng.gen_range(0..7)];
    let mut body = json!({ "channel": channel, "type": "takeout", "items": lines });
    if let Some(k) = guest {
        body["customer"] = json!({ "name": format!("Guest {k}"), "phone": guest_phone(k) });
    }
    if promo && rng.gen_bool(0.5) {
        body["promo_code"] = json!("BENCH1");
    }
    body
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.sync {
        return sync::run(&args).await;
    }
    if args.phone {
        return phone::run(&args).await;
    }
    if args.analytics {
        return analytics::run(&args).await;
    }
    let mut server = Server::start(&args)?;
    let base = server.base.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    wait_ready(&http, &base).await?;
    let setup_started = Instant::now();
    let (token, restaurants) = setup(&http, &base, args.restaurants, args.items).await?;
    let restaurants = Arc::new(restaurants);
    let token = Arc::new(token);
    eprintln!(
        "set up {} restaurants × {} items in {:.1} s; rush for {} s with {} order clients, {} subscribers",
        restaurants.len(),
        args.items,
        setup_started.elapsed().as_secs_f64(),
        args.seconds,
        args.clients,
        args.subscribers
    );

    // Subscribers: restaurant channels and station channels, spread over restaurants.
    let ws_base = base.replace("http://", "ws://");
    let delivered = Arc::new(AtomicU64::new(0));
    let ws_latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let mut subscribers = Vec::new();
    let mut connected = 0usize;
    for i in 0..args.subscribers {
        let r = &restaurants[i % restaurants.len()];
        let channel =
            if i % 2 == 0 { format!("restaurant:{}", r.id) } else { format!("kds:{}:{}", r.id, r.stations[i % 3]) };
        let url = format!("{ws_base}/v1/ws?token={token}");
        let (mut ws, _) = match tokio_tungstenite::connect_async(url).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("subscriber {i} could not connect: {e}");
                continue;
            }
        };
        ws.send(tokio_tungstenite::tungstenite::Message::text(
            json!({ "op": "subscribe", "channel": channel }).to_string(),
        ))
        .await?;
        connected += 1;
        let (delivered, lat, running) = (delivered.clone(), ws_latencies.clone(), running.clone());
        subscribers.push(tokio::spawn(async move {
            let mut local = Vec::new();
            while running.load(Ordering::Relaxed) {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await else {
                    continue;
                };
                let now = chrono::Utc::now();
                if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                    // Cheap on purpose: the load generator shares the machine with the
                    // server, so it reads only the envelope and the event's time (the
                    // last field of the event object) instead of parsing the JSON.
                    if !t.starts_with(r#"{"op":"event""#) {
                        continue;
                    }
                    let at = t.rfind(r#""at":""#).and_then(|i| t.get(i + 6..)).and_then(|rest| rest.split('"').next());
                    if let Some(at) = at.and_then(|a| a.parse::<chrono::DateTime<chrono::Utc>>().ok()) {
                        local.push((now - at).num_microseconds().unwrap_or(0).max(0) as u64);
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat.lock().await.extend(local);
        }));
    }

    if args.promotions {
        for r in restaurants.iter() {
            let cats: Value = http
                .get(format!("{base}/v1/restaurants/{}/menu/categories", r.id))
                .bearer_auth(token.as_str())
                .send()
                .await?
                .json()
                .await?;
            let cat = cats["items"][0]["id"].clone();
            for p in [
                json!({ "name": "Bench deal", "kind": "percent", "value": 10, "category_ids": [cat], "stackable": true }),
                json!({ "code": "BENCH1", "kind": "amount", "value": 100, "min_subtotal": 1000, "stackable": true }),
            ] {
                let res = http
                    .post(format!("{base}/v1/restaurants/{}/promotions", r.id))
                    .bearer_auth(token.as_str())
                    .json(&p)
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("a promotion could not be made: {}", res.text().await.unwrap_or_default());
                }
            }
        }
    }
    let next_guest = Arc::new(AtomicU64::new(0));

    let stats = Arc::new(Mutex::new(Stats::default()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let (http, base, token, restaurants, stats) =
            (http.clone(), base.clone(), token.clone(), restaurants.clone(), stats.clone());
        let (next_guest, guests, promo) = (next_guest.clone(), args.guests, args.promotions);
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(c as u64);
            let mut local = Stats::default();
            while Instant::now() < deadline {
                let ri = rng.gen_range(0..restaurants.len());
                let r = &restaurants[ri];
                let guest = (guests > 0).then(|| next_guest.fetch_add(1, Ordering::Relaxed) % guests);
                let body = order_body(&mut rng, r, guest, promo);
                let t0 = Instant::now();
                let res = http
                    .post(format!("{base}/v1/restaurants/{}/orders", r.id))
                    .bearer_auth(token.as_str())
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        let v: Value = resp.json().await.unwrap_or(Value::Null);
                        local.latencies_us.push(t0.elapsed().as_micros() as u64);
                        local.ok += 1;
                        if let Some(id) = v["id"].as_str() {
                            local.acknowledged.push((ri, id.to_owned()));
                        }
                    }
                    // 409: an item 86'd meanwhile; 422: a code the order is too small for.
                    Ok(resp) if matches!(resp.status().as_u16(), 409 | 422) => {
                        local.latencies_us.push(t0.elapsed().as_micros() as u64);
                        local.refused += 1;
                    }
                    _ => local.failed += 1,
                }
            }
            let mut s = stats.lock().await;
            s.latencies_us.extend(local.latencies_us);
            s.ok += local.ok;
            s.refused += local.refused;
            s.failed += local.failed;
            s.acknowledged.extend(local.acknowledged);
        }));
    }
    // An 86 toggled every second, on a different item each time.
    {
        let (http, base, token, restaurants) = (http.clone(), base.clone(), token.clone(), restaurants.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(86);
            while Instant::now() < deadline {
                let r = &restaurants[rng.gen_range(0..restaurants.len())];
                let item = &r.items[rng.gen_range(0..r.items.len())].0;
                let url = format!("{base}/v1/restaurants/{}/menu/items/{item}/availability", r.id);
                let _ = http
                    .post(&url)
                    .bearer_auth(token.as_str())
                    .json(&json!({ "available": false, "reason": "bench" }))
                    .send()
                    .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
                let _ = http.post(&url).bearer_auth(token.as_str()).json(&json!({ "available": true })).send().await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
    }
    let rush_menu = Arc::new(Mutex::new(Vec::<u64>::new()));
    for m in 0..args.menu_readers {
        let (http, base, restaurants, lat) = (http.clone(), base.clone(), restaurants.clone(), rush_menu.clone());
        tasks.push(tokio::spawn(async move {
            let mut local = Vec::new();
            let mut i = m;
            while Instant::now() < deadline {
                let r = &restaurants[i % restaurants.len()];
                i += 1;
                let t0 = Instant::now();
                if let Ok(resp) =
                    http.get(format!("{base}/v1/public/restaurants/{}/menu?channel=qr", r.slug)).send().await
                {
                    let _ = resp.bytes().await;
                    local.push(t0.elapsed().as_micros() as u64);
                }
            }
            lat.lock().await.extend(local);
        }));
    }
    let mut peak_rss: f64 = 0.0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(rss) = server.rss_mib() {
            peak_rss = peak_rss.max(rss);
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let rush_secs = started.elapsed().as_secs_f64();
    // Let the last deliveries arrive.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    running.store(false, Ordering::Relaxed);
    for s in subscribers {
        let _ = s.await;
    }

    // Phase 2: public menu reads alone.
    let menu_deadline = Instant::now() + Duration::from_secs(args.menu_seconds);
    let menu_lat = Arc::new(Mutex::new(Vec::<u64>::new()));
    let menu_started = Instant::now();
    let mut readers = Vec::new();
    for m in 0..args.menu_concurrency {
        let (http, base, restaurants, lat) = (http.clone(), base.clone(), restaurants.clone(), menu_lat.clone());
        readers.push(tokio::spawn(async move {
            let mut local = Vec::new();
            let mut i = m;
            while Instant::now() < menu_deadline {
                let r = &restaurants[i % restaurants.len()];
                i += 1;
                let t0 = Instant::now();
                if let Ok(resp) =
                    http.get(format!("{base}/v1/public/restaurants/{}/menu?channel=web", r.slug)).send().await
                {
                    if resp.status().is_success() && resp.bytes().await.is_ok() {
                        local.push(t0.elapsed().as_micros() as u64);
                    }
                }
            }
            lat.lock().await.extend(local);
        }));
    }
    for r in readers {
        let _ = r.await;
    }
    let menu_secs = menu_started.elapsed().as_secs_f64();
    if let Some(rss) = server.rss_mib() {
        peak_rss = peak_rss.max(rss);
    }

    let mut s = stats.lock().await;
    s.latencies_us.sort_unstable();
    let mut ws_lat = ws_latencies.lock().await.clone();
    ws_lat.sort_unstable();
    let mut menu = menu_lat.lock().await.clone();
    menu.sort_unstable();
    let mut rush_menu_lat = rush_menu.lock().await.clone();
    rush_menu_lat.sort_unstable();

    // Durability: SIGKILL, restart, and look for every acknowledged order.
    let mut lost: Option<usize> = None;
    if args.kill_check {
        if server.child.is_none() {
            bail!("--kill-check needs a server this tool started");
        }
        server.kill9()?;
        server.spawn()?;
        wait_ready(&http, &base).await?;
        let mut missing = 0;
        for (ri, r) in restaurants.iter().enumerate() {
            let want: HashSet<&str> =
                s.acknowledged.iter().filter(|(i, _)| *i == ri).map(|(_, id)| id.as_str()).collect();
            let mut have = HashSet::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut url = format!("{base}/v1/restaurants/{}/orders?limit=500", r.id);
                if let Some(c) = &cursor {
                    url += &format!("&cursor={c}");
                }
                let page: Value = http.get(&url).bearer_auth(token.as_str()).send().await?.json().await?;
                for o in page["items"].as_array().into_iter().flatten() {
                    if let Some(id) = o["id"].as_str() {
                        have.insert(id.to_owned());
                    }
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            missing += want.iter().filter(|id| !have.contains(**id)).count();
        }
        lost = Some(missing);
    }

    // Customer search, one request at a time: a part of a name, then a whole number.
    let mut search_lat = Vec::new();
    let mut customers_total = Value::Null;
    if args.searches > 0 && args.guests > 0 {
        let r = &restaurants[0];
        let made = next_guest.load(Ordering::Relaxed).min(args.guests).max(1);
        let mut rng = StdRng::seed_from_u64(7);
        for i in 0..args.searches {
            let k = rng.gen_range(0..made);
            let q = if i % 2 == 0 { format!("uest {k}") } else { guest_phone(k).replace(' ', "") };
            let url = format!("{base}/v1/restaurants/{}/customers?limit=20&q={}", r.id, urlencode(&q));
            let t0 = Instant::now();
            let res = http.get(&url).bearer_auth(token.as_str()).send().await?;
            let ok = res.status().is_success();
            let _ = res.bytes().await;
            if ok {
                search_lat.push(t0.elapsed().as_micros() as u64);
            }
        }
        search_lat.sort_unstable();
        customers_total = json!(made);
    }

    let orders_per_sec = s.ok as f64 / rush_secs;
    let result = json!({
        "backend": if args.database_url.is_some() { "postgres" } else if args.target.is_some() { "target" } else { "sqlite" },
        "restaurants": restaurants.len(),
        "items_per_menu": args.items,
        "order_clients": args.clients,
        "rush_seconds": (rush_secs * 10.0).round() / 10.0,
        "orders_created": s.ok,
        "orders_refused_86_or_promo": s.refused,
        "orders_failed": s.failed,
        "orders_per_sec": orders_per_sec.round(),
        "order_latency_ms_p50": percentile(&s.latencies_us, 0.50),
        "order_latency_ms_p99": percentile(&s.latencies_us, 0.99),
        "subscribers_connected": connected,
        "ws_deliveries": delivered.load(Ordering::Relaxed),
        "ws_delivery_ms_p50": percentile(&ws_lat, 0.50),
        "ws_delivery_ms_p99": percentile(&ws_lat, 0.99),
        "menu_reads_during_rush_p99_ms": percentile(&rush_menu_lat, 0.99),
        "menu_reads_per_sec": (menu.len() as f64 / menu_secs).round(),
        "menu_read_ms_p50": percentile(&menu, 0.50),
        "menu_read_ms_p99": percentile(&menu, 0.99),
        "server_peak_rss_mib": (peak_rss * 10.0).round() / 10.0,
        "guests_pool": args.guests,
        "promotions": args.promotions,
        "customers": customers_total,
        "customer_searches": search_lat.len(),
        "customer_search_ms_p50": percentile(&search_lat, 0.50),
        "customer_search_ms_p95": percentile(&search_lat, 0.95),
        "orders_lost_after_kill": lost,
    });
    if args.json {
        println!("{result}");
    } else {
        println!("{:<34} value", "measure");
        if let Some(obj) = result.as_object() {
            for (k, v) in obj {
                println!("{k:<34} {v}");
            }
        }
    }
    if lost.is_some_and(|n| n > 0) {
        bail!("{} acknowledged orders were lost", lost.unwrap_or(0));
    }
    Ok(())
}
