//! A caller ordering food: "two burgers, one with cheese, and a coke", "make that four",
//! "remove the salad", "actually a lava cake instead", "what desserts do you have?",
//! "is the salmon available?", "can I talk to someone". The same words, numbers,
//! plurals and name matching as the operator's commands (`words`, [`fit`]), read against
//! one restaurant's menu: its items, their option groups, its categories.
//!
//! [`understand`] turns one thing a caller said into [`Act`]s, in the order said; the
//! phone agent's dialog decides what each does to the order being taken and what to ask
//! next. Nothing here guesses: a name that fits two items is [`Act::Ambiguous`], one that
//! fits nothing [`Act::Missing`], and words that are none of these are left out (the
//! dialog hears an empty list as "not understood").

use super::words::{singular, tokens, Token};
use super::{fit, Entry, Fit};
use uuid::Uuid;

/// One option of a group ("Double" of "Patty").
#[derive(Debug, Clone)]
pub struct MenuOption {
    pub id: Uuid,
    pub name: String,
    /// Minor units added to the item's price.
    pub price_delta: i64,
    pub available: bool,
}

/// A choice an item asks for: `min` options at least (1 or more: required), `max` at
/// most.
#[derive(Debug, Clone)]
pub struct OptionGroup {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub options: Vec<MenuOption>,
}

/// An item as a caller may order it.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub id: Uuid,
    pub name: String,
    /// Index into [`OrderMenu::categories`].
    pub category: usize,
    /// Minor units.
    pub price: i64,
    /// On sale now (not 86'd, on this channel, in its hours).
    pub available: bool,
    pub groups: Vec<OptionGroup>,
}

/// One restaurant's menu, with the names prepared for matching.
#[derive(Debug, Clone, Default)]
pub struct OrderMenu {
    pub categories: Vec<String>,
    pub items: Vec<MenuItem>,
    item_names: Vec<Entry>,
    category_names: Vec<Entry>,
    /// Per item: its options' names, each with (group, option).
    option_names: Vec<Vec<(Entry, usize, usize)>>,
    /// Per item: the same names alone, in the same order (what matching reads).
    option_entries: Vec<Vec<Entry>>,
}

impl OrderMenu {
    pub fn new(categories: Vec<String>, items: Vec<MenuItem>) -> OrderMenu {
        let item_names = items.iter().map(|i| Entry::new(&i.name, vec![i.id])).collect();
        let category_names = categories.iter().map(|c| Entry::new(c, Vec::new())).collect();
        let option_names: Vec<Vec<(Entry, usize, usize)>> = items
            .iter()
            .map(|i| {
                let mut names = Vec::new();
                for (g, group) in i.groups.iter().enumerate() {
                    for (o, option) in group.options.iter().enumerate() {
                        names.push((Entry::new(&option.name, vec![option.id]), g, o));
                    }
                }
                names
            })
            .collect();
        let option_entries =
            option_names.iter().map(|names| names.iter().map(|(e, _, _)| e.clone()).collect()).collect();
        OrderMenu { categories, items, item_names, category_names, option_names, option_entries }
    }

    /// The items of a category, available ones first.
    pub fn in_category(&self, category: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.items.len()).filter(|&i| self.items[i].category == category).collect();
        out.sort_by_key(|&i| !self.items[i].available);
        out
    }

    /// Which option of `group` of `item` an answer names ("double", "the double one").
    pub fn choose_option(&self, text: &str, item: usize, group: usize) -> Option<usize> {
        let words = phrase_words(&tokens(text));
        let names: Vec<&(Entry, usize, usize)> =
            self.option_names[item].iter().filter(|(_, g, _)| *g == group).collect();
        let entries: Vec<Entry> = names.iter().map(|(e, _, _)| e.clone()).collect();
        // The best span of what was said, as in an order.
        best_span(&words, &entries, OPTION_MIN).map(|i| names[i].2)
    }
}

/// What the caller wants of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub item: usize,
    pub quantity: u32,
    /// (group, option) of the item's groups.
    pub options: Vec<(usize, usize)>,
}

/// One thing a caller said.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Add(Wanted),
    /// Something ordered that is not on the menu, as heard.
    Missing(String),
    /// A name that fits several items as well as each other.
    Ambiguous {
        phrase: String,
        items: Vec<usize>,
    },
    /// "Make that four": of the item named, or the last one ordered.
    SetQuantity {
        item: Option<usize>,
        quantity: u32,
    },
    /// "Remove the salad": the item named, or the last one ordered.
    Remove {
        item: Option<usize>,
    },
    /// "Actually a lava cake instead (of the salad)".
    Replace {
        from: Option<usize>,
        to: Wanted,
    },
    /// "What desserts do you have?"
    AskCategory(usize),
    /// "What do you have?"
    AskMenu,
    /// "Is the salmon available?", "do you have salmon?"
    AskItem(usize),
    /// "How much is the burger?" (none: "how much is that", the order so far).
    AskPrice(Option<usize>),
    /// "How long is the wait?"
    AskWait,
    Yes,
    No,
    /// "That's all."
    Done,
    Pickup,
    /// For delivery, with the address when it was said ("deliver to 12 Main Street").
    Delivery {
        address: Option<String>,
    },
    /// "Can I talk to someone?"
    Human,
    /// "The usual."
    Usual,
    /// "Say that again?"
    Repeat,
}

/// The most words a name is said in.
const SPAN: usize = 5;
/// How well a phrase must name an item or an option to be taken as it.
const ITEM_MIN: f64 = 0.72;
const OPTION_MIN: f64 = 0.8;

/// Words said around an order that name nothing.
const FILLERS: &[&str] = &[
    "i", "id", "would", "like", "want", "wanna", "can", "could", "get", "have", "please", "the", "some", "of", "to",
    "for", "me", "us", "we", "gimme", "give", "let", "um", "uh", "uhm", "er", "erm", "oh", "okay", "ok", "so", "just",
    "also", "too", "as", "well", "order", "hi", "hello", "hey", "yes", "yeah", "yep", "sure", "then", "is", "it",
    "that", "this", "be", "will", "do", "you", "lets", "start", "with", "maybe", "think", "go", "take", "thanks",
    "thank", "great", "good", "cool", "alright", "right", "now", "today", "tonight", "my", "our", "their", "and",
    "plus", "another", "more", "one", "ones", "all", "what", "about", "how", "need", "there", "are", "in", "on", "at",
    "by", "add",
];

/// Sounds before the words.
const HESITATIONS: &[&str] = &["um", "uh", "uhm", "umm", "er", "erm", "hmm", "oh", "well", "so", "ah"];

/// Words that join things ordered, or an item and its options.
const JOINERS: &[&str] = &["and", "plus", "also", "then", "with", "add", "extra"];

fn phrase_words(tokens: &[Token]) -> Vec<String> {
    tokens.iter().map(Token::text).collect()
}

fn has(words: &[String], phrase: &[&str]) -> Option<usize> {
    if phrase.is_empty() || words.len() < phrase.len() {
        return None;
    }
    (0..=words.len() - phrase.len()).find(|&i| phrase.iter().zip(&words[i..]).all(|(p, w)| p == w))
}

fn any_of(words: &[String], phrases: &[&[&str]]) -> Option<(usize, usize)> {
    phrases.iter().filter_map(|p| has(words, p).map(|i| (i, p.len()))).min_by_key(|(i, _)| *i)
}

const HUMAN: &[&[&str]] = &[
    &["talk", "to", "someone"],
    &["speak", "to", "someone"],
    &["talk", "to", "somebody"],
    &["speak", "to", "somebody"],
    &["talk", "to", "a"],
    &["speak", "to", "a"],
    &["speak", "with", "a"],
    &["talk", "with", "a"],
    &["real", "person"],
    &["a", "person"],
    &["a", "human"],
    &["human", "being"],
    &["operator"],
    &["representative"],
    &["manager"],
    &["agent"],
];
const WAIT: &[&[&str]] = &[
    &["how", "long"],
    &["the", "wait"],
    &["wait", "time"],
    &["when", "will", "it", "be", "ready"],
    &["how", "much", "time"],
    &["how", "soon"],
];
const DONE: &[&[&str]] = &[
    &["that", "is", "all"],
    &["that", "is", "it"],
    &["that", "will", "be", "all"],
    &["that", "will", "be", "it"],
    &["that", "should", "be", "all"],
    &["that", "is", "everything"],
    &["nothing", "else"],
    &["i", "am", "done"],
    &["all", "done"],
    &["we", "are", "done"],
    &["we", "are", "good"],
    &["i", "am", "good"],
    &["no", "more"],
    &["all", "set"],
    &["done"],
    &["finished"],
];
const REPEAT: &[&[&str]] = &[
    &["say", "that", "again"],
    &["say", "again"],
    &["repeat", "that"],
    &["what", "was", "that"],
    &["pardon"],
    &["come", "again"],
    &["repeat"],
];
const USUAL: &[&[&str]] =
    &[&["usual"], &["same", "as", "last", "time"], &["same", "again"], &["same", "thing"], &["last", "order"]];
const PICKUP: &[&[&str]] = &[
    &["pick", "up"],
    &["pick", "it", "up"],
    &["pickup"],
    &["collect"],
    &["collection"],
    &["takeout"],
    &["take", "out"],
    &["carry", "out"],
    &["to", "go"],
    &["come", "get"],
    &["come", "by"],
];
const DELIVERY: &[&[&str]] = &[&["delivery"], &["deliver"], &["delivered"], &["bring", "it", "to"]];
const YES: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "yea",
    "sure",
    "correct",
    "right",
    "perfect",
    "absolutely",
    "ok",
    "okay",
    "great",
    "confirm",
    "confirmed",
    "affirmative",
    "definitely",
    "exactly",
    "fine",
    "good",
];
const NO: &[&str] = &["no", "nope", "nah", "wrong", "incorrect", "not"];
const REMOVE: &[&[&str]] = &[
    &["remove"],
    &["take", "off"],
    &["take", "that", "off"],
    &["take", "it", "off"],
    &["take", "those", "off"],
    &["take", "away"],
    &["cancel"],
    &["scratch"],
    &["drop"],
    &["forget", "about"],
    &["forget"],
    &["delete"],
    &["get", "rid", "of"],
    &["do", "not", "want"],
    &["no", "longer", "want"],
];
const SET: &[&[&str]] = &[
    &["make", "that"],
    &["make", "it"],
    &["make", "those"],
    &["make", "them"],
    &["change", "that", "to"],
    &["change", "it", "to"],
    &["change", "to"],
];

/// What one utterance of a caller says, in the order said. Empty: not understood.
pub fn understand(text: &str, menu: &OrderMenu) -> Vec<Act> {
    let toks = tokens(text);
    let words = phrase_words(&toks);
    if words.is_empty() {
        return Vec::new();
    }
    let mut acts = Vec::new();
    if any_of(&words, HUMAN).is_some() {
        return vec![Act::Human];
    }
    if any_of(&words, REPEAT).is_some() && words.len() <= 5 {
        return vec![Act::Repeat];
    }
    // A question asks; it orders nothing.
    if let Some(q) = question(&words, &toks, menu) {
        return vec![q];
    }
    // Corrections: each names its own items.
    if let Some(act) = correction(&words, &toks, menu) {
        return vec![act];
    }
    // A yes or a no comes first when it is said at all ("yes, and a coke").
    // The first word that says something ("um, yeah" is a yes).
    let lead = words.iter().position(|w| !HESITATIONS.contains(&w.as_str())).unwrap_or(0);
    let first = words[lead].as_str();
    let no_item_after_no = first == "no" && items_in(&toks[lead + 1..], menu).is_empty();
    if YES.contains(&first)
        || has(&words, &["that", "is", "right"]).is_some()
        || has(&words, &["sounds", "good"]).is_some()
    {
        if !(first == "right" && words.len() > 1 && has(&words, &["that", "is", "right"]).is_none()) {
            acts.push(Act::Yes);
        }
    } else if NO.contains(&first) && no_item_after_no {
        acts.push(Act::No);
    } else if first == "no" {
        // "No salad": take it off.
        let named = items_in(&toks[lead + 1..], menu);
        if let Some(Act::Add(w)) = named.first() {
            return vec![Act::Remove { item: Some(w.item) }];
        }
    }
    if any_of(&words, USUAL).is_some() {
        acts.push(Act::Usual);
    }
    // What follows "deliver to" is an address, not an order ("12 Main Street").
    let mut order_words = toks.len();
    if let Some((at, len)) = any_of(&words, DELIVERY) {
        acts.push(Act::Delivery { address: address_after(text, &words[at + len..]) });
        order_words = at;
    } else if any_of(&words, PICKUP).is_some() {
        acts.push(Act::Pickup);
    }
    let ordered = items_in(&toks[..order_words], menu);
    let said_items = !ordered.is_empty();
    acts.extend(ordered);
    if any_of(&words, DONE).is_some() && !said_items {
        // "No, that's all" is done, not a no.
        acts.retain(|a| *a != Act::No);
        acts.push(Act::Done);
    }
    acts
}

/// The address a caller gave after "deliver to", as they said it (the recogniser's
/// text, not our words): from the first number on, or all that follows "to".
fn address_after(text: &str, rest: &[String]) -> Option<String> {
    if rest.is_empty() {
        return None;
    }
    let lower = text.to_lowercase();
    let at = ["deliver it to ", "delivered to ", "deliver to ", "delivery to ", " to ", " at "]
        .iter()
        .filter_map(|m| lower.find(m).map(|i| i + m.len()))
        .min()?;
    let address = text[at..].trim().trim_end_matches(['.', '?', '!']).trim();
    (address.chars().any(|c| c.is_ascii_digit()) && address.len() >= 5).then(|| address.to_owned())
}

fn question(words: &[String], toks: &[Token], menu: &OrderMenu) -> Option<Act> {
    if any_of(words, WAIT).is_some() {
        return Some(Act::AskWait);
    }
    let asks = matches!(words[0].as_str(), "what" | "which" | "is" | "are" | "do" | "does" | "have" | "any" | "how")
        || has(words, &["do", "you", "have"]).is_some()
        || has(words, &["do", "you", "guys", "have"]).is_some()
        || has(words, &["what", "kind"]).is_some()
        || has(words, &["what", "kinds"]).is_some()
        || has(words, &["what", "type"]).is_some()
        || has(words, &["available"]).is_some()
        || has(words, &["tell", "me", "about"]).is_some()
        || has(words, &["what", "is", "on", "the", "menu"]).is_some();
    if !asks {
        return None;
    }
    if let Some(i) = has(words, &["how", "much"]) {
        let named = items_in(&toks[i + 2..], menu);
        return Some(Act::AskPrice(named.iter().find_map(|a| match a {
            Act::Add(w) => Some(w.item),
            _ => None,
        })));
    }
    // A category named ("desserts", "drinks") is a question about it; an item named is a
    // question about the item.
    let content: Vec<String> = words
        .iter()
        .filter(|w| !FILLERS.contains(&w.as_str()) && !QUESTION_WORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    if let Some(c) = best_span(&content, &menu.category_names, 0.8) {
        return Some(Act::AskCategory(c));
    }
    let named = items_in(toks, menu);
    match named.first() {
        Some(Act::Add(w)) => return Some(Act::AskItem(w.item)),
        Some(Act::Ambiguous { items, .. }) => return Some(Act::AskItem(items[0])),
        _ => {}
    }
    if content.is_empty()
        || has(words, &["menu"]).is_some()
        || (words[0] == "what" && (has(words, &["have"]).is_some() || has(words, &["got"]).is_some()))
    {
        return Some(Act::AskMenu);
    }
    // "Do you have pizza?": something not on the menu.
    if words[0] != "how" && (has(words, &["do", "you", "have"]).is_some() || has(words, &["available"]).is_some()) {
        return Some(Act::Missing(content.join(" ")));
    }
    None
}

const QUESTION_WORDS: &[&str] = &[
    "what",
    "which",
    "kind",
    "kinds",
    "type",
    "types",
    "does",
    "guys",
    "available",
    "sell",
    "serve",
    "offer",
    "any",
    "tell",
    "about",
    "got",
    "options",
    "option",
    "choices",
    "still",
    "tonight",
    "menu",
    "your",
];

fn correction(words: &[String], toks: &[Token], menu: &OrderMenu) -> Option<Act> {
    // "Instead of the salad, a lava cake" / "a lava cake instead of the salad".
    if let Some(i) = has(words, &["instead", "of"]) {
        let after = items_in(&toks[i + 2..], menu);
        let before = items_in(&toks[..i], menu);
        let first = |acts: &[Act]| {
            acts.iter().find_map(|a| match a {
                Act::Add(w) => Some(w.clone()),
                _ => None,
            })
        };
        // Whichever side comes after the other thing: "instead of X, Y" or "Y instead of X".
        let (from, to) = if before.is_empty() {
            let from = first(&after);
            let to = after.iter().skip(1).find_map(|a| match a {
                Act::Add(w) => Some(w.clone()),
                _ => None,
            });
            (from, to)
        } else {
            (first(&after), first(&before))
        };
        if let Some(to) = to {
            return Some(Act::Replace { from: from.map(|w| w.item), to });
        }
    }
    if let Some(i) = has(words, &["instead"]) {
        let named = items_in(&toks[..i], menu);
        if let Some(Act::Add(to)) = named.iter().rev().find(|a| matches!(a, Act::Add(_))) {
            return Some(Act::Replace { from: None, to: to.clone() });
        }
    }
    // "Swap the salad for a lava cake", "replace the salad with a lava cake", "change the
    // salad to a lava cake".
    for (verb, link) in [("swap", "for"), ("replace", "with"), ("change", "to"), ("switch", "to"), ("switch", "for")] {
        if let (Some(v), Some(l)) = (has(words, &[verb]), words.iter().rposition(|w| w == link)) {
            if v < l {
                let from = items_in(&toks[v + 1..l], menu);
                let to = items_in(&toks[l + 1..], menu);
                if let (Some(Act::Add(f)), Some(Act::Add(t))) = (from.first(), to.first()) {
                    return Some(Act::Replace { from: Some(f.item), to: t.clone() });
                }
            }
        }
    }
    // "Make that four", "make it two burgers", "change that to three".
    if let Some((at, len)) = any_of(words, SET) {
        let rest = &toks[at + len..];
        if let Some(n) = rest.iter().find_map(Token::number) {
            let item = items_in(rest, menu).iter().find_map(|a| match a {
                Act::Add(w) => Some(w.item),
                _ => None,
            });
            return quantity(n).map(|quantity| Act::SetQuantity { item, quantity });
        }
    }
    // "Actually four" / "actually, four burgers": a number with little else.
    if words[0] == "actually" || words[0] == "sorry" {
        let rest = &toks[1..];
        if let Some(n) = rest.first().and_then(Token::number) {
            let named = items_in(rest, menu);
            let item = named.iter().find_map(|a| match a {
                Act::Add(w) => Some(w.item),
                _ => None,
            });
            if named.len() <= 1 {
                return quantity(n).map(|quantity| Act::SetQuantity { item, quantity });
            }
        }
    }
    if let Some((at, len)) = any_of(words, REMOVE) {
        let named = items_in(&toks[at + len..], menu);
        let item = named.iter().find_map(|a| match a {
            Act::Add(w) => Some(w.item),
            Act::Ambiguous { items, .. } => items.first().copied(),
            _ => None,
        });
        // "Cancel" alone, or "cancel the order", is not taking one item off.
        let pointed = words[at..].iter().take(len + 2).any(|w| matches!(w.as_str(), "that" | "it" | "those" | "them"));
        if item.is_some() || pointed {
            return Some(Act::Remove { item });
        }
    }
    None
}

fn quantity(n: f64) -> Option<u32> {
    (n >= 1.0 && n.fract() == 0.0 && n <= 100_000.0).then_some(n as u32)
}

/// The best entry a span of `words` names, at `min` or better.
fn best_span(words: &[String], entries: &[Entry], min: f64) -> Option<usize> {
    // The best score; of equals, the longest span ("medium rare" over "medium").
    let mut best: Option<(usize, f64, usize)> = None;
    for start in 0..words.len() {
        for end in (start + 1)..=(start + SPAN).min(words.len()) {
            if let (Fit::One(i), score) = fit(&words[start..end], entries) {
                let len = end - start;
                if score >= min && best.is_none_or(|(_, s, l)| score > s || (score == s && len > l)) {
                    best = Some((i, score, len));
                }
            }
        }
    }
    best.map(|(i, _, _)| i)
}

/// What a span starting at `at` names: the longest, best-scoring span.
struct Named {
    end: usize,
    fit: Fit,
    score: f64,
}

fn name_at(words: &[String], at: usize, entries: &[Entry], min: f64) -> Option<Named> {
    let mut best: Option<Named> = None;
    for end in (at + 1)..=(at + SPAN).min(words.len()) {
        // A span never runs across a comma or a number. It may hold an "and" ("chips and
        // salsa"): "burrito and flan" names the burrito less well than "burrito" does.
        let span = &words[at..end];
        if span.iter().skip(1).any(|w| w == "," || w.parse::<f64>().is_ok()) {
            break;
        }
        if FILLERS.contains(&span.last().map(String::as_str).unwrap_or_default()) && end > at + 1 {
            continue;
        }
        // Words that name nothing never name a dish by sounding like one ("that" is not
        // "Thai").
        if span.iter().all(|w| FILLERS.contains(&w.as_str())) {
            continue;
        }
        let (fit, score) = fit(span, entries);
        if score >= min && best.as_ref().is_none_or(|b| score >= b.score) {
            best = Some(Named { end, fit, score });
        }
    }
    best
}

/// The items (with quantities and options) a stretch of words orders, and what it names
/// that is not on the menu.
///
/// A quantity followed by an option of the item just ordered splits it: "two lattes, one
/// with oat milk" is one latte with oat milk and one without; "two ramen, one mild and
/// one spicy" is one of each. "A" before an option of that item is its option ("with a
/// soft egg"), unless an item follows ("a burger and a large fries").
fn items_in(toks: &[Token], menu: &OrderMenu) -> Vec<Act> {
    let words = phrase_words(toks);
    let mut out: Vec<Act> = Vec::new();
    let mut current: Option<Wanted> = None;
    // The part of `current` being told apart ("one with oat milk"), split off it.
    let mut part: Option<Wanted> = None;
    let mut qty: Option<u32> = None;
    // Options said before their item ("a double burger").
    let mut before: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut i = 0;
    let flush_unknown = |unknown: &mut Vec<String>, qty: &mut Option<u32>, out: &mut Vec<Act>| {
        let said: Vec<String> = unknown.drain(..).filter(|w| !FILLERS.contains(&w.as_str())).collect();
        if !said.is_empty() && qty.is_some() {
            out.push(Act::Missing(said.join(" ")));
            *qty = None;
        }
    };
    let finish = |current: &mut Option<Wanted>, part: &mut Option<Wanted>, out: &mut Vec<Act>| {
        if let Some(p) = part.take() {
            out.push(Act::Add(p));
        }
        if let Some(done) = current.take().filter(|c| c.quantity > 0) {
            out.push(Act::Add(done));
        }
    };
    while i < words.len() {
        let w = words[i].as_str();
        if let Some(n) = toks[i].number() {
            flush_unknown(&mut unknown, &mut qty, &mut out);
            qty = quantity(n);
            i += 1;
            continue;
        }
        if matches!(w, "a" | "an") {
            flush_unknown(&mut unknown, &mut qty, &mut out);
            qty = Some(1);
            i += 1;
            continue;
        }
        if w == "," || JOINERS.contains(&w) {
            flush_unknown(&mut unknown, &mut qty, &mut out);
            i += 1;
            continue;
        }
        // An option of the item being ordered: with no quantity, of it (or of the part
        // being told apart); with one, a part of it, unless an item follows.
        if let Some(cur) = &mut current {
            if let Some(n) = name_at(&words, i, &menu.option_entries[cur.item], OPTION_MIN) {
                let item_better =
                    name_at(&words, i, &menu.item_names, ITEM_MIN).is_some_and(|it| it.score > n.score + 0.05);
                // An item right after the option ("a large fries"), not after an "and".
                let item_next = words.get(n.end).is_some_and(|w| w != "," && !JOINERS.contains(&w.as_str()))
                    && name_at(&words, n.end, &menu.item_names, ITEM_MIN).is_some();
                if let (Fit::One(o), false) = (&n.fit, item_better) {
                    let (_, g, o) = menu.option_names[cur.item][*o];
                    match qty {
                        None => {
                            let target = part.as_mut().unwrap_or(cur);
                            if !target.options.contains(&(g, o)) {
                                target.options.push((g, o));
                            }
                            i = n.end;
                            continue;
                        }
                        Some(k) if !item_next => {
                            qty = None;
                            if let Some(p) = part.take() {
                                out.push(Act::Add(p));
                            }
                            if k < cur.quantity {
                                let mut options = cur.options.clone();
                                options.push((g, o));
                                cur.quantity -= k;
                                part = Some(Wanted { item: cur.item, quantity: k, options });
                            } else if !cur.options.contains(&(g, o)) {
                                // The rest of it ("and one spicy"), or all of it ("with a
                                // soft egg").
                                cur.options.push((g, o));
                            }
                            i = n.end;
                            continue;
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let Some(n) = name_at(&words, i, &menu.item_names, ITEM_MIN) {
            flush_unknown(&mut unknown, &mut None, &mut out);
            finish(&mut current, &mut part, &mut out);
            let quantity = qty.take().unwrap_or(1);
            let fit = match n.fit {
                Fit::Many(items) => narrow(items, &before, menu),
                other => other,
            };
            match fit {
                Fit::One(item) => {
                    let mut wanted = Wanted { item, quantity, options: Vec::new() };
                    for word in before.drain(..) {
                        if let (Fit::One(o), s) = fit_option(&word, &menu.option_entries[item]) {
                            if s >= OPTION_MIN {
                                let (_, g, o) = menu.option_names[item][o];
                                wanted.options.push((g, o));
                            }
                        }
                    }
                    current = Some(wanted);
                }
                Fit::Many(items) => {
                    before.clear();
                    out.push(Act::Ambiguous { phrase: words[i..n.end].join(" "), items });
                }
                Fit::None => {}
            }
            i = n.end;
            continue;
        }
        // An option word before its item: kept for the item that follows.
        let any_option = menu.option_names.iter().flatten().any(|(e, _, _)| {
            let (f, s) = fit(std::slice::from_ref(&words[i]), std::slice::from_ref(e));
            f != Fit::None && s >= OPTION_MIN
        });
        if any_option && !FILLERS.contains(&w) {
            before.push(singular(w));
            i += 1;
            continue;
        }
        if !FILLERS.contains(&w) {
            // A word that names nothing: an item not on the menu, when a quantity came
            // before it ("two pizzas").
            finish(&mut current, &mut part, &mut out);
        }
        unknown.push(words[i].clone());
        i += 1;
    }
    flush_unknown(&mut unknown, &mut qty, &mut out);
    finish(&mut current, &mut part, &mut out);
    out
}

fn fit_option(word: &str, entries: &[Entry]) -> (Fit, f64) {
    fit(&[word.to_owned()], entries)
}

/// Of several items a name fits as well as each other ("fries": French Fries, Sweet
/// Potato Fries), the one the options said before it belong to ("a large fries"), else
/// the one that can be had when the others cannot (read back, so the caller hears it).
fn narrow(items: Vec<usize>, before: &[String], menu: &OrderMenu) -> Fit {
    let takes = |item: usize| {
        before.iter().any(|w| matches!(fit_option(w, &menu.option_entries[item]), (Fit::One(_), s) if s >= OPTION_MIN))
    };
    let mut left: Vec<usize> = items.iter().copied().filter(|&i| takes(i)).collect();
    if left.is_empty() {
        left = items.clone();
    }
    if left.len() > 1 {
        let available: Vec<usize> = left.iter().copied().filter(|&i| menu.items[i].available).collect();
        if !available.is_empty() {
            left = available;
        }
    }
    match left.as_slice() {
        [one] => Fit::One(*one),
        _ => Fit::Many(items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, n: u128) -> MenuOption {
        MenuOption { id: Uuid::from_u128(n), name: name.into(), price_delta: 0, available: true }
    }

    fn item(name: &str, category: usize, n: u128, groups: Vec<OptionGroup>) -> MenuItem {
        MenuItem { id: Uuid::from_u128(n), name: name.into(), category, price: 1000, available: true, groups }
    }

    /// A menu unlike the demo's: a taqueria.
    fn menu() -> OrderMenu {
        let size = |n| OptionGroup {
            name: "Size".into(),
            min: 1,
            max: 1,
            options: vec![option("Small", n), option("Large", n + 1)],
        };
        let protein = OptionGroup {
            name: "Protein".into(),
            min: 1,
            max: 1,
            options: vec![option("Chicken", 50), option("Carnitas", 51), option("Barbacoa", 52)],
        };
        let extras = OptionGroup {
            name: "Extras".into(),
            min: 0,
            max: 3,
            options: vec![option("Guacamole", 60), option("Sour Cream", 61), option("Cheese", 62)],
        };
        OrderMenu::new(
            vec!["Tacos".into(), "Sides".into(), "Desserts".into(), "Drinks".into()],
            vec![
                item("Burrito", 0, 1, vec![protein.clone(), extras.clone()]),
                item("Street Tacos", 0, 2, vec![protein.clone()]),
                item("Quesadilla", 0, 3, vec![protein, extras]),
                item("Chips and Salsa", 1, 4, vec![]),
                item("Elote", 1, 5, vec![]),
                item("Churros", 2, 6, vec![]),
                item("Flan", 2, 7, vec![]),
                item("Horchata", 3, 8, vec![size(70)]),
                item("Mexican Coke", 3, 9, vec![]),
                item("Agua Fresca", 3, 10, vec![size(72)]),
            ],
        )
    }

    fn add(item: usize, quantity: u32, options: &[(usize, usize)]) -> Act {
        Act::Add(Wanted { item, quantity, options: options.to_vec() })
    }

    #[test]
    fn several_items_in_one_sentence_with_quantities_in_words_and_options() {
        let m = menu();
        assert_eq!(
            understand("Hi, can I get two burritos with chicken and guacamole and a large horchata", &m),
            [add(0, 2, &[(0, 0), (1, 0)]), add(7, 1, &[(0, 1)])]
        );
        assert_eq!(
            understand("three street tacos carnitas, chips and salsa, and two flans", &m),
            [add(1, 3, &[(0, 1)]), add(3, 1, &[]), add(6, 2, &[])]
        );
        assert_eq!(understand("a barbacoa quesadilla please", &m), [add(2, 1, &[(0, 2)])]);
        assert_eq!(understand("I'd like an elote and a mexican coke", &m), [add(4, 1, &[]), add(8, 1, &[])]);
        assert_eq!(understand("twelve churros", &m), [add(5, 12, &[])]);
    }

    #[test]
    fn a_quantity_before_an_option_splits_the_item_just_ordered() {
        let m = menu();
        // "Two, one with guacamole": one with it, one without.
        assert_eq!(
            understand("two chicken burritos one with guacamole", &m),
            [add(0, 1, &[(0, 0), (1, 0)]), add(0, 1, &[(0, 0)])]
        );
        // One of each.
        assert_eq!(
            understand("three street tacos two chicken and one barbacoa", &m),
            [add(1, 2, &[(0, 0)]), add(1, 1, &[(0, 2)])]
        );
        // "A" before an option of the item is its option; before an item, a new item.
        assert_eq!(understand("a burrito with a sour cream", &m), [add(0, 1, &[(1, 1)])]);
        assert_eq!(understand("a horchata and a large agua fresca", &m), [add(7, 1, &[]), add(9, 1, &[(0, 1)])]);
    }

    #[test]
    fn a_name_several_items_fit_is_settled_by_options_or_what_can_be_had() {
        let mut m = menu();
        m.items.push(item("Horchata Latte", 3, 11, vec![]));
        let m = OrderMenu::new(m.categories.clone(), m.items.clone());
        // "horchata" names the Horchata best; "large" names only its size.
        assert_eq!(understand("a large horchata", &m), [add(7, 1, &[(0, 1)])]);
        let both = vec![
            item("French Fries", 1, 20, vec![]),
            MenuItem { available: false, ..item("Sweet Potato Fries", 1, 21, vec![]) },
        ];
        let fries = OrderMenu::new(vec!["Sides".into()], both);
        assert_eq!(understand("and some fries", &fries), [add(0, 1, &[])]);
    }

    #[test]
    fn the_longest_option_named_is_chosen_and_possessives_stay_in_their_name() {
        let doneness = OptionGroup {
            name: "Doneness".into(),
            min: 1,
            max: 1,
            options: vec![option("Medium Rare", 80), option("Medium", 81)],
        };
        let m = OrderMenu::new(
            vec!["Mains".into(), "Drinks".into()],
            vec![item("Steak", 0, 1, vec![doneness]), item("Dr. Brown's Soda", 1, 2, vec![])],
        );
        assert_eq!(m.choose_option("medium rare please", 0, 0), Some(0));
        assert_eq!(m.choose_option("medium", 0, 0), Some(1));
        // "That's all" is "that is all": it orders no Dr. Brown's, and no Pad Thai.
        assert!(!understand("that's all", &m).iter().any(|a| matches!(a, Act::Add(_))));
        let thai = OrderMenu::new(vec!["Mains".into()], vec![item("Pad Thai", 0, 3, vec![])]);
        assert_eq!(understand("that's all", &thai), [Act::Done]);
        assert_eq!(understand("that's it", &thai), [Act::Done]);
        assert_eq!(understand("a pad thai", &thai), [add(0, 1, &[])]);
        assert_eq!(understand("a dr brown's soda", &m), [add(1, 1, &[])]);
    }

    #[test]
    fn what_is_not_on_the_menu_is_said_so() {
        let m = menu();
        assert_eq!(understand("two pizzas and a flan", &m), [Act::Missing("pizzas".into()), add(6, 1, &[])]);
        assert_eq!(understand("do you have pizza?", &m), [Act::Missing("pizza".into())]);
    }

    #[test]
    fn corrections() {
        let m = menu();
        assert_eq!(understand("make that four", &m), [Act::SetQuantity { item: None, quantity: 4 }]);
        assert_eq!(understand("actually make it two burritos", &m), [Act::SetQuantity { item: Some(0), quantity: 2 }]);
        assert_eq!(understand("remove the elote", &m), [Act::Remove { item: Some(4) }]);
        assert_eq!(understand("no elote", &m), [Act::Remove { item: Some(4) }]);
        assert_eq!(understand("take that off", &m), [Act::Remove { item: None }]);
        assert_eq!(
            understand("actually churros instead", &m),
            [Act::Replace { from: None, to: Wanted { item: 5, quantity: 1, options: vec![] } }]
        );
        assert_eq!(
            understand("instead of the flan, churros", &m),
            [Act::Replace { from: Some(6), to: Wanted { item: 5, quantity: 1, options: vec![] } }]
        );
        assert_eq!(
            understand("swap the flan for churros", &m),
            [Act::Replace { from: Some(6), to: Wanted { item: 5, quantity: 1, options: vec![] } }]
        );
    }

    #[test]
    fn questions() {
        let m = menu();
        assert_eq!(understand("what desserts do you have?", &m), [Act::AskCategory(2)]);
        assert_eq!(understand("what kind of drinks are there", &m), [Act::AskCategory(3)]);
        assert_eq!(understand("is the elote available?", &m), [Act::AskItem(4)]);
        assert_eq!(understand("do you have horchata", &m), [Act::AskItem(7)]);
        assert_eq!(understand("how long is the wait?", &m), [Act::AskWait]);
        assert_eq!(understand("what's on the menu", &m), [Act::AskMenu]);
        assert_eq!(understand("how much is the burrito", &m), [Act::AskPrice(Some(0))]);
    }

    #[test]
    fn answers_handoffs_and_the_rest() {
        let m = menu();
        assert_eq!(understand("yes", &m), [Act::Yes]);
        assert_eq!(understand("yeah that's right", &m), [Act::Yes]);
        assert_eq!(understand("no", &m), [Act::No]);
        assert_eq!(understand("no, that's all", &m), [Act::Done]);
        assert_eq!(understand("that's it thanks", &m), [Act::Done]);
        assert_eq!(understand("yes and a flan", &m), [Act::Yes, add(6, 1, &[])]);
        assert_eq!(understand("can I talk to someone", &m), [Act::Human]);
        assert_eq!(understand("let me speak to a manager", &m), [Act::Human]);
        assert_eq!(understand("for pickup", &m), [Act::Pickup]);
        assert_eq!(
            understand("Delivery to 12 Main Street, apartment 4.", &m),
            [Act::Delivery { address: Some("12 Main Street, apartment 4".into()) }]
        );
        assert_eq!(understand("delivery please", &m), [Act::Delivery { address: None }]);
        assert_eq!(understand("the usual please", &m), [Act::Usual]);
        assert_eq!(understand("sorry, say that again?", &m), [Act::Repeat]);
        assert_eq!(understand("blue elephants sing", &m), []);
        assert_eq!(understand("", &m), []);
    }

    /// Another kitchen, as a speech recogniser writes callers: no capitals, no commas,
    /// "um", numbers in words.
    #[test]
    fn a_thai_kitchen_heard_by_a_recogniser() {
        let spice = OptionGroup {
            name: "Spice".into(),
            min: 1,
            max: 1,
            options: vec![option("Mild", 80), option("Medium", 81), option("Hot", 82)],
        };
        let m = OrderMenu::new(
            vec!["Curries".into(), "Noodles".into(), "Starters".into(), "Desserts".into()],
            vec![
                item("Green Curry", 0, 1, vec![spice.clone()]),
                item("Massaman Curry", 0, 2, vec![spice.clone()]),
                item("Pad Thai", 1, 3, vec![spice.clone()]),
                item("Pad See Ew", 1, 4, vec![]),
                item("Spring Rolls", 2, 5, vec![]),
                item("Chicken Satay", 2, 6, vec![]),
                item("Mango Sticky Rice", 3, 7, vec![]),
            ],
        );
        assert_eq!(
            understand("um yeah can i get a pad thai medium and two spring rolls", &m),
            [Act::Yes, add(2, 1, &[(0, 1)]), add(4, 2, &[])]
        );
        assert_eq!(
            understand("one hot green curry one massaman curry mild", &m),
            [add(0, 1, &[(0, 2)]), add(1, 1, &[(0, 0)])]
        );
        assert_eq!(understand("pad see ew and a mango sticky rice", &m), [add(3, 1, &[]), add(6, 1, &[])]);
        assert_eq!(understand("chicken satay", &m), [add(5, 1, &[])]);
        // "curry" alone fits two curries: asked, never guessed.
        assert_eq!(understand("a curry", &m), [Act::Ambiguous { phrase: "curry".into(), items: vec![0, 1] }]);
        assert_eq!(understand("what noodles do you have", &m), [Act::AskCategory(1)]);
        assert_eq!(understand("make that three spring rolls", &m), [Act::SetQuantity { item: Some(4), quantity: 3 }]);
    }

    #[test]
    fn a_required_option_is_chosen_from_an_answer() {
        let m = menu();
        assert_eq!(m.choose_option("the carnitas one", 0, 0), Some(1));
        assert_eq!(m.choose_option("chicken please", 0, 0), Some(0));
        assert_eq!(m.choose_option("large", 7, 0), Some(1));
        assert_eq!(m.choose_option("guacamole", 0, 0), None, "not of that group");
        assert_eq!(m.in_category(2), [5, 6]);
    }
}
