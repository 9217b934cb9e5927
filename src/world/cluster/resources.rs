//! Resource dimensions, interned per run so a node's capacity is a short dense array.

use std::collections::HashMap;

pub(crate) const CPU: usize = 0;
pub(crate) const MEMORY: usize = 1;
pub(crate) const PODS: usize = 2;

/// Default `pods` capacity of a node (kubelet maxPods).
pub(crate) const DEFAULT_MAX_PODS: i64 = 110;

#[derive(Debug, Clone)]
pub(crate) struct ResourceIndex {
    names: Vec<String>,
    by_name: HashMap<String, usize>,
}

impl Default for ResourceIndex {
    fn default() -> Self {
        let mut r = ResourceIndex {
            names: vec![],
            by_name: HashMap::new(),
        };
        for n in ["cpu", "memory", "pods"] {
            r.intern(n);
        }
        r
    }
}

impl ResourceIndex {
    pub(crate) fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.by_name.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, i: usize) -> &str {
        &self.names[i]
    }
}
