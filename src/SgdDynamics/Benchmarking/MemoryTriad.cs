using System.Diagnostics;

namespace SgdDynamics.Benchmarking;

/// <summary>
/// STREAM-like triad <c>a[i] = b[i] + s·c[i]</c> over three arrays of doubles, in fixed chunks on a given number of
/// threads: bandwidth = 3 · 8 · length bytes / time (24 B per element counted; a write-allocate cache adds a fourth
/// 8 B read, which, as in STREAM's convention, is not counted). The machine's memory bandwidth, the bound a
/// streaming grid step is measured against.
/// </summary>
public sealed class MemoryTriad
{
    /// <summary>Default elements per array: 2²³ (64 MiB each, well beyond the caches).</summary>
    public const int DefaultLength = 1 << 23;

    private const int Chunks = 64;
    private readonly double[] a;
    private readonly double[] b;
    private readonly double[] c;

    /// <summary>Three arrays of <paramref name="length"/> doubles, touched once.</summary>
    public MemoryTriad(int length = DefaultLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, Chunks);
        a = new double[length];
        b = Enumerable.Repeat(1.0, length).ToArray();
        c = Enumerable.Repeat(2.0, length).ToArray();
    }

    /// <summary>Bytes counted per triad.</summary>
    public long Bytes => 3L * sizeof(double) * a.Length;

    /// <summary>One triad over the arrays on <paramref name="threads"/> threads.</summary>
    public void Run(int threads)
    {
        int length = a.Length;
        Parallel.For(0, Chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
        {
            int start = (int)((long)length * k / Chunks), end = (int)((long)length * (k + 1) / Chunks);
            Span<double> x = a.AsSpan(start, end - start);
            ReadOnlySpan<double> y = b.AsSpan(start, end - start), z = c.AsSpan(start, end - start);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = y[i] + 3.0 * z[i];
            }
        });
    }

    /// <summary>Bytes per second: the best of <paramref name="repeat"/> triads on <paramref name="threads"/> threads, after one warm-up.</summary>
    public double BytesPerSecond(int threads, int repeat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        Run(threads);
        double best = double.PositiveInfinity;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            Run(threads);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return Bytes / best;
    }
}
