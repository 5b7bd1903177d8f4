//! The console's storage: administrators' credentials, first-run setup (once, whatever races),
//! removals that never leave an organization without an administrator, invitations, sessions
//! and failed sign-ins.

use std::sync::Arc;

use roster_domain::{
    Account, AdminCredentialRecord, AdminRemoval, FailureKey, FirstAdmin, OrgId, OrgScope, Role,
    SessionRecord, SignInMethod, Store, TokenHash,
};
use time::OffsetDateTime;

use crate::support::{at, insert, new_account, new_org, org};

fn admin_account(org: OrgId, email: &str) -> Account {
    Account {
        role: Role::Admin,
        scim_managed: false,
        ..new_account(Some(org), email)
    }
}

fn password(account: &Account) -> AdminCredentialRecord {
    AdminCredentialRecord {
        account_id: account.id,
        org_id: account.org_id.unwrap(),
        password_hash: Some(format!("$argon2id$v=19$stand-in-for-{}", account.user_name)),
        invitation_hash: None,
        invitation_expires_at: None,
        created_at: at(1),
        updated_at: at(1),
    }
}

fn session(account: &Account, token: &str) -> SessionRecord {
    SessionRecord {
        token_hash: TokenHash::of(token),
        account_id: account.id,
        org_id: account.org_id.unwrap(),
        method: SignInMethod::Password,
        created_at: at(2),
        last_seen_at: at(2),
    }
}

/// An administrator with a password, stored.
async fn admin(store: &Arc<dyn Store>, org: OrgId, email: &str) -> Account {
    let account = insert(store, admin_account(org, email)).await;
    store
        .put_admin_credential(OrgScope::trusted(org), &password(&account))
        .await
        .unwrap();
    account
}

pub async fn credentials_round_trip_and_list_only_the_orgs_administrators(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let (other, other_scope) = crate::support::org(&store, 10).await;
    assert!(!store.any_admin_credential().await.unwrap());
    let ada = admin(&store, org.id, "ada@a.example").await;
    assert!(store.any_admin_credential().await.unwrap());
    assert_eq!(
        store.admin_credential(ada.id).await.unwrap(),
        Some(password(&ada))
    );
    // An invitation, then replaced by a password.
    let bob = insert(&store, admin_account(org.id, "Bob@a.example")).await;
    let invited = AdminCredentialRecord {
        password_hash: None,
        invitation_hash: Some(TokenHash::of("code")),
        invitation_expires_at: Some(at(100)),
        ..password(&bob)
    };
    store.put_admin_credential(scope, &invited).await.unwrap();
    assert_eq!(store.admin_credential(bob.id).await.unwrap(), Some(invited));
    insert(&store, new_account(Some(org.id), "learner@a.example")).await;
    insert(&store, admin_account(org.id, "carl@a.example")).await;
    admin(&store, other.id, "zed@b.example").await;

    let listed = store.admins(scope).await.unwrap();
    let emails: Vec<_> = listed.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(emails, ["ada@a.example", "Bob@a.example", "carl@a.example"]);
    assert!(listed[0].password_set && listed[0].invitation_expires_at.is_none());
    assert!(!listed[1].password_set);
    assert_eq!(listed[1].invitation_expires_at, Some(at(100)));
    assert!(!listed[2].password_set && listed[2].invitation_expires_at.is_none());
    assert_eq!(store.admins(other_scope).await.unwrap().len(), 1);
}

fn first_admin(email: &str) -> FirstAdmin {
    let org = new_org(5, at(0));
    let account = admin_account(org.id, email);
    FirstAdmin {
        credential: password(&account),
        session: session(&account, email),
        org,
        account,
    }
}

pub async fn setup_writes_the_first_administrator_once(store: Arc<dyn Store>) {
    let first = first_admin("first@a.example");
    assert!(store.setup_first_admin(&first).await.unwrap());
    let scope = OrgScope::trusted(first.org.id);
    assert_eq!(
        store.org(first.org.id).await.unwrap(),
        Some(first.org.clone())
    );
    assert_eq!(store.seats_used(scope).await.unwrap(), 1);
    let account = store
        .account(scope, first.account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((account.role, account.version), (Role::Admin, 1));
    assert_eq!(
        store.admin_credential(first.account.id).await.unwrap(),
        Some(first.credential.clone())
    );
    assert_eq!(
        store.session(&first.session.token_hash).await.unwrap(),
        Some(first.session.clone())
    );

    let second = first_admin("second@b.example");
    assert!(!store.setup_first_admin(&second).await.unwrap());
    assert_eq!(
        store.org(second.org.id).await.unwrap(),
        None,
        "nothing written"
    );
    assert_eq!(store.orgs().await.unwrap().len(), 1);
}

pub async fn concurrent_setups_make_exactly_one_administrator(store: Arc<dyn Store>) {
    let attempts = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .setup_first_admin(&first_admin(&format!("admin{n}@x.example")))
                .await
                .unwrap()
        })
    });
    let mut made = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        made += usize::from(attempt.await.unwrap());
    }
    assert_eq!(made, 1);
    assert_eq!(store.orgs().await.unwrap().len(), 1);
}

pub async fn removing_an_admin_demotes_it_and_ends_its_credential_and_sessions(
    store: Arc<dyn Store>,
) {
    let (org, scope) = org(&store, 10).await;
    let (_, other_scope) = crate::support::org(&store, 10).await;
    let ada = admin(&store, org.id, "ada@a.example").await;
    let bob = admin(&store, org.id, "bob@a.example").await;
    store.insert_session(&session(&ada, "ada-1")).await.unwrap();
    store.insert_session(&session(&bob, "bob-1")).await.unwrap();
    let learner = insert(&store, new_account(Some(org.id), "l@a.example")).await;

    assert_eq!(
        store
            .remove_admin(
                scope,
                learner.id,
                Role::Student,
                at(9),
                &roster_domain::Change::cli()
            )
            .await
            .unwrap(),
        AdminRemoval::NotAdmin
    );
    assert_eq!(
        store
            .remove_admin(
                other_scope,
                ada.id,
                Role::Student,
                at(9),
                &roster_domain::Change::cli()
            )
            .await
            .unwrap(),
        AdminRemoval::NotAdmin,
        "another organization's scope reaches nothing"
    );
    assert_eq!(
        store
            .remove_admin(
                scope,
                ada.id,
                Role::Student,
                at(9),
                &roster_domain::Change::cli()
            )
            .await
            .unwrap(),
        AdminRemoval::Removed
    );
    let demoted = store.account(scope, ada.id).await.unwrap().unwrap();
    assert_eq!(demoted.role, Role::Student);
    assert_eq!(demoted.version, ada.version + 1);
    assert_eq!(demoted.updated_at, at(9));
    assert!(demoted.active, "the account itself stays");
    assert_eq!(store.admin_credential(ada.id).await.unwrap(), None);
    assert_eq!(store.session(&TokenHash::of("ada-1")).await.unwrap(), None);
    assert!(
        store
            .session(&TokenHash::of("bob-1"))
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(
        store
            .remove_admin(
                scope,
                bob.id,
                Role::Student,
                at(9),
                &roster_domain::Change::cli()
            )
            .await
            .unwrap(),
        AdminRemoval::LastAdmin
    );
    assert!(
        store.admin_credential(bob.id).await.unwrap().is_some(),
        "nothing written"
    );
    assert_eq!(
        store.account(scope, bob.id).await.unwrap().unwrap().role,
        Role::Admin
    );
}

pub async fn concurrent_removals_leave_one_administrator(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let mut admins = Vec::new();
    for n in 0..4 {
        admins.push(admin(&store, org.id, &format!("a{n}@a.example")).await);
    }
    let removals = admins.iter().map(|a| {
        let (store, id) = (store.clone(), a.id);
        tokio::spawn(async move {
            store
                .remove_admin(
                    scope,
                    id,
                    Role::Student,
                    at(5),
                    &roster_domain::Change::cli(),
                )
                .await
                .unwrap()
        })
    });
    let mut removed = 0;
    for removal in removals.collect::<Vec<_>>() {
        removed += usize::from(removal.await.unwrap() == AdminRemoval::Removed);
    }
    assert_eq!(removed, 3);
    let left = store.admins(scope).await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].password_set);
}

pub async fn an_invitation_is_accepted_once_and_only_before_it_expires(store: Arc<dyn Store>) {
    let (org, scope) = org(&store, 10).await;
    let ada = insert(&store, admin_account(org.id, "ada@a.example")).await;
    let invitation = |code: &str| AdminCredentialRecord {
        password_hash: None,
        invitation_hash: Some(TokenHash::of(code)),
        invitation_expires_at: Some(at(100)),
        ..password(&ada)
    };
    store
        .put_admin_credential(scope, &invitation("late"))
        .await
        .unwrap();
    assert_eq!(
        store
            .accept_invitation(&TokenHash::of("late"), "$argon2id$x", at(100))
            .await
            .unwrap(),
        None,
        "expired at exactly its end"
    );
    store
        .put_admin_credential(scope, &invitation("code"))
        .await
        .unwrap();
    assert_eq!(
        store
            .accept_invitation(&TokenHash::of("other"), "$argon2id$x", at(50))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .accept_invitation(&TokenHash::of("code"), "$argon2id$x", at(50))
            .await
            .unwrap(),
        Some((ada.id, org.id))
    );
    let credential = store.admin_credential(ada.id).await.unwrap().unwrap();
    assert_eq!(credential.password_hash.as_deref(), Some("$argon2id$x"));
    assert_eq!(credential.invitation_hash, None);
    assert_eq!(credential.updated_at, at(50));
    assert_eq!(
        store
            .accept_invitation(&TokenHash::of("code"), "$argon2id$y", at(51))
            .await
            .unwrap(),
        None,
        "used once"
    );
}

pub async fn sessions_round_trip_are_touched_and_end(store: Arc<dyn Store>) {
    let (org, _) = org(&store, 10).await;
    let ada = admin(&store, org.id, "ada@a.example").await;
    let one = session(&ada, "one");
    let two = SessionRecord {
        method: SignInMethod::Sso,
        ..session(&ada, "two")
    };
    store.insert_session(&one).await.unwrap();
    store.insert_session(&two).await.unwrap();
    assert_eq!(
        store.session(&one.token_hash).await.unwrap(),
        Some(one.clone())
    );
    assert_eq!(
        store.session(&two.token_hash).await.unwrap(),
        Some(two.clone())
    );
    store.touch_session(&one.token_hash, at(70)).await.unwrap();
    assert_eq!(
        store
            .session(&one.token_hash)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        at(70)
    );
    assert!(store.delete_session(&one.token_hash).await.unwrap());
    assert!(!store.delete_session(&one.token_hash).await.unwrap());
    assert_eq!(store.session(&one.token_hash).await.unwrap(), None);
    store.insert_session(&session(&ada, "three")).await.unwrap();
    assert_eq!(store.delete_account_sessions(ada.id).await.unwrap(), 2);
    assert_eq!(store.session(&two.token_hash).await.unwrap(), None);
}

pub async fn failed_sign_ins_are_counted_by_account_and_address_within_the_window(
    store: Arc<dyn Store>,
) {
    let (org, _) = org(&store, 10).await;
    let ada = admin(&store, org.id, "ada@a.example").await;
    let bob = admin(&store, org.id, "bob@a.example").await;
    for s in [1, 2, 3] {
        store
            .record_sign_in_failure(Some(ada.id), Some("10.0.0.1"), at(s))
            .await
            .unwrap();
    }
    store
        .record_sign_in_failure(Some(bob.id), Some("10.0.0.2"), at(4))
        .await
        .unwrap();
    store
        .record_sign_in_failure(None, Some("10.0.0.1"), at(5))
        .await
        .unwrap();
    let forgotten = store
        .record_sign_in_failure(None, Some("10.0.0.1"), at(6))
        .await
        .unwrap();
    store.forget_sign_in_failure(forgotten).await.unwrap();
    let recent = |key: FailureKey, since: OffsetDateTime, limit: u32| {
        let store = store.clone();
        async move {
            store
                .recent_sign_in_failures(&key, since, limit)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        recent(FailureKey::Account(ada.id), at(0), 10).await,
        [at(3), at(2), at(1)]
    );
    assert_eq!(
        recent(FailureKey::Account(ada.id), at(1), 10).await,
        [at(3), at(2)],
        "strictly after `since`"
    );
    assert_eq!(
        recent(FailureKey::Account(ada.id), at(0), 2).await,
        [at(3), at(2)]
    );
    assert_eq!(
        recent(FailureKey::Address("10.0.0.1".into()), at(0), 10).await,
        [at(5), at(3), at(2), at(1)]
    );
    store.clear_sign_in_failures(ada.id).await.unwrap();
    assert!(
        recent(FailureKey::Account(ada.id), at(0), 10)
            .await
            .is_empty()
    );
    assert_eq!(
        recent(FailureKey::Account(bob.id), at(0), 10).await,
        [at(4)]
    );
    assert_eq!(
        recent(FailureKey::Address("10.0.0.1".into()), at(0), 10).await,
        [at(5)],
        "clearing an account leaves unknown emails' failures"
    );

    // Trimming: failures before the cut, sessions idle or too old.
    store.insert_session(&session(&bob, "fresh")).await.unwrap();
    let old = SessionRecord {
        created_at: at(-100),
        last_seen_at: at(3),
        ..session(&bob, "old")
    };
    store.insert_session(&old).await.unwrap();
    let removed = store.trim_console(at(5), at(0), at(-50)).await.unwrap();
    assert_eq!(removed, 2, "bob's failure at 4 and the old session");
    assert_eq!(
        recent(FailureKey::Account(bob.id), at(0), 10).await,
        Vec::<OffsetDateTime>::new()
    );
    assert!(
        store
            .session(&TokenHash::of("fresh"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.session(&old.token_hash).await.unwrap(), None);
}
