using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Networks;

/// <summary>How <see cref="NetworkReference.Hessian"/> forms the columns of the Hessian.</summary>
public enum MlpHessianMethod
{
    /// <summary>
    /// Exact Hessian-vector products <c>H e_j</c> by forward-over-reverse differentiation (Pearlmutter's R-operator),
    /// exact up to rounding.
    /// </summary>
    Exact,

    /// <summary>
    /// Central differences of the analytic gradient, <c>H e_j ≈ [∇L(θ + h e_j) − ∇L(θ − h e_j)] / (2h)</c>: truncation
    /// error <c>h²/6 · ∂³_j ∇L</c>, rounding error about <c>ε_mach · |∇ℓ| / h</c>.
    /// </summary>
    CentralDifference,
}

/// <summary>
/// Double-precision reference for a multilayer perceptron (<see cref="MlpArchitecture"/>) on a fixed data set
/// (<see cref="MlpDataSet"/>): per-sample, minibatch and full-batch losses and gradients (hand-derived
/// backpropagation), exact Hessian-vector products (forward-over-reverse, Pearlmutter's R-operator) and central
/// differences of the gradient, the full Hessian with its eigendecomposition, and the minibatch gradient-noise
/// covariance projected on a set of directions (all from <see cref="NetworkReference"/>, whose remarks give the
/// summation order that makes the results independent of the thread count).
/// </summary>
public sealed class MlpReference : NetworkReference
{
    private readonly MlpKernel _kernel;

    /// <summary>A reference for <paramref name="architecture"/> on <paramref name="data"/>.</summary>
    /// <param name="architecture">The network.</param>
    /// <param name="data">
    /// The data set: inputs of the network's input size, and class labels below the output size (cross-entropy) or
    /// targets of the output size (squared loss).
    /// </param>
    public MlpReference(MlpArchitecture architecture, MlpDataSet data)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(data);
        if (data.InputSize != architecture.InputSize)
        {
            throw new ArgumentException($"The data has {data.InputSize} inputs, the network {architecture.InputSize}.", nameof(data));
        }

        if (architecture.Loss == MlpLoss.SoftmaxCrossEntropy)
        {
            if (!data.IsClassification) throw new ArgumentException("Cross-entropy needs class labels.", nameof(data));
            for (int i = 0; i < data.Count; i++)
            {
                if (data.Label(i) >= architecture.OutputSize)
                {
                    throw new ArgumentException($"Sample {i} has label {data.Label(i)}, beyond {architecture.OutputSize} classes.", nameof(data));
                }
            }
        }
        else if (data.IsClassification || data.TargetSize != architecture.OutputSize)
        {
            throw new ArgumentException($"The squared loss needs real targets with {architecture.OutputSize} components.", nameof(data));
        }

        Architecture = architecture;
        Data = data;
        _kernel = new MlpKernel(architecture);
    }

    /// <summary>The network.</summary>
    public MlpArchitecture Architecture { get; }

    /// <summary>The data set.</summary>
    public MlpDataSet Data { get; }

    /// <summary>Number of parameters P.</summary>
    public override int ParameterCount => Architecture.ParameterCount;

    /// <summary>Number of samples n of the data set.</summary>
    public override int SampleCount => Data.Count;

    /// <summary>The network output f(x) (the logits, for cross-entropy) at parameters θ.</summary>
    /// <param name="theta">Parameters in the flat layout (<see cref="MlpArchitecture"/>).</param>
    /// <param name="input">An input of the network's input size.</param>
    /// <param name="output">Receives the output, of the network's output size.</param>
    public void Output(ReadOnlySpan<double> theta, ReadOnlySpan<double> input, Span<double> output)
    {
        CheckParameters(theta);
        if (input.Length != _kernel.InputSize) throw new ArgumentException($"The input has {input.Length} entries, not {_kernel.InputSize}.", nameof(input));
        if (output.Length != _kernel.OutputSize) throw new ArgumentException($"The output has {output.Length} entries, not {_kernel.OutputSize}.", nameof(output));
        var ws = _kernel.CreateWorkspace();
        _kernel.Forward(theta, input, ws);
        MlpKernel.Output(ws).CopyTo(output);
    }

    /// <summary>The hidden pre-activations z_l (l &lt; L − 1) of one sample, for checks near ReLU kinks.</summary>
    internal double[][] HiddenPreActivations(ReadOnlySpan<double> theta, int sample)
    {
        CheckParameters(theta);
        CheckSample(sample);
        var ws = _kernel.CreateWorkspace();
        _kernel.Forward(theta, Data.Input(sample), ws);
        return ws.Pre[..^1].Select(z => (double[])z.Clone()).ToArray();
    }

    private protected override MlpWorkspace CreateWorkspace() => _kernel.CreateWorkspace();

    private protected override double ForwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws)
    {
        _kernel.Forward(theta, Data.Input(sample), ws);
        return Architecture.Loss == MlpLoss.SoftmaxCrossEntropy
            ? _kernel.CrossEntropyAndDelta(ws, Data.Label(sample))
            : _kernel.SquaredErrorAndDelta(ws, Data.Target(sample));
    }

    private protected override void BackwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws, Span<double> gradient) =>
        _kernel.Backward(theta, ws, gradient);

    private protected override void HessianVectorSample(ReadOnlySpan<double> theta, int sample, ReadOnlySpan<double> direction, MlpWorkspace ws, Span<double> product) =>
        _kernel.RForwardBackward(theta, direction, ws, product);
}

/// <summary>
/// A full-batch Hessian from <see cref="NetworkReference.Hessian"/>: the symmetrised matrix (H + Hᵀ)/2 of the column-wise
/// products, and how far the unsymmetrised one was from symmetric.
/// </summary>
public sealed class MlpHessian
{
    internal MlpHessian(Matrix<double> matrix, double asymmetryNorm, double relativeAsymmetry, MlpHessianMethod method, double step)
    {
        Matrix = matrix;
        AsymmetryNorm = asymmetryNorm;
        RelativeAsymmetry = relativeAsymmetry;
        Method = method;
        Step = step;
    }

    /// <summary>The symmetrised Hessian (H + Hᵀ)/2, P × P.</summary>
    public Matrix<double> Matrix { get; }

    /// <summary>‖H − Hᵀ‖_F of the unsymmetrised matrix (columns H e_j).</summary>
    public double AsymmetryNorm { get; }

    /// <summary>‖H − Hᵀ‖_F / ‖H‖_F of the unsymmetrised matrix (0 for a zero matrix).</summary>
    public double RelativeAsymmetry { get; }

    /// <summary>How the columns were computed.</summary>
    public MlpHessianMethod Method { get; }

    /// <summary>The central-difference step (0 for <see cref="MlpHessianMethod.Exact"/>).</summary>
    public double Step { get; }

    /// <summary>
    /// Eigenvalues in decreasing order and the matching orthonormal eigenvectors (the columns), from MathNet's
    /// <c>Evd(Symmetricity.Symmetric)</c> on the symmetrised matrix (through <see cref="SymmetricEigen.Decompose"/>).
    /// </summary>
    public (double[] Values, Matrix<double> Vectors) Eigen()
    {
        var (values, vectors) = SymmetricEigen.Decompose(Matrix);
        int[] order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();
        var sorted = Matrix<double>.Build.Dense(vectors.RowCount, order.Length);
        for (int m = 0; m < order.Length; m++) sorted.SetColumn(m, vectors.Column(order[m]));
        return (order.Select(i => values[i]).ToArray(), sorted);
    }
}
