//! InterPodAffinity from indexes. The real plugin walks every pod on every node; here, placed
//! pods are counted per topology domain, per Job (all pods of a Job share their labels) and per
//! label, so a decision touches the domains it needs and not the pods.
//!
//! Symmetry (existing pods' required anti-affinity against the incoming pod) uses normalized
//! terms: a term that names its owner's own label value (JobSet's `job-key NotIn [own key]`) is
//! stored once with that value replaced by `$SELF`, counted per domain and per owner value. Its
//! verdict on an incoming pod then only depends on whether the owner's value equals the pod's,
//! which two evaluations answer for all owners at once.
//!
//! Namespaces: a term's `namespaces` and `namespaceSelector` are resolved when the term is
//! compiled (namespaces are fixed for a run), into one more requirement on a pseudo-label that
//! carries each pod's namespace. Every index above then scopes by namespace with no extra code:
//! a Job's labels, as the index matches them, include its namespace.
//!
//! Preferred terms (the Score half of InterPodAffinity) reuse the same counts: the incoming
//! pod's own terms sum the per-domain counts of the Jobs they match; placed pods' preferred
//! terms and required affinity terms (hardPodAffinityWeight) are normalized like the
//! anti-affinity terms and counted per domain and owner value.

use crate::api::keys::NAMESPACE_NAME_LABEL;
use crate::api::types::{LabelSelector, PodAffinityTerm, StringMap};
use crate::cluster::{Cluster, NodeId};
use crate::engine::hash::FastMap;
use crate::sim::shape::PodShape;
use std::collections::{btree_map, BTreeMap, BTreeSet};

pub(crate) type JobKey = u32;
pub(crate) const NO_DOMAIN: u32 = u32::MAX;
const SELF: &str = "\u{0}$SELF";
const NOT_SELF: &str = "\u{0}$OTHER";
/// The pseudo-label carrying a pod's namespace into selector matching. Label keys cannot hold
/// NUL, so it never collides with a real label.
pub(crate) const NAMESPACE_KEY: &str = "\u{0}namespace";
static NO_LABELS: StringMap = BTreeMap::new();

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    /// An operator Kubernetes would have rejected: matches nothing.
    Invalid,
}

/// A compiled label selector: every requirement must hold (matchLabels are `In [v]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Selector {
    pub reqs: Vec<(String, Op)>,
}

impl Selector {
    pub(crate) fn compile(ls: Option<&LabelSelector>) -> Selector {
        // A nil selector matches nothing; an empty one matches everything (metav1 semantics).
        let Some(ls) = ls else {
            return Selector {
                reqs: vec![(String::new(), Op::Invalid)],
            };
        };
        let mut reqs: Vec<(String, Op)> = ls
            .match_labels
            .iter()
            .map(|(k, v)| (k.clone(), Op::In(vec![v.clone()])))
            .collect();
        for e in &ls.match_expressions {
            let op = match e.operator.as_str() {
                "In" => Op::In(e.values.clone()),
                "NotIn" => Op::NotIn(e.values.clone()),
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                _ => Op::Invalid,
            };
            reqs.push((e.key.clone(), op));
        }
        Selector { reqs }
    }

    /// `self_value` replaces the `$SELF` placeholder (None: the sentinel that equals nothing).
    pub(crate) fn matches_with(&self, labels: &StringMap, self_value: Option<&str>) -> bool {
        // `$SELF` stands for `self_value`; without one it equals no label value.
        let equals = |v: &String, have: &String| -> bool {
            if v == SELF {
                self_value.unwrap_or(NOT_SELF) == have
            } else {
                v == have
            }
        };
        self.reqs.iter().all(|(k, op)| {
            let have = labels.get(k);
            match op {
                Op::In(vs) => have.is_some_and(|h| vs.iter().any(|v| equals(v, h))),
                Op::NotIn(vs) => have.is_none_or(|h| vs.iter().all(|v| !equals(v, h))),
                Op::Exists => have.is_some(),
                Op::DoesNotExist => have.is_none(),
                Op::Invalid => false,
            }
        })
    }

    pub(crate) fn matches(&self, labels: &StringMap) -> bool {
        self.matches_with(labels, None)
    }

    /// The values of `key` this selector requires (In or matchLabels), for index lookups.
    fn required_values(&self) -> Option<(&str, &[String])> {
        self.reqs.iter().find_map(|(k, op)| match op {
            Op::In(vs) if !vs.iter().any(|v| v == SELF) => Some((k.as_str(), vs.as_slice())),
            _ => None,
        })
    }
}

/// A pod's required (anti-)affinity term, compiled against the pod's own labels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    pub topo: u16,
    /// The selector as written (shared: each cycle's context refers to it, not a copy).
    pub selector: std::sync::Arc<Selector>,
    /// The normalized form's id (symmetry index) and the owner's value for `$SELF`.
    pub norm: u32,
    pub self_value: Option<String>,
}

/// A term that scores (InterPodAffinity Score): a preferred term, or a required affinity term
/// as existing pods weigh it (hardPodAffinityWeight). Compiled like [`Term`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScoreTerm {
    pub topo: u16,
    /// The selector as written, namespaces resolved.
    pub selector: Selector,
    /// Negative for anti-affinity: upstream's multiplier -1.
    pub weight: i64,
    /// The normalized form's id in the score index, and the owner's value for `$SELF`.
    pub norm: u32,
    pub self_value: Option<String>,
}

/// Placed pods carrying one normalized score term, per domain of its topology.
#[derive(Debug, Clone)]
struct ScoreNorm {
    topo: u16,
    selector: Selector,
    self_key: Option<String>,
    weight: i64,
    /// Carriers per domain.
    placed: Vec<u32>,
    /// Per owner `$SELF` value: carriers per domain, only the domains holding some. A pod
    /// matched only as "same owner" (a Job's own term) reads its few domains from here.
    by_owner: FastMap<String, BTreeMap<u32, u32>>,
    carriers: u32,
}

/// What the Score half knows about the incoming pod in one cycle. Kept by the scheduler and
/// refilled each scoring cycle ([`AffinityIndex::score_ctx_into`]): flat lists, so a cycle
/// allocates nothing (two ordered maps made and dropped per cycle were a tenth of a JobSet
/// follower's decision).
#[derive(Debug, Clone, Default)]
pub(crate) struct ScoreCtx {
    /// Upstream's `topologyScore`, as far as it is sparse: (topology, domain, summed weight ×
    /// matching placed pods), from the pod's own preferred terms and from placed pods' terms
    /// counted per owner. Sorted, one entry per (topology, domain), once [`Self::finish`]ed:
    /// each scored node looks its domains up by binary search.
    domains: Vec<(u16, u32, i64)>,
    /// The topologies `domains` holds, each once.
    topos: Vec<u16>,
    /// Placed pods' score terms that match the pod whatever their owner's value: they score
    /// weight × carriers in every domain, read per scored node (less the owner-counted part
    /// already folded into `domains`).
    totals: Vec<u32>,
}

impl ScoreCtx {
    fn clear(&mut self) {
        self.domains.clear();
        self.topos.clear();
        self.totals.clear();
    }

    /// Adds `weight × count` to domains of `topo`.
    fn add(&mut self, topo: u16, counts: &BTreeMap<u32, u32>, weight: i64) {
        if counts.is_empty() {
            return;
        }
        if !self.topos.contains(&topo) {
            self.topos.push(topo);
        }
        let scores = counts.iter().map(|(&d, &c)| (topo, d, weight * c as i64));
        self.domains.extend(scores);
    }

    /// Sorts `domains` and sums the entries of each (topology, domain): integer sums, so
    /// the order they were added in does not matter.
    fn finish(&mut self) {
        self.domains.sort_unstable_by_key(|&(t, d, _)| (t, d));
        self.domains.dedup_by(|later, kept| {
            let same = (later.0, later.1) == (kept.0, kept.1);
            if same {
                kept.2 += later.2;
            }
            same
        });
    }

    /// The summed score of domain `d` of `topo` (0 when none).
    fn domain_score(&self, topo: u16, d: u32) -> i64 {
        match (self.domains).binary_search_by_key(&(topo, d), |&(t, d, _)| (t, d)) {
            Ok(i) => self.domains[i].2,
            Err(_) => 0,
        }
    }
}

/// One topology key: each node's domain, and what is placed in each domain.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    pub domain_of: Vec<u32>,
    pub domain_names: Vec<String>,
    /// Maximal runs of consecutive node ids in one domain: (first, last + 1, domain).
    pub runs: Vec<(u32, u32, u32)>,
    /// Run indices of each domain, and the runs of nodes without the label.
    pub domain_runs: Vec<Vec<u32>>,
    pub nodomain_runs: Vec<u32>,
    jobs_in: Vec<BTreeMap<JobKey, u32>>,
}

impl Topology {
    fn build(cluster: &Cluster, key: &str) -> Topology {
        let mut names: Vec<String> = vec![];
        // Domains numbered in the order nodes first carry their value, found by value id (a
        // hostname topology has a value per node: no string is hashed or copied per node).
        let key_id = cluster.keys.get(key);
        let mut domain_by_value = vec![NO_DOMAIN; cluster.values.len()];
        let mut domain_of = Vec::with_capacity(cluster.len());
        for n in 0..cluster.len() as NodeId {
            let d = match key_id.and_then(|k| cluster.node_label(n, k)) {
                Some(v) => {
                    let slot = &mut domain_by_value[v as usize];
                    if *slot == NO_DOMAIN {
                        names.push(cluster.values.name(v).to_string());
                        *slot = (names.len() - 1) as u32;
                    }
                    *slot
                }
                None => NO_DOMAIN,
            };
            domain_of.push(d);
        }
        let mut runs: Vec<(u32, u32, u32)> = vec![];
        for (n, &d) in domain_of.iter().enumerate() {
            match runs.last_mut() {
                Some(r) if r.2 == d && r.1 == n as u32 => r.1 += 1,
                _ => runs.push((n as u32, n as u32 + 1, d)),
            }
        }
        let mut domain_runs = vec![vec![]; names.len()];
        for (r, run) in runs.iter().enumerate() {
            if run.2 != NO_DOMAIN {
                domain_runs[run.2 as usize].push(r as u32);
            }
        }
        let nodomain_runs = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.2 == NO_DOMAIN)
            .map(|(i, _)| i as u32)
            .collect();
        Topology {
            domain_runs,
            nodomain_runs,
            jobs_in: vec![BTreeMap::new(); names.len()],
            domain_names: names,
            domain_of,
            runs,
        }
    }
}

/// A normalized anti-affinity term and where pods carrying it are placed.
#[derive(Debug, Clone)]
struct NormTerm {
    topo: u16,
    selector: Selector,
    /// Per domain: (pods, pods per owner `$SELF` value).
    placed: Vec<(u32, BTreeMap<String, u32>)>,
    /// The label key `$SELF` stands for, if any.
    self_key: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct AffinityIndex {
    pub topos: Vec<Topology>,
    topo_by_key: FastMap<String, u16>,
    norms: Vec<NormTerm>,
    norm_by_form: FastMap<(u16, Selector), u32>,
    /// Norm terms with at least one placed pod.
    active_norms: BTreeSet<u32>,
    placed_jobs: BTreeMap<JobKey, u32>,
    /// Placed Jobs by label key, then value, for the keys in `indexed_keys`: nested so a
    /// lookup borrows the label's strings (a Job's first pod placed or last one gone updates
    /// one entry per indexed key).
    placed_by_label: FastMap<String, FastMap<String, BTreeMap<JobKey, u32>>>,
    /// The label keys that compiled terms look placed Jobs up by ([`Selector::required_values`]
    /// of their selectors): a JobSet pod carries a dozen labels and its terms read one or
    /// two, and indexing every label was a fifth of placing a Job's first pod. A lookup by a
    /// key not indexed visits every placed Job instead ([`Self::matching_jobs`]), with the
    /// same result.
    indexed_keys: Vec<String>,
    job_domains: FastMap<(u16, JobKey), BTreeMap<u32, u32>>,
    /// Placed pods, and placed pods carrying required anti-affinity (PreFilter cost).
    pub placed_pods: u64,
    pub placed_anti_pods: u64,
    /// Verdicts of normalized terms on placed Jobs whose own value differs from the asking
    /// pod's; they hold for every asker (keyed by norm term and Job).
    other_verdicts: std::cell::RefCell<FastMap<(u32, JobKey), bool>>,
    /// Each Job's own verdicts on the normalized terms of placed pods, `(same, other)`: does
    /// the term match the Job's pods when its owner's `$SELF` value is theirs, and when it is
    /// another's. Keyed by (norm term, Job) for required terms and (score norm term, Job) for
    /// scoring ones: a Job's labels and a norm's selector never change, and every pod of a Job
    /// asks the same, so each pair is matched once. Only looked up, never iterated.
    own_verdicts: VerdictMemo,
    own_score_verdicts: VerdictMemo,
    /// For each normalized term that pods carry as their own required anti-affinity: per
    /// domain, the placed pods it repels. Makes a domain's verdict O(log) and lets the walk
    /// jump from one clear domain to the next.
    askers: Askers,
    /// Every Job's pod labels as terms match them (its namespace included), by JobKey, once
    /// the index is labelled ([`Self::labelled`]).
    job_labels: Vec<Option<StringMap>>,
    /// Whether the index keeps Jobs' labels and indexes placed Jobs by label: from the first
    /// inter-pod term compiled on. Before it, no term can read a label, so neither is kept
    /// (a run without inter-pod terms never pays for them); when it turns on, the Sim hands
    /// over every existing Job's labels and the placed Jobs are indexed
    /// ([`Self::set_job_labels`], [`Self::start_labelling`]).
    labelled: bool,
    /// The cluster's namespaces and their labels, to resolve `namespaceSelector`.
    namespaces: BTreeMap<String, StringMap>,
    /// Score terms of placed pods, normalized, and those with at least one carrier.
    score_norms: Vec<ScoreNorm>,
    score_norm_by_form: FastMap<(u16, Selector, i64), u32>,
    active_score_norms: BTreeSet<u32>,
    /// Placed pods carrying any inter-pod term, required or preferred, affinity or
    /// anti-affinity: upstream's `NodeInfo.PodsWithAffinity` (`podWithAffinity`), which
    /// InterPodAffinity's PreScore walks for every scored pod (PreScore cost).
    pub placed_affinity_pods: u64,
    /// Per topology, its index in the cluster's `Pristine::free_domains` once a domain walk
    /// counts its free domains in bulk.
    watch_of: Vec<Option<u32>>,
    /// Domains of watched topologies that started (true) or stopped holding placed pods since
    /// the owner last drained this: (watch index, domain, occupied).
    pub(crate) occupancy_changes: Vec<(u32, u32, bool)>,
}

/// Placed pods per domain as one normalized anti-affinity term sees them.
#[derive(Debug, Clone, Default)]
struct AskerCounts {
    per_domain: Vec<DomainCount>,
    /// Run indices (of the term's topology) whose domain holds no repelled pod.
    clear_runs: BTreeSet<u32>,
    /// Those of them whose domain holds placed pods all the same (the others hold none).
    clear_occupied: BTreeSet<u32>,
    /// Domains holding placed pods, by owner value.
    owner_domains: FastMap<String, BTreeSet<u32>>,
}

/// The runs a walk visits: the clear ones, and a few more (sorted).
pub(crate) struct Candidates<'a> {
    pub clear: &'a BTreeSet<u32>,
    pub extra: Vec<u32>,
}

/// The askers' counts by normalized term: a slot per term id instead of a hashed map, since
/// a domain walk reads them once per domain it visits.
#[derive(Debug, Clone, Default)]
struct Askers {
    /// Per term id: 1 + its place in `list`, or 0.
    slot: Vec<u32>,
    list: Vec<(u32, AskerCounts)>,
}

impl Askers {
    fn get(&self, norm: &u32) -> Option<&AskerCounts> {
        match self.slot.get(*norm as usize).copied() {
            None | Some(0) => None,
            Some(i) => Some(&self.list[i as usize - 1].1),
        }
    }

    fn contains_key(&self, norm: &u32) -> bool {
        self.get(norm).is_some()
    }

    /// Adds the counts of a term that has none yet.
    fn insert(&mut self, norm: u32, counts: AskerCounts) {
        debug_assert!(!self.contains_key(&norm));
        if self.slot.len() <= norm as usize {
            self.slot.resize(norm as usize + 1, 0);
        }
        self.list.push((norm, counts));
        self.slot[norm as usize] = self.list.len() as u32;
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = (&u32, &mut AskerCounts)> {
        self.list.iter_mut().map(|(n, c)| (&*n, c))
    }
}

#[derive(Debug, Clone, Default)]
struct DomainCount {
    /// Pods the term repels when their owner value differs from the asker's.
    matched: u32,
    matched_by_owner: BTreeMap<String, u32>,
    /// All placed pods, by owner value (to spot the asker's own Job).
    present_by_owner: BTreeMap<String, u32>,
}

/// Why InterPodAffinity rejected a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AffinityReject {
    Affinity,
    AntiAffinity,
    ExistingAntiAffinity,
}

impl AffinityReject {
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            AffinityReject::Affinity => "node(s) didn't match pod affinity rules",
            AffinityReject::AntiAffinity => "node(s) didn't match pod anti-affinity rules",
            AffinityReject::ExistingAntiAffinity => {
                "node(s) didn't satisfy existing pods anti-affinity rules"
            }
        }
    }
}

/// The incoming pod's own anti-affinity term, as a cycle evaluates it.
#[derive(Debug, Clone)]
struct AntiTerm {
    topo: u16,
    selector: std::sync::Arc<Selector>,
    norm: u32,
    /// The pod's own value of the norm's `$SELF` key.
    own: Option<String>,
}

/// What one scheduling cycle knows about the incoming pod's affinity.
#[derive(Debug, Clone, Default)]
pub(crate) struct PodCtx {
    /// Per required affinity term: its topology and the allowed domains (None: any domain,
    /// by the first-pod rule).
    affinity: Vec<(u16, Option<BTreeSet<u32>>)>,
    /// Per required anti-affinity term: its topology and selector, and which placed Jobs it
    /// repels, decided once per Job as domains are visited (most cycles visit few).
    anti: Vec<AntiTerm>,
    anti_memo: std::cell::RefCell<FastMap<(usize, JobKey), bool>>,
    sym: Vec<SymTerm>,
    /// The topology every term above is on, when there is one: the filter's verdict on a node
    /// then depends on the node only through its domain of it.
    one_topology: Option<u16>,
    /// [`AffinityIndex::check_except`]'s last verdict on such a context, with the domain and
    /// the skipped topology it was for: a scan over one domain's nodes (a JobSet follower's
    /// node pool) asks it of each node in turn. The index does not change while a context
    /// lives (one cycle, before its pod is placed).
    last_verdict: std::cell::Cell<Option<DomainVerdict>>,
}

/// Symmetry: (norm term, matches when the owner's value equals ours, when it differs, our
/// value for `$SELF`).
type SymTerm = (u32, bool, bool, Option<String>);

/// The InterPodAffinity filter's verdict on the nodes of one domain: (domain, skipped
/// topology, verdict).
type DomainVerdict = (u32, Option<u16>, Result<(), AffinityReject>);

impl AffinityIndex {
    /// Registers a topology key (all keys are known from the manifests before the run).
    pub(crate) fn topology(&mut self, cluster: &Cluster, key: &str) -> u16 {
        if let Some(&t) = self.topo_by_key.get(key) {
            return t;
        }
        let t = self.topos.len() as u16;
        self.topos.push(Topology::build(cluster, key));
        self.topo_by_key.insert(key.to_string(), t);
        t
    }

    /// Sets the cluster's namespaces (name → labels); the name label is added to each.
    pub(crate) fn set_namespaces(&mut self, namespaces: BTreeMap<String, StringMap>) {
        self.namespaces = namespaces
            .into_iter()
            .map(|(name, mut labels)| {
                labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
                (name, labels)
            })
            .collect();
    }

    /// A pod's labels as terms match them: its own, plus its namespace.
    pub(crate) fn match_labels(labels: &StringMap, namespace: &str) -> StringMap {
        let mut m = labels.clone();
        m.insert(NAMESPACE_KEY.to_string(), namespace.to_string());
        m
    }

    /// Does the index keep Jobs' labels (some inter-pod term has been compiled)?
    pub(crate) fn labelled(&self) -> bool {
        self.labelled
    }

    /// Has Job `job`'s pod labels ([`Self::set_job_labels`])?
    pub(crate) fn has_labels(&self, job: JobKey) -> bool {
        self.job_labels
            .get(job as usize)
            .is_some_and(Option::is_some)
    }

    /// Records Job `job`'s pod labels and namespace (moved in, the namespace added), when the
    /// scheduler's informer first sees one of its pods (before any is placed) or, when the
    /// index turns labelled, for every Job whose pods it has seen.
    pub(crate) fn set_job_labels(&mut self, job: JobKey, mut labels: StringMap, namespace: &str) {
        let i = job as usize;
        if self.job_labels.len() <= i {
            self.job_labels.resize(i + 1, None);
        }
        labels.insert(NAMESPACE_KEY.to_string(), namespace.to_string());
        // A Job's pods all carry the labels it was created with: the verdicts memoized per
        // Job (`own_verdicts`) hold only because they are set once.
        assert!(
            self.job_labels[i].replace(labels).is_none(),
            "internal error: Job {job}'s pod labels were set twice"
        );
    }

    /// Turns the index labelled, once every existing Job's labels are set: indexes the Jobs
    /// already placed by label, as [`Self::place`] would have done.
    pub(crate) fn start_labelling(&mut self) {
        if self.labelled {
            return;
        }
        self.labelled = true;
        for &job in self.placed_jobs.keys() {
            let labels = (self.job_labels.get(job as usize)).and_then(Option::as_ref);
            for k in &self.indexed_keys {
                if let Some(v) = labels.and_then(|l| l.get(k)) {
                    placed_by_label_entry(&mut self.placed_by_label, k, v).insert(job, 1);
                }
            }
        }
    }

    /// Indexes placed Jobs by the label key `selector` looks them up by, from now on (those
    /// already placed too, once the index is labelled).
    fn index_key_of(&mut self, selector: &Selector) {
        let Some((key, _)) = selector.required_values() else {
            return;
        };
        if self.indexed_keys.iter().any(|k| k == key) {
            return;
        }
        self.indexed_keys.push(key.to_string());
        if !self.labelled {
            return;
        }
        for &job in self.placed_jobs.keys() {
            let labels = (self.job_labels.get(job as usize)).and_then(Option::as_ref);
            if let Some(v) = labels.and_then(|l| l.get(key)) {
                placed_by_label_entry(&mut self.placed_by_label, key, v).insert(job, 1);
            }
        }
    }

    /// A registered Job's labels, namespace included.
    pub(crate) fn labels_of(&self, job: JobKey) -> &StringMap {
        self.job_labels
            .get(job as usize)
            .and_then(|l| l.as_ref())
            .unwrap_or(&NO_LABELS)
    }

    /// The term's label selector plus its namespace scope (`getNamespacesFromPodAffinityTerm`
    /// and `mergeAffinityTermNamespacesIfNotEmpty`): `namespaces` ∪ the namespaces the
    /// `namespaceSelector` selects; neither given means the owner's namespace; an empty
    /// selector (`{}`) means every namespace and adds no requirement.
    fn term_selector(&self, t: &PodAffinityTerm, own: &StringMap) -> Selector {
        let mut selector = Selector::compile(t.label_selector.as_ref());
        let all = t
            .namespace_selector
            .as_ref()
            .is_some_and(|ns| ns.match_labels.is_empty() && ns.match_expressions.is_empty());
        if all {
            return selector;
        }
        let mut names: BTreeSet<String> = t.namespaces.iter().cloned().collect();
        match &t.namespace_selector {
            None if t.namespaces.is_empty() => {
                names.insert(own.get(NAMESPACE_KEY).cloned().unwrap_or_default());
            }
            None => {}
            Some(ns) => {
                let ns = Selector::compile(Some(ns));
                names.extend(
                    self.namespaces
                        .iter()
                        .filter(|(_, labels)| ns.matches(labels))
                        .map(|(name, _)| name.clone()),
                );
            }
        }
        // Last, so index lookups keep preferring the label requirements.
        selector.reqs.push((
            NAMESPACE_KEY.to_string(),
            Op::In(names.into_iter().collect()),
        ));
        selector
    }

    /// Compiles a pod's required terms against its own labels (for `$SELF`); `own` comes
    /// from [`Self::match_labels`].
    pub(crate) fn compile_terms(
        &mut self,
        cluster: &Cluster,
        terms: &[PodAffinityTerm],
        own: &StringMap,
        anti: bool,
    ) -> Vec<Term> {
        let compiled: Vec<Term> = terms
            .iter()
            .map(|t| {
                let topo = self.topology(cluster, &t.topology_key);
                let selector = self.term_selector(t, own);
                self.index_key_of(&selector);
                let (normalized, self_value) = normalize(&selector, own);
                let norm = match self.norm_by_form.get(&(topo, normalized.clone())) {
                    Some(&n) => n,
                    None => {
                        let n = self.norms.len() as u32;
                        let domains = self.topos[topo as usize].domain_names.len();
                        self.norms.push(NormTerm {
                            topo,
                            self_key: self_keys(&normalized).into_iter().next(),
                            selector: normalized.clone(),
                            placed: vec![(0, BTreeMap::new()); domains],
                        });
                        self.norm_by_form.insert((topo, normalized), n);
                        n
                    }
                };
                Term {
                    topo,
                    selector: std::sync::Arc::new(selector),
                    norm,
                    self_value,
                }
            })
            .collect();
        if anti {
            for t in &compiled {
                self.register_asker(t.norm);
            }
        }
        compiled
    }

    /// Compiles scoring terms, each with its signed weight, against the owner's labels.
    pub(crate) fn compile_score_terms<'t>(
        &mut self,
        cluster: &Cluster,
        terms: impl IntoIterator<Item = (&'t PodAffinityTerm, i64)>,
        own: &StringMap,
    ) -> Vec<ScoreTerm> {
        terms
            .into_iter()
            .map(|(t, weight)| {
                let topo = self.topology(cluster, &t.topology_key);
                let selector = self.term_selector(t, own);
                self.index_key_of(&selector);
                let (normalized, self_value) = normalize(&selector, own);
                let form = (topo, normalized, weight);
                let norm = match self.score_norm_by_form.get(&form) {
                    Some(&n) => n,
                    None => {
                        let n = self.score_norms.len() as u32;
                        let domains = self.topos[topo as usize].domain_names.len();
                        self.score_norms.push(ScoreNorm {
                            topo,
                            self_key: self_keys(&form.1).into_iter().next(),
                            selector: form.1.clone(),
                            weight,
                            placed: vec![0; domains],
                            by_owner: FastMap::default(),
                            carriers: 0,
                        });
                        self.score_norm_by_form.insert(form, n);
                        n
                    }
                };
                ScoreTerm {
                    topo,
                    selector,
                    weight,
                    norm,
                    self_value,
                }
            })
            .collect()
    }

    /// Starts counting what term `norm` repels, from the pods already placed.
    fn register_asker(&mut self, norm: u32) {
        if self.askers.contains_key(&norm) {
            return;
        }
        let topo = self.norms[norm as usize].topo;
        let t = &self.topos[topo as usize];
        let mut counts = AskerCounts {
            owner_domains: FastMap::default(),
            per_domain: vec![DomainCount::default(); t.domain_names.len()],
            clear_occupied: BTreeSet::new(),
            clear_runs: (0..t.runs.len() as u32)
                .filter(|&r| t.runs[r as usize].2 != NO_DOMAIN)
                .collect(),
        };
        let placed: Vec<(JobKey, Vec<(u32, u32)>)> = self
            .placed_jobs
            .keys()
            .map(|&j| {
                let domains = self
                    .job_domains
                    .get(&(topo, j))
                    .map(|m| m.iter().map(|(&d, &c)| (d, c)).collect())
                    .unwrap_or_default();
                (j, domains)
            })
            .collect();
        for (j, domains) in placed {
            let labels = self.labels_of(j).clone();
            for (d, c) in domains {
                self.count_for_asker(&mut counts, norm, j, &labels, d, c as i32);
            }
        }
        self.askers.insert(norm, counts);
    }

    /// The verdict of normalized term `norm` on Job `j` when their owner values differ.
    fn other_verdict(&self, norm: u32, j: JobKey, labels: &StringMap) -> bool {
        *self
            .other_verdicts
            .borrow_mut()
            .entry((norm, j))
            .or_insert_with(|| {
                self.norms[norm as usize]
                    .selector
                    .matches_with(labels, None)
            })
    }

    fn count_for_asker(
        &self,
        counts: &mut AskerCounts,
        norm: u32,
        j: JobKey,
        labels: &StringMap,
        d: u32,
        delta: i32,
    ) {
        // A clear domain that holds pods (`clear_occupied`): no repelled pod, some placed.
        let clear_occupied = |s: &DomainCount| s.matched == 0 && !s.present_by_owner.is_empty();
        let before = clear_occupied(&counts.per_domain[d as usize]);
        self.count_domain_for_asker(counts, norm, j, labels, d, delta);
        let after = clear_occupied(&counts.per_domain[d as usize]);
        if before != after {
            let topo = self.norms[norm as usize].topo;
            for &r in &self.topos[topo as usize].domain_runs[d as usize] {
                if after {
                    counts.clear_occupied.insert(r);
                } else {
                    counts.clear_occupied.remove(&r);
                }
            }
        }
    }

    fn count_domain_for_asker(
        &self,
        counts: &mut AskerCounts,
        norm: u32,
        j: JobKey,
        labels: &StringMap,
        d: u32,
        delta: i32,
    ) {
        let n = &self.norms[norm as usize];
        // Borrowed: a String is made only for an owner a map does not hold yet (one pod
        // placement reaches here once per asker term).
        let owner: &str = (n.self_key.as_ref())
            .and_then(|k| labels.get(k))
            .map_or("", String::as_str);
        let slot = &mut counts.per_domain[d as usize];
        let (before, after) = bump_map_str(&mut slot.present_by_owner, owner, delta);
        // The owner's domains change only when its count here starts or stops (the first
        // pod of a Job placed in a domain, its last one gone): not looked up for the others.
        if (before > 0) != (after > 0) {
            let domains = match counts.owner_domains.get_mut(owner) {
                Some(domains) => domains,
                None => counts.owner_domains.entry(owner.to_string()).or_default(),
            };
            if after > 0 {
                domains.insert(d);
            } else {
                domains.remove(&d);
            }
        }
        let slot = &mut counts.per_domain[d as usize];
        if !self.other_verdict(norm, j, labels) {
            return;
        }
        let was_clear = slot.matched == 0;
        slot.matched = (slot.matched as i64 + delta as i64) as u32;
        bump_map_str(&mut slot.matched_by_owner, owner, delta);
        let is_clear = slot.matched == 0;
        if was_clear != is_clear {
            let runs = &self.topos[n.topo as usize].domain_runs[d as usize];
            for &r in runs {
                if is_clear {
                    counts.clear_runs.insert(r);
                } else {
                    counts.clear_runs.remove(&r);
                }
            }
        }
    }

    /// Records a pod of `shape` placed on (`delta = 1`) or leaving (`delta = -1`) a node.
    /// Once the index is labelled, the Job's labels must be set ([`Self::set_job_labels`]).
    #[inline(always)] // for every pod bound and gone
    pub(crate) fn place(&mut self, node: NodeId, job: JobKey, shape: &PodShape, delta: i32) {
        if !self.labelled && self.askers.list.is_empty() {
            // Nothing reads the Job's labels (the label index and the askers' counts do):
            // not taken out and put back for each pod placed and gone.
            return self.place_with(node, job, &NO_LABELS, shape, delta);
        }
        // Taken out for the duration, so the counts below can be updated while reading them.
        // (Unlabelled, there are none: no inter-pod term reads them.)
        let slot = self.job_labels.get_mut(job as usize).and_then(Option::take);
        let labels = slot.unwrap_or_default();
        self.place_with(node, job, &labels, shape, delta);
        if let Some(l) = self.job_labels.get_mut(job as usize) {
            *l = Some(labels);
        }
    }

    /// `place` with the Job's labels in hand: every count over placed pods moves by `delta`.
    fn place_with(
        &mut self,
        node: NodeId,
        job: JobKey,
        labels: &StringMap,
        shape: &PodShape,
        delta: i32,
    ) {
        self.placed_pods = (self.placed_pods as i64 + delta as i64) as u64;
        self.count_placed_job(job, labels, delta);
        self.count_in_topologies(node, job, delta);
        if !self.askers.list.is_empty() {
            let mut askers = std::mem::take(&mut self.askers);
            for (&norm, counts) in askers.iter_mut() {
                let topo = self.norms[norm as usize].topo as usize;
                let d = self.topos[topo].domain_of[node as usize];
                if d != NO_DOMAIN {
                    self.count_for_asker(counts, norm, job, labels, d, delta);
                }
            }
            self.askers = askers;
        }
        self.count_anti_affinity_carrier(node, shape, delta);
        if !(shape.affinity.is_empty()
            && shape.anti_affinity.is_empty()
            && shape.preferred.is_empty())
        {
            self.placed_affinity_pods = (self.placed_affinity_pods as i64 + delta as i64) as u64;
        }
        self.count_scoring_carrier(node, shape, delta);
    }

    /// The Job's placed-pod count, and the label index when its first pod arrives or its
    /// last one leaves (all pods of a Job share its labels). Unlabelled, no term reads the
    /// label index: it is built when the index turns labelled.
    fn count_placed_job(&mut self, job: JobKey, labels: &StringMap, delta: i32) {
        // `bump_map` in one lookup: before and after, for every pod placed and gone.
        let (before, after) = match self.placed_jobs.entry(job) {
            btree_map::Entry::Occupied(mut o) => {
                let before = *o.get();
                let after = if delta > 0 {
                    before + delta as u32
                } else {
                    before.saturating_sub((-delta) as u32)
                };
                if after == 0 {
                    o.remove();
                } else {
                    *o.get_mut() = after;
                }
                (before, after)
            }
            btree_map::Entry::Vacant(v) if delta > 0 => (0, *v.insert(delta as u32)),
            btree_map::Entry::Vacant(_) => (0, 0),
        };
        if self.labelled && before == 0 && after > 0 {
            for k in &self.indexed_keys {
                if let Some(v) = labels.get(k) {
                    placed_by_label_entry(&mut self.placed_by_label, k, v).insert(job, 1);
                }
            }
        } else if self.labelled && before > 0 && after == 0 {
            for k in &self.indexed_keys {
                let Some(v) = labels.get(k) else { continue };
                let by_value = self.placed_by_label.get_mut(k.as_str());
                if let Some(m) = by_value.and_then(|m| m.get_mut(v.as_str())) {
                    m.remove(&job);
                }
            }
        }
    }

    /// The Job's pods per domain of every topology, and the occupancy changes the watched
    /// topologies report.
    fn count_in_topologies(&mut self, node: NodeId, job: JobKey, delta: i32) {
        for (t, topo) in self.topos.iter_mut().enumerate() {
            let d = topo.domain_of[node as usize];
            if d == NO_DOMAIN {
                continue;
            }
            let was_empty = topo.jobs_in[d as usize].is_empty();
            bump_map(&mut topo.jobs_in[d as usize], job, delta);
            let is_empty = topo.jobs_in[d as usize].is_empty();
            if was_empty != is_empty {
                if let Some(&Some(w)) = self.watch_of.get(t) {
                    self.occupancy_changes.push((w, d, !is_empty));
                }
            }
            bump_map(
                self.job_domains.entry((t as u16, job)).or_default(),
                d,
                delta,
            );
        }
    }

    /// A pod carrying required anti-affinity terms: its terms' placed counts per domain (by
    /// the value of its own key, for the symmetry checks).
    fn count_anti_affinity_carrier(&mut self, node: NodeId, shape: &PodShape, delta: i32) {
        let anti = &shape.anti_affinity;
        if !anti.is_empty() {
            self.placed_anti_pods = (self.placed_anti_pods as i64 + delta as i64) as u64;
        }
        for term in anti {
            let d = self.topos[term.topo as usize].domain_of[node as usize];
            if d == NO_DOMAIN {
                continue;
            }
            let slot = &mut self.norms[term.norm as usize].placed[d as usize];
            slot.0 = (slot.0 as i64 + delta as i64) as u32;
            bump_map_str(&mut slot.1, term.self_value.as_deref().unwrap_or(""), delta);
            if delta > 0 {
                self.active_norms.insert(term.norm);
            }
        }
    }

    /// A pod carrying required affinity or preferred terms: its terms' placed counts per
    /// domain and per owner, which incoming pods' scores read.
    fn count_scoring_carrier(&mut self, node: NodeId, shape: &PodShape, delta: i32) {
        for term in shape.hard_affinity.iter().chain(&shape.preferred) {
            let d = self.topos[term.topo as usize].domain_of[node as usize];
            if d == NO_DOMAIN {
                continue;
            }
            let n = &mut self.score_norms[term.norm as usize];
            n.placed[d as usize] = (n.placed[d as usize] as i64 + delta as i64) as u32;
            let owner = term.self_value.as_deref().unwrap_or("");
            match n.by_owner.get_mut(owner) {
                Some(m) => bump_map(m, d, delta),
                None if delta > 0 => {
                    n.by_owner
                        .insert(owner.to_string(), BTreeMap::from([(d, delta as u32)]));
                }
                None => {}
            }
            n.carriers = (n.carriers as i64 + delta as i64) as u32;
            if n.carriers > 0 {
                self.active_score_norms.insert(term.norm);
            } else {
                self.active_score_norms.remove(&term.norm);
            }
        }
    }

    /// Jobs with placed pods that `selector` matches, found through the label index when the
    /// selector pins an indexed key to values (in either case in ascending order: the index
    /// only narrows which Jobs the selector is matched against).
    fn matching_jobs(&self, selector: &Selector) -> Vec<JobKey> {
        let indexed = |k: &str| self.indexed_keys.iter().any(|i| i == k);
        let candidates: Vec<JobKey> = match selector.required_values() {
            Some((k, vs)) if indexed(k) => {
                let mut set = BTreeSet::new();
                for v in vs {
                    let by_value = self.placed_by_label.get(k);
                    if let Some(m) = by_value.and_then(|m| m.get(v.as_str())) {
                        set.extend(m.keys().copied());
                    }
                }
                set.into_iter().collect()
            }
            _ => self.placed_jobs.keys().copied().collect(),
        };
        let found: Vec<JobKey> = (candidates.into_iter())
            .filter(|&j| selector.matches(self.labels_of(j)))
            .collect();
        // Every test run checks the index's answer against every placed Job.
        #[cfg(test)]
        assert_eq!(
            found,
            (self.placed_jobs.keys().copied())
                .filter(|&j| selector.matches(self.labels_of(j)))
                .collect::<Vec<_>>(),
            "the label index's matching Jobs"
        );
        found
    }

    fn domains_of_jobs(&self, topo: u16, jobs: &[JobKey]) -> BTreeSet<u32> {
        jobs.iter()
            .filter_map(|j| self.job_domains.get(&(topo, *j)))
            .flat_map(|m| m.keys().copied())
            .collect()
    }

    /// Prepares one cycle: the incoming pod's own terms become domain sets, and the placed
    /// anti-affinity terms that can concern it are listed. Into a context the scheduler keeps
    /// between cycles: its lists keep their room, and its symmetry entries their strings (a
    /// context made and dropped per cycle was a list and a string allocated and freed in
    /// every JobSet pod's cycle).
    pub(crate) fn pod_ctx_into(
        &self,
        job: JobKey,
        affinity: &[Term],
        anti: &[Term],
        ctx: &mut PodCtx,
    ) {
        let own = self.labels_of(job);
        ctx.affinity.clear();
        ctx.anti.clear();
        ctx.anti_memo.get_mut().clear();
        ctx.last_verdict.set(None);
        for t in affinity {
            let jobs = self.matching_jobs(&t.selector);
            // First pod of its group: no placed pod matches, and the pod matches its own term.
            let allowed = if jobs.is_empty() && t.selector.matches(own) {
                None
            } else {
                Some(self.domains_of_jobs(t.topo, &jobs))
            };
            ctx.affinity.push((t.topo, allowed));
        }
        for t in anti {
            ctx.anti.push(AntiTerm {
                topo: t.topo,
                selector: t.selector.clone(),
                norm: t.norm,
                own: t.self_value.clone(),
            });
        }
        let mut kept = 0;
        for &n in &self.active_norms {
            let norm = &self.norms[n as usize];
            // The norm's first `$SELF` key, found once when the norm was made.
            let own_value = norm.self_key.as_ref().and_then(|k| own.get(k));
            let verdicts = &self.own_verdicts;
            let (same, other) = own_verdicts(verdicts, (n, job), &norm.selector, own, own_value);
            if same || other {
                set_sym(&mut ctx.sym, kept, (n, same, other), own_value);
                kept += 1;
            }
        }
        ctx.sym.truncate(kept);
        ctx.one_topology = self.one_topology(ctx);
    }

    /// The topology all of a context's terms are on, if they are on one.
    fn one_topology(&self, ctx: &PodCtx) -> Option<u16> {
        let topo = (ctx.affinity.first().map(|(t, _)| *t))
            .or_else(|| ctx.anti.first().map(|t| t.topo))
            .or_else(|| ctx.sym.first().map(|(n, ..)| self.norms[*n as usize].topo))?;
        self.terms_only_on(ctx, topo).then_some(topo)
    }

    /// Does the pod's `i`-th anti-affinity term repel a pod placed in domain `d` of its topology?
    fn anti_repels(&self, ctx: &PodCtx, i: usize, d: u32) -> bool {
        let t = &ctx.anti[i];
        let norm = &self.norms[t.norm as usize];
        if let Some(counts) = self.askers.get(&t.norm) {
            // Counted: Jobs with another owner value are repelled as counted; Jobs sharing
            // ours (our own Job, typically) are evaluated literally, and only if present.
            let slot = &counts.per_domain[d as usize];
            // A clear domain (the walk's usual case) is answered without a map lookup: the
            // maps drop owners whose count reaches zero.
            if slot.matched == 0 && slot.present_by_owner.is_empty() {
                return false;
            }
            let own = t.own.as_deref().unwrap_or("");
            if slot.matched > 0 {
                let mine_matched = slot.matched_by_owner.get(own).copied().unwrap_or(0);
                if slot.matched > mine_matched {
                    return true;
                }
            }
            if slot.present_by_owner.get(own).copied().unwrap_or(0) == 0 {
                return false;
            }
            let key = norm.self_key.as_deref();
            return self.topos[t.topo as usize].jobs_in[d as usize]
                .keys()
                .any(|&j| {
                    let labels = self.labels_of(j);
                    key.and_then(|k| labels.get(k))
                        .map(String::as_str)
                        .unwrap_or("")
                        == own
                        && *ctx
                            .anti_memo
                            .borrow_mut()
                            .entry((i, j))
                            .or_insert_with(|| t.selector.matches(labels))
                });
        }
        self.topos[t.topo as usize].jobs_in[d as usize]
            .keys()
            .any(|&j| {
                let labels = self.labels_of(j);
                // A Job whose own value differs from ours gets the same verdict from every pod
                // sharing our normalized term: answer it once for the whole run.
                let differs = match (&norm.self_key, &t.own) {
                    (Some(k), Some(own)) => labels.get(k) != Some(own),
                    _ => false,
                };
                if differs {
                    *self
                        .other_verdicts
                        .borrow_mut()
                        .entry((t.norm, j))
                        .or_insert_with(|| norm.selector.matches_with(labels, None))
                } else {
                    *ctx.anti_memo
                        .borrow_mut()
                        .entry((i, j))
                        .or_insert_with(|| t.selector.matches(labels))
                }
            })
    }

    /// The runs of `topo` a pod's walk has to visit, or None when it must visit them all:
    /// with a counted first anti-affinity term on `topo`, the runs of domains that term leaves
    /// clear, plus (in `extra`, sorted) those of domains holding pods with the pod's own owner
    /// value and of nodes without the label. Other runs hold only repelled pods.
    pub(crate) fn candidate_runs(&self, ctx: &PodCtx, topo: u16) -> Option<Candidates<'_>> {
        let t = ctx.anti.first().filter(|t| t.topo == topo)?;
        let counts = self.askers.get(&t.norm)?;
        let topology = &self.topos[topo as usize];
        let own = t.own.as_deref().unwrap_or("");
        let mut extra: Vec<u32> = topology.nodomain_runs.clone();
        if let Some(domains) = counts.owner_domains.get(own) {
            for &d in domains {
                if counts.per_domain[d as usize].matched > 0 {
                    extra.extend(&topology.domain_runs[d as usize]);
                }
            }
        }
        extra.sort_unstable();
        extra.dedup();
        Some(Candidates {
            clear: &counts.clear_runs,
            extra,
        })
    }

    /// For a walk that counts free domains in bulk (`Pristine::free_domains`): the runs of
    /// `topo` that hold placed pods or have no domain and that the pod's walk visits (sorted;
    /// the caller still asks [`Self::domain_excluded`] of each), when the walk visits every
    /// node of the domains that hold no pod. That is so when the pod's affinity terms allow
    /// any domain (the first-pod rule: a JobSet leader's own-Job term before its Job has a
    /// placed pod) and its first anti-affinity term is on `topo` and counted: nothing placed
    /// in a free domain can repel it or be repelled, and the walk's candidates
    /// ([`Self::candidate_runs`]) are the clear runs, the runs of domains holding its own
    /// owner's pods and the runs without a domain. Else `None`.
    pub(crate) fn occupied_candidates(&self, ctx: &PodCtx, topo: u16) -> Option<Vec<u32>> {
        if ctx.affinity.iter().any(|(_, allowed)| allowed.is_some()) {
            return None;
        }
        let t = ctx.anti.first().filter(|t| t.topo == topo)?;
        let counts = self.askers.get(&t.norm)?;
        let topology = &self.topos[topo as usize];
        let own = t.own.as_deref().unwrap_or("");
        let mut runs: Vec<u32> = counts.clear_occupied.iter().copied().collect();
        runs.extend(&topology.nodomain_runs);
        if let Some(domains) = counts.owner_domains.get(own) {
            for &d in domains {
                runs.extend(&topology.domain_runs[d as usize]);
            }
        }
        runs.sort_unstable();
        runs.dedup();
        Some(runs)
    }

    /// The index of `topo` in `Pristine::free_domains`, if it is watched.
    pub(crate) fn watch_of(&self, topo: u16) -> Option<usize> {
        self.watch_of
            .get(topo as usize)
            .copied()
            .flatten()
            .map(|w| w as usize)
    }

    /// Records that `topo` is watched as `Pristine::free_domains[w]`: its domains' changes
    /// between free and occupied are queued in `occupancy_changes` from now on.
    pub(crate) fn set_watch(&mut self, topo: u16, w: usize) {
        if self.watch_of.len() <= topo as usize {
            self.watch_of.resize(topo as usize + 1, None);
        }
        self.watch_of[topo as usize] = Some(w as u32);
    }

    /// Which domains of `topo` hold placed pods now.
    pub(crate) fn occupied_domains(&self, topo: u16) -> Vec<bool> {
        (self.topos[topo as usize].jobs_in.iter())
            .map(|m| !m.is_empty())
            .collect()
    }

    /// The InterPodAffinity filter for one node.
    pub(crate) fn check(&self, ctx: &PodCtx, node: NodeId) -> Result<(), AffinityReject> {
        self.check_except(ctx, node, None)
    }

    /// The same, leaving out the terms on `skip`: a topology whose domain of this node the
    /// caller has already cleared with [`Self::domain_excluded`].
    pub(crate) fn check_except(
        &self,
        ctx: &PodCtx,
        node: NodeId,
        skip: Option<u16>,
    ) -> Result<(), AffinityReject> {
        let Some(topo) = ctx.one_topology else {
            return self.check_terms(ctx, node, skip);
        };
        let d = self.topos[topo as usize].domain_of[node as usize];
        match ctx.last_verdict.get() {
            Some((last_d, last_skip, verdict)) if (last_d, last_skip) == (d, skip) => {
                // Every test run checks the remembered verdict against the terms.
                #[cfg(test)]
                assert_eq!(
                    verdict,
                    self.check_terms(ctx, node, skip),
                    "remembered verdict"
                );
                verdict
            }
            _ => {
                let verdict = self.check_terms(ctx, node, skip);
                ctx.last_verdict.set(Some((d, skip, verdict)));
                verdict
            }
        }
    }

    /// [`Self::check_except`], every term evaluated.
    fn check_terms(
        &self,
        ctx: &PodCtx,
        node: NodeId,
        skip: Option<u16>,
    ) -> Result<(), AffinityReject> {
        let domain = |topo: u16| self.topos[topo as usize].domain_of[node as usize];
        for (topo, allowed) in ctx.affinity.iter().filter(|(t, _)| Some(*t) != skip) {
            let d = domain(*topo);
            if d == NO_DOMAIN || allowed.as_ref().is_some_and(|a| !a.contains(&d)) {
                return Err(AffinityReject::Affinity);
            }
        }
        for (i, t) in ctx.anti.iter().enumerate() {
            let d = domain(t.topo);
            if Some(t.topo) != skip && d != NO_DOMAIN && self.anti_repels(ctx, i, d) {
                return Err(AffinityReject::AntiAffinity);
            }
        }
        for (n, same, other, own) in &ctx.sym {
            let topo = self.norms[*n as usize].topo;
            if Some(topo) != skip
                && self.sym_forbids_domain(*n, *same, *other, own.as_deref(), domain(topo))
            {
                return Err(AffinityReject::ExistingAntiAffinity);
            }
        }
        Ok(())
    }

    /// Does a placed pod carrying normalized anti-affinity term `n` in domain `d` repel the
    /// incoming pod? (`same`/`other`: the term's verdict when the owner's value equals the
    /// pod's `own` value or not.)
    fn sym_forbids_domain(
        &self,
        n: u32,
        same: bool,
        other: bool,
        own: Option<&str>,
        d: u32,
    ) -> bool {
        if d == NO_DOMAIN {
            return false;
        }
        let (total, by_owner) = &self.norms[n as usize].placed[d as usize];
        if by_owner.is_empty() {
            // No owner has a count (zero counts are dropped): `mine` is 0.
            return other && *total > 0;
        }
        let mine = own.and_then(|v| by_owner.get(v)).copied().unwrap_or(0);
        (same && mine > 0) || (other && *total > mine)
    }

    /// Is a whole domain of `topo` excluded for this pod by a term on that topology (its own
    /// or a placed pod's)? Lets the scheduler skip a run of nodes at once.
    pub(crate) fn domain_excluded(&self, ctx: &PodCtx, topo: u16, domain: u32) -> bool {
        let own_affinity = ctx.affinity.iter().any(|(t, a)| {
            *t == topo && (domain == NO_DOMAIN || a.as_ref().is_some_and(|a| !a.contains(&domain)))
        });
        let own_anti = domain != NO_DOMAIN
            && ctx
                .anti
                .iter()
                .enumerate()
                .any(|(i, t)| t.topo == topo && self.anti_repels(ctx, i, domain));
        let existing = ctx.sym.iter().any(|(n, same, other, own)| {
            self.norms[*n as usize].topo == topo
                && self.sym_forbids_domain(*n, *same, *other, own.as_deref(), domain)
        });
        own_affinity || own_anti || existing
    }

    /// Prepares InterPodAffinity's PreScore for one cycle: the pod's own preferred terms
    /// summed per domain over the Jobs they match, and the placed pods' score terms that match
    /// it. `None` when nothing can score, which upstream's PreScore answers with Skip.
    #[inline] // for every decision, mostly to find nothing to score
    pub(crate) fn score_ctx(&self, job: JobKey, preferred: &[ScoreTerm]) -> Option<ScoreCtx> {
        let mut ctx = ScoreCtx::default();
        self.score_ctx_into(job, preferred, &mut ctx).then_some(ctx)
    }

    /// [`Self::score_ctx`] into a kept context (cleared first): `false` for `None`.
    pub(crate) fn score_ctx_into(
        &self,
        job: JobKey,
        preferred: &[ScoreTerm],
        ctx: &mut ScoreCtx,
    ) -> bool {
        ctx.clear();
        if preferred.is_empty() && self.active_score_norms.is_empty() {
            return false; // nothing would add to it (asked once per decision)
        }
        let own = self.labels_of(job);
        for t in preferred {
            for j in self.matching_jobs(&t.selector) {
                if let Some(counts) = self.job_domains.get(&(t.topo, j)) {
                    ctx.add(t.topo, counts, t.weight);
                }
            }
        }
        for &n in &self.active_score_norms {
            let norm = &self.score_norms[n as usize];
            let own_value = norm.self_key.as_ref().and_then(|k| own.get(k));
            let verdicts = &self.own_score_verdicts;
            let (same, other) = own_verdicts(verdicts, (n, job), &norm.selector, own, own_value);
            // Without a value of our own, `same` and `other` are one verdict on all owners.
            let mine = own_value.and_then(|v| norm.by_owner.get(v));
            if other {
                ctx.totals.push(n);
                if !same {
                    if let Some(m) = mine {
                        ctx.add(norm.topo, m, -norm.weight);
                    }
                }
            } else if same {
                if let Some(m) = mine {
                    ctx.add(norm.topo, m, norm.weight);
                }
            }
        }
        ctx.finish();
        !ctx.domains.is_empty() || !ctx.totals.is_empty()
    }

    /// InterPodAffinity's raw Score of one node: the scores of its domains, summed over the
    /// topologies (upstream's `topologyScore` lookup).
    pub(crate) fn score(&self, ctx: &ScoreCtx, node: NodeId) -> i64 {
        let domain = |topo: u16| self.topos[topo as usize].domain_of[node as usize];
        let mut total = 0i64;
        for &topo in &ctx.topos {
            total += ctx.domain_score(topo, domain(topo));
        }
        for &n in &ctx.totals {
            let norm = &self.score_norms[n as usize];
            let d = domain(norm.topo);
            if d != NO_DOMAIN {
                total += norm.weight * norm.placed[d as usize] as i64;
            }
        }
        total
    }

    /// Whether every term of the pod's InterPodAffinity context (its own affinity and
    /// anti-affinity, and the placed pods' anti-affinity that concerns it) is on `topo`: a walk
    /// that clears each domain of `topo` with [`Self::domain_excluded`] then has nothing left
    /// to check per node ([`Self::check_except`] with `skip = topo` passes every node).
    pub(crate) fn terms_only_on(&self, ctx: &PodCtx, topo: u16) -> bool {
        ctx.affinity.iter().all(|(t, _)| *t == topo)
            && ctx.anti.iter().all(|t| t.topo == topo)
            && ctx
                .sym
                .iter()
                .all(|(n, ..)| self.norms[*n as usize].topo == topo)
    }

    /// The topology whose domains the scheduler can skip whole, if the pod has a term on one.
    pub(crate) fn skip_topology(&self, ctx: &PodCtx) -> Option<u16> {
        ctx.anti
            .first()
            .map(|t| t.topo)
            .or_else(|| ctx.affinity.first().map(|(t, _)| *t))
    }
}

/// Writes entry `i` of a kept context's symmetry list (`PodCtx::sym`, `i` at most its
/// length), into the old entry's string when it has one.
fn set_sym(
    sym: &mut Vec<SymTerm>,
    i: usize,
    (n, same, other): (u32, bool, bool),
    own: Option<&String>,
) {
    if i == sym.len() {
        sym.push((n, same, other, own.cloned()));
        return;
    }
    let entry = &mut sym[i];
    (entry.0, entry.1, entry.2) = (n, same, other);
    match (&mut entry.3, own) {
        (Some(kept), Some(value)) => kept.clone_from(value),
        (slot, value) => *slot = value.cloned(),
    }
}

/// The placed Jobs carrying label `k=v`, an empty entry made if there is none (the strings
/// are copied only then).
fn placed_by_label_entry<'m>(
    m: &'m mut FastMap<String, FastMap<String, BTreeMap<JobKey, u32>>>,
    k: &str,
    v: &str,
) -> &'m mut BTreeMap<JobKey, u32> {
    if !m.contains_key(k) {
        m.insert(k.to_string(), FastMap::default());
    }
    let by_value = m.get_mut(k).expect("inserted above");
    if !by_value.contains_key(v) {
        by_value.insert(v.to_string(), BTreeMap::new());
    }
    by_value.get_mut(v).expect("inserted above")
}

/// [`bump_map`] on a map keyed by owned strings, with a borrowed key: allocates only to insert.
/// Returns the key's count before and after.
fn bump_map_str(m: &mut BTreeMap<String, u32>, k: &str, delta: i32) -> (u32, u32) {
    if let Some(c) = m.get_mut(k) {
        let before = *c;
        if delta > 0 {
            *c += delta as u32;
        } else {
            *c = c.saturating_sub((-delta) as u32);
            if *c == 0 {
                m.remove(k);
                return (before, 0);
            }
        }
        (before, *c)
    } else if delta > 0 {
        m.insert(k.to_string(), delta as u32);
        (0, delta as u32)
    } else {
        (0, 0)
    }
}

fn bump_map<K: Ord>(m: &mut BTreeMap<K, u32>, k: K, delta: i32) {
    if delta > 0 {
        *m.entry(k).or_default() += delta as u32;
    } else if let Some(c) = m.get_mut(&k) {
        *c = c.saturating_sub((-delta) as u32);
        if *c == 0 {
            m.remove(&k);
        }
    }
}

/// Replaces the owner's own value of one label key with `$SELF`. The key is the one whose own
/// value the term excludes (`NotIn [own]`, JobSet's `job-key`), else the one it requires; other
/// values stay literal, so owners that differ in them get separate forms. When no single key
/// qualifies the term stays literal. Either way the index stays exact: a normalized verdict
/// only depends on whether the owner's value equals the incoming pod's.
fn normalize(selector: &Selector, own: &StringMap) -> (Selector, Option<String>) {
    let names_own = |want_not_in: bool| -> BTreeSet<&str> {
        selector
            .reqs
            .iter()
            .filter(|(k, op)| match op {
                Op::NotIn(vs) if want_not_in => own.get(k).is_some_and(|o| vs.contains(o)),
                Op::In(vs) if !want_not_in => own.get(k).is_some_and(|o| vs.contains(o)),
                _ => false,
            })
            .map(|(k, _)| k.as_str())
            .collect()
    };
    let mut keys = names_own(true);
    if keys.is_empty() {
        keys = names_own(false);
    }
    if keys.len() != 1 {
        return (selector.clone(), None);
    }
    let key = *keys.iter().next().expect("one key");
    let own_value = own.get(key).cloned();
    let reqs = selector
        .reqs
        .iter()
        .map(|(k, op)| {
            let sub = |vs: &Vec<String>| -> Vec<String> {
                vs.iter()
                    .map(|v| {
                        if k == key && Some(v) == own_value.as_ref() {
                            SELF.to_string()
                        } else {
                            v.clone()
                        }
                    })
                    .collect()
            };
            let op = match op {
                Op::In(vs) => Op::In(sub(vs)),
                Op::NotIn(vs) => Op::NotIn(sub(vs)),
                other => other.clone(),
            };
            (k.clone(), op)
        })
        .collect();
    (Selector { reqs }, own_value)
}

/// A Job's `(same, other)` verdicts on norm terms, by (norm term, Job).
type VerdictMemo = std::cell::RefCell<FastMap<(u32, JobKey), (bool, bool)>>;

/// A Job's verdicts on a norm term, memoized in `memo` by (norm, Job): does the term match
/// its pods when the term's owner has the pods' own `$SELF` value, and when it has another.
fn own_verdicts(
    memo: &VerdictMemo,
    key: (u32, JobKey),
    selector: &Selector,
    own: &StringMap,
    own_value: Option<&String>,
) -> (bool, bool) {
    *memo.borrow_mut().entry(key).or_insert_with(|| {
        let same = selector.matches_with(own, own_value.map(String::as_str));
        (same, selector.matches_with(own, None))
    })
}

fn self_keys(selector: &Selector) -> Vec<String> {
    selector
        .reqs
        .iter()
        .filter(|(_, op)| matches!(op, Op::In(vs) | Op::NotIn(vs) if vs.iter().any(|v| v == SELF)))
        .map(|(k, _)| k.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    #[should_panic(expected = "pod labels were set twice")]
    fn a_jobs_labels_are_set_once() {
        let mut index = AffinityIndex::default();
        index.set_job_labels(3, labels(&[("app", "a")]), "default");
        assert!(index.has_labels(3));
        index.set_job_labels(3, labels(&[("app", "b")]), "default");
    }

    #[test]
    fn selector_operators() {
        let ls = LabelSelector {
            match_labels: labels(&[("app", "w")]),
            match_expressions: vec![
                req("tier", "In", &["a", "b"]),
                req("gone", "DoesNotExist", &[]),
                req("zone", "NotIn", &["z1"]),
            ],
        };
        let s = Selector::compile(Some(&ls));
        assert!(s.matches(&labels(&[("app", "w"), ("tier", "b")])));
        assert!(s.matches(&labels(&[("app", "w"), ("tier", "a"), ("zone", "z2")])));
        assert!(!s.matches(&labels(&[("app", "w"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[("app", "w"), ("tier", "a"), ("gone", "x")])));
        assert!(!s.matches(&labels(&[("app", "w"), ("tier", "a"), ("zone", "z1")])));
        assert!(
            !Selector::compile(None).matches(&labels(&[])),
            "a nil selector matches nothing"
        );
        assert!(
            Selector::compile(Some(&LabelSelector::default())).matches(&labels(&[("x", "y")])),
            "empty matches all"
        );
        let bad = LabelSelector {
            match_expressions: vec![req("x", "Near", &[])],
            ..Default::default()
        };
        assert!(!Selector::compile(Some(&bad)).matches(&labels(&[("x", "y")])));
    }

    #[test]
    fn jobset_anti_affinity_normalizes_to_one_term() {
        // The leader's anti-affinity of semantics §6.2: job-key Exists, NotIn [own], priority In [p].
        let term = |own: &str| {
            let ls = LabelSelector {
                match_expressions: vec![
                    req("job-key", "Exists", &[]),
                    req("job-key", "NotIn", &[own]),
                    req("priority", "In", &["0"]),
                ],
                ..Default::default()
            };
            Selector::compile(Some(&ls))
        };
        let (a, self_a) = normalize(
            &term("ka"),
            &labels(&[("job-key", "ka"), ("priority", "0")]),
        );
        let (b, self_b) = normalize(
            &term("kb"),
            &labels(&[("job-key", "kb"), ("priority", "0")]),
        );
        assert_eq!(a, b, "same normalized form for every leader");
        assert_eq!(
            (self_a.as_deref(), self_b.as_deref()),
            (Some("ka"), Some("kb"))
        );
        let pod = labels(&[("job-key", "ka"), ("priority", "0")]);
        assert!(
            !a.matches_with(&pod, Some("ka")),
            "a pod of the same Job is not repelled"
        );
        assert!(a.matches_with(&pod, None), "a pod of another Job is");
        let other_prio = labels(&[("job-key", "kc"), ("priority", "5")]);
        assert!(
            !a.matches_with(&other_prio, None),
            "other priorities may share the domain"
        );
    }
}
