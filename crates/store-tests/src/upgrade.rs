//! Upgrades keep data: a database created by the OLDEST migration set and filled the way that
//! version's code wrote rows ([`SEED`] ids and values) is opened by the current store, which
//! applies every newer migration; everything must read back unchanged through the trait.
//!
//! Each store's `tests/upgrade.rs` applies its `0001` migration by hand, inserts [`SEED`] with
//! SQL written for that schema (never edited, like the migration it targets), opens the store,
//! and calls [`check_seeded`].

use roster_domain::{
    AccountId, GroupId, MemberSource, OrgId, OrgKind, OrgScope, Role, Store, TokenHash,
    user_name_key,
};

use crate::check_invariants;

/// The values the seed SQL of each store writes, in the oldest schema.
#[derive(Debug)]
pub struct Seed {
    pub org: &'static str,
    pub ada: &'static str,
    pub bob: &'static str,
    pub cy: &'static str,
    pub solo: &'static str,
    pub group: &'static str,
    /// The SCIM token whose SHA-256 the seed stores.
    pub token: &'static str,
    /// 2026-01-01T00:00:00Z in Unix microseconds.
    pub at_micros: i64,
}

pub const SEED: Seed = Seed {
    org: "0a0a0a0a-0000-4000-8000-000000000001",
    ada: "0a0a0a0a-0000-4000-8000-0000000000a1",
    bob: "0a0a0a0a-0000-4000-8000-0000000000a2",
    cy: "0a0a0a0a-0000-4000-8000-0000000000a3",
    solo: "0a0a0a0a-0000-4000-8000-0000000000a4",
    group: "0a0a0a0a-0000-4000-8000-0000000000b1",
    token: "roster_seeded-token-of-the-oldest-schema",
    at_micros: 1_767_225_600_000_000,
};

/// The SHA-256 the seed stores for [`Seed::token`].
pub fn seed_token_hash() -> Vec<u8> {
    TokenHash::of(SEED.token).0.to_vec()
}

/// Names the seed adds so that migration 0004 (keys by NFC and full case folding) finds work:
/// independent accounts (id, userName) and groups of [`Seed::org`] (id, displayName), each with its
/// old key, `to_lowercase()` of its name. `STRAßE@x.org` and `strasse@x.org` are one name now, as
/// are the groups `Maße` and `MASSE`: the row already holding the new key keeps it, the other keeps
/// its old key and is reported (see [`NAME_CONFLICTS`]).
pub const NAME_ACCOUNTS: &[(&str, &str)] = &[
    ("0a0a0a0a-0000-4000-8000-0000000000a5", "STRAßE@x.org"),
    ("0a0a0a0a-0000-4000-8000-0000000000a6", "strasse@x.org"),
    ("0a0a0a0a-0000-4000-8000-0000000000a7", "Cafe\u{301}@x.org"),
    ("0a0a0a0a-0000-4000-8000-0000000000a8", "SIGMAΣ@x.org"),
];

/// See [`NAME_ACCOUNTS`].
pub const NAME_GROUPS: &[(&str, &str)] = &[
    ("0a0a0a0a-0000-4000-8000-0000000000b2", "Maße"),
    ("0a0a0a0a-0000-4000-8000-0000000000b3", "MASSE"),
];

/// The rows of `name_key_conflicts` after the upgrade: (kind, id, holder id).
pub const NAME_CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "account",
        "0a0a0a0a-0000-4000-8000-0000000000a5",
        "0a0a0a0a-0000-4000-8000-0000000000a6",
    ),
    (
        "group",
        "0a0a0a0a-0000-4000-8000-0000000000b2",
        "0a0a0a0a-0000-4000-8000-0000000000b3",
    ),
];

/// The accounts of [`NAME_ACCOUNTS`] after the upgrade: found by the new key, except the one
/// that kept its old key.
pub async fn check_name_keys(store: &dyn Store) {
    let found = async |key: String| {
        store
            .account_by_user_name(&key)
            .await
            .unwrap()
            .map(|a| a.id.to_string())
    };
    let [straße, strasse, cafe, sigma] = [0, 1, 2, 3].map(|i| Some(NAME_ACCOUNTS[i].0.to_owned()));
    assert_eq!(found(user_name_key("STRASSE@X.ORG")).await, strasse);
    assert_eq!(found(user_name_key("Straße@x.org")).await, strasse);
    // The conflicting account keeps its old key until one of the two is renamed.
    assert_eq!(found("straße@x.org".to_owned()).await, straße);
    assert_eq!(found(user_name_key("CAF\u{c9}@x.org")).await, cafe);
    assert_eq!(found(user_name_key("sigmaσ@x.org")).await, sigma);
    assert_eq!(found(user_name_key("SIGMAς@X.org")).await, sigma);
}

/// Reads the seeded organization back through the current store.
pub async fn check_seeded(store: &dyn Store) {
    let org_id: OrgId = SEED.org.parse().unwrap();
    let org = store.org(org_id).await.unwrap().expect("the seeded org");
    assert_eq!(org.name, "Ridgemont High");
    assert_eq!(org.kind, OrgKind::School);
    assert_eq!(org.seats, 10);
    assert_eq!(org.retention_days, Some(30));
    let scope = OrgScope::trusted(org_id);
    assert_eq!(store.seats_used(scope).await.unwrap(), 2, "ada and bob");

    let ada = store
        .account_by_user_name(&user_name_key("ADA@example.org"))
        .await
        .unwrap()
        .expect("ada");
    assert_eq!(ada.id, SEED.ada.parse::<AccountId>().unwrap());
    assert_eq!(ada.user_name, "Ada@Example.org");
    assert_eq!(ada.external_id.as_deref(), Some("ext-ada"));
    assert_eq!(ada.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ada.role, Role::Student);
    assert!(ada.active && ada.scim_managed && !ada.scim_deleted);
    assert_eq!(ada.attributes["name"]["givenName"], "Ada");
    assert!(
        !ada.attributes.contains_key("password"),
        "0002 removed the password the oldest version stored"
    );
    assert_eq!(ada.version, 3);

    let bob = store
        .account_by_user_name(&user_name_key("bob@example.org"))
        .await
        .unwrap()
        .expect("bob");
    assert_eq!(bob.role, Role::Teacher);
    assert!(!bob.scim_managed);

    let cy = store
        .account_by_user_name(&user_name_key("cy@example.org"))
        .await
        .unwrap()
        .expect("cy, retained after a SCIM delete");
    assert!(!cy.active && cy.scim_deleted);
    assert!(cy.deactivated_at.is_some());

    let solo = store
        .account_by_user_name(&user_name_key("solo@example.org"))
        .await
        .unwrap()
        .expect("the independent account");
    assert_eq!(solo.org_id, None);

    let group: GroupId = SEED.group.parse().unwrap();
    let mut members = store.group_members(scope, group).await.unwrap();
    members.sort_by(|a, b| a.user_name.cmp(&b.user_name));
    let sources: Vec<(&str, MemberSource)> = members
        .iter()
        .map(|m| (m.user_name.as_str(), m.source))
        .collect();
    assert_eq!(
        sources,
        vec![
            ("Ada@Example.org", MemberSource::Scim),
            ("bob@example.org", MemberSource::Manual)
        ]
    );

    let token = store
        .scim_token(&TokenHash::of(SEED.token))
        .await
        .unwrap()
        .expect("the seeded token");
    assert_eq!(token.org_id, org_id);
    assert!(token.expires_at.is_none());

    let log = store.log_entries(scope, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].operation, "POST /Users");
    assert_eq!(log[0].name.as_deref(), Some("Ada@Example.org"));

    check_invariants(store).await;
}
