"""scenes/web/compact.py: the page's script without the spaces no token needs.

Each case is a line as the product's files write it and what the page carries; a line whose
tokens the scanner cannot read without knowing what a "/" means is kept as it is."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from scenes.web.compact import compact_js, compact_lines

CASES = [
    ("    var a = b - -c; // why", "var a=b- -c;"),                    # signs that would join keep a space
    ("x = y++ + ++z;", "x=y++ + ++z;"),
    ('s = "a // b, c = d" + t; // note', 's="a // b, c = d"+t;'),        # a string is copied; the comment goes
    ("return \"x\" in  obj", 'return"x"in obj'),
    ("var s = 1 .toFixed(2)", "var s=1 .toFixed(2)"),
    ("if (a / b) return c  ;  // half", "if (a / b) return c  ;  // half"),  # a "/" in code: kept whole
    ("t = s.replace(/ +/g, ' ')", "t = s.replace(/ +/g, ' ')"),
    ("a = `t ${x} u`", "a = `t ${x} u`"),                               # a template with ${: kept whole
    ("a = `t  u` + 'it\\'s  so'", "a=`t  u`+'it\\'s  so'"),
    ("let β = 2, y = typeof β", "let β=2,y=typeof β"),
    ("} else if (x) {", "}else if(x){"),
    ("s = 'unclosed", "s = 'unclosed"),
]


@pytest.mark.parametrize("line, want", CASES)
def test_a_line_loses_only_the_spaces_no_token_needs(line, want):
    assert compact_js(line) == want + "\n"


def test_comment_lines_indentation_and_blank_lines_go():
    text = "/* what\n * this is\n */\n(function () {\n  // a note\n\n  var x = 1;\n})();\n"
    assert compact_lines(text) == "(function () {\nvar x = 1;\n})();\n"
    assert compact_js(text) == "(function(){\nvar x=1;\n})();\n"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_cases_mean_the_same_under_node():
    """Each compacted case that Node can evaluate gives what the line gives."""
    prog = ("var b = 5, c = 2, y = 1, z = 3, x = 0, t = 'q', obj = {x: 1}, s = '';\n"
            "function f1() { var a = b - -c; return a; }\nfunction f2() { var y = 1, z = 3, x; x = y++ + ++z; return x; }\n"
            "function f3() { var s = 1 .toFixed(2); return s; }\n")
    out = []
    for text in (prog, compact_js(prog)):
        done = subprocess.run(["node", "-e", text + "console.log(JSON.stringify([f1(), f2(), f3()]))"],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        out.append(done.stdout)
    assert out[0] == out[1] == '[7,5,"1.00"]\n'
