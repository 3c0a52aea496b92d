//! `…/api-keys`: keys for integrations. A key is shown once when made; we keep only its
//! SHA-256. It acts in one restaurant with the permissions it was given, which must be
//! ones its maker holds.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::ApiKeyId;
use brigade_store::api_keys::ApiKeyRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(get_key, revoke_key))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub permissions: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the key stops working by itself, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKeyView {
    fn from(k: ApiKeyRow) -> Self {
        ApiKeyView {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions.0,
            created_by: k.created_by,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            expires_at: k.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The key itself. It is shown only this once.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    #[schema(value_type = schema::Name)]
    pub name: String,
    /// e.g. `["menu:read", "orders:write"]`
    #[schema(min_items = 1, value_type = Vec<schema::PermissionName>)]
    pub permissions: Vec<String>,
    /// When the key stops working by itself (in the future, within ten years); absent
    /// for a key that lasts until it is revoked.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub expires_at: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/api-keys", tag = "api keys", params(("rid" = Uuid, Path)),
    request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_key(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<NewApiKey>,
) -> ApiResult<(StatusCode, axum::Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&actor, &state, body).await?)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/api-keys", tag = "api keys", params(("rid" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<ApiKeyView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_keys(
    State(state): State<AppState>,
    actor: Actor,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<ApiKeyView>>> {
    Ok(axum::Json(service::list(&actor, &state, &page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/api-keys/{id}", tag = "api keys",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ApiKeyId)>,
) -> ApiResult<axum::Json<ApiKeyView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

/// Revokes a key: it stops working at once. Revoking twice is a 404 the second time.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/api-keys/{id}", tag = "api keys",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ApiKeyId)>,
) -> ApiResult<StatusCode> {
    service::revoke(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
