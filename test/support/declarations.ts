// The function author's declarations (types/airlock.d.ts) seen through the TypeScript compiler
// API, as a tenant developer's `tsc` sees them: compile a few files beside a copy of the
// declarations (as `airlock types > airlock.d.ts` leaves it) and read their diagnostics, or the
// members a declared type has (which are optional), to compare with what the runtime gives.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** dist/test/support/ → the repository (or installed package) root. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TYPES_FILE = join(PACKAGE_ROOT, 'types', 'airlock.d.ts');

/** A tenant's strict tsconfig for Node 20 with @types/node (the repository's own copy). */
export const NODE_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  typeRoots: [join(PACKAGE_ROOT, 'node_modules', '@types')],
};

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  code: number;
  message: string;
}

export interface Compiled {
  program: ts.Program;
  dir: string;
  /** Syntactic and semantic diagnostics of the given files and of airlock.d.ts (not of other libraries). */
  diagnostics: Diagnostic[];
}

/**
 * Compiles `files` (name → source) in a temp dir holding airlock.d.ts, and node_modules/airlock
 * linked to the package when `installed` is set; `check` runs before the dir is removed.
 */
export function compile<T>(files: Record<string, string>, check: (compiled: Compiled) => T, options: ts.CompilerOptions = NODE_OPTIONS, installed = false): T {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-types-'));
  try {
    writeFileSync(join(dir, 'airlock.d.ts'), readFileSync(TYPES_FILE));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    if (installed) {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(PACKAGE_ROOT, join(dir, 'node_modules', 'airlock'), 'dir');
    }
    const roots = Object.keys(files).map((name) => join(dir, name));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const program = ts.createProgram(roots, options);
    const mine = program.getSourceFiles().filter((sf) => roots.includes(sf.fileName) || sf.fileName === join(dir, 'airlock.d.ts') || sf.fileName === TYPES_FILE);
    const diagnostics = mine.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]).map(describe);
    diagnostics.push(...program.getOptionsDiagnostics().map(describe), ...program.getGlobalDiagnostics().map(describe));
    return check({ program, dir, diagnostics });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(d: ts.Diagnostic): Diagnostic {
  const pos = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
  return {
    file: d.file === undefined ? '' : d.file.fileName.slice(dirname(d.file.fileName).length + 1),
    line: (pos?.line ?? -1) + 1,
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  };
}

export interface Members {
  required: string[];
  optional: string[];
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

/** The members of a type: required and optional names, each sorted. */
function membersOf(checker: ts.TypeChecker, type: ts.Type): Members {
  const required: string[] = [];
  const optional: string[] = [];
  for (const symbol of checker.getPropertiesOfType(type)) {
    ((symbol.flags & ts.SymbolFlags.Optional) !== 0 ? optional : required).push(symbol.getName());
  }
  return { required: sorted(required), optional: sorted(optional) };
}

/**
 * The members each type expression (e.g. `Context`, `WithEgress<JobContext>`) declares, as a
 * function module that imports them from airlock.d.ts sees them.
 */
export function declaredMembers<const K extends string>(types: Record<K, string>): Record<K, Members> {
  const names = Object.keys(types) as K[];
  const probe = [
    `import type * as A from './airlock.js';`,
    ...names.map((name, i) => `export declare const t${i}: ${types[name].replace(/\b([A-Z]\w*)/g, 'A.$1')};`),
  ].join('\n');
  return compile({ 'probe.ts': probe }, ({ program, dir, diagnostics }) => {
    if (diagnostics.length > 0) throw new Error(`the probe does not compile: ${JSON.stringify(diagnostics)}`);
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(join(dir, 'probe.ts'))!;
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
    const out = {} as Record<K, Members>;
    names.forEach((name, i) => {
      const symbol = exported.find((s) => s.getName() === `t${i}`)!;
      out[name] = membersOf(checker, checker.getTypeOfSymbol(symbol));
    });
    return out;
  });
}

/** The members of each member of a union type, by the value of its discriminant (e.g. JobSource by `kind`). */
export function declaredUnion(typeName: string, discriminant: string): Record<string, Members> {
  const probe = `import type { ${typeName} } from './airlock.js';\nexport declare const u: ${typeName};`;
  return compile({ 'probe.ts': probe }, ({ program, dir, diagnostics }) => {
    if (diagnostics.length > 0) throw new Error(`the probe does not compile: ${JSON.stringify(diagnostics)}`);
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(join(dir, 'probe.ts'))!;
    const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!).find((s) => s.getName() === 'u')!;
    const union = checker.getTypeOfSymbol(symbol);
    if (!union.isUnion()) throw new Error(`${typeName} is not a union`);
    const out: Record<string, Members> = {};
    for (const member of union.types) {
      const tag = checker.getTypeOfSymbol(member.getProperty(discriminant)!);
      if (!tag.isStringLiteral()) throw new Error(`${typeName}.${discriminant} is not a string literal in every member`);
      out[tag.value] = membersOf(checker, member);
    }
    return out;
  });
}
