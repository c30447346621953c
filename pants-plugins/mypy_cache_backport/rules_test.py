"""Runs the real mypy check twice in a RuleRunner and looks for the cache it must leave behind."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from pants.backend.python.dependency_inference import rules as dependency_inference_rules
from pants.backend.python.target_types import PythonSourcesGeneratorTarget, PythonSourceTarget
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.backend.python.typecheck.mypy import rules as upstream_mypy_rules
from pants.backend.python.typecheck.mypy import subsystem as mypy_subsystem
from pants.backend.python.typecheck.mypy.rules import MyPyRequest
from pants.backend.python.typecheck.mypy.subsystem import MyPyFieldSet
from pants.base.build_environment import get_pants_cachedir
from pants.core.goals.check import CheckResults
from pants.core.util_rules import config_files
from pants.engine.addresses import Address
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from mypy_cache_backport import register
from mypy_cache_backport.rules import CHECKOUT_INDEPENDENT_DIR
from plugin_testing import ENV_INHERIT, pants_toml_args, python_infer_args

# The repo's own mypy lockfile, in the sandbox through a `file` target.
MYPY_LOCK = "3rdparty/python/mypy.lock"


def check(rule_runner: RuleRunner) -> CheckResults:
    rule_runner.set_options(
        [
            f"--python-resolves={json.dumps({'mypy': MYPY_LOCK})}",
            "--mypy-install-from-resolve=mypy",
            "--mypy-requirements=['mypy']",
            *pants_toml_args(),
            *python_infer_args(),
        ],
        env_inherit=ENV_INHERIT,
    )
    target = rule_runner.get_target(Address("src", relative_file_path="app.py"))
    return rule_runner.request(CheckResults, [MyPyRequest([MyPyFieldSet.create(target)])])


def test_mypy_leaves_its_cache_in_the_named_cache(tmp_path: Path) -> None:
    # A named caches directory of its own, so that only this run can have written mypy's cache
    # there. Only `mypy_cache` need be new: pex's cache (`pex_root`: interpreters, pip, wheels)
    # is the one every rule runner shares (Pants' default directory), so a cold run does not
    # identify interpreters, set pip up and download mypy a second time just for this test.
    named_caches = tmp_path / "named_caches"
    shared_pex_root = Path(get_pants_cachedir(), "named_caches", "pex_root")
    shared_pex_root.mkdir(parents=True, exist_ok=True)
    named_caches.mkdir()
    (named_caches / "pex_root").symlink_to(shared_pex_root, target_is_directory=True)
    rule_runner = RuleRunner(
        rules=[
            *register.rules(),
            *upstream_mypy_rules.rules(),
            *mypy_subsystem.rules(),
            *python_target_types_rules(),
            *dependency_inference_rules.rules(),
            *config_files.rules(),
            QueryRule(CheckResults, [MyPyRequest]),
        ],
        target_types=[PythonSourcesGeneratorTarget, PythonSourceTarget],
        bootstrap_args=[f"--named-caches-dir={named_caches}"],
    )
    rule_runner.write_files(
        {
            MYPY_LOCK: Path(MYPY_LOCK).read_text(),
            "src/BUILD": "python_sources()",
            # A source no earlier run checked: the script's key no longer changes with the
            # (throwaway) build root, so an unchanged one could be answered from the process
            # cache, skipping mypy and the cache it writes. What mypy needs (its PEX) may be.
            "src/app.py": f"def double(x: int) -> int:\n    return 2 * x\n\n# {uuid.uuid4()}\n",
        }
    )
    # Not under a hash of the build root, as upstream: see test_the_cache_key_has_no_build_root.
    cache_db = named_caches / "mypy_cache" / CHECKOUT_INDEPENDENT_DIR / "3.13" / "cache.db"

    results = check(rule_runner)
    assert [result.exit_code for result in results.results] == [0]
    # Without the backport the run succeeds just the same, but leaves no cache.db behind.
    assert cache_db.is_file()
    assert cache_db.stat().st_size > 0


def test_the_patch_only_adds_upstreams_line() -> None:
    register.rules()
    script = '    /bin/mkdir -p "$SANDBOX_CACHE_DIR" > /dev/null 2>&1\n    run mypy\n'
    assert upstream_mypy_rules.dedent(script) == (  # type: ignore[attr-defined]
        '/bin/mkdir -p "$SANDBOX_CACHE_DIR" > /dev/null 2>&1\n'
        '/bin/mkdir -p "$NAMED_CACHE_DIR" > /dev/null 2>&1\n'
        "run mypy\n"
    )
    assert upstream_mypy_rules.dedent("    a\n      b\n") == "a\n  b\n"  # type: ignore[attr-defined]


def test_the_cache_key_has_no_build_root() -> None:
    register.rules()
    build_root_hash = hashlib.sha256(b"/home/someone/calculator").hexdigest()
    script = f'    NAMED_CACHE_DIR=".cache/mypy_cache/{build_root_hash}/3.13"\n    run mypy\n'
    assert upstream_mypy_rules.dedent(script) == (  # type: ignore[attr-defined]
        f'NAMED_CACHE_DIR=".cache/mypy_cache/{CHECKOUT_INDEPENDENT_DIR}/3.13"\nrun mypy\n'
    )
