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

    /// <summary>Writes the gradient sample of step <paramref name="step"/> at <paramref name="x"/> into <paramref name="g"/>.</summary>
    void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>;
}
