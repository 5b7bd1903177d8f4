//! Runs a parsed command against the domain.

use std::sync::Arc;

use anyhow::Context;
use roster_domain::{
    DEFAULT_ROTATION_GRACE, NewOrg, OrgId, OrgStatus, OrgUpdate, Roster, ScimCredentials,
    SystemClock,
};

use crate::{
    cli::{
        Cli, Command, GroupCommand, OrgCommand, Retention, RetentionCommand, ScimCommand,
        UserCommand,
    },
    database::DatabaseUrl,
    output::{print, printable},
    serve,
};

/// Where tenant URLs point when no public URL is configured.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let database = cli
        .database
        .clone()
        .unwrap_or_else(DatabaseUrl::default_sqlite);
    // `serve` outlives a database that is not up yet (started together, restarting); a
    // command run by hand says so at once.
    let (store, pool_stats) = database
        .open(matches!(cli.command, Command::Serve(_)))
        .await?;
    // `serve` makes the key too: it reads it once, at start, so a key the CLI made later
    // (`roster sso configure` while it runs) would stay unknown to it and every sign-in fail.
    let first_use = matches!(
        cli.command,
        Command::Serve(_)
            | Command::Sso(crate::cli::SsoCommand::Configure { .. })
            | Command::Webhook(crate::cli::WebhookCommand::Add { .. })
    );
    let mut roster = Roster::new(store, Arc::new(SystemClock));
    if let Some(key) =
        crate::secret_key::load(&database, cli.secret_key_file.as_deref(), first_use)?
    {
        roster = roster.with_secret_key(key);
    }
    roster = roster.with_webhook_private_networks(cli.webhook_allow_private_networks);
    if let Some(authority) = &cli.microsoft_authority_url {
        roster = roster.with_microsoft_authority(authority);
    }
    let json = cli.json;
    match cli.command {
        Command::Serve(args) => {
            let interval = std::time::Duration::from_secs(args.retention_interval);
            serve::run(
                roster,
                args.listen,
                cli.public_url,
                serve::Retention {
                    interval,
                    event_days: args.event_retention_days,
                },
                serve::Webhooks {
                    tick: std::time::Duration::from_millis(args.webhook_tick_ms),
                    timeout: std::time::Duration::from_secs(args.webhook_timeout),
                    allow_private: cli.webhook_allow_private_networks,
                    policy: roster_domain::DeliveryPolicy {
                        retry_base: time::Duration::milliseconds(
                            i64::try_from(args.webhook_retry_ms).unwrap_or(i64::MAX),
                        ),
                        retry_max: time::Duration::milliseconds(
                            i64::try_from(args.webhook_retry_max_ms).unwrap_or(i64::MAX),
                        ),
                        give_up: time::Duration::seconds(
                            i64::try_from(args.webhook_give_up_seconds).unwrap_or(i64::MAX),
                        ),
                        lease: time::Duration::seconds(
                            i64::try_from(args.webhook_timeout.saturating_mul(2) + 30)
                                .unwrap_or(i64::MAX),
                        ),
                    },
                },
                roster_web::RateLimit {
                    per_second: args.rate_limit,
                    burst: args.rate_burst,
                },
                crate::connections::Limits {
                    header_timeout: std::time::Duration::from_secs(args.header_timeout),
                    max_connections: args
                        .max_connections
                        .map_or_else(crate::connections::default_max_connections, |n| n as usize),
                    shutdown_timeout: std::time::Duration::from_secs(args.shutdown_timeout),
                },
                serve::MetricsConfig {
                    pool: pool_stats,
                    listen: args.metrics_listen,
                    token: args
                        .metrics_token_file
                        .as_deref()
                        .map(serve::read_metrics_token)
                        .transpose()?,
                },
            )
            .await
        }
        Command::Migrate => print(json, &serde_json::json!({"migrated": true}), |_| {
            format!("database {database:?} is up to date")
        }),
        Command::Org(command) => org(&roster, json, command).await,
        Command::Scim(command) => {
            let public_url = cli.public_url.as_deref().unwrap_or(DEFAULT_PUBLIC_URL);
            scim(&roster, json, public_url, command).await
        }
        Command::User(command) => user(&roster, json, command).await,
        Command::Group(command) => group(&roster, json, command).await,
        Command::Sso(command) => {
            let public_url = cli.public_url.as_deref().unwrap_or(DEFAULT_PUBLIC_URL);
            crate::sso::run(&roster, json, public_url, command).await
        }
        Command::ApiKey(command) => crate::api_keys::run(&roster, json, command).await,
        Command::Webhook(command) => {
            crate::webhooks::run(&roster, json, cli.webhook_allow_private_networks, command).await
        }
        Command::Admin(command) => {
            let public_url = cli.public_url.as_deref().unwrap_or(DEFAULT_PUBLIC_URL);
            crate::admins::run(&roster, json, public_url, command).await
        }
        Command::Retention(RetentionCommand::Run { now, dry_run }) => {
            let as_of = now
                .map(|t| {
                    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                        .with_context(|| {
                            format!(
                                "--now '{t}' is not an RFC 3339 time such as 2026-01-31T00:00:00Z"
                            )
                        })
                })
                .transpose()?;
            let report = roster.run_retention(as_of, dry_run).await?;
            print(json, &report, |r| {
                if !r.ran {
                    return "retention is running on another instance right now; nothing was done"
                        .to_owned();
                }
                let verb = if r.dry_run { "would purge" } else { "purged" };
                let mut text = format!("{verb} {} account(s)", r.purged.len());
                for p in &r.purged {
                    text.push_str(&format!(
                        "\n  {}  {}  (org {})",
                        p.id,
                        printable(&p.user_name),
                        p.org
                    ));
                }
                text
            })
        }
        Command::Log { org, limit } => {
            let entries = roster.provisioning_log(org_id(&org)?, limit).await?;
            print(json, &entries, |entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}  {:<7} {:<24} {} {}  {}{}",
                            e.at,
                            e.outcome.as_str(),
                            printable(&e.operation),
                            e.status,
                            printable(e.name.as_deref().unwrap_or("-")),
                            printable(e.detail.as_deref().unwrap_or("")),
                            e.client_request_id
                                .as_deref()
                                .map(|id| format!("  [client-request-id {}]", printable(id)))
                                .unwrap_or_default(),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

async fn user(roster: &Roster, json: bool, command: UserCommand) -> anyhow::Result<()> {
    let account = match command {
        UserCommand::Add {
            user_name,
            org,
            display_name,
            role,
        } => {
            let org = org.as_deref().map(org_id).transpose()?;
            let role = role.map(|r| r.parse()).transpose()?;
            roster
                .add_account(org, &user_name, display_name, role)
                .await?
        }
        UserCommand::Invite { org, user_name } => {
            roster.invite_account(org_id(&org)?, &user_name).await?
        }
        UserCommand::Show { user_name } => roster.account_by_user_name(&user_name).await?,
    };
    print(json, &account, |a| {
        format!(
            "id:            {}\nuser name:     {}\norg:           {}\nrole:          {}\nactive:        {}\nscim managed:  {}",
            a.id,
            printable(&a.user_name),
            a.org_id
                .map_or_else(|| "(independent)".to_owned(), |o| o.to_string()),
            a.role,
            a.active,
            a.scim_managed,
        )
    })
}

async fn group(roster: &Roster, json: bool, command: GroupCommand) -> anyhow::Result<()> {
    let view = match command {
        GroupCommand::Create { org, name } => {
            let org = org_id(&org)?;
            roster.create_group(org, &name).await?;
            roster.group_view(org, &name).await?
        }
        GroupCommand::AddMember {
            org,
            group,
            user_name,
        } => roster.add_member(org_id(&org)?, &group, &user_name).await?,
        GroupCommand::Show { org, group } => roster.group_view(org_id(&org)?, &group).await?,
    };
    print(json, &view, |v| {
        let mut text = format!(
            "id:           {}\nname:         {}\nscim managed: {}\nmembers:      {}",
            v.group.id,
            printable(&v.group.display_name),
            v.group.scim_managed,
            v.members.len()
        );
        for m in &v.members {
            text.push_str(&format!(
                "\n  {:<40} {}",
                printable(&m.user_name),
                m.source.as_str()
            ));
        }
        text
    })
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
            domains,
        } => {
            let update = OrgUpdate {
                seats,
                retention_days: retention_days.map(|r| match r {
                    Retention::Days(d) => Some(d),
                    Retention::Off => None,
                }),
                domains: domains.map(|d| d.0),
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

pub(crate) fn org_id(text: &str) -> anyhow::Result<OrgId> {
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
        "id:          {}\nname:        {}\nkind:        {}\nseats:       {} of {} in use\nretention:   {retention}\ndomains:     {}\nscim:        {}",
        org.id,
        printable(&org.name),
        org.kind,
        status.seats_used,
        org.seats,
        if org.domains.is_empty() {
            "any (no restriction)".to_owned()
        } else {
            org.domains.join(", ")
        },
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
