using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Quadratic landscape with noisy gradients. One step's gradient at x is
/// <c>g = (H + diag(a ⊙ ζ)) x + b + L ξ</c>, ζ, ξ independent standard normal vectors,
/// Σ = L Lᵀ the gradient-noise covariance and a the per-coordinate curvature-noise std.
/// Runs <see cref="QuadraticLandscape{TP}"/>; on grids <see cref="QuadraticField"/>.
/// </summary>
/// <param name="Hessian">Symmetric mean Hessian H (d × d).</param>
/// <param name="LinearTerm">Linear term b (the gradient at 0 is b).</param>
/// <param name="NoiseCovariance">Gradient-noise covariance Σ (positive semidefinite).</param>
/// <param name="NoiseFactor">A factor L with L Lᵀ = Σ (lower triangular when <paramref name="NoiseFactorIsLowerTriangular"/>).</param>
/// <param name="NoiseFactorIsLowerTriangular">True when <paramref name="NoiseFactor"/> is lower triangular (a Cholesky factor).</param>
/// <param name="CurvatureNoiseStd">Per-coordinate curvature-noise standard deviation a.</param>
public sealed record QuadraticLandscapeSpec(
    Matrix<double> Hessian,
    Vector<double> LinearTerm,
    Matrix<double> NoiseCovariance,
    Matrix<double> NoiseFactor,
    bool NoiseFactorIsLowerTriangular,
    Vector<double> CurvatureNoiseStd) : LandscapeSpec
{
    /// <summary>Dimension d of the parameter space.</summary>
    public override int Dimension => Hessian.RowCount;
}

/// <summary>
/// The float32 parameters of a <see cref="QuadraticLandscapeSpec"/> as <see cref="QuadraticLandscape{TP}"/> takes them:
/// row-major matrices and the <see cref="MatrixShape"/> of each, so zero, diagonal and triangular structure costs nothing.
/// </summary>
public sealed class QuadraticKernelParameters
{
    /// <summary>Converts the spec.</summary>
    public QuadraticKernelParameters(QuadraticLandscapeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Dimension = spec.Dimension;
        Hessian = KernelMatrix.RowMajor(spec.Hessian);
        DiagonalHessian = KernelMatrix.ShapeOf(spec.Hessian) <= MatrixShape.Diagonal;
        LinearTerm = KernelMatrix.Floats(spec.LinearTerm);
        HasLinearTerm = LinearTerm.Any(v => v != 0f);
        NoiseFactor = KernelMatrix.RowMajor(spec.NoiseFactor);
        NoiseShape = KernelMatrix.ShapeOf(spec.NoiseFactor);
        CurvatureStd = KernelMatrix.Floats(spec.CurvatureNoiseStd);
        HasCurvatureNoise = CurvatureStd.Any(v => v != 0f);
    }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>H, row-major.</summary>
    public float[] Hessian { get; }

    /// <summary>True when H is diagonal (as float).</summary>
    public bool DiagonalHessian { get; }

    /// <summary>b.</summary>
    public float[] LinearTerm { get; }

    /// <summary>True when b ≠ 0.</summary>
    public bool HasLinearTerm { get; }

    /// <summary>L with L Lᵀ = Σ, row-major.</summary>
    public float[] NoiseFactor { get; }

    /// <summary><see cref="MatrixShape"/> of L.</summary>
    public int NoiseShape { get; }

    /// <summary>Curvature-noise standard deviations a.</summary>
    public float[] CurvatureStd { get; }

    /// <summary>True when a ≠ 0.</summary>
    public bool HasCurvatureNoise { get; }

    /// <summary>The kernel struct with its parameter arrays in <paramref name="store"/>.</summary>
    public QuadraticLandscape<TP> Bind<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        return new QuadraticLandscape<TP>(
            Dimension, DiagonalHessian, store.Store(Hessian), HasLinearTerm, store.Store(LinearTerm),
            NoiseShape, store.Store(NoiseFactor), HasCurvatureNoise, store.Store(CurvatureStd));
    }
}

/// <summary>Registration of <c>"quadratic"</c> (also the default when a scenario gives no <c>type</c>).</summary>
public sealed class QuadraticLandscapeRegistration : LandscapeRegistration<QuadraticLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "quadratic";

    /// <inheritdoc/>
    public override string DimensionReason => "the dimension of the hessian";

    /// <inheritdoc/>
    public override LandscapeSpec Example { get; } = ProblemBuilder.QuadraticLandscape(
        new[,] { { 2.0, 0.5 }, { 0.5, 1.0 } }, new[,] { { 1.0, 0.3 }, { 0.3, 0.5 } }, [0.1, 0.0], [0.3, 0.0]);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "hessian", "linearTerm", "gradientNoiseCovariance", "curvatureNoiseStd");

        var hessianField = landscape.Required("hessian");
        var hessian = hessianField.AsSquareMatrixDefiningSize(Limits.MaxDimension, "hessian");
        hessian = ScenarioFields.Symmetrized(hessian, hessianField, "H");
        int d = hessian.RowCount;

        var linearTerm = landscape.Optional("linearTerm")?.AsVector(d, DimensionReason)
            ?? Vector<double>.Build.Dense(d);

        var noiseCovariance = landscape.Optional("gradientNoiseCovariance") is { } sigmaField
            ? ScenarioFields.Covariance(sigmaField, d, "Sigma", DimensionReason)
            : Matrix<double>.Build.Dense(d, d);

        var curvatureNoiseStd = Vector<double>.Build.Dense(d);
        if (landscape.Optional("curvatureNoiseStd") is { } stdField)
        {
            curvatureNoiseStd = stdField.AsVector(d, DimensionReason);
            ScenarioFields.RequireNonNegative(stdField, curvatureNoiseStd);
        }

        var (factor, lowerTriangular) = CovarianceFactor.Compute(noiseCovariance);
        return new QuadraticLandscapeSpec(hessian, linearTerm, noiseCovariance, factor, lowerTriangular, curvatureNoiseStd);
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, QuadraticLandscapeSpec spec)
    {
        ScenarioJson.WriteMatrix(writer, "hessian", spec.Hessian);
        ScenarioJson.WriteVector(writer, "linearTerm", spec.LinearTerm);
        ScenarioJson.WriteMatrix(writer, "gradientNoiseCovariance", spec.NoiseCovariance);
        ScenarioJson.WriteVector(writer, "curvatureNoiseStd", spec.CurvatureNoiseStd);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(QuadraticLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(new QuadraticKernelParameters(spec).Bind(store));

    /// <inheritdoc/>
    protected override GridLandscape Grid(QuadraticLandscapeSpec spec)
    {
        int d = spec.Dimension;
        if (d is not (1 or 2))
        {
            throw new ArgumentException($"grid solvers take landscapes of dimension 1 or 2 (got {d})", nameof(spec));
        }

        double At(int i, int j, Matrix<double> m) => i < d && j < d ? m[i, j] : 0;
        double Of(int i, Vector<double> v) => i < d ? v[i] : 0;
        return GridLandscape.Wrap(new QuadraticField(
            d,
            At(0, 0, spec.Hessian), At(0, 1, spec.Hessian), At(1, 1, spec.Hessian),
            Of(0, spec.LinearTerm), Of(1, spec.LinearTerm),
            At(0, 0, spec.NoiseCovariance), At(0, 1, spec.NoiseCovariance), At(1, 1, spec.NoiseCovariance),
            Of(0, spec.CurvatureNoiseStd), Of(1, spec.CurvatureNoiseStd)));
    }
}
