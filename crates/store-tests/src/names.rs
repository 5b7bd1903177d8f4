//! What "the same name" means (`roster_scim::text`): userNames platform-wide and group
//! displayNames within an organization are one name when their NFC-normalised, fully case-folded
//! keys are equal, on both stores alike; filters on them fold the same way in SQL and in memory;
//! the longest names the SCIM core accepts, in the characters whose keys grow most, are stored.

use std::sync::Arc;

use roster_domain::{
    AccountWrite, GroupExpect, GroupWrite, MemberSource, MembershipChange, Store, user_name_key,
};
use roster_scim::text::{NAME_MAX_CHARS, TEXT_MAX_CHARS};
use serde_json::json;

use crate::filters::{Answer, groups_agree, users_agree};
use crate::support::{
    accounts, expect_unique, group, groups, insert, member, new_account, new_group, org,
};

/// Pairs of names that are one name: (stored, then refused).
const SAME: &[(&str, &str)] = &[
    ("straße@x.org", "STRASSE@X.ORG"),
    ("caf\u{e9}@x.org", "Cafe\u{301}@x.org"),
    ("sigma\u{3c3}@x.org", "SIGMA\u{3a3}@x.org"),
];

pub async fn user_names_are_one_name_whatever_the_case_and_composition(store: Arc<dyn Store>) {
    let (a, _) = org(&store, 10).await;
    for (stored, refused) in SAME {
        let first = member(&store, a.id, stored).await;
        let result = store
            .write_account(AccountWrite {
                account: new_account(None, refused),
                expected_version: None,
                takes_seat: false,
                end_scim_memberships: false,
                change: roster_domain::Change::cli(),
            })
            .await;
        expect_unique(result, &format!("inserting {refused:?} beside {stored:?}"));
        let found = store
            .account_by_user_name(&user_name_key(refused))
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id), Some(first.id), "{refused:?}");
    }
}

pub async fn group_names_are_one_name_whatever_the_case_and_composition(store: Arc<dyn Store>) {
    let (_, scope) = org(&store, 10).await;
    for (stored, refused) in [("Maße", "MASSE"), ("Caf\u{e9}", "CAFE\u{301}")] {
        group(&store, scope, stored).await;
        let write = GroupWrite {
            group: new_group(scope.org_id(), refused),
            expect: GroupExpect::New,
            members: MembershipChange::none(MemberSource::Scim),
            change: roster_domain::Change::cli(),
        };
        expect_unique(
            store.write_group(scope, write).await,
            &format!("a group {refused:?} beside {stored:?}"),
        );
    }
}

pub async fn filters_on_names_fold_in_sql_and_in_memory_alike(store: Arc<dyn Store>) {
    let (a, scope) = org(&store, 10).await;
    for (stored, _) in SAME {
        member(&store, a.id, stored).await;
    }
    member(&store, a.id, "strasse-2@x.org").await;
    for (text, expected) in [
        ("userName eq \"STRASSE@x.org\"", vec!["straße@x.org"]),
        ("userName eq \"Straße@X.org\"", vec!["straße@x.org"]),
        ("userName eq \"CAFE\u{301}@X.ORG\"", vec!["caf\u{e9}@x.org"]),
        (
            "userName eq \"SIGMA\u{3a3}@x.org\"",
            vec!["sigma\u{3c3}@x.org"],
        ),
        (
            "userName eq \"sigma\u{3c2}@x.org\"",
            vec!["sigma\u{3c3}@x.org"],
        ),
        (
            "userName sw \"STRASS\"",
            vec!["straße@x.org", "strasse-2@x.org"],
        ),
        ("userName co \"ß\"", vec!["straße@x.org", "strasse-2@x.org"]),
        ("userName ew \"É@X.ORG\"", vec!["caf\u{e9}@x.org"]),
    ] {
        let mut found: Vec<String> = accounts(&store, scope, Some(text))
            .await
            .into_iter()
            .map(|a| a.user_name)
            .collect();
        found.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(found, expected, "{text}");
        users_agree(&store, scope, text, Answer::Sql).await;
    }
    users_agree(&store, scope, "userName gt \"STRASSE\"", Answer::Sql).await;
    group(&store, scope, "Maße").await;
    group(&store, scope, "Caf\u{e9}").await;
    for text in [
        "displayName eq \"MASSE\"",
        "displayName eq \"CAFE\u{301}\"",
        "displayName sw \"MAS\"",
        "displayName co \"ß\"",
    ] {
        assert_eq!(groups(&store, scope, Some(text)).await.len(), 1, "{text}");
        groups_agree(&store, scope, text, Answer::Sql).await;
    }
}

pub async fn the_longest_names_and_texts_are_stored_on_every_store(store: Arc<dyn Store>) {
    let (a, scope) = org(&store, 10).await;
    // U+0390 folds to three characters (2 bytes to 6); U+1F600 is 4 bytes and folds to itself.
    for one in ["\u{390}", "\u{1f600}", "ß"] {
        let name = one.repeat(NAME_MAX_CHARS);
        let mut account = new_account(Some(a.id), &name);
        account.external_id = Some(name.clone());
        account.display_name = Some(name.clone());
        account.attributes.insert(
            "title".into(),
            json!(format!("a\tb\r\n{}", "x".repeat(TEXT_MAX_CHARS - 5))),
        );
        let stored = insert(&store, account).await;
        let found = store
            .account_by_user_name(&user_name_key(&name))
            .await
            .unwrap();
        assert_eq!(found, Some(stored));
        let group = group(&store, scope, &name).await;
        assert_eq!(group.display_name, name);
    }
}
