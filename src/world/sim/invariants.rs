//! Invariants that must hold at every moment of a run, checked as code (tests run them over
//! many seeds; `jobset-sim run --check-invariants` runs them during a run).

use crate::api::keys::{JOB_KEY, PRIORITY};
use crate::cluster::NodeId;
use crate::sim::objects::{LiveCounts, PodObj, PodPhase, TrackingFinalizer};
use crate::sim::Sim;
use std::collections::{BTreeMap, BTreeSet};

/// Every violation found, each a sentence naming the objects involved.
pub(crate) fn check(sim: &Sim) -> Vec<String> {
    let mut out = vec![];
    no_node_over_committed(sim, &mut out);
    exclusive_domains(sim, &mut out);
    no_pod_on_unready_node(sim, &mut out);
    restarts_within_limit(sim, &mut out);
    pods_accounted_for(sim, &mut out);
    indexes_match_nodes(sim, &mut out);
    job_counts_match_pods(sim, &mut out);
    live_pod_names_unique(sim, &mut out);
    unschedulable_messages_match(sim, &mut out);
    child_job_books_match(sim, &mut out);
    out
}

/// The JobSet controller's books of each JobSet's child Jobs, kept from the Jobs that changed,
/// equal a full classification of its child Jobs.
fn child_job_books_match(sim: &Sim, out: &mut Vec<String>) {
    for js in 0..sim.store.jobsets.len() {
        out.extend(sim.child_books_violations(js as crate::sim::objects::JsId));
    }
}

/// The Unschedulable messages kept beside the arena are exactly those of the pods flagged
/// `unschedulable`.
fn unschedulable_messages_match(sim: &Sim, out: &mut Vec<String>) {
    let flagged = sim.pods.iter().filter(|p| p.unschedulable).count();
    let kept = &sim.unschedulable_messages;
    if flagged != kept.len() || kept.keys().any(|&p| !sim.pods[p as usize].unschedulable) {
        out.push(format!(
            "{flagged} pods are flagged unschedulable but {} messages are kept",
            kept.len()
        ));
    }
}

/// Live pods hold distinct names, and the set of held names is exactly theirs.
fn live_pod_names_unique(sim: &Sim, out: &mut Vec<String>) {
    let mut names = std::collections::HashSet::new();
    let mut live = 0;
    for (id, _) in sim.pods.with_ids().filter(|(_, p)| !p.removed) {
        live += 1;
        let key = sim.pod_name_key(id);
        if !names.insert(key) {
            out.push(format!("two live pods are named {}", sim.pod_name(id)));
        }
        if !sim.api_server.holds_pod_name(&key) {
            let name = sim.pod_name(id);
            out.push(format!("live pod {name} does not hold its name"));
        }
    }
    if sim.api_server.pod_names_held() != live {
        out.push(format!(
            "{} pod names are held but {live} pods are live",
            sim.api_server.pod_names_held()
        ));
    }
}

/// Each Job's live counts and follower shapes, kept as its pods change, equal a count over
/// its pods.
fn job_counts_match_pods(sim: &Sim, out: &mut Vec<String>) {
    for (j, job) in sim.store.live_jobs() {
        let mut counted = LiveCounts::default();
        for &p in &sim.job_pods[j as usize] {
            let delete_requested = sim.delete_requests.in_flight(p);
            counted.add(LiveCounts::of(&sim.pods[p as usize], delete_requested));
        }
        let kept = sim.job_pod_counts[j as usize];
        if counted != kept {
            out.push(format!(
                "Job {} keeps counts {kept:?} but its pods count {counted:?}",
                job.name
            ));
        }
        let mut followers: BTreeMap<u32, u32> = BTreeMap::new();
        for &p in &sim.job_pods[j as usize] {
            let pod = &sim.pods[p as usize];
            if pod.index != 0 {
                *followers.entry(pod.shape).or_default() += 1;
            }
        }
        let shapes = sim.jobset_controller.live_follower_shapes(j);
        let kept: BTreeMap<u32, u32> = shapes.iter().copied().collect();
        if kept != followers || kept.len() != shapes.len() {
            out.push(format!(
                "Job {} keeps follower shapes {shapes:?} but its pods count {followers:?}",
                job.name
            ));
        }
    }
}

/// The scheduler's node indexes agree with the nodes: free capacity, and which nodes are
/// pristine (no reservation, the pool's own taints, schedulable).
fn indexes_match_nodes(sim: &Sim, out: &mut Vec<String>) {
    let c = &sim.cluster;
    let pr = &c.pristine;
    let mut pristine = 0;
    for n in 0..c.len() as NodeId {
        let i = n as usize;
        let spec = pr.spec_of[i] as usize;
        let want = c.used(n).iter().all(|&u| u == 0)
            && !c.node(i as NodeId).unschedulable
            && c.node(i as NodeId).taints == pr.base_taints[spec];
        if pr.is[i] != want {
            out.push(format!(
                "node {} is {}pristine in the index but {}pristine in fact",
                c.node(i as NodeId).name,
                if pr.is[i] { "" } else { "not " },
                if want { "" } else { "not " }
            ));
        }
        pristine += want as u32;
        if c.soft_tainted(n) != crate::cluster::has_soft_taint(&c.node(i as NodeId).taints) {
            out.push(format!(
                "node {}'s PreferNoSchedule flag is stale",
                c.node(i as NodeId).name
            ));
        }
        if c.flags_stale(n) {
            out.push(format!(
                "node {}'s flags (cordoned, failed, taints) are stale",
                c.node(n).name
            ));
        }
        let free: Vec<i64> = c
            .alloc(n)
            .iter()
            .zip(c.used(n))
            .map(|(a, u)| a - u)
            .collect();
        if !c.node(i as NodeId).unschedulable && c.free.next_fit_all(&free, i) != Some(i) {
            out.push(format!(
                "node {}'s free capacity is stale in the index",
                c.node(i as NodeId).name
            ));
        }
    }
    if pr.all.prefix(c.len()) != pristine {
        out.push(format!(
            "the index counts {} pristine nodes, not {pristine}",
            pr.all.prefix(c.len())
        ));
    }
}

/// The scheduler never reserves more than a node's allocatable of any resource.
fn no_node_over_committed(sim: &Sim, out: &mut Vec<String>) {
    let c = &sim.cluster;
    for n in 0..c.len() as NodeId {
        for (d, (&used, &alloc)) in c.used(n).iter().zip(c.alloc(n)).enumerate() {
            if used > alloc {
                out.push(format!(
                    "node {} is over-committed on {}: {used} of {alloc} milli-units",
                    c.node(n).name,
                    c.resources.name(d)
                ));
            }
        }
    }
}

/// Exclusive placement, as far as upstream enforces it. The leader's required anti-affinity
/// is the only thing that keeps other Jobs out of a domain, and kube-scheduler sees only pods
/// that have not finished; so in each domain of an exclusive topology key holding a placed,
/// unfinished leader, every placed pod of that priority belongs to the leader's Job. Pods of
/// two Jobs may share a domain no live leader guards (a Job whose leader succeeded while
/// followers wait, completions > parallelism): upstream allows it. And each exclusive Job's
/// placed pods that are not being deleted share one domain. With `exclusivePlacement: allPods`
/// every pod carries the terms, so every domain is guarded.
///
/// Followers the run noted as upstream-misplaced (`Recorder::upstream_misplaced`) are left
/// out of their Job's domains while the modelled version has that behaviour (v0.12.0: placed
/// from a finished leader, never repaired); the run reports them in `upstream_behaviours`. On
/// `main`, which fixed both, they count like any pod.
/// They still count in the domain check: a live leader repels them as it does any pod.
fn exclusive_domains(sim: &Sim, out: &mut Vec<String>) {
    let all_pods = sim.params.exclusive_placement == crate::params::ExclusivePlacement::AllPods;
    let upstream_misplaces =
        sim.params.jobset_version == crate::control::pod_webhook::PlacementVersion::V0_12_0;
    let mut per_domain: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut guarded_by: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut per_job: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, node) in sim.scheduler.reservations() {
        let pod = &sim.pods[id as usize];
        if pod.removed || pod.phase.terminal() {
            continue;
        }
        let job = &sim.store.jobs[pod.job as usize];
        let jobset = &sim.store.jobsets[job.jobset as usize].spec;
        let rj = &jobset.spec.replicated_jobs[job.rj as usize];
        // The Job's exclusive-topology and node-selector-strategy annotations.
        let (Some(key), false) = crate::control::jobset::exclusive_placement(jobset, rj) else {
            continue;
        };
        let Some(domain) = sim.cluster.label_value(node, &key) else {
            continue;
        };
        let pod_labels = sim.pod_labels(pod.job);
        let job_key = pod_labels.get(JOB_KEY).cloned().unwrap_or_default();
        let priority = pod_labels.get(PRIORITY).cloned().unwrap_or_default();
        let leader_follower = sim.pod_templates.exclusive_key(pod.job).is_some();
        let group = (key, domain.to_string(), priority);
        if all_pods || (leader_follower && pod.index == 0) {
            guarded_by
                .entry(group.clone())
                .or_default()
                .insert(job.name.clone());
        }
        per_domain
            .entry(group)
            .or_default()
            .insert(job.name.clone());
        let leaving = pod.deletion_ns.is_some() || sim.delete_requests.in_flight(id);
        let excused = upstream_misplaces && sim.rec.upstream_misplaced(id);
        if (leader_follower || all_pods) && !leaving && !excused {
            per_job
                .entry(format!("{} ({job_key})", job.name))
                .or_default()
                .insert(domain.to_string());
        }
    }
    for ((key, domain, priority), jobs) in per_domain {
        let guards = guarded_by.get(&(key.clone(), domain.clone(), priority.clone()));
        if let (Some(guards), true) = (guards, jobs.len() > 1) {
            out.push(format!(
                "{key}={domain} holds pods of {} Jobs at priority {priority}: {jobs:?}, \
                 though the leader of {guards:?} is placed there",
                jobs.len()
            ));
        }
    }
    for (job, domains) in per_job {
        if domains.len() > 1 {
            out.push(format!(
                "Job {job} has pods in {} domains: {domains:?}",
                domains.len()
            ));
        }
    }
}

/// Nothing is bound to a node that is NotReady or cordoned, unless the pod tolerates the
/// NotReady node's taints (as kube-scheduler allows: TaintToleration is the only filter that
/// keeps pods off a NotReady node).
fn no_pod_on_unready_node(sim: &Sim, out: &mut Vec<String>) {
    for (i, pod) in
        (sim.pods.with_ids()).filter(|(_, p)| !p.removed && p.phase != PodPhase::Succeeded)
    {
        if let Some(n) = pod.node {
            let node = sim.cluster.node(n);
            let tolerated = node.ready
                || crate::scheduler::filter::first_untolerated(
                    &node.taints,
                    &sim.shapes[pod.shape as usize].tolerations,
                )
                .is_none();
            if (!tolerated || node.unschedulable)
                && pod.bound_at_ns.unwrap_or(0) >= node.changed_at_ns
            {
                out.push(format!(
                    "pod {} was bound to {} while it was NotReady or cordoned",
                    sim.pod_name(i as crate::sim::objects::PodId),
                    node.name
                ));
            }
        }
    }
}

/// Counted restarts never pass maxRestarts (§4.4). A negative maxRestarts, which v0.12.0
/// accepts, allows no counted restart (the first failure reaches it), not fewer than none.
fn restarts_within_limit(sim: &Sim, out: &mut Vec<String>) {
    for js in &sim.store.jobsets {
        let max = js.spec.spec.max_restarts().max(0);
        let counted = js.status.counted_restarts(true);
        if counted > max {
            out.push(format!(
                "JobSet {} made {counted} counted restarts, maxRestarts is {max}",
                js.name
            ));
        }
    }
}

/// Every created pod is in exactly one state, and the counters agree with the objects.
fn pods_accounted_for(sim: &Sim, out: &mut Vec<String>) {
    let created = sim.pods.created_count();
    if created != sim.rec.pods_created {
        out.push(format!(
            "{created} pods exist but {} were counted as created",
            sim.rec.pods_created
        ));
    }
    for (j, job) in sim.store.live_jobs() {
        for &p in &sim.job_pods[j as usize] {
            if sim.pods[p as usize].removed {
                out.push(format!(
                    "Job {} still lists removed pod {}",
                    job.name,
                    sim.pod_name(p)
                ));
            }
        }
    }
    // Upstream's rule for a Job pod's object (`batch.kubernetes.io/job-tracking`): it goes
    // only once the Job controller's PATCH removing its finalizer landed, and a deleted pod
    // goes as soon as that PATCH landed and the kubelet is done with it (both asserted where
    // the pod changes, `pod_change::apply`, and `Sim::on_finalizer_removed`); here, the
    // state they leave.
    for (i, pod) in sim.pods.with_ids() {
        if pod.removed && pod.holds_tracking_finalizer() {
            out.push(format!(
                "pod {} went with its tracking finalizer on",
                sim.pod_name(i)
            ));
        }
        if pod.tracking_finalizer == TrackingFinalizer::HoldsRemoval
            && (pod.removed || pod.deletion_ns.is_none())
        {
            out.push(format!(
                "pod {} is held for its finalizer but is not a deleted pod object",
                sim.pod_name(i)
            ));
        }
    }
    let reserved = sim.scheduler.reservations().map(|(i, _)| i);
    let removal_held = |p: &PodObj| p.tracking_finalizer == TrackingFinalizer::HoldsRemoval;
    let done = |i: u32| sim.pods.get(i).is_none_or(|p| p.removed || removal_held(p));
    for i in reserved.filter(|&i| done(i)) {
        let Some(pod) = sim.pods.get(i) else {
            // The scheduler gives its reservation up when it hears of the removal, before the
            // pod's slot is released (`Scheduler::on_pod_gone`).
            out.push(format!("released pod {i} still holds a reservation"));
            continue;
        };
        // A pod the kubelet is done with (removed, or held by its finalizer: the kubelet
        // marked it terminal and the scheduler lists no terminal pod) frees its node one watch
        // delay later, never keeps it. The kubelet is done after the deletion as late as
        // `delete_pod` schedules it: PodGC's quarantine (dead node), or the kubelet's stop
        // within the grace period (which can outlast a short quarantine). The finalizer's
        // PATCH, which can wait long behind the Job controller's token bucket, is not part of
        // this bound: it holds the object, not the node.
        let params = &sim.params;
        let grace = sim.shapes[pod.shape as usize].grace_period_ns;
        let removal_ns = params
            .node_lifecycle
            .orphan_pod_gc_ns
            .max(params.watch_delay_ns + params.kubelet.pod_stop_latency_ns.min(grace))
            .max(params.api_call_latency_ns);
        if sim.now()
            > pod.deletion_ns.unwrap_or(0) + removal_ns + 10 * params.watch_delay_ns + 1_000_000_000
        {
            out.push(format!(
                "removed pod {} still holds resources",
                sim.pod_name(i)
            ));
        }
    }
}
