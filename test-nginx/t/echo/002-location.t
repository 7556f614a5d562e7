# echo_location, echo_location_async and echo_exec: subrequests and internal redirects.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: echo_location puts the subrequest's body in place
--- config
    location = /t {
        echo before;
        echo_location /sub;
        echo after;
    }
    location = /sub {
        echo "in sub";
    }
--- request
GET /t
--- response_body
before
in sub
after



=== TEST 2: the subrequest sees its own $uri and the query of the URI
--- config
    location = /t {
        echo_location /sub?a=1&b=2;
    }
    location = /sub {
        echo "$uri $args $arg_b";
    }
--- request
GET /t
--- response_body
/sub a=1&b=2 2



=== TEST 3: the second argument is the query string
--- config
    location = /t {
        echo_location /sub "x=1&y=2";
    }
    location = /sub {
        echo "$uri?$args";
    }
--- request
GET /t
--- response_body
/sub?x=1&y=2



=== TEST 4: the second argument replaces the URI's own query
--- config
    location = /t {
        echo_location /sub?c=3 d=4;
    }
    location = /sub {
        echo "[$args]";
    }
--- request
GET /t
--- response_body
[d=4]



=== TEST 5: a subrequest without a query has empty args
--- config
    location = /t {
        echo_location /sub;
    }
    location = /sub {
        echo "[$args]";
    }
--- request
GET /t?main=1
--- response_body
[]



=== TEST 6: internal locations are reachable
--- config
    location = /t {
        echo_location /private;
    }
    location = /private {
        internal;
        echo secret;
    }
--- request
GET /t
--- response_body
secret



=== TEST 7: variables in the URI and the query
--- config
    location = /t {
        echo_location /sub/$arg_name "v=$arg_v";
    }
    location /sub/ {
        echo "$uri $arg_v";
    }
--- request
GET /t?name=abc&v=42
--- response_body
/sub/abc 42



=== TEST 8: two subrequests one after the other
--- config
    location = /t {
        echo_location /sub?n=1;
        echo_location /sub?n=2;
    }
    location = /sub {
        echo "sub $arg_n";
    }
--- request
GET /t
--- response_body
sub 1
sub 2



=== TEST 9: async subrequests keep the written order whatever their timing
--- config
    location = /t {
        echo_location_async /sleep?d=0.3&t=A;
        echo_location_async /sleep?d=0.1&t=B;
        echo_location /sleep?d=0.05&t=C;
        echo D;
    }
    location = /sleep {
        echo_sleep $arg_d;
        echo $arg_t;
    }
--- request
GET /t
--- response_body
A
B
C
D



=== TEST 10: output after an async subrequest waits for its body
--- config
    location = /t {
        echo_location_async /sub;
        echo main;
    }
    location = /sub {
        echo_sleep 0.1;
        echo sub;
    }
--- request
GET /t
--- response_body
sub
main



=== TEST 11: echo_location_async with a query argument
--- config
    location = /t {
        echo_location_async /sub x=y;
        echo_location_async /sub?z=1;
    }
    location = /sub {
        echo "$args";
    }
--- request
GET /t
--- response_body
x=y
z=1



=== TEST 12: a subrequest's own echo_location
--- config
    location = /t {
        echo main;
        echo_location /mid;
    }
    location = /mid {
        echo mid;
        echo_location /leaf;
    }
    location = /leaf {
        echo leaf;
    }
--- request
GET /t
--- response_body
main
mid
leaf



=== TEST 13: a subrequest that uses return
--- config
    location = /t {
        echo_location /ret;
        echo end;
    }
    location = /ret {
        return 200 "returned\n";
    }
--- request
GET /t
--- response_body
returned
end



=== TEST 14: the subrequest's status does not change the main one
--- config
    location = /t {
        echo_location /created;
    }
    location = /created {
        return 201 "made\n";
    }
--- request
GET /t
--- error_code: 200
--- response_body
made



=== TEST 15: echo_exec jumps to another location
--- config
    location = /t {
        echo_exec /target;
    }
    location = /target {
        echo "at $uri";
    }
--- request
GET /t
--- response_body
at /target



=== TEST 16: echo_exec with a query in the URI
--- config
    location = /t {
        echo_exec /target?q=1;
    }
    location = /target {
        echo "$uri $args";
    }
--- request
GET /t
--- response_body
/target q=1



=== TEST 17: echo_exec's second argument replaces the query
--- config
    location = /t {
        echo_exec /target?q=1 r=2;
    }
    location = /target {
        echo "$uri $args";
    }
--- request
GET /t
--- response_body
/target r=2



=== TEST 18: echo_exec to a named location keeps $uri
--- config
    location = /t {
        echo_exec @named;
    }
    location @named {
        echo "named $uri";
    }
--- request
GET /t
--- response_body
named /t



=== TEST 19: echo_exec reaches internal locations
--- config
    location = /t {
        echo_exec /private;
    }
    location = /private {
        internal;
        echo private;
    }
--- request
GET /t
--- response_body
private



=== TEST 20: echo_exec with a variable target
--- config
    location = /t {
        echo_exec /to/$arg_to;
    }
    location /to/ {
        echo "went to $uri";
    }
--- request
GET /t?to=there
--- response_body
went to /to/there



=== TEST 21: echo_location needs an argument
--- config
    location = /t {
        echo_location;
    }
--- must_die
--- error_log
invalid number of arguments in "echo_location" directive



=== TEST 22: echo_exec takes at most two arguments
--- config
    location = /t {
        echo_exec /a b c;
    }
--- must_die
--- error_log
invalid number of arguments in "echo_exec" directive
