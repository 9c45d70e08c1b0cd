// Reading a request body's bytes as JSON, with refusals that say which problem the body had:
// bytes that are not UTF-8, JSON that does not parse (and where), or a prototype-poisoning key
// (`__proto__`, or a `constructor` key holding `prototype`). Pure functions with no Fastify in
// them, so the event loop and the large-body parser thread (json-thread/) refuse alike. Also
// parseUntrustedJson, for what sandboxes send (frames), which drops those keys instead.
import sjson from 'secure-json-parse';
import { AirlockError } from './errors.js';

/** Refuses bytes that are not UTF-8, rather than reading them as U+FFFD; drops a leading BOM. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const POISONING_REFUSAL =
  'request bodies may not contain a key named "__proto__", or a "constructor" key holding a "prototype" key ' +
  '(they could change objects on the server); rename those keys';

/**
 * JSON.parse for text from a sandbox: drops `__proto__` and `constructor.prototype` keys instead
 * of refusing them. Text that cannot spell either key (no such substring, no \u escape) takes
 * plain JSON.parse: secure-json-parse's two regex scans were ~9% of the host's time per warm call.
 */
export function parseUntrustedJson(text: string): unknown {
  if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u')) {
    return JSON.parse(text) as unknown;
  }
  return sjson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' }) as unknown;
}

/** The body's text; BAD_REQUEST when its bytes are not UTF-8. */
export function decodeJsonBytes(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AirlockError(
      'BAD_REQUEST',
      'request body is not valid UTF-8; JSON must be sent as UTF-8 (re-encode the text, or escape the characters as \\uXXXX)',
    );
  }
}

/** The body's value; BAD_REQUEST for invalid JSON (saying where), VALIDATION_FAILED for a poisoning key. */
export function parseJsonText(text: string): unknown {
  try {
    return sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' }) as unknown;
  } catch {
    throw refusalFor(text);
  }
}

/** Why secure-json-parse refused `text`: it throws a SyntaxError both for invalid JSON and for a poisoning key. */
function refusalFor(text: string): AirlockError {
  try {
    JSON.parse(text);
  } catch (syntax) {
    return new AirlockError(
      'BAD_REQUEST',
      `request body is not valid JSON (${syntaxProblem(syntax as Error)}); send a JSON object, e.g. {"input": ...}`,
    );
  }
  // Valid JSON that the parser refused: only its prototype-poisoning guard does that.
  return new AirlockError('VALIDATION_FAILED', POISONING_REFUSAL);
}

/**
 * What JSON.parse found wrong, with where when it says ("... in JSON at position 18"). Its
 * messages that quote the body (`Unexpected token 'x', "..." is not valid JSON`) are not
 * repeated: the body may be a secret's value.
 */
function syntaxProblem(err: Error): string {
  return err.message.includes('"') ? 'an unexpected character' : err.message;
}
