// What every scenario gets: the server processes, the fake stores behind their fault
// proxies, a database connection for the verdict, and the run's settings.
import type { PrismaClient } from '../../../src/platform/db.js';
import type { FakeHuawei } from '../../helpers/fake-huawei.js';
import type { FakeNowgg } from '../../helpers/fake-nowgg.js';
import type { ServerInstance } from './cluster.js';
import type { FaultProxy } from './proxy.js';

export interface CrashSettings {
  purchases: number;
  /** Purchases started per second: spreads the load over the kills. */
  ratePerSecond: number;
  concurrency: number;
  /** SIGKILLs by the harness during the load, at least. */
  minKills: number;
  /** Pause between two kills: uniform in [min, max] ms. */
  killIntervalMs: readonly [number, number];
  /** ZERODROP_FAILPOINTS for the servers while under load. */
  failpoints: string;
  /** Each failpoint must have killed a server at least this often (topped up if chance fell short). */
  minFailpointCrashes: number;
}

export interface OutageSettings {
  purchases: number;
  ratePerSecond: number;
  concurrency: number;
  /** How long the store (or database) stays down. */
  outageMs: number;
  /** Load runs this long before the outage starts. */
  leadInMs: number;
}

export interface ChaosSettings {
  mode: 'full' | 'ci';
  crash: CrashSettings;
  storeOutage: OutageSettings;
  databaseOutage: OutageSettings | null;
  race: { submissions: number };
  /** Share of purchases submitted again after their answer (duplicates). */
  repeatShare: number;
  /** Longest wait for acknowledgements to settle after a scenario. */
  convergeTimeoutMs: number;
}

export interface Harness {
  settings: ChaosSettings;
  instances: readonly ServerInstance[];
  /** Base URLs of all server instances (clients pick one per attempt). */
  urls(): string[];
  prisma: PrismaClient;
  databaseUrl: string;
  adminToken: string;
  huawei: { fake: FakeHuawei; proxy: FaultProxy };
  nowgg: { fake: FakeNowgg; proxy: FaultProxy };
  log(message: string): void;
}

/** One scenario's figures for the report. */
export interface ScenarioResult {
  name: string;
  passed: boolean;
  purchases: number;
  /** Successful answers to purchase submissions, first and repeated. */
  submissions: number;
  /** Every submission attempt, including the failed ones that were retried. */
  attempts: number;
  delivered: number;
  acknowledgeable: number;
  acknowledged: number;
  duplicates: number;
  lost: number;
  idempotentStoreRepeats: number;
  /** From the last disruption's end (restart, recovery) until every acknowledgement settled. */
  convergeSeconds: number | null;
  durationSeconds: number;
  details: Record<string, unknown>;
  problems: string[];
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

export const uniform = (min: number, max: number) => min + Math.random() * (max - min);

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export const seconds = (ms: number) => Math.round(ms / 100) / 10;
