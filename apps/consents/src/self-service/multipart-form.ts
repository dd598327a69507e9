/**
 * Reads the text fields of a small multipart/form-data body. RFC 8058 lets a mail provider send its one-click
 * POST (`List-Unsubscribe=One-Click`) as multipart; that is the only use, so files are ignored and the body is
 * capped small by the route's parser. Returns undefined when the body is not multipart at all.
 */
export function parseSimpleMultipart(contentType: string, body: Buffer): Record<string, string> | undefined {
  const match = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (!match) return undefined;
  const delimiter = `--${match[1] ?? match[2]}`;
  const parts = body.toString('utf8').split(delimiter);
  if (parts.length < 3) return undefined;
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined || /filename\*?=/i.test(headers)) continue;
    const value = part.slice(headerEnd + 4);
    fields.set(name, value.endsWith('\r\n') ? value.slice(0, -2) : value);
  }
  return Object.fromEntries(fields);
}
