//! The handle a component's handler works through, and the slot that holds a component while
//! it is not running one.
//!
//! A converted component's reactions are methods of its own type,
//! `fn on_…(&mut self, ctx: &mut Ctx, …)`: `self` is its private state, `ctx` the rest of the
//! world as the component may reach it: the clock and the control-plane parameters, the event
//! queue, the API objects (read, and written only through their transition paths:
//! `change_pod`, `update_node`, the API calls), the named interfaces upstream has between
//! components (the kubelet's status, the scheduler's node-change handling), and the metrics
//! observers. `Ctx` wraps the world privately, so a handler cannot reach another component's
//! fields. `Sim::handle` takes the component out of its `Slot` for the call and puts it back
//! after; a watcher that reached the same component again meanwhile would find its slot empty
//! and stop the run, so no component is ever changed behind its own handler's back.

use crate::apiserver::Admitted;
use crate::cluster::{Node, NodeId};
use crate::engine::{EventId, SimTime};
use crate::metrics::Recorder;
use crate::params::ControlPlane;
use crate::sim::objects::{
    JobId, JobObj, JobSetObj, JobSetStatus, JsId, LiveCounts, PodId, PodObj, ShapeId,
};
use crate::sim::pod_change::PodChange;
use crate::sim::shape::PodShape;
use crate::sim::{Event, Sim};

/// Where `Sim` keeps a component that runs its handlers through `Sim::handle`. Reading it
/// through `Deref` while its handler runs is a bug, stopped here. Boxed, so that taking the
/// component out and putting it back moves a pointer, not the component: the pod-change path
/// runs the training model's and the GC's handlers for most pod changes.
#[derive(Debug)]
pub(crate) struct Slot<T>(Option<Box<T>>);

impl<T> Slot<T> {
    pub(crate) fn new(component: T) -> Self {
        Slot(Some(Box::new(component)))
    }

    #[inline]
    fn take(&mut self) -> Box<T> {
        (self.0.take()).expect("internal error: a component's handler was re-entered")
    }

    #[inline]
    fn put(&mut self, component: Box<T>) {
        debug_assert!(self.0.is_none());
        self.0 = Some(component);
    }
}

impl<T> std::ops::Deref for Slot<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        (self.0.as_deref()).expect("internal error: a component was reached while its handler runs")
    }
}

impl<T> std::ops::DerefMut for Slot<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        (self.0.as_deref_mut())
            .expect("internal error: a component was reached while its handler runs")
    }
}

/// The world as a component's handler reaches it.
pub(crate) struct Ctx<'a> {
    sim: &'a mut Sim,
}

impl Sim {
    /// Runs one handler of the component in `slot` with the rest of the world behind a `Ctx`.
    pub(crate) fn handle<C, R>(
        &mut self,
        slot: fn(&mut Sim) -> &mut Slot<C>,
        handler: impl FnOnce(&mut C, &mut Ctx<'_>) -> R,
    ) -> R {
        let mut component = slot(self).take();
        let out = handler(&mut *component, &mut Ctx { sim: self });
        slot(self).put(component);
        out
    }
}

impl Ctx<'_> {
    pub(crate) fn now(&self) -> SimTime {
        self.sim.now()
    }

    pub(crate) fn params(&self) -> &ControlPlane {
        &self.sim.params
    }

    #[inline(always)] // the queue's, inlined, without a call around it
    pub(crate) fn schedule_at(&mut self, at_ns: SimTime, event: Event) -> EventId {
        self.sim.queue.schedule_at(at_ns, event)
    }

    #[inline(always)]
    pub(crate) fn schedule_in(&mut self, delay_ns: SimTime, event: Event) -> EventId {
        self.sim.queue.schedule_in(delay_ns, event)
    }

    /// An event scheduled by this handler's component will not happen after all.
    pub(crate) fn cancel(&mut self, event: EventId) {
        self.sim.queue.cancel(event);
    }

    /// The scenario's workload entry `w` (its scripted container runs).
    pub(crate) fn workload(&self, w: u32) -> &crate::scenario::Workload {
        &self.sim.scenario.workloads[w as usize]
    }

    /// The id of a container name in the run's table (`PodObj::last_exit` carries it).
    pub(crate) fn intern_container(&mut self, name: &str) -> u16 {
        crate::control::kubelet::intern_container(&mut self.sim.container_names, name)
    }

    /// The id of Job `j`'s first container's name (the one exit codes are reported for).
    pub(crate) fn main_container(&mut self, j: JobId) -> u16 {
        self.sim.main_container(j)
    }

    /// The container name interned as `id` (`PodObj::last_exit`).
    pub(crate) fn container_name(&self, id: u16) -> &str {
        &self.sim.container_names[id as usize]
    }

    // The API objects, read.

    pub(crate) fn jobset(&self, js: JsId) -> &JobSetObj {
        &self.sim.store.jobsets[js as usize]
    }

    /// Every JobSet the API server has held, in creation order.
    pub(crate) fn jobsets(&self) -> &[JobSetObj] {
        &self.sim.store.jobsets
    }

    pub(crate) fn job(&self, j: JobId) -> &JobObj {
        &self.sim.store.jobs[j as usize]
    }

    /// The scenario entry JobSet `js` was submitted from (`Sim::jobset_workloads`).
    pub(crate) fn jobset_workload(&self, js: JsId) -> u32 {
        self.sim.jobset_workloads[js as usize]
    }

    /// JobSet `js` is in the API server's store (created and not yet removed).
    pub(crate) fn jobset_exists(&self, js: JsId) -> bool {
        self.sim.store.jobset_exists(js)
    }

    /// JobSet `js`'s child Jobs that the API server holds, in creation order (the index by
    /// owner over the Job store).
    pub(crate) fn jobset_jobs(&self, js: JsId) -> &[JobId] {
        self.sim.store.jobset_jobs(js)
    }

    /// Job `j` is in the API server's store (created and not yet removed).
    pub(crate) fn job_exists(&self, j: JobId) -> bool {
        self.sim.store.job_exists(j)
    }

    /// Job `j` if the API server's store holds it.
    pub(crate) fn live_job(&self, j: JobId) -> Option<&JobObj> {
        self.job_exists(j).then(|| self.job(j))
    }

    pub(crate) fn pod(&self, pod: PodId) -> &PodObj {
        &self.sim.pods[pod as usize]
    }

    /// The pods the API server holds for Job `j`, in creation order.
    pub(crate) fn job_pods(&self, j: JobId) -> &[PodId] {
        &self.sim.job_pods[j as usize]
    }

    /// Job `j`'s pods counted as a sync counts them (the pod informer's index, kept by the
    /// pod-change path).
    pub(crate) fn job_pod_counts(&self, j: JobId) -> LiveCounts {
        self.sim.job_pod_counts[j as usize]
    }

    /// The pod's name as the API server generated it.
    pub(crate) fn pod_name(&self, pod: PodId) -> String {
        self.sim.pod_name(pod)
    }

    pub(crate) fn shape(&self, shape: ShapeId) -> &PodShape {
        &self.sim.shapes[shape as usize]
    }

    pub(crate) fn node(&self, n: NodeId) -> &Node {
        self.sim.cluster.node(n)
    }

    /// The node called `name`, if any.
    pub(crate) fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.sim.cluster.node_by_name(name)
    }

    /// Node `n`'s value of label `key`.
    pub(crate) fn node_label(&self, n: NodeId, key: &str) -> Option<&str> {
        self.sim.cluster.label_value(n, key)
    }

    /// Job `j`'s labels and annotations and its pod template's (`constructJob`).
    pub(crate) fn job_metadata(&self, j: JobId) -> crate::control::jobset::JobMetadata {
        self.sim.job_metadata(j)
    }

    /// The topology key of Job `j`'s leader/follower placement, if its pods have one.
    pub(crate) fn exclusive_key(&self, j: JobId) -> Option<&str> {
        self.sim.pod_templates.exclusive_key(j)
    }

    /// Whether feature gate `name` is on.
    pub(crate) fn gate(&self, name: &str) -> bool {
        self.sim.scenario.gate(name)
    }

    /// The JobSet restarts in place (gate and `restartStrategy: InPlaceRestart`, not disabled
    /// by annotation).
    pub(crate) fn in_place_enabled(&self, js: JsId) -> bool {
        self.sim.in_place_enabled(js)
    }

    /// The pods bound to node `n` that have not finished, in binding order.
    pub(crate) fn pods_on_node(&mut self, n: NodeId) -> Vec<PodId> {
        self.sim.pods_on_node(n)
    }

    // The API objects, written through their transition paths.

    pub(crate) fn change_pod(&mut self, pod: PodId, change: PodChange) {
        self.sim.change_pod(pod, change);
    }

    /// The scheduler, the last to hear of a removed pod, is done with it: its slot is free.
    pub(crate) fn release_pod_slot(&mut self, pod: PodId) {
        self.sim.release_pod_slot(pod);
    }

    /// The Job controller accounted failed `pod`: if its slot waited for that, it is free.
    pub(crate) fn release_accounted_pod(&mut self, pod: PodId) {
        if self.sim.pods.release_deferred(pod) {
            self.sim.unschedulable_messages.remove(&pod);
        }
    }

    /// Pod `pod` was removed and its slot given to another pod: no field of it is left.
    pub(crate) fn pod_released(&self, pod: PodId) -> bool {
        self.sim.pods.released(pod)
    }

    /// A write of Job `j`'s status (the Job controller's `UpdateStatus`: active, ready,
    /// succeeded and failed counts, completed and failed indexes, start time, conditions).
    /// No other field of the Job is the writer's to change.
    pub(crate) fn update_job_status<R>(
        &mut self,
        j: JobId,
        write: impl FnOnce(&mut JobObj) -> R,
    ) -> R {
        write(&mut self.sim.store.jobs[j as usize])
    }

    /// The JobSet pod webhooks' verdict on a pod of Job `j` at completion `index`, as the API
    /// server calls them on a create: the shape the pod gets, or None when denied.
    pub(crate) fn admit_pod(&mut self, j: JobId, index: u32) -> Option<Admitted> {
        self.sim.api_server(|a, ctx| a.admit_pod(ctx, j, index))
    }

    /// A pod create that reaches the API server at `at`, with the webhooks' verdict: the pod is
    /// stored under a generated name and `PodCreated` follows. False when it is refused
    /// (denied, or no free name), which the metrics count.
    pub(crate) fn create_pod(
        &mut self,
        j: JobId,
        index: u32,
        admitted: Option<&Admitted>,
        at: SimTime,
    ) -> bool {
        (self.sim).api_server(|a, ctx| a.create_pod(ctx, j, index, admitted, at))
    }

    /// A write of JobSet `js`'s status by its controller's reconcile (conditions, counters,
    /// restarts, the in-place attempts, the terminal state). The reconcile's writes land as one
    /// status write when the pass ends (`jobset_status_written`). No other field of the JobSet
    /// is the writer's to change.
    pub(crate) fn update_jobset_status<R>(
        &mut self,
        js: JsId,
        write: impl FnOnce(&mut JobSetStatus) -> R,
    ) -> R {
        write(&mut self.sim.store.jobsets[js as usize].status)
    }

    /// The JobSet status the reconcile wrote landed (`before`: as the reconcile found it): the
    /// finish time is noted and the metrics observe the write.
    pub(crate) fn jobset_status_written(&mut self, js: JsId, before: &JobSetStatus) {
        self.sim.jobset_status_written(js, before);
    }

    /// The JobSet's headless Service is created, landing at `at_ns`.
    pub(crate) fn create_service(&mut self, js: JsId, at_ns: SimTime) {
        self.sim.store.insert_service(js, at_ns);
    }

    /// Does the JobSet's headless Service exist (the controller's Service lister)?
    pub(crate) fn service_exists(&self, js: JsId) -> bool {
        self.sim.store.service_created_ns(js).is_some()
    }

    /// A foreground DELETE of JobSet `js`, landing at `at_ns`: it gets its deletionTimestamp.
    pub(crate) fn delete_jobset(&mut self, js: JsId, at_ns: SimTime) {
        self.sim.store.jobsets[js as usize].deletion_ns = Some(at_ns);
        (self.sim.rec).observe_jobset(at_ns, js, crate::metrics::objects::JobSetChange::Deleting);
    }

    /// The API server removes a deleted JobSet once its Jobs are gone.
    pub(crate) fn finish_jobset_deletion(&mut self, js: JsId) {
        self.sim
            .api_server(|a, ctx| a.finish_jobset_deletion(ctx, js));
    }

    /// A pod spec compiled to the shape the scheduler and the kubelet read: kube-scheduler
    /// compiles its InterPodAffinity terms (`Scheduler::compile_pod_shape`).
    pub(crate) fn compile_pod_shape(
        &mut self,
        spec: &crate::api::types::PodSpec,
        labels: &crate::api::types::StringMap,
        namespace: &str,
    ) -> ShapeId {
        self.sim.compile_pod_shape(spec, labels, namespace)
    }

    /// How many Jobs the API server has ever stored (ids are `0..job_count`).
    pub(crate) fn job_count(&self) -> JobId {
        self.sim.store.jobs.len() as JobId
    }

    /// The labels every pod of Job `j` carries (`Sim::job_pod_labels`).
    pub(crate) fn job_pod_labels(&self, j: JobId) -> crate::api::types::StringMap {
        self.sim.job_pod_labels(j)
    }

    /// A shape already compiled (`PodShape::with_own_label` of a compiled one) stored as is.
    pub(crate) fn push_shape(&mut self, shape: PodShape) -> ShapeId {
        self.sim.push_shape(shape)
    }

    /// Does the scheduler's affinity index keep Jobs' pod labels (some inter-pod term exists)?
    pub(crate) fn affinity_index_keeps_labels(&self) -> bool {
        self.sim.scheduler.keeps_pod_labels()
    }

    /// A Job create reaching the API server (the JobSet controller's `constructJob`): stored
    /// with its compiled pod template; the Job controller's informer learns of it.
    pub(crate) fn create_job(
        &mut self,
        job: JobObj,
        template: crate::control::pod_templates::JobPodTemplate,
    ) -> JobId {
        self.sim
            .api_server(|a, ctx| a.create_job(ctx, job, template))
    }

    /// Kueue's patch of JobSet `js` (§3.3 step 3, §3.6 step 1): each replicated job's pod
    /// template gets this nodeSelector and these tolerations, the topology scheduling gate
    /// when the flag is set (removed otherwise), and `spec.suspend` this value.
    /// The JobSet controller's watch hears of it.
    pub(crate) fn kueue_patch_jobset(
        &mut self,
        js: JsId,
        templates: Vec<(
            crate::api::types::StringMap,
            Vec<crate::api::types::Toleration>,
            bool,
        )>,
        suspend: bool,
    ) {
        let obj = &mut self.sim.store.jobsets[js as usize];
        let rjs = &mut obj.spec.spec.replicated_jobs;
        assert_eq!(
            rjs.len(),
            templates.len(),
            "one template per replicated job"
        );
        for (rj, (selector, tolerations, topology_gate)) in rjs.iter_mut().zip(templates) {
            let pod = &mut rj.template.spec.template.spec;
            pod.node_selector = selector;
            pod.tolerations = tolerations;
            let gate = crate::kueue::topology::TOPOLOGY_GATE;
            pod.scheduling_gates.retain(|g| g.name != gate);
            if topology_gate {
                (pod.scheduling_gates)
                    .push(crate::api::types::SchedulingGate { name: gate.into() });
            }
        }
        obj.spec.spec.suspend = Some(suspend);
        obj.generation += 1;
        let delay = self.sim.params.watch_delay_ns;
        self.sim.enqueue_jobset(js, delay);
    }

    /// Job `j`'s pod template changed on resume (the JobSet controller's `resumeJob` merges
    /// what Kueue injected): the new spec and its compiled template.
    pub(crate) fn replace_job_template(
        &mut self,
        j: JobId,
        spec: std::sync::Arc<crate::api::types::JobSpec>,
        template: crate::control::pod_templates::JobPodTemplate,
    ) {
        self.sim.store.jobs[j as usize].spec = spec;
        self.sim.pod_templates.replace(j, template);
    }

    /// A write of Job `j`'s `spec.suspend` by the JobSet controller; a resume also clears
    /// `status.startTime` (`resumeJob`).
    pub(crate) fn set_job_suspended(&mut self, j: JobId, suspended: bool) {
        let job = &mut self.sim.store.jobs[j as usize];
        job.suspended = suspended;
        if !suspended {
            job.start_time_ns = None;
        }
    }

    /// A DELETE of `pod` was sent (by any client) and has not landed yet.
    pub(crate) fn pod_delete_in_flight(&self, pod: PodId) -> bool {
        self.sim.delete_requests.in_flight(pod)
    }

    /// A foreground DELETE of Job `j` landing at `at_ns`: the Job gets its deletionTimestamp
    /// and the garbage collector, which watches it, deletes its pods.
    pub(crate) fn delete_job(&mut self, j: JobId, at_ns: SimTime) {
        self.sim.api_server(|a, ctx| a.delete_job(ctx, j, at_ns));
    }

    pub(crate) fn update_node<R>(&mut self, n: NodeId, change: impl FnOnce(&mut Node) -> R) -> R {
        let health = |node: &Node| (node.ready, node.unschedulable, node.taints.clone());
        let before = self
            .sim
            .kueue_watches_nodes
            .then(|| health(self.sim.cluster.node(n)));
        let out = self.sim.cluster.update_node(n, change);
        // Kueue's TAS node controller watches Ready and taint changes (`node_controller.go`).
        if before.is_some_and(|b| b != health(self.sim.cluster.node(n))) {
            let watch = self.sim.params.watch_delay_ns;
            self.sim
                .queue
                .schedule_in(watch, Event::KueueNodeChanged(n));
        }
        out
    }

    /// Kueue's topology ungater patches a gated pod: its gate is gone and it is pinned to
    /// its domain (`shape` is the pod's new spec, from `derive_ungated_shape`).
    pub(crate) fn ungate_pod(&mut self, pod: PodId, shape: ShapeId) {
        let from = self.sim.pods[pod as usize].shape;
        self.sim
            .change_pod(pod, PodChange::Ungated { from, to: shape });
    }

    /// The spec of a gated pod of shape `gated` once the ungater has removed its gate and
    /// added `node_selector` (cached: every pod of a Job sent to one domain shares it).
    pub(crate) fn derive_ungated_shape(
        &mut self,
        gated: ShapeId,
        node_selector: &[(String, String)],
    ) -> ShapeId {
        self.sim.derive_ungated_shape(gated, node_selector)
    }

    /// The pods bound to node `n` (the pod informer's node-name index).
    pub(crate) fn node_pod_list(&self, n: NodeId) -> &[PodId] {
        self.sim.node_pods.get(n as usize)
    }

    /// The cluster's nodes (the Node lister).
    pub(crate) fn cluster(&self) -> &crate::cluster::Cluster {
        &self.sim.cluster
    }

    /// Sends a pod DELETE through the handler's own client: `send` says when its rate
    /// limiter lets a call issued at the given time go.
    pub(crate) fn request_pod_delete(
        &mut self,
        pod: PodId,
        reason: &str,
        send: impl FnOnce(SimTime) -> SimTime,
    ) {
        self.request_pod_delete_observed(pod, reason, |_, at_ns| send(at_ns));
    }

    /// A pod DELETE charged to the garbage collector's client (the JobSet pod reconciler's
    /// deletes of misplaced followers).
    pub(crate) fn gc_request_pod_delete(&mut self, pod: PodId, reason: &str) {
        self.sim.gc_request_pod_delete(pod, reason);
    }

    /// `request_pod_delete` whose sender also counts the calls it makes on the metrics.
    pub(crate) fn request_pod_delete_observed(
        &mut self,
        pod: PodId,
        reason: &str,
        send: impl FnOnce(&mut Recorder, SimTime) -> SimTime,
    ) {
        self.sim
            .send_pod_delete(pod, reason, |sim, at_ns| send(&mut sim.rec, at_ns));
    }

    /// The Eviction API (and the taint manager's deletes): a DELETE with a
    /// `DisruptionTarget` condition.
    pub(crate) fn evict_pod(&mut self, pod: PodId, reason: &str) {
        self.sim.api_server(|a, ctx| a.evict_pod(ctx, pod, reason));
    }

    // The API server's storage: only its handlers (`apiserver/`) call these.

    /// Kueue's mutating JobSet webhook on a create (when the scenario runs Kueue): true when
    /// Kueue manages the JobSet.
    pub(crate) fn kueue_default_jobset(&mut self, spec: &mut crate::api::types::JobSet) -> bool {
        self.sim.kueue.enabled() && self.sim.kueue.default_jobset(spec)
    }

    /// The store takes a new JobSet, submitted from the scenario's workload `workload`; the
    /// training model and the JobSet controller's books get their entry for it.
    pub(crate) fn store_jobset(&mut self, obj: JobSetObj, workload: u32) -> JsId {
        let id = self.sim.store.insert_jobset(obj);
        self.sim.jobset_workloads.push(workload);
        self.sim.add_training_state(id);
        self.sim.jobset_controller.jobset_created(id);
        id
    }

    /// Kueue's JobSet watch sees the JobSet it manages created.
    pub(crate) fn kueue_jobset_created(&mut self, js: JsId) {
        self.sim.kueue(|k, ctx| k.on_jobset_created(ctx, js));
    }

    /// A write of JobSet `js` as the API server stores it (a spec update).
    pub(crate) fn write_jobset(&mut self, js: JsId, write: impl FnOnce(&mut JobSetObj)) {
        write(&mut self.sim.store.jobsets[js as usize]);
    }

    /// A write of Job `j` as the API server stores it (its deletion).
    pub(crate) fn write_job(&mut self, j: JobId, write: impl FnOnce(&mut JobObj)) {
        write(&mut self.sim.store.jobs[j as usize]);
    }

    /// The store takes a new Job with its compiled pod template: the Job controller's
    /// informer learns of it, and the indexes over pods get its entries.
    pub(crate) fn store_job(
        &mut self,
        job: JobObj,
        template: crate::control::pod_templates::JobPodTemplate,
    ) -> JobId {
        let id = self.sim.store.insert_job(job);
        self.sim
            .job_controller(|jc, ctx| jc.on_job_created(ctx, id));
        self.sim.pod_templates.job_created(id, template);
        self.sim.job_pods.push(Default::default());
        self.sim.job_pod_counts.push(LiveCounts::default());
        id
    }

    /// Job `j` leaves the store; false when it had left already.
    pub(crate) fn remove_job(&mut self, j: JobId) -> bool {
        self.sim.store.remove_job(j)
    }

    /// JobSet `js` leaves the store; false when it had left already.
    pub(crate) fn remove_jobset(&mut self, js: JsId) -> bool {
        self.sim.store.remove_jobset(js)
    }

    /// The garbage collector's watch sees Job `j` deleted in the foreground.
    pub(crate) fn gc_job_deleting(&mut self, j: JobId) {
        (self.sim).handle(|sim| &mut sim.gc, |gc, ctx| gc.on_job_deleting(ctx, j));
    }

    /// The pod store takes a new pod (its create was sent; `Created` follows when it
    /// returns): the indexes over pods learn of it.
    pub(crate) fn insert_pod(&mut self, pod: PodObj) -> PodId {
        self.sim.insert_pod(pod)
    }

    /// Pod `pod`'s name by parts.
    pub(crate) fn pod_name_key(&self, pod: PodId) -> crate::sim::objects::PodNameKey {
        self.sim.pod_name_key(pod)
    }

    /// Job `j`'s pod template as its pods get it.
    pub(crate) fn pod_template(&self, j: JobId) -> &crate::control::pod_templates::JobPodTemplate {
        self.sim.pod_templates.of(j)
    }

    /// The compiled shape of Job `j`'s followers in topology domain `domain`, if compiled.
    pub(crate) fn follower_shape(&self, j: JobId, domain: &str) -> Option<ShapeId> {
        self.sim.pod_templates.follower_shape(j, domain)
    }

    /// The followers of Job `j` in topology domain `domain` get shape `shape`.
    pub(crate) fn add_follower_shape(&mut self, j: JobId, domain: String, shape: ShapeId) {
        self.sim.pod_templates.add_follower_shape(j, domain, shape);
    }

    // Named interfaces of other components.

    /// The kubelet of a node back from a failure fails the pods whose containers died with it.
    pub(crate) fn kubelet_pod_lost(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.pod_lost(ctx, pod));
    }

    /// The pod's node died: its containers stopped with it (the kubelet forgets their runs).
    pub(crate) fn kubelet_containers_died(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.containers_died(ctx, pod));
    }

    /// The kubelet's view of the pod's main container: a run is going on whose end is
    /// scheduled (what the in-place agent inside the container sees of it).
    pub(crate) fn kubelet_exit_pending(&self, pod: PodId) -> bool {
        self.sim.kubelet.exit_pending(pod)
    }

    /// The kubelet forgets the current run's scheduled end (the container is stopped now).
    pub(crate) fn kubelet_cancel_exit(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.cancel_exit(ctx, pod));
    }

    /// The kubelet ends the workload's current run now with exit code 0.
    pub(crate) fn kubelet_finish_run_now(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.finish_run_now(ctx, pod));
    }

    /// The kubelet starts the workload in the pod's running container.
    pub(crate) fn kubelet_start_worker(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.start_worker(ctx, pod));
    }

    /// The pod's container dies with `exit_code` (a device or software fault): its kubelet
    /// sees the exit.
    pub(crate) fn kubelet_kill_container(&mut self, pod: PodId, exit_code: i32, reason: &str) {
        self.sim
            .kubelet(|k, ctx| k.kill_container(ctx, pod, exit_code, reason));
    }

    /// The kernel OOM-kills the pod's container: its kubelet sees exit code 137, OOMKilled.
    pub(crate) fn kubelet_oom_kill(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.oom_kill(ctx, pod));
    }

    /// The pod's kubelet evicts it (node pressure).
    pub(crate) fn kubelet_evict(&mut self, pod: PodId) {
        self.sim.kubelet(|k, ctx| k.evict(ctx, pod));
    }

    /// The in-place restart agent in the pod's container starts (the kubelet started the
    /// container; the agent holds the worker behind its barrier).
    pub(crate) fn in_place_agent_starts(&mut self, pod: PodId) {
        self.sim.handle(
            |sim| &mut sim.in_place_agents,
            |agents, ctx| agents.on_container_start(ctx, pod),
        );
    }

    /// The pod's JobSet restarts in place (gate and `restartStrategy: InPlaceRestart`): its
    /// containers run the agent.
    pub(crate) fn in_place_enabled_for_pod(&self, pod: PodId) -> bool {
        self.sim.in_place_enabled_for_pod(pod)
    }

    /// The training model has told the JobSet's workers that the work is done.
    pub(crate) fn training_done(&self, js: JsId) -> bool {
        self.sim.training.is_done(js)
    }

    /// Node `n` dies: its containers stop with it and its lease stops being renewed, which
    /// the node lifecycle controller notices.
    pub(crate) fn node_fails(&mut self, n: NodeId) {
        self.sim.node_lifecycle(|c, ctx| c.on_node_fails(ctx, n));
    }

    /// Node `n` is back (repaired, or its maintenance is over) and renews its lease again.
    pub(crate) fn node_returns(&mut self, n: NodeId) {
        self.sim.node_lifecycle(|c, ctx| c.on_node_returns(ctx, n));
    }

    /// The JobSet controller's Job watch: Job `j` may have changed (a status write); its books
    /// re-classify the Job at its JobSet's next reconcile.
    pub(crate) fn jobset_job_changed(&mut self, j: JobId) {
        self.sim.jobset_controller.job_changed(j);
    }

    /// The Job controller's Job informer hears of a change to Job `j` (a create, a spec
    /// update) `delay_ns` from now: the Job is queued for a sync.
    pub(crate) fn enqueue_job(&mut self, j: JobId, delay_ns: u64) {
        self.sim.enqueue_job(j, delay_ns);
    }

    /// The JobSet controller's work queue gets JobSet `js` `delay_ns` from now (its watch
    /// heard of a write).
    pub(crate) fn enqueue_jobset(&mut self, js: JsId, delay_ns: u64) {
        self.sim.enqueue_jobset(js, delay_ns);
    }

    /// The scheduler cache's part of the cluster (its reservations of node capacity and the
    /// free-domain counts its fast path reads), which only kube-scheduler's handlers use.
    pub(crate) fn scheduler_cache(&mut self) -> crate::cluster::SchedulerCache<'_> {
        crate::cluster::SchedulerCache::new(&mut self.sim.cluster, &self.sim.shapes)
    }

    /// Label keys whose value differs node by node within a pool entry (hostname, node pool,
    /// topology levels), interned.
    pub(crate) fn node_varying_keys(&self) -> &[u32] {
        &self.sim.node_varying_keys
    }

    /// The events path: one FailedScheduling Event for `pod` (`first`: it had not failed to
    /// schedule before), which the metrics observe.
    pub(crate) fn observe_failed_scheduling(
        &mut self,
        pod: PodId,
        first: bool,
        verdict: &crate::scheduler::filter::Diagnosis,
    ) {
        self.sim.observe_failed_scheduling(pod, first, verdict);
    }

    /// A node update the scheduler's queue reacts to: unschedulable pods are retried.
    pub(crate) fn scheduler_node_changed(&mut self) {
        self.sim.scheduler(|s, ctx| s.move_all_unschedulable(ctx));
    }

    /// The metrics observers (`metrics/`).
    pub(crate) fn metrics(&mut self) -> &mut Recorder {
        &mut self.sim.rec
    }
}

#[cfg(test)]
mod tests {
    use super::Slot;

    /// A component taken out for its handler is back after it; reaching it meanwhile (a
    /// watcher calling into the component whose handler is running) stops the run.
    #[test]
    #[should_panic(expected = "reached while its handler runs")]
    fn a_component_is_out_of_reach_while_its_handler_runs() {
        let mut slot = Slot::new(7u32);
        let component = slot.take();
        slot.put(component);
        assert_eq!(*slot, 7);
        let _running = slot.take();
        let _ = *slot;
    }
}
