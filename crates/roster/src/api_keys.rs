//! `roster api-key`: keys for the platform API and the change feed, for operators.

use roster_domain::{ApiKeyRecord, Roster};

use crate::{
    cli::ApiKeyCommand,
    commands::org_id,
    output::{print, printable},
};

pub async fn run(roster: &Roster, json: bool, command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create { name, org } => {
            let org = org.as_deref().map(org_id).transpose()?;
            let created = roster.create_api_key(&name, org).await?;
            print(json, &created, |k| {
                let reads = k.org.map_or_else(
                    || "every organization".to_owned(),
                    |o| format!("organization {o}"),
                );
                format!(
                    "API key {} ({}) reads {reads}. Copy it now; it is not shown again:\n  {}",
                    k.id,
                    printable(&k.name),
                    k.key
                )
            })
        }
        ApiKeyCommand::List => {
            let keys = roster.api_keys().await?;
            print(json, &keys, |keys| {
                if keys.is_empty() {
                    return "no API keys".to_owned();
                }
                keys.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        ApiKeyCommand::Revoke { id } => {
            roster.revoke_api_key(&id).await?;
            print(
                json,
                &serde_json::json!({ "id": id, "revoked": true }),
                |_| format!("API key {} is revoked", printable(&id)),
            )
        }
    }
}

fn line(k: &ApiKeyRecord) -> String {
    let org = k
        .org_id
        .map_or_else(|| "deployment".to_owned(), |o| o.to_string());
    let state = match (k.revoked_at, k.last_used_at) {
        (Some(_), _) => "revoked".to_owned(),
        (None, Some(at)) => format!("last used {at}"),
        (None, None) => "never used".to_owned(),
    };
    format!("{}  {}  {org}  {state}", k.id, printable(&k.name))
}
