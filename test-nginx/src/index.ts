// @nresty/test-nginx: a Test::Nginx-compatible runner for .t spec files, against nresty and
// the reference nginx.
export { PerlError, PerlParser, evalPerl, perlRegex, perlScope, perlString } from './perl.ts'
export type { PerlHash, PerlScope, PerlValue } from './perl.ts'
export { defaultPreamble, evaluateBlock, parseBlocks, parseSpec, runPreamble, sectionValue, trimSection } from './parse.ts'
export type { Block, Preamble, Preset, Section, SpecFile } from './parse.ts'
export { assembleConf, expandTestNginxVars, parseUserFiles, writeServerRoot } from './config.ts'
export type { ConfInput, TargetKind, UserFile } from './config.ts'
export { buildRequest, exchange, headerValue, parseResponses, splitPackets } from './http.ts'
export type { BuildOptions, Exchange, Packet, RawRequest, Response } from './http.ts'
export {
  checkBody, checkBodyLike, checkErrorLog, checkGrepOut, checkHeaders, checkRawHeaders, checkStatus, diffText,
  grepErrorLog, logPatterns, nth, toRegex,
} from './assert.ts'
export { NRESTY_NGINX_VERSION, nginxTarget, nrestyTarget, startTarget } from './target.ts'
export { MOCK_SECTIONS, startTcpMock, startUdpMock } from './mock.ts'
export type { Mock } from './mock.ts'
export type { Running, StartResult, Target } from './target.ts'
export {
  FileRunner, compareVersions, filterBody, freePort, parseDuration, readKnownFailures, runFile, skipNginx, summaryLine, tapLines,
} from './runner.ts'
export type { BlockResult, BlockStatus, RunOptions } from './runner.ts'
