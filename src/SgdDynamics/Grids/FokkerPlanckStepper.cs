using SgdDynamics.Kernels.Grids;

namespace SgdDynamics.Grids;

/// <summary>
/// Backward Euler steps <c>(I − Δt A) m_new = m_old</c> on the host. 1-D: the tridiagonal system by the Thomas
/// algorithm (every elimination step combines non-negative numbers: <c>I − Δt A</c> is an M-matrix); on a ring the
/// cyclic system by eliminating the last cell — two Thomas solves of the remaining path with the same factors,
/// <c>x = u + x_{n−1} v</c>, both u and v non-negative, and <c>x_{n−1}</c> a non-negative number over the positive
/// Schur complement. 2-D: BiCGStab with ILU(0) (factors kept while Δt stays the same). Each step rescales by
/// <c>Σ m_old / Σ m_new</c> so that mass is conserved to rounding.
/// </summary>
internal sealed class FokkerPlanckStepper
{
    private readonly FokkerPlanckRates rates;
    private readonly SparseRowMatrix generator;
    private readonly int n;
    private readonly double[] c = [];
    private readonly double[] u = [];
    private readonly double[] v = [];
    private SparseRowMatrix? stepMatrix;
    private double[]? stepFactors;
    private double stepDt = double.NaN;

    public FokkerPlanckStepper(FokkerPlanckRates rates, SparseRowMatrix generator)
    {
        this.rates = rates;
        this.generator = generator;
        n = generator.Size;
        if (rates.Grid.Dimension == 1)
        {
            c = new double[n];
            u = new double[n];
            v = new double[n];
        }
    }

    /// <summary>One step of size <paramref name="dt"/> in place; <paramref name="tolerance"/> is the 2-D solve's relative residual.</summary>
    public void Step(double[] m, double dt, double tolerance)
    {
        double before = Sum(m);
        if (rates.Grid.Dimension == 1)
        {
            if (rates.Grid.Walls == GridWalls.Periodic)
            {
                SolveCyclic(m, dt);
            }
            else
            {
                SolveTridiagonal(m, dt);
            }
        }
        else
        {
            if (stepMatrix is null || stepDt != dt)
            {
                stepMatrix = generator.ScaledPlusIdentity(1.0, -dt);
                stepFactors = stepMatrix.IncompleteLu();
                stepDt = dt;
            }

            var rhs = (double[])m.Clone();
            stepMatrix.SolveBiCgStab(stepFactors!, rhs, m, tolerance, 10_000);
        }

        double after = Sum(m);
        if (after > 0 && before > 0)
        {
            double scale = before / after;
            for (int i = 0; i < n; i++)
            {
                m[i] *= scale;
            }
        }
    }

    /// <summary>Sum of the entries in index order.</summary>
    public static double Sum(double[] values)
    {
        double sum = 0;
        foreach (double value in values)
        {
            sum += value;
        }

        return sum;
    }

    /// <summary>Thomas algorithm for (I − dt A) x = m in place; A tridiagonal from the face rates.</summary>
    private void SolveTridiagonal(double[] m, double dt)
    {
        // Row i: −dt·fwd[i−1] x_{i−1} + (1 + dt(fwd[i] + bwd[i−1])) x_i − dt·bwd[i] x_{i+1} = m_i
        double[] forward = rates.Forward, backward = rates.Backward;
        double[] d = u;
        double diag0 = 1 + dt * forward[0];
        c[0] = -dt * backward[0] / diag0;
        d[0] = m[0] / diag0;
        for (int i = 1; i < n; i++)
        {
            double lower = -dt * forward[i - 1];
            double diag = 1 + dt * ((i < n - 1 ? forward[i] : 0) + backward[i - 1]);
            double pivot = diag - lower * c[i - 1];
            c[i] = i < n - 1 ? -dt * backward[i] / pivot : 0;
            d[i] = (m[i] - lower * d[i - 1]) / pivot;
        }

        m[n - 1] = d[n - 1];
        for (int i = n - 2; i >= 0; i--)
        {
            m[i] = d[i] - c[i] * m[i + 1];
        }
    }

    /// <summary>
    /// The cyclic system of a ring (face i between cells i and i + 1 mod n): row i is
    /// <c>−dt·fwd[i−1] x_{i−1} + (1 + dt(fwd[i] + bwd[i−1])) x_i − dt·bwd[i] x_{i+1} = m_i</c>, indices mod n.
    /// The path 0 … n−2 is solved for <c>m</c> and for the coupling column of <c>x_{n−1}</c>, then row n − 1 gives
    /// <c>x_{n−1}</c>.
    /// </summary>
    private void SolveCyclic(double[] m, double dt)
    {
        double[] forward = rates.Forward, backward = rates.Backward;
        int k = n - 1;

        // coupling of the path to x_{n−1}, moved to the right-hand side: rows 0 and n − 2 (the same row when n = 2)
        Array.Clear(v);
        v[0] += dt * forward[n - 1];
        v[k - 1] += dt * backward[n - 2];
        double Diagonal(int i) => 1 + dt * (forward[i] + backward[i == 0 ? n - 1 : i - 1]);

        // forward elimination of the path with both right-hand sides
        double pivot = Diagonal(0);
        c[0] = k > 1 ? -dt * backward[0] / pivot : 0;
        u[0] = m[0] / pivot;
        v[0] /= pivot;
        for (int i = 1; i < k; i++)
        {
            double lower = -dt * forward[i - 1];
            pivot = Diagonal(i) - lower * c[i - 1];
            c[i] = i < k - 1 ? -dt * backward[i] / pivot : 0;
            u[i] = (m[i] - lower * u[i - 1]) / pivot;
            v[i] = (v[i] - lower * v[i - 1]) / pivot;
        }

        for (int i = k - 2; i >= 0; i--)
        {
            u[i] -= c[i] * u[i + 1];
            v[i] -= c[i] * v[i + 1];
        }

        // row n − 1: −dt·fwd[n−2] x_{n−2} + diag x_{n−1} − dt·bwd[n−1] x_0 = m_{n−1}
        double a = dt * forward[n - 2], b = dt * backward[n - 1];
        double last = (m[n - 1] + a * u[k - 1] + b * u[0]) / (Diagonal(n - 1) - a * v[k - 1] - b * v[0]);
        for (int i = 0; i < k; i++)
        {
            m[i] = u[i] + last * v[i];
        }

        m[n - 1] = last;
    }
}
