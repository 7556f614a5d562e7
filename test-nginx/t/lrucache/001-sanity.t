# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.lrucache: get / set / delete / expiry / flags / count / capacity / get_keys / flush_all,
# and resty.lrucache.pureffi's string keys. The reference runs Debian's lua-resty-lrucache.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value("http_config", "lua_package_path \"/usr/share/lua/5.1/?.lua;;\";");
    }
});

run_tests();

__DATA__

=== TEST 1: set, get, evict the least recently used
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(2)
            c:set("dog", 32)
            c:set("cat", 56)
            ngx.say("dog: ", c:get("dog"))
            ngx.say("cat: ", c:get("cat"))
            c:set("bird", 76)
            ngx.say("dog: ", c:get("dog"))
            ngx.say("cat: ", c:get("cat"))
            ngx.say("bird: ", c:get("bird"))
            ngx.say("count: ", c:count(), " capacity: ", c:capacity())
        }
    }
--- request
GET /t
--- response_body
dog: 32nil0
cat: 56nil0
dog: nil
cat: 56nil0
bird: 76nil0
count: 2 capacity: 2
--- no_error_log
[error]



=== TEST 2: get counts as use
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(2)
            c:set("dog", 32)
            c:set("cat", 56)
            c:get("dog")
            c:set("bird", 76)
            ngx.say("dog: ", c:get("dog"), " cat: ", c:get("cat"), " bird: ", c:get("bird"))
        }
    }
--- request
GET /t
--- response_body
dog: 32 cat: nil bird: 76nil0
--- no_error_log
[error]



=== TEST 3: delete, and what get, set and delete return
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(3)
            ngx.say("set: ", select("#", c:set("dog", 32)))
            ngx.say("get hit: ", select("#", c:get("dog")), " ", c:get("dog"))
            ngx.say("get miss: ", select("#", c:get("cat")))
            ngx.say("delete: ", tostring(c:delete("dog")))
            ngx.say("delete again: ", tostring(c:delete("dog")))
            ngx.say("dog: ", c:get("dog"), " count: ", c:count())
        }
    }
--- request
GET /t
--- response_body
set: 0
get hit: 3 32nil0
get miss: 1
delete: true
delete again: false
dog: nil count: 0
--- no_error_log
[error]



=== TEST 4: expired items are stale: nil, the old value and the flags
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(3)
            c:set("dog", 32, 0.01, 7)
            c:set("cat", 56, nil, 3)
            ngx.say("dog: ", table.concat({tostring(c:get("dog")), tostring(select(2, c:get("dog"))), tostring(select(3, c:get("dog")))}, " "))
            ngx.sleep(0.02)
            local v, stale, flags = c:get("dog")
            ngx.say("dog: ", tostring(v), " ", tostring(stale), " ", tostring(flags))
            v, stale, flags = c:get("cat")
            ngx.say("cat: ", tostring(v), " ", tostring(stale), " ", tostring(flags))
            ngx.say("count: ", c:count())
        }
    }
--- request
GET /t
--- response_body
dog: 32 nil 7
dog: nil 32 7
cat: 56 nil 3
count: 2
--- no_error_log
[error]



=== TEST 5: get_keys, most recently used first, with a limit and a result table
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(4)
            c:set("a", 1) c:set("b", 2) c:set("c", 3)
            c:get("a")
            ngx.say("keys: ", table.concat(c:get_keys(), ","))
            ngx.say("2 keys: ", table.concat(c:get_keys(2), ","))
            local res = { "x", "y", "z", "w" }
            local keys = c:get_keys(0, res)
            ngx.say("res: ", keys == res, " ", table.concat(res, ","), " #", #res)
            c:flush_all()
            ngx.say("after flush: ", c:count(), " #", #c:get_keys(), " ", tostring(c:get("a")))
        }
    }
--- request
GET /t
--- response_body
keys: a,c,b
2 keys: a,c
res: true a,c,b #3
after flush: 0 #0 nil
--- no_error_log
[error]



=== TEST 6: any Lua value, and keys of any type
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(10)
            local t = { n = 1 }
            local f = function() return "called" end
            c:set("t", t)
            c:set("f", f)
            c:set(1, "one")
            c:set("1", "string one")
            c:set(t, "by table")
            c:set(true, false)
            ngx.say(c:get("t") == t, " ", c:get("f")(), " ", c:get(1), " ", c:get("1"), " ", c:get(t), " ", tostring((c:get(true))))
            t.n = 2
            ngx.say("same table: ", c:get("t").n)
        }
    }
--- request
GET /t
--- response_body
true called one string one by table false
same table: 2
--- no_error_log
[error]



=== TEST 7: new with a size below 1
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c, err = lrucache.new(0)
            ngx.say(tostring(c), " ", err)
        }
    }
--- request
GET /t
--- response_body
nil size too small
--- no_error_log
[error]



=== TEST 8: flags: uint32, 0 by default; a new set replaces them
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(4)
            c:set("a", 1, nil, 2^32 + 5)
            c:set("b", 1, nil, -1)
            c:set("c", 1, nil, 7.9)
            c:set("d", 1, 10, 3)
            c:set("d", 2)
            ngx.say(select(3, c:get("a")), " ", select(3, c:get("b")), " ", select(3, c:get("c")), " ", select(3, c:get("d")))
        }
    }
--- request
GET /t
--- response_body
5 0 7 0
--- no_error_log
[error]



=== TEST 9: module state: one cache per worker, shared by its requests
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local m = package.loaded.my_cache_mod
            if not m then
                m = { c = lrucache.new(10) }
                package.loaded.my_cache_mod = m
            end
            local n = (m.c:get("hits") or 0) + 1
            m.c:set("hits", n)
            ngx.say("hits: ", n)
        }
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["hits: 1\n", "hits: 2\n", "hits: 3\n"]
--- no_error_log
[error]



=== TEST 10: pureffi: string keys (1 and "1" are one key), a load factor
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache.pureffi"
            local c = lrucache.new(2, 0.7)
            c:set(1, "one")
            ngx.say("get '1': ", (c:get("1")))
            c:set("dog", 32)
            c:set("cat", 56)
            ngx.say("1 after 2 sets: ", tostring((c:get(1))))
            ngx.say("count: ", c:count(), " capacity: ", c:capacity())
            c:set("cat", 57, 0.01, 9)
            ngx.sleep(0.02)
            ngx.say("cat: ", table.concat({tostring(c:get("cat")), tostring(select(2, c:get("cat"))), tostring(select(3, c:get("cat")))}, " "))
            ngx.say("delete: ", tostring(c:delete("dog")), " ", tostring(c:delete("dog")))
        }
    }
--- request
GET /t
--- response_body
get '1': one
1 after 2 sets: nil
count: 2 capacity: 2
cat: nil 57 9
delete: true false
--- no_error_log
[error]



=== TEST 11: required in init_by_lua, used by the requests
--- http_config
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
    init_by_lua_block {
        local lrucache = require "resty.lrucache"
        my_cache = lrucache.new(5)
        my_cache:set("from", "init")
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("from: ", (my_cache:get("from")), " count: ", my_cache:count())
        }
    }
--- request
GET /t
--- response_body
from: init count: 1
--- no_error_log
[error]
