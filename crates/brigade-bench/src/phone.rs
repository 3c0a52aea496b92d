//! `brigade-bench --phone`: how long Twilio waits for each answer of the phone agent.
//! A fake Twilio REST API runs in this process (the account a connection test reads,
//! and Messages for the order's text); Brigade is started against it with one phone
//! line. Callers then ring in, `--call-concurrency` at a time, each one call of five
//! signed webhooks (the ring and four turns: an order of two items with a size asked,
//! "that's all", "yes"), following each `<Gather>`'s action as Twilio does. Every
//! webhook's round trip is timed; every call must end with an order placed.

use crate::{percentile, post, wait_ready, Args, Server};
use anyhow::{bail, Context};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post as route_post};
use axum::Router;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const SID: &str = "ACbenchbenchbenchbenchbenchbench0";
const TOKEN: &str = "bench-twilio-token";
const LINE: &str = "+15550100200";

/// Dishes with names a caller says.
const DISHES: &[&str] = &[
    "Classic Burger",
    "Cheeseburger",
    "Chicken Sandwich",
    "Fish Tacos",
    "Caesar Salad",
    "Greek Salad",
    "Margherita Pizza",
    "Pepperoni Pizza",
    "Pad Thai",
    "Green Curry",
    "Chicken Tikka",
    "Lamb Kebab",
    "Veggie Wrap",
    "Club Sandwich",
    "Tomato Soup",
    "French Onion Soup",
    "Onion Rings",
    "Sweet Potato Fries",
    "Mozzarella Sticks",
    "Buffalo Wings",
    "Nachos",
    "Quesadilla",
    "Burrito Bowl",
    "Poke Bowl",
    "Salmon Teriyaki",
    "Beef Ramen",
    "Miso Soup",
    "Spring Rolls",
    "Dumplings",
    "Fried Rice",
    "Lemonade",
    "Iced Tea",
    "Cola",
    "Chocolate Shake",
    "Vanilla Shake",
    "Brownie",
    "Cheesecake",
    "Apple Pie",
    "Tiramisu",
    "Espresso",
];

#[derive(Default)]
struct Fake {
    texts: AtomicU64,
}

async fn account(Path(sid): Path<String>) -> impl IntoResponse {
    let sid = sid.trim_end_matches(".json").to_owned();
    axum::Json(json!({ "sid": sid, "friendly_name": "Bench", "status": "active" }))
}

async fn message(State(f): State<Arc<Fake>>) -> impl IntoResponse {
    let n = f.texts.fetch_add(1, Ordering::Relaxed) + 1;
    (StatusCode::CREATED, axum::Json(json!({ "sid": format!("SM{n:032}"), "status": "queued" })))
}

async fn start_fake(fake: Arc<Fake>) -> anyhow::Result<String> {
    let app = Router::new()
        .route("/2010-04-01/Accounts/{sid}", get(account))
        .route("/2010-04-01/Accounts/{sid}/Messages.json", route_post(message))
        .with_state(fake);
    crate::serve_fake(app).await
}

/// One signed webhook: (its round trip in µs, the TwiML).
async fn webhook(
    http: &reqwest::Client,
    public: &str,
    actual: &str,
    url: &str,
    params: &[(String, String)],
) -> anyhow::Result<(u64, String)> {
    let signature = brigade_domain::integration::twilio_signature(TOKEN, url, params);
    let started = Instant::now();
    let r =
        http.post(url.replacen(public, actual, 1)).header("x-twilio-signature", signature).form(params).send().await?;
    let status = r.status();
    let text = r.text().await?;
    let took = started.elapsed().as_micros() as u64;
    if !status.is_success() {
        bail!("the webhook answered {status}: {text}");
    }
    Ok((took, text))
}

/// The action of the TwiML's `<Gather>`, if it listens.
fn action(twiml: &str) -> Option<String> {
    let at = twiml.find("<Gather")?;
    let rest = &twiml[at..];
    let start = rest.find("action=\"")? + 8;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].replace("&amp;", "&"))
}

/// One whole call; the round trip of each of its webhooks.
async fn call(http: &reqwest::Client, public: &str, actual: &str, hook: &str, n: usize) -> anyhow::Result<Vec<u64>> {
    let sid = format!("CA{:032x}", uuid::Uuid::now_v7().as_u128());
    let from = format!("+1212555{:04}", n % 10_000);
    let base = |status: &str| -> Vec<(String, String)> {
        [("AccountSid", SID), ("CallSid", &sid), ("From", &from), ("To", LINE), ("CallStatus", status)]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let (a, b) = (DISHES[n % DISHES.len()], DISHES[(n * 7 + 3) % DISHES.len()]);
    let b = if a == b { DISHES[(n + 1) % DISHES.len()] } else { b };
    let said = [
        format!("hi can I get two {} large and a {}", a.to_lowercase(), b.to_lowercase()),
        "regular".to_owned(),
        "that's all".to_owned(),
        "yes".to_owned(),
    ];
    let mut times = Vec::new();
    let (t, mut twiml) = webhook(http, public, actual, hook, &base("ringing")).await?;
    times.push(t);
    for line in &said {
        let url = action(&twiml).with_context(|| format!("the agent stopped listening: {twiml}"))?;
        let mut params = base("in-progress");
        params.push(("SpeechResult".into(), line.clone()));
        params.push(("Confidence".into(), "0.91".into()));
        let (t, next) = webhook(http, public, actual, &url, &params).await?;
        times.push(t);
        twiml = next;
    }
    if !twiml.contains("Your order number is") {
        bail!("call {n} did not end with an order: {twiml}");
    }
    Ok(times)
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let fake = Arc::new(Fake::default());
    let fake_url = start_fake(fake.clone()).await?;
    let mut bench_args = args.clone();
    bench_args.extra = vec!["--twilio-base-url".into(), fake_url];
    let server = Server::start(&bench_args)?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    wait_ready(&http, &server.base).await?;
    let (token, restaurants) = crate::setup(&http, &server.base, 1, 0).await?;
    let api = format!("{}/v1/restaurants/{}", server.base, restaurants[0].id);
    let category = post(&http, format!("{api}/menu/categories"), &token, json!({ "name": "Menu" })).await?;
    for (i, dish) in DISHES.iter().enumerate() {
        let body = json!({
            "category_id": category["id"], "name": dish, "price": 600 + (i as i64 % 12) * 75, "prep_minutes": 8,
            "modifier_groups": [
                { "name": "Size", "min": 1, "max": 1, "options": [{ "name": "Regular", "price_delta": 0 }, { "name": "Large", "price_delta": 200 }] },
                { "name": "Extras", "min": 0, "max": 2, "options": [{ "name": "Cheese", "price_delta": 100 }, { "name": "Bacon", "price_delta": 150 }] }
            ]
        });
        post(&http, format!("{api}/menu/items"), &token, body).await?;
    }
    let line = post(
        &http,
        format!("{api}/integrations"),
        &token,
        json!({ "platform": "twilio", "store_id": LINE, "credentials": { "account_sid": SID, "auth_token": TOKEN },
                "config": { "forward_to": "+15550100299" } }),
    )
    .await?;
    let hook = line["webhook_url"].as_str().context("webhook_url")?.to_owned();
    // The server signs and checks against its public address (its default); requests go
    // to where it listens.
    let public = hook.split("/v1/").next().unwrap_or_default().to_owned();
    eprintln!("{} dishes; {} calls, {} at a time, five webhooks each", DISHES.len(), args.calls, args.call_concurrency);

    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.call_concurrency.max(1) {
        let (http, public, actual, hook, next) =
            (http.clone(), public.clone(), server.base.clone(), hook.clone(), next.clone());
        let calls = args.calls as u64;
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= calls {
                    break;
                }
                times.extend(call(&http, &public, &actual, &hook, n as usize).await?);
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for w in workers {
        times.extend(w.await??);
    }
    let wall = started.elapsed().as_secs_f64();
    times.sort_unstable();
    let placed = http
        .get(format!("{api}/orders?channel=phone&limit=500"))
        .bearer_auth(&token)
        .send()
        .await?
        .json::<Value>()
        .await?["items"]
        .as_array()
        .map_or(0, Vec::len);
    let rss = server.rss_mib();
    if args.json {
        println!(
            "{}",
            json!({
                "calls": args.calls, "concurrency": args.call_concurrency, "webhooks": times.len(),
                "p50_ms": percentile(&times, 0.5), "p95_ms": percentile(&times, 0.95), "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0), "orders_placed": placed, "wall_s": wall, "rss_mib": rss,
            })
        );
    } else {
        println!(
            "phone agent: {} calls ({} at a time), {} webhooks in {wall:.1} s",
            args.calls,
            args.call_concurrency,
            times.len()
        );
        println!(
            "  answer time  p50 {:.1} ms   p95 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            percentile(&times, 1.0)
        );
        println!("  orders placed {placed} (of {} calls)   server RSS {:.0} MiB", args.calls, rss.unwrap_or(f64::NAN));
    }
    if placed < args.calls.min(500) {
        bail!("{} calls placed only {placed} orders", args.calls);
    }
    Ok(())
}
