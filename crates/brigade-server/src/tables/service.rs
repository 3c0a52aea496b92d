//! The floor's tables, for every caller (the tables screen through REST, the POS, the
//! assistant): list them, add, change and remove one, and make a new QR code for it.

use super::{view, TableInput, TableStatus, TableView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::TableId;
use brigade_store::restaurants;
use brigade_store::tables::{self as store, TableRow};
use serde_json::json;

/// Tables with the checks open on them.
async fn views(state: &AppState, rid: uuid::Uuid, rows: Vec<TableRow>) -> ApiResult<Vec<TableView>> {
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let day = crate::restaurants::business_days(&state.db, &r).await?.day_of(state.clock.now());
    let open = brigade_store::orders::open_at_tables(&state.db, rid, day).await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let checks: Vec<_> = open.iter().filter(|o| o.table_id == Some(t.id)).collect();
            view(state, t, &checks)
        })
        .collect())
}

async fn one(state: &AppState, rid: uuid::Uuid, row: TableRow) -> ApiResult<TableView> {
    views(state, rid, vec![row]).await?.pop().ok_or_else(|| ApiError::internal("a table without its view"))
}

/// The restaurant's tables, by name (T2 before T10), with their open checks.
pub async fn list(actor: &Actor, state: &AppState) -> ApiResult<Vec<TableView>> {
    actor.require(Permission::RestaurantRead)?;
    let mut rows = store::list(&state.db, actor.rid()).await?;
    rows.sort_by_key(|t| natural(&t.name));
    views(state, actor.rid(), rows).await
}

/// A name as a key that sorts numbers by value: "T2" before "T10".
fn natural(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.push(c);
        }
    }
    out.push((text, digits.parse().unwrap_or(0)));
    out
}

/// One table; 404 when it is not this restaurant's.
pub async fn get(actor: &Actor, state: &AppState, id: TableId) -> ApiResult<TableView> {
    actor.require(Permission::RestaurantRead)?;
    let row = store::get(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("table"))?;
    one(state, actor.rid(), row).await
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
    one(state, actor.rid(), t).await
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
    one(state, actor.rid(), t).await
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
    one(state, actor.rid(), t).await
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(crate::error::ErrorCode::NameTaken, format!("there is already a table named '{name}'"))
}
