# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.shared.DICT through Lua with a master and two workers: one store for all workers.
use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: incr from many requests counts each one
--- http_config
    lua_shared_dict counters 1m;
--- config
    location = /hit {
        content_by_lua_block {
            ngx.say(ngx.shared.counters:incr("hits", 1, 0) > 0)
        }
    }
    location = /count {
        content_by_lua_block {
            ngx.say("hits: ", ngx.shared.counters:get("hits"))
        }
    }
--- pipelined_requests eval
["GET /hit", "GET /hit", "GET /hit", "GET /hit", "GET /count"]
--- response_body eval
["true\n", "true\n", "true\n", "true\n", "hits: 4\n"]
--- no_error_log
[error]



=== TEST 2: a value set by one request is seen by separate connections
--- http_config
    lua_shared_dict store 1m;
--- config
    location = /set {
        content_by_lua_block {
            ngx.shared.store:set("k", ngx.var.arg_v)
            ngx.say("set")
        }
    }
    location = /get {
        content_by_lua_block {
            ngx.say(ngx.shared.store:get("k"))
        }
    }
--- request eval
["GET /set?v=one", "GET /get", "GET /get", "GET /get"]
--- response_body eval
["set\n", "one\n", "one\n", "one\n"]



=== TEST 3: ngx.worker.count with two workers
--- config
    location = /t {
        content_by_lua_block {
            local id = ngx.worker.id()
            ngx.say(ngx.worker.count(), " ", id == 0 or id == 1)
        }
    }
--- request
GET /t
--- response_body
2 true



=== TEST 4: add is atomic across requests
--- http_config
    lua_shared_dict store 1m;
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.shared.store:add("once", ngx.worker.pid())
            ngx.say(ok and "first" or err)
        }
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["first\n", "exists\n", "exists\n"]
