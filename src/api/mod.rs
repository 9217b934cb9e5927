//! Kubernetes objects as the user writes them: parsing, defaulting and (later) validation.

pub mod defaults;
pub mod fields;
pub mod keys;
pub mod load;
pub mod quantity;
pub mod types;
pub mod validation;

pub use load::{load_jobsets_from_str, LoadedJobSet};
pub use types::JobSet;
