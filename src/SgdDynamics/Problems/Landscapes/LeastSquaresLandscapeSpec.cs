using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Finite-sum least squares, <c>ℓ_i(x) = (a_iᵀx − y_i)²/2</c> on <paramref name="Data"/>, minibatches of
/// <paramref name="BatchSize"/> samples drawn with replacement or, when <paramref name="WithoutReplacement"/>, from a
/// fresh permutation every epoch (<see cref="IndexSampler"/>). Runs <see cref="LeastSquaresLandscape{TP}"/>.
/// </summary>
/// <param name="Data">The samples.</param>
/// <param name="BatchSize">B ≥ 1 (≤ n without replacement).</param>
/// <param name="WithoutReplacement">True for epochs of permutations.</param>
public sealed record LeastSquaresLandscapeSpec(LeastSquaresData Data, int BatchSize, bool WithoutReplacement) : LandscapeSpec
{
    /// <summary>The largest batch size.</summary>
    public const int MaxBatchSize = 1 << 16;

    /// <summary>d, the number of features.</summary>
    public override int Dimension => Data.Dimension;

    /// <summary>The sampler of the kernels.</summary>
    public IndexSampler Sampler => NetworkSampling.Sampler(WithoutReplacement, Data.Samples, BatchSize);

    /// <summary>
    /// The factor of the one-step noise covariance against sampling with replacement: 1, or (n − B)/(n − 1) without (a
    /// minibatch of B distinct samples; 0 for n = 1).
    /// </summary>
    public double NoiseFactor => NetworkSampling.NoiseFactor(WithoutReplacement, Data.Samples, BatchSize);

    /// <summary>The one-step gradient-noise covariance Σ(x) (the SDE models' and the Fokker–Planck equation's).</summary>
    public Matrix<double> NoiseCovariance(Vector<double> x) => Data.NoiseCovariance(x, BatchSize) * NoiseFactor;

    /// <summary>The kernel struct with its data in <paramref name="store"/>.</summary>
    public LeastSquaresLandscape<TP> Kernel<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        int n = Data.Samples, d = Data.Dimension;
        float[] hessian = [.. Data.Hessian.ToRowMajorArray().Select(v => (float)v)];
        float[] target = [.. Data.MeanTarget.Select(v => (float)v)];
        return new LeastSquaresLandscape<TP>(
            store.Store(Data.Rows()), store.Store(hessian), store.Store(target), d, n, Sampler, Math.Sqrt(NoiseFactor / ((double)n * BatchSize)));
    }

    /// <inheritdoc/>
    public bool Equals(LeastSquaresLandscapeSpec? other) =>
        other is not null && BatchSize == other.BatchSize && WithoutReplacement == other.WithoutReplacement && Data.Source == other.Data.Source
        && Data.Features.Equals(other.Data.Features) && Data.Targets.Equals(other.Data.Targets);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BatchSize, WithoutReplacement, Data.Samples, Data.Dimension);
}

/// <summary>
/// The grid form of least squares in 1-D or 2-D, on the host in double precision: ḡ(x) = Hx − c, Σ(x) the minibatch noise
/// covariance (with the without-replacement factor), L(x) = (1/2n) Σ (a_iᵀx − y_i)².
/// </summary>
public readonly struct LeastSquaresField : IGridField
{
    private readonly double[] features;
    private readonly double[] targets;
    private readonly double noiseScale;
    private readonly int d;

    /// <summary>The field of <paramref name="spec"/> (dimension 1 or 2).</summary>
    public LeastSquaresField(LeastSquaresLandscapeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        d = spec.Dimension;
        features = spec.Data.Features.ToRowMajorArray();
        targets = spec.Data.Targets.ToArray();
        noiseScale = spec.NoiseFactor / spec.BatchSize;
    }

    /// <inheritdoc/>
    public int Dimension => d;

    /// <inheritdoc/>
    public void Field(double x0, double x1, out double g0, out double g1, out double s00, out double s01, out double s11)
    {
        int n = targets.Length;
        double m0 = 0, m1 = 0, q00 = 0, q01 = 0, q11 = 0;
        for (int i = 0; i < n; i++)
        {
            double a0 = features[i * d], a1 = d == 2 ? features[(i * d) + 1] : 0;
            double r = (a0 * x0) + (a1 * x1) - targets[i];
            double p0 = a0 * r, p1 = a1 * r;
            m0 += p0;
            m1 += p1;
            q00 += p0 * p0;
            q01 += p0 * p1;
            q11 += p1 * p1;
        }

        g0 = m0 / n;
        g1 = m1 / n;
        s00 = noiseScale * ((q00 / n) - (g0 * g0));
        s01 = noiseScale * ((q01 / n) - (g0 * g1));
        s11 = noiseScale * ((q11 / n) - (g1 * g1));
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        int n = targets.Length;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double r = (features[i * d] * x0) + (d == 2 ? features[(i * d) + 1] * x1 : 0) - targets[i];
            sum += r * r;
        }

        return sum / (2 * n);
    }
}

/// <summary>Registration of <c>"leastSquares"</c>.</summary>
public sealed class LeastSquaresLandscapeRegistration : LandscapeRegistration<LeastSquaresLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "leastSquares";

    /// <inheritdoc/>
    public override string DimensionReason => "the number of features of the least-squares data";

    /// <summary>Five samples in two features, minibatches of two with replacement.</summary>
    public override LandscapeSpec Example { get; } = new LeastSquaresLandscapeSpec(
        LeastSquaresData.FromArrays(new double[,] { { 1.0, 0.2 }, { 0.8, -0.4 }, { 1.2, 0.5 }, { 0.9, 1.1 }, { 1.1, -0.9 } }, [1.0, -0.5, 0.3, 1.4, -1.2]),
        2,
        false);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "data", "batchSize", "sampling");
        LeastSquaresData data = ReadData(landscape.Required("data"));
        var (batch, without) = NetworkSampling.Read(landscape, data.Samples, LeastSquaresLandscapeSpec.MaxBatchSize);
        return new LeastSquaresLandscapeSpec(data, batch, without);
    }

    private static LeastSquaresData ReadData(JsonField field)
    {
        ObjectFields data = field.AsObject();
        data.RejectUnknown("file", "sha256", "generate", "rows");
        int given = (data.Has("file") ? 1 : 0) + (data.Has("generate") ? 1 : 0) + (data.Has("rows") ? 1 : 0);
        if (given != 1)
        {
            throw data.Error("give exactly one of \"file\" (a CSV file), \"generate\" (a teacher) or \"rows\" (inline samples)");
        }

        try
        {
            if (data.Optional("file") is { } file)
            {
                LeastSquaresData read = LeastSquaresData.FromCsv(file.AsFilePath());
                if (data.Optional("sha256") is { } pinned && !string.Equals(pinned.AsString(), read.Fingerprint(), StringComparison.OrdinalIgnoreCase))
                {
                    throw pinned.Error($"the data file has changed: its samples hash to {read.Fingerprint()}, the scenario pins {pinned.AsString()}");
                }

                return read;
            }

            if (data.Optional("sha256") is { } stray)
            {
                throw stray.Error("only a data file is pinned by its hash");
            }

            if (data.Optional("rows") is { } rowsField)
            {
                var rows = rowsField.AsArray();
                if (rows.Count < 1)
                {
                    throw rowsField.Error("no samples");
                }

                var first = rows[0].AsVectorOfLength(2, Limits.MaxDimension + 1);
                int columns = first.Count;
                var features = new double[rows.Count, columns - 1];
                var targets = new double[rows.Count];
                for (int i = 0; i < rows.Count; i++)
                {
                    var row = rows[i].AsVector(columns, $"every row has the {columns} columns of the first (features then target)");
                    for (int f = 0; f < columns - 1; f++)
                    {
                        features[i, f] = row[f];
                    }

                    targets[i] = row[columns - 1];
                }

                return LeastSquaresData.FromArrays(features, targets);
            }

            return LeastSquaresData.Generate(ReadGenerated(data.Required("generate").AsObject()));
        }
        catch (LeastSquaresDataException e)
        {
            throw new ScenarioException(field.Path, e.Message, innerException: e);
        }
    }

    private static LeastSquaresGenerated ReadGenerated(ObjectFields generate)
    {
        generate.RejectUnknown("samples", "featureCovariance", "teacher", "labelNoiseStd", "seed");
        int samples = (int)generate.Required("samples").AsInteger(1, LeastSquaresData.MaxGeneratedSamples);
        Vector<double> teacher = generate.Required("teacher").AsVectorOfLength(1, Limits.MaxDimension);
        Matrix<double> covariance = ScenarioFields.Covariance(generate.Required("featureCovariance"), teacher.Count, "F", "the length of the teacher");
        double noise = generate.Has("labelNoiseStd") ? ScenarioFields.NonNegative(generate, "labelNoiseStd") : 0.0;
        int seed = generate.Has("seed") ? (int)generate.Required("seed").AsInteger(0, int.MaxValue) : 0;
        return new LeastSquaresGenerated(samples, covariance, teacher, noise, seed);
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, LeastSquaresLandscapeSpec spec)
    {
        writer.WriteStartObject("data");
        switch (spec.Data.Source)
        {
            case LeastSquaresFile file:
                writer.WriteString("file", file.Path);
                writer.WriteString("sha256", spec.Data.Fingerprint());
                break;
            case LeastSquaresGenerated generated:
                writer.WriteStartObject("generate");
                writer.WriteNumber("samples", generated.Samples);
                ScenarioJson.WriteMatrix(writer, "featureCovariance", generated.FeatureCovariance);
                ScenarioJson.WriteVector(writer, "teacher", generated.Teacher);
                ScenarioJson.WriteNumber(writer, "labelNoiseStd", generated.LabelNoiseStd);
                writer.WriteNumber("seed", generated.Seed);
                writer.WriteEndObject();
                break;
            case LeastSquaresInline:
                ScenarioJson.WriteMatrix(writer, "rows", spec.Data.Features.Append(spec.Data.Targets.ToColumnMatrix()));
                break;
            default:
                throw new InvalidOperationException($"unknown least-squares data source {spec.Data.Source.GetType().Name}");
        }

        writer.WriteEndObject();
        NetworkSampling.Write(writer, spec.BatchSize, spec.WithoutReplacement);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(LeastSquaresLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(spec.Kernel(store));

    /// <inheritdoc/>
    /// <remarks>One step's kernel is a finite mixture of deterministic maps, one per minibatch, not a Gaussian.</remarks>
    public override bool GaussianNoise => false;

    /// <inheritdoc/>
    /// <remarks>
    /// The master equation's kernel is the mixture of the minibatch maps x ↦ (I − ηH_b)x + ηc_b
    /// (<see cref="FiniteDataMaps.LeastSquares"/>): exact over every multiset of B indices up to
    /// <see cref="MaxKernelMaps"/> of them, otherwise that many minibatches drawn with seed 1 (the run's summary carries
    /// the note). The Fokker–Planck equations take ḡ and Σ(x).
    /// </remarks>
    protected override GridLandscape Grid(LeastSquaresLandscapeSpec spec)
    {
        double[,] features = spec.Data.FeatureArray();
        double[] targets = spec.Data.Targets.ToArray();
        return GridLandscape.WrapFiniteData(new LeastSquaresField(spec), eta =>
        {
            var maps = FiniteDataMaps.LeastSquares(features, targets, spec.BatchSize, eta, MaxKernelMaps, seed: 1, out string? note);
            return new FiniteDataKernel(maps, note);
        });
    }

    /// <summary>The most minibatch maps of the master equation's kernel: 4096.</summary>
    public const int MaxKernelMaps = 4096;
}
