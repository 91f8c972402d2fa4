using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>Adds isotropic additive gradient noise, <c>g_n += σ z_n</c>, one normal per coordinate.</summary>
internal struct IsotropicNoise<T, TS> : INormalConsumer<T>
    where T : struct, ILane<T>
    where TS : struct, IStateView<T>
{
    private readonly T std;
    private readonly TS g;

    public IsotropicNoise(float std, TS g)
    {
        this.std = T.Splat(std);
        this.g = g;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Accept(int n, T z) => g.Set(n, T.MulAdd(std, z, g.Get(n)));
}
