//! `--dry-run`: what a loaded, validated and resolved scenario would run, printed instead of
//! running it.

use crate::engine::time::format_duration;
use crate::scenario::{FaultKind, Scenario};
use std::fmt::Write;

/// The plan of one run: seed, time limit, cluster, workloads, faults and gates. `nodes` is the
/// size of the cluster as built.
pub(crate) fn describe(s: &Scenario, nodes: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario   {} ({})", s.name, s.file);
    let _ = writeln!(out, "hash       {}", s.hash);
    let _ = writeln!(out, "seed       {}", s.seed);
    let stop = if s.stop_when_all_terminal {
        ", or when every JobSet is terminal"
    } else {
        ""
    };
    let _ = writeln!(out, "until      {}{stop}", format_duration(s.until_ns));
    let pools: Vec<String> = s
        .node_pools
        .iter()
        .map(|p| {
            let capacity: Vec<String> = p
                .capacity
                .iter()
                .map(|(k, q)| {
                    // Byte-valued resources in Ki/Mi/Gi, as manifests write them.
                    let bytes =
                        k == "memory" || k == "ephemeral-storage" || k.starts_with("hugepages-");
                    let shown = if bytes {
                        q.display_bytes()
                    } else {
                        q.display()
                    };
                    format!("{k}: {shown}")
                })
                .collect();
            format!(
                "{} ({} × {} nodes, {})",
                p.name,
                p.count,
                p.nodes_per_pool,
                capacity.join(", ")
            )
        })
        .collect();
    let _ = writeln!(out, "cluster    {nodes} nodes: {}", pools.join("; "));
    let _ = writeln!(out, "workloads  {}", s.workloads.len());
    for w in &s.workloads {
        let spec = &w.jobset.spec;
        let jobs: Vec<String> = spec
            .replicated_jobs
            .iter()
            .map(|r| {
                format!(
                    "{} ×{} (parallelism {})",
                    r.name,
                    r.replica_count(),
                    r.template.spec.parallelism.unwrap_or(1)
                )
            })
            .collect();
        let training = if w.training.is_some() {
            ", training"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {}: at {}, {} pods at once, runFor {}{training}; {}",
            w.jobset.metadata.name,
            format_duration(w.at_ns),
            spec.total_pods_at_once(),
            format_duration(w.run_for_ns),
            jobs.join(", ")
        );
    }
    let _ = writeln!(out, "faults     {}", s.faults.len());
    for f in &s.faults {
        let _ = writeln!(out, "  {}: {}", f.name, fault_text(&f.kind));
    }
    if !s.expect.is_empty() {
        let gates: Vec<String> = s.expect.iter().map(|e| e.to_string()).collect();
        let _ = writeln!(out, "expect     {}", gates.join("; "));
    }
    out
}

fn fault_text(kind: &FaultKind) -> String {
    let pools = |p: &[String]| {
        if p.is_empty() {
            String::new()
        } else {
            format!(" in {}", p.join(", "))
        }
    };
    match kind {
        FaultKind::NodeFailures {
            rate_per_node_day,
            causes,
            node_pools,
            ..
        } => format!(
            "node failures, {} per 1000 node-days, {} causes{}",
            rate_per_node_day * 1000.0,
            causes.len(),
            pools(node_pools)
        ),
        FaultKind::DomainFailures {
            topology_key,
            rate_per_domain_day,
            node_pools,
            ..
        } => format!(
            "domain failures by {topology_key}, {} per 1000 domain-days{}",
            rate_per_domain_day * 1000.0,
            pools(node_pools)
        ),
        FaultKind::Maintenance {
            rate_per_node_day,
            node_pools,
            ..
        } => format!(
            "maintenance, {} per 1000 node-days{}",
            rate_per_node_day * 1000.0,
            pools(node_pools)
        ),
        FaultKind::PodFailures {
            rate_per_pod_day,
            at_ns,
            ..
        } => match (rate_per_pod_day, at_ns) {
            (Some(r), _) => format!("pod failures, {} per 1000 pod-days", r * 1000.0),
            (None, Some(t)) => format!("pod failures at {}", format_duration(*t)),
            (None, None) => "pod failures".into(),
        },
        FaultKind::ScriptedNode { at_ns, node, .. } => {
            format!("node {node} fails at {}", format_duration(*at_ns))
        }
        FaultKind::ScriptedDomain {
            at_ns, key, value, ..
        } => format!("domain {key}={value} fails at {}", format_duration(*at_ns)),
    }
}
