// Reads amaro's error (a miette-rendered text report, thrown as a string) into a message and a
// line/column in the source. The report looks like:
//     x Expected ',', got '{'
//    ,-[1:1]
//  1 | export default function(x: number {
//    :                                   ^
// The header's column is not the error's, so the caret line is preferred; the caret is placed in
// terminal cells (tabs expand to stops of 4, wide characters take 2), which are mapped back to a
// JavaScript column. A report can underline several spans: a labelled one (`^|` over the label
// "Tried to parse the condition for an if statement") is context, so an unlabelled one, the error
// itself, is preferred. When no caret is drawn (multi-line spans), the first code on the line is
// used; an "Unexpected eof" without a caret is at the end of the source.
import { positionOf } from './source-position.js';

export interface StripDiagnostic {
  /** The parser's message, e.g. "Expression expected". */
  message: string;
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units (as in JavaScript stack traces). */
  column: number;
  /** True for valid TypeScript that cannot be erased (enum, namespace, parameter properties…). */
  unsupported: boolean;
}

const MESSAGE_LINE = /^\s*[x×]\s+(.+)$/;
const GUTTER_LINE = /^\s*(\d+) \|/;
const CARET_LINE = /^\s*:\s*\^/;
const HEADER_LINE = /,-\[(?:.*:)?(\d+):(\d+)\]/;

const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6\u{17000}-\u{18AFF}\u{1B000}-\u{1B2FF}\u{20000}-\u{3FFFD}]|\p{Emoji_Presentation}/u;
// Marks, format characters and controls other than tab (e.g. a lone \r) take no cell.
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

/** Terminal cells taken by one code point at display position `at` (tabs need the position). */
function cellWidth(ch: string, at: number): number {
  if (ch === '\t') return 4 - (at % 4);
  if (ZERO_WIDTH.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** Maps a display offset (cells from the start of the line) to a 1-based UTF-16 column. */
export function cellsToColumn(lineText: string, cells: number): number {
  let at = 0;
  let index = 0;
  for (const ch of lineText) {
    const w = cellWidth(ch, at);
    if (at >= cells && w > 0) break;
    at += w;
    index += ch.length;
  }
  return index + 1;
}

function firstCodeColumn(lineText: string): number {
  const m = /\S/.exec(lineText);
  return m ? m.index + 1 : 1;
}

function reportText(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}

/** Parses amaro's report about `source`. Never throws; falls back to 1:1 when nothing is found. */
export function parseStripError(thrown: unknown, source: string): StripDiagnostic {
  const lines = reportText(thrown).split('\n').map((l) => l.replace(/\r$/, ''));
  // The report numbers lines by '\n' only (a lone '\r' or U+2028 stays inside a line).
  const sourceLines = source.split(/\r?\n/);
  const start = lines.findIndex((l) => MESSAGE_LINE.test(l));
  const message = start >= 0 ? MESSAGE_LINE.exec(lines[start]!)![1]!.trim() : (lines.find((l) => l.trim())?.trim() ?? 'invalid source');
  const text = reportText(thrown);
  const unsupported = !/failed to parse/.test(text) && /not supported/i.test(message);

  // Only look inside the first report block: from its message to the next message line.
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (MESSAGE_LINE.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const block = lines.slice(Math.max(0, start), end);
  const position =
    caretPosition(block, sourceLines) ??
    (EOF_MESSAGE.test(message) ? positionOf(source, source.length) : undefined) ??
    arrowPosition(block, sourceLines) ??
    headerPosition(block);
  return { message, unsupported, line: position?.line ?? 1, column: position?.column ?? 1 };
}

type Position = { line: number; column: number };

const EOF_MESSAGE = /^Unexpected eof\b/i;

/** One underlined span: its line, its first cell, and whether a label hangs from it. */
interface Underline {
  line: number;
  cells: number;
  labelled: boolean;
}

/** Every span underlined in the block, in the order drawn. */
function underlines(block: string[]): Underline[] {
  const found: Underline[] = [];
  for (let i = 1; i < block.length; i++) {
    if (!CARET_LINE.test(block[i]!)) continue;
    const gutterAt = findGutter(block, i);
    if (gutterAt === undefined) continue;
    const line = Number(GUTTER_LINE.exec(block[gutterAt]!)![1]);
    const textStart = block[gutterAt]!.indexOf('|') + 2;
    const caretLine = block[i]!;
    // A span is a run of '^' in which a '|' marks where its label hangs (`^^|^^`).
    for (const run of caretLine.slice(caretLine.indexOf(':') + 1).matchAll(/\^[\^|]*/g)) {
      const at = caretLine.indexOf(':') + 1 + run.index;
      found.push({ line, cells: Math.max(0, at - textStart), labelled: run[0].includes('|') });
    }
  }
  return found;
}

/** The source line drawn above the caret line at `caretAt`. */
function findGutter(block: string[], caretAt: number): number | undefined {
  for (let j = caretAt - 1; j >= 0; j--) if (GUTTER_LINE.test(block[j]!)) return j;
  return undefined;
}

function caretPosition(block: string[], sourceLines: string[]): Position | undefined {
  const spans = underlines(block);
  const chosen = spans.find((s) => !s.labelled) ?? spans[0];
  if (!chosen) return undefined;
  return { line: chosen.line, column: cellsToColumn(sourceLines[chosen.line - 1] ?? '', chosen.cells) };
}

function arrowPosition(block: string[], sourceLines: string[]): Position | undefined {
  for (const l of block) {
    const gutter = GUTTER_LINE.exec(l);
    if (gutter && l.slice(l.indexOf('|') + 2).startsWith(',->')) {
      const line = Number(gutter[1]);
      return { line, column: firstCodeColumn(sourceLines[line - 1] ?? '') };
    }
  }
  return undefined;
}

function headerPosition(block: string[]): Position | undefined {
  for (const l of block) {
    const m = HEADER_LINE.exec(l);
    if (m) return { line: Number(m[1]), column: Math.max(1, Number(m[2])) };
  }
  return undefined;
}
