namespace SgdDynamics.Tests.Cli;

/// <summary>A fact that is skipped, with the reason, where both GPU backends are available, so none is absent.</summary>
public sealed class AbsentGpuBackendFactAttribute : FactAttribute
{
    public AbsentGpuBackendFactAttribute()
    {
        if (Sgdyn.AbsentGpuBackend is null)
        {
            Skip = "cuda and opencl are both available on this machine (ComputeDevice.Available), so no GPU backend is absent";
        }
    }
}
