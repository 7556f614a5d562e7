# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.lrucache edge cases, measured on the reference (Debian's lua-resty-lrucache):
# nil values, a negative ttl, replacing an item, a fractional size.
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

=== TEST 1: a nil value, a negative ttl, replacing an item keeps one entry
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(3)
            c:set("n", nil)
            ngx.say("nil: ", select("#", c:get("n")), " ", tostring((c:get("n"))), " count: ", c:count())
            c:set("neg", 1, -1)
            local v, stale = c:get("neg")
            ngx.say("negative ttl: ", tostring(v), " ", tostring(stale))
            c:set("r", 1)
            c:set("r", 2)
            ngx.say("replaced: ", (c:get("r")), " count: ", c:count())
        }
    }
--- request
GET /t
--- response_body
nil: 1 nil count: 1
negative ttl: nil 1
replaced: 2 count: 3
--- no_error_log
[error]



=== TEST 2: an item past its ttl stays counted until evicted; set refreshes it
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(2)
            c:set("a", "old", 0.01)
            ngx.sleep(0.02)
            ngx.say("count: ", c:count(), " stale: ", (select(2, c:get("a"))))
            c:set("a", "new", 10)
            ngx.say("fresh: ", (c:get("a")), " ", tostring(select(2, c:get("a"))))
        }
    }
--- request
GET /t
--- response_body
count: 1 stale: old
fresh: new nil
--- no_error_log
[error]



=== TEST 3: a fractional size: capacity answers it, the items are cut; pureffi returns a nil value as a hit
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(2.7)
            c:set(1, 1) c:set(2, 2) c:set(3, 3)
            ngx.say("capacity: ", c:capacity(), " count: ", c:count())
            local pureffi = require "resty.lrucache.pureffi"
            c = pureffi.new(2.7)
            c:set(1, 1) c:set(2, 2) c:set(3, 3)
            ngx.say("pureffi capacity: ", c:capacity(), " count: ", c:count())
            c:set("n", nil)
            ngx.say("pureffi nil: ", select("#", c:get("n")))
        }
    }
--- request
GET /t
--- response_body
capacity: 2.7 count: 2
pureffi capacity: 2.7 count: 2
pureffi nil: 3
--- no_error_log
[error]



=== TEST 4: a nil key: set raises, get misses
--- config
    location = /t {
        content_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(2)
            local ok, err = pcall(c.set, c, nil, 1)
            ngx.say(ok, " ", (string.gsub(err, "^.*: ", "")))
            ngx.say(pcall(c.get, c, nil))
        }
    }
--- request
GET /t
--- response_body
false table index is nil
truenil
--- no_error_log
[error]
