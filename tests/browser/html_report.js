// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Opens a memtrace HTML page in Debian's headless Chromium (puppeteer-core,
 * installed by tools/install-deps.sh into build/browser; it never downloads a
 * browser) with the network off, and asserts what a person would see against
 * the snapshots the page was made from. Called by tests/integration/test_html.c.
 *
 *   node html_report.js report PAGE.html SNAP.json SHOT.png [--site NAME=BYTES/BLOCKS]...
 *        [--timeline SERIES=V,V,...] [--series NAME]... [--events TYPE=N]... [--growing NAME]...
 *        [--thread COMM=NET]...
 *   node html_report.js diff PAGE.html BASE.json NEW.json SHOT.png --grown NAME
 *        [--gone NAME]...
 *   node html_report.js hostile PAGE.html SNAP.json SHOT.png --name NAME
 *   node html_report.js measures PAGE.html SNAP.json SHOT.png --measures N
 *
 * --site: the flame graph holds NAME's leaf frames with exactly BYTES live bytes in BLOCKS
 * blocks, its hover says so, a click on its caller zooms there. --timeline: the chosen
 * process's SERIES takes exactly those values, in that order, as the chart's hover shows.
 * --series: the chart has the series NAME ("libc", "GPU device"), the snapshot's values, and
 * its hover after the last point shows the last one. --events: the chart marks exactly N events
 * of TYPE (gc, oom, step), the snapshot's, and its hover at each says what it was. --growing:
 * NAME's site is in the growing table, marked GROWING, with its blocks and their lifetimes.
 * Every thread with a resource profile has its faults and bottleneck (verdict, share) in the
 * threads table, as the snapshot says; --thread: COMM's row reads NET ("4.00 MiB / 1.00 MiB")
 * in its network column.
 * Prints "ok ..." per check; the first failure exits 1 with its reason.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const modules =
	process.env.MEMTRACE_NODE_MODULES ||
	path.resolve(__dirname, '../../build/browser/node_modules');
const puppeteer = require(path.join(modules, 'puppeteer-core'));

const CHROMIUM = process.env.MEMTRACE_CHROMIUM || '/usr/bin/chromium';

function fail(msg) {
	throw new Error(msg);
}
function ok(msg) {
	console.log('ok ' + msg);
}
function equal(got, want, what) {
	if (got !== want)
		fail(what + ': got ' + JSON.stringify(got) + ', want ' + JSON.stringify(want));
	ok(what + ' = ' + JSON.stringify(want));
}
const n = (v) => Number(v).toLocaleString('en-US');

function parseArgs(argv) {
	const mode = argv[0];
	const files = [];
	const opts = {
		site: [],
		timeline: [],
		grown: [],
		gone: [],
		name: [],
		series: [],
		events: [],
		growing: [],
		measures: [],
		thread: [],
	};
	for (let i = 1; i < argv.length; i++) {
		if (argv[i].startsWith('--')) opts[argv[i].slice(2)].push(argv[++i]);
		else files.push(argv[i]);
	}
	return { mode: mode, files: files, opts: opts };
}

async function open(page, file) {
	const attempted = [];
	const problems = [];
	await page.setRequestInterception(true);
	page.on('request', (req) => {
		const url = req.url();
		if (url.startsWith('file:') || url.startsWith('data:')) return req.continue();
		attempted.push(url);
		return req.abort('blockedbyclient');
	});
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warn')
			problems.push('console ' + m.type() + ': ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	await page.setOfflineMode(true);
	await page.setViewport({ width: 1280, height: 900 });
	await page.goto('file://' + path.resolve(file), { waitUntil: 'load' });
	await page.waitForFunction(() => window.memtraceReport && window.memtraceReport.ready, {
		timeout: 10000,
	});
	return { attempted: attempted, problems: problems };
}

async function cardExact(page, key) {
	return page.$eval('[data-key="' + key + '"] .exact', (e) => e.textContent);
}
async function cardValue(page, key) {
	return page.$eval('[data-key="' + key + '"] .value', (e) => e.textContent);
}

async function checkSummary(page, snap) {
	const t = snap.totals;
	equal(await cardExact(page, 'peak'), n(t.peak_bytes) + ' bytes', 'summary peak');
	equal(await cardExact(page, 'current'), n(t.current_bytes) + ' bytes', 'summary current');
	let bytes = 0,
		blocks = 0;
	for (const l of snap.leaks) {
		bytes += l.bytes;
		blocks += l.count;
	}
	equal(
		await cardExact(page, 'leaks'),
		n(bytes) + ' bytes in ' + n(blocks) + ' blocks, ' + n(snap.leaks.length) + ' sites',
		'summary leaks'
	);
	equal(await cardValue(page, 'lost'), n(snap.lost_events), 'summary lost events');
	equal(await cardValue(page, 'oom'), n(snap.gpu.oom_events), 'summary OOM events');
	/* device memory as the text report's GPU line counts it, and the highest process peak */
	let live = 0,
		peak = 0,
		any = false;
	for (const k in snap.gpu.kinds) {
		if (['device', 'managed', 'async', 'vmm_physical'].includes(k))
			live += snap.gpu.kinds[k].current_bytes;
		any = any || snap.gpu.kinds[k].allocs > 0;
	}
	for (const p of snap.processes)
		for (const v of (p.timeline && p.timeline.gpu_peak_bytes) || [])
			peak = Math.max(peak, v);
	if (any)
		equal(
			await cardExact(page, 'gpu'),
			n(live) + ' / ' + n(peak) + ' bytes',
			'summary GPU'
		);
	else equal(await cardValue(page, 'gpu'), 'none', 'summary GPU');
	const meta = await page.$eval('[data-key="meta"]', (e) => e.textContent);
	if (snap.command && !meta.includes('command: ' + snap.command.join(' ')))
		fail('the header does not show the command: ' + meta);
	if (!meta.includes('host ' + snap.host)) fail('the header does not show the host: ' + meta);
	ok('header shows host and command');
}

/*
 * Moves the mouse to the middle of the first drawn flame graph node named
 * name (up levels above it: its caller's, ...), returns the tooltip's text.
 */
async function hoverNode(page, name, up) {
	const box = await page.evaluate(
		(name, up) => {
			const f = window.memtraceReport.flame;
			let node = f.nodes().find((x) => x.name === name && x.rect);
			for (let i = 0; node && i < (up || 0); i++) node = node.parent;
			if (!node || !node.rect) return null;
			const r = document.getElementById('fg-canvas').getBoundingClientRect();
			return {
				x: r.left + node.rect.x + node.rect.w / 2,
				y: r.top + node.rect.y + node.rect.h / 2,
			};
		},
		name,
		up
	);
	if (!box) fail('no drawn flame graph box for ' + name);
	await page.mouse.move(box.x, box.y);
	return { box: box, tip: await page.$eval('#fg-tip', (e) => e.textContent) };
}

async function checkSite(page, snap, spec) {
	const m = /^(.+)=(\d+)\/(\d+)$/.exec(spec);
	if (!m) fail('bad --site ' + spec);
	const name = m[1],
		bytes = Number(m[2]),
		blocks = Number(m[3]);
	/* the snapshot agrees with the program's known amounts */
	const leaks = snap.leaks.filter((l) => l.stack.length && l.stack[0].symbol === name);
	equal(
		leaks.reduce((a, l) => a + l.bytes, 0),
		bytes,
		'snapshot bytes of ' + name
	);
	const leaf = leaks[0].stack[0];
	/* the flame graph's model: the leaf frames named so hold exactly those */
	const model = await page.evaluate((name) => {
		const nodes = window.memtraceReport.flame.nodes().filter((x) => x.name === name);
		return {
			n: nodes.length,
			bytes: nodes.reduce((a, x) => a + x.bytes, 0),
			count: nodes.reduce((a, x) => a + x.count, 0),
			leaves: nodes.every((x) => x.children.size === 0),
			parent: nodes.length ? nodes[0].parent.name : null,
		};
	}, name);
	equal(model.bytes, bytes, 'flame graph bytes of ' + name);
	equal(model.count, blocks, 'flame graph blocks of ' + name);
	equal(model.leaves, true, name + ' is a leaf of the flame graph');
	/* what is drawn: the hover over its box */
	const { tip } = await hoverNode(page, name);
	const want = [
		name,
		leaf.file + ':' + leaf.line,
		'(' + n(bytes) + ' bytes) in ' + n(blocks) + ' blocks',
	];
	for (const w of want)
		if (!tip.includes(w)) fail('the tooltip of ' + name + ' lacks "' + w + '": ' + tip);
	ok('hover over ' + name + ' shows ' + want.join(' | '));
	/* a click on its caller zooms there: the caller spans the width, the leaf widens */
	const before = await page.evaluate(
		(name) =>
			window.memtraceReport.flame.nodes().find((x) => x.name === name && x.rect)
				.rect.w,
		name
	);
	const { box } = await hoverNode(page, name, 1);
	await page.mouse.click(box.x, box.y);
	const after = await page.evaluate((name) => {
		const f = window.memtraceReport.flame;
		const leaf = f.nodes().find((x) => x.name === name && x.parent === f.zoomed);
		return {
			zoomed: f.zoomed.name,
			zw: f.zoomed.rect.w,
			leaf: leaf && leaf.rect ? leaf.rect.w : 0,
			share: leaf ? leaf.bytes / f.zoomed.bytes : 0,
			width: document.getElementById('fg-canvas').clientWidth,
		};
	}, name);
	equal(after.zoomed, model.parent, 'zoomed root after a click on ' + model.parent);
	equal(Math.round(after.zw), after.width, model.parent + ' spans the width');
	/* the leaf now takes its share of its caller, of the whole width */
	if (Math.abs(after.leaf - after.share * after.width) > 1 || after.leaf < before)
		fail(
			name +
				' is ' +
				after.leaf +
				' px wide after the zoom (' +
				before +
				' before), want ' +
				after.share * after.width
		);
	ok(name + ' is ' + before.toFixed(1) + ' px wide, ' + after.leaf.toFixed(1) + ' px zoomed');
	await page.click('#fg-reset');
	equal(
		await page.evaluate(() => window.memtraceReport.flame.zoomed.name),
		'all',
		'zoomed root after reset'
	);
	/* root at the bottom: the root's box is the canvas's last row, the leaf above its caller */
	await page.click('#fg-inverted');
	const flipped = await page.evaluate((name) => {
		const f = window.memtraceReport.flame;
		const leaf = f.nodes().find((x) => x.name === name && x.rect);
		return {
			root: f.root.rect.y + f.root.rect.h,
			height: document.getElementById('fg-canvas').clientHeight,
			above: leaf.rect.y < leaf.parent.rect.y,
		};
	}, name);
	if (Math.abs(flipped.root - flipped.height) > 2 || !flipped.above)
		fail('root at the bottom: ' + JSON.stringify(flipped));
	ok('root at the bottom: its box ends at ' + flipped.root + ' of ' + flipped.height + ' px');
	await page.click('#fg-inverted');
	/* the search box: its share of all live bytes */
	const total = snap.leaks.reduce((a, l) => a + l.bytes, 0);
	await page.type('#fg-search', name);
	const share = await page.$eval('#fg-match', (e) => e.textContent);
	const pctText = ((bytes * 100) / total).toFixed(1) + '% of live bytes';
	if (!share.includes(pctText))
		fail('search for ' + name + ' says "' + share + '", not ' + pctText);
	ok('search for ' + name + ': ' + share);
	await page.$eval('#fg-search', (e) => {
		e.value = '';
		e.dispatchEvent(new Event('input'));
	});
}

/* The chart's hover at time t, in the chosen process. */
async function hoverTime(page, t) {
	const p = await page.evaluate((t) => {
		const tl = window.memtraceReport.timeline;
		const r = document.getElementById('tl-canvas').getBoundingClientRect();
		return { x: r.left + tl.xOf(t), y: r.top + 100 };
	}, t);
	await page.mouse.move(p.x, p.y);
	return page.$eval('#tl-tip', (e) => e.textContent);
}

async function checkTimeline(page, snap, spec) {
	const [series, list] = spec.split('=');
	const want = list.split(',').map(Number);
	const tl = await page.evaluate((series) => {
		const tl = window.memtraceReport.timeline;
		const s = tl.series.find((x) => x.name === series);
		const t = tl.proc.p.timeline;
		return s ? { v: s.v, t: t.t_s, res: t.resolution_s, pid: tl.proc.p.pid } : null;
	}, series);
	if (!tl) fail('no timeline series ' + series);
	const proc = snap.processes.find((p) => p.pid === tl.pid);
	equal(
		JSON.stringify(tl.v),
		JSON.stringify(proc.timeline.host_bytes[series]),
		'timeline series ' + series + " is the snapshot's"
	);
	/* the distinct values in order: the known rise and fall */
	const steps = [];
	const at = [];
	tl.v.forEach((v, i) => {
		if (!steps.length || steps[steps.length - 1] !== v) {
			steps.push(v);
			at.push(i);
		}
	});
	if (steps[0] !== 0) {
		steps.unshift(0);
		at.unshift(-1);
	}
	equal(JSON.stringify(steps), JSON.stringify(want), 'timeline steps of ' + series);
	/* what is drawn: the hover in the middle of each step */
	for (let k = 0; k < steps.length; k++) {
		const start = at[k] < 0 ? 0 : tl.t[at[k]] + tl.res;
		const end = k + 1 < steps.length ? tl.t[at[k + 1]] + tl.res : start + tl.res;
		const tip = await hoverTime(page, (start + end) / 2);
		const text = series + ' ';
		const line = tip.split('\n').find((l) => l.startsWith(text));
		if (!line || !line.endsWith('(' + n(steps[k]) + ' bytes)'))
			fail(
				'hover at ' +
					((start + end) / 2).toFixed(2) +
					' s shows "' +
					line +
					'", want ' +
					n(steps[k]) +
					' bytes'
			);
		ok('hover at ' + ((start + end) / 2).toFixed(2) + ' s: ' + line);
	}
	/* a drag from the top step's start to its end zooms to that range */
	const top = steps.indexOf(Math.max(...steps));
	const t0 = tl.t[at[top]] + tl.res,
		t1 = tl.t[at[top + 1]] + tl.res;
	const xs = await page.evaluate(
		(t0, t1) => {
			const tl = window.memtraceReport.timeline;
			const r = document.getElementById('tl-canvas').getBoundingClientRect();
			return { a: r.left + tl.xOf(t0), b: r.left + tl.xOf(t1), y: r.top + 100 };
		},
		t0,
		t1
	);
	await page.mouse.move(xs.a, xs.y);
	await page.mouse.down();
	await page.mouse.move(xs.b, xs.y, { steps: 5 });
	await page.mouse.up();
	const view = await page.evaluate(() => window.memtraceReport.timeline.view);
	const px = await page.evaluate(() => {
		const tl = window.memtraceReport.timeline;
		return tl.timeOf(tl.xOf(0) + 1) - tl.timeOf(tl.xOf(0));
	});
	if (Math.abs(view.t0 - t0) > 2 * px || Math.abs(view.t1 - t1) > 2 * px)
		fail('drag zoom gave ' + JSON.stringify(view) + ', want ' + t0 + '..' + t1);
	ok('drag zoomed the timeline to ' + view.t0.toFixed(3) + '..' + view.t1.toFixed(3) + ' s');
	const tip = await hoverTime(page, (t0 + t1) / 2);
	if (!tip.includes('(' + n(Math.max(...steps)) + ' bytes)'))
		fail('zoomed hover shows ' + tip);
	ok('zoomed hover shows the top step');
	await page.click('#tl-reset');
	const full = await page.evaluate(() => window.memtraceReport.timeline.view.t0);
	equal(full, 0, 'timeline start after reset');
}

async function checkSeries(page, snap, name) {
	const got = await page.evaluate((name) => {
		const tl = window.memtraceReport.timeline;
		const s = tl.series.find((x) => x.name === name);
		const t = tl.proc.p.timeline;
		return s
			? {
					v: s.v,
					pid: tl.proc.p.pid,
					end: t.t_s[t.t_s.length - 1] + t.resolution_s,
				}
			: null;
	}, name);
	if (!got) fail('the chart has no series ' + name);
	const tl = snap.processes.find((p) => p.pid === got.pid).timeline;
	const want = name.startsWith('GPU ') ? tl.gpu_bytes[name.slice(4)] : tl.host_bytes[name];
	equal(JSON.stringify(got.v), JSON.stringify(want), 'chart series ' + name);
	const last = want[want.length - 1];
	const line = (await hoverTime(page, got.end + 1e-6))
		.split('\n')
		.find((l) => l.startsWith(name + ' '));
	if (!line || !line.endsWith('(' + n(last) + ' bytes)'))
		fail('hover after the last point shows "' + line + '", want ' + n(last) + ' bytes');
	ok('hover after the last point: ' + line);
}

async function checkEvents(page, snap, spec) {
	const [type, want] = spec.split('=');
	const got = await page.evaluate((type) => {
		const tl = window.memtraceReport.timeline;
		return { marks: tl.marks.filter((m) => m.type === type), pid: tl.proc.p.pid };
	}, type);
	const events = snap.processes
		.find((p) => p.pid === got.pid)
		.timeline.events.filter((e) => e.type === type);
	equal(events.length, Number(want), 'snapshot ' + type + ' events');
	equal(
		JSON.stringify(got.marks.map((m) => m.t_s)),
		JSON.stringify(events.map((e) => e.t_s)),
		'chart marks of ' + type + ' events'
	);
	for (const e of events) {
		const tip = await hoverTime(page, e.t_s);
		const line =
			type === 'oom'
				? 'OOM: '
				: type === 'gc'
					? 'GC generation ' + e.generation
					: 'step';
		const more =
			type === 'oom' ? '(' + n(e.size) + ' bytes) of ' + e.kind + ' refused' : '';
		if (!tip.split('\n').some((l) => l.startsWith(line) && l.includes(more)))
			fail('hover at the ' + type + ' event at ' + e.t_s + ' s shows: ' + tip);
	}
	ok('hover at each ' + type + ' event names it');
}

async function checkGrowing(page, snap, name) {
	const leak = snap.leaks.find((l) => l.stack.length && l.stack[0].symbol === name);
	if (!leak || !leak.growing) fail('the snapshot has no growing site ' + name);
	const row = await page.$$eval(
		'#growing-sites tbody tr',
		(rows, name) =>
			rows
				.map((r) => Array.from(r.cells).map((c) => c.textContent))
				.find((c) => c[3].startsWith(name + ' ')),
		name
	);
	if (!row) fail('no row for ' + name + ' in the growing sites');
	const perStep =
		leak.growth_bytes_per_step === null
			? ''
			: ', +' + Math.round(leak.growth_bytes_per_step) + ' B/step';
	if (!row[0].startsWith('+') || !row[0].endsWith('/s' + perStep + ' GROWING'))
		fail(name + "'s growth reads " + row[0] + ', not ending /s' + perStep + ' GROWING');
	equal(row[2], n(leak.count), 'blocks of growing ' + name);
	/* the lifetimes column: every live block in one bucket or another */
	const live = row[6]
		.split('; ')
		.map((b) => /([\d,]+) live/.exec(b))
		.reduce((a, m) => a + (m ? Number(m[1].replace(/,/g, '')) : 0), 0);
	equal(
		live,
		leak.lifetimes.reduce((a, b) => a + b.live, 0),
		'live blocks in the lifetimes of ' + name
	);
	ok('growing ' + name + ': ' + row.join(' | '));
}

async function threadRows(page) {
	return page.$$eval('#threads tbody tr', (rows) =>
		rows.map((r) => Array.from(r.cells).map((c) => c.textContent))
	);
}

/* columns of the threads table with a resource profile: Faults, Net, Bottleneck (its share
 * only for a category's verdict) */
const FAULTS = 10,
	NET = 12,
	BOTTLENECK = 14;

async function checkResources(page, snap, opts) {
	const rows = await threadRows(page);
	for (const p of snap.processes)
		for (const t of p.threads) {
			if (!t.resources) continue;
			const row = rows.find((r) => r[1] === String(t.tid));
			if (!row) fail('no row for thread ' + t.tid);
			const b = t.resources.bottleneck;
			const decided = b.verdict !== 'balanced' && b.verdict !== 'unknown';
			equal(
				row[BOTTLENECK],
				b.verdict + (decided ? ' ' + Math.round(b.share * 100) + '%' : ''),
				'bottleneck of thread ' + t.tid
			);
			const m = t.resources.memory;
			equal(row[FAULTS], n(m.minor_faults + m.major_faults), 'faults of thread ' + t.tid);
		}
	for (const spec of opts.thread) {
		const [comm, net] = spec.split('=');
		const row = rows.find((r) => r[2] === comm);
		if (!row) fail('no row for thread ' + comm);
		equal(row[NET], net, 'network of thread ' + comm);
	}
}

async function report(page, files, opts) {
	const snap = JSON.parse(fs.readFileSync(files[1], 'utf8'));
	await checkSummary(page, snap);
	for (const s of opts.site) await checkSite(page, snap, s);
	for (const t of opts.timeline) await checkTimeline(page, snap, t);
	for (const name of opts.series) await checkSeries(page, snap, name);
	for (const spec of opts.events) await checkEvents(page, snap, spec);
	for (const name of opts.growing) await checkGrowing(page, snap, name);
	await checkResources(page, snap, opts);
	const threads = await page.$$eval('#threads tbody tr', (rows) => rows.length);
	equal(
		threads,
		snap.processes.reduce((a, p) => a + p.threads.length, 0),
		'thread rows'
	);
	const top = await page.$$eval('#top-sites tbody tr', (rows) => rows.length);
	equal(top, Math.min(snap.leaks.length, 100), 'top site rows');
}

async function diff(page, files, opts) {
	const base = JSON.parse(fs.readFileSync(files[1], 'utf8'));
	const neu = JSON.parse(fs.readFileSync(files[2], 'utf8'));
	const leafBytes = (s, name) =>
		s.leaks
			.filter((l) => l.stack.length && l.stack[0].symbol === name)
			.reduce((a, l) => a + l.bytes, 0);
	for (const name of opts.grown) {
		const node = await page.evaluate((name) => {
			const x = window.memtraceReport.flame
				.nodes()
				.find((x) => x.name === name && x.rect);
			if (!x || !x.rect) return null;
			/* the colour drawn in the middle of its box */
			const c = document.getElementById('fg-canvas');
			const ratio = c.width / c.clientWidth;
			/* at the box's left edge, where no label is written */
			const px = c
				.getContext('2d')
				.getImageData(
					Math.round((x.rect.x + 1.5) * ratio),
					Math.round((x.rect.y + x.rect.h / 2) * ratio),
					1,
					1
				).data;
			return {
				status: x.status,
				before: x.before,
				after: x.after,
				rgb: [px[0], px[1], px[2]],
			};
		}, name);
		if (!node) fail('no drawn node ' + name + ' in the diff flame graph');
		equal(node.before, leafBytes(base, name), name + ' before');
		equal(node.after, leafBytes(neu, name), name + ' after');
		equal(node.status, 'grown', name + ' status');
		if (!(node.rgb[0] > 200 && node.rgb[0] > node.rgb[2] + 60))
			fail(name + ' is drawn ' + node.rgb + ', not red');
		ok(name + ' is drawn red: rgb(' + node.rgb + ')');
		const { tip } = await hoverNode(page, name);
		if (!tip.includes('grown'))
			fail('the tooltip of ' + name + ' does not say grown: ' + tip);
		ok('hover over ' + name + ' says grown');
		const row = await page.$$eval(
			'#diff-sites tbody tr',
			(rows, name) =>
				rows
					.map((r) => Array.from(r.cells).map((c) => c.textContent))
					.find((c) => c[1].startsWith(name + ' ')),
			name
		);
		if (!row || row[0] !== 'grown' || !row[5].startsWith('+'))
			fail('the diff table has no grown row for ' + name + ': ' + row);
		ok('diff table: ' + row.join(' | '));
	}
	for (const name of opts.gone) {
		const row = await page.$$eval(
			'#diff-sites tbody tr',
			(rows, name) =>
				rows
					.map((r) => Array.from(r.cells).map((c) => c.textContent))
					.find((c) => c[1].startsWith(name + ' ')),
			name
		);
		if (!row || row[0] !== 'gone')
			fail('the diff table has no gone row for ' + name + ': ' + row);
		ok('diff table: ' + row.join(' | '));
	}
}

/* A name made of markup and a comment opener stays text: no element, no script, no request. */
async function hostile(page, files, opts) {
	const name = opts.name[0];
	const seen = await page.evaluate(
		(name) => ({
			injected: document.querySelectorAll('img, b, iframe').length,
			pwned: window.pwned === 1,
			node: window.memtraceReport.flame.nodes().some((x) => x.name === name),
			table: document.getElementById('top-sites').textContent.includes(name),
			comm: document
				.getElementById('tl-process')
				.textContent.includes('<b>x</b>'),
		}),
		name
	);
	equal(seen.injected, 0, 'elements made from the names');
	equal(seen.pwned, false, 'script run from a name');
	equal(seen.node, true, 'flame graph node named exactly ' + JSON.stringify(name));
	equal(seen.table, true, 'top sites show the name as text');
	equal(seen.comm, true, 'the process list shows <b>x</b> as text');
}

/*
 * The flame graph's switch offers exactly N measures (live bytes and blocks;
 * allocated bytes and allocation count only when every site has them), and
 * each sizes the root by the snapshot's sum over its sites.
 */
async function measures(page, files, opts) {
	const snap = JSON.parse(fs.readFileSync(files[1], 'utf8'));
	const options = await page.$$eval('#fg-value option', (o) => o.map((x) => x.value));
	equal(options.length, Number(opts.measures[0]), 'measures offered');
	for (const key of options) {
		await page.select('#fg-value', key);
		const field =
			key === 'bytes' || key === 'count' || key === 'allocs'
				? key
				: 'allocated_bytes';
		const got = await page.evaluate((key) => {
			const f = window.memtraceReport.flame;
			return {
				root: f.root[key],
				measure: f.measure.key,
				w: f.root.rect.w,
				title: document.getElementById('fg-title').textContent,
			};
		}, key);
		equal(got.measure, key, 'measure chosen');
		/* freed sites hold nothing live: only the allocated views count them */
		const sites = snap.leaks.concat(snap.freed_sites || []);
		equal(
			got.root,
			sites.reduce((a, l) => a + (l[field] || 0), 0),
			'flame graph root in ' + key
		);
		ok(key + ': ' + got.title);
	}
}

(async () => {
	const { mode, files, opts } = parseArgs(process.argv.slice(2));
	const shot = files[files.length - 1];
	const browser = await puppeteer.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
	});
	let status = 0;
	try {
		const page = await browser.newPage();
		const seen = await open(page, files[0]);
		if (mode === 'report') await report(page, files, opts);
		else if (mode === 'diff') await diff(page, files, opts);
		else if (mode === 'hostile') await hostile(page, files, opts);
		else if (mode === 'measures') await measures(page, files, opts);
		else fail('unknown mode ' + mode);
		await page.mouse.move(0, 0);
		await page.screenshot({ path: shot, fullPage: true });
		ok('screenshot ' + shot);
		equal(
			seen.attempted.length,
			0,
			'requests off the page (' + seen.attempted.join(' ') + ')'
		);
		equal(seen.problems.join('\n'), '', 'console errors and warnings');
	} catch (e) {
		console.log('FAIL ' + e.message);
		status = 1;
		/* what the page showed when it failed, to look at */
		const pages = await browser.pages();
		if (pages.length)
			await pages[pages.length - 1]
				.screenshot({ path: shot, fullPage: true })
				.catch(() => {});
	} finally {
		await browser.close();
	}
	process.exit(status);
})();
