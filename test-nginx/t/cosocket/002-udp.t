# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.udp against a mock UDP server (udp_listen / udp_reply).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
$ENV{TEST_NGINX_UDP_PORT} ||= 19846;
run_tests();

__DATA__

=== TEST 1: setpeername, send, receive
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            local ok, err = udp:setpeername("127.0.0.1", $TEST_NGINX_UDP_PORT)
            if not ok then ngx.say("setpeername: ", err) return end
            ngx.say(udp:send("hello udp"))
            local data, err = udp:receive()
            ngx.say("got: ", data, " ", err)
            udp:close()
        }
    }
--- udp_listen: $TEST_NGINX_UDP_PORT
--- udp_query: hello udp
--- udp_reply: world udp
--- request
GET /t
--- response_body
1
got: world udp nil
--- no_error_log
[error]



=== TEST 2: receive timeout
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            udp:settimeout(100)
            assert(udp:setpeername("127.0.0.1", $TEST_NGINX_UDP_PORT))
            udp:send("x")
            local data, err = udp:receive()
            ngx.say(data, " ", err)
        }
    }
--- udp_listen: $TEST_NGINX_UDP_PORT
--- udp_query: x
--- request
GET /t
--- response_body
nil timeout
--- error_log
lua udp socket read timed out



=== TEST 3: send before setpeername
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            ngx.say(udp:send("x"))
        }
    }
--- request
GET /t
--- response_body
nilclosed



=== TEST 4: send a table
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            assert(udp:setpeername("127.0.0.1", $TEST_NGINX_UDP_PORT))
            udp:send({ "a", 1, { "b" } })
            ngx.say(udp:receive())
        }
    }
--- udp_listen: $TEST_NGINX_UDP_PORT
--- udp_query: a1b
--- udp_reply: ok
--- request
GET /t
--- response_body
ok
