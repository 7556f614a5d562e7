# headers-more's more_set_headers: set and replace response headers, -s and -t, levels.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: set two headers
--- config
    location = /t {
        more_set_headers 'X-A: a' 'X-B: b';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-A: a
X-B: b
--- response_body
ok



=== TEST 2: values take variables
--- config
    location = /t {
        more_set_headers 'X-Uri: $uri' 'X-Arg: [$arg_v]';
        echo ok;
    }
--- request
GET /t?v=7
--- response_headers
X-Uri: /t
X-Arg: [7]



=== TEST 3: replace Content-Type
--- config
    location = /t {
        more_set_headers 'Content-Type: text/foo; charset=utf-8';
        echo ok;
    }
--- request
GET /t
--- response_headers
Content-Type: text/foo; charset=utf-8



=== TEST 4: replace Server
--- config
    location = /t {
        more_set_headers 'Server: my-server';
        echo ok;
    }
--- request
GET /t
--- response_headers
Server: my-server



=== TEST 5: headers go on error pages too, without -s
--- config
    location = /t {
        more_set_headers 'X-All: yes';
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_headers
X-All: yes



=== TEST 6: -s limits the statuses
--- config
    location = /t {
        more_set_headers -s 404 'X-Not-Found: yes';
        more_set_headers -s '200 201' 'X-Ok: yes';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Not-Found
X-Ok: yes



=== TEST 7: -s with a matching error status
--- config
    location = /t {
        more_set_headers -s '404 500' 'X-Not-Found: yes';
        more_set_headers -s 200 'X-Ok: yes';
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_headers
X-Not-Found: yes
!X-Ok



=== TEST 8: -s given twice
--- config
    location = /t {
        more_set_headers -s 200 -s 410 'X-Two: yes';
        return 410;
    }
--- request
GET /t
--- error_code: 410
--- response_headers
X-Two: yes



=== TEST 9: -t limits the content types
--- config
    location = /t {
        more_set_headers -t 'text/html' 'X-Html: yes';
        more_set_headers -t 'text/css text/plain' 'X-Plain: yes';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Html
X-Plain: yes



=== TEST 10: -t sees default_type
--- config
    location = /t {
        default_type text/html;
        more_set_headers -t 'text/plain' 'X-Plain: yes';
        more_set_headers -t 'text/html' 'X-Html: yes';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Html: yes
!X-Plain



=== TEST 11: -s and -t together
--- config
    location = /t {
        more_set_headers -s 200 -t 'text/plain' 'X-Both: yes';
        more_set_headers -s 404 -t 'text/plain' 'X-Status-Only: no';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Both: yes
!X-Status-Only



=== TEST 12: options may follow the headers
--- config
    location = /t {
        more_set_headers 'X-After: yes' -s 404;
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_headers
X-After: yes



=== TEST 13: the last of two settings of one header wins, whatever the case
--- config
    location = /t {
        more_set_headers 'X-Case: one';
        more_set_headers 'x-case: two';
        echo ok;
    }
--- request
GET /t
--- raw_response_headers_like
(?i)x-case: two\r\n
--- raw_response_headers_unlike
one



=== TEST 14: an empty value or a name alone sends nothing
--- config
    location = /t {
        more_set_headers 'X-Empty:' 'X-Name-Only';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Empty
!X-Name-Only



=== TEST 15: leading spaces of the value are dropped, trailing ones kept
--- config
    location = /t {
        more_set_headers 'X-Sp:    spaced  ';
        echo ok;
    }
--- request
GET /t
--- raw_response_headers_like
X-Sp: spaced  \r\n



=== TEST 16: a value holding a colon
--- config
    location = /t {
        more_set_headers 'X-Time: 12:30:00';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Time: 12:30:00



=== TEST 17: add_header adds beside it
--- config
    location = /t {
        more_set_headers 'X-Multi: 1';
        add_header X-Multi 2;
        echo ok;
    }
--- request
GET /t
--- raw_response_headers_like
X-Multi: 1\r\nX-Multi: 2\r\n



=== TEST 18: a location gets the server's headers and its own
--- config
    more_set_headers 'X-Srv: srv';
    location = /t {
        more_set_headers 'X-Loc: loc';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Srv: srv
X-Loc: loc



=== TEST 19: a location without any gets the server's
--- config
    more_set_headers 'X-Srv: srv';
    location = /t {
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Srv: srv



=== TEST 20: the http level's come first, the location's replace them
--- http_config
    more_set_headers 'X-Level: http' 'X-Http: yes';
--- config
    location = /t {
        more_set_headers 'X-Level: location';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Level: location
X-Http: yes



=== TEST 21: a nested location adds to the outer one's
--- config
    location /t {
        more_set_headers 'X-Outer: o';
        location /t/in {
            more_set_headers 'X-Inner: i';
            echo inner;
        }
    }
--- request
GET /t/in
--- response_headers
X-Outer: o
X-Inner: i



=== TEST 22: inside a location if
--- config
    location = /t {
        more_set_headers 'X-Loc: loc';
        if ($arg_a) {
            more_set_headers 'X-If: if';
        }
        echo ok;
    }
--- request
GET /t?a=1
--- response_headers
X-Loc: loc
X-If: if



=== TEST 23: the location if does not hold
--- config
    location = /t {
        more_set_headers 'X-Loc: loc';
        if ($arg_a) {
            more_set_headers 'X-If: if';
        }
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Loc: loc
!X-If



=== TEST 24: on a return with text
--- config
    location = /t {
        more_set_headers 'X-Ret: yes';
        return 200 "ret\n";
    }
--- request
GET /t
--- response_headers
X-Ret: yes
--- response_body
ret



=== TEST 25: -s needs a value
--- config
    location = /t {
        more_set_headers -s;
    }
--- must_die
--- error_log
more_set_headers: option -s takes an argument.



=== TEST 26: an unknown option
--- config
    location = /t {
        more_set_headers -x 'X-A: a';
    }
--- must_die
--- error_log
more_set_headers: invalid option name: "-x"



=== TEST 27: a status list that is not digits
--- config
    location = /t {
        more_set_headers -s 'abc' 'X-A: a';
    }
--- must_die
--- error_log
more_set_headers: invalid digit "a" found in the status code list "abc"



=== TEST 28: an unknown variable in a value
--- config
    location = /t {
        more_set_headers 'X-A: $no_such_var_here';
    }
--- must_die
--- error_log
unknown "no_such_var_here" variable
