// nginx's built-in pages for special responses (≥ 300), with CRLF line ends as nginx sends them.
import { NRESTY_VERSION } from './constants.ts'

const TITLES: ReadonlyMap<number, string> = new Map([
  [301, '301 Moved Permanently'], [302, '302 Found'], [303, '303 See Other'],
  [307, '307 Temporary Redirect'], [308, '308 Permanent Redirect'],
  [400, '400 Bad Request'], [401, '401 Authorization Required'], [402, '402 Payment Required'],
  [403, '403 Forbidden'], [404, '404 Not Found'], [405, '405 Not Allowed'], [406, '406 Not Acceptable'],
  [408, '408 Request Time-out'], [409, '409 Conflict'], [410, '410 Gone'], [411, '411 Length Required'],
  [412, '412 Precondition Failed'], [413, '413 Request Entity Too Large'],
  [414, '414 Request-URI Too Large'], [415, '415 Unsupported Media Type'],
  [416, '416 Requested Range Not Satisfiable'], [421, '421 Misdirected Request'],
  [429, '429 Too Many Requests'], [500, '500 Internal Server Error'], [501, '501 Not Implemented'],
  [502, '502 Bad Gateway'], [503, '503 Service Temporarily Unavailable'], [504, '504 Gateway Time-out'],
  [505, '505 HTTP Version Not Supported'], [507, '507 Insufficient Storage'],
])

const TAIL = `<hr><center>nresty/${NRESTY_VERSION}</center>\r\n</body>\r\n</html>\r\n`

function page(title: string, extra = ''): string {
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title.startsWith('400 ') ? '400 Bad Request' : title}</h1></center>\r\n${extra}${TAIL}`
}

const PAGES: ReadonlyMap<number, string> = new Map([...TITLES].map(([code, title]) => [code, page(title)]))

/** nginx's page for `status`, or undefined when nginx sends none (2xx, 304, unknown codes). */
export function specialPage(status: number): string | undefined {
  return PAGES.get(status)
}

/** nginx's 400 page for an oversize request header (its internal 494). */
export const HEADER_TOO_LARGE_PAGE: string = page(
  '400 Request Header Or Cookie Too Large',
  '<center>Request Header Or Cookie Too Large</center>\r\n',
)
