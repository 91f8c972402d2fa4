using MathNet.Numerics;

namespace SgdDynamics.Grids;

/// <summary>
/// Result of <see cref="MasterEquationSolver.Stationary"/>: the final density, the number of steps taken, the L1
/// change of the last step (<c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>) and whether it fell below the tolerance.
/// </summary>
public sealed record MasterEquationStationary(GridDensity Density, int Steps, double FinalChange, bool Converged);

/// <summary>
/// Master equation of discrete SGD on a 1-D or 2-D grid,
/// <c>p_{k+1}(y) = E_b ∫ δ(y − x + η g_b(x)) p_k(x) dx</c>, for Gaussian gradient noise (additive and curvature
/// noise): the one-step kernel from x is <c>N(μ(x), C(x))</c> with <c>μ(x) = x − η ḡ(x)</c> and
/// <c>C(x) = η² Σ(x)</c>. Each source cell c (centre x_c, mass m_c &gt; 0) deposits <c>m_c w_cj</c> on target
/// cells j, with <c>Σ_j w_cj = 1</c> exactly over the truncated window, all <c>w_cj ≥ 0</c>.
/// <para>
/// Kernel weights. 1-D: the exact cell probability <c>w_j ∝ Φ((e_{j+1} − μ)/s) − Φ((e_j − μ)/s)</c>,
/// <c>s = η √Σ(x)</c>, over the cells that meet <c>[μ − T s, μ + T s]</c> (T = <see cref="TruncationSigmas"/>),
/// upper-tail differences taken as differences of Q = 1 − Φ so that no tail cancels. The grid measure then gains
/// the variance of the cell quadrature each step: the kernel it applies has mean μ and variance
/// <c>s² + h²/12</c> (Sheppard) up to terms of order <c>exp(−2π² s²/h²)</c>.
/// 2-D: <c>C = [[C₀₀, C₀₁], [C₀₁, C₁₁]]</c> written as the marginal of x₀ times the conditional of x₁,
/// <c>N(μ₀, C₀₀) · N(μ₁ + (C₀₁/C₀₀)(x₀ − μ₀), C₁₁ − C₀₁²/C₀₀)</c>; the density is sampled at cell centres
/// (<c>w_ij ∝ exp(−z₀²/2 − z_c²/2)</c>, the cell area cancels in the normalisation; along a row by the exact
/// two-term recurrence of a sampled Gaussian, two exponentials per row, relative rounding of order the row length
/// times 10⁻¹⁶) over the rows that meet
/// <c>μ₀ ± T √C₀₀</c> and, in each row, the columns that meet the conditional mean ± T conditional sd. A normalised
/// lattice-sampled Gaussian has mean μ and covariance C up to terms of order <c>exp(−2π² s²/h²)</c> (Poisson
/// summation, s the conditional sd along each axis) and the truncation, of order <c>T e^{−T²/2}</c>, so the 2-D
/// kernel adds no O(h²) variance.
/// </para>
/// <para>
/// Push-forward. When the kernel is not resolved by the grid — 1-D: <c>s &lt; r h</c>; 2-D: either conditional
/// sd (<c>√(det C / C₁₁)</c> along axis 0, <c>√(det C / C₀₀)</c> along axis 1) below r times that axis's spacing,
/// r = <see cref="ResolutionThreshold"/> — the noise is dropped and the mass is pushed to μ with linear
/// (cloud-in-cell) weights on the nearest cell centres: conservative, non-negative and mean-preserving
/// (<c>Σ_j w_j x_j = μ</c> exactly away from the boundary), with a per-step variance of <c>f(1 − f) h²</c> per
/// axis (f the fractional offset of μ between centres).
/// </para>
/// <para>
/// Boundary. <see cref="GridBoundary.Absorbing"/>: the part of a Gaussian window outside the box (computed
/// with the same normalisation, exactly in 1-D) and the whole mass of a push-forward whose μ lies outside the box
/// are added to <see cref="GridDensity.LostMass"/>, so grid mass + lost mass is conserved to rounding; a
/// push-forward to a point inside the box within half a cell of a face folds the outer weight onto the face cell.
/// <see cref="GridBoundary.Reflecting"/>: out-of-box cells of a window (and of a cloud-in-cell stencil) are
/// mirrored across the faces as often as needed (method of images); μ is first translated by a multiple of the
/// mirror period 2L, which changes nothing. Nothing is ever renormalised away.
/// </para>
/// <para>
/// Parallel deposit. Source rows (cells in 1-D) are split into a fixed number of contiguous chunks, independent of
/// the machine; each chunk scatters into its own buffer covering only the target range its windows reach, and the
/// buffers are then added into the density in chunk order, so a step is deterministic and race-free for any thread
/// count. Kernel parameters μ, C and all buffers are built once in the constructor: a step allocates no arrays.
/// The landscape is evaluated at cell centres only. An instance is not safe for concurrent use.
/// </para>
/// </summary>
public sealed class MasterEquationSolver
{
    /// <summary>A kernel whose conditional sd along an axis is below this fraction of the spacing is a push-forward.</summary>
    public const double ResolutionThreshold = 0.5;

    private const int ChunkCount = 16;
    private const int MergeBlockCount = 64;
    private const long MaxWindowCells = 1L << 26;
    private const double InvSqrt2 = 0.70710678118654752440;

    private readonly UniformGrid grid;
    private readonly int rows;
    private readonly int rowLength;
    private readonly double h0;
    private readonly double h1;
    private readonly double lower0;
    private readonly double lower1;
    private readonly double upper0;
    private readonly double upper1;
    private readonly Kernel[] kernels;
    private readonly int[] chunkFirstRow;
    private readonly int[] targetLow;
    private readonly int[] targetHigh;
    private readonly double[][] buffers;
    private readonly double[][] scratch;
    private readonly double[] chunkLost;
    private readonly Action<int> depositChunk;
    private readonly Action<int> mergeBlock;
    private double[] current = [];

    /// <summary>A solver for SGD with learning rate <paramref name="learningRate"/> on <paramref name="landscape"/>.</summary>
    /// <param name="grid">The grid (1-D or 2-D, same dimension as the landscape).</param>
    /// <param name="landscape">Mean gradient ḡ(x) and noise covariance Σ(x).</param>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="boundary">Absorbing (lost mass reported) or reflecting.</param>
    /// <param name="truncationSigmas">T: the Gaussian window spans ± T standard deviations (marginal along axis 0, conditional along axis 1).</param>
    /// <exception cref="ArgumentException">Dimensions differ, η or T is not positive and finite, Σ(x) is not finite or not positive semidefinite on the diagonal, μ is not finite under reflection, or a window exceeds 2²⁶ cells.</exception>
    public MasterEquationSolver(UniformGrid grid, GridLandscape landscape, double learningRate, GridBoundary boundary = GridBoundary.Absorbing, double truncationSigmas = 6)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(landscape);
        if (landscape.Dimension != grid.Dimension)
        {
            throw new ArgumentException($"landscape dimension {landscape.Dimension} differs from grid dimension {grid.Dimension}", nameof(landscape));
        }

        if (!double.IsFinite(learningRate) || learningRate <= 0)
        {
            throw new ArgumentException($"learning rate must be positive and finite (got {learningRate})", nameof(learningRate));
        }

        if (!double.IsFinite(truncationSigmas) || truncationSigmas <= 0)
        {
            throw new ArgumentException($"truncation must be positive and finite (got {truncationSigmas})", nameof(truncationSigmas));
        }

        this.grid = grid;
        LearningRate = learningRate;
        Boundary = boundary;
        TruncationSigmas = truncationSigmas;
        rows = grid.Cells[0];
        rowLength = grid.Dimension == 2 ? grid.Cells[1] : 1;
        h0 = grid.Spacing[0];
        lower0 = grid.Lower[0];
        upper0 = grid.Upper[0];
        h1 = grid.Dimension == 2 ? grid.Spacing[1] : 1;
        lower1 = grid.Dimension == 2 ? grid.Lower[1] : 0;
        upper1 = grid.Dimension == 2 ? grid.Upper[1] : 1;

        kernels = new Kernel[grid.Count];
        for (int c = 0; c < grid.Count; c++)
        {
            kernels[c] = BuildKernel(landscape, c);
        }

        int chunks = Math.Min(ChunkCount, rows);
        chunkFirstRow = new int[chunks + 1];
        for (int k = 0; k <= chunks; k++)
        {
            chunkFirstRow[k] = (int)((long)rows * k / chunks);
        }

        targetLow = new int[chunks];
        targetHigh = new int[chunks];
        buffers = new double[chunks][];
        scratch = new double[chunks][];
        chunkLost = new double[chunks];
        for (int k = 0; k < chunks; k++)
        {
            long lowRow = long.MaxValue, highRow = long.MinValue, window = 1;
            for (int c = chunkFirstRow[k] * rowLength; c < chunkFirstRow[k + 1] * rowLength; c++)
            {
                if (TargetRows(c, out long lo, out long hi, out long cells))
                {
                    lowRow = Math.Min(lowRow, lo);
                    highRow = Math.Max(highRow, hi);
                    window = Math.Max(window, cells);
                }
            }

            if (lowRow > highRow)
            {
                targetLow[k] = 0;
                targetHigh[k] = -1;
            }
            else
            {
                targetLow[k] = (int)(lowRow * rowLength);
                targetHigh[k] = (int)((highRow + 1) * rowLength - 1);
            }

            buffers[k] = new double[targetHigh[k] - targetLow[k] + 1];
            scratch[k] = new double[window];
        }

        depositChunk = DepositChunk;
        mergeBlock = MergeBlock;
    }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Boundary handling.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>Truncation T of the Gaussian window in standard deviations.</summary>
    public double TruncationSigmas { get; }

    private enum KernelKind : byte
    {
        Lost,
        PushForward,
        Gaussian,
    }

    /// <summary>
    /// One SGD step of the whole density, in place: <c>p ← K p</c>, with the mass that leaves an absorbing box
    /// added to <see cref="GridDensity.LostMass"/>.
    /// </summary>
    public void Step(GridDensity density)
    {
        CheckGrid(density);
        current = density.Mass;
        try
        {
            Parallel.For(0, buffers.Length, depositChunk);
            Parallel.For(0, Math.Min(MergeBlockCount, grid.Count), mergeBlock);
        }
        finally
        {
            current = [];
        }

        double lost = 0;
        for (int k = 0; k < chunkLost.Length; k++)
        {
            lost += chunkLost[k];
        }

        density.LostMass += lost;
    }

    /// <summary><paramref name="steps"/> steps of <see cref="Step"/>.</summary>
    public void Advance(GridDensity density, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        for (int s = 0; s < steps; s++)
        {
            Step(density);
        }
    }

    /// <summary>
    /// Iterates a copy of <paramref name="start"/> until the L1 change of one step,
    /// <c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>, is below <paramref name="tolerance"/>, or for
    /// <paramref name="maxSteps"/> steps; reports the steps taken and the last change.
    /// </summary>
    public MasterEquationStationary Stationary(GridDensity start, double tolerance, int maxSteps)
    {
        CheckGrid(start);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        var density = new GridDensity(grid) { LostMass = start.LostMass };
        Array.Copy(start.Mass, density.Mass, grid.Count);
        var previous = new double[grid.Count];
        double change = double.PositiveInfinity;
        for (int step = 1; step <= maxSteps; step++)
        {
            Array.Copy(density.Mass, previous, grid.Count);
            double lostBefore = density.LostMass;
            Step(density);
            change = Math.Abs(density.LostMass - lostBefore);
            for (int c = 0; c < previous.Length; c++)
            {
                change += Math.Abs(density.Mass[c] - previous[c]);
            }

            if (change < tolerance)
            {
                return new MasterEquationStationary(density, step, change, true);
            }
        }

        return new MasterEquationStationary(density, maxSteps, change, false);
    }

    private void CheckGrid(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var other = density.Grid;
        if (!ReferenceEquals(other, grid)
            && (!other.Cells.SequenceEqual(grid.Cells) || !other.Lower.SequenceEqual(grid.Lower) || !other.Upper.SequenceEqual(grid.Upper)))
        {
            throw new ArgumentException("the density lives on a different grid", nameof(density));
        }
    }

    private Kernel BuildKernel(GridLandscape landscape, int cell)
    {
        int d = grid.Dimension;
        Span<double> x = stackalloc double[d];
        Span<double> g = stackalloc double[d];
        Span<double> sigma = stackalloc double[d * d];
        grid.Centre(cell, x);
        landscape.MeanGradient(x, g);
        landscape.NoiseCovariance(x, sigma);
        double eta2 = LearningRate * LearningRate;
        double mu0 = x[0] - LearningRate * g[0];
        double mu1 = d == 2 ? x[1] - LearningRate * g[1] : 0;
        foreach (double v in sigma)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"noise covariance is not finite at cell {cell}");
            }
        }

        if (!double.IsFinite(mu0) || !double.IsFinite(mu1))
        {
            if (Boundary == GridBoundary.Reflecting)
            {
                throw new ArgumentException($"the step from cell {cell} is not finite; a reflecting box cannot fold it back");
            }

            return new Kernel { Kind = KernelKind.Lost };
        }

        if (Boundary == GridBoundary.Reflecting)
        {
            mu0 = Fold(mu0, lower0, upper0);
            mu1 = d == 2 ? Fold(mu1, lower1, upper1) : 0;
        }

        var kernel = new Kernel { Mean0 = mu0, Mean1 = mu1 };
        double c00 = eta2 * sigma[0];
        if (c00 < 0 || (d == 2 && eta2 * sigma[3] < 0))
        {
            throw new ArgumentException($"noise covariance has a negative variance at cell {cell}");
        }

        bool resolved;
        if (d == 1)
        {
            kernel.Sd0 = Math.Sqrt(c00);
            resolved = kernel.Sd0 >= ResolutionThreshold * h0;
        }
        else
        {
            double c01 = eta2 * 0.5 * (sigma[1] + sigma[2]);
            double c11 = eta2 * sigma[3];
            double det = c00 * c11 - c01 * c01;
            resolved = c00 > 0 && c11 > 0 && det > 0
                && Math.Sqrt(det / c11) >= ResolutionThreshold * h0
                && Math.Sqrt(det / c00) >= ResolutionThreshold * h1;
            if (resolved)
            {
                kernel.Sd0 = Math.Sqrt(c00);
                kernel.Slope = c01 / c00;
                kernel.SdCond = Math.Sqrt(det / c00);
            }
        }

        if (!resolved)
        {
            bool inside = mu0 >= lower0 && mu0 < upper0 && (d == 1 || (mu1 >= lower1 && mu1 < upper1));
            kernel.Kind = Boundary == GridBoundary.Absorbing && !inside ? KernelKind.Lost : KernelKind.PushForward;
            return kernel;
        }

        kernel.Kind = KernelKind.Gaussian;
        if (Boundary == GridBoundary.Absorbing)
        {
            (long lo, long hi) = Window(mu0, kernel.Sd0, lower0, h0);
            if (hi < 0 || lo >= rows)
            {
                kernel.Kind = KernelKind.Lost;
            }
        }

        return kernel;
    }

    /// <summary>Target rows (cells along axis 0) a source cell can reach and the scratch length it needs; false when it deposits nothing.</summary>
    private bool TargetRows(int cell, out long low, out long high, out long scratchCells)
    {
        ref readonly Kernel k = ref kernels[cell];
        low = 0;
        high = -1;
        scratchCells = 1;
        switch (k.Kind)
        {
            case KernelKind.Lost:
                return false;
            case KernelKind.PushForward:
            {
                long i = (long)Math.Floor((k.Mean0 - lower0) / h0 - 0.5);
                long a = MapIndex(i, rows), b = MapIndex(i + 1, rows);
                low = Math.Min(a, b);
                high = Math.Max(a, b);
                return true;
            }

            default:
            {
                (long lo, long hi) = Window(k.Mean0, k.Sd0, lower0, h0);
                long rowCount = hi - lo + 1;
                if (grid.Dimension == 1)
                {
                    scratchCells = Boundary == GridBoundary.Absorbing ? Math.Min(hi, rows - 1) - Math.Max(lo, 0) + 1 : rowCount;
                }
                else
                {
                    scratchCells = rowCount * ((long)Math.Floor(2 * TruncationSigmas * k.SdCond / h1) + 3);
                }

                if (scratchCells > MaxWindowCells)
                {
                    throw new ArgumentException($"the kernel window of cell {cell} spans {scratchCells} cells; refine the noise or coarsen the grid");
                }

                if (Boundary == GridBoundary.Absorbing)
                {
                    low = Math.Max(lo, 0);
                    high = Math.Min(hi, rows - 1);
                }
                else if (lo >= 0 && hi < rows)
                {
                    low = lo;
                    high = hi;
                }
                else if (rowCount >= 2L * rows)
                {
                    low = 0;
                    high = rows - 1;
                }
                else
                {
                    low = long.MaxValue;
                    high = long.MinValue;
                    for (long r = lo; r <= hi; r++)
                    {
                        long m = Mirror(r, rows);
                        low = Math.Min(low, m);
                        high = Math.Max(high, m);
                    }
                }

                return low <= high;
            }
        }
    }

    /// <summary>Cells j (virtual, may lie outside the box) that meet [μ − T s, μ + T s].</summary>
    private (long Low, long High) Window(double mu, double s, double lower, double h) =>
        ((long)Math.Floor((mu - TruncationSigmas * s - lower) / h), (long)Math.Floor((mu + TruncationSigmas * s - lower) / h));

    /// <summary>Index of a push-forward stencil cell: mirrored (reflecting) or clamped onto the face cell (absorbing, μ inside the box).</summary>
    private long MapIndex(long i, int n) => Boundary == GridBoundary.Reflecting ? Mirror(i, n) : Math.Clamp(i, 0, n - 1);

    /// <summary>Mirror image of virtual cell j in a box of n cells (period 2n): −1 − i ↦ i, n + i ↦ n − 1 − i.</summary>
    private static long Mirror(long j, int n)
    {
        long period = 2L * n;
        long r = j % period;
        if (r < 0)
        {
            r += period;
        }

        return r < n ? r : period - 1 - r;
    }

    /// <summary>Translates x by a multiple of the mirror period 2(upper − lower) into [lower, lower + 2(upper − lower)).</summary>
    private static double Fold(double x, double lower, double upper)
    {
        double period = 2 * (upper - lower);
        double r = (x - lower) % period;
        if (r < 0)
        {
            r += period;
        }

        return lower + r;
    }

    /// <summary>t(z) = Φ(z) for z &lt; 0 and −Q(z) = Φ(z) − 1 for z ≥ 0, so that tail differences do not cancel.</summary>
    private static double TailCdf(double z) => z < 0 ? 0.5 * SpecialFunctions.Erfc(-z * InvSqrt2) : -0.5 * SpecialFunctions.Erfc(z * InvSqrt2);

    /// <summary>Φ(b) − Φ(a) for a ≤ b from t(a), t(b).</summary>
    private static double Difference(double ta, double a, double tb, double b) => tb - ta + (a < 0 && b >= 0 ? 1.0 : 0.0);

    private void DepositChunk(int k)
    {
        double[] buffer = buffers[k];
        Array.Clear(buffer);
        int offset = targetLow[k];
        double lost = 0;
        double[] mass = current;
        for (int c = chunkFirstRow[k] * rowLength; c < chunkFirstRow[k + 1] * rowLength; c++)
        {
            double m = mass[c];
            if (m <= 0)
            {
                continue;
            }

            ref readonly Kernel kernel = ref kernels[c];
            switch (kernel.Kind)
            {
                case KernelKind.Lost:
                    lost += m;
                    break;
                case KernelKind.PushForward:
                    if (grid.Dimension == 1)
                    {
                        PushForward1(m, kernel, buffer, offset);
                    }
                    else
                    {
                        PushForward2(m, kernel, buffer, offset);
                    }

                    break;
                default:
                    lost += grid.Dimension == 1
                        ? Gaussian1(m, kernel, buffer, offset, scratch[k])
                        : Gaussian2(m, kernel, buffer, offset, scratch[k]);
                    break;
            }
        }

        chunkLost[k] = lost;
    }

    private void PushForward1(double m, in Kernel kernel, double[] buffer, int offset)
    {
        double u = (kernel.Mean0 - lower0) / h0 - 0.5;
        double floor = Math.Floor(u);
        double f = u - floor;
        long i = (long)floor;
        buffer[MapIndex(i, rows) - offset] += m * (1 - f);
        buffer[MapIndex(i + 1, rows) - offset] += m * f;
    }

    private void PushForward2(double m, in Kernel kernel, double[] buffer, int offset)
    {
        double u0 = (kernel.Mean0 - lower0) / h0 - 0.5;
        double u1 = (kernel.Mean1 - lower1) / h1 - 0.5;
        double floor0 = Math.Floor(u0), floor1 = Math.Floor(u1);
        double f0 = u0 - floor0, f1 = u1 - floor1;
        long a0 = MapIndex((long)floor0, rows), b0 = MapIndex((long)floor0 + 1, rows);
        long a1 = MapIndex((long)floor1, rowLength), b1 = MapIndex((long)floor1 + 1, rowLength);
        buffer[a0 * rowLength + a1 - offset] += m * (1 - f0) * (1 - f1);
        buffer[a0 * rowLength + b1 - offset] += m * (1 - f0) * f1;
        buffer[b0 * rowLength + a1 - offset] += m * f0 * (1 - f1);
        buffer[b0 * rowLength + b1 - offset] += m * f0 * f1;
    }

    /// <summary>1-D Gaussian deposit of mass m; returns the mass lost through an absorbing boundary.</summary>
    private double Gaussian1(double m, in Kernel kernel, double[] buffer, int offset, double[] weights)
    {
        double mu = kernel.Mean0, s = kernel.Sd0;
        (long lo, long hi) = Window(mu, s, lower0, h0);
        bool absorbing = Boundary == GridBoundary.Absorbing;
        long first = absorbing ? Math.Max(lo, 0) : lo;
        long last = absorbing ? Math.Min(hi, rows - 1) : hi;
        double outside = 0;

        double z = (lower0 + first * h0 - mu) / s;
        double t = TailCdf(z);
        if (absorbing && first > lo)
        {
            double zLo = (lower0 + lo * h0 - mu) / s;
            outside += Difference(TailCdf(zLo), zLo, t, z);
        }

        double inside = 0;
        for (long j = first; j <= last; j++)
        {
            double zNext = (lower0 + (j + 1) * h0 - mu) / s;
            double tNext = TailCdf(zNext);
            double p = Difference(t, z, tNext, zNext);
            weights[j - first] = p;
            inside += p;
            z = zNext;
            t = tNext;
        }

        if (absorbing && last < hi)
        {
            double zHi = (lower0 + (hi + 1) * h0 - mu) / s;
            outside += Difference(t, z, TailCdf(zHi), zHi);
        }

        double scale = m / (inside + outside);
        long inFirst = Math.Max(first, 0), inLast = Math.Min(last, rows - 1);
        for (long j = first; j <= Math.Min(last, inFirst - 1); j++)
        {
            buffer[Mirror(j, rows) - offset] += weights[j - first] * scale;
        }

        if (inFirst <= inLast)
        {
            Span<double> target = buffer.AsSpan((int)(inFirst - offset), (int)(inLast - inFirst + 1));
            ReadOnlySpan<double> source = weights.AsSpan((int)(inFirst - first), target.Length);
            for (int i = 0; i < target.Length; i++)
            {
                target[i] += source[i] * scale;
            }
        }

        for (long j = Math.Max(inFirst, inLast + 1); j <= last; j++)
        {
            buffer[Mirror(j, rows) - offset] += weights[j - first] * scale;
        }

        return outside * scale;
    }

    /// <summary>2-D Gaussian deposit of mass m (centre-sampled, marginal × conditional); returns the mass lost through an absorbing boundary.</summary>
    private double Gaussian2(double m, in Kernel kernel, double[] buffer, int offset, double[] weights)
    {
        double mu0 = kernel.Mean0, mu1 = kernel.Mean1, s0 = kernel.Sd0, slope = kernel.Slope, sc = kernel.SdCond;
        (long lo, long hi) = Window(mu0, s0, lower0, h0);
        bool absorbing = Boundary == GridBoundary.Absorbing;
        double delta = h1 / sc, decay = Math.Exp(-delta * delta);
        double total = 0, outside = 0;
        int w = 0;
        for (long r = lo; r <= hi; r++)
        {
            double d0 = lower0 + (r + 0.5) * h0 - mu0;
            double z0 = d0 / s0;
            double rowExponent = -0.5 * z0 * z0;
            double mc = mu1 + slope * d0;
            (long clo, long chi) = Window(mc, sc, lower1, h1);
            bool rowOutside = r < 0 || r >= rows;

            // exp(−z₀²/2 − (z + kδ)²/2) by its two-term recurrence: w_{k+1} = w_k ρ_k, ρ_{k+1} = ρ_k e^{−δ²}
            double zc = (lower1 + (clo + 0.5) * h1 - mc) / sc;
            double p = Math.Exp(rowExponent - 0.5 * zc * zc);
            double ratio = Math.Exp(-delta * zc - 0.5 * delta * delta);
            for (long c = clo; c <= chi; c++)
            {
                weights[w++] = p;
                total += p;
                if (absorbing && (rowOutside || c < 0 || c >= rowLength))
                {
                    outside += p;
                }

                p *= ratio;
                ratio *= decay;
            }
        }

        double scale = m / total;
        w = 0;
        for (long r = lo; r <= hi; r++)
        {
            double d0 = lower0 + (r + 0.5) * h0 - mu0;
            double mc = mu1 + slope * d0;
            (long clo, long chi) = Window(mc, sc, lower1, h1);
            if (absorbing)
            {
                if (r < 0 || r >= rows)
                {
                    w += (int)(chi - clo + 1);
                    continue;
                }

                long first = Math.Max(clo, 0), last = Math.Min(chi, rowLength - 1);
                if (first <= last)
                {
                    Span<double> row = buffer.AsSpan((int)(r * rowLength - offset + first), (int)(last - first + 1));
                    ReadOnlySpan<double> source = weights.AsSpan((int)(w + first - clo), row.Length);
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] += source[i] * scale;
                    }
                }

                w += (int)(chi - clo + 1);
            }
            else
            {
                long baseIndex = Mirror(r, rows) * rowLength - offset;
                long first = Math.Max(clo, 0), last = Math.Min(chi, rowLength - 1);
                for (long c = clo; c <= Math.Min(chi, first - 1); c++)
                {
                    buffer[baseIndex + Mirror(c, rowLength)] += weights[w++] * scale;
                }

                if (first <= last)
                {
                    Span<double> row = buffer.AsSpan((int)(baseIndex + first), (int)(last - first + 1));
                    ReadOnlySpan<double> source = weights.AsSpan(w, row.Length);
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] += source[i] * scale;
                    }

                    w += row.Length;
                }

                for (long c = Math.Max(first, last + 1); c <= chi; c++)
                {
                    buffer[baseIndex + Mirror(c, rowLength)] += weights[w++] * scale;
                }
            }
        }

        return outside * scale;
    }

    private void MergeBlock(int b)
    {
        int blocks = Math.Min(MergeBlockCount, grid.Count);
        int start = (int)((long)grid.Count * b / blocks);
        int end = (int)((long)grid.Count * (b + 1) / blocks);
        Span<double> destination = current.AsSpan(start, end - start);
        destination.Clear();
        for (int k = 0; k < buffers.Length; k++)
        {
            int from = Math.Max(start, targetLow[k]);
            int to = Math.Min(end - 1, targetHigh[k]);
            if (from > to)
            {
                continue;
            }

            ReadOnlySpan<double> source = buffers[k].AsSpan(from - targetLow[k], to - from + 1);
            Span<double> target = current.AsSpan(from, to - from + 1);
            for (int i = 0; i < source.Length; i++)
            {
                target[i] += source[i];
            }
        }
    }

    /// <summary>One-step kernel of a source cell: μ (folded under reflection) and the Gaussian's marginal/conditional parameters.</summary>
    private struct Kernel
    {
        public KernelKind Kind;
        public double Mean0;
        public double Mean1;
        public double Sd0;
        public double Slope;
        public double SdCond;
    }
}
