#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Debian packages memtrace needs to build and test, if missing.
# Idempotent: does nothing (and needs no network) when all are present.
set -eu
# libdw-dev: DWARF (file:line, inlined calls). libdebuginfod-dev: only the header, to type
# the functions memtrace dlopen()s. libc6-dbg: glibc's separate debug file, which names its
# internal functions (_int_malloc, ...) and gives their lines; the unit tests rely on it.
# libiberty-dev: the C++ demangler (cplus_demangle_v3_callback, linked statically).
# libclang-rt-14-dev: libFuzzer, for make fuzz.
# g++, libjemalloc-dev, libgoogle-perftools-dev (tcmalloc), libmimalloc-dev: the test programs
# of the allocators beside libc (tests/progs/cxx_new.cc, jemalloc_calls.c), and the real
# libraries whose symbols the unit tests read; libjemalloc.a is memtrace's own heap (user/util/heap.h).
# libcap2-bin: capsh, with which test_privileges runs memtrace with capabilities dropped.
# libpython3.11: the shared libpython (Debian's python3.11 links it in statically), whose
# unwind table make bench builds (tests/bench/unwind_table_bench.c).
# python3.11-dev: Python.h, against which the tests build their C extension module
# (tests/progs/python/mtext.c) for Debian's python3.11.
# prometheus (for its promtool) and prometheus-node-exporter: test_prometheus checks
# --prometheus's file with promtool check metrics and has a real node_exporter serve it. On a
# machine with systemd, Debian starts both as services (:9090, :9100); the test needs neither
# (systemctl disable --now prometheus prometheus-node-exporter).
# golang-go: go tool pprof, which reads the pprof profiles memtrace writes back in
# tests/integration/test_pprof.c (the reference reader of profile.proto).
# libncurses-dev: memtrace top's screen (ncursesw). tmux: test_top runs memtrace top in a real
# terminal and reads the screen back (tmux capture-pane).
# chromium, nodejs, npm: tests/integration/test_html.c opens the HTML report in headless
# Chromium, driven by puppeteer-core from npm (installed below into build/browser, at the
# versions tests/browser/package-lock.json pins; it never downloads a browser of its own).
# xxd: the HTML report's page files become C arrays at build time (Makefile).
packages=(make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev libdw-dev
	  libdebuginfod-dev zlib1g-dev libcapstone-dev libcmocka-dev libjansson-dev python3.11
	  libc6-dbg libiberty-dev libclang-rt-14-dev g++ libjemalloc-dev libgoogle-perftools-dev
	  libmimalloc-dev libcap2-bin libpython3.11 python3.11-dev prometheus
	  prometheus-node-exporter golang-go libncurses-dev tmux chromium nodejs xxd)
missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
# npm comes with nodesource's nodejs, and Debian's npm package conflicts with that one
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -ne 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "memtrace: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "memtrace: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
		apt-get update
		apt-get install -y --no-install-recommends "${missing[@]}"
	fi
fi

# puppeteer-core for tests/browser/, exactly as its lock file has it; again only when the lock
# changed or nothing is installed yet
cd "$(dirname "$0")/.."
browser=build/browser
if [ ! -d "$browser/node_modules/puppeteer-core" ] ||
   ! cmp -s tests/browser/package-lock.json "$browser/package-lock.json"; then
	echo "memtrace: installing puppeteer-core into $browser (npm ci)"
	mkdir -p "$browser"
	cp tests/browser/package.json tests/browser/package-lock.json "$browser/"
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$browser" --ignore-scripts --no-audit --no-fund
fi
