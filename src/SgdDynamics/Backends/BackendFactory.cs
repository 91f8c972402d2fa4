using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;

namespace SgdDynamics.Backends;

/// <summary>Opens backends by name and says which ones this machine has.</summary>
public static class BackendFactory
{
    /// <summary>Every backend name the command line accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["auto", "managed", "ilgpu-cpu", "cuda", "opencl"];

    /// <summary>The backends that can run here (managed and ilgpu-cpu always; cuda and opencl when ILGPU sees a device).</summary>
    public static IReadOnlyList<string> Available()
    {
        var names = new List<string> { "managed", "ilgpu-cpu" };
        if (IlgpuBackend.CountDevices("cuda") > 0)
        {
            names.Add("cuda");
        }

        if (IlgpuBackend.CountDevices("opencl") > 0)
        {
            names.Add("opencl");
        }

        return names;
    }

    /// <summary>
    /// Opens backend <paramref name="name"/>; <c>auto</c> is CUDA when a CUDA device is present, else managed.
    /// Throws <see cref="BackendUnavailableException"/> (listing the available ones) when it cannot run here.
    /// </summary>
    public static IEnsembleBackend Open(string name, int threads = 0)
    {
        switch (name)
        {
            case "auto":
                return IlgpuBackend.CountDevices("cuda") > 0 ? IlgpuBackend.Open("cuda") : new ManagedBackend(threads);
            case "managed":
                return new ManagedBackend(threads);
            case "ilgpu-cpu":
                return IlgpuBackend.Open(name);
            case "cuda":
            case "opencl":
                try
                {
                    return IlgpuBackend.Open(name);
                }
                catch (BackendUnavailableException e)
                {
                    throw new BackendUnavailableException(name, $"{e.Reason}; available here: {string.Join(", ", Available())}");
                }

            default:
                throw new BackendUnavailableException(name, $"unknown backend; choose one of {string.Join(", ", Names)} (available here: {string.Join(", ", Available())})");
        }
    }
}
