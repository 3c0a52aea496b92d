//! The parser on a development menu. The held-out corpus it is measured on (other menus,
//! other phrasings) is in `brigade-bench`, which these cases never saw.

use super::*;
use serde_json::json;

fn vocab() -> Vocabulary {
    let ids =
        |names: &[&str]| -> Vec<(Uuid, String)> { names.iter().map(|n| (Uuid::new_v4(), (*n).to_owned())).collect() };
    let mut stock = Vocabulary::entries(ids(&[
        "Mozzarella",
        "Flour",
        "Tomatoes",
        "Salmon fillet",
        "Eggs",
        "Whole milk",
        "Oat milk",
    ]));
    stock[0].units = vec!["case".into()];
    stock[4].units = vec!["flat".into()];
    Vocabulary {
        items: Vocabulary::entries(ids(&[
            "Grilled Salmon",
            "Penne Arrabbiata",
            "Classic Burger",
            "Veggie Burger",
            "Bacon Cheeseburger",
            "Fish and Chips",
            "Chocolate Shake",
            "Vanilla Shake",
            "Tiramisu",
            "Caesar Salad",
            "Fries",
            "Cola",
            "Garlic Bread",
            "Bruschetta",
            "Gelato",
        ])),
        options: Vocabulary::entries(ids(&["Avocado", "Extra cheese", "Bacon", "Gluten-free bun", "Oat milk"])),
        stock,
        staff: Vocabulary::entries(ids(&["Maria Lopez", "Sam Chen", "Jo Park"])),
    }
}

fn now() -> Now {
    Now { at: "2026-03-02T19:10:00Z".parse().unwrap(), tz: "America/New_York".parse().unwrap() }
}

fn calls(text: &str) -> Vec<(String, Value)> {
    match parse(text, &vocab(), now()) {
        Understood::Calls(c) => c.into_iter().map(|c| (c.tool.to_owned(), c.args)).collect(),
        other => panic!("{text}: {other:?}"),
    }
}

fn one(text: &str) -> (String, Value) {
    let mut c = calls(text);
    assert_eq!(c.len(), 1, "{text}: {c:?}");
    c.remove(0)
}

#[test]
fn eighty_six_as_kitchens_say_it() {
    for text in [
        "86 the salmon",
        "eighty six salmon",
        "we're out of salmon",
        "salmon is 86'd",
        "no more grilled salmon",
        "salmon's gone",
        "kill the salmon",
        "Brigade, 86 the grilled salmon please",
        "we ran out of salmon",
        "86 the samlon",
    ] {
        assert_eq!(one(text), ("eighty_six".into(), json!({ "items": ["Grilled Salmon"] })), "{text}");
    }
    assert_eq!(one("86 the arrabiata").1, json!({ "items": ["Penne Arrabbiata"] }));
    assert_eq!(one("86 fish and chips and the tiramisu").1, json!({ "items": ["Fish and Chips", "Tiramisu"] }));
    assert_eq!(one("86 shakes").1, json!({ "items": ["Chocolate Shake", "Vanilla Shake"] }), "plural: all of them");
    assert_eq!(one("86 the cheese burger").1, json!({ "items": ["Bacon Cheeseburger"] }));
    assert_eq!(one("we are out of fries, cola and garlic bread").1["items"], json!(["Fries", "Cola", "Garlic Bread"]));
}

#[test]
fn times_channels_and_reasons_are_heard() {
    let (_, a) = one("86 the salmon until 5");
    assert_eq!(a["until"], json!("2026-03-02T22:00:00+00:00"));
    let (_, a) = one("86 salmon for the rest of the night");
    assert_eq!(a["until"], json!("end_of_day"));
    let (_, a) = one("86 the tiramisu on uber eats and doordash until tomorrow");
    assert_eq!((a["channels"].clone(), a["until"].clone()), (json!(["doordash", "ubereats"]), json!("end_of_day")));
    let (_, a) = one("86 the fries for delivery because the fryer is down");
    assert_eq!(a["channels"], json!(["doordash", "ubereats", "grubhub"]));
    assert_eq!(a["reason"], json!("the fryer is down"));
}

#[test]
fn options_and_bringing_back() {
    assert_eq!(one("we're out of avocado"), ("eighty_six_option".into(), json!({ "options": ["Avocado"] })));
    assert_eq!(one("86 extra cheese"), ("eighty_six_option".into(), json!({ "options": ["Extra cheese"] })));
    assert_eq!(one("avocado is back"), ("restore_option".into(), json!({ "options": ["Avocado"] })));
    assert_eq!(one("un-86 the salmon"), ("restore".into(), json!({ "items": ["Grilled Salmon"] })));
    assert_eq!(one("salmon is back on"), ("restore".into(), json!({ "items": ["Grilled Salmon"] })));
    assert_eq!(one("bring back the tiramisu"), ("restore".into(), json!({ "items": ["Tiramisu"] })));
    let both = calls("86 the salmon and avocado");
    assert_eq!(both[0], ("eighty_six".into(), json!({ "items": ["Grilled Salmon"] })));
    assert_eq!(both[1], ("eighty_six_option".into(), json!({ "options": ["Avocado"] })));
}

#[test]
fn ambiguity_is_asked_and_strangers_are_named() {
    match parse("86 the burger", &vocab(), now()) {
        Understood::Clarify { candidates, field, index, .. } => {
            assert_eq!((field, index), ("items", Some(0)));
            assert!(
                candidates.contains(&"Classic Burger".to_owned()) && candidates.contains(&"Veggie Burger".to_owned())
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(parse("86 the lobster", &vocab(), now()), Understood::Missing { ref phrase, .. } if phrase == "lobster")
    );
    assert!(matches!(parse("86", &vocab(), now()), Understood::Incomplete { .. }));
    assert_eq!(parse("the weather is nice", &vocab(), now()), Understood::NotUnderstood);
    assert_eq!(parse("", &vocab(), now()), Understood::NotUnderstood);
}

#[test]
fn corrections_replace_what_they_restate() {
    assert_eq!(one("86 the salmon, no wait, the tiramisu").1, json!({ "items": ["Tiramisu"] }));
    assert_eq!(one("86 the salmon I mean the gelato").1, json!({ "items": ["Gelato"] }));
    assert_eq!(one("order 12 is ready, no, 13").1, json!({ "number": 13, "status": "ready" }));
    assert_eq!(one("86 the salmon, actually bring back the fries"), ("restore".into(), json!({ "items": ["Fries"] })));
}

#[test]
fn orders_by_number() {
    assert_eq!(one("order twelve is ready"), ("set_order_status".into(), json!({ "number": 12, "status": "ready" })));
    assert_eq!(one("bump 14").1, json!({ "number": 14, "status": "ready" }));
    assert_eq!(one("order 7 was picked up").1, json!({ "number": 7, "status": "completed" }));
    assert_eq!(
        one("cancel order 9 because the guest left").1,
        json!({ "number": 9, "status": "cancelled", "reason": "the guest left" })
    );
    assert_eq!(one("where is order 21"), ("order_status".into(), json!({ "number": 21 })));
    assert_eq!(one("is order 21 ready?"), ("order_status".into(), json!({ "number": 21 })));
    assert_eq!(one("fire ticket 3").1, json!({ "number": 3, "status": "preparing" }));
}

#[test]
fn the_rest_of_the_tools() {
    for (text, tool) in [
        ("what's low?", "low_stock"),
        ("what do we need to order", "low_stock"),
        ("what's 86'd", "list_unavailable"),
        ("what are we out of?", "list_unavailable"),
        ("how are sales today", "sales_summary"),
        ("how much did we make", "sales_summary"),
        ("labor cost", "labor_summary"),
        ("how backed up is the kitchen", "queue_status"),
        ("how many open orders", "queue_status"),
        ("who's on", "staff_on_clock"),
        ("who is clocked in", "staff_on_clock"),
        ("clock me in", "clock_in"),
        ("clock me out", "clock_out"),
        ("I'm going on break", "start_break"),
        ("back from break", "end_break"),
        ("what's on the task list", "list_tasks"),
        ("what can you do", "help"),
    ] {
        assert_eq!(one(text).0, tool, "{text}");
    }
    assert_eq!(one("clock me in as a cook").1, json!({ "position": "cook" }));
}

#[test]
fn stock_comes_in_in_any_unit() {
    assert_eq!(
        one("received two cases of mozzarella").1,
        json!({ "item": "Mozzarella", "quantity": 2.0, "unit": "case" })
    );
    assert_eq!(one("5 kilos of flour came in").1, json!({ "item": "Flour", "quantity": 5.0, "unit": "kg" }));
    assert_eq!(one("we got a case of mozzarella").1, json!({ "item": "Mozzarella", "quantity": 1.0, "unit": "case" }));
    assert_eq!(one("receive 30 eggs").1, json!({ "item": "Eggs", "quantity": 30.0 }));
    assert_eq!(one("received 3 flats of eggs").1, json!({ "item": "Eggs", "quantity": 3.0, "unit": "flat" }));
    assert!(matches!(parse("received 4 liters of milk", &vocab(), now()), Understood::Clarify { .. }));
    assert!(matches!(parse("received 2 cases of lobster", &vocab(), now()), Understood::Missing { .. }));
}

#[test]
fn busy_mode_and_channels() {
    assert_eq!(one("busy mode 20 minutes").1, json!({ "minutes": 20 }));
    assert_eq!(one("we're slammed, add 15 minutes to quotes").1, json!({ "minutes": 15 }));
    assert_eq!(one("pause uber eats").1, json!({ "channels": ["ubereats"] }));
    assert_eq!(
        one("stop taking delivery orders for an hour").1["channels"],
        json!(["doordash", "ubereats", "grubhub"])
    );
    assert_eq!(one("unpause doordash").1, json!({ "resume_channels": ["doordash"] }));
    assert_eq!(one("end busy mode").1, json!({ "minutes": 0 }));
    assert_eq!(one("we're caught up").1, json!({ "minutes": 0 }));
}

#[test]
fn tasks_are_made_from_what_is_said() {
    assert_eq!(
        one("remind us to restock the walk-in by 5").1,
        json!({ "title": "Restock the walk in", "due": "2026-03-02T22:00:00+00:00" })
    );
    assert_eq!(
        one("add a task: clean the fryer for the kitchen").1,
        json!({ "title": "Clean the fryer", "role": "kitchen" })
    );
    assert_eq!(
        one("new task mop the patio for Maria").1,
        json!({ "title": "Mop the patio", "assignee": "Maria Lopez" })
    );
}

#[test]
fn names_from_a_model_or_an_id_resolve_the_same_way() {
    let v = vocab();
    assert_eq!(resolve("grilled salmon", &v.items), Fit::One(0));
    assert_eq!(resolve(&v.items[3].ids[0].to_string(), &v.items), Fit::One(3));
    assert!(matches!(resolve("burger", &v.items), Fit::Many(_)));
    assert_eq!(resolve("lobster", &v.items), Fit::None);
}
