//! The controllers, each reacting to watch events through the simulated API: the JobSet
//! controller, the Kubernetes Job controller, the kubelet and the garbage collector.

pub mod conditions;
pub mod counters;
pub mod failure_policy;
pub mod gc;
pub mod in_place;
pub mod job;
pub mod jobset;
pub mod kubelet;
pub mod node_lifecycle;
pub mod pod_webhook;
