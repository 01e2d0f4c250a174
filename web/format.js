// Formatting of values for display: dates and times in the user's locale (id-ID or en-GB),
// sizes, and the labels of the API's codes.

import {t, has, lang, locale} from './i18n.js';
import {state} from './state.js';

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;
const YMD_HM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

// A calendar date 'YYYY-MM-DD' (no time zone: shown as the same day everywhere).
export function fmtDate(ymd, style = 'long') {
	const m = YMD.exec(ymd || '');
	if (!m) return ymd || '';
	const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
	return new Intl.DateTimeFormat(locale(), {dateStyle: style, timeZone: 'UTC'}).format(d);
}

// An instant, ISO 8601 UTC ('2026-11-24T10:43:51Z'), shown in the browser's time zone.
export function fmtDateTime(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'short'}).format(d);
}

// The alih-media date: 'YYYY-MM-DD' or a local wall time 'YYYY-MM-DDTHH:MM' (no zone).
export function fmtScanDate(value) {
	if (!value) return '';
	if (YMD.test(value)) return fmtDate(value, 'medium');
	const m = YMD_HM.exec(value);
	if (!m) return value;
	const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
	return new Intl.DateTimeFormat(locale(), {dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC'}).format(d);
}

// Bytes as '1,5 MB' (id) or '1.5 MB' (en), in powers of 1024.
export function fmtSize(bytes) {
	const n = Number(bytes);
	if (!Number.isFinite(n) || n < 0) return '';
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let v = n;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i += 1;
	}
	const digits = i === 0 ? 0 : (v < 10 ? 1 : 0);
	const num = new Intl.NumberFormat(locale(), {maximumFractionDigits: digits}).format(v);
	return `${num} ${units[i]}`;
}

export function fmtNumber(n) {
	return new Intl.NumberFormat(locale()).format(n);
}

// A role's name in the current language, from /api/meta (name_id / name_en).
export function roleName(code) {
	const roles = state.meta && Array.isArray(state.meta.roles) ? state.meta.roles : [];
	const r = roles.find((x) => x.code === code);
	if (!r) return code;
	return (lang() === 'en' ? r.name_en : r.name_id) || r.name_id || r.name_en || code;
}

function codeLabel(prefix, code) {
	if (!code) return '';
	const key = `${prefix}.${code}`;
	return has(key) ? t(key) : code;
}

export const classificationLabel = (c) => codeLabel('classification', c);
export const stageLabel = (s) => codeLabel('stage', s);
export const stageTitle = (s) => (has(`stageTitle.${s}`) ? t(`stageTitle.${s}`) : stageLabel(s));
// The stage as used inside a sentence: 'tahap perencanaan', 'planning stage'.
export const stageInSentence = (s) => (has(`stageIn.${s}`) ? t(`stageIn.${s}`) : stageLabel(s));
export const sourceLabel = (s) => codeLabel('source', s);
export const docStateLabel = (s) => codeLabel('docState', s);

// Document types are codes ([a-z0-9_]); known ones have a label, others are shown readable:
// 'daftar_hadir' → 'Daftar hadir'.
export function docTypeLabel(code) {
	if (!code) return '';
	const key = `doctype.${code}`;
	if (has(key)) return t(key);
	const words = code.replace(/_+/g, ' ').trim();
	return words.charAt(0).toUpperCase() + words.slice(1);
}

// A text the API gives in both languages ({"id": "…", "en": "…"}), in the UI's language.
export function textIn(obj) {
	if (!obj) return '';
	if (typeof obj === 'string') return obj;
	return obj[lang()] || obj.id || obj.en || '';
}

// A USERREF ({"id", "username", "display_name"}) as a name.
export function userName(ref) {
	if (!ref) return '';
	return ref.display_name || ref.username || '';
}

// A length of time in seconds as its two largest units: '2 jam 5 menit', '3 days 4 hours'.
// Under a minute: seconds. Negative values are shown as their magnitude.
export function fmtDuration(seconds) {
	let s = Math.round(Math.abs(Number(seconds)));
	if (!Number.isFinite(s)) return '';
	const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
	const parts = [];
	for (const [unit, size] of units) {
		const n = Math.floor(s / size);
		if (n > 0 || (unit === 'second' && parts.length === 0)) {
			parts.push(t(n === 1 ? `dur.${unit}` : `dur.${unit}s`, {n: fmtNumber(n)}));
			s -= n * size;
		}
		if (parts.length === 2) break;
		// Below a day, seconds are noise once minutes are shown.
		if (parts.length === 1 && unit === 'minute') break;
	}
	return parts.join(' ');
}

// A Waktu (time standard) in minutes: '5 menit', '2 jam'.
export function fmtMinutes(minutes) {
	const n = Number(minutes);
	if (!Number.isFinite(n) || n <= 0) return '';
	return fmtDuration(n * 60);
}

// 'YYYY-MM' as 'November 2026'.
export function fmtMonth(ym) {
	const m = /^(\d{4})-(\d{2})$/.exec(ym || '');
	if (!m) return ym || '';
	const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
	return new Intl.DateTimeFormat(locale(), {year: 'numeric', month: 'long', timeZone: 'UTC'}).format(d);
}

export const caseStateLabel = (s) => codeLabel('caseState', s);
export const taskStateLabel = (s) => codeLabel('taskState', s);
export const artefactKindLabel = (k) => codeLabel('artefactKind', k);
export const actionLabel = (a) => codeLabel('action', a);
export const actingLabel = (kind) => codeLabel('acting', kind);
export const verifyResultLabel = (r) => codeLabel('verify', r);
export const answerLabel = (a) => codeLabel('answer', a);
export const notificationKindLabel = (k) => codeLabel('notifKind', k);
