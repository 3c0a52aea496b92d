//! `…/api-keys`: keys for integrations. A key is shown once when made; we keep only its
//! SHA-256. It acts in one restaurant with the permissions it was given, which must be
//! ones its maker holds.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::{parse_permissions, Permission};
use brigade_domain::credentials::{new_secret, parse_name, secret_digest};
use brigade_domain::ApiKeyId;
use brigade_store::api_keys::{self as store, ApiKeyRow};
use brigade_store::events::{self, ActedBy, NewEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::types::Json as DbJson;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(get_key, revoke_key))
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The key itself. It is shown only this once.
    pub key: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewApiKey {
    pub name: String,
    /// e.g. `["menu:read", "orders:write"]`
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
    actor.require(Permission::ApiKeysManage)?;
    let name = parse_name("name", &body.name)?;
    let permissions = parse_permissions(&body.permissions)?;
    if let Some(p) = permissions.iter().find(|p| !actor.allows(**p)) {
        return Err(ApiError::forbidden(format!("you cannot give a key {p}, which you do not hold")));
    }
    let now = state.clock.now();
    if let Some(at) = body.expires_at {
        if at <= now || at > now + chrono::Duration::days(3660) {
            return Err(ApiError::validation("expires_at", "a key's expiry must be in the future, within ten years"));
        }
    }
    let key = new_secret("bk_");
    let row = ApiKeyRow {
        id: ApiKeyId::new().0,
        restaurant_id: actor.rid(),
        name,
        prefix: key.chars().take(10).collect(),
        permissions: DbJson(permissions.iter().map(|p| p.as_str().to_owned()).collect()),
        created_by: match actor.acted_by() {
            ActedBy::User(id) => Some(id),
            _ => None,
        },
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        expires_at: body.expires_at,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert(&mut tx, &row, &secret_digest(&key)).await?;
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: Some(actor.rid()),
            kind: "api_key.created",
            entity: "api_key",
            entity_id: Some(row.id),
            actor: actor.acted_by(),
            payload: json!({ "name": row.name, "permissions": row.permissions.0, "expires_at": row.expires_at }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedApiKey { view: row.into(), key })))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/api-keys", tag = "api keys", params(("rid" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<ApiKeyView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_keys(
    State(state): State<AppState>,
    actor: Actor,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<ApiKeyView>>> {
    actor.require(Permission::ApiKeysManage)?;
    let limit = page.limit()?;
    let rows = store::list(&state.db, actor.rid(), page.cursor_uuid()?, limit + 1).await?;
    Ok(axum::Json(Page::from_rows(rows, limit, |k| k.id.to_string(), ApiKeyView::from)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/api-keys/{id}", tag = "api keys",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ApiKeyView>> {
    let (_, id) = ids;
    actor.require(Permission::ApiKeysManage)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("API key"))?;
    Ok(axum::Json(row.into()))
}

/// Revokes a key: it stops working at once. Revoking twice is a 404 the second time.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/api-keys/{id}", tag = "api keys",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let (_, id) = ids;
    actor.require(Permission::ApiKeysManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::revoke(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("API key"));
    }
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: Some(actor.rid()),
            kind: "api_key.revoked",
            entity: "api_key",
            entity_id: Some(id),
            actor: actor.acted_by(),
            payload: json!({}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
