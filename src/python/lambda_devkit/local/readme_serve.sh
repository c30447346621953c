# shellcheck shell=bash
# Sourced, from the build root, by the checks that run the README's local service
# (serve_check.sh, openapi/fuzz.sh), so that they run the commands a reader runs:
#
#     readme_serve_commands LABEL [PORT ISSUER_PORT]
#         sets `serve` and `token_command` to README.md's serve and token commands with only
#         their ports replaced (by PORT and ISSUER_PORT, or free ones: a check never collides
#         with a server already on 3000 and its issuer on 3001), and `port` and `issuer_port`;
#         exits naming the command README.md lacks.
#     wait_until_serving LABEL LOG PID
#         waits for serve's "Serving" line in LOG; exits with the log if PID died first.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

readme_serve_commands() {
  local label="$1" readme_serve readme_token
  readme_serve="$(grep -m1 -E '^\./pants .*run src/python/lambda_devkit/local/main\.py -- serve' README.md)" ||
    {
      echo "${label}: README.md has no serve command" >&2
      exit 1
    }
  readme_token="$(grep -m1 -E '^TOKEN=\$\(\./pants run src/python/lambda_devkit/local/main\.py -- token\)$' README.md)" ||
    {
      echo "${label}: README.md has no TOKEN=\$(... -- token) command" >&2
      exit 1
    }
  # shellcheck disable=SC2034 # set for the caller
  {
    port="${2:-$(free_port)}"
    issuer_port="${3:-$(free_port)}"
    serve="${readme_serve/--port 3000/--port ${port}} --issuer-port ${issuer_port}"
    token_command="${readme_token#TOKEN=\$(}"
    token_command="${token_command%)} --issuer http://127.0.0.1:${issuer_port}"
  }
}

wait_until_serving() {
  local label="$1" log="$2" pid="$3"
  for _ in $(seq 600); do
    grep -q '^Serving' "${log}" && return 0
    kill -0 "${pid}" 2>/dev/null || {
      cat "${log}" >&2
      exit 1
    }
    sleep 0.5
  done
  echo "${label}: serve never started" >&2
  exit 1
}
