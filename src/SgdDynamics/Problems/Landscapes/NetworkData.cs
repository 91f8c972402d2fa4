using System.Security.Cryptography;
using MathNet.Numerics.Random;
using SgdDynamics.Data;
using SgdDynamics.Networks;

namespace SgdDynamics.Problems;

/// <summary>Where the samples of a network landscape come from.</summary>
public abstract record NetworkDataSource;

/// <summary>
/// MNIST idx files (raw or gzip): the first <paramref name="Count"/> images (all when null) as pixel/255, average-pooled
/// to <paramref name="Pool"/> × <paramref name="Pool"/> as PyTorch's AdaptiveAvgPool2d (0: no pooling).
/// </summary>
/// <param name="ImagesPath">The images file (absolute).</param>
/// <param name="LabelsPath">The labels file (absolute).</param>
/// <param name="Count">The first n images, or null for all.</param>
/// <param name="Pool">The pooled side, or 0 for the raw images.</param>
public sealed record MnistSource(string ImagesPath, string LabelsPath, int? Count, int Pool) : NetworkDataSource;

/// <summary>
/// A synthetic classification set: <paramref name="Samples"/> inputs uniform on [0, 1]^<paramref name="Inputs"/>, labelled
/// by a random linear teacher, label = argmax_c (W(x − ½))_c with W's entries standard normal (MathNet's Mersenne Twister
/// seeded with <paramref name="Seed"/>: first the inputs row by row, then W row-major).
/// </summary>
/// <param name="Samples">n ≥ 1.</param>
/// <param name="Inputs">Inputs per sample.</param>
/// <param name="Classes">Number of classes (≥ 2).</param>
/// <param name="Seed">The seed.</param>
public sealed record GeneratedClassificationSource(int Samples, int Inputs, int Classes, int Seed) : NetworkDataSource;

/// <summary>
/// The samples of a multilayer-perceptron landscape: n inputs (float, row-major n × <see cref="InputSize"/>) with class
/// labels. Under cross-entropy the kernels read the labels; under the squared loss the targets are their one-hot vectors.
/// </summary>
public sealed class NetworkData
{
    /// <summary>The most samples a network landscape takes.</summary>
    public const int MaxSamples = 1 << 20;

    /// <summary>The most generated inputs per sample.</summary>
    public const int MaxInputs = 4096;

    private readonly float[] inputs;
    private readonly int[] labels;
    private readonly Lazy<string> fingerprint;

    private NetworkData(NetworkDataSource source, float[] inputs, int inputSize, int[] labels, int classes)
    {
        Source = source;
        this.inputs = inputs;
        this.labels = labels;
        InputSize = inputSize;
        Classes = classes;
        fingerprint = new Lazy<string>(ComputeFingerprint);
    }

    /// <summary>Where the samples come from.</summary>
    public NetworkDataSource Source { get; }

    /// <summary>Number of samples n.</summary>
    public int Count => labels.Length;

    /// <summary>Inputs per sample.</summary>
    public int InputSize { get; }

    /// <summary>Number of classes (10 for MNIST).</summary>
    public int Classes { get; }

    /// <summary>The inputs, n × <see cref="InputSize"/> row-major (a copy).</summary>
    public float[] Inputs() => (float[])inputs.Clone();

    /// <summary>The labels (a copy).</summary>
    public int[] Labels() => (int[])labels.Clone();

    /// <summary>The kernels' target table: one float per sample (the label) for cross-entropy, or the one-hot vector of <paramref name="outputs"/> floats for the squared loss.</summary>
    public float[] TargetTable(MlpLoss loss, int outputs)
    {
        switch (loss)
        {
            case MlpLoss.SoftmaxCrossEntropy:
                return [.. labels.Select(l => (float)l)];
            case MlpLoss.MeanSquared:
                var table = new float[(long)Count * outputs];
                for (int i = 0; i < Count; i++)
                {
                    table[(i * outputs) + labels[i]] = 1f;
                }

                return table;
            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "unknown loss");
        }
    }

    /// <summary>The same samples in double for the host reference (<see cref="MlpReference"/>): labels, or one-hot targets of <paramref name="outputs"/> components under the squared loss.</summary>
    public MlpDataSet DataSet(MlpLoss loss, int outputs)
    {
        double[] x = [.. inputs.Select(v => (double)v)];
        return loss switch
        {
            MlpLoss.SoftmaxCrossEntropy => MlpDataSet.Classification(x, InputSize, labels),
            MlpLoss.MeanSquared => MlpDataSet.Regression(x, InputSize, [.. TargetTable(loss, outputs).Select(v => (double)v)], outputs),
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "unknown loss"),
        };
    }

    /// <summary>SHA-256 of the samples (the inputs' float bits, then the labels as 32-bit integers, little-endian), lowercase hex.</summary>
    public string Fingerprint() => fingerprint.Value;

    private string ComputeFingerprint()
    {
        var bytes = new byte[(inputs.Length + labels.Length) * 4L];
        Buffer.BlockCopy(inputs, 0, bytes, 0, inputs.Length * 4);
        Buffer.BlockCopy(labels, 0, bytes, inputs.Length * 4, labels.Length * 4);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Reads MNIST as <paramref name="source"/> says.</summary>
    /// <exception cref="MnistDataException">A file is missing, malformed, or holds fewer images than asked.</exception>
    public static NetworkData Load(MnistSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        MnistData mnist = MnistData.Load(source.ImagesPath, source.LabelsPath, source.Count);
        float[] x = source.Pool == 0 ? mnist.Features() : mnist.Features(source.Pool);
        int size = source.Pool == 0 ? mnist.PixelsPerImage : source.Pool * source.Pool;
        int[] y = [.. mnist.Labels.ToArray().Select(b => (int)b)];
        return new NetworkData(source, x, size, y, 10);
    }

    /// <summary>Draws the synthetic set <paramref name="source"/>.</summary>
    public static NetworkData Generate(GeneratedClassificationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(source.Samples, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Samples, MaxSamples);
        ArgumentOutOfRangeException.ThrowIfLessThan(source.Inputs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Inputs, MaxInputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(source.Classes, 2);
        int n = source.Samples, k = source.Inputs, c = source.Classes;
        var random = new MersenneTwister(source.Seed, threadSafe: false);
        var x = new float[(long)n * k];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        var teacher = new double[c * k];
        MathNet.Numerics.Distributions.Normal.Samples(random, teacher, 0.0, 1.0);
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double best = double.NegativeInfinity;
            for (int a = 0; a < c; a++)
            {
                double score = 0;
                for (int j = 0; j < k; j++)
                {
                    score += teacher[(a * k) + j] * (x[((long)i * k) + j] - 0.5);
                }

                if (score > best)
                {
                    best = score;
                    y[i] = a;
                }
            }
        }

        return new NetworkData(source, x, k, y, c);
    }
}
