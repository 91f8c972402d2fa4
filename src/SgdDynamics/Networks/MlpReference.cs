using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Networks;

/// <summary>How <see cref="MlpReference.Hessian"/> forms the columns of the Hessian.</summary>
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
/// covariance projected on a set of directions. The training loss is the mean per-sample loss
/// <c>L(θ) = (1/n) Σ_i ℓ_i(θ)</c>; a minibatch loss is the mean over the given indices (repeats counted).
/// <para>
/// Sums over samples run in fixed chunks of <see cref="ChunkSize"/> consecutive samples (or index positions): each
/// chunk is summed in order and the chunk sums are added in chunk order, so every result is the same to the last bit
/// whatever the number of threads (<see cref="MaxDegreeOfParallelism"/>). The full Hessian is parallel over its
/// columns, each column summed the same way.
/// </para>
/// </summary>
public sealed class MlpReference
{
    /// <summary>Samples per chunk of a sum over samples (fixes the summation order).</summary>
    public const int ChunkSize = 256;

    /// <summary>
    /// Default relative step of the central differences of the gradient, <c>h = 1e-5</c> (along the unit direction
    /// <c>v/‖v‖</c>): about <c>ε_mach^{1/3}</c>, balancing the truncation error <c>O(h²)</c> against the rounding error
    /// <c>O(ε_mach/h)</c>; relative errors are then around 1e-10 on smooth networks.
    /// </summary>
    public const double DefaultStep = 1e-5;

    private readonly int[] _widths;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly MlpActivation[] _activations;

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
        int layers = architecture.LayerCount;
        _widths = new int[layers + 1];
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        _activations = [.. architecture.Activations];
        _widths[0] = architecture.InputSize;
        for (int l = 0; l < layers; l++)
        {
            _widths[l + 1] = architecture.LayerOutputSize(l);
            _weightOffsets[l] = architecture.WeightOffset(l);
            _biasOffsets[l] = architecture.BiasOffset(l);
        }
    }

    /// <summary>The network.</summary>
    public MlpArchitecture Architecture { get; }

    /// <summary>The data set.</summary>
    public MlpDataSet Data { get; }

    /// <summary>Number of parameters P.</summary>
    public int ParameterCount => Architecture.ParameterCount;

    /// <summary>Largest number of threads for the sums over samples and the Hessian columns (−1: no limit). Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    private int Layers => _widths.Length - 1;

    private ParallelOptions Options => new() { MaxDegreeOfParallelism = MaxDegreeOfParallelism };

    /// <summary>The network output f(x) (the logits, for cross-entropy) at parameters θ.</summary>
    /// <param name="theta">Parameters in the flat layout (<see cref="MlpArchitecture"/>).</param>
    /// <param name="input">An input of the network's input size.</param>
    /// <param name="output">Receives the output, of the network's output size.</param>
    public void Output(ReadOnlySpan<double> theta, ReadOnlySpan<double> input, Span<double> output)
    {
        CheckParameters(theta);
        if (input.Length != _widths[0]) throw new ArgumentException($"The input has {input.Length} entries, not {_widths[0]}.", nameof(input));
        if (output.Length != _widths[^1]) throw new ArgumentException($"The output has {output.Length} entries, not {_widths[^1]}.", nameof(output));
        var ws = new Workspace(this);
        Forward(theta, input, ws);
        ws.Pre[Layers - 1].AsSpan().CopyTo(output);
    }

    /// <summary>The loss ℓ_i(θ) of sample <paramref name="sample"/>.</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="sample">Sample index.</param>
    public double SampleLoss(ReadOnlySpan<double> theta, int sample)
    {
        CheckParameters(theta);
        CheckSample(sample);
        var ws = new Workspace(this);
        Forward(theta, Data.Input(sample), ws);
        return LossAndDelta(ws, sample);
    }

    /// <summary>The loss ℓ_i(θ) of sample <paramref name="sample"/> and its gradient ∇ℓ_i(θ) (backpropagation).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="sample">Sample index.</param>
    /// <param name="gradient">Receives the gradient (length P).</param>
    /// <returns>The loss.</returns>
    public double SampleGradient(ReadOnlySpan<double> theta, int sample, Span<double> gradient)
    {
        CheckParameters(theta);
        CheckSample(sample);
        CheckVector(gradient.Length, nameof(gradient));
        var ws = new Workspace(this);
        Forward(theta, Data.Input(sample), ws);
        double loss = LossAndDelta(ws, sample);
        gradient.Clear();
        Backward(theta, ws, gradient);
        return loss;
    }

    /// <summary>The exact Hessian-vector product <c>∇²ℓ_i(θ) v</c> of sample <paramref name="sample"/> (R-operator).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="sample">Sample index.</param>
    /// <param name="direction">The vector v (length P).</param>
    /// <param name="product">Receives the product (length P).</param>
    public void SampleHessianVectorProduct(ReadOnlySpan<double> theta, int sample, ReadOnlySpan<double> direction, Span<double> product)
    {
        CheckParameters(theta);
        CheckSample(sample);
        CheckVector(direction.Length, nameof(direction));
        CheckVector(product.Length, nameof(product));
        var ws = new Workspace(this);
        Forward(theta, Data.Input(sample), ws);
        LossAndDelta(ws, sample);
        product.Clear();
        RForwardBackward(theta, direction, ws, product);
    }

    /// <summary>The minibatch loss <c>(1/B) Σ_k ℓ_{i_k}(θ)</c> over the given sample indices (repeats counted).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="indices">The B sample indices.</param>
    public double MinibatchLoss(ReadOnlySpan<double> theta, ReadOnlySpan<int> indices) =>
        Reduce(theta.ToArray(), CheckIndices(indices), null, Mode.Loss, [], parallel: true);

    /// <summary>The minibatch loss and mean gradient <c>(1/B) Σ_k ∇ℓ_{i_k}(θ)</c> over the given indices (repeats counted).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="indices">The B sample indices.</param>
    /// <param name="gradient">Receives the mean gradient (length P).</param>
    /// <returns>The minibatch loss.</returns>
    public double MinibatchGradient(ReadOnlySpan<double> theta, ReadOnlySpan<int> indices, Span<double> gradient)
    {
        CheckVector(gradient.Length, nameof(gradient));
        return Reduce(theta.ToArray(), CheckIndices(indices), null, Mode.Gradient, gradient, parallel: true);
    }

    /// <summary>The exact minibatch Hessian-vector product <c>(1/B) Σ_k ∇²ℓ_{i_k}(θ) v</c> (R-operator).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="indices">The B sample indices.</param>
    /// <param name="direction">The vector v (length P).</param>
    /// <param name="product">Receives the product (length P).</param>
    public void MinibatchHessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<int> indices, ReadOnlySpan<double> direction, Span<double> product)
    {
        CheckVector(direction.Length, nameof(direction));
        CheckVector(product.Length, nameof(product));
        Reduce(theta.ToArray(), CheckIndices(indices), direction.ToArray(), Mode.HessianVector, product, parallel: true);
    }

    /// <summary>The full-batch loss L(θ) = (1/n) Σ_i ℓ_i(θ).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    public double FullBatchLoss(ReadOnlySpan<double> theta) => Reduce(theta.ToArray(), null, null, Mode.Loss, [], parallel: true);

    /// <summary>The full-batch loss L(θ) and gradient ∇L(θ).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="gradient">Receives ∇L(θ) (length P).</param>
    /// <returns>L(θ).</returns>
    public double FullBatchGradient(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        CheckVector(gradient.Length, nameof(gradient));
        return Reduce(theta.ToArray(), null, null, Mode.Gradient, gradient, parallel: true);
    }

    /// <summary>The exact full-batch Hessian-vector product ∇²L(θ) v, by forward-over-reverse differentiation (R-operator).</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="direction">The vector v (length P).</param>
    /// <param name="product">Receives the product (length P).</param>
    public void HessianVectorProduct(ReadOnlySpan<double> theta, ReadOnlySpan<double> direction, Span<double> product)
    {
        CheckVector(direction.Length, nameof(direction));
        CheckVector(product.Length, nameof(product));
        Reduce(theta.ToArray(), null, direction.ToArray(), Mode.HessianVector, product, parallel: true);
    }

    /// <summary>
    /// The full-batch Hessian-vector product by central differences of the analytic gradient:
    /// <c>∇²L(θ) v ≈ ‖v‖ [∇L(θ + h u) − ∇L(θ − h u)] / (2h)</c> with <c>u = v/‖v‖</c>. The error is
    /// <c>‖v‖ (h²/6) ∇³(∇L)[u, u] + O(ε_mach ‖∇ℓ‖ ‖v‖ / h)</c>; for ReLU it also assumes that no pre-activation crosses
    /// 0 within the step.
    /// </summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="direction">The vector v (length P).</param>
    /// <param name="product">Receives the product (length P).</param>
    /// <param name="step">The step h along the unit direction (default <see cref="DefaultStep"/>).</param>
    public void HessianVectorProductCentralDifference(ReadOnlySpan<double> theta, ReadOnlySpan<double> direction, Span<double> product, double step = DefaultStep)
    {
        CheckParameters(theta);
        CheckVector(direction.Length, nameof(direction));
        CheckVector(product.Length, nameof(product));
        if (!(step > 0.0) || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "The step is positive.");
        double norm = 0.0;
        foreach (double x in direction) norm += x * x;
        norm = Math.Sqrt(norm);
        if (norm == 0.0)
        {
            product.Clear();
            return;
        }

        int p = ParameterCount;
        var plus = new double[p];
        var minus = new double[p];
        for (int j = 0; j < p; j++)
        {
            plus[j] = theta[j] + (step / norm * direction[j]);
            minus[j] = theta[j] - (step / norm * direction[j]);
        }

        var gPlus = new double[p];
        var gMinus = new double[p];
        Reduce(plus, null, null, Mode.Gradient, gPlus, parallel: true);
        Reduce(minus, null, null, Mode.Gradient, gMinus, parallel: true);
        for (int j = 0; j < p; j++) product[j] = norm * (gPlus[j] - gMinus[j]) / (2.0 * step);
    }

    /// <summary>
    /// The full-batch Hessian ∇²L(θ), P × P, from P Hessian-vector products <c>H e_j</c> (the columns, computed in
    /// parallel), symmetrised as (H + Hᵀ)/2; the asymmetry of the unsymmetrised matrix is reported.
    /// </summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="method">Exact R-operator products (default) or central differences of the gradient.</param>
    /// <param name="step">The central-difference step (ignored by <see cref="MlpHessianMethod.Exact"/>).</param>
    public MlpHessian Hessian(ReadOnlySpan<double> theta, MlpHessianMethod method = MlpHessianMethod.Exact, double step = DefaultStep)
    {
        CheckParameters(theta);
        if (!Enum.IsDefined(method)) throw new ArgumentOutOfRangeException(nameof(method), method, null);
        if (method == MlpHessianMethod.CentralDifference && (!(step > 0.0) || !double.IsFinite(step)))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step is positive.");
        }

        int p = ParameterCount;
        double[] point = theta.ToArray();
        var columns = new double[(long)p * p];
        Parallel.For(
            0,
            p,
            Options,
            () => (Direction: new double[p], Shifted: new double[p], Other: new double[p]),
            (j, _, local) =>
            {
                var column = columns.AsSpan(j * p, p);
                if (method == MlpHessianMethod.Exact)
                {
                    local.Direction[j] = 1.0;
                    Reduce(point, null, local.Direction, Mode.HessianVector, column, parallel: false);
                    local.Direction[j] = 0.0;
                }
                else
                {
                    point.AsSpan().CopyTo(local.Shifted);
                    local.Shifted[j] = point[j] + step;
                    Reduce(local.Shifted, null, null, Mode.Gradient, column, parallel: false);
                    local.Shifted[j] = point[j] - step;
                    Reduce(local.Shifted, null, null, Mode.Gradient, local.Other, parallel: false);
                    for (int i = 0; i < p; i++) column[i] = (column[i] - local.Other[i]) / (2.0 * step);
                }

                return local;
            },
            _ => { });

        var raw = Matrix<double>.Build.Dense(p, p, columns);
        double asymmetry = (raw - raw.Transpose()).FrobeniusNorm();
        double norm = raw.FrobeniusNorm();
        return new MlpHessian(SymmetricEigen.Symmetrize(raw), asymmetry, norm > 0.0 ? asymmetry / norm : 0.0, method, method == MlpHessianMethod.Exact ? 0.0 : step);
    }

    /// <summary>
    /// The per-sample gradients projected on the columns of <paramref name="directions"/>: the n × k matrix G V whose row
    /// i is <c>∇ℓ_i(θ)ᵀ V</c>, without storing the n × P gradients.
    /// </summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="directions">V, P × k, one direction per column (e.g. Hessian eigenvectors).</param>
    public Matrix<double> ProjectedSampleGradients(ReadOnlySpan<double> theta, Matrix<double> directions)
    {
        CheckParameters(theta);
        ArgumentNullException.ThrowIfNull(directions);
        int p = ParameterCount;
        if (directions.RowCount != p) throw new ArgumentException($"The directions have {directions.RowCount} rows, not P = {p}.", nameof(directions));
        int k = directions.ColumnCount;
        int n = Data.Count;
        double[] point = theta.ToArray();
        double[] v = directions.ToColumnMajorArray();
        var projected = new double[(long)n * k];
        int chunks = (n + ChunkSize - 1) / ChunkSize;
        Parallel.For(
            0,
            chunks,
            Options,
            () => (Workspace: new Workspace(this), Gradient: new double[p]),
            (c, _, local) =>
            {
                int end = Math.Min(n, (c + 1) * ChunkSize);
                for (int i = c * ChunkSize; i < end; i++)
                {
                    Forward(point, Data.Input(i), local.Workspace);
                    LossAndDelta(local.Workspace, i);
                    Array.Clear(local.Gradient);
                    Backward(point, local.Workspace, local.Gradient);
                    for (int m = 0; m < k; m++)
                    {
                        projected[((long)i * k) + m] = Dot(local.Gradient, v.AsSpan(m * p, p));
                    }
                }

                return local;
            },
            _ => { });
        return Matrix<double>.Build.DenseOfRowMajor(n, k, projected);
    }

    /// <summary>
    /// The minibatch gradient-noise covariance projected on the directions V: the k × k matrix <c>Vᵀ Σ V</c> with
    /// <c>Σ = (1/B) · (1/n) Σ_i (∇ℓ_i − ∇L)(∇ℓ_i − ∇L)ᵀ</c>, the covariance of the mean gradient of a minibatch of B
    /// samples drawn uniformly <b>with replacement</b> (the population covariance over the n samples, divided by B;
    /// without replacement multiply by <c>(n − B)/(n − 1)</c>). Computed from G V (<see cref="ProjectedSampleGradients"/>)
    /// by two passes (column means, then centred products), never forming the P × P covariance; its diagonal is
    /// <c>s_m² = v_mᵀ Σ v_m</c>.
    /// </summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="directions">V, P × k, one direction per column.</param>
    /// <param name="batchSize">The minibatch size B.</param>
    public Matrix<double> GradientNoiseCovariance(ReadOnlySpan<double> theta, Matrix<double> directions, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var projected = ProjectedSampleGradients(theta, directions);
        int n = projected.RowCount, k = projected.ColumnCount;
        double[] centred = projected.ToColumnMajorArray();
        for (int m = 0; m < k; m++)
        {
            var column = centred.AsSpan(m * n, n);
            double mean = 0.0;
            foreach (double x in column) mean += x;
            mean /= n;
            for (int i = 0; i < n; i++) column[i] -= mean;
        }

        var covariance = new double[k * k];
        double scale = 1.0 / ((double)n * batchSize);
        Parallel.For(0, k, Options, a =>
        {
            var left = centred.AsSpan(a * n, n);
            for (int b = a; b < k; b++)
            {
                double value = Dot(left, centred.AsSpan(b * n, n)) * scale;
                covariance[(a * k) + b] = value;
                covariance[(b * k) + a] = value;
            }
        });
        return Matrix<double>.Build.Dense(k, k, covariance);
    }

    /// <summary>
    /// The projected noise variances <c>s_m² = v_mᵀ Σ v_m</c>, the diagonal of <see cref="GradientNoiseCovariance"/>
    /// (Σ for minibatches of B drawn with replacement).
    /// </summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="directions">V, P × k, one direction per column.</param>
    /// <param name="batchSize">The minibatch size B.</param>
    public double[] GradientNoiseVariances(ReadOnlySpan<double> theta, Matrix<double> directions, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var projected = ProjectedSampleGradients(theta, directions);
        int n = projected.RowCount, k = projected.ColumnCount;
        double[] values = projected.ToColumnMajorArray();
        var variances = new double[k];
        for (int m = 0; m < k; m++)
        {
            var column = values.AsSpan(m * n, n);
            double mean = 0.0;
            foreach (double x in column) mean += x;
            mean /= n;
            double sum = 0.0;
            foreach (double x in column) sum += (x - mean) * (x - mean);
            variances[m] = sum / ((double)n * batchSize);
        }

        return variances;
    }

    /// <summary>The hidden pre-activations z_l (l &lt; L − 1) of one sample, for checks near ReLU kinks.</summary>
    internal double[][] HiddenPreActivations(ReadOnlySpan<double> theta, int sample)
    {
        CheckParameters(theta);
        CheckSample(sample);
        var ws = new Workspace(this);
        Forward(theta, Data.Input(sample), ws);
        return ws.Pre[..^1].Select(z => (double[])z.Clone()).ToArray();
    }

    private enum Mode
    {
        Loss,
        Gradient,
        HessianVector,
    }

    /// <summary>
    /// Mean over the samples (all, or the given index positions) of the loss and, by mode, the gradient or the
    /// Hessian-vector product, summed in fixed chunks (the same bits serial or parallel). Returns the mean loss.
    /// </summary>
    private double Reduce(double[] theta, int[]? indices, double[]? direction, Mode mode, Span<double> result, bool parallel)
    {
        CheckParameters(theta);
        int count = indices?.Length ?? Data.Count;
        int p = ParameterCount;
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        bool vector = mode != Mode.Loss;
        double totalLoss = 0.0;
        if (vector) result.Clear();

        if (!parallel)
        {
            var ws = new Workspace(this);
            var acc = vector ? new double[p] : [];
            for (int c = 0; c < chunks; c++)
            {
                if (vector) Array.Clear(acc);
                totalLoss += ProcessChunk(c, theta, indices, count, direction, mode, ws, acc);
                for (int j = 0; j < acc.Length; j++) result[j] += acc[j];
            }
        }
        else
        {
            var losses = new double[chunks];
            var partial = new double[chunks][];
            Parallel.For(
                0,
                chunks,
                Options,
                () => new Workspace(this),
                (c, _, ws) =>
                {
                    var acc = vector ? new double[p] : [];
                    losses[c] = ProcessChunk(c, theta, indices, count, direction, mode, ws, acc);
                    partial[c] = acc;
                    return ws;
                },
                _ => { });
            for (int c = 0; c < chunks; c++)
            {
                totalLoss += losses[c];
                var acc = partial[c];
                for (int j = 0; j < acc.Length; j++) result[j] += acc[j];
            }
        }

        if (vector)
        {
            for (int j = 0; j < p; j++) result[j] /= count;
        }

        return totalLoss / count;
    }

    private double ProcessChunk(int chunk, double[] theta, int[]? indices, int count, double[]? direction, Mode mode, Workspace ws, double[] acc)
    {
        double loss = 0.0;
        int end = Math.Min(count, (chunk + 1) * ChunkSize);
        for (int k = chunk * ChunkSize; k < end; k++)
        {
            int sample = indices is null ? k : indices[k];
            Forward(theta, Data.Input(sample), ws);
            loss += LossAndDelta(ws, sample);
            if (mode == Mode.Gradient) Backward(theta, ws, acc);
            else if (mode == Mode.HessianVector) RForwardBackward(theta, direction, ws, acc);
        }

        return loss;
    }

    /// <summary>Forward pass: pre-activations z_l, activations a_l and the activation derivatives σ′(z_l), σ″(z_l).</summary>
    private void Forward(ReadOnlySpan<double> theta, ReadOnlySpan<double> input, Workspace ws)
    {
        input.CopyTo(ws.Act[0]);
        int layers = Layers;
        for (int l = 0; l < layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var b = theta.Slice(_biasOffsets[l], nOut);
            var a = ws.Act[l];
            var z = ws.Pre[l];
            for (int o = 0; o < nOut; o++) z[o] = b[o] + Dot(w.Slice(o * nIn, nIn), a);
            if (l < layers - 1) Activate(_activations[l], z, ws.Act[l + 1], ws.D1[l], ws.D2[l]);
        }
    }

    private static void Activate(MlpActivation activation, double[] z, double[] a, double[] d1, double[] d2)
    {
        for (int o = 0; o < z.Length; o++)
        {
            double x = z[o];
            switch (activation)
            {
                case MlpActivation.Tanh:
                {
                    double t = Math.Tanh(x);
                    a[o] = t;
                    d1[o] = 1.0 - (t * t);
                    d2[o] = -2.0 * t * d1[o];
                    break;
                }

                case MlpActivation.Silu:
                {
                    // σ(x) = x s, σ′ = s (1 + x (1 − s)), σ″ = s (1 − s) (2 + x (1 − 2s)), s = 1/(1 + e^{−x})
                    double s = 1.0 / (1.0 + Math.Exp(-x));
                    a[o] = x * s;
                    d1[o] = s * (1.0 + (x * (1.0 - s)));
                    d2[o] = s * (1.0 - s) * (2.0 + (x * (1.0 - (2.0 * s))));
                    break;
                }

                default:
                    a[o] = x > 0.0 ? x : 0.0;
                    d1[o] = x > 0.0 ? 1.0 : 0.0;
                    d2[o] = 0.0;
                    break;
            }
        }
    }

    /// <summary>The loss of the sample and the output error δ_L = ∂ℓ/∂f (softmax p − e_y, or f − y).</summary>
    private double LossAndDelta(Workspace ws, int sample)
    {
        var f = ws.Pre[Layers - 1];
        var delta = ws.Delta[Layers - 1];
        if (Architecture.Loss == MlpLoss.SoftmaxCrossEntropy)
        {
            double max = f.Max();
            double sum = 0.0;
            for (int o = 0; o < f.Length; o++)
            {
                ws.Prob[o] = Math.Exp(f[o] - max);
                sum += ws.Prob[o];
            }

            int label = Data.Label(sample);
            for (int o = 0; o < f.Length; o++)
            {
                ws.Prob[o] /= sum;
                delta[o] = ws.Prob[o];
            }

            delta[label] -= 1.0;
            return max + Math.Log(sum) - f[label];
        }

        var target = Data.Target(sample);
        double loss = 0.0;
        for (int o = 0; o < f.Length; o++)
        {
            double r = f[o] - target[o];
            delta[o] = r;
            loss += r * r;
        }

        return 0.5 * loss;
    }

    /// <summary>Backpropagation: adds ∇ℓ to <paramref name="gradient"/> (needs the forward pass and the output error).</summary>
    private void Backward(ReadOnlySpan<double> theta, Workspace ws, Span<double> gradient)
    {
        for (int l = Layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var a = ws.Act[l];
            var d = ws.Delta[l];
            var gw = gradient.Slice(_weightOffsets[l], nOut * nIn);
            var gb = gradient.Slice(_biasOffsets[l], nOut);
            for (int o = 0; o < nOut; o++)
            {
                gb[o] += d[o];
                var row = gw.Slice(o * nIn, nIn);
                double dO = d[o];
                for (int i = 0; i < nIn; i++) row[i] += dO * a[i];
            }

            if (l == 0) break;

            // δ_{l−1} = σ′(z_{l−1}) ⊙ W_lᵀ δ_l
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var e = ws.Back.AsSpan(0, nIn);
            e.Clear();
            for (int o = 0; o < nOut; o++)
            {
                double dO = d[o];
                var row = w.Slice(o * nIn, nIn);
                for (int i = 0; i < nIn; i++) e[i] += row[i] * dO;
            }

            var previous = ws.Delta[l - 1];
            var d1 = ws.D1[l - 1];
            for (int i = 0; i < nIn; i++) previous[i] = d1[i] * e[i];
        }
    }

    /// <summary>
    /// Forward-over-reverse (R-operator, Pearlmutter 1994): adds ∇²ℓ v to <paramref name="product"/>. With R{·} the
    /// directional derivative along v (V_l, c_l the weight and bias parts of v):
    /// R{a₀} = 0, R{z_l} = V_l a_{l−1} + W_l R{a_{l−1}} + c_l, R{a_l} = σ′(z_l) ⊙ R{z_l};
    /// R{δ_L} = (diag p − p pᵀ) R{f} (cross-entropy) or R{f} (squared loss);
    /// R{∇_{W_l}} = R{δ_l} a_{l−1}ᵀ + δ_l R{a_{l−1}}ᵀ, R{∇_{b_l}} = R{δ_l};
    /// with e = W_lᵀ δ_l: R{δ_{l−1}} = σ″(z_{l−1}) ⊙ R{z_{l−1}} ⊙ e + σ′(z_{l−1}) ⊙ (V_lᵀ δ_l + W_lᵀ R{δ_l}).
    /// Needs the forward pass and the output error; recomputes the hidden errors δ_l.
    /// </summary>
    private void RForwardBackward(ReadOnlySpan<double> theta, ReadOnlySpan<double> v, Workspace ws, Span<double> product)
    {
        int layers = Layers;
        Array.Clear(ws.RAct[0]);
        for (int l = 0; l < layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var vw = v.Slice(_weightOffsets[l], nOut * nIn);
            var vb = v.Slice(_biasOffsets[l], nOut);
            var a = ws.Act[l];
            var ra = ws.RAct[l];
            var rz = ws.RPre[l];
            for (int o = 0; o < nOut; o++)
            {
                rz[o] = vb[o] + Dot(vw.Slice(o * nIn, nIn), a) + (l == 0 ? 0.0 : Dot(w.Slice(o * nIn, nIn), ra));
            }

            if (l < layers - 1)
            {
                var next = ws.RAct[l + 1];
                var d1 = ws.D1[l];
                for (int o = 0; o < nOut; o++) next[o] = d1[o] * rz[o];
            }
        }

        var rf = ws.RPre[layers - 1];
        var rDeltaOut = ws.RDelta[layers - 1];
        if (Architecture.Loss == MlpLoss.SoftmaxCrossEntropy)
        {
            double mean = 0.0;
            for (int o = 0; o < rf.Length; o++) mean += ws.Prob[o] * rf[o];
            for (int o = 0; o < rf.Length; o++) rDeltaOut[o] = ws.Prob[o] * (rf[o] - mean);
        }
        else
        {
            rf.AsSpan().CopyTo(rDeltaOut);
        }

        for (int l = layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var a = ws.Act[l];
            var ra = ws.RAct[l];
            var d = ws.Delta[l];
            var rd = ws.RDelta[l];
            var hw = product.Slice(_weightOffsets[l], nOut * nIn);
            var hb = product.Slice(_biasOffsets[l], nOut);
            for (int o = 0; o < nOut; o++)
            {
                hb[o] += rd[o];
                var row = hw.Slice(o * nIn, nIn);
                double rdO = rd[o], dO = d[o];
                if (l == 0)
                {
                    for (int i = 0; i < nIn; i++) row[i] += rdO * a[i];
                }
                else
                {
                    for (int i = 0; i < nIn; i++) row[i] += (rdO * a[i]) + (dO * ra[i]);
                }
            }

            if (l == 0) break;

            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var vw = v.Slice(_weightOffsets[l], nOut * nIn);
            var e = ws.Back.AsSpan(0, nIn);
            var re = ws.RBack.AsSpan(0, nIn);
            e.Clear();
            re.Clear();
            for (int o = 0; o < nOut; o++)
            {
                double dO = d[o], rdO = rd[o];
                var wRow = w.Slice(o * nIn, nIn);
                var vRow = vw.Slice(o * nIn, nIn);
                for (int i = 0; i < nIn; i++)
                {
                    e[i] += wRow[i] * dO;
                    re[i] += (vRow[i] * dO) + (wRow[i] * rdO);
                }
            }

            var previous = ws.Delta[l - 1];
            var rPrevious = ws.RDelta[l - 1];
            var d1 = ws.D1[l - 1];
            var d2 = ws.D2[l - 1];
            var rz = ws.RPre[l - 1];
            for (int i = 0; i < nIn; i++)
            {
                previous[i] = d1[i] * e[i];
                rPrevious[i] = (d2[i] * rz[i] * e[i]) + (d1[i] * re[i]);
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0.0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    private void CheckParameters(ReadOnlySpan<double> theta)
    {
        if (theta.Length != ParameterCount)
        {
            throw new ArgumentException($"θ has {theta.Length} entries, the network {ParameterCount} parameters.", nameof(theta));
        }
    }

    private void CheckVector(int length, string name)
    {
        if (length != ParameterCount) throw new ArgumentException($"The vector has {length} entries, not P = {ParameterCount}.", name);
    }

    private void CheckSample(int sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, Data.Count);
    }

    private int[] CheckIndices(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("The minibatch is empty.", nameof(indices));
        foreach (int i in indices) CheckSample(i);
        return indices.ToArray();
    }

    /// <summary>Per-thread buffers of one sample's forward, backward and R passes.</summary>
    private sealed class Workspace
    {
        public Workspace(MlpReference owner)
        {
            int layers = owner.Layers;
            int[] widths = owner._widths;
            Act = new double[layers][];
            RAct = new double[layers][];
            Pre = new double[layers][];
            RPre = new double[layers][];
            Delta = new double[layers][];
            RDelta = new double[layers][];
            D1 = new double[layers][];
            D2 = new double[layers][];
            for (int l = 0; l < layers; l++)
            {
                Act[l] = new double[widths[l]];
                RAct[l] = new double[widths[l]];
                Pre[l] = new double[widths[l + 1]];
                RPre[l] = new double[widths[l + 1]];
                Delta[l] = new double[widths[l + 1]];
                RDelta[l] = new double[widths[l + 1]];
                D1[l] = new double[widths[l + 1]];
                D2[l] = new double[widths[l + 1]];
            }

            int max = widths.Max();
            Prob = new double[widths[^1]];
            Back = new double[max];
            RBack = new double[max];
        }

        public double[][] Act { get; }

        public double[][] RAct { get; }

        public double[][] Pre { get; }

        public double[][] RPre { get; }

        public double[][] Delta { get; }

        public double[][] RDelta { get; }

        public double[][] D1 { get; }

        public double[][] D2 { get; }

        public double[] Prob { get; }

        public double[] Back { get; }

        public double[] RBack { get; }
    }
}

/// <summary>
/// A full-batch Hessian from <see cref="MlpReference.Hessian"/>: the symmetrised matrix (H + Hᵀ)/2 of the column-wise
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
