// Every thrown error code must be documented in the README's Errors table (as fastify checks
// its FST_ERR_* codes against docs/Reference/Errors.md).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/index.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The rows of the first table under `## Errors`, as arrays of trimmed cells. */
function errorsTableRows(): string[][] {
  const start = readme.indexOf('\n## Errors\n')
  if (start < 0) return []
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  const rows: string[][] = []
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      if (rows.length !== 0) break // the first table ended
      continue
    }
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()))
  }
  return rows
}

describe('README Errors table', () => {
  const rows = errorsTableRows()
  const codes = new Set(rows.map((r) => r[0]))

  it('exists under "## Errors"', () => {
    expect(rows.length).toBeGreaterThan(2)
  })

  for (const code of Object.values(ERROR_CODES)) {
    it(`documents ${code} in its own row`, () => {
      expect(codes.has(`\`${code}\``)).toBe(true)
    })
  }

  it('documents no code the package does not throw', () => {
    const known = new Set<string>(Object.values(ERROR_CODES))
    const documented = [...codes].filter((c) => c !== undefined && /^`NGX_ERR_/.test(c)).map((c) => c!.slice(1, -1))
    expect(documented.filter((c) => !known.has(c))).toEqual([])
  })
})
