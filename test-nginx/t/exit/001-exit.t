# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.exit, ngx.exec, ngx.redirect from Lua.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: exit with 404 gives nginx's error page
--- config
    location = /t {
        content_by_lua_block {
            ngx.exit(404)
        }
    }
--- request
GET /t
--- error_code: 404
--- response_body_like: 404 Not Found
--- no_error_log
[error]



=== TEST 2: exit with 500
--- config
    location = /t {
        content_by_lua_block {
            ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
        }
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error



=== TEST 3: exit stops the handler
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("before")
            ngx.exit(ngx.HTTP_OK)
            ngx.say("after")
        }
    }
--- request
GET /t
--- response_body
before



=== TEST 4: exit inside pcall still exits
--- config
    location = /t {
        content_by_lua_block {
            pcall(function()
                ngx.exit(403)
            end)
            ngx.say("not reached")
        }
    }
--- request
GET /t
--- error_code: 403



=== TEST 5: exit inside a nested function
--- config
    location = /t {
        content_by_lua_block {
            local function deny() ngx.exit(401) end
            local function check() deny() end
            check()
            ngx.say("not reached")
        }
    }
--- request
GET /t
--- error_code: 401



=== TEST 6: exit after ngx.status set keeps the body
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 201
            ngx.say("created")
            ngx.exit(ngx.HTTP_OK)
        }
    }
--- request
GET /t
--- error_code: 201
--- response_body
created



=== TEST 7: exit with a status uses error_page
--- config
    error_page 403 /denied;
    location = /denied {
        return 200 "custom denied\n";
    }
    location = /t {
        access_by_lua_block {
            ngx.exit(403)
        }
    }
--- request
GET /t
--- error_code: 403
--- response_body
custom denied



=== TEST 8: exit 204 gives no body
--- config
    location = /t {
        content_by_lua_block {
            ngx.exit(204)
        }
    }
--- request
GET /t
--- error_code: 204
--- response_body



=== TEST 9: exec to a named location
--- config
    location = /t {
        content_by_lua_block {
            ngx.exec("@named")
        }
    }
    location @named {
        content_by_lua_block {
            ngx.say("in named, uri ", ngx.var.uri)
        }
    }
--- request
GET /t
--- response_body
in named, uri /t



=== TEST 10: exec with args as a string
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.exec("/target", "a=1&b=2")
        }
    }
    location = /target {
        content_by_lua_block {
            ngx.say(ngx.var.uri, "?", ngx.var.args)
        }
    }
--- request
GET /t
--- response_body
/target?a=1&b=2



=== TEST 11: exec with args as a table
--- config
    location = /t {
        content_by_lua_block {
            ngx.exec("/target", { k = "v w" })
        }
    }
    location = /target {
        content_by_lua_block {
            ngx.say(ngx.var.arg_k)
        }
    }
--- request
GET /t
--- response_body
v%20w



=== TEST 12: exec with args inside the uri
--- config
    location = /t {
        content_by_lua_block {
            ngx.exec("/target?x=9")
        }
    }
    location = /target {
        content_by_lua_block {
            ngx.say("x=", ngx.var.arg_x)
        }
    }
--- request
GET /t
--- response_body
x=9



=== TEST 13: exec into an internal location
--- config
    location = /t {
        content_by_lua_block {
            ngx.exec("/inside")
        }
    }
    location = /inside {
        internal;
        return 200 "internal ok\n";
    }
--- request
GET /t
--- response_body
internal ok



=== TEST 14: redirect with the default 302
--- config
    location = /t {
        content_by_lua_block {
            ngx.redirect("/new")
        }
    }
--- request
GET /t
--- error_code: 302
--- response_headers_like
Location: /new$
--- response_body_like: 302 Found



=== TEST 15: redirect 301 to an absolute URL
--- config
    location = /t {
        rewrite_by_lua_block {
            return ngx.redirect("http://example.com/x", 301)
        }
    }
--- request
GET /t
--- error_code: 301
--- response_headers
Location: http://example.com/x



=== TEST 16: redirect 307
--- config
    location = /t {
        content_by_lua_block {
            ngx.redirect("/temp", ngx.HTTP_TEMPORARY_REDIRECT)
        }
    }
--- request
GET /t
--- error_code: 307
--- response_headers_like
Location: /temp$



=== TEST 17: redirect with a bad status is an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.redirect, "/x", 200)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
false only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed



=== TEST 18: redirect stops the handler
--- config
    location = /t {
        content_by_lua_block {
            ngx.redirect("/a")
            ngx.log(ngx.ERR, "still here")
        }
    }
--- request
GET /t
--- error_code: 302
--- no_error_log
still here



=== TEST 19: exit after the body was sent
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("partial")
            ngx.exit(500)
        }
    }
--- request
GET /t
--- response_body
partial



=== TEST 20: ngx.exit(500) in header_filter_by_lua gives a 500
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("body")
        }
        header_filter_by_lua_block {
            ngx.exit(500)
        }
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error



=== TEST 21: exec from access_by_lua
--- config
    location = /t {
        access_by_lua_block {
            ngx.exec("/other")
        }
        content_by_lua_block {
            ngx.say("not reached")
        }
    }
    location = /other {
        content_by_lua_block {
            ngx.say("other ", ngx.req.get_method())
        }
    }
--- request
POST /t
x
--- response_body
other POST



=== TEST 22: ngx.exit(ngx.ERROR) closes with no status set
--- config
    location = /t {
        content_by_lua_block {
            ngx.exit(ngx.ERROR)
        }
    }
--- request
GET /t
--- ignore_response
--- no_error_log
[crit]



=== TEST 23: return ngx.exit in rewrite with 444-like close? use 410
--- config
    location = /t {
        rewrite_by_lua_block {
            return ngx.exit(ngx.HTTP_GONE)
        }
    }
--- request
GET /t
--- error_code: 410
--- response_body_like: 410 Gone
