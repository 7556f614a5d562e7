// Crash recovery and consistency checks of a shared-dict zone. A thread may die inside an
// operation (terminate(), an uncaught error, OOM) with the lock held and a mutation half done.
// The entry records describe themselves (kind, owner, commit marker, last-use stamp), so
// rebuildZone() drops uncommitted records, repairs list chains and rebuilds the hash index, the
// LRU list (by stamp), the free list and the counters from them. checkZone() walks everything
// and names what is inconsistent.
import {
  elemChunks,
  entryChunks,
  hashBytes,
  isZone,
  keyBuffer,
  Zone,
  ZONE,
} from './shdict-zone.ts'

const {
  C_OWNER,
  CHUNK,
  E_BNEXT,
  E_FIRST,
  E_HASH,
  E_LAST,
  E_LNEXT,
  E_NEXT,
  E_PREV,
  E_VLEN,
  EF_STAMP,
  H_BUMP,
  H_ENTRIES,
  H_FREE_COUNT,
  H_FREE_HEAD,
  H_LOCK,
  H_LRU_HEAD,
  H_LRU_TAIL,
  HF_STAMP,
  K_CONT,
  K_ELEM,
  K_ENTRY,
  K_FREE,
  L_LNEXT,
  L_OWNER,
  L_PREV,
  L_VLEN,
  MAX_KEY_LEN,
  OWNER_ID,
  OWNER_MASK,
  T_LIST,
  T_NUM,
  T_STR,
} = ZONE

const kindOf = (z: Zone, c: number): number => (z.i32[c << 5] as number) & 0xff
const typeOf = (z: Zone, c: number): number => ((z.i32[c << 5] as number) >> 8) & 0xff
const inRange = (z: Zone, c: number): boolean => c >= z.first && c < z.nChunks

/**
 * Claims the continuation chunks of the record at `head` that needs `n` chunks in all for
 * `owner` in `owners`; false (claiming nothing) when the chain is not exactly that.
 */
function claimChain(z: Zone, owners: Int32Array, head: number, n: number): boolean {
  let c = head
  for (let k = 1; k < n; k++) {
    c = z.i32[(c << 5) + E_NEXT] as number
    if (!inRange(z, c) || owners[c] !== 0 || kindOf(z, c) !== K_CONT || z.i32[(c << 5) + C_OWNER] !== head) {
      return false
    }
  }
  if (z.i32[(c << 5) + E_NEXT] !== 0) return false
  c = head
  owners[c] = head
  for (let k = 1; k < n; k++) {
    c = z.i32[(c << 5) + E_NEXT] as number
    owners[c] = head
  }
  return true
}

function releaseChain(z: Zone, owners: Int32Array, head: number): void {
  for (let c = head; c !== 0 && inRange(z, c) && owners[c] === head; c = z.i32[(c << 5) + E_NEXT] as number) {
    owners[c] = 0
  }
}

/** A problem with the entry head `e` itself (not its list), or '' when it is sound. */
function entryProblem(z: Zone, e: number): string {
  const w = e << 5
  const type = typeOf(z, e)
  const klen = (z.i32[w] as number) >>> 16
  if (type < T_NUM || type > T_LIST) return `entry ${e}: bad value type ${type}`
  if (klen < 1 || klen > MAX_KEY_LEN) return `entry ${e}: bad key length ${klen}`
  const vlen = z.i32[w + E_VLEN] as number
  if (vlen < 0 || (type === T_STR && vlen > z.nChunks * CHUNK)) return `entry ${e}: bad value length ${vlen}`
  return ''
}

function payloadChunks(z: Zone, e: number): number {
  const w = e << 5
  const type = typeOf(z, e)
  return entryChunks(((z.i32[w] as number) >>> 16) + (type === T_STR ? (z.i32[w + E_VLEN] as number) : 0))
}

/** Claims a list's elements, cutting the chain at the first bad link; returns the count. */
function claimList(z: Zone, owners: Int32Array, e: number): number {
  const i32 = z.i32
  const w = e << 5
  let prev = 0
  let count = 0
  let el = i32[w + E_FIRST] as number
  while (el !== 0) {
    const lw = el << 5
    const type = inRange(z, el) ? typeOf(z, el) : 0
    const len = i32[lw + L_VLEN] as number
    const ok =
      type !== 0 &&
      owners[el] === 0 &&
      kindOf(z, el) === K_ELEM &&
      i32[lw + L_OWNER] === e &&
      (type === T_NUM || (type === T_STR && len >= 0 && len <= z.nChunks * CHUNK)) &&
      claimChain(z, owners, el, elemChunks(type === T_STR ? len : 0))
    if (!ok) break
    i32[lw + L_PREV] = prev
    prev = el
    count++
    el = i32[lw + L_LNEXT] as number
  }
  if (prev !== 0) i32[(prev << 5) + L_LNEXT] = 0
  else i32[w + E_FIRST] = 0
  i32[w + E_LAST] = prev
  i32[w + E_VLEN] = count
  return count
}

function releaseList(z: Zone, owners: Int32Array, e: number): void {
  for (let el = z.i32[(e << 5) + E_FIRST] as number; el !== 0; el = z.i32[(el << 5) + L_LNEXT] as number) {
    releaseChain(z, owners, el)
  }
}

function keyHash(z: Zone, e: number): number {
  const key = z.keyOf(e)
  return hashBytes(key, key.length)
}

/**
 * Rebuilds the zone's indexes from its records, keeping every committed entry whose record is
 * sound; the caller holds the lock (a dead thread's, or its own after an exception).
 */
export function rebuildZone(z: Zone): void {
  const i32 = z.i32
  const f64 = z.f64
  const owners = new Int32Array(z.nChunks)
  const heads: number[] = []
  for (let c = z.first; c < z.nChunks; c++) {
    if (kindOf(z, c) !== K_ENTRY || owners[c] !== 0 || entryProblem(z, c) !== '') continue
    if (!claimChain(z, owners, c, payloadChunks(z, c))) continue
    if (keyHash(z, c) !== i32[(c << 5) + E_HASH]) {
      releaseChain(z, owners, c)
      continue
    }
    if (typeOf(z, c) === T_LIST && claimList(z, owners, c) === 0) {
      releaseChain(z, owners, c)
      continue
    }
    heads.push(c)
  }
  // The hash index; of two records with one key the later used one stays.
  for (let b = 0; b <= z.mask; b++) i32[z.buckets + b] = 0
  const kept: number[] = []
  const stampOf = (e: number): number => {
    const s = f64[(e << 4) + EF_STAMP] as number
    return Number.isFinite(s) ? s : 0
  }
  for (const e of heads) {
    const key = z.keyOf(e)
    keyBuffer().set(key)
    z.kLen = key.length
    z.kHash = i32[(e << 5) + E_HASH] as number
    const dup = z.find()
    if (dup !== 0) {
      const drop = stampOf(dup) >= stampOf(e) ? e : dup
      if (drop === dup) {
        unlinkFromBucket(z, dup)
        kept.splice(kept.indexOf(dup), 1)
      }
      if (typeOf(z, drop) === T_LIST) releaseList(z, owners, drop)
      releaseChain(z, owners, drop)
      i32[drop << 5] = K_FREE
      if (drop === e) continue
    }
    const slot = z.buckets + (z.kHash & z.mask)
    i32[(e << 5) + E_BNEXT] = i32[slot] as number
    i32[slot] = e
    kept.push(e)
  }
  // The LRU list, most recently used first, and the stamp counter.
  kept.sort((a, b) => stampOf(b) - stampOf(a) || a - b)
  let maxStamp = Number.isFinite(f64[HF_STAMP]) ? (f64[HF_STAMP] as number) : 0
  let prev = 0
  for (const e of kept) {
    const w = e << 5
    i32[w + E_PREV] = prev
    i32[w + E_LNEXT] = 0
    if (prev !== 0) i32[(prev << 5) + E_LNEXT] = e
    maxStamp = Math.max(maxStamp, stampOf(e))
    prev = e
  }
  // Stamps must strictly decrease from the head: renumber them in list order.
  let s = maxStamp + kept.length
  for (const e of kept) f64[(e << 4) + EF_STAMP] = s--
  f64[HF_STAMP] = maxStamp + kept.length
  i32[H_LRU_HEAD] = kept[0] ?? 0
  i32[H_LRU_TAIL] = prev
  i32[H_ENTRIES] = kept.length
  // Chunks from the bump mark on were never used; below it, everything not owned is free.
  let bump = i32[H_BUMP] as number
  if (!(bump >= z.first && bump <= z.nChunks)) bump = z.nChunks
  for (let c = z.nChunks - 1; c >= bump; c--) {
    if (owners[c] !== 0) {
      bump = c + 1
      break
    }
  }
  let freeHead = 0
  let freeCount = z.nChunks - bump
  for (let c = bump - 1; c >= z.first; c--) {
    if (owners[c] !== 0) continue
    i32[c << 5] = K_FREE
    i32[(c << 5) + E_NEXT] = freeHead
    freeHead = c
    freeCount++
  }
  i32[H_BUMP] = bump
  i32[H_FREE_HEAD] = freeHead
  i32[H_FREE_COUNT] = freeCount
}

function unlinkFromBucket(z: Zone, e: number): void {
  const i32 = z.i32
  const slot = z.buckets + ((i32[(e << 5) + E_HASH] as number) & z.mask)
  if (i32[slot] === e) {
    i32[slot] = i32[(e << 5) + E_BNEXT] as number
    return
  }
  for (let c = i32[slot] as number; c !== 0; c = i32[(c << 5) + E_BNEXT] as number) {
    if (i32[(c << 5) + E_BNEXT] === e) {
      i32[(c << 5) + E_BNEXT] = i32[(e << 5) + E_BNEXT] as number
      return
    }
  }
}

/** Called when a thread exited: repairs the zone if `deadOwnerId` held its lock. */
export function recoverZoneLock(sab: SharedArrayBuffer, deadOwnerId: number): boolean {
  const i32 = new Int32Array(sab, 0, 4)
  const v = Atomics.load(i32, H_LOCK)
  if (v === 0 || (v & OWNER_MASK) !== deadOwnerId) return false
  rebuildZone(new Zone(sab))
  Atomics.store(i32, H_LOCK, 0)
  Atomics.notify(i32, H_LOCK)
  return true
}

/** Takes the lock within `ms`, or returns false. */
function lockWithin(z: Zone, ms: number): boolean {
  const deadline = performance.now() + ms
  for (;;) {
    if (Atomics.compareExchange(z.i32, H_LOCK, 0, OWNER_ID) === 0) return true
    const left = deadline - performance.now()
    if (left <= 0) return false
    const v = Atomics.load(z.i32, H_LOCK)
    if (v !== 0) Atomics.wait(z.i32, H_LOCK, v, Math.min(left, 5))
  }
}

/** Everything inconsistent in the zone, or [] (takes the lock for up to a second). */
export function checkZoneProblems(sab: SharedArrayBuffer): string[] {
  if (!isZone(sab)) return ['not a shared dict zone']
  const z = new Zone(sab)
  if (!lockWithin(z, 1000)) return [`lock held by owner ${(Atomics.load(z.i32, H_LOCK) & OWNER_MASK) >>> 0}`]
  try {
    return checkLocked(z)
  } finally {
    z.unlock()
  }
}

function checkLocked(z: Zone): string[] {
  const problems: string[] = []
  const i32 = z.i32
  const f64 = z.f64
  const owners = new Int32Array(z.nChunks)
  const inIndex = new Uint8Array(z.nChunks)
  let entries = 0
  // Hash index: every chain ends (a cycle meets an entry twice), holds committed, sound
  // entries of its bucket, no key twice.
  for (let b = 0; b <= z.mask; b++) {
    const chain: number[] = []
    for (let e = i32[z.buckets + b] as number; e !== 0; e = i32[(e << 5) + E_BNEXT] as number) {
      if (!inRange(z, e)) {
        problems.push(`bucket ${b}: chunk ${e} out of range`)
        break
      }
      if (inIndex[e] !== 0) {
        problems.push(`bucket ${b}: entry ${e} indexed twice`)
        break
      }
      inIndex[e] = 1
      if (kindOf(z, e) !== K_ENTRY) problems.push(`bucket ${b}: entry ${e} has kind ${kindOf(z, e)}`)
      const p = entryProblem(z, e)
      if (p !== '') {
        problems.push(p)
        continue
      }
      const h = i32[(e << 5) + E_HASH] as number
      if ((h & z.mask) !== b) problems.push(`entry ${e}: in bucket ${b}, hash says ${h & z.mask}`)
      if (keyHash(z, e) !== h) problems.push(`entry ${e}: stored hash does not match its key`)
      if (!claimChain(z, owners, e, payloadChunks(z, e))) problems.push(`entry ${e}: bad chunk chain`)
      if (typeOf(z, e) === T_LIST) checkList(z, owners, e, problems)
      for (const o of chain) {
        if (i32[(o << 5) + E_HASH] === h && sameKey(z, o, e)) problems.push(`entries ${o} and ${e}: same key`)
      }
      chain.push(e)
      entries++
    }
  }
  // LRU list: doubly linked, covers the index exactly, stamps strictly decreasing.
  let prev = 0
  let count = 0
  let lastStamp = Infinity
  const inLru = new Uint8Array(z.nChunks)
  for (let e = i32[H_LRU_HEAD] as number; e !== 0; e = i32[(e << 5) + E_LNEXT] as number) {
    if (!inRange(z, e) || inLru[e] !== 0) {
      problems.push(`lru: bad or repeated link to ${e}`)
      break
    }
    inLru[e] = 1
    if (inIndex[e] === 0) problems.push(`lru: entry ${e} is not in the index`)
    if (i32[(e << 5) + E_PREV] !== prev) problems.push(`lru: entry ${e} prev is ${i32[(e << 5) + E_PREV]}, not ${prev}`)
    const s = f64[(e << 4) + EF_STAMP] as number
    if (!(s < lastStamp)) problems.push(`lru: entry ${e} stamp ${s} not below ${lastStamp}`)
    if (s > (f64[HF_STAMP] as number)) problems.push(`lru: entry ${e} stamp ${s} above the counter`)
    lastStamp = s
    prev = e
    count++
  }
  if (i32[H_LRU_TAIL] !== prev) problems.push(`lru: tail is ${i32[H_LRU_TAIL]}, the walk ends at ${prev}`)
  if (count !== entries) problems.push(`lru: ${count} entries, the index has ${entries}`)
  if (i32[H_ENTRIES] !== entries) problems.push(`header: ${i32[H_ENTRIES]} entries counted, ${entries} indexed`)
  // Free list: free chunks below the never-used mark only, counted right, and with the records
  // it accounts for every chunk.
  const bump = i32[H_BUMP] as number
  if (!(bump >= z.first && bump <= z.nChunks)) {
    problems.push(`header: bad mark of never used chunks ${bump}`)
    return problems
  }
  let free = 0
  for (let c = i32[H_FREE_HEAD] as number; c !== 0; c = i32[(c << 5) + E_NEXT] as number) {
    if (!inRange(z, c) || c >= bump || owners[c] !== 0) {
      problems.push(`free list: bad or repeated chunk ${c}`)
      break
    }
    if (kindOf(z, c) !== K_FREE) problems.push(`free list: chunk ${c} has kind ${kindOf(z, c)}`)
    owners[c] = -1
    free++
  }
  if (free + z.nChunks - bump !== i32[H_FREE_COUNT]) {
    problems.push(`free list: ${free} chunks and ${z.nChunks - bump} never used, the header says ${i32[H_FREE_COUNT]}`)
  }
  let lost = 0
  for (let c = z.first; c < bump; c++) if (owners[c] === 0) lost++
  if (lost !== 0) problems.push(`${lost} chunks neither free nor owned by an entry`)
  for (let c = bump; c < z.nChunks; c++) if (owners[c] !== 0) problems.push(`chunk ${c} is used beyond the mark ${bump}`)
  return problems
}

function checkList(z: Zone, owners: Int32Array, e: number, problems: string[]): void {
  const i32 = z.i32
  const w = e << 5
  let prev = 0
  let count = 0
  for (let el = i32[w + E_FIRST] as number; el !== 0; el = i32[(el << 5) + L_LNEXT] as number) {
    const lw = el << 5
    if (!inRange(z, el) || owners[el] !== 0 || kindOf(z, el) !== K_ELEM || i32[lw + L_OWNER] !== e) {
      problems.push(`list ${e}: bad element ${el}`)
      return
    }
    if (i32[lw + L_PREV] !== prev) problems.push(`list ${e}: element ${el} prev is ${i32[lw + L_PREV]}, not ${prev}`)
    const type = typeOf(z, el)
    const len = i32[lw + L_VLEN] as number
    if (type !== T_NUM && type !== T_STR) problems.push(`list ${e}: element ${el} has type ${type}`)
    if (!claimChain(z, owners, el, elemChunks(type === T_STR ? len : 0))) {
      problems.push(`list ${e}: element ${el} has a bad chunk chain`)
      return
    }
    prev = el
    count++
  }
  if (count === 0) problems.push(`list ${e}: empty`)
  if (i32[w + E_LAST] !== prev) problems.push(`list ${e}: last is ${i32[w + E_LAST]}, the walk ends at ${prev}`)
  if (i32[w + E_VLEN] !== count) problems.push(`list ${e}: length ${i32[w + E_VLEN]}, ${count} elements`)
}

function sameKey(z: Zone, a: number, b: number): boolean {
  const ka = z.keyOf(a)
  const kb = z.keyOf(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return false
  return true
}
