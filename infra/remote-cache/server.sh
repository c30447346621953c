#!/usr/bin/env bash
# Starts or stops BuildGrid (a REAPI server) on 127.0.0.1 as a shared Pants cache.
#
#   infra/remote-cache/server.sh start DIR [PORT]   # prints the address, e.g. grpc://127.0.0.1:50051
#   infra/remote-cache/server.sh stop DIR
#
# DIR holds the server's CAS, its log and its pid; PORT defaults to a free one. BuildGrid is
# installed once, by hash, from requirements.txt beside this script into a cached CPython 3.13
# venv, as ./pants installs Pants: it serves Pants, so it must not need Pants to start.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="${here}/requirements.txt"
cache="${XDG_CACHE_HOME:-${HOME}/.cache}/pants/buildgrid"
venv="${cache}/venv-$(sha256sum <"${requirements}" | cut -c1-16)"

die() {
  printf 'remote-cache server: %s\n' "$*" >&2
  exit 1
}

find_python313() {
  local candidate pyenv_root
  pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "${HOME}/.pyenv")}"
  for candidate in python3.13 "${pyenv_root}"/versions/3.13*/bin/python3.13; do
    if "${candidate}" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      command -v "${candidate}"
      return 0
    fi
  done
  die "BuildGrid 0.4 needs CPython >= 3.11; no python3.13 on PATH or under pyenv."
}

install() {
  [[ -f "${venv}/.ready" ]] && return 0
  mkdir -p "${cache}"
  exec 9>"${cache}/.lock"
  flock 9
  if [[ ! -f "${venv}/.ready" ]]; then
    echo "remote-cache server: installing BuildGrid into ${venv} (one time) ..." >&2
    rm -rf "${venv}"
    "$(find_python313)" -m venv "${venv}"
    # Only PyPI and the pinned hashes, whatever the machine's pip configuration says.
    PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS='' PIP_INDEX_URL=https://pypi.org/simple \
      PIP_EXTRA_INDEX_URL='' PIP_CONSTRAINT='' PIP_DISABLE_PIP_VERSION_CHECK=1 \
      "${venv}/bin/python" -m pip install --quiet --no-deps --require-hashes --only-binary :all: \
      -r "${requirements}" || die "could not install ${requirements} (see pip's message above)."
    touch "${venv}/.ready"
  fi
  exec 9>&-
}

free_port() {
  "${venv}/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1" port="${2:-}"
  install
  mkdir -p "${dir}/cas"
  dir="$(cd "${dir}" && pwd)"
  [[ -n "${port}" ]] || port="$(free_port)"
  BGD_PORT="${port}" BGD_CAS_DIR="${dir}/cas" \
    "${venv}/bin/bgd" server start "${here}/buildgrid.yml" >"${dir}/server.log" 2>&1 &
  echo $! >"${dir}/server.pid"
  # Ready when it answers a TCP connect; BuildGrid takes a few seconds to import and bind.
  local _
  for _ in $(seq 120); do
    kill -0 "$(cat "${dir}/server.pid")" 2>/dev/null ||
      die "BuildGrid exited while starting; its log (${dir}/server.log) ends with:
$(tail -20 "${dir}/server.log")"
    if "${venv}/bin/python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
      "${port}" 2>/dev/null; then
      echo "grpc://127.0.0.1:${port}"
      return 0
    fi
    sleep 0.5
  done
  stop "${dir}"
  die "BuildGrid did not listen on 127.0.0.1:${port} within 60 s (log: ${dir}/server.log)."
}

stop() {
  local dir="$1" pid
  [[ -f "${dir}/server.pid" ]] || return 0
  pid="$(cat "${dir}/server.pid")"
  kill "${pid}" 2>/dev/null || true
  # Give it time to close its channels, then make sure.
  for _ in $(seq 20); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.25
  done
  kill -9 "${pid}" 2>/dev/null || true
  rm -f "${dir}/server.pid"
}

case "${1:-}" in
  start)
    [[ $# -ge 2 ]] || die "usage: $0 start DIR [PORT]"
    start "$2" "${3:-}"
    ;;
  stop)
    [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
    stop "$2"
    ;;
  *) die "usage: $0 start DIR [PORT] | stop DIR" ;;
esac
