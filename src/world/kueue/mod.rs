//! Kueue: quota, queues and admission of JobSets (kueue-semantics; docs/kueue.md).
//!
//! `quota` is the resource tree of ClusterQueues and cohorts, `assign` the flavor assigner,
//! `queue` a ClusterQueue's pending Workloads, `cycle` one admission cycle, `fair` fair
//! sharing; `model` compiles the Kueue objects of a run for them.

pub(crate) mod afs;
pub(crate) mod assign;
pub(crate) mod compile;
pub(crate) mod controller;
pub(crate) mod cycle;
pub(crate) mod fair;
pub(crate) mod model;
pub(crate) mod preempt;
pub(crate) mod queue;
pub(crate) mod quota;
pub(crate) mod tas;
pub(crate) mod topology;
pub(crate) mod workload;

#[cfg(test)]
mod tests;
