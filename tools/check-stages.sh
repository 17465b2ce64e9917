#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The folders of user/ are the stages of memtrace's data path, in the order
# below: a file may include headers of its own stage and of earlier ones, never
# of a later one, so that the arrows between folders run one way. Every source
# but main.c lives in a stage folder, and names its headers by folder
# ("account/process.h"). Usage: tools/check-stages.sh [ROOT]; prints each
# offending line and exits 1, else prints one line and exits 0.
set -u
cd "${1:-.}" || exit 2
stages=(util symbolize attach account ingest output compare render cli)
declare -A rank
for i in "${!stages[@]}"; do rank[${stages[$i]}]=$i; done
bad=0

complain() {
	echo "check-stages: $*" >&2
	bad=1
}

for f in user/*.c user/*.h; do
	[ -e "$f" ] && [ "$f" != user/main.c ] && complain "$f: not in a stage folder"
done
for dir in user/*/; do
	stage=$(basename "$dir")
	[ "$stage" = preload ] && continue
	[ -n "${rank[$stage]:-}" ] || complain "$dir: not a stage (${stages[*]})"
done

for stage in "${stages[@]}"; do
	for f in user/"$stage"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS=: read -r line inc; do
			inc=${inc#*\"}
			inc=${inc%\"*}
			to=${inc%%/*}
			if [ "$to" = "$inc" ]; then
				# the generated skeleton is the only header found outside user/
				[ "$inc" = memtrace.skel.h ] && continue
				complain "$f:$line: #include \"$inc\" names no stage folder"
			elif [ -z "${rank[$to]:-}" ]; then
				complain "$f:$line: #include \"$inc\": no stage $to"
			elif [ "${rank[$to]}" -gt "${rank[$stage]}" ]; then
				complain "$f:$line: $stage includes $inc of a later stage"
			fi
		done < <(grep -n '^#include "' "$f")
	done
done
[ "$bad" -eq 0 ] && echo "check-stages: user/ includes run ${stages[*]// / -> }"
exit "$bad"
