"""The ``simsgd`` command line."""
import json
import subprocess
import sys

import pytest


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "simsgd.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_list():
    out = _cli("list")
    assert out.returncode == 0
    assert "noise_ball" in out.stdout and "C13" in out.stdout and "C16" in out.stdout


def test_info():
    out = _cli("info")
    assert out.returncode == 0
    info = json.loads(out.stdout)
    assert info["targets"] == ["cpu", "cuda"] and info["numba"] and info["cpu_count"] >= 1
    assert "available" in info["cuda"]


def test_run_and_replot(tmp_path):
    out = _cli("run", "minibatch_ball", "--runs", "300", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "PASS" in out.stdout
    assert (tmp_path / "minibatch_ball" / "data.npz").exists()
    again = _cli("run", "minibatch_ball", "--replot", "--out", str(tmp_path))
    assert again.returncode == 0 and "PASS" in again.stdout

    # reproduce --check simulates nothing: it lists what is missing or was made by other code
    check = _cli("reproduce", "--check", "--quick", "--out", str(tmp_path))
    assert check.returncode == 1 and "noise_ball               no results" in check.stdout
    assert "minibatch_ball           made by other code" not in check.stdout
    meta_path = tmp_path / "minibatch_ball" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "code_hash": "0" * 64}))
    assert "minibatch_ball           made by other code" in _cli("reproduce", "--check", "--quick", "--out",
                                                                str(tmp_path)).stdout


def test_runs_never_clobber_other_results(tmp_path):
    # no --out: ./results of the working directory
    short = ("--set", "steps=60")  # the checks come before any simulation; keep what does simulate short
    out = _cli("run", "minibatch_ball", "--runs", "300", *short, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    meta_path = tmp_path / "results" / "minibatch_ball" / "meta.json"
    meta = json.loads(meta_path.read_text())
    assert meta["params"]["runs"] == 300 and meta["params"]["steps"] == 60
    again = _cli("run", "minibatch_ball", "--runs", "300", *short, cwd=tmp_path)  # the same parameters: replaced
    assert again.returncode == 0, again.stderr
    other = _cli("run", "minibatch_ball", "--runs", "320", *short, cwd=tmp_path)
    assert other.returncode == 2 and "runs 300 -> 320" in other.stderr and "--force" in other.stderr
    # results of a larger scale stand against a quick run
    meta_path.write_text(json.dumps({**meta, "scale": "full", "params": {**meta["params"], "runs": 100_000}}))
    quick = _cli("run", "minibatch_ball", cwd=tmp_path)
    assert quick.returncode == 2 and "holds full-scale results" in quick.stderr
    assert json.loads(meta_path.read_text())["scale"] == "full"
    forced = _cli("run", "minibatch_ball", "--runs", "300", *short, "--force", cwd=tmp_path)
    assert forced.returncode == 0 and json.loads(meta_path.read_text())["scale"] == "quick"


def test_study_help_and_overrides(tmp_path):
    out = _cli("run", "noise_ball", "--help")
    assert out.returncode == 0 and "noise ball" in out.stdout and "C13" in out.stdout
    assert "edge_factor" in out.stdout and "full=100000" in out.stdout
    bad = _cli("run", "noise_ball", "--set", "dimm=3")
    assert bad.returncode == 2 and "did you mean 'dim'?" in bad.stderr and "Traceback" not in bad.stderr
    typed = _cli("run", "noise_ball", "--set", "dim=3.5")
    assert typed.returncode == 2 and "must be int" in typed.stderr
    ok = _cli("run", "minibatch_ball", "--runs", "300", "--set", "lr=0.05", "--set", "steps=60", "--out", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert json.loads((tmp_path / "minibatch_ball" / "meta.json").read_text())["params"]["lr"] == 0.05


@pytest.mark.parametrize("args,msg", [(("run", "nope"), "name must be one of"),
                                      (("run", "noiseball"), "did you mean 'noise_ball'?"),
                                      (("run", "noise_ball", "--target", "tpu"), "target must be one of"),
                                      (("run", "noise_ball", "--runs", "0"), "runs must be an integer >= 2")])
def test_bad_arguments(args, msg):
    out = _cli(*args)
    assert out.returncode == 2 and msg in out.stderr
