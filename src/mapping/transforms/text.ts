/**
 * Text for Pipedrive: trimming, HTML for note-like fields (Pipedrive sanitises note HTML, so user text is
 * escaped and line breaks become `<br>`), and truncation to Pipedrive's limits with a flag the diff can report.
 */

/** Pipedrive limits: varchar custom fields hold 255 characters, `text` ones 65k; notes and activity notes 100 KB. */
export const LIMITS = {
  varchar: 255,
  /** Standard short fields (names, titles, subjects): Pipedrive does not document a limit; 255 is safe. */
  shortText: 255,
  /** `text` custom fields: "Long text (up to 65k characters)" in the specs' field_type table (65,000 to be safe). */
  longTextChars: 65_000,
  noteBytes: 100_000,
} as const;

export function cleanText(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const text = raw.normalize('NFC').replace(/\r\n?/gu, '\n').trim();
  return text === '' ? null : text;
}

/** One line: runs of whitespace (including line breaks) become one space. */
export function singleLine(raw: string | null | undefined): string | null {
  const text = cleanText(raw);
  return text === null ? null : text.replace(/\s+/gu, ' ');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => HTML_ESCAPES[c] ?? c);
}

/** Escaped text with its line breaks kept as `<br>`. */
export function textToHtml(text: string): string {
  return text.replace(/\r\n?/gu, '\n').split('\n').map(escapeHtml).join('<br>');
}

export interface Truncated {
  text: string;
  truncated: boolean;
}

/** At most `maxChars` characters (code points, so a surrogate pair is never split). */
export function truncateChars(text: string, maxChars: number): Truncated {
  // Walks the first maxChars code points only: a 10 MB value is cut without being split into ten million strings.
  if (text.length <= maxChars) return { text, truncated: false };
  let end = 0;
  for (let chars = 0; chars < maxChars && end < text.length; chars++) end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  if (end >= text.length) return { text, truncated: false };
  return { text: text.slice(0, end).trimEnd(), truncated: true };
}

/** UTF-8 byte length, computed without Buffer so the module also runs in Temporal's workflow sandbox. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += codePointBytes(char);
  return bytes;
}

function codePointBytes(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/**
 * Plain-text parts as one HTML value: each part escaped, parts and line breaks joined with `<br>`, then
 * `suffixHtml` (already HTML, e.g. the exactly-once marker) appended so it survives truncation. The parts are
 * cut, never inside an escape sequence, so the whole fits in `maxBytes` of UTF-8.
 */
export function composeHtml(parts: readonly string[], suffixHtml: string, maxBytes: number): Truncated {
  const separator = '<br>';
  const suffix = suffixHtml === '' ? '' : (parts.length > 0 ? separator : '') + suffixHtml;
  let budget = maxBytes - utf8Length(suffix);
  let html = '';
  let truncated = false;
  const lines = parts.flatMap((part) => part.replace(/\r\n?/gu, '\n').split('\n'));
  outer: for (const [index, line] of lines.entries()) {
    if (index > 0) {
      if (separator.length > budget) {
        truncated = true;
        break;
      }
      html += separator;
      budget -= separator.length;
    }
    // Most lines fit whole: escaped in one pass (an entity is ASCII, so the escaped line's UTF-8 length is what the
    // characters below would count). Only the line that crosses the budget is cut character by character.
    const escapedLine = escapeHtml(line);
    const lineBytes = utf8Length(escapedLine);
    if (lineBytes <= budget) {
      html += escapedLine;
      budget -= lineBytes;
      continue;
    }
    for (const char of line) {
      const escaped = escapeHtml(char);
      const bytes = escaped === char ? codePointBytes(char) : escaped.length;
      if (bytes > budget) {
        truncated = true;
        break outer;
      }
      html += escaped;
      budget -= bytes;
    }
  }
  return { text: html + suffix, truncated };
}

/** Plain-text parts joined by line breaks, with a plain suffix line that survives truncation to `maxChars`. */
export function composeText(parts: readonly string[], suffix: string, maxChars: number | null): Truncated {
  const tail = suffix === '' ? '' : (parts.length > 0 ? '\n' : '') + suffix;
  const body = parts.join('\n');
  if (maxChars === null) return { text: body + tail, truncated: false };
  const cut = truncateChars(body, Math.max(0, maxChars - Array.from(tail).length));
  return { text: cut.text + tail, truncated: cut.truncated };
}

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * HTML as Pipedrive may return it (its sanitiser rewrites `<br>` as `<br/>`, wraps in `<p>`, re-encodes
 * entities) reduced to comparable plain text: tags become line breaks or vanish, entities are decoded,
 * whitespace is collapsed.
 */
export function htmlToComparableText(html: string): string {
  return html
    .replace(/<br\s*\/?>/giu, '\n')
    .replace(/<\/p>\s*<p[^>]*>/giu, '\n')
    .replace(/<[^>]*>/gu, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/giu, (entity: string, code: string) => {
      if (code.startsWith('#x') || code.startsWith('#X')) return String.fromCodePoint(parseInt(code.slice(2), 16));
      if (code.startsWith('#')) return String.fromCodePoint(parseInt(code.slice(1), 10));
      return HTML_ENTITIES[code.toLowerCase()] ?? entity;
    })
    .replace(/[ \t]+/gu, ' ')
    .replace(/\s*\n\s*/gu, '\n')
    .trim();
}
