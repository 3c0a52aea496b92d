//! DoorDash, written against the Marketplace API (developer.doordash.com/docs/marketplace):
//!
//! - Auth: every call carries a `DD-JWT-V1` bearer token, an HS256 JWT made from the
//!   developer id, key id and signing secret (see `brigade_domain::integration`), made
//!   fresh per call (they live five minutes).
//! - Menu: `POST /api/v1/menus` creates the store's menu; once DoorDash knows it
//!   (`GET /api/v1/stores/{id}/menu_details` lists it), `PATCH /api/v1/menus/{menu_id}`
//!   replaces it; an item's modifier groups go as its `extras`, their options by our
//!   ids. Menu processing is asynchronous on DoorDash's side.
//! - Items: `PATCH /api/v1/stores/{id}/items/status` with `[{merchant_supplied_id,
//!   is_active}]` suspends and restores items (an 86). Prices go with the menu only.
//!   DoorDash shows no item-level view back, so pushes are acknowledged, not verified.
//! - Store: `GET /api/v1/stores/{id}/store_details` (the connection test) and
//!   `PUT /api/v1/stores/{id}/status` to pause or reopen the store.
//! - Orders: DoorDash POSTs `{event: {type: "OrderCreate"}, order}` with the auth header
//!   configured for the integration (`webhook_token`); the order is confirmed with
//!   `PATCH /api/v1/orders/{id}` `{merchant_supplied_id, order_status: success|fail}`.

use super::platform::{
    call, text, Adapter, ChosenOption, ItemState, MenuState, PlatformError, PlatformLine, PlatformOrder, Refusal,
    SeenItem, Throttle, Webhook, WebhookKind,
};
use super::ubereats::urlencode;
use brigade_domain::integration::{doordash_jwt, Platform};
use brigade_domain::menu::ModifierGroup;
use brigade_domain::order::OrderType;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub developer_id: String,
    pub key_id: String,
    /// Base64url, as the developer portal shows it.
    pub signing_secret: String,
    /// What DoorDash sends in `Authorization` with its webhooks (configured with it).
    pub webhook_token: String,
}

pub struct DoorDash {
    pub http: reqwest::Client,
    pub base_url: String,
    pub store_id: String,
    pub credentials: Credentials,
    pub throttle: Arc<Throttle>,
}

impl DoorDash {
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, PlatformError> {
        let c = &self.credentials;
        let token = doordash_jwt(&c.developer_id, &c.key_id, &c.signing_secret, chrono::Utc::now().timestamp())
            .ok_or_else(|| PlatformError::Unauthorized("the signing secret is not base64url".into()))?;
        let mut req =
            self.http.request(method, format!("{}{path}", self.base_url.trim_end_matches('/'))).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        call(&self.throttle, req).await
    }

    fn store(&self) -> String {
        urlencode(&self.store_id)
    }

    /// The id DoorDash gave the store's menu, once it has one.
    async fn menu_id(&self) -> Result<Option<String>, PlatformError> {
        let details =
            self.api(reqwest::Method::GET, &format!("/api/v1/stores/{}/menu_details", self.store()), None).await?;
        let menus = details.get("menus").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(menus
            .iter()
            .find_map(|m| m.get("menu_id").or_else(|| m.get("id")).and_then(Value::as_str).map(str::to_owned)))
    }
}

/// An item's modifier groups as DoorDash's extras: options by our ids, priced by what
/// they add (DoorDash takes no negative prices: an option that takes money off is 0
/// there and priced by Brigade as it is).
fn extras(groups: &[ModifierGroup]) -> Vec<Value> {
    groups
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let options: Vec<Value> = g
                .options
                .iter()
                .enumerate()
                .map(|(k, o)| {
                    json!({ "merchant_supplied_id": o.id, "name": o.name, "price": o.price_delta.0.max(0),
                            "active": o.is_active, "default": false, "sort_id": k })
                })
                .collect();
            json!({
                "merchant_supplied_id": g.id, "name": g.name, "active": true, "sort_id": n,
                "min_num_options": g.min, "max_num_options": g.max, "num_free_options": 0,
                "max_option_choice_quantity": g.max, "options": options,
            })
        })
        .collect()
}

/// The menu as DoorDash takes it: categories of items with merchant-supplied ids (ours).
pub fn menu_payload(store_id: &str, menu: &MenuState) -> Value {
    let categories: Vec<Value> = menu
        .categories
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let items: Vec<Value> = c
                .items
                .iter()
                .enumerate()
                .map(|(k, i)| {
                    json!({
                        "merchant_supplied_id": i.state.id, "name": i.state.name,
                        "description": i.description.clone().unwrap_or_default(), "price": i.state.price,
                        "active": true, "sort_id": k, "extras": extras(&i.modifier_groups),
                    })
                })
                .collect();
            json!({ "merchant_supplied_id": c.id, "name": c.name, "active": true, "sort_id": n, "items": items })
        })
        .collect();
    json!({
        "reference": format!("brigade:{store_id}"),
        "store": { "merchant_supplied_id": store_id, "provider_type": "brigade" },
        "menu": { "name": "Menu", "active": true, "categories": categories },
    })
}

/// Reads DoorDash's order: items in categories, each with our merchant-supplied id.
pub fn platform_order(o: &Value) -> Result<PlatformOrder, String> {
    let id = text(o, "/id").ok_or("the order has no id")?;
    let mut lines = Vec::new();
    for c in o.get("categories").and_then(Value::as_array).into_iter().flatten() {
        for i in c.get("items").and_then(Value::as_array).into_iter().flatten() {
            let mut options = Vec::new();
            for e in i.get("extras").and_then(Value::as_array).into_iter().flatten() {
                for opt in e.get("options").and_then(Value::as_array).into_iter().flatten() {
                    options.push(ChosenOption {
                        external_id: text(opt, "/merchant_supplied_id"),
                        title: text(opt, "/name").unwrap_or_default(),
                        quantity: opt.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                    });
                }
            }
            lines.push(PlatformLine {
                external_id: text(i, "/merchant_supplied_id"),
                title: text(i, "/name").unwrap_or_default(),
                quantity: i.get("quantity").and_then(Value::as_i64).unwrap_or(1),
                options,
                notes: text(i, "/special_instructions"),
            });
        }
    }
    if lines.is_empty() {
        return Err("the order has no items".into());
    }
    let name = [text(o, "/consumer/first_name"), text(o, "/consumer/last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let total =
        o.get("subtotal").and_then(Value::as_i64).map(|s| s + o.get("tax").and_then(Value::as_i64).unwrap_or(0));
    Ok(PlatformOrder {
        display_id: text(o, "/store_order_cart_id"),
        kind: if o.get("is_pickup").and_then(Value::as_bool).unwrap_or(false) {
            OrderType::Takeout
        } else {
            OrderType::Delivery
        },
        customer_name: (!name.is_empty()).then_some(name),
        customer_phone: text(o, "/consumer/phone"),
        lines,
        special_instructions: text(o, "/order_special_instructions"),
        total,
        id,
    })
}

/// Reads a DoorDash webhook. DoorDash gives no event id: the event type and order id
/// name the event, so the same order sent twice is one event.
pub fn webhook(body: &[u8]) -> Result<Webhook, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event_type = text(&v, "/event/type").ok_or("no event.type")?;
    let order = v.get("order").cloned().unwrap_or(Value::Null);
    let order_id = text(&order, "/id");
    let kind = match (event_type.as_str(), &order_id) {
        ("OrderCreate", Some(id)) => {
            let parsed = platform_order(&order)?;
            WebhookKind::OrderPlaced { order_id: id.clone(), order: Some(Box::new(parsed)) }
        }
        ("OrderCancel", Some(id)) => {
            WebhookKind::OrderCancelled { order_id: id.clone(), reason: text(&v, "/event/reason") }
        }
        ("OrderCreate" | "OrderCancel", None) => return Err("no order.id".into()),
        _ => WebhookKind::Other,
    };
    let event_id =
        format!("{event_type}:{}", order_id.unwrap_or_else(|| text(&v, "/event/event_time").unwrap_or_default()));
    Ok(Webhook { event_id, event_type, kind })
}

impl Adapter for DoorDash {
    fn kind(&self) -> Platform {
        Platform::Doordash
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            let path = format!("/api/v1/stores/{}/store_details", self.store());
            let d = self.api(reqwest::Method::GET, &path, None).await?;
            let active = d.pointer("/store/is_active").or_else(|| d.get("is_active")).and_then(Value::as_bool);
            let state = match active {
                Some(true) => "open",
                Some(false) => "paused",
                None => "known",
            };
            Ok(format!("DoorDash store {} is {state}", self.store_id))
        })
    }

    fn push_item<'a>(&'a self, item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move {
            let body = json!([{ "merchant_supplied_id": item.id, "is_active": item.available }]);
            let path = format!("/api/v1/stores/{}/items/status", self.store());
            self.api(reqwest::Method::PATCH, &path, Some(&body)).await?;
            Ok(body)
        })
    }

    fn push_menu<'a>(&'a self, menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move {
            let body = menu_payload(&self.store_id, menu);
            let sent = match self.menu_id().await? {
                Some(id) => {
                    let path = format!("/api/v1/menus/{}", urlencode(&id));
                    self.api(reqwest::Method::PATCH, &path, Some(&body)).await?;
                    json!({ "menu_id": id, "updated": true })
                }
                None => {
                    let answer = self.api(reqwest::Method::POST, "/api/v1/menus", Some(&body)).await?;
                    json!({ "menu_id": answer.get("id").or_else(|| answer.get("menu_id")), "created": true })
                }
            };
            // Unavailable items are suspended after the upload, the way DoorDash keeps them
            // (a suspension is separate from the menu).
            let all: Vec<&ItemState> = menu.categories.iter().flat_map(|c| c.items.iter().map(|i| &i.state)).collect();
            let statuses: Vec<Value> =
                all.iter().map(|i| json!({ "merchant_supplied_id": i.id, "is_active": i.available })).collect();
            if !statuses.is_empty() {
                let path = format!("/api/v1/stores/{}/items/status", self.store());
                self.api(reqwest::Method::PATCH, &path, Some(&Value::Array(statuses))).await?;
            }
            Ok(json!({ "menu": sent, "items": all.len() }))
        })
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        Box::pin(async { Err(PlatformError::Rejected("DoorDash shows no item-level menu back".into())) })
    }

    fn reads_back(&self) -> bool {
        false
    }

    fn verify_webhook(&self, headers: &axum::http::HeaderMap, _body: &[u8], _now: i64) -> Result<(), Refusal> {
        let given = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or(Refusal::Unsigned)?;
        let given = given.strip_prefix("Bearer ").unwrap_or(given).trim();
        let want = self.credentials.webhook_token.as_bytes();
        if brigade_domain::credentials::constant_time_eq(given.as_bytes(), want) {
            Ok(())
        } else {
            Err(Refusal::Forged)
        }
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<Webhook, String> {
        webhook(body)
    }

    fn accept_order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let body = json!({ "merchant_supplied_id": id, "order_status": "success" });
            self.api(reqwest::Method::PATCH, &format!("/api/v1/orders/{}", urlencode(id)), Some(&body)).await.map(drop)
        })
    }

    fn deny_order<'a>(&'a self, id: &'a str, why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let body = json!({ "merchant_supplied_id": id, "order_status": "fail", "failure_reason": why });
            self.api(reqwest::Method::PATCH, &format!("/api/v1/orders/{}", urlencode(id)), Some(&body)).await.map(drop)
        })
    }

    fn set_store_open<'a>(&'a self, open: bool, why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let body = if open {
                json!({ "is_active": true })
            } else {
                json!({ "is_active": false, "reason": "operational_issues", "notes": why })
            };
            let path = format!("/api/v1/stores/{}/status", self.store());
            self.api(reqwest::Method::PUT, &path, Some(&body)).await.map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_webhook_reads_as_an_order_with_our_item_ids() {
        let body = json!({
            "event": { "type": "OrderCreate", "status": "NEW" },
            "order": {
                "id": "dd-1", "store_order_cart_id": "31337", "is_pickup": true, "subtotal": 2000, "tax": 160,
                "consumer": { "first_name": "Grace", "last_name": "H.", "phone": "+15550101" },
                "order_special_instructions": "extra napkins",
                "categories": [{ "merchant_supplied_id": "c1", "items": [
                    { "merchant_supplied_id": "item-a", "name": "Burger", "quantity": 2, "price": 1000,
                      "extras": [{ "options": [{ "merchant_supplied_id": "opt-c", "name": "Cheese", "quantity": 2 }] }], "special_instructions": "well done" }
                ]}]
            }
        });
        let w = webhook(body.to_string().as_bytes()).unwrap();
        assert_eq!(w.event_id, "OrderCreate:dd-1");
        let WebhookKind::OrderPlaced { order: Some(o), .. } = w.kind else { panic!("an order") };
        assert_eq!((o.kind, o.total, o.lines.len()), (OrderType::Takeout, Some(2160), 1));
        assert_eq!(o.lines[0].external_id.as_deref(), Some("item-a"));
        assert_eq!(o.lines[0].notes.as_deref(), Some("well done"));
        let cheese = ChosenOption { external_id: Some("opt-c".into()), title: "Cheese".into(), quantity: 2 };
        assert_eq!(o.lines[0].options, vec![cheese]);
        assert!(webhook(br#"{"event":{"type":"OrderCreate"},"order":{"id":"x","categories":[]}}"#).is_err());
    }
}
