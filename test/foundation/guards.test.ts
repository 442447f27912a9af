// Guard rails at start-up: a master key other than the database's refuses to start (so
// secrets sealed with one key are never met with another), the embedded database is held
// by one process at a time (the CLI beside a running server says so), and `migrate
// status` names the pending migrations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { lockDataDir, masterKeyFingerprint, StartupRefusal } from '../../src/platform/guards.js';
import { runCli } from '../../src/cli.js';

describe('the master key fingerprint', () => {
  let first: TestApp;
  beforeAll(async () => {
    first = await createTestApp();
    await first.createTenant('sealed with the first key');
  });
  afterAll(() => first.close());

  const fingerprintRows = () =>
    first.database.db.prisma.$queryRaw<{ value: string }[]>`SELECT "value" FROM "InstanceSetting" WHERE "key" = 'masterKeyFingerprint'`;

  it('is recorded by the first instance, not the key itself', async () => {
    const rows = await fingerprintRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.value).toBe(masterKeyFingerprint(Buffer.from(first.env.ZERODROP_MASTER_KEY!, 'base64')));
    expect(rows[0]!.value).not.toContain(Buffer.from(first.env.ZERODROP_MASTER_KEY!, 'base64').toString('hex'));
  });

  it('another instance with the same key starts', async () => {
    const second = await createTestApp({}, { database: first.database });
    await second.close();
  });

  it('an instance with another key refuses to start, saying why', async () => {
    const other = randomBytes(32).toString('base64');
    const attempt = createTestApp({ ZERODROP_MASTER_KEY: other }, { database: first.database });
    await expect(attempt).rejects.toBeInstanceOf(StartupRefusal);
    await expect(attempt).rejects.toThrow(/The master key \(ZERODROP_MASTER_KEY\) does not match this database[\s\S]*Start every instance with the same ZERODROP_MASTER_KEY/);
    // nothing was recorded over the original
    expect((await fingerprintRows())[0]!.value).toBe(masterKeyFingerprint(Buffer.from(first.env.ZERODROP_MASTER_KEY!, 'base64')));
  });

  it('a database from before fingerprints is checked against a sealed secret', async () => {
    await first.database.db.prisma.$executeRaw`DELETE FROM "InstanceSetting"`;
    const attempt = createTestApp({ ZERODROP_MASTER_KEY: randomBytes(32).toString('base64') }, { database: first.database });
    await expect(attempt).rejects.toThrow(/does not match this database: its secrets were sealed with another key\./);
    expect(await fingerprintRows()).toEqual([]);
    const same = await createTestApp({}, { database: first.database });
    await same.close();
    expect(await fingerprintRows()).toHaveLength(1);
  });
});

describe('the embedded database lock', () => {
  const deadPid = (): number => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    return child.pid!;
  };

  it('lets one process hold a data directory; the CLI beside it refuses and says how to proceed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zd-lock-'));
    const release = lockDataDir(dataDir);
    try {
      const held = JSON.parse(readFileSync(join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number };
      expect(held.pid).toBe(process.pid);
      const refused = runCli(['apps:list'], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      await expect(refused).rejects.toBeInstanceOf(StartupRefusal);
      await expect(refused).rejects.toThrow(
        new RegExp(`open in another ZeroDrop process \\(pid ${process.pid},[\\s\\S]*Stop that process first[\\s\\S]*kill ${process.pid}[\\s\\S]*delete ${join(dataDir, 'pglite.lock')}`),
      );
      expect(() => lockDataDir(dataDir)).toThrow(StartupRefusal);
    } finally {
      release();
    }
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    lockDataDir(dataDir)(); // free again
  });

  it('takes over a lock whose process is gone, or that is unreadable', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zd-lock-'));
    const lockPath = join(dataDir, 'pglite.lock');
    // a lock from this host whose pid no longer runs (a crashed server)
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 'then', program: 'main.ts' }));
    const release = lockDataDir(dataDir);
    expect((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid).toBe(process.pid);
    release();

    writeFileSync(lockPath, '{"pid": 12');
    lockDataDir(dataDir)();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('does not take over a lock held on another host', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zd-lock-'));
    writeFileSync(join(dataDir, 'pglite.lock'), JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', startedAt: 'then', program: 'main.ts' }));
    expect(() => lockDataDir(dataDir)).toThrow(/pid \d+ on elsewhere\.example/);
  });
});
