using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>
/// One eigenmode of the Hessian, <c>H v = λ v</c> (‖v‖ = 1), with the noise it sees and its stationary variance
/// from the 1-D formulas and from the full matrix theory.
/// Per-mode formulas: the mode coordinate <c>y = vᵀ x</c> obeys <c>y' = (1 − ηλ) y − η vᵀb + n_v</c> with
/// <c>E[n_v²] = η² (s² + Σ_l a_l² v_l² E[x_l²])</c>. When every coordinate l with curvature noise that loads on this
/// mode is aligned with it (<c>v = ±e_l</c>), <c>E[x_l²] = E[y²]</c> and y is an exact 1-D SGD with curvature noise
/// <c>a_v² = Σ_l a_l² v_l⁴</c> (<see cref="Decoupled"/>); otherwise the curvature noise couples the modes and only
/// <see cref="ExactDiscreteVariance"/> and <see cref="ExactLangevinVariance"/> are exact.
/// </summary>
/// <param name="Index">Position in the ascending eigenvalue order of MathNet's symmetric eigendecomposition.</param>
/// <param name="Eigenvalue">Curvature λ of the mode.</param>
/// <param name="Direction">Unit eigenvector v (its sign is arbitrary).</param>
/// <param name="NoiseVariance">Projected gradient-noise variance <c>s² = vᵀ Σ v</c>.</param>
/// <param name="CurvatureVariance">Projected curvature-noise variance <c>a_v² = Σ_l a_l² v_l⁴</c>.</param>
/// <param name="LinearTerm">Projected linear term <c>vᵀ b</c>; the stationary mode mean is <c>−vᵀb / λ</c>.</param>
/// <param name="IsFlat">
/// True when <c>|λ| ≤ 10⁻¹² max_j |λ_j|</c> (all modes when H = 0): the mode never forgets its start and has no
/// stationary law (see <see cref="FlatModeDiffusion"/>).
/// </param>
/// <param name="Decoupled">
/// True when every coordinate l with <c>a_l ≠ 0</c> has <c>|v_l| ≤ 10⁻¹²</c> or <c>|v_l| ≥ 1 − 10⁻¹²</c>, so that
/// the per-mode formulas are exact (always true when a = 0, or when H is diagonal in the coordinates that carry
/// curvature noise and their eigenvalues are simple).
/// </param>
/// <param name="DiscreteVariance">
/// 1-D discrete stationary variance <see cref="EigenmodeTheory.DiscreteModeVariance"/> with this mode's λ, s², a_v²
/// and mean (heavy ball: <see cref="QuadraticMomentTheory.MomentumStationaryVariance1D"/>); +∞ when the mode is
/// flat or its second moment does not contract.
/// </param>
/// <param name="LangevinVariance">
/// 1-D Langevin (first-order SME) stationary variance <see cref="EigenmodeTheory.LangevinModeVariance"/>
/// (heavy ball with <c>η / (1 − β)</c>); +∞ when the mode is flat or <c>2λ − η a_v² ≤ 0</c>.
/// </param>
/// <param name="ExactDiscreteVariance">
/// <c>vᵀ C v</c> with C the stationary covariance of the discrete Lyapunov equation
/// (<see cref="QuadraticMomentTheory.Stationary"/>); NaN when the full model has no stationary law
/// (<see cref="EigenmodeDecomposition.Stationary"/> gives the reason).
/// </param>
/// <param name="ExactLangevinVariance"><c>vᵀ C v</c> with C the stationary Langevin covariance; NaN when it does not exist.</param>
public sealed record Eigenmode(
    int Index,
    double Eigenvalue,
    Vector<double> Direction,
    double NoiseVariance,
    double CurvatureVariance,
    double LinearTerm,
    bool IsFlat,
    bool Decoupled,
    double DiscreteVariance,
    double LangevinVariance,
    double ExactDiscreteVariance,
    double ExactLangevinVariance);

/// <summary>
/// Mean <c>vᵢᵀ m_k</c> and variance <c>vᵢᵀ C_k vᵢ</c> of every eigenmode coordinate at step k, from the exact moment
/// recursion (<see cref="QuadraticMomentTheory.Recursion"/>).
/// </summary>
/// <param name="Step">Step index k.</param>
/// <param name="Means">Mode means, in the order of <see cref="EigenmodeDecomposition.Modes"/>.</param>
/// <param name="Variances">Mode variances, in the order of <see cref="EigenmodeDecomposition.Modes"/>.</param>
public sealed record ModeMoments(int Step, double[] Means, double[] Variances);

/// <summary>
/// The eigenmodes of H for one problem together with the exact stationary laws they were projected from.
/// </summary>
public sealed class EigenmodeDecomposition
{
    internal EigenmodeDecomposition(IReadOnlyList<Eigenmode> modes, StationaryMoments stationary)
    {
        Modes = modes;
        Stationary = stationary;
    }

    /// <summary>The modes, eigenvalues ascending.</summary>
    public IReadOnlyList<Eigenmode> Modes { get; }

    /// <summary>Stationary laws of the full matrix theory (<see cref="QuadraticMomentTheory.Stationary"/>).</summary>
    public StationaryMoments Stationary { get; }

    /// <summary>True when every mode is <see cref="Eigenmode.Decoupled"/>: the per-mode formulas are then exact.</summary>
    public bool PerModeFormulasExact => Modes.All(m => m.Decoupled);
}

/// <summary>
/// Eigenmode view of SGD on the quadratic landscape: <c>H = U Λ Uᵀ</c> (MathNet symmetric Evd), each mode with its
/// projected noise, its 1-D stationary variance (discrete <c>η s² / (λ(2 − ηλ) − η a²)</c>, Langevin
/// <c>η s² / (2λ − η a²)</c>), and the exact projections <c>vᵀ C v</c> of the matrix stationary laws.
/// Without curvature noise the modes are independent and the per-mode formulas are exact for any Σ; the discrete
/// value exceeds the Langevin one (first-order SME: Mandt, Hoffman &amp; Blei, JMLR 2017; Li, Tai &amp; E, ICML 2017)
/// by the factor <c>2 / (2 − ηλ)</c>.
/// </summary>
public static class EigenmodeTheory
{
    private const double AlignmentTolerance = 1e-12;

    /// <summary>
    /// Decomposes the problem's Hessian into eigenmodes and evaluates, for each, the projected noise
    /// <c>s² = vᵀΣv</c>, <c>a_v² = Σ_l a_l² v_l⁴</c>, <c>vᵀb</c>, the 1-D stationary variances and the exact
    /// projections <c>vᵀ C_discrete v</c>, <c>vᵀ C_Langevin v</c> from <see cref="QuadraticMomentTheory.Stationary"/>.
    /// SGD and heavy ball (β: per-mode <see cref="QuadraticMomentTheory.MomentumStationaryVariance1D"/>, Langevin with
    /// <c>η / (1 − β)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric.</exception>
    public static EigenmodeDecomposition Decompose(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var modes = HeavyBallModes.FromProblem(problem);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        var flat = modes.FlatModes().ToHashSet();
        var curvature = problem.Quadratic.CurvatureNoiseStd;
        double eta = modes.LearningRate;
        double beta = modes.Momentum;

        var list = new List<Eigenmode>(modes.Dimension);
        for (int i = 0; i < modes.Dimension; i++)
        {
            var v = modes.Basis.Column(i);
            double lambda = modes.Eigenvalues[i];
            double s2 = modes.Noise[i * modes.Stride + i];
            double linear = modes.LinearTerm[i];
            double a2 = 0.0;
            bool decoupled = true;
            for (int l = 0; l < v.Count; l++)
            {
                double al2 = curvature[l] * curvature[l];
                if (al2 == 0.0) continue;
                double vl = Math.Abs(v[l]);
                a2 += al2 * vl * vl * vl * vl;
                if (vl > AlignmentTolerance && vl < 1.0 - AlignmentTolerance) decoupled = false;
            }

            bool isFlat = flat.Contains(i);
            double discrete = double.PositiveInfinity, langevin = double.PositiveInfinity;
            if (!isFlat)
            {
                double mean = -linear / lambda;
                double effective = s2 + a2 * mean * mean;
                discrete = beta == 0.0
                    ? QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, effective, a2)
                    : QuadraticMomentTheory.MomentumStationaryVariance1D(eta, lambda, beta, effective, a2);
                langevin = beta < 1.0
                    ? QuadraticMomentTheory.LangevinStationaryVariance1D(eta / (1.0 - beta), lambda, effective, a2)
                    : double.PositiveInfinity;
            }

            list.Add(new Eigenmode(i, lambda, v, s2, a2, linear, isFlat, decoupled, discrete, langevin,
                Project(stationary.Discrete, v), Project(stationary.Langevin, v)));
        }

        return new EigenmodeDecomposition(list, stationary);
    }

    /// <summary>
    /// Mode means <c>vᵢᵀ m_k</c> and variances <c>vᵢᵀ C_k vᵢ</c> at every recorded step of the exact moment recursion
    /// <c>C_{k+1} = A C_k Aᵀ + η² (Σ + diag(a² ⊙ (diag C_k + m_k²)))</c> (<see cref="QuadraticMomentTheory.Recursion"/>).
    /// Without curvature noise, mode i follows <c>Var_k = (1 − ηλ)^{2k} Var_0 + η² s² (1 − (1 − ηλ)^{2k}) / (1 − (1 − ηλ)²)</c>
    /// whenever <c>Var_0 = vᵢᵀ C_0 vᵢ</c> carries no cross terms with other modes.
    /// </summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric.</exception>
    public static IReadOnlyList<ModeMoments> ModeMomentsAtRecords(Problem problem, IReadOnlyList<int> steps)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var basis = HeavyBallModes.FromProblem(problem).Basis;
        return QuadraticMomentTheory.Recursion(problem, steps).Select(r => Project(basis, r)).ToList();
    }

    /// <summary>Mode means and variances <c>vᵢᵀ C_k vᵢ</c> at step <paramref name="step"/> of the exact recursion.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public static ModeMoments ModeMomentsAt(Problem problem, int step)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return ModeMomentsAtRecords(problem, [step])[0];
    }

    /// <summary>
    /// Discrete stationary variance of one decoupled mode, <c>y' = (1 − η(λ + a ζ)) y − η b_v − η s ξ</c>:
    /// <c>Var = η (s² + a² m²) / (λ (2 − ηλ) − η a²)</c> with the stationary mean <c>m = −b_v / λ</c>
    /// (from <c>Var' = (1 − ηλ)² Var + η² a² (Var + m²) + η² s²</c>); +∞ when the denominator is ≤ 0.
    /// </summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="s2">Projected gradient-noise variance s².</param>
    /// <param name="a2">Projected curvature-noise variance a².</param>
    /// <param name="mean">Stationary mode mean m (0 without a linear term).</param>
    public static double DiscreteModeVariance(double eta, double lambda, double s2, double a2 = 0.0, double mean = 0.0) =>
        QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, s2 + a2 * mean * mean, a2);

    /// <summary>
    /// Langevin (first-order SME) stationary variance of one decoupled mode,
    /// <c>dY = −λ (Y − m) dt + √η (s² + a² Y²)^{1/2} dW</c>: <c>Var = η (s² + a² m²) / (2λ − η a²)</c>, i.e.
    /// <c>η s² / (2λ)</c> for a = 0 (Mandt, Hoffman &amp; Blei 2017; Li, Tai &amp; E 2017); +∞ when <c>2λ − η a² ≤ 0</c>.
    /// </summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="s2">Projected gradient-noise variance s².</param>
    /// <param name="a2">Projected curvature-noise variance a².</param>
    /// <param name="mean">Stationary mode mean m.</param>
    public static double LangevinModeVariance(double eta, double lambda, double s2, double a2 = 0.0, double mean = 0.0) =>
        QuadraticMomentTheory.LangevinStationaryVariance1D(eta, lambda, s2 + a2 * mean * mean, a2);

    /// <summary>
    /// Ratio of the discrete to the Langevin stationary variance of a mode without curvature noise:
    /// <c>(η s² / (λ(2 − ηλ))) / (η s² / (2λ)) = 2 / (2 − ηλ) = 1 + ηλ/2 + O(η²)</c>; +∞ for <c>ηλ ≥ 2</c>.
    /// </summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ &gt; 0.</param>
    public static double DiscreteToLangevinRatio(double eta, double lambda)
    {
        double denominator = 2.0 - eta * lambda;
        return denominator > 0.0 ? 2.0 / denominator : double.PositiveInfinity;
    }

    private static double Project(StationaryCovariance law, Vector<double> v) =>
        law.Covariance is { } c ? v.DotProduct(c * v) : double.NaN;

    private static ModeMoments Project(Matrix<double> basis, MomentRecord record)
    {
        int d = basis.ColumnCount;
        var means = new double[d];
        var variances = new double[d];
        var projected = basis.TransposeThisAndMultiply(record.Covariance).Multiply(basis);
        var meanModes = basis.TransposeThisAndMultiply(record.Mean);
        for (int i = 0; i < d; i++)
        {
            means[i] = meanModes[i];
            variances[i] = projected[i, i];
        }

        return new ModeMoments(record.Step, means, variances);
    }
}
