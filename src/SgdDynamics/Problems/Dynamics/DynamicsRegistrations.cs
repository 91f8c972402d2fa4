using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems.Dynamics;

/// <summary>Registration of <c>"sgd"</c>.</summary>
public sealed class SgdRegistration : DynamicsRegistration<SgdSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "sgd";

    /// <inheritdoc/>
    public override DynamicsSpec Example { get; } = new SgdSpec(0.1);

    /// <inheritdoc/>
    public override bool HasGridForm => true;

    /// <inheritdoc/>
    public override IReadOnlyList<string> Fields { get; } = ["momentum"];

    /// <inheritdoc/>
    internal override DynamicsSpec Read(ObjectFields optimizer, double learningRate)
    {
        // "momentum": 0 is accepted, so that a scenario can switch between sgd and momentum by its type alone.
        if (optimizer.Optional("momentum") is { } momentumField && momentumField.AsNumber() != 0.0)
        {
            throw momentumField.Error(
                $"must be 0 for optimizer type 'sgd' (got {momentumField.Raw}); use type 'momentum' for heavy-ball momentum");
        }

        return new SgdSpec(learningRate);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Name, double Value)> Constants(SgdSpec spec) => [];

    /// <inheritdoc/>
    protected override TResult Bind<TResult>(SgdSpec spec, IDynamicsVisitor<TResult> visitor) =>
        visitor.Visit(new Sgd((float)spec.LearningRate));
}

/// <summary>Registration of <c>"momentum"</c> (heavy ball).</summary>
public sealed class HeavyBallRegistration : DynamicsRegistration<HeavyBallSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "momentum";

    /// <inheritdoc/>
    public override DynamicsSpec Example { get; } = new HeavyBallSpec(0.1, 0.9);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Fields { get; } = ["momentum"];

    /// <inheritdoc/>
    internal override DynamicsSpec Read(ObjectFields optimizer, double learningRate)
    {
        double momentum = 0.0;
        if (optimizer.Optional("momentum") is { } momentumField)
        {
            momentum = momentumField.AsNumber();
            if (momentum is < 0.0 or >= 1.0)
            {
                throw momentumField.Error($"must be in [0, 1) (got {momentumField.Raw})");
            }
        }

        // Store +0 for a written -0 so that equal specs compare equal.
        return new HeavyBallSpec(learningRate, momentum + 0.0);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Name, double Value)> Constants(HeavyBallSpec spec) => [("momentum", spec.Momentum)];

    /// <inheritdoc/>
    protected override TResult Bind<TResult>(HeavyBallSpec spec, IDynamicsVisitor<TResult> visitor) =>
        visitor.Visit(new HeavyBall((float)spec.LearningRate, (float)spec.Momentum));
}

/// <summary>
/// The SDE models of SGD, named in a scenario's <c>dynamics</c> section with <c>substeps</c> (1 … <see cref="MaxSubsteps"/>,
/// default 1) and <c>scheme</c> (<c>eulerMaruyama</c>, the default, or <c>weakOrder2</c>).
/// </summary>
public abstract class SdeModelRegistration<TSpec> : DynamicsRegistration<TSpec> where TSpec : DynamicsSpec, ISdeModelSpec
{
    /// <summary>The most substeps per SGD step.</summary>
    public const int MaxSubsteps = 4096;

    /// <inheritdoc/>
    public sealed override bool IsOptimizer => false;

    /// <inheritdoc/>
    public sealed override IReadOnlyList<string> Fields { get; } = ["substeps", "scheme"];

    /// <summary>The scenario names of the schemes.</summary>
    public static string SchemeName(SdeScheme scheme) => scheme switch
    {
        SdeScheme.EulerMaruyama => "eulerMaruyama",
        SdeScheme.WeakOrder2 => "weakOrder2",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "unknown SDE scheme"),
    };

    /// <inheritdoc/>
    internal sealed override DynamicsSpec Read(ObjectFields dynamics, double learningRate)
    {
        SdeScheme scheme = SdeScheme.EulerMaruyama;
        if (dynamics.Optional("scheme") is { } field)
        {
            scheme = field.AsString() switch
            {
                "eulerMaruyama" => SdeScheme.EulerMaruyama,
                "weakOrder2" => SdeScheme.WeakOrder2,
                string other => throw field.Error($"unknown scheme {ScenarioFields.Quote(other)} (expected: eulerMaruyama, weakOrder2)"),
            };
        }

        int substeps = dynamics.Optional("substeps") is { } substepsField ? (int)substepsField.AsInteger(1, MaxSubsteps) : 1;
        return Create(learningRate, substeps, scheme);
    }

    /// <inheritdoc/>
    protected sealed override IReadOnlyList<(string Name, double Value)> Constants(TSpec spec) => [("substeps", spec.Substeps)];

    /// <inheritdoc/>
    public sealed override IReadOnlyList<(string Name, string Value)> Labels(DynamicsSpec spec) =>
        [("scheme", SchemeName(((ISdeModelSpec)spec).Scheme))];

    /// <summary>The spec of the model with learning rate η, m substeps and the scheme.</summary>
    protected abstract TSpec Create(double learningRate, int substeps, SdeScheme scheme);

    /// <summary>The order of the modified equation the model integrates (<see cref="ModifiedEquation"/>): 1 or 2.</summary>
    protected abstract int Order { get; }

    /// <inheritdoc/>
    protected sealed override TResult Bind<TResult>(TSpec spec, IDynamicsVisitor<TResult> visitor)
    {
        return visitor.Visit(new ModifiedEquation(spec.LearningRate, spec.Substeps, Order, spec.Scheme == SdeScheme.WeakOrder2));
    }
}

/// <summary>Registration of <c>"langevin"</c> (the SDE model SME-1).</summary>
public sealed class LangevinRegistration : SdeModelRegistration<LangevinSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "langevin";

    /// <inheritdoc/>
    public override DynamicsSpec Example { get; } = new LangevinSpec(0.1, 4);

    /// <inheritdoc/>
    protected override LangevinSpec Create(double learningRate, int substeps, SdeScheme scheme) => new(learningRate, substeps, scheme);

    /// <inheritdoc/>
    protected override int Order => 1;
}

/// <summary>Registration of <c>"sme2"</c> (the second-order stochastic modified equation).</summary>
public sealed class Sme2Registration : SdeModelRegistration<Sme2Spec>
{
    /// <inheritdoc/>
    public override string TypeName => "sme2";

    /// <inheritdoc/>
    public override DynamicsSpec Example { get; } = new Sme2Spec(0.1, 4);

    /// <inheritdoc/>
    protected override Sme2Spec Create(double learningRate, int substeps, SdeScheme scheme) => new(learningRate, substeps, scheme);

    /// <inheritdoc/>
    protected override int Order => 2;
}

/// <summary>Registration of <c>"smf"</c> (the stochastic modified flow; see <see cref="SmfSpec"/> for why it runs the SME-2 kernel).</summary>
public sealed class SmfRegistration : SdeModelRegistration<SmfSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "smf";

    /// <inheritdoc/>
    public override DynamicsSpec Example { get; } = new SmfSpec(0.1, 4);

    /// <inheritdoc/>
    protected override SmfSpec Create(double learningRate, int substeps, SdeScheme scheme) => new(learningRate, substeps, scheme);

    /// <inheritdoc/>
    protected override int Order => 2;
}
