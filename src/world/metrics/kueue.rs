//! Kueue's ClusterQueues over time (`summary.json` `kueue.cluster_queues[].series`): after
//! each change of a queue (a Workload queued, admitted, evicted, released or finished), its
//! pending and admitted Workloads and its quota use and borrowing per (flavor, resource).
//! Kueue calls `observe`; a sample equal to the queue's last one is not kept again. With
//! admission fair sharing, each LocalQueue's ledger entry over time
//! (`summary.json` `kueue.local_queues[].admission_fair_sharing.series`): after each sample,
//! entry penalty and settlement, through `observe_lq`.

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

/// One LocalQueue's admission-fair-sharing ledger entry after a change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LqSample {
    pub at_ns: SimTime,
    /// `consumedResources` per resource name, in the resource's units.
    pub consumed: Vec<(String, f64)>,
    /// The entry penalties not yet settled, summed per resource name.
    pub pending_penalty: Vec<(String, f64)>,
    /// The usage the queue orders by (`CalculateUsage`); `None` for +∞ (a weight of 0).
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct KueueSeries {
    per_cq: Vec<Vec<CqSample>>,
    per_lq: Vec<Vec<LqSample>>,
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

    /// LocalQueue `lq`'s ledger entry changed: kept unless equal to its last sample; the last
    /// of one instant wins.
    pub(crate) fn observe_lq(&mut self, lq: usize, sample: LqSample) {
        if self.per_lq.len() <= lq {
            self.per_lq.resize(lq + 1, vec![]);
        }
        let series = &mut self.per_lq[lq];
        let same = |last: &LqSample| {
            (&last.consumed, &last.pending_penalty, last.score)
                == (&sample.consumed, &sample.pending_penalty, sample.score)
        };
        match series.last_mut() {
            Some(last) if same(last) => {}
            Some(last) if last.at_ns == sample.at_ns => *last = sample,
            _ => series.push(sample),
        }
    }

    pub(crate) fn of_lq(&self, lq: usize) -> &[LqSample] {
        self.per_lq.get(lq).map_or(&[], Vec::as_slice)
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

    #[test]
    fn a_ledger_change_is_kept_once_and_the_last_of_an_instant_wins() {
        let lq = |at_ns, used: f64| LqSample {
            at_ns,
            consumed: vec![("cpu".into(), used)],
            pending_penalty: vec![],
            score: Some(used),
        };
        let mut s = KueueSeries::default();
        s.observe_lq(2, lq(5, 1.0));
        s.observe_lq(2, lq(7, 1.0));
        s.observe_lq(2, lq(9, 2.0));
        s.observe_lq(2, lq(9, 3.0));
        let used: Vec<(SimTime, Option<f64>)> =
            s.of_lq(2).iter().map(|x| (x.at_ns, x.score)).collect();
        assert_eq!(used, vec![(5, Some(1.0)), (9, Some(3.0))]);
        assert!(s.of_lq(0).is_empty() && s.of_lq(7).is_empty());
    }
}
