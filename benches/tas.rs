//! Kueue Topology-Aware Scheduling placement (`TasSnapshot::find`, kueue-semantics §9.3) on a
//! 15,104-host topology of 8 blocks × 118 racks × 16 hosts (4 chips each; one rack in 3 has
//! 1 to 5 busy hosts):
//! one find per iteration, the topology built outside the measurement.
//! Run with `cargo bench --bench tas`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use jobset_sim::tas_bench::TasBench;

const REQUIRED: &str = "kueue.x-k8s.io/podset-required-topology";
const PREFERRED: &str = "kueue.x-k8s.io/podset-preferred-topology";
const UNCONSTRAINED: &str = "kueue.x-k8s.io/podset-unconstrained-topology";
const SLICE_LEVEL: &str = "kueue.x-k8s.io/podset-slice-required-topology";
const SLICE_SIZE: &str = "kueue.x-k8s.io/podset-slice-size";
const CONSTRAINTS: &str = "kueue.x-k8s.io/podset-slice-required-topology-constraints";
const GROUP: &str = "kueue.x-k8s.io/podset-group-name";
const BLOCK: &str = "cloud.google.com/gce-topology-block";
const RACK: &str = "cloud.google.com/gce-topology-subblock";

fn find(c: &mut Criterion) {
    let mut g = c.benchmark_group("tas_find_15k");
    let bench = TasBench::new(8, 118, 16, 3);
    let cases = [
        // One 16-pod Job in one rack: the tight fit among the whole racks.
        (
            "rack_required_16",
            TasBench::request(&[(REQUIRED, RACK)], 16),
        ),
        // A 1,024-pod training in one block, each 16-pod Job in one rack.
        (
            "block_required_1024_slices_16",
            TasBench::request(
                &[(REQUIRED, BLOCK), (SLICE_LEVEL, RACK), (SLICE_SIZE, "16")],
                1024,
            ),
        ),
        // 4,096 pods: more than a block holds, spread over blocks, 16-pod slices in racks.
        (
            "block_preferred_4096_slices_16",
            TasBench::request(
                &[(PREFERRED, BLOCK), (SLICE_LEVEL, RACK), (SLICE_SIZE, "16")],
                4096,
            ),
        ),
        // 2,000 single pods anywhere: the smallest gaps first over all hosts.
        (
            "unconstrained_2000",
            TasBench::request(&[(UNCONSTRAINED, "true")], 2000),
        ),
        // Does not fit: a block holds at most 1,888 pods.
        (
            "block_required_2000_no_fit",
            TasBench::request(&[(REQUIRED, BLOCK)], 2000),
        ),
    ];
    for (name, req) in &cases {
        g.bench_function(*name, |b| b.iter(|| bench.find(black_box(req))));
    }
    // Multi-layer slices (the general form of the find): 1,024 pods in two 512-pod slices of
    // a block each, every 16-pod slice in one rack.
    let layers = TasBench::request(
        &[(
            CONSTRAINTS,
            r#"[{"topology":"cloud.google.com/gce-topology-block","size":512},{"topology":"cloud.google.com/gce-topology-subblock","size":16}]"#,
        )],
        1024,
    );
    g.bench_function("multi_layer_1024_blocks_512_racks_16", |b| {
        b.iter(|| bench.find(black_box(&layers)))
    });
    // A PodSet group: a leader pod and 1,024 workers in one block.
    let group = TasBench::request(&[(REQUIRED, BLOCK), (GROUP, "lws")], 1024);
    g.bench_function("group_block_required_1024_and_leader", |b| {
        b.iter(|| bench.find_group(black_box(&group)))
    });
    g.finish();
}

criterion_group!(benches, find);
criterion_main!(benches);
