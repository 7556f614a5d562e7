// Config assembly: the three parts, TEST_NGINX_* expansion, user_files, the per-target lines.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assembleConf, expandTestNginxVars, parseUserFiles, writeServerRoot } from '../src/config.ts'
import type { ConfInput } from '../src/config.ts'
import { defaultPreamble } from '../src/parse.ts'
import type { PerlValue } from '../src/perl.ts'

function input(values: Record<string, PerlValue>, over: Partial<ConfInput> = {}): ConfInput {
  return {
    target: 'nginx', preamble: defaultPreamble(), values: new Map(Object.entries(values)),
    env: { TEST_NGINX_SERVER_PORT: '1984', TEST_NGINX_HTML_DIR: '/s/html' }, serverRoot: '/s', port: 1984,
    modules: ['/m/ndk_http_module.so'], runAsRoot: true, ...over,
  }
}

describe('assembleConf', () => {
  it('puts each part where Test::Nginx puts it', () => {
    const conf = assembleConf(input({
      main_config: 'env MAIN_MARK;', http_config: 'lua_shared_dict d 1m;', post_main_config: '# post',
      config: '    location = /t { return 200 "$TEST_NGINX_HTML_DIR"; }',
    }))
    const at = (s: string): number => conf.indexOf(s)
    expect(at('load_module /m/ndk_http_module.so;')).toBe(0)
    expect(at('user root;')).toBeGreaterThan(0)
    expect(conf).toContain('daemon off;\nmaster_process off;\nerror_log logs/error.log debug;')
    expect(at('env MAIN_MARK;')).toBeLessThan(at('http {'))
    expect(at('default_type text/plain;')).toBeLessThan(at('lua_shared_dict d 1m;'))
    expect(at('lua_shared_dict d 1m;')).toBeLessThan(at('listen          1984;'))
    expect(conf).toContain(`server_name     'localhost';`)
    expect(conf).toContain('return 200 "/s/html";')
    expect(at('location / {')).toBeGreaterThan(at('location = /t'))
    expect(at('# post')).toBeGreaterThan(at('http {'))
    expect(at('# post')).toBeLessThan(at('events {'))
    expect(conf).toContain('worker_connections  64;')
    expect(conf).toContain('client_body_temp_path /s/client_body_temp;')
  })

  it('nresty: no load_module, temp paths or static root location', () => {
    const conf = assembleConf(input({ config: 'location = /t { return 200; }' }, { target: 'nresty' }))
    expect(conf).not.toMatch(/load_module|_temp_path|root html|user root/)
  })

  it('preamble settings: workers, master, log level, env_to_nginx, no_root_location', () => {
    const p = { ...defaultPreamble(), workers: 3, masterOn: true, logLevel: 'warn', envToNginx: ['FOO'], noRootLocation: true }
    const conf = assembleConf(input({ config: '' }, { preamble: p }))
    expect(conf).toContain('worker_processes  3;')
    expect(conf).toContain('master_process on;')
    expect(conf).toContain('error_log logs/error.log warn;')
    expect(conf).toContain('env FOO;')
    expect(conf).not.toContain('location / {')
    expect(assembleConf(input({ config: '', log_level: 'info\n' }))).toContain('error_log logs/error.log info;')
  })

  it('a config with its own location / gets no default one', () => {
    expect(assembleConf(input({ config: '    location / { return 200; }' }))).not.toContain('root html;')
  })

  it('server_name overrides localhost', () => {
    expect(assembleConf(input({ config: '', server_name: 'example.com\n' }))).toContain(`server_name     'example.com';`)
  })
})

describe('expandTestNginxVars', () => {
  it('expands $NAME and ${NAME}; an undefined name is an error', () => {
    const env = { TEST_NGINX_SERVER_PORT: '1984', TEST_NGINX_RAND_PORT_1: '40000' }
    expect(expandTestNginxVars('127.0.0.1:$TEST_NGINX_SERVER_PORT/${TEST_NGINX_RAND_PORT_1}x', env)).toBe('127.0.0.1:1984/40000x')
    expect(expandTestNginxVars('$server_port $uri', env)).toBe('$server_port $uri')
    expect(() => expandTestNginxVars('$TEST_NGINX_NOPE', env)).toThrow('No environment $TEST_NGINX_NOPE defined')
  })
})

describe('user_files', () => {
  it('>>> chunks with optional mtimes, and the Perl array form', () => {
    expect(parseUserFiles('>>> index.html\n<h1>hi</h1>\n>>> sub/a.txt 1409097600\nA\n')).toEqual([
      { name: 'index.html', content: '<h1>hi</h1>\n' },
      { name: 'sub/a.txt', content: 'A\n', mtime: 1409097600 },
    ])
    expect(parseUserFiles([['a.lua', 'return 1'], ['b.txt', 'B', 5]])).toEqual([
      { name: 'a.lua', content: 'return 1' }, { name: 'b.txt', content: 'B', mtime: 5 },
    ])
    expect(() => parseUserFiles('stray\n>>> a\n')).toThrow(/must start/)
  })

  it('writes the conf and the files under the server root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-conf-'))
    try {
      writeServerRoot(dir, 'events {}\n', [{ name: 'd/e/f.txt', content: 'F\n' }])
      expect(readFileSync(join(dir, 'conf', 'nginx.conf'), 'utf8')).toBe('events {}\n')
      expect(readFileSync(join(dir, 'html', 'd', 'e', 'f.txt'), 'utf8')).toBe('F\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
