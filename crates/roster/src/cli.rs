//! The command line (SPEC.md §4). Scripts depend on these names, flags and `--json` outputs.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

use crate::database::DatabaseUrl;

#[derive(Debug, Parser)]
#[command(
    name = "roster",
    version,
    about = "SCIM 2.0 provisioning service for the learning platform"
)]
pub struct Cli {
    /// Database: a file path or `sqlite://PATH` (embedded, the default) or `postgres://...`.
    #[arg(
        long = "database",
        env = "ROSTER_DATABASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub database: Option<DatabaseUrl>,

    /// Print one JSON object (or array) on stdout and nothing else.
    #[arg(long, global = true)]
    pub json: bool,

    /// The externally visible base URL, used to build tenant URLs.
    #[arg(long, env = "ROSTER_PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<String>,

    /// A file of 32 random bytes that seals SSO client secrets; every instance must read the
    /// same one. Without it, on SQLite a key file beside the database is made on first use
    /// (`serve`, or `sso configure`).
    #[arg(
        long,
        env = "ROSTER_SECRET_KEY_FILE",
        global = true,
        value_name = "PATH"
    )]
    pub secret_key_file: Option<std::path::PathBuf>,

    /// Where Microsoft Entra ID issuers live; only tests change it.
    #[arg(
        long,
        env = "ROSTER_MICROSOFT_AUTHORITY_URL",
        global = true,
        hide = true,
        value_name = "URL"
    )]
    pub microsoft_authority_url: Option<String>,

    /// Let webhook endpoints be on loopback, private or link-local addresses (refused by
    /// default, so an endpoint cannot make Roster probe its own network).
    #[arg(long, env = "ROSTER_WEBHOOK_ALLOW_PRIVATE_NETWORKS", global = true)]
    pub webhook_allow_private_networks: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: SCIM API, health checks, background jobs.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Organizations (tenants).
    #[command(subcommand)]
    Org(OrgCommand),
    /// SCIM provisioning of an organization.
    #[command(subcommand)]
    Scim(ScimCommand),
    /// Accounts added by hand.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups and members managed by hand.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Data retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Administrators who can sign in to the console.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Sign-in with the organization's OpenID Connect provider (Microsoft Entra ID or another).
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Keys for the platform API and the change feed.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Endpoints that receive the change feed as signed POSTs.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Print an organization's provisioning log, newest first.
    Log {
        #[arg(value_name = "ORG")]
        org: String,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account by hand (without --org: an independent account).
    Add {
        #[arg(long)]
        user_name: String,
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, value_parser = ["admin", "teacher", "learner", "student"])]
        role: Option<String>,
    },
    /// Bring an existing independent account into the organization.
    Invite {
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long)]
        user_name: String,
    },
    /// Print an account.
    Show {
        #[arg(value_name = "USER_NAME")]
        user_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an administrator (a new account, or an account of the organization promoted). The
    /// password is read from standard input (one line), or --invite prints a one-time link
    /// (valid 7 days) for them to choose it.
    Add {
        #[arg(long, value_name = "ORG")]
        org: String,
        /// Their email, which is also their userName.
        #[arg(long)]
        email: String,
        #[arg(long)]
        invite: bool,
    },
    /// List the organization's administrators.
    List {
        #[arg(long, value_name = "ORG")]
        org: String,
    },
    /// Remove an administrator: the account stays, with the organization's lowest role, and
    /// its password and sessions end.
    Remove {
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key: for one organization with --org, else for the whole deployment. The key
    /// is printed once; Roster keeps only its hash.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key: it is refused from now on.
    Revoke {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint: for one organization with --org, else for the whole deployment. Its
    /// signing secret is printed once.
    Add {
        #[arg(long, value_name = "URL")]
        url: String,
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List endpoints (never their secrets).
    List,
    /// Remove an endpoint and its delivery log.
    Remove {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Stop delivering to an endpoint; its cursor stays.
    Pause {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Deliver again, starting with what the endpoint missed.
    Resume {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Print an endpoint's delivery log, newest first.
    Deliveries {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// POST a logged delivery's events again, with the same webhook-id.
    Resend {
        #[arg(value_name = "DELIVERY_ID")]
        delivery: String,
        /// Seconds to wait for the receiver.
        #[arg(long, default_value_t = 10, value_name = "SECONDS")]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Configure (or replace) sign-in for the organization. The client secret is read from
    /// standard input (one line); it is stored encrypted and never shown again.
    #[command(group(clap::ArgGroup::new("provider").required(true).args(["tenant_id", "issuer"])))]
    Configure {
        #[arg(value_name = "ORG")]
        org: String,
        /// Microsoft Entra ID: the Directory (tenant) ID.
        #[arg(long)]
        tenant_id: Option<String>,
        /// Another OpenID Connect provider: its issuer URL (with discovery).
        #[arg(long, value_name = "URL")]
        issuer: Option<String>,
        /// The Application (client) ID.
        #[arg(long)]
        client_id: String,
    },
    /// Show the organization's sign-in configuration (never the secret).
    Show {
        #[arg(value_name = "ORG")]
        org: String,
    },
    /// Turn sign-in off for the organization.
    Disable {
        #[arg(value_name = "ORG")]
        org: String,
    },
    /// Print the organization's sign-in log, newest first.
    Log {
        #[arg(value_name = "ORG")]
        org: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group by hand.
    Create {
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long)]
        name: String,
    },
    /// Add an account of the organization to a group by hand.
    AddMember {
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long, value_name = "NAME")]
        group: String,
        #[arg(long)]
        user_name: String,
    },
    /// Print a group with each member's source (scim or manual).
    Show {
        #[arg(long, value_name = "ORG")]
        org: String,
        #[arg(long, value_name = "NAME")]
        group: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Purge accounts deactivated longer than their organization's retention period.
    Run {
        /// Run as of this time (RFC 3339) instead of now.
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// Report what would be purged without removing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

impl Command {
    pub fn is_serve(&self) -> bool {
        matches!(self, Self::Serve(_))
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "ROSTER_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,

    /// Seconds between background retention runs (purge of deactivated accounts, log trim).
    #[arg(long, env = "ROSTER_RETENTION_INTERVAL", default_value_t = 3600, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub retention_interval: u64,

    /// Days the change feed keeps events; a reader whose cursor is older must resynchronise.
    #[arg(long, env = "ROSTER_EVENT_RETENTION_DAYS", default_value_t = roster_domain::EVENT_RETENTION_DAYS,
          value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub event_retention_days: u32,

    /// Requests per second each organization may send, sustained; 0 turns the limit off.
    #[arg(
        long,
        env = "ROSTER_RATE_LIMIT",
        default_value_t = roster_web::RateLimit::DEFAULT.per_second,
        value_name = "N"
    )]
    pub rate_limit: u32,

    /// Requests each organization may send at once before the sustained rate applies.
    #[arg(
        long,
        env = "ROSTER_RATE_BURST",
        default_value_t = roster_web::RateLimit::DEFAULT.burst,
        value_name = "N"
    )]
    pub rate_burst: u32,

    /// Seconds a connection has to send a complete request head, counted from when it opens or
    /// its previous response was sent (so also how long an idle keep-alive connection stays).
    #[arg(long, env = "ROSTER_HEADER_TIMEOUT", default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,

    /// Connections open at once; more wait until one closes. Default: 1024, or the open-file
    /// limit minus 64 when that is lower.
    #[arg(long, env = "ROSTER_MAX_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,

    /// Also serve `/metrics`, without authentication, on this address (keep it on a private
    /// network). Default: no separate listener.
    #[arg(long, env = "ROSTER_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// A file holding a token (16 characters or more) that opens `/metrics` on the main listener
    /// as `Authorization: Bearer <token>`. Default: `/metrics` is not served on the main listener.
    #[arg(long, env = "ROSTER_METRICS_TOKEN_FILE", value_name = "PATH")]
    pub metrics_token_file: Option<std::path::PathBuf>,

    /// Seconds a webhook receiver has to answer a delivery.
    #[arg(long, env = "ROSTER_WEBHOOK_TIMEOUT", default_value_t = 10, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout: u64,

    /// Milliseconds between rounds of webhook delivery (tests shorten it).
    #[arg(long, env = "ROSTER_WEBHOOK_TICK_MS", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_tick_ms: u64,

    /// Milliseconds before the first retry of a failed delivery (doubling after each failure).
    #[arg(
        long,
        env = "ROSTER_WEBHOOK_RETRY_MS",
        default_value_t = 5000,
        hide = true
    )]
    pub webhook_retry_ms: u64,

    /// Milliseconds the wait between retries grows to at most.
    #[arg(
        long,
        env = "ROSTER_WEBHOOK_RETRY_MAX_MS",
        default_value_t = 3_600_000,
        hide = true
    )]
    pub webhook_retry_max_ms: u64,

    /// Seconds of continuous failure after which an endpoint is paused.
    #[arg(
        long,
        env = "ROSTER_WEBHOOK_GIVE_UP_SECONDS",
        default_value_t = 86_400,
        hide = true
    )]
    pub webhook_give_up_seconds: u64,

    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C before the process exits.
    #[arg(
        long,
        env = "ROSTER_SHUTDOWN_TIMEOUT",
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    pub shutdown_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization; prints it with its `id`.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["school", "business"])]
        kind: String,
        #[arg(long)]
        seats: u32,
    },
    /// Show an organization, with `seats_used`.
    Show {
        #[arg(value_name = "ORG")]
        org: String,
    },
    /// Change an organization's seats, data retention or domains.
    Update {
        #[arg(value_name = "ORG")]
        org: String,
        #[arg(long)]
        seats: Option<u32>,
        /// Days after deactivation before an account is purged, or `off`.
        #[arg(long, value_name = "N|off")]
        retention_days: Option<Retention>,
        /// Email domains SCIM userNames must be in (comma-separated; subdomains included), or
        /// `off` for no restriction.
        #[arg(long, value_name = "D1,D2|off")]
        domains: Option<Domains>,
    },
}

/// `--domains D1,D2|off`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domains(pub Vec<String>);

impl std::str::FromStr for Domains {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(Self(Vec::new()));
        }
        Ok(Self(s.split(',').map(|d| d.trim().to_owned()).collect()))
    }
}

#[derive(Debug, Subcommand)]
pub enum ScimCommand {
    /// Enable SCIM; prints the tenant URL and the secret token (shown once).
    Enable {
        #[arg(value_name = "ORG")]
        org: String,
    },
    /// Issue a new token; the previous one stays valid for the grace period.
    RotateToken {
        #[arg(value_name = "ORG")]
        org: String,
        /// Seconds the previous token stays valid (default one day; 0 revokes it at once).
        #[arg(long, value_name = "SECONDS")]
        grace: Option<u32>,
    },
    /// Disable SCIM: revoke every token.
    Disable {
        #[arg(value_name = "ORG")]
        org: String,
    },
}

/// `--retention-days N|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Days(u32),
    Off,
}

impl std::str::FromStr for Retention {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        s.parse()
            .map(Self::Days)
            .map_err(|_| format!("expected a number of days or 'off', got '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
