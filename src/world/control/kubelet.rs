//! The kubelet side of a pod: start after binding, readiness, how each container run ends
//! (scenario `pods.exits`), in-place restarts under `restartPolicy: OnFailure`, and the pod's
//! phase when it does not restart.

use crate::engine::time::NS_PER_S;
use crate::engine::{EventId, SimTime};
use crate::scenario::faults::OOM_EXIT_CODE;
use crate::scenario::ContainerRun;
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::pod_change::PodChange;
use crate::sim::{Event, Sim};

/// Kubelet CrashLoopBackOff (client-go `flowcontrol.Backoff` as the kubelet builds it:
/// `NewBackOff(10s, 300s)`, no jitter): 10 s doubling, at most 5 min.
const CRASH_LOOP_INITIAL_NS: u64 = 10 * NS_PER_S;
const CRASH_LOOP_MAX_NS: u64 = 300 * NS_PER_S;
/// A back-off entry not updated for longer than twice the maximum is forgotten
/// (`hasExpired`): the next crash restarts at once again.
const CRASH_LOOP_RESET_NS: u64 = 2 * CRASH_LOOP_MAX_NS;

/// `Kubelet::run_slot` of a pod without a runtime.
const NO_RUN: u32 = u32::MAX;
/// Pods the kubelet's slot table grows by at once.
const RUN_SLOT_BLOCK: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Kubelet {
    /// Each pod's container runtime, in a slot of `runs` (`NO_RUN`: none yet, or forgotten):
    /// by `PodId`, grown as pods start; 4 bytes a pod. A long run creates a million pods of
    /// which a few thousand exist at once, so a removed pod's slot is reused (`forget`).
    run_slot: Vec<u32>,
    runs: Vec<ContainerRuntime>,
    free_runs: Vec<u32>,
    /// Container runs so far per Job and completion index, over all the index's pods: the
    /// scenario's exit rules match a run by it (`ContainerRun::retry`). By `JobId`, grown as
    /// Jobs' containers start.
    index_runs: Vec<Vec<u32>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ContainerRuntime {
    pending_exit: Option<EventId>,
    /// The non-zero exit the scheduled end will report (container name id, code): written to
    /// the container status when the run ends, not before, so a run cut short (node death,
    /// eviction, deletion) never shows an exit it did not make.
    pending_status: Option<(u16, i32)>,
    /// The pod's CrashLoopBackOff entry: the back-off the next crash waits (0: no entry), and
    /// when it was last updated (the last restart).
    backoff_ns: u64,
    backoff_updated_ns: SimTime,
}

impl Kubelet {
    fn run(&mut self, pod: PodId) -> &mut ContainerRuntime {
        if self.run_slot.len() <= pod as usize {
            // A block of pods at a time: ids rise one by one, and an entry past the end
            // and a `NO_RUN` one read alike.
            let len = (pod as usize + 1).next_multiple_of(RUN_SLOT_BLOCK);
            self.run_slot.resize(len, NO_RUN);
        }
        let mut slot = self.run_slot[pod as usize];
        if slot == NO_RUN {
            slot = match self.free_runs.pop() {
                Some(free) => free,
                None => {
                    self.runs.push(ContainerRuntime::default());
                    (self.runs.len() - 1) as u32
                }
            };
            self.runs[slot as usize] = ContainerRuntime::default();
            self.run_slot[pod as usize] = slot;
        }
        &mut self.runs[slot as usize]
    }

    fn run_of(&self, pod: PodId) -> Option<&ContainerRuntime> {
        let slot = *self.run_slot.get(pod as usize)?;
        (slot != NO_RUN).then(|| &self.runs[slot as usize])
    }

    /// The pod was removed from the API: nothing reads its runtime again (no container, no
    /// crash to back off from), so its slot goes to a later pod. A runtime whose exit is still
    /// scheduled is kept, as it was: its `take_exit` finds it.
    pub(crate) fn forget(&mut self, pod: PodId) {
        let Some(&slot) = self.run_slot.get(pod as usize) else {
            return;
        };
        if slot == NO_RUN || self.runs[slot as usize].pending_exit.is_some() {
            return;
        }
        self.run_slot[pod as usize] = NO_RUN;
        self.free_runs.push(slot);
    }

    /// The run's end is scheduled as `exit`; `status` is the non-zero exit it will report.
    pub(crate) fn exit_scheduled(&mut self, pod: PodId, exit: EventId, status: Option<(u16, i32)>) {
        let run = self.run(pod);
        run.pending_exit = Some(exit);
        run.pending_status = status;
    }

    /// The scheduled end of the current run, forgotten (it fired, or is to be cancelled),
    /// with the exit it was to report.
    pub(crate) fn take_exit(&mut self, pod: PodId) -> (Option<EventId>, Option<(u16, i32)>) {
        match self.run_slot.get(pod as usize) {
            Some(&slot) if slot != NO_RUN => {
                let run = &mut self.runs[slot as usize];
                (run.pending_exit.take(), run.pending_status.take())
            }
            _ => (None, None),
        }
    }

    /// A run of the main container is under way, its end scheduled.
    pub(crate) fn exit_pending(&self, pod: PodId) -> bool {
        self.run_of(pod).is_some_and(|r| r.pending_exit.is_some())
    }

    /// Runs of the main container at (`j`, `index`) started before now; counts this one.
    fn count_index_run(&mut self, j: JobId, index: u32) -> u32 {
        let (j, index) = (j as usize, index as usize);
        // Once a Job's index ran, its entry exists: the common case is one lookup.
        if let Some(runs) = self.index_runs.get_mut(j).and_then(|r| r.get_mut(index)) {
            *runs += 1;
            return *runs - 1;
        }
        if self.index_runs.len() <= j {
            self.index_runs.resize(j + 1, vec![]);
        }
        let runs = &mut self.index_runs[j];
        if runs.len() <= index {
            runs.resize(index + 1, 0);
        }
        runs[index] += 1;
        runs[index] - 1
    }

    /// How long after a crash now the container restarts (kuberuntime `doBackOff` with the
    /// client-go back-off): with no entry, or one expired, at once, and the entry starts at 10 s
    /// (`Next` at the restart); otherwise after the entry's back-off from the crash, and the
    /// entry doubles, at most 5 min. The pod worker's re-sync after a back-off error (10–15 s)
    /// is not modelled: the restart happens when the back-off ends.
    pub(crate) fn crash_restart_delay_ns(&mut self, pod: PodId, crashed_ns: SimTime) -> u64 {
        let run = self.run(pod);
        let expired = crashed_ns.saturating_sub(run.backoff_updated_ns) > CRASH_LOOP_RESET_NS;
        let delay = if run.backoff_ns == 0 || expired {
            run.backoff_ns = CRASH_LOOP_INITIAL_NS;
            0
        } else {
            let delay = run.backoff_ns;
            run.backoff_ns = (delay * 2).min(CRASH_LOOP_MAX_NS);
            delay
        };
        run.backoff_updated_ns = crashed_ns + delay;
        debug_assert!(run.backoff_ns <= CRASH_LOOP_MAX_NS);
        delay
    }
}

impl Kubelet {
    /// The kubelet sees the binding through its watch and starts the containers.
    pub(crate) fn on_pod_bound(&mut self, ctx: &mut Ctx, pod: PodId) {
        let d = ctx.params().watch_delay_ns + ctx.params().kubelet.pod_start_latency_ns;
        ctx.schedule_in(d, Event::PodRunning(pod));
    }

    pub(crate) fn on_pod_running(&mut self, ctx: &mut Ctx, pod: PodId) {
        if !alive(ctx, pod) || ctx.pod(pod).phase != PodPhase::Pending {
            return;
        }
        ctx.change_pod(pod, PodChange::Running);
        self.start_container(ctx, pod, None);
    }

    /// One run of the main container (`restart`: the restart count when restarted in place):
    /// readiness, then its scripted or default end. Under in-place restart the agent holds the
    /// worker behind its barrier first.
    fn start_container(&mut self, ctx: &mut Ctx, pod: PodId, restart: Option<u32>) {
        match ctx.shape(ctx.pod(pod).shape).ready_delay_ns {
            None => ctx.change_pod(pod, PodChange::ReadyAtStart),
            Some(d) => {
                ctx.schedule_in(d, Event::PodReady(pod));
            }
        }
        ctx.change_pod(pod, PodChange::ContainerStarted { restart });
        if ctx.in_place_enabled_for_pod(pod) {
            ctx.in_place_agent_starts(pod);
            return;
        }
        self.start_worker(ctx, pod);
    }

    /// The workload itself starts: schedule how this run ends.
    pub(crate) fn start_worker(&mut self, ctx: &mut Ctx, pod: PodId) {
        let (mut after_ns, exit_code, container) = self.container_end(ctx, pod);
        let js = ctx.job(ctx.pod(pod).job).jobset;
        if exit_code == 0 && ctx.training_done(js) {
            // Without this it would wait forever for a TrainingDone that has passed.
            after_ns = 0;
        }
        let exit = ctx.schedule_in(after_ns, Event::ContainerExit { pod, exit_code });
        let status = (exit_code != 0).then_some((container, exit_code));
        self.exit_scheduled(pod, exit, status);
        ctx.change_pod(pod, PodChange::WorkerStarted);
    }

    /// Matches the scenario's exit rules against this run; counts the run. The container id
    /// is meaningful only for a non-zero exit code.
    fn container_end(&mut self, ctx: &mut Ctx, pod: PodId) -> (u64, i32, u16) {
        let p = ctx.pod(pod);
        let (j, index) = (p.job, p.index);
        let job = ctx.job(j);
        let retry = self.count_index_run(j, index);
        let js = ctx.jobset(job.jobset);
        let run = ContainerRun {
            replicated_job: &js.spec.spec.replicated_jobs[job.rj as usize].name,
            job_index: job.job_index,
            pod_index: index,
            attempt: job.restart_attempt,
            job_attempt: job.job_restart_attempt.unwrap_or(0),
            retry,
        };
        let workload = ctx.workload(ctx.jobset_workload(job.jobset));
        let (after, code, container) = workload.container_end(&run);
        let container = container.map(str::to_string);
        // The container's name matters only for a failure (podFailurePolicy's onExitCodes).
        let container = match (code, container) {
            (0, _) => 0,
            (_, Some(name)) => ctx.intern_container(&name),
            (_, None) => ctx.main_container(j),
        };
        (after, code, container)
    }

    pub(crate) fn on_pod_ready(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if !alive(ctx, pod) || p.phase != PodPhase::Running || p.ready {
            return;
        }
        ctx.change_pod(pod, PodChange::Ready);
    }

    pub(crate) fn on_container_exit(&mut self, ctx: &mut Ctx, pod: PodId, exit_code: i32) {
        let (_, status) = self.take_exit(pod);
        // An exit scheduled before the pod's removal may outlive its slot.
        if ctx.pod_released(pod) || !alive(ctx, pod) || ctx.pod(pod).phase != PodPhase::Running {
            return;
        }
        if status.is_some() {
            // The container status's terminated state, with the exit it ended with.
            ctx.change_pod(pod, PodChange::RunEnds { exit: status });
        }
        let failed = exit_code != 0;
        ctx.change_pod(pod, PodChange::ContainerStopped { failed });
        if exit_code == 0 {
            let phase = PodPhase::Succeeded;
            finish(ctx, pod, phase, "Completed", false);
        } else if restarts_in_place(ctx, pod, exit_code) {
            // Restarted in place after CrashLoopBackOff (OnFailure, or a container restart
            // rule); the pod stays Running, not Ready. The back-off resets after 10 minutes
            // of running without a crash.
            let backoff = self.crash_restart_delay_ns(pod, ctx.now());
            // restartCount counts the restart when it happens (on_container_restart).
            let reason = format!(
                "Error: exit code {exit_code}; restart {} after back-off {}s",
                ctx.pod(pod).restart_count + 1,
                backoff / NS_PER_S
            );
            ctx.change_pod(pod, PodChange::Restarting { reason: &reason });
            ctx.schedule_in(backoff, Event::ContainerRestart(pod));
        } else {
            let reason = format!("Error: exit code {exit_code}");
            finish(ctx, pod, PodPhase::Failed, &reason, false);
        }
    }

    pub(crate) fn on_container_restart(&mut self, ctx: &mut Ctx, pod: PodId) {
        if !alive(ctx, pod) || ctx.pod(pod).phase != PodPhase::Running {
            return;
        }
        let n = ctx.pod(pod).restart_count + 1;
        self.start_container(ctx, pod, Some(n));
    }

    /// Forgets the exit scheduled for the container's current run (it will not happen).
    #[inline(always)] // once per pod deleted
    pub(crate) fn cancel_exit(&mut self, ctx: &mut Ctx, pod: PodId) {
        if let (Some(exit), _) = self.take_exit(pod) {
            ctx.cancel(exit);
        }
    }

    /// The kubelet sees the pod's deletion: it stops the containers at once (the pod goes
    /// after its grace period).
    pub(crate) fn on_pod_deleting(&mut self, ctx: &mut Ctx, pod: PodId) {
        self.cancel_exit(ctx, pod);
    }

    /// The pod's node died: its containers stopped with it.
    pub(crate) fn containers_died(&mut self, ctx: &mut Ctx, pod: PodId) {
        self.cancel_exit(ctx, pod);
        ctx.change_pod(pod, PodChange::ContainerStopped { failed: true });
    }

    /// The main container of a running pod dies now with `exit_code` (a fault: `reason`
    /// names it in the pod's events).
    pub(crate) fn kill_container(
        &mut self,
        ctx: &mut Ctx,
        pod: PodId,
        exit_code: i32,
        reason: &str,
    ) {
        let p = ctx.pod(pod);
        if p.removed || p.deletion_ns.is_some() || p.phase != PodPhase::Running {
            return;
        }
        if !self.exit_pending(pod) {
            return; // not running a container now (in back-off, or held by its agent)
        }
        let container = ctx.main_container(p.job);
        self.cancel_exit(ctx, pod);
        let exit = (container, exit_code);
        ctx.change_pod(pod, PodChange::RunKilled { reason, exit });
        self.on_container_exit(ctx, pod, exit_code);
    }

    /// The workload ends its current run now with exit code 0 (training done): the run's
    /// scheduled end is replaced by an exit now.
    pub(crate) fn finish_run_now(&mut self, ctx: &mut Ctx, pod: PodId) {
        self.cancel_exit(ctx, pod);
        ctx.change_pod(pod, PodChange::RunEnds { exit: None });
        let exit = ctx.schedule_in(0, Event::ContainerExit { pod, exit_code: 0 });
        self.exit_scheduled(pod, exit, None);
    }

    /// An OOM kill of the main container.
    pub(crate) fn oom_kill(&mut self, ctx: &mut Ctx, pod: PodId) {
        self.kill_container(ctx, pod, OOM_EXIT_CODE, "OOMKilled");
    }

    /// Node-pressure eviction: the pod goes Failed (reason `Evicted`) with a
    /// `DisruptionTarget` condition (reason `TerminationByKubelet`); it is not deleted.
    pub(crate) fn evict(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if p.removed || p.deletion_ns.is_some() || p.phase.terminal() {
            return;
        }
        self.cancel_exit(ctx, pod);
        ctx.change_pod(pod, PodChange::ContainerStopped { failed: true });
        finish(ctx, pod, PodPhase::Failed, "Evicted", true);
    }

    /// The kubelet of a node back from a failure finds the pod's containers gone with the
    /// node (restartPolicy aside, nothing to resume): the pod fails.
    pub(crate) fn pod_lost(&mut self, ctx: &mut Ctx, pod: PodId) {
        let p = ctx.pod(pod);
        if p.phase.terminal() || p.deletion_ns.is_some() {
            return;
        }
        finish(ctx, pod, PodPhase::Failed, "NodeLost", false);
    }
}

/// The pod exists, is not being deleted, and its node's kubelet is up. The node's flag, not
/// its record: every pod start asks, and the record is out of cache by then (perf: the
/// record's load was 5 % of llama3-54d's wall time).
#[inline(always)]
fn alive(ctx: &Ctx, pod: PodId) -> bool {
    let p = ctx.pod(pod);
    !p.removed && p.deletion_ns.is_none() && !p.node.is_some_and(|n| ctx.cluster().node_failed(n))
}

/// A failed run restarts in the same pod: `restartPolicy` is not `Never`, or a container
/// restart rule matches the exit code.
fn restarts_in_place(ctx: &Ctx, pod: PodId, exit_code: i32) -> bool {
    let p = ctx.pod(pod);
    let policy = ctx.job(p.job).spec.template.spec.restart_policy.as_deref();
    policy != Some("Never") || ctx.shape(p.shape).rule_restarts(exit_code)
}

/// The pod's phase becomes terminal.
fn finish(ctx: &mut Ctx, pod: PodId, phase: PodPhase, reason: &str, disruption: bool) {
    let change = PodChange::Finished {
        phase,
        reason,
        disruption,
    };
    ctx.change_pod(pod, change);
}

/// The id of a container name in `names`, added if new (a run sees a handful of names).
pub(crate) fn intern_container(names: &mut Vec<String>, name: &str) -> u16 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u16,
        None => {
            names.push(name.to_string());
            (names.len() - 1) as u16
        }
    }
}

impl Sim {
    /// Runs one of the kubelets' handlers (`Sim::handle`).
    pub(crate) fn kubelet(&mut self, handler: impl FnOnce(&mut Kubelet, &mut Ctx<'_>)) {
        self.handle(|sim| &mut sim.kubelet, handler);
    }

    /// The id of a Job's first container's name (the one exit codes are reported for).
    pub(crate) fn main_container(&mut self, job: JobId) -> u16 {
        let name = self.store.jobs[job as usize]
            .spec
            .template
            .spec
            .containers
            .first()
            .map_or("", |c| c.name.as_str());
        intern_container(&mut self.container_names, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN_NS: u64 = 60 * NS_PER_S;

    /// The first crash restarts at once; later ones wait 10 s doubling to 5 min, counted
    /// from the crash; ten minutes without an update forget the entry.
    #[test]
    fn crash_loop_restarts_at_once_then_backs_off_and_resets_after_ten_minutes() {
        let mut k = Kubelet::default();
        let mut now = MIN_NS;
        let mut delays = vec![];
        for _ in 0..8 {
            let d = k.crash_restart_delay_ns(7, now);
            delays.push(d / NS_PER_S);
            now += d + NS_PER_S; // the restarted container crashes a second later
        }
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300]);
        // More than ten minutes after the last restart: at once again, then 10 s.
        now += 11 * MIN_NS;
        assert_eq!(k.crash_restart_delay_ns(7, now), 0);
        assert_eq!(k.crash_restart_delay_ns(7, now + NS_PER_S), 10 * NS_PER_S);
        // Other pods keep their own entry.
        assert_eq!(k.crash_restart_delay_ns(3, now), 0);
    }

    #[test]
    fn an_exit_is_pending_until_taken() {
        let mut k = Kubelet::default();
        assert!(!k.exit_pending(2));
        assert_eq!(k.take_exit(2), (None, None));
        let mut q = crate::engine::EventQueue::new();
        let exit = q.schedule_in(5, 0u8);
        k.exit_scheduled(2, exit, Some((0, 3)));
        assert!(k.exit_pending(2));
        assert_eq!(k.take_exit(2), (Some(exit), Some((0, 3))));
        assert!(!k.exit_pending(2));
        // Taken once: a cancelled run's exit is never reported later.
        assert_eq!(k.take_exit(2), (None, None));
    }

    /// A removed pod's runtime slot goes to a later pod, which starts from a clean runtime
    /// (no exit, no crash-loop back-off); a runtime whose exit is still scheduled is kept.
    #[test]
    fn a_removed_pods_runtime_is_reused_clean() {
        let mut k = Kubelet::default();
        let mut q = crate::engine::EventQueue::new();
        // Pod 0 crashed once (a back-off entry) and its run ended.
        assert_eq!(k.crash_restart_delay_ns(0, 1_000), 0);
        assert_eq!(k.crash_restart_delay_ns(0, 2_000), CRASH_LOOP_INITIAL_NS);
        // Pod 1's exit is still scheduled when it is removed: kept.
        let exit = q.schedule_in(5, 0u8);
        k.exit_scheduled(1, exit, None);
        k.forget(0);
        k.forget(1);
        assert_eq!(k.runs.len(), 2);
        assert!(k.exit_pending(1), "a scheduled exit survives");
        // Pod 7 takes pod 0's slot and starts with no back-off entry.
        assert_eq!(k.crash_restart_delay_ns(7, 3_000), 0);
        assert_eq!(k.runs.len(), 2, "the slot was reused");
        assert!(!k.exit_pending(0));
        assert_eq!(k.take_exit(0), (None, None));
        assert_eq!(k.take_exit(1), (Some(exit), None));
        // Forgetting a pod that never ran is a no-op.
        k.forget(42);
    }

    /// A world whose one Job runs its three pods under `restart_policy`, stopped there.
    fn running_pods(restart_policy: &str) -> (Sim, Vec<PodId>) {
        use crate::tests::common::{one_job_scenario, step_until, world};
        let text = one_job_scenario(3, 3, "pods: {runFor: 30m}").replace(
            "restartPolicy: Never",
            &format!("restartPolicy: {restart_policy}"),
        );
        let mut sim = world(&text);
        let running = |s: &Sim| {
            (s.pods.iter())
                .filter(|p| p.phase == PodPhase::Running)
                .count()
        };
        step_until(&mut sim, |s| {
            running(s) == 3 && (0..3).all(|p| s.kubelet.exit_pending(p))
        });
        (sim, vec![0, 1, 2])
    }

    /// A killed container of a `restartPolicy: Never` pod fails the pod with the exit code,
    /// and its scheduled end is forgotten.
    #[test]
    fn a_killed_container_fails_its_pod_under_never() {
        let (mut sim, pods) = running_pods("Never");
        let pod = pods[0];
        sim.kubelet(|k, ctx| k.kill_container(ctx, pod, 3, "Error"));
        let p = &sim.pods[pod as usize];
        assert_eq!(p.phase, PodPhase::Failed);
        assert_eq!(p.last_exit.map(|(_, code)| code), Some(3));
        assert!(!sim.kubelet.exit_pending(pod));
        assert!(sim.kubelet.exit_pending(pods[1]), "the other pods run on");
    }

    /// Under `OnFailure` the first crash restarts the container in place at once (no entry in
    /// the back-off yet): the pod stays Running and its restart count goes to 1.
    #[test]
    fn a_crash_under_on_failure_restarts_the_container_in_place() {
        let (mut sim, pods) = running_pods("OnFailure");
        let pod = pods[0];
        let crashed_ns = sim.now();
        sim.kubelet(|k, ctx| k.kill_container(ctx, pod, 1, "Error"));
        assert_eq!(sim.pods[pod as usize].phase, PodPhase::Running);
        assert!(!sim.kubelet.exit_pending(pod), "in back-off, not running");
        crate::tests::common::step_until(&mut sim, |s| s.kubelet.exit_pending(pod));
        assert_eq!(sim.now(), crashed_ns, "the first restart is immediate");
        assert_eq!(sim.pods[pod as usize].restart_count, 1);
    }

    /// A pod being deleted: the kubelet stops its container at once, and a kill that comes
    /// after does nothing.
    #[test]
    fn the_kubelet_stops_a_deleted_pods_container() {
        let (mut sim, pods) = running_pods("Never");
        let pod = pods[0];
        sim.kubelet(|k, ctx| k.on_pod_deleting(ctx, pod));
        assert!(!sim.kubelet.exit_pending(pod));
        sim.pods[pod as usize].deletion_ns = MaybeTime::at(sim.now());
        sim.kubelet(|k, ctx| k.kill_container(ctx, pod, 3, "Error"));
        assert_eq!(sim.pods[pod as usize].phase, PodPhase::Running);
        assert_eq!(sim.pods[pod as usize].last_exit, None);
    }
}
