#!/usr/bin/env bash
# ctest: installs the client package from the build folder into a temporary prefix, builds the
# example (an outside CMake project) against it, and runs it against a real amahost. The example
# starts first, so its connect backoff waits for the host.
#   install_test.sh CMAKE BUILD_DIR EXAMPLE_DIR AMAHOST GENERATOR CXX [SANITIZE_FLAGS]
set -euo pipefail
cmake=$1 build=$2 example=$3 amahost=$4 generator=$5 cxx=$6 sanitize=${7:-}

work=$(mktemp -d /tmp/amahost-cpp-client.XXXXXX)
host_pid=
cleanup() {
  if [[ -n $host_pid ]]; then kill -TERM "$host_pid" 2>/dev/null || true; wait "$host_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$cmake" --install "$build" --prefix "$work/prefix" --component amahost_client > "$work/install.log"
# Only the package: its headers, static libraries and CMake files.
find "$work/prefix" -type f | sed "s|$work/prefix/||" | sort
if find "$work/prefix" -type f | grep -v -e '/include/amahost_client/' -e '/lib/amahost_client/' \
     -e '/lib/cmake/amahost_client/' | grep .; then
  echo "FAIL: files outside the package's folders" >&2; exit 1
fi

"$cmake" -S "$example" -B "$work/example" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_EXE_LINKER_FLAGS="$sanitize" > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/example" > "$work/build.log" || { cat "$work/build.log"; exit 1; }

instance="cpp$$"
"$work/example/amahost_client_example" --instance "$instance" > "$work/example.out" 2>&1 &
example_pid=$!
"$amahost" --instance "$instance" --state-dir "$work/state" --no-upload > "$work/host.log" 2>&1 &
host_pid=$!
status=0
wait "$example_pid" || status=$?
cat "$work/example.out"
if ((status != 0)); then
  echo "FAIL: the example exited with $status; host log:" >&2
  cat "$work/host.log" >&2
  exit 1
fi
grep -q '"extensionName":"ChangeTracking-Linux"' "$work/example.out"
grep -q 'NO_SUCH_STREAM: gap' "$work/example.out"
[[ $(grep -c ': acked$' "$work/example.out") == 2 ]]
echo "PASS"
