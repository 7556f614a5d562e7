// Expected outcomes come back as results carrying OpenResty's exact `err` string;
// programmer errors throw (see errors.ts).
export type Ok<T> = { readonly ok: true; readonly value: T }
export type Fail<E extends string> = { readonly ok: false; readonly err: E }
export type Result<T, E extends string> = Ok<T> | Fail<E>

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value })
export const fail = <E extends string>(err: E): Fail<E> => ({ ok: false, err })
