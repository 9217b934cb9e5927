//! kube-scheduler's own view of the pods' specs and labels: the InterPodAffinity terms of
//! each pod spec compiled against its affinity index, and the Jobs' pod labels its cache keeps
//! once some term can read them. The API server's pod creates and the JobSet controller's
//! Job creates reach it here, as upstream's scheduler sees a pod's spec and labels through its
//! pod informer; nothing else writes the index.

use super::Scheduler;
use crate::api::types::{PodSpec, StringMap};
use crate::sim::ctx::Ctx;
use crate::sim::objects::{JobId, ShapeId};
use crate::sim::shape;

impl Scheduler {
    /// The pod informer holds a pod of Job `j` (created, or still in the cache): once some
    /// inter-pod term can read labels, the affinity index keeps the Job's pod labels, as
    /// upstream's cache keeps each pod's (all of a Job's pods carry the same). Not before: no
    /// term reads a label then, and a run without inter-pod terms never builds them.
    pub(crate) fn on_pod_informed(&mut self, ctx: &Ctx, j: JobId) {
        if self.placement.labelled() && !self.placement.has_labels(j) {
            self.keep_pod_labels(ctx, j);
        }
    }

    fn keep_pod_labels(&mut self, ctx: &Ctx, j: JobId) {
        let labels = ctx.job_pod_labels(j);
        let namespace = &ctx.jobset(ctx.job(j).jobset).namespace;
        self.placement.set_job_labels(j, labels, namespace);
    }

    /// Job `j`'s pod labels as the affinity index keeps them (with its namespace
    /// pseudo-label), or None while it keeps none.
    pub(crate) fn kept_pod_labels(&self, j: JobId) -> Option<&StringMap> {
        self.placement
            .labelled()
            .then(|| self.placement.labels_of(j))
    }

    /// Does the affinity index keep the Jobs' pod labels (some inter-pod term exists)?
    pub(crate) fn keeps_pod_labels(&self) -> bool {
        self.placement.labelled()
    }

    /// A pod spec compiled to the shape the scheduler and the kubelet read, with its
    /// InterPodAffinity terms' index entries and its priority. The first inter-pod term
    /// compiled turns the affinity index labelled, with the pod labels of every Job whose
    /// pods the pod informer has seen: created and not removed, or removed while the cache
    /// still holds them (its reservation goes one watch delay later).
    pub(crate) fn compile_pod_shape(
        &mut self,
        ctx: &mut Ctx,
        spec: &PodSpec,
        labels: &StringMap,
        namespace: &str,
    ) -> ShapeId {
        if shape::has_inter_pod_terms(spec) && !self.placement.labelled() {
            self.label_every_informed_job(ctx);
        }
        let mut shape = shape::compile_with_affinity(
            spec,
            ctx.cluster(),
            &mut self.placement,
            labels,
            namespace,
        );
        (shape.priority, shape.preempt_never) = self.pod_priority(spec);
        ctx.push_shape(shape)
    }

    /// Turns the affinity index labelled with the labels of every Job the informer has seen.
    fn label_every_informed_job(&mut self, ctx: &Ctx) {
        let jobs = ctx.job_count();
        let mut seen = vec![false; jobs as usize];
        for j in 0..jobs {
            seen[j as usize] = (ctx.job_pods(j).iter()).any(|&p| ctx.pod(p).created);
        }
        for (pod, _) in self.reservations() {
            seen[ctx.pod(pod).job as usize] = true;
        }
        for j in (0..jobs).filter(|&j| seen[j as usize]) {
            self.keep_pod_labels(ctx, j);
        }
        self.placement.start_labelling();
    }

    /// Indexes the nodes by a topology key some term or spread constraint names.
    pub(crate) fn index_topology(&mut self, cluster: &crate::cluster::Cluster, key: &str) {
        self.placement.topology(cluster, key);
    }

    /// The namespaces and their labels, for `namespaceSelector`.
    pub(crate) fn set_namespaces(
        &mut self,
        namespaces: std::collections::BTreeMap<String, StringMap>,
    ) {
        self.placement.set_namespaces(namespaces);
    }
}
