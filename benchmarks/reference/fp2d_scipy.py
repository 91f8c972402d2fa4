"""2-D Fokker–Planck peer (SciPy): the engine's finite volumes (Scharfetter–Gummel face rates, mixed term in flux form,
zero-flux walls) for the example quadratic, backward Euler with one sparse LU (scipy.sparse.linalg.splu) reused.

    /usr/bin/python3 fp2d_scipy.py CELLS STEPS [--substeps S] [--variant discrete|langevin]

Landscape: H = [[1, 0.3], [0.3, 0.5]], Sigma = I, eta = 0.2, box [-4, 4]^2, Gaussian start N([1.5, -1], 0.1 I)
(examples/fokker-planck-2d.json). Prints one line: the set-up and step seconds, cell-updates/s (cells x SGD steps /
step seconds) and the final mean.
"""
import argparse
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

H = np.array([[1.0, 0.3], [0.3, 0.5]])
SIGMA = np.eye(2)
ETA, LO, HI = 0.2, -4.0, 4.0


def coefficients(x0, x1, discrete):
    g0, g1 = H[0, 0] * x0 + H[0, 1] * x1, H[1, 0] * x0 + H[1, 1] * x1
    s00, s01, s11 = SIGMA[0, 0] + 0 * x0, SIGMA[0, 1] + 0 * x0, SIGMA[1, 1] + 0 * x0
    if discrete:
        s00, s01, s11 = s00 + g0 * g0, s01 + g0 * g1, s11 + g1 * g1
    return g0, g1, 0.5 * ETA * s00, 0.5 * ETA * s01, 0.5 * ETA * s11


def bernoulli(z):
    small = np.abs(z) < 1e-2
    zs = np.where(small, 1.0, z)
    return np.where(small, 1 - z / 2 + z * z / 12 - z ** 4 / 720, zs / np.expm1(zs))


def generator(n, discrete):
    h = (HI - LO) / n
    c = LO + (np.arange(n) + 0.5) * h
    idx = np.arange(n * n).reshape(n, n)
    rows, cols, vals = [], [], []

    def add(r, s, v):
        rows.append(r.ravel()); cols.append(s.ravel()); vals.append(v.ravel())

    # Scharfetter–Gummel faces: axis 0 between (i, j) and (i+1, j), axis 1 between (i, j) and (i, j+1)
    for axis in (0, 1):
        i, j = np.meshgrid(np.arange(n - 1 if axis == 0 else n), np.arange(n if axis == 0 else n - 1), indexing="ij")
        xl0, xl1 = c[i], c[j]
        xr0, xr1 = (c[i + 1], c[j]) if axis == 0 else (c[i], c[j + 1])
        xf0, xf1 = (c[i] + h / 2, c[j]) if axis == 0 else (c[i], c[j] + h / 2)
        k = 2 if axis == 0 else 4
        gf, df = coefficients(xf0, xf1, discrete)[axis], coefficients(xf0, xf1, discrete)[k]
        dl, dr = coefficients(xl0, xl1, discrete)[k], coefficients(xr0, xr1, discrete)[k]
        z = h * gf / df
        fwd, bwd = bernoulli(z) * dl / h ** 2, bernoulli(-z) * dr / h ** 2
        left = idx[i, j]
        right = idx[i + 1, j] if axis == 0 else idx[i, j + 1]
        add(left, left, -fwd); add(right, left, fwd); add(left, right, bwd); add(right, right, -bwd)
        # mixed flux across the face: F -= q(up) - q(down) over the two cells, neighbours clamped at the walls
        mixed = coefficients(*np.meshgrid(c, c, indexing="ij"), discrete)[3] / (4 * h * h)
        if axis == 0:
            u, d = np.minimum(j + 1, n - 1), np.maximum(j - 1, 0)
            sources = [(i, u, 1.0), (i + 1, u, 1.0), (i, d, -1.0), (i + 1, d, -1.0)]
        else:
            u, d = np.minimum(i + 1, n - 1), np.maximum(i - 1, 0)
            sources = [(u, j, 1.0), (u, j + 1, 1.0), (d, j, -1.0), (d, j + 1, -1.0)]
        for si, sj, sign in sources:
            m = sign * mixed[si, sj]
            add(left, idx[si, sj], m); add(right, idx[si, sj], -m)
    a = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n))
    return a.tocsc(), c


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cells", type=int)
    parser.add_argument("steps", type=int)
    parser.add_argument("--substeps", type=int, default=4)
    parser.add_argument("--variant", default="discrete", choices=["discrete", "langevin"])
    args = parser.parse_args()
    n, dt = args.cells, ETA / args.substeps
    start = time.perf_counter()
    a, c = generator(n, args.variant == "discrete")
    lu = spla.splu((sp.identity(n * n, format="csc") - dt * a).tocsc())
    x0, x1 = np.meshgrid(c, c, indexing="ij")
    m = np.exp(-((x0 - 1.5) ** 2 + (x1 + 1) ** 2) / 0.2).ravel()
    m /= m.sum()
    setup = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.steps * args.substeps):
        m = lu.solve(m)
    seconds = time.perf_counter() - start
    p = m.reshape(n, n)
    mean = ((p * x0).sum() / p.sum(), (p * x1).sum() / p.sum())
    print(f"fp2d_scipy cells={n}x{n} steps={args.steps} substeps={args.substeps} variant={args.variant} setup_s={setup:.3f} "
          f"time_s={seconds:.3f} cell_updates_per_s={n * n * args.steps / seconds:.3e} mean=({mean[0]:.10f}, {mean[1]:.10f})")


if __name__ == "__main__":
    main()
