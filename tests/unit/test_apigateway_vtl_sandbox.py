"""Hostile mapping templates: anyone who may call PutIntegration writes them; none may escape, loop or grow."""

from __future__ import annotations

import threading
import time

import airspeed
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.services.apigateway.dataplane import vtl, vtl_sandbox
from strongroom.services.apigateway.dataplane.vtl_sandbox import Limits, VtlError, VtlLimitError, evaluate

SMALL = Limits(max_steps=5_000, max_chars=100_000, timeout=2.0)


def run(template: str, limits: Limits = SMALL) -> str:
    return evaluate(
        template, {"input": vtl.InputVariable("{}", vtl.Params()), "util": vtl.UtilVariable(), "s": "x"}, limits
    )


def test_the_patched_airspeed_internals_exist() -> None:
    """airspeed is pinned; if an upgrade renames what vtl_sandbox replaces, this fails before anything is exposed."""
    assert airspeed.NameOrCall.calculate is vtl_sandbox._resolve
    assert airspeed.ForeachDirective.evaluate_raw is vtl_sandbox._foreach
    assert airspeed.StoppableStream.write is vtl_sandbox._write
    assert airspeed.BinaryOperator.OPERATORS is vtl_sandbox._OPERATORS
    assert airspeed.Range.calculate is vtl_sandbox._range
    assert airspeed.EvaluateDirective.evaluate_raw is vtl_sandbox._evaluate_directive


@pytest.mark.parametrize(
    "template",
    [
        "$s.__class__",
        "$s.__class__.__mro__",
        "$input.__dict__",
        "$input._params",
        "$input._document()",
        "$util.__init__.__globals__",
        "#set($x = $s.__class__)$x",
    ],
)
def test_no_python_internals(template: str) -> None:
    with pytest.raises(VtlError, match="Illegal reference"):
        run(template)


@pytest.mark.parametrize(
    "template",
    [
        "$s.format('{0.__class__}')",  # Python str methods are not Java's
        "$s.encode()",
        "$input.body.join('a')",
        "$util.escapeJavaScript.__self__",
        "$input.params().clear()",
        "$input.getClass()",
        "$util.getClass().forName('java.lang.Runtime')",
    ],
)
def test_only_listed_members_and_java_methods_resolve(template: str) -> None:
    # Unresolved: written as it stands (Velocity's rendering of a null reference), or an error; never evaluated.
    try:
        out = run(template)
    except VtlError:
        return
    assert out == template or "Illegal" not in out
    assert "class" not in out.replace(template, "")


def test_foreach_stops_at_1000_iterations_as_aws() -> None:
    assert run("#foreach($i in [1..5000])x#end", Limits()) == "x" * 1000


def test_nested_loops_exhaust_the_step_budget() -> None:
    template = "#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])#end#end#end"
    started = time.monotonic()
    with pytest.raises(VtlLimitError, match="steps"):
        run(template, Limits(max_steps=50_000))
    assert time.monotonic() - started < 5


def test_doubling_a_string_is_bounded() -> None:
    with pytest.raises(VtlLimitError, match="characters"):
        run('#set($s = "ab")#foreach($i in [1..100])#set($s = "$s$s")#end')
    with pytest.raises(VtlLimitError, match="characters"):
        run("#set($s = 'ab')#foreach($i in [1..100])#set($s = $s + $s)#end")
    with pytest.raises(VtlLimitError, match="characters"):
        run("#set($s = 'ab')#foreach($i in [1..100])#set($s = $s.concat($s))#end")
    with pytest.raises(VtlLimitError, match="characters"):
        run("#set($s = 'ab')#foreach($i in [1..100])#set($s = $s.replaceAll('a', $s))#end")


def test_output_is_bounded() -> None:
    with pytest.raises(VtlLimitError):
        run("#foreach($i in [1..1000])" + "y" * 1000 + "#end")


def test_string_times_number_is_not_repetition() -> None:
    with pytest.raises(VtlError, match="not a number"):
        run("#set($x = 'a' * 1000000000)")


def test_arithmetic_overflows_like_java_long() -> None:
    with pytest.raises(VtlError, match="overflow"):
        run("#set($n = 3037000500)#set($n = $n * $n * $n)")


def test_division_by_zero_fails_the_template() -> None:
    with pytest.raises(VtlError, match="Division by zero"):
        run("#set($n = 1 / 0)")


def test_huge_ranges_are_refused() -> None:
    with pytest.raises(VtlLimitError, match="Range"):
        run("#set($r = [1..100000000])")


@pytest.mark.parametrize(
    "template",
    [
        "#macro(f $n)#f($n)#end#f(1)",  # infinite recursion
        "#macro(a $n)#b($n)#end#macro(b $n)#a($n)#end#a(1)",  # mutual recursion
        "#set($t = '#evaluate($t)')#evaluate($t)",  # self-evaluating
    ],
)
def test_recursion_is_capped(template: str) -> None:
    with pytest.raises(VtlLimitError, match="nesting"):
        run(template)


def test_macro_fan_out_is_bounded() -> None:
    template = "#macro(f $n)#foreach($i in [1..1000])#g(1)#end#end#macro(g $n)#foreach($i in [1..1000])x#end#end#f(1)"
    with pytest.raises(VtlLimitError):
        run(template, Limits(max_steps=10_000))


def test_catastrophic_regex_times_out() -> None:
    template = "#set($s = '" + "a" * 60 + "!')$s.matches('(a|aa)+$')"
    started = time.monotonic()
    with pytest.raises(VtlLimitError, match="timed out"):
        run(template, Limits(regex_timeout=0.05))
    assert time.monotonic() - started < 2


def test_invalid_regex_is_an_error() -> None:
    with pytest.raises(VtlError, match="Invalid regular expression"):
        run("$s.replaceAll('(', 'x')")


def test_oversized_templates_are_refused() -> None:
    with pytest.raises(VtlLimitError, match="exceeds"):
        run("x" * (SMALL.max_template_chars + 1))


@pytest.mark.parametrize(
    "template", ["(" * 20_000, "#if(" * 5_000, "$a" + ".b" * 20_000, "[" * 10_000, "#foreach($i in [1..2])" * 3_000]
)
def test_deeply_nested_or_unterminated_syntax_fails_fast(template: str) -> None:
    started = time.monotonic()
    try:
        run(template)
    except VtlError:
        pass
    assert time.monotonic() - started < 5


def test_syntax_errors_are_reported_not_raised_raw() -> None:
    with pytest.raises(VtlError, match="syntax"):
        run("#set($x = )")


def test_include_and_parse_have_no_loader() -> None:
    for template in ("#include('/etc/passwd')", "#parse('/etc/passwd')"):
        with pytest.raises(VtlError):
            run(template)


def test_no_budget_no_evaluation() -> None:
    """airspeed used outside `evaluate` (without a budget) fails closed."""
    with pytest.raises(Exception, match="outside a budget"):
        airspeed.Template("$a.b").merge({"a": {"b": 1}})


def test_wall_clock_deadline() -> None:
    template = "#foreach($a in [1..1000])#foreach($b in [1..1000])$s.replaceAll('x', 'y')#end#end"
    with pytest.raises(VtlLimitError):
        run(template, Limits(max_steps=10**9, max_chars=10**9, timeout=0.2))


def test_evaluations_in_threads_have_their_own_budgets() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                assert run("#foreach($i in [1..100])x#end", Limits(max_steps=200)) == "x" * 100
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_template_failure_keeps_the_reason_for_the_log_only() -> None:
    with pytest.raises(vtl.TemplateFailure) as raised:
        vtl.render("$s.__class__", body="")
    assert raised.value.message == "Internal server error"
    assert "Illegal reference" in raised.value.log_reason


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="$#(){}[].,'\"!abc123 =+*-/\\<>&|", max_size=80))
def test_any_template_text_renders_or_fails_cleanly(template: str) -> None:
    try:
        run(template)
    except VtlError:
        pass


def test_a_list_holding_itself_renders_like_java() -> None:
    assert run("#set($l = [1])#set($ok = $l.add($l))$l") == "[1, (this Collection)]"
    assert run("#set($m = {})#set($ok = $m.put('self', $m))$m") == "{self=(this Map)}"


def test_shared_sublists_cannot_blow_up_rendering() -> None:
    # Each level holds the previous one twice: 2^60 leaves if rendered naively.
    template = "#set($l = [0])#foreach($i in [1..60])#set($l = [$l, $l])#end$l"
    started = time.monotonic()
    with pytest.raises(VtlLimitError):
        run(template)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("template", ["#if($a not $b)x#end", "#set($x = 1 not 2)"])
def test_parser_bugs_are_syntax_errors(template: str) -> None:
    with pytest.raises(VtlError, match="syntax"):
        run(template)


def test_foreach_over_a_non_collection_is_skipped_as_velocity() -> None:
    assert run("#foreach($c in 'abc')x#end#foreach($n in 5)y#end.") == "."


@pytest.mark.parametrize(
    "condition", ["$a == $b", "$a != $b", "$a < $b", "$a.contains($b)", "$a.indexOf($b) > 0", "$a.equals($b)"]
)
def test_comparing_shared_sublists_is_bounded(condition: str) -> None:
    template = (
        "#set($a = [0])#set($b = [0])#foreach($i in [1..60])#set($a = [$a, $a])#set($b = [$b, $b])#end"
        f"#if({condition})x#end"
    )
    started = time.monotonic()
    try:
        run(template)
    except VtlLimitError:
        pass
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#if(1 == 1.0)y#end", "y"),
        ("#if('a' == 'a')y#end", "y"),
        ("#if('1' == 1)y#{else}n#end", "n"),
        ("#if([1, [2]] == [1, [2]])y#end", "y"),
        ("#if({'a': 1} != {'a': 2})y#end", "y"),
        ("#if('b' > 'a' && 2 >= 2)y#end", "y"),
        ("#if([1] < [2])y#{else}n#end", "n"),
        ("#if($nothing == $null)y#end", "y"),
        ("#set($l = [[1], [2]])$l.contains([2]) $l.indexOf([2])", "true 1"),
    ],
)
def test_equality_and_ordering_semantics(template: str, expected: str) -> None:
    assert run(template) == expected


def test_large_templates_are_parsed_once() -> None:
    template = "#if($s)b#end" * 8_000 + "#*unique-large*#"
    run(template)
    started = time.monotonic()
    assert run(template) == "b" * 8_000
    assert time.monotonic() - started < 0.5


def test_the_template_cache_is_bounded_by_size() -> None:
    cache = vtl_sandbox._TemplateCache(100)
    for i in range(50):
        cache.get(f"{i:02d}" + "x" * 8)
    assert cache._size <= 100 and len(cache._entries) == 10
    assert cache.get("y" * 500) is not None and "y" * 500 not in cache._entries  # too big to keep, still served


def test_evaluate_takes_small_strings_only() -> None:
    with pytest.raises(VtlLimitError, match="#evaluate"):
        run("#set($t = 'x')#foreach($i in [1..15])#set($t = \"$t$t\")#end#evaluate($t)", Limits())
