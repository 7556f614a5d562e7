# vim:set ft= ts=4 sw=4 et fdm=marker:
# Output: ngx.say, ngx.print, ngx.flush, ngx.eof, ngx.send_headers.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: say adds a newline, print does not
--- config
    location = /t {
        content_by_lua_block {
            ngx.print("a")
            ngx.print("b")
            ngx.say("c")
        }
    }
--- request
GET /t
--- response_body
abc
--- no_error_log
[error]



=== TEST 2: several arguments are concatenated
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a", 1, "b", 2.5, true, nil, false)
        }
    }
--- request
GET /t
--- response_body
a1b2.5truenilfalse



=== TEST 3: a table argument is flattened
--- config
    location = /t {
        content_by_lua_block {
            ngx.say({ "x", { "y", "z" }, 1 })
        }
    }
--- request
GET /t
--- response_body
xyz1



=== TEST 4: numbers print as LuaJIT prints them
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(10 / 2, " ", 1 / 3, " ", 2^53, " ", 1e15, " ", 3 * 1.5)
        }
    }
--- request
GET /t
--- response_body
5 0.33333333333333 9.007199254741e+15 1e+15 4.5



=== TEST 5: ngx.null prints as null
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.null)
        }
    }
--- request
GET /t
--- response_body
null



=== TEST 6: say of a function is an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() ngx.say(function() end) end)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
false bad argument #1 to 'say' (string, number, boolean, nil, ngx.null, or array table expected, but got function)



=== TEST 7: say returns 1
--- config
    location = /t {
        content_by_lua_block {
            local ok = ngx.say("x")
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
x
1



=== TEST 8: flush between outputs
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("one")
            ngx.flush(true)
            ngx.say("two")
            ngx.flush()
            ngx.say("three")
        }
    }
--- request
GET /t
--- response_body
one
two
three



=== TEST 9: eof ends the response, later output is ignored
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("done")
            ngx.eof()
            ngx.say("after eof")
        }
    }
--- request
GET /t
--- response_body
done



=== TEST 10: work after eof still runs
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("early")
            ngx.eof()
            ngx.sleep(0.01)
            ngx.log(ngx.WARN, "after eof, still running")
        }
    }
--- request
GET /t
--- response_body
early
--- wait: 0.1
--- error_log
after eof, still running



=== TEST 11: empty say prints a newline
--- config
    location = /t {
        content_by_lua_block {
            ngx.say()
            ngx.say("x")
        }
    }
--- request
GET /t
--- response_body eval
"\nx\n"



=== TEST 12: print of an empty string
--- config
    location = /t {
        content_by_lua_block {
            ngx.print("")
            ngx.say("y")
        }
    }
--- request
GET /t
--- response_body
y



=== TEST 13: binary bytes go out unchanged
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.char(0, 1, 255, 10))
        }
    }
--- request
GET /t
--- response_body_filters
length
--- response_body: 4



=== TEST 14: a large body
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.rep("a", 100000))
        }
    }
--- request
GET /t
--- response_body_filters
length
--- response_body: 100000



=== TEST 15: many small says
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 100 do
                ngx.print(i % 10)
            end
            ngx.say()
        }
    }
--- request
GET /t
--- response_body eval
("1234567890" x 10) . "\n"



=== TEST 16: send_headers then say
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Early"] = "1"
            ngx.send_headers()
            ngx.say("body")
        }
    }
--- request
GET /t
--- response_headers
X-Early: 1
--- response_body
body



=== TEST 17: print in a rewrite phase then exit
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.print("rw")
            ngx.exit(ngx.HTTP_OK)
        }
    }
--- request
GET /t
--- response_body chomp
rw



=== TEST 18: a HEAD request gets no body
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hidden")
        }
    }
--- request
HEAD /t
--- response_body



=== TEST 19: nested tables with numbers
--- config
    location = /t {
        content_by_lua_block {
            ngx.print({ 1, 2, { 3, { 4 } } })
            ngx.say("")
        }
    }
--- request
GET /t
--- response_body
1234



=== TEST 20: a non-array table is an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() ngx.say({ a = 1 }) end)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
false bad argument #1 to 'say' (non-array table found)



=== TEST 21: ngx.print of a multi-line string
--- config
    location = /t {
        content_by_lua_block {
            ngx.print([[
line 1
line 2
]])
        }
    }
--- request
GET /t
--- response_body
line 1
line 2
