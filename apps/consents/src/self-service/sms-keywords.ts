/** What an inbound SMS asks for. Finnish and English keywords; anything else is acknowledged and ignored. */
export type SmsKeyword = 'stop' | 'start' | 'unknown';

const STOP_WORDS = new Set(['STOP', 'SEIS', 'LOPETA']);
const START_WORDS = new Set(['START']);

/** The keyword of a message: the whole text, in any case, trimmed (a trailing "." or "!" is forgiven). */
export function smsKeyword(text: string): SmsKeyword {
  const word = text
    .trim()
    .replace(/[.!]+$/, '')
    .toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  return 'unknown';
}
