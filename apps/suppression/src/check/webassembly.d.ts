/**
 * The part of the WebAssembly JavaScript API that FastIdentifierHasher uses. Node has it as a global, but its
 * types ship with TypeScript's DOM library, which a server build should not load.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
