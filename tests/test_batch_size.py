"""Steps to a target loss, the best rate per batch size, and McCandlish's fit, against direct computation."""
import numpy as np
import pytest

from simsgd import theory

H = 1.0 / np.arange(1, 11)


@pytest.mark.parametrize("lr,B", [(0.1, 1), (0.5, 8), (1.5, 64)])
def test_steps_to_loss_is_the_first_crossing(lr, B):
    target = 0.2 * 0.5 * H.sum()
    t = theory.sgd_steps_to_loss(lr, H, 1.0, H, B, target)
    loss = theory.sgd_loss(np.arange(t + 1), lr, H, 1.0, H, B)
    assert t > 1 and loss[t] <= target and np.all(loss[:t] > target)


def test_unreachable_targets_are_infinite():
    assert theory.sgd_steps_to_loss(0.5, H, 1.0, H, 1, 1e-6) == float("inf")  # the ball is above the target
    assert theory.sgd_steps_to_loss(2.5, H, 1.0, H, 1, 1.0) == float("inf")  # unstable: alpha h_1 > 2


def test_best_rate_beats_its_neighbours():
    target = 0.01 * 0.5 * H.sum()
    for B in (1, 32, 1024):
        steps, lr = theory.best_rate_steps(H, 1.0, H, B, target)
        for f in (0.8, 1.25):
            assert theory.sgd_steps_to_loss(f * lr, H, 1.0, H, B, target) >= steps


def test_preconditioning_is_sgd_on_a_rescaled_quadratic():
    # theta <- theta - lr H^-p (H theta + xi), Var xi = s: iterate it exactly per direction and compare
    p, lr, B = 0.5, 0.2, 4
    lam, s2, e0 = theory.precondition(H, H, np.ones(10), p)
    t = np.arange(50)
    a = lr * H**-p
    r = (1 - a * H) ** 2
    direct = 0.5 * (H * (r ** t[:, None] + a**2 * (H / B) * (1 - r ** t[:, None]) / (1 - r))).sum(axis=1)
    np.testing.assert_allclose(theory.sgd_loss(t, lr, lam, np.sqrt(e0), s2, B), direct, rtol=1e-12)


def test_critical_batch_fit_recovers_a_hyperbola():
    B = 2.0 ** np.arange(12)
    s_min, b_crit, err = theory.fit_critical_batch(B, 40 * (1 + 300 / B))
    assert s_min == pytest.approx(40) and b_crit == pytest.approx(300) and err < 1e-8


@pytest.mark.parametrize("lr,B", [(0.02, 1), (0.5, 16)])
def test_momentum_steps_to_loss_is_the_first_crossing_of_the_exact_loss(lr, B):
    H = 1.0 / np.arange(1, 9)
    b1 = 0.9
    loss = theory.momentum_error_sq(3000, lr, b1, H, np.ones(8), H, B, weights=H / 2)
    target = 0.05 * loss[0]
    t = theory.momentum_steps_to_loss(lr, b1, H, 1.0, H, B, target)
    assert loss[t] <= target < loss[t - 1]
    assert theory.momentum_steps_to_loss(lr, b1, H, 1.0, H, B, 1e-6) == float("inf")  # the ball is above it
    assert theory.momentum_steps_to_loss(2 * 1.9 / 0.1 / H[0], b1, H, 1.0, H, B, target) == float("inf")  # unstable


def test_momentum_with_zero_b1_is_sgd():
    H = 1.0 / np.arange(1, 9)
    for lr in (0.1, 1.0, 1.9):
        assert theory.momentum_steps_to_loss(lr, 0.0, H, 1.0, H, 4, 0.02) == theory.sgd_steps_to_loss(lr, H, 1.0, H, 4, 0.02)


def test_best_momentum_rate_beats_sgd_at_large_batches_only():
    H = 1.0 / np.arange(1, 51)
    target = 0.01 * 0.5 * H.sum()
    s_small, m_small = (theory.best_rate_steps(H, 1.0, H, 1, target, b1=b)[0] for b in (0.0, 0.5))
    s_big, m_big = (theory.best_rate_steps(H, 1.0, H, 4096, target, b1=b)[0] for b in (0.0, 0.5))
    assert abs(m_small / s_small - 1) < 0.1  # noise-dominated: momentum is SGD at an effective rate
    assert m_big < 0.5 * s_big  # curvature-dominated: momentum's larger stable rate pays


def test_the_monotone_search_finds_the_scans_crossing():
    """SGD's loss never rises when every direction starts above its limit: bisection must give the scan's step."""
    from simsgd.theory import batch_size as bs

    lam, e0, s2 = np.geomspace(1e-3, 1, 50), np.ones(50), np.geomspace(1e-3, 1, 50)
    checked = 0
    for lr in np.geomspace(1e-3, 1.99, 25):
        for B in (1, 64):
            for target in (0.01, 0.3):
                r = (1 - lr * lam) ** 2
                limit = lr * lr * s2 / (B * (1 - r))
                const, coef = 0.5 * np.sum(lam * limit), 0.5 * lam * (e0 - limit)
                if const > target or not np.all(coef >= 0):
                    continue
                for cap in (10**8, 50):  # the scan may also report a crossing past the cap, within its last chunk
                    scan = bs._first_crossing(const, coef, r, target, cap)
                    assert bs._first_crossing_monotone(const, coef, r, target, cap) == (scan if scan <= cap
                                                                                       else float("inf"))
                checked += 1
    assert checked > 40
