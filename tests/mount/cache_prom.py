#!/usr/bin/python3
"""Checks that a file is valid Prometheus text exposition (version 0.0.4), as
lancefs's .lancefs/stats must be, and prints its samples.

usage: cache_prom.py FILE
  Exit 0 and one "NAME VALUE" line per sample when the file is valid; exit 1
  with "# ..." lines naming each problem otherwise.  Checked: every line is a
  '# HELP NAME text', '# TYPE NAME counter|gauge|untyped|summary|histogram',
  another comment, or 'NAME[{labels}] VALUE [TIMESTAMP]'; names match
  [a-zA-Z_:][a-zA-Z0-9_:]*; values are numbers; a metric has at most one HELP
  and one TYPE, both before its samples; no sample is repeated; counters are
  not negative; the file ends with a newline.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{[^}]*\})? (\S+)( -?\d+)?$" % NAME)
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|untyped|summary|histogram)$" % NAME)


def number(s):
    if s in ("NaN", "+Inf", "-Inf"):
        return float(s.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$", s):
        raise ValueError(s)
    return float(s)


def main():
    text = open(sys.argv[1], "rb").read().decode("utf-8")
    problems = []
    helps, types, seen, sampled = {}, {}, set(), set()
    out = []
    if text and not text.endswith("\n"):
        problems.append("the file does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = HELP.match(line)
        if m:
            if m.group(1) in helps:
                problems.append("line %d: second HELP for %s" % (n, m.group(1)))
            if m.group(1) in sampled:
                problems.append("line %d: HELP for %s after its samples" % (n, m.group(1)))
            helps[m.group(1)] = m.group(2)
            continue
        m = TYPE.match(line)
        if m:
            if m.group(1) in types:
                problems.append("line %d: second TYPE for %s" % (n, m.group(1)))
            if m.group(1) in sampled:
                problems.append("line %d: TYPE for %s after its samples" % (n, m.group(1)))
            types[m.group(1)] = m.group(2)
            continue
        if line.startswith("# HELP") or line.startswith("# TYPE"):
            problems.append("line %d: malformed %r" % (n, line))
            continue
        if line.startswith("#") or line == "":
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append("line %d: not a sample: %r" % (n, line))
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        try:
            v = number(value)
        except ValueError:
            problems.append("line %d: %s: value %r is not a number" % (n, name, value))
            continue
        if (name, labels) in seen:
            problems.append("line %d: %s%s repeated" % (n, name, labels))
        seen.add((name, labels))
        sampled.add(name)
        if types.get(name) == "counter" and v < 0:
            problems.append("line %d: counter %s is negative" % (n, name))
        out.append("%s%s %s" % (name, labels, value))
    if not out:
        problems.append("no samples")
    for name in sampled:
        if name not in types:
            problems.append("%s has no TYPE" % name)
        if name not in helps:
            problems.append("%s has no HELP" % name)
    if problems:
        for p in problems[:20]:
            print("# " + p)
        sys.exit(1)
    print("\n".join(out))


if __name__ == "__main__":
    main()
