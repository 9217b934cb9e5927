//! What a scenario will take in memory once built, estimated from its sizes before anything is
//! allocated, and refused past a limit: a too-large input is a clear exit 2, not an abort when
//! the machine runs out of memory half-way through building it.
//!
//! The per-object costs are measured peak RSS slopes of the release binary (`/usr/bin/time -v`,
//! results/single-pod-jobs-2026-12-06.md, the method of results/memory-2026-12-04.md): each
//! child Job with its pod about 7 KB with the output set kept (6.6 KB from 5,000 to 20,000
//! single-pod Jobs; 14 KB before pod labels were kept only once an inter-pod term exists, 27 KB
//! before Jobs shared their spec and stopped keeping their label maps), each further pod of a
//! Job about 0.9 KB, each node about 0.7 KB.
//! They cover the objects a run starts with; pods created later (retries, restarts) and the
//! rows kept for events.csv grow with simulated time and are not in the estimate.

use super::Scenario;
use crate::error::InputError;

/// Default limit: fits a 24 GiB machine with room for the operating system and the outputs.
pub(crate) const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 16 << 30;
/// The default limit as the refusal quotes it.
pub(crate) const DEFAULT_MEMORY_LIMIT: &str = "16Gi";

const BYTES_PER_JOB: u64 = 7_000;
const BYTES_PER_POD: u64 = 900;
const BYTES_PER_NODE: u64 = 700;
/// The binary, its tables and an empty run.
const BYTES_BASE: u64 = 10 << 20;

/// The sizes a scenario starts with and the memory they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryEstimate {
    pub jobs: u64,
    pub pods: u64,
    pub nodes: u64,
    pub bytes: u64,
}

impl MemoryEstimate {
    pub(crate) fn of(s: &Scenario) -> MemoryEstimate {
        let nodes = s
            .node_pools
            .iter()
            .map(|p| u64::from(p.count).saturating_mul(u64::from(p.nodes_per_pool)))
            .fold(0u64, u64::saturating_add);
        let (mut jobs, mut pods) = (0u64, 0u64);
        for w in &s.workloads {
            for rj in &w.jobset.spec.replicated_jobs {
                let replicas = rj.replicas.unwrap_or(1).max(0) as u64;
                let spec = &rj.template.spec;
                let completions = spec.completions.unwrap_or(1).max(0) as u64;
                let parallelism = spec.parallelism.unwrap_or(1).max(0) as u64;
                jobs = jobs.saturating_add(replicas);
                let per_job = parallelism.min(completions.max(1));
                pods = pods.saturating_add(replicas.saturating_mul(per_job));
            }
        }
        let bytes = BYTES_BASE
            .saturating_add(jobs.saturating_mul(BYTES_PER_JOB))
            .saturating_add(pods.saturating_mul(BYTES_PER_POD))
            .saturating_add(nodes.saturating_mul(BYTES_PER_NODE));
        MemoryEstimate {
            jobs,
            pods,
            nodes,
            bytes,
        }
    }
}

/// Refuses a scenario whose estimate is past `s.memory_limit_bytes`, with the estimate, what
/// it is made of and how to raise the limit. The error points at the field of the largest part
/// of the estimate (a replicated job's Jobs or pods, or a node pool's nodes): the one to
/// lower, if the machine does not have the memory.
pub(crate) fn check(s: &Scenario) -> Result<(), InputError> {
    let e = MemoryEstimate::of(s);
    if e.bytes <= s.memory_limit_bytes {
        return Ok(());
    }
    let message = format!(
        "the scenario needs about {} of memory ({} Jobs, {} pods at once, {} nodes), more \
         than the limit of {}; if the machine has the memory, raise the limit with \
         `run.memoryLimit` in the scenario or `--memory-limit` (e.g. --memory-limit {})",
        gib(e.bytes),
        e.jobs,
        e.pods,
        e.nodes,
        s.memory_limit_written.trim(),
        suggested_limit(e.bytes),
    );
    let weigh_jobs = |jobs: u64, pods: u64| {
        (jobs.saturating_mul(BYTES_PER_JOB)).saturating_add(pods.saturating_mul(BYTES_PER_POD))
    };
    let largest_job = super::largest_replicated_job(&s.workloads, weigh_jobs);
    let largest_pool = s
        .node_pools
        .iter()
        .enumerate()
        .max_by_key(|(_, p)| u64::from(p.count).saturating_mul(u64::from(p.nodes_per_pool)));
    let pool_bytes = largest_pool.map_or(0, |(_, p)| {
        u64::from(p.count)
            .saturating_mul(u64::from(p.nodes_per_pool))
            .saturating_mul(BYTES_PER_NODE)
    });
    Err(match (largest_job, largest_pool) {
        (Some(job), _) if job.weight >= pool_bytes => {
            InputError::new(&job.source, message).at_path(job.path)
        }
        (_, Some((k, _))) => InputError::new(&s.file, message)
            .at_path(format!("cluster.nodePools[{k}].nodesPerPool")),
        _ => InputError::new(&s.file, message),
    })
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// The estimate rounded up to whole GiB, as a quantity.
fn suggested_limit(bytes: u64) -> String {
    format!("{}Gi", bytes.div_ceil(1 << 30))
}

/// Parses a limit written as a Kubernetes quantity (`16Gi`, `500M`) into bytes.
pub(crate) fn parse_limit(text: &str) -> Result<u64, String> {
    let q = crate::api::quantity::Quantity::parse(text)?;
    if q.milli <= 0 {
        return Err(format!("must be more than 0 (got {text:?})"));
    }
    Ok((q.milli as u64).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(replicas: u64, parallelism: u64, nodes: u32) -> Scenario {
        let text = format!(
            "name: m\ncluster:\n  nodePools:\n  - {{name: p, nodesPerPool: {nodes}, capacity: {{cpu: 8}}}}\n\
             workloads:\n- jobset:\n    apiVersion: jobset.x-k8s.io/v1alpha2\n    kind: JobSet\n    \
             metadata: {{name: js}}\n    spec:\n      replicatedJobs:\n      - name: w\n        \
             replicas: {replicas}\n        template:\n          spec:\n            parallelism: {parallelism}\n            \
             completions: {parallelism}\n            template:\n              spec:\n                \
             containers: [{{name: c, resources: {{requests: {{cpu: '1'}}}}}}]\n"
        );
        super::super::load_scenario_from_str("m.yaml", &text, std::path::Path::new("."))
            .expect("valid scenario")
    }

    #[test]
    fn three_million_jobs_are_refused_with_the_estimate_and_the_way_to_raise_the_limit() {
        let s = scenario(3_000_000, 1, 4);
        assert_eq!(s.memory_limit_bytes, DEFAULT_MEMORY_LIMIT_BYTES);
        let e = MemoryEstimate::of(&s);
        assert_eq!((e.jobs, e.pods, e.nodes), (3_000_000, 3_000_000, 4));
        let err = check(&s).unwrap_err().to_string();
        assert_eq!(err, "m.yaml (workloads[0].jobset): spec.replicatedJobs[0].replicas: the scenario needs about 22.1 GiB of memory (3000000 Jobs, 3000000 pods at once, 4 nodes), more than the limit of 16Gi; if the machine has the memory, raise the limit with `run.memoryLimit` in the scenario or `--memory-limit` (e.g. --memory-limit 23Gi)");
        let mut raised = s;
        raised.memory_limit_bytes = parse_limit("23Gi").unwrap();
        assert!(check(&raised).is_ok());
    }

    #[test]
    fn sixty_thousand_single_pod_jobs_fit_the_default() {
        let s = scenario(60_000, 1, 1000);
        assert!(check(&s).is_ok());
        // Issue #15: a few hundred MB.
        assert!(MemoryEstimate::of(&s).bytes < 500 << 20);
    }

    #[test]
    fn limits_parse_as_quantities() {
        assert_eq!(parse_limit("16Gi"), Ok(16 << 30));
        assert_eq!(
            parse_limit(DEFAULT_MEMORY_LIMIT),
            Ok(DEFAULT_MEMORY_LIMIT_BYTES)
        );
        assert_eq!(parse_limit("500M"), Ok(500_000_000));
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("lots").is_err());
    }
}
