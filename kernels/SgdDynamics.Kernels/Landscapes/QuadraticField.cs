using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// The quadratic landscape of <see cref="QuadraticLandscape{TP}"/> in one or two dimensions with double-precision
/// parameters, for grid solvers: <c>ḡ(x) = H x + b</c>, <c>Σ(x) = Σ + diag(a² ⊙ x²)</c> (additive noise plus
/// curvature noise <c>diag(a ⊙ ζ) x</c>), <c>L = xᵀHx/2 + bᵀx</c>. (The ensemble struct keeps its parameters in
/// float32 device memory; grids need them exact to double so that grid errors, not parameter rounding, are what
/// the validation sees.)
/// </summary>
public readonly struct QuadraticField : IGridField
{
    private readonly int dimension;
    private readonly double h00, h01, h11, b0, b1, s00, s01, s11, a0, a1;

    /// <summary>
    /// A 1-D (<paramref name="dimension"/> = 1: only h00, b0, s00, a0 are used) or 2-D quadratic: symmetric H, b,
    /// symmetric positive semidefinite Σ and curvature-noise std a.
    /// </summary>
    public QuadraticField(
        int dimension, double h00, double h01, double h11, double b0, double b1, double s00, double s01, double s11, double a0, double a1)
    {
        this.dimension = dimension;
        this.h00 = h00;
        this.h01 = dimension == 2 ? h01 : 0;
        this.h11 = dimension == 2 ? h11 : 0;
        this.b0 = b0;
        this.b1 = dimension == 2 ? b1 : 0;
        this.s00 = s00;
        this.s01 = dimension == 2 ? s01 : 0;
        this.s11 = dimension == 2 ? s11 : 0;
        this.a0 = a0;
        this.a1 = dimension == 2 ? a1 : 0;
    }

    /// <inheritdoc/>
    public int Dimension => dimension;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Field(double x0, double x1, out double g0, out double g1, out double c00, out double c01, out double c11)
    {
        if (dimension == 1)
        {
            x1 = 0;
        }

        g0 = h00 * x0 + h01 * x1 + b0;
        g1 = h01 * x0 + h11 * x1 + b1;
        c00 = s00 + a0 * a0 * x0 * x0;
        c01 = s01;
        c11 = s11 + a1 * a1 * x1 * x1;
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        if (dimension == 1)
        {
            x1 = 0;
        }

        return 0.5 * (h00 * x0 * x0 + 2 * h01 * x0 * x1 + h11 * x1 * x1) + b0 * x0 + b1 * x1;
    }
}
