using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using SgdDynamics.Kernels.Grids;

namespace SgdDynamics.Tests.Grids;

/// <summary>The twisted line solve of the 1-D ADI step against the Thomas solve and the equations themselves.</summary>
public class TwistedLineSolveTests
{
    /// <summary>One line per launch: Thomas (twisted = 0) or twisted (1), on the CPU accelerator.</summary>
    internal static void SolveKernel(
        Index1D index, int n, int twisted, double tau, ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> r,
        ArrayView<double> x, ArrayView<double> c, ArrayView<double> d, ArrayView<double> v)
    {
        if (twisted != 0)
        {
            FokkerPlanckAdiKernels.SolveLineTwisted(n, 0, 1, 0, 1, tau, forward, backward, r, x, c, d);
        }
        else
        {
            FokkerPlanckAdiKernels.SolveLine(n, 0, 1, 0, 1, 0, tau, forward, backward, r, x, c, d, v);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1001)]
    public void TwistedSolveSolvesTheLineAndAgreesWithThomas(int n)
    {
        // Random face rates (τF, τB from 0 to 50: stiff and mild rows) and right-hand side of both signs; both solves
        // must satisfy every row to 1e-13 of the largest term and agree to 1e-13 of the largest |x| (rounding only:
        // the elimination of an M-matrix is stable in either order).
        var random = new Random(20_261_206 + n);
        double tau = 0.5;
        double[] forward = [.. Enumerable.Range(0, Math.Max(1, n - 1)).Select(_ => 100 * random.NextDouble())];
        double[] backward = [.. Enumerable.Range(0, Math.Max(1, n - 1)).Select(_ => 100 * random.NextDouble())];
        double[] r = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.3)];

        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, int, int, double, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(SolveKernel);
        double[] Solve(int twisted)
        {
            using var f = accelerator.Allocate1D(forward);
            using var b = accelerator.Allocate1D(backward);
            using var rb = accelerator.Allocate1D(r);
            using var x = accelerator.Allocate1D<double>(n);
            using var c = accelerator.Allocate1D<double>(n);
            using var d = accelerator.Allocate1D<double>(n);
            using var v = accelerator.Allocate1D<double>(n);
            kernel(1, n, twisted, tau, f.View, b.View, rb.View, x.View, c.View, d.View, v.View);
            accelerator.Synchronize();
            return x.GetAsArray1D();
        }

        double[] thomas = Solve(0), twistedX = Solve(1);
        double scale = thomas.Max(Math.Abs);
        for (int s = 0; s < n; s++)
        {
            // row s: −τF_{s−1} x_{s−1} + (1 + τ(F_s + B_{s−1})) x_s − τB_s x_{s+1} = r_s (wall faces absent)
            double diagonal = 1 + tau * ((s + 1 < n ? forward[s] : 0) + (s > 0 ? backward[s - 1] : 0));
            double row = diagonal * twistedX[s]
                - (s > 0 ? tau * forward[s - 1] * twistedX[s - 1] : 0)
                - (s + 1 < n ? tau * backward[s] * twistedX[s + 1] : 0);
            Assert.True(Math.Abs(row - r[s]) <= 1e-13 * Math.Max(1, diagonal * scale), $"row {s}: residual {row - r[s]:E2}");
            Assert.True(Math.Abs(twistedX[s] - thomas[s]) <= 1e-13 * scale, $"cell {s}: twisted {twistedX[s]:R}, Thomas {thomas[s]:R}");
        }
    }
}
