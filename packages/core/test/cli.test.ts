// The nresty command: a master in its own process, driven by signals through the pid file
// (`-s reload|reopen|quit|stop`), as `openresty -p … -s …` drives nginx.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, get } from './harness.ts'
import { testPrefix, waitFor } from './master-harness.ts'
import type { TestPrefix } from './master-harness.ts'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const NODE_ARGS = ['--conditions=@nresty/source', CLI]

function gatewaySource(port: number, version: string): string {
  return `{
    workers: 2,
    errorLog: { path: 'logs/error.log', level: 'notice' },
    servers: [{ listen: '127.0.0.1:${port}', locations: {
      '= /v': { content: (ngx) => ngx.say('${version} ', ngx.worker.count()) },
    } }],
  }`
}

function nresty(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

let prefix: TestPrefix | undefined
let child: ChildProcess | undefined

afterEach(() => {
  child?.kill('SIGKILL')
  child = undefined
  // a detached master outlives its command: kill it by its pid file
  const pidFile = prefix === undefined ? undefined : join(prefix.dir, 'logs', 'nginx.pid')
  if (pidFile !== undefined && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'latin1').trim())
    try {
      if (pid > 0 && pid !== process.pid) process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  prefix?.remove()
  prefix = undefined
})

function run(p: TestPrefix): { proc: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = ''
  const proc = (child = spawn(process.execPath, [...NODE_ARGS, '-p', p.dir, '--gateway', p.module], { stdio: ['ignore', 'pipe', 'pipe'] }))
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((ok) => proc.on('exit', ok))
  return { proc, exited, output: () => output }
}

describe('nresty command', () => {
  it('runs a gateway; -s reload, reopen and quit reach the master through the pid file', async () => {
    const p = (prefix = testPrefix('cli'))
    const port = await freePort()
    p.write(gatewaySource(port, 'v1'))
    const { proc, exited, output } = run(p)
    const pidFile = join(p.dir, 'logs', 'nginx.pid')
    await waitFor(() => existsSync(pidFile) && p.log().includes('master started'), 20_000, `the master to start: ${output()}`)
    expect(readFileSync(pidFile, 'utf8')).toBe(`${proc.pid}\n`)
    expect((await get(port, '/v')).body).toBe('v1 2\n')

    p.write(gatewaySource(port, 'v2'))
    expect(nresty('-p', p.dir, '-s', 'reload').status).toBe(0)
    await waitFor(() => /signal 1 \(SIGHUP\) received, reconfiguring/.test(p.log()), 10_000, 'SIGHUP in the log')
    await waitFor(async () => (await get(port, '/v')).body === 'v2 2\n', 10_000, 'the new code')

    renameSync(p.errorLog, `${p.errorLog}.1`)
    expect(nresty('-p', p.dir, '-s', 'reopen').status).toBe(0)
    // The master and both workers reopen: the file is created again (lines go there from now on).
    await waitFor(() => existsSync(p.errorLog), 10_000, 'a new error.log')
    expect(readFileSync(`${p.errorLog}.1`, 'utf8')).toMatch(/signal 10 \(SIGUSR1\) received, reopening logs\n.*reopening logs\n/)

    expect(nresty('-p', p.dir, '-s', 'quit').status).toBe(0)
    expect(await exited).toBe(0)
    expect(p.log()).toMatch(/signal 3 \(SIGQUIT\) received, shutting down[\s\S]*\[notice\] \d+#\d+: exit\n$/)
    // The workers reopened too: their lines are in the new file.
    expect(p.log().match(/gracefully shutting down/g)).toHaveLength(2)
    expect(existsSync(pidFile)).toBe(false)
  }, 40_000)

  it('-s stop ends it at once; errors are nginx-worded', async () => {
    const p = (prefix = testPrefix('cli'))
    const port = await freePort()
    p.write(gatewaySource(port, 'v1'))
    const { exited } = run(p)
    await waitFor(() => p.log().includes('master started'), 20_000, 'the master to start')
    expect(nresty('-p', p.dir, '-s', 'stop').status).toBe(0)
    expect(await exited).toBe(0)
    expect(p.log()).toMatch(/signal 15 \(SIGTERM\) received, exiting/)

    const missing = nresty('-p', p.dir, '-s', 'reload')
    expect(missing.status).toBe(1)
    expect(missing.stderr).toBe(`nresty: [error] open() "${join(p.dir, 'logs', 'nginx.pid')}" failed (2: No such file or directory)\n`)
    expect(nresty('-s', 'bogus').stderr).toMatch(/^nresty: invalid option: "-s bogus"\n/)
    expect(nresty('-v').stderr).toMatch(/^nresty version: nresty\/\d+\.\d+\.\d+\n$/)

    expect(nresty('-h').stderr).toMatch(/^nresty version: nresty\/\S+\nUsage: /)

    p.write("{ servers: [{ listen: '127.0.0.1:99999' }] }")
    const bad = nresty('-p', p.dir, '--gateway', p.module)
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe('nresty: [emerg] invalid port in "127.0.0.1:99999" of the "listen" directive\n')
  }, 40_000)

  it('tests a gateway module with -t, and takes daemon, master_process and worker_processes from -g', async () => {
    const p = (prefix = testPrefix('cli'))
    const port = await freePort()
    p.write(gatewaySource(port, 'v1'))
    expect(nresty('-p', p.dir, '--gateway', p.module, '-t')).toEqual({
      status: 0,
      stdout: '',
      stderr: `nresty: the configuration file ${p.module} syntax is ok\nnresty: configuration file ${p.module} test is successful\n`,
    })
    expect(nresty('-p', p.dir, '--gateway', p.module, '-g', 'pid x;').stderr).toBe('nresty: [emerg] "pid" directive is not supported with --gateway in command line\n')

    // detached, with one worker instead of the gateway's two
    const start = nresty('-p', p.dir, '--gateway', p.module, '-g', 'daemon on; worker_processes 1;')
    expect(start).toEqual({ status: 0, stdout: '', stderr: '' })
    expect((await get(port, '/v')).body).toBe('v1 1\n')
    expect(nresty('-p', p.dir, '-s', 'quit').status).toBe(0)
    await waitFor(() => !existsSync(join(p.dir, 'logs', 'nginx.pid')), 20_000, 'the master to exit')

    p.write("{ servers: [{ listen: '127.0.0.1:99999' }] }")
    expect(nresty('-p', p.dir, '--gateway', p.module, '-t')).toEqual({
      status: 1,
      stdout: '',
      stderr: `nresty: [emerg] invalid port in "127.0.0.1:99999" of the "listen" directive\nnresty: configuration file ${p.module} test failed\n`,
    })
  }, 60_000)
})
