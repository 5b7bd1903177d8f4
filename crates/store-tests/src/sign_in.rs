//! Console sign-in through the domain, on each store: first-run setup, passwords, sessions and
//! their expiry, throttling at its exact edges, and every refusal as the administrator sees it.

use std::sync::Arc;

use roster_domain::{
    ACCOUNT_FAILURES, ADDRESS_FAILURES, AccountWrite, AdminCredential, AuditAction, Error,
    FAILURE_WINDOW, FixedClock, NewOrg, OrgId, OrgKind, Roster, SESSION_IDLE_TIMEOUT,
    SESSION_LIFETIME, SessionToken, Store,
};
use time::Duration;

use crate::support::at;

pub(crate) const PASSWORD: &str = "violet staple orbit cactus";

pub(crate) fn roster(store: &Arc<dyn Store>) -> (Roster, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(at(0)));
    (Roster::new(store.clone(), clock.clone()), clock)
}

fn school(name: &str) -> NewOrg {
    NewOrg {
        name: name.into(),
        kind: OrgKind::School,
        seats: 10,
    }
}

/// A Roster with an organization set up by `ada@a.example`.
pub(crate) async fn set_up(store: &Arc<dyn Store>) -> (Roster, Arc<FixedClock>, OrgId) {
    let (roster, clock) = roster(store);
    let (status, _, _) = roster
        .setup_first_admin(
            school("A"),
            "ada@a.example",
            PASSWORD,
            Some("10.0.0.1:5000"),
        )
        .await
        .unwrap();
    (roster, clock, status.org.id)
}

async fn actions(roster: &Roster, org: OrgId) -> Vec<AuditAction> {
    let admin = roster_domain::Admin::trusted(roster_domain::AccountId::new_random(), org, "x");
    roster
        .audit_page(&admin, None, 100)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect()
}

pub async fn setup_creates_the_organization_and_a_signed_in_administrator_once(
    store: Arc<dyn Store>,
) {
    let (roster, _) = roster(&store);
    assert!(roster.setup_needed().await.unwrap());
    let (status, admin, token) = roster
        .setup_first_admin(
            school("A"),
            " ada@a.example ",
            PASSWORD,
            Some("10.0.0.1:5000"),
        )
        .await
        .unwrap();
    assert_eq!(status.org.name, "A");
    assert_eq!(
        status.seats_used, 1,
        "an administrator is an account of the organization"
    );
    assert_eq!(admin.email(), "ada@a.example");
    assert_eq!(admin.org_id(), status.org.id);
    assert_eq!(
        roster.session(&token, None).await.unwrap().account_id(),
        admin.account_id()
    );
    assert!(!roster.setup_needed().await.unwrap());
    assert_eq!(
        actions(&roster, status.org.id).await,
        [AuditAction::SignIn, AuditAction::AdminAdded]
    );
    let entries = roster.audit_page(&admin, None, 10).await.unwrap().entries;
    assert_eq!(entries[0].remote_addr.as_deref(), Some("10.0.0.1:5000"));

    let again = roster
        .setup_first_admin(school("B"), "bea@b.example", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::Conflict(_)), "{again:?}");
    assert_eq!(store.orgs().await.unwrap().len(), 1);
}

pub async fn two_concurrent_setups_create_one_organization(store: Arc<dyn Store>) {
    let (roster, _) = roster(&store);
    let (a, b) = tokio::join!(
        roster.setup_first_admin(school("A"), "ada@a.example", PASSWORD, None),
        roster.setup_first_admin(school("B"), "bea@b.example", PASSWORD, None),
    );
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1);
    let refused = a.err().or(b.err()).unwrap();
    assert!(matches!(refused, Error::Conflict(_)), "{refused:?}");
    assert_eq!(store.orgs().await.unwrap().len(), 1);
}

pub async fn setup_refuses_a_weak_password_and_writes_nothing(store: Arc<dyn Store>) {
    let (roster, _) = roster(&store);
    for weak in ["short", "qwerty123456"] {
        let err = roster
            .setup_first_admin(school("A"), "ada@a.example", weak, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    }
    let err = roster
        .setup_first_admin(school("A"), "not an email", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an email address"), "{err}");
    assert!(store.orgs().await.unwrap().is_empty());
    assert!(roster.setup_needed().await.unwrap());
}

pub async fn each_sign_in_makes_a_new_session_and_sign_out_ends_it(store: Arc<dyn Store>) {
    let (roster, _, org) = set_up(&store).await;
    let (admin, one) = roster
        .sign_in("ADA@a.example", PASSWORD, Some("10.0.0.9:1"))
        .await
        .unwrap();
    assert_eq!(admin.org_id(), org);
    let (_, two) = roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    assert_ne!(one, two, "a new session each sign-in");
    roster.session(&one, None).await.unwrap();
    roster.sign_out(&one, Some("10.0.0.9:1")).await.unwrap();
    let ended = roster.session(&one, None).await.unwrap_err();
    assert!(matches!(ended, Error::Unauthorized(_)), "{ended:?}");
    roster.session(&two, None).await.unwrap();
    roster.sign_out(&one, None).await.unwrap();
    assert_eq!(
        actions(&roster, org).await[..3],
        [
            AuditAction::SignOut,
            AuditAction::SignIn,
            AuditAction::SignIn
        ]
    );
    let forged = SessionToken::new("not-a-session".into());
    assert!(matches!(
        roster.session(&forged, None).await,
        Err(Error::Unauthorized(_))
    ));
}

pub async fn wrong_passwords_and_unknown_emails_are_refused_alike(store: Arc<dyn Store>) {
    let (roster, _, org) = set_up(&store).await;
    let wrong = roster
        .sign_in(
            "ada@a.example",
            "violet staple orbit cactuS",
            Some("10.0.0.2:1"),
        )
        .await
        .unwrap_err();
    let unknown = roster
        .sign_in("nobody@a.example", PASSWORD, Some("10.0.0.2:1"))
        .await
        .unwrap_err();
    let not_an_email = roster
        .sign_in("\u{0}", PASSWORD, Some("10.0.0.2:1"))
        .await
        .unwrap_err();
    for refused in [&wrong, &unknown, &not_an_email] {
        assert!(matches!(refused, Error::Unauthorized(_)), "{refused:?}");
        assert_eq!(refused.to_string(), wrong.to_string());
    }
    let audit = roster
        .audit_page(
            &roster_domain::Admin::trusted(roster_domain::AccountId::new_random(), org, "x"),
            None,
            1,
        )
        .await
        .unwrap()
        .entries;
    assert_eq!(audit[0].action, AuditAction::SignInFailed);
    assert_eq!(audit[0].actor_email.as_deref(), Some("ada@a.example"));
    assert_eq!(audit[0].detail.as_deref(), Some("wrong password"));
    assert_eq!(
        actions(&roster, org).await.len(),
        3,
        "an unknown email is in no organization's audit log"
    );
}

pub async fn the_sixth_sign_in_within_fifteen_minutes_is_throttled_even_with_the_right_password(
    store: Arc<dyn Store>,
) {
    let (roster, clock, _) = set_up(&store).await;
    let first = at(0) + Duration::minutes(1);
    clock.set(first);
    for n in 0..ACCOUNT_FAILURES {
        clock.set(first + Duration::seconds(n.into()));
        let err = roster
            .sign_in(
                "ada@a.example",
                "wrong password here",
                Some(&format!("10.0.1.{n}:1")),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    }
    // Just before the first failure leaves the window: refused, even with the password.
    clock.set(first + FAILURE_WINDOW - Duration::microseconds(1));
    let err = roster
        .sign_in("ada@a.example", PASSWORD, Some("10.0.2.1:1"))
        .await
        .unwrap_err();
    let Error::Throttled { retry_after } = err else {
        panic!("expected throttling, got {err:?}");
    };
    assert_eq!(retry_after, Duration::microseconds(1));
    assert_eq!(err.retry_after_seconds(), Some(1));
    // At exactly fifteen minutes the first failure no longer counts.
    clock.set(first + FAILURE_WINDOW);
    roster
        .sign_in("ada@a.example", PASSWORD, Some("10.0.2.1:1"))
        .await
        .unwrap();
}

pub async fn concurrent_attempts_check_at_most_the_limit_of_passwords(store: Arc<dyn Store>) {
    let (roster, _, org) = set_up(&store).await;
    let attempts: Vec<_> = (0..12)
        .map(|n| {
            let roster = roster.clone();
            tokio::spawn(async move {
                roster
                    .sign_in("ada@a.example", &format!("guess number {n}"), None)
                    .await
            })
        })
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Err(Error::Unauthorized(_)) => checked += 1,
            Err(Error::Throttled { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    // Attempts recorded together may all see each other and all be refused: never more than
    // the limit get through to a password check.
    assert!(checked <= ACCOUNT_FAILURES, "{checked} passwords checked");
    let failed = actions(&roster, org)
        .await
        .into_iter()
        .filter(|a| *a == AuditAction::SignInFailed)
        .count();
    assert_eq!(failed, checked as usize);
    // Attempts refused while others were still being checked are not counted: the right
    // password is refused only if the limit of failures was reached.
    let next = roster.sign_in("ada@a.example", PASSWORD, None).await;
    assert_eq!(
        matches!(next, Err(Error::Throttled { .. })),
        checked == ACCOUNT_FAILURES,
        "{checked} failures, then {next:?}"
    );
}

pub async fn a_successful_sign_in_clears_the_accounts_failures(store: Arc<dyn Store>) {
    let (roster, _, _) = set_up(&store).await;
    for _ in 0..ACCOUNT_FAILURES - 1 {
        roster
            .sign_in("ada@a.example", "wrong password here", None)
            .await
            .unwrap_err();
    }
    roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    for _ in 0..ACCOUNT_FAILURES - 1 {
        roster
            .sign_in("ada@a.example", "wrong password here", None)
            .await
            .unwrap_err();
    }
    roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .expect("four failures after a success are under the limit");
}

pub async fn twenty_failures_from_one_address_throttle_it_for_every_email(store: Arc<dyn Store>) {
    let (roster, clock, _) = set_up(&store).await;
    let address = Some("192.0.2.7:4444");
    for n in 0..ADDRESS_FAILURES {
        clock.advance(Duration::seconds(1));
        // Each attempt on a new connection: a new port, the same address.
        let from = format!("192.0.2.7:{}", 40_000 + n);
        roster
            .sign_in(&format!("guess{n}@a.example"), PASSWORD, Some(&from))
            .await
            .unwrap_err();
    }
    let err = roster
        .sign_in("ada@a.example", PASSWORD, address)
        .await
        .unwrap_err();
    let Error::Throttled { retry_after } = err else {
        panic!("expected throttling, got {err:?}");
    };
    // The oldest of the twenty was 19 seconds ago.
    assert_eq!(retry_after, FAILURE_WINDOW - Duration::seconds(19));
    roster
        .sign_in("ada@a.example", PASSWORD, Some("192.0.2.8:1"))
        .await
        .expect("another address is not throttled");
}

pub async fn sessions_end_after_thirty_idle_minutes(store: Arc<dyn Store>) {
    let (roster, clock, _) = set_up(&store).await;
    let (_, token) = roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    clock.advance(SESSION_IDLE_TIMEOUT - Duration::microseconds(1));
    roster.session(&token, None).await.unwrap();
    // That request counts as activity: another 30 minutes from it.
    clock.advance(SESSION_IDLE_TIMEOUT - Duration::microseconds(1));
    roster.session(&token, None).await.unwrap();
    clock.advance(SESSION_IDLE_TIMEOUT);
    assert!(matches!(
        roster.session(&token, None).await,
        Err(Error::Unauthorized(_))
    ));
}

pub async fn sessions_are_touched_at_most_once_a_minute(store: Arc<dyn Store>) {
    let (roster, clock, _) = set_up(&store).await;
    let (_, token) = roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    let signed_in = clock_now(&clock);
    let hash = roster_domain::TokenHash::of(token.as_str());
    clock.advance(Duration::seconds(59));
    roster.session(&token, None).await.unwrap();
    let seen = store.session(&hash).await.unwrap().unwrap().last_seen_at;
    assert_eq!(seen, signed_in, "no write within a minute");
    clock.advance(Duration::seconds(1));
    roster.session(&token, None).await.unwrap();
    let seen = store.session(&hash).await.unwrap().unwrap().last_seen_at;
    assert_eq!(seen, signed_in + Duration::minutes(1));
}

fn clock_now(clock: &FixedClock) -> time::OffsetDateTime {
    roster_domain::Clock::now(clock)
}

pub async fn sessions_end_twelve_hours_after_sign_in_however_busy(store: Arc<dyn Store>) {
    let (roster, clock, _) = set_up(&store).await;
    let (_, token) = roster
        .sign_in("ada@a.example", PASSWORD, None)
        .await
        .unwrap();
    let signed_in = clock_now(&clock);
    while clock_now(&clock) + Duration::minutes(20) < signed_in + SESSION_LIFETIME {
        clock.advance(Duration::minutes(20));
        roster.session(&token, None).await.unwrap();
    }
    clock.set(signed_in + SESSION_LIFETIME - Duration::microseconds(1));
    roster.session(&token, None).await.unwrap();
    clock.set(signed_in + SESSION_LIFETIME);
    assert!(matches!(
        roster.session(&token, None).await,
        Err(Error::Unauthorized(_))
    ));
}

pub async fn deactivating_an_administrator_ends_their_sessions_and_sign_in(store: Arc<dyn Store>) {
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
    let hash = roster_domain::TokenHash::of(token.as_str());
    let account = roster.account_by_user_name("bob@a.example").await.unwrap();
    let mut deactivated = account.clone();
    deactivated.active = false;
    deactivated.deactivated_at = Some(roster.now());
    // A deactivation written by any path: the session check alone refuses it.
    store
        .write_account(AccountWrite {
            account: deactivated,
            expected_version: Some(account.version),
            takes_seat: false,
            end_scim_memberships: false,
            change: roster_domain::Change::cli(),
        })
        .await
        .unwrap();
    assert!(matches!(
        roster.session(&token, None).await,
        Err(Error::Unauthorized(_))
    ));
    assert_eq!(store.session(&hash).await.unwrap(), None, "and it is gone");
    let refused = roster
        .sign_in("bob@a.example", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Unauthorized(_)), "{refused:?}");

    // Deactivation through the domain (SCIM DELETE) deletes the sessions at once.
    roster
        .add_admin(
            org,
            "cy@a.example",
            AdminCredential::Password(PASSWORD.into()),
        )
        .await
        .unwrap();
    let (cy, token) = roster
        .sign_in("cy@a.example", PASSWORD, None)
        .await
        .unwrap();
    roster
        .scim_delete_user(cy.scope(), &cy.account_id().to_string(), None, None)
        .await
        .unwrap();
    let hash = roster_domain::TokenHash::of(token.as_str());
    assert_eq!(store.session(&hash).await.unwrap(), None);
}
