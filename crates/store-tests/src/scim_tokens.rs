//! SCIM token checks through the domain, two instances on one store: a token verified moments
//! ago is remembered, a rotation or disable on the same instance refuses the old token at once,
//! and on another instance within `TOKEN_CACHE_TTL`.

use std::{sync::Arc, time::Instant};

use roster_domain::{FixedClock, NewOrg, OrgKind, Roster, Store, TOKEN_CACHE_TTL};
use time::Duration;

use crate::support::at;

const URL: &str = "https://roster.example";

/// Waits until `roster` refuses `token` on `org`; how long that took.
async fn refused_after(roster: &Roster, org: &str, token: &str) -> std::time::Duration {
    let started = Instant::now();
    while roster.authenticate_scim(org, Some(token)).await.is_ok() {
        assert!(
            started.elapsed() < TOKEN_CACHE_TTL * 3,
            "the old token still works long after the cache's window"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    started.elapsed()
}

pub async fn a_rotated_or_disabled_token_is_refused_here_at_once_and_elsewhere_within_the_ttl(
    store: Arc<dyn Store>,
) {
    let clock = Arc::new(FixedClock::new(at(0)));
    let here = Roster::new(store.clone(), clock.clone());
    let elsewhere = Roster::new(store.clone(), clock);
    let org = here
        .create_org(NewOrg {
            name: "A".into(),
            kind: OrgKind::School,
            seats: 10,
        })
        .await
        .unwrap()
        .org
        .id;
    let segment = org.to_string();
    let first = here.enable_scim(org, URL).await.unwrap().token;
    // Both instances verify (and remember) the token.
    for roster in [&here, &elsewhere] {
        let scope = roster.authenticate_scim(&segment, Some(&first)).await;
        assert_eq!(scope.unwrap().org_id(), org);
    }
    let second = here
        .rotate_scim_token(org, URL, Duration::ZERO)
        .await
        .unwrap()
        .token;
    assert!(
        here.authenticate_scim(&segment, Some(&first))
            .await
            .is_err(),
        "refused at once where it was rotated"
    );
    assert!(
        here.authenticate_scim(&segment, Some(&second))
            .await
            .is_ok()
    );
    let waited = refused_after(&elsewhere, &segment, &first).await;
    assert!(
        waited <= TOKEN_CACHE_TTL + std::time::Duration::from_millis(500),
        "refused elsewhere within the cache's window, took {waited:?}"
    );
    assert!(
        elsewhere
            .authenticate_scim(&segment, Some(&second))
            .await
            .is_ok()
    );
    // Disabled on the other instance: refused there at once, here within the window.
    elsewhere.disable_scim(org).await.unwrap();
    assert!(
        elsewhere
            .authenticate_scim(&segment, Some(&second))
            .await
            .is_err()
    );
    let waited = refused_after(&here, &segment, &second).await;
    assert!(waited <= TOKEN_CACHE_TTL + std::time::Duration::from_millis(500));
}
