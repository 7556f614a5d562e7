// Phases, spelled as ngx.get_phase() returns them, and the per-API context checks that
// ngx_lua performs ("API disabled in the context of …").
import { phaseError } from './errors.ts'

export type Phase =
  | 'init'
  | 'init_worker'
  | 'exit_worker'
  | 'set'
  | 'server_rewrite'
  | 'rewrite'
  | 'access'
  | 'content'
  | 'header_filter'
  | 'body_filter'
  | 'log'
  | 'timer'
  | 'balancer'

/** One bit per phase, so an API checks its allowed set with one AND. */
export const PHASE_BIT: Readonly<Record<Phase, number>> = {
  init: 1 << 0,
  init_worker: 1 << 1,
  exit_worker: 1 << 2,
  set: 1 << 3,
  server_rewrite: 1 << 4,
  rewrite: 1 << 5,
  access: 1 << 6,
  content: 1 << 7,
  header_filter: 1 << 8,
  body_filter: 1 << 9,
  log: 1 << 10,
  timer: 1 << 11,
  balancer: 1 << 12,
}

const B = PHASE_BIT
/** rewrite, access, content (server_rewrite counts as rewrite, as in ngx_lua). */
export const CTX_RAC: number = B.server_rewrite | B.rewrite | B.access | B.content
/** The phases of a request from set to log. */
export const CTX_REQUEST: number =
  B.set | CTX_RAC | B.header_filter | B.body_filter | B.log
/** Where ngx.var, ngx.status and ngx.resp.get_headers work. */
export const CTX_VAR: number = CTX_REQUEST | B.balancer
/** ngx.header: rewrite … log. */
export const CTX_HEADER: number = CTX_RAC | B.header_filter | B.body_filter | B.log
/** ngx.exit. */
export const CTX_EXIT: number = CTX_RAC | B.header_filter | B.timer | B.balancer
/** ngx.req.set_header and friends. */
export const CTX_REQ_WRITE: number = B.set | CTX_RAC | B.header_filter | B.body_filter
/** ngx.req.get_body_data. */
export const CTX_BODY_DATA: number = CTX_RAC | B.log
/** ngx.req.get_post_args. */
export const CTX_POST_ARGS: number = CTX_RAC | B.header_filter | B.body_filter | B.log
/** ngx.ctx. */
export const CTX_CTX: number = CTX_REQUEST | B.init_worker | B.timer | B.balancer | B.exit_worker

/** The context name ngx_lua puts in its messages. */
export const CONTEXT_NAME: Readonly<Record<Phase, string>> = {
  init: 'init_by_lua*',
  init_worker: 'init_worker_by_lua*',
  exit_worker: 'exit_worker_by_lua*',
  set: 'set_by_lua*',
  server_rewrite: 'server_rewrite_by_lua*',
  rewrite: 'rewrite_by_lua*',
  access: 'access_by_lua*',
  content: 'content_by_lua*',
  header_filter: 'header_filter_by_lua*',
  body_filter: 'body_filter_by_lua*',
  log: 'log_by_lua*',
  timer: 'ngx.timer',
  balancer: 'balancer_by_lua*',
}

/** Throws ngx_lua's phase error unless `phase` is in `allowed` (a mask of PHASE_BIT). */
export function assertPhase(phase: Phase, allowed: number): void {
  if ((PHASE_BIT[phase] & allowed) === 0) throw phaseError(CONTEXT_NAME[phase])
}
