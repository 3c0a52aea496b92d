//! API keys for integrations, for every caller: make one (shown once), list them, look at
//! one, revoke one. A key may hold only permissions its maker holds.

use super::{ApiKeyView, CreatedApiKey, NewApiKey};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Page, PageParams};
use crate::AppState;
use brigade_domain::auth::{parse_permissions, Permission};
use brigade_domain::credentials::{new_secret, parse_name, secret_digest};
use brigade_domain::ApiKeyId;
use brigade_store::api_keys::{self as store, ApiKeyRow};
use brigade_store::events::ActedBy;
use serde_json::json;
use sqlx::types::Json as DbJson;

/// Makes a key for this restaurant. The key itself is in the answer and nowhere else.
pub async fn create(actor: &Actor, state: &AppState, input: NewApiKey) -> ApiResult<CreatedApiKey> {
    actor.require(Permission::ApiKeysManage)?;
    let name = parse_name("name", &input.name)?;
    let permissions = parse_permissions(&input.permissions)?;
    if let Some(p) = permissions.iter().find(|p| !actor.allows(**p)) {
        return Err(ApiError::forbidden(format!("you cannot give a key {p}, which you do not hold")));
    }
    let now = state.clock.now();
    if let Some(at) = input.expires_at {
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
        expires_at: input.expires_at,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert(&mut tx, &row, &secret_digest(&key)).await?;
    let payload = json!({ "name": row.name, "permissions": row.permissions.0, "expires_at": row.expires_at });
    actor.record(&mut tx, "api_key.created", "api_key", row.id, payload, now).await?;
    tx.commit().await?;
    Ok(CreatedApiKey { view: row.into(), key })
}

/// The restaurant's keys, revoked ones included, a page at a time.
pub async fn list(actor: &Actor, state: &AppState, page: &PageParams) -> ApiResult<Page<ApiKeyView>> {
    actor.require(Permission::ApiKeysManage)?;
    let limit = page.limit()?;
    let rows = store::list(&state.db, actor.rid(), page.cursor_uuid()?, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |k| k.id.to_string(), ApiKeyView::from))
}

pub async fn get(actor: &Actor, state: &AppState, id: ApiKeyId) -> ApiResult<ApiKeyView> {
    actor.require(Permission::ApiKeysManage)?;
    let row = store::get(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("API key"))?;
    Ok(row.into())
}

/// Revokes a key: it stops working at once. A second revoke is 404.
pub async fn revoke(actor: &Actor, state: &AppState, id: ApiKeyId) -> ApiResult<()> {
    actor.require(Permission::ApiKeysManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::revoke(&mut tx, actor.rid(), id.0, now).await? {
        return Err(ApiError::not_found("API key"));
    }
    actor.record(&mut tx, "api_key.revoked", "api_key", id.0, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}
