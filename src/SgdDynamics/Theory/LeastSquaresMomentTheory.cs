using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace SgdDynamics.Theory;

/// <summary>Whether a least-squares SGD problem has a stationary law, and if not, why.</summary>
public enum LeastSquaresStationaryStatus
{
    /// <summary>
    /// H is non-singular, the mean map <c>I − ηH</c> and the second-moment map T both contract: every initial law with
    /// finite second moments converges to the reported mean and covariance.
    /// </summary>
    Stable,

    /// <summary>
    /// H is non-singular, so <c>m* = H⁻¹ c</c> is the unique fixed point of the mean map, but the discrete dynamics does
    /// not contract (<c>ρ(I − ηH) ≥ 1</c> or <c>ρ(T) ≥ 1</c>): the second moment diverges and there is no stationary
    /// covariance.
    /// </summary>
    Unstable,

    /// <summary>
    /// H is singular (the features do not span R^d): <c>H m = c</c> has no unique solution, the mean never forgets its
    /// component along the null space of H, and there is no unique stationary law, discrete or Langevin.
    /// </summary>
    SingularHessian,
}

/// <summary>
/// Stationary law of SGD on a finite-sum least-squares problem (<see cref="LeastSquaresMomentTheory.Stationary"/>),
/// with the spectral quantities that decide its existence and the Langevin (SME-1) prediction for comparison.
/// Quantities that do not exist are null, never finite placeholders.
/// </summary>
/// <param name="Status">Whether the discrete stationary law exists, and if not, why.</param>
/// <param name="Reason">Why there is no stationary law; null when <paramref name="Status"/> is Stable.</param>
/// <param name="Mean">
/// <c>m* = H⁻¹ c</c>, the unique fixed point of the mean map (the least-squares solution): the stationary mean when
/// Stable, still the fixed point of the mean map when Unstable; null when the Hessian is singular.
/// </param>
/// <param name="Residuals">Residuals <c>r_i = a_iᵀ m* − y_i</c> (length n); null when the Hessian is singular.</param>
/// <param name="Covariance">
/// Stationary covariance <c>C*</c> of SGD, solving <c>(I − T) vec C = (η²/B) vec N</c>, <c>N = (1/n) Σ r_i² a_i a_iᵀ</c>;
/// null unless Stable.
/// </param>
/// <param name="LangevinCovariance">
/// Langevin (first-order SME) prediction: the stationary covariance of <c>dX = −(HX − c) dt + √(η Σ(X)) dW</c>, which
/// solves <c>H C + C H = η E Σ(X) = (η/B)[N + (1/n) Σ a_i a_iᵀ (a_iᵀ C a_i) − H C H]</c> (the noise depends on X, so its
/// stationary mean involves C, as the curvature noise of the quadratic landscape does); null when the Hessian is singular
/// or when that linear operator is not positive definite (the SDE's second moment then diverges:
/// <see cref="LangevinSpectralAbscissa"/> ≥ 0).
/// </param>
/// <param name="LangevinSpectralAbscissa">
/// The largest eigenvalue of the SDE's second-moment generator <c>C ↦ −(HC + CH) + (η/B)(M4 − H⊗H) vec C</c>: the Langevin
/// law exists iff it is negative. NaN when the Hessian is singular.
/// </param>
/// <param name="SecondMomentSpectralRadius">
/// Spectral radius of the second-moment map T (<see cref="LeastSquaresMomentTheory.SecondMomentOperator"/>).
/// </param>
/// <param name="MeanMapSpectralRadius">Spectral radius <c>max_i |1 − ηλ_i(H)|</c> of the mean map <c>I − ηH</c>.</param>
public sealed record LeastSquaresStationaryLaw(
    LeastSquaresStationaryStatus Status,
    string? Reason,
    Vector<double>? Mean,
    Vector<double>? Residuals,
    Matrix<double>? Covariance,
    Matrix<double>? LangevinCovariance,
    double SecondMomentSpectralRadius,
    double MeanMapSpectralRadius,
    double LangevinSpectralAbscissa = double.NaN)
{
    /// <summary>True when the discrete stationary law exists (<see cref="Status"/> is Stable).</summary>
    public bool Stable => Status == LeastSquaresStationaryStatus.Stable;
}

/// <summary>
/// Exact mean and covariance of SGD on the finite-sum least-squares problem
/// <c>L(x) = (1/n) Σ_i ℓ_i(x)</c>, <c>ℓ_i(x) = (a_iᵀ x − y_i)² / 2</c>, with minibatches of B indices drawn uniformly
/// <em>with replacement</em>, fresh every step and independent of x:
/// <c>x' = x − η ĝ(x)</c>, <c>ĝ(x) = (1/B) Σ_{j=1..B} ∇ℓ_{i_j}(x)</c>, <c>∇ℓ_i(x) = a_i (a_iᵀ x − y_i)</c>.
/// All computations are in double precision on the host.
/// </summary>
/// <remarks>
/// <para>
/// Derivation. With <c>H = (1/n) Σ a_i a_iᵀ</c>, <c>c = (1/n) Σ a_i y_i</c>, the mean gradient is
/// <c>ḡ(x) = H x − c</c>. Write <c>ĝ(x) = ḡ(x) + ξ</c>. The B indices are i.i.d. and independent of x, so
/// <c>E[ξ | x] = 0</c> and <c>E[ξ ξᵀ | x] = Σ(x) = (1/B) Cov_i(∇ℓ_i(x))
/// = (1/B) [ (1/n) Σ a_i a_iᵀ (a_iᵀ x − y_i)² − ḡ(x) ḡ(x)ᵀ ]</c>.
/// With <c>K = I − ηH</c>, the step is <c>x' = K x + η c − η ξ</c>. Take <c>x = m + δ</c>, <c>E δ = 0</c>,
/// <c>E δ δᵀ = C</c>: then <c>m' = K m + η c = m − η ḡ(m)</c> and <c>δ' = K δ − η ξ</c>; the cross term
/// <c>E[δ ξᵀ] = E[δ E[ξ | x]ᵀ] = 0</c>, so <c>C' = K C Kᵀ + η² E_x Σ(x)</c>. Since <c>a_iᵀ x − y_i</c> and <c>ḡ(x)</c>
/// are affine in x, <c>E (a_iᵀ x − y_i)² = (a_iᵀ m − y_i)² + a_iᵀ C a_i</c> and
/// <c>E ḡ(x) ḡ(x)ᵀ = ḡ(m) ḡ(m)ᵀ + H C H</c>, hence exactly
/// <c>C' = K C Kᵀ + (η²/B) [ (1/n) Σ a_i a_iᵀ ((a_iᵀ m − y_i)² + a_iᵀ C a_i) − ḡ(m) ḡ(m)ᵀ − H C H ]</c>.
/// Only the first two moments of x enter, so the recursion is exact for any initial law with finite second moments
/// (a point, a Gaussian, a finite mixture), not only Gaussian ones; the law of x itself is not Gaussian.
/// </para>
/// <para>
/// Second-moment operator. Since <c>a_i a_iᵀ (a_iᵀ C a_i) = (a_i a_iᵀ) C (a_i a_iᵀ)</c> and
/// <c>vec(a_i a_iᵀ (a_iᵀ C a_i)) = (a_i ⊗ a_i)(a_i ⊗ a_i)ᵀ vec C</c>, the covariance-dependent part of the step is the
/// linear map <c>T = K ⊗ K + (η²/B)(M4 − H ⊗ H)</c>, <c>M4 = (1/n) Σ (a_i ⊗ a_i)(a_i ⊗ a_i)ᵀ</c>, the same at every mean.
/// Equivalently <c>T(C) = E[(I − η Ĥ) C (I − η Ĥ)]</c> with the minibatch Hessian <c>Ĥ = (1/B) Σ_j a_{i_j} a_{i_j}ᵀ</c>:
/// a completely positive map, symmetric as a d² × d² matrix (K and H are symmetric), so its spectral radius is the
/// largest absolute eigenvalue and is attained on a positive semi-definite eigenvector (Perron–Frobenius for positive
/// maps, D. E. Evans &amp; R. Høegh-Krohn, J. London Math. Soc. 1978), hence on the symmetric matrices, which T maps into
/// themselves. It dominates <c>K ⊗ K</c> in the order of positive maps (<c>T − K ⊗ K</c> is
/// <c>C ↦ η² E[(Ĥ − H) C (Ĥ − H)]</c>), so <c>ρ(T) ≥ ρ(K)²</c>: <c>ρ(T) &lt; 1</c> already implies a contracting mean
/// map, and the minibatch noise can make T expand although K contracts.
/// </para>
/// <para>
/// Fourth moments. <see cref="Step"/> and <see cref="Moments"/> compute <c>(1/n) Σ a_i a_iᵀ (a_iᵀ C a_i)</c> by the sum over
/// samples, O(n d² + d³) time per step and O(n d) memory, exact for the finite set and usable for any d. The stationary
/// solve needs T as a matrix, so <see cref="FeatureFourthMoment"/> forms M4 (d² × d², O(n d⁴) time) only there, for
/// <c>d ≤ </c><see cref="MaxOperatorDimension"/>.
/// </para>
/// </remarks>
public sealed class LeastSquaresMomentTheory
{
    /// <summary>Largest dimension d for which the d² × d² operators (M4, T) and the stationary law are formed.</summary>
    public const int MaxOperatorDimension = 32;

    /// <summary>Eigenvalues of H with <c>λ ≤ 1e-12 · λ_max</c> (all of them when H = 0) count as zero.</summary>
    private const double SingularTolerance = 1e-12;

    private readonly Matrix<double> features;
    private readonly Vector<double> targets;
    private readonly Matrix<double> hessian;
    private readonly Vector<double> meanTarget;
    private readonly Matrix<double> contraction;
    private readonly Lazy<Evd<double>> hessianEigen;
    private readonly Lazy<Matrix<double>> fourthMoment;
    private readonly Lazy<Matrix<double>> secondMomentOperator;
    private readonly Lazy<Matrix<double>> symmetricOperator;
    private readonly Lazy<double> secondMomentSpectralRadius;

    /// <summary>Builds the theory of one data set, batch size and learning rate.</summary>
    /// <param name="features">Feature matrix, row i is <c>a_iᵀ</c> (n × d, n ≥ 1, d ≥ 1, all finite). Copied.</param>
    /// <param name="targets">Targets <c>y_i</c> (length n, all finite). Copied.</param>
    /// <param name="batchSize">Minibatch size B ≥ 1 (indices drawn with replacement, so B may exceed n).</param>
    /// <param name="learningRate">Learning rate η &gt; 0, finite.</param>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">An argument is empty, non-finite, out of range or of the wrong length.</exception>
    public LeastSquaresMomentTheory(double[,] features, double[] targets, int batchSize, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        int n = features.GetLength(0);
        int d = features.GetLength(1);
        if (n < 1) throw new ArgumentException("features needs at least one sample (row)", nameof(features));
        if (d < 1) throw new ArgumentException("features needs at least one feature (column)", nameof(features));
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < d; k++)
            {
                if (!double.IsFinite(features[i, k]))
                    throw new ArgumentException(Format("features[{0}, {1}] = {2} is not finite", i, k, features[i, k]), nameof(features));
            }
        }
        if (targets.Length != n)
            throw new ArgumentException(Format("targets has length {0}, features has {1} rows", targets.Length, n), nameof(targets));
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(targets[i]))
                throw new ArgumentException(Format("targets[{0}] = {1} is not finite", i, targets[i]), nameof(targets));
        }
        if (batchSize < 1)
            throw new ArgumentException(Format("batchSize must be at least 1 (got {0})", batchSize), nameof(batchSize));
        if (!double.IsFinite(learningRate) || learningRate <= 0.0)
            throw new ArgumentException(Format("learningRate must be positive and finite (got {0})", learningRate), nameof(learningRate));

        this.features = Matrix<double>.Build.DenseOfArray(features);
        this.targets = Vector<double>.Build.DenseOfArray(targets);
        BatchSize = batchSize;
        LearningRate = learningRate;

        var gram = this.features.TransposeThisAndMultiply(this.features) / n;
        hessian = Symmetrize(gram);
        meanTarget = this.features.TransposeThisAndMultiply(this.targets) / n;
        contraction = Matrix<double>.Build.DenseIdentity(d) - learningRate * hessian;

        hessianEigen = new Lazy<Evd<double>>(() => hessian.Evd(Symmetricity.Symmetric));
        fourthMoment = new Lazy<Matrix<double>>(BuildFourthMoment);
        secondMomentOperator = new Lazy<Matrix<double>>(BuildSecondMomentOperator);
        symmetricOperator = new Lazy<Matrix<double>>(BuildSymmetricOperator);
        secondMomentSpectralRadius = new Lazy<double>(() =>
            symmetricOperator.Value.Evd(Symmetricity.Symmetric).EigenValues.Enumerate().Max(e => e.Magnitude));
    }

    /// <summary>Dimension d of the parameter x.</summary>
    public int Dimension => features.ColumnCount;

    /// <summary>Number of samples n.</summary>
    public int Samples => features.RowCount;

    /// <summary>Minibatch size B.</summary>
    public int BatchSize { get; }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Hessian <c>H = (1/n) Σ a_i a_iᵀ</c> (d × d, exactly symmetric, positive semi-definite); a copy.</summary>
    public Matrix<double> Hessian => hessian.Clone();

    /// <summary>Mean target <c>c = (1/n) Σ a_i y_i</c> (length d), so that <c>ḡ(x) = H x − c</c>; a copy.</summary>
    public Vector<double> MeanTarget => meanTarget.Clone();

    /// <summary>Spectral radius <c>max_i |1 − η λ_i(H)|</c> of the mean map <c>I − ηH</c>.</summary>
    public double MeanMapSpectralRadius =>
        hessianEigen.Value.EigenValues.Enumerate().Max(e => Math.Abs(1.0 - LearningRate * e.Real));

    /// <summary>The mean gradient <c>ḡ(x) = H x − c</c> of the full loss.</summary>
    /// <param name="x">Point (length d).</param>
    public Vector<double> MeanGradient(Vector<double> x)
    {
        CheckVector(x, nameof(x));
        return hessian * x - meanTarget;
    }

    /// <summary>
    /// Minibatch gradient-noise covariance at a point, <c>Σ(x) = (1/B) [ (1/n) Σ a_i a_iᵀ (a_iᵀ x − y_i)² − ḡ(x) ḡ(x)ᵀ ]</c>.
    /// </summary>
    /// <param name="x">Point (length d).</param>
    public Matrix<double> NoiseCovariance(Vector<double> x)
    {
        CheckVector(x, nameof(x));
        var residuals = features * x - targets;
        var gradient = hessian * x - meanTarget;
        var noise = WeightedGram(residuals.PointwiseMultiply(residuals)) - gradient.OuterProduct(gradient);
        return Symmetrize(noise / BatchSize);
    }

    /// <summary>
    /// One exact step of the moments: <c>m' = m − η ḡ(m)</c>,
    /// <c>C' = K C Kᵀ + (η²/B) [ (1/n) Σ a_i a_iᵀ ((a_iᵀ m − y_i)² + a_iᵀ C a_i) − ḡ(m) ḡ(m)ᵀ − H C H ]</c>, <c>K = I − ηH</c>
    /// (derivation in the class remarks). O(n d² + d³).
    /// </summary>
    /// <param name="mean">Mean m of x (length d).</param>
    /// <param name="covariance">Covariance C of x (d × d); only its symmetric part is used.</param>
    /// <returns>The mean and covariance after the step (the covariance exactly symmetric).</returns>
    /// <exception cref="ArgumentException">A dimension does not match.</exception>
    public (Vector<double> Mean, Matrix<double> Covariance) Step(Vector<double> mean, Matrix<double> covariance)
    {
        CheckVector(mean, nameof(mean));
        CheckMatrix(covariance, nameof(covariance));
        return StepUnchecked(mean, Symmetrize(covariance));
    }

    /// <summary>
    /// Exact mean and covariance of x at every step in <paramref name="recordSteps"/> (ascending, the first ≥ 0; step 0
    /// is the initial law), starting from any law with mean <paramref name="mean0"/> and covariance <paramref name="cov0"/>
    /// (a point start is <c>cov0 = 0</c>). Iterates <see cref="Step"/>; divergent runs give growing or non-finite moments.
    /// </summary>
    /// <param name="mean0">Initial mean (length d).</param>
    /// <param name="cov0">Initial covariance (d × d); only its symmetric part is used.</param>
    /// <param name="recordSteps">Steps to report, non-negative and ascending (repeats give repeated records).</param>
    /// <exception cref="ArgumentException">A dimension does not match, or the steps are negative or not ascending.</exception>
    public IReadOnlyList<MomentRecord> Moments(Vector<double> mean0, Matrix<double> cov0, IReadOnlyList<int> recordSteps)
    {
        CheckVector(mean0, nameof(mean0));
        CheckMatrix(cov0, nameof(cov0));
        ArgumentNullException.ThrowIfNull(recordSteps);
        for (int i = 0; i < recordSteps.Count; i++)
        {
            if (recordSteps[i] < 0 || (i > 0 && recordSteps[i] < recordSteps[i - 1]))
                throw new ArgumentException(Format("recordSteps must be non-negative and ascending (entry {0} is {1})", i, recordSteps[i]), nameof(recordSteps));
        }

        var mean = mean0.Clone();
        var covariance = Symmetrize(cov0);
        int step = 0;
        var records = new List<MomentRecord>(recordSteps.Count);
        foreach (int target in recordSteps)
        {
            for (; step < target; step++) (mean, covariance) = StepUnchecked(mean, covariance);
            records.Add(new MomentRecord(step, mean.Clone(), covariance.Clone()));
        }
        return records;
    }

    /// <summary>
    /// Fourth moment of the features, <c>M4 = (1/n) Σ (a_i ⊗ a_i)(a_i ⊗ a_i)ᵀ</c> (d² × d², indexed like the column-major
    /// vec: entry <c>i + d j</c> of <c>a ⊗ a</c> is <c>a_i a_j</c>), so that <c>M4 vec C = vec((1/n) Σ a_i a_iᵀ (a_iᵀ C a_i))</c>.
    /// Formed once, O(n d⁴); a copy.
    /// </summary>
    /// <exception cref="ArgumentException">d exceeds <see cref="MaxOperatorDimension"/>.</exception>
    public Matrix<double> FeatureFourthMoment()
    {
        CheckOperatorDimension();
        return fourthMoment.Value.Clone();
    }

    /// <summary>
    /// The linear map of one step on <c>vec C</c>, <c>T = K ⊗ K + (η²/B)(M4 − H ⊗ H)</c>, <c>K = I − ηH</c> (d² × d²,
    /// symmetric): <c>vec C' = T vec C + (η²/B) vec((1/n) Σ a_i a_iᵀ (a_iᵀ m − y_i)² − ḡ(m) ḡ(m)ᵀ)</c>. It does not depend
    /// on the mean, so it is also the map at the stationary mean. A copy.
    /// </summary>
    /// <exception cref="ArgumentException">d exceeds <see cref="MaxOperatorDimension"/>.</exception>
    public Matrix<double> SecondMomentOperator()
    {
        CheckOperatorDimension();
        return secondMomentOperator.Value.Clone();
    }

    /// <summary>
    /// Spectral radius ρ(T) of <see cref="SecondMomentOperator"/>: its largest absolute eigenvalue (T is symmetric), computed
    /// on the symmetric matrices, where the Perron eigenvector lies.
    /// The second moment converges iff ρ(T) &lt; 1 and <see cref="MeanMapSpectralRadius"/> &lt; 1 (the first implies
    /// the second, see the class remarks).
    /// </summary>
    /// <exception cref="ArgumentException">d exceeds <see cref="MaxOperatorDimension"/>.</exception>
    public double SecondMomentSpectralRadius()
    {
        CheckOperatorDimension();
        return secondMomentSpectralRadius.Value;
    }

    /// <summary>
    /// The stationary law of SGD and its Langevin prediction. If H is singular there is none
    /// (<see cref="LeastSquaresStationaryStatus.SingularHessian"/>). Otherwise <c>m* = H⁻¹ c</c>,
    /// <c>r_i = a_iᵀ m* − y_i</c>, <c>N = (1/n) Σ r_i² a_i a_iᵀ</c> (<c>ḡ(m*) = 0</c>); the discrete law exists iff
    /// <c>ρ(I − ηH) &lt; 1</c> and <c>ρ(T) &lt; 1</c>, and then <c>C*</c> solves <c>(I − T) vec C = (η²/B) vec N</c>
    /// (I − T is symmetric positive definite: Cholesky). T maps symmetric matrices into themselves, so the solve and the
    /// eigenvalues for ρ(T) use its restriction to that d(d+1)/2-dimensional subspace (in an orthonormal basis, still
    /// symmetric); ρ of the restriction is ρ(T) by the Perron–Frobenius theorem for positive maps (class remarks).
    /// The Langevin covariance solves <c>(H⊕H − (η/B)(M4 − H⊗H)) vec C = (η/B) vec N</c> (Cholesky; d²-dimensional).
    /// </summary>
    /// <exception cref="ArgumentException">d exceeds <see cref="MaxOperatorDimension"/>.</exception>
    public LeastSquaresStationaryLaw Stationary()
    {
        CheckOperatorDimension();
        double radius = secondMomentSpectralRadius.Value;
        double meanRadius = MeanMapSpectralRadius;
        var eigen = hessianEigen.Value;
        var lambdas = eigen.EigenValues.Enumerate().Select(e => e.Real).ToArray();
        double largest = lambdas.Max();
        double smallest = lambdas.Min();
        if (largest <= 0.0 || smallest <= SingularTolerance * largest)
        {
            string reason = Format(
                "H is singular (smallest eigenvalue {0}, largest {1}): the features do not span R^{2}, H m = c has no unique solution, and the mean never forgets its start along the null space of H",
                smallest, largest, Dimension);
            return new LeastSquaresStationaryLaw(LeastSquaresStationaryStatus.SingularHessian, reason, null, null, null, null, radius, meanRadius);
        }

        var u = eigen.EigenVectors;
        var lambda = Vector<double>.Build.DenseOfArray(lambdas);
        // m* = U Λ⁻¹ Uᵀ c
        var mean = u * u.TransposeThisAndMultiply(meanTarget).PointwiseDivide(lambda);
        var residuals = features * mean - targets;
        var n = Symmetrize(WeightedGram(residuals.PointwiseMultiply(residuals)));

        // Langevin: (H⊕H − (η/B)(M4 − H⊗H)) vec C = (η/B) vec N, symmetric in vec space; a stationary law iff positive definite
        double scale = LearningRate / BatchSize;
        int d = Dimension;
        var identity = Matrix<double>.Build.DenseIdentity(d);
        var generator = Symmetrize(hessian.KroneckerProduct(identity) + identity.KroneckerProduct(hessian)
            - ((fourthMoment.Value - hessian.KroneckerProduct(hessian)) * scale));
        double abscissa = -generator.Evd(Symmetricity.Symmetric).EigenValues.Enumerate().Min(e => e.Real);
        Matrix<double>? langevin = null;
        if (abscissa < 0)
        {
            var vec = generator.Cholesky().Solve(Vector<double>.Build.Dense(d * d, p => scale * n[p % d, p / d]));
            langevin = Symmetrize(Matrix<double>.Build.Dense(d, d, (k, l) => vec[k + (d * l)]));
        }

        if (meanRadius >= 1.0)
        {
            string reason = Format("the mean map I − ηH does not contract: ρ(I − ηH) = {0} ≥ 1 (η λ_max = {1}), so the second moment diverges (ρ(T) = {2})", meanRadius, LearningRate * largest, radius);
            return new LeastSquaresStationaryLaw(LeastSquaresStationaryStatus.Unstable, reason, mean, residuals, null, langevin, radius, meanRadius, abscissa);
        }
        if (radius >= 1.0)
        {
            string reason = Format("the minibatch noise makes the second moment diverge although the mean map contracts: ρ(T) = {0} ≥ 1 (ρ(I − ηH) = {1})", radius, meanRadius);
            return new LeastSquaresStationaryLaw(LeastSquaresStationaryStatus.Unstable, reason, mean, residuals, null, langevin, radius, meanRadius, abscissa);
        }

        // (I − T) vec C = (η²/B) vec N on the symmetric subspace, in the orthonormal basis of SymmetricPairs
        var pairs = SymmetricPairs(Dimension);
        var system = Matrix<double>.Build.DenseIdentity(pairs.Length) - symmetricOperator.Value;
        double gain = LearningRate * LearningRate / BatchSize;
        var rhs = Vector<double>.Build.Dense(pairs.Length, p =>
        {
            var (k, l) = pairs[p];
            return gain * Weight(pairs[p]) * (k == l ? n[k, k] : n[k, l] + n[l, k]);
        });
        var solution = system.Cholesky().Solve(rhs);
        var covariance = Matrix<double>.Build.Dense(Dimension, Dimension);
        for (int p = 0; p < pairs.Length; p++)
        {
            var (k, l) = pairs[p];
            covariance[k, l] = covariance[l, k] = Weight(pairs[p]) * solution[p];
        }
        return new LeastSquaresStationaryLaw(LeastSquaresStationaryStatus.Stable, null, mean, residuals, covariance, langevin, radius, meanRadius, abscissa);
    }

    private (Vector<double> Mean, Matrix<double> Covariance) StepUnchecked(Vector<double> mean, Matrix<double> covariance)
    {
        double eta = LearningRate;
        var gradient = hessian * mean - meanTarget;
        var residuals = features * mean - targets;
        // a_iᵀ C a_i for every sample: row sums of (A C) ⊙ A
        var quadratic = (features * covariance).PointwiseMultiply(features).RowSums();
        var weights = residuals.PointwiseMultiply(residuals) + quadratic;
        var hch = hessian * covariance * hessian;
        var noise = WeightedGram(weights) - gradient.OuterProduct(gradient) - hch;
        var next = contraction * covariance * contraction + noise * (eta * eta / BatchSize);
        return (mean - eta * gradient, Symmetrize(next));
    }

    /// <summary><c>(1/n) Σ w_i a_i a_iᵀ = Aᵀ diag(w) A / n</c>.</summary>
    private Matrix<double> WeightedGram(Vector<double> weights)
    {
        var scaled = features.Clone();
        for (int i = 0; i < Samples; i++) scaled.SetRow(i, features.Row(i) * weights[i]);
        return features.TransposeThisAndMultiply(scaled) / Samples;
    }

    private Matrix<double> BuildFourthMoment()
    {
        int d = Dimension;
        // row i of V is (a_i ⊗ a_i)ᵀ in column-major vec order: entry k + d l is a_ik a_il
        var v = Matrix<double>.Build.Dense(Samples, d * d, (i, p) => features[i, p % d] * features[i, p / d]);
        return Symmetrize(v.TransposeThisAndMultiply(v) / Samples);
    }

    private Matrix<double> BuildSecondMomentOperator()
    {
        double gain = LearningRate * LearningRate / BatchSize;
        var t = contraction.KroneckerProduct(contraction) + (fourthMoment.Value - hessian.KroneckerProduct(hessian)) * gain;
        return Symmetrize(t);
    }

    /// <summary>
    /// T in the orthonormal basis <c>e_p = vec(E_kk)</c> (k = l), <c>(vec(E_kl) + vec(E_lk)) / √2</c> (k &lt; l) of the
    /// symmetric matrices, which T maps into themselves: <c>T_s = Pᵀ T P</c>, d(d+1)/2 square and symmetric.
    /// </summary>
    private Matrix<double> BuildSymmetricOperator()
    {
        var t = secondMomentOperator.Value;
        int d = Dimension;
        var pairs = SymmetricPairs(d);
        return Matrix<double>.Build.Dense(pairs.Length, pairs.Length, (p, q) =>
        {
            var (k, l) = pairs[p];
            var (i, j) = pairs[q];
            double sum = t[k + d * l, i + d * j];
            if (i != j) sum += t[k + d * l, j + d * i];
            if (k != l) sum += t[l + d * k, i + d * j];
            if (k != l && i != j) sum += t[l + d * k, j + d * i];
            return Weight(pairs[p]) * Weight(pairs[q]) * sum;
        });
    }

    /// <summary>The index pairs k ≤ l of the symmetric basis, in a fixed order.</summary>
    private static (int K, int L)[] SymmetricPairs(int d) =>
        Enumerable.Range(0, d).SelectMany(l => Enumerable.Range(0, l + 1).Select(k => (k, l))).ToArray();

    /// <summary>Weight of each of the (one or two) unit entries of a symmetric basis vector: 1 or 1/√2.</summary>
    private static double Weight((int K, int L) pair) => pair.K == pair.L ? 1.0 : Math.Sqrt(0.5);

    private static Matrix<double> Symmetrize(Matrix<double> m) => (m + m.Transpose()) / 2.0;

    private void CheckOperatorDimension()
    {
        if (Dimension > MaxOperatorDimension)
            throw new ArgumentException(Format(
                "the d² × d² second-moment operator is formed only for d ≤ {0} (features has d = {1} columns); Step and Moments work for any d",
                MaxOperatorDimension, Dimension), "features");
    }

    private void CheckVector(Vector<double> v, string name)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.Count != Dimension)
            throw new ArgumentException(Format("{0} has length {1}, the dimension is {2}", name, v.Count, Dimension), name);
    }

    private void CheckMatrix(Matrix<double> m, string name)
    {
        ArgumentNullException.ThrowIfNull(m, name);
        if (m.RowCount != Dimension || m.ColumnCount != Dimension)
            throw new ArgumentException(Format("{0} is {1} × {2}, expected {3} × {3}", name, m.RowCount, m.ColumnCount, Dimension), name);
    }

    private static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments);
}
