// Just enough DER to list a certificate's extension OIDs. node:crypto's X509Certificate
// does the real parsing and signature checks but exposes no generic extension access;
// @peculiar/x509 could, but it needs a global Reflect-metadata polyfill at import time.
// Callers pass DER that node:crypto has already parsed, so only bounds are checked here.

interface DerElement {
  tag: number;
  contentStart: number;
  end: number;
}

const TAG_SEQUENCE = 0x30;
const TAG_OBJECT_IDENTIFIER = 0x06;
/** tbsCertificate field `extensions [3] EXPLICIT`. */
const TAG_EXTENSIONS = 0xa3;

function readElement(der: Uint8Array, offset: number): DerElement {
  const tag = der[offset];
  const firstLengthByte = der[offset + 1];
  if (tag === undefined || firstLengthByte === undefined) throw new Error('DER element truncated');
  let cursor = offset + 2;
  let length = firstLengthByte;
  if (firstLengthByte >= 0x80) {
    const lengthBytes = firstLengthByte & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4) throw new Error('Unsupported DER length');
    length = 0;
    for (let index = 0; index < lengthBytes; index += 1) length = length * 256 + (der[cursor++] ?? Number.NaN);
  }
  const end = cursor + length;
  if (!Number.isFinite(end) || end > der.length) throw new Error('DER element overruns its container');
  return { tag, contentStart: cursor, end };
}

function childrenOf(der: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readElement(der, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

function decodeObjectIdentifier(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const [first = 0, ...rest] = arcs;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...rest].join('.');
}

/** Dotted OIDs of every extension in a DER X.509 certificate (empty when it has none). */
export function certificateExtensionOids(certificateDer: Uint8Array): string[] {
  const certificate = readElement(certificateDer, 0);
  const [tbsCertificate] = childrenOf(certificateDer, certificate);
  if (certificate.tag !== TAG_SEQUENCE || tbsCertificate?.tag !== TAG_SEQUENCE) throw new Error('Not a DER certificate');
  const extensionsField = childrenOf(certificateDer, tbsCertificate).find((field) => field.tag === TAG_EXTENSIONS);
  const [extensionList] = extensionsField === undefined ? [] : childrenOf(certificateDer, extensionsField);
  if (extensionList === undefined) return [];
  return childrenOf(certificateDer, extensionList).map((extension) => {
    const [identifier] = childrenOf(certificateDer, extension);
    if (identifier?.tag !== TAG_OBJECT_IDENTIFIER) throw new Error('Extension without an OID');
    return decodeObjectIdentifier(certificateDer.subarray(identifier.contentStart, identifier.end));
  });
}
