"""Per-coordinate adaptive rates: Adagrad, RMSProp, Adam, Adamax, Nadam, Adadelta.

Claims C22, C23, C24, C25, C27 and C28. Against an independent oracle (``simsgd.oracle``, plain
NumPy written from these formulas): on a noisy quadratic with curvatures from 0.01 to 1 in six
dimensions and epsilon = 0.01, comparable to v (so its placement matters), each rule is simulated by
simsgd and by NumPy with its own random numbers, and the mean error curves must agree within their
joint standard error; fed the same random gradients, the compiled step and the oracle give the same
iterates. The forms, all state starting at 0, m_hat = m_t / (1 - b1^t), v_hat = v_t / (1 - b2^t):
    Adagrad (C22)   s_t = s_{t-1} + g_t^2,                     theta -= lr g_t / sqrt(s_t + eps)
    RMSProp (C23)   v_t = rho v_{t-1} + (1 - rho) g_t^2,        theta -= lr g_t / sqrt(v_t + eps), and
                                                               with v_t / (1 - rho^t) (bias-corrected)
    Adam (C24)      m_t, v_t with b1, b2,                       theta -= lr m_hat / sqrt(v_hat + eps)   (lecture)
                                                               theta -= lr m_hat / (sqrt(v_hat) + eps) (paper)
    Adamax (C25)    u_t = max(b2 u_{t-1}, |g_t|),               theta -= lr m_hat / (u_t + eps)
    Nadam (C27)     constant b1 (optax),  theta -= lr [b1 m_t / (1 - b1^(t+1)) + (1 - b1) g_t / (1 - b1^t)]
                                                               / (sqrt(v_hat) + eps)
    Adadelta (C28)  s_t as RMSProp, dx = sqrt(D_{t-1} + eps) / sqrt(s_t + eps) g_t,
                    D_t = rho D_{t-1} + (1 - rho) dx^2,        theta -= alpha0 dx
Also: on two separable directions with curvatures 0.01 and 1 (noise-free) SGD needs ~kappa times more
steps on the flat one, the adaptive rules about as many on both; read off the compiled steps: Adagrad's
rate decays like alpha / sqrt(t) under a constant gradient, Adamax's u_t after one unit gradient,
Nadam's look-ahead average. C28's "alpha0 is not a learning rate" is judged on a noisy quadratic:
Adadelta at alpha0 = 0.5, 1, 2 against Adam at alpha / 2, alpha, 2 alpha; if doubling alpha0
multiplies the final error significantly, alpha0 acts as a learning rate and the claim, read
literally, is refuted.
"""
import numpy as np

import simsgd as ss
from simsgd.engine.statistics import first_at_or_below, z_threshold
from simsgd.oracle import replay_rule, simulate_quadratic
from simsgd.workflow.claims import Claim

CLAIMS = ("C22", "C23", "C24", "C25", "C27", "C28")
_BASE = {"flat": 0.01, "steep": 1.0, "coord_steps": 600, "target": 0.01, "read_steps": 40,
         "b1": 0.9, "b2": 0.999, "ball_dim": 10, "ball_noise": 0.5, "ball_steps": 12000, "adam_lr": 0.05}
_BASE.update({"oracle_dim": 6, "oracle_noise": 0.1, "oracle_eps": 1e-2, "oracle_lr": 0.05, "oracle_rho": 0.9,
              "oracle_steps": 400, "oracle_every": 10, "replay_steps": 200})
SCALES = {"quick": {**_BASE, "runs": 300, "oracle_runs": 4000}, "full": {**_BASE, "runs": 5000, "oracle_runs": 20_000}}
_RULES = {"SGD": ss.SGD(1.0), "Adagrad": ss.Adagrad(0.1), "RMSProp": ss.RMSProp(0.01, bias_correction=True),
          "Adam": ss.Adam(0.01)}
# oracle rule -> the claim it supports
_ORACLE_CLAIM = {"Adagrad": "C22", "RMSProp": "C23", "RMSProp_corrected": "C23", "Adam": "C24",
                 "Adam_eps_outside": "C24", "Adamax": "C25", "Nadam": "C27", "Adadelta": "C28"}


def _oracle_rules(p):
    """name -> (simsgd rule, NumPy oracle rule, its hyperparameters), all from the module docstring."""
    lr, eps, rho, b1, b2 = p["oracle_lr"], p["oracle_eps"], p["oracle_rho"], p["b1"], p["b2"]
    adam = dict(lr=lr, b1=b1, b2=b2, eps=eps)
    return {
        "Adagrad": (ss.Adagrad(lr, eps=eps), "adagrad", dict(lr=lr, eps=eps)),
        "RMSProp": (ss.RMSProp(lr, rho=rho, eps=eps), "rmsprop", dict(lr=lr, rho=rho, eps=eps)),
        "RMSProp_corrected": (ss.RMSProp(lr, rho=rho, eps=eps, bias_correction=True), "rmsprop",
                              dict(lr=lr, rho=rho, eps=eps, bias_correction=True)),
        "Adam": (ss.Adam(lr, b1, b2, eps), "adam", adam),
        "Adam_eps_outside": (ss.Adam(lr, b1, b2, eps, eps_placement="outside"), "adam",
                             dict(adam, placement="outside")),
        "Adamax": (ss.Adamax(lr, b1, b2, eps), "adamax", adam),
        "Nadam": (ss.Nadam(lr, b1, b2, eps, momentum_decay=None), "nadam", adam),
        "Adadelta": (ss.Adadelta(1.0, rho, eps), "adadelta", dict(lr=1.0, rho=rho, eps=eps)),
    }


def _oracle_problem(p):
    return ss.Quadratic(np.logspace(-2, 0, p["oracle_dim"]), p["oracle_noise"], 1.0)


def _impulse(n):
    g = np.zeros((n, 1))
    g[0, 0] = 1.0
    return g


def simulate(p, ctx):
    out = {}
    for name, opt in _RULES.items():
        for tag in ("flat", "steep"):
            r = ctx.curve(f"{name}_{tag}", ss.Quadratic([p[tag]], 0.0, 1.0), opt, 1, p["coord_steps"])
            out[f"coord_{name}_{tag}"] = r["mean"]
    T = p["read_steps"]
    out["adagrad_steps"] = -np.diff(ss.replay(ss.Adagrad(1.0, eps=1e-300), 0.0, np.ones((T, 1)))[:, 0])
    out["adamax_steps"] = -np.diff(ss.replay(ss.Adamax(1.0, p["b1"], p["b2"], eps=0.0), 0.0, _impulse(T))[:, 0])
    g = np.random.default_rng(0).normal(size=(T, 1))
    out["nadam_grads"] = g[:, 0]
    out["nadam_steps"] = -np.diff(ss.replay(ss.Nadam(1.0, p["b1"], p["b2"], 1e-8, momentum_decay=None), 0.0,
                                            g)[:, 0])
    prob = ss.Quadratic(np.linspace(0.1, 1.0, p["ball_dim"]), p["ball_noise"], 2.0)
    balls = []
    for i, opt in enumerate([ss.Adadelta(a) for a in (0.5, 1.0, 2.0)]
                            + [ss.Adam(p["adam_lr"] * a) for a in (0.5, 1.0, 2.0)]):
        r = ctx.curve(f"ball{i}", prob, opt, p["runs"], p["ball_steps"], first_run=i * p["runs"],
                      record_every=p["ball_steps"] // 40)
        balls.append(r)
    out["ball_steps"] = balls[0]["steps"]
    out["ball_mean"] = np.stack([b["mean"] for b in balls])
    out["ball_sem"] = np.stack([b["sem"] for b in balls])
    out["ball_diverged"] = np.stack([b["diverged"] for b in balls])
    prob = _oracle_problem(p)
    grads = np.random.default_rng(1).normal(size=(p["replay_steps"], p["oracle_dim"]))
    grads *= np.geomspace(0.01, 1.0, p["oracle_dim"])  # from below sqrt(eps) to above it
    for i, (name, (opt, rule, hyper)) in enumerate(_oracle_rules(p).items()):
        r = ctx.curve(f"oracle_{name}", prob, opt, p["oracle_runs"], p["oracle_steps"],
                      record_every=p["oracle_every"], first_run=10 * p["runs"] + i * p["oracle_runs"])
        out[f"oracle_{name}_sim"] = np.stack([r["mean"], r["sem"]])
        out[f"oracle_{name}_diverged"] = r["diverged"]
        out[f"oracle_{name}_numpy"] = ctx.point(f"numpy_{name}", lambda: {"curve": simulate_quadratic(
            rule, hyper, prob.eigenvalues, p["oracle_noise"], 1.0, p["oracle_runs"], p["oracle_steps"],
            p["oracle_every"], [ctx.seed, i])})["curve"]
        out[f"replay_{name}_sim"] = ss.replay(opt, 1.0, grads)
        out[f"replay_{name}_numpy"] = replay_rule(rule, 1.0, grads, **hyper)
        out["oracle_steps"] = r["steps"]
    return out


def verdict(data, p):
    reach = {name: {tag: first_at_or_below(data[f"coord_{name}_{tag}"], p["target"]) for tag in ("flat", "steep")}
             for name in _RULES}
    ratio = {n: (r["flat"] / r["steep"]) if min(r.values()) > 0 else float("inf") for n, r in reach.items()}
    b1, b2, T = p["b1"], p["b2"], p["read_steps"]
    t = np.arange(1, T + 1)
    # Nadam (constant schedule) from the same gradients, written out
    g = data["nadam_grads"]
    m = v = 0.0
    want = []
    for k, gk in enumerate(g, start=1):
        m = b1 * m + (1 - b1) * gk
        v = b2 * v + (1 - b2) * gk * gk
        mh = b1 * m / (1 - b1 ** (k + 1)) + (1 - b1) * gk / (1 - b1**k)
        want.append(mh / (np.sqrt(v / (1 - b2**k)) + 1e-8))
    err = {"adagrad_1_over_sqrt_t": float(np.max(np.abs(data["adagrad_steps"] - 1 / np.sqrt(t)))),
           "adamax": float(np.max(np.abs(data["adamax_steps"]
                                         - (1 - b1) * b1 ** (t - 1) / ((1 - b1**t) * b2 ** (t - 1))))),
           "nadam_lookahead_average": float(np.max(np.abs(data["nadam_steps"] - np.array(want))))}
    final, fsem = data["ball_mean"][:, -1], data["ball_sem"][:, -1]
    mid = data["ball_steps"].size // 2
    half, half_step = data["ball_mean"][:, mid], int(data["ball_steps"][mid])
    diverged = int(data["ball_diverged"][:, -1].sum())
    numbers = {"runs": p["runs"], "steps_to_target": reach, "flat_over_steep": ratio,
               "max_abs_readoff_error": err,
               "adadelta_ball_alpha0_0.5_1_2": final[:3].tolist(), "adam_ball_lr_x0.5_1_2": final[3:].tolist(),
               "adadelta_ball_ratio_2_over_1": float(final[2] / final[1]),
               "adadelta_error_at_half_horizon_alpha0_0.5_1_2": half[:3].tolist(),
               "adam_ball_ratio_2_over_1": float(final[5] / final[4]), "diverged": diverged}
    oracle = list(_oracle_rules(p))
    zc = z_threshold(len(oracle) * (data["oracle_steps"].size - 1) + 2)
    zmax, rep = {}, {}
    for name in oracle:
        (a, sa), (b, sb) = data[f"oracle_{name}_sim"][:, 1:], data[f"oracle_{name}_numpy"][:, 1:]
        zmax[name] = float(np.max(np.abs(a - b) / np.sqrt(sa**2 + sb**2)))
        want = data[f"replay_{name}_numpy"]
        rep[name] = float(np.max(np.abs(data[f"replay_{name}_sim"] - want)) / np.max(np.abs(want)))
    ball = {name: float(data[f"oracle_{name}_sim"][0, -1]) for name in oracle}
    (ai, si), (ao, so) = data["oracle_Adam_sim"][:, -1], data["oracle_Adam_eps_outside_sim"][:, -1]
    z_place = float((ai - ao) / np.hypot(si, so))
    # log ratio of the Adadelta balls at alpha0 = 2 and 1, and its standard error (delta method)
    z_alpha0 = float(np.log(final[2] / final[1]) / np.hypot(fsem[2] / final[2], fsem[1] / final[1]))
    o_div = int(sum(data[f"oracle_{n}_diverged"][-1] for n in oracle))
    numbers.update({"oracle_runs": p["oracle_runs"], "oracle_z_critical": zc,
                    "oracle_max_abs_z_simsgd_vs_numpy": zmax, "replay_max_rel_diff_vs_numpy": rep,
                    "oracle_final_error_sq": ball,
                    "adam_final_error_eps_inside_over_outside": ball["Adam"] / ball["Adam_eps_outside"],
                    "adam_eps_placement_z": z_place, "adadelta_alpha0_doubling_z": z_alpha0,
                    "oracle_diverged": o_div})

    def oracle_checks(*names):
        return {"matches_numpy_oracle": all(zmax[n] < zc for n in names),
                "same_gradients_same_iterates": all(rep[n] < 1e-10 for n in names),
                "no_divergence": o_div == 0 and diverged == 0}

    def vs(*names):
        return ", ".join(f"{n.replace('_', ' ')} max |z| {zmax[n]:.2f}" for n in names) + f" (threshold {zc:.2f})"

    even = lambda n: ratio[n] < ratio["SGD"] / 10
    steps = lambda n: f"{reach[n]['flat']} vs {reach[n]['steep']}"
    claims = {
        "C22": Claim("supported", (
            f"vs NumPy: {vs('Adagrad')}; per-coordinate: steps to the target on λ = {p['flat']} vs {p['steep']}: "
            f"Adagrad {steps('Adagrad')}, SGD {steps('SGD')}; the rate decays as α/√t (read off, "
            f"{err['adagrad_1_over_sqrt_t']:.0e})"),
            {**oracle_checks("Adagrad"), "per_coordinate": even("Adagrad"),
             "rate_decays_as_one_over_sqrt_t": err["adagrad_1_over_sqrt_t"] < 1e-12}),
        "C23": Claim("supported", (
            f"vs NumPy, without and with bias correction: {vs('RMSProp', 'RMSProp_corrected')}; per-coordinate: "
            f"{steps('RMSProp')} steps"), {**oracle_checks("RMSProp", "RMSProp_corrected"),
                                            "per_coordinate": even("RMSProp")}),
        "C24": Claim("supported", (
            f"vs NumPy: {vs('Adam', 'Adam_eps_outside')}; ε = {p['oracle_eps']} inside the root (lecture) leaves "
            f"{ball['Adam'] / ball['Adam_eps_outside']:.3f}× the final error of ε outside (paper), z {z_place:.1f}; "
            f"per-coordinate: {steps('Adam')} steps"),
            {**oracle_checks("Adam", "Adam_eps_outside"), "per_coordinate": even("Adam"),
             "eps_placement_matters": abs(z_place) > zc}),
        "C25": Claim("supported", (
            f"vs NumPy: {vs('Adamax')}; u_t = max(β2 u_(t-1), |g_t|) read off after one unit gradient "
            f"({err['adamax']:.0e})"), {**oracle_checks("Adamax"), "infinity_norm_read_off": err["adamax"] < 1e-12}),
        "C27": Claim("supported", (
            f"vs NumPy: {vs('Nadam')}; the update uses the look-ahead average β1 m̂_t + (1−β1) g_t/(1−β1^t) "
            f"(read off, {err['nadam_lookahead_average']:.0e})"),
            {**oracle_checks("Nadam"), "lookahead_average_read_off": err["nadam_lookahead_average"] < 1e-12}),
        "C28": Claim("refuted", (
            f"α0 acts as a learning rate: doubling it from 1 to 2 multiplies the final error by "
            f"{final[2] / final[1]:.2f} (z {z_alpha0:.0f}), as doubling Adam's α does ({final[5] / final[4]:.2f}); "
            f"at α0 = 0.5, 1, 2 the error is {', '.join(f'{v:.3f}' for v in half[:3])} at step {half_step:,} and "
            f"{', '.join(f'{v:.3f}' for v in final[:3])} at {p['ball_steps']:,} ({p['runs']:,} runs): below 1 a smaller "
            f"α0 mostly slows the approach, above 1 it scales the ball, the two faces of a learning rate. What holds: "
            f"the rate α0 √(D+ε)/√(s+ε) is picked per coordinate and α0 = 1 converges untuned. Simulator vs NumPy: "
            f"{vs('Adadelta')}"),
            {**oracle_checks("Adadelta"), "alpha0_scales_the_error": z_alpha0 > zc}),
    }
    return claims, numbers


def plot(data, p, passed, numbers, path):
    from simsgd.workflow.plotting import band, marks, style, verdict_title

    with style() as plt:
        fig, ax = plt.subplots(1, 4, figsize=(20, 4.2))
        s = np.arange(p["coord_steps"] + 1)
        for i, name in enumerate(_RULES):
            for tag, ls in (("flat", "-"), ("steep", "--")):
                ax[0].plot(s + 1, data[f"coord_{name}_{tag}"], ls, color=f"C{i}",
                           label=f"{name}, λ = {p[tag]}" if tag == "flat" else None)
        ax[0].axhline(p["target"], color="k", lw=0.8, ls=":", label=f"target {p['target']:g} (steps to it in the caption)")
        ax[0].plot([], [], "k--", label=f"dashed: λ = {p['steep']} (a drop off the axis: x* reached to rounding)")
        ax[0].set(xscale="log", yscale="log", xlabel="step t + 1", ylabel="(x_t - x*)²", ylim=(1e-8, 2))
        verdict_title(ax[0], passed, f"per-coordinate rates, solid λ = {p['flat']}, dashed λ = {p['steep']}")
        ax[0].legend()
        t = np.arange(1, p["read_steps"] + 1)
        ax[1].plot(t, data["adagrad_steps"], "o", ms=3, label="Adagrad step, constant gradient (kernel)")
        ax[1].plot(t, 1 / np.sqrt(t), "k-", lw=0.8, label="α / √t")
        ax[1].set(xscale="log", yscale="log", xlabel="step t", ylabel="step size / α", title="Adagrad's decay")
        ax[1].legend()
        st = data["ball_steps"]
        labels = [f"Adadelta α0 = {a}" for a in (0.5, 1, 2)] + [f"Adam α = {p['adam_lr'] * a:g}" for a in (0.5, 1, 2)]
        for i, lab in enumerate(labels):
            band(ax[2], st, data["ball_mean"][i], data["ball_sem"][i], lab, color=f"C{i}",
                 ls="-" if i < 3 else "--")
        ax[2].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"noisy quadratic, {p['runs']} runs: the balls")
        ax[2].legend(ncol=2)
        so = data["oracle_steps"]
        for i, name in enumerate(_oracle_rules(p)):
            mean, sem = data[f"oracle_{name}_sim"]
            band(ax[3], so, mean, sem, f"{name} (simsgd)", color=f"C{i}", **marks(i, so.size))
            ax[3].plot(so, data[f"oracle_{name}_numpy"][0], "k:", lw=1)
        ax[3].plot([], [], "k:", label="NumPy from the formulas")
        ax[3].set(yscale="log", xlabel="step t", ylabel="E||θ_t - θ*||²",
                  title=f"vs a NumPy oracle: max|z| = {max(numbers['oracle_max_abs_z_simsgd_vs_numpy'].values()):.2f}"
                        f" (ε = {p['oracle_eps']})")
        ax[3].legend()
        fig.savefig(path)
        plt.close(fig)


if __name__ == "__main__":
    from simsgd.cli import main_for

    main_for(__file__)
