//! The CLI contract of SPEC.md §4, through the real binary.

use crate::support::Cli;

#[test]
fn org_create_show_update_round_trip_as_json() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Ridgemont High",
        "--kind",
        "school",
        "--seats",
        "500",
    ]);
    let id = org["id"].as_str().unwrap();
    assert_eq!(org["name"], "Ridgemont High");
    assert_eq!(org["kind"], "school");
    assert_eq!(org["seats"], 500);
    assert_eq!(org["seats_used"], 0);
    assert_eq!(org["scim_enabled"], false);
    assert_eq!(org["retention_days"], serde_json::Value::Null);

    let updated = cli.json(&[
        "org",
        "update",
        id,
        "--seats",
        "650",
        "--retention-days",
        "30",
    ]);
    assert_eq!(updated["seats"], 650);
    assert_eq!(updated["retention_days"], 30);

    let off = cli.json(&["org", "update", id, "--retention-days", "off"]);
    assert_eq!(off["retention_days"], serde_json::Value::Null);
    assert_eq!(off["seats"], 650, "an update changes only what it names");

    let shown = cli.json(&["org", "show", id]);
    assert_eq!(shown, off);
}

#[test]
fn invalid_input_is_refused_on_stderr_with_a_nonzero_exit() {
    let cli = Cli::new();
    assert!(
        cli.fails(&["org", "show", "not-an-id"])
            .contains("not an organization id")
    );
    assert!(
        cli.fails(&["org", "show", "00000000-0000-4000-8000-000000000000"])
            .contains("does not exist")
    );
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap();
    assert!(
        cli.fails(&["org", "update", id, "--retention-days", "0"])
            .contains("at least 1 day")
    );
    assert!(
        cli.fails(&[
            "org", "create", "--name", " ", "--kind", "business", "--seats", "5"
        ])
        .contains("empty")
    );
    cli.fails(&[
        "org",
        "create",
        "--name",
        "X",
        "--kind",
        "university",
        "--seats",
        "5",
    ]);
    assert!(
        cli.fails(&["scim", "rotate-token", id])
            .contains("not enabled")
    );
}

#[test]
fn scim_enable_rotate_disable_through_the_cli() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap();

    let enabled = cli.json(&[
        "scim",
        "enable",
        id,
        "--public-url",
        "https://roster.example.edu/",
    ]);
    assert_eq!(
        enabled["tenant_url"],
        format!("https://roster.example.edu/scim/v2/{id}")
    );
    let token = enabled["token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 256 bits: {token}");
    assert_eq!(enabled.as_object().unwrap().len(), 2);

    assert!(
        cli.fails(&["scim", "enable", id])
            .contains("already enabled")
    );
    let rotated = cli.json(&["scim", "rotate-token", id, "--grace", "60"]);
    assert_ne!(rotated["token"], enabled["token"]);
    assert_eq!(cli.json(&["org", "show", id])["scim_enabled"], true);

    let disabled = cli.json(&["scim", "disable", id]);
    assert_eq!(disabled["scim_enabled"], false);
}

#[test]
fn tokens_are_stored_only_as_hashes() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let enabled = cli.json(&["scim", "enable", org["id"].as_str().unwrap()]);
    let token = enabled["token"].as_str().unwrap();
    let bytes = std::fs::read(&cli.database).unwrap();
    let wal = std::fs::read(cli.database.with_extension("db-wal")).unwrap_or_default();
    let needle = token.as_bytes();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "the token must not be stored in clear"
        );
    }
}

#[test]
fn database_url_comes_from_the_environment_too() {
    let cli = Cli::new();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    let output = command
        .env(
            "ROSTER_DATABASE_URL",
            format!("sqlite://{}", cli.database.display()),
        )
        .args([
            "org", "create", "--name", "Env", "--kind", "school", "--seats", "1", "--json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let org: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let shown = cli.json(&["org", "show", org["id"].as_str().unwrap()]);
    assert_eq!(shown["name"], "Env");
}

#[test]
fn human_output_shows_the_token_once_with_instructions() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let output = cli
        .command()
        .args(["scim", "enable", org["id"].as_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Tenant URL:"), "{text}");
    assert!(text.contains("Secret token:  roster_"), "{text}");
    assert!(text.contains("not shown again"), "{text}");
}
