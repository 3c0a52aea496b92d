//! The outbox to the delivery platforms: what a change owes them, written in the change's
//! own transaction so that it is sent exactly when (and only if) the change commits.
//!
//! The menu, the 86 board and stock write here; `integrations::sync` drains it. This module
//! sits below both, so a domain that changes the menu never imports the integrations that
//! carry it (see the README's architecture section for the order of the domains).

use brigade_domain::integration::Platform;
use brigade_store::integrations::{self as store, NewSyncJob};
use brigade_store::Tx;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long a job waits for more changes to the same thing before it is pushed.
pub const COALESCE: Duration = Duration::seconds(1);
/// Attempts before a job is dead. With the sync engine's backoff that is about half an hour of
/// trying (at least 20 minutes with jitter), so an outage of ten minutes loses nothing.
pub const MAX_ATTEMPTS: i32 = 20;
pub const ITEM: &str = "item";
pub const MENU: &str = "menu";

/// Enqueues, in `tx`, a push of `item_id` to every integration of the restaurant. Returns
/// how many integrations will get it.
pub async fn item_changed(
    tx: &mut Tx,
    rid: Uuid,
    item_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<usize> {
    let targets = store::syncing_tx(tx, rid).await?;
    for (integration_id, _) in &targets {
        enqueue_item(tx, rid, *integration_id, item_id, reason, now).await?;
    }
    Ok(targets.len())
}

/// Enqueues, in `tx`, a push of an item whose price changed: one item's update where the
/// platform takes prices item by item, the menu where it takes them only with the menu
/// (DoorDash).
pub async fn price_changed(
    tx: &mut Tx,
    rid: Uuid,
    item_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<usize> {
    let targets = store::syncing_tx(tx, rid).await?;
    for (integration_id, platform) in &targets {
        match Platform::parse("platform", platform) {
            Ok(p) if !p.item_prices() => enqueue_menu(tx, rid, *integration_id, reason, now).await.map(drop)?,
            _ => enqueue_item(tx, rid, *integration_id, item_id, reason, now).await?,
        }
    }
    Ok(targets.len())
}

async fn enqueue_item(
    tx: &mut Tx,
    rid: Uuid,
    integration_id: Uuid,
    item_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let key = format!("{ITEM}:{item_id}");
    let job = NewSyncJob {
        restaurant_id: rid,
        integration_id,
        kind: ITEM,
        entity_id: Some(item_id),
        coalesce_key: &key,
        max_attempts: MAX_ATTEMPTS,
        run_at: now + COALESCE,
        reason,
        now,
    };
    store::enqueue(tx, job).await.map(drop)
}

/// Enqueues, in `tx`, a full menu push to every integration of the restaurant.
pub async fn menu_changed(tx: &mut Tx, rid: Uuid, reason: &str, now: DateTime<Utc>) -> sqlx::Result<usize> {
    let targets = store::syncing_tx(tx, rid).await?;
    for (integration_id, _) in &targets {
        enqueue_menu(tx, rid, *integration_id, reason, now).await?;
    }
    Ok(targets.len())
}

/// Enqueues, in `tx`, a full menu push to one integration.
pub async fn enqueue_menu(
    tx: &mut Tx,
    rid: Uuid,
    integration_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let job = NewSyncJob {
        restaurant_id: rid,
        integration_id,
        kind: MENU,
        entity_id: None,
        coalesce_key: MENU,
        max_attempts: MAX_ATTEMPTS,
        run_at: now + COALESCE,
        reason,
        now,
    };
    Ok(store::enqueue(tx, job).await?.0)
}
