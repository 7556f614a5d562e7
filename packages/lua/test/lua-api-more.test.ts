// More of ngx.socket, ngx.shared, ngx.timer and ngx.thread from Lua, run in this process through
// the resty command (a timer context): argument checks, error returns, optional arguments.
// Every expected output was measured on OpenResty with the same Lua code (errors of pcall'd
// functions with LuaJIT's `file:line: ` prefix stripped); the cosocket peer is the real Redis.
import { describe, expect, it } from 'vitest'
import { resty } from '../src/resty.ts'

async function lua(code: string, ...opts: string[]): Promise<string> {
  const out: Buffer[] = []
  let err = ''
  const status = await resty([...opts, '-e', code], { out: (b) => { out.push(Buffer.from(b)) }, err: (t) => { err += t } })
  if (status !== 0) throw new Error(err)
  return Buffer.concat(out).toString('latin1')
}

describe('Lua APIs in a timer context (answers measured on OpenResty)', () => {
  it('tcp cosockets: arguments, send tables, receive patterns, receiveuntil, receiveany, timeouts, keepalive, close', async () => {
    expect(await lua(`
      local function e(ok, err) return ok, (tostring(err):gsub("^.-:%d+: ", "")) end
      local function q(a, b, c) a = tostring(a):gsub("\\r\\n", "<CRLF>") return a, b, c end
      local s = ngx.socket.tcp()
      print(pcall(s.connect, s))
      print(pcall(s.settimeout, s))
      s:settimeouts(1000, 1000, 1000)
      print(s:connect("127.0.0.1", 6379))
      print(s:getreusedtimes())
      print(s:send({"PING", "\\r\\n", {"PI", "NG"}, "\\r\\n"}))
      print(s:receive())
      print(s:receive("*l"))
      print(s:send("ECHO abcdef\\r\\n"))
      print(s:receive(4))
      print(s:receive("*l"))
      print(pcall(s.receive, s, "x"))
      print(s:send({"EC", "HO", " ", 12, " ", {1.5, {"x"}}, "\\r\\n"}))
      print(s:receive("*l"))
      print(s:receive("*l"))
      print(e(pcall(function() local r = s:send({function() end}) return r end)))
      print(s:send("ECHO xyz\\r\\n"))
      local r = s:receiveuntil("\\r\\n")
      print(r())
      print(r())
      print(s:send("ECHO abcd\\r\\n"))
      local r2 = s:receiveuntil("\\r\\n", { inclusive = true })
      print(q(r2()))
      print(q(r2(2)))
      print(q(r2(2)))
      print(q(r2(2)))
      print(q(r2(2)))
      print(q(r2(2)))
      print(q(r2()))
      print(s:send("PING\\r\\n"))
      print(pcall(s.receiveany, s))
      print(q(s:receiveany(100)))
      print(s:setoption("keepalive", true))
      print(s:setkeepalive(10000, 10))
      print(s:setkeepalive())
      local s2 = ngx.socket.tcp()
      print(s2:connect("127.0.0.1", 6379))
      print(s2:getreusedtimes())
      s2:settimeouts(100, 100, 100)
      print(s2:receive())
      print(s2:receive(3))
      print(s2:send("QUIT\\r\\n"))
      print(q(s2:receive("*a")))
      print(q(s2:receive("*a")))
      print(s2:close())
      print(s2:close())
      print(s2:getreusedtimes())
      local s3, err = ngx.socket.connect("127.0.0.1", 6379)
      print(type(s3), err)
      print(s3:close())
      print(ngx.socket.connect("127.0.0.1", 1))
      local s4 = ngx.socket.stream()
      s4:settimeout(100)
      print(s4:connect("127.0.0.1", 6379, {}))
      print(s4:send("PING\\r\\n"))
      print(q(s4:receive(10)))
      print(s4:send("PING\\r\\n"))
      local r4 = s4:receiveuntil("\\r\\n--")
      print(q(r4()))
      print(q(s4:receiveany(10)))
      s4:close()
      local u = ngx.socket.udp()
      print(pcall(u.settimeout, u))
      u:settimeout(100)
      print(u:setpeername("127.0.0.1", 9))
      print(u:send("hi"))
      print(u:receive())
      print(u:receive(10))
      print(u:close())
      print(u:send("x"))
      print(u:close())
    `)).toBe([
      "false\tngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen 1",
      "false\tngx.socket settimeout: expecting 2 arguments (including the object) but seen 1",
      "1",
      "0",
      "12",
      "+PONG",
      "+PONG",
      "13",
      "$6\r",
      "",
      "abcdef",
      "false\tbad argument #2 to '?' (bad pattern argument: x)",
      "14",
      "-ERR wrong number of arguments for 'echo' command",
      "nil\ttimeout\t",
      "false\tbad argument #1 to 'send' (bad data type function found)",
      "10",
      "$3",
      "xyz",
      "11",
      "$4<CRLF>\tnil\tnil",
      "ab\tnil\tnil",
      "cd\tnil\tnil",
      "<CRLF>\tnil\tnil",
      "nil\tnil\tnil",
      "nil\ttimeout\t",
      "nil\ttimeout\t",
      "6",
      "false\texpecting 2 arguments (including the object), but got 1",
      "+PONG<CRLF>\tnil\tnil",
      "true",
      "1",
      "nil\tclosed",
      "1",
      "1",
      "nil\ttimeout\t",
      "nil\ttimeout\t",
      "6",
      "+OK<CRLF>\tnil\tnil",
      "\tnil\tnil",
      "1",
      "nil\tclosed",
      "nil\tclosed",
      "table\tnil",
      "1",
      "nil\tconnection refused",
      "1",
      "6",
      "nil\ttimeout\t+PONG\r",
      "",
      "6",
      "nil\ttimeout\t+PONG",
      "nil\ttimeout\t",
      "false\tngx.socket settimeout: expecting at least 2 arguments (including the object) but seen 1",
      "1",
      "1",
      "nil\tconnection refused",
      "nil\ttimeout",
      "1",
      "nil\tclosed",
      "nil\tclosed",
      "",
    ].join('\n'))
  })

  it('tcp send: nil and booleans as their names, arrays of strings and numbers only', async () => {
    expect(await lua(`
      local function e(ok, err) return ok, (tostring(err):gsub("^.-:%d+: ", "")) end
      local s = ngx.socket.tcp()
      s:settimeout(200)
      print(s:connect("127.0.0.1", 6379))
      print(e(pcall(function() local r = s:send({true}) return r end)))
      print(e(pcall(function() local r = s:send({function() end}) return r end)))
      print(e(pcall(function() local r = s:send({ngx.null}) return r end)))
      print(e(pcall(function() local r = s:send({"a", {"b", 1.5}, "\\r\\n"}) return r end)))
      print(e(pcall(function() local r = s:send({[1]="a", [3]="b"}) return r end)))
      print(e(pcall(function() local r = s:send({a=1}) return r end)))

      print(s:send(true))
      print(s:send(nil))
      print(pcall(s.send, s))
      print(e(pcall(function() local r = s:send(function() end) return r end)))
      print(s:close())
    `)).toBe([
      "1",
      "false\tbad argument #1 to 'send' (bad data type boolean found)",
      "false\tbad argument #1 to 'send' (bad data type function found)",
      "false\tbad argument #1 to 'send' (bad data type userdata found)",
      "true\t7",
      "false\tbad argument #1 to 'send' (bad data type nil found)",
      "false\tbad argument #1 to 'send' (non-array table found)",
      "4",
      "3",
      "false\texpecting 2 arguments (including the object), but got 1",
      "false\tbad argument #1 to 'send' (string, number, boolean, nil, or array table expected, got function)",
      "1",
      "",
    ].join('\n'))
  })

  it('shared dicts: flags, stale values, incr with init and init_ttl, lists, ttl/expire, bad keys and values', async () => {
    expect(await lua(`
      local dogs = ngx.shared.dogs
      print(dogs:set("a", 1, 0, 7))
      print(dogs:get("a"))
      print(dogs:get_stale("a"))
      print(dogs:get_stale("zz"))
      print(dogs:incr("n", 2))
      print(dogs:incr("n", 2, 10))
      print(dogs:incr("n", 3))
      print(dogs:incr("s", 1, 0, 0.5))
      print(dogs:ttl("a"), dogs:ttl("nope"))
      print(pcall(dogs.expire, dogs, "a"))
      print(dogs:expire("a", 10), dogs:expire("nope", 1))
      print(dogs:lpush("l", "x"), dogs:rpush("l", 2), dogs:llen("l"))
      print(dogs:lpush("l", true))
      print(dogs:lpush("l", nil))
      print(dogs:lpush("l", {}))
      print(dogs:lpop("l"), dogs:rpop("l"), dogs:lpop("l"))
      print(dogs:llen("a"))
      print(dogs:lpop("a"))
      print(dogs:set("t", {}))
      print(dogs:set(nil, 1))
      print(dogs:set("", 1))
      print(dogs:set(12, "num"))
      print(dogs:get("12"))
      print(dogs:add("a", 2))
      print(dogs:safe_add("b", 2))
      print(dogs:replace("zz", 1))
      print(dogs:safe_set("c", false))
      print(dogs:get("c"))
      print(dogs:delete("c"))
      print(#dogs:get_keys(), #dogs:get_keys(1))
      print(dogs:flush_expired(), dogs:flush_expired(1))
      print(dogs:capacity(), dogs:free_space() > 0)
      dogs:flush_all()
      print(dogs:get("a"))
      print(pcall(dogs.get, nil, "a"))
      print(ngx.shared.nope)
      print(dogs:get(nil))
    `, '--shdict', 'dogs 1m')).toBe([
      "true\tnil\tfalse",
      "1\t7",
      "1\t7\tfalse",
      "nil",
      "nil\tnot found",
      "12\tnil\tfalse",
      "15",
      "1\tnil\tfalse",
      "0\tnil\tnot found",
      "false\tbad \"exptime\" argument",
      "true\tnil\tnot found",
      "1\t2\t2",
      "nil\tbad value type",
      "nil\tbad value type",
      "nil\tbad value type",
      "x\t2\tnil",
      "nil\tvalue not a list",
      "nil\tvalue not a list",
      "nil\tbad value type",
      "nil\tnil key",
      "nil\tempty key",
      "true\tnil\tfalse",
      "num",
      "false\texists\tfalse",
      "true\tnil\tfalse",
      "false\tnot found\tfalse",
      "true\tnil\tfalse",
      "false",
      "true\tnil\tfalse",
      "5\t1",
      "0\t0",
      "1048576\ttrue",
      "nil",
      "false\tbad \"zone\" argument",
      "nil",
      "nil\tnil key",
      "",
    ].join('\n'))
  })

  it('timers and light threads: argument checks, arguments passed, wait and kill results', async () => {
    expect(await lua(`
      local function e(ok, err) return ok, (tostring(err):gsub("^.-:%d+: ", "")) end
      local dogs = ngx.shared.dogs
      print(pcall(ngx.sleep))
      print(e(pcall(function() ngx.log(99, "x") end)))
      print(pcall(ngx.timer.at))
      print(e(pcall(function() ngx.timer.at(0, 1) end)))
      print(ngx.timer.at(0, function(p, a, b) dogs:set("timer", tostring(p) .. a .. b) end, "A", "B"))
      local n = 0
      print(ngx.timer.every(0.05, function() n = n + 1 end))
      print(e(pcall(function() ngx.thread.spawn(1) end)))
      print(e(pcall(function() ngx.thread.kill(1) end)))
      local t = ngx.thread.spawn(function(a) return a, 2 end, 1)
      print(ngx.thread.wait(t))
      print(ngx.thread.wait(t))
      local t2 = ngx.thread.spawn(function() error({}) end)
      print((ngx.thread.wait(t2)))
      local t3 = ngx.thread.spawn(function() ngx.sleep(1) end)
      print(ngx.thread.kill(t3))
      print(ngx.thread.kill(t3))
      local t4 = ngx.thread.spawn(function() ngx.sleep(0.01) end)
      print(ngx.thread.wait(t4))
      ngx.sleep(0.13)
      print(dogs:get("timer"), n >= 2, ngx.timer.pending_count() >= 1)
    `, '--shdict', 'dogs 1m')).toBe([
      'false\tattempt to pass 0 arguments, but accepted 1',
      "false\tbad argument #1 to 'log' (bad log level: 99)",
      'false\texpecting at least 2 arguments but got 0',
      "false\tbad argument #2 to 'at' (Lua function expected)",
      '1',
      '1',
      "false\tbad argument #1 to 'spawn' (Lua function expected)",
      "false\tbad argument #1 to 'kill' (lua thread expected)",
      'true\t1\t2',
      'nil\talready waited or killed',
      'false',
      '1',
      'nil\talready waited or killed',
      'true',
      'falseAB\ttrue\ttrue',
      '',
    ].join('\n'))
  })
})
