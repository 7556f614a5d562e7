# vim:set ft= ts=4 sw=4 et fdm=marker:
# set_by_lua_block / set_by_lua / set_by_lua_file: in order with the rewrite module's steps,
# ngx.arg, the value a return gives, and the errors (500 with ngx_lua's log lines).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: numbers as Lua prints them, nil as the empty string
--- config
    location = /t {
        set_by_lua_block $a { return 10/2 }
        set_by_lua_block $b { return 1/3 }
        set_by_lua_block $c { return nil }
        set_by_lua_block $d { return 2^53 }
        set_by_lua_block $e { return -0 }
        set_by_lua_block $f { return "str" }
        set_by_lua_block $g { return 1e100 }
        return 200 "[$a][$b][$c][$d][$e][$f][$g]\n";
    }
--- request
GET /t
--- response_body
[5][0.33333333333333][][9.007199254741e+15][-0][str][1e+100]
--- no_error_log
[error]



=== TEST 2: booleans and tables give the empty string; only the first value counts
--- config
    location = /t {
        set_by_lua_block $a { return true }
        set_by_lua_block $b { return {} }
        set_by_lua_block $c { return "a", "b" }
        return 200 "[$a][$b][$c]\n";
    }
--- request
GET /t
--- response_body
[][][a]
--- no_error_log
[error]



=== TEST 3: set_by_lua with arguments in ngx.arg, in the set phase
--- config
    location = /t {
        set $x hello;
        set_by_lua $a 'return ngx.arg[1] .. "," .. ngx.arg[2] .. "," .. tostring(ngx.arg[3]) .. "," .. #ngx.arg .. "," .. ngx.get_phase()' $x "w $x";
        return 200 "[$a]\n";
    }
--- request
GET /t
--- response_body
[hello,w hello,nil,0,set]
--- no_error_log
[error]



=== TEST 4: in order with set
--- config
    location = /t {
        set $v 1;
        set_by_lua_block $v { return ngx.var.v + 1 }
        set $w "$v-x";
        set_by_lua_block $z { return ngx.var.w }
        return 200 "[$v][$w][$z]\n";
    }
--- request
GET /t
--- response_body
[2][2-x][2-x]
--- no_error_log
[error]



=== TEST 5: inside if, and at the server level
--- config
    set_by_lua_block $srv { return "server-level" }
    location = /t {
        if ($arg_x) {
            set_by_lua_block $a { return "in-if" }
        }
        return 200 "[$a][$srv]\n";
    }
--- request
GET /t?x=1
--- response_body
[in-if][server-level]
--- no_error_log
[error]



=== TEST 6: before rewrite_by_lua, whatever the order in the location
--- config
    location = /t {
        rewrite_by_lua_block { ngx.var.q = ngx.var.q .. "+rewrite" }
        set_by_lua_block $q { return "set" }
        content_by_lua_block { ngx.say(ngx.var.q) }
    }
--- request
GET /t
--- response_body
set+rewrite
--- no_error_log
[error]



=== TEST 7: ngx.ctx and ngx.req work in set_by_lua
--- config
    location = /t {
        set_by_lua_block $a { ngx.ctx.x = 1 return ngx.var.uri .. ngx.req.get_method() }
        content_by_lua_block { ngx.say(ngx.var.a, ngx.ctx.x) }
    }
--- request
GET /t
--- response_body
/tGET1
--- no_error_log
[error]



=== TEST 8: a runtime error ends the request with 500
--- config
    location = /t {
        set_by_lua_block $a { error("boom") }
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log eval
qr/\[error\] .*? failed to run set_by_lua\*: set_by_lua\(nginx\.conf:\d+\):1: boom\nstack traceback:\n/



=== TEST 9: indexing nil, in set_by_lua with its code inline
--- config
    location = /t {
        set_by_lua $a 'local x = nil; return x.y';
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to run set_by_lua\*: set_by_lua\(nginx\.conf:\d+\):1: attempt to index local 'x' \(a nil value\)/



=== TEST 10: yielding APIs are disabled
--- config
    location = /t {
        set_by_lua_block $a { ngx.sleep(0.01) return 1 }
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*



=== TEST 11: output and ngx.exit are disabled
--- config
    location = /t {
        set_by_lua_block $a { local ok, err = pcall(ngx.say, "hi") return tostring(ok) .. ":" .. tostring(err):match("API disabled in the context of set_by_lua%*") }
        set_by_lua_block $b { local ok, err = pcall(ngx.exit, 403) return tostring(ok) .. ":" .. tostring(err):match("API disabled in the context of set_by_lua%*") }
        return 200 "[$a][$b]\n";
    }
--- request
GET /t
--- response_body
[false:API disabled in the context of set_by_lua*][false:API disabled in the context of set_by_lua*]
--- no_error_log
[error]



=== TEST 12: ngx.arg cannot be assigned in set_by_lua
--- config
    location = /t {
        set_by_lua_block $a { ngx.arg[1] = 3 return 1 }
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*



=== TEST 13: code that does not compile
--- config
    location = /t {
        set_by_lua $a 'return 1 +';
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/failed to load inlined Lua code: set_by_lua\(nginx\.conf:\d+\):1: unexpected symbol near '<eof>'/



=== TEST 14: set_by_lua_file with arguments
--- user_files
>>> add.lua
return ngx.arg[1] + ngx.arg[2]
--- config
    location = /t {
        set $y 5;
        set_by_lua_file $a html/add.lua 3 $y;
        return 200 "[$a]\n";
    }
--- request
GET /t
--- response_body
[8]
--- no_error_log
[error]



=== TEST 15: an error in set_by_lua_file names the file
--- user_files
>>> err.lua
local x = ngx.arg[1]
error("f" .. x)
--- config
    location = /t {
        set_by_lua_file $a html/err.lua zz;
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr{failed to run set_by_lua\*: /\S+/html/err\.lua:2: fzz\nstack traceback:}



=== TEST 16: a missing file gives 500
--- config
    location = /t {
        set_by_lua_file $a html/missing.lua;
        return 200 "[$a]\n";
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr{failed to load external Lua file "/\S+/html/missing\.lua": cannot open /\S+/html/missing\.lua: No such file or directory}
