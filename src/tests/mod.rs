//! Tests that drive the simulator in process and read its internals: conformance with upstream
//! JobSet behaviour, the invariant checker, the scheduler's fast path against the plain scan,
//! fault paths, validation against fleet data, docs drift. They live inside the crate because
//! what they read is crate-private; the black-box tests of the command line are in `tests/`.

mod api_traffic;
pub(crate) mod common;
mod conformance;
mod docs_drift;
mod events_csv;
mod fast_path;
mod faults;
mod fixtures;
mod function_length;
mod gates;
mod invariants;
mod kueue;
mod layers;
mod no_panic;
mod node_failure;
mod pod_affinity;
mod pod_slots;
mod preemption;
mod profiles;
mod scheduling;
mod swarm;
mod validation;
