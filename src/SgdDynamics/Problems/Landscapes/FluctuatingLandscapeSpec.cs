using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;
using SgdDynamics.Theory;

namespace SgdDynamics.Problems;

/// <summary>
/// A randomly fluctuating 1-D landscape: one step's gradient is
/// <c>g(x) = m(x) + e(x) · Σ_{k=1..K} A_k u_k cos(2πk x/P + π v_k)</c>, with the mean gradient
/// <c>m(x) = Σ_j c_j x^j</c> (<paramref name="MeanGradient"/> c₀, c₁, …), the envelope <c>e(x) = Σ_j e_j x^j</c>
/// (<paramref name="Envelope"/>), amplitudes A₁ … A_K and period P; u_k, v_k independent uniform on (−1, 1), fresh every
/// step and trajectory. The gradient noise has mean 0 and variance <c>D(x) = e(x)² Σ A_k²/6</c>. Runs
/// <see cref="FluctuatingLandscape{TP}"/>.
/// </summary>
/// <param name="MeanGradient">c₀, c₁, … (at least one).</param>
/// <param name="Envelope">e₀, e₁, … (at least one).</param>
/// <param name="Amplitudes">A₁ … A_K (K ≥ 1).</param>
/// <param name="Period">P &gt; 0.</param>
public sealed record FluctuatingLandscapeSpec(Vector<double> MeanGradient, Vector<double> Envelope, Vector<double> Amplitudes, double Period) : LandscapeSpec
{
    /// <summary>The most polynomial coefficients of the mean gradient or the envelope.</summary>
    public const int MaxCoefficients = 16;

    /// <summary>The most modes K.</summary>
    public const int MaxModes = 256;

    /// <summary>Always 1.</summary>
    public override int Dimension => 1;

    /// <summary>The mean gradient m(x).</summary>
    public double MeanGradientAt(double x) => FluctuatingField.Polynomial(MeanGradient.ToArray(), x);

    /// <summary>The envelope e(x).</summary>
    public double EnvelopeAt(double x) => FluctuatingField.Polynomial(Envelope.ToArray(), x);

    /// <summary>The gradient-noise variance <c>D(x) = e(x)² Σ A_k²/6</c>.</summary>
    public double NoiseVarianceAt(double x)
    {
        double e = EnvelopeAt(x);
        return e * e * Amplitudes.Sum(a => a * a) / 6;
    }

    /// <summary>The kernel struct with its coefficients in <paramref name="store"/>.</summary>
    public FluctuatingLandscape<TP> Kernel<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        return new FluctuatingLandscape<TP>(
            store.Store(Floats(MeanGradient)), MeanGradient.Count,
            store.Store(Floats(Envelope)), Envelope.Count,
            store.Store(Floats(Amplitudes)), Amplitudes.Count,
            Period,
            Math.Sqrt(Amplitudes.Sum(a => a * a) / 6));
    }

    private static float[] Floats(Vector<double> values) => [.. values.Select(v => (float)v)];
}

/// <summary>
/// The grid form of the fluctuating landscape, on the host: ḡ(x) = m(x), Σ(x) = D(x) = e(x)² Σ A_k²/6, and the loss
/// L(x) = Σ_j c_j x^{j+1}/(j + 1), in double precision.
/// </summary>
public readonly struct FluctuatingField : IGridField
{
    private readonly double[] mean;
    private readonly double[] envelope;
    private readonly double modeVariance;

    /// <summary>The field of <paramref name="spec"/>.</summary>
    public FluctuatingField(FluctuatingLandscapeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        mean = spec.MeanGradient.ToArray();
        envelope = spec.Envelope.ToArray();
        modeVariance = spec.Amplitudes.Sum(a => a * a) / 6;
    }

    /// <inheritdoc/>
    public int Dimension => 1;

    /// <inheritdoc/>
    public void Field(double x0, double x1, out double g0, out double g1, out double s00, out double s01, out double s11)
    {
        g0 = Polynomial(mean, x0);
        double e = Polynomial(envelope, x0);
        s00 = e * e * modeVariance;
        g1 = 0;
        s01 = 0;
        s11 = 0;
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        double p = 0;
        for (int j = mean.Length - 1; j >= 0; j--)
        {
            p = (p * x0) + (mean[j] / (j + 1));
        }

        return p * x0;
    }

    /// <summary>Σ_j c_j x^j by Horner's rule.</summary>
    public static double Polynomial(ReadOnlySpan<double> coefficients, double x)
    {
        double p = coefficients[^1];
        for (int j = coefficients.Length - 2; j >= 0; j--)
        {
            p = (p * x) + coefficients[j];
        }

        return p;
    }
}

/// <summary>Registration of <c>"fluctuating"</c>.</summary>
public sealed class FluctuatingLandscapeRegistration : LandscapeRegistration<FluctuatingLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "fluctuating";

    /// <inheritdoc/>
    public override string DimensionReason => "the fluctuating landscape is 1-dimensional";

    /// <summary>
    /// m(x) = 0.1 + x + 0.1x³, e(x) = 1 + 0.1x², A_k = 0.5/k² for k = 1 … 20, P = 2: the rough modes of Gess, Kassing and
    /// Konarovskyi's experiment on a tamer mean gradient, stable for every registered update rule's example constants
    /// (examples/fluctuating-rough.json has their landscape).
    /// </summary>
    public override LandscapeSpec Example { get; } = new FluctuatingLandscapeSpec(
        Vector<double>.Build.DenseOfArray([0.1, 1, 0, 0.1]),
        Vector<double>.Build.DenseOfArray([1, 0, 0.1]),
        Vector<double>.Build.Dense(20, k => 0.5 / ((k + 1.0) * (k + 1.0))),
        2.0);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "meanGradient", "envelope", "amplitudes", "period");
        Vector<double> mean = landscape.Required("meanGradient").AsVectorOfLength(1, FluctuatingLandscapeSpec.MaxCoefficients);
        Vector<double> envelope = landscape.Required("envelope").AsVectorOfLength(1, FluctuatingLandscapeSpec.MaxCoefficients);
        Vector<double> amplitudes = landscape.Required("amplitudes").AsVectorOfLength(1, FluctuatingLandscapeSpec.MaxModes);
        double period = ScenarioFields.Positive(landscape, "period");
        CheckFloat(landscape, "meanGradient", mean);
        CheckFloat(landscape, "envelope", envelope);
        CheckFloat(landscape, "amplitudes", amplitudes);
        if (!float.IsNormal((float)(1.0 / period)))
        {
            throw new ScenarioException(JsonField.ChildPath(landscape.Path, "period"), $"1/period must be a normal float (got period {NumberText.Format(period)})");
        }

        return new FluctuatingLandscapeSpec(mean, envelope, amplitudes, period);
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, FluctuatingLandscapeSpec spec)
    {
        ScenarioJson.WriteVector(writer, "meanGradient", spec.MeanGradient);
        ScenarioJson.WriteVector(writer, "envelope", spec.Envelope);
        ScenarioJson.WriteVector(writer, "amplitudes", spec.Amplitudes);
        ScenarioJson.WriteNumber(writer, "period", spec.Period);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(FluctuatingLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(spec.Kernel(store));

    /// <inheritdoc/>
    /// <remarks>
    /// One step from x is x − η m(x) − η e(x) S with S's law the same at every x (<see cref="FluctuatingNoiseLaw"/>), not a
    /// Gaussian: the master equation runs that kernel (<see cref="ShapedMasterEquationSolver"/>, on the host), the
    /// Fokker–Planck equations take m(x) and D(x).
    /// </remarks>
    public override bool GaussianNoise => false;

    /// <inheritdoc/>
    protected override GridLandscape Grid(FluctuatingLandscapeSpec spec)
    {
        double bound = spec.Amplitudes.Sum(Math.Abs);
        var law = FluctuatingNoiseLaw.Of(spec.Amplitudes.ToArray(), bound / LatticePoints);
        var field = new FluctuatingField(spec);
        double[] mean = spec.MeanGradient.ToArray(), envelope = spec.Envelope.ToArray();
        return GridLandscape.Wrap(field, new ShapedNoise(x => FluctuatingField.Polynomial(mean, x), x => FluctuatingField.Polynomial(envelope, x), law, bound));
    }

    /// <summary>The law of S is computed on a lattice of spacing Σ|A_k| / 4096 (8193 points).</summary>
    public const int LatticePoints = 4096;

    /// <summary>The kernel computes in float: every coefficient must be a finite float.</summary>
    private static void CheckFloat(ObjectFields landscape, string name, Vector<double> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!float.IsFinite((float)values[i]))
            {
                throw new ScenarioException($"{JsonField.ChildPath(landscape.Path, name)}[{i}]", $"must be within the float range ±3.4e38 (got {NumberText.Format(values[i])})");
            }
        }
    }
}
