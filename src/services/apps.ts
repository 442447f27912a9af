// Tenants and their credentials: apps, API keys, player-token settings.
import { z } from 'zod';
import type { PrismaClient } from '../platform/db.js';
import type { ApiKey, App } from '../generated/prisma/client.js';
import { generateApiKey, type Authenticator } from '../auth.js';
import { randomToken, type SecretBox } from '../platform/crypto.js';
import { NotFoundError } from '../platform/errors.js';
import { parseInput, rowId } from './validation.js';
import { outboundUrlSchema, type OutboundGuard } from '../platform/outbound-url.js';

const appNameSchema = z.string().trim().min(1).max(100);

export interface CreatedApp {
  app: App;
  serverKey: string;
  clientKey: string;
}

export class AppsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly box: SecretBox,
    private readonly auth: Authenticator,
    private readonly outbound: OutboundGuard,
  ) {}

  /** Creates an app with one server key and one client key; the keys are shown only here. */
  async createApp(input: { name: string; rateLimitPerMinute?: number | null | undefined }, defaultRateLimit: number): Promise<CreatedApp> {
    const { name, rateLimitPerMinute } = parseInput(
      z.object({ name: appNameSchema, rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullish() }),
      input,
      'app',
    );
    const server = generateApiKey('SERVER');
    const client = generateApiKey('CLIENT');
    const app = await this.prisma.app.create({
      data: {
        name,
        playerTokenSecret: this.box.seal(randomToken(32)),
        rateLimitPerMinute: rateLimitPerMinute ?? defaultRateLimit,
        apiKeys: {
          create: [
            { role: 'SERVER', name: 'default server key', prefix: server.prefix, hash: server.hash },
            { role: 'CLIENT', name: 'default client key', prefix: client.prefix, hash: client.hash },
          ],
        },
      },
    });
    return { app, serverKey: server.key, clientKey: client.key };
  }

  async createApiKey(appId: string, input: { role: 'SERVER' | 'CLIENT'; name: string }): Promise<{ apiKey: ApiKey; secret: string }> {
    const { name, role } = parseInput(
      z.object({ name: z.string().trim().min(1).max(100), role: z.enum(['SERVER', 'CLIENT']) }),
      input,
      'API key',
    );
    // the CLI passes any --app; a missing app deserves a clear answer, not a foreign-key error
    const app = await this.prisma.app.findUnique({ where: { id: rowId(appId) }, select: { id: true } });
    if (!app) throw new NotFoundError('App');
    const generated = generateApiKey(role);
    const apiKey = await this.prisma.apiKey.create({
      data: { appId, role, name, prefix: generated.prefix, hash: generated.hash },
    });
    return { apiKey, secret: generated.key };
  }

  async revokeApiKey(appId: string, keyId: string): Promise<ApiKey> {
    const key = await this.prisma.apiKey.findFirst({ where: { id: rowId(keyId), appId } });
    if (!key) throw new NotFoundError('API key');
    const revoked = key.revokedAt
      ? key
      : await this.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    this.auth.forgetKey(key.hash);
    return revoked;
  }

  async updatePlayerTokenSettings(
    appId: string,
    input: { hmacSecret?: string | null | undefined; jwksUrl?: string | null | undefined },
  ): Promise<App> {
    const parsed = parseInput(
      z.object({
        hmacSecret: z.string().min(32, 'must be at least 32 characters').nullish(),
        jwksUrl: outboundUrlSchema(this.outbound).nullish(),
      }),
      input,
      'player token settings',
    );
    return this.prisma.app.update({
      where: { id: appId },
      data: {
        ...(parsed.hmacSecret !== undefined
          ? { playerTokenHmacKey: parsed.hmacSecret === null ? null : this.box.seal(parsed.hmacSecret) }
          : {}),
        ...(parsed.jwksUrl !== undefined ? { playerTokenJwksUrl: parsed.jwksUrl } : {}),
      },
    });
  }
}
