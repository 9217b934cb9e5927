//! Label, annotation and taint keys of JobSet and Kubernetes, spelled exactly as upstream.

pub(crate) const JOBSET_API_VERSION: &str = "jobset.x-k8s.io/v1alpha2";
pub(crate) const JOBSET_KIND: &str = "JobSet";

pub(crate) const JOBSET_NAME: &str = "jobset.sigs.k8s.io/jobset-name";
pub(crate) const JOBSET_UID: &str = "jobset.sigs.k8s.io/jobset-uid";
pub(crate) const REPLICATED_JOB_NAME: &str = "jobset.sigs.k8s.io/replicatedjob-name";
pub(crate) const REPLICATED_JOB_REPLICAS: &str = "jobset.sigs.k8s.io/replicatedjob-replicas";
pub(crate) const GLOBAL_REPLICAS: &str = "jobset.sigs.k8s.io/global-replicas";
pub(crate) const JOB_INDEX: &str = "jobset.sigs.k8s.io/job-index";
pub(crate) const JOB_GLOBAL_INDEX: &str = "jobset.sigs.k8s.io/job-global-index";
pub(crate) const JOB_KEY: &str = "jobset.sigs.k8s.io/job-key";
pub(crate) const GROUP_NAME: &str = "jobset.sigs.k8s.io/group-name";
pub(crate) const GROUP_REPLICAS: &str = "jobset.sigs.k8s.io/group-replicas";
pub(crate) const JOB_GROUP_INDEX: &str = "jobset.sigs.k8s.io/job-group-index";
pub(crate) const RESTART_ATTEMPT: &str = "jobset.sigs.k8s.io/restart-attempt";
pub(crate) const JOB_RESTART_ATTEMPT: &str = "jobset.sigs.k8s.io/job-restart-attempt";
pub(crate) const COORDINATOR: &str = "jobset.sigs.k8s.io/coordinator";
pub(crate) const PRIORITY: &str = "jobset.sigs.k8s.io/priority";

pub(crate) const EXCLUSIVE_TOPOLOGY: &str = "alpha.jobset.sigs.k8s.io/exclusive-topology";
pub(crate) const NODE_SELECTOR_STRATEGY: &str = "alpha.jobset.sigs.k8s.io/node-selector";
pub(crate) const NAMESPACED_JOB: &str = "alpha.jobset.sigs.k8s.io/namespaced-job";
pub(crate) const NO_SCHEDULE_TAINT: &str = "alpha.jobset.sigs.k8s.io/no-schedule";

pub(crate) const JOB_COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

pub(crate) const NODE_POOL_LABEL: &str = "cloud.google.com/gke-nodepool";
pub(crate) const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
/// The label every namespace carries with its own name (the NamespaceDefaultLabelName feature).
pub(crate) const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub(crate) const JOBSET_CONTROLLER_NAME: &str = "jobset.sigs.k8s.io/jobset-controller";
