using SgdDynamics.Kernels.Lanes;

namespace SgdDynamics.Kernels.Random;

/// <summary>
/// Standard normals of one lane of trajectories, addressed by a Philox counter (step, sub, stream, 0):
/// one counter gives four normals, z0/z1 from output words (r0, r1) and z2/z3 from (r2, r3) by
/// <see cref="BoxMuller"/>. Normal number n of a step is z_(n mod 4) of sub-block n / 4.
/// </summary>
public interface INormalSource<T> where T : struct, ILane<T>
{
    /// <summary>The four normals of counter (step, sub, stream, 0).</summary>
    void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3);

    /// <summary>The first two normals of counter (step, sub, stream, 0) (skips the second Box–Muller pair).</summary>
    void Two(uint step, uint sub, uint stream, out T z0, out T z1);
}

/// <summary>Normals of a single trajectory: Philox key (seed, trajectory index).</summary>
public readonly struct PhiloxNormals<T> : INormalSource<T> where T : struct, IScalarLane<T>
{
    private readonly uint seed;
    private readonly uint trajectory;

    /// <summary>Normals of trajectory <paramref name="trajectory"/> under <paramref name="seed"/>.</summary>
    public PhiloxNormals(uint seed, uint trajectory)
    {
        this.seed = seed;
        this.trajectory = trajectory;
    }

    /// <inheritdoc/>
    public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3)
    {
        Words4 r = Philox4x32.Generate(new Words4(step, sub, stream, 0), seed, trajectory);
        BoxMuller.Pair(r.W0, r.W1, out z0, out z1);
        BoxMuller.Pair(r.W2, r.W3, out z2, out z3);
    }

    /// <inheritdoc/>
    public void Two(uint step, uint sub, uint stream, out T z0, out T z1)
    {
        Words4 r = Philox4x32.Generate(new Words4(step, sub, stream, 0), seed, trajectory);
        BoxMuller.Pair(r.W0, r.W1, out z0, out z1);
    }
}
