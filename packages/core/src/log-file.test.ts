import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { LogFile } from './log-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'nresty-logfile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('LogFile', () => {
  it('appends to what the file already holds', async () => {
    const path = join(dir, 'append.log')
    const a = new LogFile(path)
    a.write('one\n')
    await a.close()
    const b = new LogFile(path)
    b.write('two\n')
    await b.close()
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n')
  })

  it('writes unbuffered lines soon, without a flush call', async () => {
    const path = join(dir, 'soon.log')
    const f = new LogFile(path)
    f.write('x\n')
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toBe('x\n'), { timeout: 500, interval: 10 })
    await f.close()
  })

  it('holds buffered lines until the buffer fills', async () => {
    const path = join(dir, 'buffer.log')
    const f = new LogFile(path, { bufferSize: 100 })
    f.write('short\n')
    expect(readFileSync(path, 'utf8')).toBe('')
    f.write('y'.repeat(200) + '\n')
    await vi.waitFor(() => expect(readFileSync(path, 'utf8').length).toBe(207), { timeout: 500, interval: 10 })
    await f.close()
  })

  it('names the path and the errno in glibc words when it cannot open', () => {
    mkdirSync(join(dir, 'adir'))
    expect(() => new LogFile(join(dir, 'adir'))).toThrow(`open() "${join(dir, 'adir')}" failed (21: Is a directory)`)
    expect(() => new LogFile(join(dir, 'none', 'x.log'))).toThrow('failed (2: No such file or directory)')
  })

  it('returns the same promise from a second close() and ignores later writes and flushes', async () => {
    const path = join(dir, 'twice.log')
    const f = new LogFile(path)
    f.write('a\n')
    const p = f.close()
    expect(f.close()).toBe(p)
    await p
    f.write('b\n')
    f.flush()
    expect(f.reopen()).toBeUndefined()
    expect(readFileSync(path, 'utf8')).toBe('a\n')
  })

  it('does not reopen stderr', async () => {
    const f = new LogFile('stderr')
    expect(f.reopen()).toBeUndefined()
    await f.close()
  })
})
