//! The training-progress model behind goodput (failure-data.md §2.4).
//!
//! A JobSet with `training` makes progress only while every one of its pods runs. After all
//! pods run, the framework starts up for `restartCost`; then useful work accrues at full speed,
//! pausing `checkpointCost` after every `checkpointInterval` of work to write a checkpoint. When
//! any pod stops (a failure, an eviction, a node dying, a restart tearing pods down), the work
//! since the last completed checkpoint is lost. When all the work is done, the containers exit
//! 0 and the JobSet completes through the ordinary success path.
//!
//! ETTR (goodput) = useful work kept / wall-clock time since submission, where the wall-clock
//! time ends when the work is done or the run ends.

use crate::engine::SimTime;
use crate::scenario::Training;
use crate::sim::ctx::Ctx;
use crate::sim::objects::{JsId, PodId, PodPhase};
use crate::sim::{Event, Sim};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Not all pods run.
    Waiting,
    /// All pods run; the framework starts up until then.
    StartingUp,
    /// Useful work accrues since this time.
    Running {
        since_ns: SimTime,
    },
    Done,
}

/// Where a run segment stands after `elapsed_ns` of running (checkpoint writes included).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    /// Work safely in completed checkpoints.
    committed_ns: u64,
    /// Work done since the last completed checkpoint (lost if interrupted now).
    uncommitted_ns: u64,
    /// Time spent writing checkpoints.
    writing_ns: u64,
}

impl Training {
    fn segment(&self, elapsed_ns: u64) -> Segment {
        let dt = self.checkpoint_interval_ns;
        if dt == 0 {
            return Segment {
                committed_ns: 0,
                uncommitted_ns: elapsed_ns,
                writing_ns: 0,
            };
        }
        let cycle = dt + self.checkpoint_cost_ns;
        let k = elapsed_ns / cycle;
        let partial = elapsed_ns - k * cycle;
        Segment {
            committed_ns: k * dt,
            uncommitted_ns: partial.min(dt),
            writing_ns: k * self.checkpoint_cost_ns + partial.saturating_sub(dt),
        }
    }

    /// Wall time to finish `remaining_ns` of work from a fresh start, with the checkpoints
    /// written on the way (none after the last piece of work).
    fn time_to_finish(&self, remaining_ns: u64) -> u64 {
        let dt = self.checkpoint_interval_ns;
        if dt == 0 || remaining_ns == 0 {
            return remaining_ns;
        }
        remaining_ns + (remaining_ns - 1) / dt * self.checkpoint_cost_ns
    }
}

/// One JobSet's training, as the run goes.
#[derive(Debug, Clone)]
pub(crate) struct TrainingState {
    pub spec: Training,
    pub submitted_ns: SimTime,
    /// Pods the JobSet runs at once; progress needs all of them.
    pub expected_pods: u64,
    /// Pods whose main container runs now.
    pub working: u64,
    phase: Phase,
    generation: u32,
    pub checkpointed_ns: u64,
    pub lost_ns: u64,
    pub checkpoint_writing_ns: u64,
    pub startup_ns: u64,
    pub interruptions: u32,
    /// Since the last interruption, while not yet running again.
    down_since_ns: Option<SimTime>,
    pub recovery_ns: u64,
    /// Each interruption's time until progress resumed.
    pub recoveries_ns: Vec<u64>,
    pub first_progress_ns: Option<SimTime>,
    pub done_at_ns: Option<SimTime>,
}

/// The goodput figures of one JobSet, for the summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TrainingSummary {
    pub jobset: String,
    pub work_s: f64,
    /// Useful work kept at the end.
    pub useful_work_s: f64,
    pub complete: bool,
    /// When the work was done, or null.
    pub done_at_s: Option<f64>,
    /// Wall-clock time the goodput is over: submission to done (or the end of the run).
    pub wall_s: f64,
    /// ETTR: useful_work_s / wall_s.
    pub goodput: f64,
    pub lost_work_s: f64,
    /// From each interruption until progress resumed (scheduling, start-up, restartCost).
    pub time_in_recovery_s: f64,
    /// From submission until progress first began.
    pub time_to_first_progress_s: Option<f64>,
    pub checkpoint_writing_s: f64,
    pub interruptions: u32,
}

impl TrainingState {
    pub(crate) fn new(spec: Training, expected_pods: u64, submitted_ns: SimTime) -> Self {
        TrainingState {
            spec,
            submitted_ns,
            expected_pods,
            working: 0,
            phase: Phase::Waiting,
            generation: 0,
            checkpointed_ns: 0,
            lost_ns: 0,
            checkpoint_writing_ns: 0,
            startup_ns: 0,
            interruptions: 0,
            down_since_ns: None,
            recovery_ns: 0,
            recoveries_ns: vec![],
            first_progress_ns: None,
            done_at_ns: None,
        }
    }

    /// Useful work done by `now`, counting the uncommitted part of a segment still running.
    pub(crate) fn progress_at(&self, now: SimTime) -> u64 {
        let extra = match self.phase {
            Phase::Running { since_ns } => {
                let s = self.spec.segment(now.saturating_sub(since_ns));
                s.committed_ns + s.uncommitted_ns
            }
            _ => 0,
        };
        (self.checkpointed_ns + extra).min(self.spec.work_ns)
    }

    pub(crate) fn summary(&self, jobset: &str, end_ns: SimTime) -> TrainingSummary {
        let s = crate::engine::time::to_secs;
        let useful = self.progress_at(end_ns);
        let wall_end = self.done_at_ns.unwrap_or(end_ns);
        let wall = wall_end.saturating_sub(self.submitted_ns);
        let writing_now = match self.phase {
            Phase::Running { since_ns } => {
                self.spec
                    .segment(end_ns.saturating_sub(since_ns))
                    .writing_ns
            }
            _ => 0,
        };
        TrainingSummary {
            jobset: jobset.to_string(),
            work_s: s(self.spec.work_ns),
            useful_work_s: s(useful),
            complete: self.done_at_ns.is_some(),
            done_at_s: self.done_at_ns.map(s),
            wall_s: s(wall),
            goodput: if wall > 0 {
                useful as f64 / wall as f64
            } else {
                0.0
            },
            lost_work_s: s(self.lost_ns),
            time_in_recovery_s: s(
                self.recovery_ns + self.down_since_ns.map_or(0, |d| end_ns.saturating_sub(d))
            ),
            time_to_first_progress_s: self.first_progress_ns.map(|t| s(t - self.submitted_ns)),
            checkpoint_writing_s: s(self.checkpoint_writing_ns + writing_now),
            interruptions: self.interruptions,
        }
    }
}

/// The training model as a component: every training JobSet's progress and which of their
/// pods' main containers run now. Its state is private; the simulation tells it when a
/// container starts or stops and when its own timers fire, and it answers with the timer to
/// arm, if any. JobSets without `training` are not tracked.
#[derive(Debug, Default)]
pub(crate) struct TrainingModel {
    /// By `JsId`.
    jobsets: Vec<Option<TrainingState>>,
    /// By `PodId`: the pod's main container runs now (only pods of training JobSets).
    working: Vec<bool>,
}

impl TrainingModel {
    /// A JobSet was submitted, with its training spec (or none).
    pub(crate) fn add_jobset(
        &mut self,
        js: JsId,
        spec: Option<Training>,
        expected_pods: u64,
        now: SimTime,
    ) {
        if self.jobsets.len() <= js as usize {
            self.jobsets.resize(js as usize + 1, None);
        }
        self.jobsets[js as usize] = spec.map(|spec| TrainingState::new(spec, expected_pods, now));
    }

    /// The training state of each JobSet that has one, by JobSet id.
    pub(crate) fn states(&self) -> impl Iterator<Item = (JsId, &TrainingState)> {
        self.jobsets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (i as JsId, t)))
    }

    /// The JobSet's training has done all its work: a container that starts now (a later
    /// completion index, when completions exceed parallelism) has nothing left to do.
    pub(crate) fn is_done(&self, js: JsId) -> bool {
        self.jobsets
            .get(js as usize)
            .and_then(Option::as_ref)
            .is_some_and(|t| matches!(t.phase, Phase::Done))
    }

    fn state(&mut self, js: JsId) -> Option<&mut TrainingState> {
        self.jobsets.get_mut(js as usize).and_then(Option::as_mut)
    }

    /// Flips a pod's working flag; false when it already had that value.
    fn set_working(&mut self, pod: PodId, working: bool) -> bool {
        if self.working.len() <= pod as usize {
            if !working {
                return false;
            }
            self.working.resize(pod as usize + 1, false);
        }
        std::mem::replace(&mut self.working[pod as usize], working) != working
    }

    /// A pod's main container starts: once all pods run, the framework starts up. Returns the
    /// start-up timer to arm.
    pub(crate) fn container_started(
        &mut self,
        js: JsId,
        pod: PodId,
        now: SimTime,
    ) -> Option<(SimTime, Event)> {
        self.state(js)?;
        if !self.set_working(pod, true) {
            return None;
        }
        let t = self.state(js)?;
        t.working += 1;
        if t.phase != Phase::Waiting || t.working < t.expected_pods {
            return None;
        }
        t.phase = Phase::StartingUp;
        t.generation += 1;
        let generation = t.generation;
        Some((
            now + t.spec.restart_cost_ns,
            Event::TrainingStart { js, generation },
        ))
    }

    /// A pod's main container stops (exit, eviction, deletion, its node dying): synchronous
    /// training stops with it, and the work since the last checkpoint is gone.
    pub(crate) fn container_stopped(&mut self, js: JsId, pod: PodId, now: SimTime) {
        if self.state(js).is_none() || !self.set_working(pod, false) {
            return;
        }
        let t = self.state(js).expect("checked above");
        t.working = t
            .working
            .checked_sub(1)
            .expect("internal error: a JobSet's working pod count went below zero");
        match t.phase {
            Phase::Running { since_ns } => {
                let seg = t.spec.segment(now - since_ns);
                t.checkpointed_ns = (t.checkpointed_ns + seg.committed_ns).min(t.spec.work_ns);
                t.lost_ns += seg.uncommitted_ns;
                t.checkpoint_writing_ns += seg.writing_ns;
                t.down_since_ns = Some(now);
            }
            Phase::StartingUp => {
                t.down_since_ns.get_or_insert(now);
            }
            Phase::Waiting | Phase::Done => return,
        }
        t.interruptions += 1;
        t.phase = Phase::Waiting;
        t.generation += 1;
    }

    /// The start-up timer fired: useful work begins, unless an interruption came first.
    /// Returns the timer for when all the work is done.
    pub(crate) fn start_up_done(
        &mut self,
        js: JsId,
        generation: u32,
        now: SimTime,
    ) -> Option<(SimTime, Event)> {
        let t = self.state(js)?;
        if t.generation != generation || t.phase != Phase::StartingUp {
            return None;
        }
        t.phase = Phase::Running { since_ns: now };
        t.startup_ns += t.spec.restart_cost_ns;
        if let Some(d) = t.down_since_ns.take() {
            t.recovery_ns += now - d;
            t.recoveries_ns.push(now - d);
        }
        t.first_progress_ns.get_or_insert(now);
        let remaining = t.spec.work_ns - t.checkpointed_ns;
        let done = now + t.spec.time_to_finish(remaining);
        Some((done, Event::TrainingDone { js, generation }))
    }

    /// The work-done timer fired: true when the work is done now (the containers exit 0),
    /// false when an interruption came first.
    pub(crate) fn work_done(&mut self, js: JsId, generation: u32, now: SimTime) -> bool {
        let Some(t) = self.state(js) else {
            return false;
        };
        let Phase::Running { since_ns } = t.phase else {
            return false;
        };
        if t.generation != generation {
            return false;
        }
        let seg = t.spec.segment(now - since_ns);
        t.checkpoint_writing_ns += seg.writing_ns;
        t.checkpointed_ns = t.spec.work_ns;
        t.phase = Phase::Done;
        t.done_at_ns = Some(now);
        true
    }
}

/// The training model's reactions, over a `Ctx` (`Sim::handle`).
impl TrainingModel {
    /// Watcher of pod changes: a pod's main container started.
    pub(crate) fn on_container_started(&mut self, ctx: &mut Ctx, pod: PodId) {
        let js = ctx.job(ctx.pod(pod).job).jobset;
        if let Some((at, event)) = self.container_started(js, pod, ctx.now()) {
            ctx.schedule_at(at, event);
        }
    }

    /// Watcher of pod changes: a pod's main container stopped.
    pub(crate) fn on_container_stopped(&mut self, ctx: &mut Ctx, pod: PodId) {
        let js = ctx.job(ctx.pod(pod).job).jobset;
        self.container_stopped(js, pod, ctx.now());
    }

    pub(crate) fn on_training_start(&mut self, ctx: &mut Ctx, js: JsId, generation: u32) {
        let now = ctx.now();
        if let Some((at, event)) = self.start_up_done(js, generation, now) {
            ctx.schedule_at(at, event);
            ctx.metrics().observe_training_resumed(now, js);
        }
    }

    /// All the work is done: every container of the JobSet exits 0.
    pub(crate) fn on_training_done(&mut self, ctx: &mut Ctx, js: JsId, generation: u32) {
        if !self.work_done(js, generation, ctx.now()) {
            return;
        }
        let jobs = ctx.jobset_jobs(js).to_vec();
        for j in jobs {
            let pods = ctx.job_pods(j).to_vec();
            for p in pods {
                let pod = ctx.pod(p);
                if pod.phase != PodPhase::Running || pod.removed || pod.deletion_ns.is_some() {
                    continue;
                }
                ctx.kubelet_finish_run_now(p);
            }
        }
    }
}

impl Sim {
    /// Runs one of the training model's handlers.
    pub(crate) fn training(&mut self, handler: impl FnOnce(&mut TrainingModel, &mut Ctx<'_>)) {
        self.handle(|sim| &mut sim.training, handler);
    }

    /// Creates the training state of a newly submitted JobSet (or none).
    pub(crate) fn add_training_state(&mut self, js: JsId) {
        let w = self.jobset_workloads[js as usize] as usize;
        let spec = self.scenario.workloads[w].training;
        let expected = self.store.jobsets[js as usize]
            .spec
            .spec
            .total_pods_at_once();
        let now = self.now();
        self.training.add_jobset(js, spec, expected, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000_000_000;

    fn spec(dt: u64, w: u64) -> Training {
        Training {
            work_ns: 10 * H,
            checkpoint_interval_ns: dt,
            checkpoint_cost_ns: w,
            restart_cost_ns: 0,
        }
    }

    #[test]
    fn segments_commit_work_at_each_completed_checkpoint() {
        let t = spec(H, H / 10);
        // 2.5 h in: one checkpoint cycle (1.1 h) done twice, 0.3 h of new work.
        let s = t.segment(25 * H / 10);
        assert_eq!(s.committed_ns, 2 * H);
        assert_eq!(s.uncommitted_ns, 3 * H / 10);
        assert_eq!(s.writing_ns, 2 * H / 10);
        // In the middle of writing the first checkpoint: the hour is not safe yet.
        let s = t.segment(H + H / 20);
        assert_eq!(
            (s.committed_ns, s.uncommitted_ns, s.writing_ns),
            (0, H, H / 20)
        );
        // Without checkpoints everything is at risk.
        let s = spec(0, 0).segment(5 * H);
        assert_eq!((s.committed_ns, s.uncommitted_ns), (0, 5 * H));
    }

    #[test]
    fn finishing_writes_no_checkpoint_after_the_last_work() {
        let t = spec(H, H / 10);
        assert_eq!(t.time_to_finish(2 * H), 2 * H + H / 10);
        assert_eq!(t.time_to_finish(25 * H / 10), 25 * H / 10 + 2 * H / 10);
        assert_eq!(spec(0, 0).time_to_finish(3 * H), 3 * H);
    }

    fn model(restart_cost_ns: u64, pods: u64) -> TrainingModel {
        let mut m = TrainingModel::default();
        let spec = Training {
            restart_cost_ns,
            ..spec(H, H / 10)
        };
        m.add_jobset(0, Some(spec), pods, 0);
        m
    }

    #[test]
    fn progress_starts_after_every_pod_runs_and_the_restart_cost() {
        let mut m = model(H / 100, 2);
        assert_eq!(m.container_started(0, 10, 0), None, "one pod of two");
        assert_eq!(m.container_started(0, 10, 5), None, "the same pod again");
        let (at, event) = m.container_started(0, 11, 100).expect("all pods run");
        assert_eq!(at, 100 + H / 100);
        assert_eq!(
            event,
            Event::TrainingStart {
                js: 0,
                generation: 1
            }
        );
        let (done, event) = m.start_up_done(0, 1, at).expect("work begins");
        // 10 h of work with a 6-minute checkpoint after each of the first nine hours.
        assert_eq!(done, at + 10 * H + 9 * H / 10);
        assert_eq!(
            event,
            Event::TrainingDone {
                js: 0,
                generation: 1
            }
        );
        assert!(m.work_done(0, 1, done));
        let (_, t) = m.states().next().expect("tracked");
        assert_eq!(t.progress_at(done), 10 * H);
        assert_eq!(t.done_at_ns, Some(done));
    }

    #[test]
    fn a_stopped_container_loses_the_work_since_the_last_checkpoint() {
        let mut m = model(0, 1);
        let (at, _) = m.container_started(0, 3, 0).expect("one pod");
        m.start_up_done(0, 1, at).expect("work begins");
        // 2.5 h in: two checkpoints (1.1 h each) kept, 0.3 h lost.
        m.container_stopped(0, 3, 25 * H / 10);
        let (_, t) = m.states().next().expect("tracked");
        assert_eq!(t.checkpointed_ns, 2 * H);
        assert_eq!(t.lost_ns, 3 * H / 10);
        assert_eq!(t.interruptions, 1);
        // The old timers are stale now; stopping twice changes nothing.
        assert!(!m.work_done(0, 1, 11 * H));
        m.container_stopped(0, 3, 3 * H);
        assert_eq!(m.states().next().expect("tracked").1.interruptions, 1);
        // Restarting resumes from the checkpoint, as generation 3.
        let (_, event) = m.container_started(0, 4, 3 * H).expect("all pods run");
        assert_eq!(
            event,
            Event::TrainingStart {
                js: 0,
                generation: 3
            }
        );
    }

    #[test]
    fn jobsets_without_training_are_not_tracked() {
        let mut m = TrainingModel::default();
        m.add_jobset(0, None, 1, 0);
        assert_eq!(m.container_started(0, 0, 0), None);
        m.container_stopped(0, 0, 1);
        assert_eq!(m.states().count(), 0);
    }

    /// The handlers over a world stopped as the work-done timer fires: the model marks the
    /// work done and has the kubelet end every running container now, with exit code 0.
    #[test]
    fn work_done_ends_every_running_container_now() {
        use crate::tests::common::{one_job_scenario, world};
        let mut sim = world(&one_job_scenario(5, 2, "training: {work: 10m}"));
        let (js, generation) = loop {
            let (_, event) = sim.queue.pop().expect("the work gets done");
            if let Event::TrainingDone { js, generation } = event {
                break (js, generation);
            }
            assert!(!sim.dispatch(event), "the run ended first");
        };
        let running: Vec<PodId> = (0..sim.pods.len() as PodId)
            .filter(|&p| sim.pods[p as usize].phase == PodPhase::Running)
            .collect();
        assert_eq!(running.len(), 2);
        assert!(!sim.training.is_done(js));
        sim.training(|t, ctx| t.on_training_done(ctx, js, generation));
        assert!(sim.training.is_done(js));
        let now = sim.now();
        let mut exits = vec![];
        while let Some((at, event)) = sim.queue.pop() {
            if at > now {
                break;
            }
            if let Event::ContainerExit { pod, exit_code } = event {
                exits.push((pod, exit_code));
            }
        }
        assert_eq!(exits, running.iter().map(|&p| (p, 0)).collect::<Vec<_>>());
    }
}
