#!/usr/bin/env python3
"""gen-man.py -- section 3 man pages for every public function, generated from the header doc comments.

    python3 tests/tools/gen-man.py            write docs/man/man3/*.3 (what `make docs` runs)
    python3 tests/tools/gen-man.py --check    exit 1 and list the pages that differ (tests/test_docs.sh)
    python3 tests/tools/gen-man.py --list     print "name since" for every function (to start docs/symbols)

Single source of truth: the doc comments in include/unicrm/unicrm.h and include/unicrm/sys/transport.h. Extra
inputs: docs/symbols (the version each function was added in; a differing @since is an error) and
docs/man/examples/<function>.c (the EXAMPLE section, compiled by tests/test_docs.sh). Pages are reproducible:
no date, no path of the machine that made them. Standard library only (python3 is a test-time dependency).
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HEADERS = [("include/unicrm/unicrm.h", "unicrm/unicrm.h"), ("include/unicrm/sys/transport.h", "unicrm/sys/transport.h")]
MANDIR = os.path.join(ROOT, "docs", "man", "man3")
EXAMPLES = os.path.join(ROOT, "docs", "man", "examples")
SYMBOLS = os.path.join(ROOT, "docs", "symbols")

TAGS = r"brief|param(?:\[(?:in|out|in,out)\])?|returns?|remark|since|sa|deprecated"
TOKEN = re.compile(r"/\*\*(?P<doc>.*?)\*/|/\*(?P<note>.*?)\*/|(?P<decl>(?<=\n)UCRM_API\b[^;]*;)"
                   r"|(?P<enumval>\b(UCRM_[A-Z0-9_]+)\s*=\s*-?\d+\s*,?\s*/\*\*<(?P<enumdoc>.*?)\*/)", re.S)


def clean_comment(body):
    lines = []
    for line in body.split("\n"):
        line = re.sub(r"^\s*\*( |$)", "", line.rstrip())
        lines.append(line.strip())
    return "\n".join(lines).strip()


def parse_doc(text):
    """Splits a doc comment into {'brief','desc','params':[(name,dir,text)],'returns','remark','since','sa',...}."""
    d = {"brief": "", "desc": [], "params": [], "returns": "", "remark": [], "since": "", "sa": [], "deprecated": ""}
    parts = re.split(r"(?:^|\s)@(" + TAGS + r")(?=\s|$)", text)
    lead = parts[0].strip()
    if lead:
        d["desc"].append(lead)
    for i in range(1, len(parts), 2):
        tag, val = parts[i], " ".join(parts[i + 1].split())
        if tag == "brief":
            d["brief"] = val
        elif tag.startswith("param"):
            m = re.match(r"(\S+)\s*(.*)", val)
            direction = re.search(r"\[(.*)\]", tag)
            if m:
                d["params"].append((m.group(1), direction.group(1) if direction else "", m.group(2)))
        elif tag in ("returns", "return"):
            d["returns"] = val
        elif tag == "remark":
            d["remark"].append(val)
        elif tag == "since":
            d["since"] = val.rstrip(".")
        elif tag == "sa":
            d["sa"] += re.findall(r"ucrm_[a-z0-9_]+", val)
        elif tag == "deprecated":
            d["deprecated"] = val
    if not d["brief"] and d["desc"]:
        d["brief"] = " ".join(d["desc"].pop(0).split())
    return d


def parse_header(path, include):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    funcs, enumdocs = [], {}
    section = "" if include == "unicrm/unicrm.h" else "HTTP transport (<%s>)" % include
    note, last_doc = "", None
    for m in TOKEN.finditer(text):
        if m.group("doc") is not None:
            last_doc = (clean_comment(m.group("doc")), m.end())
        elif m.group("note") is not None:
            body = clean_comment(m.group("note"))
            at_col0 = m.start() == 0 or text[m.start() - 1] == "\n"
            followed = re.match(r"\s*(/\*\*|UCRM_API)", text[m.end():])
            if re.match(r"(=|-){8}", body):  # a section rule: /* ====== name */ or /* ------ name */
                section, note = body.strip("=- \n"), ""
            elif at_col0 and followed:
                # a comment about the declarations that follow (until the next section or note)
                note = " ".join(body.split())
            last_doc = None
        elif m.group("enumval") is not None:
            enumdocs[m.group(5)] = " ".join(m.group("enumdoc").split())
        elif m.group("decl") is not None:
            decl = " ".join(m.group("decl").split())
            fm = re.match(r"UCRM_API (.*?)\b(ucrm_[a-z0-9_]+)\((.*)\);$", decl)
            if fm:
                doc = last_doc[0] if last_doc and text[last_doc[1]:m.start()].strip() == "" else ""
                funcs.append({"name": fm.group(2), "ret": fm.group(1).strip(), "args": fm.group(3),
                              "doc": parse_doc(doc), "section": section, "note": note, "include": include})
            last_doc = None
        last_end = m.end()
    return funcs, enumdocs


def read_symbols():
    syms = {}
    if not os.path.exists(SYMBOLS):
        return syms
    for line in open(SYMBOLS, encoding="utf-8"):
        line = line.split("#", 1)[0].split()
        if line:
            syms[line[0]] = line[1:]
    return syms


def esc(s):
    """roff-escapes running text."""
    s = s.replace("\\", "\\e")
    out = []
    for line in s.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def code_block(s):
    return ".PP\n.nf\n.RS 4\n" + esc(s.rstrip("\n")) + "\n.RE\n.fi"


def wrap_proto(ret, name, args):
    head = ret + ("" if ret.endswith("*") else " ") + name + "("
    pieces = [a.strip() for a in args.split(",")]
    lines, cur = [], head
    for i, p in enumerate(pieces):
        p += "," if i + 1 < len(pieces) else ");"
        if len(cur) + len(p) + 1 > 76 and cur.strip() and cur != head:
            lines.append(cur.rstrip())
            cur = " " * len(head) + p
        else:
            cur += ("" if cur.endswith("(") else " ") + p
    lines.append(cur)
    return "\n".join(lines)


THREADING_BY_TYPE = [
    ("ucrm_client_t", "Thread-safe: a client may be used by any number of threads at once."),
    ("ucrm_error_t", "Safe from any thread: error objects are immutable (destroying one while another thread reads it "
                     "is not)."),
]
HANDLE_TYPES = ["ucrm_conf_t", "ucrm_record_t", "ucrm_reqopts_t", "ucrm_iter_t", "ucrm_records_t", "ucrm_batch_t",
                "ucrm_response_t", "ucrm_transport_t", "ucrm_http_request_t", "ucrm_http_response_t",
                "ucrm_request_info_t"]


def threading_text(f, labelled):
    if "Threading" in labelled:
        return labelled["Threading"]
    first = f["args"].split(",")[0]
    for t, text in THREADING_BY_TYPE:
        if t in first:
            return text
    for t in HANDLE_TYPES:
        if t in first:
            return ("Not thread-safe: the %s may move between threads but must be used by one thread at a time."
                    % t.replace("ucrm_", "").replace("_t", ""))
    return "Safe to call from any thread."


def split_remarks(remarks):
    labelled, rest = {}, []
    for r in remarks:
        pieces = re.split(r"\b(Lifetime|Threading|Ownership):\s*", r)
        if pieces[0].strip():
            rest.append(pieces[0].strip())
        for i in range(1, len(pieces), 2):
            v = pieces[i + 1].strip()
            v = v[:1].upper() + v[1:]
            labelled[pieces[i]] = (labelled.get(pieces[i], "") + " " + v).strip()
    return labelled, rest


def errors_mentioned(f):
    d = f["doc"]
    text = " ".join([d["returns"], d["brief"]] + d["desc"])
    seen = []
    for code in re.findall(r"UCRM_ERR_[A-Z_]+|UCRM_ITEROVER", text):
        if code not in seen:
            seen.append(code)
    return seen


def page(f, enumdocs, syms, all_names):
    d, name = f["doc"], f["name"]
    version = (syms.get(name) or [d["since"] or "?"])[0]
    labelled, notes = split_remarks(d["remark"])
    brief = d["brief"].rstrip(".")
    short = brief[0].lower() + brief[1:] if brief[:2] != brief[:2].upper() else brief
    short = re.split(r"(?<=[a-z)\"])\. ", short)[0]
    out = ['.\\" Generated by tests/tools/gen-man.py from include/%s: do not edit, run `make docs`.'
           % f["include"].replace("unicrm/", "unicrm/", 1),
           '.TH %s 3 "" "unicrm %s" "unicrm manual"' % (name.upper(), version),
           ".SH NAME", "%s \\- %s" % (name, esc(short)),
           ".SH SYNOPSIS", code_block("#include <%s>\n\n%s" % (f["include"], wrap_proto(f["ret"], name, f["args"]))),
           ".SH DESCRIPTION", esc(d["brief"])]
    for p in d["desc"]:
        out += [".PP", esc(" ".join(p.split()))]
    for pname, direction, ptext in d["params"]:
        out += [".TP", ".I %s%s" % (pname, " (%s)" % direction if direction else ""), esc(ptext)]
    if f["note"]:
        out += [".PP", esc(f["note"])]
    out.append(".SH RETURN VALUE")
    if d["returns"]:
        out.append(esc(d["returns"]))
    elif f["ret"] == "ucrm_err_t":
        out.append("UCRM_OK (0) on success, else a negative ucrm_err_t code; with an errp parameter, *errp then "
                   "receives an error object with the details.")
    elif f["ret"] == "void":
        out.append("None.")
    else:
        out.append("The value described above.")
    errs = errors_mentioned(f)
    if errs:
        out.append(".SH ERRORS")
        for code in errs:
            out += [".TP", ".B %s" % code, esc(enumdocs.get(code, "See ucrm_err_str(3)."))]
    if "Lifetime" in labelled or "Ownership" in labelled:
        out += [".SH LIFETIME", esc(" ".join(filter(None, [labelled.get("Ownership"), labelled.get("Lifetime")])))]
    out += [".SH THREAD SAFETY", esc(threading_text(f, labelled))]
    if notes:
        out.append(".SH NOTES")
        for n in notes:
            out += [".PP", esc(n)]
    ex = os.path.join(EXAMPLES, name + ".c")
    if os.path.exists(ex):
        out += [".SH EXAMPLE", code_block(open(ex, encoding="utf-8").read())]
    out += [".SH VERSIONS", "Added in unicrm %s." % version]
    dep = d["deprecated"] or (syms.get(name, [None, None]) + [None])[1]
    if dep:
        out.append("Deprecated: %s" % esc(dep))
    refs = []
    for r in d["sa"] + re.findall(r"ucrm_[a-z0-9_]+(?=\()", " ".join([d["brief"], d["returns"], f["note"]]
                                                                       + d["desc"] + d["remark"]
                                                                       + [p[2] for p in d["params"]])):
        if r != name and r in all_names and r not in refs:
            refs.append(r)
    see = ["%s (3)" % r for r in sorted(refs)] + ["unicrm (3)"]
    out += [".SH SEE ALSO", ",\n".join(".BR " + s for s in see)]
    return "\n".join(out) + "\n"


def overview(funcs, syms):
    version = open(os.path.join(ROOT, "include/unicrm/unicrm.h"), encoding="utf-8").read()
    version = re.search(r'UCRM_VERSION_STR "([^"]+)"', version).group(1)
    out = ['.\\" Generated by tests/tools/gen-man.py: do not edit, run `make docs`.',
           '.TH UNICRM 3 "" "unicrm %s" "unicrm manual"' % version,
           ".SH NAME", "unicrm \\- embeddable unified-CRM client library (Salesforce, HubSpot)",
           ".SH SYNOPSIS", code_block("#include <unicrm/unicrm.h>\n\ncc prog.c $(pkg-config --cflags --libs unicrm)"),
           ".SH DESCRIPTION",
           "One C API to read and write contacts, accounts and deals in Salesforce and HubSpot at request time, with "
           "the providers' rate limits and OAuth token refresh handled underneath. Every fallible call returns a "
           "ucrm_err_t (0 on success, negative on failure) and takes an optional last ucrm_error_t **errp that "
           "receives an immutable error object. Handles are opaque; destroy functions accept NULL; strings are "
           "UTF-8; what comes back through a char ** is freed with ucrm_free(3).",
           ".PP", "docs/INTRODUCTION.md in the source tree explains the concepts, the unified model, errors, "
           "threading, rate limits and tokens; docs/CONFIGURATION.md lists every configuration key.",
           ".SH FUNCTIONS"]
    section = None
    for f in funcs:
        if f["section"] != section:
            section = f["section"]
            out += [".SS %s" % esc(section[0].upper() + section[1:] if section else "Other")]
        out += [".TP", ".BR %s (3)" % f["name"], esc(f["doc"]["brief"] or "")]
    out += [".SH SEE ALSO", ".BR ucrm (1)"]
    return "\n".join(out) + "\n"


def generate():
    funcs, enumdocs = [], {}
    for path, include in HEADERS:
        fs, ed = parse_header(path, include)
        funcs += fs
        enumdocs.update(ed)
    syms = read_symbols()
    errors = []
    names = {f["name"] for f in funcs}
    for f in funcs:
        since, listed = f["doc"]["since"], syms.get(f["name"])
        if syms and not listed:
            errors.append("%s is not in docs/symbols" % f["name"])
        elif listed and since and since != listed[0]:
            errors.append("%s: @since %s but docs/symbols says %s" % (f["name"], since, listed[0]))
        if not f["doc"]["brief"]:
            errors.append("%s has no doc comment" % f["name"])
    pages = {f["name"] + ".3": page(f, enumdocs, syms, names) for f in funcs}
    pages["unicrm.3"] = overview(funcs, syms)
    return funcs, pages, errors


def main():
    funcs, pages, errors = generate()
    if "--list" in sys.argv:
        for f in funcs:
            print(f["name"], f["doc"]["since"] or "1.0.0")
        return 0
    for e in errors:
        print("gen-man: " + e, file=sys.stderr)
    if "--check" in sys.argv:
        stale = []
        for fname, text in sorted(pages.items()):
            p = os.path.join(MANDIR, fname)
            if not os.path.exists(p) or open(p, encoding="utf-8").read() != text:
                stale.append(fname)
        extra = sorted(set(os.listdir(MANDIR)) - set(pages)) if os.path.isdir(MANDIR) else []
        for s in stale:
            print("gen-man: docs/man/man3/%s is stale or missing" % s)
        for s in extra:
            print("gen-man: docs/man/man3/%s has no function in the headers" % s)
        if stale or extra:
            print("gen-man: run `make docs` and commit the result")
        return 1 if stale or extra or errors else 0
    os.makedirs(MANDIR, exist_ok=True)
    for fname in os.listdir(MANDIR):
        if fname not in pages:
            os.remove(os.path.join(MANDIR, fname))
    for fname, text in pages.items():
        p = os.path.join(MANDIR, fname)
        if not os.path.exists(p) or open(p, encoding="utf-8").read() != text:
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(text)
    print("gen-man: %d pages in docs/man/man3" % len(pages))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
