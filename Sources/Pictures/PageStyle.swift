/// The pages' stylesheet, inline in each page (no file beside it, nothing fetched).
enum PageStyle {
    static let css = """
        :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee6; --bg: #ffffff; --panel: #f5f7fa;
          --pass: #2e7d32; --fail: #c62828; --unknown: #8d6e00; --mark: #ffcc00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
        header { padding: 10px 16px 6px; border-bottom: 1px solid var(--line); background: var(--panel); }
        h1 { font-size: 18px; margin: 0 0 2px; }
        h2 { font-size: 14px; margin: 14px 0 6px; }
        .meta { color: var(--muted); }
        .verdict { display: inline-block; padding: 1px 8px; border-radius: 3px; color: #fff; font-weight: 600; font-size: 12px; vertical-align: 2px; }
        .verdict.passed { background: var(--pass); } .verdict.failed { background: var(--fail); }
        main { padding: 4px 16px 16px; }
        .badge { display: inline-block; min-width: 62px; text-align: center; padding: 0 4px; border-radius: 3px; font-weight: 600; font-size: 11px; color: #fff; margin-right: 6px; }
        .pass .badge { background: var(--pass); } .fail .badge { background: var(--fail); } .unknown .badge { background: var(--unknown); }
        ul.expectations, ul.problems { list-style: none; padding: 0; margin: 4px 0; }
        ul.expectations > li { padding: 3px 6px; border-radius: 3px; margin: 1px 0; }
        ul.expectations > li.fail, ul.expectations > li.unknown { background: #fff4f4; cursor: pointer; }
        ul.expectations > li.focused { outline: 2px solid var(--mark); }
        .detail { color: var(--muted); }
        details.explained { margin: 2px 0 2px 74px; }
        details.explained li { cursor: pointer; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; }
        details.explained li:hover { background: #fff6cc; }
        ul.problems li::before { content: "PROBLEM  "; color: var(--fail); font-weight: 600; }
        .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0; color: var(--muted); }
        .legend span.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
        .toolbar { display: flex; gap: 6px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
        .toolbar button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); background: #fff; border-radius: 3px; cursor: pointer; }
        .toolbar button:hover { background: var(--panel); }
        .hint { color: var(--muted); font-size: 12px; }
        .timeline { border: 1px solid var(--line); border-radius: 4px; --labels: 300px; }
        .axis-row { display: flex; position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); }
        .axis-row .corner { flex: 0 0 var(--labels); font-size: 11px; color: var(--muted); padding: 4px 6px; }
        .rows { display: flex; }
        .labels { flex: 0 0 var(--labels); overflow: hidden; border-right: 1px solid var(--line); }
        .labels .row { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 0 6px; font-size: 11.5px; }
        .labels .row.group { font-weight: 600; background: var(--panel); color: var(--muted); font-size: 11px; }
        .labels .row.machine { font-weight: 600; }
        .labels .row.failed { color: var(--fail); }
        .labels .row .pid { color: var(--muted); font-size: 10.5px; margin-left: 4px; }
        .canvas-box { flex: 1 1 auto; position: relative; min-width: 0; }
        canvas { display: block; }
        canvas.main { cursor: crosshair; }
        #tip { position: fixed; z-index: 10; pointer-events: none; max-width: 560px; background: #1d2330; color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 11.5px; white-space: pre-wrap; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        #errors { color: var(--fail); background: #fff4f4; padding: 6px 16px; margin: 0; }
        table { border-collapse: collapse; margin: 4px 0 8px; }
        th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
        td.number, th.number { text-align: right; padding-left: 10px; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; background: var(--panel); padding: 0 3px; border-radius: 2px; }
        .rate { font-size: 22px; font-weight: 600; }
        .empty { padding: 24px; font-size: 15px; color: var(--muted); }
        svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
        svg .pass { fill: var(--pass); } svg .fail { fill: var(--fail); } svg .unknown { fill: var(--unknown); }
        svg .bin { fill: #f3b0b0; } svg .axis { stroke: #9aa3b2; } svg .grid { stroke: #eceff3; }
        """
}
