//! Twilio as an integration: the restaurant's account and number (`store_id`, E.164),
//! which texts guests (`crate::messages`) and answers the phone (`crate::phone`). It has no menu
//! and no orders of its own; its inbound webhook is a call or a guest's text to the number,
//! signed with `X-Twilio-Signature`.

use super::platform::{Adapter, ItemState, MenuState, PlatformError, SeenItem};
use crate::messages::twilio::{Credentials, SendError, Twilio};
use crate::AppState;
use brigade_domain::integration::Platform;
use brigade_store::integrations::IntegrationRow;
use futures_util::future::BoxFuture;
use serde_json::Value;

struct Account(Twilio);

impl Adapter for Account {
    fn kind(&self) -> Platform {
        Platform::Twilio
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            self.0.account().await.map_err(|e| match e {
                SendError::Transient(t) => PlatformError::Unavailable(t),
                SendError::Final(t) if t.contains("401") || t.contains("403") => PlatformError::Unauthorized(t),
                other => PlatformError::Rejected(other.to_string()),
            })
        })
    }

    fn push_item<'a>(&'a self, _item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        super::platform::no_menu("Twilio sends texts, not menus")
    }

    fn push_menu<'a>(&'a self, _menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        super::platform::no_menu("Twilio sends texts, not menus")
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        super::platform::no_menu("Twilio sends texts, not menus")
    }
}

/// The account's credentials, opened.
pub fn credentials(state: &AppState, row: &IntegrationRow) -> Result<Credentials, super::Unusable> {
    let sealed = row.credentials.as_deref().ok_or(super::Unusable::NoCredentials)?;
    let plain = state.secrets.open(row.id, sealed).map_err(|_| super::Unusable::Unreadable)?;
    serde_json::from_slice(&plain).map_err(|_| super::Unusable::Malformed(Platform::Twilio.title()))
}

pub fn adapter(state: &AppState, row: &IntegrationRow) -> Result<Box<dyn Adapter>, super::Unusable> {
    let credentials = credentials(state, row)?;
    Ok(Box::new(Account(Twilio { base_url: state.config.twilio_base_url.clone(), credentials })))
}
