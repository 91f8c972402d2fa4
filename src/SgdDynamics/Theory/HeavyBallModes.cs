using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>
/// The quadratic problem in the eigenbasis of the Hessian, <c>H = U Λ Uᵀ</c>. In mode coordinates
/// <c>x̃ = Uᵀ x</c>, <c>ṽ = Uᵀ v</c> mode i evolves by its own heavy-ball step matrix
/// <c>M_i = [[1 − ηλ_i, β], [−ηλ_i, β]]</c> (β = 0 is plain SGD: <c>x̃_i' = (1 − ηλ_i) x̃_i − η b̃_i + ñ_i</c>);
/// the modes are coupled only through the noise <c>ñ = −η Uᵀ (diag(a ⊙ ζ) x + L ξ)</c>, whose covariance is
/// <c>Q̃ = η² (Σ̃ + Uᵀ diag(a² ⊙ E[x²]) U)</c> with <c>Σ̃ = Uᵀ Σ U</c>.
/// Mode arrays are row-major with every row zero-padded to <see cref="Stride"/> doubles.
/// </summary>
internal sealed class HeavyBallModes
{
    // U row-major without padding, and Uᵀ padded to Stride × Stride (zero rows beyond d), for products.
    private readonly double[] basisDense;
    private readonly double[] basisTransposed;

    private HeavyBallModes(
        double learningRate, double momentum, double[] eigenvalues, Matrix<double> basis,
        double[] basisRows, double[] noise, double[] linearTerm, double[] curvatureVariance)
    {
        Dimension = eigenvalues.Length;
        Stride = DenseKernels.PaddedLength(Dimension);
        LearningRate = learningRate;
        Momentum = momentum;
        Eigenvalues = eigenvalues;
        Basis = basis;
        BasisRows = basisRows;
        Noise = noise;
        LinearTerm = linearTerm;
        CurvatureVariance = curvatureVariance;
        ActiveCoordinates = Enumerable.Range(0, Dimension).Where(l => curvatureVariance[l] != 0.0).ToArray();
        basisDense = new double[Dimension * Dimension];
        basisTransposed = new double[Stride * Stride];
        for (int l = 0; l < Dimension; l++)
            for (int i = 0; i < Dimension; i++)
            {
                basisDense[l * Dimension + i] = basisRows[l * Stride + i];
                basisTransposed[i * Stride + l] = basisRows[l * Stride + i];
            }
    }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Row length of the padded mode arrays (a multiple of the SIMD width).</summary>
    public int Stride { get; }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Heavy-ball momentum β (0 for SGD).</summary>
    public double Momentum { get; }

    /// <summary>True for heavy ball with β ≠ 0; with β = 0 the x block closes on itself.</summary>
    public bool HasVelocity => Momentum != 0.0;

    /// <summary>Eigenvalues λ_i of H.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>Orthogonal eigenvector matrix U (column i belongs to λ_i).</summary>
    public Matrix<double> Basis { get; }

    /// <summary>Rows of U, padded: entry <c>[l · Stride + i] = U_li</c>, the loading of coordinate l on mode i.</summary>
    public double[] BasisRows { get; }

    /// <summary>Gradient-noise covariance in mode coordinates, <c>Σ̃ = Uᵀ Σ U</c> (padded rows).</summary>
    public double[] Noise { get; }

    /// <summary>Linear term in mode coordinates, <c>b̃ = Uᵀ b</c> (padded).</summary>
    public double[] LinearTerm { get; }

    /// <summary>Curvature-noise variances <c>a_l²</c> per coordinate.</summary>
    public double[] CurvatureVariance { get; }

    /// <summary>Coordinates l with curvature noise (<c>a_l ≠ 0</c>).</summary>
    public int[] ActiveCoordinates { get; }

    /// <summary>Padded row l of U.</summary>
    public ReadOnlySpan<double> BasisRow(int l) => BasisRows.AsSpan(l * Stride, Stride);

    /// <summary>
    /// Decomposes the problem's landscape and optimizer: <c>H = U Λ Uᵀ</c> (H must be symmetric), Σ̃, b̃,
    /// and β = 0 for SGD. The noise enters through <see cref="QuadraticLandscapeSpec.NoiseCovariance"/> only.
    /// </summary>
    public static HeavyBallModes FromProblem(Problem problem)
    {
        var landscape = problem.Quadratic;
        var hessian = landscape.Hessian;
        double asymmetry = (hessian - hessian.Transpose()).Enumerate().Max(Math.Abs);
        double size = hessian.Enumerate().Max(Math.Abs);
        if (asymmetry > 1e-12 * Math.Max(size, double.Epsilon))
            throw new ArgumentException("The moment theory needs a symmetric Hessian.", nameof(problem));

        (double[] eigenvalues, var basis) = SymmetricEigen.Decompose(SymmetricEigen.Symmetrize(hessian));
        int d = eigenvalues.Length;
        int stride = DenseKernels.PaddedLength(d);

        double[] basisRows = Pad(basis, stride);
        var noise = basis.TransposeThisAndMultiply(landscape.NoiseCovariance).Multiply(basis);
        double[] linear = PadVector(basis.TransposeThisAndMultiply(landscape.LinearTerm), stride);
        double[] curvature = landscape.CurvatureNoiseStd.Select(a => a * a).ToArray();
        double momentum = TheoryDynamics.Momentum(problem.Dynamics);

        return new HeavyBallModes(problem.Dynamics.LearningRate, momentum, eigenvalues, basis,
            basisRows, PadSymmetric(noise, stride), linear, curvature);
    }

    /// <summary>A coordinate-space matrix in mode coordinates, <c>Uᵀ C U</c>, symmetrised and padded.</summary>
    public double[] ToModeMatrix(Matrix<double> matrix) => PadSymmetric(Basis.TransposeThisAndMultiply(matrix).Multiply(Basis), Stride);

    /// <summary>A coordinate-space vector in mode coordinates, <c>Uᵀ x</c>, padded.</summary>
    public double[] ToModeVector(Vector<double> vector) => PadVector(Basis.TransposeThisAndMultiply(vector), Stride);

    /// <summary>A mode vector back in coordinates, <c>x = U x̃</c>.</summary>
    public Vector<double> ToCoordinateVector(ReadOnlySpan<double> modeVector)
    {
        var result = Vector<double>.Build.Dense(Dimension);
        for (int l = 0; l < Dimension; l++) result[l] = DenseKernels.Dot(BasisRow(l), modeVector);
        return result;
    }

    /// <summary>A symmetric mode matrix back in coordinates, <c>C = (U P̃) Uᵀ</c>, symmetrised.</summary>
    public Matrix<double> ToCoordinateMatrix(double[] modeMatrix)
    {
        int d = Dimension;
        var product = new double[d * Stride];
        DenseKernels.MultiplyAdd(d, d, basisDense, modeMatrix, product);
        var coordinates = new double[d * Stride];
        DenseKernels.MultiplyAdd(d, Stride, product, basisTransposed, coordinates);
        var values = new double[d * d];
        for (int l = 0; l < d; l++)
            for (int k = l; k < d; k++)
                values[l * d + k] = values[k * d + l] = 0.5 * (coordinates[l * Stride + k] + coordinates[k * Stride + l]);
        return Matrix<double>.Build.Dense(d, d, values);
    }

    /// <summary>
    /// Spectral radius of <c>M_i</c>: its eigenvalues solve <c>μ² − τ μ + β = 0</c> with <c>τ = 1 − ηλ_i + β</c>,
    /// so <c>ρ = (|τ| + √(τ² − 4β)) / 2</c> when real and <c>√β</c> when complex (β = 0: <c>|1 − ηλ_i|</c>).
    /// </summary>
    public double ModeSpectralRadius(int i)
    {
        double trace = 1.0 - LearningRate * Eigenvalues[i] + Momentum;
        double discriminant = trace * trace - 4.0 * Momentum;
        return discriminant >= 0.0 ? 0.5 * (Math.Abs(trace) + Math.Sqrt(discriminant)) : Math.Sqrt(Momentum);
    }

    /// <summary>
    /// Eigenvalues treated as exactly flat: <c>|λ_i| ≤ 1e-12 · max_j |λ_j|</c> (all of them when H = 0),
    /// the resolution of a symmetric eigensolver.
    /// </summary>
    public IEnumerable<int> FlatModes()
    {
        double scale = Eigenvalues.Max(Math.Abs);
        return Enumerable.Range(0, Dimension).Where(i => Math.Abs(Eigenvalues[i]) <= 1e-12 * scale);
    }

    /// <summary>Stationary mean in mode coordinates, <c>m̃_i = −b̃_i / λ_i</c> (H invertible), padded.</summary>
    public double[] StationaryModeMean()
    {
        var mean = new double[Stride];
        for (int i = 0; i < Dimension; i++) mean[i] = -LinearTerm[i] / Eigenvalues[i];
        return mean;
    }

    private static double[] Pad(Matrix<double> matrix, int stride)
    {
        var result = new double[matrix.RowCount * stride];
        for (int r = 0; r < matrix.RowCount; r++)
            for (int c = 0; c < matrix.ColumnCount; c++) result[r * stride + c] = matrix[r, c];
        return result;
    }

    private static double[] PadSymmetric(Matrix<double> matrix, int stride)
    {
        int d = matrix.RowCount;
        var result = new double[d * stride];
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) result[r * stride + c] = 0.5 * (matrix[r, c] + matrix[c, r]);
        return result;
    }

    private static double[] PadVector(Vector<double> vector, int stride)
    {
        var result = new double[stride];
        for (int i = 0; i < vector.Count; i++) result[i] = vector[i];
        return result;
    }
}
