using Simd = System.Numerics.Vector<double>;

namespace SgdDynamics.Theory;

/// <summary>
/// One 2 × 2 matrix per mode, <c>P_i = [[A11, A12], [A21, A22]]_i</c>, stored as four padded arrays
/// (padding entries are zero). Used for the heavy-ball step <c>M_i</c> and its powers <c>M_iⁿ</c>.
/// </summary>
internal sealed class ModeMatrices
{
    private ModeMatrices(int stride)
    {
        A11 = new double[stride];
        A12 = new double[stride];
        A21 = new double[stride];
        A22 = new double[stride];
    }

    /// <summary>Upper-left entry of each mode's matrix.</summary>
    public double[] A11 { get; }

    /// <summary>Upper-right entry of each mode's matrix.</summary>
    public double[] A12 { get; }

    /// <summary>Lower-left entry of each mode's matrix.</summary>
    public double[] A21 { get; }

    /// <summary>Lower-right entry of each mode's matrix.</summary>
    public double[] A22 { get; }

    /// <summary>The one-step matrices <c>M_i = [[1 − ηλ_i, β], [−ηλ_i, β]]</c>.</summary>
    public static ModeMatrices Step(HeavyBallModes modes)
    {
        var step = new ModeMatrices(modes.Stride);
        for (int i = 0; i < modes.Dimension; i++)
        {
            double h = modes.LearningRate * modes.Eigenvalues[i];
            step.A11[i] = 1.0 - h;
            step.A12[i] = modes.Momentum;
            step.A21[i] = -h;
            step.A22[i] = modes.Momentum;
        }
        return step;
    }

    /// <summary>The identity <c>I</c> on every mode.</summary>
    public static ModeMatrices Identity(HeavyBallModes modes)
    {
        var identity = new ModeMatrices(modes.Stride);
        Array.Fill(identity.A11, 1.0, 0, modes.Dimension);
        Array.Fill(identity.A22, 1.0, 0, modes.Dimension);
        return identity;
    }

    /// <summary>Mode-wise product <c>(X Y)_i = X_i Y_i</c>.</summary>
    public static ModeMatrices Multiply(ModeMatrices x, ModeMatrices y)
    {
        var product = new ModeMatrices(x.A11.Length);
        for (int i = 0; i < x.A11.Length; i++)
        {
            product.A11[i] = x.A11[i] * y.A11[i] + x.A12[i] * y.A21[i];
            product.A12[i] = x.A11[i] * y.A12[i] + x.A12[i] * y.A22[i];
            product.A21[i] = x.A21[i] * y.A11[i] + x.A22[i] * y.A21[i];
            product.A22[i] = x.A21[i] * y.A12[i] + x.A22[i] * y.A22[i];
        }
        return product;
    }

    /// <summary>Mode-wise affine update of 2-vectors: <c>(x, v)_i ← P_i (x, v)_i + s_i (hx, hv)_i</c>.</summary>
    public void Apply(double[] x, double[] v, double[] shift, double[] driveX, double[] driveV)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], vi = v[i];
            x[i] = A11[i] * xi + A12[i] * vi + shift[i] * driveX[i];
            v[i] = A21[i] * xi + A22[i] * vi + shift[i] * driveV[i];
        }
    }
}

/// <summary>
/// Second moments of all mode pairs: for modes i, j the 2 × 2 block
/// <c>B_ij = [[Cov(x̃_i, x̃_j), Cov(x̃_i, ṽ_j)], [Cov(ṽ_i, x̃_j), Cov(ṽ_i, ṽ_j)]]</c>, stored as four padded
/// d × Stride arrays. Without momentum only the x block is kept (it closes on itself when β = 0).
/// </summary>
internal sealed class ModePairBlocks
{
    private readonly int dimension;
    private readonly int stride;

    private ModePairBlocks(int dimension, int stride, bool hasVelocity)
    {
        this.dimension = dimension;
        this.stride = stride;
        Xx = new double[dimension * stride];
        if (!hasVelocity) return;
        Xv = new double[dimension * stride];
        Vx = new double[dimension * stride];
        Vv = new double[dimension * stride];
    }

    /// <summary>Cov(x̃_i, x̃_j) at <c>[i · Stride + j]</c>.</summary>
    public double[] Xx { get; }

    /// <summary>Cov(x̃_i, ṽ_j); null without momentum.</summary>
    public double[]? Xv { get; }

    /// <summary>Cov(ṽ_i, x̃_j); null without momentum.</summary>
    public double[]? Vx { get; }

    /// <summary>Cov(ṽ_i, ṽ_j); null without momentum.</summary>
    public double[]? Vv { get; }

    /// <summary>All blocks zero.</summary>
    public static ModePairBlocks Zero(HeavyBallModes modes) => new(modes.Dimension, modes.Stride, modes.HasVelocity);

    /// <summary>Every block equal to <c>e eᵀ = [[1, 1], [1, 1]]</c>: how the noise ñ enters both x̃ and ṽ.</summary>
    public static ModePairBlocks Unit(HeavyBallModes modes)
    {
        var unit = Zero(modes);
        foreach (var block in unit.Blocks())
            for (int i = 0; i < modes.Dimension; i++) Array.Fill(block, 1.0, i * modes.Stride, modes.Dimension);
        return unit;
    }

    /// <summary>A copy of these blocks.</summary>
    public ModePairBlocks Clone()
    {
        var copy = new ModePairBlocks(dimension, stride, Xv is not null);
        foreach (var (source, target) in Blocks().Zip(copy.Blocks())) source.CopyTo(target, 0);
        return copy;
    }

    /// <summary>
    /// In-place congruence with an additive term, pair by pair:
    /// <c>B_ij ← P_i B_ij P_jᵀ + s_ij G_ij</c> (<c>s_ij = 1</c> when <paramref name="scale"/> is null).
    /// <paramref name="add"/> may be this instance: each pair reads its old values before writing.
    /// </summary>
    public void Congruence(ModeMatrices p, ModePairBlocks add, double[]? scale)
    {
        if (Xv is null) CongruencePositionOnly(p, add, scale);
        else CongruenceWithVelocity(p, add, scale);
    }

    private IEnumerable<double[]> Blocks()
    {
        yield return Xx;
        if (Xv is null || Vx is null || Vv is null) yield break;
        yield return Xv;
        yield return Vx;
        yield return Vv;
    }

    private void CongruencePositionOnly(ModeMatrices p, ModePairBlocks add, double[]? scale)
    {
        var right = DenseKernels.Lanes(p.A11.AsSpan());
        for (int i = 0; i < dimension; i++)
        {
            var left = new Simd(p.A11[i]);
            var row = new Range(i * stride, (i + 1) * stride);
            var b = DenseKernels.Lanes(Xx.AsSpan(row));
            var g = DenseKernels.Lanes((ReadOnlySpan<double>)add.Xx.AsSpan(row));
            if (scale is null)
            {
                for (int k = 0; k < b.Length; k++) b[k] = left * right[k] * b[k] + g[k];
            }
            else
            {
                var s = DenseKernels.Lanes((ReadOnlySpan<double>)scale.AsSpan(row));
                for (int k = 0; k < b.Length; k++) b[k] = left * right[k] * b[k] + s[k] * g[k];
            }
        }
    }

    private void CongruenceWithVelocity(ModeMatrices p, ModePairBlocks add, double[]? scale)
    {
        var c11 = DenseKernels.Lanes((ReadOnlySpan<double>)p.A11);
        var c12 = DenseKernels.Lanes((ReadOnlySpan<double>)p.A12);
        var c21 = DenseKernels.Lanes((ReadOnlySpan<double>)p.A21);
        var c22 = DenseKernels.Lanes((ReadOnlySpan<double>)p.A22);
        for (int i = 0; i < dimension; i++)
        {
            var a11 = new Simd(p.A11[i]);
            var a12 = new Simd(p.A12[i]);
            var a21 = new Simd(p.A21[i]);
            var a22 = new Simd(p.A22[i]);
            var row = new Range(i * stride, (i + 1) * stride);
            var b11 = DenseKernels.Lanes(Xx.AsSpan(row));
            var b12 = DenseKernels.Lanes(Xv!.AsSpan(row));
            var b21 = DenseKernels.Lanes(Vx!.AsSpan(row));
            var b22 = DenseKernels.Lanes(Vv!.AsSpan(row));
            var g11 = DenseKernels.Lanes((ReadOnlySpan<double>)add.Xx.AsSpan(row));
            var g12 = DenseKernels.Lanes((ReadOnlySpan<double>)add.Xv!.AsSpan(row));
            var g21 = DenseKernels.Lanes((ReadOnlySpan<double>)add.Vx!.AsSpan(row));
            var g22 = DenseKernels.Lanes((ReadOnlySpan<double>)add.Vv!.AsSpan(row));
            var s = scale is null ? default : DenseKernels.Lanes((ReadOnlySpan<double>)scale.AsSpan(row));
            for (int k = 0; k < b11.Length; k++)
            {
                // T = B_ij P_jᵀ
                var t11 = b11[k] * c11[k] + b12[k] * c12[k];
                var t12 = b11[k] * c21[k] + b12[k] * c22[k];
                var t21 = b21[k] * c11[k] + b22[k] * c12[k];
                var t22 = b21[k] * c21[k] + b22[k] * c22[k];
                var sk = scale is null ? Simd.One : s[k];
                // B_ij ← P_i T + s_ij G_ij
                var n11 = a11 * t11 + a12 * t21 + sk * g11[k];
                var n12 = a11 * t12 + a12 * t22 + sk * g12[k];
                var n21 = a21 * t11 + a22 * t21 + sk * g21[k];
                var n22 = a21 * t12 + a22 * t22 + sk * g22[k];
                b11[k] = n11;
                b12[k] = n12;
                b21[k] = n21;
                b22[k] = n22;
            }
        }
    }
}
