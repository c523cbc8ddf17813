#!/usr/bin/env python3
"""Runs a documentation page as a test, so that its commands and code cannot rot.

    run_page.py PAGE.md

In a new scratch folder: every fenced block preceded by a line `<!-- file: NAME -->` is written
there as NAME; then every ```sh block, in page order, runs in one bash session (`set -euo
pipefail`, so the first failing command fails the test), with the scratch folder as its working
directory and its TMPDIR (sandboxes left by a failing command are stopped). Blocks of other languages (json, python, text) run only through the sh blocks that use
their files. PATH and PYTHONPATH come from the caller (CMake gives the built tools and clients/).
Prints each sh block before it runs; exits with bash's status.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w*)\s*$")
FILE_MARK = re.compile(r"^<!-- file: ([A-Za-z0-9._/-]+) -->\s*$")


def blocks(lines):
    """(language, file name or None, text, line number) for each fenced block."""
    pending_name = None
    i = 0
    while i < len(lines):
        mark = FILE_MARK.match(lines[i])
        if mark:
            pending_name = mark.group(1)
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence and fence.group(1):
            start = i + 1
            j = start
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            if j == len(lines):
                raise SystemExit(f"line {i + 1}: a ``` block is never closed")
            yield fence.group(1), pending_name, "".join(lines[start:j]), i + 1
            pending_name = None
            i = j + 1
            continue
        if lines[i].strip():
            pending_name = None
        i += 1


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: run_page.py PAGE.md")
    page = sys.argv[1]
    with open(page, encoding="utf-8") as f:
        lines = f.readlines()
    scratch = tempfile.mkdtemp(prefix="amahost-page-")
    script = ["set -euo pipefail"]
    try:
        for language, name, text, line in blocks(lines):
            if name:
                if name.startswith("/") or ".." in name.split("/"):
                    raise SystemExit(f"line {line}: file name {name} leaves the scratch folder")
                path = os.path.join(scratch, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            elif language == "sh":
                script.append(f"printf '%s\\n' {shell_quote(f'--- {os.path.basename(page)} line {line}')}")
                script.append(text)
        # Sandboxes the page starts go under the scratch folder, so that a failing command's
        # leftovers are found and stopped below.
        env = dict(os.environ, TMPDIR=scratch)
        result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=scratch, env=env,
                                check=False)
        for entry in os.listdir(scratch):
            if os.path.exists(os.path.join(scratch, entry, "sandbox.json")):
                subprocess.run(["amactl", "sandbox", "down", "--dir", os.path.join(scratch, entry)],
                               check=False)
        if result.returncode != 0:
            print(f"FAIL: a command of {page} failed (exit {result.returncode}); see above")
        return result.returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    sys.exit(main())
