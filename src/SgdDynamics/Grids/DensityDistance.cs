namespace SgdDynamics.Grids;

/// <summary>
/// Distances between two laws given as <see cref="GridDensity"/> on the same grid. Each input is read as a probability
/// law on the cells plus one <b>outside</b> atom: <c>p_c = m_c / Z</c>, <c>p_out = LostMass / Z</c>,
/// <c>Z = Σ_c m_c + LostMass</c> (mass lost through an absorbing boundary, histogram samples outside the box and
/// diverged trajectories all sit in the outside atom). Negative cell masses (rounding in 2-D Fokker–Planck solves) are
/// taken as 0. Within a cell both densities are constant (piecewise-constant densities), so cell ratios are density
/// ratios.
/// </summary>
public static class DensityDistance
{
    /// <summary>Relative tolerance on the box corners when deciding that two grids are the same.</summary>
    public const double GridTolerance = 1e-12;

    /// <summary>True when both grids have the same dimension, cell counts and (to <see cref="GridTolerance"/>) corners.</summary>
    public static bool SameGrid(UniformGrid a, UniformGrid b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dimension != b.Dimension)
        {
            return false;
        }

        for (int k = 0; k < a.Dimension; k++)
        {
            double scale = Math.Max(Math.Abs(a.Upper[k] - a.Lower[k]), 1e-300);
            if (a.Cells[k] != b.Cells[k]
                || Math.Abs(a.Lower[k] - b.Lower[k]) > GridTolerance * scale
                || Math.Abs(a.Upper[k] - b.Upper[k]) > GridTolerance * scale)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The grid in words, for messages: <c>[lower, upper] × … with cells c₀ × c₁</c>.</summary>
    public static string Describe(UniformGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return string.Join(" × ", Enumerable.Range(0, grid.Dimension).Select(k =>
            FormattableString.Invariant($"[{grid.Lower[k]:R}, {grid.Upper[k]:R}] in {grid.Cells[k]} cells")));
    }

    /// <summary>
    /// Total variation <c>TV(p, q) = ½ (Σ_c |p_c − q_c| + |p_out − q_out|)</c>, in [0, 1] (1 for disjoint supports).
    /// </summary>
    /// <exception cref="ArgumentException">The grids differ or a law has no mass at all.</exception>
    public static double TotalVariation(GridDensity p, GridDensity q)
    {
        var (pc, pOut) = Normalised(p, q);
        var (qc, qOut) = Normalised(q, p);
        double sum = Math.Abs(pOut - qOut);
        for (int c = 0; c < pc.Length; c++)
        {
            sum += Math.Abs(pc[c] - qc[c]);
        }

        return Math.Min(1.0, 0.5 * sum);
    }

    /// <summary>
    /// Kullback–Leibler divergence <c>KL(p‖q) = Σ_c p_c ln(p_c / q_c) + p_out ln(p_out / q_out)</c> (terms with p = 0 are 0),
    /// in nats; for piecewise-constant densities on the same cells it equals <c>∫ p ln(p/q) dx</c> plus the outside term.
    /// <see cref="double.PositiveInfinity"/> when some q = 0 &lt; p (never NaN). Rounding below 0 is returned as 0.
    /// </summary>
    /// <exception cref="ArgumentException">The grids differ or a law has no mass at all.</exception>
    public static double KullbackLeibler(GridDensity p, GridDensity q)
    {
        var (pc, pOut) = Normalised(p, q);
        var (qc, qOut) = Normalised(q, p);
        double sum = Term(pOut, qOut);
        for (int c = 0; c < pc.Length && !double.IsPositiveInfinity(sum); c++)
        {
            sum += Term(pc[c], qc[c]);
        }

        return Math.Max(0.0, sum);

        static double Term(double a, double b) => a <= 0 ? 0 : b <= 0 ? double.PositiveInfinity : a * Math.Log(a / b);
    }

    /// <summary>
    /// Wasserstein-1 distance in 1-D between the laws <b>conditioned to the box</b> (<c>p̃_c = m_c / Σ m</c>; the outside
    /// atom has no position), exact for piecewise-constant densities: <c>W₁ = ∫ |F_p(x) − F_q(x)| dx</c> with the CDFs
    /// linear inside each cell. With <c>Δ_i = F_p(e_i) − F_q(e_i)</c> at the cell edges, a cell of width h contributes
    /// <c>h (|Δ_i| + |Δ_{i+1}|)/2</c> when Δ keeps its sign and <c>h (Δ_i² + Δ_{i+1}²) / (2(|Δ_i| + |Δ_{i+1}|))</c> when it
    /// changes sign. Two one-cell masses k cells apart are k h apart.
    /// </summary>
    /// <exception cref="ArgumentException">The grids differ, the grid is not 1-D, or a law has no mass on the grid.</exception>
    public static double Wasserstein1(GridDensity p, GridDensity q)
    {
        Check(p, q);
        if (p.Grid.Dimension != 1)
        {
            throw new ArgumentException($"Wasserstein-1 is computed in 1-D only (grid dimension {p.Grid.Dimension})");
        }

        double[] pc = Conditioned(p);
        double[] qc = Conditioned(q);
        double h = p.Grid.Spacing[0];
        double delta = 0;
        double sum = 0;
        for (int c = 0; c < pc.Length; c++)
        {
            double next = delta + (pc[c] - qc[c]);
            double a = Math.Abs(delta);
            double b = Math.Abs(next);
            if ((delta >= 0) == (next >= 0) || a + b == 0)
            {
                sum += 0.5 * (a + b);
            }
            else
            {
                sum += 0.5 * (delta * delta + next * next) / (a + b);
            }

            delta = next;
        }

        return h * sum;
    }

    private static void Check(GridDensity p, GridDensity q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (!SameGrid(p.Grid, q.Grid))
        {
            throw new ArgumentException($"the densities live on different grids: {Describe(p.Grid)} vs {Describe(q.Grid)}");
        }
    }

    private static (double[] Cells, double Outside) Normalised(GridDensity p, GridDensity other)
    {
        Check(p, other);
        double[] cells = p.Mass.Select(m => m > 0 ? m : 0).ToArray();
        double outside = Math.Max(0, p.LostMass);
        double total = cells.Sum() + outside;
        if (!(total > 0) || !double.IsFinite(total))
        {
            throw new ArgumentException("a density has no (finite) mass");
        }

        for (int c = 0; c < cells.Length; c++)
        {
            cells[c] /= total;
        }

        return (cells, outside / total);
    }

    private static double[] Conditioned(GridDensity p)
    {
        double[] cells = p.Mass.Select(m => m > 0 ? m : 0).ToArray();
        double total = cells.Sum();
        if (!(total > 0) || !double.IsFinite(total))
        {
            throw new ArgumentException("a density has no mass on the grid");
        }

        for (int c = 0; c < cells.Length; c++)
        {
            cells[c] /= total;
        }

        return cells;
    }
}
