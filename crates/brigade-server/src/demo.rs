//! The demo restaurant: `brigade demo` or `brigade serve --demo`.
//!
//! A believable bistro to click around in and to feed the analytics: 3 kitchen stations,
//! 6 categories and 60 items with modifiers, 12 tables, a manager, staff and cooks with
//! PINs, and 30 days (or `--days`) of order history with lunch and dinner peaks and a realistic channel
//! mix. The history is generated from a fixed seed, so every demo is the same. Loading is
//! idempotent: a database that has the demo already is left as it is.

use crate::orders::estimate_ready;
use crate::AppState;
use anyhow::Context;
use brigade_domain::credentials::{Password, Pin};
use brigade_domain::menu::{
    business_day, ChannelSetting, ChannelSettings, ModifierGroup, ModifierOption, Schedule, Window,
};
use brigade_domain::money::{Money, TaxRule};
use brigade_domain::order::price_line;
use brigade_domain::payments::Method;
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::kds::StationRow;
use brigade_store::menu::{CategoryRow, ItemRow};
use brigade_store::orders::{HistoryEntry, LineModifier, LineRow, OrderRow, StatusChange};
use brigade_store::payments::{self, PaymentRow};
use brigade_store::restaurants::RestaurantRow;
use brigade_store::tables::TableRow;
use brigade_store::users::{NewMembership, UserRow};
use brigade_store::System;
use brigade_store::{kds, menu, orders, restaurants, tables, users};
use chrono::{Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;

pub const SLUG: &str = "brigade-bistro";
pub const OWNER_EMAIL: &str = "owner@brigade.demo";
pub const MANAGER_EMAIL: &str = "manager@brigade.demo";
pub const PASSWORD: &str = "brigade-demo";

/// What a person needs to try the demo.
pub struct DemoInfo {
    pub restaurant_id: Uuid,
    pub slug: String,
    pub created: bool,
    pub orders: usize,
    /// (name, role, phone, pin) of the staff who sign in with a PIN.
    pub pin_users: Vec<(String, String, String, String)>,
    pub table_url: Option<String>,
}

impl DemoInfo {
    pub fn describe(&self, base: &str) -> String {
        let mut s = String::new();
        let state =
            if self.created { format!("loaded, with {} past orders", self.orders) } else { "already there".into() };
        s += &format!("Demo restaurant 'Brigade Bistro' {state}.\n");
        s += &format!("  Dashboard:    {base}/login  as {OWNER_EMAIL} / {PASSWORD}\n");
        s += &format!("                (manager: {MANAGER_EMAIL}, same password)\n");
        s += &format!("  Kitchen:      {base}/kds\n");
        s += &format!("  Staff device: {base}/staff?r={}\n", self.slug);
        s += &format!("  API docs:     {base}/docs\n");
        s += &format!("  API sign-in:  POST {base}/v1/auth/login {{\"email\": \"{OWNER_EMAIL}\", \"password\": \"{PASSWORD}\"}}\n");
        s += &format!("  Restaurant:   {}\n", self.restaurant_id);
        for (name, role, phone, pin) in &self.pin_users {
            s += &format!("  PIN sign-in:  {name} ({role}): phone {phone}, PIN {pin}\n");
        }
        s += &format!("  Guest menu:   {base}/v1/public/restaurants/{}/menu?channel=qr\n", self.slug);
        if let Some(t) = &self.table_url {
            s += &format!("  Guest at T1:  {t}\n");
        }
        s
    }
}

struct ItemSpec {
    name: &'static str,
    price: i64,
    prep: i64,
    groups: &'static [&'static str],
    allergens: &'static [&'static str],
}

const fn item(
    name: &'static str,
    price: i64,
    prep: i64,
    groups: &'static [&'static str],
    allergens: &'static [&'static str],
) -> ItemSpec {
    ItemSpec { name, price, prep, groups, allergens }
}

/// (category, station index, items)
const MENU: [(&str, usize, &[ItemSpec]); 6] = [
    (
        "Starters",
        1,
        &[
            item("Tomato Soup", 700, 5, &["Bread"], &["milk"]),
            item("French Onion Soup", 850, 6, &["Bread"], &["milk", "gluten"]),
            item("Chicken Wings", 1100, 12, &["Wing Sauce"], &[]),
            item("Calamari", 1250, 8, &[], &["molluscs", "gluten"]),
            item("Nachos", 1050, 7, &["Extras"], &["milk"]),
            item("Garlic Bread", 550, 5, &[], &["gluten", "milk"]),
            item("Bruschetta", 800, 5, &[], &["gluten"]),
            item("Mozzarella Sticks", 900, 6, &[], &["milk", "gluten"]),
            item("Shrimp Cocktail", 1350, 4, &[], &["crustaceans"]),
            item("Loaded Potato Skins", 950, 9, &["Extras"], &["milk"]),
        ],
    ),
    (
        "Burgers & Sandwiches",
        0,
        &[
            item("Classic Burger", 1450, 12, &["Patty", "Cook", "Burger Extras", "Side"], &["gluten"]),
            item("Cheeseburger", 1550, 12, &["Patty", "Cook", "Burger Extras", "Side"], &["gluten", "milk"]),
            item("Bacon Burger", 1650, 13, &["Patty", "Cook", "Burger Extras", "Side"], &["gluten"]),
            item("Mushroom Swiss Burger", 1650, 13, &["Patty", "Cook", "Side"], &["gluten", "milk"]),
            item("Veggie Burger", 1450, 10, &["Burger Extras", "Side"], &["gluten", "soy"]),
            item("Chicken Sandwich", 1400, 11, &["Side"], &["gluten"]),
            item("BLT", 1200, 8, &["Side"], &["gluten"]),
            item("Club Sandwich", 1350, 9, &["Side"], &["gluten", "eggs"]),
            item("Reuben", 1500, 10, &["Side"], &["gluten", "milk"]),
            item("Philly Cheesesteak", 1600, 12, &["Side"], &["gluten", "milk"]),
        ],
    ),
    (
        "Mains",
        0,
        &[
            item("Ribeye Steak", 3400, 20, &["Cook", "Side"], &[]),
            item("Sirloin Steak", 2700, 18, &["Cook", "Side"], &[]),
            item("Grilled Salmon", 2500, 15, &["Side"], &["fish"]),
            item("Fish and Chips", 1900, 14, &[], &["fish", "gluten"]),
            item("Roast Chicken", 2100, 18, &["Side"], &[]),
            item("Pork Chop", 2200, 16, &["Side"], &[]),
            item("Mac and Cheese", 1500, 10, &["Mac Extras"], &["milk", "gluten"]),
            item("Shrimp Pasta", 2100, 14, &[], &["crustaceans", "gluten"]),
            item("Mushroom Risotto", 1800, 18, &[], &["milk"]),
            item("Chicken Parmesan", 2000, 16, &[], &["gluten", "milk"]),
        ],
    ),
    (
        "Salads",
        1,
        &[
            item("Caesar Salad", 1100, 5, &["Protein"], &["fish", "milk", "eggs"]),
            item("Cobb Salad", 1450, 6, &["Dressing"], &["eggs", "milk"]),
            item("Greek Salad", 1200, 5, &["Protein"], &["milk"]),
            item("House Salad", 800, 4, &["Dressing", "Protein"], &[]),
            item("Spinach Salad", 1100, 5, &["Dressing"], &["nuts"]),
            item("Kale Quinoa Bowl", 1350, 6, &["Protein"], &["sesame"]),
            item("Caprese", 1150, 4, &[], &["milk"]),
            item("Wedge Salad", 1050, 4, &[], &["milk"]),
            item("Chicken Avocado Salad", 1500, 6, &["Dressing"], &[]),
            item("Beet and Goat Cheese", 1250, 5, &[], &["milk", "nuts"]),
        ],
    ),
    (
        "Desserts",
        1,
        &[
            item("Chocolate Cake", 850, 3, &[], &["gluten", "milk", "eggs"]),
            item("Cheesecake", 900, 3, &["Topping"], &["milk", "eggs", "gluten"]),
            item("Apple Pie", 800, 4, &["A la Mode"], &["gluten", "milk"]),
            item("Creme Brulee", 950, 3, &[], &["milk", "eggs"]),
            item("Brownie Sundae", 900, 4, &[], &["milk", "gluten", "nuts"]),
            item("Key Lime Pie", 800, 3, &[], &["milk", "gluten"]),
            item("Ice Cream", 600, 2, &["Scoops"], &["milk"]),
            item("Tiramisu", 950, 3, &[], &["milk", "eggs", "gluten"]),
            item("Fruit Sorbet", 650, 2, &[], &[]),
            item("Bread Pudding", 800, 4, &[], &["milk", "gluten", "eggs"]),
        ],
    ),
    (
        "Drinks",
        2,
        &[
            item("Cola", 300, 1, &["Size"], &[]),
            item("Lemonade", 400, 1, &["Size"], &[]),
            item("Iced Tea", 350, 1, &["Size"], &[]),
            item("Coffee", 300, 2, &["Milk"], &[]),
            item("Latte", 500, 3, &["Milk", "Shots"], &["milk"]),
            item("Craft Beer", 750, 1, &[], &["gluten"]),
            item("House Red Wine", 900, 1, &[], &["sulphites"]),
            item("House White Wine", 900, 1, &[], &["sulphites"]),
            item("Milkshake", 650, 4, &["Shake Flavor"], &["milk"]),
            item("Sparkling Water", 300, 1, &[], &[]),
        ],
    ),
];

fn group(name: &str) -> ModifierGroup {
    let (min, max, opts): (u32, u32, &[(&str, i64)]) = match name {
        "Bread" => (0, 1, &[("Sourdough", 0), ("Gluten-free bread", 150)]),
        "Wing Sauce" => (1, 1, &[("Buffalo", 0), ("BBQ", 0), ("Honey Garlic", 0), ("Nashville Hot", 100)]),
        "Extras" => (0, 3, &[("Jalapenos", 75), ("Guacamole", 200), ("Sour Cream", 75), ("Extra Cheese", 150)]),
        "Patty" => (1, 1, &[("Single", 0), ("Double", 450)]),
        "Cook" => (1, 1, &[("Rare", 0), ("Medium Rare", 0), ("Medium", 0), ("Medium Well", 0), ("Well Done", 0)]),
        "Burger Extras" => {
            (0, 4, &[("Cheddar", 100), ("Bacon", 200), ("Avocado", 200), ("Fried Egg", 150), ("No Onion", 0)])
        }
        "Side" => (1, 1, &[("Fries", 0), ("Sweet Potato Fries", 150), ("Side Salad", 100), ("Onion Rings", 200)]),
        "Mac Extras" => (0, 2, &[("Bacon", 200), ("Lobster", 900), ("Breadcrumbs", 0)]),
        "Protein" => (0, 1, &[("Chicken", 400), ("Shrimp", 600), ("Salmon", 700), ("Tofu", 300)]),
        "Dressing" => (1, 1, &[("Ranch", 0), ("Balsamic", 0), ("Blue Cheese", 0), ("Honey Mustard", 0)]),
        "Topping" => (0, 1, &[("Strawberry", 100), ("Caramel", 100)]),
        "A la Mode" => (0, 1, &[("Vanilla Ice Cream", 200)]),
        "Scoops" => (1, 1, &[("One Scoop", 0), ("Two Scoops", 250), ("Three Scoops", 450)]),
        "Size" => (1, 1, &[("Regular", 0), ("Large", 100)]),
        "Milk" => (0, 1, &[("Whole", 0), ("Oat", 75), ("Almond", 75)]),
        "Shots" => (0, 2, &[("Extra Shot", 100)]),
        "Shake Flavor" => (1, 1, &[("Vanilla", 0), ("Chocolate", 0), ("Strawberry", 0)]),
        _ => (0, 1, &[]),
    };
    ModifierGroup {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        min,
        max,
        options: opts
            .iter()
            .map(|(n, p)| ModifierOption {
                id: Uuid::now_v7(),
                name: (*n).to_owned(),
                price_delta: Money(*p),
                is_active: true,
                eighty_six: None,
            })
            .collect(),
    }
}

const CHANNELS: [(&str, u32); 8] = [
    ("walk_in", 30),
    ("qr", 20),
    ("web", 15),
    ("phone", 10),
    ("ubereats", 10),
    ("doordash", 8),
    ("grubhub", 4),
    ("pos", 3),
];

/// Loads the demo unless it is there already.
pub async fn load(state: &AppState) -> anyhow::Result<DemoInfo> {
    if let Some(r) = restaurants::by_slug(&state.db, SLUG).await? {
        return Ok(DemoInfo {
            restaurant_id: r.id,
            slug: r.slug,
            created: false,
            orders: 0,
            pin_users: pin_users(),
            table_url: None,
        });
    }
    let now = state.clock.now();
    let password = Password::parse(PASSWORD)?.hash();
    let mut tx = state.db.begin(System::Admin).await?;
    let owner = UserRow::new_account(Some(OWNER_EMAIL.into()), Some(password.clone()), "Olivia Owner".into(), now);
    users::insert(&mut tx, &owner).await?;
    let manager = UserRow::new_account(Some(MANAGER_EMAIL.into()), Some(password), "Marcus Manager".into(), now);
    users::insert(&mut tx, &manager).await?;
    tx.commit().await?;
    let (rid, mut count, first_table) = restaurant(state, 0, &owner, &manager).await?;
    // Copies (a benchmark's many restaurants): the same bistro under other slugs, each
    // with its own history, all the owner's.
    for copy in 1..state.config.demo_copies {
        count += restaurant(state, copy, &owner, &manager).await.with_context(|| format!("copy {copy}"))?.1;
    }
    Ok(DemoInfo {
        restaurant_id: rid,
        slug: SLUG.into(),
        created: true,
        orders: count,
        pin_users: pin_users(),
        table_url: first_table.map(|t| {
            format!(
                "{}/t/{}",
                state.config.public_base_url.trim_end_matches('/'),
                brigade_domain::qr::sign(&state.qr_key, t.id, 1)
            )
        }),
    })
}

/// One demo restaurant (`copy` 0 is the bistro; others are numbered copies): its menu,
/// people, tables, history and back of house, rolled up. Returns its id, how many past
/// orders it got and its first table.
async fn restaurant(
    state: &AppState,
    copy: u32,
    owner: &UserRow,
    manager: &UserRow,
) -> anyhow::Result<(Uuid, usize, Option<TableRow>)> {
    let now = state.clock.now();
    let tz: Tz = "America/New_York".parse().map_err(|_| anyhow::anyhow!("time zone"))?;
    let day_start = NaiveTime::from_hms_opt(4, 0, 0).context("time")?;
    let mut tx = state.db.begin(System::Admin).await?;
    let rid = Uuid::now_v7();
    let restaurant = RestaurantRow {
        id: rid,
        group_id: rid,
        country: Some("US".into()),
        name: if copy == 0 { "Brigade Bistro".into() } else { format!("Brigade Bistro {}", copy + 1) },
        slug: if copy == 0 { SLUG.into() } else { format!("{SLUG}-{}", copy + 1) },
        timezone: tz.name().into(),
        currency: "USD".into(),
        tax_rate_bps: 887,
        tax_inclusive: false,
        address: Some("12 Pass Street, Brooklyn, NY".into()),
        phone: Some("+17185550100".into()),
        day_starts_at: day_start,
        kds_warn_secs: crate::restaurants::DEFAULT_KDS_WARN_SECS,
        kds_late_secs: crate::restaurants::DEFAULT_KDS_LATE_SECS,
        inventory_depletes_on: "created".into(),
        created_at: now - Duration::days(i64::from(state.config.demo_days) + 1),
        updated_at: now,
    };
    restaurants::insert(&mut tx, &restaurant).await?;
    let member = |user_id: Uuid, role: &'static str| NewMembership {
        restaurant_id: rid,
        user_id,
        role,
        phone: None,
        pin_hash: None,
        at: now,
    };
    users::add_membership(&mut tx, &member(owner.id, "owner")).await?;
    users::add_membership(&mut tx, &member(manager.id, "manager")).await?;
    let mut staff_ids = Vec::new();
    for (name, role, phone, pin) in pin_users() {
        let u = UserRow::new_account(None, None, name, now);
        users::insert(&mut tx, &u).await?;
        let pin_hash = Pin::parse(&pin)?.hash();
        let role = if role == "kitchen" { "kitchen" } else { "staff" };
        let m = NewMembership { phone: Some(&phone), pin_hash: Some(&pin_hash), ..member(u.id, role) };
        users::add_membership(&mut tx, &m).await?;
        staff_ids.push(u.id);
    }

    let mut stations = Vec::new();
    for (i, name) in ["Grill", "Cold & Pastry", "Bar"].into_iter().enumerate() {
        let s = StationRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            name: name.into(),
            sort_order: i as i64,
            created_at: now,
            updated_at: now,
        };
        kds::insert_station(&mut tx, &s).await?;
        stations.push(s.id);
    }
    let mut items: Vec<ItemRow> = Vec::new();
    let mut station_of: HashMap<Uuid, Uuid> = HashMap::new();
    for (ci, (cat_name, station, specs)) in MENU.iter().enumerate() {
        let cat = CategoryRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            parent_id: None,
            name: (*cat_name).into(),
            description: None,
            sort_order: ci as i64,
            station_id: Some(stations[*station]),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        menu::insert_category(&mut tx, &cat).await?;
        station_of.insert(cat.id, stations[*station]);
        for (ii, spec) in specs.iter().enumerate() {
            let mut channels = ChannelSettings::new();
            // Delivery apps charge 15 % more, as restaurants do to cover commission.
            for c in [brigade_domain::menu::Channel::Ubereats, brigade_domain::menu::Channel::Doordash] {
                channels.insert(
                    c,
                    ChannelSetting { enabled: true, price: Some(Money((spec.price * 115 + 99) / 100 / 5 * 5)) },
                );
            }
            let schedule = if spec.name == "French Onion Soup" {
                // A winter dinner special: evenings only.
                Schedule {
                    windows: vec![Window {
                        days: all_days(),
                        start: NaiveTime::from_hms_opt(17, 0, 0).context("t")?,
                        end: NaiveTime::from_hms_opt(22, 0, 0).context("t")?,
                    }],
                }
            } else {
                Schedule::default()
            };
            let row = ItemRow {
                id: Uuid::now_v7(),
                restaurant_id: rid,
                category_id: cat.id,
                name: spec.name.into(),
                description: None,
                price: spec.price,
                cost: Some(spec.price * 30 / 100),
                sku: Some(format!("BB-{:02}{:02}", ci + 1, ii + 1)),
                allergens: Json(spec.allergens.iter().map(|a| (*a).to_owned()).collect()),
                images: Json(vec![]),
                prep_minutes: spec.prep,
                is_active: true,
                station_id: None,
                sort_order: ii as i64,
                channels: Json(channels),
                schedule: Json(schedule),
                modifier_groups: Json(spec.groups.iter().map(|g| group(g)).collect()),
                eighty_six: None,
                created_at: now,
                updated_at: now,
            };
            menu::insert_item(&mut tx, &row).await?;
            items.push(row);
        }
    }
    let mut first_table = None;
    for n in 1..=12 {
        let t = TableRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            name: format!("T{n}"),
            capacity: if n <= 4 {
                2
            } else if n <= 10 {
                4
            } else {
                6
            },
            status: brigade_domain::tables::TableStatus::Available,
            qr_version: 1,
            created_at: now,
            updated_at: now,
        };
        tables::insert(&mut tx, &t).await?;
        first_table.get_or_insert(t);
    }
    events::record(
        &mut tx,
        NewEvent {
            restaurant_id: Some(rid),
            kind: "demo.loaded",
            entity: "restaurant",
            entity_id: Some(rid),
            actor: ActedBy::System,
            payload: json!({ "items": items.len(), "stations": stations.len(), "tables": 12 }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;

    let tax = TaxRule { rate_bps: restaurant.tax_rate_bps, inclusive: false };
    let guests = demo_guests(state, &restaurant)?;
    let mut rng = StdRng::seed_from_u64(0x0b1_57a0);
    let mut count = 0;
    // The configured days back (30 unless `--days`), and today up to a quarter of an hour
    // ago, so that the dashboard's "today" has figures. Numbers come from the day's
    // counter, as live orders' do. Saturdays and Fridays are busier, summer a little too.
    let days = i64::from(state.config.demo_days);
    for days_ago in (0..=days).rev() {
        let mut tx = state.db.begin(System::Admin).await?;
        let date = (now - Duration::days(days_ago)).with_timezone(&tz).date_naive();
        let weekend = matches!(date.weekday(), Weekday::Fri | Weekday::Sat);
        let season = match date.month() {
            6..=8 => 115,
            1 | 2 => 90,
            _ => 100,
        };
        let scale = season * i64::from(state.config.demo_scale) / 100;
        let lunch = (rng.gen_range(35..55) + if weekend { 10 } else { 0 }) * scale / 100;
        let dinner = (rng.gen_range(55..80) + if weekend { 30 } else { 0 }) * scale / 100;
        let mut times: Vec<i64> = Vec::new();
        for _ in 0..lunch {
            times.push(peak(&mut rng, 12 * 60 + 30, 50));
        }
        for _ in 0..dinner {
            times.push(peak(&mut rng, 19 * 60, 70));
        }
        times.sort();
        for minute in times {
            let local = date.and_hms_opt(0, 0, 0).context("midnight")?
                + Duration::minutes(minute.clamp(10 * 60 + 30, 22 * 60 + 30));
            let Some(at) = tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)) else { continue };
            if at > now - Duration::minutes(15) {
                continue;
            }
            let day = business_day(at, tz, day_start);
            let number = brigade_store::orders::reserve_numbers(&mut tx, rid, day, 1).await?;
            let ctx =
                OrderContext { rid, items: &items, station_of: &station_of, tax, staff: &staff_ids, guests: &guests };
            add_order(&mut tx, &mut rng, &ctx, at, day, number).await?;
            count += 1;
        }
        if days_ago > 0 {
            let crew: Vec<(Uuid, &str, i64)> = std::iter::once((manager.id, "manager", 2500))
                .chain(staff_ids.iter().zip(pin_users()).map(|(id, (_, role, _, _))| {
                    if role == "kitchen" {
                        (*id, "line cook", 1900)
                    } else {
                        (*id, "server", 1600)
                    }
                }))
                .collect();
            add_day_of_work(&mut tx, &mut rng, rid, &crew, date, tz, now).await?;
        }
        tx.commit().await?;
    }
    // After the history, so past orders do not count against the opening stock.
    back_of_house(state, rid, &items, &staff_ids, manager.id).await.context("stock, positions and tasks")?;
    // The history was written without events (nothing live happened), so its days are
    // rolled up here; the consumer keeps them from now on.
    let first = business_day(now - Duration::days(days), tz, day_start);
    crate::analytics::rollup::rebuild(state, Some(rid), first, business_day(now, tz, day_start))
        .await
        .context("rolling up the history")?;
    Ok((rid, count, first_table))
}

/// A past day's work: each member scheduled for lunch, dinner or both, and clocked in
/// and out near the schedule (a little early, now and then late or kept on), with an
/// unpaid half-hour break on a double.
async fn add_day_of_work(
    tx: &mut brigade_store::Tx,
    rng: &mut StdRng,
    rid: Uuid,
    crew: &[(Uuid, &str, i64)],
    date: chrono::NaiveDate,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    use brigade_store::labour::{Break, EntryRow, ShiftRow};
    let local = |minute: i64| {
        let t = date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute);
        brigade_domain::menu::local_to_utc(tz, t)
    };
    for (i, (user, position, rate)) in crew.iter().enumerate() {
        // Someone has the day off, turn about.
        if (date.ordinal() as usize + i).is_multiple_of(6) {
            continue;
        }
        let (starts, ends) = match (i + date.ordinal() as usize) % 4 {
            0 => (10 * 60 + 30, 15 * 60 + 30),
            1 | 2 => (16 * 60 + 30, 23 * 60),
            _ => (10 * 60 + 30, 23 * 60),
        };
        let shift = ShiftRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            user_id: *user,
            position: Some((*position).to_owned()),
            starts_at: local(starts),
            ends_at: local(ends),
            notes: None,
            created_at: now,
            updated_at: now,
        };
        brigade_store::labour::insert_shift(tx, &shift).await?;
        let clock_in = local(starts + rng.gen_range(-10..8));
        let clock_out = local(ends + rng.gen_range(-15..40));
        let breaks = if ends - starts > 8 * 60 {
            let b = local(15 * 60 + 30 + rng.gen_range(0..30));
            vec![Break { start: b, end: Some(b + Duration::minutes(30)), paid: false }]
        } else {
            Vec::new()
        };
        let entry = EntryRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            user_id: *user,
            position: Some((*position).to_owned()),
            hourly_rate: *rate,
            clock_in,
            clock_out: Some(clock_out),
            breaks: Json(breaks),
            original: None,
            edited_by: None,
            edit_reason: None,
            approved_by: None,
            approved_at: None,
            created_at: clock_in,
            updated_at: clock_out,
        };
        brigade_store::labour::insert_entry(tx, &entry).await?;
    }
    Ok(())
}

fn all_days() -> Vec<Weekday> {
    vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
}

/// Stock with recipes for the burgers (so the 86 board and inventory have something to
/// show), positions and rates for everyone, and opening and closing checklists.
async fn back_of_house(
    state: &AppState,
    rid: Uuid,
    items: &[ItemRow],
    staff: &[Uuid],
    manager: Uuid,
) -> anyhow::Result<()> {
    use brigade_domain::inventory::PurchaseUnit;
    use brigade_store::inventory::{self as stock, Movement, RecipeRow};
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    // (name, unit, purchase unit, its size, par, reorder point, delivered, cost per purchase unit)
    type Good = (&'static str, &'static str, &'static str, i64, i64, i64, i64, i64);
    let goods: [Good; 5] = [
        ("Beef patty", "each", "case", 24, 96, 24, 72, 3600),
        ("Burger bun", "each", "bag", 12, 96, 24, 84, 600),
        ("Cheddar slice", "each", "pack", 40, 80, 20, 60, 900),
        ("Bacon rasher", "each", "pack", 20, 60, 15, 40, 700),
        ("Fries", "g", "bag", 2_500, 20_000, 5_000, 15_000, 650),
    ];
    let mut ids = HashMap::new();
    for (name, unit, pu, size, par, reorder, delivered, cost) in goods {
        let row = stock::ItemRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            category_id: None,
            name: name.into(),
            sku: None,
            unit: unit.into(),
            on_hand: 0,
            par_level: Some(par * 1000),
            reorder_point: Some(reorder * 1000),
            max_level: None,
            unit_cost: 0,
            purchase_units: Json(vec![PurchaseUnit { name: pu.into(), quantity: size * 1000 }]),
            supplier: Some(Json(json!({ "name": "Pass Street Provisions", "phone": "+17185550199" }))),
            is_low: false,
            created_at: now,
            updated_at: now,
        };
        stock::insert_item(&mut tx, &row).await?;
        let received = delivered * 1000;
        let unit_cost = brigade_domain::inventory::unit_cost_micros(cost * delivered / size, received);
        let delivery = Movement {
            restaurant_id: rid,
            item_id: row.id,
            kind: "receive",
            quantity: received,
            unit_cost,
            new_average_cost: unit_cost,
            reference_type: None,
            reference_id: None,
            reason: None,
            notes: Some("opening stock"),
            actor: "system",
            at: now,
        };
        stock::post(&mut tx, &delivery).await?;
        ids.insert(name, row.id);
    }
    for item in items.iter().filter(|i| i.name.contains("Burger") && !i.name.contains("Veggie")) {
        let mut lines =
            vec![(ids["Beef patty"], None, 1000), (ids["Burger bun"], None, 1000), (ids["Fries"], None, 150_000)];
        if item.name.contains("Cheese") {
            lines.push((ids["Cheddar slice"], None, 1000));
        }
        if item.name.contains("Bacon") {
            lines.push((ids["Bacon rasher"], None, 2000));
        }
        for o in item.modifier_groups.0.iter().flat_map(|g| g.options.iter()) {
            if o.name.contains("Double") {
                lines.push((ids["Beef patty"], Some(o.id), 1000));
            }
        }
        let rows: Vec<RecipeRow> = lines
            .into_iter()
            .map(|(s, option_id, quantity)| RecipeRow {
                menu_item_id: item.id,
                option_id,
                inventory_item_id: s,
                quantity,
            })
            .collect();
        stock::set_recipe(&mut tx, rid, item.id, &rows).await?;
    }
    let roles: Vec<(Uuid, &str, i64)> = std::iter::once((manager, "manager", 2500))
        .chain(pin_users().iter().zip(staff).map(|((_, role, _, _), id)| {
            if role == "kitchen" {
                (*id, "line cook", 1900)
            } else {
                (*id, "server", 1600)
            }
        }))
        .collect();
    for (user, position, rate) in roles {
        brigade_store::labour::set_positions(&mut tx, rid, user, &[(position.to_owned(), rate)]).await?;
    }
    let checklists = [
        (
            "Open the kitchen",
            Some("opening"),
            "kitchen",
            "10:30:00",
            vec!["Fryers and grill on", "Fridge and freezer temperatures logged", "Line set and labelled"],
        ),
        (
            "Open the floor",
            Some("opening"),
            "staff",
            "11:00:00",
            vec!["Tables set", "Menus and QR cards on every table", "Restrooms checked"],
        ),
        (
            "Close the kitchen",
            Some("closing"),
            "kitchen",
            "23:00:00",
            vec!["Grill scraped", "Fryer oil filtered", "Food wrapped and dated"],
        ),
    ];
    for (name, checklist, role, due, steps) in checklists {
        let t = brigade_store::tasks::TemplateRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            name: name.into(),
            description: None,
            checklist: checklist.map(str::to_owned),
            frequency: "daily".into(),
            days: Json(Vec::new()),
            due_time: due.into(),
            role: Some(role.into()),
            steps: Json(steps.into_iter().map(str::to_owned).collect()),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        brigade_store::tasks::insert_template(&mut tx, &t).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn pin_users() -> Vec<(String, String, String, String)> {
    [
        ("Sam Server", "staff", "+15550100001", "1111"),
        ("Sofia Server", "staff", "+15550100002", "2222"),
        ("Theo Host", "staff", "+15550100003", "3333"),
        ("Kim Cook", "kitchen", "+15550100011", "4444"),
        ("Kai Cook", "kitchen", "+15550100012", "5555"),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()))
    .collect()
}

/// Minutes after midnight around a peak (a triangle distribution, cheap and peaked).
fn peak(rng: &mut StdRng, centre: i64, spread: i64) -> i64 {
    centre + rng.gen_range(-spread..=spread) / 2 + rng.gen_range(-spread..=spread) / 2
}

struct OrderContext<'a> {
    rid: Uuid,
    items: &'a [ItemRow],
    station_of: &'a HashMap<Uuid, Uuid>,
    tax: TaxRule,
    staff: &'a [Uuid],
    /// The regulars and the occasional guests, each with what an order says of them.
    guests: &'a [crate::customers::service::OrderGuest],
}

/// The demo's guests: a few regulars and many who came once or twice, with fictional
/// numbers (555-0100 to 0199, reserved for fiction) and some with an email.
fn demo_guests(
    state: &AppState,
    restaurant: &RestaurantRow,
) -> anyhow::Result<Vec<crate::customers::service::OrderGuest>> {
    const FIRST: [&str; 12] = [
        "Ada",
        "Grace",
        "Alan",
        "Katherine",
        "Linus",
        "Margaret",
        "Dennis",
        "Barbara",
        "Ken",
        "Frances",
        "Edsger",
        "Radia",
    ];
    const LAST: [&str; 5] = ["Lovelace", "Hopper", "Turing", "Johnson", "Hamilton"];
    let mut guests = Vec::new();
    for i in 0..60usize {
        let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
        let input = crate::customers::CustomerInput {
            name: Some(format!("{first} {last}")),
            phone: Some(format!("(718) 555-01{i:02}")),
            email: (i % 3 == 0).then(|| format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase())),
            marketing_consent: Some(i % 2 == 0),
            address: None,
            order_updates: None,
        };
        let guest = crate::customers::service::order_guest(
            state,
            restaurant,
            brigade_domain::menu::Channel::Web,
            Some(&input),
            false,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        guests.push(guest);
    }
    Ok(guests)
}

const DEMO_COMMENTS: [(i64, &str); 11] = [
    (5, "Friendly and fast, as always."),
    (4, "Solid lunch."),
    (5, "The bread pudding!"),
    (5, "Best burger in Brooklyn, and quick."),
    (5, "Fries were perfect. We'll be back."),
    (4, "Great food, pickup took a little long."),
    (4, "Lovely staff."),
    (3, "Good, but the shake was melted by the time we got home."),
    (2, "Order was missing a side."),
    (1, "Cold food and a 40 minute wait."),
    (5, "Our regular Friday spot."),
];

/// An item's index, some far more often than others (as on any menu, a few sell most),
/// so the menu-engineering matrix has stars and dogs to show.
fn popular_pick(rng: &mut StdRng, n: usize) -> usize {
    let weight = |i: usize| 1 + (i * 7_919 + 3) % 11;
    let total: usize = (0..n).map(weight).sum();
    let mut pick = rng.gen_range(0..total.max(1));
    for i in 0..n {
        if pick < weight(i) {
            return i;
        }
        pick -= weight(i);
    }
    0
}

/// One past order, already completed (or, now and then, cancelled).
async fn add_order(
    tx: &mut brigade_store::Tx,
    rng: &mut StdRng,
    ctx: &OrderContext<'_>,
    at: chrono::DateTime<Utc>,
    day: chrono::NaiveDate,
    number: i64,
) -> anyhow::Result<()> {
    let OrderContext { rid, items, station_of, tax, staff, guests } = *ctx;
    let mut pick = rng.gen_range(0..100u32);
    let channel = CHANNELS
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map(|(c, _)| *c)
        .unwrap_or("walk_in");
    let kind = match channel {
        "qr" => "dine_in",
        "walk_in" if rng.gen_bool(0.6) => "dine_in",
        "ubereats" | "doordash" | "grubhub" => "delivery",
        _ => "takeout",
    };
    let order_id = Uuid::now_v7();
    let mut lines = Vec::new();
    let mut max_prep = 0;
    let parsed_channel: brigade_domain::menu::Channel = channel.parse()?;
    for pos in 0..rng.gen_range(1..=4) {
        let item = &items[popular_pick(rng, items.len())];
        let mut chosen = Vec::new();
        for g in &item.modifier_groups.0 {
            let n = if g.min > 0 {
                g.min
            } else if rng.gen_bool(0.3) {
                1
            } else {
                0
            };
            for _ in 0..n {
                chosen.push(g.options[rng.gen_range(0..g.options.len())].id);
            }
        }
        let base = brigade_domain::menu::channel_price(Money(item.price), &item.channels.0, parsed_channel);
        let qty = if rng.gen_bool(0.8) { 1 } else { 2 };
        let Ok(p) = price_line(item.id, base, &item.modifier_groups.0, &chosen, qty) else { continue };
        max_prep = max_prep.max(item.prep_minutes);
        lines.push(LineRow {
            id: Uuid::now_v7(),
            order_id,
            restaurant_id: rid,
            position: pos,
            item_id: item.id,
            name: item.name.clone(),
            quantity: i64::from(p.quantity),
            unit_price: p.unit_price.0,
            line_total: p.line_total.0,
            modifiers: Json(
                p.modifiers
                    .iter()
                    .map(|(id, g, n, d)| LineModifier {
                        option_id: *id,
                        group: g.clone(),
                        name: n.clone(),
                        price_delta: d.0,
                    })
                    .collect(),
            ),
            notes: None,
            station_id: station_of.get(&item.category_id).copied(),
            flag: None,
            seat: None,
            round: 1,
            ticket_id: None,
            voided_at: None,
            void_reason: None,
            voided_by: None,
            void_approved_by: None,
            comp: Default::default(),
        });
    }
    if lines.is_empty() {
        return Ok(());
    }
    // One ticket per station, as the order path fires them.
    let mut tickets: Vec<(Option<Uuid>, Uuid, i64)> = Vec::new();
    for l in &mut lines {
        let prep = items.iter().find(|i| i.id == l.item_id).map_or(0, |i| i.prep_minutes);
        match tickets.iter_mut().find(|t| t.0 == l.station_id) {
            Some(t) => {
                t.2 = t.2.max(prep);
                l.ticket_id = Some(t.1);
            }
            None => {
                let id = Uuid::now_v7();
                tickets.push((l.station_id, id, prep));
                l.ticket_id = Some(id);
            }
        }
    }
    let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
    let totals = tax.apply(Money(subtotal));
    let cancelled = rng.gen_bool(0.03);
    let platform = matches!(channel, "ubereats" | "doordash" | "grubhub");
    // The platform's own total: ours, but now and then a promotion of theirs or a
    // rounding of their menu's prices makes it differ.
    let external_total =
        platform.then(|| if rng.gen_bool(0.06) { totals.total.0 + rng.gen_range(-300..150) } else { totals.total.0 });
    let ready_at = at + Duration::minutes(max_prep + rng.gen_range(0..12));
    let done_at = ready_at + Duration::minutes(rng.gen_range(2..15));
    let order = OrderRow {
        id: order_id,
        restaurant_id: rid,
        number,
        business_day: day,
        channel: parsed_channel,
        kind: kind.parse()?,
        status: brigade_domain::order::OrderStatus::Received,
        table_id: None,
        customer: None,
        special_instructions: None,
        subtotal: totals.subtotal.0,
        tax: totals.tax.0,
        total: totals.total.0,
        estimated_ready_at: estimate_ready(at, max_prep, 3),
        ready_at: None,
        completed_at: None,
        cancel_reason: None,
        assigned_to: staff.get(rng.gen_range(0..staff.len().max(1))).copied().filter(|_| rng.gen_bool(0.5)),
        tracking_key: brigade_domain::credentials::new_secret("").chars().take(22).collect(),
        idempotency_key: None,
        external_id: platform.then(|| format!("demo-{}", order_id.simple())),
        external_total,
        payment_status: None,
        created_by: "system".into(),
        created_at: at,
        updated_at: done_at,
        amount_paid: 0,
        adjust_subtotal: 0,
        adjust_tax: 0,
        merged_into: None,
        split_from: None,
        customer_id: None,
        points_redeemed: 0,
        points_discount: 0,
        points_reward: None,
        promo_discount: 0,
        promotions: None,
        discount: Default::default(),
    };
    // A third of the orders name their guest; the first guests are the regulars.
    let guest = rng.gen_bool(0.35).then(|| &guests[rng.gen_range(0..guests.len()).min(rng.gen_range(0..guests.len()))]);
    let mut order = order;
    if let Some(g) = guest {
        order.customer = g.on_order.clone().map(Json);
        if let Some(c) = &g.contact {
            order.customer_id = Some(brigade_store::customers::link(tx, c, at).await?);
        }
    }
    orders::insert(tx, &order).await?;
    let opened: Vec<brigade_store::kds::NewTicket> =
        tickets.iter().map(|(station, id, _)| (*id, rid, order_id, *station)).collect();
    brigade_store::kds::insert_tickets(tx, &opened, at).await?;
    orders::insert_lines(tx, &lines).await?;
    let step = |from: Option<&'static str>, to: &'static str, when| HistoryEntry {
        restaurant_id: rid,
        order_id,
        from,
        to,
        actor: "system",
        reason: None,
        at: when,
    };
    orders::insert_history(tx, &step(None, "received", at)).await?;
    if cancelled {
        let reasons: &[&'static str] = if platform {
            &["cancelled by the platform", "courier not found", "guest cancelled"]
        } else {
            &["customer left", "item ran out", "entered twice"]
        };
        let reason = reasons[rng.gen_range(0..reasons.len())];
        orders::insert_history(
            tx,
            &HistoryEntry { reason: Some(reason), ..step(Some("received"), "cancelled", at + Duration::minutes(3)) },
        )
        .await?;
        let change = StatusChange {
            to: "cancelled",
            cancel_reason: Some(reason),
            ready_at: None,
            completed_at: None,
            at: done_at,
        };
        orders::set_status(tx, order_id, "received", &change).await?;
        for (_, id, _) in &tickets {
            brigade_store::kds::set_ticket_status(tx, *id, true, "system", at + Duration::minutes(3)).await?;
        }
    } else {
        orders::insert_history(tx, &step(Some("received"), "accepted", at + Duration::minutes(1))).await?;
        orders::insert_history(tx, &step(Some("accepted"), "ready", ready_at)).await?;
        orders::insert_history(tx, &step(Some("ready"), "completed", done_at)).await?;
        let change = StatusChange {
            to: "completed",
            cancel_reason: None,
            ready_at: Some(ready_at),
            completed_at: Some(done_at),
            at: done_at,
        };
        orders::set_status(tx, order_id, "received", &change).await?;
        // Each station's ticket is bumped after its longest dish, sooner or later.
        for (_, id, prep) in &tickets {
            let late = if rng.gen_bool(0.08) { 300 } else { 0 };
            let took = Duration::seconds((*prep).min(10) * 45 + rng.gen_range(-60..150) + late);
            brigade_store::kds::set_ticket_status(tx, *id, true, "system", at + took.max(Duration::seconds(45)))
                .await?;
        }
        // Some guests rate their order, mostly well.
        if guest.is_some() && rng.gen_bool(0.3) {
            let (rating, comment) = DEMO_COMMENTS[rng.gen_range(0..DEMO_COMMENTS.len())];
            let row = brigade_store::feedback::FeedbackRow {
                id: Uuid::now_v7(),
                restaurant_id: rid,
                order_id,
                rating,
                comment: rng.gen_bool(0.6).then(|| comment.to_owned()),
                channel: order.channel.as_str().to_owned(),
                created_at: done_at + Duration::minutes(rng.gen_range(5..90)),
            };
            brigade_store::feedback::insert(tx, &row).await?;
        }
        // Paid at the counter, in cash or on the card machine, sometimes with a tip; the
        // delivery platforms' guests paid the platform.
        if !order.channel.is_delivery_platform() {
            let cash = rng.gen_bool(0.35);
            let tip = if rng.gen_bool(0.4) { order.total * rng.gen_range(10..=20) / 100 } else { 0 };
            let payment = PaymentRow {
                id: Uuid::now_v7(),
                restaurant_id: rid,
                order_id,
                integration_id: None,
                provider: None,
                session_id: None,
                payment_intent: None,
                checkout_url: None,
                amount: order.total,
                currency: "USD".into(),
                status: "paid".into(),
                refund_id: None,
                last_error: None,
                created_at: done_at,
                updated_at: done_at,
                method: if cash { Method::Cash } else { Method::External }.as_str().into(),
                tip,
                tendered: cash.then_some(order.total + tip),
                change_given: 0,
                refunded: 0,
                taken_by: staff.get(rng.gen_range(0..staff.len().max(1))).map(|u| format!("user:{u}")),
                drawer_id: None,
                business_day: Some(day),
                reader_id: None,
            };
            payments::insert(tx, &payment).await?;
            orders::add_paid(tx, order_id, order.total, done_at).await?;
            orders::set_payment_status(tx, order_id, Some("paid"), done_at).await?;
        }
    }
    Ok(())
}
