#!/usr/bin/env python3
"""w_numpy.py: SgdDynamics's benchmark workloads W1 and W2 in NumPy, vectorised over the ensemble.

What a researcher writes in NumPy for the workloads of w_ref.cpp, with the same random stream, so that the moments
can be compared with the engine's and the C++ reference's at the same seed:

  W1  x <- x - eta*g,  g = lam*x + (a*z1)*x + s*z2  (lam = 1, a = 0.5, s = 1, eta = 0.01), x0 = 1
  W2  x_i <- x_i - eta*g_i,  g_i = h_i*x_i + l_i*z_i, h_i = 10^(-3 + 3i/15) for i >= 1, h_0 = 0, l_i = sqrt(h_i) + 0.1

State float32, moments in float64. Random numbers: Philox4x32-10 keyed by (seed, trajectory), counter (step, sub, 0, 0),
computed in uint64 arrays (the 32 x 32 -> 64 products exact, the words masked to 32 bits); Box-Muller
u1 = ((r0 >> 8) + 1) 2^-24, u2 = (r1 >> 8) 2^-24, z1 = sqrt(-2 ln u1) cos(2 pi u2), z2 = sqrt(-2 ln u1) sin(2 pi u2),
with NumPy's float32 log, sin and cos (the engine uses polynomial approximations that agree to about 2e-7 of the
radius) and without fused multiply-adds, so the states agree with the engine's to float rounding, not bit for bit.
W2 takes normals 4j .. 4j+3 from the words (r0, r1), (r2, r3) of sub j = 0 .. 3.

Usage:  python3 w_numpy.py W1|W2 N K [--seed S]
        python3 w_numpy.py check [N] [K] [--seed S]    (self-check against the exact moment recursion; exit 1 on failure)
Output: one line, as w_ref:  W1 N=.. K=.. seed=.. threads=1 mean=.. var=.. time_s=.. steps_per_s=..
                             W2 N=.. K=.. seed=.. threads=1 mean0=.. var0=.. mean15=.. var15=.. time_s=.. steps_per_s=..
time_s covers setting the state and the K steps; steps_per_s = N*K/time_s; var with 1/N normalisation.
"""
import argparse
import sys
import time

import numpy as np

LAM, A, S, ETA = np.float32(1.0), np.float32(0.5), np.float32(1.0), np.float32(0.01)
DIM = 16
MUL0, MUL1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
WEYL0, WEYL1 = 0x9E3779B9, 0xBB67AE85
LOW32 = np.uint64(0xFFFFFFFF)
SHIFT32, SHIFT8 = np.uint64(32), np.uint64(8)
TWO_TO_MINUS_24 = np.float32(2.0 ** -24)
TWO_PI = np.float32(2.0 * np.pi)


class Stream:
    """The normals of trajectories 0 .. n-1: Philox4x32-10 with key (seed, trajectory), counter (step, sub, 0, 0)."""

    def __init__(self, seed, n):
        trajectory = np.arange(n, dtype=np.uint64)
        self.key0 = [np.uint64((seed + r * WEYL0) & 0xFFFFFFFF) for r in range(10)]
        self.key1 = [(trajectory + np.uint64((r * WEYL1) & 0xFFFFFFFF)) & LOW32 for r in range(10)]

    def words(self, step, sub):
        """The four output words of counter (step, sub, 0, 0), as uint64 arrays below 2^32."""
        # round 0 with counter words 2, 3 = 0: only the lane-independent products, done in scalar
        p0 = int(MUL0) * step
        c0 = np.uint64(sub ^ int(self.key0[0]))
        c1 = np.uint64(0)
        c2 = np.uint64(p0 >> 32) ^ self.key1[0]
        c3 = np.uint64(p0 & 0xFFFFFFFF)
        for r in range(1, 10):
            p0 = MUL0 * c0
            p1 = MUL1 * c2
            c0, c1, c2, c3 = (p1 >> SHIFT32) ^ c1 ^ self.key0[r], p1 & LOW32, (p0 >> SHIFT32) ^ c3 ^ self.key1[r], p0 & LOW32
        return c0, c1, c2, c3

    @staticmethod
    def box_muller(ra, rb):
        u1 = ((ra >> SHIFT8) + np.uint64(1)).astype(np.float32) * TWO_TO_MINUS_24
        u2 = (rb >> SHIFT8).astype(np.float32) * TWO_TO_MINUS_24
        radius = np.sqrt(np.float32(-2.0) * np.log(u1))
        angle = TWO_PI * u2
        return radius * np.cos(angle), radius * np.sin(angle)


def w2_constants():
    h = np.array([0.0] + [10.0 ** (-3.0 + 3.0 * i / (DIM - 1)) for i in range(1, DIM)])
    return h.astype(np.float32), (np.sqrt(h) + 0.1).astype(np.float32)


def simulate_w1(n, steps, seed):
    start = time.perf_counter()
    stream = Stream(seed, n)
    x = np.ones(n, dtype=np.float32)
    for k in range(steps):
        r0, r1, _, _ = stream.words(k, 0)
        z1, z2 = stream.box_muller(r0, r1)
        g = LAM * x + (A * z1) * x + S * z2
        x = x - ETA * g
    return x, time.perf_counter() - start


def simulate_w2(n, steps, seed):
    h, l = w2_constants()
    start = time.perf_counter()
    stream = Stream(seed, n)
    x = np.ones((DIM, n), dtype=np.float32)
    z = np.empty((DIM, n), dtype=np.float32)
    for k in range(steps):
        for j in range(DIM // 4):
            r0, r1, r2, r3 = stream.words(k, j)
            z[4 * j], z[4 * j + 1] = stream.box_muller(r0, r1)
            z[4 * j + 2], z[4 * j + 3] = stream.box_muller(r2, r3)
        g = h[:, None] * x + l[:, None] * z
        x = x - ETA * g
    return x, time.perf_counter() - start


def moments(x):
    x = x.astype(np.float64)
    mean = x.mean()
    d = x - mean
    return mean, (d * d).mean(), (d ** 4).mean()


def exact_moments(lam, a, s, eta, steps):
    """m' = (1 - eta lam) m, q' = ((1 - eta lam)^2 + eta^2 a^2) q + eta^2 s^2 from x0 = 1; returns mean, variance."""
    c = 1.0 - eta * lam
    m = q = 1.0
    for _ in range(steps):
        m, q = c * m, (c * c + eta * eta * a * a) * q + eta * eta * s * s
    return m, q - m * m


def check_moments(tag, x, mean, var):
    n = x.size
    m, v, m4 = moments(x)
    z_mean = (m - mean) / np.sqrt(v / n)
    z_var = (v - var) / np.sqrt(max(m4 - v * v, 0.0) / n)
    ok = abs(z_mean) <= 5 and abs(z_var) <= 5
    print(f"check {tag}: mean={m:.8g} exact={mean:.8g} z={z_mean:+.2f} var={v:.8g} exact={var:.8g} z={z_var:+.2f} "
          f"{'ok' if ok else 'FAILED'}")
    return ok


def self_check(n, steps, seed):
    ok = True
    # Philox4x32-10 known answers (Random123's kat_vectors), through the lane arithmetic with counter (0, 0, 0, 0)
    r = Stream(0, 1).words(0, 0)
    known = (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    good = all(int(np.asarray(w).ravel()[0]) == e for w, e in zip(r, known))
    print(f"check Philox4x32-10 known answer: {'ok' if good else 'FAILED'}")
    ok &= good
    x, _ = simulate_w1(n, steps, seed)
    ok &= check_moments("W1", x, *exact_moments(1.0, 0.5, 1.0, float(ETA), steps))
    x, _ = simulate_w2(n, steps, seed)
    h, l = w2_constants()
    for i in (0, 1, 8, 15):
        ok &= check_moments(f"W2[{i}]", x[i], *exact_moments(float(h[i]), 0.0, float(l[i]), float(ETA), steps))
    print(f"self-check N={n} K={steps} seed={seed}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description="SgdDynamics's workloads W1/W2 in NumPy")
    parser.add_argument("workload", choices=["W1", "W2", "check"])
    parser.add_argument("N", type=int, nargs="?")
    parser.add_argument("K", type=int, nargs="?")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    if not 0 <= args.seed < 2 ** 32:
        parser.error("--seed must be in 0 .. 2^32 - 1")
    if args.workload == "check":
        return self_check(args.N or 2 ** 14, 500 if args.K is None else args.K, args.seed)
    if args.N is None or args.K is None or args.N < 1 or args.K < 0 or args.N > 2 ** 32:
        parser.error("expected N (1 .. 2^32) and K (>= 0)")
    n, steps = args.N, args.K
    if args.workload == "W1":
        x, seconds = simulate_w1(n, steps, args.seed)
        m, v, _ = moments(x)
        fields = f"mean={m:.17g} var={v:.17g}"
    else:
        x, seconds = simulate_w2(n, steps, args.seed)
        m0, v0, _ = moments(x[0])
        m15, v15, _ = moments(x[15])
        fields = f"mean0={m0:.17g} var0={v0:.17g} mean15={m15:.17g} var15={v15:.17g}"
    print(f"{args.workload} N={n} K={steps} seed={args.seed} threads=1 {fields} time_s={seconds:.6f} "
          f"steps_per_s={n * steps / seconds:.6e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
