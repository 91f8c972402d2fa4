using SgdDynamics.Theory;

namespace SgdDynamics.Grids;

/// <summary>
/// A 1-D one-step noise of fixed shape: from x, one SGD step goes to <c>x − η m(x) − η e(x) S</c>, S a symmetric random
/// variable whose law does not depend on x (the fluctuating landscape, <see cref="FluctuatingNoiseLaw"/>).
/// </summary>
/// <param name="Shift">m(x), the mean gradient.</param>
/// <param name="Scale">e(x), the envelope.</param>
/// <param name="Law">The law of S.</param>
/// <param name="Bound">|S| ≤ Bound.</param>
public sealed record ShapedNoise(Func<double, double> Shift, Func<double, double> Scale, FluctuatingNoiseLaw Law, double Bound);

/// <summary>
/// The master equation for a landscape whose one-step noise has a fixed non-Gaussian shape (<see cref="ShapedNoise"/>),
/// in 1-D, on the host. The weight from source cell c to target cell j is the probability that one step from the cell
/// centre x_c lands in cell j, <c>w_cj = G_c(b_j) − G_c(a_j)</c> with <c>G_c(y) = F_S((y − μ_c)/(η|e(x_c)|))</c>,
/// μ_c = x_c − η m(x_c) (S is symmetric), F_S the law's <see cref="FluctuatingNoiseLaw.SmoothCdf"/>; a zero envelope moves
/// the whole mass to the cell holding μ_c. The window is exact: |S| ≤ Σ|A_k|, no truncation. Walls: absorbing (the
/// mass beyond the box is lost), reflecting (mirror images, period 2n) and periodic (period n), by folding the virtual
/// target cells. Each step scatters the sources in order, so it is deterministic.
/// </summary>
public sealed class ShapedMasterEquationSolver
{
    /// <summary>The most (source, target) weights the solver stores.</summary>
    public const long MaxWeights = 1L << 27;

    private readonly int[] rowStart;
    private readonly int[] targets;
    private readonly double[] weights;
    private readonly double[] lost;
    private readonly double[] shift;
    private readonly double[] next;

    /// <summary>The solver for <paramref name="noise"/> on <paramref name="grid"/> (1-D) with learning rate <paramref name="learningRate"/>.</summary>
    /// <exception cref="ArgumentException">The grid is not 1-D, η is not positive and finite, m or e is not finite at a cell centre under reflecting or periodic walls, or the windows exceed <see cref="MaxVisitedCells"/> cells or the weights <see cref="MaxWeights"/>.</exception>
    public ShapedMasterEquationSolver(UniformGrid grid, ShapedNoise noise, double learningRate, GridBoundary boundary)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(noise);
        if (grid.Dimension != 1)
        {
            throw new ArgumentException($"the master equation of a shaped noise is 1-D (the grid has {grid.Dimension} dimensions)", nameof(grid));
        }

        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentException($"learning rate must be positive and finite (got {learningRate})", nameof(learningRate));
        }

        Grid = grid;
        Boundary = boundary;
        int n = grid.Count;
        double h = grid.Spacing[0], lower = grid.Lower[0];
        rowStart = new int[n + 1];
        lost = new double[n];
        shift = new double[n];
        next = new double[n];
        var targetList = new List<int>();
        var weightList = new List<double>();
        long visited = 0;
        for (int c = 0; c < n; c++)
        {
            double x = grid.Centre(0, c);
            double m = noise.Shift(x);
            double scale = Math.Abs(learningRate * noise.Scale(x));
            double mu = x - (learningRate * m);
            shift[c] = -learningRate * m;
            rowStart[c] = targetList.Count;
            if (!double.IsFinite(mu) || !double.IsFinite(scale))
            {
                if (boundary != GridBoundary.Absorbing)
                {
                    throw new ArgumentException($"one step from x = {x:G6} is not finite (η m = {learningRate * m:G4}, η e = {scale:G4}); under {boundary.Name()} walls the mass has nowhere to go", nameof(noise));
                }

                lost[c] = 1;
                continue;
            }

            double reach = scale * noise.Bound;
            double G(double y) => scale > 0 ? noise.Law.SmoothCdf((y - mu) / scale) : (y > mu ? 1 : 0);
            long first = (long)Math.Floor((mu - reach - lower) / h);
            long last = (long)Math.Floor((mu + reach - lower) / h);
            double outside = 0;
            if (boundary == GridBoundary.Absorbing)
            {
                // beyond the box the mass is lost: its two tails at once, the window clipped to the box
                outside = G(lower) + (1 - G(grid.Upper[0]));
                first = Math.Max(first, 0);
                last = Math.Min(last, n - 1);
            }

            visited += Math.Max(0, last - first + 1);
            if (visited > MaxVisitedCells)
            {
                throw new ArgumentException(
                    $"the kernel's windows span more than {MaxVisitedCells:N0} cells (one step from x = {x:G6} reaches ±{reach:G4} against a spacing of {h:G4}); use coarser cells or a smaller step", nameof(noise));
            }

            var row = new SortedDictionary<int, double>();
            for (long v = first; v <= last; v++)
            {
                double w = G(lower + ((v + 1) * h)) - G(lower + (v * h));
                if (w != 0)
                {
                    int target = Fold(v, n, boundary);
                    row[target] = row.GetValueOrDefault(target) + w;
                }
            }

            foreach ((int target, double w) in row)
            {
                targetList.Add(target);
                weightList.Add(w);
            }

            lost[c] = outside;
            if (targetList.Count > MaxWeights)
            {
                throw new ArgumentException($"the kernel needs more than {MaxWeights:N0} weights; use a coarser grid", nameof(noise));
            }
        }

        rowStart[n] = targetList.Count;
        targets = [.. targetList];
        weights = [.. weightList];
    }

    /// <summary>The grid.</summary>
    public UniformGrid Grid { get; }

    /// <summary>The walls.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>The stored weights (the work of a step).</summary>
    public long Weights => weights.Length;

    /// <summary>
    /// <paramref name="steps"/> steps of <paramref name="density"/> in place, its lost mass accumulated; with
    /// <paramref name="displacement"/> also <c>−η Σ_c p_c m(x_c)</c> per step (E S = 0), the expected displacement of the
    /// unwrapped motion on a periodic grid.
    /// </summary>
    public void Advance(GridDensity density, int steps, double[]? displacement = null)
    {
        ArgumentNullException.ThrowIfNull(density);
        if (density.Mass.Length != Grid.Count)
        {
            throw new ArgumentException("the density lives on a different grid", nameof(density));
        }

        double[] p = density.Mass;
        for (int step = 0; step < steps; step++)
        {
            Array.Clear(next);
            double lostNow = 0, moved = 0;
            for (int c = 0; c < p.Length; c++)
            {
                double mass = p[c];
                if (mass == 0)
                {
                    continue;
                }

                lostNow += mass * lost[c];
                moved += mass * shift[c];
                for (int k = rowStart[c]; k < rowStart[c + 1]; k++)
                {
                    next[targets[k]] += mass * weights[k];
                }
            }

            Array.Copy(next, p, p.Length);
            density.LostMass += lostNow;
            if (displacement is not null)
            {
                displacement[0] += moved;
            }
        }
    }

    /// <summary>The most window cells the construction visits, over all sources (folded images included).</summary>
    public const long MaxVisitedCells = 1L << 28;

    /// <summary>The cell of virtual cell <paramref name="v"/> under the walls (an absorbing box's window is clipped to it).</summary>
    private static int Fold(long v, int n, GridBoundary boundary)
    {
        switch (boundary)
        {
            case GridBoundary.Absorbing:
                return (int)v;
            case GridBoundary.Periodic:
                return (int)(((v % n) + n) % n);
            case GridBoundary.Reflecting:
                long m = ((v % (2L * n)) + (2L * n)) % (2L * n);
                return (int)(m < n ? m : (2L * n) - 1 - m);
            default:
                throw new ArgumentOutOfRangeException(nameof(boundary), boundary, "unknown boundary");
        }
    }
}
