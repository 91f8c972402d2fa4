using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Backends;

/// <summary>
/// Where grid kernels run: the managed SIMD CPU (<see cref="Accelerator"/> is null; <see cref="Threads"/> worker
/// threads) or an ILGPU accelerator (<c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>). Opened by the same names as
/// the ensemble backends (<see cref="BackendFactory.Names"/>) and disposed by the caller.
/// </summary>
public sealed class GridDevice : IDisposable
{
    private readonly Context? context;
    private readonly Dictionary<MethodInfo, Delegate> kernels = [];

    private GridDevice(string name, Context? context, Accelerator? accelerator, int threads)
    {
        Name = name;
        this.context = context;
        Accelerator = accelerator;
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
    }

    /// <summary>Backend name (<c>managed</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>).</summary>
    public string Name { get; }

    /// <summary>The ILGPU accelerator, or null on the managed backend.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>Worker threads of the managed backend.</summary>
    public int Threads { get; }

    /// <summary>True on the managed SIMD backend.</summary>
    public bool IsManaged => Accelerator is null;

    /// <summary>What runs the kernels, in words (printed in every summary).</summary>
    public string Device => Accelerator switch
    {
        null => $"managed SIMD CPU ({Threads} threads) on {HostInfo.ProcessorName}",
        { AcceleratorType: AcceleratorType.CPU } a => $"ILGPU CPU accelerator ({a.MaxNumThreads} threads) on {HostInfo.ProcessorName}",
        var a => $"{a.Name} ({a.AcceleratorType}, {a.MemorySize / (1L << 20)} MiB)",
    };

    /// <summary>The managed SIMD backend with <paramref name="threads"/> threads (0: one per processor).</summary>
    public static GridDevice Managed(int threads = 0) => new("managed", null, null, threads);

    /// <summary>
    /// Opens <paramref name="name"/>; <c>auto</c> is CUDA when a CUDA device is present, else managed. Throws
    /// <see cref="BackendUnavailableException"/> (listing the available ones) when it cannot run here.
    /// </summary>
    public static GridDevice Open(string name, int threads = 0)
    {
        switch (name)
        {
            case "auto":
                return IlgpuBackend.CountDevices("cuda") > 0 ? Open("cuda") : Managed(threads);
            case "managed":
                return Managed(threads);
            case "ilgpu-cpu":
            case "cuda":
            case "opencl":
                try
                {
                    Accelerator accelerator = IlgpuBackend.OpenAccelerator(name, out Context context);
                    return new GridDevice(name, context, accelerator, threads);
                }
                catch (BackendUnavailableException e)
                {
                    throw new BackendUnavailableException(name, $"{e.Reason}; available here: {string.Join(", ", BackendFactory.Available())}");
                }

            default:
                throw new BackendUnavailableException(name, $"unknown backend; choose one of {string.Join(", ", BackendFactory.Names)} (available here: {string.Join(", ", BackendFactory.Available())})");
        }
    }

    /// <summary>
    /// Every grid kernel specialisation an ILGPU accelerator may launch (compiled to PTX by the tests without a GPU):
    /// the master-equation prepare pass per landscape struct, its gather step, the weighted block sums and their
    /// accumulation, and the Fokker–Planck operator kernels.
    /// </summary>
    public static IReadOnlyList<MethodInfo> KernelMethods()
    {
        MethodInfo prepare = typeof(MasterEquationKernels).GetMethod(nameof(MasterEquationKernels.Prepare))!;
        return
        [
            prepare.MakeGenericMethod(typeof(QuadraticField)),
            prepare.MakeGenericMethod(typeof(DoubleWellLandscape)),
            prepare.MakeGenericMethod(typeof(RingValleyLandscape)),
            typeof(MasterEquationKernels).GetMethod(nameof(MasterEquationKernels.Step))!,
            typeof(MasterEquationKernels).GetMethod(nameof(MasterEquationKernels.BlockSums))!,
            typeof(MasterEquationKernels).GetMethod(nameof(MasterEquationKernels.AddBlockTotal))!,
            typeof(FokkerPlanckKernels).GetMethod(nameof(FokkerPlanckKernels.Apply))!,
            typeof(FokkerPlanckKernels).GetMethod(nameof(FokkerPlanckKernels.ExplicitStep))!,
        ];
    }

    /// <summary>
    /// The loaded stream kernel of <paramref name="kernel"/> on <see cref="Accelerator"/>: each kernel method (each
    /// specialisation of a generic one) is compiled and loaded once per device and shared by every solver on it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device is the managed backend.</exception>
    public Action<Index1D, T1, T2, T3> Kernel<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct => Cached(kernel.Method, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Kernel{T1, T2, T3}(Action{Index1D, T1, T2, T3})"/>
    public Action<Index1D, T1, T2, T3, T4, T5> Kernel<T1, T2, T3, T4, T5>(Action<Index1D, T1, T2, T3, T4, T5> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct => Cached(kernel.Method, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Kernel{T1, T2, T3}(Action{Index1D, T1, T2, T3})"/>
    public Action<Index1D, T1, T2, T3, T4, T5, T6> Kernel<T1, T2, T3, T4, T5, T6>(Action<Index1D, T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct => Cached(kernel.Method, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Kernel{T1, T2, T3}(Action{Index1D, T1, T2, T3})"/>
    public Action<Index1D, T1, T2, T3, T4, T5, T6, T7> Kernel<T1, T2, T3, T4, T5, T6, T7>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct => Cached(kernel.Method, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <summary>Kernels loaded on this device so far (tests: each is loaded once).</summary>
    internal int LoadedKernels
    {
        get
        {
            lock (kernels)
            {
                return kernels.Count;
            }
        }
    }

    private TDelegate Cached<TDelegate>(MethodInfo method, Func<Accelerator, TDelegate> load)
        where TDelegate : Delegate
    {
        Accelerator accelerator = Accelerator ?? throw new InvalidOperationException("the managed backend runs no ILGPU kernels");
        lock (kernels)
        {
            if (!kernels.TryGetValue(method, out Delegate? loaded))
            {
                loaded = load(accelerator);
                kernels.Add(method, loaded);
            }

            return (TDelegate)loaded;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator?.Dispose();
        context?.Dispose();
    }
}
