namespace SgdDynamics.Kernels.Random;

/// <summary>Four 32-bit words: a Philox counter or output block.</summary>
public struct Words4
{
    /// <summary>Word 0.</summary>
    public uint W0;

    /// <summary>Word 1.</summary>
    public uint W1;

    /// <summary>Word 2.</summary>
    public uint W2;

    /// <summary>Word 3.</summary>
    public uint W3;

    /// <summary>Creates a block from four words.</summary>
    public Words4(uint w0, uint w1, uint w2, uint w3)
    {
        W0 = w0;
        W1 = w1;
        W2 = w2;
        W3 = w3;
    }
}

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), with the Random123 round and key schedule. A trajectory's random numbers
/// are a pure function of (key, counter): key = (seed, trajectory index), counter = (step, sub-block,
/// stream, 0), so every backend, thread count and batch split draws the same numbers.
/// </summary>
public static class Philox4x32
{
    /// <summary>Round multiplier for words 0/1.</summary>
    public const uint M0 = 0xD2511F53u;

    /// <summary>Round multiplier for words 2/3.</summary>
    public const uint M1 = 0xCD9E8D57u;

    /// <summary>Weyl increment of key word 0.</summary>
    public const uint KeyStep0 = 0x9E3779B9u;

    /// <summary>Weyl increment of key word 1.</summary>
    public const uint KeyStep1 = 0xBB67AE85u;

    /// <summary>Counter word 2 of the per-step noise stream.</summary>
    public const uint DynamicsStream = 0;

    /// <summary>Counter word 2 of the initial-condition draws.</summary>
    public const uint InitialStream = 1;

    /// <summary>Counter word 2 of the per-step uniform variates (<see cref="INormalSource{T}.Uniforms"/>).</summary>
    public const uint UniformStream = 2;

    /// <summary>Counter word 2 of the minibatch indices drawn with replacement (<see cref="IndexSampler"/>).</summary>
    public const uint IndexStream = 3;

    /// <summary>Counter word 2 of the keys of each epoch's permutation (sampling without replacement, <see cref="IndexSampler"/>).</summary>
    public const uint PermutationStream = 4;

    /// <summary>Ten Philox rounds of <paramref name="counter"/> under key (<paramref name="k0"/>, <paramref name="k1"/>).</summary>
    public static Words4 Generate(Words4 counter, uint k0, uint k1)
    {
        uint c0 = counter.W0, c1 = counter.W1, c2 = counter.W2, c3 = counter.W3;
        for (int r = 0; r < 10; r++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
            k0 += KeyStep0;
            k1 += KeyStep1;
        }

        return new Words4(c0, c1, c2, c3);
    }
}
