import { createHmac } from 'node:crypto';
import { IdentifierHasher } from '../crypto/identifier-hasher';
import { readSubjects } from './personal-data-read';

describe(readSubjects.name, () => {
  const hasher = new IdentifierHasher('unit-test-hash-key-0123456789');
  const customerId = '6f0b9c2e-1d7a-4c1e-9a57-2b8f0a4d7c11';

  it('names the customer of a path parameter', () => {
    expect(readSubjects({ param: 'id' }, { params: { id: customerId } }, {}, hasher)).toEqual([customerId]);
  });

  it('names a lookup by customer id, or by the keyed hash of the identifier and never the identifier', () => {
    expect(readSubjects({ lookup: true }, { query: { customerId } }, {}, hasher)).toEqual([customerId]);
    const [subject] = readSubjects({ lookup: true }, { query: { email: ' Pekka@Example.FI ' } }, {}, hasher);
    const expected = createHmac('sha256', 'unit-test-hash-key-0123456789').update('pekka@example.fi').digest('hex');
    expect(subject).toBe(`email:${expected}`);
    expect(readSubjects({ lookup: true }, { query: { phone: '040 1234567' } }, {}, hasher)[0]).toMatch(
      /^phone:[0-9a-f]{64}$/,
    );
  });

  it('names the customers found in an answer: a list, a page of items, one object; each once', () => {
    const list = [{ id: 'a-1' }, { id: 'a-2' }, { id: 'a-1' }];
    expect(readSubjects({ result: true }, {}, list, hasher)).toEqual(['a-1', 'a-2']);
    expect(readSubjects({ result: true }, {}, { items: [{ customerId: 'b-1' }], next: null }, hasher)).toEqual(['b-1']);
    expect(readSubjects({ result: true }, {}, [], hasher)).toEqual([]);
  });

  it('records nothing that is not an id (an address in a path parameter stays out)', () => {
    expect(readSubjects({ param: 'id' }, { params: { id: 'someone@example.fi' } }, {}, hasher)).toEqual([]);
    expect(readSubjects({ lookup: true }, { query: { email: 'not an address' } }, {}, hasher)).toEqual([]);
  });
});
