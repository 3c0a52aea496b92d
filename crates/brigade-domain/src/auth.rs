//! Who may do what. A member of a restaurant holds one `Role` there; each role grants a
//! fixed set of `Permission`s (the table in `Role::permissions`). An API key holds an
//! explicit list of permissions in one restaurant. Every route names the permission it
//! needs, and the server checks it with `allows` before touching data.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Staff,
    Kitchen,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Staff, Role::Kitchen];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Kitchen => "kitchen",
        }
    }

    /// The permission table. Owners can do everything; managers run the restaurant but
    /// cannot hand out ownership; staff work the floor; kitchen works the line.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Owner => Permission::ALL,
            Role::Manager => &[
                RestaurantRead,
                RestaurantWrite,
                UsersRead,
                UsersWrite,
                ApiKeysManage,
                AuditRead,
                MenuRead,
                MenuWrite,
                EightySix,
                OrdersRead,
                OrdersWrite,
                KitchenWork,
                InventoryRead,
                InventoryWrite,
                InventoryManage,
                IntegrationsRead,
                IntegrationsManage,
                PaymentsTake,
                ChecksApprove,
                ReportsRead,
                CustomersRead,
                CustomersWrite,
                CustomersContact,
                CustomersManage,
            ],
            // Staff and the kitchen receive deliveries, record waste and count stock;
            // items, recipes and costs are for managers.
            Role::Staff => &[
                RestaurantRead,
                MenuRead,
                EightySix,
                OrdersRead,
                OrdersWrite,
                InventoryRead,
                InventoryWrite,
                PaymentsTake,
                CustomersRead,
                CustomersWrite,
            ],
            Role::Kitchen => {
                &[RestaurantRead, MenuRead, EightySix, OrdersRead, KitchenWork, InventoryRead, InventoryWrite]
            }
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Whether a member with this role may give `other` to someone (or change or remove
    /// someone who holds it). Only owners make or unmake owners and managers.
    pub fn may_manage(self, other: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Manager => matches!(other, Role::Staff | Role::Kitchen),
            Role::Staff | Role::Kitchen => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Invalid::new("role", format!("'{s}' is not a role; use owner, manager, staff or kitchen")))
    }
}

/// What a caller may do inside one restaurant. The string forms (`menu:write`) are what
/// API keys are scoped with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    RestaurantRead,
    RestaurantWrite,
    UsersRead,
    UsersWrite,
    ApiKeysManage,
    AuditRead,
    MenuRead,
    MenuWrite,
    EightySix,
    OrdersRead,
    OrdersWrite,
    KitchenWork,
    InventoryRead,
    /// Stock movements: receive, waste, count, transfer.
    InventoryWrite,
    /// Stock items, recipes, costs.
    InventoryManage,
    /// Integrations' status and sync jobs.
    IntegrationsRead,
    /// Connect, change and remove integrations; resync.
    IntegrationsManage,
    /// Take payments on a check (cash, card, a card machine recorded by hand).
    PaymentsTake,
    /// What needs a manager at the counter: refunds, voids of sent lines, comps,
    /// cancelling a paid order. Without it, a manager's PIN approves on the spot.
    ChecksApprove,
    /// The day's figures: the close-out report, and later the analytics.
    ReportsRead,
    /// Guests' profiles and history, their phone number and email masked.
    CustomersRead,
    /// A guest's name, notes, tags and marketing consent.
    CustomersWrite,
    /// Guests' phone numbers and email addresses in full.
    CustomersContact,
    /// Merging, exporting and erasing guests; how long their data is kept.
    CustomersManage,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::RestaurantRead,
        Permission::RestaurantWrite,
        Permission::UsersRead,
        Permission::UsersWrite,
        Permission::ApiKeysManage,
        Permission::AuditRead,
        Permission::MenuRead,
        Permission::MenuWrite,
        Permission::EightySix,
        Permission::OrdersRead,
        Permission::OrdersWrite,
        Permission::KitchenWork,
        Permission::InventoryRead,
        Permission::InventoryWrite,
        Permission::InventoryManage,
        Permission::IntegrationsRead,
        Permission::IntegrationsManage,
        Permission::PaymentsTake,
        Permission::ChecksApprove,
        Permission::ReportsRead,
        Permission::CustomersRead,
        Permission::CustomersWrite,
        Permission::CustomersContact,
        Permission::CustomersManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::RestaurantRead => "restaurant:read",
            Permission::RestaurantWrite => "restaurant:write",
            Permission::UsersRead => "users:read",
            Permission::UsersWrite => "users:write",
            Permission::ApiKeysManage => "api_keys:manage",
            Permission::AuditRead => "audit:read",
            Permission::MenuRead => "menu:read",
            Permission::MenuWrite => "menu:write",
            Permission::EightySix => "menu:86",
            Permission::OrdersRead => "orders:read",
            Permission::OrdersWrite => "orders:write",
            Permission::KitchenWork => "kitchen:work",
            Permission::InventoryRead => "inventory:read",
            Permission::InventoryWrite => "inventory:write",
            Permission::InventoryManage => "inventory:manage",
            Permission::IntegrationsRead => "integrations:read",
            Permission::IntegrationsManage => "integrations:manage",
            Permission::PaymentsTake => "payments:take",
            Permission::ChecksApprove => "checks:approve",
            Permission::ReportsRead => "reports:read",
            Permission::CustomersRead => "customers:read",
            Permission::CustomersWrite => "customers:write",
            Permission::CustomersContact => "customers:contact",
            Permission::CustomersManage => "customers:manage",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Permission::ALL.iter().copied().find(|p| p.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            Invalid::new("permissions", format!("'{s}' is not a permission; known: {}", known.join(", ")))
        })
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a list of permission names, refusing unknown ones and folding duplicates.
pub fn parse_permissions(names: &[String]) -> Result<Vec<Permission>, Invalid> {
    if names.is_empty() {
        return Err(Invalid::new("permissions", "give at least one permission"));
    }
    let mut out: Vec<Permission> = names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a subscriber who lacks an event's permission gets of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lacking {
    /// Only that something of this type happened to this entity (enough for a screen to
    /// reload what it may read), never the payload or who did it.
    Redact,
    /// Nothing at all: even the fact is for those who may read it.
    Withhold,
}

/// Who may read an event of the log in full: the permission its REST counterpart needs,
/// and what everyone else in the restaurant gets. The realtime feed applies it to every
/// subscriber, live and in catch-up alike. A type this table does not know is for the
/// audit log's readers only (it fails closed).
pub fn event_audience(kind: &str) -> (Permission, Lacking) {
    use Lacking::*;
    use Permission::*;
    let family = kind.split('.').next().unwrap_or("");
    match (family, kind) {
        // Recipes carry costs.
        (_, "menu.recipe_updated") => (InventoryManage, Redact),
        ("menu", _) => (MenuRead, Redact),
        ("order" | "payment" | "refund" | "kds", _) => (OrdersRead, Redact),
        ("inventory", _) => (InventoryRead, Redact),
        ("table" | "restaurant" | "task" | "demo", _) => (RestaurantRead, Redact),
        ("customer", _) => (CustomersRead, Redact),
        // The live calls panel: the caller's number is masked in these already.
        ("phone", _) => (OrdersRead, Redact),
        // The week grid is everyone's; its costs and everyone's time and rates are not.
        (_, "staff.shift_created" | "staff.shift_updated" | "staff.shift_deleted" | "staff.schedule_copied") => {
            (UsersWrite, Redact)
        }
        ("staff", _) => (UsersRead, Redact),
        ("user", _) => (UsersRead, Withhold),
        ("api_key", _) => (ApiKeysManage, Withhold),
        ("integration" | "sync", _) => (IntegrationsRead, Withhold),
        ("webhook", _) => (IntegrationsManage, Withhold),
        _ => (AuditRead, Withhold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn owners_hold_every_permission() {
        for p in Permission::ALL {
            assert!(Role::Owner.allows(*p), "{p}");
        }
    }

    #[test]
    fn staff_and_kitchen_cannot_manage_people_or_keys() {
        for role in [Role::Staff, Role::Kitchen] {
            for p in
                [Permission::UsersWrite, Permission::ApiKeysManage, Permission::RestaurantWrite, Permission::AuditRead]
            {
                assert!(!role.allows(p), "{role} must not hold {p}");
            }
            for other in Role::ALL {
                assert!(!role.may_manage(other));
            }
        }
    }

    #[test]
    fn managers_cannot_make_owners_or_managers() {
        assert!(!Role::Manager.may_manage(Role::Owner));
        assert!(!Role::Manager.may_manage(Role::Manager));
        assert!(Role::Manager.may_manage(Role::Staff));
    }

    #[test]
    fn event_audiences_follow_their_rest_counterparts() {
        let sees = |role: Role, kind: &str| role.allows(event_audience(kind).0);
        for kind in [
            "staff.positions_updated",
            "staff.clock_in",
            "staff.time_edited",
            "user.created",
            "auth.login",
            "api_key.created",
            "webhook.subscribed",
            "integration.connected",
            "sync.job_dead",
            "menu.recipe_updated",
        ] {
            assert!(!sees(Role::Staff, kind) && !sees(Role::Kitchen, kind), "{kind}");
            assert!(sees(Role::Owner, kind), "{kind}");
        }
        for kind in [
            "order.new",
            "kds.ticket_bumped",
            "menu.availability_changed",
            "inventory.updated",
            "task.completed",
            "phone.call_turn",
        ] {
            assert!(sees(Role::Staff, kind) && sees(Role::Kitchen, kind), "{kind}");
        }
        assert_eq!(event_audience("user.removed").1, Lacking::Withhold);
        assert_eq!(event_audience("something.new").0, Permission::AuditRead, "unknown types fail closed");
        assert_eq!(event_audience("something.new").1, Lacking::Withhold);
    }

    #[test]
    fn unknown_permission_is_refused_with_the_list() {
        let err = parse_permissions(&["menu:eat".into()]).unwrap_err();
        assert!(err.message.contains("menu:write"));
        assert!(parse_permissions(&[]).is_err());
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    proptest! {
        // Nobody can grant a role that holds a permission they lack: managing a role never
        // lets a member raise someone above themselves.
        #[test]
        fn managing_never_escalates(a in any_role(), b in any_role()) {
            if a.may_manage(b) {
                for p in b.permissions() {
                    prop_assert!(a.allows(*p), "{a} manages {b} but lacks {p}");
                }
            }
        }

        #[test]
        fn permission_names_round_trip(i in 0..Permission::ALL.len()) {
            let p = Permission::ALL[i];
            prop_assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<Permission>(&json).unwrap(), p);
        }

        #[test]
        fn role_names_round_trip(r in any_role()) {
            prop_assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }
}
