using System.Text.Json;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Where a landscape's float parameters live for one run: pinned host memory (managed backend), a device buffer (ILGPU)
/// or a plain array (host references). The kernel struct is generic over <typeparamref name="TP"/>; its registration
/// hands each parameter array to <see cref="Store"/> and builds the struct from the handles. The store owns what it
/// allocates and frees it when the run ends.
/// </summary>
public interface IParameterStore<TP> where TP : struct, IParameters
{
    /// <summary>Stores <paramref name="values"/> (an empty array stands for an unused parameter) and returns its handle.</summary>
    TP Store(float[] values);
}

/// <summary>Receives a landscape kernel struct with its static type (to launch or run generic code on it).</summary>
public interface ILandscapeVisitor<out TResult>
{
    /// <summary>Called with the struct.</summary>
    TResult Visit<TL>(in TL landscape) where TL : struct, ILandscape;
}

/// <summary>Receives an update-rule kernel struct with its static type.</summary>
public interface IDynamicsVisitor<out TResult>
{
    /// <summary>Called with the struct.</summary>
    TResult Visit<TD>(in TD dynamics) where TD : struct, IDynamics;
}

/// <summary>Receives the landscape and update-rule structs of an ensemble run with their static types.</summary>
public interface IEnsembleKernelVisitor<out TResult>
{
    /// <summary>Called with both structs.</summary>
    TResult Visit<TL, TD>(in TL landscape, in TD dynamics)
        where TL : struct, ILandscape
        where TD : struct, IDynamics;
}

/// <summary>
/// Everything the engine knows about one landscape type, in one place: its scenario name, how a scenario's
/// <c>landscape</c> object is read and written, which kernel struct runs it (and how its parameters are stored), and
/// its grid form. Registered in <see cref="ModelRegistry.Landscapes"/>; derive from
/// <see cref="LandscapeRegistration{TSpec}"/>.
/// </summary>
public abstract class LandscapeRegistration
{
    private protected LandscapeRegistration()
    {
    }

    /// <summary>The scenario's <c>landscape.type</c>.</summary>
    public abstract string TypeName { get; }

    /// <summary>The <see cref="LandscapeSpec"/> subtype it registers.</summary>
    public abstract Type SpecType { get; }

    /// <summary>A valid landscape of this type (round-trip tests, the list of kernel specialisations).</summary>
    public abstract LandscapeSpec Example { get; }

    /// <summary>Why the initial law has the dimension it must have, for messages (e.g. "the dimension of the hessian").</summary>
    public abstract string DimensionReason { get; }

    /// <summary>Reads a scenario's <c>landscape</c> object (its <c>type</c> already read), checking every field.</summary>
    internal abstract LandscapeSpec Read(ObjectFields landscape);

    /// <summary>Writes the fields of <paramref name="spec"/> after <c>type</c>, every default resolved, as <see cref="Read"/> reads them.</summary>
    public abstract void Write(Utf8JsonWriter writer, LandscapeSpec spec);

    /// <summary>
    /// Builds the kernel struct of <paramref name="spec"/> with its parameters in <paramref name="store"/> and hands it
    /// to <paramref name="visitor"/>.
    /// </summary>
    public abstract TResult Bind<TP, TResult>(LandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor)
        where TP : struct, IParameters;

    /// <summary>The grid form (mean gradient, noise covariance, loss on 1-D and 2-D grids).</summary>
    /// <exception cref="ArgumentException">This landscape, or this instance (its dimension), has no grid form.</exception>
    public abstract GridLandscape Grid(LandscapeSpec spec);

    /// <summary>
    /// True when one step's gradient noise is Gaussian, N(0, Σ(x)): the master equation's kernel, run by
    /// <see cref="Grids.MasterEquationSolver"/> on every device. False for a noise of another shape: the grid form then
    /// carries it (<see cref="GridLandscape.Shape"/>), the master equation runs it on the host
    /// (<see cref="Grids.ShapedMasterEquationSolver"/>), and the device kernel lists leave the type out.
    /// </summary>
    public virtual bool GaussianNoise => true;

    /// <summary>Why the SDE models (<see cref="DynamicsRegistration.IsOptimizer"/> false) do not run on this landscape, or null when they do.</summary>
    public virtual string? SdeModelRefusal => null;

    /// <summary>Keys of a scenario's <c>initial</c> object that this registration reads itself (besides <c>point</c>, <c>mean</c> and <c>covariance</c>).</summary>
    public virtual IReadOnlyList<string> InitialFields => [];

    /// <summary>Reads an <c>initial</c> object that holds one of <see cref="InitialFields"/>, for <paramref name="spec"/>.</summary>
    internal virtual InitialLaw ReadInitial(ObjectFields initial, LandscapeSpec spec) =>
        throw new InvalidOperationException($"the '{TypeName}' landscape reads no initial fields of its own");
}

/// <summary>A <see cref="LandscapeRegistration"/> for the spec type <typeparamref name="TSpec"/>.</summary>
public abstract class LandscapeRegistration<TSpec> : LandscapeRegistration where TSpec : LandscapeSpec
{
    /// <inheritdoc/>
    public sealed override Type SpecType => typeof(TSpec);

    /// <inheritdoc/>
    public sealed override void Write(Utf8JsonWriter writer, LandscapeSpec spec) => Write(writer, Cast(spec));

    /// <inheritdoc/>
    public sealed override TResult Bind<TP, TResult>(LandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        Bind(Cast(spec), store, visitor);

    /// <inheritdoc/>
    public sealed override GridLandscape Grid(LandscapeSpec spec) => Grid(Cast(spec));

    /// <inheritdoc cref="LandscapeRegistration.Write(Utf8JsonWriter, LandscapeSpec)"/>
    protected abstract void Write(Utf8JsonWriter writer, TSpec spec);

    /// <inheritdoc cref="LandscapeRegistration.Bind{TP, TResult}(LandscapeSpec, IParameterStore{TP}, ILandscapeVisitor{TResult})"/>
    protected abstract TResult Bind<TP, TResult>(TSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor)
        where TP : struct, IParameters;

    /// <inheritdoc cref="LandscapeRegistration.Grid(LandscapeSpec)"/>
    protected abstract GridLandscape Grid(TSpec spec);

    private TSpec Cast(LandscapeSpec spec) =>
        spec as TSpec ?? throw new ArgumentException($"the '{TypeName}' registration cannot take a {spec.GetType().Name}", nameof(spec));
}

/// <summary>
/// Everything the engine knows about one update rule, in one place: its scenario name (<c>optimizer.type</c>), how its
/// constants are read and written, and which kernel struct runs it. Registered in <see cref="ModelRegistry.Dynamics"/>;
/// derive from <see cref="DynamicsRegistration{TSpec}"/>.
/// </summary>
public abstract class DynamicsRegistration
{
    private protected DynamicsRegistration()
    {
    }

    /// <summary>The scenario's <c>optimizer.type</c>.</summary>
    public abstract string TypeName { get; }

    /// <summary>The <see cref="DynamicsSpec"/> subtype it registers.</summary>
    public abstract Type SpecType { get; }

    /// <summary>A valid instance (round-trip tests, the list of kernel specialisations).</summary>
    public abstract DynamicsSpec Example { get; }

    /// <summary>True when the grid solvers (master equation, Fokker–Planck) evolve this rule's density.</summary>
    public virtual bool HasGridForm => false;

    /// <summary>
    /// True for an optimizer's update rule, named by a scenario's <c>optimizer.type</c>; false for an SDE model of SGD,
    /// named by its <c>dynamics.type</c> beside an <c>sgd</c> optimizer that gives the learning rate.
    /// </summary>
    public virtual bool IsOptimizer => true;

    /// <summary>The names of the constants besides <c>learningRate</c> that a scenario may give.</summary>
    public abstract IReadOnlyList<string> Fields { get; }

    /// <summary>
    /// Reads the rule's constants from a scenario's <c>optimizer</c> object (type and learning rate already read), or for
    /// an SDE model from its <c>dynamics</c> object (type read; the learning rate is the optimizer's).
    /// </summary>
    internal abstract DynamicsSpec Read(ObjectFields optimizer, double learningRate);

    /// <summary>The rule's constants besides the learning rate, by name, as scenarios and summaries write them.</summary>
    public abstract IReadOnlyList<(string Name, double Value)> Constants(DynamicsSpec spec);

    /// <summary>Builds the kernel struct of <paramref name="spec"/> and hands it to <paramref name="visitor"/>.</summary>
    public abstract TResult Bind<TResult>(DynamicsSpec spec, IDynamicsVisitor<TResult> visitor);

    /// <summary>The rule's settings that are names, not numbers (an SDE model's <c>scheme</c>), as scenarios and summaries write them.</summary>
    public virtual IReadOnlyList<(string Name, string Value)> Labels(DynamicsSpec spec) => [];
}

/// <summary>A <see cref="DynamicsRegistration"/> for the spec type <typeparamref name="TSpec"/>.</summary>
public abstract class DynamicsRegistration<TSpec> : DynamicsRegistration where TSpec : DynamicsSpec
{
    /// <inheritdoc/>
    public sealed override Type SpecType => typeof(TSpec);

    /// <inheritdoc/>
    public sealed override IReadOnlyList<(string Name, double Value)> Constants(DynamicsSpec spec) => Constants(Cast(spec));

    /// <inheritdoc/>
    public sealed override TResult Bind<TResult>(DynamicsSpec spec, IDynamicsVisitor<TResult> visitor) => Bind(Cast(spec), visitor);

    /// <inheritdoc cref="DynamicsRegistration.Constants(DynamicsSpec)"/>
    protected abstract IReadOnlyList<(string Name, double Value)> Constants(TSpec spec);

    /// <inheritdoc cref="DynamicsRegistration.Bind{TResult}(DynamicsSpec, IDynamicsVisitor{TResult})"/>
    protected abstract TResult Bind<TResult>(TSpec spec, IDynamicsVisitor<TResult> visitor);

    private TSpec Cast(DynamicsSpec spec) =>
        spec as TSpec ?? throw new ArgumentException($"the '{TypeName}' registration cannot take a {spec.GetType().Name}", nameof(spec));
}
