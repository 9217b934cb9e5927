//! One simulation run: the world of API objects, the controllers and the scheduler, driven by
//! the engine's event loop. Single-threaded by design, so a seed fixes the whole run.

pub(crate) mod ctx;
pub(crate) mod event;
pub(crate) mod id_list;
pub(crate) mod invariants;
pub(crate) mod node_lists;
pub(crate) mod objects;
pub(crate) mod pod_change;
pub(crate) mod pod_store;
pub(crate) mod shape;
pub(crate) mod store;

use crate::cluster::{Cluster, ResourceIndex};
use crate::engine::{EventQueue, RngStreams, SimTime, TokenBucket};
use crate::error::{InputError, SimError};
use crate::metrics::Recorder;
use crate::params::ControlPlane;
use crate::scenario::Scenario;
use crate::scheduler::Scheduler;
pub(crate) use event::Event;
use objects::*;
use shape::PodShape;

/// A component's client-side rate limiter at its configured rate (each component owns its
/// API client).
fn client(r: crate::params::ClientRate) -> TokenBucket {
    TokenBucket::new(r.qps, r.burst)
}

pub(crate) struct Sim {
    pub scenario: Scenario,
    pub params: ControlPlane,
    pub queue: EventQueue<Event>,
    pub cluster: Cluster,
    /// The API server's JobSets, Jobs and Services, their membership and the child Jobs'
    /// index (`store.rs`).
    pub store: store::Store,
    /// The scenario entry (`workloads[i]`) each JobSet was submitted from, by `JsId`: the
    /// user's side of the run, which the API object does not carry; read by the user's
    /// updates, the kubelet's scripted exits, the training model and the fault injectors.
    pub(crate) jobset_workloads: Vec<u32>,
    /// The pods that exist, in reused slots, by creation serial (`pod_store`).
    pub pods: pod_store::PodStore,
    pub shapes: Vec<PodShape>,
    /// kube-scheduler: its queues, cache, affinity index and preemption state.
    pub(crate) scheduler: ctx::Slot<Scheduler>,
    /// The API server's own state: the pod names it holds, its stream for generated names.
    pub(crate) api_server: ctx::Slot<crate::apiserver::ApiServer>,
    pub rec: Recorder,
    pub ended_at_ns: Option<SimTime>,
    /// Scripted updates not yet applied; the run does not stop early before them.
    pub pending_updates: usize,
    /// The pod DELETEs the components' clients sent that have not landed, with their reasons.
    pub(crate) delete_requests: crate::control::gc::DeleteRequests,
    /// The `PodScheduled` condition's message of each pod whose last scheduling cycle found
    /// no node (`PodObj::unschedulable`), beside the arena: 16 bytes in each of a long run's
    /// million pod slots held a message few pods ever get. Only looked up, never iterated.
    pub(crate) unschedulable_messages:
        std::collections::HashMap<PodId, Box<str>, crate::engine::queue::BuildSeqHasher>,
    /// Interned container names (`PodObj::last_exit` carries the index).
    pub container_names: Vec<String>,
    /// Check the invariants every `invariant_period_events` events and at the end.
    pub check_invariants: bool,
    /// Events between two invariant sweeps (1,000 unless a test asks for more often).
    pub invariant_period_events: u64,
    /// FNV-1a of every delivered event's time, kind and ids, in order (`summary.json`).
    pub event_digest: crate::engine::StreamDigest,
    /// The first violations found, with the simulated time, when checking.
    pub violations: Vec<String>,
    /// The node lifecycle controller's flags and taint rate limiter.
    pub(crate) node_lifecycle: ctx::Slot<crate::control::node_lifecycle::NodeLifecycleController>,
    /// Report progress on stderr during long runs (the CLI sets it when stderr is a terminal).
    pub show_progress: bool,
    /// When stderr is not a terminal (CI logs): print a progress line every
    /// `progress_lines_every_ms` of wall time instead; None prints nothing.
    pub progress_lines_every_ms: Option<u64>,
    /// Fault injectors and the nodes they took out.
    pub(crate) inject: ctx::Slot<crate::inject::FaultInjectors>,
    /// Each Job's pods that the API server holds (created or being created, not removed), in
    /// creation order: the index by owner that every pod informer keeps.
    pub job_pods: Vec<id_list::IdList>,
    /// Each Job's pods counted as a Job sync counts them (active, ready, terminating), kept by
    /// the pod-change path with `job_pods` so that a sync does not walk thousands of pods: the
    /// Job controller lists them from the pod informer's cache upstream.
    pub(crate) job_pod_counts: Vec<LiveCounts>,
    /// Pods bound to each node, in binding order: removed pods leave at once, finished ones
    /// when the list is read (`pods_on_node`).
    pub(crate) node_pods: node_lists::NodeLists,
    /// Training progress of the JobSets of workloads with `training`.
    pub(crate) training: ctx::Slot<crate::training::TrainingModel>,
    /// The kubelets' private state of each pod's containers.
    pub(crate) kubelet: ctx::Slot<crate::control::kubelet::Kubelet>,
    /// The in-place restart agents' barriers.
    pub(crate) in_place_agents: ctx::Slot<crate::control::in_place::InPlaceAgents>,
    /// The garbage collector's API client.
    pub(crate) gc: ctx::Slot<crate::control::gc::GarbageCollector>,
    /// Each Job's pod template as its pods get it (labels, compiled shapes).
    pub(crate) pod_templates: crate::control::pod_templates::PodTemplates,
    /// Kueue's queues, Workloads and admission loop (inert without a `kueue:` section).
    pub(crate) kueue: ctx::Slot<crate::kueue::controller::KueueController>,
    /// Kueue places by topology (a ResourceFlavor has `topologyName`): its node controller
    /// watches node health.
    pub(crate) kueue_watches_nodes: bool,
    /// Ungated pod specs, by (gated spec, the nodeSelector the ungater added).
    ungated_shapes: std::collections::BTreeMap<(ShapeId, Vec<(String, String)>), ShapeId>,
    /// The JobSet controller's work queue, worker and API client.
    pub(crate) jobset_controller: ctx::Slot<crate::control::jobset_controller::JobSetController>,
    /// The Job controller's work queue, back-off records, informer books and API client.
    pub(crate) job_controller: ctx::Slot<crate::control::job::JobController>,
    /// The timeline's samples.
    pub timeline: crate::metrics::timeline::Timeline,
    /// Label keys whose value differs node by node within a pool entry (hostname, node pool,
    /// topology levels), interned.
    pub node_varying_keys: Vec<u32>,
}

/// Progress on stderr: on a terminal one line, refreshed at most twice a second; in logs a
/// line every `lines_every_ms` of wall time (none for runs shorter than that). It only reads
/// the wall clock, so it cannot change what the run does.
struct Progress {
    terminal: bool,
    lines_every_ms: Option<u64>,
    started: std::time::Instant,
    last: std::time::Instant,
    shown: bool,
}

impl Progress {
    fn new(terminal: bool, lines_every_ms: Option<u64>) -> Self {
        let now = std::time::Instant::now();
        Progress {
            terminal,
            lines_every_ms: lines_every_ms.filter(|_| !terminal),
            started: now,
            last: now,
            shown: false,
        }
    }

    fn tick(&mut self, events: u64, sim_ns: SimTime, until_ns: SimTime) {
        if !(self.terminal || self.lines_every_ms.is_some()) || !events.is_multiple_of(4096) {
            return;
        }
        let now = std::time::Instant::now();
        let since_last = now.duration_since(self.last).as_millis() as u64;
        let due = match self.lines_every_ms {
            Some(every) => since_last >= every,
            None => since_last >= 500 && now.duration_since(self.started).as_millis() >= 1000,
        };
        if !due {
            return;
        }
        self.last = now;
        self.shown = true;
        let pct = sim_ns as f64 * 100.0 / until_ns.max(1) as f64;
        let text = format!(
            "simulated {} of at most {} ({pct:.0}%), {events} events, {:.1} s",
            crate::engine::time::format_duration(sim_ns),
            crate::engine::time::format_duration(until_ns),
            now.duration_since(self.started).as_secs_f64()
        );
        if self.terminal {
            eprint!("\r{text}");
        } else {
            eprintln!("progress: {text}");
        }
    }

    fn finish(&self) {
        if self.shown && self.terminal {
            eprintln!();
        }
    }
}

/// Events between two invariant sweeps under `--check-invariants`: a sweep walks every pod and
/// node, so at this period it costs about as much as the run itself on large scenarios.
const INVARIANT_PERIOD: u64 = 1_000;

impl Sim {
    /// Builds the cluster and checks that every pod could fit some node of it.
    pub(crate) fn new(scenario: Scenario) -> Result<Sim, SimError> {
        let kueue = check_scenario(&scenario)?;
        let cluster = Cluster::build(&scenario.node_pools, resources_of(&scenario));
        check_pods_can_fit(&scenario, &cluster)?;
        let streams = RngStreams::new(scenario.seed);
        let mut sim = Sim::empty(scenario, cluster, kueue, &streams);
        sim.reserve_for_one_attempt();
        sim.node_varying_keys = sim.varying_label_keys();
        sim.register_topologies();
        sim.schedule_faults(&streams)?;
        sim.schedule_workloads();
        Ok(sim)
    }

    /// The world before anything happened: components at their configuration, no objects.
    fn empty(
        scenario: Scenario,
        cluster: Cluster,
        kueue: crate::kueue::controller::KueueController,
        streams: &RngStreams,
    ) -> Sim {
        let control = &scenario.control;
        Sim {
            params: control.clone(),
            queue: EventQueue::new(),
            store: Default::default(),
            jobset_workloads: vec![],
            pods: Default::default(),
            shapes: vec![],
            scheduler: ctx::Slot::new(new_scheduler(&scenario, streams)),
            api_server: ctx::Slot::new(crate::apiserver::ApiServer::new(streams.stream("names"))),
            rec: Recorder::keeping_rows(),
            ended_at_ns: None,
            pending_updates: 0,
            delete_requests: Default::default(),
            unschedulable_messages: Default::default(),
            container_names: vec![],
            check_invariants: false,
            invariant_period_events: INVARIANT_PERIOD,
            event_digest: Default::default(),
            violations: vec![],
            node_lifecycle: ctx::Slot::new(
                crate::control::node_lifecycle::NodeLifecycleController::new(
                    &control.node_lifecycle,
                ),
            ),
            show_progress: false,
            progress_lines_every_ms: None,
            inject: ctx::Slot::new(Default::default()),
            job_pods: vec![],
            job_pod_counts: vec![],
            node_pods: node_lists::NodeLists::new(cluster.len()),
            training: ctx::Slot::new(Default::default()),
            kubelet: ctx::Slot::new(Default::default()),
            job_controller: ctx::Slot::new(crate::control::job::JobController::new(
                client(control.job_controller_client),
                control.job_controller_workers,
            )),
            gc: ctx::Slot::new(crate::control::gc::GarbageCollector::new(
                control.gc_client,
                control.gc_workers,
                control.api_call_latency_ns,
            )),
            jobset_controller: ctx::Slot::new(
                crate::control::jobset_controller::JobSetController::new(client(
                    control.jobset_client,
                )),
            ),
            in_place_agents: ctx::Slot::new(Default::default()),
            pod_templates: Default::default(),
            kueue_watches_nodes: kueue.places_by_topology(),
            ungated_shapes: Default::default(),
            kueue: ctx::Slot::new(kueue),
            node_varying_keys: vec![],
            timeline: crate::metrics::timeline::Timeline::new(),
            cluster,
            scenario,
        }
    }

    /// Reserves one attempt's worth of pods and Jobs up front: growing these vectors by
    /// doubling copies them, which at 65k nodes costs more than a restart's scheduling
    /// decisions.
    fn reserve_for_one_attempt(&mut self) {
        let (pods, jobs) = self
            .scenario
            .workloads
            .iter()
            .fold((0usize, 0usize), |(p, j), w| {
                let spec = &w.jobset.spec;
                let jobs: usize = spec
                    .replicated_jobs
                    .iter()
                    .map(|r| r.replicas.unwrap_or(1).max(0) as usize)
                    .sum();
                (p + spec.total_pods_at_once() as usize, j + jobs)
            });
        self.pods
            .reserve(pods.min(crate::scenario::MAX_PARALLEL_PODS as usize));
        self.store.jobs.reserve(jobs);
    }

    /// The interned label keys whose value differs node by node within a pool entry
    /// (hostname, node pool, topology levels, templated labels).
    fn varying_label_keys(&self) -> Vec<u32> {
        let mut varying = vec![
            crate::api::keys::HOSTNAME_LABEL.to_string(),
            crate::api::keys::NODE_POOL_LABEL.to_string(),
        ];
        for p in &self.scenario.node_pools {
            varying.extend(p.topology.iter().map(|(k, _)| k.clone()));
            varying.extend(p.label_templates.iter().map(|(k, _)| k.clone()));
        }
        varying
            .iter()
            .filter_map(|k| self.cluster.keys.get(k))
            .collect()
    }

    /// Schedules each workload's submission and scripted updates, and the end of the run.
    fn schedule_workloads(&mut self) {
        for (i, w) in self.scenario.workloads.iter().enumerate() {
            self.queue
                .schedule_at(w.at_ns, Event::SubmitJobSet { workload: i as u32 });
            for (u, &(at, _)) in w.updates.iter().enumerate() {
                self.queue.schedule_at(
                    at.max(w.at_ns),
                    Event::UpdateJobSet {
                        workload: i as u32,
                        update: u as u32,
                    },
                );
                self.pending_updates += 1;
            }
        }
        self.queue
            .schedule_at(self.scenario.until_ns, Event::EndOfRun);
        // EndOfRun was scheduled before anything else at that instant, so it pops first: no
        // event after it can run, and none need be stored.
        self.queue.set_horizon(self.scenario.until_ns);
    }

    /// Every topology key a pod may be placed against is known from the manifests: the
    /// exclusive-placement annotations and the pod templates' affinity terms. Indexing them
    /// before the run means no placement is ever missed.
    fn register_topologies(&mut self) {
        let mut keys = std::collections::BTreeSet::new();
        for w in &self.scenario.workloads {
            let js = &w.jobset;
            for rj in &js.spec.replicated_jobs {
                if let (Some(k), _) = crate::control::jobset::exclusive_placement(js, rj) {
                    keys.insert(k);
                }
                if let Some(a) = &rj.template.spec.template.spec.affinity {
                    for pa in [&a.pod_affinity, &a.pod_anti_affinity]
                        .into_iter()
                        .flatten()
                    {
                        keys.extend(
                            pa.required_during_scheduling_ignored_during_execution
                                .iter()
                                .map(|t| t.topology_key.clone()),
                        );
                        keys.extend(
                            pa.preferred_during_scheduling_ignored_during_execution
                                .iter()
                                .map(|t| t.pod_affinity_term.topology_key.clone()),
                        );
                    }
                }
            }
        }
        for k in keys {
            self.scheduler.index_topology(&self.cluster, &k);
        }
        // Namespaces for `namespaceSelector`: the declared ones, and every one a workload uses
        // (a JobSet can only be created in an existing namespace).
        let mut namespaces = self.scenario.namespaces.clone();
        namespaces.entry("default".to_string()).or_default();
        for w in &self.scenario.workloads {
            let ns = w.jobset.metadata.namespace.as_deref().unwrap_or("default");
            namespaces.entry(ns.to_string()).or_default();
        }
        self.scheduler.set_namespaces(namespaces);
    }

    pub(crate) fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Runs to the end: the time limit, or every JobSet terminal when the scenario asks.
    pub(crate) fn run(&mut self) {
        if self.ended_at_ns.is_some() {
            return; // a run happens once; its end event is gone
        }
        let mut progress = Progress::new(self.show_progress, self.progress_lines_every_ms);
        while let Some((_, event)) = self.queue.pop() {
            let now = self.now();
            let (kind, id_a, id_b) = event.digest_record();
            self.event_digest.add(now, kind, id_a, id_b);
            if self.timeline.due(now, self.rec.recoveries.open_since_ns()) {
                self.sample_timeline(now);
            }
            if self.dispatch(event) {
                break;
            }
            progress.tick(self.queue.delivered(), self.now(), self.scenario.until_ns);
            if self.check_invariants
                && self
                    .queue
                    .delivered()
                    .is_multiple_of(self.invariant_period_events.max(1))
                && !self.sweep_invariants()
            {
                break;
            }
            if self.scenario.stop_when_all_terminal && self.all_terminal() {
                self.ended_at_ns = Some(self.now());
                break;
            }
        }
        progress.finish();
        if self.ended_at_ns.is_none() {
            self.ended_at_ns = Some(self.now());
        }
        if self.check_invariants && self.violations.is_empty() {
            self.sweep_invariants();
        }
    }

    /// Every JobSet is terminal and, when it has a TTL, deleted: nothing more will happen.
    fn all_terminal(&self) -> bool {
        self.store.jobsets.len() == self.scenario.workloads.len()
            && self.pending_updates == 0
            && (0..self.store.jobsets.len() as JsId).all(|js| {
                let obj = &self.store.jobsets[js as usize];
                obj.status.terminal_state.is_some()
                    && (obj.spec.spec.ttl_seconds_after_finished.is_none()
                        || !self.store.jobset_exists(js))
            })
            // Kueue has seen every JobSet finish (its Workloads released their quota).
            && self.kueue.all_finished()
    }

    /// Runs one of Kueue's handlers (`Sim::handle`).
    /// See `Ctx::derive_ungated_shape`.
    pub(crate) fn derive_ungated_shape(
        &mut self,
        gated: ShapeId,
        node_selector: &[(String, String)],
    ) -> ShapeId {
        let key = (gated, node_selector.to_vec());
        if let Some(&s) = self.ungated_shapes.get(&key) {
            return s;
        }
        let mut shape = self.shapes[gated as usize].clone();
        shape.gated = false;
        for (k, v) in node_selector {
            match shape.node_selector.iter_mut().find(|(key, _)| key == k) {
                Some(entry) => entry.1 = v.clone(),
                None => shape.node_selector.push((k.clone(), v.clone())),
            }
        }
        shape.node_selector.sort();
        shape.selector_ids = shape::selector_ids(&shape.node_selector, &self.cluster);
        let id = self.push_shape(shape);
        self.ungated_shapes.insert(key, id);
        id
    }

    /// Runs one of the API server's handlers.
    pub(crate) fn api_server<R>(
        &mut self,
        handler: impl FnOnce(&mut crate::apiserver::ApiServer, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.api_server, handler)
    }

    /// Runs one of kube-scheduler's handlers.
    pub(crate) fn scheduler<R>(
        &mut self,
        handler: impl FnOnce(&mut Scheduler, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.scheduler, handler)
    }

    pub(crate) fn kueue<R>(
        &mut self,
        handler: impl FnOnce(&mut crate::kueue::controller::KueueController, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.kueue, handler)
    }

    /// Handles one event; returns true when the run must stop.
    pub(crate) fn dispatch(&mut self, event: Event) -> bool {
        if (event.pod_ignored_once_removed()).is_some_and(|pod| self.pods.released(pod)) {
            return false;
        }
        match event {
            Event::SubmitJobSet { workload } => {
                self.api_server(|a, c| a.on_submit_jobset(c, workload))
            }
            Event::UpdateJobSet { workload, update } => self.update_jobset(workload, update),
            Event::ReconcileJobSet(js) => {
                self.jobset_controller(|j, c| j.on_reconcile_jobset(c, js))
            }
            Event::SyncJob(job) => self.job_controller(|jc, c| jc.on_sync_job(c, job)),
            Event::JobWorkersFree => self.job_controller(|jc, c| jc.on_workers_free(c)),
            Event::FinalizerRemoved(pod) => self.finalizer_removed(pod),
            Event::PodCreated(pod) => self.api_server(|a, c| a.on_pod_created(c, pod)),
            Event::SchedulerAddPod(pod) => self.scheduler(|s, c| s.on_add_pod(c, pod)),
            Event::SchedulerPodGone(pod) => self.scheduler(|s, c| s.on_pod_gone(c, pod)),
            Event::SchedulerCycle => self.scheduler(|s, c| s.on_cycle(c)),
            Event::KueueWorkloadCreated(js) => self.kueue(|k, c| k.on_workload_created(c, js)),
            Event::KueueCycle => self.kueue(|k, c| k.on_cycle(c)),
            Event::KueueStartJobSet(wl) => self.kueue(|k, c| k.on_start_jobset(c, wl)),
            Event::KueueStopJobSet(wl) => self.kueue(|k, c| k.on_stop_jobset(c, wl)),
            Event::KueueJobSetStatus(js) => self.kueue(|k, c| k.on_jobset_status(c, js)),
            Event::KueuePodsReadyTimeout { wl, generation } => {
                self.kueue(|k, c| k.on_pods_ready_timeout(c, wl, generation))
            }
            Event::KueueBackoffDone(wl) => self.kueue(|k, c| k.on_backoff_done(c, wl)),
            Event::KueueRequeueTrigger(root) => self.kueue(|k, c| k.on_requeue_trigger(c, root)),
            Event::KueueAfsSample => self.kueue(|k, c| k.on_afs_sample(c)),
            Event::KueuePodGated(pod) => self.kueue(|k, c| k.on_pod_gated(c, pod)),
            Event::KueueUngateLands(pod) => self.kueue(|k, c| k.on_ungate_lands(c, pod)),
            Event::KueueNodeChanged(node) => self.kueue(|k, c| k.on_node_changed(c, node)),
            Event::KueueChecksAnswered { wl, generation } => {
                self.kueue(|k, c| k.on_checks_answered(c, wl, generation))
            }
            Event::KueueMaxExecTime { wl, generation } => {
                self.kueue(|k, c| k.on_max_exec_time(c, wl, generation))
            }
            Event::SchedulerBackoffDone(pod) => self.scheduler(|s, c| s.on_backoff_done(c, pod)),
            Event::SchedulerFlushUnschedulable => {
                self.scheduler(|s, c| s.on_flush_unschedulable(c))
            }
            Event::BindDone { pod, node } => self.scheduler(|s, c| s.on_bind_done(c, pod, node)),
            Event::PodRunning(pod) => self.kubelet(|k, c| k.on_pod_running(c, pod)),
            Event::PodReady(pod) => self.kubelet(|k, c| k.on_pod_ready(c, pod)),
            Event::ContainerExit { pod, exit_code } => {
                self.kubelet(|k, c| k.on_container_exit(c, pod, exit_code))
            }
            Event::ContainerRestart(pod) => self.kubelet(|k, c| k.on_container_restart(c, pod)),
            Event::AgentSync(pod) => self.in_place_agents(|a, c| a.on_agent_sync(c, pod)),
            Event::NodeNotReady(node) => self.node_lifecycle(|n, c| n.on_node_not_ready(c, node)),
            Event::NodeTaintNoExecute(node) => {
                self.node_lifecycle(|n, c| n.on_node_taint_no_execute(c, node))
            }
            Event::EvictPod(pod) => self.node_lifecycle(|n, c| n.on_evict_pod(c, pod)),
            Event::FaultFires { fault, target } => {
                self.inject(|f, c| f.on_fault_fires(c, fault, target))
            }
            Event::NodeRepaired(node) => self.inject(|f, c| f.on_node_repaired(c, node)),
            Event::TrainingStart { js, generation } => {
                self.training(|t, c| t.on_training_start(c, js, generation))
            }
            Event::TrainingDone { js, generation } => {
                self.training(|t, c| t.on_training_done(c, js, generation))
            }
            Event::PodRemoved(pod) => self.api_server(|a, c| a.on_pod_removed(c, pod)),
            Event::DeletePod { pod, reason } => self.delete_pod_landed(pod, reason),
            Event::GcDeleteDependents(job) => self.gc(|gc, c| gc.on_delete_dependents(c, job)),
            Event::JobRemoved(job) => self.api_server(|a, c| a.on_job_removed(c, job)),
            Event::EndOfRun => {
                self.ended_at_ns = Some(self.now());
                return true;
            }
        }
        false
    }

    /// A tracking finalizer's PATCH landed (the API server) and returned (the Job
    /// controller's books).
    fn finalizer_removed(&mut self, pod: PodId) {
        self.job_controller.finalizer_patch_returned(pod);
        self.api_server(|a, ctx| a.on_finalizer_removed(ctx, pod));
    }

    /// A client's pod DELETE lands at the API server, with the reason it was sent for.
    fn delete_pod_landed(&mut self, pod: PodId, reason: u16) {
        let reason = self.delete_requests.reason(reason);
        self.api_server(|a, ctx| a.delete_pod(ctx, pod, &reason, false));
    }

    /// Runs one of the in-place restart agents' handlers.
    fn in_place_agents<R>(
        &mut self,
        handler: impl FnOnce(&mut crate::control::in_place::InPlaceAgents, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.in_place_agents, handler)
    }

    /// Runs one of the fault injectors' handlers.
    fn inject<R>(
        &mut self,
        handler: impl FnOnce(&mut crate::inject::FaultInjectors, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.inject, handler)
    }

    /// Runs one of the garbage collector's handlers.
    fn gc<R>(
        &mut self,
        handler: impl FnOnce(&mut crate::control::gc::GarbageCollector, &mut ctx::Ctx<'_>) -> R,
    ) -> R {
        self.handle(|sim| &mut sim.gc, handler)
    }

    /// Runs every invariant; records the violations and returns false on any.
    fn sweep_invariants(&mut self) -> bool {
        let found = invariants::check(self);
        if found.is_empty() {
            return true;
        }
        let t = crate::engine::time::format_duration(self.now());
        self.violations = found.into_iter().map(|v| format!("at {t}: {v}")).collect();
        self.ended_at_ns.get_or_insert(self.now());
        false
    }

    /// The name of pod `pod` by parts (what the API server holds it under).
    pub(crate) fn pod_name_key(&self, pod: PodId) -> PodNameKey {
        let p = &self.pods[pod as usize];
        let job = &self.store.jobs[p.job as usize];
        PodNameKey {
            jobset: job.jobset,
            rj: job.rj,
            job_index: job.job_index,
            index: p.index,
            suffix: p.suffix,
        }
    }

    /// The message of the pod's `PodScheduled` condition while its last scheduling cycle
    /// found no node (reason Unschedulable).
    pub(crate) fn last_unschedulable(&self, pod: PodId) -> Option<&str> {
        let message = self.unschedulable_messages.get(&pod).map(|m| &**m);
        debug_assert_eq!(message.is_some(), self.pods[pod as usize].unschedulable);
        message
    }

    /// A pod's name as the API server gave it: `<job>-<index>-<suffix>`.
    pub(crate) fn pod_name(&self, pod: PodId) -> String {
        let mut name = String::new();
        self.write_pod_name(pod, &mut name);
        name
    }

    /// Appends the pod's name to `out` (a reused buffer when writing many rows).
    pub(crate) fn write_pod_name(&self, pod: PodId, out: &mut String) {
        use std::fmt::Write;
        let p = &self.pods[pod as usize];
        let suffix = std::str::from_utf8(&p.suffix).expect("the suffix alphabet is ASCII");
        let _ = write!(
            out,
            "{}-{}-{suffix}",
            self.store.jobs[p.job as usize].name, p.index
        );
    }
}

/// Checks the scenario before anything is built (sizes, memory, Kueue's objects); returns
/// Kueue's controller for it, inert without a `kueue:` section.
fn check_scenario(
    scenario: &Scenario,
) -> Result<crate::kueue::controller::KueueController, SimError> {
    let mut errors = vec![];
    crate::scenario::check_sizes(&scenario.workloads, &mut errors);
    // Before anything is allocated: past the limit, the build itself would exhaust memory.
    errors.extend(crate::scenario::memory::check(scenario).err());
    errors.extend(crate::kueue::controller::KueueController::check_jobsets(
        scenario,
    ));
    let kueue = crate::kueue::controller::KueueController::for_scenario(scenario)
        .map_err(|message| InputError::new(&scenario.file, message).at_path("kueue"));
    match kueue {
        Ok(k) if errors.is_empty() => Ok(k),
        Ok(_) => Err(SimError::Input(errors)),
        Err(e) => {
            errors.push(e);
            Err(SimError::Input(errors))
        }
    }
}

/// Every resource name some pod template requests, interned for the cluster's dims.
fn resources_of(scenario: &Scenario) -> ResourceIndex {
    let mut resources = ResourceIndex::default();
    for w in &scenario.workloads {
        for rj in &w.jobset.spec.replicated_jobs {
            shape::intern_resources(&rj.template.spec.template.spec, &mut resources);
        }
    }
    resources
}

/// kube-scheduler at the scenario's client rate, with Kueue's pod priority classes.
fn new_scheduler(scenario: &Scenario, streams: &RngStreams) -> Scheduler {
    Scheduler::new(
        streams.stream("scheduler"),
        client(scenario.control.scheduler.client),
        crate::scheduler::preemption::Preemption::new(
            crate::scheduler::preemption::PriorityClasses::new(
                scenario
                    .kueue
                    .as_ref()
                    .map_or(&[][..], |k| &k.pod_priority_classes[..]),
            ),
            streams.stream("scheduler.preemption"),
        ),
    )
}

/// Rejects a scenario in which some pod could not run on any node even if the cluster were
/// empty: such a run could only ever report that pod as pending. Pod templates are checked as
/// the JobSet controller will build them (node-selector strategy included, per Job), and only
/// against the candidate nodes of their selector, so the check stays fast at scale.
fn check_pods_can_fit(scenario: &Scenario, cluster: &Cluster) -> Result<(), SimError> {
    use crate::control::jobset::{exclusive_placement, pin_to_prepared_nodes};
    use crate::scheduler::filter;
    let mut errors = vec![];
    for w in &scenario.workloads {
        let js = &w.jobset;
        let namespace = js.metadata.namespace.as_deref().unwrap_or("default");
        for (i, rj) in js.spec.replicated_jobs.iter().enumerate() {
            let (_, per_job) = exclusive_placement(js, rj);
            let replicas = rj.replicas.unwrap_or(1).max(0) as usize;
            let jobs: Vec<Option<usize>> = if per_job {
                (0..replicas).map(Some).collect()
            } else {
                vec![None]
            };
            for job_index in jobs {
                let mut spec = rj.template.spec.template.spec.clone();
                if let Some(j) = job_index {
                    pin_to_prepared_nodes(
                        &mut spec,
                        namespace,
                        &format!("{}-{}-{j}", js.metadata.name, rj.name),
                    );
                }
                let shape = shape::compile(&spec, cluster);
                let candidates = crate::scheduler::candidates(cluster, &shape);
                let fits = match &candidates {
                    Some(list) => list
                        .iter()
                        .any(|&n| filter::passes(cluster, n, &shape, true)),
                    None => {
                        (0..cluster.len() as u32).any(|n| filter::passes(cluster, n, &shape, true))
                    }
                };
                if !fits {
                    let diag = filter::diagnose(cluster, &shape, candidates.as_deref(), true);
                    let whose = match job_index {
                        Some(j) => format!("pods of Job {}-{}-{j}", js.metadata.name, rj.name),
                        None => format!("pods of replicated job {:?}", rj.name),
                    };
                    errors.push(
                        InputError::new(
                            &w.source,
                            format!(
                                "{whose} can never be scheduled, even on an empty cluster: {}",
                                diag.message()
                            ),
                        )
                        .at_path(format!(
                            "spec.replicatedJobs[{i}].template.spec.template.spec"
                        )),
                    );
                    break; // one error per replicated job is enough
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SimError::Input(errors))
    }
}
