// tcpsock:sslhandshake's TLS side: the client handshake over a connected socket, and the
// verification results in OpenSSL's words (`18: self-signed certificate`,
// `certificate host mismatch`), as ngx_lua returns them.
import { checkServerIdentity, connect as tlsConnect } from 'node:tls'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import type { Socket } from 'node:net'
import { isIP } from 'node:net'

/**
 * A TLS session from a handshake, to pass to a later `sslHandshake` for resumption (Lua's
 * session cdata). With TLS 1.3 the server sends the ticket after the handshake, so `data`
 * may fill in a moment later.
 */
export class SslSession {
  data: Buffer | undefined = undefined
}

// X509_V_ERR_* numbers and OpenSSL 3's texts, by the code node reports in authorizationError.
const X509_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  UNABLE_TO_GET_ISSUER_CERT: [2, 'unable to get issuer certificate'],
  UNABLE_TO_GET_CRL: [3, 'unable to get certificate CRL'],
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: [4, "unable to decrypt certificate's signature"],
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: [5, "unable to decrypt CRL's signature"],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [6, 'unable to decode issuer public key'],
  CERT_SIGNATURE_FAILURE: [7, 'certificate signature failure'],
  CRL_SIGNATURE_FAILURE: [8, 'CRL signature failure'],
  CERT_NOT_YET_VALID: [9, 'certificate is not yet valid'],
  CERT_HAS_EXPIRED: [10, 'certificate has expired'],
  CRL_NOT_YET_VALID: [11, 'CRL is not yet valid'],
  CRL_HAS_EXPIRED: [12, 'CRL has expired'],
  ERROR_IN_CERT_NOT_BEFORE_FIELD: [13, "format error in certificate's notBefore field"],
  ERROR_IN_CERT_NOT_AFTER_FIELD: [14, "format error in certificate's notAfter field"],
  ERROR_IN_CRL_LAST_UPDATE_FIELD: [15, "format error in CRL's lastUpdate field"],
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: [16, "format error in CRL's nextUpdate field"],
  OUT_OF_MEM: [17, 'out of memory'],
  DEPTH_ZERO_SELF_SIGNED_CERT: [18, 'self-signed certificate'],
  SELF_SIGNED_CERT_IN_CHAIN: [19, 'self-signed certificate in certificate chain'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [20, 'unable to get local issuer certificate'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [21, 'unable to verify the first certificate'],
  CERT_CHAIN_TOO_LONG: [22, 'certificate chain too long'],
  CERT_REVOKED: [23, 'certificate revoked'],
  INVALID_CA: [24, 'invalid CA certificate'],
  PATH_LENGTH_EXCEEDED: [25, 'path length constraint exceeded'],
  INVALID_PURPOSE: [26, 'unsupported certificate purpose'],
  CERT_UNTRUSTED: [27, 'certificate not trusted'],
  CERT_REJECTED: [28, 'certificate rejected'],
  HOSTNAME_MISMATCH: [62, 'hostname mismatch'],
}

/** `18: self-signed certificate` for node's `DEPTH_ZERO_SELF_SIGNED_CERT`. */
export function verifyErrorText(code: string): string {
  const e = X509_ERRORS[code]
  return e === undefined ? `0: ${code.toLowerCase().replaceAll('_', ' ')}` : `${e[0]}: ${e[1]}`
}

export interface HandshakeOptions {
  readonly serverName: string | undefined
  readonly verify: boolean
  readonly session: SslSession | undefined
  readonly ca: string | Uint8Array | readonly (string | Uint8Array)[] | undefined
  readonly ocsp: boolean
  readonly timeoutMs: number
}

export type HandshakeOutcome =
  | { readonly ok: true; readonly sock: TLSSocket; readonly session: SslSession }
  | { readonly ok: false; readonly err: string; readonly log: string | undefined }

/**
 * Runs a client handshake over `plain` (which the caller no longer reads). Fails with
 * `handshake failed`, `timeout`, a verify error or `certificate host mismatch`; a failed
 * handshake leaves the TLS socket destroyed.
 */
export function handshake(plain: Socket, o: HandshakeOptions): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const session = new SslSession()
    const sock = tlsConnect({
      socket: plain,
      // RFC 6066 forbids IP literals as SNI; node warns about them.
      ...(o.serverName !== undefined && o.serverName !== '' && isIP(o.serverName) === 0 ? { servername: o.serverName } : {}),
      ...(o.session?.data !== undefined ? { session: o.session.data } : {}),
      ...(o.ca !== undefined ? { ca: o.ca as string | Buffer | (string | Buffer)[] } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      requestOCSP: o.ocsp,
    })
    let done = false
    const finish = (r: HandshakeOutcome): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.off('error', onError)
      sock.off('close', onClose)
      if (!r.ok) sock.destroy()
      resolve(r)
    }
    const onError = (): void => finish({ ok: false, err: 'handshake failed', log: undefined })
    const onClose = (): void => finish({ ok: false, err: 'handshake failed', log: undefined })
    const timer = setTimeout(() => finish({ ok: false, err: 'timeout', log: 'lua ssl handshake timed out' }), o.timeoutMs)
    sock.on('session', (s: Buffer) => {
      session.data = s
    })
    sock.once('error', onError)
    sock.once('close', onClose)
    sock.once('secureConnect', () => {
      if (o.verify) {
        const code = sock.authorizationError as unknown as string | Error | null
        if (code !== null && code !== undefined) {
          const text = verifyErrorText(typeof code === 'string' ? code : String((code as NodeJS.ErrnoException).code ?? code.message))
          finish({ ok: false, err: text, log: `lua ssl certificate verify error: (${text})` })
          return
        }
        if (o.serverName !== undefined && o.serverName !== '') {
          const cert: PeerCertificate = sock.getPeerCertificate()
          if (checkServerIdentity(o.serverName, cert) !== undefined) {
            finish({
              ok: false,
              err: 'certificate host mismatch',
              log: `lua ssl certificate does not match host "${o.serverName}"`,
            })
            return
          }
        }
      }
      finish({ ok: true, sock, session })
    })
  })
}
