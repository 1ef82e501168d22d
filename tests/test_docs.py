"""``simsgd docs``: the documentation site built from the README, the docstrings, results/ and docs/."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="simsgd docs needs MkDocs: pip install -e '.[docs]'")
pytest.importorskip("mkdocstrings_handlers.python", reason="simsgd docs needs mkdocstrings-python: pip install -e '.[docs]'")

ROOT = Path(__file__).resolve().parent.parent
INDEX = json.loads((ROOT / "results" / "index.json").read_text())


def _cli(*args, cwd=ROOT, prelude=""):
    cmd = [sys.executable, "-m", "simsgd.cli", *args] if not prelude else \
        [sys.executable, "-c", f"import sys; {prelude}; from simsgd.cli import main; sys.exit(main({list(args)!r}))"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "site"
    run = _cli("docs", "--out", str(out))  # from the repository root: ./results and ./docs
    assert run.returncode == 0, run.stderr
    assert "index.html" in run.stdout and "Traceback" not in run.stderr
    return out


def test_pages(site):
    home = (site / "index.html").read_text()
    assert "Quickstart" in home  # the README
    assert (site / "search" / "search_index.json").exists()

    for entry in INDEX:
        name = entry["name"]
        page = site / "studies" / f"{name}.html"
        assert page.exists(), name
        html = page.read_text()
        figure = Path(entry["figure"]).name
        assert (site / "studies" / figure).stat().st_size > 1000, figure
        assert f'src="{figure}"' in html, name
        for cid in entry["claim_status"]:
            assert cid in html, (name, cid)
        assert f"Verdict: {entry['verdict'].upper()}" in html, name
        assert "Parameters" in html and "Numbers" in html, name

    claims = (site / "claims.html").read_text()
    for entry in INDEX:
        for cid in entry["claim_status"]:
            assert cid in claims
    overview = (site / "studies" / "index.html").read_text()
    assert all(f'href="{e["name"]}.html"' in overview for e in INDEX)


def test_api_reference(site):
    api = (site / "api" / "simulation.html").read_text()
    assert "simulate" in api and "hitting" in api and "Result" in api
    # every public name has a page: none is left to "Other"
    assert not (site / "api" / "other.html").exists()
    assert "noise_ball_bound" in (site / "api" / "theory.html").read_text()
    assert "Adam" in (site / "api" / "optimizers.html").read_text()


def test_tutorial_and_examples(site):
    if (ROOT / "docs" / "tutorial.md").exists():
        assert (site / "tutorial.html").exists()
    for py in sorted((ROOT / "docs" / "examples").glob("*.py")):
        pages = [site / "examples" / f"{py.stem}.html", site / "examples" / f"{py.stem}_py.html"]
        page = next((p for p in pages if p.exists()), None)
        assert page is not None, py.name
        assert "<code" in page.read_text()
        assert (site / "examples" / py.name).exists()  # the source, to download
    if (ROOT / "docs" / "examples" / "index.md").exists():
        assert (site / "examples" / "index.html").exists()


def test_rebuild_and_refusals(site, tmp_path):
    # a site built earlier is replaced; a folder of other files is not emptied
    again = _cli("docs", "--out", str(site))
    assert again.returncode == 0, again.stderr
    (tmp_path / "keep.txt").write_text("mine")
    refused = _cli("docs", "--out", str(tmp_path))
    assert refused.returncode == 2 and "not empty" in refused.stderr and "Traceback" not in refused.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
    missing = _cli("docs", "--out", str(tmp_path / "s"), "--results", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "index.json" in missing.stderr and "Traceback" not in missing.stderr


def test_without_mkdocs(tmp_path):
    out = _cli("docs", "--out", str(tmp_path / "s"), prelude="sys.modules['mkdocs'] = None")
    assert out.returncode == 2
    assert "simsgd[docs]" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "s").exists()
