// The node table every balancer takes (`{ [id]: weight }` in Lua), and the argument checks
// shared by chash, roundrobin and swrr.
import { ERROR_CODES, NgxApiError } from '@nresty/core'

/** Node ids and their weights: an object (`{ a: 1, b: 2 }`) or a Map. */
export type Nodes = Readonly<Record<string, number>> | ReadonlyMap<string, number>

function typeName(v: unknown): string {
  return v === null || v === undefined ? 'nil' : typeof v
}

export function checkId(id: unknown): string {
  if (typeof id !== 'string') throw new NgxApiError(ERROR_CODES.ARG, `bad "id" argument: string expected, got ${typeName(id)}`)
  return id
}

/** A weight: a non-negative integer (160 ring points per unit for chash). */
export function checkWeight(weight: unknown, what = '"weight" argument'): number {
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0) {
    const got = typeof weight === 'number' ? String(weight) : typeName(weight)
    throw new NgxApiError(ERROR_CODES.ARG, `bad ${what}: non-negative integer expected, got ${got}`)
  }
  return weight
}

/** A checked copy of `nodes`, in their iteration order. */
export function nodeMap(nodes: unknown): Map<string, number> {
  if (typeof nodes !== 'object' || nodes === null) throw new NgxApiError(ERROR_CODES.ARG, `bad "nodes" argument: table of id -> weight expected, got ${typeName(nodes)}`)
  const entries = nodes instanceof Map ? (nodes as Map<unknown, unknown>).entries() : Object.entries(nodes)
  const out = new Map<string, number>()
  for (const [id, weight] of entries) {
    if (typeof id !== 'string') throw new NgxApiError(ERROR_CODES.ARG, `bad "nodes" argument: string ids expected, got ${typeName(id)}`)
    out.set(id, checkWeight(weight, `weight of node "${id}"`))
  }
  return out
}
