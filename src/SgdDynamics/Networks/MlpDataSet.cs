using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Networks;

/// <summary>
/// A fixed data set for a multilayer perceptron: n inputs (a dense row-major n × in array) with either integer class
/// labels (for <see cref="MlpLoss.SoftmaxCrossEntropy"/>) or real targets (a row-major n × out array, for
/// <see cref="MlpLoss.MeanSquared"/>). The arrays are copied.
/// </summary>
public sealed class MlpDataSet
{
    private readonly double[] _inputs;
    private readonly int[]? _labels;
    private readonly double[]? _targets;

    private MlpDataSet(double[] inputs, int inputSize, int[]? labels, double[]? targets, int targetSize)
    {
        _inputs = inputs;
        _labels = labels;
        _targets = targets;
        InputSize = inputSize;
        TargetSize = targetSize;
        Count = inputs.Length / inputSize;
    }

    /// <summary>Number of samples n.</summary>
    public int Count { get; }

    /// <summary>Number of inputs per sample.</summary>
    public int InputSize { get; }

    /// <summary>Number of target components per sample (0 for a classification set).</summary>
    public int TargetSize { get; }

    /// <summary>Whether the samples carry class labels (rather than real targets).</summary>
    public bool IsClassification => _labels is not null;

    /// <summary>The input of sample <paramref name="sample"/>.</summary>
    /// <param name="sample">Sample index, 0 ≤ sample &lt; <see cref="Count"/>.</param>
    public ReadOnlySpan<double> Input(int sample) => _inputs.AsSpan(sample * InputSize, InputSize);

    /// <summary>The class label of sample <paramref name="sample"/> (a classification set only).</summary>
    /// <param name="sample">Sample index.</param>
    public int Label(int sample) => (_labels ?? throw new InvalidOperationException("The data set has real targets, not labels."))[sample];

    /// <summary>The target of sample <paramref name="sample"/> (a regression set only).</summary>
    /// <param name="sample">Sample index.</param>
    public ReadOnlySpan<double> Target(int sample) =>
        (_targets ?? throw new InvalidOperationException("The data set has class labels, not real targets.")).AsSpan(sample * TargetSize, TargetSize);

    /// <summary>A classification set from row-major inputs (n × <paramref name="inputSize"/>) and labels (n, each ≥ 0).</summary>
    /// <param name="inputs">Row-major inputs, length n · inputSize.</param>
    /// <param name="inputSize">Inputs per sample.</param>
    /// <param name="labels">One class label per sample.</param>
    public static MlpDataSet Classification(ReadOnlySpan<double> inputs, int inputSize, ReadOnlySpan<int> labels)
    {
        CheckInputs(inputs, inputSize, labels.Length);
        foreach (int label in labels)
        {
            if (label < 0) throw new ArgumentOutOfRangeException(nameof(labels), label, "Class labels are non-negative.");
        }

        return new MlpDataSet(inputs.ToArray(), inputSize, labels.ToArray(), null, 0);
    }

    /// <summary>A classification set from an n × in input matrix and n labels.</summary>
    /// <param name="inputs">Inputs, one sample per row.</param>
    /// <param name="labels">One class label per sample.</param>
    public static MlpDataSet Classification(Matrix<double> inputs, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Classification(inputs.ToRowMajorArray(), inputs.ColumnCount, labels);
    }

    /// <summary>A regression set from row-major inputs (n × in) and row-major targets (n × out).</summary>
    /// <param name="inputs">Row-major inputs, length n · inputSize.</param>
    /// <param name="inputSize">Inputs per sample.</param>
    /// <param name="targets">Row-major targets, length n · targetSize.</param>
    /// <param name="targetSize">Target components per sample.</param>
    public static MlpDataSet Regression(ReadOnlySpan<double> inputs, int inputSize, ReadOnlySpan<double> targets, int targetSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetSize, 1);
        if (targets.Length % targetSize != 0) throw new ArgumentException("The targets are not a whole number of rows.", nameof(targets));
        CheckInputs(inputs, inputSize, targets.Length / targetSize);
        return new MlpDataSet(inputs.ToArray(), inputSize, null, targets.ToArray(), targetSize);
    }

    /// <summary>A regression set from an n × in input matrix and an n × out target matrix.</summary>
    /// <param name="inputs">Inputs, one sample per row.</param>
    /// <param name="targets">Targets, one sample per row.</param>
    public static MlpDataSet Regression(Matrix<double> inputs, Matrix<double> targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        return Regression(inputs.ToRowMajorArray(), inputs.ColumnCount, targets.ToRowMajorArray(), targets.ColumnCount);
    }

    private static void CheckInputs(ReadOnlySpan<double> inputs, int inputSize, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (count < 1) throw new ArgumentException("The data set is empty.");
        if ((long)count * inputSize != inputs.Length)
        {
            throw new ArgumentException($"{inputs.Length} inputs are not {count} samples of {inputSize}.", nameof(inputs));
        }

        foreach (double x in inputs)
        {
            if (!double.IsFinite(x)) throw new ArgumentException("An input is not finite.", nameof(inputs));
        }
    }
}
