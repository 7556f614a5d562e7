// `nresty -p <prefix>` with conf/nginx.conf, as OpenResty's tutorials run `openresty -p $PWD/`:
// detached by default, `-t`/`-T`, `-s reload|reopen|quit|stop` through the pid file, `-g`,
// `master_process off`, and a broken edit that `-t` reports while the running server keeps
// serving. Every master these tests start is killed by its pid afterwards.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, get } from './harness.ts'
import { waitFor } from './master-harness.ts'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const NODE_ARGS = ['--conditions=@nresty/source', CLI]

interface Prefix {
  readonly dir: string
  readonly conf: string
  readonly errorLog: string
  readonly pidFile: string
  write(text: string): void
  log(): string
  pid(): number | undefined
}

const prefixes: Prefix[] = []
const children: ChildProcess[] = []

/** A prefix as the tutorial makes it: conf/, logs/, lua/. */
function makePrefix(): Prefix {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-conf-front-'))
  for (const sub of ['conf', 'logs', 'lua']) mkdirSync(join(dir, sub))
  const p: Prefix = {
    dir,
    conf: join(dir, 'conf', 'nginx.conf'),
    errorLog: join(dir, 'logs', 'error.log'),
    pidFile: join(dir, 'logs', 'nginx.pid'),
    write: (text) => writeFileSync(p.conf, text),
    log: () => (existsSync(p.errorLog) ? readFileSync(p.errorLog, 'utf8') : ''),
    pid: () => {
      if (!existsSync(p.pidFile)) return undefined
      const n = Number(readFileSync(p.pidFile, 'latin1').trim())
      return Number.isSafeInteger(n) && n > 0 ? n : undefined
    },
  }
  prefixes.push(p)
  return p
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

afterEach(() => {
  // A detached master outlives the command that started it: kill it by its pid file.
  for (const p of prefixes.splice(0)) {
    const pid = p.pid()
    if (pid !== undefined && pid !== process.pid && alive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(p.dir, { recursive: true, force: true })
  }
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

function nresty(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs nresty in the foreground; resolves its exit code. */
function foreground(...args: string[]): { exited: Promise<number | null>; output: () => string } {
  let output = ''
  const proc = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(proc)
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()))
  return { exited: new Promise((ok) => proc.on('exit', ok)), output: () => output }
}

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, 'g'))?.length ?? 0

function tutorialConf(port: number, workers: number, extra = ''): string {
  return `worker_processes ${workers};
error_log logs/error.log notice;
events {
    worker_connections 1024;
}
http {
    server {
        listen 127.0.0.1:${port};
        location / {
            default_type text/html;
            return 200 "<p>hello, world</p>\\n";
        }${extra}
    }
}
`
}

describe('nresty -p <prefix> with conf/nginx.conf', () => {
  it('runs the tutorial: start detached, answer, switch to 4 workers, -t, -s reload, -s quit', async () => {
    const p = makePrefix()
    const port = await freePort()
    p.write(tutorialConf(port, 1))

    const start = nresty('-p', `${p.dir}/`)
    expect(start).toMatchObject({ status: 0, stderr: '', stdout: '' })
    const pid = p.pid()!
    expect(alive(pid)).toBe(true)
    const res = await get(port, '/')
    expect([res.status, res.headers['content-type'], res.body]).toEqual([200, 'text/html', '<p>hello, world</p>\n'])
    expect(count(p.log(), /start worker process \d+/)).toBe(1)

    p.write(tutorialConf(port, 4))
    const file = `${p.dir}/conf/nginx.conf`
    expect(nresty('-p', `${p.dir}/`, '-t')).toEqual({
      status: 0,
      stdout: '',
      stderr: `nresty: the configuration file ${file} syntax is ok\nnresty: configuration file ${file} test is successful\n`,
    })
    expect(nresty('-p', `${p.dir}/`, '-s', 'reload')).toMatchObject({ status: 0, stderr: '' })
    await waitFor(() => count(p.log(), /start worker process \d+/) === 5 && /worker process \d+ exited with code 0/.test(p.log()), 30_000, 'the 4 new workers')
    const after = p.log().slice(p.log().indexOf('signal 1 (SIGHUP) received, reconfiguring'))
    expect(count(after, /start worker process \d+/)).toBe(4)
    expect((await get(port, '/')).body).toBe('<p>hello, world</p>\n')
    expect(p.pid()).toBe(pid)

    expect(nresty('-p', `${p.dir}/`, '-s', 'quit')).toMatchObject({ status: 0, stderr: '' })
    await waitFor(() => !alive(pid), 20_000, 'the master to exit')
    expect(existsSync(p.pidFile)).toBe(false)
    // the old worker at the reload, then the 4 at quit
    expect(count(p.log().slice(p.log().indexOf('signal 3 (SIGQUIT)')), /gracefully shutting down/)).toBe(4)
    expect(p.log()).toMatch(/\[notice\] \d+#\d+: exit\n$/)
  }, 90_000)

  it('a broken edit: -t reports it with file:line, -s reload refuses it, the running server keeps serving', async () => {
    const p = makePrefix()
    const port = await freePort()
    const good = tutorialConf(port, 1, '\n        location = /v { return 200 "v1\\n"; }')
    p.write(good)
    expect(nresty('-p', p.dir).status).toBe(0)
    const pid = p.pid()!
    expect((await get(port, '/v')).body).toBe('v1\n')

    const broken = good.replace('v1', 'v2').replace('    server {', '    server {\n        bogus_directive on;')
    p.write(broken)
    const file = join(p.dir, 'conf', 'nginx.conf')
    const t = nresty('-p', p.dir, '-t')
    expect(t).toEqual({
      status: 1,
      stdout: '',
      stderr: `nresty: [emerg] unknown directive "bogus_directive" in ${file}:8\nnresty: configuration file ${file} test failed\n`,
    })
    // As nginx: the error also goes to the error log.
    expect(p.log()).toMatch(new RegExp(`\\[emerg\\] \\d+#\\d+: unknown directive "bogus_directive" in ${file}:8\\n`))

    // `-s reload` reads the configuration to find the pid file: it fails the same way, and
    // signals nothing.
    expect(nresty('-p', p.dir, '-s', 'reload')).toEqual({ status: 1, stdout: '', stderr: `nresty: [emerg] unknown directive "bogus_directive" in ${file}:8\n` })
    expect((await get(port, '/v')).body).toBe('v1\n')

    // A HUP that reaches the master anyway: it logs the [emerg] and the old generation serves on.
    const marks = count(p.log(), /\[emerg\]/)
    process.kill(pid, 'SIGHUP')
    await waitFor(() => count(p.log(), /\[emerg\]/) === marks + 1, 20_000, 'the master\'s [emerg]')
    expect(p.log()).toMatch(new RegExp(`reconfiguring\\n.*\\[emerg\\] ${pid}#${pid}: unknown directive "bogus_directive" in ${file}:8\\n`))
    expect((await get(port, '/v')).body).toBe('v1\n')
    expect(alive(pid)).toBe(true)

    // Fixed: the reload goes through.
    p.write(broken.replace('        bogus_directive on;\n', ''))
    expect(nresty('-p', p.dir, '-s', 'reload').status).toBe(0)
    await waitFor(async () => (await get(port, '/v')).body === 'v2\n', 30_000, 'the new generation')
    expect(nresty('-p', p.dir, '-s', 'stop').status).toBe(0)
    await waitFor(() => !alive(pid), 20_000, 'the master to exit')
  }, 90_000)

  it('-T dumps every file read; -q keeps -t quiet; -c names another file; -g adds directives', () => {
    const p = makePrefix()
    mkdirSync(join(p.dir, 'conf', 'sites'))
    writeFileSync(join(p.dir, 'conf', 'sites', 'a.conf'), 'server { listen 127.0.0.1:18999; }')
    p.write('events {}\nhttp {\n    include sites/*.conf;\n}\n')
    const file = join(p.dir, 'conf', 'nginx.conf')
    const dump = nresty('-p', p.dir, '-T')
    expect(dump.status).toBe(0)
    expect(dump.stdout).toBe(
      `# configuration file ${file}:\nevents {}\nhttp {\n    include sites/*.conf;\n}\n\n` +
      `# configuration file ${join(p.dir, 'conf', 'sites', 'a.conf')}:\nserver { listen 127.0.0.1:18999; }\n`,
    )
    expect(nresty('-p', p.dir, '-tq')).toEqual({ status: 0, stdout: '', stderr: '' })

    writeFileSync(join(p.dir, 'conf', 'other.conf'), 'events {}\ndaemon on;\n')
    const other = join(p.dir, 'conf', 'other.conf')
    expect(nresty('-p', p.dir, '-c', 'conf/other.conf', '-g', 'daemon off;', '-t').stderr).toBe(
      `nresty: [emerg] "daemon" directive is duplicate in ${other}:2\nnresty: configuration file ${other} test failed\n`,
    )
    expect(nresty('-p', p.dir, '-c', other, '-g', 'bogus;', '-t').stderr).toBe(
      `nresty: [emerg] unknown directive "bogus" in command line\nnresty: configuration file ${other} test failed\n`,
    )
    expect(nresty('-p', p.dir, '-t', '-c', 'conf/missing.conf')).toMatchObject({
      status: 1,
      stderr: `nresty: [emerg] open() "${p.dir}/conf/missing.conf" failed (2: No such file or directory)\nnresty: configuration file ${p.dir}/conf/missing.conf test failed\n`,
    })
  })

  it('runs in the foreground with -g "daemon off;", and in one process with master_process off', async () => {
    const p = makePrefix()
    const port = await freePort()
    p.write(tutorialConf(port, 2).replace('worker_processes 2;', 'worker_processes 2;\nmaster_process off;'))
    const { exited, output } = foreground('-p', p.dir, '-g', 'daemon off;')
    await waitFor(async () => p.pid() !== undefined && (await get(port, '/').catch(() => ({ status: 0 }))).status === 200, 30_000, `the server: ${output()}`)
    // one process: the pid file holds the command's own pid; no worker threads
    expect(count(p.log(), /start worker process/)).toBe(0)
    expect(p.log()).toMatch(/nresty\/\d+\.\d+\.\d+ started/)

    renameSync(p.errorLog, `${p.errorLog}.1`)
    expect(nresty('-p', p.dir, '-s', 'reopen').status).toBe(0)
    await waitFor(() => existsSync(p.errorLog), 10_000, 'a new error.log')
    expect(nresty('-p', p.dir, '-s', 'stop').status).toBe(0)
    expect(await exited).toBe(0)
    expect(p.log()).toMatch(/signal 15 \(SIGTERM\) received, exiting/)
    expect(existsSync(p.pidFile)).toBe(false)
  }, 60_000)

  it('a detached start that fails prints nginx\'s [emerg] and answers 1', async () => {
    const p = makePrefix()
    const busy = createServer()
    const port = await new Promise<number>((ok) => busy.listen(0, '127.0.0.1', () => ok((busy.address() as { port: number }).port)))
    try {
      p.write(tutorialConf(port, 1))
      const r = nresty('-p', p.dir)
      expect(r).toEqual({ status: 1, stdout: '', stderr: `nresty: [emerg] bind() to 127.0.0.1:${port} failed (98: Address already in use)\n` })
      expect(p.log()).toMatch(new RegExp(`\\[emerg\\] \\d+#\\d+: bind\\(\\) to 127.0.0.1:${port} failed \\(98: Address already in use\\)`))
      expect(existsSync(p.pidFile)).toBe(false)
    } finally {
      busy.close()
    }
    // a configuration error is found before anything is detached
    p.write('events {}\nhttp { server { listen 127.0.0.1:1; return 200 $nope; } }\n')
    expect(nresty('-p', p.dir)).toEqual({ status: 1, stdout: '', stderr: 'nresty: [emerg] unknown "nope" variable\n' })
  }, 60_000)

  it('prints warnings as nginx does, and answers options as nginx does', () => {
    const p = makePrefix()
    p.write('events {}\nhttp {\n server { listen 127.0.0.1:18998; }\n server { listen 127.0.0.1:18998; }\n}\n')
    expect(nresty('-p', p.dir, '-t').stderr).toMatch(/^nresty: \[warn\] conflicting server name "" on 127\.0\.0\.1:18998, ignored\nnresty: the configuration file/)
    expect(nresty('-x')).toEqual({ status: 1, stdout: '', stderr: 'nresty: invalid option: "x"\n' })
    expect(nresty('-p')).toMatchObject({ status: 1, stderr: 'nresty: option "-p" requires directory name\n' })
    expect(nresty('-c')).toMatchObject({ status: 1, stderr: 'nresty: option "-c" requires file name\n' })
    expect(nresty('-g')).toMatchObject({ status: 1, stderr: 'nresty: option "-g" requires parameter\n' })
    expect(nresty('-s', 'restart')).toMatchObject({ status: 1, stderr: 'nresty: invalid option: "-s restart"\n' })
    expect(nresty('-h')).toMatchObject({ status: 0, stdout: '' })
    expect(nresty('-h').stderr).toMatch(/^nresty version: nresty\/\S+\nUsage: nresty \[-\?hvVtTq\]/)
    expect(nresty('-V').stderr).toMatch(/^nresty version: nresty\/\S+\nbuilt for node /)
    expect(nresty(`-p${p.dir}`, '-s', 'stop')).toEqual({ status: 1, stdout: '', stderr: `nresty: [error] open() "${p.dir}/logs/nginx.pid" failed (2: No such file or directory)\n` })
  }, 60_000)
})
