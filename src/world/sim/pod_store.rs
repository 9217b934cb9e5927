//! The API server's pod store: the `PodObj` of every pod that exists, in slots that a new
//! pod reuses once the pod that held one is gone (issue #17: a 54-day run creates 886k pods,
//! at most about 4,100 at once, and kept an 80-byte slot for each).
//!
//! A pod is named everywhere by its `PodId`, its creation serial (0, 1, 2, … in the order
//! pods were created), never by its slot: events in flight, the components' books, the
//! event digest, `events.csv` and every ordered container keep the ids they had when every
//! pod kept its slot, so every output stays byte-identical. The store maps a serial to its
//! slot (4 bytes per pod ever created instead of 80). A released serial maps to no slot:
//! reading it stops the run (`Index`, an assertion in every build), so a stale id can never
//! read or write the pod that reuses the slot. Holders that may see a released id ask
//! `get`, which answers `None` for it.
//!
//! When a slot is released: not at the pod's `Removed` (the scheduler's informer still reads
//! the pod's shape and Job when it hears of the removal one watch delay later), but when the
//! scheduler has heard it (`Scheduler::on_pod_gone`, `Sim::release_pod_slot`). Until then the
//! pod is held with `removed` set, as every pod was before slots were reused.
//!
//! Free slots are reused last released, first taken (a stack): the choice depends only on
//! the order of events, so runs stay deterministic, and the slot most recently written is
//! the one likeliest still in cache.

use super::objects::{PodId, PodObj};

/// A serial whose pod is gone (or not yet created).
const NO_SLOT: u32 = u32::MAX;

#[derive(Debug)]
#[cfg_attr(not(test), derive(Default))]
pub(crate) struct PodStore {
    /// The pods, by slot.
    slots: Vec<PodObj>,
    /// The serial of the pod in each slot (`NO_SLOT` for a free slot).
    serial_of: Vec<PodId>,
    /// The slot of each serial ever given (`NO_SLOT` once its pod is released).
    slot_of: Vec<u32>,
    /// Free slots, the last released on top.
    free: Vec<u32>,
    /// Removed pods whose release waits for their Job's sync (`Sim::release_pod_slot`).
    deferred: Vec<PodId>,
    /// Released pods whose create had returned (`PodObj::created`): the pods-created
    /// invariant counts them beside the held ones.
    released_created: u64,
    /// Tests only: keep every pod's slot, as before slots were reused, so that a run with
    /// reuse can be compared with one without, and a test can still walk every pod.
    #[cfg(test)]
    pub keep_released: bool,
}

#[cfg(test)]
thread_local! {
    static KEEP_RELEASED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Tests only: the stores built on this test's thread keep every pod's slot, for a test that
/// walks removed pods after the run (`PodStore::keep_released`).
#[cfg(test)]
pub(crate) fn keep_every_slot_in_this_test() {
    KEEP_RELEASED.set(true);
}

/// Under test, a store starts with its thread's `keep_every_slot_in_this_test`.
#[cfg(test)]
impl Default for PodStore {
    fn default() -> Self {
        PodStore {
            slots: vec![],
            serial_of: vec![],
            slot_of: vec![],
            free: vec![],
            deferred: vec![],
            released_created: 0,
            #[cfg(test)]
            keep_released: KEEP_RELEASED.get(),
        }
    }
}

impl PodStore {
    /// Pods ever created: the next serial.
    pub(crate) fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// Slots in use or free: what the store's memory grows with.
    #[cfg(test)]
    pub(crate) fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Room for `pods` pods held at once.
    pub(crate) fn reserve(&mut self, pods: usize) {
        self.slots.reserve(pods);
        self.serial_of.reserve(pods);
    }

    /// Stores a new pod in a free slot (the last released) or a new one; returns its serial.
    pub(crate) fn push(&mut self, pod: PodObj) -> PodId {
        let id = PodId::try_from(self.slot_of.len()).expect("fewer than 2^32 pods");
        assert_ne!(id, NO_SLOT, "internal error: pod serials ran out");
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = pod;
                self.serial_of[slot as usize] = id;
                slot
            }
            None => {
                self.slots.push(pod);
                self.serial_of.push(id);
                (self.slots.len() - 1) as u32
            }
        };
        self.slot_of.push(slot);
        id
    }

    /// The pod `id`, or `None` once it was released (or never created).
    pub(crate) fn get(&self, id: PodId) -> Option<&PodObj> {
        let slot = *self.slot_of.get(id as usize)?;
        (slot != NO_SLOT).then(|| &self.slots[slot as usize])
    }

    /// Was pod `id` created and released since?
    pub(crate) fn released(&self, id: PodId) -> bool {
        self.slot_of.get(id as usize) == Some(&NO_SLOT)
    }

    /// Gives the slot of a removed pod back. Its serial is never given again, and reads of
    /// it stop the run. False when a test keeps every slot (`keep_released`).
    pub(crate) fn release(&mut self, id: PodId) -> bool {
        let slot = self.slot(id);
        assert!(
            self.slots[slot as usize].removed,
            "internal error: pod {id} released before its removal"
        );
        #[cfg(test)]
        if self.keep_released {
            return false;
        }
        self.released_created += u64::from(self.slots[slot as usize].created);
        self.slot_of[id as usize] = NO_SLOT;
        self.serial_of[slot as usize] = NO_SLOT;
        self.free.push(slot);
        true
    }

    /// Pod `id` is to be released once its Job's sync read it (`release_deferred`).
    pub(crate) fn defer_release(&mut self, id: PodId) {
        self.deferred.push(id);
    }

    /// Releases pod `id` if its release was deferred (few are: the list is short); true
    /// when it was released.
    pub(crate) fn release_deferred(&mut self, id: PodId) -> bool {
        let Some(i) = self.deferred.iter().position(|&d| d == id) else {
            return false;
        };
        self.deferred.swap_remove(i);
        self.release(id)
    }

    /// Pods ever created whose create had returned: the held ones and the released ones.
    pub(crate) fn created_count(&self) -> u64 {
        self.released_created + self.iter().filter(|p| p.created).count() as u64
    }

    /// The held pods (removed ones not yet released included) with their serials, in slot
    /// order: for counts and checks, whose result does not depend on the order.
    pub(crate) fn with_ids(&self) -> impl Iterator<Item = (PodId, &PodObj)> + Clone + '_ {
        (self.serial_of.iter().zip(&self.slots))
            .filter_map(|(&id, p)| (id != NO_SLOT).then_some((id, p)))
    }

    /// The held pods, in slot order (see `with_ids`).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PodObj> + Clone + '_ {
        self.with_ids().map(|(_, p)| p)
    }

    /// The held pods by serial, that is in creation order: for anything whose result shows
    /// the order.
    pub(crate) fn in_creation_order(&self) -> Vec<(PodId, &PodObj)> {
        let mut held: Vec<(PodId, &PodObj)> = self.with_ids().collect();
        held.sort_unstable_by_key(|&(id, _)| id);
        held
    }

    fn slot(&self, id: PodId) -> u32 {
        let slot = self.slot_of.get(id as usize).copied().unwrap_or(NO_SLOT);
        assert!(
            slot != NO_SLOT,
            "internal error: pod {id} read after its slot was released (a stale pod id)"
        );
        slot
    }
}

impl<'a> IntoIterator for &'a PodStore {
    type Item = &'a PodObj;
    type IntoIter = Box<dyn Iterator<Item = &'a PodObj> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::ops::Index<usize> for PodStore {
    type Output = PodObj;

    fn index(&self, id: usize) -> &PodObj {
        &self.slots[self.slot(id as PodId) as usize]
    }
}

impl std::ops::IndexMut<usize> for PodStore {
    fn index_mut(&mut self, id: usize) -> &mut PodObj {
        let slot = self.slot(id as PodId);
        &mut self.slots[slot as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(index: u32) -> PodObj {
        PodObj::pending_for_test(index)
    }

    /// A released slot is taken by the next pod (the last released first); serials keep
    /// counting, and the old serial no longer reads the slot.
    #[test]
    fn released_slots_are_reused_last_first_and_serials_never_return() {
        let mut store = PodStore::default();
        let ids: Vec<PodId> = (0..3).map(|i| store.push(pod(i))).collect();
        assert_eq!(ids, [0, 1, 2]);
        for id in [0, 2] {
            store[id as usize].removed = true;
            store.release(id);
        }
        assert_eq!(store.push(pod(10)), 3);
        assert_eq!(store.push(pod(11)), 4);
        assert_eq!(store.slots(), 3, "no new slot while one was free");
        assert_eq!(store[3].index, 10);
        assert_eq!(store[4].index, 11);
        assert!(store.get(0).is_none() && store.get(2).is_none());
        assert!(store.released(0) && !store.released(1) && !store.released(5));
        let order: Vec<PodId> = store.in_creation_order().iter().map(|p| p.0).collect();
        assert_eq!(order, [1, 3, 4]);
        assert_eq!(store.created_count(), 5);
        assert_eq!(store.len(), 5);
    }

    #[test]
    #[should_panic(expected = "pod 0 read after its slot was released")]
    fn a_released_id_stops_the_run() {
        let mut store = PodStore::default();
        store.push(pod(0));
        store[0].removed = true;
        store.release(0);
        store.push(pod(1));
        let _ = store[0].index;
    }

    #[test]
    #[should_panic(expected = "released before its removal")]
    fn only_a_removed_pod_is_released() {
        let mut store = PodStore::default();
        store.push(pod(0));
        store.release(0);
    }
}
