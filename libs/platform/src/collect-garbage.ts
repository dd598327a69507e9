import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A large load (a snapshot, a million-row register) builds several times its result in short-lived objects (parsed
 * chunks, copies, buffers). One full collection right after it hands that memory back instead of keeping the heap at
 * its loading peak for the life of the process. `gc` is exposed to a throwaway context only, not to the
 * application's globals.
 */
export function collectGarbageOnce(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Not essential: V8 collects on its own schedule.
  }
}
