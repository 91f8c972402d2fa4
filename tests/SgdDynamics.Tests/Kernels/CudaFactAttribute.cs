using SgdDynamics.Backends;
using SgdDynamics.Backends.Ilgpu;

namespace SgdDynamics.Tests.Kernels;

/// <summary>A fact that is skipped, with the reason, where ILGPU sees no CUDA device.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<int> Devices = new(() => ComputeDevice.CountDevices("cuda"));

    public CudaFactAttribute()
    {
        if (Devices.Value == 0)
        {
            Skip = "no CUDA device: ILGPU found no CUDA driver or GPU on this machine (ComputeDevice.CountDevices(\"cuda\") == 0)";
        }
    }
}
