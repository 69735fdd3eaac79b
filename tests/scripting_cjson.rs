//! The `cjson` library scripts see (lua_cjson.c 2.1.0 as Redis 5.0.14
//! bundles it): Redis's own JSON tests of tests/unit/scripting.tcl, then
//! encode and decode edge cases, every configuration function, every
//! decode error with its position, and hostile input (deep nesting, a
//! table holding itself, 10 MB strings, invalid UTF-8) after which the
//! server still answers PING.
//!
//! Each step talks raw RESP and compares the raw reply byte for byte (the
//! expected bytes were taken from 5.0.14). If `REDIS_C_SERVER` names a
//! real Redis 5.0.14 `redis-server` (or `REDIS_SRC` a built 5.0.14 tree),
//! the same steps run against it too and the two servers' replies are
//! compared.

mod util;

use util::{c_server, Conn, Server};

/// (command, the reply Redis 5.0.14 gives) — run in order on one client
/// (settings such as encode_number_precision last from one script to the
/// next, as in Redis).
const STEPS: &[(&[&str], &[u8])] = &[
    // Redis 5.0.14's tests/unit/scripting.tcl: EVAL - JSON numeric decoding
    (&["eval", "return table.concat(cjson.decode(\"[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]\"), \" \")", "0"], b"$26\r\n0 -5000 -1 0.0003 1023.2 0\r\n"),
    // EVAL - JSON string decoding
    (&["eval", "local decoded = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}')\nreturn {decoded.keya, decoded.keyb}", "0"], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    // The module table: name, version, cjson.null, cjson.new
    (&["eval", "return cjson._NAME", "0"], b"$5\r\ncjson\r\n"),
    (&["eval", "return cjson._VERSION", "0"], b"$5\r\n2.1.0\r\n"),
    (&["eval", "return type(cjson.null)", "0"], b"$8\r\nuserdata\r\n"),
    (&["eval", "return tostring(cjson.null == nil)", "0"], b"$5\r\nfalse\r\n"),
    (&["eval", "return cjson.null", "0"], b"$-1\r\n"),
    (&["eval", "return {type(cjson.encode), type(cjson.new)}", "0"], b"*2\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n"),
    (&["eval", "local c = cjson.new() return {c._NAME, tostring(c ~= cjson), tostring(c.null == cjson.null)}", "0"], b"*3\r\n$5\r\ncjson\r\n$4\r\ntrue\r\n$4\r\ntrue\r\n"),
    // Encoding: values
    (&["eval", "return cjson.encode({})", "0"], b"$2\r\n{}\r\n"),
    (&["eval", "return cjson.encode({1,2,3})", "0"], b"$7\r\n[1,2,3]\r\n"),
    (&["eval", "return cjson.encode({1,'a',true,false})", "0"], b"$18\r\n[1,\"a\",true,false]\r\n"),
    (&["eval", "return cjson.encode({a=1})", "0"], b"$7\r\n{\"a\":1}\r\n"),
    (&["eval", "return cjson.encode({a={b={c={}}}})", "0"], b"$20\r\n{\"a\":{\"b\":{\"c\":{}}}}\r\n"),
    (&["eval", "return cjson.encode('hello')", "0"], b"$7\r\n\"hello\"\r\n"),
    (&["eval", "return cjson.encode('')", "0"], b"$2\r\n\"\"\r\n"),
    (&["eval", "return cjson.encode(true)", "0"], b"$4\r\ntrue\r\n"),
    (&["eval", "return cjson.encode(false)", "0"], b"$5\r\nfalse\r\n"),
    (&["eval", "return cjson.encode(nil)", "0"], b"$4\r\nnull\r\n"),
    (&["eval", "return cjson.encode(cjson.null)", "0"], b"$4\r\nnull\r\n"),
    (&["eval", "return cjson.encode({cjson.null})", "0"], b"$6\r\n[null]\r\n"),
    (&["eval", "return cjson.encode({a=cjson.null})", "0"], b"$10\r\n{\"a\":null}\r\n"),
    (&["eval", "return cjson.encode({x={1,2,{y='z'}}})", "0"], b"$21\r\n{\"x\":[1,2,{\"y\":\"z\"}]}\r\n"),
    (&["eval", "return cjson.encode({{},{{}},{{{}}}})", "0"], b"$16\r\n[{},[{}],[[{}]]]\r\n"),
    (&["eval", "return cjson.encode({['a']=1,['b']=2,['c']=3,['d']=4,['e']=5})", "0"], b"$31\r\n{\"a\":1,\"c\":3,\"b\":2,\"e\":5,\"d\":4}\r\n"),
    // Encoding: numbers, %.14g
    (&["eval", "return cjson.encode(1)", "0"], b"$1\r\n1\r\n"),
    (&["eval", "return cjson.encode(-1)", "0"], b"$2\r\n-1\r\n"),
    (&["eval", "return cjson.encode(0)", "0"], b"$1\r\n0\r\n"),
    (&["eval", "return cjson.encode(-0.0)", "0"], b"$2\r\n-0\r\n"),
    (&["eval", "return cjson.encode(0.1)", "0"], b"$3\r\n0.1\r\n"),
    (&["eval", "return cjson.encode(1/3)", "0"], b"$16\r\n0.33333333333333\r\n"),
    (&["eval", "return cjson.encode(-1/3)", "0"], b"$17\r\n-0.33333333333333\r\n"),
    (&["eval", "return cjson.encode(1e300)", "0"], b"$6\r\n1e+300\r\n"),
    (&["eval", "return cjson.encode(-1e300)", "0"], b"$7\r\n-1e+300\r\n"),
    (&["eval", "return cjson.encode(1e-300)", "0"], b"$6\r\n1e-300\r\n"),
    (&["eval", "return cjson.encode(5e-324)", "0"], b"$20\r\n4.9406564584125e-324\r\n"),
    (&["eval", "return cjson.encode(2^53)", "0"], b"$18\r\n9.007199254741e+15\r\n"),
    (&["eval", "return cjson.encode(2^63)", "0"], b"$19\r\n9.2233720368548e+18\r\n"),
    (&["eval", "return cjson.encode(12345678901234567)", "0"], b"$19\r\n1.2345678901235e+16\r\n"),
    (&["eval", "return cjson.encode(123456789012345)", "0"], b"$19\r\n1.2345678901234e+14\r\n"),
    (&["eval", "return cjson.encode(1234567890123456)", "0"], b"$19\r\n1.2345678901235e+15\r\n"),
    (&["eval", "return cjson.encode(100000000000000)", "0"], b"$5\r\n1e+14\r\n"),
    (&["eval", "return cjson.encode(1e15)", "0"], b"$5\r\n1e+15\r\n"),
    (&["eval", "return cjson.encode(1e16)", "0"], b"$5\r\n1e+16\r\n"),
    (&["eval", "return cjson.encode(1e-4)", "0"], b"$6\r\n0.0001\r\n"),
    (&["eval", "return cjson.encode(1e-5)", "0"], b"$5\r\n1e-05\r\n"),
    (&["eval", "return cjson.encode(0.0001234)", "0"], b"$9\r\n0.0001234\r\n"),
    (&["eval", "return cjson.encode(3.14159265358979)", "0"], b"$15\r\n3.1415926535898\r\n"),
    // Encoding: strings ('/' is escaped, control bytes and DEL as \u00XX, other bytes as they are)
    (&["eval", "return cjson.encode('a/b\\\\c\"d')", "0"], b"$12\r\n\"a\\/b\\\\c\\\"d\"\r\n"),
    (&["eval", "return cjson.encode('\\0\\1\\2\\31\\127\\128\\255')", "0"], b"$34\r\n\"\\u0000\\u0001\\u0002\\u001f\\u007f\x80\xff\"\r\n"),
    (&["eval", "return cjson.encode('\\b\\t\\n\\f\\r\\11')", "0"], b"$18\r\n\"\\b\\t\\n\\f\\r\\u000b\"\r\n"),
    (&["eval", "return cjson.encode('\\195\\169')", "0"], b"$4\r\n\"\xc3\xa9\"\r\n"),
    (&["eval", "return cjson.encode('\\255\\254\\195\\40\\226\\130')", "0"], b"$8\r\n\"\xff\xfe\xc3(\xe2\x82\"\r\n"),
    // Encoding: arrays and objects (number keys, holes, sparse arrays)
    (&["eval", "return cjson.encode({[1]=1,[2]=2,[4]=4})", "0"], b"$12\r\n[1,2,null,4]\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[3]=3})", "0"], b"$10\r\n[1,null,3]\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[2]=2,[3]=3,[10]=10})", "0"], b"$40\r\n[1,2,3,null,null,null,null,null,null,10]\r\n"),
    (&["eval", "return cjson.encode({[10]=1})", "0"], b"$48\r\n[null,null,null,null,null,null,null,null,null,1]\r\n"),
    (&["eval", "return cjson.encode({[11]=1})", "0"], b"-ERR Error running script (call to f_2e08a70888b26974782620baf62c758392a37b7b): @user_script:1: user_script:1: Cannot serialise table: excessively sparse array \r\n"),
    (&["eval", "return cjson.encode({[1]=1,['1']=2})", "0"], b"$13\r\n{\"1\":1,\"1\":2}\r\n"),
    (&["eval", "return cjson.encode({[1.5]=1})", "0"], b"$9\r\n{\"1.5\":1}\r\n"),
    (&["eval", "return cjson.encode({[-1]=1})", "0"], b"$8\r\n{\"-1\":1}\r\n"),
    (&["eval", "return cjson.encode({[0]=1})", "0"], b"$7\r\n{\"0\":1}\r\n"),
    (&["eval", "return cjson.encode({[2^31]=1})", "0"], b"$16\r\n{\"2147483648\":1}\r\n"),
    (&["eval", "return cjson.encode({[2^40]=1})", "0"], b"$19\r\n{\"1099511627776\":1}\r\n"),
    (&["eval", "return cjson.encode({1,[2^40]=2})", "0"], b"$25\r\n{\"1\":1,\"1099511627776\":2}\r\n"),
    (&["eval", "return cjson.encode({1,2,3,[2^31-1]=3})", "0"], b"-ERR Error running script (call to f_a84745bc27781cd43912c2492769cf48a8b6498d): @user_script:1: user_script:1: Cannot serialise table: excessively sparse array \r\n"),
    (&["eval", "return cjson.encode({[1e300]=1})", "0"], b"$12\r\n{\"1e+300\":1}\r\n"),
    (&["eval", "return cjson.encode({1,2,[1.5]=3})", "0"], b"$21\r\n{\"1\":1,\"2\":2,\"1.5\":3}\r\n"),
    (&["eval", "return cjson.encode({1,2,nil,4})", "0"], b"$12\r\n[1,2,null,4]\r\n"),
    (&["eval", "local t={} t[1]=1 t[3]=3 return cjson.encode(t)", "0"], b"$10\r\n[1,null,3]\r\n"),
    (&["eval", "local t={} t[20]=1 return cjson.encode(t)", "0"], b"-ERR Error running script (call to f_2536062215bb6f4afdac57fa71879737e0c0894b): @user_script:1: user_script:1: Cannot serialise table: excessively sparse array \r\n"),
    (&["eval", "local t={} t[11]=1 t[1]=1 t[2]=1 t[3]=1 t[4]=1 t[5]=1 return cjson.encode(t)", "0"], b"$38\r\n[1,1,1,1,1,null,null,null,null,null,1]\r\n"),
    (&["eval", "local t = {} for i=1,300 do t[i*i]=i end return {pcall(cjson.encode, t)}", "0"], b"*2\r\n$-1\r\n$48\r\nCannot serialise table: excessively sparse array\r\n"),
    (&["eval", "local t = {} for i=1,30 do t['k'..i]=i end return cjson.encode(t)", "0"], b"$253\r\n{\"k16\":16,\"k26\":26,\"k19\":19,\"k30\":30,\"k9\":9,\"k15\":15,\"k21\":21,\"k29\":29,\"k25\":25,\"k11\":11,\"k24\":24,\"k23\":23,\"k22\":22,\"k17\":17,\"k28\":28,\"k20\":20,\"k10\":10,\"k8\":8,\"k1\":1,\"k12\":12,\"k3\":3,\"k2\":2,\"k27\":27,\"k13\":13,\"k18\":18,\"k14\":14,\"k6\":6,\"k7\":7,\"k4\":4,\"k5\":5}\r\n"),
    // Encoding errors
    (&["eval", "return cjson.encode(1/0)", "0"], b"-ERR Error running script (call to f_08ffdaa5e7f117332da21c3b5222c2ede9492c60): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    (&["eval", "return cjson.encode(-1/0)", "0"], b"-ERR Error running script (call to f_eeea526afae25161c515bd49cddc89d6cfbf2456): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    (&["eval", "return cjson.encode(0/0)", "0"], b"-ERR Error running script (call to f_d3f8d4e745d6587b04e9dd216e0d4631f0a306d9): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    (&["eval", "return cjson.encode(print)", "0"], b"-ERR Error running script (call to f_8d87d02dc9dc22ef8e1a9ef2fc499a776fb0dbdd): @user_script:1: user_script:1: Cannot serialise function: type not supported \r\n"),
    (&["eval", "return cjson.encode({print})", "0"], b"-ERR Error running script (call to f_205bfe436218d2c7978c53c99b4231a776eb0b82): @user_script:1: user_script:1: Cannot serialise function: type not supported \r\n"),
    (&["eval", "return cjson.encode({[true]=1})", "0"], b"-ERR Error running script (call to f_376a640005c8509c694166527ca834359bf69aa8): @user_script:1: user_script:1: Cannot serialise boolean: table key must be a number or string \r\n"),
    (&["eval", "return cjson.encode({[{}]=1})", "0"], b"-ERR Error running script (call to f_d2e2560c1eac16fa2ba971165f1a135f816add6f): @user_script:1: user_script:1: Cannot serialise table: table key must be a number or string \r\n"),
    (&["eval", "return cjson.encode({[print]=1})", "0"], b"-ERR Error running script (call to f_4f3e8e854d1a820b04e875a483a09f5aa107af31): @user_script:1: user_script:1: Cannot serialise function: table key must be a number or string \r\n"),
    (&["eval", "return cjson.encode({[1/0]=1})", "0"], b"-ERR Error running script (call to f_d755e1d8b557c8f3573fc89852e5b5cdcc2f6583): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    (&["eval", "return cjson.encode({n=1/0})", "0"], b"-ERR Error running script (call to f_2c538ce49f86ae2059b8efee58fdf44b995bd41f): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    (&["eval", "return cjson.encode()", "0"], b"-ERR Error running script (call to f_fc593ea31f478c7ed65c77495cc63edeb9153530): @user_script:1: user_script:1: bad argument #1 to 'encode' (expected 1 argument) \r\n"),
    (&["eval", "return cjson.encode(1,2)", "0"], b"-ERR Error running script (call to f_9796fc0f4acc8ba1f9133e705bfd4aa24561765a): @user_script:1: user_script:1: bad argument #1 to 'encode' (expected 1 argument) \r\n"),
    (&["eval", "local f = cjson.encode return f()", "0"], b"-ERR Error running script (call to f_ef06e23a3c0bfb22bdf27f2450f52be14ebe4baa): @user_script:1: user_script:1: bad argument #1 to 'f' (expected 1 argument) \r\n"),
    (&["eval", "return cjson:encode(1)", "0"], b"-ERR Error running script (call to f_dbfe6a38d15a1adc34c5828facc0ab331f9f8add): @user_script:1: user_script:1: calling 'encode' on bad self (expected 1 argument) \r\n"),
    (&["eval", "return {pcall(cjson.encode)}", "0"], b"*2\r\n$-1\r\n$44\r\nbad argument #1 to '?' (expected 1 argument)\r\n"),
    (&["eval", "return {pcall(cjson.encode, print)}", "0"], b"*2\r\n$-1\r\n$45\r\nCannot serialise function: type not supported\r\n"),
    // A table that holds itself, or nests past encode_max_depth
    (&["eval", "local t={} t[1]=t return cjson.encode(t)", "0"], b"-ERR Error running script (call to f_a506053e74ab4b60484b77ae0b676d988172bc86): @user_script:1: user_script:1: Cannot serialise, excessive nesting (1001) \r\n"),
    (&["eval", "local t={} t.a=t return cjson.encode(t)", "0"], b"-ERR Error running script (call to f_21791f83751a86e843bcaf284c8558bda59e3173): @user_script:1: user_script:1: Cannot serialise, excessive nesting (1001) \r\n"),
    (&["eval", "local t={} local x=t for i=1,999 do x[1]={} x=x[1] end return #cjson.encode(t)", "0"], b":2000\r\n"),
    (&["eval", "local t={} local x=t for i=1,1000 do x[1]={} x=x[1] end return cjson.encode(t)", "0"], b"-ERR Error running script (call to f_d79e9ff294991db95d52f130c024ca35488f1ab2): @user_script:1: user_script:1: Cannot serialise, excessive nesting (1001) \r\n"),
    // encode_sparse_array
    (&["eval", "return {cjson.encode_sparse_array()}", "0"], b"*3\r\n$-1\r\n:2\r\n:10\r\n"),
    (&["eval", "return {cjson.encode_sparse_array(true)}", "0"], b"*3\r\n:1\r\n:2\r\n:10\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[20]=2})", "0"], b"$14\r\n{\"1\":1,\"20\":2}\r\n"),
    (&["eval", "return {cjson.encode_sparse_array('on', 3, 5)}", "0"], b"*3\r\n:1\r\n:3\r\n:5\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[6]=2})", "0"], b"$25\r\n[1,null,null,null,null,2]\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[5]=2})", "0"], b"$20\r\n[1,null,null,null,2]\r\n"),
    (&["eval", "return {cjson.encode_sparse_array(nil, -1)}", "0"], b"-ERR Error running script (call to f_ccc57386892e2fbc9712566e137560eae7319e58): @user_script:1: user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647) \r\n"),
    (&["eval", "return {cjson.encode_sparse_array(1)}", "0"], b"-ERR Error running script (call to f_486579aa773f421f5690724926d305db2d264c8e): @user_script:1: user_script:1: bad argument #1 to 'encode_sparse_array' (invalid option '1') \r\n"),
    (&["eval", "return {cjson.encode_sparse_array(nil,nil,nil,nil)}", "0"], b"-ERR Error running script (call to f_566e1b0be67a3b1ad674c6f6584241a786ee9f36): @user_script:1: user_script:1: bad argument #4 to 'encode_sparse_array' (found too many arguments) \r\n"),
    (&["eval", "return {cjson.encode_sparse_array(false, 0, 10)}", "0"], b"*3\r\n$-1\r\n:0\r\n:10\r\n"),
    (&["eval", "return cjson.encode({[1]=1,[1000]=2}) == '[1' .. string.rep(',null', 998) .. ',2]'", "0"], b":1\r\n"),
    (&["eval", "return {cjson.encode_sparse_array('off', 2, 10)}", "0"], b"*3\r\n$-1\r\n:2\r\n:10\r\n"),
    // encode_max_depth / decode_max_depth
    (&["eval", "return cjson.encode_max_depth()", "0"], b":1000\r\n"),
    (&["eval", "return cjson.encode_max_depth(0)", "0"], b"-ERR Error running script (call to f_f40da52b0819d675b8802812b1c4504462426d31): @user_script:1: user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647) \r\n"),
    (&["eval", "return cjson.encode_max_depth('5')", "0"], b":5\r\n"),
    (&["eval", "return cjson.encode({{{{{1}}}}})", "0"], b"$11\r\n[[[[[1]]]]]\r\n"),
    (&["eval", "return cjson.encode({{{{{{1}}}}}})", "0"], b"-ERR Error running script (call to f_633c74244a02f79509b9e504f71904cb84fb9bcd): @user_script:1: user_script:1: Cannot serialise, excessive nesting (6) \r\n"),
    (&["eval", "return cjson.encode_max_depth(5.9)", "0"], b":5\r\n"),
    (&["eval", "return cjson.encode_max_depth(2^32+7)", "0"], b":7\r\n"),
    (&["eval", "return cjson.encode_max_depth(2^31)", "0"], b"-ERR Error running script (call to f_f5417d9ae6a98b488d86fe3935a224b4d3096e73): @user_script:1: user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647) \r\n"),
    (&["eval", "return cjson.encode_max_depth(-1)", "0"], b"-ERR Error running script (call to f_87bb0a5b12551924a1fd5766cfe7139b44104d73): @user_script:1: user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647) \r\n"),
    (&["eval", "return cjson.encode_max_depth({})", "0"], b"-ERR Error running script (call to f_6f87564a0f646b1322a11419f90bb2ac7fa95af9): @user_script:1: user_script:1: bad argument #1 to 'encode_max_depth' (number expected, got table) \r\n"),
    (&["eval", "return cjson.encode_max_depth('x')", "0"], b"-ERR Error running script (call to f_4229217fa8b470676a16337a906e2b5a66e5a354): @user_script:1: user_script:1: bad argument #1 to 'encode_max_depth' (number expected, got string) \r\n"),
    (&["eval", "return cjson.encode_max_depth(1,2)", "0"], b"-ERR Error running script (call to f_5c43c48e7e76822fc2893cb1a56ce410492db058): @user_script:1: user_script:1: bad argument #2 to 'encode_max_depth' (found too many arguments) \r\n"),
    (&["eval", "return cjson.encode_max_depth(1000)", "0"], b":1000\r\n"),
    (&["eval", "return cjson.decode_max_depth()", "0"], b":1000\r\n"),
    (&["eval", "return cjson.decode_max_depth(0)", "0"], b"-ERR Error running script (call to f_7df285984d558e7265bac071a891370695dc4522): @user_script:1: user_script:1: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647) \r\n"),
    (&["eval", "return cjson.decode_max_depth(3)", "0"], b":3\r\n"),
    (&["eval", "return cjson.decode('[[[1]]]')[1][1][1]", "0"], b":1\r\n"),
    (&["eval", "return cjson.decode('[[[[1]]]]')", "0"], b"-ERR Error running script (call to f_680241e678966f2008c35a489e1b5d219606d9dd): @user_script:1: user_script:1: Found too many nested data structures (4) at character 4 \r\n"),
    (&["eval", "return cjson.decode('{\"a\":{\"b\":{\"c\":{}}}}')", "0"], b"-ERR Error running script (call to f_fe1b7468d64d9e6d49ed4b35e2158f897a968c83): @user_script:1: user_script:1: Found too many nested data structures (4) at character 16 \r\n"),
    (&["eval", "return cjson.decode_max_depth(1000)", "0"], b":1000\r\n"),
    // encode_number_precision
    (&["eval", "return cjson.encode_number_precision()", "0"], b":14\r\n"),
    (&["eval", "return cjson.encode_number_precision(15)", "0"], b"-ERR Error running script (call to f_bbd9450de606b026b51b67e7b961ff09397ea6dd): @user_script:1: user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14) \r\n"),
    (&["eval", "return cjson.encode_number_precision(0)", "0"], b"-ERR Error running script (call to f_208a2ca1783398233de006ab8a11e48151d6a3ec): @user_script:1: user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14) \r\n"),
    (&["eval", "cjson.encode_number_precision(1) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$64\r\n[0.5,2,2,0.2,0.1,0.3,0.7,1e+05,1e+15,1e-05,-0,1e+02,1e+21,1e+04]\r\n"),
    (&["eval", "cjson.encode_number_precision(2) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$76\r\n[0.5,1.5,2.5,0.25,0.12,0.33,0.67,1.2e+05,1e+15,1e-05,-0,1e+02,1e+21,1.2e+04]\r\n"),
    (&["eval", "cjson.encode_number_precision(3) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$79\r\n[0.5,1.5,2.5,0.25,0.125,0.333,0.667,1.23e+05,1e+15,1e-05,-0,100,1e+21,1.23e+04]\r\n"),
    (&["eval", "cjson.encode_number_precision(5) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$82\r\n[0.5,1.5,2.5,0.25,0.125,0.33333,0.66667,1.2346e+05,1e+15,1e-05,-0,100,1e+21,12345]\r\n"),
    (&["eval", "cjson.encode_number_precision(10) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$92\r\n[0.5,1.5,2.5,0.25,0.125,0.3333333333,0.6666666667,123456.789,1e+15,1e-05,-0,100,1e+21,12345]\r\n"),
    (&["eval", "cjson.encode_number_precision(13) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$98\r\n[0.5,1.5,2.5,0.25,0.125,0.3333333333333,0.6666666666667,123456.789,1e+15,1e-05,-0,100,1e+21,12345]\r\n"),
    (&["eval", "cjson.encode_number_precision(14) local r = cjson.encode({0.5,1.5,2.5,0.25,0.125,1/3,2/3,123456.789,1e15,1e-5,-0.0,100,1e21,12345}) cjson.encode_number_precision(14) return r", "0"], b"$100\r\n[0.5,1.5,2.5,0.25,0.125,0.33333333333333,0.66666666666667,123456.789,1e+15,1e-05,-0,100,1e+21,12345]\r\n"),
    // encode_keep_buffer
    (&["eval", "return cjson.encode_keep_buffer()", "0"], b":1\r\n"),
    (&["eval", "return cjson.encode_keep_buffer('off')", "0"], b"$-1\r\n"),
    (&["eval", "return cjson.encode({1})", "0"], b"$3\r\n[1]\r\n"),
    (&["eval", "return cjson.encode_keep_buffer(true)", "0"], b":1\r\n"),
    (&["eval", "return cjson.encode_keep_buffer('x')", "0"], b"-ERR Error running script (call to f_6f2c92f10409cc8fc8080231b0877343add2e7b1): @user_script:1: user_script:1: bad argument #1 to 'encode_keep_buffer' (invalid option 'x') \r\n"),
    (&["eval", "return cjson.encode_keep_buffer(1)", "0"], b"-ERR Error running script (call to f_9b0b81d1d5be71be522bde8c8d92e598ae999c42): @user_script:1: user_script:1: bad argument #1 to 'encode_keep_buffer' (invalid option '1') \r\n"),
    (&["eval", "return cjson.encode_keep_buffer({})", "0"], b"-ERR Error running script (call to f_43d34602fae96675752e6650f493fb5a45ad07e9): @user_script:1: user_script:1: bad argument #1 to 'encode_keep_buffer' (string expected, got table) \r\n"),
    (&["eval", "return cjson.encode({1,{2}})", "0"], b"$7\r\n[1,[2]]\r\n"),
    // encode_invalid_numbers
    (&["eval", "return cjson.encode_invalid_numbers()", "0"], b"$-1\r\n"),
    (&["eval", "return cjson.encode_invalid_numbers('null')", "0"], b"$4\r\nnull\r\n"),
    (&["eval", "return cjson.encode({1/0,-1/0,0/0})", "0"], b"$16\r\n[null,null,null]\r\n"),
    (&["eval", "return cjson.encode_invalid_numbers(true)", "0"], b":1\r\n"),
    (&["eval", "return cjson.encode({1/0,-1/0,0/0,-(0/0)})", "0"], b"$18\r\n[inf,-inf,nan,nan]\r\n"),
    (&["eval", "return cjson.encode({[1/0]=1})", "0"], b"$9\r\n{\"inf\":1}\r\n"),
    (&["eval", "return cjson.encode_invalid_numbers('off')", "0"], b"$-1\r\n"),
    (&["eval", "return cjson.encode_invalid_numbers('bad')", "0"], b"-ERR Error running script (call to f_5f2ac360f1d90b54811af29895cafc6827c7b772): @user_script:1: user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option 'bad') \r\n"),
    (&["eval", "return cjson.encode(0/0)", "0"], b"-ERR Error running script (call to f_d3f8d4e745d6587b04e9dd216e0d4631f0a306d9): @user_script:1: user_script:1: Cannot serialise number: must not be NaN or Inf \r\n"),
    // decode_invalid_numbers
    (&["eval", "return cjson.decode_invalid_numbers()", "0"], b":1\r\n"),
    (&["eval", "return cjson.decode('0x10')", "0"], b":16\r\n"),
    (&["eval", "return tostring(cjson.decode('-inf'))", "0"], b"$4\r\n-inf\r\n"),
    (&["eval", "return cjson.decode('01')", "0"], b":1\r\n"),
    (&["eval", "return cjson.decode('+1')", "0"], b":1\r\n"),
    (&["eval", "return tostring(cjson.decode('nan'))", "0"], b"$3\r\nnan\r\n"),
    (&["eval", "return cjson.decode_invalid_numbers(false)", "0"], b"$-1\r\n"),
    (&["eval", "return cjson.decode('0x10')", "0"], b"-ERR Error running script (call to f_381dff2d53c13624609b3ac7fcb3872cf87a987c): @user_script:1: user_script:1: Expected value but found invalid number at character 1 \r\n"),
    (&["eval", "return cjson.decode('nan')", "0"], b"-ERR Error running script (call to f_01ecf643e609b466ae19f146bb0daa49a5c91039): @user_script:1: user_script:1: Expected value but found invalid token at character 1 \r\n"),
    (&["eval", "return cjson.decode('-inf')", "0"], b"-ERR Error running script (call to f_17e146fb5de4682d39b77bcac8e43d0cdf9a8f29): @user_script:1: user_script:1: Expected value but found invalid number at character 1 \r\n"),
    (&["eval", "return cjson.decode('01')", "0"], b"-ERR Error running script (call to f_aa35b891722bd66933242a98b3052a72122586cb): @user_script:1: user_script:1: Expected value but found invalid number at character 1 \r\n"),
    (&["eval", "return cjson.decode('+1')", "0"], b"-ERR Error running script (call to f_8cd3f3c6afa42665b313e578ac8425521a32d638): @user_script:1: user_script:1: Expected value but found invalid token at character 1 \r\n"),
    (&["eval", "return cjson.decode('Infinity')", "0"], b"-ERR Error running script (call to f_88dccacfe62285f37cf07fd1d041f8fb1616f5f6): @user_script:1: user_script:1: Expected value but found invalid token at character 1 \r\n"),
    (&["eval", "return cjson.decode('-1.5e3')", "0"], b":-1500\r\n"),
    (&["eval", "return cjson.decode_invalid_numbers('on')", "0"], b":1\r\n"),
    // A cjson.new() table has settings of its own
    (&["eval", "local c = cjson.new() c.encode_max_depth(2) return {pcall(c.encode, {{{1}}})}", "0"], b"*2\r\n$-1\r\n$39\r\nCannot serialise, excessive nesting (3)\r\n"),
    (&["eval", "return cjson.encode_max_depth()", "0"], b":1000\r\n"),
    (&["eval", "local c = cjson.new() return c.new ~= nil and c._NAME", "0"], b"$5\r\ncjson\r\n"),
    // Settings last across scripts, until SCRIPT FLUSH
    (&["eval", "cjson.encode_number_precision(3) return 1", "0"], b":1\r\n"),
    (&["eval", "return cjson.encode(math.pi)", "0"], b"$4\r\n3.14\r\n"),
    (&["script", "flush"], b"+OK\r\n"),
    (&["eval", "return cjson.encode(math.pi)", "0"], b"$15\r\n3.1415926535898\r\n"),
    // Decoding: values, and every error with its position
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"], b"$28\r\n[0,-5000,-1,0.0003,1023.2,0]\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"keya\": \"a\", \"keyb\": \"b\"}"], b"$23\r\n{\"keya\":\"a\",\"keyb\":\"b\"}\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", ""], b"$50\r\nERR: Expected value but found T_END at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", " "], b"$50\r\nERR: Expected value but found T_END at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "x"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "["], b"$50\r\nERR: Expected value but found T_END at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "]"], b"$54\r\nERR: Expected value but found T_ARR_END at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{"], b"$62\r\nERR: Expected object key string but found T_END at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "}"], b"$54\r\nERR: Expected value but found T_OBJ_END at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1,]"], b"$54\r\nERR: Expected value but found T_ARR_END at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1 2]"], b"$66\r\nERR: Expected comma or array end but found T_NUMBER at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{1:2}"], b"$65\r\nERR: Expected object key string but found T_NUMBER at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\" 2}"], b"$53\r\nERR: Expected colon but found T_NUMBER at character 6\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":}"], b"$54\r\nERR: Expected value but found T_OBJ_END at character 6\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":1,}"], b"$66\r\nERR: Expected object key string but found T_OBJ_END at character 8\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":1 \"b\"}"], b"$67\r\nERR: Expected comma or object end but found T_STRING at character 8\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"abc"], b"$69\r\nERR: Expected value but found unexpected end of string at character 5\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\q\""], b"$64\r\nERR: Expected value but found invalid escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u12\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u12G4\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\ud800\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\ud800\\u0041\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\udc00\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\ud83d\\ude00\""], b"*3\r\n$6\r\nstring\r\n$4\r\n\xf0\x9f\x98\x80\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u00e9\""], b"*3\r\n$6\r\nstring\r\n$2\r\n\xc3\xa9\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u0000\""], b"*3\r\n$6\r\nstring\r\n$1\r\n\x00\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\""], b"*3\r\n$6\r\nstring\r\n$8\r\n/\\\"\x08\x0c\n\r\t\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\"], b"$64\r\nERR: Expected value but found invalid escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u"], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\udbff\\udfff\""], b"*3\r\n$6\r\nstring\r\n$4\r\n\xf4\x8f\xbf\xbf\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\uFFFF\\uabcd\\u07ff\\u0080\\u007f\""], b"*3\r\n$6\r\nstring\r\n$11\r\n\xef\xbf\xbf\xea\xaf\x8d\xdf\xbf\xc2\x80\x7f\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\ud800\\ud800\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\ud800x\""], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"abc\\u00"], b"$72\r\nERR: Expected value but found invalid unicode escape code at character 5\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1 2"], b"$55\r\nERR: Expected the end but found T_NUMBER at character 3\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-"], b"$59\r\nERR: Expected value but found invalid number at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "--1"], b"$59\r\nERR: Expected value but found invalid number at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-a"], b"$59\r\nERR: Expected value but found invalid number at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1e"], b"$60\r\nERR: Expected the end but found invalid token at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1e+"], b"$60\r\nERR: Expected the end but found invalid token at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1."], b"*3\r\n$6\r\nnumber\r\n$1\r\n1\r\n$1\r\n1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", ".5"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-.5"], b"*3\r\n$6\r\nnumber\r\n$4\r\n-0.5\r\n$4\r\n-0.5\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x"], b"$60\r\nERR: Expected the end but found invalid token at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-0x"], b"$60\r\nERR: Expected the end but found invalid token at character 3\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x1p3"], b"*3\r\n$6\r\nnumber\r\n$1\r\n8\r\n$1\r\n8\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x.8"], b"*3\r\n$6\r\nnumber\r\n$3\r\n0.5\r\n$3\r\n0.5\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x1g"], b"$60\r\nERR: Expected the end but found invalid token at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1e400"], b"*3\r\n$6\r\nnumber\r\n$3\r\ninf\r\n$3\r\ninf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-1e400"], b"*3\r\n$6\r\nnumber\r\n$4\r\n-inf\r\n$4\r\n-inf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1e-400"], b"*3\r\n$6\r\nnumber\r\n$1\r\n0\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "true"], b"*3\r\n$7\r\nboolean\r\n$4\r\ntrue\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "false"], b"*3\r\n$7\r\nboolean\r\n$5\r\nfalse\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "null"], b"*3\r\n$8\r\nuserdata\r\n$15\r\nuserdata: (nil)\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "tru"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "nul"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "fals"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "True"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "nan"], b"*3\r\n$6\r\nnumber\r\n$3\r\nnan\r\n$3\r\nnan\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "NaN"], b"*3\r\n$6\r\nnumber\r\n$3\r\nnan\r\n$3\r\nnan\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-nan"], b"*3\r\n$6\r\nnumber\r\n$4\r\n-nan\r\n$4\r\n-nan\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "nan(123)"], b"*3\r\n$6\r\nnumber\r\n$3\r\nnan\r\n$3\r\nnan\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "nan("], b"$60\r\nERR: Expected the end but found invalid token at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "inf"], b"*3\r\n$6\r\nnumber\r\n$3\r\ninf\r\n$3\r\ninf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "infinity"], b"*3\r\n$6\r\nnumber\r\n$3\r\ninf\r\n$3\r\ninf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "infinit"], b"$60\r\nERR: Expected the end but found invalid token at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-Infinity"], b"*3\r\n$6\r\nnumber\r\n$4\r\n-inf\r\n$4\r\n-inf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "+1"], b"*3\r\n$6\r\nnumber\r\n$1\r\n1\r\n$1\r\n1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "+"], b"$59\r\nERR: Expected value but found invalid number at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "++1"], b"$59\r\nERR: Expected value but found invalid number at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "Inf"], b"*3\r\n$6\r\nnumber\r\n$3\r\ninf\r\n$3\r\ninf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "i"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "n"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "N"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "I"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "t"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "f"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[true,false,null]"], b"$17\r\n[true,false,null]\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":null}"], b"$10\r\n{\"a\":null}\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "  [ 1 , 2 ]  "], b"$5\r\n[1,2]\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1]x"], b"$60\r\nERR: Expected the end but found invalid token at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\t\n\r 1"], b"*3\r\n$6\r\nnumber\r\n$1\r\n1\r\n$1\r\n1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1\u{b}"], b"$60\r\nERR: Expected the end but found invalid token at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1,2,3"], b"$63\r\nERR: Expected comma or array end but found T_END at character 7\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":\"b\""], b"$64\r\nERR: Expected comma or object end but found T_END at character 9\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"a\"  \"b\""], b"$55\r\nERR: Expected the end but found T_STRING at character 6\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0012"], b"*3\r\n$6\r\nnumber\r\n$2\r\n12\r\n$2\r\n12\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-0"], b"*3\r\n$6\r\nnumber\r\n$2\r\n-0\r\n$2\r\n-0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "-0.0"], b"*3\r\n$6\r\nnumber\r\n$2\r\n-0\r\n$2\r\n-0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "00"], b"*3\r\n$6\r\nnumber\r\n$1\r\n0\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0e"], b"$60\r\nERR: Expected the end but found invalid token at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0.e1"], b"*3\r\n$6\r\nnumber\r\n$1\r\n0\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "9007199254740993"], b"*3\r\n$6\r\nnumber\r\n$18\r\n9.007199254741e+15\r\n$16\r\n9007199254740992\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "123456789012345678901234567890"], b"*3\r\n$6\r\nnumber\r\n$19\r\n1.2345678901235e+29\r\n$22\r\n1.2345678901234568e+29\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "4.9e-324"], b"*3\r\n$6\r\nnumber\r\n$20\r\n4.9406564584125e-324\r\n$23\r\n4.9406564584124654e-324\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "2.4703282292062328e-324"], b"*3\r\n$6\r\nnumber\r\n$20\r\n4.9406564584125e-324\r\n$23\r\n4.9406564584124654e-324\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1.7976931348623157e308"], b"*3\r\n$6\r\nnumber\r\n$20\r\n1.7976931348623e+308\r\n$23\r\n1.7976931348623157e+308\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "1.7976931348623159e308"], b"*3\r\n$6\r\nnumber\r\n$3\r\ninf\r\n$3\r\ninf\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x1p-1074"], b"*3\r\n$6\r\nnumber\r\n$20\r\n4.9406564584125e-324\r\n$23\r\n4.9406564584124654e-324\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x1.8p-1074"], b"*3\r\n$6\r\nnumber\r\n$20\r\n9.8813129168249e-324\r\n$23\r\n9.8813129168249309e-324\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "0x1p-1075"], b"*3\r\n$6\r\nnumber\r\n$1\r\n0\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"café\""], b"*3\r\n$6\r\nstring\r\n$5\r\ncaf\xc3\xa9\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[[[[[]]]]]"], b"$10\r\n[[[[{}]]]]\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"\":1}"], b"$6\r\n{\"\":1}\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\":1,\"a\":2}"], b"$7\r\n{\"a\":2}\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1e5,1E5,1e+5,1E-5]"], b"$28\r\n[100000,100000,100000,1e-05]\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\"\\u0041\\u0042\""], b"*3\r\n$6\r\nstring\r\n$2\r\nAB\r\n$1\r\n0\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "\\u0041"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "'a'"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[1,,2]"], b"$52\r\nERR: Expected value but found T_COMMA at character 4\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{,}"], b"$64\r\nERR: Expected object key string but found T_COMMA at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "[,]"], b"$52\r\nERR: Expected value but found T_COMMA at character 2\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", ":"], b"$52\r\nERR: Expected value but found T_COLON at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", ","], b"$52\r\nERR: Expected value but found T_COMMA at character 1\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "{\"a\"::1}"], b"$52\r\nERR: Expected value but found T_COLON at character 6\r\n"),
    (&["eval", "local ok, r = pcall(cjson.decode, ARGV[1]) if not ok then return 'ERR: ' .. r end if type(r) == 'table' then return cjson.encode(r) end return {type(r), tostring(r), string.format('%.17g', tonumber(r) or 0)}", "0", "é"], b"$58\r\nERR: Expected value but found invalid token at character 1\r\n"),
    // Decoding errors raised to the script
    (&["eval", "return cjson.decode('\"abc')", "0"], b"-ERR Error running script (call to f_30d67c6fb8e066eef4796bfcc59cee500c381744): @user_script:1: user_script:1: Expected value but found unexpected end of string at character 5 \r\n"),
    (&["eval", "return cjson.decode('x')", "0"], b"-ERR Error running script (call to f_5f58dd5cefb3eb0313af3534f36be4b83e79ae80): @user_script:1: user_script:1: Expected value but found invalid token at character 1 \r\n"),
    (&["eval", "return cjson.decode('[1 2]')", "0"], b"-ERR Error running script (call to f_cae89247ef27d42d411c61ae44ff3af6ab258d99): @user_script:1: user_script:1: Expected comma or array end but found T_NUMBER at character 4 \r\n"),
    (&["eval", "return cjson.decode('[1,\\0]')", "0"], b"-ERR Error running script (call to f_c75eb8288c76a24051191798df252b0a32bc6dde): @user_script:1: user_script:1: Expected value but found T_END at character 4 \r\n"),
    (&["eval", "return cjson.decode('\\0\\1')", "0"], b"-ERR Error running script (call to f_522f43ad3ea3a5d0156cbc7a3f2a11ddf1048c60): @user_script:1: user_script:1: JSON parser does not support UTF-16 or UTF-32 \r\n"),
    (&["eval", "return cjson.decode('a\\0')", "0"], b"-ERR Error running script (call to f_69f6bbb096a19f47ab62fd7adb63b632dfb2a6e4): @user_script:1: user_script:1: JSON parser does not support UTF-16 or UTF-32 \r\n"),
    (&["eval", "return cjson.decode('\\0')", "0"], b"-ERR Error running script (call to f_415c2ca45509b359c98e03d445d505048ec768e3): @user_script:1: user_script:1: Expected value but found T_END at character 1 \r\n"),
    (&["eval", "return cjson.decode('1\\0002')", "0"], b"-ERR Error running script (call to f_fbfd33265b30c394b1eb491207d40e1f141d1e40): @user_script:1: user_script:1: JSON parser does not support UTF-16 or UTF-32 \r\n"),
    (&["eval", "return cjson.decode('\"a\\0b\"')", "0"], b"-ERR Error running script (call to f_4a15f56831e72e9e4f09f1360b725d8c54b8ee4d): @user_script:1: user_script:1: Expected value but found unexpected end of string at character 3 \r\n"),
    (&["eval", "return cjson.decode('\"\\255\\254\\195\\40\"')", "0"], b"$4\r\n\xff\xfe\xc3(\r\n"),
    (&["eval", "return cjson.decode('\\255')", "0"], b"-ERR Error running script (call to f_cc5e57921732103f70cb98ef3f6f4a5a9d2af1ca): @user_script:1: user_script:1: Expected value but found invalid token at character 1 \r\n"),
    (&["eval", "return cjson.decode('-\\255')", "0"], b"-ERR Error running script (call to f_34f5d1c4728c415096bd4ae5975f0bd77f15b548): @user_script:1: user_script:1: Expected value but found invalid number at character 1 \r\n"),
    (&["eval", "return cjson.decode('[1,\\195\\169]')", "0"], b"-ERR Error running script (call to f_c6af2b0a0d7e5a451589ab22ba49246329c65bdb): @user_script:1: user_script:1: Expected value but found invalid token at character 4 \r\n"),
    (&["eval", "return cjson.decode()", "0"], b"-ERR Error running script (call to f_5378278d59343caf5c3375a655dfea5e69ab8a74): @user_script:1: user_script:1: bad argument #1 to 'decode' (expected 1 argument) \r\n"),
    (&["eval", "return cjson.decode(1, 2)", "0"], b"-ERR Error running script (call to f_e6e8194d58fab0f52e4cfd40a22ed55d8c095d09): @user_script:1: user_script:1: bad argument #1 to 'decode' (expected 1 argument) \r\n"),
    (&["eval", "return cjson.decode(nil)", "0"], b"-ERR Error running script (call to f_a844f6020def000abf40e0ee50e4a4bd8ed32ccd): @user_script:1: user_script:1: bad argument #1 to 'decode' (string expected, got nil) \r\n"),
    (&["eval", "return cjson.decode({})", "0"], b"-ERR Error running script (call to f_10c706d54b3ae7d2bcc169d647405abd961145fa): @user_script:1: user_script:1: bad argument #1 to 'decode' (string expected, got table) \r\n"),
    (&["eval", "return cjson.decode(true)", "0"], b"-ERR Error running script (call to f_6115e27079505ceb61d42ce4f608bdca8943af55): @user_script:1: user_script:1: bad argument #1 to 'decode' (string expected, got boolean) \r\n"),
    (&["eval", "return cjson.decode(123)", "0"], b":123\r\n"),
    (&["eval", "return cjson.decode('  123  ')", "0"], b":123\r\n"),
    // Decoding: nesting
    (&["eval", "return type(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)))", "0"], b"$5\r\ntable\r\n"),
    (&["eval", "return cjson.decode(string.rep('[', 1001))", "0"], b"-ERR Error running script (call to f_2ddae80deeddb6a86c3c4e3c22b92b4350e40b1f): @user_script:1: user_script:1: Found too many nested data structures (1001) at character 1001 \r\n"),
    (&["eval", "return cjson.decode(string.rep('{\"a\":', 1001))", "0"], b"-ERR Error running script (call to f_349df8abb2c72e1b878fb4a2d55ce3ebc738e515): @user_script:1: user_script:1: Found too many nested data structures (1001) at character 5001 \r\n"),
    (&["eval", "return cjson.decode('  ' .. string.rep('[', 1001))", "0"], b"-ERR Error running script (call to f_857abba43ec6554d7d037186551b8759ded90680): @user_script:1: user_script:1: Found too many nested data structures (1001) at character 1003 \r\n"),
    // Decoded values back to Redis and to JSON
    (&["eval", "return cjson.decode('[1,[2,[3]]]')", "0"], b"*2\r\n:1\r\n*2\r\n:2\r\n*1\r\n:3\r\n"),
    (&["eval", "return cjson.decode('{\"a\":[1,2,{\"b\":\"c\"}]}').a[3].b", "0"], b"$1\r\nc\r\n"),
    (&["eval", "return cjson.decode('[1,null,3]')", "0"], b"*3\r\n:1\r\n$-1\r\n:3\r\n"),
    (&["eval", "return #cjson.decode('[1,null,3]')", "0"], b":3\r\n"),
    (&["eval", "return cjson.decode('null')", "0"], b"$-1\r\n"),
    (&["eval", "return cjson.decode('[\"a\",null,\"b\"]')", "0"], b"*3\r\n$1\r\na\r\n$-1\r\n$1\r\nb\r\n"),
    (&["eval", "return cjson.decode('[1.5,-2.5,1e300]')", "0"], b"*3\r\n:1\r\n:-2\r\n:-9223372036854775808\r\n"),
    (&["eval", "return cjson.encode(cjson.decode('[1.5,-0,1e300]'))", "0"], b"$15\r\n[1.5,-0,1e+300]\r\n"),
    (&["eval", "return cjson.encode(cjson.decode(ARGV[1]))", "0", "{\"a\":[1,2,3,{\"b\":true,\"c\":null}],\"d\":\"\\u00e9\"}"], b"$42\r\n{\"a\":[1,2,3,{\"c\":null,\"b\":true}],\"d\":\"\xc3\xa9\"}\r\n"),
    (&["eval", "return cjson.decode(cjson.encode({a={1,2,3}})).a[3]", "0"], b":3\r\n"),
    (&["eval", "return cjson.decode(cjson.encode(ARGV[1])) == ARGV[1]", "0", "x\"\\/\n\té"], b":1\r\n"),
    (&["ping"], b"+PONG\r\n"),
];

/// The SHA1 in an "Error running script (call to f_<sha>)" reply: the one
/// of the script, computed here so the table above may carry any.
fn fix_sha(args: &[&str], expected: &[u8]) -> Vec<u8> {
    let marker = b"(call to f_";
    let Some(at) = expected.windows(marker.len()).position(|w| w == marker)
    else {
        return expected.to_vec();
    };
    let start = at + marker.len();
    let mut out = expected.to_vec();
    out[start..start + 40].copy_from_slice(sha1(args[1]).as_bytes());
    out
}

fn sha1(s: &str) -> String {
    sha1_smol::Sha1::from(s).digest().to_string()
}

fn step_args(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

#[test]
fn cjson_replies_as_redis_5() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    for (args, expected) in STEPS {
        let expected = fix_sha(args, expected);
        let a = step_args(args);
        let a: Vec<&[u8]> = a.iter().map(|v| v.as_slice()).collect();
        let got = r.raw_bin(&a);
        assert!(
            got == expected,
            "{:?}\n  got:      {:?}\n  expected: {:?}",
            args,
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected)
        );
    }
}

#[test]
fn same_cjson_replies_as_redis_5() {
    let Some(bin) = c_server() else {
        eprintln!("REDIS_C_SERVER / REDIS_SRC not set: skipped");
        return;
    };
    let ours = Server::start(&[]);
    let theirs = Server::start_binary(&bin, &[]);
    let mut a = Conn::db9(&ours);
    let mut b = Conn::db9(&theirs);
    for (args, _) in STEPS {
        let v = step_args(args);
        let v: Vec<&[u8]> = v.iter().map(|x| x.as_slice()).collect();
        let (x, y) = (a.raw_bin(&v), b.raw_bin(&v));
        assert!(
            x == y,
            "{:?}\n  ours:   {:?}\n  theirs: {:?}",
            args,
            String::from_utf8_lossy(&x),
            String::from_utf8_lossy(&y)
        );
    }
}

/// One hostile call: the script, its arguments, and a check of the reply.
struct Hostile {
    script: &'static str,
    argv: Vec<Vec<u8>>,
    expected: Vec<u8>,
}

fn err_reply(script: &str, msg: &str) -> Vec<u8> {
    format!(
        "-ERR Error running script (call to f_{}): @user_script:1: \
         user_script:1: {msg} \r\n",
        sha1(script)
    )
    .into_bytes()
}

fn bulk(b: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", b.len()).into_bytes();
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
    out
}

fn hostile_calls() -> Vec<Hostile> {
    let ten_mb = 10_000_000;
    let mut calls = Vec::new();
    let mut call = |script: &'static str, argv: Vec<Vec<u8>>, expected| {
        calls.push(Hostile { script, argv, expected })
    };

    // Deep nesting, at the default depth limits.
    let s = "return cjson.decode(ARGV[1])";
    call(
        s,
        vec![vec![b'['; ten_mb]],
        err_reply(
            s,
            "Found too many nested data structures (1001) at character 1001",
        ),
    );
    let mut objects = Vec::new();
    for _ in 0..100_000 {
        objects.extend_from_slice(b"{\"a\":");
    }
    call(
        s,
        vec![objects.clone()],
        err_reply(
            s,
            "Found too many nested data structures (1001) at character 5001",
        ),
    );
    // With no depth limit, the Lua stack is the limit (8,000 slots: one a
    // level in an array, two in an object).
    let s = "cjson.decode_max_depth(2147483647) \
             local ok, e = pcall(cjson.decode, ARGV[1]) \
             cjson.decode_max_depth(1000) return e";
    call(
        s,
        vec![vec![b'['; ten_mb]],
        bulk(b"Found too many nested data structures (7999) at character 7999"),
    );
    call(
        s,
        vec![objects],
        bulk(
            b"Found too many nested data structures (4000) at character 19996",
        ),
    );
    // A table holding itself.
    let s = "local t = {} t[1] = t return cjson.encode(t)";
    call(s, vec![], err_reply(s, "Cannot serialise, excessive nesting (1001)"));
    let s = "local t = {} t.a = {t} return cjson.encode(t)";
    call(s, vec![], err_reply(s, "Cannot serialise, excessive nesting (1001)"));
    let s = "cjson.encode_max_depth(2147483647) local t = {} t[1] = t \
             local ok, e = pcall(cjson.encode, t) \
             cjson.encode_max_depth(1000) return e";
    call(s, vec![], bulk(b"Cannot serialise, excessive nesting (7998)"));
    let s = "cjson.encode_max_depth(2147483647) local t = {} t.a = t \
             local ok, e = pcall(cjson.encode, t) \
             cjson.encode_max_depth(1000) return e";
    call(s, vec![], bulk(b"Cannot serialise, excessive nesting (4000)"));
    // 10 MB strings: encoded (every byte escaped: 6 bytes each), decoded,
    // and unterminated.
    let s = "return cjson.encode(ARGV[1])";
    let mut want = vec![b'"'];
    want.extend(std::iter::repeat_n(b'a', ten_mb));
    want.push(b'"');
    call(s, vec![vec![b'a'; ten_mb]], bulk(&want));
    let s = "return #cjson.encode(ARGV[1])";
    call(s, vec![vec![1u8; ten_mb]], format!(":{}\r\n", ten_mb * 6 + 2).into());
    let s = "return #cjson.decode(ARGV[1])";
    let mut quoted = vec![b'"'];
    quoted.extend(std::iter::repeat_n(b'x', ten_mb));
    quoted.push(b'"');
    call(s, vec![quoted.clone()], format!(":{ten_mb}\r\n").into());
    let s = "return cjson.decode(ARGV[1])";
    quoted.pop();
    call(
        s,
        vec![quoted],
        err_reply(
            s,
            "Expected value but found unexpected end of string at character \
             10000002",
        ),
    );
    // A 10 MB number, and 10 MB of spaces.
    call(s, vec![vec![b'1'; ten_mb]], b":-9223372036854775808\r\n".to_vec());
    call(
        s,
        vec![vec![b' '; ten_mb]],
        err_reply(s, "Expected value but found T_END at character 10000001"),
    );
    // Invalid UTF-8 goes through both ways untouched.
    let s = "return cjson.encode(ARGV[1])";
    call(
        s,
        vec![b"\xff\xfe\xc3\x28\xe2\x82".to_vec()],
        bulk(b"\"\xff\xfe\xc3\x28\xe2\x82\""),
    );
    let s = "return cjson.decode(ARGV[1])";
    call(s, vec![b"\"\xff\xfe\xc3\x28\"".to_vec()], bulk(b"\xff\xfe\xc3\x28"));
    call(
        s,
        vec![b"\xff".to_vec()],
        err_reply(s, "Expected value but found invalid token at character 1"),
    );
    // A script's __gc finalizers run inside cjson's allocations and call
    // cjson again (and change its settings) while the outer call is under
    // way: every outer result is still whole.
    let s = "local hits = 0 \
             local function arm() \
               for i = 1, 50 do \
                 local p = newproxy(true) \
                 getmetatable(p).__gc = function() \
                   hits = hits + 1 \
                   local s = cjson.encode({hits, string.rep('y', 1000)}) \
                   local v = cjson.decode(s) \
                   cjson.encode_keep_buffer(hits % 2 == 0) \
                 end \
               end \
             end \
             local ok = 0 \
             local want = '[' .. string.rep('\"abcdefgh\",', 20000) .. '1]' \
             for round = 1, 20 do \
               arm() \
               local t = cjson.decode(want) \
               local s = cjson.encode(t) \
               if #t == 20001 and s == want then ok = ok + 1 end \
             end \
             collectgarbage() \
             cjson.encode_keep_buffer(true) \
             return {ok, hits}";
    call(s, vec![], b"*2\r\n:20\r\n:1000\r\n".to_vec());
    calls
}

fn run_hostile(conn: &mut Conn, h: &Hostile) -> Vec<u8> {
    let mut args: Vec<&[u8]> = vec![b"eval", h.script.as_bytes(), b"0"];
    args.extend(h.argv.iter().map(|a| a.as_slice()));
    conn.raw_bin(&args)
}

/// Hostile input: each call gets its error (or value), and the server
/// still answers PING after it. Checked against 5.0.14 too when
/// `REDIS_SRC` is set.
#[test]
fn hostile_input_gets_an_error_and_the_server_stays_up() {
    let calls = hostile_calls();
    let ours = Server::start(&[]);
    let mut a = Conn::db9(&ours);
    for h in &calls {
        let got = run_hostile(&mut a, h);
        assert!(
            got == h.expected,
            "{}\n  got:      {:?}\n  expected: {:?}",
            h.script,
            String::from_utf8_lossy(&got[..got.len().min(300)]),
            String::from_utf8_lossy(&h.expected[..h.expected.len().min(300)])
        );
        assert_eq!(a.raw(&["ping"]), "+PONG\r\n", "{}", h.script);
    }
    if let Some(bin) = c_server() {
        let theirs = Server::start_binary(&bin, &[]);
        let mut b = Conn::db9(&theirs);
        for h in &calls {
            assert!(run_hostile(&mut b, h) == h.expected, "{}", h.script);
        }
    }
}
