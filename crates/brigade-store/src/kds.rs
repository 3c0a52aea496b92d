//! Kitchen stations and tickets. An order is split into one ticket per station its items
//! are routed to; the kitchen bumps tickets when done and may recall them.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::kds::TicketStatus;
use brigade_domain::menu::Channel;
use brigade_domain::order::{OrderStatus, OrderType};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StationRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_station(tx: &mut Tx, s: &StationRow) -> Result<()> {
    on_tx!(tx, |x| {
        sqlx::query(
        "INSERT INTO kds_stations (id, restaurant_id, name, sort_order, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(s.id)
    .bind(s.restaurant_id)
    .bind(&s.name)
    .bind(s.sort_order)
    .bind(stored_time(s.created_at))
    .bind(stored_time(s.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn update_station(tx: &mut Tx, s: &StationRow) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE kds_stations SET name = $3, sort_order = $4, updated_at = $5
         WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(s.restaurant_id)
    .bind(s.id)
    .bind(&s.name)
    .bind(s.sort_order)
    .bind(stored_time(s.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Soft-deletes a station and unroutes the categories and items that pointed at it.
pub async fn delete_station(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE kds_stations SET deleted_at = $3 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 1 {
        on_tx!(tx, |x| sqlx::query(
            "UPDATE menu_categories SET station_id = NULL WHERE restaurant_id = $1 AND station_id = $2"
        )
        .bind(rid)
        .bind(id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
        on_tx!(tx, |x| sqlx::query(
            "UPDATE menu_items SET station_id = NULL WHERE restaurant_id = $1 AND station_id = $2"
        )
        .bind(rid)
        .bind(id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(n == 1)
}

pub async fn station(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<StationRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, StationRow>(
        "SELECT id, restaurant_id, name, sort_order, created_at, updated_at FROM kds_stations
         WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .fetch_optional(x)
    .await)
}

pub async fn stations(db: &Db, rid: Uuid) -> Result<Vec<StationRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, StationRow>(
        "SELECT id, restaurant_id, name, sort_order, created_at, updated_at FROM kds_stations
         WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY sort_order, name, id"
    )
    .bind(rid)
    .fetch_all(x)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub order_id: Uuid,
    pub station_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    pub bumped_at: Option<DateTime<Utc>>,
    pub bumped_by: Option<String>,
    pub order_number: i64,
    #[sqlx(try_from = "String")]
    pub order_channel: Channel,
    #[sqlx(try_from = "String")]
    pub order_type: OrderType,
    #[sqlx(try_from = "String")]
    pub order_status: OrderStatus,
    pub table_id: Option<Uuid>,
    pub special_instructions: Option<String>,
    /// The name of the order's table.
    pub table_name: Option<String>,
    pub customer: Option<sqlx::types::Json<serde_json::Value>>,
    pub estimated_ready_at: DateTime<Utc>,
    pub promotions: Option<sqlx::types::Json<Vec<brigade_domain::promotion::Used>>>,
}

const TICKET_SELECT: &str =
    "SELECT t.id, t.restaurant_id, t.order_id, t.station_id, t.status, t.created_at, t.bumped_at,
    t.bumped_by, o.number AS order_number, o.channel AS order_channel, o.type AS order_type, o.status AS order_status,
    o.table_id, o.special_instructions, tb.name AS table_name, o.customer, o.estimated_ready_at,
    o.promotions
    FROM kds_tickets t JOIN orders o ON o.id = t.order_id LEFT JOIN dining_tables tb ON tb.id = o.table_id";

/// A ticket to open: (ticket id, restaurant, order, station).
pub type NewTicket = (Uuid, Uuid, Uuid, Option<Uuid>);

/// Opens tickets, as many per statement as the bind limit allows.
pub async fn insert_tickets(tx: &mut Tx, tickets: &[NewTicket], now: DateTime<Utc>) -> Result<()> {
    const COLS: usize = 4;
    for chunk in tickets.chunks(crate::MAX_BINDS / COLS) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${}, ${}, 'open', $1)", 2 + 4 * i, 3 + 4 * i, 4 + 4 * i, 5 + 4 * i))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO kds_tickets (id, restaurant_id, order_id, station_id, status, created_at) VALUES {values}"
        );
        on_tx!(tx, |x| {
            let mut q = sqlx::query(&sql).bind(stored_time(now));
            for (id, rid, order_id, station) in chunk {
                q = q.bind(*id).bind(*rid).bind(*order_id).bind(*station);
            }
            q.execute(x).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub struct TicketFilter {
    pub station_id: Option<Uuid>,
    /// One status, or both when `None`.
    pub status: Option<TicketStatus>,
    pub limit: i64,
}

/// Open tickets oldest first (the order a line cooks them in); bumped ones most recently
/// bumped first (what a recall looks for).
pub async fn tickets(db: &Db, rid: Uuid, f: &TicketFilter) -> Result<Vec<TicketRow>> {
    let order_by = match f.status {
        Some(TicketStatus::Bumped) => "t.bumped_at DESC, t.id DESC",
        _ => "t.created_at, t.id",
    };
    let sql = format!(
        "{TICKET_SELECT} WHERE t.restaurant_id = $1 AND ($2 IS NULL OR t.station_id = $2) AND ($3 IS NULL OR t.status = $3)
         ORDER BY {order_by} LIMIT $4"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, TicketRow>(&sql)
        .bind(rid)
        .bind(f.station_id)
        .bind(f.status.map(TicketStatus::as_str))
        .bind(f.limit)
        .fetch_all(x)
        .await)
}

pub async fn ticket_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<TicketRow>> {
    let sql = format!("{TICKET_SELECT} WHERE t.restaurant_id = $1 AND t.id = $2");
    on_tx!(tx, |x| sqlx::query_as::<_, TicketRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn tickets_of_order(tx: &mut Tx, order_id: Uuid) -> Result<Vec<TicketRow>> {
    let sql = format!("{TICKET_SELECT} WHERE t.order_id = $1 ORDER BY t.id");
    on_tx!(tx, |x| sqlx::query_as::<_, TicketRow>(&sql).bind(order_id).fetch_all(x).await)
}

/// Bumps (done) or recalls (open again) a ticket. False when it already was.
pub async fn set_ticket_status(tx: &mut Tx, id: Uuid, bumped: bool, actor: &str, now: DateTime<Utc>) -> Result<bool> {
    let (from, to) = if bumped { ("open", "bumped") } else { ("bumped", "open") };
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE kds_tickets SET status = $3, bumped_at = CASE WHEN $3 = 'bumped' THEN $4 ELSE NULL END,
         bumped_by = CASE WHEN $3 = 'bumped' THEN $5 ELSE NULL END WHERE id = $1 AND status = $2"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(stored_time(now))
    .bind(actor)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Bumps every open ticket of an order (when the order is completed or cancelled).
pub async fn close_tickets_of_order(tx: &mut Tx, order_id: Uuid, actor: &str, now: DateTime<Utc>) -> Result<u64> {
    on_tx!(tx, |x| {
        sqlx::query("UPDATE kds_tickets SET status = 'bumped', bumped_at = $2, bumped_by = $3 WHERE order_id = $1 AND status = 'open'")
        .bind(order_id)
        .bind(stored_time(now))
        .bind(actor)
        .execute(x)
        .await
        .map(|r| r.rows_affected())
    })
}
