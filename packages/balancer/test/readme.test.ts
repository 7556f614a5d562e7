// The README's Synopsis runs and prints what the README says, and every thrown error of the
// package is in its Errors table.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Chash, RoundRobin, Swrr } from '../src/index.ts'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const blocks = [...README.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2]! }))

describe('README', () => {
  it('Synopsis prints its documented output', () => {
    const code = blocks.find((b) => b.lang === 'ts')!.code
    const output = blocks[blocks.findIndex((b) => b.lang === 'ts') + 1]!.code
    const r = spawnSync(process.execPath, ['--conditions=@nresty/source', '--input-type=module-typescript'], {
      input: code, cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 20_000,
    })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(output)
  })

  it('lists every thrown error message in the Errors table', () => {
    const table = README.slice(README.indexOf('## Errors'), README.indexOf('## Differences'))
    const ch = new Chash({ a: 1 })
    const misuse: (() => unknown)[] = [
      () => new Chash(1 as never), () => new Chash({ a: -1 }), () => new RoundRobin({}), () => new Swrr(new Map()),
      () => ch.incr(1 as never), () => ch.set('a', 0.5), () => ch.find(null as never), () => ch.next(-1),
    ]
    for (const f of misuse) {
      let err: { code?: string; message?: string } = {}
      try {
        f()
      } catch (e) {
        err = e as typeof err
      }
      expect(err.code).toBe('NGX_ERR_ARG')
      expect(table).toContain(`\`NGX_ERR_ARG\` \`${err.message!.replace(/: .*/, ': …').replace(/"a"/, '"…"')}\``)
    }
  })
})
