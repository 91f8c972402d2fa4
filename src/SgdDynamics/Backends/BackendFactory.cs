using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;

namespace SgdDynamics.Backends;

/// <summary>Opens ensemble backends on a <see cref="ComputeDevice"/> (which names the devices and says which this machine has).</summary>
public static class BackendFactory
{
    /// <summary>
    /// Opens backend <paramref name="name"/> on a device of its own (<see cref="ComputeDevice.Open"/>; <c>auto</c> is CUDA
    /// when a CUDA device is present, else managed). Throws <see cref="BackendUnavailableException"/> (listing the
    /// available ones) when it cannot run here.
    /// </summary>
    public static IEnsembleBackend Open(string name, int threads = 0)
    {
        ComputeDevice device = ComputeDevice.Open(name, threads);
        return For(device, ownsDevice: true);
    }

    /// <summary>The ensemble backend that runs on <paramref name="device"/> (the caller keeps ownership of the device).</summary>
    public static IEnsembleBackend For(ComputeDevice device) => For(device, ownsDevice: false);

    private static IEnsembleBackend For(ComputeDevice device, bool ownsDevice)
    {
        ArgumentNullException.ThrowIfNull(device);
        IEnsembleBackend backend = device.IsManaged ? new ManagedBackend(device) : new IlgpuBackend(device);
        return ownsDevice ? new Owning(backend, device) : backend;
    }

    /// <summary>A backend that also disposes its device.</summary>
    private sealed class Owning(IEnsembleBackend inner, ComputeDevice device) : IEnsembleBackend
    {
        public string Name => inner.Name;

        public string Device => inner.Device;

        public ComputeDevice ComputeDevice => device;

        public long MinimumSegment => inner.MinimumSegment;

        public void Run(Ensembles.EnsembleModel model, TrajectoryRange range, Ensembles.EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates = null) =>
            inner.Run(model, range, statistics, progress, cancellationToken, finalStates);

        public void Dispose()
        {
            inner.Dispose();
            device.Dispose();
        }
    }
}
