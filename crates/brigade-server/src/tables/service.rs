//! The floor's tables, for every caller (the tables screen through REST, the POS, the
//! assistant): list them, add, change and remove one, and make a new QR code for it.

use super::{view, TableInput, TableStatus, TableView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::TableId;
use brigade_store::tables::{self as store, TableRow};
use serde_json::json;

/// The restaurant's tables, by name.
pub async fn list(actor: &Actor, state: &AppState) -> ApiResult<Vec<TableView>> {
    actor.require(Permission::RestaurantRead)?;
    let rows = store::list(&state.db, actor.rid()).await?;
    Ok(rows.into_iter().map(|t| view(state, t)).collect())
}

/// One table; 404 when it is not this restaurant's.
pub async fn get(actor: &Actor, state: &AppState, id: TableId) -> ApiResult<TableView> {
    actor.require(Permission::RestaurantRead)?;
    let row = store::get(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("table"))?;
    Ok(view(state, row))
}

/// Adds a table (2 seats and available unless told). Names are unique: 409 otherwise.
pub async fn create(actor: &Actor, state: &AppState, input: TableInput) -> ApiResult<TableView> {
    actor.require(Permission::RestaurantWrite)?;
    let now = state.clock.now();
    let mut t = TableRow {
        id: uuid::Uuid::now_v7(),
        restaurant_id: actor.rid(),
        name: String::new(),
        capacity: 2,
        status: TableStatus::Available,
        qr_version: 1,
        created_at: now,
        updated_at: now,
    };
    input.apply(&mut t)?;
    let mut tx = state.db.begin(actor.rid()).await?;
    if store::name_taken(&mut tx, actor.rid(), &t.name, None).await? {
        return Err(name_taken(&t.name));
    }
    store::insert(&mut tx, &t).await?;
    actor.record(&mut tx, "table.created", "table", t.id, json!({ "name": t.name }), now).await?;
    tx.commit().await?;
    Ok(view(state, t))
}

/// Renames a table, changes its seats or its status.
pub async fn update(actor: &Actor, state: &AppState, id: TableId, input: TableInput) -> ApiResult<TableView> {
    actor.require(Permission::RestaurantWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut t = store::get_for_update(&mut tx, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("table"))?;
    input.apply(&mut t)?;
    t.updated_at = now;
    if store::name_taken(&mut tx, actor.rid(), &t.name, Some(t.id)).await? {
        return Err(name_taken(&t.name));
    }
    store::update(&mut tx, &t).await?;
    actor.record(&mut tx, "table.updated", "table", t.id, json!({ "name": t.name, "status": t.status }), now).await?;
    tx.commit().await?;
    Ok(view(state, t))
}

/// Removes a table. Its past orders keep their table; its QR code stops working.
pub async fn delete(actor: &Actor, state: &AppState, id: TableId) -> ApiResult<()> {
    actor.require(Permission::RestaurantWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete(&mut tx, actor.rid(), id.0, now).await? {
        return Err(ApiError::not_found("table"));
    }
    actor.record(&mut tx, "table.deleted", "table", id.0, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes a new QR code for the table; every older print stops working.
pub async fn rotate_qr(actor: &Actor, state: &AppState, id: TableId) -> ApiResult<TableView> {
    actor.require(Permission::RestaurantWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut t = store::get_for_update(&mut tx, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("table"))?;
    t.qr_version += 1;
    t.updated_at = now;
    store::update(&mut tx, &t).await?;
    actor.record(&mut tx, "table.qr_rotated", "table", t.id, json!({ "qr_version": t.qr_version }), now).await?;
    tx.commit().await?;
    Ok(view(state, t))
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(crate::error::ErrorCode::NameTaken, format!("there is already a table named '{name}'"))
}
