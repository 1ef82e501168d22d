"""A fast subset of the mutation test: planted bugs make the study that should catch them fail."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# one pair keeps the suite short: each mutant recompiles every kernel its study needs; the full table is
# results/mutants*.json, made by scripts/mutation_test.py
@pytest.mark.parametrize("mutant,study", [("minibatch_scaling", "minibatch_ball")])
def test_planted_bug_is_caught(mutant, study, tmp_path):
    args = [sys.executable, str(ROOT / "scripts" / "mutation_test.py"), "--only", mutant, "--json",
            str(tmp_path / "m.json"), "--studies", study, "--no-goldens"]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "1 of 1 mutants caught" in out.stdout
    row = json.loads((tmp_path / "m.json").read_text())["mutants"][0]
    assert row["studies_failed"] == [study] and row["conditions_failed"][study]
