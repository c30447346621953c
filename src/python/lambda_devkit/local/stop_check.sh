#!/usr/bin/env bash
# `serve` stops when told: the README's serve command (the `./pants` process, as a supervisor,
# an IDE stop button, `timeout` or CI cleanup sees it) is sent SIGTERM, then started again and
# sent SIGINT. Each time, within 5 s, nothing may listen on its ports and none of the processes
# it ran (the server, its warm containers, the token issuer, moto) may be left. Run from
# anywhere, after `./pants package ::`:
#
#     src/python/lambda_devkit/local/stop_check.sh [PORT ISSUER_PORT]
#
# Ports default to free ones; the serve command is README.md's, with only its ports replaced.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../../.."

source src/python/lambda_devkit/local/readme_serve.sh
readme_serve_commands "stop check" "$@"
# The template's first route (a fork's own service works as the calculator does).
IFS=$'\t' read -r method route _ < <(./pants run src/python/lambda_devkit/local/main.py -- routes)
scratch="$(mktemp -d)"
pants_pid=""

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The process listening on a port and everything below it, from /proc (no lsof or ss needed).
serving_processes() {
  python3 - "$1" <<'EOF'
import os, sys
from pathlib import Path

port = int(sys.argv[1])
inodes = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in Path(table).read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
            inodes.add(fields[9])
owners = set()
for fd in Path("/proc").glob("[0-9]*/fd/*"):
    try:
        target = os.readlink(fd)
    except OSError:
        continue
    if target.startswith("socket:[") and target[8:-1] in inodes:
        owners.add(int(fd.parts[2]))
found, frontier = set(owners), list(owners)
while frontier:
    for task in Path(f"/proc/{frontier.pop()}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            if child not in found:
                found.add(child)
                frontier.append(child)
print(" ".join(map(str, sorted(found))))
EOF
}

alive() { # any of the pids still running (zombies count as gone)
  local pid
  for pid in "$@"; do
    [[ -r "/proc/${pid}/status" ]] && ! grep -q '^State:.Z' "/proc/${pid}/status" && return 0
  done
  return 1
}

finish() {
  [[ -z "${pants_pid}" ]] || kill -KILL "${pants_pid}" 2>/dev/null || true
  rm -rf "${scratch}"
}
trap finish EXIT

check() {
  local signal="$1" processes
  echo "stop check: ${serve}"
  # A log of this start only: the previous start's "Serving" line must not answer for it (the
  # background command truncates the file only once it runs).
  rm -f "${scratch}/serve.log"
  # The command as a user's shell runs it: a child of this script, in its process group, with
  # SIGINT and SIGQUIT at their defaults (bash would ignore them in a background command).
  (
    trap - INT QUIT
    exec ${serve}
  ) >"${scratch}/serve.log" 2>&1 &
  pants_pid=$!
  wait_until_serving "stop check" "${scratch}/serve.log" "${pants_pid}"
  if ! listening "${port}" || ! listening "${issuer_port}"; then
    echo "stop check: serve is not listening on ${port} and ${issuer_port}" >&2
    exit 1
  fi
  # One request, so that a warm container is among what must stop.
  local token
  token="$(curl -s --max-time 300 -X POST "http://127.0.0.1:${issuer_port}/token" \
    -H 'content-type: application/json' -d '{"sub": "stop-check"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
  # Any answer the function gives (a 2xx, or the route's 4xx to an empty object) will do.
  curl -s -i --max-time 300 -X "${method}" "http://127.0.0.1:${port}${route}" \
    -H "Authorization: Bearer ${token}" -H 'content-type: application/json' -d '{}' |
    grep -qE '^HTTP/[0-9.]+ [24][0-9][0-9] ' ||
    {
      echo "stop check: the request to ${method} ${route} failed" >&2
      exit 1
    }
  # shellcheck disable=SC2207 # pids: words by design
  processes=($(serving_processes "${port}"))
  echo "stop check: SIG${signal} to ./pants (pid ${pants_pid}); serving: ${processes[*]}"
  local sent
  sent="$(date +%s.%N)"
  kill "-${signal}" "${pants_pid}"
  # 5 s is the promise to a user; polling stops the moment everything is gone.
  local elapsed
  while listening "${port}" || listening "${issuer_port}" || alive "${processes[@]}"; do
    elapsed="$(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "${sent}")"
    if python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 5)' "${elapsed}"; then
      echo "stop check: 5 s after SIG${signal}, still up:" >&2
      listening "${port}" && echo "  port ${port}" >&2
      listening "${issuer_port}" && echo "  port ${issuer_port}" >&2
      ps -o pid=,args= -p "$(
        IFS=,
        echo "${processes[*]}"
      )" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  wait "${pants_pid}" || true
  pants_pid=""
  echo "stop check: SIG${signal}: ports ${port} and ${issuer_port} free, ${#processes[@]} processes gone, within ${elapsed:-0.0} s"
}

check TERM
check INT
echo "stop check: OK"
