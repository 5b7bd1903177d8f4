//! Users: match then create or update, updates, (de)activation, deletion.

use std::sync::Arc;

use super::{Ctx, Task, TaskOutcome, bad_answer, resources, step};
use crate::{
    attrs::RemoteUser,
    plan::UserTask,
    report::{Action, ObjectKind},
    requests,
    state::{Effect, ObjectKey},
};

impl Task for UserTask {
    async fn run(self, ctx: Arc<Ctx>) -> TaskOutcome {
        let ctx = &*ctx;
        let mut outcome = TaskOutcome::new(ObjectKey::User(self.user().clone()));
        let profile = ctx.profile;
        match self {
            UserTask::Provision { user, attrs } => {
                let name = attrs.user_name.clone();
                let found = match step(
                    ctx,
                    &mut outcome,
                    &requests::find_user(profile, &name),
                    Action::Match,
                    ObjectKind::User,
                    &name,
                )
                .await
                {
                    Ok(body) => resources(&body),
                    Err(f) => return outcome.fail(f.detail, f.quarantine),
                };
                match found.as_slice() {
                    [] => {
                        let request = requests::create_user(profile, &attrs);
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Create,
                            ObjectKind::User,
                            &name,
                        )
                        .await
                        {
                            Ok(body) => match body["id"].as_str() {
                                Some(id) => {
                                    let scim_id = id.to_owned();
                                    outcome.done(Effect::UserSynced {
                                        user,
                                        scim_id,
                                        attrs,
                                        active: true,
                                    })
                                }
                                None => {
                                    let detail = "the created user has no id".to_owned();
                                    bad_answer(
                                        &mut outcome,
                                        Action::Create,
                                        ObjectKind::User,
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
                        let remote = RemoteUser::from_resource(existing);
                        let Some(scim_id) = remote.id.clone() else {
                            let detail = "the matched user has no id".to_owned();
                            bad_answer(
                                &mut outcome,
                                Action::Match,
                                ObjectKind::User,
                                &name,
                                detail.clone(),
                            );
                            return outcome.fail(detail, false);
                        };
                        let changed = remote.differs_from(&attrs);
                        let reactivate = remote.active != Some(true);
                        if changed.is_empty() && !reactivate {
                            return outcome.done(Effect::UserSynced {
                                user,
                                scim_id,
                                attrs,
                                active: true,
                            });
                        }
                        let request = requests::update_user(
                            profile,
                            &scim_id,
                            &attrs,
                            &changed,
                            reactivate.then_some(true),
                        );
                        match step(
                            ctx,
                            &mut outcome,
                            &request,
                            Action::Update,
                            ObjectKind::User,
                            &name,
                        )
                        .await
                        {
                            Ok(_) => outcome.done(Effect::UserSynced {
                                user,
                                scim_id,
                                attrs,
                                active: true,
                            }),
                            Err(f) => outcome.fail(f.detail, f.quarantine),
                        }
                    }
                    many => {
                        let detail = format!("{} users match userName eq \"{name}\"", many.len());
                        bad_answer(
                            &mut outcome,
                            Action::Match,
                            ObjectKind::User,
                            &name,
                            detail.clone(),
                        );
                        outcome.fail(detail, false)
                    }
                }
            }
            UserTask::Update {
                user,
                scim_id,
                attrs,
                changed,
                reactivate,
            } => {
                let name = attrs.user_name.clone();
                let request = requests::update_user(
                    profile,
                    &scim_id,
                    &attrs,
                    &changed,
                    reactivate.then_some(true),
                );
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Update,
                    ObjectKind::User,
                    &name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserSynced {
                        user,
                        scim_id,
                        attrs,
                        active: true,
                    }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            UserTask::SetActive {
                user,
                scim_id,
                user_name,
                active,
            } => {
                let action = if active {
                    Action::Enable
                } else {
                    Action::Disable
                };
                let request = requests::set_active(profile, &scim_id, active);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    action,
                    ObjectKind::User,
                    &user_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserActive { user, active }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
            UserTask::Delete {
                user,
                scim_id,
                user_name,
            } => {
                let request = requests::delete_user(profile, &scim_id);
                match step(
                    ctx,
                    &mut outcome,
                    &request,
                    Action::Delete,
                    ObjectKind::User,
                    &user_name,
                )
                .await
                {
                    Ok(_) => outcome.done(Effect::UserDeleted { user }),
                    Err(f) => outcome.fail(f.detail, f.quarantine),
                }
            }
        }
    }
}
