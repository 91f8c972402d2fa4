using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Tests.Kernels;

/// <summary>A state view over a float array, one coordinate per entry (host tests of kernel structs on <see cref="FloatLane"/>).</summary>
internal readonly struct FloatArrayView(float[] data) : IStateView<FloatLane>
{
    public FloatLane Get(int i) => new(data[i]);

    public void Set(int i, FloatLane value) => data[i] = value.Value;
}

/// <summary>
/// Normal k of every step is 1, every other normal 0: the Gaussian noise a landscape draws for this source is its noise
/// for the unit normal k, the k-th column of the linear map from normals to noise.
/// </summary>
internal readonly struct UnitNormal(int k) : INormalSource<FloatLane>
{
    private FloatLane At(uint sub, int place) => new((int)(4 * sub) + place == k ? 1f : 0f);

    public void Four(uint step, uint sub, uint stream, out FloatLane z0, out FloatLane z1, out FloatLane z2, out FloatLane z3)
    {
        z0 = At(sub, 0);
        z1 = At(sub, 1);
        z2 = At(sub, 2);
        z3 = At(sub, 3);
    }

    public void Two(uint step, uint sub, uint stream, out FloatLane z0, out FloatLane z1)
    {
        z0 = At(sub, 0);
        z1 = At(sub, 1);
    }

    public void Uniforms(uint step, uint sub, out FloatLane u0, out FloatLane u1, out FloatLane u2, out FloatLane u3) =>
        throw new InvalidOperationException("a unit normal source has no uniform variates");

    public FloatLane Index(IndexSampler sampler, uint step, int j) => throw new InvalidOperationException("a unit normal source has no minibatch indices");
}
