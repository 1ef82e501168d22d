"""A reference for the kernels' run loop: the contract's device functions called one by one from Python."""
import numpy as np

from simsgd.device.rng import STATE_WORDS, ZIGGURAT, seed_key, seed_stream


def reference_runs(problem, optimizer, runs, steps, seed=0, dtype="float64", batch_size=1, first_run=0):
    """Final parameters (runs, d), final metrics (runs, m) and each run's starting point and gradients."""
    dt = np.dtype(dtype)
    fd, idata = problem.pack(batch_size, dt)
    pk, ok = type(problem).kernels, type(optimizer).kernels
    h, o = optimizer.hyper_values(), optimizer.option_values()
    d = problem.dim
    key = np.uint64(seed_key(seed))
    thetas, finals, starts, grads = [], [], [], []
    for r in range(runs):
        rng = np.zeros(STATE_WORDS, np.uint64)
        seed_stream(key, first_run + r, rng)
        x, g, p = (np.zeros(d, dt) for _ in range(3))
        rs = np.zeros(problem.run_state_size, np.int64)
        work = np.zeros(problem.work_size(batch_size), dt)
        state = np.zeros((optimizer.n_state, d), dt)
        sc = np.zeros(optimizer.n_scalar, dt)
        pk.init(x, rs, rng, ZIGGURAT, fd, idata)
        ok.init(x, state, sc, h, o)
        starts.append(x.copy())
        gs = []
        for t in range(1, steps + 1):
            at = p if ok.lookahead(x, p, state, sc, h, o) else x
            pk.grad(at, g, t, rs, rng, ZIGGURAT, fd, idata, work)
            gs.append(g.copy())
            ok.step(x, g, t, state, sc, h, o)
            pk.project(x, fd, idata)
        out = np.zeros(len(problem.metrics))
        pk.metrics(x, out, fd, idata, work)
        thetas.append(x.copy())
        finals.append(out)
        grads.append(np.array(gs))
    return np.array(thetas), np.array(finals), np.array(starts), grads
