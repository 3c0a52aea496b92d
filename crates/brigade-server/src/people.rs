//! The people of a restaurant: `…/users`. Owners and managers add members with a role;
//! staff and kitchen members may get a phone and PIN for shared devices. A manager
//! manages staff and kitchen only; only owners make or unmake owners and managers; a
//! restaurant always keeps at least one owner.
//!
//! Adding someone whose email already has an account adds that account to the restaurant
//! (one person working at two locations); their password stays theirs.

use crate::auth::{Member, Principal};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::{Permission, Role};
use brigade_domain::credentials::{parse_name, Email, Password, Phone, Pin};
use brigade_store::users::{self, MemberRow, MembershipChange, NewMembership, UserRow};
use brigade_store::Tx;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, add_user)).routes(routes!(get_user, update_user, remove_user))
}

#[derive(Serialize, ToSchema)]
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
        })
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/users", tag = "people", params(("rid" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<UserView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    member: Member,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<UserView>>> {
    member.require(Permission::UsersRead)?;
    let limit = page.limit()?;
    let rows = users::members(&state.db, member.rid(), page.cursor_uuid()?, limit + 1).await?;
    let items = rows.into_iter().map(UserView::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(axum::Json(Page::from_rows(items, limit, |u| u.id.to_string(), |u| u)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<UserView>> {
    let (_, uid) = ids;
    let own = matches!(member.principal, Principal::User { user_id, .. } if user_id.0 == uid);
    if !own {
        member.require(Permission::UsersRead)?;
    }
    let row = users::member(&state.db, member.rid(), uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(axum::Json(row.try_into()?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub name: Option<String>,
    pub role: String,
    pub email: Option<String>,
    pub password: Option<String>,
    pub phone: Option<String>,
    pub pin: Option<String>,
}

/// Adds a member. Owners and managers sign in with email and password, so they need both
/// (or an email that already has an account); staff and kitchen need either those or a
/// phone and PIN.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/users", tag = "people", params(("rid" = Uuid, Path)),
    request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn add_user(
    State(state): State<AppState>,
    member: Member,
    Json(body): Json<NewUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    member.require(Permission::UsersWrite)?;
    let role: Role = body.role.parse()?;
    may_manage(&member, role)?;
    let email = body.email.as_deref().map(Email::parse).transpose()?;
    let password = body.password.as_deref().map(Password::parse).transpose()?;
    let phone = body.phone.as_deref().map(Phone::parse).transpose()?;
    let pin = body.pin.as_deref().map(Pin::parse).transpose()?;
    let name = body.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    if pin.is_some() && phone.is_none() {
        return Err(ApiError::validation("phone", "a PIN needs a phone number to sign in with"));
    }
    if password.is_some() && email.is_none() {
        return Err(ApiError::validation("email", "a password needs an email to sign in with"));
    }
    let can_pin = matches!(role, Role::Staff | Role::Kitchen) && phone.is_some() && pin.is_some();
    if email.is_none() && !can_pin {
        let need = if matches!(role, Role::Owner | Role::Manager) { "an email" } else { "an email or a phone and PIN" };
        return Err(ApiError::validation("email", format!("a {role} needs {need} to sign in")));
    }

    let (password_hash, pin_hash) =
        tokio::task::spawn_blocking(move || (password.map(|p| p.hash()), pin.map(|p| p.hash()))).await?;
    let rid = member.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin_for(rid).await?;
    let existing = match &email {
        Some(e) => users::by_email_tx(&mut tx, e.as_str()).await?,
        None => None,
    };
    let (user_id, new_account) = match existing {
        Some(u) => {
            if password_hash.is_some() {
                return Err(ApiError::conflict(
                    "email_taken",
                    "this email already has an account; add it without a password and they keep theirs",
                ));
            }
            if users::member_tx(&mut tx, rid, u.id).await?.is_some() {
                return Err(ApiError::conflict("already_member", "this person is already a member here"));
            }
            (u.id, false)
        }
        None => {
            if matches!(role, Role::Owner | Role::Manager) && password_hash.is_none() {
                return Err(ApiError::validation("password", format!("a new {role} needs a password")));
            }
            let name = name.clone().ok_or_else(|| ApiError::validation("name", "a new member needs a name"))?;
            let row = UserRow::new_account(email.as_ref().map(|e| e.as_str().to_owned()), password_hash, name, now);
            users::insert(&mut tx, &row).await?;
            (row.id, true)
        }
    };
    if let Some(p) = &phone {
        ensure_phone_free(&mut tx, rid, p, None).await?;
    }
    let membership = NewMembership {
        restaurant_id: rid,
        user_id,
        role: role.as_str(),
        phone: phone.as_ref().map(|p| p.as_str()),
        pin_hash: pin_hash.as_deref(),
        at: now,
    };
    users::add_membership(&mut tx, &membership).await?;
    let payload = json!({ "role": role, "new_account": new_account, "phone": phone.as_ref().map(|p| p.as_str()) });
    member.record(&mut tx, "user.created", "user", user_id, payload, now).await?;
    let row = users::member_tx(&mut tx, rid, user_id).await?.ok_or_else(|| ApiError::internal("member vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(row.try_into()?)))
}

#[derive(Deserialize, ToSchema)]
pub struct UserChange {
    pub name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub password: Option<String>,
    /// A new phone, or null to remove it (and so PIN sign-in).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// A new PIN, or null to remove it.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub pin: Option<Option<String>>,
}

/// Changes a member: role, phone and PIN here; name, password and active state of their
/// account (only when every restaurant they belong to lets the caller manage them).
#[utoipa::path(put, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)), request_body = UserChange,
    responses((status = 200, body = UserView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_user(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<UserChange>,
) -> ApiResult<axum::Json<UserView>> {
    let (_, uid) = ids;
    member.require(Permission::UsersWrite)?;
    let rid = member.rid();
    let target = users::member(&state.db, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let current: Role = target.role.parse()?;
    may_manage(&member, current)?;
    let new_role = body.role.as_deref().map(str::parse::<Role>).transpose()?;
    if let Some(r) = new_role {
        may_manage(&member, r)?;
    }
    let name = body.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    let password = body.password.as_deref().map(Password::parse).transpose()?;
    let phone = match &body.phone {
        Some(Some(p)) => Some(Some(Phone::parse(p)?)),
        Some(None) => Some(None),
        None => None,
    };
    let pin = match &body.pin {
        Some(Some(p)) => Some(Some(Pin::parse(p)?)),
        Some(None) => Some(None),
        None => None,
    };
    let account_change = name.is_some() || password.is_some() || body.is_active.is_some();
    if account_change {
        may_manage_account(&state, &member, uid).await?;
    }
    if body.is_active == Some(false) && is_self(&member, uid) {
        return Err(ApiError::conflict("cannot_deactivate_self", "you cannot deactivate your own account"));
    }
    let (password_hash, pin_hash) =
        tokio::task::spawn_blocking(move || (password.map(|p| p.hash()), pin.map(|p| p.map(|p| p.hash())))).await?;

    let now = state.clock.now();
    let mut tx = state.db.begin_for(rid).await?;
    if current == Role::Owner
        && new_role.is_some_and(|r| r != Role::Owner)
        && users::count_owners(&mut tx, rid).await? <= 1
    {
        return Err(ApiError::conflict(
            "last_owner",
            "a restaurant needs at least one owner; make someone else owner first",
        ));
    }
    if let Some(Some(p)) = &phone {
        ensure_phone_free(&mut tx, rid, p, Some(uid)).await?;
    }
    let change = MembershipChange {
        role: new_role.map(Role::as_str),
        phone: phone.as_ref().map(|p| p.as_ref().map(|p| p.as_str())),
        pin_hash: pin_hash.as_ref().map(|p| p.as_deref()),
        at: now,
    };
    users::update_membership(&mut tx, rid, uid, &change).await?;
    if name.is_some() || body.is_active.is_some() {
        let name = name.clone().unwrap_or_else(|| target.name.clone());
        users::update_profile(&mut tx, uid, &name, body.is_active.unwrap_or(target.is_active), now).await?;
    }
    if let Some(hash) = &password_hash {
        users::set_password(&mut tx, uid, hash, now).await?;
        brigade_store::sessions::revoke_all_for_user(&mut tx, uid, "password changed", now).await?;
    }
    if let Some(r) = new_role.filter(|r| *r != current) {
        member.record(&mut tx, "user.role_changed", "user", uid, json!({ "from": current, "to": r }), now).await?;
    }
    let mut changed: Vec<&str> = Vec::new();
    for (set, field) in [
        (name.is_some(), "name"),
        (body.is_active.is_some(), "is_active"),
        (password_hash.is_some(), "password"),
        (phone.is_some(), "phone"),
        (pin_hash.is_some(), "pin"),
    ] {
        if set {
            changed.push(field);
        }
    }
    if !changed.is_empty() {
        let payload = json!({ "changed": changed, "is_active": body.is_active });
        member.record(&mut tx, "user.updated", "user", uid, payload, now).await?;
    }
    let row = users::member_tx(&mut tx, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    tx.commit().await?;
    Ok(axum::Json(row.try_into()?))
}

/// Removes someone from this restaurant. Their account stays (they may work elsewhere).
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/users/{uid}", tag = "people",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn remove_user(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let (_, uid) = ids;
    member.require(Permission::UsersWrite)?;
    let rid = member.rid();
    let target = users::member(&state.db, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let role: Role = target.role.parse()?;
    may_manage(&member, role)?;
    let now = state.clock.now();
    let mut tx = state.db.begin_for(rid).await?;
    if role == Role::Owner && users::count_owners(&mut tx, rid).await? <= 1 {
        return Err(ApiError::conflict("last_owner", "a restaurant needs at least one owner"));
    }
    users::remove_membership(&mut tx, rid, uid).await?;
    member.record(&mut tx, "user.removed", "user", uid, json!({ "role": role }), now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

fn is_self(member: &Member, uid: Uuid) -> bool {
    matches!(member.principal, Principal::User { user_id, .. } if user_id.0 == uid)
}

fn may_manage(member: &Member, role: Role) -> ApiResult<()> {
    let allowed = match member.role {
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
async fn may_manage_account(state: &AppState, member: &Member, uid: Uuid) -> ApiResult<()> {
    let theirs = users::memberships_of(&state.db, uid).await?;
    let mine = match &member.principal {
        Principal::User { user_id, .. } => users::memberships_of(&state.db, user_id.0).await?,
        Principal::ApiKey { .. } => vec![(member.rid(), "manager".to_owned())],
    };
    for (rid, their_role) in theirs {
        let their_role: Role = their_role.parse()?;
        let my_role = mine.iter().find(|(r, _)| *r == rid).and_then(|(_, role)| role.parse::<Role>().ok());
        let ok = my_role.is_some_and(|mine| mine.may_manage(their_role)) || is_self(member, uid);
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
        return Err(ApiError::conflict("phone_taken", format!("{} is already used by a member here", phone.as_str())));
    }
    Ok(())
}
