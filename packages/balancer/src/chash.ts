// resty.chash: consistent hashing over weighted nodes, on core's ChashRing (the ring nginx's
// `hash $key consistent` uses). A node of weight w owns 160·w points; a key goes to the node of
// the first point at or after crc32(key). Changing one node's weight moves only the keys that
// node gains or loses. Every update rebuilds the ring (the points depend on the ids and weights
// only, so the result is the ring a fresh `new` would build).
import { ChashRing, ERROR_CODES, luaNumberToString, NgxApiError } from '@nresty/core'
import type { ChashId } from '@nresty/core'
import { checkId, checkWeight, nodeMap } from './internal/nodes.ts'
import type { Nodes } from './internal/nodes.ts'

/** A key: a string (hashed as UTF-8), raw bytes, or a number (hashed as Lua prints it). */
export type ChashKey = string | number | Uint8Array

/** A node id and the ring position it was found at (give the position to `next`). */
export type ChashPick = readonly [id: string, index: number]

/**
 * A consistent-hash balancer.
 *
 * @example
 * const ch = new Chash({ '127.0.0.1:8081': 1, '127.0.0.1:8082': 2 })
 * const [id, index] = ch.find('user42')!
 * const [retryId] = ch.next(index)!
 */
export class Chash {
  #nodes: Map<string, number> = new Map()
  #ids: string[] = []
  #ring: ChashRing = new ChashRing([])

  constructor(nodes: Nodes) {
    this.reinit(nodes)
  }

  /** The bytes hashed for an id: its UTF-8 bytes (the Lua binding hashes Lua strings' bytes). */
  protected idBytes(id: string): ChashId {
    return id
  }

  /** The nodes and their weights (a copy). */
  get nodes(): Map<string, number> {
    return new Map(this.#nodes)
  }

  /** The number of points on the ring (160 per unit of weight). */
  get points(): number {
    return this.#ring.size
  }

  /** Replaces all nodes. */
  reinit(nodes: Nodes): void {
    this.#nodes = nodeMap(nodes)
    this.#rebuild()
  }

  /** The node of `key` and its ring position; undefined when no node has weight. */
  find(key: ChashKey): ChashPick | undefined {
    let k: string | Uint8Array
    if (typeof key === 'number') k = luaNumberToString(key)
    else if (typeof key === 'string' || key instanceof Uint8Array) k = key
    else throw new NgxApiError(ERROR_CODES.ARG, `bad "key" argument: string or number expected, got ${key === null ? 'nil' : typeof key}`)
    return this.#pick(this.#ring.findKey(k))
  }

  /** The node of the point after `index` (where a retry goes; may be the same node). */
  next(index: number): ChashPick | undefined {
    const n = this.#ring.size
    if (!Number.isInteger(index) || index < 0 || (n > 0 && index >= n)) {
      throw new NgxApiError(ERROR_CODES.ARG, `bad "index" argument: ring position expected, got ${String(index)}`)
    }
    return this.#pick(this.#ring.next(index))
  }

  /** Sets the weight of `id` (adding it; 0 removes it). */
  set(id: string, weight: number): void {
    checkId(id)
    checkWeight(weight)
    if (weight === 0) this.delete(id)
    else if (this.#nodes.get(id) !== weight) {
      this.#nodes.set(id, weight)
      this.#rebuild()
    }
  }

  /** Removes `id` (nothing if absent). */
  delete(id: string): void {
    checkId(id)
    if (this.#nodes.delete(id)) this.#rebuild()
  }

  /** Adds `weight` to `id`'s weight (adding the node if absent). */
  incr(id: string, weight = 1): void {
    checkId(id)
    if (checkWeight(weight) === 0) return
    this.#nodes.set(id, (this.#nodes.get(id) ?? 0) + weight)
    this.#rebuild()
  }

  /** Takes `weight` from `id`'s weight; at 0 or below the node is removed. */
  decr(id: string, weight = 1): void {
    checkId(id)
    checkWeight(weight)
    const old = this.#nodes.get(id)
    if (old === undefined || weight === 0) return
    if (old <= weight) this.delete(id)
    else this.set(id, old - weight)
  }

  #pick(point: number): ChashPick | undefined {
    if (point < 0) return undefined
    return [this.#ids[this.#ring.nodeAt(point)]!, point]
  }

  #rebuild(): void {
    this.#ids = [...this.#nodes.keys()]
    this.#ring = new ChashRing(this.#ids.map((id) => [this.idBytes(id), this.#nodes.get(id)!] as const))
  }
}
