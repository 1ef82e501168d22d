"""The tutorial and the research-question examples run, say what they found, and stay under 50 lines."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _run(code, tmp_path):
    env = {**os.environ, "SIMSGD_EXAMPLE_RUNS": "300", "SIMSGD_EXAMPLE_OUT": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=900)


def _code_lines(code):
    return [ln for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")]


@pytest.mark.parametrize("name,expect", [("adam_ball", r"ball ~ lr\^[\d.]+ B\^-[\d.]+"),
                                         ("nesterov_vs_momentum", r"Nesterov: best lr [\d.]+ on the grid"),
                                         ("rotated_bound", r"misaligned: final .* bound [\d.]+: holds"),
                                         ("own_rule", r"against the exact curve: max \|z\| [\d.]+")])
def test_research_questions(name, expect, tmp_path):
    code = (DOCS / "examples" / f"{name}.py").read_text()
    body = code.split('"""', 2)[2]  # the docstring states the question; the code is what counts
    assert len(_code_lines(body)) < 50
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(expect, out.stdout), out.stdout


def test_tutorial_runs(tmp_path):
    text = (DOCS / "tutorial.md").read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert len(_code_lines(code)) < 50
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"Nesterov: lr [\d.]+, median \d+ steps", out.stdout), out.stdout
    assert (tmp_path / "tutorial.png").exists() and (tmp_path / "nesterov.npz").exists()
