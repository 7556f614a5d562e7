import { describe, expect, it } from 'vitest'
import { luaNumberToString, luaTostring } from './tostring.ts'

describe('luaNumberToString (ngx.say / ngx.print / ngx.log)', () => {
  it('prints the values of the ngx.say line in the brief exactly as OpenResty does', () => {
    // reference: OpenResty answers `inf -inf -nan 0.3 1e+15 9.007199254741e+15 1e+100 0 1.2345678901235e+17`
    const values = [1 / 0, -1 / 0, 0 / 0, 0.1 + 0.2, 1e15, 2 ** 53, 1e100, -0, Number('123456789012345678')]
    expect(values.map(luaNumberToString).join(' ')).toBe(
      'inf -inf -nan 0.3 1e+15 9.007199254741e+15 1e+100 0 1.2345678901235e+17',
    )
  })

  it('prints integers of up to 14 digits in full and larger ones with an exponent', () => {
    // reference: OpenResty answers these for ngx.say
    expect(luaNumberToString(0)).toBe('0')
    expect(luaNumberToString(-7)).toBe('-7')
    expect(luaNumberToString(2 ** 31)).toBe('2147483648')
    expect(luaNumberToString(-(2 ** 31))).toBe('-2147483648')
    expect(luaNumberToString(4294967296)).toBe('4294967296')
    expect(luaNumberToString(99999999999999)).toBe('99999999999999')
    expect(luaNumberToString(1e14)).toBe('1e+14')
    expect(luaNumberToString(123456789012345)).toBe('1.2345678901234e+14')
    expect(luaNumberToString(2 ** 63)).toBe('9.2233720368548e+18')
    expect(luaNumberToString(1e21)).toBe('1e+21')
  })

  it('prints fractions with 14 significant digits, switching to an exponent below 1e-4', () => {
    // reference: OpenResty answers these for ngx.say
    expect(luaNumberToString(0.1)).toBe('0.1')
    expect(luaNumberToString(1 / 3)).toBe('0.33333333333333')
    expect(luaNumberToString(1.5)).toBe('1.5')
    expect(luaNumberToString(1e-5)).toBe('1e-05')
    expect(luaNumberToString(0.00001234)).toBe('1.234e-05')
    expect(luaNumberToString(5e-324)).toBe('4.9406564584125e-324')
    expect(luaNumberToString(2 ** 32 + 0.5)).toBe('4294967296.5')
    expect(luaNumberToString(1e13 + 0.5)).toBe('10000000000000')
    expect(luaNumberToString(12345678901234.5)).toBe('12345678901234')
  })

  it('rounds an exact tie to the even digit as glibc printf does', () => {
    // reference: OpenResty's ngx.say answers 1000000000000.2 and 1000000000000.8
    expect(luaNumberToString(1000000000000.25)).toBe('1000000000000.2')
    expect(luaNumberToString(1000000000000.75)).toBe('1000000000000.8')
    expect(luaNumberToString(-424536.009765625)).toBe('-424536.00976562')
  })
})

describe('luaTostring (LuaJIT tostring, `..`, ngx.encode_args)', () => {
  it('keeps the sign of zero and prints NaN without a sign', () => {
    // reference: OpenResty answers tostring(-0.0) = "-0", tostring(0/0) = "nan"
    expect(luaTostring(-0)).toBe('-0')
    expect(luaTostring(0)).toBe('0')
    expect(luaTostring(0 / 0)).toBe('nan')
    expect(luaTostring(1 / 0)).toBe('inf')
    expect(luaTostring(-1 / 0)).toBe('-inf')
  })

  it('rounds an exact tie away from zero, unlike ngx.say', () => {
    // reference: OpenResty answers tostring(1000000000000.25) = "1000000000000.3"
    expect(luaTostring(1000000000000.25)).toBe('1000000000000.3')
    expect(luaTostring(-424536.009765625)).toBe('-424536.00976563')
  })

  it('formats large and small numbers as ngx.say does', () => {
    // reference: OpenResty answers these for tostring()
    expect(luaTostring(2 ** 53)).toBe('9.007199254741e+15')
    expect(luaTostring(1e15)).toBe('1e+15')
    expect(luaTostring(0.1 + 0.2)).toBe('0.3')
    expect(luaTostring(5e-324)).toBe('4.9406564584125e-324')
    expect(luaTostring(-(2 ** 31))).toBe('-2147483648')
    expect(luaTostring(12.5)).toBe('12.5')
  })
})
