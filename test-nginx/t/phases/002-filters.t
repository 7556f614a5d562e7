# vim:set ft= ts=4 sw=4 et fdm=marker:
# header_filter_by_lua and body_filter_by_lua in more detail.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: body_filter sees every chunk and eof once
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a")
            ngx.flush(true)
            ngx.say("b")
        }
        body_filter_by_lua_block {
            if ngx.arg[2] then
                ngx.arg[1] = ngx.arg[1] .. "END\n"
            end
        }
    }
--- request
GET /t
--- response_body
a
b
END



=== TEST 2: body_filter drops a chunk by setting it empty
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("keep")
            ngx.flush(true)
            ngx.say("drop")
            ngx.flush(true)
            ngx.say("keep too")
        }
        body_filter_by_lua_block {
            if ngx.arg[1] == "drop\n" then
                ngx.arg[1] = ""
            end
        }
    }
--- request
GET /t
--- response_body
keep
keep too



=== TEST 3: body_filter counts bytes into ngx.ctx
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.rep("x", 10))
            ngx.flush(true)
            ngx.print(string.rep("y", 5))
        }
        body_filter_by_lua_block {
            ngx.ctx.n = (ngx.ctx.n or 0) + #ngx.arg[1]
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "bytes: ", ngx.ctx.n)
        }
    }
--- request
GET /t
--- response_body chomp
xxxxxxxxxxyyyyy
--- error_log
bytes: 15



=== TEST 4: header_filter reads the status and headers of the content phase
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 203
            ngx.header["X-From-Content"] = "c"
            ngx.say("ok")
        }
        header_filter_by_lua_block {
            ngx.header["X-Seen"] = ngx.status .. "/" .. ngx.header["X-From-Content"]
        }
    }
--- request
GET /t
--- error_code: 203
--- response_headers
X-Seen: 203/c



=== TEST 5: header_filter on an error page
--- config
    location = /t {
        return 404;
        header_filter_by_lua_block {
            ngx.header["X-Status"] = ngx.status
        }
    }
--- request
GET /t
--- error_code: 404
--- response_headers
X-Status: 404



=== TEST 6: header_filter sets the content type
--- config
    location = /t {
        content_by_lua_block { ngx.say("{}") }
        header_filter_by_lua_block {
            ngx.header.content_type = "application/json"
        }
    }
--- request
GET /t
--- response_headers
Content-Type: application/json



=== TEST 7: ngx.arg[2] is a boolean
--- config
    location = /t {
        content_by_lua_block { ngx.say("x") }
        body_filter_by_lua_block {
            ngx.ctx.types = (ngx.ctx.types or "") .. type(ngx.arg[1]) .. ":" .. type(ngx.arg[2]) .. " "
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "types ", ngx.ctx.types)
        }
    }
--- request
GET /t
--- response_body
x
--- error_log
string:boolean



=== TEST 8: body_filter_by_lua_file
--- user_files
>>> bf.lua
ngx.arg[1] = string.gsub(ngx.arg[1], "cat", "dog")
--- config
    location = /t {
        content_by_lua_block { ngx.say("a cat and a cat") }
        body_filter_by_lua_file html/bf.lua;
    }
--- request
GET /t
--- response_body
a dog and a dog



=== TEST 9: header_filter_by_lua_file
--- user_files
>>> hf.lua
ngx.header["X-File"] = "hf"
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_file html/hf.lua;
    }
--- request
GET /t
--- response_headers
X-File: hf



=== TEST 10: log_by_lua_file
--- user_files
>>> lg.lua
ngx.log(ngx.WARN, "log file for ", ngx.var.uri)
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_file html/lg.lua;
    }
--- request
GET /t
--- response_body
ok
--- error_log
log file for /t



=== TEST 11: log_by_lua sees request_time
--- config
    location = /t {
        content_by_lua_block { ngx.say("fast") }
        log_by_lua_block {
            ngx.log(ngx.WARN, "request_time >= 0: ", tonumber(ngx.var.request_time) >= 0)
        }
    }
--- request
GET /t
--- response_body
fast
--- error_log
request_time >= 0: true



=== TEST 12: a body filter makes a return body longer
--- config
    location = /t {
        return 200 "short\n";
        header_filter_by_lua_block {
            ngx.header.content_length = nil
        }
        body_filter_by_lua_block {
            if ngx.arg[1] ~= "" then
                ngx.arg[1] = "a much longer body\n"
            end
        }
    }
--- request
GET /t
--- response_body
a much longer body
