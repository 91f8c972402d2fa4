using SgdDynamics.Output;

namespace SgdDynamics.Cli;

/// <summary>
/// Runs a command that writes an output folder: takes the folder's lock before any computation (a folder that cannot be
/// created or written, or that another run holds, is refused at once), checks the free disk space for the estimated
/// outputs, deletes the previous run's outputs, runs the body, and writes <c>manifest.json</c> last — with
/// <c>complete: true</c> when the body returned, with status <c>interrupted</c> and <c>complete: false</c> when a signal
/// stopped it (<see cref="RunInterruptedException"/>), or with what was written and the error when it threw.
/// </summary>
internal static class OutputFolder
{
    /// <remarks>
    /// <paramref name="checkpointed"/> marks a run that writes a checkpoint (<see cref="RunCheckpoint"/>): a fresh one deletes an
    /// earlier run's checkpoint; one that returns deletes its own (an interrupted or failed run keeps it, to resume from).
    /// <paramref name="resume"/> (after the lock is taken) reads and checks what a resumed run continues from and returns the
    /// files of the earlier part that stay (they are kept, not cleared, and listed in the manifest).
    /// </remarks>
    public static int Run(string directory, string command, ResourceEstimate? estimate, Func<int> body, bool checkpointed = false, Func<RunFolder, IReadOnlyCollection<string>>? resume = null)
    {
        using RunFolder folder = Open(directory, command, resume is null ? "--out" : "--resume");
        IReadOnlyCollection<string> keep = resume?.Invoke(folder) ?? [];
        long reclaimed = folder.PreviousOutputs().Where(n => !keep.Contains(n)).Sum(n => new FileInfo(Path.Combine(folder.Directory, n)).Length);
        estimate?.CheckDisk(folder.Directory, reclaimed);
        folder.ClearPrevious(keep);
        if (checkpointed && resume is null)
        {
            RunCheckpoint.Delete(folder.Directory);
        }

        int code;
        try
        {
            code = body();
        }
        catch (RunInterruptedException e)
        {
            folder.WriteManifest("interrupted", complete: false, e.Message.ReplaceLineEndings(" "));
            throw;
        }
        catch (Exception e)
        {
            try
            {
                folder.WriteManifest("failed", complete: false, e.Message.ReplaceLineEndings(" "));
            }
            catch (IOException)
            {
                // The disk that failed the run may refuse the manifest too; the error that ended the run is reported.
            }

            throw;
        }

        if (checkpointed)
        {
            RunCheckpoint.Delete(folder.Directory);
        }

        folder.WriteManifest(Status(code), complete: true);
        return code;
    }

    /// <summary>Takes the folder (see <see cref="RunFolder.Open"/>); refusals are bad input naming <paramref name="option"/> (<c>--out</c>, or <c>--resume</c>).</summary>
    public static RunFolder Open(string directory, string command, string option = "--out")
    {
        try
        {
            return RunFolder.Open(directory, command);
        }
        catch (RunFolderException e)
        {
            string advice = !e.InUse ? "" : option == "--out" ? "; wait for it to finish or choose another --out" : "; wait for it to finish, then resume";
            throw new CliInputException($"{option} {e.Message}{advice}");
        }
    }

    private static string Status(int code) => code switch
    {
        ExitCodes.Ok => "ok",
        ExitCodes.Diverged => "diverged",
        ExitCodes.ValidationFailed => "validationFailed",
        _ => "failed",
    };
}
