"""When a recorded curve first reaches a level (``first_at_or_below``), with and without a band."""
import numpy as np

from simsgd.engine.statistics import first_at_or_below

CURVE = np.array([9.0, 5.0, 3.0, 2.0, 2.5, 1.0])


def test_first_record_at_or_below_the_level():
    assert first_at_or_below(CURVE, 3.0) == 2  # at the level counts
    assert first_at_or_below(CURVE, 2.9) == 3
    assert first_at_or_below(CURVE, 2.2) == 3  # the first time, though the curve rises above it again
    assert first_at_or_below(CURVE, 1.5) == 5


def test_reached_at_the_first_record():
    assert first_at_or_below(CURVE, 9.0) == 0
    assert first_at_or_below(CURVE, 9.0, steps=[10, 20, 30, 40, 50, 60]) == 10


def test_never_reached_is_minus_one():
    assert first_at_or_below(CURVE, 0.5) == -1
    assert first_at_or_below(CURVE, 0.5, steps=np.arange(6) * 100) == -1
    assert first_at_or_below([], 1.0) == -1
    assert first_at_or_below([np.nan, np.inf, np.nan], 1e300) == -1  # diverged means never reach anything


def test_steps_are_those_of_the_records():
    steps = np.array([0, 7, 14, 21, 28, 35])
    assert first_at_or_below(CURVE, 3.0, steps) == 14
    assert isinstance(first_at_or_below(CURVE, 3.0, steps), int)


def test_band_gives_possibly_likely_surely():
    sem = np.full(CURVE.size, 0.5)
    # curve - 2 sem = [8, 4, 2, 1, 1.5, 0], curve + 2 sem = [10, 6, 4, 3, 3.5, 2]
    assert first_at_or_below(CURVE, 2.0, sem=sem, z=2.0) == (2, 3, 5)
    assert first_at_or_below(CURVE, 2.0, steps=np.arange(6) * 10, sem=0.5, z=2.0) == (20, 30, 50)  # one sem for all
    assert first_at_or_below(CURVE, 1.5, sem=sem, z=2.0) == (3, 5, -1)  # surely: never
    assert first_at_or_below(CURVE, -1.0, sem=sem, z=2.0) == (-1, -1, -1)
    assert first_at_or_below(CURVE, 9.0, sem=sem, z=2.0) == (0, 0, 1)
    assert first_at_or_below(CURVE, 2.0, sem=sem) == (3, 3, 3)  # z = 0: the band collapses on the curve
