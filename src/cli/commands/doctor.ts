// `airlock doctor`: checks this machine against the server's configuration (same environment
// variables as `airlock server`) and prints each isolation layer as ok or missing, whether it is
// required, and why, then the server's own start checks (data dir, database, key files, listen
// address). Exit status 0 when every required layer is in force and the start checks pass, 1
// otherwise. It boots one real test sandbox, exactly as the server does at startup; it needs no
// running server.
import { loadConfig } from '../../core/config.js';
import { createIsolator } from '../../sandbox/index.js';
import { createPolicy, openCgroups } from '../../sandbox/cgroup/index.js';
import { attestIsolation, layerProbes } from '../../sandbox/attestation/index.js';
import type { AttestationReport } from '../../sandbox/attestation/index.js';
import { parse } from '../args.js';
import { takePositionals } from '../usage.js';
import { startChecks } from './doctor-start-checks.js';
import type { StartCheck } from './start-check.js';

export function formatReport(report: AttestationReport, checks: readonly StartCheck[] = []): string {
  const rows = report.layers.map((l) => [l.layer, l.required ? 'yes' : 'no', l.inForce ? 'ok' : 'missing', l.detail]);
  const header = ['layer', 'required', 'status', 'detail'];
  const widths = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  const failed = checks.filter((c) => !c.ok).map((c) => c.check);
  const refusals = [
    ...(report.missing.length === 0 ? [] : [`missing required layer(s): ${report.missing.map((l) => l.layer).join(', ')}`]),
    ...(failed.length === 0 ? [] : [`failed start check(s): ${failed.join(', ')}`]),
  ];
  const verdict =
    refusals.length === 0
      ? `every required layer is in force${checks.length > 0 ? ' and the start checks pass' : ''}: the server will start`
      : `${refusals.join('; ')}: the server will refuse to start`;
  const reason = report.checkError === undefined ? [] : [`the test sandbox did not start: ${report.checkError}`, ''];
  const width = Math.max('check'.length, ...checks.map((c) => c.check.length));
  const checkRows = checks.map((c) => `${c.check.padEnd(width)}  ${(c.ok ? 'ok' : 'failed').padEnd(6)}  ${c.detail}`);
  const startPart = checks.length === 0 ? [] : [`${'check'.padEnd(width)}  status  detail`, ...checkRows, ''];
  return [`isolator: ${report.isolator}`, '', line(header), ...rows.map(line), '', ...reason, ...startPart, verdict, ''].join('\n');
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, isolation: { type: 'string' } });
  takePositionals('doctor', positionals, []);
  const env = { ...process.env };
  if (values.isolation !== undefined) env.AIRLOCK_ISOLATION = values.isolation;
  const config = loadConfig(env);
  // The test sandbox gets cgroups exactly as the server's would, under a root of its own so a
  // running server's groups are never touched.
  const cgroupConfig = { ...config.cgroups, root: `${config.cgroups.root}-doctor-${process.pid}` };
  const opened = config.sandbox.isolator === 'bwrap' ? openCgroups(cgroupConfig) : undefined;
  const cgroups = opened?.manager;
  const isolator = createIsolator(config.sandbox, { cgroups: createPolicy(cgroupConfig, cgroups) });
  let report: AttestationReport;
  try {
    report = await attestIsolation(config.sandbox, isolator, layerProbes(config.sandbox, config.cgroups, opened?.reason));
  } finally {
    await isolator.close();
    await cgroups?.close();
  }
  const checks = await startChecks(config);
  process.stdout.write(values.json === true ? `${JSON.stringify({ ...report, startChecks: checks }, null, 2)}\n` : formatReport(report, checks));
  return report.missing.length === 0 && report.checkError === undefined && checks.every((c) => c.ok) ? 0 : 1;
}
