// Env-controlled failpoints for the crash tests: when a named point is enabled,
// the process dies right there, as a SIGKILL would leave it. Inert otherwise.
export type Failpoint =
  | 'after-order-insert'
  | 'after-commit-before-answer'
  | 'after-store-ack-before-record';

let enabled: ReadonlySet<string> = new Set();
let probability = 1;

export function configureFailpoints(spec: string): void {
  // "name,name@0.05" — an optional probability per run
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  enabled = new Set(names.map((n) => n.split('@')[0] ?? n));
  const p = names.map((n) => Number(n.split('@')[1])).find((x) => Number.isFinite(x));
  probability = p ?? 1;
}

export function failpoint(name: Failpoint): void {
  if (enabled.size === 0 || !enabled.has(name)) return;
  if (Math.random() < probability) process.kill(process.pid, 'SIGKILL');
}
