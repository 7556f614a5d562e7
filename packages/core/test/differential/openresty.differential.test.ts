// The same raw requests to the reference OpenResty (nginx 1.22.1 + ngx_lua) running Lua handlers
// and to nresty running their TypeScript twins: status line, headers and body must be equal
// after normalize.ts, and declared error-log lines must show up in both logs.
// Run: npm run test:differential (needs scripts/install-reference-openresty.sh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CASES, GROUPS, KNOWN_DIFFERENCES } from './cases.ts'
import type { DiffCase } from './cases.ts'
import { logLine, runCase, startBoth } from './servers.ts'
import type { Both } from './servers.ts'

const known = new Map(KNOWN_DIFFERENCES.map((k) => [k.name, k.reason]))
const names = new Set<string>()
for (const c of CASES) {
  if (names.has(c.name)) throw new Error(`two differential cases are named "${c.name}"`)
  names.add(c.name)
}
for (const name of known.keys()) {
  if (!names.has(name)) throw new Error(`KNOWN_DIFFERENCES names no case: "${name}"`)
}

let both: Both | undefined

beforeAll(async () => {
  both = await startBoth(CASES)
}, 30_000)

afterAll(async () => {
  await both?.stop()
})

async function check(c: DiffCase): Promise<void> {
  if (both === undefined) throw new Error('the servers did not start (see the beforeAll error)')
  const r = await runCase(both, c)
  expect(r.nresty, 'nresty (expected: the reference OpenResty)').toEqual(r.reference)
  for (const pattern of c.errorLog ?? []) {
    const ref = await logLine(r.referenceLog, pattern)
    expect(ref, `reference error log has no line matching ${pattern}:\n${withoutDebug(r.referenceLog())}`).toBeDefined()
    const nr = await logLine(r.nrestyLog, pattern)
    expect(nr, `nresty error log has no line matching ${pattern}:\n${withoutDebug(r.nrestyLog())}`).toBeDefined()
  }
}

function withoutDebug(log: string): string {
  return log.split('\n').filter((l) => !l.includes(' [debug] ')).join('\n')
}

describe('nresty answers as the reference OpenResty', () => {
  for (const group of GROUPS) {
    describe(group.title, () => {
      for (const c of group.cases) {
        const reason = known.get(c.name)
        if (reason === undefined) it(c.name, () => check(c))
        else it.fails(`${c.name} [known difference: ${reason}]`, () => check(c))
      }
    })
  }
})
