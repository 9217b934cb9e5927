//! The names of the pods the API server holds, so that a generated name is never given twice.
//!
//! A pod's name is `<jobset>-<replicatedJob>-<jobIndex>-<podIndex>-<suffix>`: its family (the
//! first four parts, fixed by the Job and the pod's index) and a random 5-character suffix.
//! Names are held per family in a dense table indexed by the family's numbers, where a hash
//! set hashed and probed the whole name on every pod create and removal (about 4 % of a
//! 54-day run's time, issue #17). A family holds one live pod almost always (two while a
//! restarted pod replaces one being deleted), so its suffixes are a short list scanned in
//! full. Nothing here is iterated into an output: only membership and the count are read.

use crate::sim::objects::PodNameKey;

/// The suffixes of one family's live pods: the first inline, any others in `more`.
#[derive(Debug, Default, Clone)]
struct Suffixes {
    first: Option<[u8; 5]>,
    more: Vec<[u8; 5]>,
}

impl Suffixes {
    fn contains(&self, suffix: &[u8; 5]) -> bool {
        self.first.as_ref() == Some(suffix) || self.more.contains(suffix)
    }

    fn insert(&mut self, suffix: [u8; 5]) {
        match self.first {
            None => self.first = Some(suffix),
            Some(_) => self.more.push(suffix),
        }
    }

    /// Removes `suffix`; false when the family did not hold it.
    fn remove(&mut self, suffix: &[u8; 5]) -> bool {
        if self.first.as_ref() == Some(suffix) {
            self.first = self.more.pop();
            return true;
        }
        match self.more.iter().position(|s| s == suffix) {
            Some(i) => {
                self.more.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

/// The names held, by family: `families[jobset][replicated job][job index][pod index]`,
/// each level grown on first use.
#[derive(Debug, Default)]
pub(crate) struct LivePodNames {
    families: Vec<Vec<Vec<Vec<Suffixes>>>>,
    held: usize,
}

impl LivePodNames {
    /// The family of `name`, made on first use.
    fn family_mut(&mut self, name: &PodNameKey) -> &mut Suffixes {
        let rjs = grown(&mut self.families, name.jobset);
        let jobs = grown(rjs, name.rj);
        let pods = grown(jobs, name.job_index);
        grown(pods, name.index)
    }

    /// The family of `name`, if any of its names was ever held.
    fn family(&self, name: &PodNameKey) -> Option<&Suffixes> {
        self.families
            .get(name.jobset as usize)?
            .get(name.rj as usize)?
            .get(name.job_index as usize)?
            .get(name.index as usize)
    }

    /// Takes `name`; false (and nothing taken) when it is held already.
    pub(crate) fn insert(&mut self, name: PodNameKey) -> bool {
        let family = self.family_mut(&name);
        if family.contains(&name.suffix) {
            return false;
        }
        family.insert(name.suffix);
        self.held += 1;
        true
    }

    /// Gives `name` back; false when it was not held.
    pub(crate) fn remove(&mut self, name: &PodNameKey) -> bool {
        let removed = self.family_mut(name).remove(&name.suffix);
        self.held -= usize::from(removed);
        removed
    }

    pub(crate) fn contains(&self, name: &PodNameKey) -> bool {
        self.family(name).is_some_and(|f| f.contains(&name.suffix))
    }

    /// How many names are held.
    pub(crate) fn len(&self) -> usize {
        self.held
    }
}

/// Entry `at` of `list`, the list grown with empty entries up to it.
fn grown<T: Default>(list: &mut Vec<T>, at: u32) -> &mut T {
    let at = at as usize;
    if list.len() <= at {
        list.resize_with(at + 1, T::default);
    }
    &mut list[at]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn name(parts: [u32; 4], suffix: [u8; 5]) -> PodNameKey {
        let [jobset, rj, job_index, index] = parts;
        PodNameKey {
            jobset,
            rj,
            job_index,
            index,
            suffix,
        }
    }

    /// Against a hash set of whole names, on random inserts and removals that collide often
    /// (few families, few suffixes): the same answers and the same count at every step.
    #[test]
    fn answers_as_a_set_of_whole_names() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut names = LivePodNames::default();
        let mut reference: HashSet<PodNameKey> = HashSet::new();
        for _ in 0..20_000 {
            let parts = std::array::from_fn(|_| rng.gen_range(0..3));
            let n = name(parts, [b'a' + rng.gen_range(0..4u8); 5]);
            match rng.gen_range(0..3) {
                0 => assert_eq!(names.insert(n), reference.insert(n)),
                1 => assert_eq!(names.remove(&n), reference.remove(&n)),
                _ => assert_eq!(names.contains(&n), reference.contains(&n)),
            }
            assert_eq!(names.len(), reference.len());
        }
        assert!(reference.len() > 10, "the run held names at its end");
    }

    #[test]
    fn a_family_holds_several_suffixes_and_gives_each_back() {
        let mut names = LivePodNames::default();
        let [a, b, c] = [*b"aaaaa", *b"bbbbb", *b"ccccc"];
        for s in [a, b, c] {
            assert!(names.insert(name([1, 0, 2, 5], s)));
        }
        assert!(!names.insert(name([1, 0, 2, 5], b)), "held already");
        assert!(names.remove(&name([1, 0, 2, 5], a)));
        assert!(!names.contains(&name([1, 0, 2, 5], a)));
        assert!(names.contains(&name([1, 0, 2, 5], b)) && names.contains(&name([1, 0, 2, 5], c)));
        assert!(!names.contains(&name([1, 0, 2, 4], b)), "another family");
        assert!(!names.remove(&name([7, 7, 7, 7], b)), "never held");
        assert_eq!(names.len(), 2);
    }
}
