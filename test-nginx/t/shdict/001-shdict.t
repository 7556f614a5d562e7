# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.shared.DICT from Lua: get/set/add/replace/incr/delete/flags/expiry/keys.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: set and get a string
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("Jim", "woof")
            ngx.say(dogs:get("Jim"))
        }
    }
--- request
GET /t
--- response_body
woof
--- no_error_log
[error]



=== TEST 2: numbers and booleans keep their types
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("n", 3.5)
            d:set("b", true)
            d:set("f", false)
            local n, b, f = d:get("n"), d:get("b"), d:get("f")
            ngx.say(type(n), " ", n, " ", type(b), " ", b, " ", f)
        }
    }
--- request
GET /t
--- response_body
number 3.5 boolean true false



=== TEST 3: a missing key is nil
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:get("nope"))
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 4: set returns true, nil, false
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:set("k", "v"))
        }
    }
--- request
GET /t
--- response_body
truenilfalse



=== TEST 5: add fails on an existing key
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:add("a", 1))
            ngx.say(d:add("a", 2))
            ngx.say(d:get("a"))
        }
    }
--- request
GET /t
--- response_body
truenilfalse
falseexistsfalse
1



=== TEST 6: replace fails on a missing key
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:replace("r", 1))
            d:set("r", 1)
            ngx.say(d:replace("r", 2))
            ngx.say(d:get("r"))
        }
    }
--- request
GET /t
--- response_body
falsenot foundfalse
truenilfalse
2



=== TEST 7: incr an existing number
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("c", 10)
            ngx.say(d:incr("c", 5))
            ngx.say(d:incr("c", -20))
        }
    }
--- request
GET /t
--- response_body
15
-5



=== TEST 8: incr a missing key without init
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:incr("none", 1))
        }
    }
--- request
GET /t
--- response_body
nilnot found



=== TEST 9: incr with init
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:incr("x", 1, 0))
            ngx.say(d:incr("x", 1, 0))
        }
    }
--- request
GET /t
--- response_body
1nilfalse
2nilfalse



=== TEST 10: incr a string value
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("s", "abc")
            ngx.say(d:incr("s", 1))
        }
    }
--- request
GET /t
--- response_body
nilnot a number



=== TEST 11: incr keeps large numbers
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("big", 2^31 - 1)
            ngx.say(d:incr("big", 1))
            ngx.say(d:incr("big", 0.5))
        }
    }
--- request
GET /t
--- response_body
2147483648
2147483648.5



=== TEST 12: delete
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", 1)
            d:delete("k")
            ngx.say(d:get("k"))
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 13: set nil deletes
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", 1)
            d:set("k", nil)
            ngx.say(d:get("k"))
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 14: flags
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", "v", 0, 42)
            ngx.say(d:get("k"))
            d:set("j", "w")
            ngx.say(d:get("j"))
        }
    }
--- request
GET /t
--- response_body
v42
w



=== TEST 15: expiry
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", "v", 0.1)
            ngx.say(d:get("k"))
            ngx.sleep(0.2)
            ngx.say(d:get("k"))
        }
    }
--- request
GET /t
--- response_body
v
nil



=== TEST 16: get_stale returns an expired value
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", "old", 0.1, 7)
            ngx.sleep(0.2)
            ngx.say(d:get_stale("k"))
        }
    }
--- request
GET /t
--- response_body
old7true



=== TEST 17: the value is shared between requests
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /set {
        content_by_lua_block {
            ngx.shared.dogs:set("shared", "across")
            ngx.say("set")
        }
    }
    location = /get {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:get("shared"))
        }
    }
--- pipelined_requests eval
["GET /set", "GET /get"]
--- response_body eval
["set\n", "across\n"]



=== TEST 18: get_keys
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:flush_all()
            d:set("a", 1)
            d:set("b", 2)
            d:set("c", 3)
            local keys = d:get_keys()
            table.sort(keys)
            ngx.say(table.concat(keys, ","))
            ngx.say(#d:get_keys(2))
        }
    }
--- request
GET /t
--- response_body
a,b,c
2



=== TEST 19: flush_all then get
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("a", 1)
            d:flush_all()
            ngx.say(d:get("a"))
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 20: safe_set and safe_add
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:safe_set("s", 1))
            ngx.say(d:safe_add("s", 2))
        }
    }
--- request
GET /t
--- response_body
truenilfalse
falseexistsfalse



=== TEST 21: ttl and expire
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("k", "v", 10)
            local ttl = d:ttl("k")
            ngx.say(ttl > 9 and ttl <= 10)
            d:set("p", "v")
            ngx.say(d:ttl("p"))
            ngx.say(d:expire("p", 5))
            ttl = d:ttl("p")
            ngx.say(ttl > 4 and ttl <= 5)
            ngx.say(d:ttl("missing"))
        }
    }
--- request
GET /t
--- response_body
true
0
true
true
nilnot found



=== TEST 22: list push and pop
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:lpush("l", "a"))
            ngx.say(d:rpush("l", "b"))
            ngx.say(d:lpush("l", "z"))
            ngx.say(d:llen("l"))
            ngx.say(d:lpop("l"), " ", d:rpop("l"), " ", d:lpop("l"), " ", d:lpop("l"))
        }
    }
--- request
GET /t
--- response_body
1
2
3
3
z b a nil



=== TEST 23: a list op on a string value
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            d:set("s", "str")
            ngx.say(d:lpush("s", 1))
        }
    }
--- request
GET /t
--- response_body
nilvalue not a list



=== TEST 24: capacity and free_space
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.shared.dogs
            ngx.say(d:capacity())
            ngx.say(d:free_space() > 0)
        }
    }
--- request
GET /t
--- response_body
1048576
true



=== TEST 25: two dicts are separate
--- http_config
    lua_shared_dict a 1m;
    lua_shared_dict b 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.shared.a:set("k", "in a")
            ngx.say(ngx.shared.a:get("k"), " ", ngx.shared.b:get("k"))
        }
    }
--- request
GET /t
--- response_body
in a nil



=== TEST 26: an unknown dict is nil
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.cats)
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 27: a nil key is an error
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:get(nil))
        }
    }
--- request
GET /t
--- response_body
nilnil key



=== TEST 28: an empty key
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:set("", 1))
        }
    }
--- request
GET /t
--- response_body
nilempty key



=== TEST 29: a table value is rejected
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:set("t", {}))
        }
    }
--- request
GET /t
--- response_body
nilbad value type



=== TEST 30: calling a method with a dot is an error
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.shared.dogs.get, "k")
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
false bad "zone" argument
