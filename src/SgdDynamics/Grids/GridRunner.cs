using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Problems;

namespace SgdDynamics.Grids;

/// <summary>Moments of a grid density at one recorded step (time t = step·η).</summary>
/// <param name="Step">SGD step k.</param>
/// <param name="Time">t = kη.</param>
/// <param name="Mass">Probability mass on the grid.</param>
/// <param name="LostMass">Mass that has left through an absorbing boundary.</param>
/// <param name="Mean">Mean of x over the grid mass (normalised by <paramref name="Mass"/>).</param>
/// <param name="Covariance">Covariance of x over the grid mass (cell centres).</param>
/// <param name="Displacement">
/// Periodic walls only (null otherwise): the expected displacement of the unwrapped motion since step 0, one entry per
/// dimension — master equation <c>E[x_k − x_0] = −η Σ_{j&lt;k} Σ_c p_j(c) ḡ(x_c)</c>, Fokker–Planck the time integral
/// of the face flows times the spacing (<see cref="FokkerPlanckSolver.Drift"/>) over its backward Euler steps.
/// </param>
public sealed record GridRecord(int Step, double Time, double Mass, double LostMass, double[] Mean, double[,] Covariance, double[]? Displacement = null);

/// <summary>The outcome of a grid run.</summary>
/// <param name="Problem">The problem.</param>
/// <param name="Algorithm">The grid solver that ran it.</param>
/// <param name="Backend">The backend that ran the solver.</param>
/// <param name="Device">What ran it, in words.</param>
/// <param name="Grid">The grid.</param>
/// <param name="Records">Moments at every recorded step.</param>
/// <param name="FinalDensity">The density after the last step (after a <see cref="Failure"/>, as the failed solve left it).</param>
/// <param name="Seconds">Wall time of the set-up (solver construction) and the steps.</param>
public sealed record GridResult(
    Problem Problem,
    GridAlgorithm Algorithm,
    string Backend,
    string Device,
    UniformGrid Grid,
    IReadOnlyList<GridRecord> Records,
    GridDensity FinalDensity,
    double Seconds)
{
    /// <summary>The last record.</summary>
    public GridRecord Final => Records[^1];

    /// <summary>
    /// Why the run stopped before its last step (a <see cref="GridSolveException"/>, with the steps it happened in, or a
    /// record whose mass is not finite), or null when it ran to the end. <see cref="Records"/> then holds the records
    /// made up to the failure.
    /// </summary>
    public string? Failure { get; init; }

    /// <summary>
    /// Why the run was stopped on request before its last step (a cancellation, see <see cref="GridRunner.Run"/> with
    /// <c>stopOnCancel</c>), or null. <see cref="Records"/> then holds the records made before the stop.
    /// </summary>
    public string? Stopped { get; init; }

    /// <summary>The SGD steps the density was advanced by: all of them, or fewer after a <see cref="Failure"/> or a stop.</summary>
    public int StepsDone { get; init; }

    /// <summary>Periodic walls only (null otherwise): the expected displacement since step 0 after <see cref="StepsDone"/> steps.</summary>
    public double[]? Displacement { get; init; }

    /// <summary>
    /// A stationary solve (<see cref="StationarySolve.Run"/>, <see cref="GridAlgorithm.Stationary"/>): its method, residual,
    /// iterations and spectral gap; null for a time-stepped run.
    /// </summary>
    public StationaryReport? Stationary { get; init; }

    /// <summary>Cell updates per second of wall time: cells × steps / seconds.</summary>
    public double CellUpdatesPerSecond => Grid.Count * (double)Algorithm.Steps / Seconds;
}

/// <summary>
/// A grid run part-way: the density after <paramref name="Step"/> steps, the periodic displacement so far (null without
/// periodic walls), the records made so far — those of the first <c>Records.Count</c> recorded steps — and the wall time
/// spent. <see cref="GridRunner.Run"/> hands one to <c>afterStretch</c> (live values: write or copy them before returning)
/// and continues from one given as <c>resume</c>.
/// </summary>
public sealed record GridRunState(int Step, GridDensity Density, double[]? Displacement, IReadOnlyList<GridRecord> Records, double Seconds);

/// <summary>
/// Solves a problem with the master equation or a Fokker–Planck equation (a <see cref="GridAlgorithm"/>): builds the grid, the landscape
/// and the initial density, and advances it from record to record (on the device, for the master equation on ILGPU,
/// the density stays there between records). The master equation applies the exact one-step kernel of SGD; the
/// Fokker–Planck solver takes <c>substeps</c> steps of Δt = η/substeps per SGD step of its scheme (ADI, second order in
/// time, or backward Euler, first order; its stationary law does not depend on Δt or the scheme). With periodic walls every record carries the expected
/// displacement since step 0.
/// </summary>
public static class GridRunner
{
    /// <summary>Both given, and the grid of <paramref name="algorithm"/> of the problem's dimension.</summary>
    /// <exception cref="ArgumentException">The grid and the problem differ in dimension.</exception>
    public static void CheckArguments(Problem problem, GridAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (algorithm.Grid.Dimension != problem.Dimension)
        {
            throw new ArgumentException($"the grid has {algorithm.Grid.Dimension} dimensions, the problem {problem.Dimension}", nameof(algorithm));
        }
    }

    /// <summary>
    /// The grid landscape of a problem: mean gradient ḡ(x) and noise covariance Σ(x). The one place where a landscape
    /// specification becomes a <see cref="GridLandscape"/>.
    /// </summary>
    public static GridLandscape Landscape(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return GridLandscape.From(problem.Landscape);
    }

    /// <summary>
    /// The initial density: a point start is <see cref="GridDensity.PointMass"/> (all mass in the cell holding the point), a
    /// Gaussian start <see cref="GridDensity.Gaussian"/> (sampled at cell centres, normalised to mass 1); a Gaussian too
    /// narrow to put mass on any cell centre falls back to a point mass at its mean.
    /// </summary>
    public static GridDensity InitialDensity(Problem problem, UniformGrid grid)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(grid);
        double[] mean = [.. problem.Initial.Mean];
        if (problem.Initial.IsPoint)
        {
            return GridDensity.PointMass(grid, mean);
        }

        GridDensity density = GridDensity.Gaussian(grid, mean, problem.Initial.Covariance.ToArray());
        return density.Mass.All(double.IsFinite) ? density : GridDensity.PointMass(grid, mean);
    }

    /// <summary>
    /// Solves <paramref name="problem"/> with <paramref name="algorithm"/>. <paramref name="device"/> is where grid kernels run (null: the managed CPU);
    /// <paramref name="progress"/> receives completed cell updates (cells × steps, after each stretch of steps: at every
    /// record and at least every fiftieth of the run); <paramref name="onRecord"/> sees every recorded step with the live
    /// density (copy it to keep it), so snapshots can be written as the run goes without keeping them all in memory.
    /// </summary>
    /// <exception cref="ArgumentException">The dynamics has no grid form, or the grid does not have the problem's dimension.</exception>
    /// <remarks>
    /// <paramref name="cancellationToken"/> is checked between stretches of steps; a stretch is sized from the time the
    /// previous ones took so that it lasts about <see cref="StretchSeconds"/> (one step at least, a fiftieth of the run at
    /// most). When <paramref name="stopOnCancel"/> is true a cancellation returns the records made so far with
    /// <see cref="GridResult.Stopped"/> set instead of throwing.
    /// </remarks>
    /// <exception cref="OperationCanceledException">Cancelled (checked between stretches of steps), unless <paramref name="stopOnCancel"/>.</exception>
    /// <remarks>
    /// <paramref name="afterStretch"/> sees the state after every stretch of steps (to checkpoint it); <paramref name="resume"/>
    /// continues a run from such a state. The density after a step depends only on the density before it, so a resumed run
    /// gives the same records and densities, bit for bit, as one that ran through on the same device.
    /// </remarks>
    public static GridResult Run(
        Problem problem,
        GridAlgorithm algorithm,
        ComputeDevice? device = null,
        Action<long>? progress = null,
        CancellationToken cancellationToken = default,
        Action<GridRecord, GridDensity>? onRecord = null,
        bool stopOnCancel = false,
        GridRunState? resume = null,
        Action<GridRunState>? afterStretch = null)
    {
        CheckArguments(problem, algorithm);
        var clock = Stopwatch.StartNew();
        UniformGrid grid = algorithm.Grid.ToGrid();
        GridLandscape landscape = Landscape(problem);
        double eta = problem.Dynamics.LearningRate;
        GridDensity density = InitialDensity(problem, grid);
        double[]? displacement = algorithm.Boundary == GridBoundary.Periodic ? new double[grid.Dimension] : null;
        IReadOnlyList<int> recordSteps = algorithm.RecordSteps;
        var records = new List<GridRecord>(recordSteps.Count);
        int current = 0;
        double secondsBefore = 0;
        if (resume is not null)
        {
            CheckResume(resume, grid, recordSteps, displacement);
            Array.Copy(resume.Density.Mass, density.Mass, grid.Count);
            density.LostMass = resume.Density.LostMass;
            resume.Displacement?.CopyTo(displacement!, 0);
            records.AddRange(resume.Records);
            current = resume.Step;
            secondsBefore = resume.Seconds;
        }

        // advance(density, first step, steps): the master equation and the Fokker–Planck ADI scheme run on the device;
        // the Fokker–Planck backward-Euler solves run on the host.
        Action<GridDensity, int, int> advance;
        IDisposable solverResource;
        string described;
        string backend;
        switch (algorithm)
        {
            case MasterEquationAlgorithm master when landscape.FiniteData is { } finiteData:
            {
                // a finite data set: the mixture of the minibatch maps, on the host
                FiniteDataKernel kernel = finiteData(eta);
                var solver = new FiniteDataMasterEquationSolver(grid, kernel.Maps, master.Boundary);
                solverResource = new NoResource();
                advance = (p, _, steps) => solver.Advance(p, steps, displacement);
                described = $"host CPU: the exact push-forward through {kernel.Maps.Count:N0} minibatch maps ({solver.Weights:N0} weights), scattered in order"
                    + (kernel.Note is null ? "" : $"; {kernel.Note}");
                backend = "managed";
                break;
            }

            case MasterEquationAlgorithm master when landscape.Shape is { } shape:
            {
                // a one-step noise of fixed non-Gaussian shape: its exact kernel, on the host
                var solver = new ShapedMasterEquationSolver(grid, shape, eta, master.Boundary);
                solverResource = new NoResource();
                advance = (p, _, steps) => solver.Advance(p, steps, displacement);
                described = $"host CPU: the exact one-step kernel of the landscape's non-Gaussian noise ({solver.Weights:N0} weights), scattered in order";
                backend = "managed";
                break;
            }

            case MasterEquationAlgorithm master:
            {
                var solver = new MasterEquationSolver(grid, landscape, eta, master.Boundary, master.TruncationSigmas, device);
                solverResource = solver;
                advance = (p, _, steps) => solver.Advance(p, steps, displacement);
                described = solver.Device.Description;
                backend = device?.Name ?? "managed";
                break;
            }

            case FokkerPlanckAlgorithm fokkerPlanck:
            {
                var solver = new FokkerPlanckSolver(grid, landscape, eta, fokkerPlanck.Variant, device, fokkerPlanck.Boundary, fokkerPlanck.Scheme);
                solverResource = solver;
                int substeps = fokkerPlanck.Substeps;
                double dt = eta / substeps;
                advance = (p, first, steps) =>
                {
                    if (displacement is null)
                    {
                        solver.Advance(p, first * eta, dt, steps * substeps);
                        return;
                    }

                    for (int k = first; k < first + steps; k++)
                    {
                        for (int j = 0; j < substeps; j++)
                        {
                            solver.Advance(p, (k + (double)j / substeps) * eta, dt);
                            if (displacement is not null)
                            {
                                double[] velocity = solver.Drift(p);
                                for (int axis = 0; axis < velocity.Length; axis++)
                                {
                                    displacement[axis] += dt * velocity[axis];
                                }
                            }
                        }
                    }
                };
                if (fokkerPlanck.Scheme == FokkerPlanckScheme.BackwardEuler)
                {
                    described = $"host CPU ({Environment.ProcessorCount} cores): backward-Euler solves (sparse BiCGStab/Thomas) run on the host";
                    backend = "managed";
                }
                else
                {
                    described = solver.Device.Accelerator is null
                        ? grid.Dimension == 1 && fokkerPlanck.Boundary != GridBoundary.Periodic
                            ? $"{solver.Device.Description}: ADI, the line by a twisted factorisation (two chains interleaved on one thread)"
                            : $"{solver.Device.Description}: ADI line solves four lines to a SIMD vector"
                        : $"{solver.Device.Description}: ADI, one line per thread";
                    backend = device?.Name ?? "managed";
                }

                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm.GetType().Name, "unknown grid algorithm");
        }

        using IDisposable owned = solverResource;
        int maxStretch = Math.Max(1, (algorithm.Steps + 49) / 50);
        int stretch = 1;
        string? failure = null;
        string? stopped = null;
        var stretchClock = new Stopwatch();
        foreach (int target in recordSteps.Skip(records.Count))
        {
            while (current < target && failure is null)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    if (!stopOnCancel)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    stopped = $"cancelled after step {current} of {algorithm.Steps}";
                    break;
                }

                int steps = Math.Min(stretch, target - current);
                stretchClock.Restart();
                try
                {
                    advance(density, current, steps);
                }
                catch (GridSolveException e)
                {
                    failure = $"{e.Message}, in steps {current + 1}…{current + steps}";
                    break;
                }

                current += steps;
                progress?.Invoke((long)grid.Count * steps);
                stretch = NextStretch(stretch, steps, stretchClock.Elapsed.TotalSeconds, maxStretch);
                if (afterStretch is not null && current < target)
                {
                    afterStretch(new GridRunState(current, density, displacement, records, secondsBefore + clock.Elapsed.TotalSeconds));
                }
            }

            if (failure is not null || stopped is not null)
            {
                break;
            }

            var record = new GridRecord(
                current, current * eta, density.TotalMass, density.LostMass, density.Mean(), density.Covariance(), (double[]?)displacement?.Clone());
            records.Add(record);
            onRecord?.Invoke(record, density);
            if (!double.IsFinite(record.Mass))
            {
                failure = $"the density is no longer finite at step {current} (mass on the grid {record.Mass})";
                break;
            }

            if (afterStretch is not null && records.Count < recordSteps.Count)
            {
                afterStretch(new GridRunState(current, density, displacement, records, secondsBefore + clock.Elapsed.TotalSeconds));
            }
        }

        double seconds = secondsBefore + clock.Elapsed.TotalSeconds;
        return new GridResult(problem, algorithm, backend, described, grid, records, density, seconds)
        {
            Failure = failure, Stopped = stopped, StepsDone = current, Displacement = (double[]?)displacement?.Clone(),
        };
    }

    private static void CheckResume(GridRunState resume, UniformGrid grid, IReadOnlyList<int> recordSteps, double[]? displacement)
    {
        int made = resume.Records.Count;
        if (resume.Density.Mass.Length != grid.Count)
        {
            throw new ArgumentException($"the density to resume from has {resume.Density.Mass.Length} cells, the grid {grid.Count}", nameof(resume));
        }

        if (made < 1 || made > recordSteps.Count || resume.Step < recordSteps[made - 1] || (made < recordSteps.Count && resume.Step > recordSteps[made]) ||
            (made == recordSteps.Count && resume.Step != recordSteps[^1]))
        {
            throw new ArgumentException($"cannot resume at step {resume.Step} with {made} of {recordSteps.Count} records", nameof(resume));
        }

        for (int r = 0; r < made; r++)
        {
            if (resume.Records[r].Step != recordSteps[r])
            {
                throw new ArgumentException($"record {r} of the state to resume from is at step {resume.Records[r].Step}, not {recordSteps[r]}", nameof(resume));
            }
        }

        if ((displacement is null) != (resume.Displacement is null) || (displacement is not null && resume.Displacement!.Length != displacement.Length))
        {
            throw new ArgumentException("the displacement of the state to resume from does not fit the grid's walls", nameof(resume));
        }

        if (!double.IsFinite(resume.Seconds) || resume.Seconds < 0)
        {
            throw new ArgumentException("the seconds of the state to resume from must be finite and non-negative", nameof(resume));
        }
    }

    /// <summary>A solver that holds nothing to release.</summary>
    private sealed class NoResource : IDisposable
    {
        public void Dispose()
        {
        }
    }

    /// <summary>How long a stretch of steps between two cancellation checks should last.</summary>
    public const double StretchSeconds = 0.1;

    /// <summary>
    /// The length of the next stretch: doubled while a stretch of <paramref name="steps"/> took under half of
    /// <see cref="StretchSeconds"/>, halved while it took over twice that; within 1…<paramref name="maxStretch"/>.
    /// </summary>
    private static int NextStretch(int stretch, int steps, double seconds, int maxStretch)
    {
        if (steps == stretch && seconds < StretchSeconds / 2)
        {
            return (int)Math.Min(maxStretch, 2L * stretch);
        }

        if (seconds > 2 * StretchSeconds)
        {
            return Math.Max(1, stretch / 2);
        }

        return Math.Min(stretch, maxStretch);
    }
}
