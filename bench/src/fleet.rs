//! A `roster serve` holding many organizations, each with SCIM enabled and no data: what the
//! scale and soak runs provision through the simulator. Organizations are made through the CLI
//! before the server starts, as an operator would.

use std::{
    path::{Path, PathBuf},
    process::Child,
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;
use roster_store_postgres::testing::TestDatabase;
use tempfile::TempDir;

use crate::server::{StoreKind, cli, serve};

/// One organization's SCIM tenant.
#[derive(Debug, Clone)]
pub struct OrgTenant {
    pub id: String,
    /// `http://ADDR/scim/v2/ORG`.
    pub tenant_url: String,
    pub token: String,
}

/// A server and its organizations; the server is killed, then its database removed, on drop.
#[derive(Debug)]
pub struct Fleet {
    pub kind: StoreKind,
    pub orgs: Vec<OrgTenant>,
    pub addr: String,
    bin: PathBuf,
    url: String,
    log: String,
    rate_limit: u32,
    server: Option<Child>,
    _sqlite: Option<TempDir>,
    _postgres: Option<TestDatabase>,
}

impl Fleet {
    /// A fresh database with `orgs` organizations of `seats` seats each, and a server on it.
    pub async fn start(
        kind: StoreKind,
        bin: &Path,
        postgres_url: Option<&str>,
        orgs: usize,
        seats: usize,
        log: &str,
        rate_limit: u32,
    ) -> anyhow::Result<Self> {
        let (sqlite, postgres, url) = match kind {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = dir.path().join("roster.db").display().to_string();
                (Some(dir), None, url)
            }
            StoreKind::Postgres => {
                let admin = postgres_url.context("no PostgreSQL URL")?;
                let db = TestDatabase::create(admin).await?;
                let url = db.url.clone();
                (None, Some(db), url)
            }
        };
        let mut made = Vec::with_capacity(orgs);
        for i in 0..orgs {
            let org = cli(
                bin,
                &url,
                &[
                    "org",
                    "create",
                    "--name",
                    &format!("Scale Org {i:04}"),
                    "--kind",
                    "business",
                    "--seats",
                    &seats.to_string(),
                ],
            )?;
            let id = org["id"].as_str().context("org create printed no id")?;
            let enabled = cli(bin, &url, &["scim", "enable", id])?;
            let token = enabled["token"]
                .as_str()
                .context("scim enable printed no token")?;
            made.push((id.to_owned(), token.to_owned()));
        }
        let mut fleet = Self {
            kind,
            orgs: Vec::new(),
            addr: String::new(),
            bin: bin.to_owned(),
            url,
            log: log.to_owned(),
            rate_limit,
            server: None,
            _sqlite: sqlite,
            _postgres: postgres,
        };
        fleet.start_server()?;
        fleet.orgs = made
            .into_iter()
            .map(|(id, token)| OrgTenant {
                tenant_url: format!("http://{}/scim/v2/{id}", fleet.addr),
                id,
                token,
            })
            .collect();
        Ok(fleet)
    }

    fn start_server(&mut self) -> anyhow::Result<()> {
        let (child, addr) = serve(&self.bin, &self.url, &self.log, self.rate_limit)?;
        self.server = Some(child);
        self.addr = addr;
        Ok(())
    }

    /// Kills the server and starts it again on the same database; returns how long it took
    /// until `/readyz` answered 200. Tenant URLs follow the new address.
    pub async fn restart(&mut self, http: &Client) -> anyhow::Result<Duration> {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        let began = Instant::now();
        self.start_server()?;
        loop {
            let ready = http
                .get(format!("http://{}/readyz", self.addr))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            anyhow::ensure!(
                began.elapsed() < Duration::from_secs(120),
                "not ready after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let took = began.elapsed();
        for org in &mut self.orgs {
            org.tenant_url = format!("http://{}/scim/v2/{}", self.addr, org.id);
        }
        Ok(took)
    }

    /// The server's resident memory in MiB (Linux), or `None` when it cannot be read.
    pub fn rss_mib(&self) -> Option<f64> {
        let pid = self.server.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        // Before the fields drop: the server is gone before its database is.
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}
