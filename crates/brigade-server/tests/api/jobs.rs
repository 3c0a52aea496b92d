//! The job queue: retries with backoff, death after the limit, lease expiry after a
//! crash, no double claims, enqueue rolled back with its transaction, idempotency keys,
//! and graceful shutdown letting a running job finish.

use crate::support::TestApp;
use brigade_server::jobs::{enqueue, EnqueueOptions, Job};
use brigade_server::AppState;
use brigade_store::jobs as store;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Serialize, Deserialize)]
struct AlwaysFails;

impl Job for AlwaysFails {
    const KIND: &'static str = "test.always_fails";
    const MAX_ATTEMPTS: i32 = 3;
    const BASE_BACKOFF: Duration = Duration::seconds(10);

    async fn run(self, _: AppState) -> anyhow::Result<()> {
        anyhow::bail!("failing on purpose")
    }
}

/// Leaves a mark in the settings table, so a test can see it ran.
#[derive(Serialize, Deserialize)]
struct Mark {
    key: String,
    sleep_ms: u64,
}

impl Job for Mark {
    const KIND: &'static str = "test.mark";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        tokio::time::sleep(std::time::Duration::from_millis(self.sleep_ms)).await;
        brigade_store::settings::get_or_init(&state.db, &self.key, || "done".into()).await?;
        Ok(())
    }
}

async fn put<J: Job>(app: &TestApp, job: &J, delay: Duration, key: Option<&str>) -> Uuid {
    let now = app.clock.now();
    let mut tx = app.state.db.begin(brigade_store::System::Jobs).await.unwrap();
    let opts = EnqueueOptions { run_at: now + delay, idempotency_key: key, restaurant_id: None };
    let id = enqueue(&mut tx, job, opts, now).await.unwrap();
    tx.commit().await.unwrap();
    app.state.wake_workers();
    id
}

async fn job(app: &TestApp, id: Uuid) -> store::JobRow {
    store::get(&app.state.db, id).await.unwrap().expect("job exists")
}

fn app_with_test_jobs() -> crate::support::Builder {
    TestApp::builder().jobs(|r| {
        r.register::<AlwaysFails>().register::<Mark>();
    })
}

#[tokio::test]
async fn failing_jobs_back_off_then_die_with_their_last_error() {
    let app = app_with_test_jobs().spawn().await;
    let id = put(&app, &AlwaysFails, Duration::zero(), None).await;
    let mut expected_delay = Duration::seconds(10);
    for attempt in 1..=2 {
        app.eventually("the job to fail once more", || async {
            job(&app, id).await.attempts == attempt && job(&app, id).await.status == "queued"
        })
        .await;
        let j = job(&app, id).await;
        assert_eq!(j.last_error.as_deref(), Some("failing on purpose"));
        let delay = j.run_at - app.clock.now();
        assert!(delay >= expected_delay / 2 && delay <= expected_delay, "attempt {attempt}: retry in {delay}");
        app.clock.advance(expected_delay);
        expected_delay = expected_delay * 2;
    }
    app.eventually("the job to die", || async { job(&app, id).await.status == "dead" }).await;
    let j = job(&app, id).await;
    assert_eq!(j.attempts, 3);
    assert!(j.finished_at.is_some());
    assert_eq!(j.last_error.as_deref(), Some("failing on purpose"));
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("brigade_jobs{state=\"dead\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_crashed_workers_job_is_taken_over_when_its_lease_runs_out() {
    let app = app_with_test_jobs().config(|c| c.job_lease_secs = 60).spawn().await;
    let id = put(&app, &Mark { key: "lease".into(), sleep_ms: 0 }, Duration::hours(1), None).await;
    // A worker that will never finish claims it "an hour from now", then dies.
    let at = app.clock.now() + Duration::hours(1);
    let claimed = store::claim(&app.state.db, "crashed-worker", at, at + Duration::seconds(60), 10).await.unwrap();
    assert!(claimed.iter().any(|j| j.id == id), "the crashed worker holds the job");

    app.clock.advance(Duration::hours(1) + Duration::seconds(30));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let j = job(&app, id).await;
    assert_eq!((j.status.as_str(), j.locked_by.as_deref()), ("running", Some("crashed-worker")), "lease still held");

    app.clock.advance(Duration::seconds(31));
    app.eventually("the job to be taken over and done", || async { job(&app, id).await.status == "succeeded" }).await;
    let j = job(&app, id).await;
    assert_eq!(j.attempts, 2);
    assert_eq!(brigade_store::settings::get(&app.state.db, "lease").await.unwrap().as_deref(), Some("done"));
    // The crashed worker's late report cannot overwrite the outcome.
    assert!(!store::succeed(&app.state.db, id, 1, app.clock.now()).await.unwrap());
    assert!(!store::fail(&app.state.db, id, 1, "late", None, app.clock.now()).await.unwrap());
    assert_eq!(job(&app, id).await.status, "succeeded");
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let app = app_with_test_jobs().config(|c| c.worker_concurrency = 0).spawn().await;
    let now = app.clock.now();
    let mut tx = app.state.db.begin(brigade_store::System::Jobs).await.unwrap();
    for i in 0..200 {
        let opts = EnqueueOptions { run_at: now, idempotency_key: None, restaurant_id: None };
        enqueue(&mut tx, &Mark { key: format!("k{i}"), sleep_ms: 0 }, opts, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut workers = Vec::new();
    for w in 0..4 {
        let db = app.state.db.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store::claim(&db, &format!("w{w}"), now, now + Duration::seconds(60), 7).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 200, "every job claimed once");
    assert_eq!(unique.len(), 200, "no job claimed twice");
}

#[tokio::test]
async fn enqueue_is_part_of_its_transaction_and_keys_deduplicate() {
    let app = app_with_test_jobs().config(|c| c.worker_concurrency = 0).spawn().await;
    let now = app.clock.now();
    {
        let mut tx = app.state.db.begin(brigade_store::System::Jobs).await.unwrap();
        let opts = EnqueueOptions { run_at: now, idempotency_key: Some("rolled-back"), restaurant_id: None };
        enqueue(&mut tx, &Mark { key: "never".into(), sleep_ms: 0 }, opts, now).await.unwrap();
        // Dropped without commit: the job must vanish with the transaction.
    }
    let counts = store::counts(&app.state.db).await.unwrap();
    assert!(counts.is_empty(), "{counts:?}");

    let a = put(&app, &Mark { key: "once".into(), sleep_ms: 0 }, Duration::zero(), Some("same-key")).await;
    let b = put(&app, &Mark { key: "twice".into(), sleep_ms: 0 }, Duration::zero(), Some("same-key")).await;
    assert_eq!(a, b);
    assert_eq!(store::counts(&app.state.db).await.unwrap(), [("queued".to_owned(), 1)]);
}

#[tokio::test]
async fn shutdown_lets_a_running_job_finish() {
    let app = app_with_test_jobs().spawn().await;
    let id = put(&app, &Mark { key: "slow".into(), sleep_ms: 300 }, Duration::zero(), None).await;
    app.eventually("the job to start", || async { job(&app, id).await.status == "running" }).await;
    let app = app.restart().await;
    let j = job(&app, id).await;
    assert_eq!(j.status, "succeeded", "the job was cut off by shutdown");
    assert_eq!(j.attempts, 1);
}

#[tokio::test]
async fn unknown_kinds_fail_and_housekeeping_is_scheduled() {
    let app = TestApp::spawn().await;
    // A job of a kind this node does not know (say, from a newer version).
    let now = app.clock.now();
    let mut tx = app.state.db.begin(brigade_store::System::Jobs).await.unwrap();
    let id = store::enqueue(
        &mut tx,
        store::NewJob {
            kind: "future.kind",
            payload: serde_json::json!({}),
            max_attempts: 1,
            run_at: now,
            idempotency_key: None,
            restaurant_id: None,
            now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.state.wake_workers();
    app.eventually("the unknown job to die", || async { job(&app, id).await.status == "dead" }).await;
    assert!(job(&app, id).await.last_error.unwrap().contains("future.kind"));

    let hour = now.timestamp() / 3600;
    let key = format!("housekeeping:{hour}");
    app.eventually("housekeeping to run", || async {
        let job = store::by_idempotency_key(&app.state.db, &key).await.unwrap();
        job.is_some_and(|j| j.status == "succeeded")
    })
    .await;
}
