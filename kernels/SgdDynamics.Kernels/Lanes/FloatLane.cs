using ILGPU;
using SgdDynamics.Kernels.Dynamics;
using System.Runtime.CompilerServices;
namespace SgdDynamics.Kernels.Lanes;

/// <summary>
/// One float per lane with fused multiply-add (<see cref="MathF.FusedMultiplyAdd"/>): bit-identical to
/// the managed SIMD lanes. Used by the ILGPU CPU accelerator and by host-side reference code.
/// </summary>
public readonly struct FloatLane : IScalarLane<FloatLane>
{
    /// <summary>The value.</summary>
    public readonly float Value;

    /// <summary>Wraps a float.</summary>
    public FloatLane(float value) => Value = value;

    /// <inheritdoc/>
    public static FloatLane Splat(float value) => new(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(FloatLane value) => value.Value;

    /// <inheritdoc/>
    public static FloatLane Add(FloatLane a, FloatLane b) => new(a.Value + b.Value);

    /// <inheritdoc/>
    public static FloatLane Sub(FloatLane a, FloatLane b) => new(a.Value - b.Value);

    /// <inheritdoc/>
    public static FloatLane Mul(FloatLane a, FloatLane b) => new(a.Value * b.Value);

    /// <inheritdoc/>
    public static FloatLane MulAdd(FloatLane a, FloatLane b, FloatLane c) => new(MathF.FusedMultiplyAdd(a.Value, b.Value, c.Value));

    /// <inheritdoc/>
    public static FloatLane Divide(FloatLane a, FloatLane b) => new(a.Value / b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane Max(FloatLane a, FloatLane b) => a.Value > b.Value ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane Min(FloatLane a, FloatLane b) => a.Value < b.Value ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane SelectLess(FloatLane a, FloatLane b, FloatLane ifLess, FloatLane otherwise) => a.Value < b.Value ? ifLess : otherwise;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane ScaleByPowerOfTwo(FloatLane x, FloatLane k) => new(LaneBits.ScaleByPowerOfTwo(x.Value, k.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane CountOutside(FloatLane acc, FloatLane x, float bound) =>
        x.Value <= bound && x.Value >= -bound ? acc : new FloatLane(acc.Value + 1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatLane PoisonWhere(FloatLane x, FloatLane flag) => flag.Value != 0f ? new FloatLane(float.NaN) : x;

    /// <inheritdoc/>
    public static FloatLane Gather<TP>(in TP table, FloatLane index, int stride, int offset) where TP : struct, IParameters =>
        new(table.Get(((int)index.Value * stride) + offset));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherRow<TP, TS>(in TP table, FloatLane index, int stride, int offset, int count, TS target, int at)
        where TP : struct, IParameters
        where TS : struct, IStateView<FloatLane>
    {
        int row = ((int)index.Value * stride) + offset;
        for (int f = 0; f < count; f++)
        {
            target.Set(at + f, new(table.Get(row + f)));
        }
    }
}

/// <summary>
/// One float per lane with a separate multiply and add, for the CUDA and OpenCL back ends: ILGPU 1.5 lowers
/// <see cref="MathF.FusedMultiplyAdd"/> to an external call that the device linker rejects, while the
/// device compiler contracts <c>mul</c> + <c>add</c> into <c>fma</c> by itself. GPU results therefore agree
/// with the CPU lanes to float rounding, not bitwise.
/// </summary>
public readonly struct DeviceFloatLane : IScalarLane<DeviceFloatLane>
{
    /// <summary>The value.</summary>
    public readonly float Value;

    /// <summary>Wraps a float.</summary>
    public DeviceFloatLane(float value) => Value = value;

    /// <inheritdoc/>
    public static DeviceFloatLane Splat(float value) => new(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(DeviceFloatLane value) => value.Value;

    /// <inheritdoc/>
    public static DeviceFloatLane Add(DeviceFloatLane a, DeviceFloatLane b) => new(a.Value + b.Value);

    /// <inheritdoc/>
    public static DeviceFloatLane Sub(DeviceFloatLane a, DeviceFloatLane b) => new(a.Value - b.Value);

    /// <inheritdoc/>
    public static DeviceFloatLane Mul(DeviceFloatLane a, DeviceFloatLane b) => new(a.Value * b.Value);

    /// <inheritdoc/>
    public static DeviceFloatLane MulAdd(DeviceFloatLane a, DeviceFloatLane b, DeviceFloatLane c) => new(a.Value * b.Value + c.Value);

    /// <inheritdoc/>
    public static DeviceFloatLane Divide(DeviceFloatLane a, DeviceFloatLane b) => new(a.Value / b.Value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane Max(DeviceFloatLane a, DeviceFloatLane b) => a.Value > b.Value ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane Min(DeviceFloatLane a, DeviceFloatLane b) => a.Value < b.Value ? a : b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane SelectLess(DeviceFloatLane a, DeviceFloatLane b, DeviceFloatLane ifLess, DeviceFloatLane otherwise) => a.Value < b.Value ? ifLess : otherwise;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane ScaleByPowerOfTwo(DeviceFloatLane x, DeviceFloatLane k) => new(LaneBits.ScaleByPowerOfTwo(x.Value, k.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane CountOutside(DeviceFloatLane acc, DeviceFloatLane x, float bound) =>
        x.Value <= bound && x.Value >= -bound ? acc : new DeviceFloatLane(acc.Value + 1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DeviceFloatLane PoisonWhere(DeviceFloatLane x, DeviceFloatLane flag) => flag.Value != 0f ? new DeviceFloatLane(float.NaN) : x;

    /// <inheritdoc/>
    public static DeviceFloatLane Gather<TP>(in TP table, DeviceFloatLane index, int stride, int offset) where TP : struct, IParameters =>
        new(table.Get(((int)index.Value * stride) + offset));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GatherRow<TP, TS>(in TP table, DeviceFloatLane index, int stride, int offset, int count, TS target, int at)
        where TP : struct, IParameters
        where TS : struct, IStateView<DeviceFloatLane>
    {
        int row = ((int)index.Value * stride) + offset;
        for (int f = 0; f < count; f++)
        {
            target.Set(at + f, new(table.Get(row + f)));
        }
    }
}

/// <summary>The scalar lanes' bit-level helpers, in the operations the managed SIMD lanes repeat per vector.</summary>
internal static class LaneBits
{
    /// <summary>1.5·2²³: adding it to an integer-valued float k with |k| &lt; 2²² leaves k in the low mantissa bits.</summary>
    public const float RoundingShift = 12582912f;

    /// <summary>The bits of <see cref="RoundingShift"/>: <c>bits(k + 1.5·2²³) − 0x4B400000 = k</c>.</summary>
    public const int RoundingShiftBits = 0x4B400000;

    /// <summary>
    /// <c>x·2^⌊k/2⌋·2^⌈k/2⌉</c> (see <see cref="ILane{T}.ScaleByPowerOfTwo"/>): k read from the bits of k + 1.5·2²³, the
    /// two powers of two built as exponent fields.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScaleByPowerOfTwo(float x, float k)
    {
        int n = (int)Interop.FloatAsInt(k + RoundingShift) - RoundingShiftBits;
        int low = n >> 1;
        int high = n - low;
        float a = Interop.IntAsFloat((uint)(low + 127) << 23);
        float b = Interop.IntAsFloat((uint)(high + 127) << 23);
        return x * a * b;
    }
}
