//! The provisioning job: runs cycles (users, then groups, then memberships), applies what the
//! server confirmed, holds what failed for a later cycle, and stops on 401/403 (quarantine).

use std::{sync::Arc, time::Instant};

use crate::{
    client::{ClientConfig, ClientError, ScimClient},
    directory::Directory,
    execute::{Ctx, TaskOutcome, run_phase},
    plan::{plan_groups, plan_members, plan_users},
    profile::Profile,
    report::{Action, CycleReport, LogEntry, ObjectKind, Status},
    requests,
    state::{Backoff, JobState},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    pub profile: Profile,
    /// Requests in flight at once.
    pub workers: usize,
    /// Members per membership PATCH.
    pub member_batch: usize,
    pub backoff: Backoff,
}

impl EngineConfig {
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            workers: 4,
            member_batch: 10,
            backoff: Backoff::default(),
        }
    }
}

#[derive(Debug)]
pub struct Engine {
    ctx: Arc<Ctx>,
    config: EngineConfig,
    state: JobState,
}

impl Engine {
    pub fn new(client: ClientConfig, config: EngineConfig) -> Result<Self, ClientError> {
        let client = ScimClient::new(client)?;
        Ok(Self {
            ctx: Arc::new(Ctx {
                client,
                profile: config.profile,
            }),
            config,
            state: JobState::default(),
        })
    }

    pub fn profile(&self) -> Profile {
        self.config.profile
    }

    pub fn client(&self) -> &ScimClient {
        &self.ctx.client
    }

    pub fn state(&self) -> &JobState {
        &self.state
    }

    /// Points the job at another address of the same tenant (another instance on the same
    /// database, or one restarted on a new port), keeping everything the job remembers.
    pub fn retarget(&mut self, client: ClientConfig) -> Result<(), ClientError> {
        self.ctx = Arc::new(Ctx {
            client: ScimClient::new(client)?,
            profile: self.config.profile,
        });
        Ok(())
    }

    /// "Restart provisioning": forget every anchor and hold; the next cycle is an initial one.
    pub fn restart(&mut self) {
        self.state = JobState {
            cycle: self.state.cycle,
            ..JobState::default()
        };
    }

    /// After someone fixed the credentials.
    pub fn clear_quarantine(&mut self) {
        self.state.quarantine = None;
    }

    /// Entra's "Test Connection": both probes must answer 200 with an empty list.
    pub async fn test_connection(&self) -> Result<(), String> {
        for request in requests::test_connection(self.config.profile) {
            let response = self
                .ctx
                .client
                .send(self.config.profile, &request)
                .await
                .map_err(|e| format!("{}: {e}", request.describe()))?;
            let total = response.body["totalResults"].as_u64();
            if response.status != 200 || total != Some(0) {
                return Err(format!(
                    "{} → {}: {}",
                    request.describe(),
                    response.status,
                    response.body
                ));
            }
        }
        Ok(())
    }

    /// One provisioning cycle against the directory as it is now.
    pub async fn run_cycle(&mut self, directory: &Directory) -> CycleReport {
        let started = Instant::now();
        self.state.cycle += 1;
        let cycle = self.state.cycle;
        let mut report = CycleReport {
            cycle,
            profile: self.config.profile,
            entries: Vec::new(),
            quarantined: None,
            elapsed: started.elapsed(),
        };
        if let Some(reason) = &self.state.quarantine {
            report.quarantined = Some(reason.clone());
            return report;
        }
        let workers = self.config.workers;

        let plan = plan_users(directory, &self.state, self.config.profile, cycle);
        report.entries.extend(plan.skipped);
        let outcomes = run_phase(&self.ctx, plan.tasks, workers).await;
        if !self.absorb(outcomes, &mut report) {
            let plan = plan_groups(directory, &self.state, cycle);
            report.entries.extend(plan.skipped);
            let outcomes = run_phase(&self.ctx, plan.tasks, workers).await;
            if !self.absorb(outcomes, &mut report) {
                let plan = plan_members(directory, &self.state, cycle, self.config.member_batch);
                report.entries.extend(plan.skipped);
                let outcomes = run_phase(&self.ctx, plan.tasks, workers).await;
                self.absorb(outcomes, &mut report);
            }
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Runs cycles until one has nothing to do (every change sent, nothing held), at most
    /// `max_cycles`. Returns every cycle's report.
    pub async fn run_until_settled(
        &mut self,
        directory: &Directory,
        max_cycles: usize,
    ) -> Vec<CycleReport> {
        let mut reports = Vec::new();
        for _ in 0..max_cycles {
            let report = self.run_cycle(directory).await;
            let settled = report.entries.is_empty() || report.quarantined.is_some();
            reports.push(report);
            if settled {
                break;
            }
        }
        reports
    }

    /// Applies a phase's outcomes; returns true when the job was quarantined.
    fn absorb(&mut self, outcomes: Vec<TaskOutcome>, report: &mut CycleReport) -> bool {
        for outcome in outcomes {
            report.entries.extend(outcome.entries);
            for effect in outcome.effects {
                self.state.apply(effect);
            }
            match outcome.failure {
                None => self.state.record_success(&outcome.key),
                Some(failure) if failure.quarantine => {
                    self.state.quarantine = Some(failure.detail.clone());
                    report.quarantined = Some(failure.detail);
                }
                Some(failure) => {
                    self.state
                        .record_failure(outcome.key, failure.detail, self.config.backoff);
                }
            }
        }
        if let Some(reason) = &report.quarantined {
            report.entries.push(LogEntry {
                action: Action::Probe,
                kind: ObjectKind::User,
                object: String::new(),
                status: Status::Skipped,
                http_status: None,
                request: String::new(),
                detail: format!("job quarantined, the cycle stops: {reason}"),
            });
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        directory::UserSpec,
        fake_server::{self, Canned},
        profile::Dialect,
        report::Status,
    };

    #[tokio::test]
    async fn a_401_quarantines_the_job_until_cleared() {
        let server = fake_server::start(vec![Canned::new(
            401,
            r#"{"detail":"invalid token","status":"401"}"#,
        )])
        .await;
        let mut engine = Engine::new(
            ClientConfig::new(&server.url, "wrong"),
            EngineConfig::new(Profile::Entra(Dialect::Default)),
        )
        .unwrap();
        let mut dir = Directory::new();
        for login in ["a.one", "b.two"] {
            let u = dir.add_user(UserSpec::simple(login, "x.org"));
            dir.assign_user(&u);
        }

        let first = engine.run_cycle(&dir).await;
        assert!(
            first
                .quarantined
                .as_deref()
                .is_some_and(|q| q.contains("401"))
        );
        assert_eq!(first.count(Action::Match, Status::Failure), 2);

        let second = engine.run_cycle(&dir).await;
        assert!(second.entries.is_empty(), "a quarantined job sends nothing");
        assert!(second.quarantined.is_some());

        engine.clear_quarantine();
        let third = engine.run_cycle(&dir).await;
        assert_eq!(third.count(Action::Match, Status::Failure), 2);
    }

    #[tokio::test]
    async fn a_failed_create_is_held_with_the_servers_detail() {
        let server = fake_server::start(vec![
            Canned::new(200, r#"{"totalResults":0,"Resources":[]}"#),
            Canned::new(
                409,
                r#"{"detail":"seat limit reached: 1 of 1 seats in use","scimType":"uniqueness","status":"409"}"#,
            ),
        ])
        .await;
        let mut engine = Engine::new(
            ClientConfig::new(&server.url, "t"),
            EngineConfig::new(Profile::Entra(Dialect::Flag)),
        )
        .unwrap();
        let mut dir = Directory::new();
        let u = dir.add_user(UserSpec::simple("a.one", "x.org"));
        dir.assign_user(&u);

        let first = engine.run_cycle(&dir).await;
        let failures = first.failures();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].http_status, Some(409));
        assert_eq!(
            failures[0].detail,
            "seat limit reached: 1 of 1 seats in use"
        );
        let held = &engine.state().held[&crate::state::ObjectKey::User(u)];
        assert_eq!((held.failures, held.retry_cycle), (1, 2));
    }
}
