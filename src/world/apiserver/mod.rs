//! The API server's side of the run, as a component with its own state. It keeps what it
//! alone keeps: the names of the pods it holds (a generated name is never given twice) and
//! its random stream for generated names and UIDs. Its handlers, over `Ctx`, are the writes
//! that land on it: a JobSet's create and the user's update, a Job's create and foreground
//! DELETE, a Job's and a deleted JobSet's removal (here), a pod's create through the pod
//! webhooks (`pod_admission.rs`), a pod DELETE landing and a pod object's removal
//! (`pod_deletion.rs`). The objects are stored in the `Store` and the pod store, and a pod
//! changes only through the pod-change path (`Ctx::change_pod`).
//!
//! Re-entrance: it runs through `Sim::handle` like every component, so while one of its
//! handlers runs, its slot is empty. Its watchers (the Job controller's informers, the
//! garbage collector, the JobSet controller's work queue, Kueue, the pod-change path's
//! watchers) are told synchronously, in the order they always were, and none of them calls
//! back into the API server within the same call: a watcher that creates or deletes does it
//! from its own event (a Job sync, a GC pass, a reconcile). The one piece of its state the
//! pod-change path used to touch, the name of a removed pod, is released here, just before
//! the removal goes through the path. A re-entry would stop the run (`Slot`), so a watcher
//! that ever calls back is found by the first test that reaches it.

mod pod_admission;
mod pod_deletion;
mod pod_names;

pub(crate) use pod_admission::Admitted;

use crate::engine::StreamRng;
use crate::metrics::objects::{JobChange, JobSetChange};
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use pod_names::LivePodNames;

/// The API server's own state.
#[derive(Debug)]
pub(crate) struct ApiServer {
    /// The "names" stream: generated pod name suffixes and JobSet UIDs.
    names: StreamRng,
    /// Names of the pods it holds (created and not yet removed), so that a generated name is
    /// never given twice (`generate_pod_suffix`).
    live_pod_names: LivePodNames,
}

impl ApiServer {
    pub(crate) fn new(names: StreamRng) -> Self {
        ApiServer {
            names,
            live_pod_names: Default::default(),
        }
    }

    /// Random lowercase suffix as generateName produces it (5 characters from the alphabet
    /// without vowels and look-alikes).
    fn random_suffix(&mut self) -> [u8; 5] {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        std::array::from_fn(|_| {
            ALPHABET[crate::engine::rng::below(&mut self.names, ALPHABET.len() as u64) as usize]
        })
    }

    /// The suffix of a new pod named like `name` (its suffix ignored), as generated for the
    /// Job controller's `generateName: <job>-<index>-`: random, and drawn again while a pod it
    /// holds already has the name (RetryGenerateName, GA in Kubernetes 1.32: at most 8
    /// attempts in all). None when every attempt collided: the create fails with
    /// AlreadyExists. The name is taken until the pod is removed (`release_pod_name`).
    fn generate_pod_suffix(&mut self, mut name: PodNameKey) -> Option<[u8; 5]> {
        const NAME_GENERATION_ATTEMPTS: usize = 8;
        for _ in 0..NAME_GENERATION_ATTEMPTS {
            name.suffix = self.random_suffix();
            if self.live_pod_names.insert(name) {
                return Some(name.suffix);
            }
        }
        None
    }

    /// It no longer holds the pod named `name`: the name can be generated again.
    fn release_pod_name(&mut self, name: &PodNameKey) {
        let held = self.live_pod_names.remove(name);
        assert!(held, "internal error: a removed pod held its name");
    }

    /// It holds a pod named `name` (the invariants' view).
    pub(crate) fn holds_pod_name(&self, name: &PodNameKey) -> bool {
        self.live_pod_names.contains(name)
    }

    /// How many pod names it holds.
    pub(crate) fn pod_names_held(&self) -> usize {
        self.live_pod_names.len()
    }

    /// A JobSet's `metadata.uid`.
    fn random_uid(&mut self) -> String {
        use rand::RngCore;
        let mut b = [0u8; 16];
        self.names.fill_bytes(&mut b);
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// The user creates the JobSet of the scenario's workload `workload`: Kueue's mutating
    /// webhook defaults it (when the scenario runs Kueue), the store takes it, and its
    /// watchers hear of it (the JobSet controller's work queue, Kueue's JobSet watch).
    pub(crate) fn on_submit_jobset(&mut self, ctx: &mut Ctx, workload: u32) {
        let mut spec = ctx.workload(workload).jobset.clone();
        // Kueue's mutating webhook: queue and priority labels defaulted, a managed JobSet
        // suspended until its Workload is admitted.
        let kueue_managed = ctx.kueue_default_jobset(&mut spec);
        let uid = self.random_uid();
        let replicated_jobs = (spec.spec.replicated_jobs.iter())
            .map(|r| ReplicatedJobStatus {
                name: r.name.clone(),
                ..Default::default()
            })
            .collect();
        let js = JobSetObj {
            name: spec.metadata.name.clone(),
            namespace: (spec.metadata.namespace.clone()).unwrap_or_else(|| "default".into()),
            uid,
            status: JobSetStatus {
                replicated_jobs,
                ..Default::default()
            },
            spec,
            generation: 1,
            taken_names: Default::default(),
            created_at_ns: ctx.now(),
            deletion_ns: None,
        };
        let id = ctx.store_jobset(js, workload);
        let now = ctx.now();
        let spec = &ctx.jobset(id).spec.spec;
        let pods_needed = spec.total_pods_at_once();
        let staged = (spec.replicated_jobs.iter())
            .any(|rj| (rj.depends_on.iter().flatten()).any(|d| d.status == "Complete"));
        let created = JobSetChange::Created {
            pods_needed,
            staged,
        };
        ctx.metrics().observe_jobset(now, id, created);
        let watch = ctx.params().watch_delay_ns;
        ctx.enqueue_jobset(id, watch);
        if kueue_managed {
            ctx.kueue_jobset_created(id);
        }
    }

    /// The user's update of JobSet `js` (`workloads[].updates`): today, `spec.suspend`. A new
    /// generation, which the JobSet controller's watch hears once it lands.
    pub(crate) fn on_update_jobset(&mut self, ctx: &mut Ctx, js: JsId, suspend: bool) {
        ctx.write_jobset(js, |obj| {
            obj.spec.spec.suspend = Some(suspend);
            obj.generation += 1;
        });
        let p = ctx.params();
        let seen = p.api_call_latency_ns + p.watch_delay_ns;
        ctx.enqueue_jobset(js, seen);
    }

    /// A Job the JobSet controller created: the store takes it with its compiled pod
    /// template, and the Job controller's informer learns of it. (The scheduler learns its
    /// pods' labels from its pod informer, as each pod is created:
    /// `Scheduler::on_pod_informed`.)
    pub(crate) fn create_job(
        &mut self,
        ctx: &mut Ctx,
        job: JobObj,
        template: crate::control::pod_templates::JobPodTemplate,
    ) -> JobId {
        ctx.store_job(job, template)
    }

    /// Foreground deletion of a child Job (§3.6), landing at `at_ns`: the Job stays, with a
    /// deletionTimestamp, until the garbage collector (which watches it) has removed its pods.
    pub(crate) fn delete_job(&mut self, ctx: &mut Ctx, j: JobId, at_ns: crate::engine::SimTime) {
        ctx.write_job(j, |job| job.deletion_ns = Some(at_ns));
        ctx.metrics().observe_job(at_ns, j, JobChange::Deleting);
        ctx.gc_job_deleting(j);
        // The Job controller's Job informer hears of the deletionTimestamp (a new generation:
        // synced at once); its sync then removes every pod's tracking finalizer.
        let delay = at_ns.saturating_sub(ctx.now()) + ctx.params().watch_delay_ns;
        ctx.enqueue_job(j, delay);
    }

    /// The garbage collector removed Job `j` (its last pod went): its JobSet's controller
    /// hears of it, and a deleted JobSet goes with its last Job.
    pub(crate) fn on_job_removed(&mut self, ctx: &mut Ctx, j: JobId) {
        if !ctx.remove_job(j) {
            return;
        }
        let now = ctx.now();
        ctx.metrics().observe_job(now, j, JobChange::Deleted);
        let js = ctx.job(j).jobset;
        ctx.jobset_job_changed(j);
        self.finish_jobset_deletion(ctx, js);
        let watch = ctx.params().watch_delay_ns;
        ctx.enqueue_jobset(js, watch);
    }

    /// The JobSet object goes once the garbage collector has removed its Jobs.
    pub(crate) fn finish_jobset_deletion(&mut self, ctx: &mut Ctx, js: JsId) {
        let jobs_left = !ctx.jobset_jobs(js).is_empty();
        let deleting = ctx.jobset(js).deletion_ns.is_some();
        if deleting && !jobs_left && ctx.remove_jobset(js) {
            let now = ctx.now();
            ctx.metrics().observe_jobset(now, js, JobSetChange::Deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_server() -> ApiServer {
        ApiServer::new(crate::engine::RngStreams::new(7).stream("names"))
    }

    fn name(suffix: [u8; 5]) -> PodNameKey {
        PodNameKey {
            jobset: 0,
            rj: 0,
            job_index: 0,
            index: 0,
            suffix,
        }
    }

    /// Live pods never share a name: a generated name a live pod holds is drawn again, and
    /// when all 8 attempts collide the create fails (AlreadyExists) instead of going through.
    /// A released name can be generated again.
    #[test]
    fn a_generated_pod_name_held_by_a_live_pod_is_drawn_again() {
        let mut a = api_server();
        let saved = a.names.clone();
        let draws: Vec<[u8; 5]> = (0..8).map(|_| a.random_suffix()).collect();
        a.names = saved.clone();
        a.live_pod_names.insert(name(draws[0]));
        assert_eq!(a.generate_pod_suffix(name(*b"xxxxx")), Some(draws[1]));
        assert!(a.holds_pod_name(&name(draws[1])));
        assert_eq!(a.pod_names_held(), 2);
        a.names = saved.clone();
        for &s in &draws {
            a.live_pod_names.insert(name(s));
        }
        assert_eq!(a.generate_pod_suffix(name(*b"xxxxx")), None);
        assert_eq!(a.pod_names_held(), 8, "a failed create holds no name");
        a.release_pod_name(&name(draws[0]));
        a.names = saved;
        assert_eq!(a.generate_pod_suffix(name(*b"xxxxx")), Some(draws[0]));
    }

    /// The user's update of a JobSet is a new generation, which the JobSet controller's watch
    /// hears one API call and one watch delay later (or sooner, with a reconcile queued).
    #[test]
    fn the_users_update_is_a_new_generation() {
        use crate::sim::Event;
        let mut sim = crate::control::gc::tests::running_job();
        sim.api_server(|a, ctx| a.on_update_jobset(ctx, 0, true));
        let js = &sim.store.jobsets[0];
        assert_eq!((js.spec.spec.suspend, js.generation), (Some(true), 2));
        let p = &sim.params;
        let due = sim.now() + p.api_call_latency_ns + p.watch_delay_ns;
        let mut reconcile_at = None;
        while let Some((at, event)) = sim.queue.pop() {
            if let Event::ReconcileJobSet(0) = event {
                reconcile_at = Some(at);
                break;
            }
        }
        assert!(
            reconcile_at.is_some_and(|at| at <= due),
            "the watch hears it"
        );
    }

    /// A foreground DELETE of a Job lands: the Job stays, with its deletionTimestamp, while
    /// the garbage collector deletes its pods, and goes with the last of them.
    #[test]
    fn a_job_deleted_in_the_foreground_goes_after_its_pods() {
        use crate::tests::common::step_until;
        let mut sim = crate::control::gc::tests::running_job();
        let now = sim.now();
        sim.api_server(|a, ctx| a.delete_job(ctx, 0, now));
        assert_eq!(sim.store.jobs[0].deletion_ns, Some(now));
        assert!(sim.store.job_exists(0) && !sim.job_pods[0].is_empty());
        step_until(&mut sim, |s| !s.store.job_exists(0));
        assert!(sim.job_pods[0].is_empty(), "its pods went first");
    }

    /// Each live pod of a run holds its name, and only they do.
    #[test]
    fn each_live_pod_holds_its_name() {
        let mut sim = crate::control::gc::tests::running_job();
        sim.run();
        let live = sim.pods.iter().filter(|p| !p.removed).count();
        assert!(live > 0);
        assert_eq!(sim.api_server.pod_names_held(), live);
    }
}
