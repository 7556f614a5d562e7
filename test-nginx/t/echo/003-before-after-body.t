# echo_before_body and echo_after_body: a body filter around whatever the location sends.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: text before and after echo's body
--- config
    location = /t {
        echo_before_body before;
        echo_after_body after;
        echo body;
    }
--- request
GET /t
--- response_body
before
body
after



=== TEST 2: the directives' order in the file does not matter
--- config
    location = /t {
        echo body;
        echo_after_body after;
        echo_before_body before;
    }
--- request
GET /t
--- response_body
before
body
after



=== TEST 3: several of each run in written order
--- config
    location = /t {
        echo_before_body b1;
        echo_before_body b2;
        echo_after_body a1;
        echo_after_body a2;
        echo body;
    }
--- request
GET /t
--- response_body
b1
b2
body
a1
a2



=== TEST 4: -n and several arguments, as echo takes them
--- config
    location = /t {
        echo_before_body -n "[" x;
        echo_after_body -n "]";
        echo -n body;
    }
--- request
GET /t
--- response_body chomp
[ xbody]



=== TEST 5: variables in the text
--- config
    location = /t {
        echo_before_body "from $uri";
        echo_after_body "arg=$arg_x";
        echo body;
    }
--- request
GET /t?x=42
--- response_body
from /t
body
arg=42



=== TEST 6: around a return
--- config
    location = /t {
        echo_before_body before;
        echo_after_body after;
        return 200 "returned\n";
    }
--- request
GET /t
--- response_body
before
returned
after



=== TEST 7: around an error page
--- config
    location = /t {
        echo_before_body before;
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_body_like
\Abefore\n<html>.*403 Forbidden



=== TEST 8: around several flushed parts, once each
--- config
    location = /t {
        echo_before_body "<<";
        echo_after_body ">>";
        echo one;
        echo_flush;
        echo_sleep 0.05;
        echo two;
    }
--- request
GET /t
--- response_body
<<
one
two
>>



=== TEST 9: an empty body still gets both texts
--- config
    location = /t {
        echo_before_body before;
        echo_after_body after;
        echo -n;
    }
--- request
GET /t
--- response_body
before
after



=== TEST 10: a subrequest's location filters its own body
--- config
    location = /t {
        echo main;
        echo_location /sub;
    }
    location = /sub {
        echo_before_body "sub before";
        echo_after_body "sub after";
        echo sub;
    }
--- request
GET /t
--- response_body
main
sub before
sub
sub after



=== TEST 11: the main request's and the subrequest's filters both apply
--- config
    location = /t {
        echo_before_body "main before";
        echo_location /sub;
    }
    location = /sub {
        echo_before_body "sub before";
        echo sub;
    }
--- request
GET /t
--- response_body
main before
sub before
sub



=== TEST 12: inside a location if
--- config
    location = /t {
        if ($arg_wrap) {
            echo_before_body "(";
            echo_after_body ")";
        }
        echo body;
    }
--- request
GET /t?wrap=1
--- response_body
(
body
)



=== TEST 13: not allowed at the server level
--- config
    echo_before_body hi;
--- must_die
--- error_log
"echo_before_body" directive is not allowed here
