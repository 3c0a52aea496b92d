//! Who is calling, and what they may do.
//!
//! `Caller` authenticates a request: a bearer JWT (checked against the user's token
//! version and session on every call, so revocation is immediate) or an API key (`bk_…`,
//! looked up by its hash). `Member` goes one step further for routes under
//! `/v1/restaurants/{rid}`: it has already checked that the caller belongs to that
//! restaurant, answering 404 when not, so a handler that names a `Member` cannot forget
//! the tenancy rule. Handlers then ask `actor.require(Permission::…)`.
//!
//! A session made by PIN on a restaurant's shared device is a credential of that one
//! membership: its principal carries the restaurant as its `scope`, and it reaches no
//! other restaurant (404, as for a stranger) and no account-wide route.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use brigade_domain::auth::{Permission, Role};
use brigade_domain::credentials::secret_digest;
use brigade_domain::token::{Claims, Membership, TokenError};
use brigade_domain::{RestaurantId, SessionId, UserId};
use brigade_store::events::ActedBy;
use brigade_store::{api_keys, sessions, users};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Principal {
    /// A person. `scope` is the one restaurant a PIN session may reach; `None` for a
    /// sign-in with the person's own password.
    User { user_id: UserId, session_id: SessionId, scope: Option<RestaurantId> },
    ApiKey {
        key_id: Uuid,
        restaurant_id: RestaurantId,
        permissions: Vec<Permission>,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl Principal {
    pub fn actor(&self) -> ActedBy {
        match self {
            Principal::User { user_id, .. } => ActedBy::User(user_id.0),
            Principal::ApiKey { key_id, .. } => ActedBy::ApiKey(*key_id),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// The signed-in user, for routes that an API key cannot use.
    pub fn user(&self) -> Result<(UserId, SessionId), ApiError> {
        match self.0 {
            Principal::User { user_id, session_id, .. } => Ok((user_id, session_id)),
            Principal::ApiKey { .. } => Err(ApiError::Forbidden {
                code: crate::error::ErrorCode::UserOnly,
                message: "this route is for signed-in people, not API keys".into(),
            }),
        }
    }

    /// The signed-in user acting for their whole account (adding a location, accepting
    /// an invitation): not an API key, and not a PIN session, which reaches one
    /// restaurant only.
    pub fn account_holder(&self) -> Result<UserId, ApiError> {
        match self.0 {
            Principal::User { user_id, scope: None, .. } => Ok(user_id),
            Principal::User { scope: Some(_), .. } => Err(ApiError::Forbidden {
                code: crate::error::ErrorCode::PinSession,
                message: "a PIN sign-in reaches its restaurant only; sign in with your email and password".into(),
            }),
            Principal::ApiKey { .. } => self.user().map(|(u, _)| u),
        }
    }
}

fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let header = headers.get(axum::http::header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(crate::error::ErrorCode::Unauthenticated, "send Authorization: Bearer <token>")
    })?;
    let value = header.to_str().map_err(|_| {
        ApiError::unauthorized(crate::error::ErrorCode::Unauthenticated, "the Authorization header is not readable")
    })?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).ok_or_else(|| {
        ApiError::unauthorized(
            crate::error::ErrorCode::Unauthenticated,
            "use the Bearer scheme: Authorization: Bearer <token>",
        )
    })?;
    Ok(token.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = Caller::from_headers(state, &parts.headers).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl Caller {
    /// Authenticates the `Authorization` header: an API key or an access token.
    pub async fn from_headers(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Caller, ApiError> {
        let token = bearer(headers)?;
        if token.starts_with("bk_") {
            authenticate_api_key(state, token).await
        } else {
            Ok(authenticate_access_token(state, token).await?.0)
        }
    }
}

/// Checks an access token: signature and expiry, then that its session is live and the
/// user's token version unchanged.
pub async fn authenticate_access_token(state: &AppState, token: &str) -> Result<(Caller, Claims), ApiError> {
    let claims = state.keys.verify(token, state.clock.now().timestamp()).map_err(|e| match e {
        TokenError::Expired => {
            ApiError::unauthorized(crate::error::ErrorCode::TokenExpired, "the access token has expired; refresh it")
        }
        _ => ApiError::unauthorized(crate::error::ErrorCode::InvalidToken, "the access token is not valid"),
    })?;
    let live = sessions::liveness(&state.db, claims.sub.0, claims.sid.0).await?;
    match live {
        Some(l) if l.is_active && l.revoked_at.is_none() && l.token_version == claims.ver => {
            let scope = l.restaurant_id.map(RestaurantId);
            Ok((Caller(Principal::User { user_id: claims.sub, session_id: claims.sid, scope }), claims))
        }
        _ => {
            Err(ApiError::unauthorized(crate::error::ErrorCode::TokenRevoked, "this session has ended; sign in again"))
        }
    }
}

/// Checks an API key: known, not revoked, within its rate limit.
pub async fn authenticate_api_key(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let key = api_keys::by_hash(&state.db, &secret_digest(token))
        .await?
        .ok_or_else(|| ApiError::unauthorized(crate::error::ErrorCode::InvalidApiKey, "this API key is not known"))?;
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthorized(crate::error::ErrorCode::ApiKeyRevoked, "this API key was revoked"));
    }
    let now = state.clock.now();
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::unauthorized(
            crate::error::ErrorCode::ApiKeyExpired,
            "this API key has expired; make a new one",
        ));
    }
    if let Err(retry_after_secs) = state.limits.check_key(key.id, now) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    if key.last_used_at.is_none_or(|t| now - t > chrono::Duration::seconds(60)) {
        api_keys::touch(&state.db, key.id, now).await?;
    }
    // Permissions were checked when the key was made; a name this build no longer knows
    // grants nothing.
    let permissions = key.permissions.0.iter().filter_map(|p| p.parse().ok()).collect();
    Ok(Caller(Principal::ApiKey {
        key_id: key.id,
        restaurant_id: RestaurantId(key.restaurant_id),
        permissions,
        expires_at: key.expires_at,
    }))
}

/// Resolves a principal against a restaurant: the member's role there (`None` for an API
/// key of that restaurant), or 404 when the principal does not belong to it: another
/// restaurant's key, a stranger, or a PIN session made at another restaurant. The one
/// place that decides who belongs where; the REST extractor and the WebSocket use it.
pub async fn membership(state: &AppState, principal: &Principal, rid: RestaurantId) -> Result<Option<Role>, ApiError> {
    let not_member = || ApiError::not_found("restaurant");
    match principal {
        Principal::ApiKey { restaurant_id, .. } if *restaurant_id == rid => Ok(None),
        Principal::ApiKey { .. } => Err(not_member()),
        Principal::User { scope: Some(scope), .. } if *scope != rid => Err(not_member()),
        Principal::User { user_id, .. } => {
            let role = users::role_in(&state.db, rid.0, user_id.0).await?.ok_or_else(not_member)?;
            Ok(Some(role.parse::<Role>().map_err(|e| ApiError::internal(e.to_string()))?))
        }
    }
}

/// The memberships carried in an access token, for clients that want them without a call:
/// every one of the person's, or for a PIN session only that of its restaurant.
pub async fn memberships_for_token(
    state: &AppState,
    user_id: UserId,
    scope: Option<RestaurantId>,
) -> Result<Vec<Membership>, ApiError> {
    let rows = users::memberships_of(&state.db, user_id.0).await?;
    Ok(rows
        .into_iter()
        .filter(|(rid, _)| scope.is_none_or(|s| s.0 == *rid))
        .filter_map(|(rid, role)| role.parse().ok().map(|role| Membership { rid: RestaurantId(rid), role }))
        .collect())
}
