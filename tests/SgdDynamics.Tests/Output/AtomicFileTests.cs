using SgdDynamics.Output;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Output;

/// <summary><see cref="AtomicFile"/> and <see cref="RunFolder"/> in the library: atomic writes, the lock, the manifest.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Write_PutsTheWholeFileUnderItsName_AndLeavesNoTemporaryFile()
    {
        string path = dir["a.txt"];
        AtomicFile.WriteAllText(path, "first\n");
        AtomicFile.WriteAllText(path, "second, longer\n");

        Assert.Equal("second, longer\n", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Names());
    }

    [Fact]
    public void FailingWriter_LeavesNoFinalFile_NoTemporaryFile_AndEarlierFilesIntact()
    {
        AtomicFile.WriteAllText(dir["summary.json"], "{}\n");
        AtomicFile.WriteAllText(dir["timeseries.csv"], "old contents\n");

        // The stream fails after part of the file was written, as a full disk would.
        var e = Assert.Throws<OutputWriteException>(() => AtomicFile.Write(dir["density_5.csv"], stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("No space left on device");
        }));
        var again = Assert.Throws<OutputWriteException>(() => AtomicFile.WriteText(dir["timeseries.csv"], writer =>
        {
            writer.Write("new, half written");
            throw new IOException("No space left on device");
        }));

        Assert.Contains("density_5.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("timeseries.csv", again.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir["density_5.csv"]));
        Assert.Equal("old contents\n", File.ReadAllText(dir["timeseries.csv"]));
        Assert.Equal("{}\n", File.ReadAllText(dir["summary.json"]));
        Assert.Equal(["summary.json", "timeseries.csv"], Names());
    }

    [Fact]
    public void UnwritableFolder_IsOneLineError_NamingTheFile()
    {
        string blocked = Path.Combine(dir.Write("not-a-folder", "x"), "summary.json");

        var e = Assert.Throws<OutputWriteException>(() => AtomicFile.WriteAllText(blocked, "{}"));

        Assert.StartsWith($"cannot write {blocked}: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RunFolder_IsHeldByOneRun_AndItsManifestListsWhatWasWritten()
    {
        string folder = dir["run"];
        using (RunFolder run = RunFolder.Open(folder + Path.DirectorySeparatorChar, "test"))
        {
            var busy = Assert.Throws<RunFolderException>(() => RunFolder.Open(folder, "test"));
            Assert.Contains("in use by another run", busy.Message, StringComparison.Ordinal);
            Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(Path.Combine(folder, RunFolder.OwnerFile)), StringComparison.Ordinal);

            AtomicFile.WriteAllText(Path.Combine(folder, "summary.json"), "{\"a\": 1}\n");
            AtomicFile.WriteAllBytes(Path.Combine(folder, "density_3.png"), [1, 2, 3]);
            AtomicFile.WriteAllText(Path.Combine(folder, "summary.json"), "{\"a\": 2}\n");
            AtomicFile.WriteAllText(dir["elsewhere.txt"], "not in the run folder");
            run.WriteManifest("ok", complete: true);
            Assert.Equal(["summary.json", "density_3.png"], run.Files);
        }

        Assert.False(File.Exists(Path.Combine(folder, RunFolder.OwnerFile)));
        Assert.True(RunFolder.IsComplete(folder, ["summary.json", "density_3.png"], out string reason), reason);
        File.AppendAllText(Path.Combine(folder, "summary.json"), " ");
        Assert.False(RunFolder.IsComplete(folder, ["summary.json"], out reason));
        Assert.Contains("differs from the size or SHA-256", reason, StringComparison.Ordinal);
        Assert.False(RunFolder.IsComplete(folder, ["other.csv"], out reason));
        Assert.Contains("not listed", reason, StringComparison.Ordinal);

        // released: the folder can be taken again
        using RunFolder next = RunFolder.Open(folder, "test");
    }

    [Fact]
    public void ClearPrevious_RemovesTheEngineOutputsAndTheManifestListed_KeepsOtherFiles()
    {
        string folder = dir["run"];
        using (RunFolder run = RunFolder.Open(folder, "test"))
        {
            AtomicFile.WriteAllText(Path.Combine(folder, "custom-plot.png"), "listed by the manifest");
            run.WriteManifest("ok", complete: true);
        }

        foreach (string name in new[] { "summary.json", "timeseries.csv", "modes.csv", "scenario.json", "density_7.csv", "density_7.png", "density.png", "report.md", "run.png", ".summary.json.0123.sgdyn-tmp" })
        {
            File.WriteAllText(Path.Combine(folder, name), "previous");
        }

        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "density_final.csv"), "mine too");

        using (RunFolder run = RunFolder.Open(folder, "test"))
        {
            Assert.Equal(12, run.ClearPrevious());
        }

        string[] left = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.Equal([RunFolder.LockFile, "density_final.csv", "notes.txt"], left);
    }

    private string[] Names() => Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
}
