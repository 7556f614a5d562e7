# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.limit.* with a master and 2 workers: each worker's VM loads the module itself, the
# counters live in the shared dict that both see. nresty_only (no lua-resty-limit-traffic in
# Debian's reference).
use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
repeat_each(1);
no_long_string();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value("http_config", "lua_shared_dict store 1m;");
    }
    if (!defined $block->nresty_only) {
        $block->set_value("nresty_only", "lua-resty-lock / lua-resty-limit-traffic are not in Debian's reference");
    }
});

run_tests();

__DATA__

=== TEST 1: limit.count: one window for all workers
--- config
    location = /t {
        access_by_lua_block {
            local limit_count = require "resty.limit.count"
            local lim = limit_count.new("store", 4, 60)
            local delay, err = lim:incoming("all", true)
            if not delay then return ngx.exit(429) end
        }
        content_by_lua_block { ngx.say("ok") }
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- error_code eval
[200, 200, 200, 200, 429, 429]
--- no_error_log
[error]



=== TEST 2: resty.lock across workers: the lock entry is in the shared dict
--- http_config
    lua_shared_dict locks 100k;
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("locks", { timeout = 0 })
            local elapsed, err = lock:lock(ngx.var.arg_k)
            ngx.say(tostring(elapsed), " ", err)
        }
    }
--- request eval
["GET /t?k=a", "GET /t?k=a", "GET /t?k=a", "GET /t?k=b"]
--- response_body eval
["0 nil\n", "nil timeout\n", "nil timeout\n", "0 nil\n"]
--- no_error_log
[error]
