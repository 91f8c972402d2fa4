using System.Runtime.InteropServices;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Tests.RandomNumbers;

namespace SgdDynamics.Tests.Kernels;

/// <summary>
/// <see cref="ILane{T}.GatherRow"/>: on every lane type the row of each lane lands in the target coordinates exactly as
/// column-by-column <see cref="ILane{T}.Gather"/> puts it there, and nothing else is written — for row lengths below,
/// at and above the Vector512 lane's 16-float blocks (its rows are read whole and transposed, the last block overlapping
/// the one before), from pinned host memory into lane blocks (the managed backend's path) and through the general
/// fallback.
/// </summary>
public unsafe class GatherRowTests
{
    private const int Rows = 300;

    public static TheoryData<int> Counts() => new() { 1, 5, 15, 16, 17, 20, 24, 25, 31, 36, 50, 784 };

    [Avx512Theory]
    [MemberData(nameof(Counts))]
    public void Lane512RowsAreTheColumnGathers(int count) => Check<Lane512>(count);

    [Theory]
    [MemberData(nameof(Counts))]
    public void Lane256RowsAreTheColumnGathers(int count) => Check<Lane256>(count);

    [Theory]
    [MemberData(nameof(Counts))]
    public void FloatLaneRowIsTheColumnGathers(int count)
    {
        (float[] table, int stride, int offset) = Table(count);
        var target = Enumerable.Repeat(float.NaN, count + 4).ToArray();
        foreach (int row in new[] { 0, 7, Rows - 1 })
        {
            FloatLane.GatherRow(new ArrayParameters(table), new FloatLane(row), stride, offset, count, new FloatArrayView(target), 2);
            for (int f = 0; f < count; f++)
            {
                Assert.Equal(table[(row * stride) + offset + f], target[2 + f]);
            }

            Assert.True(float.IsNaN(target[0]) && float.IsNaN(target[1]) && float.IsNaN(target[count + 2]) && float.IsNaN(target[count + 3]));
        }
    }

    /// <summary>A table of <see cref="Rows"/> rows, each longer than <paramref name="count"/>, of distinct values.</summary>
    private static (float[] Table, int Stride, int Offset) Table(int count)
    {
        int stride = count + 3;
        var table = new float[Rows * stride];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (i * 1.25f) + 0.5f;
        }

        return (table, stride, 2);
    }

    private static void Check<T>(int count) where T : unmanaged, IBlockLane<T>
    {
        (float[] table, int stride, int offset) = Table(count);
        int width = T.Width, size = count + 4;
        var random = new System.Random(count);
        T index = default;
        var indices = (float*)&index;
        for (int k = 0; k < width; k++)
        {
            // the first and last rows among them
            indices[k] = k == 0 ? 0 : k == 1 ? Rows - 1 : random.Next(Rows);
        }

        var block = (T*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(T)), 64);
        var general = new LaneArrayView<T>(new T[size]);
        try
        {
            fixed (float* pinned = table)
            {
                for (int f = 0; f < size; f++)
                {
                    block[f] = T.Splat(float.NaN);
                    general.Set(f, T.Splat(float.NaN));
                }

                var host = new HostParameters(pinned);
                T.GatherRow(host, index, stride, offset, count, new BlockState<T>(block), 2);
                T.GatherRow(new ArrayParameters(table), index, stride, offset, count, general, 2);
                for (int f = 0; f < size; f++)
                {
                    T expected = f >= 2 && f < count + 2 ? T.Gather(host, index, stride, offset + f - 2) : T.Splat(float.NaN);
                    T viaGeneral = general.Get(f);
                    var e = (float*)&expected;
                    var a = (float*)(block + f);
                    var b = (float*)&viaGeneral;
                    for (int k = 0; k < width; k++)
                    {
                        Assert.True(
                            BitConverter.SingleToInt32Bits(e[k]) == BitConverter.SingleToInt32Bits(a[k]),
                            $"count {count}, coordinate {f}, lane {k} (row {indices[k]}): {a[k]:R} from the row, {e[k]:R} gathered");
                        Assert.True(
                            BitConverter.SingleToInt32Bits(e[k]) == BitConverter.SingleToInt32Bits(b[k]),
                            $"count {count}, coordinate {f}, lane {k} (row {indices[k]}), general path: {b[k]:R}, {e[k]:R} gathered");
                        if (f >= 2 && f < count + 2)
                        {
                            Assert.Equal(table[((int)indices[k] * stride) + offset + f - 2], a[k]);
                        }
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(block);
        }
    }

    /// <summary>A state view over an array of lane values (not a lane block, so the lanes take their general path).</summary>
    private readonly struct LaneArrayView<T>(T[] values) : IStateView<T> where T : unmanaged, ILane<T>
    {
        public T Get(int i) => values[i];

        public void Set(int i, T value) => values[i] = value;
    }
}
