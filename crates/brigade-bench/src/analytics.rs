//! `brigade-bench --analytics`: how fast the analytics answer over a long history, and how
//! far the rollups run behind the orders.
//!
//! `brigade demo --days N --scale P --copies C` first fills a fresh data directory (or the
//! `--database-url` database) with C demo restaurants of N days each, P % of the bistro's
//! orders a day, rolled up as the demo does. The server is then started on it, and every
//! analytics endpoint (sales by each grouping, summary, items, menu engineering, labour,
//! kitchen, channels) is timed over a week, a month, a quarter and a year ending today,
//! `--requests` sequential requests each, spread over up to ten of the restaurants; then the reports (a day's and
//! the whole history's, as PDF and CSV). Last, `--clients` order clients place orders for
//! `--seconds` while a prober notes how many were acknowledged and times how long the
//! rollup (as `analytics/sales` reads it) takes to count them all.

use crate::{percentile, wait_ready, Args, Server};
use anyhow::{bail, Context};
use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::{json, Value};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GROUPINGS: [&str; 8] = ["day", "hour", "weekday", "daypart", "channel", "type", "staff", "table"];

struct Place {
    api: String,
    today: NaiveDate,
}

/// Times one GET: microseconds, and the body's length.
async fn get(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<(u64, usize)> {
    let t0 = Instant::now();
    let r = http.get(url).bearer_auth(token).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    let us = t0.elapsed().as_micros() as u64;
    if !status.is_success() {
        bail!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok((us, body.len()))
}

async fn json_get(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    let r = http.get(url).bearer_auth(token).send().await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("GET {url}: {status}: {v}");
    }
    Ok(v)
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut server = Server::prepare(args)?;
    let mut load_secs = None;
    if let (Some(binary), Some(dir)) = (&server.binary, &server.data_dir) {
        let mut demo = Command::new(binary);
        demo.args(["demo", "--data-dir"]).arg(dir).args([
            "--days".to_owned(),
            args.history_days.to_string(),
            "--scale".into(),
            args.scale.to_string(),
            "--copies".into(),
            args.copies.to_string(),
        ]);
        if let Some(url) = &args.database_url {
            demo.args(["--database-url", url]);
        }
        eprintln!(
            "loading {} restaurant(s) × {} days of history at {} % …",
            args.copies, args.history_days, args.scale
        );
        let t0 = Instant::now();
        let out = demo.output()?;
        if !out.status.success() {
            bail!("brigade demo failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        load_secs = Some(t0.elapsed().as_secs_f64());
        server.spawn()?;
    }
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    wait_ready(&http, &server.base).await?;
    let login: Value = http
        .post(format!("{}/v1/auth/login", server.base))
        .json(&json!({ "email": "owner@brigade.demo", "password": "brigade-demo" }))
        .send()
        .await?
        .error_for_status()
        .context("signing in as the demo owner")?
        .json()
        .await?;
    let token = login["access_token"].as_str().context("access_token")?.to_owned();
    let me = json_get(&http, &format!("{}/v1/auth/me", server.base), &token).await?;
    let ids: Vec<String> = me["memberships"]
        .as_array()
        .context("memberships")?
        .iter()
        .filter_map(|m| m["restaurant_id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        bail!("the demo owner has no restaurant");
    }
    // Up to ten restaurants, spread over the list, take the requests in turn.
    let step = ids.len().div_ceil(10).max(1);
    let mut places = Vec::new();
    for rid in ids.iter().step_by(step) {
        let api = format!("{}/v1/restaurants/{rid}", server.base);
        let r = json_get(&http, &api, &token).await?;
        let tz: chrono_tz::Tz =
            r["timezone"].as_str().context("timezone")?.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        places.push(Place { api, today: Utc::now().with_timezone(&tz).date_naive() });
    }

    let history = i64::from(args.history_days.max(1));
    let first = &places[0];
    let year_from = first.today - Days::days(history - 1);
    let summary =
        json_get(&http, &format!("{}/analytics/summary?from={year_from}&to={}", first.api, first.today), &token)
            .await?;
    let orders_one = summary["current"]["orders"].as_i64().unwrap_or(0);
    eprintln!(
        "{} restaurant(s); the first has {orders_one} orders in {history} days; timing {} requests per endpoint and period",
        ids.len(),
        args.requests
    );

    let periods: Vec<(&str, i64)> =
        [("7 days", 7), ("30 days", 30), ("90 days", 90), ("365 days", 365), ("3 years", 1096)]
            .into_iter()
            .filter(|(_, d)| *d <= history || *d == 7)
            .collect();
    let mut endpoints: Vec<(String, String)> =
        GROUPINGS.iter().map(|g| (format!("sales by {g}"), format!("analytics/sales?group_by={g}&"))).collect();
    endpoints.push(("summary".into(), "analytics/summary?".into()));
    endpoints.push(("items".into(), "analytics/items?".into()));
    endpoints.push(("menu-engineering".into(), "analytics/menu-engineering?".into()));
    endpoints.push(("labour by day".into(), "analytics/labour?group_by=day&".into()));
    endpoints.push(("labour by daypart".into(), "analytics/labour?group_by=daypart&".into()));
    endpoints.push(("kitchen by station".into(), "analytics/kitchen?group_by=station&".into()));
    endpoints.push(("kitchen by hour".into(), "analytics/kitchen?group_by=hour&".into()));
    endpoints.push(("channels".into(), "analytics/channels?".into()));

    let mut rows = Vec::new();
    let mut all = Vec::new();
    for (name, path) in &endpoints {
        let mut row = json!({ "endpoint": name });
        for (label, days) in &periods {
            let mut lat = Vec::with_capacity(args.requests);
            for i in 0..args.requests.max(1) {
                let p = &places[i % places.len()];
                let from = p.today - Days::days(days - 1);
                let (us, _) = get(&http, &format!("{}/{path}from={from}&to={}", p.api, p.today), &token).await?;
                lat.push(us);
            }
            lat.sort_unstable();
            all.extend_from_slice(&lat);
            row[*label] = json!({ "p50": percentile(&lat, 0.5), "p95": percentile(&lat, 0.95) });
        }
        rows.push(row);
    }
    all.sort_unstable();

    // Reports: a day's, and the whole history's, a few times each.
    let mut reports = Vec::new();
    let yesterday = first.today - Days::days(1);
    for (label, url) in [
        ("daily report PDF", format!("{}/reports/daily?date={yesterday}&format=pdf", first.api)),
        ("daily report CSV", format!("{}/reports/daily?date={yesterday}&format=csv", first.api)),
        (
            "period report PDF, whole history",
            format!("{}/reports/period?from={year_from}&to={}&format=pdf", first.api, first.today),
        ),
        (
            "period report CSV, whole history",
            format!("{}/reports/period?from={year_from}&to={}&format=csv", first.api, first.today),
        ),
    ] {
        let mut lat = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let (us, len) = get(&http, &url, &token).await?;
            lat.push(us);
            size = len;
        }
        lat.sort_unstable();
        reports.push(
            json!({ "report": label, "ms_p50": percentile(&lat, 0.5), "ms_max": percentile(&lat, 1.0), "bytes": size }),
        );
    }

    let lag = if args.seconds > 0 { Some(rollup_lag(&http, &token, first, args).await?) } else { None };

    let result = json!({
        "backend": if args.database_url.is_some() { "postgres" } else if args.target.is_some() { "target" } else { "sqlite" },
        "restaurants": ids.len(),
        "history_days": history,
        "orders_first_restaurant": orders_one,
        "demo_load_seconds": load_secs.map(|s| (s * 10.0).round() / 10.0),
        "all_analytics_requests": all.len(),
        "all_analytics_ms_p50": percentile(&all, 0.5),
        "all_analytics_ms_p95": percentile(&all, 0.95),
        "all_analytics_ms_max": percentile(&all, 1.0),
        "endpoints": rows,
        "reports": reports,
        "rollup_lag": lag,
        "server_rss_mib": server.rss_mib().map(|m| (m * 10.0).round() / 10.0),
    });
    if args.json {
        println!("{result}");
        return Ok(());
    }
    let header: Vec<&str> = periods.iter().map(|(l, _)| *l).collect();
    println!("{:<22} {}", "p50 / p95 ms", header.iter().map(|h| format!("{h:>16}")).collect::<String>());
    for row in &rows {
        let cells: String = header
            .iter()
            .map(|h| {
                format!(
                    "{:>16}",
                    format!(
                        "{:.1} / {:.1}",
                        row[h]["p50"].as_f64().unwrap_or(f64::NAN),
                        row[h]["p95"].as_f64().unwrap_or(f64::NAN)
                    )
                )
            })
            .collect();
        println!("{:<22} {cells}", row["endpoint"].as_str().unwrap_or_default());
    }
    for (k, v) in result.as_object().into_iter().flatten() {
        if k != "endpoints" {
            println!("{k:<28} {v}");
        }
    }
    Ok(())
}

/// Places orders from `--clients` clients for `--seconds` on the first restaurant while a
/// prober, again and again, notes how many orders were acknowledged and times until the
/// rollup counts that many: the lag of the newest acknowledged order, at most.
async fn rollup_lag(http: &reqwest::Client, token: &str, place: &Place, args: &Args) -> anyhow::Result<Value> {
    let menu = json_get(http, &format!("{}/menu/items?limit=200", place.api), token).await?;
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    for item in menu["items"].as_array().context("items")? {
        if item["available"] == json!(false) {
            continue;
        }
        let mut mods = Vec::new();
        let mut ok = true;
        for g in item["modifier_groups"].as_array().into_iter().flatten() {
            let need = g["min"].as_u64().unwrap_or(0) as usize;
            let options: Vec<String> = g["options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| o["available"] != json!(false))
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .collect();
            if options.len() < need {
                ok = false;
            }
            mods.extend(options.into_iter().take(need));
        }
        if ok {
            items.push((item["id"].as_str().context("id")?.to_owned(), mods));
        }
    }
    let window = format!(
        "{}/analytics/sales?group_by=day&from={}&to={}",
        place.api,
        place.today - Days::days(1),
        place.today + Days::days(1)
    );
    let counted = |v: Value| v["totals"]["orders"].as_u64().unwrap_or(0);
    // Read before the trial orders below (the demo's history is rolled up when it loads),
    // which are then counted in: a count read after them might miss some not rolled up yet.
    let mut before = counted(json_get(http, &window, token).await?);
    // Keep what can be ordered now (some dishes are served at set hours only).
    let mut orderable = Vec::new();
    for (id, mods) in items {
        let body = json!({ "channel": "walk_in", "type": "takeout", "items": [{ "item_id": id, "quantity": 1, "modifiers": mods }] });
        let r = http.post(format!("{}/orders", place.api)).bearer_auth(token).json(&body).send().await?;
        if r.status().as_u16() == 201 {
            before += 1;
            orderable.push((id, mods));
        }
    }
    let items = orderable;
    if items.is_empty() {
        bail!("no orderable item on the demo menu");
    }

    let acked = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let items = Arc::new(items);
    let mut clients = Vec::new();
    for c in 0..args.clients.max(1) {
        let (http, token, url) = (http.clone(), token.to_owned(), format!("{}/orders", place.api));
        let (acked, failed, refused, stop, items) =
            (acked.clone(), failed.clone(), refused.clone(), stop.clone(), items.clone());
        clients.push(tokio::spawn(async move {
            let mut n = c;
            while !stop.load(Ordering::Relaxed) {
                let (id, mods) = &items[n % items.len()];
                n += 7;
                let channel = if n % 2 == 0 { "walk_in" } else { "pos" };
                let body = json!({ "channel": channel, "type": "takeout", "items": [{ "item_id": id, "quantity": 1 + n % 2, "modifiers": mods }] });
                match http.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    // Stock runs out during a long rush: the dish is refused, as it should be.
                    Ok(r) if r.status().as_u16() == 409 => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            let status = r.status();
                            eprintln!("an order was refused: {status} {}", r.text().await.unwrap_or_default());
                        }
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("an order failed: {e}");
                        }
                    }
                }
            }
        }));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut lags = Vec::new();
    loop {
        let rushing = Instant::now() < deadline;
        if !rushing {
            stop.store(true, Ordering::SeqCst);
            for c in clients.drain(..) {
                let _ = c.await;
            }
        }
        let target = before + acked.load(Ordering::SeqCst);
        let t0 = Instant::now();
        loop {
            if counted(json_get(http, &window, token).await?) >= target {
                break;
            }
            if t0.elapsed() > Duration::from_secs(60) {
                bail!("the rollup did not count {target} orders within a minute");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        lags.push(t0.elapsed().as_micros() as u64);
        if !rushing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rush = started.elapsed().as_secs_f64();
    lags.sort_unstable();
    Ok(json!({
        "orders_acknowledged": acked.load(Ordering::SeqCst),
        "orders_refused_out_of_stock": refused.load(Ordering::Relaxed),
        "orders_failed": failed.load(Ordering::Relaxed),
        "orders_per_sec": (acked.load(Ordering::SeqCst) as f64 / rush).round(),
        "probes": lags.len(),
        "lag_ms_p50": percentile(&lags, 0.5),
        "lag_ms_p95": percentile(&lags, 0.95),
        "lag_ms_max": percentile(&lags, 1.0),
    }))
}
