//! `/v1/auth`: sign-up, sign-in (password and PIN), refresh, sign-out and `me`.

use crate::auth::{memberships_for_token, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::ops::ClientIp;
use crate::restaurants::{self, NewRestaurant, RestaurantView};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use brigade_domain::auth::Role;
use brigade_domain::credentials::{self, dummy_hash, new_secret, secret_digest, verify_secret, Email, Password, Phone};
use brigade_domain::token::Claims;
use brigade_domain::{RestaurantId, SessionId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::System;
use brigade_store::{sessions, users, Tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(pin_login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    #[schema(value_type = schema::Email)]
    pub email: String,
    #[schema(value_type = schema::Password)]
    pub password: String,
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub restaurant: NewRestaurant,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupResponse {
    pub user: UserView,
    pub restaurant: RestaurantView,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Creates the first owner and their restaurant. Open while the server has no users, or
/// always with `--open-signup`.
#[utoipa::path(post, path = "/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = SignupResponse), (status = 401, description = "the email has an account with another password"),
              (status = 403, description = "sign-up is closed"), (status = 422, description = "invalid field"),
              (status = 429, description = "too many failures; see Retry-After")))]
async fn signup(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Json(body): Json<SignupRequest>,
) -> ApiResult<(StatusCode, axum::Json<SignupResponse>)> {
    let (user, row, session_id, refresh_token) = create_owner(&state, ip, body, "password").await?;
    let tokens = token_pair(&state, &user, session_id, None, refresh_token).await?;
    let view = UserView { id: user.id, email: user.email, name: user.name };
    Ok((StatusCode::CREATED, axum::Json(SignupResponse { user: view, restaurant: row.into(), tokens })))
}

/// Whether this server takes sign-ups now: while it has no users, or always with
/// `--open-signup`.
pub async fn signup_open(state: &AppState) -> ApiResult<bool> {
    Ok(state.config.open_signup || users::count(&state.db).await? == 0)
}

/// Creates an owner with their restaurant and opens a session of `kind` for them. The
/// API's sign-up and the web's share it.
///
/// An email that has an account is not announced: with that account's password, the
/// restaurant is added to it (it is the same person); with another password it is a
/// failed sign-in, "wrong email or password", slowed down like any other.
pub async fn create_owner(
    state: &AppState,
    ip: std::net::IpAddr,
    body: SignupRequest,
    kind: &str,
) -> ApiResult<(users::UserRow, brigade_store::restaurants::RestaurantRow, SessionId, String)> {
    if !signup_open(state).await? {
        return Err(ApiError::Forbidden {
            code: crate::error::ErrorCode::SignupClosed,
            message: "sign-up is closed on this server; ask an owner to add you".into(),
        });
    }
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    let name = credentials::parse_name("name", &body.name)?;
    let restaurant = body.restaurant.parse("restaurant.")?;
    let hash = tokio::task::spawn_blocking(move || password.hash()).await?;

    let now = state.clock.now();
    let existing = users::by_email(&state.db, email.as_str()).await?;
    if let Some(u) = &existing {
        state
            .limits
            .login_allowed(email.as_str(), ip, now)
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
        let stored = u.password_hash.clone().unwrap_or_else(|| dummy_hash().to_owned());
        let given = body.password.clone();
        let theirs = tokio::task::spawn_blocking(move || verify_secret(&given, &stored)).await? && u.is_active;
        if !theirs {
            state.limits.login_failed(email.as_str(), ip, now);
            record_login_failure(state, u.id, ip, "signup_wrong_password").await?;
            return Err(ApiError::unauthorized(
                crate::error::ErrorCode::InvalidCredentials,
                "wrong email or password; if this email has an account, sign in with its password",
            ));
        }
        state.limits.login_succeeded(email.as_str());
    }
    let mut tx = state.db.begin(System::Restaurants).await?;
    let new_account = existing.is_none();
    let user = match existing {
        Some(mut u) => {
            users::touch_login(&mut tx, u.id, now).await?;
            u.last_login_at = Some(now);
            u
        }
        None => {
            let mut user = users::UserRow::new_account(Some(email.as_str().to_owned()), Some(hash), name, now);
            user.last_login_at = Some(now);
            users::insert(&mut tx, &user).await?;
            user
        }
    };
    let user_id = UserId(user.id);
    let actor = ActedBy::User(user_id.0);
    let row = restaurants::create(&mut tx, restaurant, user_id, actor, now).await?;
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: Some(row.id),
            kind: "user.created",
            entity: "user",
            entity_id: Some(user_id.0),
            actor,
            payload: json!({ "role": Role::Owner, "new_account": new_account, "via": "signup" }),
            at: now,
        },
    )
    .await?;
    let (session_id, refresh_token) = start_session(state, &mut tx, user_id, None, kind, now).await?;
    tx.commit().await?;
    Ok((user, row, session_id, refresh_token))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The `device_token` an earlier sign-in of this account gave this device: with it,
    /// the right password gets in even while failed guesses slow the account down.
    pub device_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub tokens: TokenPair,
    /// This device's token for the account; keep it and send it with the next sign-in.
    pub device_token: String,
}

/// Signs in with email and password.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong email or password"),
              (status = 429, description = "too many failures; see Retry-After (a known device's right password passes)")))]
async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Json(body): Json<LoginRequest>,
) -> ApiResult<axum::Json<LoginResponse>> {
    let attempt = SignInAttempt { email: &body.email, password: &body.password, device: body.device_token.as_deref() };
    let signed = password_sign_in(&state, ip, attempt, "password").await?;
    let tokens = token_pair(&state, &signed.user, signed.session_id, None, signed.refresh_token).await?;
    Ok(axum::Json(LoginResponse { tokens, device_token: signed.device_token }))
}

/// What a person types to sign in, and the device token their device holds, if any.
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub device: Option<&'a str>,
}

pub struct SignedIn {
    pub user: users::UserRow,
    pub session_id: SessionId,
    pub refresh_token: String,
    /// The device's token for this account (the one it sent, or a new one).
    pub device_token: String,
}

/// Checks an email and password and opens a session of `kind`; the API's login and the
/// web's sign-in page share it. Failures slow the account and the address down
/// (`limits`), except for the right password from a device that signed in to this account
/// before: a stranger failing on purpose cannot keep the owner out.
pub async fn password_sign_in(
    state: &AppState,
    ip: std::net::IpAddr,
    attempt: SignInAttempt<'_>,
    kind: &str,
) -> ApiResult<SignedIn> {
    let account = attempt.email.trim().to_lowercase();
    let now = state.clock.now();
    let user = match Email::parse(attempt.email) {
        Ok(email) => users::by_email(&state.db, email.as_str()).await?,
        Err(_) => None,
    };
    let known_device = match (attempt.device, &user) {
        (Some(d), Some(u)) if d.starts_with("bdv_") => {
            sessions::known_device_user(&state.db, &secret_digest(d)).await? == Some(u.id)
        }
        _ => false,
    };
    let slowed = state.limits.login_allowed(&account, ip, now).err();
    if let (Some(retry_after_secs), false) = (slowed, known_device) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    let stored = user.as_ref().and_then(|u| u.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_owned());
    let password = attempt.password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_secret(&password, &stored)).await?;

    let user = match user {
        Some(u) if matches && u.is_active => u,
        other => {
            state.limits.login_failed(&account, ip, now);
            if let Some(u) = other {
                record_login_failure(state, u.id, ip, if u.is_active { "wrong_password" } else { "inactive" }).await?;
            } else {
                tracing::info!(%ip, "sign-in failed for an unknown email");
            }
            return Err(ApiError::unauthorized(crate::error::ErrorCode::InvalidCredentials, "wrong email or password"));
        }
    };
    // The owner getting in past a slow-down leaves it in place for whoever caused it.
    if slowed.is_none() {
        state.limits.login_succeeded(&account);
    }
    let device_token = match attempt.device {
        Some(d) if known_device => d.to_owned(),
        _ => new_secret("bdv_"),
    };
    let uid = UserId(user.id);
    let mut tx = state.db.begin(System::Authenticate).await?;
    let (session_id, refresh_token) = start_session(state, &mut tx, uid, None, kind, now).await?;
    sessions::remember_device(&mut tx, &secret_digest(&device_token), user.id, now).await?;
    users::touch_login(&mut tx, user.id, now).await?;
    record_login(&mut tx, uid, None, ip, kind, now).await?;
    tx.commit().await?;
    Ok(SignedIn { user, session_id, refresh_token, device_token })
}

#[derive(Deserialize, ToSchema)]
pub struct PinLoginRequest {
    pub restaurant_id: Uuid,
    /// The member's phone number. Left out, the PIN alone signs in when no one else here
    /// has it.
    #[serde(default)]
    pub phone: Option<String>,
    /// The last four digits of the member's phone, when two people share a PIN.
    #[serde(default)]
    #[schema(pattern = "^[0-9]{4}$")]
    pub phone_last4: Option<String>,
    pub pin: String,
}

/// Signs a staff member in on a shared device: with their PIN alone when it is theirs
/// only in this restaurant, else with the last four digits of their phone (409
/// `pin_ambiguous` asks for them), or with their whole phone number.
#[utoipa::path(post, path = "/v1/auth/pin-login", tag = "auth", request_body = PinLoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "wrong phone or PIN"),
              (status = 409, description = "`pin_ambiguous`: more than one person here has this PIN"),
              (status = 422, description = "phone_last4 is not four digits"),
              (status = 429, description = "too many failures; see Retry-After")))]
async fn pin_login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Json(body): Json<PinLoginRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    let now = state.clock.now();
    let last4 = body.phone_last4.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if last4.is_some_and(|d| d.len() != 4 || !d.bytes().all(|b| b.is_ascii_digit())) {
        return Err(ApiError::validation("phone_last4", "the last four digits of your phone"));
    }
    let phone = body.phone.as_deref().filter(|p| !p.trim().is_empty()).map(|p| Phone::parse(p).ok());
    let who = match (&phone, last4) {
        (Some(p), _) => p.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
        (None, Some(d)) => format!("*{d}"),
        (None, None) => "*".to_owned(),
    };
    let account = format!("pin:{}:{who}", body.restaurant_id);
    state
        .limits
        .login_allowed(&account, ip, now)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;

    let (member, matches) = match phone {
        Some(phone) => {
            let member = match &phone {
                Some(p) => users::member_by_phone(&state.db, body.restaurant_id, p.as_str()).await?,
                None => None,
            };
            let stored = member.as_ref().and_then(|m| m.pin_hash.clone()).unwrap_or_else(|| dummy_hash().to_owned());
            let pin = body.pin.clone();
            (member, tokio::task::spawn_blocking(move || verify_secret(&pin, &stored)).await?)
        }
        None => {
            // Every member with a PIN here (the last four digits narrow them), each tried:
            // a PIN must be someone's only, or it says which digits to add.
            let roles = Role::ALL.map(Role::as_str);
            let candidates: Vec<_> = users::with_pin(&state.db, body.restaurant_id, &roles)
                .await?
                .into_iter()
                .filter(|m| last4.is_none_or(|d| m.phone.as_deref().is_some_and(|p| p.ends_with(d))))
                .collect();
            let pin = body.pin.clone();
            let hashes: Vec<String> = candidates.iter().filter_map(|m| m.pin_hash.clone()).collect();
            let hits: Vec<bool> = tokio::task::spawn_blocking(move || {
                if hashes.is_empty() {
                    // As long as a real try, so the answer's time says nothing.
                    let _ = verify_secret(&pin, dummy_hash());
                    return vec![];
                }
                hashes.iter().map(|h| verify_secret(&pin, h)).collect()
            })
            .await?;
            let mut found: Vec<_> = candidates.into_iter().zip(hits).filter(|(_, hit)| *hit).map(|(m, _)| m).collect();
            if found.len() > 1 {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::PinAmbiguous,
                    "more than one person here has this PIN: add the last four digits of your phone",
                ));
            }
            let member = found.pop();
            let ok = member.is_some();
            (member, ok)
        }
    };
    let member = match member {
        Some(m) if matches && m.is_active => m,
        other => {
            state.limits.login_failed(&account, ip, now);
            if let Some(m) = other {
                record_login_failure(&state, m.user_id, ip, "wrong_pin").await?;
            }
            return Err(ApiError::unauthorized(
                crate::error::ErrorCode::InvalidCredentials,
                "wrong phone number or PIN",
            ));
        }
    };
    state.limits.login_succeeded(&account);
    let user = users::get(&state.db, member.user_id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let uid = UserId(user.id);
    let rid = RestaurantId(body.restaurant_id);
    let mut tx = state.db.begin(rid.0).await?;
    let (session_id, refresh_token) = start_session(&state, &mut tx, uid, Some(rid), "pin", now).await?;
    users::touch_login(&mut tx, user.id, now).await?;
    record_login(&mut tx, uid, Some(rid), ip, "pin", now).await?;
    tx.commit().await?;
    Ok(axum::Json(token_pair(&state, &user, session_id, Some(rid), refresh_token).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Trades a refresh token for a new pair. The presented token is spent; presenting a
/// spent token again revokes the whole session (it was copied).
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, description = "unknown, expired, revoked or reused token")))]
async fn refresh(State(state): State<AppState>, Json(body): Json<RefreshRequest>) -> ApiResult<axum::Json<TokenPair>> {
    let now = state.clock.now();
    let invalid = || {
        ApiError::unauthorized(
            crate::error::ErrorCode::InvalidRefreshToken,
            "this refresh token is not valid; sign in again",
        )
    };
    let mut tx = state.db.begin(System::Authenticate).await?;
    let found = sessions::find_refresh(&mut tx, &secret_digest(&body.refresh_token)).await?.ok_or_else(invalid)?;
    if found.session_revoked_at.is_some() || found.expires_at <= now || found.session_expires_at <= now {
        return Err(invalid());
    }
    let fresh = found.spent_at.is_none() && sessions::spend_refresh(&mut tx, found.id, now).await?;
    if !fresh {
        // A spent token came back: someone holds a copy. End the session for everyone.
        sessions::revoke(&mut tx, found.session_id, "refresh token reused", now).await?;
        events::record(
            &mut tx,
            NewEvent {
                restaurant_id: None,
                kind: "auth.refresh_reused",
                entity: "user",
                entity_id: Some(found.user_id),
                actor: ActedBy::System,
                payload: json!({ "session_id": found.session_id }),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::unauthorized(
            crate::error::ErrorCode::RefreshTokenReused,
            "this refresh token was already used; the session is ended, sign in again",
        ));
    }
    let user = users::get(&state.db, found.user_id).await?.filter(|u| u.is_active).ok_or_else(invalid)?;
    let refresh_token = new_secret("brt_");
    let expires_at = now + chrono_duration(state.config.refresh_ttl());
    sessions::add_refresh_token(&mut tx, found.session_id, &secret_digest(&refresh_token), expires_at, now).await?;
    tx.commit().await?;
    let scope = found.session_restaurant_id.map(RestaurantId);
    Ok(axum::Json(token_pair(&state, &user, SessionId(found.session_id), scope, refresh_token).await?))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct LogoutRequest {
    /// Sign out of every device, not only this session.
    #[serde(default)]
    pub all: bool,
}

/// Ends this session (or, with `all`, every session of the user). Its access and
/// refresh tokens stop working at once.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body(content = Option<LogoutRequest>, description = "optional"),
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
async fn logout(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<StatusCode> {
    let (user_id, session_id) = caller.user()?;
    let body: LogoutRequest = crate::extract::parse_optional_json(&body)?;
    if body.all {
        // Every device of the account is the account's business, not a shared device's.
        caller.account_holder()?;
    }
    end_session(&state, user_id, session_id, body.all).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends one session, or every session of the user, and records it.
pub async fn end_session(state: &AppState, user_id: UserId, session_id: SessionId, all: bool) -> ApiResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin(System::Authenticate).await?;
    if all {
        sessions::revoke_all_for_user(&mut tx, user_id.0, "signed out everywhere", now).await?;
        users::bump_token_version(&mut tx, user_id.0).await?;
    } else {
        sessions::revoke(&mut tx, session_id.0, "signed out", now).await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: None,
            kind: "auth.logout",
            entity: "user",
            entity_id: Some(user_id.0),
            actor: ActedBy::User(user_id.0),
            payload: json!({ "session_id": session_id, "all": all }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(value_type = schema::Password)]
    pub new_password: String,
}

/// Changes the signed-in person's own password (the only way a password changes). Every
/// session of theirs ends, this one too: sign in again with the new password.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401), (status = 403), (status = 422), (status = 429)), security(("bearer" = [])))]
async fn change_password(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    caller: Caller,
    Json(body): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    let user_id = caller.account_holder()?;
    let new_password =
        Password::parse(&body.new_password).map_err(|e| ApiError::validation("new_password", e.message))?;
    let user = users::get(&state.db, user_id.0).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let account = format!("password:{}", user.id);
    let now = state.clock.now();
    state
        .limits
        .login_allowed(&account, ip, now)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let stored = user.password_hash.clone().unwrap_or_else(|| dummy_hash().to_owned());
    let current = body.current_password;
    let ok = tokio::task::spawn_blocking(move || verify_secret(&current, &stored)).await?;
    if !ok {
        state.limits.login_failed(&account, ip, now);
        return Err(ApiError::validation("current_password", "that is not your current password"));
    }
    state.limits.login_succeeded(&account);
    let hash = tokio::task::spawn_blocking(move || new_password.hash()).await?;
    let mut tx = state.db.begin(System::Authenticate).await?;
    users::set_password(&mut tx, user.id, &hash, now).await?;
    sessions::revoke_all_for_user(&mut tx, user.id, "password changed", now).await?;
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: None,
            kind: "auth.password_changed",
            entity: "user",
            entity_id: Some(user.id),
            actor: ActedBy::User(user.id),
            payload: json!({}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MeMembership {
    pub restaurant_id: Uuid,
    pub restaurant_name: String,
    /// owner, manager, staff or kitchen
    #[schema(value_type = String)]
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: String,
    pub memberships: Vec<MeMembership>,
}

/// The signed-in user and the restaurants they belong to.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", responses((status = 200, body = MeResponse), (status = 401)),
    security(("bearer" = [])))]
async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<MeResponse>> {
    let (user_id, _) = caller.user()?;
    let scope = match caller.0 {
        crate::auth::Principal::User { scope, .. } => scope,
        crate::auth::Principal::ApiKey { .. } => None,
    };
    let user = users::get(&state.db, user_id.0).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let memberships = brigade_store::restaurants::for_user(&state.db, user_id.0, None, i64::MAX)
        .await?
        .into_iter()
        .filter(|(r, _)| scope.is_none_or(|s| s.0 == r.id))
        .filter_map(|(r, role)| {
            role.parse().ok().map(|role| MeMembership { restaurant_id: r.id, restaurant_name: r.name, role })
        })
        .collect();
    Ok(axum::Json(MeResponse { id: user.id, email: user.email, name: user.name, memberships }))
}

/// Opens a session with its first refresh token, in the caller's transaction.
pub(crate) async fn start_session(
    state: &AppState,
    tx: &mut Tx,
    user_id: UserId,
    restaurant_id: Option<RestaurantId>,
    kind: &str,
    now: DateTime<Utc>,
) -> ApiResult<(SessionId, String)> {
    let session_id = SessionId::new();
    let expires_at = now + chrono_duration(state.config.refresh_ttl());
    let row = sessions::SessionRow {
        id: session_id.0,
        user_id: user_id.0,
        restaurant_id: restaurant_id.map(|r| r.0),
        kind: kind.to_owned(),
        expires_at,
        revoked_at: None,
        created_at: now,
    };
    sessions::create(tx, &row).await?;
    let refresh_token = new_secret("brt_");
    sessions::add_refresh_token(tx, session_id.0, &secret_digest(&refresh_token), expires_at, now).await?;
    Ok((session_id, refresh_token))
}

pub(crate) async fn token_pair(
    state: &AppState,
    user: &users::UserRow,
    session_id: SessionId,
    scope: Option<RestaurantId>,
    refresh_token: String,
) -> ApiResult<TokenPair> {
    let (access_token, expires_in) = access_token(state, user, session_id, scope).await?;
    Ok(TokenPair { access_token, refresh_token, token_type: "Bearer", expires_in })
}

/// A fresh access token for a live session, and its lifetime in seconds. `scope` is the
/// restaurant a PIN session is confined to: its token names only that membership.
pub async fn access_token(
    state: &AppState,
    user: &users::UserRow,
    session_id: SessionId,
    scope: Option<RestaurantId>,
) -> ApiResult<(String, u64)> {
    let now = state.clock.now().timestamp();
    let ttl = state.config.access_token_ttl_secs;
    let claims = Claims {
        sub: UserId(user.id),
        sid: session_id,
        ver: user.token_version,
        iat: now,
        exp: now + ttl as i64,
        rms: memberships_for_token(state, UserId(user.id), scope).await?,
    };
    Ok((state.keys.sign(&claims), ttl))
}

pub(crate) async fn record_login(
    tx: &mut Tx,
    user_id: UserId,
    restaurant_id: Option<RestaurantId>,
    ip: std::net::IpAddr,
    method: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    events::record(
        tx,
        NewEvent {
            restaurant_id: restaurant_id.map(|r| r.0),
            kind: "auth.login",
            entity: "user",
            entity_id: Some(user_id.0),
            actor: ActedBy::User(user_id.0),
            payload: json!({ "ip": ip.to_string(), "method": method }),
            at: now,
        },
    )
    .await?;
    Ok(())
}

/// Failed sign-ins of a known account go to the audit log, in a transaction of their own.
async fn record_login_failure(state: &AppState, user_id: Uuid, ip: std::net::IpAddr, reason: &str) -> ApiResult<()> {
    let mut tx = state.db.begin(System::Authenticate).await?;
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: None,
            kind: "auth.login_failed",
            entity: "user",
            entity_id: Some(user_id),
            actor: ActedBy::System,
            payload: json!({ "ip": ip.to_string(), "reason": reason }),
            at: state.clock.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub fn chrono_duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
