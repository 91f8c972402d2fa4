using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>
/// An update rule of the optimizer dynamics, as a readonly struct so that every backend specialises the trajectory
/// code per rule (no runtime flag in the hot loop). Besides the position x a rule may keep
/// <see cref="AuxiliaryVectors"/> more state vectors of d coordinates each (a velocity, moment estimates, an SDE
/// integrator's stages), stored one after the other in the auxiliary view: vector j, coordinate i at <c>j·d + i</c>.
/// They start at 0. Implementations: <see cref="Sgd"/>, <see cref="HeavyBall"/>, and the SDE models' <see cref="ModifiedEquation"/>.
/// </summary>
public interface IDynamics
{
    /// <summary>Auxiliary state vectors beside x (0 for SGD, 1 for heavy ball).</summary>
    int AuxiliaryVectors { get; }

    /// <summary>Standard normals one step draws on <paramref name="landscape"/> (counter (step, ·, DynamicsStream)).</summary>
    int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape;

    /// <summary>Uniform variates one step draws on <paramref name="landscape"/>.</summary>
    int UniformsPerStep<TL>(in TL landscape) where TL : struct, ILandscape;

    /// <summary>Minibatch sample indices one step draws on <paramref name="landscape"/> (<see cref="ILandscape.Sampler"/>).</summary>
    int IndicesPerStep<TL>(in TL landscape) where TL : struct, ILandscape;

    /// <summary>
    /// Steps <paramref name="firstStep"/> … <paramref name="firstStep"/> + <paramref name="count"/> − 1 from state
    /// (x, <paramref name="auxiliary"/>); <paramref name="g"/> is d coordinates of scratch for the gradient samples, which
    /// the rule draws from <paramref name="landscape"/> with each step's normals. (The loop over steps is the rule's, so
    /// its constants are splatted once per call, outside the loop.)
    /// </summary>
    void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>;
}

/// <summary>Plain SGD: <c>x ← x − η g</c>, g the step's gradient sample at x.</summary>
public readonly struct Sgd : IDynamics
{
    private readonly float learningRate;

    /// <summary>SGD with learning rate η (float, as the kernels compute).</summary>
    public Sgd(float learningRate) => this.learningRate = learningRate;

    /// <summary>η.</summary>
    public float LearningRate => learningRate;

    /// <inheritdoc/>
    public int AuxiliaryVectors => 0;

    /// <inheritdoc/>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.NormalsPerStep;

    /// <inheritdoc/>
    public int UniformsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.UniformsPerStep;

    /// <inheritdoc/>
    public int IndicesPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.Sampler.IndicesPerStep;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        int d = landscape.Dimension;
        T minusEta = T.Splat(-learningRate);
        for (uint k = 0; k < count; k++)
        {
            landscape.Gradient<T, TS, TN>(x, g, normals, firstStep + k);
            for (int i = 0; i < d; i++)
            {
                x.Set(i, T.MulAdd(minusEta, g.Get(i), x.Get(i)));
            }
        }
    }
}

/// <summary>Heavy-ball momentum: <c>v ← β v − η g; x ← x + v</c>, v₀ = 0 (auxiliary vector 0 is v).</summary>
public readonly struct HeavyBall : IDynamics
{
    private readonly float learningRate;
    private readonly float momentum;

    /// <summary>Heavy ball with learning rate η and momentum β (floats, as the kernels compute).</summary>
    public HeavyBall(float learningRate, float momentum)
    {
        this.learningRate = learningRate;
        this.momentum = momentum;
    }

    /// <summary>η.</summary>
    public float LearningRate => learningRate;

    /// <summary>β.</summary>
    public float Momentum => momentum;

    /// <inheritdoc/>
    public int AuxiliaryVectors => 1;

    /// <inheritdoc/>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.NormalsPerStep;

    /// <inheritdoc/>
    public int UniformsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.UniformsPerStep;

    /// <inheritdoc/>
    public int IndicesPerStep<TL>(in TL landscape) where TL : struct, ILandscape => landscape.Sampler.IndicesPerStep;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        int d = landscape.Dimension;
        T minusEta = T.Splat(-learningRate);
        T beta = T.Splat(momentum);
        for (uint k = 0; k < count; k++)
        {
            landscape.Gradient<T, TS, TN>(x, g, normals, firstStep + k);
            for (int i = 0; i < d; i++)
            {
                T vi = T.MulAdd(beta, auxiliary.Get(i), T.Mul(minusEta, g.Get(i)));
                auxiliary.Set(i, vi);
                x.Set(i, T.Add(x.Get(i), vi));
            }
        }
    }
}
