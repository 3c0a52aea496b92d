//! Opening hours: one row per restaurant that has set them (see migration 0027).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::hours::Hours;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

pub async fn get(db: &Db, rid: Uuid) -> Result<Option<Hours>> {
    let row: Option<(Json<Hours>,)> =
        on_db!(db, rid, |x| sqlx::query_as("SELECT hours FROM restaurant_hours WHERE restaurant_id = $1")
            .bind(rid)
            .fetch_optional(x)
            .await)?;
    Ok(row.map(|(h,)| h.0))
}

pub async fn get_tx(tx: &mut Tx, rid: Uuid) -> Result<Option<Hours>> {
    let row: Option<(Json<Hours>,)> =
        on_tx!(tx, |x| sqlx::query_as("SELECT hours FROM restaurant_hours WHERE restaurant_id = $1")
            .bind(rid)
            .fetch_optional(x)
            .await)?;
    Ok(row.map(|(h,)| h.0))
}

/// Sets the hours (empty: the row goes, always open).
pub async fn put(tx: &mut Tx, rid: Uuid, hours: &Hours, now: DateTime<Utc>) -> Result<()> {
    if hours.weekly.is_empty() && hours.exceptions.is_empty() {
        return on_tx!(tx, |x| sqlx::query("DELETE FROM restaurant_hours WHERE restaurant_id = $1")
            .bind(rid)
            .execute(x)
            .await
            .map(drop));
    }
    on_tx!(tx, |x| sqlx::query(
        "INSERT INTO restaurant_hours (restaurant_id, hours, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (restaurant_id) DO UPDATE SET hours = $2, updated_at = $3"
    )
    .bind(rid)
    .bind(Json(hours))
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(drop))
}

/// The restaurants that have set hours, for the hourly check that their platform stores
/// follow them.
pub async fn restaurants_with_hours(db: &Db) -> Result<Vec<Uuid>> {
    on_db!(db, crate::System::Housekeeping, |x| sqlx::query_scalar("SELECT restaurant_id FROM restaurant_hours")
        .fetch_all(x)
        .await)
}
