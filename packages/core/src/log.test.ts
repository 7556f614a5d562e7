import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { callerLocation, ErrorLog, formatErrorLine, formatLogArgs, LOG_LEVEL, levelFromName, levelName } from './log.ts'
import type { LogContext } from './log.ts'

const dir = mkdtempSync(join(tmpdir(), 'nresty-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// 2026/11/21 12:22:11 in local time, as the reference wrote it.
const T = new Date(2026, 10, 21, 12, 22, 11).getTime()
const REQ: LogContext = {
  connection: 3,
  client: '127.0.0.1',
  server: 'localhost',
  request: 'GET /t?a=1 HTTP/1.1',
  host: 'localhost:19200',
  referrer: 'http://ref/x',
}

describe('log levels', () => {
  it('numbers the levels like ngx.STDERR .. ngx.DEBUG', () => {
    expect(LOG_LEVEL).toEqual({ STDERR: 0, EMERG: 1, ALERT: 2, CRIT: 3, ERR: 4, WARN: 5, NOTICE: 6, INFO: 7, DEBUG: 8 })
  })

  it('maps level names to numbers and back', () => {
    expect(levelFromName('error')).toBe(4)
    expect(levelFromName('debug')).toBe(8)
    expect(levelName(5)).toBe('warn')
    expect(levelName(0)).toBe('stderr')
  })

  it('rejects an unknown level name with nginx words', () => {
    // reference: OpenResty answers `error_log logs/error.log foo;` with: invalid log level "foo"
    expect(() => levelFromName('foo')).toThrow('invalid log level "foo"')
    expect(() => levelName(9)).toThrow(RangeError)
  })
})

describe('formatErrorLine', () => {
  it('writes a request line with client, server, request, host and referrer', () => {
    // reference: OpenResty wrote this line for ngx.log(ngx.ERR, "hello ", 1.5, " ", nil, " ", true, " ", ngx.null)
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 8448, 8448, '[lua] content_by_lua(nginx.conf:15):1: hello 1.5 nil true null', REQ)).toBe(
      '2026/11/21 12:22:11 [error] 8448#8448: *3 [lua] content_by_lua(nginx.conf:15):1: hello 1.5 nil true null, ' +
        'client: 127.0.0.1, server: localhost, request: "GET /t?a=1 HTTP/1.1", host: "localhost:19200", referrer: "http://ref/x"\n',
    )
  })

  it('puts subrequest after request', () => {
    // reference: OpenResty logged from /t captured by /sub
    const ctx = { ...REQ, connection: 8, request: 'GET /sub?a=1 HTTP/1.1', subrequest: '/t' }
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 8448, 8448, 'm', ctx)).toBe(
      '2026/11/21 12:22:11 [error] 8448#8448: *8 m, client: 127.0.0.1, server: localhost, request: "GET /sub?a=1 HTTP/1.1", ' +
        'subrequest: "/t", host: "localhost:19200", referrer: "http://ref/x"\n',
    )
  })

  it('puts the action after the message and upstream between request and host', () => {
    // reference: OpenResty wrote this for proxy_pass to a closed port
    const ctx: LogContext = {
      connection: 8,
      action: 'connecting to upstream',
      client: '127.0.0.1',
      server: 'localhost',
      request: 'GET /closed HTTP/1.1',
      upstream: 'http://127.0.0.1:19202/x',
      host: 'localhost:19200',
    }
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 8902, 8902, 'connect() failed (111: Connection refused)', ctx)).toBe(
      '2026/11/21 12:22:11 [error] 8902#8902: *8 connect() failed (111: Connection refused) while connecting to upstream, ' +
        'client: 127.0.0.1, server: localhost, request: "GET /closed HTTP/1.1", upstream: "http://127.0.0.1:19202/x", host: "localhost:19200"\n',
    )
  })

  it('writes the timer and init_worker contexts before client and server', () => {
    // reference: OpenResty wrote these from ngx.timer.at and init_worker_by_lua_block
    const timer = { connection: 5, context: 'ngx.timer', client: '127.0.0.1', server: '0.0.0.0:19200' }
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 8902, 8902, '[lua] content_by_lua(nginx.conf:25):1: in timer', timer)).toBe(
      '2026/11/21 12:22:11 [error] 8902#8902: *5 [lua] content_by_lua(nginx.conf:25):1: in timer, context: ngx.timer, client: 127.0.0.1, server: 0.0.0.0:19200\n',
    )
    const iw = { connection: 1, context: 'init_worker_by_lua*' }
    expect(formatErrorLine(T, LOG_LEVEL.NOTICE, 8902, 8902, 'from init_worker', iw)).toBe(
      '2026/11/21 12:22:11 [notice] 8902#8902: *1 from init_worker, context: init_worker_by_lua*\n',
    )
  })

  it('prints an empty server name as "server: "', () => {
    // reference: OpenResty wrote `server: ,` for a server block without server_name
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 1, 1, 'm', { client: 'c', server: '', host: 'h' })).toBe(
      '2026/11/21 12:22:11 [error] 1#1: m, client: c, server: , host: "h"\n',
    )
  })

  it('leaves out *N without a connection, and all context at debug level', () => {
    expect(formatErrorLine(T, LOG_LEVEL.NOTICE, 7, 7, 'start worker processes')).toBe('2026/11/21 12:22:11 [notice] 7#7: start worker processes\n')
    // reference: OpenResty wrote ngx.log(ngx.DEBUG, "dbgmsg") with *3 and no client/server/request
    expect(formatErrorLine(T, LOG_LEVEL.DEBUG, 8902, 8902, 'dbgmsg', { ...REQ, connection: 3 })).toBe(
      '2026/11/21 12:22:11 [debug] 8902#8902: *3 dbgmsg\n',
    )
  })

  it('prints ngx.STDERR as empty brackets', () => {
    // reference: OpenResty wrote ngx.log(ngx.STDERR, "stderrmsg") as `[] 8902#8902: *3 ...`
    expect(formatErrorLine(T, LOG_LEVEL.STDERR, 8902, 8902, 'stderrmsg')).toBe('2026/11/21 12:22:11 [] 8902#8902: stderrmsg\n')
  })

  it('writes newlines and quotes in the message as they are', () => {
    expect(formatErrorLine(T, LOG_LEVEL.ERR, 1, 1, 'line1\nline2\ttab"q"')).toBe('2026/11/21 12:22:11 [error] 1#1: line1\nline2\ttab"q"\n')
  })

  it('cuts a 3000-byte message at 2047 bytes and drops the context', () => {
    // reference: OpenResty wrote a 2048-byte line (linefeed included) for ngx.log(ngx.ERR, string.rep("a", 3000))
    const msg = '[lua] content_by_lua(nginx.conf:16):1: ' + 'a'.repeat(3000)
    const line = formatErrorLine(T, LOG_LEVEL.ERR, 8448, 8448, msg, { ...REQ, connection: 4 })
    expect(line.length).toBe(2048)
    expect(line).toBe(('2026/11/21 12:22:11 [error] 8448#8448: *4 ' + msg).slice(0, 2047) + '\n')
  })

  it('cuts the context in the middle of a field when the message nearly fills the line', () => {
    // reference: OpenResty ended the line for string.rep("b", 1950) with `bbb, client: 127.0.` + "\n"
    const msg = '[lua] content_by_lua(nginx.conf:23):1: ' + 'b'.repeat(1950)
    const ctx = { connection: 2, client: '127.0.0.1', server: 'localhost', request: 'GET /mid HTTP/1.1', host: 'localhost:19200' }
    const line = formatErrorLine(new Date(2026, 10, 21, 12, 22, 28).getTime(), LOG_LEVEL.ERR, 8902, 8902, msg, ctx)
    expect(line.length).toBe(2048)
    expect(line.endsWith('bbb, client: 127.0.\n')).toBe(true)
  })

  it('never splits a multi-byte character when cutting', () => {
    const line = formatErrorLine(T, LOG_LEVEL.ERR, 1, 1, 'é'.repeat(2000))
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2048)
    expect(line.endsWith('é\n')).toBe(true)
    const emoji = formatErrorLine(T, LOG_LEVEL.ERR, 1, 1, 'x' + '😀'.repeat(600))
    expect(emoji.endsWith('😀\n')).toBe(true)
  })

  it('formats the local time of each second', () => {
    const t = new Date(2027, 0, 2, 3, 4, 5).getTime()
    expect(formatErrorLine(t + 999, LOG_LEVEL.WARN, 1, 2, 'm')).toBe('2027/01/02 03:04:05 [warn] 1#2: m\n')
    expect(formatErrorLine(t + 1000, LOG_LEVEL.WARN, 1, 2, 'm')).toBe('2027/01/02 03:04:06 [warn] 1#2: m\n')
  })
})

describe('formatLogArgs', () => {
  it('joins strings, numbers, nil, booleans and ngx.null like ngx.log', () => {
    // reference: OpenResty logged `hello 1.5 nil true null`
    expect(formatLogArgs(['hello ', 1.5, ' ', undefined, ' ', true, ' ', null])).toBe('hello 1.5 nil true null')
    // reference: OpenResty logged ("a", ngx.null, 1e20, 0.1, -0.0, 1/0, 2^53, 100) as below
    expect(formatLogArgs(['a', null, 1e20, 0.1, -0, Infinity, 2 ** 53, 100])).toBe('anull1e+200.10inf9.007199254741e+15100')
    expect(formatLogArgs([false])).toBe('false')
    expect(formatLogArgs([])).toBe('')
  })

  it('decodes byte arrays as UTF-8', () => {
    expect(formatLogArgs(['<', Buffer.from('héllo'), new Uint8Array([0x68, 0x69]), '>'])).toBe('<héllohi>')
  })

  it('uses an object own toString like a __tostring metamethod', () => {
    expect(formatLogArgs(['e: ', new Error('boom')])).toBe('e: Error: boom')
  })

  it('throws ngx_lua bad argument errors for tables and functions', () => {
    // reference: OpenResty raised these for ngx.log(ngx.ERR, "x", {}), print({}) and ngx.log(ngx.ERR, function() end)
    expect(() => formatLogArgs(['x', {}])).toThrow(new TypeError("bad argument #2 to 'log' (expected table to have __tostring metamethod)"))
    expect(() => formatLogArgs([[1]], 'print')).toThrow("bad argument #1 to 'print' (expected table to have __tostring metamethod)")
    expect(() => formatLogArgs([() => 1])).toThrow("bad argument #1 to 'log' (string, number, boolean, or nil expected, got function)")
  })
})

describe('callerLocation', () => {
  function myLog(): string {
    return callerLocation(myLog)
  }

  it('names the file and line of the code that called the skipped function', () => {
    const line = Number(new Error().stack?.split('\n')[1]?.match(/:(\d+):\d+\)?$/)?.[1]) + 1
    const loc = myLog()
    expect(loc).toBe(`log.test.ts:${line}`)
  })

  it('leaves Error.stackTraceLimit as it was', () => {
    const before = Error.stackTraceLimit
    myLog()
    expect(Error.stackTraceLimit).toBe(before)
  })
})

describe('ErrorLog', () => {
  it('appends lines at or above its level and skips the rest', async () => {
    const path = join(dir, 'levels.log')
    const log = new ErrorLog({ path, level: 'warn', pid: 42 })
    expect(log.level).toBe(LOG_LEVEL.WARN)
    expect(log.enabled(LOG_LEVEL.ERR)).toBe(true)
    expect(log.enabled(LOG_LEVEL.INFO)).toBe(false)
    log.write(LOG_LEVEL.ERR, 'bad', { connection: 1, client: '::1' })
    log.write(LOG_LEVEL.INFO, 'chatty')
    log.write(LOG_LEVEL.WARN, 'careful')
    await log.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[error\] 42#42: \*1 bad, client: ::1$/)
    expect(lines[1]).toMatch(/\[warn\] 42#42: careful$/)
  })

  it('defaults to the error level and the process id', async () => {
    const path = join(dir, 'default.log')
    const log = new ErrorLog({ path })
    expect(log.level).toBe(LOG_LEVEL.ERR)
    log.write(LOG_LEVEL.ERR, 'x')
    log.flush()
    expect(readFileSync(path, 'utf8')).toContain(`[error] ${process.pid}#${process.pid}: x\n`)
    await log.close()
  })

  it('has every line on disk after flush(), synchronously', async () => {
    const path = join(dir, 'flush.log')
    const log = new ErrorLog({ path })
    for (let i = 0; i < 1000; i++) log.write(LOG_LEVEL.ERR, `n${i}`)
    log.flush()
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(1001)
    await log.close()
  })

  it('reports a missing directory like nginx', () => {
    // reference: OpenResty answers `error_log /nonexist/error.log;` with this message
    expect(() => new ErrorLog({ path: '/nonexist/error.log' })).toThrow('open() "/nonexist/error.log" failed (2: No such file or directory)')
  })

  it('writes to a new file after the old one was renamed and reopen() called', async () => {
    const path = join(dir, 'rotate.log')
    const log = new ErrorLog({ path })
    log.write(LOG_LEVEL.ERR, 'before')
    log.flush()
    renameSync(path, `${path}.1`)
    log.write(LOG_LEVEL.ERR, 'still old')
    log.reopen()
    log.write(LOG_LEVEL.ERR, 'after')
    await log.close()
    await new Promise((r) => setTimeout(r, 20))
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/before\n.*still old\n$/)
    expect(readFileSync(path, 'utf8')).toMatch(/\[error\] \d+#\d+: after\n$/)
  })

  it('keeps the old file and says why in it when reopen() cannot open the path', async () => {
    const path = join(dir, 'blocked.log')
    const log = new ErrorLog({ path })
    renameSync(path, `${path}.1`)
    mkdirSync(path)
    log.reopen()
    log.write(LOG_LEVEL.ERR, 'kept')
    await log.close()
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(
      /\[emerg\] \d+#\d+: open\(\) ".*blocked\.log" failed \(21: Is a directory\)\n.*\[error\] \d+#\d+: kept\n$/,
    )
  })

  it('loses no line when the process exits right after writing', () => {
    const path = join(dir, 'exit.log')
    const script = `
      import { ErrorLog, LOG_LEVEL } from ${JSON.stringify(new URL('./log.ts', import.meta.url).pathname)}
      const log = new ErrorLog({ path: ${JSON.stringify(path)} })
      for (let i = 0; i < 5000; i++) log.write(LOG_LEVEL.ERR, 'line ' + i)
      process.exit(0)
    `
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' })
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(5000)
    expect(lines[4999]).toMatch(/: line 4999$/)
  })

  it('sends stderr lines to fd 2, asynchronously or with sync', () => {
    const script = `
      import { ErrorLog, LOG_LEVEL } from ${JSON.stringify(new URL('./log.ts', import.meta.url).pathname)}
      const a = new ErrorLog({ path: 'stderr', level: 'info' })
      a.write(LOG_LEVEL.INFO, 'async line')
      await a.close()
      const s = new ErrorLog({ path: 'stderr', sync: true })
      s.write(LOG_LEVEL.ERR, 'sync line')
      process.exit(0)
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/\[info\] \d+#\d+: async line\n.*\[error\] \d+#\d+: sync line\n$/)
  })
})
