"""Every study runs end to end at a small scale, judges itself, writes its outputs, and replots from them."""
import json

import numpy as np
import pytest

from simsgd.workflow import studies
from simsgd.workflow.claims import STATUSES

NAMES = studies.names()


def test_the_engine_studies_exist():
    assert {"noise_ball", "lr_tradeoff", "minibatch_ball"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_study_end_to_end(name, tmp_path):
    mod = studies.load(name)
    assert mod.CLAIMS and all(c.startswith("C") for c in mod.CLAIMS)
    assert all(c in mod.__doc__ for c in mod.CLAIMS)
    runs = min(400, mod.SCALES["quick"]["runs"])  # the quick scale, at most 400 runs
    entry = studies.run(name, runs=None if runs < 400 else 400, out=tmp_path / "results", progress=False)
    folder = tmp_path / "results" / name
    meta = json.loads((folder / "meta.json").read_text())
    for key in ("params", "seed", "target", "versions", "commit", "wall_time_s", "verdict", "numbers"):
        assert key in meta
    assert meta["params"]["runs"] == runs
    failed = {c: [k for k, v in s["checks"].items() if not v] for c, s in entry["claim_status"].items()}
    assert entry["verdict"] == "pass", failed
    assert set(entry["claim_status"]) == set(mod.CLAIMS)
    assert {s["status"] for s in entry["claim_status"].values()} <= set(STATUSES)
    assert meta["claim_status"] == entry["claim_status"]
    png = folder / f"{name}.png"
    assert png.stat().st_size > 10_000
    index = json.loads((tmp_path / "results" / "index.json").read_text())
    assert [e["name"] for e in index] == [name]
    assert set(index[0]) >= {"name", "claims", "verdict", "numbers", "figure"}
    assert not (tmp_path / ".simsgd-cache" / name).exists() or not any((tmp_path / ".simsgd-cache" / name).iterdir())

    # replotting reads the saved data only
    mod_simulate = mod.simulate
    png.unlink()
    again = studies.run(name, out=tmp_path / "results", replot=True)
    assert png.exists() and again["numbers"] == entry["numbers"]
    assert mod.simulate is mod_simulate


def test_sweep_points_survive_an_interruption(tmp_path):
    ctx = studies.Context("demo", {"runs": 3}, seed=0, target="cpu", cache_root=tmp_path, progress=False)
    first = ctx.point("a", lambda: {"x": np.arange(3.0)})

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ctx.point("b", interrupted)
    again = ctx.point("a", interrupted)  # finished points are reloaded, not recomputed
    assert np.array_equal(again["x"], first["x"])
    other = studies.Context("demo", {"runs": 4}, seed=0, target="cpu", cache_root=tmp_path, progress=False)
    assert other.cache != ctx.cache


def test_theory_is_computed_once_per_parameters():
    calls = []

    @studies.memo_by_params
    def theory(p, k=0):
        calls.append((p["a"], k))
        return {"value": p["a"] + k}

    first = theory({"a": 1, "b": [2, 3]})
    assert theory({"b": [2, 3], "a": 1}) is first and calls == [(1, 0)]  # equal dicts, built in another order
    assert theory({"a": 2, "b": [2, 3]})["value"] == 2 and theory({"a": 1, "b": [2, 3]}, 5)["value"] == 6
    assert calls == [(1, 0), (2, 0), (1, 5)] and len(theory.cache) == 3 and theory.__name__ == "theory"


def test_unknown_study_is_a_clear_error():
    with pytest.raises(ValueError, match="name must be one of"):
        studies.run("no_such_study")
