"""Per-run statistics counted at each record: first passages below targets, and histograms of metrics.

Counts are integers, so the targets add them up in any order (per CPU thread, GPU atomics) and
still get the same numbers. What to count is packed in two arrays (``engine.perrun.pack``):

    tf (float64): the targets, then every histogram's edges one after another
    ti (int64):   n_hit, n_hist, the metric of each target (n_hit), the metric of each histogram,
                  the offset of its edges in tf, and its number of edges (n_hist each)

A record's counts have one column per target (runs whose metric first fell to or below it at this
record), then per histogram n_edges + 1 bins: below the first edge, [e_i, e_i+1), and at or above
the last edge.
"""
from .jit import kernel


@kernel(inline=True)
def tally_columns(met, tf, ti, hit, cols):
    """Write into ``cols`` the columns that this run's metrics ``met`` add one to at this record; return how many.

    ``hit[j]`` is 1 once the run has reached target j (set here), so each run counts once per target.
    """
    n_hit = ti[0]
    n_hist = ti[1]
    n = 0
    for j in range(n_hit):
        if hit[j] == 0 and met[ti[2 + j]] <= tf[j]:
            hit[j] = 1
            cols[n] = j
            n += 1
    col = n_hit
    for q in range(n_hist):
        v = met[ti[2 + n_hit + q]]
        start = ti[2 + n_hit + n_hist + q]
        n_edges = ti[2 + n_hit + 2 * n_hist + q]
        lo = 0
        hi = n_edges
        while lo < hi:  # lo: how many edges are <= v
            mid = (lo + hi) // 2
            if tf[start + mid] <= v:
                lo = mid + 1
            else:
                hi = mid
        cols[n] = col + lo
        n += 1
        col += n_edges + 1
    return n
