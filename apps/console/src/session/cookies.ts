/** The session cookie: `__Host-` and `Secure` on https (the prefix needs both), plain on loopback development. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-kielto-console' : 'kielto-console';
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs), Secure outside loopback. */
export function sessionCookie(name: string, value: string, secure: boolean, maxAgeS?: number): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
    ...(maxAgeS !== undefined ? [`Max-Age=${maxAgeS}`] : []),
  ].join('; ');
}

/** Whether a host name is this machine's (cookies may then go without Secure: browsers treat it as secure). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}
