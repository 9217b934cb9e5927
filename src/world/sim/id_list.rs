//! A list of pod ids in the order they joined it, read as a slice, from which an id leaves
//! in O(1) amortized time when it is near either end.
//!
//! A Job's pods are listed in creation order and usually leave in that order too: a
//! restarted 2,048-pod Job lost its first pod by shifting the 2,047 behind it
//! (`Vec::remove`), 2 % of a 54-day run's instructions (issue #17). Here an id near the front
//! leaves by shifting the ids before it one place back and starting the list one place later;
//! the room this leaves at the front is given back once it is as large as the list.

use super::objects::PodId;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct IdList {
    /// The list is `ids[start..]`; the entries before `start` are spent.
    ids: Vec<PodId>,
    start: usize,
}

impl IdList {
    pub(crate) fn push(&mut self, id: PodId) {
        self.ids.push(id);
    }

    /// Takes `id` out, keeping the others' order; false when it is not listed.
    pub(crate) fn remove(&mut self, id: PodId) -> bool {
        let Some(i) = self.iter().position(|&x| x == id) else {
            return false;
        };
        let len = self.len();
        if i < len / 2 {
            let at = self.start;
            self.ids.copy_within(at..at + i, at + 1);
            self.start += 1;
        } else {
            self.ids.remove(self.start + i);
        }
        if self.start > 0 && self.start >= self.ids.len() / 2 {
            self.ids.drain(..self.start);
            self.start = 0;
        }
        true
    }
}

impl std::ops::Deref for IdList {
    type Target = [PodId];
    fn deref(&self) -> &[PodId] {
        &self.ids[self.start..]
    }
}

impl<'a> IntoIterator for &'a IdList {
    type Item = &'a PodId;
    type IntoIter = std::slice::Iter<'a, PodId>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random pushes and removals (mostly near the front, as pods go) against a vector.
    #[test]
    fn keeps_the_order_of_a_vector() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut list = IdList::default();
        let mut reference: Vec<PodId> = vec![];
        let mut next = 0;
        for _ in 0..20_000 {
            if reference.is_empty() || rng.gen_bool(0.5) {
                list.push(next);
                reference.push(next);
                next += 1;
                continue;
            }
            let i = match rng.gen_range(0..3) {
                0 => 0,
                1 => rng.gen_range(0..reference.len()),
                _ => reference.len() - 1,
            };
            let id = reference.remove(i);
            assert!(list.remove(id));
            assert!(!list.remove(id), "listed once");
            assert_eq!(&*list, &reference[..]);
        }
        assert!(
            list.ids.len() <= 2 * list.len() + 2,
            "the spent front is given back"
        );
    }
}
