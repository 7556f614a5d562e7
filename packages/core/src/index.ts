// @nresty/core: named exports only.
export { defineGateway } from './gateway.ts'
export type {
  AccessLogSpec, AddHeaderSpec, Duration, ErrorLogSpec, Gateway, GatewayDef, Handler, HandlerList,
  LevelSettings, ListenSpec, LocationDef, LogFormats, LogLevelName, ReturnSpec, RewriteOp, ServerDef, Size,
  SocketSettings, IfLocationDef, IfTest, RewriteFlag, NextUpstreamCondition, ProxySettings, SetHandler, UpstreamDef,
  UpstreamServerDef,
} from './gateway.ts'
export { startServer } from './server.ts'
export type { RunningServer, StartOptions } from './server.ts'
export { startMaster } from './master.ts'
export type { Master, MasterOptions, WorkerInfo } from './master.ts'
export { NgxContext } from './context.ts'
export type { LifePhase } from './context.ts'
export type {
  ArgsResult, BodyFilterArg, CaptureOptions, CaptureResult, HeaderTable, HeadersResult, Ngx, NgxConfig,
  NgxCtx, NgxLocation, NgxProcess, NgxReq, NgxResp, NgxWorker, OutputResult, VarTable, BalancerFailure, NgxBalancer,
} from './ngx.ts'
export { assertPhase, CONTEXT_NAME, PHASE_BIT } from './phase.ts'
export type { Phase } from './phase.ts'
export { fail, ok } from './result.ts'
export type { Fail, Ok, Result } from './result.ts'
export { ConfError, ERROR_CODES, NgxApiError } from './errors.ts'
export type { ErrorCode } from './errors.ts'
export { isNgxSignal, NgxSignal } from './signals.ts'
export {
  CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS, NGX_DECLINED, NGX_DONE, NGX_ERROR, NGX_OK, NGX_NULL,
  NRESTY_VERSION,
} from './constants.ts'
export {
  crc32Long, crc32Short, decodeBase64, decodeBase64url, encodeBase64, encodeBase64url, hmacSha1, md5, md5Bin,
  sha1Bin,
} from './encoding.ts'
export { escapeUri, quoteSqlStr, unescapeUri, unescapeUriBytes } from './escape.ts'
export { decodeArgs, encodeArgs } from './args.ts'
export type { Args, ArgValue, ArgValues } from './args.ts'
export {
  cookieTime, httpTime, localtime, now, parseHttpTime, time, today, updateTime, utctime,
} from './time.ts'
export { parseSize, parseTime } from './units.ts'
export { luaNumberToString } from './tostring.ts'
export { compileTemplate } from './template.ts'
export type { Template, VarLookup } from './template.ts'
export { ErrorLog, formatErrorLine } from './log.ts'
export type { LogContext } from './log.ts'
export { AccessLog, COMBINED_FORMAT } from './access-log.ts'
export { LocationTree, parseLocation } from './location.ts'
export type { LocationKind, LocationMatch, ParsedLocation } from './location.ts'
export { ServerNameMatcher } from './server-name.ts'
export { checkZone, createZone, recoverZone, SharedDict, shdictOwnerId, zoneBuffer, zoneHandle } from './shdict.ts'
export type {
  SharedDictGetResult, SharedDictIncrResult, SharedDictOptions, SharedDictSetResult, SharedDictStaleResult, ShdictGetErr,
  ShdictIncrErr, ShdictKey, ShdictKeyErr, ShdictListErr, ShdictPushErr, ShdictSetErr, ShdictTtlErr, ShdictValue, ShdictZone,
  WasmMemory,
} from './shdict.ts'
export { CHASH_POINTS_PER_WEIGHT, ChashRing, chashPointsOf, crc32String, nginxServerId } from './chash.ts'
export type { ChashId, ChashRingOptions } from './chash.ts'
export { compileRe, NGX_RE, reFind, reGmatch, reGsub, reMatch, reOpt, reSplit, reSub } from './re.ts'
export type { CompiledRe, NgxRe, ReCtx, ReMatch, Replacement } from './re.ts'
export type { PcreOptions, PcreRegExp } from './pcre.ts'
export { LightThread, THREAD_KILLED } from './thread.ts'
export type { KillErr, NgxThread, ThreadFailed, ThreadResult, ThreadStatus } from './thread.ts'
export type { NgxTimer, TimerErr, TimerHandler } from './timer.ts'
export type { NgxSocket } from './socket-api.ts'
export type { ReqSocketErr, RequestSocket } from './req-socket.ts'
export type { NgxContextOptions } from './context.ts'
export { DEFAULT_COSOCKET_CONF, CTX_COSOCKET, assertCosocketPhase } from './cosocket.ts'
export type { CosocketConf, CosocketOwner, SendData, SocketDataOptions } from './cosocket.ts'
export { tcp, socketConnect, createSocketPools, TcpSocket, SslSession } from './socket-tcp.ts'
export type {
  ConnectOptions, ReceiveResult, ReceiveFail, UntilIterator, UntilOptions, TcpOption, TcpSocketOptions, SocketPools,
} from './socket-tcp.ts'
export { udp, UdpSocket } from './socket-udp.ts'
export { Pool, PoolSet } from './socket-pool.ts'
export type { PoolHooks, Lease, AcquireErr, WaitToken } from './socket-pool.ts'
export { ConfFileError, parseConfFile, parseConfParam, parseConfString } from './conf-parse.ts'
export { loadConfGateway, dumpConf, confHooks, keepEnv } from './conf-gateway.ts'
export { setBalancingMethod, upstreamBuild } from './conf-proxy.ts'
export type { ConfGateway } from './conf-gateway.ts'
export {
  argCountOk, ConfBuild, ConfScope, confError, findDirective, placeOf, registerDirective,
} from './conf-directives.ts'
export type {
  ConfArgs, ConfContext, ConfWarning, DirectiveHandler, DirectiveSpec, LevelBuild, LocationBuild, LuaConfSettings,
  ServerBuild,
} from './conf-directives.ts'
export type {
  ConfArg, ConfBlock, ConfDirective, ConfErrorLevel, ConfLuaBlock, ConfParseOptions, ConfPlace, ConfRoot,
} from './conf-parse.ts'
