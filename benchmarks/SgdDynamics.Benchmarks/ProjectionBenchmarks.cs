using System.Diagnostics;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// <c>--quick projections</c>: the tile sums of projections y = V(x − c) for K = d = 386 on one thread, per tile of 256
/// trajectories — the scalar routine the engine had (kept here as the reference), the vectorised <see cref="ProjectionSpec"/>
/// routine without and with the K × K pair sums, and the same with the exact deposit into the record's accumulator — in
/// trajectory-records per second, after checking that the vectorised sums equal the scalar ones bit for bit.
/// </summary>
internal static class ProjectionBenchmarks
{
    private const int Tile = TileLayout.TileSize;

    public static void Run(int k = 386, int d = 386)
    {
        var random = new Random(7);
        double[] centre = [.. Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5)];
        var directions = new double[k, d];
        for (int a = 0; a < k; a++)
        {
            for (int i = 0; i < d; i++)
            {
                directions[a, i] = (random.NextDouble() - 0.5) / Math.Sqrt(d);
            }
        }

        // a tile's states: float values widened to double, coordinate-major; slots 250 … 255 are padding (excluded, zero)
        var state = new double[d * Tile];
        var included = new bool[Tile];
        for (int s = 0; s < Tile; s++)
        {
            included[s] = s < 250;
            for (int i = 0; i < d; i++)
            {
                state[(i * Tile) + s] = included[s] ? (float)(random.NextDouble() * 4 - 2) : 0.0;
            }
        }

        var plain = new ProjectionSpec(centre, directions);
        var pairs = new ProjectionSpec(centre, directions, covariance: true);
        var centred = new double[d * Tile];
        var y = new double[pairs.ScratchLength];
        var plainSums = new double[plain.StatisticCount];
        var pairSums = new double[pairs.StatisticCount];
        var referencePlain = new double[plain.StatisticCount];
        var referencePairs = new double[pairs.StatisticCount];
        var flat = new double[k * d];
        Buffer.BlockCopy(directions, 0, flat, 0, flat.Length * sizeof(double));

        ScalarReference.TileSums(state, included, centre, flat, k, referencePlain, pairs: false);
        ScalarReference.TileSums(state, included, centre, flat, k, referencePairs, pairs: true);
        bool wide = TileMoments.Wide;
        var same = new List<string>();
        foreach (bool width in wide ? new[] { true, false } : [false])
        {
            TileMoments.Wide = width;
            plain.TileSums(state, included, centred, y, plainSums);
            pairs.TileSums(state, included, centred, y, pairSums);
            same.Add($"{(width ? "Vector512" : "Vector256")}: {Same(plainSums, referencePlain)} (moments), {Same(pairSums, referencePairs)} (with the {k * (k + 1L) / 2:N0} pair sums)");
        }

        TileMoments.Wide = wide;
        Console.WriteLine($"projections K = {k}, d = {d}, one tile of {Tile} on 1 thread; vectorised sums equal the scalar ones bit for bit: {string.Join("; ", same)}");

        int[] steps = [0, 1];
        var plainStatistics = new EnsembleStatistics(d, steps, StatisticsPlan.Coordinates, k, StatisticsPlan.Coordinates);
        var pairStatistics = new EnsembleStatistics(d, steps, StatisticsPlan.Coordinates, k, StatisticsPlan.FullPairs);
        var cases = new (string Name, Action Run)[]
        {
            ("scalar reference (the former routine), moments", () => ScalarReference.TileSums(state, included, centre, flat, k, referencePlain, pairs: false)),
            ("vectorised, moments", () => plain.TileSums(state, included, centred, y, plainSums)),
            ("vectorised, moments, Vector256 only", () => Narrow(() => plain.TileSums(state, included, centred, y, plainSums))),
            ("vectorised, moments + exact deposit", () =>
            {
                plain.TileSums(state, included, centred, y, plainSums);
                plainStatistics.DepositProjections(1, 250, 0, plainSums);
            }),
            ("scalar reference, moments + pair sums", () => ScalarReference.TileSums(state, included, centre, flat, k, referencePairs, pairs: true)),
            ("vectorised, moments + pair sums", () => pairs.TileSums(state, included, centred, y, pairSums)),
            ("vectorised, moments + pair sums, Vector256 only", () => Narrow(() => pairs.TileSums(state, included, centred, y, pairSums))),
            ("vectorised, moments + pair sums + exact deposit", () =>
            {
                pairs.TileSums(state, included, centred, y, pairSums);
                pairStatistics.DepositProjections(1, 250, 0, pairSums);
            }),
        };

        var best = new double[cases.Length];
        Array.Fill(best, double.PositiveInfinity);
        foreach (var c in cases)
        {
            c.Run();
        }

        for (int round = 0; round < 5; round++)
        {
            // interleaved, best of five each
            for (int i = 0; i < cases.Length; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                int repetitions = 0;
                while (repetitions < 3 || stopwatch.Elapsed.TotalSeconds < 0.3)
                {
                    cases[i].Run();
                    repetitions++;
                }

                best[i] = Math.Min(best[i], stopwatch.Elapsed.TotalSeconds / repetitions);
            }
        }

        Console.WriteLine("| routine | ms per tile | trajectory-records/s (1 thread) | speed-up over the scalar routine |");
        Console.WriteLine("|---|---|---|---|");
        for (int i = 0; i < cases.Length; i++)
        {
            int reference = i < 4 ? 0 : 4;
            Console.WriteLine($"| {cases[i].Name} | {best[i] * 1e3:F2} | {Tile / best[i]:N0} | {best[reference] / best[i]:F1} |");
        }
    }

    private static void Narrow(Action run)
    {
        bool wide = TileMoments.Wide;
        TileMoments.Wide = false;
        run();
        TileMoments.Wide = wide;
    }

    private static bool Same(double[] a, double[] b) =>
        a.Length == b.Length && a.Zip(b).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second));

    /// <summary>
    /// The scalar routine of the engine before vectorisation (ProjectionSpec.TileSums), with the pair sums added the same
    /// way: one slot at a time, y_a = Σ_i v_ai (x_i − c_i) in order, then each tile sum over the eight partial sums.
    /// </summary>
    private static class ScalarReference
    {
        public static void TileSums(double[] state, bool[] included, double[] centre, double[] directions, int count, double[] sums, bool pairs)
        {
            int d = centre.Length;
            var y = new double[count * Tile];
            var x = new double[d];
            for (int slot = 0; slot < Tile; slot++)
            {
                if (!included[slot])
                {
                    for (int a = 0; a < count; a++)
                    {
                        y[a * Tile + slot] = 0.0;
                    }

                    continue;
                }

                for (int i = 0; i < d; i++)
                {
                    x[i] = state[i * Tile + slot] - centre[i];
                }

                for (int a = 0; a < count; a++)
                {
                    ReadOnlySpan<double> v = directions.AsSpan(a * d, d);
                    double acc = 0.0;
                    for (int i = 0; i < d; i++)
                    {
                        acc += v[i] * x[i];
                    }

                    y[a * Tile + slot] = acc;
                }
            }

            int products = pairs ? count * (count + 1) / 2 : count;
            for (int a = 0; a < count; a++)
            {
                sums[a] = TileSum(y.AsSpan(a * Tile, Tile), y.AsSpan(a * Tile, Tile), TileLayout.Sum);
                sums[count + products + a] = TileSum(y.AsSpan(a * Tile, Tile), y, TileLayout.Cube);
                sums[2 * count + products + a] = TileSum(y.AsSpan(a * Tile, Tile), y, TileLayout.Fourth);
                if (!pairs)
                {
                    sums[count + a] = TileSum(y.AsSpan(a * Tile, Tile), y.AsSpan(a * Tile, Tile), TileLayout.Product);
                }
            }

            if (pairs)
            {
                int n = 0;
                for (int a = 0; a < count; a++)
                {
                    for (int b = a; b < count; b++)
                    {
                        sums[count + n++] = TileSum(y.AsSpan(a * Tile, Tile), y.AsSpan(b * Tile, Tile), TileLayout.Product);
                    }
                }
            }
        }

        private static double TileSum(ReadOnlySpan<double> y, ReadOnlySpan<double> z, int kind)
        {
            Span<double> partial = stackalloc double[8];
            partial.Clear();
            for (int block = 0; block < Tile; block += TileLayout.BlockSize)
            {
                for (int j = 0; j < 8; j++)
                {
                    partial[j] += Value(kind, y[block + j], z[block + j]) + Value(kind, y[block + j + 8], z[block + j + 8]);
                }
            }

            return TileLayout.Combine(partial[0], partial[1], partial[2], partial[3], partial[4], partial[5], partial[6], partial[7]);
        }

        private static double Value(int kind, double a, double b)
        {
            if (kind == TileLayout.Sum)
            {
                return a;
            }

            if (kind == TileLayout.Product)
            {
                return a * b;
            }

            double square = a * a;
            return kind == TileLayout.Cube ? square * a : square * square;
        }
    }
}
