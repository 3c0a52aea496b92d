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
    let until = match crate::restaurants::parse_until("until", input.until.as_deref(), &r, now)? {
        Some(t) => t,
        None => crate::restaurants::parse_until("until", Some("end_of_day"), &r, now)?.unwrap_or(now),
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
    platform_stores(&mut tx, rid, &opened, true, None, now).await?;
    let view = if ending { BusyView::OFF } else { BusyView::of(Some(row), now) };
    if ending && before.is_none() {
        // Nothing was on, nothing changes: no event.
        return Ok(view);
    }
    actor.record(&mut tx, "restaurant.busy_changed", "restaurant", rid, json!(view), now).await?;
    state.commit(tx, After::menu(rid).and(After::jobs())).await?;
    Ok(view)
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
        let key = format!("busy.store:{integration_id}:{open}:{}", now.timestamp_micros());
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
        platform_stores(&mut tx, rid, &row.paused_channels.0, true, None, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
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
