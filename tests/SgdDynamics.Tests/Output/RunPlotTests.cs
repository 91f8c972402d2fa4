using System.Buffers.Binary;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Tests.Ensembles;

namespace SgdDynamics.Tests.Output;

/// <summary>run.png: one panel per shown mode (at most 4), or a mean and a variance panel without modes.</summary>
[Collection(EnsembleCollection.Name)]
public class RunPlotTests
{
    private static EnsembleResult Run(int d)
    {
        Problem problem = ProblemBuilder.Quadratic(
            ProblemBuilder.Diagonal(Enumerable.Range(0, d).Select(i => 0.5 + i * 0.25).ToArray()),
            ProblemBuilder.Diagonal(Enumerable.Repeat(1.0, d).ToArray()), 0.2, new double[d]);
        using var backend = new ManagedBackend();
        return EnsembleSolver.Solve(problem, new EnsembleAlgorithm(256, 40, seed: 2, record: new RecordSpec(4)), backend);
    }

    /// <summary>Width and height from the PNG's IHDR chunk.</summary>
    private static (int Width, int Height) Size(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    [Fact]
    public void ModePanelsAreCappedAtFour()
    {
        EnsembleResult six = Run(6);
        IReadOnlyList<ModeReport> modes = EnsembleObservations.Modes(six);
        Assert.Equal(6, modes.Count);
        (int width, int height) = Size(RunPlot.Render("six", six, modes));
        Assert.Equal(1000, width);
        Assert.Equal(4 * 330, height);

        EnsembleResult two = Run(2);
        Assert.Equal(2 * 330, Size(RunPlot.Render("two", two, EnsembleObservations.Modes(two))).Height);
    }

    [Fact]
    public void WithoutModesMeanAndVarianceAreDrawn()
    {
        (int width, int height) = Size(RunPlot.Render("coordinates", Run(6), []));
        Assert.Equal(1000, width);
        Assert.Equal(2 * 330, height);
    }
}
