// Runs first in the harness, before any other module is loaded: sets V8's heap-size flags back to
// their defaults. The host starts the harness with --max-old-space-size (the function's memory
// limit), which V8 reads once, when it creates the heap, so the limit holds from then on. But
// any V8 flag also changes V8's flag hash, and Node's embedded code cache of its own built-in
// modules only matches the default hash: with the flag still set, every built-in the harness and
// the module loader load after Node's start-up is compiled from source (about 10 ms of a
// sandbox's boot on a 2-core machine). With the flag back at its default, the cache is used.
// Best effort: if the binding is missing (a future Node), the harness is only slower to boot.
/** Node's process.binding (deprecated, not in @types/node), with the one call used here. */
interface ProcessBinding {
  binding(name: 'v8'): { setFlagsFromString(flags: string): void };
}

try {
  const noDeprecation = process.noDeprecation;
  process.noDeprecation = true; // process.binding's deprecation warning would go to stderr
  try {
    (process as unknown as ProcessBinding).binding('v8').setFlagsFromString('--max-old-space-size=0');
  } finally {
    process.noDeprecation = noDeprecation;
  }
} catch {
  // keep the flags: slower, same limits
}
