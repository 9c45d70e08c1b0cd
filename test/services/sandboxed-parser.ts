// The deploy's V8 parse for service tests, as the server has it: one real bwrap check sandbox per
// module (no mock), from an isolator built like the sandbox tests' (no cgroups).
import type { IsolatorName } from '../../src/core/config.js';
import { sandboxedParser } from '../../src/services/node-parse.js';
import type { ModuleParser } from '../../src/services/node-parse.js';
import { makeIsolator } from '../sandbox/support.js';

export function testParser(isolator: IsolatorName = 'bwrap'): ModuleParser {
  return sandboxedParser(makeIsolator(isolator));
}
