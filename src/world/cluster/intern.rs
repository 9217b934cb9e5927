//! String interning for label keys and values: nodes and selectors compare small integers.

use crate::engine::hash::FastMap;

#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    /// Hashed with `FastHasher`: a 131k-node cluster interns a hostname per node.
    ids: FastMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// Room for `additional` more names, so that interning them never regrows the table.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.ids.reserve(additional);
        self.names.reserve(additional);
    }

    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}
