using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace SgdDynamics.Backends;

/// <summary>
/// Where kernels run, for ensembles and grids alike (docs/architecture.md, "Devices and kernels"): the managed SIMD CPU
/// with a number of worker threads (<see cref="Accelerator"/> is null), or an ILGPU accelerator (<c>ilgpu-cpu</c>,
/// <c>cuda</c>, <c>opencl</c>). Opened by <see cref="Open"/> from the names the command line takes; owns its ILGPU
/// context and accelerator, and loads each kernel once (<see cref="Load{T1, T2, T3}"/> and overloads).
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    /// <summary>Every device name the command line accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["auto", "managed", "ilgpu-cpu", "cuda", "opencl"];

    private readonly Context? context;
    private readonly ConcurrentDictionary<MethodInfo, Delegate> kernels = new();

    private ComputeDevice(string name, Context? context, Accelerator? accelerator, int threads)
    {
        Name = name;
        this.context = context;
        Accelerator = accelerator;
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
    }

    /// <summary>Device name (<c>managed</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>).</summary>
    public string Name { get; }

    /// <summary>The ILGPU accelerator, or null on the managed backend.</summary>
    public Accelerator? Accelerator { get; }

    /// <summary>Worker threads of the managed backend (all processors unless set).</summary>
    public int Threads { get; }

    /// <summary>True on the managed SIMD backend.</summary>
    public bool IsManaged => Accelerator is null;

    /// <summary>Kernels loaded so far (each once per device).</summary>
    public int LoadedKernels => kernels.Count;

    /// <summary>What runs the kernels, in words (printed in every summary).</summary>
    public string Description => Accelerator switch
    {
        null => $"managed SIMD CPU ({Threads} thread{(Threads == 1 ? "" : "s")}) on {HostInfo.ProcessorName}",
        { AcceleratorType: AcceleratorType.CPU } a => $"ILGPU CPU accelerator ({a.MaxNumThreads} threads) on {HostInfo.ProcessorName}",
        var a => $"{a.Name} ({a.AcceleratorType}, {a.MemorySize / (1L << 20)} MiB)",
    };

    /// <summary>The managed SIMD CPU with <paramref name="threads"/> worker threads (0: one per processor).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public static ComputeDevice Managed(int threads = 0)
    {
        if (threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be ≥ 0 (0: all cores)");
        }

        return new("managed", null, null, threads);
    }

    /// <summary>
    /// Opens <paramref name="name"/>; <c>auto</c> is CUDA when a CUDA device is present, else managed. Throws
    /// <see cref="BackendUnavailableException"/> (listing the available ones) when it cannot run here.
    /// </summary>
    public static ComputeDevice Open(string name, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name)
        {
            case "auto":
                return CountDevices("cuda") > 0 ? Open("cuda", threads) : Managed(threads);
            case "managed":
                return Managed(threads);
            case "ilgpu-cpu":
            case "cuda":
            case "opencl":
                try
                {
                    Accelerator accelerator = OpenAccelerator(name, out Context context);
                    return new ComputeDevice(name, context, accelerator, threads);
                }
                catch (BackendUnavailableException e)
                {
                    throw new BackendUnavailableException(name, $"{e.Reason}; available here: {string.Join(", ", Available())}");
                }

            default:
                throw new BackendUnavailableException(name, $"unknown backend; choose one of {string.Join(", ", Names)} (available here: {string.Join(", ", Available())})");
        }
    }

    /// <summary>The devices that can run here (managed and ilgpu-cpu always; cuda and opencl when ILGPU sees a device).</summary>
    public static IReadOnlyList<string> Available()
    {
        var names = new List<string> { "managed", "ilgpu-cpu" };
        if (CountDevices("cuda") > 0)
        {
            names.Add("cuda");
        }

        if (CountDevices("opencl") > 0)
        {
            names.Add("opencl");
        }

        return names;
    }

    /// <summary>Number of devices ILGPU sees for <paramref name="name"/> (<c>cuda</c> or <c>opencl</c>; 0 where there is no driver).</summary>
    public static int CountDevices(string name)
    {
        if (!DriverPresent(name))
        {
            // without the driver library ILGPU finds no device either; creating its context to learn so costs most of a
            // short run's start-up
            return 0;
        }

        try
        {
            using Context context = name == "cuda" ? Context.Create(b => b.Cuda()) : Context.Create(b => b.OpenCL());
            return name == "cuda" ? context.GetCudaDevices().Count : context.GetCLDevices().Count;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Whether the driver library of <paramref name="name"/> (<c>cuda</c>: libcuda.so.1 / nvcuda.dll; <c>opencl</c>:
    /// libOpenCL.so.1 / OpenCL.dll) can be loaded: a cheap test that rules a backend out before an ILGPU context is made.
    /// </summary>
    public static bool DriverPresent(string name)
    {
        string[] libraries = name switch
        {
            "cuda" when OperatingSystem.IsWindows() => ["nvcuda.dll"],
            "cuda" when OperatingSystem.IsMacOS() => [],
            "cuda" => ["libcuda.so.1", "libcuda.so"],
            "opencl" when OperatingSystem.IsWindows() => ["OpenCL.dll"],
            "opencl" when OperatingSystem.IsMacOS() => ["/System/Library/Frameworks/OpenCL.framework/OpenCL"],
            "opencl" => ["libOpenCL.so.1", "libOpenCL.so"],
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "a driver is looked up for cuda or opencl"),
        };
        foreach (string library in libraries)
        {
            if (System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out IntPtr handle))
            {
                System.Runtime.InteropServices.NativeLibrary.Free(handle);
                return true;
            }
        }

        return false;
    }

    /// <summary>The accelerator, or an error naming what needs one.</summary>
    /// <exception cref="InvalidOperationException">This is the managed device.</exception>
    public Accelerator RequireAccelerator() =>
        Accelerator ?? throw new InvalidOperationException("this needs an ILGPU accelerator; the managed device runs kernels on the host");

    /// <summary>Loads <paramref name="kernel"/> on the accelerator once (auto-grouped, default stream) and returns the launcher.</summary>
    public Action<Index1D, T1, T2, T3> Load<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Load{T1, T2, T3}"/>
    public Action<Index1D, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Action<Index1D, T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Load{T1, T2, T3}"/>
    public Action<Index1D, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Action<Index1D, T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Load{T1, T2, T3}"/>
    public Action<Index1D, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Action<Index1D, T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Load{T1, T2, T3}"/>
    public Action<Index1D, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc cref="Load{T1, T2, T3}"/>
    public Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Cached(kernel, a => a.LoadAutoGroupedStreamKernel(kernel));

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator?.Dispose();
        context?.Dispose();
    }

    /// <summary>
    /// A fresh ILGPU context and accelerator for <paramref name="name"/> (<c>ilgpu-cpu</c>, <c>cuda</c> or <c>opencl</c>);
    /// the caller disposes both. Throws <see cref="BackendUnavailableException"/> when this machine has no such device.
    /// </summary>
    internal static Accelerator OpenAccelerator(string name, out Context context)
    {
        context = name switch
        {
            "ilgpu-cpu" => Context.Create(b => b.CPU().Math(MathMode.Default)),
            "cuda" => Context.Create(b => b.Cuda().Math(MathMode.Default)),
            "opencl" => Context.Create(b => b.OpenCL().Math(MathMode.Default)),
            _ => throw new ArgumentException($"unknown ILGPU backend '{name}'", nameof(name)),
        };
        try
        {
            return name switch
            {
                "ilgpu-cpu" => context.CreateCPUAccelerator(0),
                "cuda" when context.GetCudaDevices().Count > 0 => context.CreateCudaAccelerator(0),
                "opencl" when context.GetCLDevices().Count > 0 => context.CreateCLAccelerator(0),
                _ => throw new BackendUnavailableException(name, $"no {(name == "cuda" ? "CUDA" : "OpenCL")} device found"),
            };
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private TLauncher Cached<TLauncher>(Delegate kernel, Func<Accelerator, TLauncher> load) where TLauncher : Delegate
    {
        Accelerator accelerator = RequireAccelerator();
        return (TLauncher)kernels.GetOrAdd(kernel.Method, _ => load(accelerator));
    }
}
