import { describe, expect, it } from 'vitest'
import { compileTemplate } from './template.ts'
import type { VarLookup } from './template.ts'

const vars: Record<string, string> = { arg_q: 'Q', arg_q_x: 'QX', host: 'example.com', '1': 'A', '2': 'BC' }
const lookup: VarLookup = (name) => vars[name]

function render(source: string): string {
  return compileTemplate(source).render(lookup)
}

function compileError(source: string): string {
  try {
    compileTemplate(source)
  } catch (e) {
    return (e as Error).message
  }
  return 'no error'
}

describe('compileTemplate', () => {
  it('marks a source without variables as a constant and renders it as is', () => {
    const t = compileTemplate('plain text {}')
    expect(t.constant).toBe('plain text {}')
    expect(t.vars).toEqual([])
    expect(t.render(lookup)).toBe('plain text {}')
    expect(t.source).toBe('plain text {}')
  })

  it('leaves constant undefined when the source has a variable', () => {
    const t = compileTemplate('a $host b')
    expect(t.constant).toBeUndefined()
    expect(t.source).toBe('a $host b')
  })

  it('ends a plain name at the first character outside [A-Za-z0-9_]', () => {
    expect(render('a $host/b')).toBe('a example.com/b')
    expect(render('$host$host')).toBe('example.comexample.com')
  })

  it('reads ${name} so that name characters may follow it', () => {
    // reference: OpenResty answers "c${arg_q}d$1e$arg_q_x${arg_q}_x" with "cQdeQXQ_x" (no captures)
    const none: VarLookup = (n) => (n === '1' ? undefined : vars[n])
    expect(compileTemplate('c${arg_q}d$1e$arg_q_x${arg_q}_x').render(none)).toBe('cQdeQXQ_x')
  })

  it('takes one digit after $ as a capture, so $10 is capture 1 followed by 0', () => {
    // reference: OpenResty answers "[$1][$2][$10][$3]" for ~ ^/cap(.)(.*)$ and /capABC with "[A][BC][A0][]"
    expect(render('[$1][$2][$10][$3]')).toBe('[A][BC][A0][]')
  })

  it('lists each variable once in order of first use', () => {
    expect(compileTemplate('$host $1 ${host} $arg_q $1').vars).toEqual(['host', '1', 'arg_q'])
  })

  it('renders a variable that is not found as the empty string by default', () => {
    expect(render('[$nosuch]')).toBe('[]')
  })

  it('renders a variable that is not found as the given missing text, unescaped', () => {
    const t = compileTemplate('[$nosuch][$host]')
    expect(t.render(lookup, (v) => v.toUpperCase(), '-')).toBe('[-][EXAMPLE.COM]')
  })

  it('applies escape to found values only, not to the literal text', () => {
    const t = compileTemplate('"$arg_q"')
    expect(t.render(lookup, (v) => `<${v}>`)).toBe('"<Q>"')
  })

  it('keeps an empty found value empty', () => {
    expect(compileTemplate('[$e]').render(() => '', undefined, '-')).toBe('[]')
  })
})

describe('compileTemplate errors', () => {
  it('rejects a $ at the end like nginx', () => {
    // reference: OpenResty answers `set $x "a$";` with "invalid variable name"
    expect(compileError('a$')).toBe('invalid variable name')
    // reference: OpenResty answers `return 200 "cost: $";` with "invalid variable name"
    expect(compileError('cost: $')).toBe('invalid variable name')
  })

  it('rejects a $ followed by a character that cannot start a name', () => {
    // reference: OpenResty answers "cost: $ x", "$-x" and "$$" with "invalid variable name"
    expect(compileError('cost: $ x')).toBe('invalid variable name')
    expect(compileError('cost: $-x')).toBe('invalid variable name')
    expect(compileError('cost: $$')).toBe('invalid variable name')
  })

  it('rejects ${ at the end and an empty ${}', () => {
    // reference: OpenResty answers "cost: ${" and "cost: ${}" with "invalid variable name"
    expect(compileError('cost: ${')).toBe('invalid variable name')
    expect(compileError('cost: ${}')).toBe('invalid variable name')
  })

  it('names the variable whose closing bracket is missing', () => {
    // reference: OpenResty answers "cost: ${x" and "${a-b}" with these messages
    expect(compileError('cost: ${x')).toBe('the closing bracket in "x" variable is missing')
    expect(compileError('cost: ${arg_a')).toBe('the closing bracket in "arg_a" variable is missing')
    expect(compileError('cost: ${a-b}')).toBe('the closing bracket in "a" variable is missing')
  })

  it('rejects all-digit names that are not the $1..$9 shortcut', () => {
    // reference: OpenResty answers "$0" and "${1}" with: unknown "0" variable, unknown "1" variable
    expect(compileError('$0')).toBe('unknown "0" variable')
    expect(compileError('${1}')).toBe('unknown "1" variable')
  })

  it('throws a ConfError with the configuration error code', () => {
    try {
      compileTemplate('$')
      expect.unreachable()
    } catch (e) {
      expect((e as { code: string }).code).toBe('NGX_ERR_CONF')
    }
  })
})
