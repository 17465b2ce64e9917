// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report's script: reads the page's data (the JSON in
 * #memtrace-data, written by user/render/html_*.c) and draws it. Canvas for
 * the charts, so that a flame graph of 100k stack nodes is one element, not
 * 100k. window.memtraceReport holds the models the charts draw, for the
 * browser test (tests/browser/html_report.js) and for anyone's console.
 */
(function () {
	'use strict';

	const data = JSON.parse(document.getElementById('memtrace-data').textContent);
	const strings = data.strings || [];
	const frames = data.frames || [];
	const $ = (id) => document.getElementById(id);
	const api = { data: data };
	window.memtraceReport = api;
	$('noscript').remove();

	/* ---- numbers as the text report says them (user/util/units.c): cut, never rounded */
	const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
	function bytes(n) {
		if (n < 1024) return n + ' B';
		let unit = 0;
		while (unit < 5 && n >= Math.pow(2, 10 * (unit + 2))) unit++;
		const scaled = n / Math.pow(2, 10 * (unit + 1));
		const whole = Math.floor(scaled);
		const hundredths = Math.floor((scaled - whole) * 100);
		if (whole < 10)
			return (
				whole +
				'.' +
				String(hundredths).padStart(2, '0') +
				' ' +
				UNITS[unit]
			);
		if (whole < 100)
			return whole + '.' + Math.floor(hundredths / 10) + ' ' + UNITS[unit];
		return whole + ' ' + UNITS[unit];
	}
	function signedBytes(n) {
		return n > 0 ? '+' + bytes(n) : n < 0 ? '-' + bytes(-n) : '0';
	}
	function count(n) {
		return Number(n).toLocaleString('en-US');
	}
	function seconds(s) {
		if (s === null || s === undefined) return '';
		if (s < 1) return Math.round(s * 1000) + ' ms';
		if (s < 60) return (Math.floor(s * 10) / 10).toFixed(1) + ' s';
		if (s < 3600)
			return (
				Math.floor(s / 60) +
				'm ' +
				String(Math.floor(s % 60)).padStart(2, '0') +
				's'
			);
		return (
			Math.floor(s / 3600) +
			'h ' +
			String(Math.floor((s % 3600) / 60)).padStart(2, '0') +
			'm'
		);
	}
	function pct(part, whole) {
		return whole ? ((part * 100) / whole).toFixed(1) + '%' : '0%';
	}
	function el(tag, attrs, text) {
		const e = document.createElement(tag);
		for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
		if (text !== undefined) e.textContent = text;
		return e;
	}

	/* ---- frames: [name, file, line, module] with strings by number */
	function frame(i) {
		const f = frames[i];
		return {
			name: f[0] === null ? '[unknown]' : strings[f[0]],
			file: f[1] === null ? null : strings[f[1]],
			line: f[2],
			module: f[3] === null ? null : strings[f[3]],
		};
	}
	function where(f) {
		if (f.file) return f.file + (f.line ? ':' + f.line : '');
		return f.module || '';
	}
	function leafText(site) {
		if (!site.stack.length) return '[no stack]';
		const f = frame(site.stack[0]);
		const w = where(f);
		return f.name + (w ? '  ' + w : '');
	}

	/* the leak sites; freed sites (nothing live) count in the allocated views only */
	const liveSites = data.sites.filter((s) => !s.freed);

	/* ---- processes over every snapshot, with a label each */
	const snaps = data.kind === 'diff' ? [data.new] : data.snapshots;
	const procs = [];
	snaps.forEach((s, si) =>
		s.processes.forEach((p, pi) => {
			let label = (p.comm || '?') + ' (pid ' + p.pid + ')';
			if (snaps.length > 1) label += ' [' + s.path + ']';
			procs.push({ snap: si, index: pi, p: p, label: label });
		})
	);
	function procOf(site) {
		if (site.proc === null || site.proc === undefined) return null;
		return (
			procs.find((x) => x.snap === (site.snap || 0) && x.index === site.proc) ||
			null
		);
	}

	/* ---- summary header */
	function card(label, value, exact, key) {
		const c = el('div', { class: 'card', 'data-key': key });
		c.appendChild(el('div', { class: 'label' }, label));
		c.appendChild(el('div', { class: 'value' }, value));
		if (exact !== null) c.appendChild(el('div', { class: 'exact' }, exact));
		$('cards').appendChild(c);
	}
	/*
	 * Device memory, as the text report counts it: device, managed, async and
	 * VMM physical bytes (not the ranges mapped onto them, not reserved
	 * address space, not pinned host memory). The peak is the highest
	 * process's, from its timeline: the kinds' own peaks do not add up to one.
	 */
	const DEVICE_KINDS = ['device', 'managed', 'async', 'vmm_physical'];
	function gpuLive(s) {
		let live = 0,
			peak = 0,
			any = false;
		for (const k in s.gpu_kinds) {
			any = any || s.gpu_kinds[k].allocs > 0;
			if (DEVICE_KINDS.includes(k)) live += s.gpu_kinds[k].current_bytes;
		}
		for (const p of s.processes)
			for (const v of (p.timeline && p.timeline.gpu_peak_bytes) || [])
				peak = Math.max(peak, v);
		return { live: live, peak: peak, any: any };
	}
	function summary() {
		if (data.kind === 'diff') return diffSummary();
		const multi = snaps.length > 1;
		snaps.forEach((s, i) => {
			const pre = multi ? '#' + (i + 1) + ' ' : '';
			const key = multi ? '.' + i : '';
			let leakBytes = 0,
				leakCount = 0,
				nrSites = 0;
			for (const site of liveSites) {
				if ((site.snap || 0) !== i) continue;
				leakBytes += site.bytes;
				leakCount += site.count;
				nrSites++;
			}
			const g = gpuLive(s);
			card(
				pre + 'Peak',
				bytes(s.totals.peak_bytes),
				count(s.totals.peak_bytes) + ' bytes',
				'peak' + key
			);
			card(
				pre + 'Current',
				bytes(s.totals.current_bytes),
				count(s.totals.current_bytes) + ' bytes',
				'current' + key
			);
			card(
				pre + 'Leaks',
				bytes(leakBytes),
				count(leakBytes) +
					' bytes in ' +
					count(leakCount) +
					' blocks, ' +
					count(nrSites) +
					' sites',
				'leaks' + key
			);
			card(pre + 'Lost events', count(s.lost_events), null, 'lost' + key);
			card(
				pre + 'GPU live / peak',
				g.any ? bytes(g.live) + ' / ' + bytes(g.peak) : 'none',
				g.any ? count(g.live) + ' / ' + count(g.peak) + ' bytes' : null,
				'gpu' + key
			);
			card(pre + 'OOM events', count(s.gpu_oom_events), null, 'oom' + key);
			card(pre + 'Duration', seconds(s.duration_s), null, 'duration' + key);
			const meta = [];
			if (s.host) meta.push('host ' + s.host);
			if (s.started_at) meta.push('started ' + s.started_at);
			if (s.command && s.command.length)
				meta.push('command: ' + s.command.join(' '));
			meta.push(s.path);
			$('meta').appendChild(
				el('div', { 'data-key': 'meta' + key }, pre + meta.join(' · '))
			);
		});
	}

	/* ---- memory over time */
	/* none of them the marks' green (GC), red (OOM) or grey (steps) */
	const PALETTE = [
		'#3b6fd4',
		'#e0782a',
		'#0b7a75',
		'#9b59b6',
		'#b8860b',
		'#16a2b8',
		'#8c6d1f',
		'#d63384',
		'#34495e',
		'#7cb342',
	];
	const tl = { proc: null, series: [], events: [], view: null, full: null };
	api.timeline = tl;

	function timelineSeries(p) {
		const t = p.timeline;
		const out = [];
		if (!t) return out;
		for (const name in t.host_bytes)
			out.push({ name: name, gpu: false, v: t.host_bytes[name] });
		for (const name in t.gpu_bytes)
			out.push({ name: 'GPU ' + name, gpu: true, v: t.gpu_bytes[name] });
		out.forEach((s, i) => {
			s.color = PALETTE[i % PALETTE.length];
			s.t = t.t_s;
		});
		return out;
	}
	/* A point holds the state at its slot's end, until the next point's slot ends. */
	function pointTime(t, i) {
		return t.t_s[i] + t.resolution_s;
	}
	tl.valueAt = function (name, time) {
		const s = tl.series.find((x) => x.name === name);
		const t = tl.proc && tl.proc.p.timeline;
		if (!s || !t) return null;
		let v = 0;
		for (let i = 0; i < t.t_s.length && pointTime(t, i) <= time; i++) v = s.v[i];
		return v;
	};

	function chooseProcess(i) {
		const pr = procs[i];
		tl.proc = pr;
		tl.series = timelineSeries(pr.p);
		tl.events = pr.p.timeline ? pr.p.timeline.events : [];
		const t = pr.p.timeline;
		const end = t && t.t_s.length ? pointTime(t, t.t_s.length - 1) : 0;
		const snap = snaps[pr.snap];
		tl.full = { t0: 0, t1: Math.max(end, snap.duration_s || 0, 0.001) };
		tl.view = { t0: tl.full.t0, t1: tl.full.t1 };
		const legend = $('tl-legend');
		legend.textContent = '';
		for (const s of tl.series) {
			const sp = el('span', {}, s.name);
			sp.style.setProperty('--swatch', s.color);
			legend.appendChild(sp);
		}
		for (const [name, color] of [
			['GC', '#2f9e5b'],
			['OOM', '#c0392b'],
			['step', '#9aa0ab'],
		]) {
			if (tl.events.some((e) => e.type === name.toLowerCase())) {
				const sp = el('span', {}, name);
				sp.style.setProperty('--swatch', color);
				legend.appendChild(sp);
			}
		}
		$('tl-empty').hidden = !!t;
		$('tl-canvas').hidden = !t;
		drawTimeline();
	}

	const PAD = { l: 72, r: 12, t: 10, b: 26 };
	function canvasSize(canvas, height) {
		const ratio = window.devicePixelRatio || 1;
		const w = canvas.clientWidth || 800;
		canvas.style.height = height + 'px';
		canvas.width = Math.round(w * ratio);
		canvas.height = Math.round(height * ratio);
		const ctx = canvas.getContext('2d');
		ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
		return { ctx: ctx, w: w, h: height };
	}
	function niceStep(range, n) {
		const raw = range / n;
		const mag = Math.pow(10, Math.floor(Math.log10(raw)));
		const f = raw / mag;
		return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
	}
	function niceBytesStep(max) {
		let step = 1;
		while (max / step > 6) step *= step < 1024 ? 2 : 2;
		return step;
	}

	function drawTimeline() {
		const canvas = $('tl-canvas');
		const { ctx, w, h } = canvasSize(canvas, 280);
		const t = tl.proc && tl.proc.p.timeline;
		ctx.clearRect(0, 0, w, h);
		if (!t) return;
		const v = tl.view;
		let max = 1;
		for (const s of tl.series) for (const x of s.v) max = Math.max(max, x);
		const step = niceBytesStep(max);
		max = Math.ceil(max / step) * step;
		const pw = w - PAD.l - PAD.r,
			ph = h - PAD.t - PAD.b;
		tl.xOf = (time) => PAD.l + ((time - v.t0) / (v.t1 - v.t0)) * pw;
		tl.timeOf = (x) => v.t0 + ((x - PAD.l) / pw) * (v.t1 - v.t0);
		tl.yOf = (b) => PAD.t + ph - (b / max) * ph;
		tl.max = max;
		ctx.font = '11px system-ui, sans-serif';
		ctx.strokeStyle = '#e4e7ed';
		ctx.fillStyle = '#5d6677';
		ctx.textAlign = 'right';
		ctx.textBaseline = 'middle';
		for (let b = 0; b <= max; b += step) {
			const y = tl.yOf(b);
			ctx.beginPath();
			ctx.moveTo(PAD.l, y);
			ctx.lineTo(w - PAD.r, y);
			ctx.stroke();
			ctx.fillText(bytes(b), PAD.l - 6, y);
		}
		const ts = niceStep(v.t1 - v.t0, 8);
		ctx.textAlign = 'center';
		ctx.textBaseline = 'top';
		for (let x = Math.ceil(v.t0 / ts) * ts; x <= v.t1 + 1e-9; x += ts)
			ctx.fillText(seconds(x), tl.xOf(x), h - PAD.b + 6);
		ctx.save();
		ctx.beginPath();
		ctx.rect(PAD.l, PAD.t - 2, pw, ph + 4);
		ctx.clip();
		tl.marks = [];
		for (const e of tl.events) {
			const color =
				e.type === 'gc'
					? '#2f9e5b'
					: e.type === 'oom'
						? '#c0392b'
						: e.type === 'step'
							? '#9aa0ab'
							: null;
			if (!color) continue;
			ctx.strokeStyle = color;
			ctx.lineWidth = e.type === 'oom' ? 2 : 1;
			const x = tl.xOf(e.t_s);
			if (x >= PAD.l && x <= w - PAD.r)
				tl.marks.push({ type: e.type, t_s: e.t_s, x: x });
			ctx.beginPath();
			ctx.moveTo(x, e.type === 'step' ? PAD.t + ph - 8 : PAD.t);
			ctx.lineTo(x, PAD.t + ph);
			ctx.stroke();
		}
		ctx.lineWidth = 1.5;
		for (const s of tl.series) {
			ctx.strokeStyle = s.color;
			ctx.beginPath();
			let y = tl.yOf(0);
			ctx.moveTo(tl.xOf(0), y);
			for (let i = 0; i < s.v.length; i++) {
				const x = tl.xOf(pointTime(t, i));
				ctx.lineTo(x, y);
				y = tl.yOf(s.v[i]);
				ctx.lineTo(x, y);
			}
			ctx.lineTo(tl.xOf(tl.full.t1), y);
			ctx.stroke();
		}
		ctx.restore();
		if (tl.drag) {
			ctx.fillStyle = 'rgba(59, 111, 212, 0.15)';
			ctx.fillRect(
				Math.min(tl.drag.x0, tl.drag.x1),
				PAD.t,
				Math.abs(tl.drag.x1 - tl.drag.x0),
				ph
			);
		}
	}

	function timelineTip(ev) {
		const tip = $('tl-tip');
		const t = tl.proc && tl.proc.p.timeline;
		const r = $('tl-canvas').getBoundingClientRect();
		const x = ev.clientX - r.left;
		if (!t || x < PAD.l || x > r.width - PAD.r) {
			tip.style.display = 'none';
			return;
		}
		const time = tl.timeOf(x);
		const lines = ['at ' + seconds(time)];
		for (const s of tl.series) {
			const v = tl.valueAt(s.name, time);
			lines.push(s.name + ' ' + bytes(v) + ' (' + count(v) + ' bytes)');
		}
		for (const e of tl.events) {
			if (
				Math.abs(tl.xOf(e.t_s) - x) > 3 ||
				e.type === 'start' ||
				e.type === 'end'
			)
				continue;
			if (e.type === 'gc')
				lines.push(
					'GC generation ' +
						e.generation +
						', ' +
						seconds(e.duration_s)
				);
			else if (e.type === 'oom')
				lines.push(
					'OOM: ' +
						bytes(e.size) +
						' (' +
						count(e.size) +
						' bytes) of ' +
						e.kind +
						' refused, ' +
						bytes(e.gpu_live_bytes) +
						' GPU live'
				);
			else lines.push(e.type);
		}
		tip.textContent = lines.join('\n');
		tip.style.display = 'block';
		tip.style.left = Math.min(x + 12, r.width - 200) + 'px';
		tip.style.top = ev.clientY - r.top + 12 + 'px';
	}

	function setupTimeline() {
		const sel = $('tl-process');
		let best = -1,
			bestPeak = -1;
		procs.forEach((pr, i) => {
			sel.appendChild(el('option', { value: String(i) }, pr.label));
			const peak = pr.p.timeline ? pr.p.counters.peak_bytes : -1;
			if (peak > bestPeak) {
				best = i;
				bestPeak = peak;
			}
		});
		if (best < 0) {
			$('tl-empty').hidden = false;
			$('tl-canvas').hidden = true;
			sel.parentElement.parentElement.hidden = true;
			return;
		}
		sel.value = String(best);
		sel.addEventListener('change', () => chooseProcess(Number(sel.value)));
		const canvas = $('tl-canvas');
		canvas.addEventListener('mousedown', (ev) => {
			const r = canvas.getBoundingClientRect();
			tl.drag = { x0: ev.clientX - r.left, x1: ev.clientX - r.left };
		});
		canvas.addEventListener('mousemove', (ev) => {
			timelineTip(ev);
			if (!tl.drag) return;
			tl.drag.x1 = ev.clientX - canvas.getBoundingClientRect().left;
			drawTimeline();
		});
		canvas.addEventListener('mouseleave', () => {
			$('tl-tip').style.display = 'none';
		});
		window.addEventListener('mouseup', () => {
			const d = tl.drag;
			tl.drag = null;
			if (!d) return;
			if (Math.abs(d.x1 - d.x0) >= 4) {
				const a = tl.timeOf(Math.min(d.x0, d.x1)),
					b = tl.timeOf(Math.max(d.x0, d.x1));
				tl.view = {
					t0: Math.max(a, tl.full.t0),
					t1: Math.min(b, tl.full.t1),
				};
			}
			drawTimeline();
		});
		$('tl-reset').addEventListener('click', () => {
			tl.view = { t0: tl.full.t0, t1: tl.full.t1 };
			drawTimeline();
		});
		chooseProcess(best);
	}

	/* ---- flame graph: one tree, every measure summed at every node */
	const MEASURES = [
		{ key: 'bytes', label: 'live bytes', isBytes: true },
		{ key: 'count', label: 'live blocks', isBytes: false },
		{ key: 'allocated_bytes', label: 'allocated bytes', isBytes: true, optional: true },
		{ key: 'allocs', label: 'allocation count', isBytes: false, optional: true },
	];
	const fg = {
		root: null,
		zoomed: null,
		measure: MEASURES[0],
		inverted: false,
		search: '',
		rows: [],
		maxDepth: 0,
	};
	api.flame = fg;

	function newNode(name, parent, f) {
		return {
			name: name,
			file: f ? f.file : null,
			line: f ? f.line : 0,
			module: f ? f.module : null,
			parent: parent,
			children: new Map(),
			depth: parent ? parent.depth + 1 : 0,
			bytes: 0,
			count: 0,
			allocated_bytes: 0,
			allocs: 0,
			before: 0,
			after: 0,
			status: null,
			rect: null,
		};
	}
	function add(node, site) {
		node.bytes += site.bytes;
		node.count += site.count;
		node.allocated_bytes += site.allocated_bytes || 0;
		node.allocs += site.allocs || 0;
		if (site.diff) {
			node.before += site.diff.before;
			node.after += site.diff.after;
		}
	}
	function child(node, key, name, f) {
		let c = node.children.get(key);
		if (!c) {
			c = newNode(name, node, f);
			node.children.set(key, c);
		}
		return c;
	}
	function buildTree(sites) {
		const root = newNode('all', null, null);
		for (const site of sites) {
			add(root, site);
			const pr = procOf(site);
			let node = child(
				root,
				'p' + (pr ? pr.snap + ':' + pr.index : site.pname || site.pid),
				pr ? pr.label : site.pname || 'pid ' + site.pid,
				null
			);
			add(node, site);
			if (site.allocator && site.allocator.indexOf('.') >= 0) {
				node = child(
					node,
					'a' + site.allocator,
					'[' + site.allocator + ']',
					null
				);
				add(node, site);
			}
			if (!site.stack.length) {
				node = child(node, 'none', '[no stack]', null);
				add(node, site);
			}
			for (let i = site.stack.length - 1; i >= 0; i--) {
				node = child(node, site.stack[i], null, null);
				if (node.name === null) {
					const f = frame(site.stack[i]);
					Object.assign(node, {
						name: f.name,
						file: f.file,
						line: f.line,
						module: f.module,
					});
				}
				add(node, site);
			}
		}
		let maxDepth = 0;
		const walk = (n) => {
			maxDepth = Math.max(maxDepth, n.depth);
			/* sorted by name once, flame graph order: every draw walks them */
			n.kids = Array.from(n.children.values()).sort((a, b) =>
				a.name < b.name ? -1 : a.name > b.name ? 1 : 0
			);
			if (data.kind === 'diff')
				n.status =
					n.before === 0 && n.after > 0
						? 'new'
						: n.after > n.before
							? 'grown'
							: n.after < n.before
								? 'shrunk'
								: 'same';
			for (const c of n.children.values()) walk(c);
		};
		walk(root);
		fg.maxDepth = maxDepth;
		return root;
	}
	/* every node, depth first, for the test and the search */
	fg.nodes = function () {
		const out = [];
		const walk = (n) => {
			out.push(n);
			for (const c of n.children.values()) walk(c);
		};
		if (fg.root) walk(fg.root);
		return out;
	};
	fg.path = (n) => {
		const names = [];
		for (; n; n = n.parent) names.unshift(n.name);
		return names;
	};

	const ROW = 18;
	function hue(name) {
		let h = 0;
		for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
		return h;
	}
	function fillFor(n, matched) {
		if (matched) return '#d63384';
		if (data.kind === 'diff') {
			const delta = n.after - n.before;
			const scale = fg.maxDelta ? Math.min(1, Math.abs(delta) / fg.maxDelta) : 0;
			if (n.status === 'new') return 'rgb(200, 30, 30)';
			if (delta > 0)
				return (
					'rgb(235, ' +
					Math.round(190 - 150 * scale) +
					', ' +
					Math.round(170 - 140 * scale) +
					')'
				);
			if (delta < 0)
				return (
					'rgb(' +
					Math.round(170 - 140 * scale) +
					', ' +
					Math.round(190 - 110 * scale) +
					', 235)'
				);
			return 'rgb(215, 215, 215)';
		}
		return WARM[hue(n.name) % WARM.length];
	}
	/* a few warm colours, picked by name: few fillStyle changes for many boxes */
	const WARM = [];
	for (let i = 0; i < 16; i++)
		WARM.push(
			'hsl(' +
				(8 + ((i * 37) % 42)) +
				', ' +
				(70 + ((i * 7) % 20)) +
				'%, ' +
				(58 + ((i * 5) % 12)) +
				'%)'
		);
	function isMatch(n) {
		return fg.search && n.name.toLowerCase().indexOf(fg.search) >= 0;
	}

	function drawFlame() {
		const canvas = $('fg-canvas');
		const key = fg.measure.key;
		fg.rows = [];
		if (!fg.root || !fg.root[key]) {
			canvasSize(canvas, 0);
			return;
		}
		const depth = fg.maxDepth + 1;
		const { ctx, w, h } = canvasSize(canvas, depth * ROW + 2);
		ctx.clearRect(0, 0, w, h);
		ctx.font = '11px ui-monospace, Menlo, Consolas, monospace';
		ctx.textBaseline = 'middle';
		/* only the boxes drawn last time have a rect to forget */
		for (const n of fg.drawn || []) n.rect = null;
		fg.drawn = [];
		const yOf = (d) => (fg.inverted ? h - (d + 1) * ROW - 1 : d * ROW + 1);
		const z = fg.zoomed;
		/*
		 * Boxes are batched by colour and drawn after the walk, labels last:
		 * setting a fill style is what costs, not the rectangles.
		 */
		const batches = new Map();
		const labels = [];
		const box = (n, x, bw) => {
			const y = yOf(n.depth);
			n.rect = { x: x, y: y, w: bw, h: ROW - 1 };
			fg.drawn.push(n);
			(fg.rows[n.depth] = fg.rows[n.depth] || []).push(n);
			const fill = fillFor(n, isMatch(n));
			let batch = batches.get(fill);
			if (!batch) batches.set(fill, (batch = []));
			batch.push(n.rect);
			if (bw > 24) labels.push(n);
		};
		/* the zoomed node's ancestors span the width, faded */
		ctx.globalAlpha = 0.55;
		for (let a = z.parent; a; a = a.parent) {
			const y = yOf(a.depth);
			a.rect = { x: 0, y: y, w: w, h: ROW - 1 };
			fg.drawn.push(a);
			(fg.rows[a.depth] = fg.rows[a.depth] || []).push(a);
			ctx.fillStyle = fillFor(a, isMatch(a));
			ctx.fillRect(0, y, w - 0.5, ROW - 1);
			labels.push(a);
		}
		ctx.globalAlpha = 1;
		const total = z[key];
		const walk = (n, x, bw) => {
			box(n, x, bw);
			let cx = x;
			for (const c of n.kids) {
				if (!(c[key] > 0)) continue;
				const cw = (c[key] / total) * w;
				/* under a third of a pixel: neither it nor its children show */
				if (cw >= 0.33) walk(c, cx, cw);
				cx += cw;
			}
		};
		walk(z, 0, w);
		for (const [fill, rects] of batches) {
			ctx.fillStyle = fill;
			for (const r of rects)
				ctx.fillRect(r.x, r.y, Math.max(r.w - 0.5, 0.5), r.h);
		}
		ctx.fillStyle = '#1d2330';
		for (const n of labels) {
			let label = n.name;
			const room = Math.floor((n.rect.w - 6) / 6.6);
			if (label.length > room)
				label = label.slice(0, Math.max(room - 1, 1)) + '…';
			ctx.fillText(label, n.rect.x + 3, n.rect.y + ROW / 2);
		}
	}

	function nodeAt(x, y) {
		for (const row of fg.rows) {
			if (!row || !row.length || y < row[0].rect.y || y >= row[0].rect.y + ROW)
				continue;
			for (const n of row) if (x >= n.rect.x && x < n.rect.x + n.rect.w) return n;
		}
		return null;
	}
	fg.tipText = function (n) {
		const m = fg.measure;
		const lines = [n.name];
		const w = n.file ? n.file + (n.line ? ':' + n.line : '') : n.module;
		if (w) lines.push(w);
		lines.push(
			bytes(n.bytes) +
				' (' +
				count(n.bytes) +
				' bytes) in ' +
				count(n.count) +
				' blocks, ' +
				pct(n[m.key], fg.root[m.key]) +
				' of all ' +
				m.label
		);
		if (fg.hasAllocated)
			lines.push(
				'allocated ' +
					bytes(n.allocated_bytes) +
					' in ' +
					count(n.allocs) +
					' allocations'
			);
		if (data.kind === 'diff')
			lines.push(
				n.status +
					': ' +
					bytes(n.before) +
					' -> ' +
					bytes(n.after) +
					' (' +
					signedBytes(n.after - n.before) +
					')'
			);
		return lines.join('\n');
	};

	function searchSummary() {
		const out = $('fg-match');
		if (!fg.search) {
			out.textContent = '';
			fg.matchShare = null;
			return;
		}
		const key = fg.measure.key;
		let sum = 0,
			nr = 0;
		const walk = (n) => {
			if (isMatch(n)) {
				sum += n[key];
				nr++;
				return;
			}
			for (const c of n.children.values()) walk(c);
		};
		walk(fg.root);
		fg.matchShare = { value: sum, nodes: nr };
		out.textContent = nr
			? 'matched ' +
				(fg.measure.isBytes ? bytes(sum) : count(sum)) +
				', ' +
				pct(sum, fg.root[key]) +
				' of ' +
				fg.measure.label
			: 'no match';
	}

	function setupFlame(sites) {
		fg.hasAllocated = sites.length > 0 && sites.every((s) => s.allocs !== undefined);
		fg.root = buildTree(sites);
		fg.zoomed = fg.root;
		if (data.kind === 'diff') {
			let maxDelta = 0;
			for (const n of fg.nodes())
				if (n.depth > 0)
					maxDelta = Math.max(maxDelta, Math.abs(n.after - n.before));
			fg.maxDelta = maxDelta;
			const legend = $('fg-legend');
			for (const [name, color] of [
				['new', 'rgb(200, 30, 30)'],
				['grown', 'rgb(235, 40, 30)'],
				['shrunk', 'rgb(30, 80, 235)'],
				['same', 'rgb(215, 215, 215)'],
			]) {
				const sp = el('span', {}, name);
				sp.style.setProperty('--swatch', color);
				legend.appendChild(sp);
			}
		}
		const sel = $('fg-value');
		const measures = MEASURES.filter((m) => !m.optional || fg.hasAllocated);
		for (const m of measures) sel.appendChild(el('option', { value: m.key }, m.label));
		/* one measure only: no switch to show */
		sel.parentElement.hidden = measures.length < 2 && data.kind !== 'diff';
		sel.addEventListener('change', () => {
			fg.measure = MEASURES.find((m) => m.key === sel.value);
			$('fg-title').textContent = titleFor(fg.measure);
			searchSummary();
			drawFlame();
		});
		$('fg-title').textContent = titleFor(fg.measure);
		$('fg-empty').hidden =
			!!fg.root.bytes || (fg.hasAllocated && !!fg.root.allocated_bytes);
		$('fg-inverted').addEventListener('change', (ev) => {
			fg.inverted = ev.target.checked;
			drawFlame();
		});
		$('fg-search').addEventListener('input', (ev) => {
			fg.search = ev.target.value.trim().toLowerCase();
			searchSummary();
			drawFlame();
		});
		$('fg-reset').addEventListener('click', () => fg.zoom(fg.root));
		const canvas = $('fg-canvas');
		canvas.addEventListener('mousemove', (ev) => {
			const r = canvas.getBoundingClientRect();
			const x = ev.clientX - r.left,
				y = ev.clientY - r.top;
			const n = nodeAt(x, y);
			const tip = $('fg-tip');
			if (!n) {
				tip.style.display = 'none';
				return;
			}
			tip.textContent = fg.tipText(n);
			tip.style.display = 'block';
			tip.style.left = Math.min(x + 12, Math.max(r.width - 360, 0)) + 'px';
			tip.style.top = y + 14 + 'px';
		});
		canvas.addEventListener('mouseleave', () => {
			$('fg-tip').style.display = 'none';
		});
		canvas.addEventListener('click', (ev) => {
			const r = canvas.getBoundingClientRect();
			const n = nodeAt(ev.clientX - r.left, ev.clientY - r.top);
			if (n) fg.zoom(n);
		});
		drawFlame();
	}
	fg.zoom = function (n) {
		fg.zoomed = n;
		drawFlame();
	};
	function titleFor(m) {
		if (data.kind === 'diff')
			return 'New snapshot by stack (' + m.label + '), coloured by change';
		return (
			(m.key === 'bytes' || m.key === 'count' ? 'Live memory' : 'Allocations') +
			' by stack: ' +
			m.label
		);
	}

	/* ---- tables */
	function table(id, head, rows) {
		const t = $(id);
		t.textContent = '';
		const tr = el('tr');
		for (const [label, num] of head)
			tr.appendChild(el('th', num ? { class: 'num' } : {}, label));
		t.appendChild(el('thead')).appendChild(tr);
		const body = t.appendChild(el('tbody'));
		for (const row of rows) {
			const r = body.appendChild(el('tr'));
			row.forEach((cell, i) => {
				const attrs = head[i][1]
					? { class: 'num' }
					: head[i][2]
						? { class: head[i][2] }
						: {};
				const td = r.appendChild(
					el(
						'td',
						attrs,
						cell && cell.text !== undefined ? cell.text : cell
					)
				);
				if (cell && cell.cls) td.className += ' ' + cell.cls;
			});
		}
	}
	function procLabel(site) {
		const pr = procOf(site);
		return pr ? pr.label : 'pid ' + site.pid;
	}
	function lifetimes(site) {
		const names = [
			'1 µs',
			'10 µs',
			'100 µs',
			'1 ms',
			'10 ms',
			'100 ms',
			'1 s',
			'10 s',
			'100 s',
			'1000 s',
			'10000 s',
		];
		return (site.lifetimes || [])
			.map((l) => {
				const i = Math.round(Math.log10(l[0] / 1000));
				const le =
					i >= 0 && i < names.length
						? '≤' + names[i]
						: '>' + names[names.length - 1];
				const parts = [];
				if (l[2]) parts.push(count(l[2]) + ' live');
				if (l[1]) parts.push(count(l[1]) + ' freed');
				return le + ': ' + parts.join(', ');
			})
			.join('; ');
	}
	const TOP = 100;
	/* "+20.0 KiB/s, +1000 B/step GROWING" */
	function growthText(s) {
		const parts = [];
		if (s.growth_bytes_per_s !== null)
			parts.push(signedBytes(Math.round(s.growth_bytes_per_s)) + '/s');
		if (s.growth_bytes_per_step !== null)
			parts.push(signedBytes(Math.round(s.growth_bytes_per_step)) + '/step');
		return parts.join(', ') + (s.growing ? ' GROWING' : '');
	}
	function siteTables() {
		const sites = liveSites.slice().sort((a, b) => b.bytes - a.bytes);
		table(
			'top-sites',
			[
				['#', true],
				['Live bytes', true],
				['Blocks', true],
				['Process'],
				['Allocator'],
				['Where (leaf frame)', false, 'frame'],
				['Oldest', true],
			],
			sites
				.slice(0, TOP)
				.map((s, i) => [
					String(i + 1),
					bytes(s.bytes),
					count(s.count),
					procLabel(s),
					s.allocator,
					leafText(s),
					seconds(s.oldest_age_s),
				])
		);
		const growing = sites
			.filter((s) => s.growing || s.growth_bytes_per_s > 0)
			.sort((a, b) => (b.growth_bytes_per_s || 0) - (a.growth_bytes_per_s || 0));
		if (!growing.length) {
			$('growing-sites').replaceWith(
				el(
					'p',
					{ id: 'growing-sites', class: 'note' },
					'No site grew (growth is measured with --interval).'
				)
			);
			return;
		}
		table(
			'growing-sites',
			[
				['Growth', true],
				['Live bytes', true],
				['Blocks', true],
				['Where (leaf frame)', false, 'frame'],
				['First seen', true],
				['Oldest', true],
				['Lifetimes (by age bucket)'],
			],
			growing
				.slice(0, TOP)
				.map((s) => [
					growthText(s),
					bytes(s.bytes),
					count(s.count),
					leafText(s),
					seconds(s.first_seen_s),
					seconds(s.oldest_age_s),
					lifetimes(s),
				])
		);
	}
	function threadTable() {
		const rows = [];
		/* the resource profile's columns, when the run gathered one (not --no-resources) */
		const res = procs.some((pr) => pr.p.threads.some((t) => t.resources));
		const resCells = (r) =>
			!r
				? ['', '', '', '', '', '', '']
				: [
						/* the scheduler's own run time: user and system time come in ticks */
						seconds(r.on_cpu_ns / 1e9),
						seconds(r.runqueue_ns / 1e9),
						count(r.minor_faults + r.major_faults),
						bytes(r.read_bytes) + ' / ' + bytes(r.write_bytes),
						bytes(r.tx_bytes) + ' / ' + bytes(r.rx_bytes),
						r.gpu_bytes || r.gpu_sync_ns
							? bytes(r.gpu_bytes) + ', ' + seconds(r.gpu_sync_ns / 1e9) + ' waiting'
							: '',
						/* a share decides only a category's verdict */
						r.verdict === 'balanced' || r.verdict === 'unknown'
							? r.verdict
							: r.verdict + ' ' + Math.round(r.share * 100) + '%',
					];
		for (const pr of procs)
			for (const t of pr.p.threads)
				rows.push(
					[
						pr.label,
						String(t.tid),
						t.comm,
						bytes(t.counters.current_bytes),
						bytes(t.counters.peak_bytes),
						count(t.counters.allocs),
						count(t.counters.frees),
						bytes(t.counters.allocated_bytes),
					]
						.concat(res ? resCells(t.resources) : [])
						.concat([t.exited ? 'exited' : ''])
				);
		table(
			'threads',
			[
				['Process'],
				['TID', true],
				['Name'],
				['Current', true],
				['Peak', true],
				['Allocs', true],
				['Frees', true],
				['Allocated', true],
			]
				.concat(
					res
						? [
								['CPU time', true],
								['Run queue', true],
								['Faults', true],
								['IO read / written', true],
								['Net sent / received', true],
								['GPU copied, waiting', true],
								['Bottleneck'],
							]
						: []
				)
				.concat([['']]),
			rows
		);
	}

	/* ---- diff page */
	function diffSummary() {
		$('title').textContent = 'memtrace diff';
		$('meta').appendChild(
			el('div', {}, 'base ' + data.base.path + ' · new ' + data.new.path)
		);
		for (const m of data.totals) {
			const b = m.bytes;
			card(
				m.name,
				(b ? bytes(m.before) : count(m.before)) +
					' → ' +
					(b ? bytes(m.after) : count(m.after)),
				b
					? signedBytes(m.after - m.before)
					: (m.after - m.before >= 0 ? '+' : '') +
							count(m.after - m.before),
				m.name
			);
		}
	}
	function diffTable() {
		$('diff-section').hidden = false;
		$('flame-row').classList.add('diff');
		for (const id of ['sites-section', 'growing-section', 'threads-section'])
			$(id).hidden = true;
		table(
			'diff-sites',
			[
				['Status'],
				['Where (leaf frame)', false, 'frame'],
				['Process'],
				['Before', true],
				['After', true],
				['Change', true],
			],
			data.sites
				.filter((s) => s.diff.status !== 'same')
				.map((s) => [
					{ text: s.diff.status, cls: 'status-' + s.diff.status },
					leafText(s),
					s.pname || '',
					bytes(s.diff.before),
					bytes(s.diff.after),
					signedBytes(s.diff.after - s.diff.before),
				])
		);
	}

	summary();
	setupTimeline();
	if (data.kind === 'diff') {
		/* the table first: it takes its column, the flame graph what is left */
		diffTable();
		/* the new snapshot's stacks: bytes and count are the new side's */
		setupFlame(data.sites.filter((s) => s.diff.after > 0));
	} else {
		setupFlame(data.sites);
		siteTables();
		threadTable();
	}
	$('footer').textContent = 'memtrace ' + data.version;
	window.addEventListener('resize', () => {
		drawTimeline();
		drawFlame();
	});
	api.ready = true;
})();
