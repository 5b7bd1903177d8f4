//! `roster sso`: an organization's sign-in with its OpenID Connect provider, for operators.

use std::io::BufRead;

use anyhow::Context;
use roster_domain::{ClientSecret, Roster, SsoSettings, SsoSignInRecord, SsoView};
use serde::Serialize;

use crate::{
    cli::SsoCommand,
    commands::org_id,
    output::{print, printable},
};

/// What `sso show` prints: whether sign-in is configured and, if so, how.
#[derive(Debug, Serialize)]
struct Shown {
    org: String,
    configured: bool,
    #[serde(flatten)]
    view: Option<SsoView>,
}

pub async fn run(
    roster: &Roster,
    json: bool,
    public_url: &str,
    command: SsoCommand,
) -> anyhow::Result<()> {
    match command {
        SsoCommand::Configure {
            org,
            tenant_id,
            issuer,
            client_id,
        } => {
            let client_secret = ClientSecret::new(secret_from_stdin()?);
            let settings = match (tenant_id, issuer) {
                (Some(tenant_id), None) => SsoSettings::Microsoft {
                    tenant_id,
                    client_id,
                    client_secret,
                },
                (None, Some(issuer)) => SsoSettings::Oidc {
                    issuer,
                    client_id,
                    client_secret,
                },
                _ => anyhow::bail!("give either --tenant-id (Microsoft) or --issuer"),
            };
            let view = roster
                .configure_sso(org_id(&org)?, settings, public_url)
                .await?;
            print(json, &view, |v| {
                format!(
                    "sign-in is configured ({}). Register this redirect URI in the provider:\n  {}\nPeople sign in at:\n  {}",
                    v.provider.as_str(),
                    printable(&v.redirect_uri),
                    printable(&v.sign_in_url)
                )
            })
        }
        SsoCommand::Show { org } => {
            let view = roster.sso(org_id(&org)?, public_url).await?;
            let shown = Shown {
                org,
                configured: view.is_some(),
                view,
            };
            print(json, &shown, describe)
        }
        SsoCommand::Disable { org } => {
            let removed = roster.disable_sso(org_id(&org)?).await?;
            print(
                json,
                &serde_json::json!({ "org": org, "disabled": removed }),
                |_| {
                    if removed {
                        "sign-in with the organization's provider is disabled".to_owned()
                    } else {
                        "sign-in was not configured".to_owned()
                    }
                },
            )
        }
        SsoCommand::Log { org, limit } => {
            let entries = roster.sso_sign_ins(org_id(&org)?, limit).await?;
            print(json, &entries, |entries| {
                if entries.is_empty() {
                    return "no sign-ins yet".to_owned();
                }
                entries.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
    }
}

fn describe(shown: &Shown) -> String {
    let Some(v) = &shown.view else {
        return "sign-in is not configured: people cannot sign in with their organization's \
                account (roster sso configure ORG --tenant-id T --client-id C)"
            .to_owned();
    };
    let mut lines = vec![format!("provider      {}", v.provider.as_str())];
    if let Some(tid) = &v.tenant_id {
        lines.push(format!("tenant id     {tid}"));
    }
    lines.push(format!("issuer        {}", printable(&v.issuer)));
    lines.push(format!("client id     {}", printable(&v.client_id)));
    lines.push("client secret (set; never shown)".to_owned());
    lines.push(format!("redirect URI  {}", printable(&v.redirect_uri)));
    lines.push(format!("sign-in URL   {}", printable(&v.sign_in_url)));
    lines.join("\n")
}

fn line(e: &SsoSignInRecord) -> String {
    format!(
        "{}  {:<18} {} {}",
        e.at,
        e.verdict.as_str(),
        printable(e.preferred_username.as_deref().unwrap_or("-")),
        printable(e.detail.as_deref().unwrap_or("")),
    )
}

/// The client secret: one line from standard input, so it shows neither in the process list
/// nor in the shell history.
fn secret_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the client secret from standard input")?;
    let secret = line.trim_end_matches(['\n', '\r']).to_owned();
    if secret.is_empty() {
        anyhow::bail!("no client secret on standard input: pipe it as one line");
    }
    Ok(secret)
}
