#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What memtrace costs, as one table (make bench). Usage: tools/bench.sh [BUILD_DIR]
#
# A. ns per op of tests/bench/workload (malloc/free pairs, new/delete pairs, churn,
#    two threads), untraced, under the empty-probe floor
#    (tests/bench/floor) at function entries and at memtrace's placed sites, and
#    under memtrace --probe-at-entry, default (frame pointers: the workload has
#    them), --stack=none, and --stack=dwarf for every allocation and sampled; memtrace's
#    lost_events (from its snapshot) must stay 0. BENCH_BASE=DIR adds the memtrace
#    built in DIR (DIR/memtrace: a previous build), default options, as a column of
#    its own in the same rounds. Below the table: each configuration's new/delete
#    pair over its malloc/free pair.
# B. ingest rate and memory per live block (ingest_bench).
# C. snapshot write and read back, 1M live blocks over 10k stacks (snapshot_bench).
# D. symbolizing 100k distinct addresses, first pass (symbolize_bench).
#
# Every figure is the median of BENCH_RUNS runs (default 5). The runs go round
# robin, one of every configuration per round, so a drift of the machine (another
# tenant, the clock) hits every configuration alike rather than one of them.
#
# Environment: BENCH_RUNS, BENCH_TRACED_N (default 200000), BENCH_UNTRACED_N
# (default 10000000): iterations of pairs and churn; threads2 runs half as many
# in each of its two threads. A uprobe hit costs 0.5-10 us here; the defaults
# keep the whole bench within a few minutes on 2 vCPUs.
set -u

build=${1:-build}
runs=${BENCH_RUNS:-5}
traced_n=${BENCH_TRACED_N:-200000}
untraced_n=${BENCH_UNTRACED_N:-10000000}
memtrace=$build/memtrace
workload=$build/tests/bench/workload
floor=$build/tests/bench/floor
ingest=$build/tests/bench/ingest_bench
snapshot=$build/tests/bench/snapshot_bench
symbolize=$build/tests/bench/symbolize_bench
preload=$(realpath "$build/libmemtrace_preload.so")

base_dir=${BENCH_BASE:-}
workloads=(pairs newdelete churn threads2)
configs=(untraced floor-entry floor-sites mt-entry mt-default)
notes=()

die() {
	echo "bench: $*" >&2
	exit 1
}

for bin in "$memtrace" "$workload" "$floor" "$snapshot" "$symbolize"; do
	[ -x "$bin" ] || die "$bin is not built: run make bench"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"

if [ "$(id -u)" -ne 0 ]; then
	configs=(untraced)
	notes+=("NOT ROOT: traced configurations skipped (floor and memtrace need BPF)")
else
	configs+=(mt-nostack mt-dwarf mt-dwarf-sampled floor-preload mt-preload)
	if [ -n "$base_dir" ]; then
		[ -x "$base_dir/memtrace" ] || die "BENCH_BASE: $base_dir/memtrace is not built"
		configs+=(mt-base)
	fi
fi
if [ ! -x "$ingest" ]; then
	notes+=("ingest_bench: not built ($ingest is missing): B left out")
	ingest=
fi

tmp=$(mktemp -d /tmp/memtrace-bench.XXXXXX) || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT

label() {
	case $1 in
	untraced) echo "untraced" ;;
	floor-entry) echo "floor @entry" ;;
	floor-sites) echo "floor @sites" ;;
	mt-entry) echo "memtrace --probe-at-entry" ;;
	mt-default) echo "memtrace" ;;
	mt-nostack) echo "--stack=none" ;;
	mt-dwarf) echo "--stack=dwarf, every alloc" ;;
	mt-dwarf-sampled) echo "--stack=dwarf, 1 per 512K" ;;
	floor-preload) echo "floor @preload site" ;;
	mt-preload) echo "memtrace --preload" ;;
	mt-base) echo "base memtrace" ;;
	esac
}

# Says on stderr what failed and why; the table shows a hole and the exit status is 1.
failed() { # WHAT
	echo "bench: failed: $1" >&2
	sed 's/^/bench:   /' "$tmp/err" >&2
	echo "$1" >>"$tmp/failures"
}

iterations() { # CONFIG WORKLOAD
	local n=$traced_n

	[ "$1" = untraced ] && n=$untraced_n
	[ "$2" = threads2 ] && n=$((n / 2))
	echo "$n"
}

# Runs one cell once; appends its ns_per_op (and memtrace's lost_events) to
# $tmp/CONFIG.WORKLOAD(.lost). A failed run is reported and leaves no figure.
run_cell() { # CONFIG WORKLOAD
	local config=$1 w=$2 n out=$tmp/out err=$tmp/err snap=$tmp/snap.json cmd ns lost

	n=$(iterations "$config" "$w")
	cmd=("$workload" "$w" "$n")
	case $config in
	untraced) ;;
	floor-entry) cmd=("$floor" --probe-at-entry -- "${cmd[@]}") ;;
	floor-sites) cmd=("$floor" -- "${cmd[@]}") ;;
	mt-entry) cmd=("$memtrace" --top=1 -o "$snap" --probe-at-entry -- "${cmd[@]}") ;;
	mt-default) cmd=("$memtrace" --top=1 -o "$snap" -- "${cmd[@]}") ;;
	mt-nostack) cmd=("$memtrace" --top=1 -o "$snap" --stack=none -- "${cmd[@]}") ;;
	mt-dwarf)
		cmd=("$memtrace" --top=1 -o "$snap" --stack=dwarf --sample-bytes=0 -- "${cmd[@]}")
		;;
	mt-dwarf-sampled) cmd=("$memtrace" --top=1 -o "$snap" --stack=dwarf -- "${cmd[@]}") ;;
	floor-preload) cmd=("$floor" --preload="$preload" -- "${cmd[@]}") ;;
	mt-preload) cmd=("$memtrace" --top=1 -o "$snap" --preload -- "${cmd[@]}") ;;
	mt-base) cmd=("$base_dir/memtrace" --top=1 -o "$snap" -- "${cmd[@]}") ;;
	esac
	rm -f "$snap"
	if ! "${cmd[@]}" >"$out" 2>"$err"; then
		failed "${cmd[*]}"
		return
	fi
	ns=$(sed -n 's/^ns_per_op \([0-9.]*\)$/\1/p' "$out")
	if [ -z "$ns" ]; then
		echo "no ns_per_op on stdout" >>"$err"
		failed "${cmd[*]}"
		return
	fi
	echo "$ns" >>"$tmp/$config.$w"
	if [[ $config == mt-* ]]; then
		lost=$(grep -o '"lost_events": *[0-9]*' "$snap" 2>/dev/null | grep -o '[0-9]*$')
		echo "${lost:-?}" >>"$tmp/$config.$w.lost"
	fi
}

# Runs a bench program once; each "key value" line of its output is appended
# to $tmp/kv.KEY.
run_kv() { # NAME BINARY [ARGS...]
	local name=$1 out=$tmp/out err=$tmp/err key value

	shift
	if ! "$@" >"$out" 2>"$err"; then
		failed "$name"
		return
	fi
	while read -r key value; do
		[[ $key =~ ^[a-z0-9_]+$ && $value =~ ^[0-9.eE+-]+$ ]] && echo "$value" >>"$tmp/kv.$key"
	done <"$out"
}

median() { # FILE: median of the numbers in it, or "-"
	[ -s "$1" ] || {
		echo "-"
		return
	}
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fmt_ns() { # NUMBER|-
	case $1 in
	-) echo "fail" ;;
	*) awk -v v="$1" 'BEGIN { printf(v < 100 ? "%.1f" : "%.0f", v) }' ;;
	esac
}

ratio() { # A B
	[ "$1" = - ] || [ "$2" = - ] && {
		echo "-"
		return
	}
	awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", b > 0 ? a / b : 0) }'
}

spread() { # FILE: (max - min) / median of the runs, in percent
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf("%.0f\n", m > 0 ? 100 * (v[NR] - v[1]) / m : 0) }'
}

max_lost() { # FILE: the largest lost_events of the runs ("?" when a snapshot had none)
	[ -s "$1" ] || {
		echo "-"
		return
	}
	if grep -q '?' "$1"; then
		echo "?"
	else
		sort -g "$1" | tail -n 1
	fi
}

# Prints rows of cells separated by tabs as an aligned Markdown table. The
# first row is the header; a column of figures is right-aligned, text left.
print_table() {
	awk -F'\t' '
		{
			for (i = 1; i <= NF; i++) {
				cell[NR, i] = $i
				if (length($i) > w[i])
					w[i] = length($i)
				if (NR > 1 && $i !~ /^([0-9.\/?-]+|fail)$/)
					text[i] = 1
			}
			if (NF > nf)
				nf = NF
		}
		END {
			for (r = 1; r <= NR; r++) {
				line = "|"
				for (i = 1; i <= nf; i++)
					line = line sprintf(" %" (text[i] ? "-" : "") w[i] "s |", cell[r, i])
				print line
				if (r > 1)
					continue
				line = "|"
				for (i = 1; i <= nf; i++) {
					dash = sprintf("%" w[i] "s", "")
					gsub(/ /, "-", dash)
					line = line (text[i] ? ":" dash "-|" : "-" dash ":|")
				}
				print line
			}
		}'
}

start=$(date +%s)
for ((r = 1; r <= runs; r++)); do
	echo "bench: round $r of $runs" >&2
	for w in "${workloads[@]}"; do
		for c in "${configs[@]}"; do
			run_cell "$c" "$w"
		done
	done
	# one repetition a round: the rounds give the median
	[ -n "$ingest" ] && run_kv ingest_bench "$ingest" 1
	run_kv snapshot_bench "$snapshot"
	run_kv symbolize_bench "$symbolize"
done
elapsed=$(($(date +%s) - start))

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "memtrace bench, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), ${cpu:-unknown CPU}" \
	"($(nproc) vCPUs); median of $runs runs per cell, round robin; took ${elapsed}s"
echo
echo "A. ns per op: pairs = one malloc(64)+free; newdelete = one new char[64]+delete[];"
echo "   churn = one malloc/calloc/realloc/free call;"
echo "   threads2 = one pair in each of two threads running at once. Iterations: untraced" \
	"$untraced_n, traced $traced_n (threads2: half of it per thread)."
echo
{
	header="workload"
	for c in "${configs[@]}"; do
		header+=$'\t'"$(label "$c")"
	done
	[[ " ${configs[*]} " == *" mt-default "* ]] &&
		header+=$'\t'"memtrace / floor @sites"$'\t'"floor @entry / floor @sites"
	[[ " ${configs[*]} " == *" mt-preload "* ]] &&
		header+=$'\t'"--preload / floor @preload"
	[[ " ${configs[*]} " == *" mt-"* ]] && header+=$'\t'"lost_events"
	echo "$header"
	for w in "${workloads[@]}"; do
		row="$w"
		lost=()
		for c in "${configs[@]}"; do
			m=$(median "$tmp/$c.$w")
			declare "med_${c//-/_}=$m"
			row+=$'\t'"$(fmt_ns "$m")"
			[[ $c == mt-* ]] && lost+=("$(max_lost "$tmp/$c.$w.lost")")
		done
		if [[ " ${configs[*]} " == *" mt-default "* ]]; then
			row+=$'\t'"$(ratio "$med_mt_default" "$med_floor_sites")"
			row+=$'\t'"$(ratio "$med_floor_entry" "$med_floor_sites")"
		fi
		[[ " ${configs[*]} " == *" mt-preload "* ]] &&
			row+=$'\t'"$(ratio "$med_mt_preload" "$med_floor_preload")"
		[ ${#lost[@]} -gt 0 ] && row+=$'\t'"$(
			IFS=/
			echo "${lost[*]}"
		)"
		echo "$row"
	done
} | print_table
echo
for w in "${workloads[@]}"; do
	for c in "${configs[@]}"; do
		[ -s "$tmp/$c.$w" ] && echo "$(spread "$tmp/$c.$w") $w, $(label "$c")"
	done
done | sort -n | awk '{ p[NR] = $1; $1 = ""; cell = $0 }
	END { if (NR) printf("Run-to-run spread, (max - min) / median of a cell: median %d%%," \
			     " largest %d%% (%s).\n", p[int((NR + 1) / 2)], p[NR], substr(cell, 2)) }'
if [[ " ${configs[*]} " == *" mt-"* ]]; then
	echo "lost_events: the largest of the runs, per memtrace column left to right; must be 0."
fi
[ -n "$base_dir" ] && echo "base memtrace: $(realpath "$base_dir/memtrace")."
# new/delete at malloc's price: the C++ pair over the C pair, configuration by configuration
line=""
for c in "${configs[@]}"; do
	r=$(ratio "$(median "$tmp/$c.newdelete")" "$(median "$tmp/$c.pairs")")
	line+="${line:+, }$(label "$c") $r"
done
echo "newdelete / pairs (a new/delete pair over a malloc/free pair): $line."

echo
echo "B-D. end-to-end costs of the user side"
echo
{
	printf 'figure\tmedian\tmeaning\n'
	kv() { # KEY MEANING
		printf '%s\t%s\t%s\n' "$1" "$(median "$tmp/kv.$1")" "$2"
	}
	extra() { # KEY MEANING: shown only when the bench reports it
		[ -s "$tmp/kv.$1" ] && kv "$@"
	}
	if [ -n "$ingest" ]; then
		kv ingest_events_per_s "B. records per second: 1M allocations + 1M frees, as pairs"
		kv ingest_ns_per_event "B. ns per record, the same"
		extra churn_events_per_s "B. records per second: 1M allocations, 300k live at the peak"
		extra hold_events_per_s "B. records per second, 1M of 1.5M allocations left live"
		kv bytes_per_live_alloc "B. memtrace's memory per live allocation, 1M live"
		extra bytes_per_live_alloc_worst "B. the most seen with 64Ki or more live"
	else
		printf 'ingest_bench\tnot built\tB. left out\n'
	fi
	kv leaks_collect_s "C. s to group 1M live blocks by stack (leaks__collect)"
	kv snapshot_write_s "C. s to write the snapshot, 10k stacks symbolized"
	kv snapshot_read_s "C. s to read it back (jansson)"
	kv snapshot_bytes "C. snapshot size in bytes"
	kv symbolize_100k_s "D. s to symbolize 100k distinct addresses, cold"
	kv symbolize_named "D. share of them named (libc6-dbg names glibc's static functions)"
	kv symbolize_checked "D. of them checked against dladdr1, all agreeing"
} | print_table

for note in "${notes[@]}"; do
	echo "NOTE: $note"
done
status=0
if [ -s "$tmp/failures" ]; then
	echo "FAIL: $(wc -l <"$tmp/failures") runs failed (see above), first: $(head -n 1 "$tmp/failures")"
	status=1
fi
for f in "$tmp"/*.lost; do
	[ -e "$f" ] || continue
	grep -qv '^0$' "$f" || continue
	case $(basename "$f") in
	mt-dwarf.*)
		# a 16 KiB copy and an unwind per allocation outrun the consumer by design:
		# counted, shown, and the reason sampling exists
		echo "NOTE: --stack=dwarf for every allocation lost events in" \
			"$(basename "$f" .lost) (counted in the snapshot): sample instead"
		;;
	*)
		echo "FAIL: memtrace lost events in $(basename "$f" .lost)"
		status=1
		;;
	esac
done
exit $status
