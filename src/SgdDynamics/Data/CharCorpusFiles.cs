namespace SgdDynamics.Data;

/// <summary>
/// Where a character corpus is found. A path that is given is used as it is (a relative one against a base directory,
/// as scenario data files are). Without one, the built-in example uses Debian's word list
/// <see cref="SystemWordList"/> (package <c>wamerican</c>) when it is present, and otherwise the sample shipped with the
/// repository, <see cref="SampleRelativePath"/> under the repository root (the folder holding <c>Engine.sln</c>), looked
/// for above a start directory. The two differ (about 104,000 words against 2,555), so a result names the file it used.
/// </summary>
public static class CharCorpusFiles
{
    /// <summary>Debian's American English word list (package <c>wamerican</c>): <c>/usr/share/dict/american-english</c>.</summary>
    public const string SystemWordList = "/usr/share/dict/american-english";

    /// <summary>The shipped sample of that list, relative to the repository root: <c>data/words-sample/words.txt</c>.</summary>
    public const string SampleRelativePath = "data/words-sample/words.txt";

    /// <summary>The file that marks the repository root: <c>Engine.sln</c>.</summary>
    public const string RepositoryMarker = "Engine.sln";

    /// <summary>The corpus file to read: the full path of <paramref name="path"/> when one is given (a relative path resolves
    /// against <paramref name="baseDirectory"/>, by default the current directory; the file is not checked here, reading
    /// it is), else <see cref="Example(string?)"/>.</summary>
    /// <exception cref="CharCorpusException">No path is given and neither example file is found.</exception>
    public static string Resolve(string? path, string? baseDirectory = null) =>
        string.IsNullOrEmpty(path)
            ? Example()
            : Path.GetFullPath(path, baseDirectory ?? Environment.CurrentDirectory);

    /// <summary>The built-in example's corpus: <see cref="SystemWordList"/> when that file exists, else the shipped
    /// sample under the repository root found above <paramref name="startDirectory"/> (by default above the application's
    /// folder, then above the current directory).</summary>
    /// <exception cref="CharCorpusException">Neither file is found.</exception>
    public static string Example(string? startDirectory = null) => Example(startDirectory, SystemWordList);

    /// <summary>As <see cref="Example(string?)"/> with another system word list (for tests).</summary>
    internal static string Example(string? startDirectory, string systemWordList)
    {
        if (File.Exists(systemWordList))
        {
            return systemWordList;
        }

        string[] starts = startDirectory is not null ? [startDirectory] : [AppContext.BaseDirectory, Environment.CurrentDirectory];
        foreach (string start in starts)
        {
            string? root = FindRepositoryRoot(start);
            if (root is not null)
            {
                string sample = Path.Combine(root, SampleRelativePath);
                if (File.Exists(sample))
                {
                    return sample;
                }
            }
        }

        throw new CharCorpusException(
            $"no example corpus: {systemWordList} does not exist (Debian package wamerican) and no {SampleRelativePath} was found "
            + $"under a folder holding {RepositoryMarker} above {string.Join(" or ", starts)}");
    }

    /// <summary>The nearest folder at or above <paramref name="startDirectory"/> that holds <see cref="RepositoryMarker"/>,
    /// or null when there is none.</summary>
    public static string? FindRepositoryRoot(string startDirectory)
    {
        ArgumentNullException.ThrowIfNull(startDirectory);
        for (var directory = new DirectoryInfo(Path.GetFullPath(startDirectory)); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, RepositoryMarker)))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
