using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// A loss landscape with a random minibatch: the gradient of one step's random loss L_b at x, for any lane.
/// Implementations are readonly structs so ILGPU specialises one kernel per landscape.
/// </summary>
public interface ILandscape
{
    /// <summary>Dimension d.</summary>
    int Dimension { get; }

    /// <summary>Standard normals one gradient sample draws.</summary>
    int NormalsPerStep { get; }

    /// <summary>Uniform variates on (−1, 1) one gradient sample draws (<see cref="INormalSource{T}.Uniforms"/>).</summary>
    int UniformsPerStep { get; }

    /// <summary>
    /// Coordinates of the gradient view beyond the first d that <see cref="Gradient"/> may use as scratch: every backend
    /// gives g <see cref="Dimension"/> + this many coordinates (0 for most landscapes; least squares keeps the gathered
    /// row of a sample there). Update rules read and write only the first d. The SDE models call <see cref="MeanGradient"/> and
    /// <see cref="AddGaussianNoise"/> on views of exactly d coordinates (offsets into their auxiliary vectors), so those two
    /// must not use scratch (<see cref="MlpLandscape{TP}"/> does, and is not yet registered).
    /// </summary>
    int ScratchCoordinates { get; }

    /// <summary>How the landscape draws its minibatch indices (<see cref="IndexSampler.None"/> for a landscape without data).</summary>
    IndexSampler Sampler { get; }

    /// <summary>Writes the gradient sample of step <paramref name="step"/> at <paramref name="x"/> into <paramref name="g"/>.</summary>
    void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>;

    /// <summary>Writes the mean gradient ḡ(x) = E_b ∇L_b(x) into <paramref name="g"/> (what the SDE models drift along).</summary>
    void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>;

    /// <summary>Standard normals <see cref="AddGaussianNoise"/> draws.</summary>
    int NoiseNormals { get; }

    /// <summary>
    /// Adds a sample of N(0, Σ(x)), Σ(x) the gradient-noise covariance at <paramref name="x"/>, to <paramref name="g"/>, from
    /// normals 0 … <see cref="NoiseNormals"/> − 1 of counter (step, ·, <see cref="Philox4x32.DynamicsStream"/>): the
    /// Gaussian noise of the SDE models. Where the landscape's own noise is Gaussian this is exactly the noise of
    /// <see cref="Gradient"/> (which is <see cref="MeanGradient"/> then this); elsewhere a Gaussian of the same covariance.
    /// </summary>
    void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>;
}
