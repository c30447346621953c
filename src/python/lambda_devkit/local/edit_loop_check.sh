#!/usr/bin/env bash
# The README's edit loop, run with the README's own commands: `serve` in one terminal, and in
# another a handler edit, `./pants package ::`, and a request that must reach the new code.
# The package command must not wait for the serving invocation (pantsd stays on for it, as on
# a developer's machine, whatever CI's pants.ci.toml says). Run from anywhere:
#
#     src/python/lambda_devkit/local/edit_loop_check.sh
#
# The serve and token commands are read from README.md (readme_serve.sh); the route it calls and
# the handler it edits are the template's first (`main.py -- routes`), so a fork's own service
# is checked as it stands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../../.."
unset PANTS_CONFIG_FILES PANTS_PANTSD # a developer's configuration: pantsd on

source src/python/lambda_devkit/local/readme_serve.sh
readme_serve_commands "edit loop"
package='./pants package ::'
grep -qxF "${package}" README.md || {
  echo "edit loop: README.md lacks '${package}'" >&2
  exit 1
}
IFS=$'\t' read -r method route _ handler < <(./pants run src/python/lambda_devkit/local/main.py -- routes)
[[ -f "${handler}" ]] || {
  echo "edit loop: no handler at '${handler}' for the template's first route" >&2
  exit 1
}
scratch="$(mktemp -d)"
cp "${handler}" "${scratch}/handler.py"
server_pid=""
edited=""
pantsd_pid() { cat .pids/*/pantsd/pid 2>/dev/null | head -n1 || true; } # none yet: empty
running_pantsd="$(pantsd_pid)"
[[ -n "${running_pantsd}" ]] && kill -0 "${running_pantsd}" 2>/dev/null || running_pantsd=""

finish() {
  if [[ -n "${server_pid}" ]]; then
    # SIGTERM to the ./pants process stops serve and all it started (stop_check.sh proves it).
    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  cp "${scratch}/handler.py" "${handler}"
  [[ -z "${edited}" ]] || ${package} >/dev/null 2>&1 || true # dist/ as the sources say
  rm -rf "${scratch}"
  if [[ -z "${running_pantsd}" ]]; then # a daemon this check started (CI): stop it
    started_pantsd="$(pantsd_pid)"
    [[ -z "${started_pantsd}" ]] || kill "${started_pantsd}" 2>/dev/null || true
  fi
}
trap finish EXIT

call() { # prints the response's headers and body; any answer will do, a 2xx or the route's 4xx
  curl -s -i --max-time 60 -X "${method}" "http://127.0.0.1:${port}${route}" \
    -H "Authorization: Bearer ${TOKEN}" -H 'content-type: application/json' -d '{}'
}

echo "edit loop: ${package}"
${package}

echo "edit loop: ${serve}"
${serve} >"${scratch}/serve.log" 2>&1 &
server_pid=$!
wait_until_serving "edit loop" "${scratch}/serve.log" "${server_pid}"
echo "edit loop: ${token_command}"
TOKEN="$(${token_command})"
call >"${scratch}/first.txt"
grep -qE '^HTTP/[0-9.]+ [24][0-9][0-9] ' "${scratch}/first.txt" || {
  cat "${scratch}/first.txt" >&2
  echo "edit loop: the first request to ${method} ${route} failed" >&2
  exit 1
}

echo "edit loop: edit ${handler}, then ${package} while serve runs"
edited=yes
python3 - "${handler}" <<'EOF'
import sys
from pathlib import Path

path = Path(sys.argv[1])
source = path.read_text()
old = "    return app.resolve(event, context)\n"
assert old in source, "the handler's body changed: update src/python/lambda_devkit/local/edit_loop_check.sh"
new = (
    "    response = app.resolve(event, context)\n"
    '    response["headers"]["X-Edit-Loop"] = "edited"\n'
    "    return response\n"
)
path.write_text(source.replace(old, new))
EOF
started="$(date +%s.%N)"
${package} 2>&1 | tee "${scratch}/package.log"
elapsed="$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "${started}" "$(date +%s.%N)")"
if grep -qE 'Another pants invocation|Waiting for invocation' "${scratch}/package.log"; then
  echo "edit loop: ${package} waited for the serving invocation" >&2
  exit 1
fi
call | grep -qi '^X-Edit-Loop: edited' ||
  {
    echo "edit loop: the request after the rebuild did not run the edited handler" >&2
    exit 1
  }
echo "edit loop: ${package} took ${elapsed} s with serve running; the next request ran the edit"

cp "${scratch}/handler.py" "${handler}"
${package} >/dev/null 2>&1
edited=""
call | grep -qi '^X-Edit-Loop' && {
  echo "edit loop: the restored handler was not picked up" >&2
  exit 1
}
echo "edit loop: OK"
