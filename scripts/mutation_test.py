"""Plant known bugs in a copy of simsgd, one at a time, and see which study verdicts and tests catch each.

For every mutant: copy the package, replace one snippet (it must occur exactly once), then in
fresh processes (their own kernel cache) run every study at quick scale and the framework
goldens against the copy. A mutant is caught when at least one study verdict fails (a study that
crashes does not count); the goldens that no longer match are listed beside. Writes
``results/mutants.json`` (with the failed conditions of each study) and prints a table.

    python scripts/mutation_test.py --jobs 2             # every mutant, every study (a few minutes each)
    python scripts/mutation_test.py --only minibatch_scaling --studies minibatch_ball
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, file under simsgd/, the original snippet, the bug, what it gets wrong)
MUTANTS = [
    ("group_error_sqrt", "sweeps/quantities.py", "np.std(per_group, ddof=1) / np.sqrt(per_group.size)",
     "np.std(per_group, ddof=1)", "a sweep's time-average error without the 1/sqrt(groups)"),
    ("crossing_interpolation", "sweeps/quantities.py", "(c0 - target) / (c0 - c1)", "(c1 - target) / (c0 - c1)",
     "a sweep's hitting time interpolated from the wrong end"),
    ("sweep_window", "sweeps/quantities.py", "w = steps >= q.from_step", "w = steps >= q.from_step // 2",
     "a sweep's time average over the wrong window"),
    ("step_length", "optimizers/sgd.py", "theta[i] -= lr * g[i]", "theta[i] -= 1.05 * lr * g[i]",
     "SGD steps 5% too far"),
    ("minibatch_scaling", "problems/quadratic.py", "noise_scale=self.noise_std / math.sqrt(batch_size)",
     "noise_scale=self.noise_std / batch_size", "minibatch noise std divided by B, not sqrt(B)"),
    ("averaged_draws", "problems/quadratic.py", "inv = 1.0 / math.sqrt(draws)", "inv = 1.0 / draws",
     "averaged minibatch draws scaled by 1/B, not 1/sqrt(B)"),
    ("rotation_transpose", "problems/quadratic.py", "y[j] += q[i * d + j] * e", "y[j] += q[j * d + i] * e",
     "Q applied where Q^T is meant"),
    ("rng_layer", "device/rng.py", "out[k + uint64(1)] = v * X[j]\n", "out[k + uint64(1)] = v * X[i]\n",
     "second draw of each pair scaled by the first draw's ziggurat layer"),
    ("momentum_bias_correction", "optimizers/momentum.py", "lr / (1.0 - b1**t)", "lr / (1.0 - b1 ** (t + 1))",
     "momentum's correction one step late"),
    ("ewma_as_heavy_ball", "optimizers/momentum.py", "m[i] = b1 * m[i] + (1.0 - b1) * g[i]",
     "m[i] = b1 * m[i] + g[i]", "the lecture's average replaced by a plain sum (heavy ball)"),
    ("lookahead_point", "optimizers/nesterov.py", "c = h[H.lr] * h[H.b1]", "c = h[H.lr]",
     "Nesterov's look-ahead without the factor b1"),
    ("heavy_ball_dampening", "optimizers/heavy_ball.py", "sc[S.first_coefficient] = 1.0 - h[H.dampening]",
     "sc[S.first_coefficient] = 1.0", "dampening ignored"),
    ("adagrad_accumulation", "optimizers/adagrad.py", "s[i] += g[i] * g[i]", "s[i] += abs(g[i])",
     "Adagrad accumulates |g|, not g^2"),
    ("rmsprop_swapped_weights", "optimizers/rmsprop.py", "v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i]",
     "v[i] = (1.0 - rho) * v[i] + rho * g[i] * g[i]", "RMSProp's decay weights swapped"),
    ("adadelta_eps", "optimizers/adadelta.py", "math.sqrt(acc[i] + eps) / math.sqrt(s[i] + eps)",
     "(math.sqrt(acc[i]) + eps) / math.sqrt(s[i] + eps)", "Adadelta's numerator eps outside the root"),
    ("adam_second_moment_correction", "optimizers/adam.py", "bc2 = 1.0 - b2**t if o[O.bias_correction] != 0 else 1.0",
     "bc2 = 1.0", "Adam without the second moment's bias correction"),
    ("adam_eps_placement", "optimizers/adam.py", "theta[i] -= lr * (m[i] / bc1) / math.sqrt(raw / bc2 + eps)",
     "theta[i] -= lr * (m[i] / bc1) / (math.sqrt(raw / bc2) + eps)",
     "Adam's epsilon outside the root where the lecture puts it inside"),
    ("amsgrad_max", "optimizers/adam.py", "vmax[i] = max(vmax[i], v[i])", "vmax[i] = v[i]",
     "AMSGrad without the running maximum"),
    ("adamax_norm", "optimizers/adamax.py", "u[i] = max(b2 * u[i], abs(g[i]))",
     "u[i] = b2 * u[i] + (1.0 - b2) * abs(g[i])", "Adamax's infinity norm replaced by an average"),
    ("nadam_schedule", "optimizers/nadam.py", "mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))",
     "mu_next = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))", "Nadam's next momentum taken at t, not t + 1"),
    ("no_projection", "problems/online.py", "x[0] = min(max(x[0], -box), box)", "x[0] = x[0]",
     "the online problem's projection onto the box dropped"),
    ("epoch_key_reuse", "problems/finite_data.py", "store_key(rs, _KEY, next_u64(rng, 0))",
     "store_key(rs, _KEY, load_key(rs, _KEY))", "every run and epoch walks the same permutation (key 0)"),
    ("last_row_never_drawn", "problems/finite_data.py", "return min(int(next_double(rng, 0) * n), n - 1)",
     "return min(int(next_double(rng, 0) * (n - 1)), n - 1)", "sampling with replacement never draws the last row"),
    ("drop_last_ignored", "problems/finite_data.py",
     "if pos >= n or (idata[at + _DROP_LAST] != 0 and pos + B > n):", "if pos >= n:",
     "epochs keep a short last batch even with drop_last"),
    ("sigmoid_negative_branch", "problems/logistic_regression.py", "return e / (1.0 + e)", "return 1.0 / (1.0 + e)",
     "logistic regression's sigmoid wrong for negative margins"),
    ("data_parallel_block_end", "targets/data_parallel.py", "b * B // blocks, (b + 1) * B // blocks, t * B)",
     "b * B // blocks, (b + 1) * B // blocks - 1, t * B)",
     "the data-parallel step drops the last row of every thread's block"),
    ("tanh_derivative", "problems/mlp.py", "d[j] = 1.0 - a * a", "d[j] = 1.0 - a",
     "tanh's derivative taken as 1 - tanh, not 1 - tanh^2"),
    ("backprop_activation_derivative", "problems/mlp.py", "prev[i] *= der[i]", "prev[i] *= 1.0",
     "backpropagation skips the hidden layers' sigma'"),
    ("forward_bias", "problems/mlp.py", "s = x[par + a * b + j]", "s = 0.0 * x[par + a * b + j]",
     "the forward pass drops every bias"),
    ("neuron_slope", "problems/sigmoid_neuron.py", "r = 2.0 * (s - y[k]) * s * (1.0 - s)",
     "r = 2.0 * (s - y[k]) * s * (1.0 - s) * (1.0 + 0.2 * s)", "the neuron's gradient 20% too large where it saturates"),
    ("runs_share_a_stream", "montecarlo/runs.py", "seed_stream(key, r, rng)", "seed_stream(key, c, rng)",
     "every run of a chunk draws the chunk's stream (Monte Carlo runs not independent)"),
    ("ball_depth_order", "montecarlo/geometry.py", "            if s > 1.0:\n                break\n            depth += 1\n",
     "            depth += 1\n            if s > 1.0:\n                break\n",
     "a point counted one dimension deeper than it stays inside the ball"),
    ("pair_count", "montecarlo/geometry.py", "pairs = 0.5 * n * (n - 1)", "pairs = 0.5 * n * n",
     "pairwise means divided by n^2/2 pairs, not n(n - 1)/2"),
    ("overlapping_points", "montecarlo/geometry.py",
     "            pa = scratch[a * d:(a + 1) * d]\n            for b in range(a + 1, n):\n                pb = scratch[b * d:(b + 1) * d]\n",
     "            pa = scratch[a:a + d]\n            for b in range(a + 1, n):\n                pb = scratch[b:b + d]\n",
     "points overlap in memory, so their coordinates are shared (correlated)"),
    ("min_distance_squared", "montecarlo/geometry.py", "min_dist[r, j] = math.sqrt(lo)", "min_dist[r, j] = lo",
     "the smallest distance reported squared"),
    ("no_torus_wrap", "montecarlo/neighbours.py", "g = min(g, 1.0 - g)", "g = min(g, 2.0 - g)",
     "nearest neighbours found without the torus' wrap-around"),
    ("training_count_off_by_one", "montecarlo/neighbours.py", "for i in range(1, ns[ns.size - 1] + 1):",
     "for i in range(ns[ns.size - 1] + 1):", "one training point more than n at every recorded n"),
    ("l1_distance", "montecarlo/neighbours.py", "dist[j] += g * g", "dist[j] += g",
     "neighbours ranked by the L1 distance, not the Euclidean one"),
    ("welford_m2", "montecarlo/polynomial.py", "m2[r, k, i] += delta * (pred - mean[r, k, i])",
     "m2[r, k, i] += delta * delta", "the fits' running sum of squares updated with the old mean only"),
    ("backsub_range", "montecarlo/polynomial.py", "for l in range(i + 1, k + 1):", "for l in range(i + 1, k):",
     "back substitution skips the highest coefficient's column"),
    ("test_labels_noiseless", "montecarlo/polynomial.py", "y_test[i] = f_test[i] + sigma * normal(rng, 0, zig)",
     "y_test[i] = f_test[i] + 0.0 * normal(rng, 0, zig)", "test labels drawn without their noise"),
    ("uniform_inputs", "montecarlo/polynomial.py", "x = math.cos(math.pi * next_double(rng, 0))",
     "x = 2.0 * next_double(rng, 0) - 1.0", "training inputs uniform, not from the arcsine law the study states"),
    ("clenshaw_factor", "montecarlo/polynomial.py", "return coef[0] + x * b1 - b2", "return coef[0] + 2.0 * x * b1 - b2",
     "the target's Chebyshev series summed with the wrong last Clenshaw step"),
    ("min_norm_noise_scale", "montecarlo/least_norm.py", "variance[r, q] = sigma * sigma * s",
     "variance[r, q] = sigma * s", "min-norm variance part scaled by sigma, not sigma^2"),
    ("gram_last_column", "montecarlo/least_norm.py", "for j in range(p):\n                s += A[i, j] * A[m, j]",
     "for j in range(p - 1):\n                s += A[i, j] * A[m, j]", "the Gram matrix leaves out the last feature"),
    ("relu_dropped", "montecarlo/least_norm.py", "z[j] = s if s > 0.0 else 0.0", "z[j] = s",
     "random features' test inputs without the ReLU"),
    ("teacher_noise_scale", "montecarlo/least_norm.py", "y[i] = X[i, 0] + sigma * normal(rng, 0, zig)",
     "y[i] = X[i, 0] + normal(rng, 0, zig)", "random-features labels with unit noise whatever sigma"),
]


def mutate(tmp, file, old, new):
    pkg = Path(tmp) / "pkg" / "simsgd"
    shutil.copytree(ROOT / "simsgd", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    path = pkg / file
    src = path.read_text()
    if src.count(old) != 1:
        raise SystemExit(f"{file}: the snippet {old!r} occurs {src.count(old)} times, not once")
    path.write_text(src.replace(old, new))
    return pkg.parent


def run_mutant(name, file, old, new, studies, goldens):
    with tempfile.TemporaryDirectory() as tmp:
        pkg = mutate(tmp, file, old, new)
        env = {**os.environ, "PYTHONPATH": str(pkg), "SIMSGD_CACHE_DIR": str(Path(tmp) / "cache"),
               "PYTHONWARNINGS": "ignore"}
        check = subprocess.run([sys.executable, "-c", "import simsgd; print(simsgd.__file__)"], cwd=tmp, env=env,
                               capture_output=True, text=True)
        if not check.stdout.startswith(str(pkg)):
            raise SystemExit(f"the mutant is not the package that runs: {check.stdout or check.stderr}")
        failed, errors, conditions = [], {}, {}
        for study in studies:
            # run from the temporary folder: from the repository, `python -m` would import its unmutated package
            out = subprocess.run([sys.executable, "-m", "simsgd.cli", "run", study, "--out", str(Path(tmp) / "res")],
                                 cwd=tmp, env=env, capture_output=True, text=True)
            if out.returncode != 0:
                failed.append(study if "FAIL" in out.stdout else f"{study} (error)")
                if "FAIL" not in out.stdout:
                    errors[study] = (out.stderr.strip().splitlines() or ["?"])[-1][-300:]
                else:
                    meta = json.loads((Path(tmp) / "res" / study / "meta.json").read_text())
                    conditions[study] = [f"{c}.{k}" for c, s in meta["claim_status"].items()
                                         for k, v in s["checks"].items() if not v]
        golden_failures = 0
        if goldens:
            out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                                  str(ROOT / "tests" / "test_optimizers.py") + "::test_reproduces_the_framework"],
                                 cwd=tmp, env=env, capture_output=True, text=True)
            golden_failures = sum(line.startswith("FAILED") for line in out.stdout.splitlines())
            if out.returncode not in (0, 1):
                golden_failures = -1
    return {"mutant": name, "file": file, "studies_failed": failed, "conditions_failed": conditions,
            "errors": errors, "golden_failures": golden_failures, "caught": bool(conditions)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", help="mutant names (default: all)")
    ap.add_argument("--studies", nargs="*", help="study names (default: all; none: the goldens alone)")
    ap.add_argument("--no-goldens", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="mutants tried at once")
    ap.add_argument("--json", default=str(ROOT / "results" / "mutants.json"))
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from simsgd.workflow import studies as st

    names = st.names() if a.studies is None else a.studies
    chosen = [m for m in MUTANTS if not a.only or m[0] in a.only]
    if a.only and len(chosen) != len(a.only):
        raise SystemExit(f"unknown mutant in {a.only}; known: {[m[0] for m in MUTANTS]}")
    def one(mutant):
        name, file, old, new, what = mutant
        t0 = time.perf_counter()
        row = run_mutant(name, file, old, new, names, not a.no_goldens)
        row.update(bug=what, seconds=round(time.perf_counter() - t0, 1))
        print(json.dumps(row), flush=True)
        return row

    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        rows = list(pool.map(one, chosen))
    if a.json:
        Path(a.json).write_text(json.dumps({"studies": names, "goldens": not a.no_goldens, "mutants": rows},
                                           indent=2) + "\n")
    print("\n| mutant | bug | study verdicts that fail | framework goldens that fail |")
    print("|---|---|---|---:|")
    for r in rows:
        bug = r["bug"].replace("|", "\\|")
        print(f"| `{r['mutant']}` | {bug} | {', '.join(r['studies_failed']) or '**none**'} | "
              f"{r['golden_failures']} |")
    caught = sum(r["caught"] for r in rows)
    print(f"\n{caught} of {len(rows)} mutants caught")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
