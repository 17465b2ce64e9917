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
#    lost_events (from its snapshot) must stay 0; with BENCH_BASELINE, that build's
#    memtrace (default options) as a column of its own. Below the table: each
#    configuration's new/delete pair over its malloc/free pair.
# B. ingest rate and memory per live block (ingest_bench).
# C. snapshot write and read back, 1M live blocks over 10k stacks (snapshot_bench);
#    memtrace top's refresh from the same summary, the first and a later one.
# D. symbolizing 100k distinct addresses, first pass (symbolize_bench); again over
#    libstdc++ alone, whose C++ names are demangled.
# E. memtrace's own time around a program (tests/bench/edges): from its start
#    to CMD's first line, and from CMD's last line to its return, for a C
#    program, a C++ one and one that loads the CUDA test double late; beside
#    the build BENCH_BASELINE names (a git revision, built in BUILD_DIR/baseline),
#    when set, in the same rounds.
# F. the in-kernel DWARF unwinder (--stack=kernel-dwarf, the default where the
#    kernel has bpf_loop): ns per op of tests/bench/workload_nofp (the same
#    source without frame pointers, every allocator call at the bottom of a
#    10-deep chain) on pairs, churn and threads2, under --stack=none,
#    kernel-dwarf, fp, dwarf for every allocation and dwarf sampled; kernel-dwarf
#    over none (issue 14's bar: at most 1.5x with no lost events; a workload
#    that misses it gets a NOTE, the bench does not fail for it) and its cost
#    per stack, in ns. Then the unwind tables of libc, libpython, python3.11
#    and libstdc++ (unwind_table_bench): rows, bytes, build time.
# P. Python frames (issue 15): ns per op of tests/bench/py_chain.py under Debian's
#    python3.11 (one bytearray(4096) allocated and dropped per op, at the bottom of a
#    20-deep Python call chain: one malloc and one free of 4097 bytes), bare, under
#    memtrace --python=off and under memtrace (default: Python frames in every stack),
#    in the same rounds; default over --python=off (issue 15's bar: at most 1.5x with no
#    lost events; missed: a NOTE, as in F), the Python walk's cost per stack in ns, the
#    stacks taken and the Python frames in the loop's site (0 with --python=off; none in
#    the default run means the walk did not run and the ratio says nothing).
# R. the per-thread resource probes (issue 17): ns per op of tests/bench/res_workload
#    untraced, under memtrace (resource probes on, the default) and under memtrace
#    --no-resources, in the same rounds: pairs (a malloc+free: per allocation), syscall
#    (getppid: a system call no resource probe sees), pingpong (a byte each way between two
#    threads over pipes: wakeups and context switches), udp (a datagram to itself over
#    loopback: socket calls), fault (a fresh page written: a minor fault); the resource
#    probes' cost per op is the difference of the two memtrace columns.
# H. the HTML report of 2000 sites x 60 frames (~77k flame graph nodes, tests/bench/html_bench.js):
#    memtrace report --format html's time, and in headless Chromium the page's time to ready,
#    a flame graph redraw and a search.
#
# Every figure is the median of BENCH_RUNS runs (default 5). The runs go round
# robin, one of every configuration per round, so a drift of the machine (another
# tenant, the clock) hits every configuration alike rather than one of them.
#
# Environment: BENCH_SECTIONS (default ABEFPRH: which of A, B-D (any of B, C, D), E, F, P, R and
# H to run), BENCH_RES_N (default 20000: R's iterations but for pairs, which take
# BENCH_TRACED_N),
# BENCH_RUNS, BENCH_TRACED_N (default 200000), BENCH_UNTRACED_N
# (default 10000000): iterations of pairs and churn; threads2 runs half as many
# in each of its two threads. BENCH_NOFP_N (default BENCH_TRACED_N / 4): the
# same for F, whose 15 runs a round took 80 s here at 200000 iterations, and 75 s
# at 50000 with another memtrace tracing the machine (a run's start and exit,
# tables built and stacks symbolized, weigh as much as its loop). BENCH_PY_N (default
# BENCH_NOFP_N): iterations of P's loop; BENCH_PYTHON (default /usr/bin/python3.11):
# its interpreter. A uprobe hit
# costs 0.5-15 us here; the defaults keep the whole bench within a few minutes
# on 2 vCPUs.
set -u

build=${1:-build}
runs=${BENCH_RUNS:-5}
traced_n=${BENCH_TRACED_N:-200000}
untraced_n=${BENCH_UNTRACED_N:-10000000}
nofp_n=${BENCH_NOFP_N:-$((traced_n / 4))}
py_n=${BENCH_PY_N:-$nofp_n}
python=${BENCH_PYTHON:-/usr/bin/python3.11}
py_chain=tests/bench/py_chain.py
memtrace=$build/memtrace
workload=$build/tests/bench/workload
workload_nofp=$build/tests/bench/workload_nofp
unwind_tables=$build/tests/bench/unwind_table_bench
floor=$build/tests/bench/floor
ingest=$build/tests/bench/ingest_bench
snapshot=$build/tests/bench/snapshot_bench
symbolize=$build/tests/bench/symbolize_bench
edges=$build/tests/bench/edges
preload=$(realpath "$build/libmemtrace_preload.so")
baseline=${BENCH_BASELINE:-}
sections=${BENCH_SECTIONS:-ABEFPRH}
res_n=${BENCH_RES_N:-20000}
res_workload=$build/tests/bench/res_workload
res_workloads=(pairs syscall pingpong udp fault)
res_configs=(res-bare res-on res-off res-top)
has() { [[ $sections == *"$1"* ]]; }
# A - B in ns with its sign, "-" when either is missing.
difference() { # A B
	if [ "$1" = - ] || [ "$2" = - ]; then
		echo -
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf("%+.1f", a - b) }'
	fi
}
# B, C and D run together
[[ $sections == *[BCD]* ]] && sections+=B

workloads=(pairs newdelete churn threads2)
configs=(untraced floor-entry floor-sites mt-entry mt-default)
# F: kernel-dwarf is what plain memtrace does there (--stack=auto), named to say so
nofp_workloads=(pairs churn threads2)
nofp_configs=(nofp-none nofp-kdwarf nofp-fp nofp-dwarf nofp-dwarf-sampled)
# P: the same script bare, with native stacks only, and with Python frames (the default)
py_configs=(py-bare py-off py-default)
notes=()

die() {
	echo "bench: $*" >&2
	exit 1
}

for bin in "$memtrace" "$workload" "$workload_nofp" "$floor" "$snapshot" "$symbolize" \
	"$unwind_tables" "$edges" "${edges}_cxx" "$res_workload"; do
	[ -x "$bin" ] || die "$bin is not built: run make bench"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$runs'"
[[ $nofp_n =~ ^[1-9][0-9]*$ ]] || die "BENCH_NOFP_N must be a positive integer, got '$nofp_n'"
[[ $py_n =~ ^[1-9][0-9]*$ ]] || die "BENCH_PY_N must be a positive integer, got '$py_n'"
if has P && { [ ! -x "$python" ] || [ ! -r "$py_chain" ]; }; then
	notes+=("P left out: $python or $py_chain is missing (make deps installs python3.11)")
	sections=${sections//P/}
fi

if [ "$(id -u)" -ne 0 ]; then
	configs=(untraced)
	nofp_configs=()
	py_configs=(py-bare)
	notes+=("NOT ROOT: traced configurations skipped (floor and memtrace need BPF)")
else
	configs+=(mt-nostack mt-dwarf mt-dwarf-sampled floor-preload mt-preload)
fi
if [ ! -x "$ingest" ]; then
	notes+=("ingest_bench: not built ($ingest is missing): B left out")
	ingest=
fi

tmp=$(mktemp -d /tmp/memtrace-bench.XXXXXX) || die "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT

# The baseline build for E: the revision's tree, exported and built once (git worktree-free).
baseline_memtrace=
if [ -n "$baseline" ] && [ "$(id -u)" -eq 0 ]; then
	rev=$(git rev-parse --short "$baseline^{commit}" 2>/dev/null) ||
		die "BENCH_BASELINE: no such git revision: $baseline"
	bdir=$build/baseline/$rev
	if [ ! -x "$bdir/build/memtrace" ]; then
		echo "bench: building the baseline $rev in $bdir" >&2
		rm -rf "$bdir" && mkdir -p "$bdir" &&
			git archive "$rev" | tar -x -C "$bdir" &&
			make -C "$bdir" --no-print-directory all >"$tmp/baseline.log" 2>&1 ||
			die "cannot build the baseline $rev (see $tmp/baseline.log)"
	fi
	baseline_memtrace=$bdir/build/memtrace
fi
[ -n "$baseline_memtrace" ] && configs+=(mt-base)
edge_cases=(c cxx cuda)
edge_tools=(untraced memtrace)
[ -n "$baseline_memtrace" ] && edge_tools+=(baseline)

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
	mt-base) echo "baseline memtrace" ;;
	nofp-none) echo "--stack=none" ;;
	nofp-kdwarf) echo "--stack=kernel-dwarf (default)" ;;
	nofp-fp) echo "--stack=fp" ;;
	nofp-dwarf) echo "--stack=dwarf, every alloc" ;;
	nofp-dwarf-sampled) echo "--stack=dwarf, 1 per 512K" ;;
	py-bare) echo "python alone" ;;
	py-off) echo "memtrace --python=off" ;;
	py-default) echo "memtrace (Python frames)" ;;
	res-bare) echo "untraced" ;;
	res-on) echo "memtrace" ;;
	res-off) echo "--no-resources" ;;
	res-top) echo "memtrace top --batch" ;;
	esac
}

# Says on stderr what failed and why; the table shows a hole and the exit status is 1.
failed() { # WHAT
	echo "bench: failed: $1" >&2
	sed 's/^/bench:   /' "$tmp/err" >&2
	echo "$1" >>"$tmp/failures"
}

# Another memtrace (one tracing the machine with -a, say) puts probes on libc that fire in
# every process the bench starts, and its hits land in the figures. Checked as each run
# starts and ends (the bench's own memtrace has returned by then; its keeper has
# another name), the runs it overlapped are counted and said below the tables.
nruns=0
other_tracer() {
	local seen

	seen=$(pgrep -a -x memtrace | head -n 1)
	[ -n "$seen" ] && echo "$nruns $seen" >>"$tmp/foreign"
}

iterations() { # CONFIG WORKLOAD
	local n=$traced_n

	[ "$1" = untraced ] && n=$untraced_n
	[[ $1 == nofp-* ]] && n=$nofp_n
	[ "$2" = threads2 ] && n=$((n / 2))
	echo "$n"
}

# Runs CMD once, between two checks that no other tracer came (other_tracer), with a fresh
# $tmp/snap.json to write; appends its ns_per_op (from its stdout, or $tmp/cmd_out) to FILE.
# A failed run is reported (failed), leaves no figure and returns 1.
time_run() { # FILE CMD...
	local file=$1 ns

	shift
	rm -f "$tmp/snap.json" "$tmp/cmd_out"
	nruns=$((nruns + 1))
	other_tracer
	if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
		failed "$*"
		return 1
	fi
	other_tracer
	ns=$(cat "$tmp/out" "$tmp/cmd_out" 2>/dev/null | sed -n 's/^ns_per_op \([0-9.]*\)$/\1/p')
	if [ -z "$ns" ]; then
		echo "no ns_per_op on stdout" >>"$tmp/err"
		failed "$*"
		return 1
	fi
	echo "$ns" >>"$file"
}

# Appends the lost_events of the run's snapshot ($tmp/snap.json) to FILE, "?" when unread.
record_lost() { # FILE
	local lost

	lost=$(grep -o '"lost_events": *[0-9]*' "$tmp/snap.json" 2>/dev/null | grep -o '[0-9]*$')
	echo "${lost:-?}" >>"$1"
}

# Runs one cell once; appends its ns_per_op (and memtrace's lost_events) to
# $tmp/CONFIG.WORKLOAD(.lost). A failed run is reported and leaves no figure.
run_cell() { # CONFIG WORKLOAD
	local config=$1 w=$2 n snap=$tmp/snap.json cmd

	n=$(iterations "$config" "$w")
	cmd=("$workload" "$w" "$n")
	[[ $config == nofp-* ]] && cmd=("$workload_nofp" "$w" "$n")
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
	mt-base) cmd=("$baseline_memtrace" --top=1 -o "$snap" -- "${cmd[@]}") ;;
	nofp-none) cmd=("$memtrace" --top=1 -o "$snap" --stack=none -- "${cmd[@]}") ;;
	nofp-kdwarf) cmd=("$memtrace" --top=1 -o "$snap" --stack=kernel-dwarf -- "${cmd[@]}") ;;
	nofp-fp) cmd=("$memtrace" --top=1 -o "$snap" --stack=fp -- "${cmd[@]}") ;;
	nofp-dwarf)
		cmd=("$memtrace" --top=1 -o "$snap" --stack=dwarf --sample-bytes=0 -- "${cmd[@]}")
		;;
	nofp-dwarf-sampled) cmd=("$memtrace" --top=1 -o "$snap" --stack=dwarf -- "${cmd[@]}") ;;
	esac
	time_run "$tmp/$config.$w" "${cmd[@]}" || return
	if [[ $config == mt-* || $config == nofp-* ]]; then
		record_lost "$tmp/$config.$w.lost"
	fi
}

# R: res_workload's WORKLOAD once under CONFIG; appends its ns_per_op to $tmp/CONFIG.WORKLOAD
# (and memtrace's lost_events to .lost), as run_cell does.
run_res_cell() { # CONFIG WORKLOAD
	local config=$1 w=$2 n=$res_n snap=$tmp/snap.json cmd

	[ "$w" = pairs ] && n=$traced_n
	cmd=("$res_workload" "$w" "$n")
	case $config in
	res-on) cmd=("$memtrace" --top=1 -o "$snap" -- "${cmd[@]}") ;;
	res-off) cmd=("$memtrace" --top=1 -o "$snap" --no-resources -- "${cmd[@]}") ;;
	# top gives CMD /dev/null for stdout: the workload's line goes to $tmp/cmd_out
	res-top)
		cmd=("$memtrace" top --batch --refresh 1 -o "$snap" --
			sh -c 'exec "$0" "$@" >"'"$tmp/cmd_out"'"' "${cmd[@]}")
		;;
	esac
	time_run "$tmp/$config.$w" "${cmd[@]}" || return
	if [ "$config" != res-bare ]; then
		record_lost "$tmp/$config.$w.lost"
	fi
}

# P: the Python workload once under CONFIG; appends its ns_per_op to $tmp/CONFIG.py_chain and,
# traced, from memtrace's snapshot: lost_events (.lost), stacks taken (.stacks: allocator calls
# counted less those without a stack; every call gets one, sample_bytes is 0 by default) and the
# Python frames of the loop's site, the one bytearray(4096) the script keeps (.pyframes).
run_py_cell() { # CONFIG
	local config=$1 w=py_chain err=$tmp/err snap=$tmp/snap.json cmd facts

	cmd=("$python" -I "$py_chain" "$py_n")
	case $config in
	py-bare) ;;
	py-off) cmd=("$memtrace" --top=1 -o "$snap" --python=off -- "${cmd[@]}") ;;
	py-default) cmd=("$memtrace" --top=1 -o "$snap" -- "${cmd[@]}") ;;
	esac
	time_run "$tmp/$config.$w" "${cmd[@]}" || return
	[ "$config" = py-bare ] && return
	facts=$(py_snapshot_facts "$snap") || {
		echo "cannot read the snapshot $snap: $facts" >>"$err"
		failed "${cmd[*]}"
		return
	}
	set -- $facts
	echo "$1" >>"$tmp/$config.$w.lost"
	echo "$2" >>"$tmp/$config.$w.stacks"
	echo "$3" >>"$tmp/$config.$w.pyframes"
}

# P: "LOST STACKS PYFRAMES" from a snapshot (read with the bench's own python: no jq needed).
py_snapshot_facts() { # SNAPSHOT
	"$python" -I -c '
import json, sys
snap = json.load(open(sys.argv[1]))
allocs = sum(p["allocs"] for p in snap["processes"])
kept = [l for l in snap["leaks"] if l["count"] and l["bytes"] // l["count"] == 4097]
best = max(kept, key=lambda l: l["bytes"], default=None)
frames = 0 if best is None else sum(f.get("kind") == "python" for f in best["stack"])
print(snap["lost_events"], allocs - snap["lost_stacks"], frames)
' "$1" 2>&1
}

# Runs a bench program once; each "key value" line of its output is appended
# to $tmp/kv.KEY.
run_kv() { # NAME BINARY [ARGS...]
	local name=$1 out=$tmp/out err=$tmp/err key value

	shift
	nruns=$((nruns + 1))
	other_tracer
	if ! "$@" >"$out" 2>"$err"; then
		failed "$name"
		return
	fi
	other_tracer
	while read -r key value; do
		[[ $key =~ ^[a-z0-9_]+$ && $value =~ ^[0-9.eE+-]+$ ]] && echo "$value" >>"$tmp/kv.$key"
	done <"$out"
}

# E: one run of memtrace (or the baseline, or nothing) around edges; appends the
# milliseconds before CMD's first line and after its last to $tmp/edge.TOOL.CASE.{start,exit}.
run_edge() { # TOOL CASE
	local tool=$1 case=$2 out=$tmp/out err=$tmp/err cmd t0 t1 t2 t3

	cmd=("$edges")
	[ "$case" = cxx ] && cmd=("${edges}_cxx")
	[ "$case" = cuda ] && cmd+=(cuda)
	case $tool in
	memtrace) cmd=("$memtrace" --top=1 -- "${cmd[@]}") ;;
	baseline) cmd=("$baseline_memtrace" --top=1 -- "${cmd[@]}") ;;
	esac
	nruns=$((nruns + 1))
	other_tracer
	t0=$(date +%s%N)
	if ! "${cmd[@]}" >"$out" 2>"$err"; then
		failed "${cmd[*]}"
		return
	fi
	t3=$(date +%s%N)
	other_tracer
	t1=$(sed -n 's/^edge_start_ns \([0-9]*\)$/\1/p' "$out")
	t2=$(sed -n 's/^edge_end_ns \([0-9]*\)$/\1/p' "$out")
	if [ -z "$t1" ] || [ -z "$t2" ]; then
		echo "no edge_start_ns/edge_end_ns on stdout" >>"$err"
		failed "${cmd[*]}"
		return
	fi
	echo "$(((t1 - t0) / 1000))" | awk '{ print $1 / 1000 }' >>"$tmp/edge.$tool.$case.start"
	echo "$(((t3 - t2) / 1000))" | awk '{ print $1 / 1000 }' >>"$tmp/edge.$tool.$case.exit"
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

# One line on the run-to-run spread of the cells of WORKLOADS x CONFIGS (space-separated lists).
spreads() { # WORKLOADS CONFIGS
	local w c

	for w in $1; do
		for c in $2; do
			[ -s "$tmp/$c.$w" ] && echo "$(spread "$tmp/$c.$w") $w, $(label "$c")"
		done
	done | sort -n | awk '{ p[NR] = $1; $1 = ""; cell = $0 }
		END { if (NR) printf("Run-to-run spread, (max - min) / median of a cell: median %d%%," \
				     " largest %d%% (%s).\n", p[int((NR + 1) / 2)], p[NR], substr(cell, 2)) }'
}

# F: allocations per op, each of which gets a stack (churn_step in workload.c: malloc or calloc
# in an empty slot, realloc in a full one, free otherwise, with two thirds of the slots full).
allocs_per_op() { # WORKLOAD
	case $1 in
	churn) echo "2/3" ;;
	*) echo "1" ;;
	esac
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
	if has A; then
		for w in "${workloads[@]}"; do
			for c in "${configs[@]}"; do
				run_cell "$c" "$w"
			done
		done
	fi
	# one repetition a round: the rounds give the median
	if has B; then
		[ -n "$ingest" ] && run_kv ingest_bench "$ingest" 1
		run_kv snapshot_bench "$snapshot"
		run_kv symbolize_bench "$symbolize"
	fi
	if has E && [ "$(id -u)" -eq 0 ]; then
		for c in "${edge_cases[@]}"; do
			for t in "${edge_tools[@]}"; do
				run_edge "$t" "$c"
			done
		done
	fi
	if has F; then
		for w in "${nofp_workloads[@]}"; do
			for c in "${nofp_configs[@]}"; do
				run_cell "$c" "$w"
			done
		done
		run_kv unwind_table_bench "$unwind_tables"
	fi
	if has P; then
		for c in "${py_configs[@]}"; do
			run_py_cell "$c"
		done
	fi
	if has R && [ "$(id -u)" -eq 0 ]; then
		for w in "${res_workloads[@]}"; do
			for c in "${res_configs[@]}"; do
				run_res_cell "$c" "$w"
			done
		done
	fi
done
elapsed=$(($(date +%s) - start))

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "memtrace bench, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), ${cpu:-unknown CPU}" \
	"($(nproc) vCPUs); median of $runs runs per cell, round robin; took ${elapsed}s"
echo
if has A; then
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
	spreads "${workloads[*]}" "${configs[*]}"
	if [[ " ${configs[*]} " == *" mt-"* ]]; then
		echo "lost_events: the largest of the runs, per memtrace column left to right; must be 0."
	fi
	[ -n "$baseline_memtrace" ] && echo "baseline memtrace: $(realpath "$baseline_memtrace")."
	# new/delete at malloc's price: the C++ pair over the C pair, configuration by configuration
	line=""
	for c in "${configs[@]}"; do
		line+="${line:+, }$(label "$c") $(ratio "$(median "$tmp/$c.newdelete")" \
			"$(median "$tmp/$c.pairs")")"
	done
	echo "newdelete / pairs (a new/delete pair over a malloc/free pair): $line."

fi
if has B; then
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
		kv top_first_refresh_s "C. s of memtrace top's first refresh past leaks__collect: 10k sites named"
		kv top_refresh_s "C. s of each later refresh past leaks__collect: names kept, rates, --batch frame"
		kv symbolize_100k_s "D. s to symbolize 100k distinct addresses, cold"
		kv symbolize_named "D. share of them named (libc6-dbg names glibc's static functions)"
		kv symbolize_checked "D. of them checked against dladdr1, all agreeing"
		extra symbolize_cxx_100k_s "D. the same over libstdc++'s text: C++ names, demangled once each"
		extra symbolize_cxx_demangled "D. share of those addresses whose name was demangled"
	} | print_table
fi


if has E && [ "$(id -u)" -eq 0 ]; then
	echo
	echo "E. ms before CMD's first line (start) and after its last (exit): memtrace's own time"
	echo "   around it, less the same for the program alone (own = start + exit - untraced's)."
	[ -z "$baseline_memtrace" ] && echo "   (BENCH_BASELINE=REV adds a build of REV beside it.)"
	echo
	{
		header="program"
		for t in "${edge_tools[@]}"; do
			header+=$'\t'"$t start"$'\t'"$t exit"
			[ "$t" != untraced ] && header+=$'\t'"$t own"
		done
		echo "$header"
		for c in "${edge_cases[@]}"; do
			case $c in
			c) row="C, nothing else" ;;
			cxx) row="C++ (libstdc++)" ;;
			cuda) row="C, CUDA double dlopen-ed" ;;
			esac
			base_s=$(median "$tmp/edge.untraced.$c.start")
			base_e=$(median "$tmp/edge.untraced.$c.exit")
			for t in "${edge_tools[@]}"; do
				s=$(median "$tmp/edge.$t.$c.start")
				e=$(median "$tmp/edge.$t.$c.exit")
				row+=$'\t'"$(fmt_ns "$s")"$'\t'"$(fmt_ns "$e")"
				[ "$t" != untraced ] && row+=$'\t'"$(awk -v s="$s" -v e="$e" -v bs="$base_s" \
					-v be="$base_e" 'BEGIN { printf("%.0f", s + e - bs - be) }')"
			done
			echo "$row"
		done
	} | print_table
fi

if has F; then
	echo
	echo "F. the in-kernel DWARF unwinder: ns per op of workload_nofp (no frame pointers; every"
	echo "   allocator call 10 frames below the loop; ops as in A). --stack=kernel-dwarf is what plain"
	echo "   memtrace (--stack=auto) does on a kernel with bpf_loop. Iterations $nofp_n (threads2:"
	echo "   half of it per thread). ns per stack: (kernel-dwarf - none) / allocations per op."
	if [ ${#nofp_configs[@]} -gt 0 ]; then
		echo
		{
			header="workload"
			for c in "${nofp_configs[@]}"; do
				header+=$'\t'"$(label "$c")"
			done
			header+=$'\t'"kernel-dwarf / none"$'\t'"allocs per op"$'\t'"ns per stack"
			header+=$'\t'"lost_events"$'\t'"bar"
			echo "$header"
			for w in "${nofp_workloads[@]}"; do
				row="$w"
				lost=()
				for c in "${nofp_configs[@]}"; do
					m=$(median "$tmp/$c.$w")
					declare "med_${c//-/_}=$m"
					row+=$'\t'"$(fmt_ns "$m")"
					lost+=("$(max_lost "$tmp/$c.$w.lost")")
				done
				r=$(ratio "$med_nofp_kdwarf" "$med_nofp_none")
				a=$(allocs_per_op "$w")
				per_stack=-
				[ "$r" != - ] && per_stack=$(awk -v k="$med_nofp_kdwarf" -v n="$med_nofp_none" \
					-v a="$a" 'BEGIN { split(a, f, "/"); printf("%.0f", (k - n) / (f[1] / (f[2] ? f[2] : 1))) }')
				kd_lost=$(max_lost "$tmp/nofp-kdwarf.$w.lost")
				# issue 14's bar: kernel-dwarf at most 1.5x --stack=none, and no event lost
				bar=ok
				if [ "$r" = - ] || [ "$kd_lost" != 0 ] ||
					! awk -v r="$r" 'BEGIN { exit !(r <= 1.5) }'; then
					bar=MISSED
					echo "F: $w misses the bar: kernel-dwarf ${r}x --stack=none, $kd_lost events" \
						"lost (at most 1.5x and 0 lost)" >>"$tmp/bar"
				fi
				row+=$'\t'"$r"$'\t'"$a"$'\t'"$per_stack"$'\t'"$(
					IFS=/
					echo "${lost[*]}"
				)"$'\t'"$bar"
				echo "$row"
			done
		} | print_table
		echo
		spreads "${nofp_workloads[*]}" "${nofp_configs[*]}"
		echo "lost_events: the largest of the runs, per column left to right. --stack=fp: this build"
		echo "keeps no frame pointers, so its walks end early (short, wrong stacks): the cost of the"
		echo "walk, not of a whole stack."
		[ -s "$tmp/bar" ] && sed 's/^/NOTE: /' "$tmp/bar"
	fi
	echo
	echo "F. unwind tables (unwind_table__build from the file, as memtrace does once per module)"
	echo
	{
		printf 'module\trows\tbytes\tbuild ms\n'
		for m in libc:libc.so.6 libpython:libpython3.11.so.1.0 \
			"python:python3.11 (libpython linked in)" libstdcxx:libstdc++.so.6; do
			printf '%s\t%s\t%s\t%s\n' "${m#*:}" "$(median "$tmp/kv.unwind_${m%%:*}_rows")" \
				"$(median "$tmp/kv.unwind_${m%%:*}_bytes")" \
				"$(median "$tmp/kv.unwind_${m%%:*}_build_ms")"
		done
	} | print_table
fi

if has P; then
	echo
	echo "P. Python frames: ns per op of tests/bench/py_chain.py under $python (one"
	echo "   bytearray(4096) allocated and dropped at the bottom of a 20-deep Python call chain: a"
	echo "   malloc and a free of 4097 bytes). Iterations $py_n. ns per stack: (default - off) per"
	echo "   op, one stacked allocation each: the Python walk and merge. stacks: allocator calls that"
	echo "   got a stack (median); Python frames: in the loop's site (22 with the walk: <module>,"
	echo "   main, 19 chain, loop; 0 with --python=off)."
	echo
	{
		header="workload"
		for c in "${py_configs[@]}"; do
			header+=$'\t'"$(label "$c")"
		done
		if [[ " ${py_configs[*]} " == *" py-default "* ]]; then
			header+=$'\t'"default / off"$'\t'"ns per stack"$'\t'"stacks"
			header+=$'\t'"Python frames (off/default)"$'\t'"lost_events (off/default)"$'\t'"bar"
		fi
		echo "$header"
		row="py_chain"
		for c in "${py_configs[@]}"; do
			m=$(median "$tmp/$c.py_chain")
			declare "med_${c//-/_}=$m"
			row+=$'\t'"$(fmt_ns "$m")"
		done
		if [[ " ${py_configs[*]} " == *" py-default "* ]]; then
			r=$(ratio "$med_py_default" "$med_py_off")
			per_stack=-
			[ "$r" != - ] && per_stack=$(awk -v d="$med_py_default" -v o="$med_py_off" \
				'BEGIN { printf("%.0f", d - o) }')
			frames_off=$(max_lost "$tmp/py-off.py_chain.pyframes")
			frames_default=$(median "$tmp/py-default.py_chain.pyframes")
			default_lost=$(max_lost "$tmp/py-default.py_chain.lost")
			# issue 15's bar: default at most 1.5x --python=off, and no event lost
			bar=ok
			if [ "$r" = - ] || [ "$default_lost" != 0 ] ||
				! awk -v r="$r" 'BEGIN { exit !(r <= 1.5) }'; then
				bar=MISSED
				echo "P: py_chain misses the bar: default ${r}x --python=off, $default_lost" \
					"events lost (at most 1.5x and 0 lost)" >>"$tmp/bar_py"
			fi
			if [ "$frames_default" = - ] || [ "$frames_default" = 0 ]; then
				bar="NO WALK"
				echo "P: the default runs' stacks have no Python frames: the walk did not run," \
					"and default / off measures nothing" >>"$tmp/bar_py"
			fi
			row+=$'\t'"$r"$'\t'"$per_stack"$'\t'"$(median "$tmp/py-default.py_chain.stacks")"
			row+=$'\t'"$frames_off/$frames_default"
			row+=$'\t'"$(max_lost "$tmp/py-off.py_chain.lost")/$default_lost"$'\t'"$bar"
		fi
		echo "$row"
	} | print_table
	echo
	spreads "py_chain" "${py_configs[*]}"
	echo "Python frames: with --python=off the largest of the runs, with the default the median."
	[ -s "$tmp/bar_py" ] && sed 's/^/NOTE: /' "$tmp/bar_py"
fi

if has R && [ "$(id -u)" -eq 0 ]; then
	echo
	echo "R. ns per op of res_workload: pairs = one malloc(64)+free ($traced_n); syscall = one"
	echo "   getppid(); pingpong = a byte each way between two threads over pipes; udp = a"
	echo "   64-byte datagram to itself over loopback; fault = a fresh page written ($res_n each)."
	echo "   resources = memtrace (default) less memtrace --no-resources: the resource probes' cost;"
	echo "   top = memtrace top --batch (a frame a second) less memtrace: what watching adds."
	echo
	{
		echo "workload"$'\t'"untraced"$'\t'"memtrace"$'\t'"--no-resources"$'\t'"memtrace top --batch"$'\t'"resources"$'\t'"top"
		for w in "${res_workloads[@]}"; do
			u=$(median "$tmp/res-bare.$w")
			on=$(median "$tmp/res-on.$w")
			off=$(median "$tmp/res-off.$w")
			top=$(median "$tmp/res-top.$w")
			echo "$w"$'\t'"$(fmt_ns "$u")"$'\t'"$(fmt_ns "$on")"$'\t'"$(fmt_ns "$off")"$'\t'"$(fmt_ns "$top")"$'\t'"$(difference "$on" "$off")"$'\t'"$(difference "$top" "$on")"
		done
	} | print_table
	echo
	spreads "${res_workloads[*]}" "${res_configs[*]}"
fi

if has H; then
	echo
	echo "H. HTML report"
	if ! BENCH_RUNS=$runs node tests/bench/html_bench.js "$build/memtrace" >"$tmp/html" 2>&1; then
		echo "html_bench: $(tail -n 1 "$tmp/html")" >>"$tmp/failures"
	fi
	cat "$tmp/html"
fi

for note in "${notes[@]}"; do
	echo "NOTE: $note"
done
[ -s "$tmp/foreign" ] &&
	echo "NOTE: another memtrace was running at the start or end of $(cut -d ' ' -f 1 \
		"$tmp/foreign" | sort -u | wc -l) of $nruns runs (PID $(head -n 1 "$tmp/foreign" |
		cut -d ' ' -f 2-)): its probes fire in the bench's processes too, so those figures" \
		"are not memtrace's alone"

status=0
if [ -s "$tmp/failures" ]; then
	echo "FAIL: $(wc -l <"$tmp/failures") runs failed (see above), first: $(head -n 1 "$tmp/failures")"
	status=1
fi
for f in "$tmp"/*.lost; do
	[ -e "$f" ] || continue
	grep -qv '^0$' "$f" || continue
	case $(basename "$f") in
	nofp-kdwarf.* | py-default.*)
		# part of issue 14's and 15's bars: reported with F's and P's tables (NOTE: ... misses
		# the bar)
		;;
	mt-dwarf.* | nofp-dwarf.*)
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
