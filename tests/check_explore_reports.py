#!/usr/bin/env python3
"""Runs lowbit-explore --small and parses what it writes: the Markdown tables, the SVG as XML,
the JSON. Then runs it on a GGUF file written here (independently of lowbit's writer), whole and
one tensor, and on bad command lines. Usage: check_explore_reports.py LOWBIT_EXPLORE OUTPUT_DIR"""
import json
import math
import os
import random
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

SCHEMES = ["int8 per-channel", "int4 g32 sym", "int4 g32 affine", "int4 g128 sym", "int4 g128 affine",
           "int3 g128 affine", "int2 g64 affine", "gguf q8_0", "gguf q6_K", "gguf q5_K", "gguf q4_K",
           "gguf q4_0", "gguf q3_K", "gguf q2_K"]
WITHOUT_KERNEL = {"int3 g128 affine", "int2 g64 affine"}


def fail(message):
    print("check_explore_reports: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def cells(line):
    """The cells of a Markdown table line, unescaped (a backslash escapes the character after it)."""
    parts, cell, i = [], "", 1
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cell += line[i + 1]
            i += 2
            continue
        if line[i] == "|":
            parts.append(cell.strip())
            cell = ""
        else:
            cell += line[i]
        i += 1
    return parts


def markdown_tables(text):
    tables, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(cells(lines[i]))
                i += 1
            tables.append(block)
        else:
            i += 1
    return tables


def gguf_string(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<Q", len(b)) + b


def write_gguf(path, tensors):
    """GGUF v3, no metadata, alignment 32. tensors: (name, dims in ggml order, type id, data bytes)."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 0)
    offset, infos, data = 0, b"", b""
    for name, dims, type_id, payload in tensors:
        infos += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", type_id, offset)
        padded = payload + b"\0" * (-len(payload) % 32)
        data += padded
        offset += len(padded)
    header = head + infos
    header += b"\0" * (-len(header) % 32)
    with open(path, "wb") as f:
        f.write(header + data)


def check_gguf(tool, out):
    rng = random.Random(7)
    def floats(n, fmt):
        return b"".join(struct.pack(fmt, rng.gauss(0.0, 0.02)) for _ in range(n))
    path = os.path.join(out, "layers.gguf")
    write_gguf(path, [
        ("blk.0.attn_q.weight", [256, 48], 0, floats(256 * 48, "<f")),   # F32, 48 x 256
        ("blk.0.ffn_up.weight", [512, 20], 1, floats(512 * 20, "<e")),   # F16, 20 x 512
        ("blk.0.attn_norm.weight", [256], 0, floats(256, "<f")),         # 1-D: not a layer
        ("blk.0.odd.weight", [100, 4], 0, floats(400, "<f")),            # 100 columns: left out
        ("blk.0.empty.weight", [0, 4], 0, b""),                          # no columns: left out
        # A name that is not UTF-8 and holds a newline and a terminal escape: it must reach the
        # terminal and the reports harmless.
        (b"blk.1.\xff\nweird\x1b[2J|*.weight", [256, 8], 0, floats(256 * 8, "<f")),
    ])
    json_path, md_path, svg_path = (os.path.join(out, "gguf." + ext) for ext in ("json", "md", "svg"))
    run = subprocess.run([tool, "--gguf", path, "--small", "--json", json_path, "--markdown", md_path, "--svg", svg_path],
                         capture_output=True, text=True, check=False)
    check(run.returncode == 0, "lowbit-explore --gguf failed: " + run.stderr)
    check("left out blk.0.odd.weight" in run.stderr, "the tensor left out is not named: " + run.stderr)
    check("left out blk.0.empty.weight: empty" in run.stderr, "the empty tensor is not named: " + run.stderr)
    for stream in (run.stdout, run.stderr):
        check("\x1b" not in stream, "a terminal escape from a tensor name reached the terminal")
    check("blk.1.\ufffd?weird?[2J|*.weight" in run.stdout, "the odd name is not shown cleaned: " + run.stdout)
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    check(report["timed_layer"].startswith("blk.0.attn_q.weight 48x256"), "timed layer " + report["timed_layer"])
    check(all(s["weights"] == 48 * 256 + 20 * 512 + 8 * 256 for s in report["schemes"]), "the GGUF layers' weights")
    check("blk.1.\ufffd?weird?[2J|*.weight" in report["workload"], "the odd name in the JSON: " + report["workload"])
    with open(md_path, encoding="utf-8") as f:
        markdown = f.read()
    check("blk.1.\ufffd?weird?\\[2J\\|\\*.weight" in markdown, "the odd name is not escaped in the Markdown")
    check(all(len(row) == len(t[0]) for t in markdown_tables(markdown) for row in t), "a Markdown row is not as wide as its header")
    ET.parse(svg_path)
    run = subprocess.run([tool, "--gguf", path, "--tensor", "blk.0.ffn_up.weight", "--small", "--json", json_path],
                         capture_output=True, text=True, check=False)
    check(run.returncode == 0, "lowbit-explore --tensor failed: " + run.stderr)
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    check(all(s["weights"] == 20 * 512 for s in report["schemes"]), "--tensor took more than its tensor")
    for args, status, words in (([ "--gguf", path, "--tensor", "nope"], 1, "no tensor named 'nope'"),
                                (["--gguf", path, "--tensor", "blk.0.odd.weight"], 1, "not a multiple of 256"),
                                (["--gguf", path, "--tensor", "blk.0.attn_norm.weight"], 1, "not 2-D"),
                                (["--gguf", path, "--tensor", "blk.0.empty.weight"], 1, "empty (no elements)"),
                                (["--gguf", os.path.join(out, "missing.gguf")], 1, "missing.gguf"),
                                (["--tensor", "x"], 2, "--tensor needs --gguf"),
                                (["--bogus"], 2, "unknown option --bogus")):
        run = subprocess.run([tool] + args, capture_output=True, text=True, check=False)
        check(run.returncode == status and words in run.stderr, "%s: status %d, stderr %r" % (args, run.returncode, run.stderr))
    with open(path, "rb") as f:
        whole = f.read()
    truncated = os.path.join(out, "truncated.gguf")
    with open(truncated, "wb") as f:
        f.write(whole[: len(whole) - 100])
    run = subprocess.run([tool, "--gguf", truncated, "--small"], capture_output=True, text=True, check=False)
    check(run.returncode == 1 and "truncated.gguf" in run.stderr, "a truncated file: " + run.stderr)


def main():
    tool, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    paths = {ext: os.path.join(out, "explore." + ext) for ext in ("md", "svg", "json")}
    for p in paths.values():
        if os.path.exists(p):
            os.remove(p)
    run = subprocess.run([tool, "--small", "--markdown", paths["md"], "--svg", paths["svg"], "--json", paths["json"]],
                         capture_output=True, text=True, check=False)
    check(run.returncode == 0, "lowbit-explore failed: " + run.stderr)
    for name in SCHEMES:
        check(name in run.stdout, "the table on stdout lacks " + name)
    check("[14/14]" in run.stderr or "14/14" in run.stderr, "no progress on stderr")

    # Markdown: machine, size and error, kernels; every row as wide as its header; every scheme once.
    with open(paths["md"], encoding="utf-8") as f:
        tables = markdown_tables(f.read())
    check(len(tables) == 3, "expected 3 Markdown tables, found %d" % len(tables))
    for t in tables:
        check(len(t) >= 3 and all(set(c) <= set("-:") and c for c in t[1]), "a table without its rule line")
        check(all(len(row) == len(t[0]) for row in t), "a table row is not as wide as its header")
    for t in tables[1:]:
        check([row[0] for row in t[2:]] == SCHEMES, "the scheme column differs: %s" % [row[0] for row in t[2:]])

    # JSON: every scheme, sizes that add up, errors ordered as the widths are.
    with open(paths["json"], encoding="utf-8") as f:
        report = json.load(f)
    machine = report["machine"]
    for key in ("dram_read_gbps", "l3_read_gbps"):
        check(machine[key]["low"] <= machine[key]["median"] <= machine[key]["high"] and machine[key]["median"] > 0, key)
    schemes = {s["name"]: s for s in report["schemes"]}
    check(list(schemes) == SCHEMES, "JSON schemes differ")
    for name, s in schemes.items():
        check(abs(s["bits_per_weight"] - 8 * s["bytes"] / s["weights"]) < 1e-6, name + ": bits per weight")
        check(0 < s["cosine"] <= 1 and s["max_abs_error"] > 0 and s["output_rel_error"] > 0, name + ": error figures")
        check(s["sqnr_db"] is not None and math.isfinite(s["sqnr_db"]), name + ": SQNR")
        k = s["kernel"]
        check(k["exists"] == (name not in WITHOUT_KERNEL), name + ": kernel presence")
        for mode in ("gemv_hot", "gemv_cold", "gemm_hot", "gemm_cold"):
            t = k[mode]
            if not k["exists"]:
                check(t is None, name + ": a figure without a kernel")
                continue
            g = t["gops"]
            check(0 < g["low"] <= g["median"] <= g["high"], name + " " + mode + ": spread")
            check(t["roof_gops"] > 0 and t["ops_per_call"] > 0 and t["weight_bytes"] > 0 and t["bandwidth_gbps"] > 0, name + " " + mode)
    # More bits, less error: int8 over int4 over int3 over int2; q6_K over q4_K over q2_K.
    for better, worse in (("int8 per-channel", "int4 g32 affine"), ("int4 g32 affine", "int3 g128 affine"),
                          ("int3 g128 affine", "int2 g64 affine"), ("gguf q6_K", "gguf q4_K"), ("gguf q4_K", "gguf q2_K"),
                          ("int4 g32 sym", "int4 g128 sym")):
        check(schemes[better]["output_rel_error"] < schemes[worse]["output_rel_error"], better + " vs " + worse)

    # SVG: XML with two plots' points, labelled with the scheme names.
    root = ET.parse(paths["svg"]).getroot()
    check(root.tag == "{http://www.w3.org/2000/svg}svg", "the SVG root is " + root.tag)
    ns = "{http://www.w3.org/2000/svg}"
    circles = root.findall(".//" + ns + "circle")
    with_kernel = len(SCHEMES) - len(WITHOUT_KERNEL)
    check(len(circles) == 4 * with_kernel + len(SCHEMES), "expected %d points, found %d" % (4 * with_kernel + len(SCHEMES), len(circles)))
    texts = [t.text or "" for t in root.iter(ns + "text")]
    for name in SCHEMES:
        check(name in texts, "no label " + name + " in the SVG")
    check(len(root.findall(".//" + ns + "polyline")) >= 3, "the roofs are missing")
    check_gguf(tool, out)
    print("lowbit-explore reports: Markdown, SVG and JSON parsed, %d schemes; GGUF input and bad input checked" % len(SCHEMES))


if __name__ == "__main__":
    main()
