# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# make bench, section P (tools/bench.sh): what the Python walk costs. An
# allocation-heavy loop at the bottom of a DEPTH-deep Python call chain:
# each op allocates a bytearray(4096) and drops it, one malloc and one free
# of 4097 bytes (above the 512 bytes CPython's small-object allocator keeps
# to itself, so libc's malloc sees every one). Prints "ns_per_op N", the
# loop's own time per op, as tests/bench/workload does.
#
# Usage: py_chain.py ITERATIONS [DEPTH]: the loop runs in the DEPTH-th frame
# of the chain (DEPTH - 1 frames of chain, then loop; main and <module>
# above them), DEPTH 20 by default. One bytearray(4096) from the loop
# is kept and the script leaves through os._exit, so that a snapshot of the
# run shows the loop's site, with its Python frames or without.
import os
import sys
import time

DEPTH = 20


def loop(iterations):
    for _ in range(iterations):
        bytearray(4096)
    return bytearray(4096)


def chain(level, iterations):
    if level > 1:
        return chain(level - 1, iterations)
    return loop(iterations)


def main():
    iterations = int(sys.argv[1])
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else DEPTH
    t0 = time.perf_counter_ns()
    kept = chain(depth - 1, iterations)
    t1 = time.perf_counter_ns()
    print("ns_per_op %.1f" % ((t1 - t0) / iterations), flush=True)
    print("kept %d" % len(kept), flush=True)
    os._exit(0)


main()
