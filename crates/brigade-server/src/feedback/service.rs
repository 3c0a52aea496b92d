//! Feedback as a service: a guest's rating of their completed order, and the period's
//! ratings for the dashboard.

use super::{ChannelRating, FeedbackInput, FeedbackList, FeedbackView, ItemRating};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::order::OrderStatus;
use brigade_store::feedback::{self as store, FeedbackRow};
use brigade_store::System;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A rating at or below this asks a manager to call the guest back.
pub const CALL_BACK_AT: i64 = 2;
/// The most ratings one listing returns.
const MOST: i64 = 1000;

/// A guest's rating of order `id`, proven theirs by its tracking key (a wrong key is 404,
/// as for tracking). Once per order, and only once it is complete.
pub async fn give(state: &AppState, id: Uuid, key: &str, input: FeedbackInput) -> ApiResult<FeedbackView> {
    let order = brigade_store::orders::by_id(&state.db, System::Public, id)
        .await?
        .filter(|o| brigade_domain::credentials::constant_time_eq(o.tracking_key.as_bytes(), key.as_bytes()))
        .ok_or_else(|| ApiError::not_found("order"))?;
    if !(1..=5).contains(&input.rating) {
        return Err(ApiError::validation("rating", "rate from 1 to 5"));
    }
    let comment = brigade_domain::caps::bounded_text("comment", input.comment.as_deref(), 2000)?;
    if order.status != OrderStatus::Completed {
        return Err(ApiError::conflict(ErrorCode::OrderNotComplete, "an order can be rated once it is complete"));
    }
    let rid = order.restaurant_id;
    let now = state.clock.now();
    let row = FeedbackRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        order_id: order.id,
        rating: input.rating,
        comment,
        channel: order.channel.as_str().to_owned(),
        created_at: now,
    };
    let guest = Actor::guest(rid);
    let mut tx = state.db.begin(rid).await?;
    if !store::insert(&mut tx, &row).await? {
        return Err(ApiError::conflict(ErrorCode::AlreadyRated, "this order has been rated already"));
    }
    // The event carries the rating, not the guest's words.
    let data = json!({ "number": order.number, "rating": row.rating, "channel": row.channel });
    guest.record(&mut tx, "feedback.received", "order", order.id, data, now).await?;
    tx.commit().await?;
    if row.rating <= CALL_BACK_AT {
        call_back(state, rid, order.number, row.rating, row.comment.as_deref()).await;
    }
    Ok(view(row, order.number))
}

/// A task for today's managers: call back the guest who rated order `number` low.
async fn call_back(state: &AppState, rid: Uuid, number: i64, rating: i64, comment: Option<&str>) {
    let notes = match comment {
        Some(c) => format!("{rating} of 5: \u{201c}{c}\u{201d}"),
        None => format!("{rating} of 5, no comment."),
    };
    let task = crate::tasks::NewTask {
        title: format!("Call back the guest of order #{number}"),
        notes: Some(notes.chars().take(1000).collect()),
        due_at: None,
        role: Some("manager".into()),
        assignee_id: None,
    };
    // The rating is kept whatever happens here; a task that cannot be made is logged.
    if let Err(e) = crate::tasks::service::create(&Actor::system(rid, "feedback.call_back"), state, task).await {
        tracing::warn!(error = %e, restaurant = %rid, number, "could not make the call-back task for a low rating");
    }
}

/// The ratings given in `[from, to)` (default: the 30 days up to `to`, or up to now),
/// newest first.
pub async fn list(
    actor: &Actor,
    state: &AppState,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<FeedbackList> {
    actor.require(Permission::OrdersRead)?;
    let now = state.clock.now();
    // With no end given, everything until now is in, this very instant included.
    let to = to.unwrap_or(now + Duration::seconds(1));
    let from = from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(ApiError::validation("from", "the period starts before it ends"));
    }
    let rows = store::between(&state.db, actor.rid(), from, to, MOST).await?;
    let restaurant = brigade_store::restaurants::get(&state.db, actor.rid())
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = crate::restaurants::restaurant_tz(&restaurant)?;
    let mut by_channel: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_day: BTreeMap<chrono::NaiveDate, (i64, i64)> = BTreeMap::new();
    for r in rows.iter().map(|r| &r.feedback) {
        for c in [
            by_channel.entry(r.channel.clone()).or_default(),
            by_day.entry(r.created_at.with_timezone(&tz).date_naive()).or_default(),
        ] {
            c.0 += 1;
            c.1 += r.rating;
        }
    }
    let by_item = store::by_item(&state.db, actor.rid(), from, to, 50).await?;
    let rating = |(n, s): (i64, i64)| ChannelRating { count: n, average: round1(s as f64 / n as f64) };
    let count = rows.len() as i64;
    let sum: i64 = rows.iter().map(|r| r.feedback.rating).sum();
    Ok(FeedbackList {
        average: (count > 0).then(|| round1(sum as f64 / count as f64)),
        count,
        by_channel: by_channel.into_iter().map(|(c, x)| (c, rating(x))).collect(),
        by_day: by_day.into_iter().map(|(d, x)| (d, rating(x))).collect(),
        by_item: by_item
            .into_iter()
            .map(|i| ItemRating {
                item_id: i.item_id,
                name: i.name,
                count: i.count,
                average: round1(i.total as f64 / i.count as f64),
            })
            .collect(),
        items: rows.into_iter().map(|r| view(r.feedback, r.order_number)).collect(),
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn view(r: FeedbackRow, order_number: i64) -> FeedbackView {
    FeedbackView {
        id: r.id,
        order_id: r.order_id,
        order_number,
        rating: r.rating,
        comment: r.comment,
        channel: r.channel,
        created_at: r.created_at,
    }
}
