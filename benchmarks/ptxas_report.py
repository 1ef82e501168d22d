"""Registers, spills and shared memory of the CUDA kernels for sm_90 (H100/H200), with no GPU.

Compiles the run kernel of each workload of ``gpu_check.py`` (SGD on the quadratic at d = 8 and
d = 100, float64; the 1-32-1 tanh MLP with Adam, float64 and float32) to PTX with numba-cuda, for
each block reduction and block size, and assembles it with ``ptxas -v``. Occupancy follows from
the counts with Hopper's limits per SM (65,536 registers, 228 KB of shared memory, 2,048 threads,
32 blocks; registers allocated per warp in units of 256). ``ptxas`` comes with the
``nvidia-cuda-nvcc`` wheel (``pip install nvidia-cuda-nvcc``) or a CUDA toolkit on PATH.

    python benchmarks/ptxas_report.py [--json benchmarks/ptxas_sm90.json]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "0")

REGS_PER_SM, SMEM_PER_SM, THREADS_PER_SM, BLOCKS_PER_SM = 65536, 228 * 1024, 2048, 32
SMEM_RESERVED_PER_BLOCK = 1024  # the runtime's share of each block's shared memory on sm_80+


def find_ptxas():
    """The wheel's ptxas first: it matches the NVVM wheel that wrote the PTX (an older one rejects its .version)."""
    try:
        import nvidia.cu13 as cu13

        cand = Path(list(cu13.__path__)[0]) / "bin" / "ptxas"
        if cand.exists():
            return str(cand)
    except ImportError:
        pass
    return shutil.which("ptxas")


def workloads():
    import simsgd as ss

    x = np.linspace(-1.0, 1.0, 256)
    mlp = ss.MLP((1, 32, 1), "tanh", x[:, None], np.sin(2 * np.pi * x), loss="mse", init="pytorch")
    return [("quadratic d=8 SGD", ss.Quadratic(np.linspace(0.1, 1.0, 8), noise_std=1.0, x0=1.0), ss.SGD(0.1),
             "float64", 1),
            ("quadratic d=100 SGD", ss.Quadratic(np.linspace(0.1, 1.0, 100), noise_std=1.0, x0=1.0), ss.SGD(0.1),
             "float64", 1),
            ("MLP 1-32-1 tanh Adam", mlp, ss.Adam(0.01), "float64", 16),
            ("MLP 1-32-1 tanh Adam", mlp, ss.Adam(0.01), "float32", 16)]


def ptx_of(job, tpb, reduction):
    """PTX for sm_90 of ``job``'s run kernel (numba-cuda asks for a current device: a stand-in answers)."""
    from numba import cuda, typeof

    from simsgd.targets import cuda as target

    class _Device:
        compute_capability = (9, 0)
        id = 0

    cuda.dispatcher.get_current_device = lambda: _Device()
    shape = target.shape_of(job, tpb)[:-2] + (reduction, None)
    kern = target.get_kernel(job.pairing, shape)
    args = target.Arguments(job, 1, 4, np.ascontiguousarray, np.zeros).launch(0, 4)
    ptx, _ = cuda.compile_ptx(kern.py_func, tuple(typeof(a) for a in args), cc=(9, 0))
    return ptx


def assemble(ptxas, ptx, max_registers=None):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "k.ptx"
        src.write_text(ptx)
        cap = [f"-maxrregcount={max_registers}"] if max_registers else []
        out = subprocess.run([ptxas, "-arch=sm_90", "-v", *cap, str(src), "-o", str(Path(tmp) / "k.cubin")],
                             capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    text = out.stderr + out.stdout
    num = lambda pat: int(m.group(1)) if (m := re.search(pat, text)) else 0  # noqa: E731
    return {"registers": num(r"Used (\d+) registers"), "stack_frame_bytes": num(r"(\d+) bytes stack frame"),
            "spill_store_bytes": num(r"(\d+) bytes spill stores"), "spill_load_bytes": num(r"(\d+) bytes spill loads"),
            "shared_bytes": num(r"(\d+) bytes smem"), "ptxas": text.strip().splitlines()[-3:]}


def occupancy(regs, smem, tpb):
    warps = tpb // 32
    regs_per_warp = -(-max(regs, 1) * 32 // 256) * 256
    by_regs = REGS_PER_SM // (regs_per_warp * warps)
    by_smem = SMEM_PER_SM // (smem + SMEM_RESERVED_PER_BLOCK) if smem else BLOCKS_PER_SM
    by_threads = THREADS_PER_SM // tpb
    blocks = min(by_regs, by_smem, by_threads, BLOCKS_PER_SM)
    limit = min((by_regs, "registers"), (by_smem, "shared memory"), (by_threads, "threads"),
                (BLOCKS_PER_SM, "blocks"))[1]
    return {"blocks_per_sm": blocks, "threads_per_sm": blocks * tpb, "occupancy": blocks * tpb / THREADS_PER_SM,
            "limited_by": limit}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--tpb", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--caps", type=int, nargs="+", default=[64, 80],
                    help="also assemble the shuffle kernels at 128 threads with these register caps (-maxrregcount)")
    a = ap.parse_args(argv)
    ptxas = find_ptxas()
    if ptxas is None:
        print("ptxas not found: pip install nvidia-cuda-nvcc, or put a CUDA toolkit's bin on PATH")
        return 1
    from numba.cuda.cudadrv import nvvm

    from simsgd.engine.simulate import plan
    from simsgd.targets import cuda as target
    from simsgd.workflow import provenance

    nvvm.NVVM()
    version = subprocess.run([ptxas, "--version"], capture_output=True, text=True).stdout.strip().splitlines()[-1]
    rows = []
    print(f"{ptxas}: {version}\n")
    print("| workload | dtype | reduction | threads/block | register cap | registers | spill st/ld bytes | "
          "shared bytes | blocks/SM | occupancy | limited by |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, prob, opt, dtype, batch in workloads():
        job = plan(prob, opt, runs=10, steps=3, batch_size=batch, dtype=dtype)
        variants = [(red, tpb, None) for red in target.REDUCTIONS for tpb in a.tpb]
        variants += [("shuffle", 128, cap) for cap in a.caps]
        ptx = {}
        for reduction, tpb, cap in variants:
            if (reduction, tpb) not in ptx:
                ptx[reduction, tpb] = ptx_of(job, tpb, reduction)
            r = assemble(ptxas, ptx[reduction, tpb], cap)
            r.update(workload=name, dtype=dtype, reduction=reduction, threads_per_block=tpb, register_cap=cap,
                     **occupancy(r["registers"], r["shared_bytes"], tpb))
            rows.append(r)
            print(f"| {name} | {dtype} | {reduction} | {tpb} | {cap or '-'} | {r['registers']} | "
                  f"{r['spill_store_bytes']}/{r['spill_load_bytes']} | {r['shared_bytes']} | {r['blocks_per_sm']} | "
                  f"{r['occupancy']:.0%} | {r['limited_by']} |", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps({"ptxas": version, "arch": "sm_90", "versions": provenance.versions(),
                                            "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
