//! The sync engine: every platform shows what Brigade says.
//!
//! A change (an 86, a price, a new item) enqueues, in the change's own transaction, one
//! sync job per integration of the restaurant (`crate::outbox`). A job
//! names the thing, not its state: when it runs it reads the item as it is then, so the
//! jobs that wait `COALESCE` for more changes carry ten toggles as one final push.
//!
//! The worker leases an integration at a time and pushes its due jobs oldest first, then
//! reads the platform back to verify. A 429 holds the integration until `Retry-After`
//! without spending an attempt; an outage or a failed verification retries with
//! exponential backoff and jitter while the jobs behind it wait (so the platform gets the
//! changes in order once it is back); a refusal, or a job out of attempts, is dead: the
//! integration turns `degraded` and the manager's task list gets "Update {item} on
//! {platform} by hand". Every step is an event on `restaurant:{rid}` and `job:{id}`.

use super::platform::{Adapter, ItemState, MenuCategory, MenuItemState, MenuState, PlatformError, SeenItem};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::outbox::{enqueue_menu, ITEM};
use crate::schema;
use crate::tasks::{hand_to_managers, ByHand};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Permission;
use brigade_domain::integration::{Platform, Status};
use brigade_domain::menu::{channel_price, Channel, ModifierGroup};
use brigade_domain::money::Money;
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::integrations::{self as store, IntegrationRow, JobFilter, NewSyncJob, Outcome, SyncJobRow};
use brigade_store::menu::{self as menu_store, ItemRow};
use brigade_store::{restaurants, Tx};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use tokio::sync::watch;
use tokio::task::JoinSet;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(manual_sync))
        .routes(routes!(sync_status))
}

const BASE_BACKOFF: Duration = Duration::seconds(1);
const MAX_BACKOFF: Duration = Duration::seconds(180);
/// How long a worker holds an integration before another may take it over: how long
/// changes wait after the process draining it dies. A heartbeat renews it while the
/// drain runs, so a push slower than this (a menu upload to a slow platform) keeps it.
const LEASE: Duration = Duration::seconds(15);
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(5);
/// Item jobs of one integration pushed together at most.
const BATCH: i64 = 16;

/// A read-only comparison of the platform's view with Brigade's.
pub const DRIFT: &str = "drift";

/// Runs the sync worker until `shutdown` turns true: leases integrations with due jobs
/// and drains each, several at once.
pub async fn run_worker(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let worker_id = format!("sync-{}", Uuid::now_v7().simple());
    let concurrency = state.config.worker_concurrency.max(1);
    let poll = std::time::Duration::from_millis(state.config.worker_poll_ms.max(10));
    let mut running: JoinSet<()> = JoinSet::new();
    // Integrations being drained by this process, so it never drains one twice at once.
    let busy: Busy = Default::default();
    let mut last_drift: Option<i64> = None;
    let mut leases: u64 = 0;
    loop {
        if *shutdown.borrow() {
            break;
        }
        while running.try_join_next().is_some() {}
        schedule_drift_checks(&state, &mut last_drift).await;
        let free = concurrency.saturating_sub(running.len());
        if free > 0 {
            let now = state.clock.now();
            // Each lease has its own holder name, so a drain whose lease ran out and was
            // taken (even by this process) finds out at its next renewal and stops.
            leases += 1;
            let holder = format!("{worker_id}.{leases}");
            let draining: Vec<Uuid> = busy.lock().iter().copied().collect();
            match store::lease(&state.db, &holder, now, now + LEASE, free as i64, &draining).await {
                Ok(ids) => {
                    for id in ids {
                        busy.lock().insert(id);
                        let (state, holder, busy) = (state.clone(), holder.clone(), busy.clone());
                        running.spawn(async move {
                            let beat = tokio::spawn(heartbeat(state.clone(), id, holder.clone()));
                            let _draining = Draining { id, busy, heartbeat: beat };
                            drain(state, id, holder).await;
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "leasing integrations to sync failed"),
            }
        }
        // A change wakes us; its job is due a moment later (`COALESCE`), so sleep until
        // the next job is due (never longer than a poll), then lease again.
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = state.inner.sync_wake.notified() => {
                let due = store::next_due(&state.db).await.ok().flatten();
                let wait = due.map_or(poll, |t| (t - state.clock.now()).to_std().unwrap_or_default().min(poll));
                if !wait.is_zero() {
                    tokio::select! {
                        _ = shutdown.changed() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
            _ = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    while running.join_next().await.is_some() {}
}

/// What happened to one attempt.
enum Attempt {
    Done { sent: Value, result: Value },
    Failed { error: PlatformError, sent: Option<Value> },
}

/// Pushes an integration's due jobs in order until none is due or one must wait.
async fn drain(state: AppState, integration_id: Uuid, worker: String) {
    if let Err(e) = drain_inner(&state, integration_id, &worker).await {
        tracing::error!(%integration_id, error = %e, "syncing an integration failed");
    }
    if let Err(e) = store::release(&state.db, integration_id, &worker).await {
        tracing::warn!(%integration_id, error = %e, "releasing an integration failed; its lease will run out");
    }
}

/// The integrations being drained by this process.
type Busy = std::sync::Arc<parking_lot::Mutex<std::collections::HashSet<Uuid>>>;

/// A drain under way in this process. Dropped however the drain ends (a panic too): the
/// heartbeat stops, so a lease not released runs out, and the integration may be leased
/// here again.
struct Draining {
    id: Uuid,
    busy: Busy,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for Draining {
    fn drop(&mut self) {
        self.heartbeat.abort();
        self.busy.lock().remove(&self.id);
    }
}

/// Renews a drain's lease every `HEARTBEAT` until it is aborted or the lease is lost (the
/// drain then finds out at its own next renewal, before it pushes anything more).
async fn heartbeat(state: AppState, integration_id: Uuid, worker: String) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        match store::renew(&state.db, integration_id, &worker, state.clock.now() + LEASE).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(%integration_id, error = %e, "renewing a sync lease failed"),
        }
    }
}

async fn drain_inner(state: &AppState, integration_id: Uuid, worker: &str) -> anyhow::Result<()> {
    let Some(row) = store::by_id(&state.db, integration_id).await? else { return Ok(()) };
    let adapter = match super::adapter(state, &row) {
        Ok(a) => a,
        Err(e) => {
            // Unreadable credentials: nothing can be pushed until a person fixes them.
            let now = state.clock.now();
            let msg = e.to_string();
            let hold = now + Duration::minutes(5);
            store::record_failure(&state.db, row.id, &msg, Some(Status::Error.as_str()), Some(hold), now).await?;
            return Ok(());
        }
    };
    loop {
        let now = state.clock.now();
        // The oldest due jobs, in order. Item jobs at the head are pushed together (each
        // is a different item: one waits per item), and verified with one read-back.
        let heads = store::heads(&state.db, row.id, now, BATCH).await?;
        let Some(first) = heads.first() else { return Ok(()) };
        let batch: Vec<SyncJobRow> = if first.kind == ITEM {
            heads.into_iter().take_while(|j| j.kind == ITEM).collect()
        } else {
            vec![first.clone()]
        };
        if !store::renew(&state.db, row.id, worker, now + LEASE).await? {
            return Ok(());
        }
        let mut jobs = Vec::with_capacity(batch.len());
        let mut numbers = Vec::with_capacity(batch.len());
        for j in batch {
            let Some(attempt) = store::start(&state.db, j.id, now).await? else { break };
            jobs.push(j);
            numbers.push(attempt);
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let attempts = if jobs.len() == 1 {
            vec![perform(state, &row, adapter.as_ref(), &jobs[0]).await]
        } else {
            perform_items(state, &row, adapter.as_ref(), &jobs).await
        };
        let ms = started.elapsed().as_millis() as u64;
        let mut go_on = true;
        for ((job, attempt), number) in jobs.iter().zip(attempts).zip(numbers) {
            let settled = settle(state, &row, job, number, attempt, ms).await?;
            go_on = go_on && settled;
        }
        if !go_on {
            return Ok(());
        }
    }
}

/// Records how one attempt of a job went. False when draining should stop (the job
/// waits for a retry, the platform asked us to slow down, or another worker took over).
async fn settle(
    state: &AppState,
    row: &IntegrationRow,
    job: &SyncJobRow,
    attempts: i32,
    attempt: Attempt,
    ms: u64,
) -> anyhow::Result<bool> {
    let now = state.clock.now();
    match attempt {
        Attempt::Done { sent, result } => {
            tracing::info!(job_id = %job.id, platform = %row.platform, ms, "sync job pushed and verified");
            let mut tx = state.db.begin(row.restaurant_id).await?;
            if !store::finish(&mut tx, job.id, attempts, Outcome::Succeeded { sent: &sent, result: &result }, now)
                .await?
            {
                return Ok(false); // Another worker took the job over.
            }
            let lag_ms = (now - job.first_change_at).num_milliseconds();
            record(&mut tx, row, job, "sync.job_succeeded", json!({ "lag_ms": lag_ms, "result": result }), now).await?;
            store::record_success_tx(&mut tx, row.id, now).await?;
            tx.commit().await?;
        }
        Attempt::Failed { error: PlatformError::RateLimited(wait), .. } => {
            let until = now + Duration::from_std(wait).unwrap_or(Duration::seconds(5));
            tracing::info!(job_id = %job.id, platform = %row.platform, ?wait, "platform asked us to slow down");
            let mut tx = state.db.begin(row.restaurant_id).await?;
            let msg = format!("rate limited; waiting {} s as the platform asked", wait.as_secs());
            if !store::finish(
                &mut tx,
                job.id,
                attempts,
                Outcome::Retry { error: &msg, run_at: until, counts: false },
                now,
            )
            .await?
            {
                return Ok(false);
            }
            tx.commit().await?;
            store::pause_until(&state.db, row.id, until).await?;
            return Ok(false);
        }
        Attempt::Failed { error, sent } => {
            let msg = error.to_string();
            let retryable = !matches!(error, PlatformError::Rejected(_));
            if retryable && attempts < job.max_attempts {
                let retry_at = now + crate::jobs::backoff(attempts, BASE_BACKOFF, MAX_BACKOFF);
                tracing::warn!(job_id = %job.id, platform = %row.platform, attempt = attempts, error = %msg, %retry_at, "sync job failed; will retry");
                let mut tx = state.db.begin(row.restaurant_id).await?;
                let retry = Outcome::Retry { error: &msg, run_at: retry_at, counts: true };
                if !store::finish(&mut tx, job.id, attempts, retry, now).await? {
                    return Ok(false);
                }
                let payload = json!({ "error": msg, "attempt": attempts, "retry_at": retry_at });
                record(&mut tx, row, job, "sync.job_failed", payload, now).await?;
                tx.commit().await?;
                let status = matches!(error, PlatformError::Unauthorized(_)).then_some(Status::Error.as_str());
                store::record_failure(&state.db, row.id, &msg, status, Some(retry_at), now).await?;
                return Ok(false);
            }
            if job.kind == DRIFT {
                // A check that could not be made changes nothing; the next one will tell.
                let mut tx = state.db.begin(row.restaurant_id).await?;
                if !store::finish(&mut tx, job.id, attempts, Outcome::Dead { error: &msg, sent: None }, now).await? {
                    return Ok(false);
                }
                tx.commit().await?;
                return Ok(true);
            }
            tracing::error!(job_id = %job.id, platform = %row.platform, attempt = attempts, error = %msg, "sync job is dead; a person will do it by hand");
            bury(state, row, job, attempts, &msg, sent.as_ref(), now).await?;
        }
    }
    Ok(true)
}

/// Marks a job dead, the integration degraded, and gives the manager the change to make
/// by hand, all in one transaction (so whoever sees the job dead sees the rest).
async fn bury(
    state: &AppState,
    row: &IntegrationRow,
    job: &SyncJobRow,
    attempt: i32,
    error: &str,
    sent: Option<&Value>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let platform = Platform::parse("platform", &row.platform).map(Platform::title).unwrap_or("the platform");
    let (name, steps) = match job.entity_id {
        Some(item_id) if job.kind == ITEM => {
            let item = menu_store::item(&state.db, row.restaurant_id, item_id).await?;
            let state_now = item.as_ref().map(|i| (i.name.clone(), item_state_line(i, platform_of(row), now)));
            let (item_name, what) = state_now.unwrap_or(("a removed item".into(), "Remove it from the menu".into()));
            (
                format!("Update {item_name} on {platform} by hand"),
                vec![format!("Open the {platform} tablet or website"), what, "Check that it shows".to_owned()],
            )
        }
        _ => (
            format!("Update the menu on {platform} by hand"),
            vec![
                format!("Open the {platform} tablet or website"),
                "Make items, prices and sold-out marks match Brigade's 86 board".to_owned(),
            ],
        ),
    };
    let description = format!("Brigade could not update {platform} ({error}). Do it by hand so guests can order.");
    let mut tx = state.db.begin(row.restaurant_id).await?;
    if !store::finish(&mut tx, job.id, attempt, Outcome::Dead { error, sent }, now).await? {
        return Ok(());
    }
    let task = ByHand { name: name.clone(), description, steps };
    let task_id = hand_to_managers(&mut tx, row.restaurant_id, task, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let payload = json!({ "error": error, "task_id": task_id, "task": name });
    record(&mut tx, row, job, "sync.job_dead", payload, now).await?;
    store::record_failure_tx(&mut tx, row.id, error, Some(Status::Degraded.as_str()), None, now).await?;
    tx.commit().await?;
    Ok(())
}

fn platform_of(row: &IntegrationRow) -> Channel {
    Platform::parse("platform", &row.platform).ok().and_then(Platform::channel).unwrap_or(Channel::Pos)
}

fn item_state_line(i: &ItemRow, channel: Channel, now: DateTime<Utc>) -> String {
    let s = item_state(i, true, channel, now);
    if s.available {
        format!("Mark {} available at {}", i.name, Money(s.price))
    } else {
        format!("Mark {} sold out", i.name)
    }
}

async fn record(
    tx: &mut Tx,
    row: &IntegrationRow,
    job: &SyncJobRow,
    kind: &str,
    extra: Value,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let mut payload = json!({
        "integration_id": row.id,
        "platform": row.platform,
        "kind": job.kind,
        "item_id": job.entity_id,
        "changes": job.changes,
    });
    if let (Some(p), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    events::record(
        tx,
        NewEvent {
            restaurant_id: Some(row.restaurant_id),
            kind,
            entity: "sync_job",
            entity_id: Some(job.id),
            actor: ActedBy::System,
            payload,
            at: now,
        },
    )
    .await
    .map(drop)
}

/// Whether the platform lists the item at all: it is active, its category is, and it is
/// sold on the platform's channel. Listed items may still be 86'd.
fn listed(i: &ItemRow, category_active: bool, channel: Channel) -> bool {
    i.is_active && category_active && i.channels.0.get(&channel).is_none_or(|s| s.enabled)
}

/// An item's groups as a platform should offer them: an option 86'd on its channel is
/// shown inactive (the platforms suspend it).
fn offered_groups(groups: &[ModifierGroup], channel: Channel, now: DateTime<Utc>) -> Vec<ModifierGroup> {
    let mut groups = groups.to_vec();
    for o in groups.iter_mut().flat_map(|g| g.options.iter_mut()) {
        o.is_active = o.orderable(channel, now);
    }
    groups
}

fn item_state(i: &ItemRow, category_active: bool, channel: Channel, now: DateTime<Utc>) -> ItemState {
    let e = i.eighty_six.as_ref().map(|e| &e.0).filter(|e| e.applies(channel, now));
    let starved = i.modifier_groups.0.iter().any(|g| g.starved(channel, now));
    ItemState {
        id: i.id.to_string(),
        name: i.name.clone(),
        price: channel_price(Money(i.price), &i.channels.0, channel).0,
        available: listed(i, category_active, channel) && e.is_none() && !starved,
        suspended_until: e.and_then(|e| e.until),
        reason: e.map(|e| e.reason.clone()),
    }
}

/// The menu as a platform should show it.
async fn menu_state(state: &AppState, rid: Uuid, channel: Channel, now: DateTime<Utc>) -> anyhow::Result<MenuState> {
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| anyhow::anyhow!("restaurant gone"))?;
    let categories = menu_store::categories(&state.db, rid).await?;
    let items = menu_store::all_items(&state.db, rid).await?;
    let mut by_category: HashMap<Uuid, Vec<MenuItemState>> = HashMap::new();
    for i in &items {
        if listed(i, true, channel) {
            let state = item_state(i, true, channel, now);
            by_category.entry(i.category_id).or_default().push(MenuItemState {
                state,
                description: i.description.clone(),
                modifier_groups: offered_groups(&i.modifier_groups.0, channel, now),
            });
        }
    }
    let categories = categories
        .into_iter()
        .filter(|c| c.is_active)
        .filter_map(|c| {
            let items = by_category.remove(&c.id)?;
            Some(MenuCategory { id: c.id.to_string(), name: c.name, items })
        })
        .collect();
    Ok(MenuState { currency: r.currency, categories })
}

/// The channel whose prices and 86s a platform shows. Only platforms that take the menu
/// get sync jobs (see `store::syncing_tx`); the web channel is a harmless stand-in.
fn menu_channel(adapter: &dyn Adapter) -> Channel {
    adapter.kind().channel().unwrap_or(Channel::Web)
}

/// One attempt of a job: push, then read back.
async fn perform(state: &AppState, row: &IntegrationRow, adapter: &dyn Adapter, job: &SyncJobRow) -> Attempt {
    let channel = menu_channel(adapter);
    let now = state.clock.now();
    if job.kind == DRIFT {
        return check_drift(state, row, adapter, now).await;
    }
    let item = match (job.kind.as_str(), job.entity_id) {
        (ITEM, Some(id)) => match menu_store::item(&state.db, row.restaurant_id, id).await {
            Ok(i) => i,
            Err(e) => {
                return Attempt::Failed {
                    error: PlatformError::Unavailable(format!("reading the item: {e}")),
                    sent: None,
                }
            }
        },
        _ => None,
    };
    let category_active = match &item {
        Some(i) => menu_store::category(&state.db, row.restaurant_id, i.category_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c.is_active),
        None => false,
    };
    // An item the platform lists gets a sparse update; anything else (a new, removed or
    // hidden item, or the whole menu) is a menu upload, which is how platforms add and
    // remove items. So is an item the platform turns out not to know.
    if let Some(i) = item.filter(|i| listed(i, category_active, channel)) {
        let want = item_state(&i, category_active, channel, now);
        if let Some(done) = push_one(adapter, &want).await {
            return done;
        }
    }
    let menu = match menu_state(state, row.restaurant_id, channel, now).await {
        Ok(m) => m,
        Err(e) => {
            return Attempt::Failed { error: PlatformError::Unavailable(format!("reading the menu: {e}")), sent: None }
        }
    };
    let sent = match adapter.push_menu(&menu).await {
        Ok(s) => s,
        Err(error) => return Attempt::Failed { error, sent: None },
    };
    if !adapter.reads_back() {
        return Attempt::Done { sent, result: unverifiable(adapter) };
    }
    match adapter.read_menu().await {
        Ok(seen) => match drift(&menu, &seen).first() {
            None => Attempt::Done { sent, result: json!({ "verified": true, "items": seen.len() }) },
            Some(d) => Attempt::Failed {
                error: PlatformError::Mismatch(format!("after the upload the platform shows {d}")),
                sent: Some(sent),
            },
        },
        Err(error) => Attempt::Failed { error, sent: Some(sent) },
    }
}

/// The result of a push to a platform that shows nothing back: its acknowledgement is all
/// there is, and the job says so rather than claiming a verification.
fn unverifiable(adapter: &dyn Adapter) -> Value {
    json!({ "verified": false, "acknowledged": true,
            "why": format!("{} does not show its menu back to integrations", adapter.kind().title()) })
}

/// Pushes one item and reads it back. `None` when the platform does not know the item,
/// so the caller uploads the menu instead.
async fn push_one(adapter: &dyn Adapter, want: &ItemState) -> Option<Attempt> {
    let sent = match adapter.push_item(want).await {
        Ok(s) => s,
        Err(PlatformError::Rejected(m)) if m.starts_with("404") => return None,
        Err(error) => return Some(Attempt::Failed { error, sent: None }),
    };
    if !adapter.reads_back() {
        return Some(Attempt::Done { sent, result: unverifiable(adapter) });
    }
    let seen = adapter.read_menu().await;
    verify_item(want, sent, &seen)
}

/// Compares a pushed item with what the platform shows. `None` when it does not list it.
fn verify_item(want: &ItemState, sent: Value, seen: &Result<Vec<SeenItem>, PlatformError>) -> Option<Attempt> {
    let seen = match seen {
        Ok(seen) => seen,
        Err(error) => return Some(Attempt::Failed { error: error.clone(), sent: Some(sent) }),
    };
    let s = seen.iter().find(|s| s.id == want.id)?;
    let word = |available: bool| if available { "available" } else { "sold out" };
    Some(if s.available == want.available && s.price == want.price {
        let result = json!({ "verified": true, "available": s.available, "price": s.price,
                             "suspended_until": want.suspended_until });
        Attempt::Done { sent, result }
    } else {
        Attempt::Failed {
            error: PlatformError::Mismatch(format!(
                "the platform shows {} at {}, not {} at {}",
                word(s.available),
                s.price,
                word(want.available),
                want.price
            )),
            sent: Some(sent),
        }
    })
}

/// What an item job wants the platform to show, when the platform lists the item (else
/// the job is a menu upload). `Err` when the item could not be read.
async fn item_want(
    state: &AppState,
    row: &IntegrationRow,
    job: &SyncJobRow,
    channel: Channel,
    now: DateTime<Utc>,
) -> Result<Option<ItemState>, Attempt> {
    let Some(id) = job.entity_id.filter(|_| job.kind == ITEM) else { return Ok(None) };
    let item = menu_store::item(&state.db, row.restaurant_id, id).await.map_err(|e| Attempt::Failed {
        error: PlatformError::Unavailable(format!("reading the item: {e}")),
        sent: None,
    })?;
    let Some(item) = item else { return Ok(None) };
    let category_active = menu_store::category(&state.db, row.restaurant_id, item.category_id)
        .await
        .ok()
        .flatten()
        .is_some_and(|c| c.is_active);
    Ok(listed(&item, category_active, channel).then(|| item_state(&item, category_active, channel, now)))
}

/// Several item jobs of one integration at once: pushed side by side (the token bucket
/// still paces them), then verified with one read-back. A job whose item the platform
/// does not list goes the whole way on its own (a menu upload).
async fn perform_items(
    state: &AppState,
    row: &IntegrationRow,
    adapter: &dyn Adapter,
    jobs: &[SyncJobRow],
) -> Vec<Attempt> {
    let channel = menu_channel(adapter);
    let now = state.clock.now();
    let mut wants = Vec::with_capacity(jobs.len());
    for job in jobs {
        wants.push(item_want(state, row, job, channel, now).await);
    }
    let pushes = futures_util::future::join_all(wants.iter().map(|w| async move {
        match w {
            Ok(Some(want)) => Some(adapter.push_item(want).await),
            _ => None,
        }
    }))
    .await;
    let seen = if adapter.reads_back() && pushes.iter().any(|p| matches!(p, Some(Ok(_)))) {
        Some(adapter.read_menu().await)
    } else {
        None
    };
    let mut out = Vec::with_capacity(jobs.len());
    for ((job, want), push) in jobs.iter().zip(wants).zip(pushes) {
        let attempt = match (want, push) {
            (Err(failed), _) => failed,
            (Ok(Some(want)), Some(Ok(sent))) => match &seen {
                None => Attempt::Done { sent, result: unverifiable(adapter) },
                Some(seen) => match verify_item(&want, sent, seen) {
                    Some(a) => a,
                    None => perform(state, row, adapter, job).await,
                },
            },
            (Ok(Some(_)), Some(Err(PlatformError::Rejected(m)))) if m.starts_with("404") => {
                perform(state, row, adapter, job).await
            }
            (Ok(Some(_)), Some(Err(error))) => Attempt::Failed { error, sent: None },
            _ => perform(state, row, adapter, job).await,
        };
        out.push(attempt);
    }
    out
}

/// Where the platform's view differs from Brigade's, in words, one line per item.
pub fn drift(menu: &MenuState, seen: &[super::platform::SeenItem]) -> Vec<String> {
    let seen: HashMap<&str, &super::platform::SeenItem> = seen.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut out = Vec::new();
    let want: Vec<&ItemState> = menu.categories.iter().flat_map(|c| c.items.iter().map(|i| &i.state)).collect();
    for w in &want {
        match seen.get(w.id.as_str()) {
            None => out.push(format!("{} missing", w.name)),
            Some(s) if s.available != w.available => out.push(format!(
                "{} {}",
                w.name,
                if s.available { "available (should be sold out)" } else { "sold out (should be available)" }
            )),
            Some(s) if s.price != w.price => out.push(format!("{} at {} (should be {})", w.name, s.price, w.price)),
            Some(_) => {}
        }
    }
    // The items' options are listed on some platforms as items of their own.
    let options: Vec<String> = menu
        .categories
        .iter()
        .flat_map(|c| &c.items)
        .flat_map(|i| &i.modifier_groups)
        .flat_map(|g| g.options.iter().map(|o| o.id.to_string()))
        .collect();
    let known: std::collections::HashSet<&str> =
        want.iter().map(|w| w.id.as_str()).chain(options.iter().map(String::as_str)).collect();
    for id in seen.keys().filter(|id| !known.contains(**id)) {
        out.push(format!("item {id} listed but not on Brigade's menu"));
    }
    out
}

/// Once a minute, enqueues a drift check for each integration not checked within the
/// configured interval. Every node may do this: a waiting check absorbs the others.
async fn schedule_drift_checks(state: &AppState, last: &mut Option<i64>) {
    let every = state.config.sync_drift_interval_secs;
    let now = state.clock.now();
    let minute = now.timestamp() / 60;
    if every == 0 || *last == Some(minute) {
        return;
    }
    *last = Some(minute);
    let due = match store::drift_due(&state.db, now - Duration::seconds(every as i64)).await {
        Ok(d) => d,
        Err(e) => return tracing::warn!(error = %e, "finding integrations to check for drift failed"),
    };
    for (integration_id, rid) in due {
        let result = async {
            let mut tx = state.db.begin(rid).await?;
            let job = NewSyncJob {
                restaurant_id: rid,
                integration_id,
                kind: DRIFT,
                entity_id: None,
                coalesce_key: DRIFT,
                max_attempts: 3,
                run_at: now,
                reason: "periodic drift check",
                now,
            };
            store::enqueue(&mut tx, job).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(%integration_id, error = %e, "scheduling a drift check failed");
        }
    }
}

/// Compares the platform's view with Brigade's; records what differs and, unless the
/// integration says only to report, enqueues a menu push to repair it.
async fn check_drift(state: &AppState, row: &IntegrationRow, adapter: &dyn Adapter, now: DateTime<Utc>) -> Attempt {
    let channel = menu_channel(adapter);
    let menu = match menu_state(state, row.restaurant_id, channel, now).await {
        Ok(m) => m,
        Err(e) => {
            return Attempt::Failed { error: PlatformError::Unavailable(format!("reading the menu: {e}")), sent: None }
        }
    };
    if !adapter.reads_back() {
        return Attempt::Done { sent: json!({}), result: unverifiable(adapter) };
    }
    // While changes wait to go out, the platform is behind on purpose: what differs is not
    // drift, and "repairing" it would push the same changes twice. The next check tells.
    match store::waiting_changes(&state.db, row.id).await {
        Ok(0) => {}
        Ok(n) => {
            return Attempt::Done {
                sent: json!({}),
                result: json!({ "skipped": format!("{n} change(s) still waiting") }),
            }
        }
        Err(e) => {
            return Attempt::Failed {
                error: PlatformError::Unavailable(format!("counting waiting changes: {e}")),
                sent: None,
            }
        }
    }
    let seen = match adapter.read_menu().await {
        Ok(s) => s,
        Err(error) => return Attempt::Failed { error, sent: None },
    };
    let found = drift(&menu, &seen);
    let repair = row.config.0.get("repair_drift").and_then(Value::as_bool).unwrap_or(true) && !found.is_empty();
    let report = json!({ "items": found, "repaired": repair, "checked_items": seen.len() });
    let saved = async {
        store::record_drift(&state.db, row.id, &report, now).await?;
        if repair {
            let mut tx = state.db.begin(row.restaurant_id).await?;
            enqueue_menu(&mut tx, row.restaurant_id, row.id, "drift repair", now).await?;
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(())
    }
    .await;
    match saved {
        Ok(()) => Attempt::Done { sent: json!(null), result: report },
        Err(e) => {
            Attempt::Failed { error: PlatformError::Unavailable(format!("saving the drift report: {e}")), sent: None }
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SyncJobView {
    pub id: Uuid,
    pub integration_id: Uuid,
    /// `item` (one item's availability and price) or `menu` (the whole menu).
    pub kind: String,
    pub item_id: Option<Uuid>,
    /// `pending`, `running`, `succeeded`, `dead`, `cancelled`.
    pub status: String,
    /// Changes carried by this one push (later ones joined it while it waited).
    pub changes: i32,
    pub attempts: i32,
    pub max_attempts: i32,
    pub reason: String,
    /// When the first change it carries was made.
    pub first_change_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What was sent to the platform.
    pub sent: Option<Value>,
    /// What reading back showed.
    pub result: Option<Value>,
    pub created_at: DateTime<Utc>,
}

impl From<SyncJobRow> for SyncJobView {
    fn from(j: SyncJobRow) -> Self {
        SyncJobView {
            id: j.id,
            integration_id: j.integration_id,
            kind: j.kind,
            item_id: j.entity_id,
            status: j.status,
            changes: j.changes,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            reason: j.reason,
            first_change_at: j.first_change_at,
            run_at: j.run_at,
            started_at: j.started_at,
            completed_at: j.completed_at,
            last_error: j.last_error,
            sent: j.sent.map(|s| s.0),
            result: j.result.map(|r| r.0),
            created_at: j.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct JobQuery {
    pub integration_id: Option<Uuid>,
    /// `pending`, `running`, `succeeded`, `dead` or `cancelled`.
    #[param(value_type = Option<schema::SyncJobStatus>)]
    pub status: Option<String>,
}

/// A restaurant's sync jobs, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/sync/jobs", tag = "integrations",
    params(("rid" = Uuid, Path), JobQuery, PageParams),
    responses((status = 200, body = Page<SyncJobView>), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_jobs(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<JobQuery>,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<SyncJobView>>> {
    Ok(axum::Json(service::jobs(&actor, &state, q, page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/sync/jobs/{id}", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = SyncJobView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_job(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<SyncJobView>> {
    Ok(axum::Json(service::job(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ManualSync {
    /// One integration; all of the restaurant's when absent.
    pub integration_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManualSyncStarted {
    /// The full-menu jobs, one per integration; follow them on `job:{id}`.
    pub jobs: Vec<Uuid>,
}

/// Pushes the whole menu, with every item's availability and price, to one or every
/// integration now. Settles the dead jobs before it once it goes through.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/sync/manual", tag = "integrations", params(("rid" = Uuid, Path)),
    request_body = ManualSync,
    responses((status = 202, body = ManualSyncStarted), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn manual_sync(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<ManualSync>,
) -> ApiResult<(StatusCode, axum::Json<ManualSyncStarted>)> {
    Ok((StatusCode::ACCEPTED, axum::Json(service::push_menu(&actor, &state, body).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationHealth {
    pub integration_id: Uuid,
    pub platform: String,
    pub name: String,
    pub status: String,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Seconds since the oldest change the platform has not got yet (0 when caught up).
    pub lag_seconds: i64,
    pub pending: i64,
    /// Dead jobs not yet made good by a later push.
    pub dead: i64,
    /// Items the last drift check found different on the platform.
    pub drift: i64,
    pub drift_checked_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStatus {
    pub integrations: Vec<IntegrationHealth>,
}

/// Sync health per integration: last success, lag, waiting and dead jobs, drift.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/sync/status", tag = "integrations", params(("rid" = Uuid, Path)),
    responses((status = 200, body = SyncStatus), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn sync_status(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<SyncStatus>> {
    Ok(axum::Json(service::status(&actor, &state).await?))
}

#[cfg(test)]
mod tests {
    use super::super::platform::SeenItem;
    use super::*;
    use brigade_domain::menu::{ModifierGroup, ModifierOption};

    #[test]
    fn drift_knows_options_listed_as_items_and_finds_the_rest() {
        let option = Uuid::now_v7();
        let burger = ItemState {
            id: "burger".into(),
            name: "Burger".into(),
            price: 1200,
            available: true,
            suspended_until: None,
            reason: None,
        };
        let group = ModifierGroup {
            id: Uuid::now_v7(),
            name: "Patty".into(),
            min: 1,
            max: 1,
            options: vec![ModifierOption {
                id: option,
                name: "Double".into(),
                price_delta: Money(300),
                is_active: true,
                eighty_six: None,
            }],
        };
        let item = MenuItemState { state: burger, description: None, modifier_groups: vec![group] };
        let menu = MenuState {
            currency: "USD".into(),
            categories: vec![MenuCategory { id: "c".into(), name: "Mains".into(), items: vec![item] }],
        };
        let seen = |id: &str, price| SeenItem { id: id.into(), price, available: true };
        assert!(drift(&menu, &[seen("burger", 1200), seen(&option.to_string(), 300)]).is_empty());
        let found = drift(&menu, &[seen("burger", 1100), seen("stray", 100)]);
        assert_eq!(found, vec!["Burger at 1100 (should be 1200)", "item stray listed but not on Brigade's menu"]);
    }
}
