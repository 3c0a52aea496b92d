//! The assistant's offline understanding: kitchen commands ("86 the salmon until 5",
//! "order twelve is ready", "two cases of mozzarella came in") read against the live
//! vocabularies of one restaurant (its menu items, their options, stock items, staff),
//! with no network and no model.
//!
//! It is a small grammar, not a list of sentences: the words are normalised (`words`),
//! times and channels are taken out where they are said (`when`, `take_channels`), an
//! intent is found by its trigger phrases, and what remains is cut into the things named,
//! each matched to the vocabulary by how alike the names are (misspellings, plurals,
//! partial names). A name that fits several things is asked about, never guessed; a name
//! that fits nothing is said so. What it cannot read with confidence it leaves
//! (`NotUnderstood`), for a language model to try if one is configured.
//!
//! The result is tool calls with JSON arguments, the same shape the tool registry takes
//! from a language model or an MCP client; names in them are the vocabulary's own.

pub mod call;
pub mod ordering;
pub mod when;
pub mod words;

use crate::menu::Channel;
use serde_json::{json, Map, Value};
use uuid::Uuid;
use when::{find, take_until, Now, Until};
use words::{singular, tokens, word_sim, Token};

/// A thing that can be named: its name as the restaurant wrote it, and the ids it stands
/// for (options of the same name on several items are one thing to a cook).
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub ids: Vec<Uuid>,
    /// For stock: its own units of purchase ("case", "sack").
    pub units: Vec<String>,
    key: Vec<String>,
    joined: String,
}

impl Entry {
    pub fn new(name: &str, ids: Vec<Uuid>) -> Entry {
        // A possessive in a name is part of the word ("Dr. Brown's", "Nathan's"), never
        // the "is" a caller's "that's" becomes.
        let name_words = name.replace("'s", "s").replace("’s", "s").replace("'S", "S");
        let key: Vec<String> = tokens(&name_words).iter().map(|t| singular(&t.text())).filter(|w| w != ",").collect();
        let joined = key.concat();
        Entry { name: name.to_owned(), ids, units: Vec::new(), key, joined }
    }
}

/// What one restaurant's people can name.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub items: Vec<Entry>,
    pub options: Vec<Entry>,
    pub stock: Vec<Entry>,
    pub staff: Vec<Entry>,
}

impl Vocabulary {
    /// Entries from (id, name) pairs, one per name (case aside).
    pub fn entries(pairs: impl IntoIterator<Item = (Uuid, String)>) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for (id, name) in pairs {
            match out.iter_mut().find(|e| e.name.eq_ignore_ascii_case(&name)) {
                Some(e) => e.ids.push(id),
                None => out.push(Entry::new(&name, vec![id])),
            }
        }
        out
    }
}

/// How a name heard fits a list of entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    One(usize),
    /// Several fit as well as each other: ask. (All of them, when the name was plural:
    /// "86 the shakes".)
    Many(Vec<usize>),
    None,
}

const EDGE_FILLERS: &[&str] = &[
    "the",
    "a",
    "an",
    "some",
    "all",
    "our",
    "any",
    "more",
    "of",
    "please",
    "can",
    "you",
    "could",
    "would",
    "we",
    "are",
    "is",
    "i",
    "need",
    "to",
    "now",
    "right",
    "for",
    "just",
    "hey",
    "ok",
    "okay",
    "brigade",
    "also",
    "it",
    "them",
    "that",
    "this",
    "those",
    "these",
    "go",
    "ahead",
    "got",
    "have",
    "has",
    "been",
    "totally",
    "completely",
    "mark",
    "as",
    "set",
    "make",
    "let",
    "us",
    "item",
    "items",
    "menu",
    "on",
    "off",
    "so",
    "then",
    "tonight",
    "today",
    "thanks",
    "thank",
    "again",
    "back",
    "and",
    "yes",
    "yeah",
    "chef",
    "guys",
    "everyone",
    "with",
    "my",
    "there",
    "left",
    "at",
    "in",
    "stock",
    "please.",
    "orders",
    "order",
    "want",
    "wanna",
    "like",
    "should",
    "be",
    "completely",
    "entirely",
    "fully",
    "sold",
    "out",
    "officially",
    "put",
    "take",
    "bring",
    "got",
];

/// How well `phrase` (singular words) names `e`, 0 to 1.
fn score(phrase: &[String], e: &Entry) -> f64 {
    if phrase.is_empty() || e.key.is_empty() {
        return 0.0;
    }
    if phrase == e.key.as_slice() {
        return 1.0;
    }
    let joined = phrase.concat();
    if joined == e.joined {
        return 0.99;
    }
    let mut matched = 0.0;
    let mut missing = 0;
    for p in phrase {
        let best = e.key.iter().map(|n| word_sim(p, n)).fold(0.0, f64::max);
        if best < 0.75 {
            missing += 1;
        }
        matched += best;
    }
    let matched = matched / phrase.len() as f64;
    let covered =
        e.key.iter().filter(|n| phrase.iter().any(|p| word_sim(p, n) >= 0.75)).count() as f64 / e.key.len() as f64;
    let mut s = 0.75 * matched + 0.25 * covered;
    if missing > 0 {
        s *= 0.5;
    }
    // Spoken or typed as one word or two: "cheese burger", "milk shake".
    if joined.len() >= 5 {
        let whole = strsim::jaro_winkler(&joined, &e.joined);
        if whole >= 0.93 {
            s = s.max(whole - 0.04);
        }
    }
    s
}

/// Matches a phrase (as words) to entries.
pub fn fit(phrase: &[String], entries: &[Entry]) -> (Fit, f64) {
    let plural = phrase.last().is_some_and(|w| singular(w) != *w);
    let phrase: Vec<String> = phrase.iter().map(|w| singular(w)).collect();
    let mut scored: Vec<(usize, f64)> =
        entries.iter().enumerate().map(|(i, e)| (i, score(&phrase, e))).filter(|(_, s)| *s >= 0.6).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(best, top)) = scored.first() else { return (Fit::None, 0.0) };
    if top >= 0.99 {
        let exact: Vec<usize> = scored.iter().filter(|(_, s)| *s >= 0.99).map(|(i, _)| *i).collect();
        return if exact.len() == 1 { (Fit::One(best), top) } else { (Fit::Many(exact), top) };
    }
    let close = scored.get(1).is_some_and(|(_, s)| *s >= top - 0.08);
    if !close {
        return (Fit::One(best), top);
    }
    let all: Vec<usize> = scored.iter().map(|(i, _)| *i).collect();
    if plural {
        return (Fit::Many(all), top);
    }
    (Fit::Many(all), top)
}

/// Matches a name as people give it (words, or an id) to entries: what the tools use
/// for arguments from a model or MCP client, as the parser does for speech.
pub fn resolve(name: &str, entries: &[Entry]) -> Fit {
    if let Ok(id) = name.trim().parse::<Uuid>() {
        return entries.iter().position(|e| e.ids.contains(&id)).map(Fit::One).unwrap_or(Fit::None);
    }
    if let Some(i) = entries.iter().position(|e| e.name.eq_ignore_ascii_case(name.trim())) {
        return Fit::One(i);
    }
    let words = edge_trim(tokens(name).iter().map(Token::text).filter(|w| w != ",").collect());
    fit(&words, entries).0
}

/// A call of one tool, as a language model would make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub tool: &'static str,
    pub args: Value,
}

/// What the words were understood as.
#[derive(Debug, Clone, PartialEq)]
pub enum Understood {
    Calls(Vec<Call>),
    /// A name fits several things: `call` with `args[field][index]` (or `args[field]`)
    /// still the words heard, to be replaced by the candidate chosen.
    Clarify {
        call: Call,
        field: &'static str,
        index: Option<usize>,
        question: String,
        candidates: Vec<String>,
    },
    /// A name fits nothing the restaurant has.
    Missing {
        tool: &'static str,
        phrase: String,
        kind: &'static str,
    },
    /// A command without what it needs ("86" alone).
    Incomplete {
        tool: &'static str,
        question: String,
    },
    NotUnderstood,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Help,
    ClockIn,
    ClockOut,
    StartBreak,
    EndBreak,
    StaffOn,
    Labor,
    Sales,
    Queue,
    Busy,
    CreateTask,
    ListTasks,
    LowStock,
    ListUnavailable,
    Restore,
    EightySix,
    Receive,
}

type Rule = (Intent, &'static [&'static [&'static str]]);

/// Trigger phrases, most specific first; the first that is said decides.
const RULES: &[Rule] = &[
    (
        Intent::Help,
        &[
            &["help"],
            &["what", "can", "you", "do"],
            &["what", "can", "i", "say"],
            &["commands"],
            &["what", "do", "you", "do"],
        ],
    ),
    (
        Intent::ClockIn,
        &[
            &["clock", "me", "in"],
            &["clock", "in"],
            &["clocking", "in"],
            &["clocked", "in", "now"],
            &["punch", "me", "in"],
            &["punch", "in"],
            &["punching", "in"],
            &["start", "my", "shift"],
            &["starting", "my", "shift"],
            &["sign", "me", "in"],
            &["clock", "myself", "in"],
        ],
    ),
    (
        Intent::ClockOut,
        &[
            &["clock", "me", "out"],
            &["clock", "out"],
            &["clocking", "out"],
            &["punch", "me", "out"],
            &["punch", "out"],
            &["punching", "out"],
            &["end", "my", "shift"],
            &["ending", "my", "shift"],
            &["sign", "me", "out"],
            &["done", "for", "the", "day"],
            &["done", "for", "the", "night"],
            &["done", "for", "today"],
            &["done", "for", "tonight"],
            &["heading", "home"],
            &["going", "home"],
            &["clock", "myself", "out"],
        ],
    ),
    (
        Intent::EndBreak,
        &[
            &["back", "from", "break"],
            &["back", "from", "my", "break"],
            &["back", "from", "lunch"],
            &["end", "my", "break"],
            &["end", "break"],
            &["ending", "my", "break"],
            &["off", "break"],
            &["break", "is", "over"],
            &["break", "over"],
            &["done", "with", "my", "break"],
            &["done", "with", "break"],
            &["finish", "my", "break"],
            &["finished", "my", "break"],
            &["end", "of", "my", "break"],
            &["stop", "my", "break"],
            &["back", "on", "the", "clock"],
        ],
    ),
    (
        Intent::StartBreak,
        &[
            &["start", "my", "break"],
            &["start", "a", "break"],
            &["start", "break"],
            &["starting", "my", "break"],
            &["on", "break"],
            &["taking", "a", "break"],
            &["take", "a", "break"],
            &["taking", "my", "break"],
            &["take", "my", "break"],
            &["going", "on", "break"],
            &["break", "time"],
            &["lunch", "break"],
            &["taking", "lunch"],
            &["on", "my", "break"],
            &["go", "on", "break"],
            &["taking", "5"],
            &["my", "break"],
        ],
    ),
    (
        Intent::StaffOn,
        &[
            &["who", "is", "on"],
            &["who", "is", "working"],
            &["who", "is", "in"],
            &["who", "is", "clocked", "in"],
            &["who", "is", "here"],
            &["on", "the", "clock"],
            &["staff", "on"],
            &["who", "do", "we", "have"],
            &["who", "is", "on", "shift"],
            &["who", "is", "clocked"],
            &["who", "came", "in"],
            &["who", "is", "around"],
            &["who", "all", "is"],
            &["who", "are", "we"],
            &["anyone", "on", "break"],
            &["who", "is", "on", "break"],
        ],
    ),
    (
        Intent::Labor,
        &[&["labor"], &["labour"], &["wage"], &["wages"], &["staff", "cost"], &["staffing", "cost"], &["payroll"]],
    ),
    (
        Intent::Queue,
        &[
            &["queue"],
            &["how", "many", "open"],
            &["open", "orders"],
            &["orders", "open"],
            &["orders", "are", "open"],
            &["backed", "up"],
            &["how", "long", "is", "the", "wait"],
            &["wait", "time"],
            &["how", "many", "tickets"],
            &["tickets"],
            &["what", "is", "cooking"],
            &["what", "is", "on", "the", "board"],
            &["how", "busy"],
            &["how", "is", "the", "kitchen"],
            &["kitchen", "status"],
            &["orders", "waiting"],
            &["in", "the", "kitchen"],
            &["how", "far", "behind"],
            &["pending", "orders"],
            &["orders", "pending"],
            &["orders", "in", "progress"],
        ],
    ),
    (
        Intent::Sales,
        &[
            &["sales"],
            &["revenue"],
            &["how", "much", "did", "we", "make"],
            &["how", "much", "have", "we", "made"],
            &["how", "much", "did", "we", "sell"],
            &["how", "much", "have", "we", "sold"],
            &["how", "are", "we", "doing"],
            &["how", "many", "orders"],
            &["takings"],
            &["numbers"],
            &["how", "much", "money"],
            &["sold", "today"],
            &["how", "is", "business"],
            &["the", "take"],
            &["what", "did", "we", "do"],
            &["how", "is", "the", "day", "going"],
            &["average", "ticket"],
            &["average", "check"],
        ],
    ),
    (
        Intent::Busy,
        &[
            &["busy", "mode"],
            &["busy"],
            &["slammed"],
            &["in", "the", "weeds"],
            &["swamped"],
            &["unpause"],
            &["pause"],
            &["paused"],
            &["resume"],
            &["stop", "taking"],
            &["start", "taking"],
            &["back", "to", "normal"],
            &["caught", "up"],
            &["extra", "minutes"],
            &["minutes", "to", "quotes"],
            &["minutes", "to", "the", "quotes"],
            &["minutes", "to", "wait"],
            &["quote", "times"],
            &["quotes"],
            &["ticket", "times"],
            &["wait", "times"],
            &["slow", "down", "orders"],
            &["stop", "orders"],
            &["no", "more", "orders"],
            &["reopen"],
            &["turn", "off"],
            &["turn", "on"],
            &["shut", "off"],
            &["switch", "off"],
            &["switch", "on"],
            &["start", "accepting"],
            &["stop", "accepting"],
        ],
    ),
    (
        Intent::CreateTask,
        &[
            &["remind", "me", "to"],
            &["remind", "us", "to"],
            &["remind", "someone", "to"],
            &["remind", "everyone", "to"],
            &["add", "a", "task", "to"],
            &["add", "a", "task"],
            &["add", "task"],
            &["new", "task"],
            &["create", "a", "task", "to"],
            &["create", "a", "task"],
            &["create", "task"],
            &["make", "a", "task"],
            &["add", "to", "the", "list"],
            &["put", "on", "the", "list"],
            &["someone", "needs", "to"],
            &["somebody", "needs", "to"],
            &["someone", "has", "to"],
            &["somebody", "has", "to"],
            &["add", "a", "to", "do"],
            &["add", "to", "do"],
            &["task", "to"],
            &["remind"],
        ],
    ),
    (
        Intent::ListTasks,
        &[
            &["task", "list"],
            &["what", "tasks"],
            &["my", "tasks"],
            &["list", "tasks"],
            &["list", "the", "tasks"],
            &["what", "is", "left", "to", "do"],
            &["what", "needs", "to", "be", "done"],
            &["what", "needs", "doing"],
            &["to", "do", "list"],
            &["checklist"],
            &["side", "work"],
            &["what", "is", "left"],
            &["closing", "tasks"],
            &["opening", "tasks"],
            &["tasks"],
            &["any", "task"],
            &["what", "do", "i", "do", "next"],
            &["what", "should", "i", "do"],
            &["what", "is", "on", "the", "list"],
            &["todo"],
            &["to", "dos"],
        ],
    ),
    (
        Intent::LowStock,
        &[
            &["what", "is", "low"],
            &["running", "low"],
            &["low", "stock"],
            &["low", "on"],
            &["what", "do", "we", "need"],
            &["need", "to", "order"],
            &["reorder"],
            &["what", "should", "i", "order"],
            &["what", "should", "we", "order"],
            &["stock", "levels"],
            &["anything", "low"],
            &["low"],
            &["short", "on"],
            &["what", "are", "we", "short"],
            &["what", "do", "i", "need", "to", "order"],
            &["order", "list"],
            &["need", "to", "buy"],
            &["shopping", "list"],
        ],
    ),
    (
        Intent::ListUnavailable,
        &[
            &["what", "is", "86"],
            &["what", "are", "we", "86"],
            &["what", "is", "out"],
            &["what", "are", "we", "out", "of"],
            &["86", "list"],
            &["list", "of", "86"],
            &["86", "board"],
            &["what", "is", "unavailable"],
            &["unavailable", "items"],
            &["anything", "86"],
            &["what", "have", "we", "86"],
            &["what", "did", "we", "86"],
            &["what", "is", "off", "the", "menu"],
            &["what", "is", "sold", "out"],
            &["what", "are", "we", "missing"],
            &["what", "is", "not", "available"],
            &["what", "can", "we", "not", "sell"],
            &["what", "cannot", "we", "sell"],
            &["what", "is", "out", "of", "stock"],
            &["what", "items", "are", "out"],
            &["any", "86"],
            &["read", "the", "86"],
            &["86", "status"],
        ],
    ),
    (
        Intent::Restore,
        &[
            &["un86"],
            &["back", "on", "the", "menu"],
            &["back", "on"],
            &["bring", "back"],
            &["restore"],
            &["available", "again"],
            &["back", "in", "stock"],
            &["is", "back"],
            &["are", "back"],
            &["put", "back"],
            &["re", "enable"],
            &["reenable"],
            &["enable"],
            &["in", "stock", "again"],
            &["no", "longer", "86"],
            &["not", "86", "anymore"],
            &["not", "86", "any", "more"],
            &["off", "the", "86"],
            &["undo", "the", "86"],
            &["cancel", "the", "86"],
            &["make", "available"],
            &["mark", "available"],
            &["is", "available"],
            &["are", "available"],
            &["back", "up"],
            &["we", "have", "more"],
            &["got", "more"],
            &["restock"],
            &["restocked"],
            &["unmark"],
            &["we", "are", "good", "on"],
            &["good", "on"],
            &["came", "back"],
            &["sell", "again"],
            &["selling", "again"],
            &["have", "again"],
            &["got", "again"],
            &["again"],
        ],
    ),
    (
        Intent::Receive,
        &[
            &["received"],
            &["receive"],
            &["receiving"],
            &["delivery", "of"],
            &["came", "in"],
            &["just", "got"],
            &["we", "got"],
            &["got", "in"],
            &["arrived"],
            &["delivered"],
            &["add", "to", "stock"],
            &["into", "stock"],
            &["to", "inventory"],
            &["log", "a", "delivery"],
            &["log"],
            &["got"],
        ],
    ),
    (
        Intent::EightySix,
        &[
            &["86"],
            &["out", "of"],
            &["ran", "out", "of"],
            &["run", "out", "of"],
            &["no", "more"],
            &["sold", "out"],
            &["is", "out"],
            &["are", "out"],
            &["all", "out"],
            &["kill"],
            &["pull"],
            &["take", "off"],
            &["mark", "unavailable"],
            &["disable"],
            &["none", "left"],
            &["is", "gone"],
            &["are", "gone"],
            &["gone"],
            &["finished"],
            &["nothing", "left"],
            &["out"],
            &["unavailable"],
            &["no", "longer", "available"],
            &["stop", "selling"],
            &["cannot", "sell"],
            &["do", "not", "have", "any"],
            &["do", "not", "have"],
            &["we", "have", "no"],
            &["zero"],
            &["used", "up"],
            &["dead"],
            &["done"],
            &["cut"],
            &["take"],
            &["no"],
        ],
    ),
];

/// Where one of the intent's phrases is said: (start, length).
fn said(t: &[Token], phrases: &[&[&str]]) -> Option<(usize, usize)> {
    phrases.iter().filter_map(|p| find(t, p).map(|i| (i, p.len()))).max_by_key(|(i, len)| (*len, usize::MAX - i))
}

/// Words that start or end a correction: "86 the salmon, no wait, the trout".
const CORRECTIONS: &[&[&str]] = &[
    &["no", "wait"],
    &["no", "sorry"],
    &["sorry", "i", "mean"],
    &["no", "i", "mean"],
    &["i", "mean"],
    &["i", "meant"],
    &["no", "make", "that"],
    &["make", "that"],
    &["scratch", "that"],
    &["correction"],
    &["actually"],
    &["sorry"],
    &["wait"],
];

/// Reads `text` against `vocab` at `now`.
pub fn parse(text: &str, vocab: &Vocabulary, now: Now) -> Understood {
    let mut t = tokens(text);
    // Politeness and the wake word carry nothing.
    while t.first().is_some_and(|w| {
        w.word().is_some_and(|w| {
            matches!(w, "hey" | "ok" | "okay" | "brigade" | "please" | "so" | "um" | "uh" | "alright" | "yo" | "chef")
        })
    }) || t.first() == Some(&Token::Comma)
    {
        t.remove(0);
    }
    if t.is_empty() {
        return Understood::NotUnderstood;
    }
    // A correction: the words after it replace what they restate.
    let mut correction: Option<Vec<Token>> = None;
    // A bare "no" corrects only after a pause: "order 12 is ready, no, 13".
    let bare_no = t.iter().enumerate().position(|(i, w)| i > 0 && w.is("no") && t[i - 1] == Token::Comma);
    let found = CORRECTIONS
        .iter()
        .filter_map(|p| find(&t, p).filter(|&i| i > 0).map(|i| (i, p.len())))
        .chain(bare_no.map(|i| (i, 1)))
        .min_by_key(|(i, _)| *i);
    if let Some((i, len)) = found {
        {
            let after: Vec<Token> = t[i + len..].iter().filter(|x| **x != Token::Comma).cloned().collect();
            if !after.is_empty() {
                t.truncate(i);
                while t.last() == Some(&Token::Comma) {
                    t.pop();
                }
                correction = Some(after);
            }
        }
    }
    if let Some(after) = &correction {
        // A whole new command after the correction stands on its own.
        if detect(after).is_some() || order_words(after).is_some() {
            let restated = understand(after.clone(), vocab, now, None);
            if matches!(restated, Understood::Calls(_) | Understood::Clarify { .. }) {
                return restated;
            }
        }
        if t.is_empty() {
            return Understood::NotUnderstood;
        }
    }
    understand(t, vocab, now, correction)
}

fn detect(t: &[Token]) -> Option<(Intent, (usize, usize))> {
    RULES.iter().find_map(|(intent, phrases)| said(t, phrases).map(|at| (*intent, at)))
}

fn understand(mut t: Vec<Token>, vocab: &Vocabulary, now: Now, correction: Option<Vec<Token>>) -> Understood {
    if let Some(o) = order_words(&t) {
        return order_call(&t, o, correction.as_deref());
    }
    let Some((intent, (at, len))) = detect(&t) else { return Understood::NotUnderstood };
    let simple = |tool: &'static str| Understood::Calls(vec![Call { tool, args: json!({}) }]);
    match intent {
        Intent::Help => simple("help"),
        Intent::StaffOn => simple("staff_on_clock"),
        Intent::Labor => simple("labor_summary"),
        Intent::Sales => simple("sales_summary"),
        Intent::Queue => simple("queue_status"),
        Intent::LowStock => simple("low_stock"),
        Intent::ListTasks => simple("list_tasks"),
        Intent::ListUnavailable => simple("list_unavailable"),
        Intent::ClockOut => simple("clock_out"),
        Intent::EndBreak => simple("end_break"),
        Intent::ClockIn => {
            let rest: Vec<String> = words_of(&t[at + len..]);
            let position = match rest.iter().position(|w| w == "as" || w == "on") {
                Some(i) => edge_trim(rest[i + 1..].to_vec()),
                None => Vec::new(),
            };
            let mut args = json!({});
            if !position.is_empty() {
                args["position"] = json!(position.join(" "));
            }
            Understood::Calls(vec![Call { tool: "clock_in", args }])
        }
        Intent::StartBreak => {
            let mut args = json!({});
            if find(&t, &["unpaid"]).is_some() {
                args["paid"] = json!(false);
            } else if find(&t, &["paid"]).is_some() {
                args["paid"] = json!(true);
            }
            Understood::Calls(vec![Call { tool: "start_break", args }])
        }
        Intent::Busy => busy(&mut t, now),
        Intent::CreateTask => task(&t, at, len, vocab, now),
        Intent::EightySix | Intent::Restore => availability(&t, intent, at, len, vocab, now, correction),
        Intent::Receive => receive(&t, at, len, vocab, correction),
    }
}

fn words_of(t: &[Token]) -> Vec<String> {
    t.iter().filter(|x| **x != Token::Comma).map(Token::text).collect()
}

/// Drops filler words at the start and end of a phrase.
fn edge_trim(mut w: Vec<String>) -> Vec<String> {
    while w.first().is_some_and(|x| EDGE_FILLERS.contains(&x.as_str())) {
        w.remove(0);
    }
    while w.last().is_some_and(|x| EDGE_FILLERS.contains(&x.as_str())) {
        w.pop();
    }
    w
}

// ---------------------------------------------------------------- channels

const CHANNELS: &[(&[&str], &[Channel])] = &[
    (&["uber", "eats"], &[Channel::Ubereats]),
    (&["ubereats"], &[Channel::Ubereats]),
    (&["uber"], &[Channel::Ubereats]),
    (&["door", "dash"], &[Channel::Doordash]),
    (&["doordash"], &[Channel::Doordash]),
    (&["grub", "hub"], &[Channel::Grubhub]),
    (&["grubhub"], &[Channel::Grubhub]),
    (&["all", "the", "delivery", "apps"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["the", "delivery", "apps"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["delivery", "apps"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["delivery", "app"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["the", "apps"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["third", "party"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["delivery"], &[Channel::Doordash, Channel::Ubereats, Channel::Grubhub]),
    (&["qr", "code"], &[Channel::Qr]),
    (&["qr"], &[Channel::Qr]),
    (&["q", "r"], &[Channel::Qr]),
    (&["table", "ordering"], &[Channel::Qr]),
    (&["online", "ordering"], &[Channel::Web]),
    (&["online"], &[Channel::Web]),
    (&["the", "website"], &[Channel::Web]),
    (&["website"], &[Channel::Web]),
    (&["web"], &[Channel::Web]),
    (&["phone", "orders"], &[Channel::Phone]),
    (&["phone"], &[Channel::Phone]),
    (&["walk", "ins"], &[Channel::WalkIn]),
    (&["walk", "in"], &[Channel::WalkIn]),
];

/// Takes the channels named out of `t` (with the "on", "for", "from" before them).
fn take_channels(t: &mut Vec<Token>) -> Vec<Channel> {
    let mut out: Vec<Channel> = Vec::new();
    while let Some((i, len, cs)) = CHANNELS.iter().find_map(|(p, cs)| find(t, p).map(|i| (i, p.len(), *cs))) {
        let mut start = i;
        if start > 0
            && t[start - 1].word().is_some_and(|w| matches!(w, "on" | "for" | "from" | "via" | "through" | "in"))
        {
            start -= 1;
        }
        let mut end = i + len;
        if t.get(end).is_some_and(|x| x.is("orders") || x.is("only")) {
            end += 1;
        }
        t.drain(start..end);
        // "on uber and doordash": the joining word goes too.
        if start > 0 && start <= t.len() && t[start - 1].is("and") {
            let next_is_channel = CHANNELS.iter().any(|(p, _)| find(&t[start..], p) == Some(0));
            if next_is_channel {
                t.remove(start - 1);
            }
        }
        for c in cs {
            if !out.contains(c) {
                out.push(*c);
            }
        }
    }
    out.sort();
    out
}

fn until_value(u: Until) -> Value {
    match u {
        Until::EndOfDay => json!("end_of_day"),
        Until::At(t) => json!(t.to_rfc3339()),
        Until::Indefinite => Value::Null,
    }
}

/// "because the fryer is down" / "reason: …": the words after, as said.
fn take_reason(t: &mut Vec<Token>) -> Option<String> {
    let i = t.iter().position(|w| w.is("because") || w.is("reason") || w.is("cause"))?;
    let mut words: Vec<String> = words_of(&t[i + 1..]);
    while words.first().is_some_and(|w| matches!(w.as_str(), "of" | "is" | "was" | "the" | "being")) && words.len() > 1
    {
        if words[0] == "the" {
            break;
        }
        words.remove(0);
    }
    t.truncate(i);
    (!words.is_empty()).then(|| words.join(" "))
}

// ---------------------------------------------------------------- the 86 board

/// Separators between the things named.
fn is_separator(t: &Token) -> bool {
    matches!(t, Token::Comma) || t.is("and") || t.is("plus") || t.is("also") || t.is("or") || t.is("nor")
}

/// Cuts `t` into phrases at separators, keeping names that contain one ("fish and
/// chips") when the whole fits better than its parts.
fn phrases(t: &[Token], lists: &[&[Entry]]) -> Vec<Vec<String>> {
    let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
    let mut joins: Vec<Token> = Vec::new();
    for x in t {
        if is_separator(x) {
            joins.push(x.clone());
            segments.push(Vec::new());
        } else if let Some(last) = segments.last_mut() {
            last.push(x.clone());
        }
    }
    // A name containing "and" ("chips and guac") is kept whole when one thing fits it.
    let whole = |w: &[String]| lists.iter().any(|l| matches!(fit(w, l), (Fit::One(_), s) if s >= 0.85));
    let mut out = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let mut taken = 1;
        // Try joining this segment with the next ones through their separator.
        for j in (i + 1..segments.len()).rev() {
            let mut joined: Vec<Token> = Vec::new();
            for k in i..=j {
                joined.extend(segments[k].iter().cloned());
                if k < j {
                    joined.push(joins[k].clone());
                }
            }
            let w = edge_trim(words_of(&joined));
            if w.len() >= 2 && w.iter().any(|x| x == "and" || x == "or") && whole(&w) {
                taken = j - i + 1;
                out.push(w);
                break;
            }
        }
        if taken == 1 {
            let w = edge_trim(strip_quantity(words_of(&segments[i])));
            if !w.is_empty() {
                out.push(w);
            }
        }
        i += taken;
    }
    out
}

/// "2 burgers" → "burgers": a count said before a name is not part of it.
fn strip_quantity(mut w: Vec<String>) -> Vec<String> {
    while w.first().is_some_and(|x| x.parse::<f64>().is_ok()) {
        w.remove(0);
    }
    w
}

/// Words that say the thing is an option, not a dish: "out of avocado topping".
const OPTION_WORDS: &[&str] = &[
    "option",
    "options",
    "topping",
    "toppings",
    "extra",
    "extras",
    "add",
    "addon",
    "addons",
    "side",
    "modifier",
    "modifiers",
    "sauce",
];

fn availability(
    t: &[Token],
    intent: Intent,
    at: usize,
    len: usize,
    vocab: &Vocabulary,
    now: Now,
    correction: Option<Vec<Token>>,
) -> Understood {
    let (tool, option_tool) =
        if intent == Intent::Restore { ("restore", "restore_option") } else { ("eighty_six", "eighty_six_option") };
    let mut rest: Vec<Token> = t.to_vec();
    rest.drain(at..at + len);
    let reason = take_reason(&mut rest);
    let until = take_until(&mut rest, now, &["until", "till", "til", "through"]);
    let channels = take_channels(&mut rest);
    // Words left from a second trigger ("we're all out, 86 the salmon").
    let mut subject: Vec<Token> = match correction {
        Some(mut c) => {
            let _ = take_until(&mut c, now, &["until", "till", "til"]);
            let _ = take_channels(&mut c);
            c
        }
        None => rest,
    };
    for (_, phrases) in RULES.iter().filter(|(i, _)| *i == intent) {
        while let Some((i, l)) = said(&subject, phrases) {
            subject.drain(i..i + l);
        }
    }
    let wants_option = subject.iter().any(|w| w.word().is_some_and(|w| OPTION_WORDS.contains(&w)));
    subject.retain(|w| !w.word().is_some_and(|w| OPTION_WORDS.contains(&w) && wants_option));
    let named = phrases(&subject, &[&vocab.items, &vocab.options]);
    if named.is_empty() {
        let question = if intent == Intent::Restore { "What should I bring back?" } else { "What should I 86?" };
        return Understood::Incomplete { tool, question: question.into() };
    }
    let mut items: Vec<String> = Vec::new();
    let mut options: Vec<String> = Vec::new();
    for phrase in &named {
        let (item_fit, item_score) = fit(phrase, &vocab.items);
        let (option_fit, option_score) = fit(phrase, &vocab.options);
        let use_option = !matches!(option_fit, Fit::None)
            && (matches!(item_fit, Fit::None)
                || option_score > item_score + 0.05
                || (wants_option && option_score >= item_score - 0.05));
        let (f, list, out, field) = if use_option {
            (option_fit, &vocab.options, &mut options, "options")
        } else {
            (item_fit, &vocab.items, &mut items, "items")
        };
        match f {
            Fit::One(i) => out.push(list[i].name.clone()),
            Fit::Many(all) if phrase.last().is_some_and(|w| singular(w) != *w) => {
                out.extend(all.iter().map(|&i| list[i].name.clone()))
            }
            Fit::Many(all) => {
                let heard = phrase.join(" ");
                let index = out.len();
                out.push(heard.clone());
                let mut args = json!({ field: out.clone() });
                extras(&mut args, until, &channels, reason.as_deref());
                let candidates: Vec<String> = all.iter().map(|&i| list[i].name.clone()).collect();
                let call = Call { tool: if use_option { option_tool } else { tool }, args };
                let question = format!("Which {heard}: {}?", or_list(&candidates));
                return Understood::Clarify { call, field, index: Some(index), question, candidates };
            }
            Fit::None => return Understood::Missing { tool, phrase: phrase.join(" "), kind: "on the menu" },
        }
    }
    let mut calls = Vec::new();
    for (tool, field, names) in [(tool, "items", items), (option_tool, "options", options)] {
        if names.is_empty() {
            continue;
        }
        let mut unique: Vec<String> = Vec::new();
        for n in names {
            if !unique.contains(&n) {
                unique.push(n);
            }
        }
        let mut args = json!({ field: unique });
        extras(&mut args, until, &channels, reason.as_deref());
        if tool.starts_with("restore") {
            if let Some(o) = args.as_object_mut() {
                o.remove("until");
                o.remove("reason");
            }
        }
        calls.push(Call { tool, args });
    }
    Understood::Calls(calls)
}

fn extras(args: &mut Value, until: Option<Until>, channels: &[Channel], reason: Option<&str>) {
    if let Some(u) = until {
        args["until"] = until_value(u);
    }
    if !channels.is_empty() {
        args["channels"] = json!(channels);
    }
    if let Some(r) = reason {
        args["reason"] = json!(r);
    }
}

/// "a, b or c"
pub fn or_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

// ---------------------------------------------------------------- orders

/// An order's number and what is said about it.
#[derive(Debug, Clone, Copy)]
struct OrderWords {
    number_at: usize,
}

const ORDER_NOUNS: &[&str] = &["order", "ticket", "number", "no", "check", "orders", "tickets"];

/// Finds an order number: "order 12", "ticket twelve", "#12", "12 is ready", "bump 12".
fn order_words(t: &[Token]) -> Option<OrderWords> {
    for (i, x) in t.iter().enumerate() {
        let Some(n) = x.number() else { continue };
        if n.fract() != 0.0 || n < 1.0 {
            continue;
        }
        let before = i.checked_sub(1).and_then(|k| t[k].word());
        let after = t.get(i + 1).and_then(Token::word);
        let status_after = after.is_some_and(|w| status_word(w).is_some() || w == "is" || w == "for")
            && t[i + 1..].iter().any(|w| w.word().and_then(status_word).is_some());
        let unit_after = after.is_some_and(|w| {
            matches!(
                w,
                "minutes" | "minute" | "min" | "mins" | "hours" | "hour" | "case" | "cases" | "kg" | "pm" | "am"
            )
        });
        if unit_after {
            continue;
        }
        if before.is_some_and(|w| ORDER_NOUNS.contains(&w))
            || (status_after && i == 0)
            || before
                .is_some_and(|w| matches!(w, "bump" | "fire" | "cancel" | "void" | "complete" | "accept" | "start"))
        {
            return Some(OrderWords { number_at: i });
        }
    }
    None
}

fn status_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "ready" | "done" | "up" | "bump" | "bumped" | "finished" => "ready",
        "picked" | "collected" | "complete" | "completed" | "served" | "delivered" | "closed" | "went" | "gone" => {
            "completed"
        }
        "preparing" | "started" | "start" | "fire" | "fired" | "firing" | "making" | "cooking" | "progress" => {
            "preparing"
        }
        "accept" | "accepted" | "confirm" | "confirmed" => "accepted",
        "cancel" | "cancelled" | "canceled" | "void" | "voided" => "cancelled",
        _ => return None,
    })
}

fn order_call(t: &[Token], o: OrderWords, correction: Option<&[Token]>) -> Understood {
    let mut number = t[o.number_at].number().unwrap_or_default() as i64;
    if let Some(n) = correction.and_then(|c| c.iter().find_map(Token::number)) {
        number = n as i64;
    }
    let first = t.first().and_then(Token::word).unwrap_or_default();
    let question = matches!(
        first,
        "where" | "what" | "is" | "how" | "when" | "has" | "did" | "status" | "check" | "any" | "was" | "are"
    ) || find(t, &["status"]).is_some();
    let mut status = t.iter().filter_map(Token::word).find_map(status_word);
    if let Some(c) = correction {
        if let Some(s) = c.iter().filter_map(Token::word).find_map(status_word) {
            status = Some(s);
        }
    }
    match status {
        Some(s) if !question => {
            let mut args = json!({ "number": number, "status": s });
            if s == "cancelled" {
                let mut rest = t.to_vec();
                if let Some(r) = take_reason(&mut rest) {
                    args["reason"] = json!(r);
                }
            }
            Understood::Calls(vec![Call { tool: "set_order_status", args }])
        }
        _ => Understood::Calls(vec![Call { tool: "order_status", args: json!({ "number": number }) }]),
    }
}

// ---------------------------------------------------------------- busy mode

const END_BUSY: &[&[&str]] = &[
    &["end", "busy"],
    &["busy", "mode", "off"],
    &["busy", "off"],
    &["turn", "off", "busy"],
    &["stop", "busy"],
    &["cancel", "busy"],
    &["no", "longer", "busy"],
    &["not", "busy"],
    &["back", "to", "normal"],
    &["caught", "up"],
    &["exit", "busy"],
    &["leave", "busy"],
    &["disable", "busy"],
    &["switch", "off", "busy"],
    &["busy", "mode", "is", "over"],
];
const RESUME: &[&str] = &["unpause", "resume", "reopen", "open", "restart", "on", "start", "back"];
const PAUSE: &[&str] = &["pause", "paused", "stop", "off", "no", "shut", "close", "kill", "turn"];

fn busy(t: &mut Vec<Token>, now: Now) -> Understood {
    if END_BUSY.iter().any(|p| find(t, p).is_some()) {
        return Understood::Calls(vec![Call { tool: "busy_mode", args: json!({ "minutes": 0 }) }]);
    }
    let until = take_until(t, now, &["until", "till", "til"]);
    let channels = take_channels(t);
    let mut args = Map::new();
    let minutes = t.iter().enumerate().find_map(|(i, x)| {
        let n = x.number()?;
        t.get(i + 1)
            .and_then(Token::word)
            .filter(|w| matches!(*w, "minutes" | "minute" | "min" | "mins"))
            .map(|_| n)
            .or_else(|| t.get(i + 1).and_then(Token::word).filter(|w| matches!(*w, "hour" | "hours")).map(|_| n * 60.0))
    });
    let resume = t.iter().any(|w| w.word().is_some_and(|w| RESUME.contains(&w)))
        && !t
            .iter()
            .any(|w| w.word().is_some_and(|w| matches!(w, "pause" | "paused" | "stop" | "off" | "shut" | "no")));
    if !channels.is_empty() {
        if resume {
            args.insert("resume_channels".into(), json!(channels));
        } else if t.iter().any(|w| w.word().is_some_and(|w| PAUSE.contains(&w))) || minutes.is_none() {
            args.insert("channels".into(), json!(channels));
        }
    }
    match minutes {
        Some(m) => {
            args.insert("minutes".into(), json!(m.round() as i64));
        }
        None if channels.is_empty() => {
            if resume {
                return Understood::Calls(vec![Call { tool: "busy_mode", args: json!({ "minutes": 0 }) }]);
            }
            args.insert("minutes".into(), json!(15));
        }
        None => {}
    }
    if let Some(u) = until {
        args.insert("until".into(), until_value(u));
    }
    Understood::Calls(vec![Call { tool: "busy_mode", args: Value::Object(args) }])
}

// ---------------------------------------------------------------- tasks

const ROLES: &[(&[&str], &str)] = &[
    (&["for", "the", "kitchen"], "kitchen"),
    (&["for", "kitchen"], "kitchen"),
    (&["for", "the", "line"], "kitchen"),
    (&["for", "the", "cooks"], "kitchen"),
    (&["for", "back", "of", "house"], "kitchen"),
    (&["for", "the", "floor"], "staff"),
    (&["for", "front", "of", "house"], "staff"),
    (&["for", "staff"], "staff"),
    (&["for", "the", "staff"], "staff"),
    (&["for", "servers"], "staff"),
    (&["for", "the", "servers"], "staff"),
    (&["for", "managers"], "manager"),
    (&["for", "a", "manager"], "manager"),
    (&["for", "the", "manager"], "manager"),
];

fn task(t: &[Token], at: usize, len: usize, vocab: &Vocabulary, now: Now) -> Understood {
    let mut rest: Vec<Token> = t[at + len..].to_vec();
    let before: Vec<Token> = t[..at].to_vec();
    let due = take_until(&mut rest, now, &["by", "at", "before", "until", "till"]);
    let mut role = None;
    for (p, r) in ROLES {
        if let Some(i) = find(&rest, p) {
            rest.drain(i..i + p.len());
            role = Some(*r);
            break;
        }
    }
    // "… for Maria": a person on the staff.
    let mut assignee = None;
    if let Some(i) = rest.iter().rposition(|w| w.is("for")) {
        let who = edge_trim(words_of(&rest[i + 1..]));
        if !who.is_empty() && who.len() <= 3 {
            if let (Fit::One(k), s) = fit(&who, &vocab.staff) {
                if s >= 0.85 {
                    assignee = Some(vocab.staff[k].name.clone());
                    rest.truncate(i);
                }
            }
        }
    }
    let mut words = words_of(&rest);
    while words
        .first()
        .is_some_and(|w| matches!(w.as_str(), "to" | "that" | "please" | "can" | "we" | "task" | "a" | "colon"))
    {
        words.remove(0);
    }
    if words.is_empty() {
        // "someone needs to restock the walk-in": the trigger was in the middle.
        words = words_of(&before);
    }
    if words.is_empty() {
        return Understood::Incomplete { tool: "create_task", question: "What is the task?".into() };
    }
    let mut title = words.join(" ");
    if let Some(first) = title.get(..1) {
        title = format!("{}{}", first.to_uppercase(), &title[1..]);
    }
    let mut args = json!({ "title": title });
    if let Some(u) = due {
        args["due"] = until_value(u);
    }
    if let Some(r) = role {
        args["role"] = json!(r);
    }
    if let Some(a) = assignee {
        args["assignee"] = json!(a);
    }
    Understood::Calls(vec![Call { tool: "create_task", args }])
}

// ---------------------------------------------------------------- stock

/// Standard units as people say them, to the names the inventory takes.
const UNITS: &[(&str, &str)] = &[
    ("kg", "kg"),
    ("kgs", "kg"),
    ("kilo", "kg"),
    ("kilos", "kg"),
    ("kilogram", "kg"),
    ("kilograms", "kg"),
    ("g", "g"),
    ("gram", "g"),
    ("grams", "g"),
    ("lb", "lb"),
    ("lbs", "lb"),
    ("pound", "lb"),
    ("pounds", "lb"),
    ("oz", "oz"),
    ("ounce", "oz"),
    ("ounces", "oz"),
    ("l", "l"),
    ("liter", "l"),
    ("liters", "l"),
    ("litre", "l"),
    ("litres", "l"),
    ("ml", "ml"),
    ("milliliters", "ml"),
    ("millilitres", "ml"),
    ("gallon", "gal"),
    ("gallons", "gal"),
    ("gal", "gal"),
    ("quart", "qt"),
    ("quarts", "qt"),
    ("each", "each"),
    ("piece", "each"),
    ("pieces", "each"),
    ("units", "each"),
    ("dozen", "dozen"),
    ("dozens", "dozen"),
];

fn receive(t: &[Token], at: usize, len: usize, vocab: &Vocabulary, correction: Option<Vec<Token>>) -> Understood {
    let mut rest: Vec<Token> = t.to_vec();
    rest.drain(at..at + len);
    if let Some(c) = correction {
        rest = c;
    }
    let purchase: Vec<String> = vocab.stock.iter().flat_map(|e| e.units.iter().map(|u| u.to_lowercase())).collect();
    // The items' own units first ("gallon" as the dairy buys it), then the standard ones.
    let is_unit = |w: &str| -> Option<String> {
        if let Some(p) = purchase.iter().find(|p| **p == w || singular(w) == **p || singular(w) == singular(p)) {
            return Some(p.clone());
        }
        UNITS.iter().find(|(s, _)| *s == w).map(|(_, u)| (*u).to_owned())
    };
    let mut quantity = None;
    let mut unit = None;
    let mut drop = Vec::new();
    for i in 0..rest.len() {
        let q = match &rest[i] {
            Token::Number(n) => Some(*n),
            Token::Word(w)
                if (w == "a" || w == "an") && rest.get(i + 1).and_then(Token::word).and_then(is_unit).is_some() =>
            {
                Some(1.0)
            }
            _ => None,
        };
        let Some(q) = q else { continue };
        quantity = Some(q);
        drop.push(i);
        // "half a case": the "a" after "half".
        let mut k = i + 1;
        if q == 0.5 && rest.get(k).is_some_and(|w| w.is("a") || w.is("an")) {
            drop.push(k);
            k += 1;
        }
        if let Some(u) = rest.get(k).and_then(Token::word).and_then(is_unit) {
            unit = Some(u);
            drop.push(k);
            if rest.get(k + 1).is_some_and(|w| w.is("of")) {
                drop.push(k + 1);
            }
        }
        break;
    }
    let Some(quantity) = quantity else {
        return Understood::Incomplete { tool: "receive_stock", question: "How much came in?".into() };
    };
    let words: Vec<String> = rest
        .iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, x)| x)
        .filter(|x| **x != Token::Comma)
        .map(Token::text)
        .collect();
    let phrase = edge_trim(words);
    if phrase.is_empty() {
        return Understood::Incomplete { tool: "receive_stock", question: "Which stock item came in?".into() };
    }
    let mut args = json!({ "item": phrase.join(" "), "quantity": quantity });
    if let Some(u) = unit {
        args["unit"] = json!(u);
    }
    match fit(&phrase, &vocab.stock).0 {
        Fit::One(i) => {
            args["item"] = json!(vocab.stock[i].name);
            Understood::Calls(vec![Call { tool: "receive_stock", args }])
        }
        Fit::Many(all) => {
            let candidates: Vec<String> = all.iter().map(|&i| vocab.stock[i].name.clone()).collect();
            let question = format!("Which {}: {}?", phrase.join(" "), or_list(&candidates));
            Understood::Clarify {
                call: Call { tool: "receive_stock", args },
                field: "item",
                index: None,
                question,
                candidates,
            }
        }
        Fit::None => Understood::Missing { tool: "receive_stock", phrase: phrase.join(" "), kind: "in stock" },
    }
}

#[cfg(test)]
mod tests;
