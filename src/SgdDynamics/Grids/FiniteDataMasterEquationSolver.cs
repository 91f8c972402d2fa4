using System.Numerics;
using MathNet.Numerics;

namespace SgdDynamics.Grids;

/// <summary>
/// One deterministic branch of a finite-data SGD step, <c>x ↦ A x + o</c>, taken with probability
/// <see cref="Weight"/>. For least squares on a minibatch b, <c>A = I − η H_b</c> and <c>o = η c_b</c>
/// (<see cref="FiniteDataMaps.LeastSquares"/>). The arrays are held by reference (record equality compares them by
/// reference); a solver copies what it needs when it is built.
/// </summary>
/// <param name="Weight">The probability of this branch (≥ 0; the weights of a kernel sum to 1).</param>
/// <param name="Matrix">A, d×d, row-major: <c>Matrix[i·d + j] = A_ij</c>.</param>
/// <param name="Offset">o, d entries.</param>
public sealed record AffineMap(double Weight, double[] Matrix, double[] Offset)
{
    /// <summary>d, the number of coordinates.</summary>
    public int Dimension => Offset.Length;

    /// <summary>Writes <c>A x + o</c> into <paramref name="y"/> (which must not overlap <paramref name="x"/>).</summary>
    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        int d = Offset.Length;
        for (int i = 0; i < d; i++)
        {
            double s = Offset[i];
            for (int j = 0; j < d; j++)
            {
                s += Matrix[(i * d) + j] * x[j];
            }

            y[i] = s;
        }
    }
}

/// <summary>
/// The one-step kernels of SGD on a finite data set as mixtures of affine maps (<see cref="AffineMap"/>), for the
/// solver <see cref="FiniteDataMasterEquationSolver"/>.
/// </summary>
public static class FiniteDataMaps
{
    /// <summary>
    /// The number of minibatch multisets of <paramref name="batchSize"/> indices out of <paramref name="samples"/>
    /// drawn with replacement, <c>C(n + B − 1, B)</c>, exactly.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">n or B is below 1.</exception>
    public static BigInteger MultisetCount(int samples, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long top = (long)samples + batchSize - 1;
        int r = Math.Min(batchSize, samples - 1);
        BigInteger count = BigInteger.One;
        for (int k = 1; k <= r; k++)
        {
            // C(top − r + k, k) = C(top − r + k − 1, k − 1)·(top − r + k)/k, an integer at every k
            count = count * (top - r + k) / k;
        }

        return count;
    }

    /// <summary>
    /// The affine maps of one SGD step on the least-squares loss <c>L(x) = (1/n) Σ_i (a_iᵀx − y_i)²/2</c> with
    /// minibatches of B indices drawn independently and uniformly with replacement:
    /// <c>T_b(x) = (I − η H_b) x + η c_b</c>, <c>H_b = (1/B) Σ_{i∈b} a_i a_iᵀ</c>, <c>c_b = (1/B) Σ_{i∈b} a_i y_i</c> (sums
    /// over the multiset b, repeated indices counted with their multiplicity).
    /// <para>
    /// Exact kernel: when the number of multisets <c>C(n + B − 1, B)</c> (<see cref="MultisetCount"/>) is at most
    /// <paramref name="maxMaps"/>, every multiset is one map, with its multinomial probability
    /// <c>B!/(Π_i m_i!) n^{−B}</c> (m_i the multiplicity of index i), computed as <c>exp(ln B! − Σ ln m_i! − B ln n)</c> and
    /// divided by the sum of all of them, which only removes rounding (the exact weights sum to 1): the weights sum to 1
    /// within a few ulps per map. The multisets come in a fixed order (the count vectors (m_0, …, m_{n−1}) from
    /// (B, 0, …, 0) to (0, …, 0, B), reverse lexicographic), and <paramref name="samplingNote"/> is null.
    /// </para>
    /// <para>
    /// Monte-Carlo kernel: otherwise <paramref name="maxMaps"/> minibatches are drawn, each as B independent uniform
    /// indices from <see cref="System.Random"/> seeded with the 32-bit fold <c>(int)(seed ^ (seed ≫ 32))</c> (the
    /// seeded generator's sequence is fixed across .NET versions), each map with weight 1/maxMaps. The kernel is then an
    /// empirical mixture of the true one: its one-step moments (mean, covariance of the step) differ from the exact
    /// kernel's by a relative sampling error of order 1/√maxMaps, and <paramref name="samplingNote"/> says so.
    /// </para>
    /// </summary>
    /// <param name="features">The n×d feature matrix, row i = a_iᵀ.</param>
    /// <param name="targets">The n targets y_i.</param>
    /// <param name="batchSize">B ≥ 1.</param>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="maxMaps">The most maps the kernel may have (≥ 1).</param>
    /// <param name="seed">The seed of the Monte-Carlo draw (unused by an exact kernel).</param>
    /// <param name="samplingNote">Null for the exact kernel; a sentence on the sampling and its error scale otherwise.</param>
    /// <exception cref="ArgumentException">Empty or mismatched data, non-finite values, B &lt; 1, η not positive and finite, or maxMaps &lt; 1.</exception>
    public static IReadOnlyList<AffineMap> LeastSquares(
        double[,] features, double[] targets, int batchSize, double learningRate, int maxMaps, ulong seed, out string? samplingNote)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        int n = features.GetLength(0), d = features.GetLength(1);
        if (n < 1 || d < 1)
        {
            throw new ArgumentException($"need at least one sample of at least one feature (got {n}×{d})", nameof(features));
        }

        if (targets.Length != n)
        {
            throw new ArgumentException($"need one target per sample ({n} samples, {targets.Length} targets)", nameof(targets));
        }

        foreach (double v in features)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"features must be finite (got {v})", nameof(features));
            }
        }

        if (targets.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("targets must be finite", nameof(targets));
        }

        if (batchSize < 1)
        {
            throw new ArgumentException($"batch size must be at least 1 (got {batchSize})", nameof(batchSize));
        }

        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentException($"learning rate must be positive and finite (got {learningRate})", nameof(learningRate));
        }

        if (maxMaps < 1)
        {
            throw new ArgumentException($"maxMaps must be at least 1 (got {maxMaps})", nameof(maxMaps));
        }

        // the number of multisets, counted only as far as maxMaps
        long top = (long)n + batchSize - 1;
        int r = Math.Min(batchSize, n - 1);
        Int128 count = 1;
        for (int k = 1; k <= r && count <= maxMaps; k++)
        {
            count = count * (top - r + k) / k;
        }

        var maps = new List<AffineMap>();
        if (count <= maxMaps)
        {
            samplingNote = null;
            var m = new int[n];
            m[0] = batchSize;
            var logWeights = new List<double>();
            double logBatch = SpecialFunctions.FactorialLn(batchSize) - (batchSize * Math.Log(n));
            while (true)
            {
                double logWeight = logBatch;
                for (int i = 0; i < n; i++)
                {
                    logWeight -= SpecialFunctions.FactorialLn(m[i]);
                }

                logWeights.Add(logWeight);
                maps.Add(Map(features, targets, m, batchSize, learningRate, 1));

                // the next composition of B into n parts: the last non-zero part before the last one gives one unit,
                // and its right neighbour takes it together with the last part's
                int j = n - 2;
                while (j >= 0 && m[j] == 0)
                {
                    j--;
                }

                if (j < 0)
                {
                    break;
                }

                int last = m[n - 1];
                m[n - 1] = 0;
                m[j]--;
                m[j + 1] = last + 1;
            }

            var raw = logWeights.Select(Math.Exp).ToArray();
            double total = 0;
            foreach (double u in raw)
            {
                total += u;
            }

            for (int b = 0; b < maps.Count; b++)
            {
                maps[b] = maps[b] with { Weight = raw[b] / total };
            }

            return maps;
        }

        string counted = FormatCount(n, batchSize);
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var multiplicity = new int[n];
        var drawn = new int[batchSize];
        double weight = 1.0 / maxMaps;
        for (int b = 0; b < maxMaps; b++)
        {
            for (int k = 0; k < batchSize; k++)
            {
                drawn[k] = random.Next(n);
                multiplicity[drawn[k]]++;
            }

            maps.Add(Map(features, targets, multiplicity, batchSize, learningRate, weight));
            foreach (int i in drawn)
            {
                multiplicity[i] = 0;
            }
        }

        samplingNote = FormattableString.Invariant(
            $"Monte-Carlo kernel: the {counted} minibatch multisets of {batchSize} out of {n} samples exceed maxMaps = {maxMaps}, so {maxMaps} minibatches were drawn uniformly with replacement (System.Random, seed {seed}) and weighted 1/{maxMaps} each; the kernel is an empirical mixture, and the moments of one step carry a relative sampling error of order 1/√{maxMaps} ≈ {1 / Math.Sqrt(maxMaps):G2}");
        return maps;
    }

    /// <summary>The map of the multiset with multiplicities <paramref name="m"/>: <c>(I − η H_b) x + η c_b</c>.</summary>
    private static AffineMap Map(double[,] features, double[] targets, int[] m, int batchSize, double learningRate, double weight)
    {
        int n = features.GetLength(0), d = features.GetLength(1);
        var h = new double[d * d];
        var c = new double[d];
        for (int i = 0; i < n; i++)
        {
            if (m[i] == 0)
            {
                continue;
            }

            double share = (double)m[i] / batchSize;
            for (int p = 0; p < d; p++)
            {
                c[p] += share * features[i, p] * targets[i];
                for (int q = 0; q < d; q++)
                {
                    h[(p * d) + q] += share * features[i, p] * features[i, q];
                }
            }
        }

        var matrix = new double[d * d];
        var offset = new double[d];
        for (int p = 0; p < d; p++)
        {
            offset[p] = learningRate * c[p];
            for (int q = 0; q < d; q++)
            {
                matrix[(p * d) + q] = (p == q ? 1.0 : 0.0) - (learningRate * h[(p * d) + q]);
            }
        }

        return new AffineMap(weight, matrix, offset);
    }

    /// <summary>The multiset count in full up to about 15 digits, else as a power of ten (from ln Γ, without the big product).</summary>
    private static string FormatCount(int samples, int batchSize)
    {
        double log10 = (SpecialFunctions.GammaLn((double)samples + batchSize) - SpecialFunctions.GammaLn(batchSize + 1.0) - SpecialFunctions.GammaLn(samples)) / Math.Log(10);
        return log10 < 15
            ? MultisetCount(samples, batchSize).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : FormattableString.Invariant($"about 10^{log10:F1}");
    }
}

/// <summary>
/// The exact master equation of SGD on a finite data set, in 1-D or 2-D, on the host: one step from x goes to
/// <c>T_b(x)</c> with probability w_b, T_b affine (<see cref="AffineMap"/>; for least squares
/// <see cref="FiniteDataMaps.LeastSquares"/>), so the density evolves as the push-forward
/// <c>p_{k+1} = Σ_b w_b (T_b)_# p_k</c>. The kernel is a finite mixture of deterministic maps: no noise model, no
/// Gaussian, and laws with gaps between their peaks are resolved as such. Densities are cell masses
/// (<see cref="GridDensity.Mass"/>), as for the other grid solvers.
/// <para>
/// 1-D, exact for a piecewise-constant density: the mass of a cell [a, b] is uniform on it, T_b sends it to the
/// interval between T_b(a) and T_b(b) (reversed for a negative slope) with uniform density, and each target cell
/// receives the mass of its exact overlap; a zero slope (or an image narrower than rounding) sends the whole mass to the
/// cell holding the image point. The only approximation is this projection onto cells, Π. Its error: with X̂ the cell
/// centre law (what <see cref="GridDensity.Mean"/> and <see cref="GridDensity.Covariance"/> report), h the spacing and
/// C = Var X̂ + h²/12 the variance of the piecewise-constant law (whose mean is that of X̂), Π moves the mean by
/// <c>−E t</c>, t the offset of an image point from the centre of its cell (|t| ≤ h/2), and for images smooth on the
/// scale of a cell E t vanishes up to exponentially small terms (Euler–Maclaurin); Π adds to C about h²/6 (Sheppard's
/// h²/12 of grouping to the centre variance, and the cell's own h²/12). So for smooth densities the moments follow the
/// exact mixture recursion <c>m' = Σ_b w_b (s_b m + o_b)</c>, <c>C' = Σ_b w_b (s_b² C + (s_b m + o_b − m')²) + h²/6</c>,
/// i.e. <c>Var X̂' = push(Var X̂ + h²/12) + h²/12</c>. Measured (FiniteDataMasterEquationTests, h = 0.01, slopes 0.9,
/// −0.8, 0.6, 30 steps from a Gaussian): mean error 3e-5 h, C within 0.003 h² of that recursion. For images not smooth
/// on the scale of a cell (point masses, a pure shift by a fraction f of a cell) the added variance lies between 0 and
/// h²/4 (a shift: f(1 − f)h²), and the mean error is at most h/2 a step.
/// </para>
/// <para>
/// 2-D, by a stated quadrature: each source cell is split into q×q sub-cells (q = <see cref="SubCells"/>), the mass of
/// a sub-cell sits at its centre, moves to the image point and is deposited there with bilinear (cloud-in-cell)
/// weights on the four nearest target cell centres. For mass that stays inside the box (away from the faces' half
/// cells) this is exact in the mean: the sub-cell centres average to the cell centre and cloud-in-cell keeps the
/// mean, so the mean of X̂ follows the exact mixture recursion <c>m' = Σ_b w_b (A_b m + o_b)</c> to rounding. The
/// covariance follows <c>V' = Σ_b w_b [A_b (V + D_q) A_bᵀ + (A_b m + o_b − m')(A_b m + o_b − m')ᵀ] + G</c>, with
/// <c>D_q = diag(h_k² (1 − 1/q²)/12)</c> the spread of the sub-cell centres in a cell and
/// <c>G = diag(E[f_k(1 − f_k)] h_k²)</c> the cloud-in-cell term (f_k the fractional position of an image point
/// between centres along axis k; no cross term, the bilinear weights are a product): 0 ≼ G ≼ diag(h_k²/4), and
/// G ≈ diag(h_k²/6) when the image points fall evenly between centres. Both are exact identities for interior mass, so
/// the covariance lies between the recursion with G = 0 and with G = h²/4 (in the positive semidefinite order).
/// Measured (FiniteDataMasterEquationTests, h = 0.05, q = 4, three maps, 10 steps from a Gaussian): the mean equals the
/// recursion to 1e-16, the covariance is that of G = h²/6 within 3e-4 h² in each entry.
/// </para>
/// <para>
/// Walls. <see cref="GridBoundary.Absorbing"/>: mass whose image leaves the box is lost and reported in
/// <see cref="GridDensity.LostMass"/> (1-D: the part of an image interval beyond a face; 2-D: a sub-cell whose image
/// point is outside the box; a 2-D image point inside the box but within half a cell of a face puts its outer
/// cloud-in-cell weight on the face cell), and grid mass + lost mass is conserved to rounding; non-finite images are
/// lost. <see cref="GridBoundary.Periodic"/>: the image (interval or point) is wrapped onto the ring (torus), nothing is
/// lost. <see cref="GridBoundary.Reflecting"/>: the image is mirrored across the faces as often as needed (virtual cell
/// −1 − i lands on i, n + i on n − 1 − i, period 2n), nothing is lost; in 2-D the cloud-in-cell stencil is mirrored, the
/// same as depositing the mirrored point. Under periodic and reflecting walls a non-finite image is an error. The
/// displacement of <see cref="Advance"/> is the exact expected step <c>Σ_c p_c Σ_b w_b (T_b(x_c) − x_c)</c> of the
/// unwrapped motion (the cell's uniform law, or its sub-cell centres, average to x_c and T_b is affine).
/// </para>
/// <para>
/// Storage and cost. The maps do not change with time, so the construction tabulates, per source cell, the targets
/// and weights of all maps together (the contributions of every map and sub-cell to one target summed, in a fixed
/// order) in a compressed-row layout, at most <see cref="MaxWeights"/> weights; a step is then a sparse scatter of the
/// sources in increasing order, deterministic and bit-reproducible. Construction costs maps × cells × window, the
/// window being about |slope| + 2 cells per map in 1-D (the image interval) and 4q² deposits per map in 2-D; a step
/// costs one multiply-add per stored weight, at most that many and usually far fewer (the maps' images overlap and
/// their weights merge): in 1-D about (number of distinct target cells of a source) × cells, in 2-D about
/// cells × Σ_b (|det A_b| + perimeter of the image cell, in cells), capped by maps × cells × 4q². Sources with zero
/// mass are skipped. On one core a stored weight costs about a nanosecond a step (measured: the 15 least-squares maps
/// of n = 5, B = 2 on 1000 cells store 16 000–21 000 weights, built in 4–20 ms, 15–23 µs a step; three 2-D maps on
/// 160 × 160 cells with q = 4 store 0.5 million weights, built in 0.16 s).
/// </para>
/// An instance holds its tables and a step buffer and is not safe for concurrent use.
/// </summary>
public sealed class FiniteDataMasterEquationSolver
{
    /// <summary>The most (source, target) weights the solver stores.</summary>
    public const long MaxWeights = 1L << 27;

    /// <summary>The most virtual cells (1-D) or cloud-in-cell deposits (2-D) the construction visits, over all maps and sources.</summary>
    public const long MaxVisitedCells = 1L << 30;

    /// <summary>The largest number of sub-cells per axis in 2-D.</summary>
    public const int MaxSubCells = 64;

    /// <summary>How far the map weights may sum from 1.</summary>
    public const double WeightSumTolerance = 1e-12;

    private readonly int[] rowStart;
    private readonly int[] targets;
    private readonly double[] weights;
    private readonly double[] lost;
    private readonly double[] shift;
    private readonly double[] buffer;

    /// <summary>The solver of the mixture <paramref name="maps"/> on <paramref name="grid"/> under <paramref name="boundary"/>.</summary>
    /// <param name="grid">The grid, 1-D or 2-D, of the maps' dimension.</param>
    /// <param name="maps">The branches of one step; their weights must be non-negative and sum to 1 within <see cref="WeightSumTolerance"/>.</param>
    /// <param name="boundary">Absorbing, reflecting or periodic walls.</param>
    /// <param name="subCells">q, the sub-cells per axis of the 2-D quadrature (1 to <see cref="MaxSubCells"/>); unused in 1-D.</param>
    /// <exception cref="ArgumentException">No maps, a map of the wrong dimension or with non-finite entries, weights negative or not summing to 1, q out of range, a non-finite image under reflecting or periodic walls, or more than <see cref="MaxVisitedCells"/> visits or <see cref="MaxWeights"/> weights.</exception>
    /// <exception cref="NotSupportedException"><paramref name="boundary"/> is not one of the walls this solver knows.</exception>
    public FiniteDataMasterEquationSolver(UniformGrid grid, IReadOnlyList<AffineMap> maps, GridBoundary boundary, int subCells = 4)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(maps);
        if (boundary is not (GridBoundary.Absorbing or GridBoundary.Reflecting or GridBoundary.Periodic))
        {
            throw new NotSupportedException($"the finite-data master equation has absorbing, reflecting and periodic walls; wall {boundary} is not supported");
        }

        int d = grid.Dimension;
        if (maps.Count == 0)
        {
            throw new ArgumentException("need at least one map", nameof(maps));
        }

        double weightSum = 0;
        for (int b = 0; b < maps.Count; b++)
        {
            AffineMap map = maps[b] ?? throw new ArgumentException($"map {b} is null", nameof(maps));
            if (map.Matrix is null || map.Offset is null || map.Offset.Length != d || map.Matrix.Length != d * d)
            {
                throw new ArgumentException($"map {b} must have a {d}×{d} matrix and {d} offsets, as the grid", nameof(maps));
            }

            if (!(map.Weight >= 0) || !double.IsFinite(map.Weight) || map.Matrix.Any(v => !double.IsFinite(v)) || map.Offset.Any(v => !double.IsFinite(v)))
            {
                throw new ArgumentException($"map {b}: the weight must be non-negative and finite and the matrix and offset finite", nameof(maps));
            }

            weightSum += map.Weight;
        }

        if (Math.Abs(weightSum - 1) > WeightSumTolerance)
        {
            throw new ArgumentException($"the map weights sum to {weightSum:R}, not 1 (tolerance {WeightSumTolerance:G})", nameof(maps));
        }

        if (d == 2 && subCells is < 1 or > MaxSubCells)
        {
            throw new ArgumentException($"sub-cells per axis must be between 1 and {MaxSubCells} (got {subCells})", nameof(subCells));
        }

        Grid = grid;
        Boundary = boundary;
        SubCells = d == 2 ? subCells : 1;
        MapCount = maps.Count;
        int count = grid.Count;
        rowStart = new int[count + 1];
        lost = new double[count];
        shift = new double[count * d];
        buffer = new double[count];
        var builder = new RowBuilder(count);
        Span<double> x = stackalloc double[d];
        Span<double> y = stackalloc double[d];
        for (int c = 0; c < count; c++)
        {
            rowStart[c] = builder.Targets.Count;
            grid.Centre(c, x);
            foreach (AffineMap map in maps)
            {
                if (map.Weight == 0)
                {
                    continue;
                }

                map.Apply(x, y);
                for (int k = 0; k < d; k++)
                {
                    shift[(c * d) + k] += map.Weight * (y[k] - x[k]);
                }

                if (d == 1)
                {
                    Deposit1D(builder, c, map);
                }
                else
                {
                    Deposit2D(builder, c, map);
                }
            }

            lost[c] = builder.Lost;
            builder.EndRow();
            if (builder.Targets.Count > MaxWeights)
            {
                throw new ArgumentException($"the kernel needs more than {MaxWeights:N0} weights ({maps.Count} maps on {count} cells); use a coarser grid or fewer maps", nameof(maps));
            }
        }

        rowStart[count] = builder.Targets.Count;
        targets = [.. builder.Targets];
        weights = [.. builder.Weights];
    }

    /// <summary>The grid.</summary>
    public UniformGrid Grid { get; }

    /// <summary>The walls.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>q, the sub-cells per axis of the 2-D quadrature (1 in 1-D).</summary>
    public int SubCells { get; }

    /// <summary>The number of maps of the kernel.</summary>
    public int MapCount { get; }

    /// <summary>The stored weights (the work of a step).</summary>
    public long Weights => weights.Length;

    /// <summary>
    /// One step: <paramref name="next"/> receives the push-forward of the cell masses <paramref name="mass"/>; returns
    /// the mass that left the box (absorbing walls; 0 otherwise). The two spans must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length is not the grid's cell count.</exception>
    public double Step(ReadOnlySpan<double> mass, Span<double> next)
    {
        if (mass.Length != Grid.Count || next.Length != Grid.Count)
        {
            throw new ArgumentException($"need {Grid.Count} cell masses (got {mass.Length} in, {next.Length} out)");
        }

        next.Clear();
        double lostNow = 0;
        for (int c = 0; c < mass.Length; c++)
        {
            double m = mass[c];
            if (m == 0)
            {
                continue;
            }

            lostNow += m * lost[c];
            int end = rowStart[c + 1];
            for (int k = rowStart[c]; k < end; k++)
            {
                next[targets[k]] += m * weights[k];
            }
        }

        return lostNow;
    }

    /// <summary>
    /// <paramref name="steps"/> steps of <paramref name="density"/> in place, its lost mass accumulated; with
    /// <paramref name="displacement"/> (one entry per dimension) also the expected step <c>Σ_c p_c Σ_b w_b (T_b(x_c) − x_c)</c>
    /// per step, the expected displacement of the unwrapped motion on a periodic grid.
    /// </summary>
    /// <exception cref="ArgumentException">The density lives on a different grid, or the displacement has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is negative.</exception>
    public void Advance(GridDensity density, int steps, double[]? displacement = null)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (density.Mass.Length != Grid.Count || density.Grid.Dimension != Grid.Dimension)
        {
            throw new ArgumentException("the density lives on a different grid", nameof(density));
        }

        int d = Grid.Dimension;
        if (displacement is not null && displacement.Length != d)
        {
            throw new ArgumentException($"the displacement needs {d} entries (got {displacement.Length})", nameof(displacement));
        }

        double[] p = density.Mass;
        for (int step = 0; step < steps; step++)
        {
            if (displacement is not null)
            {
                for (int c = 0; c < p.Length; c++)
                {
                    for (int k = 0; k < d; k++)
                    {
                        displacement[k] += p[c] * shift[(c * d) + k];
                    }
                }
            }

            density.LostMass += Step(p, buffer);
            Array.Copy(buffer, p, p.Length);
        }
    }

    /// <summary>The 1-D image of cell <paramref name="c"/> under <paramref name="map"/>, by exact overlap.</summary>
    private void Deposit1D(RowBuilder row, int c, AffineMap map)
    {
        int n = Grid.Cells[0];
        double h = Grid.Spacing[0], lower = Grid.Lower[0], w = map.Weight;
        double slope = map.Matrix[0], offset = map.Offset[0];
        double ya = (slope * (lower + (c * h))) + offset, yb = (slope * (lower + ((c + 1) * h))) + offset;
        double uLo = (Math.Min(ya, yb) - lower) / h, uHi = (Math.Max(ya, yb) - lower) / h;
        if (!double.IsFinite(uLo) || !double.IsFinite(uHi))
        {
            NotFinite(row, w, c);
            return;
        }

        if (Boundary == GridBoundary.Absorbing)
        {
            double width = uHi - uLo;
            if (!(width > 0))
            {
                // a point: the cell holding it (the upper face belongs to the last cell), or lost
                if (uLo < 0 || uLo > n)
                {
                    row.Lost += w;
                }
                else
                {
                    row.Add(Math.Min((int)Math.Floor(uLo), n - 1), w);
                }

                return;
            }

            double outside = Math.Max(0, Math.Min(uHi, 0) - uLo) + Math.Max(0, uHi - Math.Max(uLo, n));
            row.Lost += w * (outside / width);
            double from = Math.Max(uLo, 0), to = Math.Min(uHi, n);
            if (to > from)
            {
                long first = (long)Math.Floor(from), last = Math.Min((long)Math.Ceiling(to) - 1, n - 1);
                Visit(row, last - first + 1);
                for (long v = first; v <= last; v++)
                {
                    double part = Math.Min(to, v + 1) - Math.Max(from, v);
                    if (part > 0)
                    {
                        row.Add((int)v, w * (part / width));
                    }
                }
            }

            return;
        }

        // periodic and reflecting: translate the image by a whole number of periods, then fold its virtual cells
        double period = Boundary == GridBoundary.Periodic ? n : 2.0 * n;
        double turns = period * Math.Floor(uLo / period);
        uLo -= turns;
        uHi -= turns;
        double span = uHi - uLo;
        if (!(span > 0))
        {
            long v = Math.Min((long)Math.Floor(uLo), (long)period - 1);
            row.Add(Fold(v, n), w);
            return;
        }

        long start = (long)Math.Floor(uLo), end = (long)Math.Ceiling(uHi) - 1;
        Visit(row, end - start + 1);
        for (long v = start; v <= end; v++)
        {
            double part = Math.Min(uHi, v + 1) - Math.Max(uLo, v);
            if (part > 0)
            {
                row.Add(Fold(v, n), w * (part / span));
            }
        }
    }

    /// <summary>The 2-D image of cell <paramref name="c"/> under <paramref name="map"/>: q×q sub-cell centres deposited by cloud-in-cell.</summary>
    private void Deposit2D(RowBuilder row, int c, AffineMap map)
    {
        int q = SubCells;
        int n0 = Grid.Cells[0], n1 = Grid.Cells[1];
        double h0 = Grid.Spacing[0], h1 = Grid.Spacing[1], l0 = Grid.Lower[0], l1 = Grid.Lower[1];
        double u0Max = Grid.Upper[0], u1Max = Grid.Upper[1];
        int i0 = c / n1, i1 = c % n1;
        double w = map.Weight / ((double)q * q);
        double a00 = map.Matrix[0], a01 = map.Matrix[1], a10 = map.Matrix[2], a11 = map.Matrix[3];
        Visit(row, 4L * q * q);
        for (int s0 = 0; s0 < q; s0++)
        {
            double x0 = l0 + ((i0 + ((s0 + 0.5) / q)) * h0);
            for (int s1 = 0; s1 < q; s1++)
            {
                double x1 = l1 + ((i1 + ((s1 + 0.5) / q)) * h1);
                double y0 = (a00 * x0) + (a01 * x1) + map.Offset[0];
                double y1 = (a10 * x0) + (a11 * x1) + map.Offset[1];
                if (!double.IsFinite(y0) || !double.IsFinite(y1))
                {
                    NotFinite(row, w, c);
                    continue;
                }

                if (Boundary == GridBoundary.Absorbing && (y0 < l0 || y0 > u0Max || y1 < l1 || y1 > u1Max))
                {
                    row.Lost += w;
                    continue;
                }

                // positions in cell-centre units, translated by whole periods under periodic and reflecting walls
                double u0 = (y0 - l0) / h0, u1 = (y1 - l1) / h1;
                if (Boundary != GridBoundary.Absorbing)
                {
                    double p0 = Boundary == GridBoundary.Periodic ? n0 : 2.0 * n0, p1 = Boundary == GridBoundary.Periodic ? n1 : 2.0 * n1;
                    u0 -= p0 * Math.Floor(u0 / p0);
                    u1 -= p1 * Math.Floor(u1 / p1);
                }

                u0 -= 0.5;
                u1 -= 0.5;
                double f0 = Math.Floor(u0), f1 = Math.Floor(u1);
                long j0 = (long)f0, j1 = (long)f1;
                double g0 = u0 - f0, g1 = u1 - f1;
                int lo0 = Axis(j0, n0), hi0 = Axis(j0 + 1, n0), lo1 = Axis(j1, n1), hi1 = Axis(j1 + 1, n1);
                row.Add((lo0 * n1) + lo1, w * (1 - g0) * (1 - g1));
                row.Add((lo0 * n1) + hi1, w * (1 - g0) * g1);
                row.Add((hi0 * n1) + lo1, w * g0 * (1 - g1));
                row.Add((hi0 * n1) + hi1, w * g0 * g1);
            }
        }
    }

    /// <summary>The cell along one axis of virtual cell-centre index <paramref name="v"/> of a cloud-in-cell stencil.</summary>
    private int Axis(long v, int n) => Boundary == GridBoundary.Absorbing ? (int)Math.Clamp(v, 0, n - 1) : Fold(v, n);

    /// <summary>The cell of virtual cell <paramref name="v"/> under periodic (period n) or reflecting (mirror images, period 2n) walls.</summary>
    private int Fold(long v, int n)
    {
        if (Boundary == GridBoundary.Periodic)
        {
            return (int)(((v % n) + n) % n);
        }

        long m = ((v % (2L * n)) + (2L * n)) % (2L * n);
        return (int)(m < n ? m : (2L * n) - 1 - m);
    }

    /// <summary>A non-finite image: lost through an absorbing wall, an error otherwise.</summary>
    private void NotFinite(RowBuilder row, double w, int c)
    {
        if (Boundary != GridBoundary.Absorbing)
        {
            throw new ArgumentException($"a map sends cell {c} to a non-finite point; under {Boundary.Name()} walls the mass has nowhere to go", "maps");
        }

        row.Lost += w;
    }

    /// <summary>Counts visited cells against <see cref="MaxVisitedCells"/>.</summary>
    private static void Visit(RowBuilder row, long cells)
    {
        row.Visited += cells;
        if (row.Visited > MaxVisitedCells)
        {
            throw new ArgumentException($"the maps' images span more than {MaxVisitedCells:N0} cells over all sources; use a coarser grid, fewer maps or fewer sub-cells", "maps");
        }
    }

    /// <summary>Accumulates one source cell's row (dense scratch over the targets, emitted in increasing target order).</summary>
    private sealed class RowBuilder(int cells)
    {
        private readonly double[] scratch = new double[cells];
        private readonly bool[] seen = new bool[cells];
        private readonly List<int> touched = [];

        public List<int> Targets { get; } = [];

        public List<double> Weights { get; } = [];

        public double Lost { get; set; }

        public long Visited { get; set; }

        public void Add(int target, double weight)
        {
            if (weight == 0)
            {
                return;
            }

            if (!seen[target])
            {
                seen[target] = true;
                touched.Add(target);
            }

            scratch[target] += weight;
        }

        public void EndRow()
        {
            touched.Sort();
            foreach (int t in touched)
            {
                Targets.Add(t);
                Weights.Add(scratch[t]);
                scratch[t] = 0;
                seen[t] = false;
            }

            touched.Clear();
            Lost = 0;
        }
    }
}
