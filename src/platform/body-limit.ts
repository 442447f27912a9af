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
  if (declared !== null && DECIMAL.test(declared)) {
    // Node's HTTP parser never delivers more than the declared length, so the whole body
    // is read at once (cheaper than a reader loop for small bodies); checked again anyway.
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > maxBytes ? 'too-large' : bytes;
  }
  // Chunked (or no usable length): read in pieces and stop at the limit.
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
