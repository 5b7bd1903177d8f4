//! Sign-in with the organization's provider through the domain, on each store: configuration
//! with a sealed secret, one-time flows, every matching rule and refusal as the sign-in log
//! records it, the link that survives a rename, and platform sessions that deactivation ends.

use std::sync::Arc;

use roster_domain::{
    Account, ClientSecret, Error, FixedClock, MatchedBy, MemberSource, OrgId, OrgScope, Roster,
    SSO_FLOW_VALIDITY, SecretKey, SessionToken, SsoClient, SsoIdentity, SsoOutcome, SsoSettings,
    SsoVerdict, Store, TokenHash,
};

use crate::support::{
    add, at, change, deactivate, group, insert, member, new_account, org, update,
};

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "s3cr3t~value.from-entra";

fn roster(store: &Arc<dyn Store>) -> (Roster, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(at(0)));
    let roster = Roster::new(store.clone(), clock.clone())
        .with_secret_key(SecretKey::generate().unwrap())
        .with_microsoft_authority("http://127.0.0.1:9/");
    (roster, clock)
}

fn microsoft() -> SsoSettings {
    SsoSettings::Microsoft {
        tenant_id: TENANT.into(),
        client_id: "app-1".into(),
        client_secret: ClientSecret::new(format!("{SECRET}\n")),
    }
}

async fn configured(store: &Arc<dyn Store>) -> (Roster, Arc<FixedClock>, OrgId, SsoClient) {
    let (roster, clock) = roster(store);
    let (o, _) = org(store, 5).await;
    roster
        .configure_sso(o.id, microsoft(), "https://roster.example/")
        .await
        .unwrap();
    let client = roster.sso_client(o.id).await.unwrap();
    (roster, clock, o.id, client)
}

fn identity(oid: &str, upn: &str) -> SsoIdentity {
    SsoIdentity {
        issuer: format!("http://127.0.0.1:9/{TENANT}/v2.0"),
        subject: format!("sub-{oid}"),
        tid: Some(TENANT.into()),
        oid: Some(oid.into()),
        preferred_username: Some(upn.into()),
        name: Some("Ada".into()),
    }
}

async fn sign_in(roster: &Roster, client: &SsoClient, who: &SsoIdentity) -> SsoOutcome {
    roster.finish_sso(client, who).await.unwrap()
}

fn session(outcome: SsoOutcome) -> SessionToken {
    match outcome {
        SsoOutcome::SignedIn { session, .. } => session,
        SsoOutcome::Refused(verdict) => panic!("refused: {verdict:?}"),
    }
}

fn verdict(outcome: &SsoOutcome) -> SsoVerdict {
    match outcome {
        SsoOutcome::SignedIn { .. } => SsoVerdict::SignedIn,
        SsoOutcome::Refused(verdict) => *verdict,
    }
}

pub async fn sso_needs_a_secret_key_and_never_shows_the_client_secret(store: Arc<dyn Store>) {
    let (o, scope) = org(&store, 5).await;
    let without = Roster::new(store.clone(), Arc::new(FixedClock::new(at(0))));
    let refused = without
        .configure_sso(o.id, microsoft(), "https://roster.example")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Invalid(m) if m.contains("--secret-key-file")),
        "{refused:?}"
    );
    assert_eq!(store.sso_config(scope).await.unwrap(), None);

    let (roster, _) = roster(&store);
    let view = roster
        .configure_sso(o.id, microsoft(), "https://roster.example/")
        .await
        .unwrap();
    assert_eq!(view.redirect_uri, "https://roster.example/sso/callback");
    assert_eq!(
        view.sign_in_url,
        format!("https://roster.example/sso/{}", o.id)
    );
    assert_eq!(view.issuer, format!("http://127.0.0.1:9/{TENANT}/v2.0"));
    let shown = serde_json::to_string(&view).unwrap();
    assert!(!shown.contains(SECRET));
    let stored = store.sso_config(scope).await.unwrap().unwrap();
    assert!(
        !stored
            .sealed_secret
            .windows(6)
            .any(|w| w == &SECRET.as_bytes()[..6]),
        "the secret is stored sealed"
    );
    assert!(!format!("{stored:?}").contains(SECRET));
    let client = roster.sso_client(o.id).await.unwrap();
    assert_eq!(client.client_secret.expose(), SECRET);
    assert!(!format!("{client:?}").contains(SECRET));

    // Another key (another instance's, or a lost file) cannot open it: a clear error, no secret.
    let other = Roster::new(store.clone(), Arc::new(FixedClock::new(at(0))))
        .with_secret_key(SecretKey::generate().unwrap());
    assert!(matches!(
        other.sso_client(o.id).await,
        Err(Error::Internal(_))
    ));

    assert!(roster.disable_sso(o.id).await.unwrap());
    assert!(matches!(
        roster.sso_client(o.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        roster
            .sso(o.id, "https://roster.example")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_tenant_id_that_is_not_a_guid_and_a_plain_http_issuer_are_refused(
    store: Arc<dyn Store>,
) {
    let (roster, _) = roster(&store);
    let (o, scope) = org(&store, 5).await;
    for settings in [
        SsoSettings::Microsoft {
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "app".into(),
            client_secret: ClientSecret::new("x".into()),
        },
        SsoSettings::Microsoft {
            tenant_id: TENANT.into(),
            client_id: "app".into(),
            client_secret: ClientSecret::new("\n".into()),
        },
        SsoSettings::Oidc {
            issuer: "http://id.example".into(),
            client_id: "app".into(),
            client_secret: ClientSecret::new("x".into()),
        },
    ] {
        let refused = roster
            .configure_sso(o.id, settings, "https://r.example")
            .await;
        assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    }
    assert_eq!(store.sso_config(scope).await.unwrap(), None);
}

pub async fn a_started_sign_in_comes_back_once_within_ten_minutes(store: Arc<dyn Store>) {
    let (roster, clock, org, _) = configured(&store).await;
    let started = roster.start_sso(org).await.unwrap();
    assert_ne!(started.state, started.nonce);
    let back = roster.resume_sso(&started.state).await.unwrap();
    assert_eq!(back.nonce, started.nonce);
    assert_eq!(back.pkce_verifier, started.pkce_verifier);
    assert_eq!(back.client.org_id, org);
    let replayed = roster.resume_sso(&started.state).await;
    assert!(
        matches!(replayed, Err(Error::Unauthorized(_))),
        "{replayed:?}"
    );

    let late = roster.start_sso(org).await.unwrap();
    clock.set(at(0) + SSO_FLOW_VALIDITY);
    assert!(matches!(
        roster.resume_sso(&late.state).await,
        Err(Error::Unauthorized(_))
    ));
    assert!(matches!(
        roster.resume_sso("never-issued").await,
        Err(Error::Unauthorized(_))
    ));
}

pub async fn a_provisioned_user_signs_in_by_user_name_and_stays_linked_after_a_rename(
    store: Arc<dyn Store>,
) {
    let (roster, _, org, client) = configured(&store).await;
    let scope = OrgScope::trusted(org);
    let ada = member(&store, org, "ada@contoso.com").await;
    let outcome = sign_in(&roster, &client, &identity("oid-ada", "ADA@contoso.com")).await;
    let token = session(outcome);
    let me = roster.me(&token).await.unwrap();
    assert_eq!(me.id, ada.id);
    let ns = format!("microsoft:{TENANT}");
    assert_eq!(
        store.sso_link(scope, &ns, "oid-ada").await.unwrap(),
        Some(ada.id)
    );

    // SCIM renames the account; the token still carries the old UPN or the new one.
    let mut renamed = ada.clone();
    renamed.user_name = "ada.lovelace@contoso.com".into();
    update(&store, renamed).await;
    for upn in ["ada@contoso.com", "someone.else@contoso.com"] {
        let again = session(sign_in(&roster, &client, &identity("oid-ada", upn)).await);
        assert_eq!(roster.me(&again).await.unwrap().id, ada.id);
    }
    let log = roster.sso_sign_ins(org, 10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.matched_by).collect::<Vec<_>>(),
        vec![
            Some(MatchedBy::Link),
            Some(MatchedBy::Link),
            Some(MatchedBy::UserName)
        ]
    );
    assert_eq!(
        log[2].preferred_username.as_deref(),
        Some("ADA@contoso.com")
    );
    assert_eq!(log[2].account_id, Some(ada.id));
}

pub async fn external_id_equal_to_the_oid_matches_an_account_with_another_user_name(
    store: Arc<dyn Store>,
) {
    let (roster, _, org, client) = configured(&store).await;
    let mut account = new_account(Some(org), "a.lovelace@contoso.com");
    account.external_id = Some("oid-ada".into());
    let ada = insert(&store, account).await;
    let token = session(sign_in(&roster, &client, &identity("oid-ada", "ada@contoso.com")).await);
    assert_eq!(roster.me(&token).await.unwrap().id, ada.id);
    let log = roster.sso_sign_ins(org, 1).await.unwrap();
    assert_eq!(log[0].matched_by, Some(MatchedBy::ExternalId));
}

pub async fn deactivation_ends_the_session_and_refuses_sign_in_until_reactivated(
    store: Arc<dyn Store>,
) {
    let (roster, _, org, client) = configured(&store).await;
    let ada = member(&store, org, "ada@contoso.com").await;
    let who = identity("oid-ada", "ada@contoso.com");
    let token = session(sign_in(&roster, &client, &who).await);
    roster.me(&token).await.unwrap();

    let deactivated = deactivate(&store, &ada, at(5)).await;
    assert!(matches!(
        roster.me(&token).await,
        Err(Error::Unauthorized(_))
    ));
    assert_eq!(
        store.session(&TokenHash::of(token.as_str())).await.unwrap(),
        None,
        "the ended session is removed"
    );
    assert_eq!(
        verdict(&sign_in(&roster, &client, &who).await),
        SsoVerdict::Deactivated
    );

    let mut active = deactivated;
    active.active = true;
    active.deactivated_at = None;
    update(&store, active).await;
    let again = session(sign_in(&roster, &client, &who).await);
    assert_eq!(roster.me(&again).await.unwrap().id, ada.id);
    let verdicts: Vec<_> = roster
        .sso_sign_ins(org, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.verdict)
        .collect();
    assert_eq!(
        verdicts,
        vec![
            SsoVerdict::SignedIn,
            SsoVerdict::Deactivated,
            SsoVerdict::SignedIn
        ]
    );
}

pub async fn unprovisioned_independent_hand_added_and_other_organizations_people_are_refused(
    store: Arc<dyn Store>,
) {
    let (roster, _, org, client) = configured(&store).await;
    let (elsewhere, _) = crate::support::org(&store, 5).await;
    member(&store, elsewhere.id, "bea@fabrikam.com").await;
    insert(&store, new_account(None, "ian@outlook.com")).await;
    let mut by_hand = new_account(Some(org), "hal@contoso.com");
    by_hand.scim_managed = false;
    by_hand.external_id = None;
    insert(&store, by_hand).await;
    let cases = [
        (
            "oid-nobody",
            "nobody@contoso.com",
            SsoVerdict::NotProvisioned,
        ),
        ("oid-bea", "bea@fabrikam.com", SsoVerdict::OtherOrganization),
        ("oid-ian", "ian@outlook.com", SsoVerdict::Independent),
        ("oid-hal", "hal@contoso.com", SsoVerdict::NotProvisioned),
    ];
    for (oid, upn, expected) in cases {
        assert_eq!(
            verdict(&sign_in(&roster, &client, &identity(oid, upn)).await),
            expected,
            "{upn}"
        );
    }
    let log = roster.sso_sign_ins(org, 10).await.unwrap();
    assert_eq!(
        log.iter().rev().map(|e| e.verdict).collect::<Vec<_>>(),
        cases.iter().map(|c| c.2).collect::<Vec<_>>()
    );
    assert!(log.iter().all(|e| e.account_id.is_none()));
    assert!(
        store
            .sso_link(
                OrgScope::trusted(org),
                &format!("microsoft:{TENANT}"),
                "oid-bea"
            )
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn me_shows_the_organization_role_and_groups_and_sign_out_ends_it(store: Arc<dyn Store>) {
    let (roster, _, org, client) = configured(&store).await;
    let scope = OrgScope::trusted(org);
    let ada: Account = member(&store, org, "ada@contoso.com").await;
    let physics = group(&store, scope, "Physics").await;
    change(&store, scope, &physics, add(MemberSource::Scim, &[ada.id])).await;
    let token = session(sign_in(&roster, &client, &identity("oid-ada", "ada@contoso.com")).await);
    let me = roster.me(&token).await.unwrap();
    assert_eq!(me.organization.id, org);
    assert_eq!(me.role, ada.role);
    assert_eq!(
        me.groups
            .iter()
            .map(|g| g.display_name.as_str())
            .collect::<Vec<_>>(),
        vec!["Physics"]
    );
    // A learner's platform session does not open the console, and is not ended by trying.
    assert!(matches!(
        roster.session(&token, None).await,
        Err(Error::Unauthorized(_))
    ));
    roster.me(&token).await.unwrap();
    roster.sign_out(&token, None).await.unwrap();
    assert!(matches!(
        roster.me(&token).await,
        Err(Error::Unauthorized(_))
    ));
}

pub async fn a_rejected_token_is_in_the_sign_in_log_with_what_was_expected(store: Arc<dyn Store>) {
    let (roster, _, org, client) = configured(&store).await;
    roster.reject_sso(&client, "wrong tid").await.unwrap();
    let log = roster.sso_sign_ins(org, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].verdict, SsoVerdict::RejectedToken);
    assert_eq!(log[0].detail.as_deref(), Some("wrong tid"));
    assert!(log[0].expected.as_deref().unwrap().contains(TENANT));
}
