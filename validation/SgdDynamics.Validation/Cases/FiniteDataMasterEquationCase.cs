using SgdDynamics.Output;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MathNet.Numerics.Distributions;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (n) The law of SGD on a handful of samples: 1-D least squares on the five samples of
/// examples/least-squares-master-equation.json (a = 0.95, 1, 1.05, 1, 0.95; y = −3, −2.7, 0, 2.7, 3), minibatches of
/// B = 1 and B = 2 drawn with replacement, η = 0.9, 40 steps from x₀ = 0. Each step applies one of the minibatch maps
/// x ↦ (1 − η H_b) x + η c_b, contractions by 0.008 to 0.19, so the law is the self-similar measure of that mixture: a
/// union of clusters with gaps between them (B = 1: (−1.97, −0.025) and its mirror image, and finer gaps inside the
/// clusters; B = 2 adds clusters near ±1.25).
/// <para>
/// The ensemble's histogram on bins of 0.05 is tested against the finite-data master equation (the exact mixture of the
/// minibatch maps on [−4, 4] with 3200 and 6400 cells, 12800 and 25600 in full mode) with Pearson's χ² (bins with fewer than 5 expected counts pooled; dof = bins − 1;
/// bound: the χ² quantile at the false-alarm rate 5.7e-7 of |z| ≤ 5). The grid's projection error enters as the
/// non-centrality λ = N Σ_b (p_b(h) − p_b(h/2))²/p_b(h/2) it would add to the statistic, which must stay below 1 (the
/// statistic's own sd is √(2 dof)). The Gaussian-noise master equation (the one-step kernel N(x − ηḡ(x), η²Σ(x)) with the
/// same Σ(x)) and the Langevin Fokker–Planck law (dX = −ḡ dt + √(ηΣ(X)) dW, stationary) have the same mean and
/// (Gaussian master equation) the same covariance recursion, but fill the gaps: their χ² must exceed the bound, and the
/// ensemble's mass in the gaps (bins the master equation leaves empty) must reject their gap masses by more than 5 SE.
/// </para>
/// </summary>
public sealed class FiniteDataMasterEquationCase : IValidationCase
{
    private const double Eta = 0.9, Half = 4, Bin = 0.05, WideHalf = 12, WideSpacing = 0.0125;
    private const int Steps = 40, MinimumExpected = 5;
    private const double GapThreshold = 1e-9;
    private static readonly int[] BatchSizes = [1, 2];

    /// <summary>Two-sided false-alarm rate of |z| ≤ 5 for a normal estimate, the rate of the χ² bounds.</summary>
    public static readonly double FalseAlarm = 2 * (1 - Normal.CDF(0, 1, Check.DefaultZ));

    /// <inheritdoc/>
    public string Name => "finite-data-master-equation";

    /// <summary>The five samples of examples/least-squares-master-equation.json.</summary>
    public static LeastSquaresData Data() => LeastSquaresData.FromArrays(
        new double[,] { { 0.95 }, { 1 }, { 1.05 }, { 1 }, { 0.95 } }, [-3, -2.7, 0, 2.7, 3]);

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        long n = context.Trajectories(1 << 18, 1 << 23);

        // the master equation's grid: fine enough that its projection error stays below the sampling noise of n (grid λ < 1)
        int cells = context.Mode == ValidationMode.Quick ? 3200 : 12800;
        double h = 2 * Half / cells;
        var checks = new List<Check>();
        var plots = new List<string>();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"| B | dof | χ² bound | χ² ME (h = {h}) | χ² ME (h = {h / 2}) | grid λ | χ² Gaussian ME (z) | χ² Langevin FP (z) | gap bins | gap mass: ensemble | ME | Gaussian ME | Langevin FP |");
        table.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (int batch in BatchSizes)
        {
            Outcome o = RunBatch(context, batch, n, cells);
            string basis = $"Pearson χ² of the histogram of N = {n:N0} final states on bins of {Bin} in [−{Half}, {Half}] (plus one bin for the mass outside), bins with fewer than {MinimumExpected} expected counts pooled; dof = {o.Dof}; bound: the χ² quantile at 1 − {FalseAlarm:G2}; the SE column is the statistic's sd √(2 dof) under the model";
            double sd = Math.Sqrt(2.0 * o.Dof);
            checks.Add(new Check($"B = {batch}: χ²(ensemble histogram, finite-data master equation, h = {2 * Half / (2 * cells)})", o.Bound, o.ChiSquareFine, sd, Expectation.AtMost, 0, basis));
            checks.Add(new Check($"B = {batch}: grid non-centrality λ = N Σ (p(h) − p(h/2))²/p(h/2) of the master equation's projection", 1, o.GridLambda, 0, Expectation.AtMost, 0,
                $"bound 1: the grid error shifts the expected χ² by at most 1, against its sd √(2 dof); h = {h} and {h / 2} on the same bins"));
            checks.Add(new Check($"B = {batch}: χ²(ensemble histogram, Gaussian-noise master equation with the same Σ(x)) rejected (dof {o.DofGaussian})", Bound(o.DofGaussian), o.ChiSquareGaussian,
                Math.Sqrt(2.0 * o.DofGaussian), Expectation.AtLeast, 0, basis.Replace($"dof = {o.Dof}", "dof = pooled bins − 1", StringComparison.Ordinal)));
            checks.Add(new Check($"B = {batch}: χ²(ensemble histogram, Langevin Fokker–Planck law with the same Σ(x)) rejected (dof {o.DofLangevin})", Bound(o.DofLangevin), o.ChiSquareLangevin,
                Math.Sqrt(2.0 * o.DofLangevin), Expectation.AtLeast, 0, basis.Replace($"dof = {o.Dof}", "dof = pooled bins − 1", StringComparison.Ordinal)));
            string gapBasis = $"SE: the binomial √(p(1 − p)/N) of the ensemble's gap fraction under the model's gap mass p; gaps: the {o.GapBins} bins inside the support's hull where the master equation (h/2) has less than {GapThreshold:G} probability";
            checks.Add(new Check($"B = {batch}: ensemble mass in the gaps vs the Gaussian-noise master equation's", o.GapGaussian, o.GapEnsemble, Math.Sqrt(o.GapGaussian * (1 - o.GapGaussian) / n), Expectation.Reject, Check.DefaultZ, gapBasis));
            checks.Add(new Check($"B = {batch}: ensemble mass in the gaps vs the Langevin Fokker–Planck law's", o.GapLangevin, o.GapEnsemble, Math.Sqrt(o.GapLangevin * (1 - o.GapLangevin) / n), Expectation.Reject, Check.DefaultZ, gapBasis));
            table.AppendLine();
            table.Append(CultureInfo.InvariantCulture,
                $"| {batch} | {o.Dof} | {o.Bound:F1} | {o.ChiSquareCoarse:F1} | {o.ChiSquareFine:F1} | {o.GridLambda:G3} | {o.ChiSquareGaussian:G4} ({Z(o.ChiSquareGaussian, o.DofGaussian):F0}) | {o.ChiSquareLangevin:G4} ({Z(o.ChiSquareLangevin, o.DofLangevin):F0}) | ");
            table.Append(CultureInfo.InvariantCulture,
                $"{o.GapBins} | {o.GapEnsemble:G3} ({o.GapCount} of N) | {o.GapMaster:G3} | {o.GapGaussian:G4} | {o.GapLangevin:G4} |");
            plots.Add(o.Plot);
        }

        string shows =
            $"With a handful of samples at η = {Eta} the law of SGD is a mixture with gaps; the ensemble's histogram agrees with the finite-data master equation within sampling noise (Pearson χ² below its bound), "
            + "while the Gaussian-noise master equation and the Langevin Fokker–Planck equation with the same Σ(x) fill the gaps and are rejected. "
            + $"N = {n:N0} trajectories, {Steps} steps; z = (χ² − dof)/√(2 dof); the grid λ is the χ² shift the master equation's projection error could cause.\n\n" + table;
        return new CaseReport(Name, shows, checks, plots, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The χ² quantile at 1 − <see cref="FalseAlarm"/>.</summary>
    public static double Bound(int dof) => ChiSquared.InvCDF(Math.Max(dof, 1), 1 - FalseAlarm);

    private static double Z(double chiSquare, int dof) => (chiSquare - dof) / Math.Sqrt(2.0 * dof);

    private Outcome RunBatch(ValidationContext context, int batch, long n, int cells)
    {
        var spec = new LeastSquaresLandscapeSpec(Data(), batch, false);
        Problem problem = ProblemBuilder.Of(spec, new SgdSpec(Eta), [0.0]);

        // the ensemble's counts on the bins of [−4, 4], and those outside
        int bins = (int)Math.Round(2 * Half / Bin);
        EnsembleResult result = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(n, Steps, seed: (uint)(900 + batch)), context.Backend, keepFinalStates: true);
        var counts = new long[bins + 1];
        foreach (float x in result.FinalStates!)
        {
            counts[x >= -Half && x < Half ? Math.Min(bins - 1, (int)Math.Floor((x + Half) / Bin)) : bins]++;
        }

        // the finite-data master equation at two resolutions, through the grid runner
        double[] MasterEquation(int cells)
        {
            var algorithm = new MasterEquationAlgorithm(new GridSpec([-Half], [Half], [cells]), Steps, null, GridBoundary.Absorbing);
            GridResult grid = GridRunner.Run(problem, algorithm);
            return Binned(grid.FinalDensity, -Half, bins);
        }

        double[] coarse = MasterEquation(cells), fine = MasterEquation(2 * cells);

        // the Gaussian-noise master equation and the Langevin FP with the same ḡ and Σ(x), on a wider box
        GridLandscape gaussian = GridLandscape.Wrap(new LeastSquaresField(spec));
        var wide = new UniformGrid([-WideHalf], [WideHalf], [(int)Math.Round(2 * WideHalf / WideSpacing)]);
        GridDensity gaussianDensity = GridDensity.PointMass(wide, [0.0]);
        using (var solver = new MasterEquationSolver(wide, gaussian, Eta, GridBoundary.Absorbing))
        {
            solver.Advance(gaussianDensity, Steps);
        }

        GridDensity langevinDensity;
        using (var solver = new FokkerPlanckSolver(wide, gaussian, Eta, FokkerPlanckVariant.Langevin))
        {
            langevinDensity = solver.Stationary();
        }

        double[] gaussianBins = Binned(gaussianDensity, -Half, bins), langevinBins = Binned(langevinDensity, -Half, bins);
        var (chiFine, dof) = ChiSquare(counts, fine, n);
        var (chiCoarse, _) = ChiSquare(counts, coarse, n);
        var (chiGaussian, dofGaussian) = ChiSquare(counts, gaussianBins, n);
        var (chiLangevin, dofLangevin) = ChiSquare(counts, langevinBins, n);
        double lambda = 0;
        for (int b = 0; b <= bins; b++)
        {
            if (n * fine[b] >= MinimumExpected)
            {
                lambda += n * Math.Pow(coarse[b] - fine[b], 2) / fine[b];
            }
        }

        // gaps: bins strictly inside the hull of the support where the master equation leaves (almost) nothing
        int first = Array.FindIndex(fine, 0, bins, p => p >= GapThreshold), last = Array.FindLastIndex(fine, bins - 1, bins, p => p >= GapThreshold);
        int[] gapBins = Enumerable.Range(first, last - first + 1).Where(b => fine[b] < GapThreshold).ToArray();
        long gapCount = gapBins.Sum(b => counts[b]);

        string plot = $"{Name}-b{batch}.png";
        double[] centres = Enumerable.Range(0, bins).Select(b => -Half + ((b + 0.5) * Bin)).ToArray();
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, plot),
            $"1-D least squares, n = 5, B = {batch}, η = {Eta}, {Steps} steps: density on bins of {Bin}, N = {n:N0}",
            "x",
            "density",
            [new ReportPlots.Points("ensemble ± SE", centres, centres.Select((_, b) => counts[b] / (double)n / Bin).ToArray(), centres.Select((_, b) => Math.Sqrt(counts[b]) / n / Bin).ToArray())],
            [
                new ReportPlots.Curve("finite-data master equation", centres, centres.Select((_, b) => fine[b] / Bin).ToArray()),
                new ReportPlots.Curve("Gaussian-noise master equation", centres, centres.Select((_, b) => gaussianBins[b] / Bin).ToArray()),
                new ReportPlots.Curve("Langevin Fokker–Planck", centres, centres.Select((_, b) => langevinBins[b] / Bin).ToArray()),
            ]);

        return new Outcome(
            Math.Max(dof, 1), Bound(dof), chiCoarse, chiFine, lambda, chiGaussian, chiLangevin,
            gapBins.Length, gapCount, gapCount / (double)n, gapBins.Sum(b => fine[b]), gapBins.Sum(b => gaussianBins[b]), gapBins.Sum(b => langevinBins[b]), plot)
        {
            DofGaussian = dofGaussian,
            DofLangevin = dofLangevin,
        };
    }

    /// <summary>
    /// Bin probabilities of a 1-D density on bins of <see cref="Bin"/> from <paramref name="lower"/> (bins + 1 entries: the
    /// last one holds the mass outside them and the lost mass), normalised to total 1. The grid's cells must tile the bins.
    /// </summary>
    private static double[] Binned(GridDensity density, double lower, int bins)
    {
        UniformGrid grid = density.Grid;
        double total = density.TotalMass + density.LostMass;
        var p = new double[bins + 1];
        for (int c = 0; c < grid.Cells[0]; c++)
        {
            double x = grid.Centre(0, c);
            int b = (int)Math.Floor((x - lower) / Bin);
            p[b >= 0 && b < bins ? b : bins] += density.Mass[c] / total;
        }

        p[bins] += density.LostMass / total;
        return p;
    }

    /// <summary>Pearson's χ² of <paramref name="counts"/> against N·p, bins with N·p &lt; 5 pooled (and the pool merged into the smallest bin if it is still below 5); dof = bins − 1.</summary>
    private static (double ChiSquare, int Dof) ChiSquare(long[] counts, double[] p, long n)
    {
        var observed = new List<double>();
        var expected = new List<double>();
        double pooledObserved = 0, pooledExpected = 0;
        for (int b = 0; b < p.Length; b++)
        {
            double e = n * p[b];
            if (e >= MinimumExpected)
            {
                observed.Add(counts[b]);
                expected.Add(e);
            }
            else
            {
                pooledObserved += counts[b];
                pooledExpected += e;
            }
        }

        if (pooledExpected >= MinimumExpected || expected.Count == 0)
        {
            observed.Add(pooledObserved);
            expected.Add(pooledExpected);
        }
        else
        {
            int smallest = expected.IndexOf(expected.Min());
            observed[smallest] += pooledObserved;
            expected[smallest] += pooledExpected;
        }

        double chi = 0;
        for (int k = 0; k < observed.Count; k++)
        {
            chi += Math.Pow(observed[k] - expected[k], 2) / expected[k];
        }

        return (chi, observed.Count - 1);
    }

    private sealed record Outcome(
        int Dof, double Bound, double ChiSquareCoarse, double ChiSquareFine, double GridLambda, double ChiSquareGaussian, double ChiSquareLangevin,
        int GapBins, long GapCount, double GapEnsemble, double GapMaster, double GapGaussian, double GapLangevin, string Plot)
    {
        public int DofGaussian { get; init; }

        public int DofLangevin { get; init; }
    }
}
