//! Groups: match (without members) then create or adopt, renames, deletion, member batches.

use std::sync::Arc;

use super::{Ctx, Task, TaskOutcome, bad_answer, resources, step};
use crate::{
    plan::{GroupTask, MemberTask},
    profile::Profile,
    report::{Action, LogEntry, ObjectKind, Status},
    requests,
    state::{Effect, ObjectKey},
};

impl Task for GroupTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::Group(self.group().clone()));
        let profile = ctx.profile;
        match self {
            GroupTask::Provision {
                group,
                display_name,
                external_id,
            } => {
                let name = display_name.clone();
                let found = match step(
                    ctx,
                    &mut outcome,
                    &requests::find_group(profile, &name),
                    Action::Match,
                    ObjectKind::Group,
                    &name,
                )
                .await
                {
                    Ok(body) => resources(&body),
                    Err(f) => return outcome.fail(f.detail, f.quarantine),
                };
                if matches!(profile, Profile::Entra(_))
                    && found.iter().any(|g| g.get("members").is_some())
                {
                    // Entra logs members returned despite `excludedAttributes=members` as an error.
                    outcome.entries.push(LogEntry {
                        action: Action::Match,
                        kind: ObjectKind::Group,
                        object: name.clone(),
                        status: Status::Warning,
                        http_status: Some(200),
                        request: requests::find_group(profile, &name).describe(),
                        detail: "members returned although excludedAttributes=members".into(),
                    });
                }
                match found.as_slice() {
                    [] => {
                        let request = requests::create_group(profile, &name, &external_id);
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Create,
                            ObjectKind::Group,
                            &name,
                        )
                        .await
                        {
                            Ok(body) => match body["id"].as_str() {
                                Some(id) => {
                                    let scim_id = id.to_owned();
                                    outcome.done(Effect::GroupSynced {
                                        group,
                                        scim_id,
                                        display_name,
                                    })
                                }
                                None => {
                                    let detail = "the created group has no id".to_owned();
                                    bad_answer(
                                        &mut outcome,
                                        Action::Create,
                                        ObjectKind::Group,
                                        &name,
                                        detail.clone(),
                                    );
                                    outcome.fail(detail, false)
                                }
                            },
                            Err(f) => outcome.fail(f.detail, f.quarantine),
                        }
                    }
                    [existing] => {
                        let Some(scim_id) = existing["id"].as_str().map(str::to_owned) else {
                            let detail = "the matched group has no id".to_owned();
                            bad_answer(
                                &mut outcome,
                                Action::Match,
                                ObjectKind::Group,
                                &name,
                                detail.clone(),
                            );
                            return outcome.fail(detail, false);
                        };
                        // Matching is case-insensitive; the directory's spelling then wins.
                        if existing["displayName"].as_str() != Some(name.as_str()) {
                            let request = requests::rename_group(profile, &scim_id, &name);
                            if let Err(f) = step(
                                ctx,
                                &mut outcome,
                                &request,
                                Action::Update,
                                ObjectKind::Group,
                                &name,
                            )
                            .await
                            {
                                return outcome.fail(f.detail, f.quarantine);
                            }
                        }
                        outcome.done(Effect::GroupSynced {
                            group,
                            scim_id,
                            display_name,
                        })
                    }
                    many => {
                        let detail =
                            format!("{} groups match displayName eq \"{name}\"", many.len());
                        bad_answer(
                            &mut outcome,
                            Action::Match,
                            ObjectKind::Group,
                            &name,
                            detail.clone(),
                        );
                        outcome.fail(detail, false)
                    }
                }
            }
            GroupTask::Rename {
                group,
                scim_id,
                display_name,
            } => {
                let request = requests::rename_group(profile, &scim_id, &display_name);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Update,
                    ObjectKind::Group,
                    &display_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::GroupRenamed {
                        group,
                        display_name,
                    }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            GroupTask::Delete {
                group,
                scim_id,
                display_name,
            } => {
                let request = requests::delete_group(profile, &scim_id);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Delete,
                    ObjectKind::Group,
                    &display_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::GroupDeleted { group }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
        }
    }
}

impl Task for MemberTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::Members(self.group.clone()));
        let refs: Vec<_> = self.members.iter().map(|(_, m)| m.clone()).collect();
        let users: Vec<_> = self.members.into_iter().map(|(u, _)| u).collect();
        let (request, action) = if self.add {
            (
                requests::add_members(ctx.profile, &self.scim_id, &refs),
                Action::AddMembers,
            )
        } else {
            (
                requests::remove_members(ctx.profile, &self.scim_id, &refs),
                Action::RemoveMembers,
            )
        };
        let group = self.group;
        match step(
            ctx,
            &mut outcome,
            &request,
            action,
            ObjectKind::Group,
            &self.display_name,
        )
        .await
        {
            Ok(_) if self.add => outcome.done(Effect::MembersAdded { group, users }),
            Ok(_) => outcome.done(Effect::MembersRemoved { group, users }),
            Err(f) => outcome.fail(f.detail, f.quarantine),
        }
    }
}
