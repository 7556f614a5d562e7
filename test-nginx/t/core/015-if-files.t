# if with file tests (-f -d -e and their negations) on user_files in the html dir.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->user_files) {
        $block->set_value("user_files", ">>> exists.txt\nhello\n>>> sub/inner.txt\ninner\n");
    }
});

run_tests();

__DATA__

=== TEST 1: -f on a file that exists
--- config
    location = /t {
        if (-f $TEST_NGINX_HTML_DIR/exists.txt) {
            return 200 "file\n";
        }
        return 200 "no file\n";
    }
--- request
GET /t
--- response_body
file



=== TEST 2: !-f on a missing file
--- config
    location = /t {
        if (!-f $TEST_NGINX_HTML_DIR/missing.txt) {
            return 200 "missing\n";
        }
        return 200 "there\n";
    }
--- request
GET /t
--- response_body
missing



=== TEST 3: -d on a directory from user_files
--- config
    location = /t {
        if (-d $TEST_NGINX_HTML_DIR/sub) {
            return 200 "dir\n";
        }
        return 200 "no dir\n";
    }
--- request
GET /t
--- response_body
dir



=== TEST 4: -f is false for a directory, -e is true
--- config
    location = /t {
        set $r "";
        if (-f $TEST_NGINX_HTML_DIR/sub) {
            set $r "${r}f";
        }
        if (-e $TEST_NGINX_HTML_DIR/sub) {
            set $r "${r}e";
        }
        return 200 "[$r]\n";
    }
--- request
GET /t
--- response_body
[e]



=== TEST 5: a path built from the request
--- config
    location /check {
        if (-f $TEST_NGINX_HTML_DIR/$arg_name) {
            return 200 "$arg_name exists\n";
        }
        return 404;
    }
--- request eval
["GET /check?name=exists.txt", "GET /check?name=nope.txt"]
--- error_code eval
[200, 404]
--- response_body_like eval
["exists.txt exists", "404 Not Found"]



=== TEST 6: own user_files replace the preset
--- user_files
>>> only.txt
x
--- config
    location = /t {
        if (-f $TEST_NGINX_HTML_DIR/exists.txt) {
            return 200 "preset file\n";
        }
        if (-f $TEST_NGINX_HTML_DIR/only.txt) {
            return 200 "own file\n";
        }
        return 404;
    }
--- request
GET /t
--- response_body
own file
