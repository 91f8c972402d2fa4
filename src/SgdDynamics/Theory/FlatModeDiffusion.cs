using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>How the variance of a flat-mode coordinate grows with the step k.</summary>
public enum FlatModeGrowth
{
    /// <summary>No curvature noise along v: <c>Var_k = Var_0 + k η² s²</c> exactly, diffusion with <c>D = η s² / 2</c>.</summary>
    Linear,

    /// <summary>
    /// Curvature noise along v without drift (<c>vᵀb = 0</c>): <c>Var_k ≈ Var_0 + k η² (s² + a² m_0²)</c> while
    /// <c>k η² a² ≪ 1</c>, then geometric growth <c>Var_k ~ K (1 + η² a²)^k</c>.
    /// </summary>
    LinearThenGeometric,

    /// <summary>
    /// Curvature noise and drift along v: the drifting mean <c>m_k = m_0 + k c</c> feeds the curvature noise, so
    /// <c>Var_k ≈ (η² a² c² / 3) k³</c> for <c>1 ≪ k ≪ 1 / (η² a²)</c>, then <c>Var_k ~ K (1 + η² a²)^k</c>.
    /// </summary>
    CubicThenGeometric,
}

/// <summary>
/// Exact law of the first two moments of a flat-mode coordinate <c>y = vᵀ x</c>, <c>H v = 0</c>, under SGD
/// <c>x' = x − η ((H + diag(a ⊙ ζ)) x + b + L ξ)</c>. Since <c>vᵀ H = 0</c>,
/// <c>y' = y + c − η Σ_l v_l a_l ζ_l x_l − η vᵀ L ξ</c> with the drift <c>c = −η vᵀ b</c> per step. This closes on y
/// when the curvature noise misses the support of v (then a² = 0) or v is a coordinate axis <c>±e_j</c>
/// (then <c>a² = a_j²</c> and <c>Σ_l v_l² a_l² x_l² = a² y²</c>). With <c>s² = vᵀ Σ v</c> and <c>q = 1 + η² a²</c>:
/// <c>m_{k+1} = m_k + c</c>, <c>E[y²]_{k+1} = q E[y²]_k + 2 c m_k + c² + η² s²</c>, hence
/// <c>Var_{k+1} = q Var_k + η² (s² + a² m_k²)</c> and
/// <c>Var_k = q^k Var_0 + η² Σ_{j&lt;k} q^{k−1−j} (s² + a² (m_0 + j c)²)</c>.
/// Without curvature noise the variance grows by <c>η² s²</c> per step, i.e. by <c>2D</c> per unit time t = kη with
/// <c>D = η s² / 2</c>. With it the variance eventually grows geometrically, although for <c>E log|1 − η a ζ| &lt; 0</c>
/// y itself settles into a heavy-tailed law (<see cref="KestenTailIndex"/>, with λ = 0) whose tail index is below 2.
/// </summary>
public sealed class FlatModeDiffusion
{
    private const double AxisTolerance = 1e-12;

    /// <summary>
    /// A 1-D flat coordinate <c>y' = y − η b − η a ζ y − η s ξ</c> started from mean <paramref name="initialMean"/>
    /// and variance <paramref name="initialVariance"/>.
    /// </summary>
    /// <param name="learningRate">Learning rate η &gt; 0.</param>
    /// <param name="noiseVariance">Gradient-noise variance s² ≥ 0.</param>
    /// <param name="linearTerm">Linear term b along the coordinate (drift −η b per step).</param>
    /// <param name="curvatureVariance">Curvature-noise variance a² ≥ 0.</param>
    /// <param name="initialMean">Initial mean m₀.</param>
    /// <param name="initialVariance">Initial variance Var₀ ≥ 0.</param>
    public FlatModeDiffusion(
        double learningRate, double noiseVariance, double linearTerm = 0.0, double curvatureVariance = 0.0,
        double initialMean = 0.0, double initialVariance = 0.0)
    {
        if (!(learningRate > 0.0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        ArgumentOutOfRangeException.ThrowIfNegative(noiseVariance);
        ArgumentOutOfRangeException.ThrowIfNegative(curvatureVariance);
        ArgumentOutOfRangeException.ThrowIfNegative(initialVariance);
        LearningRate = learningRate;
        NoiseVariance = noiseVariance;
        LinearTerm = linearTerm;
        CurvatureVariance = curvatureVariance;
        InitialMean = initialMean;
        InitialVariance = initialVariance;
    }

    /// <summary>Unit flat direction v in coordinates; null for a coordinate built directly from 1-D parameters.</summary>
    public Vector<double>? Direction { get; private init; }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Gradient-noise variance along v, <c>s² = vᵀ Σ v</c>.</summary>
    public double NoiseVariance { get; }

    /// <summary>Linear term along v, <c>vᵀ b</c>.</summary>
    public double LinearTerm { get; }

    /// <summary>Curvature-noise variance along v, a² (<c>a_j²</c> for <c>v = ±e_j</c>, 0 when it misses v).</summary>
    public double CurvatureVariance { get; }

    /// <summary>Initial mean <c>m_0 = vᵀ E[x_0]</c>.</summary>
    public double InitialMean { get; }

    /// <summary>Initial variance <c>Var_0 = vᵀ C_0 v</c>.</summary>
    public double InitialVariance { get; }

    /// <summary>Drift per step, <c>c = −η vᵀ b</c>.</summary>
    public double DriftPerStep => -LearningRate * LinearTerm;

    /// <summary>Variance added per step by the gradient noise, <c>η² s²</c>.</summary>
    public double VarianceIncrementPerStep => LearningRate * LearningRate * NoiseVariance;

    /// <summary>
    /// Diffusion coefficient per unit time t = kη, <c>D = η s² / 2</c>: without curvature noise
    /// <c>Var(t) = Var_0 + 2 D t</c>.
    /// </summary>
    public double Diffusion => 0.5 * LearningRate * NoiseVariance;

    /// <summary>Second-moment growth factor per step, <c>q = 1 + η² a²</c>.</summary>
    public double GrowthFactor => 1.0 + LearningRate * LearningRate * CurvatureVariance;

    /// <summary>
    /// Coefficient of k³ in the variance while <c>k η² a² ≪ 1</c>: <c>η² a² c² / 3 = η⁴ a² (vᵀb)² / 3</c>
    /// (in time, <c>Var ≈ η a² (vᵀb)² t³ / 3</c>); 0 without curvature noise or drift.
    /// </summary>
    public double CubicCoefficient
    {
        get
        {
            double c = DriftPerStep;
            return LearningRate * LearningRate * CurvatureVariance * c * c / 3.0;
        }
    }

    /// <summary>Which growth law applies (<see cref="FlatModeGrowth"/>).</summary>
    public FlatModeGrowth Growth =>
        CurvatureVariance == 0.0 ? FlatModeGrowth.Linear
        : LinearTerm == 0.0 ? FlatModeGrowth.LinearThenGeometric
        : FlatModeGrowth.CubicThenGeometric;

    /// <summary>
    /// Amplitude of the geometric law, <c>K = lim_k Var_k / q^k = Var_0 + η² Σ_{j≥0} q^{−(j+1)} (s² + a² (m_0 + j c)²)</c>
    /// <c>= Var_0 + η² [(s² + a² m_0²) r/(1 − r) + 2 a² m_0 c r²/(1 − r)² + a² c² r² (1 + r)/(1 − r)³]</c>, r = 1/q;
    /// +∞ without curvature noise (the growth is then linear).
    /// </summary>
    public double GeometricAmplitude
    {
        get
        {
            if (CurvatureVariance == 0.0) return double.PositiveInfinity;
            double eta2 = LearningRate * LearningRate;
            double q = GrowthFactor;
            double r = 1.0 / q;
            double oneMinusR = eta2 * CurvatureVariance / q;
            double a2 = CurvatureVariance;
            double m0 = InitialMean;
            double c = DriftPerStep;
            return InitialVariance + eta2 * (
                (NoiseVariance + a2 * m0 * m0) * r / oneMinusR
                + 2.0 * a2 * m0 * c * r * r / (oneMinusR * oneMinusR)
                + a2 * c * c * r * r * (1.0 + r) / (oneMinusR * oneMinusR * oneMinusR));
        }
    }

    /// <summary>
    /// The flat direction <paramref name="direction"/> of the problem's Hessian (normalised here). It must satisfy
    /// <c>‖H v‖ ≤ tolerance · max_ij |H_ij| · ‖v‖</c>; a direction within 10⁻¹² of a coordinate axis is taken as
    /// that axis.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The optimizer is not SGD, v is zero or not a null vector of H, or curvature noise acts on the support of a v
    /// that is not a coordinate axis (the law of vᵀx then couples to other directions: use
    /// <see cref="QuadraticMomentTheory.Recursion"/>).
    /// </exception>
    public static FlatModeDiffusion FromProblem(Problem problem, Vector<double> direction, double tolerance = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(direction);
        if (problem.Dynamics is not SgdSpec)
            throw new ArgumentException("Flat-mode diffusion is derived for plain SGD.", nameof(problem));
        var landscape = problem.Quadratic;
        if (direction.Count != landscape.Dimension)
            throw new ArgumentException("The direction must have the problem's dimension.", nameof(direction));
        double norm = direction.L2Norm();
        if (!(norm > 0.0) || double.IsInfinity(norm))
            throw new ArgumentException("The direction must be nonzero and finite.", nameof(direction));
        var v = direction / norm;

        int axis = -1;
        for (int l = 0; l < v.Count; l++)
            if (Math.Abs(v[l]) >= 1.0 - AxisTolerance) axis = l;
        if (axis >= 0)
        {
            double sign = Math.Sign(v[axis]);
            v = Vector<double>.Build.Dense(v.Count);
            v[axis] = sign;
        }

        double scale = landscape.Hessian.Enumerate().Max(Math.Abs);
        double residual = (landscape.Hessian * v).L2Norm();
        if (residual > tolerance * scale)
            throw new ArgumentException(Format("The direction is not flat: ‖H v‖ = {0} exceeds {1} · max|H_ij| = {2}.", residual, tolerance, tolerance * scale), nameof(direction));

        double curvature = 0.0;
        for (int l = 0; l < v.Count; l++)
        {
            double al = landscape.CurvatureNoiseStd[l];
            if (al == 0.0 || v[l] == 0.0) continue;
            if (axis != l)
                throw new ArgumentException(Format("Curvature noise on coordinate {0} couples vᵀx to other directions unless v is that coordinate axis; use QuadraticMomentTheory.Recursion.", l), nameof(direction));
            curvature = al * al;
        }

        var initial = problem.Initial;
        return new FlatModeDiffusion(
            problem.Dynamics.LearningRate,
            Math.Max(v.DotProduct(landscape.NoiseCovariance * v), 0.0),
            v.DotProduct(landscape.LinearTerm),
            curvature,
            v.DotProduct(initial.Mean),
            Math.Max(v.DotProduct(initial.Covariance * v), 0.0))
        {
            Direction = v,
        };
    }

    /// <summary>
    /// One <see cref="FlatModeDiffusion"/> per flat eigenvector of H (<see cref="Eigenmode.IsFlat"/>), in the order
    /// of <see cref="EigenmodeTheory.Decompose"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="FromProblem"/>, for any flat eigenvector.</exception>
    public static IReadOnlyList<FlatModeDiffusion> FlatModes(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var modes = HeavyBallModes.FromProblem(problem);
        // ‖H v‖ = |λ| ≤ 10⁻¹² max|λ_j| for a flat eigenvector, up to the eigensolver's residual
        double spectralScale = modes.Eigenvalues.Max(Math.Abs);
        double entryScale = problem.Quadratic.Hessian.Enumerate().Max(Math.Abs);
        double tolerance = entryScale > 0.0 ? 2e-12 * Math.Max(1.0, spectralScale / entryScale) : 1e-12;
        return modes.FlatModes().Select(i => FromProblem(problem, modes.Basis.Column(i), tolerance)).ToList();
    }

    /// <summary>Exact mean after k steps, <c>m_k = m_0 + k c</c>.</summary>
    public double MeanAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return InitialMean + step * DriftPerStep;
    }

    /// <summary>
    /// Exact variance after k steps, <c>Var_k = q^k Var_0 + η² Σ_{j&lt;k} q^{k−1−j} (s² + a² (m_0 + j c)²)</c>:
    /// <c>Var_0 + k η² s²</c> without curvature noise, otherwise the k-th power (binary powering) of the affine map
    /// <c>(Var, m², m, 1) ↦ (q Var + η² a² m² + η² s², m² + 2 c m + c², m + c, 1)</c>.
    /// </summary>
    public double VarianceAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double eta2 = LearningRate * LearningRate;
        if (CurvatureVariance == 0.0) return InitialVariance + step * eta2 * NoiseVariance;
        if (step == 0) return InitialVariance;
        double c = DriftPerStep;
        var map = Matrix<double>.Build.DenseOfArray(new[,]
        {
            { GrowthFactor, eta2 * CurvatureVariance, 0.0, eta2 * NoiseVariance },
            { 0.0, 1.0, 2.0 * c, c * c },
            { 0.0, 0.0, 1.0, c },
            { 0.0, 0.0, 0.0, 1.0 },
        });
        var state = Vector<double>.Build.DenseOfArray([InitialVariance, InitialMean * InitialMean, InitialMean, 1.0]);
        return (map.Power(step) * state)[0];
    }

    /// <summary>Exact second moment after k steps, <c>E[y_k²] = Var_k + m_k²</c>.</summary>
    public double SecondMomentAt(int step)
    {
        double mean = MeanAt(step);
        return VarianceAt(step) + mean * mean;
    }

    /// <summary>
    /// Variance with the growth factor q^k set to 1 (first order in <c>k η² a²</c>, exact without curvature noise):
    /// <c>Var_0 + η² Σ_{j&lt;k} (s² + a² (m_0 + j c)²)
    /// = Var_0 + k η² (s² + a² m_0²) + η² a² (m_0 c k(k − 1) + c² (k − 1) k (2k − 1) / 6)</c>;
    /// its leading term for large k is <see cref="CubicCoefficient"/>·k³.
    /// </summary>
    public double PolynomialVarianceAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double k = step;
        double eta2 = LearningRate * LearningRate;
        double m0 = InitialMean;
        double c = DriftPerStep;
        double a2 = CurvatureVariance;
        return InitialVariance + k * eta2 * (NoiseVariance + a2 * m0 * m0)
            + eta2 * a2 * (m0 * c * k * (k - 1.0) + c * c * (k - 1.0) * k * (2.0 * k - 1.0) / 6.0);
    }

    private static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments);
}
