//! `roster sso configure|show|disable|log` through the real binary: the client secret from
//! standard input, sealed under a key file made beside a SQLite database on first use (owner
//! only), never printed; PostgreSQL refuses without a configured key.

use std::{os::unix::fs::PermissionsExt, path::PathBuf};

use roster_store_postgres::testing;
use serde_json::Value;

use crate::support::Cli;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SECRET: &str = "Qx8~entra.client-secret_value";

fn org(cli: &Cli) -> String {
    let org = cli.json(&[
        "org", "create", "--name", "Contoso", "--kind", "school", "--seats", "5",
    ]);
    org["id"].as_str().unwrap().to_owned()
}

fn configure(cli: &Cli, args: &[&str], secret: &str) -> std::process::Output {
    cli.with_stdin(&[&["sso", "configure"], args].concat(), secret)
}

fn ok_json(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn sso_configure_reads_the_secret_from_stdin_seals_it_and_shows_the_redirect_uri_never_the_secret()
{
    let cli = Cli::new();
    let org = org(&cli);
    let key_file = cli.database.with_file_name("roster-secret.key");
    assert!(!key_file.exists());
    let shown = cli.json(&["sso", "show", &org]);
    assert_eq!(shown["configured"], false);

    let output = configure(
        &cli,
        &[
            &org,
            "--tenant-id",
            TENANT,
            "--client-id",
            "app-1",
            "--public-url",
            "https://roster.example",
        ],
        &format!("{SECRET}\n"),
    );
    let view = ok_json(&output);
    assert_eq!(view["provider"], "microsoft");
    assert_eq!(view["tenant_id"], TENANT);
    assert_eq!(
        view["issuer"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(view["redirect_uri"], "https://roster.example/sso/callback");
    assert_eq!(
        view["sign_in_url"],
        format!("https://roster.example/sso/{org}")
    );
    assert!(!contains(&output.stdout, SECRET) && !contains(&output.stderr, SECRET));

    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is its owner's only");
    assert_eq!(std::fs::read(&key_file).unwrap().len(), 32);

    let shown = cli.json(&["sso", "show", &org]);
    assert_eq!(shown["configured"], true);
    assert_eq!(shown["client_id"], "app-1");
    assert!(!shown.to_string().contains(SECRET));
    let human = cli.command().args(["sso", "show", &org]).output().unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("never shown"));
    assert!(!contains(&human.stdout, SECRET));
    let db = std::fs::read(&cli.database).unwrap();
    let wal = std::fs::read(cli.database.with_extension("db-wal")).unwrap_or_default();
    assert!(!contains(&db, SECRET) && !contains(&wal, SECRET));

    let disabled = cli.json(&["sso", "disable", &org]);
    assert_eq!(disabled["disabled"], true);
    assert_eq!(cli.json(&["sso", "show", &org])["configured"], false);
    assert_eq!(cli.json(&["sso", "disable", &org])["disabled"], false);
}

#[test]
fn sso_configure_for_another_provider_takes_its_issuer_and_refuses_bad_input_writing_nothing() {
    let cli = Cli::new();
    let org = org(&cli);
    let view = ok_json(&configure(
        &cli,
        &[
            &org,
            "--issuer",
            "https://id.example/realms/school",
            "--client-id",
            "roster",
        ],
        "secret\n",
    ));
    assert_eq!(view["provider"], "oidc");
    assert_eq!(view["issuer"], "https://id.example/realms/school");

    let refused = configure(
        &cli,
        &[
            &org,
            "--tenant-id",
            "contoso.onmicrosoft.com",
            "--client-id",
            "x",
        ],
        "secret\n",
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Directory (tenant) ID"));
    let empty = configure(&cli, &[&org, "--tenant-id", TENANT, "--client-id", "x"], "");
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("standard input"));
    assert_eq!(cli.json(&["sso", "show", &org])["provider"], "oidc");
    let both = cli.fails(&[
        "sso",
        "configure",
        &org,
        "--tenant-id",
        TENANT,
        "--issuer",
        "https://x.example",
        "--client-id",
        "x",
    ]);
    assert!(both.contains("cannot be used with"), "{both}");
}

#[test]
fn a_configured_key_file_is_used_and_one_of_the_wrong_size_is_refused() {
    let cli = Cli::new();
    let org = org(&cli);
    let key = cli.database.with_file_name("shared.key");
    std::fs::write(&key, [9u8; 32]).unwrap();
    let key_arg = key.to_str().unwrap();
    ok_json(&configure(
        &cli,
        &[
            &org,
            "--tenant-id",
            TENANT,
            "--client-id",
            "a",
            "--secret-key-file",
            key_arg,
        ],
        "s\n",
    ));
    assert!(!cli.database.with_file_name("roster-secret.key").exists());
    std::fs::write(&key, b"short").unwrap();
    let refused = cli.fails(&["sso", "show", &org, "--secret-key-file", key_arg]);
    assert!(refused.contains("is not a key"), "{refused}");
}

#[tokio::test]
async fn on_postgres_sso_is_refused_without_a_configured_key_file() {
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let mut cli = Cli::new();
    cli.database = PathBuf::from(&db.url);
    let org = org(&cli);
    let refused = configure(
        &cli,
        &[&org, "--tenant-id", TENANT, "--client-id", "a"],
        "s\n",
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("ROSTER_SECRET_KEY_FILE"), "{stderr}");
    assert_eq!(cli.json(&["sso", "show", &org])["configured"], false);
}
