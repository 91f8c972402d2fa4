using System.Globalization;
using System.Text;
using SgdDynamics.Grids;

namespace SgdDynamics.Output;

/// <summary>A density read back from a density CSV file, with the header's step, time and other entries.</summary>
/// <param name="Density">The density (cell masses and lost mass) on the grid named in the header.</param>
/// <param name="Step">The SGD step, when given.</param>
/// <param name="Time">t = step·η, when given.</param>
/// <param name="Header">Every <c># key: value</c> header entry.</param>
public sealed record DensityFile(GridDensity Density, int? Step, double? Time, IReadOnlyDictionary<string, string> Header);

/// <summary>
/// The density CSV format (<c>density_&lt;step&gt;.csv</c>). A header of <c># key: value</c> lines —
/// <c>sgdyn-density: 1</c>, <c>dimension</c>, <c>lower</c>, <c>upper</c>, <c>cells</c> (space-separated, one entry per
/// dimension), <c>step</c>, <c>time</c>, <c>mass</c> (on the grid), <c>lostMass</c> (off the grid: absorbed, or for an
/// ensemble histogram outside the box or diverged), <c>source</c>, and for histograms <c>samples</c>, <c>outside</c>,
/// <c>diverged</c> — then one row per cell in flat order (last coordinate fastest): 1-D <c>x,density,mass</c>, 2-D
/// <c>x0,x1,density,mass</c>, x the cell centre, density = mass / cell volume. Numbers are invariant-culture round-trip
/// text, so reading gives back the exact masses.
/// </summary>
public static class DensityCsv
{
    /// <summary>Format version written in the header.</summary>
    public const int Version = 1;

    /// <summary>The file name of the snapshot at <paramref name="step"/>: <c>density_&lt;step&gt;.csv</c>.</summary>
    public static string FileName(int step) => string.Create(CultureInfo.InvariantCulture, $"density_{step}.csv");

    /// <summary>The CSV text of <paramref name="density"/>; <paramref name="extra"/> entries are added to the header.</summary>
    public static string Format(GridDensity density, int step, double time, string source, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(density);
        using var text = new StringWriter(new StringBuilder(64 * (density.Grid.Count + 16)), CultureInfo.InvariantCulture);
        WriteTo(text, density, step, time, source, extra);
        return text.ToString();
    }

    /// <summary>Writes <see cref="Format"/>'s text to <paramref name="path"/> as it is produced (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, GridDensity density, int step, double time, string source, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(density);
        AtomicFile.WriteText(path, writer => WriteTo(writer, density, step, time, source, extra));
    }

    /// <summary>The file size <see cref="Write"/> gives for <paramref name="grid"/>, estimated at 22 characters a number.</summary>
    public static long EstimatedBytes(UniformGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return 1024 + grid.Count * (long)(22 * (grid.Dimension + 2) + grid.Dimension + 2);
    }

    private static void WriteTo(TextWriter text, GridDensity density, int step, double time, string source, IEnumerable<KeyValuePair<string, string>>? extra)
    {
        UniformGrid grid = density.Grid;
        int d = grid.Dimension;
        text.Write(string.Create(CultureInfo.InvariantCulture, $"# sgdyn-density: {Version}\n"));
        text.Write(string.Create(CultureInfo.InvariantCulture, $"# dimension: {d}\n"));
        text.Write($"# lower: {string.Join(' ', grid.Lower.Select(R))}\n");
        text.Write($"# upper: {string.Join(' ', grid.Upper.Select(R))}\n");
        text.Write($"# cells: {string.Join(' ', grid.Cells.Select(c => c.ToString(CultureInfo.InvariantCulture)))}\n");
        text.Write(string.Create(CultureInfo.InvariantCulture, $"# step: {step}\n"));
        text.Write($"# time: {R(time)}\n");
        text.Write($"# mass: {R(density.TotalMass)}\n");
        text.Write($"# lostMass: {R(density.LostMass)}\n");
        text.Write($"# source: {source}\n");
        foreach (var (key, value) in extra ?? [])
        {
            text.Write($"# {key}: {value}\n");
        }

        text.Write(d == 1 ? "x,density,mass\n" : "x0,x1,density,mass\n");
        Span<double> x = stackalloc double[d];
        for (int c = 0; c < grid.Count; c++)
        {
            grid.Centre(c, x);
            for (int k = 0; k < d; k++)
            {
                text.Write(R(x[k]));
                text.Write(',');
            }

            text.Write(R(density.Density(c)));
            text.Write(',');
            text.Write(R(density.Mass[c]));
            text.Write('\n');
        }
    }

    /// <summary>The longest density CSV file read: 2 GiB (2²⁴ cells of a few numbers each fit well within it).</summary>
    public const long MaxReadBytes = 2L << 30;

    /// <summary>How long reading a density CSV file may take before it is given up: 60 s.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Reads a density CSV file (at most <see cref="MaxReadBytes"/> bytes, within <see cref="ReadTimeout"/>).</summary>
    /// <exception cref="InvalidDataException">The file is not a density CSV (the message names the file and line), or it
    /// is larger or slower to read than those limits.</exception>
    public static DensityFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path, MaxReadBytes, ReadTimeout);
        }
        catch (BoundedReadException e)
        {
            throw new InvalidDataException($"{path}: density file {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses density CSV text; <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The text is not a density CSV.</exception>
    public static DensityFile Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] lines = text.Split('\n');
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        int line = 0;
        for (; line < lines.Length && lines[line].StartsWith('#'); line++)
        {
            string entry = lines[line][1..];
            int colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                header[entry[..colon].Trim()] = entry[(colon + 1)..].Trim();
            }
        }

        InvalidDataException Bad(int at, string detail) => new($"{what}: line {at + 1}: {detail}");
        if (!header.ContainsKey("sgdyn-density"))
        {
            throw Bad(0, "not an sgdyn density file (no '# sgdyn-density' header)");
        }

        string Need(string key) => header.TryGetValue(key, out var v) ? v : throw Bad(0, $"header entry '{key}' is missing");
        double[] Numbers(string key) => Need(key).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => Number(s, key)).ToArray();
        double Number(string s, string key) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw Bad(0, $"header entry '{key}': '{s}' is not a number");

        double[] lower = Numbers("lower");
        double[] upper = Numbers("upper");
        int[] cells = Numbers("cells").Select(c => (int)c).ToArray();
        UniformGrid grid;
        try
        {
            grid = new UniformGrid(lower, upper, cells);
        }
        catch (ArgumentException e)
        {
            throw Bad(0, $"invalid grid ({e.Message})");
        }

        var density = new GridDensity(grid);
        if (line >= lines.Length)
        {
            throw Bad(line, "the column header is missing");
        }

        string[] columns = lines[line].TrimEnd('\r').Split(',');
        int massColumn = Array.IndexOf(columns, "mass");
        int densityColumn = Array.IndexOf(columns, "density");
        if (massColumn < 0 && densityColumn < 0)
        {
            throw Bad(line, "no 'mass' or 'density' column");
        }

        line++;
        int c = 0;
        for (; line < lines.Length; line++)
        {
            string row = lines[line].TrimEnd('\r');
            if (row.Length == 0)
            {
                continue;
            }

            if (c >= grid.Count)
            {
                throw Bad(line, $"more rows than the {grid.Count} cells of the grid");
            }

            string[] fields = row.Split(',');
            if (fields.Length != columns.Length)
            {
                throw Bad(line, $"expected {columns.Length} fields, got {fields.Length}");
            }

            int column = massColumn >= 0 ? massColumn : densityColumn;
            if (!double.TryParse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw Bad(line, $"'{fields[column]}' is not a finite number");
            }

            density.Mass[c++] = massColumn >= 0 ? value : value * grid.CellVolume;
        }

        if (c != grid.Count)
        {
            throw Bad(line, $"{c} rows for a grid of {grid.Count} cells");
        }

        density.LostMass = header.TryGetValue("lostMass", out var lost) ? Number(lost, "lostMass") : 0;
        int? step = header.TryGetValue("step", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) ? k : null;
        double? time = header.TryGetValue("time", out var t) ? Number(t, "time") : null;
        return new DensityFile(density, step, time, header);
    }

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
