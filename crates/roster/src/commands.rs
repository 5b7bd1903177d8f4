//! Runs a parsed command against the domain.

use std::sync::Arc;

use anyhow::Context;
use roster_domain::{
    DEFAULT_ROTATION_GRACE, NewOrg, OrgId, OrgStatus, OrgUpdate, Roster, ScimCredentials,
    SystemClock,
};

use crate::{
    cli::{Cli, Command, OrgCommand, Retention, ScimCommand},
    database::DatabaseUrl,
    output::print,
    serve,
};

/// Where tenant URLs point when no public URL is configured.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let database = cli
        .database
        .clone()
        .unwrap_or_else(DatabaseUrl::default_sqlite);
    let store = database.open().await?;
    let roster = Roster::new(store, Arc::new(SystemClock));
    let json = cli.json;
    match cli.command {
        Command::Serve(args) => {
            let public_url = cli
                .public_url
                .unwrap_or_else(|| format!("http://{}", args.listen));
            serve::run(roster, args.listen, &public_url).await
        }
        Command::Migrate => print(json, &serde_json::json!({"migrated": true}), |_| {
            format!("database {database:?} is up to date")
        }),
        Command::Org(command) => org(&roster, json, command).await,
        Command::Scim(command) => {
            let public_url = cli.public_url.as_deref().unwrap_or(DEFAULT_PUBLIC_URL);
            scim(&roster, json, public_url, command).await
        }
    }
}

async fn org(roster: &Roster, json: bool, command: OrgCommand) -> anyhow::Result<()> {
    let status = match command {
        OrgCommand::Create { name, kind, seats } => {
            let kind = kind.parse()?;
            roster.create_org(NewOrg { name, kind, seats }).await?
        }
        OrgCommand::Show { org } => roster.org_status(org_id(&org)?).await?,
        OrgCommand::Update {
            org,
            seats,
            retention_days,
        } => {
            let update = OrgUpdate {
                seats,
                retention_days: retention_days.map(|r| match r {
                    Retention::Days(d) => Some(d),
                    Retention::Off => None,
                }),
            };
            roster.update_org(org_id(&org)?, update).await?
        }
    };
    print(json, &status, describe_org)
}

async fn scim(
    roster: &Roster,
    json: bool,
    public_url: &str,
    command: ScimCommand,
) -> anyhow::Result<()> {
    match command {
        ScimCommand::Enable { org } => {
            let credentials = roster.enable_scim(org_id(&org)?, public_url).await?;
            print(json, &credentials, describe_credentials)
        }
        ScimCommand::RotateToken { org, grace } => {
            let grace = grace.map_or(DEFAULT_ROTATION_GRACE, |s| {
                time::Duration::seconds(s.into())
            });
            let credentials = roster
                .rotate_scim_token(org_id(&org)?, public_url, grace)
                .await?;
            print(json, &credentials, describe_credentials)
        }
        ScimCommand::Disable { org } => {
            let status = roster.disable_scim(org_id(&org)?).await?;
            print(json, &status, describe_org)
        }
    }
}

fn org_id(text: &str) -> anyhow::Result<OrgId> {
    text.parse().with_context(|| {
        format!("'{text}' is not an organization id (a UUID printed by 'roster org create')")
    })
}

fn describe_org(status: &OrgStatus) -> String {
    let org = &status.org;
    let retention = org
        .retention_days
        .map_or_else(|| "off".to_owned(), |d| format!("{d} days"));
    format!(
        "id:          {}\nname:        {}\nkind:        {}\nseats:       {} of {} in use\nretention:   {retention}\nscim:        {}",
        org.id,
        org.name,
        org.kind,
        status.seats_used,
        org.seats,
        if status.scim_enabled {
            "enabled"
        } else {
            "disabled"
        },
    )
}

fn describe_credentials(credentials: &ScimCredentials) -> String {
    format!(
        "Tenant URL:    {}\nSecret token:  {}\n\nCopy both into the identity provider now: the token is not shown again.",
        credentials.tenant_url, credentials.token
    )
}
