// Exact money in the browser: amounts are BigInt counts of 10^-12 dollars (the ledger's scale), parsed from the
// JSON's own decimal text, so nothing shown is ever a binary-floating-point approximation.

const SCALE = 12;
const ONE = 10n ** BigInt(SCALE);

/** Parses "0.000123", "-2", "1.5E-7" into 10^-12 dollars (half-up beyond 12 decimals). */
export function parse(text) {
  if (typeof text === 'bigint') return text;
  if (text === null || text === undefined || text === '') return 0n;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
  if (!m) throw new Error('not a decimal amount: ' + text);
  const [, sign, int, frac = '', exp = '0'] = m;
  const digits = BigInt((int + frac) || '0');
  const shift = SCALE - frac.length + Number(exp); // value = digits × 10^(exp − frac.length)
  const value = shift >= 0 ? digits * 10n ** BigInt(shift) : roundDiv(digits, 10n ** BigInt(-shift));
  return sign === '-' ? -value : value;
}

/** a ÷ b for b > 0, rounded half away from zero. */
export function roundDiv(a, b) {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  let q = abs / b;
  if ((abs % b) * 2n >= b) q += 1n;
  return negative ? -q : q;
}

export function add(a, b) {
  return a + b;
}

/** a × n ÷ d, rounded at the 12th decimal (for the linear month-end projection). */
export function scale(a, n, d) {
  return roundDiv(a * BigInt(n), BigInt(d));
}

/** The exact amount as a plain decimal, trailing zeros dropped ("0.000123", "12.5", "0"). */
export function exact(a) {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  let frac = (abs % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + (abs / ONE).toString() + (frac ? '.' + frac : '');
}

/**
 * For people: a dollar or more to the cent with thousands separators ("$1,234.56"); less than a dollar to six
 * decimals without trailing zeros, at least two ("$0.000123", "$0.50"). Rounded half up.
 */
export function format(a) {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  const places = abs >= ONE ? 2 : 6;
  const unit = 10n ** BigInt(SCALE - places);
  const rounded = roundDiv(abs, unit);
  const whole = (rounded / 10n ** BigInt(places)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let frac = (rounded % 10n ** BigInt(places)).toString().padStart(places, '0');
  while (frac.length > 2 && frac.endsWith('0')) frac = frac.slice(0, -1);
  return (negative ? '-$' : '$') + whole + '.' + frac;
}

/** An approximation for charts and shares only, never for a figure shown as money. */
export function toNumber(a) {
  return Number(a) / 1e12;
}
