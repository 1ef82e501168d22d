"""Moments over runs: one Chan et al. (1979) merge of (count, mean, M2), used everywhere moments are combined.

A run's value joins a CPU chunk's partial as a group of one; a CUDA block's
threads merge in a fixed shared-memory tree, the blocks in block order, and the host
merges the CPU chunks pairwise in a fixed order: all with ``merge``. The order never
depends on scheduling, so the moments are the same bits whatever the thread count.
"""
from .jit import kernel


@kernel(inline=True)
def merge(na, mean_a, m2_a, nb, mean_b, m2_b):
    """(count, mean, M2) of two groups pooled; either may be empty (count 0)."""
    if nb == 0.0:
        return na, mean_a, m2_a
    if na == 0.0:
        return nb, mean_b, m2_b
    n = na + nb
    delta = mean_b - mean_a
    return n, mean_a + delta * (nb / n), m2_a + m2_b + delta * delta * (na * nb / n)


@kernel
def merge_tree(count, mean, m2):
    """Merge partials ``[c, k, ...]`` over ``c`` pairwise, (0, 1), (2, 3), ..., then the pairs likewise.

    ``count`` (C, K), ``mean`` and ``m2`` (C, K, m); the totals end up in row 0.
    """
    C = count.shape[0]
    step = 1
    while step < C:
        for a in range(0, C - step, 2 * step):
            b = a + step
            for k in range(count.shape[1]):
                na = count[a, k]
                nb = count[b, k]
                for m in range(mean.shape[2]):
                    _, mean[a, k, m], m2[a, k, m] = merge(na, mean[a, k, m], m2[a, k, m],
                                                          nb, mean[b, k, m], m2[b, k, m])
                count[a, k] = na + nb
        step *= 2
