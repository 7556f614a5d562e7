# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.tcp against mock servers (tcp_listen / tcp_reply) and the local server.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
$ENV{TEST_NGINX_TCP_LISTEN_PORT} ||= 19845;
run_tests();

__DATA__

=== TEST 1: connect, send, receive a line
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT)
            if not ok then ngx.say("connect: ", err) return end
            local bytes = sock:send("ping\n")
            ngx.say("sent ", bytes)
            local line, err = sock:receive()
            ngx.say("got: ", line, " ", err)
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_query eval
"ping\n"
--- tcp_reply
pong
--- request
GET /t
--- response_body
sent 5
got: pong nil
--- no_error_log
[error]



=== TEST 2: receive a number of bytes
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("x")
            ngx.say(sock:receive(3))
            ngx.say(sock:receive(2))
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: abcde
--- request
GET /t
--- response_body
abc
de



=== TEST 3: receive *a reads until close
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local data, err = sock:receive("*a")
            ngx.say("[", data, "] ", err)
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply eval
"line 1\nline 2\n"
--- request
GET /t
--- response_body
[line 1
line 2
] nil



=== TEST 4: receive a line when the peer closes early
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local line, err, partial = sock:receive()
            ngx.say(line, " ", err, " [", partial, "]")
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: no newline
--- request
GET /t
--- response_body
nil closed [no newline]



=== TEST 5: receive more bytes than there are
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local data, err, partial = sock:receive(100)
            ngx.say(data, " ", err, " [", partial, "]")
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply: short
--- request
GET /t
--- response_body
nil closed [short]



=== TEST 6: connection refused
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", 1)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
nil connection refused
--- error_log
failed (111: Connection refused)



=== TEST 7: read timeout
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(100)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local line, err = sock:receive()
            ngx.say(line, " ", err)
            sock:close()
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_no_close
--- tcp_reply:
--- request
GET /t
--- response_body
nil timeout
--- error_log
lua tcp socket read timed out



=== TEST 8: receiveuntil a boundary
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            sock:send("q")
            local reader = sock:receiveuntil("--END--")
            local data, err = reader()
            ngx.say("[", data, "] ", err)
            ngx.say(sock:receive())
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply eval
"hello world--END--rest\n"
--- request
GET /t
--- response_body
[hello world] nil
rest



=== TEST 9: send a table of strings
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT))
            local n = sock:send({ "a", "b", { "c", 1 }, "\n" })
            ngx.say("sent ", n)
            ngx.say(sock:receive())
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_query eval
"abc1\n"
--- tcp_reply
ok
--- request
GET /t
--- response_body
sent 5
ok



=== TEST 10: a closed socket
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:send("x"))
            ngx.say(sock:receive())
            ngx.say(sock:close())
        }
    }
--- request
GET /t
--- response_body
nilclosed
nilclosed
nilclosed



=== TEST 11: talk HTTP to the server itself
--- config
    location = /hello {
        return 200 "hi from self\n";
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n")
            local status = sock:receive()
            ngx.say(status)
            local body = sock:receive("*a")
            ngx.print(string.match(body, "\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
hi from self



=== TEST 12: the local server echoes the request body
--- config
    location = /echo {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.print("echo:", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("POST /echo HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
            local data = sock:receive("*a")
            ngx.say(string.match(data, "\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
echo:hello



=== TEST 13: setkeepalive and reuse
--- config
    location = /hello {
        return 200 "k";
    }
    location = /t {
        content_by_lua_block {
            local function get()
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                local reused = sock:getreusedtimes()
                sock:send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
                local reader = sock:receiveuntil("\r\n\r\n")
                reader()
                local body = sock:receive(1)
                assert(sock:setkeepalive())
                return reused, body
            end
            ngx.say(get())
            ngx.say(get())
        }
    }
--- request
GET /t
--- response_body
0k
1k



=== TEST 14: connect with a unix socket path
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("unix:$TEST_NGINX_HTML_DIR/nresty-spec.sock")
            if not ok then ngx.say("failed: ", err) return end
            sock:send("hi")
            ngx.say(sock:receive("*a"))
        }
    }
--- tcp_listen: $TEST_NGINX_HTML_DIR/nresty-spec.sock
--- tcp_reply: unix reply
--- request
GET /t
--- response_body
unix reply



=== TEST 15: ngx.socket.connect shortcut
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.socket.connect("127.0.0.1", $TEST_NGINX_TCP_LISTEN_PORT)
            if not sock then ngx.say(err) return end
            sock:send("q")
            ngx.say(sock:receive())
        }
    }
--- tcp_listen: $TEST_NGINX_TCP_LISTEN_PORT
--- tcp_reply
shortcut
--- request
GET /t
--- response_body
shortcut



=== TEST 16: a bad port
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", 70000)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
nil bad port number: 70000



=== TEST 17: a cosocket in a timer
--- http_config
    lua_shared_dict store 1m;
--- config
    location = /t {
        content_by_lua_block {
            local port = ngx.var.server_port
            ngx.timer.at(0, function()
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", port))
                sock:send("GET /hello HTTP/1.0\r\nHost: x\r\n\r\n")
                local line = sock:receive()
                ngx.shared.store:set("line", line)
            end)
            ngx.sleep(0.2)
            ngx.say(ngx.shared.store:get("line"))
        }
    }
    location = /hello {
        return 204;
    }
--- request
GET /t
--- response_body
HTTP/1.1 204 No Content



=== TEST 18: two cosockets in light threads
--- config
    location = /a {
        return 200 "A";
    }
    location = /b {
        return 200 "B";
    }
    location = /t {
        content_by_lua_block {
            local port = ngx.var.server_port
            local function fetch(path)
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", port))
                sock:send("GET " .. path .. " HTTP/1.0\r\nHost: x\r\n\r\n")
                local data = sock:receive("*a")
                return string.match(data, "\r\n\r\n(.*)$")
            end
            local ta = ngx.thread.spawn(fetch, "/a")
            local tb = ngx.thread.spawn(fetch, "/b")
            local _, a = ngx.thread.wait(ta)
            local _, b = ngx.thread.wait(tb)
            ngx.say(a, b)
        }
    }
--- request
GET /t
--- response_body
AB
