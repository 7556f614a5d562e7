# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.tcp: receiveuntil options, receiveany, timeouts, peer close, pools.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
$ENV{TEST_NGINX_TCP_LISTEN_PORT} ||= 19847;
run_tests();

__DATA__

=== TEST 1: receiveuntil with inclusive
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local reader = sock:receiveuntil("|", { inclusive = true })
            ngx.say(reader())
            ngx.say(reader())
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: one|two|
--- request
GET /t
--- response_body
one|
two|
--- no_error_log
[error]



=== TEST 2: receiveuntil reading by size
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local reader = sock:receiveuntil("--")
            local parts = {}
            while true do
                local data, err, partial = reader(3)
                if not data then break end
                if data == "" then break end
                parts[#parts + 1] = data
            end
            ngx.say(table.concat(parts, "/"))
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: abcdefgh--tail
--- request
GET /t
--- response_body
abc/def/gh



=== TEST 3: receiveuntil when the peer closes before the boundary
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local reader = sock:receiveuntil("\r\n\r\n")
            local data, err, partial = reader()
            ngx.say(data, " ", err, " [", partial, "]")
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: no boundary here
--- request
GET /t
--- response_body
nil closed [no boundary here]



=== TEST 4: receiveany
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local data, err = sock:receiveany(1024)
            ngx.say(data, " ", err)
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: any bytes
--- request
GET /t
--- response_body
any bytes nil



=== TEST 5: settimeouts for read
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeouts(1000, 1000, 100)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local data, err = sock:receive(10)
            ngx.say(data, " ", err)
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_no_close
--- tcp_reply: abc
--- request
GET /t
--- response_body
nil timeout
--- error_log
lua tcp socket read timed out



=== TEST 6: a timeout does not close the socket
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(100)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            local line, err = sock:receive()
            ngx.say(err)
            ngx.say(sock:send("after timeout\n"))
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_no_close
--- tcp_reply:
--- request
GET /t
--- response_body
timeout
14



=== TEST 7: close twice
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            ngx.say(sock:close())
            ngx.say(sock:close())
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: x
--- request
GET /t
--- response_body
1
nilclosed



=== TEST 8: getreusedtimes of a new connection
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            ngx.say(sock:getreusedtimes())
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: x
--- request
GET /t
--- response_body
0



=== TEST 9: receive with a bad pattern
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            local ok, err = pcall(function() return sock:receive("*x") end)
            ngx.say(ok, " ", (string.gsub(tostring(err), "^.-:%d+: ", "")))
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: x
--- request
GET /t
--- response_body
false bad argument #2 to '?' (bad pattern argument)



=== TEST 10: receive *l strips the CR
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local a = sock:receive("*l")
            local b = sock:receive()
            ngx.say("[", a, "][", b, "]")
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply eval
"first\r\nsecond\n"
--- request
GET /t
--- response_body
[first][second]



=== TEST 11: a cosocket object used in another request is rejected
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(type(sock), " ", type(sock.connect))
        }
    }
--- request
GET /t
--- response_body
table function



=== TEST 12: a tcp connection to the local server with setkeepalive pool size
--- config
    location = /k {
        return 200 "x";
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port, { pool = "mypool" }))
            sock:send("GET /k HTTP/1.1\r\nHost: localhost\r\n\r\n")
            local reader = sock:receiveuntil("\r\n\r\n")
            reader()
            ngx.say(sock:receive(1))
            ngx.say(sock:setkeepalive(10000, 5))
        }
    }
--- request
GET /t
--- response_body
x
1
