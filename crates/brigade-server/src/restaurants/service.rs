//! Restaurants, for every caller: the ones a person belongs to, a new one, and a
//! restaurant's own settings, read and changed.

use super::{create, HoursBody, HoursView, NewRestaurant, RestaurantChange, RestaurantView};
use crate::actor::Actor;
use crate::auth::{Caller, Principal};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::extract::{Page, PageParams};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::auth::Role;
use brigade_domain::credentials::{parse_name, Phone};
use brigade_domain::restaurant::{parse_currency, parse_slug, parse_tax_rate_bps, parse_timezone};
use brigade_store::events::ActedBy;
use brigade_store::restaurants as store;
use brigade_store::users;
use brigade_store::System;
use serde_json::json;

/// The restaurant, with the caller's role there.
pub async fn get(actor: &Actor, state: &AppState) -> ApiResult<RestaurantView> {
    actor.require(Permission::RestaurantRead)?;
    let row = store::get(&state.db, actor.rid()).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let mut view = RestaurantView::from(row);
    view.role = actor.role();
    Ok(view)
}

/// Changes the settings given; the others keep their value. A slug another restaurant
/// has is 409 `slug_taken`. Guests see the new name or slug on the public menu at once.
pub async fn update(actor: &Actor, state: &AppState, input: RestaurantChange) -> ApiResult<RestaurantView> {
    actor.require(Permission::RestaurantWrite)?;
    // The slug check reads every restaurant's slugs; the row is read, locked, in the
    // transaction that writes it, so two changes at once do not undo each other.
    let mut tx = state.db.begin(System::Restaurants).await?;
    let mut row =
        store::get_for_update(&mut tx, actor.rid()).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let mut changed = serde_json::Map::new();
    if let Some(name) = input.name {
        row.name = parse_name("name", &name)?;
        changed.insert("name".into(), json!(row.name));
    }
    if let Some(tz) = input.timezone {
        row.timezone = parse_timezone(&tz)?.name().to_owned();
        changed.insert("timezone".into(), json!(row.timezone));
    }
    if let Some(c) = input.currency {
        row.currency = parse_currency(&c)?;
        changed.insert("currency".into(), json!(row.currency));
    }
    if let Some(bps) = input.tax_rate_bps {
        row.tax_rate_bps = parse_tax_rate_bps(bps)?;
        changed.insert("tax_rate_bps".into(), json!(bps));
    }
    if let Some(inclusive) = input.tax_inclusive {
        row.tax_inclusive = inclusive;
        changed.insert("tax_inclusive".into(), json!(inclusive));
    }
    if let Some(address) = input.address {
        row.address = address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        changed.insert("address".into(), json!(row.address));
    }
    if let Some(phone) = input.phone {
        row.phone = phone.as_deref().map(Phone::parse).transpose()?.map(|p| p.as_str().to_owned());
        changed.insert("phone".into(), json!(row.phone));
    }
    if let Some(country) = input.country {
        row.country = country.as_deref().map(brigade_domain::customer::parse_country).transpose()?;
        changed.insert("country".into(), json!(row.country));
    }
    if let Some(t) = input.day_starts_at {
        row.day_starts_at = t;
        changed.insert("day_starts_at".into(), json!(t));
    }
    for (field, value, slot) in [
        ("kds_warn_secs", input.kds_warn_secs, &mut row.kds_warn_secs),
        ("kds_late_secs", input.kds_late_secs, &mut row.kds_late_secs),
    ] {
        if let Some(v) = value {
            if !(1..=86_400).contains(&v) {
                return Err(ApiError::validation(field, "must be between 1 and 86400 seconds"));
            }
            *slot = v;
            changed.insert(field.into(), json!(v));
        }
    }
    if let Some(when) = input.inventory_depletes_on {
        if !matches!(when.as_str(), "created" | "accepted") {
            return Err(ApiError::validation("inventory_depletes_on", "use created or accepted"));
        }
        changed.insert("inventory_depletes_on".into(), json!(when));
        row.inventory_depletes_on = when;
    }
    if row.kds_warn_secs >= row.kds_late_secs {
        return Err(ApiError::validation("kds_warn_secs", "must be less than kds_late_secs"));
    }
    let new_slug = input.slug.as_deref().map(parse_slug).transpose()?;
    let now = state.clock.now();
    row.updated_at = now;
    if let Some(slug) = new_slug {
        if store::slug_taken(&mut tx, &slug, Some(row.id)).await? {
            return Err(ApiError::conflict(ErrorCode::SlugTaken, format!("the slug '{slug}' is taken")));
        }
        row.slug = slug;
        changed.insert("slug".into(), json!(row.slug));
    }
    store::update(&mut tx, &row).await?;
    actor.record(&mut tx, "restaurant.updated", "restaurant", row.id, json!({ "changed": changed }), now).await?;
    // The public menu shows the name, currency and slug: guests see the change at once.
    state.commit(tx, crate::After::menu(row.id)).await?;
    let mut view = RestaurantView::from(row);
    view.role = actor.role();
    Ok(view)
}

/// Adds a restaurant (a location) owned by the caller, who must own one already.
pub async fn create_restaurant(caller: &Caller, state: &AppState, input: NewRestaurant) -> ApiResult<RestaurantView> {
    let user_id = caller.account_holder()?;
    if !users::is_owner_anywhere(&state.db, user_id.0).await? {
        return Err(ApiError::forbidden("only owners add restaurants"));
    }
    let settings = input.parse("")?;
    let now = state.clock.now();
    let mut tx = state.db.begin(System::Restaurants).await?;
    let row = create(&mut tx, settings, user_id, ActedBy::User(user_id.0), now).await?;
    tx.commit().await?;
    let mut view = RestaurantView::from(row);
    view.role = Some(Role::Owner);
    Ok(view)
}

/// The restaurants the caller belongs to (an API key: its own restaurant).
pub async fn list(caller: &Caller, state: &AppState, page: PageParams) -> ApiResult<Page<RestaurantView>> {
    let limit = page.limit()?;
    let cursor = page.cursor_uuid()?;
    match &caller.0 {
        Principal::User { user_id, scope, .. } => {
            let mut rows = store::for_user(&state.db, user_id.0, cursor, limit + 1).await?;
            rows.retain(|(r, _)| scope.is_none_or(|s| s.0 == r.id));
            Ok(Page::from_rows(
                rows,
                limit,
                |(r, _)| r.id.to_string(),
                |(r, role)| {
                    let mut v = RestaurantView::from(r);
                    v.role = role.parse().ok();
                    v
                },
            ))
        }
        Principal::ApiKey { restaurant_id, .. } => {
            let row = store::get(&state.db, restaurant_id.0).await?;
            Ok(Page { items: row.into_iter().map(RestaurantView::from).collect(), next_cursor: None })
        }
    }
}

/// Whether a restaurant is open at `now`, and when it next opens when it is not.
pub struct OpenNow {
    pub open: bool,
    pub opens_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads a restaurant's hours as of `now` (no hours: open).
pub fn open_at(
    hours: Option<&brigade_domain::hours::Hours>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> OpenNow {
    let schedule = hours.and_then(|h| h.check().ok()).unwrap_or_default();
    OpenNow { open: schedule.is_open(now, &tz), opens_at: schedule.opens_at(now, &tz) }
}

/// Whether the restaurant is open now, read from the database.
pub async fn open_now(state: &AppState, r: &store::RestaurantRow) -> ApiResult<OpenNow> {
    let hours = brigade_store::hours::get(&state.db, r.id).await?;
    Ok(open_at(hours.as_ref(), state.clock.now(), super::restaurant_tz(r)?))
}

/// "at 11:30 AM", "tomorrow at 5:00 PM", "on Friday at 11:30 AM": when a closed
/// restaurant opens, in its zone, as said to a guest.
pub fn when_it_opens(
    opens_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> String {
    let (at, today) = (opens_at.with_timezone(&tz), now.with_timezone(&tz).date_naive());
    let time = at.format("%-I:%M %p");
    match (at.date_naive() - today).num_days() {
        0 => format!("at {time}"),
        1 => format!("tomorrow at {time}"),
        2..=6 => format!("on {} at {time}", at.format("%A")),
        _ => format!("on {} at {time}", at.format("%A, %B %-d")),
    }
}

fn hours_view(
    hours: Option<brigade_domain::hours::Hours>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> HoursView {
    let open = open_at(hours.as_ref(), now, tz);
    let hours = hours.unwrap_or_default();
    HoursView {
        hours: HoursBody { weekly: hours.weekly, exceptions: hours.exceptions },
        open_now: open.open,
        opens_at: open.opens_at,
    }
}

pub async fn hours(actor: &Actor, state: &AppState) -> ApiResult<HoursView> {
    actor.require(Permission::RestaurantRead)?;
    let row = store::get(&state.db, actor.rid()).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let hours = brigade_store::hours::get(&state.db, actor.rid()).await?;
    Ok(hours_view(hours, state.clock.now(), super::restaurant_tz(&row)?))
}

/// Sets the hours whole; the public menu says open or closed at once.
pub async fn set_hours(actor: &Actor, state: &AppState, body: HoursBody) -> ApiResult<HoursView> {
    actor.require(Permission::RestaurantWrite)?;
    let hours = brigade_domain::hours::Hours { weekly: body.weekly, exceptions: body.exceptions };
    hours.check().map_err(|(field, message)| ApiError::validation(field, message))?;
    let row = store::get(&state.db, actor.rid()).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = super::restaurant_tz(&row)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    brigade_store::hours::put(&mut tx, actor.rid(), &hours, now).await?;
    let payload = json!({ "weekly": hours.weekly.len(), "exceptions": hours.exceptions.len() });
    actor.record(&mut tx, "restaurant.hours_updated", "restaurant", actor.rid(), payload, now).await?;
    // The delivery platforms' stores follow the hours from now (`busy` runs the job).
    let key = format!("{}:{}:edit:{}", super::FOLLOW_HOURS_JOB, actor.rid(), uuid::Uuid::now_v7());
    let job = brigade_store::jobs::NewJob {
        kind: super::FOLLOW_HOURS_JOB,
        payload: json!({ "restaurant_id": actor.rid(), "at": now }),
        max_attempts: 5,
        run_at: now,
        idempotency_key: Some(&key),
        restaurant_id: Some(actor.rid()),
        now,
    };
    brigade_store::jobs::enqueue(&mut tx, job).await?;
    state.commit(tx, crate::After::jobs()).await?;
    state.menu_cache.invalidate(actor.rid());
    Ok(hours_view(Some(hours), now, tz))
}

/// The restaurant's business day now (its zone, its turnover time).
pub async fn business_today(state: &AppState, rid: uuid::Uuid) -> ApiResult<chrono::NaiveDate> {
    let r = store::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    Ok(super::business_days(&state.db, &r).await?.day_of(state.clock.now()))
}
