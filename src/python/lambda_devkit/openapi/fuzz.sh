#!/usr/bin/env bash
# Fuzzes the local service from the generated contract: Schemathesis, driven by dist/openapi.json
# alone, against the README's `serve`, with a token from the README's `token` command. Positive
# and negative cases, the four response checks, a fixed seed and bounded examples; any failure
# fails the run. Run from anywhere, after `./pants package ::`:
#
#     src/python/lambda_devkit/openapi/fuzz.sh [--max-examples N] [--seed N] [--url URL --token T]
#
# With --url and --token it fuzzes a serve that is already running (local/serve_check.sh does);
# otherwise it starts one on free ports, so a server already on 3000/3001 does not collide.
# Throttling is lifted (--throttle-rate/--throttle-burst): 429 is in the document, but a fuzzer
# that gets mostly 429s tests API Gateway's throttle, not the functions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../../.."

max_examples=25
seed=20261130
url=""
TOKEN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url)
      url="$2"
      shift 2
      ;;
    --token)
      TOKEN="$2"
      shift 2
      ;;
    --max-examples)
      max_examples="$2"
      shift 2
      ;;
    --seed)
      seed="$2"
      shift 2
      ;;
    *)
      echo "fuzz: unknown argument $1 (use --max-examples N, --seed N, --url URL --token T)" >&2
      exit 2
      ;;
  esac
done
# The whole run's ceiling: far above a normal run on a busy machine, only a hang reaches it.
ceiling_seconds=1800
document=dist/openapi.json
[[ -f "${document}" ]] || {
  echo "fuzz: no ${document}: run ./pants package :: first" >&2
  exit 1
}

[[ -z "${url}" && -z "${TOKEN}" || -n "${url}" && -n "${TOKEN}" ]] || {
  echo "fuzz: --url and --token go together" >&2
  exit 2
}
scratch="$(mktemp -d)"
server_pid=""
finish() {
  if [[ -n "${server_pid}" ]]; then
    kill -INT -- "-${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${scratch}"
}
trap finish EXIT

if [[ -z "${url}" ]]; then
  source src/python/lambda_devkit/local/readme_serve.sh
  readme_serve_commands fuzz
  serve="${serve} --throttle-rate 100000 --throttle-burst 100000"
  echo "fuzz: ${serve}"
  setsid bash -c "exec ${serve}" >"${scratch}/serve.log" 2>&1 &
  server_pid=$!
  wait_until_serving fuzz "${scratch}/serve.log" "${server_pid}"
  url="http://127.0.0.1:${port}"
  echo "fuzz: ${token_command}"
  # Concurrent: a developer's other Pants command (or pantsd busy) must not make it give up.
  TOKEN="$(PANTS_CONCURRENT=True ${token_command})"
fi

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
echo "fuzz: schemathesis on ${document}: checks ${checks}, seed ${seed}, ${max_examples} examples"
status=0
# The hooks read answers with exact numbers, as a client must, so that an exact result beyond
# a double is not taken for a schema violation and a real violation still is (fuzz_hooks.py).
SCHEMATHESIS_HOOKS="${PWD}/src/python/lambda_devkit/openapi/fuzz_hooks.py" \
  timeout "${ceiling_seconds}" ./pants run src/python/lambda_devkit/openapi:schemathesis -- \
  run "${PWD}/${document}" \
  --url "${url}" \
  --header "Authorization: Bearer ${TOKEN}" \
  --checks "${checks}" \
  --mode all \
  --phases examples,coverage,fuzzing \
  --max-examples "${max_examples}" \
  --seed "${seed}" \
  --generation-database none \
  --request-timeout 60 \
  --no-color >"${scratch}/schemathesis.log" 2>&1 || status=$?
# Schemathesis' own summary: the run's last lines (operations, test cases, failures).
tail -n 25 "${scratch}/schemathesis.log"
if [[ "${status}" != 0 ]]; then
  echo "fuzz: schemathesis failed (exit ${status}); full report:" >&2
  cat "${scratch}/schemathesis.log" >&2
  if [[ -f "${scratch}/serve.log" ]]; then
    echo "fuzz: serve's log:" >&2
    tail -n 60 "${scratch}/serve.log" >&2
  fi
  exit 1
fi
echo "fuzz: OK"
