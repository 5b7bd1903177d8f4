//! The server's secret key file (`--secret-key-file`), which seals SSO client secrets. Every
//! instance must read the same key, so with PostgreSQL (any number of instances) it must be
//! configured; with the embedded SQLite store (one machine) a key file beside the database is
//! created the first time SSO is configured or `roster serve` starts (its console configures
//! SSO), readable by its owner only.

use std::{
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use anyhow::Context;
use roster_domain::SecretKey;

use crate::database::DatabaseUrl;

/// The key file's name beside a SQLite database when none is configured.
const DEFAULT_FILE_NAME: &str = "roster-secret.key";

/// The key to use: the configured file's; else, on SQLite, the one beside the database (made
/// now when `create`, i.e. on first use); else none, and SSO refuses to be configured.
pub fn load(
    database: &DatabaseUrl,
    configured: Option<&Path>,
    create: bool,
) -> anyhow::Result<Option<SecretKey>> {
    if let Some(path) = configured {
        return read(path).map(Some);
    }
    let DatabaseUrl::Sqlite(database) = database else {
        return Ok(None);
    };
    let path = beside(database);
    if path.exists() {
        return read(&path).map(Some);
    }
    if !create {
        return Ok(None);
    }
    let key = SecretKey::generate()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating the secret key file {}", path.display()))?;
    file.write_all(key.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the secret key file {}", path.display()))?;
    tracing::info!(path = %path.display(), "created the secret key file");
    Ok(Some(key))
}

fn beside(database: &Path) -> PathBuf {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(
            || PathBuf::from(DEFAULT_FILE_NAME),
            |d| d.join(DEFAULT_FILE_NAME),
        )
}

fn read(path: &Path) -> anyhow::Result<SecretKey> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading the secret key file {}", path.display()))?;
    SecretKey::from_bytes(&bytes).with_context(|| {
        format!(
            "the secret key file {} is not a key (make one with: head -c 32 /dev/urandom > FILE)",
            path.display()
        )
    })
}
