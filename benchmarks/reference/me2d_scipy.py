#!/usr/bin/python3
"""SciPy peer of the 2-D master equation (MasterEquationSolver), for measurement only.

Builds the one-step transition matrix of SGD on the ring valley L = λ(|x|² − 1)²/4 with isotropic additive gradient
noise σ² (ḡ = λ(|x|² − 1)x, Σ = σ² I) on cells × cells cells of [−2, 2]² with reflecting walls, exactly as
MasterEquationSolver defines it: from each source cell centre x, μ = x − ηḡ(x) and C = η²Σ; the weights are the
Gaussian density sampled at the target cell centres, exp(−z₀²/2 − z_c²/2) with z₀ along axis 0 (marginal sd √C₀₀) and
z_c the conditional of axis 1 given axis 0, over the cells that meet μ₀ ± T√C₀₀ (rows) and, in each row, the
conditional mean ± T conditional sd (columns), T = 6; normalised over that whole truncated window; cells outside the
box are mirrored across the faces (method of images) onto cells inside. The matrix is a scipy.sparse CSR P (target ×
source, columns summing to 1), and one SGD step is p ← P p.

Prints the set-up time (building the matrix), the best time of one matvec (best of --repeat runs of --steps steps,
per step), the cell updates per second, and the mean and covariance after the steps from the engine's start law
N((0.8, 0.1), 0.1 I) sampled at cell centres and normalised — compare with `sgdyn run benchmarks/scenarios/me-2d-256.json`
(summary.json's final mean and covariance, same steps).

    /usr/bin/python3 me2d_scipy.py [--cells 256] [--eta 0.025] [--steps 20] [--repeat 3]
"""
import argparse
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp


def fold(i, n):
    """Reflecting walls: index i of the unbounded lattice onto [0, n) by mirroring (period 2n)."""
    i = np.mod(i, 2 * n)
    return np.where(i >= n, 2 * n - 1 - i, i)


def build(cells, eta, lam, sigma2, truncation, lower=-2.0, upper=2.0):
    h = (upper - lower) / cells
    centres = lower + (np.arange(cells) + 0.5) * h
    x0, x1 = np.meshgrid(centres, centres, indexing="ij")
    x0, x1 = x0.ravel(), x1.ravel()
    r2 = x0 * x0 + x1 * x1
    g0, g1 = lam * (r2 - 1) * x0, lam * (r2 - 1) * x1
    mu0, mu1 = x0 - eta * g0, x1 - eta * g1
    c00 = c11 = eta * eta * sigma2
    c01 = 0.0
    sd0 = np.sqrt(c00)
    slope = c01 / c00
    sdc = np.sqrt((c00 * c11 - c01 * c01) / c00)
    if min(sdc, np.sqrt((c00 * c11 - c01 * c01) / c11)) < 0.5 * h:
        sys.exit(f"error: the kernel is not resolved (conditional sd {sdc:.3g} < h/2 = {h / 2:.3g}); the engine would push forward")
    if np.max(np.abs(mu0)) > 3 * (upper - lower) or np.max(np.abs(mu1)) > 3 * (upper - lower):
        sys.exit("error: a jump reaches beyond the first mirror images; choose a smaller η")
    lo0 = np.floor((mu0 - truncation * sd0 - lower) / h).astype(np.int64)
    hi0 = np.floor((mu0 + truncation * sd0 - lower) / h).astype(np.int64)
    sources = np.arange(cells * cells, dtype=np.int64)
    rows_max = int(np.max(hi0 - lo0)) + 1
    cols_max = int(np.floor(2 * truncation * sdc / h)) + 2
    targets, origins, weights = [], [], []
    total = np.zeros(cells * cells)
    for dr in range(rows_max):
        r = lo0 + dr
        in_rows = r <= hi0
        d0 = lower + (r + 0.5) * h - mu0
        z0 = d0 / sd0
        mc = mu1 + slope * d0
        clo = np.floor((mc - truncation * sdc - lower) / h).astype(np.int64)
        chi = np.floor((mc + truncation * sdc - lower) / h).astype(np.int64)
        for dq in range(cols_max + 1):
            q = clo + dq
            keep = in_rows & (q <= chi)
            if not keep.any():
                continue
            zc = (lower + (q[keep] + 0.5) * h - mc[keep]) / sdc
            w = np.exp(-0.5 * (z0[keep] ** 2 + zc ** 2))
            np.add.at(total, sources[keep], w)
            targets.append(fold(r[keep], cells) * cells + fold(q[keep], cells))
            origins.append(sources[keep])
            weights.append(w)
    t = np.concatenate(targets)
    s = np.concatenate(origins)
    w = np.concatenate(weights) / total[s]
    # duplicates (several images of one target) are summed by the conversion
    return sp.coo_matrix((w, (t, s)), shape=(cells * cells, cells * cells)).tocsr(), centres


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, default=256, help="cells per axis (default 256)")
    p.add_argument("--eta", type=float, default=None, help="learning rate (default 0.025 · 256 / cells: a window of about 19 cells an axis)")
    p.add_argument("--lam", type=float, default=1.0, help="ring-valley curvature λ (default 1)")
    p.add_argument("--sigma2", type=float, default=1.0, help="gradient-noise variance σ² (default 1)")
    p.add_argument("--truncation", type=float, default=6.0, help="window half-width in standard deviations (default 6)")
    p.add_argument("--steps", type=int, default=20, help="SGD steps per timed run (default 20)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts (default 3)")
    a = p.parse_args()
    if a.cells < 2 or a.steps < 1 or a.repeat < 1:
        sys.exit("error: --cells ≥ 2, --steps ≥ 1 and --repeat ≥ 1")
    eta = a.eta if a.eta is not None else 0.025 * 256 / a.cells

    start = time.perf_counter()
    matrix, centres = build(a.cells, eta, a.lam, a.sigma2, a.truncation)
    setup = time.perf_counter() - start

    x0, x1 = np.meshgrid(centres, centres, indexing="ij")
    p0 = np.exp(-0.5 * ((x0 - 0.8) ** 2 + (x1 - 0.1) ** 2) / 0.1).ravel()
    p0 /= p0.sum()
    best = np.inf
    final = None
    for _ in range(a.repeat):
        m = p0.copy()
        start = time.perf_counter()
        for _ in range(a.steps):
            m = matrix @ m
        best = min(best, time.perf_counter() - start)
        final = m
    per_step = best / a.steps
    cells = a.cells * a.cells
    columns = np.asarray(matrix.sum(axis=0)).ravel()
    mean = [float(np.dot(final, x0.ravel())), float(np.dot(final, x1.ravel()))]
    d0, d1 = x0.ravel() - mean[0], x1.ravel() - mean[1]
    cov = [float(np.dot(final, d0 * d0)), float(np.dot(final, d0 * d1)), float(np.dot(final, d1 * d1))]
    print(f"me2d scipy {scipy.__version__} numpy {np.__version__}: cells={a.cells}x{a.cells} eta={eta:g} T={a.truncation:g} "
          f"nnz={matrix.nnz} ({matrix.nnz / cells:.1f} a column) column-sum-error={np.max(np.abs(columns - 1)):.1e}")
    print(f"setup_s={setup:.4f} step_s={per_step:.6f} cell_updates_per_s={cells / per_step:.4g} steps={a.steps} repeat={a.repeat}")
    print(f"mean={mean[0]:.10g},{mean[1]:.10g} cov={cov[0]:.10g},{cov[1]:.10g},{cov[2]:.10g} mass={final.sum():.15g}")


if __name__ == "__main__":
    main()
