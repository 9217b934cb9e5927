//! The discrete-event engine. It knows time, events and randomness, and nothing of Kubernetes:
//! the domain hands it a typed event enum and drives the loop itself.

pub mod digest;
pub mod hash;
pub mod prefetch;
pub mod queue;
pub mod rng;
pub mod time;
pub mod token_bucket;

pub use digest::StreamDigest;
pub use queue::{EventId, EventQueue};
pub use rng::{RngStreams, StreamRng};
pub use time::{Duration, SimTime};
pub use token_bucket::TokenBucket;
