//! The cluster's bookkeeping per pod bound and per pod gone (`Cluster::sync_pristine`) on
//! llama3-54d's cluster: 2,176 nodes of 8 GPUs, whole-node pods bound to every node and
//! released, then one read of the plain scan's free index (which catches up with the
//! writes). Throughput is in reservations and releases.
//! Run with `cargo bench --bench cluster`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use jobset_sim::cluster_bench::ClusterBench;

fn bind_and_release(c: &mut Criterion) {
    let mut g = c.benchmark_group("cluster");
    let nodes = 2_176;
    let rounds = 4;
    g.throughput(Throughput::Elements(2 * u64::from(nodes * rounds)));
    let mut bench = ClusterBench::new(nodes);
    g.bench_function("bind_and_release_2176_nodes", |b| {
        b.iter(|| bench.bind_and_release(black_box(rounds)))
    });
    g.finish();
}

criterion_group!(benches, bind_and_release);
criterion_main!(benches);
