# break: ends the rewrite directives of the level it is in.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: directives after break do not run
--- config
    location = /t {
        set $a one;
        break;
        set $a two;
        return 200 "never\n";
    }
--- request
GET /t
--- error_code: 404



=== TEST 2: break inside an if
--- config
    location /t {
        set $v before;
        if ($arg_stop) {
            break;
        }
        set $v after;
        return 200 "v=$v\n";
    }
--- request eval
["GET /t?stop=", "GET /t?stop=1"]
--- error_code eval
[200, 404]
--- response_body_like eval
["v=after", "404 Not Found"]



=== TEST 3: break at the server level still lets locations run theirs
--- config
    break;
    location = /t {
        return 200 "location return\n";
    }
--- request
GET /t
--- response_body
location return
