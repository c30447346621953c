#!/usr/bin/env bash
# The README's local service, used as a reader uses it, with one `serve` for three checks:
#
# 1. fuzz: Schemathesis, driven by dist/openapi.json alone, against it (openapi/fuzz.sh);
# 2. edit loop: a handler edited and `./pants package ::` run while it serves (pantsd on, as
#    on a developer's machine): the package command must not wait for the serving invocation,
#    and the next request must run the edit; then the edit undone, and the same again;
# 3. stop: SIGTERM to the `./pants` process (a supervisor, an IDE stop button, `timeout`, CI
#    cleanup), then SIGINT to a second serve started beside it: each time, within 5 s, nothing may listen on its
#    ports and none of the processes it ran (the server, its warm containers, the token issuer,
#    moto) may be left.
#
# Run from anywhere, after `./pants package ::`:
#
#     src/python/lambda_devkit/local/serve_check.sh [--max-examples N]
#
# The serve and token commands are README.md's (readme_serve.sh), with only their ports
# replaced and throttling lifted (a fuzzer that gets mostly 429s tests the throttle, not the
# functions). The route it calls and the handler it edits are the template's first (`main.py --
# routes`), so a fork's own service is checked as it stands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../../.."
# The edit loop is a developer's: pantsd on, whatever the caller's configuration says.
export PANTS_PANTSD=true

fuzz_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --max-examples)
      fuzz_args+=("$1" "$2")
      shift 2
      ;;
    *)
      echo "serve check: unknown argument $1 (use --max-examples N)" >&2
      exit 2
      ;;
  esac
done

source src/python/lambda_devkit/local/readme_serve.sh
# Two serves, started at once: the first is fuzzed, edited and stopped by SIGTERM; the second,
# on ports of its own, is stopped by SIGINT. Each start is a Pants run without the daemon, which
# waits on one core for much of its time: two at once overlap those waits.
readme_serve_commands "serve check"
second_serve="${serve} --throttle-rate 100000 --throttle-burst 100000"
second_port="${port}"
second_issuer_port="${issuer_port}"
readme_serve_commands "serve check"
while [[ " ${second_port} ${second_issuer_port} " == *" ${port} "* ||
  " ${second_port} ${second_issuer_port} " == *" ${issuer_port} "* ]]; do
  readme_serve_commands "serve check"
done
serve="${serve} --throttle-rate 100000 --throttle-burst 100000"
package='./pants package ::'
grep -qxF "${package}" README.md || {
  echo "serve check: README.md lacks '${package}'" >&2
  exit 1
}
# Read once the command has finished: a reader of its first line would let the next ./pants
# start while this one still holds pantsd.
routes="$(./pants run src/python/lambda_devkit/local/main.py -- routes)"
IFS=$'\t' read -r method route _ handler <<<"${routes}"
[[ -f "${handler}" ]] || {
  echo "serve check: no handler at '${handler}' for the template's first route" >&2
  exit 1
}
scratch="$(mktemp -d)"
cp "${handler}" "${scratch}/handler.py"
pants_pid=""
second_pid=""
edited=""

finish() {
  [[ -z "${pants_pid}" ]] || kill -KILL "${pants_pid}" 2>/dev/null || true
  [[ -z "${second_pid}" ]] || kill -KILL "${second_pid}" 2>/dev/null || true
  cp "${scratch}/handler.py" "${handler}"
  [[ -z "${edited}" ]] || ${package} >/dev/null 2>&1 || true # dist/ as the sources say
  rm -rf "${scratch}"
}
trap finish EXIT

start_serve() { # COMMAND LOG: starts it in the background, its pid in `started_pid`
  echo "serve check: $1"
  # The command as a user's shell runs it: a child of this script, in its process group, with
  # SIGINT and SIGQUIT at their defaults (bash would ignore them in a background command).
  (
    trap - INT QUIT
    exec $1
  ) >"$2" 2>&1 &
  started_pid=$!
}

call() { # prints the response's headers and body; any answer will do, a 2xx or the route's 4xx
  curl -s -i --max-time 300 -X "${method}" "http://127.0.0.1:${port}${route}" \
    -H "Authorization: Bearer ${TOKEN}" -H 'content-type: application/json' -d '{}'
}

answered() { # the call got a 2xx, or the route's 4xx to an empty object
  call | tee "${scratch}/answer.txt" | grep -qE '^HTTP/[0-9.]+ [24][0-9][0-9] ' || {
    cat "${scratch}/answer.txt" >&2
    echo "serve check: the request to ${method} ${route} failed" >&2
    exit 1
  }
}

started() { python3 -c 'import time; print(time.time())'; }
since() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }

edit_loop() {
  echo "serve check: edit ${handler}, then ${package} while serve runs"
  edited=yes
  python3 - "${handler}" <<'PY'
import sys
from pathlib import Path

path = Path(sys.argv[1])
source = path.read_text()
old = "    return app.resolve(event, context)\n"
assert old in source, "the handler's body changed: update src/python/lambda_devkit/local/serve_check.sh"
new = (
    "    response = app.resolve(event, context)\n"
    '    response["headers"]["X-Edit-Loop"] = "edited"\n'
    "    return response\n"
)
path.write_text(source.replace(old, new))
PY
  local start elapsed
  start="$(started)"
  ${package} 2>&1 | tee "${scratch}/package.log"
  elapsed="$(since "${start}")"
  if grep -qE 'Another pants invocation|Waiting for invocation' "${scratch}/package.log"; then
    echo "serve check: ${package} waited for the serving invocation" >&2
    exit 1
  fi
  call | grep -qi '^X-Edit-Loop: edited' || {
    echo "serve check: the request after the rebuild did not run the edited handler" >&2
    exit 1
  }
  echo "serve check: ${package} took ${elapsed} s with serve running; the next request ran the edit"
  cp "${scratch}/handler.py" "${handler}"
  ${package} >/dev/null 2>&1
  edited=""
  if call | grep -qi '^X-Edit-Loop'; then
    echo "serve check: the restored handler was not picked up" >&2
    exit 1
  fi
  echo "serve check: edit loop OK"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The process listening on a port and everything below it, from /proc (no lsof or ss needed).
serving_processes() {
  python3 - "$1" <<'PY'
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
PY
}

alive() { # any of the pids still running (zombies count as gone)
  local pid
  for pid in "$@"; do
    [[ -r "/proc/${pid}/status" ]] && ! grep -q '^State:.Z' "/proc/${pid}/status" && return 0
  done
  return 1
}

stop_with() {
  local signal="$1" processes sent elapsed
  if ! listening "${port}" || ! listening "${issuer_port}"; then
    echo "serve check: serve is not listening on ${port} and ${issuer_port}" >&2
    exit 1
  fi
  # shellcheck disable=SC2207 # pids: words by design
  processes=($(serving_processes "${port}"))
  echo "serve check: SIG${signal} to ./pants (pid ${pants_pid}); serving: ${processes[*]}"
  sent="$(started)"
  kill "-${signal}" "${pants_pid}"
  # 5 s is the promise to a user; polling stops the moment everything is gone.
  while listening "${port}" || listening "${issuer_port}" || alive "${processes[@]}"; do
    elapsed="$(since "${sent}")"
    if python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 5)' "${elapsed}"; then
      echo "serve check: 5 s after SIG${signal}, still up:" >&2
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
  echo "serve check: SIG${signal}: ports ${port} and ${issuer_port} free, ${#processes[@]} processes gone, within ${elapsed:-0.0} s"
}

${package} >/dev/null
start_serve "${serve}" "${scratch}/serve.log"
pants_pid="${started_pid}"
start_serve "${second_serve}" "${scratch}/second-serve.log"
second_pid="${started_pid}"
wait_until_serving "serve check" "${scratch}/serve.log" "${pants_pid}"
echo "serve check: ${token_command}"
TOKEN="$(${token_command})"
answered
src/python/lambda_devkit/openapi/fuzz.sh --url "http://127.0.0.1:${port}" --token "${TOKEN}" \
  ${fuzz_args[@]+"${fuzz_args[@]}"}
edit_loop
stop_with TERM
# The second serve, SIGINT this time, with a warm container among what must stop (its token
# straight from its own issuer: the README's command was checked above).
wait_until_serving "serve check" "${scratch}/second-serve.log" "${second_pid}"
pants_pid="${second_pid}"
second_pid=""
port="${second_port}"
issuer_port="${second_issuer_port}"
TOKEN="$(curl -s --max-time 300 -X POST "http://127.0.0.1:${issuer_port}/token" \
  -H 'content-type: application/json' -d '{"sub": "serve-check"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
answered
stop_with INT
echo "serve check: OK"
