#!/usr/bin/env bash
# Builds the self-contained GPU bundle (DESIGN.md, "Running on a GPU host") into bundle/bnb4j-bundle.tgz:
# a jlink Java runtime, the library and example jars with their dependencies, the test jars and the JUnit
# console launcher, the CPU natives, csrc with its CMake build, and run-gpu.sh. The CUDA plugin and the
# native CUDA test programs are built once, into cuda/ (run-gpu.sh points BNB_NATIVE_DIR there), for the
# architectures in BNB_BUNDLE_ARCHS (default: all that ship; "90" for an H200-only run builds in a
# fraction of the time). The GPU host needs no JDK, Maven or network. The archive is xz-compressed.
# Usage: scripts/make-bundle.sh [--skip-build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
archs=${BNB_BUNDLE_ARCHS:-75;80;86;89;90;100;120}
if [ "${1:-}" != "--skip-build" ]; then
  mvn -B -q -DskipTests -Dbnb.cuda=OFF install
fi
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
junit_platform=$(sed -n 's:.*<junit.platform.version>\(.*\)</junit.platform.version>.*:\1:p' pom.xml)
stage="$root/bundle/stage/bnb4j"
rm -rf "$root/bundle/stage" "$root/bundle/bnb4j-bundle.tgz" "$root/bundle/bnb4j-bundle.txz"
mkdir -p "$stage"/{lib,tests/classes,cuda}

# The CUDA plugin with the native test programs, built once.
build="$root/bundle/cuda-build"
cmake -S csrc -B "$build" -DBNB_CUDA=ON -DBNB_BUILD_TESTS=ON -DBNB_CUDA_ARCHS="$archs" \
  -DBNB_OUTPUT_DIR="$build/out" > /dev/null
cmake --build "$build" --parallel "$(nproc)" > "$build.log" 2>&1 || { tail -30 "$build.log"; exit 1; }
cp "$build"/out/libbnb_cuda*.so "$build"/out/libbnb_cpu.so "$build"/out/bnb-natives.properties "$stage/cuda/"
find "$build" -maxdepth 1 -type f -executable -name 'bnb_*' \( -name '*cuda*' -o -name '*_tests' \) \
  ! -name '*_cpu_tests' -exec cp {} "$stage/cuda/" \;

# Library, examples and their runtime dependencies.
mvn -B -q -pl examples dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$stage/lib"
cp examples/target/bnb4j-examples-"$version".jar "$stage/lib/"
# Test classes, unpacked (the JUnit launcher scans directories, not jars; it bundles JUnit itself). Test data
# (*.safetensors, models/) stays out: the device machine gets the working tree anyway, so run-gpu.sh puts the
# modules' src/test/resources of BNB_REPO on the class path instead of carrying the bytes twice.
: > "$stage/tests/data-dirs.txt"
for m in bnb-native bnb-core bnb-optim bnb-nn; do
  jar="$root/$m/target/$m-$version-tests.jar"
  if [ -f "$jar" ]; then
    (cd "$stage/tests/classes" && unzip -q -o "$jar" -x 'META-INF/*' '*.safetensors' 'models/*')
  fi
  if [ -d "$m/src/test/resources" ]; then echo "$m/src/test/resources" >> "$stage/tests/data-dirs.txt"; fi
done
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$junit_platform" \
  -DoutputDirectory="$stage/tests"

# A Java 17 runtime with just the modules the jars use (java.sql and java.xml: the JUnit launcher).
jlink --add-modules java.base,jdk.unsupported,java.logging,java.sql,java.xml,java.management \
  --compress=2 --strip-debug --no-man-pages --no-header-files --output "$stage/jre"

# csrc, so the host's nvcc can rebuild the CUDA backend for its own GPU (run-gpu.sh BNB_REBUILD=1).
cp -r csrc "$stage/csrc"
cp scripts/bundle/run-gpu.sh "$stage/"
mkdir -p "$stage/bench" && cp scripts/bench/*.py "$stage/bench/"
chmod +x "$stage/run-gpu.sh"
XZ_OPT="-6 -T0" tar cJf "$root/bundle/bnb4j-bundle.txz" -C "$root/bundle/stage" bnb4j
rm -rf "$root/bundle/stage"
ls -la "$root/bundle/bnb4j-bundle.txz"
