namespace SgdDynamics.Grids;

/// <summary>
/// A square sparse matrix in compressed-row form with sorted column indices and an explicit diagonal entry in every
/// row, with the operations the Fokker–Planck solver needs: y = A x, an ILU(0) factorisation and a BiCGStab solve
/// preconditioned by it (van der Vorst, SIAM J. Sci. Stat. Comput. 13, 1992; Saad, Iterative Methods for Sparse
/// Linear Systems, 2nd ed., §10.3.2 for ILU(0)).
/// <para>
/// Kept rather than MathNet.Numerics 5.0.0's <c>BiCgStab</c> + <c>ILU0Preconditioner</c> on a <c>SparseMatrix</c>,
/// measured on the 2-D Fokker–Planck backward Euler system <c>(I − η A) m = b</c> (ring valley, Langevin, η = 0.1,
/// both to a 1e-12 relative residual, same start; benchmarks <c>SparseSolverBenchmarks</c> and <c>--quick mathnet</c>,
/// 2-core AVX-512 machine): MathNet took 0.80 s / 4.5 s / 37 s / 150 s on 32² / 64² / 96² / 128² cells (its
/// ILU(0) set-up alone 29 ms / 237 ms / 0.89 s / 2.8 s: it walks the matrix by indexed element access), this code
/// 5.9 / 9.6 / 12 / 14 ms; on 256² this code takes 0.14 s and MathNet did not finish in 5 minutes. That is
/// 100–10000× slower, far outside the "within 2×" that would justify the library.
/// </para>
/// </summary>
internal sealed class SparseRowMatrix
{
    /// <summary>A matrix from its row starts (length n + 1), column indices (sorted per row) and values.</summary>
    public SparseRowMatrix(int[] rowStart, int[] column, double[] value)
    {
        RowStart = rowStart;
        Column = column;
        Value = value;
        Size = rowStart.Length - 1;
        Diagonal = new int[Size];
        for (int i = 0; i < Size; i++)
        {
            Diagonal[i] = -1;
            for (int p = rowStart[i]; p < rowStart[i + 1]; p++)
            {
                if (column[p] == i)
                {
                    Diagonal[i] = p;
                }
            }

            if (Diagonal[i] < 0)
            {
                throw new ArgumentException($"row {i} has no diagonal entry");
            }
        }
    }

    /// <summary>Number of rows (= columns).</summary>
    public int Size { get; }

    /// <summary>Row starts, length n + 1.</summary>
    public int[] RowStart { get; }

    /// <summary>Column index of each stored entry.</summary>
    public int[] Column { get; }

    /// <summary>Value of each stored entry.</summary>
    public double[] Value { get; }

    /// <summary>Position of the diagonal entry of each row.</summary>
    public int[] Diagonal { get; }

    /// <summary>The matrix <c>α I + β this</c> with the same pattern.</summary>
    public SparseRowMatrix ScaledPlusIdentity(double alpha, double beta)
    {
        var value = new double[Value.Length];
        for (int p = 0; p < value.Length; p++)
        {
            value[p] = beta * Value[p];
        }

        for (int i = 0; i < Size; i++)
        {
            value[Diagonal[i]] += alpha;
        }

        return new SparseRowMatrix(RowStart, Column, value);
    }

    /// <summary>y = A x.</summary>
    public void Multiply(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < Size; i++)
        {
            double sum = 0;
            for (int p = RowStart[i]; p < RowStart[i + 1]; p++)
            {
                sum += Value[p] * x[Column[p]];
            }

            y[i] = sum;
        }
    }

    /// <summary>
    /// The ILU(0) factors of this matrix in one array on the same pattern: L unit lower triangular (strictly lower
    /// entries), U upper triangular (diagonal and above), with (LU)_ij = A_ij on the pattern.
    /// </summary>
    public double[] IncompleteLu()
    {
        var lu = (double[])Value.Clone();
        var where = new int[Size];
        Array.Fill(where, -1);
        for (int i = 0; i < Size; i++)
        {
            for (int p = RowStart[i]; p < RowStart[i + 1]; p++)
            {
                where[Column[p]] = p;
            }

            for (int p = RowStart[i]; p < RowStart[i + 1] && Column[p] < i; p++)
            {
                int k = Column[p];
                double lik = lu[p] / lu[Diagonal[k]];
                lu[p] = lik;
                for (int q = Diagonal[k] + 1; q < RowStart[k + 1]; q++)
                {
                    int w = where[Column[q]];
                    if (w >= 0)
                    {
                        lu[w] -= lik * lu[q];
                    }
                }
            }

            for (int p = RowStart[i]; p < RowStart[i + 1]; p++)
            {
                where[Column[p]] = -1;
            }
        }

        return lu;
    }

    /// <summary>z = (LU)⁻¹ r with the factors of <see cref="IncompleteLu"/>.</summary>
    public void SolveIncompleteLu(double[] lu, ReadOnlySpan<double> r, Span<double> z)
    {
        for (int i = 0; i < Size; i++)
        {
            double sum = r[i];
            for (int p = RowStart[i]; p < Diagonal[i]; p++)
            {
                sum -= lu[p] * z[Column[p]];
            }

            z[i] = sum;
        }

        for (int i = Size - 1; i >= 0; i--)
        {
            double sum = z[i];
            for (int p = Diagonal[i] + 1; p < RowStart[i + 1]; p++)
            {
                sum -= lu[p] * z[Column[p]];
            }

            z[i] = sum / lu[Diagonal[i]];
        }
    }

    /// <summary>
    /// Solves A x = b by BiCGStab right-preconditioned with the ILU(0) factors <paramref name="lu"/>, starting from
    /// the given x, until the true residual satisfies <c>‖b − A x‖₁ ≤ tolerance · ‖b‖₁</c>; returns the iteration
    /// count and the final relative residual. Throws when the tolerance is not reached in
    /// <paramref name="maxIterations"/> iterations or the iteration breaks down.
    /// </summary>
    public (int Iterations, double RelativeResidual) SolveBiCgStab(
        double[] lu, ReadOnlySpan<double> b, Span<double> x, double tolerance, int maxIterations)
    {
        int n = Size;
        var r = new double[n];
        var r0 = new double[n];
        var p = new double[n];
        var v = new double[n];
        var s = new double[n];
        var t = new double[n];
        var ph = new double[n];
        var sh = new double[n];
        double bNorm = 0;
        for (int i = 0; i < n; i++)
        {
            bNorm += Math.Abs(b[i]);
        }

        if (bNorm == 0)
        {
            x.Clear();
            return (0, 0);
        }

        Multiply(x, r);
        double rNorm = 0;
        for (int i = 0; i < n; i++)
        {
            r[i] = b[i] - r[i];
            r0[i] = r[i];
            rNorm += Math.Abs(r[i]);
        }

        double rho = 1, alpha = 1, omega = 1;
        for (int iteration = 0; iteration <= maxIterations; iteration++)
        {
            if (rNorm <= tolerance * bNorm)
            {
                return (iteration, rNorm / bNorm);
            }

            if (iteration == maxIterations)
            {
                break;
            }

            double rhoNew = Dot(r0, r);
            if (rhoNew == 0 || omega == 0)
            {
                throw new GridSolveException($"BiCGStab broke down at iteration {iteration} (relative residual {rNorm / bNorm:G3})");
            }

            double beta = rhoNew / rho * (alpha / omega);
            for (int i = 0; i < n; i++)
            {
                p[i] = r[i] + beta * (p[i] - omega * v[i]);
            }

            SolveIncompleteLu(lu, p, ph);
            Multiply(ph, v);
            alpha = rhoNew / Dot(r0, v);
            for (int i = 0; i < n; i++)
            {
                s[i] = r[i] - alpha * v[i];
            }

            SolveIncompleteLu(lu, s, sh);
            Multiply(sh, t);
            double tt = Dot(t, t);
            omega = tt > 0 ? Dot(t, s) / tt : 0;
            rNorm = 0;
            for (int i = 0; i < n; i++)
            {
                x[i] += alpha * ph[i] + omega * sh[i];
                r[i] = s[i] - omega * t[i];
                rNorm += Math.Abs(r[i]);
            }

            rho = rhoNew;
            if (rNorm <= tolerance * bNorm)
            {
                // Confirm with the true residual (the recursive one drifts in long runs).
                Multiply(x, r);
                rNorm = 0;
                for (int i = 0; i < n; i++)
                {
                    r[i] = b[i] - r[i];
                    rNorm += Math.Abs(r[i]);
                }
            }
        }

        throw new GridSolveException(
            $"BiCGStab did not reach relative residual {tolerance:G3} in {maxIterations} iterations (reached {rNorm / bNorm:G3})");
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
