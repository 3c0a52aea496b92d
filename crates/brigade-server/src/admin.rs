//! What `brigade admin …` does: operator actions from the shell, for when nobody can sign
//! in (the first owner lost their password) or for scripted setup. Each writes its event
//! like any other change.

use anyhow::{bail, Context};
use brigade_domain::auth::Role;
use brigade_domain::credentials::{parse_name, Email, Password};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::System;
use brigade_store::{restaurants, sessions, users, Db};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

/// Creates a user; with a restaurant, also makes them a member with `role` there.
pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    password: &str,
    membership: Option<(Uuid, Role)>,
) -> anyhow::Result<Uuid> {
    let email = Email::parse(email)?;
    let name = parse_name("name", name)?;
    let hash = Password::parse(password)?.hash();
    let now = Utc::now();
    if let Some((rid, _)) = membership {
        restaurants::get(db, rid).await?.with_context(|| format!("no restaurant with id {rid}"))?;
    }
    let mut tx = db.begin(System::Admin).await?;
    if users::by_email_tx(&mut tx, email.as_str()).await?.is_some() {
        bail!("{} already has an account", email.as_str());
    }
    let row = users::UserRow::new_account(Some(email.as_str().to_owned()), Some(hash), name, now);
    let id = row.id;
    users::insert(&mut tx, &row).await?;
    if let Some((rid, role)) = membership {
        let m = users::NewMembership {
            restaurant_id: rid,
            user_id: id,
            role: role.as_str(),
            phone: None,
            pin_hash: None,
            at: now,
        };
        users::add_membership(&mut tx, &m).await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: membership.map(|(rid, _)| rid),
            kind: "user.created",
            entity: "user",
            entity_id: Some(id),
            actor: ActedBy::System,
            payload: json!({ "via": "admin", "role": membership.map(|(_, r)| r) }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Sets a new password and ends every session of the user.
pub async fn reset_password(db: &Db, email: &str, password: &str) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let hash = Password::parse(password)?.hash();
    let now = Utc::now();
    let user =
        users::by_email(db, email.as_str()).await?.with_context(|| format!("no user with email {}", email.as_str()))?;
    let mut tx = db.begin(System::Admin).await?;
    users::set_password(&mut tx, user.id, &hash, now).await?;
    sessions::revoke_all_for_user(&mut tx, user.id, "password reset by an operator", now).await?;
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: None,
            kind: "user.password_reset",
            entity: "user",
            entity_id: Some(user.id),
            actor: ActedBy::System,
            payload: json!({ "via": "admin" }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
