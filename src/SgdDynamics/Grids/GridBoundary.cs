namespace SgdDynamics.Grids;

/// <summary>What happens to probability that a grid solver moves outside the box.</summary>
public enum GridBoundary
{
    /// <summary>Mass that lands outside the box leaves for good and is added to <see cref="GridDensity.LostMass"/>.</summary>
    Absorbing,

    /// <summary>
    /// Mass that lands outside the box is mirrored back in across the faces (method of images, repeated as often
    /// as needed): virtual cell −1 − i lands on cell i, virtual cell n + i on cell n − 1 − i. Nothing is lost.
    /// </summary>
    Reflecting,
}
