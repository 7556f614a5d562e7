// How OpenResty turns a Lua number into text. There are two renderings, and they differ on
// purpose (both checked on the reference OpenResty):
//
//  - ngx.say / ngx.print / ngx.log go through ngx_lua's own writer: a number that is a C int
//    prints with "%d" (so -0 prints "0"), anything else with glibc's "%.14g" (exact ties round
//    half to even, a NaN from arithmetic prints "-nan").
//  - tostring(), `..` and ngx.encode_args use LuaJIT's formatter: also 14 significant digits,
//    but -0 prints "-0", NaN prints "nan", and exact ties round away from zero.
//
// Both print integers of up to 14 digits in full and larger ones in exponent form
// (1e15 → "1e+15", 2^53 → "9.007199254741e+15").

/** Integers of at most 14 digits print in full under "%.14g". */
const FULL_INT_LIMIT = 1e14

/**
 * Renders a number as ngx.say, ngx.print and ngx.log do.
 *
 * @example
 * luaNumberToString(0.1 + 0.2) // '0.3'
 * luaNumberToString(1e15)      // '1e+15'
 * luaNumberToString(0 / 0)     // '-nan'
 */
export function luaNumberToString(n: number): string {
  if ((n | 0) === n) return String(n) // small integers, and -0 → "0" as ngx_lua's "%d" does
  if (n < FULL_INT_LIMIT && n > -FULL_INT_LIMIT && Number.isInteger(n)) return String(n)
  if (n !== n) return '-nan' // x86 arithmetic NaNs carry the sign bit; glibc prints "-nan"
  return shortFraction(n) ?? formatG14(n, true)
}

/**
 * Renders a number as LuaJIT's tostring() and string concatenation do
 * (used by ngx.encode_args and in error messages).
 *
 * @example
 * luaTostring(-0)     // '-0'
 * luaTostring(0 / 0)  // 'nan'
 */
export function luaTostring(n: number): string {
  if ((n | 0) === n) return n === 0 && 1 / n < 0 ? '-0' : String(n)
  if (n < FULL_INT_LIMIT && n > -FULL_INT_LIMIT && Number.isInteger(n)) return String(n)
  if (n !== n) return 'nan'
  return shortFraction(n) ?? formatG14(n, false)
}

/**
 * JS's shortest round-trip form, when "%.14g" gives the same text: a plain decimal of at most
 * 14 significant digits (then it lies closer to the exact value than half a unit of the 14th
 * digit, so both roundings agree) between 1e-4 and 1e14, where "%g" uses no exponent.
 */
function shortFraction(n: number): string | undefined {
  const a = n < 0 ? -n : n
  if (a < 1e-4 || a >= FULL_INT_LIMIT) return undefined
  const s = String(n)
  let sig = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39 && (sig > 0 || c !== 0x30) && ++sig > 14) return undefined
  }
  return s
}

/** C's "%.14g" for a finite or infinite number; `halfEven` picks glibc's tie rule. */
function formatG14(n: number, halfEven: boolean): string {
  if (n === Infinity) return 'inf'
  if (n === -Infinity) return '-inf'
  const neg = n < 0 || (n === 0 && 1 / n < 0)
  const a = neg ? -n : n
  if (a === 0) return neg ? '-0' : '0'
  // toExponential rounds the exact value, ties away from zero: LuaJIT's rule.
  let s = a.toExponential(13)
  if (halfEven) s = roundTieToEven(a, s)
  const ePos = s.indexOf('e')
  const exp = Number(s.slice(ePos + 1))
  let digits = s[0] + s.slice(2, ePos)
  let end = digits.length
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--
  digits = digits.slice(0, end)
  let out: string
  if (exp < -4 || exp >= 14) {
    const ax = exp < 0 ? -exp : exp
    out = (end > 1 ? `${digits[0]}.${digits.slice(1)}` : digits) + (exp < 0 ? 'e-' : 'e+') + (ax < 10 ? `0${ax}` : `${ax}`)
  } else if (exp >= 0) {
    out = end <= exp + 1 ? digits + '0'.repeat(exp + 1 - end) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`
  }
  return neg ? `-${out}` : out
}

/**
 * When `a` lies exactly halfway between two 14-digit decimals, glibc keeps the even one while
 * toExponential went up. Returns the corrected "d.ddddddddddddde±x" form.
 */
function roundTieToEven(a: number, s: string): string {
  const s15 = a.toExponential(14)
  const e15 = s15.indexOf('e')
  if (s15.charCodeAt(e15 - 1) !== 53 /* '5' */) return s
  if ((s15.charCodeAt(e15 - 2) & 1) !== 0) return s // odd 14th digit: rounding up is even
  // Exact tie only if every further digit of the exact value is zero (a double has at most
  // a few hundred digits; 100 are enough to tell a tie from a near-tie in practice).
  const full = a.toExponential(99)
  if (full.charCodeAt(e15 - 1) !== 53) return s
  for (let i = e15; i < full.indexOf('e'); i++) if (full.charCodeAt(i) !== 48) return s
  return s15.slice(0, e15 - 1) + s15.slice(e15)
}
