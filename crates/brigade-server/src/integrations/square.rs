//! Square, written against its published API (developer.squareup.com/reference/square):
//! the restaurant's Square POS as a source of menu and orders.
//!
//! - Auth: the seller's access token as a bearer, with a `Square-Version` header.
//! - Catalog import: `GET /v2/catalog/list?types=ITEM,CATEGORY` (cursor pages) becomes
//!   Brigade's menu (`POST …/integrations/{id}/import`); each item variation is one
//!   Brigade item ("Latte (Large)"), priced from its `price_money`. The ids Square gave
//!   them are kept on the integration (`config.catalog_map`), so an import again updates
//!   rather than duplicates, and a Square order's lines map back to Brigade's items.
//! - Webhooks: `x-square-hmacsha256-signature` is the base64 HMAC-SHA256, under the
//!   subscription's signature key, of the notification URL followed by the raw body.
//!   `order.created` brings the order (read with `GET /v2/orders/{id}`) to the kitchen
//!   display on the `pos` channel; `payment.updated` with a completed payment marks it
//!   paid. Square orders were taken at the POS, so there is nothing to accept back.
//! - Connection test: `GET /v2/locations/{location_id}` (the store id is the location).

use super::platform::{
    call, text, Adapter, ChosenOption, ItemState, MenuState, PlatformError, PlatformLine, PlatformOrder, Refusal,
    SeenItem, Throttle, Webhook, WebhookKind,
};
use super::ubereats::urlencode;
use brigade_domain::integration::Platform;
use brigade_domain::order::OrderType;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The API version Brigade is written against.
pub const SQUARE_VERSION: &str = "2025-01-23";

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub access_token: String,
    /// The webhook subscription's signature key.
    pub signature_key: String,
}

pub struct Square {
    pub http: reqwest::Client,
    pub base_url: String,
    /// The Square location.
    pub store_id: String,
    pub credentials: Credentials,
    pub throttle: Arc<Throttle>,
    /// The address Square posts webhooks to (part of what it signs).
    pub notification_url: String,
    /// Square catalog ids (item variations) → Brigade items, from the last import.
    pub catalog: HashMap<String, Uuid>,
}

pub use brigade_domain::integration::square_signature as signature;

/// One sellable thing in a Square catalog: an item variation.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub variation_id: String,
    pub category: String,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
}

/// Flattens catalog objects into sellable entries: one per variation, named after the
/// item (and the variation, when the item has several).
pub fn entries(objects: &[Value]) -> Vec<CatalogEntry> {
    let categories: HashMap<String, String> = objects
        .iter()
        .filter(|o| o["type"] == "CATEGORY")
        .filter_map(|o| Some((text(o, "/id")?, text(o, "/category_data/name")?)))
        .collect();
    let mut out = Vec::new();
    for o in objects.iter().filter(|o| o["type"] == "ITEM" && o["is_deleted"] != true) {
        let Some(name) = text(o, "/item_data/name") else { continue };
        let category_id = text(o, "/item_data/category_id").or_else(|| text(o, "/item_data/categories/0/id"));
        let category = category_id.and_then(|c| categories.get(&c).cloned()).unwrap_or_else(|| "Square".to_owned());
        let variations = o.pointer("/item_data/variations").and_then(Value::as_array).cloned().unwrap_or_default();
        for v in &variations {
            let Some(id) = text(v, "/id") else { continue };
            let vname = text(v, "/item_variation_data/name");
            let full = match vname.filter(|_| variations.len() > 1) {
                Some(vn) => format!("{name} ({vn})"),
                None => name.clone(),
            };
            out.push(CatalogEntry {
                variation_id: id,
                category: category.clone(),
                name: full,
                description: text(o, "/item_data/description"),
                price: v.pointer("/item_variation_data/price_money/amount").and_then(Value::as_i64).unwrap_or(0),
            });
        }
    }
    out
}

impl Square {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(&self.credentials.access_token)
            .header("Square-Version", SQUARE_VERSION)
    }

    /// The whole catalog's items and categories, every page.
    pub async fn catalog(&self) -> Result<Vec<Value>, PlatformError> {
        let mut objects = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..200 {
            let mut path = "/v2/catalog/list?types=ITEM,CATEGORY".to_owned();
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={}", urlencode(c)));
            }
            let page = call(&self.throttle, self.get(&path)).await?;
            objects.extend(page.get("objects").and_then(Value::as_array).cloned().unwrap_or_default());
            cursor = text(&page, "/cursor");
            if cursor.is_none() {
                return Ok(objects);
            }
        }
        Err(PlatformError::Rejected("the catalog has more than 200 pages".into()))
    }

    fn platform_order(&self, o: &Value) -> Result<PlatformOrder, String> {
        let id = text(o, "/id").ok_or("the order has no id")?;
        let items = o.get("line_items").and_then(Value::as_array).ok_or("the order has no line items")?;
        let mut lines = Vec::with_capacity(items.len());
        for l in items {
            // Square's modifiers are not imported into the menu, so they arrive as words.
            let options = l
                .get("modifiers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| text(m, "/name"))
                .map(|title| ChosenOption { external_id: None, title, quantity: 1 })
                .collect();
            let catalog = text(l, "/catalog_object_id");
            let quantity = text(l, "/quantity").and_then(|q| q.parse::<f64>().ok()).unwrap_or(1.0);
            lines.push(PlatformLine {
                // The Brigade item this variation was imported as; unknown ones stay unmapped.
                external_id: catalog.as_ref().and_then(|c| self.catalog.get(c)).map(Uuid::to_string),
                title: text(l, "/name").unwrap_or_default(),
                quantity: quantity.round().max(1.0) as i64,
                options,
                notes: text(l, "/note"),
            });
        }
        let kind = match text(o, "/fulfillments/0/type").as_deref() {
            Some("DELIVERY") | Some("SHIPMENT") => OrderType::Delivery,
            Some("PICKUP") => OrderType::Takeout,
            _ => OrderType::DineIn,
        };
        Ok(PlatformOrder {
            display_id: text(o, "/ticket_name").or_else(|| text(o, "/reference_id")),
            kind,
            customer_name: text(o, "/fulfillments/0/pickup_details/recipient/display_name"),
            customer_phone: text(o, "/fulfillments/0/pickup_details/recipient/phone_number"),
            lines,
            special_instructions: text(o, "/fulfillments/0/pickup_details/note"),
            total: o.pointer("/total_money/amount").and_then(Value::as_i64),
            id,
        })
    }
}

/// Reads a Square webhook: `{event_id, type, data: {id, object}}`.
pub fn webhook(body: &[u8]) -> Result<Webhook, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event_id = text(&v, "/event_id").ok_or("no event_id")?;
    let event_type = text(&v, "/type").ok_or("no type")?;
    let kind = match event_type.as_str() {
        "order.created" => {
            let order_id = text(&v, "/data/object/order_created/order_id").or_else(|| text(&v, "/data/id"));
            WebhookKind::OrderPlaced { order_id: order_id.ok_or("no order id")?, order: None }
        }
        "payment.created" | "payment.updated" => {
            let p = v.pointer("/data/object/payment").cloned().unwrap_or(Value::Null);
            match (text(&p, "/status").as_deref(), text(&p, "/order_id")) {
                (Some("COMPLETED"), Some(order_id)) => WebhookKind::Paid { order_id },
                _ => WebhookKind::Other,
            }
        }
        _ => WebhookKind::Other,
    };
    Ok(Webhook { event_id, event_type, kind })
}

fn not_here<'a, T: Send + 'a>() -> BoxFuture<'a, Result<T, PlatformError>> {
    Box::pin(async { Err(PlatformError::Rejected("Square's menu comes into Brigade: import it".into())) })
}

impl Adapter for Square {
    fn kind(&self) -> Platform {
        Platform::Square
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            let l = call(&self.throttle, self.get(&format!("/v2/locations/{}", urlencode(&self.store_id)))).await?;
            let name = text(&l, "/location/name").unwrap_or_else(|| self.store_id.clone());
            let status = text(&l, "/location/status").unwrap_or_else(|| "known".into());
            Ok(format!("Square location {name} is {status}"))
        })
    }

    fn push_item<'a>(&'a self, _item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        not_here()
    }

    fn push_menu<'a>(&'a self, _menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        not_here()
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        not_here()
    }

    fn reads_back(&self) -> bool {
        false
    }

    fn verify_webhook(&self, headers: &axum::http::HeaderMap, body: &[u8], _now: i64) -> Result<(), Refusal> {
        let given =
            headers.get("x-square-hmacsha256-signature").and_then(|v| v.to_str().ok()).ok_or(Refusal::Unsigned)?;
        let want = signature(&self.credentials.signature_key, &self.notification_url, body);
        if brigade_domain::credentials::constant_time_eq(given.trim().as_bytes(), want.as_bytes()) {
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
            let o = call(&self.throttle, self.get(&format!("/v2/orders/{}", urlencode(id)))).await?;
            let order = o.get("order").cloned().unwrap_or(Value::Null);
            self.platform_order(&order)
                .map_err(|e| PlatformError::Rejected(format!("the order could not be read: {e}")))
        })
    }

    // Orders were taken at the Square POS: there is nothing to accept or deny there.
    fn accept_order<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async { Ok(()) })
    }

    fn deny_order<'a>(&'a self, _id: &'a str, _why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The catalog map kept on an integration's config.
pub fn catalog_map(config: &Value) -> HashMap<String, Uuid> {
    config
        .get("catalog_map")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.parse().ok()?))).collect())
        .unwrap_or_default()
}

pub fn catalog_map_json(map: &HashMap<String, Uuid>) -> Value {
    json!(map.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_flattens_to_one_entry_per_variation() {
        let objects = vec![
            json!({ "type": "CATEGORY", "id": "C1", "category_data": { "name": "Coffee" } }),
            json!({ "type": "ITEM", "id": "I1", "item_data": { "name": "Latte", "category_id": "C1", "variations": [
                { "type": "ITEM_VARIATION", "id": "V1", "item_variation_data": { "name": "Small", "price_money": { "amount": 350, "currency": "USD" } } },
                { "type": "ITEM_VARIATION", "id": "V2", "item_variation_data": { "name": "Large", "price_money": { "amount": 450, "currency": "USD" } } }
            ] } }),
            json!({ "type": "ITEM", "id": "I2", "item_data": { "name": "Scone", "variations": [
                { "type": "ITEM_VARIATION", "id": "V3", "item_variation_data": { "name": "Regular", "price_money": { "amount": 300 } } }
            ] } }),
        ];
        let e = entries(&objects);
        assert_eq!(e.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Latte (Small)", "Latte (Large)", "Scone"]);
        assert_eq!((e[1].price, e[1].category.as_str(), e[2].category.as_str()), (450, "Coffee", "Square"));
    }

    #[test]
    fn signatures_cover_the_url_and_the_body() {
        let s = signature("key", "https://b.example/v1/hooks/square/x", b"{}");
        assert_ne!(s, signature("key", "https://other.example/v1/hooks/square/x", b"{}"));
        assert_ne!(s, signature("key", "https://b.example/v1/hooks/square/x", b"{ }"));
    }
}
