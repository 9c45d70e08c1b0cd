// Where an offset falls in a function's source, as the line:column its author sees in an editor.
// Type stripping keeps every character in place, so offsets in the stripped JavaScript map to
// the same position in the deployed TypeScript.

/** 1-based line and UTF-16 column of `index` in `text` (lines end at '\n'). */
export function positionOf(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: index - lastBreak };
}
