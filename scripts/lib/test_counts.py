#!/usr/bin/env python3
"""Counts test results for scripts/test; prints "PASSED FAILED SKIPPED".

  test_counts.py swift LOG XUNIT   swift test: XCTest cases from the console LOG
                                   ("Test Case 'X.y' passed|failed|skipped (...)"), Swift Testing
                                   tests from XUNIT-swift-testing.xml (what --xunit-output writes
                                   for Swift Testing), or from LOG if that file is missing.
  test_counts.py junit FILE        a JUnit XML file (pytest --junitxml).

A test counts once, whatever the number of failed expectations in it (Swift Testing's and
XCTest's own summaries count issues and assertion failures, not tests).
"""

import re
import sys
import xml.etree.ElementTree as ET


def junit_counts(path):
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


XCTEST_CASE = re.compile(r"^Test Case '(?P<name>.+)' (?P<result>passed|failed|skipped) \(")
# Swift Testing console lines, e.g. "✔ Test passes() passed after 0.001 seconds." or
# "✘ Test param(x:) with 3 test cases failed after ...", "➜ Test slow() skipped."
SWIFT_TESTING_CASE = re.compile(
    r"^\S+ Test (?P<name>.+?)(?: with \d+ test cases?)? (?P<result>passed|failed|skipped)(?: after |\.?$)"
)


def swift_counts(log_path, xunit_path):
    results = {}
    swift_testing_console = {}
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
            match = XCTEST_CASE.match(line)
            if match:
                results["xctest:" + match["name"]] = match["result"]
                continue
            match = SWIFT_TESTING_CASE.match(line)
            if match and not match["name"].startswith("run with"):
                swift_testing_console["swift-testing:" + match["name"]] = match["result"]

    passed = sum(1 for r in results.values() if r == "passed")
    failed = sum(1 for r in results.values() if r == "failed")
    skipped = sum(1 for r in results.values() if r == "skipped")

    swift_testing_xml = re.sub(r"\.xml$", "", xunit_path) + "-swift-testing.xml"
    try:
        p, f, s = junit_counts(swift_testing_xml)
    except (OSError, ET.ParseError):  # missing, or cut short by a crash: count from the console
        values = swift_testing_console.values()
        p = sum(1 for r in values if r == "passed")
        f = sum(1 for r in values if r == "failed")
        s = sum(1 for r in values if r == "skipped")
    return passed + p, failed + f, skipped + s


def main(argv):
    if len(argv) == 4 and argv[1] == "swift":
        counts = swift_counts(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "junit":
        counts = junit_counts(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(*counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
