//! `roster webhook`: endpoints that receive the change feed, for operators.

use std::{sync::Arc, time::Duration};

use roster_domain::{Roster, WebhookDelivery, WebhookRecord};
use roster_web::WebhookClient;

use crate::{
    cli::WebhookCommand,
    commands::org_id,
    output::{print, printable},
};

pub async fn run(
    roster: &Roster,
    json: bool,
    allow_private: bool,
    command: WebhookCommand,
) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Add {
            url,
            org,
            description,
        } => {
            let org = org.as_deref().map(org_id).transpose()?;
            let added = roster
                .add_webhook(org, &url, description.as_deref())
                .await?;
            print(json, &added, |a| {
                let receives = a.webhook.org_id.map_or_else(
                    || "every organization's events".to_owned(),
                    |o| format!("the events of organization {o}"),
                );
                format!(
                    "Webhook {} ({}) receives {receives}.\nSigning secret (copy it now; it is not shown again):\n  {}",
                    a.webhook.id,
                    printable(&a.webhook.url),
                    a.secret
                )
            })
        }
        WebhookCommand::List => {
            let hooks = roster.webhooks().await?;
            print(json, &hooks, |hooks| {
                if hooks.is_empty() {
                    return "no webhooks".to_owned();
                }
                hooks.iter().map(line).collect::<Vec<_>>().join("\n")
            })
        }
        WebhookCommand::Remove { id } => {
            roster.remove_webhook(&id).await?;
            print(
                json,
                &serde_json::json!({ "id": id, "removed": true }),
                |_| format!("webhook {} is removed", printable(&id)),
            )
        }
        WebhookCommand::Pause { id } => {
            let hook = roster.pause_webhook(&id).await?;
            print(json, &hook, line)
        }
        WebhookCommand::Resume { id } => {
            let hook = roster.resume_webhook(&id).await?;
            print(json, &hook, line)
        }
        WebhookCommand::Deliveries { id, limit } => {
            let deliveries = roster.webhook_deliveries(&id, limit).await?;
            print(json, &deliveries, |ds| {
                if ds.is_empty() {
                    return "no deliveries".to_owned();
                }
                ds.iter().map(delivery).collect::<Vec<_>>().join("\n")
            })
        }
        WebhookCommand::Resend {
            delivery: id,
            timeout,
        } => {
            let client: Arc<dyn roster_domain::WebhookTransport> = Arc::new(WebhookClient::new(
                Duration::from_secs(timeout),
                allow_private,
            ));
            let sent = roster.resend_webhook_delivery(&id, &*client).await?;
            print(json, &sent, delivery)
        }
    }
}

fn line(w: &WebhookRecord) -> String {
    let org = w
        .org_id
        .map_or_else(|| "deployment".to_owned(), |o| o.to_string());
    let failing = w
        .failing_since
        .map(|since| format!("  failing since {since} ({} attempts)", w.attempts))
        .unwrap_or_default();
    format!(
        "{}  {}  {org}  {}{failing}",
        w.id,
        printable(&w.url),
        w.state.as_str()
    )
}

fn delivery(d: &WebhookDelivery) -> String {
    let outcome = match (d.status, &d.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(e)) => printable(e),
        (None, None) => "no answer".to_owned(),
    };
    format!(
        "{}  {}  {}  {} event(s)  {outcome}  {} ms  {}",
        d.attempted_at,
        d.id,
        d.message_id,
        d.events,
        d.duration_ms,
        if d.resend {
            "resend".to_owned()
        } else {
            format!("attempt {}", d.attempt)
        }
    )
}
