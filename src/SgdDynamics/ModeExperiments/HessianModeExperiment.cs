using System.Diagnostics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Networks;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.ModeExperiments;

/// <summary>
/// One mode at one learning rate and sampling: the measured regime and fitted value (stationary variance when confined,
/// diffusion coefficient D per unit time t = kη when diffusive) against the predictions of the mode's curvature λ and
/// gradient-noise variance s²: the discrete stationary variance ηs²/(λ(2 − ηλ)) (0 &lt; ηλ &lt; 2), Langevin's ηs²/(2λ)
/// (λ &gt; 0) and the flat-mode D = ηs²/2. A prediction that does not exist is NaN (reported as such, never as a number);
/// so is a z-score without a fitted value or a prediction.
/// </summary>
/// <param name="LearningRate">η.</param>
/// <param name="WithoutReplacement">The sampling.</param>
/// <param name="Predicted">The regime λ and η predict over this run's length (<see cref="HessianModeExperiment.PredictRegime"/>).</param>
/// <param name="Classification">The classifier's verdict on the measured variance series.</param>
/// <param name="Discrete">ηs²/(λ(2 − ηλ)), NaN unless 0 &lt; ηλ &lt; 2.</param>
/// <param name="Langevin">ηs²/(2λ), NaN unless λ &gt; 0.</param>
/// <param name="Diffusion">ηs²/2.</param>
public sealed record ModeFit(double LearningRate, bool WithoutReplacement, Regime Predicted, RegimeClassification Classification, double Discrete, double Langevin, double Diffusion)
{
    /// <summary>The measured regime.</summary>
    public Regime Regime => Classification.Regime;

    /// <summary>The fitted value (stationary variance or D), NaN for other regimes.</summary>
    public double Value => Classification.Value;

    /// <summary>Its conservative standard error.</summary>
    public double StandardError => Classification.StandardError;

    /// <summary>(value − discrete)/SE for a confined mode, else NaN.</summary>
    public double ZDiscrete => Regime == Regime.Confined ? Z(Discrete) : double.NaN;

    /// <summary>(value − Langevin)/SE for a confined mode, else NaN.</summary>
    public double ZLangevin => Regime == Regime.Confined ? Z(Langevin) : double.NaN;

    /// <summary>(D − ηs²/2)/SE for a diffusive mode, else NaN.</summary>
    public double ZDiffusion => Regime == Regime.Diffusive ? Z(Diffusion) : double.NaN;

    private double Z(double prediction) =>
        double.IsFinite(prediction) && double.IsFinite(Value) && StandardError > 0 ? (Value - prediction) / StandardError : double.NaN;
}

/// <summary>One Hessian eigenmode: its eigenvalue, its noise variance s² (minibatches drawn with replacement) and its fits.</summary>
/// <param name="Index">Position in ascending eigenvalue order.</param>
/// <param name="Eigenvalue">λ.</param>
/// <param name="NoiseVariance">s² = vᵀΣv for minibatches of B drawn with replacement (without: times (n − B)/(n − 1)).</param>
/// <param name="Fits">One per (sampling, η), samplings in the spec's order, η ascending.</param>
public sealed record ModeResult(int Index, double Eigenvalue, double NoiseVariance, IReadOnlyList<ModeFit> Fits);

/// <summary>
/// One ensemble of the experiment: its variance series per mode, and the decoupling of the modes at its last record —
/// the off-diagonal mass ‖C − diag C‖_F/‖diag C‖_F of the mode covariance C, beside the value that sampling noise alone
/// gives for independent modes, √(Σ_{a≠b} C_aa C_bb / N)/‖diag C‖_F, both from the final states (NaN with fewer than two finite networks).
/// </summary>
/// <param name="LearningRate">η.</param>
/// <param name="WithoutReplacement">The sampling.</param>
/// <param name="Steps">Record steps.</param>
/// <param name="Variances">Per record, the variance of each mode's displacement.</param>
/// <param name="StandardErrors">Per record, their standard errors.</param>
/// <param name="Diverged">Diverged networks at the last record.</param>
/// <param name="OffDiagonalMass">‖C − diag C‖_F/‖diag C‖_F at the last record.</param>
/// <param name="NoiseFloor">The same ratio expected from sampling noise alone for independent modes.</param>
/// <param name="PredictedOffDiagonalMass">
/// The same ratio for the linearised prediction C_ab = η² f Σ_ab (1 − (q_a q_b)^k)/(1 − q_a q_b), q = 1 − ηλ, Σ_ab = v_aᵀΣv_b:
/// in the eigenbasis the linear dynamics decouple and the modes correlate only through the noise's cross-covariance.
/// </param>
/// <param name="PredictionDifference">‖C − C_pred‖_F/‖C_pred‖_F.</param>
/// <param name="Seconds">Wall time of the ensemble.</param>
/// <param name="TrajectorySteps">Network-steps run.</param>
public sealed record ModeEnsemble(
    double LearningRate,
    bool WithoutReplacement,
    int[] Steps,
    double[][] Variances,
    double[][] StandardErrors,
    long Diverged,
    double OffDiagonalMass,
    double NoiseFloor,
    double PredictedOffDiagonalMass,
    double PredictionDifference,
    double Seconds,
    long TrajectorySteps);

/// <summary>
/// The exponent b of D ∝ η^b over the modes diffusive at every learning rate of one sampling: weighted least squares of
/// ln D on ln η with one intercept per mode and a common slope, weights (D/SE)², the standard error inflated by
/// √(χ²/ν) when χ²/ν &gt; 1, and the 95% interval from Student's t with ν = points − modes − 1.
/// </summary>
/// <param name="WithoutReplacement">The sampling.</param>
/// <param name="Exponent">b (NaN without at least one mode and two learning rates).</param>
/// <param name="StandardError">Its standard error.</param>
/// <param name="Lower">Lower end of the 95% interval.</param>
/// <param name="Upper">Upper end of the 95% interval.</param>
/// <param name="Modes">Modes used.</param>
/// <param name="Points">(mode, η) points used.</param>
/// <param name="ReducedChiSquared">χ²/ν.</param>
public sealed record DiffusionExponent(bool WithoutReplacement, double Exponent, double StandardError, double Lower, double Upper, int Modes, int Points, double ReducedChiSquared);

/// <summary>
/// Sampling without against with replacement at one η: the inverse-variance weighted mean of the ratios of fitted values
/// (modes with the same measured regime, confined or diffusive, under both) beside the one-step covariance factor
/// (n − B)/(n − 1). That factor is the ratio of one step's noise covariances; it predicts the ratio of stationary variances
/// whose relaxation is short against an epoch (n/B steps). Over whole epochs the minibatch gradients of an epoch sum to the
/// full gradient at a fixed point, so the noise of an epoch is anti-correlated and the long-time diffusion without
/// replacement is far smaller than the one-step factor says: for diffusive modes the ratio is a measurement, not a test.
/// </summary>
/// <param name="LearningRate">η.</param>
/// <param name="Regime">Confined (stationary variances) or diffusive (D).</param>
/// <param name="Modes">Modes compared.</param>
/// <param name="Ratio">Weighted mean ratio (NaN without modes).</param>
/// <param name="StandardError">Its standard error.</param>
/// <param name="OneStepFactor">(n − B)/(n − 1).</param>
public sealed record ReplacementComparison(double LearningRate, Regime Regime, int Modes, double Ratio, double StandardError, double OneStepFactor)
{
    /// <summary>(ratio − one-step factor)/SE, NaN without a ratio.</summary>
    public double Z => StandardError > 0 ? (Ratio - OneStepFactor) / StandardError : double.NaN;
}

/// <summary>Everything the experiment measured; <see cref="HessianModeReport"/> writes it.</summary>
/// <param name="Scenario">The scenario (its initial point is the reference point).</param>
/// <param name="Spec">The experiment's settings.</param>
/// <param name="Description">The network and data in words.</param>
/// <param name="Reference">θ*, the reference parameters.</param>
/// <param name="FullBatchLoss">L(θ*).</param>
/// <param name="GradientNorm">‖∇L(θ*)‖₂.</param>
/// <param name="Hessian">The exact Hessian (symmetrised) and its asymmetry.</param>
/// <param name="MethodDifference">‖H_exact − H_central‖_F/‖H_exact‖_F (central differences of the analytic gradient).</param>
/// <param name="Eigenvalues">λ ascending.</param>
/// <param name="Eigenvectors">Columns v_m (P × P), in the order of <paramref name="Eigenvalues"/>.</param>
/// <param name="Modes">Per mode.</param>
/// <param name="Ensembles">Per (sampling, η).</param>
/// <param name="Exponents">Per sampling.</param>
/// <param name="Replacement">Per η and regime (only when both samplings ran).</param>
/// <param name="Backend">The device that ran the ensembles.</param>
/// <param name="Seconds">Wall time of the whole experiment.</param>
/// <param name="HessianSeconds">Wall time of the two Hessians and the eigendecomposition.</param>
public sealed record HessianModeResult(
    Scenario Scenario,
    HessianModesSpec Spec,
    string Description,
    double[] Reference,
    double FullBatchLoss,
    double GradientNorm,
    MlpHessian Hessian,
    double MethodDifference,
    double[] Eigenvalues,
    Matrix<double> Eigenvectors,
    IReadOnlyList<ModeResult> Modes,
    IReadOnlyList<ModeEnsemble> Ensembles,
    IReadOnlyList<DiffusionExponent> Exponents,
    IReadOnlyList<ReplacementComparison> Replacement,
    string Backend,
    double Seconds,
    double HessianSeconds)
{
    /// <summary>Number of (mode, η) fits of one sampling with the given measured regime.</summary>
    public int Count(bool withoutReplacement, Regime regime) =>
        Modes.Sum(m => m.Fits.Count(f => f.WithoutReplacement == withoutReplacement && f.Regime == regime));
}

/// <summary>
/// The Hessian-mode experiment on a network landscape (<see cref="INetworkLandscape"/>): at the reference point θ* (the
/// scenario's initial point) (b) the full-batch Hessian in double precision from exact Hessian-vector products, checked
/// against central differences of the analytic gradient, and its eigendecomposition (MathNet); (c) the minibatch
/// gradient-noise variance s_m² along each eigenvector; (d) one ensemble of networks from θ* per learning rate and sampling,
/// recording the displacement's moments along every eigenvector; (e) per mode the regime
/// (<see cref="RegimeClassifier"/>) and the fitted stationary variance or diffusion coefficient against the discrete and
/// Langevin predictions, the exponent of D(η), the decoupling of the modes and sampling without against with replacement.
/// </summary>
public static class HessianModeExperiment
{
    /// <summary>
    /// Relaxation times (1/(ηλ) steps) that the first half of a run must span for a mode to count as confined in the
    /// prediction; fewer and it is flat on the run's time scale.
    /// </summary>
    public const double RelaxationsBeforeWindow = 3.0;

    /// <summary>
    /// The regime that λ and η predict over <paramref name="steps"/> steps (the classifier fits the last half): unstable
    /// when ηλ ≥ 2 or λ &lt; 0 grows by more than e^<see cref="RelaxationsBeforeWindow"/> in variance over the run; confined
    /// when 0 &lt; ηλ &lt; 2 and the first half spans <see cref="RelaxationsBeforeWindow"/> relaxation times
    /// (−ln|1 − ηλ|·steps/2 ≥ 3/2, the variance's relaxation being twice as fast); otherwise diffusive (flat on this time scale).
    /// </summary>
    public static Regime PredictRegime(double eigenvalue, double learningRate, int steps)
    {
        double q = 1.0 - (learningRate * eigenvalue);
        if (Math.Abs(q) >= 1.0)
        {
            return eigenvalue > 0 || 2.0 * Math.Log(Math.Abs(q)) * steps > RelaxationsBeforeWindow ? Regime.Unstable : Regime.Diffusive;
        }

        return -Math.Log(Math.Abs(q)) * steps >= RelaxationsBeforeWindow ? Regime.Confined : Regime.Diffusive;
    }

    /// <summary>
    /// Null when the experiment runs <paramref name="scenario"/>; otherwise why not, with the JSON path at fault: it takes a
    /// network landscape, plain SGD, a point initial law (the reference point) and an ensemble.
    /// </summary>
    public static (string JsonPath, string Message)? Refusal(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        Problem problem = scenario.Problem;
        if (problem.Landscape is not INetworkLandscape)
        {
            return ("$.landscape.type", $"the Hessian-mode experiment takes a network landscape (mlp, charModel), not '{problem.Landscape.TypeName}'");
        }

        if (scenario.Algorithm is not EnsembleAlgorithm)
        {
            return ("$.solver.type", "the Hessian-mode experiment runs ensembles: remove the grid solver");
        }

        if (!problem.Initial.IsPoint)
        {
            return ("$.initial", "the Hessian-mode experiment starts every network at one reference point: give initial.network or initial.point");
        }

        return problem.Dynamics is SgdSpec ? null : ("$.optimizer.type", $"the Hessian-mode experiment runs plain SGD, not '{problem.Dynamics.TypeName}'");
    }

    /// <summary>The displacements y_m = v_mᵀ(x − θ*) along the columns v_m of <paramref name="eigenvectors"/>, as the ensemble's projections.</summary>
    public static ProjectionSpec ModeProjection(double[] centre, Matrix<double> eigenvectors)
    {
        ArgumentNullException.ThrowIfNull(eigenvectors);
        return new ProjectionSpec(centre, eigenvectors.Transpose().ToArray());
    }

    /// <summary>Runs the experiment on <paramref name="backend"/>; <paramref name="log"/> receives one line per stage.</summary>
    /// <exception cref="ArgumentException">The scenario is refused (<see cref="Refusal"/>).</exception>
    public static HessianModeResult Run(Scenario scenario, HessianModesSpec spec, IEnsembleBackend backend, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        if (Refusal(scenario) is { } refusal)
        {
            throw new ArgumentException(refusal.Message, nameof(scenario));
        }

        Problem problem = scenario.Problem;
        var network = (INetworkLandscape)problem.Landscape;
        var clock = Stopwatch.StartNew();
        NetworkReference reference = network.Reference();
        double[] theta = problem.Initial.Mean.ToArray();
        var gradient = new double[theta.Length];
        double loss = reference.FullBatchGradient(theta, gradient);
        double gradientNorm = Math.Sqrt(gradient.Sum(g => g * g));
        log?.Invoke($"reference point: full-batch loss {loss:G6}, gradient norm {gradientNorm:G4}; {network.Describe()}");

        MlpHessian exact = reference.Hessian(theta, MlpHessianMethod.Exact);
        MlpHessian central = reference.Hessian(theta, MlpHessianMethod.CentralDifference);
        double difference = (exact.Matrix - central.Matrix).FrobeniusNorm() / exact.Matrix.FrobeniusNorm();
        (double[] descending, Matrix<double> descendingVectors) = exact.Eigen();
        double[] eigenvalues = [.. descending.Reverse()];
        Matrix<double> eigenvectors = Matrix<double>.Build.Dense(descendingVectors.RowCount, descendingVectors.ColumnCount, (i, m) => descendingVectors[i, descendingVectors.ColumnCount - 1 - m]);
        double hessianSeconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"Hessian ({theta.Length}²): exact vs central differences {difference:E2} (relative Frobenius), asymmetry {exact.RelativeAsymmetry:E2}; λ from {eigenvalues[0]:G4} to {eigenvalues[^1]:G4}, {eigenvalues.Count(l => l < 0)} negative ({hessianSeconds:F1} s)");

        Matrix<double> noiseCovariance = reference.GradientNoiseCovariance(theta, eigenvectors, network.BatchSize);
        double[] noise = [.. noiseCovariance.Diagonal()];
        int p = theta.Length;
        ProjectionSpec projection = ModeProjection(theta, eigenvectors);
        var ensembles = new List<ModeEnsemble>();
        var fits = Enumerable.Range(0, p).Select(_ => new List<ModeFit>()).ToArray();
        foreach (bool without in spec.Samplings)
        {
            LandscapeSpec landscape = network.WithSampling(without);
            double factor = ((INetworkLandscape)landscape).NoiseFactor;
            foreach (double eta in spec.LearningRates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var run = new Problem(landscape, new SgdSpec(eta), problem.Initial);
                var (steps, every) = spec.Schedule(eta);
                var algorithm = new EnsembleAlgorithm(spec.Trajectories, steps, spec.Seed, new RecordSpec(every)) { Projection = projection };
                var watch = Stopwatch.StartNew();
                EnsembleResult result = EnsembleSolver.Solve(run, algorithm, backend, cancellationToken: cancellationToken, keepFinalStates: true);
                double seconds = watch.Elapsed.TotalSeconds;
                ModeEnsemble ensemble = Summarise(result, eta, without, seconds, theta, eigenvectors, LinearModeCovariance(noiseCovariance * factor, eigenvalues, eta, steps));
                ensembles.Add(ensemble);
                double[] times = [.. result.Records.Select(r => r.Time)];
                long[] diverged = [.. result.Records.Select(r => r.Moments.Diverged)];
                for (int m = 0; m < p; m++)
                {
                    double s2 = noise[m] * factor, lambda = eigenvalues[m];
                    var series = new VarianceSeries(times, [.. ensemble.Variances.Select(v => v[m])], [.. ensemble.StandardErrors.Select(v => v[m])], diverged);
                    RegimeClassification classification = RegimeClassifier.Classify(series);
                    double x = eta * lambda;
                    fits[m].Add(new ModeFit(
                        eta,
                        without,
                        PredictRegime(lambda, eta, steps),
                        classification,
                        x > 0 && x < 2 ? eta * s2 / (lambda * (2 - x)) : double.NaN,
                        lambda > 0 ? eta * s2 / (2 * lambda) : double.NaN,
                        eta * s2 / 2));
                }

                log?.Invoke($"{(without ? "without" : "with")} replacement, η = {eta:G4}: {spec.Trajectories:N0} networks × {steps:N0} steps in {seconds:F1} s " +
                    $"({ensemble.TrajectorySteps / seconds / 1e6:F3} M network-steps/s), diverged {ensemble.Diverged}");
            }
        }

        var modes = Enumerable.Range(0, p).Select(m => new ModeResult(m, eigenvalues[m], noise[m], fits[m])).ToArray();
        // the flat-mode law is one of the linearly stable dynamics: fit D(η) over the learning rates at which every mode is (ηλ_max < 2)
        double maxEigenvalue = eigenvalues[^1];
        var exponents = spec.Samplings.Select(w => Exponent(modes, w, eta => eta * maxEigenvalue < 2)).ToArray();
        var replacement = spec.Samplings.Count == 2
            ? spec.LearningRates.SelectMany(eta => new[] { Regime.Confined, Regime.Diffusive }.Select(r => Compare(modes, eta, r, network))).ToArray()
            : [];
        return new HessianModeResult(
            scenario, spec, network.Describe(), theta, loss, gradientNorm, exact, difference, eigenvalues, eigenvectors, modes, ensembles, exponents, replacement,
            $"{backend.Name} on {backend.Device}", clock.Elapsed.TotalSeconds, hessianSeconds);
    }

    /// <summary>
    /// The ensemble's variance series per mode and, from the final states (float32, kept by the solver), the mode
    /// covariance C = cov(Vᵀ(x − θ*)) over the networks that did not diverge, in double (MathNet), with its off-diagonal mass
    /// and the noise floor of independent modes.
    /// </summary>
    /// <summary>
    /// The mode covariance after <paramref name="steps"/> steps of the linearised dynamics y ← (1 − ηΛ)y − η ξ from y = 0,
    /// Cov ξ = <paramref name="noise"/>: C_ab = η² Σ_ab Σ_{j&lt;k} (q_a q_b)^j, q = 1 − ηλ.
    /// </summary>
    public static Matrix<double> LinearModeCovariance(Matrix<double> noise, IReadOnlyList<double> eigenvalues, double eta, int steps)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(eigenvalues);
        return Matrix<double>.Build.Dense(noise.RowCount, noise.ColumnCount, (a, b) =>
        {
            double r = (1 - (eta * eigenvalues[a])) * (1 - (eta * eigenvalues[b]));
            double sum = Math.Abs(1 - r) < 1e-12 ? steps : (1 - Math.Pow(r, steps)) / (1 - r);
            return eta * eta * noise[a, b] * sum;
        });
    }

    /// <summary>‖C − diag C‖_F/‖diag C‖_F.</summary>
    private static double OffDiagonal(Matrix<double> c)
    {
        double diagonal = c.Diagonal().Sum(v => v * v);
        return Math.Sqrt((Math.Pow(c.FrobeniusNorm(), 2) - diagonal) / diagonal);
    }

    private static ModeEnsemble Summarise(EnsembleResult result, double eta, bool without, double seconds, double[] centre, Matrix<double> eigenvectors, Matrix<double> predicted)
    {
        var projected = result.Records.Select(r => r.Projected ?? throw new InvalidOperationException("the ensemble recorded no projections")).ToArray();
        int p = centre.Length;
        float[] states = result.FinalStates ?? throw new InvalidOperationException("the final states were not kept");
        long networks = result.Range.Count;
        var kept = new List<int>();
        for (int t = 0; t < networks; t++)
        {
            bool finite = true;
            for (int i = 0; i < p && finite; i++)
            {
                finite = float.IsFinite(states[((long)t * p) + i]);
            }

            if (finite)
            {
                kept.Add(t);
            }
        }

        double mass = double.NaN, floor = double.NaN, difference = double.NaN;
        if (kept.Count > 1)
        {
            var displacement = Matrix<double>.Build.Dense(kept.Count, p, (r, i) => states[((long)kept[r] * p) + i] - centre[i]);
            Matrix<double> y = displacement * eigenvectors;
            Vector<double> mean = y.ColumnSums() / kept.Count;
            Matrix<double> centred = y - Matrix<double>.Build.Dense(kept.Count, p, (_, m) => mean[m]);
            Matrix<double> c = centred.TransposeThisAndMultiply(centred) / (kept.Count - 1);
            double diagonal = c.Diagonal().Sum(v => v * v), trace = c.Trace();
            mass = OffDiagonal(c);
            floor = Math.Sqrt(((trace * trace) - diagonal) / kept.Count / diagonal);
            difference = (c - predicted).FrobeniusNorm() / predicted.FrobeniusNorm();
        }

        return new ModeEnsemble(
            eta,
            without,
            [.. result.Records.Select(r => r.Step)],
            [.. projected.Select(m => m.Variance)],
            [.. projected.Select(m => m.VarianceStandardError)],
            result.Final.Moments.Diverged,
            mass,
            floor,
            OffDiagonal(predicted),
            difference,
            seconds,
            result.Algorithm.Trajectories * (long)result.Algorithm.Steps);
    }

    /// <summary>
    /// The common exponent of D ∝ η^b over the modes diffusive at every learning rate that <paramref name="include"/> admits
    /// (all when null; the experiment admits those with ηλ_max &lt; 2, where every mode is linearly stable); see
    /// <see cref="DiffusionExponent"/>.
    /// </summary>
    public static DiffusionExponent Exponent(IReadOnlyList<ModeResult> modes, bool withoutReplacement, Func<double, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(modes);
        var groups = new List<(double X, double Y, double W)[]>();
        foreach (ModeResult mode in modes)
        {
            var own = mode.Fits.Where(f => f.WithoutReplacement == withoutReplacement && (include is null || include(f.LearningRate))).ToArray();
            if (own.Length >= 2 && own.All(f => f.Regime == Regime.Diffusive && f.Value > 0 && f.StandardError > 0))
            {
                groups.Add([.. own.Select(f => (Math.Log(f.LearningRate), Math.Log(f.Value), Math.Pow(f.Value / f.StandardError, 2)))]);
            }
        }

        int points = groups.Sum(g => g.Length);
        int dof = points - groups.Count - 1;
        if (groups.Count == 0 || dof < 1)
        {
            return new DiffusionExponent(withoutReplacement, double.NaN, double.NaN, double.NaN, double.NaN, groups.Count, points, double.NaN);
        }

        double sxx = 0, sxy = 0;
        var centred = new List<(double X, double Y, double W)>();
        foreach (var g in groups)
        {
            double w = g.Sum(q => q.W), mx = g.Sum(q => q.W * q.X) / w, my = g.Sum(q => q.W * q.Y) / w;
            foreach (var q in g)
            {
                centred.Add((q.X - mx, q.Y - my, q.W));
                sxx += q.W * (q.X - mx) * (q.X - mx);
                sxy += q.W * (q.X - mx) * (q.Y - my);
            }
        }

        double slope = sxy / sxx;
        double chi2 = centred.Sum(q => q.W * Math.Pow(q.Y - (slope * q.X), 2));
        double reduced = chi2 / dof;
        double se = Math.Sqrt(1.0 / sxx) * Math.Max(1.0, Math.Sqrt(reduced));
        double t = StudentT.InvCDF(0, 1, dof, 0.975);
        return new DiffusionExponent(withoutReplacement, slope, se, slope - (t * se), slope + (t * se), groups.Count, points, reduced);
    }

    private static ReplacementComparison Compare(IReadOnlyList<ModeResult> modes, double eta, Regime regime, INetworkLandscape network)
    {
        double sw = 0, swr = 0;
        int count = 0;
        foreach (ModeResult mode in modes)
        {
            ModeFit? with = mode.Fits.FirstOrDefault(f => !f.WithoutReplacement && f.LearningRate == eta);
            ModeFit? without = mode.Fits.FirstOrDefault(f => f.WithoutReplacement && f.LearningRate == eta);
            if (with is null || without is null || with.Regime != regime || without.Regime != regime || !(with.Value > 0) || !(without.Value > 0))
            {
                continue;
            }

            double ratio = without.Value / with.Value;
            double se = ratio * Math.Sqrt(Math.Pow(without.StandardError / without.Value, 2) + Math.Pow(with.StandardError / with.Value, 2));
            if (!(se > 0))
            {
                continue;
            }

            sw += 1 / (se * se);
            swr += ratio / (se * se);
            count++;
        }

        double predicted = NetworkSampling.NoiseFactor(true, network.SampleCount, network.BatchSize);
        return count == 0
            ? new ReplacementComparison(eta, regime, 0, double.NaN, double.NaN, predicted)
            : new ReplacementComparison(eta, regime, count, swr / sw, Math.Sqrt(1 / sw), predicted);
    }
}
