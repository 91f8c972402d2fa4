using System.Security.Cryptography;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>
/// Directions along which an ensemble also records moments: for K directions v_k (rows of <see cref="Directions"/>,
/// K × d) and a centre c, each trajectory's projections y_k = Σ_i v_ki (x_i − c_i), computed in double from the float32
/// state in the fixed order i = 0 … d − 1 (the same host code on every backend, <see cref="TileMoments"/>), with their
/// tile sums Σy, Σy², Σy³, Σy⁴ — and, with <see cref="Covariance"/>, the pair sums Σy_a y_b (a ≤ b) — reduced in the order of
/// <see cref="TileLayout"/> and accumulated exactly, like the coordinate statistics.
/// The directions need not be unit vectors; they are used as given.
/// </summary>
/// <remarks>
/// Memory: each record holds 4K exact sums, or 3K + K(K+1)/2 with <see cref="Covariance"/>, of 136 bytes each (17 limbs
/// of 64 bits), once per worker thread and once merged — K = 386 with the covariance: 75 K sums, 10 MiB a record and a buffer;
/// K = 2000: 2.0 M sums, 272 MiB. See <see cref="SumsPerRecord"/>.
/// </remarks>
public sealed class ProjectionSpec : IEquatable<ProjectionSpec>
{
    private readonly double[] centre;
    private readonly double[] directions;

    /// <summary>
    /// K directions (rows of <paramref name="directions"/>, K × d) about <paramref name="centre"/> (length d); with
    /// <paramref name="covariance"/> the K × K covariance of the projections is recorded too.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes disagree, K is outside 1 … <see cref="TileLayout.MaxCoordinates"/> or a value is not finite.</exception>
    public ProjectionSpec(double[] centre, double[,] directions, bool covariance = false)
    {
        ArgumentNullException.ThrowIfNull(centre);
        ArgumentNullException.ThrowIfNull(directions);
        int k = directions.GetLength(0);
        int d = directions.GetLength(1);
        if (d != centre.Length || d < 1)
        {
            throw new ArgumentException($"the directions have {d} coordinates, the centre {centre.Length}", nameof(directions));
        }

        if (k < 1 || k > TileLayout.MaxCoordinates)
        {
            throw new ArgumentException($"between 1 and {TileLayout.MaxCoordinates} directions (got {k})", nameof(directions));
        }

        this.centre = (double[])centre.Clone();
        this.directions = new double[k * d];
        for (int a = 0; a < k; a++)
        {
            for (int i = 0; i < d; i++)
            {
                this.directions[a * d + i] = directions[a, i];
            }
        }

        if (!this.centre.All(double.IsFinite) || !this.directions.All(double.IsFinite))
        {
            throw new ArgumentException("the centre and the directions must be finite", nameof(directions));
        }

        Count = k;
        Dimension = d;
        Covariance = covariance;
    }

    /// <summary>Number K of directions.</summary>
    public int Count { get; }

    /// <summary>Dimension d of a state.</summary>
    public int Dimension { get; }

    /// <summary>Whether the K × K covariance of the projections is recorded (the pair sums Σy_a y_b, a ≤ b).</summary>
    public bool Covariance { get; }

    /// <summary>The second moments recorded: all pairs with <see cref="Covariance"/>, else the squares only.</summary>
    public StatisticsPlan Plan => Covariance ? StatisticsPlan.FullPairs : StatisticsPlan.Coordinates;

    /// <summary>Exact sums per record: 3K + K(K+1)/2 with <see cref="Covariance"/>, else 4K.</summary>
    public long SumsPerRecord => 3L * Count + (Covariance ? Count * (Count + 1L) / 2 : Count);

    /// <summary>
    /// The .npy file the directions were read from (full path), or null when they were given in code or inline; a scenario
    /// writes it back with the directions' <see cref="Fingerprint"/>.
    /// </summary>
    public string? DirectionsFile { get; init; }

    /// <summary>True when the scenario gave the centre as <c>"initial"</c> (the initial law's mean, which <see cref="Centre"/> holds).</summary>
    public bool CentreIsInitialMean { get; init; }

    /// <summary>The centre c (a copy).</summary>
    public double[] Centre => (double[])centre.Clone();

    /// <summary>The directions, K × d (a copy).</summary>
    public double[,] Directions
    {
        get
        {
            var copy = new double[Count, Dimension];
            for (int a = 0; a < Count; a++)
            {
                for (int i = 0; i < Dimension; i++)
                {
                    copy[a, i] = directions[a * Dimension + i];
                }
            }

            return copy;
        }
    }

    /// <summary>Statistics per record, in the order of <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> for K coordinates and <see cref="Plan"/>.</summary>
    internal int StatisticCount => TileLayout.StatisticCount(Count, Plan);

    /// <summary>Doubles of the scratch <c>y</c> of <see cref="TileSums"/>.</summary>
    internal int ScratchLength => TileMoments.ScratchLength(Count);

    /// <summary>SHA-256 (lower-case hex) of the directions as float64 little-endian values, K × d row-major: what a written scenario pins the file by.</summary>
    public string Fingerprint()
    {
        var bytes = new byte[directions.Length * sizeof(double)];
        Buffer.BlockCopy(directions, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < bytes.Length; i += sizeof(double))
            {
                Array.Reverse(bytes, i, sizeof(double));
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>
    /// The tile sums of the projections in the order of <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> for K
    /// coordinates and <see cref="Plan"/>: <paramref name="state"/>[i·TileSize + s] is coordinate i of slot s widened from
    /// float (read only for included slots), <paramref name="included"/> which slots count (valid, not diverged);
    /// <paramref name="centred"/> is scratch of d·<see cref="TileLayout.TileSize"/>, <paramref name="y"/> of <see cref="ScratchLength"/>.
    /// </summary>
    internal void TileSums(ReadOnlySpan<double> state, ReadOnlySpan<bool> included, Span<double> centred, Span<double> y, Span<double> sums)
    {
        TileMoments.Project(state, centre, directions, Count, included, centred, y);
        TileMoments.Sums(y, Count, Plan, sums);
    }

    /// <summary>True when both have the same directions, centre, covariance option and source (file, centre given as the initial mean).</summary>
    public bool Equals(ProjectionSpec? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Count == other.Count && Dimension == other.Dimension && Covariance == other.Covariance
             && DirectionsFile == other.DirectionsFile && CentreIsInitialMean == other.CentreIsInitialMean
             && centre.AsSpan().SequenceEqual(other.centre) && directions.AsSpan().SequenceEqual(other.directions)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ProjectionSpec);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Count, Dimension, Covariance, DirectionsFile, CentreIsInitialMean, directions[0], centre[0]);
}
