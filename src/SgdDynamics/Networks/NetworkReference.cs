using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Networks;

/// <summary>
/// The double-precision reference of a network on a fixed data set, whatever the network (<see cref="MlpReference"/>,
/// <see cref="CharModelReference"/>): per-sample, minibatch and full-batch losses and gradients (hand-derived
/// backpropagation), exact Hessian-vector products (forward-over-reverse, Pearlmutter's R-operator) and central
/// differences of the gradient, the full Hessian with its eigendecomposition, and the minibatch gradient-noise
/// covariance projected on a set of directions. The training loss is the mean per-sample loss
/// <c>L(θ) = (1/n) Σ_i ℓ_i(θ)</c>; a minibatch loss is the mean over the given indices (repeats counted). Parameter
/// vectors θ are in the network's flat layout (<see cref="MlpArchitecture"/>, <see cref="CharModelArchitecture"/>).
/// <para>
/// Sums over samples run in fixed chunks of <see cref="ChunkSize"/> consecutive samples (or index positions): each
/// chunk is summed in order and the chunk sums are added in chunk order, so every result is the same to the last bit
/// whatever the number of threads (<see cref="MaxDegreeOfParallelism"/>). The full Hessian is parallel over its
/// columns, each column summed the same way.
/// </para>
/// </summary>
public abstract class NetworkReference
{
    /// <summary>Samples per chunk of a sum over samples (fixes the summation order).</summary>
    public const int ChunkSize = 256;

    /// <summary>
    /// Default relative step of the central differences of the gradient, <c>h = 1e-5</c> (along the unit direction
    /// <c>v/‖v‖</c>): about <c>ε_mach^{1/3}</c>, balancing the truncation error <c>O(h²)</c> against the rounding error
    /// <c>O(ε_mach/h)</c>; relative errors are then around 1e-10 on smooth networks.
    /// </summary>
    public const double DefaultStep = 1e-5;

    /// <summary>Only the networks of this assembly derive from this class.</summary>
    private protected NetworkReference()
    {
    }

    /// <summary>Number of parameters P.</summary>
    public abstract int ParameterCount { get; }

    /// <summary>Number of samples n of the data set.</summary>
    public abstract int SampleCount { get; }

    /// <summary>Largest number of threads for the sums over samples and the Hessian columns (−1: no limit). Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    private ParallelOptions Options => new() { MaxDegreeOfParallelism = MaxDegreeOfParallelism };

    /// <summary>The loss ℓ_i(θ) of sample <paramref name="sample"/>.</summary>
    /// <param name="theta">Parameters in the flat layout.</param>
    /// <param name="sample">Sample index.</param>
    public double SampleLoss(ReadOnlySpan<double> theta, int sample)
    {
        CheckParameters(theta);
        CheckSample(sample);
        return ForwardSample(theta, sample, CreateWorkspace());
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
        var ws = CreateWorkspace();
        double loss = ForwardSample(theta, sample, ws);
        gradient.Clear();
        BackwardSample(theta, sample, ws, gradient);
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
        var ws = CreateWorkspace();
        ForwardSample(theta, sample, ws);
        product.Clear();
        HessianVectorSample(theta, sample, direction, ws, product);
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
        int n = SampleCount;
        double[] point = theta.ToArray();
        double[] v = directions.ToColumnMajorArray();
        var projected = new double[(long)n * k];
        int chunks = (n + ChunkSize - 1) / ChunkSize;
        Parallel.For(
            0,
            chunks,
            Options,
            () => (Workspace: CreateWorkspace(), Gradient: new double[p]),
            (c, _, local) =>
            {
                int end = Math.Min(n, (c + 1) * ChunkSize);
                for (int i = c * ChunkSize; i < end; i++)
                {
                    ForwardSample(point, i, local.Workspace);
                    Array.Clear(local.Gradient);
                    BackwardSample(point, i, local.Workspace, local.Gradient);
                    for (int m = 0; m < k; m++)
                    {
                        projected[((long)i * k) + m] = MlpKernel.Dot(local.Gradient, v.AsSpan(m * p, p));
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
                double value = MlpKernel.Dot(left, centred.AsSpan(b * n, n)) * scale;
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
        int count = indices?.Length ?? SampleCount;
        int p = ParameterCount;
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        bool vector = mode != Mode.Loss;
        double totalLoss = 0.0;
        if (vector) result.Clear();

        if (!parallel)
        {
            var ws = CreateWorkspace();
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
                () => CreateWorkspace(),
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

    private double ProcessChunk(int chunk, double[] theta, int[]? indices, int count, double[]? direction, Mode mode, MlpWorkspace ws, double[] acc)
    {
        double loss = 0.0;
        int end = Math.Min(count, (chunk + 1) * ChunkSize);
        for (int k = chunk * ChunkSize; k < end; k++)
        {
            int sample = indices is null ? k : indices[k];
            loss += ForwardSample(theta, sample, ws);
            if (mode == Mode.Gradient) BackwardSample(theta, sample, ws, acc);
            else if (mode == Mode.HessianVector) HessianVectorSample(theta, sample, direction, ws, acc);
        }

        return loss;
    }

    /// <summary>A workspace for one thread's per-sample passes.</summary>
    private protected abstract MlpWorkspace CreateWorkspace();

    /// <summary>The forward pass of sample <paramref name="sample"/>, its loss and output error; returns the loss.</summary>
    private protected abstract double ForwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws);

    /// <summary>Adds ∇ℓ of the sample of the last <see cref="ForwardSample"/> to <paramref name="gradient"/>.</summary>
    private protected abstract void BackwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws, Span<double> gradient);

    /// <summary>Adds ∇²ℓ v of the sample of the last <see cref="ForwardSample"/> to <paramref name="product"/>.</summary>
    private protected abstract void HessianVectorSample(ReadOnlySpan<double> theta, int sample, ReadOnlySpan<double> direction, MlpWorkspace ws, Span<double> product);

    private protected void CheckParameters(ReadOnlySpan<double> theta)
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

    private protected void CheckSample(int sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, SampleCount);
    }

    private int[] CheckIndices(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("The minibatch is empty.", nameof(indices));
        foreach (int i in indices) CheckSample(i);
        return indices.ToArray();
    }
}
