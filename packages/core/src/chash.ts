// The consistent-hash ring of nginx's `hash $key consistent` (ngx_http_upstream_hash) and of
// lua-resty-balancer's resty.chash: both build the same points, so the same key lands on the
// same node in either.
//
// How the points are made: each node has an id (nginx: `host\0port` from the address written
// in `server`; resty.chash: tostring(id)). Feed the id to CRC-32 and keep that running state
// unfinished: it is the node's base. Each point then hashes the previous point's hash (4 bytes,
// little-endian; 0 for the first) on top of the base and finalizes: 160 points per unit of
// weight, chained. All points are sorted by hash (unsigned). A key hashes with plain CRC-32
// and takes the first point whose hash is >= the key's, wrapping past the last point to the
// first; retries walk on to the next points.
import { crc32 } from 'node:zlib'

/** Points per unit of weight, as nginx and lua-resty-balancer make them. */
export const CHASH_POINTS_PER_WEIGHT = 160

/** A node id: a string (hashed as its UTF-8 bytes) or raw bytes. */
export type ChashId = string | Uint8Array

export interface ChashRingOptions {
  /**
   * Drop the points whose hash another point already has, keeping one (nginx does, after
   * sorting; resty.chash keeps them all). Default false.
   */
  readonly dedupe?: boolean
}

/** Nodes are numbered in 21 bits inside the sort key (hash * 2^21 + node < 2^53). */
const MAX_NODES = 1 << 21
const NODE_SCALE = 2 ** 21

/**
 * The standard CRC-32 of a string's UTF-8 bytes (or of raw bytes), unsigned: the key hash, and
 * what ngx.crc32_short / ngx.crc32_long answer.
 *
 * @example
 * crc32String('hello') // 907060870
 */
export function crc32String(s: ChashId): number {
  return crc32(s)
}

/**
 * The id nginx hashes for a `server` address as written in the conf: `host\0port`, split at
 * the last `:` (no `:`: port "80"); a `unix:` address hashes its path and `\0` (empty port).
 *
 * @example
 * nginxServerId('127.0.0.1:8080') // '127.0.0.1\0' + '8080'
 */
export function nginxServerId(server: string): string {
  if (server.length >= 5 && server.slice(0, 5).toLowerCase() === 'unix:') return `${server.slice(5)}\0`
  const colon = server.lastIndexOf(':')
  if (colon === -1) return `${server}\0` + '80'
  return `${server.slice(0, colon)}\0${server.slice(colon + 1)}`
}

/** The CRC-32 table (reflected polynomial 0xedb88320), for the 4-byte chaining steps. */
const TABLE = new Uint32Array(256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  TABLE[n] = c
}

/**
 * The points of one node, in the order they are chained (not sorted): `count` hashes.
 *
 * @example
 * chashPointsOf('a', 160).length // 160
 */
export function chashPointsOf(id: ChashId, count: number): Uint32Array {
  const out = new Uint32Array(count)
  // the running (unfinalized) CRC state after the id's bytes
  const base = ~crc32(id)
  let prev = 0
  for (let i = 0; i < count; i++) {
    // CRC-32 of the base followed by prev's 4 bytes, little-endian, finalized
    let c = base
    c = TABLE[(c ^ prev) & 0xff]! ^ (c >>> 8)
    c = TABLE[(c ^ (prev >>> 8)) & 0xff]! ^ (c >>> 8)
    c = TABLE[(c ^ (prev >>> 16)) & 0xff]! ^ (c >>> 8)
    c = TABLE[(c ^ (prev >>> 24)) & 0xff]! ^ (c >>> 8)
    prev = ~c >>> 0
    out[i] = prev
  }
  return out
}

function checkWeight(weight: unknown, i: number): number {
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
    throw new RangeError(`bad weight of node #${i + 1}: a non-negative integer expected, got ${String(weight)}`)
  }
  return weight
}

/**
 * A consistent-hash ring over weighted nodes. Lookups are a binary search over a sorted
 * Uint32Array; a point index names a point, `nodeAt` its node (in the order given).
 *
 * @example
 * const ring = new ChashRing([['127.0.0.1\0' + '8081', 1], ['127.0.0.1\0' + '8082', 2]])
 * const p = ring.findKey('user42')
 * ring.idAt(p) // the node's id; ring.next(p) is where a retry goes
 */
export class ChashRing {
  /** Point hashes, ascending. */
  readonly #hashes: Uint32Array
  /** The node of each point. */
  readonly #nodes: Uint32Array
  readonly #ids: readonly ChashId[]

  constructor(nodes: Iterable<readonly [id: ChashId, weight: number]>, options: ChashRingOptions = {}) {
    const ids: ChashId[] = []
    const weights: number[] = []
    let total = 0
    for (const [id, weight] of nodes) {
      if (typeof id !== 'string' && !(id instanceof Uint8Array)) throw new TypeError(`bad id of node #${ids.length + 1}: a string or bytes expected`)
      total += checkWeight(weight, ids.length) * CHASH_POINTS_PER_WEIGHT
      ids.push(id)
      weights.push(weight)
    }
    if (ids.length > MAX_NODES) throw new RangeError(`too many nodes: ${ids.length}`)
    if (total > 0xffffffff) throw new RangeError('too many points')
    // One float per point, hash * 2^21 + node: a numeric sort orders by hash, ties by node.
    const keys = new Float64Array(total)
    let n = 0
    for (let node = 0; node < ids.length; node++) {
      const points = chashPointsOf(ids[node]!, weights[node]! * CHASH_POINTS_PER_WEIGHT)
      for (let j = 0; j < points.length; j++) keys[n++] = points[j]! * NODE_SCALE + node
    }
    keys.sort()
    const hashes = new Uint32Array(total)
    const owners = new Uint32Array(total)
    let m = 0
    for (let i = 0; i < total; i++) {
      const k = keys[i]!
      const h = Math.floor(k / NODE_SCALE)
      if (options.dedupe === true && m > 0 && hashes[m - 1] === h) continue
      hashes[m] = h
      owners[m++] = k - h * NODE_SCALE
    }
    this.#hashes = m === total ? hashes : hashes.slice(0, m)
    this.#nodes = m === total ? owners : owners.slice(0, m)
    this.#ids = ids
  }

  /** The number of points on the ring. */
  get size(): number {
    return this.#hashes.length
  }

  /** The node ids, in the order given (what `nodeAt` indexes). */
  get ids(): readonly ChashId[] {
    return this.#ids
  }

  /** The point a key hash maps to: the first with hash >= `hash`, wrapping; -1 on an empty ring. */
  find(hash: number): number {
    const hashes = this.#hashes
    const n = hashes.length
    if (n === 0) return -1
    const h = hash >>> 0
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (hashes[mid]! < h) lo = mid + 1
      else hi = mid
    }
    return lo === n ? 0 : lo
  }

  /** The point of a key: `find(crc32String(key))`. */
  findKey(key: ChashId): number {
    return this.find(crc32(key))
  }

  /** The point after `point`, wrapping (where nginx and resty.chash retry). */
  next(point: number): number {
    const n = this.#hashes.length
    if (n === 0) return -1
    return (point + 1) % n
  }

  /** The node (index into `ids`) owning `point`. */
  nodeAt(point: number): number {
    const node = this.#nodes[point]
    if (node === undefined) throw new RangeError(`bad point index: ${point}`)
    return node
  }

  /** The id of the node owning `point`. */
  idAt(point: number): ChashId {
    return this.#ids[this.nodeAt(point)]!
  }

  /** The hash of `point`. */
  hashAt(point: number): number {
    const h = this.#hashes[point]
    if (h === undefined) throw new RangeError(`bad point index: ${point}`)
    return h
  }
}
