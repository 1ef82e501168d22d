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


@pytest.mark.parametrize("args,msg", [(("run", "nope"), "name must be one of"),
                                      (("run", "noise_ball", "--target", "tpu"), "target must be one of"),
                                      (("run", "noise_ball", "--runs", "0"), "runs must be an integer >= 2")])
def test_bad_arguments(args, msg):
    out = _cli(*args)
    assert out.returncode == 2 and msg in out.stderr
