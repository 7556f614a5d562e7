# The if directive: conditions on variables, regexes and captures.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: if on an argument
--- config
    location = /t {
        if ($arg_a) {
            return 200 "a is set\n";
        }
        return 200 "a is not set\n";
    }
--- request eval
["GET /t?a=1", "GET /t", "GET /t?a=0"]
--- response_body eval
["a is set\n", "a is not set\n", "a is not set\n"]



=== TEST 2: string equality
--- config
    location = /t {
        if ($arg_x = hello) {
            return 200 "equal\n";
        }
        if ($arg_x != hello) {
            return 200 "different\n";
        }
    }
--- request eval
["GET /t?x=hello", "GET /t?x=bye"]
--- response_body eval
["equal\n", "different\n"]



=== TEST 3: regex match sets captures
--- config
    location = /t {
        if ($arg_v ~ ^(\d+)-(\d+)$) {
            return 200 "first=$1 second=$2\n";
        }
        return 400;
    }
--- request
GET /t?v=12-34
--- response_body
first=12 second=34



=== TEST 4: case-insensitive regex
--- config
    location = /t {
        if ($http_user_agent ~* curl) {
            return 200 "curl-like\n";
        }
        return 200 "other\n";
    }
--- request
GET /t
--- more_headers
User-Agent: CURL/8.0
--- response_body
curl-like



=== TEST 5: negated regex
--- config
    location = /t {
        if ($arg_q !~ ^[a-z]+$) {
            return 403;
        }
        return 200 "ok\n";
    }
--- request eval
["GET /t?q=abc", "GET /t?q=ab1"]
--- error_code eval
[200, 403]



=== TEST 6: if in the server block
--- config
    if ($request_method = POST) {
        return 405;
    }
    location = /t {
        return 200 "get ok\n";
    }
--- request eval
["GET /t", "POST /t\nbody"]
--- error_code eval
[200, 405]



=== TEST 7: if with set inside
--- config
    location = /t {
        set $who "nobody";
        if ($arg_name) {
            set $who $arg_name;
        }
        return 200 "hello, $who\n";
    }
--- request eval
["GET /t?name=alice", "GET /t"]
--- response_body eval
["hello, alice\n", "hello, nobody\n"]



=== TEST 8: add_header inside an if location replaces the outer one
--- config
    location = /t {
        add_header X-Outer outer;
        if ($arg_inner) {
            add_header X-Inner inner;
        }
        return 200 "ok\n";
    }
--- request
GET /t?inner=1
--- response_headers
X-Inner: inner
!X-Outer
