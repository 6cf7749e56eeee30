/**
 * Renders task-supplied text for error messages. Values are hostile: nothing
 * invisible, terminal-controlling or look-alike may reach a log unescaped, and
 * a megabyte value must not become a megabyte message.
 */

const SHOWN_CHARACTERS = 64;

const hex = (code: number, width: number): string => code.toString(16).toUpperCase().padStart(width, '0');

const isControl = (code: number): boolean => code < 0x20 || (code >= 0x7f && code <= 0x9f);

/** Letters, marks, numbers, punctuation, symbols and spaces: what a reader can see. */
export const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u;

/** One offending character: printable ASCII as itself, anything else by code. */
export function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (isControl(code)) return `'\\x${hex(code, 2)}'`;
  if (code < 0x80) return ch === "'" ? `"'"` : `'${ch}'`;
  return PRINTABLE.test(ch) ? `U+${hex(code, 4)} '${ch}'` : `U+${hex(code, 4)}`;
}

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '"' || ch === '\\') return `\\${ch}`;
  if (isControl(code)) return `\\x${hex(code, 2)}`;
  if (code >= 0x80) return `\\u{${hex(code, 1)}}`;
  return ch;
}

/** A value in double quotes, escaped, cut after `shown` characters (64 by default) with its byte length. */
export function showValue(value: string, shown = SHOWN_CHARACTERS): string {
  const chars = Array.from(value.slice(0, shown * 2)).slice(0, shown);
  const body = chars.map(escapeChar).join('');
  const cut = chars.join('').length < value.length;
  return cut ? `"${body}…" (${Buffer.byteLength(value, 'utf8')} bytes)` : `"${body}"`;
}
