//! In-place restart (gate `InPlaceRestart` and `restartStrategy: InPlaceRestart`; semantics
//! §3.12, KEP-467): an agent in each pod holds the worker behind a barrier keyed by restart
//! attempt, and the JobSet controller moves the barrier. A failing worker restarts its container
//! in place (container restart rules); the controller then makes every lagging pod restart too,
//! and lifts the barrier once all pods are at the same attempt. No pod or Job is recreated.

use crate::api::keys::JOBSET_NAME;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

/// Exit code of the agent when it restarts its container for a newer attempt (the agent's
/// configured code; any non-zero code that the container restart rules restart on).
const AGENT_RESTART_EXIT_CODE: i32 = 1;

/// The agents' own state: whether each pod's agent has let its worker go for the attempt it
/// announced last (the attempt itself is the pod's annotation, API state). By `PodId`, grown
/// as agents announce.
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
}

impl Sim {
    pub(crate) fn in_place_enabled(&self, js: JsId) -> bool {
        let spec = &self.jobsets[js as usize].spec;
        self.scenario.gate("InPlaceRestart")
            && spec.spec.restart_strategy() == "InPlaceRestart"
            && !spec
                .metadata
                .annotations
                .contains_key("jobset.sigs.k8s.io/disable-in-place-restart")
    }

    pub(crate) fn in_place_enabled_for_pod(&self, pod: PodId) -> bool {
        let js = self.jobs[self.pods[pod as usize].job as usize].jobset;
        self.in_place_enabled(js)
    }

    /// The agent starts with its container: it announces its attempt (current + 1, or 0),
    /// which the JobSet controller sees through its pod watch.
    pub(crate) fn agent_on_container_start(&mut self, pod: PodId) {
        let js = self.jobs[self.pods[pod as usize].job as usize].jobset;
        let current = self.jobsets[js as usize]
            .status
            .current_in_place_restart_attempt;
        let attempt = current.map_or(0, |c| c + 1);
        self.in_place_agents.announced(pod);
        self.change_pod(pod, PodChange::InPlaceAttempt { attempt });
        self.queue.schedule_in(0, Event::AgentSync(pod));
    }

    /// The agent reacts to the JobSet status: restart for a newer attempt, or start the worker.
    pub(crate) fn on_agent_sync(&mut self, pod: PodId) {
        let p = &self.pods[pod as usize];
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Running {
            return;
        }
        let Some(attempt) = p.in_place_attempt else {
            return;
        };
        let js = self.jobs[p.job as usize].jobset;
        let st = &self.jobsets[js as usize].status;
        let lifted = self.in_place_agents.barrier_lifted(pod);
        let container_up = self.kubelet.exit_pending(pod) || !lifted;
        if st
            .previous_in_place_restart_attempt
            .is_some_and(|prev| attempt <= prev)
            && container_up
        {
            self.kubelet_cancel_exit(pod);
            self.in_place_agents.lift(pod); // the run is over either way
            self.queue.schedule_in(
                0,
                Event::ContainerExit {
                    pod,
                    exit_code: AGENT_RESTART_EXIT_CODE,
                },
            );
        } else if st.current_in_place_restart_attempt == Some(attempt) && !lifted {
            self.in_place_agents.lift(pod);
            self.start_worker(pod);
        }
    }

    /// Step 15 of the reconcile (§3.12), on every non-terminal pass.
    pub(crate) fn reconcile_in_place(&mut self, js: JsId) {
        let now = self.now();
        let obj = &self.jobsets[js as usize];
        let max_restarts = obj.spec.spec.max_restarts();
        let pods: Vec<PodId> = obj
            .jobs
            .iter()
            .flat_map(|&j| self.job_pods[j as usize].iter().copied())
            .filter(|&p| {
                !self.pods[p as usize].removed
                    && self.jobs[self.pods[p as usize].job as usize]
                        .labels
                        .contains_key(JOBSET_NAME)
            })
            .collect();
        // 1. A container restarted more often than maxRestarts fails the JobSet.
        if pods
            .iter()
            .any(|&p| self.pods[p as usize].restart_count as i64 > max_restarts as i64)
        {
            return self.fail_in_place(js);
        }
        // 2. Attempts of pods that are not Failed.
        let attempts: Vec<i32> = pods
            .iter()
            .filter(|&&p| self.pods[p as usize].phase != PodPhase::Failed)
            .filter_map(|&p| self.pods[p as usize].in_place_attempt)
            .collect();
        let max = attempts.iter().copied().max();
        let st = &obj.status;
        let uncounted = st.restarts - st.restarts_count_towards_max;
        if max.is_some_and(|m| (m - uncounted) as i64 > max_restarts as i64) {
            return self.fail_in_place(js);
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
        let st = &mut self.jobsets[js as usize].status;
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
        let after = (
            st.previous_in_place_restart_attempt,
            st.current_in_place_restart_attempt,
        );
        if after != before {
            // Every agent watches the JobSet.
            for p in pods {
                self.queue.schedule_at(
                    now + self.params.api_call_latency_ns + self.params.watch_delay_ns,
                    Event::AgentSync(p),
                );
            }
        }
    }

    fn fail_in_place(&mut self, js: JsId) {
        let now = self.now();
        let st = &mut self.jobsets[js as usize].status;
        super::failure_policy::fail(
            st,
            "ReachedMaxRestarts",
            "jobset failed due to reaching max number of restarts",
            now,
        );
    }
}
