//! Stock's actions and reads, for every caller (the stock screens through REST, the
//! assistant's "what's low?" and "we got 10 kg of salmon", tests). A movement settles in
//! the same transaction: low-stock alerts, and menu items that can no longer be made are
//! 86'd (or come back), so its commit drops the cached menu and wakes the workers.

use super::{item_view, move_stock, settle, MovementInput, StockItemView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::StockItemId;
use brigade_store::events::ActedBy;
use brigade_store::inventory as store;
use uuid::Uuid;

/// What a change of stock owes after its commit: the menu may have lost (or regained)
/// items, and the platforms and timed jobs may have work.
pub fn stock_changed(rid: Uuid) -> After {
    After::menu(rid).and(After::jobs())
}

/// Which stock items to read.
#[derive(Debug, Default, Clone, Copy)]
pub struct ItemFilter {
    pub category: Option<Uuid>,
    /// Only items at or below their reorder point (or only those above).
    pub low: Option<bool>,
}

/// Stock items, of one category or low ones if asked.
pub async fn items(actor: &Actor, state: &AppState, filter: ItemFilter) -> ApiResult<Vec<StockItemView>> {
    actor.require(Permission::InventoryRead)?;
    Ok(store::items(&state.db, actor.rid())
        .await?
        .into_iter()
        .filter(|i| filter.category.is_none_or(|c| i.category_id == Some(c)))
        .map(item_view)
        .filter(|i| filter.low.is_none_or(|l| i.low == l))
        .collect())
}

/// What is low: items at or below their reorder point.
pub async fn low_stock(actor: &Actor, state: &AppState) -> ApiResult<Vec<StockItemView>> {
    items(actor, state, ItemFilter { category: None, low: Some(true) }).await
}

/// One stock item with its on-hand quantity.
pub async fn item(actor: &Actor, state: &AppState, id: StockItemId) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryRead)?;
    let row = store::item(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    Ok(item_view(row))
}

/// Records one stock movement (a delivery received, waste, a correction, a count of one
/// item) and what follows from it: low-stock alerts, menu items that can no longer be
/// made 86'd (and back when they can).
pub async fn record_movement(actor: &Actor, state: &AppState, input: MovementInput) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let id = input.item_id;
    move_stock(&mut tx, actor.rid(), input, actor.acted_by(), now).await?;
    settle(&mut tx, actor.rid(), &[id], ActedBy::System, now).await?;
    let row =
        store::item_for_update(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, stock_changed(actor.rid())).await?;
    Ok(item_view(row))
}
