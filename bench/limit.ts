// limit.req micro-benchmark: ns per `incoming(key, true)` of @nresty/limit-traffic's LimitReq on
// a 10m shared dict, next to the same algorithm in OpenResty. Debian's reference has no
// resty.limit.req, so the OpenResty side is the documented algorithm written here in Lua
// (a 16-byte FFI record {uint64 excess, uint64 last} in the dict, as upstream stores it) — not
// upstream's file. 1,000,000 calls over 1,000 keys "k" .. (i % 1000), rate and burst high
// enough that nothing is rejected; rounds interleaved. Standalone: node bench/limit.ts.
import { createZone, SharedDict } from '../packages/core/src/index.ts'
import { LimitReq } from '../packages/limit-traffic/src/index.ts'
import { nginxRound, startNginx } from './lrucache.ts'
import { cleanup, median } from './lib.ts'

const N = 1_000_000
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7)

const LUA = `
local ffi = require "ffi"
pcall(ffi.cdef, "typedef struct { uint64_t excess; uint64_t last; } bench_limit_rec;")
local rec_ptr = ffi.typeof("const bench_limit_rec*")
local rec_size = ffi.sizeof("bench_limit_rec")
local rec = ffi.new("bench_limit_rec")
local max, abs, tonumber, now = math.max, math.abs, tonumber, ngx.now
local d = ngx.shared.bench
local rate, burst = 1e6 * 1000, 1e6 * 1000

-- leaky bucket, as documented: excess and rates in 1/1000 requests, times in ms
local function incoming(key, commit)
  local ms = now() * 1000
  local excess = 0
  local v = d:get(key)
  if v ~= nil then
    if type(v) ~= "string" or #v ~= rec_size then return nil, "shdict abused by other users" end
    local r = ffi.cast(rec_ptr, v)
    excess = max(tonumber(r.excess) - rate * abs(ms - tonumber(r.last)) / 1000 + 1000, 0)
    if excess > burst then return nil, "rejected" end
  end
  if commit then
    rec.excess = excess
    rec.last = ms
    d:set(key, ffi.string(rec, rec_size))
  end
  return excess / rate, excess / 1000
end

local N = ${N}
ngx.update_time()
local t0 = now()
for i = 0, N - 1 do
  local delay, err = incoming("k" .. (i % 1000), true)
  if not delay then error(err) end
end
ngx.update_time()
ngx.say(string.format('{"incoming":%.2f}', (now() - t0) * 1e9 / N))
`

function loop(lim: LimitReq): void {
  // (one loop for both limiters: same class, one receiver type)
  for (let i = 0; i < N; i++) {
    const r = lim.incoming('k' + (i % 1000), true)
    if (!r.ok) throw new Error(r.err)
  }
}

async function main(): Promise<void> {
  const lim = new LimitReq(new SharedDict('bench', createZone('bench', '10m')), 1e6, 1e6)
  const bare = new LimitReq(new SharedDict('bench2', createZone('bench2', '10m')), 1e6, 1e6, { atomic: false })
  const ours: number[] = []
  const unlocked: number[] = []
  const theirs: number[] = []
  const ng = await startNginx('limit', LUA)
  try {
    loop(lim)
    loop(bare)
    if (typeof ng !== 'string') await nginxRound(ng.port)
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = process.hrtime.bigint()
      loop(lim)
      ours.push(Number(process.hrtime.bigint() - t0) / N)
      const t1 = process.hrtime.bigint()
      loop(bare)
      unlocked.push(Number(process.hrtime.bigint() - t1) / N)
      if (typeof ng !== 'string') theirs.push((await nginxRound(ng.port))['incoming']!)
    }
  } finally {
    cleanup()
  }
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-')
  console.log(`node ${process.version}; ${ROUNDS} rounds of ${N} incoming(key, true), median ns/op (best in brackets)` + (typeof ng === 'string' ? `; ${ng}` : ''))
  console.log('')
  console.log('| incoming(key, true) | nresty | OpenResty (documented algorithm in Lua, unlocked) | nresty / OpenResty |')
  console.log('| --- | --- | --- | --- |')
  const row = (name: string, xs: number[]): void => {
    console.log(`| ${name} | ${f(median(xs))} (${f(Math.min(...xs))}) | ${f(median(theirs))} (${f(Math.min(...theirs))}) | ${(median(xs) / median(theirs)).toFixed(2)} |`)
  }
  row('LimitReq (atomic, the default)', ours)
  row('LimitReq { atomic: false } (upstream\'s unlocked get + set)', unlocked)
}

if (import.meta.main) await main()
