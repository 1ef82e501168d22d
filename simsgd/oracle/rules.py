"""The update rules in plain NumPy, one function each, from the formulas in the rules' docstrings.

Each ``rule(**hyper)`` returns ``step(x, g, t)`` that updates ``x`` (any shape, runs along the first
axis) in place from gradient ``g`` at step t = 1, 2, ...; its state lives in the closure and starts
at zero (or the documented initial value). Written apart from the kernels, never sharing their code.
"""
import numpy as np


def sgd(lr):
    def step(x, g, t):
        x -= lr * g
    return step


def momentum(lr, b1, bias_correction=False):
    """The lecture's EWMA: m = b1 m + (1 - b1) g, x -= lr m (/ (1 - b1^t) with bias correction)."""
    st = {}

    def step(x, g, t):
        m = st.setdefault("m", np.zeros_like(x))
        m *= b1
        m += (1 - b1) * g
        x -= lr * m / ((1 - b1**t) if bias_correction else 1.0)
    return step


def heavy_ball(lr, momentum, dampening=0.0, nesterov=False):
    """v = momentum v + (1 - dampening) g (v_1 = g_1); x -= lr (g + momentum v if nesterov else v)."""
    st = {}

    def step(x, g, t):
        v = st.setdefault("v", np.zeros_like(x))
        v *= momentum
        v += (1.0 if t == 1 else 1.0 - dampening) * g
        x -= lr * (g + momentum * v if nesterov else v)
    return step


def adagrad(lr, eps, initial_accumulator=0.0, eps_inside=True):
    st = {}

    def step(x, g, t):
        s = st.setdefault("s", np.full_like(x, initial_accumulator))
        s += g * g
        x -= lr * g / (np.sqrt(s + eps) if eps_inside else np.sqrt(s) + eps)
    return step


def rmsprop(lr, rho, eps, bias_correction=False, eps_inside=True):
    st = {}

    def step(x, g, t):
        v = st.setdefault("v", np.zeros_like(x))
        v *= rho
        v += (1 - rho) * g * g
        vh = v / (1 - rho**t) if bias_correction else v
        x -= lr * g / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps)
    return step


def adam(lr, b1, b2, eps, placement="inside", amsgrad=False):
    """``placement``: inside sqrt(v_hat + eps), outside sqrt(v_hat) + eps, scaled (Keras: eps-hat on raw
    moments). ``amsgrad`` keeps the running maximum of the raw v."""
    st = {}

    def step(x, g, t):
        m = st.setdefault("m", np.zeros_like(x))
        v = st.setdefault("v", np.zeros_like(x))
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        if amsgrad:
            vm = st.setdefault("vmax", np.zeros_like(x))
            np.maximum(vm, v, out=vm)
            vv = vm
        else:
            vv = v
        c1, c2 = 1 - b1**t, 1 - b2**t
        if placement == "inside":
            x -= lr * (m / c1) / np.sqrt(vv / c2 + eps)
        elif placement == "outside":
            x -= lr * (m / c1) / (np.sqrt(vv / c2) + eps)
        else:
            x -= lr * np.sqrt(c2) / c1 * m / (np.sqrt(vv) + eps)
    return step


def adamax(lr, b1, b2, eps):
    """u = max(b2 u, |g|), x -= lr / (1 - b1^t) m / (u + eps)."""
    st = {}

    def step(x, g, t):
        m = st.setdefault("m", np.zeros_like(x))
        u = st.setdefault("u", np.zeros_like(x))
        m[...] = b1 * m + (1 - b1) * g
        np.maximum(b2 * u, np.abs(g), out=u)
        x -= lr / (1 - b1**t) * m / (u + eps)
    return step


def nadam(lr, b1, b2, eps, momentum_decay=None):
    """mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay)) (b1 when None); x -= lr [(1 - mu_t) g / (1 - prod_{i<=t} mu_i)
    + mu_{t+1} m / (1 - prod_{i<=t+1} mu_i)] / (sqrt(v / (1 - b2^t)) + eps)."""
    st = {"prod": 1.0}

    def mu(t):
        return b1 if momentum_decay is None else b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    def step(x, g, t):
        m = st.setdefault("m", np.zeros_like(x))
        v = st.setdefault("v", np.zeros_like(x))
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        st["prod"] *= mu(t)
        p_t, p_next = st["prod"], st["prod"] * mu(t + 1)
        mh = (1 - mu(t)) * g / (1 - p_t) + mu(t + 1) * m / (1 - p_next)
        x -= lr * mh / (np.sqrt(v / (1 - b2**t)) + eps)
    return step


def adadelta(lr, rho, eps):
    """s = rho s + (1 - rho) g^2, dx = sqrt(D + eps) / sqrt(s + eps) g, D = rho D + (1 - rho) dx^2, x -= lr dx."""
    st = {}

    def step(x, g, t):
        s = st.setdefault("s", np.zeros_like(x))
        D = st.setdefault("D", np.zeros_like(x))
        s[...] = rho * s + (1 - rho) * g * g
        dx = np.sqrt(D + eps) / np.sqrt(s + eps) * g
        D[...] = rho * D + (1 - rho) * dx * dx
        x -= lr * dx
    return step


RULES = {f.__name__: f for f in (sgd, momentum, heavy_ball, adagrad, rmsprop, adam, adamax, nadam, adadelta)}


def make_rule(name, **hyper):
    """A fresh ``step(x, g, t)`` of rule ``name`` (a key of ``RULES``) with zero state."""
    if name not in RULES:
        raise ValueError(f"name must be one of {sorted(RULES)}; got {name!r}")
    return RULES[name](**hyper)


def replay_rule(name, theta0, grads, **hyper):
    """theta_0..theta_T (T + 1, d) of rule ``name`` fed the given gradients (T, d): the open-loop oracle."""
    step = make_rule(name, **hyper)
    x = np.array(theta0, dtype=np.float64) * np.ones(np.shape(grads)[1])
    out = [x.copy()]
    for t, g in enumerate(np.asarray(grads, dtype=np.float64), start=1):
        step(x, g, t)
        out.append(x.copy())
    return np.array(out)
