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
