//! SCIM tokens: first install, rotation with and without grace, revocation.

use std::sync::Arc;

use roster_domain::{OrgId, Store, TokenHash, TokenRecord};
use time::{Duration, OffsetDateTime};

use crate::support::{at, expect_unique, org};

fn token(org: OrgId, secret: &str, created: OffsetDateTime) -> TokenRecord {
    TokenRecord {
        id: uuid_of(secret),
        org_id: org,
        hash: TokenHash::of(secret),
        created_at: created,
        expires_at: None,
    }
}

/// A token id derived from the secret's hash, so each test token has a distinct, stable id.
fn uuid_of(secret: &str) -> uuid::Uuid {
    let hash = TokenHash::of(secret).0;
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Uuid::from_bytes(bytes)
}

pub async fn first_token_installs_only_when_none_is_current(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let first = token(org.id, &format!("first-{}", org.id), at(0));
    store
        .install_scim_token(&first, None, true, &[])
        .await
        .unwrap();
    assert_eq!(
        store.scim_token(&first.hash).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.valid_scim_tokens(scope, at(1)).await.unwrap(),
        vec![first.clone()]
    );

    let second = token(org.id, &format!("second-{}", org.id), at(5));
    expect_unique(
        store.install_scim_token(&second, None, true, &[]).await,
        "enabling SCIM twice",
    );
    assert_eq!(store.scim_token(&second.hash).await.unwrap(), None);
    assert_eq!(
        store.valid_scim_tokens(scope, at(6)).await.unwrap(),
        vec![first]
    );
    assert_eq!(
        store
            .scim_token(&TokenHash::of("never issued"))
            .await
            .unwrap(),
        None
    );
}

pub async fn rotation_with_grace_keeps_the_previous_token_until_it_expires(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let a = token(org.id, &format!("a-{}", org.id), at(0));
    store.install_scim_token(&a, None, true, &[]).await.unwrap();
    let b = token(org.id, &format!("b-{}", org.id), at(10));
    let grace_end = at(10) + Duration::seconds(60);
    store
        .install_scim_token(&b, Some(grace_end), false, &[])
        .await
        .unwrap();

    let a_in_grace = TokenRecord {
        expires_at: Some(grace_end),
        ..a.clone()
    };
    assert_eq!(
        store.scim_token(&a.hash).await.unwrap(),
        Some(a_in_grace.clone())
    );
    assert_eq!(
        store.valid_scim_tokens(scope, at(11)).await.unwrap(),
        vec![a_in_grace.clone(), b.clone()]
    );
    // Valid strictly before the end of the grace period.
    let just_before = grace_end - Duration::microseconds(1);
    assert_eq!(
        store
            .valid_scim_tokens(scope, just_before)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store.valid_scim_tokens(scope, grace_end).await.unwrap(),
        vec![b.clone()]
    );

    // A further rotation revokes the token still in its grace period.
    let c = token(org.id, &format!("c-{}", org.id), at(20));
    let second_end = at(20) + Duration::seconds(60);
    store
        .install_scim_token(&c, Some(second_end), false, &[])
        .await
        .unwrap();
    assert_eq!(store.scim_token(&a.hash).await.unwrap(), None);
    let b_in_grace = TokenRecord {
        expires_at: Some(second_end),
        ..b
    };
    assert_eq!(
        store.valid_scim_tokens(scope, at(21)).await.unwrap(),
        vec![b_in_grace, c]
    );
}

pub async fn rotation_without_grace_revokes_the_previous_token_at_once(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let a = token(org.id, &format!("a-{}", org.id), at(0));
    store.install_scim_token(&a, None, true, &[]).await.unwrap();
    let b = token(org.id, &format!("b-{}", org.id), at(10));
    store
        .install_scim_token(&b, None, false, &[])
        .await
        .unwrap();
    assert_eq!(store.scim_token(&a.hash).await.unwrap(), None);
    assert_eq!(
        store.valid_scim_tokens(scope, at(11)).await.unwrap(),
        vec![b]
    );
}

pub async fn revoking_removes_every_token_of_the_org_only(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 1).await;
    let (other, other_scope) = crate::support::org(&store, 1).await;
    let other = other.id;
    let a = token(org.id, &format!("a-{}", org.id), at(0));
    let b = token(org.id, &format!("b-{}", org.id), at(10));
    let kept = token(other, &format!("kept-{other}"), at(0));
    store.install_scim_token(&a, None, true, &[]).await.unwrap();
    store
        .install_scim_token(&b, Some(at(10) + Duration::hours(24)), false, &[])
        .await
        .unwrap();
    store
        .install_scim_token(&kept, None, true, &[])
        .await
        .unwrap();
    assert_eq!(store.revoke_scim_tokens(scope, &[]).await.unwrap(), 2);
    assert_eq!(
        store.valid_scim_tokens(scope, at(11)).await.unwrap(),
        vec![]
    );
    assert_eq!(store.scim_token(&a.hash).await.unwrap(), None);
    assert_eq!(store.scim_token(&b.hash).await.unwrap(), None);
    assert_eq!(store.revoke_scim_tokens(scope, &[]).await.unwrap(), 0);
    assert_eq!(
        store.valid_scim_tokens(other_scope, at(11)).await.unwrap(),
        vec![kept]
    );
    // SCIM can be enabled again after a revocation.
    let again = token(org.id, &format!("again-{}", org.id), at(30));
    store
        .install_scim_token(&again, None, true, &[])
        .await
        .unwrap();
}
