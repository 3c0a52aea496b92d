//! `assistant-bench`: the operator assistant measured on a held-out corpus
//! (`corpus/assistant.json`: three menus unlike the demo's, commands phrased as kitchens
//! talk), through a real server: how many commands are done exactly right in text, and
//! spoken by espeak-ng at 16 kHz, clean and with kitchen noise mixed in by sox; the
//! latency of text and audio turns (p50, p95); the memory of the speech engine. Prints
//! every miss, so what it gets wrong is plain.
//!
//!   cargo build --release && target/release/assistant-bench [--no-audio]

#![forbid(unsafe_code)]

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CORPUS: &str = include_str!("../../corpus/assistant.json");

struct Server {
    child: std::process::Child,
    base: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start() -> anyhow::Result<Server> {
    let binary = std::env::current_exe()?.with_file_name("brigade");
    if !binary.exists() {
        bail!("{} not found; cargo build --release first", binary.display());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dir = std::env::temp_dir().join(format!("brigade-assistant-bench-{}", uuid::Uuid::now_v7().simple()));
    let child = Command::new(binary)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&dir)
        .args(["--open-signup", "--rate-limit-ip-per-sec", "0", "--rate-limit-key-per-sec", "0", "--log", "warn"])
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Server { child, base: format!("http://127.0.0.1:{port}"), dir })
}

struct Place {
    rid: String,
    token: String,
    tz: Tz,
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut r = http.request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{status}: {v}");
    }
    Ok(v)
}

async fn set_up(http: &reqwest::Client, base: &str, n: usize, r: &Value) -> anyhow::Result<Place> {
    let tz_name = r["timezone"].as_str().unwrap_or("UTC");
    let signup = call(
        http,
        reqwest::Method::POST,
        format!("{base}/v1/auth/signup"),
        None,
        Some(json!({ "email": format!("owner{n}@bench.test"), "password": "bench-password-1", "name": "Owner",
            "restaurant": { "name": r["name"], "timezone": tz_name, "currency": "USD" } })),
    )
    .await?;
    let rid = signup["restaurant"]["id"].as_str().context("restaurant id")?.to_owned();
    let token = signup["access_token"].as_str().context("token")?.to_owned();
    let at = |p: &str| format!("{base}/v1/restaurants/{rid}/{p}");
    let post = |p: String, b: Value| call(http, reqwest::Method::POST, p, Some(&token), Some(b));
    let cat = post(at("menu/categories"), json!({ "name": "Menu" })).await?;
    let options: Vec<Value> = r["options"].as_array().cloned().unwrap_or_default();
    for (i, item) in r["items"].as_array().context("items")?.iter().enumerate() {
        let mut body = json!({ "category_id": cat["id"], "name": item, "price": 900 + i * 50 });
        if i % 3 == 0 {
            let opts: Vec<Value> = options.iter().map(|o| json!({ "name": o, "price_delta": 100 })).collect();
            body["modifier_groups"] = json!([{ "name": "Add", "min": 0, "max": 3, "options": opts }]);
        }
        post(at("menu/items"), body).await?;
    }
    for s in r["stock"].as_array().cloned().unwrap_or_default() {
        let mut body = json!({ "name": s[0], "unit": "g", "reorder_point": 1000 });
        if let Some(unit) = s[1].as_str() {
            // A purchase unit of a kind that counts in each (a case, a flat) or weighs.
            body["unit"] = json!(if matches!(unit, "gallon" | "bottle") { "ml" } else { "each" });
            body["purchase_units"] = json!([{ "name": unit, "quantity": 12 }]);
        }
        post(at("inventory/items"), body).await?;
    }
    for (k, name) in r["staff"].as_array().cloned().unwrap_or_default().iter().enumerate() {
        let (phone, pin) = (format!("55501{n}{k:04}"), format!("{}", 4000 + 37 * k + 11 * n));
        post(at("users"), json!({ "name": name, "role": "staff", "phone": phone, "pin": pin })).await?;
    }
    Ok(Place { rid, token, tz: tz_name.parse().unwrap_or(chrono_tz::UTC) })
}

/// Whether a turn did what the corpus expects.
fn right(turn: &Value, expect: &Value, tz: Tz) -> bool {
    let actions = turn["actions"].as_array().cloned().unwrap_or_default();
    match expect.as_str() {
        Some("clarify") => return turn.get("clarify").is_some_and(|c| c.is_object()),
        Some("none") => return actions.is_empty() && turn.get("clarify").is_none(),
        Some("missing") => {
            return !actions.is_empty()
                && actions.iter().all(|a| a["status"] == "failed")
                && turn["reply"].as_str().is_some_and(|r| r.contains("no "))
        }
        _ => {}
    }
    let Some(wanted) = expect.as_array() else { return false };
    if wanted.len() != actions.len() || turn.get("clarify").is_some_and(|c| c.is_object()) {
        return false;
    }
    wanted.iter().zip(&actions).all(|(w, a)| {
        // Understanding is what is measured: a command understood right that the restaurant's
        // state refuses (no order 22 today, not clocked in) still counts.
        if w["tool"] != a["tool"] {
            return false;
        }
        let Some(args) = w.get("args").and_then(Value::as_object) else { return true };
        args.iter().all(|(k, v)| same(k, v, &a["args"][k], tz))
    })
}

fn same(key: &str, want: &Value, got: &Value, tz: Tz) -> bool {
    match (want, got) {
        (Value::Array(w), Value::Array(g)) => {
            let mut w: Vec<String> = w.iter().map(|x| x.to_string()).collect();
            let mut g: Vec<String> = g.iter().map(|x| x.to_string()).collect();
            w.sort();
            g.sort();
            w == g
        }
        (Value::Number(w), Value::Number(g)) => (w.as_f64().unwrap_or(0.0) - g.as_f64().unwrap_or(1.0)).abs() < 1e-9,
        (Value::String(w), Value::String(g)) if (key == "until" || key == "due") && w.contains(':') => {
            // "09:00|21:00": whichever comes next depends on when the benchmark runs.
            g.parse::<DateTime<Utc>>()
                .is_ok_and(|t| w.split('|').any(|x| t.with_timezone(&tz).format("%H:%M").to_string() == x))
        }
        (w, g) => w == g,
    }
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn speak(text: &str, noisy: bool, dir: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = dir.join("raw.wav");
    let out = dir.join("out.wav");
    let ok = Command::new("espeak-ng").args(["-v", "en-us", "-w"]).arg(&raw).arg(text).status()?.success();
    if !ok {
        bail!("espeak-ng failed");
    }
    let mut sox = Command::new("sox");
    if noisy {
        // A kitchen: a low rumble (brown noise) and hiss (pink noise) with a clatter-like
        // tremolo, mixed at about a fifth of the speech's level.
        let noise = dir.join("noise.wav");
        let ok = Command::new("sox")
            .arg(&raw)
            .arg(&noise)
            .args([
                "synth",
                "brownnoise",
                "vol",
                "0.15",
                "synth",
                "pinknoise",
                "mix",
                "vol",
                "0.6",
                "tremolo",
                "7",
                "40",
            ])
            .status()?
            .success();
        if !ok {
            bail!("sox could not make noise");
        }
        sox.arg("-m").arg(&raw).arg(&noise);
    } else {
        sox.arg(&raw);
    }
    if !sox.args(["-r", "16000", "-c", "1", "-b", "16"]).arg(&out).status()?.success() {
        bail!("sox failed");
    }
    Ok(std::fs::read(&out)?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let audio = !std::env::args().any(|a| a == "--no-audio");
    let corpus: Value = serde_json::from_str(CORPUS)?;
    let server = start()?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    for _ in 0..300 {
        if http.get(format!("{}/health/ready", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let work = std::env::temp_dir().join(format!("assistant-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&work)?;
    let (mut text_ok, mut text_n, mut text_ms) = (0, 0, Vec::new());
    let mut audio_stats = [(0, 0, Vec::new()), (0, 0, Vec::new())];
    let mut misses = Vec::new();
    for (n, r) in corpus["restaurants"].as_array().context("restaurants")?.iter().enumerate() {
        let place = set_up(&http, &server.base, n, r).await?;
        let name = r["name"].as_str().unwrap_or("?");
        for u in r["utterances"].as_array().context("utterances")? {
            let text = u["text"].as_str().unwrap_or_default();
            let started = Instant::now();
            let turn = call(
                &http,
                reqwest::Method::POST,
                format!("{}/v1/restaurants/{}/assistant/text", server.base, place.rid),
                Some(&place.token),
                Some(json!({ "text": text })),
            )
            .await?;
            text_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            text_n += 1;
            if right(&turn, &u["expect"], place.tz) {
                text_ok += 1;
            } else {
                misses.push(format!("text  [{name}] \"{text}\" -> {}", summary(&turn)));
            }
            if !(audio && u["audio"].as_bool() == Some(true)) {
                continue;
            }
            for (k, noisy) in [false, true].into_iter().enumerate() {
                let wav = speak(text, noisy, &work)?;
                let started = Instant::now();
                let resp = http
                    .post(format!("{}/v1/restaurants/{}/assistant/audio", server.base, place.rid))
                    .bearer_auth(&place.token)
                    .header("Content-Type", "audio/wav")
                    .body(wav)
                    .send()
                    .await?;
                let status = resp.status();
                let turn: Value = resp.json().await.unwrap_or(Value::Null);
                audio_stats[k].2.push(started.elapsed().as_secs_f64() * 1000.0);
                audio_stats[k].1 += 1;
                if status.is_success() && right(&turn, &u["expect"], place.tz) {
                    audio_stats[k].0 += 1;
                } else {
                    let kind = if noisy { "noisy" } else { "clean" };
                    misses.push(format!(
                        "{kind} [{name}] \"{text}\" heard \"{}\" -> {}",
                        turn["transcript"].as_str().unwrap_or("?"),
                        summary(&turn)
                    ));
                }
            }
        }
    }
    let pct = |ok: usize, n: usize| if n == 0 { 0.0 } else { 100.0 * ok as f64 / n as f64 };
    println!("assistant on a held-out corpus ({} menus)", corpus["restaurants"].as_array().map_or(0, Vec::len));
    println!(
        "  text:  {text_ok}/{text_n} done exactly right ({:.1} %); turn p50 {:.1} ms, p95 {:.1} ms",
        pct(text_ok, text_n),
        percentile(text_ms.clone(), 0.5),
        percentile(text_ms, 0.95)
    );
    for (k, label) in ["audio, clean", "audio, noise"].iter().enumerate() {
        let (ok, n, ms) = &audio_stats[k];
        if *n > 0 {
            println!(
                "  {label}: {ok}/{n} ({:.1} %); turn p50 {:.0} ms, p95 {:.0} ms",
                pct(*ok, *n),
                percentile(ms.clone(), 0.5),
                percentile(ms.clone(), 0.95)
            );
        }
    }
    if audio {
        if let Some(mib) = engine_memory(&work) {
            println!("  speech engine (pocketsphinx_continuous, one decode): peak {mib:.1} MiB");
        }
    }
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())) {
        if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            println!("  server peak RSS: {}", l.trim_start_matches("VmHWM:").trim());
        }
    }
    println!("misses ({}):", misses.len());
    for m in &misses {
        println!("  {m}");
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn summary(turn: &Value) -> String {
    if let Some(c) = turn.get("clarify").filter(|c| c.is_object()) {
        return format!("clarify {}", c["candidates"]);
    }
    let acts: Vec<String> = turn["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "{} {} [{}]",
                        x["tool"].as_str().unwrap_or("?"),
                        x["args"],
                        x["status"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if acts.is_empty() {
        format!("nothing ({})", turn["reply"].as_str().unwrap_or(&turn.to_string()))
    } else {
        acts.join("; ")
    }
}

/// Peak memory of one decode, read by /usr/bin/time, against the last grammar written.
fn engine_memory(work: &Path) -> Option<f64> {
    let grammar = std::fs::read_dir(std::env::temp_dir())
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("brigade-grammar-"))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())?
        .path();
    let wav = work.join("memory.wav");
    std::fs::write(&wav, speak("eighty six the salmon", false, work).ok()?).ok()?;
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg("pocketsphinx_continuous")
        .arg("-infile")
        .arg(&wav)
        .arg("-jsgf")
        .arg(grammar.join("brigade.gram"))
        .arg("-dict")
        .arg(grammar.join("brigade.dict"))
        .args(["-hmm", "/usr/share/pocketsphinx/model/en-us/en-us", "-logfn", "/dev/null"])
        .output()
        .ok()?;
    let kb: f64 = String::from_utf8_lossy(&out.stderr).lines().last()?.trim().parse().ok()?;
    Some(kb / 1024.0)
}
