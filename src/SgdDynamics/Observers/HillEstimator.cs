using System.Numerics;

namespace SgdDynamics.Observers;

/// <summary>Which tail of a sample a tail estimator looks at.</summary>
public enum TailSide
{
    /// <summary>Both tails together: the estimator sees |x|.</summary>
    Absolute,

    /// <summary>The right tail: the estimator sees x (only positive values can lie in the tail).</summary>
    Upper,

    /// <summary>The left tail: the estimator sees −x (only negative values can lie in the tail).</summary>
    Lower,
}

/// <summary>How the number k of upper order statistics in a Hill estimate was chosen.</summary>
public enum TailCountRule
{
    /// <summary>k = ⌊√n⌋ (see <see cref="HillEstimator.SquareRootCount"/>).</summary>
    SquareRoot,

    /// <summary>The most stable stretch of the Hill plot (see <see cref="HillEstimator.Estimate{T}(ReadOnlySpan{T}, TailSide, TailCountRule)"/>).</summary>
    Stability,

    /// <summary>k given by the caller.</summary>
    Fixed,
}

/// <summary>
/// A Hill estimate of the tail index α of a sample, P(Y &gt; y) ~ y^(−α), with Y = |x|, x or −x by <see cref="Side"/>.
/// </summary>
/// <param name="Alpha">α̂ = [ (1/k) Σ_{i=1..k} log(Y_(n−i+1) / Y_(n−k)) ]⁻¹.</param>
/// <param name="StandardError">α̂/√k, the asymptotic standard deviation of α̂ (Hall 1982).</param>
/// <param name="K">Number k of upper order statistics used.</param>
/// <param name="N">Number n of values in the sample (non-finite values excluded).</param>
/// <param name="Threshold">Y_(n−k), the (k+1)-th largest value: the tail is what lies above it.</param>
/// <param name="Side">The tail estimated.</param>
/// <param name="Rule">How <see cref="K"/> was chosen.</param>
/// <param name="Excluded">Number of NaN and infinite values left out (diverged trajectories).</param>
public sealed record HillEstimate(
    double Alpha,
    double StandardError,
    int K,
    int N,
    double Threshold,
    TailSide Side,
    TailCountRule Rule,
    int Excluded);

/// <summary>
/// The Hill estimator of the tail index (Hill 1975, "A simple general approach to inference about the tail of a
/// distribution", Ann. Statist. 3, 1163). With Y_(1) ≤ … ≤ Y_(n) the ordered sample,
/// <c>α̂(k) = [ (1/k) Σ_{i=1..k} log(Y_(n−i+1) / Y_(n−k)) ]⁻¹</c>; when the tail is regularly varying and
/// k → ∞, k/n → 0 with negligible bias, √k (α̂ − α) → N(0, α²) (Hall 1982, "On some simple estimates of an
/// exponent of regular variation", J. R. Statist. Soc. B 44, 37), so the standard error is α̂/√k.
/// </summary>
/// <remarks>
/// <para>
/// <b>Choice of k.</b> The default is <see cref="TailCountRule.SquareRoot"/>, k = ⌊√n⌋: it satisfies
/// k → ∞, k/n → 0, and it is the mean-squared-error-optimal rate n^(2|ρ|/(2|ρ|+1)) for a second-order
/// parameter ρ = −1/2 (Student-t with ν = 4; Student-t with ν degrees of freedom has ρ = −2/ν). For
/// faster-fading corrections (|ρ| &gt; 1/2, e.g. Pareto-like tails) it errs on the side of small k: negligible bias,
/// a larger but correctly reported standard error; for slower ones (|ρ| &lt; 1/2) the bias grows with n
/// relative to the standard error.
/// </para>
/// <para>
/// <see cref="TailCountRule.Stability"/> looks for the flattest stretch of the Hill plot: over every
/// k ∈ [k₋, k₊] with k₋ = max(2, ⌊n^0.3⌋) and k₊ = min(n − 1, ⌊n^0.7⌋) (both computed exactly in integers), it
/// takes the window of α̂(j) for ⌈k/2⌉ ≤ j ≤ 2k (a factor 2 either side of k; clipped to j ≤ n − 1 with a
/// positive threshold) and its coefficient of variation (population standard deviation over mean); the k with
/// the smallest value is chosen, the smallest such k on ties. Noise makes the Hill plot rough at small k, bias
/// makes it drift at large k, and a window proportional to k sees both. It suits tails whose second-order
/// correction fades fast (Pareto-like tails; Student-t with ν ≤ 2, ρ = −2/ν ≤ −1), where it takes k of order
/// n^0.7 and a standard error several times smaller than the square-root rule's. For slowly fading corrections
/// (Student-t with ν ≥ 3) the drift is too gentle to stop it and α̂ is biased low by a few standard errors: use
/// the square-root rule there. The reported standard error α̂/√k does not include the effect of choosing k from
/// the data.
/// </para>
/// <para>
/// NaN and infinite values are left out and counted in <see cref="HillEstimate.Excluded"/>; the engine marks
/// diverged trajectories as NaN, so their number is reported, never folded into the tail.
/// </para>
/// </remarks>
public static class HillEstimator
{
    // k₋ = ⌊n^(3/10)⌋, k₊ = ⌊n^(7/10)⌋ for the stability rule.
    private const int StabilityLowExponentTenths = 3;
    private const int StabilityHighExponentTenths = 7;

    /// <summary>
    /// Estimates the tail index of <paramref name="samples"/> on <paramref name="side"/>, choosing k by
    /// <paramref name="rule"/> (<see cref="TailCountRule.SquareRoot"/> or <see cref="TailCountRule.Stability"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 finite values; a rule of <see cref="TailCountRule.Fixed"/>
    /// (use <see cref="EstimateWithCount{T}(ReadOnlySpan{T}, int, TailSide)"/>); or no admissible k (the
    /// threshold must be positive and the top values not all tied).</exception>
    public static HillEstimate Estimate<T>(ReadOnlySpan<T> samples, TailSide side = TailSide.Absolute, TailCountRule rule = TailCountRule.SquareRoot)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tail = DescendingTail.From(samples, side);
        return EstimateSorted(tail, side, rule);
    }

    /// <summary>Estimates the tail index with a given number <paramref name="k"/> of upper order statistics.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not in [1, n − 1].</exception>
    /// <exception cref="ArgumentException">Fewer than 2 finite values, a threshold Y_(n−k) ≤ 0, or the top k + 1 values all equal.</exception>
    public static HillEstimate EstimateWithCount<T>(ReadOnlySpan<T> samples, int k, TailSide side = TailSide.Absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tail = DescendingTail.From(samples, side);
        return EstimateAt(tail, k, side, TailCountRule.Fixed);
    }

    /// <summary>
    /// The Hill plot: α̂(k) for k = 1 … <paramref name="maxCount"/> (element k − 1), NaN where the threshold
    /// Y_(n−k) is not positive, +∞ where the top k + 1 values are all equal.
    /// </summary>
    public static double[] Plot(ReadOnlySpan<double> samples, int maxCount, TailSide side = TailSide.Absolute)
    {
        var tail = DescendingTail.From(samples, side);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCount, tail.N - 1);
        return tail.AlphaPath(maxCount);
    }

    /// <summary>k = ⌊√n⌋, at least 1 and at most n − 1: the default number of upper order statistics.</summary>
    public static int SquareRootCount(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        int k = (int)Math.Sqrt(n);
        while ((long)k * k > n)
        {
            k--;
        }

        while ((long)(k + 1) * (k + 1) <= n)
        {
            k++;
        }

        return Math.Clamp(k, 1, n - 1);
    }

    /// <summary>
    /// The candidate range [k₋, k₊] = [max(2, ⌊n^0.3⌋), min(n − 1, ⌊n^0.7⌋)] of <see cref="TailCountRule.Stability"/>,
    /// with ⌊n^(p/10)⌋ computed exactly as the largest integer m with m^10 ≤ n^p.
    /// </summary>
    public static (int Low, int High) StabilityRange(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        int low = Math.Max(2, FloorRoot(n, StabilityLowExponentTenths));
        int high = Math.Min(n - 1, FloorRoot(n, StabilityHighExponentTenths));
        return (low, high);
    }

    /// <summary>The stability window around k: ⌈k/2⌉ ≤ j ≤ 2k.</summary>
    public static (int First, int Last) StabilityWindow(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return ((k + 1) / 2, 2 * k);
    }

    private static HillEstimate EstimateSorted(DescendingTail tail, TailSide side, TailCountRule rule) => rule switch
    {
        TailCountRule.SquareRoot => EstimateAt(tail, SquareRootCount(tail.N), side, rule),
        TailCountRule.Stability => EstimateAt(tail, StableCount(tail), side, rule),
        _ => throw new ArgumentException("use EstimateWithCount to give k", nameof(rule)),
    };

    private static HillEstimate EstimateAt(DescendingTail tail, int k, TailSide side, TailCountRule rule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, tail.N - 1);
        double threshold = tail.Values[k];
        if (!(threshold > 0))
        {
            throw new ArgumentException(
                $"the threshold Y_(n−k) = {threshold:G6} (k = {k}) is not positive: fewer than k + 1 values lie on the {side} side");
        }

        double alpha = tail.Alpha(k);
        if (double.IsPositiveInfinity(alpha))
        {
            throw new ArgumentException($"the top {k + 1} values on the {side} side are all equal: no tail to estimate");
        }

        return new HillEstimate(alpha, alpha / Math.Sqrt(k), k, tail.N, threshold, side, rule, tail.Excluded);
    }

    private static int StableCount(DescendingTail tail)
    {
        (int low, int high) = StabilityRange(tail.N);
        if (high < low)
        {
            throw new ArgumentException($"{tail.N} values are too few for the stability rule (need k₋ ≤ k₊)");
        }

        int reach = Math.Min(tail.N - 1, StabilityWindow(high).Last);
        double[] path = tail.AlphaPath(reach);
        int valid = 0; // α̂(j) is finite for j = 1 … valid
        while (valid < reach && double.IsFinite(path[valid]))
        {
            valid++;
        }

        // Prefix sums of α̂ and α̂² over the valid stretch: window means in O(1).
        var sum = new double[valid + 1];
        var sumSquares = new double[valid + 1];
        for (int j = 1; j <= valid; j++)
        {
            sum[j] = sum[j - 1] + path[j - 1];
            sumSquares[j] = sumSquares[j - 1] + path[j - 1] * path[j - 1];
        }

        int best = -1;
        double bestVariation = double.PositiveInfinity;
        for (int k = low; k <= Math.Min(high, valid); k++)
        {
            (int first, int last) = StabilityWindow(k);
            last = Math.Min(valid, last);
            int count = last - first + 1;
            double mean = (sum[last] - sum[first - 1]) / count;
            double meanSquare = (sumSquares[last] - sumSquares[first - 1]) / count;
            double variation = Math.Sqrt(Math.Max(0.0, meanSquare - mean * mean)) / mean;
            if (variation < bestVariation)
            {
                bestVariation = variation;
                best = k;
            }
        }

        return best >= 0
            ? best
            : throw new ArgumentException($"no k in [{low}, {high}] has a positive threshold and untied top values on the {tail.Side} side");
    }

    /// <summary>Largest integer m with m^10 ≤ n^p.</summary>
    private static int FloorRoot(int n, int p)
    {
        BigInteger target = BigInteger.Pow(n, p);
        int m = (int)Math.Floor(Math.Pow(n, p / 10.0));
        while (m > 0 && BigInteger.Pow(m, 10) > target)
        {
            m--;
        }

        while (BigInteger.Pow(m + 1, 10) <= target)
        {
            m++;
        }

        return m;
    }

    /// <summary>The finite values of Y sorted in descending order, with prefix sums of their logarithms.</summary>
    private sealed class DescendingTail
    {
        private double[]? logPrefix;

        private DescendingTail(double[] values, int excluded, TailSide side)
        {
            Values = values;
            Excluded = excluded;
            Side = side;
        }

        /// <summary>Y sorted descending: Values[i] = Y_(n−i).</summary>
        public double[] Values { get; }

        public int N => Values.Length;

        public int Excluded { get; }

        public TailSide Side { get; }

        public static DescendingTail From<T>(ReadOnlySpan<T> samples, TailSide side)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            (double[] values, int n) = FiniteSamples.Collect(samples);
            for (int i = 0; i < n; i++)
            {
                values[i] = Transform(values[i], side);
            }

            return Create(values, n, samples.Length - n, side);
        }

        /// <summary>α̂(k) = 1 / ((1/k) Σ_{i&lt;k} log Values[i] − log Values[k]).</summary>
        public double Alpha(int k)
        {
            double threshold = Values[k];
            if (!(threshold > 0))
            {
                return double.NaN;
            }

            double[] prefix = LogPrefix(k);
            double gamma = prefix[k] / k - Math.Log(threshold);
            return gamma > 0 ? 1.0 / gamma : double.PositiveInfinity;
        }

        /// <summary>α̂(1 … maxCount).</summary>
        public double[] AlphaPath(int maxCount)
        {
            LogPrefix(maxCount);
            var path = new double[maxCount];
            for (int k = 1; k <= maxCount; k++)
            {
                path[k - 1] = Alpha(k);
            }

            return path;
        }

        private static DescendingTail Create(double[] values, int n, int excluded, TailSide side)
        {
            if (n < 2)
            {
                throw new ArgumentException($"a Hill estimate needs at least 2 finite values; got {n} ({excluded} non-finite excluded)");
            }

            Array.Resize(ref values, n);
            Array.Sort(values);
            Array.Reverse(values);
            return new DescendingTail(values, excluded, side);
        }

        private static double Transform(double x, TailSide side) => side switch
        {
            TailSide.Absolute => Math.Abs(x),
            TailSide.Upper => x,
            TailSide.Lower => -x,
            _ => throw new ArgumentOutOfRangeException(nameof(side)),
        };

        /// <summary>Prefix sums of log Values[i] over the leading values, as long as they are positive, up to index <paramref name="count"/>.</summary>
        private double[] LogPrefix(int count)
        {
            if (logPrefix is null || logPrefix.Length <= count)
            {
                var prefix = new double[count + 1];
                for (int i = 0; i < count; i++)
                {
                    prefix[i + 1] = prefix[i] + (Values[i] > 0 ? Math.Log(Values[i]) : double.NaN);
                }

                logPrefix = prefix;
            }

            return logPrefix;
        }
    }
}
