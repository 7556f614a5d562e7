#!/usr/bin/env bash
# Installs the reference OpenResty that nresty is measured against, from Debian's packages:
# nginx with ngx_lua (+ lua-resty-core, lua-resty-lrucache), the echo and headers-more
# modules, and wrk for the benchmarks. Idempotent. Needs root (apt-get).
# Do not install Debian's `luajit` beside it: it conflicts with the LuaJIT that
# libnginx-mod-http-lua needs, and apt then removes the Lua module.
set -euo pipefail
MODS=/usr/lib/nginx/modules
need="$MODS/ndk_http_module.so $MODS/ngx_http_lua_module.so $MODS/ngx_http_echo_module.so $MODS/ngx_http_headers_more_filter_module.so"
present() {
  for f in $need; do [ -f "$f" ] || return 1; done
  command -v nginx >/dev/null && command -v wrk >/dev/null
}
if ! present; then
  export DEBIAN_FRONTEND=noninteractive
  pkgs="nginx-core libnginx-mod-http-ndk libnginx-mod-http-lua libnginx-mod-http-echo libnginx-mod-http-headers-more-filter lua-resty-core lua-resty-lrucache wrk"
  for attempt in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null; then break; fi
    echo "apt-get failed (attempt $attempt), retrying" >&2
    sleep 5
  done
  [ -f "$MODS/ngx_http_lua_module.so" ] || apt-get install -y -qq --reinstall libnginx-mod-http-lua >/dev/null
fi
present || { echo "reference OpenResty could not be installed" >&2; exit 1; }
echo "reference: $(nginx -v 2>&1)"
