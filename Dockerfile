# sgdyn in a container (the image the cluster examples in examples/cluster run):
#   docker build -t sgdyn .
#   docker run --rm -v "$PWD/runs:/work/runs" sgdyn run /opt/sgdyn/examples/example.json
# Outputs go to /work/runs/<name> inside the container (mount a folder there, or give --out on a mounted volume).
# GPUs: with the NVIDIA container toolkit, `docker run --gpus all …` (the backend auto picks CUDA when a device is there).

# Build: the .NET 10 SDK publishes the command line (Release, framework-dependent, ReadyToRun for the build platform).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY kernels/ kernels/
COPY src/ src/
COPY validation/ validation/
# the reference programs of `sgdyn bench` are embedded in the tool
COPY benchmarks/reference/ benchmarks/reference/
RUN dotnet publish src/SgdDynamics.Cli/SgdDynamics.Cli.csproj -c Release -o /opt/sgdyn/bin

# Run: the .NET 10 runtime, the published tool, the example scenarios and the shipped data (found beside Engine.sln).
FROM mcr.microsoft.com/dotnet/runtime:10.0
# a font for the PNG plots (ScottPlot draws text through SkiaSharp, which finds fonts under /usr/share/fonts)
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/sgdyn/bin/ /opt/sgdyn/bin/
COPY Engine.sln /opt/sgdyn/
COPY examples/ /opt/sgdyn/examples/
COPY data/ /opt/sgdyn/data/
WORKDIR /work
ENTRYPOINT ["/opt/sgdyn/bin/sgdyn"]
CMD ["--help"]
