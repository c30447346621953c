"""The documented-steps runner reads the blocks a reader runs, in order, and runs them as a
reader would: in a git tree, stopping at the first failure, the page's check after each step
that changed the tree. (The walk over the real docs runs in CI: it takes minutes.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lambda_devkit import docs_steps
from lambda_devkit.docs_steps import Block, Section, Step, missing_paths, plan, sections, walk

PAGE = """# Guide

Intro.

<!-- docs_steps: check -->
```
test -f made
```

## Steps

### 1. Make

1. In a list:

   ```
   touch made
   ```

<!-- docs_steps: skip needs a cloud -->
```
false
```

<!-- docs_steps: skip a marker then prose -->
Some prose.

```
echo after prose
```

### 2. Nothing to change

```
true
```
"""


def test_blocks_are_read_per_section_with_their_markers() -> None:
    found = {s.title: s for s in sections("guide.md", PAGE)}
    assert [b.marker for b in found["Guide"].blocks] == ["check"]
    make = found["1. Make"].blocks
    # An indented block (in a list) loses its indent; a marker names only the block after it.
    assert [(b.script, b.marker, b.why) for b in make] == [
        ("touch made", None, ""),
        ("false", "skip", "needs a cloud"),
        ("echo after prose", None, ""),
    ]
    assert make[0].line == 17
    assert [s.title for s in docs_steps.subsections("guide.md", PAGE, "Steps")] == [
        "1. Make",
        "2. Nothing to change",
    ]


def git_tree(root: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    docs_steps.commit(root, "empty")
    return root


def steps_of(text: str) -> list[Step]:
    check = next(b for s in sections("guide.md", text) for b in s.blocks if b.marker == "check")
    return [Step(s, then_check=check) for s in docs_steps.subsections("guide.md", text, "Steps")]


def test_each_step_runs_then_the_check_then_a_commit(tmp_path: Path) -> None:
    root = git_tree(tmp_path)
    walk(steps_of(PAGE), root, {"PATH": "/usr/bin:/bin"})
    log = docs_steps.git(root, "log", "--format=%s").split("\n")
    # The second step changed nothing: no check, no commit.
    assert log[:2] == ["guide.md: 1. Make", "empty"]
    assert (root / "made").is_file()


def test_a_step_that_leaves_the_check_failing_is_named(tmp_path: Path) -> None:
    root = git_tree(tmp_path)
    broken = PAGE.replace("touch made", "touch other")
    with pytest.raises(SystemExit, match=r"guide.md: 1. Make: the tree is not green"):
        walk(steps_of(broken), root, {"PATH": "/usr/bin:/bin"})


def test_a_failing_block_stops_the_walk_naming_its_line(tmp_path: Path) -> None:
    root = git_tree(tmp_path)
    failing = Block("guide.md", 7, "true\nexit 3\ntouch never")
    with pytest.raises(SystemExit, match=r"guide.md:7: the block failed \(exit 3\)"):
        walk([Step(Section("guide.md", 2, "S", 1, (failing,)))], root, {"PATH": "/usr/bin:/bin"})
    assert not (root / "never").exists()


def test_the_real_docs_give_the_readme_steps_then_the_forking_guides() -> None:
    steps = plan(Path())
    names = [s.name for s in steps]
    readme = len(docs_steps.README_STEPS)
    assert names[:readme] == [f"README.md: {t}" for t in docs_steps.README_STEPS]
    forking = steps[readme:]
    assert len(forking) >= 5 and all(s.section.page == docs_steps.FORKING for s in forking)
    # Every README step runs something; the guide checks the tree after each of its steps, with
    # the check that CI's build step runs.
    for step in steps[:readme]:
        assert [b for b in step.section.blocks if b.marker is None], step.name
    for step in forking:
        assert step.then_check is not None
        assert step.then_check.script == (
            "./pants tailor --check update-build-files --check lint check test package ::"
        )


def test_a_path_the_docs_name_that_is_missing_is_named(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "here.py").write_text("")
    (tmp_path / "README.md").write_text(
        "`src/here.py` and `src/gone.py`, `tests/events/NAME.json`, `src/<fn>/x.py`\n"
        "```\n./pants run src/here.py:lambda\n./pants test src/moved/test_x.py\n```\n"
        "<!-- docs_steps: skip renames -->\n```\ngit mv src/here.py src/there.py\n```\n"
    )
    (tmp_path / "docs" / "page.md").write_text("Nothing here: src/gone.py is prose.\n")
    assert missing_paths(tmp_path) == [
        "README.md:1: src/gone.py",
        "README.md:4: src/moved/test_x.py",
    ]
