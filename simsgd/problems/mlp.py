"""Multilayer perceptrons on a finite dataset: every run trains its own network from its own initialisation.

Widths (w_0, ..., w_L): w_0 inputs, L layers of weights, w_L outputs. Layer l maps

    z_l = W_l a_{l-1} + b_l,   a_l = sigma(z_l) for the hidden layers (l < L), the output f = z_L,

with a_0 the example's features. The parameter vector theta is flat, in the layout of PyTorch's
``nn.Linear`` layers in order: for each layer W_l (w_l rows, w_{l-1} columns, row-major) then b_l.

Losses, per example and averaged over the minibatch drawn as ``problems.finite_data`` describes:
``"mse"``: (1/w_L) sum_o (f_o - y_o)^2 (PyTorch's ``MSELoss``, no factor 1/2); ``"cross_entropy"``
with labels y in {0, .., k-1}: log sum_o e^{f_o} - f_y (softmax cross-entropy, k = w_L >= 2), or for
one output softplus(f) - y f with y in {0, 1} (the logistic loss on the logit f). Metrics:
``train_loss`` (the mean loss over the n rows), for cross-entropy ``train_accuracy`` (argmax, or f > 0
for one output), and with a held-out set ``test_loss`` (and ``test_accuracy``).

Activations sigma: identity, sigmoid, tanh, relu (sigma'(0) = 0, as PyTorch), elu (alpha (e^z - 1)
below 0), and polynomial z^degree (the universal approximation theorem's counter-example).
Initialisation from each run's own stream: ``"pytorch"`` (``nn.Linear``'s default: W and b uniform
on +-1/sqrt(w_{l-1})), ``"he"`` (W ~ N(0, 2/w_{l-1}), b = 0), ``"glorot"`` (W ~ N(0, 2/(w_{l-1} + w_l)),
b = 0), or a given flat vector shared by every run.

A gradient is accumulated one example at a time: a forward pass keeps every layer's activations
and sigma' in the run's scratch, a backward pass adds that example's gradient. The scratch holds
2 (w_0 + .. + w_L) + 2 max(w) floats, whatever n and B.
"""
import math

import numpy as np

from .. import validate as V
from ..device.jit import kernel
from ..device.layout import Layout, field, value
from ..device.rng import next_double, normal
from .base import ProblemKernels
from .finite_data import SAMPLER_INTS, SAMPLING, FiniteData, batch_begin, batch_row, finite_array, start_sampler
from .logistic_regression import sigmoid, softplus

MAX_LAYERS = 16
ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "elu", "polynomial")
IDENTITY, SIGMOID, TANH, RELU, ELU, POLYNOMIAL = range(len(ACTIVATIONS))
LOSSES = ("mse", "cross_entropy")
MSE, CROSS_ENTROPY = range(len(LOSSES))
INITS = ("pytorch", "he", "glorot")
GIVEN, UNIFORM, NORMAL = range(3)  # how ``init`` draws: a given vector, U(-1, 1) or N(0, 1) times each layer's scale

WIDTHS = tuple(f"width{l}" for l in range(MAX_LAYERS + 1))
LAYOUT = Layout(floats=("x0", "X", "y", "X_test", "y_test", "w_scale", "b_scale", "elu_alpha"),
                ints=SAMPLER_INTS + ("depth", "units", "max_width", "n_params", "activation", "degree", "loss",
                                     "init", "n_test") + WIDTHS)
F, I = LAYOUT.F, LAYOUT.I


@kernel(inline=True)
def activate(z, d, n, code, alpha, degree):
    """Replace z[j] by sigma(z[j]) and write sigma'(z[j]) to d[j], j < n (one loop per activation, so each vectorises)."""
    if code == TANH:
        for j in range(n):
            a = math.tanh(z[j])
            z[j] = a
            d[j] = 1.0 - a * a
    elif code == RELU:
        for j in range(n):
            pos = z[j] > 0.0
            z[j] = z[j] if pos else 0.0
            d[j] = 1.0 if pos else 0.0
    elif code == SIGMOID:
        for j in range(n):
            a = sigmoid(z[j])
            z[j] = a
            d[j] = a * (1.0 - a)
    elif code == ELU:
        for j in range(n):
            if z[j] > 0.0:
                d[j] = 1.0
            else:
                a = alpha * math.expm1(z[j])
                z[j] = a
                d[j] = a + alpha
    elif code == POLYNOMIAL:
        for j in range(n):
            p = 1.0
            for _ in range(degree - 1):
                p *= z[j]
            z[j] = p * z[j]
            d[j] = degree * p
    else:
        for j in range(n):
            d[j] = 1.0


@kernel(inline=True)
def forward(x, row, work, idata, alpha):
    """Every layer's activations for the example ``row`` into ``work`` (layer l at w_0 + .. + w_{l-1}); the
    output f at ``units - w_L``, sigma' of the hidden layers ``units`` further on."""
    L, S = idata[I.depth], idata[I.units]
    code, degree = idata[I.activation], idata[I.degree]
    for i in range(idata[I.width0]):
        work[i] = row[i]
    src = 0  # where layer l's input a_{l-1} starts in work
    par = 0  # where W_l starts in theta
    for l in range(L):
        a, b = idata[I.width0 + l], idata[I.width0 + l + 1]
        dst = src + a
        inp = work[src:dst]
        for j in range(b):
            w = x[par + j * a:par + (j + 1) * a]  # a view: see ``least_squares._add_row``
            s = x[par + a * b + j]
            for i in range(a):
                s += w[i] * inp[i]
            work[dst + j] = s
        if l < L - 1:
            activate(work[dst:dst + b], work[S + dst:S + dst + b], b, code, alpha, degree)
        par += a * b + b
        src = dst


@kernel(inline=True)
def loss_and_delta(f, y, k, m, loss_code, delta):
    """Example ``k``'s loss at the output ``f`` (m values) and dL/df into ``delta``; also whether it is classified right."""
    if loss_code == MSE:
        t = y[k * m:(k + 1) * m]
        loss = 0.0
        for o in range(m):
            r = f[o] - t[o]
            loss += r * r
            delta[o] = 2.0 * r / m
        return loss / m, False
    c = y[k]
    if m == 1:
        delta[0] = sigmoid(f[0]) - c
        return softplus(f[0]) - c * f[0], (f[0] > 0.0) == (c > 0.5)
    top = 0
    for o in range(1, m):
        if f[o] > f[top]:
            top = o
    s = 0.0
    for o in range(m):
        s += math.exp(f[o] - f[top])
    lse = f[top] + math.log(s)
    label = int(c)
    for o in range(m):
        delta[o] = math.exp(f[o] - lse)
    delta[label] -= 1.0
    return lse - f[label], top == label


@kernel(inline=True)
def backward(x, g, work, idata):
    """Add to ``g`` the gradient of the example whose ``forward`` pass is in ``work`` and dL/df at ``work[2 units]``."""
    L, S, W = idata[I.depth], idata[I.units], idata[I.max_width]
    cur, nxt = 2 * S, 2 * S + W  # the two delta buffers, swapped after each layer
    par = idata[I.n_params]
    dst = S - idata[I.width0 + L]
    for l in range(L - 1, -1, -1):
        a, b = idata[I.width0 + l], idata[I.width0 + l + 1]
        par -= a * b + b
        src = dst - a
        inp = work[src:dst]
        delta = work[cur:cur + b]
        for j in range(b):
            dj = delta[j]
            gw = g[par + j * a:par + (j + 1) * a]
            for i in range(a):
                gw[i] += dj * inp[i]
            g[par + a * b + j] += dj
        if l > 0:
            prev = work[nxt:nxt + a]
            for i in range(a):
                prev[i] = 0.0
            for j in range(b):
                dj = delta[j]
                w = x[par + j * a:par + (j + 1) * a]
                for i in range(a):
                    prev[i] += dj * w[i]
            der = work[S + src:S + dst]
            for i in range(a):
                prev[i] *= der[i]
            cur, nxt = nxt, cur
        dst = src


@kernel  # compiled once per dtype and called, not inlined: inlining the passes into every pairing made each compile ~20 s
def example_pass(x, g, k, X, y, work, idata, alpha, with_grad):
    """Forward pass of row k, its loss (returned with whether it is classified right) and, if ``with_grad``, its
    gradient added to ``g``."""
    d, m, S = idata[I.width0], idata[I.width0 + idata[I.depth]], idata[I.units]
    forward(x, X[k * d:(k + 1) * d], work, idata, alpha)
    loss, right = loss_and_delta(work[S - m:S], y, k, m, idata[I.loss], work[2 * S:2 * S + m])
    if with_grad:
        backward(x, g, work, idata)
    return loss, right


@kernel(inline=True)
def init(x, rs, rng, zig, fd, idata):
    how = idata[I.init]
    if how == GIVEN:
        x0 = field(fd, idata, F.x0)
        for i in range(idata[I.n_params]):
            x[i] = x0[i]
    else:
        ws, bs = field(fd, idata, F.w_scale), field(fd, idata, F.b_scale)
        par = 0
        for l in range(idata[I.depth]):
            nw = idata[I.width0 + l] * idata[I.width0 + l + 1]
            for q in range(nw + idata[I.width0 + l + 1]):
                u = normal(rng, 0, zig) if how == NORMAL else 2.0 * next_double(rng, 0) - 1.0
                x[par + q] = (ws[l] if q < nw else bs[l]) * u
            par += nw + idata[I.width0 + l + 1]
    start_sampler(rs, idata, I.n)


@kernel(inline=True)
def grad(x, g, t, rs, rng, zig, fd, idata, work):
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    alpha = value(fd, idata, F.elu_alpha)
    P = idata[I.n_params]
    for i in range(P):
        g[i] = 0.0
    first, count, key = batch_begin(rs, rng, idata, I.n)
    for j in range(count):
        k = batch_row(j, first, count, key, rng, idata, I.n)
        example_pass(x, g, k, X, y, work, idata, alpha, True)
    inv = 1.0 / count
    for i in range(P):
        g[i] *= inv


@kernel(inline=True)
def mean_loss(x, X, y, n, work, idata, alpha):
    """Mean loss and accuracy of ``x`` over the n rows of ``X``."""
    loss = 0.0
    right = 0
    for k in range(n):
        lk, ok = example_pass(x, x, k, X, y, work, idata, alpha, False)
        loss += lk
        right += ok
    return loss / n, right / n


@kernel(inline=True)
def metric_values(x, out, fd, idata, work):
    """train_loss[, train_accuracy][, test_loss[, test_accuracy]], in the order of ``MLP.metrics``."""
    alpha = value(fd, idata, F.elu_alpha)
    classify = idata[I.loss] == CROSS_ENTROPY
    loss, acc = mean_loss(x, field(fd, idata, F.X), field(fd, idata, F.y), idata[I.n], work, idata, alpha)
    out[0] = loss
    m = 1
    if classify:
        out[1] = acc
        m = 2
    if idata[I.n_test] > 0:
        loss, acc = mean_loss(x, field(fd, idata, F.X_test), field(fd, idata, F.y_test), idata[I.n_test], work,
                              idata, alpha)
        out[m] = loss
        if classify:
            out[m + 1] = acc


@kernel
def full_batch(x, g, fd, idata, work):
    """Mean training loss at ``x`` and its gradient into ``g``: every row once, in order (``MLP.loss_and_grad``)."""
    X, y = field(fd, idata, F.X), field(fd, idata, F.y)
    alpha = value(fd, idata, F.elu_alpha)
    n = idata[I.n]
    for i in range(g.shape[0]):
        g[i] = 0.0
    loss = 0.0
    for k in range(n):
        lk, _ = example_pass(x, g, k, X, y, work, idata, alpha, True)
        loss += lk
    for i in range(g.shape[0]):
        g[i] /= n
    return loss / n


@kernel
def outputs(thetas, Xq, out, fd, idata, work):
    """``out[r, k]`` = the network ``thetas[r]``'s output f at row k of ``Xq`` (flat, ``out.shape[1]`` rows)."""
    d, S = idata[I.width0], idata[I.units]
    m = idata[I.width0 + idata[I.depth]]
    alpha = value(fd, idata, F.elu_alpha)
    for r in range(thetas.shape[0]):
        for k in range(out.shape[1]):
            forward(thetas[r], Xq[k * d:(k + 1) * d], work, idata, alpha)
            for o in range(m):
                out[r, k, o] = work[S - m + o]


@kernel
def activation_values(z, a, deriv, code, alpha, degree):
    """``a`` = sigma(z) and ``deriv`` = sigma'(z) through the kernels' own ``activate``."""
    for j in range(z.shape[0]):
        a[j] = z[j]
    activate(a, deriv, z.shape[0], code, alpha, degree)


def activation(name, z, alpha=1.0, degree=2):
    """sigma(z) and sigma'(z) for the activation ``name``, computed by the kernels' code (float64)."""
    code = ACTIVATIONS.index(V.choice("activation", name, ACTIVATIONS))
    z = np.ascontiguousarray(z, dtype=np.float64).ravel()
    a, d = np.empty_like(z), np.empty_like(z)
    activation_values(z, a, d, code, float(alpha), int(degree))
    return a, d


def _widths(widths):
    try:
        w = [int(v) for v in widths]
    except (TypeError, ValueError):
        raise ValueError(f"widths must be a sequence of integers (inputs, hidden..., outputs); got {widths!r}") from None
    if not 2 <= len(w) <= MAX_LAYERS + 1 or min(w) < 1 or any(int(v) != v for v in widths):
        raise ValueError(f"widths must hold 2 to {MAX_LAYERS + 1} integers >= 1 (inputs, hidden..., outputs); "
                         f"got {tuple(widths)!r}")
    return tuple(w)


class MLP(FiniteData):
    """A multilayer perceptron trained on the rows of ``X`` (see the module docstring).

    Parameters
    ----------
    widths : (inputs, hidden..., outputs), 2 to 17 integers >= 1; ``dim`` is the parameter count.
    activation : "identity", "sigmoid", "tanh", "relu", "elu" or "polynomial", for every hidden layer.
    X, y : the data, finite; X (n, widths[0]); for "mse" y (n,) with one output or (n, outputs); for
        "cross_entropy" labels in 0..outputs-1 (0 or 1 with one output).
    loss : "mse" or "cross_entropy".
    X_test, y_test : an optional held-out set, checked as X and y; adds ``test_loss`` (and ``test_accuracy``).
    init : "pytorch", "he", "glorot" (each run draws its own) or a flat vector of ``dim`` values (every run's).
    sampling, drop_last : as for ``LeastSquares``.
    elu_alpha : > 0, the elu's value at minus infinity is -elu_alpha.
    degree : integer >= 1, the power of the polynomial activation.
    """

    layout = LAYOUT
    metrics = ("train_loss",)
    kernels = ProblemKernels(init=init, grad=grad, metrics=metric_values)

    def __init__(self, widths, activation="tanh", X=None, y=None, loss="mse", X_test=None, y_test=None,
                 init="pytorch", sampling="with_replacement", drop_last=True, elu_alpha=1.0, degree=2):
        self.widths = _widths(widths)
        self.activation = V.choice("activation", activation, ACTIVATIONS)
        self.loss = V.choice("loss", loss, LOSSES)
        self.elu_alpha = V.positive_finite("elu_alpha", elu_alpha)
        if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
            raise ValueError(f"degree must be an integer >= 1; got {degree!r}")
        self.degree = int(degree)
        self.sampling = V.choice("sampling", sampling, SAMPLING)
        self.drop_last = bool(drop_last)
        if X is None or y is None:
            raise ValueError("X and y must be given: the training rows and their targets")
        self.X, self.y = self._data(X, y, "X", "y")
        self.X_test = self.y_test = None
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together (or neither)")
        if X_test is not None:
            self.X_test, self.y_test = self._data(X_test, y_test, "X_test", "y_test")
        classify = self.loss == "cross_entropy"
        self.metrics = ("train_loss",) + (("train_accuracy",) if classify else ()) + (
            (("test_loss",) + (("test_accuracy",) if classify else ())) if X_test is not None else ())
        if isinstance(init, str):
            self.init = V.choice("init", init, INITS)
            self.x0 = None
        else:
            self.init = "given"
            try:
                x0 = np.asarray(init, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"init must be one of {INITS} or a vector of {self.dim} numbers") from None
            if x0.shape != (self.dim,):
                raise ValueError(f"init as a vector must have shape ({self.dim},) for widths {self.widths}; "
                                 f"got shape {x0.shape}")
            self.x0 = V.vector("init", x0, self.dim)

    def _data(self, X, y, x_name, y_name):
        X = finite_array(x_name, X, 2)
        if X.shape[1] != self.widths[0]:
            raise ValueError(f"{x_name} must have widths[0] = {self.widths[0]} columns (features); got {X.shape[1]}")
        n, m = X.shape[0], self.widths[-1]
        if self.loss == "mse":
            y = finite_array(y_name, y, 1 if np.ndim(y) == 1 else 2)
            if y.shape != ((n,) if m == 1 and y.ndim == 1 else (n, m)):
                raise ValueError(f"{y_name} must have shape ({n},{' ' + str(m) if m > 1 else ''}): one target per "
                                 f"row of {x_name} and output; got {y.shape}")
            return X, y.reshape(n, m)
        y = finite_array(y_name, y, 1)
        if y.shape != (n,):
            raise ValueError(f"{y_name} must have shape ({n},), one label per row of {x_name}; got {y.shape}")
        k = max(m, 2)
        if not np.all((y == np.round(y)) & (y >= 0) & (y < k)):
            bad = np.unique(y[(y != np.round(y)) | (y < 0) | (y >= k)])[:5]
            raise ValueError(f"{y_name} must hold class labels 0..{k - 1} (widths[-1] = {m} outputs); "
                             f"got also {bad.tolist()}")
        return X, y

    @property
    def dim(self):
        w = self.widths
        return sum(w[l] * w[l + 1] + w[l + 1] for l in range(len(w) - 1))

    @property
    def depth(self):
        return len(self.widths) - 1

    def work_size(self, batch_size):
        return 2 * sum(self.widths) + 2 * max(self.widths)

    def layers(self, theta):
        """``[(W_1, b_1), ..., (W_L, b_L)]``: the flat ``theta`` (last axis) cut into ``nn.Linear``'s shapes.

        For ``theta`` of shape (..., dim), W_l has shape (..., w_l, w_{l-1}) and b_l (..., w_l).
        """
        theta = np.asarray(theta)
        lead = theta.shape[:-1]
        out, par = [], 0
        for a, b in zip(self.widths[:-1], self.widths[1:]):
            out.append((theta[..., par:par + a * b].reshape(lead + (b, a)), theta[..., par + a * b:par + a * b + b]))
            par += a * b + b
        return out

    def _scales(self):
        fan_in, fan_out = np.array(self.widths[:-1], float), np.array(self.widths[1:], float)
        if self.init == "pytorch":
            return UNIFORM, 1.0 / np.sqrt(fan_in), 1.0 / np.sqrt(fan_in)
        if self.init == "he":
            return NORMAL, np.sqrt(2.0 / fan_in), np.zeros(self.depth)
        if self.init == "glorot":
            return NORMAL, np.sqrt(2.0 / (fan_in + fan_out)), np.zeros(self.depth)
        return GIVEN, np.zeros(self.depth), np.zeros(self.depth)

    def pack(self, batch_size, dtype):
        how, ws, bs = self._scales()
        has_test = self.X_test is not None
        widths = {f"width{l}": self.widths[l] if l < len(self.widths) else 0 for l in range(MAX_LAYERS + 1)}
        return LAYOUT.pack(dtype, x0=[] if self.x0 is None else self.x0, X=self.X, y=self.y,
                           X_test=self.X_test if has_test else [], y_test=self.y_test if has_test else [],
                           w_scale=ws, b_scale=bs, elu_alpha=self.elu_alpha, depth=self.depth,
                           units=sum(self.widths), max_width=max(self.widths), n_params=self.dim,
                           activation=ACTIVATIONS.index(self.activation), degree=self.degree,
                           loss=LOSSES.index(self.loss), init=how,
                           n_test=self.X_test.shape[0] if has_test else 0, **widths,
                           **self.sampler_fields(batch_size))

    def loss_and_grad(self, theta):
        """Mean training loss at ``theta`` and its full gradient, by the kernels' forward and backward passes."""
        fd, idata = self.pack(1, np.dtype(np.float64))
        x = np.ascontiguousarray(V.vector("theta", theta, self.dim))
        g = np.empty(self.dim)
        loss = full_batch(x, g, fd, idata, np.zeros(self.work_size(1)))
        return loss, g

    def predict(self, theta, X):
        """The outputs f of the networks ``theta`` ((dim,) or (runs, dim)) at the rows of ``X``: (runs, rows, outputs)."""
        thetas = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if thetas.shape[1] != self.dim:
            raise ValueError(f"theta must have {self.dim} entries per network; got {thetas.shape[1]}")
        Xq = finite_array("X", X, 2)
        if Xq.shape[1] != self.widths[0]:
            raise ValueError(f"X must have widths[0] = {self.widths[0]} columns; got {Xq.shape[1]}")
        fd, idata = self.pack(1, np.dtype(np.float64))
        out = np.empty((thetas.shape[0], Xq.shape[0], self.widths[-1]))
        outputs(np.ascontiguousarray(thetas), Xq.ravel(), out, fd, idata, np.zeros(self.work_size(1)))
        return out

    @classmethod
    def example(cls):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(8, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(float) + (X[:, 0] > 1)
        return cls((2, 3, 3), "tanh", X, y, loss="cross_entropy", X_test=X[:3] + 0.5, y_test=y[:3],
                   sampling="epochs", drop_last=False)

    def params(self):
        return {"problem": "MLP", **self.sampler_params(), "params": self.dim, "widths": list(self.widths), "activation": self.activation,
                "loss": self.loss, "init": self.init, "elu_alpha": self.elu_alpha, "degree": self.degree,
                "n_test": 0 if self.X_test is None else self.X_test.shape[0]}

    def __repr__(self):
        return (f"MLP(widths={self.widths}, activation={self.activation!r}, loss={self.loss!r}, n={self.n}, "
                f"init={self.init!r}, sampling={self.sampling!r})")
