#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A function of user/ reads on one or two screens: its body, from the "{"
# to the "}" that kernel style puts at column 0, is at most LIMIT lines
# (120). Usage: tools/check-function-length.sh [ROOT [LIMIT]]; prints each
# function over the limit and exits 1, else prints one line and exits 0.
set -u
cd "${1:-.}" || exit 2
limit=${2:-120}

awk -v limit="$limit" '
	FNR == 1 { start = 0 }
	/^[A-Za-z_].*\(/ { name = $0 }
	/^\{/ { start = FNR }
	/^\}/ && start {
		if (FNR - start + 1 > limit) {
			printf "check-function-length: %s:%d: %d lines, over %d: %s\n",
				FILENAME, start, FNR - start + 1, limit, name > "/dev/stderr"
			bad = 1
		}
		start = 0
	}
	END {
		if (!bad)
			printf "check-function-length: every function of user/ is %d lines or less\n",
				limit
		exit bad
	}' user/*.c user/*/*.c
