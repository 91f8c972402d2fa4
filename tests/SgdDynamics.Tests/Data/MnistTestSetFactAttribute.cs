using SgdDynamics.Data;

namespace SgdDynamics.Tests.Data;

/// <summary>A fact that is skipped, with the reason, where the full MNIST test set is not in ../shared/data/mnist.</summary>
public sealed class MnistTestSetFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Absent = new(() =>
    {
        try
        {
            return MnistData.FullTestSetPaths(AppContext.BaseDirectory) is null
                ? $"no MNIST test set: {MnistData.TestImagesFile} and {MnistData.TestLabelsFile} are not both in ../shared/data/mnist beside the repository root"
                : null;
        }
        catch (MnistDataException e)
        {
            return $"no MNIST test set: {e.Message}";
        }
    });

    /// <summary>A fact, skipped where ../shared/data/mnist lacks the test set.</summary>
    public MnistTestSetFactAttribute()
    {
        if (Absent.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
