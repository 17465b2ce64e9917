#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs cmocka test binaries from the repository root, prints each one's own
# summary, then a total. Usage: tests/run-tests.sh SUITE-NAME BINARY...
set -u
suite=$1
shift
failed=()
for bin in "$@"; do
	echo "=== $suite: $bin"
	if ! "$bin"; then
		failed+=("$bin")
	fi
done
echo "=== $suite: $# binaries, ${#failed[@]} failed"
for bin in "${failed[@]}"; do
	echo "FAILED: $bin"
done
[ ${#failed[@]} -eq 0 ]
