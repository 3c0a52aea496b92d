//! Grubhub, written against its POS partner API (developer.grubhub.com, the partner
//! help centre at grubhub-developers.zendesk.com): item availability and orders. The menu
//! itself stays managed on Grubhub, its items carrying Brigade's item ids as external ids.
//!
//! - Auth: every call carries `X-GH-PARTNER-KEY` and `Authorization: MAC id="sv:v1:…",
//!   nonce, bodyhash, mac`, the HMAC-SHA256 of the request under the secret key (the IETF
//!   HTTP MAC scheme; see `brigade_domain::integration::grubhub_authorization`).
//! - 86s: schedule overrides by external id,
//!   `PATCH /pos/v1/merchant/{id}/menu/schedules/overrides/external`: an `ADD` that hides
//!   the item from now until its 86 ends (or the end of time), a `DELETE` to bring it
//!   back. Grubhub shows overrides but not prices back, so pushes are acknowledged, not
//!   verified; a menu job sends every item's availability at once.
//! - Orders: Grubhub's order webhook names the order (`order_uuid`); it is read with
//!   `GET /pos/v1/merchant/{id}/orders/{uuid}` and confirmed or cancelled with
//!   `PUT …/orders/{uuid}/status`. The webhook carries the auth header configured for the
//!   integration (`webhook_token`), compared in constant time.
//!
//! The partner API's reference is behind Grubhub's partner program; request and answer
//! fields here follow its published operation list and examples, and the fake in the
//! test suite speaks the same. Expect to adjust field names against a sandbox.

use super::platform::{
    call, text, Adapter, ChosenOption, ItemState, MenuState, PlatformError, PlatformLine, PlatformOrder, Refusal,
    SeenItem, Throttle, Webhook, WebhookKind,
};
use super::ubereats::urlencode;
use brigade_domain::integration::{grubhub_authorization, Platform};
use brigade_domain::order::OrderType;
use chrono::{SecondsFormat, Utc};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub client_id: String,
    /// Base64, as Grubhub issues it.
    pub secret_key: String,
    pub partner_key: String,
    /// What Grubhub sends in `Authorization` with its webhooks.
    pub webhook_token: String,
}

pub struct Grubhub {
    pub http: reqwest::Client,
    pub base_url: String,
    /// The merchant id.
    pub store_id: String,
    pub credentials: Credentials,
    pub throttle: Arc<Throttle>,
}

/// The end of an 86 with no end: Grubhub's "end of time".
const END_OF_TIME: &str = "9999-12-31T23:59:00.000Z";

/// The override operations that make Grubhub show Brigade's availability.
pub fn overrides(items: &[&ItemState]) -> Value {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let ops: Vec<Value> = items
        .iter()
        .map(|i| {
            if i.available {
                json!({ "entity_ids": [i.id], "schedule_override": { "op": "DELETE" } })
            } else {
                let end = i
                    .suspended_until
                    .map(|u| u.to_rfc3339_opts(SecondsFormat::Millis, true))
                    .unwrap_or_else(|| END_OF_TIME.to_owned());
                json!({ "entity_ids": [i.id], "schedule_override": { "op": "ADD", "start": now, "end": end, "show_or_hide": "HIDE" } })
            }
        })
        .collect();
    Value::Array(ops)
}

/// Reads a Grubhub order (`PosOrder`): its lines carry the external ids we gave items.
pub fn platform_order(o: &Value) -> Result<PlatformOrder, String> {
    let id = text(o, "/order_uuid").or_else(|| text(o, "/uuid")).ok_or("the order has no uuid")?;
    let lines_json =
        o.get("lines").or_else(|| o.get("items")).and_then(Value::as_array).ok_or("the order has no lines")?;
    let mut lines = Vec::with_capacity(lines_json.len());
    for l in lines_json {
        // Grubhub's menu is its own (Brigade uploads none), so its options are words.
        let options = l
            .get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| text(o, "/name"))
            .map(|title| ChosenOption { external_id: None, title, quantity: 1 })
            .collect();
        lines.push(PlatformLine {
            external_id: text(l, "/external_id").or_else(|| text(l, "/menu_item_external_id")),
            title: text(l, "/name").unwrap_or_default(),
            quantity: l.get("quantity").and_then(Value::as_i64).unwrap_or(1),
            options,
            notes: text(l, "/special_instructions"),
        });
    }
    let kind = match text(o, "/fulfillment_info/type").as_deref() {
        Some("PICKUP") => OrderType::Takeout,
        _ => OrderType::Delivery,
    };
    Ok(PlatformOrder {
        display_id: text(o, "/order_number"),
        kind,
        customer_name: text(o, "/diner/name"),
        customer_phone: text(o, "/diner/phone"),
        lines,
        special_instructions: text(o, "/special_instructions"),
        total: o.pointer("/charges/total").and_then(Value::as_i64),
        id,
    })
}

/// Reads Grubhub's order webhook: `{event_id?, order_uuid, status}`. An event id, when
/// absent, is the order and status, so the same notice twice is one event.
pub fn webhook(body: &[u8]) -> Result<Webhook, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let order_id = text(&v, "/order_uuid").ok_or("no order_uuid")?;
    let status = text(&v, "/status").unwrap_or_else(|| "NEW".into());
    let event_id = text(&v, "/event_id").unwrap_or_else(|| format!("{order_id}:{status}"));
    let kind = match status.as_str() {
        "NEW" | "PLACED" | "SUBMITTED" => WebhookKind::OrderPlaced { order_id, order: None },
        "CANCELLED" | "CANCELED" => WebhookKind::OrderCancelled { order_id, reason: text(&v, "/reason") },
        _ => WebhookKind::Other,
    };
    Ok(Webhook { event_id, event_type: format!("order.{}", status.to_lowercase()), kind })
}

impl Grubhub {
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, PlatformError> {
        let url = reqwest::Url::parse(&format!("{}{path}", self.base_url.trim_end_matches('/')))
            .map_err(|e| PlatformError::Rejected(format!("bad address: {e}")))?;
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default();
        let uri = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let nonce = format!("{}:{}", Utc::now().timestamp(), uuid::Uuid::now_v7().simple());
        let c = &self.credentials;
        let auth = grubhub_authorization(
            &c.client_id,
            &c.secret_key,
            &nonce,
            method.as_str(),
            &uri,
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(443),
            &bytes,
        );
        let mut req =
            self.http.request(method, url).header("authorization", auth).header("x-gh-partner-key", &c.partner_key);
        if body.is_some() {
            req = req.header("content-type", "application/json").body(bytes);
        }
        call(&self.throttle, req).await
    }

    fn merchant(&self) -> String {
        urlencode(&self.store_id)
    }

    async fn set_overrides(&self, items: &[&ItemState]) -> Result<Value, PlatformError> {
        let body = overrides(items);
        let path = format!(
            "/pos/v1/merchant/{}/menu/schedules/overrides/external?allow_partial_success=false",
            self.merchant()
        );
        self.api(reqwest::Method::PATCH, &path, Some(&body)).await?;
        Ok(body)
    }
}

impl Adapter for Grubhub {
    fn kind(&self) -> Platform {
        Platform::Grubhub
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            let path = format!(
                "/pos/v1/merchant/{}/menu/schedules/overrides?ending_after=now&ending_before=endOfTime",
                self.merchant()
            );
            let o = self.api(reqwest::Method::GET, &path, None).await?;
            let hidden = o.get("item_overrides").and_then(Value::as_array).map_or(0, Vec::len);
            Ok(format!("Grubhub merchant {} answered; {hidden} item(s) with overrides", self.store_id))
        })
    }

    fn push_item<'a>(&'a self, item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move { self.set_overrides(&[item]).await })
    }

    /// The menu stays on Grubhub: a menu job sends every item's availability at once.
    fn push_menu<'a>(&'a self, menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        Box::pin(async move {
            let all: Vec<&ItemState> = menu.categories.iter().flat_map(|c| c.items.iter().map(|i| &i.state)).collect();
            if all.is_empty() {
                return Ok(json!({ "items": 0 }));
            }
            self.set_overrides(&all).await?;
            Ok(json!({ "items": all.len(), "hidden": all.iter().filter(|i| !i.available).count() }))
        })
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        Box::pin(async { Err(PlatformError::Rejected("Grubhub shows no prices back".into())) })
    }

    fn reads_back(&self) -> bool {
        false
    }

    fn verify_webhook(&self, headers: &axum::http::HeaderMap, _body: &[u8], _now: i64) -> Result<(), Refusal> {
        let given = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or(Refusal::Unsigned)?;
        let given = given.strip_prefix("Bearer ").unwrap_or(given).trim();
        if brigade_domain::credentials::constant_time_eq(given.as_bytes(), self.credentials.webhook_token.as_bytes()) {
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
            let path = format!("/pos/v1/merchant/{}/orders/{}", self.merchant(), urlencode(id));
            let o = self.api(reqwest::Method::GET, &path, None).await?;
            platform_order(&o).map_err(|e| PlatformError::Rejected(format!("the order could not be read: {e}")))
        })
    }

    fn accept_order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let path = format!("/pos/v1/merchant/{}/orders/{}/status", self.merchant(), urlencode(id));
            self.api(reqwest::Method::PUT, &path, Some(&json!({ "status": "CONFIRMED" }))).await.map(drop)
        })
    }

    fn deny_order<'a>(&'a self, id: &'a str, why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        Box::pin(async move {
            let path = format!("/pos/v1/merchant/{}/orders/{}/status", self.merchant(), urlencode(id));
            self.api(reqwest::Method::PUT, &path, Some(&json!({ "status": "CANCELLED", "reason": why })))
                .await
                .map(drop)
        })
    }
}
