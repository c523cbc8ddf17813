#!/usr/bin/env python3
"""The repository's pages need nothing outside it: every relative link of README.md and docs/*.md
names a file that exists (and, with #anchor, a heading of that file), and no page cites the
project's private notes (PROTOCOL.md, research/, shared/), which users do not have.

    check_links.py REPOSITORY_ROOT
"""

import os
import re
import sys

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PRIVATE = re.compile(r"PROTOCOL\.md|research/|\bshared/|ama-internals")


def anchors(path):
    """GitHub's anchors for the headings of a markdown file."""
    found = set()
    with open(path, encoding="utf-8") as f:
        in_code = False
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("#"):
                continue
            text = line.lstrip("#").strip().lower()
            text = re.sub(r"[^\w\- ]", "", text)
            found.add(text.replace(" ", "-"))
    return found


def main():
    root = sys.argv[1]
    pages = [os.path.join(root, "README.md")] + sorted(
        os.path.join(root, "docs", name) for name in os.listdir(os.path.join(root, "docs"))
        if name.endswith(".md"))
    problems = []
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for number, line in enumerate(text.splitlines(), 1):
            if PRIVATE.search(line):
                problems.append(f"{page}:{number}: cites a file users do not have: {line.strip()}")
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(resolved):
                problems.append(f"{page}: link to {target}: no such file {resolved}")
            elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                problems.append(f"{page}: link to {target}: no heading #{anchor} there")
    for problem in problems:
        print(problem)
    print(f"{len(pages)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
