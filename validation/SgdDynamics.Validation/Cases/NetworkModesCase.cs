using System.Diagnostics;
using System.Globalization;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.ModeExperiments;
using SgdDynamics.Networks;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (q) The published 386-parameter MLP on MNIST (<c>examples/mnist-mlp386.json</c>: 6×6-pooled images, Linear(36, 8), SiLU,
/// Linear(8, 10), cross-entropy, reference point after 100 SGD steps with η = 0.1 and B = 64). Quick mode: the first 500
/// test images (the repository's subset), 1024 networks, η ∈ {0.05, 0.1, 0.2} to t = 20 with replacement; full mode: the
/// 10,000-image test set when present, 10,000 networks, the published η from 0.0125 to 0.2 to t = 40 with replacement
/// (the example's own section adds η = 0.8, 1.6 and sampling without replacement; `sgdyn experiment` runs it).
/// <para>
/// Exact checks: the Hessian from exact Hessian-vector products against central differences of the analytic gradient
/// (relative Frobenius difference at most 1e-6: the truncation error is h²/6 times third derivatives, h = 1e-5, and the
/// rounding error ε/h); its asymmetry before symmetrisation (at most 1e-12); and one SGD step from θ*, whose displacement
/// along every eigenvector v_m has variance exactly η² s_m² f (s_m² = v_mᵀΣv_m the minibatch noise of the host reference in
/// double precision, f = 1 with replacement and (n − B)/(n − 1) without), checked on every one of the 386 modes for both
/// samplings with a Bonferroni bound on max |z| (family-wise false alarm 10⁻³; SE √((m₄ − m₂²)/N) per mode). This ties the
/// lane kernels' minibatch gradients and index sampling to the reference's noise covariance mode by mode.
/// </para>
/// <para>
/// Then the Hessian-mode experiment itself (<see cref="HessianModeExperiment"/>), written to <c>mlp-hessian-modes/</c> beside
/// the catalog report. Its regime counts, fits and the exponent of D(η) are measurements of this reference point (which
/// sits on the early plateau of the loss, with negative curvature) and are reported, not checked: the flat-mode
/// prediction D = ηs²/2 assumes a stationary point, which θ* is not.
/// </para>
/// </summary>
public sealed class NetworkModesCase : IValidationCase
{
    private const double FamilyAlpha = 1e-3;
    private const double OneStepRate = 0.1;

    /// <inheritdoc/>
    public string Name => "mlp-hessian-modes";

    /// <summary>The example scenario, with the quick mode's data and settings when <paramref name="quick"/>.</summary>
    public static Scenario Load(bool quick)
    {
        string path = Path.Combine(MnistData.RepositoryRoot(), "examples", "mnist-mlp386.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        if (quick)
        {
            root["landscape"]!["data"]!["mnist"]!["count"] = 500;
        }

        root["hessianModes"] = System.Text.Json.Nodes.JsonNode.Parse(quick
            ? """{"learningRates": [0.05, 0.1, 0.2], "trajectories": 1024, "time": 20, "records": 40, "sampling": ["withReplacement"], "seed": 5}"""
            : """{"learningRates": [0.0125, 0.025, 0.05, 0.1, 0.2], "trajectories": 10000, "time": 40, "records": 25, "sampling": ["withReplacement"], "seed": 5}""");
        return ScenarioLoader.Parse(root.ToJsonString(), Path.GetDirectoryName(path));
    }

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        bool quick = context.Mode == ValidationMode.Quick;
        Scenario scenario = Load(quick);
        var network = (INetworkLandscape)scenario.Problem.Landscape;
        HessianModesSpec spec = scenario.HessianModes ?? HessianModesSpec.Default((EnsembleAlgorithm)scenario.Algorithm);
        HessianModeResult experiment = HessianModeExperiment.Run(scenario, spec, context.Backend);
        double[] theta = experiment.Reference;
        double[] values = experiment.Eigenvalues;
        Matrix<double> vectors = experiment.Eigenvectors;
        double[] noise = [.. experiment.Modes.Select(m => m.NoiseVariance)];
        double difference = experiment.MethodDifference;
        MlpHessian exact = experiment.Hessian;
        int p = theta.Length;
        ProjectionSpec projection = HessianModeExperiment.ModeProjection(theta, vectors);

        var checks = new List<Check>
        {
            new(
                "Hessian: exact Hessian-vector products vs central differences of the gradient (relative Frobenius difference)",
                1e-6, difference, 0, Expectation.AtMost, 0,
                "bound: truncation h²/6·∂³∇L with h = 1e-5 and rounding ε·|∇ℓ|/h are both below 1e-8 relative here; 1e-6 leaves a margin of 100"),
            new(
                "Hessian: relative asymmetry ‖H − Hᵀ‖_F/‖H‖_F before symmetrisation",
                1e-12, exact.RelativeAsymmetry, 0, Expectation.AtMost, 0,
                "bound: the exact products are symmetric up to the rounding of sums over n samples in double (≈ 1e-16 × √n)"),
        };

        // The float32 state rounds each coordinate of the stepped network to within half its spacing u_i (the start's
        // rounding is common to every network and drops out of the variance), so the displacement along v_m carries a
        // rounding term e with |e| ≤ ρ_m = Σ_i |v_mi| u_i/2: |Var(y + e) − Var(y)| ≤ 2√Var(y)·ρ_m + ρ_m². Modes whose noise
        // is at or below the rounding level (exactly flat directions, e.g. weights of inputs that are 0 in every image)
        // are held to that bound; the Monte-Carlo error comes on top.
        var rounding = new double[p];
        for (int m = 0; m < p; m++)
        {
            for (int i = 0; i < p; i++)
            {
                float magnitude = (float)((Math.Abs(theta[i]) * 1.01) + 1e-30);
                rounding[m] += Math.Abs(vectors[i, m]) * (MathF.BitIncrement(magnitude) - magnitude) / 2;
            }
        }

        long n = context.Trajectories(1 << 13, 1 << 16);
        double bound = Normal.InvCDF(0, 1, 1 - (FamilyAlpha / (2.0 * 2 * p)));
        var oneStep = new List<string>();
        foreach (bool without in new[] { false, true })
        {
            LandscapeSpec landscape = network.WithSampling(without);
            double f = ((INetworkLandscape)landscape).NoiseFactor;
            var problem = new Problem(landscape, new SgdSpec(OneStepRate), scenario.Problem.Initial);
            var algorithm = new EnsembleAlgorithm(n, 1, 77, new RecordSpec(1)) { Projection = projection };
            EnsembleResult result = EnsembleSolver.Solve(problem, algorithm, context.Backend);
            var projected = result.Final.Projected!;
            double maxZ = 0;
            int worst = 0;
            for (int m = 0; m < p; m++)
            {
                double expected = OneStepRate * OneStepRate * noise[m] * f;
                double rho = rounding[m];
                double excess = Math.Abs(projected.Variance[m] - expected) - ((2 * Math.Sqrt(expected) * rho) + (rho * rho));
                double z = excess <= 0 ? 0 : excess / projected.VarianceStandardError[m];
                if (z > maxZ)
                {
                    maxZ = z;
                    worst = m;
                }
            }

            string sampling = without ? "without replacement" : "with replacement";
            checks.Add(new Check(
                $"one SGD step (η = {OneStepRate}, {sampling}): max |z| of the displacement variance along the {p} Hessian eigenvectors vs η²s²{(without ? "(n − B)/(n − 1)" : "")} (worst: mode {worst}, λ = {values[worst]:G3})",
                bound, maxZ, 0, Expectation.AtMost, 0,
                $"Bonferroni bound Φ⁻¹(1 − α/(2m)) = {bound:F2} for a family-wise false-alarm rate α = {FamilyAlpha:G} over m = {2 * p} z-scores; SE √((m₄ − m₂²)/N) per mode, N = {n:N0}; each score counts only the part of |measured − η²s²f| beyond the float32 rounding bound 2√(η²s²f)·ρ_m + ρ_m² (see the case)"));
            oneStep.Add(string.Create(CultureInfo.InvariantCulture, $"{sampling}: max |z| {maxZ:F2}"));
        }

        string folder = Path.Combine(context.OutputDirectory, Name);
        Directory.CreateDirectory(folder);
        HessianModeReport.Write(experiment, folder);
        DiffusionExponent exponent = experiment.Exponents[0];
        string shows = string.Create(
            CultureInfo.InvariantCulture,
            $"{experiment.Description}: the lane kernels' one-step noise equals the reference's η²s² on every Hessian mode ({string.Join("; ", oneStep)}); the experiment ({spec.Trajectories:N0} networks per η, {experiment.Seconds:F0} s, report in {Name}/report.md) finds {experiment.Count(spec.Samplings[0], Observers.Regime.Confined)} confined, {experiment.Count(spec.Samplings[0], Observers.Regime.Diffusive)} diffusive and {experiment.Count(spec.Samplings[0], Observers.Regime.Unstable)} unstable (mode, η) fits and D ∝ η^{exponent.Exponent:F2}±{exponent.StandardError:F2} over {exponent.Modes} modes diffusive at every η.");
        string[] plots = ["spectrum.png", "variance_vs_time.png", "diffusion_vs_eta.png", "stationary_vs_prediction.png"];
        return new CaseReport(Name, shows, checks, [.. plots.Select(name => Path.Combine(Name, name))], clock.Elapsed.TotalSeconds);
    }
}
