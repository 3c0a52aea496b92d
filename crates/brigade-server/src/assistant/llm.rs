//! The optional language model: an OpenAI-compatible chat-completions client with tool
//! calling (`POST {base}/chat/completions`), asked only when the offline engine finds no
//! confident reading. It is given the tools the speaker may use, as JSON Schemas, and
//! only proposes calls: the same registry runs them, with the same permission and
//! confirmation rules. On an error, a refusal or a timeout the offline answer stands.

use super::tools::ToolSpec;
use crate::AppState;
use serde_json::{json, Value};
use std::time::Duration;

/// What the model made of the words.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    Calls(Vec<(String, Value)>),
    /// It answered in words (a question back, or "I can't do that").
    Reply(String),
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no language model is configured")]
    Off,
    #[error("the language model did not answer in time")]
    Timeout,
    #[error("the language model refused: {0}")]
    Refused(String),
    #[error("the language model's answer made no sense: {0}")]
    Garbled(String),
}

/// Asks the model what to do with `text`, offering `tools`.
pub async fn propose(state: &AppState, text: &str, tools: &[ToolSpec], context: &str) -> Result<Proposal, LlmError> {
    let base = state.config.llm_base_url.as_deref().ok_or(LlmError::Off)?;
    let url = format!("{}/chat/completions", base.trim_end_matches('/'));
    let functions: Vec<Value> = tools
        .iter()
        .map(|t| {
            json!({ "type": "function", "function": {
                "name": t.tool, "description": t.description, "parameters": t.parameters } })
        })
        .collect();
    let system = format!(
        "You are Brigade, the voice assistant of a restaurant's kitchen and floor. Turn what staff say into calls of \
         the tools given. Use names as the speaker said them; never invent items, numbers or people. If the request \
         is unclear or no tool fits, answer in one short sentence instead of calling a tool. {context}"
    );
    let body = json!({
        "model": state.config.llm_model,
        "messages": [ { "role": "system", "content": system }, { "role": "user", "content": text } ],
        "tools": functions,
        "tool_choice": "auto",
        "temperature": 0,
    });
    let mut req = state
        .integrations
        .http
        .post(&url)
        .timeout(Duration::from_secs(state.config.llm_timeout_secs.max(1)))
        .json(&body);
    if let Some(key) = &state.config.llm_api_key {
        req = req.bearer_auth(key);
    }
    let resp =
        req.send()
            .await
            .map_err(|e| if e.is_timeout() { LlmError::Timeout } else { LlmError::Refused(e.to_string()) })?;
    let status = resp.status();
    let answer: Value =
        resp.json().await.map_err(
            |e| {
                if e.is_timeout() {
                    LlmError::Timeout
                } else {
                    LlmError::Garbled(e.to_string())
                }
            },
        )?;
    if !status.is_success() {
        let message = answer.pointer("/error/message").and_then(Value::as_str).unwrap_or("no message");
        return Err(LlmError::Refused(format!("{status}: {message}")));
    }
    read(&answer)
}

/// Reads a chat completion: its tool calls (arguments are a JSON string), or its words.
pub fn read(answer: &Value) -> Result<Proposal, LlmError> {
    let message = answer.pointer("/choices/0/message").ok_or_else(|| LlmError::Garbled("no choices".into()))?;
    let calls = message.get("tool_calls").and_then(Value::as_array).cloned().unwrap_or_default();
    if calls.is_empty() {
        let words = message.get("content").and_then(Value::as_str).map(str::trim).unwrap_or_default();
        if words.is_empty() {
            return Err(LlmError::Garbled("neither tool calls nor words".into()));
        }
        return Ok(Proposal::Reply(words.chars().take(500).collect()));
    }
    let mut out = Vec::new();
    for c in calls.iter().take(10) {
        let name = c
            .pointer("/function/name")
            .and_then(Value::as_str)
            .ok_or_else(|| LlmError::Garbled("a call without a name".into()))?;
        let args = match c.pointer("/function/arguments") {
            Some(Value::String(s)) if s.trim().is_empty() => json!({}),
            Some(Value::String(s)) => {
                serde_json::from_str(s).map_err(|e| LlmError::Garbled(format!("arguments of {name}: {e}")))?
            }
            Some(v @ Value::Object(_)) => v.clone(),
            _ => json!({}),
        };
        out.push((name.to_owned(), args));
    }
    Ok(Proposal::Calls(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_and_words_are_read() {
        let a = json!({ "choices": [{ "message": { "role": "assistant", "content": null, "tool_calls": [
            { "id": "call_1", "type": "function", "function": { "name": "eighty_six", "arguments": "{\"items\":[\"salmon\"]}" } }
        ] }, "finish_reason": "tool_calls" }] });
        assert_eq!(read(&a).unwrap(), Proposal::Calls(vec![("eighty_six".into(), json!({ "items": ["salmon"] }))]));
        let w = json!({ "choices": [{ "message": { "role": "assistant", "content": "Which salmon?" } }] });
        assert_eq!(read(&w).unwrap(), Proposal::Reply("Which salmon?".into()));
        let bad = json!({ "choices": [{ "message": { "tool_calls": [{ "function": { "name": "x", "arguments": "{oops" } }] } }] });
        assert!(matches!(read(&bad), Err(LlmError::Garbled(_))));
        assert!(matches!(read(&json!({})), Err(LlmError::Garbled(_))));
    }
}
