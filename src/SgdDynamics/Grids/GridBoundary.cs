using SgdDynamics.Kernels.Grids;

namespace SgdDynamics.Grids;

/// <summary>What happens to probability that a grid solver moves outside the box.</summary>
public enum GridBoundary
{
    /// <summary>Mass that lands outside the box leaves for good and is added to <see cref="GridDensity.LostMass"/>.</summary>
    Absorbing,

    /// <summary>
    /// Mass that lands outside the box is mirrored back in across the faces (method of images, repeated as often
    /// as needed): virtual cell −1 − i lands on cell i, virtual cell n + i on cell n − 1 − i. Nothing is lost.
    /// For the Fokker–Planck solver: no flux through the faces.
    /// </summary>
    Reflecting,

    /// <summary>
    /// Opposite faces are identified (a ring in 1-D, a torus in 2-D): virtual cell n + i lands on cell i, −1 − i on
    /// n − 1 − i; the Fokker–Planck faces wrap. Nothing is lost; grid runs record the expected displacement.
    /// </summary>
    Periodic,
}

/// <summary>Names and kernel codes of <see cref="GridBoundary"/>.</summary>
public static class GridBoundaries
{
    /// <summary>The scenario name: <c>absorbing</c>, <c>reflecting</c> or <c>periodic</c>.</summary>
    public static string Name(this GridBoundary boundary) => boundary switch
    {
        GridBoundary.Absorbing => "absorbing",
        GridBoundary.Reflecting => "reflecting",
        GridBoundary.Periodic => "periodic",
        _ => throw new ArgumentOutOfRangeException(nameof(boundary), boundary, "unknown boundary"),
    };

    /// <summary>The kernels' <see cref="GridWalls"/> code.</summary>
    internal static int Walls(this GridBoundary boundary) => boundary switch
    {
        GridBoundary.Absorbing => GridWalls.Absorbing,
        GridBoundary.Reflecting => GridWalls.Reflecting,
        GridBoundary.Periodic => GridWalls.Periodic,
        _ => throw new ArgumentOutOfRangeException(nameof(boundary), boundary, "unknown boundary"),
    };
}
