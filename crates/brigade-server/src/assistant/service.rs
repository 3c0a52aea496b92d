//! A turn of conversation with the assistant, for every caller (the text and audio
//! routes, MCP, the phone agent): the words are understood (offline first), the tools
//! called with the speaker's permissions, destructive ones held until confirmed, and
//! questions ("which burger?") kept for the next turn. Each turn is recorded
//! (`voice.command_received`) and each applied action too (`voice.action_completed`,
//! with the utterance), besides the audit event the service itself writes.

use super::llm;
use super::tools::{self, Context, Outcome};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::{After, AppState};
use brigade_domain::language::{self, Understood, Vocabulary};
use brigade_store::assistant::{self as store, SessionRow};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest command taken, in characters.
pub const MAX_TEXT: usize = 1000;
/// A session idle this long forgets what it was waiting for.
const PENDING_FOR: Duration = Duration::minutes(10);

#[derive(Debug, Deserialize, ToSchema)]
pub struct TextInput {
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
    /// The conversation to continue (a confirmation, an answer to "which one?").
    pub session_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmInput {
    pub session_id: Uuid,
    pub yes: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionView {
    pub tool: String,
    #[schema(value_type = Object)]
    pub args: Value,
    /// done, needs_confirmation, failed or cancelled.
    pub status: &'static str,
    /// What the matching REST endpoint returns (the item view, the order view, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClarifyView {
    pub question: String,
    pub candidates: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Turn {
    pub session_id: Uuid,
    pub reply: String,
    pub actions: Vec<ActionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clarify: Option<ClarifyView>,
    /// offline or llm: which engine understood the words.
    pub engine: &'static str,
    /// For audio: what was heard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
}

/// What a session waits on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Pending {
    Confirm {
        calls: Vec<(String, Value)>,
        utterance: String,
    },
    Clarify {
        tool: String,
        args: Value,
        field: String,
        index: Option<usize>,
        candidates: Vec<String>,
        utterance: String,
    },
}

const NOT_UNDERSTOOD: &str =
    "Sorry, I didn't catch that. Try \"86 the salmon\", \"order 12 is ready\" or \"what's low?\" (say \"help\" for more).";

/// Where the words came from, for the record.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Text,
    Audio,
}

/// One turn: `text` said by `actor`, in a session (a new one if none is given).
pub async fn text(actor: &Actor, state: &AppState, input: TextInput, source: Source) -> ApiResult<Turn> {
    let text = input.text.trim();
    if text.is_empty() {
        return Err(ApiError::validation("text", "say something"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError::validation("text", format!("at most {MAX_TEXT} characters")));
    }
    let mut session = open(actor, state, input.session_id).await?;
    let ctx = Context::load(actor, state).await?;
    record(
        actor,
        state,
        "voice.command_received",
        session.id,
        json!({ "text": text, "source": format!("{source:?}").to_lowercase() }),
    )
    .await?;
    let pending = claim(state, &mut session).await?;
    let turn = match pending {
        Some(Pending::Confirm { calls, utterance }) => match yes_or_no(text) {
            Some(yes) => finish_confirm(actor, state, &ctx, &mut session, calls, &utterance, yes).await?,
            None => understand(actor, state, &ctx, &mut session, text).await?,
        },
        Some(Pending::Clarify { tool, args, field, index, candidates, utterance }) => match chosen(text, &candidates) {
            Some(name) => {
                let mut args = args;
                match index {
                    Some(i) => args[field.as_str()][i] = json!(name),
                    None => args[field.as_str()] = json!(name),
                }
                let utterance = format!("{utterance} / {text}");
                run_calls(actor, state, &ctx, &mut session, vec![(tool, args)], &utterance, "offline").await?
            }
            None => understand(actor, state, &ctx, &mut session, text).await?,
        },
        None => understand(actor, state, &ctx, &mut session, text).await?,
    };
    save(state, &session).await?;
    Ok(turn)
}

/// One spoken turn: the WAV heard (offline, or by the speech API), then taken as text.
pub async fn audio(actor: &Actor, state: &AppState, session_id: Option<Uuid>, wav: &[u8]) -> ApiResult<Turn> {
    actor.require(brigade_domain::auth::Permission::RestaurantRead)?;
    if let Some(id) = session_id {
        open(actor, state, Some(id)).await?;
    }
    let ctx = Context::load(actor, state).await?;
    let heard = super::speech::transcribe(state, &ctx, actor.rid(), wav).await?;
    if !heard.command {
        // Speech, but none of the commands: never forced onto one.
        let session = open(actor, state, session_id).await?;
        let payload = json!({ "text": heard.text, "source": "audio", "command": false });
        record(actor, state, "voice.command_received", session.id, payload).await?;
        return Ok(Turn {
            session_id: session.id,
            reply: NOT_UNDERSTOOD.into(),
            actions: Vec::new(),
            clarify: None,
            engine: "offline",
            transcript: Some(heard.text),
        });
    }
    let mut turn = text(actor, state, TextInput { text: heard.text.clone(), session_id }, Source::Audio).await?;
    turn.transcript = Some(heard.text);
    Ok(turn)
}

/// Confirms (or cancels) what the session waits on.
pub async fn confirm(actor: &Actor, state: &AppState, input: ConfirmInput) -> ApiResult<Turn> {
    let mut session = open(actor, state, Some(input.session_id)).await?;
    let ctx = Context::load(actor, state).await?;
    let Some(Pending::Confirm { calls, utterance }) = claim(state, &mut session).await? else {
        save(state, &session).await?;
        return Err(ApiError::conflict(
            ErrorCode::NothingToConfirm,
            "nothing in this session waits for a confirmation",
        ));
    };
    let turn = finish_confirm(actor, state, &ctx, &mut session, calls, &utterance, input.yes).await?;
    save(state, &session).await?;
    Ok(turn)
}

/// Runs tool calls proposed by someone else (an MCP client), under the same rules.
pub async fn call_tool(
    actor: &Actor,
    state: &AppState,
    tool: &str,
    args: &Value,
    confirmed: bool,
) -> ApiResult<(Outcome, Context)> {
    let ctx = Context::load(actor, state).await?;
    let outcome = tools::call(actor, state, &ctx, tool, args, confirmed).await;
    if let Outcome::Done { .. } = &outcome {
        let payload = json!({ "tool": tool, "args": args, "utterance": Value::Null, "via": "mcp" });
        record(actor, state, "voice.action_completed", Uuid::nil(), payload).await?;
    }
    Ok((outcome, ctx))
}

fn yes_or_no(text: &str) -> Option<bool> {
    let words: Vec<String> = language::words::tokens(text).iter().map(|t| t.text()).collect();
    let w: Vec<&str> =
        words.iter().map(String::as_str).filter(|w| !matches!(*w, "," | "please" | "chef" | "brigade")).collect();
    const YES: &[&[&str]] = &[
        &["yes"],
        &["yeah"],
        &["yep"],
        &["yup"],
        &["sure"],
        &["confirm"],
        &["confirmed"],
        &["do", "it"],
        &["go", "ahead"],
        &["correct"],
        &["ok"],
        &["okay"],
        &["affirmative"],
        &["yes", "do", "it"],
        &["yes", "confirm"],
    ];
    const NO: &[&[&str]] = &[
        &["no"],
        &["nope"],
        &["cancel"],
        &["cancel", "that"],
        &["do", "not"],
        &["never", "mind"],
        &["nevermind"],
        &["stop"],
        &["forget", "it"],
        &["no", "thanks"],
        &["abort"],
    ];
    if YES.iter().any(|y| w == *y) {
        return Some(true);
    }
    if NO.iter().any(|n| w == *n) {
        return Some(false);
    }
    None
}

/// The candidate an answer names ("the veggie one", "veggie burger", "2"? no: names).
fn chosen(text: &str, candidates: &[String]) -> Option<String> {
    let entries = Vocabulary::entries(candidates.iter().map(|c| (Uuid::nil(), c.clone())));
    let words: Vec<String> = language::words::tokens(text)
        .iter()
        .map(|t| t.text())
        .filter(|w| {
            !matches!(w.as_str(), "the" | "one" | "1" | "please" | "," | "i" | "mean" | "meant" | "that" | "a" | "no")
        })
        .collect();
    match language::fit(&words, &entries).0 {
        language::Fit::One(i) => Some(entries[i].name.clone()),
        _ => None,
    }
}

async fn understand(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    session: &mut SessionRow,
    text: &str,
) -> ApiResult<Turn> {
    let understood = language::parse(text, &ctx.vocab, ctx.language_now());
    let turn = |reply: String, actions: Vec<ActionView>| Turn {
        session_id: session.id,
        reply,
        actions,
        clarify: None,
        engine: "offline",
        transcript: None,
    };
    match understood {
        Understood::Calls(calls) => {
            let calls = calls.into_iter().map(|c| (c.tool.to_owned(), c.args)).collect();
            run_calls(actor, state, ctx, session, calls, text, "offline").await
        }
        Understood::Clarify { call, field, index, question, candidates } => {
            session.pending = Some(DbJson(json!(Pending::Clarify {
                tool: call.tool.to_owned(),
                args: call.args,
                field: field.to_owned(),
                index,
                candidates: candidates.clone(),
                utterance: text.to_owned(),
            })));
            let mut t = turn(question.clone(), Vec::new());
            t.clarify = Some(ClarifyView { question, candidates });
            Ok(t)
        }
        Understood::Missing { tool, phrase, kind } => {
            let reply = format!("There is no {phrase} {kind}; nothing changed.");
            let action =
                ActionView { tool: tool.to_owned(), args: json!({ "name": phrase }), status: "failed", result: None };
            Ok(turn(reply, vec![action]))
        }
        Understood::Incomplete { question, .. } => Ok(turn(question, Vec::new())),
        Understood::NotUnderstood => {
            if state.config.llm_base_url.is_some() {
                let offered: Vec<tools::ToolSpec> = tools::specs()
                    .into_iter()
                    .filter(|t| t.permission.parse().is_ok_and(|p| actor.allows(p)))
                    .collect();
                let menu: Vec<&str> = ctx.vocab.items.iter().take(200).map(|e| e.name.as_str()).collect();
                let context = format!("The menu: {}.", menu.join(", "));
                match llm::propose(state, text, &offered, &context).await {
                    Ok(llm::Proposal::Calls(calls)) => {
                        let known: Vec<(String, Value)> =
                            calls.into_iter().filter(|(t, _)| offered.iter().any(|o| o.tool == t)).collect();
                        if !known.is_empty() {
                            return run_calls(actor, state, ctx, session, known, text, "llm").await;
                        }
                    }
                    Ok(llm::Proposal::Reply(words)) => {
                        let mut t = turn(words, Vec::new());
                        t.engine = "llm";
                        return Ok(t);
                    }
                    Err(e) => tracing::warn!(error = %e, "the language model gave no answer; the offline one stands"),
                }
            }
            Ok(turn(NOT_UNDERSTOOD.into(), Vec::new()))
        }
    }
}

/// Calls the tools in order; destructive ones wait for a confirmation, which the session keeps.
async fn run_calls(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    session: &mut SessionRow,
    calls: Vec<(String, Value)>,
    utterance: &str,
    engine: &'static str,
) -> ApiResult<Turn> {
    let mut actions = Vec::new();
    let mut replies = Vec::new();
    let mut waiting = Vec::new();
    let mut clarify = None;
    for (tool, args) in calls {
        let outcome = tools::call(actor, state, ctx, &tool, &args, false).await;
        match outcome {
            Outcome::Done { reply, result } => {
                done(actor, state, session.id, &tool, &args, utterance).await?;
                replies.push(reply);
                actions.push(ActionView { tool, args, status: "done", result: Some(result) });
            }
            Outcome::NeedsConfirmation { reply } => {
                replies.push(reply);
                waiting.push((tool.clone(), args.clone()));
                actions.push(ActionView { tool, args, status: "needs_confirmation", result: None });
            }
            Outcome::Failed { reply } => {
                replies.push(reply);
                actions.push(ActionView { tool, args, status: "failed", result: None });
            }
            Outcome::Clarify { field, index, question, candidates } => {
                replies.push(question.clone());
                session.pending = Some(DbJson(json!(Pending::Clarify {
                    tool,
                    args,
                    field: field.to_owned(),
                    index,
                    candidates: candidates.clone(),
                    utterance: utterance.to_owned(),
                })));
                clarify = Some(ClarifyView { question, candidates });
                break;
            }
        }
    }
    if !waiting.is_empty() {
        session.pending = Some(DbJson(json!(Pending::Confirm { calls: waiting, utterance: utterance.to_owned() })));
    }
    Ok(Turn { session_id: session.id, reply: replies.join(" "), actions, clarify, engine, transcript: None })
}

async fn finish_confirm(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    session: &mut SessionRow,
    calls: Vec<(String, Value)>,
    utterance: &str,
    yes: bool,
) -> ApiResult<Turn> {
    let mut actions = Vec::new();
    let mut replies = Vec::new();
    for (tool, args) in calls {
        if !yes {
            actions.push(ActionView { tool, args, status: "cancelled", result: None });
            continue;
        }
        match tools::call(actor, state, ctx, &tool, &args, true).await {
            Outcome::Done { reply, result } => {
                done(actor, state, session.id, &tool, &args, utterance).await?;
                replies.push(reply);
                actions.push(ActionView { tool, args, status: "done", result: Some(result) });
            }
            Outcome::Failed { reply } | Outcome::NeedsConfirmation { reply } => {
                replies.push(reply);
                actions.push(ActionView { tool, args, status: "failed", result: None });
            }
            Outcome::Clarify { question, .. } => {
                replies.push(question);
                actions.push(ActionView { tool, args, status: "failed", result: None });
            }
        }
    }
    let reply = if yes { replies.join(" ") } else { "Cancelled; nothing changed.".to_owned() };
    Ok(Turn { session_id: session.id, reply, actions, clarify: None, engine: "offline", transcript: None })
}

/// The session to talk in: the one named, if it is this speaker's in this restaurant
/// (404 otherwise, as for a stranger), or a new one.
async fn open(actor: &Actor, state: &AppState, id: Option<Uuid>) -> ApiResult<SessionRow> {
    let now = state.clock.now();
    let me = actor.acted_by().encode();
    match id {
        Some(id) => {
            let mut tx = state.db.begin_read(actor.rid()).await?;
            let s = store::get(&mut tx, actor.rid(), id).await?;
            drop(tx);
            s.filter(|s| s.actor == me).ok_or_else(|| ApiError::not_found("assistant session"))
        }
        None => Ok(SessionRow {
            id: Uuid::now_v7(),
            restaurant_id: actor.rid(),
            actor: me,
            pending: None,
            turns: 0,
            created_at: now,
            updated_at: now,
        }),
    }
}

/// Takes what the session waits on, so that two turns racing cannot both confirm it.
async fn claim(state: &AppState, session: &mut SessionRow) -> ApiResult<Option<Pending>> {
    let now = state.clock.now();
    let pending = session
        .pending
        .take()
        .filter(|_| now - session.updated_at < PENDING_FOR)
        .and_then(|p| serde_json::from_value::<Pending>(p.0).ok());
    if session.turns > 0 {
        let mut tx = state.db.begin(session.restaurant_id).await?;
        let taken = store::take_pending(&mut tx, session.restaurant_id, session.id, session.turns, now).await?;
        tx.commit().await?;
        if !taken {
            return Err(ApiError::conflict(
                ErrorCode::SessionBusy,
                "this session is answering another turn; try again",
            ));
        }
    }
    session.turns += 1;
    session.updated_at = now;
    Ok(pending)
}

async fn save(state: &AppState, session: &SessionRow) -> ApiResult<()> {
    let mut s = session.clone();
    s.updated_at = state.clock.now();
    let mut tx = state.db.begin(s.restaurant_id).await?;
    store::save(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(())
}

async fn record(actor: &Actor, state: &AppState, kind: &str, session: Uuid, payload: Value) -> ApiResult<()> {
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut payload = payload;
    payload["session_id"] = json!(session);
    actor.record(&mut tx, kind, "assistant_session", session, payload, state.clock.now()).await?;
    state.commit(tx, After::NOTHING).await
}

async fn done(
    actor: &Actor,
    state: &AppState,
    session: Uuid,
    tool: &str,
    args: &Value,
    utterance: &str,
) -> ApiResult<()> {
    let payload = json!({ "tool": tool, "args": args, "utterance": utterance });
    record(actor, state, "voice.action_completed", session, payload).await
}
