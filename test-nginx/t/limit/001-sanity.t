# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.limit.req / count / conn / traffic on nresty (@nresty/limit-traffic through @nresty/lua).
# Debian's reference OpenResty does not ship lua-resty-limit-traffic, so every block is
# nresty_only and follows upstream's documentation and arithmetic (rates ×1000, excess in ms units).
use Test::Nginx::Socket 'no_plan';

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

=== TEST 1: limit.req: under the rate, a delayed burst, rejected, uncommit
--- config
    location = /t {
        content_by_lua_block {
            local limit_req = require "resty.limit.req"
            local lim = limit_req.new("store", 0.01, 1)
            local function show(label, d, e)
                if not d then ngx.say(label, ": nil ", e) return end
                ngx.say(label, ": ", string.format("%.0f %.1f", d, e))
            end
            show("first", lim:incoming("k", true))
            show("dry run", lim:incoming("k"))
            show("second", lim:incoming("k", true))
            show("third", lim:incoming("k", true))
            ngx.say("uncommit: ", lim:uncommit("k"))
            show("after uncommit", lim:incoming("k", true))
            lim:set_burst(0)
            show("burst 0", lim:incoming("k", true))
            show("other key", lim:incoming("k2", true))
        }
    }
--- request
GET /t
--- response_body
first: 0 0.0
dry run: 100 1.0
second: 100 1.0
third: nil rejected
uncommit: true
after uncommit: 100 1.0
burst 0: nil rejected
other key: 0 0.0
--- no_error_log
[error]



=== TEST 2: limit.req: a foreign value, a missing dict, uncommit of a missing key
--- config
    location = /t {
        content_by_lua_block {
            local limit_req = require "resty.limit.req"
            ngx.shared.store:set("abused", "not a record")
            local lim = limit_req.new("store", 10, 5)
            ngx.say("abused: ", select(2, lim:incoming("abused", true)))
            ngx.say("uncommit: ", select(2, lim:uncommit("nope")))
            local l, err = limit_req.new("no_such_dict", 1, 1)
            ngx.say("new: ", tostring(l), " ", err)
            ngx.say("bad rate: ", (pcall(limit_req.new, "store", 0, 1)))
        }
    }
--- request
GET /t
--- response_body
abused: shdict abused by other users
uncommit: not found
new: nil shared dict not found
bad rate: false
--- no_error_log
[error]



=== TEST 3: limit.req: the record is upstream's 16-byte struct
--- config
    location = /t {
        content_by_lua_block {
            local limit_req = require "resty.limit.req"
            local lim = limit_req.new("store", 100, 10)
            lim:incoming("rec", true)
            local v = ngx.shared.store:get("rec")
            ngx.say(type(v), " ", #v)
        }
    }
--- request
GET /t
--- response_body
string 16
--- no_error_log
[error]



=== TEST 4: limit.count: a fixed window, rejected, uncommit
--- config
    location = /t {
        content_by_lua_block {
            local limit_count = require "resty.limit.count"
            local lim = limit_count.new("store", 2, 10)
            ngx.say("1: ", lim:incoming("c", true))
            ngx.say("dry: ", lim:incoming("c"))
            ngx.say("2: ", lim:incoming("c", true))
            ngx.say("3: ", lim:incoming("c", true))
            ngx.say("uncommit: ", lim:uncommit("c"))
            ngx.say("dry: ", lim:incoming("c"))
            ngx.say("uncommit missing: ", lim:uncommit("none"))
            ngx.say("ttl: ", ngx.shared.store:ttl("c") > 9)
        }
    }
--- request
GET /t
--- response_body
1: 01
dry: 00
2: 00
3: nilrejected
uncommit: 0
dry: nilrejected
uncommit missing: 2
ttl: true
--- no_error_log
[error]



=== TEST 5: limit.conn: delay above max, rejected above max + burst, leaving adapts the delay
--- config
    location = /t {
        content_by_lua_block {
            local limit_conn = require "resty.limit.conn"
            local lim = limit_conn.new("store", 1, 1, 0.5)
            ngx.say("1: ", lim:incoming("x", true))
            ngx.say("committed: ", lim:is_committed())
            ngx.say("2: ", lim:incoming("x", true))
            ngx.say("3: ", lim:incoming("x", true))
            ngx.say("committed: ", lim:is_committed())
            ngx.say("dry: ", lim:incoming("x"))
            ngx.say("committed: ", lim:is_committed())
            ngx.say("leaving: ", lim:leaving("x", 0.1))
            ngx.say("again: ", lim:incoming("x", true))
            ngx.say("uncommit: ", lim:uncommit("x"))
            ngx.say("leaving: ", lim:leaving("x"))
            lim:set_conn(3)
            ngx.say("set_conn: ", lim:incoming("x", true))
            ngx.say("missing: ", select(2, lim:leaving("none")))
        }
    }
--- request
GET /t
--- response_body
1: 01
committed: true
2: 0.52
3: nilrejected
committed: false
dry: nilrejected
committed: false
leaving: 1
again: 0.32
uncommit: 1
leaving: 0
set_conn: 01
missing: not found
--- no_error_log
[error]



=== TEST 6: limit.traffic.combine: the largest delay, states, a rejection commits nothing
--- config
    location = /t {
        content_by_lua_block {
            local limit_req = require "resty.limit.req"
            local limit_conn = require "resty.limit.conn"
            local limit_count = require "resty.limit.count"
            local limit_traffic = require "resty.limit.traffic"
            local lreq = limit_req.new("store", 0.1, 1)
            local lconn = limit_conn.new("store", 10, 0, 0.5)
            local lcount = limit_count.new("store", 1, 10)
            local states = {}
            local delay, err = limit_traffic.combine({ lreq, lconn, lcount }, { "r", "n", "cnt" }, states)
            ngx.say("1: ", delay, " ", err, " states: ", table.concat(states, ","))
            states = {}
            delay, err = limit_traffic.combine({ lreq, lconn, lcount }, { "r", "n", "cnt" }, states)
            ngx.say("2: ", delay, " ", err, " states: ", #states)
            ngx.say("conn still: ", ngx.shared.store:get("n"))
            local mine = {
                incoming = function(self, key, commit) return 0.25, "mine:" .. key end,
                uncommit = function() end,
            }
            states = {}
            delay = limit_traffic.combine({ mine, lconn }, { "a", "n2" }, states)
            ngx.say("3: ", delay, " states: ", table.concat(states, ","))
        }
    }
--- request
GET /t
--- response_body
1: 0 nil states: 0,1,0
2: nil rejected states: 0
conn still: 1
3: 0.25 states: mine:a,1
--- no_error_log
[error]
