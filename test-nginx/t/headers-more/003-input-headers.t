# headers-more's more_set_input_headers and more_clear_input_headers: the request headers as
# $http_*, later phases and subrequests see them.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: set a request header
--- config
    location = /t {
        more_set_input_headers 'X-In: hello';
        echo "[$http_x_in]";
    }
--- request
GET /t
--- response_body
[hello]



=== TEST 2: replace a header the client sent
--- config
    location = /t {
        more_set_input_headers 'X-Foo: replaced';
        echo "[$http_x_foo]";
    }
--- request
GET /t
--- more_headers
X-Foo: original
--- response_body
[replaced]



=== TEST 3: values take variables
--- config
    location = /t {
        more_set_input_headers 'X-From: $uri?$args';
        echo "[$http_x_from]";
    }
--- request
GET /t?a=1
--- response_body
[/t?a=1]



=== TEST 4: setting Host changes $host
--- config
    location = /t {
        more_set_input_headers 'Host: other.example';
        echo "$host $http_host";
    }
--- request
GET /t
--- response_body
other.example other.example



=== TEST 5: -r replaces only headers that are there
--- config
    location = /t {
        more_set_input_headers -r 'X-Foo: replaced' 'X-Absent: set';
        echo "[$http_x_foo] [$http_x_absent]";
    }
--- request
GET /t
--- more_headers
X-Foo: original
--- response_body
[replaced] []



=== TEST 6: -t with the request's Content-Type
--- config
    location = /t {
        more_set_input_headers -t 'text/plain' 'X-Plain: yes';
        more_set_input_headers -t 'application/json' 'X-Json: yes';
        echo "[$http_x_plain] [$http_x_json]";
    }
--- request
POST /t
hello
--- more_headers
Content-Type: text/plain
--- response_body
[yes] []



=== TEST 7: -t without a request Content-Type
--- config
    location = /t {
        more_set_input_headers -t 'text/plain' 'X-Plain: yes';
        echo "[$http_x_plain]";
    }
--- request
GET /t
--- response_body
[]



=== TEST 8: an empty value removes the header
--- config
    location = /t {
        more_set_input_headers 'X-Foo:';
        echo "[$http_x_foo]";
    }
--- request
GET /t
--- more_headers
X-Foo: gone
--- response_body
[]



=== TEST 9: clear request headers
--- config
    location = /t {
        more_clear_input_headers X-Foo;
        echo "[$http_x_foo] [$http_x_bar]";
    }
--- request
GET /t
--- more_headers
X-Foo: f
X-Bar: b
--- response_body
[] [b]



=== TEST 10: clear with a wildcard
--- config
    location = /t {
        more_clear_input_headers 'X-Drop-*';
        echo "[$http_x_drop_a] [$http_x_drop_b] [$http_x_keep]";
    }
--- request
GET /t
--- more_headers
X-Drop-A: a
X-Drop-B: b
X-Keep: k
--- response_body
[] [] [k]



=== TEST 11: clearing Content-Type empties $content_type
--- config
    location = /t {
        more_clear_input_headers Content-Type;
        echo "[$content_type] [$http_content_type]";
    }
--- request
POST /t
x
--- more_headers
Content-Type: text/x
--- response_body
[] []



=== TEST 12: setting Content-Type changes $content_type
--- config
    location = /t {
        more_set_input_headers 'Content-Type: a/b';
        echo "[$content_type]";
    }
--- request
GET /t
--- response_body
[a/b]



=== TEST 13: a subrequest sees the changed headers
--- config
    location = /t {
        more_set_input_headers 'X-New: from-main';
        echo_location /sub;
    }
    location = /sub {
        echo "[$http_x_new]";
    }
--- request
GET /t
--- response_body
[from-main]



=== TEST 14: the server level's come first, then the location's
--- config
    more_set_input_headers 'X-Level: server' 'X-Srv: s';
    location = /t {
        more_set_input_headers 'X-Level: location';
        echo "$http_x_level $http_x_srv";
    }
--- request
GET /t
--- response_body
location s



=== TEST 15: a location without any gets the server's
--- config
    more_set_input_headers 'X-Srv: s';
    location = /t {
        echo "[$http_x_srv]";
    }
--- request
GET /t
--- response_body
[s]



=== TEST 16: inside a location if
--- config
    location = /t {
        if ($arg_a) {
            more_set_input_headers 'X-If: yes';
        }
        echo "[$http_x_if]";
    }
--- request
GET /t?a=1
--- response_body
[yes]



=== TEST 17: other headers are left alone
--- config
    location = /t {
        more_set_input_headers 'X-One: 1';
        echo "$http_x_one $http_x_two";
    }
--- request
GET /t
--- more_headers
X-Two: 2
--- response_body
1 2



=== TEST 18: -s is not an option of the input directives
--- config
    location = /t {
        more_set_input_headers -s 200 'X-A: a';
    }
--- must_die
--- error_log
more_set_input_headers: invalid option name: "-s"



=== TEST 19: more_clear_input_headers needs an argument
--- config
    location = /t {
        more_clear_input_headers;
    }
--- must_die
--- error_log
invalid number of arguments in "more_clear_input_headers" directive
