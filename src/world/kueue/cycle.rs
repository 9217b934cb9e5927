//! One admission cycle (`pkg/scheduler/scheduler.go`, kueue-semantics §5.2–5.9): every
//! ClusterQueue's head is nominated against the quota as the cycle found it, the entries
//! are ordered, then processed one by one against quota each admitted entry has already
//! taken. A pure function of the model and the heads; the Kueue component applies its
//! decisions.

use super::assign::{assign, Assignment, Mode, PodSetRequest, ScanProgress};
use super::model::{CqIx, Model};
use super::queue::{RequeueReason, WlId};
use super::quota::FrId;

/// A ClusterQueue's head as the cycle takes it.
#[derive(Debug, Clone)]
pub(crate) struct Head<'a> {
    pub wl: WlId,
    pub cq: CqIx,
    pub priority: i32,
    pub timestamp_ns: u64,
    pub podsets: &'a [PodSetRequest],
    pub progress: Option<&'a ScanProgress>,
    /// The Workload's namespace matches the ClusterQueue's `namespaceSelector`.
    pub namespace_matches: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Quota reserved (and admitted: the simulator models no admission checks).
    Admitted,
    /// Back to the queue, with the `QuotaReserved=False` reason and message.
    Requeue {
        reason: RequeueReason,
        condition_reason: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub wl: WlId,
    pub verdict: Verdict,
    /// The nomination's assignment (absent when nomination failed before assigning).
    pub assignment: Option<Assignment>,
}

/// Runs one cycle over `heads` (at most one per ClusterQueue). Admitted entries' usage is in
/// `model.tree` when it returns; reservations made for blocked entries are not.
pub(crate) fn run_cycle(model: &mut Model, heads: &[Head]) -> Vec<Decision> {
    let mut out = Vec::with_capacity(heads.len());
    let mut entries: Vec<(&Head, Assignment)> = Vec::new();
    for head in heads {
        if !head.namespace_matches {
            out.push(Decision {
                wl: head.wl,
                verdict: Verdict::Requeue {
                    reason: RequeueReason::NamespaceMismatch,
                    condition_reason: "Misconfigured",
                    message: "workload namespace doesn't match ClusterQueue selector".into(),
                },
                assignment: None,
            });
            continue;
        }
        let cq = &model.cluster_queues[head.cq];
        entries.push((head, assign(model, cq, head.podsets, head.progress)));
    }
    // §5.7: lower borrowing level, higher priority, older first; then, where Kueue's
    // unstable sort leaves the order open, the ClusterQueue's name (docs/kueue.md).
    entries.sort_by(|(a, x), (b, y)| {
        (x.borrowing, std::cmp::Reverse(a.priority), a.timestamp_ns)
            .cmp(&(y.borrowing, std::cmp::Reverse(b.priority), b.timestamp_ns))
            .then_with(|| {
                let names = &model.cluster_queues;
                names[a.cq].name.cmp(&names[b.cq].name)
            })
    });
    let mut reserved: Vec<(usize, FrId, i64)> = Vec::new();
    for (head, assignment) in entries {
        let verdict = process_entry(model, head, &assignment, &mut reserved);
        out.push(Decision {
            wl: head.wl,
            verdict,
            assignment: Some(assignment),
        });
    }
    for (node, fr, v) in reserved {
        model.tree.remove_usage(node, fr, v);
    }
    out
}

/// `processEntry` (§5.8) without preemption targets: a no-fit entry is requeued, a blocked
/// one reserves what its queue is entitled to, a fitting one is admitted if it still fits.
fn process_entry(
    model: &mut Model,
    head: &Head,
    a: &Assignment,
    reserved: &mut Vec<(usize, FrId, i64)>,
) -> Verdict {
    let cq = &model.cluster_queues[head.cq];
    let node = cq.node;
    match a.mode {
        Mode::NoFit => Verdict::Requeue {
            reason: RequeueReason::NoFit,
            condition_reason: a.reason.map_or("Pending", |r| r.as_str()),
            message: a.message.clone(),
        },
        Mode::NoCandidates => {
            if !cq.reclaim_any {
                for &(fr, v) in &a.usage {
                    let amount = to_reserve(model, node, fr, v, a.borrowing > 0);
                    if amount > 0 {
                        model.tree.add_usage(node, fr, amount);
                        reserved.push((node, fr, amount));
                    }
                }
            }
            Verdict::Requeue {
                reason: RequeueReason::PreemptionNoCandidates,
                condition_reason: "WaitingForQuota",
                message: a.message.clone(),
            }
        }
        Mode::Fit => {
            let fits = a
                .usage
                .iter()
                .all(|&(fr, v)| v <= model.tree.available(node, fr));
            if !fits {
                return Verdict::Requeue {
                    reason: RequeueReason::FailedAfterNomination,
                    condition_reason: "WaitingForQuota",
                    message: "Workload no longer fits after processing another workload".into(),
                };
            }
            for &(fr, v) in &a.usage {
                model.tree.add_usage(node, fr, v);
            }
            Verdict::Admitted
        }
    }
}

/// `quotaResourcesToReserve` (§5.8 step 3): what a blocked entry holds back in this cycle.
fn to_reserve(model: &Model, node: usize, fr: FrId, request: i64, borrows: bool) -> i64 {
    let tree = &model.tree;
    let q = tree.quota(node, fr);
    let used = tree.usage(node, fr);
    let amount = if !borrows {
        request.min(q.nominal - used)
    } else {
        match q.borrowing_limit {
            None => request,
            Some(limit) => request.min(q.nominal + limit - used),
        }
    };
    amount.max(0)
}
