"""The documentation site (``simsgd docs``): MkDocs pages generated from the project's own files.

Nothing of the site is kept in the repository. At build time a temporary folder receives:

- ``index.md``: the repository's README (relative links to images copied along);
- ``api/*.md``: the public API (``simsgd.__all__``) in groups, rendered from the docstrings by
  mkdocstrings (names the groups do not list land in "Other", so none is left out);
- ``claims.md``: the claims table of ``results/index.json`` (``workflow.claims.table``);
- ``studies/<name>.md``: per study its description (the study module's docstring), its figure, the
  status and evidence of each claim, the parameters and scale of the saved run, and its scalar numbers;
- the tutorial (``docs/tutorial.md``) and the worked examples (``docs/examples/*.py``, each shown as
  code under its docstring; ``docs/examples/index.md``) when they exist, and any other page of ``docs/``;

then ``mkdocs.yml`` is written there and MkDocs builds it into the output folder. Needs the ``docs``
extra (``pip install "simsgd[docs]"``: mkdocs and mkdocstrings-python); works offline.
"""
import ast
import json
import logging
import math
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import simsgd

from . import studies
from .claims import table

_MARKER = ".simsgd-docs"  # left in a built site: mkdocs keeps hidden files when it cleans the folder
_ROOT = Path(simsgd.__file__).resolve().parent.parent

# The API reference: page -> (title, intro, identifiers). "simsgd.X" are names of simsgd.__all__; the
# other identifiers are whole modules.
API = {
    "simulation": ("Simulation and results",
                   "Run many independent copies of an optimizer on a problem; the `Result` they give, its "
                   "per-run statistics (first passages, histograms, trajectories), saving and loading.",
                   ["simsgd.simulate", "simsgd.Result", "simsgd.load", "simsgd.engine.perrun", "simsgd.replay"]),
    "problems": ("Problems",
                 "The objectives, each with its metrics, and the datasets.",
                 ["simsgd.Quadratic", "simsgd.LeastSquares", "simsgd.LogisticRegression", "simsgd.MLP",
                  "simsgd.SigmoidNeuron", "simsgd.OnlineLinear", "simsgd.activation", "simsgd.gaussian_design",
                  "simsgd.load_dataset", "simsgd.Problem", "simsgd.ProblemKernels", "simsgd.PROBLEMS",
                  "simsgd.register_problem"]),
    "optimizers": ("Optimizers",
                   "The update rules in the lecture's notation, the frameworks' variants, and how to register "
                   "a rule of your own.",
                   ["simsgd.SGD", "simsgd.Momentum", "simsgd.HeavyBall", "simsgd.Nesterov", "simsgd.Adagrad",
                    "simsgd.RMSProp", "simsgd.Adadelta", "simsgd.Adam", "simsgd.AMSGrad", "simsgd.Adamax",
                    "simsgd.Nadam", "simsgd.from_framework", "simsgd.Optimizer", "simsgd.OptimizerKernels",
                    "simsgd.OPTIMIZERS", "simsgd.register_optimizer", "simsgd.names"]),
    "theory": ("Theory", "`simsgd.theory`: the closed forms the simulations are checked against, one module "
                         "per subject, each stating its assumptions.", ["simsgd.theory.*"]),
    "statistics": ("Statistics", "`simsgd.stats` (`simsgd.engine.statistics`): judging simulated means "
                                 "against theory.", ["simsgd.engine.statistics"]),
    "sweeps": ("Sweeps", "Declared parameter sweeps, their labelled store and sensitivity indices.",
               ["simsgd.SweepSpec", "simsgd.load_spec", "simsgd.sweep", "simsgd.open_sweep", "simsgd.sensitivity",
                "simsgd.noisy_quadratic", "simsgd.FACTORIES"]),
    "montecarlo": ("Monte Carlo", "Compiled Monte Carlo with no optimizer, one random stream per run.",
                   ["simsgd.ball_fraction", "simsgd.pairwise_distances", "simsgd.nearest_neighbour_error",
                    "simsgd.polynomial_fits", "simsgd.min_norm_fits", "simsgd.random_features_fits",
                    "simsgd.per_run"]),
    "kernels": ("Kernels and targets", "Writing compiled code of your own: the jit decorator, packed "
                                       "layouts, the random streams, and the compute targets.",
                ["simsgd.kernel", "simsgd.Layout", "simsgd.field", "simsgd.value", "simsgd.normal",
                 "simsgd.fill_normals", "simsgd.next_double", "simsgd.TARGETS"]),
    "plotting": ("Plotting", "The shared figure style and drawing helpers of the studies.",
                 ["simsgd.workflow.plotting"]),
}
# names of __all__ that a listed module's page documents
_MODULE_ALIASES = {"theory": "simsgd.theory.*", "stats": "simsgd.engine.statistics",
                   "z_threshold": "simsgd.engine.statistics", "zscores": "simsgd.engine.statistics",
                   "plotting": "simsgd.workflow.plotting"}


def _require_mkdocs():
    try:
        import mkdocs.commands.build  # noqa: F401
        import mkdocs.config  # noqa: F401
        import mkdocstrings  # noqa: F401
        import mkdocstrings_handlers.python  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(f"simsgd docs needs MkDocs and mkdocstrings-python ({exc}): "
                           "pip install \"simsgd[docs]\"") from None


def _check_out(out, sources):
    """Refuse a folder MkDocs would empty that is not an earlier site (or that holds the sources)."""
    out = out.resolve()
    for s in sources:
        if s is not None and (out == s.resolve() or out in s.resolve().parents):
            raise ValueError(f"--out {out} would hold {s}: building empties it; choose another folder")
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"--out {out} is a file")
        if any(not p.name.startswith(".") for p in out.iterdir()) and not (out / _MARKER).exists():
            raise FileExistsError(f"--out {out} is not empty and not a site built by simsgd docs: "
                                  "building would delete what it holds; choose an empty or new folder")


# ---------------------------------------------------------------------------------------------- pages

def _copy_linked_images(text, src_dir, dst_dir, prefix="assets"):
    """Copy images that ``text`` links to relatively (``![..](path)``) into ``dst_dir/prefix``; rewrite the links."""
    def repl(m):
        alt, target = m.group(1), m.group(2)
        if re.match(r"^[a-z]+:|^/|^#", target):
            return m.group(0)
        path = (src_dir / target).resolve()
        if not path.is_file():
            return m.group(0)
        rel = Path(prefix) / path.relative_to(src_dir.resolve()) if src_dir.resolve() in path.parents \
            else Path(prefix) / path.name
        (dst_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst_dir / rel)
        return f"![{alt}]({rel.as_posix()})"

    return re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", repl, text)


def _home(src, readme):
    if readme is not None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        return _copy_linked_images(text, readme.parent, src)
    return f"# simsgd\n\n{(simsgd.__doc__ or '').strip()}\n"


def _api_pages(src):
    """``api/<page>.md`` per group of ``API``; names of ``__all__`` the groups leave out go to ``api/other.md``."""
    listed = {i for _, _, ids in API.values() for i in ids}
    missing = []
    for name in simsgd.__all__:
        if name.startswith("_"):
            continue
        ident = _MODULE_ALIASES.get(name, f"simsgd.{name}")
        if ident not in listed:
            missing.append(ident)
    pages = dict(API)
    if missing:
        pages["other"] = ("Other", "Further public names of `simsgd`.", missing)
    (src / "api").mkdir(exist_ok=True)
    theory_modules = sorted(p.stem for p in (_ROOT / "simsgd" / "theory").glob("*.py")
                            if not p.stem.startswith("_"))
    index = ["# API reference", "", "The public API of `simsgd` (`import simsgd as ss`), rendered from the "
             "docstrings.", "", "| page | contents |", "|---|---|"]
    nav = []
    for page, (title, intro, idents) in pages.items():
        blocks = [f"# {title}", "", intro, ""]
        for ident in idents:
            if ident == "simsgd.theory.*":
                blocks += [f"::: simsgd.theory.{m}\n    options:\n      show_root_heading: true\n"
                           f"      show_root_full_path: true\n      heading_level: 2\n" for m in theory_modules]
            elif ident.count(".") > 1:  # a whole module
                blocks.append(f"::: {ident}\n    options:\n      show_root_heading: true\n"
                              f"      show_root_full_path: true\n      heading_level: 2\n")
            else:
                blocks.append(f"::: {ident}\n")
        (src / "api" / f"{page}.md").write_text("\n".join(blocks), encoding="utf-8")
        index.append(f"| [{title}]({page}.md) | {intro} |")
        nav.append({title: f"api/{page}.md"})
    (src / "api" / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return [{"Overview": "api/index.md"}, *nav]


def _module_doc(path):
    try:
        return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        return ""


def _fmt(v):
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "no", None: "–"}[v]
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return f"{v:.4g}"
    return str(v)


def _scalar(v):
    return v is None or isinstance(v, (bool, int, float, str))


def _flat_numbers(numbers, limit=40):
    """``(key, text)`` rows: scalars, short lists of scalars, and the same inside nested dicts (``a.b``)."""
    rows = []

    def walk(prefix, value, depth):
        if _scalar(value):
            if not (isinstance(value, str) and len(value) > 80):
                rows.append((prefix, _fmt(value)))
        elif isinstance(value, (list, tuple)):
            if 0 < len(value) <= 4 and all(_scalar(x) and not isinstance(x, str) for x in value):
                rows.append((prefix, ", ".join(_fmt(x) for x in value)))
        elif isinstance(value, dict) and depth < 3:
            for k, x in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), x, depth + 1)

    walk("", numbers, 0)
    return rows[:limit], max(0, len(rows) - limit)


def _cell(x):
    return str(x).replace("|", "\\|").replace("\n", " ")


def _param(v):
    text = _fmt(v) if _scalar(v) else json.dumps(v, separators=(", ", ": "))
    return text if len(text) <= 100 else text[:97] + "…"


def _data_schema(path):
    """``(key, shape, dtype)`` of every array in a study's ``data.npz`` (read lazily: headers only)."""
    import numpy as np

    if not path.is_file():
        return []
    with np.load(path, mmap_mode="r") as f:
        return [(k, tuple(f[k].shape), str(f[k].dtype)) for k in f.files]


def _study_page(entry, meta, doc, schema=()):
    name = entry["name"]
    verdict = entry.get("verdict", "?").upper()
    first, _, rest = doc.strip().partition("\n")
    lines = [f"# {name}", ""]
    if first:
        lines += [f"*{first.strip()}*", ""]
    lines += [f"**Verdict: {verdict}** · claims {', '.join(entry.get('claims', []))} · "
              f"scale `{entry.get('scale', meta.get('scale', '?'))}`", ""]
    if rest.strip():
        lines += [rest.strip(), ""]
    if entry.get("figure"):
        lines += [f"![{name}]({Path(entry['figure']).name})", ""]
    lines += ["## Claims", "", "| claim | status | result | evidence | conditions |", "|---|---|---|---|---|"]
    for cid, c in entry.get("claim_status", {}).items():
        checks = ", ".join(f"`{k}` {'✓' if v else '✗'}" for k, v in c.get("checks", {}).items()) or "–"
        lines.append(f"| {cid} | {c.get('status', '?')} | {'PASS' if c.get('holds') else 'FAIL'} | "
                     f"{_cell(c.get('evidence', ''))} | {_cell(checks)} |")
    lines += [""]
    if meta:
        lines += ["## Run", "", "| | |", "|---|---|"]
        for key, label in (("scale", "scale"), ("seed", "seed"), ("target", "target"),
                           ("wall_time_s", "wall time (s)"), ("commit", "commit"), ("dirty", "uncommitted changes"),
                           ("written_at", "written at")):
            if key in meta:
                lines.append(f"| {label} | {_cell(_param(meta[key]))} |")
        if meta.get("versions"):
            lines.append("| versions | " + _cell(", ".join(f"{k} {v}" for k, v in meta["versions"].items())) + " |")
        lines += [""]
        if meta.get("params"):
            lines += ["## Parameters", "", "| parameter | value |", "|---|---|"]
            lines += [f"| `{k}` | {_cell(_param(v))} |" for k, v in meta["params"].items()]
            lines += [""]
    rows, more = _flat_numbers(entry.get("numbers", {}))
    if rows:
        lines += ["## Numbers", "", "| quantity | value |", "|---|---:|"]
        lines += [f"| `{_cell(k)}` | {_cell(v)} |" for k, v in rows]
        lines += [""]
    if schema:
        lines += ["## Data", "", f"`results/{name}/data.npz` (NumPy's `np.load`; everything the verdict and the figure "
                  "are computed from, written by the study's `simulate` and read back by `--replot`):", "",
                  "| array | shape | dtype |", "|---|---|---|"]
        lines += [f"| `{k}` | {shape} | {dtype} |" for k, shape, dtype in schema]
        lines += [""]
    note = "Scalars and short lists only" + (f" ({more} more not shown)" if more else "")
    lines += [f"{note}; every number is in `results/index.json` and the data in `results/{name}/`.", ""]
    return "\n".join(lines)


def _studies_pages(src, results):
    """``studies/*.md`` and ``claims.md`` from ``results/index.json``; the nav entries."""
    (src / "studies").mkdir(exist_ok=True)
    index_path = results / "index.json" if results is not None else None
    if index_path is None or not index_path.is_file():
        msg = (f"No `{index_path}` was found when this site was built: run `simsgd reproduce` and rebuild "
               "with `simsgd docs --results DIR`.")
        (src / "studies" / "index.md").write_text(f"# Studies\n\n{msg}\n", encoding="utf-8")
        (src / "claims.md").write_text(f"# Claims\n\n{msg}\n", encoding="utf-8")
        return {"Claims": "claims.md"}, {"Studies": [{"Overview": "studies/index.md"}]}, 0
    index = json.loads(index_path.read_text(encoding="utf-8"))
    study_files = {n: studies.studies_dir() / f"{n}.py" for n in studies.names()}
    overview = ["# Studies", "", "Each study checks lecture claims against theory; its verdict passes when every "
                "condition of every claim holds.", "", "| study | claims | verdict | scale | what it shows |",
                "|---|---|---|---|---|"]
    nav = [{"Overview": "studies/index.md"}]
    for entry in sorted(index, key=lambda e: e["name"]):
        name = entry["name"]
        meta_path = results / name / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        doc = _module_doc(study_files[name]) if name in study_files else ""
        if entry.get("figure") and (results / entry["figure"]).is_file():
            shutil.copy2(results / entry["figure"], src / "studies" / Path(entry["figure"]).name)
        (src / "studies" / f"{name}.md").write_text(_study_page(entry, meta, doc, _data_schema(results / name / "data.npz")),
                                                    encoding="utf-8")
        overview.append(f"| [{name}]({name}.md) | {', '.join(entry.get('claims', []))} | "
                        f"{entry.get('verdict', '?').upper()} | {entry.get('scale', '?')} | "
                        f"{_cell(doc.strip().partition(chr(10))[0])} |")
        nav.append({name: f"studies/{name}.md"})
    (src / "studies" / "index.md").write_text("\n".join(overview) + "\n", encoding="utf-8")
    claims = table(index)
    claims = re.sub(r"\| `([A-Za-z0-9_]+)` \|", lambda m: f"| [`{m.group(1)}`](studies/{m.group(1)}.md) |", claims)
    (src / "claims.md").write_text("# Claims\n\nEvery claim with its status and evidence, from "
                                   "`results/index.json`.\n\n" + claims, encoding="utf-8")
    return {"Claims": "claims.md"}, {"Studies": nav}, len(index)


def _user_pages(src, docs):
    """Copy ``docs/`` (tutorial, examples, anything else), turn each ``examples/*.py`` into a page.

    Returns the nav entries before the claims (the tutorial) and after the API reference (the rest).
    """
    first, rest = [], []
    if docs is None or not docs.is_dir():
        return first, rest
    shutil.copytree(docs, src, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    pages = {}  # example stem -> its page
    examples = sorted((docs / "examples").glob("*.py")) if (docs / "examples").is_dir() else []
    for py in examples:
        page = f"examples/{py.stem}.md"
        if (docs / page).exists():  # the examples' author wrote a page of that name: keep it
            page = f"examples/{py.stem}_py.md"
        pages[py.stem] = page
    if (src / "tutorial.md").is_file():
        text = (src / "tutorial.md").read_text(encoding="utf-8")
        # a link to an example's source reaches its page
        text = re.sub(r"\]\((?:\./)?examples/([A-Za-z0-9_\-]+)\.py\)",
                      lambda m: f"]({pages[m.group(1)]})" if m.group(1) in pages else m.group(0), text)
        (src / "tutorial.md").write_text(text, encoding="utf-8")
        first.append({"Tutorial": "tutorial.md"})
    ex_nav = [{"Overview": "examples/index.md"}] if (docs / "examples" / "index.md").is_file() else []
    for py in examples:
        code = py.read_text(encoding="utf-8")
        head, _, body = _module_doc(py).strip().partition("\n")
        title = py.stem.replace("_", " ")
        lines = [f"# {title}", ""]
        if head:
            lines += [f"*{head.strip()}*", ""]
        if body.strip():
            lines += [body.strip(), ""]
        lines += [f"Run it with `python docs/examples/{py.name}` ([download]({py.name})).", "",
                  "```python", code.rstrip("\n"), "```", ""]
        (src / pages[py.stem]).write_text("\n".join(lines), encoding="utf-8")
        ex_nav.append({title: pages[py.stem]})
    if ex_nav:
        rest.append({"Examples": ex_nav})
    taken = {"index.md", "tutorial.md", "claims.md"}
    others = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md")
                    if p.relative_to(docs).parts[0] not in ("examples", "api", "studies")
                    and p.relative_to(docs).as_posix() not in taken)
    if others:
        rest.append({"More": [{Path(o).stem.replace("_", " "): o} for o in others]})
    return first, rest


# ---------------------------------------------------------------------------------------------- build

class _Count(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def build(out="site", results=None, source=None, verbose=False):
    """Build the site into ``out``; return ``{"out", "pages", "studies", "warnings", "seconds"}``.

    ``results``: the results folder (default ``results/`` of the working directory); ``source``: the
    repository whose README and ``docs/`` make the home page, tutorial and examples (default: the one
    holding the imported ``simsgd``, else the working directory). MkDocs' warnings (docstrings without
    type annotations, say) are counted, and printed with ``verbose``; they never fail the build.
    """
    _require_mkdocs()
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException
    import yaml

    t0 = time.perf_counter()
    out = Path(out)
    explicit_results = results is not None
    results = Path(results) if explicit_results else studies.default_results_dir()
    if explicit_results and not (results / "index.json").is_file():
        raise FileNotFoundError(f"{results / 'index.json'} not found: --results must be a folder written by "
                                "simsgd reproduce")
    if source is None:
        source = _ROOT if (_ROOT / "README.md").is_file() else Path.cwd()
    source = Path(source)
    _check_out(out, [source / "docs", results, source / "simsgd"])
    with tempfile.TemporaryDirectory(prefix="simsgd-docs-") as tmp:
        tmp = Path(tmp)
        src = tmp / "docs"
        src.mkdir()
        tutorial_nav, more_nav = _user_pages(src, source / "docs")
        (src / "index.md").write_text(_home(src, source / "README.md"), encoding="utf-8")
        api_nav = _api_pages(src)
        claims_nav, studies_nav, n_studies = _studies_pages(src, results if results.is_dir() else None)
        nav = [{"Home": "index.md"}, *tutorial_nav, claims_nav, studies_nav, {"API reference": api_nav}, *more_nav]
        config = {
            "site_name": "simsgd",
            "site_description": "Numba-accelerated simulator of SGD, checked against closed-form theory",
            "docs_dir": str(src),
            "site_dir": str(out.resolve()),
            "theme": {"name": "readthedocs", "navigation_depth": 3},
            "use_directory_urls": False,  # pages open from the disk without a server
            "nav": nav,
            "markdown_extensions": ["tables", "admonition", "attr_list", {"toc": {"permalink": True}}],
            "plugins": ["search", {"mkdocstrings": {"default_handler": "python", "handlers": {"python": {
                "paths": [str(_ROOT)],
                "options": {"docstring_style": None, "show_source": False, "show_root_heading": True,
                            "show_root_full_path": False, "heading_level": 2, "members_order": "source",
                            "show_signature_annotations": False, "separate_signature": True,
                            "merge_init_into_class": True, "show_if_no_docstring": False,
                            "filters": ["!^_"]}}}}}],
        }
        (tmp / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        handler = _Count()
        loggers = [logging.getLogger(n) for n in ("mkdocs", "mkdocstrings", "griffe", "mkdocs_autorefs")]
        saved = [(lg, lg.propagate, lg.level) for lg in loggers]
        for lg in loggers:
            lg.addHandler(handler)
            lg.propagate = False
            lg.setLevel(logging.INFO if verbose else logging.WARNING)
        try:
            cfg = load_config(config_file=str(tmp / "mkdocs.yml"))
            cfg.plugins.on_startup(command="build", dirty=False)
            try:
                mkdocs_build(cfg, dirty=False)
            finally:
                cfg.plugins.on_shutdown()
        except MkDocsException as exc:
            raise RuntimeError(f"mkdocs could not build the site: {exc}") from None
        finally:
            for lg, prop, level in saved:
                lg.removeHandler(handler)
                lg.propagate, lg.level = prop, level
    (out / _MARKER).write_text("built by simsgd docs\n", encoding="utf-8")
    warnings = [r for r in handler.records if r.levelno >= logging.WARNING]
    if verbose:
        for r in warnings:
            print(f"{r.levelname}: {r.getMessage()}", file=sys.stderr)
    pages = sum(1 for _ in out.rglob("*.html"))
    return {"out": str(out), "pages": pages, "studies": n_studies, "warnings": len(warnings),
            "seconds": time.perf_counter() - t0}
