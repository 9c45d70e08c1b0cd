// The function every warm and first-call scenario invokes (it echoes its input) and the request
// body they send, so that their figures compare the same work.
export const ECHO_FUNCTION = 'export default async (input) => ({ echo: input })';
export const ECHO_INPUT = JSON.stringify({ input: { hello: 'world' } });
