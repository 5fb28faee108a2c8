#!/usr/bin/env python3
"""Draws rdt-bench.sh's CSV as an SVG: goodput against window size, one panel per
setting (loopback, netlab), a line per protocol (the mean of the runs, a bar from the
slowest run to the fastest), and TCP's mean as a level line where it was measured.
Standard library only; the SVG loads nothing from outside.

Usage: rdt-plot.py CSV SVG
"""

import csv
import math
import sys
from collections import defaultdict

PANELS = [
    ("loopback", "Loopback, rdt's dice losing 10% on each side"),
    ("netlab", "netlab link: 2% frame loss each way, 10 ms delay"),
]
STYLE = {
    "gbn": ("Go-Back-N", "#1f77b4", ""),
    "sr": ("selective repeat", "#d62728", "6,4"),
}
W, H = 920, 400
PANEL_W, PANEL_H = 360, 270
LEFT, TOP = 80, 60
GAP = 100


def nice_top(value):
    """A round number at or above value, for the top of an axis."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= value:
            return step * exp
    return 10 * exp


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    points = defaultdict(list)  # (setting, protocol, window) -> goodputs
    tcp = defaultdict(list)
    for row in rows:
        value = float(row["goodput_mbit_s"])
        if row["protocol"] == "tcp":
            tcp[row["setting"]].append(value)
        else:
            points[(row["setting"], row["protocol"], int(row["window"]))].append(value)
    windows = sorted({key[2] for key in points})
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="13">',
        "<title>rdt goodput against window size</title>",
        f'<rect width="{W}" height="{H}" fill="white"/>',
    ]
    for index, (setting, title) in enumerate(PANELS):
        x0 = LEFT + index * (PANEL_W + GAP)
        values = [v for k, vs in points.items() if k[0] == setting for v in vs]
        if not values:
            continue
        # TCP is drawn as a level line when it fits a scale made for rdt, and named
        # above the chart when it is far beyond (else rdt's lines would lie flat).
        tcp_runs = tcp.get(setting, [])
        tcp_mean = sum(tcp_runs) / len(tcp_runs) if tcp_runs else None
        tcp_fits = tcp_mean is not None and tcp_mean <= 1.5 * max(values)
        if tcp_fits:
            values += tcp_runs
        top = nice_top(max(values) * 1.08)
        lo, hi = math.log2(windows[0]), math.log2(windows[-1])

        def px(window):
            return x0 + (math.log2(window) - lo) / (hi - lo) * PANEL_W

        def py(value):
            return TOP + PANEL_H - value / top * PANEL_H

        out.append(
            f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 25}" text-anchor="middle" '
            f'font-weight="bold">{title}</text>'
        )
        out.append(
            f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" '
            'fill="none" stroke="#888"/>'
        )
        for i in range(6):
            value = top * i / 5
            y = py(value)
            out.append(
                f'<line x1="{x0}" x2="{x0 + PANEL_W}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#ddd"/>'
            )
            out.append(
                f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>'
            )
        for window in windows:
            x = px(window)
            out.append(
                f'<text x="{x:.1f}" y="{TOP + PANEL_H + 18}" text-anchor="middle">'
                f"{window}</text>"
            )
        out.append(
            f'<text x="{x0 + PANEL_W / 2}" y="{TOP + PANEL_H + 40}" '
            'text-anchor="middle">window (packets in flight)</text>'
        )
        out.append(
            f'<text transform="translate({x0 - 50},{TOP + PANEL_H / 2}) rotate(-90)" '
            'text-anchor="middle">goodput, Mbit/s</text>'
        )
        if tcp_mean is not None and not tcp_fits:
            out.append(
                f'<text x="{x0 + 8}" y="{TOP + 18}" fill="#2ca02c">'
                f"&#8593; TCP, far above: {tcp_mean:.1f} Mbit/s "
                f"(runs {min(tcp_runs):.1f} to {max(tcp_runs):.1f})</text>"
            )
        if tcp_fits:
            mean = tcp_mean
            y = py(mean)
            out.append(
                f'<line x1="{x0}" x2="{x0 + PANEL_W}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#2ca02c" stroke-width="2" stroke-dasharray="2,3"/>'
            )
            out.append(
                f'<text x="{x0 + 6}" y="{y - 6:.1f}" fill="#2ca02c">'
                f"TCP: {mean:.2f} Mbit/s</text>"
            )
        for protocol, (name, colour, dash) in STYLE.items():
            line = []
            for window in windows:
                runs = points.get((setting, protocol, window))
                if not runs:
                    continue
                mean = sum(runs) / len(runs)
                x = px(window)
                line.append(f"{x:.1f},{py(mean):.1f}")
                out.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(min(runs)):.1f}" '
                    f'y2="{py(max(runs)):.1f}" stroke="{colour}" stroke-width="1.5"/>'
                )
                out.append(
                    f'<circle cx="{x:.1f}" cy="{py(mean):.1f}" r="3.5" fill="{colour}"/>'
                )
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dashes}/>'
            )
    # The legend, under the panels.
    x = LEFT
    y = H - 12
    for protocol, (name, colour, dash) in STYLE.items():
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" x2="{x + 30}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
        out.append(f'<text x="{x + 36}" y="{y}">{name}</text>')
        x += 190
    out.append(
        f'<text x="{x}" y="{y}">dots: mean of the runs; bars: slowest to fastest run</text>'
    )
    out.append("</svg>")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


main()
