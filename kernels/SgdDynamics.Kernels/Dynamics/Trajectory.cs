using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>Optimizer constants as the kernels use them.</summary>
public readonly struct OptimizerParameters
{
    /// <summary>Learning rate η.</summary>
    public readonly float LearningRate;

    /// <summary>Heavy-ball momentum β (0 for SGD).</summary>
    public readonly float Momentum;

    /// <summary>1 for heavy-ball momentum (the velocity state is used), 0 for SGD (an int: ILGPU rejects bool fields in kernel parameters).</summary>
    public readonly int MomentumFlag;

    /// <summary>SGD (<paramref name="usesMomentum"/> false) or heavy-ball momentum with β = <paramref name="momentum"/>.</summary>
    public OptimizerParameters(float learningRate, float momentum, bool usesMomentum)
    {
        LearningRate = learningRate;
        Momentum = momentum;
        MomentumFlag = usesMomentum ? 1 : 0;
    }

    /// <summary>True for heavy-ball momentum.</summary>
    public bool UsesMomentum => MomentumFlag != 0;
}

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
/// The optimizer dynamics of one lane of trajectories, generic over lane, landscape, state storage and
/// random source: written once, run by every backend.
/// SGD: <c>x ← x − η g</c>; heavy-ball momentum: <c>v ← β v − η g; x ← x + v</c> (v₀ = 0).
/// </summary>
public static class Trajectory
{
    /// <summary>Draws x₀ ~ N(μ, A Aᵀ) (normals from counter (0, sub, <see cref="Philox4x32.InitialStream"/>)) and sets v₀ = 0.</summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Start<T, TS, TN, TP>(in GaussianStart<TP> start, TS x, TS v, bool usesMomentum, TN normals)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
        where TP : struct, IParameters
    {
        int d = start.Dimension;
        for (int i = 0; i < d; i++)
        {
            x.Set(i, T.Splat(start.Mean.Get(i)));
            if (usesMomentum)
            {
                v.Set(i, T.Splat(0f));
            }
        }

        if (start.FactorShape != MatrixShape.Zero)
        {
            var column = new FactorColumns<T, TS, TP>(x, start.Factor, d, start.FactorShape);
            NormalStream.Draw<T, TN, FactorColumns<T, TS, TP>>(normals, 0, Philox4x32.InitialStream, d, ref column);
        }
    }

    /// <summary>Runs steps <paramref name="firstStep"/> … <paramref name="firstStep"/> + <paramref name="count"/> − 1 (g is scratch).</summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Advance<T, TL, TS, TN>(in TL landscape, in OptimizerParameters optimizer, TS x, TS v, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        int d = landscape.Dimension;
        T minusEta = T.Splat(-optimizer.LearningRate);
        T beta = T.Splat(optimizer.Momentum);
        for (uint k = 0; k < count; k++)
        {
            landscape.Gradient<T, TS, TN>(x, g, normals, firstStep + k);
            if (optimizer.UsesMomentum)
            {
                for (int i = 0; i < d; i++)
                {
                    T vi = T.MulAdd(beta, v.Get(i), T.Mul(minusEta, g.Get(i)));
                    v.Set(i, vi);
                    x.Set(i, T.Add(x.Get(i), vi));
                }
            }
            else
            {
                for (int i = 0; i < d; i++)
                {
                    x.Set(i, T.MulAdd(minusEta, g.Get(i), x.Get(i)));
                }
            }
        }
    }

    /// <summary>
    /// Divergence check at a record: a trajectory with a NaN, an infinity or some |x_i| above
    /// <paramref name="bound"/> is set to NaN in every coordinate (and velocity), so it stays diverged and
    /// is counted, and excluded from the moments, at every later record.
    /// </summary>
    // Full optimisation at first call: the managed backend spends its time here, in one long call per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MarkDiverged<T, TS>(TS x, TS v, int d, bool usesMomentum, float bound)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T flag = T.Splat(0f);
        for (int i = 0; i < d; i++)
        {
            flag = T.CountOutside(flag, x.Get(i), bound);
            if (usesMomentum)
            {
                flag = T.CountOutside(flag, v.Get(i), float.MaxValue);
            }
        }

        for (int i = 0; i < d; i++)
        {
            x.Set(i, T.PoisonWhere(x.Get(i), flag));
            if (usesMomentum)
            {
                v.Set(i, T.PoisonWhere(v.Get(i), flag));
            }
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
