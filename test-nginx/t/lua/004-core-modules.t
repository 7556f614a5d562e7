# lua-resty-core's small modules: ngx.base64, ngx.errlog, ngx.semaphore, ngx.balancer (outside
# the balancer phase), measured on the reference (Debian's nginx, without the capture-log patch).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
run_tests();

__DATA__

=== TEST 1: ngx.base64: url-safe encode and decode, and their refusals
--- config
    location = /t {
        content_by_lua_block {
            local b64 = require "ngx.base64"
            ngx.say(b64.encode_base64url("\255\254hello"))
            ngx.say(ngx.encode_base64(b64.decode_base64url("_-5oZWxsbw")))
            ngx.say(select("#", b64.decode_base64url("@@")), " ", tostring(select(2, b64.decode_base64url("@@"))))
            ngx.say(b64.encode_base64url(""), "|", b64.decode_base64url(""), "|")
            ngx.say(pcall(b64.encode_base64url, 12))
            ngx.say(pcall(b64.decode_base64url, nil))
        }
    }
--- request
GET /t
--- response_body
__5oZWxsbw
/+5oZWxsbw==
2 invalid input
||
truenilmust provide a string
truenilmust provide a string
--- no_error_log
[error]



=== TEST 2: ngx.errlog: raw_log without a [lua] prefix, the error log's level, no capture
--- config
    location = /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.say("sys ", errlog.get_sys_filter_level() >= ngx.WARN)
            ngx.say(pcall(errlog.get_logs, 10))
            ngx.say(pcall(errlog.set_filter_level, ngx.WARN))
            ngx.say(pcall(errlog.raw_log, "x", "m"))
            ngx.say(pcall(errlog.raw_log, ngx.ERR, 12))
            errlog.raw_log(ngx.ERR, "raw message here")
        }
    }
--- request
GET /t
--- response_body
sys true
truenilmissing the capture error log patch for nginx
truenilmissing the capture error log patch for nginx
falsebad argument #1 to 'raw_log' (must be a number)
falsebad argument #2 to 'raw_log' (must be a string)
--- error_log eval
qr/\[error\] \d+#\d+: \*\d+ raw message here, client: 127\.0\.0\.1, /



=== TEST 3: ngx.semaphore: wait yields until a post from a timer, then times out
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new(0)
            ngx.say("count ", sema:count())
            assert(ngx.timer.at(0.05, function() sema:post(1) end))
            ngx.say("wait ", sema:wait(1))
            local ok, err = sema:wait(0.05)
            ngx.say("again ", ok, " ", err)
            ngx.say("post ", sema:post(2), " count ", sema:count())
        }
    }
--- request
GET /t
--- response_body
count 0
wait truenil
again false timeout
post true count 2
--- no_error_log
[error]



=== TEST 4: ngx.balancer outside a proxied request: no upstream found
--- config
    location = /t {
        content_by_lua_block {
            local balancer = require "ngx.balancer"
            ngx.say(balancer.set_current_peer("127.0.0.1", 80))
            ngx.say(balancer.set_more_tries(1))
            ngx.say(balancer.get_last_failure())
        }
    }
--- request
GET /t
--- response_body
nilno upstream found
nilno upstream found
nilnilno upstream found
--- no_error_log
[error]
