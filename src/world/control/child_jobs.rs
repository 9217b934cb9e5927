//! The JobSet controller's classification of each JobSet's child Jobs (`getChildJobs`, §3.3)
//! and the per-replicated-job counters it derives (`calculateReplicatedJobStatuses`, §3.4),
//! kept up to date from the Jobs that changed instead of recounted over every child Job on
//! every reconcile.
//!
//! A Job's change (created, status written, suspended or resumed, finished, removed) marks it
//! dirty; the next reconcile of its JobSet re-classifies only the dirty Jobs. What a Job's class
//! depends on that belongs to the JobSet (its restart attempt, and the per-index restarts under
//! the RestartJob gate) is kept as the snapshot the classes were computed against: when the
//! JobSet's differs, every child Job is classified again. Between two refreshes the books stay
//! as they were at the start of the reconcile, as the upstream reconcile's one listing does.
//!
//! Each class is an ordered set of `JobId`s: Jobs are created with increasing ids and the
//! JobSet's list of child Jobs keeps creation order, so iterating a set visits the Jobs in the
//! order a full listing would.

use crate::sim::objects::{JobId, JsId};
use std::collections::BTreeSet;

/// Where one child Job stands for its JobSet's reconcile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ChildClass {
    /// Not a child Job (never created, or removed).
    #[default]
    Gone,
    Active,
    Succeeded,
    Failed,
    /// Of an older restart attempt: to be deleted.
    Previous,
}

/// One child Job's share of its JobSet's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChildState {
    pub class: ChildClass,
    /// The replicated job's index in the JobSet spec.
    pub rj: u32,
    /// Active Jobs only: counts as ready, has active pods, is suspended.
    pub ready: bool,
    pub active: bool,
    pub suspended: bool,
}

/// One replicated job's counters, as `ReplicatedJobStatus` carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReplicatedJobCounts {
    pub ready: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub active: i32,
    pub suspended: i32,
}

/// What of the JobSet's status the classes were computed against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClassSnapshot {
    pub restarts: i32,
    /// By replicated job: `jobRestarts`, read only under the RestartJob gate (else empty).
    pub job_restarts: Vec<Option<Vec<i32>>>,
}

/// One JobSet's books.
#[derive(Debug, Default)]
struct JobSetBooks {
    /// None until the first refresh.
    snapshot: Option<ClassSnapshot>,
    per_rj: Vec<ReplicatedJobCounts>,
    active: BTreeSet<JobId>,
    failed: BTreeSet<JobId>,
    previous: BTreeSet<JobId>,
    /// The Jobs that entered `previous` since the reconcile last deleted its previous Jobs
    /// (`take_previous_to_delete`): every other previous Job has its deletion requested, so
    /// a pass need not read each of them again (recovery-65k: 8.5 M reads of Jobs already
    /// deleting, 12 % of the run's instructions).
    previous_to_delete: BTreeSet<JobId>,
    succeeded: usize,
    /// Jobs changed since the last refresh.
    dirty: Vec<JobId>,
}

#[derive(Debug, Default)]
pub(crate) struct ChildJobBooks {
    jobsets: Vec<JobSetBooks>,
    /// By `JobId`: the state the books hold for the Job, its JobSet, and whether it is dirty.
    states: Vec<ChildState>,
    owner: Vec<JsId>,
    dirty: Vec<bool>,
}

impl ChildJobBooks {
    pub(crate) fn jobset_created(&mut self, js: JsId) {
        assert_eq!(
            js as usize,
            self.jobsets.len(),
            "JobSets are registered as created"
        );
        self.jobsets.push(JobSetBooks::default());
    }

    /// Job `j` of JobSet `js` was created; ids come in creation order.
    pub(crate) fn job_created(&mut self, js: JsId, j: JobId) {
        assert_eq!(
            j as usize,
            self.states.len(),
            "Jobs are registered as created"
        );
        self.states.push(ChildState::default());
        self.owner.push(js);
        self.dirty.push(false);
        self.job_changed(j);
    }

    /// Something the classification reads of Job `j` changed.
    pub(crate) fn job_changed(&mut self, j: JobId) {
        let flag = &mut self.dirty[j as usize];
        if !*flag {
            *flag = true;
            self.jobsets[self.owner[j as usize] as usize].dirty.push(j);
        }
    }

    /// Starts a rebuild of `js`'s books against `snapshot`: every count and class is cleared
    /// (the caller then sets the state of each of `children`, the JobSet's child Jobs) and the
    /// dirty Jobs are forgotten. A Job that is no longer a child was marked dirty when it left.
    pub(crate) fn reset(
        &mut self,
        js: JsId,
        snapshot: ClassSnapshot,
        replicated_jobs: usize,
        children: &[JobId],
    ) {
        let books = &mut self.jobsets[js as usize];
        for &j in books.dirty.iter().chain(children) {
            self.dirty[j as usize] = false;
            self.states[j as usize] = ChildState::default();
        }
        *books = JobSetBooks {
            snapshot: Some(snapshot),
            per_rj: vec![ReplicatedJobCounts::default(); replicated_jobs],
            ..JobSetBooks::default()
        };
    }

    /// The Jobs of `js` changed since the last refresh, now no longer dirty.
    pub(crate) fn take_dirty(&mut self, js: JsId) -> Vec<JobId> {
        let dirty = std::mem::take(&mut self.jobsets[js as usize].dirty);
        for &j in &dirty {
            self.dirty[j as usize] = false;
        }
        dirty
    }

    /// The Jobs of `js` changed since the last refresh.
    pub(crate) fn dirty_jobs(&self, js: JsId) -> &[JobId] {
        &self.jobsets[js as usize].dirty
    }

    pub(crate) fn is_dirty(&self, j: JobId) -> bool {
        self.dirty[j as usize]
    }

    /// Job `j` now stands at `state`: its old share leaves the counters, its new one enters.
    pub(crate) fn set(&mut self, j: JobId, state: ChildState) {
        let old = std::mem::replace(&mut self.states[j as usize], state);
        if old == state {
            return;
        }
        let books = &mut self.jobsets[self.owner[j as usize] as usize];
        books.apply(j, old, -1);
        books.apply(j, state, 1);
    }

    pub(crate) fn state(&self, j: JobId) -> ChildState {
        self.states.get(j as usize).copied().unwrap_or_default()
    }

    pub(crate) fn snapshot(&self, js: JsId) -> Option<&ClassSnapshot> {
        self.jobsets[js as usize].snapshot.as_ref()
    }

    pub(crate) fn counts(&self, js: JsId) -> &[ReplicatedJobCounts] {
        &self.jobsets[js as usize].per_rj
    }

    pub(crate) fn active(&self, js: JsId) -> Vec<JobId> {
        self.jobsets[js as usize].active.iter().copied().collect()
    }

    pub(crate) fn failed(&self, js: JsId) -> Vec<JobId> {
        self.jobsets[js as usize].failed.iter().copied().collect()
    }

    pub(crate) fn previous(&self, js: JsId) -> Vec<JobId> {
        self.jobsets[js as usize].previous.iter().copied().collect()
    }

    /// Whether `js` has a child Job of an older attempt.
    pub(crate) fn any_previous(&self, js: JsId) -> bool {
        !self.jobsets[js as usize].previous.is_empty()
    }

    /// The previous Jobs of `js` that may still need their deletion requested, in creation
    /// order, now forgotten: the caller requests the deletion of each one that has none.
    pub(crate) fn take_previous_to_delete(&mut self, js: JsId) -> Vec<JobId> {
        let books = &mut self.jobsets[js as usize];
        std::mem::take(&mut books.previous_to_delete)
            .into_iter()
            .collect()
    }

    pub(crate) fn any_succeeded(&self, js: JsId) -> bool {
        self.jobsets[js as usize].succeeded > 0
    }
}

impl JobSetBooks {
    /// Adds (`sign` 1) or takes away (-1) one Job's share.
    fn apply(&mut self, j: JobId, s: ChildState, sign: i32) {
        let set = match s.class {
            ChildClass::Gone => return,
            ChildClass::Active => Some(&mut self.active),
            ChildClass::Failed => Some(&mut self.failed),
            ChildClass::Previous => Some(&mut self.previous),
            ChildClass::Succeeded => None,
        };
        match set {
            Some(set) if sign > 0 => assert!(set.insert(j), "a Job is booked once"),
            Some(set) => assert!(set.remove(&j), "a Job leaves the class it was booked in"),
            None if sign > 0 => self.succeeded += 1,
            None => self.succeeded -= 1,
        }
        if s.class == ChildClass::Previous {
            if sign > 0 {
                self.previous_to_delete.insert(j);
            } else {
                self.previous_to_delete.remove(&j);
            }
        }
        let c = &mut self.per_rj[s.rj as usize];
        match s.class {
            ChildClass::Active => {
                c.ready += sign * i32::from(s.ready);
                c.active += sign * i32::from(s.active);
                c.suspended += sign * i32::from(s.suspended);
            }
            ChildClass::Succeeded => c.succeeded += sign,
            ChildClass::Failed => c.failed += sign,
            ChildClass::Previous | ChildClass::Gone => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(rj: u32, ready: bool) -> ChildState {
        ChildState {
            class: ChildClass::Active,
            rj,
            ready,
            active: true,
            suspended: false,
        }
    }

    fn of(class: ChildClass, rj: u32) -> ChildState {
        ChildState {
            class,
            rj,
            ..ChildState::default()
        }
    }

    fn books() -> ChildJobBooks {
        let mut b = ChildJobBooks::default();
        b.jobset_created(0);
        b.jobset_created(1);
        b.reset(0, ClassSnapshot::default(), 2, &[]);
        b.reset(1, ClassSnapshot::default(), 1, &[]);
        b
    }

    #[test]
    fn counters_follow_the_jobs_that_change() {
        let mut b = books();
        for j in 0..4 {
            b.job_created(0, j);
        }
        b.job_created(1, 4);
        assert_eq!(b.take_dirty(0), [0, 1, 2, 3]);
        assert_eq!(b.take_dirty(1), [4]);
        b.set(0, active(0, true));
        b.set(1, active(0, false));
        b.set(2, active(1, true));
        b.set(3, of(ChildClass::Failed, 1));
        b.set(4, active(0, true));
        let c = b.counts(0);
        assert_eq!(
            (c[0].ready, c[0].active, c[1].ready, c[1].failed),
            (1, 2, 1, 1)
        );
        assert_eq!(b.active(0), [0, 1, 2]);
        assert_eq!(b.failed(0), [3]);
        assert_eq!(b.counts(1)[0].ready, 1, "another JobSet's Job counts there");

        b.job_changed(1);
        b.job_changed(1);
        assert_eq!(b.take_dirty(0), [1], "a Job is dirty once");
        b.set(1, of(ChildClass::Succeeded, 0));
        b.set(0, ChildState::default());
        let c = b.counts(0);
        assert_eq!((c[0].ready, c[0].active, c[0].succeeded), (0, 0, 1));
        assert!(b.any_succeeded(0));
        assert!(b.previous(0).is_empty());
        assert_eq!(b.active(0), [2]);
    }

    #[test]
    fn a_reset_forgets_every_class_and_dirty_job() {
        let mut b = books();
        b.job_created(0, 0);
        b.job_created(0, 1);
        b.job_created(1, 2);
        b.take_dirty(0);
        b.set(0, of(ChildClass::Succeeded, 1));
        b.set(1, of(ChildClass::Previous, 0));
        b.set(2, active(0, true));
        b.job_changed(0);
        let snapshot = ClassSnapshot {
            restarts: 1,
            job_restarts: vec![],
        };
        b.reset(0, snapshot.clone(), 2, &[0, 1]);
        assert_eq!(b.snapshot(0), Some(&snapshot));
        assert!(b.take_dirty(0).is_empty() && !b.is_dirty(0));
        assert_eq!(b.state(0), ChildState::default());
        assert_eq!(b.state(1), ChildState::default());
        assert_eq!(b.state(2), active(0, true), "other JobSets keep theirs");
        assert!(!b.any_succeeded(0) && b.previous(0).is_empty());
        assert!(
            b.take_previous_to_delete(0).is_empty(),
            "a reset forgets them too"
        );
    }

    /// A Job of an older attempt is handed out for deletion once per entry into the class,
    /// in creation order; one that leaves the class first is not handed out.
    #[test]
    fn previous_jobs_are_handed_out_for_deletion_once() {
        let mut b = books();
        for j in 0..4 {
            b.job_created(0, j);
        }
        b.take_dirty(0);
        for j in [3, 0, 2] {
            b.set(j, of(ChildClass::Previous, 0));
        }
        b.set(1, active(0, true));
        b.set(2, ChildState::default());
        assert!(b.any_previous(0));
        assert_eq!(b.take_previous_to_delete(0), [0, 3]);
        assert!(b.take_previous_to_delete(0).is_empty());
        assert_eq!(b.previous(0), [0, 3], "they stay previous until removed");
        b.set(1, of(ChildClass::Previous, 0));
        assert_eq!(b.take_previous_to_delete(0), [1]);
        for j in [0, 1, 3] {
            b.set(j, ChildState::default());
        }
        assert!(!b.any_previous(0));
    }
}

/// The child Job names a JobSet's existing Jobs take, as (replicated job, index) pairs (§3.5:
/// `<js>-<rj>-<i>` is taken while a Job of that replicated job and index exists, in any
/// attempt), kept as the JobSet's list of child Jobs changes. The reconcile's missing Jobs are
/// then read off in time proportional to their number, not to the JobSet's size: during a
/// restart every Job removal brings a reconcile, and each one rebuilt a table of all indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct TakenNames {
    /// Per replicated job: the existing Jobs per index (as long as the highest index seen),
    /// and the indexes below that length that no Job takes.
    per_rj: Vec<(Vec<u32>, BTreeSet<u32>)>,
}

impl TakenNames {
    /// A Job of replicated job `rj` and index `index` was added to the list.
    pub(crate) fn add(&mut self, rj: u32, index: u32) {
        let (rj, index) = (rj as usize, index as usize);
        if self.per_rj.len() <= rj {
            self.per_rj.resize_with(rj + 1, Default::default);
        }
        let (counts, free) = &mut self.per_rj[rj];
        if counts.len() <= index {
            free.extend(counts.len() as u32..index as u32);
            counts.resize(index + 1, 0);
        }
        if counts[index] == 0 {
            free.remove(&(index as u32));
        }
        counts[index] += 1;
    }

    /// A Job of replicated job `rj` and index `index` left the list.
    pub(crate) fn remove(&mut self, rj: u32, index: u32) {
        let (counts, free) = &mut self.per_rj[rj as usize];
        let c = &mut counts[index as usize];
        *c -= 1;
        if *c == 0 {
            free.insert(index);
        }
    }

    /// The indexes below `replicas` of replicated job `rj` that no Job takes, ascending.
    pub(crate) fn missing(&self, rj: usize, replicas: u32) -> Vec<u32> {
        match self.per_rj.get(rj) {
            None => (0..replicas).collect(),
            Some((counts, free)) => {
                let len = counts.len() as u32;
                (free.range(..replicas).copied())
                    .chain(len..replicas)
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod taken_names_tests {
    use super::TakenNames;

    /// Against the full table: random adds and removes over two replicated jobs, every
    /// replica count read after each step.
    #[test]
    fn missing_matches_a_full_table() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut names = TakenNames::default();
        let mut jobs: Vec<(u32, u32)> = vec![];
        for _ in 0..3000 {
            if jobs.is_empty() || rng.gen_bool(0.55) {
                let job = (rng.gen_range(0..2), rng.gen_range(0..40));
                names.add(job.0, job.1);
                jobs.push(job);
            } else {
                let (rj, index) = jobs.swap_remove(rng.gen_range(0..jobs.len()));
                names.remove(rj, index);
            }
            for rj in 0..3u32 {
                for replicas in [0u32, 1, 7, 39, 40, 64] {
                    let expected: Vec<u32> = (0..replicas)
                        .filter(|&i| !jobs.contains(&(rj, i)))
                        .collect();
                    assert_eq!(names.missing(rj as usize, replicas), expected);
                }
            }
        }
    }
}
