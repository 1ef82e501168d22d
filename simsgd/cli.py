"""The ``simsgd`` command: list, run and reproduce the studies; report the installation."""
import argparse
import json
import sys
import time
from pathlib import Path


def _add_run_options(p):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="scale", action="store_const", const="quick", help="small scale (the default)")
    g.add_argument("--full", dest="scale", action="store_const", const="full", help="publication scale")
    p.set_defaults(scale=None)  # quick, or full for reproduce --check
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--target", default="cpu", help="compute target: cpu (default) or cuda")
    p.add_argument("--out", default=None, help="results folder (default: ./results)")
    p.add_argument("--force", action="store_true",
                   help="replace saved results of a larger scale or of other parameters")


def _parser():
    ap = argparse.ArgumentParser(prog="simsgd", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the studies and the claims they cover")
    r = sub.add_parser("run", help="run one study (simsgd run NAME --help describes it)", add_help=False)
    global RUN_PARSER
    RUN_PARSER = r
    r.add_argument("name", nargs="?")
    r.add_argument("-h", "--help", action="store_true", help="describe the study NAME (or this command)")
    r.add_argument("--runs", type=int, default=None, help="override the number of runs")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a declared parameter of the study (repeatable; JSON values)")
    r.add_argument("--replot", action="store_true", help="redraw the figure from saved data, no simulation")
    _add_run_options(r)
    rep = sub.add_parser("reproduce", help="run every study and rewrite results/index.json")
    _add_run_options(rep)
    rep.add_argument("--check", action="store_true",
                     help="simulate nothing: list results that are missing, failing or made by other code than "
                          "today's (at the scale asked for, default --full here); exit 1 if any")
    c = sub.add_parser("claims", help="print the table of claim statuses (Markdown) from results/index.json")
    c.add_argument("--out", default=None, help="results folder (default: ./results)")
    sub.add_parser("info", help="versions, threads, targets and the kernel cache")
    sw = sub.add_parser("sweep", help="run a parameter sweep declared in a TOML spec (resumes an interrupted one)")
    _add_sweep_options(sw, "the zarr store (default: <spec>.zarr in the working directory)")
    se = sub.add_parser("sensitivity", help="Sobol or Morris indices of a sweep's quantities over its [ranges]")
    _add_sweep_options(se, "the output folder (default: <spec>-<method>/ in the working directory)")
    se.add_argument("--method", choices=("sobol", "morris"), default=None, help="default: the spec's, else sobol")
    se.add_argument("--samples", type=int, default=None, help="Sobol: N (a power of 2); Morris: trajectories")
    d = sub.add_parser("docs", help="build the documentation site (MkDocs; needs pip install \"simsgd[docs]\")")
    d.add_argument("--out", default="site", help="the site's folder (default: ./site)")
    d.add_argument("--results", default=None, help="results folder for the study pages (default: ./results)")
    d.add_argument("--verbose", action="store_true", help="print MkDocs' warnings (missing annotations, ...)")
    return ap


def _add_sweep_options(p, out_help):
    p.add_argument("spec", help="the sweep's TOML file")
    p.add_argument("--out", default=None, help=out_help)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None, help="run on a local Dask cluster of N worker processes")
    g.add_argument("--scheduler", default=None, help="run on the Dask cluster at this address")
    p.add_argument("--target", default="cpu", help="compute target: cpu (default) or cuda")


def _sweep_command(args):
    from . import sweeps as sw

    spec = sw.load_spec(args.spec)
    stem = Path(args.spec).stem
    if args.cmd == "sweep":
        out = Path(args.out) if args.out else Path(f"{stem}.zarr")
        t0 = time.perf_counter()
        ds = sw.sweep(spec, out, args.workers, args.scheduler, args.target)
        print(f"{spec!r}: {int(ds['done'].sum())} points done ({ds.attrs['resumed_points']} from an earlier run) "
              f"in {time.perf_counter() - t0:.1f} s -> {out}")
        return 0
    report = sw.sensitivity(spec, args.method, args.out or f"{stem}-{args.method or spec.sensitivity.get('method', 'sobol')}",
                            samples=args.samples, workers=args.workers, scheduler=args.scheduler,
                            target=args.target).report
    first, second = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma")}[report["method"]]
    for q, e in report["quantities"].items():
        print(f"{q}{' (log10)' if e['log10'] else ''}: noise share {e['noise_share']:.2e}, "
              f"{'adequate' if e['adequate'] else 'TOO FEW RUNS: the Monte Carlo error is too large'}")
        for j, name in enumerate(report["inputs"]):
            print(f"  {name:16s} {first} {e[first][j]:+.3f} ± {e[f'{first}_mc_error'][j]:.3f}   "
                  f"{second} {e[second][j]:+.3f} ± {e[f'{second}_mc_error'][j]:.3f}")
    return 0


def main(argv=None):
    ap = _parser()
    args = ap.parse_args(argv)
    from .workflow import studies

    try:
        return _dispatch(args, studies)
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        print(f"simsgd: error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args, studies):
    if args.cmd == "run" and (args.help or args.name is None):
        if args.name is None:
            if not args.help:
                raise ValueError("run needs a study's name: simsgd list shows them")
            RUN_PARSER.print_help()
        else:
            print(studies.describe(args.name))
        return 0
    if args.cmd == "list":
        for name in studies.names():
            mod = studies.load(name)
            doc = (mod.__doc__ or "").strip().splitlines()[0]
            print(f"{name:20s} {','.join(mod.CLAIMS):14s} {doc}")
        return 0
    if args.cmd == "claims":
        from .workflow.claims import table

        root = Path(args.out) if args.out else studies.default_results_dir()
        print(table(json.loads((root / "index.json").read_text())), end="")
        return 0
    if args.cmd == "info":
        from .device import jit
        from .targets import TARGETS, cuda
        from .workflow import provenance

        print(json.dumps({**provenance.versions(), **provenance.machine(), "targets": list(TARGETS),
                          "cuda": cuda.device_info(), "kernel_source_hash": jit.SOURCE_HASH,
                          "kernel_cache": str(jit.CACHE_DIR)}, indent=2))
        return 0
    if args.cmd in ("sweep", "sensitivity"):
        return _sweep_command(args)
    if args.cmd == "docs":
        from .workflow import docs

        built = docs.build(args.out, args.results, verbose=args.verbose)
        print(f"{built['pages']} pages ({built['studies']} studies) in {built['seconds']:.1f} s -> "
              f"{Path(built['out']) / 'index.html'}"
              + (f" ({built['warnings']} MkDocs warnings: --verbose shows them)" if built["warnings"] else ""))
        return 0
    if getattr(args, "check", False):
        scale = args.scale or "full"
        found = studies.stale(args.out, scale)
        for name, reason in found:
            print(f"{name:24s} {reason}")
        if not found:
            print(f"all {len(studies.names())} studies have {scale}-scale results made by today's code, passing")
        return 1 if found else 0
    todo = [args.name] if args.cmd == "run" else studies.names()
    if args.target == "cuda":
        from .targets.cuda import cuda_module

        cuda_module()  # a RuntimeError that says what is missing, before any study starts
    overrides = studies.parse_overrides(args.name, args.overrides, args.scale or "quick") \
        if getattr(args, "overrides", None) else None
    failed = 0
    for name in todo:
        t0 = time.perf_counter()
        e = studies.run(name, scale=args.scale or "quick", runs=getattr(args, "runs", None), seed=args.seed,
                        target=args.target, out=args.out, replot=getattr(args, "replot", False),
                        overrides=overrides, force=args.force)
        failed += e["verdict"] != "pass"
        print(f"{name:20s} {e['verdict'].upper():4s}  {time.perf_counter() - t0:7.1f} s  {e['figure']}")
    return 1 if failed else 0


def main_for(path):
    """``python simsgd/studies/<name>.py [simsgd run options]``: the same as ``simsgd run <name>``."""
    sys.exit(main(["run", Path(path).stem, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
