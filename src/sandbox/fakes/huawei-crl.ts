// CRL distribution points of the fake Huawei PKI over real HTTP, as Huawei's CAs publish
// them (DER over plain HTTP, signed by the issuing CA, thisUpdate/nextUpdate). Each CA's CRL
// is signed afresh per request from its current revocations; faults make a CRL unreachable,
// slow, garbled, signed by the wrong key or out of date.
import 'reflect-metadata'; // tsyringe (inside @peculiar/x509) needs the Reflect metadata API
import { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509CrlGenerator, X509CrlReason, type X509Certificate } from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
const DAY_MS = 24 * 60 * 60 * 1000;

export type CrlFault = 'reset' | 'http-500' | 'hang' | 'garbage' | 'wrong-signer' | 'expired';

/** A CA that publishes a CRL: its certificate, private key and signature hash. */
export interface CrlIssuer {
  certificate: X509Certificate;
  privateKey: CryptoKey;
  hash: 'SHA-256' | 'SHA-384';
}

interface DistributionPoint {
  issuer: CrlIssuer;
  revoked: Map<string, Date>;
  fault: CrlFault | null;
  fetches: number;
  thisUpdate: () => Date;
  nextUpdate: () => Date;
}

export class FakeCrlServer {
  readonly #points = new Map<string, DistributionPoint>();
  readonly #server = createServer((request, response) => {
    const name = /^\/crl\/([\w-]+)\.crl$/.exec(new URL(request.url ?? '/', 'http://fake').pathname)?.[1];
    const point = name === undefined ? undefined : this.#points.get(name);
    if (point === undefined || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    point.fetches += 1;
    void this.#answer(point, request.socket.destroy.bind(request.socket), (status, body) =>
      response.writeHead(status, { 'content-type': 'application/pkix-crl' }).end(body),
    );
  });
  #baseUrl: string | null = null;

  static async start(): Promise<FakeCrlServer> {
    const server = new FakeCrlServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.#baseUrl = `http://127.0.0.1:${(server.#server.address() as AddressInfo).port}`;
    return server;
  }

  /** Where the CRL named `name` is published (the URL a certificate's CRL distribution point names). */
  url(name: string): string {
    if (this.#baseUrl === null) throw new Error('FakeCrlServer is not listening');
    return `${this.#baseUrl}/crl/${name}.crl`;
  }

  /** Publishes an (empty) CRL for `issuer` under `name`; by default issued a minute ago, next update in 7 days. */
  publish(name: string, issuer: CrlIssuer): void {
    this.#points.set(name, {
      issuer,
      revoked: new Map(),
      fault: null,
      fetches: 0,
      thisUpdate: () => new Date(Date.now() - 60_000),
      nextUpdate: () => new Date(Date.now() + 7 * DAY_MS),
    });
  }

  /** Lists a serial (hex, as @peculiar/x509 prints it) on the CRL `name`. */
  revoke(name: string, serialNumber: string, at = new Date()): void {
    this.#point(name).revoked.set(serialNumber, at);
  }

  /** From now on, requests for `name` fail this way (null: answer normally again). */
  fail(name: string, fault: CrlFault | null): void {
    this.#point(name).fault = fault;
  }

  /** Validity stamped into the CRL `name` from now on (absolute dates, e.g. for a test clock). */
  setValidity(name: string, validity: { thisUpdate: Date; nextUpdate: Date }): void {
    const point = this.#point(name);
    point.thisUpdate = () => validity.thisUpdate;
    point.nextUpdate = () => validity.nextUpdate;
  }

  /** Requests that reached the CRL `name` (including failed ones). */
  fetches(name: string): number {
    return this.#point(name).fetches;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #point(name: string): DistributionPoint {
    const point = this.#points.get(name);
    if (point === undefined) throw new Error(`FakeCrlServer: no CRL named ${name}`);
    return point;
  }

  async #answer(point: DistributionPoint, reset: () => void, send: (status: number, body: Uint8Array | string) => void): Promise<void> {
    switch (point.fault) {
      case 'reset':
        reset();
        return;
      case 'hang':
        return;
      case 'http-500':
        send(500, 'fault injected');
        return;
      case 'garbage':
        send(200, 'this is not a CRL');
        return;
      default:
        send(200, await this.#sign(point));
    }
  }

  async #sign(point: DistributionPoint): Promise<Uint8Array> {
    const { issuer } = point;
    let signingKey = issuer.privateKey;
    if (point.fault === 'wrong-signer') {
      const curve = issuer.hash === 'SHA-384' ? 'P-384' : 'P-256';
      signingKey = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, false, ['sign', 'verify'])).privateKey;
    }
    const expired = point.fault === 'expired';
    const crl = await X509CrlGenerator.create(
      {
        issuer: issuer.certificate.subject,
        thisUpdate: expired ? new Date(Date.now() - 10 * DAY_MS) : point.thisUpdate(),
        nextUpdate: expired ? new Date(Date.now() - DAY_MS) : point.nextUpdate(),
        entries: [...point.revoked].map(([serialNumber, revocationDate]) => ({
          serialNumber,
          revocationDate,
          reason: X509CrlReason.keyCompromise,
        })),
        signingKey,
        signingAlgorithm: { name: 'ECDSA', hash: issuer.hash } as EcdsaParams,
      },
      crypto,
    );
    return new Uint8Array(crl.rawData);
  }
}
