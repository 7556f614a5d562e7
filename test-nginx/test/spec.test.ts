// Runs every block of test-nginx/t/**/*.t as a vitest test, on nresty and, when it is
// installed, on the reference nginx (CI=true requires it): one `it` per block and target.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileRunner, readKnownFailures } from '../src/runner.ts'
import { nginxTarget, nrestyTarget } from '../src/target.ts'
import type { Target } from '../src/target.ts'
import { parseSpec } from '../src/parse.ts'
import { perlScope } from '../src/perl.ts'

const root = join(import.meta.dirname, '..', 't')

function specFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e)
    return statSync(p).isDirectory() ? specFiles(p) : p.endsWith('.t') ? [p] : []
  })
}

const targets: Target[] = []
const nresty = nrestyTarget()
if (typeof nresty === 'string') throw new Error(`nresty target unavailable: ${nresty}`)
targets.push(nresty)
const nginx = nginxTarget()
if (typeof nginx !== 'string') targets.push(nginx)
else if (process.env['CI'] === 'true') throw new Error(`reference nginx required in CI: ${nginx}`)

for (const target of targets) {
  for (const file of specFiles(root)) {
    const names = parseSpec(readFileSync(file, 'latin1'), file, perlScope({})).blocks.map((b) => b.name)
    describe(`[${target.kind}] ${relative(root, file)}`, () => {
      let runner: FileRunner
      beforeAll(async () => {
        runner = await FileRunner.open(file, { target, knownFailures: readKnownFailures(file, target.kind) })
      })
      afterAll(async () => { await runner.close() })
      names.forEach((name, i) => {
        it(name, async (ctx) => {
          const r = await runner.runBlock(i)
          if (r.status === 'skip') ctx.skip(r.messages.join('; '))
          expect(r.status === 'fail' ? r.messages.join('\n') : '').toBe('')
        })
      })
    })
  }
}
