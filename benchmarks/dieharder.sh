#!/usr/bin/env bash
# The dieharder battery (Debian's `dieharder` package) on the kernels' random output, one run per mode of
# benchmarks/raw_stream.py; each mode's report goes to benchmarks/dieharder/MODE.txt.
#
#   bash benchmarks/dieharder.sh [MODE ...]     (default: streams runs normals normals32)
#
# The whole battery reads a few hundred GB per mode and takes about an hour on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/dieharder
mkdir -p "$out"
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(streams runs normals normals32)
for mode in "${modes[@]}"; do
    start=$(date +%s)
    python benchmarks/raw_stream.py "$mode" | dieharder -g 200 -a > "$out/$mode.txt"
    {
        echo "# mode $mode, $(($(date +%s) - start)) s, $(dieharder -l | sed -n 2p | tr -s ' #' ' ')"
        grep -cE "PASSED" "$out/$mode.txt" | sed 's/^/# passed /' || true
        grep -cE "WEAK" "$out/$mode.txt" | sed 's/^/# weak /' || true
        grep -cE "FAILED" "$out/$mode.txt" | sed 's/^/# failed /' || true
    } >> "$out/$mode.txt"
done
