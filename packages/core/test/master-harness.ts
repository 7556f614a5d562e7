// Helpers for master tests: a gateway module written to a temporary prefix (workers import it
// by path, as the nresty command does), and reading the error log back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const CORE_INDEX_URL: string = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href

export interface TestPrefix {
  readonly dir: string
  readonly module: string
  readonly errorLog: string
  /** Writes the gateway module: `body` is the object literal given to defineGateway. */
  write(body: string, preamble?: string): void
  log(): string
  remove(): void
}

export function testPrefix(name: string): TestPrefix {
  const dir = mkdtempSync(join(tmpdir(), `nresty-${name}-`))
  const module = join(dir, 'gateway.ts')
  const errorLog = join(dir, 'logs', 'error.log')
  return {
    dir,
    module,
    errorLog,
    write(body, preamble = '') {
      writeFileSync(module, `import { defineGateway } from '${CORE_INDEX_URL}'\n${preamble}\nexport const gateway = defineGateway(${body})\n`)
    },
    log() {
      try {
        return readFileSync(errorLog, 'utf8')
      } catch {
        return ''
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls `check` every 20 ms until it returns true or `ms` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}
