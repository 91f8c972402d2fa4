using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// Quadratic loss with gradient and curvature noise. One step's gradient at x is
/// <c>g = (H + diag(a ⊙ ζ)) x + b + L ξ</c>, with ζ, ξ independent standard normal vectors drawn fresh
/// each step (normals 0 … d−1 are ζ when curvature noise is on, the next d are ξ when Σ = L Lᵀ ≠ 0).
/// </summary>
/// <typeparam name="TP">Where the parameters live (device memory, pinned host memory).</typeparam>
public readonly struct QuadraticLandscape<TP> : ILandscape where TP : struct, IParameters
{
    private readonly int dimension;
    // Flags are ints: ILGPU rejects bool fields in kernel parameters.
    private readonly int diagonalHessian;
    private readonly int hasLinearTerm;
    private readonly int hasCurvatureNoise;
    private readonly int noiseShape;
    private readonly TP hessian;
    private readonly TP linearTerm;
    private readonly TP noiseFactor;
    private readonly TP curvatureStd;

    /// <summary>
    /// A quadratic landscape: H (d × d row-major), b (d), L (d × d row-major, of <see cref="MatrixShape"/>
    /// <paramref name="noiseShape"/>) and a (d).
    /// </summary>
    public QuadraticLandscape(
        int dimension, bool diagonalHessian, TP hessian, bool hasLinearTerm, TP linearTerm,
        int noiseShape, TP noiseFactor, bool hasCurvatureNoise, TP curvatureStd)
    {
        this.dimension = dimension;
        this.diagonalHessian = diagonalHessian ? 1 : 0;
        this.hessian = hessian;
        this.hasLinearTerm = hasLinearTerm ? 1 : 0;
        this.linearTerm = linearTerm;
        this.noiseShape = noiseShape;
        this.noiseFactor = noiseFactor;
        this.hasCurvatureNoise = hasCurvatureNoise ? 1 : 0;
        this.curvatureStd = curvatureStd;
    }

    /// <inheritdoc/>
    public int Dimension => dimension;

    /// <inheritdoc/>
    public int NormalsPerStep => (hasCurvatureNoise != 0 ? dimension : 0) + (noiseShape != MatrixShape.Zero ? dimension : 0);

    /// <inheritdoc/>
    public int UniformsPerStep => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        MeanGradient<T, TS>(x, g);
        AddGaussianNoise<T, TS, TN>(x, g, normals, step);
    }

    /// <inheritdoc/>
    public IndexSampler Sampler => default;

    /// <inheritdoc/>
    public int ScratchCoordinates => 0;

    /// <inheritdoc/>
    public int NoiseNormals => NormalsPerStep;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int d = dimension;
        for (int i = 0; i < d; i++)
        {
            T acc = T.Splat(hasLinearTerm != 0 ? linearTerm.Get(i) : 0f);
            if (diagonalHessian != 0)
            {
                acc = T.MulAdd(T.Splat(hessian.Get(i * d + i)), x.Get(i), acc);
            }
            else
            {
                for (int j = 0; j < d; j++)
                {
                    acc = T.MulAdd(T.Splat(hessian.Get(i * d + j)), x.Get(j), acc);
                }
            }

            g.Set(i, acc);
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        var noise = new NoiseTerms<T, TS>(this, x, g);
        NormalStream.Draw<T, TN, NoiseTerms<T, TS>>(normals, step, Philox4x32.DynamicsStream, NormalsPerStep, ref noise);
    }

    /// <summary>Adds the random part of the gradient, one normal at a time.</summary>
    private struct NoiseTerms<T, TS> : INormalConsumer<T>
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        private readonly QuadraticLandscape<TP> landscape;
        private readonly TS x;
        private readonly TS g;

        public NoiseTerms(QuadraticLandscape<TP> landscape, TS x, TS g)
        {
            this.landscape = landscape;
            this.x = x;
            this.g = g;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accept(int n, T z)
        {
            int d = landscape.dimension;
            int curvatureNormals = landscape.hasCurvatureNoise != 0 ? d : 0;
            if (n < curvatureNormals)
            {
                // curvature noise: g_n += a_n ζ_n x_n
                g.Set(n, T.MulAdd(T.Mul(T.Splat(landscape.curvatureStd.Get(n)), z), x.Get(n), g.Get(n)));
            }
            else
            {
                // gradient noise: g += ξ_j L[:, j]
                NormalStream.AddColumn(g, landscape.noiseFactor, d, landscape.noiseShape, n - curvatureNormals, z);
            }
        }
    }
}
