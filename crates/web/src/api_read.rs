//! The platform API's reads (SPEC §7): thin handlers over the domain's `api_*` reads, which
//! decide what the key may see. Errors are the feed's JSON `{"error", "detail"}`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use roster_domain::ReadPage;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    api::refusal,
    api_caller::{ApiCaller, ApiError, ApiQuery, parse_limit},
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

type Reply = Result<Json<Value>, ApiError>;

fn page(field: &str, p: ReadPage) -> Reply {
    Ok(Json(json!({ field: p.items, "next": p.next })))
}

/// `GET /api/v1/orgs?after=&limit=`.
pub async fn orgs(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let limit = parse_limit(params.limit.as_deref())?;
    let orgs = state
        .roster
        .api_orgs(&key, params.after.as_deref(), limit)
        .await?;
    page("orgs", orgs)
}

/// `GET /api/v1/orgs/{id}`.
pub async fn org(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path(id): Path<String>,
) -> Reply {
    Ok(Json(state.roster.api_org(&key, &id).await?))
}

/// `GET /api/v1/accounts?userName=U`.
pub async fn accounts(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let Some(user_name) = params.user_name.as_deref() else {
        return Err(ApiError::invalid(
            "name the account: '?userName=<userName>' (follow the feed to learn every account)",
        ));
    };
    let accounts = state
        .roster
        .api_accounts_by_user_name(&key, params.org.as_deref(), user_name)
        .await?;
    Ok(Json(json!({ "accounts": accounts })))
}

/// `GET /api/v1/accounts/{id}`.
pub async fn account(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let org = params.org.as_deref();
    Ok(Json(state.roster.api_account(&key, org, &id).await?))
}

/// `GET /api/v1/accounts/{id}/groups?after=&limit=`.
pub async fn account_groups(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let limit = parse_limit(params.limit.as_deref())?;
    let (org, after) = (params.org.as_deref(), params.after.as_deref());
    let groups = state
        .roster
        .api_account_groups(&key, org, &id, after, limit)
        .await?;
    page("groups", groups)
}

/// `GET /api/v1/groups/{id}`.
pub async fn group(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let org = params.org.as_deref();
    Ok(Json(state.roster.api_group(&key, org, &id).await?))
}

/// `GET /api/v1/groups/{id}/members?after=&limit=`.
pub async fn group_members(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Reply {
    let limit = parse_limit(params.limit.as_deref())?;
    let (org, after) = (params.org.as_deref(), params.after.as_deref());
    let members = state
        .roster
        .api_group_members(&key, org, &id, after, limit)
        .await?;
    page("members", members)
}

/// `GET /api/v1/groups/{gid}/members/{aid}`: 204 when a member, 404 when not.
pub async fn is_member(
    State(state): State<AppState>,
    ApiCaller(key): ApiCaller,
    Path((group, account)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Result<Response, ApiError> {
    let org = params.org.as_deref();
    Ok(
        if state
            .roster
            .api_is_member(&key, org, &group, &account)
            .await?
        {
            StatusCode::NO_CONTENT.into_response()
        } else {
            refusal(
                StatusCode::NOT_FOUND,
                "not_found",
                "the account is not a member of the group",
            )
        },
    )
}
