using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;
using SgdDynamics.Data;

namespace SgdDynamics.Networks;

/// <summary>
/// Double-precision reference for a character-level language model (<see cref="CharModelArchitecture"/>) on a fixed
/// set of samples (a context of c symbol indices, oldest first, and the index of the next symbol): everything
/// <see cref="NetworkReference"/> offers (losses, gradients, exact and differenced Hessian-vector products, the full
/// Hessian, the projected gradient noise), with the MLP passes of <see cref="MlpReference"/> run on the embedded
/// context x = (E[s₁], …, E[s_c]). The lookup is linear in E, so the embedding gradient is the MLP's input gradient
/// ∂ℓ/∂x = W₁ᵀ δ₁ scattered onto the rows of the context symbols (added, when a symbol repeats), and the R-operator
/// takes R{x} = (V_E[s₁], …, V_E[s_c]), the lookup of the direction's embedding part, and scatters
/// R{∂ℓ/∂x} = V₁ᵀ δ₁ + W₁ᵀ R{δ₁} the same way.
/// </summary>
public sealed class CharModelReference : NetworkReference
{
    private readonly MlpKernel _kernel;
    private readonly int[] _contexts;
    private readonly int[] _targets;

    /// <summary>A reference for <paramref name="architecture"/> on the samples of a corpus.</summary>
    /// <param name="architecture">The model.</param>
    /// <param name="samples">
    /// Samples of <see cref="CharCorpus.Samples"/> with the model's context length and alphabet size (copied).
    /// </param>
    public CharModelReference(CharModelArchitecture architecture, CharSamples samples)
        : this(architecture, Check(architecture, samples).Contexts, samples.Targets)
    {
    }

    /// <summary>A reference for <paramref name="architecture"/> on explicit samples (copied).</summary>
    /// <param name="architecture">The model.</param>
    /// <param name="contexts">Row-major n × c symbol indices, each context oldest first; every index below V.</param>
    /// <param name="targets">n target symbol indices, each below V.</param>
    public CharModelReference(CharModelArchitecture architecture, ReadOnlySpan<int> contexts, ReadOnlySpan<int> targets)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        int c = architecture.ContextLength, v = architecture.AlphabetSize;
        if (targets.IsEmpty) throw new ArgumentException("There are no samples.", nameof(targets));
        if ((long)targets.Length * c != contexts.Length)
        {
            throw new ArgumentException($"{contexts.Length} context indices are not {targets.Length} contexts of {c}.", nameof(contexts));
        }

        for (int i = 0; i < contexts.Length; i++)
        {
            if ((uint)contexts[i] >= (uint)v)
            {
                throw new ArgumentException(
                    $"Sample {i / c} has context symbol {contexts[i]}, outside an alphabet of {v}.", nameof(contexts));
            }
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)v)
            {
                throw new ArgumentException($"Sample {i} has target {targets[i]}, outside an alphabet of {v}.", nameof(targets));
            }
        }

        Architecture = architecture;
        _kernel = new MlpKernel(architecture.Mlp);
        _contexts = contexts.ToArray();
        _targets = targets.ToArray();
    }

    /// <summary>The model.</summary>
    public CharModelArchitecture Architecture { get; }

    /// <summary>Number of parameters P.</summary>
    public override int ParameterCount => Architecture.ParameterCount;

    /// <summary>Number of samples n.</summary>
    public override int SampleCount => _targets.Length;

    /// <summary>The context of sample <paramref name="sample"/>: c symbol indices, oldest first.</summary>
    /// <param name="sample">Sample index.</param>
    public ReadOnlySpan<int> Context(int sample)
    {
        CheckSample(sample);
        return _contexts.AsSpan(sample * Architecture.ContextLength, Architecture.ContextLength);
    }

    /// <summary>The target symbol of sample <paramref name="sample"/>.</summary>
    /// <param name="sample">Sample index.</param>
    public int Target(int sample)
    {
        CheckSample(sample);
        return _targets[sample];
    }

    /// <summary>The logits f ∈ ℝ^V of the next symbol after <paramref name="context"/> at parameters θ.</summary>
    /// <param name="theta">Parameters in the flat layout (<see cref="CharModelArchitecture"/>).</param>
    /// <param name="context">c symbol indices, oldest first.</param>
    /// <param name="logits">Receives the V logits.</param>
    public void Logits(ReadOnlySpan<double> theta, ReadOnlySpan<int> context, Span<double> logits)
    {
        CheckParameters(theta);
        int c = Architecture.ContextLength, v = Architecture.AlphabetSize;
        if (context.Length != c) throw new ArgumentException($"The context has {context.Length} symbols, not {c}.", nameof(context));
        foreach (int s in context)
        {
            if ((uint)s >= (uint)v) throw new ArgumentException($"Symbol {s} is outside an alphabet of {v}.", nameof(context));
        }

        if (logits.Length != v) throw new ArgumentException($"The logits have {logits.Length} entries, not {v}.", nameof(logits));
        var ws = _kernel.CreateWorkspace();
        Embed(theta, context, ws.Input);
        _kernel.Forward(theta[Architecture.MlpOffset..], ws.Input, ws);
        MlpKernel.Output(ws).CopyTo(logits);
    }

    /// <summary>The hidden pre-activations z₁ of one sample, for checks near ReLU kinks.</summary>
    internal double[] HiddenPreActivations(ReadOnlySpan<double> theta, int sample)
    {
        CheckParameters(theta);
        CheckSample(sample);
        var ws = _kernel.CreateWorkspace();
        ForwardSample(theta, sample, ws);
        return (double[])ws.Pre[0].Clone();
    }

    private protected override MlpWorkspace CreateWorkspace() => _kernel.CreateWorkspace();

    private protected override double ForwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws)
    {
        Embed(theta, SampleContext(sample), ws.Input);
        _kernel.Forward(theta[Architecture.MlpOffset..], ws.Input, ws);
        return _kernel.CrossEntropyAndDelta(ws, _targets[sample]);
    }

    private protected override void BackwardSample(ReadOnlySpan<double> theta, int sample, MlpWorkspace ws, Span<double> gradient)
    {
        int offset = Architecture.MlpOffset;
        _kernel.Backward(theta[offset..], ws, gradient[offset..], ws.InputGradient);
        Scatter(SampleContext(sample), ws.InputGradient, gradient);
    }

    private protected override void HessianVectorSample(
        ReadOnlySpan<double> theta, int sample, ReadOnlySpan<double> direction, MlpWorkspace ws, Span<double> product)
    {
        int offset = Architecture.MlpOffset;
        var context = SampleContext(sample);
        Embed(direction, context, ws.RInput);
        _kernel.RForwardBackward(theta[offset..], direction[offset..], ws, product[offset..], ws.RInput, ws.RInputGradient);
        Scatter(context, ws.RInputGradient, product);
    }

    private ReadOnlySpan<int> SampleContext(int sample) =>
        _contexts.AsSpan(sample * Architecture.ContextLength, Architecture.ContextLength);

    /// <summary>x = (E[s₁], …, E[s_c]) from the embedding part of <paramref name="vector"/> (θ or a direction).</summary>
    private void Embed(ReadOnlySpan<double> vector, ReadOnlySpan<int> context, Span<double> x)
    {
        int e = Architecture.EmbeddingDimension;
        for (int j = 0; j < context.Length; j++) vector.Slice(context[j] * e, e).CopyTo(x.Slice(j * e, e));
    }

    /// <summary>
    /// Adds the blocks of an input-sized vector to the embedding rows of the context symbols (the adjoint of
    /// <see cref="Embed"/>).
    /// </summary>
    private void Scatter(ReadOnlySpan<int> context, ReadOnlySpan<double> x, Span<double> vector)
    {
        int e = Architecture.EmbeddingDimension;
        for (int j = 0; j < context.Length; j++)
        {
            var row = vector.Slice(context[j] * e, e);
            var block = x.Slice(j * e, e);
            for (int k = 0; k < e; k++) row[k] += block[k];
        }
    }

    private static CharSamples Check(CharModelArchitecture architecture, CharSamples samples)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.ContextLength != architecture.ContextLength)
        {
            throw new ArgumentException(
                $"The samples have contexts of {samples.ContextLength}, the model {architecture.ContextLength}.", nameof(samples));
        }

        if (samples.AlphabetSize != architecture.AlphabetSize)
        {
            throw new ArgumentException(
                $"The samples' alphabet has {samples.AlphabetSize} symbols, the model {architecture.AlphabetSize}.", nameof(samples));
        }

        return samples;
    }
}

/// <summary>Seeded initialisation of character-model parameters.</summary>
public static class CharModelInitialisation
{
    /// <summary>
    /// PyTorch's defaults: every embedding entry N(0, 1) (as <c>torch.nn.Embedding</c>), then the MLP as
    /// <see cref="MlpInitialisation.PyTorchDefault"/> (U(±1/√fan_in) per layer). Drawn in the flat layout order
    /// (<see cref="CharModelArchitecture"/>) from one MathNet Mersenne Twister seeded with <paramref name="seed"/>: the V·e
    /// normals by MathNet's <c>Normal.Sample(random, 0, 1)</c>, then the MLP's uniforms from the same stream. The numbers
    /// are not PyTorch's, the laws are.
    /// </summary>
    /// <param name="architecture">The model.</param>
    /// <param name="seed">The seed.</param>
    public static double[] PyTorchDefault(CharModelArchitecture architecture, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var random = new MersenneTwister(seed, threadSafe: false);
        var theta = new double[architecture.ParameterCount];
        for (int j = 0; j < architecture.EmbeddingSize; j++) theta[j] = Normal.Sample(random, 0.0, 1.0);
        MlpInitialisation.Fill(architecture.Mlp, random, theta.AsSpan(architecture.MlpOffset));
        return theta;
    }
}
