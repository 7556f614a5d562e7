// resty.roundrobin: interleaved weighted round robin. A threshold `cw` starts at the largest
// weight; each pick walks on through the nodes (in their order) to the next one whose weight
// reaches the threshold. At the end of a pass the threshold drops by the gcd of the weights,
// back to the largest weight once it reaches 0. Over one full cycle (max/gcd passes) each node
// is picked weight/gcd times. The walk starts after a random node, so that workers (each with
// its own balancer) do not all begin on the same one.
import { ERROR_CODES, NgxApiError } from '@nresty/core'
import { checkId, checkWeight, nodeMap } from './internal/nodes.ts'
import type { Nodes } from './internal/nodes.ts'

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/**
 * A weighted round-robin balancer.
 *
 * @example
 * const rr = new RoundRobin({ a: 2, b: 1 })
 * rr.find() // 'a', 'a', 'b', … in some rotation
 */
export class RoundRobin {
  #nodes: Map<string, number> = new Map()
  #ids: string[] = []
  #weights: number[] = []
  #gcd = 0
  #max = 0
  /** The current threshold. */
  #cw = 0
  /** The position of the last pick in #ids; -1: start from the first. */
  #last = -1

  constructor(nodes: Nodes) {
    this.reinit(nodes)
  }

  /** The nodes and their weights (a copy). */
  get nodes(): Map<string, number> {
    return new Map(this.#nodes)
  }

  /** Replaces all nodes (empty nodes throw `empty nodes`, as upstream); the walk restarts at a random node. */
  reinit(nodes: Nodes): void {
    const m = nodeMap(nodes)
    if (m.size === 0) throw new NgxApiError(ERROR_CODES.ARG, 'empty nodes')
    this.#nodes = m
    this.#update(undefined)
    this.#last = Math.floor(Math.random() * this.#ids.length)
    this.#cw = this.#max
  }

  /** The next node; undefined once every node was deleted. The key is ignored. */
  find(_key?: unknown): string | undefined {
    const ids = this.#ids
    const n = ids.length
    if (n === 0) return undefined
    if (n === 1) return ids[0]
    const weights = this.#weights
    let cw = this.#cw
    let i = this.#last
    for (;;) {
      for (i++; i < n; i++) {
        if (weights[i]! >= cw) {
          this.#cw = cw
          this.#last = i
          return ids[i]
        }
      }
      i = -1
      cw -= this.#gcd
      if (cw <= 0) cw = this.#max
    }
  }

  /** The same as `find` (round robin has no ring to walk). */
  next(_index?: unknown): string | undefined {
    return this.find()
  }

  /** Sets the weight of `id` (adding it; 0 removes it). */
  set(id: string, weight: number): void {
    checkId(id)
    const old = this.#nodes.get(id) ?? 0
    if (checkWeight(weight) > old) this.incr(id, weight - old)
    else if (weight < old) this.decr(id, old - weight)
  }

  /** Removes `id` (nothing if absent); if it was the last pick, the walk restarts at the first node. */
  delete(id: string): void {
    checkId(id)
    if (!this.#nodes.has(id)) return
    const lastId = this.#ids[this.#last]
    this.#nodes.delete(id)
    this.#update(lastId === id ? undefined : lastId)
  }

  /** Adds `weight` to `id`'s weight (adding the node if absent). */
  incr(id: string, weight = 1): void {
    checkId(id)
    checkWeight(weight)
    const lastId = this.#ids[this.#last]
    this.#nodes.set(id, (this.#nodes.get(id) ?? 0) + weight)
    this.#update(lastId)
  }

  /** Takes `weight` from `id`'s weight; at 0 or below the node is removed. */
  decr(id: string, weight = 1): void {
    checkId(id)
    checkWeight(weight)
    const old = this.#nodes.get(id)
    if (old === undefined) return
    if (old <= weight) return this.delete(id)
    const lastId = this.#ids[this.#last]
    this.#nodes.set(id, old - weight)
    this.#update(lastId)
  }

  /** Recomputes the arrays, gcd and max after a change, keeping the walk after `lastId`. */
  #update(lastId: string | undefined): void {
    this.#ids = [...this.#nodes.keys()]
    this.#weights = this.#ids.map((id) => this.#nodes.get(id)!)
    this.#gcd = this.#weights.reduce(gcd, 0)
    this.#max = this.#weights.reduce((a, b) => Math.max(a, b), 0)
    this.#last = lastId === undefined ? -1 : this.#ids.indexOf(lastId)
    if (this.#cw > this.#max) this.#cw = this.#max
  }
}
