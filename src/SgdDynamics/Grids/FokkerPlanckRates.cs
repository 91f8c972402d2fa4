using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using F = SgdDynamics.Kernels.Grids.FokkerPlanckKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The face rates of a Fokker–Planck grid, computed once on the host by the kernels' own code
/// (<see cref="FokkerPlanckKernels.FaceCoefficients{TField}"/>, <see cref="FokkerPlanckKernels.Rates"/>,
/// <see cref="FokkerPlanckKernels.MixedCoefficient{TField}"/>) with the landscape struct: the sparse generator is
/// assembled from them and the device operator runs on the same numbers. In 1-D also the Scharfetter–Gummel z of
/// every face and D_00 at every cell centre (the stationary solve works in logarithms from them).
/// </summary>
internal sealed class FokkerPlanckRates
{
    private FokkerPlanckRates(FokkerPlanckGrid grid, double[] forward, double[] backward, double[] mixed, double[] faceZ, double[] cellDiffusion)
    {
        Grid = grid;
        Forward = forward;
        Backward = backward;
        Mixed = mixed;
        FaceZ = faceZ;
        CellDiffusion = cellDiffusion;
    }

    /// <summary>The kernel geometry.</summary>
    public FokkerPlanckGrid Grid { get; }

    /// <summary>Forward rate of every face (flow left → right per unit left mass).</summary>
    public double[] Forward { get; }

    /// <summary>Backward rate of every face (flow right → left per unit right mass).</summary>
    public double[] Backward { get; }

    /// <summary>Mixed coefficient <c>D_xy/(4 h_x h_y)</c> of every cell (2-D; one zero in 1-D).</summary>
    public double[] Mixed { get; }

    /// <summary>1-D: the Scharfetter–Gummel z of every face (empty in 2-D).</summary>
    public double[] FaceZ { get; }

    /// <summary>1-D: D_00 at every cell centre (empty in 2-D).</summary>
    public double[] CellDiffusion { get; }

    /// <summary>True when some mixed coefficient is non-zero (2-D rows then have nine entries).</summary>
    public bool HasMixed => Mixed.Any(m => m != 0);

    /// <summary>
    /// The rates of <paramref name="landscape"/> on <paramref name="uniform"/>, in parallel on <paramref name="threads"/>
    /// threads (every value is computed by one thread from the same formula: the split does not matter).
    /// </summary>
    /// <exception cref="ArgumentException">D_kk ≤ 0 at some face or cell centre along the face's axis.</exception>
    public static FokkerPlanckRates Compute(UniformGrid uniform, GridLandscape landscape, double eta, FokkerPlanckVariant variant, GridBoundary boundary, int threads)
    {
        int d = uniform.Dimension;
        var grid = new FokkerPlanckGrid(
            d, uniform.Cells[0], d == 2 ? uniform.Cells[1] : 1, variant == FokkerPlanckVariant.Discrete ? 1 : 0, boundary.Walls(),
            uniform.Lower[0], d == 2 ? uniform.Lower[1] : 0, uniform.Spacing[0], d == 2 ? uniform.Spacing[1] : 1, eta);
        return landscape.Accept(new Visitor(grid, uniform.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }));
    }

    private sealed class Visitor(FokkerPlanckGrid grid, int count, ParallelOptions options) : IGridFieldVisitor<FokkerPlanckRates>
    {
        public FokkerPlanckRates Visit<TField>(TField field) where TField : struct, IGridField
        {
            long faces = grid.Faces;
            var forward = new double[faces];
            var backward = new double[faces];
            var mixed = new double[grid.Dimension == 2 ? count : 1];
            var faceZ = new double[grid.Dimension == 1 ? faces : 0];
            long firstBad = long.MaxValue;
            Parallel.For(0L, Math.Max(faces, grid.Dimension == 2 ? count : 0), options, f =>
            {
                if (grid.Dimension == 2 && f < count)
                {
                    mixed[f] = F.MixedCoefficient(f, field, grid);
                }

                if (f >= faces)
                {
                    return;
                }

                F.FaceCoefficients(f, field, grid, out double z, out double dLeft, out double dRight, out double dFace);
                if (!(dFace > 0) || !(dLeft > 0) || !(dRight > 0))
                {
                    long seen;
                    while (f < (seen = Interlocked.Read(ref firstBad)) && Interlocked.CompareExchange(ref firstBad, f, seen) != seen)
                    {
                    }
                }

                F.Rates(f, grid, z, dLeft, dRight, out forward[f], out backward[f]);
                if (grid.Dimension == 1)
                {
                    faceZ[f] = z;
                }
            });

            if (firstBad != long.MaxValue)
            {
                throw Invalid(field, firstBad);
            }

            var cellDiffusion = new double[grid.Dimension == 1 ? count : 0];
            for (int c = 0; c < cellDiffusion.Length; c++)
            {
                F.Coefficients(field, grid, grid.Lower0 + (c + 0.5) * grid.H0, 0.0, 0, out _, out cellDiffusion[c], out _);
            }

            return new FokkerPlanckRates(grid, forward, backward, mixed, faceZ, cellDiffusion);
        }

        private ArgumentException Invalid<TField>(TField field, long f) where TField : struct, IGridField
        {
            F.FaceCoefficients(f, field, grid, out _, out double dLeft, out double dRight, out double dFace);
            F.FaceCells(f, grid, out long left, out _);
            int axis = f < grid.Faces0 ? 0 : 1;
            double x = grid.Lower0 + (left / grid.N1 + 0.5) * grid.H0;
            return new ArgumentException(
                $"the diffusion D_{axis}{axis} must be > 0 on the grid (found {Math.Min(dFace, Math.Min(dLeft, dRight)):G3} near x = {x:G4})");
        }
    }
}

/// <summary>The face rates and mixed coefficients of a <see cref="FokkerPlanckRates"/> copied to an ILGPU accelerator.</summary>
internal sealed class DeviceFaceRates : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> forward;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> backward;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> mixed;

    public DeviceFaceRates(Accelerator accelerator, FokkerPlanckRates rates)
    {
        forward = accelerator.Allocate1D(rates.Forward);
        backward = accelerator.Allocate1D(rates.Backward);
        mixed = accelerator.Allocate1D(rates.Mixed);
    }

    /// <summary>Forward rate of every face.</summary>
    public ArrayView<double> Forward => forward.View;

    /// <summary>Backward rate of every face.</summary>
    public ArrayView<double> Backward => backward.View;

    /// <summary>Mixed coefficient of every cell.</summary>
    public ArrayView<double> Mixed => mixed.View;

    public void Dispose()
    {
        forward.Dispose();
        backward.Dispose();
        mixed.Dispose();
    }
}
