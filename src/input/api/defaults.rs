//! JobSet defaulting as the mutating webhook (`Default` in pkg/webhooks/jobset_webhook.go) and the
//! CRD structural defaults apply it at create time (semantics §2.2), plus the Job API defaults
//! (§7.1) the API server applies when a child Job is created.

use super::types::*;

/// Applies the webhook defaults in upstream order, then the CRD structural defaults.
pub(crate) fn default_jobset(js: &mut JobSet) {
    let spec = &mut js.spec;
    // 1. successPolicy
    if spec.success_policy.is_none() {
        spec.success_policy = Some(SuccessPolicy {
            operator: "All".into(),
            target_replicated_jobs: vec![],
        });
    }
    // 2. startupPolicy
    if spec.startup_policy.is_none() {
        spec.startup_policy = Some(StartupPolicy {
            startup_policy_order: "AnyOrder".into(),
        });
    }
    // 3. per replicated job: completionMode and restartPolicy
    for rj in &mut spec.replicated_jobs {
        if rj.template.spec.completion_mode.is_none() {
            rj.template.spec.completion_mode = Some("Indexed".into());
        }
        let pod = &mut rj.template.spec.template.spec;
        if pod.restart_policy.as_deref().unwrap_or("").is_empty() {
            pod.restart_policy = Some("OnFailure".into());
        }
    }
    // 4. network
    let network = spec.network.get_or_insert_with(Network::default);
    if network.enable_dns_hostnames.is_none() {
        network.enable_dns_hostnames = Some(true);
    }
    if network.publish_not_ready_addresses.is_none() {
        network.publish_not_ready_addresses = Some(true);
    }
    // 5. failure-policy rule names
    if let Some(fp) = &mut spec.failure_policy {
        for (i, rule) in fp.rules.iter_mut().enumerate() {
            if rule.name.is_empty() {
                rule.name = format!("failurePolicyRule{i}");
            }
        }
    }
    // 6. volume claim retention
    for vcp in &mut spec.volume_claim_policies {
        if vcp.retention_policy.is_none() {
            vcp.retention_policy = Some(RetentionPolicy {
                when_deleted: Some("Delete".into()),
            });
        }
    }
    // CRD structural defaults (applied by the API server on every write).
    for rj in &mut spec.replicated_jobs {
        if rj.group_name.is_none() {
            rj.group_name = Some("default".into());
        }
        if rj.replicas.is_none() {
            rj.replicas = Some(1);
        }
    }
    if let Some(fp) = &mut spec.failure_policy {
        if fp.restart_strategy.is_none() {
            fp.restart_strategy = Some("Recreate".into());
        }
    }
    if js.metadata.namespace.is_none() {
        js.metadata.namespace = Some("default".into());
    }
}

/// The Job API defaults (§7.1): parallelism and completions, backoffLimit 6.
pub(crate) fn default_job_spec(spec: &mut JobSpec) {
    match (spec.parallelism, spec.completions) {
        (None, None) => {
            spec.parallelism = Some(1);
            spec.completions = Some(1);
        }
        (None, Some(_)) => spec.parallelism = Some(1),
        _ => {}
    }
    if spec.backoff_limit.is_none() {
        spec.backoff_limit = Some(if spec.backoff_limit_per_index.is_some() {
            i32::MAX
        } else {
            6
        });
    }
    if spec.completion_mode.is_none() {
        spec.completion_mode = Some("NonIndexed".into());
    }
    if spec.pod_replacement_policy.is_none() {
        // Kubernetes defaults to Failed when a podFailurePolicy is set, else TerminatingOrFailed.
        spec.pod_replacement_policy = Some(if spec.pod_failure_policy.is_some() {
            "Failed".into()
        } else {
            "TerminatingOrFailed".into()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mirrors TestJobSetDefaulting: unset completionMode, restartPolicy, network, successPolicy
    /// and startupPolicy get their upstream defaults; unnamed rules are named by index.
    #[test]
    fn jobset_defaulting_matches_upstream() {
        let mut js = JobSet {
            api_version: "jobset.x-k8s.io/v1alpha2".into(),
            kind: "JobSet".into(),
            metadata: ObjectMeta {
                name: "js".into(),
                ..Default::default()
            },
            spec: JobSetSpec {
                replicated_jobs: vec![ReplicatedJob {
                    name: "rj".into(),
                    ..Default::default()
                }],
                failure_policy: Some(FailurePolicy {
                    rules: vec![
                        FailurePolicyRule {
                            name: "named".into(),
                            action: "FailJobSet".into(),
                            ..Default::default()
                        },
                        FailurePolicyRule {
                            action: "RestartJobSet".into(),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }),
                ..Default::default()
            },
            status: None,
        };
        default_jobset(&mut js);
        let s = &js.spec;
        assert_eq!(s.success_policy.as_ref().unwrap().operator, "All");
        assert_eq!(
            s.startup_policy.as_ref().unwrap().startup_policy_order,
            "AnyOrder"
        );
        let rj = &s.replicated_jobs[0];
        assert_eq!(rj.template.spec.completion_mode.as_deref(), Some("Indexed"));
        assert_eq!(
            rj.template.spec.template.spec.restart_policy.as_deref(),
            Some("OnFailure")
        );
        assert_eq!(rj.replicas, Some(1));
        assert_eq!(rj.group_name.as_deref(), Some("default"));
        let net = s.network.as_ref().unwrap();
        assert_eq!(net.enable_dns_hostnames, Some(true));
        assert_eq!(net.publish_not_ready_addresses, Some(true));
        let fp = s.failure_policy.as_ref().unwrap();
        assert_eq!(fp.rules[0].name, "named");
        assert_eq!(fp.rules[1].name, "failurePolicyRule1");
        assert_eq!(fp.restart_strategy.as_deref(), Some("Recreate"));
    }

    #[test]
    fn job_api_defaults() {
        let mut spec = JobSpec::default();
        default_job_spec(&mut spec);
        assert_eq!((spec.parallelism, spec.completions), (Some(1), Some(1)));
        assert_eq!(spec.backoff_limit, Some(6));
        let mut spec = JobSpec {
            completions: Some(4),
            ..Default::default()
        };
        default_job_spec(&mut spec);
        assert_eq!((spec.parallelism, spec.completions), (Some(1), Some(4)));
    }
}
