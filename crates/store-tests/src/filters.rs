//! Filters compiled to SQL answer exactly what the in-memory evaluator answers: for each filter,
//! the store's SQL and `roster_scim::filter::matches` over every visible resource pick the same
//! rows. Names are chosen to catch case folding, non-ASCII text, absent values and `not`.

use std::{collections::BTreeSet, sync::Arc};

use roster_domain::{
    AccountLookup, GroupLookup, MemberSource, OrgScope, Store, StoreFilter, group_resource,
    user_resource,
};
use roster_scim::{
    filter::{matches, parse_filter},
    schema::{GROUP_RESOURCE, USER_RESOURCE},
};
use time::format_description::well_known::Rfc3339;

use crate::support::{add, at, change, insert, new_account, org, update};

async fn users_by_sql(store: &Arc<dyn Store>, scope: OrgScope, text: &str) -> BTreeSet<String> {
    let filter = StoreFilter::lower(&USER_RESOURCE, &parse_filter(text).unwrap())
        .unwrap_or_else(|| panic!("'{text}' should be answered in SQL"));
    let (page, total) = store
        .scim_accounts_matching(scope, &filter, 0, 1000)
        .await
        .unwrap();
    assert_eq!(total, page.len() as u64, "{text}: total counts the matches");
    page.iter().map(|a| a.user_name.clone()).collect()
}

async fn users_in_memory(store: &Arc<dyn Store>, scope: OrgScope, text: &str) -> BTreeSet<String> {
    let filter = parse_filter(text).unwrap();
    store
        .scim_accounts(scope, &AccountLookup::All)
        .await
        .unwrap()
        .iter()
        .filter(|a| matches(&filter, &USER_RESOURCE, &user_resource(a, None)))
        .map(|a| a.user_name.clone())
        .collect()
}

pub async fn sql_filters_on_accounts_agree_with_the_in_memory_evaluator(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let mut ada = new_account(Some(org.id), "Ada@Example.org");
    ada.external_id = Some("Ext-1".into());
    ada.created_at = at(10);
    ada.updated_at = at(10);
    let ada = insert(&store, ada).await;
    let mut bob = new_account(Some(org.id), "bob@example.org");
    bob.external_id = None;
    bob.active = false;
    bob.deactivated_at = Some(at(20));
    bob.created_at = at(20);
    bob.updated_at = at(20);
    insert(&store, bob).await;
    let mut cedric = new_account(Some(org.id), "Çédric@exemple.fr");
    cedric.external_id = Some("ext-2".into());
    cedric.created_at = at(30);
    cedric.updated_at = at(30);
    insert(&store, cedric).await;
    let mut zed = new_account(Some(org.id), "zed@x.org");
    zed.external_id = None;
    zed.created_at = at(40);
    zed.updated_at = at(40);
    let mut zed = insert(&store, zed).await;
    zed.active_unassigned = true;
    update(&store, zed).await;
    let mut gone = new_account(Some(org.id), "gone@example.org");
    gone.active = false;
    gone.scim_deleted = true;
    insert(&store, gone).await;
    let other = crate::support::org(&store, 10).await.0;
    insert(&store, new_account(Some(other.id), "ada2@example.org")).await;

    let t20 = at(20).format(&Rfc3339).unwrap();
    let ada_id = ada.id.to_string();
    let filters = [
        "userName eq \"ADA@EXAMPLE.ORG\"".to_owned(),
        "userName ne \"bob@example.org\"".into(),
        "userName co \"EXAMPLE\"".into(),
        "userName sw \"çé\"".into(),
        "userName ew \".FR\"".into(),
        "userName gt \"b\"".into(),
        "userName le \"bob@example.org\"".into(),
        "userName pr".into(),
        "userName co \"\"".into(),
        "externalId eq \"ext-1\"".into(),
        "externalId eq \"Ext-1\"".into(),
        "externalId ne \"Ext-1\"".into(),
        "externalId pr".into(),
        "not (externalId pr)".into(),
        "externalId eq null".into(),
        "externalId ne null".into(),
        "externalId co \"xt\"".into(),
        "externalId ew \"-2\"".into(),
        "externalId lt \"ext\"".into(),
        "active eq true".into(),
        "active eq false".into(),
        "active ne true".into(),
        "active pr".into(),
        "not (active eq true)".into(),
        "active gt true".into(),
        format!("id eq \"{ada_id}\""),
        format!("id ne \"{ada_id}\""),
        format!("id eq \"{}\"", ada_id.to_uppercase()),
        "id eq \"nope\"".into(),
        "id pr".into(),
        format!("meta.lastModified ge \"{t20}\""),
        format!("meta.created lt \"{t20}\""),
        format!("meta.lastModified eq \"{t20}\""),
        "(userName sw \"a\" or active eq false) and not (externalId eq \"Ext-1\")".into(),
    ];
    for text in &filters {
        assert_eq!(
            users_by_sql(&store, scope, text).await,
            users_in_memory(&store, scope, text).await,
            "filter: {text}"
        );
    }
}

pub async fn sql_filters_on_groups_agree_with_the_in_memory_evaluator(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let ada = insert(&store, new_account(Some(org.id), "ada@example.org")).await;
    let bob = insert(&store, new_account(Some(org.id), "bob@example.org")).await;
    let mut biology = crate::support::new_group(org.id, "Biology 101");
    biology.external_id = None;
    let biology = group_with(&store, scope, biology).await;
    change(
        &store,
        scope,
        &biology,
        add(MemberSource::Scim, &[ada.id, bob.id]),
    )
    .await;
    let mut art = crate::support::new_group(org.id, "art");
    art.external_id = None;
    group_with(&store, scope, art).await;
    let mut doctors = crate::support::new_group(org.id, "Ärzte");
    doctors.external_id = Some("G-1".into());
    let doctors = group_with(&store, scope, doctors).await;
    change(
        &store,
        scope,
        &doctors,
        add(MemberSource::Manual, &[bob.id]),
    )
    .await;

    let (a, b, g) = (
        ada.id.to_string(),
        bob.id.to_string(),
        biology.id.to_string(),
    );
    let filters = [
        "displayName eq \"BIOLOGY 101\"".to_owned(),
        "displayName sw \"ä\"".into(),
        "displayName gt \"b\"".into(),
        "displayName ne \"art\"".into(),
        format!("members eq \"{a}\""),
        format!("members eq \"{}\"", a.to_uppercase()),
        format!("members.value eq \"{b}\""),
        "members pr".into(),
        "not (members pr)".into(),
        format!("id eq \"{g}\" and members eq \"{b}\""),
        format!("id eq \"{g}\" and members eq \"{}\"", doctors.id),
        "externalId eq \"G-1\"".into(),
        "externalId pr or displayName co \"OLOG\"".into(),
        "externalId ne \"G-1\"".into(),
    ];
    for text in &filters {
        let parsed = parse_filter(text).unwrap();
        let lowered = StoreFilter::lower(&GROUP_RESOURCE, &parsed)
            .unwrap_or_else(|| panic!("'{text}' should be answered in SQL"));
        let (page, total) = store
            .scim_groups_matching(scope, &lowered, 0, 1000)
            .await
            .unwrap();
        assert_eq!(total, page.len() as u64);
        let by_sql: BTreeSet<String> = page.iter().map(|g| g.display_name.clone()).collect();
        let mut in_memory = BTreeSet::new();
        for group in store.scim_groups(scope, &GroupLookup::All).await.unwrap() {
            let members = store
                .group_members(scope, group.id)
                .await
                .unwrap()
                .iter()
                .map(|m| serde_json::json!({"value": m.account_id.to_string()}))
                .collect();
            if matches(
                &parsed,
                &GROUP_RESOURCE,
                &group_resource(&group, Some(members), None),
            ) {
                in_memory.insert(group.display_name.clone());
            }
        }
        assert_eq!(by_sql, in_memory, "filter: {text}");
    }
}

async fn group_with(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    group: roster_domain::Group,
) -> roster_domain::Group {
    use roster_domain::{GroupExpect, GroupWrite, MembershipChange};
    store
        .write_group(
            scope,
            GroupWrite {
                group,
                expect: GroupExpect::New,
                members: MembershipChange::none(MemberSource::Scim),
            },
        )
        .await
        .unwrap()
        .0
}
