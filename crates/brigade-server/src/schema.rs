//! The shapes of text the API takes, written into the OpenAPI document from the rules that
//! check them: a field typed `#[schema(value_type = schema::Phone)]` is documented as a
//! `Phone` component with the pattern, lengths or values `credentials::Phone::parse` takes.
//! So a generated client, a form and a fuzzer send what the server accepts, and the server
//! accepts what the document allows (schemathesis's `positive_data_acceptance` in CI).
//!
//! The values of an enumeration come from the domain type's own list (`Channel::ALL`), so a
//! new channel is documented the day it is accepted. What a schema cannot say (that an id
//! names a record of this restaurant, that `from` is before `to`) is 422 at run time.

use crate::extract::{NAME_PATTERN, TEXT_PATTERN};
use brigade_domain::auth::{Permission, Role};
use brigade_domain::integration::Platform;
use brigade_domain::menu::Channel as DomainChannel;
use brigade_domain::order::{OrderStatus as DomainStatus, OrderType as DomainType};
use utoipa::openapi::schema::{AdditionalProperties, Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

/// Documents a marker type as a named component built by `$build`, its doc comment the
/// component's description.
macro_rules! documented {
    ($(#[doc = $doc:literal])+ $name:ident => $build:expr) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let mut object: Object = $build;
                object.description = Some(concat!($($doc, "\n"),+).split_whitespace().collect::<Vec<_>>().join(" "));
                Schema::Object(object).into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

fn text(pattern: &str, min: usize, max: usize) -> Object {
    let mut o = Object::with_type(Type::String);
    o.pattern = Some(pattern.to_owned());
    o.min_length = (min > 0).then_some(min);
    o.max_length = Some(max);
    o
}

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).build()
}

documented! {
    /// A loyalty reward: `amount` (an amount off) or `free_item` (one of given items free).
    RewardKind => one_of(["amount", "free_item"])
}

documented! {
    /// A name (a person's, an item's, a table's): trimmed, 1 to 200 characters, not only spaces.
    Name => text(NAME_PATTERN, 1, brigade_domain::caps::NAME)
}

documented! {
    /// Free text: no control characters but line breaks and tabs.
    Text => text(TEXT_PATTERN, 0, brigade_domain::caps::ANY_TEXT)
}

documented! {
    /// An email address: something, `@`, a domain with a dot inside it; at most 254 characters,
    /// compared without case.
    Email => text(r"^ *[^@\s\u0000-\u001F\u007F-\u009F]+@[^@\s.\u0000-\u001F\u007F-\u009F][^@\s\u0000-\u001F\u007F-\u009F]*\.[^@\s\u0000-\u001F\u007F-\u009F]*[^@\s.\u0000-\u001F\u007F-\u009F] *$", 5, 254)
}

documented! {
    /// A new password: 10 to 1024 characters.
    Password => text(TEXT_PATTERN, brigade_domain::credentials::PASSWORD_MIN, brigade_domain::credentials::PASSWORD_MAX)
}

documented! {
    /// A staff PIN: 4 to 8 digits.
    Pin => text("^[0-9]{4,8}$", 4, 8)
}

documented! {
    /// A phone number: 6 to 15 digits, with an optional leading `+`; spaces, dots, hyphens
    /// and brackets between them are ignored.
    Phone => text(r"^\+?[ ().\-]*([0-9][ ().\-]*){6,15}$", 6, 32)
}

documented! {
    /// A restaurant's address in links: 1 to 60 lower-case letters, digits and single hyphens.
    Slug => text("^[a-z0-9]+(-[a-z0-9]+)*$", 1, 60)
}

documented! {
    /// An ISO 4217 currency code, such as `USD`; stored upper-case.
    Currency => text("^[A-Za-z]{3}$", 3, 3)
}

documented! {
    /// An IANA time zone, such as `Europe/London`.
    TimeZone => one_of(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
}

documented! {
    /// A time of day, `HH:MM` or `HH:MM:SS`, from 00:00 to 23:59:59.
    WallTime => text(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", 5, 8)
}

documented! {
    /// Where an order comes from.
    Channel => one_of(DomainChannel::ALL.iter().map(|c| c.as_str()))
}

documented! {
    /// How an order leaves the kitchen.
    OrderType => one_of([DomainType::DineIn, DomainType::Takeout, DomainType::Delivery].map(|t| t.as_str()))
}

documented! {
    /// Where an order is in its life.
    OrderStatus => one_of(DomainStatus::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// A member's role at a restaurant.
    MemberRole => one_of(Role::ALL.iter().map(|r| r.as_str()))
}

documented! {
    /// What an API key may do.
    PermissionName => one_of(Permission::ALL.iter().map(|p| p.as_str()))
}

documented! {
    /// A platform Brigade connects to.
    PlatformName => one_of(Platform::ALL.iter().map(|p| p.as_str()))
}

documented! {
    /// The unit a stock item is counted in: grams, millilitres or pieces.
    BaseUnit => one_of(["g", "ml", "each"])
}

documented! {
    /// How often a task template makes a task.
    Frequency => one_of(["daily", "weekly", "monthly"])
}

documented! {
    /// A day of the week.
    Weekday => one_of(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
}

documented! {
    /// An event type (`order.new`), a family of them (`order.*`), or every event (`*`).
    EventTypePattern => text(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$", 1, 100)
}

documented! {
    /// An http or https address with a host, no user or password, at most 2000 characters.
    WebhookUrl => text(r"^https?://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~/-]*)?$", 8, 2000)
}

documented! {
    /// When an order takes its ingredients out of stock: when it is created, or when it is
    /// accepted.
    DepletesOn => one_of(["created", "accepted"])
}

documented! {
    /// Not taken here: leave it out (or null).
    NotTaken => Object::with_type(Type::Null)
}

documented! {
    /// Pause pushes (`paused`) or resume them (`active`).
    PauseOrResume => one_of(["active", "paused"])
}

documented! {
    /// A stock movement made by hand: a delivery received, waste, an adjustment (with a
    /// reason), or a count that sets what is on hand.
    MovementKind => one_of(["receive", "waste", "adjustment", "count"])
}

documented! {
    /// The first day of the pay week.
    WeekStart => one_of(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
}

documented! {
    /// Which checklist a task belongs to.
    Checklist => one_of(["opening", "closing"])
}

documented! {
    /// A store's id on its platform: 1 to 200 characters, no control characters at all.
    StoreId => text(r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$", 1, 200)
}

documented! {
    /// How a guest paid: cash, a card through Stripe, or a card machine not connected to
    /// Brigade, recorded by hand (external).
    PaymentMethod => one_of(brigade_domain::payments::Method::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// Cash put into a drawer, or taken out of it.
    DrawerMovementKind => one_of(["paid_in", "paid_out"])
}

documented! {
    /// Where a task is: not started, started, or done.
    TaskStatus => one_of(brigade_domain::tasks::TaskStatus::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// Where a table stands on the floor.
    TableStatus => one_of(brigade_domain::tables::TableStatus::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// Where a table stands now: its own status (`available`, `occupied`, `reserved`,
    /// `out_of_service`), or with a check open, `ordered`, `waiting_for_food`, `served`,
    /// `paying`.
    FloorStatus => one_of(brigade_domain::tables::FloorStatus::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// Where a kitchen ticket is: on the line, or bumped.
    TicketStatus => one_of(brigade_domain::kds::TicketStatus::ALL.iter().map(|s| s.as_str()))
}

documented! {
    /// Which kitchen tickets: still open, bumped, or both.
    TicketFilter => one_of(brigade_domain::kds::TicketStatus::ALL.iter().map(|s| s.as_str()).chain(["all"]))
}

documented! {
    /// Where a webhook delivery is.
    DeliveryStatus => one_of(["pending", "sending", "succeeded", "dead"])
}

documented! {
    /// Where a sync job is.
    SyncJobStatus => one_of(["pending", "running", "succeeded", "dead", "cancelled"])
}

documented! {
    /// How a report comes: JSON, or CSV for a spreadsheet.
    ReportFormat => one_of(["json", "csv"])
}

documented! {
    /// How a report to keep comes: PDF to print or send, or CSV for a spreadsheet.
    DocumentFormat => one_of(["pdf", "csv"])
}

documented! {
    /// How sales are broken down: by business day, local hour, weekday, daypart, channel,
    /// order type, who took the order, or table.
    SalesGrouping => one_of(["day", "hour", "weekday", "daypart", "channel", "type", "staff", "table"])
}

documented! {
    /// Why something was done, when a reason is required: 1 to 500 characters, not only spaces.
    Reason => text(NAME_PATTERN, 1, brigade_domain::caps::REASON)
}

documented! {
    /// Per channel, whether the item is sold there and at what price instead of its own (in
    /// minor units). A channel not listed sells the item at its price.
    ChannelSettings => {
        let setting = ObjectBuilder::new()
            .property("enabled", ObjectBuilder::new().schema_type(Type::Boolean))
            .property(
                "price",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Array(vec![Type::Integer, Type::Null]))
                    .minimum(Some(0))
                    .maximum(Some(99_999_999)),
            )
            .build();
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(setting)))))
            .build();
        o.property_names = Some(Box::new(Schema::Object(one_of(DomainChannel::ALL.iter().map(|c| c.as_str())))));
        o
    }
}
