#!/usr/bin/env bash
# Test, package and run the Paypro Kenya Functions app.
#
#   ./build.sh test              install Azurite (npm ci --prefix tests) and run every test
#   ./build.sh package           publish for linux-x64 and build artifacts/app.zip, ready to deploy
#   ./build.sh run               run the app self-hosted against Azurite and the Paypro sandbox
#   ./build.sh assemble DIR      lay out artifacts/app from an existing publish folder DIR, and zip it
#
# ARTIFACTS_DIR overrides where artifacts go (default: artifacts/ beside this script).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
artifacts=${ARTIFACTS_DIR:-$root/artifacts}
executable=Paypro.Functions

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
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

# Native AOT starts faster and uses less memory, but needs a C toolchain (clang or gcc) besides the
# ILCompiler package. Without one, or if the AOT build fails, a self-contained single file is built instead:
# it runs on the same Linux hosts without a .NET runtime installed.
publish() {
  local out=$1 log="$artifacts/publish.log"
  rm -rf "$out"
  mkdir -p "$artifacts"
  # A separate artifacts path keeps the linux-x64 restore out of the obj/ folders of everyday builds.
  local common=(src/Paypro.Functions -c Release -r linux-x64 --artifacts-path "$artifacts/build" -o "$out")
  if command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then
    echo "Publishing with Native AOT (log: $log)..."
    # Azure.Data.Tables serialises a few request bodies (table creation) with reflection-based JSON and
    # reports trim warnings for that and for typed entities, which the app does not use (TableEntity only).
    # Reflection-based JSON stays enabled for it (StorageAccount keeps the members it needs), which also
    # wakes ASP.NET Core's reflection fallback (IL2026 inside the framework). These stay warnings in the
    # log; the app's own code is held to them by the trim analyzers of every ordinary build.
    if dotnet publish "${common[@]}" -p:PublishAot=true -p:StripSymbols=true \
      -p:JsonSerializerIsReflectionEnabledByDefault=true \
      -p:WarningsNotAsErrors=IL2104%3BIL3053%3BIL2026 >"$log" 2>&1; then
      echo "Native AOT build ready."
      return
    fi
    echo "Native AOT publish failed; building a self-contained single file instead. Last lines of $log:" >&2
    tail -n 20 "$log" >&2
    rm -rf "$out"
  else
    echo "No C toolchain (clang or gcc) for Native AOT; building a self-contained single file."
  fi
  dotnet publish "${common[@]}" --self-contained true -p:PublishSingleFile=true \
    -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none
}

# The layout the Functions host needs: host.json at the top, one <FunctionName>/function.json folder per
# function beside it, and the custom handler executable named in host.json (with its executable bit).
cmd_assemble() {
  local publish_dir=${1:?usage: build.sh assemble PUBLISH_DIR}
  local app="$artifacts/app" zipfile="$artifacts/app.zip"
  [ -f "$publish_dir/$executable" ] || { echo "No $executable in $publish_dir: publish first (./build.sh package)." >&2; exit 1; }

  rm -rf "$app" "$zipfile"
  mkdir -p "$app"
  cp host.json "$app/"
  local folder name count=0
  for folder in src/Paypro.Functions/FunctionDefinitions/*/; do
    name=$(basename "$folder")
    [ -f "$folder/function.json" ] || { echo "$folder has no function.json." >&2; exit 1; }
    mkdir "$app/$name"
    cp "$folder/function.json" "$app/$name/"
    count=$((count + 1))
  done
  [ "$count" -gt 0 ] || { echo "No function folders under src/Paypro.Functions/FunctionDefinitions." >&2; exit 1; }

  # The publish folder also holds the function.json files under FunctionDefinitions/ (web SDK content), debugging
  # symbols and XML documentation; none of it belongs in the deployed app.
  (cd "$publish_dir" && find . -mindepth 1 -maxdepth 1 \
    ! -name FunctionDefinitions ! -name '*.pdb' ! -name '*.dbg' ! -name '*.xml' ! -name '*.staticwebassets.*' \
    ! -name 'web.config' ! -name 'local.settings*.json' \
    -exec cp -R {} "$app/" \;)
  chmod 755 "$app/$executable"

  if command -v zip >/dev/null 2>&1; then
    (cd "$app" && zip -q -r -X "$zipfile" .)
  else
    need python3 "install zip or python3 to build the deployment zip."
    python3 - "$app" "$zipfile" <<'PY'
import os, sys, zipfile
app, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _, files in os.walk(app):
        for file in sorted(files):
            path = os.path.join(folder, file)
            entry = zipfile.ZipInfo.from_file(path, os.path.relpath(path, app))
            # Unix permissions live in the high 16 bits; the host runs the handler only if it is executable.
            entry.external_attr = (os.stat(path).st_mode & 0xFFFF) << 16
            with open(path, "rb") as source:
                archive.writestr(entry, source.read(), zipfile.ZIP_DEFLATED)
PY
  fi
  echo "App folder: $app"
  echo "Deployment zip: $zipfile ($count functions)"
}

cmd_package() {
  need dotnet "install the .NET 10 SDK (https://dot.net)."
  publish "$artifacts/publish"
  cmd_assemble "$artifacts/publish"
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
  dotnet build src/Paypro.Functions -v quiet -nologo

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

  Hosting__Mode=SelfHosted Hosting__FunctionKey="$key" \
    AzureWebJobsStorage=UseDevelopmentStorage=true \
    Paypro__BaseUrl="$sandbox_url" Paypro__MerchantNo="$merchant" Paypro__AppSecret="$secret" \
    Paypro__NotifyUrl="$notify_url" \
    setsid dotnet run --project src/Paypro.Functions --no-build -- --urls "$app_url" &
  pids+=($!)
  wait_for_port 7071 "The app" "$!"

  cat <<EOF

Running (Ctrl-C stops everything):
  app (self-hosted)  $app_url      function key: $key
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
  assemble) shift; cmd_assemble "$@" ;;
  run) cmd_run ;;
  -h|--help|help) usage 0 ;;
  *) usage 1 ;;
esac
