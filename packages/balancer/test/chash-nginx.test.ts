// resty.chash and core's ring against the reference nginx: fixtures/nginx-chash.json holds what
// nginx 1.22.1's `hash $arg_k consistent` picked for 200 keys over two upstreams (recorded by
// make-chash-fixture.ts; see the command there). With ids `host\0port` (nginxServerId), the
// same key must pick the same server. This table is the primary evidence that the points are
// bit-exact: lua-resty-balancer builds its points by the same chain from crc32(id), but it is
// not installed here, and plain Lua lacks the unfinished CRC state to recompute them.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ChashRing, nginxServerId } from '@nresty/core'
import { Chash } from '../src/chash.ts'

interface Upstream {
  readonly servers: readonly { readonly server: string; readonly weight: number }[]
  readonly picks: Readonly<Record<string, string>>
}
const fixture = JSON.parse(readFileSync(new URL('fixtures/nginx-chash.json', import.meta.url), 'utf8')) as { upstreams: Record<string, Upstream> }

describe.each(Object.entries(fixture.upstreams))('upstream %s of the reference nginx', (_name, up) => {
  const keys = Object.keys(up.picks)
  const byId = new Map(up.servers.map((s) => [nginxServerId(s.server), s.server]))

  it('has 200 keys that reach every server', () => {
    expect(keys.length).toBe(200)
    expect(new Set(Object.values(up.picks))).toEqual(new Set(up.servers.map((s) => s.server)))
  })

  it('core ChashRing (nginx mode: duplicate points dropped) picks the same server for every key', () => {
    const ring = new ChashRing(up.servers.map((s) => [nginxServerId(s.server), s.weight] as const), { dedupe: true })
    const got = Object.fromEntries(keys.map((k) => [k, up.servers[ring.nodeAt(ring.findKey(k))]!.server]))
    expect(got).toEqual(up.picks)
  })

  it('Chash with ids host\\0port (as resty.chash would take them) picks the same server', () => {
    const ch = new Chash(Object.fromEntries(up.servers.map((s) => [nginxServerId(s.server), s.weight])))
    const got = Object.fromEntries(keys.map((k) => [k, byId.get(ch.find(k)![0])]))
    expect(got).toEqual(up.picks)
  })

  it('would not match with ids in another shape (the table can tell)', () => {
    const ch = new Chash(Object.fromEntries(up.servers.map((s) => [s.server, s.weight])))
    const same = keys.filter((k) => ch.find(k)![0] === up.picks[k]).length
    expect(same).toBeLessThan(keys.length * 0.9)
  })
})
