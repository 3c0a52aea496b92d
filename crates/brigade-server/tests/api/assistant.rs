//! The operator assistant over REST: commands in words, done with the speaker's own
//! permissions; ambiguity asked, destructive actions confirmed, bad input refused.

use crate::support::{long_tokens, Owner, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

struct Kitchen {
    app: TestApp,
    owner: Owner,
    items: std::collections::HashMap<String, Uuid>,
}

impl Kitchen {
    async fn new() -> Kitchen {
        let app = TestApp::builder()
            .config(|c| {
                long_tokens(c);
                c.open_signup = true;
            })
            .spawn()
            .await;
        let owner = app.signup("ana@example.com", "Trattoria").await;
        let r = |p: &str| format!("/v1/restaurants/{}/{p}", owner.rid);
        let cat = app.post(&r("menu/categories"), &owner.token, json!({ "name": "Mains" })).await.id("/id");
        let mut items = std::collections::HashMap::new();
        for name in [
            "Classic Burger",
            "Veggie Burger",
            "Chicken Burger",
            "Grilled Salmon",
            "Penne Arrabbiata",
            "Tiramisu",
            "Chocolate Shake",
            "Vanilla Shake",
        ] {
            let mut body = json!({ "category_id": cat, "name": name, "price": 1000 });
            if name.ends_with("Burger") {
                body["modifier_groups"] = json!([{ "name": "Extras", "min": 0, "max": 2,
                    "options": [{ "name": "Avocado", "price_delta": 150 }, { "name": "Cheese", "price_delta": 100 }] }]);
            }
            let made = app.post(&r("menu/items"), &owner.token, body).await;
            made.expect(201, "");
            items.insert(name.to_owned(), made.id("/id"));
        }
        Kitchen { app, owner, items }
    }

    async fn say_as(&self, token: &str, text: &str, session: Option<&str>) -> Value {
        let mut body = json!({ "text": text });
        if let Some(s) = session {
            body["session_id"] = json!(s);
        }
        let r = self.app.post(&format!("/v1/restaurants/{}/assistant/text", self.owner.rid), token, body).await;
        r.expect(200, "");
        r.body.clone()
    }

    async fn say(&self, text: &str) -> Value {
        self.say_as(&self.owner.token, text, None).await
    }

    async fn available(&self, name: &str) -> bool {
        let path = format!("/v1/restaurants/{}/menu/items/{}", self.owner.rid, self.items[name]);
        self.app.get(&path, &self.owner.token).await.body["availability"]["available"].as_bool().unwrap()
    }
}

#[tokio::test]
async fn commands_are_done_with_the_speakers_permissions_and_recorded() {
    let k = Kitchen::new().await;
    let t = k.say("86 the salmon until 5").await;
    assert_eq!(t["engine"], "offline");
    assert_eq!(t["actions"][0]["tool"], "eighty_six");
    assert_eq!(t["actions"][0]["status"], "done");
    assert_eq!(t["actions"][0]["args"]["items"], json!(["Grilled Salmon"]));
    assert_eq!(t["actions"][0]["result"][0]["name"], "Grilled Salmon", "the item view, as REST gives it");
    assert!(t["reply"].as_str().unwrap().starts_with("86'd Grilled Salmon until"), "{}", t["reply"]);
    assert!(!k.available("Grilled Salmon").await);
    let audit =
        k.app.get(&format!("/v1/restaurants/{}/audit?type=voice.action_completed", k.owner.rid), &k.owner.token).await;
    let e = &audit.body["items"][0];
    assert_eq!(e["data"]["utterance"], "86 the salmon until 5");
    assert_eq!(e["data"]["tool"], "eighty_six");
    let heard =
        k.app.get(&format!("/v1/restaurants/{}/audit?type=voice.command_received", k.owner.rid), &k.owner.token).await;
    assert_eq!(heard.body["items"].as_array().unwrap().len(), 1);
    let changed = k
        .app
        .get(&format!("/v1/restaurants/{}/audit?type=menu.availability_changed", k.owner.rid), &k.owner.token)
        .await;
    assert!(changed.body["items"][0]["actor"].as_str().unwrap().starts_with("user:"), "{}", changed.body["items"][0]);

    let back = k.say("the salmon is back on").await;
    assert_eq!(
        (back["actions"][0]["tool"].clone(), back["actions"][0]["status"].clone()),
        (json!("restore"), json!("done"))
    );
    assert!(k.available("Grilled Salmon").await);

    let option = k.say("we're out of avocado").await;
    assert_eq!(option["actions"][0]["tool"], "eighty_six_option");
    assert_eq!(option["actions"][0]["status"], "done");
    let burger = k
        .app
        .get(&format!("/v1/restaurants/{}/menu/items/{}", k.owner.rid, k.items["Veggie Burger"]), &k.owner.token)
        .await;
    assert_eq!(burger.body["modifier_groups"][0]["options"][0]["available"], false);

    // A staff member may 86, not read labour.
    let (_, staff) = k.app.add_member(&k.owner, "sam@example.com", "staff").await;
    let refused = k.say_as(&staff, "what's labour at?", None).await;
    assert_eq!(refused["actions"][0]["status"], "failed");
    assert!(refused["reply"].as_str().unwrap().contains("staff"), "{}", refused["reply"]);
    let clock = k.say_as(&staff, "clock me in", None).await;
    assert_eq!(clock["actions"][0]["status"], "done");
    assert!(clock["reply"].as_str().unwrap().starts_with("Clocked in"));
    let commands = k.app.get(&format!("/v1/restaurants/{}/assistant/commands", k.owner.rid), &staff).await;
    let tools: Vec<&str> = commands.body.as_array().unwrap().iter().map(|c| c["tool"].as_str().unwrap()).collect();
    for t in [
        "eighty_six",
        "restore",
        "eighty_six_option",
        "restore_option",
        "list_unavailable",
        "low_stock",
        "receive_stock",
        "sales_summary",
        "labor_summary",
        "queue_status",
        "order_status",
        "set_order_status",
        "staff_on_clock",
        "clock_in",
        "clock_out",
        "start_break",
        "end_break",
        "create_task",
        "list_tasks",
        "busy_mode",
        "help",
    ] {
        assert!(tools.contains(&t), "{t} is listed");
    }
    assert_eq!(commands.body[0]["parameters"]["type"], "object");
}

#[tokio::test]
async fn ambiguity_is_asked_and_nothing_changes_until_it_is_answered() {
    let k = Kitchen::new().await;
    let t = k.say("86 the burger").await;
    assert_eq!(t["actions"], json!([]));
    let mut candidates: Vec<String> =
        t["clarify"]["candidates"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    candidates.sort();
    assert_eq!(candidates, ["Chicken Burger", "Classic Burger", "Veggie Burger"]);
    for b in ["Classic Burger", "Veggie Burger", "Chicken Burger"] {
        assert!(k.available(b).await, "{b} unchanged");
    }
    let session = t["session_id"].as_str().unwrap().to_owned();
    let answered = k.say_as(&k.owner.token, "the veggie one", Some(&session)).await;
    assert_eq!(answered["actions"][0]["args"]["items"], json!(["Veggie Burger"]));
    assert_eq!(answered["actions"][0]["status"], "done");
    assert!(!k.available("Veggie Burger").await && k.available("Classic Burger").await);

    let lobster = k.say("86 the lobster").await;
    assert_eq!(lobster["actions"][0]["status"], "failed");
    assert!(lobster["reply"].as_str().unwrap().contains("no lobster"), "{}", lobster["reply"]);
}

#[tokio::test]
async fn destructive_actions_wait_for_a_yes() {
    let k = Kitchen::new().await;
    let rid = k.owner.rid;
    // More than three items at once.
    let t = k.say("86 the salmon, the tiramisu, the arrabiata and the shakes").await;
    assert!(t["actions"].as_array().unwrap().iter().all(|a| a["status"] == "needs_confirmation"), "{t}");
    assert!(k.available("Tiramisu").await, "nothing changes before the yes");
    let session = t["session_id"].as_str().unwrap().to_owned();
    let confirm = format!("/v1/restaurants/{rid}/assistant/confirm");
    let yes = k.app.post(&confirm, &k.owner.token, json!({ "session_id": session, "yes": true })).await;
    yes.expect(200, "");
    assert_eq!(yes.body["actions"][0]["status"], "done");
    for n in ["Grilled Salmon", "Tiramisu", "Penne Arrabbiata", "Chocolate Shake", "Vanilla Shake"] {
        assert!(!k.available(n).await, "{n} 86'd");
    }
    // Confirmed once only.
    k.app
        .post(&confirm, &k.owner.token, json!({ "session_id": session, "yes": true }))
        .await
        .expect(409, "nothing_to_confirm");

    // Cancelling an order: "no" keeps it.
    let cat = k.items["Tiramisu"];
    k.say("bring back the tiramisu").await;
    let placed = k.app.order(&k.owner, &k.owner.token, "pos", json!([{ "item_id": cat, "quantity": 1 }])).await;
    placed.expect(201, "");
    let n = placed.body["number"].as_i64().unwrap();
    let t = k.say(&format!("cancel order {n}")).await;
    assert_eq!(t["actions"][0]["status"], "needs_confirmation");
    let session = t["session_id"].as_str().unwrap().to_owned();
    let no = k.say_as(&k.owner.token, "no", Some(&session)).await;
    assert_eq!(no["actions"][0]["status"], "cancelled");
    let order = k.app.get(&format!("/v1/restaurants/{rid}/orders/{}", placed.id("/id")), &k.owner.token).await;
    assert_eq!(order.body["status"], "received");
    let ready = k.say(&format!("order {n} is ready")).await;
    assert_eq!(ready["actions"][0]["status"], "done");
    assert_eq!(ready["actions"][0]["result"]["status"], "ready");
    let missing = k.say("order 999 is ready").await;
    assert_eq!(missing["actions"][0]["status"], "failed");

    // Pausing a delivery channel waits too; extra minutes do not.
    let busy = k.say("busy mode 20 minutes").await;
    assert_eq!(busy["actions"][0]["status"], "done");
    let pause = k.say("pause uber eats").await;
    assert_eq!(pause["actions"][0]["status"], "needs_confirmation");
    let state = k.app.get(&format!("/v1/restaurants/{rid}/busy"), &k.owner.token).await;
    assert_eq!((state.body["extra_minutes"].clone(), state.body["paused_channels"].clone()), (json!(20), json!([])));
}

#[tokio::test]
async fn bad_input_is_refused_and_sessions_are_their_speakers_own() {
    let k = Kitchen::new().await;
    let path = format!("/v1/restaurants/{}/assistant/text", k.owner.rid);
    k.app.post(&path, &k.owner.token, json!({ "text": "  " })).await.expect(422, "validation_failed");
    let long = "86 the salmon ".repeat(800);
    k.app.post(&path, &k.owner.token, json!({ "text": long })).await.expect(422, "validation_failed");
    k.app.post(&path, &k.owner.token, json!({})).await.expect(422, "validation_failed");
    assert!(k.available("Grilled Salmon").await);
    let t = k.say("86 the burger").await;
    let session = t["session_id"].as_str().unwrap().to_owned();
    let (_, staff) = k.app.add_member(&k.owner, "sam@example.com", "staff").await;
    let body = json!({ "text": "the veggie one", "session_id": session });
    k.app.post(&path, &staff, body.clone()).await.expect(404, "not_found");
    let other = k.app.signup("bo@example.com", "Elsewhere").await;
    let theirs = format!("/v1/restaurants/{}/assistant/text", other.rid);
    k.app.post(&theirs, &other.token, body).await.expect(404, "not_found");
    k.app.post(&path, &other.token, json!({ "text": "86 the salmon" })).await.expect(404, "not_found");
    assert!(k.available("Veggie Burger").await);
    let nonsense = k.say("the weather is lovely").await;
    assert_eq!(nonsense["actions"], json!([]));
    assert!(nonsense["reply"].as_str().unwrap().contains("didn't catch"));
}

#[tokio::test]
async fn a_language_model_reads_what_the_offline_engine_cannot_under_the_same_rules() {
    use crate::fakes::{FakeLlm, LlmAnswer};
    let llm = FakeLlm::start().await;
    let base = llm.base_url.clone();
    let app = TestApp::builder()
        .config(move |c| {
            long_tokens(c);
            c.llm_base_url = Some(base);
            c.llm_api_key = Some("sk-test-llm".into());
            c.llm_model = "test-model".into();
            c.llm_timeout_secs = 1;
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Trattoria").await;
    let r = |p: &str| format!("/v1/restaurants/{}/{p}", owner.rid);
    let cat = app.post(&r("menu/categories"), &owner.token, json!({ "name": "Mains" })).await.id("/id");
    let salmon = app
        .post(&r("menu/items"), &owner.token, json!({ "category_id": cat, "name": "Grilled Salmon", "price": 1000 }))
        .await
        .id("/id");
    let say = |text: &'static str| {
        let (app, path, token) = (&app, r("assistant/text"), owner.token.clone());
        async move {
            let t = app.post(&path, &token, json!({ "text": text })).await;
            t.expect(200, "");
            t.body.clone()
        }
    };
    let puzzle = "please make sure nobody gets the fish tonight";

    llm.answer(LlmAnswer::Calls(vec![("eighty_six".into(), json!({ "items": ["salmon"], "until": "end_of_day" }))]));
    let t = say(puzzle).await;
    assert_eq!(t["engine"], "llm", "{t}");
    assert_eq!(t["actions"][0]["status"], "done", "{t}");
    let item = app.get(&r(&format!("menu/items/{salmon}")), &owner.token).await;
    assert_eq!(item.body["availability"]["available"], false);
    {
        let st = llm.state.lock();
        let req = &st.requests[0];
        assert_eq!(req["model"], "test-model");
        assert_eq!(req["messages"][1]["content"], puzzle);
        let offered: Vec<&str> =
            req["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
        assert!(offered.contains(&"eighty_six") && offered.contains(&"set_order_status"));
        assert!(req["messages"][0]["content"].as_str().unwrap().contains("Grilled Salmon"), "it knows the menu");
    }
    // What the model proposes goes through the same confirmation rule.
    let tiramisu = app
        .post(&r("menu/items"), &owner.token, json!({ "category_id": cat, "name": "Tiramisu", "price": 700 }))
        .await
        .id("/id");
    app.order(&owner, &owner.token, "pos", json!([{ "item_id": tiramisu, "quantity": 1 }])).await.expect(201, "");
    llm.answer(LlmAnswer::Calls(vec![("set_order_status".into(), json!({ "number": 1, "status": "cancelled" }))]));
    let t = say("get rid of the first one of the day").await;
    assert_eq!((t["engine"].clone(), t["actions"][0]["status"].clone()), (json!("llm"), json!("needs_confirmation")));
    // Words back, a tool it may not offer, errors, a rate limit and slowness: the offline answer stands.
    llm.answer(LlmAnswer::Words("Which table do you mean?".into()));
    assert_eq!(say("what about the thing for table nine").await["reply"], "Which table do you mean?");
    llm.answer(LlmAnswer::Calls(vec![("drop_database".into(), json!({}))]));
    for answer in [
        LlmAnswer::Error(500),
        LlmAnswer::Error(429),
        LlmAnswer::Error(401),
        LlmAnswer::Slow(std::time::Duration::from_secs(3)),
    ] {
        llm.answer(answer);
    }
    for _ in 0..5 {
        let t = say("the weather is lovely today isn't it").await;
        assert_eq!(t["engine"], "offline", "{t}");
        assert!(t["reply"].as_str().unwrap().contains("didn't catch"), "{t}");
        assert_eq!(t["actions"], json!([]));
    }
    // A command the offline engine reads never reaches the model.
    let before = llm.state.lock().requests.len();
    assert_eq!(say("the salmon is back on").await["engine"], "offline");
    assert_eq!(llm.state.lock().requests.len(), before);
}

/// Speech made by espeak-ng at 16 kHz (sox mixing in noise when asked), as a WAV.
pub fn spoken(text: &str, noise: bool) -> Option<Vec<u8>> {
    let have = |p: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(have("espeak-ng") && have("sox") && have("pocketsphinx_continuous")) {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must test speech (apt-get install espeak-ng sox pocketsphinx pocketsphinx-en-us)"
        );
        eprintln!("!!! SKIPPED: speech (apt-get install espeak-ng sox pocketsphinx pocketsphinx-en-us) !!!");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("brigade-said-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("raw.wav");
    let out = dir.join("out.wav");
    assert!(std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&raw)
        .arg(text)
        .status()
        .unwrap()
        .success());
    let mut sox = std::process::Command::new("sox");
    if noise {
        // Kitchen noise: brown noise at a fifth of the speech's level, mixed in.
        let n = dir.join("noise.wav");
        assert!(std::process::Command::new("sox")
            .arg(&raw)
            .arg(&n)
            .args(["synth", "brownnoise", "vol", "0.2"])
            .status()
            .unwrap()
            .success());
        sox.args(["-m"]).arg(&raw).arg(&n);
    } else {
        sox.arg(&raw);
    }
    assert!(sox.args(["-r", "16000", "-c", "1", "-b", "16"]).arg(&out).status().unwrap().success());
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Some(bytes)
}

#[tokio::test]
async fn spoken_commands_are_heard_against_the_restaurants_own_words() {
    let Some(clean) = spoken("eighty six the grilled salmon", false) else { return };
    let k = Kitchen::new().await;
    let path = format!("/v1/restaurants/{}/assistant/audio", k.owner.rid);
    let post = |body: Vec<u8>, kind: &'static str| {
        let (url, token) = (k.app.url(&path), k.owner.token.clone());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", kind)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, t) = post(clean, "audio/wav").await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["transcript"], "eighty six the grilled salmon");
    assert_eq!(t["actions"][0]["status"], "done");
    assert!(!k.available("Grilled Salmon").await);

    let noisy = spoken("the grilled salmon is back on", true).unwrap();
    let (_, t) = post(noisy, "audio/wav").await;
    assert_eq!(t["actions"][0]["tool"], "restore", "{t}");
    assert!(k.available("Grilled Salmon").await);

    // A spoken "which burger?" answered by voice, in the same session.
    let (_, t) = post(spoken("eighty six the burger", false).unwrap(), "audio/wav").await;
    assert!(t["clarify"]["candidates"].as_array().is_some_and(|c| c.len() == 3), "{t}");

    // Bad audio: not a WAV, the wrong type, silence, too big.
    let (s, e) = post(b"RIFF nonsense".to_vec(), "audio/wav").await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("not_wav")));
    let (s, _) = post(b"{}".to_vec(), "application/json").await;
    assert_eq!(s, 400);
    let silence = {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut b = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut b, spec).unwrap();
        for _ in 0..16_000 {
            w.write_sample(0i16).unwrap();
        }
        w.finalize().unwrap();
        b.into_inner()
    };
    let (s, e) = post(silence, "audio/wav").await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("validation_failed")));
    let (s, _) = post(vec![0u8; 20 * 1024 * 1024], "audio/wav").await;
    assert_eq!(s, 413);

    // And the reply, spoken back.
    let wav = reqwest::Client::new()
        .post(k.app.url(&format!("/v1/restaurants/{}/assistant/tts", k.owner.rid)))
        .bearer_auth(&k.owner.token)
        .json(&json!({ "text": "86'd Grilled Salmon." }))
        .send()
        .await
        .unwrap();
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    let bytes = wav.bytes().await.unwrap();
    assert!(hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).unwrap().duration() > 8000);
}
