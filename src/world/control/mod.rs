//! The controllers, each reacting to watch events through the simulated API: the JobSet
//! controller, the Kubernetes Job controller, the kubelet and the garbage collector.

pub(crate) mod child_jobs;
pub(crate) mod conditions;
pub(crate) mod counters;
pub(crate) mod events;
pub(crate) mod failure_policy;
pub(crate) mod gc;
pub(crate) mod in_place;
pub(crate) mod job;
pub(crate) mod jobset;
pub(crate) mod jobset_controller;
pub(crate) mod kubelet;
pub(crate) mod node_lifecycle;
pub(crate) mod pod_templates;
pub(crate) mod pod_webhook;
