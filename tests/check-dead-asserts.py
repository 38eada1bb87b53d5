#!/usr/bin/env python3
"""Find assertions in the shell tests that can never fail.

Each test body (the second word of `t "description" 'body'`) and each shell function defined in
a test file runs under `set -e`. There a command that starts with `!`, and every command of an
`a && b` list but the last, never stops the script when it fails: `! grep -q secret out` in the
middle of a body passes whatever grep finds. Such a line is reported unless it is the last
command of its body (whose status is the body's status), or it is the condition of an `if`,
`elif`, `while` or `until` (where a failure is meant to choose a branch).

Usage: check-dead-asserts.py [FILE...]   (default: tests/*.sh beside this script)
Prints TAP: one test point per file; exits 0 when nothing was found.
"""
import glob
import os
import re
import sys


def read_word(text, i):
    """Read one shell word starting at text[i]; return (value, end index)."""
    out = []
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            j = text.index("'", i + 1)
            out.append(text[i + 1:j])
            i = j + 1
        elif c == '"':
            j = i + 1
            buf = []
            while text[j] != '"':
                if text[j] == "\\" and text[j + 1] in '"\\$`\n':
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
        elif c == "\\":
            out.append(text[i + 1])
            i += 2
        elif c in " \t\n;&|<>()":
            break
        else:
            out.append(c)
            i += 1
    return "".join(out), i


def test_bodies(text):
    """Yield (line number, body) for every `t DESC BODY` call."""
    for m in re.finditer(r"(?m)^[ \t]*t[ \t]+", text):
        i = m.end()
        try:
            _, i = read_word(text, i)
            while text[i] in " \t":
                i += 1
            if text[i] == "\\" and text[i + 1] == "\n":
                i += 2
                while text[i] in " \t":
                    i += 1
            body, _ = read_word(text, i)
        except (ValueError, IndexError):
            continue
        yield text.count("\n", 0, i) + 1, body


def function_bodies(text):
    """Yield (line number, body) for every `name() {` ... `}` defined at the start of a line."""
    lines = text.split("\n")
    k = 0
    while k < len(lines):
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\(\)\s*\{\s*$", lines[k]):
            start = k
            k += 1
            while k < len(lines) and lines[k] != "}":
                k += 1
            yield start + 2, "\n".join(lines[start + 1:k])
        k += 1


HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def logical_lines(body):
    """Split a body into (offset, text) logical lines: continuations joined, heredocs dropped."""
    raw = body.split("\n")
    out = []
    k = 0
    while k < len(raw):
        start = k
        line = raw[k]
        while k + 1 < len(raw):
            tail = strip_quoted(line).rstrip()
            if unclosed(line):
                line = line + "\n" + raw[k + 1]
            elif tail.endswith("\\"):
                line = line.rstrip()[:-1] + " " + raw[k + 1].strip()
            elif tail.endswith(("&&", "||", "|")):
                line = line.rstrip() + " " + raw[k + 1].strip()
            else:
                break
            k += 1
        k += 1
        m = HEREDOC.search(strip_quoted(line.split("\n")[0]))
        if m:
            end = m.group(2)
            while k < len(raw) and raw[k].strip() != end:
                k += 1
            k += 1
        out.append((start, line))
    return out


def skip_dquote(line, i):
    """Index just past the double-quoted string that starts at line[i], $(...) inside it too."""
    j = i + 1
    n = len(line)
    while j < n and line[j] != '"':
        if line[j] == "\\":
            j += 2
        elif line.startswith("$(", j):
            j = skip_parens(line, j + 1)
        else:
            j += 1
    return min(j + 1, n)


def skip_parens(line, i):
    """Index just past the parenthesised text that starts at line[i] == "(", quotes inside."""
    depth = 0
    j = i
    n = len(line)
    while j < n:
        c = line[j]
        if c == "\\":
            j += 2
            continue
        if c == "'":
            k = line.find("'", j + 1)
            j = n if k < 0 else k + 1
            continue
        if c == '"':
            j = skip_dquote(line, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


def unclosed(line):
    """Does line end inside a quote or a parenthesis (so that the next line belongs to it)?"""
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t;"):
            return False
        if c == "'":
            k = line.find("'", i + 1)
            if k < 0:
                return True
            i = k + 1
            continue
        if c == '"':
            j = skip_dquote(line, i)
            if j >= n and not (line.endswith('"') and j - 1 > i and closes(line, i)):
                return True
            i = j
            continue
        if c == "(":
            j = skip_parens(line, i)
            if j >= n and not line.rstrip().endswith(")"):
                return True
            i = j
            continue
        i += 1
    return False


def closes(line, i):
    """Does the double-quoted string at line[i] end exactly at the line's last character?"""
    return skip_dquote(line, i) == len(line) and line[-1] == '"' and line[-2:] != '\\"'


def strip_quoted(line):
    """The line with quoted text and the insides of (...) blanked, comments removed."""
    res = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            res.append("__")
            i += 2
            continue
        if c == "'":
            j = line.find("'", i + 1)
            j = n - 1 if j < 0 else j
            res.append("_" * (j - i + 1))
            i = j + 1
            continue
        if c == '"':
            j = skip_dquote(line, i)
            res.append("_" * (j - i))
            i = j
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t;"):
            break
        if c == "(":
            j = skip_parens(line, i)
            res.append("(" + "_" * max(0, j - i - 2) + (")" if j - i >= 2 else ""))
            i = j
            continue
        res.append(c)
        i += 1
    return "".join(res)


COND = re.compile(r"^\s*(if|elif|while|until)\b")
OPENERS = re.compile(r"^\s*(if|for|while|until|case)\b|\{\s*$")


def statements(body):
    """Yield (offset, shown text, plain text, depth) for each statement of a body."""
    depth = 0
    for off, line in logical_lines(body):
        plain = strip_quoted(line)
        for part in re.split(r"(?<!;);(?!;)", plain):
            s = part.strip()
            if not s:
                continue
            word = s.split()[0]
            if word in ("fi", "done", "esac", "}"):
                depth = max(0, depth - 1)
                continue
            if word in ("then", "do", "else"):
                s = s[len(word):].strip()
                if not s:
                    continue
            yield off, line.strip(), s, depth
            if OPENERS.search(s) and not re.search(r"\b(fi|done|esac)\s*$|\}\s*$", s.rstrip("{ ")):
                depth += 1


def effective_list(s):
    """Is this && list one whose failure still stops the body?"""
    # "a && b || exit 1": any failure exits. "a && b && exit 1": a negative check that fails
    # when everything succeeded. "a && b &": a background job whose status `wait` reports.
    if re.search(r"\|\|\s*(exit|return|false|fail)\b[^|&]*$", s):
        return True
    if re.search(r"&&\s*(exit\s+[1-9][0-9]*|false|return\s+[1-9][0-9]*)\s*$", s):
        return True
    if re.search(r"(?<![&>])&\s*$", s):
        return True
    # "a && for ...": the list goes on into a compound command, checked statement by statement.
    if re.search(r"&&\s*(for|while|until|if|case|\{)\b[^&]*$", s):
        return True
    return False


def dead_lines(body):
    """(offset, text, why) for each assertion in body that cannot stop it."""
    stmts = list(statements(body))
    found = []
    for idx, (off, shown, s, depth) in enumerate(stmts):
        last = idx == len(stmts) - 1 and depth == 0
        if last or COND.match(s) or re.match(r"^\s*case\b", s):
            continue
        # "a && b" followed by "st=$?": the status is kept and checked later on purpose.
        if idx + 1 < len(stmts) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\$\?$", stmts[idx + 1][2]):
            continue
        if re.match(r"^!\s", s):
            found.append((off, shown, "a '!' command that is not the last"))
        elif "&&" in s and not effective_list(s):
            found.append((off, shown, "an '&&' list that is not the last command"))
    return found


def check_file(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    problems = []
    bodies = list(test_bodies(text))
    if os.path.basename(path).startswith("t"):
        # Functions of a test file run inside its test bodies; a library's functions (the
        # *-lib.sh files) use && for control flow and are not assertions.
        bodies += list(function_bodies(text))
    for line_no, body in bodies:
        for off, shown, why in dead_lines(body):
            problems.append("%s:%d: %s: %s" % (path, line_no + off, why, shown[:100]))
    return problems


SAMPLE = r"""
t "dead ones" '
	! grep -q secret out
	expect_code 2 lp x 2>err && contains err "usage"
	test -e a && test -e b
	true
'
t "live ones" '
	if ! grep -q x y; then :; fi
	grep -q x y || exit 1
	cmd && exit 1
	lp y >out 2>&1 &
	refute grep -q secret out
	a && b
'
"""


def self_test():
    """The checker itself: it must find the three dead assertions in SAMPLE and nothing else."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(SAMPLE)
    try:
        found = check_file(f.name)
    finally:
        os.unlink(f.name)
    lines = sorted(int(p.split(":")[1]) for p in found)
    return lines == [3, 4, 5], found


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    files = argv[1:] or sorted(glob.glob(os.path.join(here, "*.sh")))
    files = [f for f in files if re.match(r"t[0-9].*\.sh$|static-.*\.sh$|.*-lib\.sh$", os.path.basename(f))]
    print("1..%d" % (len(files) + 1))
    ok, found = self_test()
    print("%s 1 - the check finds the dead assertions of its own sample" % ("ok" if ok else "not ok"))
    if not ok:
        for p in found:
            print("#   " + p)
    bad = 0 if ok else 1
    for n, path in enumerate(files, 2):
        problems = check_file(path)
        name = os.path.basename(path)
        if problems:
            bad += 1
            print("not ok %d - %s: %d assertion(s) that cannot fail" % (n, name, len(problems)))
            for p in problems:
                print("#   " + p)
        else:
            print("ok %d - %s has no assertion that cannot fail" % (n, name))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
