//! A client for Twilio's Programmable Messaging API (2010-04-01): a text is a form POST to
//! `/Accounts/{AccountSid}/Messages.json` with `To`, `From` and `Body`, authenticated with
//! HTTP Basic (the Account SID and its auth token). Twilio answers 201 with the message
//! resource (`sid`, `status`), or an error object `{"code", "message", "more_info",
//! "status"}`: 429 (code 20429) asks us to slow down, 5xx is Twilio not there now, and
//! another 4xx is final for this message (21211: not a valid number; 21610: the number
//! replied STOP to us).

use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

/// What an account is, as an integration stores it.
#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    pub account_sid: String,
    pub auth_token: String,
}

pub struct Twilio {
    pub base_url: String,
    pub credentials: Credentials,
}

impl Twilio {
    /// The client of a Twilio integration (its credentials opened), at the configured
    /// base URL; none when they cannot be opened.
    pub fn of(state: &crate::AppState, row: &brigade_store::integrations::IntegrationRow) -> Option<Twilio> {
        let credentials = row
            .credentials
            .as_deref()
            .and_then(|s| state.secrets.open(row.id, s).ok())
            .and_then(|p| serde_json::from_slice::<Credentials>(&p).ok())?;
        Some(Twilio { base_url: state.config.twilio_base_url.clone(), credentials })
    }
}

/// How a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: 429, 5xx, a timeout, no connection.
    #[error("{0}")]
    Transient(String),
    /// Twilio will not take this message as it is.
    #[error("{0}")]
    Final(String),
    /// The recipient has unsubscribed from this number (Twilio error 21610).
    #[error("the number has unsubscribed (replied STOP)")]
    Unsubscribed,
}

/// Twilio's error code for a message to a number that replied STOP.
const UNSUBSCRIBED: i64 = 21610;

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("Brigade/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

impl Twilio {
    fn account_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}", self.base_url.trim_end_matches('/'), self.credentials.account_sid)
    }

    async fn answer(res: Result<reqwest::Response, reqwest::Error>) -> Result<Value, SendError> {
        let res = res.map_err(|e| SendError::Transient(format!("Twilio could not be reached: {e}")))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let code = body.get("code").and_then(Value::as_i64);
        let words = body.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned();
        let what =
            format!("Twilio answered {status}{}: {words}", code.map(|c| format!(" (error {c})")).unwrap_or_default());
        Err(match status.as_u16() {
            _ if code == Some(UNSUBSCRIBED) => SendError::Unsubscribed,
            429 | 408 => SendError::Transient(what),
            s if s >= 500 => SendError::Transient(what),
            _ => SendError::Final(what),
        })
    }

    /// Sends `body` to `to` from `from` (E.164). Returns Twilio's message SID.
    pub async fn send(&self, from: &str, to: &str, body: &str) -> Result<String, SendError> {
        let url = format!("{}/Messages.json", self.account_url());
        let form = [("To", to), ("From", from), ("Body", body)];
        let res = http()
            .post(url)
            .basic_auth(&self.credentials.account_sid, Some(&self.credentials.auth_token))
            .form(&form)
            .send()
            .await;
        let answer = Self::answer(res).await?;
        answer
            .get("sid")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SendError::Final("Twilio answered without a message sid".into()))
    }

    /// The account's name and status: what a connection test shows.
    pub async fn account(&self) -> Result<String, SendError> {
        let res = http()
            .get(format!("{}.json", self.account_url()))
            .basic_auth(&self.credentials.account_sid, Some(&self.credentials.auth_token))
            .send()
            .await;
        let a = Self::answer(res).await?;
        let name = a.get("friendly_name").and_then(Value::as_str).unwrap_or("the account");
        let status = a.get("status").and_then(Value::as_str).unwrap_or("unknown");
        Ok(format!("Twilio answered: {name} is {status}"))
    }
}
