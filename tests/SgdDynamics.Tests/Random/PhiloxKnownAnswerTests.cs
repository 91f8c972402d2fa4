using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

// Not "SgdDynamics.Tests.Random": a namespace named Random inside SgdDynamics.Tests would hide System.Random
// from every other test namespace (CS0118). The test filter "FullyQualifiedName~SgdDynamics.Tests.Random" still matches.
namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>
/// Philox4x32-10 against the Random123 known-answer vectors (kat_vectors, "philox4x32 10" lines):
/// counter words c0..c3, key words k0, k1, expected output r0..r3.
/// </summary>
public class PhiloxKnownAnswerTests
{
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
        0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
        0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void GenerateMatchesRandom123Vectors(
        uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3)
    {
        Words4 r = Philox4x32.Generate(new Words4(c0, c1, c2, c3), k0, k1);

        Assert.Equal(r0, r.W0);
        Assert.Equal(r1, r.W1);
        Assert.Equal(r2, r.W2);
        Assert.Equal(r3, r.W3);
    }

    [Fact]
    public void NormalSourceKeysBySeedAndTrajectoryAndCountsByStepSubStream()
    {
        // PhiloxNormals(seed, trajectory).Four(step, sub, stream) must be Box–Muller of
        // Generate((step, sub, stream, 0), seed, trajectory): key = (seed, trajectory), counter = (step, sub, stream, 0).
        var normals = new PhiloxNormals<FloatLane>(0xa4093822u, 0x299f31d0u);
        normals.Four(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, out var z0, out var z1, out var z2, out var z3);
        Words4 r = Philox4x32.Generate(new Words4(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0), 0xa4093822u, 0x299f31d0u);
        BoxMuller.Pair(r.W0, r.W1, out FloatLane e0, out FloatLane e1);
        BoxMuller.Pair(r.W2, r.W3, out FloatLane e2, out FloatLane e3);

        Assert.Equal(BitConverter.SingleToInt32Bits(e0.Value), BitConverter.SingleToInt32Bits(z0.Value));
        Assert.Equal(BitConverter.SingleToInt32Bits(e1.Value), BitConverter.SingleToInt32Bits(z1.Value));
        Assert.Equal(BitConverter.SingleToInt32Bits(e2.Value), BitConverter.SingleToInt32Bits(z2.Value));
        Assert.Equal(BitConverter.SingleToInt32Bits(e3.Value), BitConverter.SingleToInt32Bits(z3.Value));

        normals.Two(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, out var t0, out var t1);
        Assert.Equal(BitConverter.SingleToInt32Bits(z0.Value), BitConverter.SingleToInt32Bits(t0.Value));
        Assert.Equal(BitConverter.SingleToInt32Bits(z1.Value), BitConverter.SingleToInt32Bits(t1.Value));
    }

    [Fact]
    public void DistinctKeysAndCountersGiveDistinctBlocks()
    {
        // Sanity: every counter or key word changes the output (no word is ignored).
        Words4 baseline = Philox4x32.Generate(new Words4(1, 2, 3, 4), 5, 6);
        Words4[] variants =
        [
            Philox4x32.Generate(new Words4(0, 2, 3, 4), 5, 6),
            Philox4x32.Generate(new Words4(1, 0, 3, 4), 5, 6),
            Philox4x32.Generate(new Words4(1, 2, 0, 4), 5, 6),
            Philox4x32.Generate(new Words4(1, 2, 3, 0), 5, 6),
            Philox4x32.Generate(new Words4(1, 2, 3, 4), 0, 6),
            Philox4x32.Generate(new Words4(1, 2, 3, 4), 5, 0),
        ];
        foreach (Words4 v in variants)
        {
            Assert.False(
                v.W0 == baseline.W0 && v.W1 == baseline.W1 && v.W2 == baseline.W2 && v.W3 == baseline.W3,
                "changing one counter or key word left the output block unchanged");
        }
    }
}
