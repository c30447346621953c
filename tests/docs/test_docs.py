"""The docs hold together: every relative link and #anchor resolves, and no page reads as a
diary of how the work went."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path()
# What a link may point at must be in the sandbox: the `docs` target and this test's BUILD.
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "pants-plugins" / "README.md",
]
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def outside_fences(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def prose(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks, with inline code blanked: `[x](y)` there is no link."""
    return [(number, CODE_SPAN.sub("``", line)) for number, line in outside_fences(text)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces as -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every #fragment a link to `page` may use; repeated headings get -1, -2..., as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = page.read_text()
    for _, line in outside_fences(text):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    found.update(HTML_ANCHOR.findall(text))
    return found


def links(page: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in prose(page.read_text()):
        found += [(number, target) for target in INLINE_LINK.findall(line)]
        reference = REFERENCE.match(line)
        if reference:
            found.append((number, reference.group(1)))
    return found


def broken_links(pages: list[Path], root: Path) -> list[str]:
    """Each relative link or anchor in `pages` that does not resolve, as `page:line: why`."""
    problems = []
    top = root.resolve()
    for page in pages:
        for number, target in links(page):
            if SCHEME.match(target):
                continue  # a web address: not this check's business
            where = f"{page.relative_to(root)}:{number}: {target}"
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page.resolve()
            if not linked.is_relative_to(top):
                problems.append(f"{where}: points outside the repository")
            elif not linked.exists():
                problems.append(f"{where}: no such file")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
                problems.append(f"{where}: {linked.relative_to(top)} has no heading #{fragment}")
    return problems


# Phrases that record how the work went, not what a user needs. Git history keeps that.
DIARY = [
    "final commit",
    "this commit",
    "previous commit",
    "before this work",
    "measured by hand",
    "acceptance bar",
    "(bar:",
]
# A date on its own (not a timestamp in sample output, which has a T after it).
DATED = re.compile(r"\b20\d\d-\d\d-\d\d\b(?!T)")


def diary_phrases(pages: list[Path], root: Path) -> list[str]:
    found = []
    for page in pages:
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            where = f"{page.relative_to(root)}:{number}"
            found += [f"{where}: {p!r}" for p in DIARY if p in line.lower()]
            found += [f"{where}: dated {d!r}" for d in DATED.findall(line)]
    return found


def test_the_docs_are_in_the_sandbox() -> None:
    # Were the `docs` target to lose a page, the checks below would pass over nothing.
    assert (ROOT / "README.md").is_file()
    assert len(PAGES) >= 5, PAGES


def test_every_relative_link_and_anchor_resolves() -> None:
    broken = broken_links(PAGES, ROOT)
    assert not broken, "links that do not resolve:\n" + "\n".join(broken)


def test_no_page_reads_as_a_diary() -> None:
    # Docs say what is; how the work went belongs in commit messages.
    found = diary_phrases(PAGES, ROOT)
    assert not found, "diary phrases in the docs:\n" + "\n".join(found)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Bodies are JSON, however they travel\n\n## `serve` options\n\n"
        "## `aws_lambda_backport`: what_it_does\n\n"
        "## Steps\n\n## Steps\n\n```\n## not a heading\n```\n"
    )
    return tmp_path


def check(site: Path, markdown: str) -> list[str]:
    (site / "README.md").write_text(markdown)
    return broken_links([site / "README.md"], site)


def test_links_and_anchors_that_resolve_pass(site: Path) -> None:
    markdown = (
        "[a](docs/guide.md) [b](docs/guide.md#bodies-are-json-however-they-travel) "
        "[c](docs/guide.md#serve-options) [d](docs/guide.md#steps-1) [e](#top) [f](docs/)\n"
        "[u](docs/guide.md#aws_lambda_backport-what_it_does)\n"
        "[g](https://example.com/nowhere) `[h](not/a/link.md)`\n\n# Top\n"
    )
    assert check(site, markdown) == []


def test_a_link_to_a_missing_file_is_named(site: Path) -> None:
    assert check(site, "# T\n\nsee [the guide](docs/gide.md)\n") == [
        "README.md:3: docs/gide.md: no such file"
    ]


def test_a_link_to_a_missing_anchor_is_named(site: Path) -> None:
    assert check(site, "[x](docs/guide.md#bodies-are-json)\n[y](#nowhere)\n") == [
        "README.md:1: docs/guide.md#bodies-are-json: docs/guide.md has no heading #bodies-are-json",
        "README.md:2: #nowhere: README.md has no heading #nowhere",
    ]


def test_a_heading_inside_a_code_block_is_no_anchor(site: Path) -> None:
    assert check(site, "[x](docs/guide.md#not-a-heading)\n") != []


def test_a_link_out_of_the_repository_is_named(site: Path) -> None:
    assert check(site, "[x](../../etc/passwd)\n") == [
        "README.md:1: ../../etc/passwd: points outside the repository"
    ]


def test_diary_phrases_and_dates_are_found(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text(
        "Measured on the final commit, 2026-11-27 (bar: 5x).\n"
        '{"timestamp":"2026-11-27T18:07:55.108+00:00"}\n'
    )
    assert diary_phrases([page], tmp_path) == [
        "README.md:1: 'final commit'",
        "README.md:1: '(bar:'",
        "README.md:1: dated '2026-11-27'",
    ]
