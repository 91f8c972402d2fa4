using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Problems.Dynamics;

namespace SgdDynamics.Problems;

/// <summary>
/// The registration points of the engine (docs/architecture.md, "Registration points"): the one list of landscape
/// types and the one list of update rules. Scenario reading and writing, output names, the ensemble backends, the
/// grid solvers and the lists of ILGPU kernel specialisations all go through it; a type that is not registered is an
/// error everywhere, never a fallback.
/// </summary>
public static class ModelRegistry
{
    /// <summary>Every landscape type, in the order scenario errors list them.</summary>
    public static IReadOnlyList<LandscapeRegistration> Landscapes { get; } =
    [
        new QuadraticLandscapeRegistration(),
        new DoubleWellLandscapeRegistration(),
        new RingValleyLandscapeRegistration(),
        new TiltedCosineLandscapeRegistration(),
        new FluctuatingLandscapeRegistration(),
        new LeastSquaresLandscapeRegistration(),
        new MlpLandscapeRegistration(),
        new CharModelLandscapeRegistration(),
    ];

    /// <summary>Every update rule, in the order scenario errors list them.</summary>
    public static IReadOnlyList<DynamicsRegistration> Dynamics { get; } =
    [
        new SgdRegistration(),
        new HeavyBallRegistration(),
        new LangevinRegistration(),
        new Sme2Registration(),
        new SmfRegistration(),
    ];

    /// <summary>The registration of <paramref name="spec"/>'s type.</summary>
    /// <exception cref="NotSupportedException">The type is not registered.</exception>
    public static LandscapeRegistration For(LandscapeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Landscapes.FirstOrDefault(r => r.SpecType == spec.GetType())
            ?? throw new NotSupportedException($"landscape {spec.GetType().Name} is not registered in ModelRegistry.Landscapes");
    }

    /// <summary>The registration of <paramref name="spec"/>'s type.</summary>
    /// <exception cref="NotSupportedException">The type is not registered.</exception>
    public static DynamicsRegistration For(DynamicsSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Dynamics.FirstOrDefault(r => r.SpecType == spec.GetType())
            ?? throw new NotSupportedException($"dynamics {spec.GetType().Name} is not registered in ModelRegistry.Dynamics");
    }

    /// <summary>The landscape registration with scenario name <paramref name="typeName"/>, or null.</summary>
    public static LandscapeRegistration? FindLandscape(string typeName) => Landscapes.FirstOrDefault(r => r.TypeName == typeName);

    /// <summary>The update rule with scenario name <paramref name="typeName"/>, or null.</summary>
    public static DynamicsRegistration? FindDynamics(string typeName) => Dynamics.FirstOrDefault(r => r.TypeName == typeName);

    /// <summary>The optimizer whose <c>optimizer.type</c> is <paramref name="typeName"/>, or null (SDE models are not optimizers).</summary>
    public static DynamicsRegistration? FindOptimizer(string typeName) => Dynamics.FirstOrDefault(r => r.IsOptimizer && r.TypeName == typeName);

    /// <summary>The SDE model whose <c>dynamics.type</c> is <paramref name="typeName"/>, or null.</summary>
    public static DynamicsRegistration? FindModel(string typeName) => Dynamics.FirstOrDefault(r => !r.IsOptimizer && r.TypeName == typeName);

    /// <summary>
    /// Builds the kernel structs of <paramref name="landscape"/> (parameters in <paramref name="store"/>) and
    /// <paramref name="dynamics"/> and hands both to <paramref name="visitor"/>: one specialisation per pair.
    /// </summary>
    public static TResult Bind<TP, TResult>(LandscapeSpec landscape, DynamicsSpec dynamics, IParameterStore<TP> store, IEnsembleKernelVisitor<TResult> visitor)
        where TP : struct, IParameters =>
        For(landscape).Bind(landscape, store, new ThenDynamics<TResult>(For(dynamics), dynamics, visitor));

    /// <summary>
    /// Calls <paramref name="visitor"/> once for every registered (landscape, update rule) pair, with each registration's
    /// <see cref="LandscapeRegistration.Example"/> bound to <paramref name="store"/>: the kernel specialisations a backend
    /// may launch, derived from the registry.
    /// </summary>
    public static IEnumerable<TResult> EveryPair<TP, TResult>(IParameterStore<TP> store, IEnsembleKernelVisitor<TResult> visitor)
        where TP : struct, IParameters
    {
        foreach (LandscapeRegistration landscape in Landscapes)
        {
            foreach (DynamicsRegistration dynamics in Dynamics.Where(r => Runs(landscape, r)))
            {
                yield return Bind(landscape.Example, dynamics.Example, store, visitor);
            }
        }
    }

    /// <summary>True when <paramref name="dynamics"/> runs on <paramref name="landscape"/> (SDE models are refused by some landscapes, <see cref="LandscapeRegistration.SdeModelRefusal"/>).</summary>
    public static bool Runs(LandscapeRegistration landscape, DynamicsRegistration dynamics)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentNullException.ThrowIfNull(dynamics);
        return dynamics.IsOptimizer || landscape.SdeModelRefusal is null;
    }

    private sealed class ThenDynamics<TResult>(DynamicsRegistration registration, DynamicsSpec spec, IEnsembleKernelVisitor<TResult> visitor)
        : ILandscapeVisitor<TResult>
    {
        public TResult Visit<TL>(in TL landscape) where TL : struct, ILandscape =>
            registration.Bind(spec, new WithLandscape<TL, TResult>(landscape, visitor));
    }

    private sealed class WithLandscape<TL, TResult>(TL landscape, IEnsembleKernelVisitor<TResult> visitor) : IDynamicsVisitor<TResult>
        where TL : struct, ILandscape
    {
        public TResult Visit<TD>(in TD dynamics) where TD : struct, IDynamics => visitor.Visit(landscape, dynamics);
    }
}
