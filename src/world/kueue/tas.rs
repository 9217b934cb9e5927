//! Topology-Aware Scheduling: the placement of one PodSet in a TAS flavor's topology
//! (kueue-semantics §9; docs/kueue.md "Topology-Aware Scheduling: placement").
//!
//! Pure: `parse_request` reads a pod template's `kueue.x-k8s.io/podset-*` annotations as the
//! Kueue webhook and `jobframework.NewPodSetTopologyRequest` do; `TasSnapshot` is the free
//! capacity of a topology's leaves and `TasSnapshot::find` is Kueue's `findTopologyAssignment`
//! (`pkg/cache/scheduler/tas_flavor_snapshot.go`) for one PodSet without a leader group:
//! phase 1 counts the pods and slices each domain holds, phase 2a picks the level and the
//! domains there, phase 2b descends, minimising the domains used at each level.
//!
//! Speed: a find is linear in the leaves (phase 1, the single-domain choices) plus a heap over
//! the candidates of each greedy step, so only the domains actually taken are ordered.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

pub(crate) const REQUIRED: &str = "kueue.x-k8s.io/podset-required-topology";
pub(crate) const PREFERRED: &str = "kueue.x-k8s.io/podset-preferred-topology";
pub(crate) const UNCONSTRAINED: &str = "kueue.x-k8s.io/podset-unconstrained-topology";
pub(crate) const SLICE_REQUIRED: &str = "kueue.x-k8s.io/podset-slice-required-topology";
pub(crate) const SLICE_SIZE: &str = "kueue.x-k8s.io/podset-slice-size";
pub(crate) const SLICE_CONSTRAINTS: &str =
    "kueue.x-k8s.io/podset-slice-required-topology-constraints";
pub(crate) const GROUP_NAME: &str = "kueue.x-k8s.io/podset-group-name";

/// Pod-template annotations of one PodSet, parsed (§9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopologyMode {
    Required(String),
    Preferred(String),
    Unconstrained,
    /// No annotation, in a TAS-only ClusterQueue.
    Implied,
}

/// What `TasSnapshot::request_levels` finds in a request.
pub(crate) struct RequestLevels<'a> {
    pub lowest: usize,
    pub slice_size: i64,
    /// The slice level's label.
    pub slice_key: &'a str,
    pub requested: usize,
    pub slice_level: usize,
    pub unconstrained: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopologyRequest {
    pub mode: TopologyMode,
    /// (level label, slice size): the outermost slice layer, from `podset-slice-required-topology`
    /// and `podset-slice-size` or the first entry of `podset-slice-required-topology-constraints`.
    pub slice: Option<(String, u32)>,
    /// The inner slice layers of `podset-slice-required-topology-constraints` (after the first),
    /// coarsest first (`TASMultiLayerTopology`).
    pub layers: Vec<(String, u32)>,
    /// `podset-group-name`, kept only with required or preferred (`NewPodSetTopologyRequest`):
    /// the PodSets of a group take one flavor and are placed together, the smaller as leader.
    pub group: Option<String>,
}

impl TopologyRequest {
    pub(crate) fn new(mode: TopologyMode) -> Self {
        TopologyRequest {
            mode,
            slice: None,
            layers: Vec::new(),
            group: None,
        }
    }

    /// Needs the general placement (`find_group`): a leader group or inner slice layers.
    pub(crate) fn is_general(&self) -> bool {
        !self.layers.is_empty()
    }
}

/// `field.Invalid`'s message without its path: `Invalid value: "v": detail`.
fn invalid(value: &str, detail: &str) -> String {
    format!("Invalid value: {}: {detail}", go_quote(value))
}

fn go_quote(s: &str) -> String {
    crate::api::validation::go_quote(s)
}

/// The path of one annotation under `metadata.annotations`.
fn at(key: &str) -> String {
    format!("[{key}]")
}

/// A webhook error: the path under `metadata.annotations` (`[key]`, `[key][1].size`) and the
/// message as apimachinery renders the field error without its path.
pub(crate) type AnnotationError = (String, String);

/// Parses the `kueue.x-k8s.io/podset-*` annotations; `Ok(None)` when none is present.
/// `Err` on what Kueue's webhook rejects (`ValidateTASPodSetRequest`,
/// `ValidateSliceSizeAnnotationUpperBound`), the first error in the webhook's order. The
/// checks across PodSets (groups) are `check_groups`.
pub(crate) fn parse_request(
    annotations: &BTreeMap<String, String>,
    pod_count: u32,
) -> Result<Option<TopologyRequest>, AnnotationError> {
    let found = PodSetAnnotations::read(annotations);
    // The webhook's checks, in its order; the first error wins.
    found.check_one_topology_annotation()?;
    found.check_group_name()?;
    found.check_unconstrained()?;
    let size = found.slice_size()?;
    let layers = found.constraint_layers()?;
    found.check_pod_count(size, &layers, pod_count)?;
    Ok(found.into_request(size, layers))
}

/// The `kueue.x-k8s.io/podset-*` annotations of one pod template, each when present.
struct PodSetAnnotations<'a> {
    required: Option<&'a String>,
    preferred: Option<&'a String>,
    unconstrained: Option<&'a String>,
    slice_level: Option<&'a String>,
    slice_size: Option<&'a String>,
    group: Option<&'a String>,
    constraints: Option<&'a String>,
}

impl<'a> PodSetAnnotations<'a> {
    /// Looks up each annotation in a pod template's annotations.
    fn read(annotations: &'a BTreeMap<String, String>) -> Self {
        let get = |k: &str| annotations.get(k);
        PodSetAnnotations {
            required: get(REQUIRED),
            preferred: get(PREFERRED),
            unconstrained: get(UNCONSTRAINED),
            slice_level: get(SLICE_REQUIRED),
            slice_size: get(SLICE_SIZE),
            group: get(GROUP_NAME),
            constraints: get(SLICE_CONSTRAINTS),
        }
    }

    /// Rejects more than one of the required, preferred and unconstrained annotations.
    fn check_one_topology_annotation(&self) -> Result<(), AnnotationError> {
        let found = [self.required, self.preferred, self.unconstrained]
            .iter()
            .filter(|v| v.is_some())
            .count();
        if found <= 1 {
            return Ok(());
        }
        let key = if self.unconstrained.is_some() {
            UNCONSTRAINED
        } else {
            PREFERRED
        };
        Err((
            at(key),
            format!(
                "Invalid value: must not contain more than one topology annotation: [{}, {}, {}]",
                go_quote(REQUIRED),
                go_quote(PREFERRED),
                go_quote(UNCONSTRAINED)
            ),
        ))
    }

    /// Checks `podset-group-name`: not a number, no slice annotations beside it, and only
    /// with a required or preferred topology.
    fn check_group_name(&self) -> Result<(), AnnotationError> {
        let Some(g) = self.group else {
            return Ok(());
        };
        // `validatePodSetGroupNameAnnotation`: `strconv.ParseUint(name, 10, 64)` must fail.
        if !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()) && g.parse::<u64>().is_ok() {
            return Err((at(GROUP_NAME), invalid(g, "must not be a number")));
        }
        let forbidden = |other: &str| {
            Err((
                at(GROUP_NAME),
                format!("Forbidden: may not be set when '{other}' is specified"),
            ))
        };
        if self.slice_size.is_some() {
            return forbidden(SLICE_SIZE);
        }
        if self.slice_level.is_some() {
            return forbidden(SLICE_REQUIRED);
        }
        if self.required.is_none() && self.preferred.is_none() {
            return Err((
                at(GROUP_NAME),
                format!(
                    "Forbidden: may not be set when neither '{PREFERRED}' nor '{REQUIRED}' is specified"
                ),
            ));
        }
        Ok(())
    }

    /// Checks that `podset-unconstrained-topology` is a Go boolean.
    fn check_unconstrained(&self) -> Result<(), AnnotationError> {
        match self.unconstrained {
            Some(v) if parse_go_bool(v).is_none() => {
                Err((at(UNCONSTRAINED), invalid(v, "must be a boolean value")))
            }
            _ => Ok(()),
        }
    }

    /// `podset-slice-size`, parsed, when present; set exactly when the slice level is.
    fn slice_size(&self) -> Result<Option<u32>, AnnotationError> {
        let size = match self.slice_size {
            None => None,
            Some(v) => match v.parse::<i32>() {
                Err(_) => {
                    return Err((at(SLICE_SIZE), invalid(v, "must be a numeric value")));
                }
                Ok(n) if n < 1 => {
                    return Err((
                        at(SLICE_SIZE),
                        invalid(v, "must be greater than or equal to 1"),
                    ));
                }
                Ok(n) => Some(n as u32),
            },
        };
        if self.slice_level.is_some() && self.slice_size.is_none() {
            return Err((
                at(SLICE_SIZE),
                format!("Required value: must be set when '{SLICE_REQUIRED}' is specified"),
            ));
        }
        if self.slice_level.is_none() && self.slice_size.is_some() {
            return Err((
                at(SLICE_SIZE),
                format!("Forbidden: may not be set when '{SLICE_REQUIRED}' is not specified"),
            ));
        }
        Ok(size)
    }

    /// The layers of `podset-slice-required-topology-constraints` (none without it).
    fn constraint_layers(&self) -> Result<Vec<(String, u32)>, AnnotationError> {
        match self.constraints {
            None => Ok(Vec::new()),
            Some(json) => parse_constraints(
                json,
                self.slice_level.is_some(),
                self.slice_size.is_some(),
                self.group.is_some(),
            ),
        }
    }

    /// `ValidateSliceSizeAnnotationUpperBound`: no slice larger than the PodSet.
    fn check_pod_count(
        &self,
        size: Option<u32>,
        layers: &[(String, u32)],
        pod_count: u32,
    ) -> Result<(), AnnotationError> {
        if let (Some(v), Some(n)) = (self.slice_size, size) {
            if n > pod_count {
                return Err((
                    at(SLICE_SIZE),
                    invalid(
                        v,
                        &format!("must not be greater than pod set count {pod_count}"),
                    ),
                ));
            }
        }
        if let Some(&(_, first)) = layers.first() {
            if first > pod_count {
                return Err((
                    at(SLICE_CONSTRAINTS),
                    format!(
                        "Invalid value: {first}: must not be greater than pod set count {pod_count}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The request the valid annotations make; None when they ask for no topology.
    fn into_request(
        self,
        size: Option<u32>,
        layers: Vec<(String, u32)>,
    ) -> Option<TopologyRequest> {
        let mode = if let Some(level) = self.required {
            TopologyMode::Required(level.clone())
        } else if let Some(level) = self.preferred {
            TopologyMode::Preferred(level.clone())
        } else if self.unconstrained.is_some() || self.slice_level.is_some() || !layers.is_empty() {
            TopologyMode::Unconstrained
        } else {
            return None;
        };
        let mut layers = layers.into_iter();
        let slice = match (self.slice_level, size) {
            (Some(level), Some(n)) => Some((level.clone(), n)),
            _ => layers.next(),
        };
        let group = self
            .group
            .filter(|_| self.required.is_some() || self.preferred.is_some())
            .cloned();
        Some(TopologyRequest {
            mode,
            slice,
            layers: layers.collect(),
            group,
        })
    }
}

/// `validateSliceRequiredTopologyConstraintsAnnotation` (`TASMultiLayerTopology`, beta, on):
/// a JSON array of 1 to 3 `{topology, size}` layers, coarsest first, each size at least 1 and
/// dividing the one before, the topologies distinct; exclusive with the two-level slice
/// annotations and with `podset-group-name`. Go's `encoding/json` matches field names without
/// regard to case and ignores unknown ones; its syntax-error wording is not reproduced.
fn parse_constraints(
    json: &str,
    slice_level: bool,
    slice_size: bool,
    group: bool,
) -> Result<Vec<(String, u32)>, AnnotationError> {
    check_constraints_exclusive(slice_level, slice_size, group)?;
    let layers = decode_constraints(json)?;
    check_constraint_layers(json, &layers)?;
    Ok(layers.into_iter().map(|(t, s)| (t, s as u32)).collect())
}

/// Rejects the constraints annotation beside the two-level slice annotations or a group name.
fn check_constraints_exclusive(
    slice_level: bool,
    slice_size: bool,
    group: bool,
) -> Result<(), AnnotationError> {
    let forbidden = |path: String, other: &str| {
        Err((
            path,
            format!("Forbidden: may not be set when '{other}' is specified"),
        ))
    };
    if slice_level {
        return forbidden(at(SLICE_CONSTRAINTS), SLICE_REQUIRED);
    }
    if slice_size {
        return forbidden(at(SLICE_CONSTRAINTS), SLICE_SIZE);
    }
    if group {
        return forbidden(at(GROUP_NAME), SLICE_CONSTRAINTS);
    }
    Ok(())
}

/// The constraints annotation's error for JSON that Go cannot decode.
fn bad_constraints_json(json: &str, detail: String) -> AnnotationError {
    (
        at(SLICE_CONSTRAINTS),
        invalid(json, &format!("must be a valid JSON array: {detail}")),
    )
}

/// The JSON type's name as Go's `encoding/json` errors say it.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Decodes the constraints as Go's `encoding/json` would: (topology, size) per layer, unchecked.
fn decode_constraints(json: &str) -> Result<Vec<(String, i64)>, AnnotationError> {
    const GO_TYPE: &str = "[]v1beta2.PodsetSliceRequiredTopologyConstraint";
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => return Err(bad_constraints_json(json, e.to_string())),
    };
    let items = match &value {
        serde_json::Value::Array(items) => items.as_slice(),
        serde_json::Value::Null => &[],
        other => {
            return Err(bad_constraints_json(
                json,
                format!(
                    "json: cannot unmarshal {} into Go value of type {GO_TYPE}",
                    json_kind(other)
                ),
            ))
        }
    };
    items
        .iter()
        .map(|item| decode_constraint(json, item))
        .collect()
}

/// Decodes one layer of the constraints (a JSON null is the zero layer).
fn decode_constraint(
    json: &str,
    item: &serde_json::Value,
) -> Result<(String, i64), AnnotationError> {
    let mut topology = String::new();
    let mut size = 0i64;
    match item {
        serde_json::Value::Object(fields) => {
            for (k, v) in fields {
                let field = |go: &str| {
                    bad_constraints_json(
                        json,
                        format!(
                            "json: cannot unmarshal {} into Go struct field PodsetSliceRequiredTopologyConstraint.{go} of type {}",
                            json_kind(v),
                            if go == "size" { "int32" } else { "string" }
                        ),
                    )
                };
                if k.eq_ignore_ascii_case("topology") {
                    match v {
                        serde_json::Value::String(t) => topology = t.clone(),
                        serde_json::Value::Null => {}
                        _ => return Err(field("topology")),
                    }
                } else if k.eq_ignore_ascii_case("size") {
                    match v.as_i64().filter(|n| i32::try_from(*n).is_ok()) {
                        Some(n) => size = n,
                        None if v.is_null() => {}
                        None => return Err(field("size")),
                    }
                }
            }
        }
        serde_json::Value::Null => {}
        other => {
            return Err(bad_constraints_json(
                json,
                format!(
                    "json: cannot unmarshal {} into Go value of type v1beta2.PodsetSliceRequiredTopologyConstraint",
                    json_kind(other)
                ),
            ))
        }
    }
    Ok((topology, size))
}

/// Checks the decoded layers: 1 to 3 of them, sizes at least 1, distinct topologies, each
/// size dividing its parent's.
fn check_constraint_layers(json: &str, layers: &[(String, i64)]) -> Result<(), AnnotationError> {
    if layers.is_empty() || layers.len() > 3 {
        return Err((
            at(SLICE_CONSTRAINTS),
            invalid(
                json,
                "topology constraints must contain between 1 and 3 entries",
            ),
        ));
    }
    for (i, (_, size)) in layers.iter().enumerate() {
        if *size < 1 {
            return Err((
                format!("{}[{i}].size", at(SLICE_CONSTRAINTS)),
                format!("Invalid value: {size}: must be greater than or equal to 1"),
            ));
        }
    }
    for (i, (topology, _)) in layers.iter().enumerate() {
        if let Some(prev) = layers[..i].iter().position(|(t, _)| t == topology) {
            return Err((
                format!("{}[{i}].topology", at(SLICE_CONSTRAINTS)),
                format!(
                    "Duplicate value: {}",
                    go_quote(&format!("{topology} (also at index {prev})"))
                ),
            ));
        }
    }
    for i in 0..layers.len() - 1 {
        let (parent, child) = (layers[i].1, layers[i + 1].1);
        if parent % child != 0 {
            return Err((
                format!("{}[{}].size", at(SLICE_CONSTRAINTS), i + 1),
                format!(
                    "Invalid value: {child}: must evenly divide the parent layer size {parent}"
                ),
            ));
        }
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

pub(crate) type LeafIx = u32;

/// One topology domain: its values from the top level down to its own, its children one level
/// down.
struct Domain {
    values: Vec<String>,
    children: Vec<u32>,
}

/// Free capacity of one TAS flavor's topology: levels highest first (Topology.spec.levels).
pub(crate) struct TasSnapshot {
    name: String,
    levels: Vec<String>,
    dims: usize,
    /// Resource names of the dims, for the exclusion statistics of "doesn't fit" messages.
    dim_names: Vec<String>,
    /// Domains per level; the lowest level's domains are the leaves (`LeafIx`).
    domains: Vec<Vec<Domain>>,
    /// Per level: (parent, value) → domain.
    index: Vec<HashMap<(u32, String), u32>>,
    /// Per level, each domain's parent (`NO_PARENT` at the top): phase 1 walks these.
    parents: Vec<Vec<u32>>,
    /// Free capacity per leaf and dim, `leaf * dims + dim`.
    free: Vec<i64>,
    /// Leaves whose nodes are all gone (`set_leaf_present`): not in the topology.
    absent: Vec<bool>,
    absent_count: usize,
    /// Per level and domain, its position in the order of the domains' values (the
    /// deterministic last tie-break); computed on the first find after a change of shape.
    ranks: OnceCell<Vec<Vec<u32>>>,
}

const NO_PARENT: u32 = u32::MAX;

/// Which way domains are ordered by slice count: Kueue's BestFit (most free slices first) for
/// required and preferred requests, LeastFreeCapacity (fewest first) for unconstrained ones
/// (`TASProfileMixed`, on by default).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    BestFit,
    LeastFree,
}

/// Per-find counts of one domain (Kueue's `domainState`).
#[derive(Clone, Copy, Default)]
struct Counts {
    pods: i64,
    slices: i64,
}

/// Phase 1's counts: pods per domain at every level; slices stored above the slice level,
/// computed at it, none below.
struct Phase1 {
    pods: Vec<Vec<i64>>,
    slices: Vec<Vec<i64>>,
    slice_level: usize,
    slice_size: i64,
}

impl Phase1 {
    fn get(&self, level: usize, d: u32) -> Counts {
        let pods = self.pods[level][d as usize];
        let slices = match level.cmp(&self.slice_level) {
            std::cmp::Ordering::Less => self.slices[level][d as usize],
            std::cmp::Ordering::Equal => pods / self.slice_size,
            std::cmp::Ordering::Greater => 0,
        };
        Counts { pods, slices }
    }
}

/// Sort key: greater comes first. BestFit: slices descending, then pods ascending, then
/// values ascending; LeastFree: slices ascending, then the same. Packed in one integer, from
/// the top: slices, pods, rank of the values (each 32 bits, counts saturating), and the domain
/// itself in the low 32 bits (ranks are unique, so it never decides).
type Key = u128;

fn pack_key(profile: Profile, c: Counts, rank: u32, d: u32) -> Key {
    let sat = |x: i64| x.clamp(0, i64::from(u32::MAX)) as u128;
    let s = match profile {
        Profile::BestFit => sat(c.slices),
        Profile::LeastFree => u128::from(u32::MAX) - sat(c.slices),
    };
    let p = u128::from(u32::MAX) - sat(c.pods);
    let r = u128::from(u32::MAX - rank);
    (s << 96) | (p << 64) | (r << 32) | u128::from(d)
}

fn dom_of(k: Key) -> u32 {
    k as u32
}

/// Exclusion statistics: leaves left out, by reason.
type Stats = BTreeMap<String, usize>;

impl TasSnapshot {
    pub(crate) fn new(levels: Vec<String>, dims: usize) -> Self {
        let n = levels.len();
        TasSnapshot {
            name: String::new(),
            levels,
            dims,
            dim_names: Vec::new(),
            domains: (0..n).map(|_| Vec::new()).collect(),
            index: (0..n).map(|_| HashMap::new()).collect(),
            parents: (0..n).map(|_| Vec::new()).collect(),
            free: Vec::new(),
            absent: Vec::new(),
            absent_count: 0,
            ranks: OnceCell::new(),
        }
    }

    /// The Topology's name, used in Kueue's "doesn't fit" messages.
    pub(crate) fn set_topology_name(&mut self, name: &str) {
        self.name = name.to_string();
    }

    /// The resource name of each dim: a leaf that holds no pod then counts as excluded by its
    /// most limiting resource in "doesn't fit" messages (`resource "cpu": 3`). Without names
    /// resource exclusions are not reported.
    pub(crate) fn set_dim_names(&mut self, names: &[&str]) {
        assert_eq!(names.len(), self.dims, "one name per dim");
        self.dim_names = names.iter().map(|n| n.to_string()).collect();
    }

    pub(crate) fn leaf_count(&self) -> usize {
        self.domains.last().map_or(0, Vec::len)
    }

    /// A node: its value for every level (same order as levels) and its free capacity per dim
    /// (the caller puts `pods` in one of the dims). Nodes with equal value tuples merge into one
    /// leaf whose free capacity is the sum. Returns the leaf.
    pub(crate) fn add_node(&mut self, values: &[&str], free: &[i64]) -> LeafIx {
        assert_eq!(values.len(), self.levels.len(), "one value per level");
        assert_eq!(free.len(), self.dims, "one free amount per dim");
        let mut parent = NO_PARENT;
        let mut created = false;
        for (level, value) in values.iter().enumerate() {
            let key = (parent, (*value).to_string());
            let ix = match self.index[level].get(&key) {
                Some(&ix) => ix,
                None => {
                    let ix = self.domains[level].len() as u32;
                    let mut tuple = if parent == NO_PARENT {
                        Vec::with_capacity(values.len())
                    } else {
                        self.domains[level - 1][parent as usize].values.clone()
                    };
                    tuple.push((*value).to_string());
                    self.domains[level].push(Domain {
                        values: tuple,
                        children: Vec::new(),
                    });
                    self.parents[level].push(parent);
                    if parent != NO_PARENT {
                        self.domains[level - 1][parent as usize].children.push(ix);
                    }
                    self.index[level].insert(key, ix);
                    created = true;
                    ix
                }
            };
            parent = ix;
        }
        let leaf = parent;
        if created {
            self.ranks = OnceCell::new();
            self.free.extend(std::iter::repeat_n(0, self.dims));
            self.absent.push(false);
        }
        let base = leaf as usize * self.dims;
        for (d, f) in free.iter().enumerate() {
            self.free[base + d] += f;
        }
        leaf
    }

    /// Take (sign=+1) or give back (sign=-1) `pods` pods of `per_pod` on a leaf (admitted TAS
    /// usage, non-TAS pods, a node going away = take all).
    pub(crate) fn adjust(&mut self, leaf: LeafIx, per_pod: &[i64], pods: u32, sign: i64) {
        let base = leaf as usize * self.dims;
        for (d, r) in per_pod.iter().enumerate().take(self.dims) {
            self.free[base + d] -= sign * r * i64::from(pods);
        }
    }

    /// Takes a leaf out of the topology (its nodes deleted, NotReady or unschedulable: Kueue's
    /// snapshot leaves such nodes out, so they count neither as domains nor in "Total nodes")
    /// or puts it back. Its free capacity is kept.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn set_leaf_present(&mut self, leaf: LeafIx, present: bool) {
        let was_absent = std::mem::replace(&mut self.absent[leaf as usize], !present);
        match (was_absent, present) {
            (true, true) => self.absent_count -= 1,
            (false, false) => self.absent_count += 1,
            _ => {}
        }
    }

    /// The leaf's value for every level, highest first.
    pub(crate) fn leaf_values(&self, leaf: LeafIx) -> &[String] {
        &self.domains[self.levels.len() - 1][leaf as usize].values
    }

    /// The leaf's free capacity per dim.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn leaf_free(&self, leaf: LeafIx) -> &[i64] {
        let base = leaf as usize * self.dims;
        &self.free[base..base + self.dims]
    }

    fn ranks(&self) -> &Vec<Vec<u32>> {
        self.ranks.get_or_init(|| {
            self.domains
                .iter()
                .map(|doms| {
                    let mut order: Vec<u32> = (0..doms.len() as u32).collect();
                    order.sort_unstable_by(|&a, &b| {
                        doms[a as usize].values.cmp(&doms[b as usize].values)
                    });
                    let mut rank = vec![0u32; doms.len()];
                    for (r, &d) in order.iter().enumerate() {
                        rank[d as usize] = r as u32;
                    }
                    rank
                })
                .collect()
        })
    }

    fn level_ix(&self, label: &str) -> Option<usize> {
        self.levels.iter().position(|l| l == label)
    }

    /// Kueue's `notFitMessage`, with the exclusion statistics when a leaf was excluded.
    fn not_fit(&self, fit: i64, total: i64, slice_size: i64, stats: &Stats) -> String {
        let unit = if slice_size == 1 { "pod" } else { "slice" };
        let mut msg = if fit == 0 {
            format!(
                "topology {} doesn't allow to fit any of {total} {unit}(s)",
                go_quote(&self.name)
            )
        } else {
            format!(
                "topology {} allows to fit only {fit} out of {total} {unit}(s)",
                go_quote(&self.name)
            )
        };
        msg.push_str(&self.stats_suffix(stats));
        msg
    }

    /// The exclusion statistics Kueue appends to "doesn't fit" messages (empty without any).
    fn stats_suffix(&self, stats: &Stats) -> String {
        if stats.is_empty() {
            return String::new();
        }
        let mut reasons: Vec<String> = stats.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        reasons.sort();
        format!(
            ". Total nodes: {}; excluded: {}",
            self.leaf_count() - self.absent_count,
            reasons.join(", ")
        )
    }

    /// findTopologyAssignment (§9.3): `count` pods of `per_pod` (the caller adds 1 to the pods
    /// dim); `eligible(leaf)` filters leaves. Ok: leaves with pod counts, in the order of their
    /// values (the order the ungater lays ranks out); Err: Kueue's message.
    pub(crate) fn find(
        &self,
        req: &TopologyRequest,
        per_pod: &[i64],
        count: u32,
        eligible: &dyn Fn(LeafIx) -> bool,
    ) -> Result<Vec<(LeafIx, u32)>, String> {
        self.find_explained(req, per_pod, count, &|leaf| {
            if eligible(leaf) {
                Ok(())
            } else {
                Err(None)
            }
        })
    }

    /// The levels a request names, checked as `findTopologyAssignment` does first: the
    /// lowest level, the slice size and level (the lowest with no slicing), the requested
    /// level (the top one for slices alone, the lowest for no annotation) and whether the
    /// placement is unconstrained; Kueue's message when one is missing or out of order.
    pub(crate) fn request_levels<'a>(
        &'a self,
        req: &'a TopologyRequest,
    ) -> Result<RequestLevels<'a>, String> {
        let Some(lowest) = self.levels.len().checked_sub(1) else {
            return Err("topology level not specified".to_string());
        };
        let (slice_size, slice_key) = match &req.slice {
            Some((level, size)) => (i64::from(*size), level.as_str()),
            None => (1, self.levels[lowest].as_str()),
        };
        if slice_size <= 0 {
            return Err("slice topology requested, but slice size not provided".to_string());
        }
        let unconstrained = matches!(
            req.mode,
            TopologyMode::Unconstrained | TopologyMode::Implied
        );
        let key = match &req.mode {
            TopologyMode::Required(l) | TopologyMode::Preferred(l) => l.as_str(),
            _ if req.slice.is_some() => self.levels[0].as_str(),
            _ => self.levels[lowest].as_str(),
        };
        let Some(requested) = self.level_ix(key) else {
            return Err(format!("no requested topology level: {key}"));
        };
        let Some(slice_level) = self.level_ix(slice_key) else {
            return Err(format!(
                "no requested topology level for slices: {slice_key}"
            ));
        };
        if requested > slice_level {
            return Err(format!(
                "podset slice topology {slice_key} is above the podset topology {key}"
            ));
        }
        Ok(RequestLevels {
            lowest,
            slice_size,
            slice_key,
            requested,
            slice_level,
            unconstrained,
        })
    }

    /// `find` with the reason a leaf is excluded, for Kueue's exclusion statistics:
    /// `Err(Some(reason))` counts the leaf under `reason` (Kueue's labels: `nodeSelector`,
    /// `affinity`, `taint "key=value:Effect"`), `Err(None)` excludes it without a word.
    pub(crate) fn find_explained(
        &self,
        req: &TopologyRequest,
        per_pod: &[i64],
        count: u32,
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
    ) -> Result<Vec<(LeafIx, u32)>, String> {
        if req.is_general() {
            return self
                .find_group(req, per_pod, count, None, exclusion)
                .map(|(workers, _)| workers);
        }
        let levels = self.request_levels(req)?;
        let required = matches!(req.mode, TopologyMode::Required(_));
        let profile = if levels.unconstrained {
            Profile::LeastFree
        } else {
            Profile::BestFit
        };
        let ranks = self.ranks();
        let (p1, excluded) = self.phase1(&levels, per_pod, exclusion);
        let counts = |level: usize, d: u32| p1.get(level, d);
        let key_of =
            |level: usize, d: u32| pack_key(profile, counts(level, d), ranks[level][d as usize], d);

        // Phase 2a: the level and its domains.
        let needed = i64::from(count) / levels.slice_size;
        let (fit_level, chosen) = self.fit_level(
            levels.requested,
            needed,
            levels.slice_size,
            required,
            levels.unconstrained,
            profile,
            &counts,
            &key_of,
            &excluded,
        )?;
        let order = Order {
            profile,
            counts: &counts,
            key_of: &key_of,
        };
        let leaves = self.descend(fit_level, chosen, &levels, needed, &order);
        let mut out: Vec<(LeafIx, u32)> = leaves
            .into_iter()
            .filter(|&(_, pods)| pods > 0)
            .map(|(leaf, pods)| (leaf, pods as u32))
            .collect();
        out.sort_unstable_by_key(|&(leaf, _)| ranks[levels.lowest][leaf as usize]);
        Ok(out)
    }

    /// Phase 1: pods per leaf, sums up the tree, slices at the slice level and sums above; with
    /// the exclusion statistics of the leaves left out.
    fn phase1(
        &self,
        levels: &RequestLevels<'_>,
        per_pod: &[i64],
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
    ) -> (Phase1, Stats) {
        let (lowest, slice_level, slice_size) =
            (levels.lowest, levels.slice_level, levels.slice_size);
        let mut pods: Vec<Vec<i64>> = self.domains.iter().map(|d| vec![0; d.len()]).collect();
        let excluded = self.count_leaf_pods(&mut pods[lowest], per_pod, exclusion);
        for level in (0..lowest).rev() {
            let (upper, lower) = pods.split_at_mut(level + 1);
            let (upper, lower) = (&mut upper[level], &lower[0]);
            for (&parent, &n) in self.parents[level + 1].iter().zip(lower.iter()) {
                upper[parent as usize] += n;
            }
        }
        let mut slices: Vec<Vec<i64>> = vec![Vec::new(); slice_level];
        for level in (0..slice_level).rev() {
            let mut sums = vec![0i64; pods[level].len()];
            for (child, &parent) in self.parents[level + 1].iter().enumerate() {
                sums[parent as usize] += if level + 1 == slice_level {
                    pods[level + 1][child] / slice_size
                } else {
                    slices[level + 1][child]
                };
            }
            slices[level] = sums;
        }
        let p1 = Phase1 {
            pods,
            slices,
            slice_level,
            slice_size,
        };
        (p1, excluded)
    }

    /// Fills `leaf_pods` with the pods of `per_pod` each present, eligible leaf holds; returns
    /// the leaves excluded, by reason (a resource for leaves that hold none).
    fn count_leaf_pods(
        &self,
        leaf_pods: &mut [i64],
        per_pod: &[i64],
        exclusion: &dyn Fn(LeafIx) -> Result<(), Option<String>>,
    ) -> Stats {
        let mut excluded = Stats::new();
        let mut limited_by = vec![0usize; self.dims];
        for (leaf, c) in leaf_pods.iter_mut().enumerate() {
            if self.absent[leaf] {
                continue;
            }
            if let Err(reason) = exclusion(leaf as LeafIx) {
                if let Some(reason) = reason {
                    *excluded.entry(reason).or_insert(0) += 1;
                }
                continue;
            }
            let (n, limiting) = self.count_in(leaf, per_pod);
            *c = n;
            if n == 0 {
                if let Some(d) = limiting {
                    limited_by[d] += 1;
                }
            }
        }
        for (d, &n) in limited_by.iter().enumerate() {
            if let (true, Some(name)) = (n > 0, self.dim_names.get(d)) {
                excluded.insert(format!("resource {}", go_quote(name)), n);
            }
        }
        excluded
    }

    /// Phase 2b: from the domains chosen at `fit_level` down to the leaves, each with its pods.
    fn descend(
        &self,
        fit_level: usize,
        mut chosen: Vec<(u32, i64)>,
        levels: &RequestLevels<'_>,
        needed: i64,
        order: &Order<'_>,
    ) -> Vec<(u32, i64)> {
        let lowest = levels.lowest;
        // Above the slice level: the children of all chosen domains, together, take whole
        // slices greedily.
        let mut level = fit_level;
        while level < lowest.min(levels.slice_level) {
            let cands: Vec<u32> = chosen
                .iter()
                .flat_map(|&(d, _)| self.domains[level][d as usize].children.iter().copied())
                .collect();
            let (taken, short) = order.greedy(level + 1, &cands, needed, levels.slice_size, true);
            debug_assert_eq!(short, 0, "children hold their parents' slices");
            chosen = taken;
            level += 1;
        }
        // At and below the slice level: each domain's pods go to its own children.
        while level < lowest {
            let mut next = Vec::new();
            for &(d, pods) in &chosen {
                let children = &self.domains[level][d as usize].children;
                let (taken, short) = order.greedy(level + 1, children, pods, 1, false);
                debug_assert_eq!(short, 0, "children hold their parent's pods");
                next.extend(taken);
            }
            chosen = next;
            level += 1;
        }
        chosen
    }

    /// `CountInWithLimitingResource`: how many pods of `per_pod` the leaf's free capacity holds
    /// (0 when a dim is over-committed; a dim the pod does not request does not limit), and the
    /// dim that limits most (ties to the first resource name).
    fn count_in(&self, leaf: usize, per_pod: &[i64]) -> (i64, Option<usize>) {
        let base = leaf * self.dims;
        count_in_free(&self.free[base..base + self.dims], per_pod, &self.dim_names)
    }

    /// Phase 2a (`findLevelWithFitDomains`): the domains at `level` (or, for preferred requests,
    /// a higher one) that take the request, each with the pods it gets.
    #[allow(clippy::too_many_arguments)]
    fn fit_level(
        &self,
        level: usize,
        needed: i64,
        slice_size: i64,
        required: bool,
        unconstrained: bool,
        profile: Profile,
        counts: &dyn Fn(usize, u32) -> Counts,
        key_of: &dyn Fn(usize, u32) -> Key,
        stats: &Stats,
    ) -> Result<(usize, Vec<(u32, i64)>), String> {
        let n = self.domains[level].len();
        if n == 0 || self.absent_count == self.leaf_count() {
            return Err(format!(
                "no topology domains at level: {}",
                self.levels[level]
            ));
        }
        let all = 0..n as u32;
        let slices_of = |d: u32| counts(level, d).slices;
        match profile {
            Profile::LeastFree => {
                // The first domain in ascending order that holds every slice.
                if let Some(d) = all
                    .clone()
                    .filter(|&d| slices_of(d) >= needed)
                    .max_by_key(|&d| key_of(level, d))
                {
                    return Ok((level, vec![(d, needed * slice_size)]));
                }
            }
            Profile::BestFit => {
                let top = all
                    .clone()
                    .max_by_key(|&d| key_of(level, d))
                    .expect("non-empty");
                let top_slices = slices_of(top);
                if top_slices >= needed {
                    // Tight fit: the fewest sufficient slices, first in sort order.
                    let d = best_fit(all.clone(), needed, &slices_of, &|d| key_of(level, d))
                        .expect("top fits");
                    return Ok((level, vec![(d, needed * slice_size)]));
                }
                if required {
                    return Err(self.not_fit(top_slices, needed, slice_size, stats));
                }
            }
        }
        if level > 0 && !unconstrained {
            return self.fit_level(
                level - 1,
                needed,
                slice_size,
                required,
                unconstrained,
                profile,
                counts,
                key_of,
                stats,
            );
        }
        // Spread greedily over several domains of this level.
        let cands: Vec<u32> = all.collect();
        let (taken, short) = greedy(
            &cands,
            needed,
            slice_size,
            true,
            profile,
            &|d| counts(level, d),
            &|d| key_of(level, d),
        );
        if short > 0 {
            return Err(self.not_fit(needed - short, needed, slice_size, stats));
        }
        Ok((level, taken))
    }
}

/// `CountInWithLimitingResource` on a leaf's free capacity `free` (see `count_in`).
fn count_in_free(free: &[i64], per_pod: &[i64], dim_names: &[String]) -> (i64, Option<usize>) {
    let mut n = i64::from(i32::MAX);
    let mut limiting: Option<usize> = None;
    for (d, &r) in per_pod.iter().enumerate().take(free.len()) {
        if r <= 0 {
            continue;
        }
        let free = free[d];
        let c = if free < r {
            0
        } else if r == 1 {
            free.min(i64::from(i32::MAX))
        } else {
            (free / r).min(i64::from(i32::MAX))
        };
        let better = match limiting {
            None => true,
            Some(l) => {
                c < n
                    || (c == n
                        && dim_names.get(d).map(String::as_str)
                            < dim_names.get(l).map(String::as_str))
            }
        };
        if better {
            n = c;
            limiting = Some(d);
        }
    }
    (n, limiting)
}

/// `findBestFitDomainBy`: among `cands`, the one with the smallest `unit` of at least `needed`,
/// the first in sort order among equals.
fn best_fit(
    cands: impl Iterator<Item = u32>,
    needed: i64,
    unit: &dyn Fn(u32) -> i64,
    key: &dyn Fn(u32) -> Key,
) -> Option<u32> {
    let mut best: Option<(i64, Key)> = None;
    for d in cands {
        let u = unit(d);
        if u < needed {
            continue;
        }
        let k = key(d);
        let better = match best {
            None => true,
            Some((bu, bk)) => u < bu || (u == bu && k > bk),
        };
        if better {
            best = Some((u, k));
        }
    }
    best.map(|(_, k)| dom_of(k))
}

/// How a find orders domains: its profile, phase 1's counts and the sort key, by level.
struct Order<'a> {
    profile: Profile,
    counts: &'a dyn Fn(usize, u32) -> Counts,
    key_of: &'a dyn Fn(usize, u32) -> Key,
}

impl Order<'_> {
    /// `greedy` over candidate domains of `level`.
    fn greedy(&self, level: usize, cands: &[u32], needed: i64, size: i64, slices: bool) -> Taken {
        greedy(
            cands,
            needed,
            size,
            slices,
            self.profile,
            &|d| (self.counts)(level, d),
            &|d| (self.key_of)(level, d),
        )
    }
}

/// What `greedy` takes: the domains with their pods, and the units left over.
type Taken = (Vec<(u32, i64)>, i64);

/// `updateCountsToMinimumGeneric` without leaders: `cands` in sort order take `needed` units
/// (slices of `size` pods when `slices`, else pods) greedily, each all it holds, the last one
/// (under BestFit) the tightest fit among those left. Returns the domains taken with their pods
/// and the units left over (0 unless the candidates hold too few). Only the domains taken are
/// ordered: a heap over the candidates.
fn greedy(
    cands: &[u32],
    needed: i64,
    size: i64,
    slices: bool,
    profile: Profile,
    counts: &dyn Fn(u32) -> Counts,
    key: &dyn Fn(u32) -> Key,
) -> Taken {
    let unit = |d: u32| {
        let c = counts(d);
        if slices {
            c.slices
        } else {
            c.pods
        }
    };
    let mut taken = Vec::new();
    let mut remaining = needed;
    if remaining <= 0 {
        // Kueue still names the first domain, with no pods: nothing to lay out.
        return (taken, 0);
    }
    // A domain that holds no unit takes nothing, wherever it sorts: leave it out.
    let mut heap: BinaryHeap<Key> = cands
        .iter()
        .filter(|&&d| unit(d) > 0)
        .map(|&d| key(d))
        .collect();
    while let Some(top) = heap.pop() {
        let mut d = dom_of(top);
        if profile == Profile::BestFit && unit(d) >= remaining {
            d = best_fit(
                std::iter::once(d).chain(heap.iter().map(|&k| dom_of(k))),
                remaining,
                &unit,
                key,
            )
            .expect("the top fits");
        }
        let u = unit(d);
        if u >= remaining {
            taken.push((d, remaining * size));
            return (taken, 0);
        }
        taken.push((d, u * size));
        remaining -= u;
    }
    (taken, remaining)
}

#[path = "tas_group.rs"]
mod group;

#[path = "tas_replace.rs"]
mod replace;

#[cfg(test)]
#[path = "tas_tests.rs"]
mod tests;
