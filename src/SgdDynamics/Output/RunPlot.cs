using System.Globalization;
using ScottPlot;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Theory;

namespace SgdDynamics.Output;

/// <summary>
/// <c>run.png</c>, the picture of an ensemble run (ScottPlot, one render). A quadratic landscape with eigenmodes
/// (<see cref="EnsembleObservations.Modes"/>): one panel per mode with its variance vᵀCv against time t = kη (points with ±1
/// SE bars) and the theory — the exact discrete variance at every plotted record from the moment recursion
/// (<see cref="EigenmodeTheory.ModeMomentsAtRecords"/>), the discrete and Langevin stationary levels of a confined mode (the
/// Langevin one alone where the discrete variance is infinite), and the line <c>v₀ + 2Dt</c> of a flat one. Any other run: the mean and the variance of the first coordinates against time.
/// At most <see cref="MaxPanels"/> modes or <see cref="MaxCoordinates"/> coordinates are drawn (the title says which) and
/// at most <see cref="MaxPoints"/> records per series (evenly spread, the last always among them).
/// </summary>
public static class RunPlot
{
    /// <summary>The file name.</summary>
    public const string FileName = "run.png";

    /// <summary>Most eigenmode panels drawn (evenly spread over the ascending eigenvalues, the smallest and largest always).</summary>
    public const int MaxPanels = 4;

    /// <summary>Most coordinates drawn in the mean and variance panels of a run without eigenmodes.</summary>
    public const int MaxCoordinates = 4;

    /// <summary>Most records plotted per series.</summary>
    public const int MaxPoints = 120;

    /// <summary>
    /// Largest number of scalar operations the exact recursion may take for the theory curves (steps × coordinates with
    /// curvature noise × d² with curvature noise, records × d³ for the rotations); above it the curves are left out and
    /// the legend says so.
    /// </summary>
    public const double MaxRecursionWork = 2e8;

    private const int PanelWidth = 1000;
    private const int PanelHeight = 330;

    /// <summary>Renders the plot of <paramref name="result"/> and writes it to <paramref name="path"/> (<see cref="AtomicFile"/>).</summary>
    public static void Save(string path, Scenario scenario, EnsembleResult result, IReadOnlyList<ModeReport> modes)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(modes);
        AtomicFile.WriteAllBytes(path, Render(scenario.Name ?? "ensemble", result, modes));
    }

    /// <summary>The PNG bytes of the plot.</summary>
    public static byte[] Render(string name, EnsembleResult result, IReadOnlyList<ModeReport> modes)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(modes);
        int[] records = Spread(result.Records.Count, MaxPoints);
        Plot[] panels = modes.Count > 0 ? ModePanels(name, result, modes, records) : CoordinatePanels(name, result, records);
        var multiplot = new Multiplot(panels[0]);
        foreach (Plot panel in panels.Skip(1))
        {
            multiplot.AddPlot(panel);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        using Image image = multiplot.Render(PanelWidth, PanelHeight * panels.Length);
        return image.GetImageBytes(ImageFormat.Png);
    }

    private static Plot[] ModePanels(string name, EnsembleResult result, IReadOnlyList<ModeReport> modes, int[] records)
    {
        Problem problem = result.Problem;
        int[] shown = Spread(modes.Count, MaxPanels);
        int[] steps = records.Select(r => result.Records[r].Step).ToArray();
        IReadOnlyList<ModeMoments>? exact = RecursionAffordable(problem, result.Algorithm.Steps, steps.Length)
            ? EigenmodeTheory.ModeMomentsAtRecords(problem, steps)
            : null;
        double[] times = records.Select(r => result.Records[r].Time).ToArray();
        var panels = new List<Plot>();
        foreach (int m in shown)
        {
            ModeReport mode = modes[m];
            var plot = new Plot();
            double[] variance = records.Select(r => mode.Series.Variances[r]).ToArray();
            double[] error = records.Select(r => mode.Series.StandardErrors[r]).ToArray();
            AddPoints(plot, "measured vᵀCv ± SE", times, variance, error);
            if (exact is not null)
            {
                AddLine(plot, "exact discrete (moment recursion)", times, exact.Select(e => e.Variances[m]).ToArray(), LinePattern.Solid);
            }

            if (mode.TheoryBehaviour == ModeBehaviour.Confined)
            {
                if (mode.Discrete is { } discrete)
                {
                    AddLevel(plot, $"discrete stationary {Number(discrete)}", discrete, LinePattern.Dashed);
                }

                if (mode.Langevin is { } langevin)
                {
                    AddLevel(plot, $"Langevin stationary {Number(langevin)}", langevin, LinePattern.Dotted);
                }
            }

            if (mode.TheoryBehaviour == ModeBehaviour.Unstable && mode.Langevin is { } langevinOnly)
            {
                AddLevel(plot, $"Langevin stationary {Number(langevinOnly)} (discrete: infinite)", langevinOnly, LinePattern.Dotted);
            }

            if (mode.TheoryBehaviour == ModeBehaviour.Diffusive && mode.Discrete is { } diffusion)
            {
                double v0 = exact is not null ? exact[0].Variances[m] : variance[0];
                double t0 = times[0];
                AddLine(plot, $"v₀ + 2Dt, D = {Number(diffusion)}", times, times.Select(t => v0 + 2 * diffusion * (t - t0)).ToArray(), LinePattern.Dashed);
            }

            string head = panels.Count == 0 ? Title(name, result) + (shown.Length < modes.Count ? $" — {shown.Length} of {modes.Count} modes shown" : "") + "\n" : "";
            string scores = mode.ZDiscrete is { } zd
                ? string.Create(CultureInfo.InvariantCulture, $" (z: discrete {zd:F1}") + (mode.ZLangevin is { } zl ? string.Create(CultureInfo.InvariantCulture, $", Langevin {zl:F1})") : ")")
                : "";
            plot.Title($"{head}mode {m}: λ = {Number(mode.Eigenvalue)}, {mode.Verdict}{scores}" + (exact is null ? "; exact curve left out (the recursion would be too long)" : ""));
            plot.XLabel("t = kη");
            plot.YLabel("variance");
            plot.ShowLegend(Edge.Right);
            panels.Add(plot);
        }

        return [.. panels];
    }

    private static Plot[] CoordinatePanels(string name, EnsembleResult result, int[] records)
    {
        int d = result.Problem.Dimension;
        int[] shown = Enumerable.Range(0, Math.Min(d, MaxCoordinates)).ToArray();
        double[] times = records.Select(r => result.Records[r].Time).ToArray();
        var mean = new Plot();
        var variance = new Plot();
        foreach (int i in shown)
        {
            AddPoints(mean, $"x{i}", times, records.Select(r => result.Records[r].Moments.Mean[i]).ToArray(), records.Select(r => result.Records[r].Moments.MeanStandardError[i]).ToArray());
            AddPoints(variance, $"x{i}", times, records.Select(r => result.Records[r].Moments.Variance[i]).ToArray(), records.Select(r => result.Records[r].Moments.VarianceStandardError[i]).ToArray());
        }

        string which = shown.Length < d ? $" — coordinates 0 to {shown.Length - 1} of {d} shown" : "";
        mean.Title($"{Title(name, result)}{which}\nmean ± SE");
        variance.Title("variance ± SE");
        foreach (Plot plot in new[] { mean, variance })
        {
            plot.XLabel("t = kη");
            plot.ShowLegend(Edge.Right);
        }

        mean.YLabel("mean");
        variance.YLabel("variance");
        return [mean, variance];
    }

    private static bool RecursionAffordable(Problem problem, int steps, int records)
    {
        double d = problem.Dimension;
        int noisy = problem.Quadratic.CurvatureNoiseStd.Count(a => a != 0);
        double work = records * d * d * d + (noisy > 0 ? (double)steps * noisy * d * d : 0);
        return work <= MaxRecursionWork;
    }

    private static string Title(string name, EnsembleResult result) => string.Create(
        CultureInfo.InvariantCulture,
        $"{name}: {result.Range.Count:N0} trajectories × {result.Algorithm.Steps:N0} steps, η = {result.Problem.Dynamics.LearningRate:G4}");

    private static void AddPoints(Plot plot, string label, double[] x, double[] y, double[] error)
    {
        var keep = Enumerable.Range(0, x.Length).Where(j => double.IsFinite(x[j]) && double.IsFinite(y[j])).ToArray();
        if (keep.Length == 0)
        {
            return;
        }

        double[] xs = keep.Select(j => x[j]).ToArray(), ys = keep.Select(j => y[j]).ToArray();
        double[] es = keep.Select(j => double.IsFinite(error[j]) ? error[j] : 0.0).ToArray();
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.LineWidth = 0;
        scatter.MarkerSize = 5;
        var bars = plot.Add.ErrorBar(xs, ys, es);
        bars.Color = scatter.Color;
    }

    private static void AddLine(Plot plot, string label, double[] x, double[] y, LinePattern pattern)
    {
        var keep = Enumerable.Range(0, x.Length).Where(j => double.IsFinite(x[j]) && double.IsFinite(y[j])).ToArray();
        if (keep.Length == 0)
        {
            return;
        }

        var line = plot.Add.Scatter(keep.Select(j => x[j]).ToArray(), keep.Select(j => y[j]).ToArray());
        line.LegendText = label;
        line.MarkerSize = 0;
        line.LineWidth = 2;
        line.LinePattern = pattern;
    }

    private static void AddLevel(Plot plot, string label, double level, LinePattern pattern)
    {
        var line = plot.Add.HorizontalLine(level);
        line.LegendText = label;
        line.LineWidth = 2;
        line.LinePattern = pattern;
    }

    /// <summary>At most <paramref name="most"/> indices of 0 … count − 1, evenly spread, the first and the last always.</summary>
    private static int[] Spread(int count, int most)
    {
        if (count <= most)
        {
            return Enumerable.Range(0, count).ToArray();
        }

        return Enumerable.Range(0, most).Select(j => (int)Math.Round(j * (count - 1.0) / (most - 1))).Distinct().ToArray();
    }

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
