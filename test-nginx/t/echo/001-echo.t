# The echo module's `echo`, `echo_sleep` and `echo_flush`: options, arguments, variables.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: echo writes its text and a newline
--- config
    location = /t {
        echo hello;
    }
--- request
GET /t
--- response_body
hello
--- response_headers
Content-Type: text/plain



=== TEST 2: several arguments are joined by one space
--- config
    location = /t {
        echo hello,   world "a  b" c;
    }
--- request
GET /t
--- response_body
hello, world a  b c



=== TEST 3: several echo directives run in order
--- config
    location = /t {
        echo one;
        echo two;
        echo three;
    }
--- request
GET /t
--- response_body
one
two
three



=== TEST 4: -n leaves out the newline
--- config
    location = /t {
        echo -n left;
        echo -n " ";
        echo right;
    }
--- request
GET /t
--- response_body
left right



=== TEST 5: a bare echo writes a newline, echo -n nothing
--- config
    location = /t {
        echo -n;
        echo;
        echo -n;
        echo end;
    }
--- request
GET /t
--- response_body eval
"\nend\n"



=== TEST 6: -- ends the options
--- config
    location = /t {
        echo -- -n;
        echo -n -- -n;
        echo -- --;
        echo --;
    }
--- request
GET /t
--- response_body eval
"-n\n-n--\n\n"



=== TEST 7: unknown options are dropped, a lone dash is text
--- config
    location = /t {
        echo -x foo;
        echo -nx bar;
        echo - baz;
    }
--- request
GET /t
--- response_body
foo
bar
- baz



=== TEST 8: -n given twice
--- config
    location = /t {
        echo -n -n a;
        echo b;
    }
--- request
GET /t
--- response_body
ab



=== TEST 9: a quoted -n is still an option
--- config
    location = /t {
        echo "-n" x;
        echo y;
    }
--- request
GET /t
--- response_body
xy



=== TEST 10: empty arguments still get their separating space
--- config
    location = /t {
        echo a "" b;
        echo "" "";
        echo "";
    }
--- request
GET /t
--- response_body eval
"a  b\n \n\n"



=== TEST 11: variables in the arguments
--- config
    location = /t {
        echo $uri $arg_name "[$http_x_token]";
    }
--- request
GET /t?name=nresty
--- more_headers
X-Token: abc
--- response_body
/t nresty [abc]



=== TEST 12: a variable holding -n is text, not an option
--- config
    location = /t {
        set $opt "-n";
        echo $opt hi;
    }
--- request
GET /t
--- response_body
-n hi



=== TEST 13: a missing argument renders empty
--- config
    location = /t {
        echo "[$arg_none]";
    }
--- request
GET /t
--- response_body
[]



=== TEST 14: ${name} and captures
--- config
    location ~ ^/t/(\w+)$ {
        echo "${uri}!" $1;
    }
--- request
GET /t/abc
--- response_body
/t/abc! abc



=== TEST 15: echo inside a location if
--- config
    location = /t {
        if ($arg_a) {
            echo "in if";
        }
        echo outer;
    }
--- request
GET /t?a=1
--- response_body
in if



=== TEST 16: the location's echo when the if does not hold
--- config
    location = /t {
        if ($arg_a) {
            echo "in if";
        }
        echo outer;
    }
--- request
GET /t
--- response_body
outer



=== TEST 17: default_type applies to echo's output
--- config
    location = /t {
        default_type text/html;
        echo "<p>hi</p>";
    }
--- request
GET /t
--- response_headers
Content-Type: text/html
--- response_body
<p>hi</p>



=== TEST 18: echo_sleep pauses between outputs
--- config
    location = /t {
        echo before;
        echo_sleep 0.1;
        echo after;
    }
--- request
GET /t
--- response_body
before
after



=== TEST 19: echo_sleep takes a variable
--- config
    location = /t {
        echo_sleep $arg_s;
        echo "slept $arg_s";
    }
--- request
GET /t?s=0.05
--- response_body
slept 0.05



=== TEST 20: echo_sleep with a value that is not a number
--- config
    location = /t {
        echo_sleep abc;
        echo after;
    }
--- request
GET /t
--- error_code: 400
--- error_log
invalid sleep duration "abc"



=== TEST 21: echo_flush between outputs keeps the order
--- config
    location = /t {
        echo first;
        echo_flush;
        echo_sleep 0.05;
        echo second;
        echo_flush;
    }
--- request
GET /t
--- response_body
first
second



=== TEST 22: echo_flush before any output
--- config
    location = /t {
        echo_flush;
        echo only;
    }
--- request
GET /t
--- response_body
only



=== TEST 23: echo takes add_header
--- config
    location = /t {
        add_header X-Echo yes;
        echo body;
    }
--- request
GET /t
--- response_headers
X-Echo: yes
--- response_body
body



=== TEST 24: echo's arguments with an unknown variable are refused
--- config
    location = /t {
        echo $no_such_variable_here;
    }
--- must_die
--- error_log
unknown "no_such_variable_here" variable



=== TEST 25: echo_sleep needs one argument
--- config
    location = /t {
        echo_sleep;
    }
--- must_die
--- error_log
invalid number of arguments in "echo_sleep" directive



=== TEST 26: echo_flush takes no argument
--- config
    location = /t {
        echo_flush 1;
    }
--- must_die
--- error_log
invalid number of arguments in "echo_flush" directive



=== TEST 27: echo is not allowed at the server level
--- config
    echo hi;
--- must_die
--- error_log
"echo" directive is not allowed here



=== TEST 28: HEAD gets the headers only
--- config
    location = /t {
        echo_before_body before;
        echo hello;
    }
--- request
HEAD /t
--- response_headers
Content-Type: text/plain
--- response_body



=== TEST 29: a request body is not echoed
--- config
    location = /t {
        echo "got $request_method";
    }
--- request
POST /t
some body
--- response_body
got POST
