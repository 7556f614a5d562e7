// The embedded mock servers, driven by real TCP and UDP clients.
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startTcpMock, startUdpMock } from '../src/mock.ts'
import type { PerlValue } from '../src/perl.ts'
import { freePort } from '../src/runner.ts'

function talk(where: number | string, send: string[], gapMs = 0): Promise<{ data: string; ms: number; ended: boolean }> {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const sock = typeof where === 'number' ? connect(where, '127.0.0.1') : connect(where)
    let data = ''
    let ended = false
    sock.setEncoding('latin1')
    sock.on('data', (d: string) => { data += d })
    sock.on('end', () => { ended = true })
    sock.on('close', () => resolve({ data, ms: Date.now() - t0, ended }))
    sock.on('connect', () => {
      void (async () => {
        for (const s of send) {
          sock.write(s)
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs))
        }
      })()
    })
    setTimeout(() => { sock.destroy(); resolve({ data, ms: Date.now() - t0, ended }) }, 1500)
  })
}

const m = (o: Record<string, PerlValue>): Map<string, PerlValue> => new Map(Object.entries(o))

describe('tcp mock', () => {
  it('checks tcp_query and sends tcp_reply packets after the delay, then closes', async () => {
    const port = await freePort()
    const mock = await startTcpMock(m({ tcp_listen: String(port), tcp_query: 'PING\r\n', tcp_reply: ['+PO', 'NG\r\n'], tcp_reply_delay: '100ms' }))
    try {
      const r = await talk(port, ['PI', 'NG\r\n'], 20)
      expect(r.data).toBe('+PONG\r\n')
      expect(r.ended).toBe(true)
      expect(r.ms).toBeGreaterThanOrEqual(100)
      expect(mock.failures()).toEqual([])
      await talk(port, ['PONG\r\n'])
      expect(mock.failures()).toEqual(['tcp_query: expected "PING\\r\\n", got "PONG\\r\\n"'])
    } finally {
      await mock.close()
    }
  })

  it('tcp_query_len, and a unix socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-mock-'))
    const path = join(dir, 'mock.sock')
    const mock = await startTcpMock(m({ tcp_listen: path, tcp_query_len: '5', tcp_reply: 'ok' }))
    try {
      expect((await talk(path, ['ab', 'cde'], 10)).data).toBe('ok')
      expect(mock.failures()).toEqual([])
    } finally {
      await mock.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('tcp_no_close keeps the connection; tcp_shutdown 1 closes the write side at once', async () => {
    const port = await freePort()
    const keep = await startTcpMock(m({ tcp_listen: String(port), tcp_reply: 'hi', tcp_no_close: '' }))
    try {
      const r = await talk(port, ['x'])
      expect(r.data).toBe('hi')
      expect(r.ended).toBe(false)
    } finally {
      await keep.close()
    }
    const port2 = await freePort()
    const shut = await startTcpMock(m({ tcp_listen: String(port2), tcp_reply: 'never', tcp_shutdown: '1' }))
    try {
      const r = await talk(port2, [])
      expect(r).toMatchObject({ data: '', ended: true })
    } finally {
      await shut.close()
    }
  })
})

describe('udp mock', () => {
  it('answers each datagram and checks udp_query', async () => {
    const port = await freePort()
    const mock = await startUdpMock(m({ udp_listen: String(port), udp_query: 'hello', udp_reply: 'world' }))
    const client = createSocket('udp4')
    try {
      const ask = (q: string): Promise<string> => new Promise((resolve) => {
        client.once('message', (msg) => resolve(msg.toString()))
        client.send(q, port, '127.0.0.1')
      })
      expect(await ask('hello')).toBe('world')
      expect(mock.failures()).toEqual([])
      expect(await ask('bye')).toBe('world')
      expect(mock.failures()).toEqual(['udp_query: expected "hello", got "bye"'])
    } finally {
      client.close()
      await mock.close()
    }
  })
})
