using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>
/// The n-step map of the mode-pair recursion with a fixed noise scale:
/// <c>μ_i ← M_iⁿ μ_i + c̃_i h_i(n)</c> and <c>B_ij ← M_iⁿ B_ij (M_jⁿ)ᵀ + q_ij G_ij(n)</c>, where
/// <c>h_i(n) = Σ_{t&lt;n} M_iᵗ e</c>, <c>G_ij(n) = Σ_{t&lt;n} M_iᵗ e eᵀ (M_jᵗ)ᵀ</c> and <c>e = (1, 1)</c>.
/// It is the exact composition of n single steps, built by binary powering from
/// <c>G(n + k) = Mᵏ G(n) (Mᵏ)ᵀ + G(k)</c> and <c>h(n + k) = Mᵏ h(n) + h(k)</c>.
/// </summary>
internal sealed class Transition
{
    private Transition(ModeMatrices powers, double[] driveX, double[] driveV, ModePairBlocks pairSum)
    {
        Powers = powers;
        DriveX = driveX;
        DriveV = driveV;
        PairSum = pairSum;
    }

    /// <summary><c>M_iⁿ</c>.</summary>
    public ModeMatrices Powers { get; }

    /// <summary>x component of <c>h_i(n)</c>.</summary>
    public double[] DriveX { get; }

    /// <summary>v component of <c>h_i(n)</c>.</summary>
    public double[] DriveV { get; }

    /// <summary><c>G_ij(n)</c>.</summary>
    public ModePairBlocks PairSum { get; }

    /// <summary>The single step: <c>M_i</c>, <c>h_i = e</c>, <c>G_ij = e eᵀ</c>.</summary>
    public static Transition OneStep(HeavyBallModes modes) =>
        new(ModeMatrices.Step(modes), Ones(modes), Ones(modes), ModePairBlocks.Unit(modes));

    /// <summary>The n-step map (n ≥ 1) by binary powering in O(d² log n).</summary>
    public static Transition Steps(HeavyBallModes modes, int steps)
    {
        var power = OneStep(modes);
        var accumulated = new Transition(
            ModeMatrices.Identity(modes), new double[modes.Stride], new double[modes.Stride], ModePairBlocks.Zero(modes));
        for (int remaining = steps; ; )
        {
            if ((remaining & 1) != 0) accumulated = accumulated.Then(power);
            remaining >>= 1;
            if (remaining == 0) return accumulated;
            power = power.Then(power);
        }
    }

    /// <summary>
    /// This map followed by <paramref name="next"/> (both built from the same <c>M_i</c>, so the powers commute):
    /// <c>G ← Pₙₑₓₜ G Pₙₑₓₜᵀ + Gₙₑₓₜ</c>, <c>h ← Pₙₑₓₜ h + hₙₑₓₜ</c>, <c>P ← Pₙₑₓₜ P</c>.
    /// </summary>
    private Transition Then(Transition next)
    {
        var pairSum = PairSum.Clone();
        pairSum.Congruence(next.Powers, next.PairSum, scale: null);
        var driveX = (double[])DriveX.Clone();
        var driveV = (double[])DriveV.Clone();
        var unitShift = new double[driveX.Length];
        Array.Fill(unitShift, 1.0);
        next.Powers.Apply(driveX, driveV, unitShift, next.DriveX, next.DriveV);
        return new Transition(ModeMatrices.Multiply(next.Powers, Powers), driveX, driveV, pairSum);
    }

    private static double[] Ones(HeavyBallModes modes)
    {
        var ones = new double[modes.Stride];
        Array.Fill(ones, 1.0, 0, modes.Dimension);
        return ones;
    }
}

/// <summary>
/// Exact moment recursion of SGD / heavy ball on the quadratic landscape, run in the eigenbasis of H.
/// Per step, with mode means μ_i = (E x̃_i, E ṽ_i) and pair blocks B_ij (see <see cref="ModePairBlocks"/>):
/// <c>μ_i' = M_i μ_i + c̃_i e</c> (<c>c̃ = −η Uᵀ b</c>) and <c>B_ij' = M_i B_ij M_jᵀ + Q̃_ij e eᵀ</c> with
/// <c>Q̃ = η² (Σ̃ + Uᵀ diag(a² ⊙ (diag C + m²)) U)</c>, C and m the current covariance and mean of x.
/// Without curvature noise Q̃ is constant and whole stretches between records use the n-step map
/// (<see cref="Transition"/>); with it every step costs O(|{l: a_l ≠ 0}| d²).
/// </summary>
internal sealed class MomentRecursion
{
    private readonly HeavyBallModes modes;
    private readonly double[] meanX;
    private readonly double[] meanV;
    private readonly ModePairBlocks covariance;
    private readonly double[] shift;
    private readonly double[] additiveNoise;
    private readonly double[] stepNoise;
    private readonly Transition oneStep;
    private readonly double[] activeRows;
    private readonly double[] activePaddedRows;
    private readonly double[] activeProducts;
    private readonly double[] weightedLoadings;
    private readonly Dictionary<int, Transition> transitions = [];

    public MomentRecursion(HeavyBallModes modes, InitialLaw initial)
    {
        this.modes = modes;
        meanX = modes.ToModeVector(initial.Mean);
        meanV = new double[modes.Stride];
        covariance = ModePairBlocks.Zero(modes);
        modes.ToModeMatrix(initial.Covariance).CopyTo(covariance.Xx, 0);
        double eta = modes.LearningRate;
        shift = modes.LinearTerm.Select(b => -eta * b).ToArray();
        additiveNoise = modes.Noise.Select(s => eta * eta * s).ToArray();
        stepNoise = new double[additiveNoise.Length];
        oneStep = Transition.OneStep(modes);

        var active = modes.ActiveCoordinates;
        activeRows = new double[active.Length * modes.Dimension];
        activePaddedRows = new double[active.Length * modes.Stride];
        for (int p = 0; p < active.Length; p++)
        {
            var row = modes.BasisRow(active[p]);
            row[..modes.Dimension].CopyTo(activeRows.AsSpan(p * modes.Dimension));
            row.CopyTo(activePaddedRows.AsSpan(p * modes.Stride));
        }
        activeProducts = new double[active.Length * modes.Stride];
        weightedLoadings = new double[modes.Dimension * active.Length];
    }

    /// <summary>Current step k.</summary>
    public int Step { get; private set; }

    /// <summary>Advances to step <paramref name="step"/> (≥ the current step).</summary>
    public void AdvanceTo(int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, Step);
        int steps = step - Step;
        if (steps == 0) return;
        if (modes.ActiveCoordinates.Length == 0)
        {
            if (!transitions.TryGetValue(steps, out var transition))
                transitions[steps] = transition = Transition.Steps(modes, steps);
            Apply(transition, additiveNoise);
        }
        else
        {
            for (int k = 0; k < steps; k++)
            {
                UpdateStepNoise();
                Apply(oneStep, stepNoise);
            }
        }
        Step = step;
    }

    /// <summary>Mean <c>m = U μ_x</c> and covariance <c>C = U B_xx Uᵀ</c> of x at the current step.</summary>
    public MomentRecord Current() =>
        new(Step, modes.ToCoordinateVector(meanX), modes.ToCoordinateMatrix(covariance.Xx));

    private void Apply(Transition transition, double[] noise)
    {
        transition.Powers.Apply(meanX, meanV, shift, transition.DriveX, transition.DriveV);
        covariance.Congruence(transition.Powers, transition.PairSum, noise);
    }

    /// <summary>
    /// <c>Q̃ = η² Σ̃ + Σ_l η² a_l² (C_ll + m_l²) u_l u_lᵀ</c> over the coordinates with curvature noise, u_l the
    /// l-th row of U, <c>C_ll = u_lᵀ B_xx u_l</c> and <c>m_l = u_l · μ_x</c>: two products with the active rows of U.
    /// </summary>
    private void UpdateStepNoise()
    {
        var active = modes.ActiveCoordinates;
        int d = modes.Dimension;
        int stride = modes.Stride;
        double etaSquared = modes.LearningRate * modes.LearningRate;

        // Y = U_active B_xx, so C_ll = Y_l · u_l.
        Array.Clear(activeProducts);
        DenseKernels.MultiplyAdd(active.Length, d, activeRows, covariance.Xx, activeProducts);
        for (int p = 0; p < active.Length; p++)
        {
            var u = modes.BasisRow(active[p]);
            double mean = DenseKernels.Dot(u, meanX);
            double variance = DenseKernels.Dot(activeProducts.AsSpan(p * stride, stride), u);
            double weight = etaSquared * modes.CurvatureVariance[active[p]] * (variance + mean * mean);
            for (int i = 0; i < d; i++) weightedLoadings[i * active.Length + p] = weight * activeRows[p * d + i];
        }

        // Q̃ = η² Σ̃ + (U_activeᵀ diag(weight)) U_active.
        additiveNoise.CopyTo(stepNoise, 0);
        DenseKernels.MultiplyAdd(d, active.Length, weightedLoadings, activePaddedRows, stepNoise);
    }
}
