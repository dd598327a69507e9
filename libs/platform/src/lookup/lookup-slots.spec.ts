import { LookupSlots, LookupSlotStore, slotId } from './lookup-slots';

/** An in-memory slot store with the same insert-if-absent semantics as a unique `_id`. */
class MemorySlots implements LookupSlotStore {
  readonly docs = new Map<string, string | null>();
  reads = 0;
  read(ids: readonly string[]): Promise<(string | null | undefined)[]> {
    this.reads++;
    return Promise.resolve(ids.map((id) => this.docs.get(id)));
  }
  insert(slots: readonly { id: string; customerId: string }[]): Promise<boolean[]> {
    return Promise.resolve(
      slots.map(({ id, customerId }) => {
        if (this.docs.has(id)) return false;
        this.docs.set(id, customerId);
        return true;
      }),
    );
  }
  vacate(id: string): Promise<void> {
    if (this.docs.has(id)) this.docs.set(id, null);
    return Promise.resolve();
  }
}

describe(LookupSlots.name, () => {
  it('finds nobody for an unknown key, and each holder once in the order they were added', async () => {
    const store = new MemorySlots();
    const slots = new LookupSlots(store);
    expect(await slots.holders('email:h')).toEqual([]);
    await slots.ensure('email:h', 'a');
    await slots.ensure('email:h', 'b');
    await slots.ensure('email:h', 'a');
    expect(await slots.holders('email:h')).toEqual(['a', 'b']);
    expect([...store.docs.keys()]).toEqual([slotId('email:h', 0), slotId('email:h', 1)]);
  });

  it('keeps later slots reachable after an earlier one is vacated, and never reuses a vacated slot', async () => {
    const store = new MemorySlots();
    const slots = new LookupSlots(store);
    for (const id of ['a', 'b', 'c']) await slots.ensure('phone:h', id);
    await slots.release('phone:h', 'a');
    expect(await slots.holders('phone:h')).toEqual(['b', 'c']);
    await slots.ensure('phone:h', 'a');
    expect(await slots.holders('phone:h')).toEqual(['b', 'c', 'a']);
    expect(store.docs.get(slotId('phone:h', 0))).toBeNull();
    expect(store.docs.get(slotId('phone:h', 3))).toBe('a');
  });

  it('gives two concurrent writers of one key a slot each', async () => {
    const store = new MemorySlots();
    const slots = new LookupSlots(store);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => slots.ensure('email:x', id)));
    expect((await slots.holders('email:x')).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(store.docs.size).toBe(4);
  });

  it('reads a key with one holder in one read of the store', async () => {
    const store = new MemorySlots();
    const slots = new LookupSlots(store);
    await slots.ensure('email:h', 'a');
    store.reads = 0;
    await slots.holders('email:h');
    expect(store.reads).toBe(1);
  });

  it('keys are independent', async () => {
    const slots = new LookupSlots(new MemorySlots());
    await slots.ensure('email:h', 'a');
    await slots.release('phone:h', 'a');
    expect(await slots.holders('email:h')).toEqual(['a']);
    expect(await slots.holders('email:h2')).toEqual([]);
  });

  it('ensureMany gives a new key slot 0 without reading, and a taken key the next free slot, each pair once', async () => {
    const store = new MemorySlots();
    const slots = new LookupSlots(store);
    await slots.ensure('email:h', 'a');
    store.reads = 0;
    await slots.ensureMany([
      { key: 'email:new', customerId: 'b' },
      { key: 'email:h', customerId: 'b' },
      { key: 'email:h', customerId: 'a' },
      { key: 'email:new', customerId: 'b' },
    ]);
    expect(await slots.holders('email:new')).toEqual(['b']);
    expect(await slots.holders('email:h')).toEqual(['a', 'b']);
    expect([...store.docs.keys()].sort()).toEqual([slotId('email:h', 0), slotId('email:h', 1), slotId('email:new', 0)]);
  });
});
