// Start-up guard rails: refuse, with a message saying what to do, instead of running in a
// state that fails later — a master key other than the one the database's secrets were
// sealed with, or a second process on an embedded database another process holds.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SecretBox } from './crypto.js';

/** A refusal to start: the message is for the operator as it stands (no stack trace). */
export class StartupRefusal extends Error {
  override name = 'StartupRefusal';
}

const FINGERPRINT_KEY = 'masterKeyFingerprint';

/** An HMAC of a fixed label under the key: identifies the key without revealing it. */
export function masterKeyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('zerodrop master key fingerprint v1').digest('hex');
}

const text = { scalarType: 'string', arity: 'scalar' } as const;

/**
 * Records the master key's fingerprint on first start and compares it on every later one.
 * A database from before fingerprints is checked by opening one sealed app secret with
 * the key. Throws StartupRefusal on a mismatch; 'unchecked' when the database cannot say
 * (down, or not migrated yet: /ready reports that, and the next start checks).
 */
export async function checkMasterKey(
  factory: SqlMigrationAwareDriverAdapterFactory,
  key: Buffer,
  box: SecretBox,
  keySource: string,
): Promise<'recorded' | 'matched' | 'unchecked'> {
  const mine = masterKeyFingerprint(key);
  const refuse = (theirs: string | null) =>
    new StartupRefusal(
      [
        `The master key (${keySource}) does not match this database: its secrets were sealed with another key` +
          (theirs ? ` (database key fingerprint ${theirs.slice(0, 12)}…, this instance's ${mine.slice(0, 12)}…).` : '.'),
        'Refusing to start: with the wrong key every store account and webhook secret fails to open.',
        'Start every instance with the same ZERODROP_MASTER_KEY (the one the first instance used: set explicitly, or',
        "generated into that instance's DATA_DIR/master.key).",
      ].join('\n'),
    );
  let adapter;
  try {
    adapter = await factory.connect();
  } catch {
    return 'unchecked';
  }
  try {
    const read = async (): Promise<string | null> => {
      const result = await adapter.queryRaw({ sql: `SELECT "value" FROM "InstanceSetting" WHERE "key" = $1`, args: [FINGERPRINT_KEY], argTypes: [text] });
      const value = result.rows[0]?.[0];
      return typeof value === 'string' ? value : null;
    };
    let stored: string | null;
    try {
      stored = await read();
    } catch {
      return 'unchecked'; // no table yet (MIGRATE_ON_START=false on a new database) or no database
    }
    if (stored === null) {
      const sealed = await adapter.queryRaw({ sql: `SELECT "playerTokenSecret" FROM "App" LIMIT 1`, args: [], argTypes: [] });
      const sample = sealed.rows[0]?.[0];
      if (typeof sample === 'string') {
        try {
          box.open(sample);
        } catch {
          throw refuse(null);
        }
      }
      await adapter.executeRaw({
        sql: `INSERT INTO "InstanceSetting" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING`,
        args: [FINGERPRINT_KEY, mine],
        argTypes: [text, text],
      });
      // Another instance may have recorded its own key first.
      stored = await read();
      if (stored === mine) return 'recorded';
    }
    if (stored === null || stored.length !== mine.length || !timingSafeEqual(Buffer.from(stored), Buffer.from(mine))) throw refuse(stored);
    return 'matched';
  } finally {
    await adapter.dispose();
  }
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  program: string;
}

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dataDir>/pglite.lock` for this process: PGlite is single-process, and a second
 * opener (the CLI beside a running server) would corrupt it or read a stale copy. A lock
 * whose process is gone (a crash) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'pglite.lock');
  const mine: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), program: basename(process.argv[1] ?? 'node') };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine) + '\n', { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
          if (held.pid === mine.pid && held.startedAt === mine.startedAt) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let held: LockInfo | null = null;
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    } catch {
      held = null; // unreadable or half-written: treat as stale
    }
    const stale = !held || typeof held.pid !== 'number' || (held.host === mine.host && !processRuns(held.pid));
    if (!stale) {
      throw new StartupRefusal(
        [
          `The embedded database in ${dataDir} is open in another ZeroDrop process (pid ${held!.pid}${held!.host === mine.host ? '' : ` on ${held!.host}`}, ` +
            `${held!.program}, since ${held!.startedAt}). PGlite allows one process at a time.`,
          `Stop that process first (Ctrl-C in its terminal, or kill ${held!.pid}) and run this again; with the server running,`,
          'use its GraphQL API instead (e.g. createApp with ZERODROP_ADMIN_TOKEN, createApiKey with a server key).',
          `If no such process runs, delete ${path}.`,
        ].join('\n'),
      );
    }
    try {
      unlinkSync(path); // the holder is gone: take over
    } catch {
      // someone else removed it first; retry the exclusive create
    }
  }
  throw new StartupRefusal(`Could not take ${path}: another process keeps creating it`);
}
