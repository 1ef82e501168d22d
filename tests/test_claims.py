"""Claim statuses: what a study may assert, and the README's table made from results/index.json."""
import json
from pathlib import Path

import pytest

from simsgd.workflow.claims import Claim, table

ROOT = Path(__file__).resolve().parent.parent


def test_a_claim_needs_a_known_status_and_conditions_that_can_fail():
    with pytest.raises(ValueError, match="status must be one of"):
        Claim("proven", "x", {"a": True})
    with pytest.raises(ValueError, match="at least one condition"):
        Claim("supported", "x", {})
    assert Claim("reported", "measured only").holds
    assert not Claim("refuted", "x", {"a": True, "b": False}).holds


def test_table_marks_failed_conditions_and_escapes_pipes():
    index = [{"name": "s", "claim_status": {
        "C10": {"status": "supported", "holds": True, "evidence": "max |z| 1.0", "checks": {}},
        "C9": {"status": "refuted", "holds": False, "evidence": "e", "checks": {}}}}]
    lines = table(index).splitlines()
    assert lines[2].startswith("| C9 | **refuted: condition failed** |")
    assert "max \\|z\\| 1.0" in lines[3]


def test_readme_shows_the_committed_claim_statuses():
    index = json.loads((ROOT / "results" / "index.json").read_text())
    assert all(c["holds"] for e in index for c in e["claim_status"].values())
    assert table(index) in (ROOT / "README.md").read_text()
