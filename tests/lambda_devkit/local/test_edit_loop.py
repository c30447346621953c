"""The edit loop: a rebuilt zip is served on the next request, without a restart, while the
requests already running finish on the build they started on, and nothing leaks."""

from __future__ import annotations

import contextlib
import os
import threading
import zipfile
from collections import Counter
from pathlib import Path

from lambda_devkit.testing.local_server import (
    FUNCTION,
    FUNCTION_ZIP,
    PATIENCE_S,
    Emulator,
    Server,
    answer_of,
    wait_for,
    with_handler,
)


def test_a_rebuilt_zip_is_served_without_restart(server: Server, buildroot: Path) -> None:
    route = FUNCTION.routes[0]
    assert server.request(route.method, route.path)[0] == 200
    zip_path = buildroot / FUNCTION_ZIP
    original = zip_path.read_bytes()
    teapot = "def handler(event, context):\n    return {'statusCode': 418, 'body': '{}'}\n"
    try:
        zip_path.write_bytes(with_handler(original, teapot))
        assert server.request(route.method, route.path)[0] == 418
    finally:
        zip_path.write_bytes(original)
    assert server.request(route.method, route.path)[0] == 200


def test_a_rebuild_mid_request_lets_the_request_finish(emulator: Emulator, tmp_path: Path) -> None:
    in_flight = emulator.invoke_in_background(tmp_path)
    wait_for(lambda: list(tmp_path.glob("started-*")), "the first request to start")
    emulator.build("second")
    assert answer_of(emulator.invoke())["build"] == "second"  # the next request: new code
    (tmp_path / "release").touch()
    finished = in_flight.result(timeout=PATIENCE_S)
    assert not finished.timed_out
    assert answer_of(finished)["build"] == "first"  # completed on the build it started on


def open_handles() -> Counter[str]:
    """This process's sockets and pipes, by kind, from /proc/self/fd."""
    kinds: Counter[str] = Counter()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            target = os.readlink(fd)
            kinds[target.split(":")[0]] += target.startswith(("socket:", "pipe:"))
    return +kinds


# Each rebuild replaces the container: a leak of even one thread, socket or pipe per rebuild
# shows after a few of them as surely as after many, and each costs a cold start.
REBUILDS = 5


def test_rebuilds_leak_no_thread_socket_or_pipe(emulator: Emulator) -> None:
    assert answer_of(emulator.invoke())["build"] == "first"
    threads, handles = threading.active_count(), open_handles()
    for n in range(REBUILDS):
        emulator.build(f"rebuild-{n}")
        assert answer_of(emulator.invoke())["build"] == f"rebuild-{n}"
    print(f"threads {threads} -> {threading.active_count()}, handles {handles} -> {open_handles()}")
    assert threading.active_count() == threads
    assert open_handles() == handles
    assert len(emulator.service.container_pids()) == 1
    # Old builds' unpacked files go with their last container.
    assert len(list((emulator.service.scratch / FUNCTION.name).iterdir())) == 1


def test_layers_are_unpacked_once_per_build_of_them(emulator: Emulator) -> None:
    """A handler edit unpacks only the function's zip; a rebuilt layer is unpacked anew, and
    the old tree goes once no container uses it."""

    def layer_trees() -> list[Path]:
        return sorted((emulator.service.scratch / "layers").iterdir())

    assert answer_of(emulator.invoke())["build"] == "first"
    (unpacked,) = layer_trees()
    emulator.build("second")
    assert answer_of(emulator.invoke())["build"] == "second"
    assert layer_trees() == [unpacked]
    layer = emulator.service.layers[0]
    with zipfile.ZipFile(layer, "a") as rebuilt:
        rebuilt.writestr("python/added_by_the_rebuild.py", "")
    assert answer_of(emulator.invoke())["build"] == "second"
    (rebuilt_tree,) = layer_trees()
    assert rebuilt_tree != unpacked
    assert (rebuilt_tree / "python" / "added_by_the_rebuild.py").is_file()
