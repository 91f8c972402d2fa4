// The managed backend's vector lanes at the two widths, under the short names the lane tests use.
global using Lane256 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector256Width, System.Runtime.Intrinsics.Vector256<float>, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<ulong>>;
global using Lane512 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector512Width, System.Runtime.Intrinsics.Vector512<float>, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<ulong>>;
