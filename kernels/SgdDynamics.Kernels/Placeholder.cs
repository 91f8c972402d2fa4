namespace SgdDynamics.Kernels; internal static class Placeholder {}
