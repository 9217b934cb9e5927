//! The API server's store of JobSets, Jobs and Services, apart from the components that read
//! and write them (issue 11 item 2). The objects stay in append-only arenas, so ids are
//! stable and a removed object can still be read by the end-of-run reports; whether the API
//! server still holds an object is the store's membership (`jobset_exists`, `job_exists`), and
//! the child Jobs of each JobSet are its index by owner (`jobset_jobs`), as an informer's
//! owner index is upstream. A kind's creates and removals go through one method here, which
//! keeps the membership and the index in step; the API server's side (`ApiServer::on_submit_jobset`,
//! `ApiServer::create_job`, the garbage collector's removals) calls them and tells the
//! watchers. Pods and their indexes are the pod store's (`Sim::pods`, `job_pods`,
//! `node_pods`).

use super::objects::{JobId, JobObj, JobSetObj, JsId};
use crate::engine::SimTime;

#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Every JobSet the API server has held, by `JsId`, in creation order.
    pub jobsets: Vec<JobSetObj>,
    /// The headless Services the JobSet controller created (an API object of their own, not
    /// a field of the JobSet): by `JsId`, when the create landed.
    services: Vec<Option<SimTime>>,
    /// Every Job the API server has held, by `JobId`, in creation order.
    pub jobs: Vec<JobObj>,
    /// Which Jobs the API server holds: the store's membership, not a field of the object
    /// (upstream a removed Job is simply gone).
    jobs_held: Vec<bool>,
    /// Each JobSet's child Jobs that the API server holds (being deleted included), in
    /// creation order: the index by owner over the Job store, as `job_pods` is over pods.
    jobset_jobs: Vec<Vec<JobId>>,
    /// Which JobSets the API server holds.
    jobsets_held: Vec<bool>,
}

impl Store {
    /// The one way a JobSet enters the store.
    pub(crate) fn insert_jobset(&mut self, obj: JobSetObj) -> JsId {
        self.jobsets.push(obj);
        self.jobset_jobs.push(vec![]);
        self.jobsets_held.push(true);
        (self.jobsets.len() - 1) as JsId
    }

    /// The one way a JobSet leaves it (its foreground deletion done); false if it was gone.
    pub(crate) fn remove_jobset(&mut self, js: JsId) -> bool {
        std::mem::replace(&mut self.jobsets_held[js as usize], false)
    }

    /// The one way a Job enters the store: its JobSet's index and names take it.
    pub(crate) fn insert_job(&mut self, job: JobObj) -> JobId {
        let js = job.jobset as usize;
        (self.jobsets[js].taken_names).add(job.rj, job.job_index);
        self.jobs.push(job);
        self.jobs_held.push(true);
        let id = (self.jobs.len() - 1) as JobId;
        self.jobset_jobs[js].push(id);
        id
    }

    /// The one way a Job leaves it: its JobSet's index and names let it go. False if it was
    /// already gone.
    pub(crate) fn remove_job(&mut self, j: JobId) -> bool {
        if !std::mem::replace(&mut self.jobs_held[j as usize], false) {
            return false;
        }
        let job = &self.jobs[j as usize];
        let js = job.jobset as usize;
        // The list keeps creation order, so it is sorted by id: found by bisection instead
        // of a pass over every child Job per removal (8,192 removals in a restart at 131k).
        let jobs = &mut self.jobset_jobs[js];
        debug_assert!(jobs.windows(2).all(|w| w[0] < w[1]));
        if let Ok(i) = jobs.binary_search(&j) {
            jobs.remove(i);
        }
        self.jobsets[js].taken_names.remove(job.rj, job.job_index);
        true
    }

    /// JobSet `js` is in the store (created and not yet removed).
    pub(crate) fn jobset_exists(&self, js: JsId) -> bool {
        self.jobsets_held[js as usize]
    }

    /// Job `j` is in the store (created and not yet removed).
    pub(crate) fn job_exists(&self, j: JobId) -> bool {
        self.jobs_held[j as usize]
    }

    /// Job `j` if the store holds it.
    pub(crate) fn live_job(&self, j: JobId) -> Option<&JobObj> {
        self.job_exists(j).then(|| &self.jobs[j as usize])
    }

    /// The Jobs the store holds, with their ids, in creation order.
    pub(crate) fn live_jobs(&self) -> impl Iterator<Item = (JobId, &JobObj)> {
        (self.jobs.iter().enumerate())
            .filter(|&(j, _)| self.jobs_held[j])
            .map(|(j, job)| (j as JobId, job))
    }

    /// JobSet `js`'s child Jobs that the store holds, in creation order.
    pub(crate) fn jobset_jobs(&self, js: JsId) -> &[JobId] {
        &self.jobset_jobs[js as usize]
    }

    /// The store takes JobSet `js`'s headless Service, the create landing at `at_ns`.
    pub(crate) fn insert_service(&mut self, js: JsId, at_ns: SimTime) {
        let i = js as usize;
        if self.services.len() <= i {
            self.services.resize(i + 1, None);
        }
        self.services[i] = Some(at_ns);
    }

    /// When JobSet `js`'s headless Service was created, if it was.
    pub(crate) fn service_created_ns(&self, js: JsId) -> Option<SimTime> {
        self.services.get(js as usize).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobset_obj() -> JobSetObj {
        let text = "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: s}\nspec:\n  replicatedJobs:\n  - name: w\n    replicas: 3\n    template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}}}\n";
        let mut loaded = crate::api::load::load_jobsets_from_str("s.yaml", text).expect("valid");
        JobSetObj {
            name: "s".into(),
            namespace: "default".into(),
            uid: "u".into(),
            spec: loaded.remove(0).jobset,
            generation: 1,
            status: Default::default(),
            taken_names: Default::default(),
            created_at_ns: 0,
            deletion_ns: None,
        }
    }

    fn job(jobset: JsId, job_index: u32) -> JobObj {
        JobObj {
            jobset,
            job_index,
            ..JobObj::for_tests(1)
        }
    }

    /// A Job's insert and removal keep the membership, its JobSet's index of child Jobs (in
    /// creation order) and the names its JobSet's Jobs take in step; a second removal is
    /// refused, and a removed Job's object stays readable for the reports.
    #[test]
    fn jobs_enter_and_leave_through_one_path() {
        let mut store = Store::default();
        let (a, b) = (
            store.insert_jobset(jobset_obj()),
            store.insert_jobset(jobset_obj()),
        );
        let jobs: Vec<JobId> = [(a, 0), (b, 0), (a, 1), (a, 2)]
            .map(|(js, i)| store.insert_job(job(js, i)))
            .to_vec();
        assert_eq!(jobs, [0, 1, 2, 3]);
        assert_eq!(store.jobset_jobs(a), [0, 2, 3]);
        assert_eq!(store.jobset_jobs(b), [1]);
        assert!(store.remove_job(2));
        assert!(!store.remove_job(2), "a Job is removed once");
        assert_eq!(store.jobset_jobs(a), [0, 3]);
        assert!(!store.job_exists(2) && store.live_job(2).is_none());
        assert_eq!(store.jobs[2].job_index, 1, "the arena keeps the object");
        assert!(store.live_job(3).is_some_and(|j| j.job_index == 2));
        // The name of the removed Job is free again; the others stay taken.
        assert_eq!(store.jobsets[a as usize].taken_names.missing(0, 3), [1]);
        assert_eq!(store.jobsets[b as usize].taken_names.missing(0, 3), [1, 2]);
        assert!(store.jobset_exists(a) && store.remove_jobset(a));
        assert!(!store.jobset_exists(a) && !store.remove_jobset(a));
        assert!(store.jobset_exists(b));
    }

    #[test]
    fn a_service_is_known_by_its_jobset_once_created() {
        let mut store = Store::default();
        assert_eq!(store.service_created_ns(3), None);
        store.insert_service(3, 7);
        assert_eq!(store.service_created_ns(3), Some(7));
        assert_eq!(store.service_created_ns(0), None);
    }
}
