//! In-place restart (gate `InPlaceRestart` and `restartStrategy: InPlaceRestart`; semantics
//! §3.12, KEP-467): an agent in each pod holds the worker behind a barrier keyed by restart
//! attempt, and the JobSet controller moves the barrier. A failing worker restarts its container
//! in place (container restart rules); the controller then makes every lagging pod restart too,
//! and lifts the barrier once all pods are at the same attempt. No pod or Job is recreated.

use super::jobset::depends_on_met;
use super::jobset_controller::JobSetController;
use crate::control::job::IN_PLACE_BARRIER_NEVER_LIFTS;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

/// Exit code of the agent when it restarts its container for a newer attempt (the agent's
/// configured code; any non-zero code that the container restart rules restart on).
const AGENT_RESTART_EXIT_CODE: i32 = 1;

/// The agents' own state: whether each pod's agent has let its worker go for the attempt it
/// announced last (the attempt itself is the pod's annotation, API state). By `PodId`, grown
/// as agents announce. Their reactions are its own methods over a `Ctx` (`Sim::handle`).
#[derive(Debug, Default)]
pub(crate) struct InPlaceAgents {
    barrier_lifted: Vec<bool>,
}

impl InPlaceAgents {
    /// The pod's agent announced a new attempt: its worker waits behind the barrier again.
    fn announced(&mut self, pod: PodId) {
        let at = pod as usize;
        if self.barrier_lifted.len() <= at {
            self.barrier_lifted.resize(at + 1, false);
        }
        self.barrier_lifted[at] = false;
    }

    /// The agent let the worker go, or the run ended, for its current attempt.
    fn lift(&mut self, pod: PodId) {
        let lifted = self.barrier_lifted.get_mut(pod as usize);
        *lifted.expect("an agent lifts only a barrier it announced") = true;
    }

    /// The pod's agent has let the worker go for its current attempt.
    pub(crate) fn barrier_lifted(&self, pod: PodId) -> bool {
        self.barrier_lifted
            .get(pod as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The agent starts with its container: it announces its attempt (current + 1, or 0),
    /// which the JobSet controller sees through its pod watch.
    pub(crate) fn on_container_start(&mut self, ctx: &mut Ctx, pod: PodId) {
        let js = ctx.job(ctx.pod(pod).job).jobset;
        let current = ctx.jobset(js).status.current_in_place_restart_attempt;
        let attempt = current.map_or(0, |c| c + 1);
        self.announced(pod);
        ctx.change_pod(pod, PodChange::InPlaceAttempt { attempt });
        ctx.schedule_in(0, Event::AgentSync(pod));
    }

    /// The agent reacts to the JobSet status: restart for a newer attempt, or start the worker.
    pub(crate) fn on_agent_sync(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Running {
            return;
        }
        let Some(attempt) = p.in_place_attempt else {
            return;
        };
        let js = ctx.job(p.job).jobset;
        let st = &ctx.jobset(js).status;
        let (previous, current) = (
            st.previous_in_place_restart_attempt,
            st.current_in_place_restart_attempt,
        );
        let lifted = self.barrier_lifted(pod);
        let container_up = ctx.kubelet_exit_pending(pod) || !lifted;
        if previous.is_some_and(|prev| attempt <= prev) && container_up {
            ctx.kubelet_cancel_exit(pod);
            self.lift(pod); // the run is over either way
            ctx.schedule_in(
                0,
                Event::ContainerExit {
                    pod,
                    exit_code: AGENT_RESTART_EXIT_CODE,
                },
            );
        } else if current == Some(attempt) && !lifted {
            self.lift(pod);
            ctx.kubelet_start_worker(pod);
        }
    }
}

impl Sim {
    #[inline(always)] // asked for every pod started
    pub(crate) fn in_place_enabled(&self, js: JsId) -> bool {
        let spec = &self.store.jobsets[js as usize].spec;
        // The JobSet's own field first: most ask for Recreate, and the kubelet asks for each
        // pod it starts, where the gate is a look-up by name.
        spec.spec.restart_strategy() == "InPlaceRestart"
            && self.scenario.gate("InPlaceRestart")
            && !spec
                .metadata
                .annotations
                .contains_key("jobset.sigs.k8s.io/disable-in-place-restart")
    }

    pub(crate) fn in_place_enabled_for_pod(&self, pod: PodId) -> bool {
        let js = self.store.jobs[self.pods[pod as usize].job as usize].jobset;
        self.in_place_enabled(js)
    }
}

impl JobSetController {
    /// Step 15 of the reconcile (§3.12), on every non-terminal pass.
    pub(super) fn reconcile_in_place(&mut self, ctx: &mut Ctx, js: JsId) {
        let now = ctx.now();
        let obj = ctx.jobset(js);
        let max_restarts = obj.spec.spec.max_restarts();
        let pods: Vec<PodId> = (ctx.jobset_jobs(js).iter())
            .flat_map(|&j| ctx.job_pods(j).iter().copied())
            // Every child Job carries the jobset-name label (`constructJob`), so every live
            // pod of these Jobs is the JobSet's.
            .filter(|&p| !ctx.pod(p).removed)
            .collect();
        // 1. A container restarted more often than maxRestarts fails the JobSet.
        if pods
            .iter()
            .any(|&p| ctx.pod(p).restart_count as i64 > max_restarts as i64)
        {
            return fail_in_place(ctx, js);
        }
        // 2. Attempts of pods that are not Failed.
        let attempts: Vec<i32> = pods
            .iter()
            .filter(|&&p| ctx.pod(p).phase != PodPhase::Failed)
            .filter_map(|&p| ctx.pod(p).in_place_attempt)
            .collect();
        let max = attempts.iter().copied().max();
        let st = &obj.status;
        let uncounted = st.restarts - st.restarts_count_towards_max;
        if max.is_some_and(|m| (m - uncounted) as i64 > max_restarts as i64) {
            return fail_in_place(ctx, js);
        }
        // 3. Everyone at the same attempt: lift the barrier.
        let expected: i64 = obj
            .spec
            .spec
            .replicated_jobs
            .iter()
            .map(|r| {
                r.replicas.unwrap_or(1) as i64 * r.template.spec.parallelism.unwrap_or(1) as i64
            })
            .sum();
        let before = (
            st.previous_in_place_restart_attempt,
            st.current_in_place_restart_attempt,
        );
        let after = ctx.update_jobset_status(js, |st| {
            if attempts.len() as i64 == expected
                && !attempts.is_empty()
                && attempts.iter().all(|&a| a == attempts[0])
            {
                st.current_in_place_restart_attempt = Some(attempts[0]);
            } else if let Some(m) = max.filter(|&m| m > 0) {
                // 5. Make lagging pods restart, never lowering the mark.
                let prev = st
                    .previous_in_place_restart_attempt
                    .unwrap_or(i32::MIN)
                    .max(m - 1);
                st.previous_in_place_restart_attempt = Some(prev);
            }
            (
                st.previous_in_place_restart_attempt,
                st.current_in_place_restart_attempt,
            )
        });
        if let Some(m) = max.filter(|&m| after.1 != Some(m)) {
            note_barrier_never_lifts(ctx, js, &pods, m, expected);
        }
        if after != before {
            // Every agent watches the JobSet.
            let p = ctx.params();
            let at = now + p.api_call_latency_ns + p.watch_delay_ns;
            for p in pods {
                ctx.schedule_at(at, Event::AgentSync(p));
            }
        }
    }
}

/// The barrier waits for `expected` pods at attempt `max`. Two states in which upstream's rule
/// (§3.12 step 3) can never be met, whatever happens next short of a Job failure or a user's
/// change, are findings of the run: a replicated job whose Jobs are created only once another
/// completes (dependsOn Complete), while that one's workers wait behind this barrier; and a
/// pod that Succeeded at an older attempt, whose agent never runs again.
fn note_barrier_never_lifts(ctx: &mut Ctx, js: JsId, pods: &[PodId], max: i32, expected: i64) {
    let seen: &Ctx = ctx;
    let blocker = (dependent_never_created(seen, js, pods))
        .or_else(|| pod_succeeded_at_older_attempt(seen, pods, max));
    let Some((job, reason)) = blocker else { return };
    let now = ctx.now();
    let jobset = ctx.jobset(js).name.clone();
    let job_name = ctx.job(job).name.clone();
    ctx.metrics()
        .note_upstream_behaviour(now, IN_PLACE_BARRIER_NEVER_LIFTS, job, "", || {
            let message = format!(
                "in-place restart barrier of JobSet {jobset} never lifts: it waits for all \
                 {expected} pods (replicas x parallelism) at attempt {max}: {reason} \
                 (reconcileInPlaceRestart)"
            );
            (jobset, job_name, message)
        });
}

/// A replicated job with no Job yet whose `dependsOn: Complete` is not met, while the pods
/// that exist (`held`, behind the barrier) cannot complete: the Job of the first held pod, and
/// why.
fn dependent_never_created(ctx: &Ctx, js: JsId, held: &[PodId]) -> Option<(JobId, String)> {
    let obj = ctx.jobset(js);
    let held_job = ctx.pod(*held.first()?).job;
    let rjs = &obj.spec.spec.replicated_jobs;
    let (rj, dependency) = (0..rjs.len()).find_map(|rj| {
        let created = (ctx.jobset_jobs(js).iter()).any(|&j| ctx.job(j).rj == rj as u32);
        let complete_dep =
            (rjs[rj].depends_on.iter().flatten()).find(|d| d.status == "Complete")?;
        (!created && !depends_on_met(obj, rj)).then_some((&rjs[rj], &complete_dep.name))
    })?;
    let pods = rj.replica_count() as i64 * rj.template.spec.parallelism.unwrap_or(1) as i64;
    let reason = format!(
        "replicated job {} ({pods} pod(s)) is created only once {dependency} completes \
         (dependsOn), while {dependency}'s workers wait behind the barrier for those pods",
        rj.name
    );
    Some((held_job, reason))
}

/// A pod that Succeeded at an attempt older than `max`: its agent never runs again.
fn pod_succeeded_at_older_attempt(ctx: &Ctx, pods: &[PodId], max: i32) -> Option<(JobId, String)> {
    let done = pods.iter().copied().find(|&p| {
        let pod = ctx.pod(p);
        pod.phase == PodPhase::Succeeded && pod.in_place_attempt.is_some_and(|a| a < max)
    })?;
    let attempt = ctx.pod(done).in_place_attempt.unwrap_or_default();
    let reason = format!(
        "pod {} Succeeded at attempt {attempt} and its agent never announces attempt {max}",
        ctx.pod_name(done)
    );
    Some((ctx.pod(done).job, reason))
}

fn fail_in_place(ctx: &mut Ctx, js: JsId) {
    let now = ctx.now();
    ctx.update_jobset_status(js, |st| {
        super::failure_policy::fail(
            st,
            "ReachedMaxRestarts",
            "jobset failed due to reaching max number of restarts",
            now,
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agents' handlers over a world stopped as the first pod's agent announced attempt
    /// 0: it holds the worker until the JobSet's current attempt is its own, then lets it go;
    /// once a newer round marks attempt 0 as lagging, it restarts the container.
    #[test]
    fn the_agent_holds_then_releases_then_restarts_the_worker() {
        let path = std::path::Path::new("scenarios/policies/in-place-restart.yaml");
        let scenario = crate::scenario::load_scenario(path).expect("valid scenario");
        let mut sim = Sim::new(scenario).expect("cluster fits");
        let pod = loop {
            let (_, event) = sim.queue.pop().expect("an agent announces");
            assert!(!sim.dispatch(event), "the run ended first");
            if let Some(p) = (0..sim.pods.len()).find(|&p| sim.pods[p].in_place_attempt.is_some()) {
                break p as PodId;
            }
        };
        let js = sim.store.jobs[sim.pods[pod as usize].job as usize].jobset;
        let sync = |sim: &mut Sim| {
            sim.handle(
                |s| &mut s.in_place_agents,
                |a, ctx| a.on_agent_sync(ctx, pod),
            );
        };
        assert_eq!(sim.pods[pod as usize].in_place_attempt, Some(0));
        // The JobSet has not moved the barrier: the worker waits.
        sync(&mut sim);
        assert!(!sim.in_place_agents.barrier_lifted(pod));
        assert!(!sim.kubelet.exit_pending(pod));
        // Attempt 0 is current: the worker starts, once.
        sim.store.jobsets[js as usize]
            .status
            .current_in_place_restart_attempt = Some(0);
        sync(&mut sim);
        assert!(sim.in_place_agents.barrier_lifted(pod));
        assert!(sim.kubelet.exit_pending(pod));
        // A newer round: attempt 0 lags, so the agent ends the run with its restart code.
        sim.store.jobsets[js as usize]
            .status
            .previous_in_place_restart_attempt = Some(0);
        sync(&mut sim);
        assert!(!sim.kubelet.exit_pending(pod));
        let restart = (0..100)
            .map_while(|_| sim.queue.pop())
            .find_map(|(_, e)| match e {
                Event::ContainerExit { pod: p, exit_code } if p == pod => Some(exit_code),
                _ => None,
            });
        assert_eq!(restart, Some(AGENT_RESTART_EXIT_CODE));
    }
}
