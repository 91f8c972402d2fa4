using SgdDynamics.Kernels.Lanes;

namespace SgdDynamics.Kernels.Random;

/// <summary>
/// The random variates of one lane of trajectories, addressed by a Philox counter (step, sub, stream, 0). Standard
/// normals: one counter gives four, z0/z1 from output words (r0, r1) and z2/z3 from (r2, r3) by <see cref="BoxMuller"/>;
/// normal number n of a step is z_(n mod 4) of sub-block n / 4. Uniform variates on (−1, 1): counter (step, sub,
/// <see cref="Philox4x32.UniformStream"/>, 0) gives four, one per output word (<see cref="UniformVariate.FromWord"/>);
/// uniform number n of a step is u_(n mod 4) of sub-block n / 4.
/// </summary>
public interface INormalSource<T> where T : struct, ILane<T>
{
    /// <summary>The four uniform variates on (−1, 1) of counter (step, sub, <see cref="Philox4x32.UniformStream"/>, 0).</summary>
    void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3);

    /// <summary>The four normals of counter (step, sub, stream, 0).</summary>
    void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3);

    /// <summary>The first two normals of counter (step, sub, stream, 0) (skips the second Box–Muller pair).</summary>
    void Two(uint step, uint sub, uint stream, out T z0, out T z1);

    /// <summary>
    /// Sample index <paramref name="j"/> (0 ≤ j &lt; B) of step <paramref name="step"/>'s minibatch under
    /// <paramref name="sampler"/> (<see cref="IndexSampler.Index"/>), as an exact float in every lane.
    /// </summary>
    T Index(IndexSampler sampler, uint step, int j);
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

    /// <inheritdoc/>
    public void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3)
    {
        Words4 r = Philox4x32.Generate(new Words4(step, sub, Philox4x32.UniformStream, 0), seed, trajectory);
        u0 = T.Splat(UniformVariate.FromWord(r.W0));
        u1 = T.Splat(UniformVariate.FromWord(r.W1));
        u2 = T.Splat(UniformVariate.FromWord(r.W2));
        u3 = T.Splat(UniformVariate.FromWord(r.W3));
    }

    /// <inheritdoc/>
    public T Index(IndexSampler sampler, uint step, int j) => T.Splat(sampler.Index(seed, trajectory, step, j));
}

/// <summary>
/// A uniform variate on (−1, 1) from a 32-bit word: its top 23 bits k give <c>u = (2k + 1 − 2²³)·2⁻²³</c>, the 2²³ odd
/// multiples of 2⁻²³ in (−1, 1), each equally likely — symmetric about 0 (mean exactly 0, variance (1 − 2⁻⁴⁶)/3) and
/// exact in float (|2k + 1 − 2²³| &lt; 2²³), so every lane and device computes the same bits.
/// </summary>
public static class UniformVariate
{
    /// <summary>2⁻²³.</summary>
    public const float Scale = 1f / 8388608f;

    /// <summary>The odd integer 2k + 1 − 2²³ of a word (k its top 23 bits).</summary>
    public static int OddInteger(uint word) => (int)(((word >> 9) << 1) + 1u - (1u << 23));

    /// <summary>The variate of <paramref name="word"/>.</summary>
    public static float FromWord(uint word) => OddInteger(word) * Scale;
}
