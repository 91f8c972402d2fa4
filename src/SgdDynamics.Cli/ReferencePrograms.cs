using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SgdDynamics.Cli;

/// <summary>One line of a reference program: its workload, size, time and final moments.</summary>
/// <param name="Workload">W1 or W2.</param>
/// <param name="Trajectories">N.</param>
/// <param name="Steps">K.</param>
/// <param name="Threads">Threads the program ran on.</param>
/// <param name="Seconds">Setting the state and the K steps.</param>
/// <param name="StepsPerSecond">N·K / seconds.</param>
/// <param name="Means">W1: the mean of x_K; W2: the means of coordinates 0 and 15.</param>
/// <param name="Variances">The variances (1/N normalisation) of the same coordinates.</param>
internal sealed record ReferenceResult(
    string Workload, long Trajectories, int Steps, int Threads, double Seconds, double StepsPerSecond, double[] Means, double[] Variances);

/// <summary>A reference program ready to run: the command line before its arguments, and what it is.</summary>
/// <param name="Name">Short name for the table.</param>
/// <param name="Command">Executable and leading arguments (the interpreter and the script for NumPy).</param>
/// <param name="Description">Compiler and flags, or interpreter and NumPy version.</param>
internal sealed record ReferenceProgram(string Name, string[] Command, string Description);

/// <summary>
/// The project's own reference programs of the workloads W1 and W2 (benchmarks/reference: <c>w_ref.cpp</c>, C++ with
/// OpenMP, auto-vectorised; <c>w_numpy.py</c>, NumPy), embedded in the command-line tool. The C++ program is compiled
/// on demand with the first of $CXX, g++ and clang++ into a cache folder keyed by the source, the compiler and the
/// flags (so an edited source or another compiler builds afresh), and self-checked once after the build.
/// </summary>
internal static partial class ReferencePrograms
{
    /// <summary>The compiler flags of the C++ reference (-ffp-contract=off: only the source's fmaf calls fuse).</summary>
    public static readonly string[] CompilerFlags = ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-fopenmp", "-std=c++20"];

    /// <summary>NumPy runs W1 and W2 with these many steps (its time per step does not depend on K).</summary>
    public const int NumPySteps = 20;

    private const string CppFile = "w_ref.cpp";
    private const string NumPyFile = "w_numpy.py";

    /// <summary>NumPy's ensemble sizes, reduced from the workloads' (2²⁰ and 2¹⁶: arrays well beyond the caches all the same).</summary>
    public static long NumPyTrajectories(string workload) => workload switch
    {
        "W1" => 1L << 20,
        "W2" => 1L << 16,
        _ => throw new ArgumentException($"unknown workload {workload}", nameof(workload)),
    };

    /// <summary>The text of an embedded reference source (w_ref.cpp or w_numpy.py).</summary>
    public static string Source(string file)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("reference/" + file)
            ?? throw new InvalidOperationException($"the reference source {file} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The folder that holds the built references: $XDG_CACHE_HOME/sgdyn/reference, else ~/.cache/sgdyn/reference.</summary>
    public static string CacheRoot()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.GetTempPath();
        return Path.Combine(root, "sgdyn", "reference");
    }

    /// <summary>The C++ compiler to use: $CXX when set, else g++ or clang++ on PATH; null with the reason when none is found.</summary>
    public static string? FindCompiler(out string reason)
    {
        string? cxx = Environment.GetEnvironmentVariable("CXX");
        if (!string.IsNullOrWhiteSpace(cxx))
        {
            string? path = FindExecutable(cxx.Trim());
            reason = path is null ? $"$CXX is '{cxx}', which is not an executable file or on PATH" : "";
            return path;
        }

        foreach (string name in new[] { "g++", "clang++" })
        {
            if (FindExecutable(name) is { } path)
            {
                reason = "";
                return path;
            }
        }

        reason = "no C++ compiler: neither g++ nor clang++ is on PATH (or set $CXX)";
        return null;
    }

    /// <summary>
    /// The C++ reference, built (and self-checked) into the cache folder when it is not there yet; null with the reason
    /// when there is no compiler, the build fails or the self-check fails. <paramref name="log"/> hears about a build.
    /// </summary>
    public static ReferenceProgram? PrepareCpp(out string reason, TextWriter? log = null, string? cacheRoot = null)
    {
        try
        {
            return PrepareCppIn(cacheRoot ?? CacheRoot(), log, out reason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot write the C++ reference into {cacheRoot ?? CacheRoot()}: {e.Message}";
            return null;
        }
    }

    private static ReferenceProgram? PrepareCppIn(string cacheRoot, TextWriter? log, out string reason)
    {
        string? compiler = FindCompiler(out reason);
        if (compiler is null)
        {
            return null;
        }

        string version = FirstLine(RunProcess(compiler, ["--version"], TimeSpan.FromSeconds(30)).Output);
        string source = Source(CppFile);
        string key = Hash(source + "\n" + compiler + "\n" + version + "\n" + string.Join(' ', CompilerFlags));
        string folder = Path.Combine(cacheRoot, key);
        string binary = Path.Combine(folder, OperatingSystem.IsWindows() ? "w_ref.exe" : "w_ref");
        string description = $"{(version.Length > 0 ? version : Path.GetFileName(compiler))}, {string.Join(' ', CompilerFlags)}";
        if (File.Exists(binary))
        {
            return new ReferenceProgram("C++ reference", [binary], description);
        }

        Directory.CreateDirectory(folder);
        string sourcePath = Path.Combine(folder, CppFile);
        File.WriteAllText(sourcePath, source);
        string building = Path.Combine(folder, $"w_ref.{Environment.ProcessId}.tmp");
        log?.WriteLine($"building the C++ reference: {Path.GetFileName(compiler)} {string.Join(' ', CompilerFlags)} {CppFile} (into {folder})");
        ProcessOutput build = RunProcess(compiler, [.. CompilerFlags, sourcePath, "-o", building], TimeSpan.FromMinutes(5));
        if (build.ExitCode != 0 || !File.Exists(building))
        {
            TryDelete(building);
            reason = $"the C++ reference did not build with {Path.GetFileName(compiler)} (exit {build.ExitCode}): {Abbreviate(build.Output)}";
            return null;
        }

        // the self-check (Philox known answers, exact moment recursions) on a small ensemble, once per build
        ProcessOutput check = RunProcess(building, ["check", "16384", "200"], TimeSpan.FromMinutes(2));
        if (check.ExitCode != 0)
        {
            TryDelete(building);
            reason = $"the C++ reference built with {Path.GetFileName(compiler)} failed its self-check (exit {check.ExitCode}): {Abbreviate(check.Output)}";
            return null;
        }

        try
        {
            File.Move(building, binary, overwrite: true);
        }
        catch (IOException) when (File.Exists(binary))
        {
            TryDelete(building); // another process built the same binary meanwhile
        }

        return new ReferenceProgram("C++ reference", [binary], description);
    }

    /// <summary>
    /// The NumPy reference: the first of python3 on PATH and /usr/bin/python3 that imports NumPy, with the script
    /// written to the cache folder; null with the reason when none does.
    /// </summary>
    public static ReferenceProgram? PrepareNumPy(out string reason, string? cacheRoot = null)
    {
        try
        {
            return PrepareNumPyIn(cacheRoot ?? CacheRoot(), out reason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot write the NumPy script into {cacheRoot ?? CacheRoot()}: {e.Message}";
            return null;
        }
    }

    private static ReferenceProgram? PrepareNumPyIn(string cacheRoot, out string reason)
    {
        var tried = new List<string>();
        var candidates = new[] { FindExecutable("python3"), "/usr/bin/python3" }
            .Where(p => p is not null && File.Exists(p))
            .Select(p => p!)
            .Distinct()
            .ToList();
        foreach (string python in candidates)
        {
            ProcessOutput probe = RunProcess(python, ["-c", "import sys, numpy; print(numpy.__version__, sys.version.split()[0])"], TimeSpan.FromSeconds(60));
            if (probe.ExitCode != 0)
            {
                tried.Add($"{python}: {LastLine(probe.Output)}");
                continue;
            }

            string[] versions = FirstLine(probe.Output).Split(' ');
            string source = Source(NumPyFile);
            string folder = Path.Combine(cacheRoot, Hash(source));
            string script = Path.Combine(folder, NumPyFile);
            if (!File.Exists(script) || File.ReadAllText(script) != source)
            {
                Directory.CreateDirectory(folder);
                string temporary = $"{script}.{Environment.ProcessId}.tmp";
                File.WriteAllText(temporary, source);
                File.Move(temporary, script, overwrite: true);
            }

            reason = "";
            return new ReferenceProgram("NumPy", [python, script], $"NumPy {versions[0]}, Python {versions.ElementAtOrDefault(1)} ({python})");
        }

        reason = candidates.Count == 0
            ? "no python3 on PATH or at /usr/bin/python3"
            : $"no python3 with NumPy ({string.Join("; ", tried)}); e.g. apt-get install python3-numpy";
        return null;
    }

    /// <summary>Runs <paramref name="program"/> on a workload and reads its line; an IOException when it fails.</summary>
    public static ReferenceResult Run(ReferenceProgram program, string workload, long trajectories, int steps, int threads, uint seed)
    {
        var args = new List<string>(program.Command.Skip(1))
        {
            workload,
            trajectories.ToString(CultureInfo.InvariantCulture),
            steps.ToString(CultureInfo.InvariantCulture),
            "--seed",
            seed.ToString(CultureInfo.InvariantCulture),
        };
        if (threads > 0 && program.Name != "NumPy")
        {
            args.AddRange(["--threads", threads.ToString(CultureInfo.InvariantCulture)]);
        }

        ProcessOutput output = RunProcess(program.Command[0], args, TimeSpan.FromMinutes(10));
        if (output.ExitCode != 0)
        {
            throw new IOException($"{program.Name} failed on {workload} (exit {output.ExitCode}): {Abbreviate(output.Output)}");
        }

        return Parse(output.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(workload + " ", StringComparison.Ordinal))
            ?? throw new IOException($"{program.Name} printed no {workload} line: {Abbreviate(output.Output)}"));
    }

    /// <summary>Reads a result line <c>W1 N=.. K=.. seed=.. threads=.. mean=.. var=.. time_s=.. steps_per_s=..</c> (W2: mean0, var0, mean15, var15).</summary>
    public static ReferenceResult Parse(string line)
    {
        var fields = Field().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        string workload = line.Split(' ', 2)[0];
        double Number(string key) => fields.TryGetValue(key, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new IOException($"reference line without a number {key}=: {line}");
        string[] coordinates = workload switch
        {
            "W1" => [""],
            "W2" => ["0", "15"],
            _ => throw new IOException($"reference line of an unknown workload: {line}"),
        };
        return new ReferenceResult(
            workload,
            (long)Number("N"),
            (int)Number("K"),
            (int)Number("threads"),
            Number("time_s"),
            Number("steps_per_s"),
            [.. coordinates.Select(c => Number("mean" + c))],
            [.. coordinates.Select(c => Number("var" + c))]);
    }

    /// <summary>An executable's full path: the name itself when it holds a directory, else the first match on PATH.</summary>
    public static string? FindExecutable(string name)
    {
        if (name.Contains(Path.DirectorySeparatorChar) || name.Contains(Path.AltDirectorySeparatorChar))
        {
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string candidate in OperatingSystem.IsWindows() ? new[] { name + ".exe", name } : new[] { name })
            {
                string path = Path.Combine(dir, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    private sealed record ProcessOutput(int ExitCode, string Output);

    /// <summary>Runs a program to its end (standard output and error together); exit code −1 when it cannot start or runs past <paramref name="timeout"/>.</summary>
    private static ProcessOutput RunProcess(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new Win32Exception($"could not start {file}");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new ProcessOutput(-1, $"{Path.GetFileName(file)} ran past {timeout.TotalSeconds:F0} s and was stopped");
            }

            return new ProcessOutput(process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (Win32Exception e)
        {
            return new ProcessOutput(-1, $"could not start {file}: {e.Message}");
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string FirstLine(string text) => text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    private static string LastLine(string text) => text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";

    private static string Abbreviate(string text)
    {
        string flat = string.Join(" | ", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(6));
        return flat.Length > 600 ? flat[..600] + " …" : flat;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"\b([A-Za-z_][A-Za-z0-9_]*)=(\S+)")]
    private static partial Regex Field();
}
