// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bench, section H: the HTML report of a large snapshot. 2000 leak sites
 * of 60 frames each (5 shared, 55 of their own, shared by a few sites: about
 * 77k flame graph nodes), rendered by memtrace report --format html, then
 * opened in Debian's headless Chromium (puppeteer-core from build/browser, as
 * tests/browser/html_report.js): time to ready, a full flame graph redraw and
 * a search, medians of BENCH_RUNS (default 5). Usage: node html_bench.js MEMTRACE
 */
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const modules =
	process.env.MEMTRACE_NODE_MODULES ||
	path.resolve(__dirname, '../../build/browser/node_modules');
const puppeteer = require(path.join(modules, 'puppeteer-core'));

const runs = Number(process.env.BENCH_RUNS || 5);
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];

function snapshot() {
	const common = ['train', 'step', 'loop', 'run', 'main'];
	const leaks = [];
	for (let i = 0; i < 2000; i++) {
		const stack = [];
		for (let d = 0; d < 55; d++)
			stack.push({
				kind: 'native',
				symbol: 'fn_' + Math.floor(i / (1 + Math.floor(d / 20))) + '_' + d,
				module: '/usr/bin/app',
				file: '/src/app/mod' + (d % 7) + '.c',
				line: 10 + d,
			});
		for (const s of common)
			stack.push({
				kind: 'native',
				symbol: s,
				module: '/usr/bin/app',
				file: '/src/app/main.c',
				line: 5,
			});
		leaks.push({
			pid: 1,
			allocator: 'libc',
			bytes: 1000 + ((i * 37) % 100000),
			count: 1 + (i % 50),
			stack: stack,
		});
	}
	const c = {
		current_bytes: 1,
		peak_bytes: 1,
		allocs: 1,
		frees: 0,
		reallocs: 0,
		failed_allocs: 0,
		allocated_bytes: 1,
		freed_bytes: 0,
		unknown_frees: 0,
	};
	return {
		schema: 'memtrace.snapshot.v1',
		host: 'bench',
		duration_s: 1,
		lost_events: 0,
		totals: c,
		processes: [Object.assign({ pid: 1, comm: 'app' }, c)],
		leaks: leaks,
	};
}

(async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memtrace-html-bench-'));
	const snap = path.join(dir, 'big.json'),
		page = path.join(dir, 'big.html');
	fs.writeFileSync(snap, JSON.stringify(snapshot()));
	const render = [];
	for (let i = 0; i < runs; i++) {
		const t = process.hrtime.bigint();
		execFileSync(process.argv[2], ['report', snap, '--format', 'html', '-o', page]);
		render.push(Number(process.hrtime.bigint() - t) / 1e6);
	}
	const browser = await puppeteer.launch({
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu'],
	});
	const ready = [],
		redraw = [],
		search = [];
	let nodes = 0;
	for (let i = 0; i < runs; i++) {
		const p = await browser.newPage();
		await p.setViewport({ width: 1280, height: 900 });
		await p.goto('file://' + page);
		await p.waitForFunction(() => window.memtraceReport && window.memtraceReport.ready);
		const r = await p.evaluate(() => {
			const f = window.memtraceReport.flame;
			const t0 = performance.now();
			f.zoom(f.root);
			const t1 = performance.now();
			const s = document.getElementById('fg-search');
			s.value = 'fn_1';
			s.dispatchEvent(new Event('input'));
			return {
				ready: t0,
				redraw: t1 - t0,
				search: performance.now() - t1,
				nodes: f.nodes().length,
			};
		});
		ready.push(r.ready);
		redraw.push(r.redraw);
		search.push(r.search);
		nodes = r.nodes;
		await p.close();
	}
	await browser.close();
	const size = fs.statSync(page).size,
		input = fs.statSync(snap).size;
	fs.rmSync(dir, { recursive: true });
	console.log(
		nodes +
			' stack nodes; snapshot ' +
			(input / 1048576).toFixed(1) +
			' MiB, page ' +
			(size / 1048576).toFixed(1) +
			' MiB'
	);
	console.log('  memtrace report --format html   ' + median(render).toFixed(0) + ' ms');
	console.log('  page open to ready (Chromium)   ' + median(ready).toFixed(0) + ' ms');
	console.log('  flame graph redraw              ' + median(redraw).toFixed(0) + ' ms');
	console.log('  search (highlight and share)    ' + median(search).toFixed(0) + ' ms');
})().catch((e) => {
	console.log('FAIL ' + e.message);
	process.exit(1);
});
