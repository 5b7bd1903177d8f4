//! `roster admin`: the console's administrators, for operators.

use std::io::BufRead;

use anyhow::Context;
use roster_domain::{AdminCredential, AdminSummary, Roster};
use serde::Serialize;

use crate::{
    cli::AdminCommand,
    commands::org_id,
    output::{print, printable},
};

/// What `admin add` prints. The invitation link is shown this once.
#[derive(Debug, Serialize)]
struct Added {
    id: String,
    email: String,
    org: String,
    invitation_link: Option<String>,
}

pub async fn run(
    roster: &Roster,
    json: bool,
    public_url: &str,
    command: AdminCommand,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Add { org, email, invite } => {
            let credential = if invite {
                AdminCredential::Invite
            } else {
                AdminCredential::Password(password_from_stdin()?)
            };
            let added = roster.add_admin(org_id(&org)?, &email, credential).await?;
            let added = Added {
                id: added.account.id.to_string(),
                email: added.account.user_name,
                org,
                invitation_link: added.invitation.map(|code| code.link(public_url)),
            };
            print(json, &added, |a| match &a.invitation_link {
                Some(link) => format!(
                    "{} is invited as an administrator. Send them this link (valid 7 days, usable once; it is not shown again):\n{link}",
                    printable(&a.email)
                ),
                None => format!(
                    "{} is an administrator and can sign in to the console",
                    printable(&a.email)
                ),
            })
        }
        AdminCommand::List { org } => {
            let admins = roster.admins(org_id(&org)?).await?;
            print(json, &admins, |admins| {
                if admins.is_empty() {
                    return "no administrators".to_owned();
                }
                admins.iter().map(describe).collect::<Vec<_>>().join("\n")
            })
        }
        AdminCommand::Remove { org, email } => {
            roster.remove_admin(org_id(&org)?, &email).await?;
            print(json, &serde_json::json!({ "removed": email }), |_| {
                format!("{} is no longer an administrator", printable(&email))
            })
        }
    }
}

fn describe(admin: &AdminSummary) -> String {
    let sign_in = match (admin.password_set, admin.invitation_expires_at) {
        (true, _) => "password set".to_owned(),
        (false, Some(until)) => format!("invited, until {until}"),
        (false, None) => "cannot sign in (no password)".to_owned(),
    };
    format!(
        "{:<40} {}{}",
        printable(&admin.email),
        sign_in,
        if admin.active { "" } else { ", deactivated" }
    )
}

/// One line from standard input, without its line ending: how scripts pass a secret without
/// it showing in the process list or the shell history.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!(
            "no password on standard input: pipe it as one line (or use --invite to send a link)"
        );
    }
    Ok(password)
}
