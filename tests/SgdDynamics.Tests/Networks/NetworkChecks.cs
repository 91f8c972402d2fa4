using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;
using SgdDynamics.Networks;

namespace SgdDynamics.Tests.Networks;

/// <summary>Checks shared by the network reference tests: central differences, relative errors, thread independence.</summary>
internal static class NetworkChecks
{
    /// <summary>θ with coordinate j moved by h.</summary>
    public static double[] Perturbed(double[] theta, int j, double h)
    {
        var shifted = (double[])theta.Clone();
        shifted[j] += h;
        return shifted;
    }

    /// <summary>Central differences (f(θ + h e_j) − f(θ − h e_j)) / (2h) for every j.</summary>
    public static double[] FiniteDifference(double[] theta, Func<double[], double> f, double h) =>
        Enumerable.Range(0, theta.Length).Select(j => (f(Perturbed(theta, j, h)) - f(Perturbed(theta, j, -h))) / (2.0 * h)).ToArray();

    /// <summary>‖approximate − exact‖₂ / ‖exact‖₂.</summary>
    public static double RelativeError(double[] approximate, double[] exact)
    {
        double difference = 0.0, norm = 0.0;
        for (int j = 0; j < exact.Length; j++)
        {
            difference += (approximate[j] - exact[j]) * (approximate[j] - exact[j]);
            norm += exact[j] * exact[j];
        }

        return Math.Sqrt(difference / norm);
    }

    /// <summary>
    /// The exact Hessian-vector product along <paramref name="v"/> against central differences of the analytic gradient
    /// (by hand and the library's, relative ≤ 1e-7 at step <paramref name="step"/>: O(h²) truncation, O(ε/h) rounding), the
    /// minibatch product over every sample against it (1e-14), and sample 2's product against differences of its own
    /// gradient (1e-7). Returns the by-hand relative error.
    /// </summary>
    public static double AssertHessianVectorProductsMatchDifferences(NetworkReference model, double[] theta, double[] v, double step)
    {
        int p = model.ParameterCount;
        var exact = new double[p];
        model.HessianVectorProduct(theta, v, exact);

        // by hand: central differences of the analytic gradient along v, O(h²) truncation
        double norm = Math.Sqrt(v.Sum(x => x * x));
        var plus = theta.Select((x, j) => x + (step * v[j] / norm)).ToArray();
        var minus = theta.Select((x, j) => x - (step * v[j] / norm)).ToArray();
        var gPlus = new double[p];
        var gMinus = new double[p];
        model.FullBatchGradient(plus, gPlus);
        model.FullBatchGradient(minus, gMinus);
        var byHand = gPlus.Select((g, j) => norm * (g - gMinus[j]) / (2.0 * step)).ToArray();
        double error = RelativeError(byHand, exact);
        Assert.True(error <= 1e-7, $"relative error {error:E2}");

        var library = new double[p];
        model.HessianVectorProductCentralDifference(theta, v, library);
        Assert.True(RelativeError(library, exact) <= 1e-7, $"library central difference: {RelativeError(library, exact):E2}");

        // the minibatch product over all samples is the full-batch one; a sample's product against its own gradient
        var minibatch = new double[p];
        model.MinibatchHessianVectorProduct(theta, Enumerable.Range(0, model.SampleCount).ToArray(), v, minibatch);
        Assert.True(RelativeError(minibatch, exact) <= 1e-14);

        var sample = new double[p];
        model.SampleHessianVectorProduct(theta, 2, v, sample);
        var sPlus = new double[p];
        var sMinus = new double[p];
        model.SampleGradient(plus, 2, sPlus);
        model.SampleGradient(minus, 2, sMinus);
        var sampleByHand = sPlus.Select((g, j) => norm * (g - sMinus[j]) / (2.0 * step)).ToArray();
        Assert.True(RelativeError(sampleByHand, sample) <= 1e-7, $"sample 2: {RelativeError(sampleByHand, sample):E2}");
        return error;
    }

    /// <summary>
    /// Loss, full-batch and minibatch gradients, a Hessian-vector product, the full Hessian and a projected noise covariance
    /// at <paramref name="theta"/> are bit-identical on 1 and 4 threads (<paramref name="create"/> builds the reference for a
    /// thread count).
    /// </summary>
    public static void Assert1And4ThreadsAgree(Func<int, NetworkReference> create, double[] theta, int[] indices)
    {
        int p = theta.Length;
        var v = Normal.Samples(new MersenneTwister(10, threadSafe: false), 0.0, 1.0).Take(p).ToArray();
        var directions = Matrix<double>.Build.Dense(p, 3, (i, j) => Math.Sin(i + (7.0 * j)));

        (double, double[], double[], double[], Matrix<double>, Matrix<double>) Run(int threads)
        {
            NetworkReference model = create(threads);
            var gradient = new double[p];
            double loss = model.FullBatchGradient(theta, gradient);
            var minibatch = new double[p];
            model.MinibatchGradient(theta, indices, minibatch);
            var hv = new double[p];
            model.HessianVectorProduct(theta, v, hv);
            return (loss, gradient, minibatch, hv, model.Hessian(theta).Matrix, model.GradientNoiseCovariance(theta, directions, 10));
        }

        var one = Run(1);
        var four = Run(4);
        Assert.Equal(one.Item1, four.Item1);
        Assert.Equal(one.Item2, four.Item2);
        Assert.Equal(one.Item3, four.Item3);
        Assert.Equal(one.Item4, four.Item4);
        Assert.Equal(one.Item5.ToColumnMajorArray(), four.Item5.ToColumnMajorArray());
        Assert.Equal(one.Item6.ToColumnMajorArray(), four.Item6.ToColumnMajorArray());
    }
}
