//! `roster admin add|list|remove`: console administrators from the command line, through the
//! real binary; sign-in checked through the domain on the same database.

use std::sync::Arc;

use roster_domain::{InvitationCode, Roster, SystemClock};
use roster_store_sqlite::SqliteStore;
use serde_json::Value;

use crate::support::Cli;

const PASSWORD: &str = "violet staple orbit cactus";

fn org(cli: &Cli) -> String {
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    org["id"].as_str().unwrap().to_owned()
}

fn add(cli: &Cli, org: &str, email: &str, password: &str) -> Value {
    let output = cli.with_stdin(&["admin", "add", "--org", org, "--email", email], password);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn roster(cli: &Cli) -> Roster {
    Roster::new(
        Arc::new(SqliteStore::open(&cli.database).unwrap()),
        Arc::new(SystemClock),
    )
}

#[tokio::test]
async fn admin_add_reads_the_password_from_stdin_and_the_admin_can_sign_in() {
    let cli = Cli::new();
    let org = org(&cli);
    let added = add(&cli, &org, "ada@acme.example", &format!("{PASSWORD}\n"));
    assert_eq!(added["email"], "ada@acme.example");
    assert_eq!(added["org"], org.as_str());
    assert_eq!(added["invitation_link"], Value::Null);
    let account = cli.json(&["user", "show", "ada@acme.example"]);
    assert_eq!(account["role"], "admin");
    assert_eq!(account["id"], added["id"]);

    let (admin, _) = roster(&cli)
        .sign_in("ada@acme.example", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(admin.org_id().to_string(), org);
    let bytes = std::fs::read(&cli.database).unwrap();
    let wal = std::fs::read(cli.database.with_extension("db-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        assert!(
            !file
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "the password must not be stored in clear"
        );
    }
}

#[tokio::test]
async fn admin_add_invite_prints_a_one_time_link_under_the_public_url() {
    let cli = Cli::new();
    let org = org(&cli);
    let invited = cli.json(&[
        "admin",
        "add",
        "--org",
        &org,
        "--email",
        "bea@acme.example",
        "--invite",
        "--public-url",
        "https://roster.example.edu/",
    ]);
    let link = invited["invitation_link"].as_str().unwrap();
    let code = link
        .strip_prefix("https://roster.example.edu/console/invitation/")
        .unwrap_or_else(|| panic!("{link}"));
    assert!(code.len() >= 43, "256 random bits: {code}");
    let default = cli.json(&[
        "admin",
        "add",
        "--org",
        &org,
        "--email",
        "cy@acme.example",
        "--invite",
    ]);
    assert!(
        default["invitation_link"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:8080/console/invitation/")
    );

    let roster = roster(&cli);
    let code = InvitationCode::new(code.to_owned());
    roster
        .accept_invitation(&code, PASSWORD, None)
        .await
        .unwrap();
    roster
        .sign_in("bea@acme.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(
        roster
            .accept_invitation(&code, PASSWORD, None)
            .await
            .is_err()
    );
}

#[test]
fn admin_list_and_remove_keep_one_administrator() {
    let cli = Cli::new();
    let org = org(&cli);
    add(&cli, &org, "ada@acme.example", PASSWORD);
    add(&cli, &org, "bob@acme.example", PASSWORD);
    let listed = cli.json(&["admin", "list", "--org", &org]);
    let emails: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ada@acme.example", "bob@acme.example"]);
    assert_eq!(listed[0]["password_set"], true);
    assert_eq!(listed[0]["active"], true);

    let removed = cli.json(&[
        "admin",
        "remove",
        "--org",
        &org,
        "--email",
        "bob@acme.example",
    ]);
    assert_eq!(removed["removed"], "bob@acme.example");
    assert_eq!(
        cli.json(&["user", "show", "bob@acme.example"])["role"],
        "learner",
        "the account stays, with the organization's lowest role"
    );
    assert_eq!(
        cli.json(&["admin", "list", "--org", &org])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        cli.fails(&[
            "admin",
            "remove",
            "--org",
            &org,
            "--email",
            "ada@acme.example"
        ])
        .contains("last administrator")
    );
    assert!(
        cli.fails(&[
            "admin",
            "remove",
            "--org",
            &org,
            "--email",
            "bob@acme.example"
        ])
        .contains("not an administrator")
    );
}

#[test]
fn admin_add_refuses_weak_or_missing_passwords_and_adds_nobody() {
    let cli = Cli::new();
    let org = org(&cli);
    let add_args = ["admin", "add", "--org", &org, "--email", "ada@acme.example"];
    for (input, says) in [
        ("short\n", "at least 12 characters"),
        ("Qwerty123456\n", "commonly used"),
        ("", "no password on standard input"),
    ] {
        let output = cli.with_stdin(&add_args, input);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    assert!(
        cli.fails(&["user", "show", "ada@acme.example"])
            .contains("no account")
    );
    assert_eq!(
        cli.json(&["admin", "list", "--org", &org]),
        serde_json::json!([])
    );
}

#[test]
fn admin_add_prints_the_link_for_people_without_json() {
    let cli = Cli::new();
    let org = org(&cli);
    let output = cli
        .command()
        .args([
            "admin",
            "add",
            "--org",
            &org,
            "--email",
            "ada@acme.example",
            "--invite",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("/console/invitation/"), "{text}");
    assert!(text.contains("not shown again"), "{text}");
}
