"""Chapter 07's tokens are the same on every Python the course supports (3.11's view: an f-string is
one string; a stray quote stops the tokens; an unclosed bracket at the end does not). These tests run
on whichever Python runs them; `.ci/run` runs them on 3.11 and 3.13."""
from __future__ import annotations

import sys
import tokenize

import pytest

from lstmlib.course.ch07 import tokens
from lstmlib.course.ch07.tokens import python_tokens


def _kinds(text):
    return [(tokenize.tok_name[t.type], t.string) for t in python_tokens(text)
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]


def test_an_f_string_is_one_string_token():
    assert _kinds('x = f"a{b}c" + 1\n') == [("NAME", "x"), ("OP", "="), ("STRING", 'f"a{b}c"'), ("OP", "+"),
                                            ("NUMBER", "1")]


def test_nested_f_strings_and_format_specs_stay_inside_their_token():
    text = 'print(f"{x:{w}}", rf\'{f"{y}"}\')\n'
    assert _kinds(text) == [("NAME", "print"), ("OP", "("), ("STRING", 'f"{x:{w}}"'), ("OP", ","),
                            ("STRING", 'rf\'{f"{y}"}\''), ("OP", ")")]


def test_a_multi_line_f_string_keeps_its_source_and_positions():
    text = 'x = f"""a\n{b}\nc"""\ny = 1\n'
    toks = [t for t in python_tokens(text) if t.type == tokenize.STRING]
    assert [(t.string, t.start, t.end) for t in toks] == [('f"""a\n{b}\nc"""', (1, 4), (3, 4))]


def test_a_stray_quote_stops_the_tokens_on_its_line():
    with pytest.raises(tokenize.TokenError) as err:
        list(python_tokens('a = 1\ns = "abc\nx = (1,\n 2)\n'))
    assert err.value.args[1][0] == 2


def test_characters_that_are_not_python_are_error_tokens():
    assert _kinds("a $ b ? `c` !d\n") == [("NAME", "a"), ("ERRORTOKEN", "$"), ("NAME", "b"), ("ERRORTOKEN", "?"),
                                          ("ERRORTOKEN", "`"), ("NAME", "c"), ("ERRORTOKEN", "`"),
                                          ("ERRORTOKEN", "!"), ("NAME", "d")]


def test_an_unclosed_bracket_at_the_end_ends_the_tokens_without_an_error():
    assert _kinds("x = f(a,\n")[-1] == ("OP", ",")


def test_an_open_triple_quoted_string_is_placed_on_its_line():
    with pytest.raises(tokenize.TokenError) as err:
        list(python_tokens('a = 1\ns = """abc\nx\n'))
    assert err.value.args[1][0] == 2


def test_plain_python_is_what_tokenize_gives():
    text = 'def f(a, b=(1, 2)):\n    """Doc."""\n    return a[b]  # note\n'
    import io
    plain = list(tokenize.generate_tokens(io.StringIO(text).readline))
    assert list(python_tokens(text)) == plain


def test_line_offsets():
    assert tokens.line_offsets("ab\ncd\n") == [0, 3, 6]
    assert tokens.line_offsets("") == [0]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the f-string tokens exist on Python >= 3.12")
def test_on_3_12_and_later_the_tokenizer_does_split_f_strings():
    import io
    kinds = {t.type for t in tokenize.generate_tokens(io.StringIO('f"{a}"\n').readline)}
    assert tokenize.FSTRING_START in kinds  # what python_tokens undoes
