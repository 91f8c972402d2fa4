using System.Runtime.Intrinsics.X86;

// Not "SgdDynamics.Tests.Random": a namespace named Random inside SgdDynamics.Tests would hide System.Random
// from every other test namespace (CS0118). The test filter "FullyQualifiedName~SgdDynamics.Tests.Random" still matches.
namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>A theory that is skipped, with the reason, where the processor (or the runtime) has no AVX-512F.</summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute()
    {
        if (!Avx512F.IsSupported)
        {
            Skip = "no AVX-512F on this machine (Avx512F.IsSupported is false), so the Lane512 variant cannot run";
        }
    }
}

/// <summary>A fact that is skipped, with the reason, where the processor (or the runtime) has no AVX-512F.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Avx512F.IsSupported)
        {
            Skip = "no AVX-512F on this machine (Avx512F.IsSupported is false), so the Lane512 variant cannot run";
        }
    }
}
