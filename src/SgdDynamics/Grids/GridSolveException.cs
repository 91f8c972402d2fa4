namespace SgdDynamics.Grids;

/// <summary>
/// A grid solver could not carry on with a valid problem: an iterative solve broke down or did not reach its tolerance
/// (the message says which, with the numbers). <see cref="GridRunner"/> stops the run there and reports it in
/// <see cref="GridResult.Failure"/> with the records made before it.
/// </summary>
public sealed class GridSolveException(string message) : InvalidOperationException(message);
