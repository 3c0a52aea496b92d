//! Uber Eats, written against the Marketplace APIs (developer.uber.com/docs/eats):
//!
//! - OAuth 2.0 client credentials at the auth URL (`POST /oauth/v2/token`, form-encoded),
//!   a bearer token kept until shortly before it expires and fetched again after a 401.
//! - Menu: `PUT /v2/eats/stores/{store_id}/menus` uploads the whole menu (items,
//!   categories, one menu, modifier groups whose options are items too), `GET` the same
//!   path reads it back, and
//!   `POST /v2/eats/stores/{store_id}/menus/items/{item_id}` is the sparse item update we
//!   use for availability (`suspension_info.suspension.suspend_until`, 0 lifts it) and
//!   price (`price_info.price`, minor units).
//! - Store: `GET /v1/eats/store/{store_id}/status` (the connection test) and `POST` to
//!   set `ONLINE` or `PAUSED`.
//! - Orders: the `orders.notification` webhook (signed, see `brigade_domain::integration`)
//!   carries the order's `resource_href`; we read it with `GET /v2/eats/order/{id}` and
//!   answer with `POST /v1/eats/orders/{id}/accept_pos_order` or `deny_pos_order`.
//!
//! Items and options are known to Uber by Brigade's ids, so an order's items and the
//! options chosen on them map back directly.

use super::platform::{
    call, text as at, Adapter, ChosenOption, ItemState, MenuState, PlatformError, PlatformLine, PlatformOrder, Refusal,
    SeenItem, Throttle, TokenCache, Webhook, WebhookKind,
};
use brigade_domain::integration::Platform;
use brigade_domain::order::OrderType;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What an Uber Eats integration needs to be given (sealed at rest).
#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

pub const SCOPES: &str = "eats.store eats.order eats.store.status.write";
/// Far in the future: how an 86 with no end is shown (Uber takes a timestamp).
const INDEFINITELY: i64 = 4_102_444_800; // 2100-01-01

pub struct UberEats {
    pub http: reqwest::Client,
    pub base_url: String,
    pub auth_url: String,
    pub store_id: String,
    pub credentials: Credentials,
    pub throttle: Arc<Throttle>,
    /// The bearer token and when to stop using it; shared by every adapter of this
    /// integration in this process.
    pub token: TokenCache,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl UberEats {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    fn store(&self) -> String {
        urlencode(&self.store_id)
    }

    async fn token(&self) -> Result<String, PlatformError> {
        if let Some((t, until)) = self.token.lock().as_ref() {
            if Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let form = [
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", SCOPES),
        ];
        let body = call(&self.throttle, self.http.post(&self.auth_url).form(&form)).await?;
        let t: TokenResponse = serde_json::from_value(body)
            .map_err(|e| PlatformError::Unavailable(format!("the token answer was not understood: {e}")))?;
        // Tokens last 30 days; renew a minute early so none is used as it lapses.
        let life = Duration::from_secs(t.expires_in.unwrap_or(3600).saturating_sub(60).max(1));
        *self.token.lock() = Some((t.access_token.clone(), Instant::now() + life));
        Ok(t.access_token)
    }

    /// Calls the API with the bearer token; a 401 drops the token and tries once more
    /// with a fresh one (it may have been revoked early).
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, PlatformError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let mut req = self.http.request(method.clone(), self.url(path)).bearer_auth(&token);
            if let Some(b) = body {
                req = req.json(b);
            }
            match call(&self.throttle, req).await {
                Err(PlatformError::Unauthorized(_)) if attempt == 0 => {
                    *self.token.lock() = None;
                }
                other => return other,
            }
        }
        Err(PlatformError::Unauthorized("a fresh token was refused too".into()))
    }
}

fn text(s: &str) -> Value {
    json!({ "translations": { "en_us": s } })
}

fn item_update(item: &ItemState) -> Value {
    let until = match (item.available, item.suspended_until) {
        (true, _) => 0,
        (false, Some(t)) => t.timestamp(),
        (false, None) => INDEFINITELY,
    };
    let mut suspension = json!({ "suspend_until": until });
    if let Some(r) = item.reason.as_deref().filter(|_| !item.available) {
        suspension["reason"] = json!(r);
    }
    json!({ "price_info": { "price": item.price }, "suspension_info": { "suspension": suspension } })
}

/// The v2 menu payload: one menu, its categories, their items, and the items' modifier
/// groups. On Uber Eats an option is an item too, listed in a group's
/// `modifier_options` and in no category; its price is what it adds to the item (Uber
/// has no negative prices, so an option that takes money off is listed at 0 there and
/// priced by Brigade as it is).
pub fn menu_payload(menu: &MenuState) -> Value {
    let mut items = Vec::new();
    let mut categories = Vec::new();
    let mut groups = Vec::new();
    for c in &menu.categories {
        let mut entities = Vec::new();
        for i in &c.items {
            let mut item = item_update(&i.state);
            item["id"] = json!(i.state.id);
            item["title"] = text(&i.state.name);
            item["description"] = text(i.description.as_deref().unwrap_or(""));
            item["external_data"] = json!(i.state.id);
            if !i.modifier_groups.is_empty() {
                item["modifier_group_ids"] =
                    json!({ "ids": i.modifier_groups.iter().map(|g| g.id).collect::<Vec<_>>() });
            }
            items.push(item);
            entities.push(json!({ "id": i.state.id, "type": "ITEM" }));
            for g in &i.modifier_groups {
                for o in &g.options {
                    let price = o.price_delta.0.max(0);
                    let until = if o.is_active { 0 } else { INDEFINITELY };
                    items.push(json!({
                        "id": o.id,
                        "title": text(&o.name),
                        "external_data": o.id,
                        "price_info": { "price": price,
                            "overrides": [{ "context_type": "MODIFIER_GROUP", "context_value": g.id, "price": price }] },
                        "quantity_info": { "overrides": [{ "context_type": "MODIFIER_GROUP", "context_value": g.id,
                            "quantity": { "max_permitted": g.max } }] },
                        "suspension_info": { "suspension": { "suspend_until": until } },
                    }));
                }
                groups.push(json!({
                    "id": g.id,
                    "title": text(&g.name),
                    "external_data": g.id,
                    "quantity_info": { "quantity": { "min_permitted": g.min, "max_permitted": g.max } },
                    "modifier_options": g.options.iter().map(|o| json!({ "id": o.id, "type": "ITEM" })).collect::<Vec<_>>(),
                }));
            }
        }
        categories.push(json!({ "id": c.id, "title": text(&c.name), "entities": entities }));
    }
    let all_week: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        .iter()
        .map(|d| json!({ "day_of_week": d, "time_periods": [{ "start_time": "00:00", "end_time": "23:59" }] }))
        .collect();
    json!({
        "menus": [{
            "id": "brigade",
            "title": text("Menu"),
            "service_availability": all_week,
            "category_ids": menu.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        }],
        "categories": categories,
        "items": items,
        "modifier_groups": groups,
        "display_options": { "disable_item_instructions": false },
    })
}

/// Reads a v2 order (`GET /v2/eats/order/{id}`): its cart lines, and the options chosen
/// on them, carry the `external_data` we uploaded (Brigade's item and option ids).
pub fn platform_order(o: &Value) -> Result<PlatformOrder, String> {
    let id = at(o, "/id").ok_or("the order has no id")?;
    let kind = match o.get("type").and_then(Value::as_str).unwrap_or("") {
        "PICK_UP" => OrderType::Takeout,
        "DINE_IN" => OrderType::DineIn,
        _ => OrderType::Delivery,
    };
    let name =
        [at(o, "/eater/first_name"), at(o, "/eater/last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let items = o.pointer("/cart/items").and_then(Value::as_array).ok_or("the order has no cart items")?;
    let mut lines = Vec::with_capacity(items.len());
    for i in items {
        let mut options = Vec::new();
        for g in i.get("selected_modifier_groups").and_then(Value::as_array).into_iter().flatten() {
            for m in g.get("selected_items").and_then(Value::as_array).into_iter().flatten() {
                options.push(ChosenOption {
                    external_id: at(m, "/external_data").or_else(|| at(m, "/id")),
                    title: at(m, "/title").unwrap_or_default(),
                    quantity: m.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                });
            }
        }
        lines.push(PlatformLine {
            external_id: at(i, "/external_data").or_else(|| at(i, "/id")),
            title: at(i, "/title").unwrap_or_default(),
            quantity: i.get("quantity").and_then(Value::as_i64).unwrap_or(1),
            options,
            notes: at(i, "/special_instructions"),
        });
    }
    Ok(PlatformOrder {
        id,
        display_id: at(o, "/display_id"),
        kind,
        customer_name: (!name.is_empty()).then_some(name),
        customer_phone: at(o, "/eater/phone"),
        lines,
        special_instructions: at(o, "/cart/special_instructions"),
        total: o.pointer("/payment/charges/total/amount").and_then(Value::as_i64),
    })
}

/// Reads a webhook: `{event_id, event_type, meta: {resource_id}, resource_href}`.
pub fn webhook(body: &[u8]) -> Result<Webhook, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event_id = at(&v, "/event_id").ok_or("no event_id")?;
    let event_type = at(&v, "/event_type").ok_or("no event_type")?;
    let resource = at(&v, "/meta/resource_id");
    let kind = match (event_type.as_str(), resource) {
        ("orders.notification", Some(order_id)) => WebhookKind::OrderPlaced { order_id, order: None },
        ("orders.cancel", Some(order_id)) => WebhookKind::OrderCancelled { order_id, reason: at(&v, "/meta/reason") },
        ("orders.notification" | "orders.cancel", None) => return Err("no meta.resource_id".into()),
        _ => WebhookKind::Other,
    };
    Ok(Webhook { event_id, event_type, kind })
}

/// Reads items back from a v2 menu: suspended until a time still to come is unavailable.
/// Options (items listed in a modifier group) are not menu items of their own.
pub fn seen_items(menu: &Value, now_secs: i64) -> Vec<SeenItem> {
    let Some(items) = menu.get("items").and_then(Value::as_array) else { return Vec::new() };
    let options: std::collections::HashSet<&str> = menu
        .get("modifier_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|g| g.get("modifier_options").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|o| o.get("id").and_then(Value::as_str))
        .collect();
    items
        .iter()
        .filter_map(|i| {
            let id = i.get("id")?.as_str()?.to_owned();
            if options.contains(id.as_str()) {
                return None;
            }
            let price = i.pointer("/price_info/price").and_then(Value::as_i64).unwrap_or(0);
            let until = i.pointer("/suspension_info/suspension/suspend_until").and_then(Value::as_i64).unwrap_or(0);
            Some(SeenItem { id, price, available: until <= now_secs })
        })
        .collect()
}

impl Adapter for UberEats {
    fn kind(&self) -> Platform {
        Platform::Ubereats
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            let path = format!("/v1/eats/store/{}/status", self.store());
            let status = self.api(reqwest::Method::GET, &path, None).await?;
            let s = status.get("status").and_then(Value::as_str).unwrap_or("unknown");
            Ok(format!("Uber Eats store {} is {s}", self.store_id))
        })
    }

    fn push_item<'a>(&'a self, item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move {
            let body = item_update(item);
            let path = format!("/v2/eats/stores/{}/menus/items/{}", self.store(), urlencode(&item.id));
            self.api(reqwest::Method::POST, &path, Some(&body)).await?;
            Ok(body)
        })
    }

    fn push_menu<'a>(&'a self, menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move {
            let body = menu_payload(menu);
            let path = format!("/v2/eats/stores/{}/menus", self.store());
            self.api(reqwest::Method::PUT, &path, Some(&body)).await?;
            Ok(json!({ "items": body["items"].as_array().map(Vec::len).unwrap_or(0) }))
        })
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        Box::pin(async move {
            let path = format!("/v2/eats/stores/{}/menus", self.store());
            let menu = self.api(reqwest::Method::GET, &path, None).await?;
            Ok(seen_items(&menu, chrono::Utc::now().timestamp()))
        })
    }

    fn verify_webhook(&self, headers: &axum::http::HeaderMap, body: &[u8], _now: i64) -> Result<(), Refusal> {
        let sig = headers.get("x-uber-signature").and_then(|v| v.to_str().ok()).ok_or(Refusal::Unsigned)?;
        if brigade_domain::integration::verify_uber(&self.credentials.client_secret, body, sig) {
            Ok(())
        } else {
            Err(Refusal::Forged)
        }
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<Webhook, String> {
        webhook(body)
    }

    fn order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<PlatformOrder, PlatformError>> {
        Box::pin(async move {
            let o = self.api(reqwest::Method::GET, &format!("/v2/eats/order/{}", urlencode(id)), None).await?;
            platform_order(&o).map_err(|e| PlatformError::Rejected(format!("the order could not be read: {e}")))
        })
    }

    fn accept_order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let path = format!("/v1/eats/orders/{}/accept_pos_order", urlencode(id));
            self.api(reqwest::Method::POST, &path, Some(&json!({ "reason": "accepted by Brigade" }))).await.map(drop)
        })
    }

    fn set_store_open<'a>(&'a self, open: bool, why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let path = format!("/v1/eats/store/{}/status", self.store());
            let body = json!({ "status": if open { "ONLINE" } else { "PAUSED" }, "reason": why });
            self.api(reqwest::Method::POST, &path, Some(&body)).await.map(drop)
        })
    }

    fn deny_order<'a>(&'a self, id: &'a str, why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let path = format!("/v1/eats/orders/{}/deny_pos_order", urlencode(id));
            let body = json!({ "reason": { "explanation": why, "code": "ITEM_AVAILABILITY" } });
            self.api(reqwest::Method::POST, &path, Some(&body)).await.map(drop)
        })
    }
}

/// Percent-encodes a path segment (ids come from people and platforms).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn item(available: bool, until: Option<i64>) -> ItemState {
        ItemState {
            id: "i1".into(),
            name: "Burger".into(),
            price: 1250,
            available,
            suspended_until: until.and_then(|t| Utc.timestamp_opt(t, 0).single()),
            reason: Some("sold out".into()),
        }
    }

    #[test]
    fn choices_go_up_as_modifier_groups_and_are_not_read_back_as_items() {
        use brigade_domain::menu::{ModifierGroup, ModifierOption};
        use brigade_domain::money::Money;
        let (g, big, small) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let group = ModifierGroup {
            id: g,
            name: "Size".into(),
            min: 1,
            max: 1,
            options: vec![
                ModifierOption {
                    id: big,
                    name: "Large".into(),
                    price_delta: Money(150),
                    is_active: true,
                    eighty_six: None,
                },
                ModifierOption {
                    id: small,
                    name: "Small".into(),
                    price_delta: Money(-100),
                    is_active: false,
                    eighty_six: None,
                },
            ],
        };
        let menu = MenuState {
            currency: "USD".into(),
            categories: vec![super::super::platform::MenuCategory {
                id: "c1".into(),
                name: "Drinks".into(),
                items: vec![super::super::platform::MenuItemState {
                    state: item(true, None),
                    description: None,
                    modifier_groups: vec![group],
                }],
            }],
        };
        let p = menu_payload(&menu);
        assert_eq!(p["items"][0]["modifier_group_ids"]["ids"], json!([g]));
        assert_eq!(
            p["modifier_groups"][0]["quantity_info"]["quantity"],
            json!({ "min_permitted": 1, "max_permitted": 1 })
        );
        assert_eq!(
            p["modifier_groups"][0]["modifier_options"],
            json!([{ "id": big, "type": "ITEM" }, { "id": small, "type": "ITEM" }])
        );
        let large = p["items"].as_array().unwrap().iter().find(|i| i["id"] == json!(big)).unwrap();
        assert_eq!(large["price_info"]["price"], 150);
        let smaller = p["items"].as_array().unwrap().iter().find(|i| i["id"] == json!(small)).unwrap();
        assert_eq!(smaller["price_info"]["price"], 0, "no negative prices on Uber");
        assert_eq!(smaller["suspension_info"]["suspension"]["suspend_until"], INDEFINITELY);
        assert_eq!(p["categories"][0]["entities"].as_array().unwrap().len(), 1, "options are in no category");
        let seen = seen_items(&p, 1_000);
        assert_eq!(seen.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec!["i1"]);
    }

    #[test]
    fn availability_becomes_a_suspension_and_reads_back() {
        assert_eq!(item_update(&item(true, None))["suspension_info"]["suspension"]["suspend_until"], 0);
        assert_eq!(item_update(&item(false, None))["suspension_info"]["suspension"]["suspend_until"], INDEFINITELY);
        let timed = item_update(&item(false, Some(1_900_000_000)));
        assert_eq!(timed["suspension_info"]["suspension"]["suspend_until"], 1_900_000_000);
        assert_eq!(timed["suspension_info"]["suspension"]["reason"], "sold out");
        assert_eq!(timed["price_info"]["price"], 1250);
        let menu = json!({ "items": [
            { "id": "a", "price_info": { "price": 100 }, "suspension_info": { "suspension": { "suspend_until": 0 } } },
            { "id": "b", "price_info": { "price": 200 }, "suspension_info": { "suspension": { "suspend_until": 2_000 } } },
            { "id": "c", "price_info": { "price": 300 }, "suspension_info": { "suspension": { "suspend_until": 500 } } },
        ]});
        let seen = seen_items(&menu, 1_000);
        assert_eq!(seen.iter().map(|s| s.available).collect::<Vec<_>>(), vec![true, false, true]);
        assert_eq!(seen[1].price, 200);
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(urlencode("store 1/a"), "store%201%2Fa");
        assert_eq!(urlencode("abc-DEF_1.2~"), "abc-DEF_1.2~");
    }
}
