#!/usr/bin/env python3
"""No Catch2 test name may contain ';': CTest splits names there, so such a test ran as a
truncated name that matched no test case and passed without running anything (four did).

    check_test_names.py TESTS_FOLDER
"""

import os
import re
import sys

# TEST_CASE( followed by one or more adjacent string literals (a name split across lines).
NAME = re.compile(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def main():
    bad, seen = [], 0
    for folder, _, files in os.walk(sys.argv[1]):
        for name in files:
            if not name.endswith(".cc"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for match in NAME.finditer(text):
                seen += 1
                test_name = "".join(LITERAL.findall(match.group(1)))
                if ";" in test_name:
                    line = text.count("\n", 0, match.start()) + 1
                    bad.append(f"{path}:{line}: {test_name}")
    for entry in bad:
        print("a test name with ';' (CTest cuts it there and runs nothing):", entry)
    print(f"{seen} test names checked, {len(bad)} with ';'")
    return 1 if bad or seen == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
