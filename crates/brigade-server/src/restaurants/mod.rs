//! Restaurants (locations): an owner signs up with one and adds more; members read
//! theirs; owners and managers change its settings. Everything about a restaurant that
//! other modules need (its time zone, currency, tax rule) is read from here.

pub mod service;

use crate::actor::Actor;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Query};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Role;
use brigade_domain::credentials::{parse_name, Phone};
use brigade_domain::customer::{country_of_currency, parse_country};
use brigade_domain::hours::BusinessDays;
use brigade_domain::restaurant::{parse_currency, parse_slug, parse_tax_rate_bps, parse_timezone, slugify};
use brigade_domain::{Invalid, RestaurantId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::restaurants::{self as store, RestaurantRow};
use brigade_store::{users, Tx};
use chrono::{DateTime, NaiveTime, Utc};

pub const DEFAULT_KDS_WARN_SECS: i64 = 300;
pub const DEFAULT_KDS_LATE_SECS: i64 = 600;

pub const DEFAULT_DAY_START: NaiveTime = match NaiveTime::from_hms_opt(4, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_restaurant, list_restaurants))
        .routes(routes!(get_restaurant, update_restaurant))
        .routes(routes!(get_hours, put_hours))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RestaurantView {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub timezone: String,
    pub currency: String,
    pub tax_rate_bps: i64,
    pub tax_inclusive: bool,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// When the business day turns over (local time): orders are numbered per business
    /// day. A night whose opening hours run past it keeps its day until it closes.
    #[schema(value_type = String, example = "04:00:00")]
    pub day_starts_at: NaiveTime,
    /// The kitchen display shows a ticket amber after this many seconds…
    pub kds_warn_secs: i64,
    /// …and red after this many.
    pub kds_late_secs: i64,
    /// When an order takes its ingredients out of stock: `created` or `accepted`.
    pub inventory_depletes_on: String,
    /// The restaurant group (an owner's locations) whose guests and loyalty this one
    /// shares: the id of the group's first restaurant.
    pub group_id: Uuid,
    /// ISO 3166-1 alpha-2: where guests' phone numbers written without a country code
    /// are read. When not set, the currency's country (USD: US); null when that names
    /// none (EUR), and then numbers need their `+` code.
    pub country: Option<String>,
    /// The caller's role here, in lists of the caller's restaurants.
    #[serde(skip_serializing_if = "Option::is_none")]
    /// owner, manager, staff or kitchen
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<RestaurantRow> for RestaurantView {
    fn from(r: RestaurantRow) -> Self {
        let country = phone_country(&r);
        RestaurantView {
            id: r.id,
            name: r.name,
            slug: r.slug,
            timezone: r.timezone,
            currency: r.currency,
            tax_rate_bps: r.tax_rate_bps,
            tax_inclusive: r.tax_inclusive,
            address: r.address,
            phone: r.phone,
            day_starts_at: r.day_starts_at,
            kds_warn_secs: r.kds_warn_secs,
            kds_late_secs: r.kds_late_secs,
            country,
            inventory_depletes_on: r.inventory_depletes_on,
            group_id: r.group_id,
            role: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewRestaurant {
    #[schema(value_type = schema::Name)]
    pub name: String,
    /// IANA time zone, e.g. `America/New_York`.
    #[schema(value_type = schema::TimeZone)]
    pub timezone: String,
    /// ISO 4217 code, e.g. `USD`.
    #[schema(value_type = schema::Currency)]
    pub currency: String,
    #[serde(default)]
    #[schema(value_type = Option<schema::Slug>)]
    pub slug: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub tax_rate_bps: Option<i64>,
    #[serde(default)]
    pub tax_inclusive: Option<bool>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<schema::Phone>)]
    pub phone: Option<String>,
    /// Local time the business day turns over, default 04:00 (later on a night whose
    /// opening hours run past it: at that night's close).
    #[serde(default, deserialize_with = "brigade_domain::when::opt_wall_time")]
    #[schema(value_type = Option<schema::WallTime>, example = "04:00:00")]
    pub day_starts_at: Option<NaiveTime>,
    /// ISO 3166-1 alpha-2 (`US`, `GB`): where guests' phone numbers are read. Default:
    /// the currency's country, when it has one.
    #[serde(default)]
    #[schema(example = "US", min_length = 2, max_length = 2)]
    pub country: Option<String>,
}

/// A restaurant's settings after parsing.
pub struct RestaurantSettings {
    name: String,
    slug: Option<String>,
    timezone: String,
    currency: String,
    tax_rate_bps: i64,
    tax_inclusive: bool,
    address: Option<String>,
    phone: Option<String>,
    day_starts_at: NaiveTime,
    country: Option<String>,
}

impl NewRestaurant {
    /// `prefix` names where the object sits in the request (`restaurant.` in sign-up).
    pub fn parse(self, prefix: &str) -> Result<RestaurantSettings, ApiError> {
        let at = |e: Invalid| ApiError::validation(format!("{prefix}{}", e.field), e.message);
        Ok(RestaurantSettings {
            name: parse_name("name", &self.name).map_err(at)?,
            slug: self.slug.as_deref().map(parse_slug).transpose().map_err(at)?,
            timezone: parse_timezone(&self.timezone).map_err(at)?.name().to_owned(),
            currency: parse_currency(&self.currency).map_err(at)?,
            tax_rate_bps: parse_tax_rate_bps(self.tax_rate_bps.unwrap_or(0)).map_err(at)?,
            tax_inclusive: self.tax_inclusive.unwrap_or(false),
            address: self.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
            phone: self.phone.as_deref().map(Phone::parse).transpose().map_err(at)?.map(|p| p.as_str().to_owned()),
            day_starts_at: self.day_starts_at.unwrap_or(DEFAULT_DAY_START),
            country: self.country.as_deref().map(parse_country).transpose().map_err(at)?,
        })
    }
}

/// Creates a restaurant with `owner` as its owner, in the caller's transaction. A slug
/// that is not given is made from the name, with a number added until it is free.
pub async fn create(
    tx: &mut Tx,
    s: RestaurantSettings,
    owner: UserId,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<RestaurantRow> {
    let slug = match s.slug {
        Some(slug) => {
            if store::slug_taken(tx, &slug, None).await? {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::SlugTaken,
                    format!("the slug '{slug}' is taken"),
                ));
            }
            slug
        }
        None => free_slug(tx, &slugify(&s.name)).await?,
    };
    let id = RestaurantId::new().0;
    // An owner's locations share their guests: a new one joins the group of the first.
    let group_id = store::owner_group(tx, owner.0).await?.unwrap_or(id);
    let row = RestaurantRow {
        id,
        group_id,
        country: s.country,
        name: s.name,
        slug,
        timezone: s.timezone,
        currency: s.currency,
        tax_rate_bps: s.tax_rate_bps,
        tax_inclusive: s.tax_inclusive,
        address: s.address,
        phone: s.phone,
        day_starts_at: s.day_starts_at,
        kds_warn_secs: DEFAULT_KDS_WARN_SECS,
        kds_late_secs: DEFAULT_KDS_LATE_SECS,
        inventory_depletes_on: "created".into(),
        created_at: now,
        updated_at: now,
    };
    store::insert(tx, &row).await?;
    let membership = users::NewMembership {
        restaurant_id: row.id,
        user_id: owner.0,
        role: "owner",
        phone: None,
        pin_hash: None,
        at: now,
    };
    users::add_membership(tx, &membership).await?;
    events::record(
        tx,
        NewEvent {
            restaurant_id: Some(row.id),
            kind: "restaurant.created",
            entity: "restaurant",
            entity_id: Some(row.id),
            actor,
            payload: json!({ "name": row.name, "slug": row.slug, "owner_id": owner }),
            at: now,
        },
    )
    .await?;
    Ok(row)
}

async fn free_slug(tx: &mut Tx, base: &str) -> ApiResult<String> {
    if !store::slug_taken(tx, base, None).await? {
        return Ok(base.to_owned());
    }
    for n in 2..1000 {
        let candidate = format!("{base}-{n}");
        if !store::slug_taken(tx, &candidate, None).await? {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", &Uuid::now_v7().simple().to_string()[..8]))
}

/// Adds a restaurant (a location). Only owners of at least one restaurant may.
#[utoipa::path(post, path = "/v1/restaurants", tag = "restaurants", request_body = NewRestaurant,
    responses((status = 201, body = RestaurantView), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_restaurant(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewRestaurant>,
) -> ApiResult<(StatusCode, axum::Json<RestaurantView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_restaurant(&caller, &state, body).await?)))
}

/// The restaurants the caller belongs to (an API key: its own restaurant).
#[utoipa::path(get, path = "/v1/restaurants", tag = "restaurants", params(PageParams),
    responses((status = 200, body = Page<RestaurantView>)), security(("bearer" = [])))]
async fn list_restaurants(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<RestaurantView>>> {
    Ok(axum::Json(service::list(&caller, &state, page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}", tag = "restaurants", params(("rid" = Uuid, Path)),
    responses((status = 200, body = RestaurantView), (status = 404)), security(("bearer" = [])))]
async fn get_restaurant(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<RestaurantView>> {
    Ok(axum::Json(service::get(&actor, &state).await?))
}

/// Changes a restaurant's settings. Fields left out keep their value; `address` and
/// `phone` may be set to null to clear them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RestaurantChange {
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<schema::Slug>)]
    pub slug: Option<String>,
    #[schema(value_type = Option<schema::TimeZone>)]
    pub timezone: Option<String>,
    #[schema(value_type = Option<schema::Currency>)]
    pub currency: Option<String>,
    #[schema(minimum = 0, maximum = 10000)]
    pub tax_rate_bps: Option<i64>,
    pub tax_inclusive: Option<bool>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<schema::Phone>)]
    pub phone: Option<Option<String>>,
    #[schema(value_type = Option<schema::WallTime>, example = "04:00:00")]
    #[serde(default, deserialize_with = "brigade_domain::when::opt_wall_time")]
    pub day_starts_at: Option<NaiveTime>,
    /// Seconds before a kitchen ticket shows amber (1 to 86400, below `kds_late_secs`).
    #[schema(minimum = 1, maximum = 86400)]
    pub kds_warn_secs: Option<i64>,
    /// Seconds before a kitchen ticket shows red (1 to 86400).
    #[schema(minimum = 1, maximum = 86400)]
    pub kds_late_secs: Option<i64>,
    /// `created` (default) or `accepted`: when orders take their ingredients out of stock.
    #[schema(value_type = Option<schema::DepletesOn>)]
    pub inventory_depletes_on: Option<String>,
    /// ISO 3166-1 alpha-2; null goes back to the currency's country.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, example = "US", min_length = 2, max_length = 2)]
    pub country: Option<Option<String>>,
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}", tag = "restaurants", params(("rid" = Uuid, Path)),
    request_body = RestaurantChange,
    responses((status = 200, body = RestaurantView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_restaurant(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<RestaurantChange>,
) -> ApiResult<axum::Json<RestaurantView>> {
    Ok(axum::Json(service::update(&actor, &state, body).await?))
}

/// Where the restaurant reads guests' phone numbers written without a country code: its
/// country, else its currency's.
pub fn phone_country(r: &RestaurantRow) -> Option<String> {
    r.country.clone().or_else(|| country_of_currency(&r.currency))
}

/// How the restaurant's business days fall: its zone, its turnover time, and the nights
/// its opening hours run past that (which keep their day until they close).
pub async fn business_days(db: &brigade_store::Db, r: &RestaurantRow) -> ApiResult<BusinessDays> {
    let hours = brigade_store::hours::get(db, r.id).await?;
    Ok(BusinessDays::new(restaurant_tz(r)?, r.day_starts_at, hours.as_ref()))
}

/// [`business_days`], read in `tx`.
pub async fn business_days_tx(tx: &mut Tx, r: &RestaurantRow) -> ApiResult<BusinessDays> {
    let hours = brigade_store::hours::get_tx(tx, r.id).await?;
    Ok(BusinessDays::new(restaurant_tz(r)?, r.day_starts_at, hours.as_ref()))
}

/// The job that sets the delivery platforms' stores open or paused as the opening hours
/// say, queued here when the hours change and run by `busy` (which owns the platform
/// stores).
pub const FOLLOW_HOURS_JOB: &str = "busy.follow_hours";

/// The restaurant's IANA time zone, in which its days, schedules and reports are read.
pub fn restaurant_tz(r: &brigade_store::restaurants::RestaurantRow) -> ApiResult<chrono_tz::Tz> {
    r.timezone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| ApiError::internal(format!("restaurant {} has a bad time zone", r.id)))
}

/// A time a change lasts until, as requests give it: an RFC 3339 time (in the future,
/// before 2200), `"end_of_day"` or nothing (`None`). The end of the day is the end of the
/// restaurant's business day or, where it has opening hours, the first opening to start
/// from then: what is out "until tomorrow" comes back as the next service begins, also
/// at a bar whose night runs past the day's turnover.
pub fn parse_until(
    field: &'static str,
    raw: Option<&str>,
    r: &brigade_store::restaurants::RestaurantRow,
    hours: Option<&brigade_domain::hours::Hours>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some("end_of_day") => {
            let tz = restaurant_tz(r)?;
            let end = BusinessDays::new(tz, r.day_starts_at, hours).end_of_day(now);
            let next = hours.and_then(|h| h.check().ok()).and_then(|s| s.next_opening_from(end, &tz));
            Ok(Some(next.unwrap_or(end)))
        }
        Some(t) => {
            let t = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| ApiError::validation(field, "use an RFC 3339 time, \"end_of_day\" or null"))?
                .with_timezone(&chrono::Utc);
            if t <= now {
                return Err(ApiError::validation(field, "that time has passed"));
            }
            if !brigade_domain::when::instant_ok(t) {
                return Err(ApiError::validation(field, "a time before the year 2200"));
            }
            Ok(Some(t))
        }
    }
}

/// A restaurant's opening hours, in its zone: weekly openings (several a day for split
/// hours; a close at or before the open runs past midnight) and dated exceptions. None
/// set: always open.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoursBody {
    #[serde(default)]
    #[schema(value_type = Vec<Object>, example = json!([{"day": "mon", "open": "11:30", "close": "14:30"}, {"day": "mon", "open": "17:00", "close": "22:00"}]))]
    pub weekly: Vec<brigade_domain::hours::Opening>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>, example = json!([{"date": "2026-12-25", "closed": true}]))]
    pub exceptions: Vec<brigade_domain::hours::Exception>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoursView {
    #[serde(flatten)]
    pub hours: HoursBody,
    /// Whether it is open now (true when no hours are set).
    pub open_now: bool,
    /// When it next opens, while it is closed.
    pub opens_at: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/hours", tag = "restaurants", params(("rid" = Uuid, Path)),
    responses((status = 200, body = HoursView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_hours(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<HoursView>> {
    Ok(axum::Json(service::hours(&actor, &state).await?))
}

/// Sets the opening hours whole (an empty body: always open). Outside them, guests'
/// orders (QR, web) and delivery platforms' are refused with 409 `closed`; the counter
/// and the phone are the staff's call.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/hours", tag = "restaurants", params(("rid" = Uuid, Path)),
    request_body = HoursBody,
    responses((status = 200, body = HoursView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn put_hours(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<HoursBody>,
) -> ApiResult<axum::Json<HoursView>> {
    Ok(axum::Json(service::set_hours(&actor, &state, body).await?))
}
