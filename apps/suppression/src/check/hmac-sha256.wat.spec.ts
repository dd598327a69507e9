import { HMAC_SHA256_WASM } from './hmac-sha256.wasm';
import { compileHmacSha256 } from './hmac-sha256.wat';

describe('hmac-sha256.wasm.ts', () => {
  it('is the binary of hmac-sha256.wat.ts (run `npm run generate:wasm` after changing the text)', async () => {
    expect(Buffer.from(await compileHmacSha256()).toString('base64')).toBe(HMAC_SHA256_WASM);
  });
});
