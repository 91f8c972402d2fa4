using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Result of <see cref="MasterEquationSolver.Stationary"/>: the final density, the number of steps taken, the L1
/// change of the last step (<c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>) and whether it fell below the tolerance.
/// </summary>
public sealed record MasterEquationStationary(GridDensity Density, int Steps, double FinalChange, bool Converged);

/// <summary>
/// Master equation of discrete SGD on a 1-D or 2-D grid,
/// <c>p_{k+1}(y) = E_b ∫ δ(y − x + η g_b(x)) p_k(x) dx</c>, for Gaussian gradient noise (additive and curvature
/// noise): the one-step kernel from x is <c>N(μ(x), C(x))</c> with <c>μ(x) = x − η ḡ(x)</c> and
/// <c>C(x) = η² Σ(x)</c>. Each source cell c (centre x_c, mass m_c) sends <c>m_c w_cj</c> to target cells j and
/// <c>m_c ℓ_c</c> out of an absorbing box, with <c>Σ_j w_cj + ℓ_c = 1</c> to rounding and all <c>w_cj ≥ 0</c>.
/// <para>
/// Kernel weights (1-D and 2-D alike): the Gaussian density sampled at cell centres and normalised over its
/// truncated window. 1-D: <c>w_cj = exp(−z²/2)/Z_c</c>, <c>z = (x_j − μ_c)/s_c</c>, <c>s = η √Σ(x)</c>, over the
/// cells that meet <c>[μ − T s, μ + T s]</c> (T = <see cref="TruncationSigmas"/>). 2-D: <c>C</c> written as the
/// marginal of x₀ times the conditional of x₁, <c>N(μ₀, C₀₀) · N(μ₁ + (C₀₁/C₀₀)(x₀ − μ₀), C₁₁ − C₀₁²/C₀₀)</c>,
/// <c>w ∝ exp(−z₀²/2 − z_c²/2)</c> over the rows that meet <c>μ₀ ± T √C₀₀</c> and, in each row, the columns that meet
/// the conditional mean ± T conditional sd. A normalised lattice-sampled Gaussian has mean μ and covariance C up
/// to terms of order <c>exp(−2π² s²/h²)</c> (Poisson summation, s the (conditional) sd along each axis) and the
/// truncation, of order <c>T e^{−T²/2}</c>: the kernel adds no O(h²) variance. (Earlier versions used exact 1-D
/// cell probabilities Φ differences, which add Sheppard's h²/12 of variance per step; the sampled kernel replaced
/// them so that 1-D and 2-D share one formula and one gather kernel.)
/// </para>
/// <para>
/// Push-forward. When the kernel is not resolved by the grid — 1-D: <c>s &lt; r h</c>; 2-D: either conditional
/// sd (<c>√(det C / C₁₁)</c> along axis 0, <c>√(det C / C₀₀)</c> along axis 1) below r times that axis's spacing,
/// r = <see cref="ResolutionThreshold"/> — the noise is dropped and the mass is pushed to μ with linear
/// (cloud-in-cell) weights on the nearest cell centres: conservative, non-negative and mean-preserving
/// (<c>Σ_j w_j x_j = μ</c> exactly away from the boundary), with a per-step variance of <c>f(1 − f) h²</c> per
/// axis (f the fractional offset of μ between centres).
/// </para>
/// <para>
/// Boundary. <see cref="GridBoundary.Absorbing"/>: the part of a Gaussian window outside the box (with the same
/// normalisation) and the whole mass of a push-forward whose μ lies outside the box are added to
/// <see cref="GridDensity.LostMass"/>, so grid mass + lost mass is conserved to rounding; a push-forward to a point
/// inside the box within half a cell of a face folds the outer weight onto the face cell.
/// <see cref="GridBoundary.Reflecting"/>: out-of-box cells of a window (and of a cloud-in-cell stencil) are
/// mirrored across the faces as often as needed (method of images); μ is first translated by a multiple of the
/// mirror period 2L, which changes nothing. Nothing is ever renormalised away.
/// </para>
/// <para>
/// Gather. The step runs as a deterministic gather (<see cref="MasterEquationKernels"/>): a prepare kernel,
/// generic over the landscape struct, tabulates per source cell μ_c, the marginal/conditional parameters, 1/Z_c,
/// ℓ_c and the window rows; the host then bounds, for every target cell (1-D) or every target row and column
/// (2-D), the range of source cells whose stencils reach it (one pass over the windows); each step computes every
/// target as <c>p'_j = Σ_{c ∈ range(j)} m_c w_cj</c> (weights evaluated on the fly, sources in increasing order,
/// all mirror images of j under reflection), and the lost mass as block sums <c>Σ_{c ∈ block} m_c ℓ_c</c> added on
/// the host in block order. No atomics: any thread count, the managed backend and ILGPU compute every target by
/// the same formula in the same order (they differ only in the last bits of <c>exp</c> across devices). Cost per
/// step: <c>Σ_j |range(j)|</c> weight evaluations (the window size per target for a monotone map μ(x); a folding
/// map, e.g. a double well at large η, widens the bounding ranges).
/// </para>
/// An instance holds its tables (and device buffers on ILGPU) and is not safe for concurrent use.
/// </summary>
public sealed class MasterEquationSolver : IDisposable
{
    /// <summary>A kernel whose conditional sd along an axis is below this fraction of the spacing is a push-forward.</summary>
    public const double ResolutionThreshold = 0.5;

    /// <summary>Target cells per work item of the managed backend (fixed, so the work split is machine-independent).</summary>
    private const int TargetBlock = 256;

    private const long MaxWindowCells = 1L << 26;

    private readonly UniformGrid grid;
    private readonly MasterGrid geometry;
    private readonly GridDevice device;
    private readonly double[] table;
    private readonly int[] ranges;
    private readonly double[] next;
    private readonly int lostBlocks;
    private readonly double[] lostSums;
    private readonly DeviceState? gpu;
    private readonly ManagedGather? gather;

    /// <summary>A solver for SGD with learning rate <paramref name="learningRate"/> on <paramref name="landscape"/>.</summary>
    /// <param name="grid">The grid (1-D or 2-D, same dimension as the landscape).</param>
    /// <param name="landscape">Mean gradient ḡ(x) and noise covariance Σ(x).</param>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="boundary">Absorbing (lost mass reported) or reflecting.</param>
    /// <param name="truncationSigmas">T: the Gaussian window spans ± T standard deviations (marginal along axis 0, conditional along axis 1).</param>
    /// <param name="device">Where the kernels run (null: the managed backend on all processors). Not disposed by the solver.</param>
    /// <exception cref="ArgumentException">Dimensions differ, η or T is not positive and finite, Σ(x) is not finite or not positive semidefinite on the diagonal, μ is not finite under reflection, or a window exceeds 2²⁶ cells.</exception>
    public MasterEquationSolver(
        UniformGrid grid, GridLandscape landscape, double learningRate, GridBoundary boundary = GridBoundary.Absorbing, double truncationSigmas = 6,
        GridDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(landscape);
        if (landscape.Dimension != grid.Dimension)
        {
            throw new ArgumentException($"landscape dimension {landscape.Dimension} differs from grid dimension {grid.Dimension}", nameof(landscape));
        }

        if (!double.IsFinite(learningRate) || learningRate <= 0)
        {
            throw new ArgumentException($"learning rate must be positive and finite (got {learningRate})", nameof(learningRate));
        }

        if (!double.IsFinite(truncationSigmas) || truncationSigmas <= 0)
        {
            throw new ArgumentException($"truncation must be positive and finite (got {truncationSigmas})", nameof(truncationSigmas));
        }

        this.grid = grid;
        this.device = device ?? GridDevice.Managed();
        LearningRate = learningRate;
        Boundary = boundary;
        TruncationSigmas = truncationSigmas;
        int d = grid.Dimension;
        geometry = new MasterGrid(
            d, grid.Cells[0], d == 2 ? grid.Cells[1] : 1, boundary == GridBoundary.Reflecting ? 1 : 0,
            grid.Lower[0], d == 2 ? grid.Lower[1] : 0, grid.Upper[0], d == 2 ? grid.Upper[1] : 1,
            learningRate, truncationSigmas, ResolutionThreshold, MaxWindowCells);

        table = new double[grid.Count * K.Stride];
        Accelerator? accelerator = this.device.Accelerator;
        if (accelerator is null)
        {
            landscape.Accept(new ManagedPrepare(geometry, table, Options));
        }
        else
        {
            landscape.Accept(new DevicePrepare(accelerator, geometry, table));
        }

        Validate();
        ranges = BuildRanges();
        next = new double[grid.Count];
        lostBlocks = (grid.Count + K.LostBlock - 1) / K.LostBlock;
        lostSums = new double[lostBlocks];
        if (accelerator is null)
        {
            gather = new ManagedGather(table, geometry);
        }

        if (accelerator is not null)
        {
            gpu = new DeviceState(accelerator, table, ranges, grid.Count, lostBlocks);
        }
    }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Boundary handling.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>Truncation T of the Gaussian window in standard deviations.</summary>
    public double TruncationSigmas { get; }

    /// <summary>Where the kernels run.</summary>
    public GridDevice Device => device;

    /// <summary>
    /// Weight evaluations per step, <c>Σ_j |range(j)|</c> (1-D) or <c>Σ_{(r,q)} |rows(r)| |columns(q)|</c> (2-D):
    /// the work of the gather.
    /// </summary>
    public long PairsPerStep
    {
        get
        {
            long total = 0;
            if (grid.Dimension == 1)
            {
                for (int j = 0; j < grid.Count; j++)
                {
                    total += Math.Max(0, ranges[2 * j + 1] - ranges[2 * j] + 1);
                }

                return total;
            }

            long rowSum = 0, colSum = 0;
            for (int r = 0; r < geometry.Rows; r++)
            {
                rowSum += Math.Max(0, ranges[2 * r + 1] - ranges[2 * r] + 1);
            }

            for (int q = 0; q < geometry.Columns; q++)
            {
                colSum += Math.Max(0, ranges[2 * geometry.Rows + 2 * q + 1] - ranges[2 * geometry.Rows + 2 * q] + 1);
            }

            return rowSum * colSum;
        }
    }

    private ParallelOptions Options => new() { MaxDegreeOfParallelism = device.Threads };

    /// <summary>
    /// One SGD step of the whole density, in place: <c>p ← K p</c>, with the mass that leaves an absorbing box
    /// (<c>Σ_c m_c ℓ_c</c>) added to <see cref="GridDensity.LostMass"/>.
    /// </summary>
    public void Step(GridDensity density) => Advance(density, 1);

    /// <summary><paramref name="steps"/> steps of <see cref="Step"/> (kept on the device between steps on ILGPU).</summary>
    public void Advance(GridDensity density, int steps)
    {
        CheckGrid(density);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (steps == 0)
        {
            return;
        }

        if (gpu is not null)
        {
            gpu.Advance(geometry, density, steps, lostSums);
            return;
        }

        double[] mass = density.Mass;
        for (int s = 0; s < steps; s++)
        {
            density.LostMass += ManagedStep(mass);
        }
    }

    /// <summary>
    /// Iterates a copy of <paramref name="start"/> until the L1 change of one step,
    /// <c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>, is below <paramref name="tolerance"/>, or for
    /// <paramref name="maxSteps"/> steps; reports the steps taken and the last change.
    /// </summary>
    public MasterEquationStationary Stationary(GridDensity start, double tolerance, int maxSteps)
    {
        CheckGrid(start);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        var density = new GridDensity(grid) { LostMass = start.LostMass };
        Array.Copy(start.Mass, density.Mass, grid.Count);
        var previous = new double[grid.Count];
        double change = double.PositiveInfinity;
        for (int step = 1; step <= maxSteps; step++)
        {
            Array.Copy(density.Mass, previous, grid.Count);
            double lostBefore = density.LostMass;
            Step(density);
            change = Math.Abs(density.LostMass - lostBefore);
            for (int c = 0; c < previous.Length; c++)
            {
                change += Math.Abs(density.Mass[c] - previous[c]);
            }

            if (change < tolerance)
            {
                return new MasterEquationStationary(density, step, change, true);
            }
        }

        return new MasterEquationStationary(density, maxSteps, change, false);
    }

    /// <inheritdoc/>
    public void Dispose() => gpu?.Dispose();

    private void CheckGrid(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var other = density.Grid;
        if (!ReferenceEquals(other, grid)
            && (!other.Cells.SequenceEqual(grid.Cells) || !other.Lower.SequenceEqual(grid.Lower) || !other.Upper.SequenceEqual(grid.Upper)))
        {
            throw new ArgumentException("the density lives on a different grid", nameof(density));
        }
    }

    /// <summary>Managed step: fixed blocks of targets in parallel, then the lost-mass blocks; returns the mass lost.</summary>
    private double ManagedStep(double[] mass)
    {
        var tableBuffer = new ArrayDoubles(table);
        var rangeBuffer = new ArrayInts(ranges);
        var massBuffer = new ArrayDoubles(mass);
        double[] output = next;
        MasterGrid g = geometry;
        int count = grid.Count;
        int blocks = (count + TargetBlock - 1) / TargetBlock;
        Parallel.For(0, blocks + lostBlocks, Options, b =>
        {
            if (b >= blocks)
            {
                lostSums[b - blocks] = K.LostInBlock(b - blocks, count, tableBuffer, massBuffer);
                return;
            }

            int end = Math.Min(count, (b + 1) * TargetBlock);
            if (g.Dimension == 1)
            {
                gather!.Gather1(b * TargetBlock, end, g, table, ranges, mass, output);
            }
            else
            {
                gather!.Gather2(b * TargetBlock, end, g, table, ranges, mass, output);
            }
        });

        Array.Copy(output, mass, count);
        double lost = 0;
        for (int b = 0; b < lostBlocks; b++)
        {
            lost += lostSums[b];
        }

        return lost;
    }

    private void Validate()
    {
        for (int c = 0; c < grid.Count; c++)
        {
            switch ((int)table[c * K.Stride + K.Kind])
            {
                case K.KindNegativeVariance:
                    throw new ArgumentException($"noise covariance has a negative (or non-finite) variance at cell {c}");
                case K.KindNonFiniteMean:
                    throw new ArgumentException($"the kernel mean of cell {c} is not finite");
                case K.KindTooWide:
                    throw new ArgumentException($"the kernel window of cell {c} exceeds {MaxWindowCells} cells; refine the noise or coarsen the grid");
            }
        }
    }

    /// <summary>
    /// Bounding source ranges: 1-D <c>ranges[2j], ranges[2j+1]</c> = first and last source cell that can reach
    /// target j; 2-D the same per target row (source rows) followed by per target column (source columns).
    /// Empty ranges are (0, −1).
    /// </summary>
    private int[] BuildRanges()
    {
        int rows = geometry.Rows, columns = geometry.Columns;
        int d = grid.Dimension;
        int length = d == 1 ? 2 * rows : 2 * (rows + columns);
        var result = new int[length];
        for (int i = 0; i < length; i += 2)
        {
            result[i] = int.MaxValue;
            result[i + 1] = -1;
        }

        for (int c = 0; c < grid.Count; c++)
        {
            int sourceRow = c / columns, sourceColumn = c - sourceRow * columns;
            if (!TargetBox(c, out long rowLow, out long rowHigh, out long columnLow, out long columnHigh))
            {
                continue;
            }

            for (long r = rowLow; r <= rowHigh; r++)
            {
                result[2 * r] = Math.Min(result[2 * r], sourceRow);
                result[2 * r + 1] = Math.Max(result[2 * r + 1], sourceRow);
            }

            if (d == 2)
            {
                for (long q = columnLow; q <= columnHigh; q++)
                {
                    long o = 2 * rows + 2 * q;
                    result[o] = Math.Min(result[o], sourceColumn);
                    result[o + 1] = Math.Max(result[o + 1], sourceColumn);
                }
            }
        }

        for (int i = 0; i < length; i += 2)
        {
            if (result[i] > result[i + 1])
            {
                result[i] = 0;
                result[i + 1] = -1;
            }
        }

        return result;
    }

    /// <summary>Bounding box of the target rows and columns (in the box) that source cell c reaches; false when it reaches none.</summary>
    private bool TargetBox(int c, out long rowLow, out long rowHigh, out long columnLow, out long columnHigh)
    {
        int o = c * K.Stride;
        int kind = (int)table[o + K.Kind];
        int rows = geometry.Rows, columns = geometry.Columns;
        int reflecting = geometry.Reflecting;
        rowLow = columnLow = 0;
        rowHigh = columnHigh = -1;
        if (kind == K.KindPushForward)
        {
            long i = (long)Math.Floor((table[o + K.Mean0] - geometry.Lower0) / geometry.H0 - 0.5);
            long a = K.MapIndex(i, rows, reflecting), b = K.MapIndex(i + 1, rows, reflecting);
            (rowLow, rowHigh) = (Math.Min(a, b), Math.Max(a, b));
            if (grid.Dimension == 2)
            {
                long i1 = (long)Math.Floor((table[o + K.Mean1] - geometry.Lower1) / geometry.H1 - 0.5);
                long a1 = K.MapIndex(i1, columns, reflecting), b1 = K.MapIndex(i1 + 1, columns, reflecting);
                (columnLow, columnHigh) = (Math.Min(a1, b1), Math.Max(a1, b1));
            }

            return true;
        }

        if (kind != K.KindGaussian)
        {
            return false;
        }

        long lo = (long)table[o + K.First], hi = (long)table[o + K.Last];
        (rowLow, rowHigh) = MappedRange(lo, hi, rows);
        if (grid.Dimension == 2)
        {
            double mu0 = table[o + K.Mean0], mu1 = table[o + K.Mean1], slope = table[o + K.Slope], sdc = table[o + K.SdCond];
            long clo = long.MaxValue, chi = long.MinValue;
            for (long r = lo; r <= hi; r++)
            {
                double mc = mu1 + slope * (geometry.Lower0 + (r + 0.5) * geometry.H0 - mu0);
                clo = Math.Min(clo, K.WindowFirst(mc, sdc, geometry.Truncation, geometry.Lower1, geometry.H1));
                chi = Math.Max(chi, K.WindowLast(mc, sdc, geometry.Truncation, geometry.Lower1, geometry.H1));
            }

            (columnLow, columnHigh) = MappedRange(clo, chi, columns);
        }

        return rowLow <= rowHigh && (grid.Dimension == 1 || columnLow <= columnHigh);
    }

    /// <summary>Cells of the box that the virtual cells [lo, hi] land on: clipped (absorbing) or mirrored (reflecting), as a bounding range.</summary>
    private (long Low, long High) MappedRange(long lo, long hi, int n)
    {
        if (geometry.Reflecting == 0)
        {
            return (Math.Max(lo, 0), Math.Min(hi, n - 1));
        }

        if (lo >= 0 && hi < n)
        {
            return (lo, hi);
        }

        if (hi - lo + 1 >= 2L * n)
        {
            return (0, n - 1);
        }

        long low = long.MaxValue, high = long.MinValue;
        for (long v = lo; v <= hi; v++)
        {
            long m = K.Mirror(v, n);
            low = Math.Min(low, m);
            high = Math.Max(high, m);
        }

        return (low, high);
    }

    /// <summary>Runs the prepare pass on the managed backend (Parallel.For over cells, the kernel's own per-cell code).</summary>
    private sealed class ManagedPrepare(MasterGrid geometry, double[] table, ParallelOptions options) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            Parallel.For(0, (int)geometry.Count, options, c =>
            {
                K.ComputeSource(c, field, geometry, out double kind, out double mu0, out double mu1, out double sd0, out double slope, out double sdc,
                    out double invNorm, out double lost, out double first, out double last);
                int o = c * K.Stride;
                table[o + K.Kind] = kind;
                table[o + K.Mean0] = mu0;
                table[o + K.Mean1] = mu1;
                table[o + K.Sd0] = sd0;
                table[o + K.Slope] = slope;
                table[o + K.SdCond] = sdc;
                table[o + K.InvNorm] = invNorm;
                table[o + K.Lost] = lost;
                table[o + K.First] = first;
                table[o + K.Last] = last;
            });
            return true;
        }
    }

    /// <summary>Runs the prepare kernel, specialised for the landscape struct, on an ILGPU accelerator and copies the table back.</summary>
    private sealed class DevicePrepare(Accelerator accelerator, MasterGrid geometry, double[] table) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            var prepare = accelerator.LoadAutoGroupedStreamKernel<Index1D, TField, MasterGrid, ArrayView<double>>(K.Prepare);
            using var buffer = accelerator.Allocate1D<double>(table.Length);
            prepare((int)geometry.Count, field, geometry, buffer.View);
            accelerator.Synchronize();
            buffer.CopyToCPU(table);
            return true;
        }
    }

    /// <summary>Device buffers and loaded kernels of the ILGPU backend.</summary>
    private sealed class DeviceState : IDisposable
    {
        private readonly Accelerator accelerator;
        private readonly MemoryBuffer1D<double, Stride1D.Dense> table;
        private readonly MemoryBuffer1D<int, Stride1D.Dense> ranges;
        private readonly MemoryBuffer1D<double, Stride1D.Dense> a;
        private readonly MemoryBuffer1D<double, Stride1D.Dense> b;
        private readonly MemoryBuffer1D<double, Stride1D.Dense> sums;
        private readonly Action<Index1D, MasterGrid, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>> step;
        private readonly Action<Index1D, long, ArrayView<double>, ArrayView<double>, ArrayView<double>> lost;
        private readonly int count;
        private readonly int blocks;

        public DeviceState(Accelerator accelerator, double[] table, int[] ranges, int count, int blocks)
        {
            this.accelerator = accelerator;
            this.count = count;
            this.blocks = blocks;
            this.table = accelerator.Allocate1D(table);
            this.ranges = accelerator.Allocate1D(ranges);
            a = accelerator.Allocate1D<double>(count);
            b = accelerator.Allocate1D<double>(count);
            sums = accelerator.Allocate1D<double>(blocks);
            step = accelerator.LoadAutoGroupedStreamKernel<Index1D, MasterGrid, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>>(K.Step);
            lost = accelerator.LoadAutoGroupedStreamKernel<Index1D, long, ArrayView<double>, ArrayView<double>, ArrayView<double>>(K.LostBlocks);
        }

        /// <summary>Runs the steps with the density resident on the device; adds each step's lost mass (block sums in order).</summary>
        public void Advance(MasterGrid geometry, GridDensity density, int steps, double[] blockSums)
        {
            a.CopyFromCPU(density.Mass);
            var current = a;
            var other = b;
            for (int s = 0; s < steps; s++)
            {
                lost(blocks, count, table.View, current.View, sums.View);
                step(count, geometry, table.View, ranges.View, current.View, other.View);
                accelerator.Synchronize();
                sums.CopyToCPU(blockSums);
                double lostMass = 0;
                for (int k = 0; k < blocks; k++)
                {
                    lostMass += blockSums[k];
                }

                density.LostMass += lostMass;
                (current, other) = (other, current);
            }

            current.CopyToCPU(density.Mass);
        }

        public void Dispose()
        {
            table.Dispose();
            ranges.Dispose();
            a.Dispose();
            b.Dispose();
            sums.Dispose();
        }
    }
}

/// <summary>A managed array as a kernel <see cref="IDoubleBuffer"/>.</summary>
internal readonly struct ArrayDoubles(double[] array) : IDoubleBuffer
{
    /// <inheritdoc/>
    public double Get(long index) => array[index];
}

/// <summary>A managed array as a kernel <see cref="IIntBuffer"/>.</summary>
internal readonly struct ArrayInts(int[] array) : IIntBuffer
{
    /// <inheritdoc/>
    public int Get(long index) => array[index];
}
