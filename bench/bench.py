#!/usr/bin/env python3
"""The measurements of scripts/bench, which runs `python3 bench/bench.py`: the work is done by the
package notify_bench beside this file (`python3 bench/bench.py --help` describes it)."""

import sys

from notify_bench.main import entry

if __name__ == "__main__":
    sys.exit(entry())
