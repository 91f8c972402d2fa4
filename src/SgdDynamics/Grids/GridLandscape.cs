using SgdDynamics.Problems;

namespace SgdDynamics.Grids;

/// <summary>
/// What the grid solvers need of a landscape: at each point x the mean gradient ḡ(x) and the covariance of the
/// gradient noise Σ(x) (for a quadratic with curvature noise, <c>Σ + diag(a² ⊙ x²)</c>), so that one SGD step from
/// x is <c>x − η(ḡ(x) + noise)</c> with noise ~ N(0, Σ(x)) for Gaussian noise.
/// </summary>
public abstract class GridLandscape
{
    /// <summary>Dimension (1 or 2 on grids).</summary>
    public abstract int Dimension { get; }

    /// <summary>Mean gradient ḡ(x).</summary>
    public abstract void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>Gradient-noise covariance Σ(x), row-major d × d.</summary>
    public abstract void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance);

    /// <summary>The loss L(x) (up to a constant), for Gibbs densities and plots.</summary>
    public abstract double Loss(ReadOnlySpan<double> x);

    /// <summary>The quadratic landscape of a problem: ḡ = Hx + b, Σ(x) = Σ + diag(a² x²), L = xᵀHx/2 + bᵀx.</summary>
    public static GridLandscape From(QuadraticLandscapeSpec spec) => new Quadratic(spec);

    /// <summary>Double well <c>L = (x² − 1)²/4</c> (1-D): ḡ = x³ − x, isotropic additive noise σ².</summary>
    public static GridLandscape DoubleWell(double sigma2) => new DoubleWellLandscape(sigma2);

    /// <summary>Ring valley <c>L = λ(|x|² − 1)²/4</c> (2-D): ḡ = λ(|x|² − 1)x, isotropic additive noise σ².</summary>
    public static GridLandscape RingValley(double lambda, double sigma2) => new RingValleyLandscape(lambda, sigma2);

    private sealed class Quadratic(QuadraticLandscapeSpec spec) : GridLandscape
    {
        public override int Dimension => spec.Dimension;

        public override void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient)
        {
            for (int i = 0; i < Dimension; i++)
            {
                double g = spec.LinearTerm[i];
                for (int j = 0; j < Dimension; j++)
                {
                    g += spec.Hessian[i, j] * x[j];
                }

                gradient[i] = g;
            }
        }

        public override void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance)
        {
            for (int i = 0; i < Dimension; i++)
            {
                for (int j = 0; j < Dimension; j++)
                {
                    covariance[i * Dimension + j] = spec.NoiseCovariance[i, j];
                }

                double a = spec.CurvatureNoiseStd[i];
                covariance[i * Dimension + i] += a * a * x[i] * x[i];
            }
        }

        public override double Loss(ReadOnlySpan<double> x)
        {
            double loss = 0;
            for (int i = 0; i < Dimension; i++)
            {
                loss += spec.LinearTerm[i] * x[i];
                for (int j = 0; j < Dimension; j++)
                {
                    loss += 0.5 * x[i] * spec.Hessian[i, j] * x[j];
                }
            }

            return loss;
        }
    }

    private sealed class DoubleWellLandscape(double sigma2) : GridLandscape
    {
        public override int Dimension => 1;

        public override void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient) => gradient[0] = x[0] * x[0] * x[0] - x[0];

        public override void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance) => covariance[0] = sigma2;

        public override double Loss(ReadOnlySpan<double> x) => Math.Pow(x[0] * x[0] - 1, 2) / 4;
    }

    private sealed class RingValleyLandscape(double lambda, double sigma2) : GridLandscape
    {
        public override int Dimension => 2;

        public override void MeanGradient(ReadOnlySpan<double> x, Span<double> gradient)
        {
            double factor = lambda * (x[0] * x[0] + x[1] * x[1] - 1);
            gradient[0] = factor * x[0];
            gradient[1] = factor * x[1];
        }

        public override void NoiseCovariance(ReadOnlySpan<double> x, Span<double> covariance)
        {
            covariance[0] = sigma2;
            covariance[1] = 0;
            covariance[2] = 0;
            covariance[3] = sigma2;
        }

        public override double Loss(ReadOnlySpan<double> x) => lambda * Math.Pow(x[0] * x[0] + x[1] * x[1] - 1, 2) / 4;
    }
}
