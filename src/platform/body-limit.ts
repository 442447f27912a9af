// Reading a request body without trusting its size: the declared Content-Length is
// checked before a byte is read, and the bytes are counted while they stream in, so a
// 200 MB upload (declared or chunked) costs at most the limit in memory, never the upload.

const DECIMAL = /^\d+$/;

/** The body's bytes, or 'too-large' as soon as it is known to exceed `maxBytes`. */
export async function readBodyWithLimit(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | 'too-large'> {
  const declared = request.headers.get('content-length');
  if (declared !== null && DECIMAL.test(declared) && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    return 'too-large';
  }
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return 'too-large';
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
