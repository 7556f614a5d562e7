#!/usr/bin/env node
// The `test-nginx` command: runs .t files (or directories of them) against a target and
// prints TAP lines per block and a closing `N passed, N failed, N skipped` line.
//   test-nginx [--target nresty|nginx] [--port N] [--no-known] file.t|dir …
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readKnownFailures, runFile, summaryLine, tapLines } from './runner.ts'
import type { BlockResult } from './runner.ts'
import { nginxTarget, nrestyTarget } from './target.ts'

function collect(path: string): string[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).sort().flatMap((e) => collect(join(path, e)))
  }
  return path.endsWith('.t') ? [path] : []
}

async function main(argv: string[]): Promise<number> {
  let kind = process.env['TEST_NGINX_TARGET'] ?? 'nresty'
  let port: number | undefined
  let useKnown = true
  const paths: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--target') kind = argv[++i] ?? ''
    else if (a.startsWith('--target=')) kind = a.slice(9)
    else if (a === '--port') port = Number(argv[++i])
    else if (a === '--no-known') useKnown = false
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: test-nginx [--target nresty|nginx] [--port N] [--no-known] file.t|dir ...\n')
      return 0
    } else paths.push(a)
  }
  if (kind !== 'nresty' && kind !== 'nginx') {
    process.stderr.write(`test-nginx: unknown target "${kind}" (nresty or nginx)\n`)
    return 2
  }
  const target = kind === 'nginx' ? nginxTarget() : nrestyTarget()
  if (typeof target === 'string') {
    process.stderr.write(`test-nginx: target ${kind} unavailable: ${target}\n`)
    return 2
  }
  const files = paths.flatMap(collect)
  if (files.length === 0) {
    process.stderr.write('test-nginx: no .t files given\n')
    return 2
  }
  const all: BlockResult[] = []
  let n = 0
  for (const f of files) {
    const known = useKnown ? readKnownFailures(f, kind) : new Set<string>()
    await runFile(f, port === undefined ? { target, knownFailures: known } : { target, port, knownFailures: known }, (r) => {
      all.push(r)
      for (const l of tapLines(++n, f, kind, r)) process.stdout.write(l + '\n')
    })
  }
  process.stdout.write(`1..${n}\n${summaryLine(all)}\n`)
  return all.some((r) => r.status === 'fail') ? 1 : 0
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (e: unknown) => {
  process.stderr.write(`test-nginx: ${(e as Error).stack ?? String(e)}\n`)
  process.exitCode = 2
})
