//! Filters the store answers pick exactly the rows the in-memory evaluator picks: for each filter
//! that lowers whole, the store's SQL and `roster_scim::filter::matches` over every visible
//! resource agree; for each filter that only narrows (some test needs the evaluator), the rows
//! the narrowing returns, evaluated in memory, are again the same. Names are chosen to catch case
//! folding, non-ASCII text, absent values and `not`.

use std::{collections::BTreeSet, future::Future, sync::Arc};

use roster_domain::{
    Account, AccountId, Group, GroupExpect, GroupWrite, ListRequest, Listed, MemberSource,
    MembershipChange, Order, OrgScope, Page, Position, Store, StoreFilter, group_resource,
    user_resource,
};
use roster_scim::{
    filter::{Filter, matches, parse_filter},
    schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE},
};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

use crate::support::{
    accounts, add, at, change, groups, insert, new_account, new_group, org, update,
};

/// How a filter is answered in a case.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer {
    /// In SQL alone: the filter lowers whole.
    Sql,
    /// By the store narrowing and the evaluator deciding: the filter does not lower whole, but
    /// some of its top-level conjuncts do.
    Narrowed,
}

/// The store form `answer` asks for, checked to exist.
fn store_filter(rt: &ResourceType, filter: &Filter, answer: Answer, text: &str) -> StoreFilter {
    match answer {
        Answer::Sql => StoreFilter::lower(rt, filter)
            .unwrap_or_else(|| panic!("'{text}' should be answered in SQL")),
        Answer::Narrowed => {
            assert!(
                StoreFilter::lower(rt, filter).is_none(),
                "'{text}' lowers whole"
            );
            StoreFilter::narrowing(rt, filter)
                .unwrap_or_else(|| panic!("'{text}' should narrow in SQL"))
        }
    }
}

/// Every visible account, and those `text` picks answered the `answer` way.
pub(crate) async fn users_agree(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    text: &str,
    answer: Answer,
) {
    let filter = parse_filter(text).unwrap();
    let lowered = store_filter(&USER_RESOURCE, &filter, answer, text);
    let (found, total) = store
        .accounts(scope, Some(&lowered), Page::new(0, 1000))
        .await
        .unwrap();
    assert_eq!(
        total,
        found.len() as u64,
        "{text}: total counts the matches"
    );
    let picked = |candidates: &[Account]| -> BTreeSet<String> {
        candidates
            .iter()
            .filter(|a| matches(&filter, &USER_RESOURCE, &user_resource(a, None)))
            .map(|a| a.user_name.clone())
            .collect()
    };
    let answered = match answer {
        Answer::Sql => found.iter().map(|a| a.user_name.clone()).collect(),
        Answer::Narrowed => picked(&found),
    };
    let everything = accounts(store, scope, None).await;
    assert_eq!(answered, picked(&everything), "filter: {text}");
}

/// An organization with accounts that differ in every column-backed attribute.
async fn accounts_to_filter(store: &Arc<dyn Store>) -> (OrgScope, AccountId) {
    let (org, scope) = org(store, 10).await;
    let mut ada = new_account(Some(org.id), "Ada@Example.org");
    ada.external_id = Some("Ext-1".into());
    ada.created_at = at(10);
    ada.updated_at = at(10);
    let ada = insert(store, ada).await;
    let mut bob = new_account(Some(org.id), "bob@example.org");
    bob.external_id = None;
    bob.active = false;
    bob.deactivated_at = Some(at(20));
    bob.created_at = at(20);
    bob.updated_at = at(20);
    insert(store, bob).await;
    let mut cedric = new_account(Some(org.id), "Çédric@exemple.fr");
    cedric.external_id = Some("ext-2".into());
    cedric.created_at = at(30);
    cedric.updated_at = at(30);
    cedric.attributes.remove("emails");
    insert(store, cedric).await;
    let mut zed = new_account(Some(org.id), "zed@x.org");
    zed.external_id = None;
    zed.created_at = at(40);
    zed.updated_at = at(40);
    let mut zed = insert(store, zed).await;
    zed.active_unassigned = true;
    update(store, zed).await;
    let mut gone = new_account(Some(org.id), "gone@example.org");
    gone.active = false;
    gone.scim_deleted = true;
    insert(store, gone).await;
    let other = crate::support::org(store, 10).await.0;
    insert(store, new_account(Some(other.id), "ada2@example.org")).await;
    (scope, ada.id)
}

pub async fn sql_filters_on_accounts_agree_with_the_in_memory_evaluator(store: Arc<dyn Store>) {
    let (scope, ada) = accounts_to_filter(&store).await;
    let t20 = at(20).format(&Rfc3339).unwrap();
    let ada_id = ada.to_string();
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
        users_agree(&store, scope, text, Answer::Sql).await;
    }
}

pub async fn narrowed_filters_on_accounts_agree_with_the_in_memory_evaluator(
    store: Arc<dyn Store>,
) {
    let (scope, ada) = accounts_to_filter(&store).await;
    let t20 = at(20).format(&Rfc3339).unwrap();
    let filters = [
        "userName co \"EXAMPLE\" and emails[type eq \"work\"]".to_owned(),
        "emails pr and active eq true".into(),
        "name.familyName co \"B\" and not (userName eq \"bob@example.org\")".into(),
        "(externalId pr and name.givenName eq \"ada\") and userName ew \".ORG\"".into(),
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Maths\" \
         and externalId ne \"Ext-1\""
            .into(),
        format!("meta.created lt \"{t20}\" and emails.value ew \".edu\""),
        format!("meta.lastModified ge \"{t20}\" and meta.created sw \"20\""),
        format!("id eq \"{ada}\" and name.familyName pr"),
        "active eq false and (emails pr or nickName pr)".into(),
    ];
    for text in &filters {
        users_agree(&store, scope, text, Answer::Narrowed).await;
    }
}

/// Groups with their members (`value` only), as the evaluator reads them.
async fn group_resources(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    found: Vec<Group>,
) -> Vec<(Group, Map<String, Value>)> {
    let mut resources = Vec::new();
    for group in found {
        let members = store
            .group_members(scope, group.id)
            .await
            .unwrap()
            .iter()
            .map(|m| json!({"value": m.account_id.to_string()}))
            .collect();
        let resource = group_resource(&group, Some(members), None);
        resources.push((group, resource));
    }
    resources
}

/// Every group, and those `text` picks answered the `answer` way.
pub(crate) async fn groups_agree(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    text: &str,
    answer: Answer,
) {
    let filter = parse_filter(text).unwrap();
    let lowered = store_filter(&GROUP_RESOURCE, &filter, answer, text);
    let (found, total) = store
        .groups(scope, Some(&lowered), Page::new(0, 1000))
        .await
        .unwrap();
    assert_eq!(
        total,
        found.len() as u64,
        "{text}: total counts the matches"
    );
    let picked = |resources: Vec<(Group, Map<String, Value>)>| -> BTreeSet<String> {
        resources
            .into_iter()
            .filter(|(_, r)| matches(&filter, &GROUP_RESOURCE, r))
            .map(|(g, _)| g.display_name)
            .collect()
    };
    let answered = match answer {
        Answer::Sql => found.iter().map(|g| g.display_name.clone()).collect(),
        Answer::Narrowed => picked(group_resources(store, scope, found).await),
    };
    let everything = group_resources(store, scope, groups(store, scope, None).await).await;
    assert_eq!(answered, picked(everything), "filter: {text}");
}

/// Groups with and without members and external ids; their ids and two members'.
struct GroupsToFilter {
    scope: OrgScope,
    ada: String,
    bob: String,
    biology: String,
    doctors: String,
}

async fn groups_to_filter(store: &Arc<dyn Store>) -> GroupsToFilter {
    let (org, scope) = org(store, 10).await;
    let ada = insert(store, new_account(Some(org.id), "ada@example.org")).await;
    let bob = insert(store, new_account(Some(org.id), "bob@example.org")).await;
    let mut biology = new_group(org.id, "Biology 101");
    biology.external_id = None;
    let biology = group_with(store, scope, biology).await;
    change(
        store,
        scope,
        &biology,
        add(MemberSource::Scim, &[ada.id, bob.id]),
    )
    .await;
    let mut art = new_group(org.id, "art");
    art.external_id = None;
    art.attributes.clear();
    group_with(store, scope, art).await;
    let mut doctors = new_group(org.id, "Ärzte");
    doctors.external_id = Some("G-1".into());
    let doctors = group_with(store, scope, doctors).await;
    change(store, scope, &doctors, add(MemberSource::Manual, &[bob.id])).await;
    GroupsToFilter {
        scope,
        ada: ada.id.to_string(),
        bob: bob.id.to_string(),
        biology: biology.id.to_string(),
        doctors: doctors.id.to_string(),
    }
}

pub async fn sql_filters_on_groups_agree_with_the_in_memory_evaluator(store: Arc<dyn Store>) {
    let GroupsToFilter {
        scope,
        ada: a,
        bob: b,
        biology: g,
        doctors,
    } = groups_to_filter(&store).await;
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
        format!("id eq \"{g}\" and members eq \"{doctors}\""),
        "externalId eq \"G-1\"".into(),
        "externalId pr or displayName co \"OLOG\"".into(),
        "externalId ne \"G-1\"".into(),
    ];
    for text in &filters {
        groups_agree(&store, scope, text, Answer::Sql).await;
    }
}

pub async fn narrowed_filters_on_groups_agree_with_the_in_memory_evaluator(store: Arc<dyn Store>) {
    let GroupsToFilter {
        scope,
        ada: a,
        bob: b,
        biology: g,
        ..
    } = groups_to_filter(&store).await;
    let filters = [
        format!("members[value eq \"{b}\"] and displayName gt \"a\""),
        format!("members eq \"{a}\" and members[value eq \"{b}\"]"),
        "displayName co \"O\" and meta.resourceType eq \"Group\"".to_owned(),
        format!("externalId pr and members[value eq \"{b}\"]"),
        format!("id ne \"{g}\" and not (members[value eq \"{a}\"])"),
        "members pr and urn:example:extension:room eq \"B12\"".into(),
    ];
    for text in &filters {
        groups_agree(&store, scope, text, Answer::Narrowed).await;
    }
}

/// The request `sort_by` (descending or not) on the matches of `filter` (one that lowers whole,
/// or none), its rows in the store's order, and the order to compare them with.
fn sorted_request(
    rt: &ResourceType,
    sort_by: &str,
    descending: bool,
    filter: Option<&str>,
) -> (ListRequest, Option<StoreFilter>, Page) {
    let request = ListRequest::new(rt, filter, 1, 1000, Some(sort_by), descending).unwrap();
    let order = request.store_order(rt);
    assert!(order.is_some(), "sortBy={sort_by} should be sorted in SQL");
    let lowered = request.filter().map(|f| {
        StoreFilter::lower(rt, f).unwrap_or_else(|| panic!("{filter:?} should lower whole"))
    });
    (request, lowered, Page::new(0, 1000).ordered(order))
}

/// The store sorts the accounts `filter` picks as the in-memory sort orders all of them, and
/// cuts a page from the middle of that order.
async fn users_sort_agree(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    sort_by: &str,
    descending: bool,
    filter: Option<&str>,
) {
    let case = format!("sortBy={sort_by} descending={descending} filter={filter:?}");
    let (request, lowered, page) = sorted_request(&USER_RESOURCE, sort_by, descending, filter);
    let names =
        |found: Vec<Account>| -> Vec<String> { found.into_iter().map(|a| a.user_name).collect() };
    let (found, total) = store.accounts(scope, lowered.as_ref(), page).await.unwrap();
    let everything = accounts(store, scope, None).await;
    let (expected, expected_total) = request.select(
        &USER_RESOURCE,
        everything
            .into_iter()
            .map(|a| (user_resource(&a, None), a.user_name))
            .collect(),
    );
    assert_eq!(names(found), expected, "{case}");
    assert_eq!(total, expected_total, "{case}");
    let middle = Page {
        offset: 1,
        limit: Some(2),
        ..page
    };
    let (found, _) = store
        .accounts(scope, lowered.as_ref(), middle)
        .await
        .unwrap();
    let walked = walk(page.order, lowered.as_ref(), |filter, batch| {
        let store = Arc::clone(store);
        async move {
            store
                .accounts(scope, filter.as_ref(), batch)
                .await
                .unwrap()
                .0
        }
    })
    .await;
    assert_eq!(
        names(walked),
        expected,
        "{case}: one row at a time, by keyset"
    );
    let expected: Vec<String> = expected.into_iter().skip(1).take(2).collect();
    assert_eq!(names(found), expected, "{case}: page 2 of 2");
}

/// Every row `filter` selects, in `order`, read one row per batch, each batch after the last
/// row read ([`StoreFilter::after`]), as candidates evaluated in memory are.
async fn walk<T, F, Fut>(order: Option<Order>, filter: Option<&StoreFilter>, mut read: F) -> Vec<T>
where
    T: Listed,
    F: FnMut(Option<StoreFilter>, Page) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let mut rows: Vec<T> = Vec::new();
    let mut after: Option<Position> = None;
    loop {
        let batch = match &after {
            Some(position) => Some(StoreFilter::after(filter, position.clone())),
            None => filter.cloned(),
        };
        let mut found = read(batch, Page::batch(1, order)).await;
        assert!(found.len() <= 1, "a batch of one");
        let Some(row) = found.pop() else {
            return rows;
        };
        after = Some(row.position(order));
        rows.push(row);
        assert!(rows.len() <= 1_000, "the walk does not end");
    }
}

/// As [`users_sort_agree`], for groups.
async fn groups_sort_agree(
    store: &Arc<dyn Store>,
    scope: OrgScope,
    sort_by: &str,
    descending: bool,
    filter: Option<&str>,
) {
    let case = format!("sortBy={sort_by} descending={descending} filter={filter:?}");
    let (request, lowered, page) = sorted_request(&GROUP_RESOURCE, sort_by, descending, filter);
    let names =
        |found: Vec<Group>| -> Vec<String> { found.into_iter().map(|g| g.display_name).collect() };
    let (found, total) = store.groups(scope, lowered.as_ref(), page).await.unwrap();
    let everything = group_resources(store, scope, groups(store, scope, None).await).await;
    let (expected, expected_total) = request.select(
        &GROUP_RESOURCE,
        everything
            .into_iter()
            .map(|(g, r)| (r, g.display_name))
            .collect(),
    );
    assert_eq!(names(found), expected, "{case}");
    assert_eq!(total, expected_total, "{case}");
    let middle = Page {
        offset: 1,
        limit: Some(2),
        ..page
    };
    let (found, _) = store.groups(scope, lowered.as_ref(), middle).await.unwrap();
    let walked = walk(page.order, lowered.as_ref(), |filter, batch| {
        let store = Arc::clone(store);
        async move { store.groups(scope, filter.as_ref(), batch).await.unwrap().0 }
    })
    .await;
    assert_eq!(
        names(walked),
        expected,
        "{case}: one row at a time, by keyset"
    );
    let expected: Vec<String> = expected.into_iter().skip(1).take(2).collect();
    assert_eq!(names(found), expected, "{case}: page 2 of 2");
}

pub async fn sql_sorts_on_accounts_agree_with_the_in_memory_sort(store: Arc<dyn Store>) {
    let (scope, _) = accounts_to_filter(&store).await;
    let org = scope.org_id();
    // Ties with ada on externalId (and creation), with bob on creation and modification, and an
    // externalId whose case decides its place (externalId is caseExact).
    let mut dora = new_account(Some(org), "dora@example.org");
    dora.external_id = Some("Ext-1".into());
    dora.created_at = at(10);
    dora.updated_at = at(20);
    insert(&store, dora).await;
    let mut eve = new_account(Some(org), "EVE@example.org");
    eve.external_id = Some("EXT-3".into());
    eve.created_at = at(20);
    eve.updated_at = at(20);
    insert(&store, eve).await;
    // No displayName, and one that differs from another only in case.
    let mut fay = new_account(Some(org), "fay@example.org");
    fay.display_name = None;
    insert(&store, fay).await;
    let mut gus = new_account(Some(org), "gus@example.org");
    gus.display_name = Some("DORA@EXAMPLE.ORG DISPLAY".into());
    insert(&store, gus).await;
    let sorts = [
        ("userName", None),
        ("username", Some("active eq true")),
        ("externalId", None),
        ("externalId", Some("userName ne \"bob@example.org\"")),
        ("meta.created", None),
        ("meta.lastModified", None),
        (
            "meta.lastModified",
            Some("externalId pr or active eq false"),
        ),
        ("id", None),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName", None),
        ("displayName", None),
        ("displayName", Some("active eq true")),
    ];
    for (sort_by, filter) in sorts {
        for descending in [false, true] {
            users_sort_agree(&store, scope, sort_by, descending, filter).await;
        }
    }
}

pub async fn sql_sorts_on_groups_agree_with_the_in_memory_sort(store: Arc<dyn Store>) {
    let GroupsToFilter { scope, .. } = groups_to_filter(&store).await;
    let org = scope.org_id();
    let mut later = new_group(org, "Chemistry");
    later.external_id = Some("G-1".into());
    later.created_at = at(5);
    later.updated_at = at(5);
    group_with(&store, scope, later).await;
    let sorts = [
        ("displayName", None),
        ("displayName", Some("members pr or externalId pr")),
        ("externalId", None),
        ("meta.created", None),
        ("meta.lastModified", None),
        ("id", None),
    ];
    for (sort_by, filter) in sorts {
        for descending in [false, true] {
            groups_sort_agree(&store, scope, sort_by, descending, filter).await;
        }
    }
}

async fn group_with(store: &Arc<dyn Store>, scope: OrgScope, group: Group) -> Group {
    store
        .write_group(
            scope,
            GroupWrite {
                group,
                expect: GroupExpect::New,
                members: MembershipChange::none(MemberSource::Scim),
                change: roster_domain::Change::cli(),
            },
        )
        .await
        .unwrap()
        .0
}
