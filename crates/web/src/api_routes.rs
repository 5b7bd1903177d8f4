//! Every route under `/api/v1`, in one table: the router is built from it and the OpenAPI
//! description served at `/api/v1/openapi.json` is checked against it, so the two cannot drift.

use axum::{
    http::header,
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};

use crate::{AppState, api, api_read, sso};

/// The OpenAPI 3.1 description of the platform API (hand-written).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/v1/openapi.json", get(openapi)),
        ("/api/v1/me", get(sso::me)),
        ("/api/v1/events", get(api::events)),
        ("/api/v1/orgs", get(api_read::orgs)),
        ("/api/v1/orgs/{id}", get(api_read::org)),
        ("/api/v1/accounts", get(api_read::accounts)),
        ("/api/v1/accounts/{id}", get(api_read::account)),
        (
            "/api/v1/accounts/{id}/groups",
            get(api_read::account_groups),
        ),
        ("/api/v1/groups/{id}", get(api_read::group)),
        ("/api/v1/groups/{id}/members", get(api_read::group_members)),
        (
            "/api/v1/groups/{gid}/members/{aid}",
            get(api_read::is_member),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_openapi_description_lists_exactly_the_routes_served() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap(), "3.1.0");
        let described: BTreeSet<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| format!("/api/v1{p}"))
            .collect();
        let served: BTreeSet<String> = routes().iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(described, served);
        for (path, item) in doc["paths"].as_object().unwrap() {
            let ops = item.as_object().unwrap();
            assert_eq!(
                ops.keys().collect::<Vec<_>>(),
                ["get"],
                "{path}: every route is a GET"
            );
        }
    }
}
