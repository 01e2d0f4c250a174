// Small SVG charts, drawn with createElementNS and textContent only (no library, no markup from
// strings, no inline styles: looks come from classes in style.css). Each chart is an
// <svg role="img"> with its own <title> and <desc>; every value is also written beside its bar
// as text, so that colour never carries the meaning alone, and the caller puts the numbers in a
// table as well.
//
//   barChart(opts)     horizontal bars, one row per item with one bar per series and an optional
//                      marker line per row (the step's Waktu)
//   columnChart(opts)  vertical columns, one group per item (a month) with one column per series
//
// Both return {element}: a <figure> that draws itself at the width it is given and draws again
// when that width changes (a ResizeObserver), so that text keeps its size on a phone.

import {h, uid} from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const FONT_PX = 12;
const FONT = `${FONT_PX}px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif`;

// An SVG element; ATTRS are set as attributes (never style), CHILDREN are nodes or text.
function s(tag, attrs, ...children) {
	const el = document.createElementNS(SVG, tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			if (k === 'class') el.setAttribute('class', v);
			else el.setAttribute(k, String(v));
		}
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

let measureCtx = null;
// The width of TEXT in pixels at the charts' font (bold: a little wider).
export function textWidth(text, bold = false) {
	const str = String(text);
	if (!measureCtx) {
		try {
			measureCtx = document.createElement('canvas').getContext('2d');
		} catch {
			measureCtx = null;
		}
	}
	if (measureCtx) {
		measureCtx.font = bold ? `600 ${FONT}` : FONT;
		return Math.ceil(measureCtx.measureText(str).width);
	}
	return Math.ceil(str.length * FONT_PX * (bold ? 0.62 : 0.58));
}

// TEXT cut to at most MAX pixels, with an ellipsis.
function fit(text, max, bold = false) {
	const str = String(text);
	if (textWidth(str, bold) <= max) return str;
	let lo = 0;
	let hi = str.length;
	while (lo < hi) {
		const mid = Math.ceil((lo + hi) / 2);
		if (textWidth(`${str.slice(0, mid)}…`, bold) <= max) lo = mid;
		else hi = mid - 1;
	}
	return `${str.slice(0, lo)}…`;
}

// Round tick steps for a scale from 0 to MAX with about COUNT ticks. STEPS: the allowed steps in
// ascending order (for durations: seconds, minutes, hours), or null for 1-2-5 × 10^n.
export function niceTicks(max, count, steps = null) {
	const target = max > 0 ? max / Math.max(1, count) : 1;
	let step;
	if (steps) {
		step = steps.find((x) => x >= target) || steps[steps.length - 1];
		while (step * count < max) step *= 2;
	} else {
		const p = 10 ** Math.floor(Math.log10(target));
		step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= target);
		if (step < 1) step = 1; // counts: whole numbers only
	}
	const top = Math.max(step, Math.ceil(max / step) * step);
	const ticks = [];
	for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
	return {ticks, top};
}

// A chart that draws itself at its container's width. DRAW(width) returns an <svg>.
function responsive(figure, box, draw) {
	let lastWidth = 0;
	let pending = 0;
	const redraw = () => {
		pending = 0;
		const w = Math.floor(box.clientWidth);
		if (w <= 0 || w === lastWidth) return;
		lastWidth = w;
		box.replaceChildren(draw(w));
		// A chart wider than its box scrolls; only then is the box a keyboard stop.
		if (box.classList.contains('chart-scroll')) {
			const scrolls = box.scrollWidth > box.clientWidth + 1;
			if (scrolls) box.setAttribute('tabindex', '0');
			else box.removeAttribute('tabindex');
		}
	};
	if (typeof ResizeObserver === 'function') {
		// Drawing happens in the next frame, never inside the observer's callback, so that a
		// redraw that changes the page's height cannot loop.
		const ro = new ResizeObserver(() => {
			if (!pending) pending = requestAnimationFrame(redraw);
		});
		ro.observe(box);
	} else {
		requestAnimationFrame(redraw);
	}
	return figure;
}

function frame(opts, width, height) {
	const titleId = uid('chart-title');
	const descId = uid('chart-desc');
	return s('svg', {
		class: 'chart-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
		'aria-labelledby': `${titleId} ${descId}`, focusable: 'false',
	},
	s('title', {id: titleId}, opts.title),
	s('desc', {id: descId}, opts.desc));
}

function legend(series, marker) {
	return h('ul', {class: 'chart-legend'},
		series.map((x) => h('li', null, h('span', {class: `chart-swatch ${x.cls}`, 'aria-hidden': 'true'}), x.label)),
		marker ? h('li', null, h('span', {class: 'chart-swatch chart-swatch-marker', 'aria-hidden': 'true'}), marker) : null);
}

function figureFor(opts, wide) {
	const box = h('div', {class: `chart-box${wide ? ' chart-scroll' : ''}`});
	const figure = h('figure', {class: 'chart'},
		legend(opts.series, opts.markerLabel),
		box,
		opts.caption ? h('figcaption', {class: 'hint'}, opts.caption) : null);
	return {figure, box};
}

// Horizontal bars.
// opts: title, desc (the SVG's own), caption (shown under it), axisLabel, series [{label, cls}],
//   markerLabel (legend text of the marker line, or null),
//   rows [{lines: [first (bold), ...more], bars: [{value|null, text, cls?}], marker: value|null}],
//   fmtTick(v) → text, tickSteps (see niceTicks).
export function barChart(opts) {
	const {figure, box} = figureFor(opts, false);
	return {element: responsive(figure, box, (width) => drawBars(opts, width))};
}

const BAR_H = 14;
const BAR_GAP = 3;
const ROW_PAD = 9;
const LINE_H = 15;

// Wide: labels on the left, each value written after its bar. Narrow (a phone): labels above,
// and each value on its own line above its bar, so that neither is cut.
function drawBars(opts, width) {
	const rows = opts.rows;
	const wide = width >= 560;
	const values = rows.flatMap((r) => [...r.bars.map((b) => Number(b.value) || 0), Number(r.marker) || 0]);
	const max = Math.max(0, ...values);
	const {ticks, top} = niceTicks(max, wide ? 6 : 3, opts.tickSteps || null);

	const labelW = wide
		? Math.min(Math.round(width * 0.32), Math.max(90, ...rows.flatMap((r) => r.lines.map((l, i) => textWidth(l, i === 0)))) + 12)
		: 0;
	const valueW = wide
		? Math.min(Math.round(width * 0.42), Math.max(40, ...rows.flatMap((r) => r.bars.map((b) => textWidth(b.text)))) + 8)
		: 12;
	const x0 = wide ? labelW + 8 : 4;
	const x1 = Math.max(x0 + 40, width - valueW - 4);
	const scale = (v) => x0 + ((x1 - x0) * Math.max(0, Number(v) || 0)) / (top || 1);

	// One bar's height with its gap: the bar alone (wide), or its value line and the bar (narrow).
	const barH = wide ? BAR_H : 10;
	const perBar = wide ? BAR_H + BAR_GAP : LINE_H + barH + 5;
	const barsH = (n) => n * perBar - (wide ? BAR_GAP : 5);
	const rowH = rows.map((r) => {
		const bars = barsH(r.bars.length);
		const lines = r.lines.length * LINE_H;
		return wide ? Math.max(bars, lines) + 2 * ROW_PAD : lines + 4 + bars + 2 * ROW_PAD;
	});
	const plotTop = 4;
	const plotH = rowH.reduce((a, b) => a + b, 0);
	const height = plotTop + plotH + 44;
	const svg = frame(opts, width, height);

	// Grid and ticks.
	const grid = s('g', {class: 'chart-grid', 'aria-hidden': 'true'});
	const axis = s('g', {class: 'chart-axis', 'aria-hidden': 'true'});
	ticks.forEach((v, i) => {
		const x = scale(v);
		const last = i === ticks.length - 1 && x + textWidth(opts.fmtTick(v)) / 2 > width;
		grid.append(s('line', {x1: x, x2: x, y1: plotTop, y2: plotTop + plotH}));
		axis.append(s('text', {x, y: plotTop + plotH + 16, 'text-anchor': v === 0 ? 'start' : (last ? 'end' : 'middle')},
			opts.fmtTick(v)));
	});
	axis.append(s('line', {class: 'chart-axis-line', x1: x0, x2: x0, y1: plotTop, y2: plotTop + plotH}));
	axis.append(s('text', {class: 'chart-axis-label', x: (x0 + x1) / 2, y: plotTop + plotH + 36, 'text-anchor': 'middle'},
		opts.axisLabel));
	svg.append(grid);

	let y = plotTop;
	rows.forEach((r, i) => {
		const g = s('g', {class: 'chart-row'});
		const top0 = y + ROW_PAD;
		const block = barsH(r.bars.length);
		let barTop;
		if (wide) {
			const lines = r.lines.length * LINE_H;
			const linesTop = top0 + Math.max(0, (block - lines) / 2);
			r.lines.forEach((l, k) => g.append(s('text', {
				class: k === 0 ? 'chart-label' : 'chart-sublabel', x: 0, y: linesTop + k * LINE_H + 11,
			}, fit(l, labelW - 8, k === 0))));
			barTop = top0 + Math.max(0, (lines - block) / 2);
		} else {
			r.lines.forEach((l, k) => g.append(s('text', {
				class: k === 0 ? 'chart-label' : 'chart-sublabel', x: x0, y: top0 + k * LINE_H + 11,
			}, fit(l, width - x0 - 4, k === 0))));
			barTop = top0 + r.lines.length * LINE_H + 4;
		}
		r.bars.forEach((b, k) => {
			const slot = barTop + k * perBar;
			const by = wide ? slot : slot + LINE_H;
			const cls = `chart-bar ${b.cls || opts.series[k].cls}`;
			const has = b.value !== null && b.value !== undefined;
			const w = has ? Math.max(0, scale(b.value) - x0) : 0;
			if (has) g.append(s('rect', {class: cls, x: x0, y: by, width: Math.max(w, b.value > 0 ? 2 : 0), height: barH}));
			const tcls = has ? 'chart-value' : 'chart-value chart-value-none';
			if (wide) {
				const tx = has ? x0 + w + 4 : x0 + 4;
				g.append(s('text', {class: tcls, x: tx, y: by + BAR_H - 3}, fit(b.text, width - tx)));
			} else {
				g.append(s('text', {class: tcls, x: x0, y: slot + 11}, fit(b.text, width - x0)));
			}
		});
		if (r.marker !== null && r.marker !== undefined && Number(r.marker) > 0) {
			// Across the bars; on a phone one piece per bar, so that it never crosses a value.
			const mx = scale(r.marker);
			if (wide) {
				g.append(s('line', {class: 'chart-marker', x1: mx, x2: mx, y1: barTop - 3, y2: barTop + block + 3}));
			} else {
				r.bars.forEach((b, k) => {
					const by = barTop + k * perBar + LINE_H;
					g.append(s('line', {class: 'chart-marker', x1: mx, x2: mx, y1: by - 3, y2: by + barH + 3}));
				});
			}
		}
		if (i > 0) svg.append(s('line', {class: 'chart-sep', x1: 0, x2: width, y1: y, y2: y, 'aria-hidden': 'true'}));
		svg.append(g);
		y += rowH[i];
	});
	svg.append(axis);
	return svg;
}

// Vertical columns.
// opts: title, desc, caption, axisLabel (the count's name, written above the axis), series
//   [{label, cls}], groups [{label: [line1, line2], values: [{value, text}]}], fmtTick.
export function columnChart(opts) {
	const {figure, box} = figureFor(opts, true);
	box.setAttribute('role', 'group');
	box.setAttribute('aria-label', opts.title);
	return {element: responsive(figure, box, (width) => drawColumns(opts, width))};
}

const COL_W = 18;
const COL_GAP = 3;

function drawColumns(opts, available) {
	const groups = opts.groups;
	const n = Math.max(1, groups.length);
	const ns = opts.series.length;
	const max = Math.max(0, ...groups.flatMap((g) => g.values.map((v) => Number(v.value) || 0)));
	const {ticks, top} = niceTicks(max, 4, null);
	const axisW = Math.max(28, ...ticks.map((v) => textWidth(opts.fmtTick(v)))) + 10;
	// A group needs room for its columns with their values above them, and for its label.
	const valueText = Math.max(0, ...groups.flatMap((g) => g.values.map((v) => textWidth(v.text))));
	const labelText = Math.max(0, ...groups.flatMap((g) => (Array.isArray(g.label) ? g.label : [g.label])
		.map((l, k) => textWidth(l, k === 0))));
	const minSlot = Math.max(36, ns * Math.max(12, valueText + 2) + (ns - 1) * COL_GAP + 4, labelText + 6);
	const needed = axisW + n * minSlot + 8;
	const width = Math.max(available, needed);
	const slot = (width - axisW - 8) / n;
	const plotTop = 30;
	const plotH = 170;
	const base = plotTop + plotH;
	const height = base + 44;
	const svg = frame(opts, width, height);
	const yOf = (v) => base - (plotH * Math.max(0, Number(v) || 0)) / (top || 1);

	const grid = s('g', {class: 'chart-grid', 'aria-hidden': 'true'});
	const axis = s('g', {class: 'chart-axis', 'aria-hidden': 'true'});
	for (const v of ticks) {
		const yy = yOf(v);
		grid.append(s('line', {x1: axisW, x2: width - 4, y1: yy, y2: yy}));
		axis.append(s('text', {x: axisW - 6, y: yy + 4, 'text-anchor': 'end'}, opts.fmtTick(v)));
	}
	axis.append(s('line', {class: 'chart-axis-line', x1: axisW, x2: width - 4, y1: base, y2: base}));
	axis.append(s('text', {class: 'chart-axis-label', x: 0, y: 12}, opts.axisLabel));
	svg.append(grid, axis);

	const colW = Math.min(COL_W * 1.6, (slot - 6 - (ns - 1) * COL_GAP) / ns);
	groups.forEach((g, i) => {
		const cx = axisW + slot * i + slot / 2;
		const total = ns * colW + (ns - 1) * COL_GAP;
		const gEl = s('g', {class: 'chart-col-group'});
		g.values.forEach((v, k) => {
			const x = cx - total / 2 + k * (colW + COL_GAP);
			const yy = yOf(v.value);
			const hgt = base - yy;
			gEl.append(s('rect', {class: `chart-bar ${v.cls || opts.series[k].cls}`, x, y: yy,
				width: colW, height: Math.max(hgt, Number(v.value) > 0 ? 2 : 0)}));
			gEl.append(s('text', {class: 'chart-value', x: x + colW / 2, y: yy - 4, 'text-anchor': 'middle'}, v.text));
		});
		const lines = Array.isArray(g.label) ? g.label : [g.label];
		lines.forEach((l, k) => gEl.append(s('text', {class: k === 0 ? 'chart-label' : 'chart-sublabel', x: cx,
			y: base + 16 + k * LINE_H, 'text-anchor': 'middle'}, fit(l, slot - 4, k === 0))));
		svg.append(gEl);
	});
	return svg;
}
