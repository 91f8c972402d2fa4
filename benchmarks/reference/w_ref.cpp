// w_ref.cpp: the C++ reference of SgdDynamics's benchmark workloads W1 and W2 (what `sgdyn bench` measures the
// engine against). Plain C++ that GCC or Clang auto-vectorises; OpenMP hands out chunks of 64 blocks of 16 trajectories
// dynamically (as the engine hands out its tiles), so a core taken by another job slows the run only by its share.
//
// Workloads (float32 state, x0 = 1 in every coordinate, step counter k = 0 .. K-1):
//   W1  1-D, multiplicative noise:  x <- x - eta*g,  g = (lam + a*z1)*x + s*z2,  lam = 1, a = 0.5, s = 1, eta = 0.01
//   W2  16-D diagonal quadratic:    x_i <- x_i - eta*g_i,  g_i = h_i*x_i + l_i*z_i,
//       h_i = float(10^(-3 + 3i/15)) for i >= 1, h_0 = 0 (a flat direction), l_i = float(sqrt(h_i) + 0.1), eta = 0.01
//
// Random numbers (the engine's stream, see kernels/SgdDynamics.Kernels/Random):
//   Philox4x32-10 (Random123 rounds and key schedule), key (seed, trajectory index), counter (k, sub, 0, 0).
//   Box-Muller of a word pair (ra, rb): u1 = ((ra >> 8) + 1)*2^-24 in (0, 1], u2 = (rb >> 8)*2^-24 in [0, 1),
//   za = sqrt(-2 ln u1) cos(2 pi u2), zb = sqrt(-2 ln u1) sin(2 pi u2), with the engine's branch-free float
//   approximations of ln (Cephes polynomial after a reduction to [sqrt(1/2), sqrt(2))) and of sin/cos (Cephes
//   polynomials after an exact integer reduction of 2 pi u2 to the nearest quadrant).
//   W1: sub 0, (z1, z2) from words (r0, r1). W2: sub j = 0..3, z_4j, z_4j+1 from (r0, r1), z_4j+2, z_4j+3 from (r2, r3).
//
// Arithmetic: the engine's operations in the engine's order, its fused multiply-adds written as fmaf (compiled to FMA
// instructions under -march=native) and -ffp-contract=off so that nothing else is fused; the final states are then
// the engine's bit for bit, and the moments agree to the rounding of the sums.
//   gradient  g = fma(lam, x, 0); g = fma(a*z1, x, g); g = fma(s, z2, g)      (W2: g = fma(h, x, 0); g = fma(l, z, g))
//   update    x = fma(-eta, g, x)
//
// Build:  c++ -O3 -march=native -fno-math-errno -ffp-contract=off -fopenmp -std=c++20 w_ref.cpp -o bin/w_ref
//         (build.sh does this; `sgdyn bench` builds it on the fly into its cache folder)
// Run:    w_ref W1|W2 N K [--seed S] [--threads T]      (threads: default OpenMP's, e.g. OMP_NUM_THREADS)
//         w_ref check [N] [K] [--seed S] [--threads T]  self-check, exit status 1 on a failure
// Output: one line of key=value fields,
//   W1 N=.. K=.. seed=.. threads=.. mean=.. var=.. time_s=.. steps_per_s=..
//   W2 N=.. K=.. seed=.. threads=.. mean0=.. var0=.. mean15=.. var15=.. time_s=.. steps_per_s=..
// time_s: setting the state and the K steps (the moments are computed afterwards, untimed); steps_per_s =
// N*K/time_s trajectory-steps per second (a W2 step is one 16-D step); var with 1/N normalisation.
#include <omp.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef LANES
#define LANES 16  // trajectories per block: one 512-bit vector of floats
#endif

namespace {

#define ALWAYS_INLINE inline __attribute__((always_inline))

// Philox4x32-10 constants (Salmon et al., SC 2011; Random123).
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

// Box-Muller constants (kernels/SgdDynamics.Kernels/Random/BoxMuller.cs).
constexpr float kLog[9] = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f, 1.4249322787E-1f,
                           -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f};
constexpr float kLn2Low = -2.12194440e-4f, kLn2High = 0.693359375f;
constexpr float kSin1 = -1.9515295891E-4f, kSin2 = 8.3321608736E-3f, kSin3 = -1.6666654611E-1f;
constexpr float kCos1 = 2.443315711809948E-5f, kCos2 = -1.388731625493765E-3f, kCos3 = 4.166664568298827E-2f;
constexpr float kTwoPiOver2To24 = 6.28318530717958647692f / 16777216.0f;
constexpr float kTwoToMinus24 = 1.0f / 16777216.0f;
constexpr uint32_t kLogBias = 0x3f800000u - 0x3f3504f3u, kSqrtHalfBits = 0x3f3504f3u;

// Workload constants.
constexpr float kLam = 1.0f, kA = 0.5f, kS = 1.0f, kEta = 0.01f;
constexpr int kDim = 16;

// Philox4x32-10 in its textbook form: the scalar definition the vectorised form is checked against.
void PhiloxScalar(const uint32_t counter[4], uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t p0 = (uint64_t)kMul0 * c0, p1 = (uint64_t)kMul1 * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

// The key schedule of a block of LANES trajectories first .. first + LANES - 1: key word 0 of round r (seed + r W0,
// the same for every lane) and key word 1 of round r and lane l (first + l + r W1), all mod 2^32. Words are kept in
// 64-bit integers whose high half is zero: the 32 x 32 -> 64 products are then plain 64-bit multiplies of the lanes,
// which vectorise without widening shuffles.
struct KeySchedule {
  uint64_t k0[kRounds];
  uint64_t k1[kRounds][LANES];

  KeySchedule(uint32_t seed, uint32_t first) {
    for (int r = 0; r < kRounds; ++r) {
      k0[r] = (uint32_t)(seed + (uint32_t)r * kWeyl0);
      for (int l = 0; l < LANES; ++l) k1[r][l] = (uint32_t)(first + (uint32_t)l + (uint32_t)r * kWeyl1);
    }
  }
};

// Philox4x32-10 of counter (step, sub, 0, 0) for lane l of a key schedule; every word below 2^32.
ALWAYS_INLINE void PhiloxLane(uint64_t step, uint64_t sub, const KeySchedule& keys, int l, uint64_t& r0, uint64_t& r1,
                              uint64_t& r2, uint64_t& r3) {
  uint64_t c0 = step, c1 = sub, c2 = 0, c3 = 0;
#pragma GCC unroll 10
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t p0 = kMul0 * c0, p1 = kMul1 * c2;
    c0 = (p1 >> 32) ^ c1 ^ keys.k0[r];
    c2 = (p0 >> 32) ^ c3 ^ keys.k1[r][l];
    c1 = p1 & 0xffffffffu;
    c3 = p0 & 0xffffffffu;
  }
  r0 = c0, r1 = c1, r2 = c2, r3 = c3;
}

ALWAYS_INLINE float Float(uint32_t bits) { return std::bit_cast<float>(bits); }
ALWAYS_INLINE uint32_t Bits(float value) { return std::bit_cast<uint32_t>(value); }

// Two standard normals from the words (ra, rb): the engine's BoxMuller.Pair, operation for operation.
ALWAYS_INLINE void BoxMuller(uint32_t ra, uint32_t rb, float& za, float& zb) {
  // ln u1: u1 = m 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1, ln u1 = e ln 2 + f - f^2/2 + f^3 P(f)
  const float u1 = (float)(int32_t)((ra >> 8) + 1u) * kTwoToMinus24;
  const uint32_t ix = Bits(u1) + kLogBias;
  const float e = (float)((int32_t)(ix >> 23) - 127);
  const float f = Float((ix & 0x007fffffu) + kSqrtHalfBits) - 1.0f;
  const float z = f * f;
  float y = kLog[0];
#pragma GCC unroll 8
  for (int i = 1; i < 9; ++i) y = std::fmaf(y, f, kLog[i]);
  y = (y * f) * z;
  y = std::fmaf(kLn2Low, e, y);
  y = std::fmaf(-0.5f, z, y);
  const float lg = std::fmaf(kLn2High, e, f + y);
  const float radius = std::sqrt(-2.0f * lg);

  // 2 pi u2 = q pi/2 + t, q the nearest quadrant (0..4), |t| <= pi/4; the reduction is exact in integers
  const int32_t k2 = (int32_t)(rb >> 8);
  const int32_t q = (k2 + (1 << 21)) >> 22;
  const float t = (float)(k2 - (q << 22)) * kTwoPiOver2To24;
  const float t2 = t * t;
  const float sp = std::fmaf(std::fmaf(kSin1, t2, kSin2), t2, kSin3);
  const float s = std::fmaf(sp * t2, t, t);
  const float cp = std::fmaf(std::fmaf(kCos1, t2, kCos2), t2, kCos3);
  const float c = std::fmaf(cp * t2, t2, -0.5f * t2) + 1.0f;
  const bool swap = (q & 1) != 0;
  const float cv = swap ? s : c, sv = swap ? c : s;
  const uint32_t cosSign = (uint32_t)((q + 1) & 2) << 30;  // cos(q pi/2 + t) < 0 for q = 1, 2
  const uint32_t sinSign = (uint32_t)(q & 2) << 30;        // sin(q pi/2 + t) < 0 for q = 2, 3
  za = radius * Float(Bits(cv) ^ cosSign);
  zb = radius * Float(Bits(sv) ^ sinSign);
}

// W1 on the block of trajectories first .. first + LANES - 1; their final states into out[0 .. LANES - 1].
void W1Block(uint32_t seed, uint32_t first, uint32_t steps, float* __restrict out) {
  const KeySchedule keys(seed, first);
  alignas(64) float x[LANES];
  for (int l = 0; l < LANES; ++l) x[l] = 1.0f;
  for (uint32_t k = 0; k < steps; ++k) {
    for (int l = 0; l < LANES; ++l) {  // vectorised over the lanes
      uint64_t r0, r1, r2, r3;
      PhiloxLane(k, 0, keys, l, r0, r1, r2, r3);
      float z1, z2;
      BoxMuller((uint32_t)r0, (uint32_t)r1, z1, z2);
      float g = std::fmaf(kLam, x[l], 0.0f);
      g = std::fmaf(kA * z1, x[l], g);
      g = std::fmaf(kS, z2, g);
      x[l] = std::fmaf(-kEta, g, x[l]);
    }
  }
  for (int l = 0; l < LANES; ++l) out[l] = x[l];
}

struct W2Constants {
  float h[kDim], l[kDim];
  W2Constants() {
    for (int i = 0; i < kDim; ++i) {
      const double hd = i == 0 ? 0.0 : std::pow(10.0, -3.0 + 3.0 * i / (kDim - 1));
      h[i] = (float)hd;
      l[i] = (float)(std::sqrt(hd) + 0.1);
    }
  }
};

// W2 on a block; coordinate i of lane l into out[i * stride + l].
void W2Block(const W2Constants& w2, uint32_t seed, uint32_t first, uint32_t steps, float* __restrict out, size_t stride) {
  const KeySchedule keys(seed, first);
  alignas(64) float x[kDim][LANES];
  for (int i = 0; i < kDim; ++i)
    for (int l = 0; l < LANES; ++l) x[i][l] = 1.0f;
  for (uint32_t k = 0; k < steps; ++k) {
    for (uint32_t sub = 0; sub < kDim / 4; ++sub) {
      float* __restrict xa = x[4 * sub];
      float* __restrict xb = x[4 * sub + 1];
      float* __restrict xc = x[4 * sub + 2];
      float* __restrict xd = x[4 * sub + 3];
      const float ha = w2.h[4 * sub], hb = w2.h[4 * sub + 1], hc = w2.h[4 * sub + 2], hd = w2.h[4 * sub + 3];
      const float la = w2.l[4 * sub], lb = w2.l[4 * sub + 1], lc = w2.l[4 * sub + 2], ld = w2.l[4 * sub + 3];
      for (int l = 0; l < LANES; ++l) {  // vectorised over the lanes
        uint64_t r0, r1, r2, r3;
        PhiloxLane(k, sub, keys, l, r0, r1, r2, r3);
        float za, zb, zc, zd;
        BoxMuller((uint32_t)r0, (uint32_t)r1, za, zb);
        BoxMuller((uint32_t)r2, (uint32_t)r3, zc, zd);
        xa[l] = std::fmaf(-kEta, std::fmaf(la, za, std::fmaf(ha, xa[l], 0.0f)), xa[l]);
        xb[l] = std::fmaf(-kEta, std::fmaf(lb, zb, std::fmaf(hb, xb[l], 0.0f)), xb[l]);
        xc[l] = std::fmaf(-kEta, std::fmaf(lc, zc, std::fmaf(hc, xc[l], 0.0f)), xc[l]);
        xd[l] = std::fmaf(-kEta, std::fmaf(ld, zd, std::fmaf(hd, xd[l], 0.0f)), xd[l]);
      }
    }
  }
  for (int i = 0; i < kDim; ++i)
    for (int l = 0; l < LANES; ++l) out[i * stride + l] = x[i][l];
}

struct Run {
  std::vector<float> x;  // coordinate i of trajectory n at x[i * stride + n]
  size_t stride = 0;
  double seconds = 0;
};

// Runs a workload on n trajectories (padded to whole blocks; the padding is ignored afterwards).
Run Simulate(bool w2, size_t n, uint32_t steps, uint32_t seed) {
  const size_t blocks = (n + LANES - 1) / LANES;
  Run run;
  run.stride = blocks * LANES;
  const W2Constants constants;
  const auto start = std::chrono::steady_clock::now();
  run.x.resize((w2 ? kDim : 1) * run.stride);
  float* x = run.x.data();
  if (w2) {
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t b = 0; b < blocks; ++b) W2Block(constants, seed, (uint32_t)(b * LANES), steps, x + b * LANES, run.stride);
  } else {
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t b = 0; b < blocks; ++b) W1Block(seed, (uint32_t)(b * LANES), steps, x + b * LANES);
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

struct Moments {
  double mean, var, fourth;  // mean, variance and fourth central moment, 1/N normalisation
};

// In trajectory order, in double: the same numbers for every thread count.
Moments MomentsOf(const float* x, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / (double)n;
  double s2 = 0, s4 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    s2 += d * d;
    s4 += d * d * d * d;
  }
  return {mean, s2 / (double)n, s4 / (double)n};
}

// Exact mean and variance after `steps` steps of x <- (1 - eta (lam + a z1)) x - eta s z2 from x0 = 1:
// m' = (1 - eta lam) m, q' = ((1 - eta lam)^2 + eta^2 a^2) q + eta^2 s^2 (q the second moment).
void ExactMoments(double lam, double a, double s, double eta, uint32_t steps, double& mean, double& var) {
  const double c = 1.0 - eta * lam, rho = c * c + eta * eta * a * a, add = eta * eta * s * s;
  double m = 1.0, q = 1.0;
  for (uint32_t k = 0; k < steps; ++k) {
    m = c * m;
    q = rho * q + add;
  }
  mean = m;
  var = q - m * m;
}

// z-scores of the measured mean and variance against the exact ones (standard errors from the sample's own
// variance and fourth moment); a failure beyond 5 standard errors.
bool CheckMoments(const char* tag, const Moments& m, size_t n, double mean, double var) {
  const double seMean = std::sqrt(m.var / (double)n);
  const double seVar = std::sqrt(std::fmax(m.fourth - m.var * m.var, 0.0) / (double)n);
  const double zMean = (m.mean - mean) / seMean, zVar = (m.var - var) / seVar;
  const bool ok = std::fabs(zMean) <= 5 && std::fabs(zVar) <= 5;
  std::printf("check %s: mean=%.8g exact=%.8g z=%+.2f var=%.8g exact=%.8g z=%+.2f %s\n", tag, m.mean, mean, zMean, m.var,
              var, zVar, ok ? "ok" : "FAILED");
  return ok;
}

int SelfCheck(size_t n, uint32_t steps, uint32_t seed) {
  bool ok = true;

  // Philox4x32-10 known answers (Random123's kat_vectors)
  const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
       0x24126ea1}};
  int wrong = 0;
  for (const auto& t : kat) {
    uint32_t out[4];
    PhiloxScalar(t, t[4], t[5], out);
    wrong += std::memcmp(out, t + 6, sizeof out) != 0;
  }
  std::printf("check Philox4x32-10 known answers: %s\n", wrong ? "FAILED" : "ok");
  ok &= wrong == 0;

  // the vectorised form against the scalar one, near the wrap-around of the trajectory index
  wrong = 0;
  const uint32_t first = 0xffffffffu - LANES / 2;
  const KeySchedule keys(seed, first);
  for (uint32_t k : {0u, 1u, 499u, 0xffffffffu})
    for (uint32_t sub = 0; sub < 4; ++sub)
      for (int l = 0; l < LANES; ++l) {
        uint64_t r[4];
        PhiloxLane(k, sub, keys, l, r[0], r[1], r[2], r[3]);
        const uint32_t counter[4] = {k, sub, 0, 0};
        uint32_t expect[4];
        PhiloxScalar(counter, seed, first + (uint32_t)l, expect);
        for (int i = 0; i < 4; ++i) wrong += r[i] != expect[i];
      }
  std::printf("check Philox lanes against the scalar definition: %s\n", wrong ? "FAILED" : "ok");
  ok &= wrong == 0;

  // W1 against the exact moment recursion, with eta as the float the kernel uses
  const Run w1 = Simulate(false, n, steps, seed);
  double mean, var;
  ExactMoments(kLam, kA, kS, (double)kEta, steps, mean, var);
  ok &= CheckMoments("W1", MomentsOf(w1.x.data(), n), n, mean, var);

  // W2's coordinates are independent linear recursions (a = 0)
  const Run w2 = Simulate(true, n, steps, seed);
  const W2Constants constants;
  for (int i : {0, 1, 8, 15}) {
    ExactMoments(constants.h[i], 0.0, constants.l[i], (double)kEta, steps, mean, var);
    char tag[16];
    std::snprintf(tag, sizeof tag, "W2[%d]", i);
    ok &= CheckMoments(tag, MomentsOf(w2.x.data() + i * w2.stride, n), n, mean, var);
  }

  std::printf("self-check N=%zu K=%u seed=%u lanes=%d threads=%d: %s\n", n, steps, seed, LANES, omp_get_max_threads(),
              ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "error: %s\nusage: w_ref W1|W2 N K [--seed S] [--threads T]\n"
               "       w_ref check [N] [K] [--seed S] [--threads T]\n",
               message);
  std::exit(2);
}

uint64_t Parse(const char* text, const char* what, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max) Usage((std::string(what) + " must be an integer in 0.." + std::to_string(max) + ", not " + text).c_str());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Usage("no workload");
  const std::string what = argv[1];
  if (what != "W1" && what != "W2" && what != "check") Usage(("unknown workload " + what).c_str());

  std::vector<const char*> positional;
  uint32_t seed = 12345;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = (uint32_t)Parse(argv[++i], "--seed", 0xffffffffu);
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      omp_set_num_threads((int)Parse(argv[++i], "--threads", 4096));
    } else if (argv[i][0] == '-') {
      Usage((std::string("unknown option ") + argv[i]).c_str());
    } else {
      positional.push_back(argv[i]);
    }
  }

  const bool check = what == "check";
  if ((!check && positional.size() != 2) || positional.size() > 2) Usage("expected N and K");
  const size_t n = positional.size() > 0 ? Parse(positional[0], "N", 1ull << 32) : (1u << 18);
  const uint32_t steps = positional.size() > 1 ? (uint32_t)Parse(positional[1], "K", 0xffffffffu) : 500;
  if (n == 0) Usage("N must be at least 1");
  if (check) return SelfCheck(n, steps, seed);

  const bool w2 = what == "W2";
  const Run run = Simulate(w2, n, steps, seed);
  const double rate = (double)n * steps / run.seconds;
  const int threads = omp_get_max_threads();
  if (!w2) {
    const Moments m = MomentsOf(run.x.data(), n);
    std::printf("W1 N=%zu K=%u seed=%u threads=%d mean=%.17g var=%.17g time_s=%.6f steps_per_s=%.6e\n", n, steps, seed,
                threads, m.mean, m.var, run.seconds, rate);
  } else {
    const Moments m0 = MomentsOf(run.x.data(), n), m15 = MomentsOf(run.x.data() + 15 * run.stride, n);
    std::printf("W2 N=%zu K=%u seed=%u threads=%d mean0=%.17g var0=%.17g mean15=%.17g var15=%.17g time_s=%.6f "
                "steps_per_s=%.6e\n",
                n, steps, seed, threads, m0.mean, m0.var, m15.mean, m15.var, run.seconds, rate);
  }
  return 0;
}
