"""Python's own changes: a removed or deprecated API and its replacement.

As pyupgrade, ruff's UP and PLW rules, pyflakes (F901) and 2to3 know them. Each template matches
only its own spelling, so each is precise where it matches at all. A replacement that needs a new
import (`cgi.escape` -> `html.escape`) is left out: one statement cannot add the import.
"""

from __future__ import annotations

from repairbot.pattern.ops import Op, S

MODERNISE: tuple[Op, ...] = (
    Op("str for unicode", "modernise", "unicode({h0})", "str({h0})", ("text = unicode(msg)\n", "text = str(msg)\n")),
    Op("int for long", "modernise", "long({h0})", "int({h0})", ("n = long(s)\n", "n = int(s)\n")),
    Op("input for raw_input", "modernise", "raw_input({h0})", "input({h0})",
       ("name = raw_input(prompt)\n", "name = input(prompt)\n")),
    Op("open for file", "modernise", "file({h0})", "open({h0})", ("f = file(path)\n", "f = open(path)\n")),
    Op("range for xrange", "modernise", "xrange({h0})", "range({h0})",
       ("for i in xrange(n): ...\n", "for i in range(n): ...\n")),
    Op("str for basestring", "modernise", "isinstance({h0}, basestring)", "isinstance({h0}, str)",
       ("ok = isinstance(v, basestring)\n", "ok = isinstance(v, str)\n")),
    Op("sys.maxsize for sys.maxint", "modernise", "sys.maxint", "sys.maxsize",
       ("n = random.randint(0, sys.maxint)\n", "n = random.randint(0, sys.maxsize)\n")),
    Op("items for iteritems", "modernise", "{h0}.iteritems()", "{h0}.items()",
       ("for k, v in d.iteritems(): ...\n", "for k, v in d.items(): ...\n")),
    Op("values for itervalues", "modernise", "{h0}.itervalues()", "{h0}.values()",
       ("for v in d.itervalues(): ...\n", "for v in d.values(): ...\n")),
    Op("keys for iterkeys", "modernise", "{h0}.iterkeys()", "{h0}.keys()",
       ("for k in d.iterkeys(): ...\n", "for k in d.keys(): ...\n")),
    Op("in for has_key", "modernise", "{h0}.has_key({h1})", "{h1} in {h0}",
       ("if d.has_key(k): ...\n", "if k in d: ...\n")),
    Op("next() for .next()", "modernise", "{h0}.next()", "next({h0})", ("line = lines.next()\n", "line = next(lines)\n")),
    Op("a list of a view before indexing", "modernise", "{h0}.keys()[{h1}]", "list({h0}.keys())[{h1}]",
       ("first = d.keys()[0]\n", "first = list(d.keys())[0]\n")),
    Op("NotImplementedError for a called NotImplemented", "modernise", "NotImplemented({h0})",
       "NotImplementedError({h0})", ("raise NotImplemented('subclass')\n", "raise NotImplementedError('subclass')\n")),
    Op("NotImplementedError for a raised NotImplemented", "modernise", "raise NotImplemented\n",
       "raise NotImplementedError\n", ("def f(self):\n    raise NotImplemented\n",
                                       "def f(self):\n    raise NotImplementedError\n"), S),
    Op("isinstance for type() ==", "modernise", "type({h0}) == {h1}", "isinstance({h0}, {h1})",
       ("if type(v) == bytes: ...\n", "if isinstance(v, bytes): ...\n")),
    Op("isinstance for type() is", "modernise", "type({h0}) is {h1}", "isinstance({h0}, {h1})",
       ("if type(v) is dict: ...\n", "if isinstance(v, dict): ...\n")),
    Op("not isinstance for type() !=", "modernise", "type({h0}) != {h1}", "not isinstance({h0}, {h1})",
       ("if type(v) != bytes: ...\n", "if not isinstance(v, bytes): ...\n")),
    Op("return, not raise StopIteration (PEP 479)", "modernise", "raise StopIteration\n", "return\n",
       ("def gen(xs):\n    for x in xs:\n        if x is None:\n            raise StopIteration\n        yield x\n",
        "def gen(xs):\n    for x in xs:\n        if x is None:\n            return\n        yield x\n"), S),
    Op("open with an encoding", "modernise", "open({h0})", "open({h0}, encoding=\"utf-8\")",
       ("stream = open(filename)\n", "stream = open(filename, encoding=\"utf-8\")\n")),
    Op("Path.open with an encoding", "modernise", "{h0}.open()", "{h0}.open(encoding=\"utf-8\")",
       ("with path.open() as f: ...\n", "with path.open(encoding=\"utf-8\") as f: ...\n")),
    Op("read_text with an encoding", "modernise", "{h0}.read_text()", "{h0}.read_text(encoding=\"utf-8\")",
       ("text = path.read_text()\n", "text = path.read_text(encoding=\"utf-8\")\n")),
    Op("collections.abc.Mapping", "modernise", "collections.Mapping", "collections.abc.Mapping",
       ("ok = isinstance(v, collections.Mapping)\n", "ok = isinstance(v, collections.abc.Mapping)\n")),
    Op("collections.abc.MutableMapping", "modernise", "collections.MutableMapping", "collections.abc.MutableMapping",
       ("class D(collections.MutableMapping): ...\n", "class D(collections.abc.MutableMapping): ...\n")),
    Op("collections.abc.Sequence", "modernise", "collections.Sequence", "collections.abc.Sequence",
       ("ok = isinstance(v, collections.Sequence)\n", "ok = isinstance(v, collections.abc.Sequence)\n")),
    Op("collections.abc.Iterable", "modernise", "collections.Iterable", "collections.abc.Iterable",
       ("ok = isinstance(v, collections.Iterable)\n", "ok = isinstance(v, collections.abc.Iterable)\n")),
    Op("collections.abc.Callable", "modernise", "collections.Callable", "collections.abc.Callable",
       ("ok = isinstance(v, collections.Callable)\n", "ok = isinstance(v, collections.abc.Callable)\n")),
    Op("getfullargspec for getargspec", "modernise", "inspect.getargspec({h0})", "inspect.getfullargspec({h0})",
       ("spec = inspect.getargspec(f)\n", "spec = inspect.getfullargspec(f)\n")),
    Op("perf_counter for time.clock", "modernise", "time.clock()", "time.perf_counter()",
       ("t0 = time.clock()\n", "t0 = time.perf_counter()\n")),
    Op("is_alive for isAlive", "modernise", "{h0}.isAlive()", "{h0}.is_alive()",
       ("if worker.isAlive(): ...\n", "if worker.is_alive(): ...\n")),
    Op("current_thread for currentThread", "modernise", "threading.currentThread()", "threading.current_thread()",
       ("t = threading.currentThread()\n", "t = threading.current_thread()\n")),
    Op("encodebytes for encodestring", "modernise", "base64.encodestring({h0})", "base64.encodebytes({h0})",
       ("s = base64.encodestring(data)\n", "s = base64.encodebytes(data)\n")),
    Op("decodebytes for decodestring", "modernise", "base64.decodestring({h0})", "base64.decodebytes({h0})",
       ("d = base64.decodestring(s)\n", "d = base64.decodebytes(s)\n")),
    Op("getcwd for getcwdu", "modernise", "os.getcwdu()", "os.getcwd()", ("here = os.getcwdu()\n", "here = os.getcwd()\n")),
    Op("ascii_letters for letters", "modernise", "string.letters", "string.ascii_letters",
       ("abc = string.letters\n", "abc = string.ascii_letters\n")),
    Op("yaml.safe_load for yaml.load", "modernise", "yaml.load({h0})", "yaml.safe_load({h0})",
       ("cfg = yaml.load(stream)\n", "cfg = yaml.safe_load(stream)\n")),
)


def _method(old: str, new: str, call: str, codes: tuple[str, ...] = ()) -> Op:
    """`x.old(...)` -> `x.new(...)`: a method renamed, shown on `call` (which spells `old`)."""
    return Op(f"{new} for {old}", "modernise", f"{{h0}}.{old}", f"{{h0}}.{new}",
              (f"{call}\n", f"{call.replace('.' + old + '(', '.' + new + '(')}\n"), codes=codes)


def _name(old: str, new: str, use: str) -> Op:
    """`old` -> `new` where both are dotted names, shown on `use` (which spells `old`)."""
    return Op(f"{new} for {old}", "modernise", old, new, (f"{use}\n", f"{use.replace(old, new)}\n"))


# unittest's aliases, deprecated since 3.2 and removed in 3.12 (ruff PT009 / UP005)
_UNITTEST = (
    ("assertEquals", "assertEqual"), ("assertNotEquals", "assertNotEqual"),
    ("assertAlmostEquals", "assertAlmostEqual"), ("assertNotAlmostEquals", "assertNotAlmostEqual"),
    ("assertRegexpMatches", "assertRegex"), ("assertNotRegexpMatches", "assertNotRegex"),
    ("assertRaisesRegexp", "assertRaisesRegex"), ("assertItemsEqual", "assertCountEqual"),
    ("assert_", "assertTrue"), ("failUnless", "assertTrue"), ("failIf", "assertFalse"),
    ("failUnlessEqual", "assertEqual"), ("failIfEqual", "assertNotEqual"), ("failUnlessRaises", "assertRaises"),
)

# Added in session 9; appended after the procedural operators so the earlier built-ins keep their
# order (ties between equal priors follow it).
MODERNISE_MORE: tuple[Op, ...] = (
    *(_method(old, new, f"self.{old}(got, want)", ("UP005",)) for old, new in _UNITTEST),
    # Python 2 names 2to3 renames
    *(_name(f"itertools.{old}", new, f"pairs = list(itertools.{old}(a, b))") for old, new in (
        ("izip", "zip"), ("imap", "map"), ("ifilter", "filter"), ("izip_longest", "itertools.zip_longest"),
        ("ifilterfalse", "itertools.filterfalse"))),
    *(_method(old, new, f"for k in d.{old}(): ...") for old, new in (
        ("viewkeys", "keys"), ("viewvalues", "values"), ("viewitems", "items"))),
    *(Op(f"{new} for {old}", "modernise", f"{{h0}}.{old}", f"{{h0}}.{new}",
         (f"name = f.{old}\n", f"name = f.{new}\n")) for old, new in (
        ("func_name", "__name__"), ("func_code", "__code__"), ("func_defaults", "__defaults__"),
        ("func_globals", "__globals__"), ("im_func", "__func__"), ("im_self", "__self__"))),
    *(_name(f"string.{old}", f"string.{new}", f"ok = c in string.{old}") for old, new in (
        ("uppercase", "ascii_uppercase"), ("lowercase", "ascii_lowercase"))),
    Op("str.join for string.join", "modernise", "string.join({h0}, {h1})", "{h1}.join({h0})",
       ("line = string.join(words, ' ')\n", "line = ' '.join(words)\n")),
    *(Op(f"str.{m} for string.{m}", "modernise", f"string.{m}({{h0}})", f"{{h0}}.{m}()",
         (f"key = string.{m}(name)\n", f"key = name.{m}()\n")) for m in ("lower", "upper", "strip", "split")),
    Op("str.replace for string.replace", "modernise", "string.replace({h0}, {h1}, {h2})", "{h0}.replace({h1}, {h2})",
       ("s = string.replace(s, '-', '_')\n", "s = s.replace('-', '_')\n")),
    Op("int for string.atoi", "modernise", "string.atoi({h0})", "int({h0})", ("n = string.atoi(s)\n", "n = int(s)\n")),
    # collections' ABCs, removed in 3.10 (the common five are above)
    *(_name(f"collections.{abc}", f"collections.abc.{abc}", f"ok = isinstance(v, collections.{abc})") for abc in (
        "MutableSequence", "Set", "MutableSet", "Hashable", "Sized", "Iterator", "Container", "Generator")),
    # removed or deprecated in 3.9-3.13
    Op("daemon for setDaemon", "modernise", "{h0}.setDaemon({h1})\n", "{h0}.daemon = {h1}\n",
       ("worker.setDaemon(True)\n", "worker.daemon = True\n"), S),
    Op("daemon for isDaemon", "modernise", "{h0}.isDaemon()", "{h0}.daemon",
       ("if worker.isDaemon(): ...\n", "if worker.daemon: ...\n")),
    Op("list() for getchildren", "modernise", "{h0}.getchildren()", "list({h0})",
       ("for child in node.getchildren(): ...\n", "for child in list(node): ...\n")),
    _method("getiterator", "iter", "for el in tree.getiterator('item'): ..."),
    Op("tobytes for tostring", "modernise", "{h0}.tostring()", "{h0}.tobytes()",
       ("data = arr.tostring()\n", "data = arr.tobytes()\n")),
    Op("json.loads without encoding", "modernise", "json.loads({h0}, encoding={h1})", "json.loads({h0})",
       ("doc = json.loads(body, encoding='utf-8')\n", "doc = json.loads(body)\n")),
    Op("loadTestsFromTestCase for makeSuite", "modernise", "unittest.makeSuite({h0})",
       "unittest.defaultTestLoader.loadTestsFromTestCase({h0})",
       ("suite = unittest.makeSuite(T)\n", "suite = unittest.defaultTestLoader.loadTestsFromTestCase(T)\n")),
    _name("locale.format", "locale.format_string", "s = locale.format('%d', n, grouping=True)"),
    _name("configparser.SafeConfigParser", "configparser.ConfigParser", "cp = configparser.SafeConfigParser()"),
    _method("readfp", "read_file", "parser.readfp(stream)"),
    # logging's deprecated alias; spelt out per receiver, since `warnings.warn` is right as it is
    *(_name(f"{log}.warn", f"{log}.warning", f"{log}.warn('disk full')") for log in ("logging", "logger", "log")),
)
