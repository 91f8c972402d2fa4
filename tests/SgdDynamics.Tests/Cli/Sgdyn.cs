using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgdDynamics.Backends;

namespace SgdDynamics.Tests.Cli;

/// <summary>What one <c>sgdyn</c> process did: exit code and everything it wrote.</summary>
internal sealed record CliResult(string Command, int ExitCode, string StdOut, string StdErr)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public string[] ErrLines => Lines(StdErr);

    /// <summary>The lines of stderr that are not progress reports ("label: NN% (x.y s)" or "label: NN% (x.y s, about R s left)").</summary>
    public string[] MessageLines => ErrLines.Where(l => !IsProgress(l)).ToArray();

    /// <summary>A description for assertion messages.</summary>
    public override string ToString() => $"`{Command}` exited {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";

    private static bool IsProgress(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, @": \d{1,3}% \(\d+(\.\d+)? s(, about \d+ s left)?\)$");

    private static string[] Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
}

/// <summary>Runs <c>dotnet sgdyn.dll …</c> (the CLI built beside the tests) as a subprocess.</summary>
internal static class Sgdyn
{
    /// <summary>Longest a single command may take before the test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<IReadOnlyList<string>> AvailableBackends = new(ComputeDevice.Available);

    /// <summary>The CLI assembly in the test output folder.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "sgdyn.dll");

    /// <summary>The backends this machine can run (as the CLI sees them).</summary>
    public static IReadOnlyList<string> Available => AvailableBackends.Value;

    /// <summary>A GPU backend this machine cannot run: cuda, else opencl; null when both are available.</summary>
    public static string? AbsentGpuBackend => new[] { "cuda", "opencl" }.FirstOrDefault(b => !Available.Contains(b));

    /// <summary>How <c>sgdyn <paramref name="args"/></c> is started in <paramref name="workingDirectory"/>: every stream redirected, UTF-8.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is missing: the test project should reference SgdDynamics.Cli");
        var info = new ProcessStartInfo(Host)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    /// <summary>Runs <c>sgdyn <paramref name="args"/></c> in <paramref name="workingDirectory"/> and waits for it.</summary>
    public static CliResult Run(string workingDirectory, params string[] args)
    {
        ProcessStartInfo info = StartInfo(workingDirectory, args);
        string command = "sgdyn " + string.Join(' ', args);

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + command);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }

            process.WaitForExit();
            Assert.Fail($"`{command}` did not finish within {Timeout.TotalSeconds} s\n--- stdout ---\n{Finished(stdout)}\n--- stderr ---\n{Finished(stderr)}");
        }

        process.WaitForExit(); // drains the redirected streams
        return new CliResult(command, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>The dotnet host that runs <see cref="Dll"/>.</summary>
    public static string Host => DotnetHost();

    /// <summary>The dotnet host: the one that runs the tests (DOTNET_HOST_PATH or this process), else dotnet on the PATH.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        return "dotnet";
    }

    private static string Finished(Task<string> text) => text.Wait(TimeSpan.FromSeconds(5)) ? text.Result : "(not readable)";
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sgdyn-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in the folder and returns its full path.</summary>
    public string Write(string name, string text)
    {
        string path = this[name];
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}

/// <summary>Scenarios used by the CLI tests (small, so that every process finishes in well under a second).</summary>
internal static class CliScenarios
{
    /// <summary>2-D: non-diagonal H, linear term, full Σ, curvature noise on x0; 2000 × 50, recorded every 10.</summary>
    public const string Example2D = """
        {
          "name": "example2d",
          "description": "small 2-D example for the CLI tests",
          "landscape": {
            "type": "quadratic",
            "hessian": [[2, 0.5], [0.5, 1]],
            "linearTerm": [0.1, 0],
            "gradientNoiseCovariance": [[1, 0.3], [0.3, 0.5]],
            "curvatureNoiseStd": [0.3, 0]
          },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1, -1] },
          "ensemble": { "trajectories": 2000, "steps": 50, "seed": 7 },
          "record": { "every": 10 }
        }
        """;

    /// <summary>The 2-D example with 300 trajectories × 20 steps (for the slow ilgpu-cpu backend).</summary>
    public static string Tiny2D => With(Example2D, "ensemble", """{ "trajectories": 300, "steps": 20, "seed": 11 }""");

    /// <summary>1-D, H = 1, η = 2.5: |1 − ηλ| = 1.5, every trajectory blows up (first past 1e12 around step 70).</summary>
    public const string BlowUp1D = """
        {
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 2.5 },
          "initial": { "point": [1] },
          "ensemble": { "trajectories": 500, "steps": 100, "seed": 1 },
          "record": { "every": 10 }
        }
        """;

    /// <summary>1-D random walk (H = 0, σ² = 1, η = 1) with |x| ≤ 12: the walks that wander past 12 diverge, the rest do not.</summary>
    public const string PartlyDiverging1D = """
        {
          "landscape": { "type": "quadratic", "hessian": [[0]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 1 },
          "initial": { "point": [0] },
          "ensemble": { "trajectories": 2000, "steps": 50, "seed": 3, "divergenceThreshold": 12 },
          "record": { "every": 10 }
        }
        """;

    /// <summary>1-D, H = 1, Σ = 1, η = 0.5, x₀ = 2; 45 steps recorded every 10 (0, 10, 20, 30, 40, 45).</summary>
    public const string Confined1D = """
        {
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [2] },
          "ensemble": { "trajectories": 10, "steps": 45, "seed": 3 },
          "record": { "every": 10 }
        }
        """;

    /// <summary>2-D, H = diag(1, 0), Σ = I, η = 0.5: x1 is a flat, noisy direction.</summary>
    public const string Flat2D = """
        {
          "landscape": { "type": "quadratic", "hessian": [[1, 0], [0, 0]], "gradientNoiseCovariance": [[1, 0], [0, 1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [0, 0] },
          "ensemble": { "trajectories": 10, "steps": 60, "seed": 3 },
          "record": { "every": 20 }
        }
        """;

    /// <summary>
    /// <paramref name="json"/> with the field at a dotted path set to <paramref name="valueJson"/>
    /// (removed when null).
    /// </summary>
    public static string With(string json, string dottedPath, string? valueJson)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        string[] parts = dottedPath.Split('.');
        JsonObject parent = root;
        foreach (string part in parts[..^1])
        {
            parent = parent[part]!.AsObject();
        }

        if (valueJson is null)
        {
            Assert.True(parent.Remove(parts[^1]), $"no field {dottedPath}");
        }
        else
        {
            parent[parts[^1]] = JsonNode.Parse(valueJson);
        }

        return root.ToJsonString();
    }
}

/// <summary>Reading the JSON and CSV outputs.</summary>
internal static class Outputs
{
    public static JsonObject ReadJson(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        return ParseObject(File.ReadAllText(path), path);
    }

    public static JsonObject ParseObject(string text, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            Assert.Fail($"{what} is not valid JSON ({e.Message}):\n{text}");
            throw;
        }

        return Assert.IsType<JsonObject>(node);
    }

    /// <summary>A JSON array of numbers (null entries become NaN).</summary>
    public static double[] Vector(JsonNode? node) =>
        Assert.IsType<JsonArray>(node).Select(v => v is null ? double.NaN : v.GetValue<double>()).ToArray();

    /// <summary>A JSON array of rows.</summary>
    public static double[][] Matrix(JsonNode? node) =>
        Assert.IsType<JsonArray>(node).Select(Vector).ToArray();

    /// <summary>A CSV file: header and rows of fields.</summary>
    public static (string[] Header, string[][] Rows) ReadCsv(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        string[] lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        Assert.NotEmpty(lines);
        return (lines[0].Split(','), lines[1..].Select(l => l.Split(',')).ToArray());
    }

    public static double Number(string field) => double.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Asserts |actual − expected| ≤ tolerance · max(1, |expected|).</summary>
    public static void Close(double expected, double actual, double tolerance, string what)
    {
        Assert.True(
            Math.Abs(actual - expected) <= tolerance * Math.Max(1.0, Math.Abs(expected)),
            $"{what}: expected {expected:R}, got {actual:R}");
    }
}
