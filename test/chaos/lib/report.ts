// The run's report: a table on stdout and the same figures as JSON (test/chaos/report.json).
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ScenarioResult } from './harness.js';

export interface ChaosReport {
  generatedAt: string;
  mode: 'full' | 'ci';
  passed: boolean;
  durationSeconds: number;
  environment: { node: string; cpus: number; database: string; redis: boolean };
  totals: {
    purchases: number;
    submissions: number;
    delivered: number;
    acknowledgeable: number;
    acknowledged: number;
    duplicates: number;
    lost: number;
    idempotentStoreRepeats: number;
  };
  scenarios: ScenarioResult[];
  /** Scenarios not run, and why. */
  skipped: { name: string; reason: string }[];
}

export function buildReport(
  mode: 'full' | 'ci',
  startedAt: number,
  scenarios: ScenarioResult[],
  skipped: { name: string; reason: string }[],
  environment: { database: string; redis: boolean },
): ChaosReport {
  const total = (field: keyof ChaosReport['totals']) => scenarios.reduce((sum, s) => sum + s[field], 0);
  return {
    generatedAt: new Date().toISOString(),
    mode,
    passed: scenarios.length > 0 && scenarios.every((s) => s.passed),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    environment: { node: process.version, cpus: cpus().length, ...environment },
    totals: {
      purchases: total('purchases'),
      submissions: total('submissions'),
      delivered: total('delivered'),
      acknowledgeable: total('acknowledgeable'),
      acknowledged: total('acknowledged'),
      duplicates: total('duplicates'),
      lost: total('lost'),
      idempotentStoreRepeats: total('idempotentStoreRepeats'),
    },
    scenarios,
    skipped,
  };
}

export function writeReport(path: string, report: ChaosReport): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

/** The human-readable table. */
export function formatReport(report: ChaosReport): string {
  const header = ['scenario', 'purchases', 'submitted', 'attempts', 'delivered', 'acknowledged', 'dupl.', 'lost', 'converge', 'time', 'result'];
  const rows = report.scenarios.map((s) => [
    s.name,
    String(s.purchases),
    String(s.submissions),
    String(s.attempts),
    String(s.delivered),
    s.acknowledgeable > 0 ? `${s.acknowledged}/${s.acknowledgeable}` : '-',
    String(s.duplicates),
    String(s.lost),
    s.convergeSeconds === null ? '-' : `${s.convergeSeconds} s`,
    `${Math.round(s.durationSeconds)} s`,
    s.passed ? 'pass' : 'FAIL',
  ]);
  const t = report.totals;
  rows.push([
    'total',
    String(t.purchases),
    String(t.submissions),
    String(report.scenarios.reduce((n, s) => n + s.attempts, 0)),
    String(t.delivered),
    `${t.acknowledged}/${t.acknowledgeable}`,
    String(t.duplicates),
    String(t.lost),
    '',
    `${report.durationSeconds} s`,
    report.passed ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `ZeroDrop chaos run (${report.mode}) on ${report.environment.database}${report.environment.redis ? ' + Redis' : ''}, ` +
      `${report.environment.cpus} CPUs, Node ${report.environment.node}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `store acknowledgements repeated and answered "already done" by the store (tolerated): ${t.idempotentStoreRepeats}`,
  ];
  for (const s of report.scenarios) {
    out.push(`${s.name}: ${JSON.stringify(s.details)}`);
    for (const problem of s.problems.slice(0, 30)) out.push(`  ✗ ${problem}`);
    if (s.problems.length > 30) out.push(`  … ${s.problems.length - 30} more problems in the JSON report`);
  }
  for (const skipped of report.skipped) out.push(`skipped ${skipped.name}: ${skipped.reason}`);
  return out.join('\n');
}
