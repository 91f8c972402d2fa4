using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Kernels;

/// <summary>Float parameters in a plain array (host references and probes).</summary>
internal readonly struct ArrayParameters : IParameters
{
    private readonly float[] data;

    public ArrayParameters(float[] data) => this.data = data.Length == 0 ? [0f] : data;

    public float Get(int i) => data[i];
}

/// <summary>Stores parameters as plain arrays.</summary>
internal sealed class ArrayStore : IParameterStore<ArrayParameters>
{
    public ArrayParameters Store(float[] values) => new(values);
}

/// <summary>What the registry binds a model's problem to: the kernel structs, their types and sizes.</summary>
internal sealed record KernelProbe(Type LandscapeType, Type DynamicsType, object Landscape, object Dynamics, int NormalsPerStep, int AuxiliaryVectors)
{
    public static KernelProbe Of(EnsembleModel model) => model.Bind(new ArrayStore(), new Visitor());

    private sealed class Visitor : IEnsembleKernelVisitor<KernelProbe>
    {
        public KernelProbe Visit<TL, TD>(in TL landscape, in TD dynamics)
            where TL : struct, ILandscape
            where TD : struct, IDynamics =>
            new(typeof(TL), typeof(TD), landscape, dynamics, landscape.NormalsPerStep, dynamics.AuxiliaryVectors);
    }
}

/// <summary>
/// One trajectory run on the host with the shared physics on <see cref="FloatLane"/> and the documented
/// keying (Philox key (seed, trajectory index), counter (step, sub, stream)), records and divergence check:
/// the plumbing every backend must reproduce.
/// </summary>
internal static class ScalarReference
{
    private readonly struct ArrayState<T> : IStateView<T> where T : struct, IScalarLane<T>
    {
        private readonly float[] data;

        public ArrayState(float[] data) => this.data = data;

        public T Get(int i) => T.Splat(data[i]);

        public void Set(int i, T value) => data[i] = T.ToFloat(value);
    }

    /// <summary>The final state of trajectory <paramref name="trajectory"/> of <paramref name="model"/> (CPU lane, fused multiply-add).</summary>
    public static float[] FinalState(EnsembleModel model, uint trajectory) => FinalState<FloatLane>(model, trajectory);

    /// <summary>The final state of trajectory <paramref name="trajectory"/> of <paramref name="model"/> on lane <typeparamref name="T"/>.</summary>
    public static float[] FinalState<T>(EnsembleModel model, uint trajectory) where T : struct, IScalarLane<T> =>
        model.Bind(new ArrayStore(), new Run<T>(model, trajectory));

    private sealed class Run<T>(EnsembleModel model, uint trajectory) : IEnsembleKernelVisitor<float[]> where T : struct, IScalarLane<T>
    {
        public float[] Visit<TL, TD>(in TL landscape, in TD dynamics)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            int d = model.Dimension;
            int k = dynamics.AuxiliaryVectors;
            GaussianStart<ArrayParameters> start = model.Start(new ArrayStore());
            var normals = new PhiloxNormals<T>(model.Seed, trajectory);
            float[] x = new float[d], auxiliary = new float[Math.Max(1, k * d)], g = new float[d + landscape.ScratchCoordinates];
            var xs = new ArrayState<T>(x);
            var aux = new ArrayState<T>(auxiliary);
            Trajectory.Start<T, ArrayState<T>, PhiloxNormals<T>, ArrayParameters>(start, xs, aux, k, normals);
            Trajectory.MarkDiverged<T, ArrayState<T>>(xs, aux, d, k, model.DivergenceBound);
            int[] steps = model.RecordSteps;
            for (int r = 1; r < steps.Length; r++)
            {
                Trajectory.Advance<T, TL, TD, ArrayState<T>, PhiloxNormals<T>>(
                    landscape, dynamics, xs, aux, new ArrayState<T>(g), normals, (uint)steps[r - 1], (uint)(steps[r] - steps[r - 1]));
                Trajectory.MarkDiverged<T, ArrayState<T>>(xs, aux, d, k, model.DivergenceBound);
            }

            return x;
        }
    }
}
