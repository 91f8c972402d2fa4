#!/bin/sh
# Builds the C++ reference into bin/w_ref and runs its self-check (`sgdyn bench` does the same on the fly, into its
# cache folder). The compiler is $CXX, else g++, else clang++.
set -eu
cd "$(dirname "$0")"
CXX=${CXX:-$(command -v g++ || command -v clang++ || true)}
if [ -z "$CXX" ]; then
  echo "no C++ compiler: neither g++ nor clang++ is on PATH (or set CXX)" >&2
  exit 1
fi
mkdir -p bin
"$CXX" -O3 -march=native -fno-math-errno -ffp-contract=off -fopenmp -std=c++20 w_ref.cpp -o bin/w_ref
bin/w_ref check 65536 500
