# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.re: match / find / gmatch / sub / gsub and require "ngx.re" split, measured against OpenResty.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: match: captures, unmatched groups are false, named groups
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("m1", ngx.re.match("hello, 1234", "([0-9])[0-9]+"))
            p("m2", ngx.re.match("hello, 1234", "([a-z]+)|(\\d+)", ""))
            p("m3", ngx.re.match("hello", "(?<w>h)(x)?", ""))
            p("m4", ngx.re.match("hello", "(?P<w>h)", "jo"))
            p("m5", ngx.re.match("ab", "(?<x>z)?b", ""))
            p("m6", ngx.re.match("hello", "x"))
        }
    }
--- request
GET /t
--- response_body
m1 -> {0="1234",1="1"}
m2 -> {0="hello",1="hello",2=false}
m3 -> {0="h",1="h",2=false,w="h"}
m4 -> {0="h",1="h",w="h"}
m5 -> {0="b",1=false,x=false}
m6 -> nil
--- no_error_log
[error]



=== TEST 2: option letters i m s x a D
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("i", ngx.re.match("HELLO", "hello", "i"))
            p("m", ngx.re.match("ab\ncd", "^cd", "m"))
            p("no m", ngx.re.match("ab\ncd", "^cd", ""))
            p("s", ngx.re.match("a\nb", "a.b", "s"))
            p("no s", ngx.re.match("a\nb", "a.b", ""))
            p("x", ngx.re.match("hello", "h e l", "x"))
            p("a", ngx.re.match("xhello", "hello", "a"))
            p("D", ngx.re.match("dup", "(?<a>d)(?<a>u)?", "D"))
            p("D alt", ngx.re.match("dup", "(?<a>d)|(?<a>u)", "D"))
        }
    }
--- request
GET /t
--- response_body
i -> {0="HELLO"}
m -> {0="cd"}
no m -> nil
s -> {0="a\
b"}
no s -> nil
x -> {0="hel"}
a -> nil
D -> {0="du",1="d",2="u",a={1="d",2="u"}}
D alt -> {0="d",1="d",2=false,a={1="d"}}
--- no_error_log
[error]



=== TEST 3: byte offsets, with and without u
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("bytes", ngx.re.match("h\195\169llo", "h.l", ""))
            p("bytes2", ngx.re.match("h\195\169llo", "h..l", ""))
            p("utf8", ngx.re.match("h\195\169llo", "h.l", "u"))
            p("find", ngx.re.find("h\195\169llo", "l+", ""))
            p("find u", ngx.re.find("h\195\169llo", "l+", "u"))
            p("nth", ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "", nil, 2))
            local ctx = { pos = 2 }
            p("ctx", ngx.re.match("hello", "l", "", ctx))
            ngx.say("ctx.pos=", ctx.pos)
            local c2 = { pos = 3 }
            p("ctx u", ngx.re.match("h\195\169llo", "l", "u", c2))
            p("bad utf8", ngx.re.match("\255\254", "\\xff", "u"))
            p("find pos", ngx.re.find("hello", "", "", { pos = 6 }))
            p("find pos2", ngx.re.find("hello", "", "", { pos = 7 }))
            p("nth oob", ngx.re.find("hello", "l+", "", nil, 1))
        }
    }
--- request
GET /t
--- response_body
bytes -> nil
bytes2 -> {0="hél"}
utf8 -> {0="hél"}
find -> 4 5
find u -> 4 5
nth -> 9 11
ctx -> {0="l"}
ctx.pos=4
ctx u -> nil "pcre_exec() failed: -11"
bad utf8 -> nil "pcre_exec() failed: -10"
find pos -> 6 5
find pos2 -> nil nil "pcre_exec() failed: -24"
nth oob -> nil nil "nth out of bound"
--- no_error_log
[error]



=== TEST 4: compile errors
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("e1", ngx.re.match("hello", "(", ""))
            p("e2", ngx.re.find("hello", "("))
            p("e3", ngx.re.match("abc", "[a"))
            p("e4", ngx.re.match("abc", "\\"))
            p("e5", ngx.re.sub("hello", "(", "-"))
            p("e6", ngx.re.gmatch("abc", "("))
            p("e7", ngx.re.match("dup", "(?<a>d)|(?<a>u)", ""))
            local ok, err = pcall(ngx.re.match, "hello", "h", "z")
            ngx.say(ok, " ", err:match("unknown flag.*"))
        }
    }
--- request
GET /t
--- response_body
e1 -> nil "pcre_compile() failed: missing ) in \"(\""
e2 -> nil nil "pcre_compile() failed: missing ) in \"(\""
e3 -> nil "pcre_compile() failed: missing terminating ] for character class in \"[a\""
e4 -> nil "pcre_compile() failed: \\ at end of pattern in \"\\\""
e5 -> nil nil "pcre_compile() failed: missing ) in \"(\""
e6 -> nil "pcre_compile() failed: missing ) in \"(\""
e7 -> nil "pcre_compile() failed: two named subpatterns have the same name in \"(?<a>d)|(?<a>u)\" at \">u)\""
false unknown flag "z" (flags "z")
--- no_error_log
[error]



=== TEST 5: sub and gsub: templates, functions, empty matches
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("s1", ngx.re.sub("hello, world", "([a-z])[a-z]+", "[$0,$1]"))
            p("s2", ngx.re.gsub("hello, world", "([a-z])[a-z]+", "[$0,${1}]$$\\1"))
            p("s3", ngx.re.gsub("hello, world", "l", function(m) return "<" .. m[0] .. ">" end))
            p("s4", ngx.re.gsub("hello", "x", "y"))
            p("s5", ngx.re.gsub("hello", "", "-"))
            p("s6", ngx.re.gsub("hello", "l*", "-"))
            p("s7", ngx.re.gsub("hello", "l", "$2"))
            p("s8", ngx.re.gsub("hello", "l", "${x}"))
            p("s9", ngx.re.gsub("hello", "l", "$"))
            p("s10", ngx.re.gsub("hello", "l", function(m) return 1 end))
            p("s11", ngx.re.gsub("h\195\169llo", ".", "[$0]", "u"))
        }
    }
--- request
GET /t
--- response_body
s1 -> "[hello,h], world" 1
s2 -> "[hello,h]$\\1, [world,w]$\\1" 2
s3 -> "he<l><l>o, wor<l>d" 3
s4 -> "hello" 0
s5 -> "-h-e-l-l-o-" 6
s6 -> "-h-e--o-" 5
s7 -> "heo" 2
s8 -> nil nil "failed to compile the replacement template"
s9 -> nil nil "failed to compile the replacement template"
s10 -> "he11o" 2
s11 -> "[h][é][l][l][o]" 5
--- error_log
attempt to use named capturing variable "x"



=== TEST 6: gmatch
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            local it = ngx.re.gmatch("hello, 1234 56", "(\\d)(\\d*)")
            while true do
                local m = it()
                if not m then break end
                p("g", m)
            end
            p("end", it())
            local n = 0
            for m in ngx.re.gmatch("abc", "") do n = n + 1 end
            ngx.say("empty matches: ", n)
        }
    }
--- request
GET /t
--- response_body
g -> {0="1234",1="1",2="234"}
g -> {0="56",1="5",2="6"}
end -> nil
empty matches: 4
--- no_error_log
[error]



=== TEST 7: require "ngx.re": split
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            local split = require("ngx.re").split
            p("sp1", split("a,b,,c", ","))
            p("sp2", split("a,b,,c", "(,)"))
            p("sp3", split("abc", ""))
            p("sp4", split("a,b,c,d", ",", nil, nil, 2))
            p("sp5", split("a,b,c,,", ","))
            p("sp6", split(",a,b", ","))
            p("sp7", split("a,b", "("))
            p("sp8", split("a1b22c", "\\d+", "jo", { pos = 3 }))
            p("sp9", split("a,b", ",", nil, nil, nil, { "x", "y", "z", "w" }))
            p("sp10", split("", ","))
        }
    }
--- request
GET /t
--- response_body
sp1 -> {1="a",2="b",3="",4="c"}
sp2 -> {1="a",2=",",3="b",4=",",5="",6=",",7="c"}
sp3 -> {1="a",2="b",3="c"}
sp4 -> {1="a",2="b,c,d"}
sp5 -> {1="a",2="b",3="c"}
sp6 -> {1="",2="a",3="b"}
sp7 -> nil "pcre_compile() failed: missing ) in \"(\""
sp8 -> {1="b",2="c"}
sp9 -> {1="a",2="b",4="w"}
sp10 -> {}
--- no_error_log
[error]


=== TEST 8: option d: the longest match at the leftmost start, no groups
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("d1", ngx.re.match("hello", "(l+)", "d"))
            p("d2", ngx.re.match("abcd", "a|ab|abc", "d"))
            p("d3", ngx.re.find("abcd", "b|bc", "d"))
            p("d4", ngx.re.match("aaa", "a*?", "d"))
        }
    }
--- request
GET /t
--- response_body
d1 -> {0="ll"}
d2 -> {0="abc"}
d3 -> 2 3
d4 -> {0="aaa"}
--- no_error_log
[error]



=== TEST 9: compile errors with the offset PCRE reports
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("e1", ngx.re.match("a", "(?<1a>x)"))
            p("e2", ngx.re.match("a", "*a"))
            p("e3", ngx.re.match("a", "a{99999}"))
            p("e4", ngx.re.match("a", "[z-a]"))
            p("e5", ngx.re.match("a", "(?z)"))
            p("e6", ngx.re.match("a", "\\k<zz>"))
            p("e7", ngx.re.match("a", "a**"))
            p("e8", ngx.re.match("a", "[[:foo:]]"))
            p("e9", ngx.re.match("abc", "a{2,1}"))
            p("e10", ngx.re.match("abc", "a)"))
        }
    }
--- request
GET /t
--- response_body
e1 -> nil "pcre_compile() failed: group name must start with a non-digit in \"(?<1a>x)\" at \"1a>x)\""
e2 -> nil "pcre_compile() failed: nothing to repeat in \"*a\" at \"*a\""
e3 -> nil "pcre_compile() failed: number too big in {} quantifier in \"a{99999}\" at \"}\""
e4 -> nil "pcre_compile() failed: range out of order in character class in \"[z-a]\" at \"a]\""
e5 -> nil "pcre_compile() failed: unrecognized character after (? or (?- in \"(?z)\" at \"z)\""
e6 -> nil "pcre_compile() failed: reference to non-existent subpattern in \"\\k<zz>\" at \">\""
e7 -> nil "pcre_compile() failed: nothing to repeat in \"a**\" at \"*\""
e8 -> nil "pcre_compile() failed: unknown POSIX class name in \"[[:foo:]]\" at \"foo:]]\""
e9 -> nil "pcre_compile() failed: numbers out of order in {} quantifier in \"a{2,1}\" at \"}\""
e10 -> nil "pcre_compile() failed: unmatched parentheses in \"a)\" at \")\""
--- no_error_log
[error]



=== TEST 10: PCRE meanings: \\A \\Z $ \\s (?i) (?-i) backreferences, find nth
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("n1", ngx.re.match("abc", "\\Ab"))
            p("n2", ngx.re.match("ab\n", "b$"))
            p("n3", ngx.re.match("ab\nc", "b$"))
            p("n4", ngx.re.match("ab\nc", "\\w\\Z"))
            p("n5", ngx.re.match("a\194\160b", "a\\sb"))
            p("n6", ngx.re.match("ABC", "(?i)b(?-i)C"))
            p("n7", ngx.re.match("aXbX", "(?<l>X).*\\k<l>"))
            p("n8", ngx.re.find("hello", "(l)(l)", "", nil, 2))
            p("n9", ngx.re.gsub("aaa", "a*?", "-"))
            p("n10", ngx.re.gsub("a", "|a", "-"))
            p("n11", require("ngx.re").split("a,b,,", ",", nil, nil, 5))
        }
    }
--- request
GET /t
--- response_body
n1 -> nil
n2 -> {0="b"}
n3 -> nil
n4 -> {0="c"}
n5 -> nil
n6 -> {0="BC"}
n7 -> {0="XbX",1="X",l="X"}
n8 -> 4 4
n9 -> "-a-a-a-" 4
n10 -> "-a-" 2
n11 -> {1="a",2="b",3="",4=""}
--- no_error_log
[error]



=== TEST 11: atomic groups and possessive quantifiers
--- config
    location = /t {
        content_by_lua_block {
            local function dump(v)
                if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
                local keys = {}
                for k in pairs(v) do keys[#keys+1] = k end
                table.sort(keys, function(a,b) return tostring(a) < tostring(b) end)
                local out = {}
                for _, k in ipairs(keys) do out[#out+1] = tostring(k) .. "=" .. dump(v[k]) end
                return "{" .. table.concat(out, ",") .. "}"
            end
            local function p(label, ...)
                local t = {}
                for i = 1, select("#", ...) do t[i] = dump((select(i, ...))) end
                ngx.say(label, " -> ", table.concat(t, " "))
            end
            p("x1", ngx.re.match("aaab", "a++b"))
            p("x2", ngx.re.match("aaa", "a++a"))
            p("x3", ngx.re.match("abcc", "(a)(?>b|bc)c"))
            p("x4", ngx.re.match("abc", "(a)(?>bc|b)c"))
            p("x5", ngx.re.match("xaay", "(x)?a*+(y)"))
            p("x6", ngx.re.find("xaay", "(x)?a*+(y)", "", nil, 2))
            p("x7", ngx.re.gsub("xaay xy", "(x)a*+(y)", "[$2$1]"))
            p("x8", ngx.re.match("abab", "(?<n>a)(?>b)\\k<n>"))
            p("x9", require("ngx.re").split("a1b22c", "(?>(\\d+))"))
            p("x10", ngx.re.match("\"abc\"", "\"(?:[^\"\\\\]++|\\\\.)*+\""))
            p("x11", ngx.re.match("aaaa", "a{2,3}+a"))
        }
    }
--- request
GET /t
--- response_body
x1 -> {0="aaab"}
x2 -> nil
x3 -> {0="abc",1="a"}
x4 -> nil
x5 -> {0="xaay",1="x",2="y"}
x6 -> 4 4
x7 -> "[yx] [yx]" 2
x8 -> {0="aba",1="a",n="a"}
x9 -> {1="a",2="1",3="b",4="22",5="c"}
x10 -> {0="\"abc\""}
x11 -> {0="aaaa"}
--- no_error_log
[error]



