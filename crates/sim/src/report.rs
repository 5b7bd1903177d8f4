//! A cycle's report, shaped like Entra's provisioning logs: one line per action on an object, with
//! its status, the HTTP status and the error detail the server gave.

use std::{fmt, time::Duration};

use crate::profile::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A connection probe (Test Connection).
    Probe,
    /// A filter query looking for an existing object.
    Match,
    Create,
    Update,
    Disable,
    Enable,
    Delete,
    AddMembers,
    RemoveMembers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    User,
    Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Success,
    Failure,
    /// Not attempted: held after an earlier failure, or the job is quarantined.
    Skipped,
    /// Succeeded, but the answer was not what Entra expects (it logs these as errors).
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub action: Action,
    pub kind: ObjectKind,
    /// `userName` or `displayName`.
    pub object: String,
    pub status: Status,
    pub http_status: Option<u16>,
    /// The request as sent, e.g. `PATCH /Groups/42`.
    pub request: String,
    /// The server's error detail, or why the action was skipped.
    pub detail: String,
}

/// Everything one cycle did.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleReport {
    pub cycle: u64,
    pub profile: Profile,
    pub entries: Vec<LogEntry>,
    /// Set when a 401/403 stopped the cycle.
    pub quarantined: Option<String>,
    pub elapsed: Duration,
}

impl CycleReport {
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(move |e| e.status == status)
    }

    pub fn failures(&self) -> Vec<&LogEntry> {
        self.with_status(Status::Failure).collect()
    }

    /// How many entries have this action and status.
    pub fn count(&self, action: Action, status: Status) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action == action && e.status == status)
            .count()
    }

    /// True when nothing failed, warned or was skipped.
    pub fn is_clean(&self) -> bool {
        self.quarantined.is_none() && self.entries.iter().all(|e| e.status == Status::Success)
    }

    /// One line per action and status, e.g. `Create/Success 12`.
    pub fn summary(&self) -> String {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for entry in &self.entries {
            let key = format!("{:?}/{:?}", entry.action, entry.status);
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => counts.push((key, 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!(
            "cycle {} ({}): {} entries in {:.2?}: {}",
            self.cycle,
            self.profile,
            self.entries.len(),
            self.elapsed,
            parts.join(", ")
        )
    }
}

impl fmt::Display for CycleReport {
    /// Every entry that is not a plain success, then the summary: what an administrator reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in self.entries.iter().filter(|e| e.status != Status::Success) {
            writeln!(
                f,
                "{:?} {:?} {:?} '{}' [{}] {} — {}",
                entry.status,
                entry.action,
                entry.kind,
                entry.object,
                entry
                    .http_status
                    .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                entry.request,
                entry.detail
            )?;
        }
        if let Some(reason) = &self.quarantined {
            writeln!(f, "QUARANTINED: {reason}")?;
        }
        write!(f, "{}", self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Dialect;

    fn entry(action: Action, status: Status) -> LogEntry {
        LogEntry {
            action,
            kind: ObjectKind::User,
            object: "ada@x.org".into(),
            status,
            http_status: Some(409),
            request: "POST /Users".into(),
            detail: "seat limit reached: 5 of 5 seats in use".into(),
        }
    }

    #[test]
    fn the_report_prints_failures_with_the_server_detail_and_a_summary() {
        let report = CycleReport {
            cycle: 2,
            profile: Profile::Entra(Dialect::Default),
            entries: vec![
                entry(Action::Create, Status::Success),
                entry(Action::Create, Status::Failure),
            ],
            quarantined: None,
            elapsed: Duration::from_millis(5),
        };
        let text = report.to_string();
        assert!(text.starts_with(
            "Failure Create User 'ada@x.org' [409] POST /Users — seat limit reached: 5 of 5 seats in use\n"
        ));
        assert!(text.contains("Create/Success 1, Create/Failure 1"));
        assert_eq!(report.count(Action::Create, Status::Failure), 1);
        assert!(!report.is_clean());
    }
}
