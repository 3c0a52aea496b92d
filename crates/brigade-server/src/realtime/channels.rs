//! Realtime channels: what each name means, who may join it, and which events it gets.
//!
//! - `restaurant:{rid}`: everything of a restaurant; any member (or its API key).
//! - `kds:{rid}:{station_id|all}`: orders and tickets of one station (or all); members
//!   who work the kitchen or read orders.
//! - `order:{id}`: one order; its restaurant's members, or a guest with its tracking key.
//! - `job:{id}`: one job's progress (a background job or a sync job); its restaurant's
//!   members.
//! - `menu:{rid}`: that a restaurant's menu changed (an 86, a new price, busy mode); anyone, since
//!   the menu is public. Its events carry only their type and entity, never the payload.
//!
//! On every channel a member sees each event as its REST counterpart would let them
//! (`brigade_domain::auth::event_audience`): in full with the permission, else redacted
//! to its type and entity, or not at all (people, keys, sign-ins, integrations).

use super::HubEvent;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;
use brigade_domain::auth::{event_audience, Lacking, Permission};
use brigade_store::System;
use brigade_store::{jobs, orders};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Restaurant(Uuid),
    Kds { restaurant: Uuid, station: Option<Uuid> },
    Order { restaurant: Uuid, order: Uuid },
    Job { restaurant: Option<Uuid>, job: Uuid },
    Menu(Uuid),
}

/// A channel name as the client wrote it, before we know which restaurant it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelName {
    Restaurant(Uuid),
    Kds(Uuid, Option<Uuid>),
    Order(Uuid),
    Job(Uuid),
    Menu(Uuid),
}

pub fn parse(name: &str) -> Option<ChannelName> {
    let mut parts = name.split(':');
    let kind = parts.next()?;
    let a = parts.next()?;
    let b = parts.next();
    if parts.next().is_some() {
        return None;
    }
    match (kind, b) {
        ("restaurant", None) => a.parse().ok().map(ChannelName::Restaurant),
        ("kds", Some("all")) => a.parse().ok().map(|r| ChannelName::Kds(r, None)),
        ("kds", Some(s)) => Some(ChannelName::Kds(a.parse().ok()?, Some(s.parse().ok()?))),
        ("order", None) => a.parse().ok().map(ChannelName::Order),
        ("job", None) => a.parse().ok().map(ChannelName::Job),
        ("menu", None) => a.parse().ok().map(ChannelName::Menu),
        _ => None,
    }
}

impl Channel {
    pub fn restaurant(&self) -> Option<Uuid> {
        match self {
            Channel::Restaurant(r)
            | Channel::Menu(r)
            | Channel::Kds { restaurant: r, .. }
            | Channel::Order { restaurant: r, .. } => Some(*r),
            Channel::Job { restaurant, .. } => *restaurant,
        }
    }

    /// Whether an event belongs on this channel.
    pub fn matches(&self, e: &HubEvent) -> bool {
        if e.restaurant_id != self.restaurant() {
            return false;
        }
        match self {
            Channel::Restaurant(_) => true,
            Channel::Kds { station, .. } => {
                let kitchen = e.kind.starts_with("order.") || e.kind.starts_with("kds.ticket");
                kitchen && station.is_none_or(|s| touches_station(e, s))
            }
            Channel::Order { order, .. } => {
                (e.entity == "order" && e.entity_id == Some(*order))
                    || (e.kind.starts_with("kds.ticket")
                        && e.data.get("order_id").and_then(|v| v.as_str()) == Some(&order.to_string()))
            }
            Channel::Job { job, .. } => (e.entity == "job" || e.entity == "sync_job") && e.entity_id == Some(*job),
            Channel::Menu(_) => e.kind.starts_with("menu.") || e.kind == "restaurant.busy_changed",
        }
    }
}

/// Who reads a channel, which decides how much of each event they get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Anyone (the public menu channel): types and entities only.
    Public,
    /// A guest holding their own order's key: that order's events in full.
    Guest,
    /// A member or API key of the restaurant, with what they may read.
    Member(Vec<Permission>),
}

/// How an event reaches one viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Full,
    Redacted,
    Withheld,
}

impl Viewer {
    pub fn sees(&self, e: &HubEvent) -> Shown {
        match self {
            Viewer::Public => Shown::Redacted,
            Viewer::Guest => Shown::Full,
            Viewer::Member(held) => match event_audience(&e.kind) {
                (needed, _) if held.contains(&needed) => Shown::Full,
                (_, Lacking::Redact) => Shown::Redacted,
                (_, Lacking::Withhold) => Shown::Withheld,
            },
        }
    }
}

/// Whether an order or ticket event concerns a station's screen. Status changes of an
/// order reach every station (a cancelled order must leave every screen).
fn touches_station(e: &HubEvent, station: Uuid) -> bool {
    let s = station.to_string();
    match e.kind.as_str() {
        "order.new" => {
            e.data["tickets"].as_array().is_some_and(|ts| ts.iter().any(|t| t["station_id"].as_str() == Some(&s)))
        }
        k if k.starts_with("kds.ticket") => e.data["station_id"].as_str() == Some(&s),
        _ => true,
    }
}

/// Who is asking to join: a signed-in principal, or a guest holding an order's key.
pub async fn authorize(
    state: &AppState,
    principal: Option<&Principal>,
    name: ChannelName,
    key: Option<&str>,
) -> Result<(Channel, Viewer), ApiError> {
    let denied = || ApiError::Forbidden {
        code: crate::error::ErrorCode::Forbidden,
        message: "you may not subscribe to this channel".into(),
    };
    match name {
        ChannelName::Order(order) => {
            let row =
                orders::by_id(&state.db, System::Public, order).await?.ok_or_else(|| ApiError::not_found("order"))?;
            let channel = Channel::Order { restaurant: row.restaurant_id, order };
            if let Some(k) = key {
                return if brigade_domain::credentials::constant_time_eq(k.as_bytes(), row.tracking_key.as_bytes()) {
                    Ok((channel, Viewer::Guest))
                } else {
                    Err(ApiError::not_found("order"))
                };
            }
            let p = principal.ok_or_else(unauthenticated)?;
            let viewer =
                require(state, p, row.restaurant_id, &[Permission::OrdersRead, Permission::KitchenWork]).await?;
            Ok((channel, viewer))
        }
        ChannelName::Restaurant(rid) => {
            let p = principal.ok_or_else(unauthenticated)?;
            let viewer = require(state, p, rid, &[Permission::RestaurantRead]).await?;
            Ok((Channel::Restaurant(rid), viewer))
        }
        ChannelName::Kds(rid, station) => {
            let p = principal.ok_or_else(unauthenticated)?;
            let viewer = require(state, p, rid, &[Permission::KitchenWork, Permission::OrdersRead]).await?;
            Ok((Channel::Kds { restaurant: rid, station }, viewer))
        }
        ChannelName::Menu(rid) => {
            brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
            Ok((Channel::Menu(rid), Viewer::Public))
        }
        ChannelName::Job(job) => {
            let p = principal.ok_or_else(unauthenticated)?;
            let rid = match jobs::get(&state.db, job).await? {
                Some(row) => row.restaurant_id.ok_or_else(denied)?,
                None => brigade_store::integrations::job_restaurant(&state.db, job)
                    .await?
                    .ok_or_else(|| ApiError::not_found("job"))?,
            };
            let viewer = require(state, p, rid, &[Permission::RestaurantRead]).await?;
            Ok((Channel::Job { restaurant: Some(rid), job }, viewer))
        }
    }
}

fn unauthenticated() -> ApiError {
    ApiError::unauthorized(
        crate::error::ErrorCode::Unauthenticated,
        "authenticate first: {\"op\":\"auth\",\"token\":\"…\"} or ?token=",
    )
}

/// Membership and any one of `permissions` in `rid`; not a member is "not found". The
/// viewer holds everything the principal may read there.
async fn require(state: &AppState, p: &Principal, rid: Uuid, permissions: &[Permission]) -> Result<Viewer, ApiError> {
    let held: Vec<Permission> = match crate::auth::membership(state, p, brigade_domain::RestaurantId(rid)).await? {
        Some(role) => role.permissions().to_vec(),
        None => match p {
            Principal::ApiKey { permissions: held, .. } => held.clone(),
            Principal::User { .. } => Vec::new(),
        },
    };
    if permissions.iter().any(|x| held.contains(x)) {
        Ok(Viewer::Member(held))
    } else {
        Err(ApiError::forbidden("your role may not subscribe to this channel"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_parse() {
        let r = Uuid::now_v7();
        let s = Uuid::now_v7();
        assert_eq!(parse(&format!("restaurant:{r}")), Some(ChannelName::Restaurant(r)));
        assert_eq!(parse(&format!("kds:{r}:all")), Some(ChannelName::Kds(r, None)));
        assert_eq!(parse(&format!("kds:{r}:{s}")), Some(ChannelName::Kds(r, Some(s))));
        assert_eq!(parse(&format!("order:{r}")), Some(ChannelName::Order(r)));
        for bad in ["", "restaurant", "restaurant:x", &format!("restaurant:{r}:x"), &format!("kds:{r}"), "chat:1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
