using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Output;

/// <summary>The system's Python with NumPy (<c>/usr/bin/python3</c>), to check that NumPy itself reads what the engine writes.</summary>
internal static class NumPy
{
    /// <summary>The interpreter.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Why NumPy cannot be used here, or null when it can.</summary>
    public static readonly Lazy<string?> Absent = new(() =>
    {
        if (!File.Exists(Python))
        {
            return $"no {Python} on this machine, so NumPy cannot read the files back (install python3-numpy)";
        }

        try
        {
            (int code, _, string error) = Run("import numpy");
            return code == 0 ? null : $"{Python} cannot import numpy ({error.Trim()}); install python3-numpy";
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"{Python} does not run ({e.Message})";
        }
    });

    /// <summary>
    /// Loads <paramref name="path"/> with <c>numpy.load</c> and returns, per array (for a .npy: the key <c>""</c>), its
    /// dtype string, shape and values (flattened, C order) as JSON: integers as they are, floats as the integers of
    /// their bits (float64 as uint64, float32 as uint32), so that NaN, infinities and −0 compare exactly.
    /// </summary>
    public static JsonObject Load(string path)
    {
        const string Script = """
            import json, sys, numpy as np
            loaded = np.load(sys.argv[1], allow_pickle=False)
            items = loaded.items() if hasattr(loaded, "files") else [("", loaded)]
            out = {}
            for name, a in items:
                out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": [int(v) for v in (a.view("<u%d" % a.itemsize) if a.dtype.kind == "f" else a).ravel(order="C")]}
            print(json.dumps(out))
            """;
        (int code, string output, string error) = Run(Script, path);
        Assert.True(code == 0, $"numpy.load({path}) failed: {error}");
        return JsonNode.Parse(output)!.AsObject();
    }

    private static (int Code, string Output, string Error) Run(string script, params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{Python} did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Python} did not finish within 60 s");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, where <c>/usr/bin/python3</c> with NumPy is not available.</summary>
public sealed class NumPyFactAttribute : FactAttribute
{
    /// <summary>A fact, skipped without NumPy.</summary>
    public NumPyFactAttribute()
    {
        if (NumPy.Absent.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
