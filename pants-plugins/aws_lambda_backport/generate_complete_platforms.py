"""Writes the pex complete-platform files for the Lambda runtimes this plugin knows.

Upstream Pants generates its bundled files by running `pex3 interpreter inspect --markers --tags`
inside AWS's Lambda base images. Those images live on a registry this project cannot reach, so
this script derives the same document from the runtime's published facts instead:

- python3.13 runs CPython 3.13 (GIL build, ABI `cp313`) on Amazon Linux 2023, whose glibc is
  2.34, so wheels up to `manylinux_2_34` load there (and nothing newer does);
- the two Lambda architectures are x86_64 and arm64 (`aarch64` in wheel tags).

Regenerate after editing RUNTIMES:
    ./pants run pants-plugins/aws_lambda_backport/generate_complete_platforms.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from packaging import tags


class Runtime(NamedTuple):
    name: str
    python_version: tuple[int, int]
    python_full_version: str
    glibc: tuple[int, int]


RUNTIMES = (Runtime("python3.13", (3, 13), "3.13.0", (2, 34)),)
# Lambda's architecture names mapped to the machine names wheels and markers use.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
# PEP 600 aliases for the manylinux tags that predate it.
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
OUTPUT_DIR = Path(__file__).parent / "complete_platforms"


def linux_platforms(machine: str, glibc: tuple[int, int]) -> Iterator[str]:
    """Platform tags in pip's order of preference, as `packaging` computes them on that host."""
    # manylinux for aarch64 starts at glibc 2.17 (manylinux2014); x86_64 goes back to 2.5.
    oldest_minor = 17 if machine == "aarch64" else 5
    for minor in range(glibc[1], oldest_minor - 1, -1):
        yield f"manylinux_{glibc[0]}_{minor}_{machine}"
        legacy = LEGACY_MANYLINUX.get((glibc[0], minor))
        if legacy and (machine == "x86_64" or legacy == "manylinux2014"):
            yield f"{legacy}_{machine}"
    yield f"linux_{machine}"


def complete_platform(runtime: Runtime, machine: str) -> dict[str, object]:
    platforms = list(linux_platforms(machine, runtime.glibc))
    major, minor = runtime.python_version
    compatible_tags: list[str] = [
        str(tag)
        for tag in (
            *tags.cpython_tags(
                runtime.python_version, abis=[f"cp{major}{minor}"], platforms=platforms
            ),
            *tags.compatible_tags(
                runtime.python_version, interpreter=f"cp{major}{minor}", platforms=platforms
            ),
        )
    ]
    return {
        "path": f"/var/lang/bin/python{major}.{minor}",
        "compatible_tags": compatible_tags,
        "marker_environment": {
            "implementation_name": "cpython",
            "implementation_version": runtime.python_full_version,
            "os_name": "posix",
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_system": "Linux",
            "python_full_version": runtime.python_full_version,
            "python_version": f"{major}.{minor}",
            "sys_platform": "linux",
        },
    }


def main() -> None:
    OUTPUT_DIR.mkdir(exist_ok=True)
    for runtime in RUNTIMES:
        for architecture, machine in ARCHITECTURES.items():
            path = OUTPUT_DIR / f"{runtime.name}-{architecture}.json"
            document = complete_platform(runtime, machine)
            path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
            print(f"wrote {path.relative_to(OUTPUT_DIR.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
