//! The people of a restaurant: `…/users`. Owners and managers add members with a role;
//! staff and kitchen members may get a phone and PIN for shared devices. A manager
//! manages staff and kitchen only; only owners make or unmake owners and managers; a
//! restaurant always keeps at least one owner.
//!
//! Adding someone by email invites them (`invitation_router`): an account that exists
//! joins only when its owner accepts, signed in as themselves (one person working at two
//! locations), and a new account is made only when the person accepts with a password of
//! their own. A restaurant never sets an account's password; it sets the phone and PIN of
//! its own membership only, which sign in at its shared device only.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::{Permission, Role};
use brigade_domain::credentials::{new_secret, parse_name, secret_digest, Email, Password, Phone, Pin};
use brigade_store::invitations::{self, InvitationRow};
use brigade_store::users::{self, MemberRow, MembershipChange, NewMembership, UserRow};
use brigade_store::Tx;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(get_user, update_user, remove_user))
        .routes(routes!(list_invitations))
        .routes(routes!(revoke_invitation))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: Option<String>,
    pub name: String,
    /// owner, manager, staff or kitchen
    #[schema(value_type = String)]
    pub role: Role,
    pub phone: Option<String>,
    /// Whether a PIN is set (the PIN itself is never shown).
    pub has_pin: bool,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `active`, or `invited` until the person accepts (the `id` is then the
    /// invitation's, and the name the one it was sent under).
    pub status: &'static str,
    /// The link for the person to accept with, shown only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
    /// When an invitation's link stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_expires_at: Option<DateTime<Utc>>,
}

impl UserView {
    /// An invitation as the inviting restaurant sees it: what it typed, nothing of any
    /// account that email may have.
    fn invited(i: InvitationRow) -> UserView {
        UserView {
            id: i.id,
            email: Some(i.email),
            name: i.name,
            role: i.role.parse().unwrap_or(Role::Staff),
            phone: i.phone,
            has_pin: i.pin_hash.is_some(),
            is_active: true,
            last_login_at: None,
            created_at: i.created_at,
            status: "invited",
            invite_url: None,
            invite_expires_at: Some(i.expires_at),
        }
    }
}

impl TryFrom<MemberRow> for UserView {
    type Error = ApiError;
    fn try_from(m: MemberRow) -> ApiResult<Self> {
        Ok(UserView {
            id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role.parse().map_err(|e: brigade_domain::Invalid| ApiError::internal(e.to_string()))?,
            phone: m.phone,
            has_pin: m.pin_hash.is_some(),
            is_active: m.is_active,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            status: "active",
            invite_url: None,
            invite_expires_at: None,
        })
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/users", tag = "people", params(("rid" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<UserView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<UserView>>> {
    Ok(axum::Json(service::members(&actor, &state, page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(service::member(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    #[schema(value_type = schema::MemberRole)]
    pub role: String,
    #[schema(value_type = Option<schema::Email>)]
    pub email: Option<String>,
    /// Not taken: people choose their own password when they accept their invitation.
    #[schema(value_type = Option<schema::NotTaken>)]
    pub password: Option<String>,
    #[schema(value_type = Option<schema::Phone>)]
    pub phone: Option<String>,
    #[schema(value_type = Option<schema::Pin>)]
    pub pin: Option<String>,
}

/// Adds someone. With an email, they are invited: the answer carries an `invite_url`
/// (shown once) for them to open, where they accept signed in as themselves or create
/// their account with a password of their own. Nothing is joined to an account without
/// its owner's consent, and the answer is the same whether or not the email already has
/// an account. Without an email, a staff or kitchen member gets a new account with a
/// phone and PIN for the shared device, at once.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/users", tag = "people", params(("rid" = Uuid, Path)),
    request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn add_user(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add(&actor, &state, body).await?)))
}

/// How long an invitation link stays good.
const INVITATION_DAYS: i64 = 14;

#[utoipa::path(get, path = "/v1/restaurants/{rid}/invitations", tag = "people", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Vec<UserView>), (status = 403), (status = 404)), security(("bearer" = [])))]
/// Invitations not yet accepted (nor revoked or expired), newest first.
async fn list_invitations(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Vec<UserView>>> {
    Ok(axum::Json(service::invitations(&actor, &state).await?))
}

/// Takes an invitation back: its link stops working.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/invitations/{id}", tag = "people",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke_invitation(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::revoke_invitation(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct UserChange {
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<schema::MemberRole>)]
    pub role: Option<String>,
    pub is_active: Option<bool>,
    /// Not taken: a person changes their own password (`POST /v1/auth/password`).
    #[schema(value_type = Option<schema::NotTaken>)]
    pub password: Option<String>,
    /// A new phone, or null to remove it (and so PIN sign-in).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<schema::Phone>)]
    pub phone: Option<Option<String>>,
    /// A new PIN, or null to remove it.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<schema::Pin>)]
    pub pin: Option<Option<String>>,
}

/// Changes a member: role, phone and PIN here; name and active state of their account (only when every restaurant they belong to lets the caller manage them).
#[utoipa::path(put, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)), request_body = UserChange,
    responses((status = 200, body = UserView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<UserChange>,
) -> ApiResult<axum::Json<UserView>> {
    Ok(axum::Json(service::update(&actor, &state, ids.1, body).await?))
}

/// Removes someone from this restaurant. Their account stays (they may work elsewhere).
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn remove_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::remove(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn is_self(actor: &Actor, uid: Uuid) -> bool {
    actor.user_id().is_some_and(|u| u.0 == uid)
}

fn may_manage(actor: &Actor, role: Role) -> ApiResult<()> {
    let allowed = match actor.role() {
        Some(mine) => mine.may_manage(role),
        // An API key with users:write manages staff and kitchen, like a manager.
        None => Role::Manager.may_manage(role),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("you cannot manage members with the role {role}")))
    }
}

/// An account (name, password, active) is shared by every restaurant the person works
/// at, so changing it needs the caller to be able to manage them in all of those.
async fn may_manage_account(state: &AppState, actor: &Actor, uid: Uuid) -> ApiResult<()> {
    let theirs = users::memberships_of(&state.db, uid).await?;
    let mine = match actor.user_id() {
        Some(user_id) => users::memberships_of(&state.db, user_id.0).await?,
        None => vec![(actor.rid(), "manager".to_owned())],
    };
    for (rid, their_role) in theirs {
        let their_role: Role = their_role.parse()?;
        let my_role = mine.iter().find(|(r, _)| *r == rid).and_then(|(_, role)| role.parse::<Role>().ok());
        let ok = my_role.is_some_and(|mine| mine.may_manage(their_role)) || is_self(actor, uid);
        if !ok {
            return Err(ApiError::forbidden(
                "this person also works at a restaurant where you cannot manage them; they change their account themselves",
            ));
        }
    }
    Ok(())
}

async fn ensure_phone_free(tx: &mut Tx, rid: Uuid, phone: &Phone, except: Option<Uuid>) -> ApiResult<()> {
    if users::phone_taken(tx, rid, phone.as_str(), except).await? {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::PhoneTaken,
            format!("{} is already used by a member here", phone.as_str()),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- accepting an invitation

/// The routes an invited person reaches with their link, outside any restaurant.
pub fn invitation_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_invitation)).routes(routes!(accept_invitation_route))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationInfo {
    pub restaurant_id: Uuid,
    pub restaurant_name: String,
    pub email: String,
    pub name: String,
    /// owner, manager, staff or kitchen
    pub role: String,
    pub expires_at: DateTime<Utc>,
}

/// The open invitation a link names, or 404 (unknown, used, taken back or expired).
pub async fn open_invitation(state: &AppState, token: &str) -> ApiResult<(InvitationRow, InvitationInfo)> {
    let gone = || ApiError::NotFound { message: "this invitation is not valid any more; ask for a new one".into() };
    let row = invitations::by_token_hash(&state.db, &secret_digest(token)).await?.ok_or_else(gone)?;
    if !row.is_open(state.clock.now()) {
        return Err(gone());
    }
    let restaurant = brigade_store::restaurants::get(&state.db, row.restaurant_id).await?.ok_or_else(gone)?;
    let info = InvitationInfo {
        restaurant_id: row.restaurant_id,
        restaurant_name: restaurant.name,
        email: row.email.clone(),
        name: row.name.clone(),
        role: row.role.clone(),
        expires_at: row.expires_at,
    };
    Ok((row, info))
}

/// What an invitation link is for: which restaurant, which role, for which email.
#[utoipa::path(get, path = "/v1/invitations/{token}", tag = "people", params(("token" = String, Path)),
    responses((status = 200, body = InvitationInfo), (status = 404)))]
async fn show_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<InvitationInfo>> {
    Ok(axum::Json(open_invitation(&state, &token).await?.1))
}

/// Who accepts: the signed-in account the invitation was sent to, or a new account made
/// now with the person's own password.
pub enum Acceptor {
    Account(brigade_domain::UserId),
    NewAccount { name: Option<String>, password: String, session_kind: &'static str, ip: std::net::IpAddr },
}

pub struct Accepted {
    pub restaurant_id: Uuid,
    pub role: Role,
    pub user: UserRow,
    /// For a new account: its first session and refresh token.
    pub session: Option<(brigade_domain::SessionId, String)>,
}

/// Accepts an invitation: the membership it describes is made, once (two acceptances
/// racing with one link: one wins, the other finds it used).
pub async fn accept_invitation(state: &AppState, token: &str, who: Acceptor) -> ApiResult<Accepted> {
    let (invitation, _) = open_invitation(state, token).await?;
    let role: Role = invitation.role.parse()?;
    let rid = invitation.restaurant_id;
    let new_account = match &who {
        Acceptor::Account(_) => None,
        Acceptor::NewAccount { name, password, .. } => {
            let name = name.as_deref().map(|n| parse_name("name", n)).transpose()?;
            let password = Password::parse(password)?;
            let hash = tokio::task::spawn_blocking(move || password.hash()).await?;
            Some((name.unwrap_or_else(|| invitation.name.clone()), hash))
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let user = match (&who, new_account) {
        (Acceptor::Account(uid), _) => {
            let user = users::get(&state.db, uid.0).await?.ok_or_else(|| ApiError::not_found("user"))?;
            if user.email.as_deref() != Some(invitation.email.as_str()) {
                return Err(ApiError::Forbidden {
                    code: crate::error::ErrorCode::WrongAccount,
                    message: format!(
                        "this invitation is for {}; sign in with that account to accept it",
                        invitation.email
                    ),
                });
            }
            if users::member_tx(&mut tx, rid, user.id).await?.is_some() {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::AlreadyMember,
                    "you are already a member of this restaurant",
                ));
            }
            user
        }
        (Acceptor::NewAccount { .. }, Some((name, hash))) => {
            if users::by_email_tx(&mut tx, &invitation.email).await?.is_some() {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::AccountExists,
                    format!("{} already has an account: sign in with it, then accept", invitation.email),
                ));
            }
            let row = UserRow::new_account(Some(invitation.email.clone()), Some(hash), name, now);
            users::insert(&mut tx, &row).await?;
            row
        }
        (Acceptor::NewAccount { .. }, None) => return Err(ApiError::internal("new account without a password")),
    };
    if let Some(p) = &invitation.phone {
        if users::phone_taken(&mut tx, rid, p, None).await? {
            return Err(ApiError::conflict(
                crate::error::ErrorCode::PhoneTaken,
                format!("{p} is already used by a member here; ask for a new invitation"),
            ));
        }
    }
    if !invitations::accept(&mut tx, invitation.id, user.id, now).await? {
        return Err(ApiError::NotFound { message: "this invitation is not valid any more; ask for a new one".into() });
    }
    let membership = NewMembership {
        restaurant_id: rid,
        user_id: user.id,
        role: role.as_str(),
        phone: invitation.phone.as_deref(),
        pin_hash: invitation.pin_hash.as_deref(),
        at: now,
    };
    users::add_membership(&mut tx, &membership).await?;
    let is_new = matches!(who, Acceptor::NewAccount { .. });
    let payload = json!({ "role": role, "new_account": is_new, "via": "invitation", "invitation_id": invitation.id,
        "phone": invitation.phone });
    let event = brigade_store::events::NewEvent {
        restaurant_id: Some(rid),
        kind: "user.created",
        entity: "user",
        entity_id: Some(user.id),
        actor: brigade_store::events::ActedBy::User(user.id),
        payload,
        at: now,
    };
    brigade_store::events::record(&mut tx, event).await?;
    let session = match who {
        Acceptor::NewAccount { session_kind, ip, .. } => {
            let uid = brigade_domain::UserId(user.id);
            let session = crate::accounts::start_session(state, &mut tx, uid, None, session_kind, now).await?;
            users::touch_login(&mut tx, user.id, now).await?;
            crate::accounts::record_login(&mut tx, uid, None, ip, session_kind, now).await?;
            Some(session)
        }
        Acceptor::Account(_) => None,
    };
    tx.commit().await?;
    Ok(Accepted { restaurant_id: rid, role, user, session })
}

#[derive(Deserialize, ToSchema, Default)]
pub struct AcceptInvitation {
    /// For a new account: the name to go by (else the one the invitation was sent under).
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    /// For a new account: the password the person chooses. Leave out when signed in.
    #[schema(value_type = Option<schema::Password>)]
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptedView {
    pub restaurant_id: Uuid,
    /// owner, manager, staff or kitchen
    #[schema(value_type = String)]
    pub role: Role,
    pub user_id: Uuid,
    /// For a new account: its tokens, as sign-in gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<crate::accounts::TokenPair>,
}

/// Accepts an invitation. Signed in (`Authorization: Bearer`, a password sign-in of the
/// account the invitation was sent to): that account joins the restaurant, 200. Not
/// signed in, with a `password`: a new account is made for the invited email and signed
/// in, 201 (409 `account_exists` when that email has an account: sign in first).
#[utoipa::path(post, path = "/v1/invitations/{token}/accept", tag = "people", params(("token" = String, Path)),
    request_body(content = Option<AcceptInvitation>, description = "optional when signed in"),
    responses((status = 200, body = AcceptedView), (status = 201, body = AcceptedView), (status = 401), (status = 403),
              (status = 404), (status = 409), (status = 422)))]
async fn accept_invitation_route(
    State(state): State<AppState>,
    Path(token): Path<String>,
    axum::Extension(crate::ops::ClientIp(ip)): axum::Extension<crate::ops::ClientIp>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, axum::Json<AcceptedView>)> {
    let body: AcceptInvitation = crate::extract::parse_optional_json(&body)?;
    let who = if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let caller = crate::auth::Caller::from_headers(&state, &headers).await?;
        Acceptor::Account(caller.account_holder()?)
    } else {
        let password = body.password.ok_or_else(|| {
            ApiError::validation("password", "choose a password, or sign in to accept with your account")
        })?;
        Acceptor::NewAccount { name: body.name, password, session_kind: "password", ip }
    };
    let accepted = accept_invitation(&state, &token, who).await?;
    let (status, tokens) = match accepted.session {
        Some((session_id, refresh)) => {
            let pair = crate::accounts::token_pair(&state, &accepted.user, session_id, None, refresh).await?;
            (StatusCode::CREATED, Some(pair))
        }
        None => (StatusCode::OK, None),
    };
    let view =
        AcceptedView { restaurant_id: accepted.restaurant_id, role: accepted.role, user_id: accepted.user.id, tokens };
    Ok((status, axum::Json(view)))
}
