// @nresty/lua: OpenResty's Lua code on nresty. Importing it registers the *_by_lua* directives
// with @nresty/core's nginx.conf front end (as nginx's load_module would).
import { registerBalancerByLua } from './balancer.ts'
import { registerLuaDirectives } from './directives.ts'

registerLuaDirectives()
registerBalancerByLua()

export { appOf, LuaApp, registerLuaDirectives } from './directives.ts'
export { LuaRuntimeError, LuaVm } from './vm.ts'
export type { LuaVmOptions } from './vm.ts'
export { luaTostring } from './fengari.ts'
export { discover, hasLuaModule, luaBinding, registerLuaModule, SIBLING_MODULES } from './registry.ts'
export type { LuaBinding, LuaClass, LuaModuleLoader } from './registry.ts'
export type { LuaState } from './fengari.ts'
