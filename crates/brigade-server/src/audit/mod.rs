//! `…/audit`: the restaurant's event log, newest first, for owners and managers. It is
//! the same `events` table the realtime feed reads, so the audit trail and what clients
//! saw can never disagree.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Page, Query};
use crate::AppState;
use axum::extract::State;
use brigade_store::events::EventRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The event's offset in the log.
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// `user:{id}`, `api_key:{id}` or `system`.
    pub actor: String,
    /// The person's name, when the actor is a member here.
    pub actor_name: Option<String>,
    pub data: Value,
    pub at: DateTime<Utc>,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        EventView {
            id: e.id,
            kind: e.kind,
            entity: e.entity,
            entity_id: e.entity_id,
            actor: e.actor,
            actor_name: None,
            data: e.payload.0,
            at: e.at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditParams {
    /// An event type (`user.created`) or a prefix ending in a dot (`user.`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only events at or after this time.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub until: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/audit", tag = "audit", params(("rid" = Uuid, Path), AuditParams),
    responses((status = 200, body = Page<EventView>), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<AuditParams>,
) -> ApiResult<axum::Json<Page<EventView>>> {
    Ok(axum::Json(service::events(&actor, &state, params).await?))
}
