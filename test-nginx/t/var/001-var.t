# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.var: reading and writing nginx variables from Lua.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: read built-in variables
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.uri, " ", ngx.var.args, " ", ngx.var.request_method)
        }
    }
--- request
GET /t?a=1&b=2
--- response_body
/t a=1&b=2 GET
--- no_error_log
[error]



=== TEST 2: arg_ variables
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.arg_name, " ", ngx.var.arg_missing)
        }
    }
--- request
GET /t?name=bob
--- response_body
bob nil



=== TEST 3: http_ variables
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.http_user_agent, " ", ngx.var.http_x_foo_bar)
        }
    }
--- request
GET /t
--- more_headers
User-Agent: spec
X-Foo-Bar: baz
--- response_body
spec baz



=== TEST 4: an undefined variable reads as nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.no_such_variable_here)
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 5: read a set variable
--- config
    location = /t {
        set $greeting "hi there";
        content_by_lua_block {
            ngx.say(ngx.var.greeting)
        }
    }
--- request
GET /t
--- response_body
hi there



=== TEST 6: write a variable declared by set
--- config
    location = /t {
        set $foo "";
        content_by_lua_block {
            ngx.var.foo = "written"
            ngx.say(ngx.var.foo)
        }
    }
--- request
GET /t
--- response_body
written



=== TEST 7: writing a number stores its string
--- config
    location = /t {
        set $n "";
        content_by_lua_block {
            ngx.var.n = 32
            ngx.say(type(ngx.var.n), " ", ngx.var.n)
        }
    }
--- request
GET /t
--- response_body
string 32



=== TEST 8: writing an undeclared variable raises an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() ngx.var.undeclared_var = 1 end)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
false variable "undeclared_var" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $undeclared_var '';" in the config file to define it first



=== TEST 9: a variable set in rewrite_by_lua is seen by content
--- config
    location = /t {
        set $v "";
        rewrite_by_lua_block {
            ngx.var.v = "from rewrite"
        }
        content_by_lua_block {
            ngx.say(ngx.var.v)
        }
    }
--- request
GET /t
--- response_body
from rewrite



=== TEST 10: request_uri keeps the query string
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.request_uri)
        }
    }
--- request
GET /t?x=%20y
--- response_body
/t?x=%20y



=== TEST 11: host and server_port
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.host, " ", ngx.var.server_port == tostring(ngx.var.server_port))
        }
    }
--- request
GET /t
--- response_body
localhost true



=== TEST 12: remote_addr is the loopback
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.remote_addr)
        }
    }
--- request
GET /t
--- response_body
127.0.0.1



=== TEST 13: regex captures by number
--- config
    location ~ ^/t/(\w+)/(\d+)$ {
        content_by_lua_block {
            ngx.say(ngx.var[1], " ", ngx.var[2])
        }
    }
--- request
GET /t/item/42
--- response_body
item 42



=== TEST 14: named regex captures
--- config
    location ~ ^/t/(?<kind>\w+)$ {
        content_by_lua_block {
            ngx.say("kind = ", ngx.var.kind)
        }
    }
--- request
GET /t/fruit
--- response_body
kind = fruit



=== TEST 15: a missing capture reads as nil
--- config
    location ~ ^/t/(\w+)$ {
        content_by_lua_block {
            ngx.say(ngx.var[1], " ", ngx.var[2])
        }
    }
--- request
GET /t/a
--- response_body
a nil



=== TEST 16: setting ngx.var.args changes $args
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.var.args = "k=v"
        }
        content_by_lua_block {
            ngx.say(ngx.var.args, " ", ngx.var.arg_k)
        }
    }
--- request
GET /t?old=1
--- response_body
k=v v



=== TEST 17: a variable is visible to a later return directive in a new location
--- config
    location = /t {
        set $target "";
        rewrite_by_lua_block {
            ngx.var.target = "lua-set"
        }
        content_by_lua_block {
            ngx.say("target ", ngx.var.target)
        }
    }
--- request
GET /t
--- response_body
target lua-set



=== TEST 18: cookie_ variables
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.cookie_session, " ", ngx.var.cookie_theme)
        }
    }
--- request
GET /t
--- more_headers
Cookie: session=abc; theme=dark
--- response_body
abc dark



=== TEST 19: server_protocol and scheme
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.server_protocol, " ", ngx.var.scheme)
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 http



=== TEST 20: is_args
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("[", ngx.var.is_args, "]")
        }
    }
--- request
GET /t?a
--- response_body
[?]



=== TEST 21: content_length and content_type of the request
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.var.content_length, " ", ngx.var.content_type)
        }
    }
--- request
POST /t
hello
--- more_headers
Content-Type: text/x-spec
--- response_body
5 text/x-spec



=== TEST 22: a set variable in a map-free chain
--- config
    location = /t {
        set $a "1";
        set $b "$a-2";
        content_by_lua_block {
            ngx.say(ngx.var.b)
        }
    }
--- request
GET /t
--- response_body
1-2



=== TEST 23: setting a variable to nil makes it not found
--- config
    location = /t {
        set $v "x";
        content_by_lua_block {
            ngx.var.v = nil
            ngx.say("[", ngx.var.v, "]")
        }
    }
--- request
GET /t
--- response_body
[nil]



=== TEST 24: ngx.var.status in log phase
--- config
    location = /t {
        return 404;
        log_by_lua_block {
            ngx.log(ngx.WARN, "status var: ", ngx.var.status)
        }
    }
--- request
GET /t
--- error_code: 404
--- error_log
status var: 404
