"""Independent NumPy oracles for the studies: the update rules written from their docstrings' formulas,
and a plain NumPy simulation of the noisy quadratic. Nothing here calls a kernel, so a bug planted in a
kernel shows up as a disagreement with these."""
from .quadratic import simulate_quadratic
from .rules import RULES, make_rule, replay_rule

__all__ = ["RULES", "make_rule", "replay_rule", "simulate_quadratic"]
