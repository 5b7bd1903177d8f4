//! What a created resource says about itself: `meta.location` and member `$ref`s must be
//! reachable URLs under the Tenant URL the organization was given.

use roster_sim::{Dialect, Profile, UserSpec, attrs::UserAttrs, requests};

use crate::{fixture::DOMAIN, support::Roster};

pub async fn created_resources_are_located_under_the_tenant_url() {
    let roster = Roster::start();
    let org = roster.org("school", 10);
    let engine = org.engine(Profile::Entra(Dialect::Flag));
    let profile = engine.profile();
    let attrs = UserAttrs::from(&UserSpec::simple("loc.ated", DOMAIN));

    let created = engine
        .client()
        .send(profile, &requests::create_user(profile, &attrs))
        .await
        .unwrap();

    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        created.body["meta"]["location"].as_str(),
        Some(format!("{}/Users/{id}", org.tenant_url).as_str()),
        "served with --listen 127.0.0.1:0 and no --public-url, locations must use the bound port"
    );
}
