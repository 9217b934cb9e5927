#!/usr/bin/env python3
"""Rebuilds fuzz/seeds/, the committed seed corpus of the three fuzz targets (docs/fuzzing.md).

Usage: scripts/fuzz-seeds.py [JOBSET_SIM]   (default target/release/jobset-sim; needs PyYAML)

- scenario/: every scenario under scenarios/ (not the sweep files, nor the Kueue object lists
  that scenarios read through `kueue.files`) and the swarm's first SWARM_CASES cases of seed 1
  (`jobset-sim swarm --seed 1 --case K --print-scenario`), which between them use every
  scenario field the generator knows.
- manifest/: every JobSet those scenarios hold (inline or through `manifest:`, which is how
  the files under scenarios/manifests/ come in: every one of them is named by a scenario), as
  YAML; each prefixed with the feature-gate byte the target reads first (all four gates on,
  so the seeds pass admission).
- admission/: the same JobSets as JSON, with the same first byte.

The output depends only on the repository and the binary, so rebuilding it after a change of
scenarios/ or of the swarm's generator gives the files to commit.
"""
import json
import os
import shutil
import subprocess
import sys

import yaml

SWARM_CASES = 24
ALL_GATES = b"\x0f"  # RestartJob, InPlaceRestart, ElasticJobSet, TLSOptions (src/fuzzing.rs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")


def is_scenario(text):
    """Whether a file is a scenario, as `jobset-sim validate` tells (src/cli/mod.rs
    `is_scenario`): one YAML document, a mapping with `workloads` and no `kind`. A Kueue object
    list (scenarios/kueue/kueue-objects*.yaml, several documents) is not: the loader reads it
    through its scenario's `kueue.files`, and on its own it fails to load, so as a scenario seed
    it would start the fuzzer at the loader's first error and fail tests/fuzz_corpus.rs."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return False
    return len(docs) == 1 and isinstance(docs[0], dict) and "workloads" in docs[0] and "kind" not in docs[0]


def scenario_files():
    base = os.path.join(ROOT, "scenarios")
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in ("sweeps", "manifests"))
        for name in sorted(filenames):
            if name.endswith(".yaml"):
                path = os.path.join(dirpath, name)
                seed_name = os.path.relpath(path, ROOT).replace(os.sep, "_")
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                if is_scenario(text):
                    yield seed_name, os.path.dirname(path), text


def swarm_cases(binary):
    for case in range(SWARM_CASES):
        text = subprocess.run(
            [binary, "swarm", "--seed", "1", "--case", str(case), "--print-scenario"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        yield f"swarm-1-{case}.yaml", ROOT, text


def jobsets_of(scenario_text, base_dir):
    """Every JobSet document a scenario holds, inline or in a manifest file it names."""
    doc = yaml.safe_load(scenario_text) or {}
    for workload in doc.get("workloads") or []:
        if "jobset" in workload:
            yield workload["jobset"]
        elif "manifest" in workload:
            with open(os.path.join(base_dir, workload["manifest"]), encoding="utf-8") as f:
                for js in yaml.safe_load_all(f):
                    if js:
                        yield js


def write(target, name, data):
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "jobset-sim")
    shutil.rmtree(OUT, ignore_errors=True)
    for target in ("scenario", "manifest", "admission"):
        os.makedirs(os.path.join(OUT, target))
    seen = set()
    for name, base_dir, text in list(scenario_files()) + list(swarm_cases(binary)):
        write("scenario", name, text.encode())
        stem = name[: -len(".yaml")]
        for i, js in enumerate(jobsets_of(text, base_dir)):
            as_json = json.dumps(js, sort_keys=True, separators=(",", ":"))
            if as_json in seen:  # the same manifest reached from two scenarios
                continue
            seen.add(as_json)
            write("manifest", f"{stem}-{i}.yaml", ALL_GATES + yaml.safe_dump(js, sort_keys=False).encode())
            write("admission", f"{stem}-{i}.json", ALL_GATES + as_json.encode())
    counts = {t: len(os.listdir(os.path.join(OUT, t))) for t in ("scenario", "manifest", "admission")}
    print(f"fuzz/seeds: {counts}")


if __name__ == "__main__":
    main()
