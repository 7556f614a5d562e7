# vim:set ft= ts=4 sw=4 et fdm=marker:
# The first require "resty.lrucache" of a worker from each kind of handler: the phases that
# cannot wait (header and body filters) and those that can (log, init_worker, timers).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value("http_config", "lua_package_path \"/usr/share/lua/5.1/?.lua;;\";");
    }
});

run_tests();

__DATA__

=== TEST 1: first require in header_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("body") }
        header_filter_by_lua_block {
            local lrucache = require "resty.lrucache"
            local c = lrucache.new(1)
            c:set("k", "hf")
            ngx.header["X-Cache"] = c:get("k")
        }
    }
--- request
GET /t
--- response_headers
X-Cache: hf
--- response_body
body
--- no_error_log
[error]



=== TEST 2: first require in body_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("body") }
        body_filter_by_lua_block {
            local lrucache = require "resty.lrucache.pureffi"
            if ngx.arg[1] ~= "" then
                ngx.arg[1] = type(lrucache.new) .. " " .. ngx.arg[1]
            end
        }
    }
--- request
GET /t
--- response_body
function body
--- no_error_log
[error]



=== TEST 3: first require in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("body") }
        log_by_lua_block {
            local lrucache = require "resty.lrucache"
            ngx.log(ngx.WARN, "log phase: ", type(lrucache.new))
        }
    }
--- request
GET /t
--- response_body
body
--- error_log
log phase: function
--- no_error_log
[error]



=== TEST 4: first require in init_worker_by_lua and in a timer
--- http_config
    lua_package_path "/usr/share/lua/5.1/?.lua;;";
    lua_shared_dict d 1m;
    init_worker_by_lua_block {
        local lrucache = require "resty.lrucache"
        ngx.shared.d:set("iw", type(lrucache.new))
        ngx.timer.at(0, function()
            local pureffi = require "resty.lrucache.pureffi"
            ngx.shared.d:set("timer", type(pureffi.new))
        end)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.say(ngx.shared.d:get("iw"), " ", ngx.shared.d:get("timer"))
        }
    }
--- request
GET /t
--- response_body
function function
--- no_error_log
[error]
