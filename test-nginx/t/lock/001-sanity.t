# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.lock on nresty (@nresty/lock through @nresty/lua). Debian's reference OpenResty does not
# ship lua-resty-lock, so every block is nresty_only and follows upstream's documentation.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value("http_config", "lua_shared_dict cache_locks 100k;");
    }
    if (!defined $block->nresty_only) {
        $block->set_value("nresty_only", "lua-resty-lock / lua-resty-limit-traffic are not in Debian's reference");
    }
});

run_tests();

__DATA__

=== TEST 1: lock, unlock, and a second lock object timing out
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("cache_locks")
            local elapsed, err = lock:lock("foo")
            ngx.say("lock: ", elapsed, ", ", err)

            local lock2 = resty_lock:new("cache_locks", { timeout = 0.01 })
            elapsed, err = lock2:lock("foo")
            ngx.say("lock 2: ", elapsed, ", ", err)

            local ok, err = lock:unlock()
            ngx.say("unlock: ", ok, ", ", err)
            ok, err = lock:unlock()
            ngx.say("unlock again: ", ok, ", ", err)

            elapsed, err = lock2:lock("foo")
            ngx.say("lock 2 again: ", elapsed, ", ", err)
            ok, err = lock2:expire(10)
            ngx.say("expire: ", ok, ", ", err)
            ngx.say("ttl: ", ngx.shared.cache_locks:ttl("foo") > 9)
            ok, err = lock2:unlock()
            ngx.say("unlock 2: ", ok, ", ", err)
        }
    }
--- request
GET /t
--- response_body
lock: 0, nil
lock 2: nil, timeout
unlock: 1, nil
unlock again: nil, unlocked
lock 2 again: 0, nil
expire: true, nil
ttl: true
unlock 2: 1, nil
--- no_error_log
[error]



=== TEST 2: locked, nil key, dictionary not found
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("cache_locks")
            ngx.say("nil key: ", select(2, lock:lock(nil)))
            ngx.say("lock: ", lock:lock("bar"))
            ngx.say("again: ", select(2, lock:lock("baz")))
            lock:unlock()
            ngx.say("expire unlocked: ", select(2, lock:expire()))
            local l, err = resty_lock:new("no_such_dict")
            ngx.say("new: ", tostring(l), ", ", err)
        }
    }
--- request
GET /t
--- response_body
nil key: nil key
lock: 0
again: locked
expire unlocked: unlocked
new: nil, dictionary not found
--- no_error_log
[error]



=== TEST 3: waiting for a lock held by another request: elapsed is the sum of the steps
--- config
    location = /hold {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("cache_locks")
            lock:lock("k")
            ngx.sleep(0.2)
            lock:unlock()
            ngx.say("released")
        }
    }
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                local res = ngx.location.capture("/hold")
                return res.body
            end)
            ngx.sleep(0.02)
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("cache_locks", { step = 0.01, ratio = 2, max_step = 0.05 })
            local elapsed, err = lock:lock("k")
            ngx.say("elapsed > 0.1: ", elapsed > 0.1, " err: ", err)
            -- the steps: 0.01, 0.02, 0.04, then 0.05 each
            local rest = (elapsed - 0.07) / 0.05
            ngx.say("sum of steps: ", math.abs(rest - math.floor(rest + 0.5)) < 1e-6)
            lock:unlock()
            local ok, body = ngx.thread.wait(t)
            ngx.print(body)
        }
    }
--- request
GET /t
--- response_body
elapsed > 0.1: true err: nil
sum of steps: true
released
--- no_error_log
[error]



=== TEST 4: a lock entry expires after exptime (a holder that never unlocks)
--- config
    location = /t {
        content_by_lua_block {
            local resty_lock = require "resty.lock"
            local lock = resty_lock:new("cache_locks", { exptime = 0.1, timeout = 0.1 })
            ngx.say("lock: ", lock:lock("gone"))
            local lock2 = resty_lock:new("cache_locks", { timeout = 0.5, step = 0.05, max_step = 0.05 })
            local elapsed, err = lock2:lock("gone")
            ngx.say("lock 2 waited: ", elapsed ~= nil and elapsed > 0, " ", err)
            lock2:unlock()
            local lock3 = resty_lock:new("cache_locks", { exptime = 0.05 })
            lock3:lock("short")
            ngx.sleep(0.1)
            ngx.say("expire: ", select(2, lock3:expire(1)))
        }
    }
--- request
GET /t
--- response_body
lock: 0
lock 2 waited: true nil
expire: not found
--- no_error_log
[error]
