/**
 * The WebAssembly text of the check path's HMAC-SHA256 (FastIdentifierHasher), built here so that the 64 rounds of
 * the SHA-256 compression (FIPS 180-4 §6.2.2) are written out with the round constants inline and the schedule and
 * working variables in locals — the unrolled form runs a keyed hash in about half the time of a JavaScript loop.
 * The binary the service loads is hmac-sha256.wasm.ts, generated from this text by
 * `npm run generate:wasm` (wabt); its spec checks that the two agree.
 *
 * Memory (one 64 KiB page, grown by the caller for longer messages):
 *   0..256    round constants K (little-endian words)       256..288  inner start state (key block ^ 0x36)
 *   288..320  outer start state (key block ^ 0x5c)           320..352  state; the digest after `hmac`
 *   352..384  initial hash value H(0)                         640..704  scratch block
 *   1024..    the message (`hmac`) or the 64-byte key block (`keyStates`)
 */
export const MESSAGE_OFFSET = 1024;
export const DIGEST_OFFSET = 320;

// prettier-ignore
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const get = (name: string) => `(local.get $${name})`;
const i32 = (value: number) => `(i32.const ${value | 0})`;
const rotr = (x: string, n: number) => `(i32.rotr ${x} ${i32(n)})`;
const xor = (...terms: string[]) => terms.reduce((sum, term) => `(i32.xor ${sum} ${term})`);
const add = (...terms: string[]) => terms.reduce((sum, term) => `(i32.add ${sum} ${term})`);
/** A big-endian word read as little-endian, turned round. */
const bswap = (x: string) =>
  `(i32.or (i32.and ${rotr(x, 8)} ${i32(0xff00ff00)}) (i32.and (i32.rotl ${x} ${i32(8)}) ${i32(0x00ff00ff)}))`;
const littleEndianBytes = (words: number[]) =>
  words.map((w) => [0, 8, 16, 24].map((s) => `\\${((w >>> s) & 255).toString(16).padStart(2, '0')}`).join('')).join('');

/** state ← compress(state, the 64 big-endian bytes at $m), every round written out. */
function compress(): string {
  const body: string[] = [];
  for (let i = 0; i < 16; i++) body.push(`(local.set $w${i} ${bswap(`(i32.load offset=${4 * i} ${get('m')})`)})`);
  for (let i = 16; i < 64; i++) {
    const x = get(`w${i - 15}`);
    const y = get(`w${i - 2}`);
    const s0 = xor(rotr(x, 7), rotr(x, 18), `(i32.shr_u ${x} ${i32(3)})`);
    const s1 = xor(rotr(y, 17), rotr(y, 19), `(i32.shr_u ${y} ${i32(10)})`);
    body.push(`(local.set $w${i} ${add(get(`w${i - 16}`), s0, get(`w${i - 7}`), s1)})`);
  }
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  names.forEach((name, j) => body.push(`(local.set $${name} (i32.load offset=${320 + 4 * j} (i32.const 0)))`));
  // Instead of shifting a..h each round, the names rotate: the round's new e lands in d's local, its new a in h's.
  let v = [...names];
  for (let i = 0; i < 64; i++) {
    const [a, b, c, d, e, f, g, h] = v;
    const sigma1 = xor(rotr(get(e), 6), rotr(get(e), 11), rotr(get(e), 25));
    const choose = xor(get(g), `(i32.and ${get(e)} ${xor(get(f), get(g))})`);
    body.push(`(local.set $t1 ${add(get(h), sigma1, choose, i32(K[i]), get(`w${i}`))})`);
    const sigma0 = xor(rotr(get(a), 2), rotr(get(a), 13), rotr(get(a), 22));
    const majority = `(i32.or (i32.and ${get(a)} ${get(b)}) (i32.and ${get(c)} (i32.or ${get(a)} ${get(b)})))`;
    body.push(`(local.set $${d} ${add(get(d), get('t1'))})`);
    body.push(`(local.set $${h} ${add(get('t1'), sigma0, majority)})`);
    v = [h, a, b, c, d, e, f, g];
  }
  v.forEach((name, j) =>
    body.push(
      `(i32.store offset=${320 + 4 * j} (i32.const 0) ${add(`(i32.load offset=${320 + 4 * j} (i32.const 0))`, get(name))})`,
    ),
  );
  const locals = [...names, 't1', ...Array.from({ length: 64 }, (_, i) => `w${i}`)];
  return `(func $compress (param $m i32) ${locals.map((l) => `(local $${l} i32)`).join(' ')}\n    ${body.join('\n    ')})`;
}

export function hmacSha256Wat(): string {
  return `(module
  (memory (export "memory") 1)
  (data (i32.const 0) "${littleEndianBytes(K)}")
  (data (i32.const 352) "${littleEndianBytes(H0)}")
  ${compress()}
  ;; 64 bytes at 640 <- the key block at 1024, each byte xor $pad
  (func $padKey (param $pad i32) (local $i i32)
    (loop $bytes
      (i32.store offset=640 (local.get $i) (i32.xor (i32.load offset=1024 (local.get $i)) (local.get $pad)))
      (br_if $bytes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 64)))))
  ;; The start states after the inner and outer key blocks, from the 64-byte key block at 1024.
  (func (export "keyStates")
    (call $padKey (i32.const 0x36363636))
    (memory.copy (i32.const 320) (i32.const 352) (i32.const 32))
    (call $compress (i32.const 640))
    (memory.copy (i32.const 256) (i32.const 320) (i32.const 32))
    (call $padKey (i32.const 0x5c5c5c5c))
    (memory.copy (i32.const 320) (i32.const 352) (i32.const 32))
    (call $compress (i32.const 640))
    (memory.copy (i32.const 288) (i32.const 320) (i32.const 32)))
  ;; HMAC-SHA256 of the $n bytes at 1024 (padded in place): the digest as native-order words at 320.
  (func (export "hmac") (param $n i32) (local $end i32) (local $p i32) (local $i i32)
    (local.set $end (i32.add (i32.const 1024)
      (i32.shl (i32.add (i32.shr_u (i32.add (local.get $n) (i32.const 8)) (i32.const 6)) (i32.const 1)) (i32.const 6))))
    (i32.store8 offset=1024 (local.get $n) (i32.const 0x80))
    (memory.fill (i32.add (i32.const 1025) (local.get $n)) (i32.const 0)
      (i32.sub (i32.sub (local.get $end) (i32.const 1025)) (local.get $n)))
    ;; bit length of key block + message (< 2^32 for any message this memory holds)
    (i32.store (i32.sub (local.get $end) (i32.const 4))
      ${bswap('(i32.shl (i32.add (local.get $n) (i32.const 64)) (i32.const 3))')})
    (memory.copy (i32.const 320) (i32.const 256) (i32.const 32))
    (local.set $p (i32.const 1024))
    (loop $blocks
      (call $compress (local.get $p))
      (br_if $blocks (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (local.get $end))))
    ;; outer block: the inner digest big-endian, 0x80, zeros, bit length (64 + 32) * 8
    (loop $digest
      (i32.store offset=640 (local.get $i) ${bswap('(i32.load offset=320 (local.get $i))')})
      (br_if $digest (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 32))))
    (i32.store offset=672 (i32.const 0) (i32.const 0x80))
    (memory.fill (i32.const 676) (i32.const 0) (i32.const 24))
    (i32.store offset=700 (i32.const 0) (i32.const 0x00030000))
    (memory.copy (i32.const 320) (i32.const 288) (i32.const 32))
    (call $compress (i32.const 640)))
)
`;
}

/** The binary of hmacSha256Wat(), compiled by wabt (a development dependency: only the generator and its spec load it). */
export async function compileHmacSha256(): Promise<Uint8Array> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wabt = await (require('wabt') as typeof import('wabt'))();
  const module = wabt.parseWat('hmac-sha256.wat', hmacSha256Wat(), { bulk_memory: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** `npm run generate:wasm`: writes hmac-sha256.wasm.ts. */
async function writeModule(): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const binary = Buffer.from(await compileHmacSha256()).toString('base64');
  const lines = binary.match(/.{1,110}/g) ?? [];
  writeFileSync(
    join(__dirname, 'hmac-sha256.wasm.ts'),
    '// Generated by `npm run generate:wasm` from hmac-sha256.wat.ts — do not edit.\n' +
      `export const HMAC_SHA256_WASM =\n${lines.map((l) => `  '${l}'`).join(' +\n')};\n`,
  );
}

if (require.main === module) void writeModule();
