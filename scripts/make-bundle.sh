#!/usr/bin/env bash
# Builds the self-contained GPU bundle (DESIGN.md, "Running on a GPU host") into bundle/bnb4j-bundle.tgz:
# a jlink Java runtime, the library and example jars with their dependencies, the test jars and the JUnit
# console launcher, the native libraries, csrc with its CMake build, and run-gpu.sh. The GPU host needs
# no JDK, Maven or network. Usage: scripts/make-bundle.sh [--skip-build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" != "--skip-build" ]; then
  mvn -B -q -DskipTests -Dbnb.cuda=ON install
fi
version=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
junit_platform=$(sed -n 's:.*<junit.platform.version>\(.*\)</junit.platform.version>.*:\1:p' pom.xml)
stage="$root/bundle/stage/bnb4j"
rm -rf "$root/bundle/stage" "$root/bundle/bnb4j-bundle.tgz"
mkdir -p "$stage"/{lib,tests/classes,natives}

# Library, examples and their runtime dependencies.
mvn -B -q -pl examples dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$stage/lib"
cp examples/target/bnb4j-examples-"$version".jar "$stage/lib/"
# Test classes, unpacked (the JUnit launcher scans directories, not jars; it bundles JUnit itself).
for m in bnb-native bnb-core bnb-optim bnb-nn; do
  jar="$root/$m/target/$m-$version-tests.jar"
  if [ -f "$jar" ]; then (cd "$stage/tests/classes" && unzip -q -o "$jar" -x 'META-INF/*'); fi
done
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$junit_platform" \
  -DoutputDirectory="$stage/tests"
# The natives also loose, for cuobjdump and for inspection on the host.
unzip -q -o -j "bnb-native/target/bnb-native-$version-linux-x86_64.jar" '*.so' '*.properties' -d "$stage/natives"

# A Java 17 runtime with just the modules the jars use (java.sql and java.xml: the JUnit launcher).
jlink --add-modules java.base,jdk.unsupported,java.logging,java.sql,java.xml,java.management \
  --compress=2 --strip-debug --no-man-pages --no-header-files --output "$stage/jre"

# csrc, so the host's nvcc can rebuild the CUDA backend for its own GPU (run-gpu.sh BNB_REBUILD=1).
cp -r csrc "$stage/csrc"
cp scripts/bundle/run-gpu.sh "$stage/"
mkdir -p "$stage/bench" && cp scripts/bench/*.py "$stage/bench/"
chmod +x "$stage/run-gpu.sh"
tar czf "$root/bundle/bnb4j-bundle.tgz" -C "$root/bundle/stage" bnb4j
rm -rf "$root/bundle/stage"
ls -la "$root/bundle/bnb4j-bundle.tgz"
