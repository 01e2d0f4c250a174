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
