//! What a fault does, through the components that would see it in a real cluster: the
//! injectors' handlers decide what breaks and when; a node's death goes to the node lifecycle
//! controller (the lease stops), a container's to the kubelet, a drain to the Eviction API.

use super::sample::lognormal_ns;
use super::{effect_name, pod_effect_name, FaultInjectors, Slot};
use crate::cluster::NodeId;
use crate::metrics::recoveries::Cause;
use crate::metrics::FaultMark;
use crate::scenario::faults::{FaultKind, Lognormal, NodeEffect, PodEffect};
use crate::sim::ctx::Ctx;
use crate::sim::objects::*;
use crate::sim::Event;

/// `node_fault`'s answer for a node that never comes back.
pub(crate) const NEVER: u64 = u64::MAX;

impl FaultInjectors {
    /// An injector fires: at node `target`, domain `target`, or (pod injectors) its slots.
    pub(crate) fn on_fault_fires(&mut self, ctx: &mut Ctx, fault: u16, target: u32) {
        // Past `run.faultsUntil` the injectors are switched off: this arrival, and with it the
        // rest of its process, is dropped.
        if self.faults_until_ns.is_some_and(|until| ctx.now() > until) {
            return;
        }
        let kind = self.injectors[fault as usize].kind.clone();
        match kind {
            FaultKind::NodeFailures { causes, repair, .. } => {
                let inj = &mut self.injectors[fault as usize];
                let total: f64 = causes.iter().map(|c| c.weight).sum();
                let mut x = rand::Rng::gen::<f64>(&mut inj.rng) * total;
                let mut cause = &causes[causes.len() - 1];
                for c in &causes {
                    if x < c.weight {
                        cause = c;
                        break;
                    }
                    x -= c.weight;
                }
                let repair = cause.repair.or(repair);
                let hit = [target];
                let back_ns =
                    self.node_fault(ctx, fault, &cause.name, &hit, cause.effect, repair.as_ref());
                self.next_node_arrival(ctx, fault, target, back_ns);
            }
            FaultKind::Maintenance { duration, .. } => {
                let hit = [target];
                let drain = NodeEffect::Drain;
                let back_ns =
                    self.node_fault(ctx, fault, "maintenance", &hit, drain, Some(&duration));
                self.next_node_arrival(ctx, fault, target, back_ns);
            }
            FaultKind::DomainFailures { effect, repair, .. } => {
                let d = target as usize;
                let nodes = self.injectors[fault as usize].domains[d].clone();
                let cause = effect_name(effect);
                let back_ns = self.node_fault(ctx, fault, cause, &nodes, effect, repair.as_ref());
                let inj = &mut self.injectors[fault as usize];
                let gap = inj.arrivals[d].gap_ns(&mut inj.rng);
                let from = back_ns.unwrap_or(ctx.now());
                if back_ns != Some(NEVER) {
                    let next = Event::FaultFires { fault, target };
                    ctx.schedule_at(from.saturating_add(gap), next);
                }
            }
            FaultKind::ScriptedNode {
                effect,
                repair_after_ns,
                ..
            } => {
                let fixed = fixed_repair(repair_after_ns);
                let cause = effect_name(effect);
                self.node_fault(ctx, fault, cause, &[target], effect, fixed.as_ref());
            }
            FaultKind::ScriptedDomain {
                effect,
                repair_after_ns,
                ..
            } => {
                let nodes = self.injectors[fault as usize].domains[0].clone();
                let fixed = fixed_repair(repair_after_ns);
                let cause = effect_name(effect);
                self.node_fault(ctx, fault, cause, &nodes, effect, fixed.as_ref());
            }
            FaultKind::PodFailures { at_ns, effect, .. } => {
                let pods = self.pods_to_hit(ctx, fault, at_ns.is_some());
                self.pod_faults(ctx, fault, &pods, effect);
            }
        }
    }

    /// The pods a pod injector hits now: every slot's running pod for a scripted one; for a
    /// rate-based one, the pod running in one slot drawn at random (none: thinned away), and
    /// the next arrival scheduled.
    fn pods_to_hit(&mut self, ctx: &mut Ctx, fault: u16, scripted: bool) -> Vec<PodId> {
        let inj = &mut self.injectors[fault as usize];
        if scripted {
            return (inj.slots.iter())
                .filter_map(|s| running_pod_at(ctx, s))
                .collect();
        }
        let i = crate::engine::rng::below(&mut inj.rng, inj.slots.len() as u64) as usize;
        let slot = inj.slots[i];
        let gap = inj.arrivals[0].gap_ns(&mut inj.rng);
        ctx.schedule_in(gap, Event::FaultFires { fault, target: 0 });
        running_pod_at(ctx, &slot).into_iter().collect()
    }

    /// A pod-level fault on `pods`, each through its kubelet.
    fn pod_faults(&mut self, ctx: &mut Ctx, fault: u16, pods: &[PodId], effect: PodEffect) {
        let Some(&first) = pods.first() else {
            return; // thinned: nothing runs in that position now
        };
        let now = ctx.now();
        let cause = pod_effect_name(effect);
        ctx.metrics().observe_pod_fault(now);
        let node = ctx.pod(first).node;
        (ctx.metrics()).observe_fault(FaultMark {
            time_ns: now,
            injector: fault,
            cause: cause.into(),
            node,
        });
        let stats = &mut self.stats[fault as usize];
        stats.faults += 1;
        stats.interruptions += 1;
        stats.pods_hit += pods.len() as u64;
        let c = stats.by_cause.entry(cause.into()).or_default();
        c.faults += 1;
        c.interruptions += 1;
        for &p in pods {
            let node = ctx.pod(p).node;
            (ctx.metrics()).observe_fault_cause(Cause {
                injector: Some(fault),
                cause: cause.into(),
                node,
                nodes: 1,
            });
            match effect {
                PodEffect::Exit { code } => ctx.kubelet_kill_container(p, code, "Error"),
                PodEffect::OomKilled => ctx.kubelet_oom_kill(p),
                PodEffect::Evicted => ctx.kubelet_evict(p),
            }
        }
        ctx.metrics().observe_fault_done();
    }

    /// Applies a node-level fault to every node of `nodes` still in the pool; returns when the
    /// nodes come back (`NEVER` if not repaired), or `None` when they stay in the pool.
    fn node_fault(
        &mut self,
        ctx: &mut Ctx,
        fault: u16,
        cause: &str,
        nodes: &[NodeId],
        effect: NodeEffect,
        repair: Option<&Lognormal>,
    ) -> Option<u64> {
        let now = ctx.now();
        let live: Vec<NodeId> = (nodes.iter().copied())
            .filter(|&n| !self.node_out[n as usize] && !ctx.node(n).failed)
            .collect();
        if live.is_empty() {
            return None; // already out: this fault does not happen
        }
        let back = match effect {
            NodeEffect::PodCrash { .. } => None,
            _ => Some(repair.map_or(NEVER, |d| {
                let inj = &mut self.injectors[fault as usize];
                now.saturating_add(lognormal_ns(&mut inj.rng, d))
            })),
        };
        let mut hit = 0u64;
        for &n in &live {
            (ctx.metrics()).observe_fault_cause(Cause {
                injector: Some(fault),
                cause: cause.to_string(),
                node: Some(n),
                nodes: live.len() as u32,
            });
            hit += hit_node(ctx, n, effect);
            if let Some(back_ns) = back {
                self.take_out(ctx, n, back_ns);
            }
        }
        ctx.metrics().observe_fault_done();
        (ctx.metrics()).observe_fault(FaultMark {
            time_ns: now,
            injector: fault,
            cause: cause.to_string(),
            node: live.first().copied(),
        });
        self.count_node_fault(fault, cause, hit);
        back
    }

    /// Node `n` leaves the pool until `back_ns` (`NEVER`: for good). `node_fault` passes only
    /// nodes in the pool, so this is always a change.
    fn take_out(&mut self, ctx: &mut Ctx, n: NodeId, back_ns: u64) {
        assert!(!self.node_out[n as usize], "node {n} taken out twice");
        self.node_out[n as usize] = true;
        self.nodes_out_now += 1;
        self.repair_due_ns[n as usize] = back_ns;
        let now = ctx.now();
        ctx.metrics().observe_node_out(now, n);
        if back_ns != NEVER {
            ctx.schedule_at(back_ns, Event::NodeRepaired(n));
        }
    }

    fn count_node_fault(&mut self, fault: u16, cause: &str, pods_hit: u64) {
        let stats = &mut self.stats[fault as usize];
        stats.faults += 1;
        stats.pods_hit += pods_hit;
        let c = stats.by_cause.entry(cause.to_string()).or_default();
        c.faults += 1;
        if pods_hit > 0 {
            stats.interruptions += 1;
            c.interruptions += 1;
        }
    }

    /// Schedules a node's next random fault: from its return when it was taken out, from now
    /// when it stayed, never when it left for good.
    fn next_node_arrival(&mut self, ctx: &mut Ctx, fault: u16, node: NodeId, back_ns: Option<u64>) {
        if back_ns == Some(NEVER) {
            return;
        }
        let from = back_ns.unwrap_or(ctx.now());
        let inj = &mut self.injectors[fault as usize];
        let gap = inj.arrivals[node as usize].gap_ns(&mut inj.rng);
        let next = Event::FaultFires {
            fault,
            target: node,
        };
        ctx.schedule_at(from.saturating_add(gap), next);
    }

    /// A node's repair or maintenance is over: Kubernetes takes it from there (the node
    /// lifecycle controller sees its lease again).
    pub(crate) fn on_node_repaired(&mut self, ctx: &mut Ctx, n: NodeId) {
        if !self.node_out[n as usize] {
            return;
        }
        self.node_out[n as usize] = false;
        self.nodes_out_now -= 1;
        self.repair_due_ns[n as usize] = NEVER;
        ctx.node_returns(n);
        let now = ctx.now();
        ctx.metrics().observe_node_back(now, n);
    }
}

/// What a node-level fault does to node `n` and the pods on it; returns how many pods it hit.
fn hit_node(ctx: &mut Ctx, n: NodeId, effect: NodeEffect) -> u64 {
    let pods = ctx.pods_on_node(n);
    match effect {
        NodeEffect::Down => ctx.node_fails(n),
        NodeEffect::Crash { exit_code } => {
            cordon(ctx, n);
            for &p in &pods {
                ctx.kubelet_kill_container(p, exit_code, "DeviceFault");
            }
        }
        NodeEffect::PodCrash { exit_code } => {
            if !pods.is_empty() {
                let now = ctx.now();
                ctx.metrics().observe_pod_fault(now);
            }
            for &p in &pods {
                ctx.kubelet_kill_container(p, exit_code, "Error");
            }
        }
        NodeEffect::Drain => {
            cordon(ctx, n);
            for &p in &pods {
                ctx.evict_pod(p, "EvictionByEvictionAPI");
            }
        }
    }
    pods.len() as u64
}

/// Health automation takes the node out of scheduling (`spec.unschedulable`).
fn cordon(ctx: &mut Ctx, n: NodeId) {
    let now = ctx.now();
    ctx.update_node(n, |node| {
        node.unschedulable = true;
        node.changed_at_ns = now;
    });
}

/// A scripted fault's repair after a fixed time.
fn fixed_repair(repair_after_ns: Option<u64>) -> Option<Lognormal> {
    repair_after_ns.map(|ns| Lognormal {
        median_ns: ns.max(1),
        sigma: 0.0,
    })
}

/// The pod running now in a slot (its Job of the current attempt, not being deleted).
fn running_pod_at(ctx: &Ctx, slot: &Slot) -> Option<PodId> {
    let js = (0..ctx.jobsets().len() as JsId)
        .find(|&js| ctx.jobset_workload(js) == slot.workload && ctx.jobset_exists(js))?;
    ctx.jobset_jobs(js as JsId).iter().find_map(|&j| {
        let job = ctx.job(j);
        if job.rj != slot.rj || job.job_index != slot.job_index || job.deletion_ns.is_some() {
            return None;
        }
        ctx.job_pods(j).iter().copied().find(|&p| {
            let pod = ctx.pod(p);
            pod.index == slot.pod_index
                && pod.phase == PodPhase::Running
                && !pod.removed
                && pod.deletion_ns.is_none()
        })
    })
}

#[cfg(test)]
mod tests {
    use crate::sim::objects::PodPhase;
    use crate::sim::Sim;
    use crate::tests::common::{one_job_scenario, step_until, world};

    /// A world whose one Job runs its three pods on two nodes, with a scripted `down` fault
    /// on node cpu-0 (repaired after 10 minutes) and the run's faults ending at `faults_until`.
    fn running_job_with_fault(faults_until: &str) -> Sim {
        let mut text = one_job_scenario(3, 3, "pods: {runFor: 30m}");
        text = text.replace(
            "run: {seed: 3, until: 2h}",
            &format!("run: {{seed: 3, until: 2h, faultsUntil: {faults_until}}}"),
        );
        text.push_str(
            "faults:\n- {kind: scripted, name: f0, node: cpu-0, at: 1h, effect: down, repairAfter: 10m}\n",
        );
        let mut sim = world(&text);
        let running = |s: &Sim| {
            (s.pods.iter())
                .filter(|p| p.phase == PodPhase::Running)
                .count()
        };
        step_until(&mut sim, |s| running(s) == 3);
        sim
    }

    fn fire(sim: &mut Sim, node: u32) {
        sim.handle(|s| &mut s.inject, |f, ctx| f.on_fault_fires(ctx, 0, node));
    }

    /// A fault takes the node out of the pool until its repair, counts the pods it hit, and
    /// hands the node's death to the node lifecycle controller; a second fault on a node that
    /// is out does not happen; the repair puts it back.
    #[test]
    fn a_node_fault_takes_the_node_out_until_its_repair() {
        let mut sim = running_job_with_fault("2h");
        let on_node = sim.pods_on_node(0).len() as u64;
        assert!(on_node > 0);
        fire(&mut sim, 0);
        assert!(sim.inject.node_out(0) && sim.cluster.node(0).failed);
        assert_eq!(sim.inject.nodes_out_now(), 1);
        let due = sim.inject.repair_due_ns(0).expect("a repair is due");
        assert_eq!(due, sim.now() + 600_000_000_000);
        let stats = &sim.inject.stats()[0];
        assert_eq!(
            (stats.faults, stats.interruptions, stats.pods_hit),
            (1, 1, on_node)
        );
        fire(&mut sim, 0);
        assert_eq!(
            sim.inject.stats()[0].faults,
            1,
            "a node already out is not hit again"
        );
        step_until(&mut sim, |s| !s.inject.node_out(0));
        assert_eq!(sim.now(), due);
        assert_eq!(sim.inject.nodes_out_now(), 0);
        assert!(!sim.cluster.node(0).failed);
    }

    /// Past `run.faultsUntil` an arrival is dropped: nothing breaks.
    #[test]
    fn no_fault_fires_after_faults_until() {
        let mut sim = running_job_with_fault("1s");
        step_until(&mut sim, |s| s.now() > 1_000_000_000);
        fire(&mut sim, 0);
        assert!(!sim.inject.node_out(0) && !sim.cluster.node(0).failed);
        assert_eq!(sim.inject.stats()[0].faults, 0);
        assert_eq!(sim.inject.repair_due_ns(0), Some(super::NEVER));
    }
}
