#!/usr/bin/env bash
# Start-up benchmark: the Native AOT handler against the JIT build of the same app.
# Publishes both, starts each RUNS times as the Functions host would (custom-handler mode on a free
# port, against Azurite), and measures the time from process start to the first answer to the host's
# ping (GET /) and the peak resident memory at that point. Writes results/startup.md.
#
#   tests/Paypro.Benchmarks/startup.sh [RUNS]      (default 10; needs npm ci --prefix tests and gcc or clang)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
runs=${1:-10}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "Publishing the JIT build..."
dotnet publish src/Paypro.Functions -c Release -r linux-x64 --self-contained false --artifacts-path "$work/build-jit" -o "$work/jit" >"$work/jit.log" 2>&1 \
  || { tail -n 30 "$work/jit.log" >&2; exit 1; }
echo "Publishing the Native AOT build..."
# The same Native AOT properties as build.sh package (it says why).
dotnet publish src/Paypro.Functions -c Release -r linux-x64 -p:PublishAot=true -p:StripSymbols=true \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:WarningsNotAsErrors=IL2104%3BIL3053%3BIL2026 --artifacts-path "$work/build-aot" -o "$work/aot" >"$work/aot.log" 2>&1 \
  || { tail -n 30 "$work/aot.log" >&2; exit 1; }

[ -x tests/node_modules/.bin/azurite-table ] || { echo "Azurite is not installed: run npm ci --prefix tests" >&2; exit 1; }
table_port=$(free_port); queue_port=$(free_port)
tests/node_modules/.bin/azurite-table --tablePort "$table_port" --inMemoryPersistence --skipApiVersionCheck --loose --silent >/dev/null 2>&1 &
tests/node_modules/.bin/azurite-queue --queuePort "$queue_port" --inMemoryPersistence --skipApiVersionCheck --loose --silent >/dev/null 2>&1 &
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;"
until curl -s -o /dev/null "http://127.0.0.1:$table_port" && curl -s -o /dev/null "http://127.0.0.1:$queue_port"; do sleep 0.1; done

measure() { # build -> prints "milliseconds kilobytes"
  local executable=$1 port pid start end rss
  port=$(free_port)
  start=$(date +%s%N)
  env -i PATH="$PATH" HOME="$HOME" FUNCTIONS_CUSTOMHANDLER_PORT="$port" AzureWebJobsStorage="$connection" \
    Paypro__BaseUrl=http://127.0.0.1:9 Paypro__MerchantNo=1000000001 Paypro__AppSecret=benchmark-secret \
    "$executable" >/dev/null 2>&1 &
  pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 "$pid" 2>/dev/null || { echo "$executable exited before answering" >&2; exit 1; }
  done
  end=$(date +%s%N)
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - start) / 1000000 )) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$work/jit.txt"; : >"$work/aot.txt"
measure "$work/jit/Paypro.Functions" >/dev/null; measure "$work/aot/Paypro.Functions" >/dev/null  # warm the file cache
for i in $(seq "$runs"); do
  # Alternate the two builds so a change in machine load touches both alike.
  measure "$work/jit/Paypro.Functions" >>"$work/jit.txt"
  measure "$work/aot/Paypro.Functions" >>"$work/aot.txt"
done
jit_ms=$(cut -d' ' -f1 "$work/jit.txt" | median); aot_ms=$(cut -d' ' -f1 "$work/aot.txt" | median)
jit_kb=$(cut -d' ' -f2 "$work/jit.txt" | median); aot_kb=$(cut -d' ' -f2 "$work/aot.txt" | median)
time_ratio=$(awk -v a="$aot_ms" -v j="$jit_ms" 'BEGIN {printf "%.2f", a / j}')
memory_ratio=$(awk -v a="$aot_kb" -v j="$jit_kb" 'BEGIN {printf "%.2f", a / j}')

mkdir -p tests/Paypro.Benchmarks/results
cat >tests/Paypro.Benchmarks/results/startup.md <<REPORT
# Start-up: Native AOT handler vs. JIT build (design budget: AOT time <= 0.2x JIT, memory <= 0.5x)

Each build started $runs times, alternating, in custom-handler mode (\`FUNCTIONS_CUSTOMHANDLER_PORT\`)
against Azurite; time from process start to the first answer to \`GET /\` (the host's ping, after
start-up has validated settings and created the tables and queues), and peak resident memory (VmHWM)
at that moment. Medians. Command: \`tests/Paypro.Benchmarks/startup.sh $runs\`.

Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), .NET SDK $(dotnet --version).

| build | start to first answer (ms) | peak memory (KiB) |
|---|---:|---:|
| JIT (framework-dependent) | $jit_ms | $jit_kb |
| Native AOT | $aot_ms | $aot_kb |
| **ratio AOT / JIT** | **$time_ratio** | **$memory_ratio** |

Every run (ms KiB), JIT: $(tr '\n' ';' <"$work/jit.txt")
Every run (ms KiB), AOT: $(tr '\n' ';' <"$work/aot.txt")
REPORT
cat tests/Paypro.Benchmarks/results/startup.md
