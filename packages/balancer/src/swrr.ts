// resty.swrr: smooth weighted round robin, nginx's own upstream algorithm. Each node keeps a
// running score; on every pick all scores grow by their node's weight, the highest score wins
// (the first one on a tie) and pays back the sum of the weights. The picks of a cycle follow
// the weights exactly and are spread out: { a: 5, b: 1, c: 1 } gives a a b a c a a, not
// a a a a a b c. Scores start at 0, as in nginx.
import { ERROR_CODES, NgxApiError } from '@nresty/core'
import { checkId, checkWeight, nodeMap } from './internal/nodes.ts'
import type { Nodes } from './internal/nodes.ts'

/**
 * A smooth weighted round-robin balancer.
 *
 * @example
 * const sw = new Swrr({ a: 5, b: 1, c: 1 })
 * Array.from({ length: 7 }, () => sw.find()).join(' ') // 'a a b a c a a'
 */
export class Swrr {
  #nodes: Map<string, number> = new Map()
  #ids: string[] = []
  #weights: number[] = []
  /** The running score of each node (same positions as #ids). */
  #current: number[] = []
  #total = 0

  constructor(nodes: Nodes) {
    this.reinit(nodes)
  }

  /** The nodes and their weights (a copy). */
  get nodes(): Map<string, number> {
    return new Map(this.#nodes)
  }

  /** Replaces all nodes (empty nodes throw `empty nodes`); all scores restart at 0. */
  reinit(nodes: Nodes): void {
    const m = nodeMap(nodes)
    if (m.size === 0) throw new NgxApiError(ERROR_CODES.ARG, 'empty nodes')
    this.#nodes = m
    this.#current = []
    this.#update(new Map())
  }

  /** The next node; undefined once every node was deleted. The key is ignored. */
  find(_key?: unknown): string | undefined {
    const n = this.#ids.length
    if (n === 0) return undefined
    const current = this.#current
    const weights = this.#weights
    let best = 0
    for (let i = 0; i < n; i++) {
      current[i]! += weights[i]!
      if (current[i]! > current[best]!) best = i
    }
    current[best]! -= this.#total
    return this.#ids[best]
  }

  /** The same as `find`. */
  next(_index?: unknown): string | undefined {
    return this.find()
  }

  /** Sets the weight of `id` (adding it with score 0; 0 removes it). Other scores are kept. */
  set(id: string, weight: number): void {
    checkId(id)
    if (checkWeight(weight) === 0) return this.delete(id)
    if (this.#nodes.get(id) === weight) return
    const scores = this.#scores()
    this.#nodes.set(id, weight)
    this.#update(scores)
  }

  /** Removes `id` (nothing if absent). */
  delete(id: string): void {
    checkId(id)
    const scores = this.#scores()
    if (this.#nodes.delete(id)) this.#update(scores)
  }

  /** Adds `weight` to `id`'s weight (adding the node if absent). */
  incr(id: string, weight = 1): void {
    checkId(id)
    if (checkWeight(weight) === 0) return
    this.set(id, (this.#nodes.get(id) ?? 0) + weight)
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

  #scores(): Map<string, number> {
    return new Map(this.#ids.map((id, i) => [id, this.#current[i]!]))
  }

  #update(scores: ReadonlyMap<string, number>): void {
    this.#ids = [...this.#nodes.keys()]
    this.#weights = this.#ids.map((id) => this.#nodes.get(id)!)
    this.#current = this.#ids.map((id) => scores.get(id) ?? 0)
    this.#total = this.#weights.reduce((a, b) => a + b, 0)
  }
}
