//! People's actions and reads, for every caller (the staff screen through REST, the
//! assistant's "add Sam as a cook", tests): members listed and changed within what the
//! caller's own role may manage, invitations sent and taken back. Nobody is joined to an
//! account without its owner's consent, and the last owner stays.

use super::*;

/// The members here, a page at a time.
pub async fn members(actor: &Actor, state: &AppState, page: PageParams) -> ApiResult<Page<UserView>> {
    actor.require(Permission::UsersRead)?;
    let limit = page.limit()?;
    let rows = users::members(&state.db, actor.rid(), page.cursor_uuid()?, limit + 1).await?;
    let items = rows.into_iter().map(UserView::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, limit, |u| u.id.to_string(), |u| u))
}

/// One member: themselves, or anyone with `users:read`.
pub async fn member(actor: &Actor, state: &AppState, uid: Uuid) -> ApiResult<UserView> {
    let own = is_self(actor, uid);
    if !own {
        actor.require(Permission::UsersRead)?;
    }
    let row = users::member(&state.db, actor.rid(), uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    row.try_into()
}

/// Adds someone: with an email, an invitation (its link in `invite_url`, shown once);
/// without, a staff or kitchen member with a phone and PIN for the shared device.
pub async fn add(actor: &Actor, state: &AppState, input: NewUser) -> ApiResult<UserView> {
    actor.require(Permission::UsersWrite)?;
    let role: Role = input.role.parse()?;
    may_manage(actor, role)?;
    let email = input.email.as_deref().map(Email::parse).transpose()?;
    let phone = input.phone.as_deref().map(Phone::parse).transpose()?;
    let pin = input.pin.as_deref().map(Pin::parse).transpose()?;
    let name = input.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    if input.password.is_some() {
        return Err(ApiError::validation(
            "password",
            "people choose their own password: add them by email and they set it when they accept the invitation",
        ));
    }
    if pin.is_some() && phone.is_none() {
        return Err(ApiError::validation("phone", "a PIN needs a phone number to sign in with"));
    }
    let can_pin = matches!(role, Role::Staff | Role::Kitchen) && phone.is_some() && pin.is_some();
    if email.is_none() && !can_pin {
        let need = if matches!(role, Role::Owner | Role::Manager) { "an email" } else { "an email or a phone and PIN" };
        return Err(ApiError::validation("email", format!("a {role} needs {need} to sign in")));
    }
    let name = name.ok_or_else(|| ApiError::validation("name", "a new member needs a name"))?;

    let pin_hash = tokio::task::spawn_blocking(move || pin.map(|p| p.hash())).await?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    if let Some(p) = &phone {
        ensure_phone_free(&mut tx, rid, p, None).await?;
    }
    let Some(email) = email else {
        let row = UserRow::new_account(None, None, name, now);
        users::insert(&mut tx, &row).await?;
        let membership = NewMembership {
            restaurant_id: rid,
            user_id: row.id,
            role: role.as_str(),
            phone: phone.as_ref().map(|p| p.as_str()),
            pin_hash: pin_hash.as_deref(),
            at: now,
        };
        users::add_membership(&mut tx, &membership).await?;
        let payload = json!({ "role": role, "new_account": true, "phone": phone.as_ref().map(|p| p.as_str()) });
        actor.record(&mut tx, "user.created", "user", row.id, payload, now).await?;
        let row = users::member_tx(&mut tx, rid, row.id).await?.ok_or_else(|| ApiError::internal("member vanished"))?;
        tx.commit().await?;
        return row.try_into();
    };
    // A member here is listed on this very screen, so saying so tells nothing new.
    if let Some(u) = users::by_email_tx(&mut tx, email.as_str()).await? {
        if users::member_tx(&mut tx, rid, u.id).await?.is_some() {
            return Err(ApiError::conflict(
                crate::error::ErrorCode::AlreadyMember,
                "this person is already a member here",
            ));
        }
    }
    let token = new_secret("bin_");
    let invitation = InvitationRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        email: email.as_str().to_owned(),
        name,
        role: role.as_str().to_owned(),
        phone: phone.as_ref().map(|p| p.as_str().to_owned()),
        pin_hash,
        invited_by: actor.acted_by().encode(),
        created_at: now,
        expires_at: now + chrono::Duration::days(INVITATION_DAYS),
        accepted_at: None,
        revoked_at: None,
    };
    invitations::insert(&mut tx, &invitation, &secret_digest(&token)).await?;
    let payload = json!({ "role": role, "email": invitation.email, "expires_at": invitation.expires_at });
    actor.record(&mut tx, "user.invited", "invitation", invitation.id, payload, now).await?;
    tx.commit().await?;
    let mut view = UserView::invited(invitation);
    view.invite_url = Some(format!("{}/invite/{token}", state.config.public_base_url.trim_end_matches('/')));
    Ok(view)
}

/// Invitations not yet accepted, revoked or expired, newest first.
pub async fn invitations(actor: &Actor, state: &AppState) -> ApiResult<Vec<UserView>> {
    actor.require(Permission::UsersRead)?;
    let rows = invitations::open(&state.db, actor.rid(), state.clock.now()).await?;
    Ok(rows.into_iter().map(UserView::invited).collect())
}

/// Takes an invitation back: its link stops working.
pub async fn revoke_invitation(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !invitations::revoke(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("invitation"));
    }
    actor.record(&mut tx, "user.invitation_revoked", "invitation", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a member's role, phone and PIN here, and their name and active state when
/// the caller may manage their account everywhere it belongs.
pub async fn update(actor: &Actor, state: &AppState, uid: Uuid, input: UserChange) -> ApiResult<UserView> {
    actor.require(Permission::UsersWrite)?;
    let rid = actor.rid();
    let target = users::member(&state.db, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let current: Role = target.role.parse()?;
    may_manage(actor, current)?;
    let new_role = input.role.as_deref().map(str::parse::<Role>).transpose()?;
    if let Some(r) = new_role {
        may_manage(actor, r)?;
    }
    let name = input.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    let phone = match &input.phone {
        Some(Some(p)) => Some(Some(Phone::parse(p)?)),
        Some(None) => Some(None),
        None => None,
    };
    let pin = match &input.pin {
        Some(Some(p)) => Some(Some(Pin::parse(p)?)),
        Some(None) => Some(None),
        None => None,
    };
    if input.password.is_some() {
        return Err(ApiError::Forbidden {
            code: crate::error::ErrorCode::NotYourPassword,
            message: "only the person sets their password; they change it with POST /v1/auth/password".into(),
        });
    }
    let account_change = name.is_some() || input.is_active.is_some();
    if account_change {
        may_manage_account(state, actor, uid).await?;
    }
    if input.is_active == Some(false) && is_self(actor, uid) {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CannotDeactivateSelf,
            "you cannot deactivate your own account",
        ));
    }
    let pin_hash = tokio::task::spawn_blocking(move || pin.map(|p| p.map(|p| p.hash()))).await?;

    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    if current == Role::Owner
        && new_role.is_some_and(|r| r != Role::Owner)
        && users::count_owners(&mut tx, rid).await? <= 1
    {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::LastOwner,
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
    if name.is_some() || input.is_active.is_some() {
        let name = name.clone().unwrap_or_else(|| target.name.clone());
        users::update_profile(&mut tx, uid, &name, input.is_active.unwrap_or(target.is_active), now).await?;
    }
    if let Some(r) = new_role.filter(|r| *r != current) {
        actor.record(&mut tx, "user.role_changed", "user", uid, json!({ "from": current, "to": r }), now).await?;
    }
    let mut changed: Vec<&str> = Vec::new();
    for (set, field) in [
        (name.is_some(), "name"),
        (input.is_active.is_some(), "is_active"),
        (phone.is_some(), "phone"),
        (pin_hash.is_some(), "pin"),
    ] {
        if set {
            changed.push(field);
        }
    }
    if !changed.is_empty() {
        let payload = json!({ "changed": changed, "is_active": input.is_active });
        actor.record(&mut tx, "user.updated", "user", uid, payload, now).await?;
    }
    let row = users::member_tx(&mut tx, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    tx.commit().await?;
    row.try_into()
}

/// Removes someone from this restaurant; their account stays. The last owner stays.
pub async fn remove(actor: &Actor, state: &AppState, uid: Uuid) -> ApiResult<()> {
    actor.require(Permission::UsersWrite)?;
    let rid = actor.rid();
    let target = users::member(&state.db, rid, uid).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let role: Role = target.role.parse()?;
    may_manage(actor, role)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    if role == Role::Owner && users::count_owners(&mut tx, rid).await? <= 1 {
        return Err(ApiError::conflict(crate::error::ErrorCode::LastOwner, "a restaurant needs at least one owner"));
    }
    users::remove_membership(&mut tx, rid, uid).await?;
    actor.record(&mut tx, "user.removed", "user", uid, json!({ "role": role }), now).await?;
    tx.commit().await?;
    Ok(())
}
