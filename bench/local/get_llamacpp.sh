#!/usr/bin/env bash
# Fetches a release build of llama.cpp's shared libraries (CPU only, every
# x86-64 variant; ggml picks the one for this CPU) from the npm registry, for
# bench/local/run.sh to compare against: the package @node-llama-cpp/linux-x64
# ships them. Nothing of it enters the repository: it lands in BUILD/llamacpp.
# Usage: bench/local/get_llamacpp.sh [BUILD] [VERSION]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$root/${1:-build}/llamacpp
version=${2:-3.22.1}
mkdir -p "$dir"
cd "$dir"
npm pack "@node-llama-cpp/linux-x64@$version" >/dev/null
tar xzf node-llama-cpp-linux-x64-"$version".tgz
ls package/bins/*/libllama*.so
