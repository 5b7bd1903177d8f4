//! The platform API's reads (SPEC §7): thin handlers over the domain's `api_*` reads, which
//! decide what the key may see. Errors are the feed's JSON `{"error", "detail"}`.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use roster_domain::{ApiKey, Error, ReadPage};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    api::{authenticate, error_response, refusal},
};

/// Query parameters, as text: the domain checks them.
#[derive(Debug, Default, Deserialize)]
pub struct ReadParams {
    org: Option<String>,
    after: Option<String>,
    limit: Option<String>,
    #[serde(rename = "userName")]
    user_name: Option<String>,
}

type Params = Result<Query<ReadParams>, QueryRejection>;

/// The key and the parameters, or the refusal to send.
async fn begin(
    state: &AppState,
    headers: &HeaderMap,
    params: Params,
) -> Result<(ApiKey, ReadParams), Response> {
    let key = authenticate(state, headers).await.map_err(error_response)?;
    let Ok(Query(params)) = params else {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the query string could not be read",
        ));
    };
    Ok((key, params))
}

fn limit(params: &ReadParams) -> Result<Option<u32>, Error> {
    match params.limit.as_deref().filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(l) => l
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Error::Invalid("limit must be a whole number between 1 and 1000".into())),
    }
}

fn json_or_error(result: Result<Value, Error>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => error_response(e),
    }
}

fn page(field: &str, result: Result<ReadPage, Error>) -> Response {
    json_or_error(result.map(|p| json!({ field: p.items, "next": p.next })))
}

/// `GET /api/v1/orgs?after=&limit=`.
pub async fn orgs(State(state): State<AppState>, headers: HeaderMap, params: Params) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let limit = match limit(&params) {
        Ok(limit) => limit,
        Err(e) => return error_response(e),
    };
    page(
        "orgs",
        state
            .roster
            .api_orgs(&key, params.after.as_deref(), limit)
            .await,
    )
}

/// `GET /api/v1/orgs/{id}`.
pub async fn org(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match authenticate(&state, &headers).await {
        Ok(key) => json_or_error(state.roster.api_org(&key, &id).await),
        Err(e) => error_response(e),
    }
}

/// `GET /api/v1/accounts?userName=U`.
pub async fn accounts(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Some(user_name) = params.user_name.as_deref() else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid",
            "name the account: '?userName=<userName>' (follow the feed to learn every account)",
        );
    };
    json_or_error(
        state
            .roster
            .api_accounts_by_user_name(&key, params.org.as_deref(), user_name)
            .await
            .map(|accounts| json!({ "accounts": accounts })),
    )
}

/// `GET /api/v1/accounts/{id}`.
pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    json_or_error(
        state
            .roster
            .api_account(&key, params.org.as_deref(), &id)
            .await,
    )
}

/// `GET /api/v1/accounts/{id}/groups`.
pub async fn account_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    json_or_error(
        state
            .roster
            .api_account_groups(&key, params.org.as_deref(), &id)
            .await
            .map(|groups| json!({ "groups": groups })),
    )
}

/// `GET /api/v1/groups/{id}`.
pub async fn group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    json_or_error(
        state
            .roster
            .api_group(&key, params.org.as_deref(), &id)
            .await,
    )
}

/// `GET /api/v1/groups/{id}/members?after=&limit=`.
pub async fn group_members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let limit = match limit(&params) {
        Ok(limit) => limit,
        Err(e) => return error_response(e),
    };
    page(
        "members",
        state
            .roster
            .api_group_members(
                &key,
                params.org.as_deref(),
                &id,
                params.after.as_deref(),
                limit,
            )
            .await,
    )
}

/// `GET /api/v1/groups/{gid}/members/{aid}`: 204 when a member, 404 when not.
pub async fn is_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((group, account)): Path<(String, String)>,
    params: Params,
) -> Response {
    let (key, params) = match begin(&state, &headers, params).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    match state
        .roster
        .api_is_member(&key, params.org.as_deref(), &group, &account)
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => refusal(
            StatusCode::NOT_FOUND,
            "not_found",
            "the account is not a member of the group",
        ),
        Err(e) => error_response(e),
    }
}
