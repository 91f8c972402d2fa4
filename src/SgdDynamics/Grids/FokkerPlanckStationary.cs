using SgdDynamics.Kernels.Grids;

namespace SgdDynamics.Grids;

/// <summary>
/// Null vectors of the generator, normalised to mass 1. 1-D with zero-flux walls: detailed balance across every
/// face, <c>m_{i+1}/m_i = e^{−z_i} D_i/D_{i+1}</c> (forward/backward rate ratio), accumulated in logarithms. 1-D on
/// a ring: the cyclic chain carries a constant net flow J through every face and is solved in closed form (below).
/// 2-D: BiCGStab + ILU(0) on A with one row replaced by a normalisation.
/// </summary>
internal static class FokkerPlanckStationary
{
    /// <summary>
    /// 1-D, zero-flux walls: <c>log m_{i+1} − log m_i = −z_{i+½} + log D_i − log D_{i+1}</c>.
    /// </summary>
    public static void DetailedBalance(FokkerPlanckRates rates, double[] m)
    {
        int n = m.Length;
        double[] z = rates.FaceZ, diffusion = rates.CellDiffusion;
        var log = new double[n];
        for (int i = 0; i + 1 < n; i++)
        {
            log[i + 1] = log[i] - z[i] + Math.Log(diffusion[i]) - Math.Log(diffusion[i + 1]);
        }

        FromLogs(log, m);
    }

    /// <summary>
    /// 1-D ring. With the rate ratios <c>ρ_i = backward_i/forward_i = e^{z_i} D_{i+1}/D_i</c>, the potential
    /// <c>U_i = Σ_{l&lt;i} log ρ_l</c> and the tilt <c>Δ = U_n = Σ_l z_l</c> (the D's cancel around the ring), a
    /// constant flow J = forward_i m_i − backward_i m_{i+1} through every face gives
    /// <c>m_i ∝ e^{−U_i} [Σ_{k≥i} E_k + e^{Δ} Σ_{k&lt;i} E_k]</c>, <c>E_k = e^{U_k}/forward_k</c>: every term positive,
    /// no cancellation, and Δ = 0 is detailed balance. In logarithms, <c>log(E_k)</c> up to a constant is
    /// <c>Σ_{l&lt;k} z_l − log B(z_k)</c> (−log D_0 and 2 log h drop out).
    /// </summary>
    public static void Ring(FokkerPlanckRates rates, double[] m)
    {
        int n = m.Length;
        double[] z = rates.FaceZ, diffusion = rates.CellDiffusion;
        var potential = new double[n];
        var logE = new double[n];
        double tilt = 0;
        for (int k = 0; k < n; k++)
        {
            logE[k] = tilt - LogBernoulli(z[k]);
            if (k + 1 < n)
            {
                potential[k + 1] = potential[k] + z[k] + Math.Log(diffusion[k + 1]) - Math.Log(diffusion[k]);
            }

            tilt += z[k];
        }

        double max = logE.Max();
        var e = new double[n];
        for (int k = 0; k < n; k++)
        {
            e[k] = Math.Exp(logE[k] - max);
        }

        // suffix[i] = Σ_{k≥i} E_k, prefix = Σ_{k<i} E_k, each summed directly (no subtraction)
        var suffix = new double[n + 1];
        for (int k = n - 1; k >= 0; k--)
        {
            suffix[k] = suffix[k + 1] + e[k];
        }

        var log = new double[n];
        double prefix = 0;
        for (int i = 0; i < n; i++)
        {
            // log(suffix + e^Δ prefix), factored so that neither term overflows
            log[i] = -potential[i] + (tilt <= 0
                ? Math.Log(suffix[i] + Math.Exp(tilt) * prefix)
                : tilt + Math.Log(Math.Exp(-tilt) * suffix[i] + prefix));
            prefix += e[i];
        }

        FromLogs(log, m);
    }

    /// <summary>
    /// 2-D: pins the cell of lowest loss, <c>B = −A</c> with row r replaced by e_r, <c>B m = e_r</c>, from the
    /// Gibbs-like guess <c>exp(−(L − L_min)/T)</c>, <c>T = tr D(x_r)/d</c>, tightening the solve until the relative
    /// stationarity residual is below <paramref name="tolerance"/>; <paramref name="iterations"/> counts the BiCGStab iterations.
    /// </summary>
    public static bool Solve(FokkerPlanckSolver solver, SparseRowMatrix generator, GridDensity density, double tolerance, out int iterations)
    {
        iterations = 0;
        UniformGrid grid = solver.Grid;
        int n = grid.Count;
        double[] m = density.Mass;
        Span<double> x = stackalloc double[2];
        int pinned = 0;
        double lowest = double.PositiveInfinity;
        var loss = new double[n];
        for (int c = 0; c < n; c++)
        {
            grid.Centre(c, x);
            loss[c] = solver.Landscape.Loss(x);
            if (loss[c] < lowest)
            {
                lowest = loss[c];
                pinned = c;
            }
        }

        var b = generator.ScaledPlusIdentity(0.0, -1.0);
        for (int p = b.RowStart[pinned]; p < b.RowStart[pinned + 1]; p++)
        {
            b.Value[p] = b.Column[p] == pinned ? 1.0 : 0.0;
        }

        Span<double> drift = stackalloc double[2];
        Span<double> diffusion = stackalloc double[4];
        grid.Centre(pinned, x);
        solver.Coefficients(x, drift, diffusion);
        double temperature = 0.5 * (diffusion[0] + diffusion[3]);
        for (int c = 0; c < n; c++)
        {
            m[c] = Math.Exp(-Math.Min(700, (loss[c] - lowest) / temperature));
        }

        var rhs = new double[n];
        rhs[pinned] = 1.0;
        double[] factors = b.IncompleteLu();
        double solveTolerance = 0.1 * tolerance;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            // With m_r = 1 the right-hand side has norm 1 while the stationarity residual is measured against the
            // outflow Σ|A_cc| m_c: scale the solve tolerance by it.
            double scale = m[pinned];
            double outflow = 0;
            for (int c = 0; c < n; c++)
            {
                m[c] /= scale;
                outflow += Math.Abs(generator.Value[generator.Diagonal[c]]) * Math.Abs(m[c]);
            }

            iterations += b.SolveBiCgStab(factors, rhs, m, solveTolerance * outflow, 20_000).Iterations;
            Normalise(m);
            if (solver.StationarityResidual(density) <= tolerance)
            {
                return true;
            }

            solveTolerance *= 1e-2;
        }

        return false;
    }

    /// <summary>m divided by its sum.</summary>
    public static void Normalise(double[] m)
    {
        double total = FokkerPlanckStepper.Sum(m);
        for (int i = 0; i < m.Length; i++)
        {
            m[i] /= total;
        }
    }

    /// <summary>
    /// log B(z) for the Bernoulli function <c>B(z) = z/(e^z − 1)</c>, without overflow or underflow at large |z|:
    /// <c>log z − z − log(1 − e^{−z})</c> for z &gt; 0, <c>log(−z) − log(1 − e^z)</c> for z &lt; 0, the log of the
    /// kernel's series for |z| &lt; 10⁻².
    /// </summary>
    public static double LogBernoulli(double z)
    {
        if (Math.Abs(z) < 1e-2)
        {
            return Math.Log(FokkerPlanckKernels.Bernoulli(z));
        }

        return z > 0 ? Math.Log(z) - z - Math.Log(1 - Math.Exp(-z)) : Math.Log(-z) - Math.Log(1 - Math.Exp(z));
    }

    /// <summary>m_i = exp(log_i − max log), normalised.</summary>
    private static void FromLogs(double[] log, double[] m)
    {
        double max = log.Max();
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = Math.Exp(log[i] - max);
        }

        Normalise(m);
    }
}
