// Reads a key to look up (`airlock keys find`) from stdin, never from argv: an argument would
// stay in the shell's history and show in `ps`. Piped or redirected, the whole input is one key
// (surrounding whitespace ignored); on a terminal, the first line typed or pasted.
import { UsageError } from './args.js';

/** Far more than any key; stops a wrong file from being read whole. */
const MAX_KEY_INPUT_BYTES = 4096;

type Stdin = NodeJS.ReadableStream & { isTTY?: boolean };

export async function readKeyFromStdin(stdin: Stdin, prompt: (text: string) => void): Promise<string> {
  const tty = stdin.isTTY === true;
  if (tty) prompt('paste the key, then press Enter: ');
  let text = '';
  for await (const chunk of stdin) {
    text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (text.length > MAX_KEY_INPUT_BYTES) throw new UsageError(`stdin holds more than ${MAX_KEY_INPUT_BYTES} bytes; give it the key alone`);
    if (tty && text.includes('\n')) break;
  }
  const key = (tty ? text.split('\n')[0]! : text).trim();
  if (key === '') throw new UsageError('no key on stdin: airlock keys find < file-holding-the-key (or run it and paste the key)');
  if (/\s/.test(key)) throw new UsageError('stdin holds more than one word; give it the key alone (one key per run)');
  return key;
}
