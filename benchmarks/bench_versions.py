"""Two versions of simsgd side by side on the quadratic workload: the working tree against a git revision.

Each round runs both versions, one after the other, in fresh processes (so each imports its
own package); each process compiles or loads its kernels first, then times ``--repeats``
calls of SGD on the quadratic (eigenvalues linspace(0.1, 1, dim), noise_std 1, x0 1,
float64, statistics at every step). Also reports each version's cold first call: the base is
checked out afresh and the working tree given an empty cache directory, so both start with no
compiled kernels.

    python benchmarks/bench_versions.py --base HEAD~1 [--runs 10000] [--dim 100] [--steps 1000] [--rounds 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys, time
import numpy as np
t0 = time.perf_counter()
import simsgd as ss
cold = sys.argv[5] == "cold"
runs, dim, steps, repeats = map(int, sys.argv[1:5])
opt = ss.SGD(lr=0.1)
t1 = time.perf_counter()
ss.simulate(ss.Quadratic(np.linspace(0.1, 1.0, 2)), opt, runs=2, steps=2, progress=False)
first = time.perf_counter() - t1
prob = ss.Quadratic(np.linspace(0.1, 1.0, dim), noise_std=1.0, x0=1.0)
times = []
for _ in range(0 if cold else repeats):
    t = time.perf_counter()
    r = ss.simulate(prob, opt, runs=runs, steps=steps, seed=0, progress=False)
    times.append(time.perf_counter() - t)
print(json.dumps({"file": ss.__file__, "first_call_s": first, "times": times}))
"""


def probe(path, args, cold, env):
    cmd = [sys.executable, "-c", PROBE, str(args.runs), str(args.dim), str(args.steps), str(args.repeats),
           "cold" if cold else "warm"]
    out = subprocess.run(cmd, cwd=tempfile.gettempdir(), env={**env, "PYTHONPATH": str(path)},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="git revision to compare with")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--steps", type=int, default=1_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            env = {**os.environ, "SIMSGD_CACHE_DIR": str(Path(tmp) / "cache")}
            versions = {f"base ({args.base})": base, "working tree": ROOT}
            cold = {name: probe(path, args, True, env)["first_call_s"] for name, path in versions.items()}
            times = {name: [] for name in versions}
            for _ in range(args.rounds):
                for name, path in versions.items():
                    times[name] += probe(path, args, False, env)["times"]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)
    work = args.runs * args.steps
    print(f"workload: {args.runs} runs x d={args.dim} x {args.steps} SGD steps, float64, statistics every step; "
          f"{args.rounds} interleaved rounds of {args.repeats}\n")
    print("| version | cold first call s | median s | min s | run-steps/s (median) |")
    print("|---|---:|---:|---:|---:|")
    for name in versions:
        t = times[name]
        print(f"| {name} | {cold[name]:.1f} | {statistics.median(t):.3f} | {min(t):.3f} | "
              f"{work / statistics.median(t):.3g} |")
    names = list(versions)
    ratio = statistics.median(times[names[0]]) / statistics.median(times[names[1]])
    print(f"\nworking tree / base speed: {ratio:.2f}x")


if __name__ == "__main__":
    main()
