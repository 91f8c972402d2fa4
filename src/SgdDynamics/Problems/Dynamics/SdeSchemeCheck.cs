using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Problems;

/// <summary>Whether an SDE model's integration scheme applies to a landscape.</summary>
public static class SdeSchemeCheck
{
    /// <summary>
    /// Null when <paramref name="dynamics"/> runs on <paramref name="landscape"/>; otherwise why not: the weak order 2.0
    /// scheme takes landscapes of dimension 1 with one noise normal per step.
    /// </summary>
    public static string? Refusal(LandscapeSpec landscape, DynamicsSpec dynamics)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentNullException.ThrowIfNull(dynamics);
        if (dynamics is not ISdeModelSpec { Scheme: SdeScheme.WeakOrder2 })
        {
            return null;
        }

        int normals = ModelRegistry.For(landscape).Bind(landscape, new ZeroStore(), new NoiseNormalsOf());
        return landscape.Dimension == 1 && normals == 1
            ? null
            : $"the weakOrder2 scheme is written for one dimension and one noise normal per step; this '{landscape.TypeName}' landscape has dimension {landscape.Dimension} and {normals} noise normals (use eulerMaruyama with more substeps)";
    }

    private readonly struct Zero : IParameters
    {
        public float Get(int i) => 0f;
    }

    private sealed class ZeroStore : IParameterStore<Zero>
    {
        public Zero Store(float[] values) => default;
    }

    private sealed class NoiseNormalsOf : ILandscapeVisitor<int>
    {
        public int Visit<TL>(in TL landscape) where TL : struct, ILandscape => landscape.NoiseNormals;
    }
}
