// Answers that carry a large result as the JSON text made once when the sandbox's result was
// checked (SandboxRunOutcome.resultJson), spliced into the answer instead of serialized again:
// a multi-MiB result otherwise costs the event loop, which every tenant's calls share, one more
// full serialization per answer. Small results take the route's schema serializer like any
// other answer, and the JSON is the same either way.
import type { FastifyReply } from 'fastify';

/** A result whose JSON text is at least this long is spliced in; shorter ones are serialized. */
export const SPLICE_MIN_CHARS = 16 * 1024;

interface WithResultJson {
  result?: unknown;
  resultJson?: string;
}

/** The answer's fields without its result text (the view the route's schema describes). */
export function withoutResultJson<T extends WithResultJson>(answer: T): Omit<T, 'resultJson'> {
  if (!('resultJson' in answer)) return answer;
  const { resultJson: _json, ...view } = answer;
  return view;
}

/** Whether an answer's result is large enough to splice in as text. */
export function splicesResult<T extends WithResultJson>(answer: T): boolean {
  return answer.resultJson !== undefined && answer.resultJson.length >= SPLICE_MIN_CHARS;
}

/** JSON text of the answer, its result spliced in from resultJson when it has one. */
export function answerJson<T extends WithResultJson>(answer: T): string {
  const { resultJson } = answer;
  if (resultJson === undefined) {
    const { result, ...fields } = answer;
    return JSON.stringify(result === undefined ? fields : { ...fields, result });
  }
  // Every field but the result, which is never read here: it may be parsed only on demand.
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(answer)) if (key !== 'result' && key !== 'resultJson') fields[key] = answer[key as keyof T];
  const head = JSON.stringify(fields);
  return head === '{}' ? `{"result":${resultJson}}` : `${head.slice(0, -1)},"result":${resultJson}}`;
}

/** Sets the reply up to send JSON text as it is (no serializer runs on a string with this type). */
export function asJsonText(reply: FastifyReply, text: string): string {
  void reply.type('application/json; charset=utf-8');
  return text;
}
