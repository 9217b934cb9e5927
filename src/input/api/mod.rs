//! Kubernetes objects as the user writes them: parsing, defaulting and (later) validation.

pub(crate) mod defaults;
pub(crate) mod fields;
pub(crate) mod keys;
pub(crate) mod load;
pub(crate) mod quantity;
pub(crate) mod taint;
pub(crate) mod types;
pub(crate) mod validation;
