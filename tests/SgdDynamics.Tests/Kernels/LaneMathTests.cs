using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Tests.RandomNumbers;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Kernels;

/// <summary>The lane functions and primitives under test, by number, for every lane type (host and kernel alike).</summary>
public static class LaneMathFunctions
{
    public const int Exp = 0, Sigmoid = 1, SigmoidDerivative = 2, Tanh = 3, TanhDerivative = 4, Silu = 5, SiluDerivative = 6;
    public const int Max = 7, Min = 8, SelectLess = 9, Divide = 10, ScaleByPowerOfTwo = 11;

    /// <summary>The value and the derivative of <see cref="LaneMath.TanhWithDerivative{T}"/> and <see cref="LaneMath.SiluWithDerivative{T}"/>.</summary>
    public const int TanhTogether = 12, TanhDerivativeTogether = 13, SiluTogether = 14, SiluDerivativeTogether = 15;
    public const int Count = 16;

    public static readonly string[] Names =
    [
        "Exp", "Sigmoid", "SigmoidDerivative", "Tanh", "TanhDerivative", "Silu", "SiluDerivative", "Max", "Min", "SelectLess", "Divide", "ScaleByPowerOfTwo",
        "TanhWithDerivative", "TanhWithDerivative (derivative)", "SiluWithDerivative", "SiluWithDerivative (derivative)",
    ];

    /// <summary>Function <paramref name="function"/> of x (and b for the two-argument primitives; k = b for the scaling).</summary>
    public static T Apply<T>(int function, T x, T b) where T : struct, ILane<T> => function switch
    {
        Exp => LaneMath.Exp(x),
        Sigmoid => LaneMath.Sigmoid(x),
        SigmoidDerivative => LaneMath.SigmoidDerivative(x),
        Tanh => LaneMath.Tanh(x),
        TanhDerivative => LaneMath.TanhDerivative(x),
        Silu => LaneMath.Silu(x),
        SiluDerivative => LaneMath.SiluDerivative(x),
        Max => T.Max(x, b),
        Min => T.Min(x, b),
        SelectLess => T.SelectLess(x, b, T.Add(x, T.Splat(1f)), T.Mul(b, T.Splat(3f))),
        Divide => T.Divide(x, b),
        TanhTogether => LaneMath.TanhWithDerivative(x, out _),
        TanhDerivativeTogether => Second(LaneMath.TanhWithDerivative(x, out T tanhDerivative), tanhDerivative),
        SiluTogether => LaneMath.SiluWithDerivative(x, out _),
        SiluDerivativeTogether => Second(LaneMath.SiluWithDerivative(x, out T siluDerivative), siluDerivative),
        _ => T.ScaleByPowerOfTwo(x, b),
    };

    private static T Second<T>(T first, T second) => second;

    /// <summary>A kernel: <c>y[i] = Apply(function, x[i], b[i])</c>.</summary>
    public static void Evaluate<TLane>(Index1D i, ArrayView<float> x, ArrayView<float> b, ArrayView<float> y, int function)
        where TLane : struct, IScalarLane<TLane> =>
        y[i] = TLane.ToFloat(Apply(function, TLane.Splat(x[i]), TLane.Splat(b[i])));
}

/// <summary>
/// <see cref="LaneMath"/> and the lane primitives it is built on: accuracy of the float lane against double precision;
/// bit-identity of the managed SIMD lanes (Vector512, Vector256) and ILGPU's CPU accelerator with <see cref="FloatLane"/>
/// on dense grids with the edge cases (±0, subnormals, thresholds, overflow, ±∞, NaN); and the device lane compiled to
/// PTX without external calls.
/// </summary>
public unsafe class LaneMathTests
{
    private readonly ITestOutputHelper output;

    public LaneMathTests(ITestOutputHelper output) => this.output = output;

    private static float F(FloatLane v) => v.Value;

    /// <summary>The distance of <paramref name="value"/> from <paramref name="exact"/> in ulps of the float nearest to exact.</summary>
    private static double Ulps(float value, double exact)
    {
        float rounded = (float)exact;
        double ulp = (double)MathF.BitIncrement(MathF.Abs(rounded)) - MathF.Abs(rounded);
        return Math.Abs(value - exact) / ulp;
    }

    /// <summary>
    /// ±every <paramref name="stride"/>-th float (by bit pattern, so every binade is covered) that lies in [lo, hi], plus an
    /// even grid of <paramref name="even"/> + 1 points.
    /// </summary>
    private static List<float> Grid(float lo, float hi, int stride, int even)
    {
        var values = new List<float>();
        float top = Math.Max(-lo, hi);
        for (int bits = 0; BitConverter.Int32BitsToSingle(bits) <= top; bits += stride)
        {
            float x = BitConverter.Int32BitsToSingle(bits);
            if (x <= hi)
            {
                values.Add(x);
            }

            if (-x >= lo)
            {
                values.Add(-x);
            }
        }

        for (int n = 0; n <= even; n++)
        {
            values.Add(lo + (hi - lo) * n / even);
        }

        return values;
    }

    [Fact]
    public void ExpIsWithinOneUlpWhereNormalAndOneSubnormalUlpBelow()
    {
        double worst = 0, worstSub = 0;
        float worstAt = 0;
        foreach (float x in Grid(-103.98f, 88.72f, 509, 1 << 20))
        {
            float e = F(LaneMath.Exp(new FloatLane(x)));
            double exact = Math.Exp(x);
            if (exact >= 1.1754943508222875e-38)
            {
                double u = Ulps(e, exact);
                if (u > worst)
                {
                    (worst, worstAt) = (u, x);
                }
            }
            else
            {
                worstSub = Math.Max(worstSub, Math.Abs(e - exact) / float.Epsilon);
            }
        }

        output.WriteLine($"exp: max {worst:F3} ulp (at {worstAt:R}) where normal; max {worstSub:F3} subnormal ulps below");
        Assert.True(worst <= 1.0, $"exp: {worst} ulp at {worstAt:R}");
        Assert.True(worstSub <= 1.0, $"exp: {worstSub} subnormal ulps");
    }

    [Fact]
    public void ExpEdgeCases()
    {
        static float Exp(float x) => F(LaneMath.Exp(new FloatLane(x)));
        Assert.Equal(1f, Exp(0f));
        Assert.Equal(1f, Exp(-0f));
        Assert.Equal(1f, Exp(float.Epsilon));
        Assert.Equal(1f, Exp(-float.Epsilon));
        Assert.Equal(MathF.E, Exp(1f));
        Assert.Equal(float.PositiveInfinity, Exp(88.73f));
        Assert.Equal(float.PositiveInfinity, Exp(float.MaxValue));
        Assert.Equal(float.PositiveInfinity, Exp(float.PositiveInfinity));
        Assert.True(float.IsFinite(Exp(88.72f)));
        Assert.Equal(0f, Exp(-104f));
        Assert.Equal(0f, Exp(-float.MaxValue));
        Assert.Equal(0f, Exp(float.NegativeInfinity));
        Assert.True(Exp(-103.9f) > 0f);
        Assert.True(float.IsNaN(Exp(float.NaN)));
        // every float at and around the overflow threshold: +∞ exactly where the correctly rounded value is
        for (float x = 88.7f; x <= 88.75f; x = MathF.BitIncrement(x))
        {
            float e = Exp(x);
            if (float.IsPositiveInfinity((float)Math.Exp(x)))
            {
                Assert.True(float.IsPositiveInfinity(e), $"exp({x:R}) = {e:R}, not +∞");
            }
            else
            {
                Assert.True(Ulps(e, Math.Exp(x)) <= 1.0, $"exp({x:R}) = {e:R}");
            }
        }
    }

    public static TheoryData<string, double, double> Tolerances => new()
    {
        // function, relative tolerance, absolute tolerance (only where the value passes through zero)
        { "Sigmoid", 3e-7, 0 },
        { "SigmoidDerivative", 4e-7, 0 },
        { "Tanh", 3e-7, 0 },
        { "TanhDerivative", 4e-7, 0 },
        { "Silu", 3e-7, 0 },
        { "SiluDerivative", 3e-7, 6e-8 },
    };

    private static double Reference(string function, double x)
    {
        double s = 1 / (1 + Math.Exp(-x));
        return function switch
        {
            "Sigmoid" => s,
            "SigmoidDerivative" => Math.Exp(-Math.Abs(x)) / Math.Pow(1 + Math.Exp(-Math.Abs(x)), 2),
            "Tanh" => Math.Tanh(x),
            "TanhDerivative" => 1 / Math.Pow(Math.Cosh(x), 2),
            "Silu" => x * s,
            _ => s * (1 + x * (1 - s)),
        };
    }

    [Theory]
    [MemberData(nameof(Tolerances))]
    public void FunctionsAreAccurateAgainstDouble(string function, double relative, double absolute)
    {
        int f = Array.IndexOf(LaneMathFunctions.Names, function);
        // |x| ≤ 80: the values stay normal floats (σ(−80) = 1.8e-35, tanh′(40) = 7e-35) except tanh and SiLU of subnormal x,
        // where one subnormal ulp is allowed
        float bound = function.StartsWith("Tanh") ? 40f : 80f;
        double worst = 0, worstAbsolute = 0;
        float worstAt = 0;
        foreach (float x in Grid(-bound, bound, 1021, 1 << 20))
        {
            float value = F(LaneMathFunctions.Apply(f, new FloatLane(x), default));
            double exact = Reference(function, x);
            double error = Math.Abs(value - exact);
            worstAbsolute = Math.Max(worstAbsolute, error);
            if (Math.Abs(exact) < 1.1754943508222875e-38)
            {
                Assert.True(error <= float.Epsilon, $"{function}({x:R}) = {value:R}, {exact:R} exactly");
                continue;
            }

            double scaled = error / Math.Max(Math.Abs(exact), absolute / relative);
            if (scaled > worst)
            {
                (worst, worstAt) = (scaled, x);
            }
        }

        output.WriteLine($"{function}: max relative error {worst:E2} (at {worstAt:R}) on [−{bound}, {bound}], max absolute {worstAbsolute:E2}");
        Assert.True(worst <= relative, $"{function}: relative error {worst:E2} at {worstAt:R}");
    }

    [Fact]
    public void FunctionEdgeCases()
    {
        static float L(int f, float x) => F(LaneMathFunctions.Apply(f, new FloatLane(x), default));
        const int S = LaneMathFunctions.Sigmoid, DS = LaneMathFunctions.SigmoidDerivative, T = LaneMathFunctions.Tanh,
            DT = LaneMathFunctions.TanhDerivative, U = LaneMathFunctions.Silu, DU = LaneMathFunctions.SiluDerivative;
        Assert.Equal(0.5f, L(S, 0f));
        Assert.Equal(0.25f, L(DS, 0f));
        Assert.Equal(1f, L(S, float.PositiveInfinity));
        Assert.Equal(0f, L(S, float.NegativeInfinity));
        Assert.Equal(1f, L(S, 20f));
        Assert.True(L(S, -90f) > 0f);
        Assert.True(L(DS, 20f) > 0f);
        Assert.Equal(0f, L(DS, float.PositiveInfinity));
        Assert.Equal(0f, L(DS, float.NegativeInfinity));
        Assert.Equal(0f, L(T, 0f));
        Assert.True(float.IsNegative(L(T, -0f)) && L(T, -0f) == 0f);
        Assert.Equal(1e-20f, L(T, 1e-20f));
        Assert.Equal(-float.Epsilon, L(T, -float.Epsilon));
        Assert.Equal(1f, L(T, 10f));
        Assert.Equal(-1f, L(T, float.NegativeInfinity));
        Assert.Equal(1f, L(T, float.PositiveInfinity));
        Assert.Equal(1f, L(DT, 0f));
        Assert.True(L(DT, 10f) > 0f);
        Assert.Equal(0f, L(DT, float.PositiveInfinity));
        Assert.Equal(0f, L(U, 0f));
        Assert.Equal(float.PositiveInfinity, L(U, float.PositiveInfinity));
        Assert.Equal(0f, L(U, float.NegativeInfinity));
        Assert.Equal(30f, L(U, 30f));
        Assert.Equal(0.5f, L(DU, 0f));
        Assert.Equal(1f, L(DU, float.PositiveInfinity));
        Assert.Equal(0f, L(DU, float.NegativeInfinity));
        for (int f = LaneMathFunctions.Exp; f <= LaneMathFunctions.SiluDerivative; f++)
        {
            Assert.True(float.IsNaN(L(f, float.NaN)), $"{LaneMathFunctions.Names[f]}(NaN) is not NaN");
        }
    }

    [Fact]
    public void ValueAndDerivativeTogetherAreTheSeparateFunctionsBitForBit()
    {
        (int Together, int Separate)[] pairs =
        [
            (LaneMathFunctions.TanhTogether, LaneMathFunctions.Tanh), (LaneMathFunctions.TanhDerivativeTogether, LaneMathFunctions.TanhDerivative),
            (LaneMathFunctions.SiluTogether, LaneMathFunctions.Silu), (LaneMathFunctions.SiluDerivativeTogether, LaneMathFunctions.SiluDerivative),
        ];
        foreach ((int together, int separate) in pairs)
        {
            (float[] x, float[] b) = Inputs(together);
            AssertBitIdentical(together, x, b, OnFloatLane(separate, x, b), OnFloatLane(together, x, b), $"FloatLane against {LaneMathFunctions.Names[separate]}");
        }
    }

    [Fact]
    public void PrimitivesAreExact()
    {
        float[] specials = Specials();
        foreach (float a in specials)
        {
            foreach (float b in specials)
            {
                Assert.Equal(Bits(a > b ? a : b), Bits(F(FloatLane.Max(new(a), new(b)))));
                Assert.Equal(Bits(a < b ? a : b), Bits(F(FloatLane.Min(new(a), new(b)))));
                Assert.Equal(Bits(a / b), Bits(F(FloatLane.Divide(new(a), new(b)))));
                Assert.Equal(Bits(a < b ? 1f : 2f), Bits(F(FloatLane.SelectLess(new(a), new(b), new(1f), new(2f)))));
            }
        }

        // x·2ᵏ correctly rounded (the double product is exact) wherever x·2^⌊k/2⌋ is normal or zero, subnormal results included
        var random = new System.Random(7);
        for (int k = -252; k <= 254; k++)
        {
            for (int n = 0; n < 200; n++)
            {
                float x = (float)((random.NextDouble() + 0.5) * (random.Next(2) == 0 ? 1 : -1));
                x = n switch { 0 => 1f, 1 => MathF.BitDecrement(2f), 2 => 0.5f, 3 => 0f, 4 => -0f, _ => x };
                float expected = (float)(x * Math.Pow(2, k));
                Assert.Equal(Bits(expected), Bits(F(FloatLane.ScaleByPowerOfTwo(new(x), new(k)))));
            }
        }

        Assert.Equal(float.PositiveInfinity, F(FloatLane.ScaleByPowerOfTwo(new(1.5f), new(128f))));
        Assert.True(float.IsNaN(F(FloatLane.ScaleByPowerOfTwo(new(float.NaN), new(3f)))));
        Assert.Equal(float.NegativeInfinity, F(FloatLane.ScaleByPowerOfTwo(new(float.NegativeInfinity), new(-3f))));
    }

    private static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    /// <summary>Signed zeros, subnormals, thresholds of the functions, the largest floats, infinities and NaN.</summary>
    private static float[] Specials() =>
    [
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, 1.17549435e-38f, -1.17549435e-38f, 1e-30f, -1e-30f, 1e-7f, -1e-7f,
        0.5f, -0.5f, 0.625f, -0.625f, MathF.BitDecrement(0.625f), -MathF.BitDecrement(0.625f), 1f, -1f, 2f, -2f,
        MathF.Log(2) / 2, -MathF.Log(2) / 2, 16.7f, -16.7f, 20f, -20f, 87.33f, -87.33f, 88.72f, 88.7228394f, 88.73f, 89f,
        -88.73f, -103.97f, -103.98f, -104f, -105f, 200f, -200f, 1e10f, -1e10f, float.MaxValue, float.MinValue,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
    ];

    /// <summary>The arguments of the bit-identity checks: the specials, then every 4099th float of the whole line.</summary>
    private static (float[] X, float[] B) Inputs(int function)
    {
        var x = new List<float>(Specials());
        for (long bits = 0; bits < 1L << 32; bits += 4099)
        {
            x.Add(BitConverter.Int32BitsToSingle((int)(uint)bits));
        }

        var random = new System.Random(11 + function);
        float[] specials = Specials();
        var b = new float[x.Count];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = function == LaneMathFunctions.ScaleByPowerOfTwo ? random.Next(-252, 255)
                : i < specials.Length * specials.Length ? specials[i % specials.Length]
                : x[random.Next(x.Count)];
        }

        if (function is >= LaneMathFunctions.Max and < LaneMathFunctions.ScaleByPowerOfTwo)
        {
            // every pair of specials
            for (int i = 0; i < specials.Length * specials.Length && i < x.Count; i++)
            {
                x[i] = specials[i / specials.Length];
            }
        }

        return (x.ToArray(), b);
    }

    private static float[] OnFloatLane(int function, float[] x, float[] b)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = F(LaneMathFunctions.Apply(function, new FloatLane(x[i]), new FloatLane(b[i])));
        }

        return y;
    }

    private static float[] OnBlockLane<T>(int function, float[] x, float[] b) where T : unmanaged, IBlockLane<T>
    {
        var y = new float[x.Length];
        int width = T.Width;
        var block = (T*)NativeMemory.AlignedAlloc((nuint)(3 * sizeof(T)), 64);
        try
        {
            var xs = (float*)block;
            var bs = (float*)(block + 1);
            var ys = (float*)(block + 2);
            for (int first = 0; first < x.Length; first += width)
            {
                for (int lane = 0; lane < width; lane++)
                {
                    int i = Math.Min(first + lane, x.Length - 1);
                    xs[lane] = x[i];
                    bs[lane] = b[i];
                }

                block[2] = LaneMathFunctions.Apply(function, block[0], block[1]);
                for (int lane = 0; lane < width && first + lane < x.Length; lane++)
                {
                    y[first + lane] = ys[lane];
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }

        return y;
    }

    private static void AssertBitIdentical(int function, float[] x, float[] b, float[] expected, float[] actual, string lane)
    {
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(
                Bits(expected[i]) == Bits(actual[i]),
                $"{LaneMathFunctions.Names[function]}({x[i]:R}, {b[i]:R}) on {lane}: {actual[i]:R} (0x{Bits(actual[i]):X8}), FloatLane {expected[i]:R} (0x{Bits(expected[i]):X8})");
        }
    }

    public static TheoryData<int> Functions()
    {
        var data = new TheoryData<int>();
        for (int f = 0; f < LaneMathFunctions.Count; f++)
        {
            data.Add(f);
        }

        return data;
    }

    [Avx512Theory]
    [MemberData(nameof(Functions))]
    public void Lane512IsBitIdenticalToFloatLane(int function)
    {
        (float[] x, float[] b) = Inputs(function);
        AssertBitIdentical(function, x, b, OnFloatLane(function, x, b), OnBlockLane<Lane512>(function, x, b), "Lane512");
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Lane256IsBitIdenticalToFloatLane(int function)
    {
        (float[] x, float[] b) = Inputs(function);
        AssertBitIdentical(function, x, b, OnFloatLane(function, x, b), OnBlockLane<Lane256>(function, x, b), "Lane256");
    }

    [Fact]
    public void IlgpuCpuAcceleratorIsBitIdenticalToFloatLane()
    {
        using var context = Context.Create(b => b.CPU().Math(MathMode.Default));
        using var accelerator = context.CreateCPUAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            LaneMathFunctions.Evaluate<FloatLane>);
        for (int f = 0; f < LaneMathFunctions.Count; f++)
        {
            (float[] x, float[] b) = Inputs(f);
            // a slice of the inputs keeps the CPU accelerator's (slow, interpreted-thread) run short
            x = x[..8192];
            b = b[..8192];
            using MemoryBuffer1D<float, Stride1D.Dense> xs = accelerator.Allocate1D(x);
            using MemoryBuffer1D<float, Stride1D.Dense> bs = accelerator.Allocate1D(b);
            using MemoryBuffer1D<float, Stride1D.Dense> ys = accelerator.Allocate1D<float>(x.Length);
            kernel(x.Length, xs.View, bs.View, ys.View, f);
            accelerator.Synchronize();
            AssertBitIdentical(f, x, b, OnFloatLane(f, x, b), ys.GetAsArray1D(), "ILGPU CPU");
        }
    }

    [Theory]
    [MemberData(nameof(PtxCompilationTests.Targets), MemberType = typeof(PtxCompilationTests))]
    public void DeviceLaneCompilesToPtxWithoutCalls(string architecture, string instructionSet)
    {
        MethodInfo method = typeof(LaneMathFunctions).GetMethod(nameof(LaneMathFunctions.Evaluate))!.MakeGenericMethod(typeof(DeviceFloatLane));
        string ptx = PtxCompilationTests.CompileWithoutCalls(method, architecture, instructionSet);
        Assert.Matches(@"div\.rn(\.ftz)?\.f32", ptx); // the division is IEEE (correctly rounded), not an approximation
    }
}
