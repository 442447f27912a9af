// The one gate for requests this server makes to URLs a tenant chose: webhook endpoints,
// player-token JWKS URLs and store apiBaseUrl overrides. Without it a tenant could make
// the server call its own loopback, the cloud metadata address or the private network
// (request forgery) and read parts of the answers.
//
// Checked twice: the URL when it is saved and before each request (scheme, credentials,
// host spelling), and every address the host name resolves to at connect time, through
// the dispatcher's DNS lookup — so a name that resolved to a public address when checked
// and to 127.0.0.1 a second later (DNS rebinding) is still refused. Redirects are never
// followed: a public receiver answering 307 → http://10.0.0.1/ would otherwise bypass both.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit, type Response as UndiciResponse } from 'undici';

export interface OutboundPolicy {
  /** Loopback, private, link-local and other non-public addresses allowed (development, tests). */
  allowPrivate: boolean;
  /** Only https URLs (everywhere but development and tests). */
  requireHttps: boolean;
}

/** A target refused by the policy. `reason` is fixed text, safe to show to a tenant. */
export class OutboundTargetError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OutboundTargetError';
  }
}

/**
 * Whether an IP address is one a tenant may reach: only global unicast. Everything
 * ipaddr.js classifies otherwise is refused — loopback, private (10/8, 172.16/12,
 * 192.168/16), link-local (169.254/16 with the metadata service, fe80::/10), CGNAT
 * (100.64/10), unique-local (fc00::/7), multicast, broadcast, unspecified, reserved, and
 * IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64), whose IPv4 part
 * could be any of those. `process` first turns ::ffff:a.b.c.d into a.b.c.d.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

/** Names that mean this machine whatever DNS says (RFC 6761), with or without trailing dots. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === '' || name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

export class OutboundGuard {
  readonly policy: OutboundPolicy;
  readonly #agent: Agent;

  constructor(policy: OutboundPolicy) {
    this.policy = policy;
    this.#agent = new Agent({
      connect: { lookup: this.#lookup },
      // Tenant receivers are many and mostly idle: keep few sockets, not one pool per origin forever.
      keepAliveTimeout: 4_000,
      connections: 16,
    });
  }

  /**
   * The URL parsed, or OutboundTargetError saying why it may not be called. Host
   * spellings are already canonical here: the WHATWG URL parser turns 2130706433,
   * 0x7f.1, 017700000001 and 127.1 into 127.0.0.1, and IPv6 into its short form.
   */
  check(value: string | URL): URL {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new OutboundTargetError('not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundTargetError('must be an http(s) URL');
    if (this.policy.requireHttps && url.protocol !== 'https:') throw new OutboundTargetError('must be an https URL');
    if (url.username || url.password) throw new OutboundTargetError('must not contain credentials');
    if (this.policy.allowPrivate) return url;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      if (!isPublicAddress(host)) throw new OutboundTargetError('must not point to a private, loopback or reserved address');
    } else if (isLocalName(host)) {
      throw new OutboundTargetError('must not point to this machine');
    }
    return url;
  }

  /** The refusal reason for a URL a tenant is saving, or null when it is acceptable. */
  problem(value: string): string | null {
    try {
      this.check(value);
      return null;
    } catch (err) {
      if (err instanceof OutboundTargetError) return err.reason;
      throw err;
    }
  }

  /**
   * fetch through the guard: the URL is checked, every resolved address is checked at
   * connect time, and redirects come back as the 3xx answer (never followed).
   */
  fetch(url: string | URL, init: Omit<UndiciRequestInit, 'dispatcher' | 'redirect'> = {}): Promise<UndiciResponse> {
    const checked = this.check(url);
    return undiciFetch(checked, { ...init, redirect: 'manual', dispatcher: this.#agent });
  }

  /** A fetch-compatible function (for libraries that take one, like jose's JWKS loader). */
  get fetchFunction(): (url: string, init: RequestInit) => Promise<Response> {
    return async (url, init) => {
      const { redirect: _ignored, ...rest } = init;
      return (await this.fetch(url, rest as Omit<UndiciRequestInit, 'dispatcher' | 'redirect'>)) as unknown as Response;
    };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  /** dns.lookup with every answer checked; one refused address refuses the name. */
  readonly #lookup = (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (!this.policy.allowPrivate && isLocalName(hostname)) {
      callback(refusedAtConnect(hostname), []);
      return;
    }
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!this.policy.allowPrivate && addresses.some((entry) => !isPublicAddress(entry.address))) {
        return callback(refusedAtConnect(hostname), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

function refusedAtConnect(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new OutboundTargetError(`${hostname} resolves to a private, loopback or reserved address`);
  err.code = 'EOUTBOUNDREFUSED';
  return err;
}

/** Whether a failed outbound request was refused by this guard (directly or at connect time). */
export function isOutboundRefusal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof OutboundTargetError || (e as NodeJS.ErrnoException).code === 'EOUTBOUNDREFUSED') return true;
  }
  return false;
}

/** A zod schema for a URL a tenant saves for us to call: refused with the guard's reason. */
export function outboundUrlSchema(guard: OutboundGuard) {
  return z
    .string()
    .trim()
    .max(2000)
    .superRefine((value, ctx) => {
      const problem = guard.problem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/**
 * The policy from configuration: private targets only when the operator allows them;
 * https only in production, unless private targets are allowed (a test rig's local
 * fakes speak plain http).
 */
export function outboundPolicyFrom(env: { NODE_ENV: string; OUTBOUND_ALLOW_PRIVATE: boolean }): OutboundPolicy {
  return { allowPrivate: env.OUTBOUND_ALLOW_PRIVATE, requireHttps: env.NODE_ENV === 'production' && !env.OUTBOUND_ALLOW_PRIVATE };
}

let strict: OutboundGuard | undefined;

/** Used where no guard was handed in (a store account built outside the server): public https only. */
export function strictOutbound(): OutboundGuard {
  return (strict ??= new OutboundGuard({ allowPrivate: false, requireHttps: true }));
}
