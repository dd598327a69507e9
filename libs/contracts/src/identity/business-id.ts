/** Finnish business ID (Y-tunnus): seven digits, a hyphen and a modulo-11 check digit. */
const BUSINESS_ID_PATTERN = /^(\d{7})-(\d)$/;

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2] as const;

export function isValidBusinessId(id: string): boolean {
  if (typeof id !== 'string') return false;
  const match = BUSINESS_ID_PATTERN.exec(id);
  if (!match) return false;
  const [, body, check] = match;

  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) sum += Number(body[i]) * WEIGHTS[i];
  const remainder = sum % 11;
  // Remainder 1 would need check digit 10; such bodies are simply never issued.
  if (remainder === 1) return false;
  return Number(check) === (remainder === 0 ? 0 : 11 - remainder);
}
