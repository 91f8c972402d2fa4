using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Scenarios at the edges of the valid input: zero spread, overflow, breakdowns, hangs and bad input.</summary>
internal static class RobustnessScenarios
{
    /// <summary>Noise-free gradient descent: every trajectory is the same, the spread is exactly zero.</summary>
    public const string NoiseFreeDescent = """
        {"landscape":{"hessian":[[1]]},"optimizer":{"type":"sgd","learningRate":0.1},"initial":{"point":[1]},
         "ensemble":{"trajectories":2,"steps":800,"seed":1},"record":{"every":100}}
        """;

    /// <summary><see cref="NoiseFreeDescent"/> keeping the final states for tail estimates.</summary>
    public static string NoiseFreeDescentWithTails => CliScenarios.With(NoiseFreeDescent, "record", """{"every": 100, "tails": true}""");

    /// <summary>η = 1e308: the state and the record times t = kη overflow.</summary>
    public const string HugeLearningRate = """
        {"landscape":{"hessian":[[1]],"gradientNoiseCovariance":[[1]]},"optimizer":{"type":"sgd","learningRate":1e308},
         "initial":{"point":[1]},"ensemble":{"trajectories":20,"steps":10,"seed":1},"record":{"every":2}}
        """;

    /// <summary>A Hessian entry of −1e308: the states overflow and (H + Hᵀ)/2 would too.</summary>
    public const string HugeNegativeHessian = """
        {"landscape":{"hessian":[[-1e308]]},"optimizer":{"type":"sgd","learningRate":0.1},
         "initial":{"point":[1]},"ensemble":{"trajectories":20,"steps":10,"seed":1},"record":{"every":2}}
        """;

    /// <summary>A double well at η = 1e30 with tail estimates: every final state is non-finite.</summary>
    public const string DoubleWellOverflowWithTails = """
        {"landscape":{"type":"doubleWell","noiseStd":0.5},"optimizer":{"type":"sgd","learningRate":1e30},
         "initial":{"point":[0.5]},"ensemble":{"trajectories":20,"steps":10,"seed":1},"record":{"every":2,"tails":true}}
        """;

    /// <summary>A 2-D Langevin Fokker–Planck problem so stiff (H = 1e15 I, Σ = 1e-15 I) that backward Euler's BiCGStab breaks down at once.</summary>
    public const string StiffFokkerPlanck = """
        {"landscape":{"hessian":[[1e15,0],[0,1e15]],"gradientNoiseCovariance":[[1e-15,0],[0,1e-15]]},
         "optimizer":{"type":"sgd","learningRate":1},"initial":{"point":[0.5,0.5]},"ensemble":{"steps":3},
         "solver":{"type":"fokkerPlanck","variant":"langevin","scheme":"backwardEuler","substeps":1,
                   "grid":{"lower":[-4,-4],"upper":[4,4],"cells":[128,128]}}}
        """;

    /// <summary>A 1-D discrete Fokker–Planck problem at η = 1e300: finite face rates whose backward-Euler steps overflow the density.</summary>
    public const string OverflowingFokkerPlanck = """
        {"landscape":{"type":"doubleWell","noiseStd":0.5},"optimizer":{"type":"sgd","learningRate":1e300},
         "initial":{"point":[0.5]},"ensemble":{"steps":4},
         "solver":{"type":"fokkerPlanck","variant":"discrete","scheme":"backwardEuler","grid":{"lower":[-2],"upper":[2],"cells":[64]}}}
        """;

    /// <summary>A 1-D master equation on a double well (σ = 0.5) with the learning rate, solver fields and grid given.</summary>
    public static string MasterEquation(string learningRate, string extraSolverFields, string lower, string upper, int cells, string point = "0.5") =>
        "{\"landscape\":{\"type\":\"doubleWell\",\"noiseStd\":0.5},\"optimizer\":{\"type\":\"sgd\",\"learningRate\":" + learningRate + "}," +
        "\"initial\":{\"point\":[" + point + "]},\"ensemble\":{\"steps\":5}," +
        "\"solver\":{\"type\":\"masterEquation\"" + extraSolverFields + ",\"grid\":{\"lower\":[" + lower + "],\"upper\":[" + upper + "],\"cells\":[" +
        cells.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]}}}";

    /// <summary>A 2-D quadratic ensemble with the given gradient-noise covariance (JSON).</summary>
    public static string WithNoiseCovariance(string sigma) =>
        CliScenarios.With(CliScenarios.Tiny2D, "landscape.gradientNoiseCovariance", sigma);
}
