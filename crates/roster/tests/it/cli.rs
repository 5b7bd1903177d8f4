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

#[test]
fn accounts_groups_and_the_log_through_the_cli() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Ridgemont",
        "--kind",
        "school",
        "--seats",
        "2",
    ]);
    let id = org["id"].as_str().unwrap();

    let solo = cli.json(&[
        "user",
        "add",
        "--user-name",
        "solo@x.org",
        "--display-name",
        "Solo",
    ]);
    assert_eq!(solo["org"], serde_json::Value::Null);
    assert_eq!(solo["role"], "learner");
    assert_eq!(solo["scim_managed"], false);

    let teacher = cli.json(&[
        "user",
        "add",
        "--org",
        id,
        "--user-name",
        "t@x.org",
        "--role",
        "teacher",
    ]);
    assert_eq!(teacher["role"], "teacher");
    assert_eq!(teacher["org"], id);
    assert_eq!(cli.json(&["org", "show", id])["seats_used"], 1);

    let invited = cli.json(&["user", "invite", "--org", id, "--user-name", "SOLO@x.org"]);
    assert_eq!(invited["org"], id);
    assert_eq!(invited["role"], "learner", "invitation keeps the role");
    cli.json(&["user", "add", "--user-name", "third@x.org"]);
    let refused = cli.fails(&["user", "invite", "--org", id, "--user-name", "third@x.org"]);
    assert!(refused.contains("seat limit reached: 2 of 2"), "{refused}");

    let shown = cli.json(&["user", "show", "solo@x.org"]);
    for key in ["id", "user_name", "org", "role", "active", "scim_managed"] {
        assert!(shown.get(key).is_some(), "user show prints {key}");
    }

    cli.json(&["group", "create", "--org", id, "--name", "Staff"]);
    // One name whatever the Unicode, and the same rules as SCIM for what a name may hold.
    // `ſ` (long s) folds to `s`; lower-casing alone kept it apart.
    let refused = cli.fails(&["group", "create", "--org", id, "--name", "\u{17f}TAFF"]);
    assert!(!refused.is_empty());
    let refused = cli.fails(&["group", "create", "--org", id, "--name", "Sta\tff"]);
    assert!(refused.contains("control character"), "{refused}");
    let shown = cli.json(&["user", "show", "SOLO@X.ORG"]);
    assert_eq!(shown["user_name"], "solo@x.org");
    let group = cli.json(&[
        "group",
        "add-member",
        "--org",
        id,
        "--group",
        "staff",
        "--user-name",
        "t@x.org",
    ]);
    assert_eq!(group["members"][0]["user_name"], "t@x.org");
    assert_eq!(group["members"][0]["source"], "manual");
    assert_eq!(
        cli.json(&["group", "show", "--org", id, "--group", "Staff"]),
        group
    );

    let log = cli.json(&["log", id, "--limit", "5"]);
    assert_eq!(log, serde_json::json!([]), "nothing provisioned yet");
}

#[test]
fn retention_run_from_the_cli_honours_now_and_dry_run() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "R", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap();
    cli.json(&["org", "update", id, "--retention-days", "1"]);
    let report = cli.json(&[
        "retention",
        "run",
        "--now",
        "2999-01-01T00:00:00Z",
        "--dry-run",
    ]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        report["purged"],
        serde_json::json!([]),
        "no deactivated accounts"
    );
    assert!(
        cli.fails(&["retention", "run", "--now", "yesterday"])
            .contains("RFC 3339")
    );
}

#[test]
fn no_log_setting_prints_the_database_drivers_statement_parameters() {
    let Some(admin_url) = roster_store_postgres::testing::server_url() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db = runtime
        .block_on(roster_store_postgres::testing::TestDatabase::create(
            &admin_url,
        ))
        .unwrap();
    let mut cli = Cli::new();
    cli.database = std::path::PathBuf::from(&db.url);
    for filter in [
        "trace",
        "tokio_postgres=trace",
        "tokio_postgres::query=trace",
    ] {
        let marker = format!("marker-{}@x.org", filter.len());
        let output = cli
            .command()
            .env("ROSTER_LOG", filter)
            .args(["user", "add", "--user-name", &marker, "--json"])
            .output()
            .unwrap();
        assert!(output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("marker-"),
            "ROSTER_LOG={filter} printed a statement parameter:\n{stderr}"
        );
    }
    drop(db);
}

#[test]
fn user_names_with_control_characters_are_refused_by_hand_too() {
    let cli = Cli::new();
    let evil = "evil\u{1b}[2J\nPOST /Users 201@x.org";
    let stderr = cli.fails(&["user", "add", "--user-name", evil]);
    assert!(stderr.contains("control character"), "{stderr}");
    let stderr = cli.fails(&["user", "add", "--user-name", &"a".repeat(257)]);
    assert!(stderr.contains("longer than 256"), "{stderr}");
}

#[test]
fn human_output_escapes_control_characters_from_stored_names() {
    let cli = Cli::new();
    // Names refuse control characters now; organization names, and rows stored before, may
    // still hold them.
    let evil = "evil\u{1b}[2J\nPOST /Users 201@x.org";
    let output = cli
        .command()
        .args([
            "org", "create", "--name", evil, "--kind", "business", "--seats", "5",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(
        stdout.contains("evil\\u{1b}[2J\\u{a}POST /Users 201@x.org"),
        "{stdout}"
    );
}

#[test]
fn org_domains_are_set_shown_and_turned_off_from_the_cli() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Ridgemont",
        "--kind",
        "school",
        "--seats",
        "5",
    ]);
    let id = org["id"].as_str().unwrap();
    assert_eq!(org["domains"], serde_json::json!([]));
    let updated = cli.json(&[
        "org",
        "update",
        id,
        "--domains",
        "Ridgemont.edu, students.ridgemont.edu",
    ]);
    assert_eq!(
        updated["domains"],
        serde_json::json!(["ridgemont.edu", "students.ridgemont.edu"])
    );
    assert_eq!(
        cli.json(&["org", "show", id])["domains"],
        updated["domains"]
    );
    let refused = cli.fails(&["org", "update", id, "--domains", "not a domain"]);
    assert!(refused.contains("is not a domain name"), "{refused}");
    let off = cli.json(&["org", "update", id, "--domains", "off"]);
    assert_eq!(off["domains"], serde_json::json!([]));
}

#[test]
fn api_keys_are_shown_once_listed_without_the_key_and_revoked() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let org_id = org["id"].as_str().unwrap();
    let created = cli.json(&["api-key", "create", "--name", "content", "--org", org_id]);
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("roster_key_") && key.len() > 40);
    assert_eq!(created["name"], "content");
    assert_eq!(created["org"], org_id);
    assert!(created["created_at"].is_string());
    let deployment = cli.json(&["api-key", "create", "--name", "search"]);
    assert_eq!(deployment["org"], serde_json::Value::Null);

    let output = cli
        .command()
        .args(["api-key", "list", "--json"])
        .output()
        .unwrap();
    let listed = String::from_utf8(output.stdout).unwrap();
    assert!(!listed.contains(&key), "a listing never shows a key");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["id"], created["id"]);
    assert_eq!(listed[0]["revoked_at"], serde_json::Value::Null);

    let id = created["id"].as_str().unwrap();
    let revoked = cli.json(&["api-key", "revoke", id]);
    assert_eq!(revoked["revoked"], true);
    let listed = cli.json(&["api-key", "list"]);
    assert!(listed[0]["revoked_at"].is_string());
    assert!(cli.fails(&["api-key", "revoke", id]).contains("no API key"));
    assert!(
        cli.fails(&[
            "api-key",
            "create",
            "--name",
            "x",
            "--org",
            "00000000-0000-4000-8000-000000000000"
        ])
        .contains("does not exist")
    );

    let bytes = std::fs::read(&cli.database).unwrap();
    let wal = std::fs::read(cli.database.with_extension("db-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key must not be stored in clear"
        );
    }
}
