//! The scenario's `faults:` section: what can go wrong, resolved and checked.
//!
//! Every entry is an injector of its own, with its own random sub-stream (`faults/<name>`), so
//! adding one injector never moves another's draws. Rates are per 1,000 node-days (the unit of
//! the fleet studies in `shared/spec/failure-data.md`), repair times lognormal.

use super::duration::DurationField;
use crate::engine::time::NS_PER_S;
use crate::error::InputError;
use serde::Deserialize;

/// One entry of `faults:`. A flat record: which fields apply depends on `kind`, and a field
/// that does not apply is an error (so a typo never passes silently).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultSection {
    /// `nodeFailures`, `domainFailures`, `maintenance`, `podFailures` or `scripted`.
    pub kind: String,
    /// Names the injector in reports and its random stream (default `<kind>-<index>`).
    pub name: Option<String>,
    /// Scripted faults and time-triggered pod failures: when.
    pub at: Option<DurationField>,
    /// Scripted: the node that fails.
    pub node: Option<String>,
    /// Scripted: every node whose label `key` has `value` fails at once.
    pub domain: Option<DomainSection>,
    /// `down`, `crash`, `podCrash`, `drain` for nodes; `exitCode`, `oomKilled`, `evicted` for pods.
    pub effect: Option<String>,
    pub exit_code: Option<i32>,
    /// Scripted node faults: the node returns Ready after this long (default: never).
    pub repair_after: Option<DurationField>,
    #[serde(rename = "ratePer1000NodeDays")]
    pub rate_per_1000_node_days: Option<f64>,
    #[serde(rename = "ratePer1000DomainDays")]
    pub rate_per_1000_domain_days: Option<f64>,
    #[serde(rename = "ratePer1000PodDays")]
    pub rate_per_1000_pod_days: Option<f64>,
    /// Weibull inter-arrival times with this shape (< 1: decreasing hazard); default exponential.
    pub weibull_shape: Option<f64>,
    /// Cause mix of random node failures (default: Llama 3 Table 5).
    pub causes: Option<Vec<CauseSection>>,
    pub lemons: Option<LemonSection>,
    /// Time out of the pool after a failure (lognormal); default: the node never returns.
    pub repair: Option<LognormalSection>,
    /// Maintenance: how long the drained node stays out.
    pub duration: Option<LognormalSection>,
    /// Only nodes of these pools (default: every node).
    pub node_pools: Option<Vec<String>>,
    /// Domain failures: the node label whose values are the domains.
    pub topology_key: Option<String>,
    /// Pod failures: which pods (each field optional, all must match).
    pub jobset: Option<String>,
    pub replicated_job: Option<String>,
    pub job_index: Option<u32>,
    pub pod_index: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DomainSection {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CauseSection {
    pub name: String,
    pub weight: f64,
    /// `down`, `crash` or `podCrash`.
    pub effect: String,
    pub exit_code: Option<i32>,
    /// Overrides the injector's repair for this cause.
    pub repair: Option<LognormalSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LemonSection {
    /// Share of the selected nodes that are lemons, in [0, 1].
    pub fraction: f64,
    /// A lemon fails this many times as often as another node.
    pub multiplier: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LognormalSection {
    pub median: DurationField,
    /// Standard deviation of ln(duration); 0 makes every duration the median.
    #[serde(default)]
    pub sigma: f64,
}

/// What a fault does to a node, each through the real Kubernetes path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NodeEffect {
    /// Hard failure: the kubelet stops; NotReady after the grace period, taint-based eviction.
    Down,
    /// Device fault (e.g. a GPU falls off the bus): the node's containers exit with the code,
    /// health automation cordons the node until it is repaired.
    Crash { exit_code: i32 },
    /// Software fault: the container on that node exits with the code; the node stays.
    PodCrash { exit_code: i32 },
    /// Planned maintenance: cordon, then evict every pod through the Eviction API
    /// (`DisruptionTarget`), out for the maintenance duration.
    Drain,
}

/// What a pod-level fault does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PodEffect {
    /// The main container exits with this code.
    Exit { code: i32 },
    /// The kernel OOM-kills the container: exit code 137, reason `OOMKilled`.
    OomKilled,
    /// The kubelet evicts the pod under node pressure: Failed, reason `Evicted`, with a
    /// `DisruptionTarget` condition (reason `TerminationByKubelet`).
    Evicted,
}

/// Exit code of a container killed by SIGKILL (OOM kill).
pub(crate) const OOM_EXIT_CODE: i32 = 137;
/// Exit code of a training process whose device failed under it (CUDA / XLA error).
pub(crate) const DEVICE_FAULT_EXIT_CODE: i32 = 1;

/// A lognormal duration: median and the standard deviation of its logarithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lognormal {
    pub median_ns: u64,
    pub sigma: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cause {
    pub name: String,
    pub weight: f64,
    pub effect: NodeEffect,
    pub repair: Option<Lognormal>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PodSelector {
    pub jobset: Option<String>,
    pub replicated_job: Option<String>,
    pub job_index: Option<u32>,
    pub pod_index: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FaultKind {
    /// Independent per-node failure processes.
    NodeFailures {
        rate_per_node_day: f64,
        weibull_shape: Option<f64>,
        causes: Vec<Cause>,
        /// (fraction, multiplier)
        lemons: Option<(f64, f64)>,
        repair: Option<Lognormal>,
        node_pools: Vec<String>,
    },
    /// A whole domain (rack, switch, node pool, slice) fails at once.
    DomainFailures {
        topology_key: String,
        rate_per_domain_day: f64,
        weibull_shape: Option<f64>,
        effect: NodeEffect,
        repair: Option<Lognormal>,
        node_pools: Vec<String>,
    },
    /// Planned maintenance: drains at a rate, each node out for `duration`.
    Maintenance {
        rate_per_node_day: f64,
        duration: Lognormal,
        node_pools: Vec<String>,
    },
    /// Pod-level failures at a rate per running pod, or at one time for every matching pod.
    PodFailures {
        rate_per_pod_day: Option<f64>,
        at_ns: Option<u64>,
        selector: PodSelector,
        effect: PodEffect,
    },
    /// At a time, one named node fails.
    ScriptedNode {
        at_ns: u64,
        node: String,
        effect: NodeEffect,
        repair_after_ns: Option<u64>,
    },
    /// At a time, every node of one domain fails.
    ScriptedDomain {
        at_ns: u64,
        key: String,
        value: String,
        effect: NodeEffect,
        repair_after_ns: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub name: String,
    pub kind: FaultKind,
}

/// The default cause mix: Llama 3 Table 5 counts (failure-data.md §1.1), with the path each
/// cause takes. GPU faults crash the training process and send the node to repair; software
/// faults and NCCL hangs end the process only; network, host hardware and unplanned host
/// maintenance take the node off the network (the NotReady path).
pub(crate) fn llama3_causes() -> Vec<Cause> {
    let crash = NodeEffect::Crash {
        exit_code: DEVICE_FAULT_EXIT_CODE,
    };
    let soft = NodeEffect::PodCrash { exit_code: 1 };
    let down = NodeEffect::Down;
    [
        ("faulty-gpu", 148.0, crash),
        ("gpu-hbm3-memory", 72.0, crash),
        ("software-bug", 54.0, soft),
        ("network-switch-cable", 35.0, down),
        ("host-maintenance", 32.0, down),
        ("gpu-sram-memory", 19.0, crash),
        ("gpu-system-processor", 17.0, crash),
        ("nic", 7.0, down),
        ("nccl-watchdog-timeout", 7.0, soft),
        ("silent-data-corruption", 6.0, crash),
        ("gpu-thermal-interface", 6.0, crash),
        ("ssd", 3.0, down),
        ("power-supply", 3.0, down),
        ("server-chassis", 2.0, down),
        ("io-expansion-board", 2.0, down),
        ("dependency", 2.0, soft),
        ("cpu", 2.0, down),
        ("system-memory", 2.0, down),
    ]
    .into_iter()
    .map(|(name, weight, effect)| Cause {
        name: name.into(),
        weight,
        effect,
        repair: None,
    })
    .collect()
}

/// Fields each kind accepts, besides `kind` and `name`.
fn allowed_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "nodeFailures" => &[
            "ratePer1000NodeDays",
            "weibullShape",
            "causes",
            "lemons",
            "repair",
            "nodePools",
        ],
        "domainFailures" => &[
            "topologyKey",
            "ratePer1000DomainDays",
            "weibullShape",
            "effect",
            "exitCode",
            "repair",
            "nodePools",
        ],
        "maintenance" => &["ratePer1000NodeDays", "duration", "nodePools"],
        "podFailures" => &[
            "ratePer1000PodDays",
            "at",
            "effect",
            "exitCode",
            "jobset",
            "replicatedJob",
            "jobIndex",
            "podIndex",
        ],
        "scripted" => &["at", "node", "domain", "effect", "exitCode", "repairAfter"],
        _ => return None,
    })
}

/// The fields a section sets (camelCase, as written).
fn present_fields(f: &FaultSection) -> Vec<&'static str> {
    let mut out = vec![];
    let mut add = |set: bool, name: &'static str| {
        if set {
            out.push(name);
        }
    };
    add(f.at.is_some(), "at");
    add(f.node.is_some(), "node");
    add(f.domain.is_some(), "domain");
    add(f.effect.is_some(), "effect");
    add(f.exit_code.is_some(), "exitCode");
    add(f.repair_after.is_some(), "repairAfter");
    add(f.rate_per_1000_node_days.is_some(), "ratePer1000NodeDays");
    add(
        f.rate_per_1000_domain_days.is_some(),
        "ratePer1000DomainDays",
    );
    add(f.rate_per_1000_pod_days.is_some(), "ratePer1000PodDays");
    add(f.weibull_shape.is_some(), "weibullShape");
    add(f.causes.is_some(), "causes");
    add(f.lemons.is_some(), "lemons");
    add(f.repair.is_some(), "repair");
    add(f.duration.is_some(), "duration");
    add(f.node_pools.is_some(), "nodePools");
    add(f.topology_key.is_some(), "topologyKey");
    add(f.jobset.is_some(), "jobset");
    add(f.replicated_job.is_some(), "replicatedJob");
    add(f.job_index.is_some(), "jobIndex");
    add(f.pod_index.is_some(), "podIndex");
    out
}

const KINDS: &str = "nodeFailures, domainFailures, maintenance, podFailures or scripted";

/// Resolves `faults:`; every problem goes to `errors` with its field path.
pub(crate) fn resolve(
    file: &str,
    sections: &[FaultSection],
    pool_names: &[String],
    errors: &mut Vec<InputError>,
) -> Vec<Fault> {
    let mut out = vec![];
    let mut names = std::collections::BTreeSet::new();
    for (i, f) in sections.iter().enumerate() {
        let mut r = Resolver {
            file,
            index: i,
            errors,
        };
        let Some(allowed) = allowed_fields(&f.kind) else {
            r.error(
                "kind",
                format!("{:?} is not a fault kind: use {KINDS}", f.kind),
            );
            continue;
        };
        let before = r.errors.len();
        for field in present_fields(f) {
            if !allowed.contains(&field) {
                r.error(
                    field,
                    format!(
                        "does not apply to kind {}; its fields are: {}",
                        f.kind,
                        allowed.join(", ")
                    ),
                );
            }
        }
        let name = f.name.clone().unwrap_or_else(|| format!("{}-{i}", f.kind));
        if !names.insert(name.clone()) {
            r.error("name", format!("two faults are named {name:?}"));
        }
        if let Some(pools) = &f.node_pools {
            for (p, pool) in pools.iter().enumerate() {
                if !pool_names.contains(pool) {
                    r.error(
                        &format!("nodePools[{p}]"),
                        format!("no node pool named {pool:?} in cluster.nodePools"),
                    );
                }
            }
        }
        let kind = match f.kind.as_str() {
            "nodeFailures" => r.node_failures(f),
            "domainFailures" => r.domain_failures(f),
            "maintenance" => r.maintenance(f),
            "podFailures" => r.pod_failures(f),
            _ => r.scripted(f),
        };
        if r.errors.len() == before {
            if let Some(kind) = kind {
                out.push(Fault { name, kind });
            }
        }
    }
    out
}

struct Resolver<'a> {
    file: &'a str,
    index: usize,
    errors: &'a mut Vec<InputError>,
}

impl Resolver<'_> {
    fn error(&mut self, field: &str, message: String) {
        self.errors.push(
            InputError::new(self.file, message).at_path(format!("faults[{}].{field}", self.index)),
        );
    }

    /// A rate per 1,000 units per day, returned per unit per day.
    fn rate(&mut self, field: &str, value: Option<f64>) -> Option<f64> {
        match value {
            None => {
                self.error(field, "is required for this kind".into());
                None
            }
            Some(v) if !v.is_finite() || v < 0.0 => {
                self.error(field, format!("{v} is not a rate (a number >= 0)"));
                None
            }
            Some(v) if v > 1e6 => {
                self.error(
                    field,
                    format!("{v} per 1,000 per day is more than one failure a second per node"),
                );
                None
            }
            Some(v) => Some(v / 1000.0),
        }
    }

    fn weibull(&mut self, value: Option<f64>) -> Option<Option<f64>> {
        match value {
            Some(k) if !(0.1..=10.0).contains(&k) || !k.is_finite() => {
                self.error(
                    "weibullShape",
                    format!("{k} is outside the supported range 0.1 to 10"),
                );
                None
            }
            v => Some(v),
        }
    }

    fn lognormal(&mut self, field: &str, s: &LognormalSection) -> Option<Lognormal> {
        let median_ns = s.median.ns;
        if median_ns == 0 {
            self.error(&format!("{field}.median"), "must be longer than 0s".into());
            return None;
        }
        if !s.sigma.is_finite() || !(0.0..=5.0).contains(&s.sigma) {
            self.error(
                &format!("{field}.sigma"),
                format!("{} is outside the supported range 0 to 5", s.sigma),
            );
            return None;
        }
        Some(Lognormal {
            median_ns,
            sigma: s.sigma,
        })
    }

    fn opt_lognormal(
        &mut self,
        field: &str,
        s: &Option<LognormalSection>,
    ) -> Option<Option<Lognormal>> {
        match s {
            None => Some(None),
            Some(s) => self.lognormal(field, s).map(Some),
        }
    }

    fn node_effect(
        &mut self,
        field: &str,
        text: Option<&str>,
        exit_code: Option<i32>,
    ) -> Option<NodeEffect> {
        let code = |default| exit_code.unwrap_or(default);
        let effect = match text.unwrap_or("down") {
            "down" => NodeEffect::Down,
            "crash" => NodeEffect::Crash {
                exit_code: code(DEVICE_FAULT_EXIT_CODE),
            },
            "podCrash" => NodeEffect::PodCrash { exit_code: code(1) },
            "drain" => NodeEffect::Drain,
            other => {
                self.error(
                    field,
                    format!("{other:?} is not a node effect: use down, crash, podCrash or drain"),
                );
                return None;
            }
        };
        if matches!(effect, NodeEffect::Down | NodeEffect::Drain) && exit_code.is_some() {
            self.error(
                "exitCode",
                "applies only to the crash and podCrash effects".into(),
            );
            return None;
        }
        if let NodeEffect::Crash { exit_code: 0 } | NodeEffect::PodCrash { exit_code: 0 } = effect {
            self.error("exitCode", "a failure exits with a non-zero code".into());
            return None;
        }
        Some(effect)
    }

    fn pools(f: &FaultSection) -> Vec<String> {
        f.node_pools.clone().unwrap_or_default()
    }

    fn node_failures(&mut self, f: &FaultSection) -> Option<FaultKind> {
        let rate = self.rate("ratePer1000NodeDays", f.rate_per_1000_node_days);
        let shape = self.weibull(f.weibull_shape);
        let repair = self.opt_lognormal("repair", &f.repair);
        let causes = match &f.causes {
            None => llama3_causes(),
            Some(list) if list.is_empty() => {
                self.error(
                    "causes",
                    "needs at least one cause (or leave it out for the Llama 3 mix)".into(),
                );
                vec![]
            }
            Some(list) => (list.iter().enumerate())
                .filter_map(|(c, cause)| self.cause(c, cause))
                .collect(),
        };
        let lemons = self.lemons(f.lemons.as_ref());
        Some(FaultKind::NodeFailures {
            rate_per_node_day: rate?,
            weibull_shape: shape?,
            causes,
            lemons: lemons?,
            repair: repair?,
            node_pools: Self::pools(f),
        })
    }

    /// Cause `c` of a `nodeFailures` injector, or `None` when it is invalid (reported).
    fn cause(&mut self, c: usize, cause: &CauseSection) -> Option<Cause> {
        let at = format!("causes[{c}]");
        if !cause.weight.is_finite() || cause.weight <= 0.0 {
            self.error(
                &format!("{at}.weight"),
                format!("{} is not a weight (a number > 0)", cause.weight),
            );
            return None;
        }
        let effect = self.node_effect(
            &format!("{at}.effect"),
            Some(&cause.effect),
            cause.exit_code,
        )?;
        if effect == NodeEffect::Drain {
            self.error(
                &format!("{at}.effect"),
                "drain is planned maintenance: use kind: maintenance".into(),
            );
            return None;
        }
        let repair = self.opt_lognormal(&format!("{at}.repair"), &cause.repair)?;
        Some(Cause {
            name: cause.name.clone(),
            weight: cause.weight,
            effect,
            repair,
        })
    }

    /// The lemons (a fraction of nodes failing `multiplier` times as often), when written:
    /// `Some(None)` for none, `None` when invalid (reported).
    fn lemons(&mut self, lemons: Option<&LemonSection>) -> Option<Option<(f64, f64)>> {
        let Some(l) = lemons else {
            return Some(None);
        };
        if !(0.0..=1.0).contains(&l.fraction) {
            self.error(
                "lemons.fraction",
                format!("{} is not a fraction in [0, 1]", l.fraction),
            );
            None
        } else if !l.multiplier.is_finite() || !(1.0..=1e4).contains(&l.multiplier) {
            self.error(
                "lemons.multiplier",
                format!("{} is outside the supported range 1 to 10000", l.multiplier),
            );
            None
        } else {
            Some(Some((l.fraction, l.multiplier)))
        }
    }

    fn domain_failures(&mut self, f: &FaultSection) -> Option<FaultKind> {
        let rate = self.rate("ratePer1000DomainDays", f.rate_per_1000_domain_days);
        let shape = self.weibull(f.weibull_shape);
        let repair = self.opt_lognormal("repair", &f.repair);
        let effect = self.node_effect("effect", f.effect.as_deref(), f.exit_code);
        let key = match &f.topology_key {
            Some(k) if !k.is_empty() => Some(k.clone()),
            _ => {
                self.error(
                    "topologyKey",
                    "names the node label whose values are the domains".into(),
                );
                None
            }
        };
        Some(FaultKind::DomainFailures {
            topology_key: key?,
            rate_per_domain_day: rate?,
            weibull_shape: shape?,
            effect: effect?,
            repair: repair?,
            node_pools: Self::pools(f),
        })
    }

    fn maintenance(&mut self, f: &FaultSection) -> Option<FaultKind> {
        let rate = self.rate("ratePer1000NodeDays", f.rate_per_1000_node_days);
        let duration = match &f.duration {
            Some(d) => self.lognormal("duration", d),
            None => {
                self.error(
                    "duration",
                    "is required: how long a drained node stays out, e.g. {median: 2h, sigma: 0}"
                        .into(),
                );
                None
            }
        };
        Some(FaultKind::Maintenance {
            rate_per_node_day: rate?,
            duration: duration?,
            node_pools: Self::pools(f),
        })
    }

    fn pod_failures(&mut self, f: &FaultSection) -> Option<FaultKind> {
        let at_ns = f.at.map(|d| d.ns);
        let rate = match f.rate_per_1000_pod_days {
            Some(_) => Some(self.rate("ratePer1000PodDays", f.rate_per_1000_pod_days)?),
            None => None,
        };
        if rate.is_some() == at_ns.is_some() {
            self.error(
                "at",
                "a pod failure has either `at` (one time) or `ratePer1000PodDays`".into(),
            );
            return None;
        }
        let effect = match f.effect.as_deref().unwrap_or("exitCode") {
            "exitCode" => PodEffect::Exit {
                code: f.exit_code.unwrap_or(1),
            },
            "oomKilled" => PodEffect::OomKilled,
            "evicted" => PodEffect::Evicted,
            other => {
                self.error(
                    "effect",
                    format!("{other:?} is not a pod effect: use exitCode, oomKilled or evicted"),
                );
                return None;
            }
        };
        if f.exit_code.is_some() && !matches!(effect, PodEffect::Exit { .. }) {
            self.error("exitCode", "applies only to effect exitCode".into());
            return None;
        }
        if effect == (PodEffect::Exit { code: 0 }) {
            self.error("exitCode", "a failure exits with a non-zero code".into());
            return None;
        }
        Some(FaultKind::PodFailures {
            rate_per_pod_day: rate,
            at_ns,
            selector: PodSelector {
                jobset: f.jobset.clone(),
                replicated_job: f.replicated_job.clone(),
                job_index: f.job_index,
                pod_index: f.pod_index,
            },
            effect,
        })
    }

    fn scripted(&mut self, f: &FaultSection) -> Option<FaultKind> {
        let Some(at) = &f.at else {
            self.error("at", "a scripted fault says when it happens".into());
            return None;
        };
        let at_ns = at.ns;
        let effect = self.node_effect("effect", f.effect.as_deref(), f.exit_code)?;
        let repair_after_ns = f.repair_after.map(|d| d.ns);
        if effect == NodeEffect::Drain && repair_after_ns.is_none() {
            self.error(
                "repairAfter",
                "a drain says when the node comes back".into(),
            );
            return None;
        }
        match (&f.node, &f.domain) {
            (Some(node), None) => Some(FaultKind::ScriptedNode {
                at_ns,
                node: node.clone(),
                effect,
                repair_after_ns,
            }),
            (None, Some(d)) => Some(FaultKind::ScriptedDomain {
                at_ns,
                key: d.key.clone(),
                value: d.value.clone(),
                effect,
                repair_after_ns,
            }),
            _ => {
                self.error("node", "a scripted fault names either one node or one domain ({key, value}); for pods use kind: podFailures with at".into());
                None
            }
        }
    }
}

/// Nanoseconds in a day, for rates per node-day.
pub(crate) const NS_PER_DAY: f64 = 86_400.0 * NS_PER_S as f64;

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_one(yaml: &str) -> Result<Fault, Vec<String>> {
        let f: FaultSection = serde_yaml_ng::from_str(yaml).unwrap();
        let mut errors = vec![];
        let out = resolve("s.yaml", &[f], &["gpu".to_string()], &mut errors);
        if errors.is_empty() {
            Ok(out.into_iter().next().unwrap())
        } else {
            Err(errors.iter().map(|e| e.to_string()).collect())
        }
    }

    #[test]
    fn llama3_mix_sums_to_419() {
        let total: f64 = llama3_causes().iter().map(|c| c.weight).sum();
        assert_eq!(total, 419.0);
    }

    #[test]
    fn node_failures_default_to_llama3_causes() {
        let f = resolve_one("{kind: nodeFailures, ratePer1000NodeDays: 3.79}").unwrap();
        let FaultKind::NodeFailures {
            rate_per_node_day,
            causes,
            ..
        } = f.kind
        else {
            panic!("{f:?}")
        };
        assert!((rate_per_node_day - 0.00379).abs() < 1e-12);
        assert_eq!(causes.len(), 18);
        assert_eq!(f.name, "nodeFailures-0");
    }

    #[test]
    fn fields_of_another_kind_are_rejected() {
        let e = resolve_one(
            "{kind: maintenance, ratePer1000NodeDays: 1, duration: {median: 1h}, exitCode: 3}",
        )
        .unwrap_err();
        assert!(
            e[0].contains("faults[0].exitCode: does not apply to kind maintenance"),
            "{e:?}"
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let e = resolve_one("{kind: nodeFailures, ratePer1000NodeDays: -1}").unwrap_err();
        assert!(e[0].contains("faults[0].ratePer1000NodeDays"), "{e:?}");
        let e = resolve_one("{kind: nodeFailures, ratePer1000NodeDays: 1, nodePools: [cpu]}")
            .unwrap_err();
        assert!(e[0].contains("no node pool named \"cpu\""), "{e:?}");
        let e = resolve_one("{kind: scripted, at: 1m, node: a, effect: melt}").unwrap_err();
        assert!(e[0].contains("faults[0].effect"), "{e:?}");
        let e = resolve_one("{kind: podFailures}").unwrap_err();
        assert!(e[0].contains("either `at`"), "{e:?}");
        let e =
            resolve_one("{kind: podFailures, at: 1m, effect: oomKilled, exitCode: 2}").unwrap_err();
        assert!(e[0].contains("faults[0].exitCode"), "{e:?}");
        let e = resolve_one("{kind: domainFailures, ratePer1000DomainDays: 1}").unwrap_err();
        assert!(e[0].contains("faults[0].topologyKey"), "{e:?}");
        let e = resolve_one("{kind: nodeFailures, ratePer1000NodeDays: 1, repair: {median: 0s}}")
            .unwrap_err();
        assert!(e[0].contains("faults[0].repair.median"), "{e:?}");
    }

    #[test]
    fn scripted_domain_and_pod_failures() {
        let f = resolve_one(
            "{kind: scripted, at: 1m, domain: {key: rack, value: r1}, repairAfter: 1h}",
        )
        .unwrap();
        assert!(matches!(
            f.kind,
            FaultKind::ScriptedDomain {
                repair_after_ns: Some(_),
                ..
            }
        ));
        let f = resolve_one(
            "{kind: podFailures, at: 10m, replicatedJob: w, podIndex: 0, effect: evicted}",
        )
        .unwrap();
        assert!(matches!(
            f.kind,
            FaultKind::PodFailures {
                effect: PodEffect::Evicted,
                at_ns: Some(_),
                ..
            }
        ));
    }
}
