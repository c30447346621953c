"""Deterministic Lambda zips, and the step that adds bytecode to them.

Imported by the rules (Pants' CPython 3.9) for `deterministic_zip`, and run as a script by the
Lambda runtime's own CPython (3.13 for `python3.13`) to add bytecode, since only that interpreter
writes bytecode its version can load. Standard library only, Python 3.9 syntax.

    python3.13 lambda_zip.py add-bytecode IN.zip OUT.zip --root /var/task

Why bytecode, and why hash-based: Lambda unpacks the function zip into /var/task and layers into
/opt, both read-only, so without `.pyc` files every cold start compiles every module it imports
and can keep none of it. Timestamp-based `.pyc` would not help: zips carry 1980 dates, so the
recorded source mtime never matches. A hash-based `.pyc` records a hash of its source instead, so
it is valid wherever and whenever the zip is unpacked. `checked-hash` rather than
`unchecked-hash`: the interpreter re-hashes the source on import (microseconds for our files) so
that a source edited after the build (Lambda's console editor, a patched layer) is never shadowed
by stale bytecode; `unchecked-hash` would silently keep running the old code.
"""

from __future__ import annotations

import argparse
import io
import py_compile
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

# What `pex3 venv create --layout flat-zipped` writes, so both paths give the same kind of zip:
# DOS epoch timestamps, Unix permissions 0644/0755, deflated files, stored directory entries.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
UNIX_FILE = 0o100644 << 16
UNIX_DIR = (0o040755 << 16) | 0x10  # 0x10: the MS-DOS directory attribute


def _entry(name: str, is_dir: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.create_system = 3  # Unix, so that the permission bits are read
    info.external_attr = UNIX_DIR if is_dir else UNIX_FILE
    info.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
    return info


def deterministic_zip(files: Mapping[str, bytes], prefix: Optional[str] = None) -> bytes:
    """A zip of `files` whose bytes depend only on their paths and contents.

    Entries are sorted by path, each directory under `prefix` gets its own entry (as pex writes
    them; the prefix itself gets none), and nothing of the host leaks in: no timestamps, owners
    or permission bits of the build machine.
    """
    root = f"{prefix}/" if prefix else ""
    entries: dict[str, Optional[bytes]] = {}
    for path, content in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entries[root + "/".join(parts[:depth]) + "/"] = None
        entries[root + path] = content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            data = entries[name]
            archive.writestr(_entry(name, data is None), data or b"")
    return buffer.getvalue()


def add_bytecode(source_zip: Path, dest_zip: Path, root: str) -> int:
    """Copies `source_zip` to `dest_zip` with a checked-hash `.pyc` beside every `.py`.

    Existing entries keep their order and attributes, but for any `.pyc` the zip already had,
    which is compiled anew; the `__pycache__/` entries follow, sorted.
    `root` is where Lambda unpacks the zip (/var/task or /opt): the path compiled into the
    bytecode, as if compiled there (the import system shows the real path in tracebacks anyway).
    Returns how many sources could not be compiled (e.g. Python 2 files some wheels ship as
    data); those keep only their source, as pip's install-time compilation leaves them.
    """
    tag = sys.implementation.cache_tag
    added: dict[str, bytes] = {}
    failures = 0
    with zipfile.ZipFile(source_zip) as source, tempfile.TemporaryDirectory() as scratch:
        infos = source.infolist()
        existing = {info.filename for info in infos}
        for info in infos:
            if info.is_dir() or not info.filename.endswith(".py"):
                continue
            directory, _, module_file = info.filename.rpartition("/")
            pyc_dir = f"{directory}/__pycache__" if directory else "__pycache__"
            pyc_name = f"{pyc_dir}/{module_file[:-3]}.{tag}.pyc"
            # A .pyc already in the zip is replaced, never trusted: one that an interpreter
            # wrote into pex's shared cache of installed wheels is timestamp-based, so stale
            # under Lambda's 1980 dates, and that module would compile at every cold start.
            src = Path(scratch, "src.py")
            src.write_bytes(source.read(info))
            pyc = Path(scratch, "out.pyc")
            try:
                py_compile.compile(
                    str(src),
                    cfile=str(pyc),
                    dfile=f"{root}/{info.filename}",
                    doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
                )
            except py_compile.PyCompileError:
                failures += 1
                continue
            added[pyc_name] = pyc.read_bytes()
        new_dirs = {name.rpartition("/")[0] + "/" for name in added} - existing
        with zipfile.ZipFile(dest_zip, "w") as dest:
            for info in infos:
                if info.filename not in added:
                    dest.writestr(info, source.read(info))
            for name in sorted(new_dirs | set(added)):
                is_dir = name.endswith("/")
                dest.writestr(_entry(name, is_dir), b"" if is_dir else added[name])
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description="Adds hash-based bytecode to a Lambda zip.")
    parser.add_argument("command", choices=["add-bytecode"])
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--root", required=True, help="where Lambda unpacks it: /var/task, /opt")
    args = parser.parse_args()
    if sys.flags.hash_randomization:
        # Before Python 3.11 (bpo-37596), set constants (`x in {"a", "b"}`) were marshalled in
        # hash order: a random seed would make their bytes differ from build to build.
        sys.exit("lambda_zip.py: run with PYTHONHASHSEED=0 so that the bytecode is reproducible.")
    failures = add_bytecode(args.source, args.dest, args.root)
    if failures:
        print(f"{failures} source file(s) could not be compiled; shipped as source only.")


if __name__ == "__main__":
    main()
