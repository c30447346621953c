"""The documented steps, run as written, in order, in a scratch copy of the working tree.

The commands are read from the Markdown itself, so a page cannot drift from what runs: every
fenced block of each section below, as one bash script (`set -euo pipefail`) at the copy's
root, in the order a reader meets them:

- README.md: "Quick start", "Deploy" (the rehearsal);
- docs/forking.md: each step of "Step by step", and after each step that changed the tree,
  the page's check (the block marked `check`), then a commit, as the guide says.

A block preceded by `<!-- docs_steps: skip WHY -->` is not run (a clone, AWS, a server that
stays up) and WHY is printed; `<!-- docs_steps: check -->` marks a page's green check. The
first failing block or check stops the run, naming its page, line and step.

Before the walk, every repository path that README.md and docs/*.md write as code (in a code
span or a block that runs) must exist in the tree: a renamed file is named, not discovered by
a reader. Placeholders (`NAME`, `<fn>`, globs) are not paths.

    PYTHONPATH=src/python python3 -m lambda_devkit.docs_steps [--keep DIR] [--list] [--only PAGE]

Standard library only, and plain python3, not `./pants run`: the copy's own `./pants` starts a
pantsd of its own there (stopped at the end), and an outer `./pants run` would hold this
tree's. CI runs it (.ci/run); it takes minutes, so `./pants test ::` runs only its parsing.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lambda_devkit.worktree import copy_working_tree, stop_pantsd

FENCE = re.compile(r"^(\s*)(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MARKER = re.compile(r"^\s*<!--\s*docs_steps:\s*(skip|check)\b\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: where it starts, its text, and its marker (None, skip or check)."""

    page: str
    line: int
    script: str
    marker: str | None = None
    why: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and the fenced blocks under it, before the next heading of any level."""

    page: str
    level: int
    title: str
    line: int
    blocks: tuple[Block, ...]


def sections(page: str, text: str) -> list[Section]:
    """Every heading of `text` with the blocks under it (a fence may be indented, in a list)."""
    found: list[Section] = []
    title, level, start, blocks = "", 0, 1, []
    fence: tuple[str, str] | None = None  # (indent, delimiter) of the open block
    body: list[str] = []
    marker: tuple[str, str] | None = None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(2) == fence[1] and not line.strip()[3:]:
                kind, why = marker or (None, "")
                blocks.append(Block(page, number - len(body), "\n".join(body), kind, why))
                fence, body, marker = None, [], None
            else:
                body.append(line[len(fence[0]) :] if line.startswith(fence[0]) else line.lstrip())
            continue
        if opened:
            fence = (opened.group(1), opened.group(2))
            continue
        heading = HEADING.match(line)
        if heading:
            found.append(Section(page, level, title, start, tuple(blocks)))
            level, title, start, blocks = len(heading.group(1)), heading.group(2), number, []
            marker = None
            continue
        tagged = MARKER.match(line)
        if tagged:
            marker = (tagged.group(1), tagged.group(2))
        elif line.strip():
            marker = None  # a marker names the block right after it (blank lines between)
    found.append(Section(page, level, title, start, tuple(blocks)))
    return found[1:] if not found[0].title and not found[0].blocks else found


def section(page: str, text: str, title: str) -> Section:
    matches = [s for s in sections(page, text) if s.title == title]
    if len(matches) != 1:
        raise SystemExit(f"{page} has {len(matches)} headings {title!r}, not one")
    return matches[0]


def subsections(page: str, text: str, title: str) -> list[Section]:
    """The sections nested under the heading `title`, in order."""
    every = sections(page, text)
    parent = section(page, text, title)
    at = every.index(parent)
    nested = []
    for s in every[at + 1 :]:
        if s.level <= parent.level:
            break
        nested.append(s)
    return nested


# A repository path: under one of the tree's top-level directories.
PATH = re.compile(
    r"(?<![\w./-])((?:src|tests|docs|infra|pants-plugins|3rdparty|\.ci|\.github)/[\w./*{},<>$-]*)"
)
CODE_SPAN = re.compile(r"`([^`]+)`")
PLACEHOLDER = re.compile(r"[*{}<>$]|(?:^|/)[A-Z_]+(?:\.\w+)?(?:/|$)")


def paths_in(code: str) -> list[str]:
    """The repository paths in a line of code; a Pants address's target (`dir:name`) dropped."""
    found = [re.sub(r":[\w-]*$", "", p.rstrip(".,;)")) for p in PATH.findall(code)]
    return [p for p in found if not PLACEHOLDER.search(p) and not p.startswith("dist/")]


def written_paths(page: str, text: str) -> list[tuple[int, str]]:
    """(line, path) for each repository path `text` writes as code: in a code span, or in a
    block that is not skipped."""
    found = []
    fenced: set[int] = set()
    for block in (b for s in sections(page, text) for b in s.blocks):
        lines = block.script.splitlines()
        fenced.update(range(block.line - 1, block.line + len(lines) + 1))  # with its fences
        if block.marker != "skip":
            found += [(block.line + n, p) for n, line in enumerate(lines) for p in paths_in(line)]
    for number, line in enumerate(text.splitlines(), start=1):
        if number not in fenced:
            found += [(number, p) for code in CODE_SPAN.findall(line) for p in paths_in(code)]
    return sorted(found)


def missing_paths(root: Path) -> list[str]:
    """`page:line: path` for each path README.md or docs/*.md writes that `root` lacks."""
    pages = [root / README, *sorted((root / "docs").glob("*.md"))]
    return [
        f"{page.relative_to(root)}:{number}: {path}"
        for page in pages
        for number, path in written_paths(str(page), page.read_text())
        if not (root / path).exists()
    ]


@dataclass(frozen=True)
class Step:
    """What a reader runs for one section, and whether the page's check follows it."""

    section: Section
    then_check: Block | None = None

    @property
    def name(self) -> str:
        return f"{self.section.page}: {self.section.title}"


README = "README.md"
FORKING = "docs/forking.md"
README_STEPS = ["Quick start", "Deploy"]
FORKING_STEPS = "Step by step"


def plan(root: Path, pages: tuple[str, ...] = (README, FORKING)) -> list[Step]:
    """The steps, read from the pages under `root`: the README's, then the forking guide's."""
    readme = (root / README).read_text()
    steps = [Step(section(README, readme, title)) for title in README_STEPS]
    if FORKING not in pages:
        return steps
    if README not in pages:
        steps = []
    forking = (root / FORKING).read_text()
    checks = [b for s in sections(FORKING, forking) for b in s.blocks if b.marker == "check"]
    if len(checks) != 1:
        raise SystemExit(f"{FORKING} marks {len(checks)} blocks as its check, not one")
    nested = subsections(FORKING, forking, FORKING_STEPS)
    if not nested:
        raise SystemExit(f"{FORKING}: no steps under {FORKING_STEPS!r}")
    return steps + [Step(s, then_check=checks[0]) for s in nested]


def scratch_copy(repo: Path, dest: Path) -> None:
    """The working tree as a new git repository of one commit: the guide's steps use git."""
    copy_working_tree(repo, dest)
    git(dest, "init", "-q")
    commit(dest, "the working tree")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    identity = ["-c", "user.name=docs_steps", "-c", "user.email=docs_steps@localhost"]
    git(root, *identity, "commit", "-q", "--allow-empty", "-m", message)


def run(block: Block, root: Path, env: dict[str, str]) -> None:
    where = f"{block.page}:{block.line}"
    if block.marker == "skip":
        print(f"--- {where}: not run: {block.why}", flush=True)
        return
    print(f"--- {where}\n{block.script}", flush=True)
    started = time.monotonic()
    # A session of its own, so that a walk stopped midway stops the block's processes too.
    script = subprocess.Popen(
        ["bash", "-c", "set -euo pipefail\n" + block.script],
        cwd=root,
        env=env,
        start_new_session=True,
    )
    try:
        returncode = script.wait()
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGTERM)
            script.wait()
    print(f"--- {where}: exit {returncode}, {time.monotonic() - started:.0f} s")
    if returncode != 0:
        raise SystemExit(f"{where}: the block failed (exit {returncode})")


def walk(steps: list[Step], root: Path, env: dict[str, str]) -> None:
    for step in steps:
        print(f"\n=== {step.name}", flush=True)
        for block in step.section.blocks:
            run(block, root, env)
        if step.then_check is None:
            continue
        if not git(root, "status", "--porcelain"):
            print("--- the tree is unchanged: nothing to check", flush=True)
            continue
        try:
            run(step.then_check, root, env)
        except SystemExit:
            print(git(root, "status", "--short"))
            raise SystemExit(f"{step.name}: the tree is not green after this step") from None
        commit(root, step.name)


def pants_env() -> dict[str, str]:
    """The caller's environment (CI's config files and caches included), with pantsd on: one
    daemon in the copy serves its dozens of invocations."""
    return {**os.environ, "PANTS_PANTSD": "true"}


@contextmanager
def scratch(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=False)
        yield keep
        return
    # pantsd may still be writing its last files as the copy goes.
    with tempfile.TemporaryDirectory(prefix="docs-steps-", ignore_cleanup_errors=True) as tmp:
        yield Path(tmp) / "calculator"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="make the copy here, and leave it")
    parser.add_argument("--list", action="store_true", help="print the steps; run nothing")
    parser.add_argument(
        "--only", choices=[README, FORKING], help="run one page's steps, not both, in order"
    )
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[3]
    missing = missing_paths(repo)
    if missing:
        raise SystemExit("paths the docs name that do not exist:\n" + "\n".join(missing))
    steps = plan(repo, (args.only,) if args.only else (README, FORKING))
    if args.list:
        for step in steps:
            print(f"=== {step.name}" + (" (then the check)" if step.then_check else ""))
            for block in step.section.blocks:
                print(f"--- {block.page}:{block.line} {block.marker or ''} {block.why}")
                print(block.script)
        return
    # SIGTERM (CI's cleanup, a kill) unwinds like Ctrl-C: the block's processes and the copy's
    # pantsd are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with scratch(args.keep) as root:
        scratch_copy(repo, root)
        # After the copy: a caller running the walk beside other work (.ci/run) waits for this
        # line before changing the tree.
        print(f"copied {repo} to {root}", flush=True)
        started = time.monotonic()
        try:
            walk(steps, root, pants_env())
        finally:
            stop_pantsd(root)
        print(
            f"\nevery documented step ran and the tree was green after each: "
            f"{time.monotonic() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
