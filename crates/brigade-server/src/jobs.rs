//! Durable work: typed job kinds and the worker that runs them.
//!
//! The queue knows no job types. A kind is a payload type implementing `Job`: its name,
//! how often it may be tried, and `run`; each domain registers its own kinds and its
//! periodic work (`register_jobs` in its module), and `crate::standard_jobs` is the one
//! place that lists the domains, as crates_io's worker does. Code that causes work calls `enqueue` inside its own transaction (so the job
//! exists exactly when the change committed) and `state.wake_workers()` after commit. The
//! worker claims due jobs with a lease, runs up to `worker_concurrency` at once, and on
//! failure puts the job back with exponential backoff and jitter, or marks it dead with
//! its last error once its attempts are spent. On shutdown it stops claiming and lets the
//! jobs it is running finish.

use crate::AppState;
use brigade_store::jobs::{self as store, JobRow, NewJob};
use brigade_store::System;
use brigade_store::Tx;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

/// A kind of job. The payload is the type itself, stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: &'static str;
    /// How many times the job is tried before it is marked dead.
    const MAX_ATTEMPTS: i32 = 8;
    /// The first retry's delay; each later one doubles it, up to `MAX_BACKOFF`.
    const BASE_BACKOFF: Duration = Duration::seconds(2);
    const MAX_BACKOFF: Duration = Duration::hours(1);

    fn run(self, state: AppState) -> impl Future<Output = anyhow::Result<()>> + Send;
}

type Runner = Arc<dyn Fn(AppState, serde_json::Value) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

struct Kind {
    run: Runner,
    base_backoff: Duration,
    max_backoff: Duration,
}

/// Work enqueued once an hour: the kind, its payload and how often it may be tried.
struct Periodic {
    kind: &'static str,
    payload: serde_json::Value,
    max_attempts: i32,
}

/// The job kinds this process knows how to run, and the periodic work it schedules.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: HashMap<&'static str, Arc<Kind>>,
    hourly: Vec<Arc<Periodic>>,
}

impl Registry {
    /// Whether a kind is registered.
    pub fn knows(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    /// Registers `job` as a kind and enqueues it once an hour (every node agrees on one
    /// job per kind and hour, by its idempotency key).
    pub fn hourly<J: Job>(&mut self, job: J) -> &mut Self {
        self.register::<J>();
        if let Ok(payload) = serde_json::to_value(&job) {
            self.hourly.push(Arc::new(Periodic { kind: J::KIND, payload, max_attempts: J::MAX_ATTEMPTS }));
        }
        self
    }

    pub fn register<J: Job>(&mut self) -> &mut Self {
        let run: Runner = Arc::new(|state, payload| {
            Box::pin(async move {
                let job: J = serde_json::from_value(payload)?;
                job.run(state).await
            })
        });
        self.kinds.insert(J::KIND, Arc::new(Kind { run, base_backoff: J::BASE_BACKOFF, max_backoff: J::MAX_BACKOFF }));
        self
    }
}

pub struct EnqueueOptions<'a> {
    pub run_at: DateTime<Utc>,
    pub idempotency_key: Option<&'a str>,
    pub restaurant_id: Option<Uuid>,
}

/// Enqueues `job` in `tx`. With an idempotency key already used, returns the existing
/// job's id and makes no second one.
pub async fn enqueue<J: Job>(tx: &mut Tx, job: &J, opts: EnqueueOptions<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    store::enqueue(
        tx,
        NewJob {
            kind: J::KIND,
            payload,
            max_attempts: J::MAX_ATTEMPTS,
            run_at: opts.run_at,
            idempotency_key: opts.idempotency_key,
            restaurant_id: opts.restaurant_id,
            now,
        },
    )
    .await
}

/// The delay before retry number `attempt` (1 = after the first failure): doubling from
/// `base`, capped at `max`, then jittered to between half and all of it so that many
/// failing jobs do not retry in lock-step.
pub fn backoff(attempt: i32, base: Duration, max: Duration) -> Duration {
    let exp = attempt.clamp(1, 30) - 1;
    let full = base.checked_mul(1 << exp).unwrap_or(max).min(max);
    let ms = full.num_milliseconds().max(1);
    Duration::milliseconds(rand::thread_rng().gen_range(ms / 2..=ms))
}

/// Runs the worker until `shutdown` turns true, then waits for running jobs.
pub async fn run_worker(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let worker_id = format!("{}-{}", hostname(), Uuid::now_v7().simple());
    let concurrency = state.config.worker_concurrency.max(1);
    let lease = Duration::seconds(state.config.job_lease_secs as i64);
    let poll = std::time::Duration::from_millis(state.config.worker_poll_ms.max(10));
    let mut running: JoinSet<()> = JoinSet::new();
    let mut last_schedule: Option<i64> = None;
    tracing::info!(worker = %worker_id, concurrency, "worker started");
    state.set_worker_running(true);
    loop {
        if *shutdown.borrow() {
            break;
        }
        while running.try_join_next().is_some() {}
        schedule_periodic(&state, &mut last_schedule).await;
        let free = concurrency.saturating_sub(running.len());
        let mut claimed = 0;
        if free > 0 {
            let now = state.clock.now();
            match store::claim(&state.db, &worker_id, now, now + lease, free as i64).await {
                Ok(jobs) => {
                    claimed = jobs.len();
                    for job in jobs {
                        running.spawn(run_one(state.clone(), job));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming jobs failed"),
            }
        }
        if claimed == free && free > 0 {
            continue; // There may be more due; claim again at once.
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = state.inner.job_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    tracing::info!(running = running.len(), "worker stopping; letting running jobs finish");
    while running.join_next().await.is_some() {}
    state.set_worker_running(false);
}

async fn run_one(state: AppState, job: JobRow) {
    let started = std::time::Instant::now();
    let kind = state.inner.jobs.kinds.get(job.kind.as_str()).cloned();
    let result = match &kind {
        Some(k) => (k.run)(state.clone(), job.payload.0.clone()).await,
        None => Err(anyhow::anyhow!("no worker here knows the job kind '{}'", job.kind)),
    };
    let now = state.clock.now();
    let outcome = match result {
        Ok(()) => {
            tracing::info!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, ms = started.elapsed().as_millis() as u64, "job succeeded");
            store::succeed(&state.db, job.id, job.attempts, now).await
        }
        Err(e) => {
            let error = format!("{e:#}");
            let retry_at = (job.attempts < job.max_attempts).then(|| {
                let (base, max) = kind
                    .as_ref()
                    .map(|k| (k.base_backoff, k.max_backoff))
                    .unwrap_or((Duration::seconds(2), Duration::hours(1)));
                now + backoff(job.attempts, base, max)
            });
            match retry_at {
                Some(at) => {
                    tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, %error, retry_at = %at, "job failed; will retry")
                }
                None => {
                    tracing::error!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed for the last time; it is dead")
                }
            }
            store::fail(&state.db, job.id, job.attempts, &error, retry_at, now).await
        }
    };
    match outcome {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(job_id = %job.id, "job's lease was lost before it finished; another worker owns it")
        }
        Err(e) => tracing::error!(job_id = %job.id, error = %e, "recording the job's outcome failed"),
    }
}

/// Enqueues the registered periodic jobs once per hour; the idempotency keys make every
/// node agree on one job of each per hour.
async fn schedule_periodic(state: &AppState, last: &mut Option<i64>) {
    let now = state.clock.now();
    let hour = now.timestamp() / 3600;
    if *last == Some(hour) {
        return;
    }
    let result = async {
        let mut tx = state.db.begin(System::Jobs).await?;
        for p in &state.inner.jobs.hourly {
            let key = format!("{}:{hour}", p.kind);
            let job = NewJob {
                kind: p.kind,
                payload: p.payload.clone(),
                max_attempts: p.max_attempts,
                run_at: now,
                idempotency_key: Some(&key),
                restaurant_id: None,
                now,
            };
            store::enqueue(&mut tx, job).await?;
        }
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => *last = Some(hour),
        Err(e) => tracing::warn!(error = %e, "scheduling periodic jobs failed"),
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "brigade".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let base = Duration::seconds(2);
        let max = Duration::seconds(60);
        for attempt in 1..=10 {
            let full = (base * (1 << (attempt - 1))).min(max);
            for _ in 0..50 {
                let d = backoff(attempt, base, max);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
            }
        }
        assert!(backoff(i32::MAX, base, max) <= max);
    }
}
