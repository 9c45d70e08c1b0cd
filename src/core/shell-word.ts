// Quoting a word for a POSIX shell, for the commands that messages and the CLI print for a reader
// to copy: a word taken from a request (a host a function asked for, a path) must stay one word
// and never run anything when pasted.

/** A single quote inside a single-quoted shell word: end the word, an escaped quote, reopen. */
const QUOTE_IN_QUOTES = "'\\''";

/** Quotes `text` for a POSIX shell when it holds anything beyond plain path characters. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : "'" + text.replaceAll("'", QUOTE_IN_QUOTES) + "'";
}
