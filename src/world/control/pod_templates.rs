//! Each Job's pod template as the pods get it, compiled once when the Job is created: the
//! scheduling shape of its pods (the pods' labels are built when read, `Sim::job_pod_labels`), and, under exclusive placement by the leader/follower
//! webhooks, the topology key, the leader's shape and one follower shape per leader domain.
//!
//! Upstream the Job controller stamps each pod from `spec.template` and the JobSet pod webhooks
//! mutate it on create; the result is the same for every pod of a Job (and for every follower
//! placed in one domain), so it is computed once here instead of once per pod. None of it is
//! Job state: the `JobObj` keeps the spec as the API server stores it. Dense by `JobId` (Jobs
//! are never freed).

use crate::sim::objects::{JobId, ShapeId};
use std::collections::BTreeMap;

/// One Job's compiled pod template.
#[derive(Debug, Clone)]
pub(crate) struct JobPodTemplate {
    /// The pods' shape as the template makes them; with leader/follower placement, the shape
    /// the leader's terms and the followers' nodeSelector are added to.
    pub shape: ShapeId,
    /// The topology key of exclusive placement by the leader/follower webhooks, when they
    /// place this Job's pods.
    pub exclusive_key: Option<String>,
    /// The leader's shape (the webhook's affinity terms), with `exclusive_key`.
    pub leader_shape: Option<ShapeId>,
}

/// A replicated job's pod template as compiled for the first of its Jobs built from the
/// shared Job spec (`JobSetController::shared_template`), for the others: the pods' shape,
/// which no Job's own labels enter when the template has no inter-pod terms, and under
/// leader/follower placement the leader's shape with the `job-key` of the Job it was
/// compiled for (the webhook's terms name the leader's own Job; `PodShape::with_own_label`
/// makes another Job's).
#[derive(Debug, Clone)]
pub(crate) struct SharedTemplate {
    pub shape: ShapeId,
    pub leader: Option<(crate::sim::shape::PodShape, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct PodTemplates {
    jobs: Vec<JobPodTemplate>,
    /// By `JobId`: the followers' shape per leader domain, compiled on the first follower
    /// admitted into that domain.
    follower_shapes: Vec<BTreeMap<String, ShapeId>>,
}

impl PodTemplates {
    /// Job `j` was created with this template; ids come in creation order.
    pub(crate) fn job_created(&mut self, j: JobId, template: JobPodTemplate) {
        assert_eq!(
            j as usize,
            self.jobs.len(),
            "Jobs are registered as created"
        );
        self.jobs.push(template);
        self.follower_shapes.push(BTreeMap::new());
    }

    /// Job `j`'s template changed while it had no pods (a resume merging new template
    /// fields): its follower shapes are compiled again as needed.
    pub(crate) fn replace(&mut self, j: JobId, template: JobPodTemplate) {
        self.jobs[j as usize] = template;
        self.follower_shapes[j as usize].clear();
    }

    pub(crate) fn of(&self, j: JobId) -> &JobPodTemplate {
        &self.jobs[j as usize]
    }

    /// The topology key of Job `j`'s leader/follower placement, if the webhooks place it.
    pub(crate) fn exclusive_key(&self, j: JobId) -> Option<&str> {
        self.jobs[j as usize].exclusive_key.as_deref()
    }

    /// The followers' shape for leader domain `domain`, once compiled.
    pub(crate) fn follower_shape(&self, j: JobId, domain: &str) -> Option<ShapeId> {
        self.follower_shapes[j as usize].get(domain).copied()
    }

    /// The followers' shape for `domain` was compiled.
    pub(crate) fn add_follower_shape(&mut self, j: JobId, domain: String, shape: ShapeId) {
        let previous = self.follower_shapes[j as usize].insert(domain, shape);
        assert!(
            previous.is_none(),
            "a domain's follower shape is compiled once"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(key: Option<&str>) -> JobPodTemplate {
        JobPodTemplate {
            shape: 3,
            exclusive_key: key.map(str::to_string),
            leader_shape: key.map(|_| 4),
        }
    }

    #[test]
    fn follower_shapes_are_kept_per_job_and_domain() {
        let mut t = PodTemplates::default();
        t.job_created(0, template(Some("rack")));
        t.job_created(1, template(None));
        assert_eq!(t.exclusive_key(0), Some("rack"));
        assert_eq!(t.exclusive_key(1), None);
        assert_eq!(t.follower_shape(0, "r1"), None);
        t.add_follower_shape(0, "r1".into(), 7);
        assert_eq!(t.follower_shape(0, "r1"), Some(7));
        assert_eq!(t.follower_shape(0, "r2"), None);
        assert_eq!(t.follower_shape(1, "r1"), None);
    }

    #[test]
    #[should_panic(expected = "registered as created")]
    fn jobs_are_registered_in_creation_order() {
        let mut t = PodTemplates::default();
        t.job_created(1, template(None));
    }
}
