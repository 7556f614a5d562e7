# vim:set ft= ts=4 sw=4 et fdm=marker:
# init_worker_by_lua: what it leaves behind is seen by requests.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: init_worker_by_lua runs in the init_worker phase
--- http_config
    lua_shared_dict store 1m;
    init_worker_by_lua_block {
        ngx.shared.store:set("phase", ngx.get_phase())
    }
--- config
    location = /t {
        content_by_lua_block { ngx.say(ngx.shared.store:get("phase")) }
    }
--- request
GET /t
--- response_body
init_worker
--- no_error_log
[error]



=== TEST 2: init_worker_by_lua_file
--- user_files
>>> iw.lua
iw_global = "init worker file ran"
--- http_config
    init_worker_by_lua_file html/iw.lua;
--- config
    location = /t {
        content_by_lua_block { ngx.say(iw_global) }
    }
--- request
GET /t
--- response_body
init worker file ran



=== TEST 3: ngx.worker.id and count in init_worker
--- http_config
    init_worker_by_lua_block {
        worker_info = ngx.worker.id() .. " of " .. ngx.worker.count()
    }
--- config
    location = /t {
        content_by_lua_block { ngx.say(worker_info, "; ", ngx.worker.id(), " ", ngx.worker.count()) }
    }
--- request
GET /t
--- response_body
0 of 1; 0 1



=== TEST 4: init runs before init_worker
--- http_config
    init_by_lua_block {
        order = { "init" }
    }
    init_worker_by_lua_block {
        table.insert(order, "init_worker")
    }
--- config
    location = /t {
        content_by_lua_block { ngx.say(table.concat(order, ",")) }
    }
--- request
GET /t
--- response_body
init,init_worker



=== TEST 5: an every-timer from init_worker counts
--- http_config
    lua_shared_dict store 1m;
    init_worker_by_lua_block {
        ngx.shared.store:set("ticks", 0)
        ngx.timer.every(0.02, function()
            ngx.shared.store:incr("ticks", 1)
        end)
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.15)
            ngx.say(ngx.shared.store:get("ticks") >= 2)
        }
    }
--- request
GET /t
--- response_body
true



=== TEST 6: ngx.worker.pid in init_worker is the worker's pid
--- http_config
    init_worker_by_lua_block {
        iw_pid = ngx.worker.pid()
    }
--- config
    location = /t {
        content_by_lua_block { ngx.say(iw_pid == ngx.worker.pid(), " ", type(iw_pid)) }
    }
--- request
GET /t
--- response_body
true number
