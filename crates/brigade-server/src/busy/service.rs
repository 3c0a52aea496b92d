//! Busy mode for every caller: the REST route, the assistant's "busy mode 20 minutes",
//! MCP, and its own jobs.

use super::{BusyInput, BusyView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::integrations::{self, StoreInput};
use crate::jobs::{enqueue, EnqueueOptions, Job};
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::integration::Platform;
use brigade_domain::menu::Channel;
use brigade_store::busy::{self as store, BusyRow};
use brigade_store::{integrations as integrations_store, restaurants, Tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::types::Json as DbJson;
use uuid::Uuid;

const MAX_EXTRA_MINUTES: i64 = 240;

/// Busy mode as it is now (off once its time has passed).
pub async fn get(actor: &Actor, state: &AppState) -> ApiResult<BusyView> {
    actor.require(Permission::RestaurantRead)?;
    Ok(BusyView::of(store::get(&state.db, actor.rid()).await?, state.clock.now()))
}

/// Turns busy mode on or changes it; with no extra minutes and no paused channel, ends it.
/// Platforms newly paused have their store paused there, and those no longer paused are
/// opened again, by durable jobs.
pub async fn set(actor: &Actor, state: &AppState, input: BusyInput) -> ApiResult<BusyView> {
    actor.require(Permission::EightySix)?;
    if !(0..=MAX_EXTRA_MINUTES).contains(&input.extra_minutes) {
        return Err(ApiError::validation("extra_minutes", format!("0 to {MAX_EXTRA_MINUTES} minutes")));
    }
    let reason = caps::parse_reason("reason", input.reason.as_deref())?;
    let mut channels = input.paused_channels;
    channels.sort();
    channels.dedup();
    let now = state.clock.now();
    let rid = actor.rid();
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let ending = input.extra_minutes == 0 && channels.is_empty();
    let hours = brigade_store::hours::get(&state.db, rid).await?;
    let until = match crate::restaurants::parse_until("until", input.until.as_deref(), &r, hours.as_ref(), now)? {
        Some(t) => t,
        None => crate::restaurants::parse_until("until", Some("end_of_day"), &r, hours.as_ref(), now)?.unwrap_or(now),
    };
    let mut tx = state.db.begin(rid).await?;
    let before = store::get_tx(&mut tx, rid).await?.filter(|b| b.on_at(now));
    let was_paused: Vec<Channel> = before.as_ref().map(|b| b.paused_channels.0.clone()).unwrap_or_default();
    let row = BusyRow {
        restaurant_id: rid,
        extra_minutes: input.extra_minutes,
        until,
        paused_channels: DbJson(channels.clone()),
        reason: reason.clone(),
        set_by: actor.acted_by().encode(),
        updated_at: now,
    };
    if ending {
        store::end(&mut tx, rid).await?;
    } else {
        store::put(&mut tx, &row).await?;
        let key = format!("busy.end:{rid}:{}", until.timestamp_micros());
        let opts = EnqueueOptions { run_at: until, idempotency_key: Some(&key), restaurant_id: Some(rid) };
        enqueue(&mut tx, &EndBusy { restaurant_id: rid, until }, opts, now).await?;
    }
    let opened: Vec<Channel> = was_paused.iter().copied().filter(|c| !channels.contains(c)).collect();
    let paused: Vec<Channel> = channels.iter().copied().filter(|c| !was_paused.contains(c)).collect();
    platform_stores(&mut tx, rid, &paused, false, reason.as_deref(), now).await?;
    // A store busy mode no longer pauses opens only while the hours say open.
    if open_by_hours(state, rid, now).await? {
        platform_stores(&mut tx, rid, &opened, true, None, now).await?;
    }
    let view = if ending { BusyView::OFF } else { BusyView::of(Some(row), now) };
    if ending && before.is_none() {
        // Nothing was on, nothing changes: no event.
        return Ok(view);
    }
    actor.record(&mut tx, "restaurant.busy_changed", "restaurant", rid, json!(view), now).await?;
    state.commit(tx, After::menu(rid).and(After::jobs())).await?;
    Ok(view)
}

/// Whether the opening hours say the restaurant is open at `now` (no hours: always).
async fn open_by_hours(state: &AppState, rid: Uuid, now: DateTime<Utc>) -> ApiResult<bool> {
    let Some(r) = restaurants::get(&state.db, rid).await? else { return Ok(true) };
    let tz = crate::restaurants::restaurant_tz(&r)?;
    let schedule = brigade_store::hours::get(&state.db, rid).await?.and_then(|h| h.check().ok());
    Ok(schedule.is_none_or(|s| s.is_open(now, &tz)))
}

/// Enqueues in `tx` a pause (or reopening) of the store on each delivery platform behind
/// `channels` that the restaurant is connected to.
async fn platform_stores(
    tx: &mut Tx,
    rid: Uuid,
    channels: &[Channel],
    open: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !channels.iter().any(|c| c.is_delivery_platform()) {
        return Ok(());
    }
    for (integration_id, platform) in integrations_store::syncing_tx(tx, rid).await? {
        let Ok(p) = Platform::parse("platform", &platform) else { continue };
        if !p.channel().is_some_and(|c| channels.contains(&c)) {
            continue;
        }
        let job = PlatformStore {
            restaurant_id: rid,
            integration_id,
            open,
            reason: reason.map(str::to_owned).unwrap_or_else(|| "busy mode in Brigade".to_owned()),
        };
        let key = format!("busy.store:{integration_id}:{open}:{}", Uuid::now_v7());
        let opts = EnqueueOptions { run_at: now, idempotency_key: Some(&key), restaurant_id: Some(rid) };
        enqueue(tx, &job, opts, now).await?;
    }
    Ok(())
}

/// Ends busy mode at its time, unless it was changed since; platforms paused by it are
/// opened again.
#[derive(Debug, Serialize, Deserialize)]
pub struct EndBusy {
    pub restaurant_id: Uuid,
    pub until: DateTime<Utc>,
}

impl Job for EndBusy {
    const KIND: &'static str = "busy.end";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let actor = Actor::system(self.restaurant_id, Self::KIND);
        let now = state.clock.now();
        let rid = self.restaurant_id;
        let mut tx = state.db.begin(rid).await?;
        let Some(row) = store::get_tx(&mut tx, rid).await? else { return Ok(()) };
        if row.until != brigade_store::stored_time(self.until) || now < row.until {
            return Ok(());
        }
        store::end(&mut tx, rid).await?;
        if open_by_hours(&state, rid, now).await.map_err(|e| anyhow::anyhow!("{e:?}"))? {
            platform_stores(&mut tx, rid, &row.paused_channels.0, true, None, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        let payload = json!(BusyView::OFF);
        actor
            .record(&mut tx, "restaurant.busy_changed", "restaurant", rid, payload, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        state.commit(tx, After::menu(rid).and(After::jobs())).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }
}

/// Pauses (or opens) the restaurant's store on a platform, retried until the platform
/// takes it.
#[derive(Debug, Serialize, Deserialize)]
pub struct PlatformStore {
    pub restaurant_id: Uuid,
    pub integration_id: Uuid,
    pub open: bool,
    pub reason: String,
}

impl Job for PlatformStore {
    const KIND: &'static str = "busy.platform_store";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let actor = Actor::system(self.restaurant_id, Self::KIND);
        let input = StoreInput { open: self.open, reason: Some(self.reason) };
        match integrations::service::set_store(&actor, &state, self.integration_id, input).await {
            Ok(_) | Err(ApiError::NotFound { .. }) => Ok(()),
            Err(e) => Err(anyhow::anyhow!("{e:?}")),
        }
    }
}

/// The delivery platforms' stores kept to the opening hours: at an opening they open
/// (those busy mode pauses stay paused), at a close they pause, saying when the
/// restaurant opens again. Queued when the hours change (to act at once) and for each
/// next opening or close, which an hourly job makes sure is queued. Between changes it
/// leaves the stores alone, so a person's own pause on a platform holds until the next
/// change. With no hours set (always open) the stores are opened.
#[derive(Debug, Serialize, Deserialize)]
pub struct FollowHours {
    pub restaurant_id: Uuid,
    /// The change it was queued for (or the hours' edit).
    pub at: DateTime<Utc>,
}

impl Job for FollowHours {
    const KIND: &'static str = crate::restaurants::FOLLOW_HOURS_JOB;
    const MAX_ATTEMPTS: i32 = 5;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let rid = self.restaurant_id;
        let now = state.clock.now();
        let Some(r) = restaurants::get(&state.db, rid).await? else { return Ok(()) };
        let tz = crate::restaurants::restaurant_tz(&r).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let schedule = brigade_store::hours::get(&state.db, rid).await?.and_then(|h| h.check().ok());
        let open = schedule.as_ref().is_none_or(|s| s.is_open(now, &tz));
        let mut tx = state.db.begin(rid).await?;
        let busy: Vec<Channel> = store::get_tx(&mut tx, rid)
            .await?
            .filter(|b| b.on_at(now))
            .map(|b| b.paused_channels.0)
            .unwrap_or_default();
        let channels: Vec<Channel> =
            Channel::ALL.into_iter().filter(|c| c.is_delivery_platform() && !(open && busy.contains(c))).collect();
        let reason = match schedule.as_ref().and_then(|s| s.opens_at(now, &tz)) {
            Some(at) if !open => format!("closed; opens {}", crate::restaurants::service::when_it_opens(at, now, tz)),
            _ => "closed".to_owned(),
        };
        platform_stores(&mut tx, rid, &channels, open, Some(&reason), now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if let Some(next) = schedule.as_ref().and_then(|s| s.next_change(now, &tz)) {
            queue_follow(&mut tx, rid, next.0, now).await?;
        }
        state.commit(tx, After::jobs()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }
}

/// Queues the stores' following of the hours at `at`, once.
async fn queue_follow(tx: &mut Tx, rid: Uuid, at: DateTime<Utc>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let key = format!("{}:{rid}:{}", FollowHours::KIND, at.timestamp());
    let opts = EnqueueOptions { run_at: at, idempotency_key: Some(&key), restaurant_id: Some(rid) };
    enqueue(tx, &FollowHours { restaurant_id: rid, at }, opts, now).await
}

/// The hourly check that every restaurant with hours has its next opening or close
/// queued (a server that was down, a job that died).
#[derive(Debug, Serialize, Deserialize)]
pub struct FollowAllHours {}

impl Job for FollowAllHours {
    const KIND: &'static str = "busy.follow_all_hours";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let now = state.clock.now();
        for rid in brigade_store::hours::restaurants_with_hours(&state.db).await? {
            let Some(r) = restaurants::get(&state.db, rid).await? else { continue };
            let Ok(tz) = crate::restaurants::restaurant_tz(&r) else { continue };
            let Some(schedule) = brigade_store::hours::get(&state.db, rid).await?.and_then(|h| h.check().ok()) else {
                continue;
            };
            if let Some((next, _)) = schedule.next_change(now, &tz) {
                let mut tx = state.db.begin(rid).await?;
                queue_follow(&mut tx, rid, next, now).await?;
                tx.commit().await?;
            }
        }
        state.wake_workers();
        Ok(())
    }
}
