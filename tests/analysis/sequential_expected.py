#!/usr/bin/env python3
"""Independent computation of the sequential tests' evidence for small counts (issue 13).

Written from the definitions in docs/analysis.md with plain probabilities (no logarithms, no shared code
with analysis/statistics/), in exact rational arithmetic where the grid allows. Its output is the
expected table in tests/analysis/sequential_analysis_test.cpp: python3 tests/analysis/sequential_expected.py
"""
from fractions import Fraction as F

BAD_RATE_GRID = [F(11, 10), F(5, 4), F(3, 2), F(2), F(3), F(5), F(10), F(30), F(100)]
SPLIT_MORE = [F(6, 5), F(3, 2), F(2), F(4), F(10), F(100)]
SPLIT_LESS = [1 / m for m in [F(6, 5), F(3, 2), F(2), F(4), F(10), F(100)]]


def tilted(theta0, psi):
    odds = psi * theta0 / (1 - theta0)
    return odds / (1 + odds)


def mixture(batches, grid):
    """batches: (events on A, events on B, null probability of A)."""
    total = F(0)
    for psi in grid:
        lr = F(1)
        for a, b, theta0 in batches:
            theta1 = tilted(theta0, psi)
            lr *= (theta1 / theta0) ** a * ((1 - theta1) / (1 - theta0)) ** b
        total += lr
    return total / len(grid)


def bad_rate(batches, tolerance):
    """batches: (canary requests, canary bad, primary requests, primary bad)."""
    rho0 = 1 + F(tolerance)
    return mixture([(cb, pb, rho0 * cn / (rho0 * cn + pn)) for cn, cb, pn, pb in batches], BAD_RATE_GRID)


def split(batches, tolerance):
    """batches: (canary requests, primary requests, expected share)."""
    more = [(c, p, F(s) + F(tolerance)) for c, p, s in batches]
    less = [(c, p, F(s) - F(tolerance)) for c, p, s in batches]
    return (mixture(more, SPLIT_MORE) + mixture(less, SPLIT_LESS)) / 2


if __name__ == "__main__":
    cases = [
        ("equal arms, 10 vs 5 bad", bad_rate([(1000, 10, 1000, 5)], 0)),
        ("zero baseline, 3 canary errors", bad_rate([(200, 3, 800, 0)], 0)),
        ("two batches, tolerance 0.1", bad_rate([(100, 2, 900, 1), (500, 4, 500, 3)], F(1, 10))),
        ("fewer canary errors than its share", bad_rate([(500, 1, 500, 6)], 0)),
        ("split: none of 1000 to the canary, 20% expected", split([(0, 1000, F(1, 5))], F(1, 20))),
        ("split: 22% of 1000, 20% expected", split([(220, 780, F(1, 5))], F(1, 20))),
    ]
    for name, value in cases:
        print(f"{name}: {float(value):.12g}")
