//! JobSet v0.12.0 create-time admission (semantics §2.3, §2.4, §2.6): the CRD's OpenAPI and CEL
//! constraints, then the validating webhook's `ValidateCreate` (`pkg/webhooks/jobset_webhook.go`).
//!
//! Every message and field path is spelled as the API server prints it, because users compare
//! the simulator's rejections with what `kubectl apply` told them. Since v0.12.0 (#1207) the
//! webhook turns its plain Go errors into `field.InternalError(nil, err)`, so those print as
//! `<nil>: Internal error: <text>`; errors that upstream builds with `field.Invalid` print as
//! `<path>: Invalid value: <value>: <detail>`. Bad values are rendered the way apimachinery's
//! `field.Error.ErrorBody` renders them: strings with Go `%q`, numbers bare, pointers and structs
//! as JSON.
//!
//! Order. The API server runs the CRD schema validation (inside `BeforeCreate`) before it calls
//! validating webhooks, and stops there if the schema rejects the object. [`validate_create`]
//! does the same: if any CRD error is found, only the CRD errors are returned. Otherwise the
//! webhook's errors are returned in the order `ValidateCreate` appends them. Upstream
//! `ErrorList.ToAggregate` drops repeated identical messages; so do we.

use crate::api::types::{
    Container, FailurePolicy, JobSet, JobSetSpec, ObjectMeta, ReplicatedJob, VolumeClaimPolicy,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

/// One admission error: `path` like `spec.replicatedJobs[0].groupName` (upstream field.Path
/// string form), `message` as upstream prints it after the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A PVC that already exists in the JobSet's namespace (for V19).
///
/// `retain` records whether the claim was left behind by a `Retain` policy. Upstream's webhook
/// does not read it: it requires the *new* JobSet's policy to be `Retain` whenever a claim with
/// the generated name exists, so [`validate_create`] ignores this field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExistingPvc {
    pub name: String,
    pub spec: Option<serde_yaml_ng::Value>,
    pub retain: bool,
}

/// Validates a JobSet at creation, after defaulting (`crate::api::defaults::default_jobset` has
/// already run on it). `gates` maps feature-gate name ("RestartJob", "InPlaceRestart",
/// "ElasticJobSet") to its value; a missing gate is false. Returns every error (empty = valid),
/// in a deterministic order: CRD/OpenAPI constraint errors first, then webhook errors in the
/// order upstream's ValidateCreate produces them.
///
/// As in the API server, the webhook is not consulted when the CRD schema already rejected the
/// object (see the module comment), so the result holds either CRD errors or webhook errors.
pub(crate) fn validate_create(
    js: &JobSet,
    gates: &BTreeMap<String, bool>,
    existing_pvcs: &[ExistingPvc],
) -> Vec<FieldError> {
    let mut api_server = metadata_errors(&js.metadata);
    api_server.extend(crd_errors(&js.spec));
    if !api_server.is_empty() {
        return dedup(api_server);
    }
    let ctx = Ctx {
        js,
        name: name_for_validation(&js.metadata),
        gates,
    };
    dedup(webhook_errors(&ctx, existing_pvcs))
}

/// What the API server would say to the child Jobs the JobSet controller creates from `js`
/// (already defaulted): the JobSet is admitted (its webhook does not look inside the Job
/// template), but a Job it can never create would leave the run stalled from the start, so the
/// scenario loader refuses it instead (docs/fidelity.md). Each error is the API server's answer
/// to the first child Job's create, `path` pointing into the JobSet. The rules, in the order
/// kubernetes `pkg/apis/batch/validation` `validateJobSpec` and `pkg/apis/core/validation`
/// `ValidatePodSpec` append them:
/// - `parallelism`, `completions`, `activeDeadlineSeconds`, `backoffLimit` are not negative;
/// - an Indexed Job (the JobSet default) needs `completions` once `parallelism` is set without
///   it (the Job defaults set both only when both are unset);
/// - the pod template: at least one container, requests against limits, toleration
///   operators, topology spread constraints ([`pod_spec_errors`]).
///
/// `backoffLimitPerIndex` with `restartPolicy: OnFailure` is accepted there, so here too.
pub(crate) fn child_job_errors(js: &JobSet) -> Vec<FieldError> {
    let mut errs = vec![];
    for (i, rj) in js.spec.replicated_jobs.iter().enumerate() {
        let spec = &rj.template.spec;
        // The API server's answer to the first child Job's create.
        let job = go_quote(&format!("{}-{}-0", js.metadata.name, rj.name));
        let in_job = |job_error: FieldError| FieldError {
            path: format!("spec.replicatedJobs[{i}].template.{}", job_error.path),
            message: format!("Job.batch {job} is invalid: {job_error}"),
        };
        let non_negative = [
            ("parallelism", spec.parallelism.map(i64::from)),
            ("completions", spec.completions.map(i64::from)),
            ("activeDeadlineSeconds", spec.active_deadline_seconds),
            ("backoffLimit", spec.backoff_limit.map(i64::from)),
        ];
        for (field, value) in non_negative {
            if let Some(v) = value.filter(|v| *v < 0) {
                errs.push(in_job(invalid(
                    format!("spec.{field}"),
                    &v.to_string(),
                    IS_NEGATIVE_MSG,
                )));
            }
        }
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        if indexed && spec.parallelism.is_some() && spec.completions.is_none() {
            errs.push(in_job(FieldError {
                path: "spec.completions".into(),
                message: "Required value: when completion mode is Indexed".into(),
            }));
        }
        let pod = &spec.template.spec;
        errs.extend(
            pod_spec_errors(pod, "spec.template.spec")
                .into_iter()
                .map(in_job),
        );
    }
    errs
}

/// `validation.IsNegativeErrorMsg` (apimachinery), as `ValidateNonnegativeField` reports it.
const IS_NEGATIVE_MSG: &str = "must be greater than or equal to 0";
/// `isNotPositiveErrorMsg` (core validation), as `ValidateMaxSkew` reports it.
const IS_NOT_POSITIVE_MSG: &str = "must be greater than zero";
/// `supportedScheduleActions`, sorted as `sets.List` returns them.
const WHEN_UNSATISFIABLE_ACTIONS: [&str; 2] = ["DoNotSchedule", "ScheduleAnyway"];
const TOLERATION_OPERATORS: [&str; 2] = ["Equal", "Exists"];

/// The checks of core `ValidatePodSpec` that a pod template can fail and that the simulator
/// would otherwise run with anyway, in upstream's order: containers (requests against limits),
/// init containers, tolerations, topology spread constraints. `at` is the pod spec's path.
fn pod_spec_errors(pod: &crate::api::types::PodSpec, at: &str) -> Vec<FieldError> {
    let mut errs = vec![];
    if pod.containers.is_empty() {
        // `validateContainers`: `field.Required(fldPath, "")`.
        errs.push(required(format!("{at}.containers")));
    }
    for (list, containers) in [
        ("containers", &pod.containers),
        ("initContainers", &pod.init_containers),
    ] {
        for (c, container) in containers.iter().enumerate() {
            let path = format!("{at}.{list}[{c}].resources");
            errs.extend(requests_against_limits(container, &path));
        }
    }
    for (t, toleration) in pod.tolerations.iter().enumerate() {
        let path = format!("{at}.tolerations[{t}].operator");
        errs.extend(toleration_operator_error(toleration, &path));
    }
    if let Some(serde_yaml_ng::Value::Sequence(constraints)) = &pod.topology_spread_constraints {
        for (k, constraint) in constraints.iter().enumerate() {
            let path = format!("{at}.topologySpreadConstraints[{k}]");
            errs.extend(topology_spread_errors(constraint, &path));
        }
    }
    errs
}

/// `ValidateContainerResourceRequirements`' requests against limits, in upstream's words: a
/// request above its limit; for a resource that cannot be overcommitted (extended resources such
/// as `nvidia.com/gpu`, and huge pages) a request that differs from its limit, or a request with
/// no limit at all (the API server never defaults a limit from a request). Upstream reports the
/// first two at the `requests` map (not the key), the request as the bad value, and the last at
/// the `limits` map. `resources_path` is the container's `resources`.
fn requests_against_limits(container: &Container, resources_path: &str) -> Vec<FieldError> {
    let resources = &container.resources;
    let requests_path = format!("{resources_path}.requests");
    let mut errs = vec![];
    for (name, request) in &resources.requests {
        let overcommit = overcommit_allowed(name);
        let relation = match resources.limits.get(name) {
            Some(limit) if !overcommit && request.milli != limit.milli => Some(("equal to", limit)),
            Some(limit) if request.milli > limit.milli => Some(("less than or equal to", limit)),
            Some(_) => None,
            None if !overcommit => {
                errs.push(FieldError {
                    path: format!("{resources_path}.limits"),
                    message: "Required value: Limit must be set for non overcommitable resources"
                        .into(),
                });
                None
            }
            None => None,
        };
        if let Some((relation, limit)) = relation {
            // The values as the manifest writes them, where the API server would print its
            // canonical form: the user looks for the text they wrote.
            let as_written = |kind: &str, q| {
                (resources.written(kind, name)).map_or_else(|| quantity_string(q), str::to_string)
            };
            errs.push(invalid(
                &requests_path,
                &go_quote(&as_written("requests", request)),
                &format!(
                    "must be {relation} {name} limit of {}",
                    as_written("limits", limit)
                ),
            ));
        }
    }
    errs
}

/// `helper.IsOvercommitAllowed`: native resources except huge pages.
fn overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !name.starts_with("hugepages-")
}

/// `helper.IsNativeResource`: no domain, or a `kubernetes.io` domain.
fn is_native_resource(name: &str) -> bool {
    match name.split_once('/') {
        None => true,
        Some((domain, _)) => domain == "kubernetes.io" || domain.ends_with(".kubernetes.io"),
    }
}

/// `helper.IsExtendedResourceName`: a resource outside `kubernetes.io` (`nvidia.com/gpu`,
/// `google.com/tpu`) whose quota name, `requests.<name>`, is a qualified name.
fn is_extended_resource(name: &str) -> bool {
    !is_native_resource(name)
        && !name.starts_with("requests.")
        && qualified_name_errors(&format!("requests.{name}")).is_empty()
}

/// The resources `helper.IsIntegerResourceName` counts in whole units besides the extended
/// ones: the object counts (`integerResources`).
const INTEGER_RESOURCES: [&str; 9] = [
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

/// `isNotIntegerErrorMsg` (core validation).
const IS_NOT_INTEGER_MSG: &str = "must be an integer";

/// `ValidateResourceQuantityValue`, the check the API server runs on every quantity of a
/// container's requests and limits and of a node's capacity and allocatable: not negative, and
/// whole for a resource counted in whole units (`helper.IsIntegerResourceName`: every extended
/// resource, and `pods` and the other object counts), so `nvidia.com/gpu: 0.5` or `500m` is
/// refused. Upstream's details (`IsNegativeErrorMsg`, `isNotIntegerErrorMsg`), in its order.
pub(crate) fn resource_quantity_errors(
    name: &str,
    quantity: &crate::api::quantity::Quantity,
) -> Vec<&'static str> {
    let mut details = vec![];
    if quantity.milli < 0 {
        details.push(IS_NEGATIVE_MSG);
    }
    let integer_resource = INTEGER_RESOURCES.contains(&name) || is_extended_resource(name);
    if integer_resource && quantity.milli % 1000 != 0 {
        details.push(IS_NOT_INTEGER_MSG);
    }
    details
}

/// Close to `resource.Quantity.String()`: whole byte counts with the largest exact binary
/// suffix (`2Gi`), else whole units, else milli-units. Upstream keeps the suffix family the
/// user wrote, which the parsed quantity no longer knows.
fn quantity_string(q: &crate::api::quantity::Quantity) -> String {
    const SUFFIXES: [&str; 5] = ["Ki", "Mi", "Gi", "Ti", "Pi"];
    if q.milli % 1000 != 0 || q.milli == 0 {
        return q.display();
    }
    let units = q.milli / 1000;
    let binary = (1..=SUFFIXES.len())
        .rev()
        .map(|k| (k, 1i64 << (10 * k)))
        .find(|(_, unit)| units % unit == 0);
    match binary {
        Some((k, unit)) => format!("{}{}", units / unit, SUFFIXES[k - 1]),
        None => q.display(),
    }
}

/// `validateTolerations`' operator check: only `Equal` (or empty) and `Exists`, and `Exists`
/// without a value. The `Exists` error carries the whole toleration, which upstream prints
/// with `%#v`.
fn toleration_operator_error(
    toleration: &crate::api::types::Toleration,
    operator_path: &str,
) -> Option<FieldError> {
    match toleration.operator.as_deref().unwrap_or("") {
        "" | "Equal" => None,
        "Exists" if toleration.value.as_deref().unwrap_or("").is_empty() => None,
        "Exists" => Some(invalid(
            operator_path,
            &go_toleration(toleration),
            "value must be empty when `operator` is 'Exists'",
        )),
        other => Some(not_supported(operator_path, other, &TOLERATION_OPERATORS)),
    }
}

/// A `core.Toleration` as Go's `%#v` prints it (a set `tolerationSeconds` shows its value
/// instead of the pointer's address, which would differ from run to run).
fn go_toleration(t: &crate::api::types::Toleration) -> String {
    let text = |v: &Option<String>| go_quote(v.as_deref().unwrap_or(""));
    let seconds = t
        .toleration_seconds
        .map_or_else(|| "(*int64)(nil)".to_string(), |s| format!("(*int64)({s})"));
    format!(
        "core.Toleration{{Key:{}, Operator:{}, Value:{}, Effect:{}, TolerationSeconds:{seconds}}}",
        text(&t.key),
        text(&t.operator),
        text(&t.value),
        text(&t.effect)
    )
}

/// `validateTopologySpreadConstraints`: `maxSkew` at least 1 (`ValidateMaxSkew`) and a known
/// `whenUnsatisfiable` (`ValidateWhenUnsatisfiable`). The field is otherwise opaque to the
/// simulator, so it is read from the YAML; a missing `maxSkew` is Go's zero.
fn topology_spread_errors(constraint: &serde_yaml_ng::Value, at: &str) -> Vec<FieldError> {
    let mut errs = vec![];
    let max_skew = constraint
        .get("maxSkew")
        .and_then(serde_yaml_ng::Value::as_i64);
    let max_skew = max_skew.unwrap_or(0);
    if max_skew <= 0 {
        errs.push(invalid(
            format!("{at}.maxSkew"),
            &max_skew.to_string(),
            IS_NOT_POSITIVE_MSG,
        ));
    }
    let when = constraint.get("whenUnsatisfiable");
    let when = when.and_then(serde_yaml_ng::Value::as_str).unwrap_or("");
    if when.is_empty() {
        let mut e = required(format!("{at}.whenUnsatisfiable"));
        e.message.push_str(": can not be empty");
        errs.push(e);
    } else if !WHEN_UNSATISFIABLE_ACTIONS.contains(&when) {
        errs.push(not_supported(
            format!("{at}.whenUnsatisfiable"),
            when,
            &WHEN_UNSATISFIABLE_ACTIONS,
        ));
    }
    errs
}

/// Keeps the first of identical errors, as `field.ErrorList.ToAggregate` does when the API
/// server formats its `Invalid` status.
fn dedup(errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    errs.into_iter()
        .filter(|e| seen.insert((e.path.clone(), e.message.clone())))
        .collect()
}

// =============================================================================================
// Upstream constants
// =============================================================================================

/// `field.Path.String()` of a nil path, which is what `field.InternalError(nil, err)` carries.
const NIL_PATH: &str = "<nil>";
const MAX_INT32: i64 = i32::MAX as i64;

/// `IsDNS1035Label`'s length message; upstream swaps it for its own friendlier texts below.
const DNS1035_MAX_LENGTH_MSG: &str = "must be no more than 63 characters";
const GROUP_NAME_TOO_LONG_MSG: &str =
    ".spec.replicatedJob[].groupName is too long, must be less than 63 characters";
const JOB_NAME_TOO_LONG_MSG: &str =
    "JobSet name is too long, job names generated for this JobSet will exceed 63 characters";
const POD_NAME_TOO_LONG_MSG: &str =
    "JobSet name is too long, pod names generated for this JobSet will exceed 63 characters";
const SUBDOMAIN_TOO_LONG_MSG: &str =
    ".spec.network.subdomain is too long, must be less than 63 characters";

const MAX_MANAGED_BY_LENGTH: usize = 63;
const MAX_VOLUME_CLAIM_LENGTH: usize = 63;
/// `jobRestarts` holds at most 1024 items, so RestartJob* actions cap every RJ's replicas.
const MAX_REPLICAS_PER_REPLICATED_JOB: i32 = 1024;
const MIN_RULE_NAME_LENGTH: usize = 1;
const MAX_RULE_NAME_LENGTH: usize = 128;
const VALID_ON_JOB_FAILURE_REASONS: [&str; 5] = [
    "BackoffLimitExceeded",
    "DeadlineExceeded",
    "FailedIndexes",
    "MaxFailedIndexesExceeded",
    "PodFailurePolicy",
];
const COORDINATOR_KEY: &str = "jobset.sigs.k8s.io/coordinator";

const GATE_IN_PLACE_RESTART: &str = "InPlaceRestart";
const GATE_RESTART_JOB: &str = "RestartJob";
const IN_PLACE_RESTART: &str = "InPlaceRestart";
const RESTART_JOB_ACTIONS: [&str; 2] = ["RestartJob", "RestartJobAndIgnoreMaxRestarts"];

/// `names.SimpleNameGenerator`: the prefix is cut to 58 bytes and 5 random characters follow.
const MAX_GENERATED_NAME_BASE: usize = 58;
/// Stand-in for the 5 random characters. They come from `bcdfghjklmnpqrstvwxz2456789`, all
/// lower-case alphanumerics, so any such stand-in gives the same accept/reject outcome.
const GENERATED_SUFFIX_STAND_IN: &str = "xxxxx";

// =============================================================================================
// Field error constructors (apimachinery `field.*` and their ErrorBody text)
// =============================================================================================

/// `field.Invalid`: `bad_value` must already be rendered (see the `go_quote`/`json_*` helpers).
pub(crate) fn invalid(path: impl Into<String>, bad_value: &str, detail: &str) -> FieldError {
    let mut message = format!("Invalid value: {bad_value}");
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(detail);
    }
    FieldError {
        path: path.into(),
        message,
    }
}

/// `field.InternalError(nil, errors.New(detail))`, which is how v0.12.0 reports plain errors.
fn internal(detail: impl fmt::Display) -> FieldError {
    FieldError {
        path: NIL_PATH.into(),
        message: format!("Internal error: {detail}"),
    }
}

pub(crate) fn required(path: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: "Required value".into(),
    }
}

/// `field.TooLong` (and the deprecated `TooLongMaxLength`, which delegates to it).
fn too_long(path: impl Into<String>, max: usize) -> FieldError {
    let unit = if max == 1 { "byte" } else { "bytes" };
    FieldError {
        path: path.into(),
        message: format!("Too long: may not be more than {max} {unit}"),
    }
}

/// `field.TooMany`, as the API server reports an OpenAPI `maxItems` violation.
pub(crate) fn too_many(path: impl Into<String>, actual: usize, max: usize) -> FieldError {
    let unit = if max == 1 { "item" } else { "items" };
    FieldError {
        path: path.into(),
        message: format!("Too many: {actual}: must have at most {max} {unit}"),
    }
}

/// `field.NotSupported`, as the API server reports an OpenAPI `enum` violation.
pub(crate) fn not_supported(path: impl Into<String>, value: &str, allowed: &[&str]) -> FieldError {
    let quoted: Vec<String> = allowed.iter().map(|v| go_quote(v)).collect();
    FieldError {
        path: path.into(),
        message: format!(
            "Unsupported value: {}: supported values: {}",
            go_quote(value),
            quoted.join(", ")
        ),
    }
}

/// `field.Duplicate`, as the API server reports a repeated key in a `map` or `set` list.
pub(crate) fn duplicate(path: impl Into<String>, bad_value: &str) -> FieldError {
    FieldError {
        path: path.into(),
        message: format!("Duplicate value: {bad_value}"),
    }
}

// =============================================================================================
// Value rendering: Go `%q` for strings, `encoding/json` for pointers and structs
// =============================================================================================

/// Go's `strconv.Quote`, used by ErrorBody for string bad values and by `%q` in messages.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `encoding/json` string encoding (with its default HTML escaping), used when upstream passes
/// a pointer to a string type as the bad value.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `*int32` bad value: JSON `null` when unset.
fn json_opt_i32(v: Option<i32>) -> String {
    v.map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// A pointer to a string type (e.g. `*PodReplacementPolicy`): JSON `null` when unset.
fn json_opt_str(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_string(), json_str)
}

/// A YAML value rendered as compact JSON, keys in document order.
fn yaml_to_json(v: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => json_str(s),
        Value::Sequence(items) => {
            let parts: Vec<String> = items.iter().map(yaml_to_json).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Mapping(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", json_str(&yaml_key(k)), yaml_to_json(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Tagged(t) => yaml_to_json(&t.value),
    }
}

/// A mapping key as text (JSON object keys are strings).
fn yaml_key(k: &serde_yaml_ng::Value) -> String {
    match k {
        serde_yaml_ng::Value::String(s) => s.clone(),
        other => {
            let json = yaml_to_json(other);
            json.trim_matches('"').to_string()
        }
    }
}

// =============================================================================================
// apimachinery `util/validation` helpers, with their exact messages
// =============================================================================================

const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
pub(crate) const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
pub(crate) const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
const DNS1035_LABEL_MAX_LENGTH: usize = 63;
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX_LENGTH: usize = 63;
const HTTP_PATH_FMT: &str = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

pub(crate) fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// `validation.RegexError`, including its doubled space before each `or`.
pub(crate) fn regex_error(msg: &str, regex: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{regex}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, example) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{regex}')"));
    out
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Matches `^[a-z]([-a-z0-9]*[a-z0-9])?$`.
fn matches_dns1035_label(v: &str) -> bool {
    let b = v.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            first.is_ascii_lowercase()
                && is_lower_alnum(last)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// Matches `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`.
fn matches_dns1123_label(v: &str) -> bool {
    let b = v.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first)
                && is_lower_alnum(last)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// Matches the DNS-1123 subdomain regex: dot-separated DNS-1123 labels.
fn matches_dns1123_subdomain(v: &str) -> bool {
    !v.is_empty() && v.split('.').all(matches_dns1123_label)
}

/// Matches `^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`.
pub(crate) fn matches_label_value(v: &str) -> bool {
    let b = v.as_bytes();
    match (b.first(), b.last()) {
        (None, _) | (_, None) => true,
        (Some(&first), Some(&last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
    }
}

/// Matches `^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$` (RFC 3986 path characters).
fn matches_http_path(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"/-._~%!$&'()*+,;=:".contains(&c))
}

/// Matches the failure-policy rule name regex `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`.
fn matches_rule_name(v: &str) -> bool {
    let b = v.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    let inner_ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b',' | b':');
    first.is_ascii_alphabetic()
        && (b.len() == 1 || last.is_ascii_alphanumeric() || last == b'_')
        && b.iter().all(|&c| inner_ok(c))
}

/// `validation.IsDNS1035Label`: zero, one or two messages (length, then format).
fn is_dns1035_label(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > DNS1035_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1035_LABEL_MAX_LENGTH));
    }
    if !matches_dns1035_label(v) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// `validation.IsDNS1123Subdomain`: zero, one or two messages (length, then format).
pub(crate) fn is_dns1123_subdomain(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(v) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `content.IsQualifiedName` (label keys, resource names, selector keys).
pub(crate) fn qualified_name_errors(value: &str) -> Vec<String> {
    const NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    const NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    let mut errs = vec![];
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            name
        }
        _ => {
            errs.push(regex_error(
                &format!("a qualified name {NAME_MSG}"),
                NAME_FMT,
                &["MyName", "my.name", "123-abc"],
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !name.is_empty() && !matches_label_value(name) {
        errs.push(regex_error(
            NAME_MSG,
            NAME_FMT,
            &["MyName", "my.name", "123-abc"],
        ));
    }
    errs
}

/// `validation.IsValidLabelValue` (`content.IsLabelValue`).
pub(crate) fn is_label_value(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !matches_label_value(v) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `validation.IsDomainPrefixedPath` (e.g. `acme.io/foo`), returning field errors at `path`.
fn is_domain_prefixed_path(path: &str, value: &str) -> Vec<FieldError> {
    if value.is_empty() {
        return vec![required(path)];
    }
    let Some((host, rest)) = value.split_once('/') else {
        return vec![invalid(path, &go_quote(value), DOMAIN_PREFIXED_PATH_MSG)];
    };
    if host.is_empty() || rest.is_empty() {
        return vec![invalid(path, &go_quote(value), DOMAIN_PREFIXED_PATH_MSG)];
    }
    let mut errs: Vec<FieldError> = is_dns1123_subdomain(host)
        .iter()
        .map(|m| invalid(path, &go_quote(host), m))
        .collect();
    if !matches_http_path(rest) {
        let msg = regex_error("Invalid path", HTTP_PATH_FMT, &[]);
        errs.push(invalid(path, &go_quote(rest), &msg));
    }
    errs
}

const DOMAIN_PREFIXED_PATH_MSG: &str = "must be a domain-prefixed path (such as \"acme.io/foo\")";

// =============================================================================================
// Object metadata, as the API server validates it for every custom resource
// =============================================================================================

/// `ValidateObjectMetaAccessor(obj, namespaced, NameIsDNSSubdomain, "metadata")`, which the API
/// server's custom-resource validator runs before the CRD schema (apiextensions-apiserver
/// `customResourceValidator.Validate`), so its errors come first and, like schema errors, keep
/// the object from the webhook. `generateName` has already become a name (`BeforeCreate`), so
/// the name checked is the generated one.
fn metadata_errors(meta: &ObjectMeta) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(prefix) = meta.generate_name.as_deref().filter(|g| !g.is_empty()) {
        for msg in is_dns1123_subdomain(&mask_trailing_dash(prefix)) {
            errs.push(invalid("metadata.generateName", &go_quote(prefix), &msg));
        }
    }
    let name = name_for_validation(meta);
    if name.is_empty() {
        errs.push(FieldError {
            path: "metadata.name".into(),
            message: "Required value: name or generateName is required".into(),
        });
    }
    for msg in is_dns1123_subdomain(&name)
        .iter()
        .filter(|_| !name.is_empty())
    {
        errs.push(invalid("metadata.name", &go_quote(&name), msg));
    }
    errs
}

/// apimachinery's `maskTrailingDash`, which `NameIsDNSSubdomain(prefix, true)` applies because
/// the random suffix follows a `generateName`. Upstream drops the last *two* bytes before
/// appending `a`; reproduced as is, since it decides which prefixes validate.
fn mask_trailing_dash(prefix: &str) -> String {
    let b = prefix.as_bytes();
    if b.len() > 1 && b.ends_with(b"-") {
        return format!("{}a", String::from_utf8_lossy(&b[..b.len() - 2]));
    }
    prefix.to_string()
}

// =============================================================================================
// CRD constraints (OpenAPI schema, list types, CEL) of the v0.12.0 jobsets CRD
// =============================================================================================

const OPERATORS: [&str; 2] = ["All", "Any"];
const STARTUP_ORDERS: [&str; 2] = ["AnyOrder", "InOrder"];
const ACTIONS: [&str; 5] = [
    "FailJobSet",
    "RestartJobSet",
    "RestartJobSetAndIgnoreMaxRestarts",
    "RestartJob",
    "RestartJobAndIgnoreMaxRestarts",
];
const RESTART_STRATEGIES: [&str; 3] = ["Recreate", "BlockingRecreate", "InPlaceRestart"];
const DEPENDS_ON_STATUSES: [&str; 2] = ["Ready", "Complete"];
const WHEN_DELETED: [&str; 2] = ["Delete", "Retain"];
const MAX_DEPENDS_ON: usize = 5;
const MAX_VOLUME_CLAIM_POLICIES: usize = 50;
const MAX_VOLUME_CLAIM_TEMPLATES: usize = 50;
const CEL_SKIPPED_MSG: &str = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";
const CEL_STARTUP_VS_DEPENDS_ON_MSG: &str =
    "StartupPolicy and DependsOn APIs are mutually exclusive";
const CEL_TEMPLATE_NAMESPACE_MSG: &str =
    "namespace cannot be set for VolumeClaimPolicies templates";

/// Errors the API server reports from the CRD, in its phase order: OpenAPI schema, then
/// `x-kubernetes-list-type` uniqueness, then CEL rules. Like the API server, CEL rules are
/// skipped (with a notice) when the schema phase found an enum or maxItems violation.
///
/// Not modelled: `required` fields (serde already refuses documents without them), the schema
/// of the embedded Job and Pod templates, metadata name rules, and `replicas >= 0`, which only
/// exists after v0.12.0 (#1279).
fn crd_errors(spec: &JobSetSpec) -> Vec<FieldError> {
    let mut schema = SchemaCheck::default();
    schema.check(spec);
    let mut errs = schema.errs;
    errs.extend(list_type_errors(spec));
    if schema.blocking {
        errs.push(invalid(NIL_PATH, "null", CEL_SKIPPED_MSG));
    } else {
        errs.extend(cel_errors(spec));
    }
    errs
}

/// OpenAPI schema phase. Upstream walks properties in Go map order (unspecified); we walk them
/// in the spec's declaration order so the result is deterministic.
#[derive(Default)]
struct SchemaCheck {
    errs: Vec<FieldError>,
    /// An error type that makes the API server skip CEL rules (enum, maxItems, ...).
    blocking: bool,
}

impl SchemaCheck {
    fn check(&mut self, spec: &JobSetSpec) {
        for (i, rj) in spec.replicated_jobs.iter().enumerate() {
            self.check_depends_on(i, rj);
        }
        if let Some(sp) = &spec.success_policy {
            self.enumeration("spec.successPolicy.operator", &sp.operator, &OPERATORS);
        }
        if let Some(fp) = &spec.failure_policy {
            self.check_failure_policy(fp);
        }
        if let Some(sp) = &spec.startup_policy {
            let path = "spec.startupPolicy.startupPolicyOrder";
            self.enumeration(path, &sp.startup_policy_order, &STARTUP_ORDERS);
        }
        if let Some(ttl) = spec.ttl_seconds_after_finished {
            self.minimum("spec.ttlSecondsAfterFinished", i64::from(ttl), 0);
        }
        self.check_volume_claim_policies(&spec.volume_claim_policies);
    }

    fn check_depends_on(&mut self, i: usize, rj: &ReplicatedJob) {
        let Some(deps) = &rj.depends_on else { return };
        let path = format!("spec.replicatedJobs[{i}].dependsOn");
        self.max_items(&path, deps.len(), MAX_DEPENDS_ON);
        for (k, dep) in deps.iter().enumerate() {
            let status_path = format!("{path}[{k}].status");
            self.enumeration(&status_path, &dep.status, &DEPENDS_ON_STATUSES);
        }
    }

    fn check_failure_policy(&mut self, fp: &FailurePolicy) {
        if let Some(strategy) = &fp.restart_strategy {
            let path = "spec.failurePolicy.restartStrategy";
            self.enumeration(path, strategy, &RESTART_STRATEGIES);
        }
        for (r, rule) in fp.rules.iter().enumerate() {
            let path = format!("spec.failurePolicy.rules[{r}].action");
            self.enumeration(&path, &rule.action, &ACTIONS);
        }
    }

    fn check_volume_claim_policies(&mut self, vcps: &[VolumeClaimPolicy]) {
        if vcps.is_empty() {
            return;
        }
        let path = "spec.volumeClaimPolicies";
        self.max_items(path, vcps.len(), MAX_VOLUME_CLAIM_POLICIES);
        for (p, vcp) in vcps.iter().enumerate() {
            let templates = format!("{path}[{p}].templates");
            self.max_items(&templates, vcp.templates.len(), MAX_VOLUME_CLAIM_TEMPLATES);
            let when = vcp
                .retention_policy
                .as_ref()
                .and_then(|r| r.when_deleted.as_ref());
            if let Some(when) = when {
                let when_path = format!("{path}[{p}].retentionPolicy.whenDeleted");
                self.enumeration(&when_path, when, &WHEN_DELETED);
            }
        }
    }

    fn enumeration(&mut self, path: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.errs.push(not_supported(path, value, allowed));
            self.blocking = true;
        }
    }

    fn max_items(&mut self, path: &str, len: usize, max: usize) {
        if len > max {
            self.errs.push(too_many(path, len, max));
            self.blocking = true;
        }
    }

    /// An OpenAPI `minimum`, reported through kube-openapi's `ExceedsMinimum` text.
    fn minimum(&mut self, path: &str, value: i64, min: i64) {
        if value < min {
            let detail = format!("{path} in body should be greater than or equal to {min}");
            self.errs.push(invalid(path, &value.to_string(), &detail));
        }
    }
}

/// `x-kubernetes-list-type` checks: `replicatedJobs` and `dependsOn` are maps keyed by `name`;
/// `onJobFailureReasons` and `onJobFailureMessagePatterns` must hold unique items (§2.3). Each
/// repeat is reported at its own index, the way the API server's list-type validation does.
fn list_type_errors(spec: &JobSetSpec) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let rj_names = spec.replicated_jobs.iter().map(|rj| rj.name.as_str());
    errs.extend(map_list_duplicates("spec.replicatedJobs", rj_names));
    for (i, rj) in spec.replicated_jobs.iter().enumerate() {
        if let Some(deps) = &rj.depends_on {
            let path = format!("spec.replicatedJobs[{i}].dependsOn");
            errs.extend(map_list_duplicates(
                &path,
                deps.iter().map(|d| d.name.as_str()),
            ));
        }
    }
    if let Some(fp) = &spec.failure_policy {
        for (r, rule) in fp.rules.iter().enumerate() {
            let base = format!("spec.failurePolicy.rules[{r}]");
            let reasons = format!("{base}.onJobFailureReasons");
            errs.extend(set_list_duplicates(&reasons, &rule.on_job_failure_reasons));
            let patterns = format!("{base}.onJobFailureMessagePatterns");
            errs.extend(set_list_duplicates(
                &patterns,
                &rule.on_job_failure_message_patterns,
            ));
        }
    }
    errs
}

/// Repeated keys of a `map` list keyed by `name`; the bad value is the key object as JSON.
pub(crate) fn map_list_duplicates<'a>(
    path: &str,
    keys: impl Iterator<Item = &'a str>,
) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    keys.enumerate()
        .filter(|(_, key)| !seen.insert(*key))
        .map(|(i, key)| {
            let value = format!("{{\"name\":{}}}", json_str(key));
            duplicate(format!("{path}[{i}]"), &value)
        })
        .collect()
}

/// Repeated items of a `set` list of strings.
pub(crate) fn set_list_duplicates(path: &str, items: &[String]) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| !seen.insert(item.as_str()))
        .map(|(i, item)| duplicate(format!("{path}[{i}]"), &go_quote(item)))
        .collect()
}

/// The CRD's CEL rules that apply at creation (the `self == oldSelf` rules only bite on update).
/// The spec-level rule is evaluated before the rules of nested objects, as the API server does.
fn cel_errors(spec: &JobSetSpec) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let in_order = spec
        .startup_policy
        .as_ref()
        .is_some_and(|sp| sp.startup_policy_order == "InOrder");
    // `has(x.dependsOn)` is true for an explicitly empty list as well.
    let any_depends_on = spec
        .replicated_jobs
        .iter()
        .any(|rj| rj.depends_on.is_some());
    if in_order && any_depends_on {
        errs.push(invalid("spec", "\"object\"", CEL_STARTUP_VS_DEPENDS_ON_MSG));
    }
    for (p, vcp) in spec.volume_claim_policies.iter().enumerate() {
        let namespaced = vcp.templates.iter().any(|t| {
            t.metadata
                .namespace
                .as_deref()
                .is_some_and(|ns| !ns.is_empty())
        });
        if namespaced {
            let path = format!("spec.volumeClaimPolicies[{p}]");
            errs.push(invalid(path, "\"object\"", CEL_TEMPLATE_NAMESPACE_MSG));
        }
    }
    errs
}

// =============================================================================================
// Webhook: ValidateCreate
// =============================================================================================

/// What every webhook check needs.
struct Ctx<'a> {
    js: &'a JobSet,
    /// The JobSet name the checks build child names from (see [`name_for_validation`]).
    name: String,
    gates: &'a BTreeMap<String, bool>,
}

impl Ctx<'_> {
    fn gate(&self, name: &str) -> bool {
        self.gates.get(name).copied().unwrap_or(false)
    }

    fn restart_strategy_is_in_place(&self) -> bool {
        let fp = self.js.spec.failure_policy.as_ref();
        fp.and_then(|fp| fp.restart_strategy.as_deref()) == Some(IN_PLACE_RESTART)
    }
}

/// The JobSet name `ValidateCreate` sees.
///
/// v0.12.0 reads `js.Name`. The API server generates that name from `generateName` (prefix cut
/// to 58 bytes, then 5 random characters) inside `Store.Create`, before it calls validating
/// webhooks, so in v0.12.0 `js.Name` is already the generated name when the webhook runs. We
/// reproduce that name with a fixed 5-character stand-in. (#1267 on `main` computes the same
/// thing inside the webhook, so both versions accept and reject the same objects.)
fn name_for_validation(meta: &ObjectMeta) -> String {
    if !meta.name.is_empty() {
        return meta.name.clone();
    }
    match meta.generate_name.as_deref() {
        Some(prefix) if !prefix.is_empty() => {
            format!(
                "{}{GENERATED_SUFFIX_STAND_IN}",
                truncate_bytes(prefix, MAX_GENERATED_NAME_BASE)
            )
        }
        _ => String::new(),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `ValidateCreate`'s checks, in upstream order.
fn webhook_errors(ctx: &Ctx<'_>, existing_pvcs: &[ExistingPvc]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    check_in_place_restart_gate(ctx, &mut errs); // V1
    check_first_depends_on(ctx, &mut errs); // V2
    check_subdomain(ctx, &mut errs); // V3
    check_managed_by(ctx, &mut errs); // V4
    let mut names_so_far = BTreeSet::new();
    for (i, rj) in ctx.js.spec.replicated_jobs.iter().enumerate() {
        // Upstream inserts the name before the DependsOn check, so a self-dependency passes V9.
        names_so_far.insert(rj.name.as_str());
        check_replicated_job(ctx, i, rj, &names_so_far, &mut errs); // V5-V10
    }
    let all_names: BTreeSet<&str> = ctx
        .js
        .spec
        .replicated_jobs
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    check_success_targets(ctx, &all_names, &mut errs); // V11
    if let Some(fp) = &ctx.js.spec.failure_policy {
        check_failure_policy(ctx, fp, &all_names, &mut errs); // V12-V16
    }
    if ctx.js.spec.coordinator.is_some() {
        errs.extend(check_coordinator(ctx)); // V17
        errs.extend(check_coordinator_label_value(ctx)); // V18
    }
    check_volume_claim_policies(ctx, existing_pvcs, &mut errs); // V19
    errs
}

/// V1: `InPlaceRestart` strategy needs its (alpha) feature gate.
fn check_in_place_restart_gate(ctx: &Ctx<'_>, errs: &mut Vec<FieldError>) {
    if !ctx.gate(GATE_IN_PLACE_RESTART) && ctx.restart_strategy_is_in_place() {
        errs.push(internal(
            "InPlaceRestart restart strategy cannot be set when InPlaceRestart feature gate is disabled",
        ));
    }
}

/// V2: the first RJ has nothing to depend on; any non-nil list (even empty) is rejected.
fn check_first_depends_on(ctx: &Ctx<'_>, errs: &mut Vec<FieldError>) {
    let first = ctx.js.spec.replicated_jobs.first();
    if first.is_some_and(|rj| rj.depends_on.is_some()) {
        errs.push(internal(
            "DependsOn can't be set for the first ReplicatedJob",
        ));
    }
}

/// V3: the subdomain names the headless Service, so it must be both a DNS-1123 subdomain and a
/// DNS-1035 label. Upstream replaces the DNS-1035 length message with its own.
fn check_subdomain(ctx: &Ctx<'_>, errs: &mut Vec<FieldError>) {
    let network = ctx.js.spec.network.as_ref();
    let Some(subdomain) = network.and_then(|n| n.subdomain.as_deref()) else {
        return;
    };
    if subdomain.is_empty() {
        return;
    }
    let path = "spec.network.subdomain";
    let value = go_quote(subdomain);
    for msg in is_dns1123_subdomain(subdomain) {
        errs.push(invalid(path, &value, &msg));
    }
    for msg in is_dns1035_label(subdomain) {
        let msg = replace_length_msg(msg, SUBDOMAIN_TOO_LONG_MSG);
        errs.push(invalid(path, &value, &msg));
    }
}

/// Upstream's `strings.Contains(errMessage, dns1035MaxLengthExceededErrorMsg)` substitution.
fn replace_length_msg(msg: String, replacement: &str) -> String {
    if msg.contains(DNS1035_MAX_LENGTH_MSG) {
        replacement.to_string()
    } else {
        msg
    }
}

/// V4: `managedBy` must be a domain-prefixed path of at most 63 bytes.
fn check_managed_by(ctx: &Ctx<'_>, errs: &mut Vec<FieldError>) {
    let Some(manager) = ctx.js.spec.managed_by.as_deref() else {
        return;
    };
    let path = "spec.managedBy";
    errs.extend(is_domain_prefixed_path(path, manager));
    if manager.len() > MAX_MANAGED_BY_LENGTH {
        errs.push(too_long(path, MAX_MANAGED_BY_LENGTH));
    }
}

/// V5-V10 for one RJ. `replicas` and `groupName` fall back to their CRD defaults when unset.
fn check_replicated_job(
    ctx: &Ctx<'_>,
    i: usize,
    rj: &ReplicatedJob,
    names_so_far: &BTreeSet<&str>,
    errs: &mut Vec<FieldError>,
) {
    let path = format!("spec.replicatedJobs[{i}]");
    check_pod_count(rj, errs);
    check_group_name(&path, rj, errs);
    let longest_job_name = check_job_name(ctx, &path, rj, errs);
    check_pod_name(ctx, &path, rj, &longest_job_name, errs);
    check_depends_on(rj, names_so_far, errs);
    if ctx.gate(GATE_IN_PLACE_RESTART) && ctx.restart_strategy_is_in_place() {
        check_in_place_restart_job(&path, rj, errs);
    }
}

fn replicas(rj: &ReplicatedJob) -> i32 {
    rj.replicas.unwrap_or(1)
}

/// V5: replicas × parallelism (nil = 1) must fit in an int32.
///
/// v0.12.0 has no CRD minimum on `replicas` (that is #1279, after the release) and this is the
/// only check that looks at the product, so negative replicas are accepted unless parallelism is
/// negative too (a positive product that overflows). We reproduce exactly that.
fn check_pod_count(rj: &ReplicatedJob, errs: &mut Vec<FieldError>) {
    let parallelism = i64::from(rj.template.spec.parallelism.unwrap_or(1));
    if parallelism * i64::from(replicas(rj)) > MAX_INT32 {
        errs.push(internal(format!(
            "the product of replicas and parallelism must not exceed {MAX_INT32} for replicatedJob '{}'",
            rj.name
        )));
    }
}

/// V6: `groupName` feeds label values and must be a DNS-1035 label.
fn check_group_name(path: &str, rj: &ReplicatedJob, errs: &mut Vec<FieldError>) {
    let group = rj.group_name.as_deref().unwrap_or("default");
    for msg in is_dns1035_label(group) {
        let msg = replace_length_msg(msg, GROUP_NAME_TOO_LONG_MSG);
        errs.push(invalid(format!("{path}.groupName"), &go_quote(group), &msg));
    }
}

/// V7: the longest child Job name, `<js>-<rj>-<replicas-1>`, must be a DNS-1035 label. Returns
/// that name, which upstream also uses as the bad value of the pod-name error.
fn check_job_name(
    ctx: &Ctx<'_>,
    path: &str,
    rj: &ReplicatedJob,
    errs: &mut Vec<FieldError>,
) -> String {
    // Go computes `rJob.Replicas-1` in int32, which wraps.
    let longest = format!("{}-{}-{}", ctx.name, rj.name, replicas(rj).wrapping_sub(1));
    for msg in is_dns1035_label(&longest) {
        let msg = replace_length_msg(msg, JOB_NAME_TOO_LONG_MSG);
        errs.push(invalid(format!("{path}.name"), &go_quote(&longest), &msg));
    }
    longest
}

/// V8: for Indexed RJs with completions, the longest pod name (with a 5-character stand-in for
/// the random suffix) must be a DNS-1035 label. Quirk kept: the bad value shown is the longest
/// *Job* name.
fn check_pod_name(
    ctx: &Ctx<'_>,
    path: &str,
    rj: &ReplicatedJob,
    longest_job_name: &str,
    errs: &mut Vec<FieldError>,
) {
    let spec = &rj.template.spec;
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let Some(completions) = spec.completions.filter(|_| indexed) else {
        return;
    };
    let max_job_index = replicas(rj).wrapping_sub(1);
    let max_pod_index = completions.wrapping_sub(1);
    let longest_pod = format!(
        "{}-{}-{max_job_index}-{max_pod_index}-abcde",
        ctx.name, rj.name
    );
    for msg in is_dns1035_label(&longest_pod) {
        let msg = replace_length_msg(msg, POD_NAME_TOO_LONG_MSG);
        errs.push(invalid(
            format!("{path}.name"),
            &go_quote(longest_job_name),
            &msg,
        ));
    }
}

/// V9: every dependency must name this RJ or an earlier one.
fn check_depends_on(rj: &ReplicatedJob, names_so_far: &BTreeSet<&str>, errs: &mut Vec<FieldError>) {
    for dep in rj.depends_on.iter().flatten() {
        if !names_so_far.contains(dep.name.as_str()) {
            errs.push(internal(format!(
                "replicatedJob: {} cannot depend on replicatedJob: {}",
                rj.name, dep.name
            )));
        }
    }
}

/// V10: in-place restart needs Jobs that never fail on their own and have a fixed pod count.
fn check_in_place_restart_job(path: &str, rj: &ReplicatedJob, errs: &mut Vec<FieldError>) {
    let spec = &rj.template.spec;
    if spec.backoff_limit != Some(i32::MAX) {
        errs.push(invalid(
            format!("{path}.template.spec.backoffLimit"),
            &json_opt_i32(spec.backoff_limit),
            &format!(
                "replicatedJob {}: must be set to {MAX_INT32} (MaxInt32) when in-place restart is enabled",
                rj.name
            ),
        ));
    }
    let policy = spec.pod_replacement_policy.as_deref();
    if policy != Some("Failed") {
        errs.push(invalid(
            format!("{path}.template.spec.podReplacementPolicy"),
            &json_opt_str(policy),
            &format!(
                "replicatedJob {}: must be set to Failed when in-place restart is enabled",
                rj.name
            ),
        ));
    }
    let equal = matches!((spec.completions, spec.parallelism), (Some(c), Some(p)) if c == p);
    if !equal {
        errs.push(invalid(
            format!("{path}.template.spec.completions"),
            &json_opt_i32(spec.completions),
            &format!(
                "replicatedJob {}: completions and parallelism must be set and equal to each other when in-place restart is enabled",
                rj.name
            ),
        ));
    }
}

/// V11: success-policy targets must be RJ names.
fn check_success_targets(ctx: &Ctx<'_>, names: &BTreeSet<&str>, errs: &mut Vec<FieldError>) {
    let Some(sp) = &ctx.js.spec.success_policy else {
        return;
    };
    for target in &sp.target_replicated_jobs {
        if !names.contains(target.as_str()) {
            errs.push(internal(format!(
                "invalid replicatedJob name '{target}' does not appear in .spec.ReplicatedJobs"
            )));
        }
    }
}

/// V12-V16 (`validateFailurePolicy`). A RestartJob* action with its gate off is reported alone:
/// upstream returns early there.
fn check_failure_policy(
    ctx: &Ctx<'_>,
    fp: &FailurePolicy,
    names: &BTreeSet<&str>,
    errs: &mut Vec<FieldError>,
) {
    let has_restart_job = fp
        .rules
        .iter()
        .any(|r| RESTART_JOB_ACTIONS.contains(&r.action.as_str()));
    if has_restart_job {
        if !ctx.gate(GATE_RESTART_JOB) {
            errs.push(internal("RestartJob and RestartJobAndIgnoreMaxRestarts failure policy actions are not allowed when RestartJob feature gate is disabled"));
            return;
        }
        let rjs = &ctx.js.spec.replicated_jobs;
        if rjs
            .iter()
            .any(|rj| replicas(rj) > MAX_REPLICAS_PER_REPLICATED_JOB)
        {
            errs.push(internal(format!("JobSet cannot have a failure policy rule with RestartJob or RestartJobAndIgnoreMaxRestarts action and a replicated job with replicas > {MAX_REPLICAS_PER_REPLICATED_JOB}")));
        }
    }
    for rule in &fp.rules {
        check_rule(rule, names, errs);
    }
    check_rule_names_unique(fp, errs);
}

/// V14 (length and format), V15 and V16 for one rule.
fn check_rule(
    rule: &crate::api::types::FailurePolicyRule,
    names: &BTreeSet<&str>,
    errs: &mut Vec<FieldError>,
) {
    let len = rule.name.len();
    if !(MIN_RULE_NAME_LENGTH..=MAX_RULE_NAME_LENGTH).contains(&len) {
        errs.push(internal(format!("invalid failure policy rule name of length {len}, the rule name must be at least {MIN_RULE_NAME_LENGTH} characters long and at most {MAX_RULE_NAME_LENGTH} characters long")));
    }
    if !matches_rule_name(&rule.name) {
        errs.push(internal(format!("invalid failure policy rule name '{}', a failure policy rule name must start with an alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'", rule.name)));
    }
    for target in &rule.target_replicated_jobs {
        if !names.contains(target.as_str()) {
            errs.push(internal(format!("invalid replicatedJob name '{target}' in failure policy does not appear in .spec.ReplicatedJobs")));
        }
    }
    for reason in &rule.on_job_failure_reasons {
        if !VALID_ON_JOB_FAILURE_REASONS.contains(&reason.as_str()) {
            errs.push(internal(format!("invalid job failure reason '{reason}' in failure policy is not a recognized job failure reason")));
        }
    }
}

/// V14 (uniqueness). Upstream iterates a Go map, so with several repeated names its order is
/// random; we report groups in order of their first rule.
fn check_rule_names_unique(fp: &FailurePolicy, errs: &mut Vec<FieldError>) {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, rule) in fp.rules.iter().enumerate() {
        match groups.iter_mut().find(|(name, _)| *name == rule.name) {
            Some((_, indices)) => indices.push(index),
            None => groups.push((rule.name.as_str(), vec![index])),
        }
    }
    for (name, indices) in groups.into_iter().filter(|(_, ix)| ix.len() > 1) {
        // Go's %v of a []int: "[0 1]".
        let list: Vec<String> = indices.iter().map(usize::to_string).collect();
        errs.push(internal(format!(
            "rule names are not unique, rules with indices [{}] all have the same name '{name}'",
            list.join(" ")
        )));
    }
}

/// V17 (`validateCoordinator`): only the first failing check is reported.
fn check_coordinator(ctx: &Ctx<'_>) -> Option<FieldError> {
    let coord = ctx.js.spec.coordinator.as_ref()?;
    let rjs = &ctx.js.spec.replicated_jobs;
    let Some(rj) = rjs.iter().find(|rj| rj.name == coord.replicated_job) else {
        return Some(internal(format!(
            "coordinator replicatedJob {} does not exist",
            coord.replicated_job
        )));
    };
    if coord.job_index < 0 || coord.job_index >= replicas(rj) {
        return Some(internal(format!(
            "coordinator job index {} is invalid for replicatedJob {}",
            coord.job_index, rj.name
        )));
    }
    let spec = &rj.template.spec;
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let Some(completions) = spec.completions.filter(|_| indexed) else {
        return Some(internal(
            "job for coordinator pod must be indexed completion mode, and completions number must be set",
        ));
    };
    if coord.pod_index < 0 || coord.pod_index >= completions {
        return Some(internal(format!(
            "coordinator pod index {} is invalid for replicatedJob {} job index {}",
            coord.pod_index, coord.replicated_job, coord.job_index
        )));
    }
    None
}

/// V18: the coordinator endpoint `<js>-<rj>-<job>-<pod>.<subdomain>` becomes a label value.
fn check_coordinator_label_value(ctx: &Ctx<'_>) -> Option<FieldError> {
    let coord = ctx.js.spec.coordinator.as_ref()?;
    let value = format!(
        "{}-{}-{}-{}.{}",
        ctx.name,
        coord.replicated_job,
        coord.job_index,
        coord.pod_index,
        subdomain(ctx)
    );
    let problems = is_label_value(&value);
    if problems.is_empty() {
        return None;
    }
    Some(internal(format!(
        "spec will lead to invalid label value {} for coordinator label {} (long JobSet / ReplicatedJob / SubDomain name?): {}",
        go_quote(&value),
        go_quote(COORDINATOR_KEY),
        problems.join(", ")
    )))
}

/// `GetSubdomain`: the network subdomain, or the JobSet name when it is unset.
fn subdomain(ctx: &Ctx<'_>) -> String {
    let network = ctx.js.spec.network.as_ref();
    match network.and_then(|n| n.subdomain.as_deref()) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => ctx.name.clone(),
    }
}

/// V19 (`validateVolumeClaimPolicies`), template by template in policy order.
fn check_volume_claim_policies(
    ctx: &Ctx<'_>,
    existing_pvcs: &[ExistingPvc],
    errs: &mut Vec<FieldError>,
) {
    let mut claim_names = BTreeSet::new();
    for (p, vcp) in ctx.js.spec.volume_claim_policies.iter().enumerate() {
        let policy_path = format!("spec.volumeClaimPolicies[{p}]");
        for (t, template) in vcp.templates.iter().enumerate() {
            // Upstream's path says `template`, not `templates`.
            let template_path = format!("{policy_path}.template[{t}]");
            let claim = template.metadata.name.as_str();
            check_claim_name(ctx, &template_path, claim, &claim_names, errs);
            check_claim_mounts(&ctx.js.spec.replicated_jobs, claim, errs);
            let pvc_name = format!("{claim}-{}", ctx.name);
            if let Some(existing) = existing_pvcs.iter().find(|pvc| pvc.name == pvc_name) {
                check_existing_pvc(
                    ctx,
                    vcp,
                    &policy_path,
                    &template_path,
                    template,
                    existing,
                    errs,
                );
            }
            claim_names.insert(claim);
        }
    }
}

/// V19: template names are unique, DNS-1123 subdomains, and short enough for `<claim>-<js>`.
fn check_claim_name(
    ctx: &Ctx<'_>,
    template_path: &str,
    claim: &str,
    claim_names: &BTreeSet<&str>,
    errs: &mut Vec<FieldError>,
) {
    let path = format!("{template_path}.name");
    let value = go_quote(claim);
    if claim_names.contains(claim) {
        errs.push(invalid(
            &path,
            &value,
            "names must be unique for VolumeClaimPolicies template",
        ));
    }
    for msg in is_dns1123_subdomain(claim) {
        errs.push(invalid(&path, &value, &msg));
    }
    if claim.len() + 1 + ctx.name.len() > MAX_VOLUME_CLAIM_LENGTH {
        errs.push(invalid(
            &path,
            &value,
            "VolumeClaimPolicies template name is too long",
        ));
    }
}

/// V19 (`validateReplicatedJobsVolumeClaims`): no RJ may declare a volume named like the claim,
/// and some container or initContainer of some RJ must mount it.
fn check_claim_mounts(rjs: &[ReplicatedJob], claim: &str, errs: &mut Vec<FieldError>) {
    let mut mounted = false;
    for (i, rj) in rjs.iter().enumerate() {
        let pod = &rj.template.spec.template.spec;
        for (v, volume) in yaml_names(pod.volumes.as_ref()).into_iter().enumerate() {
            if volume.as_deref() == Some(claim) {
                errs.push(invalid(
                    format!(
                        "spec.replicatedJobs[{i}].template.spec.template.spec.volumes[{v}].name"
                    ),
                    &go_quote(claim),
                    &format!("volume name conflicts with VolumeClaimPolicy template name: {claim}"),
                ));
            }
        }
        let containers = pod.init_containers.iter().chain(&pod.containers);
        mounted = mounted || containers.into_iter().any(|c| mounts(c, claim));
    }
    if !mounted {
        // The bad value is upstream's whole `[]ReplicatedJob` as JSON; we can only render the
        // fields the simulator models.
        let value = serde_json::to_string(rjs).unwrap_or_else(|_| "null".into());
        errs.push(invalid(
            "spec.replicatedJobs",
            &value,
            &format!("replicatedJob containers don't have a matching volumeMount: {claim} from VolumeClaimPolicies"),
        ));
    }
}

/// Whether a container's `volumeMounts` (kept as raw YAML) has one named `claim`.
fn mounts(container: &Container, claim: &str) -> bool {
    yaml_names(container.volume_mounts.as_ref())
        .iter()
        .any(|n| n.as_deref() == Some(claim))
}

/// The `name` of each entry of a YAML sequence of mappings (None where an entry has none), so
/// positions match upstream's indices.
fn yaml_names(list: Option<&serde_yaml_ng::Value>) -> Vec<Option<String>> {
    let Some(items) = list.and_then(|v| v.as_sequence()) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            item.get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// V19: a claim that already exists must match the template and must be kept (`Retain`).
fn check_existing_pvc(
    ctx: &Ctx<'_>,
    vcp: &VolumeClaimPolicy,
    policy_path: &str,
    template_path: &str,
    template: &crate::api::types::PvcTemplate,
    existing: &ExistingPvc,
    errs: &mut Vec<FieldError>,
) {
    let namespace = ctx.js.metadata.namespace.as_deref().unwrap_or("default");
    if !pvc_specs_equal(template.spec.as_ref(), existing.spec.as_ref()) {
        errs.push(invalid(
            format!("{template_path}.spec"),
            &pvc_spec_json(template.spec.as_ref()),
            &format!(
                "spec does not match existing PVC {} in namespace {namespace}",
                existing.name
            ),
        ));
    }
    // Upstream skips this only when retentionPolicy is nil; an unset whenDeleted is the CRD
    // default `Delete`.
    if let Some(retention) = &vcp.retention_policy {
        let when = retention.when_deleted.as_deref().unwrap_or("Delete");
        if when != "Retain" {
            errs.push(invalid(
                format!("{policy_path}.retentionPolicy.whenDeleted"),
                &json_str(when),
                "retentionPolicy must be retain when PVC exists",
            ));
        }
    }
}

/// `PersistentVolumeClaimSpec` fields in Go declaration order (their JSON order).
const PVC_SPEC_FIELDS: [&str; 9] = [
    "accessModes",
    "selector",
    "resources",
    "volumeName",
    "storageClassName",
    "volumeMode",
    "dataSource",
    "dataSourceRef",
    "volumeAttributesClassName",
];

/// The fields of a PVC spec that survive decoding into the Go struct, dropping values that
/// decode to the zero value of a non-pointer field (so they compare like `reflect.DeepEqual`
/// compares the structs): unknown fields, nulls, an empty `resources`, an empty `volumeName`.
fn pvc_spec_fields(
    spec: Option<&serde_yaml_ng::Value>,
) -> Vec<(&'static str, serde_yaml_ng::Value)> {
    let Some(map) = spec.and_then(|s| s.as_mapping()) else {
        return Vec::new();
    };
    PVC_SPEC_FIELDS
        .iter()
        .filter_map(|&key| map.get(key).map(|v| (key, v.clone())))
        .filter(|(key, v)| !is_zero_pvc_field(key, v))
        .collect()
}

fn is_zero_pvc_field(key: &str, v: &serde_yaml_ng::Value) -> bool {
    match key {
        _ if v.is_null() => true,
        "resources" => v.as_mapping().is_some_and(|m| m.is_empty()),
        "volumeName" => v.as_str() == Some(""),
        _ => false,
    }
}

/// An approximation of upstream's `reflect.DeepEqual(existingPVC.Spec, template.Spec)`.
fn pvc_specs_equal(a: Option<&serde_yaml_ng::Value>, b: Option<&serde_yaml_ng::Value>) -> bool {
    pvc_spec_fields(a) == pvc_spec_fields(b)
}

/// The template spec as Go's `encoding/json` prints the struct: fields in declaration order,
/// `resources` always present (a struct is never omitted).
fn pvc_spec_json(spec: Option<&serde_yaml_ng::Value>) -> String {
    let fields = pvc_spec_fields(spec);
    let mut parts = Vec::new();
    for key in PVC_SPEC_FIELDS {
        match fields.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => parts.push(format!("{}:{}", json_str(key), yaml_to_json(v))),
            None if key == "resources" => parts.push("\"resources\":{}".into()),
            None => {}
        }
    }
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::default_jobset;
    use crate::api::load::load_jobsets_from_str;
    use crate::api::types::*;
    use std::path::{Path, PathBuf};

    // ---------------------------------------------------------------------------------------
    // Fixtures, shaped like upstream's `validObjectMeta` / `validPodTemplateSpec`
    // ---------------------------------------------------------------------------------------

    fn yaml(text: &str) -> serde_yaml_ng::Value {
        serde_yaml_ng::from_str(text).expect("test YAML parses")
    }

    fn container(name: &str) -> Container {
        Container {
            name: name.into(),
            ..Default::default()
        }
    }

    fn mounting(name: &str, claim: &str) -> Container {
        Container {
            volume_mounts: Some(yaml(&format!("[{{name: {claim}, mountPath: /test/path}}]"))),
            ..container(name)
        }
    }

    fn rj(name: &str) -> ReplicatedJob {
        ReplicatedJob {
            name: name.into(),
            group_name: Some("default".into()),
            replicas: Some(1),
            template: JobTemplateSpec {
                spec: JobSpec {
                    template: PodTemplateSpec {
                        spec: PodSpec {
                            containers: vec![container("test")],
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// An RJ like upstream's `Indexed, completions N, parallelism N` fixtures.
    fn indexed(name: &str, replicas: i32, completions: i32) -> ReplicatedJob {
        let mut r = rj(name);
        r.replicas = Some(replicas);
        r.template.spec.completion_mode = Some("Indexed".into());
        r.template.spec.completions = Some(completions);
        r.template.spec.parallelism = Some(completions);
        r
    }

    fn depends(mut r: ReplicatedJob, on: &[&str]) -> ReplicatedJob {
        let deps = on
            .iter()
            .map(|n| DependsOn {
                name: (*n).into(),
                status: "Complete".into(),
            })
            .collect();
        r.depends_on = Some(deps);
        r
    }

    fn jobset(name: &str, rjs: Vec<ReplicatedJob>) -> JobSet {
        JobSet {
            api_version: "jobset.x-k8s.io/v1alpha2".into(),
            kind: "JobSet".into(),
            metadata: ObjectMeta {
                name: name.into(),
                ..Default::default()
            },
            spec: JobSetSpec {
                replicated_jobs: rjs,
                ..Default::default()
            },
            status: None,
        }
    }

    /// Runs the webhook defaulting first, as the API server does before validation.
    fn defaulted(mut js: JobSet) -> JobSet {
        default_jobset(&mut js);
        js
    }

    fn gates(on: &[&str]) -> BTreeMap<String, bool> {
        on.iter().map(|g| (g.to_string(), true)).collect()
    }

    fn check(js: JobSet) -> Vec<String> {
        check_with(js, &[], &[])
    }

    fn check_with(js: JobSet, on: &[&str], pvcs: &[ExistingPvc]) -> Vec<String> {
        let js = defaulted(js);
        validate_create(&js, &gates(on), pvcs)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn with_failure_policy(mut js: JobSet, rules: Vec<FailurePolicyRule>) -> JobSet {
        js.spec.failure_policy = Some(FailurePolicy {
            rules,
            ..Default::default()
        });
        js
    }

    fn rule(name: &str, action: &str) -> FailurePolicyRule {
        FailurePolicyRule {
            name: name.into(),
            action: action.into(),
            ..Default::default()
        }
    }

    fn dns1035_msg() -> String {
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string()
    }

    // ---------------------------------------------------------------------------------------
    // Output format
    // ---------------------------------------------------------------------------------------

    #[test]
    fn field_error_display_is_path_colon_message() {
        let e = FieldError {
            path: "spec.managedBy".into(),
            message: "Required value".into(),
        };
        assert_eq!(e.to_string(), "spec.managedBy: Required value");
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(json_str("<a&b>"), "\"\\u003ca\\u0026b\\u003e\"");
    }

    /// `ValidateResourceQuantityValue`: whole units for extended resources and object counts
    /// only; `3000m` is whole, the `kubernetes.io` domain and `requests.` names are not extended.
    #[test]
    fn resource_quantities_are_whole_where_upstream_counts_units() {
        let errors = |name: &str, text: &str| {
            resource_quantity_errors(name, &crate::api::quantity::Quantity::parse(text).unwrap())
        };
        for (name, text) in [
            ("nvidia.com/gpu", "0.5"),
            ("google.com/tpu", "500m"),
            ("pods", "1.5"),
        ] {
            assert_eq!(errors(name, text), [IS_NOT_INTEGER_MSG], "{name}: {text}");
        }
        for (name, text) in [
            ("nvidia.com/gpu", "3000m"),
            ("nvidia.com/gpu", "2"),
            ("cpu", "500m"),
            ("memory", "0.5Gi"),
            ("example.kubernetes.io/x", "0.5"),
            ("requests.example.com/x", "0.5"),
        ] {
            assert!(errors(name, text).is_empty(), "{name}: {text}");
        }
        assert_eq!(
            errors("nvidia.com/gpu", "-0.5"),
            [IS_NEGATIVE_MSG, IS_NOT_INTEGER_MSG]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V1: InPlaceRestart feature gate
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "InPlaceRestart restart strategy cannot be set when
    /// InPlaceRestart feature gate is disabled"
    #[test]
    fn in_place_restart_strategy_cannot_be_set_when_gate_disabled() {
        let mut js = jobset("js", vec![rj("job-1")]);
        js.spec.failure_policy = Some(FailurePolicy {
            restart_strategy: Some("InPlaceRestart".into()),
            ..Default::default()
        });
        assert_eq!(
            check(js),
            vec!["<nil>: Internal error: InPlaceRestart restart strategy cannot be set when InPlaceRestart feature gate is disabled"]
        );
    }

    /// mirrors TestValidateCreate: "InPlaceRestart restart strategy can be set when
    /// InPlaceRestart feature gate is enabled"
    #[test]
    fn in_place_restart_strategy_can_be_set_when_gate_enabled() {
        let mut r = indexed("job-1", 1, 1);
        r.template.spec.backoff_limit = Some(i32::MAX);
        r.template.spec.pod_replacement_policy = Some("Failed".into());
        let mut js = jobset("js", vec![r]);
        js.spec.failure_policy = Some(FailurePolicy {
            restart_strategy: Some("InPlaceRestart".into()),
            ..Default::default()
        });
        assert!(check_with(js, &["InPlaceRestart"], &[]).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V2: no dependsOn on the first RJ
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "dependsOn cannot be set for first replicated job"
    #[test]
    fn depends_on_cannot_be_set_for_first_replicated_job() {
        let js = jobset("js", vec![depends(rj("job-1"), &["invalid"])]);
        let errs = check(js);
        assert_eq!(
            errs[0],
            "<nil>: Internal error: DependsOn can't be set for the first ReplicatedJob"
        );
        // Upstream tolerates extra errors here; the V9 check fires too.
        assert_eq!(
            errs[1],
            "<nil>: Internal error: replicatedJob: job-1 cannot depend on replicatedJob: invalid"
        );
    }

    /// mirrors TestValidateCreate: "dependsOn should not fail if there are no replicated jobs"
    #[test]
    fn depends_on_should_not_fail_if_there_are_no_replicated_jobs() {
        assert!(check(jobset("js", vec![])).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V3: network subdomain
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "network has invalid dns name" (subdomain of 64 'a')
    #[test]
    fn network_has_invalid_dns_name() {
        let sub = "a".repeat(64);
        let mut js = jobset("js", vec![rj("test-jobset-replicated-job-0")]);
        js.spec.network = Some(Network {
            enable_dns_hostnames: Some(true),
            subdomain: Some(sub.clone()),
            ..Default::default()
        });
        assert_eq!(
            check(js),
            vec![format!(
                "spec.network.subdomain: Invalid value: \"{sub}\": .spec.network.subdomain is too long, must be less than 63 characters"
            )]
        );
    }

    /// extends TestValidateCreate: "network has invalid dns name" to the format errors of both
    /// IsDNS1123Subdomain and IsDNS1035Label
    #[test]
    fn network_subdomain_with_invalid_characters() {
        let mut js = jobset("js", vec![rj("rj")]);
        js.spec.network = Some(Network {
            subdomain: Some("Bad_Sub".into()),
            ..Default::default()
        });
        let errs = check(js);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0], "spec.network.subdomain: Invalid value: \"Bad_Sub\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        assert_eq!(
            errs[1],
            format!(
                "spec.network.subdomain: Invalid value: \"Bad_Sub\": {}",
                dns1035_msg()
            )
        );
    }

    // ---------------------------------------------------------------------------------------
    // V4: managedBy
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "jobset controller name is not a domain-prefixed path"
    #[test]
    fn jobset_controller_name_is_not_a_domain_prefixed_path() {
        let mut js = jobset("js", vec![indexed("rj", 1, 1)]);
        js.spec.managed_by = Some("notDomainPrefixedPathControllerName".into());
        assert_eq!(
            check(js),
            vec!["spec.managedBy: Invalid value: \"notDomainPrefixedPathControllerName\": must be a domain-prefixed path (such as \"acme.io/foo\")"]
        );
    }

    /// mirrors TestValidateCreate: "jobset controller name is too long"
    #[test]
    fn jobset_controller_name_is_too_long() {
        let mut js = jobset("js", vec![indexed("rj", 1, 1)]);
        js.spec.managed_by = Some(format!("foo.bar/{}", "a".repeat(63)));
        assert_eq!(
            check(js),
            vec!["spec.managedBy: Too long: may not be more than 63 bytes"]
        );
    }

    /// mirrors TestValidateCreate: "jobset controller name is set and valid" and "jobset
    /// controller name is unset"
    #[test]
    fn jobset_controller_name_is_set_and_valid_or_unset() {
        let mut js = jobset("js", vec![indexed("rj", 1, 1)]);
        assert!(check(js.clone()).is_empty());
        js.spec.managed_by = Some("jobset.sigs.k8s.io/jobset-controller".into());
        assert!(check(js).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V5: replicas × parallelism
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "number of pods exceeds the limit" (MaxInt32 × MaxInt32 and
    /// MinInt32 × MinInt32)
    #[test]
    fn number_of_pods_exceeds_the_limit() {
        let mut a = rj("test-jobset-replicated-job-0");
        a.replicas = Some(i32::MAX);
        a.template.spec.parallelism = Some(i32::MAX);
        let mut b = rj("test-jobset-replicated-job-1");
        b.replicas = Some(i32::MIN);
        b.template.spec.parallelism = Some(i32::MIN);
        let errs = check(jobset("js", vec![a, b]));
        let want_a = "<nil>: Internal error: the product of replicas and parallelism must not exceed 2147483647 for replicatedJob 'test-jobset-replicated-job-0'";
        let want_b = "<nil>: Internal error: the product of replicas and parallelism must not exceed 2147483647 for replicatedJob 'test-jobset-replicated-job-1'";
        assert!(errs.contains(&want_a.to_string()), "{errs:#?}");
        assert!(errs.contains(&want_b.to_string()), "{errs:#?}");
    }

    /// mirrors TestValidateCreate: "number of pods within the limit"
    #[test]
    fn number_of_pods_within_the_limit() {
        assert!(check(jobset("js", vec![rj("test-jobset-replicated-job-0")])).is_empty());
    }

    /// v0.12.0 quirk (§0 item 1, §2.3): no CRD minimum on replicas, and V5 only catches a
    /// product above MaxInt32, so negative replicas with positive parallelism are accepted.
    #[test]
    fn v0_12_negative_replicas_not_rejected() {
        let mut r = rj("rj");
        r.replicas = Some(-1);
        assert!(check(jobset("js", vec![r])).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V6: groupName
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "group name is not DNS 1035 compliant" (64 'a')
    #[test]
    fn group_name_is_not_dns_1035_compliant() {
        let group = "a".repeat(64);
        let mut r = rj("rj");
        r.group_name = Some(group.clone());
        assert_eq!(
            check(jobset("js", vec![r])),
            vec![format!("spec.replicatedJobs[0].groupName: Invalid value: \"{group}\": .spec.replicatedJob[].groupName is too long, must be less than 63 characters")]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V7 / V8: child Job and pod names
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "jobset name will result in job name being too long"
    /// (62 'a', RJ "rj", 101 replicas → "…-rj-100", 69 characters)
    #[test]
    fn jobset_name_will_result_in_job_name_being_too_long() {
        let name = "a".repeat(62);
        let mut r = rj("rj");
        r.replicas = Some(101);
        assert_eq!(
            check(jobset(&name, vec![r])),
            vec![format!("spec.replicatedJobs[0].name: Invalid value: \"{name}-rj-100\": JobSet name is too long, job names generated for this JobSet will exceed 63 characters")]
        );
    }

    /// mirrors TestValidateCreate: "jobset name will result in a pod name being too long"
    /// (56 'a', Indexed, completions 1 → "…-rj-0-0-abcde", 69 characters)
    #[test]
    fn jobset_name_will_result_in_a_pod_name_being_too_long() {
        let name = "a".repeat(56);
        // Upstream shows the longest *Job* name as the bad value.
        assert_eq!(
            check(jobset(&name, vec![indexed("rj", 1, 1)])),
            vec![format!("spec.replicatedJobs[0].name: Invalid value: \"{name}-rj-0\": JobSet name is too long, pod names generated for this JobSet will exceed 63 characters")]
        );
    }

    /// mirrors TestValidateCreate: "jobset name with invalid character" (RJ
    /// "username.llama65b")
    #[test]
    fn jobset_name_with_invalid_character() {
        assert_eq!(
            check(jobset("js", vec![rj("username.llama65b")])),
            vec![format!(
                "spec.replicatedJobs[0].name: Invalid value: \"js-username.llama65b-0\": {}",
                dns1035_msg()
            )]
        );
    }

    /// mirrors TestValidateCreate: "generateName that produces overlong child job names is
    /// rejected" (49 'a' + "-", plus 5 generated characters, + "-worker-0" = 64)
    #[test]
    fn generate_name_that_produces_overlong_child_job_names_is_rejected() {
        let mut js = jobset("", vec![rj("worker")]);
        js.metadata.generate_name = Some(format!("{}-", "a".repeat(49)));
        let errs = check(js);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("spec.replicatedJobs[0].name: Invalid value: \""));
        assert!(errs[0].ends_with(JOB_NAME_TOO_LONG_MSG));
    }

    /// mirrors TestGetJobSetNameForValidation: "name is used directly" and "generateName uses
    /// apiserver truncation rules"
    /// The API server's `NameIsDNSSubdomain` on `metadata.name` (apiextensions-apiserver
    /// validates every custom resource's metadata before the CRD schema and the webhook).
    #[test]
    fn metadata_name_must_be_a_dns_subdomain() {
        let bad = "Not_A_DNS_Name!";
        let want = format!(
            "metadata.name: Invalid value: \"{bad}\": {}",
            regex_error(
                DNS1123_SUBDOMAIN_ERR_MSG,
                DNS1123_SUBDOMAIN_FMT,
                &["example.com"]
            )
        );
        assert_eq!(check(jobset(bad, vec![])), vec![want]);
        let long = "a".repeat(300);
        assert_eq!(
            check(jobset(&long, vec![])),
            vec![format!(
                "metadata.name: Invalid value: \"{long}\": must be no more than 253 characters"
            )]
        );
        assert_eq!(
            check(jobset("", vec![])),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert!(check(jobset("a.b-c", vec![])).is_empty());
    }

    /// Metadata errors keep the object from the webhook, like schema errors.
    #[test]
    fn metadata_errors_come_first_and_stop_admission() {
        let mut long_rj = rj("worker");
        long_rj.replicas = Some(1);
        let errs = check(jobset("Bad", vec![long_rj]));
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("metadata.name: Invalid value: \"Bad\""));
    }

    #[test]
    fn generate_name_is_checked_as_a_prefix() {
        let mut js = jobset("", vec![]);
        js.metadata.generate_name = Some("ok-".into());
        assert!(check(js.clone()).is_empty());
        js.metadata.generate_name = Some("Bad-".into());
        let errs = check(js);
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert!(errs[0].starts_with("metadata.generateName: Invalid value: \"Bad-\""));
        assert!(errs[1].starts_with("metadata.name: Invalid value: \"Bad-xxxxx\""));
        // upstream's maskTrailingDash drops two bytes: "a-" masks to "a", which is valid.
        assert_eq!(mask_trailing_dash("a-"), "a");
        assert_eq!(mask_trailing_dash("ab-"), "aa");
        assert_eq!(mask_trailing_dash("-"), "-");
    }

    #[test]
    fn name_for_validation_follows_the_apiserver_name_generator() {
        let mut meta = ObjectMeta {
            name: "jobset-name".into(),
            ..Default::default()
        };
        assert_eq!(name_for_validation(&meta), "jobset-name");
        meta.name.clear();
        meta.generate_name = Some("a".repeat(60));
        let got = name_for_validation(&meta);
        assert_eq!(got.len(), 63);
        assert!(got.starts_with(&"a".repeat(58)));
        meta.generate_name = None;
        assert_eq!(name_for_validation(&meta), "");
    }

    // ---------------------------------------------------------------------------------------
    // V9: dependsOn order
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "DependsOn is valid since job-2 depends on job-1 and job-3
    /// depends on job-1"
    #[test]
    fn depends_on_is_valid_job2_on_job1_and_job3_on_job1() {
        let js = jobset(
            "js",
            vec![
                rj("job-1"),
                depends(rj("job-2"), &["job-1"]),
                depends(rj("job-3"), &["job-1"]),
            ],
        );
        assert!(check(js).is_empty());
    }

    /// mirrors TestValidateCreate: "DependsOn is valid since job-2 depends on job-1 and job-3
    /// depends on job-2"
    #[test]
    fn depends_on_is_valid_job2_on_job1_and_job3_on_job2() {
        let js = jobset(
            "js",
            vec![
                rj("job-1"),
                depends(rj("job-2"), &["job-1"]),
                depends(rj("job-3"), &["job-2"]),
            ],
        );
        assert!(check(js).is_empty());
    }

    /// mirrors TestValidateCreate: "DependsOn is valid since job-3 depends on job-1 and job-2"
    #[test]
    fn depends_on_is_valid_job3_on_job1_and_job2() {
        let js = jobset(
            "js",
            vec![
                rj("job-1"),
                rj("job-2"),
                depends(rj("job-3"), &["job-1", "job-2"]),
            ],
        );
        assert!(check(js).is_empty());
    }

    /// mirrors TestValidateCreate: "DependsOn is invalid since job-2 depends on job-3" (a
    /// later RJ)
    #[test]
    fn depends_on_is_invalid_since_job2_depends_on_job3() {
        let js = jobset(
            "js",
            vec![
                rj("job-1"),
                depends(rj("job-2"), &["job-3"]),
                depends(rj("job-3"), &["job-1"]),
            ],
        );
        assert_eq!(
            check(js),
            vec![
                "<nil>: Internal error: replicatedJob: job-2 cannot depend on replicatedJob: job-3"
            ]
        );
    }

    /// mirrors TestValidateCreate: "DependsOn is invalid since job-2 depends on job-3 and
    /// job-1"
    #[test]
    fn depends_on_is_invalid_since_job2_depends_on_job3_and_job1() {
        let js = jobset(
            "js",
            vec![
                rj("job-1"),
                depends(rj("job-2"), &["job-1", "job-3"]),
                depends(rj("job-3"), &["job-1"]),
            ],
        );
        assert_eq!(
            check(js),
            vec![
                "<nil>: Internal error: replicatedJob: job-2 cannot depend on replicatedJob: job-3"
            ]
        );
    }

    /// mirrors TestValidateCreate: "job-2 depends on invalid ReplicatedJob"
    #[test]
    fn job2_depends_on_invalid_replicated_job() {
        let js = jobset("js", vec![rj("job-1"), depends(rj("job-2"), &["invalid"])]);
        assert_eq!(
            check(js),
            vec!["<nil>: Internal error: replicatedJob: job-2 cannot depend on replicatedJob: invalid"]
        );
    }

    /// §11 quirk 3: the name set is filled before the check, so a self-dependency passes V9.
    #[test]
    fn self_dependency_is_accepted() {
        let js = jobset("js", vec![rj("job-1"), depends(rj("job-2"), &["job-2"])]);
        assert!(check(js).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V10: in-place restart requirements
    // ---------------------------------------------------------------------------------------

    fn in_place_js(spec: impl FnOnce(&mut JobSpec)) -> JobSet {
        let mut r = rj("job-1");
        r.template.spec.parallelism = Some(1);
        r.template.spec.completions = Some(1);
        r.template.spec.backoff_limit = Some(i32::MAX);
        r.template.spec.pod_replacement_policy = Some("Failed".into());
        spec(&mut r.template.spec);
        let mut js = jobset("js", vec![r]);
        js.spec.failure_policy = Some(FailurePolicy {
            restart_strategy: Some("InPlaceRestart".into()),
            ..Default::default()
        });
        js
    }

    /// mirrors TestValidateCreate: "InPlaceRestart enabled: backoffLimit is not MaxInt32"
    #[test]
    fn in_place_restart_enabled_backoff_limit_is_not_max_int32() {
        let js = in_place_js(|s| s.backoff_limit = Some(0));
        assert_eq!(
            check_with(js, &["InPlaceRestart"], &[]),
            vec!["spec.replicatedJobs[0].template.spec.backoffLimit: Invalid value: 0: replicatedJob job-1: must be set to 2147483647 (MaxInt32) when in-place restart is enabled"]
        );
    }

    /// mirrors TestValidateCreate: "InPlaceRestart enabled: podReplacementPolicy is not Failed"
    #[test]
    fn in_place_restart_enabled_pod_replacement_policy_is_not_failed() {
        let js = in_place_js(|s| s.pod_replacement_policy = Some("TerminatingOrFailed".into()));
        assert_eq!(
            check_with(js, &["InPlaceRestart"], &[]),
            vec!["spec.replicatedJobs[0].template.spec.podReplacementPolicy: Invalid value: \"TerminatingOrFailed\": replicatedJob job-1: must be set to Failed when in-place restart is enabled"]
        );
    }

    /// mirrors TestValidateCreate: "InPlaceRestart enabled: completions != parallelism",
    /// "completions is nil" and "parallelism is nil"
    #[test]
    fn in_place_restart_enabled_completions_must_equal_parallelism() {
        let msg = "replicatedJob job-1: completions and parallelism must be set and equal to each other when in-place restart is enabled";
        let path = "spec.replicatedJobs[0].template.spec.completions";
        let unequal = in_place_js(|s| s.completions = Some(2));
        assert_eq!(
            check_with(unequal, &["InPlaceRestart"], &[]),
            vec![format!("{path}: Invalid value: 2: {msg}")]
        );
        let no_completions = in_place_js(|s| s.completions = None);
        assert_eq!(
            check_with(no_completions, &["InPlaceRestart"], &[]),
            vec![format!("{path}: Invalid value: null: {msg}")]
        );
        let no_parallelism = in_place_js(|s| s.parallelism = None);
        assert_eq!(
            check_with(no_parallelism, &["InPlaceRestart"], &[]),
            vec![format!("{path}: Invalid value: 1: {msg}")]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V11: success-policy targets
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "success policy has non matching replicated job"
    #[test]
    fn success_policy_has_non_matching_replicated_job() {
        let mut js = jobset("js", vec![rj("test-jobset-replicated-job-0")]);
        js.spec.success_policy = Some(SuccessPolicy {
            operator: "All".into(),
            target_replicated_jobs: vec!["does not exist".into()],
        });
        assert_eq!(
            check(js),
            vec!["<nil>: Internal error: invalid replicatedJob name 'does not exist' does not appear in .spec.ReplicatedJobs"]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V12 / V13: RestartJob actions
    // ---------------------------------------------------------------------------------------

    const RESTART_JOB_GATE_MSG: &str = "<nil>: Internal error: RestartJob and RestartJobAndIgnoreMaxRestarts failure policy actions are not allowed when RestartJob feature gate is disabled";
    const RESTART_JOB_REPLICAS_MSG: &str = "<nil>: Internal error: JobSet cannot have a failure policy rule with RestartJob or RestartJobAndIgnoreMaxRestarts action and a replicated job with replicas > 1024";

    /// mirrors TestValidateCreate: "jobset failure policy rule has RestartJob action and
    /// RestartJob feature gate is disabled" (and the RestartJobAndIgnoreMaxRestarts variant)
    #[test]
    fn restart_job_action_and_restart_job_gate_disabled() {
        for action in ["RestartJob", "RestartJobAndIgnoreMaxRestarts"] {
            let js = with_failure_policy(
                jobset("js", vec![indexed("rj", 1, 1)]),
                vec![rule("restartJobRule", action)],
            );
            assert_eq!(check(js), vec![RESTART_JOB_GATE_MSG], "{action}");
        }
    }

    /// V12 returns early: the other failure-policy checks do not run when the gate is off.
    #[test]
    fn restart_job_gate_error_returns_early_from_failure_policy_validation() {
        let js = with_failure_policy(
            jobset("js", vec![indexed("rj", 1, 1)]),
            vec![
                rule("restartJobRule", "RestartJob"),
                rule("1bad", "FailJobSet"),
            ],
        );
        assert_eq!(check(js), vec![RESTART_JOB_GATE_MSG]);
    }

    /// mirrors TestValidateCreate: "jobset failure policy rule has RestartJob action and a
    /// replicated job with replicas > 1024" (and the RestartJobAndIgnoreMaxRestarts variant)
    #[test]
    fn restart_job_action_and_replicated_job_with_replicas_over_1024() {
        for action in ["RestartJob", "RestartJobAndIgnoreMaxRestarts"] {
            let js = with_failure_policy(
                jobset("js", vec![indexed("rj", 1025, 1)]),
                vec![rule("restartJobRule", action)],
            );
            assert_eq!(
                check_with(js, &["RestartJob"], &[]),
                vec![RESTART_JOB_REPLICAS_MSG],
                "{action}"
            );
        }
    }

    // ---------------------------------------------------------------------------------------
    // V14: rule names
    // ---------------------------------------------------------------------------------------

    fn rule_js(rules: Vec<FailurePolicyRule>) -> JobSet {
        with_failure_policy(jobset("js", vec![indexed("rj", 1, 1)]), rules)
    }

    fn bad_rule_name_msg(name: &str) -> String {
        format!("<nil>: Internal error: invalid failure policy rule name '{name}', a failure policy rule name must start with an alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'")
    }

    /// mirrors TestValidateCreate: "failure policy rule name is valid"
    #[test]
    fn failure_policy_rule_name_is_valid() {
        assert!(check(rule_js(vec![rule(
            "superAwesomeFailurePolicyRule",
            "FailJobSet"
        )]))
        .is_empty());
    }

    /// mirrors TestValidateCreate: "jobset failure policy rule name is 0 characters long a.k.a
    /// unset" (validated here without the defaulting that would name it)
    #[test]
    fn failure_policy_rule_name_is_0_characters_long() {
        let js = rule_js(vec![rule("", "FailJobSet")]);
        let errs: Vec<String> = validate_create(&js, &BTreeMap::new(), &[])
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs[0], "<nil>: Internal error: invalid failure policy rule name of length 0, the rule name must be at least 1 characters long and at most 128 characters long");
        assert_eq!(errs[1], bad_rule_name_msg(""));
    }

    /// mirrors TestValidateCreate: "jobset failure policy rule name is greater than 128
    /// characters long"
    #[test]
    fn failure_policy_rule_name_is_greater_than_128_characters_long() {
        let js = rule_js(vec![rule(&"a".repeat(129), "FailJobSet")]);
        assert_eq!(
            check(js),
            vec!["<nil>: Internal error: invalid failure policy rule name of length 129, the rule name must be at least 1 characters long and at most 128 characters long"]
        );
    }

    /// mirrors TestValidateCreate: "there are two failure policy rules with the same name"
    #[test]
    fn there_are_two_failure_policy_rules_with_the_same_name() {
        let js = rule_js(vec![
            rule("repeatedRuleName", "FailJobSet"),
            rule("repeatedRuleName", "FailJobSet"),
        ]);
        assert_eq!(
            check(js),
            vec!["<nil>: Internal error: rule names are not unique, rules with indices [0 1] all have the same name 'repeatedRuleName'"]
        );
    }

    /// mirrors TestValidateCreate: "failure policy rule name does not start with an alphabetic
    /// character" (upstream's "1ruleToRuleThemAll" and §9.2's "1abc")
    #[test]
    fn failure_policy_rule_name_does_not_start_with_an_alphabetic_character() {
        for name in ["1ruleToRuleThemAll", "1abc"] {
            assert_eq!(
                check(rule_js(vec![rule(name, "FailJobSet")])),
                vec![bad_rule_name_msg(name)]
            );
        }
    }

    /// mirrors TestValidateCreate: "failure policy rule name does not end with an alphanumeric
    /// nor '_'"
    #[test]
    fn failure_policy_rule_name_does_not_end_with_an_alphanumeric_nor_underscore() {
        let name = "ruleToRuleThemAll,";
        assert_eq!(
            check(rule_js(vec![rule(name, "FailJobSet")])),
            vec![bad_rule_name_msg(name)]
        );
        // Interior ',' and ':' and a trailing '_' are allowed.
        assert!(check(rule_js(vec![rule("a,b:c_", "FailJobSet")])).is_empty());
    }

    // ---------------------------------------------------------------------------------------
    // V15 / V16: rule targets and reasons
    // ---------------------------------------------------------------------------------------

    /// mirrors TestValidateCreate: "jobset failure policy has an invalid replicated job"
    #[test]
    fn failure_policy_has_an_invalid_replicated_job() {
        let mut r = rule("", "FailJobSet");
        r.target_replicated_jobs = vec!["fakeReplicatedJob".into()];
        assert_eq!(
            check(rule_js(vec![r])),
            vec!["<nil>: Internal error: invalid replicatedJob name 'fakeReplicatedJob' in failure policy does not appear in .spec.ReplicatedJobs"]
        );
    }

    /// mirrors TestValidateCreate: "jobset failure policy has an invalid on job failure reason"
    #[test]
    fn failure_policy_has_an_invalid_on_job_failure_reason() {
        let mut r = rule("", "FailJobSet");
        r.on_job_failure_reasons = vec!["fakeReason".into()];
        assert_eq!(
            check(rule_js(vec![r])),
            vec!["<nil>: Internal error: invalid job failure reason 'fakeReason' in failure policy is not a recognized job failure reason"]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V17 / V18: coordinator
    // ---------------------------------------------------------------------------------------

    fn coordinator_js(
        name: &str,
        target: &str,
        job: i32,
        pod: i32,
        rjs: Vec<ReplicatedJob>,
    ) -> JobSet {
        let mut js = jobset(name, rjs);
        js.spec.coordinator = Some(Coordinator {
            replicated_job: target.into(),
            job_index: job,
            pod_index: pod,
        });
        js
    }

    fn two_rjs() -> Vec<ReplicatedJob> {
        vec![
            indexed("replicatedjob-a", 2, 2),
            indexed("replicatedjob-b", 2, 2),
        ]
    }

    /// mirrors TestValidateCreate: "coordinator replicated job does not exist"
    #[test]
    fn coordinator_replicated_job_does_not_exist() {
        assert_eq!(
            check(coordinator_js("js", "fake-rjob", 0, 0, two_rjs())),
            vec!["<nil>: Internal error: coordinator replicatedJob fake-rjob does not exist"]
        );
    }

    /// mirrors TestValidateCreate: "coordinator replicated job missing completions"
    #[test]
    fn coordinator_replicated_job_missing_completions() {
        let mut rjs = two_rjs();
        rjs[0].template.spec.completions = None;
        assert_eq!(
            check(coordinator_js("js", "replicatedjob-a", 0, 0, rjs)),
            vec!["<nil>: Internal error: job for coordinator pod must be indexed completion mode, and completions number must be set"]
        );
    }

    /// mirrors TestValidateCreate: "coordinator job index invalid"
    #[test]
    fn coordinator_job_index_invalid() {
        assert_eq!(
            check(coordinator_js("js", "replicatedjob-a", 2, 0, two_rjs())),
            vec!["<nil>: Internal error: coordinator job index 2 is invalid for replicatedJob replicatedjob-a"]
        );
    }

    /// mirrors TestValidateCreate: "coordinator pod index invalid"
    #[test]
    fn coordinator_pod_index_invalid() {
        assert_eq!(
            check(coordinator_js("js", "replicatedjob-a", 0, 2, two_rjs())),
            vec!["<nil>: Internal error: coordinator pod index 2 is invalid for replicatedJob replicatedjob-a job index 0"]
        );
    }

    /// mirrors TestValidateCreate: "coordinator label value is too long due to long JobSet
    /// name" (60 'a')
    #[test]
    fn coordinator_label_value_is_too_long_due_to_long_jobset_name() {
        let name = "a".repeat(60);
        let js = coordinator_js(
            &name,
            "replicatedjob-a",
            0,
            0,
            vec![indexed("replicatedjob-a", 1, 1)],
        );
        let errs = check(js);
        let value = format!("{name}-replicatedjob-a-0-0.{name}");
        let want = format!("<nil>: Internal error: spec will lead to invalid label value \"{value}\" for coordinator label \"jobset.sigs.k8s.io/coordinator\" (long JobSet / ReplicatedJob / SubDomain name?): must be no more than 63 characters");
        assert!(errs.contains(&want), "{errs:#?}");
    }

    /// mirrors TestValidateCreate: "coordinator label value is too long due to long
    /// ReplicatedJob name"
    #[test]
    fn coordinator_label_value_is_too_long_due_to_long_replicated_job_name() {
        let target = "a".repeat(60);
        let js = coordinator_js("jobset", &target, 0, 0, vec![indexed(&target, 1, 1)]);
        let errs = check(js);
        assert!(
            errs.iter()
                .any(|e| e
                    .starts_with("<nil>: Internal error: spec will lead to invalid label value")),
            "{errs:#?}"
        );
    }

    /// mirrors TestValidateCreate: "coordinator label value is too long due to long SubDomain"
    #[test]
    fn coordinator_label_value_is_too_long_due_to_long_subdomain() {
        let mut js = coordinator_js(
            "jobset",
            "replicatedjob-a",
            0,
            0,
            vec![indexed("replicatedjob-a", 1, 1)],
        );
        js.spec.network = Some(Network {
            subdomain: Some("a".repeat(60)),
            ..Default::default()
        });
        let value = format!("jobset-replicatedjob-a-0-0.{}", "a".repeat(60));
        assert_eq!(
            check(js),
            vec![format!("<nil>: Internal error: spec will lead to invalid label value \"{value}\" for coordinator label \"jobset.sigs.k8s.io/coordinator\" (long JobSet / ReplicatedJob / SubDomain name?): must be no more than 63 characters")]
        );
    }

    // ---------------------------------------------------------------------------------------
    // V19: volumeClaimPolicies
    // ---------------------------------------------------------------------------------------

    const PVC_SPEC: &str = "{accessModes: [ReadWriteMany], resources: {requests: {storage: 1Gi}}}";

    fn vcp(claims: &[&str], when: Option<&str>) -> VolumeClaimPolicy {
        VolumeClaimPolicy {
            templates: claims
                .iter()
                .map(|c| PvcTemplate {
                    metadata: ObjectMeta {
                        name: (*c).into(),
                        ..Default::default()
                    },
                    spec: Some(yaml(PVC_SPEC)),
                })
                .collect(),
            retention_policy: when.map(|w| RetentionPolicy {
                when_deleted: Some(w.into()),
            }),
        }
    }

    fn mounted_rj(name: &str, claim: &str) -> ReplicatedJob {
        let mut r = rj(name);
        r.template.spec.template.spec.containers = vec![mounting("test", claim)];
        r
    }

    fn vcp_js(policies: Vec<VolumeClaimPolicy>, rjs: Vec<ReplicatedJob>) -> JobSet {
        let mut js = jobset("js", rjs);
        js.metadata.namespace = Some("default".into());
        js.spec.volume_claim_policies = policies;
        js
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is valid since volume exists in the
    /// container"
    #[test]
    fn volume_claim_policy_is_valid_since_volume_exists_in_the_container() {
        let js = vcp_js(
            vec![vcp(&["test-volume"], Some("Delete"))],
            vec![mounted_rj("job-1", "test-volume")],
        );
        assert!(check(js).is_empty());
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is valid since volume exists in the
    /// initContainer"
    #[test]
    fn volume_claim_policy_is_valid_since_volume_exists_in_the_init_container() {
        let mut second = rj("job-2");
        second.template.spec.template.spec.init_containers =
            vec![mounting("test-init", "test-volume")];
        let js = vcp_js(
            vec![vcp(&["test-volume"], Some("Delete"))],
            vec![rj("job-1"), second],
        );
        assert!(check(js).is_empty());
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid since template names are not
    /// unique"
    #[test]
    fn volume_claim_policy_is_invalid_since_template_names_are_not_unique() {
        let js = vcp_js(
            vec![
                vcp(&["duplicate-volume"], Some("Delete")),
                vcp(&["duplicate-volume"], Some("Retain")),
            ],
            vec![mounted_rj("job-1", "duplicate-volume")],
        );
        assert_eq!(
            check(js),
            vec!["spec.volumeClaimPolicies[1].template[0].name: Invalid value: \"duplicate-volume\": names must be unique for VolumeClaimPolicies template"]
        );
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid since template name has
    /// uppercase letters"
    #[test]
    fn volume_claim_policy_is_invalid_since_template_name_has_uppercase_letters() {
        let js = vcp_js(
            vec![vcp(&["InvalidVolumeName"], Some("Delete"))],
            vec![mounted_rj("job-1", "InvalidVolumeName")],
        );
        assert_eq!(
            check(js),
            vec!["spec.volumeClaimPolicies[0].template[0].name: Invalid value: \"InvalidVolumeName\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid since template name is too
    /// long" (64 'a'; "<claim>-js" exceeds 63)
    #[test]
    fn volume_claim_policy_is_invalid_since_template_name_is_too_long() {
        let claim = "a".repeat(64);
        let js = vcp_js(
            vec![vcp(&[&claim], Some("Delete"))],
            vec![mounted_rj("job-1", &claim)],
        );
        assert_eq!(
            check(js),
            vec![format!("spec.volumeClaimPolicies[0].template[0].name: Invalid value: \"{claim}\": VolumeClaimPolicies template name is too long")]
        );
    }

    /// mirrors TestValidateCreate: "generateName that produces overlong PVC names is rejected"
    #[test]
    fn generate_name_that_produces_overlong_pvc_names_is_rejected() {
        let mut js = vcp_js(
            vec![vcp(&["datasets"], None)],
            vec![mounted_rj("worker", "datasets")],
        );
        js.metadata.name.clear();
        js.metadata.generate_name = Some(format!("{}-", "a".repeat(49)));
        let errs = check(js);
        assert!(
            errs.contains(&"spec.volumeClaimPolicies[0].template[0].name: Invalid value: \"datasets\": VolumeClaimPolicies template name is too long".to_string()),
            "{errs:#?}"
        );
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid since no matching volumeMount
    /// in containers"
    #[test]
    fn volume_claim_policy_is_invalid_since_no_matching_volume_mount_in_containers() {
        let js = vcp_js(
            vec![vcp(&["test-volume"], Some("Delete"))],
            vec![rj("job-1")],
        );
        let errs = check(js);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(
            errs[0].starts_with("spec.replicatedJobs: Invalid value: [{"),
            "{}",
            errs[0]
        );
        assert!(errs[0].ends_with(": replicatedJob containers don't have a matching volumeMount: test-volume from VolumeClaimPolicies"));
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid since volume name conflicts
    /// with existing volume"
    #[test]
    fn volume_claim_policy_is_invalid_since_volume_name_conflicts_with_existing_volume() {
        let mut r = mounted_rj("job-1", "conflicting-volume");
        r.template.spec.template.spec.volumes =
            Some(yaml("[{name: conflicting-volume, emptyDir: {}}]"));
        let js = vcp_js(vec![vcp(&["conflicting-volume"], Some("Delete"))], vec![r]);
        assert_eq!(
            check(js),
            vec!["spec.replicatedJobs[0].template.spec.template.spec.volumes[0].name: Invalid value: \"conflicting-volume\": volume name conflicts with VolumeClaimPolicy template name: conflicting-volume"]
        );
    }

    fn existing(spec: &str) -> ExistingPvc {
        ExistingPvc {
            name: "test-volume-js".into(),
            spec: Some(yaml(spec)),
            retain: true,
        }
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is valid when existing PVC matches
    /// template spec"
    #[test]
    fn volume_claim_policy_is_valid_when_existing_pvc_matches_template_spec() {
        let js = vcp_js(
            vec![vcp(&["test-volume"], Some("Retain"))],
            vec![mounted_rj("job-1", "test-volume")],
        );
        // Key order differs; the specs are still equal.
        let pvc = existing("{resources: {requests: {storage: 1Gi}}, accessModes: [ReadWriteMany]}");
        assert!(check_with(js, &[], &[pvc]).is_empty());
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy retention policy must be retain for
    /// existing PVC" and "volumeClaimPolicy with unset whenDeleted defaults to delete and is
    /// rejected for existing PVC"
    #[test]
    fn volume_claim_policy_retention_policy_must_be_retain_for_existing_pvc() {
        let want = "spec.volumeClaimPolicies[0].retentionPolicy.whenDeleted: Invalid value: \"Delete\": retentionPolicy must be retain when PVC exists";
        let explicit = vcp_js(
            vec![vcp(&["test-volume"], Some("Delete"))],
            vec![mounted_rj("job-1", "test-volume")],
        );
        assert_eq!(check_with(explicit, &[], &[existing(PVC_SPEC)]), vec![want]);
        let mut unset = vcp(&["test-volume"], None);
        unset.retention_policy = Some(RetentionPolicy { when_deleted: None });
        let js = vcp_js(vec![unset], vec![mounted_rj("job-1", "test-volume")]);
        assert_eq!(check_with(js, &[], &[existing(PVC_SPEC)]), vec![want]);
    }

    /// mirrors TestValidateCreate: "volumeClaimPolicy is invalid when existing PVC does not
    /// match template spec"
    #[test]
    fn volume_claim_policy_is_invalid_when_existing_pvc_does_not_match_template_spec() {
        let js = vcp_js(
            vec![vcp(&["test-volume"], Some("Retain"))],
            vec![mounted_rj("job-1", "test-volume")],
        );
        let pvc = existing("{accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}");
        assert_eq!(
            check_with(js, &[], &[pvc]),
            vec!["spec.volumeClaimPolicies[0].template[0].spec: Invalid value: {\"accessModes\":[\"ReadWriteMany\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}: spec does not match existing PVC test-volume-js in namespace default"]
        );
    }

    // ---------------------------------------------------------------------------------------
    // Webhook error order
    // ---------------------------------------------------------------------------------------

    /// Errors come in ValidateCreate's order: gate, first dependsOn, subdomain, managedBy,
    /// per-RJ checks, success targets, failure policy, coordinator.
    #[test]
    fn webhook_errors_follow_validate_create_order() {
        let mut js = jobset("js", vec![depends(rj("a"), &["a"])]);
        js.spec.failure_policy = Some(FailurePolicy {
            restart_strategy: Some("InPlaceRestart".into()),
            rules: vec![rule("1x", "FailJobSet")],
            ..Default::default()
        });
        js.spec.network = Some(Network {
            subdomain: Some("a".repeat(64)),
            ..Default::default()
        });
        js.spec.managed_by = Some("x".into());
        js.spec.success_policy = Some(SuccessPolicy {
            operator: "Any".into(),
            target_replicated_jobs: vec!["nope".into()],
        });
        js.spec.coordinator = Some(Coordinator {
            replicated_job: "nope".into(),
            ..Default::default()
        });
        let errs = check(js);
        let firsts: Vec<&str> = errs.iter().map(|e| &e[..e.len().min(40)]).collect();
        assert_eq!(errs.len(), 8, "{errs:#?}");
        assert!(
            errs[0].contains("InPlaceRestart restart strategy"),
            "{firsts:?}"
        );
        assert!(errs[1].contains("DependsOn can't be set"));
        assert!(errs[2].starts_with("spec.network.subdomain"));
        assert!(errs[3].starts_with("spec.managedBy"));
        assert!(errs[4].contains("invalid replicatedJob name 'nope' does not appear"));
        assert!(errs[5].contains("invalid failure policy rule name '1x'"));
        assert!(errs[6].contains("coordinator replicatedJob nope does not exist"));
        assert!(errs[7].contains("spec will lead to invalid label value"));
    }

    // ---------------------------------------------------------------------------------------
    // CRD constraints
    // ---------------------------------------------------------------------------------------

    /// mirrors CRD: `+kubebuilder:validation:Enum=All;Any` on SuccessPolicy.operator
    #[test]
    fn crd_success_policy_operator_enum() {
        let mut js = jobset("js", vec![rj("rj")]);
        js.spec.success_policy = Some(SuccessPolicy {
            operator: "Some".into(),
            target_replicated_jobs: vec![],
        });
        let errs = check(js);
        assert_eq!(errs[0], "spec.successPolicy.operator: Unsupported value: \"Some\": supported values: \"All\", \"Any\"");
    }

    /// mirrors CRD: `+kubebuilder:validation:Enum=AnyOrder;InOrder` on startupPolicyOrder
    #[test]
    fn crd_startup_policy_order_enum() {
        let mut js = jobset("js", vec![rj("rj")]);
        js.spec.startup_policy = Some(StartupPolicy {
            startup_policy_order: "Random".into(),
        });
        assert_eq!(
            check(js)[0],
            "spec.startupPolicy.startupPolicyOrder: Unsupported value: \"Random\": supported values: \"AnyOrder\", \"InOrder\""
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:Enum:=FailJobSet;RestartJobSet;...` on
    /// FailurePolicyRule.action
    #[test]
    fn crd_failure_policy_rule_action_enum() {
        let js = rule_js(vec![rule("r", "Explode")]);
        assert_eq!(
            check(js)[0],
            "spec.failurePolicy.rules[0].action: Unsupported value: \"Explode\": supported values: \"FailJobSet\", \"RestartJobSet\", \"RestartJobSetAndIgnoreMaxRestarts\", \"RestartJob\", \"RestartJobAndIgnoreMaxRestarts\""
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:Enum=Recreate;BlockingRecreate;InPlaceRestart` on
    /// JobSetRestartStrategy
    #[test]
    fn crd_restart_strategy_enum() {
        let mut js = jobset("js", vec![rj("rj")]);
        js.spec.failure_policy = Some(FailurePolicy {
            restart_strategy: Some("Reboot".into()),
            ..Default::default()
        });
        assert_eq!(
            check(js)[0],
            "spec.failurePolicy.restartStrategy: Unsupported value: \"Reboot\": supported values: \"Recreate\", \"BlockingRecreate\", \"InPlaceRestart\""
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:Enum=Ready;Complete` on DependsOn.status
    #[test]
    fn crd_depends_on_status_enum() {
        let mut second = depends(rj("b"), &["a"]);
        if let Some(deps) = second.depends_on.as_mut() {
            deps[0].status = "Started".into();
        }
        assert_eq!(
            check(jobset("js", vec![rj("a"), second]))[0],
            "spec.replicatedJobs[1].dependsOn[0].status: Unsupported value: \"Started\": supported values: \"Ready\", \"Complete\""
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:Enum=Delete;Retain` on RetentionPolicyType
    #[test]
    fn crd_when_deleted_enum() {
        let js = vcp_js(
            vec![vcp(&["v"], Some("Keep"))],
            vec![mounted_rj("job-1", "v")],
        );
        assert_eq!(
            check(js)[0],
            "spec.volumeClaimPolicies[0].retentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\""
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:Minimum=0` on ttlSecondsAfterFinished
    #[test]
    fn crd_ttl_seconds_after_finished_minimum() {
        let mut js = jobset("js", vec![rj("rj")]);
        js.spec.ttl_seconds_after_finished = Some(-1);
        assert_eq!(
            check(js),
            vec!["spec.ttlSecondsAfterFinished: Invalid value: -1: spec.ttlSecondsAfterFinished in body should be greater than or equal to 0"]
        );
        let mut zero = jobset("js", vec![rj("rj")]);
        zero.spec.ttl_seconds_after_finished = Some(0);
        assert!(check(zero).is_empty());
    }

    /// mirrors CRD: `+kubebuilder:validation:MaxItems=5` on ReplicatedJob.dependsOn
    #[test]
    fn crd_depends_on_max_items() {
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut rjs: Vec<ReplicatedJob> = names.iter().map(|n| rj(n)).collect();
        rjs.push(depends(rj("g"), &names));
        assert_eq!(
            check(jobset("js", rjs))[0],
            "spec.replicatedJobs[6].dependsOn: Too many: 6: must have at most 5 items"
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:MaxItems=50` on volumeClaimPolicies and on
    /// VolumeClaimPolicy.templates
    #[test]
    fn crd_volume_claim_policies_and_templates_max_items() {
        let many: Vec<VolumeClaimPolicy> = (0..51).map(|_| vcp(&["v"], Some("Delete"))).collect();
        let js = vcp_js(many, vec![mounted_rj("job-1", "v")]);
        assert_eq!(
            check(js)[0],
            "spec.volumeClaimPolicies: Too many: 51: must have at most 50 items"
        );
        let claims: Vec<String> = (0..51).map(|i| format!("v{i}")).collect();
        let refs: Vec<&str> = claims.iter().map(String::as_str).collect();
        let js = vcp_js(
            vec![vcp(&refs, Some("Delete"))],
            vec![mounted_rj("job-1", "v0")],
        );
        assert_eq!(
            check(js)[0],
            "spec.volumeClaimPolicies[0].templates: Too many: 51: must have at most 50 items"
        );
    }

    /// mirrors CRD: `+listType=map`, `+listMapKey=name` on replicatedJobs (the API server, not
    /// the webhook, rejects duplicate RJ names; §2.3)
    #[test]
    fn crd_replicated_job_names_are_map_keys() {
        assert_eq!(
            check(jobset("js", vec![rj("rj"), rj("rj")])),
            vec!["spec.replicatedJobs[1]: Duplicate value: {\"name\":\"rj\"}"]
        );
    }

    /// mirrors CRD: `+listType=map`, `+listMapKey=name` on ReplicatedJob.dependsOn
    #[test]
    fn crd_depends_on_names_are_map_keys() {
        let js = jobset("js", vec![rj("a"), depends(rj("b"), &["a", "a"])]);
        assert_eq!(
            check(js),
            vec!["spec.replicatedJobs[1].dependsOn[1]: Duplicate value: {\"name\":\"a\"}"]
        );
    }

    /// mirrors CRD: `+kubebuilder:validation:UniqueItems:true` on onJobFailureReasons and
    /// onJobFailureMessagePatterns (§2.3)
    #[test]
    fn crd_failure_reasons_and_patterns_are_unique() {
        let mut r = rule("r", "FailJobSet");
        r.on_job_failure_reasons = vec!["PodFailurePolicy".into(), "PodFailurePolicy".into()];
        r.on_job_failure_message_patterns = vec!["x.*".into(), "x.*".into()];
        assert_eq!(
            check(rule_js(vec![r])),
            vec![
                "spec.failurePolicy.rules[0].onJobFailureReasons[1]: Duplicate value: \"PodFailurePolicy\"",
                "spec.failurePolicy.rules[0].onJobFailureMessagePatterns[1]: Duplicate value: \"x.*\"",
            ]
        );
    }

    /// mirrors CRD: JobSetSpec `XValidation` "StartupPolicy and DependsOn APIs are mutually
    /// exclusive" (InOrder is rejected, AnyOrder is allowed)
    #[test]
    fn crd_startup_policy_in_order_and_depends_on_are_mutually_exclusive() {
        let mut js = jobset("js", vec![rj("a"), depends(rj("b"), &["a"])]);
        js.spec.startup_policy = Some(StartupPolicy {
            startup_policy_order: "InOrder".into(),
        });
        assert_eq!(
            check(js.clone()),
            vec!["spec: Invalid value: \"object\": StartupPolicy and DependsOn APIs are mutually exclusive"]
        );
        js.spec.startup_policy = Some(StartupPolicy {
            startup_policy_order: "AnyOrder".into(),
        });
        assert!(check(js).is_empty());
    }

    /// mirrors CRD: VolumeClaimPolicy `XValidation` "namespace cannot be set for
    /// VolumeClaimPolicies templates"
    #[test]
    fn crd_volume_claim_template_namespace_cannot_be_set() {
        let mut policy = vcp(&["v"], Some("Delete"));
        policy.templates[0].metadata.namespace = Some("other".into());
        let js = vcp_js(vec![policy], vec![mounted_rj("job-1", "v")]);
        assert_eq!(
            check(js),
            vec!["spec.volumeClaimPolicies[0]: Invalid value: \"object\": namespace cannot be set for VolumeClaimPolicies templates"]
        );
    }

    /// The API server skips CEL rules when the schema phase found an enum (or maxItems)
    /// violation, and says so.
    #[test]
    fn crd_enum_violation_skips_cel_rules() {
        let mut js = jobset("js", vec![rj("a"), depends(rj("b"), &["a"])]);
        js.spec.startup_policy = Some(StartupPolicy {
            startup_policy_order: "InOrder".into(),
        });
        js.spec.success_policy = Some(SuccessPolicy {
            operator: "Some".into(),
            target_replicated_jobs: vec![],
        });
        assert_eq!(
            check(js),
            vec![
                "spec.successPolicy.operator: Unsupported value: \"Some\": supported values: \"All\", \"Any\"",
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ]
        );
    }

    /// CRD errors stop the request before the validating webhook runs, as in the API server.
    #[test]
    fn crd_errors_stop_before_the_webhook() {
        let mut js = jobset("js", vec![depends(rj("a"), &["a"])]);
        js.spec.ttl_seconds_after_finished = Some(-5);
        let errs = check(js);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("spec.ttlSecondsAfterFinished"));
    }

    // ---------------------------------------------------------------------------------------
    // Upstream examples
    // ---------------------------------------------------------------------------------------

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).expect("examples directory is readable");
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }

    /// Every JobSet example shipped upstream is admitted after defaulting (RestartJob gate for
    /// the RestartJob examples, InPlaceRestart gate for the in-place examples).
    #[test]
    fn every_upstream_example_validates() {
        // The examples live outside the repository (README, "What needs what").
        let root = match std::env::var_os("JOBSET_SIM_UPSTREAM_EXAMPLES") {
            Some(dir) => std::path::PathBuf::from(dir),
            None => {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/jobset-upstream")
            }
        };
        if !root.is_dir() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "note: every_upstream_example_validates: SKIPPED, no upstream JobSet examples at {}; set JOBSET_SIM_UPSTREAM_EXAMPLES=DIR to run it",
                root.display()
            );
            return;
        }
        let mut files = Vec::new();
        yaml_files(&root, &mut files);
        files.sort();
        let mut checked = 0;
        for file in files {
            let rel = file
                .strip_prefix(&root)
                .expect("file under root")
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "in-place-restart/service-account.yaml"
                || rel == "tpu-multislice/kueue-config.yaml"
            {
                continue;
            }
            let mut on = Vec::new();
            if rel.starts_with("failure-policy/restartjob") {
                on.push("RestartJob");
            }
            if rel.starts_with("in-place-restart/") {
                on.push("InPlaceRestart");
            }
            let text = std::fs::read_to_string(&file).expect("example is readable");
            let loaded = load_jobsets_from_str(&rel, &text).expect("example loads");
            assert!(!loaded.is_empty(), "{rel}: no JobSet");
            for l in loaded {
                // Strict field checking accepts every upstream example unmodified.
                assert_eq!(l.undefined_fields, vec![], "{rel}");
                let js = defaulted(l.jobset);
                let errs = validate_create(&js, &gates(&on), &[]);
                assert!(errs.is_empty(), "{rel}: {errs:#?}");
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} example JobSets found");
    }
}
