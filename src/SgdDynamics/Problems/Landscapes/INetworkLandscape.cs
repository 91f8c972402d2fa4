using System.Text.Json.Nodes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Networks;

namespace SgdDynamics.Problems;

/// <summary>
/// A landscape whose state is the parameter vector of a neural network trained on a finite data set
/// (<c>"mlp"</c>, <c>"charModel"</c>): what the Hessian-mode experiment needs of it.
/// </summary>
public interface INetworkLandscape
{
    /// <summary>The double-precision reference of the same network on the same samples (losses, gradients, Hessian).</summary>
    NetworkReference Reference();

    /// <summary>Minibatch size B.</summary>
    int BatchSize { get; }

    /// <summary>True for epochs of permutations, false for draws with replacement.</summary>
    bool WithoutReplacement { get; }

    /// <summary>The kernels' minibatch sampler (host code can ask it for any trajectory's indices).</summary>
    IndexSampler Sampler { get; }

    /// <summary>Number of samples n.</summary>
    int SampleCount { get; }

    /// <summary>The factor of the one-step noise covariance against sampling with replacement: 1, or (n − B)/(n − 1) without.</summary>
    double NoiseFactor { get; }

    /// <summary>A one-line description of the network and its data.</summary>
    string Describe();

    /// <summary>The data set for reports: its files (or generator), the samples used and their SHA-256.</summary>
    JsonObject DataJson();

    /// <summary>The same landscape with minibatches drawn with or without replacement.</summary>
    LandscapeSpec WithSampling(bool withoutReplacement);
}
