namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// What the grid solvers (master equation, Fokker–Planck) need of a landscape in one or two dimensions, in double
/// precision: at a point x the mean gradient <c>ḡ(x) = E_b ∇L_b(x)</c>, the gradient-noise covariance
/// <c>Σ(x) = Cov_b ∇L_b(x)</c> (so one SGD step from x is <c>x − η(ḡ(x) + ξ)</c>, ξ ~ N(0, Σ(x)) for Gaussian
/// noise) and the loss L(x) up to a constant. Implemented by the same readonly structs the ensemble kernels run
/// (<see cref="DoubleWellLandscape"/>, <see cref="RingValleyLandscape"/>) and by <see cref="QuadraticField"/>;
/// grid kernels are generic over it, so ILGPU specialises one kernel per landscape.
/// </summary>
public interface IGridField
{
    /// <summary>Dimension d (1 or 2 on grids).</summary>
    int Dimension { get; }

    /// <summary>
    /// ḡ(x) and Σ(x) at <c>x = (x0, x1)</c>; in 1-D <paramref name="x1"/> is ignored and
    /// <paramref name="g1"/>, <paramref name="s01"/>, <paramref name="s11"/> are 0.
    /// </summary>
    void Field(double x0, double x1, out double g0, out double g1, out double s00, out double s01, out double s11);

    /// <summary>The loss L(x) up to a constant (Gibbs densities, plots).</summary>
    double Loss(double x0, double x1);
}
