#!/usr/bin/env bash
# Test, package and run the Paypro Kenya Functions app.
#
#   ./build.sh test              install Azurite (npm ci --prefix tests) and run every test
#   ./build.sh package           publish for linux-x64 (ReadyToRun) and zip it as artifacts/app.zip, ready to deploy,
#                                and pack the Paypro sandbox as a .NET tool (artifacts/tools/Paypro.Sandbox.*.nupkg)
#   ./build.sh app-package       only publish and zip the app (what the tests run from the zip)
#   ./build.sh sandbox-tool      only pack the sandbox tool
#   ./build.sh run               run the app (the real worker, under the host emulator) against Azurite and the Paypro sandbox
#
# ARTIFACTS_DIR overrides where artifacts go (default: artifacts/ beside this script).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
artifacts=${ARTIFACTS_DIR:-$root/artifacts}

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is required: $2" >&2; exit 1; }
}

install_azurite() {
  need npm "install Node.js 20 or newer with npm (Azurite runs on it)."
  npm ci --prefix tests --no-audit --no-fund
}

cmd_test() {
  need dotnet "install the .NET 10 SDK (https://dot.net)."
  install_azurite
  # Warnings are errors in tests too, so the test command also proves the solution builds clean.
  dotnet test Paypro.Functions.sln -p:TreatWarningsAsErrors=true "$@"
}

# The deployable package is exactly what `dotnet publish` produces for the isolated worker: the app and its
# dependencies, host.json, functions.metadata, worker.config.json, extensions.json and .azurefunctions/.
# ReadyToRun (linux-x64) is what the Functions team recommends for start-up (the isolated worker does not
# support Native AOT); the platform's pre-warmed placeholders do the rest.
cmd_package() {
  cmd_app_package
  cmd_sandbox_tool
}

cmd_app_package() {
  need dotnet "install the .NET 10 SDK (https://dot.net)."
  local out="$artifacts/publish" zipfile="$artifacts/app.zip"
  rm -rf "$out" "$zipfile"
  mkdir -p "$artifacts"
  # A separate artifacts path keeps the linux-x64 restore out of the obj/ folders of everyday builds.
  dotnet publish src/Paypro.Functions -c Release -r linux-x64 --self-contained false \
    --artifacts-path "$artifacts/build" -o "$out" -nologo
  local required
  for required in host.json functions.metadata worker.config.json extensions.json .azurefunctions; do
    [ -e "$out/$required" ] || { echo "The publish folder lacks $required; the Functions host could not load the app." >&2; exit 1; }
  done
  zip_folder "$out" "$zipfile"
  echo "Publish folder: $out"
  echo "Deployment zip: $zipfile"
}

# The sandbox as a .NET tool, for a merchant's own test suites:
#   dotnet tool install Paypro.Sandbox --tool-path .tools --add-source artifacts/tools && .tools/paypro-sandbox --urls http://127.0.0.1:5080
cmd_sandbox_tool() {
  need dotnet "install the .NET 10 SDK (https://dot.net)."
  rm -rf "$artifacts/tools"
  dotnet pack src/Paypro.Sandbox -c Release --artifacts-path "$artifacts/build" -o "$artifacts/tools" -nologo
  echo "Sandbox tool package: $(ls "$artifacts"/tools/Paypro.Sandbox.*.nupkg)"
}

zip_folder() {
  local folder=$1 target=$2
  if command -v zip >/dev/null 2>&1; then
    (cd "$folder" && zip -q -r -X "$target" .)
    return
  fi
  need python3 "install zip or python3 to build the deployment zip."
  python3 - "$folder" "$target" <<'PY'
import os, sys, zipfile
folder, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for parent, _, files in os.walk(folder):
        for file in sorted(files):
            path = os.path.join(parent, file)
            archive.write(path, os.path.relpath(path, folder))
PY
}

# Reads a default from the sandbox's options class so the app and the sandbox agree without copying secrets around.
sandbox_default() {
  local name=$1 fallback=$2 file=src/Paypro.Sandbox/SandboxOptions.cs value=""
  if [ -f "$file" ]; then
    value=$(sed -n "s/.*const string $name = \"\([^\"]*\)\".*/\1/p" "$file" | head -n 1)
  fi
  echo "${value:-$fallback}"
}

wait_for_port() {
  local port=$1 what=$2 pid=$3 tries=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$what exited before listening on port $port." >&2; return 1; }
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { echo "$what did not listen on port $port within 60 s." >&2; return 1; }
    sleep 0.1
  done
}

cmd_run() {
  need dotnet "install the .NET 10 SDK (https://dot.net)."
  [ -x tests/node_modules/.bin/azurite ] || install_azurite

  local key=${PAYPRO_DEV_FUNCTION_KEY:-local-dev-function-key}
  local master_key=${PAYPRO_DEV_MASTER_KEY:-local-dev-master-key-not-for-production}
  local secret merchant
  secret=$(sandbox_default DevelopmentSecret sandbox-dev-secret-not-for-production)
  merchant=1000000001
  local app_url=http://127.0.0.1:7071 sandbox_url=http://127.0.0.1:5080
  local notify_url="$app_url/api/paypro/notify?code=$key"
  local port
  for port in 10000 10001 10002 5080 7071; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "Port $port is already in use; stop whatever listens there (another run?) and try again." >&2
      exit 1
    fi
  done

  echo "Building..."
  dotnet build src/Paypro.Sandbox -v quiet -nologo
  dotnet build src/Paypro.Functions.DevHost -v quiet -nologo

  pids=()
  stop_all() {
    trap - INT TERM EXIT
    # Output may go to a pipe whose reader died with the same Ctrl-C; a write must not end the cleanup.
    trap '' PIPE
    echo "Stopping..." >&2 2>/dev/null || true
    local pid
    for pid in "${pids[@]}"; do
      # Each child leads its own process group (setsid), so this reaches dotnet run's child process too.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
      wait "$pid" 2>/dev/null || true
    done
  }
  trap stop_all INT TERM EXIT

  mkdir -p "$artifacts/azurite"
  setsid tests/node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck --loose \
    --location "$artifacts/azurite" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 &
  pids+=($!)
  wait_for_port 10001 Azurite "$!"
  wait_for_port 10002 Azurite "${pids[0]}"

  setsid dotnet run --project src/Paypro.Sandbox --no-build -- --urls "$sandbox_url" \
    --Sandbox:ControlEnabled=true --Sandbox:MerchantNo="$merchant" --Sandbox:AppSecret="$secret" \
    --Sandbox:DefaultNotifyUrl="$notify_url" &
  pids+=($!)
  wait_for_port 5080 "The sandbox" "$!"

  # The host emulator starts the worker from the app's own build output and runs every function in it, over the
  # Functions host's gRPC protocol.
  DevHost__FunctionKey="$key" DevHost__MasterKey="$master_key" DevHost__WorkerDirectory="$root/src/Paypro.Functions/bin/Debug/net10.0" \
    AzureWebJobsStorage=UseDevelopmentStorage=true \
    Paypro__BaseUrl="$sandbox_url" Paypro__MerchantNo="$merchant" Paypro__AppSecret="$secret" \
    Paypro__NotifyUrl="$notify_url" \
    PayoutsQueueName=paypro-payouts PayinsQueueName=paypro-payins EventsQueueName=paypro-events PollSchedule="0 */1 * * * *" AuditPurgeSchedule="0 30 2 * * *" ReconcileSchedule="0 */5 22-23,0-2 * * *" Submit__HttpEnabled=true \
    setsid dotnet run --project src/Paypro.Functions.DevHost --no-build -- --urls "$app_url" &
  pids+=($!)
  wait_for_port 7071 "The app" "$!"

  cat <<EOF

Running (Ctrl-C stops everything):
  app (emulator)     $app_url      function key: $key
  Paypro sandbox     $sandbox_url  merchantNo $merchant, control endpoints on
  Azurite            blob 10000, queue 10001, table 10002 (UseDevelopmentStorage=true), data in $artifacts/azurite

Notify URL (give this to Paypro; the sandbox already uses it):
  $notify_url

EOF
  # Whichever stops first (or Ctrl-C) ends the run and the trap stops the rest.
  wait -n "${pids[@]}" || true
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  package) cmd_package ;;
  app-package) cmd_app_package ;;
  sandbox-tool) cmd_sandbox_tool ;;
  run) cmd_run ;;
  -h|--help|help) usage 0 ;;
  *) usage 1 ;;
esac
