// Env-controlled failpoints for the crash tests: when a named point is enabled,
// the process dies right there, as a SIGKILL would leave it. Inert otherwise.
import { writeSync } from 'node:fs';

export const FAILPOINTS = ['after-order-insert', 'after-commit-before-answer', 'after-store-ack-before-record'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

/** Written to stderr just before the process kills itself, so a supervisor can tell why it died. */
export const FAILPOINT_NOTICE_PREFIX = 'zerodrop failpoint fired: ';

/** Enabled points and the chance each one fires when reached. */
let enabled: ReadonlyMap<string, number> = new Map();

/**
 * `spec` is "name,name@0.05": each name with its own optional probability (default 1).
 * Unknown names are refused, so a typo cannot silently disable a crash test.
 */
export function configureFailpoints(spec: string): void {
  const points = new Map<string, number>();
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name = '', probabilityText] = entry.split('@');
    if (!(FAILPOINTS as readonly string[]).includes(name)) {
      throw new Error(`ZERODROP_FAILPOINTS: unknown failpoint "${name}" (known: ${FAILPOINTS.join(', ')})`);
    }
    const probability = probabilityText === undefined ? 1 : Number(probabilityText);
    if (!(probability >= 0 && probability <= 1)) {
      throw new Error(`ZERODROP_FAILPOINTS: probability of "${name}" must be between 0 and 1, got "${probabilityText}"`);
    }
    points.set(name, probability);
  }
  enabled = points;
}

export function failpoint(name: Failpoint): void {
  const probability = enabled.get(name);
  if (probability === undefined || Math.random() >= probability) return;
  // Synchronous: the notice must be out before the kill, which nothing survives.
  writeSync(2, `${FAILPOINT_NOTICE_PREFIX}${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}
