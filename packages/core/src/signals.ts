// Control-flow signals thrown by ngx.exit / ngx.exec / ngx.redirect / set_uri(jump). They
// are not Errors (no stack to capture): the phase runner catches them by identity. A handler
// that catches everything should rethrow them: `if (isNgxSignal(e)) throw e`.

export class NgxSignal {
  readonly kind: 'exit' | 'exec' | 'jump'
  constructor(kind: 'exit' | 'exec' | 'jump') {
    this.kind = kind
  }
  toString(): string {
    return `[ngx.${this.kind} signal]`
  }
}

/** Thrown by ngx.exit() and ngx.redirect(); the code is on the request. */
export const EXIT: NgxSignal = new NgxSignal('exit')
/** Thrown by ngx.exec(): an internal redirect. */
export const EXEC: NgxSignal = new NgxSignal('exec')
/** Thrown by ngx.req.setUri(uri, true): re-match locations. */
export const JUMP: NgxSignal = new NgxSignal('jump')

/** True for the signals ngx.exit/exec/redirect throw; rethrow them from catch-all blocks. */
export function isNgxSignal(e: unknown): e is NgxSignal {
  return e instanceof NgxSignal
}
