//! Kueue's ClusterQueues over time (`summary.json` `kueue.cluster_queues[].series`): after
//! each change of a queue (a Workload queued, admitted, evicted, released or finished), its
//! pending and admitted Workloads and its quota use and borrowing per (flavor, resource).
//! Kueue calls `observe`; a sample equal to the queue's last one is not kept again.

use crate::engine::time::SimTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CqSample {
    pub at_ns: SimTime,
    /// Workloads in its queue (active or parked).
    pub pending: u32,
    /// Workloads holding its quota (admitted, or evicted and still stopping).
    pub admitted: u32,
    /// Per (flavor, resource) of the queue, in `Model::frs_of` order: milli-units in use.
    pub usage: Vec<i64>,
    /// The part of `usage` above the queue's nominal quota.
    pub borrowed: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct KueueSeries {
    per_cq: Vec<Vec<CqSample>>,
}

impl KueueSeries {
    pub(crate) fn observe(&mut self, cq: usize, sample: CqSample) {
        if self.per_cq.len() <= cq {
            self.per_cq.resize(cq + 1, vec![]);
        }
        let series = &mut self.per_cq[cq];
        let same = |last: &CqSample| {
            (last.pending, last.admitted, &last.usage, &last.borrowed)
                == (
                    sample.pending,
                    sample.admitted,
                    &sample.usage,
                    &sample.borrowed,
                )
        };
        match series.last_mut() {
            Some(last) if same(last) => {}
            Some(last) if last.at_ns == sample.at_ns => *last = sample,
            _ => series.push(sample),
        }
    }

    pub(crate) fn of(&self, cq: usize) -> &[CqSample] {
        self.per_cq.get(cq).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ns: SimTime, pending: u32) -> CqSample {
        CqSample {
            at_ns,
            pending,
            admitted: 0,
            usage: vec![0],
            borrowed: vec![0],
        }
    }

    #[test]
    fn a_change_is_kept_once_and_the_last_of_an_instant_wins() {
        let mut s = KueueSeries::default();
        s.observe(1, sample(5, 1));
        s.observe(1, sample(7, 1));
        s.observe(1, sample(9, 2));
        s.observe(1, sample(9, 3));
        let pending: Vec<(SimTime, u32)> = s.of(1).iter().map(|x| (x.at_ns, x.pending)).collect();
        assert_eq!(pending, vec![(5, 1), (9, 3)]);
        assert!(s.of(0).is_empty());
    }
}
