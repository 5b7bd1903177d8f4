//! Storage of sign-in with the organization's provider: configuration per organization,
//! one-time pending flows, links unique per organization, the sign-in log, an account's groups.

use std::sync::Arc;

use roster_domain::{
    LoggedSignIn, MatchedBy, MemberSource, SignInFilter, SsoConfigRecord, SsoFlowRecord,
    SsoLinkRecord, SsoProvider, SsoSignInRecord, SsoVerdict, Store, TokenHash,
};
use uuid::Uuid;

use crate::support::{add, at, change, group, member, org};

fn config(org: roster_domain::OrgId, client_id: &str) -> SsoConfigRecord {
    SsoConfigRecord {
        org_id: org,
        provider: SsoProvider::Microsoft,
        tenant_id: Some(Uuid::new_v4()),
        issuer: None,
        client_id: client_id.into(),
        sealed_secret: vec![1, 2, 3, 0, 255],
        created_at: at(1),
        updated_at: at(1),
    }
}

fn flow(org: roster_domain::OrgId, state: &str) -> SsoFlowRecord {
    SsoFlowRecord {
        state_hash: TokenHash::of(state),
        org_id: org,
        nonce: format!("nonce-{state}"),
        pkce_verifier: format!("verifier-{state}"),
        created_at: at(0),
        expires_at: at(600),
    }
}

pub async fn sso_configuration_round_trips_is_replaced_and_removed_per_organization(
    store: Arc<dyn Store>,
) {
    let (_, a) = org(&store, 5).await;
    let (_, b) = org(&store, 5).await;
    assert_eq!(store.sso_config(a).await.unwrap(), None);
    let first = config(a.org_id(), "client-1");
    store.put_sso_config(a, &first, &[]).await.unwrap();
    assert_eq!(store.sso_config(a).await.unwrap(), Some(first.clone()));
    assert_eq!(store.sso_config(b).await.unwrap(), None);

    let generic = SsoConfigRecord {
        provider: SsoProvider::Oidc,
        tenant_id: None,
        issuer: Some("https://id.example/realms/x".into()),
        client_id: "client-2".into(),
        created_at: at(50),
        updated_at: at(50),
        ..first.clone()
    };
    store.put_sso_config(a, &generic, &[]).await.unwrap();
    let stored = store.sso_config(a).await.unwrap().unwrap();
    assert_eq!(
        stored,
        SsoConfigRecord {
            created_at: at(1),
            ..generic
        },
        "a replacement keeps when SSO was first configured"
    );
    assert!(!store.delete_sso_config(b, &[]).await.unwrap());
    assert!(store.delete_sso_config(a, &[]).await.unwrap());
    assert_eq!(store.sso_config(a).await.unwrap(), None);
    assert!(!store.delete_sso_config(a, &[]).await.unwrap());
}

pub async fn a_pending_sign_in_is_taken_once_and_never_after_it_expires(store: Arc<dyn Store>) {
    let (o, _) = org(&store, 5).await;
    store.insert_sso_flow(&flow(o.id, "s1")).await.unwrap();
    store.insert_sso_flow(&flow(o.id, "s2")).await.unwrap();
    store.insert_sso_flow(&flow(o.id, "s3")).await.unwrap();
    let taken = store
        .take_sso_flow(&TokenHash::of("s1"), at(599))
        .await
        .unwrap();
    assert_eq!(taken, Some(flow(o.id, "s1")));
    assert_eq!(
        store
            .take_sso_flow(&TokenHash::of("s1"), at(599))
            .await
            .unwrap(),
        None,
        "a state is used once"
    );
    assert_eq!(
        store
            .take_sso_flow(&TokenHash::of("s2"), at(600))
            .await
            .unwrap(),
        None,
        "a flow ends at exactly its expiry"
    );
    assert_eq!(
        store
            .take_sso_flow(&TokenHash::of("s2"), at(0))
            .await
            .unwrap(),
        None,
        "an expired attempt used the flow up"
    );
    assert_eq!(store.trim_sso_flows(at(599)).await.unwrap(), 0);
    assert_eq!(store.trim_sso_flows(at(600)).await.unwrap(), 1);
    assert_eq!(
        store
            .take_sso_flow(&TokenHash::of("s3"), at(0))
            .await
            .unwrap(),
        None
    );
}

pub async fn concurrent_callbacks_with_one_state_finish_it_once(store: Arc<dyn Store>) {
    let (o, _) = org(&store, 5).await;
    store.insert_sso_flow(&flow(o.id, "race")).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .take_sso_flow(&TokenHash::of("race"), at(1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

pub async fn links_are_unique_per_organization_and_found_only_in_theirs(store: Arc<dyn Store>) {
    let (a_org, a) = org(&store, 5).await;
    let (b_org, b) = org(&store, 5).await;
    let ada = member(&store, a_org.id, "ada@a.example").await;
    let bob = member(&store, a_org.id, "bob@a.example").await;
    let bea = member(&store, b_org.id, "bea@b.example").await;
    let link = |org, account, subject: &str| SsoLinkRecord {
        org_id: org,
        account_id: account,
        namespace: "microsoft:tid-1".into(),
        subject: subject.into(),
        created_at: at(2),
    };
    store
        .insert_sso_link(a, &link(a_org.id, ada.id, "oid-1"))
        .await
        .unwrap();
    store
        .insert_sso_link(a, &link(a_org.id, bob.id, "oid-1"))
        .await
        .unwrap();
    assert_eq!(
        store.sso_link(a, "microsoft:tid-1", "oid-1").await.unwrap(),
        Some(ada.id),
        "the first link of a subject stays"
    );
    assert_eq!(
        store.sso_link(b, "microsoft:tid-1", "oid-1").await.unwrap(),
        None
    );
    assert_eq!(
        store.sso_link(a, "microsoft:tid-2", "oid-1").await.unwrap(),
        None
    );
    store
        .insert_sso_link(b, &link(b_org.id, bea.id, "oid-1"))
        .await
        .unwrap();
    assert_eq!(
        store.sso_link(b, "microsoft:tid-1", "oid-1").await.unwrap(),
        Some(bea.id)
    );
    assert_eq!(
        store.sso_link(a, "microsoft:tid-1", "oid-1").await.unwrap(),
        Some(ada.id)
    );
    // A link names an account of its own organization, or is refused by the schema.
    let across = store
        .insert_sso_link(a, &link(a_org.id, bea.id, "oid-9"))
        .await;
    assert!(across.is_err());
    assert_eq!(
        store.sso_link(a, "microsoft:tid-1", "oid-9").await.unwrap(),
        None
    );
}

fn entry(org: roster_domain::OrgId, seconds: i64, verdict: SsoVerdict) -> SsoSignInRecord {
    SsoSignInRecord {
        org_id: org,
        at: at(seconds),
        verdict,
        matched_by: (verdict == SsoVerdict::SignedIn).then_some(MatchedBy::UserName),
        account_id: None,
        tid: Some("tid".into()),
        oid: Some(format!("oid-{seconds}")),
        preferred_username: Some("ada@a.example".into()),
        issuer: Some("https://login.example/tid/v2.0".into()),
        subject: Some("sub".into()),
        expected: (verdict == SsoVerdict::RejectedToken).then(|| "tenant x".into()),
        detail: None,
    }
}

pub async fn the_sign_in_log_round_trips_newest_first_per_organization(store: Arc<dyn Store>) {
    let (a_org, a) = org(&store, 5).await;
    let (b_org, b) = org(&store, 5).await;
    let ada = member(&store, a_org.id, "ada@a.example").await;
    let mut signed_in = entry(a_org.id, 10, SsoVerdict::SignedIn);
    signed_in.account_id = Some(ada.id);
    for e in [
        entry(a_org.id, 5, SsoVerdict::NotProvisioned),
        signed_in.clone(),
        entry(a_org.id, 10, SsoVerdict::RejectedToken),
        entry(b_org.id, 20, SsoVerdict::Deactivated),
    ] {
        store.append_sso_sign_in(&e).await.unwrap();
    }
    let records = |found: Vec<LoggedSignIn>| -> Vec<SsoSignInRecord> {
        found.into_iter().map(|l| l.record).collect()
    };
    let all = store.sso_sign_ins(a, &newest(10)).await.unwrap();
    assert_eq!(
        records(all.clone()),
        vec![
            entry(a_org.id, 10, SsoVerdict::RejectedToken),
            signed_in.clone(),
            entry(a_org.id, 5, SsoVerdict::NotProvisioned),
        ]
    );
    assert_eq!(store.sso_sign_ins(a, &newest(1)).await.unwrap().len(), 1);
    assert_eq!(
        records(store.sso_sign_ins(b, &newest(10)).await.unwrap()),
        vec![entry(b_org.id, 20, SsoVerdict::Deactivated)]
    );

    // After a cursor: strictly older, by time then id (two entries share a time).
    let after_first = SignInFilter {
        before: Some(all[0].cursor()),
        ..newest(10)
    };
    assert_eq!(
        store.sso_sign_ins(a, &after_first).await.unwrap(),
        all[1..].to_vec()
    );
    let after_last = SignInFilter {
        before: Some(all[2].cursor()),
        ..newest(10)
    };
    assert_eq!(store.sso_sign_ins(a, &after_last).await.unwrap(), vec![]);

    // One account's entries, among the `scan` newest only.
    let of_ada = |scan| SignInFilter {
        account: Some(ada.id),
        scan,
        ..newest(10)
    };
    assert_eq!(
        records(store.sso_sign_ins(a, &of_ada(10)).await.unwrap()),
        vec![signed_in]
    );
    assert_eq!(store.sso_sign_ins(a, &of_ada(1)).await.unwrap(), vec![]);
    assert_eq!(store.sso_sign_ins(b, &of_ada(10)).await.unwrap(), vec![]);
}

fn newest(limit: u32) -> SignInFilter {
    SignInFilter {
        before: None,
        account: None,
        scan: limit,
        limit,
    }
}

pub async fn an_accounts_groups_are_listed_by_name_in_its_organization_only(store: Arc<dyn Store>) {
    let (a_org, a) = org(&store, 5).await;
    let (_, b) = org(&store, 5).await;
    let ada = member(&store, a_org.id, "ada@a.example").await;
    let bob = member(&store, a_org.id, "bob@a.example").await;
    let physics = group(&store, a, "physics").await;
    let art = group(&store, a, "Art").await;
    let chess = group(&store, a, "chess").await;
    change(&store, a, &physics, add(MemberSource::Scim, &[ada.id])).await;
    change(
        &store,
        a,
        &art,
        add(MemberSource::Manual, &[ada.id, bob.id]),
    )
    .await;
    change(&store, a, &chess, add(MemberSource::Scim, &[bob.id])).await;
    assert_eq!(
        store.account_groups(a, ada.id).await.unwrap(),
        vec![
            (art.id, "Art".to_owned()),
            (physics.id, "physics".to_owned())
        ]
    );
    assert_eq!(store.account_groups(b, ada.id).await.unwrap(), vec![]);
}
