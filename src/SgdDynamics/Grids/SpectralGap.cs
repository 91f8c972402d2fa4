using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Grids;

/// <summary>
/// The second eigenvalue of a grid solver's evolution operator and the relaxation time it sets.
/// </summary>
/// <param name="Method">How it was estimated, in words.</param>
/// <param name="Real">Re λ₂: of the one-step transition operator P (master equation) or of the generator A (Fokker–Planck).</param>
/// <param name="Imaginary">Im λ₂ (0 for a reversible chain or generator, whose spectrum is real).</param>
/// <param name="RelaxationSteps">
/// SGD steps in one e-fold of the approach to the stationary law: <c>−1/ln|λ₂|</c> (master equation), <c>1/(η |Re λ₂|)</c>
/// (Fokker–Planck); null when it does not exist (<see cref="Reason"/>).
/// </param>
/// <param name="RelaxationTime">The same in time t = kη: steps × η (master equation), <c>1/|Re λ₂|</c> (Fokker–Planck).</param>
/// <param name="RitzResidual">
/// The relative residual of the Ritz pair, <c>‖T y − θ y‖₂ / (|θ| ‖y‖₂)</c> for the Krylov operator T: the relative
/// backward error of θ; for a reversible operator (detailed balance, symmetric in the stationary-weighted inner product)
/// it bounds the relative error of θ (with the Euclidean basis, up to the weights' condition).
/// </param>
/// <param name="KrylovDimension">Krylov vectors of the last Arnoldi cycle.</param>
/// <param name="Applications">Applications of the operator in all (steps of P, or shift-invert solves).</param>
/// <param name="Converged">Whether the Ritz residual reached <see cref="SpectralGap.Tolerance"/>.</param>
/// <param name="Reason">Why a relaxation time is missing, or null.</param>
public sealed record SpectralGapEstimate(
    string Method,
    double Real,
    double Imaginary,
    double? RelaxationSteps,
    double? RelaxationTime,
    double RitzResidual,
    int KrylovDimension,
    int Applications,
    bool Converged,
    string? Reason)
{
    /// <summary>|λ₂|.</summary>
    public double Modulus => Complex.Abs(new Complex(Real, Imaginary));
}

/// <summary>
/// Spectral gaps of the grid solvers by Arnoldi iteration with the stationary direction deflated.
/// <para>
/// <b>Master equation.</b> Arnoldi on <c>Q P Q</c>, P the one-step transition operator (one
/// <see cref="MasterEquationSolver.Step"/> of a signed vector: the step is linear in the masses) and
/// <c>Q x = x − (Σ x) m</c> the spectral projector that removes the stationary vector m (its left eigenvector is the
/// all-ones vector, as P keeps mass; with absorbing walls only up to the mass lost per step). The Ritz value of
/// largest modulus is λ₂; relaxation <c>−1/ln|λ₂|</c> steps.
/// </para>
/// <para>
/// <b>Fokker–Planck.</b> Shift-invert at 0: Arnoldi on <c>T = A⁻¹</c> restricted to the mass-free vectors (Σ x = 0, the
/// range of A, invariant under A). A⁻¹ b is solved by BiCGStab + ILU(0) with A's row at the cell of largest stationary
/// mass replaced by that cell's unit row (the solution there is 0) and then projected by Q, which gives the solution
/// with Σ x = 0. The Ritz value θ of largest modulus is 1/λ₂ with λ₂ the non-zero eigenvalue nearest 0: for a reversible
/// generator (real spectrum) the one with the smallest |Re λ|; relaxation time <c>1/|Re λ₂|</c>.
/// </para>
/// Each Arnoldi cycle keeps up to <see cref="MaxDimension"/> vectors (fewer on very large grids: at most 1 GiB of them),
/// re-orthogonalised twice (classical Gram–Schmidt); the small Hessenberg matrix's eigenpairs come from MathNet.Numerics'
/// complex eigenvalue decomposition; a cycle that does not converge restarts from its target Ritz vector. The start
/// vector is drawn from a fixed seed, so estimates are reproducible.
/// </summary>
public static class SpectralGap
{
    /// <summary>Relative Ritz residual at which the estimate counts as converged.</summary>
    public const double Tolerance = 1e-9;

    /// <summary>Most Krylov vectors in one Arnoldi cycle.</summary>
    public const int MaxDimension = 60;

    /// <summary>Relative L1 residual aimed at by each shift-invert solve (Fokker–Planck).</summary>
    public const double SolveTolerance = 1e-12;

    /// <summary>
    /// Relative L1 residual a shift-invert solve that stalls above <see cref="SolveTolerance"/> (rounding) may keep; the
    /// operator is then known to this accuracy, which bounds the Ritz residual reachable (≈ this / |θ|·‖A⁻¹‖).
    /// </summary>
    public const double AcceptedSolveResidual = 1e-10;

    /// <summary>Most BiCGStab iterations of one shift-invert solve.</summary>
    public const int MaxSolveIterations = 2_000;

    /// <summary>
    /// λ₂ of the master equation's one-step operator, given its <paramref name="stationary"/> law (mass 1) and
    /// <paramref name="step"/>, which advances a density by one SGD step in place (e.g.
    /// <see cref="MasterEquationSolver.Step"/>).
    /// </summary>
    public static SpectralGapEstimate MasterEquation(
        GridDensity stationary, Action<GridDensity> step, double learningRate, int maxRestarts = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stationary);
        ArgumentNullException.ThrowIfNull(step);
        double[] m = Normalised(stationary.Mass);
        var scratch = new GridDensity(stationary.Grid);
        void Apply(double[] x, double[] y)
        {
            Array.Copy(x, scratch.Mass, x.Length);
            scratch.LostMass = 0;
            step(scratch);
            Array.Copy(scratch.Mass, y, y.Length);
        }

        Arnoldi.Result ritz = Arnoldi.Dominant(m.Length, Apply, x => Deflate(x, m), Tolerance, maxRestarts, cancellationToken);
        double modulus = Complex.Abs(ritz.Value);
        double? steps = null;
        string? reason = null;
        if (modulus >= 1)
        {
            reason = $"|λ₂| = {modulus:G6} is not below 1: the chain does not relax to a unique stationary law at a geometric rate";
        }
        else
        {
            steps = modulus == 0 ? 0 : -1 / Math.Log(modulus);
        }

        return new SpectralGapEstimate(
            "Arnoldi on the one-step transition operator with the stationary vector deflated (largest-modulus Ritz value)",
            ritz.Value.Real, ritz.Value.Imaginary, steps, steps * learningRate, ritz.Residual, ritz.Dimension, ritz.Applications, ritz.Converged, reason);
    }

    /// <summary>
    /// λ₂ of the Fokker–Planck generator (the non-zero eigenvalue nearest 0), given its <paramref name="stationary"/> law.
    /// </summary>
    public static SpectralGapEstimate FokkerPlanck(
        FokkerPlanckSolver solver, GridDensity stationary, int maxRestarts = 2, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(solver);
        ArgumentNullException.ThrowIfNull(stationary);
        double[] m = Normalised(stationary.Mass);
        SparseRowMatrix generator = solver.Generator;
        int n = m.Length;
        int pinned = 0;
        for (int c = 1; c < n; c++)
        {
            if (m[c] > m[pinned])
            {
                pinned = c;
            }
        }

        // B = −A with row r replaced by e_r: B x = −b off r, x_r = 0 solves A x = b up to a multiple of m when Σ b = 0.
        SparseRowMatrix b = generator.ScaledPlusIdentity(0.0, -1.0);
        for (int p = b.RowStart[pinned]; p < b.RowStart[pinned + 1]; p++)
        {
            b.Value[p] = b.Column[p] == pinned ? 1.0 : 0.0;
        }

        double[] factors = b.IncompleteLu();
        var rhs = new double[n];
        var check = new double[n];
        var correction = new double[n];
        double worst = 0;
        double Residual(double[] y, double norm)
        {
            b.Multiply(y, check);
            double sum = 0;
            for (int c = 0; c < n; c++)
            {
                sum += Math.Abs(rhs[c] - check[c]);
            }

            return norm > 0 ? sum / norm : 0;
        }

        void Apply(double[] x, double[] y)
        {
            double norm = 0;
            for (int c = 0; c < n; c++)
            {
                rhs[c] = c == pinned ? 0 : -x[c];
                norm += Math.Abs(rhs[c]);
            }

            // iterative refinement with the ILU(0) factors first: exact LU in 1-D (tridiagonal), where it reaches the rounding
            // floor in a sweep or two; BiCGStab continues from its result when a sweep no longer halves the residual
            Array.Clear(y);
            double residual = norm > 0 ? 1 : 0;
            for (int sweep = 0; sweep < 4 && residual > SolveTolerance; sweep++)
            {
                b.Multiply(y, check);
                for (int c = 0; c < n; c++)
                {
                    check[c] = rhs[c] - check[c];
                }

                b.SolveIncompleteLu(factors, check, correction);
                for (int c = 0; c < n; c++)
                {
                    y[c] += correction[c];
                }

                double next = Residual(y, norm);
                bool stalled = next > 0.5 * residual;
                residual = next;
                if (stalled)
                {
                    break;
                }
            }

            if (residual <= AcceptedSolveResidual)
            {
                worst = Math.Max(worst, residual);
                return;
            }

            try
            {
                worst = Math.Max(worst, b.SolveBiCgStab(factors, rhs, y, SolveTolerance, MaxSolveIterations).RelativeResidual);
            }
            catch (GridSolveException e)
            {
                // y holds the last iterate (rounding can stall the iteration above SolveTolerance): kept when its true
                // residual is within AcceptedSolveResidual
                residual = Residual(y, norm);
                if (!(residual <= AcceptedSolveResidual))
                {
                    throw new GridSolveException($"{e.Message}; its last iterate has relative residual {residual:G3}, above {AcceptedSolveResidual:G3}");
                }

                worst = Math.Max(worst, residual);
            }
        }

        const string method = "shift-invert Arnoldi: A⁻¹ on the mass-free vectors by BiCGStab + ILU(0), stationary vector deflated (Ritz value of largest modulus = 1/λ₂)";
        Arnoldi.Result ritz;
        try
        {
            ritz = Arnoldi.Dominant(n, Apply, x => Deflate(x, m), Tolerance, maxRestarts, cancellationToken);
        }
        catch (GridSolveException e)
        {
            return new SpectralGapEstimate(method, double.NaN, double.NaN, null, null, double.NaN, 0, 0, false, $"a shift-invert solve failed: {e.Message}");
        }

        if (ritz.Value == Complex.Zero)
        {
            return new SpectralGapEstimate(method, double.NaN, double.NaN, null, null, ritz.Residual, ritz.Dimension, ritz.Applications, false,
                "A⁻¹ vanished on the mass-free vectors (a one-cell grid has no second eigenvalue)");
        }

        Complex lambda = 1 / ritz.Value;
        string solved = FormattableString.Invariant($"{method}; inner solves to relative L1 residual ≤ {worst:G2}");
        double rate = Math.Abs(lambda.Real);
        double? time = rate > 0 ? 1 / rate : null;
        return new SpectralGapEstimate(
            solved, lambda.Real, lambda.Imaginary, time / solver.LearningRate, time, ritz.Residual, ritz.Dimension, ritz.Applications, ritz.Converged,
            time is null ? "Re λ₂ = 0: the slowest mode oscillates without decaying" : null);
    }

    /// <summary>x − (Σ x) m: removes the component along the stationary vector m (Σ m = 1).</summary>
    private static void Deflate(double[] x, double[] m)
    {
        double total = 0;
        for (int c = 0; c < x.Length; c++)
        {
            total += x[c];
        }

        for (int c = 0; c < x.Length; c++)
        {
            x[c] -= total * m[c];
        }
    }

    private static double[] Normalised(double[] mass)
    {
        double total = mass.Sum();
        if (!(total > 0) || !double.IsFinite(total))
        {
            throw new ArgumentException($"the stationary law needs a finite positive mass (got {total})");
        }

        return mass.Select(v => v / total).ToArray();
    }
}

/// <summary>Arnoldi iteration with explicit restarts for the eigenvalue of largest modulus of a real linear operator.</summary>
internal static class Arnoldi
{
    /// <summary>The target Ritz value, its relative residual, the last cycle's dimension, the operator applications, convergence.</summary>
    public sealed record Result(Complex Value, double Residual, int Dimension, int Applications, bool Converged);

    /// <summary>
    /// The eigenvalue of largest modulus of <c>x ↦ project(apply(x))</c> on the range of <paramref name="project"/>, to a
    /// relative Ritz residual <paramref name="tolerance"/>, with at most <paramref name="maxRestarts"/> restarts.
    /// </summary>
    /// <remarks>
    /// <paramref name="initial"/> is the start vector (null: drawn from a fixed seed); <paramref name="vector"/>, when given,
    /// receives the real form of the target Ritz vector, <c>V (Re y + Im y)</c>, unnormalised.
    /// </remarks>
    public static Result Dominant(
        int n, Action<double[], double[]> apply, Action<double[]> project, double tolerance, int maxRestarts, CancellationToken cancellationToken,
        double[]? initial = null, double[]? vector = null)
    {
        int maxDimension = Dimension(n);
        var start = new double[n];
        if (initial is not null)
        {
            Array.Copy(initial, start, n);
        }
        else
        {
            var random = new Random(20_261_206);
            for (int c = 0; c < n; c++)
            {
                start[c] = random.NextDouble() - 0.5;
            }
        }

        int applications = 0;
        Result? last = null;
        for (int cycle = 0; cycle <= maxRestarts; cycle++)
        {
            project(start);
            double startNorm = Norm(start);
            if (startNorm == 0)
            {
                if (vector is not null)
                {
                    Array.Clear(vector);
                }

                return new Result(Complex.Zero, 0, 0, applications, true);
            }

            Scale(start, 1 / startNorm);
            var basis = new List<double[]> { start };
            var h = new double[maxDimension + 1, maxDimension];
            for (int j = 0; j < maxDimension; j++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var w = new double[n];
                apply(basis[j], w);
                applications++;
                project(w);
                for (int pass = 0; pass < 2; pass++)
                {
                    for (int i = 0; i <= j; i++)
                    {
                        double dot = Dot(basis[i], w);
                        h[i, j] += dot;
                        Axpy(-dot, basis[i], w);
                    }
                }

                double norm = Norm(w);
                h[j + 1, j] = norm;
                int k = j + 1;
                (Complex value, Complex[] y) = Target(h, k);
                double yNorm = Math.Sqrt(y.Sum(v => v.Magnitude * v.Magnitude));
                double residual = norm * y[k - 1].Magnitude / (yNorm * value.Magnitude);
                bool invariant = norm <= 1e-14 * Math.Abs(h[j, j]) || norm == 0;
                if (value == Complex.Zero)
                {
                    residual = norm == 0 ? 0 : double.PositiveInfinity;
                }

                last = new Result(value, invariant ? 0 : residual, k, applications, invariant || residual <= tolerance);
                if (last.Converged || k == maxDimension)
                {
                    // the real form of the target Ritz vector, V (Re y + Im y): the answer, or the next cycle's start
                    start = new double[n];
                    for (int i = 0; i < k; i++)
                    {
                        Axpy(y[i].Real + y[i].Imaginary, basis[i], start);
                    }

                    if (last.Converged || cycle == maxRestarts)
                    {
                        if (vector is not null)
                        {
                            Array.Copy(start, vector, n);
                        }

                        return last;
                    }

                    break;
                }

                Scale(w, 1 / norm);
                basis.Add(w);
            }
        }

        return last!;
    }

    /// <summary>Krylov vectors a cycle for n unknowns: <see cref="SpectralGap.MaxDimension"/>, fewer where they would pass 1 GiB (at least 8).</summary>
    public static int Dimension(long n) =>
        (int)Math.Min(Math.Clamp((1L << 30) / (8L * Math.Max(1, n)), 8, SpectralGap.MaxDimension), Math.Max(1, n - 1));

    /// <summary>The eigenvalue of largest modulus of the leading k × k block of h (Im ≥ 0 of a conjugate pair) and its eigenvector.</summary>
    private static (Complex Value, Complex[] Vector) Target(double[,] h, int k)
    {
        var matrix = Matrix<Complex>.Build.Dense(k, k, (i, j) => new Complex(h[i, j], 0));
        var evd = matrix.Evd();
        int best = 0;
        for (int i = 1; i < k; i++)
        {
            Complex v = evd.EigenValues[i], b = evd.EigenValues[best];
            if (v.Magnitude > b.Magnitude * (1 + 1e-12) || (Math.Abs(v.Magnitude - b.Magnitude) <= 1e-12 * b.Magnitude && v.Imaginary > b.Imaginary))
            {
                best = i;
            }
        }

        // a real eigenvalue of the real matrix comes out of the complex decomposition with a rounding-level imaginary part
        Complex value = evd.EigenValues[best];
        if (Math.Abs(value.Imaginary) <= 1e-12 * value.Magnitude)
        {
            value = new Complex(value.Real, 0);
        }

        return (value, evd.EigenVectors.Column(best).ToArray());
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

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static void Scale(double[] a, double factor)
    {
        for (int i = 0; i < a.Length; i++)
        {
            a[i] *= factor;
        }
    }

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }
}
