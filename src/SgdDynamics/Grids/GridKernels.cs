using System.Reflection;
using ILGPU;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Problems;

namespace SgdDynamics.Grids;

/// <summary>
/// The grid kernels, written once as delegates: the solvers load these on their <see cref="Backends.ComputeDevice"/> and
/// <see cref="Methods"/> lists them for the compilation tests, so the two cannot drift apart.
/// </summary>
public static class GridKernels
{
    /// <summary>The master-equation gather step.</summary>
    public static readonly Action<Index1D, MasterGrid, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>> MasterStep =
        MasterEquationKernels.Step;

    /// <summary>The master-equation step from separable windows (one thread per target cell).</summary>
    public static readonly Action<Index1D, MasterGrid, ArrayView<int>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>> MasterStepWindows =
        MasterEquationKernels.StepWindows;

    /// <summary>Fixed-order block sums (lost mass, mean gradient).</summary>
    public static readonly Action<Index1D, long, ArrayView<double>, int, int, ArrayView<double>, ArrayView<double>> BlockSums =
        MasterEquationKernels.BlockSums;

    /// <summary>Adds a block total to an accumulator slot.</summary>
    public static readonly Action<Index1D, int, double, ArrayView<double>, ArrayView<double>, int> AddBlockTotal =
        MasterEquationKernels.AddBlockTotal;

    /// <summary>The Fokker–Planck flux operator.</summary>
    public static readonly Action<Index1D, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> FokkerPlanckApply =
        FokkerPlanckKernels.Apply;

    /// <summary>One explicit Euler step of the Fokker–Planck equation.</summary>
    public static readonly Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> FokkerPlanckExplicit =
        FokkerPlanckKernels.ExplicitStep;

    /// <summary>The ADI step's combination of flows, one cell per thread.</summary>
    public static readonly Action<Index1D, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, double, double, int, ArrayView<double>, ArrayView<double>, ArrayView<double>> FokkerPlanckAdiCombine =
        FokkerPlanckAdiKernels.CombineKernel;

    /// <summary>The ADI step's line solves along axis 0, one line per thread.</summary>
    public static readonly Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> FokkerPlanckAdiLines0 =
        FokkerPlanckAdiKernels.Lines0Kernel;

    /// <summary>The ADI step's line solves along axis 1, one line per thread.</summary>
    public static readonly Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> FokkerPlanckAdiLines1 =
        FokkerPlanckAdiKernels.Lines1Kernel;

    /// <summary>y += z, one cell per thread.</summary>
    public static readonly Action<Index1D, ArrayView<double>, ArrayView<double>> FokkerPlanckAdiAdd = FokkerPlanckAdiKernels.AddKernel;

    /// <summary>
    /// Every grid kernel specialisation an ILGPU accelerator may launch (compiled to PTX by the tests without a GPU): the
    /// master-equation prepare passes (general table and separable windows) for the grid form of every registered landscape (<see cref="ModelRegistry"/>), the
    /// gather steps, the block sums and the Fokker–Planck operator kernels.
    /// </summary>
    public static IReadOnlyList<MethodInfo> Methods()
    {
        var methods = new List<MethodInfo>();
        foreach (LandscapeRegistration registration in ModelRegistry.Landscapes.Where(r => r.GaussianNoise))
        {
            MethodInfo prepare = registration.Grid(registration.Example).Accept(new PrepareMethod());
            if (!methods.Contains(prepare))
            {
                methods.Add(prepare);
            }

            MethodInfo windows = registration.Grid(registration.Example).Accept(new PrepareWindowsMethod());
            if (!methods.Contains(windows))
            {
                methods.Add(windows);
            }
        }

        methods.AddRange([MasterStep.Method, MasterStepWindows.Method, BlockSums.Method, AddBlockTotal.Method, FokkerPlanckApply.Method, FokkerPlanckExplicit.Method,
            FokkerPlanckAdiCombine.Method, FokkerPlanckAdiLines0.Method, FokkerPlanckAdiLines1.Method, FokkerPlanckAdiAdd.Method]);
        return methods;
    }

    /// <summary>The prepare pass of the master equation for the grid-field struct <typeparamref name="TField"/>.</summary>
    public static Action<Index1D, TField, MasterGrid, ArrayView<double>> Prepare<TField>() where TField : struct, IGridField => PrepareKernel<TField>.Kernel;

    /// <summary>The separable-window prepare pass of the master equation for the grid-field struct <typeparamref name="TField"/>.</summary>
    public static Action<Index1D, TField, MasterGrid, ArrayView<int>, ArrayView<double>, ArrayView<double>> PrepareWindows<TField>() where TField : struct, IGridField =>
        PrepareWindowsKernel<TField>.Kernel;

    private static class PrepareWindowsKernel<TField> where TField : struct, IGridField
    {
        public static readonly Action<Index1D, TField, MasterGrid, ArrayView<int>, ArrayView<double>, ArrayView<double>> Kernel = MasterEquationKernels.PrepareWindows<TField>;
    }

    private sealed class PrepareWindowsMethod : IGridFieldVisitor<MethodInfo>
    {
        public MethodInfo Visit<TField>(TField field) where TField : struct, IGridField => PrepareWindowsKernel<TField>.Kernel.Method;
    }

    private static class PrepareKernel<TField> where TField : struct, IGridField
    {
        public static readonly Action<Index1D, TField, MasterGrid, ArrayView<double>> Kernel = MasterEquationKernels.Prepare<TField>;
    }

    private sealed class PrepareMethod : IGridFieldVisitor<MethodInfo>
    {
        public MethodInfo Visit<TField>(TField field) where TField : struct, IGridField => PrepareKernel<TField>.Kernel.Method;
    }
}
