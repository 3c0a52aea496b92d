//! Guests' ratings of their orders, one per order (see migration 0019).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedbackRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub order_id: Uuid,
    pub rating: i64,
    pub comment: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, restaurant_id, order_id, rating, comment, channel, created_at";

/// Adds a rating. False when the order has one already (the first stands), so that two
/// taps at the same moment make one.
pub async fn insert(tx: &mut Tx, f: &FeedbackRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO feedback ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING"
    );
    let n = on_tx!(tx, |x| sqlx::query(&sql)
        .bind(f.id)
        .bind(f.restaurant_id)
        .bind(f.order_id)
        .bind(f.rating)
        .bind(&f.comment)
        .bind(&f.channel)
        .bind(stored_time(f.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// A rating with its order's number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatedRow {
    #[sqlx(flatten)]
    pub feedback: FeedbackRow,
    pub order_number: i64,
}

/// Ratings given in `[from, to)`, newest first, at most `limit`.
pub async fn between(db: &Db, rid: Uuid, from: DateTime<Utc>, to: DateTime<Utc>, limit: i64) -> Result<Vec<RatedRow>> {
    let sql = "SELECT f.id, f.restaurant_id, f.order_id, f.rating, f.comment, f.channel, f.created_at, o.number AS order_number
         FROM feedback f JOIN orders o ON o.id = f.order_id
         WHERE f.restaurant_id = $1 AND f.created_at >= $2 AND f.created_at < $3
         ORDER BY f.created_at DESC, f.id DESC LIMIT $4";
    on_db!(db, rid, |x| sqlx::query_as::<_, RatedRow>(sql)
        .bind(rid)
        .bind(stored_time(from))
        .bind(stored_time(to))
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// The rating of one order, if it has one.
pub async fn of_order(db: &Db, rid: Uuid, order_id: Uuid) -> Result<Option<FeedbackRow>> {
    let sql = format!("SELECT {COLUMNS} FROM feedback WHERE restaurant_id = $1 AND order_id = $2");
    on_db!(db, rid, |x| sqlx::query_as::<_, FeedbackRow>(&sql).bind(rid).bind(order_id).fetch_optional(x).await)
}

/// Ratings per item ordered: how many rated orders had the item, and their ratings' sum.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRating {
    pub item_id: Uuid,
    pub name: String,
    pub count: i64,
    pub total: i64,
}

/// The items of the orders rated in `[from, to)`, most rated first, at most `limit`.
pub async fn by_item(
    db: &Db,
    rid: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ItemRating>> {
    const SQL: &str = "SELECT x.item_id, MAX(x.name) AS name, CAST(COUNT(*) AS BIGINT) AS count,
            CAST(SUM(x.rating) AS BIGINT) AS total
        FROM (SELECT DISTINCT f.order_id, l.item_id, l.name, f.rating FROM feedback f
              JOIN order_items l ON l.order_id = f.order_id
              WHERE f.restaurant_id = $1 AND f.created_at >= $2 AND f.created_at < $3) x
        GROUP BY x.item_id ORDER BY COUNT(*) DESC, MAX(x.name) LIMIT $4";
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRating>(SQL)
        .bind(rid)
        .bind(stored_time(from))
        .bind(stored_time(to))
        .bind(limit)
        .fetch_all(x)
        .await)
}
