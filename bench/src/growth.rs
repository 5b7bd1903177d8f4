//! How each operation's cost grows with the directory: one organization grown through SCIM to
//! 1,000, 10,000, … accounts, and at each size every operation measured by one client, one
//! request at a time (so the latency is the operation's own, not a queue's).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Client, Method};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::{
    fleet::Fleet,
    load::{Rng, user_body},
};

/// The operations of the table: a title and how to make the request at a given size.
const OPERATIONS: &[(&str, Op)] = &[
    (
        "`GET /Users?filter=userName eq` (Entra's match)",
        Op::FilterEq,
    ),
    (
        "`GET /Users?filter=externalId eq` (a match by the client's own id)",
        Op::ExternalIdEq,
    ),
    ("`GET /Users/{id}`", Op::GetById),
    ("`POST /Users`", Op::Create),
    (
        "`GET /Users?count=100` (first page, with totalResults)",
        Op::FirstPage,
    ),
    (
        "`GET /Users?startIndex=N-100&count=100` (last page)",
        Op::LastPage,
    ),
    (
        "`GET /Users?sortBy=userName&count=100&cursor=…` (last page, RFC 9865)",
        Op::CursorLastPage,
    ),
    (
        "`GET /Users?filter=userName sw \"personN\"`",
        Op::StartsWith,
    ),
    ("`GET /Users?filter=displayName co \"…\"`", Op::Contains),
    ("`GET /Users?sortBy=displayName&count=100`", Op::Sorted),
    (
        "`GET /Users?filter=title eq \"…\"` (no column: evaluated in memory)",
        Op::InMemory,
    ),
];

#[derive(Debug, Clone, Copy)]
enum Op {
    FilterEq,
    ExternalIdEq,
    GetById,
    Create,
    FirstPage,
    LastPage,
    CursorLastPage,
    StartsWith,
    Contains,
    Sorted,
    InMemory,
}

/// One cell: median and p99 in ms, or the status that refused the request.
struct Cell {
    p50_ms: f64,
    p99_ms: f64,
    refused: Option<String>,
}

pub async fn growth(fleet: &Fleet, max: usize, concurrency: usize) -> anyhow::Result<String> {
    let org = fleet.orgs.first().context("no organization")?;
    let http = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut sizes = Vec::new();
    let mut size = 1_000;
    while size <= max {
        sizes.push(size);
        size *= 10;
    }
    let mut ids: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<Cell>> = Vec::new();
    let mut created = 0usize;
    for &size in &sizes {
        eprintln!("  growing to {size} accounts");
        ids.extend(
            seed(
                &http,
                &org.tenant_url,
                &org.token,
                created,
                size,
                concurrency,
            )
            .await?,
        );
        created = size;
        let mut column = Vec::new();
        let last_page = last_page_cursor(&http, &org.tenant_url, &org.token).await?;
        for (title, op) in OPERATIONS {
            let cell = measure(
                &http,
                &org.tenant_url,
                &org.token,
                *op,
                size,
                &ids,
                &last_page,
            )
            .await?;
            eprintln!(
                "    {title}: p50 {:.2} ms p99 {:.2} ms {}",
                cell.p50_ms,
                cell.p99_ms,
                cell.refused.as_deref().unwrap_or("")
            );
            column.push(cell);
        }
        columns.push(column);
    }
    let mut table = format!(
        "**{}** (p50 / p99 ms, one request at a time)\n\n| operation |",
        fleet.kind.label()
    );
    for size in &sizes {
        table.push_str(&format!(" {size} accounts |"));
    }
    table.push_str("\n|---|");
    table.push_str(&"---:|".repeat(sizes.len()));
    for (i, (title, _)) in OPERATIONS.iter().enumerate() {
        table.push_str(&format!("\n| {title} |"));
        for column in &columns {
            let cell = &column[i];
            match &cell.refused {
                Some(status) => table.push_str(&format!(" refused: {status} |")),
                None => table.push_str(&format!(" {:.2} / {:.2} |", cell.p50_ms, cell.p99_ms)),
            }
        }
    }
    table.push('\n');
    Ok(table)
}

/// The cursor of the last 100 users by `userName`, reached by walking the list up to 1,000 at a
/// time (a cursor holds a place, not a page size).
async fn last_page_cursor(http: &Client, base: &str, token: &str) -> anyhow::Result<String> {
    let get = |path: String| async move {
        let page: Value = http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::Ok(page)
    };
    let total = get("/Users?count=0".to_owned()).await?["totalResults"]
        .as_u64()
        .context("no totalResults")?;
    let mut cursor = String::new();
    let mut left = total.saturating_sub(100);
    while left > 0 {
        let step = left.min(1_000);
        let page = get(format!(
            "/Users?sortBy=userName&count={step}&attributes=id&cursor={cursor}"
        ))
        .await?;
        cursor = page["nextCursor"]
            .as_str()
            .context("the list ended before its last 100 users")?
            .to_owned();
        left -= step;
    }
    Ok(cursor)
}

fn name(i: usize) -> String {
    format!("person{i:07}@growth.example")
}

/// Creates accounts `from..to`; returns their ids in order.
async fn seed(
    http: &Client,
    base: &str,
    token: &str,
    from: usize,
    to: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    let mut workers = JoinSet::new();
    let per = (to - from).div_ceil(concurrency.max(1));
    for w in 0..concurrency {
        let (http, base, token) = (http.clone(), base.to_owned(), token.to_owned());
        let range = (from + w * per)..(from + (w + 1) * per).min(to);
        workers.spawn(async move {
            let mut made = Vec::new();
            for i in range {
                let mut body = user_body(&name(i), true);
                body["displayName"] = Value::String(format!("Person {i:07} of Growth"));
                body["title"] = Value::String(format!("Title {}", i % 97));
                let response = http
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await?;
                if response.status() != 201 {
                    bail!("seeding answered {}", response.status());
                }
                let created: Value = response.json().await?;
                made.push((i, created["id"].as_str().context("no id")?.to_owned()));
            }
            anyhow::Ok(made)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        all.extend(done??);
    }
    all.sort_unstable_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, id)| id).collect())
}

/// At most 200 requests or 3 s of them, whichever comes first (at least 5).
async fn measure(
    http: &Client,
    base: &str,
    token: &str,
    op: Op,
    size: usize,
    ids: &[String],
    last_page: &str,
) -> anyhow::Result<Cell> {
    let mut rng = Rng::new(size as u64);
    let mut latencies = Vec::new();
    let began = Instant::now();
    let mut made = 0usize;
    while latencies.len() < 200 && (latencies.len() < 5 || began.elapsed() < Duration::from_secs(3))
    {
        let pick = rng.below(size);
        let (method, path, body) = match op {
            Op::FilterEq => (
                Method::GET,
                format!(
                    "/Users?filter=userName+eq+%22{}%22",
                    name(pick).replace('@', "%40")
                ),
                None,
            ),
            // `user_body` gives each user its userName's local part as externalId.
            Op::ExternalIdEq => (
                Method::GET,
                format!("/Users?filter=externalId+eq+%22person{pick:07}%22"),
                None,
            ),
            Op::GetById => (Method::GET, format!("/Users/{}", ids[pick]), None),
            Op::Create => {
                made += 1;
                (
                    Method::POST,
                    "/Users".to_owned(),
                    Some(user_body(
                        &format!("extra{size}-{made}@growth.example"),
                        true,
                    )),
                )
            }
            Op::FirstPage => (Method::GET, "/Users?count=100".to_owned(), None),
            Op::LastPage => (
                Method::GET,
                format!(
                    "/Users?startIndex={}&count=100",
                    size.saturating_sub(100).max(1)
                ),
                None,
            ),
            Op::CursorLastPage => (
                Method::GET,
                format!("/Users?sortBy=userName&count=100&cursor={last_page}"),
                None,
            ),
            Op::StartsWith => (
                Method::GET,
                format!("/Users?filter=userName+sw+%22person{:05}%22", pick / 100),
                None,
            ),
            Op::Contains => (
                Method::GET,
                format!(
                    "/Users?filter=displayName+co+%22{:07}%20of%22&count=10",
                    pick
                ),
                None,
            ),
            Op::Sorted => (
                Method::GET,
                "/Users?sortBy=displayName&count=100".to_owned(),
                None,
            ),
            Op::InMemory => (
                Method::GET,
                format!("/Users?filter=title+eq+%22Title+{}%22&count=10", pick % 97),
                None,
            ),
        };
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let sent = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let took = sent.elapsed();
        if !status.is_success() {
            let detail: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Ok(Cell {
                p50_ms: 0.0,
                p99_ms: 0.0,
                refused: Some(format!(
                    "{} {}",
                    status.as_u16(),
                    detail["scimType"].as_str().unwrap_or("")
                )),
            });
        }
        if matches!(op, Op::FilterEq | Op::ExternalIdEq) {
            // A match that found nothing would measure the wrong thing.
            let page: Value = serde_json::from_slice(&bytes)?;
            if page["totalResults"] != 1 {
                bail!("{path} matched {} users, not one", page["totalResults"]);
            }
        }
        latencies.push(took.as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: usize| {
        latencies[((latencies.len() * p).div_ceil(100).max(1) - 1).min(latencies.len() - 1)]
    };
    Ok(Cell {
        p50_ms: pct(50),
        p99_ms: pct(99),
        refused: None,
    })
}
