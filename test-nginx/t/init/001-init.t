# vim:set ft= ts=4 sw=4 et fdm=marker:
# init_by_lua and init_worker_by_lua.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: a global from init_by_lua
--- http_config
    init_by_lua_block {
        greeting = "hello from init"
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(greeting)
        }
    }
--- request
GET /t
--- response_body
hello from init
--- no_error_log
[error]



=== TEST 2: a module required in init_by_lua
--- user_files
>>> initmod.lua
local M = { loaded_at = "init" }
return M
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
    init_by_lua_block {
        require "initmod"
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(package.loaded.initmod.loaded_at)
        }
    }
--- request
GET /t
--- response_body
init



=== TEST 3: ngx.get_phase in init
--- http_config
    init_by_lua_block {
        init_phase = ngx.get_phase()
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(init_phase)
        }
    }
--- request
GET /t
--- response_body
init



=== TEST 4: a shared dict written in init_by_lua
--- http_config
    lua_shared_dict store 1m;
    init_by_lua_block {
        ngx.shared.store:set("boot", "yes")
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.shared.store:get("boot"))
        }
    }
--- request
GET /t
--- response_body
yes



=== TEST 5: a timer from init_worker_by_lua
--- http_config
    lua_shared_dict store 1m;
    init_worker_by_lua_block {
        ngx.timer.at(0, function()
            ngx.shared.store:set("timer", "ran")
        end)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.say(ngx.shared.store:get("timer"))
        }
    }
--- request
GET /t
--- response_body
ran



=== TEST 6: init_by_lua_file
--- user_files
>>> init.lua
from_init_file = 42
--- http_config
    init_by_lua_file html/init.lua;
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(from_init_file)
        }
    }
--- request
GET /t
--- response_body
42



=== TEST 7: an error in init_by_lua stops the start
--- http_config
    init_by_lua_block {
        error("init failed")
    }
--- config
    location = /t {
        return 200;
    }
--- must_die
--- error_log
init failed



=== TEST 8: a table from init_by_lua is shared by requests
--- http_config
    init_by_lua_block {
        config_table = { name = "svc", port = 80 }
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(config_table.name, ":", config_table.port)
        }
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["svc:80\n", "svc:80\n"]



=== TEST 9: ngx.config.prefix and subsystem
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.config.subsystem, " ", type(ngx.config.prefix()), " ", type(ngx.config.nginx_version))
        }
    }
--- request
GET /t
--- response_body
http string number
