using System.Diagnostics;
using MathNet.Numerics.Integration;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (h) The three grid solvers on the 1-D quadratic L = λx²/2 with additive noise σ² at η = 0.5 (λ = 1, σ² = 1), where
/// the discrete stationary variance ησ²/(λ(2 − ηλ)) = 1/3 and the Langevin one ησ²/(2λ) = 1/4 differ by a third.
/// The master equation must give the discrete value, the Langevin Fokker–Planck equation the Langevin value, and
/// the discrete Fokker–Planck equation (whose second moment closes exactly for a linear gradient) the discrete
/// value, each to grid accuracy, judged from two resolutions (<see cref="GridConvergence"/>).
/// </summary>
public sealed class GridQuadraticCase : IValidationCase
{
    private const double Eta = 0.5, Lambda = 1, Sigma2 = 1;

    /// <inheritdoc/>
    public string Name => "grid-quadratic-1d";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        double discrete = QuadraticMomentTheory.DiscreteStationaryVariance1D(Eta, Lambda, Sigma2, 0);
        double langevin = QuadraticMomentTheory.LangevinStationaryVariance1D(Eta, Lambda, Sigma2);
        GridLandscape landscape = GridLandscape.From(ProblemBuilder.QuadraticLandscape(new double[,] { { Lambda } }, new double[,] { { Sigma2 } }));

        // Master equation: reflecting box ±10 sd of the discrete law, iterated to an L1 change below 1e-14 per step.
        double box = 10 * Math.Sqrt(discrete);
        double MasterEquation(int cells)
        {
            var grid = new UniformGrid([-box], [box], [cells]);
            using var solver = new MasterEquationSolver(grid, landscape, Eta, GridBoundary.Reflecting);
            MasterEquationStationary stationary = solver.Stationary(GridDensity.PointMass(grid, [0.0]), 1e-14, 10_000);
            return stationary.Density.Covariance()[0, 0];
        }

        double meCoarse = MasterEquation(512), meFine = MasterEquation(1024);

        // Langevin FP: exact 1-D stationary law of the finite-volume scheme, box ±10 sd.
        double FokkerPlanck(FokkerPlanckVariant variant, double halfWidth, int cells)
        {
            using var solver = new FokkerPlanckSolver(new UniformGrid([-halfWidth], [halfWidth], [cells]), landscape, Eta, variant);
            return solver.Stationary().Covariance()[0, 0];
        }

        double langevinBox = 10 * Math.Sqrt(langevin);
        double flCoarse = FokkerPlanck(FokkerPlanckVariant.Langevin, langevinBox, 512), flFine = FokkerPlanck(FokkerPlanckVariant.Langevin, langevinBox, 1024);

        // Discrete FP: its stationary law (σ² + λ²x²)^(−1 − 1/(ηλ)) has power-law tails, so the zero-flux box must be
        // wide; the variance the box removes is computed by quadrature and stated.
        const double discreteBox = 400;
        double exponent = -1 - 1 / (Eta * Lambda);
        double Density(double x) => Math.Pow(Sigma2 + Lambda * Lambda * x * x, exponent);
        double truncated = DoubleExponentialTransformation.Integrate(x => x * x * Density(x), 0, discreteBox, 1e-14)
            / DoubleExponentialTransformation.Integrate(Density, 0, discreteBox, 1e-14);
        double truncation = Math.Abs(truncated / discrete - 1);
        double fdCoarse = FokkerPlanck(FokkerPlanckVariant.Discrete, discreteBox, 40_000), fdFine = FokkerPlanck(FokkerPlanckVariant.Discrete, discreteBox, 80_000);

        double kernelTruncation = GridConvergence.TruncatedNormalVarianceDeficit(6);
        var checks = new List<Check>
        {
            GridConvergence.Check("master equation stationary variance vs discrete ησ²/(λ(2 − ηλ))", discrete, meCoarse, meFine, kernelTruncation, "the ±6 sd kernel truncation's variance deficit"),
            new("master equation stationary variance: relative gap to Langevin ησ²/(2λ) vs 100 × its grid error",
                100 * Math.Abs(meFine / discrete - 1), Math.Abs(meFine / langevin - 1), 0, Expectation.AtLeast, 0, "the Langevin value is excluded by more than 100 grid errors"),
            GridConvergence.Check("Langevin FP stationary variance vs ησ²/(2λ)", langevin, flCoarse, flFine, 0, "no fixed term: Scharfetter–Gummel fluxes with the drift at face midpoints are exact for a linear gradient (Gibbs masses at cell centres), box truncation at ±10 sd ≈ 1e-20,"),
            GridConvergence.Check("discrete FP stationary variance vs discrete ησ²/(λ(2 − ηλ))", discrete, fdCoarse, fdFine, truncation, $"the variance the zero-flux box ±{discreteBox} removes from the tails (quadrature)"),
        };

        return new CaseReport(
            Name,
            $"On the grid, without sampling noise: master equation {meFine:G9}, discrete FP {fdFine:G9} (discrete prediction {discrete:G9}); Langevin FP {flFine:G9} (Langevin prediction {langevin:G9}).",
            checks,
            [],
            clock.Elapsed.TotalSeconds);
    }
}
