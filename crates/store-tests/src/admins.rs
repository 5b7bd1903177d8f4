//! Administrators through the domain, on each store: adding (new, promoted, refused when the
//! account is outside the organization), invitations, removal, and an administrator of one
//! organization reaching nothing of another.

use std::sync::Arc;

use roster_domain::{
    AdminCredential, AuditAction, Conflict, Error, INVITATION_VALIDITY, InvitationCode, OrgKind,
    Role, Store,
};

use crate::sign_in::{PASSWORD, set_up};

pub async fn adding_an_admin_creates_or_promotes_an_account_of_the_organization(
    store: Arc<dyn Store>,
) {
    let (roster, _, org) = set_up(&store).await;
    let added = roster
        .add_admin(
            org,
            "bob@a.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    assert_eq!(added.account.role, Role::Admin);
    assert_eq!(added.account.org_id, Some(org));
    assert!(added.invitation.is_none());
    let (_, session) = roster
        .sign_in("bob@a.example", PASSWORD, None)
        .await
        .unwrap();
    // Adding an administrator again replaces the password and signs them out.
    roster
        .add_admin(
            org,
            "bob@a.example",
            AdminCredential::Password("a brand new passphrase".into()),
        )
        .await
        .unwrap();
    assert!(matches!(
        roster.session(&session, None).await,
        Err(Error::Unauthorized(_))
    ));
    assert!(
        roster
            .sign_in("bob@a.example", PASSWORD, None)
            .await
            .is_err()
    );
    roster
        .sign_in("bob@a.example", "a brand new passphrase", None)
        .await
        .unwrap();

    let teacher = roster
        .add_account(Some(org), "tess@a.example", None, Some(Role::Teacher))
        .await
        .unwrap();
    let promoted = roster
        .add_admin(
            org,
            "TESS@a.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    assert_eq!(promoted.account.id, teacher.id, "the same account");
    assert_eq!(promoted.account.role, Role::Admin);
    let emails: Vec<_> = roster
        .admins(org)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.email)
        .collect();
    assert_eq!(emails, ["ada@a.example", "bob@a.example", "tess@a.example"]);
}

pub async fn an_account_outside_the_organization_is_not_made_an_admin(store: Arc<dyn Store>) {
    let (roster, _, org) = set_up(&store).await;
    let solo = roster
        .add_account(None, "solo@x.example", None, None)
        .await
        .unwrap();
    let err = roster
        .add_admin(org, "solo@x.example", AdminCredential::Invite)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(Conflict::State(_))),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("belongs to an account outside this organization"),
        "SCIM's detail: {err}"
    );
    let unchanged = roster.account_by_user_name("solo@x.example").await.unwrap();
    assert_eq!(unchanged, solo, "nothing written");
}

pub async fn a_weak_password_adds_no_administrator(store: Arc<dyn Store>) {
    let (roster, _, org) = set_up(&store).await;
    let err = roster
        .add_admin(
            org,
            "bob@a.example",
            AdminCredential::Password("1qaz2wsx3edc".into()),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("commonly used"), "{err}");
    assert!(matches!(
        roster.account_by_user_name("bob@a.example").await,
        Err(Error::NotFound(_))
    ));
}

pub async fn an_invitation_sets_a_password_once_within_seven_days(store: Arc<dyn Store>) {
    let (roster, clock, org) = set_up(&store).await;
    let added = roster
        .add_admin(org, "inv@a.example", AdminCredential::Invite)
        .await
        .unwrap();
    let code = added.invitation.unwrap();
    assert!(
        code.link("https://roster.example/")
            .starts_with("https://roster.example/console/invitation/")
    );
    assert!(!format!("{code:?}").contains(code.as_str()));
    let refused = roster
        .sign_in("inv@a.example", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Unauthorized(_)), "no password yet");
    let weak = roster
        .accept_invitation(&code, "too short", None)
        .await
        .unwrap_err();
    assert!(matches!(weak, Error::Invalid(_)), "{weak:?}");
    let (admin, token) = roster
        .accept_invitation(&code, PASSWORD, Some("10.1.1.1:1"))
        .await
        .unwrap();
    assert_eq!(admin.email(), "inv@a.example");
    roster.session(&token, None).await.unwrap();
    roster
        .sign_in("inv@a.example", PASSWORD, None)
        .await
        .unwrap();
    let again = roster
        .accept_invitation(&code, "another fine passphrase", None)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::NotFound(_)), "{again:?}");

    let late = roster
        .add_admin(org, "late@a.example", AdminCredential::Invite)
        .await
        .unwrap()
        .invitation
        .unwrap();
    clock.advance(INVITATION_VALIDITY);
    let expired = roster
        .accept_invitation(&late, PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(expired, Error::NotFound(_)), "{expired:?}");
    let forged = roster
        .accept_invitation(&InvitationCode::new("made-up".into()), PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(forged, Error::NotFound(_)), "{forged:?}");
}

pub async fn removing_an_admin_keeps_the_account_with_the_lowest_role_and_ends_its_sessions(
    store: Arc<dyn Store>,
) {
    let (roster, _, org) = set_up(&store).await;
    roster
        .add_admin(
            org,
            "bob@a.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    let (_, token) = roster
        .sign_in("bob@a.example", PASSWORD, None)
        .await
        .unwrap();
    roster.remove_admin(org, "Bob@a.example").await.unwrap();
    let bob = roster.account_by_user_name("bob@a.example").await.unwrap();
    assert_eq!(bob.role, Role::lowest_for(OrgKind::School));
    assert!(bob.active);
    assert!(matches!(
        roster.session(&token, None).await,
        Err(Error::Unauthorized(_))
    ));
    assert!(matches!(
        roster.sign_in("bob@a.example", PASSWORD, None).await,
        Err(Error::Unauthorized(_))
    ));
    let not_admin = roster.remove_admin(org, "bob@a.example").await.unwrap_err();
    assert!(matches!(not_admin, Error::NotFound(_)), "{not_admin:?}");

    let last = roster.remove_admin(org, "ada@a.example").await.unwrap_err();
    assert!(
        matches!(last, Error::Conflict(Conflict::State(_))),
        "{last:?}"
    );
    assert!(last.to_string().contains("last administrator"), "{last}");
    roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
}

pub async fn an_admin_of_one_organization_reaches_nothing_of_another(store: Arc<dyn Store>) {
    let (roster, _, org_a) = set_up(&store).await;
    let org_b = roster
        .create_org(roster_domain::NewOrg {
            name: "B".into(),
            kind: OrgKind::Business,
            seats: 5,
        })
        .await
        .unwrap()
        .org
        .id;
    roster
        .add_admin(
            org_b,
            "bea@b.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    roster
        .add_admin(
            org_b,
            "ben@b.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    let (ada, _) = roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    let (bea, _) = roster
        .sign_in("bea@b.example", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(bea.org_id(), org_b);

    let err = roster
        .remove_admin_by(&ada, "ben@b.example")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(
        roster.admins(org_b).await.unwrap().len(),
        2,
        "nothing changed"
    );
    let listed: Vec<_> = roster
        .admins_of(&ada)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.email)
        .collect();
    assert_eq!(listed, ["ada@a.example"]);
    let err = roster
        .add_admin_by(&ada, "ben@b.example", AdminCredential::Invite)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let entries = roster.audit_page(&ada, None, 100).await.unwrap().entries;
    assert!(entries.iter().all(|e| e.org_id == org_a));
    assert!(
        roster
            .audit_page(&bea, None, 100)
            .await
            .unwrap()
            .entries
            .iter()
            .all(|e| e.org_id == org_b)
    );

    // What an administrator does in the console is audited with who and from where.
    roster
        .add_admin_by(&ada, "al@a.example", AdminCredential::Invite)
        .await
        .unwrap();
    roster.remove_admin_by(&ada, "al@a.example").await.unwrap();
    let entries = roster.audit_page(&ada, None, 2).await.unwrap().entries;
    assert_eq!(entries[0].action, AuditAction::AdminRemoved);
    assert_eq!(entries[1].action, AuditAction::AdminAdded);
    assert_eq!(entries[0].target.as_deref(), Some("al@a.example"));
    assert_eq!(entries[0].actor_account_id, Some(ada.account_id()));
}
