using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using SgdDynamics.Backends;
using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Kernels;

/// <summary>
/// Every kernel the ILGPU backend launches compiles, without a GPU: the device specialisations
/// (<see cref="DeviceFloatLane"/>) to PTX with ILGPU's <see cref="PTXBackend"/>, and the CPU-accelerator
/// specialisations (<see cref="FloatLane"/>) by loading them on ILGPU's CPU accelerator.
/// </summary>
public class PtxCompilationTests
{
    public static TheoryData<string, string> Targets => new()
    {
        { nameof(CudaArchitecture.SM_70), nameof(CudaInstructionSet.ISA_70) },
        { nameof(CudaArchitecture.SM_80), nameof(CudaInstructionSet.ISA_70) },
        { nameof(CudaArchitecture.SM_90), nameof(CudaInstructionSet.ISA_80) },
        { nameof(CudaArchitecture.SM_90), nameof(CudaInstructionSet.ISA_88) },
        { nameof(CudaArchitecture.SM_120), nameof(CudaInstructionSet.ISA_88) },
    };

    /// <summary>
    /// The PTX of one test kernel (a generic method instantiated on <see cref="DeviceFloatLane"/>) for a target of
    /// <see cref="Targets"/>, checked to have an entry point, no unresolved external function and no call, and to divide in
    /// IEEE arithmetic (<c>div.rn</c>) where it divides at all.
    /// </summary>
    internal static string CompileWithoutCalls(MethodInfo method, string architecture, string instructionSet)
    {
        var arch = (CudaArchitecture)typeof(CudaArchitecture).GetField(architecture)!.GetValue(null)!;
        var isa = (CudaInstructionSet)typeof(CudaInstructionSet).GetField(instructionSet)!.GetValue(null)!;
        using var context = Context.Create(b => b.Cuda().Math(MathMode.Default));
        using var backend = new PTXBackend(context, arch, isa, null!);
        var kernel = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), new KernelSpecialization());
        string ptx = kernel.PTXAssembly;
        Assert.Matches(@"\.entry\s+\S+", ptx);
        Match external = Regex.Match(ptx, @"\.extern\s+\.func[^\r\n]*");
        Assert.False(external.Success, $"unresolved external function in the PTX: {external.Value}");
        Assert.DoesNotMatch(@"\bcall(\.uni)?\s", ptx);
        Assert.DoesNotMatch(@"div\.(approx|full)", ptx);
        return ptx;
    }

    /// <summary>The distinct kernel structs the registered update rules bind.</summary>
    private static int RuleStructs => ModelRegistry.Dynamics.Select(r => r.Bind(r.Example, new StructType())).Distinct().Count();

    /// <summary>Advance kernels: per landscape, the distinct update-rule structs that run on it (network landscapes refuse the SDE models).</summary>
    private static int AdvanceKernels => ModelRegistry.Landscapes.Sum(l =>
        ModelRegistry.Dynamics.Where(r => ModelRegistry.Runs(l, r)).Select(r => r.Bind(r.Example, new StructType())).Distinct().Count());

    private sealed class StructType : IDynamicsVisitor<Type>
    {
        public Type Visit<TD>(in TD dynamics) where TD : struct, SgdDynamics.Kernels.Dynamics.IDynamics => typeof(TD);
    }

    [Fact]
    public void KernelMethodsListsEverySpecialisation()
    {
        // derived from the registry: the two reductions, then start (one per update-rule kernel struct) and advance (one
        // per landscape and update-rule kernel struct that runs on it; the SDE models share ModifiedEquation)
        IReadOnlyList<MethodInfo> methods = IlgpuBackend.KernelMethods<DeviceFloatLane>();
        int rules = RuleStructs, advanceKernels = AdvanceKernels;
        Assert.Equal(2 + rules + advanceKernels, methods.Count);
        Assert.Equal(methods.Count, methods.Distinct().Count());
        Assert.All(methods, m => Assert.False(m.ContainsGenericParameters, $"{m.Name} is not fully specialised"));
        Assert.All(methods, m => Assert.True(m.IsStatic));
        var advance = methods.Where(m => m.Name == nameof(SgdDynamics.Kernels.EnsembleKernels.Advance)).ToList();
        Assert.Equal(advanceKernels, advance.Count);
        Assert.Contains(advance, m => m.GetGenericArguments().SequenceEqual([typeof(DeviceFloatLane), typeof(QuadraticLandscape<DeviceParameters>), typeof(Sgd)]));
        Assert.Contains(advance, m => m.GetGenericArguments().SequenceEqual([typeof(DeviceFloatLane), typeof(DoubleWellLandscape), typeof(HeavyBall)]));
        Assert.Contains(advance, m => m.GetGenericArguments().SequenceEqual([typeof(DeviceFloatLane), typeof(RingValleyLandscape), typeof(Sgd)]));
        Assert.True(IlgpuBackend.UsesFusedLane(AcceleratorType.CPU));
        Assert.False(IlgpuBackend.UsesFusedLane(AcceleratorType.Cuda));
        Assert.False(IlgpuBackend.UsesFusedLane(AcceleratorType.OpenCL));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void DeviceKernelsCompileToLinkablePtx(string architecture, string instructionSet)
    {
        // CudaArchitecture and CudaInstructionSet are structs with one static field per value
        var arch = (CudaArchitecture)typeof(CudaArchitecture).GetField(architecture)!.GetValue(null)!;
        var isa = (CudaInstructionSet)typeof(CudaInstructionSet).GetField(instructionSet)!.GetValue(null)!;

        // the same context settings as IlgpuBackend.Open("cuda")
        using var context = Context.Create(b => b.Cuda().Math(MathMode.Default));
        using var backend = new PTXBackend(context, arch, isa, null!);
        foreach (MethodInfo method in IlgpuBackend.KernelMethods<DeviceFloatLane>())
        {
            var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
            var kernel = (PTXCompiledKernel)backend.Compile(entry, new KernelSpecialization());
            string ptx = kernel.PTXAssembly;
            string where = $"{method.Name} for {architecture}/{instructionSet}";

            string header = string.Join(" | ", ptx.Split('\n').Where(l => l.TrimStart().StartsWith('.')).Take(3));
            // .version is the requested ISA; .target is the requested architecture or an older one (ILGPU 1.5.3
            // emits sm_80 code for SM_90 and SM_120), which the driver JIT-compiles for the newer device
            string version = instructionSet["ISA_".Length..].Insert(instructionSet.Length - "ISA_".Length - 1, ".");
            Assert.True(Regex.IsMatch(ptx, $@"^\s*\.version\s+{Regex.Escape(version)}\s*$", RegexOptions.Multiline), $"{where}: not .version {version}: {header}");
            Match target = Regex.Match(ptx, @"^\s*\.target\s+sm_(\d+)\b", RegexOptions.Multiline);
            Assert.True(target.Success, $"{where}: no .target line: {header}");
            Assert.InRange(int.Parse(target.Groups[1].Value), 70, int.Parse(architecture["SM_".Length..]));
            Assert.True(Regex.IsMatch(ptx, @"\.entry\s+\S+"), $"{where}: no .entry in the PTX");

            // an unresolved external call (e.g. MathF.FusedMultiplyAdd lowered to a libdevice function) is
            // accepted by the compiler but rejected by the CUDA driver when it links the module
            Match external = Regex.Match(ptx, @"\.extern\s+\.func[^\r\n]*");
            Assert.False(external.Success, $"{where}: unresolved external function in the PTX: {external.Value}");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void GridKernelsCompileToLinkablePtx(string architecture, string instructionSet)
    {
        var arch = (CudaArchitecture)typeof(CudaArchitecture).GetField(architecture)!.GetValue(null)!;
        var isa = (CudaInstructionSet)typeof(CudaInstructionSet).GetField(instructionSet)!.GetValue(null)!;
        using var context = Context.Create(b => b.Cuda().Math(MathMode.Default));
        using var backend = new PTXBackend(context, arch, isa, null!);
        IReadOnlyList<MethodInfo> methods = GridKernels.Methods();
        Assert.NotEmpty(methods);
        foreach (MethodInfo method in methods)
        {
            Assert.False(method.ContainsGenericParameters, $"{method.Name} is not fully specialised");
            var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
            var kernel = (PTXCompiledKernel)backend.Compile(entry, new KernelSpecialization());
            string ptx = kernel.PTXAssembly;
            string where = $"{method.Name}<{string.Join(",", method.GetGenericArguments().Select(t => t.Name))}> for {architecture}/{instructionSet}";
            Assert.True(Regex.IsMatch(ptx, @"\.entry\s+\S+"), $"{where}: no .entry in the PTX");
            Match external = Regex.Match(ptx, @"\.extern\s+\.func[^\r\n]*");
            Assert.False(external.Success, $"{where}: unresolved external function in the PTX: {external.Value}");
        }
    }

    [Fact]
    public void CpuAcceleratorLoadsEveryGridKernel()
    {
        using var context = Context.Create(b => b.CPU().Math(MathMode.Default));
        using var accelerator = context.CreateCPUAccelerator(0);
        foreach (MethodInfo method in GridKernels.Methods())
        {
            using Kernel kernel = accelerator.LoadAutoGroupedKernel(accelerator.CompileKernel(EntryPointDescription.FromImplicitlyGroupedKernel(method)));
            Assert.NotNull(kernel);
        }
    }

    [Fact]
    public void ExternalCallCheckDetectsTheFusedMultiplyAddLane()
    {
        // The check above is not vacuous: the CPU lane (MathF.FusedMultiplyAdd) compiled to PTX by ILGPU 1.5.3
        // declares an external function (the reason DeviceFloatLane exists). If a later ILGPU lowers the call
        // to an fma instruction, this test fails and DeviceFloatLane may be revisited.
        using var context = Context.Create(b => b.Cuda().Math(MathMode.Default));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_70, CudaInstructionSet.ISA_70, null!);
        MethodInfo advance = IlgpuBackend.AdvanceMethod<FloatLane>(ModelRegistry.Landscapes[0].Example, ModelRegistry.Dynamics[0].Example);
        var kernel = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(advance), new KernelSpecialization());
        Assert.Matches(@"\.extern\s+\.func", kernel.PTXAssembly);
    }

    public static TheoryData<string, string> Pairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var landscape in ModelRegistry.Landscapes)
        {
            foreach (var dynamics in ModelRegistry.Dynamics.Where(r => ModelRegistry.Runs(landscape, r)))
            {
                pairs.Add(landscape.TypeName, dynamics.TypeName);
            }
        }

        return pairs;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void AdvanceKernelUsesSingleFloatArithmeticWithoutExternalCalls(string landscape, string dynamics)
    {
        // The device lane leaves contraction to the device compiler: the PTX of the step kernel has float
        // multiplies and adds (or fma), a square root for Box–Muller when the landscape draws normals, and no call
        // instruction at all.
        using var context = Context.Create(b => b.Cuda().Math(MathMode.Default));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_70, CudaInstructionSet.ISA_70, null!);
        MethodInfo advance = IlgpuBackend.AdvanceMethod<DeviceFloatLane>(
            ModelRegistry.FindLandscape(landscape)!.Example, ModelRegistry.FindDynamics(dynamics)!.Example);
        Assert.Equal(nameof(SgdDynamics.Kernels.EnsembleKernels.Advance), advance.Name);
        var kernel = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(advance), new KernelSpecialization());
        string ptx = kernel.PTXAssembly;

        Assert.Matches(@"(mul|fma)\.rn\.f32|mul\.f32", ptx);
        LandscapeRegistration registration = ModelRegistry.FindLandscape(landscape)!;
        if (registration.Bind(registration.Example, new ArrayStore(), new NormalsPerStep()) > 0)
        {
            Assert.Contains("sqrt", ptx);
        }
        Assert.DoesNotMatch(@"\bcall(\.uni)?\s", ptx);
    }

    [Fact]
    public void CpuAcceleratorLoadsEveryFloatLaneKernel()
    {
        // the same context settings as IlgpuBackend.Open("ilgpu-cpu")
        using var context = Context.Create(b => b.CPU().Math(MathMode.Default));
        using var accelerator = context.CreateCPUAccelerator(0);
        IReadOnlyList<MethodInfo> methods = IlgpuBackend.KernelMethods<FloatLane>();
        Assert.Equal(2 + RuleStructs + AdvanceKernels, methods.Count);
        foreach (MethodInfo method in methods)
        {
            var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
            using Kernel kernel = accelerator.LoadAutoGroupedKernel(accelerator.CompileKernel(entry));
            Assert.NotNull(kernel);
        }
    }

    /// <summary>The normals a landscape struct draws per step.</summary>
    private sealed class NormalsPerStep : ILandscapeVisitor<int>
    {
        public int Visit<TL>(in TL landscape) where TL : struct, SgdDynamics.Kernels.Landscapes.ILandscape => landscape.NormalsPerStep;
    }
}
