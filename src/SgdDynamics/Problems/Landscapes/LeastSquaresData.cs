using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;

namespace SgdDynamics.Problems;

/// <summary>Where a least-squares data set comes from: a CSV file, or generated from a teacher.</summary>
public abstract record LeastSquaresSource;

/// <summary>A CSV file (absolute path): one row per sample, its features then its target; an optional header line.</summary>
/// <param name="Path">The absolute path.</param>
public sealed record LeastSquaresFile(string Path) : LeastSquaresSource;

/// <summary>
/// Data generated from a linear teacher: <c>a_i ~ N(0, F)</c>, <c>y_i = wᵀa_i + s ε_i</c>, ε_i ~ N(0, 1), i = 1 … n, drawn
/// in that order (a_i's d normals, then ε_i) from MathNet's xoshiro256** generator seeded with <paramref name="Seed"/> and
/// its normal sampler; a_i = F^{1/2} z with the symmetric square root of F (so a semidefinite F is allowed).
/// </summary>
/// <param name="Samples">n ≥ 1.</param>
/// <param name="FeatureCovariance">F (d × d, symmetric positive semidefinite).</param>
/// <param name="Teacher">w (d).</param>
/// <param name="LabelNoiseStd">s ≥ 0.</param>
/// <param name="Seed">The generator's seed.</param>
public sealed record LeastSquaresGenerated(int Samples, Matrix<double> FeatureCovariance, Vector<double> Teacher, double LabelNoiseStd, int Seed) : LeastSquaresSource;

/// <summary>Data given inline in the scenario (<c>"data": {"rows": [[a₁, …, a_d, y], …]}</c>), or from arrays in code.</summary>
public sealed record LeastSquaresInline : LeastSquaresSource;

/// <summary>An error in a least-squares data file, naming the line and column.</summary>
public sealed class LeastSquaresDataException(string message) : Exception(message);

/// <summary>
/// A finite least-squares data set: features <c>a_i</c> (the rows of <see cref="Features"/>, n × d) and targets y_i, in
/// double precision as read; the kernels take them as floats (every value must be a finite float).
/// </summary>
public sealed class LeastSquaresData
{
    /// <summary>The largest data table, n·(d + 1) floats: 2²⁶ (256 MiB).</summary>
    public const long MaxValues = 1L << 26;

    /// <summary>The most samples a scenario may generate: 2²⁰ (larger data sets come from a file).</summary>
    public const int MaxGeneratedSamples = 1 << 20;

    /// <summary>The largest data file read: 512 MiB.</summary>
    public const long MaxFileBytes = 1L << 29;

    /// <summary>How long reading a data file may take before it is given up (a pipe or device with no end): 120 s.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(120);

    private LeastSquaresData(Matrix<double> features, Vector<double> targets, LeastSquaresSource source)
    {
        Features = features;
        Targets = targets;
        Source = source;
        fingerprint = new Lazy<string>(ComputeFingerprint);
        int n = features.RowCount;
        Hessian = features.TransposeThisAndMultiply(features) / n;
        MeanTarget = features.TransposeThisAndMultiply(targets) / n;
    }

    private readonly Lazy<string> fingerprint;

    /// <summary>a_i as rows (n × d).</summary>
    public Matrix<double> Features { get; }

    /// <summary>y_i.</summary>
    public Vector<double> Targets { get; }

    /// <summary>Where the data came from.</summary>
    public LeastSquaresSource Source { get; }

    /// <summary>n.</summary>
    public int Samples => Features.RowCount;

    /// <summary>d.</summary>
    public int Dimension => Features.ColumnCount;

    /// <summary>H = (1/n) Σ a_i a_iᵀ, the Hessian of the mean loss.</summary>
    public Matrix<double> Hessian { get; }

    /// <summary>c = (1/n) Σ a_i y_i, so the mean gradient is ḡ(x) = Hx − c.</summary>
    public Vector<double> MeanTarget { get; }

    /// <summary>The features as a 2-D array.</summary>
    public double[,] FeatureArray() => Features.ToArray();

    /// <summary>The table the kernels gather from: n rows of d + 1 floats, a_i then y_i.</summary>
    public float[] Rows()
    {
        int n = Samples, d = Dimension;
        var rows = new float[(long)n * (d + 1)];
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < d; f++)
            {
                rows[(i * (d + 1)) + f] = (float)Features[i, f];
            }

            rows[(i * (d + 1)) + d] = (float)Targets[i];
        }

        return rows;
    }

    /// <summary>The per-sample gradients' covariance over the data at x, divided by B: the one-step noise Σ(x) with replacement.</summary>
    public Matrix<double> NoiseCovariance(Vector<double> x, int batchSize)
    {
        int n = Samples, d = Dimension;
        Vector<double> residuals = (Features * x) - Targets;
        Vector<double> mean = (Hessian * x) - MeanTarget;
        var sum = Matrix<double>.Build.Dense(d, d);
        for (int i = 0; i < n; i++)
        {
            Vector<double> gi = Features.Row(i) * residuals[i];
            sum += gi.OuterProduct(gi);
        }

        return ((sum / n) - mean.OuterProduct(mean)) / batchSize;
    }

    /// <summary>SHA-256 of the float table <see cref="Rows"/> (lower-case hex): what a written scenario pins a data file by.</summary>
    public string Fingerprint() => fingerprint.Value;

    private string ComputeFingerprint()
    {
        float[] rows = Rows();
        var bytes = new byte[rows.Length * sizeof(float)];
        Buffer.BlockCopy(rows, 0, bytes, 0, bytes.Length);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>A data set from arrays (features n × d, targets n).</summary>
    /// <exception cref="LeastSquaresDataException">Sizes disagree, the data is empty or too large, or a value is not a finite float.</exception>
    public static LeastSquaresData FromArrays(double[,] features, double[] targets, LeastSquaresSource? source = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        int n = features.GetLength(0), d = features.GetLength(1);
        if (targets.Length != n)
        {
            throw new LeastSquaresDataException($"{n} feature rows but {targets.Length} targets");
        }

        Check(n, d, "the data");
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < d; f++)
            {
                CheckValue(features[i, f], $"sample {i}, feature {f}");
            }

            CheckValue(targets[i], $"sample {i}, target");
        }

        return new LeastSquaresData(Matrix<double>.Build.DenseOfArray(features), Vector<double>.Build.DenseOfArray(targets), source ?? new LeastSquaresInline());
    }

    /// <summary>
    /// Reads a CSV file: comma-separated numbers, one sample per line (features then target, at least two columns, the
    /// same count on every line); the first line may be a header (it is one when any of its fields is not a number);
    /// blank lines are skipped.
    /// </summary>
    /// <exception cref="LeastSquaresDataException">The file is missing, unreadable, too large, not UTF-8 or endless (a pipe, a device), or a line is malformed (named with its line and column).</exception>
    public static LeastSquaresData FromCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            if (Directory.Exists(path))
            {
                throw new LeastSquaresDataException($"{path}: is a directory, not a data file");
            }

            text = BoundedFile.ReadAllText(path, MaxFileBytes, ReadTimeout);
        }
        catch (BoundedReadException e)
        {
            throw new LeastSquaresDataException($"{path}: data file {e.Message}");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LeastSquaresDataException($"{path}: data file does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LeastSquaresDataException($"{path}: cannot read data file ({e.Message})");
        }

        var rows = new List<double[]>();
        int columns = -1;
        string[] lines = text.Split('\n');
        for (int line = 0; line < lines.Length; line++)
        {
            string content = lines[line].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(content))
            {
                continue;
            }

            string[] fields = content.Split(',');
            var values = new double[fields.Length];
            bool numeric = true;
            for (int c = 0; c < fields.Length && numeric; c++)
            {
                numeric = double.TryParse(fields[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]);
            }

            if (!numeric && rows.Count == 0 && columns < 0)
            {
                columns = fields.Length; // the header line
                continue;
            }

            for (int c = 0; c < fields.Length; c++)
            {
                if (!double.TryParse(fields[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]))
                {
                    throw new LeastSquaresDataException($"{path}: line {line + 1}, column {c + 1}: not a number ('{Shorten(fields[c].Trim())}')");
                }

                if (!float.IsFinite((float)values[c]))
                {
                    throw new LeastSquaresDataException($"{path}: line {line + 1}, column {c + 1}: {fields[c].Trim()} is not a finite float");
                }
            }

            if (columns < 0)
            {
                columns = fields.Length;
            }

            if (fields.Length != columns)
            {
                throw new LeastSquaresDataException($"{path}: line {line + 1} has {fields.Length} columns, the first line {columns}");
            }

            if (columns < 2)
            {
                throw new LeastSquaresDataException($"{path}: line {line + 1} has 1 column; a sample is its features then its target (at least 2 columns)");
            }

            rows.Add(values);
            if ((long)rows.Count * columns > MaxValues)
            {
                throw new LeastSquaresDataException($"{path}: more than {MaxValues:N0} values");
            }
        }

        if (rows.Count == 0)
        {
            throw new LeastSquaresDataException($"{path}: no samples (the file holds no data lines)");
        }

        int n = rows.Count, d = columns - 1;
        Check(n, d, path);
        var features = Matrix<double>.Build.Dense(n, d, (i, f) => rows[i][f]);
        var targets = Vector<double>.Build.Dense(n, i => rows[i][d]);
        return new LeastSquaresData(features, targets, new LeastSquaresFile(Path.GetFullPath(path)));
    }

    /// <summary>Generates the data of <paramref name="spec"/> (see <see cref="LeastSquaresGenerated"/>).</summary>
    /// <exception cref="LeastSquaresDataException">A generated value is not a finite float.</exception>
    public static LeastSquaresData Generate(LeastSquaresGenerated spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int n = spec.Samples, d = spec.Teacher.Count;
        Check(n, d, "the generated data");
        var evd = spec.FeatureCovariance.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        Vector<double> roots = evd.EigenValues.Real().Map(l => Math.Sqrt(Math.Max(l, 0)));
        Matrix<double> root = evd.EigenVectors * Matrix<double>.Build.DenseOfDiagonalVector(roots) * evd.EigenVectors.Transpose();
        var random = new Xoshiro256StarStar(spec.Seed);
        var features = Matrix<double>.Build.Dense(n, d);
        var targets = Vector<double>.Build.Dense(n);
        var z = Vector<double>.Build.Dense(d);
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < d; f++)
            {
                z[f] = Normal.Sample(random, 0, 1);
            }

            Vector<double> a = root * z;
            features.SetRow(i, a);
            targets[i] = spec.Teacher.DotProduct(a) + (spec.LabelNoiseStd * Normal.Sample(random, 0, 1));
            for (int f = 0; f < d; f++)
            {
                CheckValue(a[f], $"generated sample {i}, feature {f}");
            }

            CheckValue(targets[i], $"generated sample {i}, target");
        }

        return new LeastSquaresData(features, targets, spec);
    }

    private static void Check(int n, int d, string what)
    {
        if (n < 1)
        {
            throw new LeastSquaresDataException($"{what}: no samples");
        }

        if (n > IndexSamplerLimits.MaxSamples)
        {
            throw new LeastSquaresDataException($"{what}: {n:N0} samples, more than the {IndexSamplerLimits.MaxSamples:N0} a minibatch index can address");
        }

        if (d < 1 || d > Limits.MaxDimension)
        {
            throw new LeastSquaresDataException($"{what}: {d} features; the dimension must be between 1 and {Limits.MaxDimension}");
        }

        if ((long)n * (d + 1) > MaxValues)
        {
            throw new LeastSquaresDataException($"{what}: {(long)n * (d + 1):N0} values, more than {MaxValues:N0}");
        }
    }

    private static void CheckValue(double value, string where)
    {
        if (!float.IsFinite((float)value))
        {
            throw new LeastSquaresDataException($"{where}: {value.ToString("R", CultureInfo.InvariantCulture)} is not a finite float");
        }
    }

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..24] + "…";
}

/// <summary>The sampler's bound on n, for messages.</summary>
internal static class IndexSamplerLimits
{
    /// <summary>2²⁴: indices travel as exact floats.</summary>
    public const int MaxSamples = Kernels.Random.IndexSampler.MaxCount;
}
