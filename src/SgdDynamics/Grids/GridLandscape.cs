using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Problems;

namespace SgdDynamics.Grids;

/// <summary>Receives the landscape struct of a <see cref="GridLandscape"/> with its static type (to launch generic kernels).</summary>
public interface IGridFieldVisitor<out TResult>
{
    /// <summary>Called with the struct.</summary>
    TResult Visit<TField>(TField field) where TField : struct, IGridField;
}

/// <summary>
/// The one-step kernel of SGD on a finite data set: its maps (weights summing to 1) and, when they are a Monte-Carlo draw
/// of the minibatches, the note that says so.
/// </summary>
/// <param name="Maps">x ↦ M x + o per minibatch, with its probability.</param>
/// <param name="Note">Null when the mixture is exact.</param>
public sealed record FiniteDataKernel(IReadOnlyList<AffineMap> Maps, string? Note);

/// <summary>
/// What the grid solvers need of a landscape: at each point x the mean gradient ḡ(x) and the covariance of the
/// gradient noise Σ(x) (for a quadratic with curvature noise, <c>Σ + diag(a² ⊙ x²)</c>), so that one SGD step from
/// x is <c>x − η(ḡ(x) + noise)</c> with noise ~ N(0, Σ(x)) for Gaussian noise. A host handle on one of the kernel
/// structs (<see cref="IGridField"/>): the physics is the struct's, written once for ensembles, grids and every
/// backend; <see cref="Accept{TResult}"/> hands the struct to generic kernel launchers.
/// </summary>
public abstract class GridLandscape
{
    private protected GridLandscape()
    {
    }

    /// <summary>Dimension (1 or 2 on grids).</summary>
    public abstract int Dimension { get; }

    /// <summary>Mean gradient ḡ(x).</summary>
    public abstract void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>Gradient-noise covariance Σ(x), row-major d × d.</summary>
    public abstract void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance);

    /// <summary>The loss L(x) (up to a constant), for Gibbs densities and plots.</summary>
    public abstract double Loss(ReadOnlySpan<double> x);

    /// <summary>Calls <paramref name="visitor"/> with the landscape struct.</summary>
    public abstract TResult Accept<TResult>(IGridFieldVisitor<TResult> visitor);

    /// <summary>The grid landscape of any landscape spec of dimension 1 or 2, from its registration (<see cref="ModelRegistry"/>).</summary>
    /// <exception cref="ArgumentException">The dimension is not 1 or 2, or the landscape type has no grid form.</exception>
    public static GridLandscape From(LandscapeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ModelRegistry.For(spec).Grid(spec);
    }

    /// <summary>Double well <c>L = (x² − 1)²/4</c> (1-D): ḡ = x³ − x, isotropic additive noise variance σ².</summary>
    public static GridLandscape DoubleWell(double sigma2) => new Of<DoubleWellLandscape>(new DoubleWellLandscape(Math.Sqrt(sigma2)));

    /// <summary>Ring valley <c>L = λ(|x|² − 1)²/4</c> (2-D): ḡ = λ(|x|² − 1)x, isotropic additive noise variance σ².</summary>
    public static GridLandscape RingValley(double lambda, double sigma2) => new Of<RingValleyLandscape>(new RingValleyLandscape(2, lambda, Math.Sqrt(sigma2)));

    /// <summary>
    /// Null when one step's gradient noise is Gaussian, N(0, Σ(x)) — the kernel of <see cref="MasterEquationSolver"/>;
    /// otherwise its shape, which <see cref="ShapedMasterEquationSolver"/> runs (the Fokker–Planck equations need only
    /// ḡ and Σ and take either).
    /// </summary>
    public ShapedNoise? Shape { get; private init; }

    /// <summary>
    /// Null unless one step is a finite mixture of deterministic maps (a finite data set: one map per minibatch); then the
    /// mixture for a learning rate, which <see cref="FiniteDataMasterEquationSolver"/> runs.
    /// </summary>
    public Func<double, FiniteDataKernel>? FiniteData { get; private init; }

    /// <summary>A grid landscape whose one-step kernel is the finite mixture <paramref name="kernel"/> builds for each η.</summary>
    /// <exception cref="ArgumentException">The dimension is not 1 or 2.</exception>
    public static GridLandscape WrapFiniteData<TField>(TField field, Func<double, FiniteDataKernel> kernel) where TField : struct, IGridField
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (field.Dimension is not (1 or 2))
        {
            throw new ArgumentException($"grid solvers take landscapes of dimension 1 or 2 (got {field.Dimension})", nameof(field));
        }

        return new Of<TField>(field) { FiniteData = kernel };
    }

    /// <summary>
    /// A grid landscape over any <see cref="IGridField"/> struct of dimension 1 or 2; <paramref name="shape"/> is the
    /// one-step noise when it is not Gaussian (see <see cref="Shape"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The dimension is not 1 or 2.</exception>
    public static GridLandscape Wrap<TField>(TField field, ShapedNoise? shape = null) where TField : struct, IGridField
    {
        if (field.Dimension is not (1 or 2))
        {
            throw new ArgumentException($"grid solvers take landscapes of dimension 1 or 2 (got {field.Dimension})", nameof(field));
        }

        return new Of<TField>(field) { Shape = shape };
    }

    private sealed class Of<TField>(TField landscape) : GridLandscape where TField : struct, IGridField
    {
        public override int Dimension => landscape.Dimension;

        public override void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient)
        {
            landscape.Field(x[0], Dimension == 2 ? x[1] : 0, out double g0, out double g1, out _, out _, out _);
            gradient[0] = g0;
            if (Dimension == 2)
            {
                gradient[1] = g1;
            }
        }

        public override void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance)
        {
            landscape.Field(x[0], Dimension == 2 ? x[1] : 0, out _, out _, out double s00, out double s01, out double s11);
            covariance[0] = s00;
            if (Dimension == 2)
            {
                covariance[1] = s01;
                covariance[2] = s01;
                covariance[3] = s11;
            }
        }

        public override double Loss(ReadOnlySpan<double> x) => landscape.Loss(x[0], Dimension == 2 ? x[1] : 0);

        public override TResult Accept<TResult>(IGridFieldVisitor<TResult> visitor) => visitor.Visit(landscape);
    }
}
