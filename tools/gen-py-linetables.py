#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes a line-table fixture for tests/unit/test_py_lines.c: for every code
object of the given source files (compiled by the interpreter running this),
its co_linetable bytes, co_firstlineno and what co_lines() says, as JSON.

Usage: PYTHON tools/gen-py-linetables.py FILE... > tests/fixtures/python/lines-3.X.json
"""
import json
import sys


def code_objects(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from code_objects(const)


def main():
    out = {"version": "%d.%d" % sys.version_info[:2], "codes": []}
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            top = compile(f.read(), path, "exec")
        for code in code_objects(top):
            out["codes"].append({
                "name": code.co_name,
                "firstlineno": code.co_firstlineno,
                "linetable": code.co_linetable.hex(),
                # [start byte, end byte, line or null]
                "lines": [list(r) for r in code.co_lines()],
            })
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
