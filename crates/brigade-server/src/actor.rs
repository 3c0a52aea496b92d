//! Who acts: the one argument every service function takes first.
//!
//! An `Actor` always belongs to one restaurant, and is one of
//! - a member: a person or an API key of that restaurant, with its role or permissions.
//!   The only way to make one is `Actor::resolve`, which checks the membership (404 across
//!   tenants, as for a stranger); the REST extractor and the WebSocket both go through it.
//! - a guest: someone ordering from a table's QR code or the web page, not signed in;
//! - a platform: a delivery app or POS, through its integration's signed webhook;
//! - the system: a named job doing what was scheduled (a timed 86 running out).
//!
//! Its fields are private, so no code path can hold a member-actor that skipped the check,
//! nor one whose restaurant was swapped after it. Services ask `actor.require(permission)`
//! and record the actor in the audit log (`acted_by`). The REST handlers, the assistant's
//! tools, the phone agent, MCP and jobs all act through the same services with an `Actor`.

use crate::auth::{membership, Caller, Principal};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use brigade_domain::auth::{Permission, Role};
use brigade_domain::credentials::verify_secret;
use brigade_domain::{RestaurantId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A manager's PIN, entered on the spot to approve what the signed-in person may not do
/// alone (a refund, cancelling a paid order).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ApprovalInput {
    #[schema(value_type = crate::schema::Pin)]
    pub pin: String,
}

#[derive(Debug, Clone)]
pub struct Actor {
    restaurant_id: RestaurantId,
    who: Who,
}

#[derive(Debug, Clone)]
enum Who {
    /// A person (`role` is theirs here) or an API key (`role` is `None`).
    Member {
        principal: Principal,
        role: Option<Role>,
    },
    Guest,
    Platform {
        integration_id: Uuid,
    },
    System {
        job: &'static str,
    },
}

impl Actor {
    /// Resolves an authenticated principal against a restaurant: the member-actor, or 404
    /// when the principal does not belong there.
    pub async fn resolve(state: &AppState, principal: Principal, rid: RestaurantId) -> ApiResult<Actor> {
        let role = membership(state, &principal, rid).await?;
        Ok(Actor { restaurant_id: rid, who: Who::Member { principal, role } })
    }

    /// Brigade itself, doing the work of the job (or periodic task) named `job`.
    pub fn system(rid: Uuid, job: &'static str) -> Actor {
        Actor { restaurant_id: RestaurantId(rid), who: Who::System { job } }
    }

    /// A platform, through its integration: made only after the webhook's signature checks.
    pub(crate) fn platform(rid: Uuid, integration_id: Uuid) -> Actor {
        Actor { restaurant_id: RestaurantId(rid), who: Who::Platform { integration_id } }
    }

    /// A guest who is not signed in: made only after the table token or tracking key checks.
    pub(crate) fn guest(rid: Uuid) -> Actor {
        Actor { restaurant_id: RestaurantId(rid), who: Who::Guest }
    }

    pub fn restaurant_id(&self) -> RestaurantId {
        self.restaurant_id
    }

    pub fn rid(&self) -> Uuid {
        self.restaurant_id.0
    }

    /// The member's role here; `None` for an API key and for anyone but a member.
    pub fn role(&self) -> Option<Role> {
        match &self.who {
            Who::Member { role, .. } => *role,
            _ => None,
        }
    }

    /// How the member signed in, for the few rules that depend on it (a person's own
    /// records, API keys made by a key).
    pub fn principal(&self) -> Option<&Principal> {
        match &self.who {
            Who::Member { principal, .. } => Some(principal),
            _ => None,
        }
    }

    /// The person acting, when it is a signed-in person.
    pub fn user_id(&self) -> Option<UserId> {
        match self.principal() {
            Some(Principal::User { user_id, .. }) => Some(*user_id),
            _ => None,
        }
    }

    /// The person acting, for actions only a person can take (clocking in, a task of
    /// one's own); 403 for anyone else.
    pub fn person(&self) -> ApiResult<UserId> {
        self.user_id().ok_or_else(|| ApiError::Forbidden {
            code: crate::error::ErrorCode::UserOnly,
            message: "only a signed-in person can do this, not an API key".into(),
        })
    }

    /// Whether this actor may do what `permission` guards. The system may do what its job
    /// was scheduled for; a platform may place and change its own orders and read the
    /// menu; a guest holds no permission (the guest routes check their token instead).
    pub fn allows(&self, permission: Permission) -> bool {
        match &self.who {
            Who::Member { principal: Principal::ApiKey { permissions, .. }, .. } => permissions.contains(&permission),
            Who::Member { principal: Principal::User { .. }, role: Some(role) } => role.allows(permission),
            Who::Member { principal: Principal::User { .. }, role: None } => false,
            Who::System { .. } => true,
            Who::Platform { .. } => {
                matches!(permission, Permission::OrdersRead | Permission::OrdersWrite | Permission::MenuRead)
            }
            Who::Guest => false,
        }
    }

    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.allows(permission) {
            return Ok(());
        }
        let who = match (&self.who, self.role()) {
            (_, Some(role)) => format!("your role ({role})"),
            (Who::Member { .. }, None) => "this API key".to_owned(),
            (Who::Platform { .. }, _) => "a platform".to_owned(),
            _ => "a guest".to_owned(),
        };
        Err(ApiError::forbidden(format!("{who} does not allow {permission}")))
    }

    /// Who acted, as the audit log records it.
    pub fn acted_by(&self) -> ActedBy {
        match &self.who {
            Who::Member { principal, .. } => principal.actor(),
            Who::Guest => ActedBy::Guest,
            Who::Platform { .. } | Who::System { .. } => ActedBy::System,
        }
    }

    /// What the system or platform actor is doing, for logs.
    pub fn describe(&self) -> String {
        match &self.who {
            Who::Member { principal, .. } => principal.actor().encode(),
            Who::Guest => "guest".to_owned(),
            Who::Platform { integration_id } => format!("integration:{integration_id}"),
            Who::System { job } => format!("system:{job}"),
        }
    }

    /// Who approves what needs a manager: the actor, when it may (a manager or owner signed
    /// in, or an API key with `checks:approve`); else the active manager or owner whose PIN
    /// `approval` gives. 403 `approval_required` without one; a wrong PIN counts toward the
    /// restaurant's back-off, as a sign-in does.
    pub async fn approve(
        &self,
        state: &AppState,
        approval: Option<&ApprovalInput>,
        what: &str,
    ) -> ApiResult<Option<Uuid>> {
        if self.require(Permission::ChecksApprove).is_ok() {
            return Ok(self.user_id().map(|u| u.0));
        }
        let Some(approval) = approval else {
            return Err(ApiError::Forbidden {
                code: crate::error::ErrorCode::ApprovalRequired,
                message: format!("{what} needs a manager: ask one to approve it with their PIN"),
            });
        };
        let now = state.clock.now();
        let account = format!("approve:{}", self.rid());
        state
            .limits
            .pin_allowed(&account, now)
            .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
        let managers =
            brigade_store::users::with_pin(&state.db, self.rid(), &[Role::Owner.as_str(), Role::Manager.as_str()])
                .await?;
        let pin = approval.pin.clone();
        let hashes: Vec<(Uuid, String)> = managers.into_iter().filter_map(|m| Some((m.user_id, m.pin_hash?))).collect();
        let found = tokio::task::spawn_blocking(move || {
            hashes.into_iter().find(|(_, hash)| verify_secret(&pin, hash)).map(|(user, _)| user)
        })
        .await?;
        match found {
            Some(user) if Some(user) != self.user_id().map(|u| u.0) => {
                state.limits.login_succeeded(&account);
                Ok(Some(user))
            }
            _ => {
                state.limits.pin_failed(&account, now);
                Err(ApiError::Forbidden {
                    code: crate::error::ErrorCode::ApprovalRequired,
                    message: "that is not a manager's PIN here".into(),
                })
            }
        }
    }

    /// Writes an event of this restaurant, made by this actor, in `tx`.
    pub async fn record(
        &self,
        tx: &mut brigade_store::Tx,
        kind: &str,
        entity: &str,
        id: Uuid,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    ) -> ApiResult<()> {
        let e = NewEvent {
            restaurant_id: Some(self.rid()),
            kind,
            entity,
            entity_id: Some(id),
            actor: self.acted_by(),
            payload,
            at,
        };
        events::record(tx, e).await?;
        Ok(())
    }
}

/// A handler that takes an `Actor` serves `/v1/restaurants/{rid}/…`: the caller is
/// authenticated and resolved against `{rid}` before the handler runs.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let rid = restaurant_in_path(parts, state).await?;
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        Actor::resolve(state, principal, rid).await
    }
}

async fn restaurant_in_path(parts: &mut Parts, state: &AppState) -> Result<RestaurantId, ApiError> {
    use axum::extract::rejection::RawPathParamsRejection;
    let params = RawPathParams::from_request_parts(parts, state).await.map_err(|e| match e {
        // A segment like %FF is no restaurant id: nothing by that name exists.
        RawPathParamsRejection::InvalidUtf8InPathParam(_) => ApiError::not_found("restaurant"),
        _ => ApiError::internal("Actor used on a route without path parameters"),
    })?;
    let raw = params
        .iter()
        .find(|(name, _)| *name == "rid")
        .map(|(_, v)| v.to_owned())
        .ok_or_else(|| ApiError::internal("Actor used on a route without {rid}"))?;
    raw.parse::<Uuid>().map(RestaurantId).map_err(|_| ApiError::not_found("restaurant"))
}

/// The names of the people behind actors as events and rows record them (`user:<id>`),
/// for reports and logs that show who, not an id. An actor that is not a member here (an
/// API key, a guest, someone removed) is left out; callers show the raw actor instead.
pub async fn names(
    db: &brigade_store::Db,
    rid: Uuid,
    actors: impl IntoIterator<Item = String>,
) -> ApiResult<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for who in actors {
        if out.contains_key(&who) {
            continue;
        }
        let Some(uid) = who.strip_prefix("user:").and_then(|u| u.parse::<Uuid>().ok()) else { continue };
        if let Some(m) = brigade_store::users::member(db, rid, uid).await? {
            out.insert(who, m.name);
        }
    }
    Ok(out)
}
