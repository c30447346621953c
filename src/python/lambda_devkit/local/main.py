"""`./pants run src/python/lambda_devkit/local/main.py -- invoke|serve|token|routes`: the packaged service, locally.

invoke <function> [--event FILE|-]   run one function's zip once, as Lambda would, and print
                                     its response (stdout), logs and timings (stderr)
serve [--port 3000]                  an HTTP API on 127.0.0.1 routing the template's routes to
      [--issuer-port 3001]           warm containers of the packaged functions, behind the
      [--throttle-rate R]            template's JWT authorizer (tokens from a local issuer on
      [--throttle-burst B]           --issuer-port) and route throttling (default: the
                                     template's DefaultRouteSettings)
token [--sub NAME] [--issuer URL]    print a bearer token from serve's issuer (default
                                     http://127.0.0.1:3001, serve's default --issuer-port)
routes                               print what serve serves, one route a line: method, path,
                                     function and its handler's source file (tab-separated)

Each invocation's metrics (the EMF its function prints) show as one line, `METRICS <namespace>
<dimensions> | <metric>=<value>...`, after its JSON logs (docs/observability.md).

AWS: by default an embedded moto server on 127.0.0.1 with the template's table created;
`--aws-endpoint URL` uses another endpoint (with its table already there), `--real-aws` the
credentials and region in your environment. Run `./pants package ::` first; a later
`./pants package ::` is picked up by `serve` on the next request, without a restart.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import traceback
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lambda_devkit import emf, service_spec
from lambda_devkit.emulator.http_api import (
    INTERNAL_SERVER_ERROR,
    jwt_authorizer,
    to_event,
    to_response,
)
from lambda_devkit.emulator.http_api import message as gateway_answer
from lambda_devkit.local.gateway import (
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
    Denied,
    Gateway,
    TemplateNotEmulated,
    Throttling,
    route_throttling,
    www_authenticate,
)
from lambda_devkit.local.issuer import (
    AUDIENCE,
    DEFAULT_SUBJECT,
    POLL_S,
    TOKEN_PATH,
    IssuerServer,
)
from lambda_devkit.local.service import LocalService, aws_environment
from lambda_devkit.moto_server import moto_endpoint
from lambda_devkit.template import Unresolvable

# API Gateway's payload limit: a larger request is refused before any function sees it.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_LINE_BYTES = 65_537
# Framing is this server's business, not the function's.
HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


@contextmanager
def running_service(args: argparse.Namespace) -> Iterator[LocalService]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.real_aws:
        service = LocalService(args.buildroot, aws_environment(None), args.timeout)
        yield service
        service.close()
        return
    if args.aws_endpoint:
        service = LocalService(args.buildroot, aws_environment(args.aws_endpoint), args.timeout)
        yield service
        service.close()
        return
    with moto_endpoint() as endpoint:
        service = LocalService(args.buildroot, aws_environment(endpoint), args.timeout)
        service.create_tables()
        names = ", ".join(service.table_names.values()) or "none"
        print(f"AWS: moto server at {endpoint}, tables: {names}", file=sys.stderr)
        try:
            yield service
        finally:
            service.close()


def invoke(args: argparse.Namespace) -> int:
    source = sys.stdin.read() if args.event == "-" else Path(args.event).read_text()
    try:
        event = json.loads(source)
    except json.JSONDecodeError as error:
        print(f"invoke: the event is not JSON: {error}", file=sys.stderr)
        return 2
    with running_service(args) as service:
        function = service.functions.get(args.function)
        if function is None:
            print(
                f"invoke: no function {args.function!r}; the template has "
                f"{', '.join(sorted(service.functions))}",
                file=sys.stderr,
            )
            return 2
        result = service.invoke(function, event)
        # Stopping the container reads its output to the end: nothing it printed is lost.
        leftover = service.close()
    logs, metrics = emf.without_documents([*result.logs, *leftover])
    for line in logs:
        print(line, file=sys.stderr)
    if metrics is not None:
        print(metrics, file=sys.stderr)
    init = f"init {result.init_ms:.0f} ms, " if result.init_ms is not None else ""
    print(f"REPORT {init}duration {result.duration_ms:.0f} ms", file=sys.stderr)
    print(json.dumps(result.error if result.error is not None else result.payload, indent=2))
    return 1 if result.error is not None else 0


class Refused(Exception):
    """A request the HTTP layer answers itself, before any route: `status` and its phrase."""

    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


def make_handler(service: LocalService, gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """An HTTP API's front door: every method, every body, answered in JSON."""

        protocol_version = "HTTP/1.1"

        def __getattr__(self, name: str) -> Any:
            # Every method, standard or not (HEAD, TRACE, PROPFIND...), is a route lookup, as on
            # an HTTP API; http.server would answer an unknown one with an HTML 501.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def _handle(self) -> None:
            try:
                self._answer()
            except Refused as refused:
                self.close_connection = True  # the body may be unread: the connection is unusable
                self._send(*gateway_answer(refused.status.value, refused.status.phrase))
            except Exception:
                traceback.print_exc(file=sys.stderr)
                self.close_connection = True
                self._send(*INTERNAL_SERVER_ERROR)

        def _answer(self) -> None:
            url = urlsplit(self.path)
            body = self._read_body()
            function = service.route(self.command, url.path)
            if function is None:  # what an HTTP API answers for a route it does not have
                self._send(*gateway_answer(404, "Not Found"))
                return
            route_key = f"{self.command} {url.path}"
            if not gateway.throttle.admit(route_key):
                self._send(*gateway_answer(429, TOO_MANY_REQUESTS))
                return
            authorizer = None
            if gateway.guards(self.command, url.path):
                assert gateway.auth is not None
                try:
                    claims = gateway.authorizer.claims(self.headers.get(gateway.auth.header))
                except Denied as denied:
                    print(f"[authorizer] 401 {route_key}: {denied.description}", file=sys.stderr)
                    status, headers, payload = gateway_answer(401, UNAUTHORIZED)
                    challenge = www_authenticate(denied)
                    if challenge is not None:
                        headers["www-authenticate"] = challenge
                    self._send(status, headers, payload)
                    return
                authorizer = jwt_authorizer(claims)
            event = to_event(
                route_key,
                self.command,
                url.path,
                url.query,
                dict(self.headers.items()),
                body,
                self.client_address[0],
                authorizer,
            )
            result = service.invoke(function, event)
            logs, metrics = emf.without_documents(result.logs)
            for line in logs:
                print(f"[{function.name}] {line}", file=sys.stderr)
            if metrics is not None:
                print(f"[{function.name}] {metrics}", file=sys.stderr)
            if result.error is not None:
                print(f"[{function.name}] {json.dumps(result.error)}", file=sys.stderr)
            self._send(*to_response(result))

        def _read_body(self) -> bytes:
            coding = self.headers.get("Transfer-Encoding")
            if coding is not None:
                if coding.strip().lower() != "chunked":
                    raise Refused(HTTPStatus.BAD_REQUEST)
                return self._read_chunked()
            lengths = self.headers.get_all("Content-Length") or []
            if not lengths:
                return b""
            text = lengths[0].strip()
            if len(set(lengths)) > 1 or not (text.isascii() and text.isdigit()):
                raise Refused(HTTPStatus.BAD_REQUEST)
            if int(text) > MAX_PAYLOAD_BYTES:
                raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            body = self.rfile.read(int(text))
            if len(body) < int(text):
                raise Refused(HTTPStatus.BAD_REQUEST)  # the client stopped short
            return body

        def _read_chunked(self) -> bytes:
            body = bytearray()
            while True:
                line = self.rfile.readline(MAX_LINE_BYTES)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise Refused(HTTPStatus.BAD_REQUEST) from None
                if size < 0:
                    raise Refused(HTTPStatus.BAD_REQUEST)
                if len(body) + size > MAX_PAYLOAD_BYTES:
                    raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                if size == 0:
                    break
                chunk = self.rfile.read(size)
                if len(chunk) < size or self.rfile.readline(MAX_LINE_BYTES).strip():
                    raise Refused(HTTPStatus.BAD_REQUEST)
                body += chunk
            while self.rfile.readline(MAX_LINE_BYTES).strip():
                pass  # trailer fields, ignored as an HTTP API ignores them
            return bytes(body)

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            # What http.server itself refuses (a malformed request line, headers too long): in
            # JSON, like everything else, and the connection closed.
            self.close_connection = True
            # A request line it cannot parse leaves http.server assuming HTTP/0.9, whose
            # responses have no status line: answer in HTTP/1.1 regardless.
            self.request_version = "HTTP/1.1"
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "Bad Request"
            self._send(*gateway_answer(code, phrase))

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client has gone

        def log_message(self, format: str, *args: Any) -> None:
            print(f"{self.address_string()} {format % args}", file=sys.stderr)

    return Handler


def throttling(args: argparse.Namespace, template: dict[str, Any]) -> Throttling | None:
    """The template's route throttling, with --throttle-rate/--throttle-burst over it."""
    limits = route_throttling(template)
    if args.throttle_rate is None and args.throttle_burst is None:
        return limits
    rate: float | None = args.throttle_rate
    burst: int | None = args.throttle_burst
    if limits is not None:
        rate = limits.rate if rate is None else rate
        burst = limits.burst if burst is None else burst
    if rate is None or burst is None:
        raise TemplateNotEmulated(
            "the template sets no route throttling: give both --throttle-rate and --throttle-burst"
        )
    return Throttling(rate, burst)


# How often serve looks for its parent. Seconds: a user expects a stopped command to let go of
# its ports within a few.
ORPHAN_POLL_S = 0.5


def stop_when_orphaned(stop: threading.Event) -> None:
    """Sets `stop` once the process that started serve has gone. `./pants run` starts serve in
    a session of its own, so a Pants client killed outright (SIGKILL, a crash) would otherwise
    leave it holding its ports, its containers and the issuer; the orphan is re-parented."""
    parent = os.getppid()
    while not stop.wait(ORPHAN_POLL_S):
        if os.getppid() != parent:
            print("serve: the process that started it has gone; stopping", file=sys.stderr)
            stop.set()


def routes(args: argparse.Namespace) -> int:
    """The template's routes, for people and for scripts (serve_check.sh): no server."""
    for function in service_spec.functions():
        for route in function.routes:
            print(
                route.method,
                route.path,
                function.name,
                f"{function.target_dir}/handler.py",
                sep="\t",
            )
    return 0


def serve(args: argparse.Namespace) -> int:
    with IssuerServer(args.issuer_port) as issuer, running_service(args) as service:
        gateway = Gateway(service.template, issuer.url, throttling(args, service.template))
        server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(service, gateway))
        server.daemon_threads = True
        stop = threading.Event()

        def shut_down(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, shut_down)
        signal.signal(signal.SIGINT, shut_down)
        threading.Thread(target=stop_when_orphaned, args=(stop,), daemon=True).start()
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True
        )
        thread.start()
        routes = sorted(str(r) for f in service.functions.values() for r in f.routes)
        limits = gateway.throttle.limits
        print(
            "Throttling: "
            + ("none" if limits is None else f"{limits.rate:g}/s, burst {limits.burst}, per route")
            + "; JWT authorizer on "
            + (
                ", ".join(sorted(f"{m} {p}" for m, p in gateway.auth.routes))
                if gateway.auth
                else "no route"
            ),
            file=sys.stderr,
        )
        # Two lines on stdout, in this order, are the contract with scripts and tests.
        print(f"Issuer {issuer.url}, audience {AUDIENCE}", flush=True)
        print(
            f"Serving {', '.join(routes)} on http://127.0.0.1:{server.server_address[1]}",
            flush=True,
        )
        stop.wait()
        server.shutdown()
        server.server_close()
    print("stopped: containers, issuer and AWS endpoint shut down", file=sys.stderr)
    return 0


def token(args: argparse.Namespace) -> int:
    """Prints an access token from the issuer of a running `serve`."""
    request = urllib.request.Request(
        args.issuer.rstrip("/") + TOKEN_PATH,
        data=json.dumps({"sub": args.sub}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(json.loads(response.read())["access_token"])
    except urllib.error.HTTPError as error:
        print(
            f"token: {args.issuer} refused: {error.read().decode(errors='replace')}",
            file=sys.stderr,
        )
        return 1
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        print(
            f"token: no local issuer answers at {args.issuer} ({reason}). Start one with "
            "`./pants run src/python/lambda_devkit/local/main.py -- serve` (its --issuer-port, default 3001), "
            "or pass --issuer URL.",
            file=sys.stderr,
        )
        return 1
    return 0


def non_negative(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} is negative")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buildroot", type=Path, default=Path.cwd(), help="where dist/ is")
    parser.add_argument(
        "--timeout", type=float, help="function timeout in seconds (default: template's)"
    )
    aws = parser.add_mutually_exclusive_group()
    aws.add_argument("--aws-endpoint", help="an AWS-compatible endpoint for DynamoDB")
    aws.add_argument("--real-aws", action="store_true", help="use AWS with your credentials")
    commands = parser.add_subparsers(dest="command", required=True)
    run_once = commands.add_parser("invoke", help="invoke one function once")
    run_once.add_argument("function")
    run_once.add_argument("--event", default="-", help="event JSON file, or - for stdin")
    run_server = commands.add_parser("serve", help="serve the HTTP API on 127.0.0.1")
    run_server.add_argument("--port", type=int, default=3000)
    run_server.add_argument(
        "--issuer-port", type=int, default=3001, help="the local token issuer's port (0: any)"
    )
    run_server.add_argument(
        "--throttle-rate", type=non_negative(float), help="requests/s per route (template's)"
    )
    run_server.add_argument(
        "--throttle-burst", type=non_negative(int), help="burst per route (template's)"
    )
    get_token = commands.add_parser("token", help="print a bearer token from serve's issuer")
    get_token.add_argument("--sub", default=DEFAULT_SUBJECT, help="the token's subject (caller)")
    get_token.add_argument("--issuer", default="http://127.0.0.1:3001", help="serve's issuer")
    commands.add_parser("routes", help="print the template's routes and their handlers")
    args = parser.parse_args()
    commands_by_name = {"invoke": invoke, "serve": serve, "token": token, "routes": routes}
    try:
        sys.exit(commands_by_name[args.command](args))
    # dist/ not built, a port in use, a template setting serve cannot reproduce...
    except (OSError, Unresolvable) as error:
        sys.exit(f"{args.command}: {error}")


if __name__ == "__main__":
    main()
