# headers-more and echo beside ngx_lua's handlers at the same level: which runs first.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: more_set_headers runs before header_filter_by_lua
--- config
    location = /t {
        more_set_headers 'X-H: more';
        header_filter_by_lua_block {
            ngx.header["X-Lua-Saw"] = ngx.header["X-H"] or "nil"
            ngx.header["X-H2"] = "lua"
        }
        more_set_headers 'X-H2: more';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-H: more
X-Lua-Saw: more
X-H2: lua



=== TEST 2: more_set_input_headers runs before rewrite_by_lua
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.saw = ngx.var.http_x_in or "nil"
        }
        more_set_input_headers 'X-In: more';
        content_by_lua_block {
            ngx.say(ngx.ctx.saw, " ", ngx.req.get_headers()["x-in"])
        }
    }
--- request
GET /t
--- response_body
more more



=== TEST 3: body_filter_by_lua sees echo_after_body's text
--- config
    location = /t {
        body_filter_by_lua_block {
            ngx.arg[1] = string.upper(ngx.arg[1] or "")
        }
        echo_after_body after;
        echo body;
    }
--- request
GET /t
--- response_body
BODY
AFTER



=== TEST 4: ngx.location.capture gets echo's output, filters included
--- config
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/sub")
            ngx.print(res.status, ":", res.body)
        }
    }
    location = /sub {
        echo_before_body "<";
        echo sub;
    }
--- request
GET /t
--- response_body
200:<
sub
