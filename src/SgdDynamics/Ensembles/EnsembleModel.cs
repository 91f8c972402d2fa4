using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Problems;

namespace SgdDynamics.Ensembles;

/// <summary>Which landscape struct the ensemble kernels run (backends dispatch on it once per run).</summary>
public enum EnsembleLandscapeKind
{
    /// <summary><see cref="QuadraticLandscape{TP}"/> with the model's float parameters.</summary>
    Quadratic,

    /// <summary><see cref="Kernels.Landscapes.DoubleWellLandscape"/>.</summary>
    DoubleWell,

    /// <summary><see cref="Kernels.Landscapes.RingValleyLandscape"/>.</summary>
    RingValley,
}

/// <summary>
/// A <see cref="Problem"/> in the form the kernels take: which landscape struct to run
/// (<see cref="LandscapeKind"/>), for a quadratic its float32 parameters (row-major) and the shape of each
/// matrix (so zero, diagonal and triangular structure costs nothing), for the double well and the ring valley
/// the landscape structs themselves, optimizer constants and the recording schedule. Trajectory states are float32; every statistic is accumulated in double and exact
/// fixed point.
/// </summary>
public sealed class EnsembleModel
{
    private EnsembleModel(Problem problem)
    {
        Problem = problem;
        Dimension = problem.Dimension;
        switch (problem.Landscape)
        {
            case QuadraticLandscapeSpec landscape:
                LandscapeKind = EnsembleLandscapeKind.Quadratic;
                Hessian = RowMajor(landscape.Hessian);
                DiagonalHessian = ShapeOf(landscape.Hessian) <= MatrixShape.Diagonal;
                LinearTerm = landscape.LinearTerm.Select(v => (float)v).ToArray();
                HasLinearTerm = LinearTerm.Any(v => v != 0f);
                NoiseFactor = RowMajor(landscape.NoiseFactor);
                NoiseShape = ShapeOf(landscape.NoiseFactor);
                CurvatureStd = landscape.CurvatureNoiseStd.Select(v => (float)v).ToArray();
                HasCurvatureNoise = CurvatureStd.Any(v => v != 0f);
                NormalsPerStep = (HasCurvatureNoise ? Dimension : 0) + (NoiseShape != MatrixShape.Zero ? Dimension : 0);
                break;
            case DoubleWellLandscapeSpec doubleWell:
                LandscapeKind = EnsembleLandscapeKind.DoubleWell;
                DoubleWell = new DoubleWellLandscape(doubleWell.NoiseStd);
                NormalsPerStep = DoubleWell.NormalsPerStep;
                break;
            case RingValleyLandscapeSpec ringValley:
                LandscapeKind = EnsembleLandscapeKind.RingValley;
                RingValley = new RingValleyLandscape(ringValley.Dimension, ringValley.Curvature, ringValley.NoiseStd);
                NormalsPerStep = RingValley.NormalsPerStep;
                break;
            default:
                throw new ArgumentException($"the ensemble kernels cannot run landscape type '{problem.Landscape.TypeName}'", nameof(problem));
        }

        InitialMean = problem.Initial.Mean.Select(v => (float)v).ToArray();
        InitialFactor = RowMajor(problem.Initial.Factor);
        InitialShape = ShapeOf(problem.Initial.Factor);
        Optimizer = new OptimizerParameters(
            (float)problem.Optimizer.LearningRate,
            (float)problem.Optimizer.Momentum,
            problem.Optimizer.Kind == OptimizerKind.Momentum);
        DivergenceBound = (float)problem.Ensemble.DivergenceThreshold;
        Seed = problem.Ensemble.Seed;
        RecordSteps = problem.RecordSteps.ToArray();
    }

    /// <summary>The problem this model was made from.</summary>
    public Problem Problem { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Which landscape struct the kernels run.</summary>
    public EnsembleLandscapeKind LandscapeKind { get; }

    /// <summary>The double-well struct (meaningful when <see cref="LandscapeKind"/> is <see cref="EnsembleLandscapeKind.DoubleWell"/>).</summary>
    public DoubleWellLandscape DoubleWell { get; }

    /// <summary>The ring-valley struct (meaningful when <see cref="LandscapeKind"/> is <see cref="EnsembleLandscapeKind.RingValley"/>).</summary>
    public RingValleyLandscape RingValley { get; }

    /// <summary>H, row-major (empty unless the landscape is quadratic).</summary>
    public float[] Hessian { get; } = [];

    /// <summary>True when H is diagonal.</summary>
    public bool DiagonalHessian { get; }

    /// <summary>b (empty unless the landscape is quadratic).</summary>
    public float[] LinearTerm { get; } = [];

    /// <summary>True when b ≠ 0.</summary>
    public bool HasLinearTerm { get; }

    /// <summary>L with L Lᵀ = Σ, row-major (empty unless the landscape is quadratic).</summary>
    public float[] NoiseFactor { get; } = [];

    /// <summary><see cref="MatrixShape"/> of L.</summary>
    public int NoiseShape { get; }

    /// <summary>Curvature-noise standard deviations a (empty unless the landscape is quadratic).</summary>
    public float[] CurvatureStd { get; } = [];

    /// <summary>True when a ≠ 0.</summary>
    public bool HasCurvatureNoise { get; }

    /// <summary>Initial mean.</summary>
    public float[] InitialMean { get; }

    /// <summary>Initial covariance factor, row-major.</summary>
    public float[] InitialFactor { get; }

    /// <summary><see cref="MatrixShape"/> of the initial factor (zero for a point start).</summary>
    public int InitialShape { get; }

    /// <summary>Optimizer constants.</summary>
    public OptimizerParameters Optimizer { get; }

    /// <summary>Divergence threshold on |x_i|.</summary>
    public float DivergenceBound { get; }

    /// <summary>Philox key word 0.</summary>
    public uint Seed { get; }

    /// <summary>Recorded steps (0 first, the last step last).</summary>
    public int[] RecordSteps { get; }

    /// <summary>Statistics per record (see <see cref="Kernels.Statistics.TileLayout.Statistics"/>).</summary>
    public int StatisticCount => Kernels.Statistics.TileLayout.StatisticCount(Dimension);

    /// <summary>Normals drawn per step and trajectory (the landscape struct's <see cref="ILandscape.NormalsPerStep"/>).</summary>
    public int NormalsPerStep { get; }

    /// <summary>Largest dimension the kernels support (statistic codes hold coordinates in 8 bits; scenarios allow 64).</summary>
    public const int MaxDimension = 64;

    /// <summary>Converts a validated problem.</summary>
    public static EnsembleModel From(Problem problem)
    {
        if (problem.Dimension < 1 || problem.Dimension > MaxDimension)
        {
            throw new ArgumentOutOfRangeException(nameof(problem), $"dimension must be between 1 and {MaxDimension} (got {problem.Dimension})");
        }

        return new(problem);
    }

    private static float[] RowMajor(Matrix<double> m)
    {
        var a = new float[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++)
        {
            for (int j = 0; j < m.ColumnCount; j++)
            {
                a[i * m.ColumnCount + j] = (float)m[i, j];
            }
        }

        return a;
    }

    /// <summary>The cheapest <see cref="MatrixShape"/> that holds every nonzero entry (as float).</summary>
    private static int ShapeOf(Matrix<double> m)
    {
        bool offDiagonal = false, upper = false, any = false;
        for (int i = 0; i < m.RowCount; i++)
        {
            for (int j = 0; j < m.ColumnCount; j++)
            {
                if ((float)m[i, j] == 0f)
                {
                    continue;
                }

                any = true;
                offDiagonal |= i != j;
                upper |= j > i;
            }
        }

        if (!any)
        {
            return MatrixShape.Zero;
        }

        if (!offDiagonal)
        {
            return MatrixShape.Diagonal;
        }

        return upper ? MatrixShape.Dense : MatrixShape.LowerTriangular;
    }
}
