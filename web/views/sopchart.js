// The SOP drawn as the national format draws it (Permenpan RB 35/2012), as SVG built from the
// definition of GET /api/sops/{version_id} (docs/sop-format.md), optionally with a case of
// GET /api/meetings/{id}/case drawn on it.
//
// sopChartPages(definition, opts) returns one <svg> per printed page, each sized for A4 landscape
// less 10 mm margins (277 × 190 mm, 4 units per mm):
//   page 1       the identity block (Bagian Identitas): ministry, unit, Nomor SOP, dates,
//                Disahkan oleh, Nama SOP; then Dasar Hukum, Kualifikasi Pelaksana, Keterkaitan,
//                Peralatan/perlengkapan, Peringatan, Pencatatan dan pendataan in two columns;
//   pages 2…     the flowchart table: No | Kegiatan | one column per role (the definition's
//                order, headed by its `column`) | Mutu Baku: Kelengkapan, Waktu, Output |
//                Keterangan. Each step's symbol sits in its performer's column: a terminator
//                for the start and end steps, a process rectangle, a decision diamond with its
//                answers on its outgoing arrows (an answer that ends the SOP goes to a small end
//                terminator beside the diamond); orthogonal arrows run through the role
//                columns only, which hold no text; where the table breaks across pages, an
//                off-page connector (a pentagon with a letter) ends the arrow at the bottom of
//                one page and the matching one starts it again at the top of the other.
// With opts.caseData the steps done are filled and ticked, the current ones outlined twice, their
// row tinted and a "Sekarang" marker under the step's number, those not reached dashed and grey, the arrows travelled (the branch taken at
// a decision) thick and solid, the others thin and dashed; the Waktu column gives the actual time
// of each step beside its standard ("6 mnt 10 dtk / 5 mnt") with a marked "Melampaui" when over.
// Every meaning is carried by shape, line or words as well as by colour. A legend is at the foot
// of each flowchart page.
//
// Text is measured with Arial's advance widths (Liberation Sans has the same metrics), so the
// layout is the same in every browser and on paper. Everything is made with createElementNS and
// text nodes; looks are SVG presentation attributes (no style attributes: the CSP forbids them),
// so a page is self-contained and prints the same without the stylesheet.

import {h, uid} from '../dom.js';
import {t, locale} from '../i18n.js';
import {textIn, fmtMinutes, fmtNumber, caseStateLabel} from '../format.js';

const NS = 'http://www.w3.org/2000/svg';

export const PAGE_W = 1108; // 277 mm
export const PAGE_H = 760; // 190 mm
const FONT = 'Arial, "Liberation Sans", Helvetica, sans-serif';

const FS = 10.5; // table text
const LH = 13;
const PAD = 5;
const FS_HEAD = 10; // column headings (bold)
const LH_HEAD = 12.5;
const FS_SMALL = 9; // answer labels, legend, connector notes
const LH_SMALL = 11;
const FS_TITLE = 14;
const LH_TITLE = 17;
const BAND = 46; // the strip of an off-page connector
const CONN_W = 24;
const CONN_H = 26;
const CONN_GAP = CONN_W + 64; // between two connectors in a strip

const COL = {
	ink: '#1b1f24',
	grid: '#47525e',
	head: '#e9eef5',
	navy: '#0b2a4a',
	doneFill: '#d2e1f2',
	current: '#9a5200',
	currentFill: '#fff0c2',
	currentRow: '#fff8e0',
	marker: '#f2b705',
	muted: '#8a96a3',
	mutedText: '#5f6b77',
	err: '#a4161a',
	white: '#ffffff',
};

// ---- text measuring (Arial / Liberation Sans advance widths, 1/1000 em)

function widthTable(spec) {
	const m = new Map();
	for (const [chars, w] of spec) for (const ch of chars) m.set(ch, w);
	return m;
}

const REGULAR = widthTable([
	["'", 191], ['ijl', 222], ['|', 260], ['ft !,./:;[\\]I', 278], ['r()-`', 333], ['{}', 334],
	['"', 355], ['*', 389], ['^', 469], ['cksvxyzJ', 500],
	['abdeghnopqu0123456789#$_?L–', 556], ['+<=>~', 584], ['FTZ', 611],
	['ABEKPSVXY&', 667], ['wCDHNRU', 722], ['GOQ', 778], ['mM', 833], ['%', 889], ['W', 944],
	['—…', 1000], ['@', 1015],
]);
const BOLD = widthTable([
	["'", 238], ['ijl ,./[\\]I', 278], ['|', 280], ['ft!:;()-`', 333], ['r{}*', 389], ['"', 474],
	['z', 500], ['acksvxyeJ0123456789#$_–', 556], ['^+<=>~', 584],
	['bdghnopquL?FTZ', 611], ['EPSVXY', 667], ['ABCDHKNRU&', 722], ['wGOQ', 778], ['M', 833],
	['m%', 889], ['W', 944], ['@', 975], ['—…', 1000],
]);

function charWidth(ch, bold) {
	const w = (bold ? BOLD : REGULAR).get(ch);
	if (w !== undefined) return w;
	if (/\p{Lu}/u.test(ch)) return 722;
	if (/\p{L}/u.test(ch)) return 580; // accented letters and the like
	return 620;
}

export function textWidth(str, size = FS, bold = false) {
	let w = 0;
	for (const ch of String(str)) w += charWidth(ch, bold);
	return (w * size) / 1000;
}

// TEXT as lines no wider than MAXWIDTH: breaks at spaces, keeps its own line breaks, and cuts a
// word longer than a line.
export function wrapText(text, maxWidth, size = FS, bold = false) {
	const out = [];
	for (const para of String(text ?? '').split('\n')) {
		const words = para.split(/[ \t]+/).filter(Boolean);
		let line = '';
		for (const word of words) {
			const candidate = line ? `${line} ${word}` : word;
			if (textWidth(candidate, size, bold) <= maxWidth) {
				line = candidate;
				continue;
			}
			if (line) out.push(line);
			let rest = Array.from(word);
			while (rest.length && textWidth(rest.join(''), size, bold) > maxWidth) {
				let k = 1;
				while (k < rest.length && textWidth(rest.slice(0, k + 1).join(''), size, bold) <= maxWidth) k += 1;
				out.push(rest.slice(0, k).join(''));
				rest = rest.slice(k);
			}
			line = rest.join('');
		}
		out.push(line);
	}
	return out;
}

// ---- SVG building

function el(tag, attrs, ...children) {
	const node = document.createElementNS(NS, tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			node.setAttribute(k, String(v));
		}
	}
	for (const child of children.flat()) {
		if (child === null || child === undefined || child === false) continue;
		node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return node;
}

const r1 = (v) => Math.round(v * 10) / 10;

// LINES as one <text>, the first baseline at Y.
function textLines(lines, x, y, o = {}) {
	const size = o.size || FS;
	const lh = o.lh || LH;
	const node = el('text', {
		x: r1(x), y: r1(y), 'font-size': size, 'font-weight': o.bold ? 'bold' : null,
		'text-anchor': o.anchor && o.anchor !== 'start' ? o.anchor : null,
		fill: o.fill || COL.ink,
	});
	lines.forEach((line, i) => node.appendChild(el('tspan', {x: r1(x), y: r1(y + i * lh)}, line)));
	return node;
}

function line(x1, y1, x2, y2, stroke = COL.grid, width = 0.8, extra = {}) {
	return el('line', {x1: r1(x1), y1: r1(y1), x2: r1(x2), y2: r1(y2), stroke, 'stroke-width': width, ...extra});
}

const baseline = (top, size) => top + PAD + size * 0.8;

// A block of cell content: {lines, size, lh, bold, fill, icon}. Its height:
function blocksHeight(blocks) {
	return blocks.reduce((sum, b, i) => sum + b.lines.length * (b.lh || LH) + (i ? 2 : 0), 0);
}

function drawBlocks(g, blocks, x, top, w, anchor = 'start') {
	let y = top + PAD;
	for (const b of blocks) {
		const size = b.size || FS;
		const lh = b.lh || LH;
		let tx = anchor === 'middle' ? x + w / 2 : x + PAD;
		if (b.icon === 'breach') {
			g.append(breachIcon(tx + 6, y + size * 0.45, size * 0.62));
			tx += 16;
		}
		g.append(textLines(b.lines, tx, y + size * 0.8, {size, lh, bold: b.bold, fill: b.fill, anchor}));
		y += b.lines.length * lh + 2;
	}
}

// ---- small pictures

function tickBadge(x, y, r = 7) {
	return el('g', {'aria-hidden': 'true'},
		el('circle', {cx: r1(x), cy: r1(y), r, fill: COL.navy, stroke: COL.white, 'stroke-width': 1}),
		el('path', {
			d: `M${r1(x - r * 0.5)} ${r1(y)} L${r1(x - r * 0.12)} ${r1(y + r * 0.42)} L${r1(x + r * 0.52)} ${r1(y - r * 0.4)}`,
			fill: 'none', stroke: COL.white, 'stroke-width': r * 0.3, 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
		}));
}

function breachIcon(cx, cy, r) {
	return el('g', null,
		el('polygon', {
			points: `${r1(cx)},${r1(cy - r)} ${r1(cx + r * 1.1)},${r1(cy + r * 0.8)} ${r1(cx - r * 1.1)},${r1(cy + r * 0.8)}`,
			fill: COL.err, stroke: COL.err, 'stroke-width': 0.8, 'stroke-linejoin': 'round',
		}),
		line(cx, cy - r * 0.45, cx, cy + r * 0.25, COL.white, r * 0.28),
		el('circle', {cx: r1(cx), cy: r1(cy + r * 0.55), r: r1(r * 0.15), fill: COL.white}));
}

function arrowHead(tip, from, color, size = 8) {
	const dx = tip[0] - from[0];
	const dy = tip[1] - from[1];
	const len = Math.hypot(dx, dy) || 1;
	const ux = dx / len;
	const uy = dy / len;
	const bx = tip[0] - ux * size;
	const by = tip[1] - uy * size;
	const half = size * 0.45;
	return el('polygon', {
		points: `${r1(tip[0])},${r1(tip[1])} ${r1(bx - uy * half)},${r1(by + ux * half)} ${r1(bx + uy * half)},${r1(by - ux * half)}`,
		fill: color, stroke: color, 'stroke-width': 0.5, 'stroke-linejoin': 'round',
	});
}

// An orthogonal path through POINTS; with an arrowhead at its end when HEAD.
function arrow(points, look, head = true) {
	const pts = [];
	for (const p of points) {
		const last = pts[pts.length - 1];
		if (last && Math.abs(last[0] - p[0]) < 0.05 && Math.abs(last[1] - p[1]) < 0.05) continue;
		pts.push(p);
	}
	if (pts.length < 2) return null;
	const g = el('g', null);
	const n = pts.length;
	const headSize = look.width > 1.5 ? 9 : 8;
	const end = pts[n - 1];
	const before = pts[n - 2];
	const segLen = Math.hypot(end[0] - before[0], end[1] - before[1]);
	const cut = head ? Math.min(headSize - 1, segLen) : 0;
	const shortEnd = [end[0] - ((end[0] - before[0]) / (segLen || 1)) * cut, end[1] - ((end[1] - before[1]) / (segLen || 1)) * cut];
	const d = pts.slice(0, n - 1).map((p, i) => `${i ? 'L' : 'M'}${r1(p[0])} ${r1(p[1])}`).join(' ')
		+ ` L${r1(shortEnd[0])} ${r1(shortEnd[1])}`;
	g.append(el('path', {
		d, fill: 'none', stroke: look.color, 'stroke-width': look.width, 'stroke-dasharray': look.dash || null,
		'stroke-linejoin': 'round',
	}));
	if (head) g.append(arrowHead(end, before, look.color, headSize));
	return g;
}

// ---- the case

// What a case says of each step: {status: 'done'|'current'|'cancelled', tasks, open, lastDone,
// answers: Set of the answers given}. Steps without a task are not in the map (not reached).
export function caseProgress(c, fetchedAt = Date.now()) {
	if (!c) return null;
	const tasks = (Array.isArray(c.tasks) ? c.tasks : []).slice().sort((a, b) =>
		((Date.parse(a.available_at) || 0) - (Date.parse(b.available_at) || 0)) || (Number(a.id) - Number(b.id)));
	const steps = new Map();
	for (const task of tasks) {
		let e = steps.get(task.step);
		if (!e) {
			e = {tasks: [], answers: new Set(), completed: 0};
			steps.set(task.step, e);
		}
		e.tasks.push(task);
		if (task.state === 'completed') {
			e.completed += 1;
			if (task.answer) e.answers.add(task.answer);
		}
	}
	const current = new Set(Array.isArray(c.current_steps) ? c.current_steps.map(Number) : []);
	for (const [num, e] of steps) {
		e.open = e.tasks.find((x) => x.state === 'available') || null;
		e.lastDone = e.tasks.slice().reverse().find((x) => x.state === 'completed') || null;
		if (e.open || current.has(Number(num))) e.status = 'current';
		else if (e.lastDone) e.status = 'done';
		else e.status = 'cancelled';
	}
	return {steps, state: c.state, fetchedAt, caseData: c};
}

export function stepStatus(progress, number) {
	if (!progress) return null;
	const e = progress.steps.get(number);
	return e ? e.status : 'none';
}

// Seconds a task took (or has taken so far), from the server's figures.
export function taskElapsed(task, fetchedAt = Date.now()) {
	if (!task) return null;
	let e = task.elapsed_seconds;
	if (e === null || e === undefined || !Number.isFinite(Number(e))) {
		if (task.state === 'available' && task.available_at) return Math.max(0, (Date.now() - Date.parse(task.available_at)) / 1000);
		return null;
	}
	e = Number(e);
	if (task.state === 'available') e += Math.max(0, (Date.now() - fetchedAt) / 1000);
	return e;
}

export function taskBreached(task, fetchedAt = Date.now()) {
	if (!task) return false;
	if (task.breached) return true;
	const limit = Number(task.waktu_minutes) > 0 ? Number(task.waktu_minutes) * 60 : null;
	const e = taskElapsed(task, fetchedAt);
	return limit !== null && e !== null && e > limit;
}

// A duration in the chart's short form: '6 mnt 10 dtk', '1 jam 5 mnt' (two largest units).
export function shortDuration(seconds) {
	let s = Math.round(Math.abs(Number(seconds)));
	if (!Number.isFinite(s)) return '';
	const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
	const parts = [];
	for (const [unit, size] of units) {
		const n = Math.floor(s / size);
		if (n > 0 || (unit === 's' && parts.length === 0)) {
			parts.push(t(`sopchart.dur.${unit}`, {n: fmtNumber(n)}));
			s -= n * size;
		}
		if (parts.length === 2) break;
	}
	return parts.join(' ');
}

// ---- the definition as a graph

function roleColumnTitle(role) {
	return role.column ? textIn(role.column) : textIn(role.title);
}

export function symbolOf(step) {
	if (step.kind === 'decision') return 'decision';
	if (step.start || step.end) return 'terminator';
	return 'process';
}

function endLabel(end) {
	return end === 'kept_internal' ? t('sopchart.outcome.kept_internal') : '';
}

// Every arrow: {from: step index, to: step index | null, end: outcome | null, answer, label}.
function edgesOf(steps) {
	const index = new Map(steps.map((s, i) => [s.number, i]));
	const edges = [];
	steps.forEach((s, i) => {
		if (s.kind === 'decision') {
			for (const a of s.answers || []) {
				const next = a.next || {};
				const to = next.step !== undefined && next.step !== null ? index.get(next.step) : undefined;
				edges.push({from: i, to: to === undefined ? null : to, end: to === undefined ? (next.end || 'completed') : null,
					answer: a.code, label: textIn(a.label) || a.code});
			}
		} else if (s.next && s.next.step !== undefined && s.next.step !== null && index.has(s.next.step)) {
			edges.push({from: i, to: index.get(s.next.step), end: null, answer: null, label: null});
		}
	});
	return edges;
}

// ---- columns

function columnsFor(def, withCase) {
	const roles = Array.isArray(def.roles) ? def.roles : [];
	const n = Math.max(1, roles.length);
	const fixed = {no: withCase ? 54 : 34, kel: 104, waktu: withCase ? 124 : 74, out: 104, note: 88};
	const fixedSum = fixed.no + fixed.kel + fixed.waktu + fixed.out + fixed.note;
	let act = 276;
	let cw = (PAGE_W - fixedSum - act) / n;
	if (cw > 132) {
		cw = 132;
		act = PAGE_W - fixedSum - n * cw;
	} else if (cw < 68) {
		act = Math.max(190, PAGE_W - fixedSum - n * 68);
		cw = Math.max(68, (PAGE_W - fixedSum - act) / n);
	}
	const cols = {};
	let x = 0;
	const put = (key, w) => {
		cols[key] = {x, w};
		x += w;
	};
	put('no', fixed.no);
	put('act', act);
	const rolesX = x;
	x += n * cw;
	put('kel', fixed.kel);
	put('waktu', fixed.waktu);
	put('out', fixed.out);
	put('note', fixed.note);
	return {cols, rolesX, cw, n, width: Math.max(PAGE_W, x), tableW: x, roles};
}

// ---- the flowchart

function symbolSize(shape, cw) {
	if (shape === 'decision') return {w: Math.min(cw - 16, 72), h: 42};
	if (shape === 'terminator') return {w: Math.min(cw - 22, 68), h: 28};
	return {w: Math.min(cw - 22, 68), h: 30};
}

function cellBlocks(text, w, o = {}) {
	if (!text) return [];
	return [{lines: wrapText(text, w - 2 * PAD, o.size || FS, o.bold), size: o.size, lh: o.lh, bold: o.bold, fill: o.fill}];
}

function waktuBlocks(step, prog, w) {
	const std = Number(step.waktu_minutes) > 0 ? fmtMinutes(step.waktu_minutes) : '';
	const inner = w - 2 * PAD;
	if (!prog) return cellBlocks(std, w);
	const e = prog.steps.get(step.number);
	const task = e ? (e.open || e.lastDone) : null;
	if (!e || !task) return std ? cellBlocks(std, w, {fill: COL.mutedText}) : [];
	const elapsed = taskElapsed(task, prog.fetchedAt);
	const stdShort = Number(step.waktu_minutes) > 0 ? shortDuration(step.waktu_minutes * 60) : '';
	const actual = elapsed === null ? '—' : shortDuration(elapsed);
	const text = e.open
		? t('sopchart.running', {d: stdShort ? `${actual} / ${stdShort}` : actual})
		: (stdShort ? `${actual} / ${stdShort}` : actual);
	const blocks = [{lines: wrapText(text, inner, FS), bold: !!e.open}];
	if (taskBreached(task, prog.fetchedAt)) {
		blocks.push({lines: wrapText(t('sopchart.over'), inner - 16, FS, true), bold: true, fill: COL.err, icon: 'breach'});
	}
	if (e.completed > 1) {
		blocks.push({lines: wrapText(t('sopchart.rounds', {n: fmtNumber(e.completed)}), inner, FS_SMALL), size: FS_SMALL, lh: LH_SMALL, fill: COL.mutedText});
	}
	return blocks;
}

function noteText(step, roles) {
	const parts = [];
	if (step.note) parts.push(textIn(step.note));
	const also = (step.also || []).map((code) => {
		const r = roles.find((x) => x.code === code);
		return r ? roleColumnTitle(r) : code;
	});
	if (also.length) parts.push(t('sopchart.also', {roles: also.join(', ')}));
	return parts.join('\n');
}

function rowsFor(def, L, prog) {
	const {cols, cw} = L;
	return def.steps.map((step) => {
		const shape = symbolOf(step);
		const size = symbolSize(shape, cw);
		const kel = (step.inputs || []).map((x) => textIn(x.name) || x.code).join('\n');
		const cells = {
			no: [{lines: [String(step.number)]}],
			act: cellBlocks(textIn(step.text), cols.act.w),
			kel: cellBlocks(kel, cols.kel.w),
			waktu: waktuBlocks(step, prog, cols.waktu.w),
			out: cellBlocks(step.output ? textIn(step.output.name) || step.output.code : '', cols.out.w),
			note: cellBlocks(noteText(step, L.roles), cols.note.w, {size: FS_SMALL, lh: LH_SMALL}),
		};
		const textH = Math.max(...Object.values(cells).map((b) => blocksHeight(b))) + 2 * PAD;
		const minH = shape === 'decision' ? 88 : 66;
		return {step, shape, size, cells, h: Math.ceil(Math.max(textH, minH))};
	});
}

function headerLayout(L) {
	const hA = LH_HEAD + 2 * PAD;
	const titles = L.roles.map((r) => wrapText(roleColumnTitle(r), L.cw - 6, FS_HEAD, true));
	const mutu = ['kel', 'waktu', 'out'].map((k) => wrapText(t(`sopchart.col.${k}`), L.cols[k].w - 6, FS_HEAD, true));
	const maxLines = Math.max(1, ...titles.map((x) => x.length), ...mutu.map((x) => x.length));
	const hB = maxLines * LH_HEAD + 2 * PAD;
	return {hA, hB, h: hA + hB, titles, mutu};
}

function titleLines(def, L, opts) {
	const title = textIn(def.header && def.header.title) || def.code || '';
	const lines = wrapText(title, L.width - 80, FS_TITLE, true);
	const sub = [];
	if (opts.caseData) {
		const c = opts.caseData;
		sub.push(...wrapText(t('sopchart.caseLine', {
			title: opts.meetingTitle || '—', id: c.id ?? '—', state: caseStateLabel(c.state),
		}), L.width - 80, FS, false));
	}
	return {lines, sub, h: 8 + lines.length * LH_TITLE + sub.length * LH + 8};
}

function legendItems(withCase) {
	const items = [
		{kind: 'terminator', label: t('sopchart.sym.terminator')},
		{kind: 'process', label: t('sopchart.sym.process')},
		{kind: 'decision', label: t('sopchart.sym.decision')},
		{kind: 'arrow', label: t('sopchart.sym.arrow')},
		{kind: 'connector', label: t('sopchart.sym.connector')},
	];
	if (withCase) {
		items.push(
			{kind: 'done', label: t('sopchart.legend.done')},
			{kind: 'current', label: t('sopchart.legend.current')},
			{kind: 'none', label: t('sopchart.legend.notReached')},
			{kind: 'taken', label: t('sopchart.legend.taken')},
			{kind: 'untaken', label: t('sopchart.legend.untaken')},
			{kind: 'breach', label: t('sopchart.legend.breach')});
	}
	return items;
}

// The legend laid out in rows within WIDTH: [[{item, x}]].
function legendRows(items, width) {
	const rows = [[]];
	let x = 0;
	const lead = textWidth(t('sopchart.legend'), FS_SMALL, true) + 10;
	x = lead;
	for (const item of items) {
		const w = 28 + textWidth(item.label, FS_SMALL) + 14;
		if (x + w > width && rows[rows.length - 1].length) {
			rows.push([]);
			x = lead;
		}
		rows[rows.length - 1].push({item, x});
		x += w;
	}
	return rows;
}

function legendIcon(kind, x, cy) {
	const g = el('g', null);
	const plain = {fill: COL.white, stroke: COL.ink, 'stroke-width': 1};
	switch (kind) {
	case 'terminator':
		g.append(el('rect', {x, y: cy - 6, width: 24, height: 12, rx: 6, ...plain}));
		break;
	case 'process':
		g.append(el('rect', {x: x + 1, y: cy - 6, width: 22, height: 12, ...plain}));
		break;
	case 'decision':
		g.append(el('polygon', {points: `${x + 12},${cy - 7} ${x + 24},${cy} ${x + 12},${cy + 7} ${x},${cy}`, ...plain}));
		break;
	case 'arrow':
		g.append(arrow([[x, cy], [x + 24, cy]], {color: COL.ink, width: 1.2}));
		break;
	case 'connector':
		g.append(el('polygon', {points: `${x + 6},${cy - 7} ${x + 18},${cy - 7} ${x + 18},${cy + 2} ${x + 12},${cy + 7} ${x + 6},${cy + 2}`, ...plain}));
		break;
	case 'done':
		g.append(el('rect', {x: x + 1, y: cy - 6, width: 20, height: 12, fill: COL.doneFill, stroke: COL.navy, 'stroke-width': 1.4}),
			tickBadge(x + 20, cy - 5, 5));
		break;
	case 'current':
		g.append(el('rect', {x: x - 1, y: cy - 8, width: 26, height: 16, fill: 'none', stroke: COL.current, 'stroke-width': 1, 'stroke-dasharray': '3 2'}),
			el('rect', {x: x + 2, y: cy - 5, width: 20, height: 10, fill: COL.currentFill, stroke: COL.current, 'stroke-width': 2.4}));
		break;
	case 'none':
		g.append(el('rect', {x: x + 1, y: cy - 6, width: 22, height: 12, fill: COL.white, stroke: COL.muted, 'stroke-width': 1, 'stroke-dasharray': '3 2'}));
		break;
	case 'taken':
		g.append(arrow([[x, cy], [x + 24, cy]], {color: COL.navy, width: 2.4}));
		break;
	case 'untaken':
		g.append(arrow([[x, cy], [x + 24, cy]], {color: COL.muted, width: 1, dash: '4 3'}));
		break;
	case 'breach':
		g.append(breachIcon(x + 12, cy, 6));
		break;
	default:
		break;
	}
	return g;
}

function drawFooter(svg, ctx, pageNo, pageH, withLegend) {
	const g = el('g', null);
	const pageLabel = t('sopchart.page', {n: fmtNumber(pageNo), total: fmtNumber(ctx.totalPages)});
	g.append(textLines([pageLabel], ctx.width - 2, pageH - 6, {size: FS_SMALL, anchor: 'end', fill: COL.mutedText}));
	if (withLegend) {
		const rows = ctx.legend;
		const top = pageH - ctx.footH + 6;
		g.append(textLines([t('sopchart.legend')], 0, top + 11, {size: FS_SMALL, bold: true}));
		rows.forEach((row, ri) => {
			const cy = top + 8 + ri * 16;
			for (const {item, x} of row) {
				g.append(legendIcon(item.kind, x, cy), textLines([item.label], x + 30, cy + 3.2, {size: FS_SMALL}));
			}
		});
	}
	svg.append(g);
}

function pageSvg(ctx, pageNo, pageH, titleText, descText) {
	const id = uid('sopchart');
	const svg = el('svg', {
		class: 'sopchart-page', viewBox: `-3 -3 ${r1(ctx.width + 6)} ${r1(pageH + 6)}`,
		width: r1(ctx.width + 6), height: r1(pageH + 6), role: 'img', 'aria-labelledby': `${id}-t ${id}-d`,
		'font-family': FONT,
	});
	svg.setAttribute('data-page', String(pageNo));
	svg.append(el('title', {id: `${id}-t`}, titleText), el('desc', {id: `${id}-d`}, descText));
	svg.append(el('rect', {x: 0, y: 0, width: r1(ctx.width), height: r1(pageH), fill: COL.white}));
	return svg;
}

// Which rows go on which page. ROWS' heights; AVAIL the height for rows on a page; IN and OUT
// the connector strips (IN reserved on every page but the first unless there are loops).
function paginate(rows, avail, hasBack) {
	const pages = [];
	let i = 0;
	while (i < rows.length) {
		const first = pages.length === 0;
		const budget = avail - (first && !hasBack ? 0 : BAND);
		let sum = 0;
		let j = i;
		while (j < rows.length && sum + rows[j].h <= budget) sum += rows[j++].h;
		if (j < rows.length) {
			sum = 0;
			j = i;
			while (j < rows.length && sum + rows[j].h <= budget - BAND) sum += rows[j++].h;
		}
		if (j === i) j = i + 1; // a row taller than a page goes alone (the page grows)
		pages.push({first: i, last: j - 1});
		i = j;
	}
	return pages;
}

function lookFor(prog, taken) {
	if (!prog) return {color: COL.ink, width: 1.2};
	return taken ? {color: COL.navy, width: 2.4} : {color: COL.muted, width: 1, dash: '4 3'};
}

function symbolLook(status) {
	switch (status) {
	case 'done': return {fill: COL.doneFill, stroke: COL.navy, width: 1.6};
	case 'current': return {fill: COL.currentFill, stroke: COL.current, width: 3};
	case 'none':
	case 'cancelled': return {fill: COL.white, stroke: COL.muted, width: 1.1, dash: '4 3'};
	default: return {fill: COL.white, stroke: COL.ink, width: 1.3};
	}
}

function shapeNode(shape, cx, cy, w, hgt, look, grow = 0) {
	const W = w + grow * 2;
	const H = hgt + grow * 2;
	const a = {fill: look.fill, stroke: look.stroke, 'stroke-width': look.width, 'stroke-dasharray': look.dash || null};
	if (shape === 'decision') {
		return el('polygon', {
			points: `${r1(cx)},${r1(cy - H / 2)} ${r1(cx + W / 2)},${r1(cy)} ${r1(cx)},${r1(cy + H / 2)} ${r1(cx - W / 2)},${r1(cy)}`,
			'stroke-linejoin': 'round', ...a,
		});
	}
	return el('rect', {
		x: r1(cx - W / 2), y: r1(cy - H / 2), width: r1(W), height: r1(H),
		rx: shape === 'terminator' ? r1(H / 2) : (grow ? 3 : 0), ...a,
	});
}

// Draws one symbol with its case marks. G: {shape, cx, cy, w, h, label}.
function drawSymbol(group, g, status) {
	const look = symbolLook(status);
	if (status === 'current') {
		group.append(shapeNode(g.shape, g.cx, g.cy, g.w, g.h,
			{fill: 'none', stroke: COL.current, width: 1.2, dash: '3 2'}, g.shape === 'decision' ? 6 : 4));
	}
	group.append(shapeNode(g.shape, g.cx, g.cy, g.w, g.h, look));
	if (g.label) {
		const size = g.labelSize || FS_SMALL;
		group.append(textLines([g.label], g.cx, g.cy + size * 0.35, {
			size, anchor: 'middle', bold: status === 'current', fill: status === 'none' || status === 'cancelled' ? COL.mutedText : COL.ink,
		}));
	}
	if (status === 'done') {
		const bx = g.shape === 'decision' ? g.cx - g.w / 4 - 4 : g.cx + g.w / 2 - 2;
		const by = g.shape === 'decision' ? g.cy - g.h / 4 - 4 : g.cy - g.h / 2 + 1;
		group.append(tickBadge(bx, by, 6.5));
	}
}

// The "Sekarang" marker of a current step, centred on CX below the step's number.
function nowMarker(cx, top) {
	const label = t('sopchart.now');
	const w = textWidth(label, 8, true) + 8;
	return el('g', null,
		el('rect', {x: r1(cx - w / 2), y: r1(top), width: r1(w), height: 13, rx: 6.5, fill: COL.marker, stroke: COL.current, 'stroke-width': 0.8}),
		textLines([label], cx, top + 9.4, {size: 8, bold: true, anchor: 'middle', fill: COL.navy}));
}

function connectorNode(x, top, letter, note, noteSide, look) {
	const g = el('g', null);
	const y0 = top;
	const y1 = top + CONN_H * 0.66;
	const y2 = top + CONN_H;
	g.append(el('polygon', {
		points: `${r1(x - CONN_W / 2)},${r1(y0)} ${r1(x + CONN_W / 2)},${r1(y0)} ${r1(x + CONN_W / 2)},${r1(y1)} ${r1(x)},${r1(y2)} ${r1(x - CONN_W / 2)},${r1(y1)}`,
		fill: COL.white, stroke: look.color === COL.muted ? COL.muted : COL.ink, 'stroke-width': look.width > 1.5 ? 1.8 : 1.2,
		'stroke-linejoin': 'round', 'stroke-dasharray': look.dash || null,
	}));
	g.append(textLines([letter], x, y0 + 13.5, {size: 10.5, bold: true, anchor: 'middle'}));
	if (note) {
		const nx = noteSide > 0 ? x + CONN_W / 2 + 4 : x - CONN_W / 2 - 4;
		g.append(textLines([note], nx, y0 + 12, {size: FS_SMALL - 0.5, anchor: noteSide > 0 ? 'start' : 'end', fill: COL.mutedText}));
	}
	return g;
}

function letterFor(i) {
	let s = '';
	let n = i;
	do {
		s = String.fromCharCode(65 + (n % 26)) + s;
		n = Math.floor(n / 26) - 1;
	} while (n >= 0);
	return s;
}

// ---- the identity page

function fmtLongDate(ymd) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
	if (!m) return ymd || '';
	const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
	return new Intl.DateTimeFormat(locale(), {weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC'}).format(d);
}

function listBlocks(items, w) {
	const list = (Array.isArray(items) ? items : []).map(textIn).filter(Boolean);
	if (!list.length) return [{lines: ['—'], num: null}];
	return list.map((item, i) => ({num: `${i + 1}.`, lines: wrapText(item, w - 2 * PAD - 18)}));
}

function drawIdentity(def, ctx) {
	const hd = def.header || {};
	const W = ctx.width;
	const leftW = Math.round(W * 0.38);
	const labelW = 176;
	const valW = W - leftW - labelW;
	const vw = valW - 2 * PAD;
	const ap = hd.approved_by || {};
	const revised = [hd.revised ? fmtLongDate(hd.revised) : '—'];
	if (Number(hd.revision) > 0) revised.push(t('sopchart.revisionN', {n: fmtNumber(hd.revision)}));
	const rows = [
		{label: t('sopchart.id.number'), blocks: [{lines: wrapText(textIn(hd.number), vw, FS, true), bold: true}]},
		{label: t('sopchart.id.made'), blocks: [{lines: wrapText(fmtLongDate(hd.made), vw)}]},
		{label: t('sopchart.id.revised'), blocks: [{lines: revised.flatMap((x) => wrapText(x, vw))}]},
		{label: t('sopchart.id.effective'), blocks: [{lines: wrapText(fmtLongDate(hd.effective), vw)}]},
		{label: t('sopchart.id.approvedBy'), blocks: [
			{lines: wrapText(textIn(ap.title), vw)},
			{lines: ['', '', '']},
			{lines: wrapText(textIn(ap.name), vw, FS, true), bold: true},
			ap.id ? {lines: wrapText(textIn(ap.id), vw)} : null,
		].filter(Boolean)},
		{label: t('sopchart.id.name'), blocks: [{lines: wrapText(textIn(hd.title), vw, 12, true), size: 12, lh: 15, bold: true}]},
	];
	for (const r of rows) {
		const labelLines = wrapText(r.label, labelW - 2 * PAD, FS, true);
		r.labelLines = labelLines;
		r.h = Math.max(26, Math.max(labelLines.length * LH, blocksHeight(r.blocks)) + 2 * PAD + 2);
	}
	// The left cell: the ministry above, the unit beside the SOP's name.
	const orgParts = String(textIn(hd.organisation) || '').split(/\s+—\s+|\n/).filter(Boolean);
	const orgBlocks = orgParts.map((p, i) => ({
		lines: wrapText(i === 0 ? p.toLocaleUpperCase('id-ID') : p, leftW - 4 * PAD, i === 0 ? 12 : FS, i === 0),
		size: i === 0 ? 12 : FS, lh: i === 0 ? 15 : LH, bold: i === 0,
	}));
	const orgH = blocksHeight(orgBlocks) + 6 * PAD;
	const upper = rows.slice(0, 5).reduce((s, r) => s + r.h, 0);
	if (upper < orgH) rows[4].h += orgH - upper;
	const unitBlocks = [{lines: wrapText(textIn(hd.unit), leftW - 4 * PAD, 11, true), size: 11, lh: 14, bold: true}];
	rows[5].h = Math.max(rows[5].h, blocksHeight(unitBlocks) + 2 * PAD + 4);

	const g = el('g', null);
	let y = 0;
	// the title strip
	g.append(textLines([t('sopchart.identityHeading')], W / 2, 14, {size: 12, bold: true, anchor: 'middle', fill: COL.navy}));
	y = 24;
	const topY = y;
	let ry = y;
	rows.forEach((r, i) => {
		g.append(el('rect', {x: leftW, y: r1(ry), width: labelW, height: r1(r.h), fill: COL.head}));
		g.append(textLines(r.labelLines, leftW + PAD, baseline(ry, FS), {bold: true}));
		drawBlocks(g, r.blocks, leftW + labelW, ry, valW);
		if (i > 0) g.append(line(leftW, ry, W, ry));
		ry += r.h;
	});
	const upperH = rows.slice(0, 5).reduce((s, r) => s + r.h, 0);
	const orgTop = topY + (upperH - blocksHeight(orgBlocks)) / 2 - PAD;
	drawBlocks(g, orgBlocks, 0, orgTop, leftW, 'middle');
	const unitTop = topY + upperH + (rows[5].h - blocksHeight(unitBlocks)) / 2 - PAD;
	drawBlocks(g, unitBlocks, 0, unitTop, leftW, 'middle');
	g.append(line(0, topY + upperH, leftW, topY + upperH));
	g.append(line(leftW, topY, leftW, ry), line(leftW + labelW, topY, leftW + labelW, ry));
	g.append(el('rect', {x: 0, y: topY, width: W, height: r1(ry - topY), fill: 'none', stroke: COL.grid, 'stroke-width': 1.2}));

	// Dasar Hukum … in two columns, as the source lays them out
	y = ry + 14;
	const half = W / 2;
	const warningBlocks = hd.warning ? [{lines: wrapText(textIn(hd.warning), half - 2 * PAD), num: null}] : [{lines: ['—'], num: null}];
	const pairs = [
		[[t('sopchart.id.legalBasis'), listBlocks(hd.legal_basis, half)], [t('sopchart.id.qualifications'), listBlocks(hd.qualifications, half)]],
		[[t('sopchart.id.related'), listBlocks(hd.related, half)], [t('sopchart.id.equipment'), listBlocks(hd.equipment, half)]],
		[[t('sopchart.id.warning'), warningBlocks], [t('sopchart.id.recordKeeping'), listBlocks(hd.record_keeping, half)]],
	];
	const blockTop = y;
	for (const pair of pairs) {
		const heights = pair.map(([, items]) => LH + 6 + items.reduce((s, it) => s + it.lines.length * LH + 2, 0));
		const rowH = Math.max(...heights) + 2 * PAD;
		pair.forEach(([heading, items], k) => {
			const x = k * half;
			const hw = textWidth(`${heading} :`, FS, true);
			g.append(textLines([`${heading} :`], x + PAD, baseline(y, FS), {bold: true, fill: COL.navy}));
			g.append(line(x + PAD, baseline(y, FS) + 2, x + PAD + hw, baseline(y, FS) + 2, COL.navy, 0.8));
			let iy = y + LH + 6;
			for (const it of items) {
				if (it.num) g.append(textLines([it.num], x + PAD + 14, baseline(iy, FS), {anchor: 'end'}));
				g.append(textLines(it.lines, x + PAD + (it.num ? 18 : 0), baseline(iy, FS)));
				iy += it.lines.length * LH + 2;
			}
		});
		y += rowH;
		g.append(line(0, y, W, y));
	}
	g.append(line(half, blockTop, half, y));
	g.append(el('rect', {x: 0, y: r1(blockTop), width: W, height: r1(y - blockTop), fill: 'none', stroke: COL.grid, 'stroke-width': 1.2}));
	return {g, h: y};
}

// ---- the whole chart

// Returns the pages, each an <svg>: the identity block, then the flowchart table.
// OPTS: caseData (a CASE), meetingTitle, fetchedAt (Date.now() when the case was read).
export function sopChartPages(def, opts = {}) {
	const steps = Array.isArray(def.steps) ? def.steps : [];
	const prog = opts.caseData ? caseProgress(opts.caseData, opts.fetchedAt || Date.now()) : null;
	const L = columnsFor(def, !!prog);
	const width = L.width;
	const pageH = (width * PAGE_H) / PAGE_W;
	const rows = rowsFor(def, L, prog);
	const head = headerLayout(L);
	const title = titleLines(def, L, opts);
	const legend = legendRows(legendItems(!!prog), width - 150);
	const footH = 12 + legend.length * 16;
	const edges = edgesOf(steps);
	const hasBack = edges.some((e) => e.to !== null && e.to <= e.from);
	const avail = pageH - title.h - head.h - footH - 4;
	const flowPages = steps.length ? paginate(rows, avail, hasBack) : [];
	const ctx = {width, legend, footH, totalPages: 1 + flowPages.length};
	const sopTitle = textIn(def.header && def.header.title) || def.code || '';

	// which page each row is on
	const pageOf = [];
	flowPages.forEach((p, pi) => {
		for (let i = p.first; i <= p.last; i += 1) pageOf[i] = pi;
	});

	// case marks on the arrows
	const status = (i) => (prog ? stepStatus(prog, steps[i].number) : null);
	for (const e of edges) {
		if (!prog) {
			e.taken = false;
			continue;
		}
		const pe = prog.steps.get(steps[e.from].number);
		if (!pe || !pe.completed) e.taken = false;
		else if (e.answer) e.taken = pe.answers.has(e.answer);
		else e.taken = true;
	}

	// connectors: each arrow that crosses a page break
	const crossing = edges.filter((e) => e.to !== null && pageOf[e.to] !== pageOf[e.from]);
	crossing.forEach((e, i) => {
		e.letter = letterFor(i);
	});
	const inUsed = new Set(crossing.map((e) => pageOf[e.to]));
	const outUsed = new Set(crossing.map((e) => pageOf[e.from]));

	// geometry: rows' y on their pages, symbols' centres
	const colCenter = (ci) => L.rolesX + ci * L.cw + L.cw / 2;
	const roleIndex = (code) => Math.max(0, L.roles.findIndex((r) => r.code === code));
	const geo = [];
	const pageGeo = flowPages.map((p, pi) => {
		const tableTop = title.h;
		const headBottom = tableTop + head.h;
		const inBand = inUsed.has(pi) ? {top: headBottom, bottom: headBottom + BAND} : null;
		let y = inBand ? inBand.bottom : headBottom;
		const rowsTop = y;
		for (let i = p.first; i <= p.last; i += 1) {
			const r = rows[i];
			const col = roleIndex(r.step.role);
			const cx = colCenter(col);
			const top = y;
			const cy = y + r.h / 2;
			geo[i] = {
				page: pi, col, cx, cy, rowTop: top, rowBottom: top + r.h, shape: r.shape, w: r.size.w, h: r.size.h,
				top: cy - r.size.h / 2, bottom: cy + r.size.h / 2, left: cx - r.size.w / 2, right: cx + r.size.w / 2,
				label: r.shape === 'terminator' ? (r.step.start ? t('sopchart.start') : t('sopchart.end')) : null,
			};
			y += r.h;
		}
		const rowsBottom = y;
		const outBand = outUsed.has(pi) ? {top: y, bottom: y + BAND} : null;
		const tableBottom = outBand ? outBand.bottom : y;
		const h = Math.max(pageH, tableBottom + footH + 4);
		return {tableTop, headBottom, inBand, outBand, rowsTop, rowsBottom, tableBottom, h, first: p.first, last: p.last};
	});

	// exits of each step, and the end terminators beside decisions
	const endNodes = [];
	const exitOf = new Map(); // edge → 'bottom'|'right'|'left'|'top'
	steps.forEach((s, i) => {
		const mine = edges.filter((e) => e.from === i);
		if (!mine.length) return;
		const g = geo[i];
		const samePageNext = (e) => e.to !== null && e.to === i + 1 && pageOf[e.to] === pageOf[i];
		if (s.kind !== 'decision') {
			const e = mine[0];
			exitOf.set(e, samePageNext(e) && geo[e.to].col !== g.col ? (geo[e.to].col > g.col ? 'right' : 'left') : 'bottom');
			return;
		}
		const free = ['bottom', 'right', 'left', 'top'];
		const take = (side) => {
			const k = free.indexOf(side);
			if (k < 0) return null;
			free.splice(k, 1);
			return side;
		};
		const main = mine.find((e) => e.to !== null && e.to > i) || mine.find((e) => e.to !== null);
		const mainDir = main && geo[main.to] ? Math.sign(geo[main.to].col - g.col) : 0;
		// answers that end the SOP: a side with a column beside it, away from the main branch
		for (const e of mine.filter((x) => x.to === null)) {
			const order = mainDir > 0 ? ['left', 'right'] : ['right', 'left'];
			let side = null;
			for (const sd of order) {
				const nc = g.col + (sd === 'right' ? 1 : -1);
				if (nc >= 0 && nc < L.n && free.includes(sd)) {
					side = take(sd);
					break;
				}
			}
			if (!side) side = take(free.includes('right') ? 'right' : free[0]);
			exitOf.set(e, side);
			const nc = Math.min(L.n - 1, Math.max(0, g.col + (side === 'left' ? -1 : 1)));
			const ncx = nc === g.col ? g.cx + (side === 'left' ? -1 : 1) * (g.w / 2 + 34) : colCenter(nc);
			const w = Math.min(L.cw - 26, 56);
			const node = {shape: 'terminator', cx: ncx, cy: g.cy, w, h: 24, label: t('sopchart.end'), labelSize: 8.5,
				outcome: endLabel(e.end), edge: e, page: g.page};
			if (side === 'bottom') {
				node.cx = g.cx;
				node.cy = g.rowBottom - 14;
			}
			node.left = node.cx - w / 2;
			node.right = node.cx + w / 2;
			endNodes.push(node);
			e.node = node;
		}
		// the others: down to the next row when it can, else towards the target
		const rest = mine.filter((x) => x.to !== null);
		rest.sort((a, b) => (samePageNext(b) ? 1 : 0) - (samePageNext(a) ? 1 : 0));
		for (const e of rest) {
			const tg = geo[e.to];
			let side = null;
			if (samePageNext(e) || pageOf[e.to] !== pageOf[i]) side = take('bottom');
			if (!side && tg && tg.col !== g.col) side = take(tg.col > g.col ? 'right' : 'left');
			if (!side) side = take('bottom') || take('right') || take('left') || take('top') || 'bottom';
			exitOf.set(e, side);
		}
	});

	// Is column COL free of symbols on PAGE between rows A and B (exclusive)?
	const colFree = (pi, col, a, b) => {
		for (let i = Math.min(a, b) + 1; i < Math.max(a, b); i += 1) {
			if (geo[i] && geo[i].page === pi && geo[i].col === col) return false;
		}
		for (const n of endNodes) {
			const row = n.edge.from;
			if (n.page === pi && Math.abs(n.cx - colCenter(col)) < 1 && row > Math.min(a, b) && row < Math.max(a, b)) return false;
		}
		return true;
	};
	const laneCount = new Map();
	const lane = (boundary) => {
		const b = Math.max(0, Math.min(L.n, boundary));
		const k = laneCount.get(b) || 0;
		laneCount.set(b, k + 1);
		const offsets = [7, -7, 10, -10, 4, -4];
		let off = offsets[k % offsets.length];
		if (b === 0) off = Math.abs(off);
		if (b === L.n) off = -Math.abs(off);
		return L.rolesX + b * L.cw + off;
	};
	const exitPoint = (g, side) => {
		if (side === 'right') return [g.right, g.cy];
		if (side === 'left') return [g.left, g.cy];
		if (side === 'top') return [g.cx, g.top];
		return [g.cx, g.bottom];
	};
	const sideBoundary = (g, side, towardCol) => {
		if (side === 'right') return g.col + 1;
		if (side === 'left') return g.col;
		return towardCol > g.col ? g.col + 1 : (towardCol < g.col ? g.col : g.col + 1);
	};

	// routes: per page a list of {points, head, look, label?}
	const drawn = flowPages.map(() => ({paths: [], connectors: [], labels: []}));
	const connXs = flowPages.map(() => ({in: [], out: []}));
	// A connector's place in its strip: the nearest to X, going in direction DIR, that keeps
	// CONN_GAP from the others (room for the page note), inside the table.
	const freeX = (list, x, dir) => {
		const lo = CONN_W / 2 + 2;
		const hi = L.tableW - CONN_W / 2 - 72;
		let d = dir < 0 ? -1 : 1;
		let v = Math.min(hi, Math.max(lo, x));
		for (let tries = 0; tries < 400 && list.some((u) => Math.abs(u - v) < CONN_GAP); tries += 1) {
			v += d * 8;
			if (v < lo || v > hi) {
				d = -d;
				v = Math.min(hi, Math.max(lo, x));
			}
		}
		list.push(v);
		return v;
	};
	for (const e of edges) {
		const a = geo[e.from];
		const side = exitOf.get(e) || 'bottom';
		const look = lookFor(prog, e.taken);
		const start = exitPoint(a, side);
		const out = drawn[a.page];
		const y1 = a.rowBottom - 8;
		let labelAt = null;
		if (e.to === null) {
			const n = e.node;
			const pts = side === 'bottom' ? [start, [n.cx, n.cy - n.h / 2]]
				: [start, [side === 'left' ? n.right : n.left, n.cy]];
			out.paths.push({points: pts, look});
			labelAt = {side, start, node: n};
		} else {
			const b = geo[e.to];
			const sameP = b.page === a.page;
			if (sameP && e.to > e.from) {
				let pts;
				if (side === 'bottom' && b.col === a.col && colFree(a.page, a.col, e.from, e.to)) {
					pts = [start, [b.cx, b.top]];
				} else if (side === 'bottom' && e.to === e.from + 1) {
					const y2 = b.rowTop + Math.min(9, (b.top - b.rowTop) / 2);
					pts = [start, [a.cx, y2], [b.cx, y2], [b.cx, b.top]];
				} else if ((side === 'right' && b.col > a.col) || (side === 'left' && b.col < a.col)) {
					if (colFree(a.page, b.col, e.from, e.to)) pts = [start, [b.cx, a.cy], [b.cx, b.top]];
				}
				if (!pts) {
					const lx = lane(sideBoundary(a, side, b.col));
					const y2 = b.rowTop + 7;
					pts = side === 'bottom' ? [start, [a.cx, y1], [lx, y1], [lx, y2], [b.cx, y2], [b.cx, b.top]]
						: [start, [lx, a.cy], [lx, y2], [b.cx, y2], [b.cx, b.top]];
				}
				out.paths.push({points: pts, look});
			} else if (sameP) {
				// a loop back up the same page
				const lx = lane(sideBoundary(a, side, b.col === a.col ? a.col + 1 : b.col));
				const y2 = b.rowTop + 7;
				const pts = side === 'bottom' ? [start, [a.cx, y1], [lx, y1], [lx, y2], [b.cx, y2], [b.cx, b.top]]
					: [start, [lx, a.cy], [lx, y2], [b.cx, y2], [b.cx, b.top]];
				out.paths.push({points: pts, look});
			} else {
				// across a page break: down to a connector at the foot of this page …
				const pa = pageGeo[a.page];
				const pb = pageGeo[b.page];
				// (straight down when the column below is free, else down a lane; a jog inside the
				// strip reaches the connector's own place)
				const connTop = pa.outBand.top + (BAND - CONN_H) / 2;
				const jogOut = pa.outBand.top + 5;
				let pts;
				let natural;
				if (side === 'bottom' && colFree(a.page, a.col, e.from, pa.last + 1)) {
					natural = a.cx;
					pts = [start, [a.cx, jogOut]];
				} else {
					natural = lane(sideBoundary(a, side, b.col));
					pts = side === 'bottom' ? [start, [a.cx, y1], [natural, y1], [natural, jogOut]]
						: [start, [natural, a.cy], [natural, jogOut]];
				}
				const x = freeX(connXs[a.page].out, natural, natural < a.cx ? -1 : 1);
				pts.push([x, jogOut], [x, connTop]);
				out.paths.push({points: pts, look});
				out.connectors.push({x, top: connTop, letter: e.letter, note: t('sopchart.toPage', {n: fmtNumber(b.page + 2)}), look});
				// … and on from the matching one at the top of the other page
				const inTop = pb.inBand.top + (BAND - CONN_H) / 2;
				const jogIn = pb.inBand.bottom - 5;
				const natural2 = colFree(b.page, b.col, pb.first - 1, e.to) ? b.cx : lane(b.col);
				const x2 = freeX(connXs[b.page].in, natural2, natural2 < b.cx ? -1 : 1);
				const pts2 = [[x2, inTop + CONN_H], [x2, jogIn], [natural2, jogIn]];
				if (natural2 === b.cx) {
					pts2.push([b.cx, b.top]);
				} else {
					const y2 = b.rowTop + 7;
					pts2.push([natural2, y2], [b.cx, y2], [b.cx, b.top]);
				}
				drawn[b.page].paths.push({points: pts2, look});
				drawn[b.page].connectors.push({x: x2, top: inTop, letter: e.letter, note: t('sopchart.fromPage', {n: fmtNumber(a.page + 2)}), look});
			}
			if (e.label) labelAt = {side, start, node: null, route: out.paths[out.paths.length - 1].points};
		}
		if (e.label && labelAt) out.labels.push({edge: e, ...labelAt});
	}

	const pages = [];
	pages.push(identityPage(def, ctx, sopTitle));
	flowPages.forEach((p, pi) => {
		pages.push(flowPage(def, ctx, {
			pi, p, pg: pageGeo[pi], rows, geo, head, title, L, prog, status, drawn: drawn[pi],
			endNodes: endNodes.filter((n) => n.page === pi), sopTitle, steps,
		}));
	});
	return pages;
}

function identityPage(def, ctx, sopTitle) {
	const {g, h: contentH} = drawIdentity(def, ctx);
	const pageH = Math.max((ctx.width * PAGE_H) / PAGE_W, contentH + 30);
	const hd = def.header || {};
	const svg = pageSvg(ctx, 1, pageH,
		t('sopchart.a11y.identityTitle', {title: sopTitle, n: 1, total: ctx.totalPages}),
		t('sopchart.a11y.identityDesc', {number: textIn(hd.number) || '—', unit: textIn(hd.unit) || '—'}));
	svg.append(g);
	drawFooter(svg, ctx, 1, pageH, false);
	return svg;
}

function flowPage(def, ctx, d) {
	const {pi, pg, rows, geo, head, title, L, prog, status, drawn, steps} = d;
	const width = ctx.width;
	const first = steps[pg.first];
	const last = steps[pg.last];
	const a11yTitle = t('sopchart.a11y.flowTitle', {title: d.sopTitle, n: pi + 2, total: ctx.totalPages});
	let desc = t('sopchart.a11y.flowDesc', {
		from: first.number, to: last.number, count: steps.length, roles: L.roles.length,
	});
	if (prog) {
		const by = {done: [], current: [], none: []};
		for (let i = pg.first; i <= pg.last; i += 1) {
			const st = status(i);
			(by[st === 'cancelled' ? 'none' : st] || by.none).push(steps[i].number);
		}
		desc += ` ${t('sopchart.a11y.caseDesc', {
			done: by.done.join(', ') || '—', current: by.current.join(', ') || '—', none: by.none.join(', ') || '—',
		})}`;
	}
	const svg = pageSvg(ctx, pi + 2, pg.h, a11yTitle, desc);

	// title
	const tg = el('g', null);
	tg.append(textLines(pi === 0 ? title.lines : title.lines.map((x, i) => (i === title.lines.length - 1 ? `${x} ${t('sopchart.continued')}` : x)),
		width / 2, 8 + FS_TITLE * 0.8, {size: FS_TITLE, lh: LH_TITLE, bold: true, anchor: 'middle', fill: COL.navy}));
	if (title.sub.length) {
		tg.append(textLines(title.sub, width / 2, 8 + title.lines.length * LH_TITLE + FS * 0.8, {anchor: 'middle', fill: COL.ink}));
	}
	svg.append(tg);

	const {cols, rolesX, cw, n} = L;
	const tableW = L.tableW;
	const top = pg.tableTop;
	const hA = head.hA;
	const hb = pg.headBottom;
	const bottom = pg.tableBottom;

	// header fills and current-row tint
	svg.append(el('rect', {x: 0, y: r1(top), width: r1(tableW), height: r1(head.h), fill: COL.head}));
	for (let i = pg.first; i <= pg.last; i += 1) {
		if (status(i) === 'current') {
			svg.append(el('rect', {x: 0, y: r1(geo[i].rowTop), width: r1(tableW), height: r1(geo[i].rowBottom - geo[i].rowTop), fill: COL.currentRow}));
		}
	}

	// grid
	const grid = el('g', null);
	const vx = [cols.act.x, rolesX];
	for (let k = 1; k < n; k += 1) vx.push(rolesX + k * cw);
	vx.push(cols.kel.x, cols.waktu.x, cols.out.x, cols.note.x);
	const innerRole = new Set();
	for (let k = 1; k < n; k += 1) innerRole.add(rolesX + k * cw);
	const innerMutu = new Set([cols.waktu.x, cols.out.x]);
	// The connector strips are open: only the table's outline runs past them.
	for (const x of vx) {
		const y0 = innerRole.has(x) || innerMutu.has(x) ? top + hA : top;
		grid.append(line(x, y0, x, hb));
		if (pg.rowsBottom > pg.rowsTop) grid.append(line(x, pg.rowsTop, x, pg.rowsBottom));
	}
	grid.append(line(rolesX, top + hA, cols.kel.x, top + hA), line(cols.kel.x, top + hA, cols.note.x, top + hA));
	grid.append(line(0, hb, tableW, hb, COL.grid, 1.2));
	if (pg.inBand) grid.append(line(0, pg.inBand.bottom, tableW, pg.inBand.bottom));
	for (let i = pg.first; i <= pg.last; i += 1) grid.append(line(0, geo[i].rowBottom, tableW, geo[i].rowBottom));
	grid.append(el('rect', {x: 0, y: r1(top), width: r1(tableW), height: r1(bottom - top), fill: 'none', stroke: COL.grid, 'stroke-width': 1.2}));
	svg.append(grid);

	// header text
	const ht = el('g', null);
	const centred = (lines, x, w, y0, hgt) => textLines(lines, x + w / 2,
		y0 + (hgt - lines.length * LH_HEAD) / 2 + FS_HEAD * 0.8 + 1, {size: FS_HEAD, lh: LH_HEAD, bold: true, anchor: 'middle', fill: COL.navy});
	const span = (key, label) => centred(wrapText(label, cols[key].w - 6, FS_HEAD, true), cols[key].x, cols[key].w, top, head.h);
	ht.append(span('no', t('sopchart.col.no')), span('act', t('sopchart.col.act')), span('note', t('sopchart.col.note')));
	ht.append(centred(wrapText(t('sopchart.col.performers'), n * cw - 6, FS_HEAD, true), rolesX, n * cw, top, hA));
	ht.append(centred(wrapText(t('sopchart.col.mutu'), cols.note.x - cols.kel.x - 6, FS_HEAD, true), cols.kel.x, cols.note.x - cols.kel.x, top, hA));
	head.titles.forEach((lines, k) => ht.append(centred(lines, rolesX + k * cw, cw, top + hA, head.hB)));
	['kel', 'waktu', 'out'].forEach((k, i) => ht.append(centred(head.mutu[i], cols[k].x, cols[k].w, top + hA, head.hB)));
	svg.append(ht);

	// cells
	const cg = el('g', null);
	for (let i = pg.first; i <= pg.last; i += 1) {
		const r = rows[i];
		const y0 = geo[i].rowTop;
		const st = status(i);
		const textFill = st === 'none' || st === 'cancelled' ? COL.mutedText : null;
		cg.append(textLines([String(r.step.number)], cols.no.x + cols.no.w / 2, baseline(y0, FS), {anchor: 'middle', bold: true}));
		if (st === 'current') cg.append(nowMarker(cols.no.x + cols.no.w / 2, y0 + PAD + LH + 3));
		const dim = (blocks) => (textFill ? blocks.map((b) => ({...b, fill: b.fill || textFill})) : blocks);
		drawBlocks(cg, dim(r.cells.act), cols.act.x, y0, cols.act.w);
		drawBlocks(cg, dim(r.cells.kel), cols.kel.x, y0, cols.kel.w);
		drawBlocks(cg, r.cells.waktu, cols.waktu.x, y0, cols.waktu.w);
		drawBlocks(cg, dim(r.cells.out), cols.out.x, y0, cols.out.w);
		drawBlocks(cg, dim(r.cells.note), cols.note.x, y0, cols.note.w);
	}
	svg.append(cg);

	// arrows (under the symbols)
	const ag = el('g', {'aria-hidden': 'true'});
	const ordered = drawn.paths.slice().sort((x, y) => x.look.width - y.look.width); // thick (taken) on top
	for (const p of ordered) {
		const node = arrow(p.points, p.look, p.head !== false);
		if (node) ag.append(node);
	}
	svg.append(ag);

	// symbols
	const sg = el('g', null);
	for (let i = pg.first; i <= pg.last; i += 1) drawSymbol(sg, geo[i], status(i));
	for (const nd of d.endNodes) {
		const st = prog ? (nd.edge.taken ? 'done' : 'none') : null;
		drawSymbol(sg, nd, st);
		if (nd.outcome) {
			const lines = wrapText(nd.outcome, cw - 8, 8.5);
			sg.append(textLines(lines, nd.cx, nd.cy + nd.h / 2 + 10, {size: 8.5, lh: 10, anchor: 'middle', fill: COL.mutedText}));
		}
	}
	svg.append(sg);

	// answer labels
	const lg = el('g', null);
	for (const lab of drawn.labels) {
		const e = lab.edge;
		const taken = prog && e.taken;
		const size = FS_SMALL;
		const lines = wrapText(e.label, cw * 0.9, size, !!taken);
		const wMax = Math.max(...lines.map((x) => textWidth(x, size, !!taken)));
		const [sx, sy] = lab.start;
		let x;
		let y;
		let anchor = 'start';
		if (lab.side === 'bottom') {
			const route = lab.route || [];
			const turnsRight = route.length > 2 && route[2][0] > sx + 1 && Math.abs(route[1][1] - sy) < 14;
			anchor = turnsRight ? 'end' : 'start';
			x = turnsRight ? sx - 5 : sx + 5;
			y = sy + 10;
		} else if (lab.side === 'top') {
			x = sx + 5;
			y = sy - 4 - (lines.length - 1) * LH_SMALL;
		} else {
			anchor = lab.side === 'right' ? 'start' : 'end';
			x = lab.side === 'right' ? sx + 4 : sx - 4;
			const gap = lab.node ? Math.abs((lab.side === 'right' ? lab.node.left : lab.node.right) - sx) - 10 : Infinity;
			y = wMax <= gap && lines.length === 1 ? sy - 5 : sy - (lab.node ? lab.node.h / 2 : 0) - 6 - (lines.length - 1) * LH_SMALL;
		}
		// keep the label inside the performer columns (above the symbol when it had to move)
		const extra = taken ? 12 : 0;
		const left = anchor === 'start' ? x : x - wMax - extra;
		const rolesRight = rolesX + n * cw;
		if (left < rolesX + 2 || left + wMax + extra > rolesRight - 2) {
			const src = geo[e.from];
			if (left < rolesX + 2) {
				anchor = 'start';
				x = rolesX + 2;
			} else {
				anchor = 'end';
				x = rolesRight - 2;
			}
			y = src.top - 4 - (lines.length - 1) * LH_SMALL;
		}
		if (taken) {
			const bx = anchor === 'start' ? x + 5 : x - wMax - 6;
			lg.append(tickBadge(bx, y - 3.3, 5));
			if (anchor === 'start') x += 12;
		}
		lg.append(textLines(lines, x, y, {size, lh: LH_SMALL, bold: !!taken, anchor, fill: prog && !taken ? COL.mutedText : COL.ink}));
	}
	svg.append(lg);

	// off-page connectors
	const og = el('g', null);
	for (const c of drawn.connectors) {
		const side = c.x + CONN_W / 2 + 70 > tableW ? -1 : 1;
		og.append(connectorNode(c.x, c.top, c.letter, c.note, side, c.look));
	}
	svg.append(og);

	drawFooter(svg, ctx, pi + 2, pg.h, true);
	return svg;
}

// A wrapper holding every page, for the screen.
export function sopChart(def, opts = {}) {
	return h('div', {class: opts.caseData ? 'sopchart has-case' : 'sopchart'}, sopChartPages(def, opts));
}
