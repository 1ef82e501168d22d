"""Write the kernels' random output to stdout as raw 32-bit words, for a test battery reading stdin.

    python benchmarks/raw_stream.py MODE [--seed 0] | dieharder -g 200 -a

MODE is what the battery sees:
  streams  run 0's two xoroshiro128+ generators, A and B alternating: the 64-bit outputs
           ``fill_normals`` consumes, low 32 bits first.
  runs     the first output of generator A of runs 0, 1, 2, ... under one seed: the
           counter-based seeding, stream against stream.
  normals  Phi(z) of run 0's float64 normals from ``fill_normals``, as 32-bit integers
           floor(2^32 Phi(z)): the whole chain, ziggurat included (uniform if the normals are normal).
  normals32  the same for float32 normals (two per 64-bit output).

It writes until the reader closes the pipe.
"""
import argparse
import sys

import numba
import numpy as np
from numba import prange
from scipy.special import ndtr

from simsgd.device.rng import STATE_WORDS, ZIGGURAT, fill_normals, next_u64, seed_key, seed_stream

BLOCK = 1 << 20  # 64-bit outputs per write


@numba.njit
def _stream_block(state, out):
    for k in range(0, out.size, 2):
        out[k] = next_u64(state, 0)
        out[k + 1] = next_u64(state, 2)


@numba.njit(parallel=True)
def _runs_block(key, first, states, out):
    for r in prange(out.size):
        seed_stream(key, first + r, states[r])
        out[r] = next_u64(states[r], 0)


def _uniform_words(z):
    # floor(2^32 Phi(z)) in [0, 2^32): Phi(z) < 1 for every finite z a float64 or float32 draw can take
    return np.minimum(np.floor(ndtr(z.astype(np.float64)) * 2.0**32), 2.0**32 - 1).astype(np.uint32)


def blocks(mode, seed):
    key = np.uint64(seed_key(seed))
    state = np.zeros(STATE_WORDS, np.uint64)
    seed_stream(key, 0, state)
    if mode == "streams":
        out = np.empty(BLOCK, np.uint64)
        while True:
            _stream_block(state, out)
            yield out
    elif mode == "runs":
        out = np.empty(BLOCK, np.uint64)
        states = np.zeros((BLOCK, STATE_WORDS), np.uint64)
        first = 0
        while True:
            _runs_block(key, first, states, out)
            first += BLOCK
            yield out
    else:
        z = np.empty(BLOCK, np.float64 if mode == "normals" else np.float32)
        while True:
            fill_normals(state, z, z.size, ZIGGURAT)
            yield _uniform_words(z)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("streams", "runs", "normals", "normals32"))
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    out = sys.stdout.buffer
    try:
        for block in blocks(a.mode, a.seed):
            out.write(block.tobytes())  # little-endian: a 64-bit output's low 32 bits come first
    except BrokenPipeError:
        sys.stderr.close()  # the battery has read what it needs


if __name__ == "__main__":
    main()
