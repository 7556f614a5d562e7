import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))

it('prints what packages/core/README.md says its Synopsis prints', () => {
  const readme = readFileSync(`${root}packages/core/README.md`, 'utf8')
  const code = /## Synopsis\n+```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  const printed = /This prints:\n+```\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(code).toBe(readFileSync(`${root}examples/core-synopsis/src/synopsis.ts`, 'utf8'))
  const out = execFileSync(process.execPath, [`${root}examples/core-synopsis/dist/synopsis.js`], { encoding: 'utf8' })
  expect(out).toBe(printed)
})
