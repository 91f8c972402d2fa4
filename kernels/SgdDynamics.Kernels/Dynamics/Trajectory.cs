using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>Gaussian initial law x₀ = μ + A z (A of <see cref="MatrixShape"/> <see cref="FactorShape"/>; zero for a point start).</summary>
public readonly struct GaussianStart<TP> where TP : struct, IParameters
{
    /// <summary>Dimension d.</summary>
    public readonly int Dimension;

    /// <summary>Shape of the factor A; <see cref="MatrixShape.Zero"/> for a point start.</summary>
    public readonly int FactorShape;

    /// <summary>Mean μ.</summary>
    public readonly TP Mean;

    /// <summary>Factor A (d × d row-major) with A Aᵀ the initial covariance.</summary>
    public readonly TP Factor;

    /// <summary>Creates the initial law.</summary>
    public GaussianStart(int dimension, int factorShape, TP mean, TP factor)
    {
        Dimension = dimension;
        FactorShape = factorShape;
        Mean = mean;
        Factor = factor;
    }
}

/// <summary>
/// One lane of trajectories, generic over lane, landscape, update rule (<see cref="IDynamics"/>), state storage and
/// random source: written once, run by every backend.
/// </summary>
public static class Trajectory
{
    /// <summary>
    /// Draws x₀ ~ N(μ, A Aᵀ) (normals from counter (0, sub, <see cref="Philox4x32.InitialStream"/>)) and sets the
    /// <paramref name="auxiliaryVectors"/>·d auxiliary coordinates (the dynamics' extra state) to 0.
    /// </summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Start<T, TS, TN, TP>(in GaussianStart<TP> start, TS x, TS auxiliary, int auxiliaryVectors, TN normals)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
        where TP : struct, IParameters
    {
        int d = start.Dimension;
        for (int i = 0; i < d; i++)
        {
            x.Set(i, T.Splat(start.Mean.Get(i)));
        }

        for (int i = 0; i < auxiliaryVectors * d; i++)
        {
            auxiliary.Set(i, T.Splat(0f));
        }

        if (start.FactorShape != MatrixShape.Zero)
        {
            var column = new FactorColumns<T, TS, TP>(x, start.Factor, d, start.FactorShape);
            NormalStream.Draw<T, TN, FactorColumns<T, TS, TP>>(normals, 0, Philox4x32.InitialStream, d, ref column);
        }
    }

    /// <summary>
    /// Runs steps <paramref name="firstStep"/> … <paramref name="firstStep"/> + <paramref name="count"/> − 1 of the update
    /// rule <paramref name="dynamics"/> on <paramref name="landscape"/> (g is scratch).
    /// </summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Advance<T, TL, TD, TS, TN>(in TL landscape, in TD dynamics, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TD : struct, IDynamics
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T> =>
        dynamics.Advance<T, TL, TS, TN>(landscape, x, auxiliary, g, normals, firstStep, count);

    /// <summary>
    /// Divergence check at a record: a trajectory with a NaN, an infinity or some |x_i| above
    /// <paramref name="bound"/> (or a non-finite auxiliary coordinate) is set to NaN in every coordinate of x and of the
    /// <paramref name="auxiliaryVectors"/>·d auxiliary ones, so it stays diverged and is counted, and excluded from the
    /// moments, at every later record.
    /// </summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MarkDiverged<T, TS>(TS x, TS auxiliary, int d, int auxiliaryVectors, float bound)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int extra = auxiliaryVectors * d;
        T flag = T.Splat(0f);
        for (int i = 0; i < d; i++)
        {
            flag = T.CountOutside(flag, x.Get(i), bound);
        }

        for (int i = 0; i < extra; i++)
        {
            flag = T.CountOutside(flag, auxiliary.Get(i), float.MaxValue);
        }

        for (int i = 0; i < d; i++)
        {
            x.Set(i, T.PoisonWhere(x.Get(i), flag));
        }

        for (int i = 0; i < extra; i++)
        {
            auxiliary.Set(i, T.PoisonWhere(auxiliary.Get(i), flag));
        }
    }

    private struct FactorColumns<T, TS, TP> : INormalConsumer<T>
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TP : struct, IParameters
    {
        private readonly TS x;
        private readonly TP factor;
        private readonly int d;
        private readonly int shape;

        public FactorColumns(TS x, TP factor, int d, int shape)
        {
            this.x = x;
            this.factor = factor;
            this.d = d;
            this.shape = shape;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accept(int n, T z) => NormalStream.AddColumn(x, factor, d, shape, n, z);
    }
}
