namespace SgdDynamics.Theory;

/// <summary>Stationary law of discrete SGD on the tilted periodic landscape, folded onto one period.</summary>
/// <param name="Centres">Grid nodes <c>x_i = (i + ½)h</c>, h = P/N.</param>
/// <param name="Masses">Stationary masses at the nodes (sum 1); <c>Masses[i]/h</c> samples the density.</param>
/// <param name="Velocity">
/// Drift per unit time of the grid chain, <c>P·J/η</c> with J the net stationary probability flux per step through the cut
/// (exact for the grid chain; equal to <c>−Σ p_i L'(x_i)</c> up to the grid error, but free of its cancellation).
/// </param>
/// <param name="Cut">The cut (a cell boundary where the stationary mass is smallest) through which J is counted.</param>
public sealed record DiscreteDriftLaw(double[] Centres, double[] Masses, double Velocity, double Cut);

/// <summary>
/// Drift velocity of SGD on the tilted periodic landscape <c>L(x) = −A cos(kx) + F x</c>, k = 2π/P, in 1-D with additive
/// Gaussian gradient noise: one step is <c>x' = x − η(L'(x) + σξ)</c>, <c>L'(x) = kA sin(kx) + F</c>, and the drift velocity
/// per unit time (n steps take time nη) is <c>v = lim E[x_n − x₀]/(nη)</c>. It is negative for F &gt; 0: the iterates run
/// down the tilt. Derivations in docs/theory-notes.md.
/// <para>
/// <b>Langevin value.</b> The SME-1 / Langevin approximation <c>dx = −L'(x) dt + √(2D) dW</c>, <c>D = ησ²/2</c>, has a
/// stationary law on the circle with constant probability flux <c>J = −L'p − Dp'</c>, and <c>v = ∫_0^P J dx = P J</c>.
/// Integrating <c>(e^{L/D} p)' = −(J/D) e^{L/D}</c> over one period, with <c>L(x + P) = L(x) + PF</c>, gives Stratonovich's
/// formula (Stratonovich, <i>Topics in the Theory of Random Noise</i> II, 1967; Risken, <i>The Fokker–Planck Equation</i>, ch. 11;
/// Reimann, Phys. Rep. 361, 57, 2002, sec. 2), written for F &gt; 0 as
/// <c>v = −P D (1 − e^{−PF/D}) / Q</c>, <c>Q = ∫_0^P J₊(x) dx</c>, <c>J₊(x) = ∫_0^P exp((L(x − y) − L(x))/D) dy</c>,
/// with stationary density <c>p = J₊/Q</c>. In this form the exponent never exceeds the barrier <c>ΔL/D</c> and the
/// numerator has no cancellation. (The form with <c>exp((L(x) − L(x − y))/D)</c> and a plus sign gives <c>F e^{−PF/D}</c> at
/// A = 0 instead of −F.) F &lt; 0 follows from the reflection x ↦ −x, under which the cosine is even: <c>v(−F) = −v(F)</c>.
/// Limits: <c>v = −F</c> for A = 0; <c>v ≈ −F/I₀(A/D)²</c> for F → 0; <see cref="DeterministicVelocity"/> for D → 0; and for
/// |F| below the critical tilt kA at small D, Kramers' exponentially small
/// <c>v ≈ −(P/2π)√(L''_min |L''_max|) e^{−ΔL/D}(1 − e^{−PF/D})</c>, with relative error O(D).
/// </para>
/// <para>
/// <b>Discrete SGD.</b> The noise has mean zero, so <c>E[x_{n+1} − x_n] = −η E[L'(x_n)]</c> and <c>v = −E_p[L']</c> under the
/// stationary law p of x mod P (<see cref="DriftFromDensity"/>). <see cref="DiscreteStationaryLaw"/> computes p, and v, to
/// the spectral accuracy of a Nyström grid. At fixed D (σ² = 2D/η) the chain's generator is
/// <c>(K − 1)/η = 𝓛₀ + η𝓛₁ + O(η²)</c> with <c>𝓛₀ = −L'∂ + D∂²</c>, <c>𝓛₁ = (L'²/2)∂² − DL'∂³ + (D²/2)∂⁴</c>; with the
/// corrector ψ (<c>𝓛₀ψ = v₀</c>, <c>ψ − x</c> periodic) the first-order term is <c>v₁ = −½ ∫ p₀ ψ' L'L'' dx</c>, and for this
/// landscape it vanishes: <c>p₀ψ'</c> and <c>L'</c> are both invariant under x ↦ −x − P/2 while <c>L'L'' = (L'²)'/2</c> is odd.
/// So <c>v_SGD − v_Langevin = O(η²)</c> at fixed D. At fixed σ, D = ησ²/2 shrinks with η and the η² coefficient grows
/// like v/D, so that there the relative difference is O(η) (measured, not derived).
/// </para>
/// </summary>
public static class TiltedPeriodicDrift
{
    // The Gaussian kernel of the grid chain is summed over |y − T(x)| ≤ 39 s: e^{−39²/2} underflows double precision.
    private const double KernelReach = 39;

    // Nodes per Gaussian width s/|T'|: the trapezoid (Nyström) error for a Gaussian of sd w sampled at spacing h is
    // 2 exp(−2π² w²/h²) = 2e^{−44} at w/h = 1.5.
    private const double NodesPerWidth = 1.5;
    private const int MinimumCells = 64;

    /// <summary>Largest grid of <see cref="DiscreteStationaryLaw"/> (a dense N×N matrix: 128 MB at 4000).</summary>
    public const int MaximumCells = 4000;

    /// <summary>Loss <c>L(x) = −A cos(2πx/P) + F x</c>.</summary>
    public static double Loss(double x, double amplitude, double period, double tilt) =>
        -amplitude * Math.Cos(2 * Math.PI * x / period) + tilt * x;

    /// <summary>Gradient <c>L'(x) = (2πA/P) sin(2πx/P) + F</c>.</summary>
    public static double Gradient(double x, double amplitude, double period, double tilt)
    {
        double k = 2 * Math.PI / period;
        return k * amplitude * Math.Sin(k * x) + tilt;
    }

    /// <summary>Critical tilt <c>F_c = 2πA/P</c>, the largest slope of the periodic part: for |F| ≤ F_c, L has minima.</summary>
    public static double CriticalTilt(double amplitude, double period)
    {
        CheckLandscape(amplitude, period, 0);
        return 2 * Math.PI * amplitude / period;
    }

    /// <summary>Temperature of the Langevin approximation, <c>D = ησ²/2</c>.</summary>
    public static double LangevinDiffusion(double learningRate, double noiseStd)
    {
        CheckStep(learningRate, noiseStd);
        return learningRate * noiseStd * noiseStd / 2;
    }

    /// <summary>
    /// Velocity of the noise-free gradient flow <c>dx/dt = −L'(x)</c>: 0 when locked (|F| ≤ F_c, the flow stops at a
    /// minimum), otherwise one period takes <c>T = ∫_0^P dx/|L'(x)| = P/√(F² − F_c²)</c> (from
    /// <c>∫_0^{2π} dθ/(a + b sin θ) = 2π/√(a² − b²)</c>, |a| &gt; |b|), so <c>v = −sign(F) P/T = −sign(F)√(F² − F_c²)</c>.
    /// It is the D → 0 limit of the Langevin value.
    /// </summary>
    public static double DeterministicVelocity(double amplitude, double period, double tilt)
    {
        CheckLandscape(amplitude, period, tilt);
        double fc = 2 * Math.PI * amplitude / period, f = Math.Abs(tilt);
        if (f <= fc)
        {
            return 0;
        }

        // (f − fc)(f + fc) keeps its digits near the critical tilt, where f² − fc² would cancel.
        return -Math.Sign(tilt) * Math.Sqrt((f - fc) * (f + fc));
    }

    /// <summary>
    /// Langevin drift velocity of SGD at learning rate η and noise σ: <see cref="LangevinVelocityAtDiffusion"/> with
    /// <c>D = ησ²/2</c>; σ = 0 gives the noise-free <see cref="DeterministicVelocity"/>.
    /// </summary>
    public static double LangevinVelocity(double amplitude, double period, double tilt, double learningRate, double noiseStd)
    {
        double d = LangevinDiffusion(learningRate, noiseStd);
        return d == 0 ? DeterministicVelocity(amplitude, period, tilt) : LangevinVelocityAtDiffusion(amplitude, period, tilt, d);
    }

    /// <summary>
    /// Stationary drift velocity of <c>dx = −L'(x) dt + √(2D) dW</c> (class remarks):
    /// <c>v = −sign(F) P D (1 − e^{−P|F|/D}) / Q</c>, <c>Q = ∫_0^P J₊(x) dx</c>, evaluated in log-space and returned as
    /// <c>−sign(F)·exp(ln|v|)</c> (<see cref="LangevinLogSpeed"/>): it underflows to ±0 only when |v| &lt; 5e-324 (deep in the
    /// locked regime at small D), where <see cref="LangevinLogSpeed"/> is still finite. Nested Gauss–Legendre quadrature on
    /// graded panels; relative accuracy ~1e-13 where it has been checked (Bessel series, extrapolated finite volumes).
    /// A = 0 returns −F and F = 0 returns 0 exactly.
    /// </summary>
    public static double LangevinVelocityAtDiffusion(double amplitude, double period, double tilt, double diffusion)
    {
        (double sign, double logSpeed) = Langevin(amplitude, period, tilt, diffusion);
        return amplitude == 0 ? -tilt : sign * Math.Exp(logSpeed);
    }

    /// <summary>
    /// <c>ln|v|</c> of <see cref="LangevinVelocityAtDiffusion"/>, finite whenever F ≠ 0 (−∞ at F = 0):
    /// <c>ln(P D) + ln(1 − e^{−P|F|/D}) − ln Q</c>, with <c>ln Q</c> accumulated relative to the largest exponent.
    /// </summary>
    public static double LangevinLogSpeed(double amplitude, double period, double tilt, double diffusion) =>
        Langevin(amplitude, period, tilt, diffusion).LogSpeed;

    /// <summary>
    /// Drift per unit time of discrete SGD given the stationary law of x mod P as masses on grid nodes:
    /// <c>v = −Σ_c p_c L'(x_c) / Σ_c p_c</c> (exact for the law of the chain, since <c>E[x' − x] = −η L'(x)</c>). When |v| is
    /// far below the size of L' (locked regime) the sum cancels to the rounding level ~1e-16 |L'|: use the flux form
    /// <see cref="DiscreteDriftLaw.Velocity"/> there.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, a mass is negative or not finite, or the total is 0.</exception>
    public static double DriftFromDensity(ReadOnlySpan<double> centres, ReadOnlySpan<double> masses, double amplitude, double period, double tilt)
    {
        CheckLandscape(amplitude, period, tilt);
        if (centres.Length != masses.Length)
        {
            throw new ArgumentException("centres and masses differ in length");
        }

        double total = 0, sum = 0;
        for (int c = 0; c < centres.Length; c++)
        {
            if (!(masses[c] >= 0) || !double.IsFinite(masses[c]))
            {
                throw new ArgumentException($"mass {c} is negative or not finite");
            }

            total += masses[c];
            sum += masses[c] * Gradient(centres[c], amplitude, period, tilt);
        }

        if (!(total > 0))
        {
            throw new ArgumentException("the law has no mass");
        }

        return -sum / total;
    }

    /// <summary>
    /// Number of grid nodes <see cref="DiscreteStationaryLaw"/> uses by default: at least 1.5 nodes per Gaussian width
    /// <c>ησ/max|T'|</c> of the kernel seen from the source (<c>T(x) = x − ηL'(x)</c>, <c>max|T'| = max|1 − ηk²A cos(kx)|
    /// = 1 + ηk²A</c>), and at least 64.
    /// </summary>
    public static int DefaultCells(double amplitude, double period, double tilt, double learningRate, double noiseStd)
    {
        CheckLandscape(amplitude, period, tilt);
        CheckStep(learningRate, noiseStd);
        if (noiseStd == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(noiseStd), noiseStd, "Without noise the chain has no stationary density.");
        }

        double k = 2 * Math.PI / period, s = learningRate * noiseStd;
        double cells = Math.Ceiling(NodesPerWidth * period * (1 + learningRate * k * k * amplitude) / s);
        return (int)Math.Max(MinimumCells, Math.Min(cells, int.MaxValue));
    }

    /// <summary>
    /// The stationary law of the discrete SGD chain folded onto [0, P), and its drift velocity.
    /// <para>
    /// The kernel of one step, <c>x' ~ N(T(x), s²)</c>, s = ησ, <c>T(x) = x − ηL'(x)</c>, wrapped onto the circle (all images
    /// within 39 s), is sampled on N nodes <c>x_i = (i + ½)h</c>: <c>K_ij ∝ Σ_m exp(−(x_j + mP − T(x_i))²/(2s²))</c>, rows
    /// normalised. This is the Nyström discretisation of the chain with the periodic trapezoid rule, whose error for a smooth
    /// periodic integrand falls like <c>exp(−2π² w²/h²)</c> (w = s/|T'| the kernel's width seen from the source): below 1e-18 at
    /// the default N (<see cref="DefaultCells"/>), so the result is the law of the chain to the grid's spectral accuracy, not
    /// to O(h²).
    /// </para>
    /// <para>
    /// The stationary vector is found by the Grassmann–Taksar–Heyman elimination (Grassmann, Taksar &amp; Heyman, Oper. Res.
    /// 33, 1985). It uses no subtraction, so every mass comes out with a small relative error (O'Cinneide, Numer. Math. 65,
    /// 1993: a bound polynomial in N times the unit roundoff), the exponentially small masses on the barrier included; it
    /// costs at most N³/3 multiply-adds, fewer with the zero entries of the banded kernel skipped.
    /// </para>
    /// <para>
    /// The velocity is the flux form <c>v = P J/η</c>: for every cut c, <c>E[x' − x] = P·E[net crossings of c + Pℤ]</c> in
    /// stationarity (the folded position has no mean change), and J is summed over the jumps of the grid chain. The cut is
    /// placed at the cell boundary where the stationary mass is smallest, where the forward and backward fluxes cancel least.
    /// </para>
    /// </summary>
    /// <param name="amplitude">A ≥ 0.</param>
    /// <param name="period">P &gt; 0.</param>
    /// <param name="tilt">F.</param>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="noiseStd">σ &gt; 0.</param>
    /// <param name="cells">Grid nodes N (0: <see cref="DefaultCells"/>), at most <see cref="MaximumCells"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">σ = 0 (no stationary density), or N is out of range.</exception>
    public static DiscreteDriftLaw DiscreteStationaryLaw(double amplitude, double period, double tilt, double learningRate, double noiseStd, int cells = 0)
    {
        CheckLandscape(amplitude, period, tilt);
        CheckStep(learningRate, noiseStd);
        if (noiseStd == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(noiseStd), noiseStd, "Without noise the chain has no stationary density.");
        }

        if (cells == 0)
        {
            cells = DefaultCells(amplitude, period, tilt, learningRate, noiseStd);
        }

        if (cells < 2 || cells > MaximumCells)
        {
            throw new ArgumentOutOfRangeException(nameof(cells), cells,
                $"The grid takes 2 to {MaximumCells} nodes (the default needs 1.5 per kernel width ησ/(1 + ηk²A)).");
        }

        int n = cells;
        double h = period / n, s = learningRate * noiseStd, reach = KernelReach * s;
        var centres = new double[n];
        for (int i = 0; i < n; i++)
        {
            centres[i] = (i + 0.5) * h;
        }

        // Row i holds K_ij; the displacement of a jump to node index q (unwrapped, x = (q + ½)h) is kept implicitly: the
        // unwrapped targets of row i run over q ∈ [qLow_i, qHigh_i].
        var kernel = new double[n * n];
        var qLow = new long[n];
        var qHigh = new long[n];
        var rows = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t = centres[i] - learningRate * Gradient(centres[i], amplitude, period, tilt);
            qLow[i] = (long)Math.Ceiling((t - reach) / h - 0.5);
            qHigh[i] = (long)Math.Floor((t + reach) / h - 0.5);
            double row = 0;
            for (long q = qLow[i]; q <= qHigh[i]; q++)
            {
                double z = ((q + 0.5) * h - t) / s, w = Math.Exp(-z * z / 2);
                kernel[i * n + Mod(q, n)] += w;
                row += w;
            }

            rows[i] = row;
            for (int j = 0; j < n; j++)
            {
                kernel[i * n + j] /= row;
            }
        }

        // GTH overwrites its matrix; the flux needs the per-jump (unwrapped) weights, recomputed below.
        double[] masses = StationaryVector((double[])kernel.Clone(), n);

        // Cut at the boundary just below the node of least mass.
        int least = 0;
        for (int i = 1; i < n; i++)
        {
            if (masses[i] < masses[least])
            {
                least = i;
            }
        }

        double cut = least * h;
        double forward = 0, backward = 0;
        for (int i = 0; i < n; i++)
        {
            double t = centres[i] - learningRate * Gradient(centres[i], amplitude, period, tilt);

            // Net crossings of the cuts least + nN (in node units) by the jump i → q: ⌊(q − least)/n⌋ − ⌊(i − least)/n⌋.
            long from = FloorDiv(i - least, n);
            double up = 0, down = 0;
            for (long q = qLow[i]; q <= qHigh[i]; q++)
            {
                long crossings = FloorDiv(q - least, n) - from;
                if (crossings == 0)
                {
                    continue;
                }

                double z = ((q + 0.5) * h - t) / s, w = Math.Exp(-z * z / 2) * crossings;
                if (crossings > 0)
                {
                    up += w;
                }
                else
                {
                    down -= w;
                }
            }

            forward += masses[i] * up / rows[i];
            backward += masses[i] * down / rows[i];
        }

        return new DiscreteDriftLaw(centres, masses, period * (forward - backward) / learningRate, cut);
    }

    private static (double Sign, double LogSpeed) Langevin(double amplitude, double period, double tilt, double diffusion)
    {
        CheckLandscape(amplitude, period, tilt);
        CheckDiffusion(diffusion);
        if (tilt == 0)
        {
            return (0, double.NegativeInfinity);
        }

        if (amplitude == 0)
        {
            return (-Math.Sign(tilt), Math.Log(Math.Abs(tilt)));
        }

        var land = new Landscape(amplitude, period, Math.Abs(tilt), diffusion);
        return (-Math.Sign(tilt), land.LogNumerator() - land.LogQ());
    }

    /// <summary>
    /// The landscape with F &gt; 0 (after the reflection) at temperature D, and the integrals J₊, Q.
    /// <para>
    /// Every integral is a sum of 24-point Gauss–Legendre rules (MathNet nodes) on panels cut geometrically towards the points
    /// where the integrand has its narrow features: the ends of the inner range, the critical points of L and, when running,
    /// the bottleneck of the slope. Cuts lie at <c>c ± w·2^j</c> from each such point c, with <c>w = D/(kA + F)</c> the narrowest
    /// scale (the boundary layer <c>D/|L'|</c> at the steepest slope; the peaks at the critical points are wider,
    /// <c>√(D/|L''|)</c>), so the exponent changes by at most <c>2^j</c> across panel j and each panel sees its part of a peak at
    /// the scale of its own length. Against 40-point rules on panels graded by √2, ln|v| agrees to 2e-14 for D from 30 down to
    /// 1e-4, locked, near-critical and running. The cost is fixed by D (it grows like <c>log²(1/D)</c>), with no adaptive
    /// refinement chasing a relative tolerance on underflowing or denormal values. The
    /// exponents carry the rounding of L, ~1e-16·(A + |F|P)/D: the relative accuracy of v degrades like that for D → 0.
    /// </para>
    /// </summary>
    private sealed class Landscape
    {
        private const int Order = 24;
        private static readonly MathNet.Numerics.Integration.GaussLegendreRule Rule = new(-1, 1, Order);

        private readonly double amplitude, period, diffusion, width;
        private readonly double[] maxima = [], bottleneck = [], outer, outerWeights;

        public Landscape(double amplitude, double period, double tilt, double diffusion)
        {
            this.amplitude = amplitude;
            this.period = period;
            F = tilt;
            this.diffusion = diffusion;
            K = 2 * Math.PI / period;
            width = diffusion / (K * amplitude + tilt);
            double ratio = tilt / (K * amplitude);
            var centres = new List<double>();
            if (ratio <= 1)
            {
                // L' = kA sin(kx) + F = 0 at sin(kx) = −F/(kA): minimum at kx = −φ, maximum at kx = π + φ, φ = asin(F/(kA)).
                double phi = Math.Asin(ratio);
                maxima = [Wrap((Math.PI + phi) / K)];
                centres.Add(maxima[0]);
                centres.Add(Wrap(-phi / K));
            }
            else
            {
                // Running: the slope is smallest at kx = 3π/2, where the integrands flatten.
                bottleneck = [0.75 * period];
                centres.Add(bottleneck[0]);
            }

            outer = Nodes(0, period, centres.SelectMany(c => new[] { c - period, c, c + period }), out outerWeights);
        }

        public double F { get; }

        public double K { get; }

        /// <summary><c>ln(P D (1 − e^{−PF/D}))</c>, with <c>1 − e^{−u} = −expm1(−u)</c> accurate for small u.</summary>
        public double LogNumerator() => Math.Log(period * diffusion) + Math.Log(-Expm1(-period * F / diffusion));

        /// <summary><c>L(z) − L(x)</c>, with the cosine difference as a product of sines (no cancellation for z ≈ x).</summary>
        public double Difference(double z, double x) =>
            2 * amplitude * Math.Sin(K * (z + x) / 2) * Math.Sin(K * (z - x) / 2) + F * (z - x);

        /// <summary>
        /// <c>ln J₊(x) = ln ∫_{x−P}^{x} exp((L(z) − L(x))/D) dz</c> on panels graded towards the ends, the maxima of L and the
        /// bottleneck. The exponent is taken relative to its largest value (at an end or at a maximum of L), so the integrand
        /// is at most 1.
        /// </summary>
        public double LogInner(double x)
        {
            double lower = x - period, upper = x;
            double top = Math.Max(Difference(lower, x), 0);
            var centres = new List<double>(8) { lower, upper };
            foreach (double peak in maxima)
            {
                for (double z = peak + period * Math.Floor((lower - peak) / period); z <= upper; z += period)
                {
                    centres.Add(z);
                    if (z >= lower)
                    {
                        top = Math.Max(top, Difference(z, x));
                    }
                }
            }

            foreach (double b in bottleneck)
            {
                double below = b + period * Math.Floor((lower - b) / period);
                centres.Add(below);
                centres.Add(below + period);
            }

            double[] nodes = Nodes(lower, upper, centres, out double[] weights);
            double shift = top / diffusion, sum = 0;
            for (int i = 0; i < nodes.Length; i++)
            {
                sum += weights[i] * Math.Exp(Difference(nodes[i], x) / diffusion - shift);
            }

            return shift + Math.Log(sum);
        }

        /// <summary><c>ln Q = ln ∫_0^P J₊(x) dx</c> on the outer panels, relative to the largest <c>ln J₊</c> at the nodes.</summary>
        public double LogQ()
        {
            var g = new double[outer.Length];
            double shift = double.NegativeInfinity;
            for (int i = 0; i < g.Length; i++)
            {
                g[i] = LogInner(outer[i]);
                shift = Math.Max(shift, g[i]);
            }

            double sum = 0;
            for (int i = 0; i < g.Length; i++)
            {
                sum += outerWeights[i] * Math.Exp(g[i] - shift);
            }

            return shift + Math.Log(sum);
        }

        /// <summary>
        /// Gauss–Legendre nodes and weights on the panels of [lower, upper] cut at the centres inside and at
        /// <c>c ± w·2^j</c> for each centre c (<c>w·2^j</c> &lt; P).
        /// </summary>
        private double[] Nodes(double lower, double upper, IEnumerable<double> centres, out double[] weights)
        {
            var cuts = new List<double> { lower, upper };
            foreach (double c in centres)
            {
                if (c > lower && c < upper)
                {
                    cuts.Add(c);
                }

                for (double step = width; step < period; step *= 2)
                {
                    if (c - step > lower && c - step < upper)
                    {
                        cuts.Add(c - step);
                    }

                    if (c + step > lower && c + step < upper)
                    {
                        cuts.Add(c + step);
                    }
                }
            }

            cuts.Sort();
            var nodes = new List<double>(cuts.Count * Order);
            var w = new List<double>(cuts.Count * Order);
            for (int p = 0; p + 1 < cuts.Count; p++)
            {
                double mid = (cuts[p] + cuts[p + 1]) / 2, half = (cuts[p + 1] - cuts[p]) / 2;
                if (!(half > 0))
                {
                    continue;
                }

                for (int i = 0; i < Order; i++)
                {
                    nodes.Add(mid + half * Rule.Abscissas[i]);
                    w.Add(half * Rule.Weights[i]);
                }
            }

            weights = w.ToArray();
            return nodes.ToArray();
        }

        private double Wrap(double x) => x - period * Math.Floor(x / period);
    }

    /// <summary>
    /// GTH elimination for the stationary row vector of the row-stochastic N×N matrix (row-major, overwritten): states are
    /// censored from the last down, the diagonal never used (its complement is the off-diagonal row sum), then the masses
    /// are recovered by back substitution. Only nonnegative numbers are added, multiplied and divided.
    /// </summary>
    private static double[] StationaryVector(double[] m, int n)
    {
        for (int e = n - 1; e > 0; e--)
        {
            int row = e * n;
            double s = 0;
            for (int j = 0; j < e; j++)
            {
                s += m[row + j];
            }

            if (!(s > 0))
            {
                throw new InvalidOperationException("the grid chain is reducible: a state cannot leave the states eliminated after it");
            }

            var pivotRow = new ReadOnlySpan<double>(m, row, e);
            for (int i = 0; i < e; i++)
            {
                double f = m[i * n + e] / s;
                m[i * n + e] = f;
                if (f == 0)
                {
                    continue;
                }

                var target = new Span<double>(m, i * n, e);
                for (int j = 0; j < e; j++)
                {
                    target[j] += f * pivotRow[j];
                }
            }
        }

        var pi = new double[n];
        pi[0] = 1;
        double total = 1;
        for (int e = 1; e < n; e++)
        {
            double sum = 0;
            for (int i = 0; i < e; i++)
            {
                sum += pi[i] * m[i * n + e];
            }

            pi[e] = sum;
            total += sum;
        }

        for (int i = 0; i < n; i++)
        {
            pi[i] /= total;
        }

        return pi;
    }

    /// <summary>
    /// <c>e^x − 1</c> to a few ulps by Kahan's identity <c>(u − 1)·x/ln u</c>, u = e^x (the rounding errors of u − 1 and ln u
    /// cancel). MathNet's <c>SpecialFunctions.Expm1</c> loses digits near |x| = 1e-5 (relative error 3e-11 at x = −1.26e-5).
    /// </summary>
    private static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1)
        {
            return x;
        }

        double um1 = u - 1;
        return um1 == -1 ? -1 : um1 * x / Math.Log(u);
    }

    private static int Mod(long q, int n)
    {
        long r = q % n;
        return (int)(r < 0 ? r + n : r);
    }

    private static long FloorDiv(long a, int n)
    {
        long d = a / n;
        return a % n != 0 && a < 0 ? d - 1 : d;
    }

    private static void CheckLandscape(double amplitude, double period, double tilt)
    {
        if (!(amplitude >= 0) || !double.IsFinite(amplitude))
        {
            throw new ArgumentOutOfRangeException(nameof(amplitude), amplitude, "The amplitude A must be nonnegative and finite.");
        }

        if (!(period > 0) || !double.IsFinite(period))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The period P must be positive and finite.");
        }

        if (!double.IsFinite(tilt))
        {
            throw new ArgumentOutOfRangeException(nameof(tilt), tilt, "The tilt F must be finite.");
        }
    }

    private static void CheckStep(double learningRate, double noiseStd)
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        }

        if (!(noiseStd >= 0) || !double.IsFinite(noiseStd))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseStd), noiseStd, "The noise σ must be nonnegative and finite.");
        }
    }

    private static void CheckDiffusion(double diffusion)
    {
        if (!(diffusion > 0) || !double.IsFinite(diffusion))
        {
            throw new ArgumentOutOfRangeException(nameof(diffusion), diffusion, "The diffusion D must be positive and finite.");
        }
    }
}
