using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Ensembles;

namespace SgdDynamics.Tests.Kernels;

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

    private readonly struct ArrayParameters : IParameters
    {
        private readonly float[] data;

        public ArrayParameters(float[] data) => this.data = data.Length == 0 ? [0f] : data;

        public float Get(int i) => data[i];
    }

    /// <summary>The final state of trajectory <paramref name="trajectory"/> of <paramref name="model"/> (CPU lane, fused multiply-add).</summary>
    public static float[] FinalState(EnsembleModel model, uint trajectory) => FinalState<FloatLane>(model, trajectory);

    /// <summary>The final state of trajectory <paramref name="trajectory"/> of <paramref name="model"/> on lane <typeparamref name="T"/>.</summary>
    public static float[] FinalState<T>(EnsembleModel model, uint trajectory) where T : struct, IScalarLane<T> =>
        model.LandscapeKind switch
        {
            EnsembleLandscapeKind.DoubleWell => FinalState<T, DoubleWellLandscape>(model, model.DoubleWell, trajectory),
            EnsembleLandscapeKind.RingValley => FinalState<T, RingValleyLandscape>(model, model.RingValley, trajectory),
            _ => FinalState<T, QuadraticLandscape<ArrayParameters>>(
                model,
                new QuadraticLandscape<ArrayParameters>(
                    model.Dimension, model.DiagonalHessian, new(model.Hessian), model.HasLinearTerm, new(model.LinearTerm),
                    model.NoiseShape, new(model.NoiseFactor), model.HasCurvatureNoise, new(model.CurvatureStd)),
                trajectory),
        };

    private static float[] FinalState<T, TL>(EnsembleModel model, TL landscape, uint trajectory)
        where T : struct, IScalarLane<T>
        where TL : struct, ILandscape
    {
        int d = model.Dimension;
        var start = new GaussianStart<ArrayParameters>(d, model.InitialShape, new(model.InitialMean), new(model.InitialFactor));
        var normals = new PhiloxNormals<T>(model.Seed, trajectory);
        bool momentum = model.Optimizer.UsesMomentum;
        float[] x = new float[d], v = new float[d], g = new float[d];
        var xs = new ArrayState<T>(x);
        var vs = new ArrayState<T>(v);
        Trajectory.Start<T, ArrayState<T>, PhiloxNormals<T>, ArrayParameters>(start, xs, vs, momentum, normals);
        Trajectory.MarkDiverged<T, ArrayState<T>>(xs, vs, d, momentum, model.DivergenceBound);
        int[] steps = model.RecordSteps;
        for (int r = 1; r < steps.Length; r++)
        {
            Trajectory.Advance<T, TL, ArrayState<T>, PhiloxNormals<T>>(
                landscape, model.Optimizer, xs, vs, new ArrayState<T>(g), normals, (uint)steps[r - 1], (uint)(steps[r] - steps[r - 1]));
            Trajectory.MarkDiverged<T, ArrayState<T>>(xs, vs, d, momentum, model.DivergenceBound);
        }

        return x;
    }
}
