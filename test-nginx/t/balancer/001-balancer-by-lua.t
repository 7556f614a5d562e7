# vim:set ft= ts=4 sw=4 et fdm=marker:
# balancer_by_lua_block / balancer_by_lua_file and lua-resty-core's ngx.balancer: the peer of
# each try picked in Lua, retries with set_more_tries, get_last_failure, set_timeouts, failures
# of the handler, and the module outside the balancer phase. The backend is a location of the
# same server; $TEST_NGINX_RAND_PORT_1 is a port nothing listens on.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: set_current_peer picks the backend (the upstream's server is never used)
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back $request_uri host=$http_host\n";
    }
--- request
GET /t?a=1
--- response_body
back /back?a=1 host=backend
--- no_error_log
[error]



=== TEST 2: "addr:port" in one string, and the port as a string
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            if ngx.var.arg_s then
                assert(b.set_current_peer("127.0.0.1", "$TEST_NGINX_SERVER_PORT"))
            else
                assert(b.set_current_peer("127.0.0.1:$TEST_NGINX_SERVER_PORT"))
            end
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back $args\n";
    }
--- request eval
["GET /t", "GET /t?s=1"]
--- response_body eval
["back \n", "back s=1\n"]
--- no_error_log
[error]



=== TEST 3: the balancer phase sees the request: get_phase, ngx.ctx of access, ngx.var
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            ngx.log(ngx.WARN, "phase: ", ngx.get_phase(), ", ctx: ", ngx.ctx.who, ", uri: ", ngx.var.uri)
            ngx.var.picked = "127.0.0.1:$TEST_NGINX_SERVER_PORT"
            assert(b.set_current_peer(ngx.var.picked))
        }
    }
--- config
    location = /t {
        set $picked "";
        access_by_lua_block { ngx.ctx.who = "access" }
        proxy_pass http://backend/back;
        log_by_lua_block { ngx.log(ngx.WARN, "picked ", ngx.var.picked, ", upstream_addr ", ngx.var.upstream_addr) }
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- error_log eval
[
qr/\[warn\] .*phase: balancer, ctx: access, uri: \/t\b/,
"picked 127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}, upstream_addr 127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}",
]
--- no_error_log
[error]



=== TEST 4: set_more_tries: a refused peer, then the live one; get_last_failure before each try
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local state, code = b.get_last_failure()
            ngx.log(ngx.WARN, "last failure: ", tostring(state), " ", tostring(code))
            if not ngx.ctx.tried then
                ngx.ctx.tried = true
                local ok, warn = b.set_more_tries(1)
                ngx.log(ngx.WARN, "set_more_tries: ", tostring(ok), " ", tostring(warn))
                assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            else
                assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            end
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- grep_error_log eval: qr/last failure: \w+ \w+|set_more_tries: \w+ \w+/
--- grep_error_log_out
last failure: nil nil
set_more_tries: true nil
last failure: failed 502
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 5: no more tries: the refused peer is the answer (502)
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 502
--- error_log
connect() failed (111: Connection refused) while connecting to upstream
--- no_error_log
failed to run balancer_by_lua



=== TEST 6: set_more_tries beyond proxy_next_upstream_tries is reduced, with a warning
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local n = (ngx.ctx.n or 0) + 1
            ngx.ctx.n = n
            if n == 1 then
                local ok, warn = b.set_more_tries(5)
                ngx.log(ngx.WARN, "set_more_tries: ", tostring(ok), " ", tostring(warn))
            end
            ngx.log(ngx.WARN, "try ", n)
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
        }
    }
--- config
    location = /t {
        proxy_next_upstream_tries 3;
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 502
--- grep_error_log eval: qr/set_more_tries: true reduced tries due to limit|try \d+/
--- grep_error_log_out
set_more_tries: true reduced tries due to limit
try 1
try 2
try 3



=== TEST 7: get_last_failure after a 5xx answer passed to the next try: "failed" and the status
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local state, code = b.get_last_failure()
            ngx.log(ngx.WARN, "last failure: ", tostring(state), " ", tostring(code))
            if not ngx.ctx.tried then
                ngx.ctx.tried = true
                b.set_more_tries(1)
                assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            else
                ngx.var.second = "yes"
                assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            end
        }
    }
--- config
    location = /t {
        set $second "";
        proxy_next_upstream error http_503;
        proxy_pass http://backend/back?second=$second;
    }
    location = /back {
        if ($arg_second = "") {
            return 503;
        }
        return 200 "second try\n";
    }
--- request
GET /t
--- error_code: 503
--- grep_error_log eval: qr/last failure: \w+ \w+/
--- grep_error_log_out
last failure: nil nil
last failure: failed 503



=== TEST 8: a runtime error: ngx_lua's line with the traceback, and 500
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local x
            x.y = 1
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
[
qr/\[error\] .*failed to run balancer_by_lua\*: balancer_by_lua\(nginx\.conf:\d+\):3: attempt to index local 'x' \(a nil value\)\nstack traceback:\n\tbalancer_by_lua\(nginx\.conf:\d+\):3: in main chunk/,
]
--- no_error_log
lua entry thread aborted



=== TEST 9: error() with a string
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            error("no peer for you")
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to run balancer_by_lua\*: balancer_by_lua\(nginx\.conf:\d+\):2: no peer for you/



=== TEST 10: yielding APIs are disabled there (ngx.sleep fails the handler)
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            ngx.sleep(0.001)
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to run balancer_by_lua\*: balancer_by_lua\(nginx\.conf:\d+\):2: API disabled in the context of balancer_by_lua\*/



=== TEST 11: the disabled APIs, caught with pcall; the handler goes on
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            for _, name in ipairs({ "sleep", "say", "print", "exec", "redirect" }) do
                local ok, err = pcall(ngx[name], name == "sleep" and 0.001 or "/x")
                ngx.log(ngx.WARN, name, ": ", tostring(ok), " ", err)
            end
            local ok, err = pcall(ngx.thread.spawn, function() end)
            ngx.log(ngx.WARN, "spawn: ", tostring(ok), " ", err)
            ok, err = pcall(ngx.location.capture, "/back")
            ngx.log(ngx.WARN, "capture: ", tostring(ok), " ", err)
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- grep_error_log eval: qr/\w+: false [^,]*balancer_by_lua\*/
--- grep_error_log_out
sleep: false API disabled in the context of balancer_by_lua*
say: false API disabled in the context of balancer_by_lua*
print: false API disabled in the context of balancer_by_lua*
exec: false API disabled in the context of balancer_by_lua*
redirect: false API disabled in the context of balancer_by_lua*
spawn: false API disabled in the context of balancer_by_lua*
capture: false API disabled in the context of balancer_by_lua*



=== TEST 12: ngx.exit with a status fails the try with 500, silently; ngx.exit(ngx.OK) goes on
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            ngx.exit(tonumber(ngx.var.arg_s))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request eval
["GET /t?s=0", "GET /t?s=403", "GET /t?s=502", "GET /t?s=-1"]
--- error_code eval
[200, 500, 500, 500]
--- response_body_like eval
["^back\n\$", "500 Internal Server Error", "500 Internal Server Error", "500 Internal Server Error"]
--- no_error_log
[error]



=== TEST 13: argument errors in lua-resty-core's words
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local function try(name, f)
                local ok, err = pcall(f)
                ngx.log(ngx.WARN, name, ": ", tostring(ok), " ", tostring(err))
            end
            try("no addr", function() return b.set_current_peer() end)
            try("bad port", function() return b.set_current_peer("127.0.0.1", "x") end)
            try("no count", function() return b.set_more_tries() end)
            try("bad count", function() return b.set_more_tries("1") end)
            try("connect", function() b.set_timeouts(0, 1, 1) end)
            try("send", function() b.set_timeouts(1, -1, 1) end)
            try("read", function() b.set_timeouts(1, 1, "x") end)
            local ok, err = b.set_current_peer("localhost", 80)
            ngx.log(ngx.WARN, "name: ", tostring(ok), " ", err)
            ngx.log(ngx.WARN, "set_timeouts: ", tostring(b.set_timeouts()), " ", tostring(b.set_timeouts(1, nil, 2)))
            ngx.log(ngx.WARN, "recreate_request: ", tostring(b.recreate_request()))
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- error_log eval
[
qr/no addr: false .*attempt to get length of local 'addr' \(a nil value\)/,
qr/bad port: false .*bad argument #4 to 'ngx_lua_ffi_balancer_set_current_peer' \(cannot convert 'nil' to 'int'\)/,
qr/no count: false .*bad argument #2 to 'ngx_lua_ffi_balancer_set_more_tries' \(cannot convert 'nil' to 'int'\)/,
qr/bad count: false .*bad argument #2 to 'ngx_lua_ffi_balancer_set_more_tries' \(cannot convert 'string' to 'int'\)/,
qr/connect: false balancer_by_lua\(nginx\.conf:\d+\):11: bad connect timeout/,
qr/send: false balancer_by_lua\(nginx\.conf:\d+\):12: bad send timeout/,
qr/read: false balancer_by_lua\(nginx\.conf:\d+\):13: bad read timeout/,
"name: nil no host allowed",
"set_timeouts: true true",
"recreate_request: true",
]
--- no_error_log
[error]



=== TEST 14: set_timeouts: the read timeout of the try (504)
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_timeouts(nil, nil, 0.1))
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/slow;
    }
    location = /slow {
        content_by_lua_block {
            ngx.sleep(1.5)
            ngx.say("slow")
        }
    }
--- request
GET /t
--- error_code: 504
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream



=== TEST 15: balancer_by_lua_file runs the file, its path as the chunk name
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_file html/bal.lua;
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- user_files
>>> bal.lua
local b = require "ngx.balancer"
if ngx.var.arg_fail then
    local x
    x.y = 1
end
assert(b.set_current_peer("127.0.0.1", tonumber(ngx.var.server_port)))
--- request eval
["GET /t", "GET /t?fail=1"]
--- error_code eval
[200, 500]
--- response_body_like eval
["^back\n\$", "500 Internal Server Error"]
--- error_log eval
qr/failed to run balancer_by_lua\*: \S+\/html\/bal\.lua:4: attempt to index local 'x' \(a nil value\)/



=== TEST 16: a balancer_by_lua_file that is missing is logged; the try goes to the servers
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        balancer_by_lua_file html/nonexist.lua;
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- error_log eval
qr/failed to load external Lua file "\S+\/html\/nonexist\.lua": cannot open \S+\/html\/nonexist\.lua: No such file or directory/



=== TEST 17: inlined code that does not compile: 500
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block { local = 1 }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to load inlined Lua code: balancer_by_lua\(nginx\.conf:\d+\):1: '?<name>'? expected near '='/



=== TEST 18: ngx.balancer in log_by_lua of a proxied request: disabled in that context
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
        log_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = b.set_current_peer("127.0.0.1", 80)
            ngx.log(ngx.WARN, "set_current_peer: ", tostring(ok), " ", err)
            local state, code, err2 = b.get_last_failure()
            ngx.log(ngx.WARN, "get_last_failure: ", tostring(state), " ", tostring(code), " ", err2)
        }
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- error_log
set_current_peer: nil API disabled in the current context
get_last_failure: nil nil API disabled in the current context



=== TEST 19: ngx.balancer in content_by_lua: no upstream found
--- config
    location = /t {
        content_by_lua_block {
            local b = require "ngx.balancer"
            ngx.say(b.set_current_peer("127.0.0.1", 80))
            ngx.say(b.set_more_tries(1))
            ngx.say(b.get_last_failure())
            ngx.say(b.set_timeouts(1, 1, 1))
            ngx.say(b.recreate_request())
        }
    }
--- request
GET /t
--- response_body
nilno upstream found
nilno upstream found
nilnilno upstream found
falseno upstream found
nilno upstream found
--- no_error_log
[error]



=== TEST 20: a second balancer_by_lua_block in an upstream (ngx_lua leaves the name out)
--- http_config
    upstream backend {
        server 127.0.0.1;
        balancer_by_lua_block { }
        balancer_by_lua_block { }
    }
--- config
--- must_die
--- error_log
is duplicate



=== TEST 21: balancer_by_lua_file after a balancer_by_lua_block
--- http_config
    upstream backend {
        server 127.0.0.1;
        balancer_by_lua_block { }
        balancer_by_lua_file html/x.lua;
    }
--- config
--- must_die
--- error_log
"balancer_by_lua_file" directive is duplicate



=== TEST 22: balancer_by_lua_block outside an upstream block
--- config
    location = /t {
        balancer_by_lua_block { }
    }
--- must_die
--- error_log
"balancer_by_lua_block" directive is not allowed here



=== TEST 23: no "backup" servers with a Lua balancer
--- http_config
    upstream backend {
        balancer_by_lua_block { }
        server 127.0.0.1 backup;
        server 127.0.0.2;
    }
--- config
--- must_die
--- error_log
balancing method does not support parameter "backup"



=== TEST 24: what the balancer logs carries nginx's "while connecting to upstream"
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            ngx.log(ngx.WARN, "choosing a peer")
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://backend/back;
    }
    location = /back {
        return 200 "back\n";
    }
--- request
GET /t
--- response_body
back
--- error_log eval
qr/\[warn\] .*choosing a peer while connecting to upstream, client: 127\.0\.0\.1, /
