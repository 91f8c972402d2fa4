#!/usr/bin/env bash
# Writes the first N (default 500) images and labels of the MNIST test set as gzip idx files beside this script:
# the original header with the count replaced by N, then the first N·28·28 pixel bytes (first N label bytes), unchanged.
# gzip -9 -n (no name, no time stamp): the output depends only on the input and the gzip version (1.12 made the shipped files).
# Usage: make-subset.sh [MNIST folder, default ../../../shared/data/mnist from here] [N]
set -eu  # no pipefail: head closes the pipe early on purpose
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-$here/../../../shared/data/mnist}"
n="${2:-500}"
count=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))
{ printf '\x00\x00\x08\x03'; printf "$count"; printf '\x00\x00\x00\x1c\x00\x00\x00\x1c'
  gzip -dc "$src/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c $((n * 784)); } | gzip -9 -n > "$here/t10k-images-$n-idx3-ubyte.gz"
{ printf '\x00\x00\x08\x01'; printf "$count"
  gzip -dc "$src/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$n"; } | gzip -9 -n > "$here/t10k-labels-$n-idx1-ubyte.gz"
test "$(gzip -dc "$here/t10k-images-$n-idx3-ubyte.gz" | wc -c)" -eq $((16 + n * 784))
test "$(gzip -dc "$here/t10k-labels-$n-idx1-ubyte.gz" | wc -c)" -eq $((8 + n))
