import { parseSimpleMultipart } from './multipart-form';

describe(parseSimpleMultipart.name, () => {
  const body = (boundary: string, parts: string[]) =>
    Buffer.from(`${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`, 'utf8');

  it('reads the one-click field of an RFC 8058 multipart POST', () => {
    const raw = body('XyZ123', ['Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click']);
    expect(parseSimpleMultipart('multipart/form-data; boundary=XyZ123', raw)).toEqual({
      'List-Unsubscribe': 'One-Click',
    });
  });

  it('accepts a quoted boundary and skips file parts', () => {
    const raw = body('a b', [
      'Content-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\nfile',
      'Content-Disposition: form-data; name="action"\r\n\r\nwithdraw',
    ]);
    expect(parseSimpleMultipart('multipart/form-data; boundary="a b"', raw)).toEqual({ action: 'withdraw' });
  });

  it('returns undefined without a boundary or without parts', () => {
    expect(parseSimpleMultipart('multipart/form-data', Buffer.from('x'))).toBeUndefined();
    expect(
      parseSimpleMultipart('multipart/form-data; boundary=q', Buffer.from('List-Unsubscribe=One-Click')),
    ).toBeUndefined();
  });
});
