"""add_bytecode: every .py in the zip gets a checked-hash .pyc of itself, whatever came before."""

from __future__ import annotations

import importlib.util
import io
import py_compile
import sys
import zipfile
from pathlib import Path

from aws_lambda_backport.lambda_zip import add_bytecode, deterministic_zip

TAG = sys.implementation.cache_tag
SOURCE = b"ANSWER = 42\n"
# py_compile's flags word: bit 0 hash-based, bit 1 checked.
CHECKED_HASH = 0b11


def test_a_pyc_already_in_the_zip_is_compiled_anew_as_checked_hash(tmp_path: Path) -> None:
    # As a wheel installed in pex's shared cache can be, once an interpreter has imported it:
    # a timestamp-based .pyc, of another version of the source.
    stale_source = tmp_path / "module.py"
    stale_source.write_bytes(b"ANSWER = 41\n")
    stale = tmp_path / "stale.pyc"
    py_compile.compile(str(stale_source), cfile=str(stale), doraise=True)
    pyc_name = f"python/pkg/__pycache__/module.{TAG}.pyc"
    source_zip, dest_zip = tmp_path / "in.zip", tmp_path / "out.zip"
    source_zip.write_bytes(
        deterministic_zip({"python/pkg/module.py": SOURCE, pyc_name: stale.read_bytes()})
    )

    assert add_bytecode(source_zip, dest_zip, "/opt") == 0

    with zipfile.ZipFile(io.BytesIO(dest_zip.read_bytes())) as archive:
        names = archive.namelist()
        pyc = archive.read(pyc_name)
    assert names.count(pyc_name) == 1, names
    assert int.from_bytes(pyc[4:8], "little") == CHECKED_HASH
    assert pyc[8:16] == importlib.util.source_hash(SOURCE)
