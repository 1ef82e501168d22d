"""The optimizer family: framework goldens, the lecture's worked numbers, bad hyperparameters."""
import json
from pathlib import Path

import numpy as np
import pytest

import simsgd as ss

GOLDENS = json.loads((Path(__file__).parent / "fixtures" / "optimizer_goldens.json").read_text())
CASES = GOLDENS["cases"]


def _kwargs(case):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['framework']}-{c['name']}-{i}" for i, c in enumerate(CASES)])
def test_reproduces_the_framework(case):
    opt = ss.from_framework(case["framework"], case["name"], **_kwargs(case))
    got = ss.replay(opt, GOLDENS["meta"]["theta0"], np.array(GOLDENS["meta"]["grads"]))
    want = np.array(case["trajectory"])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_every_framework_optimizer_has_a_golden():
    covered = {(c["framework"], c["name"]) for c in CASES}
    for fw, table in ss.optimizers.FRAMEWORKS.items():
        for name in table:
            assert (fw, name) in covered, (fw, name)


def test_lecture_bias_correction_numbers():
    # C20: with b1 = 0.9, m_1 = 0.1 g_1 and m_2 = 0.1 g_2 + 0.09 g_1; corrected, the weights sum to 1
    g = np.array([[1.0, 0.0], [0.0, 1.0]])
    plain = -np.diff(ss.replay(ss.Momentum(1.0, b1=0.9), 0.0, g), axis=0)
    np.testing.assert_allclose(plain, [[0.1, 0.0], [0.09, 0.1]], rtol=1e-14)
    corrected = -np.diff(ss.replay(ss.Momentum(1.0, b1=0.9, bias_correction=True), 0.0, g), axis=0)
    np.testing.assert_allclose(corrected[1].sum(), 1.0, rtol=1e-14)
    np.testing.assert_allclose(corrected[1], [0.09 / 0.19, 0.1 / 0.19], rtol=1e-14)


@pytest.mark.parametrize("make,pattern", [
    (lambda: ss.Momentum(0.1, b1=1.0), r"b1 must be a finite number in \[0.0, 1.0\)"),
    (lambda: ss.HeavyBall(0.1, momentum=-0.1), r"b1 must be .* \(given as momentum\)"),
    (lambda: ss.HeavyBall(0.1, dampening=0.1, nesterov=True), r"dampening must be 0"),
    (lambda: ss.Adagrad(0.1, eps=0.0), r"eps must be > 0 when initial_accumulator is 0"),
    (lambda: ss.RMSProp(0.1, rho=1.5), r"b2 must be .* \(given as rho\)"),
    (lambda: ss.Adam(0.1, eps_placement="under"), r"eps_placement must be one of"),
    (lambda: ss.Adam(0.1, b2=1.0), r"b2 must be"),
    (lambda: ss.Adamax(-1.0), r"lr must be a finite number > 0"),
    (lambda: ss.Nadam(0.1, momentum_decay=-1.0), r"momentum_decay must be"),
    (lambda: ss.Adadelta(rho=-0.5), r"b2 must be .* \(given as rho\)"),
    (lambda: ss.Adam(0.1, amsgrad="yes"), r"amsgrad must be True or False"),
    (lambda: ss.RMSProp(0.1, eps_placement="scaled"), r"eps_placement must be one of 'inside', 'outside'"),
    (lambda: ss.from_framework("jax", "adam"), r"framework must be one of"),
    (lambda: ss.from_framework("pytorch", "Lion"), r"name must be one of"),
    (lambda: ss.from_framework("pytorch", "Adam", weight_decay=0.01), r"weight_decay=0.01 is not supported"),
    (lambda: ss.from_framework("pytorch", "Adam", betas=(0.9,)), r"betas must be a pair"),
    (lambda: ss.from_framework("keras", "RMSprop", centered=True), r"centered=True is not supported"),
    (lambda: ss.from_framework("optax", "adam"), r"learning_rate is required"),
    (lambda: ss.from_framework("optax", "adam", learning_rate=0.1, lr=0.1), r"lr is not an argument"),
])
def test_bad_hyperparameters(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_replay_rejects_bad_input():
    with pytest.raises(ValueError, match=r"grads must have shape \(T, d\)"):
        ss.replay(ss.SGD(0.1), 0.0, np.zeros(3))
    with pytest.raises(ValueError, match="optimizer must be"):
        ss.replay("adam", 0.0, np.zeros((2, 3)))
