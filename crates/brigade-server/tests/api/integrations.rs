//! Integrations and the sync engine against a local fake of Uber Eats: connecting and
//! testing, credentials sealed and never shown, the first menu upload, 86s pushed and
//! verified, coalescing, retries through 5xx bursts and 429 Retry-After, an outage that
//! delivers everything in order afterwards, dead jobs becoming tasks, drift found and
//! repaired, a worker that died mid-sync, and tenant isolation.

use crate::fakes::FakeUber;
use crate::support::{long_tokens, Menu, Owner, TestApp};
use chrono::Duration;
use serde_json::{json, Value};
use uuid::Uuid;

struct Setup {
    app: TestApp,
    owner: Owner,
    menu: Menu,
    uber: FakeUber,
}

async fn setup_with(f: impl FnOnce(&mut brigade_server::config::Config)) -> Setup {
    let uber = FakeUber::start("store-1").await;
    let (base, auth) = (uber.base_url.clone(), uber.auth_url());
    let app = TestApp::builder()
        .config(|c| {
            c.ubereats_base_url = base;
            c.ubereats_auth_url = auth;
            c.sync_drift_interval_secs = 0;
            long_tokens(c);
            f(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@sync.test", "Sync Diner").await;
    let menu = app.menu(&owner).await;
    Setup { app, owner, menu, uber }
}

async fn setup() -> Setup {
    setup_with(|_| {}).await
}

impl Setup {
    fn path(&self, rest: &str) -> String {
        format!("/v1/restaurants/{}/{rest}", self.owner.rid)
    }

    async fn connect(&self) -> Uuid {
        let body = json!({ "platform": "ubereats", "store_id": "store-1", "credentials": self.uber.credentials() });
        let r = self.app.post(&self.path("integrations"), &self.owner.token, body).await;
        r.expect(201, "");
        r.id("/id")
    }

    /// Moves time past the coalescing window and wakes the sync worker.
    fn tick(&self, by: Duration) {
        self.app.clock.advance(by);
        self.app.state.wake_sync();
    }

    async fn job(&self, id: Uuid) -> Value {
        let r = self.app.get(&self.path(&format!("sync/jobs/{id}")), &self.owner.token).await;
        r.expect(200, "");
        r.body
    }

    async fn jobs(&self, query: &str) -> Vec<Value> {
        let r = self.app.get(&self.path(&format!("sync/jobs?{query}")), &self.owner.token).await;
        r.expect(200, "");
        r.body["items"].as_array().unwrap().clone()
    }

    /// Waits until no sync job is waiting, moving the clock so retries fall due.
    async fn settle(&self, step: Duration) {
        self.app.settle_sync(&self.owner, step).await;
    }

    async fn eighty_six(&self, item: Uuid, on: bool) {
        let body = if on { json!({ "available": false, "reason": "sold out" }) } else { json!({ "available": true }) };
        let r = self.app.post(&self.path(&format!("menu/items/{item}/availability")), &self.owner.token, body).await;
        r.expect(200, "");
    }

    /// Moves time past the drift interval and waits for the next check and its repair.
    async fn drift_check(&self, id: Uuid) -> Value {
        let path = self.path(&format!("integrations/{id}"));
        let before = self.app.get(&path, &self.owner.token).await.body["drift_checked_at"].clone();
        self.tick(Duration::seconds(120));
        for _ in 0..400 {
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            self.tick(Duration::seconds(2));
            let now = self.app.get(&path, &self.owner.token).await.body;
            if now["drift_checked_at"] != before {
                self.settle(Duration::seconds(2)).await;
                return self.app.get(&path, &self.owner.token).await.body;
            }
        }
        panic!("no drift check ran");
    }

    async fn status(&self) -> Value {
        let r = self.app.get(&self.path("sync/status"), &self.owner.token).await;
        r.expect(200, "");
        r.body["integrations"][0].clone()
    }
}

const INDEFINITELY: i64 = 4_102_444_800;

#[tokio::test]
async fn connecting_tests_for_real_and_never_shows_the_secret() {
    let s = setup().await;
    let id = s.connect().await;
    let r = s.app.get(&s.path(&format!("integrations/{id}")), &s.owner.token).await;
    r.expect(200, "");
    assert_eq!(r.body["credentials"], json!({ "client_id": "…1234", "client_secret": "set" }));
    assert!(!r.body.to_string().contains("uber-secret"), "{}", r.body);
    let list = s.app.get(&s.path("integrations"), &s.owner.token).await;
    assert!(!list.body.to_string().contains("uber-secret"));

    // Sealed at rest: the stored bytes do not hold the secret.
    let row = brigade_store::integrations::by_id(&s.app.state.db, id).await.unwrap().unwrap();
    let sealed = row.credentials.unwrap();
    assert!(!sealed.windows(b"uber-secret".len()).any(|w| w == b"uber-secret"));

    let t = s.app.post(&s.path(&format!("integrations/{id}/test")), &s.owner.token, json!({})).await;
    t.expect(200, "");
    assert_eq!(t.body["ok"], true, "{}", t.body);
    assert!(t.str("/message").contains("ONLINE"), "{}", t.body);
    let calls = s.uber.state.lock().calls.clone();
    let token = calls.iter().find(|c| c.path == "/oauth/v2/token").unwrap();
    assert_eq!((token.method.as_str(), &token.body["grant_type"]), ("POST", &json!("client_credentials")));
    assert_eq!(token.body["scope"], brigade_server::integrations::ubereats::SCOPES);

    // Wrong credentials: the test says so and the integration shows it.
    let change = json!({ "credentials": { "client_id": "uber-client-1234", "client_secret": "wrong" } });
    s.app
        .call(reqwest::Method::PATCH, &s.path(&format!("integrations/{id}")), Some(&s.owner.token), Some(change))
        .await
        .expect(200, "");
    let t = s.app.post(&s.path(&format!("integrations/{id}/test")), &s.owner.token, json!({})).await;
    assert_eq!(t.body["ok"], false);
    assert!(t.str("/message").contains("credentials"), "{}", t.body);
    assert_eq!(t.str("/integration/status"), "error");

    // Bad input changes nothing.
    let p = s.path("integrations");
    let bad = |body: Value| s.app.post(&p, &s.owner.token, body);
    bad(json!({ "platform": "justeat", "store_id": "x", "credentials": {} })).await.expect(422, "validation_failed");
    bad(json!({ "platform": "ubereats", "store_id": "x", "credentials": { "client_id": "a" } }))
        .await
        .expect(422, "validation_failed");
    bad(json!({ "platform": "ubereats", "store_id": "x", "credentials": { "client_id": "a", "client_secret": "b", "pin": "1" } }))
        .await
        .expect(422, "validation_failed");
    bad(json!({ "platform": "ubereats", "store_id": " ", "credentials": s.uber.credentials() }))
        .await
        .expect(422, "validation_failed");
    bad(json!({ "platform": "ubereats", "store_id": "store-1", "credentials": s.uber.credentials() }))
        .await
        .expect(409, "store_connected");
    let list = s.app.get(&p, &s.owner.token).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    // Staff may not see integrations; another restaurant cannot find them.
    let (_, staff) = s.app.add_member(&s.owner, "line@sync.test", "staff").await;
    s.app.get(&p, &staff).await.expect(403, "forbidden");
}

#[tokio::test]
async fn the_menu_goes_up_then_eighty_sixes_follow_coalesced_and_verified() {
    let s = setup().await;
    let id = s.connect().await;
    s.settle(Duration::seconds(2)).await;
    let first = s.jobs("").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["kind"], "menu");
    assert_eq!(first[0]["status"], "succeeded", "{}", first[0]);
    assert_eq!(first[0]["result"]["verified"], true);
    // The platform's own price is used.
    assert_eq!(s.uber.item(s.menu.cola).unwrap().price, 350);
    assert_eq!(s.uber.item(s.menu.burger).unwrap().suspend_until, 0);
    // Three items, and the burger's four options (items too, on Uber Eats) in two groups.
    assert_eq!(s.uber.state.lock().items.len(), 3 + 4);
    assert_eq!(s.uber.state.lock().modifier_groups.len(), 2);

    let mut ws = s.app.ws(Some(&s.owner.token)).await;
    // Ten toggles while the job waits: one push of the final state.
    for i in 0..10 {
        s.eighty_six(s.menu.burger, i % 2 == 0).await;
    }
    s.eighty_six(s.menu.burger, true).await;
    let waiting = s.jobs("status=pending").await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["changes"], 11);
    let job_id: Uuid = waiting[0]["id"].as_str().unwrap().parse().unwrap();
    ws.subscribe(&format!("job:{job_id}"), None).await;
    let before = s.uber.state.lock().applied.len();
    s.settle(Duration::seconds(2)).await;
    let applied = s.uber.state.lock().applied[before..].to_vec();
    assert_eq!(applied, vec![(s.menu.burger.to_string(), INDEFINITELY, 1200)]);
    let done = s.job(job_id).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["sent"]["suspension_info"]["suspension"]["reason"], "sold out");
    assert_eq!(done["result"]["available"], false);
    let event = ws.until("sync.job_succeeded").await;
    assert_eq!(event["event"]["data"]["integration_id"], id.to_string());

    // Back on: the suspension is lifted.
    s.eighty_six(s.menu.burger, false).await;
    s.settle(Duration::seconds(2)).await;
    assert_eq!(s.uber.item(s.menu.burger).unwrap().suspend_until, 0);
    let st = s.status().await;
    assert_eq!(st["status"], "active");
    assert_eq!((st["pending"].as_i64(), st["dead"].as_i64(), st["lag_seconds"].as_i64()), (Some(0), Some(0), Some(0)));

    // A price change is one item's update; a new item uploads the menu.
    let mut item = s.app.get(&s.path(&format!("menu/items/{}", s.menu.fries)), &s.owner.token).await.body;
    item["price"] = json!(450);
    s.app.put(&s.path(&format!("menu/items/{}", s.menu.fries)), &s.owner.token, item).await.expect(200, "");
    s.settle(Duration::seconds(2)).await;
    assert_eq!(s.uber.item(s.menu.fries).unwrap().price, 450);
    let body = json!({ "category_id": s.menu.mains, "name": "Onion rings", "price": 500 });
    let rings = s.app.post(&s.path("menu/items"), &s.owner.token, body).await.id("/id");
    s.settle(Duration::seconds(2)).await;
    assert_eq!(s.uber.item(rings).unwrap().title, "Onion rings");

    // Paused by a person: nothing is pushed; resuming sends the menu as it is then.
    let at = s.path(&format!("integrations/{id}"));
    let patch = |body: Value| s.app.call(reqwest::Method::PATCH, &at, Some(&s.owner.token), Some(body));
    patch(json!({ "status": "paused" })).await.expect(200, "");
    s.eighty_six(s.menu.fries, true).await;
    assert!(s.jobs("status=pending").await.is_empty());
    patch(json!({ "status": "resting" })).await.expect(422, "validation_failed");
    patch(json!({ "status": "active" })).await.expect(200, "");
    s.settle(Duration::seconds(2)).await;
    assert_eq!(s.uber.item(s.menu.fries).unwrap().suspend_until, INDEFINITELY);
}

#[tokio::test]
async fn bursts_of_errors_retry_and_rate_limits_wait_without_spending_attempts() {
    let s = setup().await;
    s.connect().await;
    s.settle(Duration::seconds(2)).await;

    s.uber.state.lock().fail_next.extend([500, 502, 503]);
    s.eighty_six(s.menu.fries, true).await;
    s.settle(Duration::seconds(30)).await;
    let job = &s.jobs("").await[0];
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 4, "three failures, then it went through");
    assert_eq!(s.uber.item(s.menu.fries).unwrap().suspend_until, INDEFINITELY);

    // A 429: the integration waits Retry-After; the attempt is not spent.
    s.uber.state.lock().retry_after_secs = 40;
    s.uber.state.lock().fail_next.push_back(429);
    s.eighty_six(s.menu.fries, false).await;
    s.tick(Duration::seconds(2));
    let job_id: Uuid = s.jobs("").await[0]["id"].as_str().unwrap().parse().unwrap();
    s.app
        .eventually("the 429 is recorded", || async {
            s.job(job_id).await["last_error"].as_str().is_some_and(|e| e.contains("rate limited"))
        })
        .await;
    let job = s.job(job_id).await;
    assert_eq!(job["status"], "pending");
    assert_eq!(job["attempts"], 0);
    // Not before the platform said.
    s.tick(Duration::seconds(20));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(s.job(job_id).await["status"], "pending");
    s.settle(Duration::seconds(25)).await;
    let job = s.job(job_id).await;
    assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("succeeded"), Some(1)));

    // A push the platform swallows is caught by reading back, and retried.
    s.uber.state.lock().ignore_updates = true;
    s.eighty_six(s.menu.cola, true).await;
    s.tick(Duration::seconds(2));
    s.app
        .eventually("verification fails", || async {
            s.jobs("").await[0]["last_error"].as_str().is_some_and(|e| e.contains("verification failed"))
        })
        .await;
    s.uber.state.lock().ignore_updates = false;
    s.settle(Duration::seconds(30)).await;
    assert_eq!(s.uber.item(s.menu.cola).unwrap().suspend_until, INDEFINITELY);
}

#[tokio::test]
async fn an_outage_delivers_every_change_afterwards_in_order_once() {
    let s = setup().await;
    s.connect().await;
    s.settle(Duration::seconds(2)).await;
    let before = s.uber.state.lock().applied.len();

    s.uber.state.lock().down = true;
    s.eighty_six(s.menu.burger, true).await;
    s.eighty_six(s.menu.fries, true).await;
    s.eighty_six(s.menu.cola, true).await;
    // Ten minutes of outage, retried with backoff all along.
    for _ in 0..60 {
        s.tick(Duration::seconds(10));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // No attempt in flight (the clock stands still, so none starts): the burger's change
    // back joins its waiting job rather than queueing behind a running one.
    s.app
        .eventually("no attempt in flight", || async {
            !s.jobs("limit=500").await.iter().any(|j| j["status"] == "running")
        })
        .await;
    s.eighty_six(s.menu.burger, false).await;
    let st = s.status().await;
    assert!(st["lag_seconds"].as_i64().unwrap() >= 590, "{st}");
    assert_eq!(st["pending"], 3);
    assert_eq!(st["dead"], 0);
    assert!(s.uber.calls_to("/menus/items/") >= 3, "it kept trying");

    s.uber.state.lock().down = false;
    s.settle(Duration::seconds(30)).await;
    let applied = s.uber.state.lock().applied[before..].to_vec();
    let (b, f, c) = (s.menu.burger.to_string(), s.menu.fries.to_string(), s.menu.cola.to_string());
    assert_eq!(applied, vec![(b, 0, 1200), (f, INDEFINITELY, 400), (c, INDEFINITELY, 350)]);
    let st = s.status().await;
    assert_eq!(
        (st["pending"].as_i64(), st["dead"].as_i64(), st["status"].as_str()),
        (Some(0), Some(0), Some("active"))
    );
}

#[tokio::test]
async fn a_change_that_cannot_be_delivered_becomes_a_task_and_a_resync_clears_it() {
    let s = setup().await;
    let id = s.connect().await;
    s.settle(Duration::seconds(2)).await;
    let mut ws = s.app.ws(Some(&s.owner.token)).await;
    ws.subscribe(&format!("restaurant:{}", s.owner.rid), None).await;

    s.uber.state.lock().down = true;
    s.eighty_six(s.menu.burger, true).await;
    s.settle(Duration::seconds(50)).await;
    let job = &s.jobs("").await[0];
    assert_eq!(job["status"], "dead", "{job}");
    assert_eq!(job["attempts"], 20);
    let dead = ws.until("sync.job_dead").await;
    assert_eq!(dead["event"]["data"]["task"], "Update Burger on Uber Eats by hand");
    let st = s.status().await;
    assert_eq!((st["status"].as_str(), st["dead"].as_i64()), (Some("degraded"), Some(1)));

    let today = s.app.clock.now().format("%Y-%m-%d").to_string();
    let tasks = s.app.get(&s.path(&format!("tasks?from={today}&to={today}")), &s.owner.token).await;
    let names: Vec<&str> = tasks.body["items"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"Update Burger on Uber Eats by hand"), "{}", tasks.body);

    // Back up; a person resyncs: the menu goes up whole and the integration is well again.
    s.uber.state.lock().down = false;
    let r = s.app.post(&s.path("sync/manual"), &s.owner.token, json!({ "integration_id": id })).await;
    r.expect(202, "");
    s.settle(Duration::seconds(2)).await;
    assert_eq!(s.uber.item(s.menu.burger).unwrap().suspend_until, INDEFINITELY);
    let st = s.status().await;
    assert_eq!((st["status"].as_str(), st["dead"].as_i64()), (Some("active"), Some(0)));

    // A refusal (a 4xx other than 404/429) is dead at once.
    s.uber.state.lock().fail_next.push_back(400);
    s.eighty_six(s.menu.cola, true).await;
    s.settle(Duration::seconds(2)).await;
    let job = &s.jobs("").await[0];
    assert_eq!((job["status"].as_str(), job["attempts"].as_i64()), (Some("dead"), Some(1)));
}

#[tokio::test]
async fn drift_is_found_and_repaired_or_only_reported() {
    let s = setup_with(|c| c.sync_drift_interval_secs = 60).await;
    let id = s.connect().await;
    s.settle(Duration::seconds(2)).await;

    // Someone suspends the cola on the tablet and changes the fries' price.
    {
        let mut st = s.uber.state.lock();
        st.items.get_mut(&s.menu.cola.to_string()).unwrap().suspend_until = INDEFINITELY;
        st.items.get_mut(&s.menu.fries.to_string()).unwrap().price = 999;
    }
    let i = s.drift_check(id).await;
    let found: Vec<String> =
        i["drift"]["items"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|f| f.contains("Cola sold out")), "{found:?}");
    assert!(found.iter().any(|f| f.contains("Fries at 999")), "{found:?}");
    assert_eq!(i["drift"]["repaired"], true);
    assert_eq!(s.uber.item(s.menu.cola).unwrap().suspend_until, 0, "repaired");
    assert_eq!(s.uber.item(s.menu.fries).unwrap().price, 400);

    // Only reported when the integration says so.
    let change = json!({ "config": { "repair_drift": false } });
    s.app
        .call(reqwest::Method::PATCH, &s.path(&format!("integrations/{id}")), Some(&s.owner.token), Some(change))
        .await
        .expect(200, "");
    s.settle(Duration::seconds(2)).await;
    s.uber.state.lock().items.get_mut(&s.menu.cola.to_string()).unwrap().suspend_until = INDEFINITELY;
    s.drift_check(id).await;
    let st = s.status().await;
    assert_eq!(st["drift"], 1, "{st}");
    assert_eq!(s.uber.item(s.menu.cola).unwrap().suspend_until, INDEFINITELY, "left as found");
}

#[tokio::test]
async fn a_worker_that_died_mid_push_is_taken_over_after_its_lease() {
    let s = setup().await;
    let id = s.connect().await;
    s.settle(Duration::seconds(2)).await;
    s.eighty_six(s.menu.burger, true).await;
    // Another node, whose clock reads the job as due, leased the integration, started
    // the job, and died. (Our clock stays put, so our worker cannot take it first.)
    let db = &s.app.state.db;
    let now = s.app.clock.now() + Duration::seconds(2);
    // Our worker lets go of the integration a moment after its last push: wait for that.
    let mut leased = Vec::new();
    for _ in 0..200 {
        leased = brigade_store::integrations::lease(db, "dead-node", now, now + Duration::seconds(60), 10, &[])
            .await
            .unwrap();
        if !leased.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(leased, vec![id]);
    let job = brigade_store::integrations::heads(db, id, now, 1).await.unwrap().remove(0);
    assert!(brigade_store::integrations::start(db, job.id, now).await.unwrap().is_some());
    s.tick(Duration::seconds(30));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(s.job(job.id).await["status"], "running", "not while its lease holds");
    s.settle(Duration::seconds(31)).await;
    let done = s.job(job.id).await;
    assert_eq!((done["status"].as_str(), done["attempts"].as_i64()), (Some("succeeded"), Some(2)));
    assert_eq!(s.uber.item(s.menu.burger).unwrap().suspend_until, INDEFINITELY);
}

#[tokio::test]
async fn integrations_and_their_jobs_stay_in_their_restaurant() {
    let s = setup_with(|c| c.open_signup = true).await;
    let id = s.connect().await;
    s.settle(Duration::seconds(2)).await;
    let job = s.jobs("").await[0]["id"].as_str().unwrap().to_owned();
    let other = s.app.signup("other@sync.test", "Other Diner").await;
    let theirs = |rest: &str| format!("/v1/restaurants/{}/{rest}", s.owner.rid);
    s.app.get(&theirs("integrations"), &other.token).await.expect(404, "not_found");
    s.app.get(&theirs(&format!("integrations/{id}")), &other.token).await.expect(404, "not_found");
    s.app.get(&theirs(&format!("sync/jobs/{job}")), &other.token).await.expect(404, "not_found");
    s.app.post(&theirs(&format!("integrations/{id}/test")), &other.token, json!({})).await.expect(404, "not_found");
    // Through their own restaurant's path, someone else's ids are not found either.
    let mine = |rest: &str| format!("/v1/restaurants/{}/{rest}", other.rid);
    s.app.get(&mine(&format!("integrations/{id}")), &other.token).await.expect(404, "not_found");
    s.app.get(&mine(&format!("sync/jobs/{job}")), &other.token).await.expect(404, "not_found");
    let r = s.app.post(&mine("sync/manual"), &other.token, json!({ "integration_id": id })).await;
    r.expect(404, "not_found");
    s.app.delete(&mine(&format!("integrations/{id}")), &other.token).await.expect(404, "not_found");
    // Their realtime cannot follow our sync job.
    let mut ws = s.app.ws(Some(&other.token)).await;
    ws.send(json!({ "op": "subscribe", "channel": format!("job:{job}") })).await;
    let answer = ws.next().await.unwrap();
    assert_eq!(answer["op"], "error", "{answer}");
    assert!(s.app.get(&theirs("integrations"), &s.owner.token).await.body.as_array().unwrap().len() == 1);
}

/// Defect 18: on PostgreSQL, a failed attempt going back in line raced a new change to the
/// same thing, and one of them failed on `sync_jobs_coalesce` ("duplicate key"). The
/// change is now folded into the job that keeps its place, whichever commits first.
#[tokio::test]
async fn a_retry_and_a_new_change_to_the_same_thing_never_collide() {
    use brigade_store::integrations::{self as sync_store, NewSyncJob, Outcome};
    let s = setup_with(|c| c.worker_concurrency = 0).await;
    let integration = s.connect().await;
    let db = s.app.state.db.clone();
    let now = s.app.clock.now();
    let jobs = s.app.get(&s.path("sync/jobs"), &s.owner.token).await;
    let menu_job = jobs.body["items"].as_array().unwrap().iter().find(|j| j["kind"] == "menu").unwrap()["id"]
        .as_str()
        .unwrap()
        .parse::<Uuid>()
        .unwrap();
    let attempt = sync_store::start(&db, menu_job, now).await.unwrap().expect("the job starts");

    // A change to the menu is being written while the attempt fails...
    let mut change = db.begin(s.owner.rid).await.unwrap();
    let new = NewSyncJob {
        restaurant_id: s.owner.rid,
        integration_id: integration,
        kind: "menu",
        entity_id: None,
        coalesce_key: "menu",
        max_attempts: 20,
        run_at: now,
        reason: "a price changed",
        now,
    };
    sync_store::enqueue(&mut change, new).await.unwrap();
    let retry = tokio::spawn({
        let db = db.clone();
        async move {
            let mut tx = db.begin(brigade_store::System::Outbound).await?;
            let outcome = Outcome::Retry { error: "503 from the platform", run_at: now, counts: true };
            sync_store::finish(&mut tx, menu_job, attempt, outcome, now).await?;
            tx.commit().await
        }
    });
    // ...and commits only once the retry waits for it (on SQLite the retry cannot start
    // before: one writer).
    if s.app.store.is_postgres() {
        s.app
            .eventually("the retry waits on the change", || {
                let db = db.clone();
                async move { db.lock_waiters().await.unwrap() > 0 }
            })
            .await;
    }
    change.commit().await.unwrap();
    retry.await.unwrap().expect("the retry goes back in line without a duplicate key");
    let pending: Vec<Value> = s.app.get(&s.path("sync/jobs"), &s.owner.token).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "menu" && j["status"] == "pending")
        .cloned()
        .collect();
    assert_eq!(pending.len(), 1, "one waiting menu job: {pending:?}");
    assert_eq!(pending[0]["id"], menu_job.to_string(), "the older job keeps its place");
}
