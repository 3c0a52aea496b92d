//! Busy mode: a kitchen in the weeds quotes longer and stops taking orders on some
//! channels, until a time when it ends by itself.
//!
//! While it is on, every ready time quoted (orders placed, guests' quotes) adds
//! `extra_minutes`; orders on a paused channel of Brigade's own (QR, web, phone, the
//! counter) are refused with 409 `channel_paused`, the public menu says it is not taking
//! orders, and a paused delivery platform's store is paused there (a durable job, retried
//! until the platform takes it) and opened again when busy mode ends. The orders module
//! reads the row itself (`brigade_store::busy`); this module, above the integrations,
//! owns turning it on and off.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use brigade_domain::menu::Channel;
use brigade_store::busy::BusyRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_busy, put_busy))
}

/// Busy mode's jobs: ending it at its time, pausing or opening a platform's store, and
/// keeping the stores to the opening hours.
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.register::<service::EndBusy>();
    r.register::<service::PlatformStore>();
    r.register::<service::FollowHours>();
    r.hourly(service::FollowAllHours {});
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BusyView {
    pub active: bool,
    /// Minutes added to every quoted ready time; 0 when off.
    pub extra_minutes: i64,
    /// When it ends by itself; null when off.
    pub until: Option<DateTime<Utc>>,
    #[schema(value_type = Vec<schema::Channel>)]
    pub paused_channels: Vec<Channel>,
    pub reason: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl BusyView {
    pub const OFF: BusyView = BusyView {
        active: false,
        extra_minutes: 0,
        until: None,
        paused_channels: Vec::new(),
        reason: None,
        updated_at: None,
    };

    pub fn of(row: Option<BusyRow>, now: DateTime<Utc>) -> BusyView {
        match row.filter(|b| b.on_at(now)) {
            Some(b) => BusyView {
                active: true,
                extra_minutes: b.extra_minutes,
                until: Some(b.until),
                paused_channels: b.paused_channels.0,
                reason: b.reason,
                updated_at: Some(b.updated_at),
            },
            None => BusyView::OFF,
        }
    }
}

/// Busy mode as it should be. `extra_minutes` 0 and no paused channel ends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BusyInput {
    /// 0 to 240.
    #[schema(minimum = 0, maximum = 240)]
    pub extra_minutes: i64,
    /// An RFC 3339 time, `"end_of_day"`, or null: the end of the business day.
    #[schema(value_type = Option<String>)]
    pub until: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<schema::Channel>)]
    pub paused_channels: Vec<Channel>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Whether the kitchen is in busy mode, and what it does.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/busy", tag = "orders", params(("rid" = uuid::Uuid, Path)),
    responses((status = 200, body = BusyView), (status = 404)), security(("bearer" = [])))]
async fn get_busy(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<BusyView>> {
    Ok(axum::Json(service::get(&actor, &state).await?))
}

/// Turns busy mode on, changes it, or ends it (`extra_minutes` 0, no paused channel).
#[utoipa::path(put, path = "/v1/restaurants/{rid}/busy", tag = "orders", params(("rid" = uuid::Uuid, Path)),
    request_body = BusyInput,
    responses((status = 200, body = BusyView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn put_busy(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<BusyInput>,
) -> ApiResult<axum::Json<BusyView>> {
    Ok(axum::Json(service::set(&actor, &state, body).await?))
}
